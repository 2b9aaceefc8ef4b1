"""``kotaku-decide demo``: the main job on the embedded Balikpapan data (see :mod:`kotaku_decide.hearing.demo`)."""

from __future__ import annotations

from pathlib import Path

from ..data.labels import LANGUAGES


def cmd_demo(args) -> int:
    import json
    import sys

    from ..data.writers import check_output
    from ..hearing.demo import BASELINE, DECREE_2020, run, run_hearing
    from .common import UsageError

    check_output(args.out, folder=True)  # before any work
    missing = [f for f in (BASELINE, DECREE_2020) if not (Path(args.data) / f).is_file()]
    if missing:
        raise UsageError(f"--data {args.data}: expected the folder of the embedded data, holding {', '.join(missing)}")
    run(args.out, args.data)
    if args.no_hearing:
        return 0
    failed = run_hearing(args.out, args.data, args.lang, workers=args.workers)
    manifest = Path(args.out) / "hearing_2016" / "batch.json"
    if manifest.exists() and json.loads(manifest.read_text(encoding="utf-8")).get("status") == "interrupted":
        print(f"kotaku-decide: interrupted; finished scenarios are kept in {manifest.parent}/; run the same command "
              "again to finish the others", file=sys.stderr)
        return 130
    return 1 if failed else 0


def register(subparsers) -> None:
    from ..data.embedded import data_dir

    p = subparsers.add_parser("demo", help="score the embedded Balikpapan data and run its hearing set into reports/",
                              description="Score the embedded (SYNTHETIC, illustrative) Balikpapan 2016 baseline under "
                                          "both regulations, check the 2020 decree table, and run the six-scenario "
                                          "hearing set into OUT/hearing_2016; write the progress report of the "
                                          "adopted plan against SYNTHETIC realised works into OUT/progress_balikpapan.")
    p.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default reports)")
    p.add_argument("--data", type=Path, default=data_dir(), help="folder holding the embedded data files")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the hearing reports")
    p.add_argument("--workers", type=int, default=2, help="hearing scenarios run in parallel (default 2)")
    p.add_argument("--no-hearing", action="store_true", help="only score (skip the hearing set)")
    p.set_defaults(func=cmd_demo)
