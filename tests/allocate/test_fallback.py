"""When the clearing-year decomposition stops without a proof (allocate/solve.py's fall-back).

The loop stops after a fixed number of refuted sets of clearings (a work limit). Then the best plan within
the master's last answer (``decompose.best_within``, a restriction of the whole problem; its optimum is
checked against a brute force in test_alloc_bruteforce_money.py) is the start of the whole MIP, which keeps
the master's cuts. Checked here on a SYNTHETIC city of 20 locations whose loop, with a refutation limit of
one, stops unproven: the restricted plan comes first, the whole MIP proves the same optimum as the loop run
to its end, and the plan keeps every rule (the independent checker) and is worth what the official
re-scoring says.
"""

from __future__ import annotations

import pytest

from kotaku_decide.allocate import allocate, check_plan, prepare
from kotaku_decide.allocate import decompose as D
from kotaku_decide.allocate.status import SolverOptions
from kotaku_decide.allocate.synthetic import make_instance
from kotaku_decide.data.scenario import load_scenario

OPTS = SolverOptions(time_limit_s=60, subprocess=False, tie_break_time_s=0)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    sc = make_instance(20, tmp_path_factory.mktemp("city"), seed=5, budget_per_location_rp=0.05e9)
    return prepare(load_scenario(sc))


def test_a_stopped_loop_starts_the_whole_mip_from_the_restricted_plan(city, monkeypatch):
    full = allocate(inp=city, solver=OPTS).report
    assert full.proven_optimal and full.method == "decomposed"
    monkeypatch.setattr(D, "MAX_NO_GOOD", 1)
    monkeypatch.setattr(D, "MAX_REFUTED", 1)
    res = allocate(inp=city, solver=OPTS)
    rep = res.report
    assert rep.extra["decomposition_termination"] == "no_good_limit"
    assert rep.method == "decomposed+monolithic"
    assert rep.extra["decomposition_within_status"] == "kOptimal"
    within = rep.extra["decomposition_within_objective"]
    assert 0 < within <= rep.objective + 1e-9
    assert rep.proven_optimal
    assert rep.objective == pytest.approx(full.objective, abs=1e-6)
    assert check_plan(city, res.plan) == []
    assert res.evaluation["hectare_years"] == pytest.approx(rep.objective, abs=1e-6)
