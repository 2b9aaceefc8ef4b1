"""Solving a built model with HiGHS under a wall-clock guard, and the honest report of what was found.

Two methods (:attr:`SolverOptions.method`):

* ``decomposed`` (the default for the hectares objective): the clearing-year decomposition of
  :mod:`.decompose` - a small master over which locations clear in which year, an LP check of the
  money, and an integer completion of the works. Exact: the plan comes with a valid upper bound.
* ``monolithic`` (households, least cost, the diagnostic models, a model edited through its PuLP
  view, and the fall-back when the decomposition does not finish): the whole MIP in HiGHS.

Then the tie-break stage (:mod:`.topup`): leftover money buys single works, best score reduction
x area per rupiah first, each kept only if every row of the model still holds.

The solve runs in a forked child process (default): the parent stops it when the guard fires
(HiGHS has been seen to overrun its time limit in root-node heuristics). Every improving plan is
written to a temporary file, so a fired guard still reports what the solver had then.

Statuses are normalised into :class:`SolveStatus` (what the plan is worth) and a termination (why
the solver stopped), as linopy splits them. Nothing is called optimal unless proven within the gap
tolerance; an objective is never read without a plan. No stage whose outcome depends on the clock
decides a plan (the decomposition and the tie-break are deterministic); a time limit that fires
is reported as such.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time

import numpy as np
import pulp

from .model import AllocationModel
from .status import SolveReport, SolverOptions, SolveStatus

__all__ = ["SolveStatus", "SolveReport", "solve_model", "SolverOptions", "start_from_works"]



# ----------------------------------------------------------------------------------------------
def _method(model: AllocationModel, opts: SolverOptions) -> str:
    if opts.method not in ("auto", "decomposed", "monolithic"):
        raise ValueError(f"solver method must be auto, decomposed or monolithic, got {opts.method!r}")
    hectares = model.inp.scenario["objective.kind"] == "hectares" and model.elastic is None and model.sense == "max"
    if model.edited:
        return "monolithic"
    if opts.method == "decomposed" and not hectares:
        raise ValueError("the decomposed method solves the hectares objective only")
    if opts.method == "auto":
        return "decomposed" if hectares else "monolithic"
    return opts.method


def _arrays(model: AllocationModel):
    """(cost, lb, ub, integer, A, lo, up, tie, view variables or None) the solver works on."""
    if model.edited:
        from .pulp_view import arrays_from_pulp

        view = model._pulp
        cost, lb, ub, integer, A, lo, up, variables = arrays_from_pulp(view.prob, view.vars)
        if view.prob.sense == pulp.LpMaximize:
            sense = "max"
        else:
            sense = "min"
        tie = None
        if view.tie_break is not None:
            idx = {id(v): k for k, v in enumerate(variables)}
            tie = np.zeros(len(variables))
            for v, c in view.tie_break.items():
                tie[idx[id(v)]] += c
        return cost, lb, ub, integer, A, lo, up, tie, sense, variables
    return (model.col_cost, model.col_lb, model.col_ub, model.col_integer, model.A, model.row_lo, model.row_up,
            model.tie_cost, model.sense, None)


def _save(path, **arrays) -> None:
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _monolithic(arr, opts: SolverOptions, start, workdir, deadline) -> dict:
    """The whole MIP in HiGHS (the main objective)."""
    import highspy

    from .highs import new_highs, pass_arrays, run, set_start

    cost, lb, ub, integer, A, lo, up, tie, sense, _ = arr
    maximize = sense == "max"
    h = new_highs(msg=opts.msg, threads=opts.threads, seed=opts.seed, time_limit=deadline - time.perf_counter(),
                  mip_rel_gap=opts.mip_rel_gap)
    pass_arrays(h, cost, lb, ub, A, lo, up, integer, maximize=maximize)
    has_int = bool(np.any(integer))
    inc = os.path.join(workdir, "incumbent.npz") if workdir else None
    if inc and has_int:
        def _cb(callback_type, message, data_out, data_in, user_data):
            if callback_type == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution:
                try:
                    _save(inc, sol=np.asarray(data_out.mip_solution, dtype=float),
                          obj=float(data_out.objective_function_value), bound=float(data_out.mip_dual_bound),
                          gap=float(data_out.mip_gap))
                except Exception:  # never let the callback break the solve
                    pass

        h.setCallback(_cb, None)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution)
    set_start(h, start)
    r = run(h, mip=has_int)
    out = {"model_status": r.model_status, "primal_solution_status": r.primal_solution_status,
           "objective": r.objective, "bound": r.bound if has_int else r.objective, "gap": r.gap if has_int else 0.0,
           "values": r.values, "time": r.time_s, "has_int": has_int, "tie_status": None, "tie_applied": False,
           "method": "monolithic", "nodes": r.nodes}
    if workdir and r.values is not None:
        _save(os.path.join(workdir, "stage1.npz"), sol=r.values, obj=r.objective, bound=out["bound"],
              gap=out["gap"], status=np.array(r.model_status))
    return out


def start_from_works(model: AllocationModel, works) -> dict:
    """A MIP start from a plan's works: column -> 1 for each work (option row, year) in ``works``, 0 for
    every other work column (the money, clearings and starts are left to the solver)."""
    years = model.inp.years
    on = {(int(o), int(y)) for o, y in works}
    n_opt, Y = model.xcol.shape
    return {int(model.xcol[o, y]): (1.0 if (o, years[y]) in on else 0.0) for o in range(n_opt) for y in range(Y)}


def _greedy_start(model: AllocationModel) -> dict | None:
    """The greedy plan's works as a (partial) MIP start (:func:`start_from_works`)."""
    from .greedy import greedy_plan

    try:
        plan, _ = greedy_plan(model.inp)
    except Exception:  # a start is a help, never a requirement
        return None
    if not len(plan):
        return None
    return start_from_works(model, zip(plan["option_row"], plan["year"]))


