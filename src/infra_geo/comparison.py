"""Before and after: per neighbourhood, who gains and who loses walking access.

:func:`compare` sets two results on the same network and units side by side (typically an
analysis and a :meth:`~infra_geo.Analysis.scenario` of it) and gives, per unit, the residents
newly within reach and no longer within reach per component and walking time (each
resident's own walk compared, so a closure and an opening in one scenario do not cancel
out), and the change of the mean and median walking distance, of completeness and of any
capacity measure both gap tables carry.
:func:`compare_map` draws it. What every column means: ``COMPARE_COLUMNS_DOC``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import _compare_schema, _schema
from ._types import Map
from .accessibility import metres_per_minute
from .analysis import Analysis
from .errors import InputError
from .gaps import gaps_and_residents, resident_access
from .population import assign_units, units_frame

__all__ = ["COMPARE_COLUMNS_DOC", "compare", "compare_map"]

#: what every comparison column means (generated from ``_compare_schema.COMPARE_COLUMN_DESCRIPTIONS``)
COMPARE_COLUMNS_DOC = _compare_schema.compare_columns_doc()


def compare(before: Analysis, after: Analysis) -> gpd.GeoDataFrame:
    """Per neighbourhood: residents newly reached and no longer reached, and distance changes.

    Parameters
    ----------
    before, after : Analysis
        Two results on the same network, units, residents, walking times and speed: an
        analysis and a scenario of it (:meth:`Analysis.scenario`), two scenarios of one
        analysis, or two runs of the same data with different facilities.

    Returns
    -------
    GeoDataFrame
        One row per unit (as the gap tables, sorted by ``unit_id``), EPSG:4326: ``unit_id``,
        ``unit_name``, ``residents``, ``partial``, ``data_problem``, then per component
        ``c`` and walking time ``m``: ``{c}_newly_reached_{m}``,
        ``{c}_no_longer_reached_{m}``, ``{c}_reached_change_{m}``, ``{c}_share_change_{m}``,
        per component ``{c}_mean_m_change``, ``{c}_median_m_change``, and
        ``completeness_change_{m}``, and ``{measure}_change`` for every capacity measure both
        gap tables carry (see ``COMPARE_COLUMNS_DOC``); ``attrs`` hold the
        ``minutes``, the components whose facilities differ (``changed``), and the facility
        ids only in ``before`` (``removed``) and only in ``after`` (``added``).

    Raises
    ------
    InputError
        Not two results, or results on different networks, units, residents, walking times
        or speeds.

    Examples
    --------
    >>> import infra_geo as ig
    >>> res = ig.analyse()  # the embedded sample
    >>> lib = res.facilities.loc[res.facilities["category"] == "amenity=library", "facility_id"]
    >>> cmp = ig.compare(res, res.scenario(remove=list(lib)))
    >>> bool((cmp["digital_newly_reached_10"] == 0).all())  # a closure reaches nobody new
    True
    >>> bool(cmp["digital_no_longer_reached_10"].sum() > 0)
    True
    """
    _check_pair(before, after)
    r0, r1 = _resident_pair(before, after)
    g0, g1 = before.gaps, after.gaps
    w = r1["population"].to_numpy(dtype=float)
    if not np.allclose(w, r0["population"].to_numpy(dtype=float), rtol=0, atol=1e-9):
        raise InputError(
            "before and after place their residents differently (other population or "
            "neighbourhood options): compare results of the same analysis."
        )
    unit = _point_units(r1, g1, w, after.neighbourhoods)
    n, mins = len(g1), after.minutes
    mpm = metres_per_minute(after.speed_kmh)
    keys = [k for k in after._engine().keys if k in before._engine().keys]
    cols: dict[str, Any] = {c: g1[c].to_numpy() for c in _compare_schema.COMPARE_FIXED_COLUMNS}
    for k in keys:
        d0, d1 = r0[k].to_numpy(dtype=float), r1[k].to_numpy(dtype=float)
        for m in mins:
            in0, in1 = d0 <= m * mpm, d1 <= m * mpm
            gain = np.bincount(unit, weights=np.where(in1 & ~in0, w, 0.0), minlength=n + 1)[:n]
            loss = np.bincount(unit, weights=np.where(in0 & ~in1, w, 0.0), minlength=n + 1)[:n]
            cols[_compare_schema.compare_column(k, "newly_reached", m)] = gain
            cols[_compare_schema.compare_column(k, "no_longer_reached", m)] = loss
            cols[_compare_schema.compare_column(k, "reached_change", m)] = gain - loss
            share = _schema.share(k, m)
            cols[_compare_schema.compare_column(k, "share_change", m)] = _diff(g0, g1, share)
        cols[_compare_schema.compare_column(k, "mean_m_change")] = _diff(g0, g1, _schema.mean_m(k))
        med0, med1 = _weighted_median(d0, w, unit, n), _weighted_median(d1, w, unit, n)
        both = np.isfinite(med0) & np.isfinite(med1)
        cols[_compare_schema.compare_column(k, "median_m_change")] = np.subtract(
            med1, med0, out=np.full(n, np.nan), where=both
        )
    for m in mins:
        cols[_compare_schema.compare_column(None, "completeness_change", m)] = _diff(
            g0, g1, _schema.completeness(m)
        )
    for col in _capacity_columns(before, after):
        cols[col + _compare_schema.CHANGE_SUFFIX] = _diff(g0, g1, col)
    out = gpd.GeoDataFrame(cols, geometry=g1.geometry.to_numpy(), crs=g1.crs)
    out.attrs.update(_edits(before, after, keys))
    out.attrs["minutes"] = tuple(mins)
    return out


def compare_map(
    before: Analysis,
    after: Analysis,
    *,
    comparison: gpd.GeoDataFrame | None = None,
    lang: str | None = None,
    title: str | None = None,
) -> Map:
    """Return a folium map of :func:`compare`: residents gaining and losing access, per unit.

    One layer per changed component and walking time (the first shown), colouring each
    unit by its change of residents within reach on a diverging scale (blue: more
    residents reached, red: fewer, white: no change; symmetric around zero), with the added
    facilities (green) and the removed ones (red) marked. Every name from the data is
    HTML-escaped.

    Parameters
    ----------
    before, after : Analysis
        As in :func:`compare`.
    comparison : GeoDataFrame, optional
        ``compare(before, after)`` when already computed.
    lang : {"nl", "en"}, optional
        Language of the labels (default ``after.lang``).
    title : str, optional
        The map title (default: says what is compared; escaped).

    Returns
    -------
    folium.Map
    """
    from .maps._compare_layer import comparison_map

    cmp = compare(before, after) if comparison is None else comparison
    if not isinstance(cmp, gpd.GeoDataFrame) or "unit_id" not in cmp.columns:
        raise InputError("comparison must be the GeoDataFrame compare(before, after) returned.")
    lang = after.lang if lang is None else lang
    if lang not in ("nl", "en"):
        raise InputError(f"lang must be 'nl' or 'en', got {lang!r}.")
    if title is not None and not isinstance(title, str):
        raise InputError(f"title must be a string, not {type(title).__name__}.")
    fac0, fac1 = before.facilities, after.facilities
    added = fac1.loc[~fac1["facility_id"].isin(fac0["facility_id"])]
    removed = fac0.loc[~fac0["facility_id"].isin(fac1["facility_id"])]
    if title is None:
        title = f"{_label(before)} → {_label(after)}"
    return comparison_map(cmp, added=added, removed=removed, lang=lang, title=title)


# ------------------------------------------------------------------------------ helpers


def _label(res: Analysis) -> str:
    name = getattr(res, "name", None)
    return f"scenario “{name}”" if name else "base run"


def _check_pair(before: Any, after: Any) -> None:
    for what, res in (("before", before), ("after", after)):
        if not isinstance(res, Analysis):
            raise InputError(
                f"{what} must be an ig.Analysis (ig.analyse or res.scenario), not "
                f"{type(res).__name__}."
            )
    a, b = before.network, after.network
    same_net = a is b or (
        a.n_nodes == b.n_nodes
        and a.n_edges == b.n_edges
        and np.array_equal(a.node_ids, b.node_ids)
        and np.array_equal(a.edge_u, b.edge_u)
        and np.array_equal(a.edge_v, b.edge_v)
        and np.array_equal(a.edge_length, b.edge_length)
    )
    if not same_net:
        raise InputError(
            "before and after are on different walking networks: compare results of the same "
            "data (e.g. an analysis and res.scenario(...))."
        )
    u0, u1 = before.gaps["unit_id"].astype(str), after.gaps["unit_id"].astype(str)
    if len(u0) != len(u1) or not (u0.to_numpy() == u1.to_numpy()).all():
        raise InputError(
            "before and after have different neighbourhoods: compare results with the same "
            "units (the same neighbourhoods= option)."
        )
    if tuple(before.minutes) != tuple(after.minutes) or before.speed_kmh != after.speed_kmh:
        raise InputError(
            f"before and after use different walking times or speeds ({before.minutes} at "
            f"{before.speed_kmh:g} km/h, {after.minutes} at {after.speed_kmh:g} km/h)."
        )
    if len(before.population) != len(after.population):
        raise InputError("before and after have different population points.")


def _resident_pair(before: Analysis, after: Analysis) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the placed resident points with their walking metres in ``before`` and ``after``."""
    pair = _stored_pair(after, before)
    if pair is not None:
        return pair
    pair = _stored_pair(before, after)
    if pair is not None:
        return pair[1], pair[0]
    return _residents(before), _residents(after)


