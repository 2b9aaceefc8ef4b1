"""Re-solving the allocation under a changed question: the engine behind every piece of evidence.

A *variant* of the prepared allocation is the same model with one thing changed: the budgets
(scaled, or one source-year raised), the unit costs (a draw), a location forced in (it must be
cleared by the last year) or out, one family of rules relaxed for one location, or the
objective re-weighted per location. :func:`solve_variant` builds the variant from the prepared
input (building is ~0.1 s on the embedded city; the solve dominates), optionally passes a known
feasible plan to HiGHS as a MIP start, solves **only the main objective** (the tie-break stage
of :func:`~kotaku_decide.allocate.solve_model` is skipped: it never changes the hectare-years and
costs a second per solve), and returns an :class:`Outcome` whose cleared years are re-scored with
the official scoring (:func:`~kotaku_decide.allocate.results.cleared_years`, the cleared years of
:func:`~kotaku_decide.allocate.end_condition`), not read from the model.

Money: Rp in everything returned; the model works in million Rp.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..allocate import AllocationInput, SolverOptions, build_model, solve_model
from ..allocate.costing import LOCATION_WORKS, build_options
from ..allocate.inputs import rows_by_location
from ..allocate.model import RELAXABLE, ModelSpec
from ..allocate.packages import package_from_arrays
from ..allocate.results import cleared_years
from ..allocate.rules import EXPLAINED
from ..allocate.solve import start_from_works

__all__ = ["FAMILIES", "Outcome", "with_budget", "with_costs", "solve_variant", "works_table", "cheapest_cost",
           "parallel_map", "default_solver", "budget_matrix", "package_input", "package_start",
           "greedy_start", "best_start", "plan_objective", "plan_value_at"]

#: Rule families that can bind a location, in the order they are tried (see docs/evidence.md).
FAMILIES = EXPLAINED  # the rule families an explanation relaxes (allocate.rules)


def default_solver(time_limit_s: float = 30.0, mip_rel_gap: float = 1e-4, seed: int = 20160) -> SolverOptions:
    """Solver options for evidence re-solves: in this process, no tie-break stage."""
    return SolverOptions(time_limit_s=float(time_limit_s), mip_rel_gap=float(mip_rel_gap), threads=1, seed=seed,
                         subprocess=False, msg=False, tie_break_time_s=0.0)


@dataclass
class Outcome:
    """Result of one variant solve.

    Attributes
    ----------
    status : str, normalised solver status (``optimal`` = proven within ``mip_rel_gap``)
    objective, best_bound, gap : model units (hectare-years for ``hectares``; million Rp for
        ``least_cost``); None without a plan (``best_bound`` is set on a cut-off solve, see ``cut_off``)
    time_s : wall-clock seconds (build + solve)
    works : DataFrame ``option_row, location_id, criterion, quantity, year, cost_rp`` (one row per work)
    cleared_year : dict location_id -> first year the location is below the slum threshold (re-scored),
        only for locations that were slum before
    funded_years : dict location_id -> sorted years with any work
    spend : DataFrame ``source, year, cost_rp`` (money actually used), empty without a plan
    loc_sources : dict location_id -> sorted sources paying there
    """

    status: str
    proven: bool
    objective: float | None
    best_bound: float | None
    gap: float | None
    time_s: float
    works: pd.DataFrame
    cleared_year: dict = field(default_factory=dict)
    funded_years: dict = field(default_factory=dict)
    spend: pd.DataFrame | None = None
    loc_sources: dict = field(default_factory=dict)
    loc_spend_rp: dict = field(default_factory=dict)
    message: str = ""
    #: the solve stopped once a bound proved that no plan reaches its ``cutoff`` (``best_bound`` is that
    #: bound; a plan found before, if any, is kept): an answer, not a limit
    cut_off: bool = False
    plan: pd.DataFrame | None = None  #: plan table (only with ``want_plan``)
    input: object = None  #: the variant's AllocationInput (options may differ from the base's)

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "feasible_not_proven")

    def cleared_by(self, year: int) -> set:
        return {k for k, y in self.cleared_year.items() if y is not None and y <= year}

    def start_keys(self) -> set:
        """(option_row, year) pairs of the plan (a MIP start for a variant where it stays feasible)."""
        return set(zip(self.works["option_row"].astype(int), self.works["year"].astype(int)))


# ------------------------------------------------------------------------------------------------
def budget_matrix(inp: AllocationInput) -> np.ndarray:
    """Copy of the budgets [Rp] (sources x years)."""
    return np.array(inp.funding.budget_rp, dtype=float, copy=True)


def _reindex(opts: pd.DataFrame) -> pd.DataFrame:
    opts = opts.reset_index(drop=True)
    opts.index.name = "option_row"
    return opts


def with_budget(inp: AllocationInput, budget_rp: np.ndarray) -> AllocationInput:
    """The input with other budgets [Rp] (sources x years); options that ``prepare`` dropped because
    no eligible money could ever pay for them come back when the new budgets can."""
    b = np.asarray(budget_rp, dtype=float)
    if b.shape != inp.funding.budget_rp.shape:
        raise ValueError(f"budget matrix has shape {b.shape}; expected {inp.funding.budget_rp.shape}")
    fund = dataclasses.replace(inp.funding, budget_rp=b.copy())
    opts = inp.options
    un = inp.unaffordable
    if un is not None and len(un):
        tot = dict(zip(fund.sources, b.sum(axis=1)))
        reach = un["sources"].map(lambda ss: sum(tot[s] for s in ss)).to_numpy(float)
        ok = un["cost_rp"].to_numpy(float) <= reach + 1e-6
        if ok.any():  # they move from 'unaffordable' to the options (never twice)
            opts = _reindex(pd.concat([opts, un[ok]], ignore_index=True))
            un = un[~ok]
    return dataclasses.replace(inp, funding=fund, options=opts, unaffordable=un)


def _work_factors(work_ids: pd.Series, factor_by_work: dict) -> np.ndarray:
    """Each row's cost factor: 1 for a work (or a missing work id) without a factor, or a NaN factor.
    Plain dict look-ups (a tenth of the time of ``Series.map``)."""
    f = np.array([factor_by_work.get(w, 1.0) for w in work_ids.tolist()], dtype=float)
    f[np.isnan(f)] = 1.0
    return f


def with_costs(inp: AllocationInput, factor_by_work: dict) -> AllocationInput:
    """The input with every option's cost multiplied by its work's factor (``work_id -> factor``)."""
    def scale(o):
        if o is None or not len(o):
            return o
        o = o.copy()
        f = _work_factors(o["work_id"], factor_by_work)
        o["cost_rp"] = o["cost_rp"].to_numpy(float) * f
        o["cost_m"] = o["cost_rp"] / 1e6
        if "unit_cost_rp" in o:
            o["unit_cost_rp"] = o["unit_cost_rp"].to_numpy(float) * f
        return o
    # the catalogue and the scenario's location unit costs scale too, so that the variant is coherent
    # (its plans pass the checker's pricing rules at the drawn costs)
    works = inp.works.copy()
    works["unit_cost_rp"] = works["unit_cost_rp"].to_numpy(float) * _work_factors(works["work_id"], factor_by_work)
    sc = inp.scenario
    luc = sc["costs.location_unit_cost"] or {}
    if luc:
        luc = {lid: {w: float(c) * float(factor_by_work.get(w, 1.0)) for w, c in per.items()}
               for lid, per in luc.items()}
        sc = _scenario_with(sc, {"costs.location_unit_cost": luc})
    v = dataclasses.replace(inp, options=scale(inp.options), unaffordable=scale(inp.unaffordable), works=works,
                            scenario=sc)
    # options that ``prepare`` dropped as unaffordable come back when the drawn costs make them affordable
    return with_budget(v, v.funding.budget_rp)


def _relaxed_options(inp: AllocationInput, i: int, relax: set) -> AllocationInput:
    """Rebuild location ``i``'s options with eligibility / authority / legality relaxed for it alone."""
    sc, loc, f = inp.scenario, inp.locations.copy(), inp.funding
    legal = loc["legal_alloc"].to_numpy(bool).copy()
    if "legality" in relax:
        legal[i] = True
        loc.loc[i, "legal_alloc"] = True
    mask = np.zeros(len(loc), bool)
    mask[i] = True
    o = build_options(loc, inp.profile, inp.works, targets=tuple(sc["options.targets"]),
                      price_index=sc["costs.price_index"], location_factor=sc["costs.location_factor"],
                      location_unit_cost=sc["costs.location_unit_cost"], locations=mask, legal=legal,
                      resettlement=sc["options.resettlement"],
                      resettlement_on_legal_land=sc["options.resettlement_on_legal_land"],
                      legalisation=sc["options.legalisation"], service_rule=inp.clearance)
    if not sc["options.legalisation"] and not legal[i]:
        o = o[o["criterion"].isin(list(LOCATION_WORKS))]
    auth = loc.at[i, "authority_alloc"]
    o = o.copy()
    o["sources"] = [tuple(s for s in f.sources
                          if ("eligibility" in relax or c in f.eligible[s])
                          and ("authority" in relax or auth in f.authorities[s])) for c in o["criterion"]]
    o = o[o["sources"].map(len) > 0]
    o["cost_m"] = o["cost_rp"] / 1e6
    rest = inp.options[inp.options["loc"] != i]
    opts = _reindex(pd.concat([rest, o], ignore_index=True))
    return dataclasses.replace(inp, options=opts, locations=loc)


