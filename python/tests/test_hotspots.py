"""Repeat-case hot spots (``wangge.hotspots``).

Oracle: a brute-force clustering written here: every pair of cases of one category compared
with pyproj's geodesic distance (Karney, WGS84) and the time window, connected components by
union-find, kept when they have ``min_cases`` cases; owners by shapely ``contains``.
"""

from collections import Counter

import numpy as np
import pytest

import wangge

pd = pytest.importorskip("pandas")
shapely = pytest.importorskip("shapely")
pyproj = pytest.importorskip("pyproj")

GEOD = pyproj.Geod(ellps="WGS84")
X0, Y0, D = 114.0, 30.0, 0.001


def square_city():
    """One community of four 0.001° grids in a row."""
    def feature(code, i, j, parent=None):
        props = {"code": code, "name": f"g{code[-3:]}"}
        if parent:
            props["parent"] = parent
        geom = shapely.box(X0 + i * D, Y0, X0 + j * D, Y0 + D)
        return {"type": "Feature", "properties": props,
                "geometry": shapely.geometry.mapping(geom)}

    c = "420103001001"
    return wangge.City.from_geojson({
        "community": {"type": "FeatureCollection", "features": [feature(c, 0, 4)]},
        "grid": {"type": "FeatureCollection", "features": [
            feature(f"{c}00{k + 1}", k, k + 1, c) for k in range(4)]},
    }, parent_property="parent")


def crafted_cases(n, seed):
    """Cases in small spots over the city (so that some link), two categories, 40 days."""
    rng = np.random.default_rng(seed)
    spots = rng.uniform([X0, Y0], [X0 + 4 * D, Y0 + D], (12, 2))
    k = rng.integers(0, len(spots), n)
    lon = spots[k, 0] + rng.normal(0, 0.00008, n)
    lat = spots[k, 1] + rng.normal(0, 0.00008, n)
    t = pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 40 * 86_400, n), unit="s")
    category = rng.choice(["0103", "200501"], n)
    return pd.DataFrame({"lon": lon, "lat": lat, "category": category, "reported_at": t})


def brute_force(df, radius_m, days, min_cases):
    """Clusters as sorted lists of row positions, by comparing every pair."""
    n = len(df)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    lon, lat = df.lon.to_numpy(), df.lat.to_numpy()
    secs = df.reported_at.to_numpy().astype("datetime64[s]").astype("int64")
    cat = df.category.to_numpy()
    window = int(np.floor(days * 86_400))
    for i in range(n):
        j = np.arange(i + 1, n)
        _, _, dist = GEOD.inv(np.full(len(j), lon[i]), np.full(len(j), lat[i]), lon[j], lat[j])
        linked = j[(cat[j] == cat[i]) & (np.abs(secs[j] - secs[i]) <= window) & (dist <= radius_m)]
        for k in linked:
            a, b = find(i), find(int(k))
            if a != b:
                parent[a] = b
    groups = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(sorted(g) for g in groups.values() if len(g) >= min_cases)


@pytest.mark.parametrize("radius_m,days,min_cases", [(15.0, 3.0, 2), (30.0, 7.5, 3)])
def test_clusters_equal_brute_force(radius_m, days, min_cases):
    city = square_city()
    df = crafted_cases(500, 7)
    expected = brute_force(df, radius_m, days, min_cases)
    assert len(expected) >= 5  # the crafted spots do repeat
    spots = wangge.hotspots(city, df, radius_m, days, min_cases=min_cases)
    clusters = spots.clusters()
    got = sorted(sorted(m) for m in clusters["members"])
    assert got == expected
    assert [list(r) for r in clusters["rows"]] == [list(m) for m in clusters["members"]]
    assert spots.repeat_cases == sum(map(len, expected)) and spots.cases == len(df)
    # Ranked by cases (descending); ids are the ranks.
    assert list(clusters.index) == list(range(1, len(expected) + 1))
    assert list(clusters["cases"]) == sorted(map(len, expected), reverse=True)
    # Each cluster: its category, first/last report, and the grid owning most members.
    grids = city.to_geodataframe("grid")
    for cid, row in clusters.iterrows():
        members = df.iloc[list(row["members"])]
        assert set(members.category) == {row["category"]}
        assert row["first"] == members.reported_at.min().floor("s")
        assert row["last"] == members.reported_at.max().floor("s")
        owners = Counter()
        for x, y in zip(members.lon, members.lat):
            hit = [i for i, g in zip(grids.index, grids.geometry) if g.contains(shapely.Point(x, y))]
            if hit:
                owners[hit[0]] += 1
        if owners:
            top = max(owners.values())
            assert row["region"] == min(i for i, n in owners.items() if n == top)
            assert row["code"] == city.region(int(row["region"])).code
        else:
            assert row["region"] == -1 and pd.isna(row["code"])
    # Region ranking of the grid level: repeat cases per owning grid.
    repeat = [i for g in expected for i in g]
    counts = Counter()
    for i in repeat:
        hit = city.locate(df.lon.iloc[i], df.lat.iloc[i])
        if hit is not None:
            counts[hit.id] += 1
    ranking = spots.regions("grid")
    assert dict(zip(ranking.index, ranking["repeat_cases"])) == dict(counts)
    assert list(ranking["repeat_cases"]) == sorted(ranking["repeat_cases"], reverse=True)
    community = spots.regions("community")
    assert int(community["repeat_cases"].sum()) == sum(counts.values())
    assert spots.outside_repeat_cases == len(repeat) - sum(counts.values())


