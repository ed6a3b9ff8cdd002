"""Conversions between Python geometry objects and what the Rust core reads (private).

Only conversions: GeoJSON text for the core's reader, coordinate arrays for its queries, and
GeoDataFrames from the core's GeoJSON output. Every check and rule stays in Rust, so a bad
polygon here still fails there with a typed error naming level, feature and code.
"""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

import numpy as np

# CRS spellings GeoPandas / pyproj report for the geographic systems wangge reads as WGS84.
_WGS84_EPSG = (4326, 4490)


def _json_default(o: Any) -> Any:
    """json.dumps fallback: geometries by their __geo_interface__, numpy values as Python ones."""
    gi = getattr(o, "__geo_interface__", None)
    if gi is not None:
        return gi
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(
        f"cannot convert a {type(o).__name__} to GeoJSON "
        "(expected a geometry with __geo_interface__, a number or a string)"
    )


def feature_collection_text(obj: Any, what: str) -> str:
    """GeoJSON text of a FeatureCollection given as text, bytes, a mapping, a list of features,
    or anything with ``__geo_interface__`` (a GeoDataFrame, a ``geojson`` object, …).

    Geometries inside features may be shapely geometries or other ``__geo_interface__``
    objects; numpy numbers in properties become plain numbers."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode("utf-8")
    if _is_geodataframe(obj):
        return str(obj.to_json(drop_id=True))
    gi = getattr(obj, "__geo_interface__", None)
    if gi is not None:
        obj = gi
    if isinstance(obj, (list, tuple)):
        obj = {"type": "FeatureCollection", "features": list(obj)}
    if not isinstance(obj, dict) and hasattr(obj, "keys"):
        obj = dict(obj)
    if not isinstance(obj, dict):
        raise TypeError(
            f"{what}: expected GeoJSON text, a FeatureCollection mapping, a list of features, "
            f"a GeoDataFrame or an object with __geo_interface__; got {type(obj).__name__}"
        )
    return json.dumps(obj, default=_json_default, ensure_ascii=False)


def _is_geodataframe(obj: Any) -> bool:
    return type(obj).__name__ == "GeoDataFrame" and hasattr(obj, "to_json")


def geodataframe_source(gdf: Any, crs: Optional[str], what: str) -> Tuple[str, str]:
    """(GeoJSON text, CRS name for the core) of one GeoDataFrame.

    ``crs`` given: the coordinates are in that system (wgs84 / gcj02 / bd09), and the frame's
    own CRS must be unset or geographic EPSG:4326/4490 (GCJ-02 data is often labelled 4326).
    ``crs`` None: the frame's CRS decides; unset means WGS84, EPSG:4326/4490 is WGS84, any
    other CRS is reprojected to EPSG:4326 by GeoPandas first."""
    if not _is_geodataframe(gdf):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    frame_crs = gdf.crs
    epsg = frame_crs.to_epsg() if frame_crs is not None else None
    if crs is not None:
        if frame_crs is not None and epsg not in _WGS84_EPSG:
            raise ValueError(
                f"{what}: crs={crs!r} says the coordinates are geographic, but the "
                f"GeoDataFrame's CRS is {frame_crs}; reproject it or leave crs unset"
            )
        return str(gdf.to_json(drop_id=True)), crs
    if frame_crs is not None and epsg not in _WGS84_EPSG:
        gdf = gdf.to_crs(4326)
    return str(gdf.to_json(drop_id=True)), "wgs84"


def geodataframe_from_geojson(text: str, crs: str, ids: Any) -> Any:
    """A GeoDataFrame from the core's GeoJSON of one level, indexed by region id."""
    try:
        import geopandas
    except ImportError as e:  # pragma: no cover - exercised only without geopandas
        raise ImportError(
            "City.to_geodataframe needs geopandas (pip install geopandas, or wangge[geopandas])"
        ) from e
    features = json.loads(text)["features"]
    frame_crs = "EPSG:4326" if crs == "wgs84" else None
    columns = ["code", "name", "level", "parent", "area_m2", "geometry"]
    gdf = geopandas.GeoDataFrame.from_features(features, crs=frame_crs, columns=columns)
    gdf.index = np.asarray(ids, dtype=np.int64)
    gdf.index.name = "id"
    return gdf


