"""Building the walking network from OSM ways: edges, CRS, sidewalks and ferries.

Owns the way-to-edge split of an extract (:func:`_build_from_ways`), the choice of the
network CRS, the ``sidewalk=separate`` check, ferry crossing lengths and the walk profile
applied to an online osmnx graph (:func:`_profile_network`). The front doors in
:mod:`infra_geo.network` call these.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from . import settings
from ._crs import metric_crs_for
from ._gcpause import gc_paused
from ._log import log
from ._validate import positive, to_crs
from ._walk_profiles import resolve as resolve_profile
from .errors import EmptyDataError, NetworkError

if TYPE_CHECKING:
    from .network import WalkNetwork


def _positions(data: Any, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the positions of the nodes of the way runs ``runs`` in the flat node arrays.

    Also the run (0..len(runs)-1) of each position, and the runs' node counts.
    """
    offs = data.way_offsets
    r_lens = np.diff(offs)[runs]
    pos = np.repeat(offs[runs] - np.r_[0, np.cumsum(r_lens)[:-1]], r_lens) + np.arange(r_lens.sum())
    return pos, np.repeat(np.arange(len(runs)), r_lens), r_lens


def _lonlat_box(data: Any, runs: np.ndarray) -> shapely.Geometry:
    """Return the lon/lat box of the way runs ``runs``."""
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


def _profile_ways(
    data: Any, walk_profile: str | None, crs: Any
) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """Apply the walk profile to the ways of an extract ``data``.

    Returns the walkable and ferry ways (roads whose separate sidewalk is in the data
    dropped), the profile, and ``crs`` (when None, the metric CRS of the walkable non-ferry
    ways).
    """
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
    return walk, ferry, profile, crs


@gc_paused()  # 46k edge geometries on Malta: no collections while they are made
def _build_from_ways(
    data: Any, walk: np.ndarray, area: Any, crs: Any, *, ferry: np.ndarray | None = None
) -> WalkNetwork:
    """Split the walkable ways at shared nodes into edges (vectorised).

    ``ferry`` ways get their crossing time as walking metres (:func:`_ferry_lengths`).
    """
    from .network import WalkNetwork  # network imports this module

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
    """Parse the minutes in an OSM ``duration`` tag; NaN when absent or unreadable.

    Formats: ``"mm"``, ``"hh:mm"``, ``"hh:mm:ss"`` or ISO 8601 ``"PT1H5M"``.
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
    """Return the walking-equivalent metres of ferry edges.

    For geometry lengths ``geom_len`` of rows ``way_row``: (crossing minutes +
    ``settings.ferry_wait_min``) x walking metres per minute
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
    """Apply the profile to an unsimplified osmnx graph of every highway/ferry way.

    The same tag rules, ``sidewalk=separate`` check and ferry lengths as for a file.
    """
    import osmnx as ox

    from .network import WalkNetwork  # network imports this module

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
