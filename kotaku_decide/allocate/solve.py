"""Solving a built model with HiGHS (through ``pulp.HiGHS``) under a wall-clock guard.

The solve runs in a forked child process (default): HiGHS gets its own ``time_limit`` and the
parent stops the child when the guard fires (HiGHS has been seen to overrun its time limit badly
in root-node heuristics). Every improving MIP solution is written by a HiGHS callback to a
temporary file, so that when the guard fires the report says what the solver had then.

Statuses are normalised into :class:`SolveStatus`. Nothing is called optimal unless HiGHS proved
it within the gap tolerance; an objective is never read without a solution.
"""

from __future__ import annotations

import enum
import multiprocessing as mp
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pulp

from .model import AllocationModel

__all__ = ["SolveStatus", "SolveReport", "solve_model", "SolverOptions"]


class SolveStatus(str, enum.Enum):
    """Normalised outcome of a solve."""

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
    """Solver settings (from the scenario's ``solver`` section)."""

    time_limit_s: float = 60.0
    guard_s: float | None = None
    mip_rel_gap: float = 1e-4
    threads: int = 1
    seed: int = 20160
    subprocess: bool = True
    msg: bool = False
    tie_break_time_s: float = 1.0

    @classmethod
    def from_scenario(cls, sc) -> "SolverOptions":
        return cls(**{k: sc[f"solver.{k}"] for k in cls.__dataclass_fields__})

    @property
    def guard(self) -> float:
        return self.guard_s if self.guard_s is not None else 1.5 * self.time_limit_s + 10.0


