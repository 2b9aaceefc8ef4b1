"""Evidence for the hearing: why each location is or is not funded, budget sweeps, least cost to
targets and robust funding - all found by re-solving the allocation (see ``docs/evidence.md``).

Public API::

    from kotaku_decide.evidence import explain, budget_sweep, least_cost_targets, no_slum_goal, robust_funding
    ex = explain("data/scenarios/balikpapan.yaml")      # ex.table, ex.sentences, ex.marginal, ex.cuts
    sw = budget_sweep(inp, factors=np.linspace(0.05, 1.5, 20))
    lc = least_cost_targets(inp)                        # 25/50/75/100 % by each year
    rb = robust_funding(inp, draws=200, seed=2016)      # probability of being cleared per location
"""

from .core import FAMILIES, Outcome, default_solver, solve_variant, with_budget, with_costs
from .robust import draw_factors, robust_funding
from .sweep import budget_sweep, knees
from .targets import least_cost_targets, no_slum_goal, reachability, unlimited_budget
from .why import (
                  Explanation,
                  base_outcome,
                  binding_constraint,
                  budget_cuts,
                  enter_budget,
                  enters,
                  explain,
                  marginal_values,
                  sentences,
)

__all__ = ["FAMILIES", "Outcome", "default_solver", "solve_variant", "with_budget", "with_costs", "Explanation",
           "base_outcome", "binding_constraint", "budget_cuts", "enter_budget", "enters", "explain",
           "marginal_values", "sentences", "robust_funding", "draw_factors", "budget_sweep", "knees",
           "least_cost_targets", "no_slum_goal", "reachability", "unlimited_budget"]
