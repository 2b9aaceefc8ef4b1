"""The priced clearing bounds of the decomposition (packages.priced_clearing_bounds) against a brute
force over every choice of options, year by year."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kotaku_decide.allocate.packages import priced_clearing_bounds

PRECS = [[], [(("drain",), ("road", "path"))], [(("drain",), ("road",)), (("water", "waste"), ("path", "drain"))]]


def _instance(rng):
    crit, delta = [], []
    for c in rng.choice(["drain", "road", "path", "water", "waste"], size=rng.integers(0, 6), replace=False):
        for _ in range(rng.integers(1, 4)):
            crit.append(str(c))
            delta.append(int(rng.integers(0, 7)))  # 0: a work that does not help clear
    for c, p in (("resettlement", 0.5), ("legalisation", 0.7)):
        if rng.random() < p:
            crit.append(c)
            delta.append(0)
    T = int(rng.integers(1, 5))
    price = rng.normal(8.0, 6.0, size=(len(crit), T)).round(1)  # some prices negative
    return crit, np.array(delta, dtype=np.int64), np.minimum.accumulate(price, axis=1), price.min(axis=1)


def _brute(crit, delta, c_by_t, c_any, need, legal, prec):
    """(phi, phi_never) by enumerating, per criterion, no contributing work or one that contributes."""
    T = c_by_t.shape[1]
    res = [k for k, c in enumerate(crit) if c == "resettlement"]
    leg = [k for k, c in enumerate(crit) if c == "legalisation"]
    by_crit: dict = {}
    for k, c in enumerate(crit):
        if c not in ("resettlement", "legalisation"):
            by_crit.setdefault(c, []).append(k)
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
    crits = sorted(by_crit)
    options = [[None] + [k for k in by_crit[c] if min(delta[k], need) > 0] for c in crits]
    for pick in itertools.product(*options):
        chosen = {crits[j] for j, k in enumerate(pick) if k is not None}
        if sum(int(min(delta[k], need)) for k in pick if k is not None) < need:
            continue
        # a rule binds where its `before` criteria have options: an `after` work needs a `before` work
        if any(set(b) & set(by_crit) and chosen & set(a) and not chosen & set(b) for b, a in prec):
            continue
        for t in range(T):
            cost = sum(skip[crits[j]] if k is None else float(c_by_t[k, t]) for j, k in enumerate(pick))
            phi[t] = min(phi[t], cost + leg_cost[t] + extra)
    return phi, never


@pytest.mark.parametrize("seed", range(200))
def test_priced_clearing_bounds_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    crit, delta, c_by_t, c_any = _instance(rng)
    need = int(rng.integers(0, 14))
    legal = bool(rng.random() < 0.6)
    prec = PRECS[seed % len(PRECS)]
    phi, never = priced_clearing_bounds(crit, delta, c_by_t, c_any, need, legal, prec)
    want, want_never = _brute(crit, delta, c_by_t, c_any, need, legal, prec)
    assert never == pytest.approx(want_never, abs=1e-9)
    assert phi.shape == want.shape
    fin = np.isfinite(want)
    assert (np.isfinite(phi) == fin).all()
    assert phi[fin] == pytest.approx(want[fin], abs=1e-9)
