"""Post-processing: plan table, end condition (re-scored), yearly indicators and money.

Everything here works from a *works table* (one row per chosen option: ``option_row`` and
``year``) or a *plan table* (one row per work and source), never from the model's internals,
so the same functions serve the optimiser, the greedy rule and any plan a user edits by hand.
The end condition is re-scored with the official scoring functions
(:func:`kotaku_decide.score.scoring.score_permen`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.profiles import SLUM_LEVELS
from ..score.clearance import clearance, cleared
from ..score.scoring import contribution_of_handling, denominator_matrix, score_permen, volume_matrix
from .inputs import AllocationInput

__all__ = ["AllocationResult", "works_from_model", "plan_from_model", "end_condition", "cleared_years",
           "baseline_arrays", "yearly_indicators", "money_table", "evaluate_plan", "works_from_plan", "PLAN_COLUMNS"]

PLAN_COLUMNS = ["location_id", "name", "kelurahan", "kecamatan", "criterion", "option", "work_id", "work",
                "quantity", "unit", "year", "source", "cost_rp", "work_cost_rp", "unit_cost_rp", "score_before",
                "score_after"]


@dataclass
class AllocationResult:
    """What an allocation returns (API and CLI).

    Attributes
    ----------
    plan : DataFrame, one row per work and paying source (:data:`PLAN_COLUMNS`; ``cost_rp`` [Rp])
    before_after : DataFrame, one row per location: totals, levels, average condition and
        contribution of handling before and after, cleared year
    yearly : DataFrame, per year: slum hectares left, water and sanitation shares [%]
    money : DataFrame, per source and year: budget, available, used, left [Rp]
    report : :class:`~.solve.SolveReport` (or a greedy report)
    shortfall : :class:`~.diagnose.Shortfall` or None
    scenario : resolved scenario (YAML text via ``scenario.to_yaml()``)
    """

    plan: pd.DataFrame
    before_after: pd.DataFrame
    yearly: pd.DataFrame
    money: pd.DataFrame
    report: object
    scenario: object
    method: str = "milp"
    shortfall: object = None
    evaluation: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)

    @property
    def clearance_rule(self):
        """The :class:`~kotaku_decide.data.profiles.ClearanceRule` the plan was counted under."""
        from ..data.profiles import load_profile

        sc = self.scenario
        if sc is None or not hasattr(sc, "values"):
            return None
        return load_profile(sc["profile"]).clearance_rule(sc["options.clearance_rule"])

    def summary(self) -> str:
        r = self.report
        lines = [f"method: {self.method}; status: {getattr(r.status, 'value', r.status)}; "
                 f"proven optimal: {r.proven_optimal}"]
        if r.objective is not None:
            lines.append(f"objective ({r.objective_kind}): {r.objective:,.3f}; best bound: "
                         f"{r.best_bound if r.best_bound is None else f'{r.best_bound:,.3f}'}; gap: {r.gap}")
        if self.evaluation:
            e = self.evaluation
            lines.append(f"cleared: {e['cleared_ha']:.2f} ha of {e['slum_ha_before']:.2f} slum ha; "
                         f"spend Rp {e['cost_rp'] / 1e9:,.2f} bn")
            rule = self.clearance_rule
            if rule is not None:
                lines.append(f"cleared means: {rule.label('en')} (rule {rule.name}, {rule.status})")
        if r.message:
            lines.append(r.message)
        if self.shortfall is not None and str(self.shortfall) not in (r.message or ""):
            lines.append(str(self.shortfall))
        lines.append(f"data status: {r.data_status}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
def works_from_model(model) -> pd.DataFrame:
    """Chosen options (``option_row``, ``year``) from a solved model."""
    if model.values is None:
        return pd.DataFrame(columns=["option_row", "year"])
    chosen = np.argwhere(model.values[model.xcol] > 0.5)
    rows = sorted((int(o), model.inp.years[int(y)]) for o, y in chosen)
    return pd.DataFrame(rows, columns=["option_row", "year"])


def plan_from_model(model) -> pd.DataFrame:
    """Plan table (one row per work and source) from a solved model's money variables."""
    inp = model.inp
    cols = ["option_row", "year", "source", "cost_rp"]
    if model.values is None:
        return _plan_rows(inp, pd.DataFrame(columns=cols))
    vals = model.values
    chosen = model.values[model.xcol] > 0.5
    cost = inp.options["cost_rp"].to_numpy(float)
    recs = []
    for (i, g), (srcs, rows) in sorted(model.groups.items()):
        for yi, year in enumerate(inp.years):
            ch = [o for o in rows if chosen[o, yi]]
            if not ch:
                continue
            paid = {s: max(vals[model.mcol[(i, g, yi, s)]], 0.0) * 1e6 for s in srcs}
            tot = sum(paid.values())
            for s in srcs:
                if paid[s] <= 1e-3:
                    continue
                frac = paid[s] / tot if tot > 0 else 0
                for o in ch:
                    recs.append((o, year, s, cost[o] * frac))
    return _plan_rows(inp, pd.DataFrame(recs, columns=cols))


