"""Type stubs of the compiled extension ``wangge._wangge`` (hand-written)."""

import os
from typing import (
    Any,
    Dict,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    final,
    overload,
)

import numpy as np
import numpy.typing as npt

__all__ = [
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
    "NO_OWNER",
    "Preview",
    "Region",
    "SnapshotError",
    "UnknownIdError",
    "ValidationReport",
    "Version",
    "VersionError",
    "WanggeError",
    "__version__",
    "_locate_native_seconds",
    "_panic_for_tests",
    "case_columns",
    "case_stats_columns",
    "case_stats_csv",
    "diff",
    "h3_aggregate",
    "h3_cells",
    "h3_cover",
    "h3_cover_level",
    "h3_hexagons",
    "hotspots_columns",
    "hotspots_csv",
    "validate_geojson",
]

__version__: str
NO_OWNER: int

_Path = Union[str, "os.PathLike[str]"]
_Coords = npt.ArrayLike
# Point geometries: a shapely Point (or anything with __geo_interface__), or a sequence,
# object array or GeoSeries of them.
_Points = Any
# One level's GeoJSON: text, a path, a mapping, a list of features, or a __geo_interface__
# object such as a GeoDataFrame.
_LevelSource = Any
_Levels = Union[Mapping[str, Any], Sequence[Tuple[str, Any]]]
_PerLevel = Union[None, str, Mapping[str, str]]
_Crs = str  # "wgs84" | "cgcs2000" | "gcj02" | "bd09" (case-insensitive, EPSG forms accepted)

class WanggeError(ValueError):
    """Base class of every error raised by wangge (a ValueError)."""

class GeometryError(WanggeError):
    """Short/unclosed ring, NaN/infinite or out-of-range coordinate, self-intersection,
    or not a Polygon/MultiPolygon."""

class HierarchyError(WanggeError):
    """Duplicate codes, unknown or missing parents, a child outside its parent,
    or a bad level definition."""

class CodeError(WanggeError):
    """A malformed grid code, class code or component id."""

class DataError(WanggeError):
    """Malformed GeoJSON, table or property, a duplicate id, or a generator failure."""

class ManifestError(WanggeError):
    """A manifest could not be read or is inconsistent."""

class SnapshotError(WanggeError):
    """Corrupt, truncated, foreign or other-version snapshot bytes."""

class EditError(WanggeError):
    """A planner edit cannot be applied (unknown or retired code, a line missing its grid,
    grids of different communities, a code in use, an edited city that does not build)."""

class VersionError(WanggeError):
    """A planner version operation was refused (unknown version, a preview with errors or
    made on a version no longer current, an unreadable history file)."""

class FileError(WanggeError, OSError):
    """A file could not be read or written (also an OSError)."""

class UnknownIdError(WanggeError, KeyError):
    """An unknown asset, resource or department id (also a KeyError)."""

@final
class Region:
    """One region: district, street, community or unit grid."""

    @property
    def id(self) -> int:
        """Region id: its index in the city (ids are ordered by level, then code)."""
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> int:
        """Level index, 0 = top."""
    @property
    def level_name(self) -> str: ...
    @property
    def parent(self) -> Optional[int]:
        """Parent region id, None on the top level."""
    @property
    def children(self) -> List[int]: ...
    @property
    def area_m2(self) -> float:
        """Geodesic area on the WGS84 ellipsoid, m²."""
    @property
    def __geo_interface__(self) -> Dict[str, Any]:
        """GeoJSON-like MultiPolygon in WGS84 lon/lat (``shapely.geometry.shape`` reads it)."""
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Located:
    """The owner of a point and its ancestors (a scalar ``City.locate`` result)."""

    @property
    def id(self) -> int:
        """Id of the owning (deepest) region."""
    @property
    def leaf(self) -> Region: ...
    @property
    def chain(self) -> List[Region]:
        """The owner and its ancestors, top level first."""
    @property
    def codes(self) -> List[str]:
        """Codes of the chain, top level first."""
    @property
    def names(self) -> List[str]: ...
    @property
    def levels(self) -> List[str]:
        """Level names of the chain, top level first."""
    def to_dict(self) -> Dict[str, str]:
        """``{level name: code}``."""
    def __len__(self) -> int: ...

