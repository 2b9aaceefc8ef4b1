"""Baseline figures (seaborn / matplotlib), readable on a projector, labelled from the catalogues.

Each function takes a scored table (:func:`kotaku_decide.score.scoring.score_table`) and returns a
matplotlib Figure on the Agg canvas, not registered with ``pyplot`` (safe on servers; a notebook
displays the returned figure once). Nothing is shown or saved here. The ranking figures are in
:mod:`kotaku_decide.rank.figures`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..data.labels import label
from ..data.profiles import SLUM_LEVELS, Profile
from .tables import format_number

__all__ = ["LEVEL_COLOURS", "hectares_by_kecamatan", "score_distribution", "location_map",
           "slum_hectares_by_year", "money_by_source", "scenario_progress", "money_by_scenario", "funding_changes"]

#: one colour per slum level, from dark red (berat) to grey (not slum); colour-blind-safe ordering
LEVEL_COLOURS = {"berat": "#8c2d04", "sedang": "#e6550d", "ringan": "#fdae6b", "tidak_kumuh": "#bdbdbd"}
_RC = {"font.size": 13, "axes.titlesize": 16, "axes.labelsize": 14, "legend.fontsize": 12}


def _figure(width: float, height: float):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _level_label(v, lang):
    return label("slum_level", v, lang)


def hectares_by_kecamatan(scored: pd.DataFrame, lang: str = "en") -> Figure:
    """Stacked horizontal bars: slum hectares per kecamatan, by level."""
    t = scored.pivot_table(index="kecamatan", columns="slum_level", values="area_ha", aggfunc="sum",
                           observed=False, fill_value=0.0).reindex(columns=list(SLUM_LEVELS), fill_value=0.0)
    t = t.loc[t.sum(axis=1).sort_values().index]
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 0.6 * len(t) + 2.5)
        left = np.zeros(len(t))
        for lv in SLUM_LEVELS:
            ax.barh(t.index, t[lv], left=left, color=LEVEL_COLOURS[lv], label=_level_label(lv, lang))
            left += t[lv].to_numpy()
        ax.set_xlabel(label("columns", "hectares", lang))
        ax.set_title(label("text", "summary_by_kecamatan", lang))
        ax.legend(loc="lower right", frameon=False)
        sns.despine(ax=ax)
    return fig


def score_distribution(scored: pd.DataFrame, profile: Profile, lang: str = "en") -> Figure:
    """Histogram of total scores with the level bands shaded."""
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 5)
        tb = profile.total_bands.set_index("slum_level")
        for lv in SLUM_LEVELS:
            ax.axvspan(tb.loc[lv, "min_total"] - 0.5, tb.loc[lv, "max_total"] + 0.5, color=LEVEL_COLOURS[lv], alpha=0.25,
                       label=_level_label(lv, lang), lw=0)
        sns.histplot(scored["total_score"], bins=np.arange(-0.5, profile.max_total + 1.5, 1), ax=ax, color="#3b3b3b")
        ax.set_xlim(-0.5, max(profile.max_total, scored["total_score"].max()) + 0.5)
        ax.set_xlabel(label("columns", "total_score", lang))
        ax.set_ylabel(label("columns", "n_locations", lang))
        ax.set_title(f"{label('columns', 'total_score', lang)} ({profile.name})")
        ax.legend(loc="upper right", frameon=False)
        sns.despine(ax=ax)
    return fig


def location_map(scored: pd.DataFrame, lang: str = "en") -> Figure:
    """Locations by ``lat``/``lon``, coloured by slum level, sized by area (no background tiles: offline).

    A quick scatter on bare axes; the reports and notebooks draw :func:`kotaku_decide.hearing.maps.location_map`
    (polygons or circles to scale, kecamatan context, labels placed without collisions).

    Raises ValueError if the table has no coordinates.
    """
    if not {"lat", "lon"} <= set(scored.columns) or scored[["lat", "lon"]].isna().all().any():
        raise ValueError("the table has no lat/lon coordinates to map")
    d = scored.dropna(subset=["lat", "lon"])
    with plt.rc_context(_RC):
        fig, ax = _figure(10, 9)
        for lv in SLUM_LEVELS:
            s = d[d["slum_level"] == lv]
            if len(s):
                ax.scatter(s["lon"], s["lat"], s=30 + 12 * s["area_ha"], color=LEVEL_COLOURS[lv], alpha=0.85,
                           edgecolor="black", linewidth=0.5, label=_level_label(lv, lang))
        for r in d.itertuples():
            ax.annotate(str(r.location_id), (r.lon, r.lat), fontsize=8, xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel(label("columns", "lon", lang))
        ax.set_ylabel(label("columns", "lat", lang))
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(loc="best", frameon=True)
        ax.set_title(label("columns", "slum_level", lang))
    return fig


def slum_hectares_by_year(yearly: pd.DataFrame, lang: str = "en") -> Figure:
    """Slum hectares left at the baseline and at the end of each plan year (bars), with the drinking-water
    and sanitation shares (lines, right axis): the 0 and the two 100s of 100-0-100."""
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 5.5)
        x = np.arange(len(yearly))
        names = [label("hearing", "baseline", lang) if r.label == "baseline" else str(int(r.year))
                 for r in yearly.itertuples()]
        bars = ax.bar(x, yearly["slum_ha"], color=LEVEL_COLOURS["sedang"], width=0.6,
                      label=label("hearing", "slum_ha_left", lang))
        ax.bar_label(bars, labels=[format_number(v, 1, lang) for v in yearly["slum_ha"]], padding=3)
        ax.set_xticks(x, names)
        ax.set_ylabel(label("columns", "hectares", lang))
        ax2 = ax.twinx()
        ax2.plot(x, yearly["water_share_pct"], marker="o", color="#2171b5", lw=2.5,
                 label=label("hearing", "water_share", lang))
        ax2.plot(x, yearly["sanitation_share_pct"], marker="s", color="#238b45", lw=2.5,
                 label=label("hearing", "sanitation_share", lang))
        ax2.set_ylim(0, 100)
        ax2.set_ylabel("%")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper right", frameon=True)
        ax.set_title(label("hearing", "progress_title", lang))
        sns.despine(ax=ax, right=False)
    return fig


def money_by_source(money: pd.DataFrame, lang: str = "en") -> Figure:
    """Money used and left per source and year [Rp billion] (stacked: used, then left)."""
    m = money.copy()
    m["key"] = m["label"].astype(str).str.split("(").str[0].str.strip() + " " + m["year"].astype(str)
    with plt.rc_context(_RC):
        fig, ax = _figure(12, 0.45 * len(m) + 2.5)
        y = np.arange(len(m))[::-1]
        ax.barh(y, m["used_rp"] / 1e9, color="#08519c", label=label("hearing", "used", lang))
        ax.barh(y, m["left_rp"] / 1e9, left=m["used_rp"] / 1e9, color="#c6dbef", label=label("hearing", "left", lang))
        ax.set_yticks(y, m["key"])
        ax.set_xlabel(label("hearing", "rp_billion", lang))
        ax.set_title(label("hearing", "money_title", lang))
        ax.legend(loc="lower right", frameon=True)
        sns.despine(ax=ax)
    return fig


def scenario_progress(comparison: pd.DataFrame, lang: str = "en") -> Figure:
    """Slum hectares left by year, one line per scenario (from a batch's comparison table)."""
    cols = sorted(c for c in comparison.columns if c.startswith("slum_ha_left_"))
    years = [c.rsplit("_", 1)[-1] for c in cols]
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 6)
        palette = sns.color_palette("colorblind", len(comparison))
        for colour, r in zip(palette, comparison.itertuples(index=False)):
            vals = [r.slum_ha_baseline] + [getattr(r, c) for c in cols]
            ax.plot([label("hearing", "baseline", lang)] + years, vals, marker="o", lw=2.5, color=colour,
                    label=r.scenario)
        ax.set_ylabel(label("hearing", "slum_ha_left", lang))
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper right", frameon=True)
        ax.set_title(label("hearing", "comparison_title", lang))
        sns.despine(ax=ax)
    return fig


