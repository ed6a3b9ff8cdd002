"""Case statistics (案卷统计) and H3 hexagons: thin wrappers over ``wangge::analytics``.

Every figure is computed in Rust (the same row checks, join, tallies and indicators as
``wangge stats``); this module only turns DataFrame columns into typed arrays and results
into pandas / GeoPandas objects.

Case tables
    One row per case. Columns, by role (rename them with ``columns={"lon": "x", ...}``):
    ``lon, lat`` (required), ``id``, ``category``, ``reported_at``, ``deadline``,
    ``time_limit_h``, ``closed_at``, ``status`` (eGova code 1–9 or its Chinese name),
    ``rework`` and ``department``. Which indicator needs which column, and the formulas, are in
    the Rust docs of ``wangge::analytics::indicators``:

    ============  ===============  ==================================================
    key           name             formula
    ============  ===============  ==================================================
    handling_rate 处置率            处置数 / 应处置数
    on_time_rate  按期处置率        按期处置数 / 应处置数 (needs deadline or time_limit_h)
    overdue       超期处置数        count of cases handled after their deadline
    rework_rate   返工率            返工数 / 处置数
    closing_rate  结案率            结案数 / 应处置数
    ============  ===============  ==================================================

    In a DataFrame, times may be ``datetime64`` columns (timezone-aware ones are taken in
    UTC, naive ones as wall-clock times) or strings (``YYYY-MM-DD[ HH:MM[:SS]]``); numbers
    and booleans are taken as they are; text columns may be strings, categoricals or numbers.
    A GeoDataFrame without ``lon``/``lat`` columns uses its point geometries.

Errors
    A requested indicator whose column is missing raises :class:`wangge.DataError` naming the
    column; a bad row raises :class:`wangge.DataError` naming its row (position from 0 in a
    DataFrame, line in a CSV file), or, with ``skip_invalid=True``, is left out and listed in
    :meth:`CaseStats.problems`.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from . import _wangge
from ._wangge import CaseStats, City, Dispatcher, Hotspots

__all__ = [
    "CaseStats",
    "Hotspots",
    "case_stats",
    "h3_cells",
    "h3_counts",
    "h3_cover",
    "h3_cover_level",
    "h3_geojson",
    "h3_hexagons",
    "hotspots",
]

_TEXT_ROLES = {"id", "category", "status", "department"}


def _pandas(what: str):
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - pandas is a test requirement
        raise ImportError(f"{what} needs pandas (pip install pandas): {e}") from e
    return pd


def _typed(role: str, name: str, values: Any, pd) -> tuple:
    """One column as ``("number", float64)``, ``("time", int64 seconds)`` or
    ``("text", int64 codes, names)`` for ``_wangge.case_stats_columns``."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        dtype = s.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        # Whole seconds; NaT stays NaT, which is int64 min, the core's "missing".
        seconds = s.to_numpy().astype("datetime64[s]")
        return ("time", seconds.view("int64"))
    if isinstance(dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy(dtype="int64")
        return ("text", codes, [str(c) for c in s.cat.categories])
    if pd.api.types.is_bool_dtype(dtype) and not s.isna().any():
        return ("number", s.to_numpy(dtype="float64"))
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return ("number", s.to_numpy(dtype="float64", na_value=np.nan))
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return ("text", np.asarray(codes, dtype="int64"), [str(u) for u in uniques])


def _columns_of(cases: Any, columns: Optional[Mapping[str, str]], pd) -> dict:
    """The case table's role columns as typed arrays (other columns are not converted)."""
    names = dict(_wangge.case_columns(dict(columns) if columns else None))
    if isinstance(cases, pd.DataFrame):
        frame = cases
    elif isinstance(cases, Mapping):
        frame = None
    else:
        raise TypeError(
            "cases must be a CSV path, a pandas DataFrame or a mapping of column name to array, "
            f"got {type(cases).__name__}"
        )
    available = list(frame.columns) if frame is not None else list(cases.keys())
    table = {}
    for role, name in names.items():
        if name in available:
            table[name] = _typed(role, name, frame[name] if frame is not None else cases[name], pd)
    # A GeoDataFrame of points without lon/lat columns: its geometries.
    geometry = getattr(frame, "geometry", None) if frame is not None else None
    if geometry is not None and names["lon"] not in table and names["lat"] not in table:
        table[names["lon"]] = ("number", np.asarray(geometry.x, dtype="float64"))
        table[names["lat"]] = ("number", np.asarray(geometry.y, dtype="float64"))
    return table


def case_stats(
    city: Union[City, Dispatcher],
    cases: Any,
    *,
    crs: str = "wgs84",
    h3_res: Optional[int] = None,
    indicators: Optional[Sequence[str]] = None,
    skip_invalid: bool = False,
    columns: Optional[Mapping[str, str]] = None,
    chunk_rows: Optional[int] = None,
    encoding: str = "auto",
) -> CaseStats:
    """Joins a case table to every level of ``city`` and to departments, and aggregates it.

    ``city``: a :class:`City` (departments come from the ``department`` column only) or a
    :class:`Dispatcher` (categories are checked against its code table; a case without a
    ``department`` value gets the dispatch rule's department). ``cases``: a CSV path (read in
    chunks, so any length fits in memory), a pandas DataFrame / GeoDataFrame, or a mapping of
    column name to array. ``crs`` of the case coordinates; ``h3_res`` adds H3 cell counts;
    ``indicators`` (keys or Chinese names) chooses the indicators, by default every one the
    table has the columns for; ``columns`` renames roles (``{"lon": "x"}``). ``encoding`` of a
    CSV file: ``"auto"`` (UTF-8, or GBK/GB18030 when the text is not UTF-8 but clean GBK),
    ``"utf-8"`` or ``"gbk"``; a byte it cannot read raises :class:`DataError` naming its line
    (the rules: the Rust docs of ``wangge::io::csv_input``).

    Returns a :class:`CaseStats`: ``.level(name)`` and ``.departments()`` (DataFrames with the
    counters and the indicator columns), ``.total``, ``.outside``, ``.problems()``, ``.h3()``.
    Runs in parallel with the GIL released.

    >>> import wangge, pandas as pd
    >>> city = wangge.City.from_manifest("data/wuhan.toml")
    >>> df = pd.DataFrame({"lon": [114.2712, 114.2712, 0.0], "lat": [30.5851, 30.5851, 0.0],
    ...                    "status": ["结案", "处理中", "结案"],
    ...                    "closed_at": ["2025-06-01 10:00", None, "2025-06-02"]})
    >>> stats = wangge.case_stats(city, df, crs="gcj02")
    >>> row = stats.level("district").loc[city.by_code("420103")]   # 江汉区
    >>> int(row.cases), float(row.handling_rate)
    (2, 0.5)
    >>> stats.outside["cases"]
    1
    """
    options = dict(
        crs=crs,
        h3_res=h3_res,
        indicators=list(indicators) if indicators is not None else None,
        skip_invalid=skip_invalid,
        columns=dict(columns) if columns else None,
        chunk_rows=chunk_rows,
    )
    if isinstance(cases, (str, os.PathLike)):
        return _wangge.case_stats_csv(city, os.fspath(cases), encoding=encoding, **options)
    pd = _pandas("case_stats on a DataFrame")
    table = _columns_of(cases, columns, pd)
    return _wangge.case_stats_columns(city, table, source_name="DataFrame", **options)


def hotspots(
    city: Union[City, Dispatcher],
    cases: Any,
    radius_m: float,
    days: float,
    *,
    min_cases: int = 2,
    crs: str = "wgs84",
    skip_invalid: bool = False,
    columns: Optional[Mapping[str, str]] = None,
    chunk_rows: Optional[int] = None,
    encoding: str = "auto",
) -> Hotspots:
    """Repeat-case hot spots (反复发生案件): cases of the same category within ``radius_m``
    metres (geodesic, WGS84) and ``days`` days of each other, joined into clusters (single
    linkage: a chain of such links is one cluster); clusters of at least ``min_cases`` cases
    are reported. The rule and the ranking are in the Rust docs of
    ``wangge::analytics::hotspots``.

    ``city``: a :class:`City`, or a :class:`Dispatcher` (categories are checked against its
    code table, and repeat cases of component classes are attributed to the nearest asset of
    their class within ``radius_m``). ``cases``: a CSV path (read in chunks), a DataFrame /
    GeoDataFrame or a mapping of arrays with ``lon``, ``lat``, ``category`` and
    ``reported_at`` columns (rename with ``columns``), coordinates in ``crs``; ``encoding`` of a
    CSV file as for :func:`case_stats`.

    Returns a :class:`Hotspots`: ``.clusters()`` (a DataFrame by cluster id), ``.regions(level)``
    (regions ranked by repeat cases), ``.assets_ranking()``, ``.problems()``, ``.to_dict()``,
    ``.to_geojson()``. Runs in parallel with the GIL released.

    >>> import wangge, pandas as pd
    >>> city = wangge.City.from_manifest("data/wuhan.toml")
    >>> df = pd.DataFrame({"lon": [114.2712, 114.2713, 114.2714, 114.30],
    ...                    "lat": [30.5851, 30.5851, 30.5851, 30.60],
    ...                    "category": ["0103", "0103", "0103", "0103"],
    ...                    "reported_at": ["2025-06-01", "2025-06-04", "2025-06-20", "2025-06-02"]})
    >>> spots = wangge.hotspots(city, df, radius_m=30, days=7, crs="gcj02")
    >>> clusters = spots.clusters()
    >>> len(clusters), list(clusters.loc[1, "rows"])        # rows 0 and 1: 10 m, 3 days apart
    (1, [0, 1])
    >>> int(spots.regions("district")["repeat_cases"].iloc[0])
    2
    """
    options = dict(
        min_cases=min_cases,
        crs=crs,
        skip_invalid=skip_invalid,
        columns=dict(columns) if columns else None,
    )
    if isinstance(cases, (str, os.PathLike)):
        return _wangge.hotspots_csv(
            city,
            os.fspath(cases),
            radius_m,
            days,
            chunk_rows=chunk_rows,
            encoding=encoding,
            **options,
        )
    pd = _pandas("hotspots on a DataFrame")
    table = _columns_of(cases, columns, pd)
    return _wangge.hotspots_columns(
        city, table, radius_m, days, source_name="DataFrame", **options
    )


def h3_cells(lon: Any, lat: Any = None, res: int = 9, *, crs: str = "wgs84") -> list:
    """The H3 cell id of each point at resolution ``res`` (strings as PyPI ``h3`` writes them;
    None for a NaN, infinite or out-of-range point). ``lat`` left out: ``lon`` holds Point
    geometries."""
    return _wangge.h3_cells(lon, lat, res, crs=crs)


def h3_counts(
    lon: Any,
    lat: Any = None,
    res: int = 9,
    *,
    weights: Any = None,
    categories: Any = None,
    crs: str = "wgs84",
):
    """Points per H3 cell at resolution ``res`` as a DataFrame with ``h3`` (PyPI ``h3`` ids)
    and ``count`` (int64; the sum of ``weights``, float64, when given), sorted by cell. With
    ``categories`` (one per point), one row per (category, cell) with a ``category`` column.
    Points without a cell (NaN, out of range) are left out."""
    pd = _pandas("h3_counts")
    if categories is None:
        ids, sums = _wangge.h3_aggregate(lon, lat, res, weights=weights, crs=crs)
        count = sums if weights is not None else sums.astype("int64")
        return pd.DataFrame({"h3": ids, "count": count})
    if lat is None:
        raise TypeError("h3_counts with categories needs lon and lat arrays")
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    w = None if weights is None else np.asarray(weights, dtype="float64")
    codes, uniques = pd.factorize(pd.Series(categories), use_na_sentinel=True)
    if len(codes) != len(x):
        raise _wangge.WanggeError(
            f"lengths differ: lons has {len(x)} items, categories has {len(codes)}"
        )
    frames = []
    for k, category in enumerate(uniques):
        mask = codes == k
        ids, sums = _wangge.h3_aggregate(
            x[mask], y[mask], res, weights=None if w is None else w[mask], crs=crs
        )
        count = sums if w is not None else sums.astype("int64")
        frames.append(pd.DataFrame({"category": category, "h3": ids, "count": count}))
    if not frames:
        return pd.DataFrame({"category": [], "h3": [], "count": np.zeros(0, dtype="int64")})
    return pd.concat(frames, ignore_index=True)


def h3_geojson(cells: Any, properties: Any = None) -> dict:
    """Hexagons of H3 cells as a GeoJSON FeatureCollection (dict, WGS84). ``cells``: ids, or a
    DataFrame with an ``h3`` column whose other columns become properties (as do the columns of
    a ``properties`` DataFrame aligned with ``cells``)."""
    pd = None
    ids = cells
    extra = properties
    if hasattr(cells, "columns"):
        ids = list(cells["h3"])
        extra = cells.drop(columns=["h3"]) if properties is None else properties
    ids = [str(c) for c in ids]
    fc = json.loads(_wangge.h3_hexagons(ids))
    if extra is not None:
        pd = _pandas("h3_geojson with properties")
        records = pd.DataFrame(extra).to_dict(orient="records")
        for feature, record in zip(fc["features"], records):
            feature["properties"].update(
                {k: (v.item() if hasattr(v, "item") else v) for k, v in record.items()}
            )
    return fc


def h3_hexagons(cells: Any):
    """Hexagons of H3 cells as a GeoDataFrame (EPSG:4326) with an ``h3`` column first;
    ``cells``: ids, or a DataFrame with an ``h3`` column (e.g. :func:`h3_counts`' result or
    :meth:`CaseStats.h3`) whose other columns are kept. Needs geopandas."""
    try:
        import geopandas as gpd
        import shapely
    except ImportError as e:
        raise ImportError(f"h3_hexagons needs geopandas (pip install geopandas): {e}") from e
    pd = _pandas("h3_hexagons")
    frame = cells if hasattr(cells, "columns") else pd.DataFrame({"h3": [str(c) for c in cells]})
    fc = json.loads(_wangge.h3_hexagons([str(c) for c in frame["h3"]]))
    geometry = [shapely.geometry.shape(f["geometry"]) for f in fc["features"]]
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geometry, crs="EPSG:4326")


def h3_cover(city: City, region: Union[str, int], res: int) -> list:
    """A region's H3 cover at resolution ``res``: the cells whose centre lies in it (regions
    sharing a border share no cell), sorted. ``region``: a code or a region id. Unit grids of
    about 10,000 m² need resolution 12 or finer to get cells."""
    return _wangge.h3_cover(city, region, res)


def h3_cover_level(city: City, level: Union[str, int], res: int):
    """The H3 cover of every region of a level as a DataFrame, one row per cell: ``id``
    (region id), ``code`` and ``h3``."""
    pd = _pandas("h3_cover_level")
    ids, cells = _wangge.h3_cover_level(city, level, res)
    codes = np.asarray(city.codes, dtype=object)
    return pd.DataFrame({"id": ids, "code": codes[ids] if len(ids) else [], "h3": cells})