def _plan_rows(inp: AllocationInput, df: pd.DataFrame) -> pd.DataFrame:
    o = inp.options.loc[df["option_row"].to_numpy()].reset_index()
    loc = inp.locations.set_index("location_id")
    out = pd.DataFrame({
        "option_row": df["option_row"].to_numpy(), "location_id": o["location_id"].to_numpy(),
        "name": loc.loc[o["location_id"], "name"].to_numpy(),
        "kelurahan": loc.loc[o["location_id"], "kelurahan"].to_numpy(),
        "kecamatan": loc.loc[o["location_id"], "kecamatan"].to_numpy(),
        "criterion": o["criterion"].to_numpy(), "option": o["option"].to_numpy(), "work_id": o["work_id"].to_numpy(),
        "work": o["work"].to_numpy(), "quantity": o["quantity"].to_numpy(), "unit": o["unit"].to_numpy(),
        "year": df["year"].to_numpy(int), "source": df["source"].to_numpy(),
        "cost_rp": df["cost_rp"].to_numpy(float), "work_cost_rp": o["cost_rp"].to_numpy(float),
        "unit_cost_rp": o["unit_cost_rp"].to_numpy(float),
        "score_before": o["score_before"].to_numpy(), "score_after": o["score_after"].to_numpy()})
    return out.sort_values(["location_id", "year", "option_row", "source"]).reset_index(drop=True)


def works_from_plan(plan: pd.DataFrame) -> pd.DataFrame:
    """One row per work (location, criterion, option, year) from a plan table."""
    cols = ["location_id", "criterion", "option", "year", "quantity", "work_id"]
    return plan.groupby(cols[:4], sort=True).agg(quantity=("quantity", "first"), work_id=("work_id", "first"),
                                                  cost_rp=("cost_rp", "sum")).reset_index()


# ------------------------------------------------------------------------------------------------
def _volumes_after(inp: AllocationInput, works: pd.DataFrame, upto_year: int | None):
    """Volumes after the works done by ``upto_year`` (None = all), and the resettled mask."""
    prof = inp.profile
    V = volume_matrix(inp.locations, prof).copy()
    pos = {lid: i for i, lid in enumerate(inp.locations["location_id"])}
    col = {c: j for j, c in enumerate(prof.codes)}
    resettled = np.zeros(len(V), bool)
    w = works if upto_year is None else works[works["year"] <= upto_year]
    for lid, c, q in zip(w["location_id"], w["criterion"], w["quantity"]):
        i = pos[lid]
        if c == "resettlement":
            resettled[i] = True
        elif c in col:
            V[i, col[c]] = max(V[i, col[c]] - float(q), 0.0)  # floored at 0 (slum-scoring.md)
    return V, resettled


@dataclass(frozen=True)
class BaselineArrays:
    """Arrays of a locations table at the baseline that the re-scoring needs again and again."""

    D: np.ndarray  #: denominators (locations x criteria)
    V0: np.ndarray  #: affected volumes at the baseline (locations x criteria)
    slum0: np.ndarray  #: slum at the baseline (total >= the profile's slum threshold)
    cleared0: np.ndarray  #: cleared under the rule with no works (and nobody resettled)
    pos: dict  #: location_id -> row position
    col: dict  #: criterion code -> column