def point_coords(obj: Any, what: str = "points") -> Tuple[Any, Any, bool]:
    """(lon, lat, is_scalar) of Point geometries.

    One geometry (shapely or anything with ``__geo_interface__``) gives two floats; a
    sequence, numpy object array or GeoSeries of them gives two float64 arrays. Missing or
    empty points become NaN (no owner); any other geometry type raises TypeError naming its
    position."""
    if _is_sequence_of_geometries(obj):
        return (*_array_coords(obj, what), False)
    gi = obj if isinstance(obj, dict) else getattr(obj, "__geo_interface__", None)
    if gi is None:
        raise TypeError(
            f"{what}: expected a Point geometry (shapely or __geo_interface__) or an array of "
            f"them, got {type(obj).__name__}; or pass lon and lat"
        )
    if gi.get("type") == "FeatureCollection":
        geoms = [f.get("geometry") for f in gi.get("features", [])]
        return (*_array_coords(geoms, what), False)
    x, y = _one_point(gi, what, None)
    return x, y, True


def _is_sequence_of_geometries(obj: Any) -> bool:
    if isinstance(obj, (list, tuple)):
        return True
    if isinstance(obj, np.ndarray):
        return True
    return type(obj).__name__ in ("GeoSeries", "GeometryArray")


def _one_point(gi: Any, what: str, index: Optional[int]) -> Tuple[float, float]:
    where = what if index is None else f"{what}[{index}]"
    if gi is None:
        return float("nan"), float("nan")
    if hasattr(gi, "__geo_interface__"):
        gi = gi.__geo_interface__
    if not isinstance(gi, dict):
        raise TypeError(f"{where}: expected a Point geometry, got {type(gi).__name__}")
    if gi.get("type") == "Feature":
        gi = gi.get("geometry")
        if gi is None:
            return float("nan"), float("nan")
    kind = gi.get("type")
    if kind != "Point":
        raise TypeError(f"{where}: expected a Point geometry, got a {kind}")
    coords = gi.get("coordinates")
    if coords is None or len(coords) == 0:
        return float("nan"), float("nan")
    return float(coords[0]), float(coords[1])


def _array_coords(obj: Any, what: str) -> Tuple[Any, Any]:
    arr = np.asarray(obj, dtype=object) if not isinstance(obj, np.ndarray) else obj
    if arr.dtype != object:
        raise TypeError(
            f"{what}: expected an array of Point geometries, got dtype {arr.dtype}; "
            "pass lon and lat for coordinate arrays"
        )
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got an array of shape {arr.shape}")
    try:
        import shapely
    except ImportError:
        shapely = None
    if (
        shapely is not None
        and len(arr)
        and bool(np.all(shapely.is_geometry(arr) | np.equal(arr, None)))
    ):
        kinds = shapely.get_type_id(arr)  # -1 for None, 0 for Point
        bad = np.flatnonzero((kinds != 0) & (kinds != -1))
        if bad.size:
            i = int(bad[0])
            raise TypeError(f"{what}[{i}]: expected a Point geometry, got a {arr[i].geom_type}")
        arr = np.where(shapely.is_empty(arr), None, arr)  # GEOS has no x of an empty point
        return shapely.get_x(arr).astype(np.float64), shapely.get_y(arr).astype(np.float64)
    lon = np.empty(len(arr), dtype=np.float64)
    lat = np.empty(len(arr), dtype=np.float64)
    for i, g in enumerate(arr):
        lon[i], lat[i] = _one_point(g, what, i)
    return lon, lat
