"""Clearing-year decomposition: the exact solve behind the hectares objective.

Why. The per-location (Dantzig-Wolfe) relaxation of this model is no tighter than its plain LP
relaxation - measured on the embedded city, column generation with every location's plans as
columns reaches exactly the LP bound - and the integrality of the works hardly matters: with
``x`` continuous and only the clearing indicators ``z`` binary the optimum is the same at every
budget level tried. What is hard is *which locations clear in which year*: a knapsack over about
20-40 locations and a handful of years, which HiGHS explores slowly through the 1,500 binaries of
the works. So the search runs over ``z`` alone, on a master problem of a few dozen rows:

1. **Master** (MIP in ``z``, tiny): max sum_{i,y} w_y a_i z[i, y] subject to the rows of the model
   that hold ``z`` only (years in order, locked-in, target) and *cuts* that say what money the
   clearings need. It starts with one deadline-knapsack row per year, the cheapest clearing
   package K_i against all the money up to that year: sum_i K_i z[i, y] <= sum_{s, y' <= y} B[s, y'].
2. **Check** (LP): the full model with ``z`` fixed at the master's answer and the works continuous;
   shared rows (budgets, kelurahan caps, equity, capacity) may be violated at a price. No
   violation: go to 3. Otherwise two cuts go to the master: the Benders cut from the LP's reduced
   costs of ``z`` (it always removes the master's answer), and a Lagrangian cut priced by the LP's
   duals, sum_i phi_i(t_i) <= u.b, where phi_i(t) is a lower bound of location i's priced cost when
   cleared by year t, from an exact multiple-choice knapsack over its options
   (:func:`~.packages.priced_clearing_bounds`).
3. **Completion** (MIP in the works, ``z`` fixed): the integer plan - which works, which year,
   which source - that keeps every rule, with the tie-break (score reduction x area) as its
   objective under a fixed node limit (deterministic). If no integer plan exists for these
   clearings, a no-good cut removes them from the master and the loop goes on.

The master's optimum is a valid upper bound of the whole problem (it relaxes it; every cut is valid
for every integer plan); the completed plan attains it, so the plan is proven optimal within the
master's gap tolerance. Nothing in the loop depends on the clock: a run is the same on a busy and an
idle machine unless a time limit fires, which the report then says. If the loop does not finish
in its iteration or time budget, the monolithic MIP takes over from the best plan found.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from .highs import INF, HighsRun, new_highs, pass_arrays, run, set_start, small_mip
from .packages import priced_clearing_bounds
from .topup import prune

__all__ = ["solve_decomposed", "COUPLING"]

#: Families of rows shared by several locations (priced in the check; everything else is local).
COUPLING = ("budget", "kelurahan_cap", "equity", "capacity", "capacity_kelurahan")
#: Deterministic work limit of the completion MIP (nodes).
COMPLETION_NODES = 1000
#: After this many sets of clearings without an integer plan the whole MIP takes over (see solve.py).
MAX_NO_GOOD = 6
#: ... and after this many refuted by the per-location check or the completion together (a rule with
#: service rows, e.g. 02/2016's services_80, gives a weak LP check; the whole MIP finds plans there faster)
MAX_REFUTED = 8
_TOL_MONEY = 1e-5  # million Rp: a violation below this is rounding
#: HiGHS switches turned off in the completion MIPs (proof mode, see _Completion)
_PROOF_OFF = ("mip_heuristic_run_rens", "mip_heuristic_run_rins", "mip_heuristic_run_root_reduced_cost",
              "mip_heuristic_run_feasibility_jump", "mip_allow_restart")
_DEBUG = bool(__import__('os').environ.get('KOTAKU_DEBUG_DECOMPOSE'))


class _Master:
    """The MIP over the clearing indicators z (maximise)."""

    def __init__(self, model, opts):
        self.model = model
        self.keys = list(model.zcol)  # (i, y)
        self.col = {k: j for j, k in enumerate(self.keys)}
        zc = np.array([model.zcol[k] for k in self.keys], dtype=np.int64)
        self.zc = zc
        n = len(zc)
        cost = model.col_cost[zc]
        lb, ub = model.col_lb[zc].copy(), model.col_ub[zc].copy()
        # rows of the model that hold z only (years in order, locked-in, forced-in, target)
        A = model.A.tocsc()
        isz = np.zeros(model.n_cols, bool)
        isz[zc] = True
        nz_other = np.asarray((model.A[:, ~isz] != 0).sum(axis=1)).ravel()
        nz_z = np.asarray((model.A[:, isz] != 0).sum(axis=1)).ravel()
        keep = np.flatnonzero((nz_other == 0) & (nz_z > 0))
        sub = A[:, zc].tocsr()[keep]
        self.h = new_highs(msg=opts.msg, threads=opts.threads, seed=opts.seed, mip_rel_gap=opts.mip_rel_gap)
        pass_arrays(self.h, cost, lb, ub, sub, model.row_lo[keep], model.row_up[keep], np.ones(n, bool), maximize=True)
        # a few dozen rows and columns: presolve and the primal heuristics cost more than they save (measured:
        # a master with 30 cuts from 0.94 s to 0.15 s), nor do strong branching, cuts below the root, symmetry
        # detection and restarts (measured on the 69 masters of cut20's explanations, saved and re-solved:
        # 7.7 s -> 4.5 s, the same optima)
        small_mip(self.h, cuts_at_nodes=False)
        self.n_cuts = 0
        self.cuts = []  #: (master columns, coefficients, lo, up) of every cut, valid for every integer plan

    def add_row(self, coef: np.ndarray, lo: float, up: float) -> None:
        nz = np.flatnonzero(np.abs(coef) > 1e-12)
        self.h.addRow(lo, up, len(nz), nz.astype(np.int32), coef[nz].astype(float))
        self.cuts.append((nz, coef[nz].astype(float), lo, up))
        self.n_cuts += 1

    def fix_zero(self, j: int) -> None:
        self.h.changeColBounds(int(j), 0.0, 0.0)

    def solve(self, time_limit: float):
        self.h.setOptionValue("time_limit", float(max(time_limit, 0.05)))
        return run(self.h, mip=True)


class _Check:
    """The full model as an LP (works continuous), z fixed, shared rows elastic (violation priced at 1)."""

    def __init__(self, model, opts):
        self.model = model
        rows = [(fam, key, r) for fam in COUPLING for key, r in model.rows.get(fam, {}).items()]
        self.crows = rows
        m = model.n_rows
        n = model.n_cols
        sr, sc, sv = [], [], []
        self.sign = np.zeros(len(rows))  # +1: a <= row; -1: a >= row
        for k, (fam, key, r) in enumerate(rows):
            if np.isfinite(model.row_up[r]):
                sr.append(r)
                sc.append(k)
                sv.append(-1.0)
                self.sign[k] = 1.0
            else:
                sr.append(r)
                sc.append(k)
                sv.append(1.0)
                self.sign[k] = -1.0
        S = sp.csr_matrix((sv, (sr, sc)), shape=(m, len(rows)))
        A = sp.hstack([model.A, S], format="csr")
        cost = np.concatenate([np.zeros(n), np.ones(len(rows))])
        lb = np.concatenate([model.col_lb, np.zeros(len(rows))])
        ub = np.concatenate([model.col_ub, np.full(len(rows), INF)])
        self.h = new_highs(msg=opts.msg, threads=opts.threads, seed=opts.seed)
        pass_arrays(self.h, cost, lb, ub, A, model.row_lo, model.row_up, None, maximize=False)
        self.zc = None

    def solve(self, zc: np.ndarray, zval: np.ndarray):
        self.h.changeColsBounds(len(zc), zc.astype(np.int32), zval.astype(float), zval.astype(float))
        r = run(self.h, mip=False)
        return r


def _money_knapsacks(model):
    """Knapsack rows over the works implied by the money rows (Gale's condition on the funding network).

    For a set T of sources (a union of eligibility sets) and a year y: the works whose every eligible
    source is in T are paid from T alone, so sum k_o x[o, y] <= sum_{s in T} B[s, y] when no source
    of T carries money over, and cumulatively (years <= y) in every case. The LP already implies them;
    written over the binary works they let the solver cut like in a knapsack. They were added for the
    refutations; with HiGHS 1.16 those are faster without them, so only the restricted completions and
    the whole completion under an equity minimum (plan-finders) carry them (see ``Decomposition.whole``).
    Not written for a variant whose budgets are relaxed for one location.
    """
    if "budget" in model.spec.relax:
        return None
    inp = model.inp
    f = inp.funding
    src = inp.options["sources"].to_numpy()
    cost = inp.options["cost_m"].to_numpy(float)
    Y = model.xcol.shape[1]
    sets = {frozenset(x) for x in src}
    closure = set(sets)
    grew = True
    while grew:
        grew = False
        for a in list(closure):
            for b in sets:
                u = a | b
                if u not in closure:
                    closure.add(u)
                    grew = True
    rr, cc, vv, up = [], [], [], []
    for T in sorted(closure, key=lambda t: sorted(t)):
        rows = [o for o in range(len(src)) if frozenset(src[o]) <= T]
        if not rows:
            continue
        si = [f.sources.index(s) for s in T]
        carry = any(f.carry_over[s] for s in T)
        for y in range(Y):
            for cum in ((False, True) if y > 0 else (False,)):
                if not cum and carry:
                    continue
                ys = range(y + 1) if cum else [y]
                k = len(up)
                for o in rows:
                    for yy in ys:
                        rr.append(k)
                        cc.append(model.xcol[o, yy])
                        vv.append(cost[o])
                up.append(float(sum(f.budget_rp[i, yy] for i in si for yy in ys)) / 1e6)
    if not up:
        return None
    A = sp.csr_matrix((vv, (rr, cc)), shape=(len(up), model.n_cols))
    return A, np.full(len(up), -INF), np.asarray(up)


class _Completion:
    """The full MIP with z fixed, as a feasibility problem; optionally restricted to a set of options."""

    def __init__(self, model, opts, proof_mode: bool = True, knapsacks: bool = True):
        self.model = model
        self.h = new_highs(msg=opts.msg, threads=opts.threads, seed=opts.seed, mip_rel_gap=opts.mip_rel_gap)
        A, lo, up = model.A, model.row_lo, model.row_up
        extra = _money_knapsacks(model) if knapsacks else None
        self.n_extra = 0 if extra is None else len(extra[2])
        if extra is not None:
            A = sp.vstack([A, extra[0]], format="csr")
            lo, up = np.concatenate([lo, extra[1]]), np.concatenate([up, extra[2]])
        pass_arrays(self.h, np.zeros(model.n_cols), model.col_lb, model.col_ub, A, lo, up,
                    model.col_integer, maximize=True)
        self.h.setOptionValue("mip_max_nodes", int(COMPLETION_NODES))
        if proof_mode:
            # the completions that matter are the ones with no plan (a refutation): HiGHS's primal heuristics
            # and restarts only cost time there, and the LP plus branching find a plan where there is one
            # (measured on the embedded city: at 0.825 of its budget four refutations 13.5 s -> 8.0 s, a failed
            # restricted stage 1.2-3.0 s -> 0.3-1.0 s; cut20's explanations, all completions 24.5 s -> 17.3 s)
            self.h.setOptionValue("mip_heuristic_effort", 0.0)
            for k in _PROOF_OFF:
                self.h.setOptionValue(k, False)
        o_loc = model.inp.options["loc"].to_numpy().astype(np.int64)
        self.o_loc = o_loc
        self.lb, self.ub = model.col_lb.copy(), model.col_ub.copy()

    def solve(self, zc, zval, keys, time_limit: float, allowed: np.ndarray | None = None):
        """Integer works for the clearings ``zval``; with ``allowed`` (bool per option) only those options,
        at slum locations only up to their clearing year (a restriction: infeasible proves nothing)."""
        m = self.model
        lb, ub = m.col_lb.copy(), m.col_ub.copy()
        lb[zc], ub[zc] = zval, zval
        if allowed is not None:
            cleared = _cleared_year(keys, zval)
            off = ~allowed | _left_on_list(m, self.o_loc, cleared)
            ub[m.xcol[off]] = 0.0
            for o in np.flatnonzero(~off):
                t = cleared.get(int(self.o_loc[o]))
                if t is not None:
                    ub[m.xcol[o, t + 1:]] = 0.0
        changed = np.flatnonzero((lb != self.lb) | (ub != self.ub))
        if len(changed):
            self.h.changeColsBounds(len(changed), changed.astype(np.int32), lb[changed], ub[changed])
            self.lb, self.ub = lb, ub
        self.h.setOptionValue("time_limit", float(max(time_limit, 0.05)))
        return run(self.h, mip=True)



_NOT_RUN = HighsRun("not run", 0, None, None, None, None, None, None, 0.0, 0)


def _cleared_year(keys, zval) -> dict:
    """Location -> first year index with z = 1."""
    out = {}
    for (i, y), v in zip(keys, zval):
        if v > 0.5 and (i not in out or y < out[i]):
            out[i] = y
    return out


def _left_on_list(model, o_loc: np.ndarray, cleared: dict) -> np.ndarray:
    """Bool per option: at a slum location that ``cleared`` (location -> year index) does not clear."""
    return np.array([(int(i), 0) in model.zcol and int(i) not in cleared for i in o_loc], dtype=bool)


def _package_options(model, keys, zval) -> np.ndarray:
    """Bool per option: in the cheapest clearing package of a location the clearings clear."""
    allowed = np.zeros(len(model.inp.options), bool)
    for i in _cleared_year(keys, zval):
        allowed[model.min_package.get(i, [])] = True
    return allowed


def _location_data(model):
    """Per location its option rows; per option and year the money columns of its group (padded with -1)."""
    inp = model.inp
    o_loc = inp.options["loc"].to_numpy().astype(np.int64)
    by_loc: dict = {}
    for o, i in enumerate(o_loc):
        by_loc.setdefault(int(i), []).append(o)
    n_opt, Y = model.xcol.shape
    width = max((len(srcs) for srcs, _ in model.groups.values()), default=1)
    mcols = np.full((n_opt, Y, width), -1, dtype=np.int64)
    for (i, g), (srcs, rows) in model.groups.items():
        for o in rows:
            for y in range(Y):
                for k, s in enumerate(srcs):
                    mcols[o, y, k] = model.mcol[(i, g, y, s)]
    return by_loc, mcols


def _lagrangian_cut(model, master, crow_u, crow_rows, by_loc, mcols):
    """Coefficients on the master's z and the right-hand side of sum_i phi_i(t_i) <= u.b (priced by ``u``)."""
    inp = model.inp
    Y = len(inp.years)
    A = model.A
    # price of every column on the shared rows, in <= form
    ucol = np.zeros(model.n_rows)
    rhs = 0.0
    for k, r in enumerate(crow_rows):
        u = crow_u[k]
        if u <= 0:
            continue
        if np.isfinite(model.row_up[r]):
            ucol[r] = u
            rhs += u * model.row_up[r]
        else:
            ucol[r] = -u
            rhs -= u * model.row_lo[r]
    price = A.T @ ucol  # per column
    opts = inp.options
    crit = opts["criterion"].to_numpy()
    delta = opts["delta_score"].to_numpy()
    cost = opts["cost_m"].to_numpy(float)
    need = inp.need().astype(int)
    legal = inp.locations["legal_alloc"].to_numpy(bool)
    prec = inp.precedence
    prec_done = inp.locations["location_id"].astype(str).isin(inp.precedence_done).to_numpy()
    relax_loc = model.spec.relax_loc if "precedence" in model.spec.relax else None
    coef = np.zeros(len(master.keys))
    const = 0.0
    infeasible = []
    pm = np.where(mcols >= 0, price[np.maximum(mcols, 0)], np.inf).min(axis=2)  # cheapest source per option-year
    pc_all = price[model.xcol] + cost[:, None] * np.where(np.isfinite(pm), pm, 0.0)
    for i, rows in by_loc.items():
        rows = np.asarray(rows, dtype=np.int64)
        pc = pc_all[rows]
        c_by_t = np.minimum.accumulate(pc, axis=1)
        c_any = pc.min(axis=1)
        has_z = (i, 0) in model.zcol
        free = ~np.any(c_by_t != 0.0, axis=0)  # years whose works are all free: phi is 0 where clearable
        phi = np.where(np.isfinite(model.min_cost.get(i, np.inf)), 0.0, np.inf) * np.ones(Y)
        never = 0.0
        if not (free.all() and np.all(c_any >= 0)):
            keep = ~free
            ph, never = priced_clearing_bounds(crit[rows], delta[rows], c_by_t[:, keep], c_any,
                                               int(need[i]) if has_z else 0, bool(legal[i]),
                                               () if i == relax_loc or prec_done[i] else prec)
            phi[keep] = ph
            phi[~keep] = np.minimum(phi[~keep], never) if np.isfinite(never) else phi[~keep]
        const += never
        if not has_z:
            continue
        for t in range(Y):
            j = master.col[(i, t)]
            nxt = phi[t + 1] if t + 1 < Y else never
            if not np.isfinite(phi[t]):
                infeasible.append(j)
                continue
            # cleared by t means cleared by t + 1, so phi[t + 1] <= phi[t] is finite here
            coef[j] += phi[t] - nxt
    return coef, rhs - const, infeasible


class Decomposition:
    """The decomposition of one built model, kept alive between solves.

    A changed budget (``model.set_budget``) re-solves warm: the LP check and the completion keep
    their HiGHS objects (only the budget rows' bounds change), and the master starts again from its
    year rows and every Lagrangian cut found so far (a cut's prices do not depend on the budgets:
    only its right-hand side u.b is recomputed). Benders and no-good cuts, which do depend on the
    budgets, are dropped.
    """

    def __init__(self, model, opts):
        self.model = model
        self.opts = opts
        self.key = (opts.threads, opts.seed, opts.mip_rel_gap, opts.msg)
        self.check = _Check(model, opts)
        self.comp = _Completion(model, opts)
        self._whole = None  # the whole completion without knapsack rows (see whole), built when first needed
        self.by_loc, self.mcols = _location_data(model)
        self.crow_rows = np.array([r for _, _, r in self.check.crows], dtype=np.int64)
        self.fam_of = [fam for fam, _, _ in self.check.crows]
        self.key_of = [key for _, key, _ in self.check.crows]
        self.budget_rows = np.array(sorted(model.rows.get("budget", {}).values()), dtype=np.int64)
        self.bounds = (model.row_lo[self.budget_rows].copy(), model.row_up[self.budget_rows].copy())
        self._dw = None  # the per-location check, built when first needed (most solves never need it)
        self.lagrangian = []  #: (u over the shared rows, coefficients on z, constant) of every Lagrangian cut
        self.master = None

    @property
    def dw(self):
        """The :class:`~.dwcheck.DWCheck` of this model, or None where it does not apply (a row over
        several locations outside the shared families)."""
        if self._dw is None:
            from .dwcheck import DWCheck

            dw = DWCheck(self.model, self.opts, self.crow_rows)
            self._dw = dw if dw.ok and len(dw.crow) == len(self.crow_rows) else False
        return self._dw or None

    # --- budgets --------------------------------------------------------------------------
    def sync_budgets(self) -> bool:
        """Copy changed budget rows into the HiGHS objects; True when something changed."""
        m = self.model
        lo, up = m.row_lo[self.budget_rows], m.row_up[self.budget_rows]
        if np.array_equal(lo, self.bounds[0]) and np.array_equal(up, self.bounds[1]):
            return False
        rows = self.budget_rows.astype(np.int32)
        extra_h = (self._whole.h,) if self._whole is not None and self._whole is not self.comp else ()
        for h in (self.check.h, self.comp.h) + extra_h:
            h.changeRowsBounds(len(rows), rows, lo.astype(float), up.astype(float))
        extra = _money_knapsacks(m)  # the completion's knapsack rows follow the budgets too
        if extra is not None and self.comp.n_extra == len(extra[2]):
            idx = np.arange(m.n_rows, m.n_rows + self.comp.n_extra, dtype=np.int32)
            self.comp.h.changeRowsBounds(len(idx), idx, extra[1], extra[2])
        if self._dw:
            self._dw.sync_rows()
        self.bounds = (lo.copy(), up.copy())
        self.master = None
        return True

    @property
    def whole(self) -> _Completion:
        """The whole completion MIP without the money knapsack rows, built when a solve first needs it.

        Used where the restricted completions have failed and no equity minimum holds: there the whole MIP
        mostly proves that a set of clearings has no integer plan, an answer the implied rows do not change,
        and HiGHS (1.16) proves it faster without them: on the embedded city at 0.825 of its budget the four
        refutations and the final completion 7.0 -> 4.4-5.0 s, the sweep point 10.6-11.7 -> 8.2-8.3 s.
        The restricted completions keep the rows (the plans they find, and so the explanations' searches,
        stay as measured with them), and so does the whole completion under an equity minimum, where it is
        the plan-finder: the equity scenario's plan comes from it, and without the rows it is another plan
        (its explanations were no faster: 15.0 and 14.6 s against 15.2 and 14.0 s in one process)."""
        if self._whole is None:
            # (a variant whose budgets are relaxed for one location has no knapsack rows: one object serves)
            self._whole = self.comp if self.comp.n_extra == 0 else _Completion(self.model, self.opts, knapsacks=False)
        return self._whole

    def _rhs(self, u: np.ndarray) -> float:
        m = self.model
        r = self.crow_rows
        up, lo = m.row_up[r], m.row_lo[r]
        fin = np.isfinite(up)
        side = np.where(fin, up, -np.where(np.isfinite(lo), lo, 0.0))  # no inf x 0 (a free row has u = 0)
        return float((u * side).sum())

    def _new_master(self) -> _Master:
        """The master: rows in z only, one deadline-knapsack row per year, and the Lagrangian cuts so far."""
        model, f = self.model, self.model.inp.funding
        years = model.inp.years
        master = _Master(model, self.opts)
        # one row per year: the cheapest clearing packages of the locations cleared by y fit in all the
        # money up to y (the Lagrangian cut priced 1 on every budget row up to y, written directly)
        C = np.zeros(len(years))
        for k, (fam, key) in enumerate(zip(self.fam_of, self.key_of)):
            if fam == "budget":
                s, yr = key[0], key[1]  # (source, year) or, for a scoped pool, (source, year, scope)
                yi = years.index(yr)
                up = model.row_up[self.crow_rows[k]]  # carry-over rows are cumulative already
                if f.carry_over[s]:
                    C[yi] += up
                else:
                    C[yi:] += up
        relaxed = "budget" in model.spec.relax
        for y in range(len(years)):
            coef = np.zeros(len(master.keys))
            for (i, t), j in master.col.items():
                if t == y and np.isfinite(model.min_cost.get(i, np.inf)):
                    if not relaxed or int(i) != int(model.spec.relax_loc):
                        coef[j] = model.min_cost[i]
            if np.any(coef > 0):
                master.add_row(coef, -INF, float(C[y]))
        for u, coef, const, inf_cols in self.lagrangian:
            for j in inf_cols:
                master.fix_zero(j)
            if np.any(np.abs(coef) > 1e-12):
                master.add_row(coef, -INF, self._rhs(u) - const)
        return master

    def _add_lagrangian(self, master: _Master, u: np.ndarray) -> None:
        coef, rhs, inf_cols = _lagrangian_cut(self.model, master, u, self.crow_rows, self.by_loc, self.mcols)
        const = self._rhs(u) - rhs
        self.lagrangian.append((u.copy(), coef, const, list(inf_cols)))
        for j in inf_cols:
            master.fix_zero(j)
        if np.any(np.abs(coef) > 1e-12):
            master.add_row(coef, -INF, rhs)

    def _refute(self, master: _Master, zval: np.ndarray, out: dict, deadline: float,
                no_good: bool = True) -> bool:
        """The per-location check of these clearings; if it refutes them, cut (its Lagrangian cut and,
        with ``no_good``, the no-good) and return True."""
        t1 = time.perf_counter()
        verdict, u, low = self.dw.check(_cleared_year(master.keys, zval), _TOL_MONEY, deadline)
        out["time_dw"] += time.perf_counter() - t1
        if _DEBUG:
            print(f"   dw {verdict} lower {low:.4g} {time.perf_counter() - t1:.2f}s {self.dw.stats}", flush=True)
        if verdict != "infeasible":
            return False
        if u is not None:
            self._add_lagrangian(master, u)
        if no_good:
            _no_good(master, zval)
            out["dw_cuts"] += 1
        return True

    # --- the loop ---------------------------------------------------------------------------
    def run(self, deadline: float, incumbent_cb=None, start=None, cutoff: float | None = None) -> dict:
        """Solve (see :func:`solve_decomposed` for what is returned)."""
        model, opts = self.model, self.opts
        check, comp = self.check, self.comp
        crow_rows = self.crow_rows
        t0 = time.perf_counter()
        out = {"method": "decomposed", "iterations": 0, "cuts": 0, "no_good": 0, "time_master": 0.0,
               "time_check": 0.0, "time_completion": 0.0, "time_dw": 0.0, "dw_cuts": 0, "dw_passed": 0, "values": None,
               "objective": None, "bound": None,
               "gap": None, "termination": "error", "tie_status": None, "warm": self.master is not None}
        if model.info.get("forced_without_package"):
            out["termination"] = "infeasible"
            return out
        self.sync_budgets()
        master = self.master = self._new_master()
        zc = master.zc
        best = None  # (values, objective) of the best integer plan found
        # the per-location check goes before the whole completion MIP once that MIP has refuted a set of
        # clearings in this solve, and from the start under a clearance rule with services (their big-M
        # rows make the LP check weak: measured, 02/2016 at 60 s: 395 hectare-years against 381 without)
        hard = bool(model.rows.get("services"))
        # packing: the cheapest-package restriction was proven infeasible only after branching (not at its
        # root) in this solve. Then what binds is which year each work takes under the yearly pools and
        # kelurahan caps (see Known limits in docs/allocation.md): the LP-support restriction fails too, the
        # per-location check (which mixes plans of different years) lets the sets through, and once a set has
        # been cut off the package restriction keeps failing. Seen on the embedded city (the sweep's points, a
        # 30-level scan of its budget, cut20's explanations): the package restriction branched in two solves
        # (0.825 and 0.85 of the budget), and there every one of these failed (11 attempts, 0.2-1.7 s each);
        # where it failed at its root they found plans or refuted sets. So with ``packing`` the LP-support
        # restriction is skipped, the first refutation does not switch the per-location check on (under a
        # clearance rule with services it is on from the start and stays on), and once a set has been cut off
        # the package restriction is skipped too: the loop goes straight to the whole MIP, which decides every
        # set as before (search order only; 0.825: 8.2 -> 5.5 s; 0.85: 24.5 -> 21.9 s; the hearing set's plans
        # and cut20's explanations unchanged).
        packing = False
        max_iter = 200
        gap_tol = opts.mip_rel_gap

        def keep(values):
            nonlocal best
            vals, out["pruned"] = prune(model, values)
            obj = float(model.col_cost @ vals)
            if best is None or obj > best[1] + 1e-9:
                best = (vals, obj)
                if incumbent_cb is not None:
                    incumbent_cb(vals, obj, out["bound"])

        def dw_idle() -> bool:
            # the per-location check is skipped for the rest of a solve once it has let through more sets of
            # clearings that the whole MIP then refuted than it refuted itself: there the shortfall is in
            # mixing whole plans - measured on the embedded city at 0.825 of its budget and in the cut20
            # binding re-solves: which year each work takes, under yearly pools that do not carry over
            # (with the works' years fractional and their choice whole, all the refuted sets have plans) -
            # which only the MIP sees, and each check costs seconds
            return out["dw_passed"] > out["dw_cuts"]

        def proven(bound) -> bool:
            return best is not None and best[1] >= bound - gap_tol * max(1.0, abs(bound)) - 1e-9

        if start:
            vals = plan_from_works(model, start)
            if vals is not None:
                keep(vals)
                out["start_used"] = True

        while True:
            if time.perf_counter() > deadline:
                out["termination"] = "time_limit"
                break
            if out["iterations"] >= max_iter:
                out["termination"] = "iteration_limit"
                break
            out["iterations"] += 1
            t1 = time.perf_counter()
            mr = master.solve(deadline - time.perf_counter())
            out["time_master"] += time.perf_counter() - t1
            if _DEBUG:
                print(f"it {out['iterations']}: master {mr.model_status} obj {mr.objective} bound {mr.bound} "
                      f"{time.perf_counter() - t1:.2f}s", flush=True)
            if mr.model_status == "kInfeasible":
                out["termination"] = "optimal" if best is not None else "infeasible"
                break
            if mr.values is None:
                out["termination"] = "time_limit"
                break
            out["bound"] = mr.bound if mr.model_status == "kOptimal" else max(mr.bound, mr.objective)
            if proven(out["bound"]):  # the best plan found reaches the master's bound
                out["termination"] = "optimal"
                break
            if cutoff is not None and out["bound"] < cutoff:  # no plan reaches the cutoff: the question is answered
                out["termination"] = "cutoff"
                break
            zval = np.round(mr.values)
            out["last_z"] = zval  # the master's latest answer (the fall-back's restricted stage starts there)
            t1 = time.perf_counter()
            cr = check.solve(zc, zval)
            out["time_check"] += time.perf_counter() - t1
            viol = cr.objective if cr.objective is not None else np.inf
            if _DEBUG:
                print(f"   check {cr.model_status} viol {viol:.4g} n_on {int(zval.sum())}", flush=True)
            if cr.model_status != "kOptimal" or viol > _TOL_MONEY:
                if cr.model_status != "kOptimal" or cr.row_dual is None:
                    _no_good(master, zval)
                    out["no_good"] += 1
                    continue
                # Benders cut: V(z) >= V* + d.(z - z*) must be <= 0
                d = cr.col_dual[zc]
                master.add_row(d, -INF, float(d @ zval - viol + _TOL_MONEY * 0.5))
                # Lagrangian cut priced by the duals of the shared rows
                yrow = cr.row_dual[crow_rows]
                u = np.maximum(0.0, np.where(check.sign > 0, -yrow, yrow))
                self._add_lagrangian(master, u)
                continue
            t1 = time.perf_counter()
            dw_passed = False
            # integer works for these clearings: first among each location's cheapest package, then also
            # the options the LP used (restrictions: quick when they succeed, prove nothing when not)
            allowed = _package_options(model, master.keys, zval)
            comp_r = _NOT_RUN
            if not (packing and out["no_good"]):
                # (skipped once the cheapest packages needed branching to fail and a set has been cut off: see
                # ``packing`` above)
                comp_r = comp.solve(zc, zval, master.keys, deadline - time.perf_counter(), allowed)
                packing = packing or (comp_r.model_status == "kInfeasible" and comp_r.nodes > 1)
            stage = "package"
            if _DEBUG:
                print(f"   package {comp_r.model_status} {comp_r.nodes} nodes {time.perf_counter() - t1:.2f}s",
                      flush=True)
            if comp_r.values is None and not out["no_good"] and not packing:
                # (skipped once the whole completion MIP has refuted a set in this solve: money is then so tight
                # that this restriction mostly fails too, at a second of proof each time; the whole MIP finds
                # the plan when there is one; and skipped when the package restriction needed branching to fail)
                allowed |= (cr.values[model.xcol] > 1e-9).any(axis=1)
                comp_r = comp.solve(zc, zval, master.keys, deadline - time.perf_counter(), allowed)
                stage = "lp_support"
                if _DEBUG:
                    print(f"   lp_support {comp_r.model_status} {comp_r.nodes} nodes {time.perf_counter() - t1:.2f}s",
                          flush=True)
            if comp_r.values is None and hard and self.dw is not None and not dw_idle():
                # before the whole MIP, once it has refuted a set of clearings in this solve (money this
                # tight): whole location plans mixed only across locations - a relaxation, seconds cheaper
                # than the MIP; when it fails it proves there is no integer plan, and its prices cut
                out["time_completion"] += time.perf_counter() - t1
                if self._refute(master, zval, out, deadline):
                    if out["dw_cuts"] + out["no_good"] >= MAX_REFUTED:
                        out["termination"] = "no_good_limit"
                        break
                    continue
                dw_passed = True  # the check let these clearings through: did the MIP refute them?
                t1 = time.perf_counter()
            if comp_r.values is None:
                # the whole MIP over the works: only it proves that these clearings have no integer plan
                # (works that cannot help clear a location by its year only spend money, so they stay
                # out unless an equity minimum asks for spend)
                stage = "full"
                equity = float(model.inp.scenario["rules.equity_min_share"]) > 0
                useful = None if equity else np.ones(len(allowed), bool)
                # without an equity minimum the whole completion mostly refutes (the restrictions above find
                # the plans), and HiGHS proves that faster without the money knapsack rows; with one it is
                # where plans are found (the equity rows need works beyond the cheapest packages), and it keeps
                # the rows so that those plans stay as they were (see Decomposition.whole)
                whole = comp if equity else self.whole
                comp_r = whole.solve(zc, zval, master.keys, deadline - time.perf_counter(), useful)
            if _DEBUG:
                print(f"   completion {stage} {comp_r.model_status} {time.perf_counter() - t1:.2f}s", flush=True)
            if comp_r.values is None:
                out["time_completion"] += time.perf_counter() - t1
                if comp_r.model_status == "kInfeasible":
                    _no_good(master, zval)
                    out["no_good"] += 1
                    if dw_passed:
                        out["dw_passed"] += 1
                    if not hard and self.dw is not None and not packing:
                        # the first refuted set: from now on the per-location check goes first, and its
                        # prices on this set cut the master further than the no-good alone
                        hard = True
                        if not self._refute(master, zval, out, deadline, no_good=False):
                            out["dw_passed"] += 1
                    if out["no_good"] >= MAX_NO_GOOD or out["dw_cuts"] + out["no_good"] >= MAX_REFUTED:
                        # many clearings in a row that the money cannot pay in whole works (tight yearly pools):
                        # the whole MIP is better at this packing; it starts from the greedy plan
                        out["termination"] = "no_good_limit"
                        break
                    continue
                out["termination"] = "time_limit" if comp_r.model_status == "kTimeLimit" else "completion_limit"
                out["completion_status"] = comp_r.model_status
                break
            keep(comp_r.values)
            out["completion_stage"] = stage
            out["time_completion"] += time.perf_counter() - t1
            if _DEBUG:
                print(f"   completion {stage} {time.perf_counter() - t1:.2f}s best {best[1] if best else None}",
                      flush=True)
            if proven(out["bound"]):
                out["termination"] = "optimal"
                break
        if best is not None:
            out["values"], out["objective"] = best
            b = out["bound"] if out["bound"] is not None else best[1]
            out["bound"] = max(b, best[1])
            out["gap"] = (out["bound"] - best[1]) / max(abs(best[1]), 1e-9) if best[1] else (
                0.0 if out["bound"] <= 1e-9 else np.inf)
        out.setdefault("last_z", None)
        out["packing"] = packing
        out["z_keys"] = master.keys
        out["cuts"] = master.n_cuts
        # the cuts as rows over the model's columns (for the whole MIP if it takes over)
        out["cut_rows"] = [(zc[cols], vals, lo, up) for cols, vals, lo, up in master.cuts]
        out["time"] = time.perf_counter() - t0
        if _DEBUG:
            print(f"DONE {out['termination']} t={out['time']:.2f} it={out['iterations']} nogood={out['no_good']} "
                  f"dw_cuts={out['dw_cuts']} t_dw={out['time_dw']:.2f} t_comp={out['time_completion']:.2f} "
                  f"t_master={out['time_master']:.2f} t_check={out['time_check']:.2f} cuts={master.n_cuts}", flush=True)
        return out


def plan_from_works(model, start: dict) -> np.ndarray | None:
    """A whole solution (money, clearings, starts) for the works of a MIP start, or None if they break a rule.

    ``start``: column -> value for the works' columns (1 done, 0 not; columns not named are not done).
    The works are fixed and the rest solved as a small MIP with the model's objective (the clearings
    and starts follow from the works); the answer is checked against every row before it is used.
    """
    x = model.xcol.ravel()
    on = np.zeros(model.n_cols)
    for k, v in start.items():
        on[int(k)] = float(v)
    lb, ub = model.col_lb.copy(), model.col_ub.copy()
    xv = np.round(on[x])
    if np.any(xv < lb[x] - 1e-9) or np.any(xv > ub[x] + 1e-9):
        return None
    lb[x], ub[x] = xv, xv
    h = new_highs(threads=1, seed=20160, mip_rel_gap=1e-9)
    h.setOptionValue("mip_max_nodes", 200)
    pass_arrays(h, model.col_cost, lb, ub, model.A, model.row_lo, model.row_up, model.col_integer,
                maximize=model.sense == "max")
    r = run(h, mip=True)
    if r.values is None:
        return None
    act = model.A @ r.values
    tol = 1e-6 * (1.0 + np.abs(act))
    if np.any(act < model.row_lo - tol) or np.any(act > model.row_up + tol):
        return None
    return r.values


def solve_decomposed(model, opts, deadline: float, incumbent_cb=None, start: dict | None = None,
                     cutoff: float | None = None) -> dict:
    """Run the clearing-year decomposition on a built model (hectares objective).

    The :class:`Decomposition` is kept on the model (``model._engine``), so a second solve after a
    budget change re-solves warm.

    Parameters
    ----------
    model : :class:`~.model.AllocationModel` (not elastic; ``sense == "max"``)
    opts : :class:`~.solve.SolverOptions`
    deadline : ``time.perf_counter()`` value at which to stop
    incumbent_cb : called with ``(values, objective, bound)`` whenever a plan is completed
    start : works of a plan known to be feasible (column -> value, as a MIP start): its whole
        solution (:func:`plan_from_works`) is the first incumbent - a re-solve with more money
        then stops as soon as the master proves that the money buys nothing more
    cutoff : stop as soon as the master's bound is below this value (termination ``cutoff``): the
        question "does any plan reach it?" is then answered no; the plan found so far, if any, and
        the bound are returned

    Returns
    -------
    dict with ``values`` (column values of the model or None), ``objective``, ``bound``, ``gap``,
    ``termination`` (``optimal``, ``infeasible``, ``time_limit``, ``iteration_limit``,
    ``no_good_limit``, ``cutoff``), ``iterations``, ``cuts``, ``cut_rows`` (the master's cuts over the model's
    columns) and timings.
    """
    eng = getattr(model, "_engine", None)
    if eng is None or eng.key != (opts.threads, opts.seed, opts.mip_rel_gap, opts.msg):
        eng = Decomposition(model, opts)
        model._engine = eng
    return eng.run(deadline, incumbent_cb, start, cutoff)


#: HiGHS's primal heuristic effort in :func:`best_within` (default 0.05). Measured on the 02/2016 hearing
#: scenario's restriction: 0.3 proves its optimum (408.15) within 300 nodes, 17 s; 0.05 stops at 300
#: nodes with 388.95 against a bound of 412.37.
WITHIN_HEURISTIC_EFFORT = 0.3
#: Node limit of :func:`best_within` (a work limit: the same plan on any machine; 02/2016's restriction is
#: proven in about 300 nodes)
WITHIN_NODES = 1000


def best_within(model, opts, keys, zval: np.ndarray, deadline: float, start: dict | None = None, cuts=None):
    """The best plan that clears only what ``zval`` clears, each location by its year there or later.

    A restriction of the whole problem (every row of the model kept; z <= z*, and the works of slum
    locations that z* leaves on the list are not offered, unless an equity minimum asks for spend
    there), solved as one MIP to the model's gap, to ``WITHIN_NODES`` nodes or to ``deadline``. Used
    after the decomposition stops without a proof, before the whole MIP: the master's last answer is a
    set of clearings with no integer plan, yet most of it can be kept, and the best subset is a start
    the whole MIP finds slowly (measured on the 02/2016 hearing scenario: 408.15 hectare-years, proven
    within the restriction in about 20 s, where the whole MIP from the greedy plan had 382-395 after
    40 s and needed 635 s to find the optimum, 427.58).

    ``cuts``: the master's cuts as rows over the model's columns (``solve_decomposed``'s ``cut_rows``),
    added to the restriction (valid for every integer plan).

    Returns the :class:`~.highs.HighsRun` of the restricted MIP.
    """
    m = model
    zc = np.array([m.zcol[k] for k in keys], dtype=np.int64)
    lb, ub = m.col_lb.copy(), m.col_ub.copy()
    ub[zc] = np.minimum(ub[zc], zval)
    if not float(m.inp.scenario["rules.equity_min_share"]) > 0:
        ub[m.xcol[_left_on_list(m, m.inp.options["loc"].to_numpy(), _cleared_year(keys, zval))]] = 0.0
    h = new_highs(msg=opts.msg, threads=opts.threads, seed=opts.seed, mip_rel_gap=opts.mip_rel_gap,
                  time_limit=max(deadline - time.perf_counter(), 0.05))
    A, lo, up = with_cuts(m.A, m.row_lo, m.row_up, cuts, m.n_cols)  # measured on 02/2016: the stage 30 -> 20 s
    pass_arrays(h, m.col_cost, lb, ub, A, lo, up, m.col_integer, maximize=True)
    h.setOptionValue("mip_heuristic_effort", WITHIN_HEURISTIC_EFFORT)
    h.setOptionValue("mip_max_nodes", WITHIN_NODES)
    set_start(h, start)
    return run(h, mip=True)


def with_cuts(A, lo, up, cuts, n_cols: int):
    """The rows ``A``, ``lo``, ``up`` with the master's cuts (``cut_rows``: columns, coefficients, lo, up)
    appended; the cuts hold for every integer plan."""
    if not cuts:
        return A, lo, up
    rr = np.concatenate([np.full(len(c), k) for k, (c, _, _, _) in enumerate(cuts)])
    cc = np.concatenate([c for c, _, _, _ in cuts])
    vv = np.concatenate([v for _, v, _, _ in cuts])
    C = sp.csr_matrix((vv, (rr, cc)), shape=(len(cuts), n_cols))
    return (sp.vstack([A, C], format="csr"), np.concatenate([lo, [c[2] for c in cuts]]),
            np.concatenate([up, [c[3] for c in cuts]]))


def _no_good(master: _Master, zval: np.ndarray) -> None:
    """sum_{z* = 1} (1 - z) >= 1: at least one of these clearings must go (or come later).

    Valid because a plan is monotone in z: a plan that clears everything z* clears, by the same
    years or earlier, is also a plan for z*. So if z* has no integer plan, no z >= z* has one, and
    one cut removes them all (not only z* itself).
    """
    on = zval > 0.5
    master.add_row(np.where(on, -1.0, 0.0), 1.0 - float(on.sum()), INF)