def works_table(inp: AllocationInput, keys) -> pd.DataFrame:
    """Works table from (option_row, year) pairs."""
    keys = sorted(keys)
    if not keys:
        return pd.DataFrame(columns=["option_row", "location_id", "criterion", "quantity", "year", "cost_rp"])
    rows = np.array([k[0] for k in keys], dtype=int)
    opts = inp.options
    pos = opts.index.get_indexer(rows)  # option rows are labels; only four columns are read
    if (pos < 0).any():
        raise KeyError(f"option rows not in the options: {sorted(set(rows[pos < 0].tolist()))}")
    return pd.DataFrame({"option_row": rows, "location_id": opts["location_id"].to_numpy()[pos],
                         "criterion": opts["criterion"].to_numpy()[pos],
                         "quantity": opts["quantity"].to_numpy(float)[pos],
                         "year": np.array([k[1] for k in keys], dtype=int),
                         "cost_rp": opts["cost_rp"].to_numpy(float)[pos]})


def cheapest_cost(inp: AllocationInput, i: int) -> float:
    """Cheapest clearing package of location position ``i`` [Rp] (inf if none)."""
    from ..allocate.packages import cheapest_package

    loc = inp.locations
    need = int(inp.need()[i])
    rows = inp.options[inp.options["loc"] == i]
    prec = inp.precedence_at(str(loc.at[i, "location_id"]))
    c, _ = cheapest_package(rows, need, bool(loc.at[i, "legal_alloc"]), prec, costcol="cost_rp",
                            services=inp.package_services(i, rows.index.to_numpy()))
    return float(c)


