"""The per-location (Dantzig-Wolfe) check of a set of clearings: whole location plans, mixed only across.

Why. The LP check of :mod:`.decompose` fixes which locations clear in which year and asks whether the
works, taken *fractionally*, fit the shared money. That is weak exactly where budgets bind: the LP may
clear a location with 29 % of each of a dozen works, or split a work over two years to draw two yearly
pools, and so accept clearings no integer plan can pay; each such set then costs a full integer
completion (seconds) to refute, one set at a time. Here every location instead picks a convex
combination of its own *integer* plans - a set of whole works with their years and the money by
source, keeping every rule of the location (one target per criterion, precedence, legality, the
clearance rule, the community share, starts) - and only the shared rows (budgets, kelurahan caps,
equity, capacity) couple the locations:

    min  sum_r s_r
    s.t. sum_i sum_{p in P_i} a_rp lam_p  (-/+) s_r  within [lo_r, up_r]   for every shared row r
         sum_{p in P_i} lam_p = 1                                        for every location i
         lam, s >= 0

Plans are generated as needed (column generation): the pricing problem of location i is a small MIP
over its own columns, min (-pi A_i) x, with pi the duals of the shared rows. With sigma_i the duals
of the convexity rows, ``master + sum_i min(0, rc_i)`` is a valid lower bound of the minimum violation
at every iteration (Lagrangian bound), so infeasibility is proven as soon as that bound is positive,
without waiting for the column generation to converge.

A plan generated for a location that clears by year t stays valid for every later clearing year (its
works are still a plan), so plans are kept between checks and reused: a new set of clearings only
switches the columns that no longer fit.

This check is a relaxation of the integer problem (mixing plans of one location across is still
allowed), so "infeasible" here proves that the clearings have no integer plan; "feasible" only makes
an integer plan likely.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from .highs import INF, new_highs, pass_arrays, run, small_mip

__all__ = ["DWCheck"]

_RC_TOL = 1e-7


class _Pricing:
    """Location i's own columns and rows as a MIP; costs and the clearing bounds change per call."""

    def __init__(self, model, opts, cols: np.ndarray, rows: np.ndarray, zcols: list):
        self.cols = cols
        pos = {c: k for k, c in enumerate(cols)}
        self.zpos = np.array([pos[c] for c in zcols], dtype=np.int64)  # the location's z, year by year
        A = model.A[rows][:, cols].tocsr()
        self.h = new_highs(msg=False, threads=opts.threads, seed=opts.seed, mip_rel_gap=1e-9)
        self.h.setOptionValue("mip_abs_gap", 1e-9)
        self.lb, self.ub = model.col_lb[cols].copy(), model.col_ub[cols].copy()
        pass_arrays(self.h, np.zeros(len(cols)), self.lb, self.ub, A, model.row_lo[rows], model.row_up[rows],
                    model.col_integer[cols], maximize=False)
        # tiny: presolve costs more than it saves, nor do the primal heuristics, reliability branching, symmetry
        # detection and restarts; each pricing MIP is still solved to proof (gap 1e-9). Measured on the embedded
        # city: the check's time at 0.075 of the budgets 2.24 -> 1.48 s, at 0.825 4.07 -> 1.95 s, in a marginal
        # re-solve 3.0 -> 1.34 s
        small_mip(self.h)

    def clear_by(self, t) -> None:
        """Fix the location's z: cleared from year index ``t`` on (None: never required)."""
        lb, ub = self.lb.copy(), self.ub.copy()
        z = (np.arange(len(self.zpos)) >= t).astype(float) if t is not None else np.zeros(len(self.zpos))
        lb[self.zpos] = ub[self.zpos] = z
        ch = np.flatnonzero((lb != self.lb) | (ub != self.ub))
        if len(ch):
            self.h.changeColsBounds(len(ch), ch.astype(np.int32), lb[ch].astype(float), ub[ch].astype(float))
            self.lb, self.ub = lb, ub

    def solve(self, cost: np.ndarray):
        self.h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost.astype(float))
        return run(self.h, mip=True)


