"""``infra-geo scenario``: an analysis, a what-if scenario of it and their comparison.

The command runs :func:`~infra_geo.analyse` with the same options as ``infra-geo analyse``,
then :meth:`Analysis.scenario <infra_geo.Analysis.scenario>` with ``--add``/``--remove``, and
writes the scenario's outputs (``OUTPUT_FILES``) plus ``compare.csv``, ``compare.gpkg`` and
``compare_map.html`` into ``--out`` as one all-or-nothing set (:mod:`infra_geo._outdir`).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from . import _compare_schema
from ._outdir import check_out_dir, clean_stale, kill_point, new_scratch
from ._report import OUTPUT_FILES, _to_gpkg, _why, _write_csv, swap_into
from .errors import DataFileError, InfraGeoError, InputError

if TYPE_CHECKING:
    from .scenarios import Scenario

#: what ``infra-geo scenario`` writes besides the scenario's own outputs
COMPARE_FILES = ("compare.csv", "compare.gpkg", "compare_map.html")
SCENARIO_FILES = OUTPUT_FILES + COMPARE_FILES
#: message prefixes of :func:`infra_geo.scenarios.scenario` and the flags that set them
_PREFIXES = {"add:": "--add:", "add ": "--add ", "remove:": "--remove:", "name ": "--name "}


def add_arguments(a: argparse.ArgumentParser) -> None:
    """Return the scenario's own flags (the analysis flags are ``analyse``'s)."""
    a.add_argument(
        "--add",
        metavar="F",
        help=(
            "new facilities: a vector file in any CRS (GeoJSON, GeoPackage, Shapefile) with a "
            "'component' column (or pass --component) and optionally 'name'"
        ),
    )
    a.add_argument(
        "--remove",
        metavar="IDS",
        help=(
            "facilities to close, comma-separated: facility ids as in facilities.gpkg "
            "(node/123, way/456) or bare OSM numbers that name one facility"
        ),
    )
    a.add_argument("--name", metavar="TEXT", help="the scenario's name (summary, map title)")
    a.add_argument(
        "--component",
        metavar="KEY",
        help="the component of every added facility, when --add has no 'component' column",
    )


def check_arguments(args: argparse.Namespace) -> tuple[gpd.GeoDataFrame | None, list[str] | None]:
    """Read ``--add`` and split ``--remove`` before any long work; errors name the flag."""
    if args.add is None and args.remove is None:
        raise InputError("--add and --remove are both missing: give new facilities and/or ids.")
    remove = None
    if args.remove is not None:
        remove = [p.strip() for p in args.remove.split(",")]
        if not any(remove) or "" in remove:
            raise InputError(
                f"--remove {args.remove!r} has an empty id: give ids separated by commas, "
                "e.g. --remove node/123,way/456."
            )
    add = None
    if args.add is not None:
        p = Path(args.add)
        if not p.is_file():
            what = "is a folder" if p.is_dir() else "does not exist"
            raise DataFileError(f"--add {args.add} {what}; pass a vector file of new facilities.")
        try:
            add = gpd.read_file(p)
        except Exception as exc:  # pyogrio/GDAL raise many kinds
            raise DataFileError(
                f"--add {args.add} could not be read as a vector file ({_why(exc)}); pass a "
                "GeoJSON, GeoPackage or Shapefile."
            ) from None
        if add.crs is None:
            raise InputError(f"--add {args.add} has no CRS: save it with one (e.g. EPSG:4326).")
    return add, remove


def analyse_from_args(args: argparse.Namespace) -> Any:
    """:func:`~infra_geo.analyse` with the analysis flags (as ``infra-geo analyse``, no bar)."""
    from .analysis import analyse

    units = args.neighbourhoods
    if units is None and args.place is None and args.osm_file is None:
        units = "hex:250"  # the sample's default, as infra-geo analyse
    return analyse(
        osm_file=args.osm_file,
        place=args.place,
        neighbourhoods=units,
        population=args.population,
        minutes=args.minutes,
        speed_kmh=args.speed_kmh,
        lang=args.lang,
        total_population=args.total_population,
        walk_profile=args.walk_profile,
        extent=args.extent,
    )


def run_scenario(res: Any, args: argparse.Namespace, add: Any, remove: Any) -> Scenario:
    """``res.scenario(...)`` with the messages naming the flags."""
    try:
        out: Scenario = res.scenario(
            add=add, remove=remove, name=args.name, component=args.component
        )
        return out
    except InfraGeoError as exc:
        msg = " ".join(str(exc).split())
        for prefix, flag in _PREFIXES.items():
            if msg.startswith(prefix):
                msg = flag + msg[len(prefix) :]
                break
        msg = msg.replace("component=", "--component").replace("add=", "--add")
        msg = msg.replace("remove=", "--remove")
        raise type(exc)(msg) from None


def save_with_comparison(
    sc: Scenario, cmp: gpd.GeoDataFrame, out_dir: str, lang: str
) -> dict[str, Path]:
    """Write ``sc``'s outputs and ``cmp`` (its comparison) into ``out_dir``, all or nothing."""
    from .comparison import compare_map

    out = check_out_dir(out_dir, flag="--out", outputs=SCENARIO_FILES)
    clean_stale(out)
    tmp = new_scratch(out)
    try:
        inner = tmp / "result"
        sc.save(inner)
        for p in inner.iterdir():
            p.rename(tmp / p.name)
        inner.rmdir()
        sc._saved_to = None
        base = sc.base
        assert base is not None  # a scenario always has its base
        for name, write in (
            ("compare.csv", lambda p: _write_csv(cmp.drop(columns="geometry"), p)),
            ("compare.gpkg", lambda p: _to_gpkg(cmp, p, "compare")),
            (
                "compare_map.html",
                lambda p: compare_map(base, sc, comparison=cmp, lang=lang).save(str(p)),
            ),
        ):
            kill_point(f"write:{name}")
            try:
                write(tmp / name)
            except (OSError, RuntimeError) as exc:
                raise DataFileError(
                    f"Could not write {name} in {out.parent}: {_why(exc)}. Nothing in {out} was "
                    "changed; free some space or choose another folder."
                ) from None
        kill_point("written")
        tmp = swap_into(tmp, out, sc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: out / name for name in SCENARIO_FILES}


def report_lines(sc: Scenario, cmp: gpd.GeoDataFrame) -> list[str]:
    """Return what the command prints: the scenario note and the residents gaining or losing reach."""
    lines = [sc.notes[-1]]
    for k in sc.changed:
        for m in sc.minutes:
            gain = float(cmp[_compare_schema.compare_column(k, "newly_reached", m)].sum())
            loss = float(cmp[_compare_schema.compare_column(k, "no_longer_reached", m)].sum())
            lines.append(
                f"{k} within {m} min: {gain:,.0f} residents newly within reach, "
                f"{loss:,.0f} no longer"
            )
    return lines
