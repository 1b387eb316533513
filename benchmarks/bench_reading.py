"""Reading Malta: infra_geo's reader against a bare pyosmium pass, pyrosm and osmnx.

Cases, each run in a fresh interpreter (imports done before the clock starts; the time is
the read alone; memory = ``ru_maxrss`` of the process and the RSS growth during the read):

* ``infra_geo``: ``ig.facilities_from_file`` + ``ig.walk_network_from_file`` (one cached
  read of the file serves both, as in ``analyse``).
* ``pyosmium bare``: one ``osmium.FileProcessor`` pass over every object, counting them.
* ``pyosmium KeyFilter``: the same with a C++ ``KeyFilter`` on the keys infra_geo reads.
* ``pyrosm``: ``OSM(path).get_network("walking", nodes=True)`` + ``get_pois()`` (its default
  filter: amenity, shop, tourism).
* ``osmnx``: ``ox.graph_from_xml`` + ``ox.features_from_xml(tags={key: True for infra_geo's
  keys})`` on OSM XML of the same data, written once into a temporary folder with pyosmium
  (not kept). ``graph_from_xml`` makes a network of every way it is given (building outlines
  included, see ``../shared/data/README.md``), so it gets an XML with only the ``highway=*``
  ways and their nodes: its best case. ``features_from_xml`` gets the full XML. The XML
  writing is not timed.

The cases are interleaved round by round (noise hits all alike); medians. osmnx is slow, so
it runs only INFRA_GEO_BENCH_OSMNX_RUNS times (default 1).

Run: ``.venv/bin/python benchmarks/bench_reading.py`` (INFRA_GEO_BENCH_READ_RUNS=3).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import max_rss_mb, md_table, quiet, report, run_fresh, silenced
from _scale import MALTA, bare_pass, feature_keys, need

RUNS = int(os.environ.get("INFRA_GEO_BENCH_READ_RUNS", "3"))
OSMNX_RUNS = int(os.environ.get("INFRA_GEO_BENCH_OSMNX_RUNS", "1"))
CASES = ("infra_geo", "bare", "keyfilter", "pyrosm", "osmnx")
LABELS = {
    "infra_geo": "infra_geo: facilities_from_file + walk_network_from_file",
    "bare": "pyosmium: bare pass over every object",
    "keyfilter": "pyosmium: pass with KeyFilter on infra_geo's keys",
    "pyrosm": "pyrosm: get_network('walking') + get_pois()",
    "osmnx": "osmnx: graph_from_xml (highway XML) + features_from_xml (full XML)",
}


def write_xml(pbf: Path, out_dir: Path) -> tuple[Path, Path]:
    """The full OSM XML and one with only the highway=* ways and their nodes, via pyosmium."""
    import osmium

    full, roads = out_dir / "full.osm", out_dir / "highways.osm"
    used = {
        n.ref
        for w in osmium.FileProcessor(str(pbf), osmium.osm.WAY)
        if "highway" in w.tags
        for n in w.nodes
    }
    w_full, w_roads = osmium.SimpleWriter(str(full)), osmium.SimpleWriter(str(roads))
    try:
        for obj in osmium.FileProcessor(str(pbf)):
            w_full.add(obj)
            if (obj.is_node() and obj.id in used) or (obj.is_way() and "highway" in obj.tags):
                w_roads.add(obj)
    finally:
        w_full.close()
        w_roads.close()
    return full, roads


def child(case: str, pbf: str, full_xml: str, roads_xml: str) -> None:
    import psutil

    quiet()
    import infra_geo as ig

    keys = feature_keys()
    if case == "pyrosm":
        import pyrosm
    if case == "osmnx":
        import osmnx as ox
    rss0 = psutil.Process().memory_info().rss / 2**20
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    if case == "infra_geo":
        fac = ig.facilities_from_file(pbf)
        net = ig.walk_network_from_file(pbf)
        counts = {"facilities": len(fac), "nodes": net.n_nodes, "edges": net.n_edges}
    elif case == "bare":
        counts = {"objects": bare_pass(Path(pbf))[1]}
    elif case == "keyfilter":
        counts = {"objects": bare_pass(Path(pbf), keys)[1]}
    elif case == "pyrosm":
        with silenced():
            osm = pyrosm.OSM(pbf)
            nodes, edges = osm.get_network(network_type="walking", nodes=True)
            pois = osm.get_pois()
        counts = {"facilities": len(pois), "nodes": len(nodes), "edges": len(edges)}
    elif case == "osmnx":
        G = ox.graph_from_xml(roads_xml, retain_all=True)
        feats = ox.features_from_xml(full_xml, tags={k: True for k in keys if k != "highway"})
        counts = {
            "facilities": len(feats),
            "nodes": G.number_of_nodes(),
            "edges": G.number_of_edges(),
        }
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {"s": seconds, "peak_mb": max_rss_mb(), "grow_mb": max_rss_mb() - rss0, **counts}
        )
    )


def main() -> None:
    pbf = need(MALTA)
    samples: dict[str, list[dict]] = {c: [] for c in CASES}
    with tempfile.TemporaryDirectory(prefix="bench_reading_") as tmp:
        t0 = time.perf_counter()
        full, roads = write_xml(pbf, Path(tmp))
        t_xml = time.perf_counter() - t0
        xml_mb = full.stat().st_size / 1e6, roads.stat().st_size / 1e6
        for r in range(RUNS):
            for c in CASES:
                if c == "osmnx" and r >= OSMNX_RUNS:
                    continue
                samples[c].append(
                    run_fresh(Path(__file__), c, str(pbf), str(full), str(roads), timeout=3600)
                )
    med = {c: statistics.median(x["s"] for x in v) for c, v in samples.items()}
    t_ig, t_bare = med["infra_geo"], med["bare"]
    rows = []
    for c in CASES:
        last = samples[c][-1]
        what = ", ".join(
            f"{k} {v:,}" for k, v in last.items() if k not in ("s", "peak_mb", "grow_mb")
        )
        rows.append(
            [
                LABELS[c],
                len(samples[c]),
                med[c],
                med[c] / t_bare,
                med[c] / t_ig,
                statistics.median(x["grow_mb"] for x in samples[c]),
                statistics.median(x["peak_mb"] for x in samples[c]),
                what,
            ]
        )
    r_bare, r_pyrosm = t_ig / t_bare, med["pyrosm"] / t_ig
    body = (
        f"{pbf.name} ({pbf.stat().st_size / 1e6:.1f} MB PBF; XML written once for osmnx in "
        f"{t_xml:.0f} s: {xml_mb[0]:.0f} MB full, {xml_mb[1]:.0f} MB highways only). Each run "
        "a fresh interpreter, imports not timed; cases interleaved round by round; medians "
        "over the runs shown. Memory MiB: RSS growth during the read, and ru_maxrss of the "
        "process (imports included).\n\n"
        + md_table(
            [
                "reader",
                "runs",
                "median s",
                "x bare pass",
                "x infra_geo",
                "read MiB",
                "peak MiB",
                "result",
            ],
            rows,
        )
        + f"\n\nTargets: infra_geo's read within 3x of a bare pass: "
        f"{'met' if r_bare <= 3 else 'MISSED'} ({r_bare:.1f}x); faster than pyrosm: "
        f"{'met' if r_pyrosm > 1 else 'MISSED'} (pyrosm takes {r_pyrosm:.2f}x infra_geo's time). "
        f"osmnx takes {med['osmnx'] / t_ig:.1f}x. The results differ in what they hold (pyrosm "
        "and osmnx keep raw OSM objects with other filters; infra_geo classifies facilities "
        "into components and splits ways at intersections), so the counts are context, not a "
        "check."
    )
    report("reading", "Reading Malta: infra_geo vs bare pyosmium, pyrosm, osmnx", body)


if __name__ == "__main__":
    if "--child" in sys.argv:
        a = sys.argv[sys.argv.index("--child") + 1 :]
        child(*a)
    else:
        main()
