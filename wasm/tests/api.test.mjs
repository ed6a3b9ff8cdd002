// The rest of the JS API against independent answers: the Rust CLI (run at build time),
// geographiclib (distances), gcoord (GCJ-02/BD-09 formulas), and the errors the core throws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createRequire } from "node:module";
import { build, bytes, json, text, wangge, wuhanDispatcher } from "./helpers.mjs";
import { parseCsv } from "../tools/csv.mjs";

const require = createRequire(import.meta.url);
const { Geodesic } = require("geographiclib-geodesic");
const gcoord = require("gcoord");
const { City, Dispatcher } = wangge;
const { city, d } = wuhanDispatcher();
const demo = json(join(build, "expect/demo.json"));

test("locateMany agrees with `wangge locate` (Rust) on 20,000 random GCJ-02 points", () => {
  const rows = parseCsv(text(join(build, "expect/random_located.csv")));
  const lngs = Float64Array.from(rows, (r) => Number(r.lon));
  const lats = Float64Array.from(rows, (r) => Number(r.lat));
  const ids = city.locateMany(lngs, lats, "gcj02");
  const codes = city.codes;
  let owned = 0;
  rows.forEach((r, i) => {
    const deepest = r.grid || r.community || r.street || r.district || null;
    assert.equal(ids[i] === -1 ? null : codes[ids[i]], deepest, `row ${i}: ${r.lon},${r.lat}`);
    if (deepest) owned++;
  });
  assert.ok(owned > 10000, `most points are owned (${owned})`);
});

test("locate gives the chain `wangge locate` gives", () => {
  const hit = city.locate(demo.gcj02[0], demo.gcj02[1], "gcj02");
  assert.deepEqual(hit.codes, [demo.district, demo.street, demo.community, demo.grid]);
  assert.deepEqual(hit.chain.map((r) => r.levelName), ["district", "street", "community", "grid"]);
  assert.ok(hit.chain.every((r) => r.areaM2 > 0));
  assert.equal(city.locate(0, 0), null);
  assert.equal(city.locate(NaN, 30), null);
});

test("dispatch gives what `wangge dispatch` (Rust) gives", () => {
  const cli = parseCsv(text(join(build, "expect/dispatched.csv")))[0];
  const r = d.dispatch(demo.gcj02[0], demo.gcj02[1], demo.category, { crs: "gcj02" });
  assert.equal(r.chain.map((c) => c.code).join(">"), cli.chain);
  assert.equal(r.department, cli.department);
  assert.equal(r.departments[0].name, cli.department_name);
  assert.equal(r.departments[0].reason.rule, "responsible");
  const fmt = (hits) => hits.map((h) => `${h.id}@${h.distanceM.toFixed(1)}`).join(";");
  assert.equal(fmt(r.workers), cli.workers);
  assert.equal(fmt(r.assets), cli.assets);
  assert.equal(fmt(r.nearby.hydrants), cli.hydrants);
  assert.equal(r.categoryName, "雨水井盖");
});

test("nearest and within: exact geodesic order and distances (geographiclib)", () => {
  const [lng, lat] = wangge.gcj02ToWgs84(demo.gcj02[0], demo.gcj02[1]);
  const all = d.nearest(lng, lat, d.assetCount);
  assert.equal(all.length, d.assetCount);
  for (const [i, a] of all.entries()) {
    const s = Geodesic.WGS84.Inverse(lat, lng, a.lat, a.lng).s12;
    assert.ok(Math.abs(s - a.distanceM) < 1e-6, `${a.id}: ${a.distanceM} vs ${s}`);
    if (i > 0) {
      const p = all[i - 1];
      assert.ok(p.distanceM < a.distanceM || (p.distanceM === a.distanceM && p.id < a.id));
    }
  }
  const near = d.within(lng, lat, 300);
  assert.deepEqual(near.map((a) => a.id), all.filter((a) => a.distanceM <= 300).map((a) => a.id));
  const lamps = d.nearest(lng, lat, 5, { classes: "0118", maxDistanceM: 800 });
  assert.deepEqual(
    lamps.map((a) => a.id),
    all.filter((a) => a.class.startsWith("0118") && a.distanceM <= 800).slice(0, 5).map((a) => a.id),
  );
  const gcj = d.nearest(demo.gcj02[0], demo.gcj02[1], 3, { crs: "gcj02" });
  assert.deepEqual(gcj.map((a) => a.id), all.slice(0, 3).map((a) => a.id));
});

