"""Catchment unions: today's nested path against the complement form (issue 14, item 1).

For one network (Malta by default; ``INFRA_GEO_BENCH_OSM`` for another extract) and its
8 components x 5/10/15 min catchments, each catchment is built two ways on one thread
(``time.thread_time``, warm per-network tiles and edge buffers, the two paths alternating,
``INFRA_GEO_BENCH_RUNS`` rounds, medians per catchment):

* **direct**: one level step of ``_catchment_geometry._nested_unions`` (the level's new
  parts: newly full tiles, newly reached edges, partial pieces, unioned with
  ``disjoint_subset_union_all``; then the previous level added by one binary union).
* **complement**: ``C = (S \\ F) | B`` with ``S`` the union of every edge's street front (per
  network, timed apart), ``F`` the union of the street fronts of the unreached pieces (per edge,
  ``[0, L]`` minus its merged reachable intervals; fully unreached tiles enter as their cached
  union) and ``B`` the union of the reached pieces within twice the street front of an
  unreached piece (an STRtree ``dwithin`` query). As point sets this equals the union of the
  reached pieces' street fronts; ``S \\ (F \\ B)`` alone misses the slivers where a partial
  piece's rounded end pokes out of its whole edge's polygonal buffer (reported as "B \\ S").

Also timed: the whole cold ``_nested_unions`` run with ``quad_segs`` 3 (today) against 2, and
the areas they give. Run: ``.venv/bin/python benchmarks/bench_catchment_complement.py``.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import numpy as np
import shapely
from _common import load, md_table, quiet, report
from _scale import MALTA, need

import infra_geo as ig
from infra_geo import _catchment_geometry as cg

RUNS = int(os.environ.get("INFRA_GEO_BENCH_RUNS", "3"))
OSM = os.environ.get("INFRA_GEO_BENCH_OSM", str(MALTA))
MINUTES = (5, 10, 15)
MPM, W = 80.0, 50.0


def merged_intervals(net, dist, limit, att_edge, att_off):
    """The reachable intervals per edge, merged, as ``_reachable_parts`` builds them."""
    L, du, dv = net.edge_length, dist[net.edge_u], dist[net.edge_v]
    from_u, from_v = np.flatnonzero(du < limit), np.flatnonzero(dv < limit)
    edges = np.concatenate([from_u, from_v, att_edge])
    starts = np.concatenate(
        [np.zeros(len(from_u)), L[from_v] - (limit - dv[from_v]), att_off - limit]
    )
    ends = np.concatenate([limit - du[from_u], L[from_v], att_off + limit])
    starts, ends = np.clip(starts, 0.0, L[edges]), np.clip(ends, 0.0, L[edges])
    span = float(L.max()) + 1.0
    order = np.lexsort((starts, edges))
    e, s0, e0 = edges[order], starts[order], ends[order]
    run_max = np.maximum.accumulate(e * span + e0)
    new = np.r_[True, (e * span + s0)[1:] > run_max[:-1] + 1e-9]
    m_edge, m_start = e[new], s0[new]
    m_end = np.maximum.reduceat(e0, np.flatnonzero(new))
    keep = m_end - m_start > 1e-6
    return m_edge[keep], m_start[keep], m_end[keep]


def unreached(net, m_edge, m_start, m_end):
    """Edges not reached at all, and the unreached stretches of the others (edge, start, end)."""
    first = np.r_[True, m_edge[1:] != m_edge[:-1]]
    last = np.r_[m_edge[1:] != m_edge[:-1], True]
    g_edge = np.concatenate([m_edge[first], m_edge[~first], m_edge[last]])
    g_s = np.concatenate([np.zeros(first.sum()), m_end[np.flatnonzero(~first) - 1], m_end[last]])
    g_e = np.concatenate([m_start[first], m_start[~first], net.edge_length[m_edge[last]]])
    ok = g_e - g_s > 1e-6
    touched = np.zeros(net.n_edges, dtype=bool)
    touched[m_edge] = True
    return np.flatnonzero(~touched), g_edge[ok], g_s[ok], g_e[ok]


def complement(net, dist, limit, ae, ao, cache, S):
    """One catchment as ``(S - F) | B``; returns it, seconds per step, and ``B - S``'s area."""
    tile, per_tile, polys = cache[("tiles", W)]
    t = [time.thread_time()]
    whole, rest = cg._reachable_parts(net, dist, limit, ae, ao)
    whole_u, g_edge, g_s, g_e = unreached(net, *merged_intervals(net, dist, limit, ae, ao))
    full_u = np.bincount(tile[whole_u], minlength=len(per_tile)) == per_tile
    u_pieces = cg._substrings(net.edge_geometry[g_edge], g_s, g_e)
    f_parts = np.concatenate(
        [
            polys[full_u],
            cg._edge_buffers(net, W, whole_u[~full_u[tile[whole_u]]], cache),
            shapely.buffer(u_pieces, W, quad_segs=cg._QUAD_SEGS),
        ]
    )
    t.append(time.thread_time())
    F = shapely.disjoint_subset_union_all(f_parts)
    t.append(time.thread_time())
    tree = shapely.STRtree(np.concatenate([net.edge_geometry[whole_u], u_pieces]))
    r_pieces = np.concatenate([net.edge_geometry[whole], rest])
    near = np.unique(tree.query(r_pieces, predicate="dwithin", distance=2 * W)[0])
    r_buf = np.concatenate(
        [cg._edge_buffers(net, W, whole, cache), shapely.buffer(rest, W, quad_segs=cg._QUAD_SEGS)]
    )
    t.append(time.thread_time())
    B = shapely.disjoint_subset_union_all(r_buf[near])
    t.append(time.thread_time())
    C = shapely.union(shapely.difference(S, F), B)
    t.append(time.thread_time())
    steps = dict(zip(["prep", "F", "near", "B", "S-F|B"], np.diff(t), strict=True))
    return C, steps, len(near), shapely.difference(B, S).area


