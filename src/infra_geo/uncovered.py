"""Where residents live beyond walking reach: the uncovered areas of each component.

Owns :func:`uncovered_areas` (re-exported by :mod:`infra_geo.gaps` and :mod:`infra_geo`) and
the grid-cell dissolve behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._access import Access, engine
from ._deprecate import positional_deprecated
from ._groups import resolve_groups
from ._reproject import points_to_4326
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
    rows, cells = [], []
    for k in keys:
        d = acc[k].to_numpy(dtype=float)
        for m in mins:
            out = (d > m * mpm) & (w > 0)
            cells.append(ij[out] if out.any() else None)
            rows.append({"component": k, "minutes": m, "residents": float(w[out].sum())})
    geoms = _in_4326(_plans(cells, cell), net.crs, cell)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


#: a dissolve planned: its vertices (the boxes' first, 5 each), its number of boxes, and what
#: builds the geometry from the vertices (moved or not) and, optionally, the boxes' polygons
_Plan = tuple[np.ndarray, int, Callable[[np.ndarray, np.ndarray | None], shapely.Geometry]]


def _in_4326(plans: list[_Plan | None], crs: Any, cell: float) -> np.ndarray:
    """Return each plan's geometry (None: empty) with its vertices moved from ``crs`` to EPSG:4326.

    The same as building in ``crs`` and calling ``to_crs``, to the bit (the same transform of
    the same coordinates), but each distinct vertex is transformed once and each distinct
    box built once: the layers of every group and threshold share most cells.
    """
    geoms = np.empty(len(plans), dtype=object)
    geoms[:] = [shapely.Polygon() for _ in plans]
    used = [p for p in plans if p is not None]
    if not used:
        return geoms
    moved, vid = _to_4326(np.concatenate([p[0] for p in used]), crs, cell)
    ends = np.cumsum([len(p[0]) for p in used])
    # a box is its north-west and south-east corners (ids of bit-identical vertices)
    at = np.concatenate(
        [
            np.arange(e - len(p[0]), e - len(p[0]) + 5 * p[1], 5)
            for p, e in zip(used, ends, strict=True)
        ]
    )
    _, first, inv = np.unique(
        vid[at] * (int(vid.max()) + 1) + vid[at + 2], return_index=True, return_inverse=True
    )
    boxes = np.empty(len(at), dtype=object)
    if len(at):
        boxes = shapely.polygons(moved[at[first, None] + np.arange(5)])[inv]
    box_ends = np.cumsum([p[1] for p in used]).tolist()
    k = 0
    for i, p in enumerate(plans):
        if p is not None:
            xy = moved[int(ends[k]) - len(p[0]) : int(ends[k])]
            geoms[i] = p[2](xy, boxes[box_ends[k] - p[1] : box_ends[k]])
            k += 1
    return geoms


def _to_4326(xy: np.ndarray, crs: Any, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the points ``xy`` (in ``crs``) moved to EPSG:4326 as ``GeoSeries.to_crs`` moves them.

    The points are cell corners: the points with the same bits are transformed once. Also
    returns per point an id shared by exactly the points with the same bits.
    """
    key = np.round(xy / cell).astype(np.int64)
    key -= key.min(axis=0)
    span = int(key[:, 1].max()) + 1
    code = key[:, 0] * span + key[:, 1]
    if (int(key[:, 0].max()) + 1) * span <= 8 * len(xy) + 1_000_000:  # a table, no sort
        rank = np.zeros((int(key[:, 0].max()) + 1) * span, dtype=np.int64)
        rank[code] = 1
        ids = np.flatnonzero(rank)
        rank[ids] = np.arange(len(ids))
        inv = rank[code]
        uniq = np.empty((len(ids), 2))
        uniq[inv] = xy
    else:
        _, first, inv = np.unique(code, return_index=True, return_inverse=True)
        uniq = xy[first]
    if not np.array_equal(uniq[inv].view(np.int64), xy.view(np.int64)):
        uniq, inv = xy, np.arange(len(xy))  # corners of one key differ in their last bits
    return points_to_4326(uniq, crs)[inv], inv


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
    plan = _plans([ij], cell)[0]
    assert plan is not None
    return plan[2](plan[0], None)


