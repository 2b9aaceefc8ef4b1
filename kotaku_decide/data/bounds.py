"""One table of bounds for every number the toolkit accepts (``config/bounds.csv``).

Each row names a key (a scenario key path such as ``funding.budget_factor``, a baseline column
``baseline.area_ha``, a command-line option ``cli.rank.draws``, ...), the interval of accepted values,
its kind and the reason. ``hard`` bounds always hold: outside them a value has no meaning. ``limit``
bounds guard time and memory: their upper end is lifted explicitly (``lift_limits`` in a scenario file,
``--lift-limits`` on the command line); their lower end always holds. Every number must be finite:
NaN and infinity are refused whatever the range. ``docs/refusals.md`` lists the same table.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Bound", "BoundError", "bounds", "bound", "check_number", "describe_range", "BOUNDS_PATH"]

BOUNDS_PATH = Path(__file__).parent / "config" / "bounds.csv"
_RANGE = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^,\s]+)\s*([\])])\s*$")


class BoundError(ValueError):
    """A number outside its bound (the message names the key, the value, the range and the override)."""


@dataclass(frozen=True)
class Bound:
    """One row of the bounds table.

    Attributes
    ----------
    key : str
        Key path; ``*`` matches any key of a free mapping, ``[]`` every item of a list.
    low, high : float
        Ends of the interval (``-inf`` / ``inf`` = none).
    low_open, high_open : bool
        Whether the end itself is excluded.
    kind : {"hard", "limit"}
    unit, reason : str
    """

    key: str
    low: float
    high: float
    low_open: bool
    high_open: bool
    kind: str
    unit: str
    reason: str

    @property
    def text(self) -> str:
        """The interval as written in the table, e.g. ``(0, 1000]``."""
        return describe_range(self.low, self.high, self.low_open, self.high_open)

    def problem(self, value, lifted: bool = False) -> str | None:
        """Why ``value`` is refused, or None if it is accepted.

        Parameters
        ----------
        value : int or float
        lifted : bool
            The caller lifted this key's limit: the upper end of a ``limit`` row is not applied.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected a number, got {type(value).__name__} {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{value!r} is not a finite number; expected a number in {self.text}"
        unit = f" {self.unit}" if self.unit and self.unit not in ("factor", "share") else ""
        if value < self.low or (self.low_open and value == self.low):
            word = "above" if self.low_open else "at least"
            return f"{value!r} is below the bound; expected {word} {_num(self.low)}{unit} ({self.reason})"
        if value > self.high or (self.high_open and value == self.high):
            if self.kind == "limit" and lifted:
                return None
            word = "below" if self.high_open else "at most"
            msg = f"{value!r} is above the {'limit' if self.kind == 'limit' else 'bound'}; expected {word} " \
                  f"{_num(self.high)}{unit} ({self.reason})"
            if self.kind == "limit":
                msg += f"; {_lift_hint(self.key)}"
            return msg
        return None