def _stored_pair(res: Analysis, base: Analysis) -> tuple[Any, Any] | None:
    """(base's table, res's table) when ``res`` is a scenario of ``base`` (kept by it)."""
    if getattr(res, "base", None) is base and getattr(res, "residents", None) is not None:
        return res.base_residents, res.residents  # type: ignore[attr-defined]
    return None


def _residents(res: Analysis) -> gpd.GeoDataFrame:
    """Return the placed resident points of ``res`` with its walking metres (as its gap table)."""
    stored = getattr(res, "residents", None)
    if stored is not None:
        return stored
    net, fac = res.network, res.facilities
    acc = resident_access(net, fac, res.population, access=res._engine())
    return gaps_and_residents(
        net,
        fac,
        res.neighbourhoods,
        res.population,
        minutes=res.minutes,
        speed_kmh=res.speed_kmh,
        extent=res.extent,
        entrances=res.entrances,
        access=acc,
    )[1]


def _point_units(
    pts: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame, w: np.ndarray, units: Any
) -> np.ndarray:
    """Row of ``gaps`` per placed point (``len(gaps)`` for a point with no weight).

    As the gap table counts them: a point carrying the ``unit_id`` of a unit of the table
    belongs to it, any other placed point to the unit it lies in (on a shared border: the
    first of them in the order of ``units``, the neighbourhoods as given).
    """
    n = len(gaps)
    ids = pd.Index(gaps["unit_id"].astype(str))
    unit = np.full(len(pts), -1, dtype=np.int64)
    if "unit_id" in pts.columns:
        uid = pts["unit_id"].astype("string")
        has = uid.notna().to_numpy()
        unit[has] = ids.get_indexer(uid[has].astype(str))
    loc = (unit < 0) & (w > 0)
    if loc.any():
        given = pd.Index(units_frame(units)["unit_id"].astype(str))
        order = np.argsort(given.get_indexer(ids), kind="stable")
        units_m = gaps[["unit_id", "geometry"]].iloc[order].to_crs(pts.crs)
        got = assign_units(pts.loc[loc], units_m)
        unit[loc] = np.where(got >= 0, order[np.maximum(got, 0)], -1)
    return np.where((unit >= 0) & (w > 0), unit, n)


