"""GeoJSON and GeoPandas in and out, and geometry inputs (shapely / __geo_interface__)."""

import json

import numpy as np
import pytest

import wangge

shapely = pytest.importorskip("shapely")
gpd = pytest.importorskip("geopandas")
from shapely.geometry import box, mapping, shape  # noqa: E402


def square_city_levels():
    """Two districts of 2x1 grids each, plus a gap (no grid) in district B."""
    districts = [
        {"type": "Feature", "properties": {"code": "A", "name": "甲"}, "geometry": box(0, 0, 2, 1)},
        {"type": "Feature", "properties": {"code": "B", "name": "乙"}, "geometry": box(2, 0, 4, 1)},
    ]
    grids = [
        {"type": "Feature", "properties": {"code": "A1", "up": "A"}, "geometry": box(0, 0, 1, 1)},
        {"type": "Feature", "properties": {"code": "A2", "up": "A"}, "geometry": box(1, 0, 2, 1)},
        {"type": "Feature", "properties": {"code": "B1", "up": "B"}, "geometry": box(2, 0, 3, 1)},
    ]
    return districts, grids


def test_from_geojson_with_shapely_geometries():
    districts, grids = square_city_levels()
    city = wangge.City.from_geojson(
        {"district": {"type": "FeatureCollection", "features": districts}, "grid": grids},
        parent_property={"grid": "up"},
    )
    assert city.levels == ["district", "grid"]
    assert city.codes == ["A", "B", "A1", "A2", "B1"]
    assert city.region(city.by_code("A")).name == "甲"
    # The shared edge x = 1 belongs to exactly one grid: the one east of it.
    assert city.locate(1.0, 0.5).codes == ["A", "A2"]
    assert city.locate(3.5, 0.5).codes == ["B"]  # the gap belongs to the district
    assert city.locate(5.0, 0.5) is None
    assert city.region(city.by_code("A1")).parent == city.by_code("A")
    # Free codes are inferred; standard must be asked for, and then fails on these codes.
    with pytest.raises(wangge.CodeError):
        wangge.City.from_geojson({"grid": grids}, code_scheme="standard")


def test_from_geojson_sources_agree(tmp_path, city):
    text = city.to_geojson("district")
    path = tmp_path / "districts.geojson"
    path.write_text(text, encoding="utf-8")
    doc = json.loads(text)
    gdf = city.to_geodataframe("district")
    variants = [
        text,
        text.encode("utf-8"),
        path,
        doc,
        doc["features"],
        gdf,  # __geo_interface__ / to_json
        [("district", text)],
    ]
    reference = None
    for v in variants:
        levels = v if isinstance(v, list) and isinstance(v[0], tuple) else {"district": v}
        c = wangge.City.from_geojson(levels)
        got = (c.codes, [c.region(i).area_m2 for i in range(len(c))])
        reference = reference or got
        assert got == reference
    assert reference[0] == [city.region(i).code for i in city.level_ids_of("district")]


def test_from_geojson_gcj02_round_trip(city):
    """Export in GCJ-02, build from it with crs="gcj02": the same owners (to well under a mm)."""
    text = city.to_geojson("district", crs="gcj02")
    again = wangge.City.from_geojson({"district": text}, crs="gcj02")
    rng = np.random.default_rng(11)
    lon = rng.uniform(113.7, 115.1, 20_000)
    lat = rng.uniform(29.97, 31.37, 20_000)
    top = city.locate_levels(lon, lat)[:, 0]
    got = again.locate(lon, lat)
    codes = np.array(city.codes + [None], dtype=object)
    again_codes = np.array(again.codes + [None], dtype=object)
    assert (codes[top] == again_codes[got]).mean() > 0.9999
    assert (got >= 0).sum() > 5_000


