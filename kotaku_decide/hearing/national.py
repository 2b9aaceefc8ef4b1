"""The national summary page, in the hearing-report style (no code, no network, both languages).

Rendered from the tables a national run wrote (:func:`kotaku_decide.national.outputs.write_national`):
one paragraph saying what the plan buys and how far it is proven from the best possible, cards,
the envelope prices, the provinces, the money by province and source, the slum hectares left per
year and the method. Every word comes from the label catalogues (``national`` section).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from ..data.labels import label
from ..data.writers import atomic_path
from ..evidence.text import money
from .page import page_head
from .tables import format_number

__all__ = ["render_national", "write_national_pages"]


def _N(key: str, lang: str) -> str:
    return label("national", key, lang)


def _table(df: pd.DataFrame, cols: dict, lang: str, money_cols=(), num_cols=None) -> str:
    num_cols = num_cols or {}
    head = "".join(f"<th class='{'num' if c in money_cols or c in num_cols else ''}'>{html.escape(_N(k, lang))}</th>"
                   for c, k in cols.items())
    body = []
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c in money_cols:
                cells.append(f"<td class='num'>{html.escape(money(float(v), lang))}</td>")
            elif c in num_cols:
                cells.append(f"<td class='num'>{format_number(float(v), num_cols[c], lang)}</td>")
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='table-wrap'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def render_national(folder, lang: str = "en") -> str:
    """The summary page's HTML from a national run's folder."""
    folder = Path(folder)
    rd = lambda n: pd.read_csv(folder / f"{n}.csv")  # noqa: E731
    rep = rd("solve_report").iloc[0]
    yearly, prices, cities = rd("yearly"), rd("prices"), rd("cities")
    hp, mp, money_t = rd("hectares_by_province"), rd("money_by_province"), rd("money")
    years = [int(y) for y in yearly["year"] if y >= yearly["year"].min() + 1]
    base = yearly.iloc[0]
    last = yearly.iloc[-1]
    cleared = float(base["slum_ha"] - last["slum_ha"])
    fmt = lambda x, d=0: format_number(float(x), d, lang)  # noqa: E731
    synthetic = "SYNTHETIC" in str(rep.get("data_status", ""))
    para = _N("summary", lang).format(
        budget=money(float(money_t["budget_rp"].sum()), lang), years=f"{years[0]}-{years[-1]}",
        n_cities=len(cities), n_prov=cities["province"].nunique(), cleared=fmt(cleared, 1) + " ha",
        slum=fmt(base["slum_ha"], 1) + " ha", last=years[-1], ha_years=fmt(rep["objective_ha_years"], 1),
        bound=fmt(rep["best_bound"], 1), gap=fmt(100 * float(rep["gap"]), 2) + " %",
        greedy=fmt(rep["greedy_ha_years"], 1), ratio=fmt(rep["plan_over_greedy"], 3))
    title = _N("title", lang)
    out = [page_head(title, lang), f"<h1>{html.escape(title)}</h1>",
           f"<p class='subtitle'>{html.escape(_N('subtitle', lang))}</p>"]
    if synthetic:
        out.append(f"<div class='warning'><strong>{html.escape(_N('synthetic', lang))}</strong></div>")
    out.append(f"<p class='summary'>{html.escape(para)}</p>")
    spent = float(money_t["used_rp"].sum())
    cards = [(fmt(cleared, 1) + " ha", _N("card_cleared", lang)), (fmt(100 * float(rep["gap"]), 2) + " %",
                                                                   _N("card_gap", lang)),
             (money(spent, lang), _N("card_spent", lang)), (str(len(cities)), _N("card_cities", lang))]
    out.append("<div class='cards'>" + "".join(f"<div class='card'><div class='v'>{html.escape(v)}</div>"
                                               f"<div class='k'>{html.escape(k)}</div></div>" for v, k in cards)
               + "</div>")
    n_bad = int(rep.get("checker_violations", 0) or 0)
    ck = _N("checker_ok", lang) if n_bad == 0 else _N("checker_bad", lang).format(n=n_bad)
    out.append(f"<p>{html.escape(ck)}</p>")
    out.append(f"<h2>{html.escape(_N('prices_title', lang))}</h2>"
               f"<p class='note'>{html.escape(_N('prices_note', lang))}</p>")
    out.append(_table(prices, {"source": "col_source", "scope": "col_scope", "year": "col_year",
                               "budget_rp": "col_budget", "ha_years_per_bn_rp": "col_price"}, lang,
                      money_cols=("budget_rp",), num_cols={"ha_years_per_bn_rp": 2}))
    out.append(f"<h2>{html.escape(_N('years_title', lang))}</h2>")
    out.append(_table(yearly.rename(columns={"slum_ha": "left"}), {"year": "col_year", "left": "col_left"}, lang,
                      num_cols={"left": 1}))
    out.append(f"<h2>{html.escape(_N('provinces_title', lang))}</h2>")
    hl = hp[hp["year"] == hp["year"].max()]
    out.append(_table(hl, {"province": "col_province", "slum_ha_before": "col_slum_before",
                           "cleared_ha_by_year": "col_cleared", "slum_ha_left": "col_left"}, lang,
                      num_cols={"slum_ha_before": 1, "cleared_ha_by_year": 1, "slum_ha_left": 1}))
    out.append(f"<h2>{html.escape(_N('money_title', lang))}</h2>")
    out.append(_table(mp, {"province": "col_province", "source": "col_source", "year": "col_year",
                           "used_rp": "col_used"}, lang, money_cols=("used_rp",)))
    out.append(f"<h2>{html.escape(_N('cities_title', lang))}</h2>")
    top = cities.sort_values(["plan_ha_years", "city"], ascending=[False, True]).head(20)
    out.append(_table(top, {"city": "col_city", "province": "col_province", "locations": "col_locations",
                            "plan_ha_years": "col_plan", "greedy_ha_years": "col_greedy", "spend_rp": "col_spend",
                            "plan_from": "col_from"}, lang, money_cols=("spend_rp",),
                      num_cols={"plan_ha_years": 1, "greedy_ha_years": 1, "locations": 0}))
    out.append(f"<h2>{html.escape(_N('method_title', lang))}</h2><p>{html.escape(_N('method', lang))}</p>")
    out.append(f"<footer>{html.escape(str(rep.get('data_status', '')))}</footer></main></body></html>")
    return "\n".join(out)


def write_national_pages(folder) -> list[Path]:
    """``summary_en.html`` and ``summary_id.html`` in a national run's folder."""
    folder = Path(folder)
    paths = []
    for lang in ("en", "id"):
        p = folder / f"summary_{lang}.html"
        with atomic_path(p) as tmp:
            tmp.write_text(render_national(folder, lang), encoding="utf-8")
        paths.append(p)
    return paths
