"""Maps for the hearing: where the slum locations are, and what the plan does where and when.

Two maps, drawn with matplotlib only (no background tiles: a report opens offline):

* :func:`location_map` every location coloured by slum level; its delineation polygon where the city
  supplies one (:func:`kotaku_decide.data.boundaries.read_boundaries`), else a circle at its
  ``lat`` / ``lon`` sized by its area;
* :func:`plan_map` every location coloured by the year the plan clears it, hatched where it gets works
  but stays a slum, hollow where it is a slum and gets nothing.

For context each kecamatan is drawn as a light outline around its locations (the hull of its
locations, not an administrative boundary: the toolkit ships no kecamatan polygons) with its name.
Location labels are placed by :func:`place_labels`, a greedy search of our own that tries positions
around each location (nearest first, leader line when moved away) and keeps a label only where it
overlaps no other label, no other location's marker and stays inside the map; a label that finds no
free place is listed under the map instead of being drawn over another. Synthetic polygons or
coordinates are said on the map itself.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..data.labels import label
from ..data.profiles import SLUM_LEVELS
from .figures import LEVEL_COLOURS

__all__ = ["location_map", "plan_map", "place_labels", "map_geometries", "YEAR_COLOURS"]

#: cleared-by-year colours (earliest darkest), then "works, still slum" and "not funded"
YEAR_COLOURS = ["#08306b", "#2171b5", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7"]
WORKS_COLOUR = "#fdae6b"
NOT_SLUM_COLOUR = "#d9d9d9"
_RC = {"font.size": 11, "axes.titlesize": 15, "legend.fontsize": 10}


def _L(key: str, lang: str) -> str:
    return label("maps", key, lang)


def map_geometries(scored: pd.DataFrame, boundaries=None):
    """One geometry per location of ``scored`` in EPSG:4326: its polygon from ``boundaries``
    (a GeoDataFrame from :func:`~kotaku_decide.data.boundaries.read_boundaries`) or, without
    polygons, a circle at ``lat`` / ``lon`` with the location's ``area_ha`` (drawn to scale).

    Returns (GeoDataFrame ``location_id, geometry``, kind) with kind ``"polygons"`` or ``"points"``.
    Raises ValueError when there are neither polygons nor coordinates for every location.
    """
    import geopandas as gpd

    ids = scored["location_id"].astype(str).str.strip().tolist()
    if boundaries is not None:
        b = boundaries.assign(location_id=boundaries["location_id"].astype(str).str.strip()).set_index("location_id")
        missing = [i for i in ids if i not in b.index]
        if missing:
            raise ValueError(f"no polygon for location(s) {missing[:5]}; check the boundary file with read_boundaries")
        return gpd.GeoDataFrame({"location_id": ids}, geometry=list(b.loc[ids].geometry), crs=4326), "polygons"
    if not {"lat", "lon"} <= set(scored.columns) or scored[["lat", "lon"]].isna().any().any():
        raise ValueError("the table has no lat/lon coordinates to map (and no boundary polygons were given)")
    pts = gpd.GeoSeries(gpd.points_from_xy(scored["lon"].astype(float), scored["lat"].astype(float)), crs=4326)
    utm = pts.estimate_utm_crs()
    r = np.sqrt(scored["area_ha"].to_numpy(float) * 1e4 / np.pi)  # a circle with the location's area [m]
    circles = gpd.GeoSeries([p.buffer(max(rr, 1.0)) for p, rr in zip(pts.to_crs(utm), r)], crs=utm).to_crs(4326)
    return gpd.GeoDataFrame({"location_id": ids}, geometry=list(circles), crs=4326), "points"


def _figure(geoms):
    """A figure whose map area has the data's shape (width 12 in; height from the extent)."""
    x0, y0, x1, y1 = geoms.total_bounds
    lat0 = np.radians((y0 + y1) / 2)
    ratio = ((y1 - y0) * 1.2 + 0.006) / (((x1 - x0) * 1.16 + 0.006) * np.cos(lat0))
    ax_w = 12 * 0.69
    height = float(np.clip(ax_w * ratio / 0.84 + 0.2, 5.5, 11.0))
    fig = Figure(figsize=(12, height))
    FigureCanvasAgg(fig)
    foot = 0.75 / height  # room for the notes under the map [fraction]
    ax = fig.add_axes([0.01, foot, 0.69, 1 - foot - 0.7 / height])
    return fig, ax


