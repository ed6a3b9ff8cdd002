"""Dispatcher: dispatch, nearest assets against a brute-force geodesic oracle, live updates."""

import numpy as np
import pytest

import wangge

pyproj = pytest.importorskip("pyproj")
GEOD = pyproj.Geod(ellps="WGS84")


def test_dispatch_rainwater_cover(dispatcher):
    r = dispatcher.dispatch(114.2712, 30.5851, "0103", crs="gcj02")
    assert isinstance(r, wangge.DispatchResult)
    assert r.department == "D420100-SWJ"
    first = r.departments[0]
    assert first["code"] == "D420100-SWJ"
    assert first["reason"]["rule"] == "responsible" and first["reason"]["primary"] is True
    assert r.category == "0103" and r.category_name == "雨水井盖"
    assert [c["level"] for c in r.chain] == dispatcher.city.levels
    assert r.codes == dispatcher.city.locate(114.2712, 30.5851, crs="gcj02").codes
    assert 0 < len(r.workers) <= 3
    assert all(w["distance_m"] >= 0 for w in r.workers)
    assert r.assets and all(a["class"] == "0103" for a in r.assets)
    assert "hydrants" in r.nearby
    d = r.to_dict()
    assert d["departments"] == r.departments and d["nearby"] == r.nearby
    assert abs(d["lon"] - 114.2712) < 0.01  # WGS84 now, a few hundred metres off
    assert "D420100-SWJ" in repr(r)


def test_dispatch_options_and_errors(dispatcher):
    assert dispatcher.dispatch(114.2712, 30.5851, "0103", crs="gcj02", workers=0).workers == []
    asset = dispatcher.asset_ids[0]
    r = dispatcher.dispatch(114.2712, 30.5851, asset[6:10], crs="gcj02", asset_id=asset)
    assert r.departments
    with pytest.raises(wangge.UnknownIdError) as e:
        dispatcher.dispatch(114.2712, 30.5851, "0103", asset_id="4201030103999999")
    assert isinstance(e.value, KeyError)
    with pytest.raises(wangge.CodeError):
        dispatcher.dispatch(114.2712, 30.5851, "9999")
    with pytest.raises(wangge.WanggeError, match="not finite"):
        dispatcher.dispatch(float("nan"), 30.5851, "0103")
    with pytest.raises(wangge.WanggeError, match="CRS"):
        dispatcher.dispatch(114.2712, 30.5851, "0103", crs="web-mercator")
    outside = dispatcher.dispatch(0.0, 0.0, "0103")
    assert outside.chain == []


def _brute_force(a_lon, a_lat, lon, lat, keep, k, max_distance=None):
    """Indices and distances of the k nearest kept assets, by (distance, index)."""
    n = len(a_lon)
    _, _, dist = GEOD.inv(np.full(n, lon), np.full(n, lat), a_lon, a_lat)
    idx = np.flatnonzero(keep)
    d = dist[idx]
    if max_distance is not None:
        idx, d = idx[d <= max_distance], d[d <= max_distance]
    order = np.lexsort((idx, d))[:k]
    return idx[order], d[order]


def test_asset_table(dispatcher):
    t = dispatcher.asset_table()
    n = len(dispatcher.asset_ids)
    assert t["id"] == dispatcher.asset_ids and n > 1000
    assert t["lon"].shape == (n,) and t["lat"].dtype == np.float64
    # Each asset's region is where the city locates it.
    np.testing.assert_array_equal(t["region"], dispatcher.city.locate(t["lon"], t["lat"]))


def test_nearest_assets_empty_input(dispatcher):
    pairs, dist = dispatcher.nearest_assets(np.zeros(0), np.zeros(0), return_distance=True)
    assert pairs.shape == (2, 0) and pairs.dtype == np.int64 and dist.shape == (0,)


