# %% [markdown]
# # wangge for analysts: a million reports over 江汉区
#
# A `# %%` script (open it as a notebook in VS Code / Jupytext, or run it with Python). On the
# bundled Wuhan data (real district outlines; the streets, communities and grids of 江汉区 are
# synthetic) it:
#
# 1. makes a million synthetic citizen reports in GCJ-02 (what phones send),
# 2. locates every report (district > street > community > grid),
# 3. counts reports per street,
# 4. draws a choropleth of reports per km² for every unit grid with GeoPandas + matplotlib,
# 5. turns the reports into cases (status, times) and computes 处置率 and the other evaluation
#    indicators per street and grid with `wangge.case_stats`, with a choropleth of 处置率 and an
#    H3 heat map (`wangge.plot`),
# 6. finds the nearest fire hydrant (消防栓, class 0113) of every report.
#
# ```sh
# python python/examples/analyst.py --out-dir /tmp/analyst     # from the repository root
# ```
# The test suite runs it (python/tests/test_examples.py) and checks what it writes.

# %%
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import wangge  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
HYDRANTS = ["0113", "01013"]  # legacy and GB/T 47678.5 classes of 消防栓

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--out-dir", type=Path, default=Path("analyst-out"))
parser.add_argument("--reports", type=int, default=1_000_000)
parser.add_argument("--seed", type=int, default=20261122)
args, _ = parser.parse_known_args()  # tolerate a notebook kernel's own arguments
args.out_dir.mkdir(parents=True, exist_ok=True)
timings = {}

# %% [markdown]
# ## The city and its inventory

# %%
d = wangge.Dispatcher.from_manifest(REPO / "data" / "wuhan.toml")
city = d.city
print(city, d)

# %% [markdown]
# ## A million reports
# Uniform over 江汉区's bounding box plus three hot spots (markets, a station), in GCJ-02.

# %%
rng = np.random.default_rng(args.seed)
grids = city.to_geodataframe("grid", crs="gcj02")  # GCJ-02, like the reports
x0, y0, x1, y1 = grids.total_bounds
n = args.reports
n_hot = n // 4
hot_centres = np.array([[114.2712, 30.5851], [114.2580, 30.6050], [114.2450, 30.6200]])
which = rng.integers(0, len(hot_centres), n_hot)
lon = np.concatenate([rng.uniform(x0, x1, n - n_hot),
                      hot_centres[which, 0] + rng.normal(0, 0.003, n_hot)])
lat = np.concatenate([rng.uniform(y0, y1, n - n_hot),
                      hot_centres[which, 1] + rng.normal(0, 0.003, n_hot)])
reports = pd.DataFrame({"lon": lon, "lat": lat})

# %% [markdown]
# ## Locate every report
# One call for the whole array, GIL released; `locate_levels` gives the id at each level.

# %%
t = time.perf_counter()
levels = city.locate_levels(reports.lon.to_numpy(), reports.lat.to_numpy(), crs="gcj02")
timings["locate_levels"] = time.perf_counter() - t
for k, name in enumerate(city.levels):
    reports[f"{name}_id"] = levels[:, k]
located = (levels >= 0).any(axis=1)
print(f"{n:,} reports located in {timings['locate_levels']:.2f} s; "
      f"{located.mean():.1%} inside the city, {(levels[:, 3] >= 0).mean():.1%} in a grid")

# %% [markdown]
# ## Reports per street

# %%
street_ids = city.level_ids_of("street")
counts = np.bincount(reports.street_id[reports.street_id >= 0], minlength=len(city))
per_street = pd.DataFrame({
    "code": [city.region(i).code for i in street_ids],
    "name": [city.region(i).name for i in street_ids],
    "reports": counts[street_ids],
    "area_km2": [city.region(i).area_m2 / 1e6 for i in street_ids],
})
per_street["per_km2"] = per_street.reports / per_street.area_km2
per_street = per_street.sort_values("reports", ascending=False)
per_street.to_csv(args.out_dir / "reports_per_street.csv", index=False)
print(per_street.to_string(index=False))

# %% [markdown]
# ## Choropleth: reports per km² in each unit grid

# %%
t = time.perf_counter()
grid_counts = np.bincount(reports.grid_id[reports.grid_id >= 0], minlength=len(city))
grids["reports"] = grid_counts[grids.index.to_numpy()]
grids["per_km2"] = grids.reports / (grids.area_m2 / 1e6)
fig, ax = plt.subplots(figsize=(8, 8))
grids.plot(column="per_km2", ax=ax, cmap="OrRd", linewidth=0.05, edgecolor="grey",
           legend=True, legend_kwds={"label": "reports per km²", "shrink": 0.6})
