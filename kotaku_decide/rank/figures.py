"""Figures for a budget hearing: rank intervals, criterion heatmap, ranks across methods.

Every function builds a :class:`matplotlib.figure.Figure` on the Agg canvas (no GUI backend, not
registered with ``pyplot``, so it is safe in scripts, servers and notebooks) and returns it;
save it with ``fig.savefig(path, dpi=150)``. Fonts are large for a projector (seaborn "talk"
context). All visible text comes from parameters so the package can pass Indonesian labels;
the defaults are English.
"""

from __future__ import annotations

import textwrap
from typing import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .weights import RankInputError, criteria_frame

__all__ = ["rank_interval_chart", "criteria_heatmap", "method_comparison_chart"]

_CONTEXT = "talk"


def _new_figure(width: float, height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def _labels_of(table: pd.DataFrame, label_col: str | None) -> list[str]:
    if label_col is not None:
        if label_col not in table.columns:
            raise RankInputError(f"no column '{label_col}' for the labels; have {list(table.columns)}")
        return [str(v) for v in table[label_col]]
    return [str(v) for v in table.index]


def rank_interval_chart(table: pd.DataFrame, *, label_col: str | None = None, top: int | None = 30,
                        median_col: str = "rank_median", low_col: str = "rank_p05",
                        high_col: str = "rank_p95", title: str = "How certain is each rank?",
                        xlabel: str = "Rank (1 = handle first)", ylabel: str = "",
                        median_label: str = "median rank", interval_label: str = "90 % interval",
                        font_scale: float = 1.1) -> Figure:
    """Median rank and 90 % rank interval per location, sorted by median rank.

    Parameters
    ----------
    table : DataFrame
        From :func:`kotaku_decide.rank.robustness.smaa` (``SMAAResult.table``), possibly joined
        with names.
    label_col : str, optional
        Column with the location names (default the index).
    top : int, optional
        Show the ``top`` locations with the best median rank (default 30; None = all).

    Returns
    -------
    Figure
    """
    for c in (median_col, low_col, high_col):
        if c not in table.columns:
            raise RankInputError(f"rank_interval_chart needs column '{c}'")
    labels = _labels_of(table, label_col)
    t = table.assign(_label=labels, _pos=np.arange(len(table)))
    sort_cols = [median_col] + (["rank_mean"] if "rank_mean" in t.columns else []) + ["_pos"]
    t = t.sort_values(sort_cols, kind="mergesort")
    if top is not None:
        t = t.head(top)
    k = len(t)
    with sns.plotting_context(_CONTEXT, font_scale=font_scale), sns.axes_style("whitegrid"):
        fig, ax = _new_figure(11, max(4.0, 0.42 * k + 1.8))
        y = np.arange(k)
        ax.hlines(y, t[low_col], t[high_col], color=sns.color_palette()[0], linewidth=4,
                  alpha=0.55, label=interval_label)
        sns.scatterplot(x=t[median_col].to_numpy(float), y=y, ax=ax, s=110, zorder=3,
                        color=sns.color_palette()[3], label=median_label)
        ax.set_yticks(y, t["_label"].tolist())
        ax.set_ylim(k - 0.5, -0.5)
        ax.set_xlim(left=0.5)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 if k > 8 else -0.25), ncol=2,
                  frameon=False)
    return fig


