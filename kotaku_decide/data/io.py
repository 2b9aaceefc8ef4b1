"""Reading baseline tables (CSV and Excel) into the data contract's column names.

The reader only maps headers and keeps every cell as text, so that validation can report the
exact value a planner typed, with its file, row and column. Conversion to numbers happens in
:mod:`kotaku_decide.data.validate`.

Row numbers are spreadsheet rows: the header is row 1 (after any leading ``#`` comment lines in a
CSV, which are counted), so the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
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
        ``delimiter``, ``percent_cells`` (column -> count of Excel cells formatted as percent) and
        ``percent_rows`` (column -> their spreadsheet rows).

    Notes
    -----
    Conversion is per cell, never per column: in a ``pct_`` column only the Excel cells formatted as
    percent are read as displayed (a cell showing 80 % stores 0.8 and gives 80); a plain number in
    the same column is read as written (1 stays 1 %). A text cell written by this toolkit with a
    leading quote against formula injection (``'=x``, see :mod:`kotaku_decide.data.writers`) is read
    without that quote.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; expected a .csv or .xlsx file")
    suffix = path.suffix.lower()
    comments: list[str] = []
    percent: dict[int, list[int]] = {}
    delimiter = ","
    if suffix == ".csv":
        header, body, comments, delimiter = _read_csv(path)
        header_row = len(comments) + 1
    elif suffix in (".xlsx", ".xlsm"):
        header, body, comments, percent = _read_xlsx(path, sheet)
        header_row = 1
    else:
        raise InputFileError(f"{path}: unsupported file type {suffix!r}; expected .csv or .xlsx")
    if not header or all(v is None for v in header):
        raise InputFileError(f"{path}: the file is empty; expected a header row and one row per location")
    width, n = len(body), max((len(c) for c in body), default=0)

    def first_filled(col):
        return next((i for i, v in enumerate(col) if v is not None), None)

    # values beyond the last header (row longer than the header)
    for j in range(len(header), width):
        i = first_filled(body[j])
        if i is not None:
            cells = 1 + max(k for k in range(width) if i < len(body[k]) and body[k][i] is not None)
            raise InputFileError(f"{path}: row {header_row + 1 + i} has {cells} cells but the header "
                                 f"(row {header_row}) has {len(header)}: found {body[j][i]!r} beyond the last "
                                 "header; expected one value per header")
    keep = [j for j, h in enumerate(header) if h is not None]
    for j in sorted(set(range(min(width, len(header)))) - set(keep)):  # data in columns without a header
        i = first_filled(body[j])
        if i is not None:
            raise InputFileError(f"{path}: column {j + 1} has values (e.g. {body[j][i]!r} on row "
                                 f"{header_row + 1 + i}) but no header in row {header_row}")
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
    data = [(body[j] + [None] * (n - len(body[j]))) if j < width else [None] * n for j in keep]
    pct_cells, pct_rows = {}, {}
    for j, rows in percent.items():
        if j in keep:
            k = keep.index(j)
            c = cols[k]
            pct_cells[c] = len(rows)
            pct_rows[c] = [header_row + 1 + i for i in rows]
            if CRITERION_COLUMN.match(c) and c.startswith("pct_"):
                # only the percent-formatted cells are read as displayed; the others as written
                for i in rows:
                    if _is_number(data[k][i]):
                        data[k][i] = _fmt_number(float(data[k][i]) * 100)
    # blank rows are skipped; the index keeps every other row's spreadsheet position. A blank row has None in
    # every column: only the None positions of the column with the fewest are candidates (list.count is C speed)
    keep_rows = None
    if data:
        fewest = min(data, key=lambda col: col.count(None))
        if fewest.count(None):
            blank = [i for i, v in enumerate(fewest) if v is None and all(col[i] is None for col in data)]
            if blank:
                keep_rows = np.setdiff1d(np.arange(n), blank)
    df = pd.DataFrame(dict(zip(cols, data)), index=pd.RangeIndex(n), dtype=object) if cols else \
        pd.DataFrame(index=pd.RangeIndex(n))
    if keep_rows is not None:
        df = df.iloc[keep_rows]
    df.attrs.update(source=str(path), first_row=header_row + 1, headers=headers,
                    duplicate_headers={c: w for c, w in written.items() if len(w) > 1}, comments=comments,
                    delimiter=delimiter, percent_cells=pct_cells, percent_rows=pct_rows)
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


_QUOTED_FORMULA = re.compile(r"^'[=+\-@\t\r]")


def _clean_column(values) -> list:
    """Cells of one column as text: trimmed, None where empty, a writer's formula quote removed.

    The tests run once over the joined column (C speed); the per-cell work is done only where needed.
    """
    from .writers import edge_space

    try:
        joined = "\x00".join(values)  # raises if a cell is not text (None from a short row or an Excel cell)
    except TypeError:
        joined = None
    if joined is not None:
        if joined.count("\x00") != len(values) - 1 or edge_space(joined):
            out = [v.strip() or None for v in values]
        elif joined.startswith("\x00") or joined.endswith("\x00") or "\x00\x00" in joined or joined == "":
            out = [v or None for v in values]  # some cells are empty
        else:
            out = list(values)
    else:
        out = [(v.strip() or None) if type(v) is str else None for v in values]
        joined = "\x00".join(v for v in out if v is not None)
    if joined.startswith("'") or "\x00'" in joined:
        out = [v[1:] if v is not None and _QUOTED_FORMULA.match(v) else v for v in out]
    return out


def _frame(rows: list[list], width: int) -> list[list]:
    """Rows of cells (ragged) as ``width`` columns of equal length."""
    return [[(r[j] if j < len(r) else None) for r in rows] for j in range(width)]


def _read_csv(path: Path) -> tuple[list, list[list], list[str], str]:
    """Header cells, body (one list per column), leading comments, delimiter."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as "
                             "'CSV UTF-8' or as .xlsx") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputFileError(f"{path}: line {line} holds a NUL character; expected a text CSV (is it another kind of "
                             "file renamed to .csv?)")
    comments, pos = [], 0
    for m in re.finditer(r"([^\r\n]*)(\r\n|\r|\n|$)", text):
        line = m.group(1)
        # a comment line starts with '#' and is not a header whose first column is named '#'
        if line.startswith("#") and line[1:2] not in (",", ";", "\t") and m.group(0):
            comments.append(line[1:].strip())
            pos = m.end()
        else:
            break
    rest = text[pos:]
    head = re.match(r"[^\r\n]*", rest).group(0)
    delimiter = ","
    if "," not in head and (";" in head or "\t" in head):
        delimiter = ";" if head.count(";") >= head.count("\t") else "\t"
    if not rest.strip():
        return [], [], comments, delimiter
    try:
        raw = pd.read_csv(io.StringIO(rest), sep=delimiter, header=None, dtype=object, keep_default_na=False,
                          na_filter=False, skip_blank_lines=False, engine="c", quoting=csv.QUOTE_MINIMAL,
                          index_col=False)
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            row = re.search(r"row (\d+)", str(exc))
            where = f" (a quote opened on row {int(row.group(1)) + len(comments) + 1} is never closed)" if row else ""
            raise InputFileError(f"{path}: unbalanced double quote{where}; expected every quoted cell to end with "
                                 "a closing quote") from None
        return _read_csv_rows(path, rest, comments, delimiter)  # rows longer than the header: exact message
    columns = [raw[j].tolist() for j in raw.columns]
    del raw
    header = _clean_column([c[0] for c in columns])
    body = [_clean_column(c[1:]) for c in columns]
    return header, body, comments, delimiter


