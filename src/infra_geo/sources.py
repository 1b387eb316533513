"""Facilities and public spaces from OpenStreetMap, classified into the eight components.

Offline from an extract (:func:`facilities_from_file`) or online through osmnx and the
Overpass API (:func:`facilities_from_place`, :func:`facilities_from_polygon`,
:func:`facilities_from_bbox`). Every front door returns the same table: one row per
real-world facility, EPSG:4326, with the columns described in :func:`facilities_from_file`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _online
from ._deprecate import positional_deprecated, renamed_keyword
from ._log import log
from ._osm_reader import read_osm
from ._types import BBox, CRSLike, PathLike, PolygonLike
from ._validate import as_polygon, bbox_polygon, check_overlap
from .components import Rules, classify, component_matrix, load_rules

__all__ = [
    "FACILITY_COLUMNS",
    "entrances_from_file",
    "facilities_from_bbox",
    "facilities_from_file",
    "facilities_from_place",
    "facilities_from_polygon",
    "geocode_place",
]

#: the columns every facilities table starts with, in this order
FACILITY_COLUMNS = (
    "facility_id",
    "component",
    "components",
    "category",
    "name",
    "osm_type",
    "osm_id",
)

RulesLike = str | os.PathLike[str] | Mapping[str, Any] | Rules | None


@positional_deprecated(2, ("rules", "polygon_crs", "merge_duplicates"))
@renamed_keyword("crs", "polygon_crs")
def facilities_from_file(
    path: PathLike,
    polygon: PolygonLike | None = None,
    *,
    rules: RulesLike = None,
    polygon_crs: CRSLike | None = None,
    merge_duplicates: bool = True,
) -> gpd.GeoDataFrame:
    """Facilities and public spaces in an OSM extract, classified into the eight components.

    Use this offline, with an extract from Geofabrik, BBBike, an osmium/osmconvert clip or an
    openstreetmap.org export. Clipped extracts are fine: objects that reach outside the file
    are dropped whole (and logged), everything complete is kept.

    Parameters
    ----------
    path : str or path-like
        An ``.osm``, ``.osm.gz``, ``.osm.bz2`` or ``.osm.pbf`` file (the format is read from
        the content, not the name).
    polygon : shapely (Multi)Polygon, GeoDataFrame or GeoSeries, optional
        Keep only facilities that intersect this area.
    rules : path, dict or Rules, optional
        A component taxonomy to use instead of the shipped one (see :func:`load_rules`).
    polygon_crs : CRS-like, optional, keyword-only
        CRS of a bare shapely ``polygon`` (default EPSG:4326 lon/lat; ``crs=`` is its
        deprecated old name).
    merge_duplicates : bool, keyword-only
        Merge a facility mapped twice (a point or building inside an area of the same
        component and category value) into one row. ``False`` keeps one row per OSM object.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per real-world facility, columns ``facility_id``
        (``"way/123"``), ``component`` (primary key), ``components`` (all memberships,
        ``;``-separated), ``category`` (``"amenity=library"``), ``name``, ``osm_type``,
        ``osm_id``, then the OSM tags, and ``geometry`` (points for nodes, lines, and
        (multi)polygons for areas). Empty (with a warning) when the file holds no facility.

    Raises
    ------
    DataFileError
        The file is missing, empty, truncated, or not an OSM file.
    GeometryError, CRSError
        ``polygon`` is invalid, self-intersecting or in an unknown CRS.
    OutsideDataError
        ``polygon`` does not overlap the extract.

    Examples
    --------
    >>> import infra_geo as ig
    >>> fac = ig.facilities_from_file(ig.sample_path())  # or "liechtenstein.osm.pbf"
    >>> sorted(fac["component"].unique())[:2]
    ['associations', 'care']
    """
    r = load_rules(rules)
    area = as_polygon(polygon, crs=polygon_crs) if polygon is not None else None
    data = read_osm(path, r.match_keys())
    if area is not None:
        check_overlap(area, data.extent, str(path))
    return _finalise(data.features, r, area, source=Path(path).name, merge=merge_duplicates)


@positional_deprecated(1, ("rules", "polygon_crs"))
@renamed_keyword("crs", "polygon_crs")
def facilities_from_polygon(
    polygon: PolygonLike, *, rules: RulesLike = None, polygon_crs: CRSLike | None = None
) -> gpd.GeoDataFrame:
    """Facilities inside a polygon, online from the Overpass API through osmnx.

    Parameters
    ----------
    polygon : shapely (Multi)Polygon, GeoDataFrame or GeoSeries
        The area (EPSG:4326 unless ``polygon_crs`` or the frame's CRS says otherwise).
    rules : path, dict or Rules, optional
        A component taxonomy (see :func:`load_rules`).
    polygon_crs : CRS-like, optional, keyword-only
        CRS of a bare shapely ``polygon`` (``crs=`` is its deprecated old name).

    Returns
    -------
    GeoDataFrame
        As :func:`facilities_from_file`.

    Raises
    ------
    OnlineError
        Overpass could not be reached (offline? use :func:`facilities_from_file`).
    GeometryError, CRSError
        The polygon is invalid or in an unknown CRS.

    Notes
    -----
    osmnx caches responses in ``settings.cache_folder``; the endpoint is
    ``settings.overpass_url`` (osmnx's default when ``None``).
    """
    r = load_rules(rules)
    area = as_polygon(polygon, crs=polygon_crs)
    return _finalise(_online.features(area, r.osm_tags()), r, area, source="Overpass")


@positional_deprecated(1, ("rules",))
def facilities_from_place(
    query: str | Mapping[str, str], *, rules: RulesLike = None
) -> gpd.GeoDataFrame:
    """Facilities in a named place (e.g. ``"Vaduz, Liechtenstein"``), online.

    The place is geocoded with Nominatim (through osmnx) to its boundary polygon, then
    :func:`facilities_from_polygon` does the work.

    Parameters
    ----------
    query : str or dict
        A place name or a structured Nominatim query.
    rules : path, dict or Rules, optional
        A component taxonomy.

    Returns
    -------
    GeoDataFrame
        As :func:`facilities_from_file`.

    Raises
    ------
    PlaceNotFoundError
        Nominatim knows no area by that name; try a fuller name ("Utrecht, Nederland").
    OnlineError
        Nominatim or Overpass could not be reached.
    """
    return facilities_from_polygon(geocode_place(query), rules=rules)


@positional_deprecated(1, ("rules",))
def facilities_from_bbox(bbox: BBox, *, rules: RulesLike = None) -> gpd.GeoDataFrame:
    """Facilities in a bounding box ``(west, south, east, north)`` in degrees, online.

    Parameters
    ----------
    bbox : tuple of float
        ``(west, south, east, north)``, the order osmnx 2 uses.
    rules : path, dict or Rules, optional
        A component taxonomy.

    Returns
    -------
    GeoDataFrame
        As :func:`facilities_from_file`.
    """
    return facilities_from_polygon(bbox_polygon(bbox), rules=rules)


def geocode_place(query: str | Mapping[str, str]) -> shapely.Geometry:
    """Return the boundary polygon (EPSG:4326) of a named place, from Nominatim through osmnx.

    Raises
    ------
    PlaceNotFoundError
        No polygon was found for ``query``.
    OnlineError
        Nominatim could not be reached.
    """
    return _online.geocode(query)


def _finalise(
    features: gpd.GeoDataFrame, rules: Rules, area: Any, source: str, merge: bool = True
) -> gpd.GeoDataFrame:
    """Classify, clip, merge duplicates and order the columns."""
    feats = features
    if area is not None and len(feats):
        feats = feats.loc[feats.intersects(area)]
    fac = _classify_used(feats, rules)
    fac = fac.loc[~fac.geometry.is_empty & fac.geometry.notna()]
    if merge:
        fac = _merge_duplicates(fac)
    if "name" not in fac.columns:
        fac["name"] = pd.Series(pd.NA, index=fac.index, dtype="string")
    fac["facility_id"] = fac["osm_type"].astype("string") + "/" + fac["osm_id"].astype("string")
    order = {k: i for i, k in enumerate(rules.keys)}
    fac = fac.assign(_o=fac["component"].map(order)).sort_values(["_o", "osm_type", "osm_id"])
    fac = fac.drop(columns="_o")
    tag_cols = sorted(c for c in fac.columns if c not in FACILITY_COLUMNS and c != "geometry")
    # keep tag columns that carry a value for at least one facility
    tag_cols = [c for c in tag_cols if fac[c].notna().any()]
    out = gpd.GeoDataFrame(
        fac[[*FACILITY_COLUMNS, *tag_cols, "geometry"]].reset_index(drop=True),
        geometry="geometry",
        crs="EPSG:4326",
    )
    out.attrs["rules_version"] = rules.version
    if len(out) == 0:
        log(
            f"No facilities found in {source}: it holds no OSM object that matches the component "
            "rules (a street-only extract?). The result is empty.",
            logging.WARNING,
        )
    else:
        counts = dict(zip(rules.keys, component_matrix(out, rules.keys).sum(axis=0), strict=True))
        log(
            f"{source}: {len(out)} facilities ("
            + ", ".join(f"{k} {counts.get(k, 0)}" for k in rules.keys)
            + ")"
        )
    return out


def _classify_used(feats: gpd.GeoDataFrame, rules: Rules) -> gpd.GeoDataFrame:
    """Return ``classify(feats)`` less the tag columns that no kept row has a value in.

    A file's features carry a column per tag key in the file (Malta: 472), the facilities
    use about a quarter of them (116) and :func:`_finalise` drops the rest; ``classify``
    would copy all of them, and the merge and sort after it again. So the rules run on the
    keys they read, and only the columns the kept rows use are copied.
    """
    read = set(rules.exclude).union(*(r.keys() for r in rules.rules))
    marks = classify(
        pd.DataFrame(feats[[c for c in feats.columns if c in read]]),
        rules=rules,
        keep_unmatched=True,
    )
    kept = marks["component"].notna().to_numpy(dtype=bool)
    keep_always = {*FACILITY_COLUMNS, "osm_type", "osm_id", feats.geometry.name}
    filled = feats.notna().to_numpy(dtype=bool)[kept].any(axis=0)
    used = [c for c, f in zip(feats.columns, filled, strict=True) if f or c in keep_always]
    out = feats.loc[kept, used].copy()
    for c in ("component", "components", "category"):
        out[c] = pd.Series(marks[c].to_numpy()[kept], index=out.index, dtype="string")
    return out


def _merge_duplicates(fac: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per real-world facility.

    A feature whose representative point lies inside an area feature of the same primary
    component and the same category value (``amenity=school`` point in a ``building=school``
    or ``amenity=school`` polygon) is the same facility mapped twice: the area is kept,
    and takes the name of the inner feature when it has none.
    """
    if len(fac) < 2:
        return fac
    fac = fac.reset_index(drop=True)
    geom = fac.geometry.to_numpy()
    is_area = np.isin(shapely.get_type_id(geom), (3, 6))
    if not is_area.any():
        return fac
    pts = shapely.point_on_surface(geom)
    tree = shapely.STRtree(geom[is_area])
    area_idx = np.flatnonzero(is_area)
    inner, outer_local = tree.query(pts, predicate="within")
    outer = area_idx[outer_local]
    value = fac["category"].astype("string").str.split("=", n=1).str[1].to_numpy(dtype=object)
    comp = fac["component"].to_numpy(dtype=object)
    area = shapely.area(geom)
    keep = (
        (inner != outer)
        & (comp[inner] == comp[outer])
        & (value[inner] == value[outer])
        & ((area[inner] < area[outer]) | ((area[inner] == area[outer]) & (inner > outer)))
    )
    inner, outer = inner[keep], outer[keep]
    if len(inner) == 0:
        return fac
    # the largest container of each inner feature receives its name
    order = np.lexsort((-area[outer], inner))
    inner, outer = inner[order], outer[order]
    first = np.r_[True, inner[1:] != inner[:-1]]
    if "name" in fac.columns:
        names = fac["name"].copy()
        src, dst = inner[first], outer[first]
        fill = names.iloc[dst].isna().to_numpy() & names.iloc[src].notna().to_numpy()
        names.iloc[dst[fill]] = names.iloc[src[fill]].to_numpy()
        fac["name"] = names
    drop = np.unique(inner)
    log(
        f"merged {len(drop)} facilities mapped twice (a point or building inside its own area)",
        logging.DEBUG,
    )
    return fac.drop(index=drop)


def entrances_from_file(path: PathLike, polygon: PolygonLike | None = None) -> gpd.GeoSeries:
    """Read mapped entrances (``entrance=*`` nodes, not ``entrance=no``) in an OSM extract.

    Pass them as ``entrances=`` to the accessibility and gap functions: an entrance on the
    boundary of an area facility (a school ground's gate, a park's entrance) becomes one of
    its access points.

    Parameters
    ----------
    path : path-like
        An OSM extract.
    polygon : polygon, GeoDataFrame or GeoSeries, optional
        Keep entrances inside this area (EPSG:4326 unless the frame says otherwise).

    Returns
    -------
    GeoSeries
        Points in EPSG:4326, indexed by OSM node id.
    """
    data = read_osm(path, load_rules().match_keys())
    f = data.features
    if "entrance" not in f.columns:
        return gpd.GeoSeries([], crs="EPSG:4326")
    ent = f.loc[
        (f["osm_type"] == "node").to_numpy(dtype=bool)
        & f["entrance"].notna().to_numpy()
        & (f["entrance"].astype("string") != "no").fillna(False).to_numpy(dtype=bool)
    ]
    if polygon is not None:
        ent = ent.loc[ent.intersects(as_polygon(polygon))]
    return gpd.GeoSeries(ent.geometry.to_numpy(), index=ent["osm_id"].to_numpy(), crs="EPSG:4326")