def package_input(inp: AllocationInput) -> tuple[AllocationInput, list[list[int]]]:
    """The input restricted to each slum location's cheapest clearing package (at its own costs).

    Returns the restricted input (options renumbered; column ``full_row`` keeps each option's row
    in ``inp.options``) and, per location with a package, the list of its option rows in the
    restricted input: the groups to be done in the same year (``solve_variant(..., same_year=groups)``).
    Locations with no clearing package keep no options.
    """
    o, loc = inp.options, inp.locations
    slum = loc["slum"].to_numpy(bool)
    legal = loc["legal_alloc"].to_numpy(bool)
    ids = loc["location_id"].to_numpy()
    v_need = inp.need()
    crit, delta = o["criterion"].to_numpy(), o["delta_score"].to_numpy()
    cost, rows = o["cost_rp"].to_numpy(float), o.index.to_numpy()
    packs = []
    for i, idx in rows_by_location(o).items():
        if not slum[i]:
            continue
        need = int(v_need[i])
        c, labels = package_from_arrays(crit[idx], delta[idx], cost[idx], rows[idx], need, bool(legal[i]),
                                        inp.precedence_at(str(ids[i])), services=inp.package_services(i, rows[idx]))
        if np.isfinite(c) and labels:
            packs.append(sorted(int(x) for x in labels))
    keep = sorted(x for p in packs for x in p)
    pos = {r: k for k, r in enumerate(keep)}
    sub = dataclasses.replace(inp, options=_reindex(o.loc[keep].assign(full_row=np.asarray(keep, dtype=np.int64))))
    return sub, [[pos[r] for r in p] for p in packs]


