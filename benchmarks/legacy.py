"""The previous allocation engine, run beside the current one in the same benchmark run.

Speed claims here are ratios measured in one run on one machine (a ratio survives a noisy
machine; an absolute time does not). The old engine is not kept in the source tree: it is
extracted from the git history (commit :data:`LEGACY_COMMIT`, the last one before the engine
rewrite) into a temporary folder and run in a subprocess with that folder on ``PYTHONPATH``.
A clone without that history (shallow) prints that the old figures are unavailable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Last commit of the previous engine (PuLP model, monolithic HiGHS solve, time-limited tie-break).
LEGACY_COMMIT = "cae952ed00aa80bdfdbaa78f3a962920641954da"

_RUNNER = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
from kotaku_decide.allocate import prepare, build_model, solve_model
from kotaku_decide.allocate.solve import SolverOptions
from kotaku_decide.scenario import load_scenario
jobs = json.loads(sys.argv[2])
for job in jobs:
    sc = load_scenario(job["scenario"])
    inp = prepare(sc)
    t0 = time.perf_counter()
    model = build_model(inp)
    build = time.perf_counter() - t0
    rep = solve_model(model, SolverOptions(time_limit_s=job["time_limit_s"], subprocess=False,
                                           tie_break_time_s=job.get("tie_break_time_s", 0.0)))
    print(json.dumps({"label": job["label"], "status": rep.status.value, "objective": rep.objective,
                      "gap": rep.gap, "solve_s": rep.solve_time_s, "build_s": build}), flush=True)
'''


def extract(dest: Path) -> Path | None:
    """Extract the old package and data into ``dest``; None when the commit is not in this clone."""
    try:
        blob = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", LEGACY_COMMIT, "kotaku_decide",
                               "data"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    tar = dest / "legacy.tar"
    tar.write_bytes(blob)
    with tarfile.open(tar) as tf:
        tf.extractall(dest, filter="data")
    return dest


def run_legacy(jobs: list[dict]) -> dict:
    """Run jobs (``label``, ``scenario`` dict of overrides with absolute paths, ``time_limit_s``) with the
    old engine; return ``label -> result dict`` (empty when the old engine is unavailable)."""
    with tempfile.TemporaryDirectory(prefix="kotaku_legacy_") as tmp:
        where = extract(Path(tmp))
        if where is None:
            print(f"(old engine unavailable: commit {LEGACY_COMMIT[:8]} is not in this clone)")
            return {}
        env = dict(os.environ, PYTHONPATH=str(where))
        out = {}
        proc = subprocess.run([sys.executable, "-c", _RUNNER, str(where), json.dumps(jobs)], capture_output=True,
                              text=True, env=env, cwd=str(where))
        for line in proc.stdout.splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                out[d["label"]] = d
        if proc.returncode:
            why = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode
            print(f"(old engine failed: {why})")
        return out
