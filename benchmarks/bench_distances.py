"""Nearest facility of all eight components from every network node: infra_geo vs peers.

* infra_geo: ``ig.distance_to_nearest(net, fac)`` -- attaching the facilities to the network
  *and* the eight multi-source searches are timed (the network build is reported apart).
* networkx: ``nx.multi_source_dijkstra_path_length`` on ``net.to_networkx()`` made directed,
  plus one virtual node per facility with arcs *out of it* to the ends of the edges its
  access points lie on (the same virtual sources infra_geo uses, from
  ``ig.attach_facilities``, computed once and not timed). One call per component. The graph
  preparation is timed apart ("graph") and is not in the ratio.
* pandana: ``pandana.Network`` built from ``net.nodes`` / ``net.edges`` (x, y, u, v, length),
  ``set_pois`` per component and ``nearest_pois(distance=100 km, num_pois=1)``. POIs: a
  point facility is its own point; an area facility is all its access points (the points on
  the street where infra_geo attaches it). pandana snaps every POI to the nearest *node*, so
  its distances are approximate. The contraction-hierarchy build is reported apart and
  included.

Run: ``.venv/bin/python benchmarks/bench_distances.py`` (INFRA_GEO_BENCH_RUNS=5 by default).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from _common import RUNS, load, md_table, quiet, report, rounds, silenced

import infra_geo as ig
from infra_geo.accessibility import attach_facilities

FAR = 100_000.0  # "large" search distance for pandana, metres (the country is ~25 km long)


def nx_graph(net, att) -> nx.MultiDiGraph:
    """Directed copy of the network plus one virtual source node per attached facility."""
    G = net.to_networkx().to_directed()
    ids = net.node_ids
    e = att.edge
    for f, u, v, a, rest in zip(
        att.facility.tolist(),
        ids[net.edge_u[e]].tolist(),
        ids[net.edge_v[e]].tolist(),
        att.offset.tolist(),
        (net.edge_length[e] - att.offset).tolist(),
        strict=True,
    ):
        G.add_edge(("facility", f), u, length=a)
        G.add_edge(("facility", f), v, length=rest)
    return G


def nx_distances(G, net, att, keys) -> pd.DataFrame:
    out = {}
    for k in keys:
        j = att.components.index(k)
        src = [("facility", int(f)) for f in np.flatnonzero(att.members[:, j] & att.snapped)]
        d = nx.multi_source_dijkstra_path_length(G, src, weight="length") if src else {}
        out[k] = np.array([d.get(n, np.inf) for n in net.node_ids.tolist()])
    return pd.DataFrame(out)


def pandana_pois(net, fac, att) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per component the POI coordinates given to pandana (see the module docstring)."""
    geoms = fac.geometry.to_crs(net.crs).to_numpy()
    is_point = shapely.get_type_id(geoms) == 0
    access = shapely.get_coordinates(
        shapely.line_interpolate_point(net.edge_geometry[att.edge], att.offset)
    )
    pois = {}
    for k in att.components:
        j = att.components.index(k)
        use = att.members[:, j] & att.snapped
        pts = shapely.get_coordinates(geoms[use & is_point])
        areas = np.flatnonzero(use & ~is_point)
        xy = np.vstack([pts, access[np.isin(att.facility, areas)]])
        pois[k] = (xy[:, 0], xy[:, 1])
    return pois


def pandana_run(net, pois, clock) -> pd.DataFrame:
    import pandana

    # edges["u"], ["v"] are node positions; net.nodes is indexed by node id: pandana joins
    # the two by index, so give it the positions
    nodes = net.nodes.reset_index(drop=True)
    edges = net.edges
    with silenced(), clock("ch_build"):
        pnet = pandana.Network(
            nodes["x"], nodes["y"], edges["u"], edges["v"], edges[["length"]], twoway=True
        )
    out = {}
    with silenced(), clock("query"):
        for k, (x, y) in pois.items():
            if len(x) == 0:
                out[k] = np.full(net.n_nodes, np.inf)
                continue
            pnet.set_pois(k, FAR, 1, pd.Series(x), pd.Series(y))
            d = pnet.nearest_pois(FAR, k, num_pois=1)[1].to_numpy(dtype=float)
            out[k] = np.where(d >= FAR, np.inf, d)
    return pd.DataFrame(out)


def compare(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float, int]:
    """(median, max) |a - b| where both are finite, and nodes reachable in one only."""
    a, b = a.to_numpy(), b[a.columns].to_numpy()
    both = np.isfinite(a) & np.isfinite(b)
    diff = np.abs(a - b)[both]
    return float(np.median(diff)), float(diff.max()), int((np.isfinite(a) != np.isfinite(b)).sum())


def main() -> None:
    quiet()
    net, fac, t_build = load()
    keys = tuple(c.key for c in ig.COMPONENTS)
    att = attach_facilities(net, fac)
    pois = pandana_pois(net, fac, att)

    def run_ig(clock):
        return ig.distance_to_nearest(net, fac)

    def run_nx(clock):
        with clock("graph"):
            G = nx_graph(net, att)
        with clock("search"):
            return nx_distances(G, net, att, keys)

    def run_pd(clock):
        return pandana_run(net, pois, clock)

    med, last = rounds({"infra_geo": run_ig, "networkx": run_nx, "pandana": run_pd})
    d_ig, d_nx, d_pd = last["infra_geo"], last["networkx"], last["pandana"]
    _, nx_max, nx_reach = compare(d_ig, d_nx)
    pd_med, pd_max, pd_reach = compare(d_ig, d_pd)
    assert nx_max <= 1e-6 and nx_reach == 0, f"networkx disagrees: max {nx_max}, {nx_reach}"
    t_ig = med["infra_geo"]["total"]
    rows = [
        ["infra_geo: attach + 8 searches", t_ig, 1.0, "reference"],
        [
            "networkx: 8 searches",
            med["networkx"]["search"],
            med["networkx"]["search"] / t_ig,
            f"max abs diff {nx_max:.1e} m (exact)",
        ],
        ["networkx: + graph prep", med["networkx"]["total"], med["networkx"]["total"] / t_ig, ""],
        ["pandana: CH build", med["pandana"]["ch_build"], med["pandana"]["ch_build"] / t_ig, ""],
        [
            "pandana: set_pois + nearest_pois",
            med["pandana"]["query"],
            med["pandana"]["query"] / t_ig,
            f"abs diff median {pd_med:.1f} m, max {pd_max:.0f} m; {pd_reach} reach mismatches",
        ],
        ["pandana: build included", med["pandana"]["total"], med["pandana"]["total"] / t_ig, ""],
    ]
    body = (
        f"{net!r}; {len(fac)} facilities, {len(att.facility)} access points; network + "
        f"facilities build {t_build:.2f} s (not in the figures). Medians of {RUNS} interleaved "
        f"runs after one warm-up.\n\n"
        + md_table(["what", "median s", "x infra_geo time", "check"], rows)
    )
    report("distances", "Nearest facility per component from every node", body)


if __name__ == "__main__":
    main()
