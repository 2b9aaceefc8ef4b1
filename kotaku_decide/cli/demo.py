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
    from ..hearing.demo import PROGRESS_PLAN, PROGRESS_REALISED, PROGRESS_SCENARIO
    from .replan import run_replan

    # re-plan 2019 from the adopted plan after the SYNTHETIC realised works of 2017-2018
    dest = Path(args.out) / "replan_balikpapan_2019"
    print(f"\n== re-plan of 2019 after the SYNTHETIC realised works of 2017-2018 -> {dest}")
    if run_replan(args.data / PROGRESS_SCENARIO, args.data / PROGRESS_REALISED, 2019, dest,
                  plan_path=args.data / PROGRESS_PLAN):
        return 1
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
                                          "adopted plan against SYNTHETIC realised works into "
                                          "OUT/progress_balikpapan and re-plan 2019 after them into "
                                          "OUT/replan_balikpapan_2019.")
    p.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default reports)")
    p.add_argument("--data", type=Path, default=data_dir(), help="folder holding the embedded data files")
    p.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the hearing reports")
    p.add_argument("--workers", type=int, default=2, help="hearing scenarios run in parallel (default 2)")
    p.add_argument("--no-hearing", action="store_true", help="only score (skip the hearing set)")
    p.set_defaults(func=cmd_demo)
