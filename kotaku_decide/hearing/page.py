"""The hearing report as a page that makes an argument: what the scenario buys, then the evidence, then
the tables; and the comparison page that leads with charts.

Both pages are rendered from the files a scenario run writes (``summary.json``, the CSV tables,
``figures/*.png``, ``run.json``), so a batch can re-render a report once its baseline scenario has
finished, and anyone can check a sentence against the files beside it. The pages need no script and
no network: figures are inline PNG, tables are HTML (wide ones scroll inside their own box), and the
print style sheet lays them out on A4 with page numbers (:mod:`kotaku_decide.hearing.pdf`). Every
word comes from the label catalogues (English or Indonesian, same layout).

    write_report(folder, baseline=None)   # folder/report.html
    render_report(folder, baseline=None)  # the HTML text
"""

from __future__ import annotations

import base64
import html
import json
from datetime import date
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..data.labels import label
from ..data.writers import atomic_path
from ..evidence.text import join, money
from .tables import display_frame, format_number, value_label

__all__ = ["render_report", "write_report", "summary_paragraph", "baseline_comparison", "STYLE", "page_head"]

#: screen and print styles of both pages (A4 with page numbers when printed)
STYLE = """
:root{--ink:#1d1d1b;--muted:#5b5b57;--warn-bg:#fff4d6;--warn:#8a5a00;--line:#d8d4cc;--accent:#08519c}
*{box-sizing:border-box}
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:var(--ink);margin:0;font-size:15px;
     line-height:1.45;background:#fbfaf7}
main{max-width:1180px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:28px;margin:8px 0 4px} h2{font-size:21px;margin:34px 0 10px;padding-bottom:4px;
   border-bottom:2px solid var(--line)} h3{font-size:17px;margin:22px 0 6px}
.subtitle{color:var(--muted);margin:0 0 14px}
.warning{background:var(--warn-bg);border:1px solid #e6c36a;border-left:6px solid #d49b00;padding:10px 14px;
         margin:12px 0 18px;border-radius:4px}
.warning strong{color:var(--warn)} .warning ul{margin:4px 0 0 18px;padding:0}
p.summary{font-size:17px;line-height:1.55;background:#fff;border:1px solid var(--line);border-radius:6px;
          padding:14px 18px;margin:10px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:14px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 14px}
.card .v{font-size:24px;font-weight:bold;color:var(--accent)} .card .k{font-size:13px;color:var(--muted)}
figure{margin:14px 0;break-inside:avoid} figure img{max-width:100%;height:auto;display:block;
       border:1px solid var(--line);background:#fff}
figcaption{font-size:13px;color:var(--muted);margin-top:4px}
.table-wrap{max-width:100%;overflow-x:auto;margin:8px 0 16px;border:1px solid var(--line);background:#fff}
table{border-collapse:collapse;font-size:13px} th,td{border-bottom:1px solid #e7e3da;padding:4px 8px;
      text-align:left;vertical-align:top} th{background:#f1eee7;position:sticky;top:0}
td.num,th.num{text-align:right;white-space:nowrap}
ul.why{margin:6px 0 10px 18px;padding:0} ul.why li{margin:3px 0}
.note{color:var(--muted);font-size:13px}
footer{color:var(--muted);font-size:12px;margin-top:30px;border-top:1px solid var(--line);padding-top:8px}
pre{background:#fff;border:1px solid var(--line);padding:8px;overflow-x:auto;font-size:12px}
@page{size:A4;margin:16mm 13mm 18mm 13mm;
      @bottom-center{content:var(--page-word) " " counter(page) " " var(--of-word) " " counter(pages);
                     font-size:9pt;color:#555}
      @bottom-left{content:var(--doc-title);font-size:8pt;color:#777}}
@media print{
  body{background:#fff;font-size:10.5pt} main{max-width:none;padding:0}
  h2{break-after:avoid;margin-top:18pt} h3{break-after:avoid}
  .table-wrap{overflow:visible;border:none} table{font-size:7.5pt;width:100%} th{position:static}
  td,th{padding:2px 4px} td.num,th.num{white-space:normal}
  .cards{grid-template-columns:repeat(3,1fr)} .card .v{font-size:16pt}
  p.summary{font-size:11pt} section.tables{break-before:page}
}
"""


