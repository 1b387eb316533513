"""What runs on a Dask worker in a many-region batch: the split, and one region's analysis.

Both tasks are idempotent (a retry after a lost worker does the same work again and writes the
same files), write atomically, and take plain picklable arguments.

- :func:`split_task` cuts the input once into one extract per region (:mod:`infra_geo._split`)
  and leaves ``split.json`` beside the extracts; a rerun with the same input and areas (e.g.
  after the worker that held the result was lost) returns the paths without cutting again.
- :func:`region_task` runs :func:`infra_geo.analyse` on the region's extract with the region's
  units and the whole file's extent, saves the usual outputs atomically in
  ``regions/<key>/`` (:meth:`Analysis.save`) and writes ``manifest.json`` there LAST: a region
  folder with a manifest is complete.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from . import _schema, settings
from .errors import InfraGeoError

MANIFEST = "manifest.json"
SPLIT_MARK = "split.json"
#: one region analysis at a time per worker process: the settings are module globals
_LOCK = threading.Lock()


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically (a temporary file beside it, flushed, then renamed)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    """Return a JSON file's content, or None when it is absent or unreadable."""
    try:
        out = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return out if isinstance(out, dict) else None


def split_task(osm_file: str, areas: dict[str, Any], out_dir: str, stamp: str) -> dict[str, str]:
    """Cut ``osm_file`` into ``out_dir/<key>.osm.pbf`` per area, once (see module doc)."""
    from ._split import split_extract

    out = Path(out_dir)
    mark = read_json(out / SPLIT_MARK)
    if mark is not None and mark.get("stamp") == stamp:
        paths = {k: str(out / f"{k}.osm.pbf") for k in areas}
        if all(Path(p).is_file() for p in paths.values()):
            return paths
    out.mkdir(parents=True, exist_ok=True)
    (out / SPLIT_MARK).unlink(missing_ok=True)
    written = split_extract(osm_file, areas, out)
    write_json(out / SPLIT_MARK, {"stamp": stamp, "keys": sorted(written)})
    return {k: str(p) for k, p in written.items()}


@contextmanager
def applied_settings(values: dict[str, Any]) -> Iterator[None]:
    """Set infra_geo's settings to the client's for one region, then restore them."""
    with _LOCK:
        old = {k: getattr(settings, k) for k in values if hasattr(settings, k)}
        try:
            for k, v in values.items():
                setattr(settings, k, v)
            yield
        finally:
            for k, v in old.items():
                setattr(settings, k, v)


def region_task(
    key: str,
    extracts: dict[str, str],
    units: gpd.GeoDataFrame,
    job: dict[str, Any],
    manifest: dict[str, Any],
) -> dict[str, Any]:
    """Analyse one region and save it in ``<out>/regions/<key>/``; return its status.

    ``job`` holds the run's options (``minutes``, ``speed_kmh``, ``lang``, ``walk_profile``,
    ``population``, ``extent``, ``settings``, ``out``, ``source``); ``manifest`` is what
    ``manifest.json`` records (the region's fingerprint).
    An :class:`InfraGeoError` (bad data in this region) is a failed region, reported, not
    retried; any other exception propagates so that Dask retries the task.
    """
    start = time.perf_counter()
    folder = Path(job["out"]) / "regions" / key
    (folder / MANIFEST).unlink(missing_ok=True)  # no manifest: not complete
    try:
        with applied_settings(job["settings"]):
            res = _analyse_region(extracts[key], units, job)
            beyond_reach_blanks(res.gaps, res.minutes, res.speed_kmh)
            res.save(folder)
    except InfraGeoError as exc:
        return {"key": key, "status": "failed", "reason": " ".join(str(exc).split())}
    manifest = dict(manifest)
    manifest["seconds"] = round(time.perf_counter() - start, 3)
    manifest["units"] = len(res.gaps)
    manifest["network_nodes"] = res.network.n_nodes
    manifest["worker"] = _worker_name()
    manifest["worker_peak_mib"] = round(_peak_rss_mib(), 1)  # what a memory limit must hold
    write_json(folder / MANIFEST, manifest)
    return {"key": key, "status": "done", "seconds": manifest["seconds"]}


