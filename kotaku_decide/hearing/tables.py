"""Report tables: summaries of scored tables, display labels and number formats (English or Indonesian).

Labels come from :mod:`kotaku_decide.data.labels`; files are written by :mod:`kotaku_decide.data.writers`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.labels import label
from ..data.profiles import SLUM_LEVELS, Profile

__all__ = ["summary_by_level", "summary_by_kecamatan", "provenance_lines", "markdown_summary", "column_label",
           "value_label", "display_frame", "source_labels", "source_short_name", "format_number"]


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


# ----------------------------------------------------------------------------------------------
# tables for display: headers and coded values from the label catalogue (data files keep both)
# ----------------------------------------------------------------------------------------------
#: columns whose coded values are shown as the label of a catalogue section
VALUE_SECTIONS = {"slum_level": "slum_level", "level_before": "slum_level", "level_after": "slum_level",
                  "other_considerations": "other_considerations", "density_class": "density_class",
                  "handling_pattern": "handling_pattern", "authority": "authority", "authority_alloc": "authority",
                  "legal": "legal", "legal_alloc": "legal", "status": "status", "method": "rank_method",
                  "label": "period", "objective": "objective", "severity": "severity", "check": "consistency_check"}
#: columns holding several codes separated by spaces
LIST_SECTIONS = {"binding": "binding"}
#: yes/no columns that a missing value turns into numbers (1.0 / 0.0 / NaN)
BOOLEAN_COLUMNS = ("enter_monotone", "vikor_compromise", "funded", "slum", "resettled", "proven_optimal")
#: columns holding funding-source codes (one, or several separated by spaces)
SOURCE_COLUMNS = ("source", "enter_source")
SOURCE_LIST_COLUMNS = ("sources",)
_PATTERN_COLUMNS = (("p_top_", "p_top", "k"), ("cleared_ha_", "cleared_ha_year", "year"),
                    ("slum_ha_left_", "slum_ha_left_year", "year"))


def format_number(x, digits: int = 2, lang: str = "en") -> str:
    """``1234.5`` -> ``1,234.50`` (en) or ``1.234,50`` (id)."""
    s = f"{x:,.{digits}f}"
    if s.startswith("-") and not s.strip("-0.,"):
        s = s[1:]  # no "-0.00"
    if lang == "id":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def column_label(col, lang: str = "en") -> str:
    """The display header of a data column (``columns`` section; ``p_top_10``, ``cleared_ha_2018`` and
    ``slum_ha_left_2018`` from templates); a column the catalogue does not know keeps its name."""
    from ..data.labels import catalogue

    cols = catalogue(lang)["columns"]
    c = str(col)
    if c in cols:
        return cols[c]
    for prefix, key, field in _PATTERN_COLUMNS:
        rest = c[len(prefix):]
        if c.startswith(prefix) and rest.isdigit():
            return cols[key].format(**{field: rest})
    return col


def value_label(section: str, value, lang: str = "en"):
    """The catalogue label of a coded value (``True`` -> ``boolean.true``); other values unchanged."""
    from ..data.labels import catalogue

    sec = catalogue(lang).get(section) or {}
    if isinstance(value, (bool, np.bool_)):
        return sec.get(str(bool(value)).lower(), value)
    if isinstance(value, str) and value in sec:
        return sec[value]
    return value


def source_short_name(code, lang: str = "en", labels: dict | None = None):
    """Short name of a funding source: the catalogue's (``evidence.source_<code>``, as in the
    explanations), else the label the rules file gives (``labels``), else the code."""
    if not isinstance(code, str) or not code:
        return code
    try:
        return label("evidence", f"source_{code}", lang)
    except KeyError:
        return (labels or {}).get(code, code)


def display_frame(df: pd.DataFrame, lang: str = "en", source_names: dict | None = None) -> pd.DataFrame:
    """A copy of ``df`` for display in a report: coded values and headers from the label catalogue.

    Coded columns (:data:`VALUE_SECTIONS`, :data:`LIST_SECTIONS`) show their labels, yes/no columns
    the ``boolean`` labels, funding-source codes their short names (the catalogue's, else
    ``source_names``, e.g. from :func:`source_labels`), whole years as integers and missing values
    as empty cells. Free text (names, descriptions, labels a data file gives) is left as it is. Data
    files keep the codes and column names: use this only for display.
    """
    def each(s, f):  # f on every value of a column
        return s.astype(object).map(f)

    def many(f):  # f on every code of a cell holding several, separated by spaces
        return lambda v: ", ".join(str(f(x)) for x in v.split()) if isinstance(v, str) else v

    out = df.copy()
    for c in out.columns:
        s = out[c]
        name = str(c)
        # a yes/no column may arrive as numbers (0/1) or as objects (True/False with gaps for 'not asked')
        vals = s.dropna()
        yes_no = name in BOOLEAN_COLUMNS and (
            (pd.api.types.is_numeric_dtype(s) and vals.isin([0, 1]).all())
            or (s.dtype == object and len(vals) > 0 and vals.map(lambda v: isinstance(v, (bool, np.bool_))).all()))
        if (pd.api.types.is_bool_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)) or yes_no:
            sec = VALUE_SECTIONS.get(name, "boolean")
            out[c] = each(s, lambda v, sec=sec: value_label(sec, bool(v), lang) if pd.notna(v) else "")
        elif name in VALUE_SECTIONS and not pd.api.types.is_numeric_dtype(s):
            out[c] = each(s, lambda v, sec=VALUE_SECTIONS[name]: value_label(sec, v, lang))
        elif name in LIST_SECTIONS:
            out[c] = each(s, many(lambda x, sec=LIST_SECTIONS[name]: value_label(sec, x, lang)))
        elif name in SOURCE_COLUMNS:
            out[c] = each(s, lambda v: source_short_name(v, lang, source_names))
        elif name in SOURCE_LIST_COLUMNS:
            out[c] = each(s, many(lambda x: source_short_name(x, lang, source_names)))
        elif (name == "year" or name.endswith("_year")) and pd.api.types.is_float_dtype(s) \
                and bool(((s.dropna() % 1) == 0).all()):
            out[c] = s.astype("Int64")
        if isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(out[c]):
            out[c] = out[c].astype(object).where(out[c].notna(), "")  # no "<NA>" in a report
    out.columns = [column_label(c, lang) for c in out.columns]
    if out.index.name is not None:
        out.index.name = column_label(out.index.name, lang)
    return out


def source_labels(rules, lang: str = "en") -> dict:
    """Display name of each funding source of a rules table (CSV path or DataFrame with ``source``).

    A label the file gives is the city's own text and is shown as given: the column ``label_<lang>``
    (e.g. ``label_id``) where present and filled, else ``label``. Only where the file gives no label
    does the catalogue's name of the source (``evidence.source_<code>``, in the report language) stand
    in for it.
    """
    if isinstance(rules, pd.DataFrame):
        r = rules.astype(str).replace({"nan": ""})
    else:
        r = pd.read_csv(rules, dtype=str, keep_default_na=False, comment="#")
    out = {}
    for _, row in r.iterrows():
        s = str(row["source"]).strip()
        given = [str(row.get(k, "") or "").strip() for k in (f"label_{lang}", "label")]
        given = [g for g in given if g and g != s]
        out[s] = given[0] if given else source_short_name(s, lang)
    return out


def _md_table(df: pd.DataFrame, index: bool = True) -> str:
    """A Markdown table; text from the data (names, kecamatan, messages) is escaped: no link, no HTML,
    no ``|`` splitting a cell."""
    from ..data.writers import escape_markdown

    d = df.reset_index() if index else df
    cols = [escape_markdown(c) for c in d.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in d.itertuples(index=False):
        lines.append("| " + " | ".join("" if pd.isna(v) else (f"{v:,.2f}" if isinstance(v, float) else
                                                               escape_markdown(v)) for v in r) + " |")
    return "\n".join(lines)


def markdown_summary(scored: pd.DataFrame, profile: Profile, lang: str = "en",
                     consistency: pd.DataFrame | None = None, validation: pd.DataFrame | None = None) -> str:
    """A short hearing-ready summary: provenance, profile, counts and hectares, consistency, unconfirmed defaults."""
    L = lambda k: label("text", k, lang)  # noqa: E731
    parts = [f"# {L('title_scores')}", ""]
    from ..data.writers import escape_markdown

    parts += [f"> {escape_markdown(line)}" for line in provenance_lines(scored, lang)]
    parts += ["", f"**{L('regulation')}:** {profile.title}", "",
              f"## {L('summary_by_level')}", "", _md_table(summary_by_level(scored, lang)), "",
              f"## {L('summary_by_kecamatan')}", "", _md_table(summary_by_kecamatan(scored, lang)), ""]
    if consistency is not None:
        parts += [f"## {L('consistency')}", ""]
        parts += [_md_table(display_frame(consistency, lang), index=False) if len(consistency)
                  else L("no_problems"), ""]
    if validation is not None and len(validation):
        parts += [f"## {L('validation')}", "", _md_table(display_frame(validation, lang), index=False), ""]
    unc = profile.unconfirmed()
    if len(unc):
        unc = display_frame(unc.rename(columns={"source": "reference"}), lang)  # a document, not a funding source
        parts += [f"## {L('unconfirmed')}", "", _md_table(unc, index=False), ""]
    return "\n".join(parts)