def page_head(title: str, lang: str, doc_title: str | None = None) -> str:
    """``<!doctype html>`` up to ``<main>``: the style sheet, the page words of the print footer."""
    esc = html.escape
    words = (f":root{{--page-word:'{_css_str(label('report', 'page', lang))}';"
             f"--of-word:'{_css_str(label('report', 'of', lang))}';--doc-title:'{_css_str(doc_title or title)}'}}")
    # @page margin boxes do not see custom properties in every engine: write the words in as well
    page_rule = (f"@page{{@bottom-center{{content:'{_css_str(label('report', 'page', lang))} ' counter(page) ' "
                 f"{_css_str(label('report', 'of', lang))} ' counter(pages)}}"
                 f"@bottom-left{{content:'{_css_str(doc_title or title)}'}}}}")
    return (f"<!doctype html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(title)}</title>"
            f"<style>{STYLE}{words}{page_rule}</style></head><body><main>")


def _css_str(s: str) -> str:
    return str(s).replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ")


# ----------------------------------------------------------------------------------------------
# reading a scenario folder
# ----------------------------------------------------------------------------------------------
def _csv(folder: Path, name: str) -> pd.DataFrame | None:
    p = folder / f"{name}.csv"
    return pd.read_csv(p) if p.exists() else None


def _png(p: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode("ascii")


def _R(key: str, lang: str) -> str:
    return label("report", key, lang)


def _num(x, d, lang) -> str:
    return format_number(float(x), d, lang)


def _names(ids, name_of: dict, lang: str, limit: int = 4) -> str:
    names = [name_of.get(i, i) for i in ids]
    if len(names) > limit:
        return join(names[:limit] + [_R("and_more", lang).format(n=len(names) - limit)], lang)
    return join(names, lang)


# ----------------------------------------------------------------------------------------------
# the argument
# ----------------------------------------------------------------------------------------------
def summary_paragraph(kf: dict, plan: pd.DataFrame | None, name_of: dict, lang: str) -> str:
    """What the scenario buys, in one paragraph of plain sentences (text, not HTML)."""
    R = lambda k: _R(k, lang)  # noqa: E731
    if kf.get("status") not in ("optimal", "feasible_not_proven"):
        return R("sum_no_plan").format(status=value_label("status", kf.get("status"), lang))
    years = [int(y) for y in kf["years"]]
    left = kf["slum_ha_left_by_year"]
    last = str(years[-1])
    cleared = kf["slum_ha_baseline"] - float(left[last])
    left_txt = join([f"{_num(left[str(y)], 1, lang)} ha ({y})" for y in years], lang)
    parts = [R("sum_clears").format(budget=money(kf["budget_rp"], lang), years=f"{years[0]}-{years[-1]}",
                                    cleared=_num(cleared, 1, lang), slum=_num(kf["slum_ha_baseline"], 1, lang),
                                    last=last, n_cleared=len(kf["cleared_locations"]),
                                    n_slum=kf["slum_locations_baseline"], left=left_txt),
             R("sum_households").format(water=_num(kf["households_water_served"], 0, lang),
                                        sanitation=_num(kf["households_sanitation_served"], 0, lang)),
             R("sum_money").format(spent=money(kf["spent_rp"], lang), left=money(kf["left_rp"], lang))]
    if plan is not None and len(plan):
        first = plan.groupby("location_id")["year"].min()
        y0 = int(first.min())
        ids = first[first == y0].index.tolist()
        cost = plan.groupby("location_id")["cost_rp"].sum()
        ids = sorted(ids, key=lambda i: -float(cost.get(i, 0)))
        parts.append(R("sum_first").format(year=y0, names=_names(ids, name_of, lang, limit=3)))
    return " ".join(parts)


def baseline_comparison(kf: dict, base: dict | None, name_of: dict, lang: str) -> str:
    """How the scenario differs from the set's baseline scenario (text)."""
    R = lambda k: _R(k, lang)  # noqa: E731
    if base is None:
        return R("vs_alone")
    if base.get("name") == kf.get("name"):
        return R("vs_is_baseline")
    diffs = []
    last = str(kf["years"][-1])
    if last in base.get("slum_ha_left_by_year", {}) and last in kf.get("slum_ha_left_by_year", {}):
        d = float(kf["slum_ha_left_by_year"][last]) - float(base["slum_ha_left_by_year"][last])
        key = "diff_ha_same" if abs(d) < 0.005 else "diff_ha_more" if d > 0 else "diff_ha_less"
        diffs.append(R(key).format(x=_num(abs(d), 1, lang), year=last))
    d = float(kf["spent_rp"]) - float(base["spent_rp"])
    key = "diff_spent_same" if abs(d) < 0.5 else "diff_spent_more" if d > 0 else "diff_spent_less"
    diffs.append(R(key).format(x=money(abs(d), lang)))
    new = sorted(set(kf["funded_locations"]) - set(base["funded_locations"]))
    gone = sorted(set(base["funded_locations"]) - set(kf["funded_locations"]))
    if new:
        diffs.append(R("diff_newly").format(names=_names(new, name_of, lang)))
    if gone:
        diffs.append(R("diff_dropped").format(names=_names(gone, name_of, lang)))
    if not new and not gone:
        diffs.append(R("diff_same_locations"))
    return R("vs_baseline").format(name=base.get("name", ""), diffs="; ".join(diffs))


def _cards(kf: dict, lang: str) -> str:
    R = lambda k: _R(k, lang)  # noqa: E731
    esc = html.escape
    if not kf.get("years"):
        return ""
    last = str(kf["years"][-1])
    items = [(R("key_slum_left").format(year=last), f"{_num(kf['slum_ha_left_by_year'][last], 1, lang)} ha",
              R("key_of_baseline").format(x=_num(kf["slum_ha_baseline"], 1, lang))),
             (R("key_water"), _num(kf["households_water_served"], 0, lang), ""),
             (R("key_sanitation"), _num(kf["households_sanitation_served"], 0, lang), ""),
             (R("key_spent"), money(kf["spent_rp"], lang), R("key_of_budget").format(x=money(kf["budget_rp"], lang))),
             (R("key_left"), money(kf["left_rp"], lang), ""),
             (R("key_funded"), str(len(kf["funded_locations"])),
              R("key_cleared").format(n=len(kf["cleared_locations"]), year=last))]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><div class='k'>{esc(k)}</div><div class='v'>{esc(v)}</div>"
        + (f"<div class='k'>{esc(sub)}</div>" if sub else "") + "</div>" for k, v, sub in items) + "</div>"


