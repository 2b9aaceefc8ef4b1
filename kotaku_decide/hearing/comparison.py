"""Comparison over the scenarios of a batch: one table, the locations whose funding changes, and a page."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..data.labels import label
from ..data.writers import atomic_path, write_table, write_workbook
from .tables import display_frame, format_number

__all__ = ["comparison_table", "write_comparison", "load_comparison"]


def comparison_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per scenario: status, gap, hectares cleared per year, households, money."""
    rows = []
    for k in summaries:
        r = {"scenario": k["name"], "description": k["description"], "profile": k["profile"],
             "objective": k["objective"], "status": k["status"], "proven_optimal": k["proven_optimal"],
             "gap": k["gap"], "slum_ha_baseline": round(k["slum_ha_baseline"], 2)}
        for y, v in k["cleared_ha_by_year"].items():
            r[f"cleared_ha_{y}"] = round(v, 2)
        for y, v in k["slum_ha_left_by_year"].items():
            r[f"slum_ha_left_{y}"] = round(v, 2)
        r.update(households_water_served=k["households_water_served"],
                 households_sanitation_served=k["households_sanitation_served"],
                 budget_rp=k["budget_rp"], spent_rp=k["spent_rp"], left_rp=k["left_rp"],
                 n_funded=len(k["funded_locations"]), n_cleared=len(k["cleared_locations"]),
                 greedy_vs_optimiser=k.get("greedy_vs_optimiser"))
        rows.append(r)
    return pd.DataFrame(rows)


def write_comparison(out: Path, names: list[str], lang: str = "en") -> pd.DataFrame | None:
    """Compare the finished scenarios under ``out``: table, funding diff, locations funded everywhere."""
    out = Path(out)
    summaries = []
    for n in names:
        p = out / n / "summary.json"
        summaries.append(json.loads(p.read_text(encoding="utf-8")))
    names_out = ("comparison.csv", "scenario_diff.csv", "funded_everywhere.csv", "comparison.xlsx", "comparison.html")
    if not summaries:
        for f in names_out:  # no scenario finished: an older comparison must not look current
            (out / f).unlink(missing_ok=True)
        return None
    comp = comparison_table(summaries)
    funded = {k["name"]: set(k["funded_locations"]) for k in summaries}
    ids = sorted(set().union(*funded.values()))
    matrix = pd.DataFrame({n: [i in f for i in ids] for n, f in funded.items()}, index=pd.Index(ids, name="location_id"))
    diff = matrix[~matrix.all(axis=1)].reset_index()
    everywhere = pd.DataFrame({"location_id": matrix.index[matrix.all(axis=1)]})
    write_table(comp, out / "comparison.csv")
    write_table(diff, out / "scenario_diff.csv")
    write_table(everywhere, out / "funded_everywhere.csv")
    write_workbook({"comparison": comp, "scenario_diff": diff, "funded_everywhere": everywhere},
                   out / "comparison.xlsx")
    html = _comparison_html(comp, diff, everywhere, lang, summaries, figures=_figures(out, names, comp, matrix, lang))
    with atomic_path(out / "comparison.html") as tmp:
        tmp.write_text(html, encoding="utf-8")
    return comp


def load_comparison(batch_dir) -> dict:
    """The comparison files of a finished batch folder, as DataFrames (``comparison``,
    ``scenario_diff``, ``funded_everywhere``) plus ``batch`` (the manifest: status and errors)."""
    d = Path(batch_dir)
    if not (d / "comparison.csv").exists():
        raise FileNotFoundError(f"{d}: no comparison.csv; run `kotaku-decide batch SET.yaml --out {d}` first")
    return {"comparison": pd.read_csv(d / "comparison.csv"), "scenario_diff": pd.read_csv(d / "scenario_diff.csv"),
            "funded_everywhere": pd.read_csv(d / "funded_everywhere.csv"),
            "batch": pd.DataFrame(json.loads((d / "batch.json").read_text(encoding="utf-8"))["scenarios"])}