def _kecamatan_context(ax, scored, geoms, lang):
    """Light hulls around each kecamatan's locations, named (context, not an administrative boundary)."""
    import shapely

    kec = scored["kecamatan"].astype(str).to_numpy() if "kecamatan" in scored else None
    if kec is None:
        return []
    pad = 0.004  # ~450 m around the outermost locations [degrees]
    names = []
    for k in pd.unique(kec):
        g = shapely.unary_union(list(geoms.geometry[kec == k]))
        hull = g.convex_hull.buffer(pad, quad_segs=8)
        xs, ys = hull.exterior.xy
        ax.fill(xs, ys, facecolor="#f4f1ea", edgecolor="#a39e93", lw=1.0, ls=(0, (4, 3)), zorder=0.5)
        c = hull.representative_point()
        names.append(ax.text(c.x, hull.bounds[3], k, ha="center", va="bottom", fontsize=10,
                             style="italic", color="#6b665d", zorder=1.5))
    return names


def _scale_bar(ax, lat0: float, lang: str):
    """A 1 km (or 2 km) bar in the lower left corner."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km_per_deg = 111.320 * np.cos(np.radians(lat0))
    width_km = 1.0 if (x1 - x0) * km_per_deg < 12 else 2.0
    w = width_km / km_per_deg
    bx, by = x0 + 0.03 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([bx, bx + w], [by, by], color="black", lw=3, solid_capstyle="butt", zorder=6)
    ax.text(bx + w / 2, by + 0.012 * (y1 - y0), f"{width_km:g} km", ha="center", va="bottom", fontsize=10, zorder=6)
    ax.annotate("N", xy=(x1 - 0.04 * (x1 - x0), y1 - 0.05 * (y1 - y0)),
                xytext=(x1 - 0.04 * (x1 - x0), y1 - 0.13 * (y1 - y0)), ha="center", va="center", fontsize=12,
                fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5}, zorder=6)


def _frame(ax, geoms, lang):
    """Limits around the locations with one scale on both axes (a kilometre is as long east as north)."""
    x0, y0, x1, y1 = geoms.total_bounds
    mx, my = 0.08 * (x1 - x0) + 0.003, 0.10 * (y1 - y0) + 0.004
    x0, x1, y0, y1 = x0 - mx, x1 + mx, y0 - my, y1 + my
    cos = np.cos(np.radians((y0 + y1) / 2))
    pos = ax.get_position()
    w_in, h_in = pos.width * ax.figure.get_figwidth(), pos.height * ax.figure.get_figheight()
    dx, dy = (x1 - x0) * cos, (y1 - y0)  # both in degrees of latitude (~km / 111)
    if dx / w_in > dy / h_in:  # wider than the box: grow the north-south range
        grow = (dx / w_in * h_in - dy) / 2
        y0, y1 = y0 - grow, y1 + grow
    else:
        grow = (dy / h_in * w_in - dx) / 2 / cos
        x0, x1 = x0 - grow, x1 + grow
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("auto")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])  # degrees mean little to a council: the scale bar and north arrow orient the map
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_color("#bbbbbb")


def place_labels(ax, anchors, texts, *, fontsize: float = 8.5, obstacles=(), radii=(3, 9, 17, 27, 40),
                 priority=None, extents=None) -> list[int]:
    """Place one label per anchor without collisions; return the indices that found no place.

    Parameters
    ----------
    ax : the axes (limits final: the figure is drawn once here)
    anchors : (n, 2) data coordinates of the things labelled
    texts : n strings
    fontsize : [pt]
    obstacles : matplotlib artists (e.g. kecamatan names) that labels must not cover
    radii : distances tried from the labelled thing's edge [pt], nearest first; eight directions each
    priority : order in which labels claim space (default: as given)
    extents : (n, 4) data boxes ``x0, y0, x1, y1`` of the things labelled (polygons); a label starts
        at the edge of its own box and covers no box (default: points)

    A label placed beyond the first radius gets a thin leader line to its thing.
    """
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    axbox = ax.get_window_extent(r)
    anchors = np.asarray(anchors, float)
    n = len(anchors)
    if extents is None:
        extents = np.c_[anchors, anchors]
    ext = np.asarray(extents, float)
    lo = ax.transData.transform(ext[:, :2]) if n else np.zeros((0, 2))
    hi = ax.transData.transform(ext[:, 2:]) if n else np.zeros((0, 2))
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    boxes = [Bbox([[a[0] - 1, a[1] - 1], [b[0] + 1, b[1] + 1]]) for a, b in zip(lo, hi)]
    # another thing's box counts at 60 % of its size (an outline rarely fills its box's corners)
    cores = [Bbox([[(a[0] + b[0]) / 2 - 0.3 * (b[0] - a[0]) - 1, (a[1] + b[1]) / 2 - 0.3 * (b[1] - a[1]) - 1],
                   [(a[0] + b[0]) / 2 + 0.3 * (b[0] - a[0]) + 1, (a[1] + b[1]) / 2 + 0.3 * (b[1] - a[1]) + 1]])
             for a, b in zip(lo, hi)]
    taken = [a.get_window_extent(r).padded(2) for a in obstacles]
    pix = ax.transData.transform(anchors) if n else np.zeros((0, 2))
    px_per_pt = fig.dpi / 72.0
    dirs = [(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (-1, 1), (-1, -1), (1, -1),
            (2, 1), (-2, 1), (-2, -1), (2, -1)]
    style = {"fontsize": fontsize, "zorder": 7, "textcoords": "offset points",
             "bbox": {"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8}}
    failed = []
    for i in (range(n) if priority is None else priority):
        placed = False
        half = (np.array([boxes[i].width, boxes[i].height]) / 2) / px_per_pt  # own half-size [pt]
        # the label's size is measured once; each candidate's box is that size moved to the candidate's
        # offset and alignment (text boxes do not change size with position: measuring each of the 60
        # candidates by drawing it took most of a map's time)
        if not axbox.contains(*pix[i]):  # matplotlib does not draw a label whose point is outside the axes
            failed.append(int(i))
            continue
        t = ax.annotate(texts[i], anchors[i], xytext=(0, 0), ha="left", va="bottom", **style)
        size = Text.get_window_extent(t, r)  # the text's own box (an annotation's is empty when clipped)
        t.remove()
        w, h = size.width, size.height
        for rad in radii:
            for dx, dy in dirs:
                norm = np.hypot(dx, dy)
                off = (dx * (half[0] + rad / norm), dy * (half[1] + rad / norm))
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
                # the aligned edge: left/bottom at the point (0), centred (0.5), right/top at it (1)
                x0 = pix[i, 0] + off[0] * px_per_pt - w * (1 - np.sign(dx)) / 2
                y0 = pix[i, 1] + off[1] * px_per_pt - h * (1 - np.sign(dy)) / 2
                bb = Bbox([[x0, y0], [x0 + w, y0 + h]]).padded(1.5)
                inside = (bb.x0 >= axbox.x0 and bb.x1 <= axbox.x1 and bb.y0 >= axbox.y0 and bb.y1 <= axbox.y1)
                hit = (not inside or any(bb.overlaps(o) for o in taken) or bb.overlaps(boxes[i])
                       or any(bb.overlaps(c) for k, c in enumerate(cores) if k != i)
                       or any(bb.contains(px, py) for px, py in pix))
                if hit:
                    continue
                arrow = ({"arrowprops": {"arrowstyle": "-", "color": "#444444", "lw": 0.6, "shrinkA": 0,
                                         "shrinkB": 1}} if rad > radii[0] else {})
                ax.annotate(texts[i], anchors[i], xytext=off, ha=ha, va=va, **style, **arrow)
                taken.append(bb)
                placed = True
                break
            if placed:
                break
        if not placed:
            failed.append(int(i))
    return failed


def _note(fig, text: str, y_in: float = 0.08, colour: str = "#8c2d04", weight: str = "bold"):
    """A line under the map, ``y_in`` inches above the bottom edge."""
    fig.text(0.01, y_in / fig.get_figheight(), text, fontsize=10, color=colour, fontweight=weight, ha="left",
             va="bottom", wrap=True)


def _synthetic_note(kind: str, synthetic: bool, lang: str) -> str:
    key = {("polygons", True): "note_polygons_synthetic", ("polygons", False): "note_polygons",
           ("points", True): "note_points_synthetic", ("points", False): "note_points"}[(kind, synthetic)]
    return _L(key, lang)


def _labels(ax, scored, geoms, lang, context, order_by):
    b = geoms.bounds.to_numpy(float)
    anchors = np.c_[(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2]
    texts = [str(v) for v in scored["location_id"]]
    prio = np.argsort(-np.asarray(order_by, float), kind="stable")
    failed = place_labels(ax, anchors, texts, obstacles=context, priority=prio, extents=b)
    return [texts[i] for i in failed]


def _is_synthetic(scored, boundaries) -> bool:
    """Polygons: their ``provenance`` column says SYNTHETIC; circles: the baseline's provenance does."""
    src = boundaries if boundaries is not None else scored
    return "provenance" in src and src["provenance"].astype(str).str.contains("SYNTHETIC", case=False).any()


