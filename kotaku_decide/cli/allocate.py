"""``kotaku-decide allocate [SCENARIO.yaml] --out DIR``: plan, before/after, money, solve report.

Exit codes: 0 ok; 1 infeasible or failed (with a readable message); 2 bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ..data.embedded import DEFAULT_SCENARIO_FILE
from ..data.scenario import ScenarioError, load_scenario

__all__ = ["register", "run", "write_outputs", "escape_formulas", "OUTPUT_FILES", "plan_exit_code"]

DEFAULT_SCENARIO = DEFAULT_SCENARIO_FILE


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with = + - @ (or tab / CR) with ' against formula injection."""
    from ..data.writers import escape_frame

    return escape_frame(df)


#: every file ``allocate`` writes into its folder (relative paths); a rerun removes those it does not write again
OUTPUT_FILES = ("plan.csv", "before_after.csv", "yearly.csv", "money.csv", "solve_report.csv", "checker.csv",
                "allocation.xlsx", "scenario_resolved.yaml", "DATA_STATUS.txt")


def write_outputs(res, out: Path) -> list[Path]:
    """Write CSV files, one Excel workbook and the resolved scenario for a result (through the package's
    one writer: atomic files, text cells escaped against formulas in CSV and Excel alike)."""
    from ..data.writers import write_table, write_text, write_workbook

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rep = pd.DataFrame([res.report.to_dict()])
    if res.shortfall is not None:
        rep["shortfall"] = str(res.shortfall)
    rep["checker_violations"] = len(res.checks)
    ev = {k: v for k, v in res.evaluation.items() if k != "cleared_by_year"}
    for k, v in ev.items():
        rep[f"evaluation_{k}"] = v
    tables = {"plan": res.plan, "before_after": res.before_after, "yearly": res.yearly, "money": res.money,
              "solve_report": rep}
    if res.checks:
        tables["checker"] = pd.DataFrame([c.__dict__ for c in res.checks])
    paths = [write_table(t, out / f"{name}.csv") for name, t in tables.items()]
    sheets = {**tables, "data_status": pd.DataFrame({"data_status": [res.report.data_status]})}
    paths.append(write_workbook(sheets, out / "allocation.xlsx"))
    paths.append(write_text(out / "scenario_resolved.yaml", res.scenario.to_yaml()))
    # the CSVs are plain tables; what the data is (SYNTHETIC / ILLUSTRATIVE / the city's own) sits beside them
    paths.append(write_text(out / "DATA_STATUS.txt",
                            f"Data status of every file in this folder:\n{res.report.data_status}\n"))
    return paths


def _cut_note(res, limit_s: float) -> str | None:
    """A plain sentence when the solve was stopped by its time limit or the wall-clock guard."""
    r = res.report
    status = getattr(r.status, "value", r.status)
    if getattr(r, "guard_fired", False) or status in ("feasible_not_proven", "time_limit_no_solution"):
        gap = f"; gap {r.gap:.2%}" if isinstance(r.gap, float) else ""
        what = ("the plan is the best found by then, not proven optimal" if r.status.has_solution
                else "no plan had been found by then")
        build = getattr(r, "build_time_s", None)
        build = f"; building the model took {build:.0f} s more, which the time limit does not bound" if build else ""
        return (f"note: the solve was cut (time limit {limit_s:g} s, wall-clock guard "
                f"{getattr(r, 'guard_s', None) or 0:.0f} s): {what}{gap}{build}; raise solver.time_limit_s "
                "(or --time-limit) for a proven plan")
    return None


