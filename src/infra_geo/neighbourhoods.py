"""Neighbourhoods: the units a gap analysis reports on, with their population.

Three sources, one table layout:

* :func:`neighbourhoods_from_file` - a boundary file (GeoPackage, GeoJSON, Shapefile), with the
  CBS *wijk- en buurtkaart* schema recognised automatically, optionally joined to a CBS table
  (:func:`read_cbs_table`) by buurt code;
* :func:`neighbourhoods_from_osm` - administrative boundaries from an OSM extract (offline) or
  for a named place (online, through osmnx);
* :func:`hex_grid` - regular hexagons, the fallback when no boundaries exist.

This module owns the boundary-file reader and the OSM administrative boundaries. The CBS
table reader and join live in ``_cbs_read`` and the hexagon grid in :mod:`infra_geo.grid`;
their public names are re-exported here and from ``infra_geo``.

Every function returns a GeoDataFrame in EPSG:4326 whose first columns are

``unit_id``
    string, unique (``"BU0363AA01"``, ``"relation/1155956"``, ``"hex-3-7"``);
``unit_name``
    string (the unit's name, or its id when it has none);
``population``
    float64 residents, ``NaN`` = unknown (CBS secrecy markers, missing figures);

then source-specific columns and ``geometry`` (Polygon or MultiPolygon only).

Unknown stays unknown: CBS marks secret or unpublished figures with negative sentinels
(``-99999997``, ``-99999999``, ``-99997``, ...) and StatLine exports with ``"."``; these become
``NaN`` and are counted in the log, never added up as residents.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _online
from ._admin_boundaries import _no_level_error, _overlapping, _parse_osm_population
from ._cbs_read import (
    _CBS_MARKERS,
    _POPULATION_NAMES,
    _clean_sentinels,
    _parse_numbers,
    join_cbs_table,
    read_cbs_table,
)
from ._deprecate import positional_deprecated, renamed_keyword, warn_deprecated
from ._log import log
from ._types import CRSLike, PolygonLike
from ._units import (
    PathLike,
    _admin_level,
    _clean_polygons,
    _col_list,
    _examples,
    _existing_file,
    _log_population,
)
from ._validate import WGS84, as_polygon, check_overlap
from .errors import (
    CRSError,
    DataFileError,
    EmptyDataError,
    InfraGeoError,
    InputError,
)
from .grid import check_lonlat, hex_grid

__all__ = [
    "UNIT_COLUMNS",
    "hex_grid",
    "join_cbs_table",
    "neighbourhoods_from_file",
    "neighbourhoods_from_osm",
    "read_cbs_table",
]

#: the columns every neighbourhoods table starts with, in this order (then ..., geometry)
UNIT_COLUMNS = ("unit_id", "unit_name", "population")

# -- column recognition -----------------------------------------------------------------------

#: id columns, finest level first, each with its matching name columns (lower-case names)
_ID_NAME_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unit_id", ("unit_name",)),
    ("bu_code", ("bu_naam", "buurtnaam")),
    ("buurtcode", ("buurtnaam", "bu_naam")),
    ("wk_code", ("wk_naam", "wijknaam")),
    ("wijkcode", ("wijknaam", "wk_naam")),
    ("gm_code", ("gm_naam", "gemeentenaam")),
    ("gemeentecode", ("gemeentenaam", "gm_naam")),
    ("cbscode", ("naam", "name")),
    ("cbs_code", ("naam", "name")),
    ("statcode", ("statnaam",)),
    ("gwb_code_10", ("regio",)),
    ("gwb_code", ("regio",)),
)
_GENERIC_NAMES = ("unit_name", "naam", "name", "statnaam", "regio")

_OSM_SUFFIXES = (".osm", ".pbf", ".osm.gz", ".osm.bz2", ".o5m")


# =============================================================================================
# boundary files
# =============================================================================================


@positional_deprecated(
    1, ("id_column", "name_column", "population_column", "table", "table_key", "layer")
)
def neighbourhoods_from_file(
    path: PathLike,
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    population_column: str | None = None,
    table: PathLike | pd.DataFrame | None = None,
    table_key: str | None = None,
    layer: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Neighbourhood boundaries from a GeoPackage, GeoJSON or Shapefile.

    The CBS *wijk- en buurtkaart* schema is recognised without arguments: ``BU_CODE`` /
    ``BU_NAAM`` / ``AANT_INW`` (and ``WK_*`` / ``GM_*`` for wijk and gemeente layers, the
    lower-case 2022+ names ``buurtcode`` / ``buurtnaam`` / ``aantal_inwoners``, and the
    Gemeente Amsterdam ``cbsCode`` / ``naam``). CBS secrecy sentinels (any negative
    population, e.g. ``-99999997``) become ``NaN``: unknown, never a count.

    Parameters
    ----------
    path : str or path-like
        The boundary file. Any CRS; it is reprojected to EPSG:4326. A file without a CRS is
        refused (its coordinates cannot be placed).
    id_column, name_column, population_column : str, optional
        Columns to use for ``unit_id``, ``unit_name`` and ``population`` when the automatic
        recognition does not fit. Without an id column the units are numbered
        ``"unit-1"``, ``"unit-2"``, ... in file order; without a name column the name is the id.
    table : path or DataFrame, optional
        CBS figures to join by region code: a StatLine CSV export or a *kerncijfers wijken en
        buurten* xlsx (read with :func:`read_cbs_table`), or a DataFrame. Its population
        (``a_inw`` / "Aantal inwoners") replaces the boundary file's where it is known.
    table_key : str, optional
        The table's code column; by default ``unit_id`` or the column whose values match
        the most unit ids.
    layer : str or int, optional
        Layer of a multi-layer file (a CBS GeoPackage holds gemeenten, wijken and buurten);
        by default the layer whose name contains "buurt", else the first.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per unit: ``unit_id`` (string, unique), ``unit_name`` (string),
        ``population`` (float64, ``NaN`` = unknown), the file's other columns (CBS sentinels
        in numeric columns turned into ``NaN``), the table's columns when ``table`` is given,
        and ``geometry`` (Polygon / MultiPolygon; invalid ones repaired with
        :func:`shapely.make_valid`, empty or non-polygon rows dropped with a warning).
        ``attrs["unknown_population"]`` counts units with unknown population.

    Raises
    ------
    DataFileError
        The file is missing, empty, or not a readable GIS file; or ``table`` is unreadable.
    CRSError
        The file has no CRS.
    EmptyDataError
        The file holds no polygon.
    InputError
        A named column or layer does not exist (the message lists those that do), or the
        ids are not unique.

    Examples
    --------
    A Dutch municipality reads the CBS wijk- en buurtkaart,
    ``ig.neighbourhoods_from_file("wijkenbuurten_2024.gpkg", layer="buurten")`` (ids, names
    and ``aantal_inwoners`` are recognised). Any polygon file works; here hexagons over the
    embedded sample, written to a GeoJSON with columns of our own naming:

    >>> import infra_geo as ig, os, tempfile
    >>> hexes = ig.hex_grid(ig.data_extent(ig.sample_path()), size_m=250)
    >>> hexes["code"] = [f"H{i:02d}" for i in range(len(hexes))]
    >>> hexes["label"] = "cell " + hexes["code"]
    >>> hexes["inhabitants"] = 100 * (hexes.index + 1)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "units.geojson")
    ...     hexes[["code", "label", "inhabitants", "geometry"]].to_file(path)
    ...     units = ig.neighbourhoods_from_file(
    ...         path, id_column="code", name_column="label", population_column="inhabitants"
    ...     )
    >>> units[["unit_id", "unit_name", "population"]].head(2)
      unit_id unit_name  population
    0     H00  cell H00       100.0
    1     H01  cell H01       200.0
    >>> len(units) == len(hexes), units.crs.to_epsg()
    (True, 4326)
    """
    p = _existing_file(path, "Boundary file")
    raw, name = _read_boundaries(p, layer)
    file_row = np.arange(1, len(raw) + 1)

    cols = [c for c in raw.columns if c != raw.geometry.name]
    lower = {str(c).lower(): c for c in cols}
    id_col, name_col, pop_col = _unit_columns(
        cols, lower, name, id_column, name_column, population_column
    )

    geoms, keep, repaired = _clean_polygons(raw.geometry.to_numpy())
    if repaired:
        log(f"{name}: repaired {repaired} invalid geometries with shapely.make_valid.")
    if not keep.any():
        kinds = raw.geometry.geom_type.dropna().unique().tolist()
        raise EmptyDataError(
            f"{name} holds no polygons (geometry types: {', '.join(kinds) or 'none'}). "
            "Neighbourhoods must be areas: pass a file with (multi)polygons."
        )
    if not keep.all():
        dropped = np.flatnonzero(~keep)
        what = raw[id_col].iloc[dropped] if id_col is not None else pd.Series(file_row[dropped])
        log(
            f"{name}: dropped {len(dropped)} rows without an area (empty, missing or non-polygon "
            f"geometry): {_examples(what.astype(str))}.",
            logging.WARNING,
        )

    attrs = raw.drop(columns=raw.geometry.name).loc[keep].reset_index(drop=True)
    file_row = file_row[keep]
    geoms = geoms[keep]
    is_cbs = bool(_CBS_MARKERS & lower.keys())
    unknown_counts: dict[str, int] = {}
    if is_cbs:
        attrs, unknown_counts = _clean_sentinels(attrs, skip={id_col, name_col, pop_col})

    if id_col is None:
        ids = pd.Series("unit-" + file_row.astype(str), dtype="string")
        log(f"{name}: no id column recognised; numbering units unit-1, unit-2, ... in file order.")
    else:
        ids = _as_str(attrs[id_col])
        _check_unique(ids, id_col, name)
    names = _as_str(attrs[name_col]) if name_col is not None else ids.copy()
    names = names.fillna(ids)
    if pop_col is None:
        pop = pd.Series(np.nan, index=attrs.index, dtype="float64")
        log(
            f"{name}: no population column found (looked for "
            f"{', '.join(_POPULATION_NAMES)}, any case); "
            "population is unknown for every unit. Pass population_column= or table=.",
            logging.WARNING,
        )
    else:
        pop, _ = _parse_numbers(attrs[pop_col], negative_unknown=True)
        attrs[pop_col] = pop
        unknown_counts[str(pop_col)] = int(pop.isna().sum())

    other = attrs.drop(columns=[c for c in UNIT_COLUMNS if c in attrs.columns])
    out = gpd.GeoDataFrame(
        pd.concat(
            [pd.DataFrame({"unit_id": ids, "unit_name": names, "population": pop}), other],
            axis=1,
        ),
        geometry=gpd.GeoSeries(geoms, crs=WGS84).values,
        crs=WGS84,
    )
    out.attrs["source"] = str(p)
    out.attrs["unknown_counts"] = unknown_counts
    out.attrs["unknown_population"] = int(out["population"].isna().sum())
    if table is not None:
        out = join_cbs_table(out, table, table_key=table_key)
    elif pop_col is not None:
        _log_population(out, name)
    return out


