"""Capacity-aware access: 2SFCA, enhanced 2SFCA and gravity on walking distances.

A nearest-facility distance says whether a centre is near; a floating-catchment measure says
whether it is *big enough* for everyone who depends on it. Each facility's capacity is
divided over the residents who can walk to it (step 1), and each resident sums the shares of
the facilities they can walk to (step 2)::

    R_j = S_j / sum_i P_i w(d_ij)          (d_ij <= cutoff)
    A_i = sum_j R_j w(d_ij)                (d_ij <= cutoff)

with ``w = 1`` for 2SFCA (Luo & Wang 2003), a step weight per sub-zone for the enhanced
2SFCA (Luo & Qi 2009) and a distance decay for the gravity form. ``A_i`` is supply per
resident; the outputs give it per 1,000 residents. The formulas are those of PySAL
``access`` (``two_stage_fca`` / ``enhanced_two_stage_fca`` with a weight function), which
the tests reproduce to 1e-9 on the same walking cost matrix.

The walking cost matrix comes from :func:`walking_od`: bounded multi-source searches per
facility on the network (scipy's compiled Dijkstra with ``limit=``), resident distances
by the same rule as :func:`infra_geo.distances_at_points` (the best of walking to either
end of the resident's edge, or along the edge to a facility on the same edge).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._log import log
from ._od import (
    WalkingOD,
    _check_net,
    _group_facilities,
    _od_from_attachments,
    _points_geoseries,
    _population,
    _positive,
    result_form,
    result_inputs,
)
from ._types import CRSLike, RulesLike, ValuesLike
from .accessibility import attach_facilities, metres_per_minute
from .analysis import Analysis
from .errors import InputError
from .network import WalkNetwork

__all__ = ["CapacityAccess", "WalkingOD", "capacity_access", "walking_od"]

#: Luo & Qi (2009): sub-zones of a third of the catchment each, Gaussian-derived weights
DEFAULT_ZONE_WEIGHTS = (1.0, 0.68, 0.22)
METHODS = ("2sfca", "e2sfca", "gravity")
DECAYS = ("power", "exponential")
#: OSM tags read as a capacity, in order of preference (floor area comes after them)
CAPACITY_TAGS = ("capacity", "beds")


# ------------------------------------------------------------------------ the OD builder


def walking_od(
    net: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    cutoff_m: float,
    entrances: gpd.GeoSeries | None = None,
) -> WalkingOD:
    """Compute walking metres from every facility to every point within ``cutoff_m``.

    Each facility's access points are found as in :func:`infra_geo.attach_facilities`
    (point, area boundary, inside, entrance); each point is attached to its nearest
    walkable edge, and its distance is ``min(d[u] + a, d[v] + len - a)`` or the direct walk
    along the edge to a facility on the same edge, as in
    :func:`infra_geo.distances_at_points`.

    Parameters
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame
        The facilities (rows in order: ``WalkingOD.source`` is the row position).
    points : GeoSeries or GeoDataFrame of points
        Residents or cells, any CRS.
    cutoff_m : float
        Maximum walking metres kept (> 0).
    entrances : GeoSeries, optional
        Mapped entrances of area facilities.

    Returns
    -------
    WalkingOD

    Examples
    --------
    >>> import geopandas as gpd
    >>> import infra_geo as ig
    >>> path = ig.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> homes = net.nodes.geometry.iloc[:50].to_numpy()
    >>> pop = gpd.GeoDataFrame({"population": [2.0] * 50}, geometry=homes, crs=net.crs)
    >>> schools = fac[fac["component"] == "education"]
    >>> od = ig.walking_od(net, schools, pop, cutoff_m=800)
    >>> od.matrix().shape == (len(schools), 50)  # facilities x resident points
    True
    """
    _check_net(net)
    cutoff = _positive(cutoff_m, "cutoff_m")
    if not isinstance(facilities, gpd.GeoDataFrame):
        raise InputError("facilities must be a GeoDataFrame (ig.facilities_from_file).")
    pts = _points_geoseries(points, "points")
    att = attach_facilities(net, facilities, entrances=entrances)
    s = net.snap(pts.to_crs(net.crs))
    return _od_from_attachments(
        net, att.facility, att.edge, att.offset, len(facilities), s.edge, s.offset, cutoff
    )


# ---------------------------------------------------------------------------- capacity


def _numeric(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def facility_capacity(
    facilities: gpd.GeoDataFrame, capacity: ValuesLike | None = None, *, crs: CRSLike | None = None
) -> tuple[np.ndarray, str]:
    """Capacity per facility and where it comes from.

    Parameters
    ----------
    facilities : GeoDataFrame
    capacity : str, array-like, dict, Series or None
        A column name (e.g. list size, seats, m²), one value per facility, or values keyed
        by ``facility_id`` (a dict or Series; every facility needs one). ``None``: the
        first OSM source that every facility has: the ``capacity`` tag, the ``beds`` tag,
        the building floor area (footprint in m² x ``building:levels``, 1 level if absent;
        area facilities tagged ``building``); else 1 per facility. Sources are never mixed
        within a group (seats and m² do not add up).
    crs : CRS-like, optional
        Metric CRS for floor areas (default: the facilities' own if projected, else their
        UTM zone).

    Returns
    -------
    capacity : ndarray of float
    source : str
        ``column:<name>``, ``user``, ``osm:capacity``, ``osm:beds``, ``osm:floor_area`` or
        ``one_per_facility``.
    """
    n = len(facilities)
    if capacity is not None:
        return _given_capacity(facilities, capacity)
    for tag in CAPACITY_TAGS:
        if tag in facilities.columns and n:
            vals = _numeric(facilities[tag])
            if (np.isfinite(vals) & (vals > 0)).all():
                return vals, f"osm:{tag}"
    if n and "building" in facilities.columns:
        bld = facilities["building"].astype("string").fillna("no").to_numpy(dtype=object)
        geoms = facilities.geometry
        is_area = np.isin(shapely.get_type_id(geoms.to_numpy()), (3, 6))
        if (is_area & (bld != "no")).all():
            if crs is None:
                crs = geoms.crs if geoms.crs.is_projected else geoms.estimate_utm_crs()
            metric = geoms.to_crs(crs)
            levels = (
                _numeric(facilities["building:levels"])
                if "building:levels" in facilities.columns
                else np.full(n, np.nan)
            )
            levels = np.where(np.isfinite(levels) & (levels > 0), levels, 1.0)
            vals = metric.area.to_numpy() * levels
            if (vals > 0).all():
                return vals, "osm:floor_area"
    if n:
        have = {
            t: int((np.isfinite(v) & (v > 0)).sum())
            for t in CAPACITY_TAGS
            if t in facilities.columns
            for v in [_numeric(facilities[t])]
        }
        log(
            f"capacity: no OSM capacity source covers all {n} facilities "
            f"({', '.join(f'{t}: {c}' for t, c in have.items()) or 'no capacity tags'}); "
            "counting 1 per facility (pass capacity= a column to use real sizes)",
            logging.WARNING,
        )
    return np.ones(n), "one_per_facility"


def _given_capacity(facilities: gpd.GeoDataFrame, capacity: Any) -> tuple[np.ndarray, str]:
    """Return the user's capacity (a column, values per row, or keyed by ``facility_id``), checked."""
    n = len(facilities)
    if isinstance(capacity, str):
        if capacity not in facilities.columns:
            raise InputError(
                f"capacity column {capacity!r} is not in the facilities (columns: "
                f"{', '.join(map(str, facilities.columns[:12]))}...)."
            )
        vals, src = _numeric(facilities[capacity]), f"column:{capacity}"
    elif isinstance(capacity, (Mapping, pd.Series)) and "facility_id" in facilities.columns:
        ids = facilities["facility_id"].astype(str)
        by_id = pd.Series(capacity, dtype=object).rename(index=str)
        vals, src = _numeric(by_id.reindex(ids)), "user"  # a missing id: NaN, refused below
    else:
        vals, src = _numeric(pd.Series(np.asarray(capacity, dtype=object).ravel())), "user"
        if len(vals) != n:
            raise InputError(
                f"capacity has {len(vals)} values for {n} facilities; give one per row."
            )
    bad = ~np.isfinite(vals) | (vals <= 0)
    if bad.any():
        raise InputError(
            f"capacity must be a positive number for every facility; {int(bad.sum())} "
            f"of {n} are missing, zero or negative (first at row {int(np.flatnonzero(bad)[0])})"
            ": fill them or drop those facilities."
        )
    return vals, src


