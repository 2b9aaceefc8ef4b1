"""``kotaku-decide batch``: run a scenario set through the scenario notebook (see :mod:`kotaku_decide.hearing.batch`)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..data.labels import LANGUAGES


def cmd_batch(args) -> int:
    from ..hearing.batch import BatchError, read_scenario_set, run_batch

    try:
        specs = read_scenario_set(args.scenarios)
    except BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else Path("reports") / Path(args.scenarios).stem
    print(f"{len(specs)} scenario(s) validated: {', '.join(s.name for s in specs)}")
    res = run_batch(specs, out, workers=args.workers, lang=args.lang, timeout=args.timeout, pdf=args.pdf,
                    verbose=args.verbose)
    for name in res.status:
        secs = res.seconds.get(name, 0.0)
        line = f"  {name}: {res.status[name]} ({secs:.1f} s)"
        if name in res.errors:
            line += f" - {res.errors[name].strip().splitlines()[-1]}"
        print(line)
    print(f"reports in {out}/ (comparison.html, comparison.xlsx, one folder per scenario with report.html)")
    if res.failed:
        print(f"{len(res.failed)} scenario(s) failed: {', '.join(res.failed)} (see {out}/<name>.FAILED/error.txt)",
              file=sys.stderr)
        return 1
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("batch", help="run a set of scenarios through the scenario notebook into hearing reports")
    p.add_argument("scenarios", type=Path, help="scenario set (YAML: base, scenarios, grid)")
    p.add_argument("--workers", type=int, default=2, help="scenarios run in parallel (default 2)")
    p.add_argument("--out", default=None, help="output folder (default reports/<set name>)")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="report language for every scenario")
    p.add_argument("--timeout", type=int, default=1800, help="seconds a notebook cell may run (default 1800)")
    p.add_argument("--pdf", action="store_true",
                   help="also print each report.html and comparison.html to A4 PDF (needs chromium, Chrome or Edge)")
    p.add_argument("--verbose", action="store_true", help="log what the notebooks print (solver output included)")
    p.set_defaults(func=cmd_batch)