def _read_boundaries(p: Path, layer: str | int | None) -> tuple[gpd.GeoDataFrame, str]:
    """Return the boundary file's features in EPSG:4326 (checked: a CRS, features) and its name."""
    layer = _choose_layer(p, layer)
    raw = _read_gis(p, layer)
    name = p.name if layer is None else f"{p.name} (layer {layer!r})"
    if raw.crs is None:
        raise CRSError(
            f"{name} has no coordinate reference system, so its coordinates cannot be placed. "
            "Set it, e.g. gpd.read_file(path).set_crs('EPSG:28992').to_file('fixed.gpkg') "
            "(EPSG:28992 for Dutch RD coordinates), or add the .prj file of a Shapefile."
        )
    if len(raw) == 0:
        raise EmptyDataError(f"{name} holds no features; pass a file with neighbourhood polygons.")
    raw = raw.to_crs(WGS84)
    check_lonlat(raw.total_bounds, name)
    return raw.reset_index(drop=True), name


def _unit_columns(
    cols: list[Any],
    lower: dict[str, Any],
    name: str,
    id_column: str | None,
    name_column: str | None,
    population_column: str | None,
) -> tuple[Any, Any, Any]:
    """Return the id, name and population columns: the ones given (checked), else recognised ones."""
    id_col = _pick_column(id_column, cols, "id_column", name)
    name_col = _pick_column(name_column, cols, "name_column", name)
    pop_col = _pick_column(population_column, cols, "population_column", name)
    if id_column is None:
        id_col, auto_name = _recognise_id(lower)
        if name_column is None:
            name_col = auto_name
    if name_col is None and name_column is None:
        name_col = next((lower[n] for n in _GENERIC_NAMES if n in lower), None)
    if pop_col is None and population_column is None:
        pop_col = next((lower[n] for n in _POPULATION_NAMES if n in lower), None)
    return id_col, name_col, pop_col


