"""Input checks shared by the public functions; each failure says what to do."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError
from shapely.geometry.base import BaseGeometry

from .errors import CRSError, GeometryError, InputError, OutsideDataError

WGS84 = "EPSG:4326"


def to_crs(crs: Any, what: str = "crs") -> CRS:
    """A pyproj CRS from anything pyproj accepts; raises :class:`CRSError`."""
    if crs is None:
        raise CRSError(f"{what} is missing: set it (e.g. gdf.set_crs('EPSG:4326')) and try again.")
    try:
        return CRS.from_user_input(crs)
    except ProjCRSError as exc:
        raise CRSError(
            f"{what} {crs!r} is not a coordinate reference system pyproj knows: {exc}"
        ) from None


def positive(value: Any, name: str, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or >= 0); raises :class:`InputError`."""
    if isinstance(value, bool):
        raise InputError(f"{name} must be a number, got {value!r}.")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name} must be a finite number {bound}, got {value!r}.")
    return v


#: numeric settings that must be finite and > 0 (``infra_geo.settings``)
_POSITIVE_SETTINGS = (
    "walk_speed_kmh",
    "walk_speed_elderly_kmh",
    "snap_tolerance_m",
    "area_sample_m",
    "area_snap_m",
    "catchment_buffer_m",
    "requests_timeout",
)


def check_settings() -> None:
    """Raise :class:`InputError` when a numeric ``infra_geo.settings`` value is unusable."""
    from . import settings

    for name in _POSITIVE_SETTINGS:
        if hasattr(settings, name):
            positive(getattr(settings, name), f"infra_geo.settings.{name}")
    if hasattr(settings, "min_residential_footprint_m2"):
        positive(
            settings.min_residential_footprint_m2,
            "infra_geo.settings.min_residential_footprint_m2",
            allow_zero=True,
        )
    if hasattr(settings, "partial_unit_share"):
        share = positive(
            settings.partial_unit_share, "infra_geo.settings.partial_unit_share", allow_zero=True
        )
        if share > 1:
            raise InputError(
                f"infra_geo.settings.partial_unit_share must lie between 0 and 1, got {share!r}."
            )
    minutes_tuple(settings.default_minutes, "infra_geo.settings.default_minutes")


def minutes_tuple(minutes: Any, name: str = "minutes") -> tuple[float, ...]:
    """Sorted unique positive whole-minute thresholds from a number or a sequence of numbers.

    Fractional minutes (7.5) are rejected with a clear message: the gap table's columns and
    the map's measures are named by whole minutes.
    """
    if isinstance(minutes, (int, float, np.integer, np.floating)):
        seq: Sequence[Any] = (minutes,)
    elif isinstance(minutes, str):
        seq = [m for m in minutes.replace(";", ",").split(",") if m.strip()]
    else:
        try:
            seq = list(minutes)
        except TypeError:
            raise InputError(
                f"{name} must be a number or a list of numbers, got {minutes!r}."
            ) from None
    if not seq:
        raise InputError(f"{name} is empty: give at least one walking time in minutes, e.g. 10.")
    vals = sorted({positive(m, name) for m in seq})
    frac = [v for v in vals if not float(v).is_integer()]
    if frac:
        raise InputError(
            f"{name} must be whole minutes (e.g. 5,10,15), got {frac[0]:g}: fractional "
            "thresholds are not supported (the gap table's columns such as share_10 and the "
            "map's measures are named by whole minutes). Round it, e.g. to "
            f"{max(1, round(frac[0]))}."
        )
    return tuple(int(v) for v in vals)


def as_polygon(polygon: Any, crs: Any = None, name: str = "polygon") -> BaseGeometry:
    """A valid (Multi)Polygon in EPSG:4326 from a shapely geometry or a GeoSeries/GeoDataFrame.

    A bare shapely geometry is taken to be in ``crs`` (default EPSG:4326 lon/lat).
    """
    src_crs = crs
    if isinstance(polygon, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if len(polygon) == 0:
            raise GeometryError(f"{name} is an empty GeoDataFrame/GeoSeries: give an area.")
        if polygon.crs is None and crs is None:
            raise CRSError(
                f"{name} has no CRS: set it with .set_crs(...) so infra_geo knows its units."
            )
        src_crs = polygon.crs or crs
        geoms = polygon.geometry if isinstance(polygon, gpd.GeoDataFrame) else polygon
        bad = ~geoms.is_valid
        if bad.any():
            reason = shapely.is_valid_reason(geoms[bad].iloc[0])
            raise GeometryError(
                f"{name} has an invalid geometry ({reason}); repair it first, "
                "e.g. with shapely.make_valid() or .buffer(0)."
            )
        polygon = shapely.union_all(geoms.to_numpy())
    if polygon is None or not isinstance(polygon, BaseGeometry):
        raise GeometryError(
            f"{name} must be a shapely Polygon or MultiPolygon (or a GeoDataFrame), "
            f"got {type(polygon).__name__}."
        )
    if polygon.is_empty:
        raise GeometryError(f"{name} is empty: give an area with a real extent.")
    if polygon.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError(f"{name} must be a Polygon or MultiPolygon, got a {polygon.geom_type}.")
    if not polygon.is_valid:
        raise GeometryError(
            f"{name} is not a valid polygon ({shapely.is_valid_reason(polygon)}); a "
            "self-intersecting ring cannot enclose an area. Repair it, e.g. with "
            "shapely.make_valid(polygon), and try again."
        )
    if polygon.area == 0:
        raise GeometryError(f"{name} has zero area.")
    if src_crs is not None:
        c = to_crs(src_crs, f"The CRS of {name}")
        if not c.equals(CRS.from_epsg(4326)):
            polygon = gpd.GeoSeries([polygon], crs=c).to_crs(WGS84).iloc[0]
    w, s, e, n = polygon.bounds
    if w < -180 or e > 180 or s < -90 or n > 90:
        raise CRSError(
            f"{name} has coordinates outside longitude/latitude range ({w:.0f}, {s:.0f}, "
            f"{e:.0f}, {n:.0f}): it looks projected. Pass crs= (e.g. crs='EPSG:28992') or a "
            "GeoDataFrame with its CRS set."
        )
    return polygon


def bbox_polygon(bbox: Any) -> BaseGeometry:
    """A lon/lat polygon from ``(west, south, east, north)``."""
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InputError(
            f"bbox must be four numbers (west, south, east, north) in degrees, got {bbox!r}."
        ) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise InputError(f"bbox has a non-finite value: {bbox!r}.")
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise InputError(
            f"bbox {bbox!r} is not (west, south, east, north) in degrees with west < east and "
            "south < north; note the order (osmnx 2 uses the same)."
        )
    return shapely.box(w, s, e, n)


def check_overlap(polygon: BaseGeometry, extent: tuple | None, source: str) -> None:
    """Raise :class:`OutsideDataError` when ``polygon`` misses the data ``extent``."""
    if extent is None:
        return
    box = shapely.box(*extent)
    if not polygon.intersects(box):
        w, s, e, n = extent
        raise OutsideDataError(
            f"The area lies outside the data in {source} (which covers lon {w:.4f} to {e:.4f}, "
            f"lat {s:.4f} to {n:.4f}). Pass an area inside it, or a file that covers the area."
        )