def step_weights(minutes: float, *, zones: Mapping[float, float] | None = None) -> dict:
    """Sub-zone step weights for the enhanced 2SFCA, keyed by the zone's upper minutes.

    Default (Luo & Qi 2009): thirds of ``minutes`` weighted 1, 0.68, 0.22.
    """
    if zones is None:
        m = float(minutes)
        return dict(zip((m / 3, 2 * m / 3, m), DEFAULT_ZONE_WEIGHTS, strict=True))
    if not isinstance(zones, Mapping) or not zones:
        raise InputError("zones must be a non-empty dict {upper minutes: weight}.")
    out = {}
    for k, w in zones.items():
        key = _positive(k, "a zone's upper minutes")
        try:
            wv = float(w)
        except (TypeError, ValueError):
            wv = np.nan
        if not np.isfinite(wv) or wv < 0:
            raise InputError(f"zone weights must be numbers >= 0, not {w!r}.")
        out[key] = wv
    return dict(sorted(out.items()))


def _weights(
    d: np.ndarray, method: str, zones_m: dict, decay: str, beta: float, min_m: float
) -> np.ndarray:
    if method == "2sfca":
        return np.ones(len(d))
    if method == "e2sfca":
        upper = np.fromiter(zones_m.keys(), float)
        w = np.r_[np.fromiter(zones_m.values(), float), 0.0]
        return w[np.searchsorted(upper, d, side="left")]
    if decay == "power":
        return (np.maximum(d, min_m) / min_m) ** (-beta)
    return np.exp(-beta * d / 1000.0)


