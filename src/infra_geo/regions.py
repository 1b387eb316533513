"""Many regions at once on Dask: :func:`analyse_regions` and the :class:`RegionsResult` it returns.

One OSM file (a province, a country) is analysed region by region (municipalities, wijken)
on a ``dask.distributed`` cluster, and the regions' gap tables are merged into one:

1. **Plan** (here, in the calling process): the regions, the data extent of the *whole* file,
   the units of the gap table built once for the whole file and assigned to exactly one
   region each, each region's area widened by a buffer that holds every walk within the
   largest threshold (see :mod:`infra_geo._regions_plan`), and what each region's manifest
   must say for it to be skipped.
2. **Split** (the first task of the graph, on a worker): the file is cut once into one
   extract per region to run (:mod:`infra_geo._split`).
3. **Regions** (one task per region): :func:`infra_geo.analyse` on the region's extract with
   its units and the whole extent, saved atomically in ``<out>/regions/<key>/`` with
   ``manifest.json`` written last (:mod:`infra_geo._regions_task`).
4. **Merge** (here): ``<out>/merged/`` gets ``gaps.parquet`` (GeoParquet), ``gaps.gpkg``, an
   overview ``map.html`` and ``summary.md``, as one set (:mod:`infra_geo._regions_merge`).

Re-running the same batch skips the regions whose manifest matches (same input file hash,
units, settings, infra_geo version), so a killed batch finishes where it stopped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _regions_plan as plan
from . import _types, settings
from ._log import log
from ._regions_merge import MERGED_FILES, merged_gaps, write_merged
from ._regions_task import MANIFEST, read_json, region_task, split_task
from ._validate import minutes_tuple, positive
from .errors import DataFileError, EmptyDataError, InputError

__all__ = ["MERGED_FILES", "RegionsResult", "analyse_regions", "default_buffer_m"]

#: what may lie in a batch's output folder (besides the scratch folders of its swaps)
BATCH_ENTRIES = ("regions", "merged", "extracts")


@dataclass
class RegionsResult:
    """What :func:`analyse_regions` did and wrote.

    Attributes
    ----------
    gaps : GeoDataFrame
        The merged gap table (EPSG:4326): every unit of every completed region, with
        ``region_key`` and ``region_name``; ranks over all units.
    regions : GeoDataFrame
        One row per region: ``region_key``, ``region_id``, ``region_name``, ``status``
        ("done", "skipped": complete from an earlier run with the same inputs, "failed",
        "empty": no unit belongs to it), ``reason`` (why it failed or is empty), ``units``,
        ``seconds`` and the region's geometry.
    units : GeoDataFrame
        Every unit built for the whole file, with its ``region_key`` (missing: in no region).
    units_outside : GeoDataFrame
        The units that lie in no region (not in ``gaps``; named in ``summary.md``).
    extent : shapely Polygon or MultiPolygon
        Where the data is complete (EPSG:4326), used by every region's run.
    buffer_m : float
        The buffer around each region (metres).
    paths : dict
        ``merged/`` file name -> path, and ``"regions"`` -> the folder of the regions' outputs.
    dashboard_link : str or None
        The Dask dashboard of the cluster the batch ran on, when it had one.
    dropped_regions : list of str
        Regions read from the OSM file (``admin:LEVEL``) that lie wholly outside its data.
    """

    gaps: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    units_outside: gpd.GeoDataFrame
    extent: shapely.Geometry
    buffer_m: float
    paths: dict[str, Path] = field(default_factory=dict)
    dashboard_link: str | None = None
    dropped_regions: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the number of regions per status (``done``, ``skipped``, ``failed``, ``empty``)."""
        got = self.regions["status"].value_counts()
        return {s: int(got.get(s, 0)) for s in ("done", "skipped", "failed", "empty")}