def package_start(v: AllocationInput, *, loc_weight=None, mip_rel_gap: float = 0.01, time_limit_s: float = 10.0):
    """A MIP start for the full model from the package restriction (hectares objective only).

    Returns ``(keys, objective)``: the plan's (option_row, year) pairs in ``v.options`` rows and its
    objective, or ``(None, -inf)`` when the objective is not ``hectares``, an equity rule is set or
    the restriction has no plan.
    """
    if v.scenario["objective.kind"] != "hectares" or float(v.scenario["rules.equity_min_share"]) > 0:
        return None, -np.inf  # whole packages rarely meet equity shares; the start would only mislead
    sub, groups = package_input(v)
    o = solve_variant(sub, loc_weight=loc_weight, same_year=groups,
                      solver=default_solver(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap))
    if not o.has_plan:
        return None, -np.inf
    full = sub.options["full_row"].to_numpy()
    return {(int(full[r]), int(y)) for r, y in o.start_keys()}, float(o.objective)


def plan_objective(v: AllocationInput, keys, loc_weight=None) -> float:
    """Hectare-years of a plan given as (option_row, year) keys, from the re-scored end condition
    (official scoring); with ``loc_weight`` each location's area counts that many times (the
    priority-weighted objective of robust draws)."""
    if not keys:
        return 0.0
    cy = cleared_years(v, works_table(v, keys))  # per location, in the locations' order
    loc = v.locations
    w = np.ones(len(loc)) if loc_weight is None else np.asarray(loc_weight, float)
    area = loc["area_ha"].to_numpy(float)
    slum = loc["slum"].to_numpy(bool)
    yw = np.asarray(v.year_weight, float)
    years = np.asarray(v.years)
    tot = 0.0
    for k in np.flatnonzero(~np.isnan(cy) & slum):
        tot += area[k] * w[k] * yw[years >= int(cy[k])].sum()
    return float(tot)


def greedy_start(v: AllocationInput, loc_weight=None):
    """The greedy plan (benefit weighted by ``loc_weight``) as a MIP start: ``(keys, hectare-years)``
    (weighted the same way), or ``(None, -inf)`` without works."""
    from ..allocate.greedy import greedy_works

    keys = set(greedy_works(v, loc_weight=loc_weight))
    if not keys:
        return None, -np.inf
    return keys, plan_objective(v, keys, loc_weight)


def best_start(*candidates):
    """The ``(keys, objective)`` candidate with the largest objective (hectares), ignoring empty ones."""
    ok = [c for c in candidates if c[0] is not None]
    return max(ok, key=lambda c: c[1])[0] if ok else None


