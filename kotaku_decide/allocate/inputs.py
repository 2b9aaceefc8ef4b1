"""Prepare everything the allocation needs from a resolved scenario (no optimisation here).

:func:`prepare` reads the baseline, scores it, builds the options (costing) and the funding,
and applies the scenario's rules into plain arrays and tables held by :class:`AllocationInput`.
The model (:mod:`.model`), the greedy rule (:mod:`.greedy`) and the independent checker
(:mod:`.checker`) all start from this object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.profiles import Profile, load_profile
from ..data.scenario import Scenario, load_scenario
from ..data.validate import load_baseline
from ..score.scoring import (
    aggregate,
    criterion_scores,
    criterion_shares,
    denominator_matrix,
    score_table,
    volume_matrix,
)
from .costing import LOCATION_WORKS, build_options, choose_works, load_catalogue, service_targets
from .funding import Funding, authority_of, load_funding

__all__ = ["AllocationInput", "prepare", "water_codes", "sanitation_codes", "rows_by_location"]


def rows_by_location(options: pd.DataFrame) -> dict[int, np.ndarray]:
    """Positions of each location's options: location position -> array of row positions.

    The groups of ``options.groupby("loc", sort=True)`` (locations ascending, options in table
    order) as plain arrays, for loops that need a location's options as arrays; a fraction of the
    time of building a frame per group.
    """
    o_loc = options["loc"].to_numpy()
    order = np.argsort(o_loc, kind="stable")
    found, first = np.unique(o_loc[order], return_index=True)
    return {int(i): idx for i, idx in zip(found, np.split(order, first[1:]))}


def water_codes(profile: Profile) -> tuple:
    """Criteria whose households count for 100 % drinking water (the profile's ``water`` aspect: 3a, 3b)."""
    return profile.aspect_codes("water")


def sanitation_codes(profile: Profile) -> tuple:
    """Criteria whose households count for 100 % sanitation (the profile's ``wastewater`` aspect: 5a, 5b)."""
    return profile.aspect_codes("wastewater")


@dataclass
class AllocationInput:
    """Prepared inputs (read-only by convention).

    Attributes
    ----------
    scenario : resolved :class:`~kotaku_decide.data.scenario.Scenario`
    profile : regulation profile
    locations : scored baseline (one row per location) plus ``authority_alloc`` (by area,
        scenario cut-offs), ``legal_alloc`` (legal after the scenario's ``legalised``), ``slum``,
        ``candidate`` (may receive works), ``locked_in``, ``locked_out``, ``equity_group``
    options : options table from :func:`~.costing.build_options` with ``cost_m`` [million Rp]
        and ``sources`` (tuple of eligible source names, after criterion and authority rules)
    funding : :class:`~.funding.Funding`
    years : list of int
    year_weight : ndarray, (1 + r)^-(y - start)
    """

    scenario: Scenario
    profile: Profile
    locations: pd.DataFrame
    options: pd.DataFrame
    funding: Funding
    works: pd.DataFrame
    years: list
    year_weight: np.ndarray
    catalogue: pd.DataFrame
    notes: list = field(default_factory=list)
    #: options dropped because they cost more than all their eligible money (used by the diagnosis)
    unaffordable: pd.DataFrame | None = None

    # --- rules in plain form ------------------------------------------------------------------
    @property
    def water(self) -> tuple:
        return water_codes(self.profile)

    @property
    def sanitation(self) -> tuple:
        return sanitation_codes(self.profile)

    @property
    def threshold(self) -> int:
        """Lowest total that is slum at the baseline (the profile's kumuh ringan cut-off)."""
        return self.profile.slum_threshold

    @property
    def clearance(self):
        """What "cleared" means (:class:`~kotaku_decide.data.profiles.ClearanceRule`): the scenario's
        ``options.clearance_rule`` or the profile's default (``clearance.csv``)."""
        return self.profile.clearance_rule(self.scenario["options.clearance_rule"])

    def need(self) -> np.ndarray:
        """Points each location must lose to be cleared by its total: total - (rule's total_below - 1), >= 0."""
        total = self.locations["total_score"].to_numpy(float)
        return np.maximum(total - (self.clearance.total_below - 1), 0.0)

    @property
    def swadaya_source(self) -> str | None:
        s = self.scenario["funding.swadaya_source"]
        return s if s in self.funding.sources else None

    @property
    def swadaya_share(self) -> float:
        return float(self.scenario["funding.swadaya_share"])

    @property
    def precedence(self) -> list:
        return [(tuple(r["before"]), tuple(r["after"])) for r in self.scenario["rules.precedence"]]

    @property
    def precedence_done(self) -> frozenset:
        """Location ids whose ``before`` works were done before the horizon (``rules.precedence_done``)."""
        return frozenset(self.scenario["rules.precedence_done"])

    def package_services(self, i: int, rows) -> tuple | None:
        """The clearance rule's service condition at location position ``i``, for
        :func:`~.packages.package_from_arrays` (``services=``): (share of its criterion's denominator each
        option row removes [%], the baseline share per criterion [%], the rule's items as (criterion codes,
        limit [%])); None when the rule names no services."""
        from ..score.clearance import service_constraints
        from ..score.scoring import criterion_shares, denominator_matrix, volume_matrix

        key = id(self.locations)
        cache = getattr(self, "_svc_cache", None)
        if cache is None or cache[0] != key:
            prof = self.profile
            items = service_constraints(prof, self.clearance)
            codes = list(prof.codes)
            if items:
                D = denominator_matrix(self.locations, prof)
                S = criterion_shares(volume_matrix(self.locations, prof), D)
                val = ([(tuple(codes[j] for j in cols), limit) for _a, cols, limit in items], D, S,
                       {c: j for j, c in enumerate(codes)})
            else:
                val = None
            cache = (key, val)
            self._svc_cache = cache
        if cache[1] is None:
            return None
        items, D, S, col = cache[1]
        crit = self.options["criterion"].to_numpy()
        qty = self.options["quantity"].to_numpy(float)
        removes = [100.0 * qty[o] / D[i, col[crit[o]]] if crit[o] in col and D[i, col[crit[o]]] > 0 else 0.0
                   for o in rows]
        return removes, {c: float(S[i, j]) for c, j in col.items()}, items

    def precedence_at(self, lid: str) -> list:
        """The precedence rules that bind at location ``lid`` (none where its ``before`` works are done)."""
        return [] if lid in self.precedence_done else self.precedence

    def target(self) -> tuple[float | None, int]:
        """(target hectares or None, target year)."""
        th = self.scenario["objective.target_hectares"]
        ty = self.scenario["objective.target_year"] or self.years[-1]
        if th == "all":
            th = float(self.locations.loc[self.locations["slum"], "area_ha"].sum())
        return (None if th is None else float(th)), int(ty)

    @property
    def data_status(self) -> str:
        parts = []
        prov = self.locations.get("provenance")
        if prov is not None and prov.astype(str).str.contains("SYNTHETIC", case=False).any():
            parts.append("baseline: SYNTHETIC illustrative data (see the provenance column)")
        ill = self.catalogue["status"].astype(str).str.contains("illustrative")
        used = self.options["work_id"].unique()
        n_ill = int(self.catalogue.loc[ill & self.catalogue["work_id"].isin(used), "work_id"].nunique())
        if n_ill:
            parts.append(f"costs: {n_ill} work(s) in use carry ILLUSTRATIVE unit costs (replace with local costs)")
        if self.funding.data_status:
            parts.append("funding: " + self.funding.data_status)
        return "; ".join(parts) if parts else "as given by the user"


def prepare(scenario: Scenario | dict | str | None = None, baseline: pd.DataFrame | None = None) -> AllocationInput:
    """Load and check every input of an allocation.

    Parameters
    ----------
    scenario : Scenario, dict of overrides, path, or None (default scenario, embedded data)
    baseline : optional already-validated baseline frame (replaces ``data.baseline``)
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    prof = load_profile(sc["profile"])
    notes: list[str] = []
    if baseline is None:
        baseline = load_baseline(sc.data_path("baseline"), prof)
    first_row = int(baseline.attrs.get("first_row", 2) or 2)
    src_file = str(baseline.attrs.get("source", sc.data_path("baseline")))
    baseline = aggregate(baseline, sc["data.level"], prof)
    loc = score_table(baseline, prof)
    # file row of each location (for messages naming the row); aggregated rows have none of their own
    by_row = sc["data.level"] == "rt" and pd.api.types.is_integer_dtype(loc.index)
    file_row = (loc.index.to_numpy() + first_row) if by_row else np.arange(len(loc)) + 2
    loc = loc.reset_index(drop=True)
    # pandas deep-copies attrs on every operation: keep only the small ones (the reader's header map and
    # comments made each column access of the evidence's thousands of re-solves cost a deep copy)
    loc.attrs = {k: v for k, v in loc.attrs.items() if k in ("source", "profile", "first_row")}
    ids = loc["location_id"].astype(str)
    loc["location_id"] = ids
    years = list(range(sc["years.start"], sc["years.end"] + 1))
    r = float(sc["objective.discount_rate"])
    yw = np.array([(1.0 + r) ** -(y - years[0]) for y in years])

    # rules on locations
    known = set(ids)
    problems = []
    for key in ("rules.locked_in", "rules.locked_out", "options.legalised", "rules.precedence_done"):
        bad = sorted(set(sc[key]) - known)
        if bad:
            problems.append(f"{key}: unknown location_id(s) {bad}")
    for key in ("costs.location_factor", "costs.location_unit_cost"):
        bad = sorted(set(sc[key]) - known)
        if bad:
            problems.append(f"{key}: unknown location_id(s) {bad}")
    grp = sc["rules.equity_group"]
    if grp not in loc.columns:
        problems.append(f"rules.equity_group: {grp!r} is not a column of the baseline")
    codes = list(prof.codes)
    for k, rule in enumerate(sc["rules.precedence"]):
        for side in ("before", "after"):
            bad = [c for c in rule[side] if c not in codes]
            if bad:
                problems.append(f"rules.precedence[{k}].{side}: unknown criterion code(s) {bad}; expected codes of "
                                f"profile {sc['profile']}: {', '.join(codes)}")
    rule_name = sc["options.clearance_rule"]
    if rule_name is not None and rule_name not in [r.name for r in prof.clearance]:
        problems.append(f"options.clearance_rule: {rule_name!r} is not a rule of profile {sc['profile']}; expected one "
                        f"of {[r.name for r in prof.clearance]} (its clearance.csv)")
    slum_now = dict(zip(ids, loc["total_score"].to_numpy() >= prof.slum_threshold))
    not_slum = sorted(lid for lid in set(sc["rules.locked_in"]) & known if not slum_now[lid])
    if not_slum:
        tot = dict(zip(ids, loc["total_score"].to_numpy()))
        problems.append("rules.locked_in: a locked-in location must be cleared from the slum list, but "
                        + ", ".join(f"{lid} (score {int(tot[lid])})" for lid in not_slum)
                        + f" is not a slum location (slum from {prof.slum_threshold})")
    if problems:
        from ..data.scenario import ScenarioError
        raise ScenarioError(problems)

    loc["slum"] = loc["total_score"].to_numpy() >= prof.slum_threshold
    loc["authority_alloc"] = authority_of(loc["area_ha"].to_numpy(float), prof, sc["funding.authority_cutoffs_ha"])
    loc["legal_alloc"] = loc["legal"].to_numpy(bool) | ids.isin(sc["options.legalised"]).to_numpy()
    loc["locked_in"] = ids.isin(sc["rules.locked_in"]).to_numpy()
    loc["locked_out"] = ids.isin(sc["rules.locked_out"]).to_numpy()
    loc["equity_group"] = loc[grp].astype(str)
    cand = (loc["slum"].to_numpy() | bool(sc["options.include_non_slum"]) | loc["locked_in"].to_numpy()) \
        & ~loc["locked_out"].to_numpy()
    loc["candidate"] = cand

    rule = prof.clearance_rule(rule_name)  # the scenario's clearance rule (checked above)
    cat = load_catalogue(sc.data_path("costs"), prof)
    works = choose_works(cat, sc["costs.work_choice"])
    opts = build_options(loc, prof, works, targets=tuple(sc["options.targets"]), price_index=sc["costs.price_index"],
                         location_factor=sc["costs.location_factor"], location_unit_cost=sc["costs.location_unit_cost"],
                         locations=cand, legal=loc["legal_alloc"].to_numpy(bool),
                         resettlement=sc["options.resettlement"],
                         resettlement_on_legal_land=sc["options.resettlement_on_legal_land"],
                         legalisation=sc["options.legalisation"], service_rule=rule)
    legal = loc["legal_alloc"].to_numpy(bool)
    if not sc["options.legalisation"]:
        insitu = ~opts["criterion"].isin(list(LOCATION_WORKS))
        drop = insitu & ~legal[opts["loc"].to_numpy()]
        if drop.any():
            notes.append(f"{int(drop.sum())} in-situ option(s) dropped: land not legal and legalisation is off")
        opts = opts[~drop].reset_index(drop=True)
    places = pd.DataFrame({"location_id": loc["location_id"], "city": loc["city"],
                           "province": loc["province"] if "province" in loc else None, "row": file_row})
    places.attrs["source"] = src_file
    fund = load_funding(sc.data_path("budget"), sc.data_path("funding_rules"), prof, years,
                        budget_factor=sc["funding.budget_factor"], carry_over=sc["funding.carry_over"],
                        source_factor=sc["funding.source_factor"],
                        swadaya_source=sc["funding.swadaya_source"] if sc["funding.swadaya_share"] > 0 else None,
                        places=places)
    auth = loc["authority_alloc"].to_numpy()
    src_sets = {}
    crit = opts["criterion"].to_numpy()
    la = auth[opts["loc"].to_numpy()]
    out = []
    for c, a in zip(crit, la):
        key = (c, a)
        if key not in src_sets:
            src_sets[key] = tuple(s for s in fund.sources if c in fund.eligible[s] and a in fund.authorities[s])
        out.append(src_sets[key])
    opts["sources"] = out
    nosrc = opts["sources"].map(len) == 0
    if nosrc.any():
        g = opts[nosrc].groupby(["criterion"]).size()
        notes.append("options with no eligible source (dropped): "
                     + ", ".join(f"{c}: {n}" for c, n in g.items()))
        opts = opts[~nosrc].reset_index(drop=True)
    # options no eligible money could ever pay for (cost above every eligible budget over the horizon)
    # money each source can bring to each location over the horizon (its pools covering the location)
    reach_ls = np.zeros((len(loc), len(fund.sources)))
    for p, (s_, _) in enumerate(fund.pools):
        reach_ls[fund.locations_of(p, len(loc)), fund.sources.index(s_)] += fund.pool_budget_rp[p].sum()
    reach = np.zeros(len(opts))
    o_loc = opts["loc"].to_numpy().astype(np.int64)
    for ss, idx in opts.groupby(opts["sources"].map(tuple)).indices.items():
        cols = [fund.sources.index(s_) for s_ in ss]
        reach[idx] = reach_ls[o_loc[idx]][:, cols].sum(axis=1)
    unaffordable = opts["cost_rp"].to_numpy(float) > reach + 1e-6
    if unaffordable.any():
        g = opts[unaffordable].groupby("criterion").size()
        notes.append("options costing more than all their eligible money over the horizon (dropped): "
                     + ", ".join(f"{c}: {n}" for c, n in g.items()))
    dropped = opts[unaffordable].copy()
    if unaffordable.any():
        opts = opts[~unaffordable].reset_index(drop=True)
    # for the hectares and least-cost objectives an option with the same end score and a higher cost
    # than another of the same location and criterion is dominated (the households objective keeps all)
    if sc["objective.kind"] != "households" and len(opts):
        srt = opts.sort_values(["loc", "criterion", "score_after", "cost_rp"], kind="stable")
        # ... except on the criteria of a clearance rule's services, where a lower share counts too
        svc_codes, _ = service_targets(prof, rule)
        dom = srt.duplicated(["loc", "criterion", "score_after"]) & ~srt["criterion"].isin(list(LOCATION_WORKS)) \
            & ~srt["criterion"].isin(sorted(svc_codes))
        if dom.any():
            notes.append(f"{int(dom.sum())} dominated option(s) dropped (same end score, higher cost)")
            opts = opts.drop(index=srt.index[dom.to_numpy()]).reset_index(drop=True)
    # precedence: at a site that needs drainage (a score above 0 on a `before` criterion) but has no
    # fundable drainage option left, road works cannot follow drainage, so they are not offered either
    if len(opts):
        S0 = criterion_scores(criterion_shares(volume_matrix(loc, prof), denominator_matrix(loc, prof)), prof)
        col = {c: j for j, c in enumerate(prof.codes)}
        blocked = np.zeros(len(opts), bool)
        have = set(zip(opts["loc"], opts["criterion"]))
        o_loc_all = opts["loc"].to_numpy()
        for before, after in [(tuple(r["before"]), tuple(r["after"])) for r in sc["rules.precedence"]]:
            bj = [col[c] for c in before if c in col]
            needs = (S0[:, bj] > 0).any(axis=1) if bj else np.zeros(len(loc), bool)
            needs &= ~loc["location_id"].isin(sc["rules.precedence_done"]).to_numpy()
            stuck = np.array([bool(needs[i]) and not any((i, c) in have for c in before) for i in range(len(loc))],
                             dtype=bool)
            if stuck.any():
                blocked |= stuck[o_loc_all] & opts["criterion"].isin(list(after)).to_numpy()
        if blocked.any():
            ids = sorted(set(opts.loc[blocked, "location_id"]))
            notes.append(f"{int(blocked.sum())} road option(s) at {len(ids)} site(s) dropped: the site needs drainage "
                         f"first but no drainage option can be funded ({', '.join(ids[:10])}"
                         f"{', ...' if len(ids) > 10 else ''})")
            opts = opts[~blocked].reset_index(drop=True)
    opts["cost_m"] = opts["cost_rp"] / 1e6
    dropped["cost_m"] = dropped["cost_rp"] / 1e6
    opts.index.name = "option_row"
    return AllocationInput(sc, prof, loc, opts, fund, works, years, yw, cat, notes, dropped)
