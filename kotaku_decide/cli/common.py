"""What every command shares: the bounds-table check of its options, ``--lift-limits``, and the one place that
turns an error into a message and an exit code (:func:`run`).

Exit codes: 0 success; 1 the input cannot be used (or the run failed); 2 the command line is wrong (an
option outside its bound, an output that cannot be written); 130 interrupted. An error no check names is
reported in one line, with the traceback saved to a file for a bug report: no input error reaches a user as
a Python traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

from .._version import __version__
from ..data.bounds import BoundError, bounds, check_number
from ..data.io import InputFileError
from ..data.profiles import ProfileError
from ..data.safeyaml import YamlError
from ..data.validate import BaselineError, BaselineWarning
from ..data.writers import OutputError, WriteError

__all__ = ["UsageError", "option_name", "check_bounds", "check_bound", "add_lift_limits", "run"]


class UsageError(ValueError):
    """A command-line mistake found after parsing (exit 2)."""


def option_name(dest: str) -> str:
    """``judgement_steps`` -> ``--judgement-steps``."""
    return "--" + dest.replace("_", "-")


def check_bounds(args) -> None:
    """Check every option of the command that has a row ``cli.<command>.<option>`` in the bounds table.

    Raises :class:`~kotaku_decide.data.bounds.BoundError` naming the option, the value, the bound, its
    reason and (for a limit) the override.
    """
    lifted = bool(getattr(args, "lift_limits", False))
    prefix = f"cli.{args.command}."
    for key, b in bounds().items():
        if not key.startswith(prefix):
            continue
        dest = key[len(prefix):]
        v = getattr(args, dest, None)
        if v is None or isinstance(v, (list, str, Path)):
            continue
        msg = b.problem(v, lifted=lifted)
        if msg:
            raise BoundError(f"{option_name(dest)}: {msg}")


def check_bound(key: str, value, args, label: str) -> None:
    """One bounds-table check inside a command (a derived number, e.g. draws x locations)."""
    check_number(key, value, lifted=bool(getattr(args, "lift_limits", False)), label=label)


def add_lift_limits(subparsers) -> None:
    """Give every command with a size or time limit in the bounds table the explicit override."""
    limited = {k.split(".")[1] for k, b in bounds().items() if k.startswith("cli.") and b.kind == "limit"}
    limited |= {"batch"}  # batch.scenarios
    for name, parser in subparsers.choices.items():
        if name in limited:
            parser.add_argument("--lift-limits", action="store_true",
                                help="run beyond the size and time limits of this command (docs/refusals.md)")


#: (module, exception class) of the errors that mean "the input cannot be used" (exit 1); looked up only in
#: modules already imported, so that the command line does not import the whole package to classify an error
_INPUT_ERRORS = (("kotaku_decide.data.scenario", "ScenarioError"), ("kotaku_decide.allocate.costing", "CostError"),
                 ("kotaku_decide.allocate.funding", "FundingError"), ("kotaku_decide.rank.weights", "RankInputError"),
                 ("kotaku_decide.hearing.batch", "BatchError"), ("kotaku_decide.score.scoring", "ScoringError"))


def _is_input_error(exc: BaseException) -> bool:
    if isinstance(exc, (InputFileError, BaselineError, ProfileError, YamlError, WriteError)):
        return True
    for mod, name in _INPUT_ERRORS:
        cls = getattr(sys.modules.get(mod), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False


def _report_unexpected(exc: BaseException) -> int:
    """An error no check names: one line for the user, the traceback in a file for a bug report."""
    fd, path = tempfile.mkstemp(prefix="kotaku-decide-error-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"kotaku-decide {__version__}\ncommand: {' '.join(map(str, sys.argv))}\n\n")
        fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    first = (str(exc).splitlines() or [""])[0]
    print(f"kotaku-decide: unexpected error: {type(exc).__name__}: {first}", file=sys.stderr)
    print(f"  this is a bug in kotaku-decide unless the message says otherwise; the details are in {path} "
          "(please attach them to a report)", file=sys.stderr)
    return 1


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    print(f"warning: {message}", file=sys.stderr)


_CONTROL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")


class _Printable:
    """A text stream that shows control characters from the data as ``\\x1b`` instead of sending them to
    the terminal (a location named ``\\x1b[2J`` must not clear the screen or fake output); line breaks,
    tabs and carriage returns (progress bars) pass."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        if _CONTROL.search(text):
            text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
        return self._stream.write(text)

    def __getattr__(self, name):  # flush, fileno, isatty, encoding, ...
        return getattr(self._stream, name)


def run(parser: argparse.ArgumentParser, argv=None) -> int:
    """Parse ``argv``, check the options against the bounds table, run the command; every error ends in a
    message and its exit code (module notes). What the command prints cannot drive the terminal."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Printable(out), _Printable(err)
    try:
        return _run(parser, argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(parser: argparse.ArgumentParser, argv=None) -> int:
    args = parser.parse_args(argv)  # argparse reports its own errors (exit 2)
    shown = warnings.showwarning
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BaselineWarning)  # printed by the commands already
            warnings.showwarning = _show_warning  # "warning: ..." without the source line
            check_bounds(args)
            return int(args.func(args) or 0)
    except (UsageError, OutputError, BoundError) as exc:
        print(f"kotaku-decide: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kotaku-decide: interrupted; files already written are complete, nothing half-written was kept",
              file=sys.stderr)
        return 130
    except MemoryError:
        print("kotaku-decide: error: not enough memory for this run; use a smaller input or fewer draws / points",
              file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - classified below; nothing reaches the user as a traceback
        if _is_input_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if isinstance(exc, OSError):
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            print(f"error: cannot use{name}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        return _report_unexpected(exc)
    finally:
        warnings.showwarning = shown
