"""Pictures: a choropleth of any per-region figure and an H3 heat map (GeoPandas + matplotlib,
imported when called).

>>> import matplotlib; matplotlib.use("Agg")
>>> import wangge, wangge.plot
>>> city = wangge.City.from_manifest("data/wuhan.toml")
>>> ax = wangge.plot.choropleth(city, "district", {"420103": 1.0, "420102": 2.0})
>>> len(ax.collections) >= 1
True
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

import numpy as np

from ._wangge import City

__all__ = ["choropleth", "h3_heatmap", "level_values"]


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def level_values(city: City, level: Union[str, int], values: Any, column: Optional[str] = None):
    """``values`` as a float array aligned with the regions of ``level`` in id order (NaN where
    a region has none). ``values`` is one of: a DataFrame (``column`` names the figure; its
    index holds region ids, as :meth:`CaseStats.level` returns, or it has a ``code`` column),
    a Series or mapping keyed by region code (str) or region id (int), or an array with one
    value per region of the level (id order) or per region of the city (indexed by id)."""
    import pandas as pd

    ids = np.asarray(city.level_ids_of(level), dtype="int64")
    if isinstance(values, pd.DataFrame):
        if column is None:
            raise ValueError("choropleth of a DataFrame needs column= (the figure to draw)")
        if "code" in values.columns and values.index.name != "id":
            values = pd.Series(values[column].to_numpy(), index=values["code"].astype(str))
        else:
            values = values[column]
    if isinstance(values, Mapping):
        values = pd.Series(dict(values))
    if isinstance(values, pd.Series):
        keys = list(values.index)
        if keys and all(isinstance(k, str) for k in keys):
            codes = [city.region(int(i)).code for i in ids]
            out = values.reindex(codes)
        else:
            out = values.reindex(ids)
        return pd.to_numeric(out, errors="coerce").to_numpy(dtype="float64")
    arr = np.asarray(values, dtype="float64")
    if arr.ndim != 1:
        raise ValueError(f"values must be 1-D, got shape {arr.shape}")
    if len(arr) == len(ids):
        return arr
    if len(arr) == len(city):
        return arr[ids]
    raise ValueError(
        f"values has {len(arr)} items: expected one per region of the level ({len(ids)}) "
        f"or per region of the city ({len(city)})"
    )


def choropleth(
    city: City,
    level: Union[str, int],
    values: Any,
    ax: Any = None,
    *,
    column: Optional[str] = None,
    crs: str = "wgs84",
    cmap: str = "OrRd",
    legend: bool = True,
    label: Optional[str] = None,
    title: Optional[str] = None,
    edgecolor: str = "grey",
    linewidth: float = 0.1,
    missing_color: str = "lightgrey",
    boundaries: Optional[Union[str, int]] = None,
    figsize: tuple = (8, 8),
    **plot_kwargs: Any,
):
    """Draws one value per region of ``level`` (e.g. a column of :meth:`CaseStats.level`:
    ``choropleth(city, "grid", stats.level("grid"), column="handling_rate")``) and returns the
    matplotlib Axes. ``values``: see :func:`level_values`. Regions without a value are drawn
    in ``missing_color``. ``boundaries``: another level (e.g. ``"street"``) whose outlines are
    drawn on top. Coordinates in ``crs``. Extra keywords go to ``GeoDataFrame.plot``."""
    gdf = city.to_geodataframe(level, crs=crs)
    gdf["value"] = level_values(city, level, values, column)
    ax = _axes(ax, figsize)
    legend_kwds = {"label": label or column or "value", "shrink": 0.6} if legend else None
    gdf.plot(
        column="value",
        ax=ax,
        cmap=cmap,
        legend=legend and bool(np.isfinite(gdf["value"]).any()),
        legend_kwds=legend_kwds,
        edgecolor=edgecolor,
        linewidth=linewidth,
        missing_kwds={"color": missing_color, "edgecolor": edgecolor, "linewidth": linewidth},
        **plot_kwargs,
    )
    if boundaries is not None:
        city.to_geodataframe(boundaries, crs=crs).boundary.plot(
            ax=ax, color="black", linewidth=0.6
        )
    if title:
        ax.set_title(title)
    ax.set_axis_off()
    return ax


def h3_heatmap(
    counts: Any,
    ax: Any = None,
    *,
    column: str = "count",
    cmap: str = "YlOrRd",
    legend: bool = True,
    title: Optional[str] = None,
    city: Optional[City] = None,
    boundaries: Union[str, int] = 0,
    figsize: tuple = (8, 8),
    **plot_kwargs: Any,
):
    """Draws H3 hexagons coloured by ``column`` and returns the matplotlib Axes. ``counts``: a
    DataFrame with an ``h3`` column (:func:`wangge.h3_counts`, :meth:`CaseStats.h3`) or a
    :class:`CaseStats` with H3 counts. With ``city``, the outlines of its ``boundaries`` level
    (the top level by default) are drawn on top. WGS84 lon/lat axes."""
    from .analytics import h3_hexagons

    if hasattr(counts, "h3") and not hasattr(counts, "columns"):
        counts = counts.h3()
    hexagons = h3_hexagons(counts)
    ax = _axes(ax, figsize)
    hexagons.plot(
        column=column,
        ax=ax,
        cmap=cmap,
        legend=legend and len(hexagons) > 0,
        legend_kwds={"label": column, "shrink": 0.6} if legend else None,
        linewidth=0,
        **plot_kwargs,
    )
    if city is not None:
        city.to_geodataframe(boundaries).boundary.plot(ax=ax, color="black", linewidth=0.6)
    if title:
        ax.set_title(title)
    ax.set_axis_off()
    return ax
