"""Reading baseline tables (CSV and Excel) into the data contract's column names.

The reader only maps headers and keeps every cell as text, so that validation can report the
exact value a planner typed, with its file, row and column. Conversion to numbers happens in
:mod:`kotaku_decide.validate`.

Row numbers are spreadsheet rows: the header is row 1 (after any leading ``#`` comment lines in a
CSV, which are counted), so the first data row is row 2.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = ["read_table", "contract_columns", "aliases", "normalise_header", "InputFileError", "CRITERION_COLUMN"]

_SCHEMA = Path(__file__).parent / "schema"
CRITERION_COLUMN = re.compile(r"^(vol|pct)_(.+)$")


class InputFileError(ValueError):
    """The input file cannot be read at all (missing, wrong format, empty)."""


@lru_cache(maxsize=1)
def contract_columns() -> pd.DataFrame:
    """The data contract (``schema/columns.csv``): column, kind, unit, required, description."""
    return pd.read_csv(_SCHEMA / "columns.csv", dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def aliases() -> dict:
    """Header aliases (``schema/aliases.csv``), keyed by normalised alias."""
    t = pd.read_csv(_SCHEMA / "aliases.csv", dtype=str, keep_default_na=False)
    return {normalise_header(a): c for a, c in zip(t["alias"], t["column"])}


def normalise_header(h: object) -> str:
    """Lower-case, trim, read underscores as spaces, and fold runs of white space to one space."""
    return re.sub(r"\s+", " ", str(h).strip().lower().replace("_", " ")).strip()


def _canonical(h: str) -> str:
    n = normalise_header(h)
    known = set(contract_columns()["column"])
    underscored = n.replace(" ", "_")
    if underscored in known or CRITERION_COLUMN.match(underscored):
        return underscored
    return aliases().get(n, str(h).strip())


def read_table(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a baseline table from CSV or Excel (.xlsx), mapping headers to the data contract.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (UTF-8, comma-separated; leading lines starting with ``#`` are kept as comments)
        or ``.xlsx`` (the sheet named ``baseline`` if there is one, else the first sheet).
    sheet : str or int, optional
        Excel sheet to read instead.

    Returns
    -------
    DataFrame
        All cells as text (``None`` where empty), headers renamed to contract names. ``attrs``
        hold ``source`` (the path), ``first_row`` (spreadsheet row of the first data row),
        ``headers`` (canonical name -> header as written), ``duplicate_headers`` (canonical names
        written more than once) and ``comments`` (leading ``#`` lines of a CSV).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    suffix = path.suffix.lower()
    comments: list[str] = []
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                if line.startswith("#"):
                    comments.append(line[1:].strip())
                else:
                    break
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skiprows=len(comments), encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            raise InputFileError(f"{path}: the file is empty; expected a header row and one row per location") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: cannot be read as a UTF-8 comma-separated table ({exc})") from None
        first_row = len(comments) + 2
    elif suffix in (".xlsx", ".xlsm"):
        try:
            xl = pd.ExcelFile(path, engine="openpyxl")
        except Exception as exc:  # openpyxl raises several types for a broken file
            raise InputFileError(f"{path}: cannot be opened as an Excel workbook ({exc})") from None
        if sheet is None:
            sheet = "baseline" if "baseline" in xl.sheet_names else xl.sheet_names[0]
        elif sheet not in xl.sheet_names and not isinstance(sheet, int):
            raise InputFileError(f"{path}: no sheet named {sheet!r}; the workbook has {xl.sheet_names}")
        raw = pd.read_excel(xl, sheet_name=sheet, dtype=object)
        raw = raw.map(_excel_cell_to_text)
        first_row = 2
        if "about" in xl.sheet_names:
            about = pd.read_excel(xl, sheet_name="about", header=None, dtype=str)
            comments = [" ".join(str(v) for v in r if isinstance(v, str)) for r in about.itertuples(index=False)]
    else:
        raise InputFileError(f"{path}: unsupported file type {suffix!r}; expected .csv or .xlsx")

    raw = raw.loc[:, [not str(c).startswith("Unnamed:") or raw[c].astype(bool).any() for c in raw.columns]]
    headers: dict[str, str] = {}
    dup: list[str] = []
    new_cols = []
    for h in raw.columns:
        c = _canonical(h)
        if c in headers:
            dup.append(c)
            c = f"{c}__dup{len(dup)}"
        else:
            headers[c] = str(h)
        new_cols.append(c)
    raw.columns = new_cols
    df = raw.map(lambda v: None if v is None or (isinstance(v, str) and v.strip() == "") else str(v).strip())
    # drop rows that are entirely empty (trailing blank lines in spreadsheets), keeping row numbers
    empty = df.isna().all(axis=1)
    df = df.loc[~empty]
    df.attrs.update(source=str(path), first_row=first_row, headers=headers, duplicate_headers=dup, comments=comments)
    return df


def _excel_cell_to_text(v):
    if v is None:
        return None
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        return repr(v) if not v.is_integer() else str(int(v)) if abs(v) < 1e15 else repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