# =============================================================================================
# OSM administrative boundaries
# =============================================================================================


@positional_deprecated(1, ("admin_level", "polygon"))
@renamed_keyword("crs", "polygon_crs")
def neighbourhoods_from_osm(
    source: PathLike | None = None,
    *,
    admin_level: int | None = None,
    polygon: PolygonLike | None = None,
    file: PathLike | None = None,
    place: str | None = None,
    polygon_crs: CRSLike | None = None,
) -> gpd.GeoDataFrame:
    """Administrative boundaries (``boundary=administrative``) at one ``admin_level``.

    Offline from an OSM extract, or online for a place name through osmnx (Nominatim finds
    the place, Overpass returns the boundaries). Level 8 is the municipality in most of Europe
    (the Dutch gemeente, the eleven Gemeinden of Liechtenstein); for Dutch buurten use the CBS
    wijk- en buurtkaart with :func:`neighbourhoods_from_file` instead.

    A boundary relation that reaches outside an extract cannot be closed into a polygon: it
    is dropped and named in a warning (``attrs["incomplete"]``), never half-drawn. For
    example, the Liechtenstein country extract holds the relations of eleven Austrian and
    Swiss neighbours at level 8 (Fläsch, Feldkirch, ...) without all their member ways.
    Closed ways tagged as a boundary count when they carry a ``name`` (an unnamed closed
    boundary way is a member ring of a relation, not a unit).

    Parameters
    ----------
    source : str or path-like, deprecated
        The old way to say ``file=`` or ``place=``: an existing file is read, any other text
        is fetched online as a place name (so a mistyped path became an online query). Still
        accepted for one release, with a :class:`DeprecationWarning`.
    admin_level : int
        OSM ``admin_level``, 1 to 12.
    polygon : shapely (Multi)Polygon, GeoDataFrame or GeoSeries, optional
        Keep only units that overlap this area (by more than 0.1 % of their own area, so
        neighbours that merely touch it are left out). For a place name the place's own
        polygon is used when none is given.
    file : str or path-like, keyword-only
        An ``.osm``/``.osm.gz``/``.osm.bz2``/``.osm.pbf`` extract to read offline.
    place : str, keyword-only
        A place name (``"Liechtenstein"``) to fetch online. Give exactly one of ``file`` and
        ``place``.
    polygon_crs : CRS-like, optional, keyword-only
        CRS of a bare shapely ``polygon`` (default EPSG:4326; ``crs=`` is its deprecated old
        name).

    Returns
    -------
    GeoDataFrame
        EPSG:4326: ``unit_id`` (``"relation/1155956"``), ``unit_name`` (the ``name`` tag, the
        id when absent), ``population`` (the OSM ``population`` tag as a number, ``NaN`` when
        absent or unparsable), ``osm_type``, ``osm_id``, ``admin_level``, the other non-empty
        tags, and ``geometry`` (valid (Multi)Polygons). Sorted by ``osm_type``, ``osm_id``.

    Raises
    ------
    InputError
        ``admin_level`` is not an integer from 1 to 12, or not exactly one of ``file``,
        ``place`` (or the deprecated ``source``) is given.
    EmptyDataError
        No complete boundary at that level; the message lists the levels that exist.
    DataFileError
        The extract is missing, empty or corrupt.
    OutsideDataError
        ``polygon`` does not overlap the extract.
    PlaceNotFoundError, OnlineError
        Online only: the place is unknown, or Nominatim/Overpass failed.

    Examples
    --------
    The embedded sample is a clipped city centre: every boundary reaches outside it, and the
    error says so instead of drawing half a district.

    >>> import infra_geo as ig
    >>> ig.neighbourhoods_from_osm(file=ig.sample_path(), admin_level=10)
    Traceback (most recent call last):
    ...
    infra_geo.errors.EmptyDataError: helsinki-centre.osm.pbf has no complete administrative boundary at admin_level 10. ...

    With a whole country's extract (Geofabrik's Liechtenstein), the eleven Gemeinden::

        gemeinden = ig.neighbourhoods_from_osm(file="liechtenstein.osm.pbf", admin_level=8)
    """
    level = _admin_level(admin_level)
    area = as_polygon(polygon, crs=polygon_crs) if polygon is not None else None
    file, place = _file_or_place(source, file, place)
    incomplete: list[str] = []
    if file is not None:
        from ._osm_reader import read_osm

        p = Path(file)
        data = read_osm(p, _feature_keys())
        if area is not None:
            check_overlap(area, data.extent, str(p))
        feats = data.features
        label = p.name
        incomplete = _incomplete_relations(p, level, feats)
    else:
        feats, place_area = _boundaries_online(str(place))
        label = f"OpenStreetMap ({place})"
        if area is None:
            area = place_area
    return _admin_units(feats, level, area, label, incomplete)


