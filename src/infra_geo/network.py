"""The pedestrian street network: compact arrays inside, GeoDataFrames for people.

A :class:`WalkNetwork` is an undirected graph in a metric CRS. Nodes are street
intersections and dead ends (OSM nodes shared by two or more walkable ways, or a way's
ends); edges are the street pieces between them with their full geometry and length in
metres. Inside it keeps a CSR adjacency matrix (the shortest of parallel edges per node pair)
for compiled shortest-path searches, and shapely arrays for snapping.

Build one from an extract (:func:`walk_network_from_file`), online
(:func:`walk_network_from_place`, :func:`walk_network_from_polygon`) or from a networkx /
osmnx graph (:meth:`WalkNetwork.from_networkx`). Ways are filtered with a walk profile
(``settings.walk_profile``; :mod:`infra_geo._walk_profiles`): the Dutch ``"nl"`` profile
inside the Netherlands (cycle paths, ``foot=yes`` on any road, ferries), osmnx's ``walk``
filter (``settings.walk_filter``) elsewhere.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from . import _online, settings
from ._crs import metric_crs_for
from ._log import log
from ._osm_reader import read_osm
from ._types import CRSLike, PolygonLike
from ._validate import as_polygon, check_overlap, positive, to_crs
from ._walk_profiles import check_profile
from ._walk_profiles import resolve as resolve_profile
from .components import load_rules
from .errors import EmptyDataError, InputError, NetworkError

__all__ = [
    "Snap",
    "WalkNetwork",
    "walk_network_from_file",
    "walk_network_from_place",
    "walk_network_from_polygon",
]


@dataclass(frozen=True)
class Snap:
    """Where points attach to the network.

    Attributes
    ----------
    edge : ndarray of int
        Edge index per point (-1 where nothing lies within the tolerance).
    offset : ndarray of float
        Metres along the edge from its ``u`` end to the attachment point.
    distance : ndarray of float
        Straight-line metres from the point to the attachment point (``inf`` if none).
    """

    edge: np.ndarray
    offset: np.ndarray
    distance: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Points that are attached."""
        return self.edge >= 0


