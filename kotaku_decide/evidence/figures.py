"""Evidence figures on the Agg canvas (no pyplot state), labelled from the catalogues (``lang``).

* :func:`frontier` - slum hectares cleared against the budget, knees marked, current budget line;
* :func:`money_waterfall` - money by source and year as a cumulative (waterfall) bar chart;
* :func:`why_chart` - benefit per rupiah of each slum location against the plan's cut-off;
* :func:`probability_bars` - probability of being funded, robust core (90 %) marked.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .text import L, source_name

__all__ = ["frontier", "money_waterfall", "why_chart", "probability_bars"]

_RC = {"font.size": 13, "axes.titlesize": 16, "axes.labelsize": 14, "legend.fontsize": 12}
_PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


def _figure(w, h):
    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def frontier(sweep: pd.DataFrame, lang: str = "en", current_total_rp: float | None = None) -> Figure:
    """Frontier: cleared hectares (and households served, right axis) against the budget [Rp bn]."""
    src = sweep.attrs.get("source")
    x = (sweep["source_budget_rp"] if src else sweep["total_budget_rp"]).to_numpy(float) / 1e9
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 6)
        ax.plot(x, sweep["cleared_ha"], "-o", color="#8c2d04", lw=2.5, label=L("frontier_y", lang))
        k = sweep["knee"].to_numpy(bool) | sweep["main_knee"].to_numpy(bool)
        if k.any():
            ax.scatter(x[k], sweep["cleared_ha"].to_numpy(float)[k], s=220, facecolor="none", edgecolor="black", lw=2,
                       zorder=5, label=L("knee", lang))
        if current_total_rp is not None:
            ax.axvline(current_total_rp / 1e9, color="#555555", ls="--", lw=1.5, label=L("current_budget", lang))
        ax.set_xlabel(L("frontier_x_source", lang).format(source=source_name(src, lang)) if src
                      else L("frontier_x", lang))
        ax.set_ylabel(L("frontier_y", lang))
        ax.set_title(L("frontier_title", lang))
        ax2 = ax.twinx()
        ax2.plot(x, sweep["households_served"], ":", color="#2171b5", lw=2, label=L("frontier_y2", lang))
        ax2.set_ylabel(L("frontier_y2", lang), color="#2171b5")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="lower right", frameon=False)
        ax.grid(alpha=0.3)
    return fig


def money_waterfall(money: pd.DataFrame, lang: str = "en") -> Figure:
    """Cumulative money used, one step per source and year (``money``: ``source, year, cost_rp``)."""
    m = money.groupby(["year", "source"], as_index=False)["cost_rp"].sum().sort_values(["year", "source"])
    m = m[m["cost_rp"] > 0]
    srcs = sorted(m["source"].unique())
    col = {s: _PALETTE[k % len(_PALETTE)] for k, s in enumerate(srcs)}
    with plt.rc_context(_RC):
        fig, ax = _figure(max(10, 0.55 * len(m) + 4), 6)
        bottom = 0.0
        for j, r in enumerate(m.itertuples()):
            v = r.cost_rp / 1e9
            ax.bar(j, v, bottom=bottom, color=col[r.source], edgecolor="black", lw=0.5)
            bottom += v
        ax.bar(len(m), bottom, color="#3b3b3b")
        ax.set_xticks(range(len(m) + 1))
        ax.set_xticklabels([f"{source_name(r.source, lang)}\n{r.year}" for r in m.itertuples()] + ["Σ"], fontsize=9)
        for s in srcs:
            ax.bar(0, 0, color=col[s], label=source_name(s, lang))
        ax.legend(loc="upper left", frameon=False, ncol=2)
        ax.set_ylabel(L("waterfall_y", lang))
        ax.set_title(L("waterfall_title", lang))
        ax.grid(axis="y", alpha=0.3)
    return fig


def why_chart(table: pd.DataFrame, lang: str = "en") -> Figure:
    """Horizontal bars: hectares per Rp bn of each slum location's cheapest package; the cut-off line."""
    t = table[table["slum"] & table["ha_per_bn"].notna()].sort_values("ha_per_bn")
    cleared = t["status"].eq("cleared").to_numpy()
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 0.38 * len(t) + 2.5)
        ax.barh(t["name"], t["ha_per_bn"], color=np.where(cleared, "#1b9e77", "#bdbdbd"), edgecolor="black", lw=0.4)
        cut = t["cutoff_ha_per_bn"].dropna()
        if len(cut):
            ax.axvline(float(cut.iloc[0]), color="#8c2d04", ls="--", lw=2, label=L("cutoff", lang))
        ax.barh([t["name"].iloc[0]] if len(t) else [], [0], color="#1b9e77", label=L("cleared", lang))
        ax.barh([t["name"].iloc[0]] if len(t) else [], [0], color="#bdbdbd", label=L("not_cleared", lang))
        ax.set_xscale("log")
        ax.set_xlabel(L("why_x", lang))
        ax.set_title(L("why_title", lang))
        ax.legend(loc="lower right", frameon=False)
    return fig


def probability_bars(per_location: pd.DataFrame, lang: str = "en", core: float = 0.9) -> Figure:
    """Probability of being cleared per location: by the last year (the bar, coloured by the core
    threshold) and, where the table has ``p_cleared_<year>`` columns, by each earlier year (darker
    bars drawn over it), so that a planner sees both *whether* and *how early*."""
    t = per_location.sort_values(["p_cleared"] + sorted(c for c in per_location if c.startswith("p_cleared_")))
    years = sorted(int(c.rsplit("_", 1)[1]) for c in t.columns if c.startswith("p_cleared_"))
    with plt.rc_context(_RC):
        fig, ax = _figure(11, 0.38 * len(t) + 2.8)
        ax.barh(t["name"], t["p_cleared"], color=np.where(t["p_cleared"] >= core, "#1b9e77", "#fdae6b"),
                edgecolor="black", lw=0.4, label=L("prob_by", lang).format(year=years[-1]) if years else None)
        early = years[:-1]
        shades = plt.get_cmap("Greys")(np.linspace(0.8, 0.4, max(len(early), 1)))
        heights = np.linspace(0.3, 0.6, max(len(early), 1))
        for k in reversed(range(len(early))):  # later years first, the earliest (darkest, thinnest) on top
            ax.barh(t["name"], t[f"p_cleared_{early[k]}"], height=heights[k], color=shades[k], edgecolor="none",
                    label=L("prob_by", lang).format(year=early[k]))
        ax.axvline(core, color="black", ls="--", lw=1.5, label=L("core", lang))
        ax.set_xlim(0, 1)
        ax.set_xlabel(L("prob_x", lang))
        ax.set_title(L("prob_title", lang))
        ax.legend(loc="lower right", frameon=True, framealpha=0.9)
    return fig
