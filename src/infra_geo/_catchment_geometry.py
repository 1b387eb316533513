"""The catchment geometry: reachable edge pieces widened by the street front and unioned.

Owns the pieces of the network reachable within a distance (whole edges and partial ends),
their street-front buffers, the per-network tile unions that make large areas cheap, and the
nested unions per threshold. :func:`infra_geo.catchments` is the front door.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely

from ._log import log
from .network import WalkNetwork


# ------------------------------------------------------------------------------ catchments
def _substrings(lines: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Vectorised ``substring(line, start, end)`` for arrays of LineStrings (metres)."""
    if len(lines) == 0:
        return np.zeros(0, dtype=object)
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    seg = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    first = np.r_[True, idx[1:] != idx[:-1]]
    seg[first] = 0.0
    cum = np.cumsum(seg)
    cum -= np.repeat(cum[first], np.diff(np.r_[np.flatnonzero(first), len(idx)]))
    inner = (cum > start[idx]) & (cum < end[idx])
    sp = shapely.get_coordinates(shapely.line_interpolate_point(lines, start))
    ep = shapely.get_coordinates(shapely.line_interpolate_point(lines, end))
    k = np.arange(len(lines))
    all_xy = np.vstack([sp, coords[inner], ep])
    all_line = np.concatenate([k, idx[inner], k])
    all_pos = np.concatenate([start, cum[inner], end + 1e-9])
    all_rank = np.concatenate([np.zeros(len(k)), np.ones(inner.sum()), np.full(len(k), 2.0)])
    order = np.lexsort((all_rank, all_pos, all_line))
    return shapely.linestrings(all_xy[order], indices=all_line[order])


def _reachable_pieces(
    net: WalkNetwork, dist: np.ndarray, limit: float, att_edge: np.ndarray, att_off: np.ndarray
) -> np.ndarray:
    """Edge pieces within ``limit`` metres (see :func:`_reachable_parts`) as one array."""
    whole, rest = _reachable_parts(net, dist, limit, att_edge, att_off)
    return np.concatenate([net.edge_geometry[whole], rest])


