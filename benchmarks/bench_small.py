"""Small areas: nearest distance + counts on Amsterdam-Centrum, build included, vs pandana.

Fixed per-call costs dominate small areas, and scenario studies call this many times. Both
sides start from the same arrays (nodes, edges, lengths of infra_geo's network of
``amsterdam/amsterdam-centrum.osm.pbf``) and the same facilities:

* infra_geo, build included: ``WalkNetwork(node_ids, node_xy, edge_u, edge_v, geometry,
  crs)`` (the CSR graph) + ``ig.nearest_facilities(net, fac)``: per node and component the
  distance to the nearest facility and the number within 5/10/15 min (attaching included).
* pandana, build included: ``pandana.Network`` (contraction hierarchies) + per component
  ``set_pois`` + ``nearest_pois(num_pois=1)`` for the nearest distance, and the POIs'
  nearest nodes ``set`` as a variable and ``aggregate(type="count", decay="flat")`` per
  threshold for the counts within 5/10/15 min (pandana's own count within a distance). POIs as in
  ``bench_distances.py``: a point facility is its point, an area facility all its access
  points (pandana counts POIs, not facilities, and snaps them to the nearest node).

Also shown: the nearest distance alone (no counts) on both sides, build included
(``WalkNetwork`` + ``ig.distance_to_nearest`` against pandana without the counts), and
infra_geo's network from the file (read cache cleared, so reading included).
Medians of INFRA_GEO_BENCH_SMALL_RUNS interleaved runs after a warm-up (default 20).

Run: ``.venv/bin/python benchmarks/bench_small.py``
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from _common import load, md_table, quiet, report, rounds, silenced
from _scale import AMSTERDAM, clear_read_cache, need
from bench_distances import FAR, pandana_pois

import infra_geo as ig
from infra_geo import WalkNetwork
from infra_geo.accessibility import attach_facilities, metres_per_minute

RUNS = int(os.environ.get("INFRA_GEO_BENCH_SMALL_RUNS", "20"))
MINUTES = (5, 10, 15)


def pandana_job(net, pois, clock, counts: bool = True) -> pd.DataFrame:
    import pandana

    mpm = metres_per_minute(ig.settings.walk_speed_kmh)
    nodes, edges = net.nodes, net.edges
    with silenced(), clock("build"):
        pnet = pandana.Network(
            nodes["x"], nodes["y"], edges["u"], edges["v"], edges[["length"]], twoway=True
        )
    out = {}
    with silenced(), clock("query"):
        for k, (x, y) in pois.items():
            if len(x) == 0:
                out[f"{k}_m"] = np.full(net.n_nodes, np.inf)
                for m in MINUTES:
                    out[f"{k}_n_{m}min"] = np.zeros(net.n_nodes, dtype=int)
                continue
            pnet.set_pois(k, FAR, 1, pd.Series(x), pd.Series(y))
            d = pnet.nearest_pois(FAR, k, num_pois=1)[1].to_numpy(dtype=float)
            out[f"{k}_m"] = np.where(d >= FAR, np.inf, d)
            if not counts:
                continue
            pnet.set(pnet.get_node_ids(pd.Series(x), pd.Series(y)), name=k)
            for m in MINUTES:
                out[f"{k}_n_{m}min"] = pnet.aggregate(
                    m * mpm, type="count", decay="flat", name=k
                ).to_numpy()
    return pd.DataFrame(out)


def main() -> None:
    quiet()
    path = str(need(AMSTERDAM))
    net, fac, _ = load(path)
    att = attach_facilities(net, fac)
    pois = pandana_pois(net, fac, att)
    arrays = (net.node_ids, net.node_xy, net.edge_u, net.edge_v, net.edge_geometry, net.crs)

    def ig_built(clock):
        with clock("build"):
            n2 = WalkNetwork(*arrays, edge_data=net.edge_data)
        with clock("query"):
            return ig.nearest_facilities(n2, fac, minutes=MINUTES)

    def ig_nearest(clock):
        n2 = WalkNetwork(*arrays, edge_data=net.edge_data)
        return ig.distance_to_nearest(n2, fac)

    def ig_file(clock):
        clear_read_cache()
        return ig.walk_network_from_file(path)

    med, last = rounds(
        {
            "infra_geo": ig_built,
            "pandana": lambda clock: pandana_job(net, pois, clock),
            "ig_nearest": ig_nearest,
            "pd_nearest": lambda clock: pandana_job(net, pois, clock, counts=False),
            "from_file": ig_file,
        },
        runs=RUNS,
    )
    ours, theirs = last["infra_geo"], last["pandana"]
    keys = [c.key for c in ig.COMPONENTS]
    a = ours[[f"{k}_m" for k in keys]].to_numpy(dtype=float)
    b = theirs[[f"{k}_m" for k in keys]].to_numpy(dtype=float)
    both = np.isfinite(a) & np.isfinite(b)
    diff = np.abs(a - b)[both]
    t_ig, t_pd = med["infra_geo"]["total"], med["pandana"]["total"]
    rows = [
        ["infra_geo: WalkNetwork from arrays + nearest_facilities", t_ig, 1.0, ""],
        ["  of which WalkNetwork build", med["infra_geo"]["build"], "", ""],
        [
            "  of which nearest_facilities (attach + searches + counts)",
            med["infra_geo"]["query"],
            "",
            "",
        ],
        [
            "pandana: Network build + set_pois + nearest_pois (distance + counts)",
            t_pd,
            t_pd / t_ig,
            f"nearest distance vs infra_geo: median {np.median(diff):.1f} m, max {diff.max():.0f} m",
        ],
        ["  of which contraction-hierarchy build", med["pandana"]["build"], "", ""],
        ["  of which set_pois + nearest_pois", med["pandana"]["query"], "", ""],
        [
            "nearest distance only: infra_geo WalkNetwork + distance_to_nearest",
            med["ig_nearest"]["total"],
            1.0,
            "",
        ],
        [
            "nearest distance only: pandana build + set_pois + nearest_pois(num_pois=1)",
            med["pd_nearest"]["total"],
            med["pd_nearest"]["total"] / med["ig_nearest"]["total"],
            "",
        ],
        [
            "(context) infra_geo: walk_network_from_file, read included",
            med["from_file"]["total"],
            "",
            "",
        ],
    ]
    verdict = "met" if t_ig <= t_pd else "MISSED"
    body = (
        f"{AMSTERDAM.name}: {net!r}; {len(fac)} facilities, {len(att.facility)} access points; "
        f"{MINUTES} min. Medians of {RUNS} interleaved runs after a warm-up.\n\n"
        + md_table(["what", "median s", "x infra_geo", "check"], rows)
        + f"\n\nTarget (infra_geo, build included, no slower than pandana with its build): "
        f"{verdict}: pandana takes {t_pd / t_ig:.2f}x infra_geo's time "
        f"({'pandana faster' if t_pd < t_ig else 'infra_geo faster'}). Nearest distance "
        f"alone: pandana takes {med['pd_nearest']['total'] / med['ig_nearest']['total']:.2f}x."
    )
    report("small", "Small area: Amsterdam-Centrum nearest distance + counts vs pandana", body)


if __name__ == "__main__":
    main()
