"""``kotaku-decide replan [SCENARIO.yaml] --done REALISED.csv --from YEAR --out DIR``: re-plan the years left.

The years before ``--from`` are fixed to the realised works: the model plans ``--from`` to the last
year from the volumes left after those works (locations resettled stay off the list, land legalised
counts as legal), with the budgets of the re-planned years plus, for sources that carry over, the
money left before ``--from`` (an overspend is taken off). The original plan is ``--plan`` (the
``plan.csv`` of ``kotaku-decide allocate``) or, without it, solved from the scenario.

Writes to DIR: the re-plan (``plan.csv``, ``before_after.csv``, ``yearly.csv``, ``money.csv``,
``solve_report.csv``, ``allocation.xlsx``), ``changes.csv`` (per location: the original plan's works
from ``--from`` on against the re-plan's, and why they differ), ``past_works.csv`` (what was fixed),
``money_carried.csv``, ``original_rest.csv`` (the original plan's remaining works evaluated on the
re-plan's input: whether they still keep every rule, and what they achieve), ``replan_notes.txt``
and ``inputs/`` (the re-plan's scenario, baseline and budget: ``kotaku-decide allocate
DIR/inputs/scenario.yaml`` gives the same plan).

Exit codes: 0 ok; 1 the realised works, the plan, the baseline, costs or funding have errors (each
named with file, row, column and value; nothing is written), no plan, or the checker found a broken
rule; 2 a wrong command line or scenario (``--from`` outside the plan's years).
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["register", "run", "run_replan"]


def run(args) -> int:
    return run_replan(args.scenario, args.done, getattr(args, "from"), args.out, plan_path=args.plan,
                      method=args.method)


def run_replan(scenario, done, from_year: int, out, plan_path=None, method: str = "milp") -> int:
    """Re-plan and write every output into ``out``; print a summary; return the exit code."""
    import tempfile

    import pandas as pd

    from ..allocate.costing import CostError
    from ..allocate.funding import FundingError
    from ..data.embedded import DEFAULT_SCENARIO_FILE
    from ..data.profiles import ProfileError
    from ..data.realised import RealisedError
    from ..data.scenario import ScenarioError, load_scenario
    from ..data.validate import BaselineError
    from ..data.writers import atomic_path, check_output, write_table, write_workbook
    from ..progress.api import PlanError
    from ..progress.replan import ReplanError, replan
    from .allocate import plan_exit_code, write_outputs

    out = check_output(out, folder=True, inputs=[done, plan_path, scenario])  # before any work (exit 2)
    try:
        sc = load_scenario(scenario or DEFAULT_SCENARIO_FILE)
        with tempfile.TemporaryDirectory(prefix="kd_replan_") as tmp:
            r = replan(sc, done, from_year, Path(tmp) / "inputs", plan=plan_path, method=method)
            out.mkdir(parents=True, exist_ok=True)
            write_outputs(r.result, out)
            inputs = out / "inputs"
            inputs.mkdir(exist_ok=True)
            for key, p in r.files.items():
                text = Path(p).read_text(encoding="utf-8")
                if key == "scenario":  # point the written scenario at the copies beside it
                    for k2 in ("baseline", "budget"):
                        text = text.replace(str(r.files[k2]), r.files[k2].name)
                with atomic_path(inputs / Path(p).name) as t:
                    t.write_text(text, encoding="utf-8")
    except RealisedError as e:
        print(str(e), file=sys.stderr)
        print(f"{done}: {len(e.report.errors)} error(s); nothing was written", file=sys.stderr)
        return 1
    except (PlanError, BaselineError, CostError, FundingError) as e:
        print(f"error: {e}; nothing was written", file=sys.stderr)
        return 1
    except (ReplanError, ScenarioError, ProfileError, FileNotFoundError) as e:
        print(f"error: {e}; nothing was written", file=sys.stderr)
        return 2
    tables = {"changes": r.changes, "past_works": r.fixed.works, "money_carried": r.money,
              "original_rest": pd.DataFrame([{k: (v if not isinstance(v, list) else "; ".join(v))
                                              for k, v in r.original_rest.items()}])}
    for name, t in tables.items():
        write_table(t, out / f"{name}.csv")
    write_workbook(tables, out / "replan.xlsx")
    lines = [f"Re-plan of {sc.source} from {from_year} (years before it fixed to {done})",
             f"data status: {r.result.report.data_status}", *r.notes]
    with atomic_path(out / "replan_notes.txt") as t:
        t.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(r.result.summary())
    for n in r.notes:
        print(f"note: {n}")
    ev, orr = r.result.evaluation, r.original_rest
    key = "hectare_years" if sc["objective.kind"] == "hectares" else (
        "households" if sc["objective.kind"] == "households" else "cost_rp")
    keeps = "keeps every rule" if orr["feasible"] else f"breaks {len(orr['violations'])} rule(s) now"
    print(f"original plan's rest on the re-plan's input: {keeps}; {key} {orr[key]:,.2f} (re-plan {ev[key]:,.2f})")
    counts = r.changes["change"].value_counts().to_dict()
    print("locations: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("same", "moved", "changed", "added",
                                                                        "dropped")))
    print(f"outputs written to {out}")
    return plan_exit_code(r.result.report.status, r.result.checks)


def register(subparsers) -> None:
    """Add the ``replan`` sub-command (sets ``func``)."""
    p = subparsers.add_parser("replan", help="re-plan the years left after realised works", description=__doc__)
    p.add_argument("scenario", nargs="?", default=None,
                   help="the original plan's scenario YAML; default: the embedded Balikpapan scenario")
    p.add_argument("--done", type=Path, required=True,
                   help="realised works (.csv or .xlsx): location_id, criterion, year, volume, cost_rp, source")
    p.add_argument("--from", dest="from", type=int, required=True,
                   help="first year to re-plan; the earlier years are fixed to the realised works")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--plan", type=Path, default=None,
                   help="the original plan (plan.csv of 'kotaku-decide allocate'); default: solved from the scenario")
    p.add_argument("--method", choices=["milp", "greedy"], default="milp")
    p.set_defaults(func=run)
