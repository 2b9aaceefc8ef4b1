"""Small hand-built allocation instances for the evidence tests, written as files so every test goes
through the real loaders; plus independent checks (brute-force cheapest packages, fresh solves)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from kotaku_decide.allocate import SolverOptions, allocate, prepare
from kotaku_decide.data.scenario import load_scenario

CODES = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a", "6b", "7a", "7b"]
DEN = {"1a": "buildings", "1b": "area_ha", "1c": "buildings", "2a": "road_length_ideal_m", "2b": "road_length_ideal_m",
       "3a": "households", "3b": "households", "4a": "area_ha", "4b": "drain_length_ideal_m",
       "4c": "drain_length_ideal_m", "5a": "households", "5b": "households", "6a": "households", "6b": "households",
       "7a": "buildings", "7b": "buildings"}
UNIT = {"buildings": "buildings", "households": "households", "road_length_ideal_m": "m", "drain_length_ideal_m": "m",
        "area_ha": "ha"}

EXACT = SolverOptions(time_limit_s=30, mip_rel_gap=0.0, subprocess=False, tie_break_time_s=0.0)


def loc(lid, area=10.0, kel=None, kec="A", legal=True, **vols):
    """One location: 100 buildings, 100 households, 1000 m ideal roads and drains; ``vols`` code=volume."""
    row = {"location_id": lid, "name": f"Kampung {lid}", "kelurahan": kel or f"Kel {lid}", "kecamatan": kec,
           "city": "Test", "area_ha": area, "buildings": 100, "population": 400, "households": 100,
           "road_length_ideal_m": 1000, "drain_length_ideal_m": 1000, "strategic_location": "no",
           "socioeconomic_potential": "no", "land_tenure_clear": "yes" if legal else "no",
           "spatial_plan_conform": "yes"}
    for c in CODES:
        row[f"vol_{c}"] = vols.get(f"v{c}", 0)
    return row


def four(lid, area, crits=("3a", "3b", "5a", "5b"), **kw):
    """A slum location with four household criteria at 80 % (score 5 each: total 20, need 5 points)."""
    return loc(lid, area, **{f"v{c}": 80 for c in crits}, **kw)


def write(tmp_path, locs, budgets, frules=None, unit_cost=None, years=(2017,), **over):
    """Write the CSVs and return a prepared input (exact solver settings)."""
    uc = {c: 1_000_000 for c in CODES}
    uc.update(unit_cost or {})
    pd.DataFrame(locs).to_csv(tmp_path / "baseline.csv", index=False)
    cat = [{"work_id": f"W{c}", "criterion": c, "work": f"work {c}", "unit": UNIT[DEN[c]], "unit_cost_rp": uc[c],
            "source": "test", "status": "test"} for c in CODES]
    cat += [{"work_id": "RES", "criterion": "resettlement", "work": "resettle", "unit": "households",
             "unit_cost_rp": uc.get("resettlement", 50_000_000), "source": "test", "status": "test"},
            {"work_id": "LEG", "criterion": "legalisation", "work": "legalise", "unit": "ha",
             "unit_cost_rp": uc.get("legalisation", 1_000_000), "source": "test", "status": "test"}]
    pd.DataFrame(cat).to_csv(tmp_path / "costs.csv", index=False)
    write_budget(tmp_path, budgets)
    srcs = sorted({s for s, _ in budgets})
    rl = frules or {s: {} for s in srcs}
    pd.DataFrame([{"source": s, "label": s, "eligible": r.get("eligible", "all"),
                   "authorities": r.get("authorities", "all"), "per_kelurahan_cap_rp": r.get("cap", ""),
                   "carry_over": r.get("carry_over", "no"), "provenance": "test"} for s, r in rl.items()]).to_csv(
        tmp_path / "rules.csv", index=False)
    sc = {"data": {"baseline": str(tmp_path / "baseline.csv"), "costs": str(tmp_path / "costs.csv"),
                   "budget": str(tmp_path / "budget.csv"), "funding_rules": str(tmp_path / "rules.csv")},
          "years": {"start": years[0], "end": years[-1]},
          "solver": {"time_limit_s": 30, "tie_break_time_s": 0.2, "mip_rel_gap": 0.0, "subprocess": False}}
    for k, v in over.items():
        sc.setdefault(k, {}).update(v)
    return prepare(load_scenario(sc))


def write_budget(tmp_path, budgets, name="budget.csv"):
    pd.DataFrame([{"source": s, "year": y, "budget_rp": b} for (s, y), b in budgets.items()]).to_csv(
        tmp_path / name, index=False)
    return tmp_path / name


def brute_cheapest(inp, lid) -> float:
    """Cheapest set of options (at most one per criterion) that brings ``lid`` below the threshold,
    by enumerating every combination (independent of the dynamic programme in packages.py)."""
    loc = inp.locations.set_index("location_id").loc[lid]
    need = int(loc["total_score"]) - (inp.threshold - 1)
    opts = pd.concat([inp.options, inp.unaffordable]) if inp.unaffordable is not None else inp.options
    o = opts[opts["location_id"] == lid]
    prec = inp.precedence
    per = [[None] + list(g.itertuples()) for _, g in o[~o["criterion"].isin(["resettlement", "legalisation"])]
           .groupby("criterion")]
    leg = o[o["criterion"] == "legalisation"]
    best = np.inf
    res = o[o["criterion"] == "resettlement"]
    if len(res):
        best = float(res["cost_rp"].min())
    for combo in itertools.product(*per):
        ch = [c for c in combo if c is not None]
        if sum(c.delta_score for c in ch) < need:
            continue
        crits = {c.criterion for c in ch}
        ok = True
        for before, after in prec:
            has_need_before = any(c in set(o["criterion"]) for c in before)
            if has_need_before and crits & set(after) and not crits & set(before):
                ok = False
        if not ok:
            continue
        cost = sum(c.cost_rp for c in ch)
        if not bool(loc["legal_alloc"]) and ch:
            if leg.empty:
                continue
            cost += float(leg["cost_rp"].iloc[0])
        best = min(best, cost)
    return best


def fresh_cleared(tmp_path, inp_factory, budgets, lid, year=None):
    """Independent check: write the budgets to a new file, prepare and allocate from scratch (exact),
    and say whether ``lid`` is cleared by the last year (or by ``year``)."""
    inp = inp_factory(budgets)
    res = allocate(inp=inp, solver=EXACT)
    ba = res.before_after.set_index("location_id")
    cy = ba.loc[lid, "cleared_year"]
    last = year or inp.years[-1]
    return (not pd.isna(cy)) and int(cy) <= last, res
