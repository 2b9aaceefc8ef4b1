"""National benchmark: the 11,000-location SYNTHETIC generator solved by decomposition by city.

Prints, for 2 workers and then 1 worker (a Dask LocalCluster of processes, one thread each):
the time to the greedy plan, the time to the first national plan better than greedy (greedy with the
city engine's plan of the first city it improves, at the greedy shares), the best plan by 60 s over
greedy (cities improved by then; the rest keep greedy's plan), the time to a proven gap of 2 %
(if reached), the gap at 180 s, the final plan / bound / gap, plan / greedy, peak memory (this
process plus its workers and their children, sampled every 0.5 s) and the 2-worker / 1-worker speed-up.
Memory: the table gives the sum of PSS (each page shared between processes - a forked child's
copy-on-write pages - counted once, split among them: the memory the run takes); the detail lines add the
sum of RSS (shared pages counted in every process that maps them, so above what the run takes) and the
rise of the machine's memory in use over the run (other programs included: a check on a quiet machine).
Targets (issue 11): a plan >= greedy in < 60 s, a 2 % gap in < 3 minutes, peak memory < 4 GB. Figures are
printed, not asserted.

    .venv/bin/python benchmarks/bench_national.py [--workers 2] [--one-worker] [--cities 270 --locations 11000]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import warnings


def _rss_tree_mb(pid: int, pss: bool = False) -> float:
    """Resident memory of a process and its children [MB]: the sum of RSS, or (``pss``) of PSS, which
    splits pages shared between processes (a forked child's copy-on-write pages) among them."""
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p] + p.children(recursive=True)
    except psutil.Error:
        return 0.0
    tot = 0
    for q in procs:
        try:
            tot += q.memory_full_info().pss if pss else q.memory_info().rss
        except (psutil.Error, AttributeError):
            pass
    return tot / 2**20


class _Peak:
    """Samples the resident memory of this process and its children every 0.5 s."""

    def __init__(self):
        import os

        import psutil

        self.pid, self.peak, self.peak_pss, self._stop = os.getpid(), 0.0, 0.0, False
        self.used0 = psutil.virtual_memory().used / 2**20
        self.peak_used = self.used0
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        import psutil

        while not self._stop:
            self.peak = max(self.peak, _rss_tree_mb(self.pid))
            self.peak_pss = max(self.peak_pss, _rss_tree_mb(self.pid, pss=True))
            self.peak_used = max(self.peak_used, psutil.virtual_memory().used / 2**20)
            time.sleep(0.5)

    def stop(self) -> float:
        self._stop = True
        self.t.join(2)
        return self.peak


def run_once(inp, workers: int, opts_kw: dict):
    from kotaku_decide.national.solve import NationalOptions, solve_national

    mon = _Peak()
    t0 = time.perf_counter()
    res = solve_national(inp, NationalOptions(workers=workers, progress=False, **opts_kw),
                         log=lambda s: print("   ", s, flush=True))
    wall = time.perf_counter() - t0
    peak = mon.stop()
    tl = res.timeline
    greedy_t = next(e["time_s"] for e in tl if e["stage"].startswith("greedy"))
    ge = [e for e in tl if e["value"] > res.greedy_value * (1 + 1e-9) and not e["stage"].startswith("greedy")]
    t_ge = ge[0]["time_s"] if ge else None
    # every stage reports the best national plan so far and the best valid bound it has
    t2 = next((e["time_s"] for e in tl if e["bound"] is not None and (e["bound"] - e["value"]) / e["value"] <= 0.02),
              None)
    at60 = [e["value"] for e in tl if e["time_s"] <= 60]
    at180 = [e for e in tl if e["time_s"] <= 180 and e["bound"] is not None]
    gap180 = (at180[-1]["bound"] - at180[-1]["value"]) / at180[-1]["value"] if at180 else None
    return {"workers": workers, "wall_s": wall, "greedy_s": greedy_t, "plan_ge_greedy_s": t_ge, "gap2_s": t2,
            "at60": max(at60) if at60 else None,
            "gap_at_180s": gap180, "value": res.value, "bound": res.bound, "bound_lp": res.bound_lp,
            "bound_mip": res.bound_mip, "gap": res.gap, "greedy": res.greedy_value, "peak_mb": peak,
            "violations": len(res.checks), "failures": len(res.failures), "times": res.times,
            "peak_pss_mb": mon.peak_pss, "used_rise_mb": mon.peak_used - mon.used0}


