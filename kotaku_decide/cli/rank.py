"""Command-line sub-commands ``ahp`` and ``rank`` (wired into ``kotaku-decide`` by
:func:`register`).

``kotaku-decide ahp PAIRWISE.csv [MORE.csv ...] [--out weights.csv]``
    Weights and consistency ratio from a pairwise matrix over aspects or criteria; several files
    (or one Excel workbook with one sheet per stakeholder) are combined by group AHP. Warns when
    a CR exceeds 0.10 and names the judgements to revise first.

``kotaku-decide rank FILE --method official|wsm|topsis|vikor [--weights W.csv | --ahp P.csv]
[--draws N --seed S] --out OUT.csv``
    Scores the baseline with the regulation, ranks with the method and writes one row per
    location (rank 1 = handle first), with robustness columns when ``--draws`` is given.

Each command function returns an exit status: 0 on success, 1 when an input is not usable (the
message, naming file, row, column and value, goes to stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

# the ranking modules (scipy) are imported when a ranking command runs, not when the parser is built;
# a test checks that this is kotaku_decide.rank.methods.METHODS
METHODS = ("official", "wsm", "topsis", "vikor")

__all__ = ["register", "cmd_ahp", "cmd_rank"]

DEFAULT_REGULATION = "permen-14-2018"


# ----------------------------------------------------------------------------------------------
# wiring
# ----------------------------------------------------------------------------------------------
def register(subparsers) -> None:
    """Add the ``ahp`` and ``rank`` sub-commands to an argparse subparsers object.

    Each parser gets ``func`` (called with the parsed namespace, returns the exit status).
    """
    p = subparsers.add_parser(
        "ahp", help="weights and consistency ratio from AHP pairwise comparisons",
        description="Weights (principal eigenvector) and consistency ratio (Saaty) from a pairwise-"
                    "comparison matrix over aspects or criteria. Several files, or one Excel "
                    "workbook with one sheet per stakeholder, are combined by group AHP "
                    "(element-wise geometric mean).")
    p.add_argument("pairwise", nargs="+", metavar="PAIRWISE",
                   help="CSV or Excel: header = column labels, first column = row labels, cells = "
                        "judgements on the 1-9 scale (3, 1/3); lower triangle may be empty")
    p.add_argument("--out", metavar="WEIGHTS.csv",
                   help="write the (group) weights as aspect,weight or criterion,weight "
                        "(usable as 'rank --weights')")
    p.add_argument("--regulation", default=DEFAULT_REGULATION,
                   help=f"regulation profile whose aspects/criteria label the matrix "
                        f"(default {DEFAULT_REGULATION})")
    p.add_argument("--diagnose", type=int, default=3, metavar="K",
                   help="judgements to name when CR > 0.10 (default 3)")
    p.set_defaults(func=cmd_ahp)

    r = subparsers.add_parser(
        "rank", help="rank locations by the official total, weighted sum, TOPSIS or VIKOR",
        description="Score a baseline with the regulation and rank its locations (rank 1 = handle "
                    "first). With --draws, add SMAA robustness: probability of rank 1 and of the "
                    "top k, median rank and 90 %% interval under uncertain weights.")
    r.add_argument("file", metavar="FILE", help="baseline CSV or Excel (give it before --ahp)")
    r.add_argument("--method", choices=METHODS, default="official",
                   help="ranking method (default official)")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--weights", metavar="W.csv",
                   help="weights file with columns criterion,weight or aspect,weight")
    g.add_argument("--ahp", nargs="+", metavar="PAIRWISE",
                   help="pairwise file(s) to derive the weights by (group) AHP; with --draws the "
                        "judgements are perturbed")
    r.add_argument("--basis", choices=("scores", "shares"), default="scores",
                   help="matrix for wsm/topsis/vikor: official 0/1/3/5 scores (default) or the "
                        "shares in %%")
    r.add_argument("--v", type=float, default=0.5, help="VIKOR weight of group utility (default 0.5)")
    r.add_argument("--draws", type=int, default=0, metavar="N",
                   help="robustness draws (0 = none)")
    r.add_argument("--seed", type=int, default=None, metavar="S", help="random seed for --draws")
    r.add_argument("--top-k", type=int, default=10, metavar="K",
                   help="report the probability of being in the top K (default 10)")
    r.add_argument("--robust-method", choices=("wsm", "topsis"), default=None,
                   help="method inside the robustness simulation (default: topsis if --method "
                        "topsis, else wsm)")
    r.add_argument("--judgement-steps", type=int, default=1, metavar="STEPS",
                   help="with --ahp and --draws: move each judgement by up to STEPS scale steps "
                        "(default 1)")
    r.add_argument("--share-error", type=float, default=None, metavar="SD",
                   help="with --draws and --basis shares: measurement error (standard deviation, "
                        "percentage points) added to every share")
    r.add_argument("--regulation", default=DEFAULT_REGULATION,
                   help=f"regulation profile (default {DEFAULT_REGULATION})")
    r.add_argument("--sheet", default=None, help="Excel sheet of the baseline")
    r.add_argument("--out", required=True, metavar="OUT.csv", help="output .csv or .xlsx")
    r.set_defaults(func=cmd_rank)


# ----------------------------------------------------------------------------------------------
# helpers (kept small so tests can replace the loaders)
# ----------------------------------------------------------------------------------------------
def _load_profile(name: str):
    from kotaku_decide.data.profiles import load_profile

    return load_profile(name)


def _load_scored(path: str, profile, sheet=None) -> pd.DataFrame:
    """Read, validate and score a baseline with the package's own loaders."""
    from kotaku_decide.data.validate import load_baseline
    from kotaku_decide.score.scoring import score_table

    df = load_baseline(path, profile, sheet=sheet)
    return score_table(df, profile)


