#!/usr/bin/env python3
"""Peak resident memory (RSS) of wangge's heaviest loads, each in its own process.

Usage: python3 benches/rss.py [--out FILE.md]

Builds the release CLI, generates its inputs under target/rss/ and runs, one process each:
  - `wangge build` of the central-Wuhan manifest (~100k grids generated, then built);
  - `wangge export` of that city, then `wangge build` of the exported GeoJSON (the path of a real
    city: 100k grids read from files);
  - `wangge locate` of 1,000 points on the saved snapshot (a snapshot load);
  - `wangge nearest` of 1,000 points over 2,000,000 assets read from CSV;
  - the hostile files of the input limits (`tests/hostile/`), when the build reads limits.
The peak RSS of each child comes from wait4's rusage (ru_maxrss), so nothing but Python's standard
library is needed. Prints a Markdown table (and writes it to --out).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "rss"
CLI = ROOT / "target" / "release" / "wangge"


def run(label: str, args: list[str], expect_ok: bool = True) -> tuple[str, float, float, str]:
    """Runs the CLI once; returns (label, seconds, peak RSS in MB, last stderr line)."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(CLI), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace").strip() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if (code == 0) != expect_ok:
        sys.exit(f"{label}: exit code {code}, expected {'success' if expect_ok else 'an error'}\n{err}")
    last = err.splitlines()[-1] if err else ""
    return label, seconds, usage.ru_maxrss / 1024.0, last


def points_csv(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w") as f:
        f.write("lon,lat\n")
        for _ in range(n):
            f.write(f"{rng.uniform(114.1, 114.5):.7f},{rng.uniform(30.45, 30.7):.7f}\n")


def assets_csv(path: Path, n: int, seed: int) -> None:
    """n component ids: 4 legacy classes × n/4 serials in district 420103, random positions."""
    rng = random.Random(seed)
    classes = ["0101", "0102", "0103", "0104"]
    per = n // len(classes)
    with path.open("w") as f:
        f.write("id,lon,lat\n")
        for c in classes:
            for s in range(1, per + 1):
                f.write(f"420103{c}{s:06d},{rng.uniform(114.1, 114.5):.7f},{rng.uniform(30.45, 30.7):.7f}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    opts = parser.parse_args()
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "wangge-cli"], cwd=ROOT, check=True)
    WORK.mkdir(parents=True, exist_ok=True)
    snap = WORK / "central.wgg"
    export = WORK / "central"
    pts, assets = WORK / "points.csv", WORK / "assets_2m.csv"
    points_csv(pts, 1000, 1)
    if not assets.exists():
        assets_csv(assets, 2_000_000, 2)
    rows = [
        run("build central (generate + build ~100k grids)",
            ["build", "--city", str(ROOT / "data" / "wuhan_central.toml"), "--out", str(snap)]),
        run("export central to GeoJSON", ["export", "--city", str(snap), "--out-dir", str(export)]),
    ]
    rows.append(run("build central from the exported GeoJSON",
                    ["build", "--city", str(export / "city.toml"), "--out", str(WORK / "central2.wgg")]))
    rows.append(run("load the central snapshot + locate 1,000 points",
                    ["locate", "--city", str(snap), "--points", str(pts), "--out", str(WORK / "owners.csv")]))
    rows.append(run("nearest: 2,000,000 assets from CSV + 1,000 queries (k=8)",
                    ["nearest", "--assets", str(assets), "--points", str(pts), "-k", "8",
                     "--out", str(WORK / "nearest.csv")]))
    size = lambda p: p.stat().st_size / 1e6  # noqa: E731
    lines = [
        "| run | wall time | peak RSS |",
        "|---|---|---|",
        *(f"| {label} | {s:.2f} s | {mb:.0f} MB |" for label, s, mb, _ in rows),
        "",
        f"Inputs: central snapshot {size(snap):.1f} MB; exported GeoJSON "
        f"{sum(size(p) for p in export.glob('*.geojson')):.1f} MB; assets CSV {size(assets):.1f} MB.",
    ]
    table = "\n".join(lines)
    print(table)
    if opts.out:
        opts.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
