"""The scenario's clearance rule (``options.clearance_rule``) decides what the engine counts as cleared.

One hand-built location (Permen 14/2018, every unit Rp 1 million):

- buildings: 1a 100 of 100 buildings, 1b 10 of 10 ha, 1c 100 of 100 buildings -> 5 + 5 + 5 points;
- fire protection: 7a 25 of 100 buildings -> 25 % -> 1 point; total 16 (kumuh ringan);
- drinking water: 3a 24 and 3b 24 of 100 households -> 0 points each, but the aspect's average
  condition is 24 %, a service level of 76 %.

Under the regulation's rule (total below 16) one building made fire-safe (7a 25 -> 24, Rp 1 million)
clears it. Under ``services_80`` (total below 16 AND each of road, drainage, water, wastewater and
solid waste served at least 80 %, read as 100 - the aspect's average condition) water must also
reach 80 %: 3a + 3b at most 40 households affected, 8 more households served (Rp 8 million), so
Rp 9 million in all. The oracle below enumerates the works itself (its own band function and
service arithmetic), independent of the package's costing, packages, model and checker.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from helpers import ALLOC_SITE, location

from kotaku_decide.allocate import allocate, check_plan
from kotaku_decide.data.profiles import load_profile
from kotaku_decide.score.clearance import clearance
from kotaku_decide.score.scoring import denominator_matrix, volume_matrix

VOLS = {"1a": 100, "1b": 10, "1c": 100, "7a": 25, "3a": 24, "3b": 24}
AREA = 10.0


def band(pct):
    p = math.floor(pct * 100 + 1e-6 + 0.5) / 100
    return 5 if p >= 76 else 3 if p >= 51 else 1 if p >= 25 else 0


def oracle_price(services: bool) -> float:
    """Least cost [Rp million] to clear the hand location, by enumeration.

    Building criteria (1a, 1b, 1c) only matter through their band, so their removals are enumerated
    at the band edges (the least removal reaching 75, 50, 24 % or 0); fire (7a) and water (3a, 3b)
    removals are enumerated unit by unit.
    """
    def edges(v, den, step):
        out = [0.0]
        for b in (76, 51, 25):
            keep = math.floor((b - 0.01) / 100 * den / step + 1e-9) * step
            if keep < v:
                out.append(round(v - keep, 6))
        out.append(float(v))
        return sorted(set(out))

    best = math.inf
    for r1a, r1b, r1c in itertools.product(edges(100, 100, 1), edges(10, 10, 0.01), edges(100, 100, 1)):
        fixed = band(100 - r1a) + band(100 * (10 - r1b) / 10) + band(100 - r1c)
        for r7 in range(26):
            for r3a in range(25):
                for r3b in range(25):
                    left3a, left3b = 24 - r3a, 24 - r3b
                    total = fixed + band(25 - r7) + band(left3a) + band(left3b)
                    if total >= 16:
                        continue
                    if services:
                        svc = 100 - (left3a + left3b) / 2  # 100 - the aspect's average condition [%]
                        if round(svc, 2) < 80:
                            continue
                    best = min(best, r1a + r1b + r1c + r7 + r3a + r3b)
    return best


def test_oracle_prices_are_the_hand_figures():
    assert oracle_price(services=False) == pytest.approx(1.0)
    assert oracle_price(services=True) == pytest.approx(9.0)


def _inp(case, budget_m, rule, years=(2017,)):
    locs = [location("L0", site=ALLOC_SITE, area_ha=AREA, vols=VOLS)]
    return case(locs, {("city", y): budget_m * 1e6 for y in years}, years=years,
                options={"clearance_rule": rule}, objective={"tie_break": False})


def _independent_cleared(plan, rule_services: bool) -> bool:
    """Re-score the plan's remaining volumes with the oracle's own arithmetic."""
    left = dict(VOLS)
    for c, q in plan.groupby("criterion")["quantity"].first().items():
        left[c] = left[c] - float(q)
    total = (band(left["1a"]) + band(10 * left["1b"]) + band(left["1c"]) + band(left["7a"])
             + band(left["3a"]) + band(left["3b"]))
    ok = total < 16
    if rule_services:
        ok = ok and round(100 - (left["3a"] + left["3b"]) / 2, 2) >= 80
    return ok


@pytest.mark.parametrize("method", ["milp", "greedy"])
@pytest.mark.parametrize("rule, budget_m, cleared", [
    ("total_below_threshold", 1.0, True),   # the regulation's rule: one fire-safe building is enough
    ("services_80", 1.0, False),
    ("services_80", 8.99, False),           # just under the price with water at 80 %
    ("services_80", 9.0, True),
    (None, 1.0, True),                      # the profile's default rule (14/2018: the total only)
])
def test_rule_sets_the_price_of_clearing(case, method, rule, budget_m, cleared):
    inp = _inp(case, budget_m, rule)
    res = allocate(inp=inp, method=method)
    assert check_plan(inp, res.plan) == []
    got = bool(res.evaluation["cleared_ha"] > 0)
    if method == "milp":
        assert res.report.proven_optimal
        assert got == cleared
        assert res.evaluation["cleared_ha"] == pytest.approx(AREA if cleared else 0.0)
    else:
        assert got <= cleared  # the greedy rule never clears what the optimum cannot
    if got:
        assert _independent_cleared(res.plan, rule == "services_80")
        assert res.plan["cost_rp"].sum() <= budget_m * 1e6 + 1e-6


def test_model_price_equals_the_oracle(case):
    """Least cost to clear (least_cost objective with a target of every slum hectare) = the oracle."""
    for rule, services in (("total_below_threshold", False), ("services_80", True)):
        inp = case([location("L0", site=ALLOC_SITE, area_ha=AREA, vols=VOLS)], {("city", 2017): 50e6}, years=(2017,),
                   options={"clearance_rule": rule},
                   objective={"kind": "least_cost", "target_hectares": "all", "tie_break": False})
        res = allocate(inp=inp)
        assert res.report.proven_optimal
        assert check_plan(inp, res.plan) == []
        assert res.plan["cost_rp"].sum() / 1e6 == pytest.approx(oracle_price(services), abs=1e-6)


def test_services_rule_refuses_a_location_below_the_total_but_under_served():
    """A total below the threshold with water served 76 % is not cleared under services_80."""
    prof = load_profile("permen-14-2018")
    row = location("L0", site=ALLOC_SITE, area_ha=AREA, vols=dict(VOLS, **{"7a": 24}))  # total 15 without any work
    b = pd.DataFrame([row])
    V, D = volume_matrix(b, prof), denominator_matrix(b, prof)
    by_total = clearance(V, D, prof, "total_below_threshold")
    by_services = clearance(V, D, prof, "services_80")
    assert by_total.total[0] == 15 and bool(by_total.cleared[0])
    assert not bool(by_services.cleared[0])
    assert by_services.services_missed() == [["water"]]
    assert by_services.service_pct[0, list(by_services.services).index("water")] == pytest.approx(76.0)


def test_unknown_rule_is_refused_with_the_profile_rules(case):
    from kotaku_decide.data.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r"options.clearance_rule: 'services_90'.*services_80"):
        _inp(case, 1.0, "services_90")


def test_02_2016_hearing_scenario_clears_locations_under_the_programme_rule():
    """The permen_02_2016 hearing scenario: under the programme's rule (the 02/2016 profile's default,
    services_80) locations are cleared in situ, each passes the rule re-applied to the plan's volumes
    by the scoring layer, and the plan passes the checker."""
    from pathlib import Path

    from kotaku_decide.data.scenario import load_scenario
    from kotaku_decide.hearing.batch import read_scenario_set
    from kotaku_decide.progress.condition import condition_by_year

    repo = Path(__file__).resolve().parents[2]
    spec = {s.name: s for s in read_scenario_set(repo / "data" / "scenarios" / "hearing_2016.yaml")}["permen_02_2016"]
    sc = load_scenario(spec.overrides)
    prof = load_profile(sc["profile"])
    assert prof.clearance_rule(sc["options.clearance_rule"]).name == "services_80"
    res = allocate(sc, method="greedy")
    assert res.checks == []
    ba = res.before_after
    insitu = ba[ba["cleared_year"].notna() & ~ba["resettled"].astype(bool)]
    assert len(insitu) >= 1, "no location cleared in situ under the programme's rule"
    from kotaku_decide.data.validate import load_baseline

    base = load_baseline(sc.data_path("baseline"), prof)
    years = list(range(sc["years.start"], sc["years.end"] + 1))
    cond = condition_by_year(base, prof, res.plan, years, "services_80")
    end = cond[cond["year"] == years[-1]].set_index("location_id")
    for lid in insitu["location_id"]:
        assert bool(end.loc[lid, "cleared"]), lid
        assert end.loc[lid, "total"] < 19, lid
        for a in prof.clearance_rule("services_80").services:
            assert end.loc[lid, f"service_{a}"] >= 80, (lid, a)


def test_evidence_cheapest_clearing_counts_the_services(case):
    """The explanations' cheapest clearing package follows the rule too: Rp 1 M under the total rule,
    Rp 9 M under services_80 (the oracle's figures)."""
    from kotaku_decide.evidence.core import cheapest_cost

    for rule, price in (("total_below_threshold", 1.0), ("services_80", 9.0)):
        inp = _inp(case, 50.0, rule)
        assert cheapest_cost(inp, 0) / 1e6 == pytest.approx(oracle_price(rule == "services_80"))
        assert cheapest_cost(inp, 0) / 1e6 == pytest.approx(price)
