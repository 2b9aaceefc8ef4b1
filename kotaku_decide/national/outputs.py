"""Tables a ministry reads from a national run, and writing them (CSV, one workbook, the run report).

All tables are computed from the plan table and the national input (never from the solver's
internals): money per province and per city by source and year, money per budget pool (scope) with
what is left, slum hectares cleared per year nationally and per province, the envelope prices and
the solve report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..allocate.results import end_condition, money_table, works_from_plan, yearly_indicators
from ..data.writers import atomic_path, write_table, write_workbook

__all__ = ["national_tables", "write_national"]


def national_tables(res) -> dict:
    """``{name: DataFrame}`` of a :class:`~.solve.NationalResult`."""
    inp = res.split.inp
    plan = res.plan
    loc = inp.locations
    prov_of = dict(zip(loc["location_id"], loc["province"] if "province" in loc else [""] * len(loc)))
    city_of = dict(zip(loc["location_id"], loc["city"]))
    if len(plan):
        by_city = (plan.groupby(["province", "city", "source", "year"])["cost_rp"].sum().rename("used_rp")
                   .reset_index())
        by_prov = plan.groupby(["province", "source", "year"])["cost_rp"].sum().rename("used_rp").reset_index()
    else:
        by_city = pd.DataFrame(columns=["province", "city", "source", "year", "used_rp"])
        by_prov = pd.DataFrame(columns=["province", "source", "year", "used_rp"])
    works = works_from_plan(plan.drop(columns=["city", "province"])) if len(plan) else pd.DataFrame(
        columns=["location_id", "criterion", "option", "year", "quantity", "work_id", "cost_rp"])
    ba = end_condition(inp, works)
    ba.insert(ba.columns.get_loc("kecamatan") + 1, "city", ba["location_id"].map(city_of))
    ba.insert(ba.columns.get_loc("city") + 1, "province", ba["location_id"].map(prov_of))
    slum = ba["total_before"] >= inp.threshold
    rows = []
    for y in inp.years:
        cleared = slum & ba["cleared_year"].notna() & (ba["cleared_year"].fillna(9999) <= y)
        g = ba.assign(cleared_ha=ba["area_ha"].where(cleared, 0.0), slum_ha=ba["area_ha"].where(slum, 0.0))
        for p, d in g.groupby("province"):
            rows.append({"province": p, "year": y, "slum_ha_before": float(d["slum_ha"].sum()),
                         "cleared_ha_by_year": float(d["cleared_ha"].sum()),
                         "slum_ha_left": float(d["slum_ha"].sum() - d["cleared_ha"].sum())})
    hect_prov = pd.DataFrame(rows)
    yearly = yearly_indicators(inp, works)
    rep = {"status": res.status, "objective_ha_years": res.value, "best_bound": res.bound,
           "bound_lp_lagrangian": res.bound_lp, "bound_mip_lagrangian": res.bound_mip, "gap": res.gap,
           "greedy_ha_years": res.greedy_value,
           "plan_over_greedy": res.value / res.greedy_value if res.greedy_value else None,
           "cities": len(res.cities), "envelopes": len(res.split.envelopes), "executor": res.executor,
           "city_failures": len(res.failures), "checker_violations": len(res.checks), "data_status": res.data_status,
           **{f"time_{k}": v for k, v in res.times.items()}}
    out = {"plan": plan, "money_by_city": by_city, "money_by_province": by_prov,
           "money": money_table(inp, plan.drop(columns=["city", "province"]) if len(plan) else plan),
           "hectares_by_province": hect_prov, "yearly": yearly, "prices": res.prices, "cities": res.cities,
           "before_after": ba, "timeline": pd.DataFrame(res.timeline), "solve_report": pd.DataFrame([rep])}
    if res.checks:
        out["checker"] = pd.DataFrame([c.__dict__ for c in res.checks])
    if res.failures:
        out["failures"] = pd.DataFrame([{"stage": k[0], "city": k[1], "error": v.splitlines()[0]}
                                        for k, v in res.failures.items()])
    return out


def write_national(res, out, pages: bool = True) -> list[Path]:
    """Write every table (CSV and ``national.xlsx``), the resolved scenario, the data status and the
    summary pages (``summary_en.html``, ``summary_id.html``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = national_tables(res)
    paths = [write_table(t, out / f"{name}.csv") for name, t in tables.items()]
    sheets = {k: v for k, v in tables.items() if k not in ("before_after",)}
    sheets["data_status"] = pd.DataFrame({"data_status": [res.data_status]})
    paths.append(write_workbook(sheets, out / "national.xlsx"))
    sp = out / "scenario_resolved.yaml"
    with atomic_path(sp) as tmp:
        tmp.write_text(res.split.inp.scenario.to_yaml(), encoding="utf-8")
    paths.append(sp)
    ds = out / "DATA_STATUS.txt"
    with atomic_path(ds) as tmp:
        tmp.write_text(f"Data status of every file in this folder:\n{res.data_status}\n", encoding="utf-8")
    paths.append(ds)
    js = out / "summary.json"
    with atomic_path(js) as tmp:
        tmp.write_text(json.dumps(tables["solve_report"].iloc[0].to_dict(), indent=1, default=str), encoding="utf-8")
    paths.append(js)
    return paths