def location_map(scored: pd.DataFrame, lang: str = "en", boundaries=None, *, synthetic: bool | None = None) -> Figure:
    """Every location coloured by slum level: its polygon, or a circle with its area at its lat/lon.

    Parameters
    ----------
    scored : scored table (``location_id``, ``slum_level``, ``area_ha`` [ha], ``kecamatan``, and
        ``lat`` / ``lon`` [degrees] when there are no polygons)
    boundaries : GeoDataFrame of polygons (EPSG:4326) keyed by ``location_id``, or None
    synthetic : say on the map that the geometry is synthetic (default: from the polygons'
        ``provenance`` column, else from the baseline's)
    """
    geoms, kind = map_geometries(scored, boundaries)
    syn = _is_synthetic(scored, boundaries) if synthetic is None else synthetic
    lev = scored["slum_level"].astype(str).to_numpy()
    with plt.rc_context(_RC):
        fig, ax = _figure(geoms)
        _frame(ax, geoms, lang)
        context = _kecamatan_context(ax, scored, geoms, lang)
        for lv in SLUM_LEVELS:
            sel = lev == lv
            if sel.any():
                geoms[sel].plot(ax=ax, aspect=None, facecolor=LEVEL_COLOURS[lv], edgecolor="#222222", linewidth=0.7,
                                zorder=3)
        _frame(ax, geoms, lang)
        lat0 = float(np.mean(geoms.total_bounds[[1, 3]]))
        _scale_bar(ax, lat0, lang)
        failed = _labels(ax, scored, geoms, lang, context, scored["area_ha"])
        handles = [Patch(facecolor=LEVEL_COLOURS[lv], edgecolor="#222222",
                         label=f"{label('slum_level', lv, lang)} ({int((lev == lv).sum())})")
                   for lv in SLUM_LEVELS if (lev == lv).any()]
        handles.append(Patch(facecolor="#f4f1ea", edgecolor="#a39e93", ls="--", label=_L("kecamatan_context", lang)))
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.71, 0.93), frameon=False,
                   title=label("columns", "slum_level", lang), alignment="left")
        fig.suptitle(_L("location_title" if kind == "polygons" else "location_title_points", lang), x=0.01,
                     ha="left", fontsize=15, fontweight="bold")
        _note(fig, _synthetic_note(kind, syn, lang), colour="#8c2d04" if syn else "#444444")
        if failed:
            _note(fig, _L("labels_not_drawn", lang).format(ids=", ".join(failed)), y_in=0.36, colour="#444444",
                  weight="normal")
    fig.kd_unplaced_labels = failed  # for tests and callers
    return fig


