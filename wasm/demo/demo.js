// The offline demo: the bundled Wuhan city in MapLibre GL JS with a blank style (no tile
// server, no network), wangge in WebAssembly answering clicks. Served from wasm/ by
// tools/serve.mjs; needs `node build.mjs` first (pkg/web, build/data, build/vendor).
import * as maplibregl from "../build/vendor/maplibre-gl.mjs";
import init, { City, Dispatcher, Planner, gcj02ToWgs84, wgs84ToGcj02, version } from "../pkg/web/wangge_wasm.js";
import { runBenchmark } from "./bench.js";

const $ = (id) => document.getElementById(id);
const status = $("status");
const fetchText = async (url) => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
};

await init();
const t0 = performance.now();
const snapshot = new Uint8Array(await (await fetch("../build/data/wuhan.wgg")).arrayBuffer());
let city = City.fromBytes(snapshot);
const manifest = await fetchText("../build/data/wuhan.toml");
const dispatcher = Dispatcher.fromManifest(city, manifest, {
  "wuhan/departments.toml": await fetchText("../build/data/wuhan/departments.toml"),
});
// The planner's versions of the city: previews of an edit, commits, the current city.
const planner = new Planner(city);
const loadMs = performance.now() - t0;

// One GeoJSON source per level, from the city itself (WGS84).
const levels = city.levels;
const byCode = new Map();
const levelSources = () => levels.map((level) => {
  const fc = city.regionsGeoJSON(level);
  for (const f of fc.features) byCode.set(f.properties.code, f);
  return fc;
});
const sources = levelSources();

