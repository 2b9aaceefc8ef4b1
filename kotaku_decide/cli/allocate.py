"""``kotaku-decide allocate [SCENARIO.yaml] --out DIR``: plan, before/after, money, solve report.

Exit codes: 0 ok; 1 infeasible or failed (with a readable message); 2 bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ..data.embedded import DEFAULT_SCENARIO_FILE
from ..data.scenario import ScenarioError, load_scenario

__all__ = ["register", "run", "write_outputs", "escape_formulas"]

DEFAULT_SCENARIO = DEFAULT_SCENARIO_FILE


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with = + - @ (or tab / CR) with ' against formula injection."""
    from ..data.writers import escape_frame

    return escape_frame(df)


def write_outputs(res, out: Path) -> list[Path]:
    """Write CSV files, one Excel workbook and the resolved scenario for a result."""
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
    from ..data.writers import atomic_path, write_table, write_workbook

    paths = [write_table(t, out / f"{name}.csv") for name, t in tables.items()]
    # one escaping rule for every workbook of the package (text cells starting = + - @ are quoted)
    sheets = {**tables, "data_status": pd.DataFrame({"data_status": [res.report.data_status]})}
    paths.append(write_workbook(sheets, out / "allocation.xlsx"))
    sp = out / "scenario_resolved.yaml"
    with atomic_path(sp) as tmp:
        tmp.write_text(res.scenario.to_yaml(), encoding="utf-8")
    paths.append(sp)
    # the CSVs are plain tables; what the data is (SYNTHETIC / ILLUSTRATIVE / the city's own) sits beside them
    ds = out / "DATA_STATUS.txt"
    with atomic_path(ds) as tmp:
        tmp.write_text(f"Data status of every file in this folder:\n{res.report.data_status}\n", encoding="utf-8")
    paths.append(ds)
    return paths


def run(args) -> int:
    from ..allocate.costing import CostError
    from ..allocate.funding import FundingError
    from ..data.validate import BaselineError

    try:
        over = {}
        if args.time_limit is not None:
            over["solver"] = {"time_limit_s": float(args.time_limit)}
        sc = load_scenario(args.scenario or DEFAULT_SCENARIO, **over)
        from ..allocate.api import allocate
        from ..allocate.inputs import prepare

        inp = prepare(sc)
    except (ScenarioError, CostError, FundingError, BaselineError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.national or (inp.funding.scoped and inp.locations["city"].astype(str).nunique() > 1):
        return run_national(inp, args)
    res = allocate(inp=inp, method=args.method)
    out = Path(args.out)
    write_outputs(res, out)
    if args.compare_greedy and args.method == "milp":
        g = allocate(inp=inp, method="greedy")
        write_outputs(g, out / "greedy")
    print(res.summary())
    print(f"outputs written to {out}")
    if not res.report.status.has_solution:
        print(f"error: no plan ({res.report.status.value}); see the shortfall above", file=sys.stderr)
        return 1
    if res.checks:
        print(f"error: the independent checker found {len(res.checks)} broken rule(s): {res.checks[0]}", file=sys.stderr)
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
    if res.checks:
        print(f"error: the independent checker found {len(res.checks)} broken rule(s): {res.checks[0]}",
              file=sys.stderr)
        return 1
    return 0


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


def main(argv=None) -> int:  # for `python -m kotaku_decide.cli.allocate`
    import argparse

    ap = argparse.ArgumentParser(prog="kotaku-decide")
    sub = ap.add_subparsers(dest="command", required=True)
    register(sub)
    a = ap.parse_args(argv)
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
