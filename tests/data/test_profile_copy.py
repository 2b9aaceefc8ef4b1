"""Regulation as data: a city's copy of a profile with other band edges, aspect membership and level
cut-offs is followed by scoring, the costing options, the model, the greedy rule, the checker and the
reports - nothing keeps the 14/2018 numbers in code."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "allocate"))
from alloc_cases import location, write_case  # noqa: E402

from kotaku_decide.allocate import allocate, check_plan, prepare
from kotaku_decide.allocate.costing import target_bands
from kotaku_decide.data.profiles import load_profile
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.hearing.tables import summary_by_level
from kotaku_decide.score.scoring import score_table

SRC = Path(__file__).resolve().parents[2] / "kotaku_decide" / "data" / "profiles" / "permen-14-2018"


@pytest.fixture
def city_profile(tmp_path) -> Path:
    """14/2018 with bands at 30 / 60 / 80 %, kumuh ringan from 20 points, and 3b counted as wastewater."""
    d = tmp_path / "city-profile"
    shutil.copytree(SRC, d)
    pd.DataFrame({"min_pct": [80, 60, 30, 0], "score": [5, 3, 1, 0], "status": "city", "source": "test copy"}).to_csv(
        d / "score_bands.csv", index=False)
    tb = pd.read_csv(d / "total_bands.csv")
    tb.loc[tb["slum_level"] == "ringan", "min_total"] = 20
    tb.loc[tb["slum_level"] == "tidak_kumuh", "max_total"] = 19
    tb.to_csv(d / "total_bands.csv", index=False)
    cr = pd.read_csv(d / "criteria.csv")
    cr.loc[cr["code"] == "3b", "aspect"] = "wastewater"
    cr.to_csv(d / "criteria.csv", index=False)
    (d / "profile.yaml").write_text((d / "profile.yaml").read_text().replace("name: permen-14-2018", "name: city-test"))
    return d


def test_scoring_and_levels_follow_the_copy(city_profile):
    prof = load_profile(str(city_profile))
    assert prof.slum_threshold == 20 and prof.aspect_codes("water") == ("3a",)
    assert prof.aspect_codes("wastewater") == ("3b", "5a", "5b")
    # shares 55 % score 1 under the copy (3 under 14/2018), 62 % score 3, 85 % score 5
    base = pd.DataFrame([location("A", **{"3a": 55, "5a": 62, "6a": 85})])
    s_copy = score_table(base, prof).iloc[0]
    s_reg = score_table(base, load_profile("permen-14-2018")).iloc[0]
    assert (s_copy["score_3a"], s_copy["score_5a"], s_copy["score_6a"]) == (1, 3, 5)
    assert (s_reg["score_3a"], s_reg["score_5a"], s_reg["score_6a"]) == (3, 3, 5)
    # 18 points: slum (kumuh ringan) under 14/2018, not slum under the copy's 20-point cut-off
    b18 = pd.DataFrame([location("B", **{"1a": 80, "1c": 80, "3a": 80, "5b": 60})])
    assert int(score_table(b18, load_profile("permen-14-2018")).iloc[0]["total_score"]) == 18
    assert score_table(b18, prof).iloc[0]["slum_level"] == "tidak_kumuh"
    assert score_table(b18, load_profile("permen-14-2018")).iloc[0]["slum_level"] == "ringan"
    # the reports count by the copy's levels: B (18) and C (23) are both kumuh ringan under 14/2018;
    # under the copy B is not slum and C stays ringan
    c23 = pd.DataFrame([location("C", **{"1a": 80, "1c": 80, "3a": 80, "5b": 60, "6a": 80})])
    both = pd.concat([b18, c23], ignore_index=True)
    reg, cop = summary_by_level(score_table(both, load_profile("permen-14-2018"))), summary_by_level(
        score_table(both, prof))
    assert reg.iloc[:, 0].tolist() == [0, 0, 2, 0, 2]  # berat, sedang, ringan, not slum, total
    assert cop.iloc[:, 0].tolist() == [0, 0, 1, 1, 2]


def test_options_model_greedy_checker_follow_the_copy(tmp_path, city_profile):
    assert list(target_bands(load_profile(str(city_profile)))) == ["lt80", "lt60", "lt30", "zero"]
    # one location at 85 % on 1a, 1c, 2b, 4b, 5a (5 points each: 25 under the copy); it must lose 6 points
    locs = [location("A", area=4.0, **{"1a": 85, "1c": 85, "2b": 850, "4b": 850, "5a": 85})]
    data = write_case(tmp_path, locs, {("city", 2017): 1e12})
    sc = load_scenario({"profile": str(city_profile), "data": data, "years": {"start": 2017, "end": 2017},
                        "options": {"targets": ["all"]}, "objective": {"tie_break": False},
                        "solver": {"time_limit_s": 30}})
    inp = prepare(sc)
    assert inp.threshold == 20
    assert set(inp.options["option"]) <= {"lt80", "lt60", "lt30", "zero"}
    # quantities follow the copy's edges: 85 households of 100 to below 60 % is 26 (59 left), below 30 % 56
    q = inp.options.set_index(["criterion", "option"])["quantity"]
    assert q[("5a", "lt60")] == 26.0 and q[("5a", "lt30")] == 56.0
    for method in ("milp", "greedy"):
        res = allocate(inp=inp, method=method)
        assert check_plan(inp, res.plan) == [], method
        assert set(res.plan["option"]) <= {"lt80", "lt60", "lt30", "zero"}
        ba = res.before_after.set_index("location_id").loc["A"]
        assert ba["total_before"] == 25 and ba["total_after"] < 20 and ba["level_after"] == "tidak_kumuh", method
    # the checker reads the copy's targets: a plan row with a 14/2018 target name is refused
    bad = res.plan.copy()
    bad.loc[bad.index[0], "option"] = "lt51"
    assert any(v.rule == "option" for v in check_plan(inp, bad))


def test_water_share_follows_the_aspect_membership(tmp_path, city_profile):
    # 40 of 100 households lack 3b (a water criterion under 14/2018, wastewater in the copy)
    locs = [location("A", **{"1a": 85, "1c": 85, "2b": 850, "4b": 850, "3b": 40})]
    data = write_case(tmp_path, locs, {("city", 2017): 1.0})
    for prof, water in ((str(city_profile), 100.0), ("permen-14-2018", 60.0)):
        inp = prepare(load_scenario({"profile": prof, "data": data, "years": {"start": 2017, "end": 2017},
                                     "options": {"targets": ["all"]}}))
        res = allocate(inp=inp, method="greedy")
        assert res.yearly["water_share_pct"].iloc[0] == pytest.approx(water)
        assert np.isfinite(res.yearly["sanitation_share_pct"].iloc[0])
