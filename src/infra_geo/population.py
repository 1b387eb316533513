"""Where people live: population as weighted points.

Three sources, one output: a GeoDataFrame of points (EPSG:4326) with a ``population`` weight,
the ``unit_id`` of the neighbourhood each point belongs to (where known) and its ``source``.

* :func:`population_from_raster` – any GeoTIFF population grid; every cell with people
  becomes a point at its centre carrying the cell's count (exact sums, any CRS).
* :func:`population_from_buildings` – dasymetric mapping: residential buildings from OSM are
  the demand points, weighted by footprint area x number of floors, and each
  neighbourhood's known total (e.g. CBS ``AANT_INW``) is spread over its buildings so that
  the unit sums to its total exactly. A unit with a total but no residential building falls
  back to its streets (below).
* :func:`population_from_streets` – the documented fallback when nothing better is known:
  residents spread uniformly over the length of the unit's walkable streets (points every
  ``spacing_m``); residential streets count, and when a unit has none, every walkable street.

Which buildings house people: ``building`` = house, residential, apartments, detached,
semidetached_house, terrace, bungalow, dormitory, farm, houseboat, static_caravan, cabin,
and ``yes`` when the building carries no non-residential use (amenity, office, tourism,
leisure, healthcare, man_made, public_transport, religion, shop on a single-storey building).
Footprints under ``settings.min_residential_footprint_m2`` (sheds) are left out.
"""

from __future__ import annotations

import logging
import os
import weakref
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._crs import metric_crs_for
from ._deprecate import positional_deprecated
from ._log import log
from ._osm_reader import read_osm
from ._types import PathLike, PolygonLike
from ._validate import as_polygon, as_units, positive
from .components import load_rules
from .errors import (
    CRSError,
    DataFileError,
    InputError,
    OutsideDataError,
    PopulationError,
)
from .network import WalkNetwork

__all__ = [
    "RESIDENTIAL_BUILDINGS",
    "population_from_buildings",
    "population_from_raster",
    "population_from_streets",
    "residential_buildings",
]

RESIDENTIAL_BUILDINGS = (
    "house",
    "residential",
    "apartments",
    "detached",
    "semidetached_house",
    "terrace",
    "bungalow",
    "dormitory",
    "farm",
    "houseboat",
    "static_caravan",
    "cabin",
    "yes",
)
#: tags that make a ``building=yes`` a non-residential building
NON_RESIDENTIAL_USE = (
    "amenity",
    "office",
    "tourism",
    "leisure",
    "healthcare",
    "man_made",
    "public_transport",
    "religion",
)
RESIDENTIAL_STREETS = (
    "residential",
    "living_street",
    "pedestrian",
    "service",
    "footway",
    "path",
    "unclassified",
)


def units_frame(
    neighbourhoods: gpd.GeoDataFrame, *, total_column: str | None = "population"
) -> gpd.GeoDataFrame:
    """Normalise neighbourhood units: ``unit_id``, ``unit_name``, ``population``, geometry, EPSG:4326."""
    u = as_units(neighbourhoods).to_crs("EPSG:4326")
    bad = ~u.geometry.is_valid
    if bad.any():
        u = u.copy()
        u.loc[bad, "geometry"] = shapely.make_valid(u.geometry[bad].to_numpy())
        log(
            f"repaired {int(bad.sum())} invalid neighbourhood polygon(s) with make_valid",
            logging.WARNING,
        )
    out = u.copy()
    if "unit_id" not in out.columns:
        out["unit_id"] = [f"unit-{i + 1}" for i in range(len(out))]
    out["unit_id"] = out["unit_id"].astype("string")
    if out["unit_id"].duplicated().any():
        dup = out["unit_id"][out["unit_id"].duplicated()].iloc[0]
        raise InputError(f"unit_id values must be unique; {dup!r} occurs more than once.")
    if "unit_name" not in out.columns:
        out["unit_name"] = out["name"] if "name" in out.columns else out["unit_id"]
    if total_column is not None and total_column in out.columns:
        vals = pd.to_numeric(out[total_column], errors="coerce").astype("float64")
        vals[vals < 0] = np.nan  # CBS secrecy sentinels (-99999997...) are unknown, not counts
        out["population"] = vals
    elif total_column not in (None, "population"):
        raise InputError(
            f"neighbourhoods has no column {total_column!r}; columns are: {', '.join(map(str, out.columns))}."
        )
    elif "population" not in out.columns:
        out["population"] = np.nan
    return out.reset_index(drop=True)


