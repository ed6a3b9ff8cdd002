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
    >>> pairs, dist = d.nearest_assets([114.2650], [30.5800], k=2, return_distance=True)
    >>> pairs.shape                                             # [input_index, asset_index]
    (2, 2)
    >>> bool(np.all(np.diff(dist) >= 0))                        # nearest first, metres
    True

Coordinates
    ``crs`` is one of ``"wgs84"`` (= ``"cgcs2000"``, EPSG:4326/4490), ``"gcj02"`` (Amap,
    Tencent, WeChat) or ``"bd09"`` (Baidu); anything else raises :class:`WanggeError`
    (a ``ValueError``). Results (geometries, ``DispatchResult.lon/lat``) are WGS84.

Arrays
    ``lon`` and ``lat`` are two scalars or two 1-D array-likes of the same length with an
    integer or float dtype (copied to contiguous float64 when needed). A NaN or infinite
    coordinate has no owner (−1, or ``None`` for a scalar call). Mismatched lengths raise
    :class:`WanggeError` naming both lengths; 2-D input raises ``ValueError``; strings or
    other non-numeric input raise ``TypeError``.

Errors
    Every error from the library is a :class:`WanggeError` (a ``ValueError``), or one of its
    subclasses: :class:`GeometryError`, :class:`HierarchyError`, :class:`CodeError`,
    :class:`DataError`, :class:`ManifestError`, :class:`SnapshotError`, :class:`FileError`
    (also an ``OSError``) and :class:`UnknownIdError` (also a ``KeyError``).
"""

from ._wangge import (
    NO_OWNER,
    City,
    CodeError,
    DataError,
    DispatchResult,
    Dispatcher,
    FileError,
    GeometryError,
    HierarchyError,
    Located,
    ManifestError,
    Region,
    SnapshotError,
    UnknownIdError,
    WanggeError,
    __version__,
)

#: CRS names accepted by every ``crs=`` argument (case-insensitive; EPSG:4326/4490 and the
#: hyphenated forms "gcj-02", "bd-09" are accepted too).
CRS_NAMES = ("wgs84", "cgcs2000", "gcj02", "bd09")

__all__ = [
    "CRS_NAMES",
    "NO_OWNER",
    "City",
    "CodeError",
    "DataError",
    "DispatchResult",
    "Dispatcher",
    "FileError",
    "GeometryError",
    "HierarchyError",
    "Located",
    "ManifestError",
    "Region",
    "SnapshotError",
    "UnknownIdError",
    "WanggeError",
    "__version__",
]