@final
class City:
    """A built, immutable city: levels, regions and the exact point-to-owner index.

    Picklable (through its snapshot bytes), so it can be sent to worker processes.

    >>> city = City.from_manifest("data/wuhan.toml")
    >>> city.locate(114.2712, 30.5851, crs="gcj02").codes[0]
    '420103'
    """

    @staticmethod
    def from_manifest(
        path: _Path, *, limits: Optional[Mapping[str, Optional[int]]] = None
    ) -> City:
        """Builds a city from a manifest (TOML, or JSON by extension).

        ``limits`` overrides limits on the GeoJSON level files over the manifest's
        ``[limits]`` table: ``{"max_features": 2_000_000, "max_file_bytes": None}`` (None =
        no limit). Names: max_file_bytes (default 256 MiB, checked before a file is read),
        max_features (1,000,000 per level), max_vertices (8,000,000 positions per level),
        max_ring_vertices (1,000,000), max_rings (2,000,000 per level), max_feature_rings
        (10,000), and max_snapshot_bytes (1 GiB, for :meth:`load` of a snapshot, checked
        from its header before it is read). A file over a limit raises DataError naming the
        file, the limit and where.

        Raises FileError (an OSError) for a missing file, ManifestError, GeometryError,
        HierarchyError, CodeError or DataError for bad content; WanggeError for an unknown
        limit name."""
    @staticmethod
    def load(
        path: _Path, *, limits: Optional[Mapping[str, Optional[int]]] = None
    ) -> City:
        """Loads a snapshot file or builds from a manifest, whichever the file is
        (``limits`` as in :meth:`from_manifest`)."""
    @staticmethod
    def from_geojson(
        levels: _Levels,
        *,
        code_property: _PerLevel = None,
        name_property: _PerLevel = None,
        parent_property: _PerLevel = None,
        crs: _Crs = "wgs84",
        code_scheme: Optional[Literal["standard", "free"]] = None,
        parent_tolerance_m: float = 1.0,
        check_validity: bool = True,
        limits: Optional[Mapping[str, Optional[int]]] = None,
    ) -> City:
        """Builds a city from one GeoJSON FeatureCollection per level, top level first.

        ``levels`` is a dict ``{level name: source}`` (in order) or a list of ``(name,
        source)`` pairs. A source is GeoJSON text, a path (``pathlib.Path``), a mapping, a
        list of features, or anything with ``__geo_interface__`` (a GeoDataFrame); the
        geometries inside may be shapely geometries. ``code_property`` (default ``"code"``),
        ``name_property`` (default ``"name"``) and ``parent_property`` (default: parents by
        containment) are one name or a dict by level. ``code_scheme=None`` infers "standard"
        when every code is a GB/T 30428.1 code, "free" otherwise.

        Every check of the core applies: GeometryError, HierarchyError, CodeError and
        DataError name level, feature index and code. ``limits`` bounds each level's
        document (names and defaults in :meth:`from_manifest`; a text's length counts as its
        file size).

        >>> grids = {"type": "FeatureCollection", "features": [{"type": "Feature",
        ...     "properties": {"code": "g1"}, "geometry": shapely.box(0, 0, 1, 1)}]}
        >>> City.from_geojson({"grid": grids}).locate(0.5, 0.5).codes
        ['g1']
        """
    @staticmethod
    def from_geodataframes(
        levels: _Levels,
        *,
        code_column: _PerLevel = None,
        name_column: _PerLevel = None,
        parent_column: _PerLevel = None,
        crs: Optional[_Crs] = None,
        code_scheme: Optional[Literal["standard", "free"]] = None,
        parent_tolerance_m: float = 1.0,
        check_validity: bool = True,
        limits: Optional[Mapping[str, Optional[int]]] = None,
    ) -> City:
        """Builds a city from one GeoDataFrame per level, top level first (``levels`` and
        ``limits`` as in :meth:`from_geojson`; columns default to ``code`` and ``name``,
        parents by containment unless ``parent_column`` is given).

        ``crs=None`` follows each frame's CRS: unset means WGS84, EPSG:4326/4490 are WGS84,
        anything else is reprojected to EPSG:4326 first. ``crs="gcj02"`` or ``"bd09"`` says
        the coordinates are in that system (the frame's CRS must then be unset or 4326/4490).
        ``City.from_geodataframes({l: city.to_geodataframe(l) for l in city.levels},
        parent_column="parent")`` rebuilds ``city``."""
    @staticmethod
    def from_bytes(data: Union[bytes, bytearray]) -> City:
        """Rebuilds a city from ``to_bytes()`` output; SnapshotError for corrupt bytes."""
    def to_bytes(self) -> bytes:
        """Snapshot bytes: versioned and CRC-checked."""
    def save(self, path: _Path) -> None:
        """Writes a snapshot file."""
    def __reduce__(self) -> Tuple[Any, Tuple[bytes]]: ...
    @property
    def levels(self) -> List[str]:
        """Level names, top first."""
    @property
    def codes(self) -> List[str]:
        """Region codes by id."""
    def level_ids_of(self, level: Union[str, int]) -> List[int]:
        """Region ids of one level, in code order."""
    def __len__(self) -> int:
        """Number of regions."""
    def region(self, id: int) -> Region:
        """A region by id (IndexError outside ``range(len(city))``)."""
    def by_code(self, code: str) -> Optional[int]:
        """The id of the region with this code, or None."""
    def to_geojson(self, level: Union[str, int], crs: _Crs = "wgs84") -> str:
        """One level as GeoJSON text: a FeatureCollection whose features carry ``code``,
        ``name``, ``level``, ``parent`` (the parent's code or null) and ``area_m2``, with
        coordinates converted to ``crs``."""
    def to_geodataframe(self, level: Union[str, int], crs: _Crs = "wgs84") -> Any:
        """One level as a GeoDataFrame indexed by region id, with columns ``code``, ``name``,
        ``level``, ``parent`` (code or None), ``area_m2`` and ``geometry``. Its CRS is
        EPSG:4326 for ``crs="wgs84"`` and unset for GCJ-02 / BD-09 (they have no EPSG code).
        Needs geopandas.

        >>> gdf = city.to_geodataframe("grid")
        >>> gdf.loc[city.locate(114.2712, 30.5851, crs="gcj02").id, "code"][:6]
        '420103'
        """
    @overload
    def locate(self, lon: float, lat: float, crs: _Crs = "wgs84") -> Optional[Located]:
        """The owner of each point.

        Scalars give a :class:`Located` (or None); 1-D arrays give an int64 array of region
        ids with -1 where there is no owner (outside every region, or a NaN/infinite
        coordinate). With ``lat`` omitted, ``lon`` holds Point geometries: one shapely Point
        (or ``__geo_interface__`` object) gives a :class:`Located` or None, a sequence,
        object array or GeoSeries of them gives ids. The GIL is released while the batch
        runs.

        >>> ids = city.locate(np.array([114.265, 0.0]), np.array([30.58, 0.0]))
        >>> int(ids[1])
        -1
        >>> int(city.locate(shapely.points([114.265, 0.0], [30.58, 0.0]))[1])
        -1
        """
    @overload
    def locate(
        self, lon: _Coords, lat: _Coords, crs: _Crs = "wgs84"
    ) -> npt.NDArray[np.int64]: ...
    @overload
    def locate(self, lon: _Points, lat: None = None, crs: _Crs = "wgs84") -> Any: ...
    def locate_levels(
        self, lon: Union[_Coords, _Points], lat: Optional[_Coords] = None, crs: _Crs = "wgs84"
    ) -> npt.NDArray[np.int64]:
        """Region id at every level for each point: shape ``(n, len(levels))``, -1 where the
        owner lies above that level or there is no owner. Points as in :meth:`locate`."""
    def locate_codes(
        self, lon: Union[_Coords, _Points], lat: Optional[_Coords] = None, crs: _Crs = "wgs84"
    ) -> Any:
        """A pandas DataFrame with one column of codes per level (None where there is no
        owner at that level). Points as in :meth:`locate`. Raises ImportError without
        pandas."""

