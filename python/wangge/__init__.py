"""wangge 网格: which unit grid owns this point, exactly; who handles a report; what is nearby.

A thin Python layer over the Rust library `wangge` (every rule lives in Rust; this package only
converts inputs and outputs). The API follows shapely 2: numpy arrays in and out, integer
indices rather than objects, and the GIL released while a batch runs.

Example (run from the repository root, on the bundled Wuhan data)::

    >>> import numpy as np
    >>> import wangge
    >>> city = wangge.City.from_manifest("data/wuhan.toml")
    >>> city.levels
    ['district', 'street', 'community', 'grid']
    >>> hit = city.locate(114.2712, 30.5851, crs="gcj02")      # a WeChat report (GCJ-02)
    >>> hit.codes[0], hit.names[0]
    ('420103', '江汉区')
    >>> len(hit.codes)                                          # district > street > community > grid
    4
    >>> ids = city.locate(np.array([114.2712, 0.0]), np.array([30.5851, 0.0]), crs="gcj02")
    >>> ids.dtype, int(ids[1])                                  # region ids, -1 = no owner
    (dtype('int64'), -1)
    >>> city.region(int(ids[0])).level_name
    'grid'
    >>> city2 = wangge.City.from_bytes(city.to_bytes())         # snapshots (and pickle)
    >>> len(city2) == len(city)
    True

Dispatch (智能派单) on the same data::

    >>> d = wangge.Dispatcher.from_manifest("data/wuhan.toml")
    >>> r = d.dispatch(114.2712, 30.5851, "0103", crs="gcj02")  # a broken rainwater cover
    >>> r.department                                            # responsible department first
    'D420100-SWJ'
    >>> pairs, dist = d.nearest([114.2650], [30.5800], k=2, return_distance=True)
    >>> pairs.shape                                             # [input_index, asset_index]
    (2, 2)
    >>> bool(np.all(np.diff(dist) >= 0))                        # nearest first, metres
    True
    >>> hydrant = d.asset(int(d.nearest(114.2650, 30.5800, classes="0113")[1, 0]))
    >>> hydrant.class_code, hydrant.__geo_interface__["type"]   # 消防栓, a Point
    ('0113', 'Point')
    >>> near = d.within([114.2650], [30.5800], 300.0, classes=["0113", "01013"])
    >>> bool(np.isin(hydrant.index, near[1]))                   # every hydrant within 300 m
    True
    >>> df = d.dispatch_many([114.2712, 114.2650], [30.5851, 30.5800], "0103", crs="gcj02")
    >>> list(df["department"])                                  # a pandas DataFrame
    ['D420100-SWJ', 'D420100-SWJ']

Geometries (shapely, GeoPandas, anything with ``__geo_interface__``)::

    >>> import shapely
    >>> city.locate(shapely.Point(114.2712, 30.5851), crs="gcj02").codes[0]
    '420103'
    >>> city.locate(shapely.points([114.2650, 0.0], [30.5800, 0.0])).tolist()[1]
    -1
    >>> grids = city.to_geodataframe("grid")                    # a GeoDataFrame by region id
    >>> grids.crs.to_epsg(), grids.loc[int(ids[0]), "level"]
    (4326, 'grid')
    >>> top = wangge.City.from_geojson({"district": city.to_geojson("district")})
    >>> top.levels, len(top) == len(city.level_ids_of("district"))
    (['district'], True)

Coordinates
    ``crs`` is one of ``"wgs84"`` (= ``"cgcs2000"``, EPSG:4326/4490), ``"gcj02"`` (Amap,
    Tencent, WeChat) or ``"bd09"`` (Baidu); anything else raises :class:`WanggeError`
    (a ``ValueError``). Results (geometries, ``DispatchResult.lon/lat``) are WGS84.

Arrays
    ``lon`` and ``lat`` are two scalars or two 1-D array-likes of the same length with an
    integer or float dtype (copied to contiguous float64 when needed). A NaN or infinite
    coordinate has no owner (−1, or ``None`` for a scalar call). Mismatched lengths raise
    :class:`WanggeError` naming both lengths; 2-D input raises ``ValueError``; strings or
    other non-numeric input raise ``TypeError``. Every query also takes Point geometries in
    place of ``lon`` with ``lat`` left out: one shapely Point (or ``__geo_interface__``
    object), or a sequence, object array or GeoSeries of them (None and empty points have
    no owner; other geometry types raise ``TypeError`` naming their position).

Building a city
    :meth:`City.from_manifest` (TOML/JSON manifests, see the Rust docs), :meth:`City.load`
    (snapshot or manifest), :meth:`City.from_bytes`, :meth:`City.from_geojson` (one
    FeatureCollection per level: text, path, mapping, list of features with shapely
    geometries, GeoDataFrame) and :meth:`City.from_geodataframes`. Out again:
    :meth:`City.to_geojson`, :meth:`City.to_geodataframe`, :meth:`City.to_bytes`, pickle.

Parallel workers
    A city pickles as its snapshot bytes (``__reduce__``), so it can be broadcast to Dask
    workers (``client.scatter(city, broadcast=True)``) or, as ``city.to_bytes()``, to Spark
    executors (``spark.sparkContext.broadcast(...)`` + ``City.from_bytes`` in
    ``mapInPandas``); see ``python/examples/``.

Case statistics and H3 (``wangge.analytics``, ``wangge.plot``)
    :func:`case_stats` joins a case table (CSV path, DataFrame or arrays) to every level and
    department: counts and 处置率 / 按期处置率 / 超期处置数 / 返工率 / 结案率 per region
    (:meth:`CaseStats.level`) and department, bad rows with their row numbers, H3 counts.
    :func:`h3_counts`, :func:`h3_cells`, :func:`h3_hexagons`, :func:`h3_cover` and
    :func:`h3_cover_level` (ids as PyPI ``h3`` writes them). Pictures:
    :func:`wangge.plot.choropleth` (any per-region figure) and :func:`wangge.plot.h3_heatmap`.

Repeat-case hot spots (``wangge.hotspots``)
    :func:`hotspots` groups cases of one category within R metres and T days into clusters
    (反复发生案件) and ranks the regions of every level and the assets by repeats.

Planner tools (``wangge.plan``)
    :func:`validate` reports everything wrong with a partition (overlaps, gaps, slivers,
    codes …); :class:`History` previews edit sets (split, merge, reshape, reassign,
    replace) with their impact, commits them as immutable versions, rolls back, saves and
    loads; :func:`diff` compares two cities.

Errors
    Every error from the library is a :class:`WanggeError` (a ``ValueError``), or one of its
    subclasses: :class:`GeometryError`, :class:`HierarchyError`, :class:`CodeError`,
    :class:`DataError`, :class:`ManifestError`, :class:`SnapshotError`, :class:`EditError`,
    :class:`VersionError`, :class:`FileError` (also an ``OSError``) and :class:`UnknownIdError` (also a ``KeyError``).
"""

