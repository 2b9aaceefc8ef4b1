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
    html = _comparison_html(comp, diff, everywhere, lang, summaries)
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


def _comparison_html(comp, diff, everywhere, lang, summaries) -> str:
    import html as _h

    L = lambda k: label("hearing", k, lang)  # noqa: E731
    style = ("body{font-family:sans-serif;margin:2em;font-size:15px} table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #bbb;padding:4px 8px;text-align:right} th{background:#eee}"
             ".note{background:#fff3cd;padding:.6em 1em;border:1px solid #e0c36a}")
    comp, diff, everywhere = (display_frame(d, lang) for d in (comp, diff, everywhere))
    parts = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{_h.escape(L('comparison_title'))}"
             f"</title><style>{style}</style></head><body>", f"<h1>{_h.escape(L('comparison_title'))}</h1>",
             f"<p class='note'>{_h.escape(L('comparison_note'))}</p>",
             *[f"<p class='note'>{_h.escape(p)}</p>" for p in
               dict.fromkeys(p for k in summaries for p in k.get("provenance", []))],
             comp.to_html(index=False, na_rep="", float_format=lambda v: format_number(v, 2, lang)),
             f"<h2>{_h.escape(L('scenario_diff'))}</h2>",
             diff.to_html(index=False) if len(diff) else f"<p>{_h.escape(L('no_difference'))}</p>",
             f"<h2>{_h.escape(L('funded_everywhere'))}</h2>",
             everywhere.to_html(index=False) if len(everywhere) else "<p>-</p>", "</body></html>"]
    return "\n".join(parts)