#: id(locations) -> (weak reference to the locations table, profile, clearance rule, BaselineArrays)
_BASELINES: dict = {}
_BASELINES_KEEP = 8


def baseline_arrays(inp: AllocationInput) -> BaselineArrays:
    """The baseline arrays of ``inp.locations`` under its profile and clearance rule.

    Computed once per locations table and kept while that table lives: the variants of an input
    (other costs, budgets, options) share its locations table, so the evidence's thousands of
    re-scorings read the baseline once. Keyed on the table's identity (prepared inputs are
    read-only by convention) and checked through a weak reference, so a table that is gone (and
    a new one at the same address) is never mistaken for it. The arrays are read-only.
    """
    loc, prof, rule = inp.locations, inp.profile, inp.clearance
    hit = _BASELINES.get(id(loc))
    if hit is not None and hit[0]() is loc and hit[1] is prof and hit[2] == rule:
        return hit[3]
    D = denominator_matrix(loc, prof)
    V0 = volume_matrix(loc, prof)
    scored = score_permen(V0, D, prof)
    slum0 = scored["total"] >= inp.threshold
    cleared0 = clearance(V0, D, prof, rule, None, scored=scored).cleared
    for a in (D, V0, slum0, cleared0):
        a.setflags(write=False)
    base = BaselineArrays(D=D, V0=V0, slum0=slum0, cleared0=cleared0,
                          pos={lid: i for i, lid in enumerate(loc["location_id"])},
                          col={c: j for j, c in enumerate(prof.codes)})
    if len(_BASELINES) >= _BASELINES_KEEP:
        _BASELINES.clear()
    _BASELINES[id(loc)] = (weakref.ref(loc), prof, rule, base)
    return base


def cleared_years(inp: AllocationInput, works: pd.DataFrame) -> np.ndarray:
    """First year each location is cleared by the works (re-scored), as floats; NaN where never.

    ``works``: one row per chosen work with ``location_id, criterion, quantity, year``. A location
    counts from the first year of ``inp.years`` by whose end the works done so far clear it under
    the scenario's clearance rule, and only if it was slum at the baseline (the ``cleared_year`` of
    :func:`end_condition`).

    Only the locations with works are re-scored, all years in one call: scoring is row by row,
    so the other locations keep their baseline result (the same numbers as re-scoring the whole
    table every year, in a fraction of the time).
    """
    base = baseline_arrays(inp)
    prof, years = inp.profile, list(inp.years)
    n = len(base.V0)
    lids = works["location_id"].tolist()
    crits = works["criterion"].tolist()
    qtys = works["quantity"].tolist()
    wyears = works["year"].tolist()
    touched = sorted({base.pos[lid] for lid in lids})
    ok = np.repeat(base.cleared0[None, :], len(years), axis=0)  # (years, locations)
    if touched:
        at = {i: k for k, i in enumerate(touched)}
        T = len(touched)
        V = np.empty((len(years) * T, base.V0.shape[1]))
        res = np.zeros(len(years) * T, bool)
        for yi, y in enumerate(years):
            Vy = base.V0[touched].copy()
            for lid, c, q, wy in zip(lids, crits, qtys, wyears):  # in table order, as _volumes_after
                if not wy <= y:
                    continue
                k = at[base.pos[lid]]
                if c == "resettlement":
                    res[yi * T + k] = True
                elif c in base.col:
                    j = base.col[c]
                    Vy[k, j] = max(Vy[k, j] - float(q), 0.0)  # floored at 0 (slum-scoring.md)
            V[yi * T:(yi + 1) * T] = Vy
        D = np.tile(base.D[touched], (len(years), 1))
        hit = cleared(V, D, prof, inp.clearance, res)  # the scenario's clearance rule
        ok[:, touched] = hit.reshape(len(years), T)
    cleared_year = np.full(n, np.nan)
    for yi in reversed(range(len(years))):
        cleared_year = np.where(ok[yi] & base.slum0, years[yi], cleared_year)
    return cleared_year


