"""Every exception class of ``wangge``, raised by a real public call with bad input.

Each case checks the exact class (not only a base), the class's bases (every class is a
``WanggeError`` and a ``ValueError``; ``FileError`` also an ``OSError``, ``UnknownIdError`` also a
``KeyError``), and that the message names what went wrong and where (level, feature index and
code; the file; the edit; the id). ``test_every_class_is_exercised`` fails when the module gains
an exception class without a case here. A Rust panic arrives as a ``WanggeError`` that
``except Exception`` catches, and the interpreter carries on.
"""

import copy
import json
import re
from dataclasses import dataclass
from typing import Callable, List

import numpy as np
import pytest

import wangge
from conftest import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "data" / "fixture"
COMMUNITY = json.loads((FIXTURE / "community.geojson").read_text(encoding="utf-8"))
GRID = json.loads((FIXTURE / "grid.geojson").read_text(encoding="utf-8"))


def fixture_levels(edit=lambda grid: None):
    """The fixture's levels for ``City.from_geojson``, the grid level altered by ``edit``."""
    grid = copy.deepcopy(GRID)
    edit(grid)
    return {"community": COMMUNITY, "grid": grid}


def build(edit=lambda grid: None, **kwargs):
    kwargs.setdefault("code_scheme", "standard")
    return wangge.City.from_geojson(
        fixture_levels(edit), parent_property={"grid": "parent"}, **kwargs
    )


def ring(grid, i):
    """The exterior ring of grid feature ``i`` (the first polygon of a MultiPolygon)."""
    return grid["features"][i]["geometry"]["coordinates"][0][0]


def set_code(i, code):
    def edit(grid):
        grid["features"][i]["properties"]["code"] = code

    return edit


def at(i, code):
    return rf'level "grid" feature {i} \(code "{code}"\)'


@dataclass
class Case:
    id: str
    cls: type
    call: Callable[..., object]
    patterns: List[str]
    needs: str = ""  # a fixture the call takes: "city", "dispatcher", "tmp_path"


