"""The allocation model, built as arrays: one ``define_*`` function per family of constraints.

Create model -> (caller may change budgets, or edit the PuLP view) -> solve (:mod:`.solve`) ->
assign solution -> post-process (:mod:`.results`). The formulation is written up in
``docs/allocation.md``. Money is in millions of rupiah inside the model.

The model is assembled as a sparse matrix with numpy (columns: bounds, costs, integrality; rows:
CSR with lower and upper bounds) and handed to HiGHS in bulk (:mod:`.highs`). Each constraint
family is one function below whose docstring states its inequality; a row keeps its family and key
(``model.rows["budget"][("apbn", 2017)]`` is a row index). A *variant* of the model for the
evidence (a location forced in or out, a rule family relaxed for one location, weighted hectares,
works tied to one year, fixed works) is chosen when the model is built (:class:`ModelSpec`), never
by editing built constraints.

PuLP stays the modelling layer a notebook sees: ``model.prob``, ``model.x``, ``model.z``,
``model.m`` and ``model.cons`` give a PuLP view of the same model on first use (built from the
arrays; after a solve its variables carry the solution). Editing that view (``model.prob += ...``)
before solving makes the solver use the view as written.

Variables
---------
``x[o, y]`` binary: option ``o`` (location, criterion, target band; or resettlement /
legalisation of a location) done in year ``y``.
``m[i, g, y, s]`` >= 0 [million Rp]: money of source ``s`` for the works of money group ``g`` at
location ``i`` in year ``y`` (a group = the works at a location with the same set of eligible
sources; works in a group share the money in proportion to cost).
``z[i, y]`` binary: slum location ``i`` is below the slum threshold by the end of year ``y``.
``st[i, y]`` binary (only with capacity rules): location ``i`` started in year ``y``.
``uw[i, y]``, ``us[i, y]`` >= 0 (households objective): households still without safe water /
proper sanitation at ``i`` at the end of ``y``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .costing import LOCATION_WORKS
from .inputs import AllocationInput
from .packages import package_from_arrays
from .rules import RELAXABLE

__all__ = ["AllocationModel", "ModelSpec", "build_model", "RELAXABLE", "TIE_BREAK_SHARE", "kelurahan_keys"]

INF = float("inf")
#: The whole tie-break is worth at most this fraction of the smallest location's hectare-year.
TIE_BREAK_SHARE = 0.01
#: Penalties in the diagnostic (elastic) models.
_PEN_REQ = 1e6  # per hectare / per location / per million Rp of unmet requirement
_PEN_MONEY = 1.0  # per million Rp of extra money
#: Rule families of the built model that a variant may relax for one location (the others -
#: eligibility, authority, legality - are relaxed by rebuilding that location's options).


@dataclass(frozen=True)
class ModelSpec:
    """What a variant of the model changes, decided when the model is built.

    Attributes
    ----------
    force_in : location positions that must be cleared by the last year (``z[i, Y] = 1``)
    force_out : location positions that may get no works
    relax_loc, relax : one location position and the rule families (:data:`RELAXABLE`) relaxed
        for it alone (its money outside the budgets / caps; no precedence rows; its starts
        outside the capacity caps; its works outside the equity rows)
    loc_weight : per-location multiplier of the area in the hectares objective (None = 1)
    same_year : groups of option rows done together: for each group and year, all or none
    fixed : ``(option_row, year_index)`` pairs fixed to 1 (works already decided)
    only_options : option rows the plan may use (None: all): a restriction, e.g. another plan's works
        with their years left free
    tie_break : keep the tie-break expression (the second, lexicographic stage)
    """

    force_in: tuple = ()
    force_out: tuple = ()
    relax_loc: int | None = None
    relax: frozenset = frozenset()
    loc_weight: tuple | None = None
    same_year: tuple = ()
    fixed: tuple = ()
    only_options: tuple | None = None
    tie_break: bool = True

    def __post_init__(self):
        bad = set(self.relax) - set(RELAXABLE)
        if bad:
            raise ValueError(f"cannot relax {sorted(bad)} in the built model; relaxable: {RELAXABLE}")
        if self.relax and self.relax_loc is None:
            raise ValueError("relax needs relax_loc")


class _Rows:
    """Rows collected family by family (COO entries), finished into one CSR matrix."""

    def __init__(self):
        self.r, self.c, self.v = [], [], []
        self.lo, self.up = [], []
        self.family: dict = defaultdict(dict)

    def add(self, family: str, key, cols, vals, lo: float, up: float) -> int:
        k = len(self.lo)
        self.r.extend([k] * len(cols))
        self.c.extend(cols)
        self.v.extend(vals)
        self.lo.append(lo)
        self.up.append(up)
        if key is not None:
            self.family[family][key] = k
        return k


class _Cols:
    def __init__(self):
        self.lb, self.ub, self.cost, self.integer, self.names = [], [], [], [], []

    def add(self, name: str, lb=0.0, ub=INF, integer=False) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.cost.append(0.0)
        self.integer.append(integer)
        self.names.append(name)
        return len(self.lb) - 1

    def add_many(self, names: list, lb=0.0, ub=INF, integer=False) -> int:
        """Columns ``names`` in one go (``lb``, ``ub``: one value for all, or one per column); the first's index."""
        n, first = len(names), len(self.lb)
        self.lb.extend(lb if isinstance(lb, list) else [lb] * n)
        self.ub.extend(ub if isinstance(ub, list) else [ub] * n)
        self.cost.extend([0.0] * n)
        self.integer.extend([integer] * n)
        self.names.extend(names)
        return first


