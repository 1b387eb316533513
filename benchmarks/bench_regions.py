"""Malta whole against Malta by council on Dask (issue 17): wall time, memory, splitting.

Fresh processes (each a fresh interpreter):

- ``whole``: ``ig.analyse(malta, neighbourhoods="hex:500")`` and ``save`` (peak RSS of the
  process);
- ``split``: the planning of the batch (regions admin:8, units, extent, buffers) and
  ``_split.split_extract`` into one extract per council, against one bare pyosmium pass;
- ``batch N``: ``ig.analyse_regions(malta, "admin:8", neighbourhoods="hex:500",
  workers=N)`` on a LocalCluster of N workers (1 thread each). Per region its manifest gives
  the seconds, network nodes and the worker's peak RSS.

Run: ``.venv/bin/python benchmarks/bench_regions.py`` (~15 min on a 2-core machine).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from _common import max_rss_mb, md_table, quiet, report, run_fresh
from _scale import MALTA, need


def child_whole(osm: str) -> None:
    import infra_geo as ig

    quiet()
    t = time.perf_counter()
    res = ig.analyse(osm, neighbourhoods="hex:500")
    analysed = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        res.save(Path(tmp) / "out")
    out = {
        "seconds": time.perf_counter() - t,
        "analyse_s": analysed,
        "peak_mib": max_rss_mb(),
        "nodes": res.network.n_nodes,
        "units": len(res.gaps),
    }
    print(json.dumps(out))


def child_split(osm: str) -> None:
    import osmium

    from infra_geo import _regions_plan as plan
    from infra_geo._split import split_extract
    from infra_geo.extent import data_extent
    from infra_geo.grid import hex_grid

    quiet()
    src = Path(osm)
    t = time.perf_counter()
    ext = data_extent(src)
    reg, _ = plan.read_regions("admin:8", src)
    units = hex_grid(ext, 500)
    where = plan.assign_units(units, reg)
    units["region_key"] = reg["region_key"].to_numpy()[where]
    from infra_geo._crs import metric_crs_for

    areas = plan.buffered_areas(
        reg, units, plan.default_buffer_m((5, 10, 15), 4.8), metric_crs_for(ext)
    )
    planned = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = split_extract(src, areas, tmp)
        split = time.perf_counter() - t
        size = sum(p.stat().st_size for p in paths.values())
    t = time.perf_counter()
    n = 0
    for _ in osmium.FileProcessor(str(src)):
        n += 1
    bare = time.perf_counter() - t
    out = {
        "plan_s": planned,
        "split_s": split,
        "bare_pass_s": bare,
        "regions": len(areas),
        "extract_bytes": size,
        "input_bytes": src.stat().st_size,
    }
    print(json.dumps(out))


def child_batch(osm: str, workers: str) -> None:
    import infra_geo as ig

    quiet()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        res = ig.analyse_regions(
            osm, "admin:8", neighbourhoods="hex:500", workers=int(workers), out=Path(tmp) / "b"
        )
        wall = time.perf_counter() - t
        rows = []
        for key in res.regions.loc[res.regions["status"] == "done", "region_key"]:
            rows.append(
                json.loads((Path(tmp) / "b" / "regions" / key / "manifest.json").read_text())
            )
    peak: dict[str, float] = {}
    for r in rows:
        peak[r["worker"]] = max(peak.get(r["worker"], 0.0), r["worker_peak_mib"])
    out = {
        "seconds": wall,
        "region_s_sum": sum(r["seconds"] for r in rows),
        "region_s_max": max(r["seconds"] for r in rows),
        "nodes_sum": sum(r["network_nodes"] for r in rows),
        "regions": len(rows),
        "counts": res.counts(),
        "worker_peak_mib": sorted(peak.values()),
        "client_peak_mib": max_rss_mb(),
        "per_region": [(r["network_nodes"], r["seconds"]) for r in rows],
    }
    print(json.dumps(out))


def main() -> None:
    quiet()
    malta = str(need(MALTA))
    me = Path(__file__)
    whole = run_fresh(me, "whole", malta, timeout=1800)
    split = run_fresh(me, "split", malta, timeout=1800)
    batches = {n: run_fresh(me, "batch", malta, str(n), timeout=3600) for n in (1, 2)}
    rows = [["whole country, 1 process", whole["seconds"], "-", f"{whole['peak_mib']:.0f}", "-"]]
    for n, b in batches.items():
        rows.append(
            [
                f"by council, {n} worker(s)",
                b["seconds"],
                b["region_s_sum"],
                " / ".join(f"{v:.0f}" for v in b["worker_peak_mib"]),
                f"{b['client_peak_mib']:.0f}",
            ]
        )
    b1 = batches[1]
    # a least-squares line through (nodes, seconds) of the regions: fixed + per-node cost
    import numpy as np

    xy = np.asarray(b1["per_region"], dtype=float)
    per_node, fixed = np.polyfit(xy[:, 0], xy[:, 1], 1)
    body = (
        f"{MALTA.name}: {whole['nodes']:,} network nodes, {whole['units']} hex:500 units; "
        f"{b1['regions']} councils (admin:8) with the default buffer (1,870 m). Seconds are wall "
        "time of a fresh process (planning, cluster start, split, regions, merge); 'regions s' "
        "is the sum of the regions' own task times; memory is peak RSS in MiB.\n\n"
        + md_table(["run", "wall s", "regions s", "worker peak MiB", "client peak MiB"], rows)
        + f"\n\nSplitting: planning {split['plan_s']:.1f} s (extent, regions, units, buffers), "
        f"split_extract {split['split_s']:.1f} s into {split['regions']} extracts "
        f"({split['extract_bytes'] / 1e6:.1f} MB from {split['input_bytes'] / 1e6:.1f} MB: the "
        f"buffers overlap), a bare pyosmium pass {split['bare_pass_s']:.2f} s "
        f"({split['split_s'] / split['bare_pass_s']:.1f}x).\n\n"
        f"Network nodes summed over the councils' extracts: {b1['nodes_sum']:,} "
        f"({b1['nodes_sum'] / whole['nodes']:.1f}x the whole country's: each council is analysed "
        f"with 1.9 km of its neighbours). Per region (1 worker): {fixed:.2f} s fixed + "
        f"{per_node * 1e6:.1f} s per million nodes of its extract (least squares over the "
        f"{b1['regions']} councils; the slowest {b1['region_s_max']:.1f} s)."
    )
    report("regions", "Malta whole against Malta by council on Dask", body)


if __name__ == "__main__":
    if "--child" in sys.argv:
        i = sys.argv.index("--child")
        kind, args = sys.argv[i + 1], sys.argv[i + 2 :]
        {"whole": child_whole, "split": child_split, "batch": child_batch}[kind](*args)
    else:
        main()