def _plans(cells: list[np.ndarray | None], cell: float) -> list[_Plan | None]:
    """Plan :func:`_cells_polygon` of each cell list (None: no cells, no plan).

    Each distinct shape of a non-rectangular region (its cells relative to its north-west
    corner) is traced by GDAL once over all the lists: the layers of every group and
    threshold share most of them, and GDAL traces a shape the same wherever it lies.
    """
    shapes: dict[bytes, int] = {}
    layers = [None if ij is None else _Layer(ij, cell, shapes) for ij in cells]
    traced = _trace_shapes(list(shapes)) if shapes else None
    return [None if lay is None else lay.plan(traced) for lay in layers]


class _Layer:
    """The regions of one cell list: the rectangles' rings, the other regions' shapes."""

    def __init__(self, ij: np.ndarray, cell: float, shapes: dict[bytes, int]) -> None:
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
        self.x0, self.y0, self.cell, self.n = west * cell, (top + 1) * cell, cell, n
        self.box = box = np.flatnonzero(rect)
        px = np.stack([cmin[box], cmin[box], cmax[box] + 1, cmax[box] + 1, cmin[box]], axis=1)
        py = np.stack([rmin[box], rmax[box] + 1, rmax[box] + 1, rmin[box], rmin[box]], axis=1)
        self.box_xy = np.stack([self.x0 + px * cell, self.y0 + py * -cell], axis=-1)
        self.other = other = np.flatnonzero(~rect)
        self.rmin, self.cmin = rmin[other], cmin[other]
        # each other region's shape: its width, height and cells (row-major) from its corner
        sel = np.flatnonzero(~rect[lab])
        sel = sel[np.argsort(lab[sel], kind="stable")]
        w = cmax - cmin + 1
        local = (r[sel] - rmin[lab[sel]]) * w[lab[sel]] + c[sel] - cmin[lab[sel]]
        heads = np.column_stack([w[other], rmax[other] - rmin[other] + 1])
        pieces = np.split(local, np.cumsum(size[other])[:-1]) if len(other) else []
        self.shape = np.array(
            [
                shapes.setdefault(hw.tobytes() + cells.tobytes(), len(shapes))
                for hw, cells in zip(heads, pieces, strict=True)
            ],
            dtype=np.int64,
        )

    def plan(self, traced: _Traced | None) -> _Plan:
        """Return this layer's vertices (boxes first) and what builds its geometry from them."""
        xy = self.box_xy.reshape(-1, 2)
        nb, box, other, n = len(xy), self.box, self.other, self.n
        if len(other):
            assert traced is not None
            # the regions' shapes' rings, moved to their place in GDAL's arithmetic
            v = _runs(traced.v_start, traced.v_count, self.shape)
            reg = np.repeat(np.arange(len(other)), traced.v_count[self.shape])
            gx = self.x0 + (traced.xy[v, 0] + self.cmin[reg]) * self.cell
            gy = self.y0 + (traced.xy[v, 1] + self.rmin[reg]) * -self.cell
            xy = np.concatenate([xy, np.column_stack([gx, gy])])
            sizes = traced.ring_size[_runs(traced.r_start, traced.r_count, self.shape)]
            ring = np.repeat(np.arange(len(sizes)), sizes)
            ring_poly = np.repeat(np.arange(len(other)), traced.r_count[self.shape])

        def build(moved: np.ndarray, boxes: np.ndarray | None) -> shapely.Geometry:
            parts = np.empty(n, dtype=object)
            parts[box] = shapely.polygons(moved[:nb].reshape(-1, 5, 2)) if boxes is None else boxes
            if len(other):
                lr = shapely.linearrings(moved[nb:], indices=ring)
                parts[other] = shapely.polygons(lr, indices=ring_poly)
            return parts[0] if n == 1 else shapely.multipolygons(parts)

        return xy, len(box), build


