"""Case statistics benchmark (issue 8, item 7): join + aggregate N synthetic cases to every level
of the central Wuhan city, wangge (`wangge.case_stats`, Python binding) against geopandas
(`sjoin` + `groupby`), on the same data in the same run.

    benches/peers/run --cases-only [--cases 1e7]      # what the harness runs (peers venv)
    python benches/peers/cases.py prepare --n N --data DIR      # steps, by hand
    python benches/peers/cases.py run --data DIR --out DIR [--chunk ROWS] [--results RESULTS.md]

`prepare` builds the city from data/wuhan_central.toml (7 real districts, ~100k synthetic unit
grids) once, saves its snapshot and its grid layer (GeoJSON with the codes of each grid's
community, street and district), and draws N cases (numpy seed 20261122): points uniform over
the grids' bounding box grown by 2 % per side (some fall outside the city), a status mix
(5 % 待受理, 5 % 作废, 15 % 处理中, 10 % 核查结案, 65 % 结案), reported times over 2025, a time
limit of 2/4/24/72 h, closing times from 30 min to twice the limit (about half late), and a
rework count for 8 % of the handled cases. Arrays go to .npy files.

`run` runs each contestant in its own process (so its peak RSS is its own), on a DataFrame built
from those arrays before the clock starts:
- wangge: `wangge.case_stats(city, df)` (DataFrame → typed columns, row checks, exact locate,
  counters per region and level, 处置率 … 结案率), with 1 rayon thread and with every core.
- geopandas: `points_from_xy` + `sjoin(points, grids, predicate="within")` + per-case counters
  (numpy) + `groupby` per grid, then per community / street / district (by the grid's codes),
  and the same rates. Single-threaded. With `--chunk ROWS` it works through the cases in chunks
  of that many rows and adds the chunk sums (peak memory bounded by the chunk).
Then it checks that both give the same seven counters for every region of every level and
writes the table between <!-- cases:begin --> and <!-- cases:end --> of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
COUNTERS = ["cases", "accepted", "handled", "on_time", "overdue", "rework", "closed"]
LEVELS = ["district", "street", "community", "grid"]
STATUSES = ["待受理", "作废", "处理中", "核查结案", "结案"]
YEAR_START = 1_735_689_600  # 2025-01-01 00:00:00


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------------------------------------
# prepare


def prepare(args):
    import wangge

    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    city = wangge.City.from_manifest(ROOT / "data" / "wuhan_central.toml")
    print(f"central city: {len(city)} regions, built in {time.perf_counter() - t:.1f} s",
          flush=True)
    city.save(data / "central.wgg")
    grids = city.to_geodataframe("grid")
    codes = np.asarray(city.codes, dtype=object)
    parent = np.array([city.region(i).parent if city.region(i).parent is not None else -1
                       for i in range(len(city))])
    gid = grids.index.to_numpy()
    community = parent[gid]
    street = parent[community]
    district = parent[street]
    assert (district >= 0).all(), "every grid has a full chain"
    grids = grids.assign(community=codes[community], street=codes[street],
                         district=codes[district])[["code", "community", "street", "district",
                                                    "geometry"]]
    grids.to_file(data / "grids.geojson", driver="GeoJSON")
    x0, y0, x1, y1 = grids.total_bounds
    dx, dy = (x1 - x0) * 0.02, (y1 - y0) * 0.02
    n = int(float(args.n))
    rng = np.random.default_rng(20261122)
    lon = rng.uniform(x0 - dx, x1 + dx, n)
    lat = rng.uniform(y0 - dy, y1 + dy, n)
    status = rng.choice(5, n, p=[0.05, 0.05, 0.15, 0.10, 0.65]).astype(np.int8)
    reported = YEAR_START + rng.integers(0, 365 * 86_400, n)
    limit = np.array([2, 4, 24, 72], dtype=np.int64)[rng.integers(0, 4, n)]
    handled = status >= 3
    span = rng.integers(1_800, limit * 7_200 + 1)
    closed = np.where(handled, reported + span, np.iinfo(np.int64).min)
    rework = np.where(handled & (rng.random(n) < 0.08), rng.integers(1, 3, n), 0).astype(np.int8)
    for name, arr in dict(lon=lon, lat=lat, status=status, reported=reported, limit=limit,
                          closed=closed, rework=rework).items():
        np.save(data / f"{name}.npy", arr)
    meta = {"n": n, "regions": len(city), "grids": len(grids),
            "bbox": [float(x0 - dx), float(y0 - dy), float(x1 + dx), float(y1 + dy)]}
    (data / "meta.json").write_text(json.dumps(meta))
    print(f"{n:,} cases written to {data}", flush=True)


def load_frame(data: Path):
    """The case table as a pandas DataFrame (status categorical, times datetime64[s])."""
    import pandas as pd

    arr = {k: np.load(data / f"{k}.npy") for k in
           ("lon", "lat", "status", "reported", "limit", "closed", "rework")}
    return pd.DataFrame({
        "lon": arr["lon"],
        "lat": arr["lat"],
        "status": pd.Categorical.from_codes(arr["status"], STATUSES),
        "reported_at": arr["reported"].astype("datetime64[s]"),
        "time_limit_h": arr["limit"],
        "closed_at": arr["closed"].astype("datetime64[s]"),  # int64 min = NaT
        "rework": arr["rework"],
    })


# ---------------------------------------------------------------------------------------------
# contestants (each in its own process)


def run_wangge(args):
    import wangge

    data, out = Path(args.data), Path(args.out)
    city = wangge.City.load(data / "central.wgg")
    df = load_frame(data)
    base = rss_mb()
    t = time.perf_counter()
    stats = wangge.case_stats(city, df)
    secs = time.perf_counter() - t
    peak = rss_mb()
    tables = {}
    for level in LEVELS:
        lv = stats.level(level)
        tables[level] = {"code": lv.code.to_numpy(dtype=str),
                         "counts": lv[COUNTERS].to_numpy(dtype=np.int64)}
    np.savez(out / f"wangge_t{args.threads}.npz",
             **{f"{k}_{p}": v for k, t_ in tables.items() for p, v in t_.items()},
             outside=np.array([stats.outside[c] for c in COUNTERS]))
    return {"seconds": secs, "rss_before_mb": base, "rss_peak_mb": peak,
            "note": f"wangge.case_stats(city, df), {args.threads} rayon thread(s)",
            "rates": {k: stats.total[k] for k in stats.indicators}}


def columns_of(df):
    """The columns the counters need, as numpy arrays."""
    return {
        "status": df.status.cat.codes.to_numpy(),
        "closed": df.closed_at.to_numpy(),
        "deadline": df.reported_at.to_numpy()
        + df.time_limit_h.to_numpy().astype("timedelta64[h]"),
        "rework": df.rework.to_numpy(),
    }


def flags_of(cols, idx):
    """Per-case counters of rows `idx` (the formulas of wangge::analytics::indicators)."""
    status = cols["status"][idx]
    closed = cols["closed"][idx]
    accepted = status >= 2  # not 待受理 / 作废
    has_closed = ~np.isnat(closed)
    handled = accepted & has_closed
    late = has_closed & (closed > cols["deadline"][idx])
    return np.column_stack([
        np.ones(len(idx), dtype=np.int64), accepted, handled, handled & ~late, handled & late,
        accepted & (cols["rework"][idx] > 0), status == 4,
    ]).astype(np.int64)


def run_geopandas(args):
    import geopandas as gpd
    import pandas as pd

    data, out = Path(args.data), Path(args.out)
    grids = gpd.read_file(data / "grids.geojson")
    grids = grids.reset_index(drop=True)
    df = load_frame(data)
    n = len(df)
    chunk = args.chunk or n
    base = rss_mb()
    t = time.perf_counter()
    cols = columns_of(df)
    per_grid = np.zeros((len(grids), len(COUNTERS)), dtype=np.int64)
    for start in range(0, n, chunk):
        part = df.iloc[start:start + chunk]
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(part.lon, part.lat), crs=4326,
                               index=np.arange(start, start + len(part)))
        joined = gpd.sjoin(pts, grids[["geometry"]], predicate="within", how="inner")
        flags = pd.DataFrame(flags_of(cols, joined.index.to_numpy()), columns=COUNTERS)
        sums = flags.groupby(joined["index_right"].to_numpy()).sum()
        per_grid[sums.index.to_numpy()] += sums.to_numpy()
    grid_table = pd.DataFrame(per_grid, columns=COUNTERS)
    tables = {}
    for level in LEVELS:
        key = grids["code"] if level == "grid" else grids[level]
        agg = grid_table.groupby(key.to_numpy()).sum().sort_index()
        with np.errstate(invalid="ignore", divide="ignore"):
            agg["handling_rate"] = agg.handled / agg.accepted
            agg["on_time_rate"] = agg.on_time / agg.accepted
            agg["rework_rate"] = agg.rework / agg.handled
            agg["closing_rate"] = agg.closed / agg.accepted
        tables[level] = agg
    secs = time.perf_counter() - t
    peak = rss_mb()
    total = flags_of(cols, np.arange(n)).sum(axis=0)
    np.savez(out / "geopandas.npz",
             **{f"{k}_code": v.index.to_numpy(dtype=str) for k, v in tables.items()},
             **{f"{k}_counts": v[COUNTERS].to_numpy(dtype=np.int64) for k, v in tables.items()},
             outside=total - per_grid.sum(axis=0))
    how = f"in chunks of {chunk:,} rows" if chunk < n else "all rows at once"
    return {"seconds": secs, "rss_before_mb": base, "rss_peak_mb": peak,
            "note": f"points_from_xy + sjoin(within) + groupby per grid and level, {how}"}


def contestant(args):
    result = run_wangge(args) if args.which == "wangge" else run_geopandas(args)
    print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# run all, compare, report


def spawn(which, data, out, threads=None, chunk=None):
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, __file__, "contestant", "--which", which, "--data", str(data),
           "--out", str(out), "--threads", str(threads or 0)]
    if chunk:
        cmd += ["--chunk", str(chunk)]
    print("$ " + " ".join(cmd[1:]), flush=True)
    t = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if run.returncode != 0:
        raise SystemExit(f"{which} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    line = [x for x in run.stdout.splitlines() if x.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT "):])
    result["process_wall_s"] = wall
    print(f"  {result['seconds']:.2f} s, peak RSS {result['rss_peak_mb']:.0f} MB", flush=True)
    return result


def compare(out: Path, wangge_file: str):
    a, b = np.load(out / wangge_file), np.load(out / "geopandas.npz")
    report = {}
    for level in LEVELS:
        wa = dict(zip(a[f"{level}_code"], map(tuple, a[f"{level}_counts"])))
        gb = dict(zip(b[f"{level}_code"], map(tuple, b[f"{level}_counts"])))
        zero = tuple([0] * len(COUNTERS))
        keys = set(wa) | set(gb)
        diff = [k for k in keys if wa.get(k, zero) != gb.get(k, zero)]
        report[level] = {"regions": len(keys), "differ": len(diff)}
    report["outside_equal"] = bool((a["outside"] == b["outside"]).all())
    report["outside_cases"] = int(a["outside"][0])
    return report


def fmt_mb(x):
    return f"{x:,.0f} MB"


def write_results(path: Path, n, results, check, machine, chunk):
    g = results["geopandas"]
    rows = []
    for key, label in (("wangge_t1", "wangge `case_stats`, 1 thread"),
                       ("wangge_tall", f"wangge `case_stats`, {machine['nproc']} threads"),
                       ("geopandas", "geopandas `sjoin` + `groupby`, 1 thread")):
        r = results[key]
        ratio = g["seconds"] / r["seconds"]
        rows.append(
            f"| {label} | {r['seconds']:.2f} s | {n / r['seconds'] / 1e6:.2f} M cases/s | "
            f"{'—' if key == 'geopandas' else f'{ratio:.1f}×'} | {fmt_mb(r['rss_before_mb'])} | "
            f"{fmt_mb(r['rss_peak_mb'])} (+{fmt_mb(r['rss_peak_mb'] - r['rss_before_mb'])}) |"
        )
    agree = ", ".join(f"{lv} {check[lv]['regions'] - check[lv]['differ']}/{check[lv]['regions']}"
                      for lv in LEVELS)
    chunk_note = (f"geopandas works through the cases in chunks of {chunk:,} rows, adding the "
                  "per-grid sums of each chunk, to bound the memory of its Points and their "
                  f"STRtree (one sjoin over all {n:,} points was not measured)"
                  if chunk and chunk < n else "geopandas joins all cases at once")
    text = f"""<!-- cases:begin -->
