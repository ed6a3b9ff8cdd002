// The demo in headless Chromium: a click on a known point must show the grid and department the
// Rust CLI computed for it at build time (build/expect/demo.json); so must the GCJ-02 input; the
// "split this grid" action must preview the codes `wangge edit` gives and redraw after commit.
// Screenshots go to build/test-output/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, json, root } from "../helpers.mjs";
import { openDemo } from "./browser.mjs";

const expected = json(join(build, "expect/demo.json"));
const out = join(build, "test-output");
mkdirSync(out, { recursive: true });
let demo;

before(async () => { demo = await openDemo(); });
after(async () => { await demo?.close(); });

async function assertPanel(page) {
  await page.waitForSelector("#result:not([hidden])");
  assert.equal(await page.textContent('#chain li[data-level="grid"] code'), expected.grid);
  assert.equal(await page.textContent('#chain li[data-level="community"] code'), expected.community);
  assert.equal(await page.textContent("#department code"), expected.department);
  assert.ok((await page.textContent("#department")).includes(expected.departmentName));
  assert.ok((await page.locator("#workers li").count()) > 0, "workers listed");
  assert.equal(await page.locator(".worker").count(), await page.locator("#workers li").count(), "one marker per worker");
}

test("the demo loads from localhost only, with every level as a layer", async () => {
  const { page } = demo;
  const layers = await page.evaluate(() => window.wanggeDemo.map.getStyle().layers.map((l) => l.id));
  for (const level of ["district", "street", "community", "grid"]) assert.ok(layers.includes(`${level}-line`), level);
  assert.match(await page.textContent("#status"), /2952 regions on 4 levels/);
  assert.deepEqual(demo.offsite, []);
  assert.deepEqual(demo.errors, []);
});

test("a click on a known point shows the CLI's grid and department", async () => {
  const { page } = demo;
  await page.selectOption("#category", expected.category);
  const [lng, lat] = await page.evaluate(([x, y]) => Array.from(window.wanggeDemo.gcj02ToWgs84(x, y)), expected.gcj02);
  const pixel = await page.evaluate(([lng, lat]) => new Promise((ok) => {
    const { map } = window.wanggeDemo;
    map.jumpTo({ center: [lng, lat], zoom: 18 });
    map.once("idle", () => { const p = map.project([lng, lat]); ok([p.x, p.y]); });
    map.triggerRepaint();
  }), [lng, lat]);
  const box = await page.locator("#map canvas").boundingBox();
  await page.mouse.click(box.x + pixel[0], box.y + pixel[1]);
  await assertPanel(page);
  // Zoom out so that the worker markers are in the picture too.
  await page.evaluate(() => new Promise((ok) => {
    const { map } = window.wanggeDemo;
    map.jumpTo({ zoom: 15.5 });
    map.once("idle", ok);
    map.triggerRepaint();
  }));
  await page.screenshot({ path: join(out, "demo-click.png") });
  assert.deepEqual(demo.offsite, []);
});

test("the GCJ-02 input locates the same point", async () => {
  const { page } = demo;
  await page.evaluate(() => { document.getElementById("result").hidden = true; });
  await page.fill("#gcj", `${expected.gcj02[0]}, ${expected.gcj02[1]}`);
  await page.click("#gcj-form button");
  await assertPanel(page);
  await page.screenshot({ path: join(out, "demo-gcj02.png") });
});

test("the benchmark panel runs, and locateMany agrees with turf + flatbush in the browser", async () => {
  const { page } = demo;
  const r = await page.evaluate(async () => {
    const peers = await import("../build/vendor/peers.mjs");
    return window.wanggeDemo.runBenchmark(window.wanggeDemo.city, { n: 50_000, reps: 1, peers });
  });
  assert.equal(r.n, 50_000);
  assert.ok(r.owned > 0);
  assert.equal(r.peer.agree, r.n, "same owner for every random point");
  await page.click("#bench-run");
  await page.waitForFunction(() => /M\/s/.test(document.getElementById("bench-out").textContent), null, { timeout: 120_000 });
  assert.match(await page.textContent("#bench-out"), /1,000,000 points/);
});

test("split this grid: the preview shows the CLI's new codes; commit redraws the grid layer", async () => {
  const { page } = demo;
  await page.fill("#gcj", `${expected.gcj02[0]}, ${expected.gcj02[1]}`);
  await page.click("#gcj-form button");
  await assertPanel(page);
  assert.equal(await page.isEnabled("#split-btn"), true);
  await page.click("#split-btn");
  await page.waitForSelector("#split-out:not([hidden]) #split-status[data-valid]");
  assert.equal(await page.getAttribute("#split-status", "data-valid"), "true", await page.textContent("#split-status"));
  const created = await page.locator("#split-created li code").allTextContents();
  // The same edit through the Rust CLI on the same snapshot.
  const edits = await page.evaluate(() => window.wanggeDemo.lastEdits);
  assert.equal(edits[0].grid, expected.grid);
  const file = join(out, "demo-split.json");
  writeFileSync(file, JSON.stringify(edits));
  const rust = JSON.parse(execFileSync(join(root, "target/release/wangge"),
    ["edit", "--city", join(build, "data/wuhan.wgg"), "--edits", file, "--format", "json"], { encoding: "utf8" }));
  assert.equal(rust.valid, true);
  assert.deepEqual(created, rust.codes.created);
  assert.equal(created.length, 2);
  await page.screenshot({ path: join(out, "demo-split-preview.png") });
  await page.click("#split-commit");
  await page.waitForFunction(() => document.getElementById("version").textContent === "version 2");
  const grids = await page.evaluate(async () => {
    const data = await window.wanggeDemo.map.getSource("grid").getData();
    return data.features.map((f) => f.properties.code);
  });
  for (const c of created) assert.ok(grids.includes(c), `${c} drawn`);
  assert.ok(!grids.includes(expected.grid), "the split grid is gone from the layer");
  // The panel answers from the new version: the click point lies on the cut, owned by one part.
  assert.ok(created.includes(await page.textContent('#chain li[data-level="grid"] code')));
  assert.equal(await page.getAttribute("#split-out", "hidden"), "");
  await page.screenshot({ path: join(out, "demo-split-committed.png") });
  assert.deepEqual(demo.errors, []);
  assert.deepEqual(demo.offsite, []);
});
