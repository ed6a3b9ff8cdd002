"""Checks that wangge and the peers agree, and writes the peers section of benches/RESULTS.md.

Run by benches/peers/run (in target/peers-venv). Reads the timings (wangge.json, python.json,
node.json) and answers written into --out, and machine.json. Prints the report; with --results
it replaces the text between <!-- peers:begin --> and <!-- peers:end --> in that file (adding
the markers at the end when missing) and leaves the rest of the file alone.

Agreement rules
- Owners: shapely `within` and turf with ignoreBoundary are false on a polygon's boundary,
  while wangge gives every point exactly one owner, so answers may differ only for points on a
  boundary. Every disagreeing point is checked: its distance to the boundary of the polygons
  involved (wangge's and the peer's) must be <= BOUNDARY_TOL degrees.
- Nearest: wangge is exact geodesic on WGS84; the peers are spherical (central angle theta).
  For every point, M_min*theta <= s <= N_max*theta (M_min, N_max the extreme radii of curvature
  of WGS84), so the j-th smallest geodesic distance lies in [M_min, N_max] * the j-th smallest
  theta: checked for every rank of every query. Identities differ only at near-ties: for each
  query whose neighbour sets differ, the geodesic distances of both sets are computed with
  pyproj (PROJ's implementation of Karney's algorithm, independent of wangge's) and the
  difference is explained when the peer's extra points are no closer than wangge's k-th
  (so wangge's set is the true geodesic k-NN) and lie within N_max/M_min of it (a tie under the
  sphere-vs-ellipsoid change of metric).
"""

from __future__ import annotations

import argparse
import json
import re
from importlib import metadata
from pathlib import Path

import numpy as np

BOUNDARY_TOL = 1e-8  # degrees, about 1 mm; the generator snaps within 1e-9..5e-9 degrees
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
M_MIN = A * (1 - E2)
N_MAX = A / np.sqrt(1 - E2)
BAND = N_MAX / M_MIN


