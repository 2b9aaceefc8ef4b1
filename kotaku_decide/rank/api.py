"""Ranking as one call: the official order, a weighted method, AHP weights and robustness draws.

:func:`rank_locations` is what ``kotaku-decide rank``, the hearing run and the notebooks use;
:func:`derive_ahp` reads pairwise files and prints the (group) AHP weights and consistency.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.labels import label
from .ahp import CR_THRESHOLD, _fmt_judgement, ahp_weights, group_ahp, read_pairwise, read_pairwise_workbook
from .methods import decision_matrix, rank_table, tiebreak_keys
from .robustness import AHPSampler, SimplexSampler, smaa
from .weights import RankInputError, criteria_frame, read_weights

__all__ = ["rank_locations", "derive_ahp"]

_ID_COLUMNS = ("location_id", "name", "kelurahan", "kecamatan", "total_score", "slum_level")


def _labels_level(labels, crit: pd.DataFrame, source: str) -> tuple[str, np.ndarray]:
    """Whether AHP labels are aspects or criteria, and the (k, n) matrix mapping them to criteria."""
    codes = crit["code"].tolist()
    aspects = list(dict.fromkeys(crit["aspect"]))
    labs = list(labels)
    if set(labs) <= set(aspects):
        lacking = [a for a in aspects if a not in labs]
        if lacking:
            raise RankInputError(f"{source}: the matrix compares aspects but lacks {lacking}; "
                                 f"compare all of {aspects}")
        e = np.zeros((len(labs), len(codes)))
        for i, a in enumerate(labs):
            cols = (crit["aspect"] == a).to_numpy()
            e[i, cols] = 1.0 / cols.sum()
        return "aspect", e
    if set(labs) <= set(codes):
        lacking = [c for c in codes if c not in labs]
        if lacking:
            raise RankInputError(f"{source}: the matrix compares criteria but lacks {lacking}; "
                                 f"compare all of {codes}")
        e = np.zeros((len(labs), len(codes)))
        for i, c in enumerate(labs):
            e[i, codes.index(c)] = 1.0
        return "criterion", e
    raise RankInputError(f"{source}: labels {labs} mix aspects and criteria; use either the aspects "
                         f"{aspects} or the criterion codes {codes}")


def _read_matrices(paths, known) -> dict[str, pd.DataFrame]:
    """One matrix per file; a single Excel workbook with several sheets gives one per sheet."""
    if len(paths) == 1 and Path(paths[0]).suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        mats = read_pairwise_workbook(paths[0], known_labels=known)
        if len(mats) == 1:
            return {Path(paths[0]).stem: next(iter(mats.values()))}
        return mats
    out = {}
    for p in paths:
        name = Path(p).stem
        if name in out:
            name = str(p)
        out[name] = read_pairwise(p, known_labels=known)
    return out


def _judgement_advice(result, k: int) -> list[str]:
    lines = []
    for row in result.diagnose(top=k).itertuples(index=False):
        lines.append(f"  {row.row} vs {row.column}: given {_fmt_judgement(row.given)}, the weights "
                     f"imply {row.implied:.2f}, the other judgements {row.indirect:.2f}; "
                     f"{_fmt_judgement(row.suggested)} instead would give CR {row.cr_if_revised:.3f}")
    return lines


def derive_ahp(paths, crit: pd.DataFrame, *, out=None, err=None, diagnose: int = 3):
    """Read pairwise file(s), compute (group) AHP, print; return (result, group, level, expand)."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    known = list(dict.fromkeys(crit["aspect"])) + crit["code"].tolist()
    mats = _read_matrices(paths, known)
    first = next(iter(mats))
    level, expand = _labels_level(mats[first].index, crit, str(paths[0]))
    for name, mat in mats.items():
        _labels_level(mat.index, crit, name)
    group = group_ahp(mats) if len(mats) > 1 else None
    result = group.group if group is not None else ahp_weights(mats[first], check=False)
    if group is not None:
        print(f"Group AHP over {len(mats)} stakeholders ({level} level), element-wise geometric mean",
              file=out)
        tab = group.weights_table()
        print(tab.round(3).to_string(), file=out)
        print("\nConsistency by stakeholder:", file=out)
        print(group.consistency_table().round({"lambda_max": 3, "ci": 3, "cr": 3}).to_string(index=False),
              file=out)
        for name, r in group.members.items():
            if not r.consistent:
                print(f"warning: stakeholder '{name}': CR = {r.cr:.3f} > {CR_THRESHOLD:.2f}; "
                      f"judgements to revise first:", file=err)
                for line in _judgement_advice(r, diagnose):
                    print(line, file=err)
    else:
        print(f"AHP weights ({level} level) from {paths[0]}", file=out)
        print(result.weights_series().round(4).to_string(), file=out)
    print(f"\nlambda_max = {result.lambda_max:.4f}, CI = {result.ci:.4f}, "
          f"RI = {result.ri:.2f} ({result.ri_source}), CR = {result.cr:.4f} "
          f"-> {'acceptable (<= 0.10)' if result.consistent else 'INCONSISTENT (> 0.10)'}", file=out)
    if not result.consistent:
        who = "group matrix" if group is not None else "matrix"
        print(f"warning: CR = {result.cr:.3f} > {CR_THRESHOLD:.2f}: the {who} is inconsistent; "
              f"judgements to revise first:", file=err)
        for line in _judgement_advice(result, diagnose):
            print(line, file=err)
    return result, group, level, expand


