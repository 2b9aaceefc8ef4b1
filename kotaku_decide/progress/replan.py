"""Re-planning inputs: the years before ``from_year`` fixed to what was realised.

``kotaku-decide replan`` (the allocation engine's part) plans the years from ``from_year`` on; this
module turns realised works into what the engine must hold fixed:

- ``works``: one row per realised (location, criterion, year) before ``from_year``, with the plan's
  ``option`` when the realised volume matches a planned work of that location and criterion (the
  model's variable for that option and year can be fixed to 1), else ``option`` empty (a partial or
  unplanned work: it enters as a smaller baseline volume, ``volumes_left``);
- ``spent``: money spent per source and year before ``from_year`` [Rp] (taken off those budgets);
- ``volumes_left``: the baseline's ``vol_<input_key>`` columns after the realised works, floored at
  0, ready to be scored as the new starting condition;
- ``resettled``: locations whose households were all resettled (off the slum list at their site);
- ``legalised``: locations whose whole area was legalised (in-situ works allowed from ``from_year``).

Pure functions: no solver, no files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.profiles import Profile
from .condition import volumes_after, work_volumes

__all__ = ["FixedPast", "fixed_past", "Replan", "ReplanError", "replan", "carried_budget", "replan_overrides",
           "compare_plans"]

_TOL = 1e-6


@dataclass(frozen=True)
class FixedPast:
    """What re-planning from ``from_year`` must keep.

    Attributes
    ----------
    from_year : int
    works : DataFrame
        ``location_id, criterion, year, volume, cost_rp, option, matches_plan`` (realised before
        ``from_year``; ``option`` the planned option whose quantity the realised volume reached).
    spent : DataFrame
        ``source, year, spent_rp`` [Rp], every year before ``from_year`` that has spending.
    volumes_left : DataFrame
        The baseline with its ``vol_`` columns reduced by the realised works.
    resettled : tuple of str
        Location ids resettled before ``from_year``.
    legalised : tuple of str
        Location ids whose whole area (``area_ha``) was legalised before ``from_year``.
    """

    from_year: int
    works: pd.DataFrame
    spent: pd.DataFrame
    volumes_left: pd.DataFrame
    resettled: tuple
    legalised: tuple = ()

    def spent_by(self, source: str, year: int) -> float:
        """Money already spent by ``source`` in ``year`` [Rp] (0 if none)."""
        m = (self.spent["source"] == source) & (self.spent["year"] == year)
        return float(self.spent.loc[m, "spent_rp"].sum())


def fixed_past(baseline: pd.DataFrame, profile: Profile, realised: pd.DataFrame, from_year: int,
               plan: pd.DataFrame | None = None) -> FixedPast:
    """Realised works before ``from_year`` as fixed works, money spent and the volumes left.

    Parameters
    ----------
    baseline : validated baseline (at the plan's level)
    profile : Profile
    realised : validated realised works (:func:`kotaku_decide.data.realised.load_realised`)
    from_year : first year to re-plan; works of ``from_year`` and later are ignored here
    plan : the original plan (``plan.csv``), to name the option each realised work completes

    Returns
    -------
    FixedPast
    """
    past = realised[realised["year"] < from_year]
    w = work_volumes(past) if len(past) else pd.DataFrame(
        columns=["location_id", "criterion", "year", "volume", "cost_rp"])
    opt = [None] * len(w)
    if plan is not None and len(plan) and len(w):
        keys = ["location_id", "criterion", "option", "year"]
        pw = plan.groupby(keys, sort=True).agg(quantity=("quantity", "first")).reset_index()
        for k, (lid, c, v) in enumerate(zip(w["location_id"], w["criterion"], w["volume"])):
            cand = pw[(pw["location_id"] == lid) & (pw["criterion"] == c)]
            hit = cand[np.abs(cand["quantity"].to_numpy(float) - float(v)) <= _TOL * np.maximum(1.0, float(v))]
            if len(hit):
                opt[k] = str(hit["option"].iloc[0])
    works = w.assign(option=opt, matches_plan=[o is not None for o in opt])
    spent = (past.groupby(["source", "year"])["cost_rp"].sum().rename("spent_rp").reset_index()
             if len(past) else pd.DataFrame(columns=["source", "year", "spent_rp"]))
    V, res = volumes_after(baseline, profile, w if len(w) else w.astype({"volume": float}))
    left = baseline.copy()
    for j, key in enumerate(profile.input_keys):
        left[f"vol_{key}"] = V[:, j]
    left = left.drop(columns=[c for c in left.columns if c.startswith("pct_")])  # the volumes are the data now
    ids = baseline["location_id"].astype(str).to_numpy()
    leg = w[w["criterion"] == "legalisation"].groupby("location_id")["volume"].sum() if len(w) else pd.Series()
    area = pd.Series(baseline["area_ha"].to_numpy(float), index=ids)
    legalised = tuple(i for i in ids if i in leg.index and leg[i] >= area[i] * (1 - _TOL))
    return FixedPast(from_year=int(from_year), works=works.reset_index(drop=True), spent=spent,
                     volumes_left=left, resettled=tuple(ids[res]), legalised=legalised)


class ReplanError(ValueError):
    """A re-plan that cannot be set up (a ``--from`` year outside the horizon, a target already past)."""


def carried_budget(funding, realised: pd.DataFrame, locations: pd.DataFrame, from_year: int
                   ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The money a re-plan from ``from_year`` may use, per pool (source and scope) and year.

    Parameters
    ----------
    funding : the original scenario's :class:`~kotaku_decide.allocate.funding.Funding` (budgets
        already multiplied by the scenario's factors)
    realised : validated realised works (``location_id, year, cost_rp, source``)
    locations : the original input's locations (``location_id`` in funding order), to find the
        scoped pool that paid a realised work
    from_year : first re-planned year

    Returns
    -------
    budget : DataFrame ``source, year, budget_rp`` (plus ``scope`` when the funding is scoped), one
        row per pool and re-planned year: the original budget, plus for a source that carries over
        the money left before ``from_year`` (budget - spent; an overspend is taken off the first
        re-planned years, never below 0)
    money : DataFrame per pool: ``source, scope, budget_before_rp, spent_before_rp, carry_over,
        carried_rp`` (what moved into the re-plan), ``debt_left_rp`` (an overspend no re-planned
        budget could absorb)
    notes : list of str (overspends of sources that do not carry over, spending by a source outside
        the funding table)
    """
    years = list(funding.years)
    past = [j for j, y in enumerate(years) if y < from_year]
    rest = [j for j, y in enumerate(years) if y >= from_year]
    PB = np.array(funding.pool_budget_rp, float)
    ids = locations["location_id"].astype(str).tolist()
    pos = {lid: k for k, lid in enumerate(ids)}
    spent = np.zeros((len(funding.pools), len(years)))
    notes = []
    done = realised[realised["year"] < from_year]
    outside = sorted(set(done["source"].astype(str)) - set(funding.sources))
    if outside:
        tot = done[done["source"].astype(str).isin(outside)]["cost_rp"].sum()
        notes.append(f"Rp {tot:,.0f} spent before {from_year} by source(s) {outside} that the funding table does not "
                     "have: not taken off any budget")
    for s, y, lid, c in zip(done["source"].astype(str), done["year"].astype(int), done["location_id"].astype(str),
                            done["cost_rp"].astype(float)):
        if s not in funding.sources or y not in years:
            continue
        cand = [p for p, (ps, _) in enumerate(funding.pools) if ps == s
                and (lid not in pos or funding.locations_of(p, len(ids))[pos[lid]])]
        if cand:
            spent[cand[0], years.index(y)] += c
    rows, money = [], []
    out_budget = PB.copy()
    for p, (s, _scope) in enumerate(funding.pools):
        before = float(PB[p, past].sum())
        sp = float(spent[p, past].sum())
        carry = bool(funding.carry_over.get(s, False))
        carried, debt = 0.0, 0.0
        if carry and rest:
            left = before - sp
            if left >= 0:
                out_budget[p, rest[0]] += left
                carried = left
            else:
                debt = -left
                for j in rest:
                    take = min(debt, out_budget[p, j])
                    out_budget[p, j] -= take
                    debt -= take
                carried = -(-left - debt)
                if debt > 1e-6:
                    notes.append(f"{funding.pool_label(p)} {s}: Rp {debt:,.0f} spent before {from_year} beyond its "
                                 "budgets is more than every re-planned budget of the source can absorb")
        elif not carry:
            for j in past:
                if spent[p, j] > PB[p, j] + 1e-6:
                    notes.append(f"{s} ({funding.pool_label(p)}) spent Rp {spent[p, j]:,.0f} in {years[j]}, Rp "
                                 f"{spent[p, j] - PB[p, j]:,.0f} over its budget; the source does not carry over, so "
                                 "later budgets are not reduced")
        money.append({"source": s, "scope": funding.pool_label(p), "budget_before_rp": before, "spent_before_rp": sp,
                      "carry_over": carry, "carried_rp": carried, "debt_left_rp": debt})
        for j in rest:
            r = {"source": s, "year": years[j], "budget_rp": float(out_budget[p, j])}
            if funding.scoped:
                r["scope"] = funding.pool_label(p)
            rows.append(r)
    return pd.DataFrame(rows), pd.DataFrame(money), notes


def _check_from(scenario, from_year: int) -> None:
    """``from_year`` must leave at least one fixed year before it and one planned year (ReplanError)."""
    y0, y1 = scenario["years.start"], scenario["years.end"]
    if not y0 < int(from_year) <= y1:
        raise ReplanError(f"--from {from_year}: expected a year after the plan's first year {y0} and at most its "
                          f"last year {y1} (the years before it are fixed to what was realised)")


def replan_overrides(scenario, fixed: FixedPast, locations: pd.DataFrame, profile: Profile,
                     budget_path) -> tuple[dict, list[str]]:
    """Scenario overrides of the re-plan: the re-planned years, the money left, the decisions taken.

    ``locations``: the original input's locations (``location_id, area_ha, slum``); ``budget_path``:
    the budget file written from :func:`carried_budget` (factors already applied, so the re-plan
    sets ``budget_factor`` 1 and no ``source_factor``).
    """
    from ..score.clearance import cleared
    from ..score.scoring import denominator_matrix, volume_matrix

    notes = []
    _check_from(scenario, fixed.from_year)
    left = fixed.volumes_left.reset_index(drop=True)
    V, D = volume_matrix(left, profile), denominator_matrix(left, profile)
    res_mask = left["location_id"].astype(str).isin(fixed.resettled).to_numpy()
    now_clear = cleared(V, D, profile, scenario["options.clearance_rule"], res_mask)
    slum0 = dict(zip(locations["location_id"].astype(str), locations["slum"].astype(bool)))
    done_ids = [lid for lid, c in zip(left["location_id"].astype(str), now_clear) if c and slum0.get(lid, False)]
    over: dict = {"years": {"start": int(fixed.from_year)},
                  "data": {"budget": str(budget_path), "level": "rt"},
                  "funding": {"budget_factor": 1.0, "source_factor": {}}}
    leg = sorted(set(scenario["options.legalised"]) | set(fixed.legalised))
    if set(fixed.legalised) - set(scenario["options.legalised"]):
        notes.append(f"land legalised before {fixed.from_year}: {', '.join(sorted(fixed.legalised))}")
    over["options"] = {"legalised": leg}
    lout = sorted(set(scenario["rules.locked_out"]) | set(fixed.resettled))
    lin = [lid for lid in scenario["rules.locked_in"] if lid not in done_ids and lid not in fixed.resettled]
    dropped = sorted(set(scenario["rules.locked_in"]) - set(lin))
    if dropped:
        notes.append(f"locked-in location(s) already cleared before {fixed.from_year}: {', '.join(dropped)}")
    before = {c for r in scenario["rules.precedence"] for c in r["before"]}
    w = fixed.works
    pdone = sorted(set(scenario["rules.precedence_done"])
                   | set(w.loc[w["criterion"].isin(sorted(before)) & (w["volume"] > 0), "location_id"].astype(str)))
    over["rules"] = {"locked_out": lout, "locked_in": lin, "precedence_done": pdone}
    if pdone:
        after = ", ".join(sorted({c for r in scenario["rules.precedence"] for c in r["after"]}))
        notes.append(f"precedence: {len(pdone)} location(s) had their {'/'.join(sorted(before))} works before "
                     f"{fixed.from_year}; their {after} works need no new one")
    if fixed.resettled:
        notes.append(f"resettled before {fixed.from_year} (off the slum list, no more works): "
                     + ", ".join(fixed.resettled))
    th, ty = scenario["objective.target_hectares"], scenario["objective.target_year"]
    if ty is not None and ty < fixed.from_year and th is not None:
        raise ReplanError(f"objective.target_year {ty} is before --from {fixed.from_year}: the target can no longer "
                          "be planned for; set a later target_year or none")
    if th is not None and th != "all":
        area = dict(zip(locations["location_id"].astype(str), locations["area_ha"].astype(float)))
        got = float(sum(area[lid] for lid in done_ids if lid in area))
        over["objective"] = {"target_hectares": max(0.0, float(th) - got)}
        notes.append(f"target: {th:g} ha, of which {got:.2f} ha already cleared before {fixed.from_year}; the re-plan "
                     f"must clear {max(0.0, float(th) - got):.2f} ha more")
    if scenario["rules.equity_min_share"] > 0:
        notes.append("equity: the minimum share applies to the re-planned spend only (money spent before "
                     f"{fixed.from_year} is not counted)")
    if done_ids:
        notes.append(f"{len(done_ids)} location(s) cleared by the realised works before {fixed.from_year}")
    return over, notes


@dataclass
class Replan:
    """A re-plan from ``from_year`` and how it differs from the original plan.

    Attributes
    ----------
    fixed : FixedPast
        The realised works before ``from_year`` (fixed), money spent, volumes left.
    result : AllocationResult
        The re-plan of the years from ``from_year`` on (from the volumes left and the money left).
    original : DataFrame
        The original plan (all years).
    budget, money : DataFrame
        The money the re-plan may use per source and year, and per source what was spent before
        ``from_year`` and carried into the re-plan (:func:`carried_budget`).
    changes : DataFrame
        One row per location with works in either plan: planned against re-planned cost and
        cleared year, ``change`` and ``reason``.
    original_rest : dict
        The original plan's works from ``from_year`` on, evaluated on the re-plan's input:
        ``feasible`` (it keeps every rule there), ``violations``, and its objective values
        (comparable to ``result.evaluation``).
    notes : list of str
    files : dict of the input files written for the re-plan (``scenario``, ``baseline``, ``budget``)
    """

    fixed: FixedPast
    result: object
    original: pd.DataFrame
    budget: pd.DataFrame
    money: pd.DataFrame
    changes: pd.DataFrame
    original_rest: dict
    notes: list
    files: dict


def _write_csv(df: pd.DataFrame, path, comments) -> None:
    from ..data.writers import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            for c in comments:
                fh.write(f"# {c}\n")
            df.to_csv(fh, index=False)


def _reasons(lid: str, fixed: FixedPast, orig: pd.DataFrame, from_year: int) -> str:
    """Why a location's plan changed: what happened to it before ``from_year``."""
    past_plan = orig[(orig["location_id"] == lid) & (orig["year"] < from_year)]
    done = fixed.works[fixed.works["location_id"] == lid]
    out = []
    planned = past_plan.groupby("criterion")["quantity"].first()
    realised = done.groupby("criterion")["volume"].sum()
    missed = [c for c, q in planned.items() if realised.get(c, 0.0) < float(q) * (1 - _TOL) - _TOL]
    extra = [c for c in realised.index if c not in planned.index]
    if missed:
        out.append("planned work not done (or only partly) before the re-plan: " + ", ".join(missed))
    if extra:
        out.append("works done that were not in the plan: " + ", ".join(extra))
    return "; ".join(out)


def compare_plans(original: pd.DataFrame, result, fixed: FixedPast, money: pd.DataFrame) -> pd.DataFrame:
    """Per location: the original plan's works from ``from_year`` on against the re-plan's, and why they differ."""
    y0 = fixed.from_year
    orig = original.copy()
    orig["location_id"] = orig["location_id"].astype(str)
    rest = orig[orig["year"] >= y0]
    new = result.plan.copy()
    new["location_id"] = new["location_id"].astype(str)
    ba = result.before_after.set_index("location_id")
    ids = sorted(set(rest["location_id"]) | set(new["location_id"])
                 | set(fixed.works["location_id"].astype(str)))
    money_changed = bool(len(money)) and bool(
        (np.abs(money["carried_rp"].to_numpy(float)) > 1e-6).any())
    rows = []
    for lid in ids:
        a = rest[rest["location_id"] == lid]
        b = new[new["location_id"] == lid]
        ca, cb = float(a["cost_rp"].sum()), float(b["cost_rp"].sum())
        wa = sorted(set(zip(a["criterion"], a["option"], a["year"])))
        wb = sorted(set(zip(b["criterion"], b["option"], b["year"])))
        if wa == wb:
            change = "same" if wa else "none"
        elif not wb:
            change = "dropped"
        elif not wa:
            change = "added"
        elif {w[:2] for w in wa} == {w[:2] for w in wb}:
            change = "moved"  # the same works in other years
        else:
            change = "changed"
        why = _reasons(lid, fixed, orig, y0)
        if change not in ("same", "none") and not why:
            why = ("money: the budgets left differ from the plan's (spending before the re-plan, carry-over)"
                   if money_changed else "the re-plan's optimum from the conditions now (other locations' changes)")
        cy = ba["cleared_year"].get(lid) if lid in ba.index else None
        rows.append({"location_id": lid, "planned_works": len(wa), "replanned_works": len(wb),
                     "planned_cost_rp": ca, "replanned_cost_rp": cb,
                     "replanned_cleared_year": None if cy is None or pd.isna(cy) else int(cy),
                     "change": change, "reason": why})
    return pd.DataFrame(rows, columns=["location_id", "planned_works", "replanned_works", "planned_cost_rp",
                                       "replanned_cost_rp", "replanned_cleared_year", "change", "reason"])


def replan(scenario, realised, from_year: int, work_dir, plan=None, method: str = "milp") -> Replan:
    """Re-plan the years from ``from_year`` on, the earlier years fixed to the realised works.

    Parameters
    ----------
    scenario : the original plan's scenario (path, dict or Scenario)
    realised : realised works (path or frame; validated against the scenario's baseline and years)
    from_year : first year to re-plan; every earlier year is fixed to what was realised
    work_dir : folder where the re-plan's inputs are written (``baseline_left.csv``,
        ``budget_left.csv``, ``scenario.yaml``: running ``kotaku-decide allocate`` on that scenario
        gives the same re-plan)
    plan : the original plan: a frame, or the path of the ``plan.csv`` that ``kotaku-decide allocate``
        wrote (checked against the baseline); default: solved here from the scenario with ``method``
    method : ``milp`` or ``greedy``

    Raises
    ------
    ReplanError, ScenarioError, RealisedError, PlanError, FundingError (with the file, row, column and value)
    """
    from pathlib import Path

    import yaml

    from ..allocate import allocate, prepare
    from ..allocate.checker import check_plan
    from ..allocate.results import evaluate_plan, works_from_plan
    from ..data.profiles import load_profile
    from ..data.realised import load_realised
    from ..data.scenario import Scenario, load_scenario
    from ..data.validate import load_baseline
    from ..score.scoring import aggregate

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _check_from(sc, from_year)
    prof = load_profile(sc["profile"])
    raw = load_baseline(sc.data_path("baseline"), prof)  # read once: prepare gets it too
    inp0 = prepare(sc, baseline=raw)
    base = aggregate(raw, sc["data.level"], prof).reset_index(drop=True)
    base["location_id"] = base["location_id"].astype(str)
    years = list(range(sc["years.start"], sc["years.end"] + 1))
    real = load_realised(realised, base, prof, years, inp0.funding.sources)
    if plan is None:
        plan = allocate(inp=inp0, method=method).plan
    elif not isinstance(plan, pd.DataFrame):
        from .api import read_plan

        plan = read_plan(plan, base, prof)
    plan = plan.copy()
    plan["location_id"] = plan["location_id"].astype(str)
    plan["year"] = plan["year"].astype(int)
    fixed = fixed_past(base, prof, real, int(from_year), plan)
    budget, money, notes = carried_budget(inp0.funding, real, inp0.locations, int(from_year))
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    status = list(raw.attrs.get("comments") or [])
    b_path, l_path, s_path = work / "budget_left.csv", work / "baseline_left.csv", work / "scenario.yaml"
    from ..allocate.funding import provenance_note

    orig_status = provenance_note(sc.data_path("budget"))
    _write_csv(budget, b_path, [f"{orig_status} Re-plan from {from_year}: the money it may use [Rp], the scenario's "
                                "budgets (its factors applied) plus, for sources that carry over, what was left "
                                "before it (kotaku-decide replan)".strip()])
    left = fixed.volumes_left.drop(columns=[c for c in ("source_row",) if c in fixed.volumes_left.columns])
    _write_csv(left, l_path, [*status, f"Volumes left after the realised works before {from_year} "
                                       "(kotaku-decide replan)"])
    over, more = replan_overrides(sc, fixed, inp0.locations, prof, b_path)
    over["data"]["baseline"] = str(l_path)
    notes = more + notes
    sc2 = sc.replace(over)
    with open(s_path, "w", encoding="utf-8") as fh:
        fh.write(f"# Re-plan of {sc.source} from {from_year} (kotaku-decide replan)\n")
        yaml.safe_dump(sc2.values, fh, sort_keys=False, allow_unicode=True)
    inp2 = prepare(sc2)
    res = allocate(inp=inp2, method=method)
    rest = plan[plan["year"] >= int(from_year)]
    viol = check_plan(inp2, rest)
    ev = evaluate_plan(inp2, works_from_plan(rest))
    original_rest = {"feasible": not viol, "violations": [str(v) for v in viol],
                     **{k: v for k, v in ev.items() if k != "cleared_by_year"}}
    changes = compare_plans(plan, res, fixed, money)
    return Replan(fixed=fixed, result=res, original=plan, budget=budget, money=money, changes=changes,
                  original_rest=original_rest, notes=notes,
                  files={"scenario": s_path, "baseline": l_path, "budget": b_path})
