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

    The cells' regions (4-connected, as GDAL polygonize with ``connectivity=4`` sees them)
    are labelled from the cell list. A rectangular region (lone cells and most others
    where residents live apart) is its four corners, built here in numpy with GDAL's ring
    (from the north-west corner, down the west side); only the other regions are traced by
    GDAL polygonize (through rasterio), each packed into a small raster of its own window
    instead of a raster over the whole area: linear in the cells, unlike unioning one box
    per cell. Every part is the polygon GDAL traces for that region over the whole raster,
    to the bit; the parts are in the order of their regions' first cells (top row first,
    west to east).
    """
    # raster row (north down) and column of each distinct cell, row-major
    ncol = int(ij[:, 0].max() - ij[:, 0].min()) + 2
    top, west = int(ij[:, 1].max()), int(ij[:, 0].min())
    code = np.unique((top - ij[:, 1]) * ncol + (ij[:, 0] - west))
    r, c = np.divmod(code, ncol)
    lab, first = _regions(code, ncol)
    n = len(first)
    size = np.bincount(lab, minlength=n)
    rmin, cmin = r[first], np.full(n, np.iinfo(np.int64).max)
    rmax, cmax = np.zeros(n, np.int64), np.full(n, -1)
    np.minimum.at(cmin, lab, c)
    np.maximum.at(cmax, lab, c)
    np.maximum.at(rmax, lab, r)
    rect = size == (rmax - rmin + 1) * (cmax - cmin + 1)
    # GDAL's coordinates of pixel corners: origin + index * pixel size
    x0, y0 = west * cell, (top + 1) * cell
    parts = np.empty(n, dtype=object)
    box = np.flatnonzero(rect)
    px = np.stack([cmin[box], cmin[box], cmax[box] + 1, cmax[box] + 1, cmin[box]], axis=1)
    py = np.stack([rmin[box], rmax[box] + 1, rmax[box] + 1, rmin[box], rmin[box]], axis=1)
    parts[box] = shapely.polygons(np.stack([x0 + px * cell, y0 + py * -cell], axis=-1))
    other = np.flatnonzero(~rect)
    if len(other):
        parts[other] = _trace_regions(r, c, lab, other, (rmin, rmax, cmin, cmax), (x0, y0, cell))
    return parts[0] if n == 1 else shapely.multipolygons(parts)


def _regions(code: np.ndarray, ncol: int) -> tuple[np.ndarray, np.ndarray]:
    """Label the 4-connected regions of sorted cell codes (``row * ncol + col``).

    Returns per cell its region, regions numbered in the order of their first cell, and
    per region the position of its first cell.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(code)
    src, dst = [], []
    for step in (1, ncol):  # east and south neighbours (no wrap: ncol > the widest column)
        j = np.minimum(np.searchsorted(code, code + step), n - 1)
        hit = code[j] == code + step
        src.append(np.flatnonzero(hit))
        dst.append(j[hit])
    a, b = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, lab = connected_components(graph, directed=False)
    # renumber by first cell (row-major)
    _, first, inv = np.unique(lab, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inv], first[order]


def _trace_regions(
    r: np.ndarray,
    c: np.ndarray,
    lab: np.ndarray,
    regions: np.ndarray,
    bbox: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    origin: tuple[float, float, float],
) -> np.ndarray:
    """Return GDAL polygonize's polygon of each of ``regions``, in that order.

    The regions are packed on shelves into one small raster (a blank pixel between them),
    traced in pixel coordinates and moved back to their place, in GDAL's arithmetic.
    """
    from rasterio.features import shapes
    from rasterio.transform import Affine

    rmin, rmax, cmin, cmax = (b[regions] for b in bbox)
    h, w = rmax - rmin + 1, cmax - cmin + 1
    width = max(int(w.max()) + 1, int(np.sqrt(((h + 1) * (w + 1)).sum()) * 1.2))
    pr, pc = np.empty(len(regions), np.int64), np.empty(len(regions), np.int64)
    row = col = shelf = 1
    for k in np.argsort(-h, kind="stable").tolist():  # tallest first: snug shelves
        if col + w[k] >= width:
            row, col, shelf = row + shelf + 1, 1, 1
        pr[k], pc[k] = row, col
        col += int(w[k]) + 1
        shelf = max(shelf, int(h[k]))
    packed = np.zeros((row + shelf + 1, width + 1), dtype=np.uint8)
    where = np.full(len(bbox[0]), -1, dtype=np.int64)
    where[regions] = np.arange(len(regions))
    sel = np.flatnonzero(where[lab] >= 0)
    k = where[lab[sel]]
    packed[r[sel] - rmin[k] + pr[k], c[sel] - cmin[k] + pc[k]] = 1
    owner = np.full(packed.shape, -1, dtype=np.int64)
    owner[r[sel] - rmin[k] + pr[k], c[sel] - cmin[k] + pc[k]] = k
    traced = shapes(packed, mask=packed == 1, connectivity=4, transform=Affine.identity())
    xy, rings = _traced(traced)  # pixel corners: x east, y south
    # the region of each polygon: the cell south-east or north-west of its first corner
    fx, fy = xy[rings.first, 0].astype(np.int64), xy[rings.first, 1].astype(np.int64)
    reg = np.maximum(owner[fy, fx], owner[fy - 1, fx - 1])
    reg = np.maximum(reg, np.maximum(owner[fy - 1, fx], owner[fy, fx - 1]))
    shift = reg[rings.poly]
    x0, y0, cell = origin
    gx = x0 + (xy[:, 0] - pc[shift] + cmin[shift]) * cell
    gy = y0 + (xy[:, 1] - pr[shift] + rmin[shift]) * -cell
    lr = shapely.linearrings(np.column_stack([gx, gy]), indices=rings.ring)
    out = np.empty(len(regions), dtype=object)
    out[reg] = shapely.polygons(lr, indices=rings.ring_poly)
    return out


class _Rings:
    """Index the traced rings: per vertex its ring and polygon, per polygon its first vertex."""

    def __init__(self, sizes: np.ndarray, ring_poly: np.ndarray) -> None:
        self.ring = np.repeat(np.arange(len(sizes)), sizes)
        self.ring_poly = ring_poly
        self.poly = ring_poly[self.ring]
        first_ring = np.flatnonzero(np.r_[True, ring_poly[1:] != ring_poly[:-1]])
        self.first = (np.cumsum(sizes) - sizes)[first_ring]


def _traced(regions: Iterable[tuple[dict, object]]) -> tuple[np.ndarray, _Rings]:
    """Return the vertices of rasterio ``shapes`` output (rings in order) and :class:`_Rings`."""
    rings, poly_of = [], []
    for p, (geom, _) in enumerate(regions):
        rings += geom["coordinates"]
        poly_of += [p] * len(geom["coordinates"])
    sizes = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    xy = np.fromiter(
        (c for ring in rings for pt in ring for c in pt), dtype=np.float64, count=2 * sizes.sum()
    ).reshape(-1, 2)
    return xy, _Rings(sizes, np.asarray(poly_of, dtype=np.int64))
