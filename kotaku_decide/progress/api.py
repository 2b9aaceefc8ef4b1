"""Progress against a plan in one call: realised works -> end condition per year -> plan against actual.

:func:`track_progress` is pure (tables in, tables out); :func:`load_progress_inputs` reads the files
(the resolved scenario written beside ``plan.csv`` names the baseline, profile, level, years and
funding rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.profiles import ClearanceRule, Profile, as_profile, load_profile
from ..data.realised import RealisedError, validate_realised
from ..score.clearance import resolve_rule
from .compare import as_of_year, compare_money, compare_source_year, compare_works
from .condition import condition_by_year, work_volumes, yearly_indicators

__all__ = ["ProgressResult", "track_progress", "ProgressInputs", "load_progress_inputs", "read_plan", "PlanError"]

PLAN_REQUIRED = ("location_id", "criterion", "option", "quantity", "year", "source", "cost_rp")


class PlanError(ValueError):
    """A plan table that cannot be used (missing columns, unknown locations or criteria)."""


@dataclass
class ProgressResult:
    """Progress of a plan as of a year.

    Attributes
    ----------
    as_of : int
        Last year with realised works (or as given).
    years : list of int
        The plan's years.
    rule : ClearanceRule
        The clearance rule used (reported).
    yearly : DataFrame
        Per year: the 100-0-100 indicators planned and realised side by side (``*_planned``,
        ``*_realised``; realised values only up to ``as_of``).
    condition : DataFrame
        End condition per location and year under the realised works (see
        :func:`~.condition.condition_by_year`); ``condition_planned`` the same under the plan.
    works : DataFrame
        Plan against actual per location and criterion (:func:`~.compare.compare_works`).
    money : DataFrame
        Per location and source (:func:`~.compare.compare_money`).
    source_year : DataFrame
        Per source and year (:func:`~.compare.compare_source_year`).
    behind : DataFrame
        Locations behind plan: planned to be cleared by ``as_of`` but not cleared, or with works
        behind or late.
    cleared : DataFrame
        Locations cleared by the realised works: the year, the aspects the works addressed and the
        rule's service levels.
    provenance : list of str
        What the data is (SYNTHETIC baseline or realised works say so).
    """

    as_of: int
    years: list
    rule: ClearanceRule
    yearly: pd.DataFrame
    condition: pd.DataFrame
    condition_planned: pd.DataFrame
    works: pd.DataFrame
    money: pd.DataFrame
    source_year: pd.DataFrame
    behind: pd.DataFrame
    cleared: pd.DataFrame
    locations: pd.DataFrame
    provenance: list = field(default_factory=list)
    sources: dict = field(default_factory=dict)


def _first_year(cond: pd.DataFrame, col: str, upto: int | None = None) -> pd.Series:
    c = cond[cond[col] & (cond["year"] >= cond["year"].min() + 1)]
    if upto is not None:
        c = c[c["year"] <= upto]
    return c.groupby("location_id")["year"].min()


def _aspects_addressed(works: pd.DataFrame, profile: Profile, upto: int) -> pd.Series:
    aspect = dict(zip(profile.criteria["code"], profile.criteria["aspect"]))
    aspect |= {"resettlement": "resettlement", "legalisation": "legalisation"}
    w = works[(works["year"] <= upto) & (works["volume"] > 0)]
    order = list(profile.aspects) + ["resettlement", "legalisation"]
    return w.groupby("location_id")["criterion"].agg(
        lambda s: " ".join(sorted({aspect[c] for c in s}, key=order.index)))


def track_progress(baseline: pd.DataFrame, profile: Profile | str, plan: pd.DataFrame, realised: pd.DataFrame,
                   years: list[int], rule: ClearanceRule | str | None = None, as_of: int | None = None,
                   cost_tolerance: float = 0.05) -> ProgressResult:
    """Progress of ``plan`` given ``realised`` works (both validated tables), as of a year.

    Parameters
    ----------
    baseline : validated baseline at the plan's level (one row per location)
    profile : Profile or name
    plan : plan table (``plan.csv`` of ``kotaku-decide allocate``)
    realised : realised works (:func:`kotaku_decide.data.realised.load_realised`)
    years : the plan's years
    rule : clearance rule (name, object, or None: the profile's default)
    as_of : last year to count realised works (default: the last year in ``realised``)
    cost_tolerance : share by which realised cost may differ from the plan's before it is over / under
    """
    prof = as_profile(profile)
    rule = resolve_rule(prof, rule)
    years = [int(y) for y in years]
    as_of = int(as_of) if as_of is not None else as_of_year(realised, years)
    real = realised[realised["year"] <= as_of]
    rw = work_volumes(real) if len(real) else pd.DataFrame(
        columns=["location_id", "criterion", "year", "volume", "cost_rp"]).astype({"volume": float, "year": int})
    pw = work_volumes(plan) if len(plan) else rw.iloc[0:0]
    cond_r = condition_by_year(baseline, prof, rw, years, rule)
    cond_p = condition_by_year(baseline, prof, pw, years, rule)
    yr_r = yearly_indicators(baseline, prof, rw, years, rule, condition=cond_r)
    yr_p = yearly_indicators(baseline, prof, pw, years, rule, condition=cond_p)
    yearly = yr_p.merge(yr_r, on="year", suffixes=("_planned", "_realised"))
    for c in [c for c in yearly.columns if c.endswith("_realised")]:
        kept = yearly[c].where(yearly["year"] <= as_of)  # nothing is known after the as-of year
        yearly[c] = kept.astype("Int64") if c.endswith("_locations_realised") else kept
    works = compare_works(plan, real, as_of=as_of, years=years, cost_tolerance=cost_tolerance)
    money = compare_money(plan, real, as_of)
    sy = compare_source_year(plan, real)

    loc = baseline[[c for c in ("location_id", "name", "kelurahan", "kecamatan", "area_ha", "lat", "lon")
                    if c in baseline.columns]].copy()
    loc["location_id"] = loc["location_id"].astype(str)
    ids = loc["location_id"]
    planned_clear = _first_year(cond_p, "cleared")
    real_clear = _first_year(cond_r, "cleared", as_of)
    now = cond_r[cond_r["year"] == min(as_of, years[-1])].set_index("location_id") if as_of >= years[0] else \
        cond_r[cond_r["year"] == years[0] - 1].set_index("location_id")
    base = cond_r[cond_r["year"] == years[0] - 1].set_index("location_id")
    st = works.groupby("location_id")["status"].agg(lambda s: list(s))
    money_loc = money.groupby("location_id")[["planned_to_date_rp", "realised_rp"]].sum()
    summary = loc.assign(
        slum_before=ids.map(base["slum_before"]).astype(bool).to_numpy(),
        total_before=ids.map(base["total"]).to_numpy(),
        total_now=ids.map(now["total"]).to_numpy(),
        planned_cleared_year=pd.array(ids.map(planned_clear).to_numpy(), dtype="Int64"),
        cleared_year=pd.array(ids.map(real_clear).to_numpy(), dtype="Int64"),
        works_done=ids.map(st.map(lambda s: s.count("done"))).fillna(0).astype(int).to_numpy(),
        works_late=ids.map(st.map(lambda s: s.count("late"))).fillna(0).astype(int).to_numpy(),
        works_behind=ids.map(st.map(lambda s: s.count("behind"))).fillna(0).astype(int).to_numpy(),
        works_not_in_plan=ids.map(st.map(lambda s: s.count("not_in_plan"))).fillna(0).astype(int).to_numpy(),
        planned_to_date_rp=ids.map(money_loc["planned_to_date_rp"]).fillna(0.0).to_numpy(),
        realised_rp=ids.map(money_loc["realised_rp"]).fillna(0.0).to_numpy(),
        services_missed=ids.map(now["services_missed"]).fillna("").to_numpy(),
    )
    late_clear = summary["planned_cleared_year"].notna() & (summary["planned_cleared_year"] <= as_of) \
        & (summary["cleared_year"].isna() | (summary["cleared_year"] > summary["planned_cleared_year"]))
    summary["behind_plan"] = (late_clear | (summary["works_behind"] > 0) | (summary["works_late"] > 0)).to_numpy(bool)
    behind = summary[summary["behind_plan"]].sort_values(["planned_cleared_year", "area_ha"],
                                                          ascending=[True, False], na_position="last")
    addressed = _aspects_addressed(rw, prof, as_of)
    cl = summary[summary["cleared_year"].notna()].copy()
    cl["aspects_addressed"] = cl["location_id"].map(addressed).fillna("")
    svc = [c for c in now.columns if c.startswith("service_")]
    for c in svc:
        cl[c] = cl["location_id"].map(now[c])
    cl = cl[["location_id", "name", "kelurahan", "area_ha", "total_before", "total_now", "cleared_year",
             "planned_cleared_year", "aspects_addressed"] + svc]
    prov = list(dict.fromkeys(_provenance(baseline) + _provenance(plan) + _provenance(realised)))
    return ProgressResult(as_of=as_of, years=years, rule=rule, yearly=yearly, condition=cond_r,
                          condition_planned=cond_p, works=works, money=money, source_year=sy,
                          behind=behind.reset_index(drop=True), cleared=cl.reset_index(drop=True),
                          locations=summary, provenance=prov)


def _provenance(df: pd.DataFrame) -> list[str]:
    """A table's leading comments and its distinct provenance values (where SYNTHETIC data says so)."""
    lines = [str(c) for c in df.attrs.get("comments", [])]
    if "provenance" in df.columns:
        lines += [str(p) for p in pd.unique(df["provenance"].dropna()) if str(p).strip()]
    return list(dict.fromkeys(lines))


# ------------------------------------------------------------------------------------------------
# reading the files
# ------------------------------------------------------------------------------------------------
@dataclass
class ProgressInputs:
    baseline: pd.DataFrame
    profile: Profile
    plan: pd.DataFrame
    realised: pd.DataFrame
    years: list
    sources: dict  # source -> label given by the funding rules (en and id where given)
    scenario: object
    warnings: list = field(default_factory=list)
    notes: pd.DataFrame | None = None  # every problem the realised table's validation found (none blocking)


def read_plan(path: str | Path, baseline: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    """Read a ``plan.csv`` and check it names known locations and criteria (:class:`PlanError` if not)."""
    p = Path(path)
    if not p.exists():
        raise PlanError(f"{p}: plan file not found")
    with open(p, encoding="utf-8-sig") as fh:
        comments = []
        for line in fh:
            if not line.startswith("#"):
                break
            comments.append(line[1:].strip())
    plan = pd.read_csv(p, dtype={"location_id": str}, skiprows=len(comments), encoding="utf-8-sig")
    miss = [c for c in PLAN_REQUIRED if c not in plan.columns]
    if miss:
        raise PlanError(f"{p}: missing column(s) {miss}; expected the plan.csv that 'kotaku-decide allocate' writes")
    known = set(baseline["location_id"].astype(str))
    codes = set(profile.codes) | {"resettlement", "legalisation"}
    for col, ok, what in (("location_id", known, "a location_id of the baseline"),
                          ("criterion", codes, f"a criterion code of {profile.name} or resettlement / legalisation")):
        bad = ~plan[col].astype(str).isin(ok)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise PlanError(f"{p}, row {i + 2}, column {col!r}: found {plan[col].iloc[i]!r}; expected {what}")
    for col in ("quantity", "cost_rp", "year"):
        v = pd.to_numeric(plan[col], errors="coerce")
        if v.isna().any() or (v < 0).any():
            i = int(np.flatnonzero((v.isna() | (v < 0)).to_numpy())[0])
            raise PlanError(f"{p}, row {i + 2}, column {col!r}: found {plan[col].iloc[i]!r}; expected a number >= 0")
    plan["year"] = plan["year"].astype(int)
    plan.attrs["source"] = str(p)
    plan.attrs["comments"] = comments
    return plan


def load_progress_inputs(plan_path: str | Path, realised_path: str | Path, scenario=None) -> ProgressInputs:
    """Read the plan, the realised works and (through the scenario) the baseline, profile, years and sources.

    ``scenario``: a scenario file or object; default the ``scenario_resolved.yaml`` that
    ``kotaku-decide allocate`` writes beside ``plan.csv``.
    """
    from ..data.io import read_table
    from ..data.scenario import ScenarioError, load_scenario
    from ..data.validate import load_baseline
    from ..score.scoring import aggregate

    plan_path = Path(plan_path)
    if scenario is None:
        scenario = plan_path.parent / "scenario_resolved.yaml"
        if not scenario.exists():
            raise ScenarioError([f"{scenario}: not found; give the plan's scenario with --scenario (the baseline, "
                                 "profile, years and funding rules come from it)"])
    sc = scenario if hasattr(scenario, "values") else load_scenario(scenario)
    prof = load_profile(sc["profile"])
    base = aggregate(load_baseline(sc.data_path("baseline"), prof), sc["data.level"], prof).reset_index(drop=True)
    base["location_id"] = base["location_id"].astype(str)
    years = list(range(sc["years.start"], sc["years.end"] + 1))
    rules = read_table(sc.data_path("funding_rules"))
    sources = {}
    for _, r in rules.iterrows():
        s = str(r["source"]).strip()
        sources[s] = {"en": r.get("label") or s, "id": r.get("label_id") or r.get("label") or s}
    plan = read_plan(plan_path, base, prof)
    report = validate_realised(realised_path, base, prof, years, sources)
    if not report.ok:
        raise RealisedError(report)
    return ProgressInputs(baseline=base, profile=prof, plan=plan, realised=report.data, years=years,
                          sources=sources, scenario=sc, warnings=[str(p) for p in report.warnings],
                          notes=report.to_frame())
