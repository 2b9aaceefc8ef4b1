"""What a worker does for one city: the greedy plan, the priced LP, the city MIP, the priced MIP bound.

Each function takes a city's :class:`~kotaku_decide.allocate.inputs.AllocationInput` (built by
:meth:`~.split.NationalSplit.city_input`) and plain numbers, and returns plain data (a plan table,
values, the money each envelope pays per year), so that it runs the same in a Dask worker, a
process pool or this process. The priced LP keeps its HiGHS object per city in the worker process
(``_LP_CACHE``) and re-solves warm when only the prices change.

With ``rins_time_s`` the priced LP also gives an *integer* column: the priced MIP restricted to the
neighbourhood of the LP solution (every integer column the LP left at an integer value is fixed
there, the rest is solved by HiGHS within the time limit; Danna, Rothberg & Le Pape 2005, the
relaxation-induced neighbourhood). It is a plan of the city under its own rules, so the restricted
master can pick it; columns found at many prices (one per price round) let the master trade envelope
money between cities in finer steps.
"""

from __future__ import annotations

import time

import numpy as np

from ..allocate.greedy import greedy_plan
from ..allocate.highs import new_highs, pass_arrays, run
from ..allocate.model import build_model
from ..allocate.results import plan_from_model
from ..allocate.solve import SolverOptions, solve_model
from .split import with_budget

__all__ = ["greedy_task", "engine_task", "lp_task", "mip_task", "mip_bound_task", "crossover_task", "env_columns"]

_LP_CACHE: dict = {}
_LP_CACHE_MAX = 400


def _usage(plan, env_sources, years) -> np.ndarray:
    """(len(env_sources) x years) money [million Rp] the plan takes from each shared source."""
    u = np.zeros((len(env_sources), len(years)))
    if plan is None or not len(plan):
        return u
    by = plan.groupby(["source", "year"])["cost_rp"].sum()
    for k, s in enumerate(env_sources):
        for yi, y in enumerate(years):
            u[k, yi] = float(by.get((s, y), 0.0)) / 1e6
    return u


def env_columns(model, env_sources) -> list:
    """Per shared source (in order) and year index: the money columns of the model that spend it."""
    Y = len(model.inp.years)
    cols = [[[] for _ in range(Y)] for _ in env_sources]
    pos = {s: k for k, s in enumerate(env_sources)}
    for (i, g, y, s), col in model.mcol.items():
        if s in pos:
            cols[pos[s]][y].append(col)
    return [[np.asarray(c, dtype=np.int64) for c in row] for row in cols]


def _budgeted(city_inp, budget_rp):
    return city_inp if budget_rp is None else with_budget(city_inp, budget_rp)


def greedy_task(city_inp, env_sources, budget_rp=None) -> dict:
    """The greedy rule on one city (its envelopes' shares as budgets); ``works`` lists its (option row,
    year) pairs, a start for the city engine. ``budget_rp``: the budgets to use instead of the input's
    (:meth:`~.split.NationalSplit.city_budget`; so do the other tasks that take it)."""
    t0 = time.perf_counter()
    city_inp = _budgeted(city_inp, budget_rp)
    plan, rep = greedy_plan(city_inp)
    works = [(int(o), int(y)) for o, y in zip(plan["option_row"], plan["year"])] if len(plan) else []
    return {"plan": plan, "value": float(rep.objective or 0.0), "usage": _usage(plan, env_sources, city_inp.years),
            "works": works, "time": time.perf_counter() - t0, "status": "greedy"}


def engine_task(city_inp, env_sources, time_limit_s: float, mip_rel_gap: float, works: list, floor: float,
                seed: int = 20160, budget_rp=None) -> dict:
    """The city engine on the same budgets as a known plan (its ``works``, value ``floor``), started from it.

    Returns ``{"mip": column or None, "time": s}``; the column only when its plan is better than ``floor``
    (started from the known plan, the engine is never worse than it).
    """
    t0 = time.perf_counter()
    city_inp = _budgeted(city_inp, budget_rp)
    _, mip = _engine_plan(city_inp, env_sources, time_limit_s, mip_rel_gap, seed, works=works or None)
    return {"mip": mip if mip is not None and mip["value"] > floor + 1e-9 else None, "time": time.perf_counter() - t0}


