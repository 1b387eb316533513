"""Snapping points to the nearest edge: the grid of the edges' straight pieces.

Owns :class:`_SegmentGrid` (short-reach snapping in numpy, an STRtree beyond it), the
deterministic choice of the closest candidate (:func:`_closest`) and the grid constants.
:meth:`infra_geo.network.WalkNetwork.snap` and ``snap_xy`` call :func:`nearest_edges`.
"""

from __future__ import annotations

import itertools

import numpy as np
import shapely

#: snap() answers points within this many metres of an edge from a grid of the edges' straight
#: pieces (the default reach of area boundary samples, ``settings.area_snap_m``); farther
#: points search an STRtree over the pieces
_GRID_REACH_M = 30.0


def _closest(
    pi: np.ndarray, ei: np.ndarray, d: np.ndarray, off: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pick per point the closest candidate, deterministically.

    Ties (within a nanometre) go to the lowest edge index, then the lowest offset.
    """
    if (pi[1:] < pi[:-1]).any():
        o = np.argsort(pi, kind="stable")
        pi, ei, d, off = pi[o], ei[o], d[o], off[o]
    starts = np.flatnonzero(np.r_[True, pi[1:] != pi[:-1]])
    dmin = np.minimum.reduceat(d, starts)
    near = d <= np.repeat(dmin, np.diff(np.r_[starts, len(pi)])) + 1e-9
    pi, ei, d, off = pi[near], ei[near], d[near], off[near]
    o = np.lexsort((off, ei, pi))
    pi, ei, d, off = pi[o], ei[o], d[o], off[o]
    first = np.r_[True, pi[1:] != pi[:-1]]
    return pi[first], ei[first], d[first], off[first]


class _SegmentGrid:
    """The straight pieces of all edges, binned on a square grid for short-reach snapping.

    Every piece is listed in each cell that its bounding box, widened by ``reach``, touches,
    so the pieces listed in a point's cell include every piece within ``reach`` of the point.
    """

    def __init__(self, geoms: np.ndarray, reach: float) -> None:
        xy, idx = shapely.get_coordinates(geoms, return_index=True)
        same = idx[1:] == idx[:-1]
        a, b = xy[:-1][same], xy[1:][same]
        self.edge = idx[:-1][same]
        # contiguous columns for the gathers in near()
        self.ax, self.ay = a[:, 0].copy(), a[:, 1].copy()
        self.dx, self.dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
        del xy, idx, a, b
        self.length = np.hypot(self.dx, self.dy)
        self.inv_len2 = np.divide(
            1.0, self.length**2, out=np.zeros_like(self.length), where=self.length > 0
        )
        # metres from the edge's start to each piece's start
        before = np.cumsum(self.length) - self.length
        first = np.r_[True, self.edge[1:] != self.edge[:-1]]
        self.start = before - before[first][np.cumsum(first) - 1]
        self.reach = float(reach)
        # cells twice the reach: 2.4x fewer listings than cells of the reach, as fast to query
        self.cell = 2.0 * self.reach
        a = np.column_stack([self.ax, self.ay])
        lo = a + np.minimum(np.column_stack([self.dx, self.dy]), 0.0) - reach
        hi = a + np.maximum(np.column_stack([self.dx, self.dy]), 0.0) + reach
        del a
        self.origin = lo.min(axis=0) if len(lo) else np.zeros(2)
        i0 = np.floor((lo - self.origin) / self.cell).astype(np.int64)
        i1 = np.floor((hi - self.origin) / self.cell).astype(np.int64)
        self.shape = (i1.max(axis=0) + 1) if len(i1) else np.ones(2, np.int64)
        nx_, ny_ = i1[:, 0] - i0[:, 0] + 1, i1[:, 1] - i0[:, 1] + 1
        count = nx_ * ny_
        # one listing per (piece, cell); built with few full-length temporaries
        seg = np.repeat(np.arange(len(count), dtype=np.int32), count)
        k = np.arange(int(count.sum()), dtype=np.int64)
        k -= np.repeat(np.cumsum(count) - count, count)
        w = nx_[seg]
        key = (i0[seg, 1] + k // w) * self.shape[0]
        key += i0[seg, 0] + k % w
        del k, w
        order = np.argsort(key, kind="stable")
        small = int(self.shape[0]) * int(self.shape[1]) < 2**31
        self.keys = key[order].astype(np.int32 if small else np.int64)
        del key
        self.seg = seg[order]
        del seg, order
        self._tree: shapely.STRtree | None = None

    def near(
        self, xy: np.ndarray, reach: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return (point, edge, distance, offset along the edge) of each piece within reach.

        ``reach`` is at most the reach the grid was built for.
        """
        if reach > self.reach:
            raise ValueError(f"reach {reach} exceeds the grid's {self.reach}")
        n = len(xy)
        ok_xy = np.isfinite(xy).all(axis=1)  # empty or missing points attach nowhere
        i = np.floor((np.where(ok_xy[:, None], xy, self.origin) - self.origin) / self.cell)
        i = i.astype(np.int64)
        inside = ok_xy & (i >= 0).all(axis=1) & (i < self.shape).all(axis=1)
        key = np.where(inside, i[:, 1] * self.shape[0] + i[:, 0], -1).astype(self.keys.dtype)
        lo = np.searchsorted(self.keys, key, "left")
        cnt = np.where(inside, np.searchsorted(self.keys, key, "right") - lo, 0)
        # candidates in chunks of about _GRID_CHUNK, so memory stays bounded for many points
        cum = np.cumsum(cnt)
        cuts = np.searchsorted(cum, np.arange(_GRID_CHUNK, int(cum[-1]) if n else 0, _GRID_CHUNK))
        bounds = np.unique(np.r_[0, cuts, n])
        parts = [
            self._near_range(xy, lo, cnt, reach, a, b)
            for a, b in itertools.pairwise(bounds.tolist())
        ]
        if not parts:
            empty = np.zeros(0, np.int64)
            return empty, empty, np.zeros(0), np.zeros(0)
        pi, ei, d, off = (np.concatenate([part[j] for part in parts]) for j in range(4))
        return pi, ei, d, off

    def _near_range(
        self, xy: np.ndarray, lo: np.ndarray, cnt: np.ndarray, reach: float, a: int, b: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`near` for the points ``a:b``."""
        lo, cnt = lo[a:b], cnt[a:b]
        pi = np.repeat(np.arange(a, b), cnt)
        k = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        si = self.seg[np.repeat(lo, cnt) + k]
        del k
        dist, off = self.project(xy[pi], si)
        ok = dist <= reach
        return pi[ok], self.edge[si[ok]], dist[ok], off[ok]

    def project(self, xy: np.ndarray, si: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the distance from each point to piece ``si`` and the offset along its edge.

        The offset is that of the closest spot on the piece.
        """
        px, py = xy[:, 0] - self.ax[si], xy[:, 1] - self.ay[si]
        ddx, ddy = self.dx[si], self.dy[si]
        t = np.clip((px * ddx + py * ddy) * self.inv_len2[si], 0.0, 1.0)
        px -= t * ddx
        py -= t * ddy
        return np.sqrt(px * px + py * py), self.start[si] + t * self.length[si]

    @property
    def tree(self) -> shapely.STRtree:
        """Return an STRtree over the pieces (built once).

        Nearest-piece searches beyond the grid's reach are ~2-5x faster than over whole
        many-vertex edges.
        """
        if self._tree is None:
            ends = np.stack(
                [
                    np.column_stack([self.ax, self.ay]),
                    np.column_stack([self.ax + self.dx, self.ay + self.dy]),
                ],
                axis=1,
            )
            self._tree = shapely.STRtree(shapely.linestrings(ends))
        return self._tree


#: candidate (point, piece) pairs handled at once by _SegmentGrid.near (~50 MB of arrays)
_GRID_CHUNK = 1_000_000


def nearest_edges(
    grid: _SegmentGrid, xy: np.ndarray, tol: float, edge_length: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge index (-1: none within ``tol``), offset along it and distance per point of ``xy``.

    Points within ``_GRID_REACH_M`` are answered from ``grid``; with a longer ``tol`` the rest
    search the grid's STRtree over the pieces (see ``WalkNetwork.snap_xy``).
    """
    n = len(xy)
    edge = np.full(n, -1, dtype=np.int64)
    offset = np.zeros(n)
    dist = np.full(n, np.inf)
    reach = min(tol, _GRID_REACH_M)
    pi, ei, d, off = grid.near(xy, reach)
    if len(pi):
        pi, ei, d, off = _closest(pi, ei, d, off)
        edge[pi] = ei
        dist[pi] = d
        # segment sums can exceed GEOS's edge length by ~1e-12 m: stay on the edge
        offset[pi] = np.clip(off, 0.0, edge_length[ei])
    if tol > reach:
        # the rest: nearest straight piece within tol (an STRtree over the pieces)
        rest = np.flatnonzero((edge < 0) & np.isfinite(xy).all(axis=1))
        pi, si = grid.tree.query_nearest(
            shapely.points(xy[rest]), max_distance=tol, all_matches=True
        )
        if len(pi):
            d, off = grid.project(xy[rest[pi]], si)
            pi, ei, d, off = _closest(pi, grid.edge[si], d, off)
            edge[rest[pi]] = ei
            dist[rest[pi]] = d
            offset[rest[pi]] = np.clip(off, 0.0, edge_length[ei])
    return edge, offset, dist
