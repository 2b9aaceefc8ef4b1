"""Robust funding: how often each location is funded when unit costs and weights are uncertain.

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

Each draw is re-solved (main objective, warm-started from the greedy plan under the draw's costs,
which is always feasible; time-limited: ``status`` and ``gap`` per draw are kept). A location is **funded** in a draw when it
is cleared by the last year; the **robust core** is the set funded in at least ``core`` (90 %) of
the draws.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..allocate import AllocationInput, prepare
from .core import default_solver, parallel_map, solve_variant, with_costs

__all__ = ["robust_funding", "draw_factors"]


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
        S = np.column_stack([inp.locations[f"score_{c}"].to_numpy(float) if f"score_{c}" in inp.locations
                             else np.zeros(len(inp.locations)) for c in codes])
        tot = S.sum(axis=1)
        lw = np.where(tot > 0, len(codes) * (S @ w) / np.where(tot > 0, tot, 1.0), 1.0)
    elif weights is not None:
        raise ValueError(f"weights must be None or 'simplex', got {weights!r}")
    return fac, lw


def _draw(ctx, d):
    inp, seed, spread, weights, solver, base_keys = ctx
    from ..allocate.greedy import greedy_plan

    fac, lw = draw_factors(inp, seed, d, spread, weights)
    v = with_costs(inp, fac)
    gp, _ = greedy_plan(v)  # always feasible under the draw's costs: the MIP start
    start = set(zip(gp["option_row"].astype(int), gp["year"].astype(int))) if len(gp) else base_keys
    o = solve_variant(v, loc_weight=lw, start=start, solver=solver)
    last = inp.years[-1]
    return {"draw": d, "status": o.status, "gap": o.gap, "objective": o.objective, "time_s": o.time_s,
            "cleared": sorted(o.cleared_by(last)) if o.has_plan else [],
            "funded": sorted(o.funded_years) if o.has_plan else []}


def robust_funding(inp, draws: int = 200, seed: int = 2016, *, cost_spread: float = 0.3, weights: str | None = None,
                   time_limit_s: float = 0.5, mip_rel_gap: float = 1e-4, core: float = 0.9,
                   processes: int | None = None, base=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Probability of being funded per location over seeded draws.

    Returns
    -------
    (per_location, per_draw): ``per_location`` has ``location_id, name, area_ha,
    p_cleared`` (share of draws cleared by the last year), ``p_works`` (share with any works),
    ``core`` (p_cleared >= ``core``); ``per_draw`` has status, gap, objective and time per draw.
    """
    t0 = time.perf_counter()
    inp = inp if isinstance(inp, AllocationInput) else prepare(inp)
    solver = default_solver(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    keys = base.start_keys() if base is not None and base.has_plan else None
    res = parallel_map(_draw, (inp, seed, cost_spread, weights, solver, keys), range(int(draws)), processes)
    res = sorted(res, key=lambda r: r["draw"])
    n = len(res)
    loc = inp.locations[inp.locations["slum"]]
    cl = pd.Series([c for r in res for c in r["cleared"]]).value_counts() if n else pd.Series(dtype=float)
    fw = pd.Series([c for r in res for c in r["funded"]]).value_counts() if n else pd.Series(dtype=float)
    per = pd.DataFrame({"location_id": loc["location_id"].to_numpy(), "name": loc["name"].to_numpy(),
                        "area_ha": loc["area_ha"].to_numpy(float)})
    per["p_cleared"] = per["location_id"].map(cl).fillna(0).to_numpy(float) / max(n, 1)
    per["p_works"] = per["location_id"].map(fw).fillna(0).to_numpy(float) / max(n, 1)
    per["core"] = per["p_cleared"] >= core
    per = per.sort_values(["p_cleared", "area_ha"], ascending=[False, False]).reset_index(drop=True)
    pdraw = pd.DataFrame([{k: v for k, v in r.items() if k not in ("cleared", "funded")} for r in res])
    pdraw["n_cleared"] = [len(r["cleared"]) for r in res]
    per.attrs.update(draws=n, seed=seed, cost_spread=cost_spread, weights=weights, core=core,
                     elapsed_s=time.perf_counter() - t0)
    return per, pdraw