@dataclass
class SolveReport:
    """Record of one solve (linopy-style).

    ``objective`` and ``best_bound`` are in the model's units (hectare-years, households, or
    million Rp for least cost); ``gap`` is relative. ``proven_optimal`` is true only for status
    ``optimal``.
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
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["status"] = self.status.value
        extra = d.pop("extra")
        d.update({f"extra_{k}": v for k, v in extra.items()})
        return d


class _BulkHiGHS(pulp.HiGHS):
    """``pulp.HiGHS`` with a vectorised model transfer (addVars / addRows with arrays)."""

    def buildSolverModel(self, lp):
        import highspy

        h = lp.solverModel
        inf = highspy.kHighsInf
        obj_mult = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        variables = lp.variables()
        n = len(variables)
        lb = np.empty(n)
        ub = np.empty(n)
        cost = np.zeros(n)
        ints = []
        obj = lp.objective
        for i, v in enumerate(variables):
            v.index = i
            lb[i] = -inf if v.lowBound is None else v.lowBound
            ub[i] = inf if v.upBound is None else v.upBound
            if v.cat == pulp.LpInteger and self.mip:
                ints.append(i)
        for v, c in obj.items():
            cost[v.index] += obj_mult * c
        h.addVars(n, lb, ub)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        if ints:
            idx = np.array(ints, dtype=np.int32)
            h.changeColsIntegrality(len(idx), idx, np.full(len(idx), highspy.HighsVarType.kInteger))
        cons = list(lp._constraints.values())
        nr = len(cons)
        lo = np.empty(nr)
        up = np.empty(nr)
        starts = np.zeros(nr, dtype=np.int32)
        indices, values = [], []
        nnz = 0
        for r, c in enumerate(cons):
            c.index = r
            starts[r] = nnz
            for v, a in c.items():
                if a != 0:
                    indices.append(v.index)
                    values.append(a)
                    nnz += 1
            b = c.getLb()
            lo[r] = -inf if b is None else b
            b = c.getUb()
            up[r] = inf if b is None else b
        if nr:
            h.addRows(nr, lo, up, nnz, starts, np.array(indices, dtype=np.int32), np.array(values, dtype=float))


def _status_name(st) -> str:
    return str(st).split(".")[-1]


def _run_highs(prob: pulp.LpProblem, opts: SolverOptions, workdir: str | None, tie=None, start=None) -> dict:
    """Build the HiGHS model from the PuLP problem, solve, and return raw results (in this process).

    With ``tie`` (an expression to maximise second), a lexicographic second stage keeps the main
    objective at its stage-1 value and maximises the tie-break, warm-started from stage 1.
    With ``start`` (dict variable -> value, possibly partial), HiGHS gets it as a MIP start.
    """
    import highspy

    t_start = time.perf_counter()
    solver = _BulkHiGHS(msg=opts.msg, timeLimit=opts.time_limit_s, gapRel=opts.mip_rel_gap, threads=opts.threads,
                        random_seed=int(opts.seed))
    solver.createAndConfigureSolver(prob)
    h = prob.solverModel
    h.setOptionValue("output_flag", bool(opts.msg))
    solver.buildSolverModel(prob)
    sense = -1.0 if prob.sense == pulp.LpMaximize else 1.0
    stage = {"n": 1}
    inc = os.path.join(workdir, "incumbent.npz") if workdir else None
    if inc:
        def _cb(callback_type, message, data_out, data_in, user_data):
            if callback_type == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution:
                try:
                    sol = np.asarray(data_out.mip_solution, dtype=float)
                    tmp = inc + ".tmp.npz"
                    np.savez(tmp, sol=sol, obj=sense * float(data_out.objective_function_value),
                             bound=sense * float(data_out.mip_dual_bound), gap=float(data_out.mip_gap),
                             stage=stage["n"], t=time.time())
                    os.replace(tmp, inc)
                except Exception:  # never let the callback break the solve
                    pass

        h.setCallback(_cb, None)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
    if start:
        _set_start(h, prob, start)
    t0 = time.perf_counter()
    h.run()
    elapsed = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    sol = h.getSolution()
    variables = prob.variables()
    has_int = any(v.cat == pulp.LpInteger for v in variables)
    out = {
        "model_status": _status_name(ms),
        "primal_solution_status": int(info.primal_solution_status),
        "objective": sense * float(info.objective_function_value),
        "bound": sense * float(info.mip_dual_bound) if has_int else None,
        "gap": float(info.mip_gap) if has_int else 0.0,
        "values": np.asarray(sol.col_value, dtype=float) if sol.value_valid else None,
        "time": elapsed,
        "version": h.version() if hasattr(h, "version") else highspy.__version__,
        "has_int": has_int,
        "tie_status": None,
    }
    if workdir and out["values"] is not None:
        tmp = os.path.join(workdir, "stage1.tmp.npz")  # written whole, then renamed: the guard may kill us
        np.savez(tmp, **{k: (v if v is not None else np.nan) for k, v in out.items() if k not in ("version",)})
        os.replace(tmp, os.path.join(workdir, "stage1.npz"))
    if tie is not None and opts.tie_break_time_s <= 0:
        out["tie_status"] = "not run (tie_break_time_s is 0)"
    elif tie is not None and out["values"] is not None and out["primal_solution_status"] == 2:
        n = len(variables)
        main_cost = np.asarray(h.getLp().col_cost_, dtype=float)
        v1 = float(main_cost @ out["values"])
        tol = 1e-6 * max(1.0, abs(v1))
        nz = np.flatnonzero(main_cost)
        h.addRow(-highspy.kHighsInf, v1 + tol, len(nz), nz.astype(np.int32), main_cost[nz])
        tc = np.zeros(n)
        for v, c in tie.items():
            tc[v.index] -= c  # HiGHS minimises; the tie-break is maximised
        h.changeColsCost(n, np.arange(n, dtype=np.int32), tc)
        left = opts.time_limit_s - (time.perf_counter() - t_start)
        h.setOptionValue("time_limit", float(max(0.1, min(left, opts.tie_break_time_s))))
        stage["n"] = 2
        ws = highspy.HighsSolution()
        ws.col_value = list(out["values"])
        ws.value_valid = True
        h.setSolution(ws)
        h.run()
        s2 = h.getSolution()
        i2 = h.getInfo()
        out["tie_status"] = _status_name(h.getModelStatus())
        out["tie_gap"] = float(i2.mip_gap)
        # the stage-2 plan is used only when HiGHS proved it (within mip_rel_gap): a plan found before a
        # time limit depends on the machine's speed and load, and the same scenario must give the same
        # plan on any machine; otherwise the stage-1 plan (proven, found by a deterministic search) stays
        out["tie_applied"] = False
        if (s2.value_valid and int(i2.primal_solution_status) == 2 and out["tie_status"] == "kOptimal"
                and float(i2.mip_gap) <= opts.mip_rel_gap + 1e-12):
            vals = np.asarray(s2.col_value, dtype=float)
            if main_cost @ vals <= v1 + 10 * tol:
                out["values"] = vals
                out["tie_applied"] = True
        out["time"] = time.perf_counter() - t0
    try:
        import resource
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except Exception:
        out["peak_rss_mb"] = None
    return out


def _set_start(h, prob, start: dict) -> None:
    """Pass a (partial) MIP start to HiGHS: the integer columns given in ``start`` are fixed by HiGHS's
    start heuristic and the rest completed by an LP; an unusable start is simply ignored by HiGHS."""
    import highspy

    idx, val = [], []
    for v, x in start.items():
        j = getattr(v, "index", None)
        if j is not None and x is not None:
            idx.append(int(j))
            val.append(float(x))
    if not idx:
        return
    sol = highspy.HighsSolution()
    try:  # highspy >= 1.7: sparse start
        h.setSolution(len(idx), np.array(idx, dtype=np.int32), np.array(val, dtype=float))
    except TypeError:
        n = len(prob.variables())
        full = np.zeros(n)
        full[idx] = val
        sol.col_value = list(full)
        sol.value_valid = True
        h.setSolution(sol)


def _child(prob, opts, conn, workdir, tie, start=None):
    try:
        res = _run_highs(prob, opts, workdir, tie, start)
    except BaseException as e:  # report, never hang the parent
        res = {"error": f"{type(e).__name__}: {e}"}
    try:
        conn.send(res)
    finally:
        conn.close()


def _normalise(raw: dict, tol: float) -> tuple[SolveStatus, str]:
    ms = raw["model_status"]
    has_sol = raw["primal_solution_status"] == 2 and raw.get("values") is not None
    if ms == "kOptimal":
        gap = raw.get("gap") or 0.0
        if has_sol and (not raw.get("has_int") or gap <= tol + 1e-12):
            return SolveStatus.OPTIMAL, ""
        if has_sol:
            return SolveStatus.FEASIBLE_NOT_PROVEN, f"HiGHS reported optimal with gap {gap:.3g} above the tolerance"
        return SolveStatus.ERROR, "HiGHS reported optimal without a primal solution"
    if ms in ("kInfeasible",):
        return SolveStatus.INFEASIBLE, ""
    if ms == "kUnboundedOrInfeasible":
        return SolveStatus.INFEASIBLE, "HiGHS: unbounded or infeasible (an allocation cannot be unbounded)"
    if ms == "kUnbounded":
        return SolveStatus.UNBOUNDED, ""
    if ms in ("kTimeLimit", "kInterrupt", "kIterationLimit", "kSolutionLimit", "kObjectiveBound",
              "kObjectiveTarget"):
        if has_sol:
            return SolveStatus.FEASIBLE_NOT_PROVEN, f"stopped by {ms}; not proven optimal"
        return SolveStatus.TIME_LIMIT_NO_SOLUTION, f"stopped by {ms} before any plan was found"
    return SolveStatus.ERROR, f"HiGHS model status {ms}"


def solve_model(model: AllocationModel, options: SolverOptions | None = None, start: dict | None = None) -> SolveReport:
    """Solve a built model and assign the solution to its variables (``varValue``).

    Parameters
    ----------
    model : :class:`~.model.AllocationModel`
    options : :class:`SolverOptions` (default: from the model's scenario)
    start : optional MIP start, dict ``LpVariable -> value`` (may be partial, e.g. only the ``x``
        and ``z`` binaries of a known feasible plan); HiGHS completes or ignores it

    Returns
    -------
    SolveReport. Variable values are assigned only when a plan exists.
    """
    opts = options or SolverOptions.from_scenario(model.inp.scenario)
    prob = model.prob
    t0 = time.perf_counter()
    guard_fired = False
    raw = None
    tmpdir = tempfile.mkdtemp(prefix="kotaku_solve_")
    inc = os.path.join(tmpdir, "incumbent.npz")
    st1 = os.path.join(tmpdir, "stage1.npz")
    tie = model.tie_break
    try:
        if opts.subprocess and hasattr(os, "fork"):
            ctx = mp.get_context("fork")
            rconn, wconn = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_child, args=(prob, opts, wconn, tmpdir, tie, start), daemon=True)
            p.start()
            wconn.close()
            if rconn.poll(opts.guard):
                try:
                    raw = rconn.recv()
                except EOFError:
                    raw = {"error": f"the solver process ended without a result (exit code {p.exitcode})"}
                p.join(10)
            else:
                guard_fired = True
                p.kill()
                p.join(10)
            if p.is_alive():
                p.kill()
            rconn.close()
        else:
            try:
                raw = _run_highs(prob, opts, tmpdir, tie, start)
            except Exception as e:
                raw = {"error": f"{type(e).__name__}: {e}"}
        elapsed = time.perf_counter() - t0
        rep = SolveReport(status=SolveStatus.ERROR, proven_optimal=False, objective=None, best_bound=None, gap=None,
                          solve_time_s=elapsed, build_time_s=model.build_time_s, time_limit_s=opts.time_limit_s,
                          guard_s=opts.guard, guard_fired=guard_fired,
                          objective_kind=model.elastic or model.inp.scenario["objective.kind"],
                          data_status=model.inp.data_status, n_constraints=len(prob._constraints))
        values = None
        if guard_fired and os.path.exists(st1):
            # stage 1 (the main objective) finished; the guard stopped the tie-break stage
            d = dict(np.load(st1, allow_pickle=True))
            raw = {k: (v.item() if getattr(v, "shape", None) == () else v) for k, v in d.items()}
            raw["version"] = ""
            raw["has_int"] = bool(raw["has_int"])
            raw["tie_status"] = "stopped by the guard"
            raw["tie_applied"] = False
            guard_fired = False
            rep_note = ("the wall-clock guard stopped the tie-break stage; the main objective's plan stands "
                        "(tie-break not applied)")
        else:
            rep_note = ""
        if guard_fired:
            if os.path.exists(inc):
                d = np.load(inc)
                values = d["sol"]
                rep.status = SolveStatus.FEASIBLE_NOT_PROVEN
                rep.best_bound = float(d["bound"])
                rep.gap = float(d["gap"])
                rep.message = (f"the wall-clock guard ({opts.guard:.0f} s) stopped HiGHS; the best plan found by then "
                               "is reported, not proven optimal")
            else:
                rep.status = SolveStatus.TIME_LIMIT_NO_SOLUTION
                rep.message = f"the wall-clock guard ({opts.guard:.0f} s) stopped HiGHS before any plan was found"
        elif raw is None or "error" in raw:
            rep.status = SolveStatus.ERROR
            rep.message = (raw or {}).get("error", "no result from the solver")
        else:
            rep.status, rep.message = _normalise(raw, opts.mip_rel_gap)
            rep.message = " ".join(x for x in (rep.message, rep_note) if x)
            rep.extra["tie_break_status"] = raw.get("tie_status")
            rep.extra["tie_break_applied"] = bool(raw.get("tie_applied", False))
            rep.highs_model_status = raw["model_status"]
            rep.primal_solution_status = raw["primal_solution_status"]
            rep.solver_version = str(raw.get("version", ""))
            rep.peak_rss_mb = raw.get("peak_rss_mb")
            rep.extra["highs_time_s"] = raw["time"]
            if rep.status.has_solution:
                values = raw["values"]
                rep.best_bound = raw["bound"] if raw["bound"] is not None else raw["objective"]
                rep.gap = raw["gap"]
        if not rep.solver_version:
            try:
                import importlib.metadata as im
                rep.solver_version = im.version("highspy")
            except Exception:
                pass
        variables = prob.variables()
        rep.n_variables = len(variables)
        if values is not None and rep.status.has_solution:
            for v, val in zip(variables, values):
                v.varValue = float(val)
            rep.objective = float(pulp.value(prob.objective) or 0.0) + model.objective_constant
            if model.tie_break is not None:
                rep.extra["tie_break_value"] = float(pulp.value(model.tie_break) or 0.0) * model.tie_break_eps
            if rep.best_bound is not None:
                rep.best_bound = float(rep.best_bound) + model.objective_constant
            rep.proven_optimal = rep.status == SolveStatus.OPTIMAL
        else:
            for v in variables:
                v.varValue = None
            rep.proven_optimal = False
            rep.objective = None
            rep.best_bound = None if rep.status != SolveStatus.INFEASIBLE else None
        return rep
    finally:
        for fn in (inc, inc + ".tmp.npz", st1, os.path.join(tmpdir, "stage1.tmp.npz")):
            if os.path.exists(fn):
                os.remove(fn)
        os.rmdir(tmpdir)
