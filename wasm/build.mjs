#!/usr/bin/env node
// Builds the npm package and the demo's data, offline apart from cargo/npm registries:
//   1. cargo build of bindings/wasm for wasm32-unknown-unknown (profile `wasm-release`,
//      defined here with --config: release + LTO, one codegen unit, no debug info);
//   2. wasm-bindgen (the CLI must be exactly the crate's pinned version) into pkg/web (ESM)
//      and pkg/node (CommonJS), with the generated .d.ts, without the name section; two fixes
//      to the glue's re-initialisation after a panic (patchReinit below);
//   3. with the `wangge` CLI, into build/ (git-ignored): the Wuhan snapshot and the texts its
//      dispatcher needs, a snapshot and a GeoJSON export of every tests/conformance dataset,
//      and the demo test's expected answers (computed by `wangge locate` / `wangge dispatch`);
//   4. vendor files for the demo: MapLibre GL JS copied from node_modules, and the benchmark
//      peers (@turf/boolean-point-in-polygon, flatbush) bundled by esbuild.
// Usage: node build.mjs [--skip-cargo]   (--skip-cargo reuses the last .wasm)
// Environment: WANGGE_WASM_OPT_LEVEL (default "s"), WANGGE_WASM_KEEP_NAMES=1 (keep the name
// section, for readable profiles and panic traces).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { parseCsv } from "./tools/csv.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const build = join(here, "build");
const skipCargo = process.argv.includes("--skip-cargo");

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  return execFileSync(cmd, args, { cwd: root, stdio: ["ignore", opts.capture ? "pipe" : "inherit", "inherit"], encoding: "utf8" });
}

// --- 1. the .wasm --------------------------------------------------------------------------
const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
const pinned = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
const cli = run("wasm-bindgen", ["--version"], { capture: true }).trim().split(/\s+/)[1];
if (pinned !== cli) {
  throw new Error(`wasm-bindgen CLI ${cli} does not match the wasm-bindgen crate ${pinned} in Cargo.lock: ` +
    `cargo install wasm-bindgen-cli --version =${pinned}`);
}
const profile = [
  "--config", 'profile.wasm-release.inherits="release"',
  "--config", "profile.wasm-release.lto=true",
  "--config", "profile.wasm-release.codegen-units=1",
  "--config", "profile.wasm-release.debug=0",
  "--config", `profile.wasm-release.opt-level=${JSON.stringify(process.env.WANGGE_WASM_OPT_LEVEL ?? "s")}`,
];
if (!skipCargo) {
  run("cargo", ["build", "--target", "wasm32-unknown-unknown", "-p", "wangge-wasm", "--profile", "wasm-release", ...profile]);
}
const wasm = join(root, "target/wasm32-unknown-unknown/wasm-release/wangge_wasm.wasm");