def end_condition(inp: AllocationInput, works: pd.DataFrame) -> pd.DataFrame:
    """Before / after per location: re-scored totals, levels, average condition, contribution.

    ``works``: one row per chosen work with ``location_id, criterion, quantity, year``.
    Resettled locations leave the slum list at that site (level ``resettled``, total 0).
    """
    prof = inp.profile
    loc = inp.locations
    D = denominator_matrix(loc, prof)
    V0 = volume_matrix(loc, prof)
    b = score_permen(V0, D, prof)
    V1, res = _volumes_after(inp, works, None)
    a = score_permen(V1, D, prof)
    total_after = np.where(res, 0, a["total"])
    avg_after = np.where(res, 0.0, a["avg_condition"])
    level_after = np.array(SLUM_LEVELS, dtype=object)[a["level"]]
    level_after = np.where(res, "resettled", level_after)
    thr = inp.threshold
    end = clearance(V1, D, prof, inp.clearance, res)
    cleared_year = cleared_years(inp, works)
    out = pd.DataFrame({
        "location_id": loc["location_id"], "name": loc["name"], "kelurahan": loc["kelurahan"],
        "kecamatan": loc["kecamatan"], "area_ha": loc["area_ha"], "legal": loc["legal_alloc"],
        "authority": loc["authority_alloc"],
        "total_before": b["total"], "level_before": np.array(SLUM_LEVELS, dtype=object)[b["level"]],
        "total_after": total_after, "level_after": level_after,
        "avg_condition_before": b["avg_condition"], "avg_condition_after": avg_after,
        "contribution_of_handling": contribution_of_handling(b["avg_condition"], avg_after),
        "resettled": res, "cleared_year": pd.array(np.where(np.isnan(cleared_year), pd.NA, cleared_year),
                                                   dtype="Int64"),
        "cost_rp": loc["location_id"].map(works.groupby("location_id")["cost_rp"].sum()
                                          if "cost_rp" in works else {}).fillna(0.0).to_numpy(float),
    })
    # what the works addressed (aspects of the criteria worked, in the profile's order) and, under a rule
    # with services, the services a slum location still misses at the end
    aspect_of = dict(zip(prof.criteria["code"], prof.criteria["aspect"]))
    order = {a: k for k, a in enumerate(list(prof.aspects) + ["resettlement", "legalisation"])}
    if len(works):
        asp = works.assign(aspect=works["criterion"].map(lambda c: aspect_of.get(c, c)))
        by = asp.groupby("location_id")["aspect"].agg(lambda s: " ".join(sorted(set(s), key=order.get)))
    else:
        by = pd.Series(dtype=object)
    out["aspects_addressed"] = loc["location_id"].map(by).fillna("").to_numpy()
    if end.services:
        missed = [" ".join(m) if (s and not c) else "" for m, s, c in
                  zip(end.services_missed(), b["total"] >= thr, end.cleared)]
        out["services_missed"] = missed
    for j, c in enumerate(prof.codes):
        out[f"score_{c}_before"] = b["scores"][:, j]
        out[f"score_{c}_after"] = np.where(res, 0, a["scores"][:, j])
    return out


def _hh_without(inp: AllocationInput, V: np.ndarray, res: np.ndarray, crits) -> np.ndarray:
    col = {c: j for j, c in enumerate(inp.profile.codes)}
    m = np.max(np.column_stack([V[:, col[c]] for c in crits]), axis=1)
    return np.where(res, 0.0, m)


def yearly_indicators(inp: AllocationInput, works: pd.DataFrame) -> pd.DataFrame:
    """Per year (and the baseline before the first year): slum hectares left, locations left,
    and the 100-0-100 shares: households with safe water (3a and 3b met) and proper sanitation
    (5a and 5b met) [%] over all households of the baseline."""
    prof = inp.profile
    loc = inp.locations
    D = denominator_matrix(loc, prof)
    hh = loc["households"].to_numpy(float).sum()
    area = loc["area_ha"].to_numpy(float)
    slum0 = score_permen(volume_matrix(loc, prof), D, prof)["total"] >= inp.threshold
    rows = []
    for y in [inp.years[0] - 1] + list(inp.years):
        V, res = _volumes_after(inp, works, y)
        slum = slum0 & ~cleared(V, D, prof, inp.clearance, res)  # slum at the baseline, not cleared by y
        w = _hh_without(inp, V, res, inp.water).sum()
        s = _hh_without(inp, V, res, inp.sanitation).sum()
        rows.append({"year": y, "label": "baseline" if y < inp.years[0] else "end of year",
                     "slum_locations": int(slum.sum()), "slum_ha": float(area[slum].sum()),
                     "water_share_pct": 100.0 * (1 - w / hh) if hh else np.nan,
                     "sanitation_share_pct": 100.0 * (1 - s / hh) if hh else np.nan,
                     "spend_rp": float(works.loc[works["year"] == y, "cost_rp"].sum()) if "cost_rp" in works else 0.0})
    return pd.DataFrame(rows)