def direct_levels(net, dist, limits, ae, ao, cache):
    """``_nested_unions``, level by level: ``[(geometry, seconds, new parts)]``."""
    tile, per_tile, polys = cache[("tiles", W)]
    done = np.zeros(net.n_edges, dtype=bool)
    tile_done = np.zeros(len(per_tile), dtype=bool)
    out, prev = [], None
    for limit in limits:
        t0 = time.thread_time()
        whole, rest = cg._reachable_parts(net, dist, limit, ae, ao)
        full = np.bincount(tile[whole], minlength=len(per_tile)) == per_tile
        new_tiles = full & ~tile_done
        tile_done |= full
        new = whole[~done[whole] & ~full[tile[whole]]]
        done[whole] = True
        parts = np.concatenate(
            [
                polys[new_tiles],
                cg._edge_buffers(net, W, new, cache),
                shapely.buffer(rest, W, quad_segs=cg._QUAD_SEGS),
            ]
        )
        prev = cg._union_parts(parts, prev)
        out.append((prev, time.thread_time() - t0, len(parts)))
    return out


def whole_run(net, comps, quad_segs):
    """Cold ``_nested_unions`` of every component with ``quad_segs``: (CPU s, geometries)."""
    cg._QUAD_SEGS, cache, geoms = quad_segs, {}, []
    t0 = time.process_time()
    cg._tile_unions(net, W, cache)
    for dist, ae, ao in comps.values():
        geoms += cg._nested_unions(net, dist, [m * MPM for m in MINUTES], ae, ao, W, cache)
    cg._QUAD_SEGS = 3
    return time.process_time() - t0, geoms