def _file_or_place(
    source: PathLike | None, file: PathLike | None, place: str | None
) -> tuple[PathLike | None, str | None]:
    """Exactly one of ``file=``/``place=``; the old ``source`` is guessed, with a warning."""
    given = [n for n, v in (("source", source), ("file", file), ("place", place)) if v is not None]
    if len(given) != 1:
        raise InputError(
            "neighbourhoods_from_osm needs exactly one of file= (an OSM extract) or place= "
            f"(a place name to fetch online); got {', '.join(given) or 'neither'}."
        )
    if source is None:
        if place is not None and (not isinstance(place, str) or not place.strip()):
            raise InputError(f"place must be a place name, got {place!r}.")
        return file, place
    is_file = _is_file_source(source)
    warn_deprecated(
        "neighbourhoods_from_osm(source) is deprecated: it guesses file vs place name; pass "
        f"{'file=' if is_file else 'place='} explicitly (source will be removed next release).",
        stacklevel=6,
    )
    return (source, None) if is_file else (None, str(source))


def _is_file_source(source: Any) -> bool:
    if isinstance(source, os.PathLike):
        return True  # a Path object is a file; a missing one raises DataFileError in read_osm
    if not isinstance(source, str) or not source.strip():
        raise InputError(f"source must be an OSM file path or a place name, got {source!r}.")
    if Path(source).exists():
        return True
    return source.lower().endswith(_OSM_SUFFIXES)


