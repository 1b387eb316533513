"""Helpers of the municipality-scale benchmarks (issue 14): data files, bare pyosmium passes,
timing wrappers around library functions, deterministic points on a network.

Not part of the package or the test run; imported by ``bench_malta.py``, ``bench_reading.py``,
``bench_heidelberg.py``, ``bench_malta_catchments.py``, ``bench_growth.py`` and
``bench_small.py``.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from _common import SHARED

MALTA = SHARED / "osm" / "malta-2018.osm.pbf"
HEIDELBERG = SHARED / "osm" / "heidelberg-routing-2024.osm.pbf"
LIECHTENSTEIN = SHARED / "osm" / "liechtenstein.osm.pbf"
AMSTERDAM = SHARED / "amsterdam" / "amsterdam-centrum.osm.pbf"


def need(path: Path) -> Path:
    """``path`` if it exists, else a clear exit (the shared data folder is missing)."""
    if not path.is_file():
        raise SystemExit(
            f"{path} not found: put the shared data beside the repository "
            "(../shared/data) or set INFRA_GEO_SHARED_DATA."
        )
    return path


def feature_keys() -> tuple[str, ...]:
    """The tag keys infra_geo reads: the rules' keys, its base keys and ``highway``."""
    from infra_geo._osm_reader import BASE_KEYS
    from infra_geo.components import load_rules

    return tuple(sorted(set(load_rules().match_keys()) | set(BASE_KEYS) | {"highway"}))


def bare_pass(path: Path, keys: tuple[str, ...] | None = None) -> tuple[float, int]:
    """(seconds, objects) of one pyosmium ``FileProcessor`` pass over every object of ``path``.

    With ``keys``, a C++ ``KeyFilter`` drops every object without one of those keys before it
    reaches Python (the objects are still decoded).
    """
    import osmium
    from osmium.filter import KeyFilter

    t0 = time.perf_counter()
    fp = osmium.FileProcessor(str(path))
    if keys:
        fp = fp.with_filter(KeyFilter(*keys))
    n = 0
    for _ in fp:
        n += 1
    return time.perf_counter() - t0, n


def clear_read_cache() -> None:
    """Forget infra_geo's cached reads, so that the next read really reads the file."""
    from infra_geo import _osm_reader

    _osm_reader._read_cached.cache_clear()


def drop_engine_cache(net: Any) -> None:
    """Forget the caches the access engine keeps beside ``net`` (``_access._NetCache``: incident
    edges, street-front buffers, tile unions), so that the next catchment run is cold, as the
    first one inside ``analyse`` is.
    """
    from infra_geo._access import _NetCache

    _NetCache._of.pop(net, None)


class Stopwatch(dict):
    """Seconds and calls per label, filled by :func:`instrument`."""

    def add(self, label: str, seconds: float) -> None:
        self[label] = self.get(label, 0.0) + seconds
        self[f"{label}#calls"] = self.get(f"{label}#calls", 0) + 1


@contextmanager
def instrument(watch: Stopwatch, targets: dict[str, tuple[str, str]]) -> Iterator[Stopwatch]:
    """Time real library functions while the block runs (the functions still do their work).

    ``targets`` maps a label to (module, attribute), e.g. ``{"read": ("infra_geo._osm_reader",
    "_read")}``; the attribute may be ``Class.method``. The same function patched under
    several modules (a name imported elsewhere) counts once per call: an inner call of an
    already timed label is not added twice.
    """
    saved: list[tuple[Any, str, Any]] = []
    active: dict[str, int] = {}

    def wrap(fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*a: Any, **k: Any) -> Any:
            if active.get(label):
                return fn(*a, **k)
            active[label] = 1
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                active[label] = 0
                watch.add(label, time.perf_counter() - t0)

        return timed

    try:
        for label, (mod_name, attr) in targets.items():
            owner: Any = importlib.import_module(mod_name)
            *path, name = attr.split(".")
            for p in path:
                owner = getattr(owner, p)
            orig = getattr(owner, name)
            saved.append((owner, name, orig))
            setattr(owner, name, wrap(orig, label))
        yield watch
    finally:
        for owner, name, orig in reversed(saved):
            setattr(owner, name, orig)


def points_on_network(net: Any, n: int, seed: int = 14) -> np.ndarray:
    """``n`` deterministic (x, y) points on the main piece of ``net``, in its CRS.

    Edges of the largest piece are drawn with a fixed seed, weighted by length; each point
    lies at a random fraction along its edge.
    """
    import shapely

    rng = np.random.default_rng(seed)
    main = np.flatnonzero(net.island[net.edge_u] == 0)
    w = net.edge_length[main] / net.edge_length[main].sum()
    pick = rng.choice(main, size=n, replace=False, p=w)
    frac = rng.random(n)
    pts = shapely.line_interpolate_point(net.edge_geometry[pick], frac, normalized=True)
    return shapely.get_coordinates(pts)


def given_points(net: Any, n: int = 200, seed: int = 14) -> Any:
    """``n`` deterministic points on ``net`` as facilities (EPSG:4326).

    The eight components are assigned round-robin (column ``components``), so every
    component has ``n / 8`` sources and the library's own functions take the points as they
    are.
    """
    import geopandas as gpd

    from infra_geo import COMPONENTS

    keys = [c.key for c in COMPONENTS]
    xy = points_on_network(net, n, seed)
    comp = [keys[i % len(keys)] for i in range(n)]
    gdf = gpd.GeoDataFrame(
        {"facility_id": np.arange(n), "component": comp, "components": comp},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=net.crs,
    )
    return gdf.to_crs("EPSG:4326")
