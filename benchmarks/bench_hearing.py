"""The hearing set on this machine: batch time for all scenarios, and the notebook overhead.

    .venv/bin/python benchmarks/bench_hearing.py [--workers 2]

Prints the wall time of ``kotaku-decide batch data/scenarios/hearing_2016.yaml`` (target of the
allocation-engine issue: the six scenarios, explanations included, under 2 minutes on 2 cores; the
first hearing issue asked for under 5 minutes), each scenario's time and plan (status, objective,
gap), and, for the baseline scenario, the time of the same scenario in-process
(``hearing.run_scenario``) against one papermill notebook run: the difference is the per-notebook
overhead (kernel start, execution, HTML export).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from kotaku_decide.data.scenario import load_scenario
from kotaku_decide.hearing.batch import read_scenario_set, run_batch
from kotaku_decide.hearing.run import run_scenario

SET = Path(__file__).resolve().parent.parent / "data" / "scenarios" / "hearing_2016.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    specs = read_scenario_set(SET)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        res = run_batch(specs, tmp / "set", workers=args.workers, progress=False)
        total = time.perf_counter() - t0
        print(f"hearing set: {len(specs)} scenarios, {args.workers} workers: {total:.1f} s "
              f"(target < 120 s) -> {'OK' if total < 120 and not res.failed else 'NOT MET'}")
        comp = res.comparison.set_index("scenario") if res.comparison is not None else None
        for n in res.status:
            plan = ""
            if comp is not None and n in comp.index:
                r = comp.loc[n]
                gap = "" if pd.isna(r["gap"]) else f", gap {float(r['gap']):.2%}"
                left = [c for c in comp.columns if c.startswith("slum_ha_left_")]
                ha = f", slum ha left in {left[-1][-4:]}: {float(r[left[-1]]):.2f}" if left else ""
                plan = f"  {r['status']}{gap}{ha}"
            print(f"  {n:16s} {res.status[n]:7s} {res.seconds[n]:6.1f} s{plan}")
        base = [s for s in specs if s.name == "baseline"]
        t0 = time.perf_counter()
        run_scenario(load_scenario(base[0].overrides), tmp / "inproc", name="baseline")
        inproc = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_batch(base, tmp / "nb", workers=1, progress=False)
        nb = time.perf_counter() - t0
        print(f"baseline scenario in-process: {inproc:.1f} s; as a notebook (papermill + HTML): {nb:.1f} s; "
              f"overhead {nb - inproc:.1f} s per notebook")


if __name__ == "__main__":
    main()
