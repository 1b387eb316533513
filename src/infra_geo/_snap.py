"""Snapping points to the nearest edge: the grid of the edges' straight pieces.

Owns :class:`_SegmentGrid` (short-reach snapping in numpy, a k-d tree of samples along the
pieces beyond it, a distance transform of its cells that rules out points far from every
street), the deterministic choice of the closest candidate (:func:`_closest`) and the grid
constants.
:meth:`infra_geo.network.WalkNetwork.snap` and ``snap_xy`` call :func:`nearest_edges`.
"""

from __future__ import annotations

import itertools
from typing import Any

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
        small = int(self.shape[0]) * int(self.shape[1]) < 2**31
        n_seg = max(len(count), 1)
        if not len(key) or int(key.max()) < 2**62 // n_seg:
            # the listings by cell, then piece: what a stable sort by cell gives (a piece lists
            # a cell once, in piece order), as one sort of unique int64 codes (several x faster)
            code = key * n_seg + seg
            del key, seg
            code.sort()
            key, code = np.divmod(code, n_seg)
            self.keys = key.astype(np.int32 if small else np.int64)
            del key
            self.seg = code.astype(np.int32)
            del code
        else:
            order = np.argsort(key, kind="stable")
            self.keys = key[order].astype(np.int32 if small else np.int64)
            del key
            self.seg = seg[order]
            del seg, order
        self._samples: tuple[Any, np.ndarray, np.ndarray] | None = None
        self._gap: np.ndarray | None = None
        self._gap_q = 1

    def could_reach(self, xy: np.ndarray, tol: float) -> np.ndarray:
        """Return per point whether some piece may lie within ``tol`` (False: surely none).

        A cheap, safe screen: a piece within ``tol`` of a point has a spot in a listed cell,
        and no spot of a cell lies farther than half the cell's diagonal from its centre, so
        a point whose cell centre lies farther than ``tol`` plus the cell's diagonal from
        every listed cell's centre (a distance transform of the grid, built once; of blocks
        of cells on a very large grid, see :attr:`gap_m`) has none. Points outside the grid
        keep ``True`` unless the grid lies farther than ``tol``; missing points are ``False``.
        """
        gap = self.gap_m
        q = self._gap_q  # the block size the transform was built with
        ok_xy = np.isfinite(xy).all(axis=1)
        f = (np.where(ok_xy[:, None], xy, self.origin) - self.origin) / self.cell
        i = np.floor(f).astype(np.int64)
        ix, iy = i[:, 0], i[:, 1]
        inside = ok_xy & (ix >= 0) & (iy >= 0) & (ix < self.shape[0]) & (iy < self.shape[1])
        keep = np.zeros(len(xy), dtype=bool)
        ii = np.flatnonzero(inside)
        bound = tol + q * self.cell * np.sqrt(2.0) + _SCREEN_SLACK_M
        keep[ii] = gap[iy[ii] // q, ix[ii] // q] <= bound
        # the grid's rectangle: farther than tol from a point outside it, nothing is near
        oo = np.flatnonzero(ok_xy & ~inside)
        out = np.maximum(np.maximum(-f[oo], f[oo] - self.shape), 0.0) * self.cell
        keep[oo] = np.hypot(out[:, 0], out[:, 1]) <= tol + _SCREEN_SLACK_M
        return keep

    @property
    def _gap_step(self) -> int:
        """Cells a side of the blocks :attr:`gap_m` measures (1: the grid's own cells)."""
        cells = float(self.shape[0]) * float(self.shape[1])
        return max(1, int(np.ceil(np.sqrt(cells / _GAP_CELLS))))

    @property
    def gap_m(self) -> np.ndarray:
        """Return metres from each block's centre to the nearest listed block's centre (float32).

        A block is ``_gap_step`` x ``_gap_step`` cells of the grid (one cell unless the grid
        has more than ``_GAP_CELLS``: the transform's memory stays bounded), listed when any
        of its cells is; indexed ``[row, column]`` of blocks. Built once.
        """
        if getattr(self, "_gap", None) is None:  # (a grid pickled before it had one)
            from scipy import ndimage

            q = self._gap_q = self._gap_step
            nx_, ny_ = int(self.shape[0]), int(self.shape[1])
            bx, by = -(-nx_ // q), -(-ny_ // q)
            keys = self.keys if q == 1 else (self.keys // nx_ // q) * bx + self.keys % nx_ // q
            flat = np.ones(bx * by, dtype=bool)
            flat[keys] = False
            empty = flat.reshape(by, bx)
            if empty.all():
                self._gap = np.full((by, bx), np.inf, dtype=np.float32)
            else:
                gap = ndimage.distance_transform_edt(empty, sampling=q * self.cell)
                self._gap = gap.astype(np.float32)
        assert self._gap is not None
        return self._gap

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
        # listing lo + k for the k-th candidate of a point, k = 0 .. cnt - 1
        si = self.seg[np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))]
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
    def samples(self) -> tuple[Any, np.ndarray, np.ndarray]:
        """Return a k-d tree over points along the pieces, their piece and their spacing.

        Each piece carries its two ends and points between them, at most ``_SAMPLE_M``
        apart: every spot of a piece lies within half its spacing of one of its samples.
        Built once; it answers the nearest-piece searches beyond the grid's reach
        (:func:`_nearest_far`).
        """
        if self._samples is None:
            from scipy.spatial import cKDTree

            n = np.maximum(np.ceil(self.length / _SAMPLE_M), 1.0).astype(np.int64)
            piece = np.repeat(np.arange(len(n), dtype=np.int64), n + 1)
            t = np.arange(len(piece)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
            t = t / n[piece]
            xy = np.column_stack(
                [self.ax[piece] + t * self.dx[piece], self.ay[piece] + t * self.dy[piece]]
            )
            tree = cKDTree(xy, balanced_tree=False, compact_nodes=False)
            self._samples = (tree, piece, self.length / n)
        return self._samples


#: the longest spacing of the sample points along a piece (see _SegmentGrid.samples)
_SAMPLE_M = 10.0


def _nearest_far(
    grid: _SegmentGrid, xy: np.ndarray, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (point, piece, distance, offset along the edge) of the candidates within ``tol``.

    The nearest sample of a point lies at ``ds``; every piece at most as far as the nearest
    piece (``<= ds``) has a sample within ``ds`` plus half its spacing, so the samples within
    that bound name every piece that can be nearest, ties included. A point's k nearest
    samples are enough when the k-th lies beyond the bound; the others ask for more.
    """
    tree, piece, spacing = grid.samples
    if tree.n == 0 or len(xy) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0), np.zeros(0)
    half = float(spacing.max(initial=0.0)) / 2.0 + 1e-6
    parts = [
        _far_candidates(tree, piece, xy, a, min(a + _FAR_CHUNK, len(xy)), tol, half)
        for a in range(0, len(xy), _FAR_CHUNK)
    ]
    pi = np.concatenate([p for p, _ in parts])
    si = np.concatenate([q for _, q in parts])
    # each (point, piece) pair once, in (point, piece) order: one sort of int64 codes
    n_pieces = max(len(grid.edge), 1)
    code = pi * n_pieces + si
    code.sort()
    code = code[np.r_[True, code[1:] != code[:-1]]] if len(code) else code
    pi, si = np.divmod(code, n_pieces)
    d, off = grid.project(xy[pi], si)
    ok = d <= tol + _TIE_M
    return _geos_ties(grid, xy, pi[ok], si[ok], d[ok], off[ok], tol)


#: points searched at once by _nearest_far (its k-nearest tables stay ~20 MB)
_FAR_CHUNK = 65_536


def _far_candidates(
    tree: Any, piece: np.ndarray, xy: np.ndarray, a: int, b: int, tol: float, half: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return (point, piece) of every sample within its point's bound, for points ``a:b``."""
    pts, bound = np.arange(a, b), np.full(b - a, np.inf)
    found_p, found_s = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    k = 16
    while len(pts):
        d, i = tree.query(xy[pts], k=min(k, tree.n), distance_upper_bound=tol + half)
        d, i = d.reshape(len(pts), -1), i.reshape(len(pts), -1)
        bound = np.minimum(bound, d[:, 0] + half)
        # done: the k-th sample lies beyond the bound, or fewer than k lie within tol + half
        done = (d[:, -1] > bound) | np.isinf(d[:, -1]) | (k >= tree.n)
        keep = done[:, None] & (d <= bound[:, None]) & np.isfinite(d)
        found_p.append(np.broadcast_to(pts[:, None], d.shape)[keep])
        found_s.append(piece[i[keep]])
        pts, bound, k = pts[~done], bound[~done], k * 4
    return np.concatenate(found_p), np.concatenate(found_s)


#: distances closer than this (metres) are ties (see _closest)
_TIE_M = 1e-9


def _geos_ties(
    grid: _SegmentGrid,
    xy: np.ndarray,
    pi: np.ndarray,
    si: np.ndarray,
    d: np.ndarray,
    off: np.ndarray,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keep per point the candidate pieces GEOS finds nearest, within ``tol``.

    The answer the STRtree search gave (``query_nearest(max_distance=tol)``): where
    several pieces lie within a nanometre of the nearest, or the nearest within a nanometre
    of ``tol``, GEOS's distances to those pieces decide which are nearest and within
    ``tol``; elsewhere the one nearest piece is the answer. Rare, so GEOS measures few.
    """
    if not len(pi):
        return pi, si, d, off
    if ((pi[1:] < pi[:-1]) | ((pi[1:] == pi[:-1]) & (si[1:] <= si[:-1]))).any():
        o = np.lexsort((si, pi))
        pi, si, d, off = pi[o], si[o], d[o], off[o]
        new = np.r_[True, (pi[1:] != pi[:-1]) | (si[1:] != si[:-1])]  # a piece found twice
        pi, si, d, off = pi[new], si[new], d[new], off[new]
    starts = np.flatnonzero(np.r_[True, pi[1:] != pi[:-1]])
    counts = np.diff(np.r_[starts, len(pi)])
    dmin = np.minimum.reduceat(d, starts)
    keep = d <= np.repeat(dmin, counts) + _TIE_M
    # in doubt: tied pieces that give different answers, unless all are nearest at one
    # piece end (a street node: GEOS measures the same distance to each), or near tol
    kept = np.flatnonzero(keep)
    first = kept[np.flatnonzero(np.r_[True, pi[kept][1:] != pi[kept][:-1]])]
    f = np.repeat(first, np.add.reduceat(keep, starts))
    pk, sk = pi[kept], si[kept]
    same = (grid.edge[sk] == grid.edge[si[f]]) & (off[kept] == off[f]) & (d[kept] == d[f])
    t = (xy[pk, 0] - grid.ax[sk]) * grid.dx[sk] + (xy[pk, 1] - grid.ay[sk]) * grid.dy[sk]
    t *= grid.inv_len2[sk]
    at_b = t > 1.0 + _TIE_M
    sx = np.where(at_b, grid.ax[sk] + grid.dx[sk], grid.ax[sk])
    sy = np.where(at_b, grid.ay[sk] + grid.dy[sk], grid.ay[sk])
    fk = np.searchsorted(kept, f)
    at_node = ((t < -_TIE_M) | at_b) & (sx == sx[fk]) & (sy == sy[fk])
    g = np.searchsorted(kept, first)
    doubt = ~(np.logical_and.reduceat(same, g) | np.logical_and.reduceat(at_node, g))
    doubt |= dmin > tol - _TIE_M
    check = keep & np.repeat(doubt, counts)
    if check.any():
        c = np.flatnonzero(check)
        ends = np.stack(
            [
                np.column_stack([grid.ax[si[c]], grid.ay[si[c]]]),
                np.column_stack([grid.ax[si[c]] + grid.dx[si[c]], grid.ay[si[c]] + grid.dy[si[c]]]),
            ],
            axis=1,
        )
        gd = shapely.distance(shapely.points(xy[pi[c]]), shapely.linestrings(ends))
        cs = np.flatnonzero(np.r_[True, pi[c][1:] != pi[c][:-1]])
        gmin = np.repeat(np.minimum.reduceat(gd, cs), np.diff(np.r_[cs, len(c)]))
        keep[c] = (gd == gmin) & (gd <= tol)
    return pi[keep], si[keep], d[keep], off[keep]


#: snapping calls with a tolerance beyond the grid's reach and at least this many points first
#: drop the points :meth:`_SegmentGrid.could_reach` rules out (its distance transform is
#: built once per grid: not worth it for a few facilities)
_SCREEN_MIN = 20_000

#: the screen's distance transform measures blocks of cells when the grid has more cells
#: than this (a transform of n cells takes ~17 n bytes while it runs)
_GAP_CELLS = 4_000_000

#: metres of slack in that screen (its distances are float32)
_SCREEN_SLACK_M = 1.0

#: candidate (point, piece) pairs handled at once by _SegmentGrid.near (~50 MB of arrays)
_GRID_CHUNK = 1_000_000


def nearest_edges(
    grid: _SegmentGrid,
    xy: np.ndarray,
    tol: float,
    edge_length: np.ndarray,
    *,
    screen: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge index (-1: none within ``tol``), offset along it and distance per point of ``xy``.

    Points within ``_GRID_REACH_M`` are answered from ``grid``; with a longer ``tol`` the rest
    search the grid's k-d tree of samples (:func:`_nearest_far`; see ``WalkNetwork.snap_xy``).
    With ``screen`` and at least ``_SCREEN_MIN`` points, the points
    :meth:`_SegmentGrid.could_reach` rules out are answered "none" first.
    """
    n = len(xy)
    edge = np.full(n, -1, dtype=np.int64)
    offset = np.zeros(n)
    dist = np.full(n, np.inf)
    reach = min(tol, _GRID_REACH_M)
    if screen and tol > reach and n >= _SCREEN_MIN:
        # many points, most perhaps far from every street (walk_minutes.tif's cells): drop
        # those the grid's distance transform shows to have no piece within tol; each point's
        # answer depends on that point alone, so the others' answers stay the same
        keep = np.flatnonzero(grid.could_reach(xy, tol))
        if len(keep) < n:
            edge[keep], offset[keep], dist[keep] = nearest_edges(
                grid, xy[keep], tol, edge_length, screen=False
            )
            return edge, offset, dist
    pi, ei, d, off = grid.near(xy, reach)
    if len(pi):
        pi, ei, d, off = _closest(pi, ei, d, off)
        edge[pi] = ei
        dist[pi] = d
        # segment sums can exceed GEOS's edge length by ~1e-12 m: stay on the edge
        offset[pi] = np.clip(off, 0.0, edge_length[ei])
    if tol > reach:
        # the rest: nearest straight piece within tol (a k-d tree of points along the pieces)
        rest = np.flatnonzero((edge < 0) & np.isfinite(xy).all(axis=1))
        pi, si, d, off = _nearest_far(grid, xy[rest], tol)
        if len(pi):
            pi, ei, d, off = _closest(pi, grid.edge[si], d, off)
            edge[rest[pi]] = ei
            dist[rest[pi]] = d
            offset[rest[pi]] = np.clip(off, 0.0, edge_length[ei])
    return edge, offset, dist
