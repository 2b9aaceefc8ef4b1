"""``kotaku-decide progress PLAN.csv --done REALISED.csv --out DIR``: the plan against what was built.

The baseline, profile, years and funding sources come from the plan's scenario: the
``scenario_resolved.yaml`` that ``kotaku-decide allocate`` writes beside ``plan.csv``, or ``--scenario``.
Writes the progress report (HTML and Excel, English and Bahasa Indonesia) and its tables (CSV).

Exit codes: 0 ok; 1 the realised works or the plan have errors (each named with file, row, column,
value and what was expected; nothing is written); 2 a wrong command line or scenario.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["register", "run"]


def run(args) -> int:
    from ..data.labels import LANGUAGES
    from ..data.profiles import ProfileError
    from ..data.realised import RealisedError
    from ..data.scenario import ScenarioError
    from ..data.validate import BaselineError
    from ..data.writers import check_output
    from ..progress.api import PlanError, load_progress_inputs, track_progress
    from ..progress.report import write_progress

    check_output(args.out, folder=True, inputs=[args.plan, args.done, args.scenario])  # before any work (exit 2)
    try:
        inp = load_progress_inputs(args.plan, args.done, args.scenario)
        res = track_progress(inp.baseline, inp.profile, inp.plan, inp.realised, inp.years, rule=args.clearance,
                             as_of=args.as_of, cost_tolerance=args.cost_tolerance)
    except (ScenarioError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ProfileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RealisedError as e:
        print(str(e), file=sys.stderr)
        print(f"{args.done}: {len(e.report.errors)} error(s); nothing was written", file=sys.stderr)
        return 1
    except (PlanError, BaselineError) as e:
        print(f"error: {e}; nothing was written", file=sys.stderr)
        return 1
    for w in inp.warnings:
        print(w, file=sys.stderr)
    notes = inp.notes if args.verbose else inp.notes[inp.notes["severity"] != "info"]
    langs = LANGUAGES if args.lang == "both" else (args.lang,)
    files = write_progress(res, args.out, inp.profile, inp.sources, langs=langs,
                           notes=notes.drop(columns=["file"]) if len(notes) else None)
    y = res.yearly.set_index("year")
    a = min(res.as_of, res.years[-1])
    print(f"as of {res.as_of}; clearance rule: {res.rule.name} ({res.rule.label('en')})")
    if a >= res.years[0]:
        print(f"slum hectares left by {a}: planned {y.loc[a, 'slum_ha_planned']:.2f}, "
              f"realised {y.loc[a, 'slum_ha_realised']:.2f}")
    counts = res.works["status"].value_counts().to_dict()
    print("works: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("done", "late", "behind", "not_due",
                                                                     "not_in_plan")))
    print(f"locations behind plan: {len(res.behind)}")
    pages = " / ".join(f"report_{lang}.html" for lang in langs)
    print(f"wrote {len(files)} files to {args.out} (open {pages})")
    return 0


def register(subparsers) -> None:
    """Add the ``progress`` sub-command (sets ``func``)."""
    p = subparsers.add_parser("progress", help="progress report: the plan against the realised works",
                              description=__doc__)
    p.add_argument("plan", type=Path, help="plan.csv written by 'kotaku-decide allocate'")
    p.add_argument("--done", type=Path, required=True,
                   help="realised works (.csv or .xlsx): location_id, criterion, year, volume, cost_rp, source")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--scenario", default=None,
                   help="the plan's scenario (default: scenario_resolved.yaml beside the plan)")
    p.add_argument("--clearance", default=None,
                   help="clearance rule of the profile's clearance.csv (default: the profile's default rule)")
    p.add_argument("--as-of", type=int, default=None, help="last year of realised works to count (default: the last "
                                                            "year in the file)")
    p.add_argument("--cost-tolerance", type=float, default=0.05,
                   help="share by which a cost may differ from the plan before it is over / under (default 0.05)")
    p.add_argument("--lang", choices=["both", "en", "id"], default="both", help="report language(s)")
    p.add_argument("--verbose", action="store_true", help="also list notes (info) on the realised table")
    p.set_defaults(func=run)
