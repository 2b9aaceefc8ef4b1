"""Generate the embedded progress example: an adopted plan and SYNTHETIC realised works, seeded.

    python data/make_progress_balikpapan.py            # rewrites progress/balikpapan_realised_synthetic.csv
    python data/make_progress_balikpapan.py --replan   # first re-solves the adopted plan (MILP), then the above

The adopted plan (``progress/balikpapan_plan_adopted.csv``) is what ``kotaku-decide allocate
data/scenarios/balikpapan.yaml`` wrote when ``--replan`` last ran: a city adopts a plan once and tracks
progress against it, so the file stays as adopted when the allocation engine changes. Its baseline is
SYNTHETIC and its costs and budgets ILLUSTRATIVE (data/README.md).

The realised works (``progress/balikpapan_realised_synthetic.csv``) are INVENTED from that plan for
2017 and 2018 (as of the end of 2018), with seed 14:

* most works of 2017 and 2018 done in their year at the planned cost +/- 3 %;
* three works of 2017 finished only in 2018 (late);
* four works over cost (+12 to +35 %) and two under cost (-10 to -25 %);
* two works of 2018 only half done (behind), one work of 2018 paid but not finished (no volume);
* one work not in the plan: house rehabilitation (1c) paid by CSR in 2018.

A work paid by several sources has one row per source; its volume sits on the largest payer's row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 14
HERE = Path(__file__).resolve().parent
PLAN = HERE / "progress" / "balikpapan_plan_adopted.csv"
REALISED = HERE / "progress" / "balikpapan_realised_synthetic.csv"
SCENARIO = HERE / "scenarios" / "balikpapan.yaml"
BASELINE = HERE / "balikpapan_2016_baseline.csv"
PROVENANCE = ("SYNTHETIC (illustrative): realised works invented by data/make_progress_balikpapan.py seed 14 "
              "from the adopted plan; not Balikpapan's records")
#: volume steps by unit (plan quantities are whole units, hectares to 0.01)
STEP = {"households": 1.0, "buildings": 1.0, "m": 1.0, "ha": 0.01}


def replan() -> None:
    """Solve the embedded scenario (MILP) and keep its plan as the adopted plan."""
    sys.path.insert(0, str(HERE.parent))
    import kotaku_decide

    res = kotaku_decide.allocate(str(SCENARIO))
    if not res.report.status.has_solution or res.checks:
        raise SystemExit(f"no valid plan: {res.report.status} {res.checks[:1]}")
    head = ["# Adopted plan 2017-2019 for the embedded Balikpapan data: the plan 'kotaku-decide allocate "
            "data/scenarios/balikpapan.yaml' wrote (MILP).",
            "# SYNTHETIC baseline, ILLUSTRATIVE unit costs and budgets (data/README.md); kept as adopted when the "
            "engine changes (rerun with --replan)."]
    plan = res.plan.copy()
    for c in ("cost_rp", "work_cost_rp", "unit_cost_rp"):
        plan[c] = plan[c].round(2)
    PLAN.parent.mkdir(exist_ok=True)
    with open(PLAN, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(head) + "\n")
        plan.to_csv(fh, index=False, lineterminator="\n")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#", dtype={"location_id": str})


def generate(plan: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """The realised works (one row per work and paying source) for 2017-2018."""
    rng = np.random.default_rng(SEED)
    keys = ["location_id", "criterion", "option", "year"]
    works = plan.groupby(keys, sort=True).agg(quantity=("quantity", "first"), unit=("unit", "first"),
                                              work=("work", "first")).reset_index()
    w17 = works.index[works["year"] == 2017].to_numpy()
    w18 = works.index[works["year"] == 2018].to_numpy()
    late = set(rng.choice(w17, 3, replace=False))
    behind = set(rng.choice(w18, 2, replace=False))
    unfinished = set(rng.choice(np.setdiff1d(w18, list(behind)), 1, replace=False))
    pool = np.setdiff1d(np.concatenate([w17, w18]), list(unfinished))
    over = set(rng.choice(pool, 4, replace=False))
    under = set(rng.choice(np.setdiff1d(pool, list(over)), 2, replace=False))
    rows = []
    for k, w in works.iterrows():
        if w["year"] not in (2017, 2018):
            continue
        year = 2018 if k in late else int(w["year"])
        step = STEP.get(w["unit"], 0.01)
        vol = float(w["quantity"])
        if k in behind:
            vol = np.floor(vol / 2 / step) * step
        elif k in unfinished:
            vol = 0.0
        factor = rng.uniform(1.12, 1.35) if k in over else rng.uniform(0.75, 0.90) if k in under \
            else rng.uniform(0.97, 1.03)
        share = vol / float(w["quantity"]) if k in behind else 1.0
        if k in unfinished:
            share = 0.3  # money spent on a work not finished
        pay = plan[(plan[keys] == w[keys]).all(axis=1)].sort_values("cost_rp", ascending=False)
        for j, (_, p) in enumerate(pay.iterrows()):
            rows.append({"location_id": w["location_id"], "criterion": w["criterion"], "year": year,
                         "volume": round(vol, 2) if j == 0 else 0.0,
                         "cost_rp": round(float(p["cost_rp"]) * share * factor, -3), "source": p["source"],
                         "work": w["work"], "note": "", "provenance": PROVENANCE})
    # one work outside the plan: house rehabilitation (1c) paid by CSR at the first location with 1c
    # affected and no planned 1c work
    planned = set(zip(plan["location_id"], plan["criterion"]))
    cand = baseline[(baseline["vol_1c"] >= 5) & baseline["location_id"].isin(plan["location_id"])]
    lid = next(x for x in cand["location_id"] if (x, "1c") not in planned)
    rows.append({"location_id": lid, "criterion": "1c", "year": 2018, "volume": 5.0, "cost_rp": 52_500_000.0,
                 "source": "csr", "work": "House rehabilitation (RTLH), CSR programme", "note": "not in the plan",
                 "provenance": PROVENANCE})
    out = pd.DataFrame(rows)
    return out.sort_values(["year", "location_id", "criterion", "source"], kind="stable").reset_index(drop=True)


def write(df: pd.DataFrame, path: Path = REALISED) -> None:
    head = ["# SYNTHETIC ILLUSTRATIVE DATA - not Balikpapan's realised works.",
            "# Invented by data/make_progress_balikpapan.py (seed 14) from progress/balikpapan_plan_adopted.csv "
            "for 2017-2018: some works late, some over or under cost, some behind, one not in the plan.",
            "# volume: in the criterion's unit (households, buildings, m, ha); cost_rp: rupiah spent; source: "
            "funding source of data/funding/balikpapan_rules_illustrative.csv."]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\n".join(head) + "\n")
        df.to_csv(fh, index=False, lineterminator="\n")


if __name__ == "__main__":
    if "--replan" in sys.argv[1:]:
        replan()
        print(f"wrote {PLAN}")
    write(generate(_read(PLAN), _read(BASELINE)))
    print(f"wrote {REALISED}")
