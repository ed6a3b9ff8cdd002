"""Dispatcher batches: nearest / within with filters against a brute-force geodesic oracle
(pyproj), assets with __geo_interface__, dispatch_many against dispatch, and panics."""

import numpy as np
import pytest

import wangge

pyproj = pytest.importorskip("pyproj")
GEOD = pyproj.Geod(ellps="WGS84")
HYDRANTS = ["0113", "01013"]


@pytest.fixture(scope="module")
def assets(dispatcher):
    t = dispatcher.asset_table()
    return t["lon"], t["lat"], np.array(t["class"]), np.array(t["state"])


def keep_mask(classes, states, cls, st):
    keep = np.zeros(len(cls), bool) if classes else np.ones(len(cls), bool)
    for p in classes or []:
        keep |= np.char.startswith(cls.astype(str), p)
    if states:
        keep &= np.isin(st, states)
    return keep


def distances(a_lon, a_lat, lon, lat):
    n = len(a_lon)
    return GEOD.inv(np.full(n, lon), np.full(n, lat), a_lon, a_lat)[2]


def query_points(a_lon, a_lat, m, seed):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(a_lon.min() - 0.01, a_lon.max() + 0.01, m)
    lat = rng.uniform(a_lat.min() - 0.01, a_lat.max() + 0.01, m)
    return lon, lat


def test_within_against_brute_force(dispatcher, assets):
    a_lon, a_lat, cls, st = assets
    lon, lat = query_points(a_lon, a_lat, 200, 21)
    lon[0], lat[0] = np.nan, 30.58
    for classes, radius in [(None, 150.0), (HYDRANTS, 600.0)]:
        pairs, dist = dispatcher.within(
            lon, lat, radius, classes=classes, return_distance=True
        )
        assert pairs.dtype == np.int64 and pairs.shape == (2, len(dist))
        np.testing.assert_array_equal(
            dispatcher.within(lon, lat, radius, classes=classes), pairs
        )
        keep = keep_mask(classes, None, cls, st)
        assert not np.any(pairs[0] == 0)
        for i in range(1, len(lon)):
            sel = pairs[0] == i
            d_all = distances(a_lon, a_lat, lon[i], lat[i])
            # Leave out assets within 1 µm of the radius, where rounding may decide.
            clear = np.abs(d_all - radius) > 1e-6
            expected = set(np.flatnonzero(keep & (d_all <= radius) & clear))
            got = set(pairs[1][sel].tolist())
            assert got - set(np.flatnonzero(~clear)) == expected, i
            np.testing.assert_allclose(dist[sel], d_all[pairs[1][sel]], rtol=0, atol=1e-6)
            assert np.all(np.diff(dist[sel]) >= 0)
        assert len(dist) > 50


def test_nearest_with_state_filter(dispatcher, assets):
    a_lon, a_lat, cls, st = assets
    states = sorted(set(st.tolist()))
    assert len(states) >= 2, states
    rare = min(states, key=lambda s: (st == s).sum())
    lon, lat = query_points(a_lon, a_lat, 100, 22)
    pairs, dist = dispatcher.nearest(
        lon, lat, k=2, states=[rare], return_distance=True
    )
    keep = keep_mask(None, [rare], cls, st)
    assert set(st[pairs[1]].tolist()) == {rare}
    for i in range(len(lon)):
        d_all = distances(a_lon, a_lat, lon[i], lat[i])
        d_all[~keep] = np.inf
        np.testing.assert_allclose(dist[pairs[0] == i], np.sort(d_all)[:2], rtol=0, atol=1e-6)
    # Chinese state names work too, and combine with classes.
    chinese = {"intact": "完好", "damaged": "破损", "lost": "丢失", "abandoned": "废弃",
               "removed": "移除"}[rare]
    np.testing.assert_array_equal(dispatcher.nearest(lon, lat, k=2, states=chinese), pairs)
    both = dispatcher.nearest(lon, lat, classes="01", states=[rare])
    assert np.all(np.char.startswith(cls[both[1]].astype(str), "01"))
    with pytest.raises(wangge.WanggeError, match="unknown state"):
        dispatcher.nearest(lon, lat, states="broken")
    with pytest.raises(TypeError, match="states"):
        dispatcher.nearest(lon, lat, states=[1])
    # The old name is the same function.
    np.testing.assert_array_equal(dispatcher.nearest_assets(lon, lat, k=3),
                                  dispatcher.nearest(lon, lat, k=3))


