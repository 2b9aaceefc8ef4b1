"""The allocation model (PuLP, solved with HiGHS): build only; solving is in :mod:`.solve`.

Create model -> (caller may add constraints or change budgets) -> solve -> assign solution ->
post-process. The formulation is written up in ``docs/allocation.md``. Money is in millions of
rupiah inside the model.

Variables
---------
``x[o, y]`` binary: option ``o`` (location, criterion, target band; or resettlement /
legalisation of a location) done in year ``y``.
``m[i, g, y, s]`` >= 0 [million Rp]: money of source ``s`` for the works of eligibility group
``g`` at location ``i`` in year ``y`` (a group = the works at a location with the same set of
eligible sources; works in a group share the money in proportion to cost).
``z[i, y]`` binary: slum location ``i`` is below the slum threshold by the end of year ``y``.
``st[i, y]`` binary (only with capacity rules): location ``i`` started in year ``y``.
``uw[i, y]``, ``us[i, y]`` >= 0 (households objective): households still without safe water /
proper sanitation at ``i`` at the end of ``y``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pulp

from .costing import LOCATION_WORKS
from .inputs import SANITATION, WATER, AllocationInput

__all__ = ["AllocationModel", "build_model", "TIE_BREAK_SHARE"]

#: The whole tie-break is worth at most this fraction of the smallest location's hectare-year.
TIE_BREAK_SHARE = 0.01
#: Penalties in the diagnostic (elastic) models.
_PEN_REQ = 1e6  # per hectare / per location / per million Rp of unmet requirement
_PEN_MONEY = 1.0  # per million Rp of extra money


def _expr(pairs) -> pulp.LpAffineExpression:
    """Affine expression from (variable, coefficient) pairs; repeated variables are summed."""
    d: dict = {}
    for v, c in pairs:
        d[v] = d.get(v, 0.0) + c
    return pulp.LpAffineExpression(d)


@dataclass
class AllocationModel:
    """A built PuLP model with its variable and constraint indexes.

    Attributes
    ----------
    prob : pulp.LpProblem
    inp : AllocationInput
    x : dict (option_row, year) -> LpVariable
    m : dict (loc, group, year, source) -> LpVariable [million Rp]
    z : dict (loc, year) -> LpVariable
    cons : dict family -> dict key -> LpConstraint (e.g. ``cons['budget'][(source, year)]``)
    slack : dict family -> dict key -> LpVariable (only in elastic models)
    groups : dict (loc, group) -> (sources tuple, option rows)
    elastic : None, ``"money"`` or ``"requirements"``
    build_time_s : float
    """

    prob: pulp.LpProblem
    inp: AllocationInput
    x: dict
    m: dict
    z: dict
    st: dict
    uw: dict
    us: dict
    cons: dict
    slack: dict
    groups: dict
    objective_constant: float = 0.0
    tie_break_eps: float = 0.0
    tie_break: object = None  #: LpAffineExpression (score reduction x area x year weight), optimised second
    elastic: str | None = None
    build_time_s: float = 0.0
    info: dict = field(default_factory=dict)

    def set_budget(self, source: str, year: int, budget_rp: float) -> None:
        """Change one budget in place (cheap re-solve; keeps carry-over semantics)."""
        f = self.inp.funding
        si, yi = f.sources.index(source), f.years.index(year)
        f.budget_rp[si, yi] = float(budget_rp)
        for (s, y), c in self.cons["budget"].items():
            if s == source:
                j = f.years.index(y)
                rhs = f.budget_rp[si, : j + 1].sum() if f.carry_over[s] else f.budget_rp[si, j]
                c.constant = -rhs / 1e6


def build_model(inp: AllocationInput, elastic: str | None = None) -> AllocationModel:
    """Build the MILP for a prepared input.

    Parameters
    ----------
    inp : :class:`~.data.AllocationInput`
    elastic : None (the model itself), ``"money"`` (budgets may be exceeded at a price, every
        requirement priced far higher: tells how much money is missing) or ``"requirements"``
        (budgets hard, requirements - target, locked-in, equity - may be missed at a price: tells
        by how many hectares / which locations). Elastic models minimise the priced slack and
        are used by :func:`~.solve.diagnose`.
    """
    import time

    t0 = time.perf_counter()
    sc = inp.scenario
    opts = inp.options
    loc = inp.locations
    years = inp.years
    Y = len(years)
    yw = inp.year_weight
    kind = sc["objective.kind"]
    sense = pulp.LpMinimize if (kind == "least_cost" or elastic) else pulp.LpMaximize
    prob = pulp.LpProblem("kotaku_allocation", sense)
    cons: dict = defaultdict(dict)
    slack: dict = defaultdict(dict)

    O = len(opts)
    o_loc = opts["loc"].to_numpy()
    o_crit = opts["criterion"].to_numpy()
    o_cost = opts["cost_m"].to_numpy(float)
    o_delta = opts["delta_score"].to_numpy(float)
    o_qty = opts["quantity"].to_numpy(float)
    o_src = opts["sources"].to_numpy()
    area = loc["area_ha"].to_numpy(float)
    total0 = loc["total_score"].to_numpy(float)
    slum = loc["slum"].to_numpy(bool)
    cand = loc["candidate"].to_numpy(bool)
    legal = loc["legal_alloc"].to_numpy(bool)
    thr = inp.threshold

    # ---- variables --------------------------------------------------------------------------
    xv = prob.add_variable_dicts("x", (range(O), range(Y)), cat=pulp.LpBinary)
    x = {(o, y): xv[o][y] for o in range(O) for y in range(Y)}

    by_loc: dict = defaultdict(list)
    for o in range(O):
        by_loc[int(o_loc[o])].append(o)
    by_loc_crit: dict = defaultdict(list)
    for o in range(O):
        by_loc_crit[(int(o_loc[o]), o_crit[o])].append(o)
    insitu = ~np.isin(o_crit, list(LOCATION_WORKS))

    # money groups: the works of a location with the same eligible sources share one pool of money;
    # in-situ works and location works (legalisation, resettlement) never share a pool, so that the
    # community (swadaya) share is measured on in-situ spend only
    groups = {}
    gid_of = np.zeros(O, dtype=np.int64)
    for i, rows in by_loc.items():
        keys = {}
        for o in rows:
            k = (o_src[o], bool(insitu[o]))
            if k not in keys:
                keys[k] = len(keys)
                groups[(i, keys[k])] = (k[0], [])
            groups[(i, keys[k])][1].append(o)
            gid_of[o] = keys[k]
    m = {}
    for (i, g), (srcs, _rows) in groups.items():
        for y in range(Y):
            for s in srcs:
                m[(i, g, y, s)] = prob.add_variable(f"m_{i}_{g}_{y}_{s}", lowBound=0)

    slum_locs = [i for i in sorted(by_loc) if slum[i]] + [i for i in np.flatnonzero(slum & cand) if i not in by_loc]
    slum_locs = sorted(set(int(i) for i in slum_locs))
    z = {(i, y): prob.add_variable(f"z_{i}_{y}", cat=pulp.LpBinary) for i in slum_locs for y in range(Y)}

    def xcum(rows, y, coef=None):
        return [(x[(o, yy)], 1.0 if coef is None else coef[k]) for k, o in enumerate(rows) for yy in range(y + 1)]

    # ---- money balance: the group's works are paid exactly by its sources ----------------------
    for (i, g), (srcs, rows) in groups.items():
        for y in range(Y):
            e = [(m[(i, g, y, s)], 1.0) for s in srcs] + [(x[(o, y)], -o_cost[o]) for o in rows]
            c = pulp.LpConstraint(_expr(e), pulp.LpConstraintEQ, rhs=0.0)
            prob.addConstraint(c)
            cons["balance"][(i, g, y)] = c

    # ---- budgets per source and year (cumulative with carry-over) -------------------------------
    f = inp.funding
    spend_sy = defaultdict(list)
    for (i, g, y, s), v in m.items():
        spend_sy[(s, y)].append(v)
    for si, s in enumerate(f.sources):
        for y in range(Y):
            ys = range(y + 1) if f.carry_over[s] else [y]
            e = [(v, 1.0) for yy in ys for v in spend_sy.get((s, yy), [])]
            rhs = float(sum(f.budget_rp[si, yy] for yy in ys)) / 1e6
            if elastic == "money":
                sl = prob.add_variable(f"slack_budget_{s}_{y}", lowBound=0)
                slack["budget"][(s, years[y])] = sl
                e.append((sl, -1.0))
            if not e:
                continue
            c = pulp.LpConstraint(_expr(e), pulp.LpConstraintLE, rhs=rhs)
            prob.addConstraint(c, name=f"budget_{s}_{years[y]}")
            cons["budget"][(s, years[y])] = c

    # ---- per-kelurahan yearly cap of a source (community grants) -----------------------------
    kel = loc["kelurahan"].astype(str).to_numpy()
    for s in f.sources:
        cap = f.cap_rp.get(s)
        if cap is None:
            continue
        per = defaultdict(list)
        for (i, g, y, ss), v in m.items():
            if ss == s:
                per[(kel[i], y)].append(v)
        for (k, y), vs in sorted(per.items()):
            c = pulp.LpConstraint(_expr([(v, 1.0) for v in vs]), pulp.LpConstraintLE, rhs=cap / 1e6)
            prob.addConstraint(c, name=f"cap_{s}_{k}_{years[y]}".replace(" ", "_"))
            cons["cap"][(s, k, years[y])] = c

    # ---- swadaya share of in-situ spend per location and year ---------------------------------
    sw, share = inp.swadaya_source, inp.swadaya_share
    if sw is not None and share > 0:
        for i, rows in sorted(by_loc.items()):
            ins = [o for o in rows if insitu[o]]
            if not ins:
                continue
            for y in range(Y):
                e = [(m[(i, g, y, sw)], 1.0) for (ii, g) in groups
                     if ii == i and (i, g, y, sw) in m and insitu[groups[(ii, g)][1][0]]]
                e += [(x[(o, y)], -share * o_cost[o]) for o in ins]
                c = pulp.LpConstraint(_expr(e), pulp.LpConstraintGE, rhs=0.0)
                prob.addConstraint(c)
                cons["swadaya"][(i, years[y])] = c

    # ---- at most one target per location and criterion; resettlement excludes in-situ works ----
    res_of = {int(o_loc[o]): o for o in range(O) if o_crit[o] == "resettlement"}
    leg_of = {int(o_loc[o]): o for o in range(O) if o_crit[o] == "legalisation"}
    for (i, c), rows in sorted(by_loc_crit.items()):
        e = [(x[(o, y)], 1.0) for o in rows for y in range(Y)]
        if c not in LOCATION_WORKS and i in res_of:
            e += [(x[(res_of[i], y)], 1.0) for y in range(Y)]
        if c == "legalisation" and i in res_of:
            e += [(x[(res_of[i], y)], 1.0) for y in range(Y)]
        cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintLE, rhs=1.0)
        prob.addConstraint(cc)
        cons["one_target"][(i, c)] = cc

    # ---- legality: no in-situ works on land that is not legal before it is legalised ----------
    for (i, c), rows in sorted(by_loc_crit.items()):
        if c in LOCATION_WORKS or legal[i]:
            continue
        for y in range(Y):
            e = [(x[(o, y)], 1.0) for o in rows]
            if i in leg_of:
                e += [(x[(leg_of[i], yy)], -1.0) for yy in range(y + 1)]
            cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintLE, rhs=0.0)
            prob.addConstraint(cc)
            cons["legality"][(i, c, years[y])] = cc

    # ---- precedence: drainage before or with road works at a site -----------------------------
    for bi, (before, after) in enumerate(inp.precedence):
        for i in sorted(by_loc):
            rb = [o for c in before for o in by_loc_crit.get((i, c), [])]
            if not rb:
                continue
            for a in after:
                ra = by_loc_crit.get((i, a), [])
                if not ra:
                    continue
                for y in range(Y):
                    e = xcum(ra, y) + [(v, -w) for v, w in xcum(rb, y)]
                    cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintLE, rhs=0.0)
                    prob.addConstraint(cc)
                    cons["precedence"][(bi, i, a, years[y])] = cc

    # ---- cleared by year y: re-scored total below the slum threshold ---------------------------
    need = np.maximum(total0 - (thr - 1), 0.0)
    for i in slum_locs:
        rows = [o for o in by_loc.get(i, []) if insitu[o]]
        coef = [min(o_delta[o], need[i]) for o in rows]
        for y in range(Y):
            e = [(v, w) for v, w in xcum(rows, y, coef) if w > 0]
            if i in res_of:
                e += [(x[(res_of[i], yy)], need[i]) for yy in range(y + 1)]
            e.append((z[(i, y)], -need[i]))
            cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintGE, rhs=0.0)
            prob.addConstraint(cc)
            cons["cleared"][(i, years[y])] = cc

    # ---- valid inequalities: money spent at a location by y >= its cheapest clearing cost if cleared
    from .packages import package_from_arrays

    min_cost = {}
    for i in slum_locs:
        rows = np.asarray(by_loc.get(i, []), dtype=np.int64)
        c, _ = package_from_arrays(o_crit[rows], o_delta[rows], o_cost[rows], rows, int(need[i]), bool(legal[i]),
                                   inp.precedence)
        min_cost[i] = c
        if not np.isfinite(c):
            for y in range(Y):
                z[(i, y)].upBound = 0
            continue
        allr = by_loc.get(i, [])
        for y in range(Y):
            e = xcum(allr, y, [o_cost[o] for o in allr]) + [(z[(i, y)], -c)]
            cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintGE, rhs=0.0)
            prob.addConstraint(cc)
            cons["min_cost"][(i, years[y])] = cc
            if y + 1 < Y:
                cc = pulp.LpConstraint(_expr([(z[(i, y)], 1.0), (z[(i, y + 1)], -1.0)]), pulp.LpConstraintLE, rhs=0.0)
                prob.addConstraint(cc)
                cons["cleared_monotone"][(i, years[y])] = cc

    # ---- locked-in locations: cleared by the last year -----------------------------------------
    locked_in = np.flatnonzero(loc["locked_in"].to_numpy(bool))
    for i in locked_in:
        i = int(i)
        e = [(z[(i, Y - 1)], 1.0)] if (i, Y - 1) in z else []
        if elastic:
            sl = prob.add_variable(f"slack_locked_in_{i}", lowBound=0, upBound=1)
            slack["locked_in"][loc.at[i, "location_id"]] = sl
            e.append((sl, 1.0))
        cc = pulp.LpConstraint(_expr(e) if e else pulp.LpAffineExpression(), pulp.LpConstraintGE, rhs=1.0)
        prob.addConstraint(cc, name=f"locked_in_{i}")
        cons["locked_in"][loc.at[i, "location_id"]] = cc

    # ---- hectares target ------------------------------------------------------------------------
    th, ty = inp.target()
    if th is not None:
        yi = years.index(ty)
        e = [(z[(i, yi)], area[i]) for i in slum_locs]
        if elastic:
            sl = prob.add_variable("slack_target_ha", lowBound=0)
            slack["target"][ty] = sl
            e.append((sl, 1.0))
        cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintGE, rhs=th)
        prob.addConstraint(cc, name="target_hectares")
        cons["target"][ty] = cc

    # ---- equity: each group gets a minimum share of total spend, scaled by the group count ------
    fmin = float(sc["rules.equity_min_share"])
    if fmin > 0 and O:
        grp = loc["equity_group"].to_numpy()
        g_rows = defaultdict(list)
        for o in range(O):
            g_rows[grp[o_loc[o]]].append(o)
        G = len(g_rows)
        share = fmin / G
        inp_info_share = share
        total = [(x[(o, y)], o_cost[o]) for o in range(O) for y in range(Y)]
        for g, rows in sorted(g_rows.items()):
            e = [(x[(o, y)], o_cost[o]) for o in rows for y in range(Y)] + [(v, -share * w) for v, w in total]
            if elastic:
                sl = prob.add_variable(f"slack_equity_{len(slack['equity'])}", lowBound=0)
                slack["equity"][g] = sl
                e.append((sl, 1.0))
            cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintGE, rhs=0.0)
            prob.addConstraint(cc)
            cons["equity"][g] = cc
    else:
        inp_info_share = 0.0

    # ---- implementation capacity: locations started per year (city-wide, per kelurahan) -------
    st = {}
    cap_y, cap_k = sc["rules.max_starts_per_year"], sc["rules.max_starts_per_kelurahan"]
    if cap_y is not None or cap_k is not None:
        for i, rows in sorted(by_loc.items()):
            for y in range(Y):
                st[(i, y)] = prob.add_variable(f"st_{i}_{y}", cat=pulp.LpBinary)
            cc = pulp.LpConstraint(_expr([(st[(i, y)], 1.0) for y in range(Y)]), pulp.LpConstraintLE, rhs=1.0)
            prob.addConstraint(cc)
            for y in range(Y):  # the start year has a work: a location starts in its first work year
                cc = pulp.LpConstraint(_expr([(st[(i, y)], 1.0)] + [(x[(o, y)], -1.0) for o in rows]),
                                       pulp.LpConstraintLE, rhs=0.0)
                prob.addConstraint(cc)
                cons["start_has_work"][(i, years[y])] = cc
            crits = sorted({o_crit[o] for o in rows})
            for y in range(Y):
                for c in crits:  # a work in year y needs the location started by y (one row per criterion: tight)
                    e = [(x[(o, y)], 1.0) for o in by_loc_crit[(i, c)]] + [(st[(i, yy)], -1.0) for yy in range(y + 1)]
                    cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintLE, rhs=0.0)
                    prob.addConstraint(cc)
                    cons["started"][(i, c, years[y])] = cc
        for y in range(Y):
            if cap_y is not None:
                cc = pulp.LpConstraint(_expr([(st[(i, y)], 1.0) for i in sorted(by_loc)]), pulp.LpConstraintLE,
                                       rhs=float(cap_y))
                prob.addConstraint(cc, name=f"capacity_{years[y]}")
                cons["capacity"][years[y]] = cc
            if cap_k is not None:
                per = defaultdict(list)
                for i in sorted(by_loc):
                    per[kel[i]].append(st[(i, y)])
                for k, vs in sorted(per.items()):
                    cc = pulp.LpConstraint(_expr([(v, 1.0) for v in vs]), pulp.LpConstraintLE, rhs=float(cap_k))
                    prob.addConstraint(cc)
                    cons["capacity_kelurahan"][(k, years[y])] = cc

    # ---- households objective helpers --------------------------------------------------------
    uw, us = {}, {}
    const = 0.0
    if kind == "households" and not elastic:
        V = {c: loc[f"vol_{inp.profile.criteria.set_index('code').at[c, 'input_key']}"].to_numpy(float)
             for c in WATER + SANITATION}
        for name, crits, store in (("uw", WATER, uw), ("us", SANITATION, us)):
            for i in np.flatnonzero(cand):
                i = int(i)
                vmax = max(V[c][i] for c in crits)
                if vmax <= 0:
                    continue
                for y in range(Y):
                    u = prob.add_variable(f"{name}_{i}_{y}", lowBound=0)
                    store[(i, y)] = u
                    const += yw[y] * vmax
                    for c in crits:
                        if V[c][i] <= 0:
                            continue
                        rows = by_loc_crit.get((i, c), [])
                        e = [(u, 1.0)] + [(v, w) for v, w in xcum(rows, y, [o_qty[o] for o in rows])]
                        rhs = V[c][i]
                        if i in res_of:
                            e += [(x[(res_of[i], yy)], V[c][i]) for yy in range(y + 1)]
                        cc = pulp.LpConstraint(_expr(e), pulp.LpConstraintGE, rhs=rhs)
                        prob.addConstraint(cc)
                        cons[name][(i, c, years[y])] = cc

    # ---- objective -----------------------------------------------------------------------------
    tie = []
    if sc["objective.tie_break"] and kind != "least_cost":
        for o in range(O):
            d = o_delta[o] if o_crit[o] != "resettlement" else total0[o_loc[o]]
            if d > 0:
                for y in range(Y):
                    # earlier years slightly preferred (also breaks the symmetry between years)
                    tie.append((x[(o, y)], d * area[o_loc[o]] * yw[y] * (1.0 + 0.01 * (Y - 1 - y))))
    eps = 0.0
    if tie:
        tb_max = sum(area[i] * max(total0[i], 0) for i in by_loc) * yw.max() * 1.02
        ref = area[list(by_loc)].min() * yw.min() if by_loc else 1.0
        eps = TIE_BREAK_SHARE * ref / tb_max if tb_max > 0 else 0.0
    if elastic:
        obj = []
        pen_req = _PEN_REQ
        for fam, d in slack.items():
            for v in d.values():
                obj.append((v, _PEN_MONEY if fam == "budget" else pen_req))
        # small preference for cheaper plans among equally good repairs
        obj += [(x[(o, y)], 1e-6 * o_cost[o]) for o in range(O) for y in range(Y)]
        prob.setObjective(_expr(obj))
    elif kind == "hectares":
        prob.setObjective(_expr([(z[(i, y)], area[i] * yw[y]) for (i, y) in z]))
    elif kind == "households":
        prob.setObjective(_expr([(u, -yw[y]) for (i, y), u in uw.items()] + [(u, -yw[y]) for (i, y), u in us.items()]))
    else:  # least_cost
        prob.setObjective(_expr([(x[(o, y)], o_cost[o]) for o in range(O) for y in range(Y)]))
    tie_expr = _expr([(v, w) for v, w in tie]) if (tie and not elastic) else None

    am = AllocationModel(prob=prob, inp=inp, x=x, m=m, z=z, st=st, uw=uw, us=us, cons=dict(cons),
                         slack=dict(slack), groups=groups, objective_constant=const, tie_break_eps=eps,
                         elastic=elastic, tie_break=tie_expr)
    am.info = {"equity_share_per_group": inp_info_share, "n_options": O, "n_slum_locations": len(slum_locs),
               "n_variables": len(prob.variables()) if O < 200000 else None,
               "n_constraints": len(prob._constraints)}
    am.build_time_s = time.perf_counter() - t0
    return am
