"""The progress layer's end condition and indicators against the allocation's own post-processing
(a second implementation): under the default clearance rule, the planned figures must agree."""

import numpy as np
import pytest
from kd_testutil import DATA

import kotaku_decide
from kotaku_decide.data.profiles import load_profile
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.data.validate import load_baseline
from kotaku_decide.progress.condition import condition_by_year, yearly_indicators


@pytest.mark.parametrize("profile", ["permen-14-2018", "permen-02-2016"])
def test_planned_indicators_match_the_allocation(profile):
    sc = load_scenario(DATA / "scenarios" / "balikpapan.yaml", profile=profile)
    res = kotaku_decide.allocate(sc, method="greedy")
    prof = load_profile(profile)
    base = load_baseline(sc.data_path("baseline"), prof)
    years = list(range(sc["years.start"], sc["years.end"] + 1))
    mine = yearly_indicators(base, prof, res.plan, years, "total_below_threshold")
    theirs = res.yearly
    assert list(mine["year"]) == list(theirs["year"])
    for c in ("slum_locations", "slum_ha", "water_share_pct", "sanitation_share_pct", "spend_rp"):
        assert np.allclose(mine[c].to_numpy(float), theirs[c].to_numpy(float)), c
    cond = condition_by_year(base, prof, res.plan, years, "total_below_threshold")
    first = cond[cond["cleared"] & (cond["year"] >= years[0])].groupby("location_id")["year"].min()
    ba = res.before_after.set_index("location_id")["cleared_year"].dropna().astype(int)
    assert first.sort_index().to_dict() == ba.sort_index().to_dict()
    end = cond[cond["year"] == years[-1]].set_index("location_id")
    assert (end["total"] == res.before_after.set_index("location_id")["total_after"]).all()
