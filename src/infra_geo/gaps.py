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

from . import _schema, settings
from ._access import Access, engine
from ._deprecate import positional_deprecated
from ._groups import resolve_groups
from ._log import log
from ._residents import _log_accounting, _population_points
from ._types import PolygonLike, RulesLike
from ._validate import as_network, minutes_tuple
from .accessibility import metres_per_minute
from .errors import InputError, PopulationError
from .network import WalkNetwork
from .population import assign_units, units_frame
from .uncovered import uncovered_areas

__all__ = [
    "GAP_COLUMNS_DOC",
    "gap_analysis",
    "gaps_and_residents",
    "resident_access",
    "uncovered_areas",
]

#: what every gap-table column means (generated from ``_schema.GAP_COLUMN_DESCRIPTIONS``)
GAP_COLUMNS_DOC = _schema.columns_doc()


@positional_deprecated(3, ("component", "entrances"))
def resident_access(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
    *,
    component: str | Iterable[str] | None = None,
    entrances: gpd.GeoSeries | None = None,
    by: str | None = None,
    rules: RulesLike = None,
    access: Access | None = None,
) -> gpd.GeoDataFrame:
    """Compute walking metres from every population point to the nearest facility of each component.

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame
        From :func:`infra_geo.facilities_from_file`.
    population : GeoDataFrame
        Points with a ``population`` weight.
    component : str or list, optional
        Group keys (default all: the eight components unless ``by``/``rules`` say otherwise).
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.
    by, rules : optional
        Group the facilities by a column or another rules file (or pass a dict of named
        frames as ``facilities``), as in :func:`infra_geo.distance_to_nearest`.
    access : Access, optional
        An engine built on ``net`` and these facilities, to reuse (its groups then apply).

    Returns
    -------
    GeoDataFrame
        The population points (network CRS) with one column of metres per group,
        ``snapped``, ``snap_m`` and ``island`` (0 = the main piece of the network, -1 = not
        attached).

    Examples
    --------
    >>> import infra_geo as ig
    >>> path = ig.analysis.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> import geopandas as gpd
    >>> homes = net.nodes.geometry.iloc[:5].to_numpy()
    >>> pop = gpd.GeoDataFrame({"population": [2.0] * 5}, geometry=homes, crs=net.crs)
    >>> acc = ig.resident_access(net, fac, pop, component="care")
    >>> bool((acc["care"] >= 0).all())
    True
    """
    as_network(net)
    eng, keys = engine(
        net, facilities, access, entrances=entrances, component=component, by=by, rules=rules
    )
    pts = population.to_crs(net.crs)
    table, s = eng.at_points(pts.geometry, keys)
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