def _read_csv_rows(path: Path, rest: str, comments: list, delimiter: str) -> tuple[list, list[list], list, str]:
    """Slow, exact path for irregular files (rows of different lengths): the csv module."""
    try:
        grid = [_clean_column(row) for row in csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputFileError(f"{path}: not a readable CSV ({exc})") from None
    if not grid:
        return [], [], comments, delimiter
    width = max(len(r) for r in grid)
    return grid[0], _frame(grid[1:], width), comments, delimiter


def _read_xlsx(path: Path, sheet) -> tuple[list, list[list], list[str], dict[int, list[int]]]:
    """Header cells, body, the 'about' sheet's lines, and the percent-formatted cells (column -> body rows)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken file
        raise InputFileError(f"{path}: cannot be opened as an Excel workbook ({exc})") from None
    try:
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
                v = getattr(cell, "value", None)
                if r > 0 and isinstance(v, (int, float)) and not isinstance(v, bool) \
                        and "%" in (getattr(cell, "number_format", None) or ""):
                    percent.setdefault(j, []).append(r - 1)
                out.append(_excel_cell_to_text(v))
            grid.append(out)
        comments = []
        if "about" in names and sheet != "about":
            for row in wb["about"].iter_rows(values_only=True):
                text = " ".join(str(v) for v in row if isinstance(v, str))
                if text:
                    comments.append(text)
    except InputFileError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise InputFileError(f"{path}: cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    while grid and all(v is None for v in grid[-1]):
        grid.pop()
    if not grid:
        return [], [], comments, percent
    grid = [_clean_column(r) for r in grid]
    width = max(len(r) for r in grid)
    return grid[0], _frame(grid[1:], width), comments, percent


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