def _figure(folder: Path, key: str, caption: str = "", lang: str = "en") -> str:
    p = folder / "figures" / f"{key}.png"
    if not p.exists():
        return ""
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    alt = html.escape(caption or _R("figure_alt", lang))
    return f"<figure class='fig-{key}'><img src='{_png(p)}' alt='{alt}'>{cap}</figure>"


def _table(df: pd.DataFrame, lang: str, cls: str = "", source_names: dict | None = None) -> str:
    """A table for display (catalogue headers and labels), in its own scrolling box."""
    d = display_frame(df, lang, source_names)
    num_cols = [c for c, src in zip(d.columns, df.columns) if pd.api.types.is_numeric_dtype(df[src])
                and not pd.api.types.is_bool_dtype(df[src])]
    body = d.to_html(index=False, na_rep="", escape=True, border=0,
                     float_format=lambda v: format_number(v, 2, lang), classes=cls or None)
    for c in num_cols:  # right-align numbers: mark their header cells
        body = body.replace(f"<th>{html.escape(str(c))}</th>", f"<th class='num'>{html.escape(str(c))}</th>")
    return f"<div class='table-wrap'>{body}</div>"


def _why(folder: Path, lang: str) -> str:
    R = lambda k: _R(k, lang)  # noqa: E731
    ex = _csv(folder, "explanations")
    if ex is None or "why" not in ex:
        return f"<p class='note'>{html.escape(R('ev_why_none'))}</p>"
    funded = ex[ex["status"].isin(["cleared", "works_not_cleared", "works_not_slum"])]
    notf = ex[ex["status"].isin(["not_funded", "locked_out"])]
    out = []
    for title, part in ((R("ev_why_funded"), funded), (R("ev_why_not"), notf)):
        if len(part):
            out.append(f"<h4>{html.escape(title)} ({len(part)})</h4><ul class='why'>"
                       + "".join(f"<li>{html.escape(str(w))}</li>" for w in part["why"].fillna("")) + "</ul>")
    return "".join(out)


