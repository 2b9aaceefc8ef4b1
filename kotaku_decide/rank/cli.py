"""Command-line sub-commands ``ahp`` and ``rank`` (wired into ``kotaku-decide`` by
:func:`register`).

``kotaku-decide ahp PAIRWISE.csv [MORE.csv ...] [--out weights.csv]``
    Weights and consistency ratio from a pairwise matrix over aspects or criteria; several files
    (or one Excel workbook with one sheet per stakeholder) are combined by group AHP. Warns when
    a CR exceeds 0.10 and names the judgements to revise first.

``kotaku-decide rank FILE --method official|wsm|topsis|vikor [--weights W.csv | --ahp P.csv]
[--draws N --seed S] --out OUT.csv``
    Scores the baseline with the regulation, ranks with the method and writes one row per
    location (rank 1 = handle first), with robustness columns when ``--draws`` is given.

Each command function returns an exit status: 0 on success, 1 when an input is not usable (the
message, naming file, row, column and value, goes to stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .ahp import (CR_THRESHOLD, _fmt_judgement, ahp_weights, group_ahp, read_pairwise,
                  read_pairwise_workbook)
from .methods import METHODS, rank_table, tiebreak_keys, decision_matrix
from .robustness import AHPSampler, SimplexSampler, smaa
from .weights import RankInputError, criteria_frame, read_weights

__all__ = ["register", "cmd_ahp", "cmd_rank"]

DEFAULT_REGULATION = "permen-14-2018"
_ID_COLUMNS = ("location_id", "name", "kelurahan", "kecamatan", "total_score", "slum_level")


# ----------------------------------------------------------------------------------------------
# wiring
# ----------------------------------------------------------------------------------------------
def register(subparsers) -> None:
    """Add the ``ahp`` and ``rank`` sub-commands to an argparse subparsers object.

    Each parser gets ``func`` (called with the parsed namespace, returns the exit status).
    """
    p = subparsers.add_parser(
        "ahp", help="weights and consistency ratio from AHP pairwise comparisons",
        description="Weights (principal eigenvector) and consistency ratio (Saaty) from a pairwise-"
                    "comparison matrix over aspects or criteria. Several files, or one Excel "
                    "workbook with one sheet per stakeholder, are combined by group AHP "
                    "(element-wise geometric mean).")
    p.add_argument("pairwise", nargs="+", metavar="PAIRWISE",
                   help="CSV or Excel: header = column labels, first column = row labels, cells = "
                        "judgements on the 1-9 scale (3, 1/3); lower triangle may be empty")
    p.add_argument("--out", metavar="WEIGHTS.csv",
                   help="write the (group) weights as aspect,weight or criterion,weight "
                        "(usable as 'rank --weights')")
    p.add_argument("--regulation", default=DEFAULT_REGULATION,
                   help=f"regulation profile whose aspects/criteria label the matrix "
                        f"(default {DEFAULT_REGULATION})")
    p.add_argument("--diagnose", type=int, default=3, metavar="K",
                   help="judgements to name when CR > 0.10 (default 3)")
    p.set_defaults(func=cmd_ahp)

    r = subparsers.add_parser(
        "rank", help="rank locations by the official total, weighted sum, TOPSIS or VIKOR",
        description="Score a baseline with the regulation and rank its locations (rank 1 = handle "
                    "first). With --draws, add SMAA robustness: probability of rank 1 and of the "
                    "top k, median rank and 90 %% interval under uncertain weights.")
    r.add_argument("file", metavar="FILE", help="baseline CSV or Excel (give it before --ahp)")
    r.add_argument("--method", choices=METHODS, default="official",
                   help="ranking method (default official)")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--weights", metavar="W.csv",
                   help="weights file with columns criterion,weight or aspect,weight")
    g.add_argument("--ahp", nargs="+", metavar="PAIRWISE",
                   help="pairwise file(s) to derive the weights by (group) AHP; with --draws the "
                        "judgements are perturbed")
    r.add_argument("--basis", choices=("scores", "shares"), default="scores",
                   help="matrix for wsm/topsis/vikor: official 0/1/3/5 scores (default) or the "
                        "shares in %%")
    r.add_argument("--v", type=float, default=0.5, help="VIKOR weight of group utility (default 0.5)")
    r.add_argument("--draws", type=int, default=0, metavar="N",
                   help="robustness draws (0 = none)")
    r.add_argument("--seed", type=int, default=None, metavar="S", help="random seed for --draws")
    r.add_argument("--top-k", type=int, default=10, metavar="K",
                   help="report the probability of being in the top K (default 10)")
    r.add_argument("--robust-method", choices=("wsm", "topsis"), default=None,
                   help="method inside the robustness simulation (default: topsis if --method "
                        "topsis, else wsm)")
    r.add_argument("--judgement-steps", type=int, default=1, metavar="STEPS",
                   help="with --ahp and --draws: move each judgement by up to STEPS scale steps "
                        "(default 1)")
    r.add_argument("--share-error", type=float, default=None, metavar="SD",
                   help="with --draws and --basis shares: measurement error (standard deviation, "
                        "percentage points) added to every share")
    r.add_argument("--regulation", default=DEFAULT_REGULATION,
                   help=f"regulation profile (default {DEFAULT_REGULATION})")
    r.add_argument("--sheet", default=None, help="Excel sheet of the baseline")
    r.add_argument("--out", required=True, metavar="OUT.csv", help="output .csv or .xlsx")
    r.set_defaults(func=cmd_rank)


# ----------------------------------------------------------------------------------------------
# helpers (kept small so tests can replace the loaders)
# ----------------------------------------------------------------------------------------------
def _load_profile(name: str):
    from kotaku_decide.profiles import load_profile

    return load_profile(name)


def _load_scored(path: str, profile, sheet=None) -> pd.DataFrame:
    """Read, validate and score a baseline with the package's own loaders."""
    from kotaku_decide.scoring import score_table
    from kotaku_decide.validate import load_baseline

    df = load_baseline(path, profile, sheet=sheet)
    return score_table(df, profile)


