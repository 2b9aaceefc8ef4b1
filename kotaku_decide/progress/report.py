"""The progress report: HTML (no code, opens offline) and Excel, in English and Bahasa Indonesia.

Same layout in both languages; every label comes from the catalogues (``progress``,
``progress_status`` and ``progress_columns`` sections of ``kotaku_decide/data/labels/*.yaml``); the
CSV files keep the data's own column names and codes. Figures are drawn here (planned against
realised per year, and a map of the locations by progress where the baseline has coordinates).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.labels import LANGUAGES, catalogue, label
from ..data.profiles import Profile
from ..data.writers import atomic_path, save_figure, write_table, write_workbook
from .api import ProgressResult

__all__ = ["write_progress", "progress_figures", "display_table", "provenance_text", "key_figures"]

#: columns that hold one status code, or several aspect / source codes separated by spaces
_STATUS_COLUMNS = ("status", "cost_status")
_ASPECT_LIST_COLUMNS = ("aspects_addressed", "services_missed")
_SOURCE_LIST_COLUMNS = ("planned_sources", "realised_sources", "source")


def _fmt(x, digits: int, lang: str) -> str:
    s = f"{x:,.{digits}f}"
    if s.startswith("-") and not s.strip("-0.,"):
        s = s[1:]
    if lang == "id":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


def _L(key: str, lang: str, **kw) -> str:
    t = label("progress", key, lang)
    return t.format(**kw) if kw else t


def _source_name(code: str, lang: str, sources: dict) -> str:
    try:
        return label("evidence", f"source_{code}", lang)
    except KeyError:
        given = sources.get(code)
        return given.get(lang, code) if isinstance(given, dict) else (given or code)


def _aspect_names(profile: Profile, lang: str) -> dict:
    col = "aspect_label_id" if lang == "id" else "aspect_label_en"
    out = dict(zip(profile.criteria["aspect"], profile.criteria[col]))
    out["resettlement"] = _L("aspect_resettlement", lang)
    out["legalisation"] = _L("aspect_legalisation", lang)
    return out


def display_table(df: pd.DataFrame, lang: str, profile: Profile, sources: dict | None = None) -> pd.DataFrame:
    """A copy for display: catalogue headers, status labels, aspect and source names, formatted numbers."""
    sources = sources or {}
    aspects = _aspect_names(profile, lang)
    crit = dict(zip(profile.criteria["code"], profile.criteria["label_id" if lang == "id" else "label_en"]))
    crit["resettlement"] = _L("aspect_resettlement", lang)
    crit["legalisation"] = _L("aspect_legalisation", lang)
    status = catalogue(lang)["progress_status"]
    booleans = catalogue(lang)["boolean"]
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if c in _STATUS_COLUMNS:
            v = s.map(lambda x: status.get(x, x) if isinstance(x, str) else "")
        elif c in _ASPECT_LIST_COLUMNS:
            v = s.map(lambda x: ", ".join(aspects.get(a, a) for a in x.split()) if isinstance(x, str) else "")
        elif c in _SOURCE_LIST_COLUMNS:
            v = s.map(lambda x: ", ".join(_source_name(a, lang, sources) for a in x.split())
                      if isinstance(x, str) else "")
        elif c == "criterion":
            v = s.map(lambda x: f"{x} {crit[x]}" if x in profile.codes else crit.get(x, x))
        elif pd.api.types.is_bool_dtype(s):
            v = s.map(lambda x: booleans[str(bool(x)).lower()])
        elif c == "year" or c.endswith("_year"):
            v = s.map(lambda x: "" if pd.isna(x) else str(int(x)))
        elif pd.api.types.is_numeric_dtype(s):
            digits = 0 if "_rp" in c or pd.api.types.is_integer_dtype(s) else 2
            v = s.map(lambda x, d=digits: "" if pd.isna(x) else _fmt(float(x), d, lang))
        else:
            v = s.map(lambda x: "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x))
        out[c] = v
    cols = catalogue(lang)["progress_columns"]
    out.columns = [cols.get(c, c) for c in df.columns]
    return out


def provenance_text(res: ProgressResult, lang: str) -> list[str]:
    """What the data is: the synthetic-data warning first when any input says SYNTHETIC, then the inputs' notes."""
    lines = []
    if any("SYNTHETIC" in p.upper() for p in res.provenance):
        lines.append(label("text", "synthetic_warning", lang))
    lines += [f"{label('text', 'provenance', lang)}: {p}" for p in res.provenance]
    return lines


