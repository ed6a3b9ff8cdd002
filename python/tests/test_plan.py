"""Planner tools (``wangge.History``, ``wangge.validate``, ``wangge.diff``).

Oracles: shapely (the parts of a split cover the old grid exactly and do not overlap; a point's
owner by ``contains`` on the new shapes; overlap geometries), pyproj's geodesic areas (Karney,
on WGS84) for the areas in m², and plain set arithmetic on codes for the diffs.
"""

import json

import numpy as np
import pytest

import wangge

pd = pytest.importorskip("pandas")
shapely = pytest.importorskip("shapely")
pyproj = pytest.importorskip("pyproj")
from shapely.geometry import box, shape  # noqa: E402

GEOD = pyproj.Geod(ellps="WGS84")
X0, Y0, D = 114.0, 30.0, 0.001
# Overlay output is exact up to its rounding (about 1e-11°): two shapes "equal" when their
# symmetric difference fits in a 1e-11° band along a perimeter of up to 10 D (deg²).
EPS = 1e-11 * 10 * D
STREET = "420103001"
C1, C2 = "420103001001", "420103001002"
G = {k: f"{c}{s}" for k, (c, s) in {
    "11": (C1, "001"), "12": (C1, "002"), "21": (C2, "001"), "22": (C2, "002")}.items()}


def fc(features):
    return {"type": "FeatureCollection", "features": features}


def feature(code, geom, parent=None):
    props = {"code": code, "name": ""}
    if parent:
        props["parent"] = parent
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}


def sq(i, j):
    return box(X0 + i * D, Y0, X0 + j * D, Y0 + D)


def row_levels():
    """Street 420103001 with communities …001 (grids 001, 002) and …002 (grids 001, 002),
    all D × D squares in one row (as ``row_city`` in crates/wangge/src/plan/tests.rs)."""
    return {
        "street": fc([feature(STREET, sq(0, 4))]),
        "community": fc([feature(C1, sq(0, 2), STREET), feature(C2, sq(2, 4), STREET)]),
        "grid": fc([
            feature(G["11"], sq(0, 1), C1),
            feature(G["12"], sq(1, 2), C1),
            feature(G["21"], sq(2, 3), C2),
            feature(G["22"], sq(3, 4), C2),
        ]),
    }


@pytest.fixture()
def row_city():
    return wangge.City.from_geojson(row_levels(), parent_property="parent")


def geodesic_area(geom):
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def shapes(city, level="grid"):
    """{code: shapely geometry} of one level."""
    gdf = city.to_geodataframe(level)
    return dict(zip(gdf["code"], gdf.geometry))