def test_from_geojson_errors(tmp_path):
    districts, grids = square_city_levels()
    bad = dict(districts[1], geometry={"type": "Polygon", "coordinates": [[[2, 0], [4, 0], [2, 0]]]})
    with pytest.raises(wangge.GeometryError, match=r"district.*feature 1.*B"):
        wangge.City.from_geojson({"district": [districts[0], bad]})
    with pytest.raises(wangge.GeometryError, match="Point"):
        wangge.City.from_geojson(
            {"district": [dict(districts[0], geometry=shapely.Point(0, 0))]}
        )
    with pytest.raises(wangge.DataError, match="code"):
        wangge.City.from_geojson({"district": districts}, code_property="adcode")
    with pytest.raises(wangge.DataError, match="FeatureCollection"):
        wangge.City.from_geojson({"district": '{"type": "Point", "coordinates": [0, 0]}'})
    with pytest.raises(wangge.DataError):
        wangge.City.from_geojson({"district": "not json"})
    with pytest.raises(wangge.FileError, match="missing.geojson"):
        wangge.City.from_geojson({"district": tmp_path / "missing.geojson"})
    with pytest.raises(wangge.HierarchyError, match="at least one level"):
        wangge.City.from_geojson({})
    with pytest.raises(wangge.HierarchyError, match="duplicate|A1"):
        wangge.City.from_geojson({"grid": grids + [grids[0]]})
    with pytest.raises(TypeError, match="level"):
        wangge.City.from_geojson({"district": 42})
    with pytest.raises(TypeError, match="dict"):
        wangge.City.from_geojson(["district"])
    with pytest.raises(ValueError, match="code_scheme"):
        wangge.City.from_geojson({"district": districts}, code_scheme="strict")
    with pytest.raises(ValueError, match="parent_tolerance_m"):
        wangge.City.from_geojson({"district": districts}, parent_tolerance_m=float("nan"))
    with pytest.raises(wangge.WanggeError, match="CRS"):
        wangge.City.from_geojson({"district": districts}, crs="utm50")