test("updatePositions: the moved worker is dispatched first; batches are all-or-nothing", () => {
  const { d } = wuhanDispatcher();
  const [lng, lat] = wangge.gcj02ToWgs84(demo.gcj02[0], demo.gcj02[1]);
  const before = d.dispatch(lng, lat, "0103");
  const far = d.resources().find((r) => r.onDuty && r.kind === "worker" && !before.workers.some((w) => w.id === r.id)
    && r.homeGrid !== before.chain.at(-1).code);
  assert.ok(far, "an on-duty worker not among the nearest");
  const v0 = d.resourceVersion;
  assert.throws(() => d.updatePositions([far.id, "NO-SUCH-WORKER"], [lng, lng], [lat, lat]), /NO-SUCH-WORKER/);
  assert.equal(d.resourceVersion, v0);
  assert.throws(() => d.updatePositions([far.id], [lng, lng], [lat]), Error);
  assert.throws(() => d.updatePositions([far.id], [NaN], [lat]), Error);
  assert.equal(d.resourceVersion, v0);
  const [gx, gy] = wangge.wgs84ToGcj02(lng, lat);
  assert.equal(d.updatePositions([far.id], Float64Array.of(gx), Float64Array.of(gy), "gcj02"), v0 + 1);
  const moved = d.resources().find((r) => r.id === far.id);
  assert.ok(Geodesic.WGS84.Inverse(lat, lng, moved.lat, moved.lng).s12 < 1e-3);
  const after = d.dispatch(lng, lat, "0103");
  const hit = after.workers.find((w) => w.id === far.id);
  assert.ok(hit && hit.distanceM < 1e-3, JSON.stringify(after.workers));
});

test("Dispatcher.fromSpec: departments and workers as text", () => {
  const workers = "id,kind,lon,lat,on_duty,home_grid\nA,worker,114.2600,30.5900,true,\nB,worker,114.2610,30.5900,false,\n";
  const spec = { departments: "d.toml", workers: { file: "w.csv" } };
  const files = { "d.toml": text(join(build, "data/wuhan/departments.toml")), "w.csv": workers };
  const own = Dispatcher.fromSpec(city, spec, files);
  assert.deepEqual(own.resources().map((r) => [r.id, r.onDuty]), [["A", true], ["B", false]]);
  const r = own.dispatch(114.2601, 30.5901, "0103");
  assert.deepEqual(r.workers.map((w) => w.id), ["A"]);
  assert.equal(own.assetCount, 0);
  assert.throws(() => Dispatcher.fromSpec(city, spec, { "d.toml": files["d.toml"] }), /w\.csv/);
  assert.throws(() => Dispatcher.fromSpec(city, { departments: "d.toml", bogus: 1 }, files), /bogus/);
  assert.throws(() => Dispatcher.fromSpec(city, spec, { ...files, "w.csv": "id,kind\nA,worker\n" }), /lon/);
});

test("GCJ-02 / BD-09 helpers agree with gcoord and invert to well under 1 mm", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  for (let i = 0; i < 500; i++) {
    const p = [73.5 + rand() * 61, 18.2 + rand() * 35];
    const g = wangge.wgs84ToGcj02(...p);
    const ref = gcoord.transform(p, gcoord.WGS84, gcoord.GCJ02);
    assert.ok(Math.abs(g[0] - ref[0]) < 1e-9 && Math.abs(g[1] - ref[1]) < 1e-9, `${p} -> ${g} vs ${ref}`);
    const b = wangge.gcj02ToBd09(...g);
    const refB = gcoord.transform([...g], gcoord.GCJ02, gcoord.BD09);
    assert.ok(Math.abs(b[0] - refB[0]) < 1e-9 && Math.abs(b[1] - refB[1]) < 1e-9, `${g} -> ${b} vs ${refB}`);
    const back = wangge.bd09ToWgs84(...b);
    const m = Geodesic.WGS84.Inverse(p[1], p[0], back[1], back[0]).s12;
    assert.ok(m < 1e-3, `round trip off by ${m} m`);
    const many = wangge.convertMany([p[0]], [p[1]], "wgs84", "bd09");
    assert.deepEqual([...many], [...wangge.wgs84ToBd09(...p)]);
  }
  assert.deepEqual([...wangge.wgs84ToGcj02(2.35, 48.85)], [2.35, 48.85], "outside China: unchanged");
});

