"""End condition, infeasibility, time limits, determinism, checker, scenario and costing refusal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from alloc_cases import location, write_case

from kotaku_decide.allocate import CostError, allocate, build_model, check_plan, prepare, solve_model
from kotaku_decide.allocate.solve import SolverOptions, SolveStatus
from kotaku_decide.data.scenario import ScenarioError, load_scenario

BASE = {"1a": 80, "1c": 80, "6a": 30}


def test_end_condition_matches_hand_computation(case):
    # 1a 80 % (5), 2b 80 % (5), 5a 80 % (5), 6a 30 % (1): total 16, ringan
    loc = location("A", area=4, **{"1a": 80, "2b": 800, "5a": 80, "6a": 30})
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


def test_infeasible_target_reports_money_shortfall(case):
    locs = [location("A", area=5, **BASE, **{"2b": 800})]  # clearing needs 41 m x Rp 1 M = Rp 41 M
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
    locs = [location("A", area=5, **BASE, **{"2b": 800}),
            location("B", area=7, kel="K2", legal=False, **BASE, **{"2b": 800})]
    inp = case(locs, {("city", 2017): 500e6, ("city", 2018): 0}, frules={"city": {"eligible": "2b"}},
               options={"legalisation": False, "resettlement": False},
               objective={"kind": "least_cost", "target_hectares": "all", "target_year": 2017})
    res = allocate(inp=inp)
    assert res.report.status == SolveStatus.INFEASIBLE
    text = str(res.shortfall)
    assert "7.00 ha" in text  # B's hectares stay slum whatever the money
    assert "B: land not legal" in text
    assert "No amount of money" in text


def test_time_limited_solve_is_not_called_optimal():
    inp = prepare({"objective": {"tie_break": False}})
    model = build_model(inp)
    rep = solve_model(model, SolverOptions(time_limit_s=0.05, guard_s=30, tie_break_time_s=0, method="monolithic"))
    assert rep.status != SolveStatus.OPTIMAL and not rep.proven_optimal
    assert rep.status in (SolveStatus.FEASIBLE_NOT_PROVEN, SolveStatus.TIME_LIMIT_NO_SOLUTION)
    if rep.status == SolveStatus.TIME_LIMIT_NO_SOLUTION:
        assert rep.objective is None
    else:
        assert rep.gap is not None and rep.gap > 1e-4


def test_wall_clock_guard_fires_and_reports():
    inp = prepare({"objective": {"tie_break": False}})
    model = build_model(inp)
    # the whole MIP (not the decomposition, which proves this city in well under a second)
    rep = solve_model(model, SolverOptions(time_limit_s=60, guard_s=0.3, tie_break_time_s=0, method="monolithic"))
    assert rep.guard_fired and not rep.proven_optimal
    assert rep.status in (SolveStatus.FEASIBLE_NOT_PROVEN, SolveStatus.TIME_LIMIT_NO_SOLUTION)
    assert rep.solve_time_s < 15
    assert "guard" in rep.message


def test_same_input_same_plan():
    inp = prepare(None)
    a = allocate(inp=inp)
    b = allocate(inp=prepare(None))
    pd.testing.assert_frame_equal(a.plan, b.plan)
    assert a.report.objective == b.report.objective


@pytest.mark.slow
@pytest.mark.parametrize("over", [
    {},
    {"funding": {"swadaya_share": 0.1}},
    {"rules": {"equity_min_share": 0.6}},
    {"rules": {"max_starts_per_year": 6, "max_starts_per_kelurahan": 1}},
    {"objective": {"kind": "households"}},
    {"objective": {"kind": "least_cost", "target_hectares": 200, "target_year": 2018}},
])
def test_milp_and_greedy_respect_every_rule(over):
    over = {**over, "solver": {"time_limit_s": 8, "tie_break_time_s": 0.5}}
    inp = prepare(over)
    m = allocate(inp=inp)
    g = allocate(inp=inp, method="greedy")
    assert m.report.status.has_solution
    assert check_plan(inp, m.plan) == []
    assert check_plan(inp, g.plan) == []
    # money table agrees with the budgets
    assert (m.money["left_rp"] >= -1.0).all() and (g.money["left_rp"] >= -1.0).all()
    kind = inp.scenario["objective.kind"]
    key = {"hectares": "hectare_years", "households": "households", "least_cost": "cost_m"}[kind]
    if m.report.proven_optimal:  # the optimiser is at least as good as the greedy rule
        if kind == "least_cost":
            assert m.evaluation[key] <= g.evaluation[key] + 1e-6 or g.checks
        else:
            assert m.evaluation[key] >= g.evaluation[key] - 1e-6


def test_checker_catches_broken_rules():
    inp = prepare(None)
    res = allocate(inp=inp, method="greedy")
    assert check_plan(inp, res.plan) == []
    p = res.plan.copy()
    p.loc[p.index[0], "cost_rp"] *= 100  # overspend + not paid exactly
    rules = {v.rule for v in check_plan(inp, p)}
    assert "paid_in_full" in rules and "budget" in rules
    p = res.plan.copy()
    road = p["criterion"].isin(["2a", "2b"])
    drains = p["criterion"].isin(["4a", "4b", "4c"]) & p["location_id"].isin(p.loc[road, "location_id"])
    if drains.any():
        assert "precedence" in {v.rule for v in check_plan(inp, p[~drains])}
    p = res.plan.copy()
    p.loc[:, "source"] = "dak"  # DAK may only pay for water and wastewater
    assert "eligibility" in {v.rule for v in check_plan(inp, p)}


def test_scenario_refuses_unknown_and_mistyped_keys(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("solver:\n  time_limt_s: 5\nobjective:\n  kind: hectare\nyears:\n  start: '2017'\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    msg = str(e.value)
    assert "solver.time_limt_s: unknown key; did you mean solver.'time_limit_s'?" in msg
    assert "objective.kind: 'hectare' is not one of" in msg and "did you mean 'hectares'" in msg
    f.write_text("objective:\n  kind: hectare\n")
    with pytest.raises(ScenarioError):
        load_scenario(f)
    f.write_text("years:\n  start: '2017'\n")
    with pytest.raises(ScenarioError, match="years.start: expected integer"):
        load_scenario(f)


def test_scenario_paths_relative_to_file(tmp_path):
    d = write_case(tmp_path, [location("A", **BASE, **{"2b": 800})], {("city", 2017): 1e8})
    sub = tmp_path / "scen"
    sub.mkdir()
    (sub / "s.yaml").write_text("data:\n  baseline: ../baseline.csv\n  costs: ../costs.csv\n"
                                "  budget: ../budget.csv\n  funding_rules: ../rules.csv\n")
    sc = load_scenario(sub / "s.yaml")
    assert sc["data.baseline"] == d["baseline"]
    assert sc["rules.precedence"][0]["after"] == ["2a", "2b"]  # defaults kept


def test_missing_cost_is_refused_with_the_work_named(tmp_path):
    d = write_case(tmp_path, [location("A", **BASE, **{"2b": 800})], {("city", 2017): 1e8})
    cat = pd.read_csv(d["costs"])
    cat.loc[cat["criterion"] == "1a", "unit_cost_rp"] = np.nan
    cat.to_csv(d["costs"], index=False)
    with pytest.raises(CostError, match="work W1a .* has no unit cost and is needed at 1 location"):
        prepare({"data": d})
    # the generic catalogue leaves unknown costs empty: using it on the embedded data is refused
    from kotaku_decide.allocate.costing import GENERIC_CATALOGUE
    with pytest.raises(CostError, match="W1a-layout"):
        prepare({"data": {"costs": str(GENERIC_CATALOGUE)}})


def test_precedence_with_unknown_criteria_and_non_slum_lock_refused_before_solving(case):
    from kotaku_decide.data.scenario import ScenarioError

    locs = [location("A", area=5, **BASE, **{"2b": 800}), location("N", area=3, kel="K2", **{"6a": 30})]
    with pytest.raises(ScenarioError) as e:
        case(locs, {("city", 2017): 30e6}, rules={"precedence": [{"before": ["4x"], "after": ["2b"]}],
                                                  "locked_in": ["N"]})
    msg = str(e.value)
    assert "rules.precedence[0].before: unknown criterion code(s) ['4x']" in msg and "4a" in msg
    assert "rules.locked_in" in msg and "N (score " in msg and "is not a slum location" in msg
