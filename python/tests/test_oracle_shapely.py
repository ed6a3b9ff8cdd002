"""`City.locate` agrees with shapely (GEOS) on the bundled Wuhan hierarchy.

Oracle: an STRtree over every region's polygon, `within` (interior) as the test, and the rule
of crates/wangge/src/locate/mod.rs: the deepest level that contains the point wins, and within
a level the lowest code (ids are sorted by level then code, so: the smallest id of the deepest
level). Points on a boundary (`touches` any region) are left out: there the one-owner rule
decides, which the conformance cases cover.
"""

import numpy as np
import pytest

shapely = pytest.importorskip("shapely")
from shapely import STRtree  # noqa: E402
from shapely.geometry import shape  # noqa: E402

N_JIANGHAN = 100_000  # inside 江汉区's bounding box: grids, communities, streets, districts
N_WUHAN = 30_000  # across the whole city's bounding box, and around it


@pytest.fixture(scope="module")
def oracle(city):
    geoms = np.array([shape(city.region(i).__geo_interface__) for i in range(len(city))])
    levels = np.array([city.region(i).level for i in range(len(city))])
    return STRtree(geoms), levels


def expected_owners(tree, levels, points):
    inside = tree.query(points, predicate="within")  # (2, m): [point, region]
    touching = tree.query(points, predicate="touches")
    on_boundary = np.zeros(len(points), dtype=bool)
    on_boundary[touching[0]] = True
    expected = np.full(len(points), -1, dtype=np.int64)
    if inside.shape[1]:
        p, r = inside
        # Sort by point, then deepest level first, then lowest id; keep each point's first.
        order = np.lexsort((r, -levels[r], p))
        p, r = p[order], r[order]
        first = np.ones(len(p), dtype=bool)
        first[1:] = p[1:] != p[:-1]
        expected[p[first]] = r[first]
    return expected, on_boundary


def bbox(city, code):
    xs, ys = [], []
    for poly in city.region(city.by_code(code)).__geo_interface__["coordinates"]:
        ring = np.asarray(poly[0])
        xs += [ring[:, 0].min(), ring[:, 0].max()]
        ys += [ring[:, 1].min(), ring[:, 1].max()]
    return min(xs), min(ys), max(xs), max(ys)


def test_locate_agrees_with_shapely(city, oracle):
    tree, levels = oracle
    rng = np.random.default_rng(20261122)
    x0, y0, x1, y1 = bbox(city, "420103")
    lon = rng.uniform(x0, x1, N_JIANGHAN)
    lat = rng.uniform(y0, y1, N_JIANGHAN)
    all_x = [bbox(city, city.region(i).code) for i in city.level_ids_of("district")]
    wx0 = min(b[0] for b in all_x) - 0.05
    wy0 = min(b[1] for b in all_x) - 0.05
    wx1 = max(b[2] for b in all_x) + 0.05
    wy1 = max(b[3] for b in all_x) + 0.05
    lon = np.concatenate([lon, rng.uniform(wx0, wx1, N_WUHAN)])
    lat = np.concatenate([lat, rng.uniform(wy0, wy1, N_WUHAN)])

    got = city.locate(lon, lat)
    expected, on_boundary = expected_owners(tree, levels, shapely.points(lon, lat))
    assert on_boundary.sum() < 10
    keep = ~on_boundary
    assert keep.sum() >= 100_000
    mismatch = np.flatnonzero(keep & (got != expected))
    assert mismatch.size == 0, [
        (lon[i], lat[i], int(got[i]), int(expected[i])) for i in mismatch[:10]
    ]
    # The sample reaches every level and the outside.
    found = levels[got[got >= 0]]
    assert set(found.tolist()) >= {0, 3}
    assert (got == -1).sum() > 0
