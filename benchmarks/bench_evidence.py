"""Benchmark of the evidence tools on the embedded city (2 cores here).

Run: ``.venv/bin/python benchmarks/bench_evidence.py [--draws 200] [--processes 2]``

Prints, each with its wall-clock time: explanations for all locations (targets: under 30 s),
a 20-point total-budget sweep (10 s) and 200 robust-funding draws (20 s; the allocation-engine
issue's targets, which replaced the evidence issue's 30 s and 60 s), plus the least cost
of the 2016 workshop's goal (no slum hectares by 2019). Nothing is asserted: the numbers are
reported as measured, with the solver status / gap of the re-solves.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("--processes", type=int, default=None)
    ap.add_argument("--budget-factor", type=float, default=1.0,
                    help="funding.budget_factor of the scenario (0.8 = the hearing set's cut20)")
    ap.add_argument("--validate", type=int, default=0, metavar="K",
                    help="also solve the first K robust draws with the full model to proven optimality (about "
                         "3-12 s each) and print how far the package-restricted draws are from them")
    ap.add_argument("--only", choices=["explain", "sweep", "robust", "goal"], nargs="*", default=None,
                    help="run only these parts")
    a = ap.parse_args(argv)
    from kotaku_decide.allocate import prepare
    from kotaku_decide.evidence import budget_sweep, explain, no_slum_goal, robust_funding

    print(f"cores: {os.cpu_count()}; load average at start: {os.getloadavg()}")
    from kotaku_decide.data.scenario import load_scenario

    inp = prepare(load_scenario(ROOT / "data/scenarios/balikpapan.yaml",
                                funding={"budget_factor": a.budget_factor}))
    print(f"scenario: data/scenarios/balikpapan.yaml, budget_factor {a.budget_factor}")
    want = set(a.only or ["explain", "sweep", "robust", "goal"])
    t_ex = t_sw = t_rb = float("nan")
    if "explain" in want:
        t_ex = _explain(inp, a, explain)
    if "sweep" in want:
        t_sw = _sweep(inp, a, budget_sweep)
    if "robust" in want:
        t_rb = _robust(inp, a, robust_funding)
    if "goal" in want:
        _goal(inp, a, no_slum_goal)
    print(f"\nsummary: explain {t_ex:.1f} s, sweep {t_sw:.1f} s, robust {t_rb:.1f} s")
    return 0


def _explain(inp, a, explain):
    t = time.perf_counter()
    ex = explain(inp, processes=a.processes)
    t_ex = time.perf_counter() - t
    print(f"\n[explain] {len(ex.table)} locations in {t_ex:.1f} s (target < 30 s); parts: "
          + ", ".join(f"{k} {v:.1f}" for k, v in ex.timings.items()))
    print(f"  base plan: {ex.base.status}, objective {ex.base.objective:.2f} hectare-years")
    print(f"  marginal re-solves: {ex.marginal['status'].value_counts().to_dict()}, "
          f"gain found {ex.marginal['gain_ha_years'].min():.2f}..{ex.marginal['gain_ha_years'].max():.2f}, "
          f"upper bound up to {ex.marginal['gain_upper_ha_years'].max():.2f} ha-yr per Rp 100 M")
    rc = ex.details["resolves"]
    print("  unfunded locations' re-solves: " + "; ".join(
        f"{k} {v['solves']} ({v['limit_stops']} stopped by a time limit)" for k, v in rc.items()))
    print("  cuts: " + "; ".join(f"x{r.factor:.1f}: {r.cleared_ha:.1f} ha ({r.status}, gap {r.gap:.3f})"
                                 for r in ex.cuts.itertuples()))
    s = ex.sentences.set_index("location_id")
    for lid in ("BPN-P05", "BPN-O02"):
        print(f"  EN: {s.loc[lid, 'en']}\n  ID: {s.loc[lid, 'id']}")
    return t_ex


def _sweep(inp, a, budget_sweep):
    t = time.perf_counter()
    sw = budget_sweep(inp, n_points=20, processes=a.processes)
    t_sw = time.perf_counter() - t
    print(f"\n[sweep] 20 points in {t_sw:.1f} s (target < 10 s); statuses {sw['status'].value_counts().to_dict()}, "
          f"max gap {sw['gap'].max():.3f}, points carried from a cheaper plan: {int(sw['carried_from'].notna().sum())}")
    print(sw[["factor", "total_budget_rp", "cleared_ha", "objective", "gap", "knee", "main_knee", "entered"]]
          .to_string(index=False))
    return t_sw


def _robust(inp, a, robust_funding):
    t = time.perf_counter()
    per, draws = robust_funding(inp, draws=a.draws, seed=a.seed, weights="simplex", processes=a.processes)
    t_rb = time.perf_counter() - t
    print(f"\n[robust] {a.draws} draws in {t_rb:.1f} s (target for 200 draws < 20 s); method {per.attrs['method']} "
          f"(draws solved by: {draws['method'].value_counts().to_dict()}; notes: "
          f"{draws['note'].value_counts().to_dict()}), statuses {draws['status'].value_counts().to_dict()} "
          f"(package draws stop within {per.attrs['mip_rel_gap']:.0%} of the restricted optimum), "
          f"median gap {draws['gap'].median():.4f}, time per draw median {draws['time_s'].median():.2f} s, "
          f"max {draws['time_s'].max():.2f} s; robust core {int(per['core'].sum())} of {len(per)} slum locations")
    cols = ["location_id", "name"] + [c for c in per.columns if c.startswith("p_cleared")] + ["core"]
    print(per[cols].to_string(index=False))
    if a.validate:
        k = min(a.validate, a.draws)
        t = time.perf_counter()
        ref, rd = robust_funding(inp, draws=k, seed=a.seed, weights="simplex", method="full", time_limit_s=300,
                                 mip_rel_gap=1e-4, processes=a.processes)
        sub, sd = robust_funding(inp, draws=k, seed=a.seed, weights="simplex", processes=a.processes)
        ratio = sd["objective"].to_numpy() / rd["objective"].to_numpy()
        m = ref.merge(sub, on="location_id", suffixes=("_full", "_pkg"))
        pc = [c for c in ref.columns if c.startswith("p_cleared_")]
        dp = max(float((m[f"{c}_full"] - m[f"{c}_pkg"]).abs().max()) for c in pc)
        print(f"\n[validate] first {k} draws, full model to proven optimality in {time.perf_counter() - t:.0f} s "
              f"(statuses {rd['status'].value_counts().to_dict()}): package objective / full optimum "
              f"mean {ratio.mean():.5f}, min {ratio.min():.5f}; largest difference of a cleared-by-year "
              f"probability {dp:.3f}; p_cleared (by the last year) equal for "
              f"{int((m['p_cleared_full'] == m['p_cleared_pkg']).sum())} of {len(m)} locations")
    return t_rb


def _goal(inp, a, no_slum_goal):
    t = time.perf_counter()
    g = no_slum_goal(inp, processes=a.processes)
    print(f"\n[goal] no slum hectares by {g['year']}: {g['reachable_ha']:.2f} of {g['slum_ha']:.2f} ha reachable; "
          f"least cost within the budgets Rp {g['given']['cost_rp'] / 1e9:.2f} bn ({g['given']['status']}), "
          f"without money limits Rp {g['unlimited']['cost_rp'] / 1e9:.2f} bn ({g['unlimited']['status']}); "
          f"{len(g['via_legalisation'])} locations ({g['via_legalisation']['area_ha'].sum():.2f} ha) only after "
          f"legalising the land (Rp {g['via_legalisation']['legalisation_rp'].sum() / 1e9:.2f} bn); "
          f"{time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
