"""End condition (kumuh akhir) year by year after works, and the 100-0-100 indicators.

Works are any table with ``location_id, criterion, year`` and a volume (``volume`` for realised
works, ``quantity`` for a plan's): a realised-works table (:mod:`kotaku_decide.data.realised`) or a
plan (``plan.csv`` of ``kotaku-decide allocate``, one row per work and paying source: its quantity
is counted once per work). Volume after = baseline volume - volume done by the end of the year,
floored at 0, re-scored with the profile's official scoring; the clearance rule of the profile
(:mod:`kotaku_decide.score.clearance`) says which slum locations are cleared.

References
----------
.. [1] slum-scoring.md section 1: end condition after investment and contribution of handling
       (kontribusi penanganan), as in Pekalongan "Motor Kawanku".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.profiles import SLUM_LEVELS, ClearanceRule, Profile
from ..score.clearance import clearance, resolve_rule
from ..score.scoring import contribution_of_handling, denominator_matrix, score_permen, volume_matrix

__all__ = ["work_volumes", "volumes_after", "condition_by_year", "yearly_indicators"]

# households count for the 100-0-100 water and sanitation shares through the profile's ``water`` and
# ``wastewater`` aspects (3a/3b, 5a/5b): a household has safe water when no water criterion affects it
# (the allocation's yearly indicators use the same)


def work_volumes(works: pd.DataFrame) -> pd.DataFrame:
    """One row per work (``location_id, criterion, year, volume, cost_rp``) from realised works or a plan.

    A plan repeats a work's ``quantity`` on each paying source's row: it is counted once per
    (location, criterion, option, year), and the costs are summed. Realised rows are summed as they are.
    """
    if "volume" in works.columns:
        w = works.assign(cost_rp=works["cost_rp"] if "cost_rp" in works else 0.0)
        return (w.groupby(["location_id", "criterion", "year"], sort=True)
                .agg(volume=("volume", "sum"), cost_rp=("cost_rp", "sum")).reset_index())
    if "quantity" not in works.columns:
        raise ValueError("works need a 'volume' (realised) or 'quantity' (plan) column")
    keys = ["location_id", "criterion"] + (["option"] if "option" in works.columns else []) + ["year"]
    w = works.groupby(keys, sort=True).agg(volume=("quantity", "first"), cost_rp=("cost_rp", "sum")).reset_index()
    return (w.groupby(["location_id", "criterion", "year"], sort=True)
            .agg(volume=("volume", "sum"), cost_rp=("cost_rp", "sum")).reset_index())


def volumes_after(baseline: pd.DataFrame, profile: Profile, works: pd.DataFrame,
                  upto_year: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Volumes left (n x criteria) after the works done by the end of ``upto_year`` (None: all), and
    the resettled mask (households resettled at least the location's households).

    ``works`` as :func:`work_volumes` returns. Unknown ids or criteria raise ``KeyError`` (validate
    the works first); ``legalisation`` changes no volume.
    """
    V = volume_matrix(baseline, profile).copy()
    pos = {lid: i for i, lid in enumerate(baseline["location_id"].astype(str))}
    col = {c: j for j, c in enumerate(profile.codes)}
    hh = baseline["households"].to_numpy(float)
    moved = np.zeros(len(V))
    w = works if upto_year is None else works[works["year"] <= upto_year]
    for lid, c, q in zip(w["location_id"].astype(str), w["criterion"], w["volume"].astype(float)):
        i = pos[lid]
        if c == "resettlement":
            moved[i] += q
        elif c in col:
            V[i, col[c]] = max(V[i, col[c]] - q, 0.0)  # floored at 0 (slum-scoring.md section 1)
        elif c != "legalisation":
            raise KeyError(f"unknown criterion {c!r} for profile {profile.name}")
    resettled = (moved > 0) & (moved >= hh * (1 - 1e-9))
    return V, resettled


def _hh_without(V: np.ndarray, resettled: np.ndarray, profile: Profile, crits) -> np.ndarray:
    col = {c: j for j, c in enumerate(profile.codes)}
    m = np.max(np.column_stack([V[:, col[c]] for c in crits]), axis=1)
    return np.where(resettled, 0.0, m)


