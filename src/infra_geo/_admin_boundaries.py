"""Helpers for OSM administrative boundaries as units (used by :mod:`infra_geo.neighbourhoods`).

Owns explaining why no boundary is found at an ``admin_level``, keeping the boundaries that
overlap an area, and parsing OSM ``population`` tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import EmptyDataError


def _no_level_error(
    label: str, level: int, levels: pd.Series, incomplete: Sequence[str]
) -> EmptyDataError:
    """Return the error for no complete boundary at ``level`` (``levels``: those of the boundaries)."""
    present = sorted({v for v in levels.dropna().tolist() if v}, key=lambda v: (len(v), v))
    msg = f"{label} has no complete administrative boundary at admin_level {level}. "
    if present:
        msg += f"Levels present: {', '.join(present)}."
    else:
        msg += "It holds no complete administrative boundary at any level."
    if incomplete:
        msg += (
            f" {len(incomplete)} boundaries at level {level} reach outside the extract "
            "(use a larger extract that contains them whole)."
        )
    msg += (
        " Choose one of the levels present, or use hex_grid."
        if present
        else " Use neighbourhoods_from_file with a boundary file, or hex_grid."
    )
    return EmptyDataError(msg)


def _overlapping(units: gpd.GeoDataFrame, area: Any, level: int, label: str) -> gpd.GeoDataFrame:
    """Return the ``units`` overlapping ``area`` (more than 0.1 % of their own area)."""
    prepared = area
    shapely.prepare(prepared)
    g = units.geometry.to_numpy()
    hit = shapely.intersects(prepared, g)
    share = np.zeros(len(g))
    if hit.any():
        share[hit] = shapely.area(shapely.intersection(g[hit], area)) / shapely.area(g[hit])
    units = units.loc[share > 1e-3]
    if len(units) == 0:
        raise EmptyDataError(
            f"No boundary at admin_level {level} in {label} overlaps the given area."
        )
    return units


def _parse_osm_population(s: pd.Series) -> pd.Series:
    """OSM ``population`` values (``"5432"``, ``"5,432"``, ``"5 432"``) as float64."""
    t = s.astype("string").str.strip().str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    grouped = t.str.fullmatch(r"\d{1,3}(?:[.,]\d{3})+").fillna(False).astype(bool)
    t = t.mask(grouped, t.str.replace(r"[.,]", "", regex=True))
    v = pd.to_numeric(t, errors="coerce").astype("float64")
    # negative, "inf", "nan", "1e999": not a count of residents (unknown, like a typo)
    return v.mask((v < 0) | ~np.isfinite(v.to_numpy()))