def _worker_name() -> str:
    """Return the Dask worker's address running this task ('' outside a worker)."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return ""


def _peak_rss_mib() -> float:
    """Return this process's peak resident memory so far, MiB (0 where unknown)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _analyse_region(extract: str, units: gpd.GeoDataFrame, job: dict[str, Any]) -> Any:
    """Run :func:`infra_geo.analyse` on one region's extract (population as a whole run has it)."""
    from . import _i18n
    from .analysis import analyse
    from .analysis import residents_per_m2_floor as per_m2
    from .population import assign_units, population_from_buildings, residential_buildings

    population = job["population"]
    note = None
    rate = job.get("residents_per_m2")
    if rate is not None:
        # a whole run estimates residents from the floor area of the whole file, spread over
        # the floor area inside its units: the same rate per m2 (planned once) per region
        blds = residential_buildings(extract)
        pts = gpd.GeoDataFrame(
            geometry=shapely.point_on_surface(blds.geometry.to_numpy()), crs="EPSG:4326"
        )
        inside = assign_units(pts, units) >= 0 if len(pts) else np.zeros(0, bool)
        est = float(blds["weight"].to_numpy()[inside].sum() * rate)
        if est > 0:
            population = population_from_buildings(
                extract, units.drop(columns="population", errors="ignore"), total=est
            )
            population["estimated"] = True
            note = _i18n.note("estimated", total=job["residents_estimated"], m2=1 / per_m2)
    res = analyse(
        extract,
        neighbourhoods=units,
        population=population,
        minutes=job["minutes"],
        speed_kmh=job["speed_kmh"],
        lang=job["lang"],
        walk_profile=job["walk_profile"],
        extent=job["extent"],
    )
    if note is not None:
        res.notes.append(note)
    res.source = job["source"]
    return res


def beyond_reach_blanks(
    gaps: gpd.GeoDataFrame, minutes: tuple[float, ...], speed_kmh: float
) -> None:
    """Blank the figures a region's run cannot know beyond the largest threshold (in place).

    A region is analysed on its area plus a buffer that holds every walk up to the largest
    threshold, so every distance up to it is exact; a longer one may be longer than in a
    whole-country run (the nearest facility may lie beyond the buffer) or missing. Per unit
    and component: ``share``/``reached`` are exact; the mean distance is kept only where
    every resident is within the largest threshold, the 90th percentile where it is within
    it; ``no_path`` and ``unreached`` only where every resident is within reach.
    """
    max_minutes = max(minutes)
    limit = max_minutes * speed_kmh * 1000.0 / 60.0
    from .components import COMPONENTS

    for c in COMPONENTS:
        share = _schema.share(c.key, max_minutes)
        if share not in gaps.columns:
            continue
        full = gaps[share].to_numpy(dtype=float) >= 1.0 - 1e-12
        empty = gaps["residents"].to_numpy(dtype=float) <= 0
        known = full | empty
        for col in (_schema.mean_m(c.key), _schema.column(c.key, "mean_min")):
            gaps[col] = gaps[col].where(known)
        p90 = gaps[_schema.column(c.key, "p90_m")].to_numpy(dtype=float)
        ok = known | (p90 <= limit + 1e-9)
        for col in (_schema.column(c.key, "p90_m"), _schema.column(c.key, "p90_min")):
            gaps[col] = gaps[col].where(ok)
        for col in [_schema.column(c.key, "no_path")] + [
            _schema.unreached(c.key, m) for m in minutes
        ]:
            gaps[col] = gaps[col].where(known)
        gaps[_schema.column(c.key, "reliable")] = (
            gaps[_schema.column(c.key, "reliable")].to_numpy(dtype=bool) & known
        )
    gaps.attrs["beyond_reach_m"] = limit