def random_points(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(X0 - 0.2 * D, X0 + 4.2 * D, n), rng.uniform(Y0 - 0.2 * D, Y0 + 1.2 * D, n)


def owners_by_shapely(city, lon, lat, level="grid"):
    """Owner code per point by shapely ``contains`` on the level's shapes (None outside)."""
    geoms = shapes(city, level)
    out = []
    for x, y in zip(lon, lat):
        p = shapely.Point(x, y)
        hits = [c for c, g in geoms.items() if g.contains(p)]
        assert len(hits) <= 1, (x, y, hits)  # a partition: at most one owner
        out.append(hits[0] if hits else None)
    return out


def owners_by_wangge(city, lon, lat):
    codes = np.asarray(city.codes + [None], dtype=object)
    return list(codes[city.locate(lon, lat)])


def assert_same_owners(city, seed):
    lon, lat = random_points(2000, seed)
    assert owners_by_wangge(city, lon, lat) == owners_by_shapely(city, lon, lat)


def test_split_parts_cover_the_grid_and_own_their_points(row_city):
    h = wangge.History(row_city)
    held = h.current
    x = X0 + 0.4 * D
    p = h.preview({"op": "split", "grid": G["11"], "line": [[x, Y0 - D], [x, Y0 + 2 * D]]})
    assert p.valid, p.report.to_text()
    assert p.codes["retired"] == [G["11"]]
    assert p.codes["created"] == [C1 + "003", C1 + "004"]  # 002 in use; west part first
    new = shapes(p.city)
    west, east = new[C1 + "003"], new[C1 + "004"]
    old = sq(0, 1)
    # The parts cover the old grid exactly, do not overlap, and split it at x.
    assert west.union(east).symmetric_difference(old).area < EPS
    assert west.intersection(east).area < EPS
    assert west.area == pytest.approx(0.4 * old.area, rel=1e-7)
    assert west.bounds[2] == pytest.approx(x, abs=1e-10)
    # Areas in m² against pyproj's geodesic areas.
    for code in (C1 + "003", C1 + "004"):
        region = p.city.region(p.city.by_code(code))
        assert region.area_m2 == pytest.approx(geodesic_area(new[code]), rel=1e-6)
    assert_same_owners(p.city, 1)
    v2 = h.commit(p, "split the busy grid")
    assert (v2.number, v2.parent, v2.note) == (2, 1, "split the busy grid")
    assert h.current.number == 2 and len(h) == 2
    assert v2.edits == [{"op": "split", "grid": G["11"], "line": [[x, Y0 - D], [x, Y0 + 2 * D]]}]
    assert v2.retired == [G["11"]]
    # A reader holding version 1 keeps it.
    assert held.city.locate(X0 + 0.2 * D, Y0 + 0.5 * D).leaf.code == G["11"]
    assert h.current.city.locate(X0 + 0.2 * D, Y0 + 0.5 * D).leaf.code == C1 + "003"


def test_merge_is_the_union(row_city):
    h = wangge.History(row_city)
    p = h.preview([{"op": "merge", "grids": [G["21"], G["22"]]}])
    assert p.valid, p.report.to_text()
    assert sorted(p.codes["retired"]) == [G["21"], G["22"]]
    assert p.codes["created"] == [C2 + "003"]
    merged = shapes(p.city)[C2 + "003"]
    assert merged.symmetric_difference(sq(2, 4)).area < EPS
    region = p.city.region(p.city.by_code(C2 + "003"))
    assert region.area_m2 == pytest.approx(geodesic_area(sq(2, 4)), rel=1e-6)
    assert_same_owners(p.city, 2)


def test_reshape_moves_the_shared_border(row_city):
    h = wangge.History(row_city)
    x = X0 + 2.7 * D
    p = h.preview({"op": "reshape", "grids": [G["21"], G["22"]],
                   "line": [[x, Y0 - D], [x, Y0 + 2 * D]]})
    assert p.valid, p.report.to_text()
    assert p.codes["created"] == [] and p.codes["retired"] == []
    assert sorted(p.codes["changed"]) == [G["21"], G["22"]]
    new = shapes(p.city)
    expected = {G["21"]: box(X0 + 2 * D, Y0, x, Y0 + D), G["22"]: box(x, Y0, X0 + 4 * D, Y0 + D)}
    for code, geom in expected.items():
        assert new[code].symmetric_difference(geom).area < EPS, code
        region = p.city.region(p.city.by_code(code))
        assert region.area_m2 == pytest.approx(geodesic_area(geom), rel=1e-6)
    assert_same_owners(p.city, 3)
    # Areas before and after in the diff, against pyproj.
    rows = {r["code"]: r for r in p.diff().regions}
    assert rows[G["21"]]["before_m2"] == pytest.approx(geodesic_area(sq(2, 3)), rel=1e-6)
    assert rows[G["21"]]["after_m2"] == pytest.approx(geodesic_area(expected[G["21"]]), rel=1e-6)


def test_reassign_moves_the_grid_and_its_ancestors_follow(row_city):
    h = wangge.History(row_city)
    p = h.preview({"op": "reassign", "grid": G["12"], "parent": C2})
    assert p.valid, p.report.to_text()
    assert p.codes["retired"] == [G["12"]] and p.codes["created"] == [C2 + "003"]
    communities = shapes(p.city, "community")
    assert communities[C1].symmetric_difference(sq(0, 1)).area < EPS
    assert communities[C2].symmetric_difference(sq(1, 4)).area < EPS
    hit = p.city.locate(X0 + 1.5 * D, Y0 + 0.5 * D)
    assert hit.codes == [STREET, C2, C2 + "003"]
    assert_same_owners(p.city, 4)
    lon, lat = random_points(500, 5)
    assert owners_by_wangge_level(p.city, lon, lat, "community") == owners_by_shapely(
        p.city, lon, lat, "community")
    # diff: codes by set arithmetic; changed = kept codes whose shape shapely sees differ.
    d = wangge.diff(row_city, p.city)
    old_codes, new_codes = set(row_city.codes), set(p.city.codes)
    rows = d.regions
    assert {r["code"] for r in rows if r["change"] == "added"} == new_codes - old_codes
    assert {r["code"] for r in rows if r["change"] == "removed"} == old_codes - new_codes
    changed = {r["code"] for r in rows if r["change"] == "changed"}
    # The core reports a kept region as changed when any vertex differs; shapely sees the
    # shapes that really differ (``equals``) and the vertex lists (``equals_exact``).
    moved, revertexed = set(), set()
    for level in row_city.levels:
        a, b = shapes(row_city, level), shapes(p.city, level)
        for c in a.keys() & b.keys():
            if not a[c].equals(b[c]):
                moved.add(c)
            elif not shapely.equals_exact(shapely.normalize(a[c]), shapely.normalize(b[c]), 0):
                revertexed.add(c)
    assert moved == {C1, C2}
    assert changed == moved | revertexed
    for r in rows:
        if r["code"] in revertexed:  # same shape, other vertices: no area change
            assert r["after_m2"] == pytest.approx(r["before_m2"], abs=1e-3)
    assert d.counts == {"added": 1, "removed": 1, "changed": len(changed)}
    assert d.to_dict() == json.loads(d.to_json())
    gj = d.to_geojson()
    assert len(gj["features"]) == 2 + len(changed)
    assert {f["properties"]["change"] for f in gj["features"]} == {"added", "removed", "changed"}


def owners_by_wangge_level(city, lon, lat, level):
    k = city.levels.index(level)
    ids = city.locate_levels(lon, lat)[:, k]
    codes = np.asarray(city.codes + [None], dtype=object)
    return list(codes[ids])


def test_impact_lists_the_cases_that_change_grid(row_city):
    h = wangge.History(row_city)
    x = X0 + 2.7 * D
    p = h.preview({"op": "reshape", "grids": [G["21"], G["22"]],
                   "line": [[x, Y0 - D], [x, Y0 + 2 * D]]})
    lon, lat = random_points(400, 6)
    ids = [f"case{i}" for i in range(len(lon))]
    before = owners_by_shapely(row_city, lon, lat)
    after = owners_by_shapely(p.city, lon, lat)
    expected = [
        {"id": i, "before": b, "after": a} for i, b, a in zip(ids, before, after) if a != b
    ]
    assert expected  # the border moved over some cases
    for cases in (pd.DataFrame({"id": ids, "lon": lon, "lat": lat}), (ids, lon, lat)):
        report = p.impact(cases=cases).to_dict()
        assert report["cases"] == expected
        assert report["valid"] and report["base_version"] == 1
    text = p.impact(cases=(ids, lon, lat)).to_text()
    assert f"cases changing grid: {len(expected)}" in text
    gj = p.to_geojson()
    assert {f["properties"].get("change") for f in gj["features"]} == {"changed"}


def test_impact_with_a_dispatcher(dispatcher):
    city = dispatcher.city
    h = wangge.History(city)
    grid = city.region(city.level_ids_of("grid")[0])
    p = h.preview({"op": "replace", "grid": grid.code,
                   "geometry": grid.__geo_interface__["coordinates"]})
    report = p.impact(dispatcher).to_dict()
    # The same shape: nothing moves.
    assert report["assets"] == [] and report["resources"] == [] and report["cases"] == []


def test_an_edit_that_cannot_be_applied_raises_and_changes_nothing(row_city):
    h = wangge.History(row_city)
    with pytest.raises(wangge.EditError, match="split") as e:
        h.preview({"op": "split", "grid": "420103001001099",
                   "line": [[X0, Y0 - D], [X0, Y0 + 2 * D]]})
    assert "edit 0" in str(e.value)
    with pytest.raises(wangge.EditError, match="merge"):
        h.preview([{"op": "merge", "grids": [G["11"], G["21"]]}])  # two communities
    with pytest.raises(wangge.DataError):
        h.preview({"op": "explode", "grid": G["11"]})
    with pytest.raises(TypeError):
        h.preview({"op": "merge", "grids": {1, 2}})  # not JSON
    assert isinstance(wangge.EditError("x"), wangge.WanggeError)
    assert h.current.number == 1 and len(h) == 1


def test_an_invalid_preview_is_refused_and_the_version_stays(row_city):
    h = wangge.History(row_city)
    bigger = box(X0, Y0, X0 + 1.5 * D, Y0 + D)  # over half of its neighbour
    p = h.preview({"op": "replace", "grid": G["11"],
                   "geometry": [[list(map(list, bigger.exterior.coords))]]})
    assert not p.valid
    overlaps = [f for f in p.report.findings if f["kind"] == "overlap"]
    assert overlaps, p.report.to_text()
    overlap = shape(overlaps[0]["geometry"])
    expected = bigger.intersection(sq(1, 2))
    assert overlap.symmetric_difference(expected).area < EPS
    assert overlaps[0]["value"] == pytest.approx(geodesic_area(expected), rel=1e-6)
    with pytest.raises(wangge.VersionError, match="not committed"):
        h.commit(p)
    assert h.current.number == 1 and len(h) == 1
    assert h.current.city.codes == row_city.codes


def test_stale_and_foreign_previews_are_refused(row_city):
    h = wangge.History(row_city)
    merge = {"op": "merge", "grids": [G["11"], G["12"]]}
    p1, p2 = h.preview(merge), h.preview(merge)
    h.commit(p1)
    with pytest.raises(wangge.VersionError, match="preview again"):
        h.commit(p2)
    other = wangge.History(row_city)
    foreign = wangge.History(row_city).preview(merge)  # version 1 of another history
    with pytest.raises(wangge.VersionError, match="another history"):
        other.commit(foreign)
    assert other.current.number == 1 and h.current.number == 2
    with pytest.raises(wangge.VersionError, match="no version 9"):
        h.rollback(9)


def test_save_load_and_rollback(row_city, tmp_path):
    h = wangge.History(row_city)
    x = X0 + 0.4 * D
    h.commit(h.preview({"op": "split", "grid": G["11"],
                        "line": [[x, Y0 - D], [x, Y0 + 2 * D]]}), "split")
    h.commit(h.preview({"op": "merge", "grids": [G["21"], G["22"]]}), "merge")
    v4 = h.rollback(2, "undo the merge")
    assert (v4.number, v4.parent, v4.note) == (4, 3, "undo the merge")
    assert v4.city.codes == h.version(2).city.codes
    assert C2 + "003" in v4.retired  # the rollback removed it
    h.save(tmp_path / "hist")
    assert (tmp_path / "hist" / "history.json").exists()
    loaded = wangge.History.load(tmp_path / "hist")
    assert [v.number for v in loaded.versions] == [1, 2, 3, 4]
    for a, b in zip(h.versions, loaded.versions):
        assert (a.parent, a.note, a.edits, a.retired) == (b.parent, b.note, b.edits, b.retired)
        assert a.city.codes == b.city.codes
        lon, lat = random_points(300, a.number)
        np.testing.assert_array_equal(a.city.locate(lon, lat), b.city.locate(lon, lat))
    assert loaded.current.number == 4
    # A retired code is not handed out again after loading: the next split of community 1
    # skips 001 (retired) and 002 … 004 (in use or retired).
    p = loaded.preview({"op": "merge", "grids": [C1 + "003", C1 + "004"]})
    assert p.codes["created"] == [C1 + "005"]
    with pytest.raises(wangge.FileError):
        wangge.History.load(tmp_path / "missing")


def test_reuse_retired_codes_option(row_city):
    """New codes are one past the highest serial of the community in use, and also retired
    unless ``reuse_retired_codes``."""
    def next_code(h, community, with_retired):
        pool = set(h.current.city.codes) | (set(h.current.retired) if with_retired else set())
        serials = [int(c[len(community):]) for c in pool
                   if c.startswith(community) and len(c) == len(community) + 3]
        return f"{community}{max(serials) + 1:03d}"

    for reuse in (False, True):
        h = wangge.History(row_city, reuse_retired_codes=reuse)
        assert h.options["reuse_retired_codes"] is reuse
        merge = h.preview({"op": "merge", "grids": [G["21"], G["22"]]})
        h.commit(merge)
        # A code handed out again is no longer retired.
        assert h.current.retired == sorted({G["21"], G["22"]} - set(merge.codes["created"]))
        assert reuse or h.current.retired == [G["21"], G["22"]]
        p = h.preview({"op": "reassign", "grid": G["12"], "parent": C2})
        assert p.codes["created"] == [next_code(h, C2, with_retired=not reuse)]
    with pytest.raises(ValueError, match="unknown option"):
        wangge.History(row_city, validate={"no_such_threshold": 1})


def test_validate_finds_an_overlap_drawn_by_shapely():
    a = box(X0, Y0, X0 + 0.6 * D, Y0 + D)
    b = box(X0 + 0.5 * D, Y0, X0 + D, Y0 + D)
    levels = {
        "community": fc([feature(C1, sq(0, 1))]),
        "grid": fc([feature(G["11"], a, C1), feature(G["12"], b, C1)]),
    }
    report = wangge.validate(levels, parent_property="parent")
    assert not report.valid and report.errors >= 1
    overlaps = [f for f in report.findings if f["kind"] == "overlap"]
    assert len(overlaps) == 1
    f = overlaps[0]
    assert sorted(f["codes"]) == sorted([G["11"], G["12"]]) and f["severity"] == "error"
    expected = a.intersection(b)
    assert shape(f["geometry"]).symmetric_difference(expected).area < EPS
    assert f["value"] == pytest.approx(geodesic_area(expected), rel=1e-6)
    assert report.to_dict() == json.loads(report.to_json())
    assert "overlap" in report.to_text()
    gdf = wangge.plan.geodataframe(report)
    assert len(gdf) == len(report) and "overlap" in set(gdf["kind"])
    # Thresholds by name: an overlap smaller than the threshold is ignored.
    big = wangge.validate(levels, parent_property="parent",
                          overlap_min_area_m2=geodesic_area(expected) * 1.01)
    assert not [f for f in big.findings if f["kind"] == "overlap"]
    with pytest.raises(ValueError, match="unknown option"):
        wangge.validate(levels, overlap_area=1.0)


def test_validate_a_city_and_a_gap(row_city, city):
    assert wangge.validate(row_city).errors == 0
    assert wangge.validate(city).errors == 0  # the bundled data is valid
    levels = row_levels()
    levels["grid"]["features"].pop()  # grid 002 of community 2 gone: a gap
    report = wangge.validate(levels, parent_property="parent")
    gaps = [f for f in report.findings if f["kind"] == "gap"]
    assert len(gaps) == 1 and gaps[0]["codes"] == [C2]
    assert shape(gaps[0]["geometry"]).symmetric_difference(sq(3, 4)).area < EPS


def test_docstring_examples(repo_root, monkeypatch):
    """The examples in wangge.plan run (from the repository root)."""
    import doctest

    monkeypatch.chdir(repo_root)
    result = doctest.testmod(wangge.plan, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
