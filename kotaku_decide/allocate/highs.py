"""The bridge to HiGHS: models handed over as arrays, solved, and read back (no PuLP on this path).

Arrays go to ``highspy`` in one ``passModel`` call (rowwise CSR), as linopy does; a ``Highs``
object stays alive so that a changed bound, budget or cost re-solves warm. HiGHS prints a banner
the first time a ``Highs`` object is made in a process; it is swallowed here (``msg=True`` shows
HiGHS's own log).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["new_highs", "pass_arrays", "HighsRun", "run", "status_name", "INF", "small_mip"]

INF = float("inf")
_BANNER_DONE = {"done": False}


def new_highs(msg: bool = False, threads: int = 1, seed: int = 20160, time_limit: float | None = None,
              mip_rel_gap: float | None = None):
    """A ``highspy.Highs`` with logging off (unless ``msg``), one thread and a fixed seed.

    Parameters
    ----------
    msg : show HiGHS's log
    threads : HiGHS threads (1: deterministic and fair to parallel workers)
    seed : HiGHS random seed (same input -> same solution)
    time_limit : seconds (None = no limit)
    mip_rel_gap : relative gap tolerance of a MIP
    """
    import highspy

    if not _BANNER_DONE["done"] and not msg:
        try:  # the banner goes to file descriptor 1 from native code: silence it once
            sys.stdout.flush()
            saved = os.dup(1)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            try:
                h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
        except OSError:
            h = highspy.Highs()
        _BANNER_DONE["done"] = True
    else:
        h = highspy.Highs()
        _BANNER_DONE["done"] = True
    h.setOptionValue("output_flag", bool(msg))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", int(seed))
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    if mip_rel_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    return h


def small_mip(h, cuts_at_nodes: bool = True) -> None:
    """Settings for a small MIP solved many times (the decomposition's master, the per-location check's
    pricing): no presolve, no primal heuristics, no reliability (strong) branching, symmetry detection or
    restarts, and optionally no cut separation below the root. Still solved to the gap it was given; each
    costs more than it saves on problems of a few dozen to a few hundred columns (measured where used)."""
    h.setOptionValue("presolve", "off")
    h.setOptionValue("mip_heuristic_effort", 0.0)
    for heuristic in ("rens", "rins", "root_reduced_cost", "shifting", "zi_round", "feasibility_jump"):
        h.setOptionValue(f"mip_heuristic_run_{heuristic}", False)
    h.setOptionValue("mip_pscost_minreliable", 0)
    h.setOptionValue("mip_detect_symmetry", False)
    h.setOptionValue("mip_allow_restart", False)
    if not cuts_at_nodes:
        h.setOptionValue("mip_allow_cut_separation_at_nodes", False)


def pass_arrays(h, cost: np.ndarray, lb: np.ndarray, ub: np.ndarray, A: sp.csr_matrix, lo: np.ndarray,
                up: np.ndarray, integer: np.ndarray | None = None, maximize: bool = False) -> None:
    """Hand a whole model to HiGHS in one call (``min`` of ``cost``, or ``max`` with ``maximize``)."""
    import highspy

    lp = highspy.HighsLp()
    n, m = len(cost), A.shape[0]
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(cost, float)
    lp.col_lower_ = np.asarray(lb, float)
    lp.col_upper_ = np.asarray(ub, float)
    lp.row_lower_ = np.asarray(lo, float)
    lp.row_upper_ = np.asarray(up, float)
    A = A.tocsr()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = m
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    if integer is not None and np.any(integer):
        kint, kcont = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        lp.integrality_ = [kint if b else kcont for b in integer]
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    h.passModel(lp)


def set_start(h, start: dict | None) -> None:
    """Hand HiGHS a MIP start: ``start`` maps column index -> value (may be partial; HiGHS completes or
    ignores it)."""
    if start:
        idx = np.array(sorted(start), dtype=np.int32)
        h.setSolution(len(idx), idx, np.array([float(start[k]) for k in idx], dtype=float))


def status_name(st) -> str:
    return str(st).split(".")[-1]


@dataclass
class HighsRun:
    """What one ``run()`` gave: model status, solution and MIP information (objective in the model's sense)."""

    model_status: str
    primal_solution_status: int
    objective: float | None
    bound: float | None
    gap: float | None
    values: np.ndarray | None
    row_dual: np.ndarray | None
    col_dual: np.ndarray | None
    time_s: float
    nodes: int


def run(h, mip: bool = True) -> HighsRun:
    """Run HiGHS and read everything back (values only when a primal solution exists)."""
    import time

    t0 = time.perf_counter()
    h.run()
    dt = time.perf_counter() - t0
    info = h.getInfo()
    sol = h.getSolution()
    has = int(info.primal_solution_status) == 2 and sol.value_valid
    vals = np.asarray(sol.col_value, dtype=float) if has else None
    obj = float(info.objective_function_value) if has else None
    bound = float(info.mip_dual_bound) if mip else obj
    gap = float(info.mip_gap) if mip else 0.0
    rd = np.asarray(sol.row_dual, dtype=float) if sol.dual_valid else None
    cd = np.asarray(sol.col_dual, dtype=float) if sol.dual_valid else None
    nodes = int(info.mip_node_count) if mip else 0
    return HighsRun(status_name(h.getModelStatus()), int(info.primal_solution_status), obj, bound, gap, vals, rd, cd,
                    dt, nodes)