## Case statistics: join + aggregate {n:,} cases (issue 8, item 7)

Command: `{machine['command']}` (runs `benches/peers/cases.py`; {machine['started']}, commit
`{machine['commit']}`{' + uncommitted changes under crates/' if machine['dirty'] else ''}; {machine['cpu']},
{machine['nproc']} cores, {machine['mem']}; load average {machine['load_start']} at the start,
{machine['load_end']} at the end; Python {machine['python']}, geopandas {machine['geopandas']},
shapely {machine['shapely']}, GEOS {machine['geos']}, pandas {machine['pandas']}).

Data: the central city (`data/wuhan_central.toml`: 7 real district outlines, synthetic streets,
communities and {machine['grids']:,} unit grids, {machine['regions']:,} regions) and {n:,}
synthetic cases in memory (a pandas DataFrame: lon/lat uniform over the grids' bounding box
+2 %, status categorical, `reported_at`/`closed_at` datetime64, `time_limit_h`, `rework`; see
the docstring of `benches/peers/cases.py`). Timed: from the DataFrame to the counters
(cases, 应处置, 处置, 按期, 超期, 返工, 结案) and the four rates for every region of the four
levels. Each contestant runs in its own process; "before" is its RSS after loading the city /
grids and the DataFrame, "peak" its maximum RSS (+0 MB: the run needed less than the
temporaries of loading the data). {chunk_note}. One run each, on a machine shared with other
builds (load average above): the times are noisy; the ratios come from the same run.

