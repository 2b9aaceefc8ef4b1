"""Benchmark of the ranking tools (issue 3 targets).

* TOPSIS on 1,000,000 locations x 16 criteria: target < 2 s.
* SMAA robustness, 10,000 weight draws over 11,000 locations x 16 criteria (national scale):
  target < 60 s and peak memory < 4 GB. Also reported: TOPSIS inside SMAA, and WSM with a
  share measurement error (sd 5 points).

Each case runs in a fresh child process so that its peak RSS (``resource.getrusage``,
``ru_maxrss``) is its own. Run:

    .venv/bin/python benchmarks/bench_rank.py            # all cases
    .venv/bin/python benchmarks/bench_rank.py topsis     # one case
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

CASES = {
    "topsis": "TOPSIS 1,000,000 x 16",
    "smaa_wsm": "SMAA 10,000 draws x 11,000 locations x 16 (WSM, simplex weights)",
    "smaa_topsis": "SMAA 10,000 draws x 11,000 locations x 16 (TOPSIS, simplex weights)",
    "smaa_ahp_wsm": "SMAA 10,000 draws x 11,000 locations x 16 (WSM, AHP judgements +/-1 step, 7 aspects)",
    "smaa_wsm_data": "SMAA 10,000 draws x 11,000 locations x 16 (WSM, simplex weights, share error sd 5)",
}
TARGETS = {"topsis": 2.0, "smaa_wsm": 60.0, "smaa_topsis": 60.0, "smaa_ahp_wsm": 60.0,
           "smaa_wsm_data": 60.0}


def _shares(m, n=16, seed=0):
    rng = np.random.default_rng(seed)
    # shares in %, with many zeros as in real baselines
    x = rng.uniform(0, 100, size=(m, n))
    x[rng.random((m, n)) < 0.3] = 0.0
    return x


def run_case(name: str) -> dict:
    import pandas as pd

    from kotaku_decide.rank import AHPSampler, smaa, topsis
    from kotaku_decide.rank.weights import aspect_matrix

    if name == "topsis":
        x = _shares(1_000_000)
        w = np.random.default_rng(1).dirichlet(np.ones(16))
        t0 = time.perf_counter()
        res = topsis(x, w)
        elapsed = time.perf_counter() - t0
        check = int(res.ranks.min())
    else:
        x = _shares(11_000)
        kw = dict(n_draws=10_000, seed=2016, top_k=(10, 100))
        if name == "smaa_topsis":
            kw["method"] = "topsis"
        if name == "smaa_wsm_data":
            kw["data_sd"] = 5.0
        if name == "smaa_ahp_wsm":
            codes = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "6a",
                     "6b", "7a", "7b"]
            aspects = ["building"] * 3 + ["road"] * 2 + ["water"] * 2 + ["drainage"] * 3 + \
                ["wastewater"] * 2 + ["solid_waste"] * 2 + ["fire"] * 2
            _, expand = aspect_matrix(pd.DataFrame({"code": codes, "aspect": aspects}))
            wa = np.array([2, 1, 4, 2, 4, 1, 1], float)
            kw["weights"] = AHPSampler(wa[:, None] / wa[None, :], expand=expand, max_steps=1)
        t0 = time.perf_counter()
        res = smaa(x, **kw)
        elapsed = time.perf_counter() - t0
        check = float(res.table["p_first"].sum())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    return {"case": name, "seconds": round(elapsed, 2), "peak_rss_mb": round(peak_kb / 1024, 1),
            "check": check}


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--child":
        print(json.dumps(run_case(argv[1])))
        return 0
    names = argv or list(CASES)
    print(f"machine: {os.cpu_count()} logical CPUs; numpy {np.__version__}")
    ok = True
    for name in names:
        proc = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True,
                              text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        target = TARGETS[name]
        mem_ok = r["peak_rss_mb"] < 4096
        passed = r["seconds"] < target and mem_ok
        ok &= passed
        print(f"{CASES[name]}: {r['seconds']:.2f} s (target < {target:g} s), peak RSS "
              f"{r['peak_rss_mb']:.0f} MB (target < 4096 MB) -> {'OK' if passed else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