def lp_task(token: str, city: str, city_inp, env_sources, price: np.ndarray, rins_time_s: float = 0.0,
            caps: np.ndarray | None = None, works_only: bool = False) -> dict:
    """The city's LP relaxation with envelope money priced, or capped.

    ``price`` (shared sources x years) is what one million rupiah of each shared source spent in each
    year costs in hectare-years. Returns the priced optimum ``phi`` (an upper bound of the city's
    priced problem), the plan's own value ``value`` (hectare-years) and its envelope use ``usage``.
    With ``rins_time_s`` > 0 also ``int``: an integer plan near the LP solution (:func:`_rins`) as a
    column (plan table with ``option_row``, value, priced value ``phi``, usage), or None when that
    neighbourhood has no plan or the LP solution is the one this worker saw last time for the city;
    ``works_only``: that neighbourhood fixes the works only (:func:`_rins`).

    ``caps`` (shared sources x years, million Rp a year): the envelopes may pay at most this much in the
    city (``city_inp`` has the whole envelopes; for a carry-over source the caps add up over the years as
    its rows do); then also ``dual``, the LP's marginal value of one more million rupiah of each
    envelope's row [hectare-years per million Rp], and no integer column (an integer plan near a capped
    LP, or HiGHS on the whole city within the caps for a fraction of a second, was measured well below
    the city engine's plan in the same time). The city's rows are restored afterwards (the next priced
    solve starts warm from this basis).
    """
    t0 = time.perf_counter()
    key = (token, city)
    ent = _LP_CACHE.get(key)
    if ent is None:
        model = build_model(city_inp)
        h = new_highs(threads=1)
        pass_arrays(h, model.col_cost, model.col_lb, model.col_ub, model.A, model.row_lo, model.row_up, None,
                    maximize=True)
        ent = {"model": model, "h": h, "cols": env_columns(model, env_sources), "cost": model.col_cost.copy()}
        if len(_LP_CACHE) >= _LP_CACHE_MAX:
            _LP_CACHE.pop(next(iter(_LP_CACHE)))
        _LP_CACHE[key] = ent
    model, h, cols = ent["model"], ent["h"], ent["cols"]
    Y = len(model.inp.years)
    cost = model.col_cost.copy()
    for k in range(len(env_sources)):
        for y in range(Y):
            if len(cols[k][y]):
                cost[cols[k][y]] -= float(price[k, y])
    changed = np.flatnonzero(cost != ent["cost"])
    if len(changed):
        h.changeColsCost(len(changed), changed.astype(np.int32), cost[changed])
        ent["cost"] = cost
    idx = np.zeros(0, dtype=np.int32)
    if caps is not None:
        erows = _env_rows(model, env_sources)
        idx, up = _capped_rows(model, env_sources, erows, np.asarray(caps, float))
        if len(idx):
            h.changeRowsBounds(len(idx), idx, model.row_lo[idx], up)
    try:
        r = run(h, mip=False)
    finally:
        if len(idx):
            h.changeRowsBounds(len(idx), idx, model.row_lo[idx], model.row_up[idx])
    if r.values is None or r.model_status != "kOptimal":
        raise RuntimeError(f"city {city}: {'capped' if caps is not None else 'priced'} LP ended with {r.model_status}")
    v = r.values
    usage = np.array([[float(v[cols[k][y]].sum()) if len(cols[k][y]) else 0.0 for y in range(Y)]
                      for k in range(len(env_sources))]).reshape(len(env_sources), Y)
    value = float(model.col_cost @ v)
    out = {"phi": float(cost @ v), "value": value, "usage": usage, "time": time.perf_counter() - t0}
    if caps is not None:
        # maximising: a binding <= row has a dual >= 0 in HiGHS's convention (rows in million Rp)
        rd = np.zeros(model.n_rows + 1) if r.row_dual is None else np.append(np.maximum(r.row_dual, 0.0), 0.0)
        out["dual"] = rd[erows]  # (a source without a row in a year: index -1, the appended 0)
    elif rins_time_s > 0:
        # the same LP solution as this worker's last one for the city: the same neighbourhood, skipped to save
        # time (at new prices its best plan may differ; the rounds lose that column)
        last = ent.get("last_x")
        same = last is not None and last.shape == v.shape and np.allclose(last, v, rtol=0.0, atol=1e-9)
        out["int"] = None if same else _rins(model, cost, v, env_sources, rins_time_s, works_only)
        ent["last_x"] = v  # only once the neighbourhood was solved (a retry after a failure solves it again)
    out["time"] = time.perf_counter() - t0
    return out


def _env_rows(model, env_sources) -> np.ndarray:
    """(shared sources x years) index of each shared source's budget row in each year (-1: no row)."""
    brow = model.rows.get("budget", {})
    return np.array([[brow.get((s, yr), -1) for yr in model.inp.years] for s in env_sources],
                    dtype=np.int64).reshape(len(env_sources), len(model.inp.years))