def analyse_regions(  # noqa: PLR0913 - public entry point: data args + keyword options
    osm_file: _types.PathLike,
    regions: gpd.GeoDataFrame | _types.PathLike = "admin:8",
    *,
    neighbourhoods: _types.UnitsLike | None = None,
    population: _types.PathLike | None = None,
    out: _types.PathLike = "infra_geo_regions",
    client: object | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | float | None = None,
    minutes: float | Iterable[float] = (5, 10, 15),
    speed_kmh: float | None = None,
    lang: str = "nl",
    walk_profile: str | None = None,
    extent: _types.ExtentLike | None = None,
    buffer_m: float | None = None,
    regions_layer: str | int | None = None,
    retries: int = 2,
    progress: Callable[[str, str], None] | None = None,
    progress_total: Callable[[int], None] | None = None,
) -> RegionsResult:
    """Analyse many regions of one OSM file on a Dask cluster and merge their gap tables.

    Parameters
    ----------
    osm_file : path-like
        The OSM extract holding every region (e.g. a province or the Netherlands).
    regions : GeoDataFrame, path or "admin:LEVEL"
        The regions (default "admin:8", the municipalities in the file): polygons in any CRS
        (a CBS gemeenten or wijken layer: ``GM_CODE``/``GM_NAAM`` or ``WK_CODE``/``WK_NAAM``
        are recognised, as for buurten), or administrative boundaries of that OSM level in
        the file (those wholly outside its data are left out and named). They must not
        overlap, be empty or invalid, and (when given) must all lie in the data.
    neighbourhoods : GeoDataFrame, path, "admin:LEVEL" or "hex:SIZE", optional
        The units of the gap table, as for :func:`~infra_geo.analyse` (default "hex:500"),
        built once for the whole file (a hexagon grid over the whole data extent). Each unit
        belongs to one region: the one holding its representative point, else the one it
        overlaps most; units in no region are reported (``units_outside``, ``summary.md``).
    population : path, optional
        A population GeoTIFF; default residents in residential buildings, scaled to the
        units' totals, or estimated from floor area (the whole run's rate per m2).
    out : path-like
        The batch folder: ``regions/<key>/`` (each region's usual outputs and
        ``manifest.json``), ``merged/`` (``MERGED_FILES``) and ``extracts/`` (while running).
    client : distributed.Client, optional
        Run on this client's cluster (not closed at the end).
    scheduler : str, optional
        Address of a running Dask scheduler (``"tcp://host:8786"``). The workers must see
        ``osm_file`` and ``out`` at the same paths (a shared file system).
    workers : int, optional
        Workers of the ``LocalCluster`` started when neither ``client`` nor ``scheduler`` is
        given (default: the machine's cores); each has 1 thread and ``memory_limit``.
    memory_limit : str or float, optional
        Memory per local worker ("4GB", bytes; default Dask's "auto": the machine's memory
        shared equally).
    minutes, speed_kmh, lang, walk_profile, extent
        As for :func:`~infra_geo.analyse`. ``extent`` (default: derived once from the whole
        file, :func:`~infra_geo.data_extent`) is passed to every region's run.
    buffer_m : float, optional
        Metres added around each region (default :func:`default_buffer_m`: the walking
        distance of the largest threshold plus the street reach plus a safety margin; 1,870 m
        for 15 min at 4.8 km/h), so that facilities across the border count.
    regions_layer : str or int, optional
        The layer of a multi-layer regions file (e.g. "gemeenten" of a CBS GeoPackage).
    retries : int
        How often a region whose task raised an unexpected error (not an input problem) is
        run again. Tasks of a lost worker are rescheduled by the scheduler in any case.
    progress : callable, optional
        Called ``progress(region_key, status)`` as each region completes (once per region,
        skipped and empty ones included).
    progress_total : callable, optional
        Called ``progress_total(n)`` once with the number of regions, after planning and
        before the first ``progress`` call (a progress bar's total).

    Returns
    -------
    RegionsResult

    Raises
    ------
    InfraGeoError
        Bad regions (empty, invalid, overlapping, outside the data, unknown admin level), an
        unreachable scheduler, a bad buffer or any input :func:`~infra_geo.analyse` refuses.

    Examples
    --------
    >>> import infra_geo as ig, geopandas as gpd, shapely, tempfile
    >>> w, s, e, n = ig.data_extent(ig.sample_path()).bounds
    >>> halves = gpd.GeoDataFrame({"name": ["west", "east"]}, crs="EPSG:4326", geometry=[
    ...     shapely.box(w - 0.01, s - 0.01, (w + e) / 2, n + 0.01),
    ...     shapely.box((w + e) / 2, s - 0.01, e + 0.01, n + 0.01)])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     res = ig.analyse_regions(ig.sample_path(), halves, neighbourhoods="hex:250",
    ...                              out=tmp + "/batch", workers=1)
    >>> res.counts(), len(res.gaps) + len(res.units_outside) == len(res.units)
    ({'done': 2, 'skipped': 0, 'failed': 0, 'empty': 0}, True)
    """
    opts = _check_options(
        osm_file, out, client, scheduler, workers, minutes, speed_kmh, lang, buffer_m, retries
    )
    opts["memory_limit"] = memory_limit
    if population is not None and not Path(population).is_file():
        raise DataFileError(f"population raster {population} does not exist.")
    src, out_dir, mins, speed = opts["src"], opts["out"], opts["minutes"], opts["speed"]
    planned = _plan(src, regions, neighbourhoods, extent, mins, speed, buffer_m, regions_layer)
    job = _job(src, out_dir, planned, mins, speed, lang, walk_profile, population)
    status = _skipped(planned, job, out_dir)
    todo = [k for k in planned["regions"]["region_key"] if k not in status]
    if progress_total is not None:
        progress_total(len(planned["regions"]))
    for key in status:
        if progress is not None:
            progress(key, status[key]["status"])
    link = None
    if todo:
        areas = plan.buffered_areas(
            planned["regions"].loc[planned["regions"]["region_key"].isin(todo)],
            planned["units"].loc[planned["units"]["region_key"].isin(todo)],
            planned["buffer_m"],
            planned["metric"],
        )
        link = _run(todo, areas, planned, job, opts, status, progress)
    if all(s["status"] != "failed" for s in status.values()):
        shutil.rmtree(out_dir / "extracts", ignore_errors=True)
    return _merge(out_dir, planned, status, job, lang, link)