| contestant | time | throughput | speed-up vs geopandas | RSS before | peak RSS |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Same answers: the seven counters agree for every region (regions agreeing / regions:
{agree}); cases outside every grid (the bounding box is much larger than the seven district
outlines): {check['outside_cases']:,}, equal: {'yes' if check['outside_equal'] else 'NO'}. (Random double coordinates put no case on a
border, where the one-owner rule and GEOS `within` may differ.)

What differs: geopandas builds a shapely Point per case and an STRtree over them and tests
`within` with GEOS per candidate pair, then a pandas join and group-by; wangge converts the
DataFrame columns once (numpy → typed columns), checks every row (missing/ill-formed values
would be reported with their row), locates each case with its cell index (most cases answered
without an edge test) and adds counters per owner, pushing them up the chain once at the end.
The row check runs on one thread (the locate and the tallies use the rayon pool), so a second
thread gains little here; it is the next thing to parallelise.
<!-- cases:end -->"""
    old = path.read_text() if path.exists() else ""
    begin, end = "<!-- cases:begin -->", "<!-- cases:end -->"
    if begin in old and end in old:
        new = old[: old.index(begin)] + text + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(new)
    print(f"wrote the cases section of {path}")


def run_all(args):
    import geopandas
    import pandas
    import shapely

    data, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = json.loads((data / "meta.json").read_text())
    n = meta["n"]
    load_start = open("/proc/loadavg").read().split()[:3]
    results = {
        "wangge_t1": spawn("wangge", data, out, threads=1),
        "wangge_tall": spawn("wangge", data, out, threads=os.cpu_count()),
        "geopandas": spawn("geopandas", data, out, chunk=args.chunk),
    }
    check = compare(out, "wangge_t1.npz")
    check_all = compare(out, f"wangge_t{os.cpu_count()}.npz")
    assert check == check_all, (check, check_all)
    print(json.dumps(check, indent=1))

    def sh(c):
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()

    machine = {
        "command": args.command or "python benches/peers/cases.py run",
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": sh("git rev-parse --short HEAD"),
        "dirty": sh("git status --porcelain --untracked-files=no -- crates"),
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip(),
        "nproc": os.cpu_count(),
        "mem": sh("grep MemTotal /proc/meminfo | awk '{printf \"%.0f GB\", $2/1048576}'"),
        "load_start": " ".join(load_start),
        "load_end": " ".join(open("/proc/loadavg").read().split()[:3]),
        "python": platform.python_version(),
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "pandas": pandas.__version__,
        "grids": meta["grids"],
        "regions": meta["regions"],
    }
    (out / "cases.json").write_text(json.dumps(
        {"results": results, "check": check, "machine": machine}, indent=1))
    bad = [lv for lv in LEVELS if check[lv]["differ"]] or ([] if check["outside_equal"]
                                                          else ["outside"])
    if bad:
        raise SystemExit(f"answers differ: {bad} (see {out / 'cases.json'})")
    if args.results:
        write_results(Path(args.results), n, results, check, machine, args.chunk)


def report(args):
    """Rewrites the RESULTS.md section from the last run's cases.json (no rerun)."""
    saved = json.loads((Path(args.out) / "cases.json").read_text())
    meta = json.loads((Path(args.data) / "meta.json").read_text())
    write_results(Path(args.results), meta["n"], saved["results"], saved["check"],
                  saved["machine"], args.chunk)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare")
    a.add_argument("--n", default="1e7")
    a.add_argument("--data", required=True)
    b = sub.add_parser("run")
    b.add_argument("--data", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--chunk", type=int, default=0, help="geopandas chunk rows (0 = all)")
    b.add_argument("--results", help="RESULTS.md to write the cases section into")
    b.add_argument("--command", help="the command line to cite")
    r = sub.add_parser("report")
    r.add_argument("--data", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--chunk", type=int, default=0)
    r.add_argument("--results", required=True)
    c = sub.add_parser("contestant")
    c.add_argument("--which", choices=["wangge", "geopandas"], required=True)
    c.add_argument("--data", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--threads", type=int, default=0)
    c.add_argument("--chunk", type=int, default=0)
    args = p.parse_args()
    {"prepare": prepare, "run": run_all, "report": report, "contestant": contestant}[args.cmd](args)


if __name__ == "__main__":
    main()