@final
class DispatchResult:
    """Everything a handler needs for one report."""

    @property
    def lon(self) -> float:
        """The report's point, WGS84."""
    @property
    def lat(self) -> float: ...
    @property
    def chain(self) -> List[Dict[str, str]]:
        """``[{"level", "code", "name"}, …]``, top level first; empty outside the city."""
    @property
    def codes(self) -> List[str]: ...
    @property
    def category(self) -> str: ...
    @property
    def category_name(self) -> str: ...
    @property
    def departments(self) -> List[Dict[str, Any]]:
        """``[{"code", "name", "reason": {"rule": "asset_main" | "responsible" |
        "territorial", …}}, …]``, responsible first, then alternates."""
    @property
    def department(self) -> Optional[str]:
        """Code of the first (responsible) department."""
    @property
    def workers(self) -> List[Dict[str, Any]]:
        """``[{"id", "distance_m", "same_grid"}, …]``, same grid first, then nearest."""
    @property
    def assets(self) -> List[Dict[str, Any]]:
        """``[{"id", "class", "state", "distance_m"}, …]`` of the reported class."""
    @property
    def nearby(self) -> Dict[str, List[Dict[str, Any]]]:
        """Extra nearby lists by label (default: ``"hydrants"``)."""
    @property
    def __geo_interface__(self) -> Dict[str, Any]:
        """A FeatureCollection (WGS84) of Points: the report (``role`` "report", with
        category, department and grid) and every asset found (``role`` "asset" or the
        nearby label, with id, class, state and distance_m). ``geopandas.GeoDataFrame.
        from_features(result)`` reads it."""
    def to_dict(self) -> Dict[str, Any]: ...

