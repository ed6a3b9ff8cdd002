"""Broadcast a city to a local Dask cluster and locate partitions of points.

A ``wangge.City`` pickles as its snapshot bytes (``City.__reduce__``), so ``client.scatter``
sends it once to every worker process; each partition is then located there with one
vectorised call (GIL released).

    python python/examples/dask_join.py --points 400000 --partitions 8

The test suite runs it (python/tests/test_examples.py); it checks its own answer against a
local ``city.locate`` on the same points and exits non-zero on any difference.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import wangge

REPO = Path(__file__).resolve().parents[2]


def locate_partition(part: pd.DataFrame, city: wangge.City) -> pd.DataFrame:
    """Runs on a worker: the owner of every point and its grid and street codes."""
    lon, lat = part["lon"].to_numpy(), part["lat"].to_numpy()
    levels = city.locate_levels(lon, lat, crs="gcj02")
    codes = np.array(city.codes + [None], dtype=object)  # id -1 -> None
    return part.assign(
        region=city.locate(lon, lat, crs="gcj02"),
        street=codes[levels[:, 1]],
        grid=codes[levels[:, 3]],
    )


def main() -> None:
    from dask import dataframe as dd
    from dask.distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=400_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    city = wangge.City.from_manifest(REPO / "data" / "wuhan.toml")
    rng = np.random.default_rng(7)
    points = pd.DataFrame({
        "lon": rng.uniform(114.20, 114.32, args.points),
        "lat": rng.uniform(30.54, 30.65, args.points),
    })

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        [remote_city] = client.scatter([city], broadcast=True)  # one pickled copy per worker
        ddf = dd.from_pandas(points, npartitions=args.partitions)
        meta = points.head(0).assign(
            region=np.int64(0), street=pd.Series(dtype=object), grid=pd.Series(dtype=object)
        )
        located = ddf.map_partitions(locate_partition, remote_city, meta=meta)
        result = located.compute()
        workers = len(client.scheduler_info()["workers"])

    result = result.sort_index()
    expected = locate_partition(points, city)
    pd.testing.assert_frame_equal(result, expected)
    per_street = result.street.value_counts().sort_index()
    print(f"{len(result):,} points in {args.partitions} partitions on {workers} workers; "
          f"{(result.region >= 0).mean():.1%} located, {result.grid.notna().mean():.1%} in a grid")
    print(per_street.to_string())
    print("dask example: ok")


if __name__ == "__main__":  # worker processes import this module: keep the guard
    main()
