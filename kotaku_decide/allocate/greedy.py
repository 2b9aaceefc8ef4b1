"""The greedy baseline: best benefit per rupiah first, under the same rules as the model.

Year by year:

1. (hectares, least_cost) buy whole clearing packages - the cheapest set of works that brings a
   location below the slum threshold (:func:`~.packages.cheapest_package`) - in order of
   benefit per rupiah (locked-in locations first; for hectares the benefit is area x the year
   weights still to come, for least_cost the order is cost per hectare until the target is met);
2. (hectares, households) spend what is left on single works in order of score reduction x area
   per rupiah (hectares) or households brought to water / sanitation per rupiah (households).

Every purchase is paid source by source (the community share first, then the sources with the
narrowest eligibility) within budgets, carry-over, per-kelurahan caps and authority; a purchase
that cannot be paid in full, or would break precedence, legality, one-target or capacity rules,
is skipped. An equity minimum is met, if needed, by removing the latest packages of the best-served
groups. The result is a plan table like the optimiser's and goes through the same checker.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict

import numpy as np
import pandas as pd

from ..score.clearance import service_constraints
from .costing import LOCATION_WORKS
from .inputs import AllocationInput, rows_by_location
from .packages import package_from_arrays
from .results import _plan_rows, baseline_arrays
from .status import SolveReport, SolveStatus

__all__ = ["greedy_plan"]


class _Wallet:
    def __init__(self, inp: AllocationInput):
        self.f = inp.funding
        self.inp = inp
        self.avail = {s: 0.0 for s in self.f.sources}
        self.cap_used = defaultdict(float)
        narrow = {s: len(self.f.eligible[s]) for s in self.f.sources}
        sw = inp.swadaya_source
        self.swadaya, self.share = sw, inp.swadaya_share  # read once (scenario look-ups)
        self.order = sorted(self.f.sources, key=lambda s: (s == sw, narrow[s], s))

    def new_year(self, yi: int):
        for si, s in enumerate(self.f.sources):
            carry = self.avail[s] if (self.f.carry_over[s] and yi > 0) else 0.0
            self.avail[s] = float(self.f.budget_rp[si, yi]) + carry

    def pay(self, cost: float, sources: tuple, kel: str, year: int, insitu: bool, tx: list) -> bool:
        """Pay ``cost`` [Rp] from eligible sources; record (source, amount) in ``tx``. False if impossible."""
        sw, share = self.swadaya, self.share
        rem = cost
        if insitu and sw is not None and share > 0:
            need = share * cost
            if sw not in sources or self._room(sw, kel, year) + 1e-6 < need:
                return False
            self._take(sw, need, kel, year, tx)
            rem -= need
        for s in self.order:
            if rem <= 1e-6:
                break
            if s not in sources:
                continue
            amt = min(rem, self._room(s, kel, year))
            if amt > 1e-6:
                self._take(s, amt, kel, year, tx)
                rem -= amt
        return rem <= 1e-3

    def _room(self, s, kel, year):
        cap = self.f.cap_rp.get(s)
        r = self.avail[s]
        if cap is not None:
            r = min(r, cap - self.cap_used[(s, kel, year)])
        return max(r, 0.0)

    def _take(self, s, amt, kel, year, tx):
        self.avail[s] -= amt
        self.cap_used[(s, kel, year)] += amt
        tx.append((s, amt, kel, year))

    def rollback(self, tx):
        for s, amt, kel, year in tx:
            self.avail[s] += amt
            self.cap_used[(s, kel, year)] -= amt


def greedy_plan(inp: AllocationInput, loc_weight=None) -> tuple[pd.DataFrame, SolveReport]:
    """Greedy plan (plan table) and a report (status ``feasible_not_proven``: a heuristic).

    ``loc_weight`` (hectares objective): per-location multiplier of the area in the benefit, as in
    a priority-weighted objective (robust-funding draws); None = 1 everywhere.
    """
    t0 = time.perf_counter()
    plan_raw, removed_for_equity = _purchases(inp, loc_weight)
    kind = inp.scenario["objective.kind"]
    area = inp.locations["area_ha"].to_numpy(float)
    th, _ty = inp.target()
    plan = _plan_rows(inp, plan_raw)
    from .results import evaluate_plan, works_from_plan

    ev = evaluate_plan(inp, works_from_plan(plan) if len(plan) else pd.DataFrame(
        columns=["location_id", "criterion", "option", "year", "quantity", "cost_rp"]))
    obj = {"hectares": ev["hectare_years"], "households": ev["households"], "least_cost": ev["cost_m"]}[kind]
    rep = SolveReport(status=SolveStatus.FEASIBLE_NOT_PROVEN, proven_optimal=False, objective=obj, best_bound=None,
                      gap=None, solve_time_s=time.perf_counter() - t0, solver="greedy (benefit per rupiah)",
                      solver_version="kotaku-decide", objective_kind=kind, data_status=inp.data_status,
                      message="heuristic baseline: no optimality claim")
    if removed_for_equity:
        ha = float(area[sorted(set(removed_for_equity))].sum())
        rep.message += (f"; to meet the equity minimum the greedy rule dropped {len(set(removed_for_equity))} "
                        f"location(s) ({ha:.2f} ha) it had funded - a weak baseline under equity rules")
    if len(plan) == 0 and len(inp.options):
        rep.message += "; the greedy plan spends nothing"
    if kind == "least_cost" and th is not None and ev["cleared_ha"] + 1e-9 < th:
        rep.message += (f"; the greedy rule misses the target: {ev['cleared_ha']:.2f} of {th:.2f} ha cleared")
    return plan, rep


def greedy_works(inp: AllocationInput, loc_weight=None) -> list[tuple[int, int]]:
    """The works of the greedy plan as sorted, distinct ``(option_row, year)`` pairs.

    The same purchases as :func:`greedy_plan` (same arguments), without the plan table and the
    report's re-scoring: for callers that only need the works, e.g. as a MIP start.
    """
    plan_raw, _removed = _purchases(inp, loc_weight)
    return sorted(set(zip(plan_raw["option_row"].astype(int).tolist(), plan_raw["year"].astype(int).tolist())))


def _purchases(inp: AllocationInput, loc_weight=None) -> tuple[pd.DataFrame, list[int]]:
    """The greedy rule's purchases: ``option_row, year, source, cost_rp`` (one row per work and paying
    source, in purchase order) and the location positions dropped to meet an equity minimum."""
    sc = inp.scenario
    kind = sc["objective.kind"]
    opts = inp.options
    loc = inp.locations
    years = inp.years
    area = loc["area_ha"].to_numpy(float)
    if loc_weight is not None:
        lw = np.asarray(loc_weight, dtype=float)
        if lw.shape != area.shape or not np.all(np.isfinite(lw)) or (lw < 0).any():
            raise ValueError(f"loc_weight needs {len(area)} finite weights >= 0, got shape {lw.shape}")
        barea = area * lw  # the benefit's area (weighted); targets and messages use the real area
    else:
        barea = area
    kel = loc["kelurahan"].astype(str).to_numpy()
    legal = loc["legal_alloc"].to_numpy(bool).copy()
    total = loc["total_score"].to_numpy(int).copy()
    slum = loc["slum"].to_numpy(bool)
    locked_in = loc["locked_in"].to_numpy(bool)
    loc_rows = rows_by_location(opts)  # option positions per location (ascending), in table order
    # per location: (criterion, delta, cost [Rp], option row) arrays for the package search
    o_crit, o_delta = opts["criterion"].to_numpy(), opts["delta_score"].to_numpy()
    o_cost, o_label = opts["cost_rp"].to_numpy(float), opts.index.to_numpy()
    arrays = {i: (o_crit[idx], o_delta[idx], o_cost[idx], o_label[idx]) for i, idx in loc_rows.items()}
    done_crit = defaultdict(set)  # loc -> criteria with a work (or resettled/legalised)
    resettled = np.zeros(len(loc), bool)
    started: dict = {}
    starts_y = defaultdict(int)
    starts_k = defaultdict(int)
    cap_y, cap_k = sc["rules.max_starts_per_year"], sc["rules.max_starts_per_kelurahan"]
    wallet = _Wallet(inp)
    recs = []  # (option_row, year, source, amount, package id)
    pkg_id = [0]
    precedence = inp.precedence
    prec_done = inp.locations["location_id"].astype(str).isin(inp.precedence_done).to_numpy()
    labels_all = opts.index.tolist()
    crit_of = dict(zip(labels_all, opts["criterion"].tolist()))
    cost_of = dict(zip(labels_all, opts["cost_rp"].tolist()))
    delta_of = dict(zip(labels_all, opts["delta_score"].tolist()))
    src_of = dict(zip(labels_all, opts["sources"].tolist()))
    loc_of = dict(zip(labels_all, opts["loc"].tolist()))
    th, ty = inp.target()
    yw = inp.year_weight
    # the clearance rule: total below total_below and, if it names services, each served well enough
    tb = inp.clearance.total_below
    codes = list(inp.profile.codes)
    col = {c: j for j, c in enumerate(codes)}
    svc_items = [([codes[j] for j in cols], limit)
                 for _a, cols, limit in service_constraints(inp.profile, inp.clearance)]
    base = baseline_arrays(inp)
    Vleft = base.V0.astype(float)  # volumes still affected (a copy), updated as works are bought
    Dm = base.D
    qty_of = dict(zip(labels_all, opts["quantity"].tolist()))

    def can_start(i, yi):
        if i in started:
            return True
        if cap_y is not None and starts_y[yi] >= cap_y:
            return False
        if cap_k is not None and starts_k[(kel[i], yi)] >= cap_k:
            return False
        return True

    def buy(i, labels, yi) -> bool:
        year = years[yi]
        if not can_start(i, yi):
            return False
        tx, rows = [], []
        for lab in labels:
            c = crit_of[lab]
            t = []
            if not wallet.pay(cost_of[lab], src_of[lab], kel[i], year, c not in LOCATION_WORKS, t):
                wallet.rollback(tx + t)
                return False
            tx += t
            rows += [(lab, year, s, a) for s, a, _, _ in t]
        if i not in started:
            started[i] = yi
            starts_y[yi] += 1
            starts_k[(kel[i], yi)] += 1
        pkg_id[0] += 1
        for lab in labels:
            c = crit_of[lab]
            done_crit[i].add(c)
            if c == "resettlement":
                resettled[i] = True
            elif c == "legalisation":
                legal[i] = True
            else:
                total[i] -= delta_of[lab]
                if c in col:
                    Vleft[i, col[c]] = max(Vleft[i, col[c]] - float(qty_of[lab]), 0.0)
        for r in rows:
            recs.append(r + (pkg_id[0],))
        return True

    def shares(i):
        return {c: (100.0 * Vleft[i, j] / Dm[i, j] if Dm[i, j] > 0 else 0.0) for c, j in col.items()}

    def services_ok(i):
        if not svc_items:
            return True
        sh = shares(i)
        return all(sum(sh[c] for c in cs) <= lim for cs, lim in svc_items)

    def cleared(i):
        return bool(resettled[i] or (total[i] < tb and services_ok(i)))

    def cleared_all():
        ok = total < tb
        if svc_items:
            with np.errstate(divide="ignore", invalid="ignore"):
                S = np.where(Dm > 0, 100.0 * Vleft / Dm, 0.0)
            for cs, lim in svc_items:
                ok &= S[:, [col[c] for c in cs]].sum(axis=1) <= lim
        return resettled | ok

    def clearing_package(i):
        """Cheapest package that clears i under the rule (points and services): (cost, labels) or (inf, [])."""
        crit, delta, cost, labels = arrays[i]
        need = int(max(total[i] - (tb - 1), 0))
        svc = None
        if svc_items:
            removes = [100.0 * float(qty_of[lab]) / Dm[i, col[c]] if c in col and Dm[i, col[c]] > 0 else 0.0
                       for c, lab in zip(crit, labels)]
            svc = (removes, shares(i), svc_items)
        return package_from_arrays(crit, delta, cost, labels, need, bool(legal[i]),
                                   () if prec_done[i] else precedence,
                                   exclude=done_crit[i], services=svc)

    # plain arrays of the options for the single-works phase (iterrows made a Series per row and year)
    opt_rows = opts.index.tolist()
    opt_loc = opts["loc"].astype(int).tolist()
    opt_crit = opts["criterion"].tolist()
    opt_delta = opts["delta_score"].tolist()
    opt_cost = opts["cost_rp"].astype(float).tolist()
    crits_at = {i: set(o_crit[idx]) for i, idx in loc_rows.items()}
    fmin = float(sc["rules.equity_min_share"])
    grp = loc["equity_group"].to_numpy()
    G = max(len(set(grp[opts["loc"].to_numpy()])), 1)
    for yi, year in enumerate(years):
        wallet.new_year(yi)
        # ---- phase 1: whole clearing packages -------------------------------------------------
        if kind in ("hectares", "least_cost"):
            if kind == "least_cost" and th is not None and year > ty:
                pass
            else:
                cands = []
                for i in loc_rows:
                    if not slum[i] or cleared(i):
                        continue
                    c, labs = clearing_package(i)
                    if not np.isfinite(c) or not labs:
                        continue
                    benefit = barea[i] * yw[yi:].sum()
                    key = (0 if locked_in[i] else 1, -(benefit / c) if kind == "hectares" else c / area[i], i)
                    cands.append((key, i, labs))
                cands.sort()
                while cands:
                    if kind == "least_cost" and th is not None:
                        got = float(area[slum & cleared_all()].sum())
                        if got >= th - 1e-9 and not any(locked_in[i] and not cleared(i) for i in loc_rows):
                            break
                    if fmin > 0:  # serve the groups below their minimum share first
                        spent = defaultdict(float)
                        for r in recs:
                            spent[grp[loc_of[r[0]]]] += r[3]
                        tot_sp = sum(spent.values())
                        cands.sort(key=lambda t: (0 if spent[grp[t[1]]] < fmin / G * max(tot_sp, 1.0) else 1,) + t[0])
                    key, i, labs = cands.pop(0)
                    buy(i, labs, yi)
        # ---- phase 2: single works with what is left --------------------------------------------
        if kind in ("hectares", "households") and sc["objective.tie_break"] or kind == "households":
            items = []
            if kind == "households":
                V = {c: loc[f"vol_{inp.profile.criteria.set_index('code').at[c, 'input_key']}"].to_numpy(float)
                     for c in inp.water + inp.sanitation}
                for i, idx in loc_rows.items():
                    if resettled[i]:
                        continue
                    rows = opts.iloc[idx]
                    leg = []
                    if not legal[i]:
                        lr = rows.index[rows["criterion"] == "legalisation"]
                        if len(lr) == 0:
                            continue
                        leg = [lr[0]]
                    for crits in (inp.water, inp.sanitation):
                        best = None
                        choices = [[None] + ([] if c in done_crit[i] else list(rows.index[rows["criterion"] == c]))
                                   for c in crits]
                        before = max(V[c][i] for c in crits)
                        for combo in itertools.product(*choices):
                            if all(x is None for x in combo):
                                continue
                            after = max(V[c][i] - (opts.at[x, "quantity"] if x is not None else 0.0)
                                        for c, x in zip(crits, combo))
                            gain = before - after
                            cost = sum(cost_of[x] for x in combo if x is not None) + sum(cost_of[x] for x in leg)
                            # per location and service: the largest gain, cheapest among equals
                            if gain > 0 and (best is None or (gain, -cost) > (best[0], -best[1])):
                                best = (gain, cost, tuple(leg) + tuple(x for x in combo if x is not None))
                        if best is not None:
                            items.append((-(best[0] / best[1]), best[2]))
                items.sort()
                for _, labs in items:
                    i = loc_of[labs[0]]
                    labs = [o for o in labs if not (crit_of[o] == "legalisation" and legal[i])]
                    if not labs or any(crit_of[o] in done_crit[i] for o in labs) or resettled[i]:
                        continue
                    buy(i, list(labs), yi)
                items = []
            for o, i, c, d, k in zip(opt_rows, opt_loc, opt_crit, opt_delta, opt_cost):
                if c in LOCATION_WORKS or c in done_crit[i] or resettled[i]:
                    continue
                if kind == "households":
                    continue
                else:
                    if not slum[i]:
                        continue
                    gain = float(d) * barea[i]
                if gain <= 0:
                    continue
                items.append((-(gain / k), o))
            items.sort()
            for _, o in items:
                i, c = loc_of[o], crit_of[o]
                if c in done_crit[i] or resettled[i] or not legal[i]:
                    continue
                ok = True
                for before, after in () if prec_done[i] else precedence:
                    if c in after and any((c2 in before) for c2 in crits_at[i]):
                        if not (done_crit[i] & set(before)):
                            ok = False
                if ok:
                    buy(i, [o], yi)

    plan_raw = pd.DataFrame([r[:4] for r in recs], columns=["option_row", "year", "source", "cost_rp"])
    pk = [r[4] for r in recs]
    # ---- equity: drop the latest packages of the best-served groups until the minimum holds --------
    _removed: list[int] = []
    if fmin > 0 and len(plan_raw):
        plan_raw["pkg"] = pk
        plan_raw["group"] = grp[plan_raw["option_row"].map(loc_of).to_numpy()]
        plan_raw["loc"] = plan_raw["option_row"].map(loc_of)
        for _ in range(10000):
            tot = plan_raw["cost_rp"].sum()
            groups = sorted(set(grp[opts["loc"].to_numpy()]))
            per = plan_raw.groupby("group")["cost_rp"].sum().reindex(groups, fill_value=0)
            if (per >= fmin / G * tot - 1.0).all() or tot <= 0:
                break
            big = per.idxmax()
            cand_locs = plan_raw.loc[(plan_raw["group"] == big) & ~plan_raw["loc"].map(lambda i: locked_in[i]), "loc"]
            if cand_locs.empty:
                break
            # remove every work of the location with the latest package in that group
            last = plan_raw.loc[plan_raw["loc"].isin(cand_locs)].sort_values("pkg").iloc[-1]["loc"]
            _removed.append(int(last))
            plan_raw = plan_raw[plan_raw["loc"] != last]
        plan_raw = plan_raw[["option_row", "year", "source", "cost_rp"]]
    return plan_raw, _removed