# ------------------------------------------------------------------------------------------------
def solve_variant(inp: AllocationInput, *, budget_rp: np.ndarray | None = None, force_in=(), force_out=(),
                  relax: set | frozenset = frozenset(), relax_loc: int | None = None,
                  loc_weight: np.ndarray | None = None, start=None, objective: str | None = None,
                  target_ha: float | None = None, target_year: int | None = None,
                  solver: SolverOptions | None = None, want_plan: bool = False,
                  tie_break: bool = False, same_year=(), only_options=None, cutoff: float | None = None) -> Outcome:
    """Solve one variant of the allocation (main objective only) and re-score its result.

    Parameters
    ----------
    inp : prepared input (already with changed costs, if any: :func:`with_costs`)
    budget_rp : budgets [Rp] (sources x years) replacing the input's (see :func:`with_budget`)
    force_in : location positions that must be cleared by the last year (``z[i, Y] = 1``)
    force_out : location positions that may get no works
    relax : rule families (:data:`FAMILIES`) relaxed for location position ``relax_loc`` only
    loc_weight : per-location multiplier of the hectares objective (``hectares`` kind only)
    start : MIP start, an iterable of (option_row, year) pairs of a plan known to be feasible
        (option rows refer to ``inp.options``; only used when the variant keeps the same options)
    objective : override of ``objective.kind`` (``hectares`` or ``least_cost``)
    target_ha, target_year : hard target (cleared hectares by ``target_year``) for ``least_cost``
    solver : :class:`SolverOptions` (default :func:`default_solver`)
    want_plan : also build the plan table (``outcome.plan``; slower)
    tie_break : keep the scenario's tie-break stage (only for the plan shown to the planner)
    same_year : groups of option rows (of the variant's options) that are done together: for each
        group and year, all or none of its options (a restriction, e.g. whole packages)
    only_options : option rows the plan may use (a restriction; None: all)
    cutoff : ask only whether a plan reaches this objective: the solve may stop as soon as a bound proves
        that none does (``outcome.cut_off``; see :func:`~kotaku_decide.allocate.solve.solve_model`)
    """
    t0 = time.perf_counter()
    solver = solver or default_solver()
    v = inp
    if budget_rp is not None:
        v = with_budget(v, budget_rp)
    relax = set(relax)
    if relax and relax_loc is None:
        raise ValueError("relax needs relax_loc")
    bad = relax - set(FAMILIES)
    if bad:
        raise ValueError(f"unknown rule families {sorted(bad)}; expected some of {FAMILIES}")
    same_options = True
    if relax & {"eligibility", "authority", "legality"}:
        v = _relaxed_options(v, int(relax_loc), relax)
        same_options = False
    if objective is not None or target_ha is not None:
        over = {}
        if objective is not None:
            over["objective.kind"] = objective
        if target_ha is not None:
            over["objective.target_hectares"] = float(target_ha)
            over["objective.target_year"] = int(target_year or v.years[-1])
        v = dataclasses.replace(v, scenario=_scenario_with(v.scenario, over))
    Y = len(v.years)
    if any((int(i), Y - 1) not in _slum_z(v) for i in force_in):
        return _no_plan(v, t0, "infeasible", "the location cannot be cleared: it has no clearing works")
    w = None
    if loc_weight is not None and (objective or v.scenario["objective.kind"]) == "hectares":
        w = tuple(float(x) for x in np.asarray(loc_weight, float))
    spec = ModelSpec(force_in=tuple(int(i) for i in force_in), force_out=tuple(int(i) for i in force_out),
                     relax_loc=None if relax_loc is None or not (relax & set(RELAXABLE)) else int(relax_loc),
                     relax=frozenset(relax & set(RELAXABLE)), loc_weight=w,
                     same_year=tuple(tuple(int(o) for o in g) for g in same_year), tie_break=bool(tie_break),
                     only_options=None if only_options is None else tuple(sorted(int(o) for o in only_options)))
    model = _model_for(inp, v, spec, reuse=same_options and objective is None and target_ha is None)
    st = start_from_works(model, start) if start is not None and same_options else None
    rep = solve_model(model, solver, start=st, cutoff=cutoff)
    if rep.status.has_solution:
        chosen = np.argwhere(model.values[model.xcol] > 0.5)
        out = _outcome_from(v, [(int(o), v.years[int(y)]) for o, y in chosen], model, rep, t0)
    else:
        out = _no_plan(v, t0, rep.status.value, rep.message)
    if rep.termination == "objective_bound" and "cutoff_bound" in rep.extra:
        out.cut_off, out.best_bound = True, float(rep.extra["cutoff_bound"])
    if not rep.status.has_solution:
        return out
    if want_plan:
        from ..allocate import plan_from_model
        out.plan = plan_from_model(model)
    out.input = v
    return out


def plan_value_at(inp: AllocationInput, budget_rp: np.ndarray, keys) -> float | None:
    """The objective of a known plan (its works: ``(option_row, year)`` pairs) at other budgets, or None
    when its works cannot all be paid there.

    The works stay as they are; the money (which source pays what, within every rule) is found again
    by a small exact solve (:func:`~kotaku_decide.allocate.decompose.plan_from_works`), checked against
    every row. A value returned is that of a plan feasible at ``budget_rp``: a lower bound of the
    optimum there (main objective, no forced or relaxed locations).
    """
    from ..allocate.decompose import plan_from_works

    v = with_budget(inp, budget_rp)
    # the spec of a plain solve_variant (no tie-break stage): the free re-solves' cached model is shared
    model = _model_for(inp, v, ModelSpec(tie_break=False), reuse=True)
    vals = plan_from_works(model, start_from_works(model, keys))
    return None if vals is None else float(model.col_cost @ vals)


_MODELS: list = []  # (base input, spec, model): a small cache of models re-solved with other budgets
_MODELS_KEEP = 6


def _model_for(base: AllocationInput, v: AllocationInput, spec, reuse: bool):
    """The variant's model: built, or - when only the budgets differ from a cached variant of the same
    input (same options, same rules) - the cached model with the new budgets, which the decomposition
    re-solves warm (its cuts kept)."""
    if reuse and v.options is base.options:
        for k, (b0, s0, m) in enumerate(_MODELS):
            if b0 is base and s0 == spec:
                m.set_budgets(v.funding.budget_rp)
                _MODELS.append(_MODELS.pop(k))  # most recently used last
                return m
    m = build_model(v, spec=spec)
    if reuse and v.options is base.options:
        import copy

        m.inp = dataclasses.replace(m.inp, funding=copy.deepcopy(m.inp.funding))  # set_budgets writes into it
        _MODELS.append((base, spec, m))
        del _MODELS[:-_MODELS_KEEP]
    return m