def residential_buildings(
    source: PathLike | gpd.GeoDataFrame, polygon: PolygonLike | None = None
) -> gpd.GeoDataFrame:
    """Residential building footprints from an OSM extract (EPSG:4326) with a ``weight``.

    ``weight`` = footprint area in m2 x ``building:levels`` (1 when untagged).
    """
    if isinstance(source, gpd.GeoDataFrame):
        return _residential(source, polygon)
    feats = read_osm(source, load_rules().match_keys()).features
    if polygon is not None:
        return _residential(feats, polygon)
    # the file's read is cached, and so are its buildings: analyse asks for them twice (to
    # estimate a total, then to place it); a copy each time, the cache stays as it was made.
    # The footprint setting is part of the key: a changed setting filters again
    minimum = settings.min_residential_footprint_m2
    hit = _BUILDINGS.get(id(feats))
    if hit is None or hit[0]() is not feats or hit[1] != minimum:
        if hit is None or hit[0]() is not feats:
            weakref.finalize(feats, _BUILDINGS.pop, id(feats), None)
        hit = _BUILDINGS[id(feats)] = (weakref.ref(feats), minimum, _residential(feats, None))
    return hit[2].copy()


#: :func:`residential_buildings` of a file's features (``read_osm``'s cached frame), by its
#: id: (the features, the footprint minimum they were filtered with, the buildings); an entry
#: goes with its features (``read_osm``'s cache, which ``analyse`` clears when its job is read)
_BUILDINGS: dict[int, tuple[weakref.ref[Any], float, gpd.GeoDataFrame]] = {}


def _residential(feats: gpd.GeoDataFrame, polygon: PolygonLike | None) -> gpd.GeoDataFrame:
    """Return :func:`residential_buildings` of OSM features ``feats``."""
    if "building" not in feats.columns or len(feats) == 0:
        return gpd.GeoDataFrame(
            {"weight": pd.Series(dtype=float)}, geometry=gpd.GeoSeries([], crs="EPSG:4326")
        )
    feats = feats.to_crs("EPSG:4326") if feats.crs is not None else feats.set_crs("EPSG:4326")
    geom = feats.geometry.to_numpy()
    is_area = np.isin(shapely.get_type_id(geom), (3, 6))
    b = feats["building"].astype("string")
    res = b.isin(RESIDENTIAL_BUILDINGS).to_numpy(dtype=bool) & is_area
    use = np.zeros(len(feats), dtype=bool)
    for k in NON_RESIDENTIAL_USE:
        if k in feats.columns:
            use |= feats[k].notna().to_numpy()
    res &= ~((b == "yes").fillna(False).to_numpy(dtype=bool) & use)
    blds = feats.loc[
        res,
        [c for c in ("osm_type", "osm_id", "building", "building:levels") if c in feats.columns]
        + ["geometry"],
    ]
    if polygon is not None:
        blds = blds.loc[blds.intersects(as_polygon(polygon))]
    if len(blds) == 0:
        return gpd.GeoDataFrame(
            {"weight": pd.Series(dtype=float)}, geometry=gpd.GeoSeries([], crs="EPSG:4326")
        )
    metric = metric_crs_for(shapely.box(*blds.total_bounds))
    area = blds.geometry.to_crs(metric).area.to_numpy()
    levels = (
        pd.to_numeric(blds["building:levels"], errors="coerce").to_numpy(dtype=float)
        if "building:levels" in blds.columns
        else np.full(len(blds), np.nan)
    )
    levels = np.where(np.isfinite(levels) & (levels >= 1) & (levels <= 100), levels, 1.0)
    out = blds.copy()
    out["footprint_m2"] = area
    out["weight"] = area * levels
    out = out.loc[area >= settings.min_residential_footprint_m2]
    return out.reset_index(drop=True)


