"""Where residents live beyond walking reach: the uncovered areas of each component.

Owns :func:`uncovered_areas` (re-exported by :mod:`infra_geo.gaps` and :mod:`infra_geo`) and
the grid-cell dissolve behind it.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._access import Access, engine
from ._deprecate import positional_deprecated
from ._groups import resolve_groups
from ._residents import _population_points
from ._types import RulesLike
from ._validate import as_network, minutes_tuple, positive
from .accessibility import metres_per_minute
from .errors import InputError
from .network import WalkNetwork

__all__ = ["uncovered_areas"]


@positional_deprecated(3, ("minutes", "speed_kmh", "cell_m", "entrances", "access"))
def uncovered_areas(  # noqa: PLR0913 - public entry point: data args + keyword options
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
    *,
    minutes: float | Iterable[float] = 10,
    speed_kmh: float | None = None,
    cell_m: float = 50.0,
    entrances: gpd.GeoSeries | None = None,
    access: gpd.GeoDataFrame | Access | None = None,
    by: str | None = None,
    rules: RulesLike = None,
    component: str | Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Where residents live beyond walking reach of each component.

    Parameters
    ----------
    net, facilities, population, minutes, speed_kmh, entrances
        As in :func:`gap_analysis` (``population`` is required).
    cell_m : float
        The areas are the cells of a ``cell_m`` grid (network CRS) that hold residents
        beyond reach: a regular, fast and privacy-friendly footprint (no single homes).
    access : GeoDataFrame or Access, optional
        :func:`resident_access` of these population points, to reuse instead of recomputing,
        or an :class:`~infra_geo.Access` engine built on ``net`` and these facilities.
    by, rules : optional
        Other facility groups, as in :func:`infra_geo.distance_to_nearest`.
    component : str or list of str, optional
        Only these groups (default all).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per group and threshold: ``component`` (the group key), ``minutes``,
        ``residents`` (out of reach), geometry (empty when everyone is reached).
    """
    as_network(net)
    mins = minutes_tuple(minutes)
    mpm = metres_per_minute(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh)
    eng = access if isinstance(access, Access) else None
    if eng is not None:
        keys = engine(net, facilities, eng, by=by, rules=rules, component=component)[1]
    else:
        keys = resolve_groups(facilities, component, by=by, rules=rules).keys
    if access is not None and not isinstance(access, Access):
        acc = access
    elif population is not None:
        from .gaps import resident_access  # deferred: gaps re-exports uncovered_areas

        pop = _population_points(net, None, population)
        acc = resident_access(
            net, facilities, pop, entrances=entrances, by=by, rules=rules, access=eng
        )
    else:
        raise InputError("uncovered_areas needs population points.")
    w = pd.to_numeric(acc["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    cell = positive(cell_m, "cell_m")
    xy = shapely.get_coordinates(acc.geometry.to_numpy())
    ij = np.floor(xy / cell).astype(np.int64)
    rows = []
    for k in keys:
        d = acc[k].to_numpy(dtype=float)
        for m in mins:
            out = (d > m * mpm) & (w > 0)
            g = _cells_polygon(ij[out], cell) if out.any() else shapely.Polygon()
            rows.append(
                {"component": k, "minutes": m, "residents": float(w[out].sum()), "geometry": g}
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs).to_crs("EPSG:4326")


def _cells_polygon(ij: np.ndarray, cell: float) -> shapely.Geometry:
    """Return the union of grid cells ``ij`` (column, row indices of ``cell`` metres), dissolved.

    Burns the cells into a boolean raster and traces its regions (GDAL polygonize through
    rasterio): linear in the cells, unlike unioning one box per cell. A cell with no
    neighbour in the four directions is a region of its own, the cell's square: those
    (most of them where residents live apart) are built here in numpy, with GDAL's ring
    (the same corners in the same order), and only the larger regions are traced. The
    parts are GDAL's regions in its order, then the lone cells from the top row down.
    """
    from rasterio.features import shapes
    from rasterio.transform import from_origin

    lo, hi = ij.min(axis=0), ij.max(axis=0)
    mask = np.zeros((hi[1] - lo[1] + 3, hi[0] - lo[0] + 3), dtype=np.uint8)  # 1-cell margin
    mask[hi[1] - ij[:, 1] + 1, ij[:, 0] - lo[0] + 1] = 1
    neighbours = mask[:-2, 1:-1] + mask[2:, 1:-1] + mask[1:-1, :-2] + mask[1:-1, 2:]
    inner = mask[1:-1, 1:-1]
    lone = (inner == 1) & (neighbours == 0)
    big = (inner == 1) & ~lone
    polys = []
    if big.any():
        tr = from_origin(lo[0] * cell, (hi[1] + 1) * cell, cell, cell)
        polys.append(_traced(shapes(big.view(np.uint8), mask=big, connectivity=4, transform=tr)))
    if lone.any():
        r, c = np.nonzero(lone)  # row-major: from the top row down, west to east
        # GDAL's coordinates: origin + index * cell, a cell's ring from its north-west corner
        x0, x1 = lo[0] * cell + c * cell, lo[0] * cell + (c + 1) * cell
        ytop = (hi[1] + 1) * cell
        y0, y1 = ytop + r * -cell, ytop + (r + 1) * -cell
        ring = np.stack(
            [np.column_stack(p) for p in ((x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0))],
            axis=1,
        )
        polys.append(shapely.polygons(ring))
    allp = np.concatenate(polys)
    return allp[0] if len(allp) == 1 else shapely.multipolygons(allp)


def _traced(regions: Iterable[tuple[dict, object]]) -> np.ndarray:
    """Return the polygons of rasterio ``shapes`` output (GeoJSON-like rings), in its order."""
    rings, poly_of = [], []
    for p, (geom, _) in enumerate(regions):
        rings += geom["coordinates"]
        poly_of += [p] * len(geom["coordinates"])
    sizes = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    xy = np.fromiter(
        (c for ring in rings for pt in ring for c in pt), dtype=np.float64, count=2 * sizes.sum()
    ).reshape(-1, 2)
    lr = shapely.linearrings(xy, indices=np.repeat(np.arange(len(rings)), sizes))
    return np.asarray(shapely.polygons(lr, indices=np.asarray(poly_of)))
