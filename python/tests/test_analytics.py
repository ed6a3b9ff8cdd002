"""Case statistics, H3 and pictures (``wangge.case_stats``, ``wangge.h3_*``, ``wangge.plot``).

Oracles: a shapely STRtree join (counts per region of every level, counters from per-case
flags computed here with pandas), PyPI ``h3`` (cell ids, boundaries, polygon covers), a small
table computed by hand (indicators), and the CSV path against the DataFrame path.
"""

from collections import Counter

import numpy as np
import pytest

import wangge

pd = pytest.importorskip("pandas")
shapely = pytest.importorskip("shapely")
from shapely import STRtree  # noqa: E402
from shapely.geometry import shape  # noqa: E402

COUNTERS = ["cases", "accepted", "handled", "on_time", "overdue", "rework", "closed"]
STATUSES = np.array(["待受理", "作废", "处理中", "核查结案", "结案"], dtype=object)


def grids_bbox(city, level="grid"):
    gdf = city.to_geodataframe(level)
    return gdf.total_bounds


def synthetic_cases(city, n, seed):
    """Cases over 江汉区's grids (and around them; one in 200 outside the city), with statuses,
    times and rework."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = grids_bbox(city)
    dx, dy = (x1 - x0) * 0.05, (y1 - y0) * 0.05
    reported = pd.Timestamp("2025-03-01") + pd.to_timedelta(
        rng.integers(0, 90 * 86_400, n), unit="s"
    )
    limit_h = rng.choice([2, 4, 24, 72], n)
    status = STATUSES[rng.choice(5, n, p=[0.05, 0.05, 0.15, 0.1, 0.65])]
    finished = np.isin(status, ["核查结案", "结案"])
    span = pd.to_timedelta(rng.integers(1_800, limit_h * 7_200), unit="s")
    closed = pd.Series(reported + span).where(finished)
    lon = rng.uniform(x0 - dx, x1 + dx, n)
    lon[::200] -= 2.0  # west of Wuhan: in no region
    return pd.DataFrame(
        {
            "lon": lon,
            "lat": rng.uniform(y0 - dy, y1 + dy, n),
            "reported_at": reported,
            "time_limit_h": limit_h,
            "closed_at": closed,
            "status": status,
            "rework": np.where(finished & (rng.random(n) < 0.1), 1, 0),
        }
    )


def expected_flags(df):
    """Per-case counters, computed here from the formulas (wangge::analytics::indicators)."""
    accepted = ~df.status.isin(["待受理", "作废"])
    handled = accepted & df.closed_at.notna()
    deadline = df.reported_at + pd.to_timedelta(df.time_limit_h, unit="h")
    late = df.closed_at > deadline
    return pd.DataFrame(
        {
            "cases": 1,
            "accepted": accepted.astype(int),
            "handled": handled.astype(int),
            "on_time": (handled & ~late).astype(int),
            "overdue": (handled & late).astype(int),
            "rework": (accepted & (df.rework > 0)).astype(int),
            "closed": (df.status == "结案").astype(int),
        }
    )


@pytest.fixture(scope="module")
def cases(city):
    return synthetic_cases(city, 40_000, 7)


@pytest.fixture(scope="module")
def stats(city, cases):
    return wangge.case_stats(city, cases, h3_res=9, chunk_rows=7_000)


def test_counts_per_region_equal_a_shapely_join(city, cases, stats):
    points = shapely.points(cases.lon.to_numpy(), cases.lat.to_numpy())
    flags = expected_flags(cases)
    assert stats.rows == len(cases) and stats.total["cases"] == len(cases)
    for level in city.levels:
        ids = np.asarray(city.level_ids_of(level))
        polys = [shape(city.region(int(i)).__geo_interface__) for i in ids]
        tree = STRtree(polys)
        hit_point, hit_poly = tree.query(points, predicate="within")
        touching = tree.query(points, predicate="touches")[0]
        assert len(touching) == 0  # random doubles: nothing on a border
        assert len(np.unique(hit_point)) == len(hit_point)  # one region per point and level
        joined = flags.iloc[hit_point].groupby(ids[hit_poly]).sum()
        expected = joined.reindex(ids, fill_value=0)
        got = stats.level(level)
        assert list(got.index) == list(ids)
        assert got.code.tolist() == [city.region(int(i)).code for i in ids]
        pd.testing.assert_frame_equal(
            got[COUNTERS], expected[COUNTERS], check_names=False, check_dtype=False
        )
        handled, accepted = expected.handled.to_numpy(), expected.accepted.to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            np.testing.assert_allclose(got.handling_rate, handled / accepted)
    # Outside every district.
    district_polys = [shape(city.region(int(i)).__geo_interface__)
                      for i in city.level_ids_of("district")]
    inside = STRtree(district_polys).query(points, predicate="within")[0]
    assert stats.outside["cases"] == len(cases) - len(np.unique(inside)) > 0
    assert stats.level("grid").cases.sum() > 10_000


def test_dataframe_and_csv_give_the_same_tables(city, cases, stats, tmp_path):
    path = tmp_path / "cases.csv"
    cases.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    from_csv = wangge.case_stats(city, path, h3_res=9)
    for level in city.levels:
        pd.testing.assert_frame_equal(from_csv.level(level), stats.level(level))
    pd.testing.assert_frame_equal(from_csv.h3(), stats.h3())
    assert from_csv.total == stats.total and from_csv.outside == stats.outside
    assert from_csv.indicators == stats.indicators == [
        "handling_rate", "on_time_rate", "overdue", "rework_rate", "closing_rate",
    ]


def test_h3_ids_equal_pypi_h3(city, cases, stats):
    h3 = pytest.importorskip("h3")
    rng = np.random.default_rng(3)
    lon = np.concatenate([cases.lon.to_numpy()[:2_000], rng.uniform(-180, 180, 2_000),
                          [179.9999, -179.9999, 0.0, 114.27]])
    lat = np.concatenate([cases.lat.to_numpy()[:2_000], rng.uniform(-89.9, 89.9, 2_000),
                          [0.0, 85.0, -89.99, 90.0]])
    for res in (0, 5, 9, 12, 15):
        got = wangge.h3_cells(lon, lat, res)
        expected = [h3.latlng_to_cell(float(y), float(x), res) for x, y in zip(lon, lat)]
        assert got == expected
    assert wangge.h3_cells([np.nan, 200.0], [30.0, 30.0], 9) == [None, None]
    # Counts per cell (case_stats and h3_counts) against h3 one by one.
    inside = Counter(h3.latlng_to_cell(y, x, 9) for x, y in zip(cases.lon, cases.lat))
    assert dict(zip(stats.h3().h3, stats.h3()["count"])) == inside
    counts = wangge.h3_counts(cases.lon, cases.lat, 9)
    assert counts["count"].dtype == np.int64
    assert dict(zip(counts.h3, counts["count"])) == inside
    assert counts.h3.tolist() == sorted(inside, key=lambda c: int(c, 16))
    weighted = wangge.h3_counts(cases.lon, cases.lat, 9, weights=cases.rework)
    expected_w = Counter()
    for x, y, w in zip(cases.lon, cases.lat, cases.rework):
        expected_w[h3.latlng_to_cell(y, x, 9)] += w
    assert dict(zip(weighted.h3, weighted["count"])) == dict(expected_w)
    by_status = wangge.h3_counts(cases.lon, cases.lat, 9, categories=cases.status)
    expected_c = Counter((s, h3.latlng_to_cell(y, x, 9))
                         for x, y, s in zip(cases.lon, cases.lat, cases.status))
    assert {(c, h): n for c, h, n in by_status.itertuples(index=False)} == expected_c


def test_hexagons_and_covers_equal_pypi_h3(city, stats):
    h3 = pytest.importorskip("h3")
    counts = stats.h3()
    fc = wangge.h3_geojson(counts)
    assert len(fc["features"]) == len(counts)
    for feature, cell, n in zip(fc["features"][:200], counts.h3, counts["count"]):
        assert feature["properties"] == {"h3": cell, "count": n}
        ring = np.asarray(feature["geometry"]["coordinates"][0])
        expected = np.asarray([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])
        np.testing.assert_allclose(ring[:-1], expected, atol=1e-12)
        np.testing.assert_array_equal(ring[0], ring[-1])
    gdf = wangge.h3_hexagons(counts)
    assert list(gdf.columns) == ["h3", "count", "geometry"] and gdf.crs.to_epsg() == 4326
    assert gdf.geometry.iloc[0].equals(shape(fc["features"][0]["geometry"]))
    # Covers: cells whose centre lies in the region, as h3's polygon_to_cells (centroid mode).
    for code in [city.region(int(i)).code for i in city.level_ids_of("community")[:5]]:
        region = city.region(city.by_code(code))
        expected = sorted(h3.geo_to_cells(region.__geo_interface__, 10), key=lambda c: int(c, 16))
        assert wangge.h3_cover(city, code, 10) == expected
        assert wangge.h3_cover(city, region.id, 10) == expected
    table = wangge.h3_cover_level(city, "community", 10)
    assert list(table.columns) == ["id", "code", "h3"]
    first = city.level_ids_of("community")[0]
    assert table[table.id == first].h3.tolist() == wangge.h3_cover(city, int(first), 10)
    assert table.h3.is_unique  # neighbours share no cell
    with pytest.raises(wangge.UnknownIdError):
        wangge.h3_cover(city, "999", 10)
    with pytest.raises(wangge.DataError, match="not an H3 cell"):
        wangge.h3_hexagons(["zzz"])
    with pytest.raises(wangge.DataError, match="16 is not a resolution"):
        wangge.h3_cells([114.0], [30.0], 16)


def hand_table(city):
    """Seven cases in one grid; the expected figures are worked out in the test."""
    grid = city.region(city.level_ids_of("grid")[0])
    ring = np.asarray(grid.__geo_interface__["coordinates"][0][0])
    lon, lat = shapely.Polygon(ring).representative_point().coords[0]
    t = pd.Timestamp
    return grid, pd.DataFrame(
        {
            "lon": [lon] * 7,
            "lat": [lat] * 7,
            "status": ["结案", "结案", "核查结案", "处理中", "待受理", "作废", 6],
            "reported_at": [t("2025-06-01 08:00")] * 6 + [t("2025-06-02 08:00")],
            "deadline": ["2025-06-01 12:00"] * 6 + ["2025-06-02 09:00"],
            "closed_at": [t("2025-06-01 10:00"), t("2025-06-01 14:00"), t("2025-06-01 11:00"),
                          pd.NaT, pd.NaT, pd.NaT, t("2025-06-02 09:00")],
            "rework": ["0", "1", "0", "0", "0", "0", "是"],
            "department": ["A", "A", "A", "A", "B", "B", "B"],
        }
    )


def test_indicators_on_a_hand_computed_table(city):
    grid, df = hand_table(city)
    # Row 0 on time; 1 late and reworked; 2 handled on time (核查结案, not 结案); 3 open;
    # 4 待受理 and 5 作废 are not accepted; 6 (status code 6 = 结案) closed exactly at its
    # deadline (on time) and reworked (是).
    # 应处置 5 (0 1 2 3 6), 处置 4 (0 1 2 6), 按期 3 (0 2 6), 超期 1 (1), 返工 2 (1 6), 结案 3 (0 1 6).
    stats = wangge.case_stats(city, df)
    row = stats.level("grid").loc[grid.id]
    assert row[COUNTERS].tolist() == [7, 5, 4, 3, 1, 2, 3]
    assert row.handling_rate == pytest.approx(4 / 5)
    assert row.on_time_rate == pytest.approx(3 / 5)
    assert row.rework_rate == pytest.approx(2 / 4)
    assert row.closing_rate == pytest.approx(3 / 5)
    assert stats.total["overdue"] == 1 and "overdue_rate" not in stats.total
    # The chain above the grid has the same figures; other grids have none (NaN rates).
    for level in city.levels[:-1]:
        above = stats.level(level)
        assert above.cases.sum() == 7
        assert above[above.cases > 0].handling_rate.tolist() == [pytest.approx(0.8)]
    assert stats.level("grid").handling_rate.isna().sum() == len(city.level_ids_of("grid")) - 1
    # Departments from the column: A = rows 0–3, B = rows 4–6.
    deps = stats.departments().set_index("code")
    assert deps.loc["A", COUNTERS].tolist() == [4, 4, 3, 2, 1, 1, 2]
    assert deps.loc["B", COUNTERS].tolist() == [3, 1, 1, 1, 0, 1, 1]
    assert deps.loc["A", "rework_rate"] == pytest.approx(1 / 3)
    assert deps.loc["B", ["handling_rate", "on_time_rate", "closing_rate"]].tolist() == [1, 1, 1]
    # Deadlines from time_limit_h give the same figures.
    limits = df.drop(columns="deadline").assign(time_limit_h=[4, 4, 4, 4, 4, 4, 1.0])
    again = wangge.case_stats(city, limits).level("grid").loc[grid.id]
    pd.testing.assert_series_equal(again, row)
    # Only the indicators asked for, by key or Chinese name.
    some = wangge.case_stats(city, df, indicators=["结案率", "overdue"])
    assert some.indicators == ["closing_rate", "overdue"]
    assert "handling_rate" not in some.level("grid").columns
    # Renamed columns and timezone-aware times (taken in UTC: 08:00+08:00 is 00:00).
    renamed = df.rename(columns={"lon": "x", "lat": "y", "status": "state"})
    for c in ("reported_at", "closed_at"):
        renamed[c] = renamed[c].dt.tz_localize("Asia/Shanghai")
    renamed["deadline"] = pd.to_datetime(renamed["deadline"]).dt.tz_localize("Asia/Shanghai")
    moved = wangge.case_stats(city, renamed, columns={"lon": "x", "lat": "y", "status": "state"})
    pd.testing.assert_series_equal(moved.level("grid").loc[grid.id], row)


def test_a_missing_column_is_named(city):
    _, df = hand_table(city)
    with pytest.raises(wangge.DataError, match=r'missing column "deadline" \(needed for 按期处置率'):
        wangge.case_stats(city, df.drop(columns="deadline"), indicators=["on_time_rate"])
    with pytest.raises(wangge.DataError, match=r'missing column "rework"'):
        wangge.case_stats(city, df.drop(columns="rework"), indicators=["返工率"])
    with pytest.raises(wangge.DataError, match=r'DataFrame: missing column "lat"'):
        wangge.case_stats(city, df.drop(columns="lat"))
    with pytest.raises(wangge.DataError, match=r'missing column "y"'):
        wangge.case_stats(city, df, columns={"lat": "y"})
    # Without a request, the indicators are those the table has the columns for.
    assert wangge.case_stats(city, df.drop(columns="deadline")).indicators == [
        "handling_rate", "rework_rate", "closing_rate",
    ]
    with pytest.raises(ValueError, match="unknown indicator"):
        wangge.case_stats(city, df, indicators=["speed"])
    with pytest.raises(ValueError, match="unknown role"):
        wangge.case_stats(city, df, columns={"longitude": "x"})


def test_bad_rows_are_reported_with_row_numbers(city, dispatcher, tmp_path):
    _, df = hand_table(city)
    bad = df.copy()
    bad["category"] = ["0103"] * 7
    bad.loc[1, "category"] = "0199"  # not in the code table
    bad.loc[2, "reported_at"] = pd.NaT  # missing time
    bad.loc[3, "status"] = "done"  # unknown status
    bad.loc[5, "lon"] = np.nan  # missing coordinate
    stats = wangge.case_stats(dispatcher, bad, skip_invalid=True)
    problems = stats.problems()
    assert list(problems.columns) == ["row", "column", "value", "reason"]
    assert problems[["row", "column"]].values.tolist() == [
        [1, "category"], [2, "reported_at"], [3, "status"], [5, "lon"],
    ]
    assert problems.reason.tolist()[:2] == ["unknown category", "missing time"]
    assert problems.value.tolist()[3] == ""
    assert stats.rows == 7 and stats.total["cases"] == 3
    with pytest.raises(wangge.DataError, match=r'DataFrame: row 1: column "category": unknown category'):
        wangge.case_stats(dispatcher, bad)
    # The same table as CSV: the same rows, and their lines (header = line 1).
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    from_csv = wangge.case_stats(dispatcher, path, skip_invalid=True).problems()
    assert from_csv.row.tolist() == [1, 2, 3, 5]
    assert from_csv.line.tolist() == [3, 4, 5, 7]
    with pytest.raises(wangge.DataError, match=r"bad.csv line 3: column \"category\""):
        wangge.case_stats(dispatcher, path)
    with pytest.raises(wangge.FileError):
        wangge.case_stats(city, tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="CSV path, a pandas DataFrame"):
        wangge.case_stats(city, 42)


def test_departments_from_the_dispatch_rule(dispatcher):
    city = dispatcher.city
    df = synthetic_cases(city, 2_000, 9)
    df["category"] = np.where(np.arange(len(df)) % 2 == 0, "0103", "0113")
    stats = wangge.case_stats(dispatcher, df)
    deps = stats.departments()
    # Each case in a grid goes to the department the dispatcher names for it.
    sample = df.iloc[:300]
    named = dispatcher.dispatch_many(sample.lon, sample.lat, sample.category)
    one = wangge.case_stats(dispatcher, sample).departments().set_index("code").cases
    expected = named.department.dropna().value_counts()
    assert one.reindex(expected.index).tolist() == expected.tolist()
    assert deps.cases.sum() + stats.no_department >= len(df)


def count_patches(ax):
    return sum(len(c.get_paths()) for c in ax.collections)


def polygon_parts(gdf):
    return int(sum(len(getattr(g, "geoms", [g])) for g in gdf.geometry))


def test_choropleth_draws_every_region(city, stats, tmp_path):
    pytest.importorskip("geopandas")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grids = city.to_geodataframe("grid")
    ax = wangge.plot.choropleth(city, "grid", stats.level("grid"), column="handling_rate",
                                title="handling rate")
    # One patch per polygon part, coloured or (no accepted case: NaN) grey.
    assert count_patches(ax) == polygon_parts(grids)
    png = tmp_path / "choropleth.png"
    ax.figure.savefig(png, dpi=60)
    plt.close(ax.figure)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Values by code, by id or as an array: the same alignment.
    level = stats.level("street")
    by_code = dict(zip(level.code, level.cases))
    v1 = wangge.plot.level_values(city, "street", by_code)
    v2 = wangge.plot.level_values(city, "street", level.cases)
    v3 = wangge.plot.level_values(city, "street", level.cases.to_numpy())
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(v1, v3)
    partial = wangge.plot.level_values(city, "street", {level.code.iloc[0]: 5})
    assert partial[0] == 5 and np.isnan(partial[1:]).all()
    fig, ax = plt.subplots()
    wangge.plot.choropleth(city, "district", by_code, ax=ax, boundaries="district")
    districts = city.to_geodataframe("district")
    assert count_patches(ax) >= polygon_parts(districts)
    plt.close(fig)
    with pytest.raises(ValueError, match="column="):
        wangge.plot.choropleth(city, "grid", stats.level("grid"))


def test_h3_heatmap_draws_every_cell(city, stats, tmp_path):
    pytest.importorskip("geopandas")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = stats.h3()
    ax = wangge.plot.h3_heatmap(counts, title="cases per H3 cell (r9)")
    assert count_patches(ax) == len(counts)
    png = tmp_path / "h3.png"
    ax.figure.savefig(png, dpi=60)
    plt.close(ax.figure)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = wangge.plot.h3_heatmap(stats, city=city)  # the CaseStats itself, district outlines
    assert count_patches(ax) >= len(counts)
    plt.close(ax.figure)


def test_docstring_examples(repo_root, monkeypatch):
    """The examples in wangge.analytics and wangge.plot run (from the repository root)."""
    import doctest

    pytest.importorskip("geopandas")
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(repo_root)
    for module in (wangge.analytics, wangge.plot):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted >= 3 and result.failed == 0, module.__name__
