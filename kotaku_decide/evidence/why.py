"""Why each location is or is not funded: status, benefit per rupiah, binding rule, money to enter or leave.

Every number comes from the prepared input or from re-solving variants of the allocation
(:func:`~.core.solve_variant`); nothing is guessed. Terms (see ``docs/evidence.md``):

* **funded**: the plan has works at the location; **cleared**: its re-scored total falls below the
  slum threshold (first year given); **enters** (for a location not cleared by the last year):
  some optimal plan of the changed scenario clears it by the last year - tested as "the plan
  found clears it, or forcing it in loses nothing" (two solves), so alternative optima count;
* **benefit per rupiah**: slum hectares per Rp bn of the location's cheapest clearing package;
  the plan's **cut-off** is the lowest benefit per rupiah among the locations the plan clears;
* **binding rule**: the location is forced in (cleared by the last year) and each rule family is
  relaxed for it alone; the families whose relaxation lets it in with the least loss of
  hectare-years are named (rules before money: ``budget`` is named only when no rule
  relaxation does as well);
* **extra budget to enter**: per eligible source, money added in the first year, searched up a
  grid to the first point where it enters and bisected to ``tol_rp`` below it; non-monotone
  behaviour (entering there and leaving one grid step higher) is reported;
* **marginal value** of money per source and year: + ``delta_rp`` in that source-year, re-solved
  (warm-started from the plan, which stays feasible) - hectare-years gained per Rp bn.
  LP duals are not used: with the integer plan fixed every budget dual is zero (money cannot
  change a fixed plan), and MILP duals mean nothing without fixing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..allocate import AllocationInput, SolverOptions, prepare
from .core import (
    FAMILIES,
    Outcome,
    budget_matrix,
    cheapest_cost,
    default_solver,
    parallel_map,
    plan_value_at,
    solve_variant,
    with_budget,
)
from .text import L, join, money, number, source_name, years_text

__all__ = ["Explanation", "explain", "base_outcome", "enters", "enter_budget", "binding_constraint",
           "marginal_values", "budget_cuts", "sentences"]

_EPS_REL = 1e-6


def _inp(x) -> AllocationInput:
    return x if isinstance(x, AllocationInput) else prepare(x)


def _pos(inp: AllocationInput, location_id) -> int:
    ids = list(inp.locations["location_id"])
    if str(location_id) not in ids:
        raise KeyError(f"unknown location_id {location_id!r}")
    return ids.index(str(location_id))


def base_outcome(inp: AllocationInput, solver: SolverOptions | None = None) -> Outcome:
    """The plan the planner sees: the scenario's objective with its tie-break stage."""
    sc = inp.scenario
    s = solver or SolverOptions(time_limit_s=sc["solver.time_limit_s"], mip_rel_gap=sc["solver.mip_rel_gap"],
                                seed=sc["solver.seed"], subprocess=False,
                                tie_break_time_s=sc["solver.tie_break_time_s"])
    return solve_variant(inp, solver=s, tie_break=True, want_plan=True)


def _tol(obj: float) -> float:
    return max(1e-6, _EPS_REL * abs(obj))


# ------------------------------------------------------------------------------------------------
def _stopped(o: Outcome) -> bool:
    """The re-solve was stopped by a limit (a plan not proven optimal, or none found in time); a solve cut off
    by its ``cutoff`` answered its question (a bound proves it) and is not a limit stop."""
    return not o.cut_off and o.status in ("feasible_not_proven", "time_limit_no_solution")


def enters(inp: AllocationInput, i: int, budget_rp: np.ndarray | None = None, solver=None,
           free_lower: float | None = None) -> tuple[bool, dict]:
    """Does location position ``i`` enter (cleared by the last year in some optimal plan) at these budgets?

    ``free_lower``: a value the free optimum at these budgets is known to reach (a plan found with less
    money). Then the forced solve goes first, and when even its plan falls short of that value the
    location does not enter (one solve instead of two).

    Returns (entered, info) with the objective values of the free and the forced solves, ``solves``
    and ``limit_stops`` (how many of them a time limit stopped before proof), and ``free_plan``
    (objective, works) when the free solve ran.
    """
    last = inp.years[-1]
    lid = inp.locations.at[i, "location_id"]
    forced = None
    if free_lower is not None:
        # only whether the forced optimum reaches free_lower is asked: the solve may stop as soon as its
        # bound proves it does not (a probe of another source settles in a few master solves, not a plan)
        below = free_lower - _tol(free_lower)
        forced = solve_variant(inp, budget_rp=budget_rp, force_in=[i], solver=solver, cutoff=below)
        if forced.cut_off or (forced.has_plan and forced.objective < below):
            return False, {"objective": None, "status": None, "solves": 1, "forced_objective": forced.objective,
                           "forced_status": forced.status, "limit_stops": int(_stopped(forced))}
    free = solve_variant(inp, budget_rp=budget_rp, solver=solver)
    info = {"objective": free.objective, "status": free.status, "solves": 1 if forced is None else 2,
            "limit_stops": int(_stopped(free)) + (0 if forced is None else int(_stopped(forced)))}
    if not free.has_plan:
        return False, info
    info["free_plan"] = (float(free.objective), free.start_keys())
    if lid in free.cleared_by(last):
        info["entering"] = free
        return True, info
    if forced is None:
        forced = solve_variant(inp, budget_rp=budget_rp, force_in=[i], solver=solver)
        info["solves"] = 2
        info["limit_stops"] += int(_stopped(forced))
    info["forced_objective"] = forced.objective
    info["forced_status"] = forced.status
    if not forced.has_plan:
        return False, info
    ok = bool(forced.objective >= free.objective - _tol(free.objective))
    if ok:
        info["entering"] = forced
    return ok, info


