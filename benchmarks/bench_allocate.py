"""Allocation benchmark: the engine against the previous one, in the same run.

Prints, for the embedded city at several budget factors and for seeded synthetic cities of 40
locations at a binding budget: status, gap, solve time, checker violations, and the old engine's
time and objective on the same instance (the ratio is the figure: it survives a busy machine).
Targets (2-core machine): every embedded factor proven optimal in under 2 s; the synthetic cities
median under 1 s, slowest under 3 s, all proven.

Run: ``.venv/bin/python benchmarks/bench_allocate.py [--factors 0.3 0.5 0.8 1.0 1.2] [--cities 20]
[--legacy-cities 5] [--sizes 500]``. Nothing is asserted; the numbers are printed as measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from legacy import run_legacy  # noqa: E402

from kotaku_decide.allocate import build_model, check_plan, plan_from_model, prepare, solve_model  # noqa: E402
from kotaku_decide.allocate.results import evaluate_plan, works_from_plan  # noqa: E402
from kotaku_decide.allocate.solve import SolverOptions  # noqa: E402
from kotaku_decide.allocate.synthetic import make_instance  # noqa: E402
from kotaku_decide.data.embedded import DEFAULT_SCENARIO_FILE  # noqa: E402
from kotaku_decide.data.scenario import load_scenario  # noqa: E402


def solve(scenario, time_limit_s: float = 60.0, gap: float = 1e-4):
    inp = prepare(scenario)
    t0 = time.perf_counter()
    model = build_model(inp)
    build = time.perf_counter() - t0
    rep = solve_model(model, SolverOptions(time_limit_s=time_limit_s, subprocess=False, mip_rel_gap=gap,
                                           tie_break_time_s=1.0))
    plan = plan_from_model(model) if rep.status.has_solution else None
    viol = len(check_plan(inp, plan)) if plan is not None else "-"
    ev = evaluate_plan(inp, works_from_plan(plan)) if plan is not None and len(plan) else None
    cleared = ev["cleared_ha"] / ev["slum_ha_before"] if ev else 0.0
    return inp, rep, build, viol, cleared


def _row(label, rep, build, viol, old, cleared=None):
    e = rep.extra
    main = (e.get("decomposition_time_master", 0) + e.get("decomposition_time_check", 0)
            + e.get("decomposition_time_completion", 0))
    old_t = f"{old['solve_s']:7.2f}" if old else "      -"
    ratio = f"{old['solve_s'] / rep.solve_time_s:6.1f}x" if old else "     -"
    same = ""
    if old and old.get("objective") is not None and rep.objective is not None:
        d = rep.objective - old["objective"]
        same = "same" if abs(d) <= 1e-4 * max(1.0, abs(old["objective"])) else f"{d:+.2f}"
    bind = f" cleared {cleared:5.1%}" if cleared is not None else ""
    print(f"{label:<14} {rep.status.value:<20} gap {rep.gap if rep.gap is not None else float('nan'):8.1e} "
          f"build {build:5.2f} s  solve {rep.solve_time_s:6.2f} s (main {main:5.2f} s, {rep.method}, "
          f"iterations {e.get('decomposition_iterations', '-')})  checker {viol}  old {old_t} s {ratio}  "
          f"objective {rep.objective:9.2f} {same}{bind}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--factors", type=float, nargs="*", default=[0.3, 0.5, 0.8, 1.0, 1.2])
    ap.add_argument("--cities", type=int, default=20, help="seeded synthetic cities of 40 locations")
    ap.add_argument("--legacy-cities", type=int, default=5, help="of them, also solved by the old engine")
    ap.add_argument("--budget-per-location", type=float, default=0.08e9,
                    help="synthetic budget [Rp per location and year] (binding at 0.08e9)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[], help="larger synthetic instances (e.g. 500)")
    ap.add_argument("--no-legacy", action="store_true")
    a = ap.parse_args(argv)
    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()}")
    tmp = tempfile.mkdtemp(prefix="kotaku_bench_")

    if a.factors:
        _embedded(a)
    if a.cities:
        _cities(a, tmp)
    for n in a.sizes:
        sc = make_instance(n, f"{tmp}/n{n}", seed=2016)
        inp, rep, build, viol, cleared = solve(sc, time_limit_s=120, gap=0.01)
        _row(f"synthetic {n}", rep, build, viol, None, cleared)
    return 0


def _embedded(a):
    print("\n== embedded Balikpapan (36 locations, 21 slum), budget factors")
    jobs = [{"label": f"factor {f}", "scenario": {"funding": {"budget_factor": f}}, "time_limit_s": 120}
            for f in a.factors]
    old = {} if a.no_legacy else run_legacy(jobs)
    times = []
    for f in a.factors:
        inp, rep, build, viol, _ = solve(load_scenario(DEFAULT_SCENARIO_FILE, funding={"budget_factor": f}))
        times.append(rep.solve_time_s)
        _row(f"factor {f}", rep, build, viol, old.get(f"factor {f}"))
    print(f"embedded city: slowest {max(times):.2f} s (target < 2 s, every factor proven)")


def _cities(a, tmp):
    print(f"\n== {a.cities} synthetic cities of 40 locations (seeds 0..{a.cities - 1}, "
          f"Rp {a.budget_per_location / 1e9:.2f} bn per location-year)")
    scs = [make_instance(40, f"{tmp}/c{s}", seed=s, budget_per_location_rp=a.budget_per_location)
           for s in range(a.cities)]
    ljobs = [{"label": f"seed {s}", "scenario": scs[s], "time_limit_s": 120} for s in range(min(a.legacy_cities,
                                                                                              a.cities))]
    old = {} if a.no_legacy else run_legacy(ljobs)
    t, proven, ratios = [], 0, []
    for s in range(a.cities):
        inp, rep, build, viol, cleared = solve(scs[s])
        t.append(rep.solve_time_s)
        proven += rep.proven_optimal
        o = old.get(f"seed {s}")
        if o:
            ratios.append(o["solve_s"] / rep.solve_time_s)
        _row(f"seed {s}", rep, build, viol, o, cleared)
    print(f"synthetic cities: median {statistics.median(t):.2f} s, slowest {max(t):.2f} s, proven {proven}/"
          f"{a.cities} (targets: median < 1 s, slowest < 3 s, all proven)"
          + (f"; old / new time: median {statistics.median(ratios):.1f}x over {len(ratios)} cities" if ratios
             else ""))


if __name__ == "__main__":
    sys.exit(main())
