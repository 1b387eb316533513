"""Input checks shared by the public functions; each failure says what to do.

It owns the one validation layer of the package's inputs: numbers and walking times
(:func:`positive`, :func:`minutes_tuple`), areas (:func:`as_polygon`, :func:`bbox_polygon`),
CRSs (:func:`to_crs`), and the data frames the front doors take: :func:`as_network`,
:func:`as_facilities`, :func:`as_units`, :func:`as_population` (and :func:`as_frame`
under them). Their required columns come from :mod:`infra_geo._schema`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError
from shapely.geometry.base import BaseGeometry

from . import _schema
from .errors import (
    CRSError,
    EmptyDataError,
    GeometryError,
    InputError,
    OutsideDataError,
    PopulationError,
)

if TYPE_CHECKING:
    from .network import WalkNetwork

WGS84 = "EPSG:4326"


def to_crs(crs: Any, what: str = "crs") -> CRS:
    """Return a pyproj CRS from anything pyproj accepts; raises :class:`CRSError`."""
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
    """Return a valid (Multi)Polygon in EPSG:4326 from a shapely geometry or a GeoSeries/GeoDataFrame.

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
    """Return a lon/lat polygon from ``(west, south, east, north)``."""
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


# ------------------------------------------------------------------------------------------
# the frames and the network the front doors take


def as_network(net: Any, name: str = "net") -> WalkNetwork:
    """``net`` if it is a :class:`~infra_geo.WalkNetwork`; else an :class:`InputError`.

    Parameters
    ----------
    net : Any
        The value passed as the network.
    name : str
        Its parameter name, for the message.

    Returns
    -------
    WalkNetwork
        ``net`` itself.
    """
    from .network import WalkNetwork  # network imports this module

    if not isinstance(net, WalkNetwork):
        raise InputError(
            f"{name} must be a WalkNetwork (from ig.walk_network_from_file or "
            f"WalkNetwork.from_networkx), not {type(net).__name__}."
        )
    return net


def as_frame(
    gdf: Any,
    name: str,
    *,
    columns: Sequence[str] = (),
    source: str = "",
    crs_hint: str = "e.g. .set_crs('EPSG:28992')",
) -> gpd.GeoDataFrame:
    """``gdf`` if it is a GeoDataFrame with an active geometry, ``columns`` and a CRS.

    Parameters
    ----------
    gdf : Any
        The value passed.
    name : str
        Its parameter name, for the messages.
    columns : sequence of str
        Columns it must have.
    source : str
        Where such a frame comes from (" (from ig.facilities_from_*)"), for the messages.
    crs_hint : str
        How to set the CRS, for the message.

    Returns
    -------
    GeoDataFrame
        ``gdf`` itself (not copied).

    Raises
    ------
    InputError
        Not a GeoDataFrame, no active geometry column, or a required column missing.
    CRSError
        No CRS.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{name} must be a GeoDataFrame{source}, not {type(gdf).__name__}.")
    geom_col = gdf._geometry_column_name
    if geom_col is None or geom_col not in gdf.columns:
        raise InputError(f"{name} has no active geometry column: set one with .set_geometry().")
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputError(
            f"{name} lacks the column(s) {', '.join(missing)}; it needs {', '.join(columns)} "
            "and a geometry."
        )
    if gdf.crs is None:
        raise CRSError(f"{name} has no CRS; set it ({crs_hint}) so infra_geo can place it.")
    return gdf


def as_facilities(
    facilities: Any,
    name: str = "facilities",
    *,
    columns: Sequence[str] = (),
    need_components: bool = False,
) -> gpd.GeoDataFrame:
    """Check a facility frame: a GeoDataFrame with a CRS (and ``columns``, ``components``).

    Parameters
    ----------
    facilities : Any
        The value passed (normally from ``ig.facilities_from_*``).
    name : str
        Its parameter name, for the messages.
    columns : sequence of str
        Further required columns (the map needs :data:`_schema.FACILITY_COLUMNS`).
    need_components : bool
        Require the ``components`` column that :func:`infra_geo.classify` adds.

    Returns
    -------
    GeoDataFrame
        ``facilities`` itself.
    """
    fac = as_frame(
        facilities,
        name,
        columns=columns,
        source=" (from ig.facilities_from_*)",
        crs_hint="facilities from infra_geo are EPSG:4326",
    )
    if need_components and _schema.FACILITY_COMPONENTS not in fac.columns:
        raise InputError(
            f"{name} has no 'components' column: classify the facilities with ig.classify()."
        )
    return fac


def as_units(units: Any, name: str = "neighbourhoods") -> gpd.GeoDataFrame:
    """Check a frame of unit polygons: a non-empty GeoDataFrame of (Multi)Polygons with a CRS.

    Parameters
    ----------
    units : Any
        The value passed (normally from ``ig.neighbourhoods_from_*`` or ``ig.hex_grid``).
    name : str
        Its parameter name, for the messages.

    Returns
    -------
    GeoDataFrame
        ``units`` itself.

    Raises
    ------
    InputError
        Not a GeoDataFrame or a geometry that is no (Multi)Polygon.
    EmptyDataError
        No unit.
    CRSError
        No CRS.
    """
    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError(
            f"{name} must be a GeoDataFrame of polygons (e.g. from ig.neighbourhoods_from_file, "
            f"ig.neighbourhoods_from_osm or ig.hex_grid), not {type(units).__name__}."
        )
    if len(units) == 0:
        raise EmptyDataError(f"{name} is empty: give at least one unit polygon.")
    if units.crs is None:
        raise CRSError(f"{name} has no CRS: set it with .set_crs(...) and try again.")
    gtype = shapely.get_type_id(units.geometry.to_numpy())
    if not np.isin(gtype, (3, 6)).all():
        raise InputError(f"{name} must hold Polygon or MultiPolygon geometries only.")
    return units


def as_population(population: Any, name: str = "population") -> gpd.GeoDataFrame:
    """Check population points: a GeoDataFrame with a CRS and finite, non-negative residents.

    Parameters
    ----------
    population : Any
        The value passed (normally from ``ig.population_from_*``).
    name : str
        Its parameter name, for the messages.

    Returns
    -------
    GeoDataFrame
        ``population`` itself.

    Raises
    ------
    InputError
        Not a GeoDataFrame or no ``population`` column.
    CRSError
        No CRS.
    PopulationError
        A negative or infinite number of residents.
    """
    col = _schema.POPULATION
    if not isinstance(population, gpd.GeoDataFrame):
        raise InputError(
            f"{name} must be a GeoDataFrame of points with a {col!r} column "
            "(ig.population_from_buildings / population_from_raster)."
        )
    if col not in population.columns:
        raise InputError(f"{name} has no {col!r} column of residents per point.")
    if population.crs is None:
        raise CRSError(f"{name} has no CRS; set it with .set_crs(...).")
    pop = pd.to_numeric(population[col], errors="coerce").to_numpy(dtype=float)
    if (pop < 0).any():
        raise PopulationError(f"{name} has negative values; residents cannot be negative.")
    if np.isinf(pop).any():
        raise PopulationError(
            f"{name} has an infinite value; every point needs a finite number of residents."
        )
    return population