def run(args) -> int:
    import time

    from ..allocate.costing import CostError
    from ..allocate.funding import FundingError
    from ..data.validate import BaselineError
    from ..data.writers import OutputError, atomic_folder, check_output

    out = check_output(args.out, folder=True, inputs=[args.scenario])  # before any work
    try:
        over = {}
        if args.time_limit is not None:
            over["solver"] = {"time_limit_s": float(args.time_limit)}
            if getattr(args, "lift_limits", False):  # the command line's override also covers the scenario key
                over["lift_limits"] = ["solver.time_limit_s", "solver.guard_s"]
        sc = load_scenario(args.scenario or DEFAULT_SCENARIO, **over)
        from ..allocate.api import allocate
        from ..allocate.inputs import prepare

        inp = prepare(sc)
    except (ScenarioError, CostError, FundingError, BaselineError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    inputs = [Path(sc.data_path(k)) for k in ("baseline", "costs", "budget", "funding_rules")]
    for name in OUTPUT_FILES:
        for i in inputs:
            if i.exists() and (out / name).exists() and (out / name).samefile(i):
                raise OutputError(f"--out {out}: {name} there is an input of the scenario; writing it would destroy "
                                  "the input (choose another folder)")
    if args.national or (inp.funding.scoped and inp.locations["city"].astype(str).nunique() > 1):
        return run_national(inp, args)
    t0 = time.perf_counter()
    res = allocate(inp=inp, method=args.method)
    g = allocate(inp=inp, method="greedy") if args.compare_greedy and args.method == "milp" else None
    # every file is written into a temporary folder first and moved into place only when all are written:
    # an interrupted or failed run leaves the folder as it was
    with atomic_folder(out, owned=list(OUTPUT_FILES) + [f"greedy/{f}" for f in OUTPUT_FILES]) as tmp:
        write_outputs(res, tmp)
        if g is not None:
            write_outputs(g, tmp / "greedy")
    print(res.summary())
    print(f"outputs written to {out} ({time.perf_counter() - t0:.1f} s)")
    note = _cut_note(res, float(sc["solver.time_limit_s"])) if args.method == "milp" else None
    if note:
        print(note, file=sys.stderr)
    return plan_exit_code(res.report.status, res.checks, "; see the shortfall above")


def plan_exit_code(status, checks, hint: str = "") -> int:
    """Exit code of a command that made a plan: 1 (and why, on stderr) when there is no plan or the
    independent checker found a broken rule, else 0. ``status``: a SolveStatus, or None (a plan exists)."""
    if status is not None and not status.has_solution:
        print(f"error: no plan ({status.value}){hint}", file=sys.stderr)
        return 1
    if checks:
        print(f"error: the independent checker found {len(checks)} broken rule(s): {checks[0]}", file=sys.stderr)
        return 1
    return 0


def run_national(inp, args) -> int:
    """A scenario whose budgets have scopes over several cities: the decomposition by city
    (:mod:`kotaku_decide.national`), on a Dask cluster (``--workers`` / ``--scheduler``)."""
    from ..hearing.national import write_national_pages
    from ..national.outputs import write_national
    from ..national.solve import NationalOptions, solve_national
    from ..national.split import NationalError

    if args.method != "milp":
        print("error: --method greedy: a national run always writes the greedy plan per city (greedy_plan.csv) "
              "next to the decomposed plan; run without --method", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    opts = NationalOptions(workers=args.workers, scheduler=args.scheduler, progress=not args.quiet,
                           state_dir=str(Path(args.state) if args.state else out / "state"),
                           kind="dask" if args.executor == "dask" else args.executor)
    if args.time_limit is not None:
        opts.city_time_limit_s = float(args.time_limit)
    try:
        res = solve_national(inp, opts, log=None if args.quiet else print)
    except NationalError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    write_national(res, out)
    from ..data.writers import write_table

    write_table(res.greedy_plan, out / "greedy_plan.csv")
    write_national_pages(out)
    print(res.summary())
    print(f"outputs written to {out}")
    return plan_exit_code(None, res.checks)


def register(subparsers) -> None:
    """Add the ``allocate`` sub-command to an argparse sub-parser collection (sets ``func``)."""
    p = subparsers.add_parser("allocate", help="budget allocation (multi-year, multi-source MILP or greedy)",
                              description=__doc__)
    p.add_argument("scenario", nargs="?", default=None,
                   help="scenario YAML (overrides of the default); default: the embedded Balikpapan scenario")
    p.add_argument("--out", required=True, help="output folder (CSV files and allocation.xlsx)")
    p.add_argument("--method", choices=["milp", "greedy"], default="milp")
    p.add_argument("--time-limit", type=float, default=None, help="solver time limit [s] (overrides the scenario)")
    p.add_argument("--compare-greedy", action="store_true", help="also write the greedy plan to OUT/greedy")
    g = p.add_argument_group("national runs (budgets with scopes over several cities; docs/national.md)")
    g.add_argument("--national", action="store_true",
                   help="decompose by city even when the budget table has no scopes")
    g.add_argument("--workers", type=int, default=2,
                   help="local Dask workers (processes, one thread each); default 2")
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="use a running Dask cluster instead of starting local workers")
    g.add_argument("--executor", choices=["dask", "processes", "serial"], default="dask",
                   help="dask (default; a process pool when dask.distributed is missing), processes or serial")
    g.add_argument("--state", default=None, help="folder of per-city results to resume from (default OUT/state)")
    g.add_argument("--quiet", action="store_true", help="no progress bars or stage lines")
    p.set_defaults(func=run)


def main(argv=None) -> int:  # for `python -m kotaku_decide.cli.allocate`: the same checks as kotaku-decide
    import argparse

    from .common import add_lift_limits
    from .common import run as run_cli

    ap = argparse.ArgumentParser(prog="kotaku-decide")
    sub = ap.add_subparsers(dest="command", required=True)
    register(sub)
    add_lift_limits(sub)
    return run_cli(ap, ["allocate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