from ._wangge import (
    NO_OWNER,
    Asset,
    CaseStats,
    City,
    CodeError,
    DataError,
    DispatchResult,
    Dispatcher,
    EditError,
    FileError,
    GeometryError,
    HierarchyError,
    Located,
    ManifestError,
    Region,
    SnapshotError,
    UnknownIdError,
    VersionError,
    WanggeError,
    __version__,
)
from . import plan, plot
from .analytics import (
    Hotspots,
    case_stats,
    h3_cells,
    h3_counts,
    h3_cover,
    h3_cover_level,
    h3_geojson,
    h3_hexagons,
    hotspots,
)
from .plan import (
    Diff,
    History,
    ImpactReport,
    Preview,
    ValidationReport,
    Version,
    diff,
    validate,
)

#: CRS names accepted by every ``crs=`` argument (case-insensitive; EPSG:4326/4490 and the
#: hyphenated forms "gcj-02", "bd-09" are accepted too).
CRS_NAMES = ("wgs84", "cgcs2000", "gcj02", "bd09")

__all__ = [
    "CRS_NAMES",
    "NO_OWNER",
    "Asset",
    "CaseStats",
    "City",
    "CodeError",
    "DataError",
    "Diff",
    "DispatchResult",
    "Dispatcher",
    "EditError",
    "FileError",
    "GeometryError",
    "HierarchyError",
    "History",
    "Hotspots",
    "ImpactReport",
    "Located",
    "ManifestError",
    "Preview",
    "Region",
    "SnapshotError",
    "UnknownIdError",
    "ValidationReport",
    "Version",
    "VersionError",
    "WanggeError",
    "__version__",
    "case_stats",
    "diff",
    "h3_cells",
    "h3_counts",
    "h3_cover",
    "h3_cover_level",
    "h3_geojson",
    "h3_hexagons",
    "hotspots",
    "plan",
    "plot",
    "validate",
]
