"""Baseline figures (seaborn / matplotlib), readable on a projector, labelled from the catalogues.

Each function takes a scored table (:func:`kotaku_decide.scoring.score_table`) and returns a
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

from .labels import label
from .profiles import SLUM_LEVELS, Profile

__all__ = ["LEVEL_COLOURS", "hectares_by_kecamatan", "score_distribution", "location_map", "save_figure"]

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
        ax.set_xlabel("lon")
        ax.set_ylabel("lat")
        ax.set_aspect("equal", adjustable="datalim")
        ax.legend(loc="best", frameon=True)
        ax.set_title(label("columns", "slum_level", lang))
    return fig


def save_figure(fig: Figure, path, dpi: int = 150) -> None:
    """Save as PNG atomically (a failed save leaves no partial file)."""
    from .report import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