def _capped_rows(model, env_sources, erows: np.ndarray, caps: np.ndarray):
    """The budget rows of the shared sources (``erows``, :func:`_env_rows`) and their upper bounds with each
    source's money capped at ``caps`` (sources x years, million Rp a year) instead of the whole envelope."""
    f = model.inp.funding
    up = np.full(erows.shape, np.nan)
    for k, s in enumerate(env_sources):
        full = f.budget_rp[f.sources.index(s)] / 1e6  # what the input lets the source pay (the whole envelope)
        delta = caps[k] - full
        if f.carry_over[s]:
            delta = np.cumsum(delta)  # the rows of a carry-over source are cumulative
        has = erows[k] >= 0
        up[k, has] = model.row_up[erows[k, has]] + delta[has]
    has = erows >= 0
    return erows[has].astype(np.int32), up[has]


def _rins(model, cost, x, env_sources, time_limit_s: float, works_only: bool = False) -> dict | None:
    """The priced MIP in the neighbourhood of the LP solution ``x``: integer columns at an integer value
    in ``x`` are fixed there (``works_only``: only the works ``x[o, y]``; the location indicators ``z``,
    ``st`` stay free - a larger neighbourhood: measured on 80 cities of the 11,000-location benchmark,
    columns 0.6 % better for 60 % more time). Returns the column (or None: no plan in the neighbourhood
    within the limit)."""
    integ = model.col_integer.astype(bool)
    rx = np.round(x)
    near = np.abs(x - rx) <= 1e-6
    fix = integ & near
    if works_only:
        works = np.zeros(len(integ), bool)
        works[np.asarray(model.xcol).ravel()] = True
        fix &= works
    if np.all(near[integ]):  # an integer LP solution is the column (HiGHS's tolerance rounded)
        return _plan_column(model, cost, np.where(integ, rx, x), env_sources)
    lb, ub = model.col_lb.copy(), model.col_ub.copy()
    lb[fix] = np.maximum(rx[fix], lb[fix])
    ub[fix] = np.minimum(rx[fix], ub[fix])
    return _neighbourhood_column(model, cost, lb, ub, time_limit_s, env_sources)


def _neighbourhood_column(model, cost, lb, ub, time_limit_s: float, env_sources) -> dict | None:
    """The city's MIP with objective ``cost`` and column bounds ``lb``, ``ub`` (a neighbourhood), solved by HiGHS
    within ``time_limit_s``: its plan as a column (:func:`_plan_column`), or None (no plan within the limit)."""
    h = new_highs(threads=1, time_limit=time_limit_s, mip_rel_gap=1e-4)
    pass_arrays(h, cost, lb, ub, model.A, model.row_lo, model.row_up, model.col_integer, maximize=True)
    r = run(h, mip=True)
    if r.values is None:
        return None
    return _plan_column(model, cost, np.asarray(r.values, float), env_sources)


def _plan_column(model, cost, v, env_sources) -> dict | None:
    """A solution ``v`` of the city's model as a column: plan table, value, value at ``cost`` (``phi``), envelope
    usage; None when it breaks a row of the model (HiGHS's tolerances; an integer LP solution is re-checked too)."""
    act = model.A @ v
    tol = 1e-6 * (1.0 + np.abs(act))
    if np.any(act < model.row_lo - tol) or np.any(act > model.row_up + tol):
        return None
    saved = model.values
    model.values = v
    try:
        plan = plan_from_model(model)
    finally:
        model.values = saved
    usage = _usage(plan, env_sources, model.inp.years)  # what the plan table spends, as for every other column
    return {"plan": plan, "value": float(model.col_cost @ v), "phi": float(cost @ v), "usage": usage}


def _engine_plan(city_inp, env_sources, time_limit_s, mip_rel_gap, seed, tie_break=False, works=None,
                 fallback_min_s=1.0):
    """The city engine on the city's model (from the works of a known plan, if given): its report and
    the plan as a column (plan table, value, bound, status, method, envelope usage), or None."""
    from ..allocate.solve import start_from_works

    model = build_model(city_inp)
    # in a forked child under a wall-clock guard: HiGHS does not always keep its time limit (seen once in a
    # 0.3 s top-up solve: highspy 1.16.0's MIP presolve looping in rowPresolve for over 6 minutes), and a
    # worker stuck in one city would stall the whole national run; a fired guard keeps the plan found by then.
    # A daemonic worker process (a Dask cluster started without distributed.worker.daemon: False) may not
    # have children: there the solve runs in the worker, unguarded.
    import multiprocessing as mp

    tb = 1.0 if tie_break else 0.0
    opts = SolverOptions(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, threads=1, seed=seed,
                         subprocess=not mp.current_process().daemon, tie_break_time_s=tb,
                         guard_s=3.0 * (time_limit_s + tb) + 2.0, fallback_min_s=fallback_min_s)
    rep = solve_model(model, opts, start=None if works is None else start_from_works(model, works))
    if not rep.status.has_solution:
        return rep, None
    plan = plan_from_model(model)  # with option_row: its works start a later solve (dropped in the national plan)
    bound = rep.best_bound if rep.best_bound is not None else rep.objective
    return rep, {"plan": plan, "value": float(rep.objective), "bound": float(bound), "status": rep.status.value,
                 "method": rep.method, "usage": _usage(plan, env_sources, city_inp.years)}