def main() -> None:
    quiet()
    net, fac, _ = load(str(need(Path(OSM))))
    dist = ig.distance_to_nearest(net, fac)
    att = ig.attach_facilities(net, fac)
    comps = {}
    for key in ig.COMPONENT_KEYS:
        sel = att.members[att.facility, att.components.index(key)]
        if sel.any():
            comps[key] = (dist[key].to_numpy(), att.edge[sel], att.offset[sel])
    limits = [m * MPM for m in MINUTES]
    cache: dict = {}
    t0 = time.thread_time()
    cg._tile_unions(net, W, cache)
    t_tiles = time.thread_time() - t0
    t0 = time.thread_time()
    S = shapely.disjoint_subset_union_all(cache[("tiles", W)][2])
    t_s = time.thread_time() - t0
    d_t: dict = {}
    c_t: dict = {}
    info: dict = {}
    for _ in range(RUNS):
        for key, (d, ae, ao) in comps.items():
            for m, (geom, sec, n_parts) in zip(
                MINUTES, direct_levels(net, d, limits, ae, ao, cache), strict=True
            ):
                d_t.setdefault((key, m), []).append(sec)
                info[(key, m)] = [geom, n_parts]
        for key, (d, ae, ao) in comps.items():
            for m, limit in zip(MINUTES, limits, strict=True):
                C, steps, n_near, sliver = complement(net, d, limit, ae, ao, cache, S)
                c_t.setdefault((key, m), []).append(steps)
                info[(key, m)][2:] = [C, n_near, sliver]
    rows = []
    for (key, m), (geom, n_parts, C, n_near, sliver) in info.items():
        d_med = statistics.median(d_t[(key, m)])
        steps = {s: statistics.median(x[s] for x in c_t[(key, m)]) for s in c_t[(key, m)][0]}
        c_med = sum(steps.values())
        sd = shapely.symmetric_difference(geom, C).area / max(geom.area, 1.0)
        rows.append(
            [
                key,
                m,
                geom.area / S.area,
                n_parts,
                d_med,
                n_near,
                steps["F"],
                steps["B"],
                steps["S-F|B"],
                c_med,
                c_med / d_med,
                f"{sd:.1e}",
                f"{sliver:.1f}",
            ]
        )
    tot_d, tot_c = sum(r[4] for r in rows), sum(r[9] for r in rows)
    qs = {3: [], 2: []}
    geoms = {}
    for _ in range(max(RUNS - 1, 1)):
        for q in (3, 2):
            sec, geoms[q] = whole_run(net, comps, q)
            qs[q].append(sec)
    ratio = [b.area / a.area for a, b in zip(geoms[3], geoms[2], strict=True)]
    iou = [
        shapely.intersection(a, b).area / shapely.union(a, b).area
        for a, b in zip(geoms[3], geoms[2], strict=True)
    ]
    heads = [
        "component",
        "min",
        "area / S",
        "direct parts",
        "direct s",
        "B pieces",
        "F s",
        "B s",
        "(S-F)|B s",
        "complement s",
        "x direct",
        "sym diff / area",
        "B-S m2",
    ]
    body = (
        f"{os.path.basename(OSM)}: {net!r}; one thread, warm tiles; medians of {RUNS} "
        f"alternating rounds. Per network: tiles {t_tiles:.2f} s, S (union of the tiles, "
        f"{shapely.get_num_coordinates(S):,} vertices) {t_s:.2f} s.\n\n"
        + md_table(heads, rows)
        + f"\n\n**Total: direct {tot_d:.2f} s, complement {tot_c:.2f} s (+ S {t_s:.2f} s); "
        f"the complement is cheaper for {sum(r[10] < 1 for r in rows)} of {len(rows)} "
        "catchments.**\n\nWhole cold `_nested_unions` run (tiles included), CPU s, medians of "
        f"{len(qs[3])}: quad_segs 3 {statistics.median(qs[3]):.2f} s, quad_segs 2 "
        f"{statistics.median(qs[2]):.2f} s; area quad_segs 2 / 3: median "
        f"{statistics.median(ratio):.4f}, min {min(ratio):.4f}; IoU min {min(iou):.4f}."
    )
    report("catchment_complement", "Catchments: nested unions vs the complement form", body)


if __name__ == "__main__":
    main()