def _feature_keys() -> tuple[str, ...]:
    """Return the default rules' keys, so the reader's cache is shared with facilities_from_file."""
    try:
        from .components import load_rules

        return load_rules(None).match_keys()
    except InfraGeoError:
        return ("boundary",)




def _incomplete_relations(path: Path, level: int, feats: gpd.GeoDataFrame) -> list[str]:
    """Names of boundary relations at ``level`` in the file that were not assembled."""
    import osmium
    import osmium.filter

    from ._osm_reader import sniff_format

    assembled = (
        set(feats.loc[feats["osm_type"] == "relation", "osm_id"].tolist()) if len(feats) else set()
    )
    found: list[str] = []
    try:
        fp = osmium.FileProcessor(
            osmium.io.File(str(path), sniff_format(path)), osmium.osm.RELATION
        ).with_filter(osmium.filter.KeyFilter("boundary"))
        for r in fp:
            tags = r.tags
            if (
                tags.get("boundary") == "administrative"
                and (tags.get("admin_level") or "").strip() == str(level)
                and tags.get("type") in ("boundary", "multipolygon")
                and r.id not in assembled
            ):
                found.append(f"{tags.get('name') or 'relation/' + str(r.id)}")
    except RuntimeError:
        return []
    return found


def _boundaries_online(place: str) -> tuple[gpd.GeoDataFrame, Any]:
    area = _online.geocode(place)
    return _online.features(area, {"boundary": "administrative"}), area


