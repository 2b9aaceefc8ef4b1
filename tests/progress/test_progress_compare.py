"""Plan against actual: statuses and costs of each work worked out by hand (see progress_cases.py)."""

import pandas as pd
import pytest
from progress_cases import YEARS, baseline, plan, realised

from kotaku_decide.data.profiles import load_profile
from kotaku_decide.progress.api import track_progress
from kotaku_decide.progress.compare import compare_money, compare_source_year, compare_works


def test_work_statuses_and_cost_statuses():
    w = compare_works(plan(), realised(), years=YEARS).set_index(["location_id", "criterion"])
    assert w.attrs["as_of"] == 2018  # the last year with realised works
    assert w["status"].to_dict() == {("L1", "2b"): "done", ("L1", "3a"): "late", ("L1", "5a"): "behind",
                                     ("L1", "7b"): "not_due", ("L2", "2b"): "not_in_plan"}
    cs = w["cost_status"].to_dict()
    assert cs[("L1", "2b")] == "on_cost"   # 100 for 60 of 60 planned at 100
    assert cs[("L1", "3a")] == "over"      # 50 against 40
    assert cs[("L1", "5a")] == "under"     # 10 for 20 of 40 planned at 40 -> expected 20
    assert pd.isna(cs[("L1", "7b")]) and pd.isna(cs[("L2", "2b")])
    assert w.loc[("L1", "5a"), "expected_cost_rp"] == pytest.approx(20.0)
    assert w.loc[("L1", "5a"), "planned_sources"] == "apbn csr" and w.loc[("L1", "5a"), "realised_sources"] == "csr"
    assert w.loc[("L1", "3a"), "complete_year"] == 2018


def test_as_of_an_earlier_year_makes_later_works_unknown():
    w = compare_works(plan(), realised(), as_of=2017, years=YEARS).set_index(["location_id", "criterion"])
    # as of 2017 the 3a work (planned 2017) is behind; 5a is not yet due
    assert w.loc[("L1", "3a"), "status"] == "behind" and w.loc[("L1", "5a"), "status"] == "not_due"
    assert w.loc[("L1", "3a"), "realised_volume"] == 0


def test_money_per_location_source_and_per_source_year():
    m = compare_money(plan(), realised(), 2018).set_index(["location_id", "source"])
    assert m.loc[("L1", "apbn"), "planned_rp"] == 210.0 and m.loc[("L1", "apbn"), "planned_to_date_rp"] == 130.0
    assert m.loc[("L1", "apbn"), "realised_rp"] == 100.0 and m.loc[("L2", "csr"), "realised_rp"] == 5.0
    sy = compare_source_year(plan(), realised()).set_index(["source", "year"])
    assert sy.loc[("csr", 2017), "planned_rp"] == 0.0 and sy.loc[("csr", 2017), "realised_rp"] == 5.0
    assert sy.loc[("apbd_kota", 2017), "difference_rp"] == -40.0


def test_locations_behind_plan_and_cleared_aspects(make_csv):
    res = track_progress(baseline(make_csv), load_profile("permen-14-2018"), plan(), realised(), YEARS)
    assert res.as_of == 2018 and res.rule.name == "total_below_threshold"
    # L1 is cleared in 2017 as planned, but has a late and a behind work: behind plan
    assert list(res.behind["location_id"]) == ["L1"]
    b = res.behind.iloc[0]
    assert (b["works_late"], b["works_behind"], b["planned_cleared_year"], b["cleared_year"]) == (1, 1, 2017, 2017)
    c = res.cleared.set_index("location_id")
    assert list(c.index) == ["L1"] and c.loc["L1", "aspects_addressed"] == "road water wastewater"
    # realised values after the as-of year are unknown, not zero
    y = res.yearly.set_index("year")
    assert y.loc[2018, "slum_ha_realised"] == 0.0 and y["slum_ha_realised"].isna().tolist() == [False] * 3 + [True]


def test_services_rule_puts_a_planned_clearance_behind(make_csv):
    res = track_progress(baseline(make_csv), load_profile("permen-14-2018"), plan(), realised(), YEARS,
                         rule="services_80")
    # under the services rule the plan itself never clears L1 (wastewater 5a stays at 50 %: served 75 %)
    assert pd.isna(res.locations.set_index("location_id").loc["L1", "planned_cleared_year"])
    assert res.locations.set_index("location_id").loc["L1", "services_missed"] == "wastewater"
