// Errors in headless Chromium, through the web build as a page loads it (`init()` streaming the
// .wasm): a core error carries its family as `name`; a panic throws a WanggeError (not the
// `RuntimeError: unreachable` of the abort) and the next calls run on a fresh instance, where
// the page's old objects refuse to work and new ones answer the fixture's expected owners.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serve } from "../../tools/serve.mjs";
import { json, pkgDir, root } from "../helpers.mjs";
import { CHROMIUM_ARGS } from "./browser.mjs";

const cases = json(join(root, "tests/conformance/fixture.json")).cases;

test("Chromium: error names; a panic throws a WanggeError and the instance is replaced", async () => {
  const server = await serve(pkgDir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/package.json`); // any page of the origin: modules load from it
    const r = await page.evaluate(async (cases) => {
      const wangge = await import("/pkg/web/wangge_wasm.js");
      await wangge.default();
      const bytes = new Uint8Array(await (await fetch("/build/conformance/fixture.wgg")).arrayBuffer());
      const owners = (city) => cases.map((c) => city.locate(c.lon, c.lat, c.crs)?.codes ?? null);
      const caught = (f) => {
        try {
          f();
          return null;
        } catch (e) {
          return { name: e.name, message: e.message, isError: e instanceof Error, runtime: e instanceof WebAssembly.RuntimeError };
        }
      };
      const city = wangge.City.fromBytes(bytes);
      const before = owners(city);
      const snapshot = caught(() => wangge.City.fromBytes(bytes.slice(0, 30)));
      const crs = caught(() => city.locate(114.25, 30.55, "mercator"));
      const range = caught(() => city.region(city.regionCount));
      const panic = caught(() => wangge._panicForTests("browser"));
      const version = wangge.version();
      const fresh = wangge.City.fromBytes(bytes);
      const after = owners(fresh);
      const stale = caught(() => city.locate(114.2515, 30.5525));
      const freed = caught(() => city.free());
      return { before, after, snapshot, crs, range, panic, version, stale, freed, count: fresh.regionCount };
    }, cases);
    assert.deepEqual(r.before, cases.map((c) => c.expect ?? null));
    assert.equal(r.snapshot.name, "SnapshotError");
    assert.equal(r.snapshot.isError, true);
    assert.match(r.snapshot.message, /^snapshot: truncated: need \d+ bytes, have 30$/);
    assert.equal(r.crs.name, "WanggeError");
    assert.match(r.crs.message, /unknown CRS "mercator"/);
    assert.equal(r.range.name, "RangeError");
    assert.equal(r.panic.name, "WanggeError");
    assert.equal(r.panic.isError, true);
    assert.equal(r.panic.runtime, false, "not the abort's RuntimeError");
    assert.match(r.panic.message, /^internal error in wangge \(please report it\): deliberate panic .*: browser at bindings\/wasm\/src\/panic\.rs:\d+/);
    assert.equal(r.version, json(join(pkgDir, "package.json")).version);
    assert.deepEqual(r.after, r.before);
    assert.equal(r.count, 15);
    assert.match(r.stale.message, /Invalid stale object from previous Wasm instance/);
    assert.equal(r.freed, null, "free() of an old object is a no-op");
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
