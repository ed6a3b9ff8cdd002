"""Type stubs of the compiled extension ``wangge._wangge`` (hand-written)."""

import os
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union, final, overload

import numpy as np
import numpy.typing as npt

__all__ = [
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
    "NO_OWNER",
    "Region",
    "SnapshotError",
    "UnknownIdError",
    "WanggeError",
    "__version__",
]

__version__: str
NO_OWNER: int

_Path = Union[str, "os.PathLike[str]"]
_Coords = npt.ArrayLike
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
    def from_manifest(path: _Path) -> City:
        """Builds a city from a manifest (TOML, or JSON by extension).

        Raises FileError (an OSError) for a missing file, ManifestError, GeometryError,
        HierarchyError, CodeError or DataError for bad content."""
    @staticmethod
    def load(path: _Path) -> City:
        """Loads a snapshot file or builds from a manifest, whichever the file is."""
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
    @overload
    def locate(self, lon: float, lat: float, crs: _Crs = "wgs84") -> Optional[Located]:
        """The owner of each point.

        Scalars give a :class:`Located` (or None); 1-D arrays give an int64 array of region
        ids with -1 where there is no owner (outside every region, or a NaN/infinite
        coordinate). The GIL is released while the batch runs.

        >>> ids = city.locate(np.array([114.265, 0.0]), np.array([30.58, 0.0]))
        >>> int(ids[1])
        -1
        """
    @overload
    def locate(
        self, lon: _Coords, lat: _Coords, crs: _Crs = "wgs84"
    ) -> npt.NDArray[np.int64]: ...
    def locate_levels(
        self, lon: _Coords, lat: _Coords, crs: _Crs = "wgs84"
    ) -> npt.NDArray[np.int64]:
        """Region id at every level for each point: shape ``(n, len(levels))``, -1 where the
        owner lies above that level or there is no owner."""
    def locate_codes(self, lon: _Coords, lat: _Coords, crs: _Crs = "wgs84") -> Any:
        """A pandas DataFrame with one column of codes per level (None where there is no
        owner at that level). Raises ImportError without pandas."""

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
    def to_dict(self) -> Dict[str, Any]: ...

@final
class Dispatcher:
    """Code table, departments, assets and live resources of a city.

    >>> d = Dispatcher.from_manifest("data/wuhan.toml")
    >>> d.dispatch(114.2712, 30.5851, "0103", crs="gcj02").department
    'D420100-SWJ'
    """

    @staticmethod
    def from_manifest(path: _Path) -> Dispatcher:
        """Builds the city and its dispatcher from a manifest with a ``[dispatch]`` section."""
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
    def nearest_assets(
        self,
        lon: _Coords,
        lat: _Coords,
        k: int = 1,
        max_distance: Optional[float] = None,
        classes: Union[None, str, Sequence[str]] = None,
        return_distance: Literal[False] = False,
        crs: _Crs = "wgs84",
    ) -> npt.NDArray[np.int64]:
        """The ``k`` nearest assets of each point, in exact geodesic order (WGS84 ellipsoid),
        ties by id.

        Returns an int64 array of shape ``(2, m)``: row 0 the input index, row 1 the index
        into ``asset_ids`` (shapely ``STRtree.query_nearest`` style); with
        ``return_distance=True`` also the distances in metres. ``classes`` keeps assets whose
        class starts with one of the given prefixes. A point that is NaN or out of range, or
        a negative ``max_distance``, yields no pairs."""
    @overload
    def nearest_assets(
        self,
        lon: _Coords,
        lat: _Coords,
        k: int = 1,
        max_distance: Optional[float] = None,
        classes: Union[None, str, Sequence[str]] = None,
        *,
        return_distance: Literal[True],
        crs: _Crs = "wgs84",
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
    def asset_table(self) -> Dict[str, Any]:
        """The assets as columns (``id``, ``class``, ``name``, ``state``, ``lon``, ``lat``,
        ``region``, ``main_dept``), ready for ``pandas.DataFrame``; row ``i`` is
        ``asset_ids[i]``."""
    def update_positions(
        self, ids: Sequence[str], lon: _Coords, lat: _Coords, crs: _Crs = "wgs84"
    ) -> int:
        """Moves live resources; all-or-nothing (UnknownIdError or WanggeError change
        nothing). Returns the new resource version."""
