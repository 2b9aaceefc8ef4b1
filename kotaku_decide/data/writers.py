"""Writers for every file the toolkit produces: atomic, and escaped for the programs that open them.

Files are written to a temporary name in the target folder and renamed into place, so a failure never
leaves a half-written file that looks complete, and never destroys an earlier good file. Text cells of
Excel workbooks are escaped against formula injection.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd

__all__ = ["escape_formula", "escape_frame", "atomic_path", "write_table", "write_workbook", "save_figure"]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(v):
    """Prefix text that a spreadsheet would run as a formula (starting = + - @) with a quote."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell escaped by :func:`escape_formula`, whatever the column's dtype."""
    out = df.copy()
    for c in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[c]) or pd.api.types.is_bool_dtype(out[c])
                or pd.api.types.is_datetime64_any_dtype(out[c])):
            out[c] = out[c].astype(object).map(escape_formula)
    if out.index.dtype == object:
        out.index = out.index.map(escape_formula)
    return out


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write one table as CSV or Excel by extension, atomically."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with atomic_path(path) as tmp:
            df.to_csv(tmp, index=False)
    elif path.suffix.lower() == ".xlsx":
        write_workbook({"data": df}, path)
    else:
        raise ValueError(f"{path}: expected an output ending in .csv or .xlsx")
    return path


def write_workbook(sheets: dict[str, pd.DataFrame], path: str | Path, index: dict | None = None) -> Path:
    """Write several tables to one Excel workbook, text cells escaped against formula injection."""
    index = index or {}
    with atomic_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in sheets.items():
                escape_frame(df).to_excel(xw, sheet_name=name[:31], index=index.get(name, False))
    return Path(path)


def save_figure(fig, path, dpi: int = 150) -> None:
    """Save a matplotlib figure as PNG atomically (a failed save leaves no partial file)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
