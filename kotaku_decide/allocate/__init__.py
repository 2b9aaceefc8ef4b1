"""Budget allocation: costing, funding rules and the multi-year, multi-source optimisation model.

Public API::

    from kotaku_decide.allocate import allocate, prepare, build_model, solve_model, check_plan
    res = allocate("data/scenarios/balikpapan.yaml")          # MILP (PuLP + HiGHS)
    res.plan, res.before_after, res.yearly, res.money, res.report
    g = allocate("data/scenarios/balikpapan.yaml", method="greedy")   # baseline rule

Step by step (create model -> solve -> assign -> post-process)::

    inp = prepare(scenario); model = build_model(inp)
    model.prob += ...                    # add a constraint, or model.set_budget("apbd_kota", 2018, 5e9)
    report = solve_model(model); plan = plan_from_model(model)

See ``docs/allocation.md`` for the formulation.
"""

import sys

from .api import allocate, result_from_plan
from .checker import Violation, check_plan
from .costing import CostError, build_options, choose_works, load_catalogue
from .diagnose import Shortfall, diagnose
from .funding import Funding, FundingError, load_funding
from .inputs import AllocationInput, prepare
from .model import AllocationModel, build_model
from .results import (
    AllocationResult,
    end_condition,
    evaluate_plan,
    money_table,
    plan_from_model,
    works_from_plan,
    yearly_indicators,
)
from .solve import SolveReport, SolverOptions, SolveStatus, solve_model


class _AllocateModule(type(sys.modules[__name__])):
    """This package is also the call ``kotaku_decide.allocate(scenario, ...)`` (the public API exports
    ``allocate`` next to ``score_file`` and ``run_scenario``; a function of that name cannot share the
    package's name otherwise). Calling the package is calling :func:`~.api.allocate`."""

    def __call__(self, *args, **kwargs):
        return allocate(*args, **kwargs)


sys.modules[__name__].__class__ = _AllocateModule

__all__ = ["allocate", "result_from_plan", "prepare", "AllocationInput", "build_model", "AllocationModel",
           "solve_model", "SolveReport", "SolveStatus", "SolverOptions", "plan_from_model", "end_condition",
           "yearly_indicators", "money_table", "evaluate_plan", "works_from_plan", "AllocationResult",
           "check_plan", "Violation", "diagnose", "Shortfall", "load_catalogue", "choose_works", "build_options",
           "CostError", "load_funding", "Funding", "FundingError"]