@pytest.mark.parametrize(
    "k,classes,max_distance",
    [(1, None, None), (3, None, None), (2, "0113", None), (4, ["0103", "0113"], 300.0)],
)
def test_nearest_assets_against_brute_force(dispatcher, k, classes, max_distance):
    t = dispatcher.asset_table()
    a_lon, a_lat = t["lon"], t["lat"]
    cls = np.array(t["class"])
    if classes is None:
        keep = np.ones(len(cls), bool)
    else:
        prefixes = [classes] if isinstance(classes, str) else classes
        keep = np.zeros(len(cls), bool)
        for p in prefixes:
            keep |= np.char.startswith(cls, p)
    rng = np.random.default_rng(7 + k)
    m = 300
    lon = rng.uniform(a_lon.min() - 0.01, a_lon.max() + 0.01, m)
    lat = rng.uniform(a_lat.min() - 0.01, a_lat.max() + 0.01, m)
    lon[:5], lat[:5] = a_lon[:5], a_lat[:5]  # on an asset: distance 0
    pairs, dist = dispatcher.nearest_assets(
        lon, lat, k=k, max_distance=max_distance, classes=classes, return_distance=True
    )
    assert pairs.dtype == np.int64 and pairs.shape == (2, dist.shape[0])
    np.testing.assert_array_equal(
        dispatcher.nearest_assets(lon, lat, k=k, max_distance=max_distance, classes=classes),
        pairs,
    )
    assert np.all(np.diff(pairs[0]) >= 0)
    checked_ties = 0
    for i in range(m):
        sel = pairs[0] == i
        got_idx, got_d = pairs[1][sel], dist[sel]
        exp_idx, exp_d = _brute_force(a_lon, a_lat, lon[i], lat[i], keep, k, max_distance)
        np.testing.assert_allclose(got_d, exp_d, rtol=0, atol=1e-6)
        if not np.array_equal(got_idx, exp_idx):
            # Acceptable only where two distances tie to within rounding.
            checked_ties += 1
            assert np.all(np.abs(np.diff(exp_d)).min() < 1e-6)
    assert checked_ties <= 2
    if max_distance is None:
        assert dist.shape[0] == m * k
        if classes is None:
            assert np.all(dist[: 5 * k : k] == 0.0)
    else:
        assert np.all(dist <= max_distance)


def test_nearest_assets_crs_and_scalars(dispatcher):
    wgs = dispatcher.nearest_assets(114.2658, 30.5876, k=2)
    assert wgs.shape == (2, 2) and wgs[0].tolist() == [0, 0]
    gcj = dispatcher.nearest_assets([114.2712], [30.5851], k=2, crs="gcj02")
    assert gcj.shape == (2, 2)
    nan = dispatcher.nearest_assets([np.nan, 114.27], [30.58, 30.58])
    assert nan[0].tolist() == [1]
    with pytest.raises(TypeError):
        dispatcher.nearest_assets([114.27], [30.58], classes=3)
    with pytest.raises(ValueError, match="items"):
        dispatcher.nearest_assets([114.27, 114.28], [30.58])


def test_update_positions(fresh_dispatcher):
    d = fresh_dispatcher
    ids = d.resource_ids[:3]
    v0 = d.resource_version
    lon = np.array([114.2601, 114.2602, 114.2603])
    lat = np.array([30.5801, 30.5802, 30.5803])
    v1 = d.update_positions(ids, lon, lat)
    assert v1 == v0 + 1 == d.resource_version
    moved = d.resource(ids[1])
    assert (moved["lon"], moved["lat"]) == (114.2602, 30.5802)
    # GCJ-02 input is converted to WGS84.
    d.update_positions([ids[0]], [114.2712], [30.5851], crs="gcj02")
    r = d.resource(ids[0])
    assert abs(r["lon"] - 114.2712) > 1e-3 and abs(r["lon"] - 114.2712) < 0.01
    # All-or-nothing: an unknown id or a bad coordinate changes nothing.
    before = d.resource(ids[2])
    with pytest.raises(wangge.UnknownIdError):
        d.update_positions([ids[2], "nobody"], [114.0, 114.0], [30.0, 30.0])
    with pytest.raises(wangge.WanggeError):
        d.update_positions([ids[2]], [np.nan], [30.0])
    with pytest.raises(ValueError, match="items"):
        d.update_positions(ids, lon[:2], lat[:2])
    assert d.resource(ids[2]) == before
    assert d.resource_version == v1 + 1
    with pytest.raises(KeyError):
        d.resource("nobody")
    # A moved worker is found by dispatch.
    d.update_positions([ids[1]], [114.2712], [30.5851], crs="gcj02")
    r = d.dispatch(114.2712, 30.5851, "0103", crs="gcj02", workers=59)
    assert any(w["id"] == ids[1] and w["distance_m"] < 1e-3 for w in r.workers)


def test_dispatcher_city_is_shared(dispatcher):
    c1, c2 = dispatcher.city, dispatcher.city
    assert c1.to_bytes() == c2.to_bytes()
    assert "assets" in repr(dispatcher)
