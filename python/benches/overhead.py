"""Python overhead of `City.locate` against the native Rust call, for a 1M-point batch.

Both sides run in the same process on the same arrays, alternating, several rounds:

* native: `City::locate_many_in` timed in Rust (`wangge._wangge._locate_native_seconds`: no
  Python inside the timed region; ids stay a `Vec<u32>`);
* Python: `city.locate(lon, lat, crs=...)` timed with `time.perf_counter`, i.e. argument
  checks, the GIL release, the same core call, and the int64 numpy array of ids.

The overhead is median(Python) / median(native) - 1 (goal: at most 10 %).

    . target/venv-python/bin/activate && python python/benches/overhead.py

(`scripts/test-python` builds the package into that venv.) Prints a Markdown table.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import wangge
from wangge import _wangge

REPO = Path(__file__).resolve().parents[2]


def median_ms(xs):
    return statistics.median(xs) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--manifest", type=Path, default=REPO / "data" / "wuhan.toml")
    args = parser.parse_args()

    city = wangge.City.from_manifest(args.manifest)
    rng = np.random.default_rng(1)
    # Uniform over the grid level's bounding box, as in the Rust benches.
    xs, ys = [], []
    for i in city.level_ids_of("grid"):
        ring = np.asarray(city.region(i).__geo_interface__["coordinates"][0][0])
        xs += [ring[:, 0].min(), ring[:, 0].max()]
        ys += [ring[:, 1].min(), ring[:, 1].max()]
    lon = rng.uniform(min(xs), max(xs), args.points)
    lat = rng.uniform(min(ys), max(ys), args.points)

    rows = []
    for crs in ("wgs84", "gcj02"):
        native, python = [], []
        city.locate(lon, lat, crs=crs)  # warm-up
        for _ in range(args.rounds):
            native += _wangge._locate_native_seconds(city, lon, lat, crs=crs, repeats=1)
            t = time.perf_counter()
            ids = city.locate(lon, lat, crs=crs)
            python.append(time.perf_counter() - t)
        assert ids.shape == (args.points,) and ids.dtype == np.int64
        n, p = median_ms(native), median_ms(python)
        rows.append((crs, n, p, p / n - 1, args.points / statistics.median(python) / 1e6))

    print(f"{args.points:,} points, {args.rounds} alternating rounds, medians; "
          f"{len(city):,} regions ({args.manifest.name})")
    print()
    print("| input CRS | native `locate_many_in` | Python `City.locate` | overhead | Python M points/s |")
    print("|---|---|---|---|---|")
    for crs, n, p, over, mps in rows:
        print(f"| {crs} | {n:.1f} ms | {p:.1f} ms | {over:+.1%} | {mps:.1f} |")


if __name__ == "__main__":
    main()
