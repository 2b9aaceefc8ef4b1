"""Robust funding: how often each location is cleared when unit costs and weights are uncertain.

Draw ``d`` uses its own generator ``numpy.random.default_rng([seed, d])``, so a draw does not
depend on the number of workers or on the other draws: same seed -> identical output.

* **Unit costs**: one multiplicative factor per work (catalogue item), uniform in
  ``[1 - cost_spread, 1 + cost_spread]`` (default +-30 %); every option using that work scales.
* **Weights** (optional, ``weights="simplex"``): criterion weights uniform on the simplex
  (Dirichlet(1, ..., 1), as the ranking module's ``SimplexSampler``). The hectares objective has
  no criterion weights, so they enter through a *priority-weighted* variant: location ``i``'s
  hectares count ``p_i = 16 * sum_c w_c s_ic / sum_c s_ic`` times (``s_ic`` its criterion
  scores; equal weights give ``p_i = 1``, i.e. the plain objective). Documented in
  ``docs/evidence.md``.

How a draw is solved (``method``):

* ``"packages"`` (default for the hectares and least-cost objectives): the allocation model itself
  (every funding and planning rule of the scenario), restricted to each slum location's cheapest
  clearing package *under the draw's costs*, whose works are done in the same year. The restricted
  model is small (about 60 package-years on the embedded city) and is solved until HiGHS proves its
  plan within ``mip_rel_gap`` (default 2 %) of the restricted optimum - a stop that depends on the
  search, not on the clock, so a seed gives the same plans on a busy and on an idle machine. Every
  plan of the restriction is a plan of the full model (a subset of its options). What the
  restriction can cost is measured, not assumed: ``benchmarks/bench_evidence.py --validate K``
  solves K draws with the full model to proven optimality and prints the difference (numbers in
  ``docs/evidence.md``). A draw falls back to the full model when the restriction has no plan or
  does worse than the greedy plan at the draw's costs (a guard: the restriction has no fixed bound
  on what it can lose, e.g. where yearly money does not carry over). Scenarios with an equity rule
  or the households objective always use the full model (whole packages rarely meet equity shares).
* ``"full"``: the full model under a time limit (``time_limit_s``), warm-started from the greedy
  plan under the draw's costs. On the embedded city HiGHS needs 2-12 s per draw to prove
  optimality, so short limits return little more than the greedy plan; the per-draw status and
  gap say so. Full-model draws stop on the clock, so unlike package draws they can differ between
  a busy and an idle machine.

A location is **cleared** in a draw when the re-scored plan (official scoring) brings it below the
slum threshold; ``p_cleared_<year>`` is the share of draws in which that happens by ``<year>``,
``p_cleared`` the share by the last year. The **robust core** is the set cleared by the last year
in at least ``core`` (90 %) of the draws. Probabilities are shares of the draws *with a plan*; draws
without one (infeasible, or stopped before any plan) are listed in ``attrs['draws_without_plan']``
and a warning is given.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from ..allocate import AllocationInput, prepare
from .core import default_solver, greedy_start, package_input, parallel_map, solve_variant, with_costs

__all__ = ["robust_funding", "draw_factors", "package_input", "METHODS"]

METHODS = ("packages", "full")


def draw_factors(inp: AllocationInput, seed: int, d: int, cost_spread: float = 0.3, weights: str | None = None):
    """The cost factors (work_id -> factor) and location weights (or None) of draw ``d``."""
    rng = np.random.default_rng([int(seed), int(d)])
    works = sorted(set(inp.options["work_id"]) | (set(inp.unaffordable["work_id"])
                                                   if inp.unaffordable is not None else set()))
    f = rng.uniform(1.0 - cost_spread, 1.0 + cost_spread, len(works))
    fac = dict(zip(works, f))
    lw = None
    if weights == "simplex":
        codes = list(inp.profile.codes)
        w = rng.dirichlet(np.ones(len(codes)))
        # criterion scores (locations x codes; 0 for a code without a score column), read in one go
        S = np.zeros((len(inp.locations), len(codes)))
        have = [j for j, c in enumerate(codes) if f"score_{c}" in inp.locations]
        if have:
            S[:, have] = inp.locations[[f"score_{codes[j]}" for j in have]].to_numpy(float)
        tot = S.sum(axis=1)
        lw = np.where(tot > 0, len(codes) * (S @ w) / np.where(tot > 0, tot, 1.0), 1.0)
    elif weights is not None:
        raise ValueError(f"weights must be None or 'simplex', got {weights!r}")
    return fac, lw


def _draw(ctx, d):
    inp, seed, spread, weights, method, solver, full_solver = ctx
    fac, lw = draw_factors(inp, seed, d, spread, weights)
    v = with_costs(inp, fac)
    gkeys, g_obj = greedy_start(v, loc_weight=lw)  # always feasible under the draw's costs
    o, used, note = None, method, ""
    if method == "packages":
        sub, groups = package_input(v)
        o = solve_variant(sub, loc_weight=lw, same_year=groups, solver=solver)
        # guard: the restriction must do at least as well as the greedy plan; first solve it tighter
        # (still a deterministic stop), then, if it still trails, use the full model
        if o.has_plan and (o.objective or 0.0) < g_obj - 1e-6 and solver.mip_rel_gap > 1e-4:
            o = solve_variant(sub, loc_weight=lw, same_year=groups,
                              solver=dataclasses.replace(solver, mip_rel_gap=1e-4))
            note = "restriction solved to 1e-4 (below the greedy plan at the first gap)"
        if o.has_plan and (o.objective or 0.0) < g_obj - 1e-6:
            note = "restriction below the greedy plan"
            o = None
        elif not o.has_plan:
            note = f"restriction: {o.status}"
            o = None
    if o is None:
        used = "full"
        o = solve_variant(v, loc_weight=lw, start=gkeys, solver=full_solver)
    return {"draw": d, "method": used, "status": o.status, "gap": o.gap, "objective": o.objective,
            "time_s": o.time_s, "note": note, "has_plan": o.has_plan,
            "cleared_year": dict(o.cleared_year) if o.has_plan else {},
            "funded": sorted(o.funded_years) if o.has_plan else []}


def robust_funding(inp, draws: int = 200, seed: int = 2016, *, cost_spread: float = 0.3, weights: str | None = None,
                   method: str = "packages", time_limit_s: float | None = None, mip_rel_gap: float | None = None,
                   core: float = 0.9, processes: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Probability of being cleared per location over seeded draws.

    Parameters
    ----------
    method : ``"packages"`` (default) or ``"full"`` (see the module text)
    time_limit_s : per-draw limit [s]; default 30 for ``packages`` (a guard: the gap stop ends
        the solve long before on the embedded city) and 0.5 for ``full``
    mip_rel_gap : default 0.02 for ``packages``, 1e-4 for ``full``

    Returns
    -------
    (per_location, per_draw): ``per_location`` has ``location_id, name, area_ha,
    p_cleared_<year>`` for each year, ``p_cleared`` (by the last year), ``p_works`` (share of draws
    with any works), ``core`` (p_cleared >= ``core``); ``per_draw`` has the method used, status, gap,
    objective, time, ``has_plan``, ``note`` (why a draw fell back to the full model) and the number
    of locations cleared per draw. ``per_location.attrs`` records the
    settings.
    """
    t0 = time.perf_counter()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0.0 <= float(cost_spread) < 1.0:
        raise ValueError(f"cost_spread must be in [0, 1), got {cost_spread!r}")
    inp = inp if isinstance(inp, AllocationInput) else prepare(inp)
    kind = inp.scenario["objective.kind"]
    if method == "packages" and (kind == "households" or float(inp.scenario["rules.equity_min_share"]) > 0):
        # partial works serve households, and whole packages rarely meet equity shares: the full model
        method = "full"
    pk = default_solver(time_limit_s=30.0 if time_limit_s is None else time_limit_s,
                        mip_rel_gap=0.02 if mip_rel_gap is None else mip_rel_gap)
    full = default_solver(time_limit_s=0.5 if time_limit_s is None else time_limit_s,
                          mip_rel_gap=1e-4 if mip_rel_gap is None else mip_rel_gap)
    res = parallel_map(_draw, (inp, seed, cost_spread, weights, method, pk, full), range(int(draws)), processes)
    res = sorted(res, key=lambda r: r["draw"])
    n_all = len(res)
    no_plan = [r["draw"] for r in res if not r["has_plan"]]
    if no_plan:
        import warnings

        warnings.warn(f"{len(no_plan)} of {n_all} draws have no plan (e.g. infeasible or stopped before a plan); "
                      "the probabilities are over the draws with a plan", stacklevel=2)
    planned = [r for r in res if r["has_plan"]]
    n = len(planned)
    loc = inp.locations[inp.locations["slum"]]
    per = pd.DataFrame({"location_id": loc["location_id"].to_numpy(), "name": loc["name"].to_numpy(),
                        "area_ha": loc["area_ha"].to_numpy(float)})
    for y in inp.years:
        cnt = pd.Series([k for r in planned for k, cy in r["cleared_year"].items() if cy is not None and cy <= y],
                        dtype=object).value_counts()
        per[f"p_cleared_{y}"] = per["location_id"].map(cnt).fillna(0).to_numpy(float) / n if n else np.nan
    per["p_cleared"] = per[f"p_cleared_{inp.years[-1]}"]
    fw = pd.Series([c for r in planned for c in r["funded"]], dtype=object).value_counts()
    per["p_works"] = per["location_id"].map(fw).fillna(0).to_numpy(float) / n if n else np.nan
    per["core"] = per["p_cleared"] >= core
    per = per.sort_values(["p_cleared"] + [f"p_cleared_{y}" for y in inp.years] + ["area_ha"],
                          ascending=False).reset_index(drop=True)
    pdraw = pd.DataFrame([{k: v for k, v in r.items() if k not in ("cleared_year", "funded")} for r in res])
    pdraw["n_cleared"] = [sum(1 for cy in r["cleared_year"].values() if cy is not None) for r in res]
    per.attrs.update(draws=n_all, draws_with_plan=n, draws_without_plan=no_plan, seed=seed, cost_spread=cost_spread,
                     weights=weights, core=core, method=method,
                     mip_rel_gap=(pk if method == "packages" else full).mip_rel_gap,
                     elapsed_s=time.perf_counter() - t0)
    return per, pdraw