def _cuts(folder: Path, kf: dict, name_of: dict, lang: str) -> str:
    R = lambda k: _R(k, lang)  # noqa: E731
    cuts = _csv(folder, "cuts")
    if cuts is None or not len(cuts):
        return f"<p class='note'>{html.escape(R('ev_cut_none'))}</p>"
    last = str(kf["years"][-1])
    full = float(kf["slum_ha_baseline"]) - float(kf["slum_ha_left_by_year"][last])
    base_cleared = set(kf["cleared_locations"])
    rows = []
    for r in cuts.sort_values("factor", ascending=False).itertuples():
        got = set(str(r.cleared).split()) if isinstance(r.cleared, str) else set()
        rows.append({"factor": r.factor, "cleared_ha": r.cleared_ha, "loss": full - r.cleared_ha,
                     "lost": sorted(base_cleared - got)})
    first = rows[0]
    text = R("ev_cut_text").format(pct=_num(100 * first["factor"], 0, lang), ha=_num(first["cleared_ha"], 1, lang),
                                   year=last, loss=_num(first["loss"], 1, lang))
    if first["lost"]:
        text += " " + R("ev_cut_lost").format(names=_names(first["lost"], name_of, lang, limit=6))
    t = pd.DataFrame({R("factor_pct"): [f"{_num(100 * r['factor'], 0, lang)} %" for r in rows],
                      R("cleared_ha"): [_num(r["cleared_ha"], 1, lang) for r in rows],
                      R("loss_ha"): [_num(r["loss"], 1, lang) for r in rows],
                      R("lost_locations"): [", ".join(name_of.get(i, i) for i in r["lost"]) for r in rows]})
    return (f"<p>{html.escape(text)}</p><div class='table-wrap'>"
            f"{t.to_html(index=False, escape=True, border=0)}</div>")


def _goal(kf: dict, lang: str) -> str:
    R = lambda k: _R(k, lang)  # noqa: E731
    g = kf.get("goal")
    if not g:
        return f"<p class='note'>{html.escape(R('ev_goal_none'))}</p>"
    un, gv = g.get("unlimited") or {}, g.get("given") or {}

    def cost_text(r):
        c = money(r["cost_rp"], lang)
        if r.get("status") == "optimal":
            return f"{c} {R('ev_goal_proven')}"
        return f"{c} {R('ev_goal_not_proven').format(gap=_num(100 * (r.get('gap') or 0), 2, lang))}"

    has = lambda r: r.get("status") in ("optimal", "feasible_not_proven") and r.get("cost_rp") is not None  # noqa: E731
    if has(gv):
        given = R("ev_goal_given_ok").format(cost=cost_text(gv))
    elif gv.get("status") == "infeasible":
        given = R("ev_goal_given_no")
    else:  # stopped without a plan: not proven impossible
        given = R("ev_goal_given_unknown").format(status=value_label("status", gv.get("status"), lang))
    text = R("ev_goal_text").format(reachable=_num(g["reachable_ha"], 1, lang), slum=_num(g["slum_ha"], 1, lang),
                                    year=g["year"], unlimited=cost_text(un) if has(un) else "-", given=given)
    extra = []
    if g.get("unreachable"):
        extra.append(R("ev_goal_unreachable").format(names=join([u["name"] for u in g["unreachable"]], lang),
                                                     ha=_num(sum(u["area_ha"] for u in g["unreachable"]), 1, lang)))
    if g.get("via_legalisation"):
        v = g["via_legalisation"]
        extra.append(R("ev_goal_legalise").format(n=len(v), ha=_num(sum(x["area_ha"] for x in v), 1, lang),
                                                  cost=money(sum(x["legalisation_rp"] for x in v), lang)))
    return f"<p>{html.escape(' '.join([text] + extra))}</p>"


def _value(kf: dict, lang: str) -> str:
    R = lambda k: _R(k, lang)  # noqa: E731
    v = kf.get("value_of_optimisation")
    if not v:
        return f"<p class='note'>{html.escape(R('ev_value_none'))}</p>"
    if v.get("factor") is None:
        text = R("ev_value_never").format(factor=_num(v.get("lower_factor", 8.0), 0, lang))
    elif v["factor"] <= 1.0:
        text = R("ev_value_equal")
    else:
        text = R("ev_value_text").format(
            share=_num(100 * v["share"], 1, lang), what=R("what_" + v["kind"]),
            pct=_num(100 * (v["factor"] - 1), 1, lang), extra=money(v["extra_rp"], lang),
            needed=money(v["budget_needed_rp"], lang), gspent=money(v["greedy_spent_rp"], lang),
            ospent=money(v["optimiser_spent_rp"], lang))
    return f"<p class='value-of-optimisation'>{html.escape(text)}</p>"


