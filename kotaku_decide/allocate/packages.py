"""Cheapest clearing package per location (a small multiple-choice knapsack, solved exactly).

Used by the model (a valid inequality: the money spent at a location by year y is at least
its cheapest clearing cost whenever it is cleared by y) and by the greedy rule (the package it
buys). At most one option per criterion; the chosen options must lower the total by ``need``
points; if a road work is chosen at a site that needs drainage, a drainage work must be chosen
too (precedence); on land that is not legal, in-situ works also need legalisation.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .costing import LOCATION_WORKS

__all__ = ["cheapest_package", "package_from_arrays"]


def cheapest_package(rows: pd.DataFrame, need: int, legal: bool, precedence=(), costcol: str = "cost_m",
                     exclude=(), services=None) -> tuple[float, list]:
    """Cheapest set of options (index labels of ``rows``) lowering the score by ``need`` points.

    Parameters
    ----------
    rows : the location's options (``criterion``, ``delta_score``, cost column)
    need : points to remove (total - (threshold - 1))
    legal : land legal (else in-situ works need the ``legalisation`` row, if any)
    precedence : list of (before criteria, after criteria)
    exclude : criteria that may not be used (already done)
    services : optional service condition of a clearance rule (see :func:`package_from_arrays`)

    Returns
    -------
    (cost, list of option labels); ``(inf, [])`` when impossible. Ties go to resettlement, then
    to the package found first (criteria in sorted order, options in row order).
    """
    return package_from_arrays(rows["criterion"].to_numpy(), rows["delta_score"].to_numpy(),
                               rows[costcol].to_numpy(float), rows.index.to_numpy(), need, legal, precedence,
                               exclude, services)


def package_from_arrays(crit, delta, cost, labels, need: int, legal: bool, precedence=(), exclude=(),
                        services=None):
    """:func:`cheapest_package` on plain arrays (one entry per option): the fast path for loops.

    ``services``: a clearance rule's service condition, ``(removes, share, items)``: per option the
    share points [%] it removes from its criterion, the criterion -> share [%] now, and the items
    ``(criteria codes, limit [%])`` whose shares must sum to at most the limit
    (:func:`~kotaku_decide.score.clearance.service_constraints`). The package then meets the points
    *and* every item (an item already met needs nothing). ``None``: points only.

    Results are cached on the exact inputs (the evidence re-solves the same locations many times).
    """
    skey = None
    if services is not None:
        removes, share, items = services
        skey = (tuple(np.round(np.asarray(removes, float), 9).tolist()),
                tuple(sorted((c, round(float(v), 9)) for c, v in share.items())),
                tuple((tuple(cs), float(lim)) for cs, lim in items))
    key = (tuple(np.asarray(crit, dtype=object).tolist()), tuple(np.asarray(delta).tolist()),
           tuple(np.asarray(cost, dtype=float).tolist()), tuple(np.asarray(labels).tolist()), int(need), bool(legal),
           tuple((tuple(b), tuple(a)) for b, a in precedence), tuple(sorted(exclude)), skey)
    hit = _PACKAGE_CACHE.get(key)
    if hit is None:
        hit = _package(crit, delta, cost, labels, need, legal, precedence, exclude, services)
        if len(_PACKAGE_CACHE) > 20000:
            _PACKAGE_CACHE.clear()
        _PACKAGE_CACHE[key] = hit
    return hit[0], list(hit[1])


_PACKAGE_CACHE: dict = {}


def _service_groups(crit, removes, cost, share, items, by_crit):
    """Per service item, the option combinations (one option or none per criterion) meeting its limit.

    Returns (criteria covered by the groups, list of (allow_none, [(option indices, cost)])), or None
    when an item cannot be met.
    """
    covered, groups = set(), []
    for codes, limit in items:
        cs = [c for c in codes if c in by_crit]
        covered |= set(cs)
        fixed = sum(share.get(c, 0.0) for c in codes)
        combos = []
        for combo in itertools.product(*[[None] + by_crit[c] for c in cs]):
            ks = tuple(k for k in combo if k is not None)
            after = fixed - sum(min(float(removes[k]), share.get(crit[k], 0.0)) for k in ks)
            if after <= limit:
                combos.append(ks)
        if not combos:
            return None
        groups.append((() in combos, [ks for ks in combos if ks]))
    return covered, groups


def _package(crit, delta, cost, labels, need: int, legal: bool, precedence=(), exclude=(), services=None):
    need = max(int(need), 0)
    crit = np.asarray(crit, dtype=object)
    cl = crit.tolist()  # for the loops below (list look-ups)
    n = len(crit)
    excl = set(exclude)
    ins = [k for k in range(n) if cl[k] not in LOCATION_WORKS and cl[k] not in excl]
    by_crit: dict = {}
    for k in ins:
        by_crit.setdefault(cl[k], []).append(k)
    groups = []
    covered: set = set()
    if services is not None and services[2]:
        removes, share, items = services
        sg = _service_groups(crit, removes, cost, share, items, by_crit)
        if sg is None:
            groups = None
        else:
            covered, groups = sg
            if all(allow for allow, _ in groups):
                groups = []  # every item is met already
    if need <= 0 and groups == []:
        return 0.0, []
    best = (np.inf, [])
    res = [k for k in range(n) if cl[k] == "resettlement"]
    if res:
        best = (float(cost[res[0]]), [labels[res[0]]])
    if groups is None:  # a service item no work can meet: only resettlement clears
        return best
    extra, extra_rows = 0.0, []
    if not legal:
        leg = [k for k in range(n) if cl[k] == "legalisation"]
        if not leg:
            return best
        extra, extra_rows = float(cost[leg[0]]), [labels[leg[0]]]
    # precedence, rule by rule (as the model and the checker apply it): at a site with options for a
    # rule's `before` criteria, an `after` work of that rule needs a `before` work of the same rule.
    # State bits: 2r = has a `before` work of rule r, 2r+1 = has an `after` work of rule r.
    rules = [(set(b), set(a)) for b, a in precedence]
    R = len(rules)
    S = 1 << (2 * R)
    need_before = [bool(b & set(by_crit)) for b, _ in rules]

    crit_bits = {c: sum(((1 << (2 * r)) * (c in b)) | ((1 << (2 * r + 1)) * (c in a)) for r, (b, a) in enumerate(rules))
                 for c in by_crit}

    def bits_of(ks):
        bits = 0
        for k in ks:
            bits |= crit_bits[cl[k]]
        return bits

    # layers: (allow nothing, [(option indices, points, cost, precedence bits)]): one per criterion
    # outside the service items (at most one option), one per service item (a combination meeting it)
    layers_in = [(True, [((k,), int(delta[k]), float(cost[k]), bits_of((k,))) for k in by_crit[c]])
                 for c in sorted(by_crit) if c not in covered]
    for allow, combos in groups:
        layers_in.append((allow, [(ks, sum(int(delta[k]) for k in ks), sum(float(cost[k]) for k in ks), bits_of(ks))
                                  for ks in combos]))
    INF = np.inf
    P = need + 1
    states = np.arange(S)
    # the table is flat: cell p * S + st = (points capped at need, precedence state). Every choice of
    # every layer, and the cell it leads to from each cell (p, st): (min(p + d, need), st | bits)
    flat = [ch for _allow, choices in layers_in for ch in choices]
    d_all = np.array([d for _ks, d, _cc, _b in flat], dtype=np.int64)
    cc_all = np.array([cc for _ks, _d, cc, _b in flat], dtype=float)
    b_all = np.array([b for _ks, _d, _cc, b in flat], dtype=np.int64)
    dest = (np.minimum(np.arange(P)[None, :, None] + d_all[:, None, None], need) * S
            + (states[None, None, :] | b_all[:, None, None])).reshape(len(flat), P * S)
    table = np.full(P * S, INF)
    table[0] = 0.0
    layers = []
    k0 = 0
    for allow, choices in layers_in:
        k1 = k0 + len(choices)
        prev = table
        new = prev.copy() if allow else np.full_like(prev, INF)
        # all choices and cells of the layer in one call: a minimum is exact and order-free, so this
        # is the cell-by-cell update
        vals = prev[None, :] + cc_all[k0:k1, None]
        np.minimum.at(new, dest[k0:k1].ravel(), vals.ravel())
        layers.append((prev, allow, choices))
        table = new
        k0 = k1
    ok = np.ones(S, bool)
    for r in range(R):
        if need_before[r]:
            ok &= ~(((states >> (2 * r + 1)) & 1).astype(bool) & ~((states >> (2 * r)) & 1).astype(bool))
    best_state = None
    for st in np.flatnonzero(ok):
        v = table[need * S + st]
        if v + extra < best[0] - 1e-9:
            best = (v + extra, None)
            best_state = (need, int(st))
    if best_state is None:
        return best
    # backtrack through the layers: in each, the first choice (in order), then the lowest source state,
    # then the fewest source points, that reaches the current cell at its value (a few cells per
    # layer: plain Python, with the forward pass's arithmetic)
    chosen = []
    p_, s_ = best_state
    cur = table
    for prev, allow, choices in reversed(layers):
        target = cur[p_ * S + s_]
        tol = 1e-9 + 1e-12 * abs(target)  # np.isclose's test, written out (it was a tenth of a draw's time)
        if allow and abs(prev[p_ * S + s_] - target) <= tol:
            cur = prev
            continue
        found = None
        for ks, d, cc, bits in choices:
            # source points p with min(p + d, need) == p_, fewest first
            srcs = range(max(need - d, 0), P) if p_ == need else ([p_ - d] if 0 <= p_ - d <= need else [])
            for st in range(S):
                if st | bits != s_:
                    continue
                for p in srcs:
                    if abs(prev[p * S + st] + cc - target) <= tol:
                        found = (ks, p, st)
                        break
                if found:
                    break
            if found:
                break
        if found is None:  # numerical trouble: report no package rather than a wrong one
            return (INF, [])
        ks, p_, s_ = found
        chosen += [labels[x] for x in reversed(ks)]
        cur = prev
    return best[0], extra_rows + chosen[::-1]


def priced_clearing_bounds(crit, delta, c_by_t, c_any, need: int, legal: bool, precedence=()):
    """Lower bounds of the priced cost of a location's plans, by the year it is cleared (vectorised over years).

    The per-location step of the clearing-year decomposition (:mod:`.decompose`): with prices on the
    shared rows (money of each source and year, equity), what must a plan that clears the location
    by year ``t`` cost at least? A *lower bound* is all a valid cut needs, so the year order of
    legalisation and precedence (which only ever raise the cost) is relaxed: each option counts at
    its cheapest year up to ``t``, a road work needs a drainage work in the package (not in an
    earlier year), and works that do not help clear may be added where their price is negative.

    Parameters
    ----------
    crit : criterion per option (``resettlement`` and ``legalisation`` included)
    delta : points each option removes
    c_by_t : ndarray (options, T), cheapest priced cost of the option in a year ``<= t``
    c_any : ndarray (options,), cheapest priced cost in any year (may be negative)
    need : points to remove (total - (threshold - 1)); 0 = not a slum location
    legal : land legal (else in-situ works need the legalisation option)
    precedence : list of (before criteria, after criteria)

    Returns
    -------
    (phi, phi_never): ndarray (T,) - ``inf`` where no plan clears by ``t`` - and the bound over
    every plan (cleared or not).
    """
    crit = np.asarray(crit, dtype=object)
    delta = np.asarray(delta, dtype=np.int64)
    c_by_t = np.asarray(c_by_t, dtype=float)
    c_any = np.asarray(c_any, dtype=float)
    n, T = c_by_t.shape if c_by_t.ndim == 2 else (0, 0)
    res = [k for k in range(n) if crit[k] == "resettlement"]
    leg = [k for k in range(n) if crit[k] == "legalisation"]
    ins = [k for k in range(n) if crit[k] not in LOCATION_WORKS]
    by_crit: dict = {}
    for k in ins:
        by_crit.setdefault(crit[k], []).append(k)
    skip = {c: min(0.0, float(c_any[ks].min())) for c, ks in by_crit.items()}
    extra = sum(min(0.0, float(c_any[k])) for k in res + leg)
    never = sum(skip.values()) + extra
    if need <= 0:
        return np.full(T, never), never
    phi = np.full(T, np.inf)
    if res:
        phi = np.minimum(phi, c_by_t[res[0]] + never - min(0.0, float(c_any[res[0]])))
    if not legal and not leg:
        return phi, never
    leg_cost = np.zeros(T) if legal else c_by_t[leg[0]] - min(0.0, float(c_any[leg[0]]))
    rules = [(set(b), set(a)) for b, a in precedence]
    R = len(rules)
    S = 1 << (2 * R)
    states = np.arange(S)
    need_before = [bool(b & set(by_crit)) for b, _ in rules]
    P = need + 1
    table = np.full((T, P, S), np.inf)
    table[:, 0, 0] = 0.0
    for c in sorted(by_crit):
        bits = 0
        for r, (b, a) in enumerate(rules):
            bits |= (1 << (2 * r)) * (c in b) | (1 << (2 * r + 1)) * (c in a)
        new = table + skip[c]  # no contributing work on c (a negative-price work may still be done)
        to = states | bits
        # all states at once: per state a work on c leads to, the cheapest state leading there (a
        # minimum is exact and x -> x + cost is monotone in floating point, so the best of
        # (x + cost) over the sources is (best x) + cost: the state-by-state update, in one step)
        if bits == 0:
            src, dst = table, new
        else:
            dest = sorted(set(to.tolist()))
            src = np.stack([table[:, :, to == ds].min(axis=2) for ds in dest], axis=2)
            dst = new[:, :, dest]
        for k in by_crit[c]:
            d = int(min(delta[k], need))
            if d <= 0:
                continue
            cost = c_by_t[k][:, None, None]
            if d < P - 1:
                np.minimum(dst[:, d:P - 1], src[:, :P - 1 - d] + cost, out=dst[:, d:P - 1])
            np.minimum(dst[:, P - 1], src[:, max(P - 1 - d, 0):].min(axis=1) + cost[:, 0], out=dst[:, P - 1])
        if bits != 0:
            new[:, :, dest] = dst
        table = new
    ok = np.ones(S, bool)
    for r in range(R):
        if need_before[r]:
            ok &= ~(((states >> (2 * r + 1)) & 1).astype(bool) & ~((states >> (2 * r)) & 1).astype(bool))
    best = table[:, need, :][:, ok].min(axis=1) if ok.any() else np.full(T, np.inf)
    phi = np.minimum(phi, best + leg_cost + extra)
    return phi, never

