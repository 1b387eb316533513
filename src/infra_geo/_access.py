"""The access engine: where facilities meet the network, and how far every place is from them.

:class:`Access` owns everything the accessibility and gap functions compute from a network
and a set of facilities: the facility groups, the attachments (access points, see
:mod:`infra_geo.accessibility` for the rule), the network augmented with one virtual source
per facility, the per-group node distances (computed lazily, once), distances at arbitrary
points, and the per-network caches (incident edges, street-front buffers). Nothing is
written into the :class:`~infra_geo.WalkNetwork`.
"""

from __future__ import annotations

import logging
import weakref
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from . import settings
from ._groups import Groups, resolve_groups
from ._log import log
from ._types import RulesLike
from ._validate import as_facilities, as_network
from .components import check_components, component_matrix
from .errors import InputError
from .network import Snap, WalkNetwork

__all__ = ["Access", "Attachments", "attach", "check_inputs"]


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

    def sources(self, key: str) -> np.ndarray:
        """Rows of the attached facilities of group ``key``."""
        j = self.components.index(key)
        return np.flatnonzero(self.members[:, j] & self.snapped)


def check_network(net: Any) -> WalkNetwork:
    """``net`` if it is a :class:`WalkNetwork`; else an :class:`InputError` saying what is."""
    return as_network(net)


def check_inputs(net: Any, facilities: Any, need_components: bool = True) -> gpd.GeoDataFrame:
    """Check a network and a facilities frame; return the frame."""
    as_network(net)
    return as_facilities(facilities, need_components=need_components)


def incident_edge(net: WalkNetwork) -> tuple[np.ndarray, np.ndarray]:
    """For every node one incident edge and the offset of the node on it (0 or length)."""
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


class _Parts:
    """Access points collected per rule (facility row, edge, offset, kind)."""

    def __init__(self) -> None:
        self.f: list[np.ndarray] = []
        self.e: list[np.ndarray] = []
        self.a: list[np.ndarray] = []
        self.k: list[np.ndarray] = []

    def add(self, f: np.ndarray, e: np.ndarray, a: np.ndarray, kind: str) -> None:
        self.f.append(f)
        self.e.append(e)
        self.a.append(a)
        self.k.append(np.full(len(f), kind, dtype=object))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.f:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, object)
        return (
            np.concatenate(self.f).astype(np.int64),
            np.concatenate(self.e).astype(np.int64),
            np.concatenate(self.a).astype(np.float64),
            np.concatenate(self.k),
        )


def _attach_areas(
    net: WalkNetwork,
    geoms: np.ndarray,
    oidx: np.ndarray,
    type_id: np.ndarray,
    entrances: Any,
    incident: tuple[np.ndarray, np.ndarray],
    parts: _Parts,
) -> None:
    """Access points of areas and lines (rows ``oidx``): boundary, inside, entrances, nearest."""
    n = len(geoms)
    og = geoms[oidx]
    is_area = np.isin(type_id[oidx], (3, 6))
    rims = np.where(is_area, shapely.boundary(og), og)
    dense = shapely.segmentize(rims, settings.area_sample_m)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    s = net.snap_xy(coords, tolerance=float(settings.area_snap_m))
    f = oidx[which[s.ok]]
    e, a = s.edge[s.ok], s.offset[s.ok]
    # one access point per (facility, edge, ~metre) keeps the graph small
    metre = np.round(a).astype(np.int64)
    span = int(metre.max(initial=0)) + 1
    if float(n) * net.n_edges * span < 2.0**62:  # one int64 code per triple (fast)
        key = np.unique((f * net.n_edges + e) * span + metre, return_index=True)[1]
    else:
        key = np.unique(np.column_stack([f, e, metre]), axis=0, return_index=True)[1]
    parts.add(f[key], e[key], a[key], "boundary")
    # network nodes inside areas: distance 0 there
    aidx = oidx[is_area]
    if len(aidx):
        fi, ni = net.node_tree.query(geoms[aidx], predicate="intersects")
        if len(fi):
            inc_e, inc_a = incident
            parts.add(aidx[fi], inc_e[ni], inc_a[ni], "inside")
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
            parts.add(aidx[fi][s.ok], s.edge[s.ok], s.offset[s.ok], "entrance")
    # fallback: the nearest street point to the area
    have = np.zeros(n, dtype=bool)
    for f_part in parts.f:
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
            parts.add(miss[gi], ei, a, "nearest")