def test_nearest_and_within_geometry_input(dispatcher):
    shapely = pytest.importorskip("shapely")
    lon = np.array([114.2650, 114.2700])
    lat = np.array([30.5800, 30.5850])
    pts = shapely.points(lon, lat)
    np.testing.assert_array_equal(dispatcher.nearest(pts, k=2), dispatcher.nearest(lon, lat, k=2))
    np.testing.assert_array_equal(
        dispatcher.within(pts, distance=300), dispatcher.within(lon, lat, 300)
    )
    with pytest.raises(TypeError, match="distance"):
        dispatcher.within(pts)
    with pytest.raises(ValueError, match="distance"):
        dispatcher.within(lon, lat, -5.0)


def test_asset_objects(dispatcher):
    shapely = pytest.importorskip("shapely")
    t = dispatcher.asset_table()
    i = len(dispatcher.asset_ids) // 2
    a = dispatcher.asset(i)
    assert isinstance(a, wangge.Asset)
    assert a.id == dispatcher.asset_ids[i] and a.index == i
    by_id = dispatcher.asset(a.id)
    assert by_id.index == i and by_id.to_dict() == a.to_dict()
    assert (a.lon, a.lat, a.class_code, a.state) == (t["lon"][i], t["lat"][i], t["class"][i],
                                                      t["state"][i])
    assert a.region == (t["region"][i] if t["region"][i] >= 0 else None)
    p = shapely.geometry.shape(a)
    assert (p.geom_type, p.x, p.y) == ("Point", a.lon, a.lat)
    assert a.id in repr(a) and a.to_dict()["class"] == a.class_code
    with pytest.raises(wangge.UnknownIdError):
        dispatcher.asset("4201030103999999")
    with pytest.raises(IndexError):
        dispatcher.asset(len(dispatcher.asset_ids))
    with pytest.raises(TypeError):
        dispatcher.asset(1.5)


def test_dispatch_result_geo_interface(dispatcher):
    gpd = pytest.importorskip("geopandas")
    r = dispatcher.dispatch(114.2712, 30.5851, "0103", crs="gcj02")
    fc = r.__geo_interface__
    assert fc["type"] == "FeatureCollection"
    roles = [f["properties"]["role"] for f in fc["features"]]
    assert roles[0] == "report"
    assert roles.count("asset") == len(r.assets) and roles.count("hydrants") == len(
        r.nearby["hydrants"]
    )
    gdf = gpd.GeoDataFrame.from_features(fc)
    report = gdf.iloc[0]
    assert (report.geometry.x, report.geometry.y) == (r.lon, r.lat)
    assert report["department"] == r.department and report["grid"] == r.codes[-1]
    for _, row in gdf.iloc[1:].iterrows():
        a = dispatcher.asset(row["id"])
        assert (row.geometry.x, row.geometry.y) == (a.lon, a.lat)
        _, _, d = GEOD.inv(r.lon, r.lat, a.lon, a.lat)
        assert abs(d - row["distance_m"]) < 1e-6


