"""The City / Region / Located API on the bundled Wuhan data."""

import doctest
import os

import numpy as np
import pytest

import wangge
from conftest import REPO_ROOT

REPORT_GCJ02 = (114.2712, 30.5851)


def test_levels_and_len(city):
    assert city.levels == ["district", "street", "community", "grid"]
    assert len(city) == len(city.codes)
    assert len(city.level_ids_of("district")) == 13
    assert len(city.level_ids_of(3)) > 1000
    assert "grid=" in repr(city)


def test_region_and_by_code(city):
    rid = city.by_code("420103")
    r = city.region(rid)
    assert (r.id, r.code, r.name, r.level, r.level_name, r.parent) == (
        rid, "420103", "江汉区", 0, "district", None
    )
    assert 20e6 < r.area_m2 < 40e6  # 江汉区 is about 28 km²
    assert len(r.children) == 7
    child = city.region(r.children[0])
    assert child.parent == rid and child.level_name == "street"
    assert r.to_dict()["code"] == "420103"
    assert city.region(rid) == r and hash(city.region(rid)) == hash(r)


def test_geo_interface(city):
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import shape

    r = city.region(city.by_code("420103"))
    gi = r.__geo_interface__
    assert gi["type"] == "MultiPolygon"
    geom = shape(gi)
    assert geom.is_valid
    # The owner of its representative point is a region of 江汉区.
    p = geom.representative_point()
    hit = city.locate(p.x, p.y)
    assert hit.codes[0] == "420103"
    grid = city.region(hit.id)
    assert shape(grid.__geo_interface__).covers(p)
    assert shapely.geometry.MultiPolygon  # the module is usable


def test_scalar_locate(city):
    hit = city.locate(*REPORT_GCJ02, crs="gcj02")
    assert isinstance(hit, wangge.Located)
    assert hit.levels == city.levels
    assert hit.codes[0] == "420103" and hit.names[0] == "江汉区"
    assert all(c.startswith(p) for p, c in zip(hit.codes, hit.codes[1:]))
    assert [r.code for r in hit.chain] == hit.codes
    assert hit.leaf.id == hit.id and len(hit) == 4
    assert hit.to_dict() == dict(zip(city.levels, hit.codes))
    assert "江汉区" in repr(hit)
    assert city.locate(0.0, 0.0) is None
    # numpy scalars and ints are scalars too.
    assert city.locate(np.float64(REPORT_GCJ02[0]), np.float32(30.5851), crs="gcj02") is not None
    assert city.locate(0, 0) is None


def test_batch_matches_scalar(city):
    rng = np.random.default_rng(4)
    lon = rng.uniform(114.20, 114.32, 3_000)
    lat = rng.uniform(30.54, 30.64, 3_000)
    for crs in ("wgs84", "gcj02", "bd09"):
        ids = city.locate(lon, lat, crs=crs)
        assert ids.dtype == np.int64
        for i in range(0, 3_000, 7):
            hit = city.locate(float(lon[i]), float(lat[i]), crs=crs)
            assert (hit.id if hit else -1) == ids[i]


def test_locate_levels(city):
    rng = np.random.default_rng(5)
    lon = rng.uniform(114.20, 114.32, 2_000)
    lat = rng.uniform(30.54, 30.64, 2_000)
    ids = city.locate(lon, lat)
    levels = city.locate_levels(lon, lat)
    assert levels.shape == (2_000, 4) and levels.dtype == np.int64
    for row, leaf in zip(levels[::11], ids[::11]):
        present = row[row >= 0]
        if leaf < 0:
            assert present.size == 0
            continue
        assert present[-1] == leaf
        hit_codes = [city.region(int(i)).code for i in present]
        assert all(c.startswith(p) for p, c in zip(hit_codes, hit_codes[1:]))


def test_locate_codes(city):
    pd = pytest.importorskip("pandas")
    lon = np.array([REPORT_GCJ02[0], 0.0, 114.40])
    lat = np.array([REPORT_GCJ02[1], 0.0, 30.60])
    df = city.locate_codes(lon, lat, crs="gcj02")
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == city.levels and len(df) == 3
    assert list(df.iloc[0]) == city.locate(*REPORT_GCJ02, crs="gcj02").codes
    assert df.iloc[1].isna().all()
    other = city.locate(114.40, 30.60, crs="gcj02")
    assert other is not None and len(other) == 1  # a district without subdivisions
    assert df.iloc[2]["district"] == other.codes[0]
    assert df.iloc[2][["street", "community", "grid"]].isna().all()


def test_gil_released_threads(city):
    """Batches from several threads give the same answers (the GIL is released inside)."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(6)
    lon = rng.uniform(114.20, 114.32, 200_000)
    lat = rng.uniform(30.54, 30.64, 200_000)
    expected = city.locate(lon, lat)
    with ThreadPoolExecutor(4) as ex:
        parts = list(ex.map(lambda s: city.locate(lon[s], lat[s]),
                            [slice(i, i + 50_000) for i in range(0, 200_000, 50_000)]))
    np.testing.assert_array_equal(np.concatenate(parts), expected)


def test_module_docstring_examples():
    """The examples in wangge.__doc__ run (from the repository root)."""
    cwd = os.getcwd()
    os.chdir(REPO_ROOT)
    try:
        result = doctest.testmod(wangge, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    finally:
        os.chdir(cwd)
    assert result.attempted >= 10 and result.failed == 0


def test_package_files():
    import pathlib

    pkg = pathlib.Path(wangge.__file__).parent
    assert (pkg / "py.typed").exists() and (pkg / "_wangge.pyi").exists()
    assert set(wangge.__all__) <= set(dir(wangge))
    assert wangge.NO_OWNER == -1 and "gcj02" in wangge.CRS_NAMES