@dataclass
class AllocationModel:
    """A built model: arrays for HiGHS plus the index of every variable and row.

    Attributes
    ----------
    inp : AllocationInput (the variant's input)
    spec : ModelSpec
    col_lb, col_ub, col_cost, col_integer : ndarray per column (cost: the main objective, as
        maximised or minimised per ``sense``)
    col_names : list of str
    A : scipy.sparse.csr_matrix (rows x columns)
    row_lo, row_up : ndarray per row
    rows : dict family -> dict key -> row index
    xcol : ndarray (options x years) of column indices
    zcol : dict (loc, year index) -> column;  mcol : dict (loc, group, year index, source) -> column
    stcol, uwcol, uscol, slackcol : dicts -> column
    groups : dict (loc, group) -> (sources tuple, option rows)
    sense : ``"max"`` or ``"min"``
    tie_cost : ndarray per column or None (the tie-break, maximised in a second stage)
    objective_constant : float added to the objective (households)
    """

    inp: AllocationInput
    spec: ModelSpec
    col_lb: np.ndarray
    col_ub: np.ndarray
    col_cost: np.ndarray
    col_integer: np.ndarray
    col_names: list
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_up: np.ndarray
    rows: dict
    xcol: np.ndarray
    zcol: dict
    mcol: dict
    stcol: dict
    uwcol: dict
    uscol: dict
    slackcol: dict
    groups: dict
    sense: str
    tie_cost: np.ndarray | None = None
    objective_constant: float = 0.0
    tie_break_eps: float = 0.0
    elastic: str | None = None
    build_time_s: float = 0.0
    min_cost: dict = field(default_factory=dict)  #: loc -> cheapest clearing package [million Rp]
    min_package: dict = field(default_factory=dict)  #: loc -> option rows of that package
    info: dict = field(default_factory=dict)
    #: solution (after a solve): column values, or None
    values: np.ndarray | None = None
    _pulp: object = None  #: the PuLP view, once built

    # ------------------------------------------------------------------------------------------
    @property
    def n_cols(self) -> int:
        return len(self.col_lb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    def set_budget(self, source: str, year: int, budget_rp: float, scope: str = "") -> None:
        """Change one budget [Rp] in place (the rows of that source keep their carry-over rule).

        ``scope``: the pool's scope as in the budget table's keys (``province:NAME``, ``city:NAME``);
        empty for a source's budget over the whole data set.
        """
        f = self.inp.funding
        si, yi = f.sources.index(source), f.years.index(year)
        p = f.pools.index((source, scope)) if (source, scope) in f.pools else None
        if p is None:
            raise KeyError(f"no budget of {source!r} for scope {scope or 'national'!r}; pools: {f.pools}")
        f.budget_rp[si, yi] += float(budget_rp) - f.pool_budget_rp[p, yi]
        f.pool_budget_rp[p, yi] = float(budget_rp)
        for y in f.years:
            r = self.rows.get("budget", {}).get(f.pool_key(p, y))
            if r is None:
                continue
            j = f.years.index(y)
            rhs = f.pool_budget_rp[p, : j + 1].sum() if f.carry_over[source] else f.pool_budget_rp[p, j]
            self.row_up[r] = rhs / 1e6
        if self._pulp is not None:
            self._pulp.sync_bounds()

    def set_budgets(self, budget_rp: np.ndarray) -> None:
        """Replace every budget [Rp] (sources x years) in place; a kept decomposition re-solves warm."""
        f = self.inp.funding
        b = np.asarray(budget_rp, dtype=float)
        if b.shape != f.budget_rp.shape:
            raise ValueError(f"budget matrix has shape {b.shape}; expected {f.budget_rp.shape}")
        keys = list(self.rows.get("budget", {}))
        if any(len(k) != 2 for k in keys):
            raise ValueError("this model has budgets with a scope (province / city pools): change them one by one "
                             "with set_budget(source, year, budget_rp, scope)")
        f.budget_rp[:, :] = b
        if getattr(f, "pool_budget_rp", None) is not None and f.pool_budget_rp.shape == b.shape:
            f.pool_budget_rp[:, :] = b
        for (s, y), r in self.rows.get("budget", {}).items():
            si, j = f.sources.index(s), f.years.index(y)
            rhs = b[si, : j + 1].sum() if f.carry_over[s] else b[si, j]
            self.row_up[r] = rhs / 1e6
        if self._pulp is not None:
            self._pulp.sync_bounds()

    def value(self, col) -> float:
        """Solution value of a column (0.0 without a solution)."""
        return 0.0 if self.values is None else float(self.values[col])

    # --- the PuLP view -------------------------------------------------------------------------
    def _view(self):
        if self._pulp is None:
            from .pulp_view import PulpView

            self._pulp = PulpView(self)
        return self._pulp

    @property
    def prob(self):
        """The model as a ``pulp.LpProblem`` (built on first use)."""
        return self._view().prob

    @property
    def x(self) -> dict:
        """``(option_row, year index) -> pulp.LpVariable``."""
        return self._view().x

    @property
    def z(self) -> dict:
        return self._view().z

    @property
    def m(self) -> dict:
        return self._view().m

    @property
    def st(self) -> dict:
        return self._view().st

    @property
    def cons(self) -> dict:
        """``family -> key -> pulp.LpConstraint``."""
        return self._view().cons

    @property
    def slack(self) -> dict:
        return self._view().slack

    @property
    def tie_break(self):
        """The tie-break as a ``pulp.LpAffineExpression`` (None without one)."""
        return self._view().tie_break

    @tie_break.setter
    def tie_break(self, value):
        if value is None:
            self.tie_cost = None
            if self._pulp is not None:
                self._pulp.tie_break = None
        else:
            raise ValueError("set the tie-break through ModelSpec(tie_break=True) when building")

    @property
    def edited(self) -> bool:
        """True when the PuLP view exists (the solver then uses the view, as the caller may have edited it)."""
        return self._pulp is not None and not self._pulp.synced_from_arrays_only


# ----------------------------------------------------------------------------------------------
class _Ctx:
    """Plain arrays and indexes shared by the define_* functions."""

    def __init__(self, inp: AllocationInput, spec: ModelSpec, elastic: str | None):
        self.inp, self.spec, self.elastic = inp, spec, elastic
        sc = inp.scenario
        opts = inp.options
        loc = inp.locations
        self.sc = sc
        self.years = inp.years
        self.Y = len(inp.years)
        self.O = len(opts)
        self.o_loc = opts["loc"].to_numpy().astype(np.int64)
        self.o_crit = opts["criterion"].to_numpy()
        self.o_cost = opts["cost_m"].to_numpy(float)
        self.o_delta = opts["delta_score"].to_numpy(float)
        self.o_qty = opts["quantity"].to_numpy(float)
        self.o_src = opts["sources"].to_numpy()
        self.area = loc["area_ha"].to_numpy(float)
        self.total0 = loc["total_score"].to_numpy(float)
        self.slum = loc["slum"].to_numpy(bool)
        self.cand = loc["candidate"].to_numpy(bool)
        self.legal = loc["legal_alloc"].to_numpy(bool)
        self.kel = loc["kelurahan"].astype(str).to_numpy()
        # locations whose `before` works were done before the horizon: no precedence rows there
        self.prec_done = loc["location_id"].astype(str).isin(inp.precedence_done).to_numpy()
        self.thr = inp.threshold
        self.need = inp.need()  # points to lose under the clearance rule's total
        self.insitu = ~np.isin(self.o_crit, list(LOCATION_WORKS))
        self.by_loc: dict = defaultdict(list)
        self.by_loc_crit: dict = defaultdict(list)
        for o in range(self.O):
            i = int(self.o_loc[o])
            self.by_loc[i].append(o)
            self.by_loc_crit[(i, self.o_crit[o])].append(o)
        self.res_of = {int(self.o_loc[o]): o for o in range(self.O) if self.o_crit[o] == "resettlement"}
        self.leg_of = {int(self.o_loc[o]): o for o in range(self.O) if self.o_crit[o] == "legalisation"}
        slum_locs = {i for i in self.by_loc if self.slum[i]} | {int(i) for i in np.flatnonzero(self.slum & self.cand)}
        self.slum_locs = sorted(slum_locs)
        self.cols = _Cols()
        self.rows = _Rows()
        self.relax_here = (lambda fam, i: spec.relax_loc is not None and int(i) == int(spec.relax_loc)
                           and fam in spec.relax)
        self.slack: dict = defaultdict(dict)


def _xcum(ctx: _Ctx, rows, y: int, coef=None):
    """Columns and coefficients of sum over options ``rows`` of X[o, y] = sum_{y' <= y} x[o, y']."""
    xl, span = ctx.xcol_lists, range(y + 1)
    cols = [xl[o][yy] for o in rows for yy in span]
    vals = [1.0] * len(cols) if coef is None else [coef[k] for k in range(len(rows)) for _yy in span]
    return cols, vals


# ----------------------------------------------------------------------------------------------
# variables
# ----------------------------------------------------------------------------------------------
def define_variables(ctx: _Ctx) -> None:
    """x[o, y] in {0, 1}; m[i, g, y, s] >= 0; z[i, y] in {0, 1} for slum locations.

    Money groups: the works of a location with the same eligible sources share one pool of money;
    in-situ works and location works (legalisation, resettlement) never share a pool, so that the
    community (swadaya) share is measured on in-situ spend only. Options of a forced-out location
    get an upper bound 0; a slum location with no clearing package gets ``z <= 0``.
    """
    c, Y = ctx.cols, ctx.Y
    out = {int(i) for i in ctx.spec.force_out}
    only = None if ctx.spec.only_options is None else {int(o) for o in ctx.spec.only_options}
    ub = [0.0 if int(i) in out or (only is not None and o not in only) else 1.0
          for o, i in enumerate(ctx.o_loc.tolist()) for _y in range(Y)]
    first = c.add_many([f"x_{o}_{y}" for o in range(ctx.O) for y in range(Y)], 0.0, ub, True)
    ctx.xcol = np.arange(first, first + ctx.O * Y, dtype=np.int64).reshape(ctx.O, Y)  # option-major
    ctx.xcol_lists = ctx.xcol.tolist()  # the same, as lists (fast look-ups in the row loops)
    for o, y in ctx.spec.fixed:
        c.lb[ctx.xcol[int(o), int(y)]] = 1.0
    ctx.groups = {}
    for i, rows in ctx.by_loc.items():
        keys = {}
        for o in rows:
            k = (ctx.o_src[o], bool(ctx.insitu[o]))
            if k not in keys:
                keys[k] = len(keys)
                ctx.groups[(i, keys[k])] = (k[0], [])
            ctx.groups[(i, keys[k])][1].append(o)
    keys = [(i, g, y, s) for (i, g), (srcs, _rows) in ctx.groups.items() for y in range(Y) for s in srcs]
    first = c.add_many([f"m_{i}_{g}_{y}_{s}" for i, g, y, s in keys])
    ctx.mcol = dict(zip(keys, range(first, first + len(keys))))
    ctx.zcol = {(i, y): c.add(f"z_{i}_{y}", 0.0, 1.0, True) for i in ctx.slum_locs for y in range(Y)}


# ----------------------------------------------------------------------------------------------
# money
# ----------------------------------------------------------------------------------------------
def define_money_balance(ctx: _Ctx) -> None:
    """sum_{s in S(g)} m[i, g, y, s] = sum_{o in g} k_o x[o, y] for every location, money group and year.

    Every work is paid in full, only by sources eligible for its criterion and its location's authority.
    """
    for (i, g), (srcs, rows) in ctx.groups.items():
        for y in range(ctx.Y):
            cols = [ctx.mcol[(i, g, y, s)] for s in srcs] + [ctx.xcol_lists[o][y] for o in rows]
            vals = [1.0] * len(srcs) + [-ctx.o_cost[o] for o in rows]
            ctx.rows.add("balance", (i, g, ctx.years[y]), cols, vals, 0.0, 0.0)


def _spend_cols(ctx: _Ctx):
    out = defaultdict(list)
    for (i, g, y, s), col in ctx.mcol.items():
        out[(s, y)].append((i, col))
    return out


def define_budgets(ctx: _Ctx) -> None:
    """sum_{i in P, g} m[i, g, y, s] <= B[P, y] for every pool P (a source's money for one scope); with
    carry-over sum_{y' <= y} sum m[., y', s] <= sum_{y' <= y} B[P, y'].

    A pool is a source's budget for the whole data set (key ``(source, year)``, as in a table without
    scopes), for a province or for a city (key ``(source, year, "province:NAME" / "city:NAME")``); its
    row holds only the money of the locations in that scope. A location whose ``budget`` family is
    relaxed spends outside the budgets. In the ``money`` elastic variant each row has a slack priced
    at 1 per million Rp (money that would be missing).
    """
    f = ctx.inp.funding
    spend = _spend_cols(ctx)
    n_loc = len(ctx.inp.locations)
    for p, (s, _scope) in enumerate(f.pools):
        inside = f.locations_of(p, n_loc)
        for y in range(ctx.Y):
            ys = range(y + 1) if f.carry_over[s] else [y]
            cols = [col for yy in ys for (i, col) in spend.get((s, yy), [])
                    if inside[i] and not ctx.relax_here("budget", i)]
            vals = [1.0] * len(cols)
            rhs = float(sum(f.pool_budget_rp[p, yy] for yy in ys)) / 1e6
            key = f.pool_key(p, ctx.years[y])
            if ctx.elastic == "money":
                sl = ctx.cols.add(f"slack_budget_{s}_{y}" + ("" if len(key) == 2 else f"_{p}"))
                ctx.slack["budget"][key] = sl
                cols.append(sl)
                vals.append(-1.0)
            if not cols:
                continue
            ctx.rows.add("budget", key, cols, vals, -INF, rhs)


def kelurahan_keys(locations) -> np.ndarray:
    """The kelurahan of each location as the caps count it: its name, or ``city/kelurahan`` when the
    data set holds several cities (kelurahan names repeat across cities)."""
    kel = locations["kelurahan"].astype(str).to_numpy()
    if "city" in locations and locations["city"].astype(str).nunique() > 1:
        return (locations["city"].astype(str) + "/" + locations["kelurahan"].astype(str)).to_numpy()
    return kel


def define_kelurahan_caps(ctx: _Ctx) -> None:
    """sum_{i in kelurahan k, g} m[i, g, y, s] <= C_s for every capped source, kelurahan and year.

    A kelurahan is named within its city (``city/kelurahan`` when there are several cities).
    """
    f = ctx.inp.funding
    kel = kelurahan_keys(ctx.inp.locations)
    for s in f.sources:
        cap = f.cap_rp.get(s)
        if cap is None:
            continue
        per = defaultdict(list)
        for (i, g, y, ss), col in ctx.mcol.items():
            if ss == s and not ctx.relax_here("kelurahan_cap", i):
                per[(kel[i], y)].append(col)
        for (k, y), cols in sorted(per.items()):
            ctx.rows.add("kelurahan_cap", (s, k, ctx.years[y]), cols, [1.0] * len(cols), -INF, cap / 1e6)


def define_swadaya_share(ctx: _Ctx) -> None:
    """sum_g m[i, g, y, swadaya] >= share x sum_{o at i, in situ} k_o x[o, y] per location and year."""
    sw, share = ctx.inp.swadaya_source, ctx.inp.swadaya_share
    if sw is None or share <= 0:
        return
    gi = defaultdict(list)
    for (i, g), (srcs, rows) in ctx.groups.items():
        gi[i].append((g, srcs, rows))
    for i, rows in sorted(ctx.by_loc.items()):
        ins = [o for o in rows if ctx.insitu[o]]
        if not ins:
            continue
        for y in range(ctx.Y):
            cols = [ctx.mcol[(i, g, y, sw)] for g, srcs, grows in gi[i] if sw in srcs and ctx.insitu[grows[0]]]
            vals = [1.0] * len(cols)
            cols += [ctx.xcol[o, y] for o in ins]
            vals += [-share * ctx.o_cost[o] for o in ins]
            ctx.rows.add("swadaya_share", (i, ctx.years[y]), cols, vals, 0.0, INF)


# ----------------------------------------------------------------------------------------------
# works at a location
# ----------------------------------------------------------------------------------------------
def define_one_target(ctx: _Ctx) -> None:
    """sum_{o in (i, c)} sum_y x[o, y] + sum_y x[res(i), y] <= 1 for every location and criterion.

    At most one target band per criterion over the horizon; resettlement excludes every in-situ work
    and legalisation.
    """
    for (i, c), rows in sorted(ctx.by_loc_crit.items()):
        cols = [ctx.xcol_lists[o][y] for o in rows for y in range(ctx.Y)]
        if (c not in LOCATION_WORKS or c == "legalisation") and i in ctx.res_of:
            cols += [ctx.xcol[ctx.res_of[i], y] for y in range(ctx.Y)]
        ctx.rows.add("one_target", (i, c), cols, [1.0] * len(cols), -INF, 1.0)


def define_legality(ctx: _Ctx) -> None:
    """sum_{o in (i, c)} x[o, y] <= X[leg(i), y] for in-situ criteria at land that is not legal.

    No in-situ work before the land is legalised (X = done by y); without a legalisation option
    the in-situ options are not offered at all (see ``prepare``).
    """
    for (i, c), rows in sorted(ctx.by_loc_crit.items()):
        if c in LOCATION_WORKS or ctx.legal[i]:
            continue
        for y in range(ctx.Y):
            cols = [ctx.xcol_lists[o][y] for o in rows]
            vals = [1.0] * len(cols)
            if i in ctx.leg_of:
                cc, vv = _xcum(ctx, [ctx.leg_of[i]], y)
                cols += cc
                vals += [-v for v in vv]
            ctx.rows.add("legality", (i, c, ctx.years[y]), cols, vals, -INF, 0.0)


def define_precedence(ctx: _Ctx) -> None:
    """sum_{o in (i, a)} X[o, y] <= sum_{o in (i, before)} X[o, y] for each rule, `after` criterion a and year.

    At a site with a `before` option (default drainage 4a-4c), an `after` work (default roads 2a,
    2b) needs a `before` work in the same or an earlier year. Relaxed per location by a variant.
    """
    for bi, (before, after) in enumerate(ctx.inp.precedence):
        for i in sorted(ctx.by_loc):
            if ctx.relax_here("precedence", i) or ctx.prec_done[i]:
                continue
            rb = [o for c in before for o in ctx.by_loc_crit.get((i, c), [])]
            if not rb:
                continue
            for a in after:
                ra = ctx.by_loc_crit.get((i, a), [])
                if not ra:
                    continue
                for y in range(ctx.Y):
                    ca, va = _xcum(ctx, ra, y)
                    cb, vb = _xcum(ctx, rb, y)
                    ctx.rows.add("precedence", (bi, i, a, ctx.years[y]), ca + cb, va + [-v for v in vb], -INF, 0.0)


def define_cleared(ctx: _Ctx) -> None:
    """sum_{o at i, in situ} min(d_o, n_i) X[o, y] + n_i X[res(i), y] >= n_i z[i, y]; z[i, y] <= z[i, y + 1].

    ``n_i`` = total score - (the clearance rule's total_below - 1): the points a location must lose.
    When the rule also names services (e.g. road, drainage, water, wastewater and solid waste served
    at least 80 %), each is a row sum_{c in aspect} (s_c - sum_{o in (i, c)} r_o X[o, y]) <= L + M (1 - z[i, y])
    + M X[res(i), y], with s_c the baseline share [%], r_o the share an option removes, L the rule's
    limit (:func:`~kotaku_decide.score.clearance.service_constraints`) and M = sum s_c - L.
    """
    _define_services(ctx)
    for i in ctx.slum_locs:
        rows = [o for o in ctx.by_loc.get(i, []) if ctx.insitu[o]]
        coef = [min(ctx.o_delta[o], ctx.need[i]) for o in rows]
        for y in range(ctx.Y):
            cols, vals = _xcum(ctx, rows, y, coef)
            keep = [k for k, v in enumerate(vals) if v > 0]
            cols, vals = [cols[k] for k in keep], [vals[k] for k in keep]
            if i in ctx.res_of:
                cc, vv = _xcum(ctx, [ctx.res_of[i]], y, [ctx.need[i]])
                cols += cc
                vals += vv
            cols.append(ctx.zcol[(i, y)])
            vals.append(-ctx.need[i])
            ctx.rows.add("cleared", (i, ctx.years[y]), cols, vals, 0.0, INF)
            if y + 1 < ctx.Y:
                ctx.rows.add("cleared_monotone", (i, ctx.years[y]), [ctx.zcol[(i, y)], ctx.zcol[(i, y + 1)]],
                             [1.0, -1.0], -INF, 0.0)


def _define_services(ctx: _Ctx) -> None:
    from ..score.clearance import service_constraints
    from ..score.scoring import criterion_shares, denominator_matrix, volume_matrix

    items = service_constraints(ctx.inp.profile, ctx.inp.clearance)
    if not items:
        return
    loc = ctx.inp.locations
    D = denominator_matrix(loc, ctx.inp.profile)
    S = criterion_shares(volume_matrix(loc, ctx.inp.profile), D)
    col = {c: j for j, c in enumerate(ctx.inp.profile.codes)}
    for i in ctx.slum_locs:
        for aspect, cols, limit in items:
            base = float(S[i, cols].sum())
            M = base - limit
            if M <= 1e-9:
                continue  # already served well enough
            rows = [o for c in ctx.inp.profile.codes if col[c] in set(cols.tolist())
                    for o in ctx.by_loc_crit.get((i, c), [])]
            for y in range(ctx.Y):
                cc, vv = _xcum(ctx, rows, y, [100.0 * ctx.o_qty[o] / D[i, col[ctx.o_crit[o]]] for o in rows])
                vals = [-v for v in vv]
                if i in ctx.res_of:
                    c2, v2 = _xcum(ctx, [ctx.res_of[i]], y, [M])
                    cc += c2
                    vals += [-v for v in v2]
                cc.append(ctx.zcol[(i, y)])
                vals.append(M)
                ctx.rows.add("services", (i, aspect, ctx.years[y]), cc, vals, -INF, limit + M - base)


def define_min_cost(ctx: _Ctx) -> None:
    """sum_{o at i} k_o X[o, y] >= K_i z[i, y], with K_i the cheapest clearing package of i.

    The package meets the scenario's clearance rule: the points and, when the rule names services,
    each service item (:func:`_package_services`).

    A valid inequality (tightens the LP; valid because the cheapest package - a multiple-choice
    knapsack with precedence and legalisation - is solved exactly in :mod:`.packages`). A location
    with no clearing package gets ``z <= 0``. Not written where precedence is relaxed (the package
    assumes it).
    """
    for i in ctx.slum_locs:
        rows = np.asarray(ctx.by_loc.get(i, []), dtype=np.int64)
        prec = () if ctx.relax_here("precedence", i) or ctx.prec_done[i] else ctx.inp.precedence
        c, labels = package_from_arrays(ctx.o_crit[rows], ctx.o_delta[rows], ctx.o_cost[rows], rows, int(ctx.need[i]),
                                        bool(ctx.legal[i]), prec, services=ctx.inp.package_services(i, rows))
        ctx.min_cost[i] = c
        ctx.min_package[i] = [int(o) for o in labels]
        if not np.isfinite(c):
            for y in range(ctx.Y):
                ctx.cols.ub[ctx.zcol[(i, y)]] = 0.0
            continue
        if ctx.relax_here("precedence", i):
            continue
        allr = list(rows)
        for y in range(ctx.Y):
            cols, vals = _xcum(ctx, allr, y, [ctx.o_cost[o] for o in allr])
            cols.append(ctx.zcol[(i, y)])
            vals.append(-c)
            ctx.rows.add("min_cost", (i, ctx.years[y]), cols, vals, 0.0, INF)


# ----------------------------------------------------------------------------------------------
# requirements
# ----------------------------------------------------------------------------------------------
def define_locked_in(ctx: _Ctx) -> None:
    """z[i, Y] >= 1 for locked-in (and forced-in) locations: cleared by the last year.

    In the elastic variants a slack (priced as a requirement) may fill in.
    """
    loc = ctx.inp.locations
    Y = ctx.Y
    forced = {int(i) for i in ctx.spec.force_in}
    for i in sorted(set(np.flatnonzero(loc["locked_in"].to_numpy(bool)).tolist()) | forced):
        lid = loc.at[i, "location_id"]
        cols, vals = ([ctx.zcol[(i, Y - 1)]], [1.0]) if (i, Y - 1) in ctx.zcol else ([], [])
        if ctx.elastic:
            sl = ctx.cols.add(f"slack_locked_in_{i}", 0.0, 1.0)
            ctx.slack["locked_in"][lid] = sl
            cols.append(sl)
            vals.append(1.0)
        ctx.rows.add("locked_in", lid, cols, vals, 1.0, INF)


def define_target(ctx: _Ctx) -> None:
    """sum_i a_i z[i, ty] >= H: hectares cleared by the target year (least cost; optional otherwise)."""
    th, ty = ctx.inp.target()
    if th is None:
        return
    yi = ctx.years.index(ty)
    cols = [ctx.zcol[(i, yi)] for i in ctx.slum_locs]
    vals = [ctx.area[i] for i in ctx.slum_locs]
    if ctx.elastic:
        sl = ctx.cols.add("slack_target_ha")
        ctx.slack["target"][ty] = sl
        cols.append(sl)
        vals.append(1.0)
    ctx.rows.add("target", ty, cols, vals, th, INF)


def define_equity(ctx: _Ctx) -> None:
    """sum_{o in G} sum_y k_o x[o, y] >= (f / N) sum_o sum_y k_o x[o, y] for every group G (kecamatan).

    ``N`` = the number of groups that have any option, so the minimums add up to ``f`` <= 1 and never
    conflict by construction. A location whose ``equity`` family is relaxed is left out of both sides.
    """
    fmin = float(ctx.sc["rules.equity_min_share"])
    ctx.equity_share = 0.0
    if fmin <= 0 or not ctx.O:
        return
    grp = ctx.inp.locations["equity_group"].to_numpy()
    g_rows = defaultdict(list)
    for o in range(ctx.O):
        g_rows[grp[ctx.o_loc[o]]].append(o)
    share = fmin / len(g_rows)
    ctx.equity_share = share
    keep = [o for o in range(ctx.O) if not ctx.relax_here("equity", ctx.o_loc[o])]
    for g, rows in sorted(g_rows.items()):
        inside = set(rows)
        coef = {}
        for o in keep:
            coef[o] = (1.0 if o in inside else 0.0) * ctx.o_cost[o] - share * ctx.o_cost[o]
        cols = [ctx.xcol[o, y] for o in keep for y in range(ctx.Y)]
        vals = [coef[o] for o in keep for y in range(ctx.Y)]
        if ctx.elastic:
            sl = ctx.cols.add(f"slack_equity_{len(ctx.slack['equity'])}")
            ctx.slack["equity"][g] = sl
            cols.append(sl)
            vals.append(1.0)
        ctx.rows.add("equity", g, cols, vals, 0.0, INF)


def define_capacity(ctx: _Ctx) -> None:
    """Locations started per year, city-wide and per kelurahan.

    sum_y st[i, y] <= 1; st[i, y] <= sum_{o at i} x[o, y] (a location starts in its first work
    year); sum_{o in (i, c)} x[o, y] <= sum_{y' <= y} st[i, y'] per criterion; sum_i st[i, y] <= cap;
    sum_{i in k} st[i, y] <= cap_k. A location whose ``capacity`` family is relaxed does not count.
    """
    cap_y, cap_k = ctx.sc["rules.max_starts_per_year"], ctx.sc["rules.max_starts_per_kelurahan"]
    ctx.stcol = {}
    if cap_y is None and cap_k is None:
        return
    Y = ctx.Y
    for i, rows in sorted(ctx.by_loc.items()):
        for y in range(Y):
            ctx.stcol[(i, y)] = ctx.cols.add(f"st_{i}_{y}", 0.0, 1.0, True)
        ctx.rows.add("start_once", i, [ctx.stcol[(i, y)] for y in range(Y)], [1.0] * Y, -INF, 1.0)
        for y in range(Y):
            ctx.rows.add("start_has_work", (i, ctx.years[y]), [ctx.stcol[(i, y)]] + [ctx.xcol[o, y] for o in rows],
                         [1.0] + [-1.0] * len(rows), -INF, 0.0)
        for y in range(Y):
            for c in sorted({ctx.o_crit[o] for o in rows}):
                cr = ctx.by_loc_crit[(i, c)]
                cols = [ctx.xcol[o, y] for o in cr] + [ctx.stcol[(i, yy)] for yy in range(y + 1)]
                ctx.rows.add("started", (i, c, ctx.years[y]), cols, [1.0] * len(cr) + [-1.0] * (y + 1), -INF, 0.0)
    counted = [i for i in sorted(ctx.by_loc) if not ctx.relax_here("capacity", i)]
    for y in range(Y):
        if cap_y is not None:
            cols = [ctx.stcol[(i, y)] for i in counted]
            ctx.rows.add("capacity", ctx.years[y], cols, [1.0] * len(cols), -INF, float(cap_y))
        if cap_k is not None:
            per = defaultdict(list)
            for i in counted:
                per[ctx.kel[i]].append(ctx.stcol[(i, y)])
            for k, cols in sorted(per.items()):
                ctx.rows.add("capacity_kelurahan", (k, ctx.years[y]), cols, [1.0] * len(cols), -INF, float(cap_k))


def define_same_year(ctx: _Ctx) -> None:
    """x[g_0, y] = x[o, y] for every option o of a group and year (a variant: works done together)."""
    for k, grp in enumerate(ctx.spec.same_year):
        grp = [int(o) for o in grp]
        for o in grp[1:]:
            for y in range(ctx.Y):
                ctx.rows.add("same_year", (k, o, ctx.years[y]), [ctx.xcol_lists[grp[0]][y], ctx.xcol_lists[o][y]],
                             [1.0, -1.0], 0.0, 0.0)


def define_households(ctx: _Ctx) -> float:
    """uw[i, y] >= V_ic (1 - X[res(i), y]) - sum_{o in (i, c)} q_o X[o, y] for c in {3a, 3b} (us: 5a, 5b).

    Households still without safe water at a location = max(V_3a, V_3b) (the two deficits taken as
    nested); resettled households count as served. Returns the objective constant
    sum_y w_y sum_i (W_i + S_i).
    """
    ctx.uwcol, ctx.uscol = {}, {}
    if ctx.sc["objective.kind"] != "households" or ctx.elastic:
        return 0.0
    loc = ctx.inp.locations
    key = ctx.inp.profile.criteria.set_index("code")["input_key"]
    V = {c: loc[f"vol_{key[c]}"].to_numpy(float) for c in ctx.inp.water + ctx.inp.sanitation}
    yw = ctx.inp.year_weight
    const = 0.0
    for name, crits, store in (("uw", ctx.inp.water, ctx.uwcol), ("us", ctx.inp.sanitation, ctx.uscol)):
        for i in np.flatnonzero(ctx.cand):
            i = int(i)
            vmax = max(V[c][i] for c in crits)
            if vmax <= 0:
                continue
            for y in range(ctx.Y):
                u = ctx.cols.add(f"{name}_{i}_{y}")
                store[(i, y)] = u
                const += yw[y] * vmax
                for c in crits:
                    if V[c][i] <= 0:
                        continue
                    rows = ctx.by_loc_crit.get((i, c), [])
                    cols, vals = _xcum(ctx, rows, y, [ctx.o_qty[o] for o in rows])
                    cols.append(u)
                    vals.append(1.0)
                    if i in ctx.res_of:
                        cc, vv = _xcum(ctx, [ctx.res_of[i]], y, [V[c][i]])
                        cols += cc
                        vals += vv
                    ctx.rows.add(name, (i, c, ctx.years[y]), cols, vals, V[c][i], INF)
    return const


# ----------------------------------------------------------------------------------------------
# objective
# ----------------------------------------------------------------------------------------------
def define_objective(ctx: _Ctx, kind: str) -> tuple[np.ndarray, str]:
    """The main objective as column costs and a sense.

    (a) ``hectares``: max sum_{i, y} w_y a_i z[i, y] (hectare-years off the slum list; a variant may
    weight each location's area); (b) ``households``: max sum_y w_y sum_i [(W_i - uw) + (S_i - us)];
    (c) ``least_cost``: min sum k_o x[o, y]; elastic variants: min priced slack (+ 1e-6 x cost).
    """
    n = len(ctx.cols.lb)
    cost = np.zeros(n)
    yw = ctx.inp.year_weight
    if ctx.elastic:
        for fam, d in ctx.slack.items():
            for col in d.values():
                cost[col] = _PEN_MONEY if fam == "budget" else _PEN_REQ
        cost[ctx.xcol.ravel()] = 1e-6 * np.repeat(ctx.o_cost, ctx.Y)
        return cost, "min"
    if kind == "hectares":
        w = np.ones(len(ctx.area)) if ctx.spec.loc_weight is None else np.asarray(ctx.spec.loc_weight, float)
        for (i, y), col in ctx.zcol.items():
            cost[col] = ctx.area[i] * w[i] * yw[y]
        return cost, "max"
    if kind == "households":
        for d in (ctx.uwcol, ctx.uscol):
            for (i, y), col in d.items():
                cost[col] = -yw[y]
        return cost, "max"
    cost[ctx.xcol.ravel()] = np.repeat(ctx.o_cost, ctx.Y)
    return cost, "min"


def define_tie_break(ctx: _Ctx) -> tuple[np.ndarray | None, float]:
    """Second-stage objective: max sum w_y (1 + 0.01 (Y - y)) d_o a_i x[o, y] (score reduction x area).

    Earlier years are slightly preferred (which also breaks the symmetry between years). Returns
    the column costs (None without a tie-break) and the factor that keeps the whole tie-break under
    :data:`TIE_BREAK_SHARE` of the smallest hectare-year (reported value = raw x factor).
    """
    kind = ctx.sc["objective.kind"]
    if not (ctx.sc["objective.tie_break"] and kind != "least_cost" and ctx.spec.tie_break) or ctx.elastic:
        return None, 0.0
    yw = ctx.inp.year_weight
    cost = np.zeros(len(ctx.cols.lb))
    any_ = False
    for o in range(ctx.O):
        d = ctx.o_delta[o] if ctx.o_crit[o] != "resettlement" else ctx.total0[ctx.o_loc[o]]
        if d > 0:
            any_ = True
            for y in range(ctx.Y):
                cost[ctx.xcol[o, y]] = d * ctx.area[ctx.o_loc[o]] * yw[y] * (1.0 + 0.01 * (ctx.Y - 1 - y))
    if not any_:
        return None, 0.0
    locs = list(ctx.by_loc)
    tb_max = sum(ctx.area[i] * max(ctx.total0[i], 0) for i in locs) * yw.max() * 1.02
    ref = ctx.area[locs].min() * yw.min() if locs else 1.0
    eps = TIE_BREAK_SHARE * ref / tb_max if tb_max > 0 else 0.0
    return cost, eps


# ----------------------------------------------------------------------------------------------
def build_model(inp: AllocationInput, elastic: str | None = None, spec: ModelSpec | None = None) -> AllocationModel:
    """Build the model for a prepared input.

    Parameters
    ----------
    inp : :class:`~.inputs.AllocationInput`
    elastic : None (the model itself), ``"money"`` (budgets may be exceeded at a price, every
        requirement priced far higher: tells how much money is missing) or ``"requirements"``
        (budgets hard, requirements - target, locked-in, equity - may be missed at a price: tells
        by how many hectares / which locations). Elastic models minimise the priced slack and
        are used by :func:`~.diagnose.diagnose`.
    spec : :class:`ModelSpec` (a variant for the evidence; default: the scenario as it is)

    Returns
    -------
    :class:`AllocationModel`
    """
    t0 = time.perf_counter()
    spec = spec or ModelSpec()
    ctx = _Ctx(inp, spec, elastic)
    ctx.min_cost, ctx.min_package = {}, {}
    define_variables(ctx)
    define_money_balance(ctx)
    define_budgets(ctx)
    define_kelurahan_caps(ctx)
    define_swadaya_share(ctx)
    define_one_target(ctx)
    define_legality(ctx)
    define_precedence(ctx)
    define_cleared(ctx)
    define_min_cost(ctx)
    define_locked_in(ctx)
    define_target(ctx)
    define_equity(ctx)
    define_capacity(ctx)
    define_same_year(ctx)
    const = define_households(ctx)
    kind = inp.scenario["objective.kind"]
    cost, sense = define_objective(ctx, kind)
    tie, eps = define_tie_break(ctx)
    n = len(ctx.cols.lb)
    if len(cost) < n:  # columns added after the objective was laid out (none today)
        cost = np.concatenate([cost, np.zeros(n - len(cost))])
    r = ctx.rows
    A = sp.csr_matrix((np.asarray(r.v, float), (np.asarray(r.r, np.int64), np.asarray(r.c, np.int64))),
                      shape=(len(r.lo), n))
    A.sum_duplicates()
    forced_missing = [int(i) for i in spec.force_in if (int(i), ctx.Y - 1) not in ctx.zcol]
    am = AllocationModel(
        inp=inp, spec=spec, col_lb=np.asarray(ctx.cols.lb, float), col_ub=np.asarray(ctx.cols.ub, float),
        col_cost=cost, col_integer=np.asarray(ctx.cols.integer, bool), col_names=ctx.cols.names, A=A,
        row_lo=np.asarray(r.lo, float), row_up=np.asarray(r.up, float), rows={k: dict(v) for k, v in r.family.items()},
        xcol=ctx.xcol, zcol=ctx.zcol, mcol=ctx.mcol, stcol=ctx.stcol, uwcol=ctx.uwcol, uscol=ctx.uscol,
        slackcol={k: dict(v) for k, v in ctx.slack.items()}, groups=ctx.groups, sense=sense, tie_cost=tie,
        objective_constant=const, tie_break_eps=eps, elastic=elastic, min_cost=ctx.min_cost,
        min_package=ctx.min_package)
    am.info = {"equity_share_per_group": ctx.equity_share, "n_options": ctx.O, "n_slum_locations": len(ctx.slum_locs),
               "n_variables": n, "n_constraints": len(r.lo), "slum_locs": ctx.slum_locs,
               "forced_without_package": forced_missing}
    am.build_time_s = time.perf_counter() - t0
    return am