@positional_deprecated(4, ("minutes", "speed_kmh", "extent", "entrances", "access"))
def gap_analysis(  # noqa: PLR0913 - public entry point: data args + keyword options
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    neighbourhoods: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame | None = None,
    *,
    minutes: float | Iterable[float] = 10,
    speed_kmh: float | None = None,
    extent: PolygonLike | None = None,
    entrances: gpd.GeoSeries | None = None,
    access: gpd.GeoDataFrame | Access | None = None,
    by: str | None = None,
    rules: RulesLike = None,
    component: str | Iterable[str] | None = None,
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
    access : GeoDataFrame or Access, optional
        :func:`resident_access` of the population points, to reuse (then ``population`` is
        not snapped again; it must hold a column per group), or an :class:`~infra_geo.Access`
        engine built on ``net`` and these facilities (its groups apply).
    by, rules, component : optional
        Other facility groups than the eight components (a column, another rules file such
        as ``"cbs_nabijheid"``, or a dict of named frames as ``facilities``) and which of
        them, as in :func:`infra_geo.distance_to_nearest`: the ``{c}_...`` columns are then
        per group, and ``completeness``/``all8_share`` count those groups.

    Returns
    -------
    GeoDataFrame
        One row per neighbourhood that overlaps the data, EPSG:4326, sorted by ``unit_id``.
        Columns (``c`` = component key, ``m`` = minutes), also in ``GAP_COLUMNS_DOC``:

        - ``unit_id``, ``unit_name``: the neighbourhood, then the neighbourhood frame's own
          columns (``BU_CODE``, ``GM_NAAM``, ``AANT_INW``, ...; a clash with a column below
          gets the prefix ``src_``)
        - ``population_input`` = ``residents`` (placed inside the data) +
          ``residents_outside_data`` (a partial unit's part outside the data) + ``unplaced``
          (no building or street to place them on): every resident of the input in one
        - ``population_known``, ``population_unknown`` (null or secret total, no home to
          estimate from), ``population_estimated`` (estimated from floor area)
        - ``data_share``: share of the unit's area inside the data extent (0-1)
        - ``partial``: ``data_share < settings.partial_unit_share``; only the inside part's
          residents (total x ``data_share``) are placed; not ranked
        - ``residents_on_islands``: residents attached to a piece of the network cut off from
          the main one (or to no street at all): they reach only what is on their piece
        - ``data_problem``: more than ``settings.data_problem_share`` of the residents on
          cut-off pieces or unplaced; not ranked
        - ``{c}_facilities``, ``{c}_per_1000``: facilities of c inside the unit, per 1,000
          residents
        - ``{c}_mean_m`` (and ``_min``): population-weighted mean walking distance to the
          nearest facility of c over the residents with a path, NaN (``{c}_reliable``
          False) when more than ``settings.max_no_path_share`` have none; ``{c}_p90_m``: the
          90th percentile over all residents, no path counting as beyond every distance
          (``inf`` when more than 10 % have none)
        - ``{c}_no_path``: residents with no walking path to any facility of c (none exists,
          or they live on a network island or too far from a street)
        - ``{c}_share_{m}``, ``{c}_reached_{m}``, ``{c}_unreached_{m}``: share (0-1) and
          number of residents within m minutes, and with a path but beyond m minutes
          (reached + unreached + no_path = residents)
        - ``completeness_{m}``: mean number of the eight components a resident reaches (0-8)
        - ``all8_share_{m}``: share of residents reaching all eight
        - ``rank_{m}``: 1 = the worst-served unit by ``completeness_{m}`` among units
          neither partial nor data problems
        - ``street_m``: only when no population is known at all (``attrs["weighting"] ==
          "street-length"``): the street metres weighting the shares; every residents count
          is then NaN

        A unit's known total is placed on its points inside the data (rescaled) when the
        points were spread from it (they carry its ``unit_id``); other points (a raster,
        your own) are taken as given: those inside the extent are placed, the others are
        ``residents_outside_data``.

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
    On the embedded sample, with 250 m hexagons as neighbourhoods (a Dutch municipality
    would pass ``ig.neighbourhoods_from_file("buurten.gpkg")``):

    >>> import infra_geo as ig
    >>> path = ig.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> cells = ig.hex_grid(ig.data_extent(path), size_m=250)
    >>> pop = ig.population_from_buildings(path, cells, total=5000)
    >>> gaps = ig.gap_analysis(net, fac, cells, pop, minutes=(5, 10))
    >>> len(gaps) == len(cells), gaps.crs.to_epsg()
    (True, 4326)
    >>> round(float(gaps["residents"].sum()))
    5000
    >>> [c for c in gaps.columns if c.startswith("care_share")]
    ['care_share_5', 'care_share_10']
    """
    return gaps_and_residents(
        net,
        facilities,
        neighbourhoods,
        population,
        minutes=minutes,
        speed_kmh=speed_kmh,
        extent=extent,
        entrances=entrances,
        access=access,
        by=by,
        rules=rules,
        component=component,
    )[0]


#: counts of residents: NaN when the weights are street metres, not residents
_COUNT_COLUMNS = (
    "population_input",
    "residents",
    "residents_outside_data",
    "unplaced",
    "residents_on_islands",
)


def gaps_and_residents(  # noqa: PLR0913 - public entry point: data args + keyword options
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    neighbourhoods: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame | None,
    *,
    minutes: float | Iterable[float],
    speed_kmh: float | None,
    extent: PolygonLike | None,
    entrances: gpd.GeoSeries | None,
    access: gpd.GeoDataFrame | Access | None,
    by: str | None = None,
    rules: RulesLike = None,
    component: str | Iterable[str] | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Run :func:`gap_analysis` and return the resident points as placed too.

    The points carry ``population`` (the placed weight) and ``unit_id`` (the unit counting
    them, None for none).

    The placed points are what :func:`uncovered_areas` should map (a partial unit's
    residents are only its inside part). Parameters as in :func:`gap_analysis`.

    Returns
    -------
    tuple of GeoDataFrame
        The gap table and the placed resident points (network CRS).
    """
    as_network(net)
    eng, grp, keys = _engine_or_groups(net, facilities, access, component, by, rules)
    access = None if eng is not None else access
    mins = minutes_tuple(minutes)
    mpm = metres_per_minute(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh)
    units, units_m, share, ext_m, all_ids = _units_in_data(net, neighbourhoods, extent)
    n_units = len(units)
    partial = share < settings.partial_unit_share
    if access is not None:
        assert not isinstance(access, Access)
        acc = access
    else:
        pp = _population_points(net, units, population)  # resident points
        acc = resident_access(
            net, facilities, pp, component=keys, entrances=entrances, by=by, rules=rules, access=eng
        )
    missing = [k for k in keys if k not in acc.columns]
    if missing:
        raise InputError(
            f"access has no column for {', '.join(missing)}: compute it with resident_access() "
            "and the same facility groups."
        )
    w_in = pd.to_numeric(acc["population"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    unit, by_id, acc_m = _point_units(acc, units, units_m, all_ids)
    in_data = shapely.intersects(ext_m, acc_m.geometry.to_numpy())
    place = _place_residents(
        w_in, unit, by_id, in_data, units["population"].to_numpy(dtype=float), share, partial
    )
    w = place["weights"]
    if w.sum() <= 0:
        raise PopulationError(
            "No residents inside the neighbourhoods: the population points and the units do not "
            "overlap, or every unit's population is unknown. Check population/neighbourhoods."
        )
    ours, street_length = _accounting(acc, unit, w_in, place, units, share, partial)
    u, residents = np.where(unit >= 0, unit, 0), ours["residents"]
    # facilities inside units (by representative point)
    nfac = _facility_counts(grp, keys, units_m)
    dist = {k: acc[k].to_numpy(dtype=float) for k in keys}
    ours.update(_group_columns(keys, dist, nfac, w, u, n_units, residents, mins, mpm))
    out = pd.DataFrame(ours)
    _rank_and_weighting(out, units, mins, street_length)
    own = _own_columns(units, set(out.columns) | {"unit_id", "unit_name"})
    out = pd.concat(
        [
            pd.DataFrame(
                {"unit_id": units["unit_id"].to_numpy(), "unit_name": units["unit_name"].to_numpy()}
            ),
            own,
            out,
        ],
        axis=1,
    )
    gdf = gpd.GeoDataFrame(out, geometry=units.geometry.to_numpy(), crs="EPSG:4326")
    gdf = gdf.sort_values("unit_id", kind="stable").reset_index(drop=True)
    gdf.attrs.update(
        {
            "minutes": mins,
            "speed_kmh": mpm * 60 / 1000,
            "weighting": "street-length" if street_length else "residents",
        }
    )
    _log_accounting(gdf)
    ids = units["unit_id"].astype(str).to_numpy()
    placed = acc.assign(population=w, unit_id=np.where(unit >= 0, ids[u], None))
    return gdf, placed


def _engine_or_groups(
    net: WalkNetwork,
    facilities: Any,
    access: Any,
    component: str | Iterable[str] | None,
    by: str | None,
    rules: Any,
) -> tuple[Access | None, Any, tuple[str, ...]]:
    """Return the engine given as ``access`` (or None), the facility groups and the keys asked for."""
    if isinstance(access, Access):
        eng, keys = engine(net, facilities, access, component=component, by=by, rules=rules)
        return eng, eng.groups, keys
    grp = resolve_groups(facilities, component, by=by, rules=rules)
    return None, grp, grp.keys


def _accounting(
    acc: gpd.GeoDataFrame,
    unit: np.ndarray,
    w_in: np.ndarray,
    place: dict[str, Any],
    units: gpd.GeoDataFrame,
    share: np.ndarray,
    partial: np.ndarray,
) -> tuple[dict[str, Any], bool]:
    """Return the residents' accounting columns per unit, and whether the weights are street metres."""
    n_units = len(units)
    w = place["weights"]
    u = np.where(unit >= 0, unit, 0)
    residents = np.bincount(u, weights=w, minlength=n_units)
    estimated = np.zeros(n_units, dtype=bool)
    if "estimated" in acc.columns:
        est_pt = acc["estimated"].fillna(False).to_numpy(dtype=bool) & (unit >= 0) & (w_in > 0)
        estimated[unit[est_pt]] = True
    src = (
        acc["source"].astype("string").fillna("").to_numpy(dtype=object)
        if "source" in acc.columns
        else np.full(len(acc), "", dtype=object)
    )
    counted = (unit >= 0) & (w_in > 0)
    street_length = bool(counted.any()) and bool((src[counted] == "street-length").all())
    on_islands = np.bincount(
        u, weights=np.where(acc["island"].to_numpy() != 0, w, 0.0), minlength=n_units
    )
    unplaced = place["unplaced"]
    limit = settings.data_problem_share
    data_problem = (on_islands > limit * residents + 1e-9) & (residents > 0)
    data_problem |= (unplaced > limit * (residents + unplaced) + 1e-9) & (unplaced > 0)
    ours: dict[str, Any] = {
        "population_input": place["population_input"],
        "residents": residents,
        "residents_outside_data": place["outside"],
        "unplaced": unplaced,
        "population_known": np.isfinite(units["population"].to_numpy(dtype=float))
        | (residents > 0),
        "population_unknown": place["unknown"],
        "population_estimated": estimated & ~np.isfinite(units["population"].to_numpy(float)),
        "data_share": share,
        "partial": partial,
        "residents_on_islands": on_islands,
        "data_problem": data_problem,
    }
    return ours, street_length


def _facility_counts(
    grp: Any, keys: tuple[str, ...], units_m: gpd.GeoDataFrame
) -> dict[str, np.ndarray]:
    """Facilities of each group inside each unit (by representative point)."""
    metric, n_units = units_m.crs, len(units_m)
    fac_pts = gpd.GeoDataFrame(
        geometry=grp.facilities.geometry.representative_point(), crs=grp.facilities.crs
    ).to_crs(metric)
    fac_unit = assign_units(fac_pts, units_m) if len(fac_pts) else np.zeros(0, np.int64)
    fac_members = grp.members[:, [grp.keys.index(k) for k in keys]]
    nfac = {
        k: np.bincount(fac_unit[fac_members[:, j] & (fac_unit >= 0)], minlength=n_units)
        for j, k in enumerate(keys)
    }
    return nfac


def _units_in_data(
    net: WalkNetwork, neighbourhoods: gpd.GeoDataFrame, extent: Any
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, np.ndarray, Any, np.ndarray]:
    """Return the units touching the data extent (4326 and network CRS) and their share in it.

    Also the extent in the network CRS and the ids of all units given.
    """
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
    shapely.prepare(ext_m)  # gaps_and_residents tests every resident point against it
    ug = units_m.geometry.to_numpy()
    inter = shapely.area(shapely.intersection(ug, ext_m))
    share = np.divide(inter, shapely.area(ug), out=np.zeros(len(ug)), where=shapely.area(ug) > 0)
    share = np.clip(share, 0.0, 1.0)
    touching = share > 1e-9
    if not touching.any():
        from .errors import OutsideDataError

        raise OutsideDataError(
            "No neighbourhood overlaps the network's area: are the neighbourhoods and the "
            "OSM data of the same place?"
        )
    dropped = int((~touching).sum())
    if dropped:
        away = float(np.nansum(units["population"].to_numpy(dtype=float)[~touching]))
        log(
            f"{dropped} neighbourhood(s) lie outside the data and are left out of the table"
            + (f" ({away:,.0f} residents by their totals)" if away > 0 else "")
        )
    all_ids = units["unit_id"].astype(str).to_numpy()
    units = units.loc[touching].reset_index(drop=True)
    units_m = units_m.loc[touching].reset_index(drop=True)
    share = share[touching]
    return units, units_m, share, ext_m, all_ids


def _point_units(
    acc: gpd.GeoDataFrame, units: gpd.GeoDataFrame, units_m: gpd.GeoDataFrame, all_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, gpd.GeoDataFrame]:
    """Return the unit row per resident point (-1: none) and the points in a metric CRS.

    Also whether each point's unit comes from its own ``unit_id``; the points are in the
    units' metric CRS.
    """
    metric = units_m.crs
    # unit of each point: its own unit_id if it has one, else by location
    # (a point labelled with a unit left out of the table, wholly outside the data, stays
    # out; a label that is no unit of these neighbourhoods is ignored: placed by location)
    unit = np.full(len(acc), -1, dtype=np.int64)
    ours_id = np.zeros(len(acc), dtype=bool)
    if "unit_id" in acc.columns:
        uid = acc["unit_id"].astype("string")
        has = uid.notna().to_numpy()
        unit[has] = pd.Index(units["unit_id"].astype(str)).get_indexer(uid[has].astype(str))
        ours_id[has] = pd.Index(all_ids).get_indexer(uid[has].astype(str)) >= 0
    by_id = unit >= 0
    acc_m = acc.to_crs(metric)
    loc_needed = ~ours_id
    if loc_needed.any():
        unit[loc_needed] = assign_units(acc_m.loc[loc_needed], units_m)
    return unit, by_id, acc_m


def _rank_and_weighting(
    out: pd.DataFrame, units: gpd.GeoDataFrame, mins: tuple[float, ...], street_length: bool
) -> None:
    """Add ``rank_{m}`` to the gap table; with street-length weights blank every count."""
    rankable = (~out["partial"]) & (~out["data_problem"]) & (out["residents"] > 0)
    for m in mins:
        score = out[_schema.completeness(m)].where(rankable)
        order = (
            out.assign(_s=score, _id=units["unit_id"].to_numpy())
            .sort_values(["_s", "_id"], na_position="last")
            .index
        )
        rank = pd.Series(np.nan, index=out.index)
        rank.loc[order[: int(rankable.sum())]] = np.arange(1, int(rankable.sum()) + 1)
        out[_schema.rank(m)] = rank.astype("Int64")
    if street_length:
        # the weights are street metres, not residents: shares only, never a count
        out["street_m"] = out["residents"]
        count_cols = [
            c
            for c in out.columns
            if c in _COUNT_COLUMNS
            or ((p := _schema.parse(c)) is not None and p[1] in _schema.COUNT_MEASURES)
        ]
        out[count_cols] = np.nan
        out["population_unknown"] = ~np.isfinite(units["population"].to_numpy(float))


def _place_residents(
    w: np.ndarray,
    unit: np.ndarray,
    by_id: np.ndarray,
    in_data: np.ndarray,
    totals: np.ndarray,
    share: np.ndarray,
    partial: np.ndarray,
) -> dict[str, np.ndarray]:
    """Who of each unit's population is placed inside the data, outside it, or nowhere.

    A unit whose total is known and whose points were spread from that total (they carry
    its ``unit_id``; or it has no point at all) places ``total x data_share`` (a partial
    unit) or its whole total (any other unit) on its points inside the data, rescaled; the
    rest of a partial unit is ``outside``; with no point inside, the inside part is
    ``unplaced``. The outside part is estimated by area because the data holds no buildings
    there. Any other unit (points from a raster or your own, or an estimate) keeps its points
    as given: those inside the data are placed, the others are ``outside``.
    """
    n = len(totals)
    inside = unit >= 0
    u = np.where(inside, unit, 0)
    known = np.isfinite(totals)
    located = np.bincount(u[inside & ~by_id & (w > 0)], minlength=n) > 0
    from_total = known & ~located
    s_in = np.bincount(u, weights=np.where(inside & in_data, w, 0.0), minlength=n)
    s_out = np.bincount(u, weights=np.where(inside & ~in_data, w, 0.0), minlength=n)
    target = np.where(from_total, np.nan_to_num(totals) * np.where(partial, share, 1.0), 0.0)
    scale = np.divide(target, s_in, out=np.zeros(n), where=s_in > 0)
    factor = np.where(from_total, scale, 1.0)
    weights = np.where(inside & in_data, w * factor[u], 0.0)
    given = s_in + s_out
    # with no unit total at all, the points are the whole population (a raster, a total
    # spread over the area): a unit without points has none; otherwise its total is unknown
    unknown = ~from_total & ~known & (given <= 0) & known.any()
    pop_input = np.where(from_total, np.nan_to_num(totals), np.where(unknown, np.nan, given))
    outside = np.where(from_total, np.nan_to_num(totals) - target, s_out)
    unplaced = np.where(from_total & (s_in <= 0), target, 0.0)
    return {
        "weights": weights,
        "population_input": pop_input,
        "outside": outside,
        "unplaced": unplaced,
        "unknown": unknown,
    }


def _group_columns(  # noqa: PLR0913 - internal stage plumbing
    keys: Iterable[str],
    dist: dict[str, np.ndarray],
    nfac: dict[str, np.ndarray],
    w: np.ndarray,
    u: np.ndarray,
    n_units: int,
    residents: np.ndarray,
    mins: tuple[float, ...],
    mpm: float,
) -> dict[str, np.ndarray]:
    """Per group key (a component, or any facility group): the per-unit columns.

    ``dist[k]`` holds the walking metres of every resident point to the nearest facility of
    group ``k`` (inf: no path), ``w`` the placed residents per point, ``u`` its unit row.
    Returns the ``{k}_*`` columns and ``completeness_{m}`` / ``all8_share_{m}`` over the keys.
    """
    keys = list(keys)
    cols: dict[str, np.ndarray] = {}
    reached_count = {m: np.zeros(len(w)) for m in mins}
    all_keys = {m: np.ones(len(w), dtype=bool) for m in mins}
    has = residents > 0

    def ratio(num: np.ndarray) -> np.ndarray:
        out = np.divide(num, residents, out=np.full(n_units, np.nan), where=has)
        return np.where(has, np.clip(out, 0.0, 1.0), np.nan)

    for k in keys:
        d = dist[k]
        cols[_schema.column(k, "facilities")] = nfac[k]
        cols[_schema.column(k, "per_1000")] = np.divide(
            nfac[k] * 1000.0, residents, out=np.full(n_units, np.nan), where=has
        )
        finite = np.isfinite(d)
        wsum_fin = np.bincount(u, weights=np.where(finite, w, 0.0), minlength=n_units)
        dsum = np.bincount(
            u, weights=np.where(finite, w * np.where(finite, d, 0.0), 0.0), minlength=n_units
        )
        no_path = np.bincount(u, weights=np.where(finite, 0.0, w), minlength=n_units)
        reliable = has & (no_path <= settings.max_no_path_share * residents + 1e-9)
        mean = np.divide(dsum, wsum_fin, out=np.full(n_units, np.nan), where=wsum_fin > 0)
        mean = np.where(reliable, mean, np.nan)
        p90 = _weighted_quantile(d, w, u, n_units, 0.9)
        cols[_schema.column(k, "no_path")] = no_path
        cols[_schema.mean_m(k)] = mean
        cols[_schema.column(k, "reliable")] = reliable
        cols[_schema.column(k, "p90_m")] = p90
        cols[_schema.column(k, "mean_min")] = mean / mpm
        cols[_schema.column(k, "p90_min")] = p90 / mpm
        for m in mins:
            ok = d <= m * mpm
            reached = np.bincount(u, weights=np.where(ok, w, 0.0), minlength=n_units)
            cols[_schema.share(k, m)] = ratio(reached)
            cols[_schema.reached(k, m)] = reached
            # with a path but beyond m minutes; no-path residents are in {k}_no_path
            cols[_schema.unreached(k, m)] = np.maximum(residents - reached - no_path, 0.0)
            reached_count[m] += ok
            all_keys[m] &= ok
    for m in mins:
        comp = np.bincount(u, weights=w * reached_count[m], minlength=n_units)
        cols[_schema.completeness(m)] = np.divide(
            comp, residents, out=np.full(n_units, np.nan), where=has
        )
        a8 = np.bincount(u, weights=np.where(all_keys[m], w, 0.0), minlength=n_units)
        cols[_schema.all8_share(m)] = ratio(a8)
    return cols


def _own_columns(units: gpd.GeoDataFrame, ours: set[str]) -> pd.DataFrame:
    """Return the neighbourhood file's own columns; a clash with ours gets the prefix ``src_``."""
    skip = {"unit_id", "unit_name", "population", units.geometry.name}
    own = pd.DataFrame(units.drop(columns=[c for c in units.columns if c in skip]))
    own.columns = [f"src_{c}" if c in ours else c for c in own.columns]
    return own.reset_index(drop=True)
