"""The whole job at municipality scale: ``ig.analyse(malta, neighbourhoods="hex:1000")`` + ``save``.

Malta (``osm/malta-2018.osm.pbf``: 110k walkable OSM nodes, ~3,300 facilities) has the size
and facility density of a Dutch middle-sized municipality. Every run is a fresh interpreter.
The child times analyse's own stages (``Analysis.timings``) and, inside them and inside
``save``, the real library functions that do the work (wrapped by a timer, see
``_scale.instrument``): reading the file (``_osm_reader._read``, every call), attaching the
facilities (``attach_facilities``, every call), ``uncovered_areas``, the GeoPackages,
``walk_minutes.tif``, building the folium map and rendering it to ``map.html``. It samples
its resident memory (peak per stage) and reports ``ru_maxrss`` and the size of ``map.html``.

In the same run, interleaved with the children, the parent times one bare pyosmium pass over
every object of the file (``osmium.FileProcessor``) and one with a C++ ``KeyFilter`` on the
keys infra_geo reads, so the ratio "analyse + save / one bare pass" (target <= 12x) is read
off one run. Liechtenstein ``analyse(admin:8)`` + ``save`` runs in the same loop (target <= 3 s).

Run: ``.venv/bin/python benchmarks/bench_malta.py`` (INFRA_GEO_BENCH_MALTA_RUNS=3).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import PeakRSS, max_rss_mb, md_table, median_of, quiet, report, run_fresh
from _scale import LIECHTENSTEIN, MALTA, Stopwatch, bare_pass, feature_keys, instrument, need

RUNS = int(os.environ.get("INFRA_GEO_BENCH_MALTA_RUNS", "3"))
STAGES = (
    "facilities",
    "network",
    "neighbourhoods",
    "population",
    "distances",
    "catchments",
    "gaps",
)
#: label -> (module, attribute) of the real functions timed inside the stages
#: (the writers of ``save`` live in ``infra_geo._report``; the access points are made by
#: ``_access.attach``, once per ``Access`` engine)
PARTS = {
    "read": ("infra_geo._osm_reader", "_read"),
    "attach": ("infra_geo._access", "attach"),
    "uncovered": ("infra_geo.analysis", "uncovered_areas"),
    "gpkg": ("infra_geo._report", "_to_gpkg"),
    "raster": ("infra_geo._report", "_write_raster"),
    "map_build": ("infra_geo.analysis", "Analysis.map"),
    "map_render": ("folium", "Map.save"),
    "summary": ("infra_geo._report", "summary_markdown"),
}


def child(osm: str, units: str) -> None:
    t0 = time.perf_counter()
    watch = Stopwatch()
    with PeakRSS() as mem:
        mem.stage("import")
        import infra_geo as ig
        from infra_geo._access import _NetCache

        quiet()
        t_import = time.perf_counter() - t0
        with instrument(watch, PARTS):
            t1 = time.perf_counter()
            res = ig.analyse(osm_file=osm, neighbourhoods=units, progress=mem.stage)
            t_analyse = time.perf_counter() - t1
            mem.stage("save")
            with tempfile.TemporaryDirectory() as out:
                t2 = time.perf_counter()
                files = res.save(out)
                t_save = time.perf_counter() - t2
                map_mb = files["map.html"].stat().st_size / 1e6
    out = {f"{s}_s": res.timings[s] for s in STAGES}
    out.update({f"{s}_mb": mem.stage_peak_mb.get(s, 0.0) for s in (*STAGES, "import", "save")})
    out.update({f"{k}_s": watch.get(k, 0.0) for k in PARTS})
    out.update({f"{k}_calls": watch.get(f"{k}#calls", 0) for k in PARTS})
    out.update(
        import_s=t_import,
        save_s=t_save,
        analyse_s=t_analyse,
        job_s=t_analyse + t_save,
        process_s=time.perf_counter() - t0,
        peak_mb=max_rss_mb(),
        map_mb=map_mb,
        facilities=len(res.facilities),
        nodes=res.network.n_nodes,
        edges=res.network.n_edges,
        units=len(res.gaps),
        catchment_rows=len(res.catchments),
        # the engine's own counts over analyse + save: one engine, one search per group
        engines=_NetCache.of(res.network).engines,
        searches=sum(v for k, v in res.access.runs.items() if k.startswith("search:")),
        groups=len(res.access.keys),
    )
    print(json.dumps(out))


def main() -> None:
    quiet()
    malta, liech = need(MALTA), need(LIECHTENSTEIN)
    keys = feature_keys()
    bare: dict[str, list[float]] = {"malta": [], "malta_kf": [], "liech": []}
    objects: dict[str, int] = {}
    runs_m, runs_l = [], []
    for _ in range(RUNS):
        for name, path, kf in (
            ("malta", malta, None),
            ("malta_kf", malta, keys),
            ("liech", liech, None),
        ):
            s, n = bare_pass(path, kf)
            bare[name].append(s)
            objects[name] = n
        runs_m.append(run_fresh(Path(__file__), str(malta), "hex:1000", timeout=1800))
        runs_l.append(run_fresh(Path(__file__), str(liech), "admin:8"))
    m, lm = median_of(runs_m), median_of(runs_l)
    b = {k: statistics.median(v) for k, v in bare.items()}
    rows = [["import infra_geo", m["import_s"], "", m["import_mb"]]]
    rows += [[s, m[f"{s}_s"], "", m[f"{s}_mb"]] for s in STAGES]
    rows += [["save (all output files)", m["save_s"], "", m["save_mb"]]]
    part_names = {
        "read": "reading the file (`_osm_reader._read`, in facilities + network)",
        "attach": "attaching facilities (`_access.attach`, once per engine)",
        "uncovered": "`uncovered_areas` (in gaps)",
        "gpkg": "GeoPackages: facilities, catchments, gaps (in save)",
        "raster": "`walk_minutes.tif` (in save)",
        "map_build": "map: `coverage_map` (in save)",
        "map_render": "map: folium render to map.html (in save)",
        "summary": "summary.md (in save)",
    }
    rows += [[f"  of which {part_names[k]}", m[f"{k}_s"], int(m[f"{k}_calls"]), ""] for k in PARTS]
    job, bare_m = m["job_s"], b["malta"]
    rows += [
        ["**analyse + save**", job, "", m["peak_mb"]],
        ["whole process (import included)", m["process_s"], "", m["peak_mb"]],
        ["bare pyosmium pass, every object", bare_m, "", ""],
        ["bare pyosmium pass, KeyFilter on infra_geo's keys", b["malta_kf"], "", ""],
    ]
    ratio = job / bare_m
    targets = (
        f"Engine counts over analyse + save (median): {m['engines']:.0f} engine(s) on the "
        f"network, {m['searches']:.0f} multi-source searches for {m['groups']:.0f} groups.\n\n"
        f"Malta analyse + save = **{ratio:.1f}x** one bare pyosmium pass over the same file in "
        f"this run ({job:.1f} s / {bare_m:.2f} s; target <= 12x: "
        f"{'met' if ratio <= 12 else 'MISSED'}); {ratio * bare_m / b['malta_kf']:.0f}x the "
        f"KeyFilter pass. Peak {m['peak_mb']:.0f} MiB (target < 1 GiB: "
        f"{'met' if m['peak_mb'] < 1024 else 'MISSED'}); map.html {m['map_mb']:.1f} MB "
        f"(target <= 5 MB: {'met' if m['map_mb'] <= 5 else 'MISSED'}).\n\n"
        f"Liechtenstein analyse(admin:8) + save: **{lm['job_s']:.2f} s** (target <= 3 s: "
        f"{'met' if lm['job_s'] <= 3 else 'MISSED'}), {lm['job_s'] / b['liech']:.1f}x its bare "
        f"pass ({b['liech']:.2f} s); peak {lm['peak_mb']:.0f} MiB, map.html "
        f"{lm['map_mb']:.1f} MB; stages: "
        + ", ".join(f"{s} {lm[f'{s}_s']:.2f}" for s in STAGES)
        + f", save {lm['save_s']:.2f} s."
    )
    body = (
        f"{malta.name}: {int(m['nodes']):,} network nodes, {int(m['edges']):,} edges, "
        f"{int(m['facilities']):,} facilities, {int(m['units'])} hex:1000 units; "
        f"{objects['malta']:,} OSM objects ({objects['malta_kf']:,} pass the KeyFilter on "
        f"{len(keys)} keys). Medians of {RUNS} runs, each in a fresh interpreter; the bare "
        "passes run in the parent, interleaved with the children. Memory: peak RSS sampled "
        "during each stage (MiB; process total so far). 'of which' rows are the time inside "
        "those functions, summed over their calls (calls = how many).\n\n"
        + md_table(["stage", "median s", "calls", "peak RSS MiB"], rows)
        + "\n\n"
        + targets
        + "\n\nAll runs, Malta analyse + save s: "
        + ", ".join(f"{r['job_s']:.2f}" for r in runs_m)
        + "; bare pass s: "
        + ", ".join(f"{s:.2f}" for s in bare["malta"])
        + "; Liechtenstein analyse + save s: "
        + ", ".join(f"{r['job_s']:.2f}" for r in runs_l)
        + "."
    )
    report("malta", "Malta: analyse(hex:1000) + save per stage, against a bare pyosmium pass", body)


if __name__ == "__main__":
    if "--child" in sys.argv:
        a = sys.argv[sys.argv.index("--child") + 1 :]
        child(a[0], a[1])
    else:
        main()
