"""Growth curve from a small country to four Maltas: whole-job time and peak memory.

Cases, each in a fresh interpreter (INFRA_GEO_BENCH_GROWTH_RUNS runs, default 1):

* Liechtenstein, Malta and **Malta tiled 4x**: the whole job, ``ig.analyse(osm_file,
  neighbourhoods="hex:1000")`` + ``save``. Malta 4x is a real OSM file written once into a
  temporary folder with pyosmium: four copies of every node, way and relation of Malta,
  shifted 2x2 by the width/height of its header box (Geofabrik's bbox, the area analyse
  takes as complete; the tiled file's header box is the union of the four), ids offset by
  k * 10^10 per copy (nodes first, then ways, then relations, as a PBF wants). The copies are
  not joined (Malta is islands already), so the job is exactly four Maltas, hex grid included.
* Heidelberg (network-only, few facilities): the "core" stages only, with 200 given points
  as sources (``_scale.given_points``, as in ``bench_heidelberg.py``).

Two measures: **job** = analyse + save (not for Heidelberg); **core** = reading + network
build + ``nearest_facilities`` + ``catchments`` (for the analyse cases: the ``facilities``,
``network``, ``distances`` and ``catchments`` stages of the same run; for Heidelberg those
calls with the given points). The growth exponent is the least-squares slope of log(time)
over log(network nodes); n log n has a local slope of about 1.1 here.

Run: ``.venv/bin/python benchmarks/bench_growth.py`` (about 10 min on the current code).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import max_rss_mb, md_table, median_of, quiet, report, run_fresh
from _scale import HEIDELBERG, LIECHTENSTEIN, MALTA, given_points, need

RUNS = int(os.environ.get("INFRA_GEO_BENCH_GROWTH_RUNS", "1"))
CORE = ("facilities", "network", "distances", "catchments")
ID_STEP = 10**10


def tile_osm(src: Path, out: Path, t: int = 2) -> Path:
    """Write ``t`` x ``t`` shifted copies of every object of ``src`` to the PBF ``out``."""
    import osmium

    # tile by the file's header box (where the data is complete, which is what analyse
    # takes as the area, so the hex grid is exactly t * t times Malta's); the tiled file
    # gets the union of the shifted boxes as its header box
    reader = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING)
    box = reader.header().box()
    reader.close()
    west, south = box.bottom_left.lon, box.bottom_left.lat
    w, h = box.top_right.lon - west, box.top_right.lat - south
    offs = [(i * w, j * h) for j in range(t) for i in range(t)]
    header = osmium.io.Header()
    header.add_box(
        osmium.osm.Box(
            osmium.osm.Location(west, south), osmium.osm.Location(west + t * w, south + t * h)
        )
    )
    writer = osmium.SimpleWriter(str(out), header=header)
    try:
        for kind in (osmium.osm.NODE, osmium.osm.WAY, osmium.osm.RELATION):
            for k, (dx, dy) in enumerate(offs):
                add = k * ID_STEP
                for o in osmium.FileProcessor(str(src), kind):
                    if o.is_node():
                        loc = osmium.osm.Location(o.location.lon + dx, o.location.lat + dy)
                        writer.add_node(o.replace(id=o.id + add, location=loc))
                    elif o.is_way():
                        writer.add_way(
                            o.replace(id=o.id + add, nodes=[r.ref + add for r in o.nodes])
                        )
                    else:
                        members = [(m.type, m.ref + add, m.role) for m in o.members]
                        writer.add_relation(o.replace(id=o.id + add, members=members))
    finally:
        writer.close()
    return out


def child(case: str, osm: str) -> None:
    t0 = time.perf_counter()
    import infra_geo as ig

    quiet()
    t_import = time.perf_counter() - t0
    out: dict[str, float] = {"import_s": t_import}
    if case == "heidelberg":
        t1 = time.perf_counter()
        net = ig.walk_network_from_file(osm)
        fac = ig.facilities_from_file(osm)
        t_build = time.perf_counter() - t1
        pts = given_points(net, 200)
        t2 = time.perf_counter()
        ig.nearest_facilities(net, pts)
        t_dist = time.perf_counter() - t2
        t3 = time.perf_counter()
        ig.catchments(net, pts)
        t_catch = time.perf_counter() - t3
        out.update(
            read_build_s=t_build,
            distances_s=t_dist,
            catchments_s=t_catch,
            core_s=t_build + t_dist + t_catch,
            nodes=net.n_nodes,
            facilities=len(fac),
        )
    else:
        t1 = time.perf_counter()
        res = ig.analyse(osm_file=osm, neighbourhoods="hex:1000")
        t_analyse = time.perf_counter() - t1
        with tempfile.TemporaryDirectory() as tmp:
            t2 = time.perf_counter()
            files = res.save(tmp)
            t_save = time.perf_counter() - t2
            out["map_mb"] = files["map.html"].stat().st_size / 1e6
        tm = res.timings
        out.update(
            read_build_s=tm["facilities"] + tm["network"],
            distances_s=tm["distances"],
            catchments_s=tm["catchments"],
            core_s=sum(tm[s] for s in CORE),
            job_s=t_analyse + t_save,
            nodes=res.network.n_nodes,
            facilities=len(res.facilities),
            units=len(res.gaps),
        )
    out["peak_mb"] = max_rss_mb()
    print(json.dumps(out))


def slope(n, y) -> float:
    return float(np.polyfit(np.log(n), np.log(y), 1)[0])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_growth_") as tmp:
        t0 = time.perf_counter()
        malta4 = tile_osm(need(MALTA), Path(tmp) / "malta-4x.osm.pbf")
        t_tile = time.perf_counter() - t0
        cases = {
            "Liechtenstein": ("whole", need(LIECHTENSTEIN)),
            "Malta": ("whole", MALTA),
            "Heidelberg": ("heidelberg", need(HEIDELBERG)),
            "Malta 4x": ("whole", malta4),
        }
        runs: dict[str, list[dict]] = {c: [] for c in cases}
        for _ in range(RUNS):
            for name, (kind, path) in cases.items():
                runs[name].append(run_fresh(Path(__file__), kind, str(path), timeout=3600))
    res = {name: median_of(r) for name, r in runs.items()}
    rows = [
        [
            name,
            int(r["nodes"]),
            int(r["facilities"]),
            r["read_build_s"],
            r["distances_s"],
            r["catchments_s"],
            r["core_s"],
            r.get("job_s", float("nan")),
            r["peak_mb"],
            r.get("map_mb", float("nan")),
        ]
        for name, r in res.items()
    ]
    whole = [c for c in cases if cases[c][0] == "whole"]
    ordered = sorted(res, key=lambda c: res[c]["nodes"])
    n_all = np.array([res[c]["nodes"] for c in ordered], dtype=float)
    n_whole = np.array([res[c]["nodes"] for c in whole], dtype=float)
    fit_job = slope(n_whole, [res[c]["job_s"] for c in whole])
    fit_core = slope(n_all, [res[c]["core_s"] for c in ordered])
    fit_mem = slope(n_whole, [res[c]["peak_mb"] for c in whole])
    fit_parts = {
        s: slope(n_all, [res[c][f"{s}_s"] for c in ordered])
        for s in ("read_build", "distances", "catchments")
    }
    nlogn = slope(n_all, n_all * np.log(n_all))
    job_l, job_m4 = res["Liechtenstein"]["job_s"], res["Malta 4x"]["job_s"]
    body = (
        f"Fresh interpreter per case, {RUNS} run(s) each (median); Malta 4x written in "
        f"{t_tile:.0f} s (not timed in the job). Seconds; peak = ru_maxrss MiB; nodes = "
        "network nodes after splitting at intersections. job = analyse(hex:1000) + save; core "
        "= read + network + distances + catchments (Heidelberg: 200 given points).\n\n"
        + md_table(
            [
                "case",
                "nodes",
                "facilities",
                "read + build s",
                "distances s",
                "catchments s",
                "core s",
                "job s",
                "peak MiB",
                "map.html MB",
            ],
            rows,
        )
        + f"\n\nGrowth exponents over nodes (n log n = {nlogn:.2f} over these sizes): **whole "
        f"job {fit_job:.2f}** (Liechtenstein, Malta, Malta 4x; target <= 1.1: "
        f"{'met' if fit_job <= 1.1 else 'MISSED'}; two-point Liechtenstein -> Malta 4x "
        f"{slope(n_whole[[0, -1]], [job_l, job_m4]):.2f}); core {fit_core:.2f} (all four); "
        + ", ".join(f"{k} {v:.2f}" for k, v in fit_parts.items())
        + f"; peak memory {fit_mem:.2f}.\n\nAll runs (job s; Heidelberg core s): "
        + "; ".join(
            f"{c} " + ", ".join(f"{r.get('job_s', r['core_s']):.1f}" for r in runs[c])
            for c in cases
        )
        + "."
    )
    report("growth", "Growth: Liechtenstein, Malta, Heidelberg, Malta 4x", body)


if __name__ == "__main__":
    if "--child" in sys.argv:
        a = sys.argv[sys.argv.index("--child") + 1 :]
        child(a[0], a[1])
    else:
        main()