def _figures(out: Path, names: list[str], comp: pd.DataFrame, matrix: pd.DataFrame, lang: str) -> dict:
    """The comparison's charts as PNG bytes: slum hectares left by year, money by source, funding changes."""
    import io

    from .figures import funding_changes, money_by_scenario, scenario_progress

    figs = {"progress": scenario_progress(comp, lang)}
    money = {}
    for n in names:
        p = out / n / "money.csv"
        if p.exists():
            money[n] = pd.read_csv(p)
    if money:
        figs["money"] = money_by_scenario(money, lang)
    changed = matrix[~matrix.all(axis=1)]
    if len(changed):
        labels = {}
        for n in names:
            p = out / n / "scores.csv"
            if p.exists():
                sc = pd.read_csv(p, usecols=["location_id", "name"])
                labels.update(dict(zip(sc["location_id"].astype(str), sc["name"].astype(str))))
        figs["changes"] = funding_changes(changed, labels, lang)
    pngs = {}
    for k, fig in figs.items():
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        pngs[k] = buf.getvalue()
    return pngs


def _comparison_html(comp, diff, everywhere, lang, summaries, figures=None) -> str:
    import base64
    import html as _h

    from .page import page_head

    L = lambda k: label("hearing", k, lang)  # noqa: E731
    R = lambda k: label("report", k, lang)  # noqa: E731
    figures = figures or {}

    def fig(key, title):
        if key not in figures:
            return ""
        src = "data:image/png;base64," + base64.b64encode(figures[key]).decode("ascii")
        return (f"<h2>{_h.escape(title)}</h2><figure class='fig-{key}'><img src='{src}' alt='{_h.escape(title)}'>"
                "</figure>")

    prov = list(dict.fromkeys(p for k in summaries for p in k.get("provenance", [])))
    warn = ""
    if prov:
        warn = (f"<div class='warning' role='note'><strong>{_h.escape(R('about_data'))}:</strong> {_h.escape(prov[0])}"
                + ("<ul>" + "".join(f"<li>{_h.escape(p)}</li>" for p in prov[1:]) + "</ul>" if prov[1:] else "")
                + "</div>")
    # the key figures with scenarios as columns: as many rows as figures, as few columns as scenarios
    shown = display_frame(comp, lang).set_index(label("columns", "scenario", lang)).T
    shown.index.name = None
    shown.columns.name = None
    table = shown.to_html(na_rep="", escape=True, border=0, float_format=lambda v: format_number(v, 2, lang))
    diff_d, every_d = display_frame(diff, lang), display_frame(everywhere, lang)
    parts = [page_head(L("comparison_title"), lang), f"<h1>{_h.escape(L('comparison_title'))}</h1>",
             f"<p class='subtitle'>{_h.escape(L('comparison_note'))}</p>", warn,
             f"<section id='charts'><p class='summary'>{_h.escape(R('cmp_lead'))}</p>",
             fig("progress", R("cmp_progress")), fig("money", R("cmp_money")),
             fig("changes", R("cmp_changes")) if "changes" in figures else
             f"<h2>{_h.escape(R('cmp_changes'))}</h2><p>{_h.escape(R('cmp_no_change'))}</p>", "</section>",
             f"<section id='tables' class='tables'><h2>{_h.escape(R('cmp_figures_table'))}</h2>",
             f"<div class='table-wrap'>{table}</div>",
             f"<h2>{_h.escape(L('scenario_diff'))}</h2>",
             f"<div class='table-wrap'>{diff_d.to_html(index=False, border=0)}</div>" if len(diff)
             else f"<p>{_h.escape(L('no_difference'))}</p>",
             f"<h2>{_h.escape(L('funded_everywhere'))}</h2>",
             f"<div class='table-wrap'>{every_d.to_html(index=False, border=0)}</div>" if len(everywhere)
             else "<p>-</p>", "</section></main></body></html>"]
    return "\n".join(x for x in parts if x)
