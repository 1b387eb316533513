"""Resident placement and accounting helpers shared by the gap table and the uncovered areas.

Owns how population points are chosen when none are given (spread over the streets of each
unit) and how the residents that could not be counted are reported in the log.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np

from ._log import log
from ._validate import as_population
from .network import WalkNetwork
from .population import population_from_streets


def _population_points(
    net: WalkNetwork, units: gpd.GeoDataFrame, population: Any
) -> gpd.GeoDataFrame:
    if population is None:
        log(
            "no population given: residents are spread uniformly over the streets of each unit "
            "(pass population_from_buildings or _from_raster for a better estimate)",
            logging.WARNING,
        )
        return population_from_streets(net, units)
    return as_population(population)


def _log_accounting(gdf: gpd.GeoDataFrame) -> None:
    n_partial = int(gdf["partial"].sum())
    if n_partial:
        log(
            f"{n_partial} neighbourhood(s) lie only partly inside the data (edge effect): only "
            "their inside part's residents are placed; flagged partial and not ranked"
        )
    if gdf.attrs.get("weighting") == "street-length":
        log(
            "no population known: shares are weighted by street length, not residents; no "
            "residents count is reported",
            logging.WARNING,
        )
        return
    for col, what in (
        ("residents_outside_data", "live in the parts of partial units outside the data"),
        ("unplaced", "have no building or street in the data to be placed on"),
    ):
        v = float(np.nansum(gdf[col].to_numpy(dtype=float)))
        if v > 0.5:
            log(f"{v:,.0f} residents {what}: column {col}", logging.WARNING)
    n_unknown = int(gdf["population_unknown"].sum())
    if n_unknown:
        log(
            f"{n_unknown} neighbourhood(s) have an unknown population and no home in the data to "
            "estimate it from: column population_unknown",
            logging.WARNING,
        )
    n_prob = int(gdf["data_problem"].sum())
    if n_prob:
        log(
            f"{n_prob} neighbourhood(s) have most residents on network pieces cut off from the "
            "rest or unplaced: flagged data_problem, not ranked",
            logging.WARNING,
        )
