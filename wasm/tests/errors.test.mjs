// Every error path of the JS API, through the Node build and the web (ESM) build: each family
// of core errors (`err.name` = wangge::ErrorKind::name, listed by `errorNames()` and the
// `WanggeErrorName` union of the .d.ts) reached through a public call with bad input, with the
// core's message naming what and where; the binding's own TypeErrors (wrong types and shapes)
// and RangeErrors (ids, indices out of range); and a panic, which throws a WanggeError and
// leaves a fresh instance behind (old objects refuse to work, new ones answer correctly); so
// does running out of WebAssembly memory.
// Inputs: the hand-made fixture of tests/data/fixture and its conformance cases, the Wuhan
// snapshot and departments built by build.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build, bytes, json, pkgDir, root, text, wangge } from "./helpers.mjs";
import * as web from "../pkg/web/wangge_wasm.js";

web.initSync({ module: readFileSync(join(pkgDir, "pkg/web/wangge_wasm_bg.wasm")) });

const FIXTURE = join(root, "tests/data/fixture");
const community = json(join(FIXTURE, "community.geojson"));
const grid = json(join(FIXTURE, "grid.geojson"));
const fixtureCases = json(join(root, "tests/conformance/fixture.json")).cases;
const fixtureSnapshot = bytes(join(build, "conformance/fixture.wgg"));
const wuhanSnapshot = bytes(join(build, "data/wuhan.wgg"));
const departments = text(join(build, "data/wuhan/departments.toml"));
const wuhanManifest = text(join(build, "data/wuhan.toml"));
const GRID = "420103001001001";

/** The fixture's two levels as `City.fromGeoJSON` takes them; `edit(grid)` may alter a copy of
 *  the grid level first. */
function levels(edit = () => {}, crs = undefined) {
  const g = structuredClone(grid);
  edit(g);
  return [
    { name: "community", geojson: community, crs },
    { name: "grid", geojson: g, parentProperty: "parent", crs },
  ];
}

/** The exterior ring of grid feature `i` (a MultiPolygon's first polygon). */
const ring = (g, i) => g.features[i].geometry.coordinates[0][0];

/** `WanggeErrorName` as the .d.ts of a build declares it. */
function declaredNames(dts) {
  const m = /export type WanggeErrorName =([^;]+);/.exec(text(dts));
  assert.ok(m, `${dts} declares WanggeErrorName`);
  return [...m[1].matchAll(/"([A-Za-z]+)"/g)].map((x) => x[1]);
}

