"""Scoring a big table end to end as a planner runs it: ``kotaku-decide score BIG.csv --out scores.csv|.xlsx``.

    .venv/bin/python benchmarks/bench_io.py [N]        (default N = 200,000 rows)

Targets (issue 15): 200,000 rows written as CSV in under 10 s and as Excel in under 60 s, wall clock, the
whole command (interpreter start, imports, reading, validation, scoring, the consistency report, writing).
The input is a seeded SYNTHETIC baseline (kotaku_decide.allocate.synthetic.make_baseline; not timed). Each
command runs in its own process; the figures are the best of ``--repeat`` runs (default 2) with the CPU time
of the child beside the wall time, since the development machine is shared. Then the in-process steps,
to show where the time goes.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall s, child CPU s, child peak RSS MB) of one command; exits if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from kotaku_decide.allocate.synthetic import make_baseline

    tmp = Path(tempfile.mkdtemp(prefix="kd-bench-io-"))
    src = tmp / "big.csv"
    make_baseline(args.n).to_csv(src, index=False)
    print(f"scoring {args.n:,} rows ({src.stat().st_size / 1e6:.0f} MB CSV, SYNTHETIC) with the kotaku-decide "
          f"command, best of {args.repeat}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    exe = [sys.executable, "-m", "kotaku_decide", "score", str(src), "--out"]
    targets = {".csv": 10.0, ".xlsx": 60.0}
    for suffix, target in targets.items():
        runs = [_run(exe + [str(tmp / f"scores{suffix}")]) for _ in range(args.repeat)]
        wall, cpu, rss = min(runs)
        size = (tmp / f"scores{suffix}").stat().st_size / 1e6
        print(f"  score -> {suffix:5s}  wall {wall:6.1f} s (cpu {cpu:5.1f} s, peak {rss:,.0f} MB, file {size:.0f} MB)"
              f"   target under {target:.0f} s: {'met' if wall < target else 'NOT met'}")

    # where the time goes, in-process
    from kotaku_decide.data.io import read_table
    from kotaku_decide.data.profiles import load_profile
    from kotaku_decide.data.validate import validate
    from kotaku_decide.data.writers import write_csv, write_workbook
    from kotaku_decide.score.consistency import consistency_report
    from kotaku_decide.score.scoring import score_table

    prof = load_profile("permen-14-2018")
    steps = []

    def step(name, f):
        t0 = time.perf_counter()
        out = f()
        steps.append((name, time.perf_counter() - t0))
        return out

    raw = step("read", lambda: read_table(src))
    rep = step("validate", lambda: validate(raw, prof))
    scored = step("score", lambda: score_table(rep.data, prof))
    step("consistency", lambda: consistency_report(scored, prof))
    step("write CSV", lambda: write_csv(scored, tmp / "s.csv"))
    step("write Excel (scores sheet)", lambda: write_workbook({"scores": scored}, tmp / "s.xlsx"))
    print("  in-process steps: " + "; ".join(f"{n} {t:.1f} s" for n, t in steps))
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