def default_buffer_m(
    *, minutes: float | Iterable[float] = (5, 10, 15), speed_kmh: float | None = None
) -> float:
    """Return the default buffer around each region, in metres.

    The walking distance of the largest threshold, plus twice ``settings.snap_tolerance_m``
    (a resident reaches a street, and a point facility is attached to one, up to that far),
    plus ``settings.catchment_buffer_m`` (the street front), plus a safety margin of 10 % of
    the walking distance (at least 100 m). A walk of the largest threshold never leaves it:
    a walking route is never shorter than the straight line.

    Examples
    --------
    >>> from infra_geo.regions import default_buffer_m
    >>> default_buffer_m(minutes=(5, 10, 15), speed_kmh=4.8)  # 1200 + 2 x 250 + 50 + 120
    1870.0
    """
    mins = minutes_tuple(minutes)
    speed = positive(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh, "speed_kmh")
    return plan.default_buffer_m(mins, speed)


def _check_options(  # noqa: PLR0913 - the options analyse_regions checks before any work
    osm_file: Any,
    out: Any,
    client: Any,
    scheduler: Any,
    workers: Any,
    minutes: Any,
    speed_kmh: Any,
    lang: Any,
    buffer_m: Any,
    retries: Any,
) -> dict[str, Any]:
    """Check every option before the long work; return the checked values."""
    if not isinstance(osm_file, (str, os.PathLike)) or not Path(osm_file).is_file():
        raise DataFileError(f"osm_file {osm_file} does not exist; pass an OSM extract.")
    if lang not in ("nl", "en"):
        raise InputError(f"lang must be 'nl' or 'en', got {lang!r}.")
    if client is not None and scheduler is not None:
        raise InputError("Pass either client or scheduler, not both.")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}.")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InputError(f"retries must be a whole number >= 0, got {retries!r}.")
    if scheduler is not None and (not isinstance(scheduler, str) or ":" not in scheduler):
        raise InputError(
            f"scheduler must be a Dask scheduler address such as 'tcp://10.0.0.5:8786', "
            f"got {scheduler!r}."
        )
    if buffer_m is not None:
        positive(buffer_m, "buffer_m")
    mins = minutes_tuple(minutes)
    speed = positive(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh, "speed_kmh")
    return {
        "src": Path(os.path.abspath(osm_file)),
        "out": _check_batch_out(out),
        "client": client,
        "scheduler": scheduler,
        "workers": workers,
        "retries": retries,
        "minutes": mins,
        "speed": speed,
    }


