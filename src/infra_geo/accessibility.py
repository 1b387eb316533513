"""Walking distances to the nearest facility and the areas each component serves on foot.

How a facility is reached (the attachment rule)
-----------------------------------------------
* A **point** (an OSM node) is projected onto the nearest walkable edge within
  ``settings.snap_tolerance_m`` (default 250 m); the edge is split there, so the facility
  reaches the edge's ends at the partial lengths. Farther points are reported, not attached.
* An **area** (park, square, pitch, school grounds) or a line is reached at its edge, not its
  centroid: its boundary is sampled every ``settings.area_sample_m`` (20 m) and every sample
  within ``settings.area_snap_m`` (30 m) of a walkable edge becomes an access point; every
  network node inside the area is an access point at distance 0; mapped ``entrance=*`` nodes
  on its boundary are access points; and when none of these exist, the point of the nearest
  walkable edge closest to the area (within the snapping tolerance) is.
* A resident (or any point) is placed on the network the same way as a point facility; its
  distance is ``min(d[u] + a, d[v] + len - a)``, or the direct distance along the edge to a
  facility attached to the same edge when that is shorter.

All searches run in compiled code (``scipy.sparse.csgraph.dijkstra``) over the network's CSR
arrays, one multi-source pass per component: every facility is a virtual source node with
arcs to the ends of the edges it is attached to.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from . import settings
from ._groups import Groups, resolve_groups
from ._log import log
from ._validate import minutes_tuple, positive
from .components import check_components, component_matrix
from .errors import EmptyDataError, InputError
from .network import WalkNetwork

__all__ = [
    "Attachments",
    "attach_facilities",
    "catchments",
    "distance_to_nearest",
    "distances_at_points",
    "metres_per_minute",
    "nearest_facilities",
]


def metres_per_minute(speed_kmh: float) -> float:
    """Walking speed in metres per minute from km/h (4.8 km/h = 80 m/min)."""
    return positive(speed_kmh, "speed_kmh") * 1000.0 / 60.0


@dataclass(frozen=True)
class Attachments:
    """Where each facility meets the network.

    Attributes
    ----------
    facility : ndarray of int
        Row position of the facility in the facilities table, per access point.
    edge, offset : ndarray
        Edge index and metres from its ``u`` end, per access point.
    kind : ndarray of str
        ``point``, ``boundary``, ``inside``, ``entrance`` or ``nearest``.
    snapped : ndarray of bool
        Per facility: has at least one access point.
    facility_ids : ndarray
        ``facility_id`` per facility row.
    members : ndarray of bool, shape (n_facilities, n_components)
        Component memberships per facility, columns in ``components`` order.
    components : tuple of str
    """

    facility: np.ndarray
    edge: np.ndarray
    offset: np.ndarray
    kind: np.ndarray
    snapped: np.ndarray
    facility_ids: np.ndarray
    members: np.ndarray
    components: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        """Access points as a DataFrame (``facility_id``, ``edge``, ``offset``, ``kind``)."""
        return pd.DataFrame(
            {
                "facility_id": self.facility_ids[self.facility],
                "facility": self.facility,
                "edge": self.edge,
                "offset": self.offset,
                "kind": self.kind,
            }
        )


def _check_inputs(net: Any, facilities: Any, need_components: bool = True) -> gpd.GeoDataFrame:
    if not isinstance(net, WalkNetwork):
        raise InputError(
            "net must be a WalkNetwork (from ig.walk_network_from_file or "
            f"WalkNetwork.from_networkx), not {type(net).__name__}."
        )
    if not isinstance(facilities, gpd.GeoDataFrame):
        raise InputError(
            "facilities must be a GeoDataFrame from ig.facilities_from_*, "
            f"not {type(facilities).__name__}."
        )
    if facilities.crs is None:
        from .errors import CRSError

        raise CRSError(
            "The facilities have no CRS; set it (facilities from infra_geo are EPSG:4326)."
        )
    if need_components and "components" not in facilities.columns:
        raise InputError(
            "The facilities have no 'components' column: classify them with ig.classify()."
        )
    return facilities


def _grouped(
    net: Any,
    facilities: Any,
    entrances: gpd.GeoSeries | None,
    component: str | Iterable[str] | None,
    by: str | None,
    rules: Any,
) -> tuple[Attachments, Groups]:
    """Resolve the facility groups, attach the facilities once, members per group key."""
    if not isinstance(net, WalkNetwork):
        _check_inputs(net, facilities)
    grp = resolve_groups(facilities, component, by=by, rules=rules)
    att = attach_facilities(net, grp.facilities, entrances)
    return replace(att, members=grp.members, components=grp.keys), grp


def attach_facilities(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    entrances: gpd.GeoSeries | None = None,
) -> Attachments:
    """Access points of every facility on the network (see the module docstring for the rule).

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame
        From :func:`infra_geo.facilities_from_file` (any CRS).
    entrances : GeoSeries of Points, optional
        Mapped ``entrance=*`` nodes; those on an area facility's boundary become access points.

    Returns
    -------
    Attachments
    """
    facilities = _check_inputs(net, facilities, need_components=False)
    keys = tuple(c for c in check_components(None))
    geoms = facilities.geometry.to_crs(net.crs).to_numpy()
    n = len(geoms)
    members = (
        component_matrix(facilities, keys)
        if "components" in facilities.columns
        else np.zeros((n, len(keys)), dtype=bool)
    )
    ids = (
        facilities["facility_id"].astype(str).to_numpy()
        if "facility_id" in facilities.columns
        else np.array([f"row/{i}" for i in range(n)])
    )
    parts_f, parts_e, parts_a, parts_k = [], [], [], []

    def add(f: np.ndarray, e: np.ndarray, a: np.ndarray, kind: str) -> None:
        parts_f.append(f)
        parts_e.append(e)
        parts_a.append(a)
        parts_k.append(np.full(len(f), kind, dtype=object))

    type_id = shapely.get_type_id(geoms) if n else np.array([], dtype=int)
    is_point = type_id == 0
    # points: nearest edge within the tolerance
    pidx = np.flatnonzero(is_point)
    if len(pidx):
        s = net.snap(geoms[pidx])
        add(pidx[s.ok], s.edge[s.ok], s.offset[s.ok], "point")
    # areas and lines: boundary samples near a street
    oidx = np.flatnonzero(~is_point)
    if len(oidx):
        og = geoms[oidx]
        is_area = np.isin(type_id[oidx], (3, 6))
        rims = np.where(is_area, shapely.boundary(og), og)
        dense = shapely.segmentize(rims, settings.area_sample_m)
        coords, which = shapely.get_coordinates(dense, return_index=True)
        s = net._snap_xy(coords, float(settings.area_snap_m))
        f = oidx[which[s.ok]]
        e, a = s.edge[s.ok], s.offset[s.ok]
        # one access point per (facility, edge, ~metre) keeps the graph small
        metre = np.round(a).astype(np.int64)
        span = int(metre.max(initial=0)) + 1
        if float(n) * net.n_edges * span < 2.0**62:  # one int64 code per triple (fast)
            key = np.unique((f * net.n_edges + e) * span + metre, return_index=True)[1]
        else:
            key = np.unique(np.column_stack([f, e, metre]), axis=0, return_index=True)[1]
        add(f[key], e[key], a[key], "boundary")
        # network nodes inside areas: distance 0 there
        aidx = oidx[is_area]
        if len(aidx):
            fi, ni = net.node_tree.query(geoms[aidx], predicate="intersects")
            if len(fi):
                inc_e, inc_a = _incident_edge(net)
                add(aidx[fi], inc_e[ni], inc_a[ni], "inside")
        # entrances on area boundaries
        if entrances is not None and len(entrances) and len(aidx):
            ent = (
                entrances.to_crs(net.crs).to_numpy()
                if isinstance(entrances, gpd.GeoSeries)
                else np.asarray(entrances)
            )
            fi, ei = shapely.STRtree(ent).query(
                shapely.boundary(geoms[aidx]), predicate="dwithin", distance=1.0
            )
            if len(fi):
                s = net.snap(ent[ei])
                add(aidx[fi][s.ok], s.edge[s.ok], s.offset[s.ok], "entrance")
        # fallback: the nearest street point to the area
        have = np.zeros(n, dtype=bool)
        for f_part in parts_f:
            have[f_part] = True
        miss = oidx[~have[oidx]]
        if len(miss):
            (gi, ei), _ = net.tree.query_nearest(
                geoms[miss],
                max_distance=settings.snap_tolerance_m,
                return_distance=True,
                all_matches=False,
            )
            if len(gi):
                line = shapely.shortest_line(geoms[miss[gi]], net.edge_geometry[ei])
                a = shapely.line_locate_point(net.edge_geometry[ei], shapely.get_point(line, 1))
                add(miss[gi], ei, a, "nearest")
    if parts_f:
        fac = np.concatenate(parts_f).astype(np.int64)
        edge = np.concatenate(parts_e).astype(np.int64)
        off = np.concatenate(parts_a).astype(np.float64)
        kind = np.concatenate(parts_k)
    else:
        fac, edge, off, kind = (
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0, object),
        )
    off = np.clip(off, 0.0, net.edge_length[edge]) if len(edge) else off
    order = np.lexsort((off, edge, fac))
    snapped = np.zeros(n, dtype=bool)
    snapped[fac] = True
    if (~snapped).any():
        log(
            f"{int((~snapped).sum())} of {n} facilities lie farther than "
            f"{settings.snap_tolerance_m:.0f} m from any walkable street and are not attached "
            f"(e.g. {', '.join(map(str, ids[~snapped][:3]))}).",
            logging.WARNING,
        )
    return Attachments(
        fac[order], edge[order], off[order], kind[order], snapped, ids, members, keys
    )


def _incident_edge(net: WalkNetwork) -> tuple[np.ndarray, np.ndarray]:
    """For every node one incident edge and the offset of the node on it (0 or length)."""
    if "incident_edge" not in net._cache:
        net._cache["incident_edge"] = _compute_incident_edge(net)
    return net._cache["incident_edge"]


def _compute_incident_edge(net: WalkNetwork) -> tuple[np.ndarray, np.ndarray]:
    e_idx = np.arange(net.n_edges)
    nodes = np.concatenate([net.edge_u, net.edge_v])
    edges = np.concatenate([e_idx, e_idx])
    offs = np.concatenate([np.zeros(net.n_edges), net.edge_length])
    order = np.lexsort((edges, nodes))
    nodes, edges, offs = nodes[order], edges[order], offs[order]
    first = np.r_[True, nodes[1:] != nodes[:-1]]
    inc_e = np.full(net.n_nodes, -1, dtype=np.int64)
    inc_a = np.zeros(net.n_nodes)
    inc_e[nodes[first]] = edges[first]
    inc_a[nodes[first]] = offs[first]
    return inc_e, inc_a


def _augmented(net: WalkNetwork, att: Attachments) -> sparse.csr_matrix:
    """The network plus one virtual source node per facility (arcs out of it only)."""
    n = net.n_nodes
    nf = len(att.facility_ids)
    src = np.concatenate([att.facility, att.facility]) + n
    dst = np.concatenate([net.edge_u[att.edge], net.edge_v[att.edge]])
    w = np.concatenate([att.offset, net.edge_length[att.edge] - att.offset])
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = (
        np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
        if len(src)
        else np.zeros(0, bool)
    )
    coo = net.csr.tocoo()
    rows = np.concatenate([coo.row, src[first]])
    cols = np.concatenate([coo.col, dst[first]])
    vals = np.concatenate([coo.data, w[first]])
    m = sparse.csr_matrix((vals, (rows, cols)), shape=(n + nf, n + nf))
    m.sort_indices()
    return m


def _component_sources(att: Attachments, key: str) -> np.ndarray:
    j = att.components.index(key)
    return np.flatnonzero(att.members[:, j] & att.snapped)


def _node_distances(
    net: WalkNetwork, att: Attachments, keys: Iterable[str], graph: sparse.csr_matrix | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per component: (distance per node, nearest facility row per node or -1)."""
    g = graph if graph is not None else _augmented(net, att)
    n = net.n_nodes
    out = {}
    for k in keys:
        fidx = _component_sources(att, k)
        if len(fidx) == 0:
            out[k] = (np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
            continue
        dist, _, src = dijkstra(
            g, directed=True, indices=fidx + n, min_only=True, return_predecessors=True
        )
        near = np.where(src[:n] >= 0, src[:n] - n, -1)
        out[k] = (dist[:n], near.astype(np.int64))
    return out


def distance_to_nearest(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame | dict[str, gpd.GeoDataFrame],
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
    *,
    by: str | None = None,
    rules: Any = None,
) -> pd.Series | pd.DataFrame:
    """Metres along the network from every node to the nearest facility of each group.

    The groups are the eight components by default, or any grouping of the facilities:
    the values of a column (``by=``), the groups of another rules file (``rules=``), or the
    keys of a dict of GeoDataFrames.

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame or dict of str to GeoDataFrame
        From :func:`infra_geo.facilities_from_file` (memberships in ``components`` count,
        not only the primary component), or named frames: one group per key.
    component : str or list of str, optional
        One group key (returns a Series), several, or ``None`` for all (the eight
        components by default).
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.
    by : str, optional
        Group the facilities by this column instead of the eight components, one group per
        value (e.g. ``"category"``: ``"amenity=doctors"``...); ``component`` then names values.
    rules : str, path, dict or Rules, optional
        Group the facilities by another rules file (e.g. ``"cbs_nabijheid"``: huisarts,
        supermarkt, basisschool...); the facilities must carry the OSM tags it reads
        (``ig.facilities_from_file(path, rules="cbs_nabijheid")``).

    Returns
    -------
    Series or DataFrame
        Indexed like ``net.nodes``; one column per group key; ``inf`` where no facility
        of that group is reachable (none exists, or the node is on another island).

    Raises
    ------
    UnknownComponentError
        ``component`` is not one of the group keys (the message lists them).
    InputError
        ``by`` is not a column, or ``by`` and ``rules`` are both given.

    Examples
    --------
    >>> d = ig.distance_to_nearest(net, fac, "care")  # doctest: +SKIP
    >>> (d <= 800).mean()  # share of nodes within 10 minutes at 4.8 km/h  # doctest: +SKIP
    >>> gp = ig.distance_to_nearest(net, fac, "amenity=doctors", by="category")  # doctest: +SKIP
    >>> cbs = ig.facilities_from_file("gemeente.osm.pbf", rules="cbs_nabijheid")  # doctest: +SKIP
    >>> ig.distance_to_nearest(net, cbs, ["huisarts", "supermarkt"], rules="cbs_nabijheid")  # doctest: +SKIP
    """
    single = isinstance(component, str)
    att, grp = _grouped(net, facilities, entrances, component, by, rules)
    keys = grp.keys
    res = _node_distances(net, att, keys)
    df = pd.DataFrame({k: res[k][0] for k in keys})
    df.index.name = "node"
    return df[keys[0]] if single else df


def nearest_facilities(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    minutes: float | Iterable[float] = (5, 10, 15),
    speed_kmh: float | None = None,
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
    chunk: int = 128,
    *,
    by: str | None = None,
    rules: Any = None,
) -> pd.DataFrame:
    """Per node and component: distance, nearest facility and how many lie within each threshold.

    Parameters
    ----------
    net, facilities
        As in :func:`distance_to_nearest`.
    minutes : number or list of numbers
        Walking-time thresholds.
    speed_kmh : float, optional
        Walking speed (default ``settings.walk_speed_kmh``, 4.8 km/h).
    component : str or list, optional
        Component keys (default all eight).
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.
    chunk : int
        Facilities per bounded search batch (memory: chunk x nodes x 8 bytes).
    by : str, optional
        Group the facilities by this column instead of the eight components, one group per
        value (e.g. ``"category"``: ``"amenity=doctors"``...); ``component`` names values.
    rules : str, path, dict or Rules, optional
        Group the facilities by another rules file (e.g. ``"cbs_nabijheid"``: huisarts,
        supermarkt, basisschool...); the facilities must carry the OSM tags it reads
        (``ig.facilities_from_file(path, rules="cbs_nabijheid")``).

    Returns
    -------
    DataFrame
        Indexed like ``net.nodes``; per component ``c``: ``{c}_m`` (metres), ``{c}_nearest``
        (``facility_id`` or NA) and ``{c}_n_{m}min`` (facilities within m minutes).
    """
    mins = minutes_tuple(minutes)
    mpm = metres_per_minute(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh)
    att, grp = _grouped(net, facilities, entrances, component, by, rules)
    keys = grp.keys
    g = _augmented(net, att)
    n = net.n_nodes
    res = _node_distances(net, att, keys, g)
    cols: dict[str, Any] = {}
    limits = np.array(mins, dtype=float) * mpm
    counts = {(k, m): np.zeros(n, dtype=np.int64) for k in keys for m in mins}
    active = np.flatnonzero(
        att.snapped & att.members[:, [att.components.index(k) for k in keys]].any(axis=1)
    )
    lmax = limits.max() * (1 + 1e-12)
    kcols = [att.components.index(k) for k in keys]
    # each bounded search runs on the part of the network within lmax (as the crow flies) of
    # its chunk's access points: a path of length <= lmax never leaves it, and a search no
    # longer touches every node of a large network (dense rows of n values per facility)
    ap_xy = shapely.get_coordinates(
        shapely.line_interpolate_point(net.edge_geometry[att.edge], att.offset)
    )
    if len(active):
        active = active[np.argsort(_zorder(ap_xy[np.searchsorted(att.facility, active)], lmax))]
    node_tree = net.node_tree
    for start in range(0, len(active), max(1, int(chunk))):
        rows = np.sort(active[start : start + chunk])
        sel = np.isin(att.facility, rows)
        boxes = shapely.box(*(np.column_stack([ap_xy[sel] - lmax, ap_xy[sel] + lmax]).T))
        loc = np.unique(node_tree.query(boxes)[1])
        idx = np.concatenate([loc, rows + n])
        sub = g[idx][:, idx]
        d = dijkstra(sub, directed=True, indices=np.arange(len(loc), len(idx)), limit=lmax)
        d = d[:, : len(loc)]
        memb = att.members[np.ix_(rows, kcols)].T.astype(np.float64)  # components x chunk
        for j, m in enumerate(mins):
            got = np.rint(memb @ (d <= limits[j]).astype(np.float64)).astype(np.int64)
            for i, k in enumerate(keys):
                counts[(k, m)][loc] += got[i]
    for k in keys:
        dist, near = res[k]
        cols[f"{k}_m"] = dist
        ids = pd.array(
            np.where(near >= 0, att.facility_ids[np.maximum(near, 0)], None), dtype="string"
        )
        cols[f"{k}_nearest"] = ids
        for m in mins:
            cols[f"{k}_n_{m}min"] = counts[(k, m)]
    df = pd.DataFrame(cols)
    df.index.name = "node"
    return df


def _zorder(xy: np.ndarray, cell: float) -> np.ndarray:
    """Z-order (Morton) key of points on a grid of ``cell`` metres: near keys, near points."""
    g = ((xy - xy.min(axis=0)) // max(cell, 1.0)).astype(np.uint64)
    key = np.zeros(len(xy), dtype=np.uint64)
    for b in range(21):
        key |= ((g[:, 0] >> np.uint64(b)) & np.uint64(1)) << np.uint64(2 * b)
        key |= ((g[:, 1] >> np.uint64(b)) & np.uint64(1)) << np.uint64(2 * b + 1)
    return key


def distances_at_points(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoSeries,
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
    *,
    by: str | None = None,
    rules: Any = None,
) -> pd.DataFrame:
    """Walking metres from arbitrary points (homes, cells) to the nearest facility per component.

    Each point is attached to its nearest walkable edge like a point facility (within the
    snapping tolerance); its distance is the best of walking to either end of its edge and
    on, or along the edge to a facility attached to the same edge. The straight-line
    distance from the point to the street is not added (it is the front door).

    Parameters
    ----------
    net, facilities, component, entrances
        As in :func:`distance_to_nearest`.
    points : GeoSeries of Points
        Any CRS (reprojected to the network's).
    by, rules : optional
        Group the facilities by a column or another rules file, as in
        :func:`distance_to_nearest`.

    Returns
    -------
    DataFrame
        Indexed like ``points``: one column of metres per component (``inf`` unreachable or
        not attached) and ``snapped`` (bool) and ``snap_m`` (metres to the street).
    """
    if not isinstance(points, gpd.GeoSeries):
        raise InputError("points must be a GeoSeries of Points with a CRS.")
    att, grp = _grouped(net, facilities, entrances, component, by, rules)
    keys = grp.keys
    res = _node_distances(net, att, keys)
    s = net.snap(points)
    return _point_table(net, att, res, s, keys, points.index)


def _point_table(net, att, res, s, keys, index) -> pd.DataFrame:
    ok = s.ok
    e = np.where(ok, s.edge, 0)
    u, v, length = net.edge_u[e], net.edge_v[e], net.edge_length[e]
    cols: dict[str, Any] = {}
    for k in keys:
        dist, _ = res[k]
        d = np.minimum(dist[u] + s.offset, dist[v] + (length - s.offset))
        # facilities on the same edge: direct walk along the edge
        fidx = np.zeros(len(att.facility_ids), dtype=bool)
        fidx[_component_sources(att, k)] = True
        sel = fidx[att.facility]
        if sel.any():
            ae, aa = att.edge[sel], att.offset[sel]
            pts = np.flatnonzero(ok)
            order = np.argsort(ae, kind="stable")
            ae, aa = ae[order], aa[order]
            lo = np.searchsorted(ae, s.edge[pts], "left")
            hi = np.searchsorted(ae, s.edge[pts], "right")
            has = hi > lo
            if has.any():
                # expand (point, attachment) pairs on shared edges (few per edge)
                cnt = (hi - lo)[has]
                p_rep = np.repeat(pts[has], cnt)
                a_idx = np.repeat(lo[has] - np.r_[0, np.cumsum(cnt)[:-1]], cnt) + np.arange(
                    cnt.sum()
                )
                direct = np.abs(aa[a_idx] - s.offset[p_rep])
                best = np.full(len(d), np.inf)
                np.minimum.at(best, p_rep, direct)
                d = np.minimum(d, best)
        d = np.where(ok, d, np.inf)
        cols[k] = d
    cols["snapped"] = ok
    cols["snap_m"] = s.distance
    return pd.DataFrame(cols, index=index)


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


def _edge_buffers(net: WalkNetwork, width: float, edges: np.ndarray) -> np.ndarray:
    """Street-front buffers of whole edges, computed once per network and width."""
    cache = net.__dict__.setdefault("_edge_buffers", {})
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


def _tile_unions(net: WalkNetwork, width: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street fronts of all edges unioned per tile, computed once per network and width.

    Returns ``(tile of each edge, number of edges per tile, union per tile)``; an edge belongs
    to the tile holding its midpoint. The union of a set of edges' buffers equals the union of
    the tiles whose edges are all in the set plus the buffers of the other edges, exactly (the
    same buffers, fewer and simpler inputs to the union).
    """
    with _TILE_LOCK:
        cache = net.__dict__.setdefault("_tile_unions", {})
        if width in cache:
            return cache[width]
        mid = shapely.get_coordinates(
            shapely.line_interpolate_point(net.edge_geometry, 0.5, normalized=True)
        )
        ij = np.floor((mid - mid.min(axis=0)) / _TILE_M).astype(np.int64)
        _, tile = np.unique(ij[:, 0] * (int(ij[:, 1].max()) + 1) + ij[:, 1], return_inverse=True)
        tile = tile.ravel()
        order = np.argsort(tile, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(tile[order]) != 0])
        groups = np.split(_edge_buffers(net, width, order), starts[1:])
        polys = np.empty(len(groups), dtype=object)
        polys[:] = _parallel(shapely.union_all, groups)
        cache[width] = (tile, np.bincount(tile, minlength=len(groups)), polys)
        return cache[width]


def _nested_unions(
    net: WalkNetwork, dist: np.ndarray, limits: list[float], att_edge, att_off, width: float
) -> list[shapely.Geometry]:
    """Catchments for ascending ``limits``: each is the previous one plus what is new.

    An edge reached whole at a threshold is reached whole at every larger one, so its buffer
    enters one union only; partial pieces and limit nodes are buffered at every threshold.
    Tiles whose edges are all reached whole enter as their cached union
    (:func:`_tile_unions`, if built: :func:`catchments` builds it for areas per component,
    not for the small areas per facility, which rarely fill a tile), which gives the same
    area with far fewer inputs to the union.
    """
    cached = net.__dict__.get("_tile_unions", {}).get(width)
    if cached is None:  # one tile that is never full: every edge is buffered on its own
        cached = (np.zeros(net.n_edges, dtype=np.int64), np.array([-1]), np.array([None]))
    tile, per_tile, tile_polys = cached
    done = np.zeros(net.n_edges, dtype=bool)
    tile_done = np.zeros(len(per_tile), dtype=bool)
    prev: list[shapely.Geometry] = []
    out = []
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
                _edge_buffers(net, width, new),
                shapely.buffer(rest, width, quad_segs=_QUAD_SEGS),
                np.array(prev, dtype=object),
            ]
        )
        geom = shapely.union_all(parts) if len(parts) else shapely.Polygon()
        geom = geom if geom.is_valid else shapely.make_valid(geom)
        out.append(geom)
        prev = [geom]
    return out


def _parallel(func: Any, tasks: list[Any]) -> list[Any]:
    """Run ``func`` over ``tasks`` on all cores (shapely releases the GIL); order kept."""
    workers = min(len(tasks), os.cpu_count() or 1)
    if workers <= 1:
        return [func(t) for t in tasks]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, tasks))


def catchments(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    minutes: float | Iterable[float] = (5, 10, 15),
    speed_kmh: float | None = None,
    by: str = "component",
    component: str | Iterable[str] | None = None,
    buffer_m: float | None = None,
    entrances: gpd.GeoSeries | None = None,
    *,
    rules: Any = None,
) -> gpd.GeoDataFrame:
    """The areas reachable on foot within each walking time.

    A catchment is the reachable part of the street network (whole edges and the partial
    edges up to the point where the walking time runs out), each side widened by the street
    front ``buffer_m`` (default ``settings.catchment_buffer_m`` = 50 m: the homes and doors
    along a street), unioned. It is never a convex hull: blocks with no reachable street
    front stay outside. Nested thresholds give nested areas.

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame
        From :func:`infra_geo.facilities_from_file`.
    minutes : number or list of numbers
        Walking times (default 5, 10, 15).
    speed_kmh : float, optional
        Walking speed (default ``settings.walk_speed_kmh`` = 4.8 km/h; for older people
        ``settings.walk_speed_elderly_kmh`` = 3.6 km/h).
    by : str
        ``"component"``: one area per group and threshold (the eight components, or the
        groups of ``rules``); ``"facility"``: one per facility and threshold; any other
        column of ``facilities`` (e.g. ``"category"``): one area per value of it.
    component : str or list, optional
        Limit to these groups (default all, e.g. the eight components).
    buffer_m : float, optional
        Street-front half-width in metres.
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.
    rules : str, path, dict or Rules, optional
        Group by another rules file (e.g. ``"cbs_nabijheid"``), see
        :func:`distance_to_nearest`.

    Returns
    -------
    GeoDataFrame
        In the network CRS: ``component`` (the group key), ``minutes``, ``metres`` (and ``facility_id`` with
        ``by="facility"``), ``area_m2``, valid (Multi)Polygon geometry. Components without a
        reachable facility get an empty geometry row.

    Raises
    ------
    InputError
        Non-positive minutes, speed or buffer; an unknown ``by``.
    UnknownComponentError
        An unknown component key.

    Examples
    --------
    >>> slow = ig.settings.walk_speed_elderly_kmh
    >>> c = ig.catchments(net, fac, minutes=(5, 10), speed_kmh=slow)  # doctest: +SKIP
    """
    mins = minutes_tuple(minutes)
    mpm = metres_per_minute(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh)
    width = positive(buffer_m if buffer_m is not None else settings.catchment_buffer_m, "buffer_m")
    if not isinstance(by, str) or (
        by not in ("component", "facility")
        and not (isinstance(facilities, pd.DataFrame) and by in facilities.columns)
    ):
        raise InputError(
            f"by must be 'component', 'facility' or a column of the facilities, got {by!r}."
        )
    group_by = None if by in ("component", "facility") else by
    att, grp = _grouped(net, facilities, entrances, component, group_by, rules)
    keys = grp.keys
    facilities = grp.facilities
    g = _augmented(net, att)
    n = net.n_nodes
    rows: list[dict[str, Any]] = []
    if by != "facility":
        res = _node_distances(net, att, keys, g)
        limits = [m * mpm for m in mins]  # ascending (minutes_tuple sorts)
        tasks = []
        for k in keys:
            fidx = np.zeros(len(att.facility_ids), dtype=bool)
            fidx[_component_sources(att, k)] = True
            tasks.append((res[k][0], fidx[att.facility]))
            rows += [{"component": k, "minutes": m, "metres": m * mpm} for m in mins]

        _tile_unions(net, width)  # once, on all cores, before the components share it

        def one(task: tuple[np.ndarray, np.ndarray]) -> list[shapely.Geometry]:
            dist, sel = task
            if not sel.any():
                return [shapely.Polygon()] * len(limits)
            return _nested_unions(net, dist, limits, att.edge[sel], att.offset[sel], width)

        geoms = [geom for per_k in _parallel(one, tasks) for geom in per_k]
        for row, geom in zip(rows, geoms, strict=True):
            row["geometry"] = geom
    else:
        comp_cols = [att.components.index(k) for k in keys]
        active = np.flatnonzero(att.snapped & att.members[:, comp_cols].any(axis=1))
        if len(active) == 0:
            raise EmptyDataError(
                "No facility of the requested components is attached to the network."
            )
        dmax = max(mins) * mpm
        if grp.default:
            primary = facilities["component"].to_numpy(dtype=object)
            comps = facilities["components"].to_numpy(dtype=object)
        else:  # the facility's first group and all its groups
            gk = np.array(grp.keys, dtype=object)
            primary = np.where(grp.members.any(axis=1), gk[grp.members.argmax(axis=1)], None)
            combos, inv = np.unique(grp.members, axis=0, return_inverse=True)
            names = np.array([";".join(gk[c]) for c in combos], dtype=object)
            comps = names[inv.ravel()] if len(combos) else np.zeros(0, dtype=object)

        def one_facility(f: int) -> list[dict[str, Any]]:
            d = dijkstra(g, directed=True, indices=[f + n], limit=dmax * (1 + 1e-12))[0, :n]
            sel = att.facility == f
            limits = [m * mpm for m in mins]
            geoms = _nested_unions(net, d, limits, att.edge[sel], att.offset[sel], width)
            return [
                {
                    "facility_id": att.facility_ids[f],
                    "component": primary[f],
                    "components": comps[f],
                    "minutes": m,
                    "metres": m * mpm,
                    "geometry": geom,
                }
                for m, geom in zip(mins, geoms, strict=True)
            ]

        for chunk_rows in _parallel(one_facility, list(active)):
            rows.extend(chunk_rows)
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs)
    out["area_m2"] = out.geometry.area
    out.attrs.update({"speed_kmh": mpm * 60 / 1000, "buffer_m": width})
    cols = [
        c
        for c in (
            "facility_id",
            "component",
            "components",
            "minutes",
            "metres",
            "area_m2",
            "geometry",
        )
        if c in out.columns
    ]
    return out[cols]