def money_table(inp: AllocationInput, plan: pd.DataFrame) -> pd.DataFrame:
    """Money per source and year [Rp]: budget, available (with carry-over), used, left.

    With scoped budgets (a province's or a city's money) one row per source, scope and year, with a
    ``scope`` column (``national``, ``province:NAME``, ``city:NAME``); the money used is what the plan
    spends at the locations in that scope.
    """
    f = inp.funding
    rows = []
    n_loc = len(inp.locations)
    ids = inp.locations["location_id"].to_numpy()
    for p, (s, _scope) in enumerate(f.pools):
        if len(plan):
            inside = pd.Series(f.locations_of(p, n_loc), index=ids)
            mine = plan[(plan["source"] == s) & plan["location_id"].map(inside).fillna(False).astype(bool)]
            used = mine.groupby("year")["cost_rp"].sum()
        else:
            used = pd.Series(dtype=float)
        carried = 0.0
        for yi, y in enumerate(f.years):
            budget = float(f.pool_budget_rp[p, yi])
            avail = budget + (carried if f.carry_over[s] else 0.0)
            u = float(used.get(y, 0.0))
            left = avail - u
            row = {"source": s, "label": f.labels.get(s, s), "year": y, "budget_rp": budget,
                   "available_rp": avail, "used_rp": u, "left_rp": left,
                   "carried_to_next_rp": left if f.carry_over[s] else 0.0}
            if f.scoped:
                row = {"source": s, "scope": f.pool_label(p), **{k: v for k, v in row.items() if k != "source"}}
            rows.append(row)
            carried = left
    return pd.DataFrame(rows)


def evaluate_plan(inp: AllocationInput, works: pd.DataFrame) -> dict:
    """Objective values of a plan, recomputed by re-scoring (independent of any model).

    Returns ``hectare_years`` (sum over years of weight x area cleared by that year),
    ``households`` (weighted household-years with water plus sanitation gained),
    ``cost_rp``, ``cleared_ha`` (by the last year) and ``cleared_by_year``.
    """
    prof = inp.profile
    loc = inp.locations
    D = denominator_matrix(loc, prof)
    V0 = volume_matrix(loc, prof)
    area = loc["area_ha"].to_numpy(float)
    slum0 = score_permen(V0, D, prof)["total"] >= inp.threshold
    r0 = np.zeros(len(loc), bool)
    w0 = _hh_without(inp, V0, r0, inp.water)
    s0 = _hh_without(inp, V0, r0, inp.sanitation)
    cand = loc["candidate"].to_numpy(bool)
    hy, hh, by = 0.0, 0.0, {}
    for k, y in enumerate(inp.years):
        V, res = _volumes_after(inp, works, y)
        cl = slum0 & cleared(V, D, prof, inp.clearance, res)
        by[y] = float(area[cl].sum())
        hy += inp.year_weight[k] * by[y]
        gain = (w0 - _hh_without(inp, V, res, inp.water)) + (s0 - _hh_without(inp, V, res, inp.sanitation))
        hh += inp.year_weight[k] * float(gain[cand].sum())
    cost = float(works["cost_rp"].sum()) if "cost_rp" in works and len(works) else 0.0
    return {"hectare_years": hy, "households": hh, "cost_rp": cost, "cost_m": cost / 1e6,
            "cleared_ha": by[inp.years[-1]], "cleared_by_year": by,
            "slum_ha_before": float(area[slum0].sum())}