def _input_errors() -> tuple[type, ...]:
    from ..rank.weights import RankInputError

    errs: list[type] = [RankInputError]
    for mod, name in (("kotaku_decide.data.io", "InputFileError"), ("kotaku_decide.data.validate", "BaselineError"),
                      ("kotaku_decide.data.profiles", "ProfileError"), ("kotaku_decide.score.scoring", "ScoringError")):
        try:
            module = __import__(mod, fromlist=[name])
            errs.append(getattr(module, name))
        except (ImportError, AttributeError):
            pass
    return tuple(errs)


def _write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write through the package's one writer (atomic, text cells escaped against formulas)."""
    from ..data.writers import write_table
    from ..rank.weights import RankInputError

    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise RankInputError(f"{path}: output must end in .csv or .xlsx")
    write_table(df, path)


def _check_out(path, inputs) -> None:
    from ..data.writers import check_output

    check_output(path, inputs=[i for i in inputs if i], suffixes=(".csv", ".xlsx"))


# ----------------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------------
def cmd_ahp(args: argparse.Namespace) -> int:
    """``kotaku-decide ahp``: print weights and CR; optionally write the weights file."""
    from ..data.writers import OutputError
    from ..rank.api import derive_ahp
    from ..rank.weights import criteria_frame

    if args.out:
        try:
            _check_out(args.out, args.pairwise)
        except OutputError as exc:
            print(f"kotaku-decide: error: {exc}", file=sys.stderr)
            return 2
    try:
        profile = _load_profile(args.regulation)
        crit = criteria_frame(profile)
        result, group, level, _ = derive_ahp(args.pairwise, crit, diagnose=args.diagnose)
        if args.out:
            df = pd.DataFrame({level: list(result.labels), "weight": result.weights})
            if group is not None:
                for name, r in group.members.items():
                    df[f"weight_{name}"] = r.weights
            _write_table(df, args.out)
            print(f"wrote {args.out}")
    except _input_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    """``kotaku-decide rank``: score, rank, optionally SMAA, write OUT.

    Exit 1 when an input cannot be used, 2 when the command line is wrong (an option out of its bound,
    an output that cannot be written), as every command."""
    from ..data.bounds import BoundError
    from ..data.writers import OutputError
    from .common import UsageError

    try:
        return _cmd_rank(args)
    except (UsageError, BoundError, OutputError) as exc:
        print(f"kotaku-decide: error: {exc}", file=sys.stderr)
        return 2
    except _input_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _cmd_rank(args) -> int:
    from ..rank.api import rank_locations
    from ..rank.weights import RankInputError
    from .common import UsageError, check_bound

    _check_out(args.out, [args.file, args.weights, *(args.ahp or [])])
    if args.share_error is not None and args.basis != "shares":
        raise UsageError("--share-error perturbs shares: use it with --basis shares")
    profile = _load_profile(args.regulation)
    scored = _load_scored(args.file, profile, sheet=args.sheet)
    if len(scored) == 0:
        raise RankInputError(f"{args.file}: no locations to rank")
    # the robustness ranks take draws x locations cells: refused before the draws start
    check_bound("cli.rank.draw_cells", args.draws * len(scored), args,
                f"--draws {args.draws} over {len(scored):,} locations ({args.draws * len(scored):,} ranks)")
    out, notes = rank_locations(scored, profile, args.method, weights_file=args.weights, ahp_files=args.ahp,
                                basis=args.basis, v=args.v, draws=args.draws, seed=args.seed, top_k=args.top_k,
                                robust_method=args.robust_method, judgement_steps=args.judgement_steps,
                                share_error=args.share_error)
    _write_table(out, args.out)
    for n in notes:
        print(n)
    show = [c for c in ("location_id", "name", "score", "rank", "official_rank", "p_first",
                        f"p_top_{args.top_k}", "rank_median", "rank_p05", "rank_p95") if c in out.columns]
    print(out[show].head(10).to_string(index=False))
    print(f"wrote {args.out} ({len(out)} locations)")
    return 0