def _num(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    return f"{x:g}"


def describe_range(low: float, high: float, low_open: bool, high_open: bool) -> str:
    """``[0, 1000]``-style text of an interval."""
    return f"{'(' if low_open else '['}{_num(low)}, {_num(high)}{')' if high_open else ']'}"


def _lift_hint(key: str) -> str:
    if key.startswith(("cli.", "batch.")):
        return "add --lift-limits to the command to run it anyway"
    return f"to run it anyway, list {key!r} under lift_limits in the scenario file"


def _parse_range(text: str, key: str) -> tuple[float, float, bool, bool]:
    m = _RANGE.match(text)
    if not m:
        raise ValueError(f"{BOUNDS_PATH}: key {key!r}: range {text!r} is not an interval like [0, 1] or (0, inf)")
    lo, hi = float(m.group(2)), float(m.group(3))
    if lo > hi:
        raise ValueError(f"{BOUNDS_PATH}: key {key!r}: range {text!r} has its lower end above its upper end")
    return lo, hi, m.group(1) == "(", m.group(4) == ")"


@lru_cache(maxsize=None)
def bounds(path: str | None = None) -> dict[str, Bound]:
    """The bounds table, keyed by key (``path`` defaults to the package's ``config/bounds.csv``)."""
    import csv

    p = Path(path) if path else BOUNDS_PATH
    out: dict[str, Bound] = {}
    with open(p, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for r in rows:
            if None in r or any(v is None for v in r.values()):
                raise ValueError(f"{p}: row {r!r} does not have the 5 fields key,range,kind,unit,reason "
                                 "(quote a reason that holds a comma)")
            key = r["key"].strip()
            if key in out:
                raise ValueError(f"{p}: key {key!r} is listed twice")
            kind = r["kind"].strip()
            if kind not in ("hard", "limit"):
                raise ValueError(f"{p}: key {key!r}: kind {kind!r} is not hard or limit")
            lo, hi, lo_open, hi_open = _parse_range(r["range"], key)
            out[key] = Bound(key, lo, hi, lo_open, hi_open, kind, r["unit"].strip(), r["reason"].strip())
    return out


def bound(key: str) -> Bound | None:
    """The row for ``key``: an exact match first, then a pattern (``costs.location_factor.*``)."""
    table = bounds()
    if key in table:
        return table[key]
    generic = re.sub(r"\[\d+\]$", "[]", key)
    if generic in table:
        return table[generic]
    for k, b in table.items():
        if "*" in k and fnmatch.fnmatchcase(key, k) and key.count(".") == k.count("."):
            return b
    return None


def check_number(key: str, value, *, lifted: bool = False, label: str | None = None) -> None:
    """Raise :class:`BoundError` if ``value`` is outside the bound of ``key``.

    ``label`` is how the message names the value (default the key), e.g. ``--draws``.
    """
    b = bound(key)
    if b is None:
        raise KeyError(f"no bound for {key!r} in {BOUNDS_PATH}")
    msg = b.problem(value, lifted=lifted)
    if msg:
        raise BoundError(f"{label or key}: {msg}")


_GROUPS = (
    ("Scenario files (keys of `kotaku_decide/data/config/default_scenario.yaml`)",
     lambda k: not k.startswith(("cli.", "batch.", "baseline.", "budget.", "yaml."))),
    ("YAML files (scenario files, scenario sets, a city's profile folder)", lambda k: k.startswith("yaml.")),
    ("Baseline tables (`validate`, `score`, `rank`, every scenario)", lambda k: k.startswith("baseline.")),
    ("Budget tables (`data.budget` of a scenario)", lambda k: k.startswith("budget.")),
    ("Scenario sets (`batch`)", lambda k: k.startswith("batch.")),
    ("Command-line options", lambda k: k.startswith("cli.")),
)


def markdown_table() -> str:
    """The bounds table as Markdown, grouped by where the numbers come from (``docs/refusals.md`` holds it;
    a test checks that it is current)."""
    def override(k: str, b: Bound) -> str:
        if b.kind == "hard":
            return "none (hard)"
        if k.startswith(("cli.", "batch.")):
            return "`--lift-limits`"
        return f"`lift_limits: [{k}]`"

    def name(k: str) -> str:
        if k.startswith("cli.") and k.count(".") == 2:
            _, cmd, opt = k.split(".")
            if opt not in ("draw_cells", "budgets"):
                return f"`{cmd} --{opt.replace('_', '-')}`"
        return f"`{k}`"

    out = []
    for title, keep in _GROUPS:
        out += [f"### {title}", "", "| key | accepted | unit | override of the upper end | why |",
                "|---|---|---|---|---|"]
        out += [f"| {name(k)} | `{b.text}` | {b.unit} | {override(k, b)} | {b.reason} |"
                for k, b in bounds().items() if keep(k)]
        out.append("")
    return "\n".join(out)
