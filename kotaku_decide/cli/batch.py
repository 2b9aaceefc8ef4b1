"""``kotaku-decide batch``: run a scenario set through the scenario notebook (see :mod:`kotaku_decide.hearing.batch`).

Exit codes: 0 every scenario finished; 1 a scenario failed or the set is invalid (nothing run); 2 bad
options or output folder; 130 interrupted (Ctrl-C): the finished scenarios are kept, rerun to finish.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..data.labels import LANGUAGES


def cmd_batch(args) -> int:
    from ..data.writers import check_output
    from ..hearing.batch import BatchError, read_scenario_set, run_batch

    out = Path(args.out) if args.out else Path("reports") / Path(args.scenarios).stem
    check_output(out, folder=True, inputs=[args.scenarios])  # before any work (exit 2)
    try:
        specs = read_scenario_set(args.scenarios, lift_limits=args.lift_limits)
    except BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(specs)} scenario(s) validated: {', '.join(s.name for s in specs)}")
    res = run_batch(specs, out, workers=args.workers, lang=args.lang, timeout=args.timeout, resume=not args.fresh,
                    pdf=args.pdf, verbose=args.verbose)
    if res.kept:
        print(f"kept from the unfinished earlier run (unchanged): {', '.join(res.kept)}")
    for name in res.status:
        secs = res.seconds.get(name, 0.0)
        line = f"  {name}: {res.status[name]} ({secs:.1f} s)"
        if name in res.errors:
            line += f" - {res.errors[name].strip().splitlines()[-1]}"
        print(line)
    if res.interrupted:
        done = [n for n, s in res.status.items() if s == "ok"]
        rest = [n for n, s in res.status.items() if s != "ok"]
        print(f"kotaku-decide: interrupted: {len(done)} finished scenario(s) kept in {out}/; {len(rest)} not finished "
              f"({', '.join(rest)}); run the same command again to finish them", file=sys.stderr)
        return 130
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
    p.add_argument("--fresh", action="store_true",
                   help="run every scenario again, even those an interrupted earlier run finished")
    p.add_argument("--pdf", action="store_true",
                   help="also print each report.html and comparison.html to A4 PDF (needs chromium, Chrome or Edge)")
    p.add_argument("--verbose", action="store_true", help="log what the notebooks print (solver output included)")
    p.set_defaults(func=cmd_batch)
