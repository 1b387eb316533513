"""The whole job: ``ig.analyse(osm_file=liechtenstein, neighbourhoods="admin:8")`` + ``.save()``.

Every run is a fresh interpreter (no warm caches): the child times the import, each stage
(``Analysis.timings``; the stage boundaries come from analyse's ``progress`` callback) and
``save`` apart, samples its resident memory every 5 ms in a thread for the peak per stage,
and reports its ``ru_maxrss``. Medians over INFRA_GEO_BENCH_PIPELINE_RUNS runs (default 3).

Run: ``.venv/bin/python benchmarks/bench_pipeline.py``
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import OSM, PeakRSS, max_rss_mb, md_table, median_of, quiet, report, run_fresh

RUNS = int(os.environ.get("INFRA_GEO_BENCH_PIPELINE_RUNS", "3"))
STAGES = (
    "facilities",
    "network",
    "neighbourhoods",
    "population",
    "distances",
    "catchments",
    "gaps",
)


def child() -> None:
    t0 = time.perf_counter()
    with PeakRSS() as mem:
        mem.stage("import")
        import infra_geo as ig

        quiet()
        t_import = time.perf_counter() - t0
        t1 = time.perf_counter()
        res = ig.analyse(osm_file=OSM, neighbourhoods="admin:8", progress=mem.stage)
        t_analyse = time.perf_counter() - t1
        mem.stage("save")
        with tempfile.TemporaryDirectory() as out:
            t2 = time.perf_counter()
            res.save(out)
            t_save = time.perf_counter() - t2
    out = {f"{s}_s": res.timings[s] for s in STAGES}
    out.update({f"{s}_mb": mem.stage_peak_mb.get(s, 0.0) for s in (*STAGES, "import", "save")})
    out.update(
        import_s=t_import,
        save_s=t_save,
        analyse_s=t_analyse,
        job_s=t_analyse + t_save,
        process_s=time.perf_counter() - t0,
        peak_mb=max_rss_mb(),
    )
    print(json.dumps(out))


def main() -> None:
    runs = [run_fresh(Path(__file__)) for _ in range(RUNS)]
    m = median_of(runs)
    rows = [["import infra_geo", m["import_s"], m["import_mb"]]]
    rows += [[s, m[f"{s}_s"], m[f"{s}_mb"]] for s in STAGES]
    rows += [
        ["save (7 files)", m["save_s"], m["save_mb"]],
        ["**analyse + save**", m["job_s"], m["peak_mb"]],
        ["whole process (import included)", m["process_s"], m["peak_mb"]],
    ]
    target = (
        f"Target < 8 s wall: {'met' if m['job_s'] < 8 else 'MISSED'} "
        f"({m['job_s']:.1f} s analyse + save; {m['process_s']:.1f} s with the import). "
        f"Target < 1 GB peak: {'met' if m['peak_mb'] < 1024 else 'MISSED'} "
        f"({m['peak_mb']:.0f} MiB ru_maxrss)."
    )
    body = (
        f"{OSM.name}, neighbourhoods admin:8, default settings; medians of {RUNS} runs, each "
        "in a fresh interpreter. Memory: peak RSS sampled during each stage (MiB; the process "
        "total so far, not the stage's own share).\n\n"
        + md_table(["stage", "median s", "peak RSS MiB"], rows)
        + "\n\n"
        + target
        + "\n\nAll runs (analyse + save s): "
        + ", ".join(f"{r['job_s']:.2f}" for r in runs)
    )
    report("pipeline", "Pipeline: analyse(liechtenstein, admin:8) + save", body)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
