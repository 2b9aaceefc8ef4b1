"""The allocation as one call (what the notebooks and the command line use)."""

from __future__ import annotations

import pandas as pd

from .checker import check_plan
from .diagnose import diagnose
from .inputs import AllocationInput, prepare
from .model import build_model
from .results import (
    AllocationResult,
    end_condition,
    evaluate_plan,
    money_table,
    plan_from_model,
    works_from_plan,
    yearly_indicators,
)
from .solve import SolverOptions, solve_model

__all__ = ["allocate", "result_from_plan"]


def result_from_plan(inp: AllocationInput, plan: pd.DataFrame, report, method: str, shortfall=None) -> AllocationResult:
    """Post-process any plan table into an :class:`~.results.AllocationResult` (checked)."""
    works = works_from_plan(plan) if len(plan) else pd.DataFrame(
        columns=["location_id", "criterion", "option", "year", "quantity", "work_id", "cost_rp"])
    res = AllocationResult(plan=plan.drop(columns=["option_row"], errors="ignore"),
                           before_after=end_condition(inp, works), yearly=yearly_indicators(inp, works),
                           money=money_table(inp, plan), report=report, scenario=inp.scenario, method=method,
                           shortfall=shortfall, evaluation=evaluate_plan(inp, works))
    # a run without a plan (infeasible, no solution in time) has nothing to check: its shortfall says why
    has_plan = getattr(getattr(report, "status", None), "has_solution", True)
    res.checks = check_plan(inp, plan) if has_plan else []
    return res


def allocate(scenario=None, *, method: str = "milp", inp: AllocationInput | None = None,
             solver: SolverOptions | None = None, diagnose_infeasible: bool = True) -> AllocationResult:
    """Allocate the budget for a scenario.

    Parameters
    ----------
    scenario : path to a scenario YAML, dict of overrides, Scenario, or None (embedded Balikpapan)
    method : ``"milp"`` (the optimisation model) or ``"greedy"`` (best benefit per rupiah first)
    inp : an already prepared :class:`~.data.AllocationInput` (skips loading)
    solver : solver options (default: the scenario's ``solver`` section)
    diagnose_infeasible : when the model is infeasible, solve relaxed models to name the shortfall

    Returns
    -------
    :class:`~.results.AllocationResult` with the plan, before / after, yearly indicators, money,
    the solve report and (if infeasible) the shortfall. ``result.checks`` lists any rule the
    independent checker finds broken (empty for a valid plan).
    """
    inp = inp or prepare(scenario)
    if method == "greedy":
        from .greedy import greedy_plan

        plan, report = greedy_plan(inp)
        return result_from_plan(inp, plan, report, "greedy")
    if method != "milp":
        raise ValueError(f"method must be 'milp' or 'greedy', got {method!r}")
    model = build_model(inp)
    report = solve_model(model, solver)
    shortfall = None
    if report.status.has_solution:
        plan = plan_from_model(model)
    else:
        plan = pd.DataFrame(columns=["option_row", "location_id", "criterion", "option", "work_id", "quantity",
                                     "unit", "year", "source", "cost_rp", "unit_cost_rp"])
        if report.status.value == "infeasible" and diagnose_infeasible:
            shortfall = diagnose(inp, solver)
            report.message = (report.message + " " if report.message else "") + str(shortfall)
    res = result_from_plan(inp, plan, report, "milp", shortfall)
    if report.status.has_solution and len(plan) == 0 and inp.funding.budget_rp.sum() > 0 and len(inp.options):
        report.message += (" The plan spends nothing although money and options exist: question the rules "
                           "(targets, equity, eligibility) before using it.")
    return res
