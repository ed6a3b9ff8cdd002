// The in-browser benchmark: City.locateMany against @turf/boolean-point-in-polygon + flatbush on
// the same random points and the same regions, in the same page and run. Used by the demo's
// panel and by tools/bench.mjs (which records the figures in benches/RESULTS.md).

/** Seeded xorshift-style generator in [0, 1). */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

function bboxOf(geometry) {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of geometry.coordinates) for (const ring of poly) for (const [x, y] of ring) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

/** `n` random WGS84 points in the bounding box of region `code`. */
export function randomPoints(city, code, n, seed = 1) {
  const level = city.region(city.byCode(code)).level;
  const feature = city.regionsGeoJSON(level).features.find((f) => f.properties.code === code);
  const [x0, y0, x1, y1] = bboxOf(feature.geometry);
  const next = rng(seed);
  const lngs = new Float64Array(n), lats = new Float64Array(n);
  for (let i = 0; i < n; i++) { lngs[i] = x0 + next() * (x1 - x0); lats[i] = y0 + next() * (y1 - y0); }
  return { lngs, lats };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The peer: a flatbush index over every region's bbox, candidates tested with turf; the owner
 *  is the deepest level's hit, lowest id (= lowest code) among equals, as wangge ranks them. */
export function buildPeer(city, peers) {
  const { Flatbush, booleanPointInPolygon } = peers;
  const features = [];
  city.levels.forEach((level, l) => {
    const fc = city.regionsGeoJSON(l);
    const ids = city.levelIds(l);
    fc.features.forEach((f, i) => features.push({ f, id: ids[i], level: l }));
  });
  const index = new Flatbush(features.length);
  for (const { f } of features) index.add(...bboxOf(f.geometry));
  index.finish();
  const byRank = (a, b) => features[b].level - features[a].level || features[a].id - features[b].id;
  const locate = (lngs, lats) => {
    const out = new Int32Array(lngs.length);
    const pt = [0, 0];
    for (let i = 0; i < lngs.length; i++) {
      pt[0] = lngs[i]; pt[1] = lats[i];
      // Candidates deepest level first, lowest id first: the first that contains the point
      // is the owner, so the big district outlines are only tested in gaps.
      const candidates = index.search(pt[0], pt[1], pt[0], pt[1]).sort(byRank);
      let best = -1;
      for (const k of candidates) {
        if (booleanPointInPolygon(pt, features[k].f)) { best = features[k].id; break; }
      }
      out[i] = best;
    }
    return out;
  };
  return { locate, regions: features.length };
}

/** Runs the benchmark; resolves to a plain object of figures. */
export async function runBenchmark(city, { n = 1_000_000, peers = null, reps = 3, code = "420103", seed = 1 } = {}) {
  const { lngs, lats } = randomPoints(city, code, n, seed);
  const result = { n, area: code, userAgent: navigator.userAgent, reps };
  city.locateMany(lngs.subarray(0, 10000), lats.subarray(0, 10000)); // warm-up
  const times = [];
  let ids;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    ids = city.locateMany(lngs, lats);
    times.push(performance.now() - t0);
  }
  result.wangge = { ms: median(times), times, mPointsPerS: n / median(times) / 1000 };
  result.owned = ids.reduce((s, id) => s + (id !== -1), 0);
  if (peers) {
    const t0 = performance.now();
    const peer = buildPeer(city, peers);
    const buildMs = performance.now() - t0;
    peer.locate(lngs.subarray(0, 10000), lats.subarray(0, 10000)); // warm-up
    const ptimes = [];
    let pids;
    for (let r = 0; r < reps; r++) {
      const t1 = performance.now();
      pids = peer.locate(lngs, lats);
      ptimes.push(performance.now() - t1);
    }
    let agree = 0;
    for (let i = 0; i < n; i++) agree += pids[i] === ids[i];
    result.peer = {
      name: "@turf/boolean-point-in-polygon + flatbush",
      buildMs, ms: median(ptimes), times: ptimes, mPointsPerS: n / median(ptimes) / 1000,
      regions: peer.regions, agree,
    };
    result.speedup = result.peer.ms / result.wangge.ms;
  }
  return result;
}
