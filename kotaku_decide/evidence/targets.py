"""Least cost to targets: the cheapest plan that clears a share of the slum hectares by a year.

For every share (default 25, 50, 75, 100 %) and year of the horizon, the allocation is solved
with the ``least_cost`` objective and the hectares target ``share x slum hectares`` by that
year, twice: within the scenario's budgets (``given``) and with the money limits lifted
(``unlimited``: every source-year may pay any amount, but eligibility, authority, legality,
precedence and the other rules still hold - "what would it cost"). Locations that no works on
offer can clear (e.g. land not legal with neither legalisation nor resettlement offered) are
*unreachable*: a target above the reachable hectares is reported as such without solving.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ..allocate import AllocationInput, prepare
from .core import budget_matrix, default_solver, parallel_map, solve_variant, with_budget

__all__ = ["least_cost_targets", "no_slum_goal", "unlimited_budget", "reachability"]


def unlimited_budget(inp: AllocationInput) -> np.ndarray:
    """A budget matrix no plan can exhaust: every source-year gets the cost of all options."""
    tot = float(inp.options["cost_rp"].sum())
    if inp.unaffordable is not None and len(inp.unaffordable):
        tot += float(inp.unaffordable["cost_rp"].sum())
    return np.full_like(budget_matrix(inp), max(tot, 1e6) * 1.01)


def reachability(inp) -> pd.DataFrame:
    """Per slum location: cheapest clearing package with unlimited money [Rp] (inf = unreachable),
    land legal or not, and whether the cheapest package includes legalisation."""
    inp = inp if isinstance(inp, AllocationInput) else prepare(inp)
    v = with_budget(inp, unlimited_budget(inp))
    from ..allocate.packages import cheapest_package

    loc = v.locations
    rows = []
    for i, r in loc.iterrows():
        if not bool(r["slum"]):
            continue
        need = int(max(r["total_score"] - (v.clearance.total_below - 1), 0))
        o = v.options[v.options["loc"] == i]
        c, chosen = cheapest_package(o, need, bool(r["legal_alloc"]), v.precedence_at(str(r["location_id"])),
                                     costcol="cost_rp", services=v.package_services(i, o.index.to_numpy()))
        crit = set(v.options.loc[chosen, "criterion"]) if chosen else set()
        leg = v.options.loc[[k for k in chosen if v.options.at[k, "criterion"] == "legalisation"], "cost_rp"].sum() \
            if chosen else 0.0
        rows.append({"location_id": r["location_id"], "name": r["name"], "area_ha": float(r["area_ha"]),
                     "legal": bool(r["legal_alloc"]), "candidate": bool(r["candidate"]),
                     "cheapest_rp": float(c) if r["candidate"] else np.inf,
                     "reachable": bool(np.isfinite(c) and r["candidate"]),
                     "via_legalisation": "legalisation" in crit, "via_resettlement": "resettlement" in crit,
                     "legalisation_rp": float(leg)})
    return pd.DataFrame(rows)


def _outcome_row(o, year) -> dict:
    out = {"status": o.status, "cost_rp": (o.objective * 1e6) if o.objective is not None else np.nan,
           "gap": o.gap, "time_s": o.time_s, "cleared": sorted(o.cleared_by(year)) if o.has_plan else [],
           "spend": o.spend.to_dict("records") if o.spend is not None else []}
    if o.has_plan:  # the plan's own cost, re-summed from its works (independent of the objective)
        out["works_cost_rp"] = float(o.works["cost_rp"].sum())
    return out


def _given_after_unlimited(inp, solver, target, year, u):
    """The least cost within the budgets, knowing the least cost without money limits (``u``).

    Lifting the money limits only adds plans, so ``u``'s lower bound bounds the cost within the budgets
    from below too. First the plan is sought among ``u``'s own works with their years (and money) free
    - a restriction, so whatever it finds keeps every rule within the budgets; if its cost is within
    ``mip_rel_gap`` of that bound it is proven least. Otherwise the whole problem is solved from it,
    and its bound is the better of the two.
    """
    kw = dict(objective="least_cost", target_ha=target, target_year=year, solver=solver)
    low = u.best_bound if u.has_plan and u.best_bound is not None else None
    start = None
    if low is not None:
        r = solve_variant(inp, only_options={o for o, _y in u.start_keys()}, **kw)
        if r.has_plan:
            gap = max(0.0, (r.objective - low) / max(abs(r.objective), 1e-9))
            if gap <= solver.mip_rel_gap + 1e-12:
                return dataclasses.replace(r, status="optimal", proven=True, best_bound=low, gap=gap)
            start = r.start_keys()
    o = solve_variant(inp, start=start, **kw)
    if o.has_plan and low is not None and o.best_bound is not None and low > o.best_bound:
        gap = max(0.0, (o.objective - low) / max(abs(o.objective), 1e-9))
        proven = o.proven or gap <= solver.mip_rel_gap + 1e-12
        o = dataclasses.replace(o, best_bound=low, gap=gap, proven=proven, status="optimal" if proven else o.status)
    return o


def _task(ctx, item):
    """One target: the least cost without money limits, then within the budgets (see above)."""
    inp, solver, big = ctx
    share, year, modes, target = item
    out, u = {}, None
    if "unlimited" in modes:
        u = solve_variant(inp, budget_rp=big, objective="least_cost", target_ha=target, target_year=year,
                          solver=solver)
        out["unlimited"] = _outcome_row(u, year)
    if "given" in modes:
        if u is not None:
            g = _given_after_unlimited(inp, solver, target, year, u)
        else:
            g = solve_variant(inp, objective="least_cost", target_ha=target, target_year=year, solver=solver)
        out["given"] = _outcome_row(g, year)
    return item, out


def least_cost_targets(inp, shares=(0.25, 0.5, 0.75, 1.0), years=None, *, modes=("given", "unlimited"),
                       time_limit_s: float = 20.0, mip_rel_gap: float = 1e-4,
                       processes: int | None = None) -> pd.DataFrame:
    """Cheapest plan and its cost per target share and year.

    Returns
    -------
    DataFrame: ``share, year, mode, target_ha, reachable_ha, status`` (``optimal``,
    ``feasible_not_proven``, ``infeasible`` - e.g. not within the budgets by then - or
    ``unreachable``), ``cost_rp`` (proven cheapest within ``mip_rel_gap``), ``cleared`` (location_ids
    cleared by the year), ``cleared_ha``, ``gap``, ``time_s``.
    """
    inp = inp if isinstance(inp, AllocationInput) else prepare(inp)
    years = list(years or inp.years)
    reach = reachability(inp)
    slum_ha = float(reach["area_ha"].sum())
    reach_ha = float(reach.loc[reach["reachable"], "area_ha"].sum())
    items, skipped = [], []
    for s in shares:
        tgt = round(float(s) * slum_ha, 6)
        for y in years:
            if tgt <= reach_ha + 1e-9:
                items.append((float(s), int(y), tuple(modes), tgt))
            else:
                skipped += [(float(s), int(y), m, tgt) for m in modes]
    solver = default_solver(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    res = parallel_map(_task, (inp, solver, unlimited_budget(inp)), items, processes)
    res = [((s, y, m, tgt), by_mode[m]) for (s, y, _modes, tgt), by_mode in res for m in modes]
    area = dict(zip(inp.locations["location_id"], inp.locations["area_ha"].astype(float)))
    rows = []
    for (s, y, m, tgt), r in res:
        rows.append({"share": s, "year": y, "mode": m, "target_ha": tgt, "reachable_ha": reach_ha,
                     "status": r["status"],
                     "cost_rp": r["cost_rp"], "works_cost_rp": r.get("works_cost_rp", np.nan),
                     "cleared": " ".join(r["cleared"]), "cleared_ha": sum(area[c] for c in r["cleared"]),
                     "gap": r["gap"], "time_s": r["time_s"]})
    for s, y, m, tgt in skipped:
        rows.append({"share": s, "year": y, "mode": m, "target_ha": tgt, "reachable_ha": reach_ha,
                     "status": "unreachable", "cost_rp": np.nan, "works_cost_rp": np.nan, "cleared": "",
                     "cleared_ha": np.nan, "gap": np.nan, "time_s": 0.0})
    df = pd.DataFrame(rows).sort_values(["mode", "share", "year"]).reset_index(drop=True)
    df.attrs["slum_ha"] = slum_ha
    return df


def no_slum_goal(inp, year: int | None = None, *, time_limit_s: float = 30.0, processes: int | None = None) -> dict:
    """The 2016 workshop's goal: no slum hectares by ``year`` (default the last year).

    Returns a dict: ``year, slum_ha, reachable_ha, unreachable`` (DataFrame of the locations no
    works can clear, with hectares), ``via_legalisation`` (reachable only by legalising the land:
    locations, hectares, legalisation cost), and the least-cost result for every reachable
    hectare by ``year`` within the budgets (``given``) and without money limits (``unlimited``).
    """
    inp = inp if isinstance(inp, AllocationInput) else prepare(inp)
    year = int(year or inp.years[-1])
    reach = reachability(inp)
    reach_ha = float(reach.loc[reach["reachable"], "area_ha"].sum())
    solver = default_solver(time_limit_s=time_limit_s)
    # one task: the cost without money limits first; it bounds the cost within the budgets from below
    # and its works are where that cheapest plan is sought first (see _given_after_unlimited)
    (_item, by_mode), = parallel_map(_task, (inp, solver, unlimited_budget(inp)),
                                     [(1.0, year, ("given", "unlimited"), reach_ha)], processes)
    out = {"year": year, "slum_ha": float(reach["area_ha"].sum()), "reachable_ha": reach_ha,
           "unreachable": reach.loc[~reach["reachable"], ["location_id", "name", "area_ha", "legal", "candidate"]],
           "via_legalisation": reach.loc[reach["via_legalisation"], ["location_id", "name", "area_ha",
                                                                     "legalisation_rp"]],
           "reachability": reach}
    out.update(by_mode)
    return out
