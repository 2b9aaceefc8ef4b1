"""Independent plan checker: every rule verified from the plan table and the inputs only.

Nothing here reads the model or its constraints: quantities are re-checked with the official
scoring, clearing is re-scored, budgets are re-added with carry-over, and so on. The optimiser's
plans and the greedy rule's plans both go through :func:`check_plan` in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..score.scoring import criterion_scores, criterion_shares, denominator_matrix, score_permen, volume_matrix
from .costing import LOCATION_WORKS, target_bands
from .inputs import AllocationInput

__all__ = ["Violation", "check_plan"]

_TOL_RP = 1.0  # rupiah tolerance on money sums (the model works in millions with 1e-9 feasibility)
_REL = 1e-6


@dataclass(frozen=True)
class Violation:
    rule: str
    key: str
    found: float | str
    limit: float | str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.key}: {self.message} (found {self.found}, limit {self.limit})"


def _tol(x: float) -> float:
    return _TOL_RP + _REL * abs(x)


def check_plan(inp: AllocationInput, plan: pd.DataFrame) -> list[Violation]:
    """Check a plan table (:data:`~.results.PLAN_COLUMNS`) against every rule of the scenario.

    Rules: works priced right and their quantity reaching the target band; every work paid in
    full by eligible sources (criterion and authority); budgets per source and year with
    carry-over; per-kelurahan caps; swadaya share; at most one target per location and
    criterion; resettlement excludes in-situ works; precedence; legality; locks; equity;
    capacity (locations started per year, per kelurahan); the hectares target.

    Returns
    -------
    list of :class:`Violation` (empty = the plan keeps every rule)
    """
    v: list[Violation] = []
    sc = inp.scenario
    prof = inp.profile
    loc = inp.locations.set_index("location_id")
    f = inp.funding
    years = inp.years
    if plan.empty:
        plan = pd.DataFrame(columns=["location_id", "criterion", "option", "year", "source", "cost_rp", "quantity",
                                     "unit_cost_rp", "work_id", "work_cost_rp", "kelurahan"])
    plan = plan.copy()
    plan["year"] = plan["year"].astype(int)

    # ---- rows refer to known things -------------------------------------------------------
    for r in plan.itertuples(index=False):
        if r.location_id not in loc.index:
            v.append(Violation("unknown", r.location_id, r.location_id, "-", "unknown location"))
        if r.year not in years:
            v.append(Violation("year", r.location_id, r.year, f"{years[0]}-{years[-1]}", "work outside the horizon"))
        if r.source not in f.sources:
            v.append(Violation("source", r.location_id, r.source, str(f.sources), "unknown source"))
    if v:
        return v

    # ---- eligibility: criterion and authority --------------------------------------------------
    for r in plan.itertuples(index=False):
        if r.criterion not in f.eligible[r.source]:
            v.append(Violation("eligibility", f"{r.location_id}/{r.criterion}/{r.source}", r.source,
                               "eligible source", f"{r.source} may not pay for {r.criterion}"))
        a = loc.at[r.location_id, "authority_alloc"]
        if a not in f.authorities[r.source]:
            v.append(Violation("authority", f"{r.location_id}/{r.source}", a, sorted(f.authorities[r.source]),
                               f"{r.source} may not pay at a location of {a} authority"))

    # ---- works: priced right, paid in full, reaching their band -------------------------------
    works = plan.groupby(["location_id", "criterion", "option", "year"], sort=True).agg(
        quantity=("quantity", "first"), work_id=("work_id", "first"), unit_cost=("unit_cost_rp", "first"),
        paid=("cost_rp", "sum")).reset_index()
    wk = inp.works
    pidx = float(sc["costs.price_index"])
    lf = sc["costs.location_factor"]
    luc = sc["costs.location_unit_cost"]
    codes = list(prof.codes)
    bands = target_bands(prof)
    V = volume_matrix(inp.locations, prof)
    D = denominator_matrix(inp.locations, prof)
    S0 = criterion_scores(criterion_shares(V, D), prof)
    pos = {lid: i for i, lid in enumerate(inp.locations["location_id"])}
    for w in works.itertuples(index=False):
        key = f"{w.location_id}/{w.criterion}/{w.option}/{w.year}"
        if w.criterion not in wk.index:
            v.append(Violation("catalogue", key, w.criterion, "-", "no work in the catalogue"))
            continue
        expect_uc = float(wk.at[w.criterion, "unit_cost_rp"]) * pidx * float(lf.get(w.location_id, 1.0))
        if w.work_id in luc.get(w.location_id, {}):
            expect_uc = float(luc[w.location_id][w.work_id]) * pidx
        if w.work_id != wk.at[w.criterion, "work_id"]:
            v.append(Violation("catalogue", key, w.work_id, wk.at[w.criterion, "work_id"], "not the scenario's work"))
        if not np.isclose(w.unit_cost, expect_uc, rtol=1e-9):
            v.append(Violation("unit_cost", key, w.unit_cost, expect_uc, "unit cost differs from the catalogue"))
        due = float(w.quantity) * expect_uc
        if abs(w.paid - due) > _tol(due):
            v.append(Violation("paid_in_full", key, w.paid, due, "the work is not paid exactly (quantity x unit cost)"))
        i = pos[w.location_id]
        if w.criterion in codes:
            j = codes.index(w.criterion)
            rem = V[i, j] - float(w.quantity)
            if rem < -1e-9:
                v.append(Violation("quantity", key, w.quantity, V[i, j], "more than the affected volume"))
            band = bands.get(w.option, "bad")
            if band == "bad":
                v.append(Violation("option", key, w.option, list(bands), "unknown target"))
            elif band is None:
                if rem > 1e-9:
                    v.append(Violation("quantity", key, w.quantity, V[i, j], "'zero' must remove all the volume"))
            else:
                sc_after = criterion_scores(criterion_shares(np.array([max(rem, 0)]), np.array([D[i, j]])), prof)[0]
                limit = criterion_scores(np.array([band - 0.01]), prof)[0]
                if sc_after > limit:
                    v.append(Violation("quantity", key, sc_after, limit, f"the remaining share does not fall below {band} %"))
        elif w.criterion == "resettlement":
            if float(w.quantity) + 1e-9 < float(loc.at[w.location_id, "households"]):
                v.append(Violation("quantity", key, w.quantity, loc.at[w.location_id, "households"],
                                   "resettlement must move every household of the site"))

    # ---- one target per location and criterion; resettlement is exclusive ---------------------
    n = works.groupby(["location_id", "criterion"]).size()
    for (lid, c), k in n.items():
        if k > 1:
            v.append(Violation("one_target", f"{lid}/{c}", int(k), 1, "more than one target for a criterion"))
    res_locs = set(works.loc[works["criterion"] == "resettlement", "location_id"])
    for lid in sorted(res_locs):
        other = works[(works["location_id"] == lid) & (works["criterion"] != "resettlement")]
        if len(other):
            v.append(Violation("resettlement", lid, len(other), 0, "in-situ works or legalisation at a resettled site"))

    # ---- budgets per source and year with carry-over; caps -------------------------------------
    # one pool per source and scope (the whole data set, a province or a city): money spent at the
    # locations in the scope, re-added from the plan rows and the baseline's city / province columns
    n_loc = len(inp.locations)
    for p, (s, _scope) in enumerate(f.pools):
        inside = pd.Series(f.locations_of(p, n_loc), index=inp.locations["location_id"].to_numpy())
        rows = plan[(plan["source"] == s) & plan["location_id"].map(inside).fillna(False).astype(bool)]
        used = rows.groupby("year")["cost_rp"].sum()
        where = "" if f.pool_kind[p] == "all" else f" ({f.pool_label(p)})"
        carried = 0.0
        for yi, y in enumerate(years):
            avail = float(f.pool_budget_rp[p, yi]) + (carried if f.carry_over[s] else 0.0)
            u = float(used.get(y, 0.0))
            if u > avail + _tol(avail):
                key = f"{s}/{y}" if f.pool_kind[p] == "all" else f"{s}/{f.pool_label(p)}/{y}"
                v.append(Violation("budget", key, u, avail, f"{s}{where} spends more than available in {y}"))
            carried = avail - u
    # money of a source at a location no pool of that source covers
    covered = {s: np.zeros(n_loc, bool) for s in f.sources}
    for p, (s, _scope) in enumerate(f.pools):
        covered[s] |= f.locations_of(p, n_loc)
    pos_of = {lid: k for k, lid in enumerate(inp.locations["location_id"])}
    for r in plan.itertuples(index=False):
        if r.cost_rp > _TOL_RP and not covered[r.source][pos_of[r.location_id]]:
            v.append(Violation("budget_scope", f"{r.location_id}/{r.source}", r.source, "a pool covering the location",
                               f"{r.source} has no budget for the scope of {r.location_id}"))
    # kelurahan names repeat across cities: with several cities a kelurahan is counted within its city
    lk = inp.locations["kelurahan"].astype(str)
    if "city" in inp.locations and inp.locations["city"].astype(str).nunique() > 1:
        lk = inp.locations["city"].astype(str) + "/" + lk
    kel_key = dict(zip(inp.locations["location_id"], lk))
    for s in f.sources:
        cap = f.cap_rp.get(s)
        if cap is not None:
            kel = plan[plan["source"] == s].groupby([plan["location_id"].map(kel_key), "year"])["cost_rp"].sum()
            for (k, y), u in kel.items():
                if u > cap + _tol(cap):
                    v.append(Violation("kelurahan_cap", f"{s}/{k}/{y}", u, cap, f"{s} exceeds its cap in kelurahan {k}"))

    # ---- swadaya share -------------------------------------------------------------------------
    sw, share = inp.swadaya_source, inp.swadaya_share
    if sw is not None and share > 0:
        ins = plan[~plan["criterion"].isin(list(LOCATION_WORKS))]
        tot = ins.groupby(["location_id", "year"])["cost_rp"].sum()
        swp = ins[ins["source"] == sw].groupby(["location_id", "year"])["cost_rp"].sum()  # in-situ money only
        for key, t in tot.items():
            got = float(swp.get(key, 0.0))
            if got + _tol(t) < share * t:
                v.append(Violation("swadaya_share", f"{key[0]}/{key[1]}", got, share * t,
                                   f"community share below {share:.0%} of in-situ spend"))

    # ---- precedence ---------------------------------------------------------------------------
    # a site needs the `before` works when the baseline scores any of them above 0 (recomputed here
    # from the baseline volumes, not from the options the model was offered)
    opts = inp.options
    base = inp.locations
    S0 = criterion_scores(criterion_shares(volume_matrix(base, inp.profile), denominator_matrix(base, inp.profile)),
                          inp.profile)
    col = {c: j for j, c in enumerate(inp.profile.codes)}
    row_of = {lid: k for k, lid in enumerate(base["location_id"])}
    has = {(lid, c) for lid, k in row_of.items() for c, j in col.items() if S0[k, j] > 0}
    first = works.groupby(["location_id", "criterion"])["year"].min()
    for before, after in inp.precedence:
        for lid in sorted(set(works["location_id"])):
            if not any((lid, c) in has for c in before):
                continue
            yb = [first.get((lid, c)) for c in before if (lid, c) in first.index]
            yb = min(yb) if yb else None
            for a in after:
                if (lid, a) in first.index and (yb is None or first[(lid, a)] < yb):
                    v.append(Violation("precedence", f"{lid}/{a}", int(first[(lid, a)]), yb if yb is not None else "none",
                                       f"{a} works before any of {list(before)} at a site that needs them"))

    # ---- legality ------------------------------------------------------------------------------
    leg_year = works[works["criterion"] == "legalisation"].groupby("location_id")["year"].min()
    for w in works.itertuples(index=False):
        if w.criterion in LOCATION_WORKS or bool(loc.at[w.location_id, "legal_alloc"]):
            continue
        ly = leg_year.get(w.location_id)
        if ly is None or ly > w.year:
            v.append(Violation("legality", f"{w.location_id}/{w.criterion}/{w.year}", "not legal",
                               "legalised first", "in-situ works on land that is not legal"))

    # ---- locks -----------------------------------------------------------------------------------
    for lid in sc["rules.locked_out"]:
        if (works["location_id"] == lid).any():
            v.append(Violation("locked_out", lid, int((works["location_id"] == lid).sum()), 0, "works at a locked-out location"))
    Dm = D
    thr = inp.threshold
    area = inp.locations["area_ha"].to_numpy(float)
    tot0 = score_permen(V, Dm, prof)["total"]

    def cleared_by(year):
        Vy = V.copy()
        res = np.zeros(len(V), bool)
        for w in works[works["year"] <= year].itertuples(index=False):
            i = pos[w.location_id]
            if w.criterion == "resettlement":
                res[i] = True
            elif w.criterion in codes:
                j = codes.index(w.criterion)
                Vy[i, j] = max(Vy[i, j] - float(w.quantity), 0.0)
        t = score_permen(Vy, Dm, prof)["total"]
        return (tot0 >= thr) & ((t < thr) | res)

    last = cleared_by(years[-1])
    for lid in sc["rules.locked_in"]:
        if not last[pos[lid]]:
            v.append(Violation("locked_in", lid, "slum", "cleared", f"locked-in location not cleared by {years[-1]}"))
    th, ty = inp.target()
    if th is not None:
        got = float(area[cleared_by(ty)].sum())
        if got + 1e-6 < th:
            v.append(Violation("target", str(ty), got, th, f"hectares cleared by {ty} below the target"))

    # ---- equity ------------------------------------------------------------------------------
    fmin = float(sc["rules.equity_min_share"])
    if fmin > 0:
        groups = sorted(set(inp.locations.set_index("location_id").loc[opts["location_id"].unique(), "equity_group"]))
        G = len(groups)
        total = float(plan["cost_rp"].sum())
        per = plan.groupby(plan["location_id"].map(loc["equity_group"]))["cost_rp"].sum()
        for g in groups:
            got = float(per.get(g, 0.0))
            need = fmin / G * total
            if got + _tol(need) < need:
                v.append(Violation("equity", g, got, need, f"below {fmin:.0%} of an equal share (1/{G}) of total spend"))

    # ---- capacity ------------------------------------------------------------------------------
    start = works.groupby("location_id")["year"].min()
    cy, ck = sc["rules.max_starts_per_year"], sc["rules.max_starts_per_kelurahan"]
    if cy is not None:
        for y, k in start.value_counts().items():
            if k > cy:
                v.append(Violation("capacity", str(y), int(k), cy, f"more locations started in {y} than allowed"))
    if ck is not None:
        kk = pd.DataFrame({"kel": start.index.map(loc["kelurahan"]), "year": start.to_numpy()}).value_counts()
        for (k, y), c in kk.items():
            if c > ck:
                v.append(Violation("capacity_kelurahan", f"{k}/{y}", int(c), ck, f"too many locations started in {k} in {y}"))
    return v