def money_by_scenario(money: dict, lang: str = "en") -> Figure:
    """Money used over the whole horizon by source, one stacked bar per scenario [Rp billion]
    (``money``: scenario name -> its ``money.csv`` table)."""
    from .tables import source_short_name

    used = pd.DataFrame({n: m.groupby("source")["used_rp"].sum() for n, m in money.items()}).fillna(0.0).T / 1e9
    used = used[used.sum().sort_values(ascending=False).index]
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 0.55 * len(used) + 2.6)
        y = np.arange(len(used))[::-1]
        left = np.zeros(len(used))
        palette = sns.color_palette("colorblind", len(used.columns))
        for colour, s in zip(palette, used.columns):
            ax.barh(y, used[s], left=left, color=colour, label=source_short_name(s, lang))
            left += used[s].to_numpy()
        for yy, total in zip(y, left):
            ax.text(total, yy, " " + format_number(total, 1, lang), va="center", fontsize=11)
        ax.set_yticks(y, used.index)
        ax.set_xlabel(label("report", "cmp_money_x", lang))
        ax.set_xlim(0, left.max() * 1.15 if len(left) and left.max() > 0 else 1)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(6, len(used.columns)), frameon=False)
        sns.despine(ax=ax)
    return fig


def funding_changes(changed: pd.DataFrame, names: dict | None = None, lang: str = "en") -> Figure:
    """Locations (rows) whose funding differs between scenarios (columns): a filled square where the
    scenario funds the location, an empty one where it does not."""
    names = names or {}
    rows = [f"{names.get(str(i), i)} ({i})" if names.get(str(i)) else str(i) for i in changed.index]
    with plt.rc_context(_RC):
        fig, ax = _figure(min(4 + 1.3 * changed.shape[1], 12), 0.42 * len(changed) + 2.2)
        for j, c in enumerate(changed.columns):
            for i, v in enumerate(changed[c].to_numpy(bool)):
                ax.scatter(j, -i, marker="s", s=180, color="#08519c" if v else "white", edgecolor="#08519c",
                           linewidth=1.4)
        ax.set_xticks(range(changed.shape[1]), changed.columns, rotation=30, ha="right")
        ax.set_yticks([-i for i in range(len(rows))], rows)
        ax.set_xlim(-0.6, changed.shape[1] - 0.4)
        ax.set_ylim(-len(rows) + 0.4, 0.6)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for sp in ax.spines.values():
            sp.set_visible(False)
        from matplotlib.lines import Line2D

        ax.legend(handles=[Line2D([], [], marker="s", ls="", color="#08519c", markersize=11,
                                  label=label("report", "cmp_funded", lang)),
                           Line2D([], [], marker="s", ls="", markerfacecolor="white", markeredgecolor="#08519c",
                                  markersize=11, label=label("report", "cmp_not_funded", lang))],
                  loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, frameon=False)
    return fig
