"""Shared helpers of the benchmark scripts: inputs, timing, memory, tables, machine facts.

Not part of the package or the test run. Each ``bench_*.py`` imports this module from its
own folder, so run the scripts as ``.venv/bin/python benchmarks/bench_x.py``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: the real-data extract the benchmarks run on (override with INFRA_GEO_BENCH_OSM)
ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INFRA_GEO_SHARED_DATA", ROOT.parent / "shared" / "data"))
OSM = Path(os.environ.get("INFRA_GEO_BENCH_OSM", SHARED / "osm" / "liechtenstein.osm.pbf"))
#: runs per measurement (medians are reported); override with INFRA_GEO_BENCH_RUNS
RUNS = int(os.environ.get("INFRA_GEO_BENCH_RUNS", "5"))


def quiet() -> None:
    """Silence the library's INFO log and numpy/pandas warnings (they would skew timings)."""
    warnings.filterwarnings("ignore")
    logging.getLogger("infra_geo").setLevel(logging.ERROR)
    import infra_geo as ig

    ig.settings.log_level = logging.ERROR


@functools.cache
def load(osm: str = str(OSM)) -> tuple[Any, Any, float]:
    """(network, facilities, seconds to build both) for an extract; cached per process."""
    import infra_geo as ig

    quiet()
    t0 = time.perf_counter()
    net = ig.walk_network_from_file(osm)
    fac = ig.facilities_from_file(osm)
    return net, fac, time.perf_counter() - t0


class Clock(dict):
    """Seconds per label: ``with clock("build"): ...`` adds the block's wall time to ``clock["build"]``."""

    @contextlib.contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self[label] = self.get(label, 0.0) + time.perf_counter() - t0


def rounds(
    cases: dict[str, Callable[[Clock], Any]], runs: int = RUNS, warmup: int = 1
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Run every case ``warmup + runs`` times, interleaved (noise hits all cases alike).

    Each case gets a fresh :class:`Clock` to fill (its ``total`` is timed here). Returns the
    median seconds per case and label, and each case's last result.
    """
    samples: dict[str, list[Clock]] = {name: [] for name in cases}
    last: dict[str, Any] = {}
    for r in range(warmup + runs):
        for name, fn in cases.items():
            clock = Clock()
            with clock("total"):
                last[name] = fn(clock)
            if r >= warmup:
                samples[name].append(clock)
    return {name: median_of(s) for name, s in samples.items()}, last


class PeakRSS:
    """Sample this process's resident memory in a thread; peak overall and per labelled stage.

    >>> with PeakRSS() as mem:  # doctest: +SKIP
    ...     mem.stage("work"); work()
    >>> mem.peak_mb, mem.stage_peak_mb["work"]  # doctest: +SKIP
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self._proc = psutil.Process()
        self._stop = threading.Event()
        self._label = "start"
        self.peak = 0
        self.stage_peak: dict[str, int] = {}

    def stage(self, label: str) -> None:
        """From now on, samples count for ``label``."""
        self._sample()
        self._label = label

    def _sample(self) -> None:
        rss = self._proc.memory_info().rss
        self.peak = max(self.peak, rss)
        self.stage_peak[self._label] = max(self.stage_peak.get(self._label, 0), rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20

    @property
    def stage_peak_mb(self) -> dict[str, float]:
        return {k: v / 2**20 for k, v in self.stage_peak.items()}


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Send what C/C++ code prints on stdout (fd 1) to /dev/null for the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def max_rss_mb() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``), MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_fresh(script: Path, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run ``script --child ARGS`` in a fresh interpreter; it prints one JSON line last."""
    proc = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script.name} child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(dicts: Sequence[dict[str, float]]) -> dict[str, float]:
    """Key-wise median of several result dicts (keys of the first)."""
    return {k: statistics.median(d[k] for d in dicts) for k in dicts[0]}


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; floats get 3 significant decimals, right-aligned numbers."""

    def cell(v: Any) -> str:
        if isinstance(v, (float, np.floating)):
            if not np.isfinite(v):
                return str(v)
            return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
        return str(v)

    align = [
        "---:" if rows and isinstance(rows[0][i], (int, float, np.number)) else "---"
        for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """Facts about this machine and the library versions."""
    import geopandas
    import scipy
    import shapely

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import infra_geo

    src = Path(infra_geo.__file__).resolve().parent
    try:
        rev = (
            subprocess.run(
                ["git", "-C", str(src), "describe", "--always", "--dirty"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            or "not a git checkout"
        )
    except OSError:
        rev = "git not found"
    return {
        "infra_geo": f"{src} ({rev})",
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "ram_gb": f"{psutil.virtual_memory().total / 2**30:.1f}",
        "load_1min": f"{os.getloadavg()[0]:.2f}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "shapely": shapely.__version__,
        "geopandas": geopandas.__version__,
    }


def report(name: str, title: str, body: str) -> None:
    """Print ``body`` and keep it in ``benchmarks/results/<name>[-TAG].md`` with the machine facts.

    TAG is ``INFRA_GEO_BENCH_TAG`` (e.g. ``fixes`` for a run against a patched copy put first
    on ``PYTHONPATH``).
    """
    facts = ", ".join(f"{k} {v}" for k, v in machine().items())
    tag = os.environ.get("INFRA_GEO_BENCH_TAG", "")
    text = (
        f"## {title}{f' [{tag}]' if tag else ''}\n\n{time.strftime('%Y-%m-%d %H:%M')}; "
        f"{facts}\n\n{body}\n"
    )
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}{f'-{tag}' if tag else ''}.md").write_text(text, encoding="utf-8")