def _reachable_parts(
    net: WalkNetwork, dist: np.ndarray, limit: float, att_edge: np.ndarray, att_off: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Edges reachable whole, and the other pieces within ``limit`` metres.

    Returns ``(edge indices, geometries)``: the edges walked from end to end, and the partial
    stretches of the other edges plus the nodes reached exactly at the limit.

    Per edge the reachable intervals are ``[0, limit - d[u]]`` from ``u``,
    ``[len - (limit - d[v]), len]`` from ``v`` and ``[a - limit, a + limit]`` around each
    source attached at offset ``a``; overlapping intervals of an edge are merged first so
    each reachable stretch becomes one piece (whole edges keep their own geometry).
    """
    L = net.edge_length
    du, dv = dist[net.edge_u], dist[net.edge_v]
    from_u = np.flatnonzero(du < limit)
    from_v = np.flatnonzero(dv < limit)
    edges = np.concatenate([from_u, from_v, att_edge])
    starts = np.concatenate(
        [np.zeros(len(from_u)), L[from_v] - (limit - dv[from_v]), att_off - limit]
    )
    ends = np.concatenate([limit - du[from_u], L[from_v], att_off + limit])
    starts = np.clip(starts, 0.0, L[edges])
    ends = np.clip(ends, 0.0, L[edges])
    # a node with d < limit starts a piece on each of its edges; only nodes reached at exactly
    # the limit (zero-length pieces) need a point of their own
    nodes = np.flatnonzero((dist <= limit) & (dist > limit - 1e-6))
    node_pts = shapely.points(net.node_xy[nodes])
    if len(edges) == 0:
        return np.zeros(0, dtype=np.int64), node_pts
    # merge overlapping intervals per edge: shift each edge to its own stretch of one axis
    span = float(L.max()) + 1.0
    order = np.lexsort((starts, edges))
    e, s0, e0 = edges[order], starts[order], ends[order]
    gs, ge = e * span + s0, e * span + e0
    run_max = np.maximum.accumulate(ge)
    new = np.r_[True, gs[1:] > run_max[:-1] + 1e-9]
    grp = np.cumsum(new) - 1
    m_edge = e[new]
    m_start = s0[new]
    m_end = np.maximum.reduceat(e0, np.flatnonzero(new))
    keep = m_end - m_start > 1e-6
    m_edge, m_start, m_end = m_edge[keep], m_start[keep], m_end[keep]
    del grp
    whole = (m_start <= 1e-9) & (m_end >= L[m_edge] - 1e-9)
    partial = _substrings(net.edge_geometry[m_edge[~whole]], m_start[~whole], m_end[~whole])
    return m_edge[whole], np.concatenate([partial, node_pts])


#: segments per quarter circle of the street-front buffer: 3 keeps the rounded ends within
#: 50 m x (1 - cos 15°) = 1.7 m of a true circle at a fraction of the union cost
_QUAD_SEGS = 3


def _union_buffer(pieces: np.ndarray, width: float) -> shapely.Geometry:
    """Union of the pieces widened by ``width``.

    Touching edge pieces are merged into long lines first (``line_merge``): buffering a few
    long lines and unioning them is about twice as fast as unioning one buffer per piece.
    """
    if len(pieces) == 0:
        return shapely.Polygon()
    tid = shapely.get_type_id(pieces)
    lines = pieces[tid == 1]
    parts = [pieces[tid == 0]]
    if len(lines):
        parts.append(shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines))))
    buf = shapely.buffer(np.concatenate(parts), width, quad_segs=_QUAD_SEGS)
    out = shapely.union_all(buf)
    return out if out.is_valid else shapely.make_valid(out)


def _edge_buffers(
    net: WalkNetwork, width: float, edges: np.ndarray, cache: dict[Any, Any]
) -> np.ndarray:
    """Return the street-front buffers of whole edges, computed once per network and width.

    They are kept in ``cache`` (:attr:`Access.edge_buffers`).
    """
    buf = cache.get(width)
    if buf is None:
        buf = cache[width] = np.full(net.n_edges, None, dtype=object)
    need = edges[shapely.is_missing(buf[edges])]
    if len(need):
        buf[need] = shapely.buffer(net.edge_geometry[need], width, quad_segs=_QUAD_SEGS)
    return buf[edges]


#: side of the square tiles whose street fronts are unioned once per network (metres): a
#: catchment that reaches every edge of a tile takes the tile's union instead of its edges'
#: buffers (Malta, 8 components x 3 thresholds, one thread: 14.3 s with 150 m tiles, 18.6 s
#: with 300 m, 14.8 s with a quadtree of 150-4800 m tiles, 18.6 s without tiles; 75 and 100 m
#: were within the noise of a shared machine)
_TILE_M = 150.0
_TILE_LOCK = threading.Lock()


def _tile_unions(
    net: WalkNetwork, width: float, cache: dict[Any, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the street fronts of all edges unioned per tile, once per network and width.

    They are kept in ``cache`` (:attr:`Access.edge_buffers`) under ``("tiles", width)``.

    Returns ``(tile of each edge, number of edges per tile, union per tile)``; an edge belongs
    to the tile holding its midpoint. The union of a set of edges' buffers equals the union of
    the tiles whose edges are all in the set plus the buffers of the other edges, exactly (the
    same buffers, fewer and simpler inputs to the union).
    """
    with _TILE_LOCK:
        if ("tiles", width) in cache:
            return cache[("tiles", width)]
        mid = shapely.get_coordinates(
            shapely.line_interpolate_point(net.edge_geometry, 0.5, normalized=True)
        )
        ij = np.floor((mid - mid.min(axis=0)) / _TILE_M).astype(np.int64)
        _, tile = np.unique(ij[:, 0] * (int(ij[:, 1].max()) + 1) + ij[:, 1], return_inverse=True)
        tile = tile.ravel()
        order = np.argsort(tile, kind="stable")
        # one collection per tile, unioned by one vectorised call per core (not one task per
        # tile: Malta's 10k tiles, 2.4 s -> 2.0 s on one loaded core)
        per_tile = shapely.geometrycollections(
            _edge_buffers(net, width, order, cache), indices=tile[order]
        )
        chunks = np.array_split(per_tile, os.cpu_count() or 1)
        polys = np.concatenate(_parallel(lambda c: shapely.union_all(c[:, None], axis=1), chunks))
        cache[("tiles", width)] = (tile, np.bincount(tile, minlength=len(polys)), polys)
        return cache[("tiles", width)]


def prefetch_tiles(net: WalkNetwork, width: float, cache: dict[Any, Any]) -> threading.Thread:
    """Start building the tile unions of ``net`` (:func:`_tile_unions`) in a background thread.

    :func:`infra_geo.analyse` calls this as soon as the network is built, so the GEOS work
    (which releases the GIL) runs while the data extent, units and distances are computed in
    Python; :func:`_tile_unions` takes a lock, so the catchments wait for this build instead of
    repeating it. The tiles are the same whichever thread builds them. An error here is only
    logged: the catchments then build the tiles themselves and report it.
    """

    def build() -> None:
        try:
            _tile_unions(net, width, cache)
        except Exception as exc:  # the catchments rebuild the tiles and raise it
            log(f"building the catchment tiles ahead failed: {exc}", logging.DEBUG)

    thread = threading.Thread(target=build, name="infra_geo-tiles", daemon=True)
    thread.start()
    return thread


def _nested_unions(
    net: WalkNetwork,
    dist: np.ndarray,
    limits: list[float],
    att_edge,
    att_off,
    width: float,
    cache: dict[Any, Any],
) -> list[shapely.Geometry]:
    """Catchments for ascending ``limits``: each is the previous one plus what is new.

    An edge reached whole at a threshold is reached whole at every larger one, so its buffer
    enters one union only; partial pieces and limit nodes are buffered at every threshold.
    Tiles whose edges are all reached whole enter as their cached union
    (:func:`_tile_unions`, if built: :func:`catchments` builds it for areas per component,
    not for the small areas per facility, which rarely fill a tile), which gives the same
    area with far fewer inputs to the union.
    """
    cached = cache.get(("tiles", width))
    if cached is None:  # one tile that is never full: every edge is buffered on its own
        cached = (np.zeros(net.n_edges, dtype=np.int64), np.array([-1]), np.array([None]))
    tile, per_tile, tile_polys = cached
    done = np.zeros(net.n_edges, dtype=bool)
    tile_done = np.zeros(len(per_tile), dtype=bool)
    out: list[shapely.Geometry] = []
    for limit in limits:
        whole, rest = _reachable_parts(net, dist, limit, att_edge, att_off)
        full = np.bincount(tile[whole], minlength=len(per_tile)) == per_tile
        new_tiles = full & ~tile_done
        tile_done |= full
        new = whole[~done[whole] & ~full[tile[whole]]]
        done[whole] = True
        parts = np.concatenate(
            [
                tile_polys[new_tiles],
                _edge_buffers(net, width, new, cache),
                shapely.buffer(rest, width, quad_segs=_QUAD_SEGS),
            ]
        )
        out.append(_union_parts(parts, out[-1] if out else None))
    return out


def _union_parts(parts: np.ndarray, prev: shapely.Geometry | None) -> shapely.Geometry:
    """Return the union of the polygons ``parts`` and the previous level ``prev``.

    Valid (an overlay result); ``prev`` itself if nothing new falls outside it, so the areas
    nest exactly.

    GEOS's disjoint-subset union unions each group of mutually intersecting parts on its own
    (the areas around separate facilities, the new pieces of a level along the fringe of the
    previous one), which is 1.3-1.5x faster than one cascaded union of all of them; the
    previous level is then added with one binary union instead of entering every step of the
    cascade (Malta, 8 components x 3 thresholds, one thread: 13.2 s -> 9.0 s CPU; the areas
    agree to IoU 1 - 1e-12).
    """
    geom = shapely.disjoint_subset_union_all(parts) if len(parts) else shapely.Polygon()
    if prev is None:
        return geom
    if geom.is_empty:
        return prev
    merged = shapely.union(prev, geom)
    # a level that adds nothing may come back re-noded with an area smaller by rounding
    return merged if merged.area >= prev.area else prev


def _parallel(func: Any, tasks: list[Any]) -> list[Any]:
    """Run ``func`` over ``tasks`` on all cores (shapely releases the GIL); order kept."""
    workers = min(len(tasks), os.cpu_count() or 1)
    if workers <= 1:
        return [func(t) for t in tasks]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, tasks))