def assign_units(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> np.ndarray:
    """Row position of the unit containing each point (-1 outside every unit).

    Parameters
    ----------
    points : GeoDataFrame
        Points, in the CRS of ``units``.
    units : GeoDataFrame
        Unit polygons.

    Returns
    -------
    ndarray of int
        Per point the row position in ``units``; a point on a shared border goes to the
        first unit.
    """
    pts = points.geometry.to_numpy()
    tree = shapely.STRtree(units.geometry.to_numpy())
    pi, ui = tree.query(pts, predicate="intersects")
    out = np.full(len(pts), -1, dtype=np.int64)
    # a point on a shared border goes to the first unit (deterministic)
    order = np.lexsort((ui, pi))
    pi, ui = pi[order], ui[order]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    out[pi[first]] = ui[first]
    return out


def _spread(weights: np.ndarray, unit: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Scale weights so each unit's points sum to its total (vectorised)."""
    n_units = len(totals)
    ok = unit >= 0
    wsum = np.bincount(unit[ok], weights=weights[ok], minlength=n_units)
    out = np.zeros(len(weights))
    share = np.divide(weights[ok], wsum[unit[ok]], out=np.zeros(ok.sum()), where=wsum[unit[ok]] > 0)
    out[ok] = share * np.nan_to_num(totals)[unit[ok]]
    return out


@positional_deprecated(2, ("total_column", "total", "streets"))
def population_from_buildings(
    source: PathLike | gpd.GeoDataFrame,
    neighbourhoods: gpd.GeoDataFrame | None = None,
    *,
    total_column: str | None = "population",
    total: float | None = None,
    streets: WalkNetwork | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Residents placed in residential buildings (dasymetric mapping).

    Parameters
    ----------
    source : path or GeoDataFrame
        An OSM extract (the buildings are read from it) or a GeoDataFrame of OSM features
        with a ``building`` column.
    neighbourhoods : GeoDataFrame, optional
        Units with known totals (``total_column``); each unit's total is spread over the
        residential buildings inside it in proportion to floor area, so it is conserved.
    total_column : str
        Column of ``neighbourhoods`` holding residents (CBS ``AANT_INW`` becomes
        ``population`` in :func:`infra_geo.neighbourhoods_from_file`). Negative values
        (CBS secrecy codes) and NaN mean unknown.
    total : float, optional
        One total for the whole area (used when no unit total is known, e.g. a municipality's
        population spread over all its buildings).
    streets : WalkNetwork or GeoDataFrame of lines, optional
        Streets for units that have a total but no residential building; by default the
        walkable streets of ``source`` when it is a file.

    Returns
    -------
    GeoDataFrame
        Points (EPSG:4326): ``unit_id``, ``population``, ``source`` ("building" or
        "street"), ``footprint_m2``, ``osm_id``, ``estimated``. Each unit with a known total
        sums to it. A unit whose total is unknown (NaN, CBS secret) while other units' totals
        are known gets, where it has residential buildings, an *estimate*: their floor area
        / ``settings.floor_m2_per_resident`` (``estimated`` True); without homes it gets
        nothing (its population stays unknown).

    Raises
    ------
    PopulationError
        No total is known at all (no ``total``, no unit total), or a total cannot be placed
        because the unit has neither buildings nor streets.
    InputError
        A negative ``total``; a missing ``total_column``.

    Examples
    --------
    On the embedded sample (no population per unit there: spread a total):

    >>> import infra_geo as ig
    >>> path = ig.sample_path()
    >>> cells = ig.hex_grid(ig.data_extent(path), size_m=250)
    >>> pop = ig.population_from_buildings(path, cells, total=5000)
    >>> round(float(pop["population"].sum())), pop.crs.to_epsg()
    (5000, 4326)
    """
    if total is not None:
        total = positive(total, "total", allow_zero=True)
    blds = residential_buildings(source)
    pts_geom = (
        shapely.point_on_surface(blds.geometry.to_numpy()) if len(blds) else np.zeros(0, object)
    )
    if neighbourhoods is None:
        if total is None:
            raise PopulationError(
                "No population total is known: pass neighbourhoods with a population column "
                "or total= (the number of residents in the area)."
            )
        if len(blds) == 0:
            raise PopulationError("No residential building in the source to place residents in.")
        w = blds["weight"].to_numpy()
        pop = w / w.sum() * total
        return gpd.GeoDataFrame(
            {
                "unit_id": pd.array([pd.NA] * len(blds), dtype="string"),
                "population": pop,
                "source": pd.array(["building"] * len(blds), dtype="string"),
                "footprint_m2": blds["footprint_m2"].to_numpy(),
                "osm_id": blds["osm_id"].to_numpy() if "osm_id" in blds.columns else -1,
            },
            geometry=pts_geom,
            crs="EPSG:4326",
        )
    units = units_frame(neighbourhoods, total_column=total_column)
    totals = units["population"].to_numpy(dtype=float)
    known = np.isfinite(totals)
    if not known.any():
        if total is None:
            raise PopulationError(
                f"No unit has a known population in {total_column!r} (all unknown or secret): "
                "pass total= for the whole area, or a population raster."
            )
        # one total over all buildings inside the units: weight share per unit
        pts = gpd.GeoDataFrame(geometry=pts_geom, crs="EPSG:4326")
        unit = assign_units(pts, units)
        w = np.where(unit >= 0, blds["weight"].to_numpy(), 0.0)
        if w.sum() <= 0:
            raise PopulationError("No residential building lies inside the neighbourhoods.")
        pop = w / w.sum() * total
        return _points(units, unit, pop, pts_geom, "building", blds)
    pts = gpd.GeoDataFrame(geometry=pts_geom, crs="EPSG:4326")
    unit = assign_units(pts, units) if len(pts) else np.zeros(0, np.int64)
    bw = blds["weight"].to_numpy() if len(blds) else np.zeros(0)
    pop = _spread(bw, unit, totals)
    # a unit whose total is unknown (secret, missing) but which has homes in the data gets an
    # estimate from their floor area, flagged ``estimated``: unknown is never counted as 0
    est = (unit >= 0) & ~known[np.maximum(unit, 0)]
    pop = np.where(est, bw / settings.floor_m2_per_resident, pop)
    out = [_points(units, unit, pop, pts_geom, "building", blds, estimated=est)]
    have = np.zeros(len(units), dtype=bool)
    have[unit[unit >= 0]] = True
    need = np.flatnonzero(known & ~have & (np.nan_to_num(totals) > 0))
    if len(need):
        out.append(_on_streets(units, need, source, streets))
    unknown = int((~known).sum())
    if unknown:
        n_est = len(np.unique(unit[est]))
        log(
            f"{unknown} unit(s) have an unknown population (secret or missing): {n_est} with "
            "homes in the data get an estimate from residential floor area "
            f"({settings.floor_m2_per_resident:g} m2 per resident, flagged estimated), the "
            f"other {unknown - n_est} get no residents (population unknown)",
            logging.WARNING,
        )
    res = pd.concat(out, ignore_index=True)
    res["estimated"] = res["estimated"].astype("boolean").fillna(False).astype(bool)
    return gpd.GeoDataFrame(res, geometry="geometry", crs="EPSG:4326")


def _on_streets(
    units: gpd.GeoDataFrame, need: np.ndarray, source: Any, streets: Any
) -> gpd.GeoDataFrame:
    """Residents of the units ``need`` (a total, no residential building) on their streets."""
    if streets is None and not isinstance(source, gpd.GeoDataFrame):
        from .network import walk_network_from_file

        streets = walk_network_from_file(source)
    if streets is None:
        raise PopulationError(
            f"{len(need)} unit(s) have residents but no residential building "
            f"(e.g. {units['unit_id'].iloc[need[0]]}); pass streets= to spread them over streets."
        )
    sub = units.iloc[need]
    on_streets = population_from_streets(streets, sub, total_column="population")
    lost = sub.loc[~sub["unit_id"].isin(on_streets["unit_id"])]
    if len(lost):
        log(
            f"{len(lost)} unit(s) have residents but neither residential buildings nor streets "
            f"in the data (e.g. {lost['unit_id'].iloc[0]}): their "
            f"{lost['population'].sum():,.0f} residents cannot be placed (outside the data?)",
            logging.WARNING,
        )
    log(
        f"{len(need)} unit(s) with residents but no residential building: spread over their streets",
        logging.WARNING,
    )
    return on_streets


def _points(units, unit, pop, geom, source, blds, estimated=None) -> gpd.GeoDataFrame:
    keep = (unit >= 0) & (pop > 0)
    uid = units["unit_id"].to_numpy(dtype=object)
    est = np.zeros(len(keep), bool) if estimated is None else np.asarray(estimated, bool)
    return gpd.GeoDataFrame(
        {
            "unit_id": pd.array(uid[unit[keep]], dtype="string"),
            "population": pop[keep],
            "source": pd.array([source] * int(keep.sum()), dtype="string"),
            "footprint_m2": blds["footprint_m2"].to_numpy()[keep] if len(blds) else np.zeros(0),
            "osm_id": blds["osm_id"].to_numpy()[keep] if "osm_id" in blds.columns else -1,
            "estimated": est[keep],
        },
        geometry=np.asarray(geom)[keep],
        crs="EPSG:4326",
    )


@positional_deprecated(2, ("total_column", "spacing_m"))
def population_from_streets(
    streets: WalkNetwork | gpd.GeoDataFrame,
    neighbourhoods: gpd.GeoDataFrame,
    *,
    total_column: str | None = "population",
    spacing_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """Residents spread uniformly over the streets of each unit (the fallback).

    Parameters
    ----------
    streets : WalkNetwork or GeoDataFrame of LineStrings
        The streets (a network's edges, with their ``highway`` tag when known).
    neighbourhoods : GeoDataFrame
        Units with a total in ``total_column``. A unit whose total is unknown (NaN, a CBS
        secrecy code) gets no residents when any unit's total is known: unknown is not a
        count. Only when no total is known at all does every unit get weights equal to its
        street metres (a relative proxy), marked ``source="street-length"``.
    spacing_m : float
        Distance between the points along a street.

    Returns
    -------
    GeoDataFrame
        Points (EPSG:4326) with ``unit_id``, ``population``, ``source``.
    """
    spacing = positive(spacing_m, "spacing_m")
    if isinstance(streets, WalkNetwork):
        lines = streets.edges[["highway", "geometry"]]
    elif isinstance(streets, gpd.GeoDataFrame):
        lines = streets
    else:
        raise InputError("streets must be a WalkNetwork or a GeoDataFrame of lines.")
    units = units_frame(neighbourhoods, total_column=total_column)
    metric = (
        lines.crs
        if lines.crs is not None and lines.crs.is_projected
        else metric_crs_for(shapely.box(*units.total_bounds))
    )
    lines_m = lines.to_crs(metric)
    units_m = units.to_crs(metric)
    pieces_idx, unit_idx = shapely.STRtree(lines_m.geometry.to_numpy()).query(
        units_m.geometry.to_numpy(), predicate="intersects"
    )[::-1]
    if len(pieces_idx) == 0:
        raise PopulationError("No street lies inside the neighbourhoods: cannot place residents.")
    clipped = shapely.intersection(
        lines_m.geometry.to_numpy()[pieces_idx], units_m.geometry.to_numpy()[unit_idx]
    )
    hw = (
        lines_m["highway"].astype("string").fillna("").to_numpy(dtype=object)[pieces_idx]
        if "highway" in lines_m.columns
        else None
    )
    resid = np.isin(hw, RESIDENTIAL_STREETS) if hw is not None else np.ones(len(pieces_idx), bool)
    # per unit: residential streets if it has any, else all streets
    has_res = np.bincount(unit_idx[resid], minlength=len(units)) > 0
    use = resid | ~has_res[unit_idx]
    clipped, unit_idx = clipped[use], unit_idx[use]
    dense = shapely.segmentize(clipped, spacing)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    # weight of a vertex: half of each adjacent segment's length
    seg = np.r_[np.hypot(*np.diff(coords, axis=0).T), 0.0]
    same = np.r_[which[1:] == which[:-1], False]
    seg = np.where(same, seg, 0.0)
    w = 0.5 * (seg + np.r_[0.0, seg[:-1]])
    unit = unit_idx[which]
    totals = units["population"].to_numpy(dtype=float)
    known = np.isfinite(totals)
    if known.any():
        # unknown totals (secret, missing) stay unknown: no residents invented for them
        pop = np.where(known[unit], _spread(w, unit, totals), 0.0)
        if not known.all():
            log(
                f"{int((~known).sum())} unit(s) have an unknown population (secret or missing): "
                "they get no residents"
            )
    else:
        pop = w
    keep = pop > 0
    pts = gpd.GeoSeries(shapely.points(coords[keep]), crs=metric).to_crs("EPSG:4326")
    src = np.where(known[unit[keep]], "street", "street-length")
    return gpd.GeoDataFrame(
        {
            "unit_id": pd.array(
                units["unit_id"].to_numpy(dtype=object)[unit[keep]], dtype="string"
            ),
            "population": pop[keep],
            "source": pd.array(src, dtype="string"),
            "footprint_m2": np.zeros(int(keep.sum())),
            "osm_id": np.full(int(keep.sum()), -1, dtype=np.int64),
        },
        geometry=pts.to_numpy(),
        crs="EPSG:4326",
    )


#: largest raster (width x height) population_from_raster reads: 8 bytes a cell in memory
MAX_RASTER_CELLS = 100_000_000


@positional_deprecated(2, ("band",))
def population_from_raster(  # noqa: C901 - a flat sequence of input checks; split pending
    path: PathLike, area: PolygonLike | None = None, *, band: int = 1
) -> gpd.GeoDataFrame:
    """Read population points from a GeoTIFF grid (e.g. CBS vierkantstatistieken, WorldPop, GHS-POP).

    Every cell with a positive count becomes a point at the cell centre carrying that count,
    so sums are exact whatever the raster's CRS; the points are returned in EPSG:4326.

    Parameters
    ----------
    path : path-like
        A raster rasterio can read, with a CRS. Nodata and negative values (CBS secrecy
        codes such as -99997) are unknown, not people.
    area : polygon, GeoDataFrame or GeoSeries, optional
        Keep only cells whose centre lies inside (EPSG:4326 unless the frame says otherwise).
    band : int
        Band to read (1-based).

    Returns
    -------
    GeoDataFrame
        Points: ``population``, ``source`` = "raster", EPSG:4326.

    Raises
    ------
    DataFileError
        Missing, empty or unreadable file.
    CRSError
        The raster has no CRS.
    OutsideDataError
        ``area`` does not overlap the raster.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise InputError(f"path must be a raster file path, got {type(path).__name__}.")
    if isinstance(band, bool) or not isinstance(band, (int, np.integer)):
        raise InputError(f"band must be a whole number (1-based), got {band!r}.")
    p = os.fspath(path)
    if os.path.isdir(p):
        raise DataFileError(f"Population raster {p} is a folder; pass a GeoTIFF file.")
    if not os.path.isfile(p):
        raise DataFileError(f"Population raster {p} does not exist.")
    if os.path.getsize(p) == 0:
        raise DataFileError(f"Population raster {p} is empty (0 bytes).")
    try:
        with rasterio.open(p) as src:
            if src.crs is None:
                raise CRSError(
                    f"Population raster {p} has no CRS; set one (e.g. with gdal_edit.py -a_srs)."
                )
            if not 1 <= band <= src.count:
                raise InputError(f"band must be 1..{src.count} for {p}, got {band}.")
            cells = src.width * src.height
            if cells > MAX_RASTER_CELLS:
                raise DataFileError(
                    f"Population raster {p} declares {src.width:,} x {src.height:,} = "
                    f"{cells:,} cells, more than {MAX_RASTER_CELLS:,} (it would need about "
                    f"{cells * 8 / 2**30:,.0f} GiB of memory). Clip it to your area first, "
                    "e.g. gdalwarp -te WEST SOUTH EAST NORTH in.tif clipped.tif."
                )
            data = src.read(band, masked=True).astype("float64")
            transform, crs = src.transform, src.crs
    except RasterioIOError as exc:
        raise DataFileError(f"Could not read the population raster {p}: {exc}.") from None
    vals = data.filled(np.nan)
    if np.isinf(vals).any():
        raise PopulationError(
            f"Population raster {p} has {int(np.isinf(vals).sum())} infinite cell(s); a cell "
            "must hold a finite count (or nodata). Fix the raster."
        )
    negative = np.isfinite(vals) & (vals < 0)
    if negative.any():
        log(f"{int(negative.sum())} raster cells hold negative codes (unknown/secret): left out")
    rows, cols = np.nonzero(np.isfinite(vals) & (vals > 0))
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    pts = gpd.GeoSeries(shapely.points(np.asarray(xs), np.asarray(ys)), crs=crs).to_crs("EPSG:4326")
    out = gpd.GeoDataFrame(
        {
            "population": vals[rows, cols],
            "source": pd.array(["raster"] * len(rows), dtype="string"),
        },
        geometry=pts.to_numpy(),
        crs="EPSG:4326",
    )
    if area is not None:
        poly = as_polygon(area)
        inside = out.within(poly).to_numpy()
        if len(out) and not inside.any():
            raster_box = gpd.GeoSeries([shapely.box(*out.total_bounds)], crs="EPSG:4326").iloc[0]
            if not raster_box.intersects(poly):
                raise OutsideDataError(f"The area does not overlap the population raster {p}.")
        out = out.loc[inside].reset_index(drop=True)
    if len(out) == 0:
        log(f"The population raster {p} holds no people in the area.", logging.WARNING)
    return out
