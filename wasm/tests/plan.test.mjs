// Planner tools in JS (Planner, Preview, validateGeoJSON, diffCities) on the bundled Wuhan city,
// through the Node build and the web (ESM) build: a split previewed, checked against the Rust
// CLI (`wangge edit --format json`, `wangge validate --format json`, run here on the same
// inputs), committed, located (old handles keep the old version; the new city agrees with a
// point-in-polygon brute force over its own grid shapes), rolled back; invalid edits throw with
// the core's message or come back invalid and cannot be committed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { build, bytes, pkgDir, root, wangge } from "./helpers.mjs";
import * as web from "../pkg/web/wangge_wasm.js";

web.initSync({ module: readFileSync(join(pkgDir, "pkg/web/wangge_wasm_bg.wasm")) });
const require = createRequire(import.meta.url);
const pip = require("@turf/boolean-point-in-polygon").default;

const CLI = join(root, "target/release/wangge");
const SNAPSHOT = join(build, "data/wuhan.wgg");
const GRID = "420103001001001";
const tmp = mkdtempSync(join(tmpdir(), "wangge-plan-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

/** Runs the Rust CLI; returns stdout (`wangge validate` exits 1 on an invalid partition, with
 *  the report on stdout all the same). */
function cli(...args) {
  const r = spawnSync(CLI, args, { encoding: "utf8" });
  if (r.error || !r.stdout) throw new Error(`${CLI} ${args.join(" ")}: ${r.error ?? r.stderr}`);
  return r.stdout;
}

/** Bounding box and vertex mean of a grid's exterior ring (the generated grids are convex). */
function shape(city, code) {
  const f = city.regionsGeoJSON("grid").features.find((g) => g.properties.code === code);
  assert.ok(f, `grid ${code} exists`);
  const ring = f.geometry.coordinates[0][0].slice(1);
  const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
  const mean = [xs.reduce((a, b) => a + b) / xs.length, ys.reduce((a, b) => a + b) / ys.length];
  return { bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], mean, feature: f };
}

/** An east–west split of GRID through its vertex mean. */
function splitEdit(city) {
  const { bbox: [x0, , x1], mean: [, ym] } = shape(city, GRID);
  return [{ op: "split", grid: GRID, line: [[x0 - 0.002, ym], [x1 + 0.002, ym]] }];
}

/** The deepest owner of each point by brute force over a level's GeoJSON (turf). */
function bruteOwner(fc, lng, lat) {
  const hits = fc.features.filter((f) => pip([lng, lat], f.geometry, { ignoreBoundary: true }));
  return hits.length === 1 ? hits[0].properties.code : hits.length === 0 ? null : `ambiguous:${hits.length}`;
}

for (const [how, lib] of [["node", wangge], ["web", web]]) {
  const { City, Planner } = lib;

  test(`[${how}] split: preview, impact = \`wangge edit --format json\`, commit, locate, rollback`, () => {
    const city = City.fromBytes(bytes(SNAPSHOT));
    const planner = new Planner(city);
    assert.equal(planner.current, 1);
    const edits = splitEdit(city);
    const { bbox: [, y0, , y1], mean: [xm, ym] } = shape(city, GRID);
    const q = (y1 - y0) / 10;
    const cases = { ids: ["north", "south", "far"], lngs: [xm, xm, 0], lats: [ym + q, ym - q, 0] };

    // The same edit (as JSON text, too) and the same cases through the Rust CLI.
    const editsFile = join(tmp, `split-${how}.json`);
    writeFileSync(editsFile, JSON.stringify(edits));
    const casesFile = join(tmp, `cases-${how}.csv`);
    writeFileSync(casesFile, `id,lon,lat\nnorth,${xm},${ym + q}\nsouth,${xm},${ym - q}\nfar,0,0\n`);
    const rust = JSON.parse(cli("edit", "--city", SNAPSHOT, "--edits", editsFile, "--cases", casesFile, "--format", "json"));

    const preview = planner.preview(JSON.stringify(edits));
    assert.equal(preview.valid, true);
    assert.equal(preview.baseVersion, 1);
    assert.deepEqual(preview.codes.retired, [GRID]);
    assert.equal(preview.codes.created.length, 2);
    assert.deepEqual(preview.edits, edits);
    const impact = preview.impact(cases);
    assert.equal(impact.valid, rust.valid);
    assert.deepEqual(impact.codes, rust.codes, "codes created/retired/changed/stitched as the CLI");
    assert.deepEqual(impact.cases, rust.cases, "cases whose grid changes as the CLI");
    assert.deepEqual(impact.cases.map((c) => c.id), ["north", "south"]);
    assert.deepEqual(
      impact.regions.regions.map((r) => [r.change, r.code, r.level]),
      rust.regions.regions.map((r) => [r.change, r.code, r.level]),
    );
    impact.regions.regions.forEach((r, i) => {
      const o = rust.regions.regions[i];
      for (const k of ["before_m2", "after_m2"]) {
        assert.ok((r[k] === null && o[k] === null) || Math.abs(r[k] - o[k]) <= 1e-6 * Math.max(1, o[k]), `${r.code} ${k}`);
      }
    });
    assert.deepEqual(impact.report.findings.map((f) => [f.kind, f.codes]), rust.report.findings.map((f) => [f.kind, f.codes]));
    // The two parts' areas add up to the old grid's (to 1e-6: the cut's new vertices on the old
    // borders lie on the straight lon/lat segment, a hair off the geodesic edge the area uses).
    const area = (code, k) => impact.regions.regions.find((r) => r.code === code)[k];
    const [north, south] = preview.codes.created;
    const sum = area(north, "after_m2") + area(south, "after_m2");
    assert.ok(Math.abs(sum - area(GRID, "before_m2")) < 1e-6 * sum, `${sum} vs ${area(GRID, "before_m2")}`);
    // Nothing is committed by a preview.
    assert.equal(planner.current, 1);
    assert.equal(planner.city().locate(xm, ym + q).codes.at(-1), GRID);
    // The preview's own city already has the parts; the changes as GeoJSON for a map.
    assert.equal(preview.city().locate(xm, ym + q).codes.at(-1), north);
    const changes = preview.changesGeoJSON();
    assert.equal(changes.type, "FeatureCollection");
    assert.deepEqual(
      changes.features.filter((f) => f.properties.change).map((f) => [f.properties.change, f.properties.code]).sort(),
      rust.regions.regions.map((r) => [r.change, r.code]).sort(),
    );
    assert.match(preview.summary(), /valid, can be committed/);

    // Commit: a city taken before keeps answering for version 1.
    const held = planner.city();
    assert.equal(planner.commit(preview, "split a busy grid"), 2);
    assert.equal(preview.committedAs, 2);
    assert.throws(() => preview.valid, /committed as version 2/);
    assert.equal(planner.current, 2);
    const now = planner.city();
    assert.equal(now.locate(xm, ym + q).codes.at(-1), north);
    assert.equal(now.locate(xm, ym - q).codes.at(-1), south);
    assert.equal(held.locate(xm, ym + q).codes.at(-1), GRID);
    assert.equal(city.locate(xm, ym - q).codes.at(-1), GRID, "the City the planner was made from is unchanged");
    assert.equal(now.byCode(GRID), undefined);
    assert.deepEqual(planner.retired, [GRID]);

    // The new version against brute force: random points around the old grid, every owner
    // from locate equals the one point-in-polygon finds among the new grid shapes.
    const grids = now.regionsGeoJSON("grid");
    const [bx0, by0, bx1, by1] = shape(city, GRID).bbox;
    let seed = 11;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const lngs = [], lats = [];
    for (let i = 0; i < 400; i++) {
      lngs.push(bx0 - 0.0005 + rand() * (bx1 - bx0 + 0.001));
      lats.push(by0 - 0.0005 + rand() * (by1 - by0 + 0.001));
    }
    const ids = now.locateMany(lngs, lats);
    const codes = now.codes;
    const seen = new Set();
    lngs.forEach((lng, i) => {
      const got = ids[i] === -1 ? null : codes[ids[i]];
      const want = bruteOwner(grids, lng, lats[i]);
      if (want === null || want.startsWith("ambiguous")) return; // on a border: skip
      assert.equal(got, want, `${lng},${lats[i]}`);
      seen.add(got);
    });
    assert.ok(seen.has(north) && seen.has(south), `both parts hit: ${[...seen]}`);

    // Versions, diff, rollback.
    const vs = planner.versions();
    assert.deepEqual(vs.map((v) => [v.number, v.parent, v.note]), [[1, null, ""], [2, 1, "split a busy grid"]]);
    assert.deepEqual(vs[1].edits, edits);
    assert.equal(vs[1].regionCount, city.regionCount + 1);
    const d = lib.diffCities(held, now);
    assert.deepEqual(d.regions.filter((r) => r.change !== "changed").map((r) => [r.change, r.code]).sort(),
      [["added", north], ["added", south], ["removed", GRID]].sort());
    assert.equal(lib.diffGeoJSON(held, now).features.length, d.regions.length);
    assert.equal(planner.rollback(1), 3);
    assert.equal(planner.city().locate(xm, ym + q).codes.at(-1), GRID);
    assert.deepEqual(planner.retired, [north, south].sort());
    assert.equal(planner.cityAt(2).locate(xm, ym - q).codes.at(-1), south);
    assert.equal(planner.cityAt(9), undefined);
    // A new split after the rollback does not reuse the retired codes.
    const again = planner.preview(edits);
    assert.ok(again.codes.created.every((c) => c > south), `${again.codes.created} after ${south}`);
    for (const o of [again, now, held, city, planner]) o.free();
  });

  test(`[${how}] bad edits throw the core's message and change nothing`, () => {
    const city = City.fromBytes(bytes(SNAPSHOT));
    const planner = new Planner(city);
    const line = splitEdit(city)[0].line;
    assert.throws(() => planner.preview([{ op: "split", grid: "420103999999999", line }]),
      (e) => e instanceof Error && /420103999999999/.test(e.message) && /split/.test(e.message));
    assert.throws(() => planner.preview([{ op: "split", grid: GRID, line: [[0, 0], [1, 0]] }]), /split/);
    assert.throws(() => planner.preview([{ op: "explode", grid: GRID }]), /explode/);
    assert.throws(() => planner.preview("[{not json"), Error);
    assert.throws(() => planner.preview(undefined), /edits/);
    assert.throws(() => new Planner(city, { reuseRetired: true }), /reuseRetired/);
    assert.throws(() => planner.rollback(5), /no version 5/);
    assert.throws(() => planner.preview(splitEdit(city)).impact({ lngs: [1, 2], lats: [1] }), /length|2.*1/i);
    assert.throws(() => planner.preview(splitEdit(city)).impact({ lngs: [1], lats: [1], when: 3 }), /when/);
    assert.equal(planner.current, 1);
    planner.free();
    city.free();
  });

  test(`[${how}] an overlapping replace previews as invalid; commit throws; version unchanged`, () => {
    const city = City.fromBytes(bytes(SNAPSHOT));
    const planner = new Planner(city);
    // Grow GRID over its neighbours: its bounding box, 40% wider on each side.
    const { bbox: [x0, y0, x1, y1] } = shape(city, GRID);
    const dx = (x1 - x0) * 0.4;
    const square = [[[x0 - dx, y0], [x1 + dx, y0], [x1 + dx, y1], [x0 - dx, y1], [x0 - dx, y0]]];
    const preview = planner.preview({ op: "replace", grid: GRID, geometry: [square] });
    assert.equal(preview.valid, false);
    const report = preview.report();
    assert.equal(report.valid, false);
    assert.ok(report.errors > 0);
    const overlaps = report.findings.filter((f) => f.kind === "overlap");
    assert.ok(overlaps.length > 0, JSON.stringify(report.findings.map((f) => f.kind)));
    assert.ok(overlaps.every((f) => f.codes.includes(GRID) && f.severity === "error" && f.geometry));
    assert.throws(() => planner.commit(preview, "should fail"), /not committed/);
    assert.equal(planner.current, 1);
    assert.equal(preview.valid, false, "a refused preview stays readable");
    assert.ok(preview.changesGeoJSON().features.some((f) => f.properties.kind === "overlap"));
    // A stale preview (made on a version that is no longer current) is refused too.
    const stale = planner.preview(splitEdit(city));
    assert.equal(planner.commit(planner.preview(splitEdit(city)), ""), 2);
    assert.throws(() => planner.commit(stale, ""), /preview again/);
    assert.equal(planner.current, 2);
    planner.free();
    city.free();
  });

  test(`[${how}] validateGeoJSON finds what \`wangge validate --format json\` finds`, () => {
    const sq = (x, y, w, code) => ({
      type: "Feature", properties: { code },
      geometry: { type: "Polygon", coordinates: [[[x, y], [x + w, y], [x + w, y + w], [x, y + w], [x, y]]] },
    });
    // Two overlapping grids, a tiny one (area error), a bad code, a duplicate.
    const fc = {
      type: "FeatureCollection",
      features: [
        sq(114.0, 30.0, 0.001, "420103001001001"),
        sq(114.0008, 30.0, 0.001, "420103001001002"),
        sq(114.01, 30.0, 0.0001, "420103001001003"),
        sq(114.02, 30.0, 0.001, "42010300100100X"),
        sq(114.03, 30.0, 0.001, "420103001001002"),
      ],
    };
    const file = join(tmp, `messy-${how}.geojson`);
    writeFileSync(file, JSON.stringify(fc));
    const rust = JSON.parse(cli("validate", "--polygons", file, "--format", "json"));
    const ours = lib.validateGeoJSON([{ name: "grid", geojson: fc }]);
    const key = (f) => [f.kind, f.severity, f.codes.join(" "), f.feature];
    assert.deepEqual(ours.findings.map(key), rust.findings.map(key));
    for (const kind of ["overlap", "area_out_of_range", "code_format", "duplicate_code"]) {
      assert.ok(ours.findings.some((f) => f.kind === kind), kind);
    }
    assert.equal(ours.valid, false);
    assert.equal(ours.errors, ours.findings.filter((f) => f.severity === "error").length);
    // Options: raising the overlap threshold above the overlap's area drops it.
    const relaxed = lib.validateGeoJSON([{ name: "grid", geojson: JSON.stringify(fc) }], { overlapMinAreaM2: 1e9 });
    assert.ok(!relaxed.findings.some((f) => f.kind === "overlap"));
    assert.throws(() => lib.validateGeoJSON([{ name: "grid", geojson: fc }], { overlapMin: 1 }), /overlapMin/);
    // The bundled grids (exported by the CLI) are valid.
    const grids = readFileSync(join(build, "conformance/wuhan/grid.geojson"), "utf8");
    const bundled = lib.validateGeoJSON([{ name: "grid", geojson: grids }]);
    assert.equal(bundled.valid, true, JSON.stringify(bundled.findings.slice(0, 3)));
    assert.ok(bundled.features[0] > 2000);
  });
}
