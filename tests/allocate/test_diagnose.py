"""Why a target cannot be met (kotaku_decide.allocate.diagnose): money short, or no amount of money."""

from __future__ import annotations

import pytest
from helpers import ALLOC_SITE, FIXED_11, location

from kotaku_decide.allocate import allocate
from kotaku_decide.allocate.solve import SolveStatus


def test_infeasible_target_reports_money_shortfall(case):
    # clearing needs 41 m x Rp 1 M = Rp 41 M
    locs = [location("A", site=ALLOC_SITE, area_ha=5, vols={**FIXED_11, "2b": 800})]
    inp = case(locs, {("city", 2017): 30e6, ("city", 2018): 0}, frules={"city": {"eligible": "2b"}},
               rules={"locked_in": ["A"]})
    res = allocate(inp=inp)
    assert res.report.status == SolveStatus.INFEASIBLE and not res.report.proven_optimal
    sf = res.shortfall
    assert sf.locked_in_not_cleared == ["A"]
    assert sf.money_short_rp["extra_rp"].sum() == pytest.approx(11e6, rel=1e-6)  # 41 - 30
    text = str(sf)
    assert "Short by Rp 0.01 bn" in text and "locked-in" in text and "A" in text
    assert res.plan.empty


def test_infeasible_target_structural_reason(case):
    locs = [location("A", site=ALLOC_SITE, area_ha=5, vols={**FIXED_11, "2b": 800}),
            location("B", site=ALLOC_SITE, area_ha=7, kelurahan="K2", legal=False, vols={**FIXED_11, "2b": 800})]
    inp = case(locs, {("city", 2017): 500e6, ("city", 2018): 0}, frules={"city": {"eligible": "2b"}},
               options={"legalisation": False, "resettlement": False},
               objective={"kind": "least_cost", "target_hectares": "all", "target_year": 2017})
    res = allocate(inp=inp)
    assert res.report.status == SolveStatus.INFEASIBLE
    text = str(res.shortfall)
    assert "7.00 ha" in text  # B's hectares stay slum whatever the money
    assert "B: land not legal" in text
    assert "No amount of money" in text