def two_step(
    od: WalkingOD,
    demand: np.ndarray,
    supply: np.ndarray,
    weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the two floating-catchment steps on an OD list with a weight per entry.

    Returns
    -------
    access : ndarray, per point (supply per resident)
    ratio : ndarray, per source (supply per weighted resident reaching it; 0 if none)
    demand_reached : ndarray, per source (weighted residents reaching it)
    """
    wd = np.bincount(od.source, weights=demand[od.point] * weight, minlength=od.n_sources)
    ratio = np.divide(supply, wd, out=np.zeros(od.n_sources), where=wd > 0)
    acc = np.bincount(od.point, weights=ratio[od.source] * weight, minlength=od.n_points)
    return acc, ratio, wd


@dataclass
class CapacityAccess:
    """Capacity-aware access of one facility group.

    Attributes
    ----------
    points : GeoDataFrame
        The population points (network CRS) with ``access`` (supply per resident),
        ``per_1000`` (supply per 1,000 residents) and ``n_reachable`` (facilities within
        the cutoff).
    units : DataFrame
        Per ``unit_id``: ``residents``, ``per_1000`` (population-weighted mean) and
        ``share_none`` (share of residents with no facility within the cutoff).
    facilities : DataFrame
        Per facility: ``facility_id``, ``capacity``, ``capacity_source``,
        ``demand_reached`` (weighted residents within the cutoff) and ``per_1000_users``
        (its capacity per 1,000 of them).
    capacity_source : str
    method : str
    cutoff_m : float
    params : dict
    od : WalkingOD
    """

    points: gpd.GeoDataFrame
    units: pd.DataFrame
    facilities: pd.DataFrame
    capacity_source: str
    method: str
    cutoff_m: float
    params: dict = field(default_factory=dict)
    od: WalkingOD | None = None


def capacity_access(  # noqa: PLR0913 - public entry point: data args + keyword options
    net: WalkNetwork | Analysis,
    facilities: gpd.GeoDataFrame | str | None = None,
    population: gpd.GeoDataFrame | None = None,
    component: str | None = None,
    *,
    method: str = "2sfca",
    minutes: float | None = None,
    capacity: ValuesLike | None = None,
    zones: Mapping[float, float] | None = None,
    decay: str = "power",
    beta: float = 1.0,
    min_m: float = 50.0,
    speed_kmh: float | None = None,
    entrances: gpd.GeoSeries | None = None,
    by: str | None = None,
    rules: RulesLike = None,
) -> CapacityAccess:
    """Supply per 1,000 residents within walking reach (2SFCA, enhanced 2SFCA, gravity).

    Two forms, told apart by the first argument's type:

    - ``capacity_access(res, "care", ...)`` with an :class:`~infra_geo.Analysis`: the
      network, the facilities, the residents *as the gap table placed them* (its
      ``residents`` per unit), the walking speed and the access engine (its access points)
      come from the result; no input is read or attached again.
    - ``capacity_access(net, facilities, population, "care", ...)``: explicit inputs.

    Both give the same numbers for the same residents (tested). The first argument's type
    decides, rather than a ``result=`` keyword, so that the result form reads as the issue's
    contract (``ig.capacity_access(res, "care", ...)``) and the explicit form keeps its
    positional order; mixing the two (a result *and* a population, ``by=``...) is refused.

    Parameters
    ----------
    net : WalkNetwork or Analysis
        The network, or a result of :func:`infra_geo.analyse` (then the second argument is
        the component).
    facilities : GeoDataFrame or dict of GeoDataFrames
        Classified facilities (as for :func:`infra_geo.distance_to_nearest`).
    population : GeoDataFrame
        Points with ``population`` (and ``unit_id`` for the per-unit table).
    component : str
        One group key (a component, a ``by`` value or a rules key).
    method : {"2sfca", "e2sfca", "gravity"}
        Plain catchment, step weights per sub-zone (Luo & Qi 2009), or distance decay.
    minutes : float, optional
        Catchment in walking minutes (default the largest of ``settings.default_minutes``,
        of the result's thresholds in the result form;
        for ``e2sfca`` with ``zones`` the largest zone, and ``minutes`` must be left out or
        equal to it).
    capacity : str or array-like, optional
        Column or values per facility of the group (see :func:`facility_capacity`).
    zones : dict, optional
        ``e2sfca`` step weights ``{upper minutes: weight}`` (default thirds of ``minutes``
        weighted 1, 0.68, 0.22).
    decay : {"power", "exponential"}
        Gravity decay: ``(max(d, min_m) / min_m) ** -beta`` or ``exp(-beta * d / 1000)``
        with ``d`` in metres.
    beta : float
        Decay parameter (> 0).
    min_m : float
        Distance below which the power decay is flat (> 0).
    speed_kmh : float, optional
        Walking speed (default ``settings.walk_speed_kmh``; the result's in the result form).
    entrances, by, rules : optional
        As in :func:`infra_geo.distance_to_nearest` (explicit form only).

    Returns
    -------
    CapacityAccess

    Raises
    ------
    InputError
        Unknown method or decay, non-positive minutes/beta/capacity, more than one group.
    UnknownComponentError
        ``component`` is not a group of the facilities.
    EmptyDataError
        The group has no facilities.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import infra_geo as ig
    >>> path = ig.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> homes = net.nodes.geometry.iloc[:50].to_numpy()
    >>> pop = gpd.GeoDataFrame({"population": [2.0] * 50}, geometry=homes, crs=net.crs)
    >>> ca = ig.capacity_access(net, fac, pop, "care", method="e2sfca", minutes=15)
    >>> ca.capacity_source  # no capacity column or tag in the sample: 1 per facility
    'one_per_facility'
    >>> res = ig.analyse(neighbourhoods="hex:250")
    >>> ig.capacity_access(res, "care", minutes=10).units.columns.tolist()
    ['residents', 'per_1000', 'share_none']
    """
    form = result_form(
        net,
        facilities,
        population,
        component,
        "capacity_access",
        entrances=entrances,
        by=by,
        rules=rules,
    )
    if form is not None:
        res, key = form
        speed_kmh = res.speed_kmh if speed_kmh is None else speed_kmh
        minutes = max(res.minutes) if minutes is None and zones is None else minutes
    opts = _options(method, minutes, zones, decay, beta, min_m, speed_kmh)
    if form is not None:
        ri = result_inputs(res, key)
        walk, fac, pop_gdf, pop = ri.net, ri.facilities, ri.points, ri.weights
        cap = facility_capacity(fac, capacity, crs=walk.crs)
        od = _od_from_attachments(
            walk, ri.src, ri.edge, ri.offset, len(fac), ri.snap.edge, ri.snap.offset, opts["cutoff"]
        )
    else:
        walk = _check_net(net)
        pop_gdf, pop = _population(population)
        fac = _group_facilities(facilities, component, by, rules)
        key = str(component)
        cap = facility_capacity(fac, capacity, crs=walk.crs)
        od = walking_od(walk, fac, pop_gdf, cutoff_m=opts["cutoff"], entrances=entrances)
    return _measure(walk, fac, pop_gdf.to_crs(walk.crs), pop, od, cap, opts, key)


def _options(
    method: str,
    minutes: Any,
    zones: Mapping[float, float] | None,
    decay: str,
    beta: Any,
    min_m: Any,
    speed_kmh: Any,
) -> dict[str, Any]:
    """Check the options of :func:`capacity_access`: catchment, zones in metres, decay."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, not {method!r}.")
    if decay not in DECAYS:
        raise InputError(f"decay must be one of {', '.join(DECAYS)}, not {decay!r}.")
    beta = _positive(beta, "beta")
    min_m = _positive(min_m, "min_m")
    mpm = metres_per_minute(settings.walk_speed_kmh if speed_kmh is None else speed_kmh)
    zmin: dict = {}
    if method == "e2sfca" and zones is not None:
        zmin = step_weights(0.0, zones=zones)
        if minutes is not None and _positive(minutes, "minutes") != max(zmin):
            raise InputError(
                f"minutes={minutes!r} differs from the largest zone ({max(zmin)!r}): with "
                "zones= the catchment is the largest zone; leave minutes out."
            )
        minutes = max(zmin)
    if minutes is None:
        minutes = max(settings.default_minutes)
    minutes = _positive(minutes, "minutes")
    if method == "e2sfca" and not zmin:
        zmin = step_weights(minutes)
    return {
        "method": method,
        "minutes": minutes,
        "zones_min": zmin,
        "zones_m": {k * mpm: w for k, w in zmin.items()},
        "cutoff": minutes * mpm,
        "decay": decay,
        "beta": beta,
        "min_m": min_m,
    }


def _measure(
    net: WalkNetwork,
    fac: gpd.GeoDataFrame,
    pts: gpd.GeoDataFrame,
    pop: np.ndarray,
    od: WalkingOD,
    capacity: tuple[np.ndarray, str],
    opts: dict[str, Any],
    component: str,
) -> CapacityAccess:
    """Run the two floating-catchment steps on a walking OD, as a :class:`CapacityAccess`."""
    cap, cap_src = capacity
    method, decay = opts["method"], opts["decay"]
    w = _weights(od.metres, method, opts["zones_m"], decay, opts["beta"], opts["min_m"])
    acc, ratio, wd = two_step(od, pop, cap, w)
    n_reach = np.bincount(od.point[w > 0], minlength=od.n_points)
    pts = pts.copy()
    pts["access"] = acc
    pts["per_1000"] = acc * 1000.0
    pts["n_reachable"] = n_reach
    pts.attrs["capacity_source"] = cap_src
    fac_tab = _facility_table(fac, cap, cap_src, wd, ratio)
    units = _unit_table(pts, pop)
    return CapacityAccess(
        pts,
        units,
        fac_tab,
        cap_src,
        method,
        od.cutoff_m,
        {
            "minutes": opts["minutes"],
            "zones_min": opts["zones_min"],
            "decay": decay if method == "gravity" else None,
            "beta": opts["beta"] if method == "gravity" else None,
            "min_m": opts["min_m"] if method == "gravity" and decay == "power" else None,
            "component": component,
        },
        od,
    )


def _facility_table(
    fac: gpd.GeoDataFrame, cap: np.ndarray, cap_src: Any, wd: np.ndarray, ratio: np.ndarray
) -> pd.DataFrame:
    """Per facility: capacity (and where it came from), demand reached, supply per 1,000."""
    return pd.DataFrame(
        {
            "facility_id": (
                fac["facility_id"].to_numpy()
                if "facility_id" in fac.columns
                else np.arange(len(fac))
            ),
            "capacity": cap,
            "capacity_source": cap_src,
            "demand_reached": wd,
            "per_1000_users": ratio * 1000.0,
        }
    )


def _unit_table(pts: gpd.GeoDataFrame, pop: np.ndarray) -> pd.DataFrame:
    if "unit_id" not in pts.columns:
        unit = np.zeros(len(pts), dtype=object)
        unit[:] = "all"
    else:
        unit = pts["unit_id"].astype(str).to_numpy(dtype=object)
    df = pd.DataFrame(
        {
            "unit_id": unit,
            "residents": pop,
            "_wa": pop * pts["per_1000"].to_numpy(),
            "_none": pop * (pts["n_reachable"].to_numpy() == 0),
        }
    )
    g = df.groupby("unit_id", sort=True)[["residents", "_wa", "_none"]].sum()
    res = g["residents"].to_numpy()
    out = pd.DataFrame(
        {
            "residents": res,
            "per_1000": np.divide(
                g["_wa"].to_numpy(), res, out=np.full(len(g), np.nan), where=res > 0
            ),
            "share_none": np.divide(
                g["_none"].to_numpy(), res, out=np.full(len(g), np.nan), where=res > 0
            ),
        },
        index=g.index,
    )
    return out


# ------------------------------------------------------------------- into the gap table

#: options of :func:`with_capacity` passed on to the measure (the rest comes from the result)
_MEASURE_OPTIONS = ("zones", "decay", "beta", "min_m")


def with_capacity(
    res: Analysis,
    component: str,
    *,
    capacity: ValuesLike | None = None,
    method: str = "2sfca",
    minutes: float | Iterable[float] | None = None,
    **options: float | str | Mapping[float, float],
) -> Analysis:
    """Return the result with the supply per 1,000 residents of one group in its gap table.

    The gap table gains ``{component}_supply_{m}`` per walking time ``m`` (the residents-
    weighted mean over the unit of :func:`capacity_access`'s per-resident value: capacity
    per 1,000 residents within reach), ``{component}_supply_method`` and
    ``{component}_capacity_source`` (where the capacity came from, e.g. ``column:capacity``
    or ``one_per_facility``); the notes (and so ``summary.md``) state the method and the
    source; ``save`` writes the columns and the map offers them as measures. Asking again
    replaces the group's columns. The residents are those the gap table counts.

    Parameters
    ----------
    res : Analysis
    component : str
        One of the result's groups (e.g. ``"care"``).
    capacity : str or array-like, optional
        A column of the facilities or one value per facility of the group (see
        :func:`facility_capacity`); default the OSM tags where every facility has one,
        else 1 per facility.
    method : {"2sfca", "e2sfca", "gravity"}
    minutes : number or list of whole numbers, optional
        Catchments (default the result's thresholds).
    **options
        ``zones``, ``decay``, ``beta``, ``min_m`` as in :func:`capacity_access`.

    Returns
    -------
    Analysis
        A new result sharing everything but the gap table and the notes.

    Raises
    ------
    InputError
        Not an Analysis, fractional minutes, an unknown option, a bad capacity.
    UnknownComponentError
        ``component`` is not a group of the result.
    EmptyDataError
        The group has no facilities.

    Examples
    --------
    >>> import infra_geo as ig
    >>> res = ig.analyse(neighbourhoods="hex:250").with_capacity("care", minutes=10)
    >>> res.gaps[["care_supply_10", "care_capacity_source"]].columns.tolist()
    ['care_supply_10', 'care_capacity_source']
    """
    from dataclasses import replace

    from . import _schema
    from ._validate import minutes_tuple
    from .analysis import Analysis

    if not isinstance(res, Analysis):
        raise InputError(
            f"with_capacity needs an ig.Analysis (ig.analyse), not {type(res).__name__}."
        )
    bad = sorted(set(options) - set(_MEASURE_OPTIONS))
    if bad:
        raise InputError(
            f"with_capacity takes {', '.join(_MEASURE_OPTIONS)} as options, not "
            f"{', '.join(bad)} (the network, residents and speed come from the result)."
        )
    mins = res.minutes if minutes is None else minutes_tuple(minutes)
    zones, decay = options.get("zones"), options.get("decay", "power")
    beta, min_m = options.get("beta", 1.0), options.get("min_m", 50.0)
    opts = {m: _options(method, m, zones, decay, beta, min_m, res.speed_kmh) for m in mins}  # type: ignore[arg-type]
    ri = result_inputs(res, component)
    key, net, fac = ri.component, ri.net, ri.facilities
    cap = facility_capacity(fac, capacity, crs=net.crs)
    big = max(o["cutoff"] for o in opts.values())
    od = _od_from_attachments(
        net, ri.src, ri.edge, ri.offset, len(fac), ri.snap.edge, ri.snap.offset, big
    )
    ours = {(key, m) for m in (*_schema.CAPACITY_MINUTE_MEASURES, *_schema.CAPACITY_MEASURES)}
    g = res.gaps.drop(columns=[c for c in res.gaps.columns if (_schema.parse(c) or ())[:2] in ours])
    uid = g["unit_id"].astype(str)
    for m, o in opts.items():
        ca = _measure(net, fac, ri.points, ri.weights, od.within(o["cutoff"]), cap, o, key)
        g[_schema.supply(key, m)] = uid.map(ca.units["per_1000"]).to_numpy(dtype=float)
    g[_schema.column(key, "supply_method")] = method
    g[_schema.column(key, "capacity_source")] = cap[1]
    g.attrs["capacity"] = {
        **res.gaps.attrs.get("capacity", {}),
        key: {
            "method": method,
            "minutes": mins,
            "capacity_source": cap[1],
            "capacity": capacity if capacity is None or isinstance(capacity, str) else None,
            "options": dict(options),
        },
    }
    notes = [n for n in res.notes if not n.startswith(f"capacity of {key}: ")]
    return replace(res, gaps=g, notes=[*notes, _note(key, method, mins, cap[1])])


def _note(key: str, method: str, mins: tuple[float, ...], source: str) -> str:
    """Return the run note stating how a group's supply columns were computed."""
    what = {"one_per_facility": ": no size known, every facility counts 1"}.get(source, "")
    return (
        f"capacity of {key}: {method.upper()} supply per 1,000 residents within "
        f"{', '.join(f'{m:g}' for m in mins)} min (columns {key}_supply_*); capacity source "
        f"{source}{what}"
    )