def _check_batch_out(out: Any, flag: str = "out") -> Path:
    """Return the batch folder (created): new, empty or an earlier batch's; else InputError."""
    from ._outdir import TAG, check_out_dir

    text = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    target = Path(os.path.abspath(text)) if isinstance(text, str) and text.strip() else None
    if target is None or not target.is_dir():
        target = check_out_dir(out, flag=flag)  # path checks; refuses a file; creates it
    else:
        other = sorted(
            p.name
            for p in target.iterdir()
            if p.name not in BATCH_ENTRIES and not (p.name.startswith(".") and TAG in p.name)
        )
        if other:
            raise InputError(
                f"{flag} {out} holds other things than a batch's outputs ({', '.join(other[:3])}"
                f"{', ...' if len(other) > 3 else ''}): choose a new or empty folder as {flag}."
            )
        check_out_dir(target / "merged", flag=flag, outputs=MERGED_FILES, create=False)
    (target / "regions").mkdir(parents=True, exist_ok=True)
    return target


def _plan(
    src: Path,
    regions: Any,
    neighbourhoods: Any,
    extent: Any,
    mins: tuple[float, ...],
    speed: float,
    buffer_m: float | None,
    layer: str | int | None,
) -> dict[str, Any]:
    """Plan the batch in this process (see :mod:`infra_geo._regions_plan`)."""
    from ._crs import metric_crs_for
    from ._inputs import _check_units_in_data, _parse_units_spec, _resolve_units, units_touching
    from .extent import data_extent, read_extent

    kind, value = _parse_units_spec(neighbourhoods)
    if extent is not None:
        ext, ext_source = read_extent(extent), "given by the user (extent=)"
    else:
        try:
            ext = data_extent(src)
        except EmptyDataError as exc:
            raise EmptyDataError(f"{exc} (analyse_regions derives the extent once)") from None
        ext_source = "derived from the data (buildings and street loops)"
    reg, from_osm = plan.read_regions(regions, src, layer=layer)
    reg, dropped = plan.regions_in_data(reg, ext, from_osm=from_osm)
    units = _resolve_units(kind, value, {"file": src}, ext)
    if kind in ("file", "frame"):
        _check_units_in_data(units, ext, src.name)
    units = units_touching(units, ext).reset_index(drop=True)
    if len(units) == 0:
        raise EmptyDataError(
            "No neighbourhood lies in the data: pass units of the area the file covers."
        )
    where = plan.assign_units(units, reg)
    units = units.assign(region_key=reg["region_key"].to_numpy()[where])
    units.loc[where < 0, "region_key"] = None
    if units["region_key"].notna().sum() == 0:
        raise InputError("No neighbourhood lies in any region: pass regions over the units.")
    buf = float(buffer_m) if buffer_m is not None else plan.default_buffer_m(mins, speed)
    outside = units.loc[units["region_key"].isna()]
    if len(outside):
        log(
            f"{len(outside):,} unit(s) lie in no region: left out of the batch, named in summary.md"
        )
    return {
        "regions": reg,
        "dropped": dropped,
        "units": units,
        "outside": outside,
        "extent": ext,
        "extent_source": ext_source,
        "buffer_m": buf,
        "metric": metric_crs_for(ext),
    }


def _job(
    src: Path,
    out_dir: Path,
    planned: dict[str, Any],
    mins: tuple[float, ...],
    speed: float,
    lang: str,
    walk_profile: str | None,
    population: Any,
) -> dict[str, Any]:
    """Return what every region task needs, and the fingerprint its manifest records."""
    snap = plan.settings_snapshot()
    if snap.get("metric_crs") is None:  # every region in the CRS a whole run would use
        snap["metric_crs"] = planned["metric"].to_string()
    job: dict[str, Any] = {
        "minutes": mins,
        "speed_kmh": speed,
        "lang": lang,
        "walk_profile": walk_profile,
        "population": None if population is None else os.path.abspath(population),
        "extent": planned["extent"],
        "settings": snap,
        "out": str(out_dir),
        "source": src.name,
        "input_sha256": plan.file_sha256(src),
    }
    job.update(_estimate_rate(src, planned["units"], population))
    job["fingerprint_settings"] = {
        **{k: job[k] for k in ("minutes", "speed_kmh", "lang", "walk_profile", "population")},
        "population_sha256": plan.file_sha256(Path(population)) if population else None,
        "residents_per_m2": job["residents_per_m2"],
        "extent_wkb": shapely.to_wkb(planned["extent"], hex=True),
        "buffer_m": planned["buffer_m"],
        "settings": snap,
    }
    return job


