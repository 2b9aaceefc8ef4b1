"""The tie-break stage: money the main objective leaves unused buys more score reduction, deterministically.

After the main objective is solved (hectare-years proven optimal, or households), some money is
usually left. The tie-break spends it on single works in order of the model's tie-break value
(score reduction x area x year weight, earlier years slightly preferred) per million rupiah,
earliest year first. Each work is paid source by source (the community share first, then the
sources with the narrowest eligibility), and it is added only if *every row of the model* still
holds with it (budgets with carry-over, kelurahan caps, swadaya share, one target per criterion,
resettlement, legality, precedence, equity, capacity, the clearing indicators as they are): the
same rules the optimiser keeps, checked on the model itself. The main objective never changes
(the clearing indicators stay fixed).

A greedy top-up, not an optimisation: it is deterministic (the same plan on any machine, at any
load) and takes a fraction of a second, where an exact lexicographic second stage on the whole
model took 10-20 s on the embedded city and its outcome depended on a time limit.
"""

from __future__ import annotations

import numpy as np

__all__ = ["top_up"]

_TOL = 1e-7


def top_up(model, values: np.ndarray) -> tuple[np.ndarray, dict]:
    """Add works paid with leftover money, best tie-break value per rupiah first.

    Parameters
    ----------
    model : :class:`~.model.AllocationModel` with a tie-break (``model.tie_cost``)
    values : column values of a feasible plan

    Returns
    -------
    (values, info): the new column values and ``{"added": works added, "value_before",
    "value_after", "spent_m": money added [million Rp]}``.
    """
    v = np.asarray(values, dtype=float).copy()
    tie = model.tie_cost
    info = {"added": 0, "value_before": float(tie @ v) if tie is not None else 0.0, "spent_m": 0.0}
    if tie is None:
        info["value_after"] = info["value_before"]
        return v, info
    inp = model.inp
    A = model.A.tocsc()
    lo, up = model.row_lo, model.row_up
    act = model.A @ v
    opts = inp.options
    cost = opts["cost_m"].to_numpy(float)
    o_loc = opts["loc"].to_numpy().astype(np.int64)
    crit = opts["criterion"].to_numpy()
    Y = model.xcol.shape[1]
    group_of = {}
    for (i, g), (srcs, rows) in model.groups.items():
        for o in rows:
            group_of[o] = (g, srcs)
    f = inp.funding
    narrow = {s: len(f.eligible[s]) for s in f.sources}
    sw, share = inp.swadaya_source, inp.swadaya_share
    from .costing import LOCATION_WORKS

    chosen = v[model.xcol] > 0.5
    done = {(int(o_loc[o]), crit[o]) for o in np.flatnonzero(chosen.any(axis=1))}
    resettled = {i for (i, c) in done if c == "resettlement"}
    # budget rows covering money of source s spent in year y (carry-over rows are cumulative)
    covers: dict = {}
    years = inp.years
    for key, r in model.rows.get("budget", {}).items():
        s, yr = key[0], key[1]  # (source, year) or, for a scoped pool, (source, year, scope)
        yi = years.index(yr)
        for y in (range(yi + 1) if f.carry_over[s] else [yi]):
            covers.setdefault((s, y), []).append(r)

    def free(s, y):
        rows = covers.get((s, y))
        return np.inf if not rows else max(min(up[r] - act[r] for r in rows), 0.0)

    cand = []
    for o in range(len(opts)):
        if chosen[o].any() or cost[o] <= 0:
            continue
        for y in range(Y):
            t = tie[model.xcol[o, y]]
            if t > 0 and model.col_ub[model.xcol[o, y]] > 0.5:
                cand.append((-t / cost[o], y, o))
    cand.sort()

    def col(j):
        a, b = A.indptr[j], A.indptr[j + 1]
        return A.indices[a:b], A.data[a:b]

    def room(j):
        """How much column j may grow before a row with an upper bound breaks (lower bounds: none here)."""
        rows, coef = col(j)
        r = np.inf
        for k, c in zip(rows, coef):
            if c > 0 and np.isfinite(up[k]):
                r = min(r, (up[k] - act[k]) / c)
            elif c < 0 and np.isfinite(lo[k]):
                r = min(r, (act[k] - lo[k]) / -c)
        return max(r, 0.0)

    for _, y, o in cand:
        i = int(o_loc[o])
        c = crit[o]
        # cheap refusals first (the row check below would refuse them too): one target per criterion,
        # resettlement excludes everything, and not enough eligible money left in that year
        if (i, c) in done or i in resettled or (c == "resettlement" and any(k[0] == i for k in done)):
            continue
        g, srcs = group_of[o]
        if sum(free(s, y) for s in srcs) < cost[o] - 1e-9:
            continue
        delta = {model.xcol[o, y]: 1.0}
        # start the location in y if it has no work yet and starts are counted
        if model.stcol and (i, y) in model.stcol and not any(v[model.stcol[(i, yy)]] > 0.5 for yy in range(Y)):
            delta[model.stcol[(i, y)]] = 1.0
        need = cost[o]
        order = sorted(srcs, key=lambda s: (s != sw, narrow[s], s)) if sw is not None and share > 0 else \
            sorted(srcs, key=lambda s: (narrow[s], s))
        # apply x (and st) first, so that the rooms of the money columns see the new demand
        trial = dict(delta)
        ok = True
        d_act = np.zeros_like(act)
        for j, dv in trial.items():
            rows, coef = col(j)
            d_act[rows] += coef * dv
        act += d_act
        paid = {}
        for s in order:
            if need <= _TOL:
                break
            j = model.mcol[(i, g, y, s)]
            a = min(need, room(j))
            if s == sw and share > 0 and crit[o] not in LOCATION_WORKS:
                a = min(need, max(a, 0.0))
            if a > _TOL:
                rows, coef = col(j)
                act[rows] += coef * a
                paid[j] = a
                need -= a
        if need > 1e-6:
            ok = False
        if ok:
            # every row the work touches must still hold (swadaya share, equity, precedence, one
            # target, legality, capacity, ...)
            touched = np.concatenate([col(j)[0] for j in list(trial) + list(paid)])
            a_t, lo_t, up_t = act[touched], lo[touched], up[touched]
            bad = (a_t < lo_t - 1e-6 * (1 + np.abs(lo_t))) | (a_t > up_t + 1e-6 * (1 + np.abs(up_t)))
            ok = not bad.any()
        if not ok:  # undo
            act -= d_act
            for j, a in paid.items():
                rows, coef = col(j)
                act[rows] -= coef * a
            continue
        for j, dv in trial.items():
            v[j] += dv
        for j, a in paid.items():
            v[j] += a
        done.add((i, c))
        if c == "resettlement":
            resettled.add(i)
        info["added"] += 1
        info["spent_m"] += cost[o]
    info["value_after"] = float(tie @ v)
    return v, info