def mip_task(city_inp, env_sources, time_limit_s: float = 60.0, mip_rel_gap: float = 1e-4, tie_break: bool = False,
             seed: int = 20160, works: list | None = None, fallback_min_s: float = 1.0,
             budget_rp=None) -> dict | None:
    """The city's own MIP (the fast engine) with its envelope shares as budgets: a plan that fits.
    ``works`` (option row, year) of a plan that fits these budgets starts the engine (never worse than it);
    with them, None when the engine found no plan in time (the caller keeps that plan).
    ``fallback_min_s``: the engine's least time for the whole MIP when its decomposition ends without a plan
    (:class:`~kotaku_decide.allocate.status.SolverOptions`)."""
    t0 = time.perf_counter()
    city_inp = _budgeted(city_inp, budget_rp)
    rep, out = _engine_plan(city_inp, env_sources, time_limit_s, mip_rel_gap, seed, tie_break, works=works or None,
                            fallback_min_s=fallback_min_s)
    if out is None:
        if works:
            return None
        raise RuntimeError(f"city MIP: {rep.status.value} {rep.message}")
    out["time"] = time.perf_counter() - t0
    return out


def mip_bound_task(city_inp, env_sources, price: np.ndarray, time_limit_s: float = 5.0, seed: int = 20160) -> dict:
    """Upper bound of the city's priced *integer* problem: HiGHS's dual bound of the priced MIP.

    Valid whether or not HiGHS finishes (its dual bound bounds every integer plan); the priced LP
    value is returned too, and the smaller of the two is the bound to use.
    """
    t0 = time.perf_counter()
    model = build_model(city_inp)
    cols = env_columns(model, env_sources)
    cost = model.col_cost.copy()
    for k in range(len(env_sources)):
        for y in range(len(model.inp.years)):
            if len(cols[k][y]):
                cost[cols[k][y]] -= float(price[k, y])
    h = new_highs(threads=1, seed=seed, time_limit=time_limit_s, mip_rel_gap=1e-6)
    pass_arrays(h, cost, model.col_lb, model.col_ub, model.A, model.row_lo, model.row_up, model.col_integer,
                maximize=True)
    r = run(h, mip=True)
    bound = r.bound if r.bound is not None and np.isfinite(r.bound) else np.inf
    out = {"bound": float(bound), "status": r.model_status, "time": time.perf_counter() - t0, "plan": None}
    if r.values is not None:  # the incumbent is an integer plan priced right: a column for the master
        model.values = np.asarray(r.values, float)
        plan = plan_from_model(model)
        out.update(plan=plan, value=float(model.col_cost @ model.values),
                   usage=_usage(plan, env_sources, city_inp.years))
    return out


def crossover_task(city_inp, env_sources, plans_works: list, time_limit_s: float = 0.3, budget_rp=None) -> dict | None:
    """The city's MIP (its own objective) in the neighbourhood of several of its plans, within budgets.

    ``plans_works``: the (option row, year) works of two or more plans of the city (the integer columns a master
    LP mixes); ``budget_rp``: the budgets to keep (the envelopes capped at the mix's money). A work in every plan
    is kept, a work in none is left out, the works in some of them are free (with the money, the clearings and
    the starts): a crossover of the plans, solved by HiGHS within ``time_limit_s``. Returns the plan as a column
    (plan table, value, usage) or None (no plan in that neighbourhood within the limit)."""
    if not plans_works:
        return None
    city_inp = _budgeted(city_inp, budget_rp)
    model = build_model(city_inp)
    years = list(model.inp.years)
    sets = [{(int(o), years.index(int(y))) for o, y in w} for w in plans_works]
    union, common = set().union(*sets), set.intersection(*sets)
    lb, ub = model.col_lb.copy(), model.col_ub.copy()
    xs = np.asarray(model.xcol)
    off = np.ones(xs.shape, bool)
    for o, y in union:
        off[o, y] = False
    ub[xs[off]] = 0.0
    for o, y in common:
        lb[xs[o, y]] = 1.0
    return _neighbourhood_column(model, model.col_cost, lb, ub, time_limit_s, env_sources)
