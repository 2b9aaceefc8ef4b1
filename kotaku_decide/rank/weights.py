"""Criterion weights: the official equal weights, custom weights per criterion or per aspect,
and weights files.

A weight vector is always a :class:`pandas.Series` indexed by criterion code, in the order of
the regulation profile, non-negative and summing to 1. Weights given per aspect are spread
equally over the aspect's criteria (an aspect with three criteria passes a third of its weight
to each).

The functions take the profile's criteria table (``profile.criteria``, or any DataFrame with
``code`` and ``aspect`` columns) or the profile itself.
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "RankInputError",
    "parse_number",
    "criteria_frame",
    "equal_weights",
    "normalise_weights",
    "criterion_weights",
    "aspect_weights",
    "aspect_matrix",
    "WeightSet",
    "read_weights",
    "read_any_table",
]


class RankInputError(ValueError):
    """An input to the ranking tools (weights, pairwise matrix, options) is not usable.

    The message names the file, row, column and value concerned and what was expected.
    """


# ----------------------------------------------------------------------------------------------
# small parsing helpers
# ----------------------------------------------------------------------------------------------
_FRACTION = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*/\s*(\d+(?:[.,]\d+)?)\s*$")


def parse_number(value: object) -> float:
    """Parse a number as planners write it in spreadsheets.

    Accepts numbers, numeric text (``"0.25"``), a decimal comma (``"0,25"``, when the text has a
    single comma and no point) and fractions (``"1/3"``, ``"1 / 3"``).

    Returns
    -------
    float
        ``nan`` for an empty cell (``None``, ``""``, NaN).

    Raises
    ------
    ValueError
        If the text is not a number or fraction (the caller adds file, row and column).
    """
    if value is None:
        return math.nan
    if isinstance(value, (bool, np.bool_)):
        raise ValueError("a yes/no value is not a number")
    if isinstance(value, (datetime.date, datetime.time, np.datetime64)):
        raise ValueError("the spreadsheet stored it as a date (Excel turns a typed 1/3 into a "
                         "date); format the cells as Text, or type 0.333 or =1/3")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = str(value).strip()
    if text == "" or text.lower() in {"nan", "none"}:
        return math.nan
    m = _FRACTION.match(text)
    if m:
        num = float(m.group(1).replace(",", "."))
        den = float(m.group(2).replace(",", "."))
        if den == 0:
            raise ValueError("division by zero")
        return num / den
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise ValueError("not a number or fraction") from None


def read_any_table(path: str | Path, *, header: int | None = 0, sheet: str | int | None = 0) -> pd.DataFrame:
    """Read a small CSV or Excel table with every cell as text (``None`` where empty).

    CSV separators ``,`` ``;`` and tab are detected (spreadsheets in Indonesian locale export
    with ``;``). Excel: ``.xlsx``/``.xlsm``/``.xls``, the given sheet (default the first).
    """
    path = Path(path)
    if not path.exists():
        raise RankInputError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(path, sheet_name=sheet, header=header, dtype=object)
        else:
            df = pd.read_csv(path, sep=None, engine="python", header=header, dtype=str,
                             keep_default_na=False, skipinitialspace=True, comment=None,
                             encoding="utf-8-sig")
    except RankInputError:
        raise
    except Exception as exc:  # pandas raises many types; report them uniformly
        raise RankInputError(f"{path}: cannot read the table ({exc})") from exc
    df = df.astype(object).where(pd.notna(df), None)
    df = df.map(lambda v: None if (isinstance(v, str) and v.strip() == "") else v)
    if header is not None:
        df.columns = [str(c).strip() for c in df.columns]
    return df


# ----------------------------------------------------------------------------------------------
# criteria
# ----------------------------------------------------------------------------------------------
def criteria_frame(criteria) -> pd.DataFrame:
    """Return the ``code, aspect`` table from a Profile, its ``criteria`` DataFrame or a sequence
    of codes (each code then forms its own aspect)."""
    if hasattr(criteria, "criteria") and isinstance(criteria.criteria, pd.DataFrame):
        criteria = criteria.criteria
    if isinstance(criteria, pd.DataFrame):
        missing = {"code", "aspect"} - set(criteria.columns)
        if missing:
            raise RankInputError(f"criteria table lacks columns {sorted(missing)}")
        out = criteria[["code", "aspect"]].astype(str).reset_index(drop=True)
    else:
        codes = [str(c) for c in criteria]
        out = pd.DataFrame({"code": codes, "aspect": codes})
    if out["code"].duplicated().any():
        dup = out.loc[out["code"].duplicated(), "code"].tolist()
        raise RankInputError(f"criteria table repeats codes {dup}")
    return out


def equal_weights(criteria) -> pd.Series:
    """The official weighting: every criterion weighs ``1/n``.

    With these weights the weighted sum of the 0/1/3/5 scores is the official total divided by
    ``n``, so it orders locations exactly as the official total does.
    """
    codes = criteria_frame(criteria)["code"].tolist()
    return pd.Series(np.full(len(codes), 1.0 / len(codes)), index=pd.Index(codes, name="criterion"),
                     name="weight")


def normalise_weights(values, *, what: str = "weights") -> np.ndarray:
    """Check weights (finite, non-negative, not all zero) and scale them to sum to 1.

    Raises
    ------
    RankInputError
        Naming the first offending position and value.
    """
    w = np.asarray(values, dtype=float).ravel()
    if w.size == 0:
        raise RankInputError(f"{what}: no weights given")
    bad = ~np.isfinite(w)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RankInputError(f"{what}: weight {i + 1} is {w[i]!r}; expected a finite number >= 0")
    neg = w < 0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise RankInputError(f"{what}: weight {i + 1} is {w[i]:g}; expected a number >= 0")
    total = w.sum()
    if total <= 0:
        raise RankInputError(f"{what}: all weights are zero; at least one must be positive")
    return w / total


def _match_labels(given: Iterable[str], known: Iterable[str]) -> dict[str, str]:
    """Map given labels to known labels, case- and space-insensitively."""
    lookup = {str(k).strip().lower(): str(k) for k in known}
    return {g: lookup.get(str(g).strip().lower()) for g in given}


def criterion_weights(weights: Mapping[str, float] | pd.Series, criteria) -> pd.Series:
    """Weights given per criterion code, checked and normalised to sum 1.

    Every criterion of the profile must be given (give 0 explicitly to leave one out); codes
    are matched ignoring case and surrounding spaces.
    """
    crit = criteria_frame(criteria)
    codes = crit["code"].tolist()
    weights = dict(weights)
    mapping = _match_labels(weights, codes)
    unknown = [g for g, k in mapping.items() if k is None]
    if unknown:
        raise RankInputError(f"unknown criterion codes {unknown}; expected codes among {codes}")
    got = {mapping[g]: float(v) for g, v in weights.items()}
    missing = [c for c in codes if c not in got]
    if missing:
        raise RankInputError(f"no weight for criteria {missing}; give every criterion a weight "
                             f"(0 to leave one out)")
    w = normalise_weights([got[c] for c in codes], what="criterion weights")
    return pd.Series(w, index=pd.Index(codes, name="criterion"), name="weight")


def aspect_matrix(criteria) -> tuple[tuple[str, ...], np.ndarray]:
    """The ``(n_aspects, n_criteria)`` matrix that spreads aspect weights over criteria.

    Row ``a`` holds ``1/k_a`` in the columns of the ``k_a`` criteria of aspect ``a`` and 0
    elsewhere, so ``criterion_w = aspect_w @ M``. Aspects are in order of first appearance.
    """
    crit = criteria_frame(criteria)
    aspects = tuple(dict.fromkeys(crit["aspect"]))
    m = np.zeros((len(aspects), len(crit)))
    for a_i, a in enumerate(aspects):
        cols = (crit["aspect"] == a).to_numpy()
        m[a_i, cols] = 1.0 / cols.sum()
    return aspects, m


def aspect_weights(weights: Mapping[str, float] | pd.Series, criteria) -> pd.Series:
    """Criterion weights from weights given per aspect (spread equally over each aspect's criteria).

    Every aspect must be given; the aspect weights are normalised to sum 1 first.
    """
    crit = criteria_frame(criteria)
    aspects, m = aspect_matrix(crit)
    weights = dict(weights)
    mapping = _match_labels(weights, aspects)
    unknown = [g for g, k in mapping.items() if k is None]
    if unknown:
        raise RankInputError(f"unknown aspects {unknown}; expected aspects among {list(aspects)}")
    got = {mapping[g]: float(v) for g, v in weights.items()}
    missing = [a for a in aspects if a not in got]
    if missing:
        raise RankInputError(f"no weight for aspects {missing}; give every aspect a weight "
                             f"(0 to leave one out)")
    wa = normalise_weights([got[a] for a in aspects], what="aspect weights")
    return pd.Series(wa @ m, index=pd.Index(crit["code"].tolist(), name="criterion"), name="weight")


# ----------------------------------------------------------------------------------------------
# weights files
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightSet:
    """Weights read from a file.

    Attributes
    ----------
    weights : Series
        Criterion weights (index = codes in profile order), summing to 1.
    level : str
        ``"criterion"`` or ``"aspect"`` (how the file gave them).
    given : Series
        The weights as written in the file, by label.
    note : str
        What was done to them (normalisation), for printing.
    source : str
    """

    weights: pd.Series
    level: str
    given: pd.Series
    note: str
    source: str


def read_weights(path: str | Path, criteria, *, sheet: str | int | None = 0) -> WeightSet:
    """Read a weights file with columns ``criterion,weight`` or ``aspect,weight``.

    Parameters
    ----------
    path : str or Path
        CSV (``,`` ``;`` or tab separated) or Excel. Other columns are ignored. Weights may be
        written as numbers, with a decimal comma, or as fractions (``1/3``).
    criteria : Profile or DataFrame
        The regulation's criteria (``code``, ``aspect``).

    Returns
    -------
    WeightSet
        Criterion weights normalised to sum 1; ``note`` states the sum found in the file.

    Raises
    ------
    RankInputError
        Naming file, row, column, value and what was expected: unknown labels, repeated labels,
        missing labels, non-numeric, negative or all-zero weights.
    """
    path = Path(path)
    crit = criteria_frame(criteria)
    df = read_any_table(path, sheet=sheet)
    cols = {c.lower(): c for c in df.columns}
    if "weight" not in cols or not ({"criterion", "aspect"} & set(cols)):
        raise RankInputError(f"{path}: expected a header with columns 'criterion,weight' or "
                             f"'aspect,weight'; found {list(df.columns)}")
    if "criterion" in cols and "aspect" in cols:
        raise RankInputError(f"{path}: give either a 'criterion' or an 'aspect' column, not both")
    level = "criterion" if "criterion" in cols else "aspect"
    label_col, weight_col = cols[level], cols["weight"]
    known = crit["code"].tolist() if level == "criterion" else list(dict.fromkeys(crit["aspect"]))
    lookup = {k.lower(): k for k in known}
    given: dict[str, float] = {}
    first_row: dict[str, int] = {}
    for i, (lab, val) in enumerate(zip(df[label_col], df[weight_col])):
        row = i + 2  # spreadsheet row: header is row 1
        if lab is None and val is None:
            continue
        where = f"{path}: row {row}"
        if lab is None:
            raise RankInputError(f"{where}, column '{label_col}': empty; expected a {level} label "
                                 f"among {known}")
        key = lookup.get(str(lab).strip().lower())
        if key is None:
            raise RankInputError(f"{where}, column '{label_col}': unknown {level} '{lab}'; "
                                 f"expected one of {known}")
        if key in given:
            raise RankInputError(f"{where}, column '{label_col}': {level} '{lab}' repeats row "
                                 f"{first_row[key]}; give each {level} once")
        try:
            w = parse_number(val)
        except ValueError as exc:
            raise RankInputError(f"{where}, column '{weight_col}': value '{val}' is not a number "
                                 f"({exc}); expected a number >= 0 such as 0.25 or 1/4") from None
        if math.isnan(w):
            raise RankInputError(f"{where}, column '{weight_col}': empty; expected a number >= 0")
        if not math.isfinite(w) or w < 0:
            raise RankInputError(f"{where}, column '{weight_col}': value '{val}'; expected a "
                                 f"finite number >= 0")
        given[key] = w
        first_row[key] = row
    missing = [k for k in known if k not in given]
    if missing:
        raise RankInputError(f"{path}: no row for {level} {missing}; give every {level} a weight "
                             f"(0 to leave one out)")
    total = sum(given.values())
    if total <= 0:
        raise RankInputError(f"{path}, column '{weight_col}': all weights are zero; at least one "
                             f"must be positive")
    weights = criterion_weights(given, crit) if level == "criterion" else aspect_weights(given, crit)
    if abs(total - 1.0) <= 1e-9:
        note = f"{level} weights from {path.name} sum to 1"
    else:
        note = f"{level} weights from {path.name} sum to {total:g}; normalised to sum to 1"
    if level == "aspect":
        note += "; each aspect's weight is spread equally over its criteria"
    return WeightSet(weights=weights, level=level,
                     given=pd.Series([given[k] for k in known], index=known, name="weight"),
                     note=note, source=str(path))
