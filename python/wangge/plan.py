"""Planner tools (规划编辑): validate a partition, edit unit grids as transactions, versions.

Thin wrappers over ``wangge::validate`` and ``wangge::plan``: every check, cut, code and
report is computed in Rust; this module only converts.

Validation
    :func:`validate` checks levels given as in :meth:`City.from_geojson` (or a built
    :class:`City`) and returns a :class:`ValidationReport` with every finding: invalid rings,
    overlaps, gaps, parts outside the parent, slivers, areas out of range, code format,
    uniqueness and prefix, serial order. :func:`geodataframe` draws any report.

Edits, previews, versions
    ``History(city)`` holds immutable versions. ``history.preview(edits)`` applies an edit set
    (dicts, see :meth:`History.preview`) and returns a :class:`Preview`: ``.valid``,
    ``.report``, ``.codes``, ``.city``, ``.diff()``, ``.impact(dispatcher, cases)``.
    ``history.commit(preview, note)`` makes it the next version; ``history.rollback(n)``
    brings an old city back as a new version; ``history.save(dir)`` / ``History.load(dir)``.
    :func:`diff` compares any two cities.

    >>> import wangge
    >>> city = wangge.City.from_manifest("data/wuhan.toml")
    >>> h = wangge.History(city)
    >>> grid = city.region(city.level_ids_of("grid")[0])
    >>> p = h.preview({"op": "replace", "grid": grid.code,
    ...                "geometry": grid.__geo_interface__["coordinates"]})
    >>> p.valid, p.codes["created"], len(p.diff())
    (True, [], 0)

Errors
    An edit that cannot be applied raises :class:`EditError` naming the edit's position and
    operation; a refused commit or rollback raises :class:`VersionError`. Neither changes
    anything.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import _wangge
from ._wangge import City, Diff, History, ImpactReport, Preview, ValidationReport, Version, diff

__all__ = [
    "Diff",
    "History",
    "ImpactReport",
    "Preview",
    "ValidationReport",
    "Version",
    "diff",
    "geodataframe",
    "validate",
]


def validate(
    levels: Any,
    *,
    code_property: Any = None,
    name_property: Any = None,
    parent_property: Any = None,
    crs: str = "wgs84",
    code_scheme: Optional[str] = None,
    **options: Any,
) -> ValidationReport:
    """Validates a partition and reports every problem found (it never raises on bad
    geometry or codes: they become findings).

    ``levels``: a :class:`City`, or levels as in :meth:`City.from_geojson` (a dict
    ``{level name: source}`` top level first, each source GeoJSON text, a path, a mapping,
    features or a GeoDataFrame; property names as one string or a dict by level).
    ``code_scheme``: ``"standard"`` (GB/T 30428.1 format, prefix and serial order),
    ``"free"`` (non-empty and unique only) or None (inferred from the codes). ``options``:
    thresholds by name (``overlap_min_area_m2``, ``gap_min_area_m2``, ``sliver_area_m2``,
    ``sliver_thinness``, ``area_warn_m2=(min, max)``, ``area_error_m2=(min, max)``,
    ``spike_angle_deg``; defaults in the Rust docs of ``wangge::validate``).
    """
    if isinstance(levels, City):
        city = levels
        levels = {name: city.to_geojson(name) for name in city.levels}
        code_property = code_property or "code"
        name_property = name_property or "name"
        parent_property = parent_property or "parent"
    for key in ("area_warn_m2", "area_error_m2"):
        if key in options and options[key] is not None:
            options[key] = list(options[key])
    return _wangge.validate_geojson(
        levels,
        code_property=code_property,
        name_property=name_property,
        parent_property=parent_property,
        crs=crs,
        code_scheme=code_scheme,
        options=options or None,
    )


def geodataframe(report: Any):
    """A GeoDataFrame (EPSG:4326) of anything with a ``to_geojson()`` returning a
    FeatureCollection (:class:`ValidationReport`, :class:`Diff`, :class:`ImpactReport`,
    :class:`Preview`, :class:`Hotspots`) or of a FeatureCollection itself; properties become
    columns, features without a geometry get None. Needs geopandas."""
    try:
        import geopandas as gpd
        import shapely
    except ImportError as e:  # pragma: no cover - geopandas is a test requirement
        raise ImportError(f"geodataframe needs geopandas (pip install geopandas): {e}") from e
    import pandas as pd

    fc = report.to_geojson() if hasattr(report, "to_geojson") else report
    if isinstance(fc, str):
        fc = json.loads(fc)
    features = fc.get("features", [])
    frame = pd.DataFrame([f.get("properties") or {} for f in features])
    geometry = [
        shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in features
    ]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