def _admin_units(
    feats: gpd.GeoDataFrame, level: int, area: Any, label: str, incomplete: list[str]
) -> gpd.GeoDataFrame:
    if len(feats) == 0 or "boundary" not in feats.columns or "admin_level" not in feats.columns:
        raise EmptyDataError(
            f"{label} holds no administrative boundaries (boundary=administrative). Use "
            "neighbourhoods_from_file with a boundary file, or hex_grid."
        )
    gt = shapely.get_type_id(feats.geometry.to_numpy())
    is_area = np.isin(gt, (3, 6))
    named = (
        feats["name"].notna().to_numpy() if "name" in feats.columns else np.zeros(len(feats), bool)
    )
    admin = (
        (feats["boundary"] == "administrative").fillna(False).to_numpy(dtype=bool)
        & is_area
        & ((feats["osm_type"] == "relation").to_numpy(dtype=bool) | named)
    )
    levels = feats["admin_level"].astype("string").str.strip()
    sel = admin & (levels == str(level)).fillna(False).to_numpy(dtype=bool)
    if incomplete:
        log(
            f"{label}: dropped {len(incomplete)} boundaries at admin_level {level} that reach "
            f"outside the extract and cannot be closed: {', '.join(sorted(incomplete))}.",
            logging.WARNING,
        )
    if not sel.any():
        raise _no_level_error(label, level, levels[admin], incomplete)
    units = feats.loc[sel].copy()
    geoms, keep, repaired = _clean_polygons(units.geometry.to_numpy())
    if repaired:
        log(f"{label}: repaired {repaired} invalid boundary polygons with shapely.make_valid.")
    units = units.loc[keep]
    units = gpd.GeoDataFrame(
        units.drop(columns=units.geometry.name), geometry=geoms[keep], crs=WGS84
    )
    if area is not None:
        units = _overlapping(units, area, level, label)
    units = units.sort_values(["osm_type", "osm_id"]).reset_index(drop=True)
    uid = (units["osm_type"].astype("string") + "/" + units["osm_id"].astype("string")).astype(
        "string"
    )
    name = units["name"].astype("string") if "name" in units.columns else uid.copy()
    name = name.fillna(uid)
    if "population" in units.columns:
        pop = _parse_osm_population(units["population"])
        units = units.rename(columns={"population": "population_tag"})
    else:
        pop = pd.Series(np.nan, index=units.index, dtype="float64")
    tag_cols = sorted(
        c
        for c in units.columns
        if c not in ("osm_type", "osm_id", "admin_level", "geometry") and units[c].notna().any()
    )
    head = pd.DataFrame({"unit_id": uid, "unit_name": name, "population": pop})
    body = units[["osm_type", "osm_id", "admin_level", *tag_cols]]
    out = gpd.GeoDataFrame(
        pd.concat([head, body], axis=1), geometry=units.geometry.values, crs=WGS84
    )
    out.attrs["incomplete"] = sorted(incomplete)
    out.attrs["source"] = label
    log(
        f"{label}: {len(out)} units at admin_level {level}; population tag present for "
        f"{int(out['population'].notna().sum())}."
    )
    return out