for (const [how, lib] of [["node", wangge], ["web", web]]) {
  const { City, Dispatcher, Planner } = lib;
  const names = lib.errorNames();
  /** The names of core errors thrown so far by this build's tests. */
  const thrown = new Set();

  /** Calls `fn`, which must throw an `Error` named `name` (a plain Error: the glue's only
   *  error class) whose message matches every pattern; returns the error. */
  function throwsNamed(fn, name, ...patterns) {
    let err;
    assert.throws(fn, (e) => ((err = e), true));
    assert.ok(err instanceof Error, `${how}: ${err} is an Error`);
    assert.equal(Object.getPrototypeOf(err), Error.prototype, `${how}: a plain Error, not ${err.constructor.name}`);
    assert.equal(err.name, name, `${how}: name of "${err.message}"`);
    assert.ok(String(err).startsWith(`${name}: `), String(err));
    for (const p of patterns) assert.match(err.message, p);
    assert.ok(names.includes(name), `${name} is in errorNames()`);
    thrown.add(name);
    return err;
  }

  /** Calls `fn`, which must throw a built-in `cls` (TypeError, RangeError) matching `patterns`. */
  function throwsBuiltin(fn, cls, ...patterns) {
    let err;
    assert.throws(fn, (e) => ((err = e), true));
    assert.ok(err instanceof cls, `${how}: ${err} is a ${cls.name}`);
    assert.equal(err.name, cls.name);
    for (const p of patterns) assert.match(err.message, p);
    return err;
  }

  const fixtureCity = () => City.fromGeoJSON(levels());
  const wuhan = () => {
    const city = City.fromBytes(wuhanSnapshot);
    const d = Dispatcher.fromManifest(city, wuhanManifest, { "wuhan/departments.toml": departments });
    return { city, d };
  };
  /** A split of Wuhan grid GRID along the parallel through its vertex mean (the fixture's
   *  communities have a hole no grid covers, so no edit of theirs previews as valid). */
  const split = (() => {
    const f = City.fromBytes(wuhanSnapshot).regionsGeoJSON("grid").features.find((g) => g.properties.code === GRID);
    const r = f.geometry.coordinates[0][0].slice(1);
    const xs = r.map((p) => p[0]);
    const ym = r.reduce((a, p) => a + p[1], 0) / r.length;
    return { op: "split", grid: GRID, line: [[Math.min(...xs) - 0.002, ym], [Math.max(...xs) + 0.002, ym]] };
  })();
  /** A dispatcher spec for the Wuhan city with a workers or assets table. */
  const withTable = (kind, csv) => [{ departments: "d.toml", [kind]: { file: "t.csv" } }, { "d.toml": departments, "t.csv": csv }];
  const WORKERS = "id,kind,lon,lat,on_duty,home_grid\n";

  test(`[${how}] the good inputs used below work`, () => {
    const city = fixtureCity();
    assert.equal(city.regionCount, 15);
    const { city: wc, d } = wuhan();
    assert.equal(new Planner(wc).preview([split]).valid, true);
    assert.ok(d.dispatch(114.2712, 30.5851, "0103", { crs: "gcj02" }).department);
    const [spec, files] = withTable("workers", `${WORKERS}A,worker,114.2505,30.5525,true,\n`);
    assert.equal(Dispatcher.fromSpec(wc, spec, files).resources().length, 1);
  });

  test(`[${how}] WanggeError: unknown CRS names, arrays of different lengths, unusable points`, () => {
    const city = fixtureCity();
    throwsNamed(() => city.locate(114.2515, 30.5525, "mercator"), "WanggeError", /unknown CRS "mercator"/, /gcj02/);
    throwsNamed(() => city.locateMany([1, 2], [1]), "WanggeError", /lons has 2 items, lats has 1/);
    throwsNamed(() => lib.convertMany([1], [1, 2], "wgs84", "gcj02"), "WanggeError", /lons has 1 items, lats has 2/);
    throwsNamed(() => lib.convertMany([1], [1], "wgs84", "utm"), "WanggeError", /unknown CRS "utm"/);
    throwsNamed(() => City.fromGeoJSON(levels(() => {}, "web-mercator")), "WanggeError", /unknown CRS "web-mercator"/);
    const { d } = wuhan();
    throwsNamed(() => d.dispatch(NaN, 30.58, "0103"), "WanggeError", /point 0/, /NaN/);
    throwsNamed(() => d.nearest(200, 30.58, 3), "WanggeError", /point 0/, /200/);
    throwsNamed(() => d.updatePositions(["W00001"], [114.26, 114.27], [30.58, 30.58]), "WanggeError", /ids has 1 items, lngs has 2/);
    throwsNamed(() => d.updatePositions(["W00001"], [114.26], [30.58, 30.58]), "WanggeError", /lons has 1 items, lats has 2/);
    throwsNamed(() => d.updatePositions(["W00001", "W00002"], [114.26], [30.58]), "WanggeError", /ids has 2 items, lngs has 1/);
  });

  test(`[${how}] GeometryError names level, feature and code`, () => {
    const at = (i, code) => new RegExp(`level "grid" feature ${i} \\(code "${code}"\\)`);
    throwsNamed(() => City.fromGeoJSON(levels((g) => ring(g, 1).splice(1, 2))), "GeometryError",
      at(1, "420103001001002"), /ring 0 has 3 positions/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => ring(g, 2).pop())), "GeometryError",
      at(2, "420103001001003"), /ring 0 is not closed/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => (ring(g, 3)[1][0] = 200))), "GeometryError",
      at(3, "420103001001004"), /coordinate 1 of ring 0 is out of range/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => {
      const r = ring(g, 5); // a bow tie: swap two corners
      [r[1], r[2]] = [r[2], r[1]];
    })), "GeometryError", at(5, "420103001001006"), /invalid polygon/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => (g.features[6].geometry = { type: "Point", coordinates: [114.25, 30.55] }))),
      "GeometryError", at(6, "420103001001007"), /found Point/);
  });

  test(`[${how}] HierarchyError: duplicate codes, unknown parents, children outside their parent`, () => {
    throwsNamed(() => City.fromGeoJSON(levels((g) => (g.features[2].properties.code = "420103001001001"))),
      "HierarchyError", /level "grid" feature 2/, /duplicate code "420103001001001"/, /first used by feature 0/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => (g.features[4].properties.parent = "420103001009"))),
      "HierarchyError", /level "grid" feature 4/, /parent "420103001009" not found in level "community"/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => {
      for (const p of ring(g, 0)) p[1] -= 0.01; // 1.1 km south of its community
    })), "HierarchyError", /level "grid" feature 0 \(code "420103001001001"\)/, /outside its parent "420103001001"/);
    throwsNamed(() => City.fromGeoJSON([]), "HierarchyError", /invalid hierarchy/);
  });

  test(`[${how}] CodeError: malformed region codes, unknown class codes`, () => {
    throwsNamed(() => City.fromGeoJSON(levels((g) => (g.features[7].properties.code = "42010300100100X"))),
      "CodeError", /level "grid" feature 7/, /"42010300100100X"/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => (g.features[8].properties.code = "420103001002099"))),
      "CodeError", /level "grid" feature 8/, /"420103001002099"/, /420103001001/);
    const { city, d } = wuhan();
    throwsNamed(() => d.dispatch(114.2712, 30.5851, "9999", { crs: "gcj02" }), "CodeError", /unknown class code "9999"/);
    throwsNamed(() => Dispatcher.fromSpec(city, ...withTable("assets", "id,class,lon,lat\n4201030103000001X,0103,114.27,30.58\n")),
      "CodeError", /asset 0 \(id "4201030103000001X"\)/, /character 17 \('X'\) is not a digit/);
    throwsNamed(() => Dispatcher.fromSpec(city, ...withTable("assets", "id,class,lon,lat\n42010399990000001,9999,114.27,30.58\n")),
      "CodeError", /asset 0/, /unknown class code "99990"/);
  });

  test(`[${how}] DataError: unreadable GeoJSON, missing properties, bad tables, duplicate ids`, () => {
    throwsNamed(() => City.fromGeoJSON([{ name: "grid", geojson: "{not json" }]), "DataError", /GeoJSON level "grid"/);
    throwsNamed(() => City.fromGeoJSON([{ name: "grid", geojson: { type: "Feature" } }]), "DataError", /GeoJSON level "grid"/);
    throwsNamed(() => City.fromGeoJSON(levels((g) => delete g.features[3].properties.code)),
      "DataError", /level "grid" feature 3/, /property "code"/);
    const city = City.fromBytes(wuhanSnapshot);
    const workers = (rows) => Dispatcher.fromSpec(city, ...withTable("workers", WORKERS + rows));
    throwsNamed(() => Dispatcher.fromSpec(city, ...withTable("workers", "id,kind\nA,worker\n")), "DataError",
      /t\.csv: missing column "lon"/);
    throwsNamed(() => workers("A,worker,114.2505,30.5525,true,\nA,worker,114.2515,30.5525,true,\n"), "DataError",
      /duplicate id "A"/);
    throwsNamed(() => workers("A,worker,east,30.5525,true,\n"), "DataError", /t\.csv line 2: column "lon"/, /"east"/);
    throwsNamed(() => workers("A,worker,114.2505,30.5525,maybe,\n"), "DataError", /t\.csv line 2: column "on_duty"/);
    throwsNamed(() => Dispatcher.fromSpec(city, { departments: "d.toml" }, { "d.toml": "[[department]]\ncode = 1\n" }),
      "DataError", /d\.toml: TOML parse error at line 2/);
    throwsNamed(() => Dispatcher.fromSpec(fixtureCity(), { departments: "d.toml" }, { "d.toml": departments }),
      "DataError", /department 1 \(code "D420103-CGJ"\): jurisdiction names unknown region "420103"/);
    throwsNamed(() => new Planner(city).preview([{ op: "explode", grid: GRID }]), "DataError",
      /edits: unknown variant `explode`/);
    throwsNamed(() => new Planner(city).preview("[{not json"), "DataError", /edits/);
  });

  test(`[${how}] limits on the GeoJSON read: DataError over a limit, RangeError / TypeError for bad values`, () => {
    throwsNamed(() => City.fromGeoJSON(levels(), { limits: { max_features: 12 } }), "DataError",
      /13 features in level "grid"/, /max_features = 12/);
    assert.equal(City.fromGeoJSON(levels(), { limits: { max_features: 13 } }).regionCount, 15);
    assert.equal(City.fromGeoJSON(levels(), { limits: { max_features: null, max_file_bytes: null } }).regionCount, 15);
    throwsNamed(() => lib.validateGeoJSON(levels(), { limits: { max_ring_vertices: 4 } }), "DataError",
      /positions in ring 0 of feature 0 of level "community"/, /max_ring_vertices = 4/);
    assert.equal(lib.validateGeoJSON(levels(), { limits: {} }).findings.length,
      lib.validateGeoJSON(levels()).findings.length);
    throwsNamed(() => City.fromGeoJSON(levels(), { limits: { max_feature: 3 } }), "WanggeError",
      /unknown limit/, /max_features/);
    for (const bad of [-1, 2.5, 2 ** 53]) {
      throwsBuiltin(() => City.fromGeoJSON(levels(), { limits: { max_features: bad } }), RangeError,
        /limits\.max_features must be a whole number >= 0 or null/);
    }
    throwsBuiltin(() => City.fromGeoJSON(levels(), { limits: { max_features: "3" } }), TypeError, /options/);
    throwsBuiltin(() => City.fromGeoJSON(levels(), { limits: 3 }), TypeError, /options/);
    throwsBuiltin(() => new Planner(fixtureCity(), { validate: { limits: {} } }), TypeError,
      /options\.validate\.limits: a planner reads no GeoJSON/);
  });

  test(`[${how}] ManifestError: bad TOML, no [dispatch] section, unknown spec keys`, () => {
    const city = fixtureCity();
    throwsNamed(() => Dispatcher.fromManifest(city, "this is = not [ toml", {}), "ManifestError", /manifest manifest\.toml/);
    throwsNamed(() => Dispatcher.fromManifest(city, "name = 'x'\n[[levels]]\nname='a'\nfile='a.geojson'\n", {}),
      "ManifestError", /no \[dispatch\] section/);
    throwsNamed(() => Dispatcher.fromSpec(city, { departments: "d.toml", bogus: 1 }, { "d.toml": departments }),
      "ManifestError", /manifest spec/, /bogus/);
  });

  test(`[${how}] SnapshotError: truncated, foreign, altered, future-version bytes`, () => {
    const good = fixtureSnapshot;
    throwsNamed(() => City.fromBytes(good.slice(0, 10)), "SnapshotError", /snapshot: truncated/);
    throwsNamed(() => City.fromBytes(new Uint8Array(0)), "SnapshotError", /truncated/);
    throwsNamed(() => City.fromBytes(new TextEncoder().encode("x".repeat(100))), "SnapshotError", /bad magic/);
    const flipped = good.slice();
    flipped[flipped.length >> 1] ^= 0x40;
    throwsNamed(() => City.fromBytes(flipped), "SnapshotError", /checksum mismatch/);
    const cut = good.slice(0, good.length - 1);
    throwsNamed(() => City.fromBytes(cut), "SnapshotError", /truncated|checksum/);
    const future = good.slice();
    future[8] = 9; // the format version (u32 after the 8-byte magic)
    throwsNamed(() => City.fromBytes(future), "SnapshotError", /unsupported format version 9 \(this build reads versions 1 to 2/);
  });

  test(`[${how}] EditError names the edit, its operation and the codes`, () => {
    const city = City.fromBytes(wuhanSnapshot);
    const planner = new Planner(city);
    throwsNamed(() => planner.preview([split, { ...split, grid: "420103001001999" }]), "EditError",
      /edit 1 \(split\)/, /420103001001999/);
    const [a, b] = city.levelIds("community").slice(0, 2).map((c) => city.levelIds("grid").find((g) => city.region(g).parent === c));
    const [ga, gb] = [city.region(a).code, city.region(b).code];
    throwsNamed(() => planner.preview([{ op: "merge", grids: [ga, gb] }]), "EditError", /edit 0 \(merge\)/, new RegExp(`${ga}|${gb}`));
    throwsNamed(() => planner.preview([{ ...split, line: [[100, 20], [100.1, 20]] }]), "EditError",
      /edit 0 \(split\)/, new RegExp(GRID));
    throwsNamed(() => planner.preview([{ op: "reassign", grid: GRID, parent: "420103999999" }]), "EditError",
      /edit 0 \(reassign\)/, /420103999999/);
    assert.equal(planner.current, 1, "nothing changed");
  });

  test(`[${how}] VersionError: unknown versions, invalid, stale and used-up previews`, () => {
    const city = City.fromBytes(wuhanSnapshot);
    const planner = new Planner(city);
    throwsNamed(() => planner.rollback(99), "VersionError", /no version 99/);
    throwsNamed(() => planner.rollback(1.5), "VersionError", /no version 1\.5/);
    // GRID replaced by its bounding box grown by 0.001°: it overlaps its neighbours.
    const f = city.regionsGeoJSON("grid").features.find((g) => g.properties.code === GRID);
    const pts = f.geometry.coordinates[0][0];
    const [x0, x1] = [Math.min(...pts.map((p) => p[0])) - 1e-3, Math.max(...pts.map((p) => p[0])) + 1e-3];
    const [y0, y1] = [Math.min(...pts.map((p) => p[1])) - 1e-3, Math.max(...pts.map((p) => p[1])) + 1e-3];
    const overlap = planner.preview([{ op: "replace", grid: GRID, geometry: [[[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]] }]);
    assert.equal(overlap.valid, false);
    throwsNamed(() => planner.commit(overlap, "overlap"), "VersionError", /not committed/);
    const first = planner.preview([split]);
    const second = planner.preview([split]);
    assert.equal(planner.commit(first, "split"), 2);
    throwsNamed(() => planner.commit(second, "again"), "VersionError", /preview again/);
    throwsNamed(() => first.valid, "VersionError", /committed as version 2/);
    throwsNamed(() => planner.commit(first), "VersionError", /committed as version 2/);
    assert.equal(planner.current, 2);
  });

  test(`[${how}] FileError: a file the spec or manifest names is not given`, () => {
    const city = fixtureCity();
    throwsNamed(() => Dispatcher.fromSpec(city, { departments: "d.toml" }, {}), "FileError", /^d\.toml: not among the given files/);
    throwsNamed(() => Dispatcher.fromManifest(City.fromBytes(wuhanSnapshot), wuhanManifest, {}), "FileError",
      /wuhan\/departments\.toml/);
  });

  test(`[${how}] UnknownIdError: unknown resources and assets; nothing moves`, () => {
    const { d } = wuhan();
    const v = d.resourceVersion;
    throwsNamed(() => d.updatePositions(["W00001", "NO-SUCH-WORKER"], [114.26, 114.26], [30.58, 30.58]),
      "UnknownIdError", /unknown resource id "NO-SUCH-WORKER"/);
    assert.equal(d.resourceVersion, v);
    throwsNamed(() => d.dispatch(114.2712, 30.5851, "0103", { crs: "gcj02", assetId: "42010301030000001" }),
      "UnknownIdError", /unknown asset id "42010301030000001"/);
  });

  test(`[${how}] TypeError: arguments and options of the wrong type or shape`, () => {
    const city = fixtureCity();
    throwsBuiltin(() => City.fromGeoJSON({}), TypeError, /levels must be an array/);
    throwsBuiltin(() => City.fromGeoJSON("[]"), TypeError, /levels must be an array/);
    throwsBuiltin(() => City.fromGeoJSON([{ name: "grid" }]), TypeError, /levels: missing field `geojson`/);
    throwsBuiltin(() => City.fromGeoJSON([{ name: "grid", geojson: grid, codeProp: "code" }]), TypeError, /unknown field `codeProp`/);
    throwsBuiltin(() => City.fromGeoJSON([{ name: "grid", geojson: { n: 1n } }]), TypeError, /levels cannot be turned into JSON/);
    throwsBuiltin(() => City.fromGeoJSON(levels(), "free"), TypeError, /options must be an object/);
    throwsBuiltin(() => City.fromGeoJSON(levels(), { codeSchema: "free" }), TypeError, /options: unknown field `codeSchema`/);
    throwsBuiltin(() => City.fromGeoJSON(levels(), { parentToleranceM: "1" }), TypeError, /options: invalid type/);
    throwsBuiltin(() => City.fromGeoJSON(levels(), { codeScheme: "loose" }), TypeError, /unknown variant `loose`/);
    throwsBuiltin(() => city.levelIds(true), TypeError, /level must be a level name or index/);
    throwsBuiltin(() => Dispatcher.fromSpec(city, "departments = 'd.toml'", {}), TypeError, /spec must be an object/);
    throwsBuiltin(() => Dispatcher.fromSpec(city, { departments: "d.toml" }, 3), TypeError, /files must be an object/);
    throwsBuiltin(() => Dispatcher.fromSpec(city, { departments: "d.toml" }, { "d.toml": 1 }), TypeError, /files\["d\.toml"\] must be a string/);
    const { d } = wuhan();
    throwsBuiltin(() => d.dispatch(114.27, 30.58, "0103", { asset: "x" }), TypeError, /unknown field `asset`/);
    throwsBuiltin(() => d.nearest(114.27, 30.58, 3, { classes: 103 }), TypeError, /options/);
    throwsBuiltin(() => d.within(114.27, 30.58, 10, "gcj02"), TypeError, /options must be an object/);
    const planner = new Planner(City.fromBytes(wuhanSnapshot));
    throwsBuiltin(() => new Planner(city, { reuseRetired: true }), TypeError, /unknown field `reuseRetired`/);
    throwsBuiltin(() => new Planner(city, { validate: { overlapMin: 1 } }), TypeError, /overlapMin/);
    throwsBuiltin(() => lib.validateGeoJSON(levels(), { areaWarnM2: 5 }), TypeError, /options: invalid type/);
    throwsBuiltin(() => planner.preview(undefined), TypeError, /edits must be a list/);
    throwsBuiltin(() => planner.preview(null), TypeError, /edits must be a list/);
    const p = planner.preview([split]);
    throwsBuiltin(() => p.impact(5), TypeError, /cases must be an object/);
    throwsBuiltin(() => p.impact({ lngs: [1], lats: [1], when: 3 }), TypeError, /unknown key "when"/);
    throwsBuiltin(() => p.impact({ lngs: "1", lats: [1] }), TypeError, /cases\.lngs must be an array/);
    throwsBuiltin(() => p.impact({ lngs: [1] }), TypeError, /cases\.lats must be an array/);
    throwsBuiltin(() => p.impact({ lngs: [1], lats: [1], ids: "a" }), TypeError, /cases\.ids must be an array/);
    throwsBuiltin(() => p.impact({ lngs: [1], lats: [1], ids: [{}] }), TypeError, /cases\.ids\[0\] must be a string or a number/);
    throwsBuiltin(() => p.impactWith(d, { lngs: [1], lats: [1], ids: [null] }), TypeError, /cases\.ids\[0\]/);
    throwsBuiltin(() => p.impact({ lngs: [1], lats: [1], crs: 4326 }), TypeError, /crs must be a string, got number/);
  });

  // The glue's own conversion of a string parameter given a non-string writes out of bounds of
  // the Wasm memory ("RuntimeError: memory access out of bounds"), and it wraps numbers given
  // for an unsigned integer (-1 becomes 4294967295, "x" becomes 0): every such parameter is
  // checked by the binding instead.
  test(`[${how}] TypeError, RangeError: strings and indices of the wrong type, never a trap`, () => {
    const city = fixtureCity();
    const { city: wc, d } = wuhan();
    throwsBuiltin(() => city.locate(114.2515, 30.5525, 4326), TypeError, /^crs must be a string, got number$/);
    throwsBuiltin(() => city.locateMany([114.2515], [30.5525], {}), TypeError, /^crs must be a string, got object$/);
    throwsBuiltin(() => city.regionsGeoJSON("grid", true), TypeError, /^crs must be a string, got boolean$/);
    throwsBuiltin(() => lib.convertMany([1], [1], 4326, "gcj02"), TypeError, /^from must be a string, got number$/);
    throwsBuiltin(() => lib.convertMany([1], [1], "wgs84"), TypeError, /^to must be a string, got undefined$/);
    throwsBuiltin(() => city.byCode(420103001001), TypeError, /^code must be a string, got number$/);
    throwsBuiltin(() => Dispatcher.fromManifest(wc, { dispatch: {} }, {}), TypeError, /^manifest must be a string, got object$/);
    throwsBuiltin(() => d.dispatch(114.2712, 30.5851, 103), TypeError, /^category must be a string, got number$/);
    throwsBuiltin(() => d.updatePositions("W00001", [114.26], [30.58]), TypeError, /^ids must be an array of strings, got string$/);
    throwsBuiltin(() => d.updatePositions(["W00001", 2], [114.26, 114.26], [30.58, 30.58]), TypeError, /^ids\[1\] must be a string, got number$/);
    throwsBuiltin(() => d.updatePositions(["W00001"], [114.26], [30.58], 5), TypeError, /crs must be a string/);
    const planner = new Planner(city);
    throwsBuiltin(() => planner.rollback(1, 5), TypeError, /^note must be a string, got number$/);
    throwsBuiltin(() => city.region("3"), TypeError, /^region id must be a number, got string$/);
    throwsBuiltin(() => city.region(-1), RangeError, /^region id must be an integer ≥ 0, got -1$/);
    throwsBuiltin(() => city.region(1.5), RangeError, /^region id must be an integer ≥ 0, got 1\.5$/);
    throwsBuiltin(() => city.region(NaN), RangeError, /got NaN/);
    throwsBuiltin(() => d.nearest(114.27, 30.58, -1), RangeError, /^k must be an integer ≥ 0, got -1$/);
    throwsBuiltin(() => d.nearest(114.27, 30.58, "3"), TypeError, /^k must be a number, got string$/);
    // Left out, `undefined` or `null`: the defaults.
    assert.deepEqual(city.locate(114.2515, 30.5525, undefined).codes, city.locate(114.2515, 30.5525, null).codes);
    assert.equal(city.byCode("420103001001002"), city.locate(114.2515, 30.5525).id);
    assert.equal(d.nearest(114.27, 30.58, 2).length, 2);
    // The module is intact: the same answers as before.
    assert.equal(city.region(3).code, City.fromBytes(fixtureSnapshot).region(3).code);
  });

  test(`[${how}] RangeError: region ids, level indices and names, radii out of range`, () => {
    const city = fixtureCity();
    throwsBuiltin(() => city.region(city.regionCount), RangeError, /region id 15 out of range \(the city has 15 regions\)/);
    throwsBuiltin(() => city.levelIds("ward"), RangeError, /no level "ward"; levels are \["community", "grid"\]/);
    throwsBuiltin(() => city.levelIds(2), RangeError, /level index 2 out of range \(2 levels\)/);
    throwsBuiltin(() => city.regionsGeoJSON(0.5), RangeError, /level index 0\.5 out of range/);
    throwsBuiltin(() => city.regionsGeoJSON(-1), RangeError, /level index -1 out of range/);
    const { d } = wuhan();
    throwsBuiltin(() => d.within(114.27, 30.58, -1), RangeError, /radiusM must be a finite number ≥ 0, got -1/);
    throwsBuiltin(() => d.within(114.27, 30.58, NaN), RangeError, /got NaN/);
  });

  test(`[${how}] errors of the wasm-bindgen glue: an object of the wrong class`, () => {
    const city = fixtureCity();
    // Checked by the generated glue before Rust sees the call: a plain Error.
    for (const call of [() => new Planner({}), () => Dispatcher.fromSpec({ free() {} }, {}, {}), () => lib.diffCities(city, {})]) {
      assert.throws(call, (e) => e instanceof Error && e.name === "Error" && /expected instance of City/.test(e.message));
    }
    const planner = new Planner(city);
    assert.throws(() => planner.commit({}), (e) => e instanceof Error && /expected instance of Preview/.test(e.message));
  });

  test(`[${how}] every name of errorNames() and of the .d.ts union was thrown above`, () => {
    assert.deepEqual(names, ["WanggeError", "GeometryError", "HierarchyError", "CodeError", "DataError",
      "ManifestError", "SnapshotError", "EditError", "VersionError", "FileError", "UnknownIdError"]);
    const dir = how === "node" ? "pkg/node" : "pkg/web";
    assert.deepEqual(declaredNames(join(pkgDir, dir, "wangge_wasm.d.ts")), names);
    assert.deepEqual([...thrown].sort(), [...names].sort());
  });

  // Last: these replace the module's instance, making every object made above unusable.
  test(`[${how}] a panic throws a WanggeError; the next calls run on a fresh instance`, () => {
    const city = City.fromBytes(fixtureSnapshot);
    const { city: wuhanCity, d } = wuhan();
    const planner = new Planner(wuhanCity);
    const preview = planner.preview([split]);
    const before = fixtureCases.map((c) => city.locate(c.lon, c.lat, c.crs)?.codes ?? null);

    const err = throwsNamed(() => lib._panicForTests("first"), "WanggeError",
      /^internal error in wangge \(please report it\): deliberate panic from wangge's _panicForTests test hook: first/,
      /at bindings\/wasm\/src\/panic\.rs:\d+/, /objects made before this error .* can no longer be used/);
    assert.ok(!(err instanceof WebAssembly.RuntimeError));

    // The very next call works, even one whose arguments are copied into the Wasm memory.
    assert.equal(lib.version(), json(join(pkgDir, "package.json")).version);
    const fresh = City.fromBytes(fixtureSnapshot);
    assert.deepEqual(fixtureCases.map((c) => fresh.locate(c.lon, c.lat, c.crs)?.codes ?? null), before);
    assert.deepEqual(fixtureCases.map((c) => c.expect ?? null), before, "the fixture's expected owners");

    // Every object of the old instance refuses to work instead of reading the new memory.
    const stale = /Invalid stale object from previous Wasm instance/;
    assert.throws(() => city.locate(114.2515, 30.5525), stale);
    assert.throws(() => city.regionCount, stale);
    assert.throws(() => wuhanCity.locateMany([114.27], [30.58]), stale);
    assert.throws(() => d.dispatch(114.2712, 30.5851, "0103"), stale);
    assert.throws(() => planner.preview([split]), stale);
    assert.throws(() => preview.valid, stale);
    assert.throws(() => new Planner(city), stale);
    assert.throws(() => lib.diffCities(city, fresh), stale);
    // free() of an old object is a no-op (its memory went with the old instance), and leaves
    // the new instance intact.
    for (const o of [city, wuhanCity, d, planner, preview]) o.free();
    assert.equal(fresh.regionCount, 15);

    // A full workflow on the new instance, and two more panics: each recovers the same way.
    for (const round of ["second", "third"]) {
      const { city: c2, d: d2 } = wuhan();
      const p2 = new Planner(c2).preview([split]);
      assert.equal(p2.valid, true);
      assert.ok(d2.dispatch(114.2712, 30.5851, "0103", { crs: "gcj02" }).department);
      throwsNamed(() => lib._panicForTests(round), "WanggeError", new RegExp(`test hook: ${round}`));
      assert.throws(() => c2.regionCount, stale);
      assert.throws(() => p2.codes, stale);
    }
    const last = City.fromBytes(fixtureSnapshot);
    assert.deepEqual(fixtureCases.map((c) => last.locate(c.lon, c.lat, c.crs)?.codes ?? null), before);
    assert.throws(() => fresh.regionCount, stale);
  });

  test(`[${how}] out of WebAssembly memory is thrown and recovered like a panic`, () => {
    const city = City.fromBytes(fixtureSnapshot);
    const before = fixtureCases.map((c) => city.locate(c.lon, c.lat, c.crs)?.codes ?? null);
    // 1 GiB blocks (never touched) until the memory cannot grow past 4 GiB.
    throwsNamed(() => lib._outOfMemoryForTests(), "WanggeError",
      /^internal error in wangge \(please report it\): memory allocation of 1073741824 bytes failed/);
    assert.throws(() => city.regionCount, /Invalid stale object from previous Wasm instance/);
    const fresh = City.fromBytes(fixtureSnapshot);
    assert.deepEqual(fixtureCases.map((c) => fresh.locate(c.lon, c.lat, c.crs)?.codes ?? null), before);
    assert.equal(lib.version(), json(join(pkgDir, "package.json")).version);
  });
}