class DWCheck:
    """The Dantzig-Wolfe check of clearings ``z`` over the shared rows ``crow_rows`` of a built model.

    Parameters
    ----------
    model : built :class:`~.model.AllocationModel`
    opts : :class:`~.status.SolverOptions`
    crow_rows : row indices of the shared rows (the decomposition's coupling families)
    max_rounds : column-generation rounds per check before it answers "unknown"
    """

    def __init__(self, model, opts, crow_rows: np.ndarray, max_rounds: int = 60):
        self.model, self.opts, self.max_rounds = model, opts, max_rounds
        self.ok = True
        n = model.n_cols
        col_loc = np.full(n, -1, dtype=np.int64)
        o_loc = model.inp.options["loc"].to_numpy().astype(np.int64)
        col_loc[model.xcol] = o_loc[:, None]
        for k, c in model.mcol.items():
            col_loc[c] = int(k[0])
        for d in (model.zcol, model.stcol, model.uwcol, model.uscol):
            for (i, _y), c in d.items():
                col_loc[c] = int(i)
        isz = np.zeros(n, bool)
        isz[list(model.zcol.values())] = True
        crow = set(int(r) for r in crow_rows)
        A = model.A.tocsr()
        local: dict = {}
        extra_coupling = []
        for r in range(model.n_rows):
            c = A.indices[A.indptr[r]:A.indptr[r + 1]]
            if r in crow:
                continue
            nz = c[~isz[c]]
            if not len(nz):
                continue  # rows in z only: the master keeps them
            locs = np.unique(col_loc[nz])
            if np.any(locs < 0):
                self.ok = False  # a column that belongs to no location: this check does not apply
                return
            if len(locs) > 1:
                extra_coupling.append(r)
                continue
            local.setdefault(int(locs[0]), []).append(r)
        self.crow = np.array(sorted(crow | set(extra_coupling)), dtype=np.int64)
        self.locs = sorted(set(int(i) for i in col_loc[col_loc >= 0]))
        self.cols_of = {i: np.flatnonzero(col_loc == i) for i in self.locs}
        AcT = A[self.crow].T.tocsr()
        self.AcT_of = {i: AcT[self.cols_of[i]] for i in self.locs}  # per location: its columns x shared rows
        # a location that may do nothing (no work fixed): its empty plan costs nothing at any price
        self.may_idle = {i: not np.any(model.col_lb[self.cols_of[i]][~isz[self.cols_of[i]]] > 0) for i in self.locs}
        self.rows_of = {i: np.asarray(local.get(i, []), dtype=np.int64) for i in self.locs}
        self.zcols_of = {i: [model.zcol[(i, y)] for y in range(model.xcol.shape[1]) if (i, y) in model.zcol]
                         for i in self.locs}
        self.pricing: dict = {}
        # the master LP: one slack per shared row, one convexity row per location; columns added later
        m = len(self.crow)
        lo, up = model.row_lo[self.crow], model.row_up[self.crow]
        self.n_shared = m
        sgn = np.where(np.isfinite(up), -1.0, 1.0)  # the slack takes away from a <= row, adds to a >= row
        S = sp.vstack([sp.diags(sgn), sp.csr_matrix((len(self.locs), m))], format="csr")
        self.h = new_highs(msg=False, threads=opts.threads, seed=opts.seed)
        pass_arrays(self.h, np.ones(m), np.zeros(m), np.full(m, INF), S,
                    np.concatenate([lo, np.ones(len(self.locs))]), np.concatenate([up, np.ones(len(self.locs))]),
                    None, maximize=False)
        self.loc_row = {i: m + k for k, i in enumerate(self.locs)}
        self.columns = []  # (location, clearing year index or None = never, master column index, empty plan)
        self.n_master_cols = m
        self.stats = {"checks": 0, "rounds": 0, "pricing": 0, "columns": 0}

    def sync_rows(self) -> None:
        """Copy the shared rows' bounds from the model (after a budget change)."""
        m = self.model
        k = np.arange(self.n_shared, dtype=np.int32)
        self.h.changeRowsBounds(len(k), k, m.row_lo[self.crow].astype(float), m.row_up[self.crow].astype(float))

    # -----------------------------------------------------------------------------------------
    def _pricing_for(self, i: int) -> _Pricing:
        p = self.pricing.get(i)
        if p is None:
            p = self.pricing[i] = _Pricing(self.model, self.opts, self.cols_of[i], self.rows_of[i], self.zcols_of[i])
        return p

    def _price(self, i: int, t, pi: np.ndarray):
        """Cheapest plan of location i clearing by year index t (None: not required) at prices pi."""
        pr = self._pricing_for(i)
        pr.clear_by(t)
        cost = -(self.AcT_of[i] @ pi)
        self.stats["pricing"] += 1
        r = pr.solve(cost)
        if r.values is None:
            return None, None, None
        bound = r.bound if r.model_status == "kOptimal" and r.bound is not None else -INF
        return r.values, float(cost @ r.values), min(float(cost @ r.values), float(bound))

    def _add_column(self, i: int, t, vals: np.ndarray) -> None:
        a = self.AcT_of[i].T @ vals
        nz = np.flatnonzero(np.abs(a) > 1e-12)
        idx = np.concatenate([nz, [self.loc_row[i]]]).astype(np.int32)
        val = np.concatenate([a[nz], [1.0]]).astype(float)
        self.h.addCol(0.0, 0.0, INF, len(idx), idx, val)
        self.columns.append((i, t, self.n_master_cols, not len(nz)))
        self.n_master_cols += 1
        self.stats["columns"] += 1

    # -----------------------------------------------------------------------------------------
    def check(self, cleared: dict, tol: float, deadline: float = INF) -> tuple[str, np.ndarray | None, float]:
        """Is there a convex combination of whole location plans for these clearings?

        Parameters
        ----------
        cleared : location -> first year index with z = 1 (locations not in it are not cleared)
        tol : violation (million Rp) below which the money fits
        deadline : ``time.perf_counter()`` value after which the check answers "unknown" (a guard for
            the solve's time limit: a city of hundreds of locations prices hundreds of MIPs a round)

        Returns
        -------
        (``"feasible"`` / ``"infeasible"`` / ``"unknown"``, duals of the shared rows in the model's
        ``<=`` / ``>=`` sign (u >= 0), the proven lower bound of the violation).
        """
        self.stats["checks"] += 1
        # switch the columns on or off for these clearings
        t_of = {i: cleared.get(i) for i in self.locs}
        on = []
        have, have_idle = set(), set()
        for (i, t, j, idle) in self.columns:
            ti = t_of[i]
            fits = (ti is None) or (t is not None and t <= ti)
            on.append((j, fits))
            if fits:
                have.add(i)
                if idle:
                    have_idle.add(i)
        if on:
            idx = np.array([j for j, _ in on], dtype=np.int32)
            ub = np.array([INF if f else 0.0 for _, f in on])
            self.h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), ub)
        # a first plan for every location without one: the cheapest in money
        pi0 = np.where(np.isfinite(self.model.row_up[self.crow]), -1.0, 0.0)
        for i in self.locs:
            if i not in have or (t_of[i] is None and self.may_idle[i] and i not in have_idle):
                vals, _, _ = self._price(i, t_of[i], pi0)
                if vals is None:
                    return "infeasible", None, INF
                self._add_column(i, t_of[i], vals)
        lower = -INF
        for _ in range(self.max_rounds):
            if time.perf_counter() > deadline:
                return "unknown", None, lower
            self.stats["rounds"] += 1
            r = run(self.h, mip=False)
            if r.model_status != "kOptimal" or r.row_dual is None:
                return "unknown", None, lower
            v = float(r.objective)
            if v <= tol:
                return "feasible", None, lower
            pi = r.row_dual[: self.n_shared]
            sigma = r.row_dual[self.n_shared:]
            total_rc, added = 0.0, 0
            for k, i in enumerate(self.locs):
                if time.perf_counter() > deadline:
                    return "unknown", None, lower
                if t_of[i] is None and self.may_idle[i] and i in have_idle and not np.any(self.AcT_of[i] @ pi > 1e-12):
                    continue  # every column costs >= 0 at these prices: the empty plan (in the master) is best
                vals, c, c_low = self._price(i, t_of[i], pi)
                if vals is None:
                    return "infeasible", None, INF
                total_rc += min(0.0, c_low - sigma[k])
                if c - sigma[k] < -_RC_TOL * max(1.0, abs(v)):
                    self._add_column(i, t_of[i], vals)
                    added += 1
            lower = max(lower, v + total_rc)
            if lower > tol:
                return "infeasible", self._u(pi), lower
            if not added:
                return "infeasible", self._u(pi), v  # converged above the tolerance
        return "unknown", None, lower

    def _u(self, pi: np.ndarray) -> np.ndarray:
        """Duals in the decomposition's convention: u >= 0 per shared row (<= rows: -pi; >= rows: pi)."""
        up = self.model.row_up[self.crow]
        return np.maximum(0.0, np.where(np.isfinite(up), -pi, pi))