def attach(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    entrances: gpd.GeoSeries | None = None,
    incident: tuple[np.ndarray, np.ndarray] | None = None,
) -> Attachments:
    """Access points of every facility (see :func:`infra_geo.attach_facilities`).

    ``incident`` is :func:`incident_edge` of ``net``, to reuse (computed when needed).
    """
    facilities = check_inputs(net, facilities, need_components=False)
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
    parts = _Parts()
    type_id = shapely.get_type_id(geoms) if n else np.array([], dtype=int)
    is_point = type_id == 0
    # points: nearest edge within the tolerance
    pidx = np.flatnonzero(is_point)
    if len(pidx):
        s = net.snap(geoms[pidx])
        parts.add(pidx[s.ok], s.edge[s.ok], s.offset[s.ok], "point")
    # areas and lines: boundary samples near a street, nodes inside, entrances, nearest
    oidx = np.flatnonzero(~is_point)
    if len(oidx):
        inc = incident if incident is not None else incident_edge(net)
        _attach_areas(net, geoms, oidx, type_id, entrances, inc, parts)
    fac, edge, off, kind = parts.arrays()
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


def augmented(net: WalkNetwork, att: Attachments) -> sparse.csr_matrix:
    """Return the network plus one virtual source node per facility (arcs out of it only)."""
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


class _NetCache:
    """Derived arrays of one network, shared by every :class:`Access` on it.

    Kept beside the network (a weak mapping, gone with the network), never inside it.
    """

    _of: ClassVar[weakref.WeakKeyDictionary[WalkNetwork, _NetCache]] = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, net: WalkNetwork) -> _NetCache:
        """Return the cache of ``net`` (made on first use)."""
        cache = cls._of.get(net)
        if cache is None:
            cache = cls._of[net] = cls(net)
        return cache

    def __init__(self, net: WalkNetwork) -> None:
        self.net = weakref.proxy(net)
        #: :class:`Access` engines built on this network (each attaches its facilities once)
        self.engines = 0
        self._incident: tuple[np.ndarray, np.ndarray] | None = None
        #: street-front buffers of whole edges per width (see ``_catchment_geometry._edge_buffers``)
        self.edge_buffers: dict[float, np.ndarray] = {}

    @property
    def incident(self) -> tuple[np.ndarray, np.ndarray]:
        if self._incident is None:
            self._incident = incident_edge(self.net)
        return self._incident