def _robust(folder: Path, kf: dict, lang: str) -> str:
    R = lambda k: _R(k, lang)  # noqa: E731
    out = []
    ex = _csv(folder, "explanations")
    if ex is not None and "stays_down_to_factor" in ex:
        cl = ex[ex["status"] == "cleared"]
        stays = pd.to_numeric(cl["stays_down_to_factor"], errors="coerce")
        if len(cl) and stays.notna().any():
            cuts = _csv(folder, "cuts")
            pct = 0.8 if cuts is None or not len(cuts) else float(cuts["factor"].max())
            k = int((stays <= pct + 1e-9).sum())
            text = R("ev_robust_text").format(n=len(cl), k=k, pct=_num(100 * pct, 0, lang))
            out.append(f"<p>{html.escape(text)}</p>")
    out.append(f"<p>{html.escape(R('ev_robust_rank'))}</p>")
    return "".join(out)


def _warnings(kf: dict, lang: str) -> str:
    prov = list(dict.fromkeys(kf.get("provenance") or []))
    if not prov:
        return ""
    head, rest = prov[0], prov[1:]
    items = "".join(f"<li>{html.escape(p)}</li>" for p in rest)
    return (f"<div class='warning' role='note'><strong>{html.escape(_R('about_data', lang))}:</strong> "
            f"{html.escape(head)}" + (f"<ul>{items}</ul>" if items else "") + "</div>")


