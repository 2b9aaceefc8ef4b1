"""Results of an allocation (kotaku_decide.allocate.results): plan, before / after table and yearly
indicators against a hand computation."""

from __future__ import annotations

import pytest
from helpers import ALLOC_SITE, location

from kotaku_decide.allocate import allocate


def test_end_condition_matches_hand_computation(case):
    # 1a 80 % (5), 2b 80 % (5), 5a 80 % (5), 6a 30 % (1): total 16, ringan
    loc = location("A", site=ALLOC_SITE, area_ha=4, vols={"1a": 80, "2b": 800, "5a": 80, "6a": 30})
    inp = case([loc], {("city", 2017): 100e6, ("city", 2018): 0}, frules={"city": {"eligible": "5a"}},
               options={"targets": ["lt25"]})
    res = allocate(inp=inp)
    assert res.report.proven_optimal
    # hand: 5a to below 25 %: 80 -> 24 households, 56 x Rp 1 M
    assert list(res.plan["quantity"]) == [56] and res.plan["cost_rp"].sum() == pytest.approx(56e6)
    row = res.before_after.set_index("location_id").loc["A"]
    assert (row["total_before"], row["level_before"]) == (16, "ringan")
    assert (row["total_after"], row["level_after"]) == (11, "tidak_kumuh")
    before = (80 / 3 + 80 / 2 + 80 / 2 + 30 / 2) / 7  # aspect means of building, road, wastewater, solid waste
    after = (80 / 3 + 80 / 2 + 24 / 2 + 30 / 2) / 7
    assert row["avg_condition_before"] == pytest.approx(before)
    assert row["avg_condition_after"] == pytest.approx(after)
    assert row["contribution_of_handling"] == pytest.approx((before - after) / before)
    assert row["cleared_year"] == 2017
    y = res.yearly.set_index("year")
    assert y.loc[2016, "slum_ha"] == 4 and y.loc[2017, "slum_ha"] == 0
    assert y.loc[2016, "sanitation_share_pct"] == pytest.approx(20.0)  # max(5a 80, 5b 0) of 100 households
    assert y.loc[2017, "sanitation_share_pct"] == pytest.approx(76.0)