#: Node limit of the package-restricted least-cost MIP (a deterministic work limit, not a clock)
PACKAGE_START_NODES = 500


def _package_start(model: AllocationModel, opts: SolverOptions, deadline: float) -> dict | None:
    """A MIP start for a least-cost model: the same model with works only from each slum location's
    cheapest clearing package (:mod:`.packages`), solved with a node limit.

    A restriction, so its plan keeps every rule of the whole model. Where that plan clears its
    locations at the sum of their cheapest packages, the whole MIP's root bound (the ``min_cost``
    rows) meets it at once - measured on the 2016 hearing set's "no slum by 2019 within the budgets"
    goal: proven in 0.2 s, where the whole MIP alone stopped at its 10 s limit 1.6 % above it.
    None when there is nothing to restrict to or the restriction has no plan.
    """
    from .highs import new_highs, pass_arrays, run

    if model.edited or model.elastic is not None or model.sense != "min" or not model.min_package:
        return None
    allowed = np.zeros(model.xcol.shape[0], bool)
    for rows in model.min_package.values():
        allowed[rows] = True
    if allowed.all() or not allowed.any():
        return None
    ub = model.col_ub.copy()
    ub[model.xcol[~allowed].ravel()] = 0.0
    left = deadline - time.perf_counter()
    if left <= 0.1:
        return None
    h = new_highs(msg=False, threads=opts.threads, seed=opts.seed, time_limit=left, mip_rel_gap=opts.mip_rel_gap)
    pass_arrays(h, model.col_cost, model.col_lb, ub, model.A, model.row_lo, model.row_up, model.col_integer,
                maximize=False)
    h.setOptionValue("mip_max_nodes", PACKAGE_START_NODES)
    r = run(h, mip=True)
    if r.values is None or r.primal_solution_status != 2:
        return None
    return {k: float(v) for k, v in enumerate(r.values)}


def _tie_break(model: AllocationModel, opts: SolverOptions, raw: dict) -> None:
    """The tie-break stage on a plan that keeps the main objective (:mod:`.topup`, deterministic)."""
    from .topup import top_up

    if model.tie_cost is None:
        raw["tie_status"], raw["tie_applied"] = None, False
        return
    if opts.tie_break_time_s <= 0:
        raw["tie_status"], raw["tie_applied"] = "not run (tie_break_time_s is 0)", False
        return
    if model.edited:
        raw["tie_status"], raw["tie_applied"] = "not run (model edited through its PuLP view)", False
        return
    if raw.get("values") is None or raw.get("primal_solution_status") != 2:
        raw["tie_status"], raw["tie_applied"] = "not run (no plan)", False
        return
    if raw.get("model_status") == "kObjectiveBound":
        raw["tie_status"], raw["tie_applied"] = "not run (cut off: an answer, not a plan to show)", False
        return
    vals, info = top_up(model, raw["values"])
    raw["values"] = vals
    raw["tie_status"], raw["tie_applied"] = "greedy top-up", True
    raw["tie_info"] = info


