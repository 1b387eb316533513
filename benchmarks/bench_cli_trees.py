"""The whole CLI job in two source trees, interleaved fresh processes: is a change slower?

``infra-geo analyse --osm-file <extract> --neighbourhoods admin:8 --out <tmp> --quiet`` runs
in a fresh interpreter per run, alternating between the trees (old, new, old, new, ...) so
that load from other users of a shared machine hits both alike. Each tree is imported through
its own ``PYTHONPATH=<tree>/src``. Reported per tree: the median wall time of the whole
process (import included) and the median CPU time (user + system of the child), and the
new/old ratio of both.

Run (from the checkout)::

    git worktree add --detach /tmp/old-tree <commit>
    .venv/bin/python benchmarks/bench_cli_trees.py /tmp/old-tree . --runs 7 --name i13

and the table is written to ``benchmarks/results/cli-<name>.md``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import OSM, RESULTS

CODE = "import sys; from infra_geo.cli import main; sys.exit(main(sys.argv[1:]))"


def git_rev(tree: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return out.stdout.strip() + ("-dirty" if dirty else "")


def one_run(tree: Path, osm: Path, extra: list[str]) -> tuple[float, float]:
    """(wall s, child CPU s) of one CLI job in a fresh interpreter importing ``tree/src``."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", CODE, "analyse", "--osm-file", str(osm)]
        cmd += ["--neighbourhoods", "admin:8", "--out", str(Path(tmp) / "out"), "--quiet"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd + extra, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{tree}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path, help="checkout of the baseline commit")
    ap.add_argument("new", type=Path, help="checkout of the commit under test")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--osm", type=Path, default=OSM)
    ap.add_argument("--name", default="trees", help="results/cli-<name>.md")
    args = ap.parse_args()
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    revs = {k: git_rev(t) for k, t in trees.items()}
    start, load0 = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
    one_run(trees["old"], args.osm, [])  # warm the file cache once, not counted
    samples: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    for r in range(args.runs):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for k in order:
            samples[k].append(one_run(trees[k], args.osm, []))
            print(k, revs[k], *(f"{v:.2f}" for v in samples[k][-1]), flush=True)
    med = {
        k: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s))
        for k, s in samples.items()
    }
    ratio_wall = med["new"][0] / med["old"][0]
    ratio_cpu = med["new"][1] / med["old"][1]
    lines = [
        f"## CLI job, two trees: {revs['old']} (old) vs {revs['new']} (new)",
        "",
        f"{start}; cpus {os.cpu_count()}, load_1min {load0:.2f} at the start and "
        f"{os.getloadavg()[0]:.2f} at the end (the machine is shared); python "
        f"{sys.version.split()[0]}.",
        "",
        f"`infra-geo analyse --osm-file {args.osm.name} --neighbourhoods admin:8 --out <tmp> "
        f"--quiet`, each run a fresh interpreter (import included), the trees alternating "
        f"(old/new, new/old, ...); medians of {args.runs} runs per tree.",
        "",
        "| tree | commit | median wall s | median CPU s (user+sys) |",
        "|---|---|---:|---:|",
        f"| old | `{revs['old']}` | {med['old'][0]:.2f} | {med['old'][1]:.2f} |",
        f"| new | `{revs['new']}` | {med['new'][0]:.2f} | {med['new'][1]:.2f} |",
        f"| **new / old** | | **{ratio_wall:.3f}** | **{ratio_cpu:.3f}** |",
        "",
        "All runs (wall s / CPU s):",
        "",
    ]
    for k in ("old", "new"):
        runs = ", ".join(f"{w:.2f}/{c:.2f}" for w, c in samples[k])
        lines.append(f"- {k}: {runs}")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"cli-{args.name}.md").write_text(text)


if __name__ == "__main__":
    main()