def rank_locations(scored: pd.DataFrame, profile, method: str = "official", *, weights_file=None, ahp_files=None,
                   basis: str = "scores", v: float = 0.5, draws: int = 0, seed=None, top_k: int = 10,
                   robust_method: str | None = None, judgement_steps: int = 1, share_error: float | None = None,
                   quiet: bool = False, lang: str = "en") -> tuple[pd.DataFrame, list[str]]:
    """Rank a scored table with a method and weights, optionally with SMAA robustness columns.

    The one call behind ``kotaku-decide rank`` and the hearing run. Returns the table (sorted by
    rank; rank 1 = handle first) and notes that say what was done (method, weights, draws, seed), in
    ``lang`` (templates in the ``rank`` section of the label catalogue).
    """
    T = lambda k: label("rank", k, lang)  # noqa: E731
    if draws < 0:
        raise RankInputError(f"draws must be >= 0; got {draws}")
    if share_error is not None and basis != "shares":
        raise RankInputError("a share error perturbs shares: use it with basis 'shares'")
    if share_error is not None and share_error < 0:
        raise RankInputError(f"share error must be >= 0; got {share_error}")
    if top_k < 1:
        raise RankInputError(f"top-k must be >= 1; got {top_k}")
    crit = criteria_frame(profile)
    codes = crit["code"].tolist()
    notes: list[str] = []
    weights = None
    ahp_result = None
    expand = None
    if weights_file:
        ws = read_weights(weights_file, crit)
        weights = ws.weights
        total = float(ws.given.sum())
        note = (T("weights_file") if abs(total - 1.0) <= 1e-9 else T("weights_file_normalised")).format(
            level=T(f"level_{ws.level}"), file=Path(ws.source).name, total=f"{total:g}")
        notes.append(note + (T("aspect_spread") if ws.level == "aspect" else ""))
    elif ahp_files:
        import io

        sink = io.StringIO()
        ahp_result, _, level, expand = derive_ahp(list(ahp_files), crit, out=sink if quiet else None,
                                                   err=sink if quiet else None)
        weights = pd.Series(ahp_result.weights @ expand, index=codes, name="weight")
        notes.append(T("ahp_weights").format(level=T(f"level_{level}"), cr=_num(ahp_result.cr, 3, lang)))
    elif method != "official":
        notes.append(T("equal_weights"))
    if method == "official" and weights is not None:
        notes.append(T("official_ignores_weights"))
    if len(scored) == 0:
        raise RankInputError("no locations to rank")
    out = scored[[c for c in _ID_COLUMNS if c in scored.columns]].copy()
    official = rank_table(scored, crit, "official")
    res = rank_table(scored, crit, method, weights, basis=basis, v=v)
    out["method"] = method
    out["score"] = res["score"]
    out["rank"] = res["rank"]
    out["official_rank"] = official["rank"]
    out["rank_change"] = out["official_rank"] - out["rank"]
    if method == "vikor":
        for c in ("vikor_S", "vikor_R", "vikor_compromise"):
            out[c] = res[c]
        notes.append(T("vikor").format(v=v, c1=_yes_no(res.attrs["vikor_advantage"], lang),
                                       c2=_yes_no(res.attrs["vikor_stability"], lang),
                                       n=int(res["vikor_compromise"].sum())))
    basis = "scores" if method == "official" else basis
    notes.insert(0, T("method").format(method=method, basis=T(f"basis_{basis}")) if method != "official"
                 else T("official"))
    if draws:
        robust = robust_method or ("topsis" if method == "topsis" else "wsm")
        x = decision_matrix(scored, codes, basis)
        if ahp_result is not None:
            sampler = AHPSampler(ahp_result.matrix, expand=expand, max_steps=judgement_steps)
        else:
            sampler = SimplexSampler(len(codes))
        sm = smaa(x, weights=sampler, n_draws=draws, method=robust, top_k=top_k,
                  data_sd=share_error, seed=seed, tiebreak=tiebreak_keys(scored, codes))
        t = sm.table
        t.index = out.index
        for c in t.columns:
            out[c] = t[c]
        notes.append(T("robustness").format(
            n=sm.n_draws, method=robust, basis=T(f"basis_{basis}"), sampler=_sampler_text(sampler, sm, lang),
            share_error=T("share_error").format(sd=share_error) if share_error else "", seed=sm.seed_entropy))
        if sm.cr is not None:
            notes.append(T("perturbed").format(share=f"{np.mean(sm.cr > CR_THRESHOLD):.0%}"))
    out = out.sort_values("rank", kind="mergesort")
    out.attrs["weights"] = None if weights is None else [float(w) for w in weights]
    return out, notes


def _num(x: float, digits: int, lang: str) -> str:
    s = f"{x:.{digits}f}"
    return s.replace(".", ",") if lang == "id" else s


def _yes_no(v, lang: str):
    return label("boolean", bool(v), lang) if isinstance(v, (bool, np.bool_)) else v


def _sampler_text(sampler, sm, lang: str) -> str:
    """What the robustness draws vary, in ``lang`` (the sampler's own ``describe()`` is English)."""
    T = lambda k: label("rank", k, lang)  # noqa: E731
    if isinstance(sampler, SimplexSampler):
        return T("sampler_simplex").format(n=sampler.n_criteria)
    if isinstance(sampler, AHPSampler):
        return T("sampler_ahp").format(kind=T("ahp_continuous" if sampler.continuous else "ahp_steps"),
                                       steps=sampler.max_steps)
    return sm.description or T("sampler_given")
