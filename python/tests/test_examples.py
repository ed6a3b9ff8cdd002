"""The examples in python/examples run and write what they promise.

Each runs in a subprocess from a temporary directory, as a user would run it. The examples
check their own answers (Dask and Spark against a local ``City.locate``) and exit non-zero
on any difference; here we check the exit status and the files they write."""

import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "python" / "examples"


def run(script, *args, timeout=600, env=None):
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert run.returncode == 0, f"{script} failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    return run.stdout


def test_analyst_example(tmp_path, city):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("geopandas")
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    stdout = run("analyst.py", "--out-dir", out)  # the full million reports
    assert "1,000,000 reports located" in stdout and "analyst example: ok" in stdout

    png = out / "grids_choropleth.png"
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000

    for name in ("grids_handling_rate.png", "h3_heatmap.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    stats = pd.read_csv(out / "street_stats.csv", dtype={"code": str}, index_col="id")
    assert {"handling_rate", "on_time_rate", "overdue", "closing_rate"} <= set(stats.columns)
    assert ((stats.handling_rate >= 0) & (stats.handling_rate <= 1)).all()
    assert sorted(stats.code) == sorted(city.region(i).code for i in city.level_ids_of("street"))

    streets = pd.read_csv(out / "reports_per_street.csv", dtype={"code": str})
    street_codes = sorted(city.region(i).code for i in city.level_ids_of("street"))
    assert sorted(streets.code) == street_codes
    assert streets.reports.sum() > 500_000  # the box is mostly 江汉区's streets

    # Re-check a sample of the report table against the library, independently of the script.
    sample = pd.read_csv(out / "reports_sample.csv", dtype={"hydrant": str})
    assert len(sample) == 1_000
    levels = city.locate_levels(sample.lon.to_numpy(), sample.lat.to_numpy(), crs="gcj02")
    np.testing.assert_array_equal(levels[:, 1], sample.street_id.to_numpy())
    np.testing.assert_array_equal(levels[:, 3], sample.grid_id.to_numpy())
    pyproj = pytest.importorskip("pyproj")
    import wangge

    d = wangge.Dispatcher.from_manifest(REPO_ROOT / "data" / "wuhan.toml")
    hydrants = [d.asset(h) for h in sample.hydrant[:50]]
    assert {h.class_code for h in hydrants} <= {"0113", "01013"}
    # The distance is the geodesic one from the report (converted to WGS84) to the hydrant.
    geod = pyproj.Geod(ellps="WGS84")
    for (_, row), h in zip(sample.head(50).iterrows(), hydrants):
        r = d.dispatch(row.lon, row.lat, "0113", crs="gcj02", workers=0)
        _, _, metres = geod.inv(r.lon, r.lat, h.lon, h.lat)
        assert abs(metres - row.hydrant_m) < 1e-6


def test_dask_example():
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    stdout = run("dask_join.py", "--points", 200_000, "--partitions", 6)
    assert "on 2 workers" in stdout and "dask example: ok" in stdout


@pytest.mark.spark
def test_spark_example():
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    stdout = run(
        "spark_join.py", "--points", 100_000, env={"PYSPARK_PYTHON": sys.executable}
    )
    assert "spark example: ok" in stdout