def med(secs):
    s = sorted(secs)
    return s[len(s) // 2]


def load_records(out: Path):
    recs = {}
    for name in ("wangge.json", "python.json", "node.json"):
        p = out / name
        if p.exists():
            for r in json.loads(p.read_text()):
                recs[(r["contender"], r["task"])] = r
    return recs


def i32(p: Path):
    return np.fromfile(p, dtype="<i4")


def f64(p: Path):
    return np.fromfile(p, dtype="<f8")


# --------------------------------------------------------------------------------------------
# Agreement


class Polygons:
    """Features of a GeoJSON file, turned into shapely geometries on demand."""

    def __init__(self, path: Path):
        self.features = json.loads(path.read_text())["features"]
        self.cache = {}

    def boundary(self, i: int):
        import shapely.geometry

        if i not in self.cache:
            self.cache[i] = shapely.geometry.shape(self.features[i]["geometry"]).boundary
        return self.cache[i]


def check_owners(data: Path, out: Path, recs):
    import shapely

    rows = []
    for part, fname in (("central", "central_grids.geojson"), ("voronoi", "voronoi.geojson")):
        w = i32(out / f"wangge_{part}.i32")
        lon = f64(data / "points_lon.f64")
        lat = f64(data / "points_lat.f64")
        polys = Polygons(data / fname)
        for peer in ("shapely", "geopandas", "turf_flatbush"):
            p_path = out / f"{peer}_{part}.i32"
            if not p_path.exists():
                continue
            p = i32(p_path)
            m = len(p)
            bad = np.nonzero(w[:m] != p)[0]
            explained, worst = 0, 0.0
            for d in bad:
                pt = shapely.Point(lon[d], lat[d])
                dist = min(
                    shapely.distance(pt, polys.boundary(int(c))) for c in (w[d], p[d]) if c >= 0
                )
                worst = max(worst, dist)
                explained += dist <= BOUNDARY_TOL
            rec = recs.get((peer, f"{part}_locate_random"), {})
            rows.append(
                {
                    "partition": part,
                    "peer": peer,
                    "compared": m,
                    "owned_by_peer": int((p >= 0).sum()),
                    "disagree": len(bad),
                    "explained": explained,
                    "worst_deg": worst,
                    "multi": rec.get("multi_hits", 0),
                }
            )
    return rows


def check_nearest(data: Path, out: Path):
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    alon, alat = f64(data / "assets_lon.f64"), f64(data / "assets_lat.f64")
    qlon, qlat = f64(data / "queries_lon.f64"), f64(data / "queries_lat.f64")
    nq = len(qlon)

    def geodesic(q, idx):
        idx = np.asarray(idx)
        _, _, s = geod.inv(np.full(len(idx), qlon[q]), np.full(len(idx), qlat[q]),
                           alon[idx], alat[idx])
        return np.asarray(s)

    rows = []
    oracle = {}
    for k in (1, 8):
        widx = i32(out / f"wangge_knn{k}_idx.i32").reshape(nq, k)
        wdist = f64(out / f"wangge_knn{k}_dist.f64").reshape(nq, k)
        # wangge's distances against pyproj's geodesic (an independent implementation).
        sample = np.arange(0, nq, max(1, nq // 20000))
        _, _, s = geod.inv(np.repeat(qlon[sample], k), np.repeat(qlat[sample], k),
                           alon[widx[sample].ravel()], alat[widx[sample].ravel()])
        oracle[k] = (len(sample) * k, float(np.max(np.abs(np.asarray(s) - wdist[sample].ravel()))))
        for peer in ("scipy_ckdtree", "sklearn_balltree", "kdbush_geokdbush", "geopandas"):
            ip = out / f"{peer}_knn{k}_idx.i32"
            if not ip.exists():
                continue
            pidx = i32(ip)
            m = len(pidx) // k
            pidx = pidx.reshape(m, k)
            tp = out / f"{peer}_knn{k}_theta.f64"
            sandwich_bad = None
            if tp.exists():
                theta = f64(tp).reshape(m, k)
                s = wdist[:m]
                lo = M_MIN * theta * (1 - 1e-9) - 1e-6
                hi = N_MAX * theta * (1 + 1e-9) + 1e-6
                sandwich_bad = int(((s < lo) | (s > hi)).sum())
            differ, explained = 0, 0
            for q in range(m):
                ws, ps = set(widx[q].tolist()), set(pidx[q].tolist())
                if ws == ps:
                    continue
                differ += 1
                extra = sorted(ps - ws)
                s_k = wdist[q, -1]
                s_extra = geodesic(q, extra)
                ok = bool(np.all(s_extra >= s_k * (1 - 1e-12)) and np.all(s_extra <= s_k * BAND))
                # wangge's own claims checked by pyproj too.
                s_w = geodesic(q, widx[q])
                ok = ok and bool(np.allclose(s_w, wdist[q], rtol=1e-9, atol=1e-6))
                explained += ok
            rows.append(
                {
                    "k": k,
                    "peer": peer,
                    "compared": m,
                    "differ": differ,
                    "explained": explained,
                    "sandwich_bad": sandwich_bad,
                }
            )
    return rows, oracle


# --------------------------------------------------------------------------------------------
# Report


def short_path(s: str) -> str:
    """`/…/crates/wangge/src/locate/x.rs:12` -> `wangge/src/locate/x.rs:12`; registry crates ->
    `crate-1.2.3/src/x.rs:12`; std -> `std/…`."""
    s = re.sub(r"^.*?/crates/(wangge/src/)", r"\1", s)
    s = re.sub(r"^.*?/registry/src/[^/]+/", "", s)
    s = re.sub(r"^.*?/(?:rustlib/src/rust/)?library/", "std/", s)
    return s


def source_text(out: Path, srcline: str) -> str:
    """The text of a profiled source line: wangge's from the copy of its sources taken at build
    time (target/peers-out/src), other crates' from their (immutable) registry files."""
    m = re.match(r"(.*):(\d+)$", srcline)
    if not m or m.group(2) == "0":
        return ""
    path, line = m.group(1), int(m.group(2))
    w = re.match(r".*/crates/wangge/src/(.*)", path)
    p = out / "src" / w.group(1) if w else Path(path)
    try:
        text = p.read_text().splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return ""
    return (text[:77] + "...") if len(text) > 80 else text.replace("|", "/").replace("`", "'")


def versions():
    v = {}
    for pkg in ("numpy", "scipy", "scikit-learn", "shapely", "geopandas", "pandas", "pyproj"):
        try:
            v[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            v[pkg] = "?"
    import shapely

    v["GEOS"] = shapely.geos_version_string
    nm = Path(__file__).parent / "node_modules"
    for pkg in ("@turf/boolean-point-in-polygon", "flatbush", "kdbush", "geokdbush"):
        p = nm / pkg / "package.json"
        v[pkg] = json.loads(p.read_text())["version"] if p.exists() else "?"
    return v


def fmt_s(x):
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def fmt_rate(n, s):
    r = n / s
    return f"{r / 1e6:.2f} M/s" if r >= 1e5 else f"{r / 1e3:.1f} k/s"


def build_report(data: Path, out: Path, analysis: Path | None):
    recs = load_records(out)
    meta = json.loads((data / "meta.json").read_text())
    mach = json.loads((out / "machine.json").read_text())
    ver = versions()
    L = []
    add = L.append

    def r(c, t):
        return recs.get((c, t))

    def rate(c, t):
        x = r(c, t)
        return x["n"] / med(x["secs"]) if x else None

    def ratio(t_w, c, t):
        a, b = rate("wangge", t_w), rate(c, t)
        return a / b if a and b else None

    add("## Peer comparison (issue 4, item 5)\n")
    add("Generated by `benches/peers/run` (do not edit by hand between the markers, except "
        "`benches/peers/ANALYSIS.md`, which the script includes below). Every number in this "
        "section comes from one run of the command below; ratios are taken within that run.\n")
    add("```sh")
    add(mach["command"])
    add("```")
    dirty = " (with uncommitted changes under crates/)" if mach.get("dirty") else ""
    add(
        f"Run {mach['started']}, wall time {mach['wall_s'] // 60} min {mach['wall_s'] % 60} s; "
        f"code at commit `{mach['commit']}`{dirty}.\n"
    )
    add("| machine | |")
    add("|---|---|")
    add(f"| CPUs (`nproc`) | {mach['nproc']} |")
    add(f"| CPU | {mach['cpu']} |")
    add(f"| memory | {mach['mem']} |")
    add(f"| load average (1/5/15 min) at start / end | {mach['load_start']} / {mach['load_end']} |")
    add(f"| rustc | {mach['rustc']} (release profile) |")
    add(f"| Python / Node | {mach['python']} / {mach['node']} |")
    add("| Python peers | " + ", ".join(
        f"{k} {ver[k]}" for k in ("shapely", "GEOS", "geopandas", "pandas", "numpy", "scipy",
                                  "scikit-learn", "pyproj")) + " |")
    add("| Node peers | " + ", ".join(
        f"{k} {ver[k]}" for k in ("@turf/boolean-point-in-polygon", "flatbush", "kdbush",
                                  "geokdbush")) + " |")
    add("")
    add(
        f"**Data** (`target/peers-data`, written once by `peers gen`, read by every contender): "
        f"*central*: the grid level of `data/wuhan_central.toml` ({meta['central_grids']:,} unit "
        f"grids; wangge builds the whole hierarchy of {meta['central_regions']:,} regions and "
        f"answers with the deepest owner, i.e. the full chain, while the peers get the grids "
        f"only); *voronoi*: a {meta['voronoi_cells']:,}-cell Voronoi partition "
        f"(`wangge::synth::generate_children` on the rectangle of the grids' bounding box). "
        f"Query points: {meta['points']:,} uniform in that box (lon {meta['bbox'][0]:.3f}–"
        f"{meta['bbox'][2]:.3f}, lat {meta['bbox'][1]:.3f}–{meta['bbox'][3]:.3f}), the same "
        f"for both partitions; *sorted* = the same points along an order-16 Hilbert curve "
        f"(the harness's sort is not timed; `locate_many` also sorts each batch internally, and that is timed). Nearest: {meta['assets']:,} assets in 20,000 "
        f"Gaussian clusters (σ = 300 m) over central Wuhan, {meta['queries']:,} uniform queries. "
        f"Times are medians of the repetitions (wangge 5, peers 3 or fewer: see notes); index "
        f"builds and queries are timed apart; file reading and shapely/pandas object creation "
        f"are not timed. One thread unless the task says *parallel* "
        f"({mach['nproc']} threads).\n"
    )

    # --- point -> owner
    add("### Point → owner\n")
    add("| partition | contender | build | query, random order | throughput | wangge ÷ peer "
        "| query, Hilbert order | throughput |")
    add("|---|---|---|---|---|---|---|---|")
    for part in ("central", "voronoi"):
        for c, label in (
            ("wangge", "wangge `locate_many`"),
            ("shapely", "shapely STRtree `query(within)`"),
            ("geopandas", "geopandas `sjoin(within)`"),
            ("turf_flatbush", "turf PIP + flatbush"),
        ):
            b, q, s = r(c, f"{part}_build"), r(c, f"{part}_locate_random"), r(
                c, f"{part}_locate_sorted")
            if not q:
                continue
            rt = ratio(f"{part}_locate_random", c, f"{part}_locate_random")
            note = " ¹" if "first" in q["note"] else ""
            add(
                f"| {part} | {label}{note} | {fmt_s(med(b['secs'])) if b else '—'} | "
                f"{fmt_s(med(q['secs']))} ({q['n']:,} pts) | {fmt_rate(q['n'], med(q['secs']))} | "
                f"{'—' if c == 'wangge' else f'**{rt:.1f}×**'} | "
                f"{fmt_s(med(s['secs'])) if s else '—'} | "
                f"{fmt_rate(s['n'], med(s['secs'])) if s else '—'} |"
            )
        for t, label in (
            ("locate_chain_random", "wangge + owner at every level (chain arrays)"),
            ("locate_parallel_random", "wangge `locate_many_parallel`"),
        ):
            x = r("wangge", f"{part}_{t}")
            if x:
                srt = r("wangge", f"{part}_locate_parallel_sorted") if "parallel" in t else None
                add(
                    f"| {part} | {label} | | {fmt_s(med(x['secs']))} | "
                    f"{fmt_rate(x['n'], med(x['secs']))} | | "
                    f"{fmt_s(med(srt['secs'])) if srt else '—'} | "
                    f"{fmt_rate(srt['n'], med(srt['secs'])) if srt else '—'} |"
                )
    wb = r("wangge", "central_build_novalidity")
    add(
        "\nwangge's *build* is `City::build` with every check (OGC validity, geodesic areas, "
        "parents by containment) plus its index; with `check_validity = false` the central "
        f"build takes {fmt_s(med(wb['secs'])) if wb else '—'}. The peers' builds are the bbox "
        "tree only (+ `shapely.prepare` for shapely).\n"
    )
    subs = {x["note"] for (c, t), x in recs.items() if "locate" in t and "first" in x["note"]}
    for note in sorted(subs):
        add(f"¹ {note}; its throughput is per point of that subsample.\n")

    # --- nearest
    add("### Nearest (k-NN over the assets)\n")
    add("| contender | build | k = 1 | per query | wangge ÷ peer | k = 8 | per query | "
        "wangge ÷ peer |")
    add("|---|---|---|---|---|---|---|---|")
    for c, label in (
        ("wangge", "wangge `PointIndex::nearest` (geodesic WGS84)"),
        ("scipy_ckdtree", "scipy cKDTree, unit XYZ (chord)"),
        ("sklearn_balltree", "scikit-learn BallTree (haversine)"),
        ("kdbush_geokdbush", "kdbush + geokdbush (great circle)"),
        ("geopandas", "geopandas `sjoin_nearest` (UTM 50N, planar)"),
    ):
        b = r(c, "knn_build")
        cells = []
        for k in (1, 8):
            x = r(c, f"knn{k}")
            if x:
                per = med(x["secs"]) / x["n"]
                rt = ratio(f"knn{k}", c, f"knn{k}")
                sub = " ²" if "first" in x["note"] else ""
                cells += [
                    f"{fmt_s(med(x['secs']))} ({x['n']:,} q){sub}",
                    f"{per * 1e6:.2f} µs",
                    "—" if c == "wangge" else f"**{rt:.2f}×**",
                ]
            else:
                cells += ["—", "—", "—"]
        add(f"| {label} | {fmt_s(med(b['secs'])) if b else '—'} | " + " | ".join(cells) + " |")
    for c, label in (("wangge", "wangge, parallel"), ("scipy_ckdtree", "cKDTree, workers=-1")):
        cells = []
        for k in (1, 8):
            x = r(c, f"knn{k}_parallel")
            cells += ([fmt_s(med(x["secs"])), f"{med(x['secs']) / x['n'] * 1e6:.2f} µs", ""]
                      if x else ["—", "—", ""])
        add(f"| {label} | | " + " | ".join(cells) + " |")
    add("\n² on the first queries only (a slow peer), per-query time comparable.\n")

    # --- targets
    add("### The issue's targets, measured in this run\n")
    add("| target | measured | status |")
    add("|---|---|---|")

    def target_row(text, value, ok, fmt="{:.1f}×"):
        if value is None:
            add(f"| {text} | — | not measured |")
        else:
            add(f"| {text} | {fmt.format(value)} | {'**met**' if ok(value) else 'not met'} |")

    for part in ("central", "voronoi"):
        v = ratio(f"{part}_locate_random", "geopandas", f"{part}_locate_random")
        target_row(f"{part}: ≥ 40× geopandas `sjoin(within)`, 1 thread, random", v,
                   lambda x: x >= 40)
        v = ratio(f"{part}_locate_random", "shapely", f"{part}_locate_random")
        target_row(f"{part}: ≥ 80× shapely `STRtree.query(within)`, 1 thread, random", v,
                   lambda x: x >= 80)
        v = rate("wangge", f"{part}_locate_sorted")
        target_row(f"{part}: ≥ 60 M points/s on sorted input, 1 thread",
                   v / 1e6 if v else None, lambda x: x >= 60, "{:.1f} M/s")
        v = rate("wangge", f"{part}_locate_parallel_sorted")
        target_row(f"{part}: (same, {mach['nproc']} threads)", v / 1e6 if v else None,
                   lambda x: x >= 60, "{:.1f} M/s")
        a, b = rate("wangge", f"{part}_locate_parallel_random"), rate(
            "wangge", f"{part}_locate_random")
        nthreads = int(mach["nproc"] or 1)
        target_row(f"{part}: near-linear thread scaling ({nthreads} threads, random)",
                   a / b if a and b else None, lambda x: x >= 0.8 * nthreads, "{:.2f}×")
    for k in (1, 8):
        v = ratio(f"knn{k}", "scipy_ckdtree", f"knn{k}")
        target_row(f"k-NN k = {k}: ≥ 10× scipy cKDTree (unit XYZ, workers=1)", v,
                   lambda x: x >= 10, "{:.2f}×")
    b = r("wangge", "knn_build")
    target_row(f"nearest index build for {meta['assets']:,} points ≤ 0.3 s",
               med(b["secs"]) if b else None, lambda x: x <= 0.3, "{:.3f} s")
    add("")

    # --- agreement
    add("### Do the answers agree?\n")
    own = check_owners(data, out, recs)
    add(f"Owners (grid/cell index; −1 = none). A disagreement counts as *explained* when the point "
        f"lies within {BOUNDARY_TOL:g}° of the boundary of the polygons involved (the peers' "
        f"`within` is false on boundaries; wangge gives such points exactly one owner).\n")
    add("| partition | peer | points compared | owned (peer) | disagree | explained | farthest "
        "disagreeing point from a boundary | points in > 1 polygon (peer) |")
    add("|---|---|---|---|---|---|---|---|")
    for x in own:
        add(f"| {x['partition']} | {x['peer']} | {x['compared']:,} | {x['owned_by_peer']:,} | "
            f"{x['disagree']} | {x['explained']} | {x['worst_deg']:.2g}° | {x['multi']} |")
    nn, oracle = check_nearest(data, out)
    add("")
    add("Nearest: queries whose neighbour sets differ from wangge's, and how many of those are "
        "explained as near-ties between the sphere and the ellipsoid (checked with pyproj's "
        "geodesic: the peer's extra points are no closer than wangge's k-th and within "
        f"N_max/M_min = {BAND:.5f} of it); *sandwich* = ranks where M_min·θ ≤ s ≤ N_max·θ fails "
        "(θ = the peer's spherical angle at that rank, s = wangge's geodesic distance).\n")
    add("| k | peer | queries | sets differ | explained | sandwich violations |")
    add("|---|---|---|---|---|---|")
    for x in nn:
        sw = "n/a (planar)" if x["sandwich_bad"] is None else str(x["sandwich_bad"])
        add(f"| {x['k']} | {x['peer']} | {x['compared']:,} | {x['differ']} | {x['explained']} | "
            f"{sw} |")
    add("")
    add("wangge's distances against pyproj's `Geod.inv` (WGS84): " + "; ".join(
        f"k = {k}: {n:,} distances, largest difference {d:.2e} m" for k, (n, d) in oracle.items()
    ) + ".\n")

    # --- profile
    for tag, title in (
        ("central-random", "locate, central, random order"),
        ("central-sorted", "locate, central, Hilbert order"),
        ("knn1-random", "k-NN k = 1 over the assets"),
    ):
        log = out / f"profile-{tag}.log"
        tables = []
        for key, head in (("symbol", "symbol"), ("srcline", "source line (innermost inlined)")):
            prof = out / f"profile-{tag}-{key}.txt"
            if not (prof.exists() and prof.stat().st_size > 0):
                continue
            rows = []
            for line in prof.read_text().splitlines():
                m = re.match(r"\s*([\d.]+)%\s+(?:\[\.\]\s+)?(.*?)\s*(?:-\s+-)?\s*$", line)
                if m and len(rows) < 12:
                    sym = m.group(2).strip() or "?"
                    code = source_text(out, sym) if key == "srcline" else ""
                    sym = short_path(sym)
                    if len(sym) > 100:
                        sym = sym[:97] + "..."
                    extra = f" | `{code}`" if key == "srcline" else ""
                    rows.append(f"| {m.group(1)} | `{sym.replace('|', '/')}`{extra} |")
            if rows:
                hdr = f"| self % | {head} |" + (" code |" if key == "srcline" else "")
                sep = "|---|---|" + ("---|" if key == "srcline" else "")
                tables.append([hdr, sep] + rows)
        if not tables:
            continue
        if (out / "src-changed").exists():
            add("(crates/wangge/src changed while the binary was being built: source lines "
                "below may be off.)\n")
        add(f"### Profile: {title}, 1 thread (`perf record -F 999`, self time)\n")
        if log.exists():
            last = [ln for ln in log.read_text().splitlines() if ln.startswith("profile:")]
            if last:
                add(f"`{last[-1]}`\n")
        for t in tables:
            L.extend(t)
            add("")
    if analysis and analysis.exists():
        add(analysis.read_text().rstrip() + "\n")
    return "\n".join(L) + "\n"


def write_section(results: Path, text: str):
    begin, end = "<!-- peers:begin -->", "<!-- peers:end -->"
    doc = results.read_text() if results.exists() else ""
    block = f"{begin}\n{text}{end}"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc = head + block + tail
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    results.write_text(doc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--analysis", type=Path)
    ap.add_argument("--results", type=Path)
    args = ap.parse_args()
    text = build_report(args.data, args.out, args.analysis)
    (args.out / "report.md").write_text(text)
    print(text)
    if args.results:
        write_section(args.results, text)
        print(f"wrote the peers section of {args.results}")


if __name__ == "__main__":
    main()
