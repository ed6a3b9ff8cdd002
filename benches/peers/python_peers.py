"""The Python peers of the comparison (run by benches/peers/run, in its own venv).

Reads the data files written by `peers gen`, times each peer's index build and query phase
separately (file reading and shapely/pandas object construction are timed apart and not counted
as queries), and writes the answers as raw little-endian arrays beside a JSON list of timings.

Point -> owner: shapely STRtree.query(points, predicate="within") and geopandas
sjoin(predicate="within") on each partition's polygons (the leaf level only: neither has a
hierarchy). Nearest: scipy cKDTree over unit XYZ (chord distance, spherical), scikit-learn
BallTree(metric="haversine") (spherical), geopandas sjoin_nearest in UTM 50N (planar, k=1).

Single thread: the run script sets OMP/OPENBLAS/MKL_NUM_THREADS=1; cKDTree gets workers=1
(and workers=-1 once, reported separately).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np


def timed(reps, f):
    secs, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        secs.append(time.perf_counter() - t)
    return secs, out


class Recorder:
    def __init__(self, path: Path):
        self.path = path
        self.records = []

    def add(self, contender, task, n, secs, note=""):
        self.records.append(
            {"contender": contender, "task": task, "n": int(n), "secs": list(secs), "note": note}
        )
        med = sorted(secs)[len(secs) // 2]
        print(
            f"{contender:24} {task:32} n={n:>9} median {med:9.4f} s  {n / med / 1e6:8.3f} M/s",
            flush=True,
        )
        self.path.write_text(json.dumps(self.records, indent=1))


def load_f64(data: Path, name: str) -> np.ndarray:
    return np.fromfile(data / name, dtype="<f8")


def load_polygons(path: Path):
    import shapely.geometry

    with open(path) as f:
        fc = json.load(f)
    polys = [shapely.geometry.shape(feat["geometry"]) for feat in fc["features"]]
    assert all(feat["properties"]["i"] == i for i, feat in enumerate(fc["features"]))
    return np.array(polys, dtype=object)


def owners_from_pairs(n: int, point_idx: np.ndarray, poly_idx: np.ndarray):
    """Per point: the smallest polygon index that contains it (-1: none), and how many points
    were inside more than one polygon."""
    out = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
    np.minimum.at(out, point_idx, poly_idx)
    out[out == np.iinfo(np.int32).max] = -1
    counts = np.bincount(point_idx, minlength=n)
    return out.astype(np.int32), int((counts > 1).sum())


def locate_peers(args, rec: Recorder, out: Path, meta: dict):
    import geopandas as gpd
    import shapely
    from shapely import STRtree

    lon = load_f64(args.data, "points_lon.f64")
    lat = load_f64(args.data, "points_lat.f64")
    order = np.fromfile(args.data / "points_hilbert.u32", dtype="<u4").astype(np.int64)
    n = len(lon)
    secs, pts = timed(1, lambda: shapely.points(lon, lat))
    rec.add("shapely", "make_points", n, secs, "shapely.points(lon, lat): not counted as query")
    pts_sorted = pts[order]
    m = min(args.sjoin_points, n)

    for part, fname in (("central", "central_grids.geojson"), ("voronoi", "voronoi.geojson")):
        t = time.perf_counter()
        polys = load_polygons(args.data / fname)
        print(f"read {fname}: {len(polys)} polygons in {time.perf_counter() - t:.1f} s", flush=True)

        def build():
            tree = STRtree(polys)
            shapely.prepare(polys)
            tree.query(pts[:1], predicate="within")  # forces the tree to be built
            return tree

        def unprepare():
            shapely.destroy_prepared(polys)

        unprepare()
        secs, tree = timed(1, build)
        rec.add("shapely", f"{part}_build", len(polys), secs,
                "STRtree(polygons) + shapely.prepare(polygons)")
        # Warm-up on a few points, then the timed batches.
        tree.query(pts[: min(n, 10_000)], predicate="within")
        secs, pairs = timed(args.reps, lambda: tree.query(pts, predicate="within"))
        rec.add("shapely", f"{part}_locate_random", n, secs,
                'STRtree.query(points, predicate="within"), prepared polygons')
        owners, multi = owners_from_pairs(n, pairs[0], pairs[1])
        owners.tofile(out / f"shapely_{part}.i32")
        rec.records[-1]["multi_hits"] = multi
        secs, _ = timed(args.reps, lambda: tree.query(pts_sorted, predicate="within"))
        rec.add("shapely", f"{part}_locate_sorted", n, secs, "same, points in Hilbert order")

        # geopandas implements sjoin(predicate="within") as the inverse of "contains": it
        # queries the LEFT frame's spatial index (the points) with the polygons. So the build
        # timed here is the points' STRtree (fresh frame each partition), and the sjoin time
        # is the query phase plus the pandas join.
        gpoly = gpd.GeoDataFrame({"i": np.arange(len(polys))}, geometry=gpd.GeoSeries(polys))
        unprepare()
        gpts = gpd.GeoDataFrame(geometry=gpd.GeoSeries(pts[:m]))
        secs, _ = timed(1, lambda: gpts.sindex)
        rec.add("geopandas", f"{part}_build", m, secs,
                "points GeoDataFrame.sindex (STRtree over the points, which sjoin(within) "
                "queries with the polygons and predicate contains)")
        secs, joined = timed(
            args.sjoin_reps, lambda: gpd.sjoin(gpts, gpoly, predicate="within", how="inner")
        )
        note = 'sjoin(points, polygons, predicate="within", how="inner")'
        if m < n:
            note += f": on the first {m} of the {n} points"
        rec.add("geopandas", f"{part}_locate_random", m, secs, note)
        owners, multi = owners_from_pairs(
            m, joined.index.to_numpy(), joined["i"].to_numpy().astype(np.int64)
        )
        owners.tofile(out / f"geopandas_{part}.i32")
        rec.records[-1]["multi_hits"] = multi
        del gpoly, tree, polys, pairs, joined


def unit_xyz(lon, lat):
    lo, la = np.radians(lon), np.radians(lat)
    c = np.cos(la)
    return np.column_stack((c * np.cos(lo), c * np.sin(lo), np.sin(la)))


def nearest_peers(args, rec: Recorder, out: Path):
    import geopandas as gpd
    from scipy.spatial import cKDTree
    from sklearn.neighbors import BallTree

    alon, alat = load_f64(args.data, "assets_lon.f64"), load_f64(args.data, "assets_lat.f64")
    qlon, qlat = load_f64(args.data, "queries_lon.f64"), load_f64(args.data, "queries_lat.f64")
    na, nq = len(alon), len(qlon)

    secs, tree = timed(
        3, lambda: cKDTree(unit_xyz(alon, alat), leafsize=16, balanced_tree=False)
    )
    rec.add("scipy_ckdtree", "knn_build", na, secs,
            "unit XYZ conversion + cKDTree(leafsize=16, balanced_tree=False)")
    for k in (1, 8):
        for workers, suffix in ((1, ""), (-1, "_parallel")):
            secs, (d, i) = timed(
                args.reps, lambda: tree.query(unit_xyz(qlon, qlat), k=k, workers=workers)
            )
            rec.add("scipy_ckdtree", f"knn{k}{suffix}", nq, secs,
                    f"unit XYZ conversion + cKDTree.query(k={k}, workers={workers})")
        i = np.asarray(i).reshape(nq, k).astype(np.int32)
        # Chord length on the unit sphere -> central angle (radians).
        theta = 2.0 * np.arcsin(np.clip(np.asarray(d).reshape(nq, k) / 2.0, 0.0, 1.0))
        i.tofile(out / f"scipy_ckdtree_knn{k}_idx.i32")
        theta.tofile(out / f"scipy_ckdtree_knn{k}_theta.f64")

    secs, ball = timed(1, lambda: BallTree(np.radians(np.column_stack((alat, alon))),
                                           metric="haversine"))
    rec.add("sklearn_balltree", "knn_build", na, secs, 'BallTree(metric="haversine")')
    mq = min(args.balltree_queries, nq)
    q = np.radians(np.column_stack((qlat[:mq], qlon[:mq])))
    for k in (1, 8):
        secs, (d, i) = timed(max(1, args.reps // 2), lambda: ball.query(q, k=k))
        note = f"BallTree.query(k={k}), haversine"
        if mq < nq:
            note += f": first {mq} of the {nq} queries"
        rec.add("sklearn_balltree", f"knn{k}", mq, secs, note)
        np.asarray(i, dtype=np.int32).tofile(out / f"sklearn_balltree_knn{k}_idx.i32")
        np.asarray(d, dtype=np.float64).tofile(out / f"sklearn_balltree_knn{k}_theta.f64")

    # geopandas sjoin_nearest needs a projected CRS: UTM zone 50N (projection not timed).
    assets = gpd.GeoDataFrame({"a": np.arange(na)},
                              geometry=gpd.points_from_xy(alon, alat), crs="EPSG:4326")
    queries = gpd.GeoDataFrame(geometry=gpd.points_from_xy(qlon, qlat), crs="EPSG:4326")
    assets, queries = assets.to_crs("EPSG:32650"), queries.to_crs("EPSG:32650")
    secs, _ = timed(1, lambda: assets.sindex)
    rec.add("geopandas", "knn_build", na, secs, "GeoDataFrame.sindex (STRtree) in UTM 50N")
    secs, joined = timed(max(1, args.reps // 2),
                         lambda: gpd.sjoin_nearest(queries, assets, how="left"))
    rec.add("geopandas", "knn1", nq, secs, "sjoin_nearest(queries, assets) in UTM 50N, planar")
    first = joined[~joined.index.duplicated(keep="first")]
    first["a"].to_numpy().astype(np.int32).tofile(out / "geopandas_knn1_idx.i32")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sjoin-reps", type=int, default=1)
    ap.add_argument("--sjoin-points", type=int, default=10**12)
    ap.add_argument("--balltree-queries", type=int, default=10**12)
    ap.add_argument("--only", choices=["locate", "nearest"], default=None)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    meta = json.loads((args.data / "meta.json").read_text())
    rec = Recorder(args.out / "python.json")
    if args.only in (None, "locate"):
        locate_peers(args, rec, args.out, meta)
    if args.only in (None, "nearest"):
        nearest_peers(args, rec, args.out)


if __name__ == "__main__":
    sys.exit(main())