# =============================================================================================
# shared helpers
# =============================================================================================


def _choose_layer(p: Path, layer: str | int | None) -> str | int | None:
    import pyogrio

    try:
        layers = pyogrio.list_layers(p)
    except Exception as exc:
        raise _gis_error(p, exc) from None
    names = [str(n) for n in layers[:, 0]] if len(layers) else []
    if layer is not None:
        if isinstance(layer, int) and not isinstance(layer, bool):
            if not 0 <= layer < len(names):
                raise InputError(
                    f"layer {layer} does not exist in {p.name}, which has {len(names)} "
                    f"layers: {', '.join(names)}."
                )
            return layer
        if str(layer) not in names:
            raise InputError(
                f"layer {layer!r} is not in {p.name}; its layers are: {', '.join(names)}."
            )
        return str(layer)
    if len(names) <= 1:
        return None
    buurt = [n for n in names if "buurt" in n.lower()]
    chosen = buurt[0] if buurt else names[0]
    log(
        f"{p.name} has {len(names)} layers ({', '.join(names)}); reading {chosen!r}. "
        "Pass layer= to choose another."
    )
    return chosen


def _read_gis(p: Path, layer: str | int | None) -> gpd.GeoDataFrame:
    try:
        if layer is None:
            df = gpd.read_file(p)
        else:
            df = gpd.read_file(p, layer=layer)
    except Exception as exc:
        if isinstance(exc, InfraGeoError):
            raise
        raise _gis_error(p, exc) from None
    if not isinstance(df, gpd.GeoDataFrame) or df.geometry is None:
        raise DataFileError(
            f"{p.name} has no geometry column (a plain table?). Pass boundaries as a "
            "GeoPackage, GeoJSON or Shapefile; join tables with table=."
        )
    return df


def _gis_error(p: Path, exc: Exception) -> DataFileError:
    return DataFileError(
        f"Could not read {p.name} as a GIS file ({type(exc).__name__}: {exc}). Pass a "
        "GeoPackage (.gpkg), GeoJSON (.geojson) or Shapefile (.shp with its .shx, .dbf and "
        ".prj); if it is one, it may be truncated or corrupt - download or export it again."
    )


def _pick_column(col: str | None, cols: list[Any], what: str, name: str) -> Any:
    if col is None:
        return None
    if col in cols:
        return col
    raise InputError(
        f"{what}={col!r} is not a column of {name}; its columns are: {_col_list(cols)}."
    )


def _recognise_id(lower: dict[str, Any]) -> tuple[Any, Any]:
    for id_key, name_keys in _ID_NAME_COLUMNS:
        if id_key in lower:
            return lower[id_key], next((lower[n] for n in name_keys if n in lower), None)
    return None, None


def _as_str(s: pd.Series) -> pd.Series:
    """Values as stripped strings; a float column of whole numbers loses its ``.0``."""
    if pd.api.types.is_float_dtype(s):
        whole = s.dropna()
        if len(whole) and (whole == np.floor(whole)).all():
            s = s.astype("Int64")
    out = s.astype("string").str.strip()
    out = out.mask(out == "")
    return out.reset_index(drop=True)


def _check_unique(ids: pd.Series, col: Any, name: str) -> None:
    missing = int(ids.isna().sum())
    if missing:
        raise InputError(
            f"{missing} units in {name} have no value in the id column {col!r}. Fill them, "
            "or pass another id_column (the units are then identified by that column)."
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise InputError(
            f"The id column {col!r} of {name} is not unique ({_examples(ids[dup].unique())} "
            "occur more than once). Dissolve the parts of a unit into one row first "
            "(gdf.dissolve(by=...)), or pass another id_column."
        )