def _capacity_columns(before: Analysis, after: Analysis) -> list[str]:
    """Numeric capacity measures of both gap tables (not the neighbourhoods' own columns)."""
    own = set(before.neighbourhoods.columns) | set(after.neighbourhoods.columns)
    g0, g1 = before.gaps, after.gaps
    return [
        c
        for c in g1.columns
        if c in g0.columns
        and c not in own
        and _compare_schema.is_capacity_column(c)
        and pd.api.types.is_numeric_dtype(g0[c])
        and pd.api.types.is_numeric_dtype(g1[c])
    ]


def _diff(g0: pd.DataFrame, g1: pd.DataFrame, col: str) -> np.ndarray:
    """``g1[col] - g0[col]`` as floats (NaN where either is missing)."""
    return g1[col].to_numpy(dtype=float) - g0[col].to_numpy(dtype=float)


def _weighted_median(d: np.ndarray, w: np.ndarray, unit: np.ndarray, n: int) -> np.ndarray:
    """Per unit the residents-weighted (lower) median of ``d``; NaN without residents.

    No path (``inf``) counts as beyond every distance, so a median of ``inf`` means more
    than half the unit's residents have no path.
    """
    out = np.full(n, np.nan)
    ok = (w > 0) & (unit < n)
    v, ww, g = d[ok], w[ok], unit[ok]
    if not len(v):
        return out
    order = np.lexsort((v, g))
    v, ww, g = v[order], ww[order], g[order]
    cw = np.cumsum(ww)
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    before = np.repeat(np.r_[0.0, cw[starts[1:] - 1]], np.diff(np.r_[starts, len(g)]))
    tot = np.bincount(g, weights=ww, minlength=n)
    hit = np.flatnonzero((cw - before) / tot[g] >= 0.5 - 1e-12)
    first = hit[np.r_[True, g[hit][1:] != g[hit][:-1]]]
    out[g[first]] = v[first]
    return out


def _edits(before: Analysis, after: Analysis, keys: list[str]) -> dict[str, Any]:
    """Facility ids only in ``before`` / only in ``after``, and the components they touch."""
    f0, f1 = before.facilities, after.facilities
    id0, id1 = set(f0["facility_id"].astype(str)), set(f1["facility_id"].astype(str))
    removed = f0.loc[~f0["facility_id"].astype(str).isin(id1)]
    added = f1.loc[~f1["facility_id"].astype(str).isin(id0)]
    touched: set[str] = set()
    for frame in (removed, added):
        for v in frame["components"].dropna().astype(str):
            touched.update(x for x in v.split(";") if x)
    return {
        "removed": tuple(removed["facility_id"].astype(str)),
        "added": tuple(added["facility_id"].astype(str)),
        "changed": tuple(k for k in keys if k in touched),
    }
