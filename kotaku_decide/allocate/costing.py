"""Costing as data: the intervention catalogue and the options per location and criterion.

For a location and a criterion the options are: bring the share below the next score bands
(below 76, 51 or 25 %) or to zero. The quantity is the volume to remove, rounded up to the
criterion unit's step (whole buildings, households and metres; 0.01 ha), and is checked with the
official scoring (:func:`kotaku_decide.score.scoring.criterion_scores`) so that the remaining share
really scores the target band after the profile's rounding. Cost = quantity x unit cost x price
index x location factor.

Two location-level options: resettlement (pemukiman kembali; per household, clears the site's slum
hectares at that site) and legalisation of the land (per hectare; allows in-situ works from its
year on).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.profiles import Profile
from ..score.scoring import criterion_scores, criterion_shares, denominator_matrix, volume_matrix

__all__ = ["CostError", "load_catalogue", "choose_works", "build_options", "target_bands", "resolve_targets", "UNIT_STEP",
           "LOCATION_WORKS", "GENERIC_CATALOGUE"]

GENERIC_CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "config" / "cost_catalogue.csv"


def target_bands(profile: Profile) -> dict:
    """Target name -> the band edge [%] the remaining share must fall below (``None``: remove it all).

    From the profile's score bands, highest edge first: ``lt76``, ``lt51``, ``lt25`` and ``zero`` under
    Permen 14/2018 (and 02/2016); a profile with other band edges gives other targets.
    """
    edges = sorted((float(e) for e in profile.score_min_pct if float(e) > 0), reverse=True)
    out = {f"lt{e:g}": e for e in edges}
    out["zero"] = None
    return out


def resolve_targets(names, profile: Profile) -> tuple:
    """The scenario's target names checked against the profile (``all``: every target of the profile)."""
    bands = target_bands(profile)
    names = list(names)
    if "all" in names:
        return tuple(bands)
    bad = [n for n in names if n not in bands]
    if bad:
        raise CostError(f"options.targets: {bad} are not targets of profile {profile.name}; expected some of "
                        f"{list(bands)} or all")
    return tuple(n for n in bands if n in names)
#: Rounding step of a quantity by unit (quantities are rounded up to it).
UNIT_STEP = {"buildings": 1.0, "households": 1.0, "m": 1.0, "ha": 0.01}
#: Pseudo-criteria for the location-level options and their units.
LOCATION_WORKS = {"resettlement": "households", "legalisation": "ha"}
_COLS = ["work_id", "criterion", "work", "unit", "unit_cost_rp", "source", "status"]


class CostError(ValueError):
    """A catalogue that cannot be used, or a needed work without a unit cost."""


