"""The model's optimum equals an exhaustive enumeration on tiny instances.

The enumeration computes quantities, costs, scores, precedence and budgets itself (its own band
function and rounding: helpers.band_score / remaining_max), independent of the package's costing, model and checker.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import ALLOC_SITE, band_score, location, remaining_max, three_random_sites

from kotaku_decide.allocate import allocate, check_plan

CRITS = {"2b": 1000, "4b": 1000, "5a": 100}  # denominators of ALLOC_SITE locations
UC = {"2b": 500_000, "4b": 600_000, "5a": 2_000_000}
BANDS = {"lt51": 51.0, "lt25": 25.0}


def enumerate_best(locs, budget, years):
    """Exhaustive optimum of the hectare-years objective (no tie-break)."""
    Y = len(years)
    per_loc = []
    for L in locs:
        fixed = band_score(L["vol_1a"]) + band_score(L["vol_1c"])
        s0 = {c: band_score(100 * L[f"vol_{c}"] / d) for c, d in CRITS.items()}
        total0 = fixed + sum(s0.values())
        opts = {}
        for c, d in CRITS.items():
            v = L[f"vol_{c}"]
            lst = [None]
            for t, b in BANDS.items():
                r = remaining_max(b, d)
                if v > r and band_score(100 * r / d) < s0[c]:
                    q = v - r
                    for y in range(Y):
                        lst.append((y, q * UC[c], s0[c] - band_score(100 * r / d)))
            opts[c] = lst
        choices = []
        for combo in itertools.product(*opts.values()):
            ch = dict(zip(CRITS, combo))
            # precedence: road (2b) needs drainage (4b) in the same or an earlier year if the site needs drainage
            if L["vol_4b"] > 0 and ch["2b"] is not None and (ch["4b"] is None or ch["4b"][0] > ch["2b"][0]):
                continue
            spend = np.zeros(Y)
            red = np.zeros(Y)
            for c, o in ch.items():
                if o is not None:
                    spend[o[0]] += o[1]
                    red[o[0]:] += o[2]
            cleared = (total0 - red) < 16 if total0 >= 16 else np.zeros(Y, bool)
            choices.append((spend, L["area_ha"] * cleared.sum()))
        per_loc.append(choices)
    best = 0.0
    for combo in itertools.product(*per_loc):
        spend = sum(c[0] for c in combo)
        if np.all(spend <= np.array([budget[y] for y in years]) + 1e-6):
            best = max(best, sum(c[1] for c in combo))
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_model_optimum_equals_brute_force(case, seed):
    rng = np.random.default_rng(seed)
    locs = three_random_sites(rng)
    years = (2017, 2018)
    budget = {y: float(rng.choice([150e6, 250e6, 400e6])) for y in years}
    inp = case(locs, {("city", y): b for y, b in budget.items()}, frules={"city": {"eligible": "2b;4b;5a"}},
               unit_cost=UC, years=years, options={"targets": ["lt51", "lt25"]},
               objective={"tie_break": False})
    res = allocate(inp=inp)
    assert res.report.proven_optimal
    expected = enumerate_best(locs, budget, years)
    assert res.report.objective == pytest.approx(expected, abs=1e-6)
    assert res.evaluation["hectare_years"] == pytest.approx(expected, abs=1e-6)  # re-scored plan, not the model
    assert check_plan(inp, res.plan) == []


def test_tie_break_keeps_the_main_optimum(case):
    locs = [location("L0", site=ALLOC_SITE, area_ha=5, vols={"1a": 80, "1c": 80, "2b": 800, "4b": 850, "5a": 80}),
            location("L1", site=ALLOC_SITE, area_ha=7, kelurahan="K2",
                     vols={"1a": 80, "1c": 60, "2b": 900, "4b": 0, "5a": 95})]
    budget = {2017: 250e6, 2018: 250e6}
    inp = case(locs, {("city", y): b for y, b in budget.items()}, frules={"city": {"eligible": "2b;4b;5a"}},
               unit_cost=UC, options={"targets": ["lt51", "lt25"]}, objective={"tie_break": True})
    res = allocate(inp=inp)
    assert res.report.proven_optimal
    assert res.evaluation["hectare_years"] == pytest.approx(enumerate_best(locs, budget, (2017, 2018)), abs=1e-6)
