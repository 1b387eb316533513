"""Access points, distances stage, raster grid and residents: old code against this tree.

The old tree is ``git archive`` of a commit's ``src/infra_geo`` (default ``main``), imported
as ``infra_geo_old`` (see ``bench_stages_ab.py``). Each tree analyses the file once; then each
round times, for old and new in turn (the order alternates round by round), with
``time.process_time`` after a full garbage collection:

- attach: ``Access(net, facilities, entrances=...)`` with the network's snapping grid and
  trees dropped first (as ``analyse`` builds them there);
- nearest_facilities: ``nearest_facilities(minutes=(5, 10, 15))`` on that engine;
- walk_grid: ``Analysis.walk_minutes_grid()`` (``walk_minutes.tif``'s 50 m cells);
- resident_access: the gap stage's look-up of the population points.

Both trees must give the same attachments, node table, raster and resident table.
Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_access_ab.py [COMMIT]``
(``INFRA_GEO_BENCH_AB_RUNS=7``).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import md_table, quiet, report
from _scale import LIECHTENSTEIN, MALTA, need
from bench_stages_ab import old_tree

RUNS = int(os.environ.get("INFRA_GEO_BENCH_AB_RUNS", "7"))
STEPS = ("attach", "nearest_facilities", "walk_grid", "resident_access")


def one_round(ig: Any, res: Any) -> tuple[dict[str, float], tuple]:
    """Time the steps once on ``res`` (an Analysis of ``ig``); their results."""
    net = res.network
    net._grid = net._tree = net._node_tree = None
    times = {}
    gc.collect()
    t = time.process_time()
    acc = ig.Access(net, res.facilities, entrances=res.entrances)
    times["attach"] = time.process_time() - t
    t = time.process_time()
    near = ig.nearest_facilities(net, res.facilities, minutes=(5, 10, 15), access=acc)
    times["nearest_facilities"] = time.process_time() - t
    res.access = acc
    gc.collect()
    t = time.process_time()
    grid = res.walk_minutes_grid()
    times["walk_grid"] = time.process_time() - t
    gc.collect()
    t = time.process_time()
    ra = ig.resident_access(net, res.facilities, res.population, access=acc)
    times["resident_access"] = time.process_time() - t
    return times, (acc.attachments, near, grid, ra)


def same(a: tuple, b: tuple) -> None:
    """Assert both trees gave the same results."""
    for f in ("facility", "edge", "offset", "kind", "snapped"):
        assert np.array_equal(getattr(a[0], f), getattr(b[0], f)), f
    assert a[1].equals(b[1]), "nearest_facilities"
    assert np.array_equal(a[2][0], b[2][0], equal_nan=True) and a[2][1] == b[2][1], "raster"
    cols = [c for c in a[3].columns if c != "geometry"]
    assert a[3][cols].equals(b[3][cols]), "resident_access"


def main() -> None:
    commit = sys.argv[1] if len(sys.argv) > 1 else "main"
    quiet()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        old_hash = old_tree(commit, Path(tmp))
        trees = {
            "old": importlib.import_module("infra_geo_old"),
            "new": importlib.import_module("infra_geo"),
        }
        rows = []
        for path, hood in ((need(MALTA), "hex:1000"), (need(LIECHTENSTEIN), "admin:8")):
            res = {k: ig.analyse(path, neighbourhoods=hood) for k, ig in trees.items()}
            cpu: dict[tuple[str, str], list[float]] = {}
            out = {}
            for r in range(RUNS):
                for k in ("old", "new") if r % 2 == 0 else ("new", "old"):
                    times, out[k] = one_round(trees[k], res[k])
                    for s, v in times.items():
                        cpu.setdefault((k, s), []).append(v)
            same(out["old"], out["new"])
            for s in (*STEPS, "sum"):
                o, n = (
                    [sum(x) for x in zip(*(cpu[(k, t)] for t in STEPS), strict=True)]
                    if s == "sum"
                    else cpu[(k, s)]
                    for k in ("old", "new")
                )
                rows.append(
                    [
                        path.name,
                        s,
                        f"{statistics.median(o) * 1e3:.0f}",
                        f"{statistics.median(n) * 1e3:.0f}",
                    ]
                )
        body = (
            f"CPU ms, medians of {RUNS} alternating rounds, old {old_hash} vs this tree; same "
            "results.\n\n" + md_table(["file", "step", "old", "new"], rows)
        )
        report("access-ab", f"Access, distances, raster, residents: {old_hash} vs new", body)


if __name__ == "__main__":
    main()
