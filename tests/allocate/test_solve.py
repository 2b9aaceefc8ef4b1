"""Solving (kotaku_decide.allocate.solve): time limits and the wall-clock guard are never called optimal;
the same input gives the same plan."""

from __future__ import annotations

import pandas as pd

from kotaku_decide.allocate import allocate, build_model, prepare, solve_model
from kotaku_decide.allocate.solve import SolverOptions, SolveStatus


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