@final
class Asset:
    """One asset (部件) of the inventory, as ``Dispatcher.asset`` returns it."""

    @property
    def id(self) -> str:
        """Component id (16-digit legacy or 17-digit GB/T 47678.5)."""
    @property
    def index(self) -> int:
        """Index into ``Dispatcher.asset_ids`` (what ``nearest`` and ``within`` return)."""
    @property
    def class_code(self) -> str:
        """Class code embedded in the id, e.g. ``"0103"`` (雨水井盖)."""
    @property
    def name(self) -> str: ...
    @property
    def state(self) -> str:
        """intact, damaged, lost, abandoned or removed."""
    @property
    def lon(self) -> float:
        """WGS84."""
    @property
    def lat(self) -> float:
        """WGS84."""
    @property
    def region(self) -> Optional[int]:
        """Id of the region owning its position; None outside the city."""
    @property
    def main_dept(self) -> Optional[str]:
        """主管 (regulating) department code."""
    @property
    def owner_dept(self) -> Optional[str]:
        """权属 (owning) department code."""
    @property
    def maintainer_dept(self) -> Optional[str]:
        """养护 (maintaining) department code."""
    @property
    def attributes(self) -> Dict[str, str]: ...
    @property
    def __geo_interface__(self) -> Dict[str, Any]:
        """GeoJSON-like Point in WGS84 lon/lat."""
    def to_dict(self) -> Dict[str, Any]: ...