def _estimate_rate(src: Path, units: gpd.GeoDataFrame, population: Any) -> dict[str, Any]:
    """Return the residents per m2 of floor area a whole run would estimate (no population known).

    A whole run (:func:`infra_geo.analyse`) estimates the residents of the whole file from its
    residential floor area and spreads them over the floor area inside its units; each region
    applies the same rate to its own units, so that the residents equal the whole run's.
    """
    from .analysis import residents_per_m2_floor
    from .population import assign_units, residential_buildings, units_frame

    if population is not None or units_frame(units)["population"].notna().any():
        return {"residents_per_m2": None, "residents_estimated": None}
    blds = residential_buildings(src)
    w = blds["weight"].to_numpy(dtype=float)
    pts = gpd.GeoDataFrame(geometry=shapely.point_on_surface(blds.geometry.to_numpy()), crs=4326)
    where = assign_units(pts, units) if len(blds) else np.zeros(0, dtype=int)
    inside = w[where >= 0].sum() if len(blds) else 0.0
    if inside <= 0:
        return {"residents_per_m2": None, "residents_estimated": None}
    total = float(w.sum() * residents_per_m2_floor)
    # the residents the same rate gives the units in no region (summary.md reports them)
    lost = units["region_key"].isna().to_numpy()[where[where >= 0]]
    outside = float(w[where >= 0][lost].sum() * total / inside)
    return {
        "residents_per_m2": total / inside,
        "residents_estimated": total,
        "residents_outside_regions": outside,
    }


def _outside_residents(outside: gpd.GeoDataFrame, job: dict[str, Any]) -> dict[str, Any]:
    """Return the residents of the units in no region: as given, estimated, or unknown (None)."""
    from .population import units_frame

    facts: dict[str, Any] = {"outside_residents": None, "outside_how": None}
    if len(outside) == 0:
        return {**facts, "outside_residents": 0.0}
    if job.get("population") is not None:
        return {**facts, "outside_how": "raster"}
    pop = units_frame(outside)["population"].to_numpy(dtype=float)
    if np.isfinite(pop).any():
        return {
            "outside_residents": float(np.nansum(pop)),
            "outside_how": "given",
            "outside_unknown_units": int((~np.isfinite(pop)).sum()),
        }
    if job.get("residents_outside_regions") is not None:
        return {"outside_residents": job["residents_outside_regions"], "outside_how": "estimated"}
    return facts


def _region_units(planned: dict[str, Any], key: str) -> gpd.GeoDataFrame:
    units = planned["units"]
    return units.loc[units["region_key"] == key].reset_index(drop=True)


