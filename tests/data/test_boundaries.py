"""Delineation polygons: the embedded synthetic file, and every refusal named like the baseline's."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from kd_testutil import DATA, REPO

from kotaku_decide.data.boundaries import BoundaryError, check_boundaries, read_boundaries

gpd = pytest.importorskip("geopandas")
GEOJSON = DATA / "boundaries" / "balikpapan_synthetic.geojson"


@pytest.fixture(scope="module")
def base():
    return pd.read_csv(DATA / "balikpapan_2016_baseline.csv", comment="#")


def _square(lon, lat, d=0.001):
    return [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]


def _write(tmp_path, feats, name="b.geojson", extra=None):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"location_id": lid}, "geometry": geom} for lid, geom in feats]}
    doc.update(extra or {})
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


def _three_locations():
    return pd.DataFrame({"location_id": ["A", "B", "C"], "area_ha": [4.9, 4.9, 4.9],
                         "lat": [-1.25, -1.26, -1.27], "lon": [116.85, 116.86, 116.87]})


def test_embedded_polygons_are_clean_one_per_location_and_labelled_synthetic(base):
    rep = check_boundaries(GEOJSON, base)
    assert rep.problems == [] and rep.ok
    g = rep.data
    assert list(g["location_id"]) == list(base["location_id"])  # the baseline's order
    assert g.crs.to_epsg() == 4326 and g.geom_type.isin(["Polygon"]).all() and g.is_valid.all()
    assert g["provenance"].str.startswith("SYNTHETIC").all()
    assert "SYNTHETIC" in json.loads(GEOJSON.read_text())["description"]
    # areas against area_ha, measured on the ellipsoid (pyproj.Geod: independent of the UTM projection used)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    ha = np.array([abs(geod.geometry_area_perimeter(p)[0]) / 1e4 for p in g.geometry])
    assert np.allclose(ha, base["area_ha"], rtol=0.01)
    # every location's point lies inside its own polygon, and no two polygons overlap
    pts = gpd.points_from_xy(base["lon"], base["lat"])
    assert all(p.contains(q) for p, q in zip(g.geometry, pts))
    inter = [(i, j) for i in range(len(g)) for j in range(i + 1, len(g)) if g.geometry[i].intersects(g.geometry[j])]
    assert inter == []


def test_generator_reproduces_the_committed_file(tmp_path):
    out = tmp_path / "b.geojson"
    subprocess.run([sys.executable, str(DATA / "make_boundaries.py"), str(out)], check=True, cwd=REPO,
                   capture_output=True)
    assert out.read_bytes() == GEOJSON.read_bytes()


def test_bad_geometry_unknown_and_missing_ids_are_three_named_errors(tmp_path):
    locs = _three_locations()
    bowtie = [[[116.849, -1.251], [116.851, -1.249], [116.851, -1.251], [116.849, -1.249], [116.849, -1.251]]]
    p = _write(tmp_path, [("A", {"type": "Polygon", "coordinates": bowtie}),
                          ("B", {"type": "Polygon", "coordinates": _square(116.86, -1.26)}),
                          ("Z9", {"type": "Polygon", "coordinates": _square(116.87, -1.27)})])
    with pytest.raises(BoundaryError) as ei:
        read_boundaries(p, locs)
    rep = ei.value.report
    assert sorted(e.check for e in rep.errors) == ["boundary_invalid_geometry", "boundary_missing_id",
                                                   "boundary_unknown_id"]
    msg = str(ei.value)
    bad = next(e for e in rep.errors if e.check == "boundary_invalid_geometry")
    assert bad.row == 1 and bad.column == "geometry" and "Self-intersection" in str(bad.value)
    assert "ERROR [boundary_invalid_geometry] b.geojson, feature 1, column 'geometry'" in msg
    assert "location_id 'A'" in msg
    unk = next(e for e in rep.errors if e.check == "boundary_unknown_id")
    assert (unk.row, unk.column, unk.value) == (3, "location_id", "Z9")
    assert "ERROR [boundary_unknown_id] b.geojson, feature 3, column 'location_id': found 'Z9'" in msg
    miss = next(e for e in rep.errors if e.check == "boundary_missing_id")
    assert miss.value == "C" and miss.row is None
    assert "ERROR [boundary_missing_id] b.geojson, column 'location_id': found 'C'; expected a polygon for every" in msg
    assert msg.rstrip().endswith("3 error(s), 0 warning(s)")


def test_duplicate_blank_empty_and_wrong_type_are_named(tmp_path):
    locs = _three_locations()
    p = _write(tmp_path, [("A", {"type": "Polygon", "coordinates": _square(116.85, -1.25)}),
                          ("A", {"type": "Polygon", "coordinates": _square(116.85, -1.25)}),
                          ("", {"type": "Polygon", "coordinates": _square(116.86, -1.26)}),
                          ("B", {"type": "Point", "coordinates": [116.86, -1.26]}),
                          ("C", None)])
    rep = check_boundaries(p, locs)
    got = {(e.check, e.row) for e in rep.errors}
    assert got == {("boundary_duplicate_id", 2), ("boundary_id_blank", 3), ("boundary_geometry_type", 4),
                   ("boundary_empty_geometry", 5)}
    assert rep.data is None


def test_id_column_absent_names_the_columns_found(tmp_path):
    p = tmp_path / "x.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"locationid": "A"},
         "geometry": {"type": "Polygon", "coordinates": _square(116.85, -1.25)}}]}))
    rep = check_boundaries(p, _three_locations())
    assert [e.check for e in rep.errors] == ["boundary_id_column"]
    assert "did you mean 'locationid'?" in str(rep.errors[0])


def test_metres_declared_as_degrees_are_a_crs_error(tmp_path):
    # UTM 50S coordinates (metres) in a GeoJSON, which means longitude / latitude
    sq = [[[480000, 9860000], [480200, 9860000], [480200, 9860200], [480000, 9860200], [480000, 9860000]]]
    p = _write(tmp_path, [(lid, {"type": "Polygon", "coordinates": sq}) for lid in "ABC"])
    rep = check_boundaries(p, _three_locations())
    assert [e.check for e in rep.errors] == ["boundary_crs"] and "EPSG:32750" in str(rep.errors[0])


def test_shapefile_in_utm_is_reprojected_and_one_without_prj_is_refused(tmp_path, base):
    g = read_boundaries(GEOJSON, base)
    shp = tmp_path / "utm" / "delineasi.shp"
    shp.parent.mkdir()
    with pytest.warns((UserWarning, RuntimeWarning)):  # the shapefile format cuts field names to 10 characters
        g[["location_id", "geometry"]].to_crs(32750).to_file(shp, engine="pyogrio")
    assert "location_i" in gpd.read_file(shp).columns
    back = read_boundaries(shp, base)
    for a, b in zip(back.geometry, g.geometry):
        assert a.symmetric_difference(b).area < 1e-6 * b.area + 1e-12
    shp.with_suffix(".prj").unlink()
    rep = check_boundaries(shp, base)
    assert [e.check for e in rep.errors] == ["boundary_crs_missing"] and ".prj" in str(rep.errors[0])


def test_polygons_far_from_their_points_or_of_another_size_warn(tmp_path):
    locs = _three_locations()
    far = _square(116.85 + 0.05, -1.25)  # ~5.6 km east of A's point
    p = _write(tmp_path, [("A", {"type": "Polygon", "coordinates": far}),
                          ("B", {"type": "Polygon", "coordinates": _square(116.86, -1.26, d=0.003)}),
                          ("C", {"type": "Polygon", "coordinates": _square(116.87, -1.27)})])
    rep = check_boundaries(p, locs)
    assert rep.ok and {(w.check, w.row) for w in rep.warnings} == {("boundary_far", 1), ("boundary_area", 2)}
    assert read_boundaries(p, locs).attrs["warnings"]


def test_unreadable_file_is_named(tmp_path):
    p = tmp_path / "broken.geojson"
    p.write_text("{not json")
    rep = check_boundaries(p)
    assert [e.check for e in rep.errors] == ["boundary_file"] and "broken.geojson" in str(rep.errors[0])
    assert [e.check for e in check_boundaries(tmp_path / "none.geojson").errors] == ["boundary_file"]
