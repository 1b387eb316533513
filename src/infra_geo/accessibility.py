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

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from . import settings
from ._access import Access, Attachments, attach, engine
from ._catchment_geometry import (
    _nested_unions,
    _parallel,
    _tile_unions,
)
from ._deprecate import positional_deprecated
from ._types import RulesLike
from ._validate import minutes_tuple, positive
from .errors import EmptyDataError, InputError
from .network import WalkNetwork

__all__ = [
    "Access",
    "Attachments",
    "attach_facilities",
    "catchments",
    "distance_to_nearest",
    "distances_at_points",
    "metres_per_minute",
    "nearest_facilities",
]


def metres_per_minute(speed_kmh: float) -> float:
    """Convert a walking speed in km/h to metres per minute (4.8 km/h = 80 m/min)."""
    return positive(speed_kmh, "speed_kmh") * 1000.0 / 60.0


@positional_deprecated(2, ("entrances",))
def attach_facilities(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    *,
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
        Memberships in the eight components (:class:`Access` keeps the attachments with
        other facility groups).

    Examples
    --------
    >>> import infra_geo as ig
    >>> path = ig.analysis.sample_path()
    >>> net = ig.walk_network_from_file(path)
    >>> att = ig.attach_facilities(net, ig.facilities_from_file(path))
    >>> set(att.kind) <= {"boundary", "entrance", "inside", "nearest", "point"}
    True
    """
    return attach(net, facilities, entrances)


@positional_deprecated(2, ("component", "entrances"))
def distance_to_nearest(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame | dict[str, gpd.GeoDataFrame],
    *,
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
    by: str | None = None,
    rules: RulesLike = None,
    access: Access | None = None,
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
    access : Access, optional
        An engine built on ``net`` and these facilities, to reuse its attachments and
        distances (then ``component`` selects among its groups; ``by``/``rules`` are its own).

    Returns
    -------
    Series or DataFrame
        Indexed by node id like ``net.nodes`` and the nodes of ``net.to_networkx()`` (index
        name ``node``); one column per group key; ``inf`` where no facility of that group is
        reachable (none exists, or the node is on another island).

    Raises
    ------
    UnknownComponentError
        ``component`` is not one of the group keys (the message lists them).
    InputError
        ``by`` is not a column, or ``by`` and ``rules`` are both given.

    Examples
    --------
    >>> import infra_geo as ig
    >>> path = ig.analysis.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> d = ig.distance_to_nearest(net, fac, component="care")
    >>> share = float((d <= 800).mean())  # share of nodes within 10 minutes at 4.8 km/h
    >>> G = net.to_networkx()
    >>> all(n in G for n in d.index)  # keyed like the networkx graph
    True
    >>> gp = ig.distance_to_nearest(net, fac, component="amenity=doctors", by="category")
    >>> float(gp.min())  # at the doctors' own access points
    0.0
    >>> cbs = ig.facilities_from_file(path, rules="cbs_nabijheid")
    >>> d = ig.distance_to_nearest(net, cbs, component=["huisarts", "supermarkt"], rules="cbs_nabijheid")
    >>> list(d.columns)
    ['huisarts', 'supermarkt']
    """
    single = isinstance(component, str)
    acc, keys = engine(
        net, facilities, access, entrances=entrances, component=component, by=by, rules=rules
    )
    df = acc.distances(keys)
    return df[keys[0]] if single else df


@positional_deprecated(2, ("minutes", "speed_kmh", "component", "entrances", "chunk"))
def nearest_facilities(  # noqa: PLR0913 - public entry point: data args + keyword options
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    *,
    minutes: float | Iterable[float] = (5, 10, 15),
    speed_kmh: float | None = None,
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
    chunk: int = 128,
    by: str | None = None,
    rules: RulesLike = None,
    access: Access | None = None,
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
    access : Access, optional
        An engine to reuse, as in :func:`distance_to_nearest`.

    Returns
    -------
    DataFrame
        Indexed by node id like ``net.nodes`` (index name ``node``); per component ``c``:
        ``{c}_m`` (metres), ``{c}_nearest`` (``facility_id`` or NA) and ``{c}_n_{m}min``
        (facilities within m minutes).

    Examples
    --------
    >>> import infra_geo as ig
    >>> path = ig.analysis.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> near = ig.nearest_facilities(net, fac, minutes=(5, 10), component="care")
    >>> list(near.columns)
    ['care_m', 'care_nearest', 'care_n_5min', 'care_n_10min']
    """
    mins = minutes_tuple(minutes)
    mpm = metres_per_minute(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh)
    acc, keys = engine(
        net, facilities, access, entrances=entrances, component=component, by=by, rules=rules
    )
    counts = _counts_within(acc, keys, mins, mpm, chunk)
    res = acc.node_distances(keys)
    att = acc.attachments
    cols: dict[str, Any] = {}
    for k in keys:
        dist, near = res[k]
        cols[f"{k}_m"] = dist
        ids = pd.array(
            np.where(near >= 0, att.facility_ids[np.maximum(near, 0)], None), dtype="string"
        )
        cols[f"{k}_nearest"] = ids
        for m in mins:
            cols[f"{k}_n_{m}min"] = counts[(k, m)]
    return pd.DataFrame(cols, index=acc.node_index)


def _counts_within(
    acc: Access, keys: tuple[str, ...], mins: tuple[float, ...], mpm: float, chunk: int
) -> dict[tuple[str, float], np.ndarray]:
    """Per (group, minutes): facilities within reach of every node (bounded searches)."""
    net, att, g = acc.net, acc.attachments, acc.graph
    n = net.n_nodes
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
    for start in range(0, len(active), max(1, int(chunk))):
        rows = np.sort(active[start : start + chunk])
        sel = np.isin(att.facility, rows)
        # the nodes in any square of 2 lmax around an access point, in order
        loc = np.flatnonzero(_nodes_in_boxes(net.node_xy, ap_xy[sel], lmax))
        idx = np.concatenate([loc, rows + n])
        sub = g[idx][:, idx]
        d = dijkstra(sub, directed=True, indices=np.arange(len(loc), len(idx)), limit=lmax)
        acc.runs["bounded"] += 1
        d = d[:, : len(loc)]
        # float32 sums of at most 2**24 zeros and ones are exact (and twice as fast)
        ft = np.float32 if len(rows) < 2**24 else np.float64
        memb = att.members[np.ix_(rows, np.asarray(kcols, dtype=np.intp))].T.astype(ft)  # components x chunk
        for j, m in enumerate(mins):
            got = np.rint(memb @ (d <= limits[j]).astype(ft)).astype(np.int64)
            for i, k in enumerate(keys):
                counts[(k, m)][loc] += got[i]
    return counts


def _nodes_in_boxes(node_xy: np.ndarray, centres: np.ndarray, half: float) -> np.ndarray:
    """Return a mask of the nodes inside any square of half-side ``half`` around ``centres``.

    Exactly the nodes an STRtree query with ``shapely.box(c - half, c + half)`` finds (the
    envelope test ``c - half <= xy <= c + half`` in floats), without listing every (square,
    node) pair: a k-d tree of the centres in the maximum norm settles every node but the few
    within a hair of a square's side, which are tested against every square.
    """
    from scipy.spatial import cKDTree

    hit = np.zeros(len(node_xy), dtype=bool)
    if not len(centres) or not len(node_xy):
        return hit
    lo, hi = centres - half, centres + half
    (x0, y0), (x1, y1) = lo.min(axis=0), hi.max(axis=0)
    x, y = node_xy[:, 0], node_xy[:, 1]
    cand = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    hair = half * 1e-9 + 1e-6
    # the nodes in grid cells inside a square (outside all) by more than a hair are settled
    inner, outer = _cell_verdicts(node_xy[cand], lo, hi, hair, half)
    hit[cand[inner]] = True
    cand = cand[~(inner | outer)]
    d, _ = cKDTree(centres).query(node_xy[cand], p=np.inf, distance_upper_bound=half + hair)
    hit[cand[d < half - hair]] = True
    doubt = cand[np.isfinite(d) & (d >= half - hair)]
    for start in range(0, len(doubt), 256):  # blocks of nodes x every square: few nodes
        xy = node_xy[doubt[start : start + 256], None, :]
        inside = np.any(np.all((xy >= lo[None]) & (xy <= hi[None]), axis=2), axis=1)
        hit[doubt[start : start + 256]] = inside
    return hit


def _cell_verdicts(
    xy: np.ndarray, lo: np.ndarray, hi: np.ndarray, hair: float, half: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return masks of the points surely inside and surely outside every box ``lo``-``hi``.

    On a grid of cells about ``half / 16`` wide (at most 1024 a side, from ``lo.min``), a
    point whose cell lies wholly inside a box shrunk by ``hair`` is inside that box; one whose
    cell meets no box widened by ``hair`` is outside all. Both cell sets are counted with
    difference arrays; rounding moves a cell's sides by far less than the hair.
    """
    o = lo.min(axis=0)
    g = max(half / 16.0, float((hi.max(axis=0) - o).max()) / 1024.0, 1e-3)
    cells = np.floor((xy - o) / g).astype(np.int64)
    # cells wholly inside a shrunk box; cells meeting a widened box
    a0 = np.maximum(np.ceil((lo + hair - o) / g).astype(np.int64), 0)
    a1 = np.floor((hi - hair - o) / g).astype(np.int64) - 1
    b0 = np.maximum(np.floor((lo - hair - o) / g).astype(np.int64), 0)
    b1 = np.floor((hi + hair - o) / g).astype(np.int64)
    shape = tuple(int(v) + 2 for v in np.maximum(b1.max(axis=0), cells.max(axis=0, initial=0)))
    inner, touched = (_covered(shape, i0, i1) for i0, i1 in ((a0, a1), (b0, b1)))
    on = (cells >= 0).all(axis=1)
    c = np.maximum(cells, 0)
    return on & inner[c[:, 0], c[:, 1]], ~(on & touched[c[:, 0], c[:, 1]])


def _covered(shape: tuple[int, ...], i0: np.ndarray, i1: np.ndarray) -> np.ndarray:
    """Return a mask of the cells in any rectangle of cells ``i0``-``i1`` (inclusive)."""
    ok = (i0 <= i1).all(axis=1)
    i0, i1 = i0[ok], i1[ok]
    diff = np.zeros(shape, dtype=np.int32)
    np.add.at(diff, (i0[:, 0], i0[:, 1]), 1)
    np.add.at(diff, (i1[:, 0] + 1, i0[:, 1]), -1)
    np.add.at(diff, (i0[:, 0], i1[:, 1] + 1), -1)
    np.add.at(diff, (i1[:, 0] + 1, i1[:, 1] + 1), 1)
    return diff.cumsum(axis=0).cumsum(axis=1) > 0


def _zorder(xy: np.ndarray, cell: float) -> np.ndarray:
    """Z-order (Morton) key of points on a grid of ``cell`` metres: near keys, near points."""
    g = ((xy - xy.min(axis=0)) // max(cell, 1.0)).astype(np.uint64)
    key = np.zeros(len(xy), dtype=np.uint64)
    for b in range(21):
        key |= ((g[:, 0] >> np.uint64(b)) & np.uint64(1)) << np.uint64(2 * b)
        key |= ((g[:, 1] >> np.uint64(b)) & np.uint64(1)) << np.uint64(2 * b + 1)
    return key


@positional_deprecated(3, ("component", "entrances"))
def distances_at_points(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoSeries,
    *,
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
    by: str | None = None,
    rules: RulesLike = None,
    access: Access | None = None,
) -> pd.DataFrame:
    """Compute walking metres from arbitrary points (homes, cells) to the nearest facility per component.

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
    access : Access, optional
        An engine to reuse, as in :func:`distance_to_nearest`.

    Returns
    -------
    DataFrame
        Indexed like ``points``: one column of metres per component (``inf`` unreachable or
        not attached) and ``snapped`` (bool) and ``snap_m`` (metres to the street).

    Examples
    --------
    >>> import infra_geo as ig
    >>> path = ig.analysis.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> homes = net.nodes.geometry.iloc[:5]
    >>> ig.distances_at_points(net, fac, homes, component="care").shape
    (5, 3)
    """
    if not isinstance(points, gpd.GeoSeries):
        raise InputError("points must be a GeoSeries of Points with a CRS.")
    acc, keys = engine(
        net, facilities, access, entrances=entrances, component=component, by=by, rules=rules
    )
    return acc.at_points(points, keys)[0]




@positional_deprecated(
    2, ("minutes", "speed_kmh", "by", "component", "buffer_m", "entrances")
)
def catchments(  # noqa: PLR0913 - public entry point: data args + keyword options
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    *,
    minutes: float | Iterable[float] = (5, 10, 15),
    speed_kmh: float | None = None,
    by: str = "component",
    component: str | Iterable[str] | None = None,
    buffer_m: float | None = None,
    entrances: gpd.GeoSeries | None = None,
    rules: RulesLike = None,
    access: Access | None = None,
) -> gpd.GeoDataFrame:
    """Return the areas reachable on foot within each walking time.

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
    access : Access, optional
        An engine to reuse (its node distances and street-front buffers), as in
        :func:`distance_to_nearest`; ``by`` is then ``"component"`` or ``"facility"``.

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
    >>> import infra_geo as ig
    >>> path = ig.analysis.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> slow = ig.settings.walk_speed_elderly_kmh
    >>> c = ig.catchments(net, fac, minutes=(5, 10), speed_kmh=slow, component="care")
    >>> c["minutes"].tolist()
    [5, 10]
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
    acc, keys = engine(
        net, facilities, access, entrances=entrances, component=component, by=group_by, rules=rules
    )
    if by != "facility":
        rows = _group_catchments(acc, keys, mins, mpm, width)
    else:
        rows = _facility_catchments(acc, keys, mins, mpm, width)
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


def _group_catchments(
    acc: Access, keys: tuple[str, ...], mins: tuple[float, ...], mpm: float, width: float
) -> list[dict[str, Any]]:
    """Rows of :func:`catchments` with one area per group and threshold."""
    net, att, cache = acc.net, acc.attachments, acc.edge_buffers
    res = acc.node_distances(keys)
    limits = [m * mpm for m in mins]  # ascending (minutes_tuple sorts)
    rows: list[dict[str, Any]] = []
    tasks = []
    for k in keys:
        fidx = np.zeros(len(att.facility_ids), dtype=bool)
        fidx[att.sources(k)] = True
        tasks.append((res[k][0], fidx[att.facility]))
        rows += [{"component": k, "minutes": m, "metres": m * mpm} for m in mins]
    _tile_unions(net, width, cache)  # once, on all cores, before the components share it

    def one(task: tuple[np.ndarray, np.ndarray]) -> list[shapely.Geometry]:
        dist, sel = task
        if not sel.any():
            return [shapely.Polygon()] * len(limits)
        return _nested_unions(net, dist, limits, att.edge[sel], att.offset[sel], width, cache)

    geoms = [geom for per_k in _parallel(one, tasks) for geom in per_k]
    for row, geom in zip(rows, geoms, strict=True):
        row["geometry"] = geom
    return rows


def _facility_catchments(
    acc: Access, keys: tuple[str, ...], mins: tuple[float, ...], mpm: float, width: float
) -> list[dict[str, Any]]:
    """Rows of :func:`catchments` with one area per facility and threshold."""
    net, att, grp, cache = acc.net, acc.attachments, acc.groups, acc.edge_buffers
    facilities, g, n = grp.facilities, acc.graph, acc.net.n_nodes
    comp_cols = [att.components.index(k) for k in keys]
    active = np.flatnonzero(att.snapped & att.members[:, comp_cols].any(axis=1))
    if len(active) == 0:
        raise EmptyDataError("No facility of the requested components is attached to the network.")
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
        geoms = _nested_unions(net, d, limits, att.edge[sel], att.offset[sel], width, cache)
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

    rows = [row for chunk in _parallel(one_facility, list(active)) for row in chunk]
    acc.runs["facility"] += len(active)  # one search each (counted here, not in the threads)
    return rows
