#!/usr/bin/env node
// Times Planner.preview (Node build) against `wangge edit` (native CLI) on the same edit: an
// east–west split of grid 420103001001001 of the bundled Wuhan city. Needs `node build.mjs`.
// Prints the median of 3 runs of each; asserts nothing (timings vary on a shared machine).
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, bytes, root, wangge } from "../tests/helpers.mjs";

const snapshot = join(build, "data/wuhan.wgg");
const city = wangge.City.fromBytes(bytes(snapshot));
const planner = new wangge.Planner(city);
const grid = "420103001001001";
const ring = city.regionsGeoJSON("grid").features.find((f) => f.properties.code === grid).geometry.coordinates[0][0];
const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
const lat = (Math.min(...ys) + Math.max(...ys)) / 2;
const edits = [{ op: "split", grid, line: [[Math.min(...xs) - 0.002, lat], [Math.max(...xs) + 0.002, lat]] }];
const median = (xs) => xs.sort((a, b) => a - b)[1];
const wasm = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  planner.preview(edits).free();
  wasm.push(performance.now() - t);
}
const file = join(mkdtempSync(join(tmpdir(), "wangge-time-")), "split.json");
writeFileSync(file, JSON.stringify(edits));
const native = [];
for (let i = 0; i < 3; i++) {
  const { stderr } = spawnSync(join(root, "target/release/wangge"),
    ["edit", "--city", snapshot, "--edits", file, "--format", "json"], { encoding: "utf8" });
  const m = /previewed .* in ([0-9.]+)(ms|s)\b/.exec(stderr ?? "");
  if (m) native.push(Number(m[1]) * (m[2] === "s" ? 1000 : 1));
}
console.log(`preview: wasm (Node) ${median(wasm).toFixed(0)} ms, native CLI ${native.length ? median(native).toFixed(0) : "?"} ms (medians of 3)`);
