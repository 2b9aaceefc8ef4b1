"""Reading baseline tables (CSV and Excel) into the data contract's column names.

The reader only maps headers and keeps every cell as text, so that validation can report the
exact value a planner typed, with its file, row and column. Conversion to numbers happens in
:mod:`kotaku_decide.data.validate`.

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
        ``.csv`` (UTF-8; comma-separated, or semicolon / tab when the header row holds no comma, as
        Excel writes CSV in an Indonesian locale; leading lines starting with ``#`` are comments)
        or ``.xlsx`` (the sheet named ``baseline`` if there is one, else the first sheet).
    sheet : str or int, optional
        Excel sheet to read instead (a name, or a 0-based position).

    Returns
    -------
    DataFrame
        All cells as text (``None`` where empty), headers renamed to contract names, indexed so
        that ``index + attrs['first_row']`` is the spreadsheet row (blank lines count). ``attrs``
        hold ``source`` (the path), ``first_row``, ``headers`` (canonical name -> header as
        written), ``duplicate_headers`` (canonical name -> every header written for it),
        ``comments`` (leading ``#`` lines of a CSV, or an Excel sheet named ``about``),
        ``delimiter`` and ``percent_cells`` (column -> count of Excel cells formatted as percent;
        in ``pct_`` columns their value is read as displayed, 0.8 shown as 80 % giving 80).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    suffix = path.suffix.lower()
    comments: list[str] = []
    percent: dict[int, int] = {}
    delimiter = ","
    if suffix == ".csv":
        grid, comments, delimiter = _read_csv_grid(path)
        header_row = len(comments) + 1
    elif suffix in (".xlsx", ".xlsm"):
        grid, comments, percent = _read_xlsx_grid(path, sheet)
        header_row = 1
    else:
        raise InputFileError(f"{path}: unsupported file type {suffix!r}; expected .csv or .xlsx")
    if not grid or all(v is None for v in grid[0]):
        raise InputFileError(f"{path}: the file is empty; expected a header row and one row per location")
    header = grid[0]
    width = max(len(r) for r in grid)
    for i, r in enumerate(grid[1:], start=header_row + 1):
        extra = [v for v in r[len(header):] if v is not None]
        if extra:
            raise InputFileError(f"{path}: row {i} has {len(r)} cells but the header (row {header_row}) has "
                                 f"{len(header)}: found {extra[0]!r} beyond the last header; expected one value per header")
    keep = [j for j, h in enumerate(header) if h is not None]
    headers: dict[str, str] = {}
    written: dict[str, list[str]] = {}
    cols = []
    for j in keep:
        c = _canonical(header[j])
        written.setdefault(c, []).append(str(header[j]))
        if c in headers:
            c = f"{c}__dup{len(written[c]) - 1}"
        else:
            headers[c] = str(header[j])
        cols.append(c)
    body = [[(r[j] if j < len(r) else None) for j in keep] for r in grid[1:]]
    df = pd.DataFrame(body, columns=cols, dtype=object)
    # data in columns without a header
    for j in set(range(width)) - set(keep):
        vals = [r[j] for r in grid[1:] if j < len(r) and r[j] is not None]
        if vals:
            raise InputFileError(f"{path}: column {j + 1} has values (e.g. {vals[0]!r}) but no header in row {header_row}")
    empty = df.isna().all(axis=1)
    df = df.loc[~empty]  # blank rows are skipped; the index keeps every other row's spreadsheet position
    pct_cells = {}
    for j, n in percent.items():
        if j in keep:
            pct_cells[cols[keep.index(j)]] = n
    for c in pct_cells:
        if CRITERION_COLUMN.match(c) and c.startswith("pct_"):
            df[c] = df[c].map(lambda v: None if v is None else _fmt_number(float(v) * 100) if _is_number(v) else v)
    df.attrs.update(source=str(path), first_row=header_row + 1, headers=headers,
                    duplicate_headers={c: w for c, w in written.items() if len(w) > 1}, comments=comments,
                    delimiter=delimiter, percent_cells=pct_cells)
    return df


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _fmt_number(v: float) -> str:
    v = round(v, 10) + 0.0  # 0.8 * 100 = 80.00000000000001; -0.0 -> 0.0
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)


def _read_csv_grid(path: Path) -> tuple[list[list], list[str], str]:
    import csv

    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            lines = fh.read().splitlines()
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as "
                             "'CSV UTF-8' or as .xlsx") from None
    comments = []
    for line in lines:
        # a comment line starts with '#' and is not a header whose first column is named '#'
        if line.startswith("#") and line[1:2] not in (",", ";", "\t"):
            comments.append(line[1:].strip())
        else:
            break
    rest = lines[len(comments):]
    head = rest[0] if rest else ""
    delimiter = ","
    if "," not in head and (";" in head or "\t" in head):
        delimiter = ";" if head.count(";") >= head.count("\t") else "\t"
    grid = []
    for row in csv.reader(rest, delimiter=delimiter):
        grid.append([None if v.strip() == "" else v.strip() for v in row])
    return grid, comments, delimiter


def _read_xlsx_grid(path: Path, sheet) -> tuple[list[list], list[str], dict[int, int]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken file
        raise InputFileError(f"{path}: cannot be opened as an Excel workbook ({exc})") from None
    names = wb.sheetnames
    if sheet is None:
        sheet = "baseline" if "baseline" in names else names[0]
    elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        if int(sheet) >= len(names):
            raise InputFileError(f"{path}: no sheet number {sheet} (0-based); the workbook has {names}")
        sheet = names[int(sheet)]
    elif sheet not in names:
        raise InputFileError(f"{path}: no sheet named {sheet!r}; the workbook has {names}")
    ws = wb[sheet]
    grid, percent = [], {}
    for r, row in enumerate(ws.iter_rows()):
        out = []
        for j, cell in enumerate(row):
            v = cell.value
            if r > 0 and isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (cell.number_format or ""):
                percent[j] = percent.get(j, 0) + 1
            out.append(_excel_cell_to_text(v))
        grid.append(out)
    comments = []
    if "about" in names and sheet != "about":
        for row in wb["about"].iter_rows(values_only=True):
            text = " ".join(str(v) for v in row if isinstance(v, str))
            if text:
                comments.append(text)
    wb.close()
    while grid and all(v is None for v in grid[-1]):
        grid.pop()
    return grid, comments, percent


def _excel_cell_to_text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if v != v:  # NaN
            return None
        return _fmt_number(float(v)) if isinstance(v, float) else str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    v = str(v).strip()
    return v or None