def test_to_geodataframe(city):
    gdf = city.to_geodataframe("grid")
    ids = city.level_ids_of("grid")
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.index.tolist() == ids and gdf.index.name == "id"
    assert list(gdf.columns) == ["code", "name", "level", "parent", "area_m2", "geometry"]
    assert gdf.crs.to_epsg() == 4326
    for i in ids[:: max(1, len(ids) // 50)]:
        r = city.region(i)
        row = gdf.loc[i]
        assert row["code"] == r.code and row["level"] == "grid"
        assert row["parent"] == city.region(r.parent).code
        assert row["area_m2"] == r.area_m2
        assert row.geometry.equals_exact(shape(r.__geo_interface__), 0.0)
    top = city.to_geodataframe(0)
    assert top["parent"].isna().all() and len(top) == 13
    gcj = city.to_geodataframe("district", crs="gcj02")
    assert gcj.crs is None
    shift = np.abs(np.array(gcj.total_bounds) - np.array(top.total_bounds))
    assert 1e-4 < shift.max() < 0.02  # GCJ-02 is a few hundred metres off
    with pytest.raises(IndexError):
        city.to_geodataframe("province")


def test_geodataframe_round_trip(city):
    """All four levels out to GeoDataFrames and back: the same city. (Not byte for byte: the
    geodesic area of a ring depends on its orientation and start vertex in the last bits, and
    the exported rings are the built, oriented ones.)"""
    frames = {level: city.to_geodataframe(level) for level in city.levels}
    again = wangge.City.from_geodataframes(frames, parent_column="parent")
    assert again.levels == city.levels and again.codes == city.codes
    for i in range(len(city)):
        a, b = city.region(i), again.region(i)
        assert a.__geo_interface__ == b.__geo_interface__
        assert {**a.to_dict(), "area_m2": 0} == {**b.to_dict(), "area_m2": 0}
        assert b.area_m2 == pytest.approx(a.area_m2, rel=1e-9)
    rng = np.random.default_rng(14)
    lon = rng.uniform(114.20, 114.32, 50_000)
    lat = rng.uniform(30.54, 30.65, 50_000)
    np.testing.assert_array_equal(again.locate(lon, lat), city.locate(lon, lat))
    # Its snapshot round-trips like any other.
    assert wangge.City.from_bytes(again.to_bytes()).to_bytes() == again.to_bytes()
    # Parents by containment instead of the column: still the same hierarchy.
    by_containment = wangge.City.from_geodataframes(frames)
    assert [r for r in map(lambda i: by_containment.region(i).parent, range(len(city)))] == [
        city.region(i).parent for i in range(len(city))
    ]


def test_from_geodataframes_crs(city):
    top = city.to_geodataframe("district")
    reference = wangge.City.from_geodataframes({"district": top})
    rng = np.random.default_rng(12)
    lon = rng.uniform(114.0, 114.6, 20_000)
    lat = rng.uniform(30.3, 30.8, 20_000)
    expected = reference.locate(lon, lat)
    # A projected frame is reprojected to EPSG:4326 first (to within float rounding).
    projected = wangge.City.from_geodataframes({"district": top.to_crs(32650)})
    assert (projected.locate(lon, lat) == expected).mean() > 0.999
    # No CRS: WGS84.
    unset = wangge.City.from_geodataframes({"district": top.set_crs(None, allow_override=True)})
    np.testing.assert_array_equal(unset.locate(lon, lat), expected)
    # GCJ-02 coordinates (no EPSG code) say so with crs=.
    gcj = city.to_geodataframe("district", crs="gcj02")
    from_gcj = wangge.City.from_geodataframes({"district": gcj}, crs="gcj02")
    assert (from_gcj.locate(lon, lat) == expected).mean() > 0.9999
    with pytest.raises(ValueError, match="reproject"):
        wangge.City.from_geodataframes({"district": top.to_crs(32650)}, crs="gcj02")
    with pytest.raises(TypeError, match="GeoDataFrame"):
        wangge.City.from_geodataframes({"district": city.to_geojson("district")})
    with pytest.raises(wangge.DataError, match="adcode"):
        wangge.City.from_geodataframes({"district": top}, code_column="adcode")


def test_locate_geometries(city):
    rng = np.random.default_rng(13)
    lon = rng.uniform(114.20, 114.32, 5_000)
    lat = rng.uniform(30.54, 30.64, 5_000)
    expected = city.locate(lon, lat)
    pts = shapely.points(lon, lat)
    np.testing.assert_array_equal(city.locate(pts), expected)
    np.testing.assert_array_equal(city.locate(list(pts[:100])), expected[:100])
    np.testing.assert_array_equal(city.locate(gpd.GeoSeries(pts)), expected)
    np.testing.assert_array_equal(city.locate_levels(pts), city.locate_levels(lon, lat))
    assert city.locate_codes(pts[:10]).equals(city.locate_codes(lon[:10], lat[:10]))
    hit = city.locate(pts[0])
    assert (hit.id if hit else -1) == expected[0]

    class Geo:  # anything with __geo_interface__
        def __init__(self, x, y):
            self.__geo_interface__ = {"type": "Point", "coordinates": (x, y)}

    np.testing.assert_array_equal(
        city.locate([Geo(x, y) for x, y in zip(lon[:50], lat[:50])]), expected[:50]
    )
    assert city.locate(mapping(pts[1])) is not None or expected[1] == -1
    # Missing and empty points have no owner; GCJ-02 geometries are converted like numbers.
    mixed = np.array([pts[0], None, shapely.Point()], dtype=object)
    assert city.locate(mixed).tolist()[1:] == [-1, -1]
    gcj = city.locate(shapely.points([114.2712], [30.5851]), crs="gcj02")
    assert gcj.tolist() == city.locate([114.2712], [30.5851], crs="gcj02").tolist()


def test_locate_bad_geometries(city):
    with pytest.raises(TypeError, match=r"points\[1\].*Polygon"):
        city.locate([shapely.Point(114.27, 30.58), box(0, 0, 1, 1)])
    with pytest.raises(TypeError, match="Polygon"):
        city.locate(box(0, 0, 1, 1))
    with pytest.raises(TypeError, match="Point geometry"):
        city.locate("POINT (114 30)")
    with pytest.raises(TypeError, match="dtype"):
        city.locate(np.array([114.27, 30.58]))  # numbers without lat
    with pytest.raises(TypeError, match=r"points\[0\]"):
        city.locate([{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}])