def load_catalogue(path: str | Path | pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Read and check an intervention catalogue.

    Parameters
    ----------
    path : CSV path or DataFrame with columns ``work_id, criterion, work, unit, unit_cost_rp,
        source, status`` (``note`` optional). ``criterion`` names the observation the work reduces by
        its data-contract key (``4c`` = poor drain construction, scored as 4c under 14/2018 and 4e
        under 02/2016; ``drain_unconnected`` etc. for 02/2016-only parameters) and may list several separated by
        ``;``. ``unit_cost_rp`` [Rp per unit] may be empty: a work with no known cost. Lines
        starting with ``#`` are comments.
    profile : the regulation profile (criterion codes and units)

    Returns
    -------
    DataFrame, one row per (work, criterion), ``unit_cost_rp`` float (NaN = no known cost).
    """
    if isinstance(path, pd.DataFrame):
        raw, src = path.astype(str).replace({"nan": ""}), "<catalogue>"
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
        src = str(path)
    missing = [c for c in _COLS if c not in raw.columns]
    if missing:
        raise CostError(f"{src}: missing column(s) {missing}; expected {_COLS}")
    problems = []
    units = dict(zip(profile.criteria["code"], profile.criteria["unit"])) | LOCATION_WORKS
    # The catalogue names the observation a work reduces by its data-contract key (vol_<key>), so one
    # catalogue serves every profile: key 4c (poor drain construction) is criterion 4c under 14/2018 and
    # 4e under 02/2016; keys of another profile's criteria (drain_unconnected, ...) are skipped here.
    key_to_code = dict(zip(profile.criteria["input_key"], profile.criteria["code"]))
    from ..data.validate import known_criterion_keys

    other_keys = known_criterion_keys(profile) - set(key_to_code)
    if raw["work_id"].duplicated().any():
        problems.append(f"duplicate work_id {sorted(set(raw.loc[raw['work_id'].duplicated(), 'work_id']))}")
    rows = []
    for i, r in raw.iterrows():
        line = i + 2
        cost_txt = str(r["unit_cost_rp"]).strip()
        cost = np.nan
        if cost_txt:
            try:
                cost = float(cost_txt)
            except ValueError:
                problems.append(f"row {line} ({r['work_id']}): unit_cost_rp {cost_txt!r} is not a number (Rp, no separators)")
                continue
            if not np.isfinite(cost) or cost <= 0:
                problems.append(f"row {line} ({r['work_id']}): unit_cost_rp must be > 0, got {cost_txt}")
                continue
            if not str(r["source"]).strip():
                problems.append(f"row {line} ({r['work_id']}): a unit cost needs its source")
        for key in [c.strip() for c in str(r["criterion"]).split(";") if c.strip()]:
            if key in other_keys:
                continue
            code = key if key in LOCATION_WORKS else key_to_code.get(key)
            if code is None:
                problems.append(f"row {line} ({r['work_id']}): unknown criterion {key!r}; expected a data-contract "
                                f"key ({', '.join(sorted(key_to_code))}) or resettlement / legalisation")
                continue
            if r["unit"] != units[code]:
                problems.append(f"row {line} ({r['work_id']}): unit {r['unit']!r} but criterion {code} is measured in {units[code]!r}")
                continue
            rows.append({**{c: r[c] for c in _COLS}, "criterion": code, "unit_cost_rp": cost,
                         "note": r.get("note", "")})
    if problems:
        raise CostError(f"{src}: " + "; ".join(problems))
    cat = pd.DataFrame(rows, columns=_COLS + ["note"])
    cat.attrs["source"] = src
    return cat


def choose_works(catalogue: pd.DataFrame, work_choice: dict | None = None) -> pd.DataFrame:
    """One work per criterion: the scenario's choice, else the cheapest work with a known cost.

    Criteria with no costed work keep a row with ``unit_cost_rp`` NaN (refused later only if a
    plan option needs them).
    """
    work_choice = work_choice or {}
    out = []
    for code, grp in catalogue.groupby("criterion", sort=True):
        if code in work_choice:
            sel = grp[grp["work_id"] == work_choice[code]]
            if sel.empty:
                raise CostError(f"costs.work_choice: work {work_choice[code]!r} is not a work for criterion {code}; "
                                f"choose one of {list(grp['work_id'])}")
            out.append(sel.iloc[0])
            continue
        costed = grp[grp["unit_cost_rp"].notna()].sort_values(["unit_cost_rp", "work_id"])
        out.append(costed.iloc[0] if len(costed) else grp.sort_values("work_id").iloc[0])
    unknown = set(work_choice) - set(catalogue["criterion"])
    if unknown:
        raise CostError(f"costs.work_choice names criteria with no work in the catalogue: {sorted(unknown)}")
    return pd.DataFrame(out).set_index("criterion")


def _quantities(V: np.ndarray, D: np.ndarray, bound: float | None, step: np.ndarray, profile: Profile) -> np.ndarray:
    """Smallest volume to remove (in whole steps) so the remaining share scores below ``bound`` [%].

    Under half-up rounding to 2 decimals a share below ``bound - 0.005`` already rounds below the
    bound (24.9918 % rounds to 24.99 and scores 0), so the quantity is the least whole number of units
    that gets there; checked both ways with the official scoring. ``None`` removes all of it.
    """
    if bound is None:
        return V.copy()
    from ..score.scoring import score_thresholds

    target = criterion_scores(np.array([bound - 0.01]), profile)[0]
    # the raw-share edge at which a share starts to score at the bound (rounding rule included)
    edge = float(score_thresholds(profile)[np.searchsorted(profile.score_min_pct, bound)])
    keep = edge / 100.0 * D  # remaining volume must stay strictly below this
    q = np.ceil(np.round((V - keep) / step, 9)) * step
    q = np.clip(q, 0.0, V)

    def ok(qq):
        return criterion_scores(criterion_shares(V - qq, D), profile) <= target

    for _ in range(5):  # float noise: step up where the remaining share still scores at the bound
        bad = ~ok(q)
        if not bad.any():
            break
        q = np.where(bad, np.minimum(q + step, V), q)
    for _ in range(2):  # ... and down where one unit less would already do
        less = np.maximum(q - step, 0.0)
        better = (q > 0) & ok(less)
        if not better.any():
            break
        q = np.where(better, less, q)
    return q


def build_options(baseline: pd.DataFrame, profile: Profile, works: pd.DataFrame, *,
                  targets=("all",), price_index: float = 1.0,
                  location_factor: dict | None = None, location_unit_cost: dict | None = None,
                  locations: np.ndarray | None = None, legal: np.ndarray | None = None,
                  resettlement: bool = True, resettlement_on_legal_land: bool = False,
                  legalisation: bool = True) -> pd.DataFrame:
    """All options per location and criterion, plus resettlement / legalisation rows.

    Parameters
    ----------
    baseline : validated baseline (see :func:`kotaku_decide.data.validate.load_baseline`)
    works : one work per criterion (from :func:`choose_works`)
    targets : target names of the profile (:func:`target_bands`; ``all`` = every one)
    price_index, location_factor, location_unit_cost : cost adjustments (factor, per location factor,
        per location and work unit cost [Rp])
    locations : bool mask of the locations that may receive works (default all)
    legal : bool per location, land legal (needed for the resettlement / legalisation rows)

    Returns
    -------
    DataFrame with ``loc`` (row position), ``location_id``, ``criterion``, ``option``,
    ``score_before``, ``score_after``, ``delta_score``, ``volume_before``, ``quantity``,
    ``unit``, ``work_id``, ``work``, ``unit_cost_rp``, ``cost_rp`` [Rp]. Sorted, deterministic.

    Raises
    ------
    CostError
        When an option needs a work with no unit cost (naming the work, criterion and locations).
    """
    n = len(baseline)
    V = volume_matrix(baseline, profile)
    D = denominator_matrix(baseline, profile)
    S0 = criterion_scores(criterion_shares(V, D), profile)
    codes = list(profile.codes)
    units = list(profile.criteria["unit"])
    mask = np.ones(n, bool) if locations is None else np.asarray(locations, bool)
    lf = np.ones(n)
    ids = baseline["location_id"].astype(str).to_numpy()
    pos = {lid: i for i, lid in enumerate(ids)}
    for lid, f in (location_factor or {}).items():
        if lid not in pos:
            raise CostError(f"costs.location_factor: unknown location_id {lid!r}")
        lf[pos[lid]] = float(f)
    bands = target_bands(profile)
    targets = resolve_targets(targets, profile)
    frames = []
    for j, code in enumerate(codes):
        step = np.full(n, UNIT_STEP.get(units[j], 0.01))
        for t in targets:
            bound = bands[t]
            q = _quantities(V[:, j], D[:, j], bound, step, profile)
            sa = criterion_scores(criterion_shares(V[:, j] - q, D[:, j]), profile)
            if bound is None:
                ok = mask & (V[:, j] > 0)
            else:
                # a band option only where it lowers the score and leaves something (else 'zero' covers it)
                ok = mask & (sa < S0[:, j]) & (q < V[:, j]) & (q > 0)
            idx = np.flatnonzero(ok)
            if idx.size == 0:
                continue
            frames.append(pd.DataFrame({
                "loc": idx, "criterion": code, "option": t, "score_before": S0[idx, j], "score_after": sa[idx],
                "volume_before": V[idx, j], "quantity": q[idx], "unit": units[j]}))
    opts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["loc", "criterion", "option", "score_before", "score_after", "volume_before", "quantity", "unit"])
    if legal is not None:
        legal = np.asarray(legal, bool)
        extra = []
        res_ok = mask & (np.ones(n, bool) if resettlement_on_legal_land else ~legal)
        if resettlement and res_ok.any():
            idx = np.flatnonzero(res_ok)
            extra.append(pd.DataFrame({"loc": idx, "criterion": "resettlement", "option": "resettle",
                                       "score_before": S0[idx].sum(axis=1), "score_after": 0,
                                       "volume_before": baseline["households"].to_numpy(float)[idx],
                                       "quantity": baseline["households"].to_numpy(float)[idx], "unit": "households"}))
        leg_ok = mask & ~legal
        if legalisation and leg_ok.any():
            idx = np.flatnonzero(leg_ok)
            extra.append(pd.DataFrame({"loc": idx, "criterion": "legalisation", "option": "legalise",
                                       "score_before": S0[idx].sum(axis=1), "score_after": S0[idx].sum(axis=1),
                                       "volume_before": baseline["area_ha"].to_numpy(float)[idx],
                                       "quantity": baseline["area_ha"].to_numpy(float)[idx], "unit": "ha"}))
        if extra:
            opts = pd.concat([opts] + extra, ignore_index=True)
    opts["loc"] = opts["loc"].astype(np.int64)
    opts["location_id"] = ids[opts["loc"].to_numpy()]
    opts["score_before"] = opts["score_before"].astype(np.int64)
    opts["score_after"] = opts["score_after"].astype(np.int64)
    opts["delta_score"] = opts["score_before"] - opts["score_after"]
    missing_crit = sorted(set(opts["criterion"]) - set(works.index))
    if missing_crit:
        raise CostError(f"the catalogue has no work for criterion(s) {missing_crit}, needed by "
                        f"{int(opts['criterion'].isin(missing_crit).sum())} option(s); add a work with its unit cost")
    w = works.reindex(opts["criterion"])
    opts["work_id"] = w["work_id"].to_numpy()
    opts["work"] = w["work"].to_numpy()
    uc = w["unit_cost_rp"].to_numpy(float) * price_index * lf[opts["loc"].to_numpy()]
    for lid, m in (location_unit_cost or {}).items():
        if lid not in pos:
            raise CostError(f"costs.location_unit_cost: unknown location_id {lid!r}")
        for wid, c in m.items():
            if wid not in set(works["work_id"]):
                raise CostError(f"costs.location_unit_cost.{lid}: {wid!r} is not a work in use; works in use: "
                                f"{sorted(works['work_id'])}")
            sel = (opts["location_id"].to_numpy() == lid) & (opts["work_id"].to_numpy() == wid)
            uc[sel] = float(c) * price_index
    opts["unit_cost_rp"] = uc
    nocost = opts["unit_cost_rp"].isna()
    if nocost.any():
        msgs = []
        for wid, g in opts[nocost].groupby("work_id", sort=True):
            locs = sorted(set(g["location_id"]))
            msgs.append(f"work {wid} ({g['work'].iloc[0]}) for criterion {g['criterion'].iloc[0]} has no unit cost "
                        f"and is needed at {len(locs)} location(s) (e.g. {', '.join(locs[:3])})")
        raise CostError("; ".join(msgs) + ". Give unit_cost_rp in the catalogue (costs are never invented), "
                        "or choose another work with costs.work_choice")
    opts["cost_rp"] = opts["quantity"] * opts["unit_cost_rp"]
    order = {c: k for k, c in enumerate(codes + list(LOCATION_WORKS))}
    opts["_c"] = opts["criterion"].map(order)
    opts["_t"] = opts["option"].map({t: k for k, t in enumerate(list(bands) + ["resettle", "legalise"])})
    opts = opts.sort_values(["loc", "_c", "_t"]).drop(columns=["_c", "_t"]).reset_index(drop=True)
    # a band option that costs as much as a lower target is dominated in every objective but households
    return opts[["loc", "location_id", "criterion", "option", "score_before", "score_after", "delta_score",
                 "volume_before", "quantity", "unit", "work_id", "work", "unit_cost_rp", "cost_rp"]]
