"""Scoring throughput: 1,000,000 synthetic locations under Permen 14/2018 (target: under 2 s).

    .venv/bin/python benchmarks/bench_scoring.py [N]

Prints the time of the numeric core (shares, scores, aspect averages, totals, levels) and of the full
table path (``score_table``: plus other considerations, legality, priority, class code, handling
pattern and authority as categorical columns). Input generation is not timed.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd

from kotaku_decide.data.profiles import load_profile
from kotaku_decide.score.scoring import denominator_matrix, score_permen, score_table, volume_matrix


def synthetic(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    prof = load_profile("permen-14-2018")
    area = rng.uniform(0.5, 30, n)
    den = {"area_ha": area, "buildings": np.round(area * rng.uniform(30, 80, n)),
           "population": np.round(area * rng.uniform(80, 300, n)), "road_length_ideal_m": np.round(area * 200),
           "drain_length_ideal_m": np.round(area * 350)}
    den["households"] = np.round(den["population"] / 4)
    df = pd.DataFrame({"location_id": np.arange(n).astype(str), **den})
    for key, d in zip(prof.criteria["input_key"], prof.criteria["denominator"]):
        df[f"vol_{key}"] = np.floor(rng.random(n) * df[d].to_numpy())
    for c in ("strategic_location", "socioeconomic_potential", "land_tenure_clear", "spatial_plan_conform"):
        df[c] = rng.random(n) < 0.6
    return df


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    prof = load_profile("permen-14-2018")
    df = synthetic(n)
    v, d = volume_matrix(df, prof), denominator_matrix(df, prof)
    best_core = best_table = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        res = score_permen(v, d, prof)
        best_core = min(best_core, time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = score_table(df, prof)
        best_table = min(best_table, time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scoring {n:,} locations x {len(prof.codes)} criteria (best of 3)")
    print(f"  numeric core (score_permen):        {best_core:6.3f} s  ({n / best_core / 1e6:.1f} M locations/s)")
    print(f"  full table (score_table):           {best_table:6.3f} s  ({n / best_table / 1e6:.1f} M locations/s)")
    print(f"  target under 2 s:                   {'met' if best_table < 2 else 'NOT met'}")
    print(f"  peak RSS:                           {rss:,.0f} MB")
    print(f"  levels: {out['slum_level'].value_counts().to_dict()}  total check {int(res['total'].sum())}")


if __name__ == "__main__":
    main()