#: benchmark flags that set one NationalOptions field each (default: the solver's own value)
_SOLVER_FLAGS = [
    ("--greedy-engine", "greedy_mips", "on/off", "the city engine at the greedy shares"),
    ("--lp-tol", "lp_tol", float, "price rounds' stop"),
    ("--rins-time", "rins_time_s", float, "integer columns near each priced LP [s]; 0 = off"),
    ("--warm", "warm_start", "on/off", "first prices from the LPs at the step-1 shares"),
    ("--smoothing", "smoothing", float, "price smoothing"),
    ("--int-rounds", "int_rounds", int, "integer price rounds"),
    ("--quick-priced-time", "quick_priced_time_s", float, "quick priced MIPs' time limit [s]"),
    ("--master-every", "master_every_s", float, "restricted masters during the rounds every [s]"),
    ("--residual-priced-time", "residual_priced_time_s", float, "priced MIPs for the cities with most gap left [s]"),
    ("--residual-priced-cities", "residual_priced_cities", int, "how many cities get them (0 = off)"),
    ("--crossover-time", "crossover_time_s", float, "crossover of the mixed plans [s]; 0 = off"),
    ("--mix-steps", "mix_price_steps", "floats",
     "nearby price steps for the mixing cities, e.g. --mix-steps=-0.05,0.05; --mix-steps= is off"),
]


def _floats(text: str) -> tuple:
    """A comma-separated list of numbers (argparse type; an empty text is the empty tuple)."""
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, e.g. -0.05,0.05; got {text!r}")


def _options(a) -> dict:
    """NationalOptions fields from the parsed flags."""
    kw = dict(city_time_limit_s=a.city_time_limit, mip_bound_time_s=a.mip_bound_time,
              handout_rounds=a.handout_rounds, top_up=not a.no_top_up)
    for _flag, field_, typ, _text in _SOLVER_FLAGS:
        v = getattr(a, field_)
        if v is not None:
            kw[field_] = (v == "on") if typ == "on/off" else v
    return kw


def _fmt(x, unit=" s"):
    return "not reached" if x is None else f"{x:,.1f}{unit}"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--one-worker", action="store_true", help="also run with 1 worker (speed-up)")
    ap.add_argument("--cities", type=int, default=270)
    ap.add_argument("--locations", type=int, default=11_000)
    ap.add_argument("--provinces", type=int, default=34)
    ap.add_argument("--city-time-limit", type=float, default=2.0)
    ap.add_argument("--mip-bound-time", type=float, default=2.0)
    ap.add_argument("--handout-rounds", type=int, default=1)
    ap.add_argument("--no-top-up", action="store_true")
    # solver settings left at the solver's default unless given: flag, NationalOptions field, type, help
    for flag, field_, typ, text in _SOLVER_FLAGS:
        if typ == "on/off":
            ap.add_argument(flag, dest=field_, choices=["on", "off"], default=None, help=text)
        elif typ == "floats":
            ap.add_argument(flag, dest=field_, type=_floats, default=None, help=text)
        else:
            ap.add_argument(flag, dest=field_, type=typ, default=None, help=text)
    return ap


def main():
    a = _parser().parse_args()
    warnings.simplefilter("ignore")
    from kotaku_decide.allocate import prepare
    from kotaku_decide.data.scenario import load_scenario
    from kotaku_decide.national.synthetic import make_national

    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        over = make_national(d, n_provinces=a.provinces, n_cities=a.cities, total=a.locations)
        inp = prepare(load_scenario(over))
        t_prep = time.perf_counter() - t0
        print(f"SYNTHETIC national instance: {a.locations} locations, {a.cities} cities, {a.provinces} provinces, "
              f"{len(inp.options)} options; generate + prepare {t_prep:.1f} s", flush=True)
        kw = _options(a)
        print(f"settings: {kw}", flush=True)
        runs = [run_once(inp, a.workers, kw)]
        if a.one_worker:
            runs.append(run_once(inp, 1, kw))
    print()
    print("| workers | greedy plan | plan > greedy | plan at 60 s / greedy | gap <= 2 % | gap at 180 s | final gap "
          "| plan / greedy | peak memory (sum of PSS) | wall |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        g180 = "-" if r["gap_at_180s"] is None else f"{r['gap_at_180s']:.2%}"
        a60 = "-" if r["at60"] is None else f"{r['at60'] / r['greedy']:.4f}"
        print(f"| {r['workers']} | {_fmt(r['greedy_s'])} | {_fmt(r['plan_ge_greedy_s'])} | {a60} | "
              f"{_fmt(r['gap2_s'])} | "
              f"{g180} | {r['gap']:.2%} | {r['value'] / r['greedy']:.4f} | {r['peak_pss_mb']:,.0f} MB | "
              f"{r['wall_s']:,.0f} s |")
    for r in runs:
        print(f"workers {r['workers']}: plan {r['value']:,.1f} ha-years, bound {r['bound']:,.1f} (LP-Lagrangian "
              f"{r['bound_lp']:,.1f}, MIP-Lagrangian {r['bound_mip']}), greedy {r['greedy']:,.1f}; checker "
              f"violations {r['violations']}; city failures {r['failures']}; peak memory {r['peak_mb']:,.0f} MB as "
              f"the sum of RSS, {r['peak_pss_mb']:,.0f} MB as the sum of PSS (shared pages split), machine memory "
              f"in use up by {r['used_rise_mb']:,.0f} MB at most; stage times "
              f"{r['times']}")
    if len(runs) == 2:
        print(f"speed-up 2 workers vs 1: {runs[1]['wall_s'] / runs[0]['wall_s']:.2f}x (wall clock)")


if __name__ == "__main__":
    main()
