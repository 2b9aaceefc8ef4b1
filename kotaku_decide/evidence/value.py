"""The value of optimisation in money: what the greedy rule would need to spend to match the plan.

"Greedy reaches 97.7 % of the optimiser's hectare-years" is hard to weigh in a hearing; a sum of
money is not. :func:`greedy_budget_to_match` scales every budget (all sources and years alike) by a
factor ``f`` and runs the greedy rule (best benefit per rupiah first,
:func:`kotaku_decide.allocate.greedy.greedy_plan`) until its plan, evaluated by re-scoring
(:func:`kotaku_decide.allocate.results.evaluate_plan`, the same evaluation as the optimised plan's),
is worth at least as much as the optimised plan under today's budgets. ``f`` is found by bisection
between 1 (greedy falls short) and the first of 1.5, 2, 3, ... :data:`MAX_FACTOR` at which it
matches, to within ``tol_rp`` of total budget.

The greedy rule's value need not grow with every extra rupiah (a larger budget can change its first
choices), so the factor found is *a* budget at which greedy matches, bracketed from below by one
at which it does not; every greedy run is listed in ``evaluations`` so the claim can be checked.
Money: Rp.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..allocate import AllocationInput
from ..allocate.greedy import greedy_plan
from ..allocate.results import evaluate_plan, works_from_plan
from .core import budget_matrix, with_budget

__all__ = ["ValueOfOptimisation", "greedy_budget_to_match", "OBJECTIVE_KEY", "MAX_FACTOR"]

#: the evaluated quantity compared, per objective kind
OBJECTIVE_KEY = {"hectares": "hectare_years", "households": "households"}
#: the largest budget factor tried before saying "greedy does not match it"
MAX_FACTOR = 8.0
_BRACKET = (1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


@dataclass
class ValueOfOptimisation:
    """What the greedy rule needs to match the optimised plan.

    Attributes
    ----------
    kind : objective kind (``hectares``: hectare-years; ``households``: household-years served)
    optimised : value of the optimised plan under today's budgets
    greedy : value of the greedy plan under today's budgets
    budget_rp : today's total budget [Rp]
    optimiser_spent_rp : money the optimised plan spends [Rp]
    factor : budget factor at which the greedy plan matches (None: not within ``max_factor``)
    budget_needed_rp : ``factor`` x ``budget_rp`` [Rp]
    extra_rp : ``budget_needed_rp - budget_rp``: the value of optimisation in money [Rp]
    greedy_spent_rp : money the greedy plan spends at ``factor`` [Rp]
    lower_factor : the largest factor tried at which greedy still falls short
    evaluations : every greedy run (``factor, budget_rp, value, spent_rp, matches``)
    """

    kind: str
    optimised: float
    greedy: float
    budget_rp: float
    optimiser_spent_rp: float
    factor: float | None
    budget_needed_rp: float | None
    extra_rp: float | None
    greedy_spent_rp: float | None
    lower_factor: float
    evaluations: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def share(self) -> float | None:
        """Greedy's value as a share of the optimised plan's at today's budgets."""
        return self.greedy / self.optimised if self.optimised else None

    def to_dict(self) -> dict:
        return {k: (None if v is None else float(v) if isinstance(v, (int, float, np.floating)) else v)
                for k, v in self.__dict__.items() if k != "evaluations"} | {"share": self.share}


def _greedy_value(inp: AllocationInput, factor: float, key: str) -> tuple[float, float]:
    v = inp if factor == 1.0 else with_budget(inp, budget_matrix(inp) * factor)
    plan, _ = greedy_plan(v)
    works = works_from_plan(plan) if len(plan) else pd.DataFrame(columns=["location_id", "criterion", "option", "year",
                                                                          "quantity", "work_id", "cost_rp"])
    ev = evaluate_plan(v, works)
    return float(ev[key]), float(ev["cost_rp"])


def greedy_budget_to_match(inp: AllocationInput, optimised_plan: pd.DataFrame, *, tol_rp: float = 1e7,
                           max_factor: float = MAX_FACTOR, max_iter: int = 60) -> ValueOfOptimisation | None:
    """The budget the greedy rule needs to be worth as much as ``optimised_plan``.

    Parameters
    ----------
    inp : the prepared allocation input (today's budgets)
    optimised_plan : the optimiser's plan table under today's budgets (``AllocationResult.plan``)
    tol_rp : stop when the bracket is narrower than this, in total budget [Rp]
    max_factor : give up above this factor (``factor`` is then None)
    max_iter : most bisection steps

    Returns
    -------
    :class:`ValueOfOptimisation`, or None for the ``least_cost`` objective (which asks another question:
    compare the greedy and optimised costs to the target instead).
    """
    kind = inp.scenario["objective.kind"]
    if kind not in OBJECTIVE_KEY:
        return None
    key = OBJECTIVE_KEY[kind]
    works = works_from_plan(optimised_plan) if len(optimised_plan) else pd.DataFrame(
        columns=["location_id", "criterion", "option", "year", "quantity", "work_id", "cost_rp"])
    ev = evaluate_plan(inp, works)
    target = float(ev[key])
    total = float(budget_matrix(inp).sum())
    rows = []

    def run(f):
        val, spent = _greedy_value(inp, f, key)
        ok = val >= target * (1 - 1e-9) - 1e-9
        rows.append({"factor": f, "budget_rp": f * total, "value": val, "spent_rp": spent, "matches": ok})
        return ok

    greedy_now = None
    lo, hi = 1.0, None
    if run(1.0):
        hi = 1.0
    greedy_now = rows[0]["value"]
    if hi is None:
        for f in _BRACKET:
            if f > max_factor:
                break
            if run(f):
                hi = f
                break
            lo = f
    if hi is not None and hi > 1.0:
        for _ in range(max_iter):
            if (hi - lo) * total <= tol_rp:
                break
            mid = (lo + hi) / 2
            if run(mid):
                hi = mid
            else:
                lo = mid
    evals = pd.DataFrame(rows)
    spent_hi = None if hi is None else float(evals.loc[evals["factor"] == hi, "spent_rp"].iloc[-1])
    return ValueOfOptimisation(kind=kind, optimised=target, greedy=greedy_now, budget_rp=total,
                               optimiser_spent_rp=float(ev["cost_rp"]), factor=hi,
                               budget_needed_rp=None if hi is None else hi * total,
                               extra_rp=None if hi is None else (hi - 1.0) * total, greedy_spent_rp=spent_hi,
                               lower_factor=lo if hi != 1.0 else 1.0, evaluations=evals)
