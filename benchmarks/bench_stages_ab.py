"""Reading, network and distances: old code against this tree, in one process, alternating.

The old tree is ``git archive`` of a commit's ``src/infra_geo`` (default ``main``), imported
as the package ``infra_geo_old`` next to this tree's ``infra_geo`` (its imports are relative).
Each round times, for old and new in turn (the order alternates round by round), the stages
of ``analyse`` this work touches, with ``time.process_time`` (CPU of every thread, less
sensitive to other jobs on a shared machine than the wall clock, which is shown too):

- read: ``read_osm`` with its cache cleared (``_osm_reader._read``, the one pass);
- facilities: ``facilities_from_file`` + ``entrances_from_file``, read included (the stage);
- network: ``walk_network_from_file`` on the cached read;
- distances: an ``Access`` engine (attach) + ``nearest_facilities(minutes=(5, 10, 15))``;

and one bare pyosmium pass over every object of the file. A full garbage collection runs
before each timed stage, so no stage pays for collecting the one before. Both trees must give the same
facility ids, network node ids and per-node counts (checked once per file).

Run: ``.venv/bin/python benchmarks/bench_stages_ab.py [COMMIT]`` (INFRA_GEO_BENCH_AB_RUNS=5).
"""

from __future__ import annotations

import gc
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT, md_table, quiet, report
from _scale import LIECHTENSTEIN, MALTA, bare_pass, need

RUNS = int(os.environ.get("INFRA_GEO_BENCH_AB_RUNS", "5"))
STAGES = ("read", "facilities", "network", "distances")


def old_tree(commit: str, into: Path) -> str:
    """Export ``commit``'s package as ``infra_geo_old`` under ``into``; its short hash."""
    pkg = into / "infra_geo_old"
    pkg.mkdir()
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src/infra_geo"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "--strip-components=2", "-C", str(pkg)], input=tar, check=True)
    sys.path.insert(0, str(into))
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def one_round(ig, path: Path) -> tuple[dict[str, tuple[float, float]], tuple]:
    """(stage -> (CPU s, wall s), products) of one run of the stages with package ``ig``."""
    reader = importlib.import_module(ig.__name__ + "._osm_reader")
    access = importlib.import_module(ig.__name__ + "._access")
    sources = importlib.import_module(ig.__name__ + ".sources")
    keys = ig.load_rules().match_keys()
    out = {}

    def timed(name, fn):
        gc.collect()  # each stage starts with no garbage of the one before to collect
        c0, w0 = time.process_time(), time.perf_counter()
        res = fn()
        out[name] = (time.process_time() - c0, time.perf_counter() - w0)
        return res

    reader._read_cached.cache_clear()
    timed("read", lambda: reader.read_osm(path, keys))
    reader._read_cached.cache_clear()
    fac, ent = timed(
        "facilities", lambda: (ig.facilities_from_file(path), sources.entrances_from_file(path))
    )
    net = timed("network", lambda: ig.walk_network_from_file(path))

    def distances():
        eng = access.Access(net, fac, entrances=ent)
        return ig.nearest_facilities(net, fac, minutes=(5, 10, 15), speed_kmh=4.8, access=eng)

    near = timed("distances", distances)
    return out, (fac, net, near)


def same(a: tuple, b: tuple) -> None:
    """Assert that both trees gave the same facilities, network and counts."""
    assert a[0]["facility_id"].tolist() == b[0]["facility_id"].tolist()
    assert np.array_equal(a[1].node_ids, b[1].node_ids)
    assert np.array_equal(a[1].edge_u, b[1].edge_u) and np.array_equal(a[1].edge_v, b[1].edge_v)
    assert a[2].columns.tolist() == b[2].columns.tolist()
    for c in a[2].columns:
        assert a[2][c].equals(b[2][c]), c


def main() -> None:
    commit = sys.argv[1] if len(sys.argv) > 1 else "main"
    quiet()
    import infra_geo as new

    with tempfile.TemporaryDirectory() as tmp:
        old_hash = old_tree(commit, Path(tmp))
        old = importlib.import_module("infra_geo_old")
        old.settings.log_level = new.settings.log_level
        new_hash = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        sections = []
        for path in (need(MALTA), need(LIECHTENSTEIN)):
            times: dict[tuple[str, str], list[tuple[float, float]]] = {}
            bare_cpu, bare_wall = [], []
            for r in range(RUNS):
                order = (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old))
                products = {}
                for label, pkg in order:
                    t, products[label] = one_round(pkg, path)
                    for k, v in t.items():
                        times.setdefault((label, k), []).append(v)
                if r == 0:
                    same(products["old"], products["new"])
                c0 = time.process_time()
                w, _ = bare_pass(path)
                bare_cpu.append(time.process_time() - c0)
                bare_wall.append(w)
            bc, bw = statistics.median(bare_cpu), statistics.median(bare_wall)
            rows = []
            for s in STAGES:
                oc = statistics.median(c for c, _ in times[("old", s)])
                nc = statistics.median(c for c, _ in times[("new", s)])
                ow = statistics.median(w for _, w in times[("old", s)])
                nw = statistics.median(w for _, w in times[("new", s)])
                rows.append(
                    [
                        s,
                        f"{oc:.3f}",
                        f"{nc:.3f}",
                        f"{oc / nc:.2f}x",
                        f"{ow:.3f}",
                        f"{nw:.3f}",
                        f"{oc / bc:.2f}x",
                        f"{nc / bc:.2f}x",
                    ]
                )
            rows.append(
                [
                    "bare pyosmium pass, every object",
                    f"{bc:.3f}",
                    "",
                    "",
                    f"{bw:.3f}",
                    "",
                    "1x",
                    "1x",
                ]
            )
            sections.append(
                f"### {path.name}\n\n"
                + md_table(
                    [
                        "stage",
                        f"old {old_hash} CPU s",
                        f"new {new_hash} CPU s",
                        "old/new",
                        "old wall s",
                        "new wall s",
                        "old CPU / bare CPU",
                        "new CPU / bare CPU",
                    ],
                    rows,
                )
            )
        body = (
            f"Medians of {RUNS} rounds in one process, old and new alternating (order swapped "
            "every round); both trees gave the same facility ids, network and per-node counts.\n\n"
            + "\n\n".join(sections)
        )
        report("stages-ab", f"Reading, network, distances: {old_hash} vs {new_hash}", body)


if __name__ == "__main__":
    main()
