"""A known plan as the decomposition's first incumbent (allocate/decompose.py: plan_from_works, start).

The greedy plan's works, completed by ``plan_from_works``, must keep every row of the model and be
worth what the greedy rule's own re-scoring says (an independent evaluation: official scoring of the
plan table); works that break a rule are refused; and a solve started from a plan ends at the same
proven optimum as one without.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from kotaku_decide.allocate import prepare
from kotaku_decide.allocate.decompose import plan_from_works, solve_decomposed
from kotaku_decide.allocate.greedy import greedy_plan
from kotaku_decide.allocate.model import build_model
from kotaku_decide.allocate.solve import start_from_works
from kotaku_decide.allocate.status import SolverOptions
from kotaku_decide.data.embedded import DEFAULT_SCENARIO_FILE
from kotaku_decide.data.scenario import load_scenario

OPTS = SolverOptions(time_limit_s=60)


@pytest.fixture(scope="module")
def tight():
    inp = prepare(load_scenario(DEFAULT_SCENARIO_FILE, funding={"budget_factor": 0.5}))
    return inp, build_model(inp)


def _start_of(model, plan):
    return start_from_works(model, zip(plan["option_row"], plan["year"]))


def test_greedy_works_complete_to_a_whole_solution_worth_the_greedy_rescoring(tight):
    inp, model = tight
    plan, rep = greedy_plan(inp)
    vals = plan_from_works(model, _start_of(model, plan))
    assert vals is not None
    act = model.A @ vals
    assert np.all(act >= model.row_lo - 1e-6 * (1 + abs(act))) and np.all(act <= model.row_up + 1e-6 * (1 + abs(act)))
    assert float(model.col_cost @ vals) == pytest.approx(rep.objective, abs=1e-6)


def test_works_that_break_a_rule_are_refused(tight):
    inp, model = tight
    plan, _ = greedy_plan(inp)
    st = _start_of(model, plan)
    o = int(plan["option_row"].iloc[0])
    for y in range(model.xcol.shape[1]):  # one work done in every year: one target per criterion broken
        st[int(model.xcol[o, y])] = 1.0
    assert plan_from_works(model, st) is None


def test_a_started_solve_ends_at_the_same_proven_optimum(tight):
    inp, _ = tight
    plan, rep = greedy_plan(inp)
    free = solve_decomposed(build_model(inp), OPTS, time.perf_counter() + 60)
    m2 = build_model(inp)
    started = solve_decomposed(m2, OPTS, time.perf_counter() + 60, start=_start_of(m2, plan))
    assert started.get("start_used") is True
    assert free["termination"] == started["termination"] == "optimal"
    assert started["objective"] == pytest.approx(free["objective"], abs=1e-6)
    assert started["objective"] >= rep.objective - 1e-6
