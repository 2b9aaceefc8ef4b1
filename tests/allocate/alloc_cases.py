"""Tiny allocation instances written as files, so every test goes through the real loaders."""

from __future__ import annotations

import pandas as pd

from kotaku_decide.allocate import prepare
from kotaku_decide.data.scenario import load_scenario

CODES = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a", "6b", "7a", "7b"]
DEN = {"1a": "buildings", "1b": "area_ha", "1c": "buildings", "2a": "road_length_ideal_m", "2b": "road_length_ideal_m",
       "3a": "households", "3b": "households", "4a": "area_ha", "4b": "drain_length_ideal_m",
       "4c": "drain_length_ideal_m", "5a": "households", "5b": "households", "6a": "households", "6b": "households",
       "7a": "buildings", "7b": "buildings"}
UNIT = {"buildings": "buildings", "households": "households", "road_length_ideal_m": "m", "drain_length_ideal_m": "m",
        "area_ha": "ha"}
DENVAL = {"buildings": 100, "households": 100, "road_length_ideal_m": 1000, "drain_length_ideal_m": 1000}


def location(lid, area=10.0, kel="K1", kec="A", legal=True, **vols):
    """A location with denominators 100 buildings / households, 1000 m roads and drains; ``vols`` as
    affected volumes (code=volume; 1b / 4a in ha)."""
    row = {"location_id": lid, "name": lid, "kelurahan": kel, "kecamatan": kec, "city": "Test", "area_ha": area,
           "buildings": 100, "population": 400, "households": 100, "road_length_ideal_m": 1000,
           "drain_length_ideal_m": 1000, "strategic_location": "no", "socioeconomic_potential": "no",
           "land_tenure_clear": "yes" if legal else "no", "spatial_plan_conform": "yes"}
    for c in CODES:
        row[f"vol_{c}"] = vols.get(c, 0)
    return row


UNIT_COST = {c: 1_000_000 for c in CODES}  # Rp 1 million per unit everywhere unless a test says otherwise


def write_case(tmp_path, locs, budgets, rules=None, unit_cost=None, extra_works=()):
    """Write baseline, catalogue, budget and rules CSVs; return the data overrides."""
    uc = dict(UNIT_COST)
    uc.update(unit_cost or {})
    pd.DataFrame(locs).to_csv(tmp_path / "baseline.csv", index=False)
    cat = [{"work_id": f"W{c}", "criterion": c, "work": f"work {c}", "unit": UNIT[DEN[c]], "unit_cost_rp": uc[c],
            "source": "test", "status": "test"} for c in CODES]
    cat += [{"work_id": "RES", "criterion": "resettlement", "work": "resettle", "unit": "households",
             "unit_cost_rp": uc.get("resettlement", 10_000_000), "source": "test", "status": "test"},
            {"work_id": "LEG", "criterion": "legalisation", "work": "legalise", "unit": "ha",
             "unit_cost_rp": uc.get("legalisation", 1_000_000), "source": "test", "status": "test"}]
    cat += list(extra_works)
    pd.DataFrame(cat).to_csv(tmp_path / "costs.csv", index=False)
    pd.DataFrame([{"source": s, "year": y, "budget_rp": b} for (s, y), b in budgets.items()]).to_csv(
        tmp_path / "budget.csv", index=False)
    srcs = sorted({s for s, _ in budgets})
    rl = rules or {s: {} for s in srcs}
    pd.DataFrame([{"source": s, "label": s, "eligible": r.get("eligible", "all"),
                   "authorities": r.get("authorities", "all"), "per_kelurahan_cap_rp": r.get("cap", ""),
                   "carry_over": r.get("carry_over", "no"), "provenance": "test"} for s, r in rl.items()]).to_csv(
        tmp_path / "rules.csv", index=False)
    return {"baseline": str(tmp_path / "baseline.csv"), "costs": str(tmp_path / "costs.csv"),
            "budget": str(tmp_path / "budget.csv"), "funding_rules": str(tmp_path / "rules.csv")}


def make_input(tmp_path, locs, budgets, frules=None, unit_cost=None, years=(2017, 2018), **over):
    data = write_case(tmp_path, locs, budgets, frules, unit_cost)
    sc = {"data": data, "years": {"start": years[0], "end": years[-1]},
          "solver": {"time_limit_s": 30, "tie_break_time_s": 0.5}}
    for k, v in over.items():
        sc.setdefault(k, {}).update(v)
    return prepare(load_scenario(sc))


