"""Binding budgets over three years and three sources: the engine's optimum equals an exhaustive search.

The search enumerates every plan of three locations (each criterion: nothing, or the 'below 25 %' target
in one of three years), with its own quantities, costs, scores and precedence, and decides
whether the money can pay for a plan by Gale's theorem on the supply-demand network (demand: the
works of one eligibility set in one year; supply: a source in a year, and with carry-over also in
the years before): a plan is payable exactly when no set of demands needs more than the supplies
it can reach. Nothing here uses the package's model, solver or checker.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from helpers import band_score, remaining_max, three_random_sites

from kotaku_decide.allocate import allocate, check_plan
from kotaku_decide.allocate.decompose import best_within
from kotaku_decide.allocate.model import build_model
from kotaku_decide.allocate.status import SolverOptions

YEARS = (2017, 2018, 2019)
DEN = {"2b": 1000, "4b": 1000, "5a": 100}
UC = {"2b": 500_000, "4b": 600_000, "5a": 2_000_000}
BANDS = {"lt25": 25.0}
#: eligibility set of each criterion's works (0: roads and drains; 1: wastewater)
SET_OF = {"2b": 0, "4b": 0, "5a": 1}
#: sources: which eligibility sets they pay, and carry-over
SOURCES = {"pu": ({0}, False), "dak": ({1}, False), "kota": ({0, 1}, True)}


def _options(L):
    """Per criterion: [None, (year, cost, points, set)] for each band and year."""
    s0 = {c: band_score(100 * L[f"vol_{c}"] / d) for c, d in DEN.items()}
    out = {}
    for c, d in DEN.items():
        lst = [None]
        v = L[f"vol_{c}"]
        for b in BANDS.values():
            r = remaining_max(b, d)
            if v > r and band_score(100 * r / d) < s0[c]:
                for y in range(len(YEARS)):
                    lst.append((y, (v - r) * UC[c], s0[c] - band_score(100 * r / d), SET_OF[c]))
        out[c] = lst
    return out, s0


def _plans(L, clear_from: int | None = 0):
    """Every plan of one location: (demand per (set, year) [Rp], hectare-years).

    ``clear_from``: the location counts as cleared only from this year index on (None: never), as when its
    clearing indicator may be 1 only from there (``decompose.best_within``'s z <= z*)."""
    opts, s0 = _options(L)
    fixed = band_score(L["vol_1a"]) + band_score(L["vol_1c"])
    total0 = fixed + sum(s0.values())
    Y = len(YEARS)
    plans = []
    for combo in itertools.product(*opts.values()):
        ch = dict(zip(DEN, combo))
        # a road work needs a drainage work in the same or an earlier year where the site needs drains
        if s0["4b"] > 0 and ch["2b"] is not None and (ch["4b"] is None or ch["4b"][0] > ch["2b"][0]):
            continue
        demand = np.zeros((2, Y))
        red = np.zeros(Y)
        for o in ch.values():
            if o is not None:
                demand[o[3], o[0]] += o[1]
                red[o[0]:] += o[2]
        cleared = (total0 - red) < 16 if total0 >= 16 else np.zeros(Y, bool)
        if clear_from is None:
            if demand.any():
                continue  # the works of a location the restriction leaves on the list are not offered
            cleared[:] = False
        else:
            cleared[:clear_from] = False
        plans.append((demand.ravel(), L["area_ha"] * cleared.sum()))
    return plans


def _payable(demand: np.ndarray, budget: dict) -> np.ndarray:
    """Gale's condition for every set of demand nodes (2 sets x 3 years), vectorised over plans."""
    Y = len(YEARS)
    nodes = [(g, y) for g in range(2) for y in range(Y)]
    ok = np.ones(len(demand), bool)
    for mask in range(1, 1 << len(nodes)):
        chosen = [k for k in range(len(nodes)) if mask >> k & 1]
        reach = set()
        for k in chosen:
            g, y = nodes[k]
            for s, (sets, carry) in SOURCES.items():
                if g in sets:
                    reach |= {(s, yy) for yy in (range(y + 1) if carry else [y])}
        supply = sum(budget[s][yy] for s, yy in reach)
        ok &= demand[:, chosen].sum(axis=1) <= supply + 1e-6
    return ok


def brute_force(locs, budget, clear_from: list | None = None) -> float:
    """Best hectare-years over every payable combination of the locations' plans (``clear_from``: per
    location the first year index it may count as cleared, None = never; default: no restriction)."""
    keys, vals = np.zeros((1, 6)), np.zeros(1)
    for k, L in enumerate(locs):
        plans = _plans(L, 0 if clear_from is None else clear_from[k])
        d = np.array([p[0] for p in plans])
        v = np.array([p[1] for p in plans])
        keys = (keys[:, None, :] + d[None, :, :]).reshape(-1, 6)
        vals = (vals[:, None] + v[None, :]).ravel()
        keep = _payable(keys, budget)  # a partial plan that cannot be paid cannot be completed
        keys, vals = keys[keep], vals[keep]
        # one entry per demand vector, the best value (exact: the rest of the search sees only the demand)
        order = np.lexsort((-vals,) + tuple(keys.T[::-1]))
        keys, vals = keys[order], vals[order]
        first = np.ones(len(keys), bool)
        first[1:] = np.any(keys[1:] != keys[:-1], axis=1)
        keys, vals = keys[first], vals[first]
    return float(vals.max())


def _instance(case, seed: int):
    """Three random sites, budgets per source and year drawn from ``seed``, and the prepared case."""
    rng = np.random.default_rng(seed)
    locs = three_random_sites(rng)
    budget = {s: [float(rng.choice([0, 30e6, 60e6, 120e6])) for _ in YEARS] for s in SOURCES}
    rules = {"pu": {"eligible": "2b;4b"}, "dak": {"eligible": "5a"}, "kota": {"eligible": "2b;4b;5a",
                                                                               "carry_over": "yes"}}
    inp = case(locs, {(s, y): budget[s][k] for s in SOURCES for k, y in enumerate(YEARS)}, frules=rules,
               unit_cost=UC, years=YEARS, options={"targets": ["lt25"]}, objective={"tie_break": False})
    return locs, budget, inp


#: seeds where both the carry-over and the eligibility of the sources change the brute-force optimum
#: (found by scanning seeds 0-299 with the brute force alone: without kota's carry-over, and with dak
#: paying roads too, each of these instances has another optimum)
@pytest.mark.parametrize("seed", [66, 96, 146, 154, 155, 173])
def test_optimum_equals_brute_force_with_sources_years_and_carry_over(case, seed):
    locs, budget, inp = _instance(case, seed)
    res = allocate(inp=inp)
    expected = brute_force(locs, budget)
    assert res.report.proven_optimal
    assert res.report.objective == pytest.approx(expected, abs=1e-6)
    assert res.evaluation["hectare_years"] == pytest.approx(expected, abs=1e-6)  # re-scored plan, not the model
    assert check_plan(inp, res.plan) == []
    # the money binds: with unlimited money the brute force clears more
    assert brute_force(locs, {s: [1e12] * len(YEARS) for s in SOURCES}) > expected + 1e-6


@pytest.mark.parametrize("seed", [66, 96, 146, 154, 155, 173])
def test_best_within_a_set_of_clearings_equals_the_restricted_brute_force(case, seed):
    # the fall-back's restricted stage: the best plan that clears only what z* clears, each location from its
    # year in z* on (z <= z*); the brute force counts a location as cleared only from that year, and offers no
    # works at the locations z* leaves on the list
    locs, budget, inp = _instance(case, seed)
    model = build_model(inp)
    keys = list(model.zcol)
    ids = list(inp.locations["location_id"])
    pick = np.random.default_rng(1000 + seed)
    differ = 0
    for _ in range(4):
        clear_from = [None if t < 0 else int(t) for t in pick.integers(-1, len(YEARS), size=len(locs))]
        by_id = dict(zip((L["location_id"] for L in locs), clear_from))
        zval = np.array([1.0 if by_id[ids[i]] is not None and y >= by_id[ids[i]] else 0.0 for i, y in keys])
        r = best_within(model, SolverOptions(mip_rel_gap=0.0), keys, zval, time.perf_counter() + 30)
        expected = brute_force(locs, budget, clear_from)
        assert r.model_status == "kOptimal"
        assert r.objective == pytest.approx(expected, abs=1e-6), clear_from
        differ += expected < brute_force(locs, budget) - 1e-6
    assert differ  # the restriction binds in at least one draw (the test can tell a wrong restriction)


def test_brute_force_payability_is_gale_exact():
    # 100 of roads in 2018 can be paid by pu 2018 (60) plus kota 2017 carried over (50), not by dak
    budget = {"pu": [0, 60, 0], "dak": [500, 500, 500], "kota": [50, 0, 0]}
    d = np.zeros((1, 6))
    d[0, 1] = 100  # set 0, year index 1
    assert _payable(d, budget)[0]
    budget["kota"] = [30, 0, 0]
    assert not _payable(d, budget)[0]
    # kota money of 2019 cannot pay 2018 works (carry-over runs forward only)
    budget["kota"] = [0, 0, 60]
    assert not _payable(d, budget)[0]
