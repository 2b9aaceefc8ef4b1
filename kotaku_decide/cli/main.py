"""Command line: ``kotaku-decide validate | score | check | profiles`` (and the later steps' commands).

Exit codes: 0 success; 1 the input has errors (each printed with file, row, column, value and what
was expected) or the run failed; 2 the command line itself is wrong (an option out of its bounds, an
output path that cannot be written: both checked before any work starts); 130 interrupted (Ctrl-C).
No input error ends in a Python traceback: an error this module does not know is reported in one line
with the traceback saved to a file (see :func:`main`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..data.labels import LANGUAGES, label
from ..data.profiles import DEFAULT_PROFILE, available_profiles, load_profile
from ..data.validate import CHECKS, read_table, validate
from ..data.writers import check_distinct, check_output, write_table, write_text, write_workbook
from ..hearing.tables import markdown_summary, provenance_lines, summary_by_kecamatan, summary_by_level
from ..score.consistency import consistency_report, decree_totals
from ..score.scoring import aggregate, score_table
from .common import UsageError, add_lift_limits, check_bound, check_bounds, option_name, run

__all__ = ["main", "build_parser", "UsageError", "check_bound", "check_bounds", "option_name"]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="baseline table (.csv or .xlsx)")
    p.add_argument("--regulation", default=DEFAULT_PROFILE,
                   help=f"regulation profile: {', '.join(available_profiles())} or a profile folder "
                        f"(default {DEFAULT_PROFILE})")
    p.add_argument("--sheet", default=None, help="Excel sheet to read (default: 'baseline' or the first)")
    p.add_argument("--strict", action="store_true", help="turn every warning into an error")
    p.add_argument("--strict-checks", default=None, metavar="NAMES",
                   help=f"turn only these warnings into errors (comma-separated: {', '.join(CHECKS)})")


def _strict(args):
    if args.strict:
        return True
    if not args.strict_checks:
        return False
    names = {s.strip() for s in args.strict_checks.split(",") if s.strip()}
    unknown = names - set(CHECKS)
    if unknown:
        raise UsageError(f"--strict-checks: unknown check(s) {sorted(unknown)}; expected names from: "
                         f"{', '.join(CHECKS)}")
    return names


def _validated(args, published_only=False, writes=False):
    """Read and validate; print every problem; return (typed table or None, profile, report)."""
    strict = _strict(args)
    prof = load_profile(args.regulation)
    raw = read_table(args.file, sheet=args.sheet)
    report = validate(raw, prof, strict=strict, published_only=published_only, level=getattr(args, "level", "rt"))
    shown = [p for p in report.problems
             if p.severity != "info" or getattr(args, "verbose", False) or p.check in ("delimiter", "scored_output")]
    for p in sorted(shown, key=lambda p: (p.severity != "error", p.row or 0)):
        print(str(p), file=sys.stderr)
    if not report.ok:
        tail = "; nothing was written" if writes else ""
        print(f"{args.file}: {len(report.errors)} error(s), {len(report.warnings)} warning(s){tail}", file=sys.stderr)
        return None, prof, report
    return report.data, prof, report


def _check_out(path, allowed=(".csv", ".xlsx"), inputs=(), label="--out"):
    """The output-file check of every command (before any work): see :func:`kotaku_decide.data.writers.check_output`."""
    if path is not None:
        check_output(path, inputs=inputs, label=label, suffixes=allowed)


def cmd_validate(args) -> int:
    data, prof, _ = _validated(args, published_only=args.published)
    if data is None:
        return 1
    print(f"{args.file}: valid for {prof.name} ({len(data)} rows)")
    return 0


def cmd_score(args) -> int:
    if args.summary is not None:
        check_distinct({"--out": args.out, "--summary": args.summary})
        _check_out(args.summary, allowed=(".md", ".markdown", ".txt"), inputs=[args.file], label="--summary")
    _check_out(args.out, inputs=[args.file])
    data, prof, report = _validated(args, writes=True)
    if data is None:
        return 1
    data = aggregate(data, args.level, prof)
    scored = score_table(data, prof)
    out = Path(args.out)
    if out.suffix.lower() == ".xlsx":
        cons = consistency_report(scored, prof)
        about = pd.DataFrame({"about": provenance_lines(scored, args.lang)
                              + [f"{label('text', 'regulation', args.lang)}: {prof.title}",
                                 f"{label('text', 'aggregation_level', args.lang)}: {args.level}",
                                 f"kotaku-decide {__version__}"]})
        write_workbook({"scores": scored, "by_level": summary_by_level(scored, args.lang),
                        "by_kecamatan": summary_by_kecamatan(scored, args.lang), "consistency": cons,
                        "validation": report.to_frame(), "unconfirmed_defaults": prof.unconfirmed(),
                        "about": about}, out, index={"by_level": True, "by_kecamatan": True})
    else:
        write_table(scored, out)
    if args.summary:
        # the summary shows the findings in the report language; the workbook keeps the data's
        md = markdown_summary(scored, prof, args.lang, consistency=consistency_report(scored, prof, lang=args.lang))
        write_text(args.summary, md)
    for line in provenance_lines(scored, args.lang)[:1]:
        print(line)
    print(summary_by_level(scored, args.lang).to_string())
    print(f"wrote {out}" + (f" and {args.summary}" if args.summary else ""))
    return 0


def cmd_check(args) -> int:
    _check_out(args.out, inputs=[args.file])
    raw = read_table(args.file, sheet=args.sheet)
    has_volumes = any(c.startswith(("vol_", "pct_")) for c in raw.columns)
    data, prof, _ = _validated(args, published_only=not has_volumes, writes=bool(args.out))
    if data is None:
        return 1
    table = score_table(data, prof) if has_volumes else data
    cons = consistency_report(table, prof)
    print("\n".join(provenance_lines(table)))
    print(decree_totals(table).to_string(index=False))
    if len(cons):
        print(cons.to_string(index=False))
    else:
        print("no inconsistencies found")
    if args.out:
        write_table(cons, args.out)
    return 0


def cmd_profiles(args) -> int:
    for name in available_profiles():
        p = load_profile(name)
        print(f"{name}: {p.title}; {len(p.codes)} criteria, max {p.max_total}, slum from {p.slum_threshold}; "
              f"{len(p.unconfirmed())} unconfirmed default(s)")
        if args.verbose:
            print(p.unconfirmed().to_string(index=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kotaku-decide", description=__doc__.splitlines()[0])
    ap.add_argument("--version", action="version", version=f"kotaku-decide {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a baseline table; exit 1 if it has errors")
    _add_common(p)
    p.add_argument("--published", action="store_true",
                   help="the table is a published decree/profile listing (scores, no volumes)")
    p.add_argument("--verbose", action="store_true", help="also show notes (unknown extra columns)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("score", help="score every location under a regulation profile")
    _add_common(p)
    p.add_argument("--level", choices=["rt", "kawasan", "kelurahan", "kecamatan"], default="rt",
                   help="aggregate rows before scoring (volumes and denominators summed; default rt: as given)")
    p.add_argument("--out", required=True, help="scored table, .csv or .xlsx (the workbook adds summaries)")
    p.add_argument("--summary", type=Path, default=None, help="also write a Markdown summary here (.md)")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="report language (en, id)")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("check", help="consistency with decrees and published scores (works on published-only tables)")
    _add_common(p)
    p.add_argument("--out", default=None, help="write the findings (.csv or .xlsx)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("profiles", help="list the regulation profiles and their unconfirmed defaults")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_profiles)

    from . import allocate, app, batch, demo, evidence, progress, rank, replan

    for m in (rank, allocate, evidence, progress, replan, batch, demo, app):  # each module adds its sub-commands
        m.register(sub)
    add_lift_limits(sub)
    return ap


def main(argv=None) -> int:
    """The ``kotaku-decide`` command: parse, check the bounds table, run, report errors (see
    :func:`kotaku_decide.cli.common.run`)."""
    return run(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