def render_report(folder, baseline: dict | str | Path | None = None) -> str:
    """The report page of one scenario folder.

    Parameters
    ----------
    folder : a scenario's output folder (what :func:`kotaku_decide.hearing.run.run_scenario` writes)
    baseline : the set's baseline scenario: its ``summary.json`` as a dict, or its folder; None when
        the scenario was run alone
    """
    folder = Path(folder)
    kf = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    run = json.loads((folder / "run.json").read_text(encoding="utf-8")) if (folder / "run.json").exists() else {}
    if isinstance(baseline, (str, Path)):
        baseline = json.loads((Path(baseline) / "summary.json").read_text(encoding="utf-8"))
    lang = kf.get("lang", "en")
    R = lambda k: _R(k, lang)  # noqa: E731
    H = lambda k: label("hearing", k, lang)  # noqa: E731
    esc = html.escape
    scores = _csv(folder, "scores")
    name_of = dict(zip(scores["location_id"].astype(str), scores["name"].astype(str))) if scores is not None else {}
    plan = _csv(folder, "plan")
    title = f"{H('report_title')}: {kf['name']}"
    out = [page_head(title, lang), f"<header><h1>{esc(title)}</h1>"]
    if kf.get("description"):
        out.append(f"<p class='subtitle'>{esc(kf['description'])}</p>")
    out.append("</header>")
    out.append(_warnings(kf, lang))
    # 1. what the scenario buys
    para = summary_paragraph(kf, plan, name_of, lang)
    vs = baseline_comparison(kf, baseline, name_of, lang)
    out += [f"<section id='summary'><h2>{esc(R('summary_title'))}</h2>",
            f"<p class='summary' id='summary-paragraph'>{esc(para)} <span class='vs-baseline'>{esc(vs)}</span></p>",
            _cards(kf, lang), "</section>"]
    # 2. where
    out += [f"<section id='maps'><h2>{esc(R('sec_maps'))}</h2>", _figure(folder, "plan_map", "", lang),
            _figure(folder, "location_map", "", lang), "</section>"]
    # 3. the evidence
    last = kf["years"][-1] if kf.get("years") else ""
    out += [f"<section id='evidence'><h2>{esc(R('sec_evidence'))}</h2>",
            f"<h3>{esc(R('ev_why'))}</h3>", _why(folder, lang),
            f"<h3>{esc(R('ev_cut'))}</h3>", _cuts(folder, kf, name_of, lang),
            f"<h3>{esc(R('ev_goal').format(year=(kf.get('goal') or {}).get('year', last)))}</h3>", _goal(kf, lang),
            f"<h3>{esc(R('ev_value'))}</h3>", _value(kf, lang),
            f"<h3>{esc(R('ev_robust'))}</h3>", _robust(folder, kf, lang),
            _figure(folder, "rank_intervals", "", lang), "</section>"]
    # 4. progress and money
    out += [f"<section id='progress'><h2>{esc(H('sec_progress'))}</h2>", _figure(folder, "slum_hectares_by_year"),
            f"<h2>{esc(H('sec_money'))}</h2>", _figure(folder, "money_by_source"), "</section>"]
    # 5. tables
    src = _source_names(run, lang)
    out.append(f"<section id='tables' class='tables'><h2>{esc(R('sec_tables'))}</h2>")
    yearly = _csv(folder, "yearly")
    if yearly is not None:
        out += [f"<h3>{esc(H('sec_progress'))}</h3>", _table(yearly, lang)]
    m = _csv(folder, "money")
    if m is not None:
        if "label" in m and src:
            m["label"] = [src.get(s, lab) for s, lab in zip(m["source"], m["label"])]
        out += [f"<h3>{esc(H('sec_money'))}</h3>", _table(m.drop(columns=["label"], errors="ignore"), lang,
                                                           source_names=src)]
    if plan is not None:
        out.append(f"<h3>{esc(R('plan_table'))}</h3>")
        if len(plan):
            p = plan.groupby(["location_id", "name", "year", "source"], as_index=False)["cost_rp"].sum()
            p["cost_rp"] = p["cost_rp"].round(0)
            out.append(_table(p, lang, source_names=src))
        else:
            out.append(f"<p>{esc(H('no_plan'))}</p>")
    ba = _csv(folder, "before_after")
    if ba is not None:
        cols = [c for c in ("location_id", "name", "area_ha", "total_before", "level_before", "total_after",
                            "level_after", "cleared_year", "cost_rp") if c in ba]
        out += [f"<h3>{esc(H('sec_before_after'))}</h3>", _table(ba[cols], lang)]
    ranks = _csv(folder, "ranks")
    if ranks is not None:
        cols = [c for c in ("rank", "location_id", "name", "slum_level", "score", "official_rank", "p_first",
                            "rank_p05", "rank_median", "rank_p95") if c in ranks]
        out += [f"<h3>{esc(R('top_ranks'))}</h3>", _table(ranks[cols].head(20), lang)]
    cons = _csv(folder, "consistency")
    if cons is not None and len(cons):
        out += [f"<h3>{esc(R('consistency'))}</h3>", _table(cons, lang)]
    out.append("</section>")
    # 6. how the plan was found
    gap = kf.get("gap")
    checks = kf.get("checks_failed", 0)
    solver = R("solver_text").format(status=value_label("status", kf.get("status"), lang),
                                     proven=value_label("boolean", bool(kf.get("proven_optimal")), lang),
                                     gap="-" if gap is None else f"{_num(100 * gap, 4, lang)} %",
                                     checks=R("checks_ok") if not checks else R("checks_failed").format(n=checks))
    value, bound, kind = kf.get("objective_value"), kf.get("best_bound"), kf.get("objective")
    if value is not None and bound is not None and kind == "least_cost":  # the model counts million Rp
        solver += " " + R("solver_value_min").format(value=money(1e6 * value, lang), bound=money(1e6 * bound, lang))
    elif value is not None and bound is not None and kind in ("hectares", "households"):
        solver += " " + R("solver_value_max").format(value=_num(value, 2, lang), bound=_num(bound, 2, lang),
                                                     unit=R(f"unit_{kind}"))
    out += [f"<section id='solver'><h2>{esc(R('sec_solver'))}</h2><p>{esc(solver)}</p>"]
    over = run.get("scenario_overrides")
    if over:
        import yaml

        out += [f"<h3>{esc(H('sec_parameters'))}</h3>",
                f"<pre>{esc(yaml.safe_dump(over, sort_keys=False, allow_unicode=True))}</pre>",
                f"<p class='note'>{esc(H('full_scenario'))} run.json</p>"]
    out.append("</section>")
    out.append(f"<footer>{esc(R('generated').format(version=__version__, date=date.today().isoformat()))}</footer>")
    out.append("</main></body></html>")
    return "\n".join(x for x in out if x)


def _source_names(run: dict, lang: str) -> dict:
    from .tables import source_labels

    try:
        rules = run["inputs"]["funding_rules"]["path"]
        return source_labels(rules, lang)
    except (KeyError, OSError, ValueError, TypeError):
        return {}


def write_report(folder, baseline=None) -> Path:
    """Write ``folder/report.html`` atomically (see :func:`render_report`)."""
    folder = Path(folder)
    text = render_report(folder, baseline)
    with atomic_path(folder / "report.html") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return folder / "report.html"