def test_csv_and_dataframe_agree(tmp_path):
    city = square_city()
    df = crafted_cases(300, 11)
    path = tmp_path / "cases.csv"
    out = df.copy()
    out["reported_at"] = out.reported_at.dt.strftime("%Y-%m-%d %H:%M:%S")
    out.to_csv(path, index=False)
    a = wangge.hotspots(city, df, 20.0, 5.0).clusters()
    b = wangge.hotspots(city, path, 20.0, 5.0).clusters()
    assert len(a) > 0
    assert [list(m) for m in a["members"]] == [list(m) for m in b["members"]]
    # CSV rows are file lines (header = line 1).
    assert [list(r) for r in b["rows"]] == [[m + 2 for m in ms] for ms in a["members"]]
    pd.testing.assert_frame_equal(
        a.drop(columns=["rows"]), b.drop(columns=["rows"]), check_exact=False, rtol=1e-12)
    report = wangge.hotspots(city, path, 20.0, 5.0).to_dict()
    assert len(report["clusters"]) == len(a) and report["radius_m"] == 20.0
    gj = wangge.hotspots(city, df, 20.0, 5.0).to_geojson()
    assert [len(f["geometry"]["coordinates"]) for f in gj["features"]] == list(a["cases"])


def test_bad_rows_and_parameters():
    city = square_city()
    df = crafted_cases(50, 3)
    df.loc[7, "reported_at"] = pd.NaT
    with pytest.raises(wangge.DataError, match="reported_at"):
        wangge.hotspots(city, df, 20.0, 5.0)
    spots = wangge.hotspots(city, df, 20.0, 5.0, skip_invalid=True)
    problems = spots.problems()
    assert list(problems["row"]) == [7] and list(problems["column"]) == ["reported_at"]
    assert spots.rows == 50 and spots.cases == 49
    assert 7 not in {m for ms in spots.clusters()["members"] for m in ms}  # rows kept apart
    with pytest.raises(wangge.DataError, match="category"):
        wangge.hotspots(city, df.drop(columns=["category"]), 20.0, 5.0)
    with pytest.raises(wangge.WanggeError, match="radius_m"):
        wangge.hotspots(city, df, 0.0, 5.0, skip_invalid=True)
    with pytest.raises(wangge.WanggeError, match="min_cases"):
        wangge.hotspots(city, df, 20.0, 5.0, min_cases=1, skip_invalid=True)


def test_with_a_dispatcher_ranks_assets(dispatcher):
    """Broken covers (0103) reported at one asset's position are attributed to it."""
    city = dispatcher.city
    pairs = dispatcher.nearest([114.2650], [30.5800], classes="0103")
    asset = dispatcher.asset(int(pairs[1, 0]))
    x, y = asset.lon, asset.lat
    df = pd.DataFrame({
        "lon": [x, x + 0.00002, x - 0.00002],
        "lat": [y, y, y + 0.00001],
        "category": ["0103"] * 3,
        "reported_at": pd.to_datetime(["2025-06-01", "2025-06-03", "2025-06-05"]),
    })
    spots = wangge.hotspots(dispatcher, df, 10.0, 3.0)
    clusters = spots.clusters()
    assert len(clusters) == 1 and clusters.loc[1, "asset"] == asset.id
    ranking = spots.assets_ranking()
    assert list(ranking["id"]) == [asset.id] and list(ranking["repeat_cases"]) == [3]
    assert wangge.hotspots(city, df, 10.0, 3.0).assets_ranking() is None
