"""GeoJSON input limits (``limits=``) on the City constructors that read GeoJSON, and the
documented geometry repairs, as a Python user meets them.

Each refused input raises ``DataError`` naming the file or level, the limit and where it was
exceeded; raising the limit lets the same input build. The repairs are checked against shapely:
the repaired region covers exactly the area of the raw polygon.
"""

import json
import re

import pytest
import shapely
from shapely.geometry import shape

import wangge
from conftest import REPO_ROOT

DISTRICTS = REPO_ROOT / "data" / "wuhan" / "districts_gcj02.geojson"


def squares(n, side=0.001):
    """``n`` disjoint squares in a row, codes s0, s1, ..."""
    features = []
    for i in range(n):
        x = 114.0 + 2 * side * i
        ring = [[x, 30.0], [x + side, 30.0], [x + side, 30.0 + side], [x, 30.0 + side], [x, 30.0]]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": f"s{i}"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def manifest(tmp_path, extra=""):
    path = tmp_path / "city.toml"
    path.write_text(
        'crs = "gcj02"\n[[levels]]\nname = "district"\n'
        f"file = {json.dumps(str(DISTRICTS))}\n"
        'code_property = "adcode"\nname_property = "district"\n' + extra,
        encoding="utf-8",
    )
    return path


def test_from_geojson_limits_features_and_positions():
    level = squares(5)
    assert len(wangge.City.from_geojson({"grid": level}, code_scheme="free")) == 5
    with pytest.raises(wangge.DataError, match=r'5 features in level "grid".*max_features = 4'):
        wangge.City.from_geojson({"grid": level}, code_scheme="free", limits={"max_features": 4})
    with pytest.raises(
        wangge.DataError,
        match=r'level "grid": 21 positions in level "grid" \(reading stopped in feature 4 of '
        r'level "grid"\), over the limit max_vertices = 20',
    ):
        wangge.City.from_geojson({"grid": level}, code_scheme="free", limits={"max_vertices": 20})
    # None lifts a limit.
    city = wangge.City.from_geojson(
        {"grid": level}, code_scheme="free", limits={"max_features": None, "max_vertices": 25}
    )
    assert city.codes == [f"s{i}" for i in range(5)]


def test_the_text_length_counts_as_the_file_size():
    text = json.dumps(squares(3))
    with pytest.raises(
        wangge.DataError, match=rf"{len(text.encode())} bytes, over the limit max_file_bytes = 100"
    ):
        wangge.City.from_geojson({"grid": text}, code_scheme="free", limits={"max_file_bytes": 100})


def test_a_huge_file_is_refused_from_its_size(tmp_path):
    # A sparse 64 GiB file: reading it would exhaust memory; its size alone refuses it.
    big = tmp_path / "big.geojson"
    with open(big, "wb") as f:
        f.truncate(64 << 30)
    with pytest.raises(wangge.DataError) as e:
        wangge.City.from_geojson({"grid": big})
    message = str(e.value)
    assert "big.geojson" in message and "68719476736 bytes" in message, message
    assert "max_file_bytes = 268435456" in message, message


def test_manifest_table_and_keyword(tmp_path):
    path = manifest(tmp_path, "[limits]\nmax_ring_vertices = 1000\n")
    with pytest.raises(wangge.DataError) as e:
        wangge.City.from_manifest(path)
    message = str(e.value)
    assert re.search(
        r'districts_gcj02\.geojson: 1001 positions in ring \d+ of feature \d+ of level "district"',
        message,
    ), message
    # The keyword overrides the table; the largest ring of the file has 2,416 positions.
    assert len(wangge.City.from_manifest(path, limits={"max_ring_vertices": 2416})) == 13
    with pytest.raises(wangge.DataError, match="max_ring_vertices = 2415"):
        wangge.City.load(path, limits={"max_ring_vertices": 2415})
    # A snapshot has one limit, its size, checked from its header; the GeoJSON ones do not apply.
    snapshot = tmp_path / "city.wgg"
    wangge.City.from_manifest(path, limits={"max_ring_vertices": None}).save(snapshot)
    assert len(wangge.City.load(snapshot, limits={"max_features": 1})) == 13
    size = snapshot.stat().st_size
    with pytest.raises(wangge.DataError, match=f"max_snapshot_bytes = {size - 1}"):
        wangge.City.load(snapshot, limits={"max_snapshot_bytes": size - 1})
    assert len(wangge.City.load(snapshot, limits={"max_snapshot_bytes": size})) == 13


def test_dispatcher_from_manifest_takes_limits():
    wuhan = REPO_ROOT / "data" / "wuhan.toml"
    with pytest.raises(wangge.DataError, match='13 features in level "district".*max_features = 12'):
        wangge.Dispatcher.from_manifest(wuhan, limits={"max_features": 12})
    with pytest.raises(wangge.WanggeError, match="unknown limit"):
        wangge.Dispatcher.from_manifest(wuhan, limits={"max_feature": 12})


def test_bad_limits_are_refused():
    level = squares(1)
    with pytest.raises(wangge.WanggeError, match="unknown limit.*max_features"):
        wangge.City.from_geojson({"grid": level}, limits={"max_feature": 3})
    with pytest.raises(ValueError, match="whole number"):
        wangge.City.from_geojson({"grid": level}, limits={"max_features": -1})
    with pytest.raises(ValueError, match="whole number"):
        wangge.City.from_geojson({"grid": level}, limits={"max_features": 2.5})
    with pytest.raises(TypeError, match="limits must be a dict"):
        wangge.City.from_geojson({"grid": level}, limits=["max_features", 3])
    with pytest.raises(TypeError, match="limits must be a dict"):
        wangge.City.from_geojson({"grid": level}, limits={"max_features": True})


def test_from_geodataframes_takes_limits():
    gpd = pytest.importorskip("geopandas")
    frame = gpd.GeoDataFrame.from_features(squares(3)["features"])
    with pytest.raises(wangge.DataError, match="max_features = 2"):
        wangge.City.from_geodataframes({"grid": frame}, limits={"max_features": 2})
    assert len(wangge.City.from_geodataframes({"grid": frame}, limits={"max_features": 3})) == 3


def test_repairs_keep_the_area_shapely_sees():
    # A square with a repeated corner and a spike out of its top edge: the spike and the
    # repeat are removed, and the region covers exactly what shapely sees in the raw ring.
    raw = [
        [114.0, 30.0],
        [114.002, 30.0],
        [114.002, 30.0],
        [114.002, 30.002],
        [114.001, 30.002],
        [114.001, 30.004],
        [114.001, 30.002],
        [114.0, 30.002],
        [114.0, 30.0],
    ]
    level = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "a"},
                "geometry": {"type": "Polygon", "coordinates": [raw]},
            }
        ],
    }
    city = wangge.City.from_geojson({"grid": level}, code_scheme="free")
    region = shape(city.region(0).__geo_interface__)
    raw_polygon = shapely.Polygon(raw)
    assert region.symmetric_difference(raw_polygon).area == 0.0
    assert shapely.get_num_coordinates(region) == 6  # 5 corners (one on an edge) + closing
    # A ring of positions on one line encloses nothing: a GeometryError names it.
    flat = [[114.0, 30.0], [114.001, 30.0], [114.002, 30.0], [114.0, 30.0]]
    level["features"][0]["geometry"]["coordinates"] = [flat]
    with pytest.raises(wangge.GeometryError, match=r'feature 0 \(code "a"\): ring 0 encloses no area'):
        wangge.City.from_geojson({"grid": level}, code_scheme="free")
