"""Neighbourhood gap analysis, weighted by where people live.

For every neighbourhood and component: how many residents reach a facility within the
walking time, how many do not, how far the typical and the worst-served resident walks, how
many facilities lie in the neighbourhood, and how complete the social infrastructure is
overall (how many of the eight components a resident reaches).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._log import log
from ._validate import minutes_tuple, positive
from .accessibility import _node_distances, _point_table, attach_facilities, metres_per_minute
from .components import check_components, component_matrix
from .errors import InputError, PopulationError
from .network import WalkNetwork
from .population import _assign_units, population_from_streets, units_frame

__all__ = ["GAP_COLUMNS_DOC", "gap_analysis", "resident_access", "uncovered_areas"]

GAP_COLUMNS_DOC = """\
unit_id, unit_name        the neighbourhood
residents                 residents placed in the unit (population points inside it)
population_known          the unit's total was known (False: secret/missing, no residents)
data_share                share of the unit's area inside the data (the network's extent)
partial                   data_share < settings.partial_unit_share: edge effect, not ranked
residents_on_islands      residents on a network piece cut off from the main one (or on none)
{c}_facilities            facilities of component c inside the unit (memberships count)
{c}_per_1000              {c}_facilities per 1,000 residents
{c}_mean_m                population-weighted mean walking metres to the nearest facility
                          of c, over residents with a path to one
{c}_p90_m                 90th percentile over all residents (inf if > 10 % have no path)
{c}_no_path               residents with no path to any facility of c
{c}_mean_min, {c}_p90_min the same in minutes at the walking speed
{c}_share_{m}             share of residents within m minutes of c (0..1)
{c}_reached_{m}           residents within m minutes
{c}_unreached_{m}         residents beyond m minutes (reached + unreached = residents)
completeness_{m}          mean number of the eight components a resident reaches in m min
all8_share_{m}            share of residents reaching all eight within m minutes
rank_{m}                  1 = the worst-served unit by completeness_{m} (complete units only)
"""


def _check_net(net: Any) -> None:
    if not isinstance(net, WalkNetwork):
        raise InputError(f"net must be a WalkNetwork, not {type(net).__name__}.")


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
    if not isinstance(population, gpd.GeoDataFrame):
        raise InputError(
            "population must be a GeoDataFrame of points with a 'population' column "
            "(ig.population_from_buildings / population_from_raster)."
        )
    if "population" not in population.columns:
        raise InputError("population has no 'population' column of residents per point.")
    if population.crs is None:
        from .errors import CRSError

        raise CRSError("population has no CRS; set it with .set_crs(...).")
    pop = pd.to_numeric(population["population"], errors="coerce")
    if (pop < 0).any():
        raise PopulationError("population has negative values; residents cannot be negative.")
    if np.isinf(pop.to_numpy(dtype=float)).any():
        raise PopulationError(
            "population has an infinite value; every point needs a finite number of residents."
        )
    return population


def resident_access(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
) -> gpd.GeoDataFrame:
    """Walking metres from every population point to the nearest facility of each component.

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame
        From :func:`infra_geo.facilities_from_file`.
    population : GeoDataFrame
        Points with a ``population`` weight.
    component : str or list, optional
        Component keys (default all eight).
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.

    Returns
    -------
    GeoDataFrame
        The population points (network CRS) with one column of metres per component,
        ``snapped``, ``snap_m`` and ``island`` (0 = the main piece of the network, -1 = not
        attached).
    """
    _check_net(net)
    keys = check_components(component)
    att = attach_facilities(net, facilities, entrances)
    res = _node_distances(net, att, keys)
    pts = population.to_crs(net.crs)
    s = net.snap(pts.geometry)
    table = _point_table(net, att, res, s, keys, pts.index)
    out = pts.join(
        table.drop(columns=[c for c in table.columns if c in pts.columns and c not in keys])
    )
    # which connected piece of the network each point is on (0 = the main piece, -1 = none)
    out["island"] = np.where(s.ok, net.island[net.edge_u[np.maximum(s.edge, 0)]], -1)
    nfar = int((~s.ok).sum())
    if nfar:
        far = float(pts["population"].to_numpy()[~s.ok].sum())
        log(
            f"{nfar} population points ({far:,.0f} residents) lie farther than "
            f"{settings.snap_tolerance_m:.0f} m from a walkable street: counted as not reaching "
            "anything",
            logging.WARNING,
        )
    return out


def _weighted_quantile(
    values: np.ndarray, weights: np.ndarray, group: np.ndarray, n: int, q: float
) -> np.ndarray:
    """Per-group weighted quantile (lower), vectorised; NaN for groups without weight."""
    out = np.full(n, np.nan)
    ok = weights > 0
    v, w, g = values[ok], weights[ok], group[ok]
    if len(v) == 0:
        return out
    order = np.lexsort((v, g))
    v, w, g = v[order], w[order], g[order]
    cw = np.cumsum(w)
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    base = np.repeat(np.r_[0.0, cw[starts[1:] - 1]], np.diff(np.r_[starts, len(g)]))
    tot = np.bincount(g, weights=w, minlength=n)
    frac = (cw - base) / tot[g]
    hit = frac >= q - 1e-12
    # first hit per group
    idx = np.flatnonzero(hit)
    first = idx[np.r_[True, g[idx][1:] != g[idx][:-1]]]
    out[g[first]] = v[first]
    return out


def gap_analysis(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    neighbourhoods: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame | None = None,
    minutes: float | Iterable[float] = 10,
    speed_kmh: float | None = None,
    extent: Any = None,
    entrances: gpd.GeoSeries | None = None,
    access: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Per neighbourhood and component: who reaches social infrastructure on foot, and who not.

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame
        From :func:`infra_geo.facilities_from_file` (memberships count per component).
    neighbourhoods : GeoDataFrame
        Unit polygons (``unit_id``, ``unit_name``, ``population`` as
        :func:`infra_geo.neighbourhoods_from_file` gives; other frames are normalised).
    population : GeoDataFrame, optional
        Points with a ``population`` weight (:func:`infra_geo.population_from_buildings`,
        :func:`infra_geo.population_from_raster`); points carrying a ``unit_id`` count for
        that unit, others are assigned by location. Default: each unit's total spread over
        its streets (:func:`infra_geo.population_from_streets`).
    minutes : number or list of numbers
        Walking-time threshold(s), default 10.
    speed_kmh : float, optional
        Walking speed (default ``settings.walk_speed_kmh``).
    extent : polygon (EPSG:4326), optional
        Where the data is complete (e.g. the extract's bounding box). Default: the convex
        hull of the network's nodes. Units less than ``settings.partial_unit_share`` inside
        it are flagged ``partial``.
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.
    access : GeoDataFrame, optional
        :func:`resident_access` of the population points, to reuse (then ``population`` is
        not snapped again).

    Returns
    -------
    GeoDataFrame
        One row per neighbourhood that overlaps the data, EPSG:4326, sorted by ``unit_id``.
        Columns (``c`` = component key, ``m`` = minutes), also in ``GAP_COLUMNS_DOC``:

        - ``unit_id``, ``unit_name``: the neighbourhood
        - ``residents``: residents placed in the unit
        - ``population_known``: the unit's total was known
        - ``data_share``: share of the unit's area inside the data extent
        - ``partial``: ``data_share < settings.partial_unit_share`` (edge effect; not ranked)
        - ``residents_on_islands``: residents attached to a piece of the network cut off from
          the main one (or to no street at all): they reach only what is on their piece
        - ``{c}_facilities``, ``{c}_per_1000``: facilities of c inside the unit, per 1,000
          residents
        - ``{c}_mean_m``, ``{c}_p90_m`` (and ``_min``): population-weighted mean walking
          distance to the nearest facility of c over the residents who have a path to one,
          and the 90th percentile over all residents (``inf`` when more than 10 % have none)
        - ``{c}_no_path``: residents with no walking path to any facility of c (none exists,
          or they live on a network island or too far from a street)
        - ``{c}_share_{m}``, ``{c}_reached_{m}``, ``{c}_unreached_{m}``: share and number of
          residents within / beyond m minutes (reached + unreached = residents)
        - ``completeness_{m}``: mean number of the eight components a resident reaches (0-8)
        - ``all8_share_{m}``: share of residents reaching all eight
        - ``rank_{m}``: 1 = the worst-served complete unit by ``completeness_{m}``

    Raises
    ------
    InputError
        Bad arguments (non-positive minutes, not a WalkNetwork...).
    PopulationError
        No residents fall inside the neighbourhoods.
    OutsideDataError
        No neighbourhood overlaps the network.

    Examples
    --------
    >>> buurten = ig.neighbourhoods_from_file("buurten.gpkg")  # doctest: +SKIP
    >>> pop = ig.population_from_buildings("gemeente.osm.pbf", buurten)  # doctest: +SKIP
    >>> gaps = ig.gap_analysis(net, fac, buurten, pop, minutes=(5, 10))  # doctest: +SKIP
    >>> gaps.sort_values("rank_10").head()  # doctest: +SKIP
    """
    _check_net(net)
    keys = check_components(None)
    mins = minutes_tuple(minutes)
    mpm = metres_per_minute(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh)
    units = units_frame(neighbourhoods)
    # data extent and the units it touches
    if extent is None:
        hull = shapely.convex_hull(shapely.multipoints(net.node_xy))
        extent_4326 = gpd.GeoSeries([hull], crs=net.crs).to_crs("EPSG:4326").iloc[0]
    else:
        from ._validate import as_polygon

        extent_4326 = as_polygon(extent, name="extent")
    metric = net.crs
    units_m = units.to_crs(metric)
    ext_m = gpd.GeoSeries([extent_4326], crs="EPSG:4326").to_crs(metric).iloc[0]
    ug = units_m.geometry.to_numpy()
    inter = shapely.area(shapely.intersection(ug, ext_m))
    share = np.divide(inter, shapely.area(ug), out=np.zeros(len(ug)), where=shapely.area(ug) > 0)
    touching = share > 1e-9
    if not touching.any():
        from .errors import OutsideDataError

        raise OutsideDataError(
            "No neighbourhood overlaps the network's area: are the neighbourhoods and the "
            "OSM data of the same place?"
        )
    dropped = int((~touching).sum())
    if dropped:
        log(f"{dropped} neighbourhood(s) lie outside the data and are left out of the table")
    units = units.loc[touching].reset_index(drop=True)
    units_m = units_m.loc[touching].reset_index(drop=True)
    share = share[touching]
    n_units = len(units)

    if access is not None:
        acc = access
    else:
        pop = _population_points(net, units, population)
        acc = resident_access(net, facilities, pop, entrances=entrances)
    w = pd.to_numeric(acc["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    # unit of each point: its own unit_id if it has one, else by location
    unit = np.full(len(acc), -1, dtype=np.int64)
    if "unit_id" in acc.columns:
        pos = pd.Index(units["unit_id"].astype(str))
        uid = acc["unit_id"].astype("string")
        has = uid.notna().to_numpy()
        unit[has] = pos.get_indexer(uid[has].astype(str))
    loc_needed = unit < 0
    if loc_needed.any():
        unit[loc_needed] = _assign_units(acc.loc[loc_needed].to_crs(metric), units_m)
    inside = unit >= 0
    w = np.where(inside, w, 0.0)
    if w.sum() <= 0:
        raise PopulationError(
            "No residents inside the neighbourhoods: the population points and the units do not "
            "overlap, or every unit's population is unknown. Check population/neighbourhoods."
        )
    u = np.where(inside, unit, 0)
    residents = np.bincount(u, weights=w, minlength=n_units)
    cols: dict[str, Any] = {
        "unit_id": units["unit_id"].to_numpy(),
        "unit_name": units["unit_name"].to_numpy(),
        "residents": residents,
        "population_known": np.isfinite(units["population"].to_numpy(dtype=float))
        | (residents > 0),
        "data_share": share,
        "partial": share < settings.partial_unit_share,
        "residents_on_islands": np.bincount(
            u, weights=np.where(acc["island"].to_numpy() != 0, w, 0.0), minlength=n_units
        ),
    }
    # facilities inside units (by representative point)
    fac_pts = gpd.GeoDataFrame(
        geometry=facilities.geometry.representative_point(), crs=facilities.crs
    ).to_crs(metric)
    fac_unit = _assign_units(fac_pts, units_m) if len(fac_pts) else np.zeros(0, np.int64)
    fac_members = component_matrix(facilities, keys)
    reached_count = {m: np.zeros(len(acc)) for m in mins}
    all8 = {m: np.ones(len(acc), dtype=bool) for m in mins}
    for k in keys:
        d = acc[k].to_numpy(dtype=float)
        memb = fac_members[:, keys.index(k)]
        nfac = np.bincount(fac_unit[memb & (fac_unit >= 0)], minlength=n_units)
        cols[f"{k}_facilities"] = nfac
        cols[f"{k}_per_1000"] = np.divide(
            nfac * 1000.0, residents, out=np.full(n_units, np.nan), where=residents > 0
        )
        finite = np.isfinite(d)
        wsum_fin = np.bincount(u, weights=np.where(finite, w, 0.0), minlength=n_units)
        dsum = np.bincount(
            u, weights=np.where(finite, w * np.where(finite, d, 0.0), 0.0), minlength=n_units
        )
        mean = np.divide(dsum, wsum_fin, out=np.full(n_units, np.nan), where=wsum_fin > 0)
        no_path = np.bincount(u, weights=np.where(finite, 0.0, w), minlength=n_units)
        cols[f"{k}_no_path"] = no_path
        p90 = _weighted_quantile(d, w, u, n_units, 0.9)
        cols[f"{k}_mean_m"] = mean
        cols[f"{k}_p90_m"] = p90
        cols[f"{k}_mean_min"] = mean / mpm
        cols[f"{k}_p90_min"] = p90 / mpm
        for m in mins:
            ok = d <= m * mpm
            reached = np.bincount(u, weights=np.where(ok, w, 0.0), minlength=n_units)
            cols[f"{k}_share_{m}"] = np.divide(
                reached, residents, out=np.full(n_units, np.nan), where=residents > 0
            )
            cols[f"{k}_reached_{m}"] = reached
            cols[f"{k}_unreached_{m}"] = residents - reached
            reached_count[m] += ok
            all8[m] &= ok
    for m in mins:
        comp = np.bincount(u, weights=w * reached_count[m], minlength=n_units)
        cols[f"completeness_{m}"] = np.divide(
            comp, residents, out=np.full(n_units, np.nan), where=residents > 0
        )
        a8 = np.bincount(u, weights=np.where(all8[m], w, 0.0), minlength=n_units)
        cols[f"all8_share_{m}"] = np.divide(
            a8, residents, out=np.full(n_units, np.nan), where=residents > 0
        )
    out = pd.DataFrame(cols)
    rankable = (~out["partial"]) & (out["residents"] > 0)
    for m in mins:
        score = out[f"completeness_{m}"].where(rankable)
        order = out.assign(_s=score).sort_values(["_s", "unit_id"], na_position="last").index
        rank = pd.Series(np.nan, index=out.index)
        rank.loc[order[: int(rankable.sum())]] = np.arange(1, int(rankable.sum()) + 1)
        out[f"rank_{m}"] = rank.astype("Int64")
    gdf = gpd.GeoDataFrame(out, geometry=units.geometry.to_numpy(), crs="EPSG:4326")
    gdf = gdf.sort_values("unit_id").reset_index(drop=True)
    gdf.attrs.update({"minutes": mins, "speed_kmh": mpm * 60 / 1000})
    n_partial = int(gdf["partial"].sum())
    if n_partial:
        log(
            f"{n_partial} neighbourhood(s) lie only partly inside the data (edge effect): "
            "flagged partial and not ranked"
        )
    return gdf


def uncovered_areas(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
    minutes: float | Iterable[float] = 10,
    speed_kmh: float | None = None,
    cell_m: float = 50.0,
    entrances: gpd.GeoSeries | None = None,
    access: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Where residents live beyond walking reach of each component.

    Parameters
    ----------
    net, facilities, population, minutes, speed_kmh, entrances
        As in :func:`gap_analysis` (``population`` is required).
    cell_m : float
        The areas are the cells of a ``cell_m`` grid (network CRS) that hold residents
        beyond reach: a regular, fast and privacy-friendly footprint (no single homes).
    access : GeoDataFrame, optional
        :func:`resident_access` of these population points, to reuse instead of recomputing.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per component and threshold: ``component``, ``minutes``,
        ``residents`` (out of reach), geometry (empty when everyone is reached).
    """
    _check_net(net)
    mins = minutes_tuple(minutes)
    mpm = metres_per_minute(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh)
    if access is not None:
        acc = access
    elif population is not None:
        pop = _population_points(net, None, population)
        acc = resident_access(net, facilities, pop, entrances=entrances)
    else:
        raise InputError("uncovered_areas needs population points.")
    w = pd.to_numeric(acc["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    cell = positive(cell_m, "cell_m")
    xy = shapely.get_coordinates(acc.geometry.to_numpy())
    ij = np.floor(xy / cell).astype(np.int64)
    rows = []
    for k in check_components(None):
        d = acc[k].to_numpy(dtype=float)
        for m in mins:
            out = (d > m * mpm) & (w > 0)
            g = _cells_polygon(ij[out], cell) if out.any() else shapely.Polygon()
            rows.append(
                {"component": k, "minutes": m, "residents": float(w[out].sum()), "geometry": g}
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs).to_crs("EPSG:4326")


def _cells_polygon(ij: np.ndarray, cell: float) -> shapely.Geometry:
    """The union of grid cells ``ij`` (column, row indices of ``cell`` metres), dissolved.

    Burns the cells into a boolean raster and traces its regions (GDAL polygonize through
    rasterio): linear in the cells, unlike unioning one box per cell.
    """
    from rasterio.features import shapes
    from rasterio.transform import from_origin

    lo, hi = ij.min(axis=0), ij.max(axis=0)
    mask = np.zeros((hi[1] - lo[1] + 1, hi[0] - lo[0] + 1), dtype=np.uint8)
    mask[hi[1] - ij[:, 1], ij[:, 0] - lo[0]] = 1
    tr = from_origin(lo[0] * cell, (hi[1] + 1) * cell, cell, cell)
    rings, poly_of = [], []
    for p, (geom, _) in enumerate(
        shapes(mask, mask=mask.astype(bool), connectivity=4, transform=tr)
    ):
        rings += geom["coordinates"]
        poly_of += [p] * len(geom["coordinates"])
    sizes = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    xy = np.fromiter(
        (c for ring in rings for pt in ring for c in pt), dtype=np.float64, count=2 * sizes.sum()
    ).reshape(-1, 2)
    lr = shapely.linearrings(xy, indices=np.repeat(np.arange(len(rings)), sizes))
    polys = shapely.polygons(lr, indices=np.asarray(poly_of))
    return polys[0] if len(polys) == 1 else shapely.multipolygons(polys)
