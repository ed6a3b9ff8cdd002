// The Node peers of the comparison (run by benches/peers/run with benches/peers/node_modules).
//
// Point -> owner: flatbush over the polygons' bounding boxes gives candidates, then
// @turf/boolean-point-in-polygon (ignoreBoundary: true, like shapely's `within`) tests them; the
// owner is the smallest index that contains the point. Nearest: kdbush + geokdbush `around`
// (great-circle, spherical). Reads the same binary files as every other contender; timings
// cover index builds and queries only. Writes node.json and the answers into --out.
//
//   node benches/peers/node/peers.mjs --data DIR --out DIR [--reps N] [--knn-queries N]

import fs from 'node:fs';
import path from 'node:path';
import Flatbush from 'flatbush';
import KDBush from 'kdbush';
import { around, distance } from 'geokdbush';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';

const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (i % 2 === 0 ? [...acc, [a.replace(/^--/, ''), all[i + 1]]] : acc), [])
);
const data = args.data;
const out = args.out;
const reps = Number(args.reps ?? 3);
const knnQueriesMax = Number(args['knn-queries'] ?? Infinity);
const only = args.only;
fs.mkdirSync(out, { recursive: true });

const records = [];
function record(contender, task, n, secs, note, extra = {}) {
    records.push({ contender, task, n, secs, note, ...extra });
    const med = [...secs].sort((a, b) => a - b)[Math.floor(secs.length / 2)];
    console.log(`${contender.padEnd(24)} ${task.padEnd(32)} n=${String(n).padStart(9)} median ${med.toFixed(4).padStart(9)} s  ${(n / med / 1e6).toFixed(3).padStart(8)} M/s`);
    fs.writeFileSync(path.join(out, 'node.json'), JSON.stringify(records, null, 1));
}

function timed(n, f) {
    const secs = [];
    let result;
    for (let r = 0; r < n; r++) {
        const t = process.hrtime.bigint();
        result = f();
        secs.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    return [secs, result];
}

function readF64(name) {
    const b = fs.readFileSync(path.join(data, name));
    return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
function readU32(name) {
    const b = fs.readFileSync(path.join(data, name));
    return new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
function writeTyped(name, arr) {
    fs.writeFileSync(path.join(out, name), Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
}

function locate(part, file, lon, lat) {
    const fc = JSON.parse(fs.readFileSync(path.join(data, file), 'utf8'));
    const features = fc.features;
    const n = lon.length;
    const [bsecs, index] = timed(1, () => {
        const idx = new Flatbush(features.length);
        for (const f of features) {
            let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
            for (const poly of f.geometry.coordinates) {
                for (const [x, y] of poly[0]) {
                    if (x < x0) x0 = x;
                    if (y < y0) y0 = y;
                    if (x > x1) x1 = x;
                    if (y > y1) y1 = y;
                }
            }
            f.bbox = [x0, y0, x1, y1];
            idx.add(x0, y0, x1, y1);
        }
        idx.finish();
        return idx;
    });
    record('turf_flatbush', `${part}_build`, features.length, bsecs, 'Flatbush over polygon bboxes (+ bbox per feature)');
    const run = (order) => {
        const owners = new Int32Array(n).fill(-1);
        let multi = 0;
        const pt = [0, 0];
        for (let k = 0; k < n; k++) {
            const i = order ? order[k] : k;
            pt[0] = lon[i];
            pt[1] = lat[i];
            let best = -1;
            let hits = 0;
            for (const c of index.search(pt[0], pt[1], pt[0], pt[1])) {
                if (booleanPointInPolygon(pt, features[c], { ignoreBoundary: true })) {
                    hits++;
                    if (best < 0 || c < best) best = c;
                }
            }
            if (hits > 1) multi++;
            owners[i] = best;
        }
        return [owners, multi];
    };
    run(null); // warm-up (JIT)
    const [secs, [owners, multi]] = timed(reps, () => run(null));
    record('turf_flatbush', `${part}_locate_random`, n, secs,
        'Flatbush.search + booleanPointInPolygon(ignoreBoundary) on candidates', { multi_hits: multi });
    writeTyped(`turf_flatbush_${part}.i32`, owners);
    const order = readU32('points_hilbert.u32');
    const [ssecs] = timed(reps, () => run(order));
    record('turf_flatbush', `${part}_locate_sorted`, n, ssecs, 'same, points in Hilbert order');
}

function nearest() {
    const alon = readF64('assets_lon.f64');
    const alat = readF64('assets_lat.f64');
    const qlon = readF64('queries_lon.f64');
    const qlat = readF64('queries_lat.f64');
    const na = alon.length;
    const nq = Math.min(qlon.length, knnQueriesMax);
    const [bsecs, index] = timed(3, () => {
        const idx = new KDBush(na);
        for (let i = 0; i < na; i++) idx.add(alon[i], alat[i]);
        idx.finish();
        return idx;
    });
    record('kdbush_geokdbush', 'knn_build', na, bsecs, 'KDBush (lon/lat)');
    for (const k of [1, 8]) {
        const run = () => {
            const ids = new Int32Array(nq * k).fill(-1);
            for (let q = 0; q < nq; q++) {
                const found = around(index, qlon[q], qlat[q], k);
                for (let j = 0; j < found.length; j++) ids[q * k + j] = found[j];
            }
            return ids;
        };
        run(); // warm-up (JIT)
        const [secs, ids] = timed(reps, run);
        let note = `geokdbush.around(k=${k}), great-circle`;
        if (nq < qlon.length) note += `: first ${nq} of the ${qlon.length} queries`;
        record('kdbush_geokdbush', `knn${k}`, nq, secs, note);
        writeTyped(`kdbush_geokdbush_knn${k}_idx.i32`, ids);
        // geokdbush's own great-circle distances (km on a 6371 km sphere) -> central angle.
        const theta = new Float64Array(nq * k).fill(NaN);
        for (let q = 0; q < nq; q++) {
            for (let j = 0; j < k; j++) {
                const a = ids[q * k + j];
                if (a >= 0) theta[q * k + j] = distance(qlon[q], qlat[q], alon[a], alat[a]) / 6371;
            }
        }
        writeTyped(`kdbush_geokdbush_knn${k}_theta.f64`, theta);
    }
}

if (!only || only === 'locate') {
    const lon = readF64('points_lon.f64');
    const lat = readF64('points_lat.f64');
    locate('central', 'central_grids.geojson', lon, lat);
    locate('voronoi', 'voronoi.geojson', lon, lat);
}
if (!only || only === 'nearest') nearest();