def _bad_manifest(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("this is = not [ toml", encoding="utf-8")
    return wangge.City.from_manifest(path)


def _missing_level_file(tmp_path):
    path = tmp_path / "city.toml"
    path.write_text(
        '[[levels]]\nname = "district"\nfile = "districts.geojson"\n', encoding="utf-8"
    )
    return wangge.City.from_manifest(path)


def _truncated_snapshot(city):
    return wangge.City.from_bytes(city.to_bytes()[:10])


def _flipped_snapshot(city):
    data = bytearray(city.to_bytes())
    data[len(data) // 2] ^= 0x40
    return wangge.City.from_bytes(bytes(data))


def _future_snapshot(city):
    data = bytearray(city.to_bytes())
    data[8] = 9  # the format version, a u32 after the 8-byte magic
    return wangge.City.from_bytes(bytes(data))


def _unknown_grid_edit(city):
    line = [[114.2495, 30.5525], [114.2515, 30.5525]]
    ok = {"op": "split", "grid": "420103001001001", "line": line}
    return wangge.History(city).preview([ok, {**ok, "grid": "420103001001999"}])


def _merge_across_communities(city):
    return wangge.History(city).preview(
        [{"op": "merge", "grids": ["420103001001009", "420103001002001"]}]
    )


def _rollback_unknown(city):
    return wangge.History(city).rollback(99)


def _commit_invalid(city):
    # The fixture's community A has a hole no grid covers: every preview touching it is invalid.
    history = wangge.History(city)
    line = [[114.2495, 30.5525], [114.2515, 30.5525]]
    preview = history.preview([{"op": "split", "grid": "420103001001001", "line": line}])
    assert not preview.valid
    return history.commit(preview, "must fail")


def _unknown_resource(dispatcher):
    version = dispatcher.resource_version
    try:
        dispatcher.update_positions(["W00001", "NO-SUCH-WORKER"], [114.26, 114.26], [30.58, 30.58])
    finally:
        assert dispatcher.resource_version == version, "nothing moved"


CASES = [
    # WanggeError itself: bad query input.
    Case("unknown-crs", wangge.WanggeError,
         lambda city: city.locate(114.2515, 30.5525, crs="mercator"),
         [r'unknown CRS "mercator"', "gcj02"], "city"),
    Case("length-mismatch", wangge.WanggeError,
         lambda city: city.locate(np.zeros(3), np.zeros(2)),
         [r"lons has 3 items, lats has 2"], "city"),
    Case("invalid-point", wangge.WanggeError,
         lambda dispatcher: dispatcher.dispatch(float("nan"), 30.58, "0103"),
         [r"point 0", "NaN"], "dispatcher"),
    Case("hotspot-radius", wangge.WanggeError,
         lambda dispatcher: wangge.hotspots(
             dispatcher, {"lon": [114.26], "lat": [30.58], "category": ["0103"],
                          "reported_at": ["2024-01-01"]}, radius_m=-5, days=7),
         [r"parameter radius_m", "-5"], "dispatcher"),
    # GeometryError: level, feature index and code.
    Case("ring-too-short", wangge.GeometryError,
         lambda: build(lambda g: ring(g, 1).__delitem__(slice(1, 3))),
         [at(1, "420103001001002"), "ring 0 has 3 positions"]),
    Case("ring-not-closed", wangge.GeometryError,
         lambda: build(lambda g: ring(g, 2).pop()),
         [at(2, "420103001001003"), "ring 0 is not closed"]),
    Case("out-of-range", wangge.GeometryError,
         lambda: build(lambda g: ring(g, 3)[1].__setitem__(0, 200.0)),
         [at(3, "420103001001004"), "coordinate 1 of ring 0 is out of range"]),
    Case("not-a-polygon", wangge.GeometryError,
         lambda: build(lambda g: g["features"][6].__setitem__(
             "geometry", {"type": "Point", "coordinates": [114.25, 30.55]})),
         [at(6, "420103001001007"), "found Point"]),
    # HierarchyError.
    Case("duplicate-code", wangge.HierarchyError,
         lambda: build(set_code(2, "420103001001001")),
         [r'level "grid" feature 2', r'duplicate code "420103001001001"', "first used by feature 0"]),
    Case("unknown-parent", wangge.HierarchyError,
         lambda: build(lambda g: g["features"][4]["properties"].__setitem__("parent", "420103001009")),
         [r'level "grid" feature 4', r'parent "420103001009" not found in level "community"']),
    Case("outside-parent", wangge.HierarchyError,
         lambda: build(lambda g: [p.__setitem__(1, p[1] - 0.01) for p in ring(g, 0)]),
         [at(0, "420103001001001"), r'outside its parent "420103001001"']),
    # CodeError.
    Case("malformed-code", wangge.CodeError,
         lambda: build(set_code(7, "42010300100100X")),
         [r'level "grid" feature 7', '"42010300100100X"']),
    Case("code-not-extending-parent", wangge.CodeError,
         lambda: build(set_code(8, "420103001002099")),
         [r'level "grid" feature 8', '"420103001002099"', "420103001001"]),
    Case("unknown-class", wangge.CodeError,
         lambda dispatcher: dispatcher.dispatch(114.2712, 30.5851, "9999", crs="gcj02"),
         [r'unknown class code "9999"'], "dispatcher"),
    # DataError.
    Case("missing-property", wangge.DataError,
         lambda: build(lambda g: g["features"][3]["properties"].pop("code")),
         [r'level "grid" feature 3', r'property "code"']),
    Case("bad-geojson", wangge.DataError,
         lambda: wangge.City.from_geojson({"grid": "{not json"}),
         [r'grid']),
    Case("missing-column", wangge.DataError,
         lambda dispatcher: wangge.case_stats(
             dispatcher, {"lon": [114.26], "lat": [30.58]}, indicators=["on_time_rate"]),
         [r'DataFrame: missing column "status" \(needed for 按期处置率 on_time_rate\)'], "dispatcher"),
    # ManifestError: the manifest's path.
    Case("bad-manifest", wangge.ManifestError, _bad_manifest, [r"manifest .*bad\.toml"], "tmp_path"),
    Case("no-dispatch-section", wangge.ManifestError,
         lambda: wangge.Dispatcher.from_manifest(FIXTURE / "city.toml"),
         [r"manifest .*city\.toml", "dispatch"]),
    # SnapshotError: what was found against what was needed.
    Case("truncated-snapshot", wangge.SnapshotError, _truncated_snapshot,
         [r"snapshot: truncated: need \d+ bytes, have 10"], "city"),
    Case("altered-snapshot", wangge.SnapshotError, _flipped_snapshot,
         [r"snapshot: checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)"], "city"),
    Case("future-snapshot", wangge.SnapshotError, _future_snapshot,
         [r"unsupported format version 9 \(this build reads versions 1 to 2"], "city"),
    Case("foreign-bytes", wangge.SnapshotError,
         lambda: wangge.City.from_bytes(b"PK\x03\x04" + b"\0" * 100), [r"bad magic"]),
    # EditError: the edit's position, operation and codes.
    Case("unknown-grid-edit", wangge.EditError, _unknown_grid_edit,
         [r"edit 1 \(split\)", "420103001001999"], "city"),
    Case("merge-across-communities", wangge.EditError, _merge_across_communities,
         [r"edit 0 \(merge\)", "420103001001009|420103001002001"], "city"),
    # VersionError.
    Case("unknown-version", wangge.VersionError, _rollback_unknown,
         [r"version: no version 99"], "city"),
    Case("invalid-preview", wangge.VersionError, _commit_invalid,
         [r"not committed", r'gap \["420103001001"\]'], "city"),
    # FileError: the path, also an OSError.
    Case("missing-manifest", wangge.FileError,
         lambda tmp_path: wangge.City.from_manifest(tmp_path / "nope.toml"),
         [r"nope\.toml"], "tmp_path"),
    Case("missing-level-file", wangge.FileError, _missing_level_file,
         [r"districts\.geojson"], "tmp_path"),
    # UnknownIdError: the id, also a KeyError.
    Case("unknown-resource", wangge.UnknownIdError, _unknown_resource,
         [r'unknown resource id "NO-SUCH-WORKER"'], "dispatcher"),
    Case("unknown-asset", wangge.UnknownIdError,
         lambda dispatcher: dispatcher.dispatch(
             114.2712, 30.5851, "0103", crs="gcj02", asset_id="42010301030000001"),
         [r'unknown asset id "42010301030000001"'], "dispatcher"),
]

EXTRA_BASES = {wangge.FileError: OSError, wangge.UnknownIdError: KeyError}


def exported_classes(module):
    return {
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, wangge.WanggeError)
    }


@pytest.fixture(scope="module")
def fixture_city():
    return wangge.City.from_manifest(FIXTURE / "city.toml")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_error(case, request, fixture_city, dispatcher):
    args = {"city": [fixture_city], "dispatcher": [dispatcher], "": []}.get(case.needs)
    if args is None:
        args = [request.getfixturevalue(case.needs)]
    with pytest.raises(Exception) as info:
        case.call(*args)
    err = info.value
    assert type(err) is case.cls, f"{type(err).__name__}: {err}"
    assert isinstance(err, wangge.WanggeError) and isinstance(err, ValueError)
    if case.cls in EXTRA_BASES:
        assert isinstance(err, EXTRA_BASES[case.cls])
    for other, base in EXTRA_BASES.items():
        if other is not case.cls:
            assert not isinstance(err, base), f"a {case.cls.__name__} is no {base.__name__}"
    message = str(err) if case.cls is not wangge.UnknownIdError else err.args[0]
    for pattern in case.patterns:
        assert re.search(pattern, message), f"{pattern!r} not in {message!r}"


def test_every_class_is_exercised():
    classes = exported_classes(wangge)
    assert classes == {c.cls for c in CASES}
    assert exported_classes(wangge._wangge) == classes
    assert {c.__name__ for c in classes} <= set(wangge.__all__)
    assert {
        "WanggeError", "GeometryError", "HierarchyError", "CodeError", "DataError",
        "ManifestError", "SnapshotError", "EditError", "VersionError", "FileError",
        "UnknownIdError",
    } == {c.__name__ for c in classes}


def test_class_bases():
    assert wangge.WanggeError.__bases__ == (ValueError,)
    for cls in exported_classes(wangge) - {wangge.WanggeError}:
        assert cls.__mro__[1] is wangge.WanggeError, cls
        assert cls.__module__ == "wangge._wangge"
    assert wangge.FileError.__bases__ == (wangge.WanggeError, OSError)
    assert wangge.UnknownIdError.__bases__ == (wangge.WanggeError, KeyError)


def test_panic_becomes_wanggeerror_and_the_interpreter_carries_on(fixture_city):
    from wangge import _wangge

    for _ in range(3):
        try:
            _wangge._panic_for_tests()
        except Exception as err:  # not only BaseException: pyo3's PanicException would miss this
            assert type(err) is wangge.WanggeError
            assert re.match(
                r"internal error in wangge \(please report it\): deliberate panic from "
                r"wangge\._wangge\._panic_for_tests",
                str(err),
            ), str(err)
        else:
            pytest.fail("_panic_for_tests did not raise")
        # The same objects keep working after the panic.
        assert fixture_city.locate(114.2515, 30.5525).codes == ["420103001001", "420103001001002"]
