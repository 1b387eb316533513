"""``infra-geo batch``: many regions of one OSM file on Dask (:func:`infra_geo.analyse_regions`).

Flags: ``--osm-file``, ``--regions`` (a polygon file or ``admin:LEVEL``), ``--neighbourhoods``,
``--population``, ``--scheduler`` (a running Dask scheduler) or ``--workers`` (a local
cluster), ``--minutes``, ``--speed-kmh``, ``--lang``, ``--walk-profile``, ``--extent``,
``--buffer-m``, ``--regions-layer``, ``--out``. A progress bar counts the regions; the Dask
dashboard link is printed when there is one. Errors exit 2 with one line naming the flag.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import DataFileError, InfraGeoError, InputError

#: analyse_regions' parameters and the flags that set them (error messages)
FLAGS = {
    "osm_file": "--osm-file",
    "regions": "--regions",
    "neighbourhoods": "--neighbourhoods",
    "population": "--population",
    "scheduler": "--scheduler",
    "workers": "--workers",
    "minutes": "--minutes",
    "speed_kmh": "--speed-kmh",
    "buffer_m": "--buffer-m",
    "extent": "--extent",
    "walk_profile": "--walk-profile",
    "out": "--out",
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``batch`` command and its flags to the ``infra-geo`` parser."""
    b = sub.add_parser(
        "batch",
        help="analyse many regions of one OSM file on Dask and merge them into one gap table",
        description=(
            "Analyse every region (e.g. municipality) of one OSM file on a Dask cluster: each "
            "region with a buffer so facilities across the border count, then one merged "
            "gap table (merged/gaps.parquet, gaps.gpkg), an overview map and summary.md. "
            "Re-running skips regions already complete with the same inputs."
        ),
    )
    b.add_argument("--osm-file", required=True, metavar="F", help="the OSM extract (.osm.pbf)")
    b.add_argument(
        "--regions",
        required=True,
        metavar="F|admin:LEVEL",
        help="regions: a polygon file in any CRS (e.g. CBS gemeenten) or 'admin:8' from the file",
    )
    b.add_argument("--regions-layer", metavar="NAME", help="layer of a multi-layer regions file")
    b.add_argument(
        "--neighbourhoods",
        metavar="F|admin:LEVEL|hex:SIZE",
        help="units of the gap table, built once for the whole file (default hex:500)",
    )
    b.add_argument("--population", metavar="F", help="a population GeoTIFF (any CRS)")
    b.add_argument("--extent", metavar="F", help="a polygon file of where the data is complete")
    b.add_argument(
        "--scheduler", metavar="ADDR", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786"
    )
    b.add_argument(
        "--workers", type=int, metavar="N", help="workers of the local cluster (default: cores)"
    )
    b.add_argument(
        "--buffer-m",
        type=float,
        metavar="M",
        help="metres around each region (default: the largest threshold's walk + margins)",
    )
    b.add_argument("--minutes", default="5,10,15", help="walking-time thresholds (default 5,10,15)")
    b.add_argument("--speed-kmh", type=float, default=None, help="walking speed (default 4.8)")
    b.add_argument("--lang", choices=("nl", "en"), default="nl", help="language (default nl)")
    b.add_argument("--walk-profile", metavar="nl|osmnx|auto", default=None, help="walk profile")
    b.add_argument("--out", default="infra_geo_batch", metavar="DIR", help="the batch folder")
    b.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    b.add_argument("--verbose", action="store_true", help="log every step")


def _check_files(args: argparse.Namespace) -> None:
    """Check the file flags before any work, naming the flag."""
    for flag, value in (
        ("--osm-file", args.osm_file),
        ("--population", args.population),
        ("--extent", args.extent),
    ):
        if value is None:
            continue
        p = Path(value)
        if not value.strip() or p.is_dir() or not p.is_file():
            what = (
                "is empty"
                if not value.strip()
                else ("is a folder" if p.is_dir() else "does not exist")
            )
            raise DataFileError(f"{flag} {value} {what}; pass a file.")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be 1 or more, got {args.workers}.")
    if args.workers is not None and args.scheduler is not None:
        raise InputError("Pass either --scheduler or --workers, not both.")
    if args.buffer_m is not None and not args.buffer_m > 0:
        raise InputError(f"--buffer-m must be a distance in metres > 0, got {args.buffer_m:g}.")


def run(args: argparse.Namespace) -> int:
    """Run ``infra-geo batch``; return the exit code (2 when a region failed)."""
    from tqdm import tqdm

    from .regions import analyse_regions

    _check_files(args)
    bar = tqdm(total=None, disable=True if args.quiet else None, unit="region", desc="regions")

    def total(n: int) -> None:
        bar.total = n
        bar.refresh()

    def progress(key: str, status: str) -> None:
        bar.update(1)
        bar.set_postfix_str(f"{key}: {status}")

    try:
        res = analyse_regions(
            args.osm_file,
            args.regions,
            neighbourhoods=args.neighbourhoods,
            population=args.population,
            out=args.out,
            scheduler=args.scheduler,
            workers=args.workers,
            minutes=args.minutes,
            speed_kmh=args.speed_kmh,
            lang=args.lang,
            walk_profile=args.walk_profile,
            extent=args.extent,
            buffer_m=args.buffer_m,
            regions_layer=args.regions_layer,
            progress=progress,
            progress_total=total,
        )
    except InfraGeoError as exc:
        raise type(exc)(flag_message(str(exc))) from None
    finally:
        bar.close()
    counts = res.counts()
    if not args.quiet:
        if res.dashboard_link:
            print(f"Dask dashboard: {res.dashboard_link}")
        print(
            f"{len(res.regions)} regions: {counts['done']} done, {counts['skipped']} skipped "
            f"(already complete), {counts['failed']} failed, {counts['empty']} without units; "
            f"{len(res.gaps)} units, "
            f"{len(res.units_outside)} outside every region; wrote {args.out}/merged "
            f"({', '.join(p.name for k, p in res.paths.items() if k != 'regions')})"
        )
    if counts["failed"]:
        failed = res.regions.loc[res.regions["status"] == "failed"]
        first = failed.iloc[0]
        print(
            f"infra-geo: error: {counts['failed']} region(s) failed, e.g. {first['region_name']}: "
            f"{first['reason']}; the merged outputs cover the others (see summary.md).",
            file=sys.stderr,
        )
        return 2
    return 0


def flag_message(msg: str) -> str:
    """Rewrite analyse_regions' parameter names in a message as the flags."""
    import re

    msg = " ".join(msg.split())
    for name, flag in sorted(FLAGS.items(), key=lambda kv: -len(kv[0])):
        if "_" in name:  # osm_file, buffer_m...: unambiguous anywhere
            msg = re.sub(rf"(?<![\w-]){name}=?(?![\w-])", flag, msg)
        elif msg.startswith(f"{name} ") or msg.startswith(f"{name}="):
            msg = flag + msg[len(name) :].lstrip("=")
        msg = msg.replace(f"{name}=", f"{flag} ")
    return msg