def condition_by_year(baseline: pd.DataFrame, profile: Profile, works: pd.DataFrame, years: list[int],
                      rule: ClearanceRule | str | None = None) -> pd.DataFrame:
    """Per location and year (and the baseline, ``year = years[0] - 1``): the end condition.

    Returns
    -------
    DataFrame
        ``location_id, year, total, level, avg_condition`` [%], ``contribution`` (kontribusi
        penanganan against the baseline, 0-1), ``resettled``, ``slum_before`` (slum at the baseline:
        total at or above the profile's slum threshold), ``cleared`` (a baseline slum location
        cleared under the rule), ``slum`` (baseline slum and not cleared), ``service_<aspect>`` [%]
        for the rule's services, ``services_missed`` (the rule's aspects still under the minimum)
        and ``score_<code>`` per criterion.
    """
    rule = resolve_rule(profile, rule)
    w = work_volumes(works) if "volume" not in works.columns or "cost_rp" not in works.columns else works
    D = denominator_matrix(baseline, profile)
    ids = baseline["location_id"].astype(str).to_numpy()
    s0 = score_permen(volume_matrix(baseline, profile), D, profile)
    slum0 = s0["total"] >= profile.slum_threshold
    frames = []
    for y in [years[0] - 1] + list(years):
        V, res = volumes_after(baseline, profile, w, y)
        s = score_permen(V, D, profile)
        c = clearance(V, D, profile, rule, resettled=res, scored=s)
        avg = np.where(res, 0.0, s["avg_condition"])
        f = pd.DataFrame({"location_id": ids, "year": y, "total": np.where(res, 0, s["total"]),
                          "level": np.where(res, "resettled", np.array(SLUM_LEVELS, dtype=object)[s["level"]]),
                          "avg_condition": avg, "contribution": contribution_of_handling(s0["avg_condition"], avg),
                          "resettled": res, "slum_before": slum0, "cleared": slum0 & c.cleared,
                          "slum": slum0 & ~c.cleared})
        for k, a in enumerate(c.services):
            f[f"service_{a}"] = c.service_pct[:, k]
        f["services_missed"] = [" ".join(m) for m in c.services_missed()]
        for j, code in enumerate(profile.codes):
            f[f"score_{code}"] = s["scores"][:, j]
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["rule"] = rule.name
    return out


def yearly_indicators(baseline: pd.DataFrame, profile: Profile, works: pd.DataFrame, years: list[int],
                      rule: ClearanceRule | str | None = None, condition: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 100-0-100 indicators per year (and the baseline before the first year).

    Returns
    -------
    DataFrame
        ``year``, ``slum_locations`` and ``slum_ha`` left (baseline slum locations not cleared under
        the rule), ``cleared_locations``, ``cleared_ha``, ``water_share_pct`` and
        ``sanitation_share_pct`` (households with safe water: neither 3a nor 3b; with proper
        sanitation: neither 5a nor 5b; over all the baseline's households [%]) and ``spend_rp``
        (money spent in the year [Rp]).
    """
    w = work_volumes(works)
    cond = condition if condition is not None else condition_by_year(baseline, profile, w, years, rule)
    area = baseline["area_ha"].to_numpy(float)
    hh = baseline["households"].to_numpy(float).sum()
    spend = w.groupby("year")["cost_rp"].sum()
    rows = []
    for y in [years[0] - 1] + list(years):
        c = cond[cond["year"] == y]
        slum, clr = c["slum"].to_numpy(bool), c["cleared"].to_numpy(bool)
        V, res = volumes_after(baseline, profile, w, y)
        wat = _hh_without(V, res, profile, profile.aspect_codes("water")).sum()
        san = _hh_without(V, res, profile, profile.aspect_codes("wastewater")).sum()
        rows.append({"year": y, "slum_locations": int(slum.sum()), "slum_ha": float(area[slum].sum()),
                     "cleared_locations": int(clr.sum()), "cleared_ha": float(area[clr].sum()),
                     "water_share_pct": 100.0 * (1 - wat / hh) if hh else np.nan,
                     "sanitation_share_pct": 100.0 * (1 - san / hh) if hh else np.nan,
                     "spend_rp": float(spend.get(y, 0.0))})
    return pd.DataFrame(rows)