def missing(v):
    """pandas may store a missing string as None or NaN (pandas 3's string dtype)."""
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def test_dispatch_many_matches_dispatch(dispatcher):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(23)
    n = 400
    lon = rng.uniform(114.235, 114.285, n)
    lat = rng.uniform(30.565, 30.615, n)
    categories = rng.choice(["0103", "0113", "200501", "0301"], n)
    asset_ids = [None] * n
    with_main = next(i for i in range(len(dispatcher.asset_ids))
                     if dispatcher.asset(i).main_dept)
    a = dispatcher.asset(with_main)
    asset_ids[5], categories[5] = a.id, a.class_code
    lon[7], lat[7] = 0.0, 0.0  # outside the city: an empty chain
    df = dispatcher.dispatch_many(
        lon, lat, list(categories), crs="gcj02", asset_id=asset_ids, workers=2
    )
    assert isinstance(df, pd.DataFrame) and len(df) == n
    levels = dispatcher.city.levels
    expected_columns = (["lon", "lat"] + levels + [
        "category", "category_name", "department", "department_name", "department_rule",
        "departments", "workers", "nearest_worker_m", "assets", "nearest_asset_m",
        "hydrants", "nearest_hydrants_m"])
    assert list(df.columns) == expected_columns
    for i in range(n):
        r = dispatcher.dispatch(lon[i], lat[i], categories[i], crs="gcj02",
                                asset_id=asset_ids[i], workers=2)
        row = df.iloc[i]
        assert (row["lon"], row["lat"]) == (r.lon, r.lat)
        chain = dict(zip([c["level"] for c in r.chain], r.codes))
        assert [missing(row[lv]) for lv in levels] == [chain.get(lv) for lv in levels]
        assert missing(row["department"]) == r.department
        assert missing(row["department_rule"]) == (r.departments[0]["reason"]["rule"]
                                                  if r.departments else None)
        assert row["departments"] == [d["code"] for d in r.departments]
        assert row["workers"] == [w["id"] for w in r.workers]
        assert row["assets"] == [x["id"] for x in r.assets]
        assert row["hydrants"] == [x["id"] for x in r.nearby["hydrants"]]
        if r.assets:
            assert row["nearest_asset_m"] == r.assets[0]["distance_m"]
        else:
            assert np.isnan(row["nearest_asset_m"])
        if r.workers:
            assert row["nearest_worker_m"] == min(w["distance_m"] for w in r.workers)
    assert df.loc[5, "department_rule"] == "asset_main"
    assert df.loc[7, levels].isna().all()
    # One category for every report; Point geometries instead of lon/lat.
    same = dispatcher.dispatch_many(lon[:20], lat[:20], "0103", crs="gcj02")
    assert (same["category"] == "0103").all()
    shapely = pytest.importorskip("shapely")
    pts = dispatcher.dispatch_many(shapely.points(lon[:20], lat[:20]), None, "0103", crs="gcj02")
    pd.testing.assert_frame_equal(pts, same)


def test_dispatch_many_errors(dispatcher):
    lon = np.array([114.2712, np.nan, 114.2712, 114.2712])
    lat = np.array([30.5851, 30.5851, 30.5851, 30.5851])
    cats = ["0103", "0103", "9999", "0103"]
    with pytest.raises(wangge.WanggeError, match=r"^report 1: .*not finite"):
        dispatcher.dispatch_many(lon, lat, cats, crs="gcj02")
    with pytest.raises(wangge.CodeError, match=r"^report 0: .*9999"):
        dispatcher.dispatch_many(lon[2:], lat[2:], cats[2:], crs="gcj02")
    with pytest.raises(wangge.UnknownIdError, match="report 0: unknown asset"):
        dispatcher.dispatch_many(lon[:1], lat[:1], "0103", asset_id=["4201030103999999"])
    df = dispatcher.dispatch_many(lon, lat, cats, crs="gcj02", errors="ignore")
    assert df["error"].isna().tolist() == [True, False, False, True]
    assert "not finite" in df.loc[1, "error"] and "9999" in df.loc[2, "error"]
    assert df.loc[[1, 2], "department"].isna().all() and df.loc[0, "department"]
    assert np.isnan(df.loc[1, "lon"]) and df.loc[1, "workers"] == []
    with pytest.raises(wangge.WanggeError, match="categories"):
        dispatcher.dispatch_many(lon, lat, ["0103"])
    with pytest.raises(wangge.WanggeError, match="asset_ids"):
        dispatcher.dispatch_many(lon, lat, "0103", asset_id=[None])
    with pytest.raises(ValueError, match="errors"):
        dispatcher.dispatch_many(lon, lat, "0103", errors="skip")
    with pytest.raises(TypeError, match="category"):
        dispatcher.dispatch_many(lon, lat)
    with pytest.raises(TypeError, match="category"):
        dispatcher.dispatch_many(lon, lat, [1, 2, 3, 4])
    empty = dispatcher.dispatch_many(np.zeros(0), np.zeros(0), "0103")
    assert len(empty) == 0 and "department" in empty.columns


def test_panic_becomes_wangge_error():
    from wangge import _wangge

    with pytest.raises(wangge.WanggeError, match="internal error.*deliberate panic"):
        _wangge._panic_for_tests()


def test_update_positions_from_points(fresh_dispatcher):
    shapely = pytest.importorskip("shapely")
    d = fresh_dispatcher
    ids = d.resource_ids[:2]
    v = d.update_positions(ids, shapely.points([114.2601, 114.2602], [30.5801, 30.5802]))
    assert v == d.resource_version
    assert (d.resource(ids[1])["lon"], d.resource(ids[1])["lat"]) == (114.2602, 30.5802)
    with pytest.raises(ValueError, match="items"):
        d.update_positions(ids, shapely.points([114.26], [30.58]))
    assert d.resource_version == v
