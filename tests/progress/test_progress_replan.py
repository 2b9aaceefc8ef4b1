"""Realised works as fixed past for re-planning: works, matched options, money spent, volumes left."""

import pandas as pd
import pytest
from progress_cases import baseline, plan, realised

from kotaku_decide.data.profiles import load_profile
from kotaku_decide.progress.replan import fixed_past
from kotaku_decide.score.scoring import score_table

P14 = load_profile("permen-14-2018")


@pytest.fixture
def base(make_csv):
    return baseline(make_csv)


def test_fixed_past_from_2018(base):
    f = fixed_past(base, P14, realised(), 2018, plan())
    w = f.works.set_index(["location_id", "criterion"])
    # only the 2017 works are fixed: L1 2b (matches the plan's lt25 quantity 60) and L2 2b (not in the plan)
    assert sorted(w.index) == [("L1", "2b"), ("L2", "2b")]
    assert w.loc[("L1", "2b"), "option"] == "lt25" and w.loc[("L1", "2b"), "matches_plan"]
    assert pd.isna(w.loc[("L2", "2b"), "option"]) and not w.loc[("L2", "2b"), "matches_plan"]
    assert f.spent_by("apbn", 2017) == 100.0 and f.spent_by("csr", 2017) == 5.0 and f.spent_by("csr", 2018) == 0
    assert set(f.spent["year"]) == {2017}
    # volumes left: L1 2b 80 - 60 = 20, L2 2b 30 - 10 = 20; the rest as at the baseline
    v = f.volumes_left.set_index("location_id")
    assert v.loc["L1", "vol_2b"] == 20 and v.loc["L2", "vol_2b"] == 20 and v.loc["L1", "vol_5a"] == 90
    # re-scored, the left volumes give the 2017 end condition: L1 18 - 5 = 13
    s = score_table(f.volumes_left, P14).set_index("location_id")
    assert s.loc["L1", "total_score"] == 13 and f.resettled == ()


def test_fixed_past_from_2019_sums_money_per_source_and_year_and_partial_work_has_no_option(base):
    f = fixed_past(base, P14, realised(), 2019, plan())
    sp = f.spent.set_index(["source", "year"])["spent_rp"].to_dict()
    assert sp == {("apbd_kota", 2018): 50.0, ("apbn", 2017): 100.0, ("csr", 2017): 5.0, ("csr", 2018): 10.0}
    w = f.works.set_index(["location_id", "criterion"])
    # 3a done late (2018) still completes the planned option; 5a 20 of 40 is partial: it enters as a volume
    assert w.loc[("L1", "3a"), "option"] == "lt25" and w.loc[("L1", "3a"), "year"] == 2018
    assert pd.isna(w.loc[("L1", "5a"), "option"])
    assert f.volumes_left.set_index("location_id").loc["L1", "vol_5a"] == 70


def test_nothing_realised_before_the_first_year_fixes_nothing(base):
    f = fixed_past(base, P14, realised(), 2017, plan())
    assert len(f.works) == 0 and len(f.spent) == 0
    pd.testing.assert_series_equal(f.volumes_left["vol_2b"], base["vol_2b"], check_dtype=False)


def test_resettled_and_legalised_locations(base):
    r = pd.DataFrame({"location_id": ["L1", "L2", "L2"], "criterion": ["resettlement", "legalisation", "legalisation"],
                      "year": [2017, 2017, 2018], "volume": [100.0, 4.0, 6.0], "cost_rp": [9.0, 1.0, 1.0],
                      "source": ["apbn"] * 3})
    # L1: all 100 households moved in 2017; L2: 4 of 10 ha legalised in 2017, the other 6 in 2018
    f18 = fixed_past(base, P14, r, 2018)
    assert f18.resettled == ("L1",) and f18.legalised == ()
    f19 = fixed_past(base, P14, r, 2019)
    assert f19.legalised == ("L2",) and f19.spent_by("apbn", 2018) == 1.0