def _slum_z(v: AllocationInput) -> set:
    """(location position, year index) pairs that have a clearing indicator (slum locations with options)."""
    loc = v.locations
    slum = loc["slum"].to_numpy(bool)
    cand = loc["candidate"].to_numpy(bool)
    with_opts = set(v.options["loc"].astype(int))
    locs = {i for i in with_opts if slum[i]} | {int(i) for i in np.flatnonzero(slum & cand)}
    return {(i, y) for i in locs for y in range(len(v.years))}


def _scenario_with(sc, over: dict):
    """A copy of a resolved scenario with some dotted keys replaced (values already of the right type)."""
    import copy

    vals = copy.deepcopy(sc.values)
    for k, val in over.items():
        d = vals
        parts = k.split(".")
        for part in parts[:-1]:
            d = d[part]
        if parts[-1] not in d:
            raise KeyError(f"unknown scenario key {k}")
        d[parts[-1]] = val
    return dataclasses.replace(sc, values=vals)


def _no_plan(inp, t0, status, message) -> Outcome:
    return Outcome(status=status, proven=False, objective=None, best_bound=None, gap=None,
                   time_s=time.perf_counter() - t0, works=works_table(inp, []), message=message or "")


def _outcome_from(inp: AllocationInput, keys, model, rep, t0) -> Outcome:
    w = works_table(inp, keys)
    cy = cleared_years(inp, w)  # re-scored with the official scoring, in the locations' order
    ids = inp.locations["location_id"].to_numpy()
    slum = inp.locations["slum"].to_numpy(bool)
    cleared = {ids[k]: None if np.isnan(cy[k]) else int(cy[k]) for k in np.flatnonzero(slum)}
    years_at: dict = {}
    for lid, y in zip(w["location_id"].tolist(), w["year"].tolist()):
        years_at.setdefault(lid, set()).add(int(y))
    funded = {lid: sorted(years_at[lid]) for lid in sorted(years_at)}
    # money by source and year, and sources per location, from the money variables (in column order)
    recs, loc_src, loc_spend = [], {}, {}
    mkeys = list(model.mcol)
    mval = (np.zeros(len(mkeys)) if model.values is None
            else model.values[np.fromiter(model.mcol.values(), dtype=np.int64, count=len(mkeys))])
    for k in np.flatnonzero(mval > 1e-6):
        i, _g, y, s = mkeys[k]
        val = float(mval[k])
        recs.append((s, inp.years[y], val * 1e6))
        loc_src.setdefault(ids[i], set()).add(s)
        loc_spend[ids[i]] = loc_spend.get(ids[i], 0.0) + val * 1e6
    spend = pd.DataFrame(recs, columns=["source", "year", "cost_rp"]).groupby(
        ["source", "year"], as_index=False)["cost_rp"].sum() if recs else pd.DataFrame(
        columns=["source", "year", "cost_rp"])
    return Outcome(status=rep.status.value, proven=bool(rep.proven_optimal), objective=rep.objective,
                   best_bound=rep.best_bound, gap=rep.gap, time_s=time.perf_counter() - t0, works=w,
                   cleared_year=cleared, funded_years=funded, spend=spend,
                   loc_sources={k: sorted(v) for k, v in loc_src.items()}, loc_spend_rp=loc_spend,
                   message=rep.message)


# ------------------------------------------------------------------------------------------------
_SHARED: dict = {}


def _call(args):
    fn, item = args
    return fn(_SHARED["ctx"], item)


def parallel_map(fn, ctx, items, processes: int | None = None) -> list:
    """``[fn(ctx, item) for item in items]`` over a fork-based process pool (order kept).

    ``ctx`` (e.g. the prepared input) reaches the workers by fork, not by pickling; ``fn`` must
    be a module-level function. ``processes`` None = all cores; 1 (or no fork) runs in this process.
    Results do not depend on the number of workers as long as ``fn`` is deterministic per item.
    """
    items = list(items)
    n = processes or os.cpu_count() or 1
    n = min(n, len(items))
    if n <= 1 or not hasattr(os, "fork"):
        return [fn(ctx, it) for it in items]
    _SHARED["ctx"] = ctx
    try:
        with mp.get_context("fork").Pool(n) as pool:
            return pool.map(_call, [(fn, it) for it in items], chunksize=1)
    finally:
        _SHARED.pop("ctx", None)