test("regionsGeoJSON: one Feature per region of the level, in any CRS", () => {
  for (const [i, level] of city.levels.entries()) {
    const fc = city.regionsGeoJSON(level);
    assert.equal(fc.type, "FeatureCollection");
    const ids = city.levelIds(i);
    assert.deepEqual(fc.features.map((f) => f.properties.code), Array.from(ids, (id) => city.region(id).code));
    assert.deepEqual(city.regionsGeoJSON(i).features.length, fc.features.length);
  }
  const wgs = city.regionsGeoJSON("district").features[0].geometry.coordinates[0][0][0];
  const gcj = city.regionsGeoJSON("district", "gcj02").features[0].geometry.coordinates[0][0][0];
  assert.deepEqual([...wangge.wgs84ToGcj02(...wgs)], gcj);
});

test("errors are thrown as Error with the core's message", () => {
  const snapshot = city.toBytes();
  const corrupt = snapshot.slice();
  corrupt[corrupt.length - 5] ^= 0xff;
  assert.throws(() => City.fromBytes(corrupt), (e) => e instanceof Error && /snapshot|checksum|CRC/i.test(e.message));
  assert.throws(() => City.fromBytes(new Uint8Array([1, 2, 3])), Error);
  assert.throws(() => city.locate(114, 30, "utm"), /utm/);
  assert.throws(() => city.locateMany([1, 2], [1]), /2.*1|length/i);
  assert.throws(() => city.region(city.regionCount), /out of range/);
  assert.throws(() => city.regionsGeoJSON("ward"), /no level "ward"/);
  assert.throws(() => d.dispatch(114.26, 30.59, "9999"), /9999/);
  assert.throws(() => d.dispatch(114.26, 30.59, "0103", { asset: "x" }), /asset/);
  assert.throws(() => d.within(114.26, 30.59, -1), /radiusM/);
  assert.throws(() => Dispatcher.fromManifest(city, "name = 'x'\n[[levels]]\nname='a'\nfile='a.geojson'\n", {}), /no \[dispatch\]/);
  const square = (x, y, code, extra = {}) => ({
    type: "Feature",
    properties: { code, ...extra },
    geometry: { type: "Polygon", coordinates: [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]] },
  });
  const fc = (...features) => ({ type: "FeatureCollection", features });
  assert.throws(
    () => City.fromGeoJSON([{ name: "district", geojson: fc(square(114, 30, "420103"), square(114.02, 30, "420103")) }]),
    (e) => e instanceof Error && /420103/.test(e.message) && /district/.test(e.message) && /1/.test(e.message),
  );
  const bowtie = { type: "Feature", properties: { code: "420104" },
    geometry: { type: "Polygon", coordinates: [[[114, 30], [114.01, 30.01], [114.01, 30], [114, 30.01], [114, 30]]] } };
  assert.throws(() => City.fromGeoJSON([{ name: "district", geojson: fc(bowtie) }]), /self-intersect/i);
  assert.throws(() => City.fromGeoJSON([{ name: "district", geojson: "{not json" }]), /district/);
  assert.throws(() => City.fromGeoJSON({}), /array/);
  const ok = City.fromGeoJSON([{ name: "d", geojson: fc(square(114, 30, "A1")) }], { codeScheme: "free" });
  assert.equal(ok.locate(114.005, 30.005).codes[0], "A1");
  assert.throws(() => City.fromGeoJSON([{ name: "d", geojson: fc(square(114, 30, "A1")) }]), /A1/);
  ok.free();
});