class Access:
    """The access engine: a network, a set of facilities in groups, and distances on demand.

    Build one per network and facility set and ask it for node distances
    (:meth:`node_distances`), distances at any points (:meth:`at_points`) or the graph
    with the facilities as virtual sources (:attr:`graph`); everything is computed once,
    when first asked for. The public functions (:func:`~infra_geo.distance_to_nearest`,
    :func:`~infra_geo.catchments`, :func:`~infra_geo.gap_analysis`...) accept one as
    ``access=`` so that several of them share the work.

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame or dict of str to GeoDataFrame
        Classified facilities (:func:`infra_geo.facilities_from_file`), or named frames
        (one group per key).
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.
    component : str or list of str, optional
        Restrict to these group keys (default all: the eight components).
    by : str, optional
        Group the facilities by this column (e.g. ``"category"``).
    rules : str, path, dict or Rules, optional
        Group the facilities by another rules file (e.g. ``"cbs_nabijheid"``).

    Attributes
    ----------
    net : WalkNetwork
    groups : Groups
        The resolved groups (``keys``, ``members``, ``facilities``).
    keys : tuple of str
        The group keys, in order.
    facilities : GeoDataFrame
        The facilities as grouped (rows in the order of the attachments).
    attachments : Attachments
        The access points; ``members``/``components`` are the groups.
    runs : collections.Counter
        What this engine has computed, to check that nothing is computed twice:
        ``"attach"`` (1: the access points, at construction), ``"search:{key}"``
        (multi-source searches of a group: at most 1 each), ``"bounded"`` (bounded
        searches counting facilities within reach, one per chunk of facilities),
        ``"facility"`` (single-facility searches, ``catchments(by="facility")``) and
        ``"points"`` (point tables: snapped points looked up in the node distances).

    Raises
    ------
    InputError
        Not a WalkNetwork, not a GeoDataFrame, conflicting grouping options.
    UnknownComponentError
        ``component`` names no group.

    Examples
    --------
    >>> import infra_geo as ig
    >>> path = ig.analysis.sample_path()
    >>> net = ig.walk_network_from_file(path)
    >>> acc = ig.Access(net, ig.facilities_from_file(path))
    >>> d = ig.distance_to_nearest(net, acc.facilities, component="care", access=acc)
    >>> bool((d.index == net.nodes.index).all())
    True
    """

    def __init__(
        self,
        net: WalkNetwork,
        facilities: gpd.GeoDataFrame | dict[str, gpd.GeoDataFrame],
        *,
        entrances: gpd.GeoSeries | None = None,
        component: str | Iterable[str] | None = None,
        by: str | None = None,
        rules: RulesLike = None,
    ) -> None:
        self.net = check_network(net)
        self.entrances = entrances
        self.source = facilities
        self.options: dict[str, Any] = {"component": component, "by": by, "rules": rules}
        self.groups: Groups = resolve_groups(facilities, component, by=by, rules=rules)
        self.keys: tuple[str, ...] = self.groups.keys
        self.facilities: gpd.GeoDataFrame = self.groups.facilities
        self._net_cache = _NetCache.of(self.net)
        self._net_cache.engines += 1
        self.runs: Counter[str] = Counter(attach=1)
        att = attach(net, self.facilities, entrances, incident=self._net_cache.incident)
        self.attachments = replace(att, members=self.groups.members, components=self.keys)
        self._graph: sparse.csr_matrix | None = None
        self._dist: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __repr__(self) -> str:
        n = int(self.attachments.snapped.sum())
        return f"<Access {n:,} of {len(self.facilities):,} facilities attached, groups {self.keys}>"

    # ---------------------------------------------------------------- derived
    @property
    def graph(self) -> sparse.csr_matrix:
        """The network plus one virtual source node per facility (node ``n_nodes + row``)."""
        if self._graph is None:
            self._graph = augmented(self.net, self.attachments)
        return self._graph

    @property
    def edge_buffers(self) -> dict[float, np.ndarray]:
        """The street-front buffer cache of the network (per width, per edge)."""
        return self._net_cache.edge_buffers

    @property
    def node_index(self) -> pd.Index:
        """Node ids, the index of node results (as ``net.nodes`` and ``net.to_networkx()``)."""
        return pd.Index(self.net.node_ids, name="node")

    def check_keys(self, keys: Iterable[str] | None) -> tuple[str, ...]:
        """``keys`` (default all) after checking each is a group of this engine."""
        if keys is None:
            return self.keys
        keys = (keys,) if isinstance(keys, str) else tuple(keys)
        bad = [k for k in keys if k not in self.keys]
        if bad:
            from .errors import UnknownComponentError

            raise UnknownComponentError(
                f"{', '.join(map(repr, bad))} is not a group of this Access; "
                f"its groups are {', '.join(self.keys)}."
            )
        return keys

    def node_distances(
        self, keys: Iterable[str] | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per group: (metres per node position, nearest facility row per node or -1).

        Each group's multi-source search runs once, on first request.
        """
        keys = self.check_keys(keys)
        n = self.net.n_nodes
        for k in keys:
            if k in self._dist:
                continue
            fidx = self.attachments.sources(k)
            if len(fidx) == 0:
                self._dist[k] = (np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
                continue
            dist, _, src = dijkstra(
                self.graph, directed=True, indices=fidx + n, min_only=True, return_predecessors=True
            )
            self.runs[f"search:{k}"] += 1
            near = np.where(src[:n] >= 0, src[:n] - n, -1)
            self._dist[k] = (dist[:n], near.astype(np.int64))
        return {k: self._dist[k] for k in keys}

    def distances(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Metres from every node to the nearest facility per group, indexed by node id."""
        keys = self.check_keys(keys)
        res = self.node_distances(keys)
        return pd.DataFrame({k: res[k][0] for k in keys}, index=self.node_index)

    def at_points(
        self, points: gpd.GeoSeries | np.ndarray, keys: Iterable[str] | None = None
    ) -> tuple[pd.DataFrame, Snap]:
        """Distances at points (a GeoSeries in any CRS, or an (n, 2) array in the network CRS).

        Returns the table (one column of metres per group, ``snapped``, ``snap_m``; indexed
        like ``points``) and the :class:`~infra_geo.network.Snap` of the points.
        """
        if isinstance(points, gpd.GeoSeries):
            s, index = self.net.snap(points), points.index
        else:
            xy = np.asarray(points, dtype=float)
            s = self.net.snap_xy(xy, tolerance=settings.snap_tolerance_m)
            index = pd.RangeIndex(len(xy))
        return self.point_table(s, index, keys), s

    def point_table(
        self, s: Snap, index: pd.Index, keys: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Distances at snapped points (see :func:`infra_geo.distances_at_points`)."""
        keys = self.check_keys(keys)
        net = self.net
        res = self.node_distances(keys)
        self.runs["points"] += 1
        ok = s.ok
        # only the snapped points: the others are inf (e.g. most cells of walk_minutes.tif)
        pts = np.flatnonzero(ok)
        e, a = s.edge[pts], s.offset[pts]
        u, v, length = net.edge_u[e], net.edge_v[e], net.edge_length[e]
        same = self._same_edge_pairs(e, a)
        cols: dict[str, Any] = {}
        for k in keys:
            dist, _ = res[k]
            d = np.minimum(dist[u] + a, dist[v] + (length - a))
            d = np.minimum(d, self._same_edge(k, same, len(pts)))
            col = np.full(len(ok), np.inf)
            col[pts] = d
            cols[k] = col
        cols["snapped"] = ok
        cols["snap_m"] = s.distance
        return pd.DataFrame(cols, index=index)

    def _same_edge_pairs(
        self, edge: np.ndarray, offset: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (point, facility row, metres along the edge) of each access point on a point's edge.

        ``edge`` and ``offset`` are the points' (all snapped); few access points share an edge.
        """
        att = self.attachments
        order = np.argsort(att.edge, kind="stable")
        ae, aa, af = att.edge[order], att.offset[order], att.facility[order]
        lo = np.searchsorted(ae, edge, "left")
        cnt = np.searchsorted(ae, edge, "right") - lo
        p_rep = np.repeat(np.arange(len(edge)), cnt)
        a_idx = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
        return p_rep, af[a_idx], np.abs(aa[a_idx] - offset[p_rep])

    def _same_edge(
        self, key: str, pairs: tuple[np.ndarray, np.ndarray, np.ndarray], n: int
    ) -> np.ndarray:
        """Per point the direct walk along its edge to a facility of ``key`` on that edge.

        ``pairs`` is :meth:`_same_edge_pairs` of the ``n`` points.
        """
        best = np.full(n, np.inf)
        p_rep, fac, direct = pairs
        in_key = np.zeros(len(self.attachments.facility_ids), dtype=bool)
        in_key[self.attachments.sources(key)] = True
        sel = in_key[fac]
        if sel.any():
            np.minimum.at(best, p_rep[sel], direct[sel])
        return best

    def with_facilities(
        self,
        facilities: gpd.GeoDataFrame | dict[str, gpd.GeoDataFrame],
        *,
        component: str | Iterable[str] | None = None,
        by: str | None = None,
        rules: RulesLike = None,
        entrances: gpd.GeoSeries | Literal["same"] | None = "same",
    ) -> Access:
        """Return the same network (and its caches) with another facility set, e.g. a scenario.

        ``component``, ``by`` and ``rules`` default to none: pass them again when they
        apply; ``entrances`` defaults to this engine's (``"same"``). The network's incident
        edges and street-front buffers are shared; attachments and distances are computed
        for the new set (:meth:`edited` keeps those of unchanged facilities and groups).
        """
        if isinstance(entrances, str):
            if entrances != "same":
                raise InputError(
                    f"entrances must be a GeoSeries, None or 'same', not {entrances!r}."
                )
            entrances = self.entrances
        return Access(
            self.net, facilities, entrances=entrances, component=component, by=by, rules=rules
        )

    def edited(
        self, *, add: gpd.GeoDataFrame | None = None, remove: np.ndarray | None = None
    ) -> Access:
        """Return this engine with facilities removed and added, recomputing only what changed.

        The kept facilities keep their access points (only ``add`` is attached); every group
        whose facility set is unchanged keeps its node distances (no new search: its
        :attr:`runs` count none); the other groups are searched again when asked for. The
        result equals ``Access(net, new_facilities, ...)`` built from scratch with the same
        grouping options, where ``new_facilities`` is the kept rows followed by ``add``.

        Parameters
        ----------
        add : GeoDataFrame, optional
            New facilities with the columns the grouping reads (``components`` for the
            eight components) and a ``facility_id``; any CRS.
        remove : ndarray of bool, optional
            Per row of :attr:`facilities`: drop it.

        Returns
        -------
        Access
            A new engine on the same network; this one is unchanged.

        Raises
        ------
        InputError
            The engine was built from a dict of frames, or ``remove`` does not fit.
        """
        from ._edit import edited

        return edited(self, add=add, remove=remove)


def engine(
    net: Any,
    facilities: Any,
    access: Access | None,
    *,
    entrances: gpd.GeoSeries | None = None,
    component: str | Iterable[str] | None = None,
    by: str | None = None,
    rules: Any = None,
) -> tuple[Access, tuple[str, ...]]:
    """Return the front doors' prologue: the given ``access`` (checked) or a new one, and the keys.

    With ``access`` given, ``component`` selects among its groups; ``facilities`` must be
    the ones it was built from (or None).
    """
    if access is None:
        acc = Access(net, facilities, entrances=entrances, component=component, by=by, rules=rules)
        return acc, acc.keys
    if not isinstance(access, Access):
        raise InputError(f"access must be an ig.Access, not {type(access).__name__}.")
    if access.net is not net:
        raise InputError(
            "access was built on another network: build ig.Access(net, facilities) on this one."
        )
    if by is not None or rules is not None:
        raise InputError("With access= the groups are the Access's own: do not pass by= or rules=.")
    if (
        facilities is not None
        and facilities is not access.source
        and (facilities is not access.facilities)
    ):
        raise InputError(
            "access was built from other facilities: pass the same frame, or build a new "
            "Access (access.with_facilities(...))."
        )
    return access, access.check_keys(component)
