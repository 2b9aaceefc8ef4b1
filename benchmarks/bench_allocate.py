"""Allocation benchmark: build time, solve time, status, gap, peak memory, optimiser vs greedy.

Sizes: the embedded Balikpapan city (36 locations, 16 criteria, 3 years, 6 sources; target:
proven optimal in under 5 s), 500 synthetic locations (target: within 1 % gap in under 60 s) and
a synthetic national instance of 11,000 locations (measured as is, with a time cap so the run
ends within about 5 minutes). Run: ``.venv/bin/python benchmarks/bench_allocate.py [--sizes ...]``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time

from kotaku_decide.allocate import allocate, build_model, check_plan, prepare, solve_model
from kotaku_decide.allocate.results import evaluate_plan, plan_from_model, works_from_plan
from kotaku_decide.allocate.solve import SolverOptions
from kotaku_decide.allocate.synthetic import make_instance


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(label, scenario, opts: SolverOptions, check=True):
    t0 = time.perf_counter()
    inp = prepare(scenario)
    t_prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = build_model(inp)
    t_build = time.perf_counter() - t0
    rep = solve_model(model, opts)
    t0 = time.perf_counter()
    g = allocate(inp=inp, method="greedy")
    t_greedy = time.perf_counter() - t0
    milp_obj = None
    n_viol = "-"
    if rep.status.has_solution:
        plan = plan_from_model(model)
        milp_obj = evaluate_plan(inp, works_from_plan(plan))["hectare_years"] if len(plan) else 0.0
        if check:
            n_viol = len(check_plan(inp, plan))
    gobj = g.evaluation["hectare_years"]
    slum = int(inp.locations["slum"].sum())
    print(f"\n== {label}: {len(inp.locations)} locations ({slum} slum), {len(inp.profile.codes)} criteria, "
          f"{len(inp.years)} years, {len(inp.funding.sources)} sources; {len(inp.options)} options")
    print(f"prepare {t_prep:.2f} s | build {t_build:.2f} s | {rep.n_variables} variables, {rep.n_constraints} rows")
    print(f"solve {rep.solve_time_s:.2f} s (HiGHS {rep.extra.get('highs_time_s', float('nan')):.2f} s, limit "
          f"{opts.time_limit_s} s, guard {opts.guard:.0f} s, guard fired: {rep.guard_fired}) | status {rep.status.value} | "
          f"proven optimal {rep.proven_optimal} | objective {rep.objective} | bound {rep.best_bound} | gap {rep.gap}")
    print(f"peak RSS: parent {rss_mb():.0f} MB, solver process {rep.peak_rss_mb} MB | checker violations (MILP): {n_viol}")
    ratio = f"{gobj / milp_obj:.3f}" if milp_obj else "n/a"
    print(f"hectare-years: optimiser {milp_obj} | greedy {gobj:.2f} ({t_greedy:.2f} s, checker violations "
          f"{len(g.checks)}) | greedy / optimiser {ratio}")
    sys.stdout.flush()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=["city", "500", "11000"])
    ap.add_argument("--national-time-limit", type=float, default=150.0)
    a = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="kotaku_bench_")
    for size in a.sizes:
        if size == "city":
            run("embedded Balikpapan", None, SolverOptions(time_limit_s=60, tie_break_time_s=1.0))
        else:
            n = int(size)
            sc = make_instance(n, f"{tmp}/{n}", seed=2016)
            if n <= 2000:
                run(f"synthetic {n}", sc, SolverOptions(time_limit_s=60, mip_rel_gap=0.01, tie_break_time_s=1.0))
            else:
                tl = a.national_time_limit
                run(f"synthetic national {n}", sc,
                    SolverOptions(time_limit_s=tl, guard_s=tl + 30, mip_rel_gap=0.01, tie_break_time_s=0), check=False)


if __name__ == "__main__":
    main()