def prune(model, values: np.ndarray) -> tuple[np.ndarray, int]:
    """Drop works that do nothing for the hectares objective: at locations that stay on the slum list
    (or are not on it), and after a location's clearing year. Their money goes back (each money
    group is scaled to its remaining works). Kept as it is when an equity minimum is set (spend
    itself counts there) or when any row of the model would break.

    Returns the new values and the number of works dropped.
    """
    if float(model.inp.scenario["rules.equity_min_share"]) > 0:
        return values, 0
    v = np.asarray(values, dtype=float).copy()
    Y = model.xcol.shape[1]
    o_loc = model.inp.options["loc"].to_numpy().astype(np.int64)
    cleared = {}
    for (i, y), col in model.zcol.items():
        if v[col] > 0.5 and (i not in cleared or y < cleared[i]):
            cleared[i] = y
    x = v[model.xcol] > 0.5
    drop = np.zeros_like(x)
    for o, i in enumerate(o_loc):
        t = cleared.get(int(i))
        if t is None:
            drop[o, :] = x[o, :]
        else:
            drop[o, t + 1:] = x[o, t + 1:]
    n = int(drop.sum())
    if not n:
        return v, 0
    cost = model.inp.options["cost_m"].to_numpy(float)
    for (i, g), (srcs, rows) in model.groups.items():
        for y in range(Y):
            before = sum(cost[o] for o in rows if x[o, y])
            after = sum(cost[o] for o in rows if x[o, y] and not drop[o, y])
            if before <= 0 or after == before:
                continue
            f = after / before
            for s in srcs:
                v[model.mcol[(i, g, y, s)]] *= f
    v[model.xcol[drop]] = 0.0
    for (i, y), col in model.stcol.items():
        if v[col] > 0.5 and not (v[model.xcol[o_loc == i]] > 0.5).any():
            v[col] = 0.0
    act = model.A @ v
    bad = (act < model.row_lo - 1e-6 * (1 + np.abs(model.row_lo))) | (act > model.row_up + 1e-6 * (1 + np.abs(model.row_up)))
    if bad.any():
        return np.asarray(values, dtype=float), 0
    return v, n
