"""Budget sweep: slum hectares cleared and households served against the budget, knees marked.

Points are solved in increasing budget order along ``n_chains`` chains (point ``k`` belongs to
chain ``k % n_chains``; chains run in parallel). For the hectares objective every point is solved
exactly by the clearing-year decomposition (about half a second on the embedded city, proven
within ``mip_rel_gap``; the time limit is only a guard). For the other objectives (solved by the
whole MIP) each point starts from the best of the previous (cheaper) point's plan, the greedy plan
and the package restriction (:func:`~.core.package_start`), under the time limit. A point whose
solve ends below a cheaper point's plan takes that plan instead (``carried_from``), so the reported
hectare-years never fall as the money grows. The number of chains, not the number of worker
processes, fixes the result (same input -> same sweep).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..allocate import AllocationInput, prepare
from .core import (
    best_start,
    budget_matrix,
    default_solver,
    greedy_start,
    package_start,
    parallel_map,
    solve_variant,
    with_budget,
)

__all__ = ["budget_sweep", "knees"]


def _budgets(inp: AllocationInput, factors, source):
    b0 = budget_matrix(inp)
    out = []
    for f in factors:
        b = b0.copy()
        if source is None:
            b = b0 * f
        else:
            si = inp.funding.sources.index(source)
            b[si] = b0[si] * f
        out.append(b)
    return out


def _chain(ctx, chain):
    inp, solver = ctx
    res, prev, prev_obj = [], None, -np.inf
    exact = inp.scenario["objective.kind"] == "hectares"
    for k, b in chain:
        v = with_budget(inp, b)
        # the whole MIP starts from the best of: the greedy plan at this budget, the package
        # restriction's plan, the previous (cheaper) point's plan; the decomposition from the previous
        # point's plan (still a plan with more money; a start speeds the proof, the optimum stays the same)
        start = prev if exact else best_start(greedy_start(v), package_start(v), (prev, prev_obj))
        o = solve_variant(v, start=start, solver=solver)
        if o.has_plan:
            prev, prev_obj = o.start_keys(), o.objective
        res.append((k, _point(v, o)))
    return res


def _point(v, o):
    last = v.years[-1]
    loc = v.locations
    hh = dict(zip(loc["location_id"], loc["households"].astype(float)))
    area = dict(zip(loc["location_id"], loc["area_ha"].astype(float)))
    cl = sorted(o.cleared_by(last)) if o.has_plan else []
    return {"status": o.status, "objective": o.objective, "best_bound": o.best_bound, "gap": o.gap,
            "time_s": o.time_s, "cleared": cl, "cleared_ha": float(sum(area[c] for c in cl)),
            "households_served": float(sum(hh[c] for c in cl)),
            "cost_rp": float(o.works["cost_rp"].sum()) if o.has_plan else np.nan, "start": o.start_keys(),
            "cleared_year": dict(o.cleared_year)}


def knees(x, y, drop: float = 0.5) -> tuple[np.ndarray, int | None]:
    """Knees of an increasing frontier.

    Returns (mask of points where the slope after the point is below ``drop`` times the slope
    before it, index of the main knee by the Kneedle rule: the point farthest above the chord
    from the first to the last point after scaling both axes to [0, 1]).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = len(x)
    mask = np.zeros(n, bool)
    if n < 3:
        return mask, None
    dx = np.diff(x)
    dy = np.diff(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(dx > 0, dy / dx, np.nan)
    for k in range(1, n - 1):
        if np.isfinite(s[k - 1]) and np.isfinite(s[k]) and s[k - 1] > 0 and s[k] < drop * s[k - 1]:
            mask[k] = True
    xr, yr = np.ptp(x), np.ptp(y)
    if xr <= 0 or yr <= 0:
        return mask, None
    d = (y - y[0]) / yr - (x - x[0]) / xr
    main = int(np.argmax(d))
    return mask, (main if d[main] > 1e-9 else None)


def budget_sweep(inp, factors=None, *, source: str | None = None, n_points: int = 20, max_factor: float = 1.5,
                 time_limit_s: float = 20.0, mip_rel_gap: float = 1e-4, n_chains: int | None = None,
                 processes: int | None = None) -> pd.DataFrame:
    """Sweep the budget and re-solve.

    Parameters
    ----------
    inp : prepared input or scenario
    factors : multipliers of the current budgets (default ``n_points`` evenly from
        ``max_factor / n_points`` to ``max_factor``)
    source : vary only this source's budget (all its years, by the factor), the others fixed
    time_limit_s : limit per point [s] (a guard for the hectares objective; each point reports status and gap)
    n_chains : warm-start chains (fixes the result; run in parallel over ``processes``); default 4 for
        the hectares objective (each point is proven, a start only speeds it: more chains balance a
        slow point better; measured 31 s -> 23 s on 2 cores), 2 for the others (whose time-limited
        solves gain from the nearer cheaper point's plan)

    Returns
    -------
    DataFrame, one row per point in increasing budget: ``factor, total_budget_rp,
    source_budget_rp, objective`` (hectare-years), ``cleared_ha`` and ``households_served`` (by the
    last year), ``cost_rp``, ``status, gap, time_s, carried_from`` (factor whose plan was kept),
    ``entered`` / ``left`` (location_ids cleared by the last year compared with the previous
    point), ``knee`` (slope drop), ``main_knee`` (Kneedle).
    """
    t0 = time.perf_counter()
    inp = inp if isinstance(inp, AllocationInput) else prepare(inp)
    if factors is None:
        factors = np.linspace(max_factor / n_points, max_factor, n_points)
    factors = sorted(float(f) for f in factors)
    if source is not None and source not in inp.funding.sources:
        raise ValueError(f"unknown source {source!r}; expected one of {inp.funding.sources}")
    bs = _budgets(inp, factors, source)
    if n_chains is None:
        n_chains = 4 if inp.scenario["objective.kind"] == "hectares" else 2
    chains = [[(k, bs[k]) for k in range(len(bs)) if k % n_chains == c] for c in range(n_chains)]
    chains = [c for c in chains if c]
    solver = default_solver(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    out = parallel_map(_chain, (inp, solver), chains, processes)
    pts = dict(p for chain in out for p in chain)
    rows = []
    best = None  # (objective, factor index, point)
    for k, f in enumerate(factors):
        p = pts[k]
        carried = np.nan
        if best is not None and (p["objective"] is None or p["objective"] < best[0] - 1e-9):
            carried = factors[best[1]]
            q = dict(best[2])
            q.update(status=p["status"], gap=p["gap"], time_s=p["time_s"], best_bound=p["best_bound"])
            p = q
        elif p["objective"] is not None:
            best = (p["objective"], k, p)
        b = bs[k]
        rows.append({"factor": f, "total_budget_rp": float(b.sum()),
                     "source_budget_rp": float(b[inp.funding.sources.index(source)].sum()) if source else np.nan,
                     "objective": p["objective"], "best_bound": p["best_bound"], "cleared_ha": p["cleared_ha"],
                     "households_served": p["households_served"], "cost_rp": p["cost_rp"], "status": p["status"],
                     "gap": p["gap"], "time_s": p["time_s"], "carried_from": carried, "cleared": p["cleared"]})
    df = pd.DataFrame(rows)
    prev: set = set()
    ent, lef = [], []
    for cl in df["cleared"]:
        ent.append(" ".join(sorted(set(cl) - prev)))
        lef.append(" ".join(sorted(prev - set(cl))))
        prev = set(cl)
    df["entered"], df["left"] = ent, lef
    x = df["source_budget_rp"] if source else df["total_budget_rp"]
    m, main = knees(x.to_numpy(float), df["cleared_ha"].to_numpy(float))
    df["knee"] = m
    df["main_knee"] = False
    if main is not None:
        df.loc[main, "main_knee"] = True
    df["cleared"] = df["cleared"].map(lambda c: " ".join(c))
    df.attrs["elapsed_s"] = time.perf_counter() - t0
    df.attrs["source"] = source
    return df