def criteria_heatmap(table: pd.DataFrame, criteria, *, value: str = "score", label_col: str | None = "name",
                     order: Sequence | None = None, top: int | None = 40,
                     aspect_labels: Mapping[str, str] | None = None,
                     criterion_labels: Mapping[str, str] | None = None,
                     title: str = "Criterion scores by location", cbar_label: str | None = None,
                     annotate: bool | None = None, cmap: str = "rocket_r",
                     font_scale: float = 1.0) -> Figure:
    """Heatmap of criterion scores (or shares) by location, criteria grouped by aspect.

    Parameters
    ----------
    table : DataFrame
        Scored table with ``score_<code>`` / ``pct_<code>`` columns.
    criteria : Profile or criteria DataFrame (``code``, ``aspect``)
    value : {"score", "pct"}
        Official 0/1/3/5 scores or shares in %.
    label_col : str, optional
        Row labels (default ``name``; falls back to the index when missing).
    order : sequence, optional
        Row order as index labels of ``table`` (e.g. sorted by rank); default table order.
    top : int, optional
        Show the first ``top`` rows of that order.
    aspect_labels, criterion_labels : mapping, optional
        Display names of aspects (drawn above the columns) and criteria (column ticks).

    Returns
    -------
    Figure
    """
    crit = criteria_frame(criteria)
    if value not in ("score", "pct"):
        raise RankInputError(f"value must be 'score' or 'pct'; got {value!r}")
    cols = [f"{value}_{c}" for c in crit["code"]]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise RankInputError(f"criteria_heatmap: table lacks columns {missing}")
    t = table.loc[list(order)] if order is not None else table
    if top is not None:
        t = t.head(top)
    lab_col = label_col if (label_col is not None and label_col in t.columns) else None
    data = t[cols].apply(pd.to_numeric, errors="coerce")
    data.index = _labels_of(t, lab_col)
    data.columns = [(criterion_labels or {}).get(c, c) for c in crit["code"]]
    if annotate is None:
        annotate = value == "score" and data.shape[0] <= 40
    if cbar_label is None:
        cbar_label = "score (0/1/3/5)" if value == "score" else "share (%)"
    vmax = 5 if value == "score" else 100
    with sns.plotting_context(_CONTEXT, font_scale=font_scale), sns.axes_style("white"):
        fig, ax = _new_figure(max(10.0, 0.75 * len(cols) + 4), max(4.0, 0.4 * len(t) + 3))
        sns.heatmap(data, ax=ax, cmap=cmap, vmin=0, vmax=vmax, annot=annotate,
                    fmt=".0f", linewidths=0.5, linecolor="white",
                    cbar_kws={"label": cbar_label})
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_title(title, pad=64)
        # aspect names above their criteria, separators between aspects
        aspects = crit["aspect"].tolist()
        start = 0
        for i in range(1, len(aspects) + 1):
            if i == len(aspects) or aspects[i] != aspects[start]:
                if start > 0:
                    ax.axvline(start, color="black", linewidth=2)
                name = (aspect_labels or {}).get(aspects[start], aspects[start])
                name = "\n".join(textwrap.wrap(str(name), width=max(6, 7 * (i - start)))) or ""
                ax.text((start + i) / 2, -0.3, name, ha="center", va="bottom",
                        fontsize=mpl.rcParams["font.size"] * 0.7, rotation=0,
                        transform=ax.transData, clip_on=False)
                start = i
    return fig


def method_comparison_chart(rank_table: pd.DataFrame, *, labels: Sequence[str] | None = None,
                            top: int | None = 15, method_labels: Mapping[str, str] | None = None,
                            title: str = "Rank by method", xlabel: str = "",
                            ylabel: str = "Rank (1 = handle first)", font_scale: float = 1.0) -> Figure:
    """Bump chart: each location's rank under each method (columns of ``rank_table``).

    Parameters
    ----------
    rank_table : DataFrame
        One rank column per method (e.g. from :func:`kotaku_decide.rank.methods.rank_all_methods`).
    labels : sequence of str, optional
        Location names in the table's row order (default the index).
    top : int, optional
        Show the locations in the top ``top`` of any method (default 15).
    method_labels : mapping, optional
        Display names of the methods (column names by default).

    Returns
    -------
    Figure
    """
    if rank_table.shape[1] < 1:
        raise RankInputError("method_comparison_chart needs at least one rank column")
    names = [str(v) for v in (labels if labels is not None else rank_table.index)]
    if len(names) != len(rank_table):
        raise RankInputError(f"{len(names)} labels for {len(rank_table)} rows")
    r = rank_table.copy()
    r.index = names
    if top is not None:
        r = r[(r <= top).any(axis=1)]
    methods = list(r.columns)
    disp = [(method_labels or {}).get(m, m) for m in methods]
    long = (r.set_axis(disp, axis=1).rename_axis("location").reset_index()
             .melt(id_vars="location", var_name="method", value_name="rank"))
    with sns.plotting_context(_CONTEXT, font_scale=font_scale), sns.axes_style("whitegrid"):
        fig, ax = _new_figure(max(9.0, 2.6 * len(methods) + 4), max(5.0, 0.38 * len(r) + 2.5))
        palette = sns.color_palette("husl", n_colors=max(len(r), 1))
        sns.lineplot(data=long, x="method", y="rank", hue="location", marker="o", markersize=10,
                     linewidth=2.5, palette=palette, legend=False, ax=ax, sort=False)
        for (name, row), colour in zip(r.iterrows(), palette):
            ax.annotate(name, xy=(len(disp) - 1, row.iloc[-1]), xytext=(8, 0),
                        textcoords="offset points", va="center", color=colour,
                        fontsize=mpl.rcParams["font.size"] * 0.8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.invert_yaxis()
        ax.set_xlim(-0.2, len(disp) - 1 + 0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    return fig