class WalkNetwork:
    """An undirected pedestrian network in a metric CRS.

    Parameters
    ----------
    node_ids : array-like
        One id per node (OSM node ids when built from OSM).
    node_xy : ndarray, shape (n, 2)
        Node coordinates in ``crs``.
    edge_u, edge_v : array-like of int
        Node *indices* (0..n-1) of each edge's ends.
    edge_geometry : array of shapely LineString
        Each edge's geometry in ``crs``, running from ``u`` to ``v``.
    crs : CRS-like
        A projected CRS in metres.
    edge_data : DataFrame, optional
        Extra per-edge columns (``osmid``, ``highway``, ``name``...).
    edge_length : array of float, optional
        Walking cost of each edge in metres where it is not the geometry's length (NaN:
        the geometry's), e.g. a ferry's crossing time as walking metres. Points never snap
        to such an edge.

    Attributes
    ----------
    crs : pyproj.CRS
    node_ids, node_xy, edge_u, edge_v, edge_length, edge_geometry : ndarray
    csr : scipy.sparse.csr_matrix
        Symmetric adjacency (metres), the minimum over parallel edges, no self-loops.
    island : ndarray of int
        Connected-piece label per node; 0 is the largest piece.
    """

    def __init__(
        self,
        node_ids: Any,
        node_xy: np.ndarray,
        edge_u: Any,
        edge_v: Any,
        edge_geometry: np.ndarray,
        crs: Any,
        edge_data: pd.DataFrame | None = None,
        *,
        edge_length: np.ndarray | None = None,
    ) -> None:
        self.crs = to_crs(crs, "The network CRS")
        if not self.crs.is_projected:
            raise NetworkError(
                f"A WalkNetwork needs a projected CRS in metres, got {self.crs.name}; "
                "project the graph first (osmnx.project_graph) or let infra_geo choose."
            )
        self.node_ids = np.asarray(node_ids)
        self.node_xy = np.asarray(node_xy, dtype=np.float64).reshape(-1, 2)
        self.edge_u = np.asarray(edge_u, dtype=np.int64)
        self.edge_v = np.asarray(edge_v, dtype=np.int64)
        self.edge_geometry = np.asarray(edge_geometry, dtype=object)
        self.edge_length = shapely.length(self.edge_geometry).astype(np.float64)
        # edges whose walking cost is not their drawn length (ferries): nothing snaps to them
        self._unsnappable = np.zeros(len(self.edge_length), dtype=bool)
        if edge_length is not None:
            cost = np.asarray(edge_length, dtype=np.float64)
            if cost.shape != self.edge_length.shape or (cost[np.isfinite(cost)] < 0).any():
                raise NetworkError(
                    "edge_length must hold one length >= 0 (or NaN: the geometry's) per edge."
                )
            given = np.isfinite(cost)
            self._unsnappable = given & (np.abs(cost - self.edge_length) > 1e-9)
            self.edge_length = np.where(given, cost, self.edge_length)
        self.edge_data = (
            edge_data.reset_index(drop=True)
            if edge_data is not None
            else pd.DataFrame(index=range(len(self.edge_u)))
        )
        n = len(self.node_ids)
        if n == 0 or len(self.edge_u) == 0:
            raise EmptyDataError(
                "The walking network is empty: the data holds no walkable street. Check the "
                "area, or that the extract contains highway=* ways."
            )
        if (
            self.edge_u.max() >= n
            or self.edge_v.max() >= n
            or min(self.edge_u.min(), self.edge_v.min()) < 0
        ):
            raise NetworkError("Edge ends must be node indices 0..n-1.")
        self.csr = _adjacency(n, self.edge_u, self.edge_v, self.edge_length)
        n_pieces, labels = connected_components(self.csr, directed=False)
        sizes = np.bincount(labels, minlength=n_pieces)
        rank = np.empty(n_pieces, dtype=np.int64)
        # largest piece first; ties broken by first node for determinism
        first_node = np.full(n_pieces, n, dtype=np.int64)
        np.minimum.at(first_node, labels, np.arange(n))
        rank[np.lexsort((first_node, -sizes))] = np.arange(n_pieces)
        self.island = rank[labels]
        self._tree: shapely.STRtree | None = None
        self._node_tree: shapely.STRtree | None = None
        self._grid: _SegmentGrid | None = None
        #: the walk profile the network was built with ("nl", "osmnx"; None: a given graph)
        self.walk_profile: str | None = None
        if n_pieces > 1:
            log(
                f"walking network: {n:,} nodes, {len(self.edge_u):,} edges in {n_pieces} pieces; "
                f"{int((self.island > 0).sum()):,} nodes lie on islands outside the main piece "
                "(kept; their residents reach only what is on their island)",
            )

    # ---------------------------------------------------------------- sizes and views
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of edges (parallel edges and self-loops included)."""
        return len(self.edge_u)

    @property
    def n_islands(self) -> int:
        """Number of connected pieces."""
        return int(self.island.max()) + 1

    def __repr__(self) -> str:
        return (
            f"<WalkNetwork {self.n_nodes:,} nodes, {self.n_edges:,} edges, "
            f"{self.edge_length.sum() / 1000:,.1f} km, {self.n_islands} piece(s), "
            f"{self.crs.to_string()}>"
        )

    @property
    def nodes(self) -> gpd.GeoDataFrame:
        """Nodes: ``node_id``, ``x``, ``y``, ``island``, geometry (network CRS).

        Indexed by node id (index name ``node``), the key of :meth:`to_networkx` and of
        every node result (:func:`~infra_geo.distance_to_nearest`...), as in osmnx.
        """
        return gpd.GeoDataFrame(
            {
                "node_id": self.node_ids,
                "x": self.node_xy[:, 0],
                "y": self.node_xy[:, 1],
                "island": self.island,
            },
            index=pd.Index(self.node_ids, name="node"),
            geometry=shapely.points(self.node_xy),
            crs=self.crs,
        )

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """Edges: ``u``, ``v`` (node positions), ``u_id``, ``v_id`` (node ids, the index of
        :attr:`nodes`), ``length`` (m), tags.
        """
        df = pd.DataFrame(
            {
                "u": self.edge_u,
                "v": self.edge_v,
                "u_id": self.node_ids[self.edge_u],
                "v_id": self.node_ids[self.edge_v],
                "length": self.edge_length,
            }
        )
        df = pd.concat([df, self.edge_data], axis=1)
        return gpd.GeoDataFrame(df, geometry=self.edge_geometry, crs=self.crs)

    @property
    def extent_polygon(self) -> shapely.Geometry:
        """The area the network covers (its edges buffered by the catchment width), network CRS."""
        return shapely.buffer(
            shapely.multilinestrings(self.edge_geometry), settings.catchment_buffer_m
        )

    def to_networkx(self) -> nx.MultiGraph:
        """The network as an undirected networkx MultiGraph.

        Nodes are keyed by ``node_ids`` with ``x``, ``y`` (network CRS) attributes; edges
        carry ``length`` (m), ``geometry`` and the tag columns; ``G.graph["crs"]`` is the CRS.
        """
        G = nx.MultiGraph(crs=self.crs)
        ids = self.node_ids.tolist()
        G.add_nodes_from(
            (nid, {"x": float(x), "y": float(y)})
            for nid, (x, y) in zip(ids, self.node_xy.tolist(), strict=True)
        )
        cols = list(self.edge_data.columns)
        rows = self.edge_data.to_dict("records") if cols else [{}] * self.n_edges
        for i, (u, v, length) in enumerate(
            zip(self.edge_u.tolist(), self.edge_v.tolist(), self.edge_length.tolist(), strict=True)
        ):
            attrs = {k: val for k, val in rows[i].items() if not _isna(val)}
            G.add_edge(ids[u], ids[v], length=length, geometry=self.edge_geometry[i], **attrs)
        return G

    @classmethod
    def from_networkx(cls, G: nx.Graph, crs: CRSLike | None = None) -> WalkNetwork:
        """Build a WalkNetwork from a networkx or osmnx graph.

        Parameters
        ----------
        G : networkx graph
            Nodes need ``x`` and ``y`` attributes (as osmnx gives); edges may carry a
            ``geometry`` LineString. Directed graphs are taken as undirected (walking goes
            both ways). Lengths are recomputed from the geometry (or the straight line) in
            the metric CRS.
        crs : CRS-like, optional
            The graph's CRS when ``G.graph["crs"]`` is not set. A geographic CRS
            (EPSG:4326) is projected to a metric CRS automatically.

        Returns
        -------
        WalkNetwork

        Raises
        ------
        InputError
            ``G`` is not a graph or lacks node coordinates.
        EmptyDataError
            ``G`` has no edges.

        Examples
        --------
        >>> import osmnx as ox, infra_geo as ig
        >>> G = ox.graph_from_place("Vaduz, Liechtenstein", network_type="walk")  # doctest: +SKIP
        >>> net = ig.WalkNetwork.from_networkx(G)  # doctest: +SKIP
        """
        if not isinstance(G, nx.Graph):
            raise InputError(f"from_networkx needs a networkx graph, got {type(G).__name__}.")
        if G.number_of_edges() == 0:
            raise EmptyDataError("The graph has no edges; nothing to walk on.")
        src = crs if crs is not None else G.graph.get("crs")
        if src is None:
            raise InputError("The graph has no CRS: pass crs= (osmnx graphs carry G.graph['crs']).")
        src_crs = to_crs(src, "The graph CRS")
        ids = list(G.nodes)
        try:
            xy = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in ids], dtype=np.float64)
        except KeyError:
            raise InputError("Every node needs 'x' and 'y' attributes (coordinates).") from None
        except (TypeError, ValueError):
            raise InputError("Every node's 'x' and 'y' must be numbers (coordinates).") from None
        bad = ~np.isfinite(xy).all(axis=1)
        if bad.any():
            raise InputError(
                f"{int(bad.sum())} node(s) have a non-finite coordinate (NaN or inf), e.g. node "
                f"{ids[int(np.flatnonzero(bad)[0])]!r}: fix or remove them before building "
                "the network."
            )
        index = {n: i for i, n in enumerate(ids)}
        edges = list(G.edges(data=True))
        if G.is_directed():
            # osmnx stores a two-way street as two opposite edges with the same geometry;
            # walking is undirected, so keep one edge of each such pair
            seen: set = set()
            unique = []
            for a, b, d in edges:
                g = d.get("geometry")
                shape = None
                if g is not None:
                    shape = min(shapely.to_wkb(g), shapely.to_wkb(shapely.reverse(g)))
                # two OSM ways drawn on the same nodes are two streets (as in osmnx's
                # to_undirected and walk_network_from_file): the way id is part of the key
                osmid = d.get("osmid")
                way = frozenset(map(str, osmid)) if isinstance(osmid, list) else str(osmid)
                key = (frozenset((a, b)), shape, way)
                if key not in seen:
                    seen.add(key)
                    unique.append((a, b, d))
            edges = unique
        u = np.array([index[a] for a, _, _ in edges], dtype=np.int64)
        v = np.array([index[b] for _, b, _ in edges], dtype=np.int64)
        geoms = np.array(
            [
                d.get("geometry")
                if d.get("geometry") is not None
                else shapely.LineString([xy[index[a]], xy[index[b]]])
                for a, b, d in edges
            ],
            dtype=object,
        )
        # orient each geometry from u to v
        starts = shapely.get_point(geoms, 0)
        d_u = shapely.distance(starts, shapely.points(xy[u]))
        d_v = shapely.distance(starts, shapely.points(xy[v]))
        flip = d_v < d_u
        geoms[flip] = shapely.reverse(geoms[flip])
        keep_cols = ("osmid", "highway", "name")
        data = pd.DataFrame({k: [d.get(k) for _, _, d in edges] for k in keep_cols})
        for k in keep_cols:
            data[k] = data[k].map(lambda x: ";".join(map(str, x)) if isinstance(x, list) else x)
        if src_crs.is_projected:
            dst = src_crs
        else:
            hull = shapely.multipoints(xy)
            dst = metric_crs_for(gpd.GeoSeries([hull], crs=src_crs).to_crs(4326).iloc[0])
            tr = Transformer.from_crs(src_crs, dst, always_xy=True)
            xy = np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
            geoms = shapely.transform(
                geoms, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1]))
            )
        return cls(np.asarray(ids), xy, u, v, geoms, dst, edge_data=data)

    # ---------------------------------------------------------------- snapping
    @property
    def tree(self) -> shapely.STRtree:
        """STRtree over the edge geometries (built once)."""
        if self._tree is None:
            self._tree = shapely.STRtree(self._snappable_geometry())
        return self._tree

    def _snappable_geometry(self) -> np.ndarray:
        """Edge geometries, None for edges nothing may attach to (ferries)."""
        if not self._unsnappable.any():
            return self.edge_geometry
        geoms = self.edge_geometry.copy()
        geoms[self._unsnappable] = None
        return geoms

    @property
    def node_tree(self) -> shapely.STRtree:
        """STRtree over the node points (built once)."""
        if self._node_tree is None:
            self._node_tree = shapely.STRtree(shapely.points(self.node_xy))
        return self._node_tree

    def _segments(self) -> _SegmentGrid:
        """The grid of the edges' straight pieces for snapping (built once)."""
        if self._grid is None:
            self._grid = _SegmentGrid(self._snappable_geometry(), _GRID_REACH_M)
        return self._grid

    def snap(self, points: Any, tolerance: float | None = None) -> Snap:
        """Attach points to their nearest walkable edge.

        Parameters
        ----------
        points : array of shapely Points, or GeoSeries
            In the network CRS (a GeoSeries in another CRS is reprojected).
        tolerance : float, optional
            Maximum snapping distance in metres (default ``settings.snap_tolerance_m``).

        Returns
        -------
        Snap
            Edge index, offset along the edge from ``u`` and the snapping distance per point;
            points farther than the tolerance get edge -1.
        """
        tol = settings.snap_tolerance_m if tolerance is None else tolerance
        if isinstance(points, gpd.GeoSeries):
            if points.crs is not None and not CRS(points.crs).equals(self.crs):
                points = points.to_crs(self.crs)
            points = points.to_numpy()
        pts = np.asarray(points, dtype=object)
        n = len(pts)
        # missing and empty points attach nowhere
        usable = np.flatnonzero(~(shapely.is_missing(pts) | shapely.is_empty(pts)))
        xy = np.full((n, 2), np.nan)
        xy[usable] = shapely.get_coordinates(shapely.centroid(pts[usable]))
        return self.snap_xy(xy, tolerance=tol)

    def snap_xy(self, xy: np.ndarray, *, tolerance: float | None = None) -> Snap:
        """:meth:`snap` for an (n, 2) array of coordinates in the network CRS (NaN: none).

        Every point within ``_GRID_REACH_M`` of an edge is answered from a grid of the edges'
        straight pieces (:class:`_SegmentGrid`) with exact distances and offsets in numpy:
        several times faster than an STRtree search against long, many-vertex edges. With a
        longer reach, only the points the grid did not answer search the STRtree, up to
        ``tolerance``. Either way each point gets its nearest edge (ties within a nanometre:
        the lowest edge index, then the lowest offset).

        Parameters
        ----------
        xy : ndarray, shape (n, 2)
            Coordinates in the network CRS; rows with NaN attach nowhere.
        tolerance : float, optional
            Maximum snapping distance in metres (default ``settings.snap_tolerance_m``).

        Returns
        -------
        Snap
            As :meth:`snap`.

        Examples
        --------
        >>> import numpy as np, infra_geo as ig
        >>> net = ig.walk_network_from_file(ig.analysis.sample_path())
        >>> s = net.snap_xy(net.node_xy[:3] + 1.0, tolerance=30)
        >>> bool(s.ok.all())
        True
        """
        tol = positive(
            settings.snap_tolerance_m if tolerance is None else tolerance,
            "The snapping tolerance (metres)",
        )
        n = len(xy)
        edge = np.full(n, -1, dtype=np.int64)
        offset = np.zeros(n)
        dist = np.full(n, np.inf)
        reach = min(tol, _GRID_REACH_M)
        grid = self._segments()
        pi, ei, d, off = grid.near(xy, reach)
        if len(pi):
            pi, ei, d, off = _closest(pi, ei, d, off)
            edge[pi] = ei
            dist[pi] = d
            # segment sums can exceed GEOS's edge length by ~1e-12 m: stay on the edge
            offset[pi] = np.clip(off, 0.0, self.edge_length[ei])
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
                offset[rest[pi]] = np.clip(off, 0.0, self.edge_length[ei])
        return Snap(edge, offset, dist)

    def _snap_xy(self, xy: np.ndarray, tol: Any) -> Snap:
        """Deprecated private spelling of :meth:`snap_xy` (kept for one release)."""
        return self.snap_xy(xy, tolerance=tol)