def key_figures(res: ProgressResult, lang: str) -> pd.DataFrame:
    y = res.yearly.set_index("year")
    a = min(res.as_of, res.years[-1])
    base = res.years[0] - 1
    rows = [(_L("kf_slum_ha_baseline", lang), _fmt(y.loc[base, "slum_ha_planned"], 2, lang))]
    if a >= res.years[0]:
        rows += [(_L("kf_slum_ha_planned", lang, year=a), _fmt(y.loc[a, "slum_ha_planned"], 2, lang)),
                 (_L("kf_slum_ha_realised", lang, year=a), _fmt(y.loc[a, "slum_ha_realised"], 2, lang)),
                 (_L("kf_spent_planned", lang, year=a),
                  _fmt(y.loc[res.years[0]:a, "spend_rp_planned"].sum(), 0, lang)),
                 (_L("kf_spent_realised", lang, year=a),
                  _fmt(y.loc[res.years[0]:a, "spend_rp_realised"].sum(), 0, lang))]
    rows += [(_L("kf_behind", lang), str(len(res.behind))),
             (_L("kf_not_in_plan", lang), str(int((res.works["status"] == "not_in_plan").sum())))]
    return pd.DataFrame(rows, columns=[_L("item", lang), _L("value", lang)])


def progress_figures(res: ProgressResult, out_dir: Path, lang: str, dpi: int = 150) -> dict:
    """Draw the report's figures into ``out_dir``; return ``{key: path}``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    figs = {}
    y = res.yearly
    planned, realised = _L("planned", lang), _L("realised", lang)

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(y["year"], y["slum_ha_planned"], marker="o", linestyle="--", color="#888888", label=planned)
    ax.plot(y["year"], y["slum_ha_realised"], marker="s", color="#c0392b", label=realised)
    ax.set_xticks(list(y["year"]))
    ax.set_xlabel(_L("axis_year", lang))
    ax.set_ylabel(_L("axis_ha", lang))
    ax.set_title(_L("fig_slum_ha", lang))
    ax.set_ylim(bottom=0)
    ax.legend()
    p = out_dir / f"slum_ha_{lang}.png"
    save_figure(fig, p, dpi=dpi)
    plt.close(fig)
    figs["slum_ha"] = p

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for col, name, color in (("water_share_pct", _L("legend_water", lang), "#2471a3"),
                             ("sanitation_share_pct", _L("legend_sanitation", lang), "#229954")):
        ax.plot(y["year"], y[f"{col}_planned"], linestyle="--", marker="o", color=color, alpha=0.5,
                label=f"{name}, {planned}")
        ax.plot(y["year"], y[f"{col}_realised"], marker="s", color=color, label=f"{name}, {realised}")
    ax.set_xticks(list(y["year"]))
    ax.set_ylim(0, 100)
    ax.set_xlabel(_L("axis_year", lang))
    ax.set_ylabel(_L("axis_pct", lang))
    ax.set_title(_L("fig_shares", lang))
    ax.legend(fontsize=8)
    p = out_dir / f"shares_{lang}.png"
    save_figure(fig, p, dpi=dpi)
    plt.close(fig)
    figs["shares"] = p

    loc = res.locations
    if {"lat", "lon"} <= set(loc.columns) and loc[["lat", "lon"]].notna().all(axis=1).any():
        d = loc[loc[["lat", "lon"]].notna().all(axis=1)]
        cat = np.where(~d["slum_before"], "map_not_slum",
                       np.where(d["cleared_year"].notna(), "map_cleared",
                                np.where(d["behind_plan"], "map_behind", "map_on_track")))
        colors = {"map_cleared": "#229954", "map_behind": "#c0392b", "map_on_track": "#f39c12",
                  "map_not_slum": "#bbbbbb"}
        fig, ax = plt.subplots(figsize=(7, 6))
        size = 20 + 6 * d["area_ha"].to_numpy(float)
        for k, col in colors.items():
            m = cat == k
            if m.any():
                ax.scatter(d["lon"][m], d["lat"][m], s=size[m], c=col, alpha=0.8, edgecolors="k", linewidths=0.4,
                           label=_L(k, lang))
        ax.set_xlabel(_L("lon", lang))
        ax.set_ylabel(_L("lat", lang))
        ax.set_title(_L("fig_map", lang, year=res.as_of))
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(fontsize=8, markerscale=0.5)
        p = out_dir / f"map_{lang}.png"
        save_figure(fig, p, dpi=dpi)
        plt.close(fig)
        figs["map"] = p
    return figs


_CSS = """body{font-family:Arial,Helvetica,sans-serif;margin:2em auto;max-width:1200px;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-top:.6em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}th,td{border:1px solid #ccc;padding:3px 6px}
th{background:#f0f0f0;text-align:left}td{text-align:right}td.t{text-align:left}
.warn{background:#fff3cd;border:1px solid #e0c060;padding:.6em;font-weight:bold}
.note{color:#555}img{max-width:100%}"""


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for r in df.itertuples(index=False):
        cells = []
        for v in r:
            t = str(v)
            num = t.replace(",", "").replace(".", "").replace("-", "").strip().isdigit()
            cells.append(f"<td>{html.escape(t)}</td>" if num else f"<td class=\"t\">{html.escape(t)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


#: columns of each report table (the CSV files keep all columns)
_WORK_COLS = ["location_id", "criterion", "planned_year", "planned_volume", "realised_volume", "complete_year",
              "status", "planned_cost_rp", "realised_cost_rp", "expected_cost_rp", "cost_status", "planned_sources",
              "realised_sources"]
_BEHIND_COLS = ["location_id", "name", "kelurahan", "area_ha", "planned_cleared_year", "cleared_year", "total_now",
                "works_late", "works_behind", "planned_to_date_rp", "realised_rp", "services_missed"]


def _sections(res: ProgressResult, lang: str, profile: Profile, sources: dict, figs: dict,
              notes: pd.DataFrame | None) -> list[tuple[str, list]]:
    """(title, [DataFrame | ('img', path, alt) | ('text', str) | ('warn', str)]) in report order."""
    show = lambda df: display_table(df, lang, profile, sources)  # noqa: E731
    rule = res.rule
    rule_note = _L("rule_status", lang, status=_L(f"status_{rule.status}", lang) if rule.status in
                   ("confirmed", "corroborated", "unconfirmed") else rule.status, source=rule.source)
    prov = provenance_text(res, lang)
    data = [("warn", prov[0])] if prov and prov[0] == label("text", "synthetic_warning", lang) else []
    data += [("text", p) for p in prov[len(data):]]
    data += [("text", _L("as_of", lang, year=res.as_of, start=res.years[0], end=res.years[-1])),
             ("text", f"{label('text', 'regulation', lang)}: {profile.title}"),
             ("text", f"{_L('rule_used', lang)}: {rule.label(lang)} ({rule_note})")]
    out = [(_L("sec_data", lang), data), (_L("sec_summary", lang), [key_figures(res, lang)])]
    ind = [("img", figs["slum_ha"], _L("fig_slum_ha", lang)), ("img", figs["shares"], _L("fig_shares", lang)),
           show(res.yearly)]
    out.append((_L("sec_indicators", lang), ind))
    out.append((_L("sec_behind", lang), [show(res.behind[[c for c in _BEHIND_COLS if c in res.behind]])]
                if len(res.behind) else [("text", _L("no_behind", lang))]))
    out.append((_L("sec_cleared", lang), [show(res.cleared)] if len(res.cleared) else
                [("text", _L("no_cleared", lang))]))
    out.append((_L("sec_map", lang), [("img", figs["map"], _L("fig_map", lang, year=res.as_of))] if "map" in figs
                else [("text", _L("no_map", lang))]))
    out.append((_L("sec_works", lang), [show(res.works[[c for c in _WORK_COLS if c in res.works]])]))
    out.append((_L("sec_money", lang), [show(res.source_year)]))
    if notes is not None and len(notes):
        out.append((_L("sec_warnings", lang), [show(notes)]))
    return out


def _write_html(sections, title: str, path: Path, lang: str) -> Path:
    parts = [f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
             f"</title><style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    for head, items in sections:
        parts.append(f"<h2>{html.escape(head)}</h2>")
        for it in items:
            if isinstance(it, pd.DataFrame):
                parts.append(_html_table(it))
            elif it[0] == "img":
                parts.append(_img(it[1], it[2]))
            elif it[0] == "warn":
                parts.append(f"<p class=\"warn\">{html.escape(it[1])}</p>")
            else:
                parts.append(f"<p class=\"note\">{html.escape(it[1])}</p>")
    parts.append("</body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_progress(res: ProgressResult, out: str | Path, profile: Profile, sources: dict | None = None,
                   langs=LANGUAGES, notes: pd.DataFrame | None = None, dpi: int = 150) -> list[Path]:
    """Write the progress report and its tables into ``out``; return the files written.

    Files: ``yearly.csv``, ``works.csv``, ``money_by_location.csv``, ``money_by_source_year.csv``,
    ``behind_plan.csv``, ``cleared.csv``, ``condition.csv`` (data names and codes), then per language
    ``report_<lang>.html`` (no code, images embedded), ``progress_<lang>.xlsx`` and
    ``figures/*_<lang>.png``, and ``DATA_STATUS.txt``. ``notes``: the realised table's warnings
    (:meth:`kotaku_decide.data.realised.RealisedReport.to_frame`), shown in the report.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sources = sources or {}
    tables = {"yearly": res.yearly, "works": res.works, "money_by_location": res.money,
              "money_by_source_year": res.source_year, "behind_plan": res.behind, "cleared": res.cleared,
              "condition": res.condition}
    written = [write_table(t, out / f"{k}.csv") for k, t in tables.items()]
    for lang in langs:
        figs = progress_figures(res, out / "figures", lang, dpi)
        written += list(figs.values())
        secs = _sections(res, lang, profile, sources, figs, notes)
        title = _L("report_title", lang)
        written.append(_write_html(secs, title, out / f"report_{lang}.html", lang))
        about = pd.DataFrame({_L("item", lang): [it[1] for it in secs[0][1]]})  # the data section's lines
        show = lambda df, lang=lang: display_table(df, lang, profile, sources)  # noqa: E731
        sheets = {"about": about, "summary": key_figures(res, lang), "yearly": show(res.yearly),
                  "behind_plan": show(res.behind[[c for c in _BEHIND_COLS if c in res.behind]]),
                  "cleared": show(res.cleared), "works": show(res.works[[c for c in _WORK_COLS if c in res.works]]),
                  "money_by_location": show(res.money), "money_by_source_year": show(res.source_year)}
        if notes is not None and len(notes):
            sheets["notes"] = show(notes)
        written.append(write_workbook(sheets, out / f"progress_{lang}.xlsx"))
    ds = out / "DATA_STATUS.txt"
    with atomic_path(ds) as tmp:
        tmp.write_text("Data status of every file in this folder:\n" + "\n".join(provenance_text(res, "en")) + "\n",
                       encoding="utf-8")
    written.append(ds)
    return written