def _skipped(planned: dict[str, Any], job: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Return the regions complete from an earlier run with the same fingerprint (resume)."""
    from ._report import OUTPUT_FILES

    done: dict[str, Any] = {}
    job["manifests"] = {}
    for key in planned["regions"]["region_key"]:
        units = _region_units(planned, key)
        if len(units) == 0:
            why = "no unit has its representative point in this region (see units_outside)"
            done[key] = {"key": key, "status": "empty", "reason": why}
            continue
        fp = plan.fingerprint(job, plan.frame_sha256(units))
        job["manifests"][key] = fp
        folder = out_dir / "regions" / key
        old = read_json(folder / MANIFEST)
        if (
            old is not None
            and all(old.get(k) == v for k, v in fp.items())
            and all((folder / name).is_file() for name in OUTPUT_FILES)
        ):
            done[key] = {"key": key, "status": "skipped", "seconds": old.get("seconds")}
    return done


def _open_client(opts: dict[str, Any]) -> tuple[Any, Any, bool]:
    """Return (client, cluster we started or None, whether we close the client)."""
    from distributed import Client, LocalCluster

    if opts["client"] is not None:
        return opts["client"], None, False
    if opts["scheduler"] is not None:
        try:
            return Client(opts["scheduler"], timeout="10s"), None, True
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"scheduler {opts['scheduler']}: no Dask scheduler could be reached "
                f"({' '.join(str(exc).split())[:160]}). Start one (dask scheduler) or leave "
                "scheduler out to run on this machine."
            ) from None
    import logging

    cluster = LocalCluster(
        n_workers=opts["workers"] or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        memory_limit=opts.get("memory_limit") or "auto",
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    return Client(cluster), cluster, True


def _run(
    todo: list[str],
    areas: dict[str, Any],
    planned: dict[str, Any],
    job: dict[str, Any],
    opts: dict[str, Any],
    status: dict[str, Any],
    progress: Callable[[str, str], None] | None,
) -> str | None:
    """Submit the split and the region tasks, collect their statuses; return the dashboard link."""
    from distributed import as_completed

    client, cluster, owned = _open_client(opts)
    try:
        link = _dashboard(client)
        token = uuid.uuid4().hex[:8]
        stamp = f"{job['input_sha256']}-{plan.areas_sha256(areas)}"
        split = client.submit(
            split_task,
            str(opts["src"]),
            areas,
            str(opts["out"] / "extracts"),
            stamp,
            key=f"infra-geo-split-{token}",
            retries=opts["retries"],
            pure=False,
        )
        # the options (with the extent's outline, megabytes for a country) go once, as a
        # task of their own, so that a lost worker's copy can be made again
        shared = {k: v for k, v in job.items() if k not in ("manifests", "fingerprint_settings")}
        job_f = client.submit(_same, shared, key=f"infra-geo-job-{token}", pure=False)
        futures = {
            client.submit(
                region_task,
                key,
                split,
                _region_units(planned, key),
                job_f,
                job["manifests"][key],
                key=f"infra-geo-region-{key}-{token}",
                retries=opts["retries"],
                pure=False,
            ): key
            for key in todo
        }
        for fut in as_completed(list(futures)):
            key = futures[fut]
            if fut.status == "error":
                exc = fut.exception()
                reason = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
                status[key] = {"key": key, "status": "failed", "reason": reason}
            else:
                status[key] = fut.result()
            if progress is not None:
                progress(key, status[key]["status"])
        return link
    finally:
        if owned:
            client.close()
        if cluster is not None:
            cluster.close()


def _same(value: Any) -> Any:
    """Return ``value`` (a task that holds the batch's options on the cluster)."""
    return value


def _dashboard(client: Any) -> str | None:
    """Return the cluster's dashboard link (logged), or None when it has none."""
    try:
        link = client.dashboard_link
    except (KeyError, AttributeError):
        return None
    if link:
        log(f"Dask dashboard: {link}")
    return link or None


def _merge(
    out_dir: Path,
    planned: dict[str, Any],
    status: dict[str, Any],
    job: dict[str, Any],
    lang: str,
    link: str | None,
) -> RegionsResult:
    """Merge the completed regions and build the result."""
    reg = planned["regions"].copy()
    st = pd.DataFrame(
        [
            status.get(k, {"key": k, "status": "failed", "reason": "not run"})
            for k in reg["region_key"]
        ]
    )
    reg["status"] = st["status"].to_numpy()
    reg["reason"] = st["reason"].to_numpy() if "reason" in st else None
    reg["seconds"] = None
    reg["seconds"] = pd.to_numeric(st["seconds"], errors="coerce") if "seconds" in st else None
    reg["units"] = [int((planned["units"]["region_key"] == k).sum()) for k in reg["region_key"]]
    ok = reg.loc[reg["status"].isin(("done", "skipped")), "region_key"].tolist()
    gaps = merged_gaps(out_dir, reg, ok)
    facts = {
        "source": job["source"],
        "regions": len(reg),
        "done": int((reg["status"] == "done").sum()),
        "skipped": int((reg["status"] == "skipped").sum()),
        "failed": int((reg["status"] == "failed").sum()),
        "empty": reg.loc[reg["status"] == "empty", "region_name"].astype(str).tolist(),
        "units": len(gaps),
        "residents": float(pd.to_numeric(gaps.get("residents"), errors="coerce").sum()),
        "units_outside": planned["outside"]["unit_id"].astype(str).tolist(),
        **_outside_residents(planned["outside"], job),
        "dropped": planned["dropped"],
        "failures": dict(
            zip(
                reg.loc[reg["status"] == "failed", "region_name"].astype(str),
                reg.loc[reg["status"] == "failed", "reason"].astype(str),
                strict=True,
            )
        ),
        "buffer_m": round(planned["buffer_m"]),
        "minutes": sorted(job["minutes"])[len(job["minutes"]) // 2],
    }
    paths: dict[str, Path] = dict(write_merged(out_dir, gaps, reg, facts, lang))
    paths["regions"] = out_dir / "regions"
    return RegionsResult(
        gaps=gaps,
        regions=reg,
        units=planned["units"],
        units_outside=planned["outside"],
        extent=planned["extent"],
        buffer_m=planned["buffer_m"],
        paths=paths,
        dashboard_link=link,
        dropped_regions=planned["dropped"],
    )