const map = new maplibregl.Map({
  container: "map",
  style: {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }],
  },
  center: [114.262, 30.6],
  zoom: 11.5,
  attributionControl: false,
  fadeDuration: 0,
});
const LINE = {
  district: { color: "#444", width: 1.6 },
  street: { color: "#2e7d32", width: 1.3 },
  community: { color: "#1565c0", width: 0.9 },
  grid: { color: "#999", width: 0.4, minzoom: 13 },
};
await new Promise((ok) => map.on("load", ok));
levels.forEach((level, i) => {
  map.addSource(level, { type: "geojson", data: sources[i] });
  if (i === 0) {
    map.addLayer({ id: `${level}-fill`, type: "fill", source: level, paint: { "fill-color": "#fffdf7", "fill-opacity": 0.9 } });
  }
  const style = LINE[level] ?? { color: "#777", width: 0.6 };
  map.addLayer({
    id: `${level}-line`, type: "line", source: level, minzoom: style.minzoom ?? 0,
    paint: { "line-color": style.color, "line-width": style.width },
  });
});
map.addSource("selected", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
map.addLayer({ id: "selected-fill", type: "fill", source: "selected", paint: { "fill-color": "#ffb300", "fill-opacity": 0.45 } }, `${levels[0]}-line`);
map.addLayer({ id: "selected-line", type: "line", source: "selected", paint: { "line-color": "#e65100", "line-width": 2.5 } });
// A preview's changes: added grids green, retired ones dashed red, findings purple.
map.addSource("preview", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
// Only unit grids: the ancestors of an edited grid are "changed" too (a stitched vertex).
const gridLevel = ["==", ["get", "level"], levels.at(-1)];
map.addLayer({ id: "preview-added", type: "fill", source: "preview", filter: ["all", gridLevel, ["==", ["get", "change"], "added"]],
  paint: { "fill-color": "#43a047", "fill-opacity": 0.35 } });
map.addLayer({ id: "preview-line", type: "line", source: "preview", filter: ["all", gridLevel, ["has", "change"]],
  paint: { "line-color": ["match", ["get", "change"], "removed", "#c62828", "#1b5e20"], "line-width": 2,
    "line-dasharray": ["match", ["get", "change"], "removed", ["literal", [2, 2]], ["literal", [1, 0]]] } });
map.addLayer({ id: "preview-findings", type: "line", source: "preview", filter: ["has", "kind"],
  paint: { "line-color": "#6a1b9a", "line-width": 3 } });

let markers = [];
const clearMarkers = () => { markers.forEach((m) => m.remove()); markers = []; };
const el = (tag, { dataset = {}, ...props } = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  Object.assign(e.dataset, dataset);
  e.append(...children);
  return e;
};
const fmt = (x) => x.toFixed(6);

/** Locates and dispatches a WGS84 point; fills the panel and the map. */
function showPoint(lng, lat) {
  const category = $("category").value;
  const hit = city.locate(lng, lat);
  const r = dispatcher.dispatch(lng, lat, category, { workers: 3 });
  const [gx, gy] = wgs84ToGcj02(lng, lat);
  $("result").hidden = false;
  $("point").textContent = `WGS84 ${fmt(lng)}, ${fmt(lat)} · GCJ-02 ${fmt(gx)}, ${fmt(gy)}`;
  $("chain").replaceChildren(...(hit ? hit.chain : []).map((reg) =>
    el("li", { dataset: { level: reg.levelName } }, `${reg.levelName} `, el("code", {}, reg.code), ` ${reg.name}`)));
  if (!hit) $("chain").replaceChildren(el("li", { dataset: { level: "none" } }, "no owner: outside every region"));
  const [first, ...rest] = r.departments;
  $("department").replaceChildren(...(first
    ? [el("code", {}, first.code), ` ${first.name} `, el("small", {}, `(${first.reason.rule}${first.reason.prefix ? ` ${first.reason.prefix}` : ""})`)]
    : ["none"]));
  $("department").dataset.category = r.category;
  const rule = (d) => (d.reason.primary === false ? "alternate" : d.reason.rule);
  $("alternates").replaceChildren(...rest.map((d) => el("li", {}, el("code", {}, d.code), ` ${d.name} (${rule(d)})`)));
  clearMarkers();
  const positions = new Map(dispatcher.resources().map((w) => [w.id, w]));
  $("workers").replaceChildren(...r.workers.map((w) => {
    const pos = positions.get(w.id);
    const label = `${w.id} ${w.distanceM.toFixed(0)} m`;
    markers.push(new maplibregl.Marker({ element: el("div", { className: "worker" }, label) }).setLngLat([pos.lng, pos.lat]).addTo(map));
    return el("li", { dataset: { id: w.id } }, el("code", {}, w.id), ` ${w.distanceM.toFixed(1)} m${w.sameGrid ? " (this grid)" : ""}`);
  }));
  markers.push(new maplibregl.Marker({ element: el("div", { className: "report" }) }).setLngLat([lng, lat]).addTo(map));
  const leaf = hit ? byCode.get(hit.chain.at(-1).code) : null;
  map.getSource("selected").setData({ type: "FeatureCollection", features: leaf ? [leaf] : [] });
  selected = hit && hit.chain.length === levels.length ? { lng, lat, code: hit.chain.at(-1).code } : null;
  $("split-btn").disabled = !selected;
  return { hit, dispatch: r };
}

// --- "split this grid": preview an east–west split through the clicked point, then commit ---
let selected = null;   // {lng, lat, code} of the last click on a grid
let preview = null;    // the pending Preview
let lastEdits = null;  // its edit set, as sent to the planner
const clearPreview = () => {
  preview?.free();
  preview = null;
  $("split-out").hidden = true;
  map.getSource("preview").setData({ type: "FeatureCollection", features: [] });
};

/** The edit set that splits `code` along the parallel through `lat`, from just west of the
 *  grid to just east of it. */
function splitEdits(code, lat) {
  const xs = byCode.get(code).geometry.coordinates.flat(2).map((p) => p[0]);
  const pad = 0.0005;
  return [{ op: "split", grid: code, line: [[Math.min(...xs) - pad, lat], [Math.max(...xs) + pad, lat]] }];
}

function previewSplit() {
  if (!selected) return null;
  clearPreview();
  lastEdits = splitEdits(selected.code, selected.lat);
  $("split-out").hidden = false;
  try {
    preview = planner.preview(lastEdits);
  } catch (e) {
    $("split-status").dataset.valid = "false";
    $("split-status").textContent = `cannot split: ${e.message}`;
    $("split-created").replaceChildren();
    $("split-findings").replaceChildren();
    $("split-commit").hidden = true;
    return null;
  }
  const { valid } = preview;
  const codes = preview.codes;
  const report = preview.report();
  $("split-status").dataset.valid = String(valid);
  $("split-status").textContent = valid
    ? `valid: ${codes.retired.join(", ")} → ${codes.created.length} grids` + (report.warnings ? ` (${report.warnings} warnings)` : "")
    : `invalid (${report.errors} errors): ${report.findings[0]?.message ?? ""}`;
  $("split-created").replaceChildren(...codes.created.map((c) => el("li", { dataset: { code: c } }, el("code", {}, c))));
  $("split-findings").replaceChildren(...report.findings.map((f) =>
    el("li", { dataset: { kind: f.kind, severity: f.severity } }, `${f.severity} ${f.kind}: ${f.message}`)));
  $("split-commit").hidden = !valid;
  map.getSource("preview").setData(preview.changesGeoJSON());
  return { valid, codes, edits: lastEdits };
}

function commitSplit() {
  if (!preview) return null;
  const number = planner.commit(preview, `split ${selected.code} (demo)`);
  const point = selected;
  clearPreview();
  city.free();
  city = planner.city();
  // The dispatcher keeps its departments, assets and live workers (and the city it was built
  // with, for its own chains); the panel's chain and the map come from the new version.
  byCode.clear();
  levelSources().forEach((fc, i) => map.getSource(levels[i]).setData(fc));
  $("version").textContent = `version ${number}`;
  showPoint(point.lng, point.lat);
  return number;
}

$("split-btn").addEventListener("click", previewSplit);
$("split-commit").addEventListener("click", commitSplit);
$("split-discard").addEventListener("click", clearPreview);

map.on("click", (e) => showPoint(e.lngLat.lng, e.lngLat.lat));
$("gcj-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const [x, y] = $("gcj").value.split(/[\s,，]+/).filter(Boolean).map(Number);
  if (!Number.isFinite(x) || !Number.isFinite(y)) {
    status.textContent = "enter a GCJ-02 point as: lng, lat";
    return;
  }
  const [lng, lat] = gcj02ToWgs84(x, y);
  map.jumpTo({ center: [lng, lat], zoom: Math.max(map.getZoom(), 16) });
  showPoint(lng, lat);
});
$("bench-run").addEventListener("click", async () => {
  $("bench-out").textContent = "running…";
  await new Promise((ok) => setTimeout(ok, 20));
  const peers = $("bench-peers").checked ? await import("../build/vendor/peers.mjs") : null;
  const r = await runBenchmark(city, { peers });
  const lines = [`locateMany: ${r.n.toLocaleString()} points in ${r.wangge.ms.toFixed(1)} ms (${r.wangge.mPointsPerS.toFixed(2)} M/s), ${r.owned} owned`];
  if (r.peer) {
    lines.push(`turf + flatbush: ${r.peer.ms.toFixed(1)} ms (${r.peer.mPointsPerS.toFixed(2)} M/s), index ${r.peer.buildMs.toFixed(0)} ms`);
    lines.push(`wangge ${r.speedup.toFixed(1)}× faster; same owner for ${r.peer.agree} of ${r.n}`);
  }
  $("bench-out").textContent = lines.join("\n");
});

status.textContent = `wangge ${version()}: ${city.regionCount} regions on ${levels.length} levels, ` +
  `${dispatcher.assetCount} assets, ${dispatcher.resources().length} workers; loaded in ${loadMs.toFixed(0)} ms`;
map.once("idle", () => {
  window.wanggeDemo = {
    map, planner, showPoint, previewSplit, commitSplit, runBenchmark, gcj02ToWgs84, wgs84ToGcj02,
    get city() { return city; },
    dispatcher,
    get lastEdits() { return lastEdits; },
  };
  document.body.dataset.ready = "true";
});
