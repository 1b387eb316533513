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

import os
from collections.abc import Mapping, Sequence
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
from ._deprecate import positional_deprecated
from ._log import log
from ._osm_reader import read_osm
from ._snap import _GRID_REACH_M, _SegmentGrid, nearest_edges
from ._types import CRSLike, PathLike, PolygonLike
from ._validate import as_polygon, check_overlap, positive, to_crs
from ._walk_profiles import check_profile
from ._walk_profiles import resolve as resolve_profile
from ._ways import _build_from_ways, _log_loose_ferries, _profile_network, _profile_ways
from ._ways import parse_duration_min as parse_duration_min  # re-exported
from ._ways import separate_sidewalk_found as separate_sidewalk_found  # re-exported
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
        node_ids: np.ndarray | Sequence[int],
        node_xy: np.ndarray,
        edge_u: np.ndarray | Sequence[int],
        edge_v: np.ndarray | Sequence[int],
        edge_geometry: np.ndarray,
        crs: CRSLike,
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
        """The edges as a GeoDataFrame in the network CRS.

        Columns ``u``, ``v`` (node positions), ``u_id``, ``v_id`` (node ids, the index of
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
        """Return the network as an undirected networkx MultiGraph.

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
    @positional_deprecated(2, ("crs",))
    def from_networkx(cls, G: nx.Graph, *, crs: CRSLike | None = None) -> WalkNetwork:
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
        Any networkx graph with node ``x``/``y`` (an osmnx graph such as
        ``ox.graph_from_place("Vaduz, Liechtenstein", network_type="walk")`` works as is);
        here the sample's own network, out to networkx and back:

        >>> import infra_geo as ig
        >>> net = ig.walk_network_from_file(ig.sample_path())
        >>> G = net.to_networkx()  # keyed by node id, G.graph["crs"] set
        >>> again = ig.WalkNetwork.from_networkx(G)
        >>> (again.n_nodes, again.n_edges) == (net.n_nodes, net.n_edges) == (3388, 4205)
        True
        >>> bool(again.crs == net.crs) and round(again.edge_length.sum()) == round(net.edge_length.sum())
        True
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
        """Return the grid of the edges' straight pieces for snapping (built once)."""
        if self._grid is None:
            self._grid = _SegmentGrid(self._snappable_geometry(), _GRID_REACH_M)
        return self._grid

    @positional_deprecated(2, ("tolerance",))
    def snap(self, points: gpd.GeoSeries | np.ndarray, *, tolerance: float | None = None) -> Snap:
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
        longer reach, only the points the grid did not answer search a k-d tree of points
        along the pieces, up to ``tolerance`` (an STRtree search's answers, faster); when
        there are many points, those a distance transform of the grid's cells shows to lie
        farther than ``tolerance`` from every street (most cells of ``walk_minutes.tif``)
        are answered "none" first. Either way each point gets its nearest edge (ties within
        a nanometre: the lowest edge index, then the lowest offset).

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
        edge, offset, dist = nearest_edges(self._segments(), xy, tol, self.edge_length)
        return Snap(edge, offset, dist)

    def _snap_xy(self, xy: np.ndarray, tol: Any) -> Snap:
        """Snap like :meth:`snap_xy` (its deprecated private spelling, kept for one release)."""
        return self.snap_xy(xy, tolerance=tol)


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
@positional_deprecated(2, ("crs", "polygon_crs"))
def walk_network_from_file(
    path: PathLike,
    polygon: PolygonLike | None = None,
    *,
    crs: CRSLike | None = None,
    polygon_crs: CRSLike | None = None,
    walk_profile: str | None = None,
) -> WalkNetwork:
    """Build the walking network in an OSM extract.

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
    >>> net = ig.walk_network_from_file(ig.sample_path())  # or "liechtenstein.osm.pbf"
    >>> net
    <WalkNetwork 3,388 nodes, 4,205 edges, 83.9 km, 61 piece(s), EPSG:32635>
    >>> f"{net.edges.length.sum() / 1000:.1f} km walkable; CRS {net.crs.to_epsg()} (UTM 35N)"
    '83.9 km walkable; CRS 32635 (UTM 35N)'
    """
    check_profile(walk_profile)
    area = as_polygon(polygon, crs=polygon_crs) if polygon is not None else None
    data = read_osm(path, load_rules().match_keys())
    if area is not None:
        check_overlap(area, data.extent, str(path))
    if len(data.way_ids) == 0:
        raise EmptyDataError(f"{path} holds no highway=* way: there is no street network in it.")
    walk, ferry, profile, crs = _profile_ways(data, walk_profile, crs)
    net = _build_from_ways(data, walk, area, crs, ferry=ferry)
    net.walk_profile = profile.name
    _log_loose_ferries(net)
    log(f"{os.path.basename(str(path))}: {net!r} ({profile.name} walk profile)")
    return net


@positional_deprecated(1, ("crs", "polygon_crs"))
def walk_network_from_polygon(
    polygon: PolygonLike,
    *,
    crs: CRSLike | None = None,
    polygon_crs: CRSLike | None = None,
    walk_profile: str | None = None,
) -> WalkNetwork:
    """Build the walking network inside a polygon, online through osmnx.

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


@positional_deprecated(1, ("crs",))
def walk_network_from_place(
    query: str | Mapping[str, str], *, crs: CRSLike | None = None, walk_profile: str | None = None
) -> WalkNetwork:
    """Build the walking network of a named place, online (geocoded with Nominatim).

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