def _runs(start: np.ndarray, count: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """Return the positions ``start[k] .. start[k] + count[k] - 1`` of each ``k`` in ``pick``."""
    cnt = count[pick]
    total = int(cnt.sum())
    offset = np.repeat(start[pick] - (np.cumsum(cnt) - cnt), cnt)
    return offset + np.arange(total)


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


class _Traced:
    """GDAL's rings of each shape, shape by shape, in pixels from its north-west corner.

    ``xy`` (x east, y south) of every vertex; per shape its first vertex and vertex count,
    its first ring and ring count; ``ring_size`` the vertices of each ring.
    """

    def __init__(self, xy: np.ndarray, ring_size: np.ndarray, ring_shape: np.ndarray) -> None:
        n = int(ring_shape.max()) + 1
        self.xy, self.ring_size = xy, ring_size
        self.r_count = np.bincount(ring_shape, minlength=n)
        self.r_start = np.cumsum(self.r_count) - self.r_count
        self.v_count = np.bincount(ring_shape, weights=ring_size, minlength=n).astype(np.int64)
        self.v_start = np.cumsum(self.v_count) - self.v_count


#: pixels of one packed raster of shapes: more shapes are traced in several rasters, so a
#: large area's memory stays bounded (~9 bytes a pixel, with the owner array)
_PACK_PIXELS = 4_000_000


def _trace_shapes(keys: list[bytes]) -> _Traced:
    """Return GDAL polygonize's rings of each shape (keys of :class:`_Layer`), in that order.

    The shapes are packed on shelves into small rasters of at most ``_PACK_PIXELS`` (a blank
    pixel between them; a larger shape alone) and traced in pixel coordinates. Every polygon
    is the one GDAL traces for that region over the whole raster, to the bit.
    """
    area = np.array([int(np.prod(np.frombuffer(k[:16], dtype=np.int64) + 1)) for k in keys])
    batch = np.cumsum(area) // _PACK_PIXELS  # contiguous runs of keys, in order
    cut = np.flatnonzero(np.r_[True, batch[1:] != batch[:-1], True]).tolist()
    parts = [_trace_batch(keys[a:b]) for a, b in pairwise(cut)]
    return _Traced(
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] + a for p, a in zip(parts, cut[:-1], strict=True)]),
    )


def _trace_batch(keys: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the rings of :func:`_trace_shapes` for one packed raster: xy, sizes, shapes."""
    from rasterio.features import shapes
    from rasterio.transform import Affine

    heads = [np.frombuffer(k[:16], dtype=np.int64) for k in keys]
    w, h = (np.array([hw[i] for hw in heads], dtype=np.int64) for i in (0, 1))
    local = [np.frombuffer(k[16:], dtype=np.int64) for k in keys]
    cnt = np.array([len(x) for x in local], dtype=np.int64)
    k = np.repeat(np.arange(len(keys)), cnt)
    r, c = np.divmod(np.concatenate(local), w[k])
    width = max(int(w.max()) + 1, int(np.sqrt(((h + 1) * (w + 1)).sum()) * 1.2))
    pr, pc = np.empty(len(keys), np.int64), np.empty(len(keys), np.int64)
    row = col = shelf = 1
    for j in np.argsort(-h, kind="stable").tolist():  # tallest first: snug shelves
        if col + w[j] >= width:
            row, col, shelf = row + shelf + 1, 1, 1
        pr[j], pc[j] = row, col
        col += int(w[j]) + 1
        shelf = max(shelf, int(h[j]))
    packed = np.zeros((row + shelf + 1, width + 1), dtype=np.uint8)
    packed[r + pr[k], c + pc[k]] = 1
    owner = np.full(packed.shape, -1, dtype=np.int32)
    owner[r + pr[k], c + pc[k]] = k
    traced = shapes(packed, mask=packed == 1, connectivity=4, transform=Affine.identity())
    xy, rings = _traced(traced)  # pixel corners: x east, y south
    # the shape of each polygon: the cell south-east or north-west of its first corner
    fx, fy = xy[rings.first, 0].astype(np.int64), xy[rings.first, 1].astype(np.int64)
    reg = np.maximum(owner[fy, fx], owner[fy - 1, fx - 1])
    reg = np.maximum(reg, np.maximum(owner[fy - 1, fx], owner[fy, fx - 1]))
    shift = reg[rings.poly]
    xy = np.column_stack([xy[:, 0] - pc[shift], xy[:, 1] - pr[shift]])
    # rings shape by shape (GDAL's order inside a polygon: the shell first)
    ring_shape = reg[rings.ring_poly]
    order = np.argsort(ring_shape, kind="stable")
    size = rings.size
    v = _runs(np.cumsum(size) - size, size, order)
    return xy[v], size[order], ring_shape[order]


class _Rings:
    """Index the traced rings: per vertex its ring and polygon, per polygon its first vertex."""

    def __init__(self, sizes: np.ndarray, ring_poly: np.ndarray) -> None:
        self.size = sizes
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
