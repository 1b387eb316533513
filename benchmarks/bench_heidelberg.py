"""A 170k-node network with given points: Heidelberg (``osm/heidelberg-routing-2024.osm.pbf``).

The file is filtered for routing (streets complete, few facilities), so the sources are
*given points*: 200 points drawn deterministically on the main piece of the network
(``_scale.given_points``: edges by length with seed 14, a random fraction along each), the
eight components assigned round-robin (25 points each).

* network build: ``ig.walk_network_from_file`` with infra_geo's read cache cleared (reading
  the file included);
* distances: ``ig.distance_to_nearest(net, points)`` (attach + 8 searches) and
  ``ig.nearest_facilities(net, points)`` (also counts within 5/10/15 min);
* catchments: ``ig.catchments(net, points)``, 8 components x 5/10/15 min, "cold" (the
  buffered edges the library caches on the network dropped first, as inside ``analyse``)
  and "warm";
* networkx: 8 ``multi_source_dijkstra_path_length`` calls with the same virtual sources
  (``bench_distances.nx_graph``; the graph preparation reported apart); checked equal to
  infra_geo at every node;
* osmnx recipe: ``bench_catchments.recipe`` (nearest node, ``ego_graph`` per point and
  threshold, 50 m buffers, unions).

infra_geo and networkx: medians of INFRA_GEO_BENCH_RUNS interleaved runs after a warm-up
(default 3 here); the osmnx recipe runs INFRA_GEO_BENCH_OSMNX_RUNS times (default 1, no
warm-up).

Run: ``.venv/bin/python benchmarks/bench_heidelberg.py``
"""

from __future__ import annotations

import os

import numpy as np
from _common import max_rss_mb, md_table, quiet, report, rounds
from _scale import HEIDELBERG, clear_read_cache, drop_engine_cache, given_points, need
from bench_catchments import recipe
from bench_distances import compare, nx_distances, nx_graph

import infra_geo as ig
from infra_geo.accessibility import attach_facilities

RUNS = int(os.environ.get("INFRA_GEO_BENCH_RUNS", "3"))
OSMNX_RUNS = int(os.environ.get("INFRA_GEO_BENCH_OSMNX_RUNS", "1"))
N_POINTS = int(os.environ.get("INFRA_GEO_BENCH_POINTS", "200"))
MINUTES = (5, 10, 15)


def main() -> None:
    quiet()
    path = str(need(HEIDELBERG))
    keys = tuple(c.key for c in ig.COMPONENTS)
    net = ig.walk_network_from_file(path)
    pts = given_points(net, N_POINTS)
    att = attach_facilities(net, pts)

    def build(clock):
        clear_read_cache()
        return ig.walk_network_from_file(path)

    def cold_catchments(clock):
        drop_engine_cache(net)  # as inside analyse: no cached buffers
        return ig.catchments(net, pts, minutes=MINUTES)

    def run_nx(clock):
        with clock("graph"):
            G = nx_graph(net, att)
        with clock("search"):
            return nx_distances(G, net, att, keys)

    med, last = rounds(
        {
            "build": build,
            "distance_to_nearest": lambda clock: ig.distance_to_nearest(net, pts),
            "nearest_facilities": lambda clock: ig.nearest_facilities(net, pts, minutes=MINUTES),
            "catchments": cold_catchments,
            "warm": lambda clock: ig.catchments(net, pts, minutes=MINUTES),
            "networkx": run_nx,
        },
        runs=RUNS,
    )
    assert last["build"].n_nodes == net.n_nodes
    _, nx_max, nx_reach = compare(last["distance_to_nearest"], last["networkx"])
    med_rc, last_rc = rounds({"recipe": lambda clock: recipe(net, pts, keys, clock)}, OSMNX_RUNS, 0)
    t_d, t_c = med["distance_to_nearest"]["total"], med["catchments"]["total"]
    rc = med_rc["recipe"]
    ours = last["catchments"].set_index(["component", "minutes"])["area_m2"]
    diffs = [
        (float(g.area) - float(ours[key])) / float(ours[key])
        for key, g in last_rc["recipe"].items()
        if float(ours[key]) > 0
    ]
    rows = [
        ["infra_geo: network build (read included)", med["build"]["total"], "", ""],
        ["infra_geo: distance_to_nearest (attach + 8 searches)", t_d, 1.0, "reference"],
        [
            "networkx: 8 multi-source Dijkstra",
            med["networkx"]["search"],
            med["networkx"]["search"] / t_d,
            f"max abs diff {nx_max:.1e} m, {nx_reach} reach mismatches",
        ],
        ["networkx: + graph prep", med["networkx"]["total"], med["networkx"]["total"] / t_d, ""],
        [
            "infra_geo: nearest_facilities (+ counts within 5/10/15 min)",
            med["nearest_facilities"]["total"],
            "",
            "",
        ],
        ["infra_geo: catchments 8 x 3, cold (as inside analyse)", t_c, 1.0, "reference"],
        [
            "infra_geo: catchments 8 x 3, warm (buffers cached on the network)",
            med["warm"]["total"],
            med["warm"]["total"] / t_c,
            "",
        ],
        [
            "osmnx recipe: ego graphs + buffers + unions",
            rc["catchments"],
            rc["catchments"] / t_c,
            f"areas {np.median(diffs):+.0%} median vs infra_geo "
            f"(range {min(diffs):+.0%} .. {max(diffs):+.0%})",
        ],
        ["osmnx recipe: + prep (to_networkx, nearest_nodes)", rc["total"], rc["total"] / t_c, ""],
    ]
    body = (
        f"{HEIDELBERG.name}: {net!r}; {N_POINTS} given points on the network (8 components "
        f"round-robin), {len(att.facility)} access points. infra_geo and networkx: medians of "
        f"{RUNS} interleaved runs after a warm-up; osmnx recipe: {OSMNX_RUNS} run(s). Peak "
        f"memory of the process (ru_maxrss): {max_rss_mb():.0f} MiB.\n\n"
        + md_table(["what", "median s", "x reference", "check"], rows)
    )
    report(
        "heidelberg", "Heidelberg: network build, distances and catchments from given points", body
    )


if __name__ == "__main__":
    main()
