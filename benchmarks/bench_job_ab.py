"""The whole Malta job in two source trees, fresh processes, alternating: wall, CPU and peak.

``analyse(malta, neighbourhoods="hex:1000")`` + ``save`` with no instrumentation (unlike
``bench_malta.py``, which wraps functions and samples memory per stage), each run in a fresh
interpreter with one tree's ``src`` first on ``PYTHONPATH``, the trees alternating run by run
(A, B, B, A, ...) so that machine drift hits both. Reports medians of wall seconds, CPU seconds
of the whole process (every thread) and peak RSS (``ru_maxrss``).

Run: ``.venv/bin/python benchmarks/bench_job_ab.py OLD_SRC NEW_SRC`` (folders holding
``infra_geo``; e.g. ``git worktree add /tmp/old <commit>`` then ``/tmp/old/src``);
``INFRA_GEO_BENCH_AB_RUNS`` runs per tree (default 5; Malta ~12 s a run).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import md_table, report
from _scale import MALTA, need

RUNS = int(os.environ.get("INFRA_GEO_BENCH_AB_RUNS", "5"))

CHILD = """
import json, resource, sys, tempfile, time
import infra_geo as ig
ig.settings.log_level = 40
t0, c0 = time.perf_counter(), time.process_time()
a = ig.analyse(sys.argv[1], neighbourhoods="hex:1000")
a.save(tempfile.mkdtemp())
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "src": ig.__file__}))
"""


def run(src: str, osm: Path) -> dict[str, float]:
    """One fresh-process job with ``src`` first on the path."""
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(osm)], env=env, capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["src"].startswith(str(Path(src).resolve())), got["src"]
    return got


def main() -> None:
    old, new = sys.argv[1:3]
    osm = need(MALTA)
    runs: dict[str, list[dict[str, float]]] = {old: [], new: []}
    for i in range(RUNS):
        for src in (old, new) if i % 2 == 0 else (new, old):
            runs[src].append(run(src, osm))
    rows = []
    for label, src in (("old", old), ("new", new)):
        med = {k: statistics.median(r[k] for r in runs[src]) for k in ("wall", "cpu", "peak")}
        walls = ", ".join(f"{r['wall']:.2f}" for r in runs[src])
        rows.append([f"{label}: {src}", med["wall"], med["cpu"], med["peak"], walls])
    body = (
        f"{osm.name}: analyse(hex:1000) + save, {RUNS} fresh processes per tree, alternating. "
        "Medians.\n\n"
        + md_table(["tree", "wall s", "CPU s", "peak MiB", "all walls s"], rows)
    )
    report("job-ab", "Malta whole job, two trees alternating", body)


if __name__ == "__main__":
    main()
