"""The tie-break stage spends leftover money without touching the main objective, and is deterministic:
the same scenario gives the same plan whatever the time budget or the machine's load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alloc_cases import location

from kotaku_decide.allocate import allocate, build_model, check_plan, plan_from_model, prepare, solve_model
from kotaku_decide.allocate.solve import SolverOptions

ROOT = Path(__file__).resolve().parents[2]
UC = {"2b": 100_000, "4b": 100_000, "5a": 1_000_000}


def _works(model):
    return sorted((int(o), int(y)) for o, y in np.argwhere(model.values[model.xcol] > 0.5))


def test_tie_break_spends_leftover_money_and_keeps_the_main_optimum(case):
    # money left after the clearings buys further score reductions only through the tie-break
    locs = [location("L0", area=5, **{"1a": 80, "1c": 80, "2b": 800, "4b": 850, "5a": 80}),
            location("L1", area=7, kel="K2", **{"1a": 80, "1c": 60, "2b": 900, "4b": 0, "5a": 95})]
    budgets = {("city", 2017): 250e6, ("city", 2018): 250e6}
    on = case(locs, budgets, frules={"city": {"eligible": "2b;4b;5a"}}, unit_cost=UC,
              options={"targets": ["lt51", "lt25"]}, objective={"tie_break": True})
    m_on = build_model(on)
    r_on = solve_model(m_on, SolverOptions(time_limit_s=30, subprocess=False, tie_break_time_s=1))
    m_st1 = build_model(on)
    r_st1 = solve_model(m_st1, SolverOptions(time_limit_s=30, subprocess=False, tie_break_time_s=0))
    assert r_on.extra["tie_break_applied"] is True and r_on.extra["tie_break_status"] == "greedy top-up"
    assert r_on.proven_optimal and r_st1.proven_optimal
    assert r_on.objective == pytest.approx(r_st1.objective, abs=1e-6)
    # the tie-break value of the applied plan is above that of the main-objective plan, with more money spent
    assert m_on.tie_cost @ m_on.values > m_st1.tie_cost @ m_st1.values + 1e-9
    plan = plan_from_model(m_on)
    assert plan["cost_rp"].sum() > plan_from_model(m_st1)["cost_rp"].sum()
    assert check_plan(on, plan) == []
    assert set(_works(m_st1)) <= set(_works(m_on))  # it only adds works


@pytest.mark.slow
def test_same_scenario_same_plan_whatever_the_time_budget():
    # nothing in the solve stops on a clock: a short and a long time budget give the same plan
    sc = ROOT / "data/scenarios/balikpapan.yaml"
    cols = ["location_id", "criterion", "option", "year", "source", "cost_rp"]
    plans = []
    for limit in (20, 120):
        a = allocate(inp=prepare(sc), solver=SolverOptions(time_limit_s=limit, subprocess=False, tie_break_time_s=1.0))
        assert a.report.proven_optimal and a.report.extra["tie_break_applied"] is True and a.checks == []
        plans.append(a.plan[cols].reset_index(drop=True))
    pd.testing.assert_frame_equal(plans[0], plans[1])


def test_tie_break_time_zero_skips_the_stage(case):
    locs = [location("L0", area=5, **{"1a": 80, "1c": 80, "2b": 800, "4b": 850, "5a": 80})]
    inp = case(locs, {("city", 2017): 250e6, ("city", 2018): 250e6}, unit_cost=UC,
               options={"targets": ["lt51", "lt25"]}, objective={"tie_break": True})
    rep = solve_model(build_model(inp), SolverOptions(time_limit_s=30, subprocess=False, tie_break_time_s=0))
    assert rep.proven_optimal and rep.extra["tie_break_applied"] is False
    assert rep.extra["tie_break_status"] == "not run (tie_break_time_s is 0)"