#: snap() answers points within this many metres of an edge from a grid of the edges' straight
#: pieces (the default reach of area boundary samples, ``settings.area_snap_m``); farther
#: points search an STRtree over the pieces
_GRID_REACH_M = 30.0


def _closest(
    pi: np.ndarray, ei: np.ndarray, d: np.ndarray, off: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per point the closest candidate; ties (within a nanometre) go to the lowest edge index,
    then the lowest offset, so the choice is deterministic.
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
        """(point, edge, distance, offset along the edge) of every piece within ``reach``
        (at most the reach the grid was built for).
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
        """Distance from each point to piece ``si`` and the offset of the closest spot on the
        piece along its edge.
        """
        px, py = xy[:, 0] - self.ax[si], xy[:, 1] - self.ay[si]
        ddx, ddy = self.dx[si], self.dy[si]
        t = np.clip((px * ddx + py * ddy) * self.inv_len2[si], 0.0, 1.0)
        px -= t * ddx
        py -= t * ddy
        return np.sqrt(px * px + py * py), self.start[si] + t * self.length[si]

    @property
    def tree(self) -> shapely.STRtree:
        """STRtree over the pieces (built once): nearest-piece searches beyond the grid's
        reach are ~2-5x faster than over whole many-vertex edges.
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


def _isna(val: Any) -> bool:
    try:
        return bool(pd.isna(val))
    except (TypeError, ValueError):
        return False


def _adjacency(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> sparse.csr_matrix:
    """Symmetric CSR of edge lengths, the minimum over parallel edges, without self-loops.

    scipy's constructors *sum* duplicate entries, so the minimum per (row, col) is taken
    first.
    """
    keep = u != v
    rows = np.concatenate([u[keep], v[keep]])
    cols = np.concatenate([v[keep], u[keep]])
    vals = np.concatenate([w[keep], w[keep]])
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    m = sparse.csr_matrix((vals[first], (rows[first], cols[first])), shape=(n, n))
    m.sort_indices()
    return m


# ------------------------------------------------------------------------- front doors
def walk_network_from_file(
    path: str | os.PathLike[str],
    polygon: PolygonLike | None = None,
    crs: CRSLike | None = None,
    polygon_crs: CRSLike | None = None,
    *,
    walk_profile: str | None = None,
) -> WalkNetwork:
    """The walking network in an OSM extract.

    Only ways that pass the walk profile become edges (never building outlines or other
    closed ways of a full export); ways cut at the edge of a clipped extract are split at
    the missing nodes and their complete pieces kept (and logged).

    Parameters
    ----------
    path : str or path-like
        ``.osm``, ``.osm.gz``, ``.osm.bz2`` or ``.osm.pbf``.
    polygon : shapely (Multi)Polygon, GeoDataFrame or GeoSeries, optional
        Keep the edges that intersect this area.
    crs : CRS-like, optional
        Projected CRS for the network; default ``settings.metric_crs`` or, automatically,
        RD New (EPSG:28992) in the Netherlands and the local UTM zone elsewhere.
    polygon_crs : CRS-like, optional
        CRS of a bare shapely ``polygon`` (default EPSG:4326).
    walk_profile : {"auto", "nl", "osmnx"}, optional
        Which ways are walkable (default ``settings.walk_profile``, ``"auto"``: ``"nl"``
        inside the Netherlands, ``"osmnx"`` elsewhere). ``"nl"`` walks cycle paths unless
        ``foot=no``, any way with ``foot=yes``, pedestrian ferries, and drops a road tagged
        ``sidewalk=separate`` only where its separate sidewalk is in the data; ``"osmnx"``
        is osmnx's walk filter (``settings.walk_filter``).

    Returns
    -------
    WalkNetwork

    Raises
    ------
    InputError
        ``walk_profile`` is not one of the profiles.
    DataFileError
        The file is missing, empty, truncated or not OSM.
    EmptyDataError
        No walkable street in the file (or in the polygon).
    OutsideDataError
        The polygon does not overlap the file.

    Examples
    --------
    >>> import infra_geo as ig
    >>> net = ig.walk_network_from_file("liechtenstein.osm.pbf")  # doctest: +SKIP
    >>> net.edges.length.sum()  # doctest: +SKIP
    """
    check_profile(walk_profile)
    area = as_polygon(polygon, crs=polygon_crs) if polygon is not None else None
    data = read_osm(path, load_rules().match_keys())
    if area is not None:
        check_overlap(area, data.extent, str(path))
    if len(data.way_ids) == 0:
        raise EmptyDataError(f"{path} holds no highway=* way: there is no street network in it.")
    tags = data.way_tags
    # where the streets are: a ferry may run far abroad (Hoek van Holland - Harwich)
    streets = (
        np.flatnonzero(tags["highway"].notna().to_numpy())
        if "highway" in tags
        else np.zeros(0, dtype=np.intp)
    )
    profile = resolve_profile(
        walk_profile, _lonlat_box(data, streets if len(streets) else np.arange(len(tags)))
    )
    walk = profile.walkable(tags)
    ferry = profile.ferries(tags)
    if crs is None and (walk & ~ferry).any():
        crs = _network_crs(
            data.way_lonlat[_positions(data, np.flatnonzero(walk & ~ferry))[0]], None
        )
    if profile.separate_sidewalk:
        walk = _drop_roads_with_separate_sidewalk(
            data,
            walk,
            profile.sidewalk_separate(tags) & walk,
            profile.sidewalk_like(tags) & walk,
            crs,
        )
    net = _build_from_ways(data, walk, area, crs, ferry=ferry)
    net.walk_profile = profile.name
    _log_loose_ferries(net)
    log(f"{os.path.basename(str(path))}: {net!r} ({profile.name} walk profile)")
    return net


def _positions(data: Any, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions in the flat node arrays of the nodes of the way runs ``runs``, the run
    (0..len(runs)-1) of each position, and the runs' node counts.
    """
    offs = data.way_offsets
    r_lens = np.diff(offs)[runs]
    pos = np.repeat(offs[runs] - np.r_[0, np.cumsum(r_lens)[:-1]], r_lens) + np.arange(r_lens.sum())
    return pos, np.repeat(np.arange(len(runs)), r_lens), r_lens


def _lonlat_box(data: Any, runs: np.ndarray) -> shapely.Geometry:
    """The lon/lat box of the way runs ``runs``."""
    lonlat = data.way_lonlat[_positions(data, np.asarray(runs, dtype=np.int64))[0]]
    w, s = lonlat.min(axis=0)
    e, n = lonlat.max(axis=0)
    return shapely.box(w, s, e, n)


def _network_crs(lonlat: np.ndarray, crs: Any) -> CRS:
    """``crs`` checked, or the metric CRS of the box of ``lonlat``."""
    if crs is None:
        w, s = lonlat.min(axis=0)
        e, nn = lonlat.max(axis=0)
        return metric_crs_for(shapely.box(w, s, e, nn))
    dst = to_crs(crs, "crs")
    if not dst.is_projected:
        raise NetworkError(f"crs must be projected (metres), got {dst.name}.")
    return dst


def _drop_roads_with_separate_sidewalk(
    data: Any, walk: np.ndarray, road: np.ndarray, sidewalk: np.ndarray, crs: Any
) -> np.ndarray:
    """``walk`` without the ``road`` ways whose separate sidewalk is in the data.

    A road tagged ``sidewalk=separate`` (or ``foot=use_sidepath``) is dropped when a
    ``sidewalk`` way (footway, path, pedestrian street or cycleway, crossings excluded) lies
    within ``settings.separate_sidewalk_m`` of at least ``settings.separate_sidewalk_share``
    of its length, sampled at the middles of 10 m pieces; otherwise it is kept, since it is
    the only way to walk there. Runs of a way cut by a clipped extract are judged apart.
    """
    if not road.any():
        return walk
    runs = np.flatnonzero(walk)
    pos, run_of, _ = _positions(data, runs)
    dst = _network_crs(data.way_lonlat[pos], crs)
    tr = Transformer.from_crs("EPSG:4326", dst, always_xy=True)
    x, y = tr.transform(data.way_lonlat[pos, 0], data.way_lonlat[pos, 1])
    lines = shapely.linestrings(np.column_stack([x, y]), indices=run_of)
    is_road, is_side = road[runs], sidewalk[runs] & ~road[runs]
    found = separate_sidewalk_found(lines[is_road], lines[is_side])
    out = walk.copy()
    out[runs[is_road][found]] = False
    n_road = int(is_road.sum())
    log(
        f"sidewalk=separate: {int(found.sum()):,} of {n_road:,} road pieces so tagged have their "
        f"sidewalk mapped alongside (dropped); {n_road - int(found.sum()):,} kept (none found)"
    )
    return out


def separate_sidewalk_found(roads: np.ndarray, sidewalks: np.ndarray) -> np.ndarray:
    """Per road line, whether a sidewalk line runs alongside most of it (metric CRS).

    Sample points at the middle of every 10 m piece of each road; a point is served when a
    sidewalk lies within ``settings.separate_sidewalk_m``; a road is served when at least
    ``settings.separate_sidewalk_share`` of its points are (vectorised with an STRtree).
    """
    reach = positive(settings.separate_sidewalk_m, "settings.separate_sidewalk_m")
    share = positive(settings.separate_sidewalk_share, "settings.separate_sidewalk_share")
    n_roads = len(roads)
    if n_roads == 0 or len(sidewalks) == 0:
        return np.zeros(n_roads, dtype=bool)
    n = np.maximum(np.ceil(shapely.length(roads) / 10.0).astype(np.int64), 1)
    road_of = np.repeat(np.arange(n_roads), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    pts = shapely.line_interpolate_point(roads[road_of], (k + 0.5) / n[road_of], normalized=True)
    hit, _ = shapely.STRtree(sidewalks).query(pts, predicate="dwithin", distance=reach)
    near = np.zeros(len(pts), dtype=bool)
    near[hit] = True
    return np.bincount(road_of, weights=near, minlength=n_roads) / n >= share


def _build_from_ways(
    data: Any, walk: np.ndarray, area: Any, crs: Any, *, ferry: np.ndarray | None = None
) -> WalkNetwork:
    """Split the walkable ways at shared nodes into edges (vectorised); ``ferry`` ways get
    their crossing time as walking metres (:func:`_ferry_lengths`).
    """
    runs = np.flatnonzero(walk)
    if len(runs) == 0:
        raise EmptyDataError("No way in the data passes the walk filter: no walkable streets.")
    # positions of the selected runs' nodes in the flat arrays
    pos, run_of, r_lens = _positions(data, runs)
    ids = data.way_node_ids[pos]
    lonlat = data.way_lonlat[pos]
    dst = _network_crs(lonlat, crs)
    tr = Transformer.from_crs("EPSG:4326", dst, always_xy=True)
    x, y = tr.transform(lonlat[:, 0], lonlat[:, 1])
    xy = np.column_stack([x, y])
    # split points: ends of each run, and nodes used more than once
    _, inv, counts = np.unique(ids, return_inverse=True, return_counts=True)
    run_start = np.r_[0, np.cumsum(r_lens)[:-1]]
    is_end = np.zeros(len(ids), dtype=bool)
    is_end[run_start] = True
    is_end[run_start + r_lens - 1] = True
    split = is_end | (counts[inv] > 1)
    sp = np.flatnonzero(split)
    same_run = run_of[sp[:-1]] == run_of[sp[1:]]
    a, b = sp[:-1][same_run], sp[1:][same_run]  # edge = positions a..b inclusive
    # drop zero-length duplicates of consecutive identical nodes (a way repeating a node)
    seg_len = b - a + 1
    coord_idx = np.repeat(a - np.r_[0, np.cumsum(seg_len)[:-1]], seg_len) + np.arange(seg_len.sum())
    geoms = shapely.linestrings(xy[coord_idx], indices=np.repeat(np.arange(len(a)), seg_len))
    node_uniq, node_idx = np.unique(ids[sp], return_inverse=True)
    node_of_pos = np.full(len(ids), -1, dtype=np.int64)
    node_of_pos[sp] = node_idx
    node_xy = np.zeros((len(node_uniq), 2))
    node_xy[node_of_pos[sp]] = xy[sp]
    u = node_of_pos[a]
    v = node_of_pos[b]
    way_row = runs[run_of[a]]
    tags = data.way_tags
    edge_data = pd.DataFrame({"osmid": data.way_ids[way_row]})
    for k in ("highway", "name"):
        edge_data[k] = tags[k].to_numpy()[way_row] if k in tags.columns else None
    cost = None
    if ferry is not None and ferry[way_row].any():
        is_ferry = ferry[way_row]
        edge_data["ferry"] = is_ferry
        cost = np.full(len(a), np.nan)
        cost[is_ferry] = _ferry_lengths(
            shapely.length(geoms[is_ferry]), way_row[is_ferry], data.way_ids, tags
        )
    if area is not None:
        area_m = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(dst).iloc[0]
        inside = shapely.intersects(geoms, area_m)
        if not inside.any():
            raise EmptyDataError("No walkable street intersects the polygon.")
        used = np.unique(np.r_[u[inside], v[inside]])
        remap = np.full(len(node_uniq), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        node_uniq, node_xy = node_uniq[used], node_xy[used]
        u, v, geoms = remap[u[inside]], remap[v[inside]], geoms[inside]
        edge_data = edge_data.loc[inside].reset_index(drop=True)
        cost = cost[inside] if cost is not None else None
    return WalkNetwork(node_uniq, node_xy, u, v, geoms, dst, edge_data=edge_data, edge_length=cost)


def parse_duration_min(value: Any) -> float:
    """Minutes in an OSM ``duration`` tag (``"mm"``, ``"hh:mm"``, ``"hh:mm:ss"`` or ISO 8601
    ``"PT1H5M"``); NaN when absent or unreadable.
    """
    if not isinstance(value, str) or not value.strip():
        return float("nan")
    text = value.strip().upper()
    iso = re.fullmatch(r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?", text)
    if iso and any(iso.groups()):
        h, m, sec = (float(g) if g else 0.0 for g in iso.groups())
        return h * 60 + m + sec / 60
    parts = text.split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return float("nan")
    if len(nums) == 1:
        return nums[0]
    if len(nums) == 2:
        return nums[0] * 60 + nums[1]
    if len(nums) == 3:
        return nums[0] * 60 + nums[1] + nums[2] / 60
    return float("nan")


def _ferry_lengths(
    geom_len: np.ndarray, way_row: np.ndarray, way_ids: np.ndarray, tags: pd.DataFrame
) -> np.ndarray:
    """Walking-equivalent metres of ferry edges (geometry lengths ``geom_len`` of rows
    ``way_row``): (crossing minutes + ``settings.ferry_wait_min``) x walking metres per minute
    (``settings.walk_speed_kmh``). The crossing takes the way's ``duration`` tag, else its
    length at ``settings.ferry_speed_kmh``; a way split into several edges shares its time
    by length (so the wait counts once per crossing).
    """
    walk_m_min = positive(settings.walk_speed_kmh, "settings.walk_speed_kmh") * 1000 / 60
    ferry_m_min = positive(settings.ferry_speed_kmh, "settings.ferry_speed_kmh") * 1000 / 60
    wait = positive(settings.ferry_wait_min, "settings.ferry_wait_min", allow_zero=True)
    way = way_ids[way_row]
    _, inv = np.unique(way, return_inverse=True)
    way_len = np.bincount(inv, weights=geom_len)[inv]
    dur_tag = tags["duration"].to_numpy()[way_row] if "duration" in tags.columns else None
    dur = (
        np.array([parse_duration_min(d) for d in dur_tag])
        if dur_tag is not None
        else np.full(len(way_row), np.nan)
    )
    crossing = np.where(np.isfinite(dur), dur, way_len / ferry_m_min)
    share = np.divide(geom_len, way_len, out=np.ones_like(geom_len), where=way_len > 0)
    return (crossing + wait) * walk_m_min * share


def walk_network_from_polygon(
    polygon: PolygonLike,
    crs: CRSLike | None = None,
    polygon_crs: CRSLike | None = None,
    *,
    walk_profile: str | None = None,
) -> WalkNetwork:
    """The walking network inside a polygon, online through osmnx.

    Parameters
    ----------
    polygon : shapely (Multi)Polygon, GeoDataFrame or GeoSeries
        The area (EPSG:4326 unless ``polygon_crs`` or the frame's CRS says otherwise).
    crs : CRS-like, optional
        Projected CRS for the network (chosen automatically by default).
    polygon_crs : CRS-like, optional
        CRS of a bare shapely polygon.
    walk_profile : {"auto", "nl", "osmnx"}, optional
        As in :func:`walk_network_from_file` (default ``settings.walk_profile``). ``"osmnx"``
        asks Overpass for osmnx's ``network_type="walk"``; ``"nl"`` fetches every
        ``highway=*`` way and ``route=ferry`` way (unsimplified, with the tags the profile
        reads) and applies the profile here, exactly as to a file.

    Returns
    -------
    WalkNetwork
        Islands are kept (osmnx ``retain_all=True``) and reported.

    Raises
    ------
    InputError
        ``walk_profile`` is not one of the profiles.
    OnlineError
        Overpass could not be reached (use :func:`walk_network_from_file` offline).
    EmptyDataError
        No walkable street in the area.
    """
    check_profile(walk_profile)
    area = as_polygon(polygon, crs=polygon_crs)
    profile = resolve_profile(walk_profile, area)
    if profile.name == "osmnx":
        G = _online.graph(area, network_type="walk")
    else:
        # every highway=* and route=ferry way, unsimplified, with the tags the profile reads
        # (osmnx keeps only settings.useful_tags_way on edges)
        G = _online.graph(
            area,
            custom_filter=['["highway"]', '["route"="ferry"]'],
            simplify=False,
            extra_way_tags=[*profile.keys(), "duration"],
        )
    if profile.name != "osmnx":
        net = _profile_network(G, profile, crs)
    else:
        import osmnx as ox

        if crs is not None:
            G = ox.project_graph(G, to_crs=to_crs(crs, "crs"))
        net = WalkNetwork.from_networkx(G)
    net.walk_profile = profile.name
    _log_loose_ferries(net)
    return net


def _log_loose_ferries(net: WalkNetwork) -> None:
    """Warn about ferry ends that no walkable way reaches (the ferry then leads nowhere)."""
    if "ferry" not in net.edge_data.columns:
        return
    f = net.edge_data["ferry"].fillna(False).to_numpy(dtype=bool)
    reached = np.zeros(net.n_nodes, dtype=bool)
    reached[net.edge_u[~f]] = True
    reached[net.edge_v[~f]] = True
    loose = np.unique(np.r_[net.edge_u[f], net.edge_v[f]])
    loose = loose[~reached[loose]]
    if len(loose):
        log(
            f"{len(loose)} ferry terminal node(s) are not on any walkable way (e.g. node "
            f"{net.node_ids[loose[0]]}): those crossings connect nothing; map the pier path "
            "to the ferry's end node to use them.",
            logging.WARNING,
        )


def _profile_network(G: nx.MultiDiGraph, profile: Any, crs: Any) -> WalkNetwork:
    """The profile applied to an unsimplified osmnx graph of every highway/ferry way: the
    same tag rules, ``sidewalk=separate`` check and ferry lengths as for a file.
    """
    import osmnx as ox

    rows = [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)]
    if not rows:
        raise EmptyDataError("No walkable street found in the polygon.")
    osmid = np.array([int(d["osmid"]) for *_, d in rows], dtype=np.int64)
    way_ids, first = np.unique(osmid, return_index=True)
    tags = pd.DataFrame.from_records(
        [{k: v for k, v in rows[i][3].items() if isinstance(v, str)} for i in first]
    )
    walk = profile.walkable(tags)
    ferry = profile.ferries(tags)
    way_of_edge = np.searchsorted(way_ids, osmid)
    xy = np.array([[G.nodes[n]["x"], G.nodes[n]["y"]] for n in G.nodes], dtype=np.float64)
    pos = {n: i for i, n in enumerate(G.nodes)}
    ends = np.array([[pos[u], pos[v]] for u, v, *_ in rows], dtype=np.int64)
    dst = _network_crs(xy, crs)
    tr = Transformer.from_crs("EPSG:4326", dst, always_xy=True)
    pxy = np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
    road = profile.sidewalk_separate(tags) & walk
    if road.any():
        # each way as the multilinestring of its node-to-node pieces
        seg = shapely.linestrings(pxy[ends.reshape(-1)], indices=np.repeat(np.arange(len(rows)), 2))
        o = np.argsort(way_of_edge, kind="stable")
        way_geom = np.full(len(way_ids), None, dtype=object)
        present = np.unique(way_of_edge)
        way_geom[present] = shapely.multilinestrings(seg[o], indices=way_of_edge[o])[present]
        side = profile.sidewalk_like(tags) & walk & ~road
        found = separate_sidewalk_found(way_geom[road], way_geom[side])
        walk[np.flatnonzero(road)[found]] = False
    keep = walk[way_of_edge]
    H = G.edge_subgraph([(u, v, k) for (u, v, k, _), ok in zip(rows, keep, strict=True) if ok])
    H = ox.simplify_graph(nx.MultiDiGraph(H), edge_attrs_differ=["osmid"])
    if H.number_of_edges() == 0:
        raise EmptyDataError("No way in the polygon passes the walk profile: no walkable streets.")
    H.graph["crs"] = G.graph["crs"]
    net = WalkNetwork.from_networkx(ox.project_graph(H, to_crs=dst))
    e_way = np.searchsorted(way_ids, net.edge_data["osmid"].astype(np.int64).to_numpy())
    is_ferry = ferry[e_way]
    if not is_ferry.any():
        return net
    data = net.edge_data.copy()
    data["ferry"] = is_ferry
    cost = np.full(net.n_edges, np.nan)
    cost[is_ferry] = _ferry_lengths(net.edge_length[is_ferry], e_way[is_ferry], way_ids, tags)
    return WalkNetwork(
        net.node_ids,
        net.node_xy,
        net.edge_u,
        net.edge_v,
        net.edge_geometry,
        net.crs,
        edge_data=data,
        edge_length=cost,
    )


def walk_network_from_place(
    query: str | dict, crs: CRSLike | None = None, *, walk_profile: str | None = None
) -> WalkNetwork:
    """The walking network of a named place, online (geocoded with Nominatim).

    Parameters
    ----------
    query : str or dict
        A place name, e.g. ``"Vaduz, Liechtenstein"``.
    crs : CRS-like, optional
        Projected CRS for the network.
    walk_profile : {"auto", "nl", "osmnx"}, optional
        Which ways are walkable (see :func:`walk_network_from_file`).

    Returns
    -------
    WalkNetwork

    Raises
    ------
    PlaceNotFoundError
        The place is unknown.
    OnlineError
        Nominatim or Overpass could not be reached.
    """
    check_profile(walk_profile)
    return walk_network_from_polygon(_online.geocode(query), crs=crs, walk_profile=walk_profile)


def _log_snap_failures(what: str, n_far: int, n_total: int) -> None:
    if n_far:
        log(
            f"{n_far} of {n_total} {what} lie farther than {settings.snap_tolerance_m:.0f} m from "
            "any walkable street and are not attached to the network (see the 'snapped' column).",
            logging.WARNING,
        )
