"""Summaries and writers for scored tables (CSV, Excel, Markdown), in English or Indonesian.

Labels come from :mod:`kotaku_decide.labels`. Files are written to a temporary name in the target
folder and renamed into place, so a failure never leaves a half-written file that looks complete,
and never destroys an earlier good file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd

from .labels import label
from .profiles import SLUM_LEVELS, Profile

__all__ = ["summary_by_level", "summary_by_kecamatan", "provenance_lines", "escape_formula",
           "atomic_path", "write_table", "write_workbook", "markdown_summary", "escape_frame"]


def summary_by_level(scored: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Locations and hectares per slum level (every level listed, zeros included) with a total row."""
    g = scored.groupby("slum_level", observed=False)["area_ha"]
    out = pd.DataFrame({"n_locations": g.size(), "hectares": g.sum().round(2)}).reindex(list(SLUM_LEVELS), fill_value=0)
    out.loc["total"] = [int(out["n_locations"].sum()), round(float(out["hectares"].sum()), 2)]
    out.index = [label("slum_level", i, lang) if i != "total" else label("text", "total", lang) for i in out.index]
    out.index.name = label("columns", "slum_level", lang)
    out.columns = [label("columns", c, lang) for c in out.columns]
    return out


def summary_by_kecamatan(scored: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Hectares by kecamatan (rows) and slum level (columns), with totals."""
    t = scored.pivot_table(index="kecamatan", columns="slum_level", values="area_ha", aggfunc="sum",
                           observed=False, fill_value=0.0).reindex(columns=list(SLUM_LEVELS), fill_value=0.0)
    t["total"] = t.sum(axis=1)
    t.loc["total"] = t.sum(axis=0)
    t = t.round(2)
    t.columns = [label("slum_level", c, lang) if c != "total" else label("text", "total", lang) for c in t.columns]
    t.index = [i if i != "total" else label("text", "total", lang) for i in t.index]
    t.index.name = label("columns", "kecamatan", lang)
    return t


def provenance_lines(df: pd.DataFrame, lang: str = "en") -> list[str]:
    """What the data is: the distinct ``provenance`` values and the file's leading comments.

    If any provenance says SYNTHETIC, the catalogue's synthetic-data warning comes first.
    """
    lines: list[str] = []
    prov = []
    if "provenance" in df.columns:
        prov = [p for p in pd.unique(df["provenance"].dropna()) if str(p).strip()]
    text = " ".join(map(str, prov)) + " " + " ".join(df.attrs.get("comments", []))
    if "SYNTHETIC" in text.upper():
        lines.append(label("text", "synthetic_warning", lang))
    lines += [f"{label('text', 'provenance', lang)}: {p}" for p in prov]
    if not prov:
        lines += df.attrs.get("comments", [])
    src = df.attrs.get("source")
    if src:
        try:  # a path relative to the working folder reads better in a report than /home/... paths
            src = str(Path(src).resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            pass
        lines.append(f"{label('text', 'data_source', lang)}: {src}")
    return lines


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


def _md_table(df: pd.DataFrame, index: bool = True) -> str:
    d = df.reset_index() if index else df
    cols = [str(c) for c in d.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in d.itertuples(index=False):
        lines.append("| " + " | ".join("" if pd.isna(v) else (f"{v:,.2f}" if isinstance(v, float) else str(v))
                                       for v in r) + " |")
    return "\n".join(lines)


def markdown_summary(scored: pd.DataFrame, profile: Profile, lang: str = "en",
                     consistency: pd.DataFrame | None = None, validation: pd.DataFrame | None = None) -> str:
    """A short hearing-ready summary: provenance, profile, counts and hectares, consistency, unconfirmed defaults."""
    L = lambda k: label("text", k, lang)  # noqa: E731
    parts = [f"# {L('title_scores')}", ""]
    parts += [f"> {line}" for line in provenance_lines(scored, lang)]
    parts += ["", f"**{L('regulation')}:** {profile.title}", "",
              f"## {L('summary_by_level')}", "", _md_table(summary_by_level(scored, lang)), "",
              f"## {L('summary_by_kecamatan')}", "", _md_table(summary_by_kecamatan(scored, lang)), ""]
    if consistency is not None:
        parts += [f"## {L('consistency')}", ""]
        parts += [_md_table(consistency, index=False) if len(consistency) else L("no_problems"), ""]
    if validation is not None and len(validation):
        parts += [f"## {L('validation')}", "", _md_table(validation, index=False), ""]
    unc = profile.unconfirmed()
    if len(unc):
        parts += [f"## {L('unconfirmed')}", "", _md_table(unc, index=False), ""]
    return "\n".join(parts)
