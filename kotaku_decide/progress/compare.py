"""Plan against actual: per work (location and criterion), per location and source, per source and year.

Statuses of a planned work, as of a year (the last year with realised works, unless given):

- ``done``: the planned volume was realised by the planned year (or earlier);
- ``late``: the planned volume was realised, but only after the planned year;
- ``behind``: the planned year has passed (is at or before the as-of year) and less than the planned
  volume is realised (``realised_volume`` says how much);
- ``not_due``: planned for a later year and not yet complete;
- ``not_in_plan``: realised works at a location and criterion that the plan does not have.

Cost status compares the money spent with the plan's cost for the volume realised (planned cost per
unit x realised volume): ``over`` or ``under`` by more than ``cost_tolerance`` (a share, default
5 %), else ``on_cost``; money spent on a work with no realised volume is ``over``. A work not started
has no cost status.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["WORK_STATUSES", "plan_works", "compare_works", "compare_money", "compare_source_year", "as_of_year"]

WORK_STATUSES = ("done", "late", "behind", "not_due", "not_in_plan")
_TOL = 1e-6  # relative tolerance on volumes (quantities are rounded in the plan; float sums are not)


def plan_works(plan: pd.DataFrame) -> pd.DataFrame:
    """Planned works per (location, criterion): volume (each work's quantity once), cost, last year, sources."""
    keys = ["location_id", "criterion"] + (["option"] if "option" in plan.columns else []) + ["year"]
    w = plan.groupby(keys, sort=True).agg(quantity=("quantity", "first"), cost_rp=("cost_rp", "sum")).reset_index()
    src = plan.groupby(["location_id", "criterion"])["source"].agg(lambda s: " ".join(sorted(set(s))))
    g = w.groupby(["location_id", "criterion"], sort=True)
    out = g.agg(planned_volume=("quantity", "sum"), planned_cost_rp=("cost_rp", "sum"),
                planned_year=("year", "max")).reset_index()
    if "option" in w.columns:
        out["option"] = g["option"].agg(lambda s: " ".join(dict.fromkeys(map(str, s)))).to_numpy()
    out["planned_sources"] = src.reindex(pd.MultiIndex.from_frame(out[["location_id", "criterion"]])).to_numpy()
    return out


def as_of_year(realised: pd.DataFrame, years: list[int]) -> int:
    """The last year with realised works (the first plan year - 1 when there are none)."""
    return int(realised["year"].max()) if len(realised) else years[0] - 1


def compare_works(plan: pd.DataFrame, realised: pd.DataFrame, as_of: int | None = None,
                  years: list[int] | None = None, cost_tolerance: float = 0.05) -> pd.DataFrame:
    """Plan against actual per (location, criterion); see the module notes for the statuses.

    Returns
    -------
    DataFrame
        ``location_id, criterion, option, planned_volume, planned_year, planned_cost_rp,
        planned_sources, realised_volume, realised_cost_rp, realised_sources, first_year,
        complete_year`` (the year the realised volume reached the planned one, or ``<NA>``),
        ``status``, ``expected_cost_rp`` (planned cost per unit x realised volume),
        ``cost_diff_rp`` (realised - expected) and ``cost_status``.
    """
    years = years or sorted(set(plan["year"]))
    as_of = as_of if as_of is not None else as_of_year(realised, years)
    pw = plan_works(plan) if len(plan) else pd.DataFrame(
        columns=["location_id", "criterion", "planned_volume", "planned_cost_rp", "planned_year", "planned_sources"])
    r = realised[realised["year"] <= as_of]
    rg = r.groupby(["location_id", "criterion"], sort=True)
    ra = rg.agg(realised_volume=("volume", "sum"), realised_cost_rp=("cost_rp", "sum"),
                first_year=("year", "min")).reset_index()
    ra["realised_sources"] = rg["source"].agg(lambda s: " ".join(sorted(set(s)))).to_numpy()
    df = pw.merge(ra, on=["location_id", "criterion"], how="outer", indicator="merge_")
    df["realised_volume"] = df["realised_volume"].fillna(0.0)
    df["realised_cost_rp"] = df["realised_cost_rp"].fillna(0.0)
    # the year the cumulative realised volume reached the planned volume
    complete = {}
    for (lid, c), g in r.sort_values("year").groupby(["location_id", "criterion"]):
        target = pw.loc[(pw["location_id"] == lid) & (pw["criterion"] == c), "planned_volume"]
        if len(target):
            t = float(target.iloc[0])
            run = g.groupby("year")["volume"].sum().cumsum()
            hit = run[run >= t * (1 - _TOL)]
            if len(hit):
                complete[(lid, c)] = int(hit.index[0])
    df["complete_year"] = pd.array([complete.get((a, b)) for a, b in zip(df["location_id"], df["criterion"])],
                                   dtype="Int64")
    status = []
    for row in df.itertuples(index=False):
        if row.merge_ == "right_only":
            status.append("not_in_plan")
        elif pd.notna(row.complete_year):
            status.append("done" if row.complete_year <= row.planned_year else "late")
        elif row.planned_year <= as_of:
            status.append("behind")
        else:
            status.append("not_due")
    df["status"] = status
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(df["planned_volume"].fillna(0) > 0,
                        df["planned_cost_rp"].fillna(0) / df["planned_volume"].where(df["planned_volume"] > 0, 1), 0.0)
    df["expected_cost_rp"] = np.where(df["merge_"] == "right_only", np.nan, unit * df["realised_volume"])
    df["cost_diff_rp"] = df["realised_cost_rp"] - df["expected_cost_rp"]
    cs = []
    for row in df.itertuples(index=False):
        if row.merge_ == "right_only" or (row.realised_cost_rp == 0 and row.realised_volume == 0):
            cs.append(None)
        elif row.realised_volume == 0 or row.realised_cost_rp > row.expected_cost_rp * (1 + cost_tolerance):
            cs.append("over")
        elif row.realised_cost_rp < row.expected_cost_rp * (1 - cost_tolerance):
            cs.append("under")
        else:
            cs.append("on_cost")
    df["cost_status"] = cs
    df = df.drop(columns="merge_")
    df.attrs["as_of"] = as_of
    return df.sort_values(["location_id", "criterion"]).reset_index(drop=True)


def compare_money(plan: pd.DataFrame, realised: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """Money per location and source: planned (all years, and up to ``as_of``) against realised [Rp]."""
    p = plan.groupby(["location_id", "source"])["cost_rp"].sum().rename("planned_rp")
    pd_ = plan[plan["year"] <= as_of].groupby(["location_id", "source"])["cost_rp"].sum().rename("planned_to_date_rp")
    r = realised[realised["year"] <= as_of].groupby(["location_id", "source"])["cost_rp"].sum().rename("realised_rp")
    out = pd.concat([p, pd_, r], axis=1).fillna(0.0).reset_index()
    out["difference_to_date_rp"] = out["realised_rp"] - out["planned_to_date_rp"]
    return out.sort_values(["location_id", "source"]).reset_index(drop=True)


def compare_source_year(plan: pd.DataFrame, realised: pd.DataFrame) -> pd.DataFrame:
    """Money per source and year: planned against realised [Rp]."""
    p = plan.groupby(["source", "year"])["cost_rp"].sum().rename("planned_rp")
    r = realised.groupby(["source", "year"])["cost_rp"].sum().rename("realised_rp")
    out = pd.concat([p, r], axis=1).fillna(0.0).reset_index()
    out["difference_rp"] = out["realised_rp"] - out["planned_rp"]
    return out.sort_values(["year", "source"]).reset_index(drop=True)