def _input_errors() -> tuple[type, ...]:
    errs: list[type] = [RankInputError]
    for mod, name in (("kotaku_decide.io", "InputFileError"), ("kotaku_decide.validate", "BaselineError"),
                      ("kotaku_decide.profiles", "ProfileError"), ("kotaku_decide.scoring", "ScoringError")):
        try:
            module = __import__(mod, fromlist=[name])
            errs.append(getattr(module, name))
        except (ImportError, AttributeError):
            pass
    return tuple(errs)


def _write_table(df: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix in (".xlsx", ".xlsm"):
        df.to_excel(path, index=False)
    else:
        raise RankInputError(f"{path}: output must end in .csv or .xlsx")


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


def _derive_ahp(paths, crit: pd.DataFrame, *, out=None, err=None, diagnose: int = 3):
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


# ----------------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------------
def cmd_ahp(args: argparse.Namespace) -> int:
    """``kotaku-decide ahp``: print weights and CR; optionally write the weights file."""
    try:
        profile = _load_profile(args.regulation)
        crit = criteria_frame(profile)
        result, group, level, _ = _derive_ahp(args.pairwise, crit, diagnose=args.diagnose)
        if args.out:
            df = pd.DataFrame({level: list(result.labels), "weight": result.weights})
            if group is not None:
                for name, r in group.members.items():
                    df[f"weight_{name}"] = r.weights
            _write_table(df, args.out)
            print(f"wrote {args.out}")
    except _input_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    """``kotaku-decide rank``: score, rank, optionally SMAA, write OUT."""
    try:
        return _cmd_rank(args)
    except _input_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def rank_locations(scored: pd.DataFrame, profile, method: str = "official", *, weights_file=None, ahp_files=None,
                   basis: str = "scores", v: float = 0.5, draws: int = 0, seed=None, top_k: int = 10,
                   robust_method: str | None = None, judgement_steps: int = 1, share_error: float | None = None,
                   quiet: bool = False, lang: str = "en") -> tuple[pd.DataFrame, list[str]]:
    """Rank a scored table with a method and weights, optionally with SMAA robustness columns.

    The one call behind ``kotaku-decide rank`` and the hearing run. Returns the table (sorted by
    rank; rank 1 = handle first) and notes that say what was done (method, weights, draws, seed), in
    ``lang`` (templates in the ``rank`` section of the label catalogue).
    """
    from kotaku_decide.labels import label

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
        ahp_result, _, level, expand = _derive_ahp(list(ahp_files), crit, out=sink if quiet else None,
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
    from kotaku_decide.labels import label

    return label("boolean", bool(v), lang) if isinstance(v, (bool, np.bool_)) else v


def _sampler_text(sampler, sm, lang: str) -> str:
    """What the robustness draws vary, in ``lang`` (the sampler's own ``describe()`` is English)."""
    from kotaku_decide.labels import label

    T = lambda k: label("rank", k, lang)  # noqa: E731
    if isinstance(sampler, SimplexSampler):
        return T("sampler_simplex").format(n=sampler.n_criteria)
    if isinstance(sampler, AHPSampler):
        return T("sampler_ahp").format(kind=T("ahp_continuous" if sampler.continuous else "ahp_steps"),
                                       steps=sampler.max_steps)
    return sm.description or T("sampler_given")


def _cmd_rank(args) -> int:
    if args.draws < 0:
        raise RankInputError(f"--draws must be >= 0; got {args.draws}")
    if args.share_error is not None and args.basis != "shares":
        raise RankInputError("--share-error perturbs shares: use it with --basis shares")
    if args.top_k < 1:
        raise RankInputError(f"--top-k must be >= 1; got {args.top_k}")
    profile = _load_profile(args.regulation)
    scored = _load_scored(args.file, profile, sheet=args.sheet)
    if len(scored) == 0:
        raise RankInputError(f"{args.file}: no locations to rank")
    out, notes = rank_locations(scored, profile, args.method, weights_file=args.weights, ahp_files=args.ahp,
                                basis=args.basis, v=args.v, draws=args.draws, seed=args.seed, top_k=args.top_k,
                                robust_method=args.robust_method, judgement_steps=args.judgement_steps,
                                share_error=args.share_error)
    _write_table(out, args.out)
    for n in notes:
        print(n)
    show = [c for c in ("location_id", "name", "score", "rank", "official_rank", "p_first",
                        f"p_top_{args.top_k}", "rank_median", "rank_p05", "rank_p95") if c in out.columns]
    print(out[show].head(10).to_string(index=False))
    print(f"wrote {args.out} ({len(out)} locations)")
    return 0
