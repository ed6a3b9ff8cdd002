#!/usr/bin/env node
// The Chromium benchmark: City.locateMany against @turf/boolean-point-in-polygon + flatbush on
// the same 1M random points (WGS84, in the bounding box of 江汉区) and the same 2,952 regions,
// in the same page and run (demo/bench.js). Needs `node build.mjs` first.
// Usage: node tools/bench.mjs [points] [reps]  — prints the figures as JSON and a Markdown row.
import { openDemo } from "../tests/browser/browser.mjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pkgDir } from "../tests/helpers.mjs";

const n = Number(process.argv[2] ?? 1_000_000);
const reps = Number(process.argv[3] ?? 5);
const demo = await openDemo();
try {
  const r = await demo.page.evaluate(async ([n, reps]) => {
    const peers = await import("../build/vendor/peers.mjs");
    return window.wanggeDemo.runBenchmark(window.wanggeDemo.city, { n, reps, peers });
  }, [n, reps]);
  const size = JSON.parse(readFileSync(join(pkgDir, "build/size.json"), "utf8"));
  r.wasmGzipBytes = size.gzipBytes;
  console.log(JSON.stringify(r, null, 2));
  const f = (x) => x.toFixed(1);
  console.log(`| ${r.n.toLocaleString("en")} | ${f(r.wangge.ms)} ms (${r.wangge.mPointsPerS.toFixed(2)} M/s) | ` +
    `${f(r.peer.ms)} ms (${r.peer.mPointsPerS.toFixed(2)} M/s), index ${f(r.peer.buildMs)} ms | ` +
    `${r.speedup.toFixed(1)}× | ${r.peer.agree.toLocaleString("en")} / ${r.n.toLocaleString("en")} |`);
} finally {
  await demo.close();
}
