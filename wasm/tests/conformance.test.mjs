// Every tests/conformance case, through the Node build and the web (ESM) build of the package,
// from the snapshot the CLI wrote and from the GeoJSON it exported: the chains must be the
// ones the Rust conformance runner expects (tests/conformance.rs), case for case.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { build, bytes, conformanceFiles, pkgDir, text, wangge } from "./helpers.mjs";
import { initSync, City as WebCity } from "../pkg/web/wangge_wasm.js";

initSync({ module: readFileSync(join(pkgDir, "pkg/web/wangge_wasm_bg.wasm")) });

/** The chain of codes `locateMany` implies for a region id (walking `region().parent`). */
function chainOf(city, id) {
  if (id === -1) return null;
  const codes = [];
  for (let cur = id; cur !== null; cur = city.region(cur).parent) codes.unshift(city.region(cur).code);
  return codes;
}

/** The city of a conformance file rebuilt with City.fromGeoJSON from `wangge export` output. */
function fromExport(City, name, levels) {
  const dir = join(build, "conformance", name);
  return City.fromGeoJSON(
    levels.map((level, i) => ({
      name: level,
      geojson: text(join(dir, `${level}.geojson`)),
      parentProperty: i > 0 ? "parent" : undefined,
    })),
  );
}

for (const { name, doc } of conformanceFiles()) {
  const snapshot = bytes(join(build, "conformance", `${name}.wgg`));
  const cities = {};
  cities.node = wangge.City.fromBytes(snapshot);
  cities.web = WebCity.fromBytes(snapshot);
  cities.geojson = fromExport(wangge.City, name, cities.node.levels);

  for (const [how, city] of Object.entries(cities)) {
    test(`${name} (${how}): ${doc.cases.length} cases with locate`, async (t) => {
      for (const [i, c] of doc.cases.entries()) {
        await t.test(`case ${i}: ${c.note}`, () => {
          const hit = city.locate(c.lon, c.lat, c.crs);
          assert.deepEqual(hit === null ? null : hit.codes, c.expect);
          if (hit) {
            assert.deepEqual(hit.chain.map((r) => r.code), c.expect);
            assert.equal(hit.chain.at(-1).id, hit.id);
          }
        });
      }
    });

    test(`${name} (${how}): every case with locateMany, grouped by CRS`, () => {
      for (const crs of new Set(doc.cases.map((c) => c.crs))) {
        const cases = doc.cases.filter((c) => c.crs === crs);
        const ids = city.locateMany(
          Float64Array.from(cases, (c) => c.lon),
          Float64Array.from(cases, (c) => c.lat),
          crs,
        );
        assert.ok(ids instanceof Int32Array);
        cases.forEach((c, i) => assert.deepEqual(chainOf(city, ids[i]), c.expect, `${crs} ${c.note}`));
      }
    });
  }

  test(`${name}: the snapshot round-trips through toBytes`, () => {
    const again = wangge.City.fromBytes(cities.node.toBytes());
    assert.deepEqual(again.codes, cities.node.codes);
    assert.deepEqual(again.levels, cities.node.levels);
  });
  test(`${name}: GeoJSON rebuild has the snapshot's regions`, () => {
    assert.deepEqual(cities.geojson.codes, cities.node.codes);
  });
}
