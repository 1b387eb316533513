"""Resolving and checking :func:`~infra_geo.analyse`'s input arguments before any work.

Owns the neighbourhoods specification (``"hex:500"``, ``"admin:8"``, a file, a frame) and
its resolution into unit polygons, the total-population check, and the pre-flight checks
that a hex grid is not too large and that the units overlap the data. The CLI uses the same
checks to fail fast with the flag's name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from ._units import _admin_level
from ._validate import positive
from .errors import (
    CRSError,
    DataFileError,
    InputError,
    OutsideDataError,
)


def _parse_units_spec(spec: Any, name: str = "neighbourhoods") -> tuple[str, Any]:
    """Validate a neighbourhoods argument before any work: (kind, value)."""
    if isinstance(spec, gpd.GeoDataFrame):
        return "frame", spec
    if spec is None:
        spec = "hex:500"
    if isinstance(spec, (str, os.PathLike)):
        s = str(spec)
        if s.startswith("admin:"):
            return "admin", _admin_level(s.split(":", 1)[1])
        if s.startswith("hex:"):
            try:
                size = float(s.split(":", 1)[1])
            except ValueError:
                raise InputError(
                    f"{name}: write hex grids as 'hex:SIZE' in metres, e.g. 'hex:500', not {s!r}."
                ) from None
            return "hex", positive(size, f"{name} hex size (metres)")
        if Path(s).is_dir():
            raise DataFileError(
                f"{name} {s} is a folder; pass a polygon file in it (GeoPackage, GeoJSON or "
                "Shapefile), 'admin:LEVEL' or 'hex:SIZE'."
            )
        if not Path(s).is_file():
            raise DataFileError(
                f"{name} file {s} does not exist; pass a GeoPackage/GeoJSON/Shapefile, "
                "'admin:LEVEL' or 'hex:SIZE'."
            )
        return "file", s
    raise InputError(
        f"{name} must be a GeoDataFrame, a file path, 'admin:LEVEL' or 'hex:SIZE', "
        f"not {type(spec).__name__}."
    )


def _resolve_units(kind: str, value: Any, source: Any, area_4326: Any) -> gpd.GeoDataFrame:
    from .grid import hex_grid
    from .neighbourhoods import neighbourhoods_from_file, neighbourhoods_from_osm

    if kind == "frame":
        return value
    if kind == "admin":
        if source is None:
            raise InputError("neighbourhoods='admin:LEVEL' needs an OSM file or a place.")
        return neighbourhoods_from_osm(admin_level=value, **source)  # file= or place=
    if kind == "hex":
        return hex_grid(area_4326, value)
    return neighbourhoods_from_file(value)


#: no area has more residents than this (the world has about 8.2 billion)
MAX_TOTAL_POPULATION = 1e10
#: analyse()'s options in their old positional order (by keyword now; one release of grace)
ANALYSE_OLD_POSITIONAL = tuple(
    "place polygon neighbourhoods population minutes speed_kmh lang total_population progress".split()
)
#: guards of the hexagon grid: cells, and cells x network nodes (work of the gap table)
MAX_HEX_UNITS = 50_000
MAX_HEX_WORK = 2e9


def check_total_population(value: Any, name: str) -> float:
    """Check a total number of residents: finite, > 0 and below ``MAX_TOTAL_POPULATION``."""
    v = positive(value, name)
    if v > MAX_TOTAL_POPULATION:
        raise InputError(
            f"{name} {value!r} is more than the world's population; give the residents of "
            "the area (e.g. 45000)."
        )
    return v


def _check_hex_work(size_m: float, extent: Any, n_nodes: int, name: str) -> None:
    """Refuse a hexagon grid too fine for the area before it is built."""
    import math

    from ._crs import metric_crs_for

    m = gpd.GeoSeries([extent], crs="EPSG:4326").to_crs(metric_crs_for(extent)).iloc[0]
    w, s, e, n = m.bounds
    cells = (math.ceil((e - w) / (1.5 * size_m)) + 2) * (
        math.ceil((n - s) / (math.sqrt(3) * size_m)) + 2
    )
    if cells > MAX_HEX_UNITS or cells * max(n_nodes, 1) > MAX_HEX_WORK:
        cell_area = 1.5 * math.sqrt(3.0) * size_m**2
        fit = min(MAX_HEX_UNITS, MAX_HEX_WORK / max(n_nodes, 1))
        suggest = math.ceil(math.sqrt(max(m.area, 1.0) / fit / (1.5 * math.sqrt(3.0))) * 1.5)
        raise InputError(
            f"{name} hex:{size_m:g} is too fine for this area: about {cells:,} cells of "
            f"{cell_area:,.0f} m2 over {m.area / 1e6:,.1f} km2 with {n_nodes:,} network nodes "
            f"would take very long and much memory. Use hex:{max(suggest, 50)} or larger."
        )


def _check_units_in_data(units: gpd.GeoDataFrame, extent: Any, source: str) -> None:
    """Name the cause when the neighbourhoods miss the data: RD New, swapped axes, elsewhere."""
    from .grid import check_lonlat

    if units.crs is None:
        raise InputError("The neighbourhoods have no CRS: set it with .set_crs(...).")
    if len(units) == 0 or extent is None:
        return
    u = units if units.crs.equals("EPSG:4326") else units.to_crs("EPSG:4326")
    w, s, e, n = (float(v) for v in u.total_bounds)
    check_lonlat((w, s, e, n), "The neighbourhoods")
    if shapely.box(w, s, e, n).intersects(extent):
        return
    dw, ds, de, dn = extent.bounds
    where = (
        f"the neighbourhoods cover lon {w:.4f} to {e:.4f}, lat {s:.4f} to {n:.4f}; the data in "
        f"{source} covers lon {dw:.4f} to {de:.4f}, lat {ds:.4f} to {dn:.4f}"
    )
    if shapely.box(s, w, n, e).intersects(extent):
        raise CRSError(
            f"The neighbourhoods look like they have longitude and latitude swapped ({where}). "
            "Write the coordinates as x = longitude, y = latitude, or set the right CRS."
        )
    raise OutsideDataError(
        f"The neighbourhoods lie outside the data ({where}). Pass neighbourhoods of the area in "
        "the data, or an OSM file that covers them."
    )


def units_touching(units: gpd.GeoDataFrame, extent: Any) -> gpd.GeoDataFrame:
    """Return the neighbourhoods that touch the data extent; the others are left out, and said so.

    A unit wholly outside the data has nothing to place its residents on: it is not part of
    the analysis (its residents are neither "unplaced" nor counted in any figure).
    """
    from ._log import log

    if extent is None or len(units) == 0 or units.crs is None:
        return units
    ext = gpd.GeoSeries([extent], crs="EPSG:4326").to_crs(units.crs).iloc[0]
    inside = units.geometry.intersects(ext).to_numpy()
    if not inside.all():
        log(
            f"{int((~inside).sum()):,} of {len(units):,} neighbourhood(s) lie wholly outside the "
            "data extent and are left out of the analysis (their residents are not counted)"
        )
    return units.loc[inside]


#: the default units of :func:`analyse` (and ``infra-geo analyse``) on the embedded sample
SAMPLE_UNITS = "hex:250"


def units_or_default(units: Any, osm_file: Any, place: Any, polygon: Any) -> Any:
    """Return ``units``, or on the embedded sample :data:`SAMPLE_UNITS`, as the CLI does.

    (The sample's 1.4 km2 would hold 5 hexagons of 500 m.) Refuses both a file and a place.
    """
    if osm_file is not None and place is not None:
        raise InputError("Pass either osm_file or place, not both.")
    sample = osm_file is None and place is None and polygon is None
    return SAMPLE_UNITS if units is None and sample else units
