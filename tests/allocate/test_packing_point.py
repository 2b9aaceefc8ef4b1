"""A budget level where the packing of works into years binds (docs/allocation.md, Known limits).

At 0.825 of the embedded city's budgets the decomposition's master proposes sets of clearings that pass
the LP check but have no integer plan (a kelurahan's works must each fall in one year under the yearly
pools and the APBN cap per kelurahan and year). The loop then refutes them with the whole completion MIP
(without the money knapsack rows, ``Decomposition.whole``) and goes straight to it once the package
restriction shows the packing. Whatever the search order, the answer must be the optimum: checked against
HiGHS's whole MIP run to a proven 1e-6 gap (a second solver path: no master, no cuts, no completion), and
against the independent checker and the official re-scoring. About 25 s, hence slow.
"""

from __future__ import annotations

import pytest

from kotaku_decide.allocate import allocate, check_plan, prepare
from kotaku_decide.allocate.status import SolverOptions
from kotaku_decide.data.embedded import DEFAULT_SCENARIO_FILE
from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.evidence.core import budget_matrix, with_budget

pytestmark = pytest.mark.slow


def test_packing_point_is_proven_at_the_whole_mips_optimum():
    inp = prepare(load_scenario(DEFAULT_SCENARIO_FILE))
    inp = with_budget(inp, budget_matrix(inp) * 0.825)
    res = allocate(inp=inp, solver=SolverOptions(time_limit_s=120, subprocess=False, tie_break_time_s=0))
    rep = res.report
    assert rep.method == "decomposed" and rep.proven_optimal
    assert rep.extra["decomposition_no_good"] >= 1  # the refutations this test is about did happen
    assert rep.extra["decomposition_packing"] is True  # ... on the path that goes straight to the whole MIP
    assert rep.extra["decomposition_termination"] == "optimal"
    assert check_plan(inp, res.plan) == []
    assert res.evaluation["hectare_years"] == pytest.approx(rep.objective, abs=1e-6)
    whole = allocate(inp=inp, solver=SolverOptions(time_limit_s=300, subprocess=False, tie_break_time_s=0,
                                                   method="monolithic", mip_rel_gap=1e-6)).report
    assert whole.proven_optimal, whole.status
    assert rep.objective == pytest.approx(whole.objective, rel=1e-4)