def _solve_raw(model: AllocationModel, opts: SolverOptions, start, workdir, cutoff: float | None = None) -> dict:
    """Solve in this process; return the raw result (values over the solver's columns)."""
    from .decompose import solve_decomposed

    t0 = time.perf_counter()
    deadline = t0 + float(opts.time_limit_s)
    method = _method(model, opts)
    arr = _arrays(model)
    if method == "monolithic":
        if not start and model.inp.scenario["objective.kind"] == "least_cost":
            start = _package_start(model, opts, deadline)
        raw = _monolithic(arr, opts, start, workdir, deadline)
    else:
        inc = os.path.join(workdir, "incumbent.npz") if workdir else None

        def cb(values, obj, bound):
            if inc:
                _save(inc, sol=values, obj=obj, bound=bound if bound is not None else obj, gap=0.0)

        # the master works without the objective's constant (zero for hectares, the one objective decomposed)
        cut = None if cutoff is None else float(cutoff) - model.objective_constant
        d = solve_decomposed(model, opts, deadline, incumbent_cb=cb, start=start, cutoff=cut)
        raw = {"method": "decomposed", "decomposition": {k: v for k, v in d.items() if k not in ("values", "cut_rows")},
               "has_int": True, "nodes": None, "time": d.get("time", 0.0)}
        # a plan found when the time limit stops the decomposition is reported as it stands (plan, bound, gap):
        # the whole MIP gets no time beyond the limit to improve it (it used to get at least a second)
        stopped = d["termination"] == "time_limit" and d["values"] is not None
        if (d["termination"] in ("optimal", "cutoff") or stopped
                or (d["termination"] == "infeasible" and d["values"] is None)):
            gap = d["gap"]
            proven = d["termination"] == "optimal" and gap is not None and gap <= opts.mip_rel_gap + 1e-12
            raw.update(model_status="kOptimal" if proven else ("kInfeasible" if d["termination"] == "infeasible"
                                                               else "kObjectiveBound" if d["termination"] == "cutoff"
                                                               else "kTimeLimit"),
                       primal_solution_status=2 if d["values"] is not None else 0, objective=d["objective"],
                       bound=d["bound"], gap=gap, values=d["values"])
        else:  # fall back on the whole MIP for the time left, from the best plan found (or the greedy plan)
            st, st_obj, best_vals = None, d["objective"], d["values"]  # best_vals: a whole plan worth st_obj
            if d["values"] is not None:
                st = {int(k): float(v) for k, v in enumerate(d["values"])}
            elif not model.edited:
                st = _greedy_start(model)
            if d.get("last_z") is not None and not model.edited:
                # first the best plan within the master's last answer (a restriction, solved to proof or to a node
                # limit): on 02/2016 far better than what the whole MIP finds from the greedy plan in the same time
                from .decompose import best_within

                within = best_within(model, opts, d["z_keys"], d["last_z"], deadline, st, d.get("cut_rows"))
                raw["decomposition"]["within_status"] = within.model_status
                raw["decomposition"]["within_objective"] = within.objective
                if within.values is not None and (st_obj is None or within.objective > st_obj + 1e-9):
                    st, st_obj = {int(k): float(v) for k, v in enumerate(within.values)}, within.objective
                    best_vals = within.values
                    cb(within.values, within.objective, d["bound"])
            left = deadline - time.perf_counter()
            cuts = d.get("cut_rows") or []
            if cuts and not model.edited:  # the decomposition's cuts hold for every integer plan: keep them
                from .decompose import with_cuts

                cost, lb, ub, integer, A, lo, up, tie, sense, variables = arr
                arr = (cost, lb, ub, integer, *with_cuts(A, lo, up, cuts, model.n_cols), tie, sense, variables)
            mono = _monolithic(arr, opts, st, workdir, time.perf_counter() + max(left, opts.fallback_min_s))
            raw.update(mono)
            raw["method"] = "decomposed+monolithic"
            if best_vals is not None and (mono.get("objective") is None or mono.get("values") is None
                                          or mono["objective"] < st_obj - 1e-9):
                # the whole MIP ended below its start (a start HiGHS did not take): the plan in hand stands
                raw.update(values=np.asarray(best_vals, dtype=float), objective=st_obj, primal_solution_status=2)
            if d["bound"] is not None and mono.get("bound") is not None:
                raw["bound"] = min(mono["bound"], d["bound"])
                if raw.get("objective") is not None:
                    raw["bound"] = max(raw["bound"], raw["objective"])
                    raw["gap"] = (raw["bound"] - raw["objective"]) / max(abs(raw["objective"]), 1e-9)
        raw["decomposition"]["fallback"] = method != raw["method"]
    _tie_break(model, opts, raw)
    raw["time"] = time.perf_counter() - t0
    try:
        import resource
        raw["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    except Exception:
        raw["peak_rss_mb"] = None
    return raw


def _child(model, opts, conn, workdir, start, cutoff=None):
    try:
        res = _solve_raw(model, opts, start, workdir, cutoff)
    except BaseException as e:  # report, never hang the parent
        res = {"error": f"{type(e).__name__}: {e}"}
    try:
        conn.send(res)
    finally:
        conn.close()


_TERM = {"kOptimal": "optimal", "kInfeasible": "infeasible", "kUnboundedOrInfeasible": "infeasible",
         "kUnbounded": "unbounded", "kTimeLimit": "time_limit", "kInterrupt": "interrupted",
         "kIterationLimit": "iteration_limit", "kSolutionLimit": "solution_limit", "kNodeLimit": "node_limit",
         "kObjectiveBound": "objective_bound", "kObjectiveTarget": "objective_target"}


def _normalise(raw: dict, tol: float) -> tuple[SolveStatus, str]:
    ms = raw["model_status"]
    has_sol = raw.get("primal_solution_status") == 2 and raw.get("values") is not None
    if ms == "kOptimal":
        gap = raw.get("gap") or 0.0
        if has_sol and (not raw.get("has_int") or gap <= tol + 1e-12):
            return SolveStatus.OPTIMAL, ""
        if has_sol:
            return SolveStatus.FEASIBLE_NOT_PROVEN, f"optimal only within a gap of {gap:.3g}, above the tolerance"
        return SolveStatus.ERROR, "HiGHS reported optimal without a primal solution"
    if ms == "kInfeasible":
        return SolveStatus.INFEASIBLE, ""
    if ms == "kUnboundedOrInfeasible":
        return SolveStatus.INFEASIBLE, "HiGHS: unbounded or infeasible (an allocation cannot be unbounded)"
    if ms == "kUnbounded":
        return SolveStatus.UNBOUNDED, ""
    if ms == "kObjectiveBound":  # a question answered (solve_model's cutoff), not a plan stopped short
        return ((SolveStatus.FEASIBLE_NOT_PROVEN if has_sol else SolveStatus.TIME_LIMIT_NO_SOLUTION),
                "stopped once a bound proved that no plan reaches the cutoff")
    if ms in _TERM:
        if has_sol:
            return SolveStatus.FEASIBLE_NOT_PROVEN, f"stopped by {_TERM[ms]}; not proven optimal"
        return SolveStatus.TIME_LIMIT_NO_SOLUTION, f"stopped by {_TERM[ms]} before any plan was found"
    return SolveStatus.ERROR, f"HiGHS model status {ms}"


def solve_model(model: AllocationModel, options: SolverOptions | None = None, start: dict | None = None,
                cutoff: float | None = None) -> SolveReport:
    """Solve a built model and keep the solution on it (``model.values``; ``varValue`` in its PuLP view).

    Parameters
    ----------
    model : :class:`~.model.AllocationModel`
    options : :class:`SolverOptions` (default: from the model's scenario)
    start : optional MIP start: dict column index -> value (may be partial, e.g. the works of a
        known feasible plan), or dict ``LpVariable -> value`` of the model's PuLP view; the whole MIP
        hands it to HiGHS (which completes or ignores it), the decomposition completes its works and,
        if they keep every rule, starts from that plan
    cutoff : a question, not a plan (hectares objective; honoured by the decomposition's loop only: a
        monolithic solve, or the whole MIP a loop falls back on, ignores it and answers exactly): the loop
        stops as soon as its master's bound proves that no plan reaches this value. The report then has
        ``termination == "objective_bound"`` and ``extra["cutoff_bound"]`` (the bound), and the plan
        found so far if any (status ``feasible_not_proven``; else ``time_limit_no_solution``)

    Returns
    -------
    :class:`SolveReport`. Values are kept only when a plan exists.
    """
    opts = options or SolverOptions.from_scenario(model.inp.scenario)
    if start and not isinstance(next(iter(start)), (int, np.integer)):
        view = model._view()
        pos = {id(v): k for k, v in enumerate(view.vars)}
        start = {pos[id(v)]: val for v, val in start.items() if id(v) in pos and val is not None}
    t0 = time.perf_counter()
    guard_fired = False
    raw = None
    tmpdir = tempfile.mkdtemp(prefix="kotaku_solve_")
    inc = os.path.join(tmpdir, "incumbent.npz")
    st1 = os.path.join(tmpdir, "stage1.npz")
    try:
        if opts.subprocess and hasattr(os, "fork"):
            ctx = mp.get_context("fork")
            rconn, wconn = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_child, args=(model, opts, wconn, tmpdir, start, cutoff), daemon=True)
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
                raw = _solve_raw(model, opts, start, tmpdir, cutoff)
            except Exception as e:
                raw = {"error": f"{type(e).__name__}: {e}"}
        elapsed = time.perf_counter() - t0
        rep = SolveReport(status=SolveStatus.ERROR, proven_optimal=False, objective=None, best_bound=None, gap=None,
                          solve_time_s=elapsed, build_time_s=model.build_time_s, time_limit_s=opts.time_limit_s,
                          guard_s=opts.guard, guard_fired=guard_fired,
                          objective_kind=model.elastic or model.inp.scenario["objective.kind"],
                          data_status=model.inp.data_status, n_constraints=model.n_rows, n_variables=model.n_cols)
        values = None
        if guard_fired and os.path.exists(st1):
            d = np.load(st1)
            values = d["sol"]
            rep.status = SolveStatus.OPTIMAL if str(d["status"]) == "kOptimal" else SolveStatus.FEASIBLE_NOT_PROVEN
            rep.best_bound, rep.gap = float(d["bound"]), float(d["gap"])
            rep.termination = "guard"
            rep.message = ("the wall-clock guard stopped the tie-break stage; the main objective's plan stands "
                           "(tie-break not applied)")
            rep.extra["tie_break_applied"] = False
            rep.extra["tie_break_status"] = "stopped by the guard"
        elif guard_fired:
            rep.termination = "guard"
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
            rep.termination = "error"
            rep.message = (raw or {}).get("error", "no result from the solver")
        else:
            rep.status, rep.message = _normalise(raw, opts.mip_rel_gap)
            rep.termination = _TERM.get(raw["model_status"], raw["model_status"])
            rep.method = raw.get("method", "")
            rep.extra["tie_break_status"] = raw.get("tie_status")
            rep.extra["tie_break_applied"] = bool(raw.get("tie_applied", False))
            if raw.get("tie_info"):
                rep.extra["tie_break_works_added"] = raw["tie_info"]["added"]
            rep.highs_model_status = raw["model_status"]
            if raw["model_status"] == "kObjectiveBound" and raw.get("bound") is not None:
                rep.extra["cutoff_bound"] = float(raw["bound"]) + model.objective_constant
            rep.primal_solution_status = raw.get("primal_solution_status")
            rep.peak_rss_mb = raw.get("peak_rss_mb")
            rep.extra["highs_time_s"] = raw.get("time")
            if raw.get("decomposition"):
                dd = raw["decomposition"]
                for k in ("iterations", "cuts", "no_good", "time_master", "time_check", "time_completion",
                          "termination", "fallback", "within_status", "within_objective", "packing"):
                    if k in dd:
                        rep.extra[f"decomposition_{k}"] = dd[k]
            if rep.status.has_solution:
                values = raw["values"]
                rep.best_bound = raw["bound"] if raw.get("bound") is not None else raw["objective"]
                rep.gap = raw.get("gap")
        try:
            import importlib.metadata as im
            rep.solver_version = im.version("highspy")
        except Exception:
            pass
        if values is not None and rep.status.has_solution:
            values = np.asarray(values, dtype=float)
            model.values = values[:model.n_cols].copy()
            if model._pulp is not None:
                view = model._pulp
                variables = _arrays(model)[-1] or view.vars
                for v, x in zip(variables, values):
                    v.varValue = float(x)
            main = float(model.col_cost @ model.values) if not model.edited else float(
                pulp.value(model._pulp.prob.objective) or 0.0)
            rep.objective = main + model.objective_constant
            if model.tie_cost is not None:
                rep.extra["tie_break_value"] = float(model.tie_cost @ model.values) * model.tie_break_eps
            if rep.best_bound is not None:
                rep.best_bound = float(rep.best_bound) + model.objective_constant
            rep.proven_optimal = rep.status == SolveStatus.OPTIMAL
        else:
            model.values = None
            if model._pulp is not None:
                model._pulp.clear()
            rep.proven_optimal = False
            rep.objective = None
            rep.best_bound = None
        return rep
    finally:
        for fn in (inc, inc + ".tmp.npz", st1, st1 + ".tmp.npz"):
            if os.path.exists(fn):
                os.remove(fn)
        os.rmdir(tmpdir)
