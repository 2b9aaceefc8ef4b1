"""What a solve reports: the options it ran with, its normalised status and its record.

Kept apart from :mod:`.solve` so that the greedy rule and the decomposition report in the same
terms without importing the solver.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field

import pulp

__all__ = ["SolveStatus", "SolveReport", "SolverOptions"]


class SolveStatus(str, enum.Enum):
    """Normalised outcome of a solve (what the plan is worth)."""

    OPTIMAL = "optimal"  #: proven optimal within the relative gap tolerance
    FEASIBLE_NOT_PROVEN = "feasible_not_proven"  #: a plan exists, optimality not proven (time limit, guard)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE_NOT_PROVEN)


@dataclass
class SolverOptions:
    """Solver settings (from the scenario's ``solver`` section).

    ``method``: ``auto`` (decomposed for the hectares objective, monolithic otherwise),
    ``decomposed`` or ``monolithic``. ``tie_break_time_s``: 0 skips the tie-break stage (any
    other value runs it; it is a greedy top-up that takes well under a second).
    ``fallback_min_s``: when the decomposition ends without a plan of its own, the whole MIP runs for the
    time left but at least this long [s] (the national run's quick steps, started from a plan they keep
    anyway, give it less; not a scenario setting).
    """

    time_limit_s: float = 60.0
    guard_s: float | None = None
    mip_rel_gap: float = 1e-4
    threads: int = 1
    seed: int = 20160
    subprocess: bool = True
    msg: bool = False
    tie_break_time_s: float = 1.0
    method: str = "auto"
    fallback_min_s: float = 1.0

    @classmethod
    def from_scenario(cls, sc) -> "SolverOptions":
        return cls(**{k: sc[f"solver.{k}"] for k in cls.__dataclass_fields__ if k not in ("method", "fallback_min_s")})

    @property
    def guard(self) -> float:
        return self.guard_s if self.guard_s is not None else 1.5 * self.time_limit_s + 10.0


@dataclass
class SolveReport:
    """Record of one solve (linopy-style: status and termination apart).

    ``objective`` and ``best_bound`` are in the model's units (hectare-years, households, or
    million Rp for least cost); ``gap`` is relative. ``proven_optimal`` is true only for status
    ``optimal``. ``termination`` says why the solver stopped (``optimal``, ``infeasible``,
    ``time_limit``, ``guard``, ``iteration_limit``, ``error``, ...). ``method`` is ``decomposed``,
    ``monolithic`` or ``decomposed+monolithic`` (fall-back).
    """

    status: SolveStatus
    proven_optimal: bool
    objective: float | None
    best_bound: float | None
    gap: float | None
    solve_time_s: float
    build_time_s: float = 0.0
    solver: str = "HiGHS"
    solver_version: str = ""
    pulp_version: str = pulp.__version__
    highs_model_status: str = ""
    primal_solution_status: int | None = None
    time_limit_s: float | None = None
    guard_s: float | None = None
    guard_fired: bool = False
    objective_kind: str = ""
    message: str = ""
    data_status: str = ""
    n_variables: int | None = None
    n_constraints: int | None = None
    peak_rss_mb: float | None = None
    termination: str = ""
    method: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        extra = d.pop("extra")
        d.update({f"extra_{k}": v for k, v in extra.items()})
        return d