def plan_status(scored: pd.DataFrame, before_after: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Per location: ``location_id, slum, funded, cleared_year`` (NaN if not cleared) and ``status``
    (``cleared``, ``works_not_cleared``, ``not_funded``, ``not_slum``)."""
    funded = set(plan["location_id"].astype(str)) if len(plan) else set()
    ba = before_after.assign(location_id=before_after["location_id"].astype(str)).set_index("location_id")
    out = []
    for lid, lev in zip(scored["location_id"].astype(str), scored["slum_level"].astype(str)):
        slum = lev != "tidak_kumuh"
        cy = pd.to_numeric(ba["cleared_year"], errors="coerce").get(lid, np.nan) if "cleared_year" in ba else np.nan
        f = lid in funded
        status = ("not_slum" if not slum else "cleared" if pd.notna(cy) else
                  "works_not_cleared" if f else "not_funded")
        out.append({"location_id": lid, "slum": slum, "funded": f, "cleared_year": cy, "status": status})
    return pd.DataFrame(out)


def plan_map(scored: pd.DataFrame, before_after: pd.DataFrame, plan: pd.DataFrame, years, lang: str = "en",
             boundaries=None, *, synthetic: bool | None = None) -> Figure:
    """The plan on the map: each location coloured by the year it is cleared (earliest darkest),
    hatched where it gets works but is still a slum at the end, hollow where it is a slum and not
    funded, light grey where it is not a slum.

    Parameters
    ----------
    scored : scored table (as for :func:`location_map`)
    before_after, plan : the allocation's ``before_after`` and ``plan`` tables
    years : the plan years (colours and legend follow their order)
    """
    geoms, kind = map_geometries(scored, boundaries)
    syn = _is_synthetic(scored, boundaries) if synthetic is None else synthetic
    st = plan_status(scored, before_after, plan)
    years = [int(y) for y in years]
    colours = {y: YEAR_COLOURS[min(k, len(YEAR_COLOURS) - 1)] for k, y in enumerate(years)}
    with plt.rc_context(_RC):
        fig, ax = _figure(geoms)
        _frame(ax, geoms, lang)
        context = _kecamatan_context(ax, scored, geoms, lang)
        s = st["status"].to_numpy()
        handles = []
        for y in years:
            sel = (s == "cleared") & (pd.to_numeric(st["cleared_year"], errors="coerce").to_numpy(float) == y)
            if sel.any():
                geoms[sel].plot(ax=ax, aspect=None, facecolor=colours[y], edgecolor="#222222", linewidth=0.7,
                                zorder=3)
                handles.append(Patch(facecolor=colours[y], edgecolor="#222222",
                                     label=f"{_L('cleared_in', lang).format(year=y)} ({int(sel.sum())})"))
        sel = s == "works_not_cleared"
        if sel.any():
            geoms[sel].plot(ax=ax, aspect=None, facecolor=WORKS_COLOUR, edgecolor="#7f2704", hatch="///",
                            linewidth=0.7, zorder=3)
            handles.append(Patch(facecolor=WORKS_COLOUR, edgecolor="#7f2704", hatch="///", label=(
                f"{_L('works_not_cleared', lang).format(year=years[-1] if years else '')} ({int(sel.sum())})")))
        sel = s == "not_funded"
        if sel.any():
            geoms[sel].plot(ax=ax, aspect=None, facecolor="none", edgecolor="#8c2d04", linewidth=1.8, zorder=3)
            handles.append(Patch(facecolor="none", edgecolor="#8c2d04", lw=1.8,
                                 label=f"{_L('not_funded', lang)} ({int(sel.sum())})"))
        sel = s == "not_slum"
        if sel.any():
            geoms[sel].plot(ax=ax, aspect=None, facecolor=NOT_SLUM_COLOUR, edgecolor="#999999", linewidth=0.5,
                            zorder=2)
            handles.append(Patch(facecolor=NOT_SLUM_COLOUR, edgecolor="#999999",
                                 label=f"{_L('not_slum', lang)} ({int(sel.sum())})"))
        handles.append(Patch(facecolor="#f4f1ea", edgecolor="#a39e93", ls="--", label=_L("kecamatan_context", lang)))
        _frame(ax, geoms, lang)
        lat0 = float(np.mean(geoms.total_bounds[[1, 3]]))
        _scale_bar(ax, lat0, lang)
        order = np.where(s == "cleared", 2, np.where(s == "not_slum", 0, 1)) * 1e4 + scored["area_ha"].to_numpy(float)
        failed = _labels(ax, scored, geoms, lang, context, order)
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.71, 0.93), frameon=False,
                   title=_L("plan_legend", lang), alignment="left")
        fig.suptitle(_L("plan_title", lang), x=0.01, ha="left", fontsize=15, fontweight="bold")
        _note(fig, _synthetic_note(kind, syn, lang), colour="#8c2d04" if syn else "#444444")
        if failed:
            _note(fig, _L("labels_not_drawn", lang).format(ids=", ".join(failed)), y_in=0.36, colour="#444444",
                  weight="normal")
    fig.kd_unplaced_labels = failed
    fig.kd_status = st
    return fig
