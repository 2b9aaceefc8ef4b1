"""End condition after realised works against hand computations (issue 14, "Done when" 1)."""

import numpy as np
import pytest
from progress_cases import YEARS, baseline, plan, realised

from kotaku_decide.data.profiles import load_profile
from kotaku_decide.progress.condition import condition_by_year, volumes_after, work_volumes, yearly_indicators

P14 = load_profile("permen-14-2018")


@pytest.fixture
def base(make_csv):
    return baseline(make_csv)


def test_end_condition_after_realised_works_equals_hand_computation(base):
    c = condition_by_year(base, P14, realised(), YEARS).set_index(["location_id", "year"])
    # L1 totals: 18 at the baseline; 2017: 2b 80 -> 20 % (5 -> 0): 13; 2018: 3a 60 -> 20 % (3 -> 0) and
    # 5a 90 -> 70 % (5 -> 3): 8; 2019: nothing more: 8
    assert [c.loc[("L1", y), "total"] for y in (2016, 2017, 2018, 2019)] == [18, 13, 8, 8]
    assert [c.loc[("L1", y), "level"] for y in (2016, 2017)] == ["ringan", "tidak_kumuh"]
    # L2: 2b 30 -> 20 % in 2017: 1 -> 0; never slum, so never "cleared"
    assert [c.loc[("L2", y), "total"] for y in (2016, 2017)] == [1, 0]
    assert not c.xs("L2", level=0)["cleared"].any() and not c.xs("L2", level=0)["slum"].any()
    # average condition: aspects building 0, road (80+0)/2 = 40, water (60+0)/2 = 30, drainage 0,
    # wastewater (90+0)/2 = 45, solid waste 0, fire (0+80)/2 = 40 -> 155/7; after 2017 road 10 -> 125/7;
    # after 2018 water 10 and wastewater 35 -> 95/7. Contribution = (before - after) / before.
    assert c.loc[("L1", 2016), "avg_condition"] == pytest.approx(155 / 7)
    assert c.loc[("L1", 2017), "avg_condition"] == pytest.approx(125 / 7)
    assert c.loc[("L1", 2018), "contribution"] == pytest.approx(60 / 155)
    # cleared under 14/2018's own rule (below 16) from 2017
    assert [bool(c.loc[("L1", y), "cleared"]) for y in (2016, 2017, 2018)] == [False, True, True]


def test_yearly_indicators_equal_hand_computation(base):
    y = yearly_indicators(base, P14, realised(), YEARS).set_index("year")
    assert list(y["slum_ha"]) == [10.0, 0.0, 0.0, 0.0] and list(y["cleared_locations"]) == [0, 1, 1, 1]
    # households without safe water: max(3a, 3b) = 60 (L1) of 200 -> 70 %; 2018: 20 -> 90 %
    assert y.loc[2016, "water_share_pct"] == pytest.approx(70.0) and y.loc[2018, "water_share_pct"] == pytest.approx(90)
    # without proper sanitation: max(5a, 5b) = 90 -> 55 %; 2018: 70 -> 65 %
    assert y.loc[2016, "sanitation_share_pct"] == pytest.approx(55.0)
    assert y.loc[2018, "sanitation_share_pct"] == pytest.approx(65.0)
    assert list(y["spend_rp"]) == [0.0, 105.0, 60.0, 0.0]


def test_services_rule_keeps_the_location_on_the_slum_list(base):
    # services_80 under 14/2018: after 2017 water is served 100 - (60+0)/2 = 70 % and wastewater 100 - 45 = 55 %;
    # after 2018 water 90 % but wastewater 100 - (70+0)/2 = 65 %: total 8 < 16, yet not cleared
    c = condition_by_year(base, P14, realised(), YEARS, "services_80").set_index(["location_id", "year"])
    assert not c["cleared"].any()
    assert c.loc[("L1", 2017), "services_missed"] == "water wastewater"
    assert c.loc[("L1", 2018), "services_missed"] == "wastewater"
    assert c.loc[("L1", 2018), "service_wastewater"] == 65.0
    y = yearly_indicators(base, P14, realised(), YEARS, "services_80")
    assert list(y["slum_ha"]) == [10.0] * 4


def test_plan_quantities_count_once_per_work_and_volumes_floor_at_zero(base):
    w = work_volumes(plan())
    # 5a is paid by two sources in the plan: its 40 households count once, its cost twice summed
    r = w[(w["criterion"] == "5a")].iloc[0]
    assert r["volume"] == 40 and r["cost_rp"] == 40.0
    V, res = volumes_after(base, P14, w.assign(volume=w["volume"] * 10), None)  # ten times the need
    assert (V[0] >= 0).all() and V[0, list(P14.codes).index("2b")] == 0.0 and not res.any()


def test_resettlement_of_every_household_clears_the_site(base):
    import pandas as pd

    w = pd.DataFrame({"location_id": ["L1", "L1"], "criterion": ["resettlement", "resettlement"],
                      "year": [2017, 2018], "volume": [60.0, 40.0], "cost_rp": [1.0, 1.0]})
    c = condition_by_year(base, P14, w, YEARS).set_index(["location_id", "year"])
    # 60 of 100 households moved in 2017: still slum; all 100 by 2018: resettled, cleared
    assert c.loc[("L1", 2017), "total"] == 18 and not c.loc[("L1", 2017), "cleared"]
    assert c.loc[("L1", 2018), "level"] == "resettled" and c.loc[("L1", 2018), "cleared"]


def test_realised_exactly_the_plan_gives_the_planned_condition(base):
    p = plan()
    tot = p.groupby(["location_id", "criterion", "option", "year"])["cost_rp"].transform("sum")
    r = p.assign(volume=p["quantity"] * p["cost_rp"] / tot).drop(columns=["quantity", "option"])
    a = condition_by_year(base, P14, r, YEARS)
    b = condition_by_year(base, P14, p, YEARS)
    assert np.array_equal(a["total"], b["total"]) and np.allclose(a["avg_condition"], b["avg_condition"])