@final
class Dispatcher:
    """Code table, departments, assets and live resources of a city.

    >>> d = Dispatcher.from_manifest("data/wuhan.toml")
    >>> d.dispatch(114.2712, 30.5851, "0103", crs="gcj02").department
    'D420100-SWJ'
    """

    @staticmethod
    def from_manifest(
        path: _Path, *, limits: Optional[Mapping[str, Optional[int]]] = None
    ) -> Dispatcher:
        """Builds the city and its dispatcher from a manifest with a ``[dispatch]`` section
        (``limits`` as in :meth:`City.from_manifest`)."""
    @property
    def city(self) -> City:
        """The city (shared, not copied)."""
    @property
    def asset_ids(self) -> List[str]:
        """Asset ids, sorted: ``nearest_assets`` indexes into this list."""
    @property
    def resource_ids(self) -> List[str]: ...
    @property
    def resource_version(self) -> int: ...
    def resource(self, id: str) -> Dict[str, Any]:
        """A live resource (id, kind, lon, lat in WGS84, on_duty, home_grid);
        UnknownIdError for an unknown id."""
    def dispatch(
        self,
        lon: float,
        lat: float,
        category: str,
        crs: _Crs = "wgs84",
        asset_id: Optional[str] = None,
        workers: int = 3,
    ) -> DispatchResult:
        """Dispatches one report of ``category`` (component class or event code).

        CodeError for an unknown category, UnknownIdError for an unknown asset id,
        WanggeError for a point that is not finite or out of range."""
    @overload
    def nearest(
        self,
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        k: int = 1,
        max_distance: Optional[float] = None,
        *,
        classes: Union[None, str, Sequence[str]] = None,
        states: Union[None, str, Sequence[str]] = None,
        return_distance: Literal[False] = False,
        crs: _Crs = "wgs84",
    ) -> npt.NDArray[np.int64]:
        """The ``k`` nearest assets of each point, in exact geodesic order (WGS84 ellipsoid),
        ties by id.

        Returns an int64 array of shape ``(2, m)``: row 0 the input index, row 1 the index
        into ``asset_ids`` (shapely ``STRtree.query_nearest`` style); with
        ``return_distance=True`` also the distances in metres. Filters: ``classes`` keeps
        assets whose class starts with one of the given prefixes, ``states`` those in one of
        the given states (Chinese or English names). Points as in :meth:`City.locate`. A
        point that is NaN or out of range, or a negative ``max_distance``, yields no pairs.
        Runs in parallel with the GIL released.

        >>> pairs, metres = d.nearest([114.2650], [30.5800], k=2, classes="0113",
        ...                           return_distance=True)       # the two nearest hydrants
        >>> pairs.shape, bool(metres[0] <= metres[1])
        ((2, 2), True)
        """
    @overload
    def nearest(
        self,
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        k: int = 1,
        max_distance: Optional[float] = None,
        *,
        classes: Union[None, str, Sequence[str]] = None,
        states: Union[None, str, Sequence[str]] = None,
        return_distance: Literal[True],
        crs: _Crs = "wgs84",
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
    @overload
    def nearest_assets(
        self,
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        k: int = 1,
        max_distance: Optional[float] = None,
        *,
        classes: Union[None, str, Sequence[str]] = None,
        states: Union[None, str, Sequence[str]] = None,
        return_distance: Literal[False] = False,
        crs: _Crs = "wgs84",
    ) -> npt.NDArray[np.int64]:
        """The same as :meth:`nearest` (its earlier name)."""
    @overload
    def nearest_assets(
        self,
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        k: int = 1,
        max_distance: Optional[float] = None,
        *,
        classes: Union[None, str, Sequence[str]] = None,
        states: Union[None, str, Sequence[str]] = None,
        return_distance: Literal[True],
        crs: _Crs = "wgs84",
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
    @overload
    def within(
        self,
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        distance: Optional[float] = None,
        *,
        classes: Union[None, str, Sequence[str]] = None,
        states: Union[None, str, Sequence[str]] = None,
        return_distance: Literal[False] = False,
        crs: _Crs = "wgs84",
    ) -> npt.NDArray[np.int64]:
        """Every asset within ``distance`` metres (geodesic, inclusive) of each point:
        ``(2, m)`` ``[input_index, asset_index]`` pairs, nearest first per point (ties by
        id), plus the distances with ``return_distance=True``. Filters as in
        :meth:`nearest`. ``distance`` is required (TypeError without it, ValueError when
        negative); with Point geometries pass it by keyword: ``within(points,
        distance=200)``."""
    @overload
    def within(
        self,
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        distance: Optional[float] = None,
        *,
        classes: Union[None, str, Sequence[str]] = None,
        states: Union[None, str, Sequence[str]] = None,
        return_distance: Literal[True],
        crs: _Crs = "wgs84",
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
    def asset(self, key: Union[str, int]) -> Asset:
        """One asset by id (UnknownIdError if unknown) or by index into ``asset_ids``
        (IndexError outside the range)."""
    def dispatch_many(
        self,
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        category: Union[None, str, Sequence[str]] = None,
        crs: _Crs = "wgs84",
        asset_id: Optional[Sequence[Optional[str]]] = None,
        workers: int = 3,
        errors: Literal["raise", "ignore"] = "raise",
    ) -> Any:
        """Dispatches many reports in parallel (GIL released) into a pandas DataFrame, one
        row per report: ``lon``, ``lat`` (WGS84), one code column per level, ``category``,
        ``category_name``, ``department``, ``department_name``, ``department_rule``,
        ``departments`` (list of codes), ``workers`` (list of ids), ``nearest_worker_m``,
        ``assets`` (list of ids), ``nearest_asset_m``, ``hydrants`` (list of ids) and
        ``nearest_hydrants_m``. Row ``i`` holds what :meth:`dispatch` returns for report
        ``i``.

        ``category`` is one code for every report or one per report; ``asset_id`` None or
        one id (or None) per report. ``errors="raise"`` raises the first bad report's error
        (message "report i: …", same class as :meth:`dispatch` raises); ``errors="ignore"``
        leaves that row empty and adds an ``error`` column with the message."""
    def asset_table(self) -> Dict[str, Any]:
        """The assets as columns (``id``, ``class``, ``name``, ``state``, ``lon``, ``lat``,
        ``region``, ``main_dept``), ready for ``pandas.DataFrame``; row ``i`` is
        ``asset_ids[i]``."""
    def update_positions(
        self,
        ids: Sequence[str],
        lon: Union[_Coords, _Points],
        lat: Optional[_Coords] = None,
        crs: _Crs = "wgs84",
    ) -> int:
        """Moves live resources; all-or-nothing (UnknownIdError or WanggeError change
        nothing). Returns the new resource version."""

def _locate_native_seconds(
    city: City, lon: _Coords, lat: _Coords, crs: _Crs = "wgs84", repeats: int = 5
) -> List[float]:
    """Benchmark hook (python/benches/overhead.py): seconds of each of ``repeats`` runs of
    the core's ``City::locate_many_in`` on these arrays, timed in Rust."""

def _panic_for_tests() -> None:
    """Test hook: a Rust panic inside a core call; raises WanggeError ("internal error")."""

# --- case statistics and H3 (wangge.analytics wraps these) ---------------------------------

_Source = Union[City, Dispatcher]
_Columns = Optional[Mapping[str, str]]
# One typed column: ("number", float64), ("time", int64 seconds) or ("text", int64 codes, names).
_TypedColumn = Union[Tuple[str, npt.ArrayLike], Tuple[str, npt.ArrayLike, List[str]]]

@final
class CaseStats:
    """What ``case_stats`` found: counts and indicators per region of every level and per
    department, the cases outside every region, the bad rows, and H3 cell counts."""

    @property
    def rows(self) -> int:
        """Data rows read, good and bad."""
    @property
    def levels(self) -> List[str]:
        """The level names (top first), for ``level()``."""
    @property
    def indicators(self) -> List[str]:
        """The indicator keys computed."""
    @property
    def total(self) -> Dict[str, Any]:
        """Counters and rates of every good row (a rate is None when undefined)."""
    @property
    def outside(self) -> Dict[str, Any]:
        """Counters and rates of the cases no region owns."""
    @property
    def no_department(self) -> int:
        """Cases without a department."""
    @property
    def h3_res(self) -> Optional[int]:
        """The H3 resolution of the cell counts (None when none was asked for)."""
    def level(self, level: Union[str, int]) -> Any:
        """One level as a DataFrame indexed by region id: code, name, parent, the counters
        and the rates (NaN when undefined)."""
    def departments(self) -> Any:
        """Per department: code, name, the counters and the rates (a DataFrame)."""
    def problems(self) -> Any:
        """The bad rows left out: row, line (CSV only), column, value, reason (a DataFrame)."""
    def h3(self, by_category: bool = False) -> Any:
        """H3 cell counts: h3, count (and category with ``by_category=True``)."""
    def h3_geojson(self) -> str:
        """The H3 counts as GeoJSON text."""

def case_columns(columns: _Columns = None) -> List[Tuple[str, str]]:
    """The case table's column names by role: the defaults with ``columns`` applied."""

def case_stats_csv(
    source: _Source,
    path: _Path,
    *,
    columns: _Columns = None,
    crs: _Crs = "wgs84",
    h3_res: Optional[int] = None,
    indicators: Optional[Sequence[str]] = None,
    skip_invalid: bool = False,
    chunk_rows: Optional[int] = None,
    encoding: str = "auto",
) -> CaseStats:
    """Reads a case CSV in chunks and aggregates it; ``encoding``: "auto" (UTF-8, or GBK/GB18030
    detected), "utf-8" or "gbk"."""

def case_stats_columns(
    source: _Source,
    table: Dict[str, _TypedColumn],
    *,
    source_name: str = "DataFrame",
    columns: _Columns = None,
    crs: _Crs = "wgs84",
    h3_res: Optional[int] = None,
    indicators: Optional[Sequence[str]] = None,
    skip_invalid: bool = False,
    chunk_rows: Optional[int] = None,
) -> CaseStats:
    """Aggregates an in-memory case table of typed columns."""

def h3_cells(
    lon: Union[_Coords, _Points], lat: Optional[_Coords] = None, res: int = 9, *, crs: _Crs = "wgs84"
) -> List[Optional[str]]:
    """The H3 cell of each point (PyPI ``h3`` ids; None where there is none)."""

def h3_aggregate(
    lon: Union[_Coords, _Points],
    lat: Optional[_Coords] = None,
    res: int = 9,
    *,
    weights: Optional[_Coords] = None,
    crs: _Crs = "wgs84",
) -> Tuple[List[str], npt.NDArray[np.float64]]:
    """Sum of weights (1 each without) per H3 cell, sorted by id."""

def h3_hexagons(cells: Sequence[str]) -> str:
    """Hexagons of H3 cells as GeoJSON text (property ``h3``)."""

def h3_cover(city: City, region: Union[str, int], res: int) -> List[str]:
    """A region's H3 cover: cells whose centre lies in it, sorted."""

def h3_cover_level(
    city: City, level: Union[str, int], res: int
) -> Tuple[npt.NDArray[np.int64], List[str]]:
    """The H3 cover of every region of a level: (region ids, h3 ids), one pair per cell."""

@final
class Hotspots:
    """What a hot-spot search found: clusters, region and asset rankings, bad rows."""

    @property
    def radius_m(self) -> float:
        """The radius, metres."""
    @property
    def days(self) -> float:
        """The window, days."""
    @property
    def min_cases(self) -> int:
        """Smallest cluster reported."""
    @property
    def rows(self) -> int:
        """Data rows read (good and bad)."""
    @property
    def cases(self) -> int:
        """Cases considered (good rows)."""
    @property
    def repeat_cases(self) -> int:
        """Cases in reported clusters."""
    @property
    def outside_repeat_cases(self) -> int:
        """Repeat cases no region owns."""
    @property
    def levels(self) -> List[str]:
        """The level names (top first), for ``regions()``."""
    def clusters(self) -> Any:
        """The clusters as a DataFrame indexed by cluster id (rank, from 1)."""
    def regions(self, level: Union[str, int]) -> Any:
        """One level's regions ranked by repeat cases (a DataFrame indexed by region id)."""
    def assets_ranking(self) -> Any:
        """With a dispatcher: assets ranked by repeat cases (a DataFrame); else None."""
    def problems(self) -> Any:
        """The bad rows left out: row, line (CSV only), column, value, reason."""
    def to_dict(self) -> Dict[str, Any]:
        """The whole report as a dict."""
    def to_geojson(self) -> Dict[str, Any]:
        """The clusters as a GeoJSON FeatureCollection (dict)."""
    def __len__(self) -> int: ...

def hotspots_csv(
    source: _Source,
    path: _Path,
    radius_m: float,
    days: float,
    *,
    min_cases: int = 2,
    columns: _Columns = None,
    crs: _Crs = "wgs84",
    skip_invalid: bool = False,
    chunk_rows: Optional[int] = None,
    encoding: str = "auto",
) -> Hotspots:
    """Reads a case CSV and finds its repeat-case hot spots; ``encoding`` as for
    ``case_stats_csv``."""

def hotspots_columns(
    source: _Source,
    table: Dict[str, _TypedColumn],
    radius_m: float,
    days: float,
    *,
    source_name: str = "DataFrame",
    min_cases: int = 2,
    columns: _Columns = None,
    crs: _Crs = "wgs84",
    skip_invalid: bool = False,
) -> Hotspots:
    """Finds the hot spots of an in-memory case table of typed columns."""

@final
class ValidationReport:
    """Everything found by a validation run or in a preview's neighbourhood."""

    @property
    def valid(self) -> bool:
        """True when no finding is an error."""
    @property
    def errors(self) -> int:
        """Number of error findings."""
    @property
    def warnings(self) -> int:
        """Number of warning findings."""
    @property
    def levels(self) -> List[str]:
        """Level names, top first."""
    @property
    def features(self) -> List[int]:
        """Features checked per level."""
    @property
    def findings(self) -> List[Dict[str, Any]]:
        """The findings as dicts, errors first."""
    def to_dict(self) -> Dict[str, Any]:
        """The report as a dict."""
    def to_json(self) -> str:
        """The report as JSON text."""
    def to_text(self) -> str:
        """A summary and one line per finding."""
    def to_geojson(self) -> Dict[str, Any]:
        """One GeoJSON Feature per finding (dict)."""
    def __len__(self) -> int: ...

def validate_geojson(
    levels: _Levels,
    *,
    code_property: _PerLevel = None,
    name_property: _PerLevel = None,
    parent_property: _PerLevel = None,
    crs: _Crs = "wgs84",
    code_scheme: Optional[str] = None,
    options: Optional[Dict[str, Any]] = None,
) -> ValidationReport:
    """Validates levels given as in ``City.from_geojson``."""

_Edits = Union[str, Mapping[str, Any], Sequence[Mapping[str, Any]]]

@final
class Version:
    """One committed version: an immutable city and how it came to be."""

    @property
    def number(self) -> int:
        """1 for the first version, +1 per commit or rollback."""
    @property
    def parent(self) -> Optional[int]:
        """The version it was made from (None for the first)."""
    @property
    def city(self) -> City:
        """Its city (shared)."""
    @property
    def edits(self) -> List[Dict[str, Any]]:
        """The edits that made it from its parent."""
    @property
    def note(self) -> str:
        """The note given at commit."""
    @property
    def retired(self) -> List[str]:
        """Every code retired up to this version, sorted."""

@final
class Diff:
    """The regions that differ between two cities, by code."""

    @property
    def counts(self) -> Dict[str, int]:
        """``{"added": n, "removed": n, "changed": n}``."""
    @property
    def regions(self) -> List[Dict[str, Any]]:
        """One dict per region that differs."""
    def to_dict(self) -> Dict[str, Any]:
        """The diff as a dict."""
    def to_json(self) -> str:
        """The diff as JSON text."""
    def to_text(self) -> str:
        """A readable summary."""
    def to_geojson(self) -> Dict[str, Any]:
        """The regions that differ as a FeatureCollection (dict)."""
    def __len__(self) -> int: ...

@final
class ImpactReport:
    """Everything a planner looks at before committing."""

    @property
    def valid(self) -> bool:
        """No error finding: the edits can be committed."""
    def to_dict(self) -> Dict[str, Any]:
        """The report as a dict."""
    def to_json(self) -> str:
        """The report as JSON text."""
    def to_text(self) -> str:
        """A readable summary."""
    def to_geojson(self) -> Dict[str, Any]:
        """Region changes and findings as a FeatureCollection (dict)."""

@final
class Preview:
    """An edit set applied to a version, not committed."""

    @property
    def valid(self) -> bool:
        """True when ``History.commit`` accepts it."""
    @property
    def base_version(self) -> int:
        """The version the edits were applied to."""
    @property
    def edits(self) -> List[Dict[str, Any]]:
        """The edits, as dicts."""
    @property
    def report(self) -> ValidationReport:
        """Findings about the touched regions and their parents."""
    @property
    def codes(self) -> Dict[str, List[str]]:
        """Codes created, retired, changed and stitched."""
    @property
    def city(self) -> City:
        """The candidate city."""
    @property
    def envelope(self) -> Optional[Tuple[float, float, float, float]]:
        """Bounding box of everything the edits touched."""
    def diff(self) -> Diff:
        """How the candidate differs from its base."""
    def impact(
        self,
        dispatcher: Optional[Dispatcher] = None,
        cases: Any = None,
        *,
        crs: _Crs = "wgs84",
    ) -> ImpactReport:
        """The impact report (assets, resources, home grids and cases that change grid)."""
    def to_geojson(self) -> Dict[str, Any]:
        """Region changes and findings as a FeatureCollection (dict)."""

@final
class History:
    """The versions of one city."""

    def __new__(
        cls,
        city: City,
        *,
        reuse_retired_codes: bool = False,
        parent_tolerance_m: float = 1.0,
        validate: Optional[Dict[str, Any]] = None,
    ) -> History: ...
    @staticmethod
    def load(
        dir: _Path,
        *,
        reuse_retired_codes: bool = False,
        parent_tolerance_m: float = 1.0,
        validate: Optional[Dict[str, Any]] = None,
    ) -> History:
        """Loads a history saved by ``save``."""
    def save(self, dir: _Path) -> None:
        """Saves every version into ``dir``."""
    @property
    def options(self) -> Dict[str, Any]:
        """The options edits are checked with."""
    @property
    def current(self) -> Version:
        """The current version."""
    def version(self, number: int) -> Optional[Version]:
        """Version ``number``, or None."""
    @property
    def versions(self) -> List[Version]:
        """Every version, oldest first."""
    def preview(self, edits: _Edits) -> Preview:
        """Applies an edit set to the current version without committing."""
    def commit(self, preview: Preview, note: str = "") -> Version:
        """Makes a valid preview the current version."""
    def rollback(self, number: int, note: str = "") -> Version:
        """Makes version ``number``'s city current again, as a new version."""
    def __len__(self) -> int: ...

def diff(old: City, new: City) -> Diff:
    """Compares two cities region by region (matched by code)."""
