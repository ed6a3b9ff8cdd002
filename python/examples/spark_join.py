"""Locate points on Spark executors: the city broadcast as snapshot bytes, ``mapInPandas``.

Each Python worker rebuilds the city once from the broadcast bytes (``City.from_bytes``,
checksummed, a few milliseconds) and locates its Arrow batches with one vectorised call.

    python python/examples/spark_join.py --points 200000       # local[2]; needs Java 17+

PySpark from PyPI needs a JRE (``java`` on PATH or JAVA_HOME) and runs its Python workers with
``PYSPARK_PYTHON``, set here to this interpreter unless already set. The test suite runs it
behind the ``spark`` marker (``pytest --run-spark``, which scripts/test-python passes); it
checks its answer against a local ``city.locate`` and exits non-zero on any difference.
"""

import argparse
import os
import sys
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

import wangge

REPO = Path(__file__).resolve().parents[2]
SCHEMA = "lon double, lat double, region long, street string, grid string"

def locate_frame(city: wangge.City, batch: pd.DataFrame) -> pd.DataFrame:
    """Region id, street and grid code of every point of one batch."""
    codes = np.array(city.codes + [None], dtype=object)  # id -1 -> None
    lon, lat = batch["lon"].to_numpy(), batch["lat"].to_numpy()
    levels = city.locate_levels(lon, lat, crs="gcj02")
    return batch.assign(
        region=city.locate(lon, lat, crs="gcj02"),
        street=codes[levels[:, 1]],
        grid=codes[levels[:, 3]],
    )


def located(batches: Iterator[pd.DataFrame], city_bytes: bytes) -> Iterator[pd.DataFrame]:
    """Runs on the executors, once per partition: rebuild the city, locate each batch."""
    city = wangge.City.from_bytes(city_bytes)
    for batch in batches:
        yield locate_frame(city, batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

    from pyspark.sql import SparkSession

    city = wangge.City.from_manifest(REPO / "data" / "wuhan.toml")
    rng = np.random.default_rng(8)
    points = pd.DataFrame({
        "lon": rng.uniform(114.20, 114.32, args.points),
        "lat": rng.uniform(30.54, 30.65, args.points),
    })

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("wangge spark_join example")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(args.partitions))
        .getOrCreate()
    )
    try:
        spark.sparkContext.setLogLevel("ERROR")
        city_bytes = spark.sparkContext.broadcast(city.to_bytes())
        sdf = spark.createDataFrame(points).repartition(args.partitions)
        out = sdf.mapInPandas(lambda it: located(it, city_bytes.value), schema=SCHEMA)
        result = out.toPandas()
    finally:
        spark.stop()

    # Spark does not keep row order: compare after sorting by coordinates.
    key = ["lon", "lat"]
    result = result.sort_values(key).reset_index(drop=True)
    expected = locate_frame(city, points).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
    print(f"{len(result):,} points on local[2]; {(result.region >= 0).mean():.1%} located, "
          f"{result.grid.notna().mean():.1%} in a grid")
    print(result.street.value_counts().sort_index().to_string())
    print("spark example: ok")


if __name__ == "__main__":
    main()