// --- 2. wasm-bindgen ---------------------------------------------------------------------------
// The function-name section (≈0.6 MB raw, ≈130 KiB gzipped) only serves stack traces and
// profiles: dropped unless WANGGE_WASM_KEEP_NAMES=1.
const nameArgs = process.env.WANGGE_WASM_KEEP_NAMES === "1" ? [] : ["--remove-name-section"];
// A panic throws a WanggeError and schedules a fresh instance (bindings/wasm/src/panic.rs).
// wasm-bindgen 0.2.130's glue replaces the instance lazily, in the guard of the *next* export
// call, and that guard runs after the call's prelude: the stale-object check has already passed
// and string/array arguments have already been copied into the old instance's memory, so the
// first call after a panic hands old pointers to the new instance (`City.fromBytes(bytes)`
// fails with "memory access out of bounds"; a method of an old object reads the new instance's
// memory). And `free()` never checks for a stale object, so freeing an object made before the
// reset frees an unrelated block of the new instance. Two patches, each required to apply:
//   1. the import that throws the panic's error replaces the instance first (eagerly), so by the
//      time the caller sees the error, the glue already points at the fresh instance and every
//      old object is stale; the Wasm frames left behind are abandoned by the throw, and the only
//      glue code still to run (a `finally` freeing a returned string) passes length 0, a no-op;
//   2. `free()` of a stale object only detaches it (its memory went with the old instance).
function patchReinit(file) {
  let js = readFileSync(file, "utf8");
  const need = (ok, what) => {
    if (!ok) {
      throw new Error(`${file}: cannot apply the re-initialisation patch (${what}); the wasm-bindgen ` +
        "glue changed: re-check build.mjs patchReinit and bindings/wasm/src/panic.rs");
    }
  };
  need(/function __wbg_reset_state\b/.test(js) && /let __wbg_reinit_scheduled\b/.test(js), "no reinit machinery");
  let thrown = 0;
  js = js.replace(/(__wbg___wbindgen_rethrow_[0-9a-f]+: function\(arg0\) \{\n)([ \t]*)throw arg0;/g, (_, head, indent) => {
    thrown++;
    return `${head}${indent}if (__wbg_reinit_scheduled) __wbg_reset_state(); // wangge: see build.mjs patchReinit\n${indent}throw arg0;`;
  });
  need(thrown === 1, `${thrown} rethrow imports`);
  const classes = (js.match(/\n {4}__destroy_into_raw\(\) \{/g) ?? []).length;
  let freed = 0;
  js = js.replace(/(\n {4}free\(\) \{\n)([ \t]*)(const ptr = this\.__destroy_into_raw\(\);)/g, (_, head, indent, rest) => {
    freed++;
    return `${head}${indent}if (this.__wbg_inst !== undefined && this.__wbg_inst !== __wbg_instance_id) { // wangge: see build.mjs patchReinit\n` +
      `${indent}    this.__destroy_into_raw();\n${indent}    return;\n${indent}}\n${indent}${rest}`;
  });
  need(classes > 0 && freed === classes, `${freed} free() of ${classes} classes`);
  writeFileSync(file, js);
}

for (const [target, dir, type] of [["web", "pkg/web", "module"], ["nodejs", "pkg/node", "commonjs"]]) {
  const out = join(here, dir);
  rmSync(out, { recursive: true, force: true });
  run("wasm-bindgen", ["--target", target, "--out-dir", out, ...nameArgs, wasm]);
  patchReinit(join(out, "wangge_wasm.js"));
  // The package is "type": "module"; the Node build is CommonJS.
  writeFileSync(join(out, "package.json"), JSON.stringify({ type }, null, 2) + "\n");
}
const bg = readFileSync(join(here, "pkg/web/wangge_wasm_bg.wasm"));
const size = { wasmBytes: bg.length, gzipBytes: gzipSync(bg, { level: 9 }).length };

// --- 3. data from the CLI -----------------------------------------------------------------------
run("cargo", ["build", "--release", "-p", "wangge-cli"]);
const wangge = join(root, "target/release/wangge");
const data = join(build, "data");
rmSync(build, { recursive: true, force: true });
mkdirSync(data, { recursive: true });
run(wangge, ["build", "--city", "data/wuhan.toml", "-o", join(data, "wuhan.wgg")]);
copyFileSync(join(root, "data/wuhan.toml"), join(data, "wuhan.toml"));
mkdirSync(join(data, "wuhan"), { recursive: true });
copyFileSync(join(root, "data/wuhan/departments.toml"), join(data, "wuhan/departments.toml"));

const conformance = join(build, "conformance");
mkdirSync(conformance, { recursive: true });
for (const file of readdirSync(join(root, "tests/conformance")).filter((f) => f.endsWith(".json")).sort()) {
  const doc = JSON.parse(readFileSync(join(root, "tests/conformance", file), "utf8"));
  const name = file.replace(/\.json$/, "");
  run(wangge, ["build", "--city", doc.manifest, "-o", join(conformance, `${name}.wgg`)]);
  run(wangge, ["export", "--city", join(conformance, `${name}.wgg`), "--out-dir", join(conformance, name), "--crs", "wgs84"]);
}

// The demo test's point: the first grid-level case of the Wuhan conformance file (an interior
// point ≥ 2 m from every border, in GCJ-02). Its grid and department come from the CLI.
const wuhanCases = JSON.parse(readFileSync(join(root, "tests/conformance/wuhan.json"), "utf8")).cases;
const target = wuhanCases.find((c) => c.expect && c.expect.length === 4);
const category = "0103";
const expect = join(build, "expect");
mkdirSync(expect, { recursive: true });
writeFileSync(join(expect, "report.csv"), `lon,lat,category\n${target.lon},${target.lat},${category}\n`);
run(wangge, ["locate", "--city", join(data, "wuhan.wgg"), "--points", join(expect, "report.csv"),
  "--points-crs", "gcj02", "--out", join(expect, "located.csv")]);
run(wangge, ["dispatch", "--city", "data/wuhan.toml", "--reports", join(expect, "report.csv"),
  "--points-crs", "gcj02", "--out", join(expect, "dispatched.csv")]);
const located = parseCsv(readFileSync(join(expect, "located.csv"), "utf8"))[0];
const dispatched = parseCsv(readFileSync(join(expect, "dispatched.csv"), "utf8"))[0];
const demoExpect = {
  gcj02: [target.lon, target.lat],
  category,
  grid: located.grid,
  community: located.community,
  street: located.street,
  district: located.district,
  department: dispatched.department,
  departmentName: dispatched.department_name,
  source: "wangge locate / wangge dispatch (CLI, host build) at build time",
};
if (!demoExpect.grid || !demoExpect.department) throw new Error(`incomplete CLI answers: ${JSON.stringify(demoExpect)}`);
writeFileSync(join(expect, "demo.json"), JSON.stringify(demoExpect, null, 2) + "\n");

// Random report points (seeded, GCJ-02) over 江汉区 and its surroundings, with the CLI's owners:
// the Node suite checks that locateMany gives the same owner for every one.
let seed = 0x2545f491;
const rand = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
const rows = ["lon,lat"];
for (let i = 0; i < 20000; i++) rows.push(`${114.19 + rand() * 0.12},${30.55 + rand() * 0.12}`);
writeFileSync(join(expect, "random.csv"), rows.join("\n") + "\n");
run(wangge, ["locate", "--city", join(data, "wuhan.wgg"), "--points", join(expect, "random.csv"),
  "--points-crs", "gcj02", "--out", join(expect, "random_located.csv")]);

// --- 4. vendor files for the demo ----------------------------------------------------------------
const vendor = join(build, "vendor");
mkdirSync(vendor, { recursive: true });
for (const f of ["maplibre-gl.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css"]) {
  copyFileSync(join(here, "node_modules/maplibre-gl/dist", f), join(vendor, f));
}
const esbuild = await import("esbuild");
await esbuild.build({
  entryPoints: [join(here, "demo/peers.js")],
  bundle: true,
  format: "esm",
  minify: true,
  outfile: join(vendor, "peers.mjs"),
  logLevel: "warning",
});

writeFileSync(join(build, "size.json"), JSON.stringify(size, null, 2) + "\n");
console.log(`wasm size: ${size.wasmBytes} bytes, ${(size.gzipBytes / 1024).toFixed(1)} KiB gzipped (${size.gzipBytes} bytes)`);