city.to_geodataframe("street", crs="gcj02").boundary.plot(ax=ax, color="black", linewidth=0.6)
ax.set_title(f"{n:,} synthetic reports per km², unit grids of Jianghan (GCJ-02)")
ax.set_axis_off()
png = args.out_dir / "grids_choropleth.png"
fig.savefig(png, dpi=110, bbox_inches="tight")
plt.close(fig)
timings["choropleth"] = time.perf_counter() - t
print(f"wrote {png} ({png.stat().st_size:,} bytes) in {timings['choropleth']:.1f} s")

# %% [markdown]
# ## Cases: evaluation indicators per street and grid, an H3 heat map
# Give every report a category, a status and times (synthetic), then one call joins the table
# to every level and department (the dispatch rule names the department) and computes 处置率,
# 按期处置率, 超期处置数, 返工率 and 结案率, plus counts per H3 cell (resolution 9).

# %%
t = time.perf_counter()
status = rng.choice(["处理中", "核查结案", "结案", "作废"], n, p=[0.2, 0.1, 0.65, 0.05])
reported = pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 30 * 86_400, n), unit="s")
closed = pd.Series(reported + pd.to_timedelta(rng.integers(1_800, 16 * 3_600, n), unit="s"))
cases = pd.DataFrame({
    "lon": reports.lon, "lat": reports.lat,
    "category": rng.choice(["0103", "0113", "200501"], n),  # 雨水井盖, 消防栓, 无照经营游商
    "reported_at": reported, "time_limit_h": 8,
    "closed_at": closed.where(np.isin(status, ["核查结案", "结案"])),
    "status": status,
})
stats = wangge.case_stats(d, cases, crs="gcj02", h3_res=9)
timings["case_stats"] = time.perf_counter() - t
streets = stats.level("street")
# The same join as locate_levels above: the same count per street.
assert np.array_equal(streets.cases.to_numpy(), counts[streets.index.to_numpy()])
streets.to_csv(args.out_dir / "street_stats.csv")
print(f"case_stats on {n:,} cases in {timings['case_stats']:.2f} s; {stats}")
print(streets[["code", "name", "cases", "handling_rate", "on_time_rate", "overdue"]]
      .sort_values("cases", ascending=False).head(5).to_string())
print(stats.departments()[["code", "name", "cases", "handling_rate"]].to_string(index=False))

t = time.perf_counter()
ax = wangge.plot.choropleth(city, "grid", stats.level("grid"), column="handling_rate",
                            crs="gcj02", boundaries="street", cmap="RdYlGn",
                            label="handling rate", title="handling rate per unit grid")
ax.figure.savefig(args.out_dir / "grids_handling_rate.png", dpi=90, bbox_inches="tight")
plt.close(ax.figure)
ax = wangge.plot.h3_heatmap(stats, city=city, boundaries="street",
                            title="cases per H3 cell (resolution 9, WGS84)")
ax.figure.savefig(args.out_dir / "h3_heatmap.png", dpi=90, bbox_inches="tight")
plt.close(ax.figure)
timings["case_maps"] = time.perf_counter() - t
print(f"wrote grids_handling_rate.png and h3_heatmap.png in {timings['case_maps']:.1f} s")

# %% [markdown]
# ## The nearest hydrant of every report
# Exact geodesic distances (WGS84 ellipsoid), shapely-style `(2, n)` index pairs.

# %%
t = time.perf_counter()
pairs, metres = d.nearest(reports.lon.to_numpy(), reports.lat.to_numpy(), k=1,
                          classes=HYDRANTS, crs="gcj02", return_distance=True)
timings["nearest_hydrant"] = time.perf_counter() - t
assert pairs.shape == (2, n) and np.array_equal(pairs[0], np.arange(n))
ids = np.asarray(d.asset_ids, dtype=object)
reports["hydrant"] = ids[pairs[1]]
reports["hydrant_m"] = metres
in_grid = reports.grid_id >= 0
summary = reports[in_grid].hydrant_m.describe(percentiles=[0.5, 0.9, 0.99])
print(f"nearest hydrant for {n:,} reports in {timings['nearest_hydrant']:.1f} s; "
      f"metres, reports in a grid:\n{summary.round(1).to_string()}")
reports.sample(1_000, random_state=1).to_csv(args.out_dir / "reports_sample.csv", index=False)
pd.Series(timings).to_csv(args.out_dir / "timings.csv", header=["seconds"])
print("analyst example: ok")
