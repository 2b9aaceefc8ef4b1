"""Delineation polygons of the locations (GeoJSON or shapefile keyed by ``location_id``).

SIM KOTAKU and the RP2KPKP GIS work export slum delineations as polygon layers with one feature per
location; :func:`read_boundaries` reads such a file (GeoJSON, shapefile, GeoPackage: anything GDAL
reads through pyogrio), checks it against the baseline's locations and returns the polygons in
WGS84 longitude / latitude (EPSG:4326), ready to draw. Nothing is fetched from the internet.

Every check reports like the baseline's validation (:class:`~kotaku_decide.data.validate.Problem`):
file, feature number, column, the value found and what was expected. All checks run, so a planner
sees every problem at once; errors refuse the file with :class:`BoundaryError`:

* ``boundary_file`` the file cannot be read as a vector layer;
* ``boundary_id_column`` the id column is absent (the close matches are named);
* ``boundary_id_blank`` a feature has no id;
* ``boundary_duplicate_id`` two features share an id (merge the parts into one MultiPolygon);
* ``boundary_unknown_id`` a feature's id is not a location of the baseline;
* ``boundary_missing_id`` a location of the baseline has no feature;
* ``boundary_empty_geometry`` a feature has no geometry;
* ``boundary_geometry_type`` a geometry is not a Polygon or MultiPolygon;
* ``boundary_invalid_geometry`` a polygon is not valid (self-intersection, ring not closed, ...);
* ``boundary_crs_missing`` the file names no coordinate reference system (a shapefile without .prj);
* ``boundary_crs`` the coordinates cannot be in the declared CRS (e.g. metres declared as degrees),
  or the polygons lie far from the baseline's own ``lat`` / ``lon``;
* ``boundary_area`` (warning) a polygon's area differs from the baseline's ``area_ha`` by more than
  :data:`AREA_TOLERANCE`;
* ``boundary_far`` (warning) a location's ``lat`` / ``lon`` lies more than :data:`FAR_KM` from its polygon.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .validate import Problem

__all__ = ["read_boundaries", "check_boundaries", "BoundaryError", "BoundaryReport", "BoundaryProblem",
           "AREA_TOLERANCE", "FAR_KM", "CRS_FAR_KM"]

#: largest relative difference between a polygon's area and ``area_ha`` before a warning
AREA_TOLERANCE = 0.25
#: a location's point further than this from its own polygon gets a warning [km]
FAR_KM = 2.0
#: polygons whose median distance to their points exceeds this are taken as a wrong CRS [km]
CRS_FAR_KM = 25.0


@dataclass(frozen=True)
class BoundaryProblem(Problem):
    """A problem of a boundary file; ``row`` is the feature number (from 1, in the file's order)."""

    def __str__(self) -> str:
        return super().__str__().replace(f", row {self.row},", f", feature {self.row},", 1)


class BoundaryError(ValueError):
    """The boundary file has errors; ``.report`` holds every problem."""

    def __init__(self, report: "BoundaryReport"):
        self.report = report
        super().__init__(report.format())


@dataclass
class BoundaryReport:
    problems: list = field(default_factory=list)
    data: object = None  # GeoDataFrame (EPSG:4326), only when there are no errors

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def checks(self) -> set:
        return {p.check for p in self.problems}

    def format(self, limit: int = 50) -> str:
        ps = sorted(self.problems, key=lambda p: (p.severity != "error", p.row or 0))
        lines = [str(p) for p in ps[:limit]]
        if len(ps) > limit:
            lines.append(f"... and {len(ps) - limit} more problems")
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


def _err(problems, check, file, row, column, value, expected, message="", severity="error"):
    problems.append(BoundaryProblem(check=check, severity=severity, file=file, row=row, column=column, value=value,
                            expected=expected, message=message))


def check_boundaries(path, locations: pd.DataFrame | None = None, *, id_column: str = "location_id",
                     layer=None) -> BoundaryReport:
    """Read and check a boundary file; return every problem and (without errors) the polygons.

    Parameters
    ----------
    path : GeoJSON, shapefile (``.shp`` with ``.prj``), GeoPackage, ... readable by GDAL
    locations : the baseline (or scored) table with ``location_id`` and optionally ``area_ha`` [ha],
        ``lat`` / ``lon`` [degrees WGS84]; None checks the file alone (no id matching)
    id_column : the column of the file holding the location id (in a shapefile, whose attribute table
        keeps 10 characters of a field name, ``location_i`` is taken as ``location_id``)
    layer : layer name or number for multi-layer files (GeoPackage)

    Returns
    -------
    BoundaryReport with ``data``: a GeoDataFrame ``location_id, geometry`` (and the file's
    ``provenance`` column, if it has one) in EPSG:4326, one row per
    location, in the order of ``locations`` (None when there are errors). Feature numbers in the
    messages count from 1 in the file's order.
    """
    import geopandas as gpd
    import shapely

    path = Path(path)
    fname = path.name
    problems: list = []
    rep = BoundaryReport(problems)
    if not path.exists():
        _err(problems, "boundary_file", fname, None, None, str(path), "an existing GeoJSON or shapefile")
        return rep
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL's own words are the useful part
        _err(problems, "boundary_file", fname, None, None, None,
             "a vector layer GDAL can read (GeoJSON .geojson, shapefile .shp with .shx/.dbf/.prj, GeoPackage .gpkg)",
             f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        return rep
    cols = {str(c).strip().lower(): c for c in gdf.columns}
    if id_column.lower() not in cols and id_column[:10].lower() in cols:
        # a shapefile's attribute table (dBASE) keeps 10 characters of a field name: location_id -> location_i
        cols[id_column.lower()] = cols[id_column[:10].lower()]
    if id_column.lower() not in cols:
        close = difflib.get_close_matches(id_column, [str(c) for c in gdf.columns if c != "geometry"], n=3)
        _err(problems, "boundary_id_column", fname, None, id_column, None,
             f"a column {id_column!r} naming each feature's location",
             ("columns found: " + ", ".join(str(c) for c in gdf.columns if c != "geometry"))
             + (f"; did you mean {close[0]!r}?" if close else ""))
        return rep
    idc = cols[id_column.lower()]
    ids = gdf[idc].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    feature = np.arange(1, len(gdf) + 1)

    # ids: blank, duplicate, unknown, missing
    for f, v in zip(feature, ids):
        if not v:
            _err(problems, "boundary_id_blank", fname, int(f), id_column, "", "the location_id of the feature")
    dup = ids[(ids != "") & ids.duplicated(keep=False)]
    for v, grp in dup.groupby(dup):
        rows = [int(feature[i]) for i in grp.index]
        for f in rows[1:]:
            _err(problems, "boundary_duplicate_id", fname, f, id_column, v,
                 "one feature per location (merge its parts into one MultiPolygon)",
                 f"also feature {rows[0]}")
    known = None
    if locations is not None:
        known = [str(x).strip() for x in locations["location_id"]]
        kset = set(known)
        for f, v in zip(feature, ids):
            if v and v not in kset:
                close = difflib.get_close_matches(v, known, n=1)
                _err(problems, "boundary_unknown_id", fname, int(f), id_column, v,
                     "a location_id of the baseline" + (f" (did you mean {close[0]!r}?)" if close else ""))
        have = set(ids)
        for lid in known:
            if lid not in have:
                _err(problems, "boundary_missing_id", fname, None, id_column, lid,
                     "a polygon for every location of the baseline (this location_id has none)")

    # geometry: empty, type, validity
    geoms = gdf.geometry
    good = np.zeros(len(gdf), bool)
    for k, (f, v, g) in enumerate(zip(feature, ids, geoms)):
        who = f" (location_id {v!r})" if v else ""
        if g is None or g.is_empty:
            _err(problems, "boundary_empty_geometry", fname, int(f), "geometry", None,
                 "a Polygon or MultiPolygon" + who)
            continue
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            _err(problems, "boundary_geometry_type", fname, int(f), "geometry", g.geom_type,
                 "a Polygon or MultiPolygon" + who)
            continue
        if not g.is_valid:
            _err(problems, "boundary_invalid_geometry", fname, int(f), "geometry", shapely.is_valid_reason(g),
                 "a valid polygon" + who + " (rings closed, no self-intersection, holes inside their shell); "
                 "repair it in the GIS (e.g. QGIS 'Fix geometries') and export again")
            continue
        good[k] = True

    # CRS: named, and plausible
    if gdf.crs is None:
        _err(problems, "boundary_crs_missing", fname, None, None, None,
             "a file that names its coordinate reference system (GeoJSON in WGS84; a shapefile with its .prj "
             "file beside it)")
    elif good.any():
        b = np.asarray(geoms[good].total_bounds, float)
        if gdf.crs.is_geographic and (np.abs(b[[0, 2]]).max() > 180 or np.abs(b[[1, 3]]).max() > 90):
            _err(problems, "boundary_crs", fname, None, None,
                 f"coordinates from ({b[0]:.6g}, {b[1]:.6g}) to ({b[2]:.6g}, {b[3]:.6g})",
                 f"longitude / latitude in degrees, as the file's CRS {gdf.crs.to_string()} says (these look like "
                 "metres: export with the CRS the coordinates are in, e.g. UTM zone 50S, EPSG:32750)")
    if problems and any(p.severity == "error" for p in problems if p.check.startswith("boundary_crs")):
        return rep
    if gdf.crs is not None:
        gdf = gdf.to_crs(4326)
    cols_out = {"location_id": ids.to_numpy(), "feature": feature}
    if "provenance" in cols:  # a synthetic file says so per feature; maps repeat it
        cols_out["provenance"] = gdf[cols["provenance"]].astype(str).to_numpy()
    out = gpd.GeoDataFrame(cols_out, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)

    # against the baseline's own area and coordinates
    if locations is not None and gdf.crs is not None and good.any():
        loc = locations.assign(location_id=[str(x).strip() for x in locations["location_id"]])
        loc = loc.drop_duplicates("location_id").set_index("location_id")
        ok = out[good & out["location_id"].isin(loc.index).to_numpy()]
        utm = ok.estimate_utm_crs() if len(ok) else None  # local metres for areas and distances
        metric = ok.to_crs(utm) if len(ok) else ok
        if "area_ha" in loc and len(ok):
            for lid, f, a in zip(ok["location_id"], ok["feature"], metric.geometry.area / 1e4):
                want = pd.to_numeric(loc.at[lid, "area_ha"], errors="coerce")
                if np.isfinite(want) and want > 0 and abs(a - want) / want > AREA_TOLERANCE:
                    _err(problems, "boundary_area", fname, int(f), "geometry", f"{a:.2f} ha",
                         f"about the baseline's area_ha = {want:.2f} ha for {lid!r} (within "
                         f"{AREA_TOLERANCE:.0%})", severity="warning")
        if {"lat", "lon"} <= set(loc.columns) and len(ok):
            lat = pd.to_numeric(loc.loc[ok["location_id"], "lat"], errors="coerce").to_numpy(float)
            lon = pd.to_numeric(loc.loc[ok["location_id"], "lon"], errors="coerce").to_numpy(float)
            have = np.isfinite(lat) & np.isfinite(lon)
            if have.any():
                pts = gpd.GeoSeries(gpd.points_from_xy(lon[have], lat[have]), crs=4326).to_crs(utm)
                d_km = np.asarray(metric.geometry[have].distance(pts, align=False), float) / 1e3
                if np.median(d_km) > CRS_FAR_KM:
                    _err(problems, "boundary_crs", fname, None, None,
                         f"polygons a median {np.median(d_km):,.0f} km from the baseline's lat/lon",
                         f"polygons where the locations are (the file's CRS {gdf.crs.to_string()} may be wrong)")
                else:
                    sub = ok[have]
                    for lid, f, d in zip(sub["location_id"], sub["feature"], d_km):
                        if d > FAR_KM:
                            _err(problems, "boundary_far", fname, int(f), "geometry", f"{d:.1f} km",
                                 f"the polygon of {lid!r} within {FAR_KM:g} km of its lat/lon in the baseline",
                                 severity="warning")
    if rep.ok:
        res = out[[c for c in ("location_id", "provenance", "geometry") if c in out.columns]]
        if known is not None:
            res = res.set_index("location_id").loc[known].reset_index()
        res.attrs["source"] = str(path)
        rep.data = res
    return rep


def read_boundaries(path, locations: pd.DataFrame | None = None, *, id_column: str = "location_id", layer=None):
    """The polygons of a boundary file in EPSG:4326 (see :func:`check_boundaries`).

    Raises :class:`BoundaryError` listing every problem when the file has errors; warnings
    (``boundary_area``, ``boundary_far``) are kept in ``result.attrs["warnings"]``.
    """
    rep = check_boundaries(path, locations, id_column=id_column, layer=layer)
    if not rep.ok:
        raise BoundaryError(rep)
    rep.data.attrs["warnings"] = [str(p) for p in rep.warnings]
    return rep.data
