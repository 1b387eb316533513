"""Small helpers shared by the unit-table modules (neighbourhoods, CBS tables, hex grid).

Owns: checking an input file exists and an ``admin_level``, cleaning unit polygons to valid (Multi)Polygons, logging a
table's population total, and the short lists used in error messages.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from ._log import log
from .errors import (
    DataFileError,
    InputError,
)

PathLike = str | os.PathLike[str]


def _existing_file(path: Any, what: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"{what} must be a path (str or pathlib.Path), got {type(path).__name__}.")
    p = Path(path)
    if not p.exists():
        raise DataFileError(f"{what} {p} does not exist. Check the path and the file name.")
    if p.is_dir() and p.suffix.lower() != ".gdb":
        raise DataFileError(f"{what} {p} is a folder; pass the file itself.")
    if p.is_file() and p.stat().st_size == 0:
        raise DataFileError(f"{what} {p} is empty (0 bytes); download or export it again.")
    return p


def _clean_polygons(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Repair invalid geometries and keep their polygonal parts.

    Returns the geometries, a mask of rows that hold a non-empty (Multi)Polygon, and the
    number of repaired geometries. A single-part MultiPolygon becomes a Polygon.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    tid = shapely.get_type_id(geoms)
    coll = tid == 7
    if coll.any():
        sub = np.flatnonzero(coll)
        parts, idx = shapely.get_parts(geoms[sub], return_index=True)
        is_poly = np.isin(shapely.get_type_id(parts), (3, 6))
        parts, idx = parts[is_poly], idx[is_poly]
        polys, pidx = shapely.get_parts(parts, return_index=True)
        idx = idx[pidx]
        new = np.full(len(sub), shapely.Polygon(), dtype=object)
        if len(polys):
            groups, inv = np.unique(idx, return_inverse=True)
            new[groups] = shapely.multipolygons(polys, indices=inv)
        geoms[sub] = new
        tid = shapely.get_type_id(geoms)
    keep = np.isin(tid, (3, 6)) & ~shapely.is_empty(geoms)
    keep[keep] = shapely.area(geoms[keep]) > 0
    single = keep & (tid == 6) & (shapely.get_num_geometries(geoms) == 1)
    if single.any():
        geoms[single] = shapely.get_geometry(geoms[single], 0)
    return geoms, keep, int(invalid.sum())


def _log_population(units: gpd.GeoDataFrame, name: str) -> None:
    pop = units["population"]
    unknown = int(pop.isna().sum())
    units.attrs["unknown_population"] = unknown
    log(
        f"{name}: {len(units)} units, {int(pop.sum()):,} residents in {len(units) - unknown} "
        f"units with a known population; unknown (secret or not published) for {unknown}.",
        logging.WARNING if unknown and unknown == len(units) else logging.INFO,
    )


def _examples(values: Iterable[Any], n: int = 5) -> str:
    vals = [str(v) for v in list(values)[: n + 1]]
    more = len(vals) > n
    return ", ".join(vals[:n]) + (", ..." if more else "") if vals else "none"


def _looks_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return all(32 <= b < 127 or b in (9, 10, 13) for b in head)
    return True


def _col_list(cols: Iterable[Any]) -> str:
    return ", ".join(repr(str(c)) for c in cols)


def _admin_level(admin_level: Any) -> int:
    if isinstance(admin_level, bool):
        raise InputError("admin_level must be an integer from 1 to 12, got a bool.")
    try:
        v = float(str(admin_level).strip()) if isinstance(admin_level, str) else float(admin_level)
    except (TypeError, ValueError):
        raise InputError(
            f"admin_level must be an integer from 1 to 12 (8 = municipality in most of Europe), "
            f"got {admin_level!r}."
        ) from None
    if not math.isfinite(v) or not v.is_integer() or not 1 <= v <= 12:
        raise InputError(
            f"admin_level must be an integer from 1 to 12 (8 = municipality in most of Europe), "
            f"got {admin_level!r}."
        )
    return int(v)