def _extra_needed(inp: AllocationInput, plan: Outcome, si: int, yi: int, base_rp: np.ndarray) -> float | None:
    """Least extra money of source ``si`` in year ``yi`` (over ``base_rp``) with which ``plan`` still fits
    that source's budget rows (with carry-over: every later year's running total); None if unknown."""
    if plan is None or plan.spend is None:
        return None
    s = inp.funding.sources[si]
    sp = plan.spend[plan.spend["source"] == s].groupby("year")["cost_rp"].sum()
    used = np.array([float(sp.get(y, 0.0)) for y in inp.years])
    b = base_rp[si]
    if inp.funding.carry_over[s]:
        over = np.cumsum(used)[yi:] - np.cumsum(b)[yi:]
        return max(0.0, float(over.max()))
    return max(0.0, float(used[yi] - b[yi]))


def _sources_of(inp: AllocationInput, i: int) -> list:
    o = inp.options[inp.options["loc"] == i]
    ss = set()
    for t in o["sources"]:
        ss.update(t)
    if inp.unaffordable is not None and len(inp.unaffordable):
        for t in inp.unaffordable.loc[inp.unaffordable["loc"] == i, "sources"]:
            ss.update(t)
    return [s for s in inp.funding.sources if s in ss]


def enter_budget(inp, location_id, *, sources=None, year: int | None = None, tol_rp: float = 1e6,
                 hi_rp: float | None = None, grid: int = 6, max_doublings: int = 3, solver=None,
                 best_only: bool = False, known_out: bool = False) -> pd.DataFrame:
    """Least extra money (per source, in ``year``) at which a location enters the plan.

    Search per source ``s``: the extra amount ``d`` is added to the budget of ``s`` in ``year``
    (default the first year; with carry-over it stays available later). ``enters`` is evaluated
    up a grid ``hi * k / grid`` until the location enters (``hi`` default 1.5 x its cheapest
    clearing package, doubled up to ``max_doublings`` times if it does not enter), and one grid
    step higher: ``monotone`` says it still enters there. The sources whose first bracket
    (not entering at the lower end, entering at the upper) can hold the least amount are then
    bisected until the bracket is narrower than ``tol_rp`` (``bisected``); ``extra_rp`` is the upper
    end: adding it brings the location in; adding ``extra_rp - tol_rp`` does not (when
    ``monotone``). The other sources keep their grid bracket (they cannot do better).

    ``best_only``: only the least amount over the sources is wanted (the explanation's answer). The
    first source is searched as above; each other source is first asked whether it enters with
    less than the best amount so far (one ``enters``): if not, its row says only that it needs at
    least that (``extra_rp`` empty, ``lower_rp`` = best - ``tol_rp``, ``searched`` False); if so, it
    is bisected below the best. ``known_out``: the location is known not to enter at today's budgets
    (no solve for an extra of 0).

    Returns
    -------
    DataFrame per source: ``source, year, extra_rp, lower_rp, found, monotone, solves, limit_stops,
    bisected, searched`` sorted by ``extra_rp`` (not found last); ``limit_stops``: re-solves a time limit
    stopped before proof (their verdict rests on an unproven plan).
    """
    inp = _inp(inp)
    i = _pos(inp, location_id)
    year = int(year or inp.years[0])
    yi = inp.years.index(year)
    srcs = list(sources) if sources is not None else _sources_of(inp, i)
    base_b = budget_matrix(inp)
    k = cheapest_cost(inp, i)
    hi0 = float(hi_rp) if hi_rp is not None else (1.5 * k if np.isfinite(k) and k > 0 else 1e9)
    rows = []
    best = None  # (extra_rp, row) of the least amount found so far (best_only)
    zero = {0.0: (False, None, None)} if known_out else {}  # no extra money: the same question for every source
    plans = {}  # works -> (objective, works): every free plan found, for any source (re-paid, they bound)
    for s in srcs:
        si = inp.funding.sources.index(s)
        cache = {}

        cnt = {"solves": 0, "limit_stops": 0}

        def ent(d, inside=False, probe=False, si=si, cache=cache, cnt=cnt):  # bound now: one search per source
            """Does it enter with ``d`` more of this source? ``ent.need``: the extra the entering plan
            found really uses (it enters with that much too: the plan still fits, and with less money
            no plan does better), so a search can lower its upper end to it. ``inside`` (a bisection
            step) or ``probe`` (a question expected to be answered "no"): the free optimum here is
            bounded from below by the best free plan found with less of this source, and by the best
            free plan found anywhere in this search whose works can still be paid here (re-paid by
            :func:`~.core.plan_value_at`), so the forced solve goes first (see :func:`enters`)."""
            d = float(round(d, 2))
            c = zero if d == 0.0 else cache
            if d not in c:
                b = base_b.copy()
                b[si, yi] += d
                low = None
                if inside:
                    known = [v[2] for k, v in list(zero.items()) + list(cache.items())
                             if k < d and v[2] is not None]
                    low = max(known) if known else None
                if inside or probe:  # the best plan found that still fits (a few hundredths of a second each)
                    for obj, works in sorted(plans.values(), key=lambda p: -p[0]):
                        if low is not None and obj <= low:
                            break
                        if plan_value_at(inp, b, works) is not None:
                            low = obj
                            break
                ok, info = enters(inp, i, b, solver, free_lower=low)
                if info.get("free_plan") is not None:
                    plans.setdefault(frozenset(info["free_plan"][1]), info["free_plan"])
                cnt["solves"] += info["solves"]
                cnt["limit_stops"] += info["limit_stops"]
                need = _extra_needed(inp, info.get("entering"), si, yi, base_b) if ok else None
                c[d] = (ok, None if need is None else min(d, need), info.get("objective"))
            ok, ent.need = c[d][:2]
            return ok

        ent.cnt = cnt
        ent.need = None

        found, monotone, lo, hi = False, True, 0.0, hi0
        if ent(0.0):
            rows.append({"source": s, "year": year, "extra_rp": 0.0, "lower_rp": 0.0, "found": True,
                         "monotone": True, "_ent": ent})
            best = (0.0, rows[-1])
            continue
        if best_only and best is not None:
            b_hi = best[0]
            probe = b_hi - tol_rp
            if probe <= 0 or not ent(probe, probe=True):
                rows.append({"source": s, "year": year, "extra_rp": np.nan, "lower_rp": max(probe, 0.0),
                             "found": False, "monotone": True, "bisected": False,
                             "searched": False, "_ent": ent})
                continue
            # enters with less than the best so far: bisect below it, then check two points above
            lo, hi = _bisect(ent, 0.0, _snap(ent, 0.0, probe), tol_rp)
            monotone = all(ent(hi + (b_hi - hi) * k / 3) for k in (1, 2))
            rows.append({"source": s, "year": year, "extra_rp": hi, "lower_rp": lo, "found": True,
                         "monotone": monotone, "bisected": True, "_ent": ent})
            best = (hi, rows[-1])
            continue
        for _ in range(max_doublings + 1):
            pts = [hi * (j + 1) / grid for j in range(grid)]
            # up the grid until it enters; then one point higher for "monotone" (the points far above the
            # answer are the slowest solves - large sums in one pool - and say nothing about the answer)
            j = next((j for j, p in enumerate(pts) if ent(p)), None)
            if j is not None:
                lo = pts[j - 1] if j > 0 else 0.0
                hi = _snap(ent, lo, pts[j])
                monotone = ent(pts[j + 1]) if j + 1 < grid else ent(2.0 * pts[j] - (pts[j - 1] if j else 0.0))
                found = True
                break
            lo, hi = hi, hi * 2
        rows.append({"source": s, "year": year, "extra_rp": hi if found else np.nan,
                     "lower_rp": lo if found else np.nan,
                     "found": found, "monotone": monotone, "bisected": False, "_ent": ent})
        if best_only and found:  # bisect it now: the others are compared with its amount
            r = rows[-1]
            lo, hi = _bisect(ent, lo, hi, tol_rp)
            r.update(extra_rp=hi, lower_rp=lo, bisected=True)
            best = (hi, r)
    # bisect the source(s) whose grid bracket is the lowest: the answer the explanation gives; the others
    # keep their grid bracket (lower_rp, extra_rp], which cannot be lower than the answer
    found_rows = [r for r in rows if r["found"]]
    if found_rows and not best_only:
        best_hi = min(r["extra_rp"] for r in found_rows)
        for r in found_rows:
            if r["lower_rp"] >= best_hi:
                continue
            lo, hi = _bisect(r["_ent"], r["lower_rp"], r["extra_rp"], tol_rp)
            r.update(extra_rp=hi, lower_rp=lo, bisected=True)
    for r in rows:
        c = r.pop("_ent").cnt
        r["solves"], r["limit_stops"] = c["solves"], c["limit_stops"]
        r.setdefault("searched", True)
    cols = ["source", "year", "extra_rp", "lower_rp", "found", "monotone", "solves", "limit_stops", "bisected",
            "searched"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["found", "extra_rp"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _snap(ent, lo: float, hi: float) -> float:
    """After ``ent(hi)`` said yes: the upper end lowered to the extra its plan really uses (kept above
    ``lo``, which said no; a plan using less than ``lo`` would be a non-monotone case: not used)."""
    need = ent.need
    return need if need is not None and lo < need < hi else hi


def _bisect(ent, lo: float, hi: float, tol_rp: float) -> tuple[float, float]:
    """Narrow (lo, hi] - not entering at ``lo``, entering at ``hi`` - to at most ``tol_rp``; each
    entering point lowers ``hi`` to the extra its plan uses, and each step first asks whether even the
    forced plan falls short of the free plans found below it (see ``ent``).

    When an entering plan used less than the step offered, the money that plan needs is where the
    location most often starts to enter (the plan just fits there), so the next step asks just below
    it (``hi - 0.999 tol_rp``): a "no" there ends the search at once. The step after such a probe is a
    plain halving again, so a run of probes that enter cannot take more than twice the halvings."""
    probe = False
    while hi - lo > tol_rp:
        mid = hi - 0.999 * tol_rp if probe else 0.5 * (lo + hi)
        if ent(mid, True):
            new_hi = _snap(ent, lo, mid)
            probe = not probe and new_hi < mid
            hi = new_hi
        else:
            lo = mid
            probe = False
    return lo, hi


def _applicable(inp: AllocationInput, i: int) -> list:
    loc, sc, f = inp.locations, inp.scenario, inp.funding
    fam = ["budget"]
    srcs = set(_sources_of(inp, i)) or set(f.sources)
    if any(f.cap_rp.get(s) is not None for s in f.sources):
        fam.append("kelurahan_cap")
    fam += ["eligibility", "authority"]
    if not bool(loc.at[i, "legal_alloc"]):
        fam.append("legality")
    if inp.precedence:
        fam.append("precedence")
    if sc["rules.max_starts_per_year"] is not None or sc["rules.max_starts_per_kelurahan"] is not None:
        fam.append("capacity")
    if float(sc["rules.equity_min_share"]) > 0:
        fam.append("equity")
    del srcs
    return fam


def binding_constraint(inp, location_id, base: Outcome | None = None, *, families=None, solver=None) -> dict:
    """Which rule keeps a location out, found by re-solving.

    The location is forced in (cleared by the last year); then each applicable rule family is
    relaxed for it alone and the forced model re-solved. Returns a dict with ``forced_status``,
    ``forced_loss`` (hectare-years lost against the plan; None if forcing is infeasible),
    ``losses`` (family -> loss or None if still infeasible), ``binding`` (list of families with
    the least loss, rules before ``budget``), ``displaced`` (location_ids cleared in the plan but
    not in the forced plan), ``displaced_ha``, ``solves`` and ``limit_stops`` (re-solves a time limit
    stopped before proof).
    """
    inp = _inp(inp)
    i = _pos(inp, location_id)
    base = base or solve_variant(inp, solver=solver)
    last = inp.years[-1]
    area = dict(zip(inp.locations["location_id"], inp.locations["area_ha"].astype(float)))
    forced = solve_variant(inp, force_in=[i], solver=solver, start=None)
    res = {"forced_status": forced.status, "forced_loss": None, "losses": {}, "binding": [], "displaced": [],
           "displaced_ha": 0.0, "solves": 1, "limit_stops": int(_stopped(forced))}
    if forced.has_plan:
        res["forced_loss"] = max(0.0, base.objective - forced.objective)
        disp = sorted(base.cleared_by(last) - forced.cleared_by(last))
        res["displaced"] = disp
        res["displaced_ha"] = float(sum(area[d] for d in disp))
    fams = list(families) if families is not None else _applicable(inp, i)
    tol = _tol(base.objective)
    if res["forced_loss"] is not None and res["forced_loss"] <= tol:
        res["binding"] = ["tie"]
        return res
    # the forced plan keeps every rule, so it is a plan of each relaxation too: the re-solves start from it
    start = forced.start_keys() if forced.has_plan else None
    for fam in fams:
        o = solve_variant(inp, force_in=[i], relax={fam}, relax_loc=i, solver=solver, start=start)
        res["solves"] += 1
        res["limit_stops"] += int(_stopped(o))
        res["losses"][fam] = max(0.0, base.objective - o.objective) if o.has_plan else None
    ok = {f: v for f, v in res["losses"].items() if v is not None}
    ref = res["forced_loss"] if res["forced_loss"] is not None else np.inf
    better = {f: v for f, v in ok.items() if v < ref - tol}
    if better:
        best = min(better.values())
        winners = [f for f in fams if f in better and better[f] <= best + tol]
        rules = [f for f in winners if f != "budget"]
        res["binding"] = rules or winners
    elif res["forced_loss"] is not None:
        res["binding"] = ["budget"]  # no single rule relaxation helps: the money does more elsewhere
    else:
        o = solve_variant(inp, force_in=[i], relax=set(fams), relax_loc=i, solver=solver)
        res["solves"] += 1
        res["binding"] = ["several"] if o.has_plan else ["unclearable"]
        res["losses"]["all"] = max(0.0, base.objective - o.objective) if o.has_plan else None
    return res


# ------------------------------------------------------------------------------------------------
def _task(ctx, item):
    """Worker for the parallel parts of :func:`explain` (module level, for the fork pool)."""
    inp, base_keys, solver, cut_solver, delta = ctx
    kind = item[0]
    b = budget_matrix(inp)
    if kind == "marginal":
        _, s, y = item
        b[inp.funding.sources.index(s), inp.years.index(y)] += delta
        o = solve_variant(inp, budget_rp=b, start=base_keys, solver=solver)
        return item, _summary(o, inp)
    if kind == "cut":
        f = item[1]
        v = with_budget(inp, b * f)
        from ..allocate.greedy import greedy_plan

        gp, _ = greedy_plan(v)
        start = set(zip(gp["option_row"].astype(int), gp["year"].astype(int))) if len(gp) else None
        o = solve_variant(v, start=start, solver=cut_solver)
        return item, _summary(o, inp)
    raise ValueError(item)


_BASE: dict = {}


def _summary(o: Outcome, inp) -> dict:
    last = inp.years[-1]
    return {"status": o.status, "objective": o.objective, "gap": o.gap, "time_s": o.time_s, "bound": o.best_bound,
            "cleared": sorted(o.cleared_by(last)) if o.has_plan else [], "cleared_year": o.cleared_year,
            "cost_rp": float(o.works["cost_rp"].sum()) if o.has_plan else np.nan}


def marginal_values(inp, base: Outcome, *, delta_rp: float = 1e8, solver=None, processes=None) -> pd.DataFrame:
    """Hectare-years gained per Rp bn of extra money in each source and year (+``delta_rp``, re-solved)."""
    inp = _inp(inp)
    items = [("marginal", s, y) for s in inp.funding.sources for y in inp.years]
    res = parallel_map(_task, (inp, base.start_keys(), solver or default_solver(), None, delta_rp), items, processes)
    return _marginal_frame(inp, base, res, delta_rp)


def _marginal_frame(inp, base, res, delta_rp):
    rows = []
    for (k, s, y), r in res:
        gain = (r["objective"] - base.objective) if r["objective"] is not None else np.nan
        up = (r["bound"] - base.objective) if r.get("bound") is not None else np.nan
        rows.append({"source": s, "year": y, "delta_rp": delta_rp, "objective": r["objective"],
                     "gain_ha_years": gain, "gain_upper_ha_years": max(up, gain) if np.isfinite(up) else np.nan,
                     "ha_years_per_bn": gain / (delta_rp / 1e9),
                     "ha_years_per_bn_upper": max(up, gain) / (delta_rp / 1e9) if np.isfinite(up) else np.nan,
                     "status": r["status"], "gap": r["gap"], "time_s": r["time_s"]})
    return pd.DataFrame(rows)


def budget_cuts(inp, factors=(0.8, 0.6, 0.4, 0.2), *, solver=None, processes=None) -> pd.DataFrame:
    """Plans with every budget scaled by each factor (greedy plan as MIP start, time-limited)."""
    inp = _inp(inp)
    cs = solver or default_solver(time_limit_s=5.0)
    res = parallel_map(_task, (inp, None, cs, cs, 0.0), [("cut", float(f)) for f in factors], processes)
    return _cuts_frame(inp, res)


def _cuts_frame(inp, res):
    area = dict(zip(inp.locations["location_id"], inp.locations["area_ha"].astype(float)))
    return pd.DataFrame([{"factor": it[1], "objective": r["objective"], "status": r["status"], "gap": r["gap"],
                          "cleared": r["cleared"], "cleared_ha": sum(area[c] for c in r["cleared"]),
                          "cost_rp": r["cost_rp"], "time_s": r["time_s"]} for it, r in res])


# ------------------------------------------------------------------------------------------------
@dataclass
class Explanation:
    """Everything :func:`explain` found.

    Attributes
    ----------
    table : one row per location (see ``docs/evidence.md`` for the columns)
    sentences : ``location_id, en, id``
    marginal : value of money per source and year
    cuts : plans under proportional budget cuts
    base : the plan's :class:`~.core.Outcome`
    timings : seconds per part
    details : ``unfunded`` (per unfunded location its binding-rule and enter-search results) and
        ``resolves`` (the number of exact re-solves of those searches and how many a time limit stopped)
    """

    table: pd.DataFrame
    sentences: pd.DataFrame
    marginal: pd.DataFrame
    cuts: pd.DataFrame
    base: Outcome
    timings: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)


def explain(scenario_or_input=None, *, cut_factors=(0.8, 0.6, 0.4, 0.2), delta_rp: float = 1e8,
            tol_rp: float = 1e6, solver: SolverOptions | None = None, cut_time_limit_s: float = 3.0,
            marginal_time_limit_s: float = 1.5, processes: int | None = None, base: Outcome | None = None,
            analyse_unfunded: bool = True) -> Explanation:
    """Explain the plan, location by location.

    Parameters
    ----------
    scenario_or_input : scenario (path, dict, Scenario) or a prepared AllocationInput
    cut_factors : proportional budget cuts tried for "the cut at which it would leave"
    delta_rp : extra money per source-year for the marginal values [Rp] (default Rp 100 million)
    tol_rp : tolerance of the extra budget to enter [Rp]
    solver : options of the exact re-solves (binding rule, enter search); default in-process,
        ``mip_rel_gap`` 1e-4, 30 s limit
    cut_time_limit_s, marginal_time_limit_s : time limits of the cut and marginal re-solves
    processes : worker processes (default all cores)
    base : an already solved plan (:func:`base_outcome`)
    analyse_unfunded : run the binding-rule and enter searches for slum locations not cleared
    """
    t0 = time.perf_counter()
    inp = _inp(scenario_or_input)
    T = {}
    base = base or base_outcome(inp)
    T["base_s"] = time.perf_counter() - t0
    if not base.has_plan:
        raise RuntimeError(f"the scenario has no plan ({base.status}): {base.message}")
    solver = solver or default_solver()
    msolver = default_solver(time_limit_s=marginal_time_limit_s, mip_rel_gap=solver.mip_rel_gap)
    csolver = default_solver(time_limit_s=cut_time_limit_s, mip_rel_gap=solver.mip_rel_gap)
    last = inp.years[-1]
    loc = inp.locations
    slum = loc["slum"].to_numpy(bool)
    cand = loc["candidate"].to_numpy(bool)
    unf = [lid for lid, s, c in zip(loc["location_id"], slum, cand)
           if s and c and lid not in base.cleared_by(last)] if analyse_unfunded else []
    # each unfunded location: the binding rule and the money to enter are separate tasks, so that two
    # workers share one location's re-solves (the enter search runs whether or not money turns out to
    # help); the long searches go first, the short marginal and cut re-solves fill in behind them
    pos = {lid: k for k, lid in enumerate(loc["location_id"])}
    items = [("enter", lid) for lid in unf if np.isfinite(cheapest_cost(inp, pos[lid]))]
    items += [("bind", lid) for lid in unf]
    items += [("marginal", s, y) for s in inp.funding.sources for y in inp.years]
    items += [("cut", float(f)) for f in cut_factors]
    t1 = time.perf_counter()
    _BASE["outcome"] = base
    try:
        res = parallel_map(_task_mixed, (inp, base.start_keys(), msolver, csolver, delta_rp, solver, tol_rp), items,
                           processes)
    finally:
        _BASE.pop("outcome", None)
    T["resolves_s"] = time.perf_counter() - t1
    marg = _marginal_frame(inp, base, [r for r in res if r[0][0] == "marginal"], delta_rp)
    cuts = _cuts_frame(inp, [r for r in res if r[0][0] == "cut"])
    bind = {it[1]: r for it, r in res if it[0] == "bind"}
    ent = {it[1]: r for it, r in res if it[0] == "enter"}
    unf_res = {}
    for lid, r in bind.items():
        money_helps = r["losses"].get("budget") is not None or r["forced_loss"] is not None
        unf_res[lid] = {"binding": r, "enter": ent.get(lid) if money_helps else None}
    table = _table(inp, base, cuts, unf_res)
    sent = sentences(inp, table)
    T["total_s"] = time.perf_counter() - t0
    # how many exact re-solves the unfunded locations' answers rest on, and how many a time limit stopped
    counts = {"binding": {"solves": sum(r["solves"] for r in bind.values()),
                          "limit_stops": sum(r["limit_stops"] for r in bind.values())},
              "enter": {"solves": int(sum(r["solves"].sum() for r in ent.values())),
                        "limit_stops": int(sum(r["limit_stops"].sum() for r in ent.values()))}}
    return Explanation(table=table, sentences=sent, marginal=marg, cuts=cuts, base=base, timings=T,
                       details={"unfunded": unf_res, "resolves": counts})


def _task_mixed(ctx, item):
    inp, keys, msolver, csolver, delta, solver, tol_rp = ctx
    if item[0] == "bind":
        return item, binding_constraint(inp, item[1], _BASE.get("outcome"), solver=solver)
    if item[0] == "enter":
        return item, enter_budget(inp, item[1], solver=solver, tol_rp=tol_rp, best_only=True)
    return _task((inp, keys, msolver, csolver, delta), item)


def _table(inp: AllocationInput, base: Outcome, cuts: pd.DataFrame, unf: dict) -> pd.DataFrame:
    loc = inp.locations
    last = inp.years[-1]
    rows = []
    cost = {lid: cheapest_cost(inp, i) if s else np.nan
            for i, (lid, s) in enumerate(zip(loc["location_id"], loc["slum"].to_numpy(bool)))}
    bpr = {lid: (a / (c / 1e9) if c and np.isfinite(c) and c > 0 else np.nan)
           for lid, a, c in zip(loc["location_id"], loc["area_ha"].astype(float), cost.values())}
    cleared = base.cleared_by(last)
    cutoff = min([bpr[c] for c in cleared if np.isfinite(bpr[c])], default=np.nan)
    cuts = cuts.sort_values("factor", ascending=False)
    for i, r in loc.iterrows():
        lid = r["location_id"]
        cy = base.cleared_year.get(lid)
        fy = base.funded_years.get(lid, [])
        if bool(r["locked_out"]):
            status = "locked_out"
        elif not bool(r["slum"]):
            status = "not_slum" if not fy else "works_not_slum"
        elif cy is not None:
            status = "cleared"
        elif fy:
            status = "works_not_cleared"
        else:
            status = "not_funded"
        row = {"location_id": lid, "name": r["name"], "kelurahan": r["kelurahan"], "kecamatan": r["kecamatan"],
               "area_ha": float(r["area_ha"]), "total_score": int(r["total_score"]), "slum": bool(r["slum"]),
               "legal": bool(r["legal_alloc"]), "authority": r["authority_alloc"], "status": status,
               "funded": bool(fy), "cleared_year": cy, "funded_years": " ".join(map(str, fy)),
               "sources": " ".join(base.loc_sources.get(lid, [])), "spend_rp": base.loc_spend_rp.get(lid, 0.0),
               "cheapest_clearing_rp": cost[lid], "ha_per_bn": bpr[lid], "cutoff_ha_per_bn": cutoff,
               "ratio_to_cutoff": bpr[lid] / cutoff if np.isfinite(cutoff) and cutoff > 0 else np.nan}
        # proportional cuts: stays down to / leaves at
        if status == "cleared" and len(cuts):
            stay, leave = 1.0, np.nan
            for f, cl, st in zip(cuts["factor"], cuts["cleared"], cuts["status"]):
                if lid in cl:
                    stay = f
                else:
                    leave = f
                    break
            row["stays_down_to_factor"], row["leaves_at_factor"] = stay, leave
        else:
            row["stays_down_to_factor"], row["leaves_at_factor"] = np.nan, np.nan
        u = unf.get(lid)
        if u is not None:
            b = u["binding"]
            row["binding"] = " ".join(b["binding"])
            row["forced_loss_ha_years"] = b["forced_loss"]
            row["displaced"] = " ".join(b["displaced"])
            row["displaced_ha"] = b["displaced_ha"]
            e = u["enter"]
            if e is not None and len(e) and bool(e["found"].iloc[0]):
                row.update(enter_extra_rp=float(e["extra_rp"].iloc[0]), enter_source=e["source"].iloc[0],
                           enter_year=int(e["year"].iloc[0]), enter_monotone=bool(e["monotone"].iloc[0]))
        rows.append(row)
    t = pd.DataFrame(rows)
    for c in ("binding", "forced_loss_ha_years", "displaced", "displaced_ha", "enter_extra_rp", "enter_source",
              "enter_year", "enter_monotone"):
        if c not in t:
            t[c] = np.nan if c not in ("binding", "displaced", "enter_source") else ""
    t["cleared_year"] = pd.array(t["cleared_year"], dtype="Int64")
    return t


# ------------------------------------------------------------------------------------------------
def _pct(f):
    return number(100 * f, 0)


def _sentence(r, inp: AllocationInput, lang: str) -> str:
    name, area = r["name"], number(r["area_ha"], 2, lang)
    last = inp.years[-1]
    st = r["status"]
    names = dict(zip(inp.locations["location_id"], inp.locations["name"]))
    srcs = join([source_name(s, lang) for s in str(r["sources"]).split()], lang)
    fy = [int(y) for y in str(r["funded_years"]).split()]
    if st == "locked_out":
        return L("sent_locked_out", lang).format(name=name, area=area)
    if st in ("not_slum", "works_not_slum"):
        return L("sent_not_slum", lang).format(name=name, area=area, score=r["total_score"], threshold=inp.threshold)
    if st == "cleared":
        ratio = number(r["ratio_to_cutoff"], 1, lang) if pd.notna(r["ratio_to_cutoff"]) else "-"
        s = L("sent_cleared", lang).format(name=name, area=area, years=years_text(fy, lang), sources=srcs,
                                           cleared=int(r["cleared_year"]), ratio=ratio)
        if pd.notna(r.get("leaves_at_factor")):
            s += " " + L("sent_leave", lang).format(stay=_pct(r["stays_down_to_factor"]),
                                                 leave=_pct(r["leaves_at_factor"]))
        elif pd.notna(r.get("stays_down_to_factor")):
            s += " " + L("sent_leave_never", lang).format(stay=_pct(r["stays_down_to_factor"]))
        return s
    if st == "works_not_cleared":
        s = L("sent_works_not_cleared", lang).format(name=name, area=area, years=years_text(fy, lang), sources=srcs,
                                                     last=last)
    else:
        s = ""
    b = str(r.get("binding") or "").split()
    if b:
        reason = _reason(b, r, inp, lang)
        s2 = L("sent_not_funded", lang).format(name=name, area=area, reason=reason)
        s = (s + " " + s2).strip() if st == "works_not_cleared" else s2
        disp = str(r.get("displaced") or "").split()
        if pd.notna(r.get("enter_extra_rp")) and float(r["enter_extra_rp"]) >= 1e6:  # below Rp 1 M: no money needed
            d = L("sent_displacing", lang).format(names=join([names[x] for x in disp], lang),
                                                  ha=number(r["displaced_ha"], 2, lang)) if disp else ""
            s += " " + L("sent_enter", lang).format(amount=money(r["enter_extra_rp"], lang),
                                                    source=source_name(r["enter_source"], lang),
                                                    year=int(r["enter_year"]), displacing=d)
        elif disp:
            s += " " + L("sent_forced", lang).format(names=join([names[x] for x in disp], lang),
                                                     ha=number(r["displaced_ha"], 2, lang))
    return s


def _reason(b, r, inp, lang):
    if b == ["tie"]:
        return L("reason_tie", lang)
    if b == ["several"]:
        fams = [k for k in FAMILIES]
        return L("reason_several", lang).format(families=join([L(f"family_{f}", lang) for f in fams], lang))
    if b == ["unclearable"]:
        return L("reason_unclearable", lang)
    parts = []
    for f in b:
        if f == "budget":
            loss = r.get("forced_loss_ha_years")
            parts.append(L("reason_budget", lang).format(loss=number(loss if pd.notna(loss) else 0.0, 2, lang)))
        elif f == "authority":
            from ..data.labels import label

            parts.append(L("reason_authority", lang).format(authority=label("authority", r["authority"], lang)))
        else:
            parts.append(L(f"reason_{f}", lang))
    return "; ".join(parts)


def sentences(inp: AllocationInput, table: pd.DataFrame) -> pd.DataFrame:
    """One or two sentences per location, in English and Indonesian, from the catalogue templates."""
    return pd.DataFrame({"location_id": table["location_id"],
                         "en": [_sentence(r, inp, "en") for _, r in table.iterrows()],
                         "id": [_sentence(r, inp, "id") for _, r in table.iterrows()]})
