"""5/10/15-minute catchments per component: infra_geo vs the usual osmnx recipe.

* infra_geo: ``ig.catchments(net, fac)`` (attach + searches + street-front unions).
* recipe (as in the osmnx isochrone examples): for every facility, its nearest network node
  by ``ox.distance.nearest_nodes`` (areas: their representative point), then per threshold
  ``nx.ego_graph(G, node, radius=metres, distance="length")`` on ``net.to_networkx()``, the
  ego graph's edges (``ox.graph_to_gdfs``) buffered by the same 50 m and unioned; the
  facility polygons are unioned per component and threshold. Building the networkx graph and
  the nearest-node lookup are timed apart ("prep").

Areas differ on purpose: the recipe keeps only edges whose both ends are reachable (no
partial edges, so every catchment is smaller), reaches a park or school ground at one node
near its representative point instead of along its boundary, ignores where on its edge a
point facility lies, and buffers with 8 segments per quarter circle instead of 3.

Run: ``.venv/bin/python benchmarks/bench_catchments.py [component ...]`` (default: all
eight components; INFRA_GEO_BENCH_RUNS runs, default 5).
"""

from __future__ import annotations

import sys

import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from _common import RUNS, load, md_table, quiet, report, rounds

import infra_geo as ig
from infra_geo._catchment_geometry import _union_buffer
from infra_geo.accessibility import attach_facilities, metres_per_minute

MINUTES = (5, 10, 15)


def recipe(net, fac, keys, clock):
    with clock("prep"):
        G = net.to_networkx()
        pts = fac.geometry.to_crs(net.crs).representative_point()
        near = np.asarray(ox.distance.nearest_nodes(G, X=pts.x.to_numpy(), Y=pts.y.to_numpy()))
        att = attach_facilities(net, fac)  # only to use the same facilities (memberships, snapped)
    mpm = metres_per_minute(ig.settings.walk_speed_kmh)
    width = ig.settings.catchment_buffer_m
    out = {}
    with clock("catchments"):
        for k in keys:
            j = att.components.index(k)
            nodes = near[att.members[:, j] & att.snapped]
            for m in MINUTES:
                polys = []
                for node in nodes:
                    ego = nx.ego_graph(G, node, radius=m * mpm, distance="length")
                    if ego.number_of_edges() == 0:
                        continue
                    edges = ox.graph_to_gdfs(ego, nodes=False)
                    polys.append(edges.buffer(width).union_all())
                out[(k, m)] = shapely.union_all(polys) if polys else shapely.Polygon()
    return out


def whole_edges_only(net, fac, keys) -> dict[tuple[str, int], float]:
    """Areas with infra_geo's sources but, like the recipe, only edges with both ends in reach.

    The gap between this and ``ig.catchments`` is what the partial edges add; the gap between
    this and the recipe is what reaching areas along their boundary (and points on their
    edge) adds.
    """
    eng = ig.Access(net, fac)
    res = eng.node_distances(keys)
    mpm = metres_per_minute(ig.settings.walk_speed_kmh)
    out = {}
    for k in keys:
        d = res[k][0]
        reach = np.maximum(d[net.edge_u], d[net.edge_v])
        for m in MINUTES:
            if len(eng.attachments.sources(k)) == 0:
                out[(k, m)] = 0.0
                continue
            pieces = net.edge_geometry[reach <= m * mpm]
            out[(k, m)] = _union_buffer(pieces, ig.settings.catchment_buffer_m).area
    return out


def main(keys: tuple[str, ...]) -> None:
    quiet()
    net, fac, _ = load()
    med, last = rounds(
        {
            "infra_geo": lambda clock: ig.catchments(net, fac, minutes=MINUTES, component=keys),
            "recipe": lambda clock: recipe(net, fac, keys, clock),
        }
    )
    ours = last["infra_geo"].set_index(["component", "minutes"])["area_m2"]
    whole = whole_edges_only(net, fac, keys)
    rows = []
    for (k, m), g in last["recipe"].items():
        a_ig, a_rc, a_wh = float(ours[(k, m)]), float(g.area), whole[(k, m)]
        rel = (a_rc - a_ig) / a_ig if a_ig > 0 else float("nan")
        rel_wh = (a_wh - a_ig) / a_ig if a_ig > 0 else float("nan")
        rows.append([k, m, a_ig / 1e6, a_rc / 1e6, f"{rel:+.1%}", f"{rel_wh:+.1%}"])
    t_ig = med["infra_geo"]["total"]
    timing = [
        ["infra_geo: ig.catchments", t_ig, 1.0],
        [
            "recipe: ego graphs + buffers + unions",
            med["recipe"]["catchments"],
            med["recipe"]["catchments"] / t_ig,
        ],
        [
            "recipe: + prep (to_networkx, nearest_nodes)",
            med["recipe"]["total"],
            med["recipe"]["total"] / t_ig,
        ],
    ]
    which = "all eight components" if len(keys) == 8 else "components " + ", ".join(keys)
    body = (
        f"{net!r}; {len(fac)} facilities; {which}, {MINUTES} minutes at "
        f"{ig.settings.walk_speed_kmh} km/h, 50 m street front. Medians of {RUNS} interleaved "
        "runs after one warm-up.\n\n"
        + md_table(["what", "median s", "x infra_geo time"], timing)
        + "\n\nArea per component and threshold (km²); relative difference vs infra_geo "
        "of the recipe, and of infra_geo's own sources with whole edges only (the part of "
        "the difference due to partial edges; the rest is due to where facilities, above all "
        "areas, meet the network):\n\n"
        + md_table(
            [
                "component",
                "minutes",
                "infra_geo km²",
                "recipe km²",
                "recipe diff",
                "whole edges only diff",
            ],
            rows,
        )
    )
    report("catchments", "Catchments: infra_geo vs the osmnx ego-graph recipe", body)


if __name__ == "__main__":
    all_keys = tuple(c.key for c in ig.COMPONENTS)
    main(tuple(sys.argv[1:]) or all_keys)
