"""Bad inputs raise the documented exceptions, never a panic."""

import numpy as np
import pytest

import wangge
from conftest import REPO_ROOT


def test_mismatched_lengths(city):
    with pytest.raises(wangge.WanggeError, match=r"3 items.*2") as e:
        city.locate(np.zeros(3), np.zeros(2))
    assert isinstance(e.value, ValueError)
    with pytest.raises(ValueError, match="3 items"):
        city.locate_levels([1.0, 2.0, 3.0], [1.0, 2.0])


def test_two_dimensional_arrays(city):
    with pytest.raises(ValueError, match="1-D"):
        city.locate(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1-D"):
        city.locate(np.zeros(4), np.zeros((4, 1)))


def test_scalar_and_array_mixed(city):
    with pytest.raises(ValueError, match="both"):
        city.locate(114.27, np.array([30.58]))


def test_strings(city):
    with pytest.raises(TypeError, match="lon must"):
        city.locate(["114.27"], ["30.58"])
    with pytest.raises(TypeError, match="lat must"):
        city.locate(np.array([114.27]), np.array(["x"]))
    with pytest.raises(TypeError):
        city.locate("114.27", "30.58")
    with pytest.raises(TypeError):
        city.locate(np.array([True]), np.array([False]))


def test_nan_and_infinite_have_no_owner(city):
    lon = np.array([np.nan, 114.2650, np.inf, 114.2650])
    lat = np.array([30.58, np.nan, 30.58, 30.58])
    ids = city.locate(lon, lat)
    assert ids.tolist()[:3] == [-1, -1, -1]
    assert ids[3] >= 0
    assert city.locate(float("nan"), 30.58) is None
    assert city.locate(114.2650, 30.58, crs="gcj02") is not None
    assert city.locate(np.nan, np.nan, crs="gcj02") is None
    levels = city.locate_levels(lon, lat)
    assert (levels[:3] == -1).all()


def test_non_contiguous_and_other_dtypes(city):
    rng = np.random.default_rng(3)
    lon = rng.uniform(114.20, 114.30, 2_000)
    lat = rng.uniform(30.55, 30.63, 2_000)
    expected = city.locate(lon, lat)
    both = np.stack([lon, lat], axis=1)  # columns of an (n, 2) array: strided views
    assert not both[:, 0].flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(city.locate(both[:, 0], both[:, 1]), expected)
    np.testing.assert_array_equal(city.locate(lon[::-1], lat[::-1]), expected[::-1])
    np.testing.assert_array_equal(city.locate(list(lon), list(lat)), expected)
    f32 = city.locate(lon.astype(np.float32), lat.astype(np.float32))
    assert f32.dtype == np.int64 and f32.shape == expected.shape
    ints = city.locate(np.array([114, 0], dtype=np.int32), np.array([30, 0], dtype=np.int64))
    assert ints.tolist() == [-1, -1]
    big_endian = city.locate(lon.astype(">f8"), lat.astype(">f8"))
    np.testing.assert_array_equal(big_endian, expected)


def test_misaligned_arrays(city):
    """Contiguous but misaligned views (as pickle-5 / shared-memory buffers can be) are
    copied, not refused."""
    rng = np.random.default_rng(8)
    lon = rng.uniform(114.20, 114.30, 1_000)
    lat = rng.uniform(30.55, 30.63, 1_000)
    expected = city.locate(lon, lat)

    def misaligned(a):
        raw = np.frombuffer(b"\0" + a.tobytes(), dtype=np.uint8)
        view = raw[1:].view(np.float64)
        assert view.flags["C_CONTIGUOUS"] and not view.flags["ALIGNED"]
        return view

    np.testing.assert_array_equal(city.locate(misaligned(lon), misaligned(lat)), expected)
    np.testing.assert_array_equal(
        city.locate_levels(misaligned(lon), lat)[:, -1], city.locate_levels(lon, lat)[:, -1]
    )


def test_empty_arrays(city):
    ids = city.locate(np.array([]), np.array([]))
    assert ids.dtype == np.int64 and ids.shape == (0,)
    assert city.locate_levels([], []).shape == (0, len(city.levels))


def test_wrong_crs_name(city):
    with pytest.raises(wangge.WanggeError) as e:
        city.locate(114.27, 30.58, crs="mercator")
    for name in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        assert name in str(e.value)
    with pytest.raises(ValueError, match="gcj02"):
        city.locate([114.27], [30.58], crs="")
    # Accepted spellings.
    for name in ("WGS84", "cgcs2000", "EPSG:4326", "GCJ-02", "bd09"):
        city.locate(114.27, 30.58, crs=name)


def test_corrupt_snapshot_bytes(city):
    data = bytearray(city.to_bytes())
    with pytest.raises(wangge.SnapshotError, match="truncated"):
        wangge.City.from_bytes(bytes(data[:10]))
    with pytest.raises(wangge.SnapshotError, match="magic"):
        wangge.City.from_bytes(b"x" * 100)
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(wangge.SnapshotError, match="checksum"):
        wangge.City.from_bytes(bytes(data))
    with pytest.raises(ValueError):
        wangge.City.from_bytes(b"")
    with pytest.raises(TypeError):
        wangge.City.from_bytes("not bytes")


def test_missing_manifest(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(wangge.FileError) as e:
        wangge.City.from_manifest(missing)
    assert isinstance(e.value, OSError) and isinstance(e.value, wangge.WanggeError)
    assert "nope.toml" in str(e.value)
    with pytest.raises(OSError):
        wangge.Dispatcher.from_manifest(missing)


def test_bad_manifest_content(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = not [ toml", encoding="utf-8")
    with pytest.raises(wangge.ManifestError):
        wangge.City.from_manifest(bad)
    # A manifest without a [dispatch] section cannot make a dispatcher.
    with pytest.raises(wangge.ManifestError, match="dispatch"):
        wangge.Dispatcher.from_manifest(REPO_ROOT / "tests/data/fixture/city.toml")


def test_bad_geometry_is_a_geometry_error(tmp_path):
    geojson = tmp_path / "d.geojson"
    geojson.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature",'
        ' "properties": {"code": "420103"}, "geometry": {"type": "Polygon",'
        ' "coordinates": [[[114.0, 30.0], [114.1, 30.0], [114.0, 30.0]]]}}]}',
        encoding="utf-8",
    )
    manifest = tmp_path / "city.toml"
    manifest.write_text(
        'code_scheme = "free"\n[[levels]]\nname = "district"\nfile = "d.geojson"\n'
        'code_property = "code"\n',
        encoding="utf-8",
    )
    with pytest.raises(wangge.GeometryError, match="ring 0"):
        wangge.City.from_manifest(manifest)


def test_region_ids_out_of_range(city):
    with pytest.raises(IndexError):
        city.region(len(city))
    with pytest.raises(IndexError):
        city.region(-1)
    assert city.by_code("no such code") is None
    with pytest.raises(IndexError):
        city.level_ids_of("province")


def test_exception_hierarchy():
    for cls in (
        wangge.GeometryError,
        wangge.HierarchyError,
        wangge.CodeError,
        wangge.DataError,
        wangge.ManifestError,
        wangge.SnapshotError,
        wangge.FileError,
        wangge.UnknownIdError,
    ):
        assert issubclass(cls, wangge.WanggeError)
    assert issubclass(wangge.WanggeError, ValueError)
    assert issubclass(wangge.FileError, OSError)
    assert issubclass(wangge.UnknownIdError, KeyError)
