"""Neighbourhoods: the units a gap analysis reports on, with their population.

Three sources, one table layout:

* :func:`neighbourhoods_from_file` - a boundary file (GeoPackage, GeoJSON, Shapefile), with the
  CBS *wijk- en buurtkaart* schema recognised automatically, optionally joined to a CBS table
  (:func:`read_cbs_table`) by buurt code;
* :func:`neighbourhoods_from_osm` - administrative boundaries from an OSM extract (offline) or
  for a named place (online, through osmnx);
* :func:`hex_grid` - regular hexagons, the fallback when no boundaries exist.

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

import csv
import logging
import math
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._crs import metric_crs_for
from ._log import log
from ._validate import WGS84, as_polygon, check_overlap, positive
from .errors import (
    CRSError,
    DataFileError,
    EmptyDataError,
    InfraGeoError,
    InputError,
    OnlineError,
)

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

#: a hex grid may not have more cells than this (memory and time stay reasonable)
MAX_HEX_CELLS = 2_000_000

PathLike = str | os.PathLike[str]

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
_POPULATION_NAMES = (
    "population",
    "aant_inw",
    "a_inw",
    "aantal_inwoners",
    "aantalinwoners",
    "inwoners",
)
#: column names that mark a file as CBS data (whose numeric sentinels mean "unknown")
_CBS_MARKERS = frozenset(
    {
        "bu_code",
        "buurtcode",
        "wk_code",
        "wijkcode",
        "gm_code",
        "gemeentecode",
        "statcode",
        "gwb_code_10",
        "gwb_code",
        "aant_inw",
        "a_inw",
        "aantal_inwoners",
    }
)
#: CBS sentinels are -99999999, -99999998, -99999997 (newer) and -99997, -99998 (older)
_SENTINEL_MAX = -99997.0
#: CBS region codes: Nederland, gemeente, wijk, buurt (Amsterdam uses letters: BU0363AA01)
_CODE_RE = r"(?:NL\d{2}|GM\d{4}|WK[0-9A-Z]{6}|BU[0-9A-Z]{8})"
_LEVELS = {"BU": "buurt", "WK": "wijk", "GM": "gemeente", "NL": "land"}
#: StatLine symbols: "." not available, "x" secret, "?" unreliable, "" not applicable
_UNKNOWN_MARKERS = frozenset({"", ".", "x", "X", "?"})
#: StatLine "-" (or an en dash) means nihil: the value is zero
_NIHIL_MARKERS = frozenset({"-", "\u2013"})

#: a number as text: "12", "-3", "0.4", "0,4", "1.5e-05"
_NUMBER_RE = r"[-\u2212]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?"

_OSM_SUFFIXES = (".osm", ".pbf", ".osm.gz", ".osm.bz2", ".o5m")


# =============================================================================================
# boundary files
# =============================================================================================


def neighbourhoods_from_file(
    path: PathLike,
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
    >>> import infra_geo as ig
    >>> path = "wijkenbuurten_2024.gpkg"
    >>> buurten = ig.neighbourhoods_from_file(path, layer="buurten")  # doctest: +SKIP
    >>> buurten[["unit_id", "unit_name", "population"]].head()  # doctest: +SKIP
    >>> units = ig.neighbourhoods_from_file(  # doctest: +SKIP
    ...     "buurten.geojson", table="kwb-2024.xlsx"
    ... )
    """
    p = _existing_file(path, "Boundary file")
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
    raw = raw.reset_index(drop=True)
    file_row = np.arange(1, len(raw) + 1)

    cols = [c for c in raw.columns if c != raw.geometry.name]
    lower = {str(c).lower(): c for c in cols}
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


def join_cbs_table(
    neighbourhoods: gpd.GeoDataFrame,
    table: PathLike | pd.DataFrame,
    table_key: str | None = None,
) -> gpd.GeoDataFrame:
    """Join a CBS table (or any DataFrame) to neighbourhoods by region code.

    Parameters
    ----------
    neighbourhoods : GeoDataFrame
        Units with a ``unit_id`` column holding region codes (``BU03440111``), e.g. from
        :func:`neighbourhoods_from_file`.
    table : path or DataFrame
        A StatLine CSV or kwb xlsx (read with :func:`read_cbs_table`) or a DataFrame.
    table_key : str, optional
        The table's code column; by default ``unit_id`` if present, else the column whose
        values match the most unit ids.

    Returns
    -------
    GeoDataFrame
        The units with the table's columns appended (a name clash gets the suffix
        ``_table``). ``population`` takes the table's population where the table knows it.
        Units the table lacks keep their values and are logged.

    Raises
    ------
    InputError
        ``table_key`` is not a column, no code matches, or the table has several rows per code.
    DataFileError
        The table file cannot be read.

    Examples
    --------
    >>> units = ig.join_cbs_table(units, "kwb-2024.xlsx")  # doctest: +SKIP
    """
    if not isinstance(neighbourhoods, gpd.GeoDataFrame) or "unit_id" not in neighbourhoods:
        raise InputError(
            "neighbourhoods must be a GeoDataFrame with a unit_id column (as returned by "
            "neighbourhoods_from_file / neighbourhoods_from_osm / hex_grid)."
        )
    if isinstance(table, pd.DataFrame):
        tab = pd.DataFrame(table).copy()
        source = "the table"
    elif isinstance(table, (str, os.PathLike)):
        tab = read_cbs_table(table)
        source = Path(table).name
    else:
        raise InputError(
            "table must be a path to a CBS CSV/xlsx file or a DataFrame, got "
            f"{type(table).__name__}."
        )
    units = neighbourhoods
    uid = units["unit_id"].astype("string").str.strip().str.upper()
    if table_key is not None:
        if table_key not in tab.columns:
            raise InputError(
                f"table_key {table_key!r} is not a column of {source}; its columns are: "
                f"{_col_list(tab.columns)}."
            )
        key_col = table_key
    elif "unit_id" in tab.columns:
        key_col = "unit_id"
    else:
        key_col = _best_key(tab, uid)
        if key_col is None:
            raise InputError(
                f"No column of {source} holds the unit ids (e.g. {_examples(uid)}); pass "
                f"table_key=. Its columns are: {_col_list(tab.columns)}."
            )
    key = tab[key_col].astype("string").str.strip().str.upper()
    dup = key.dropna().duplicated(keep=False)
    if dup.any():
        raise InputError(
            f"{source} has several rows for the same code in {key_col!r} "
            f"({_examples(key.dropna()[dup].unique())}): several periods or a long table? "
            "Filter it to one row per region before joining."
        )
    matched = uid.isin(key.dropna()).to_numpy()
    if not matched.any():
        raise InputError(
            f"None of the unit ids (e.g. {_examples(uid)}) occurs in column {key_col!r} of "
            f"{source} (e.g. {_examples(key.dropna())}). Check that both use the same codes "
            "and year of the CBS indeling, or pass table_key=."
        )
    tab_pop_col = "population" if "population" in tab.columns else _find_population(tab.columns)
    tab_pop = None
    if tab_pop_col is not None:
        tab_pop, _ = _parse_numbers(tab[tab_pop_col], negative_unknown=True)
        tab_pop.index = key.to_numpy()
    extra = tab.drop(columns=[c for c in (key_col, "population") if c in tab.columns])
    extra.index = key.to_numpy()
    extra = extra.loc[extra.index.notna()]
    taken = set(units.columns)
    extra.columns = [f"{c}_table" if c in taken else c for c in extra.columns]
    joined = extra.reindex(uid.to_numpy())
    joined.index = units.index
    out = units.drop(columns=units.geometry.name).join(joined)
    if tab_pop is not None:
        tp = tab_pop.loc[tab_pop.index.notna()].reindex(uid.to_numpy()).to_numpy(dtype="float64")
        base = units["population"].to_numpy(dtype="float64")
        out["population"] = np.where(np.isnan(tp), base, tp)
    out = gpd.GeoDataFrame(out, geometry=units.geometry.values, crs=units.crs)
    out.attrs = dict(units.attrs)
    out.attrs["table_unknown_counts"] = dict(tab.attrs.get("unknown_counts", {}))
    n_miss = int((~matched).sum())
    log(
        f"joined {source} on {key_col!r}: {int(matched.sum())} of {len(units)} units matched"
        + (f"; not in the table: {_examples(uid[~matched])}" if n_miss else ""),
        logging.WARNING if n_miss else logging.INFO,
    )
    _log_population(out, source)
    return out


# =============================================================================================
# CBS tables
# =============================================================================================


def read_cbs_table(path: PathLike) -> pd.DataFrame:
    """Read a CBS table: a StatLine CSV export or a *kerncijfers wijken en buurten* xlsx.

    StatLine CSV: ``;``-separated (``,`` and tab are detected too), UTF-8 with BOM (cp1252
    accepted), hierarchical Dutch headers such as ``"Regioaanduiding/Codering (code)"``.
    kwb xlsx: the first sheet, columns ``gwb_code_10, regio, gm_naam, recs, a_inw, ...``.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` or ``.xlsx`` file (``.xlsx`` needs ``openpyxl``).

    Returns
    -------
    DataFrame
        One row per region (land, gemeente, wijk and buurt rows as in the file), with

        * ``unit_id`` - the region code (``BU03440111``, ``WK034401``, ``GM0344``), stripped;
        * ``unit_level`` - ``"buurt"``, ``"wijk"``, ``"gemeente"`` or ``"land"``;
        * the file's columns, text stripped; columns holding numbers as float64 with CBS
          markers as ``NaN``: ``"."`` (not available), ``"x"`` (secret), ``"?"`` and empty
          cells, and negative values (CBS sentinels; no kwb or nabijheid variable can be
          negative). ``"-"`` is CBS's *nihil* and reads as 0. Code columns (names containing
          "code") stay text so leading zeros survive;
        * ``population`` - float64 copy of ``a_inw`` / "Aantal inwoners" / ``AANT_INW`` when
          the table has one.

        ``attrs["unknown_counts"]`` maps each numeric column to its number of unknown values.

    Raises
    ------
    DataFileError
        The file is missing, empty, truncated, has no region-code column, or is not what its
        name says (a CSV named ``.xlsx``, an old ``.xls``).

    Examples
    --------
    >>> kwb = ig.read_cbs_table("kwb-2024.xlsx")  # doctest: +SKIP
    >>> kwb.loc[kwb.unit_level == "buurt", ["unit_id", "regio", "population"]]  # doctest: +SKIP
    """
    p = _existing_file(path, "CBS table")
    with p.open("rb") as fh:
        head = fh.read(8)
    is_zip = head.startswith(b"PK\x03\x04")
    is_ole = head.startswith(b"\xd0\xcf\x11\xe0")
    suffix = p.suffix.lower()
    if suffix == ".xls" or is_ole:
        raise DataFileError(
            f"{p.name} is an old Excel 97-2003 workbook (.xls), which infra_geo does not read. "
            "Open it and save it as .xlsx, or export it as CSV."
        )
    if suffix in (".xlsx", ".xlsm") and not is_zip:
        looks = "text (a CSV?)" if _looks_text(head) else "neither an xlsx workbook nor text"
        raise DataFileError(
            f"{p.name} is named {suffix} but is not an Excel workbook: its content is {looks}. "
            "If it is a CSV export, rename it to .csv; if it is a spreadsheet, download it "
            "again (it may be truncated)."
        )
    if suffix in (".csv", ".txt", ".tsv") and is_zip:
        raise DataFileError(
            f"{p.name} is named {suffix} but holds a zip archive (an .xlsx workbook?). Rename "
            "it to .xlsx, or export the table as CSV."
        )
    df = _read_xlsx(p) if is_zip else _read_csv(p)
    return _tidy_table(df, p.name)


def _read_xlsx(p: Path) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise DataFileError(
            f"Reading {p.name} needs openpyxl: pip install openpyxl (or export it as CSV)."
        ) from None
    try:
        df = pd.read_excel(p, sheet_name=0, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise DataFileError(
            f"Could not read {p.name} as an xlsx workbook ({type(exc).__name__}: {exc}); it "
            "looks truncated or corrupt. Download it again."
        ) from None
    except Exception as exc:
        if isinstance(exc, InfraGeoError):
            raise
        raise DataFileError(
            f"Could not read {p.name} as an xlsx workbook ({type(exc).__name__}: {exc})."
        ) from None
    if df.shape[1] == 0 or len(df) == 0:
        raise DataFileError(f"{p.name}: the first sheet holds no table rows.")
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_csv(p: Path) -> pd.DataFrame:
    import io

    raw = p.read_bytes()
    if b"\x00" in raw[:4096]:
        raise DataFileError(
            f"{p.name} is not a text file (it holds binary data); pass a StatLine CSV export "
            "or a kwb .xlsx."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        log(f"{p.name} is not UTF-8; read it as Windows-1252.", logging.WARNING)
    lines = text.strip("\r\n").splitlines()
    if not lines or not lines[0].strip():
        raise DataFileError(f"{p.name} holds no text; export the table again.")
    header = lines[0]
    sep = max((";", ",", "\t"), key=header.count)
    if header.count(sep) == 0:
        raise DataFileError(
            f"{p.name} has a single column (no ';', ',' or tab in its header): it is not a "
            "CBS table export."
        )
    if len(lines) < 2:
        raise DataFileError(f"{p.name} has a header but no rows; export the table again.")
    n_head = len(next(csv.reader([header], delimiter=sep)))
    n_last = len(next(csv.reader([lines[-1]], delimiter=sep)))
    if n_last < n_head:
        raise DataFileError(
            f"{p.name} looks truncated: its last row has {n_last} of {n_head} fields. "
            "Download or export the table again."
        )
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataFileError(
            f"Could not parse {p.name} as CSV ({exc}); it looks truncated or malformed."
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _tidy_table(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Region code, stripped text, numeric columns with unknowns as NaN, population."""
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            df[c] = df[c].astype("string").str.strip()
    code_col = _code_column(df)
    if code_col is None:
        raise DataFileError(
            f"{name} has no column with CBS region codes (BU…, WK…, GM…); its columns are: "
            f"{_col_list(df.columns)}. Export the table with the region codes "
            "('Codering' / 'gwb_code_10')."
        )
    codes = df[code_col].astype("string").str.strip().str.upper()
    text_cols = {code_col}
    text_cols |= {c for c in df.columns if "code" in str(c).lower()}
    unknown: dict[str, int] = {}
    for c in df.columns:
        if c in text_cols:
            continue
        values, n_unknown = _numeric_column(df[c])
        if values is not None:
            df[c] = values
            unknown[str(c)] = n_unknown
    head = pd.DataFrame(
        {"unit_id": codes, "unit_level": codes.str[:2].map(_LEVELS).astype("string")}
    )
    out = pd.concat([head, df.drop(columns=["unit_id", "unit_level"], errors="ignore")], axis=1)
    pop_col = _find_population([c for c in df.columns if c not in ("unit_id", "unit_level")])
    if pop_col is not None and pop_col != "population":
        out = pd.concat([out, out[pop_col].astype("float64").rename("population")], axis=1)
    out.attrs["unknown_counts"] = unknown
    out.attrs["source"] = name
    levels = out["unit_level"].value_counts()
    n_bad = sum(1 for v in unknown.values() if v)
    log(
        f"{name}: {len(out)} regions ("
        + ", ".join(f"{levels.get(k, 0)} {k}" for k in ("buurt", "wijk", "gemeente", "land"))
        + f"), {len(unknown)} numeric columns; {sum(unknown.values())} values unknown "
        f"('.', secret or negative sentinels) in {n_bad} columns, kept as NaN"
        + (
            "; population unknown for "
            f"{int(out.loc[out.unit_level == 'buurt', 'population'].isna().sum())} buurten"
            if "population" in out.columns
            else ""
        )
        + "."
    )
    return out


def _numeric_column(s: pd.Series) -> tuple[pd.Series | None, int]:
    """A float64 column and its count of unknowns, or None when ``s`` holds text."""
    if pd.api.types.is_bool_dtype(s):
        return None, 0
    if not pd.api.types.is_numeric_dtype(s):
        t = s.astype("string").str.strip()
        marker = t.isna() | t.isin(_UNKNOWN_MARKERS | _NIHIL_MARKERS)
        number = t.str.fullmatch(_NUMBER_RE).fillna(False).astype(bool)
        if not (marker | number).all():
            return None, 0
        s = t
    v, unknown = _parse_numbers(s, negative_unknown=True)
    return v, int(unknown.sum())


def _parse_numbers(s: pd.Series, negative_unknown: bool) -> tuple[pd.Series, pd.Series]:
    """Numbers from CBS-style values: markers and (negative) sentinels become NaN.

    Returns the float64 values and the mask of unknown values (markers, sentinels, text).
    """
    if pd.api.types.is_bool_dtype(s):
        v = s.astype("float64")
    elif pd.api.types.is_numeric_dtype(s):
        v = pd.to_numeric(s, errors="coerce").astype("float64")
    else:
        t = s.astype("string").str.strip().str.replace("\u2212", "-", regex=False)
        t = t.mask(t.isin(_NIHIL_MARKERS), "0")
        comma = t.str.fullmatch(r"-?\d+,\d+").fillna(False).astype(bool)
        t = t.mask(comma, t.str.replace(",", ".", regex=False))
        v = pd.to_numeric(t, errors="coerce").astype("float64")
    bad = (v < 0) if negative_unknown else (v <= _SENTINEL_MAX)
    bad |= ~np.isfinite(v.to_numpy()) & v.notna().to_numpy()  # "inf", "1e999": not a count
    v = v.mask(bad)
    v.index = s.index
    return v, v.isna()


def _clean_sentinels(attrs: pd.DataFrame, skip: set[Any]) -> tuple[pd.DataFrame, dict[str, int]]:
    """CBS boundary files: numeric sentinel values (<= -99997) become NaN."""
    counts: dict[str, int] = {}
    attrs = attrs.copy()
    for c in attrs.columns:
        if c in skip or pd.api.types.is_bool_dtype(attrs[c]):
            continue
        if pd.api.types.is_numeric_dtype(attrs[c]):
            v = attrs[c].astype("float64")
            bad = v <= _SENTINEL_MAX
            if bad.any():
                attrs[c] = v.mask(bad)
                counts[str(c)] = int(bad.sum())
    return attrs, counts


def _code_column(df: pd.DataFrame) -> Any:
    """The column with the most CBS region codes (BU/WK/GM/NL), or None."""
    best, best_n = None, 0
    for c in df.columns:
        if not (df[c].dtype == object or pd.api.types.is_string_dtype(df[c])):
            continue
        n = int(
            df[c]
            .astype("string")
            .str.strip()
            .str.upper()
            .str.fullmatch(_CODE_RE)
            .fillna(False)
            .sum()
        )
        if n > best_n:
            best, best_n = c, n
    return best


def _norm_name(c: Any) -> str:
    """``"Bevolking/Aantal inwoners (aantal)"`` -> ``"aantal_inwoners"``."""
    s = str(c).split("/")[-1].lower()
    s = re.sub(r"\(.*?\)", "", s)
    s = re.sub(r"[^0-9a-z]+", "_", s).strip("_")
    return re.sub(r"_\d+$", "", s)  # StatLine OData keys: AantalInwoners_5


def _find_population(columns: Iterable[Any]) -> Any:
    by_norm: dict[str, Any] = {}
    for c in columns:
        by_norm.setdefault(_norm_name(c), c)
    return next((by_norm[n] for n in _POPULATION_NAMES if n in by_norm), None)


def _best_key(tab: pd.DataFrame, uid: pd.Series) -> Any:
    ids = set(uid.dropna())
    best, best_n = None, 0
    for c in tab.columns:
        if pd.api.types.is_float_dtype(tab[c]):
            continue
        n = int(tab[c].astype("string").str.strip().str.upper().isin(ids).sum())
        if n > best_n:
            best, best_n = c, n
    return best


# =============================================================================================
# OSM administrative boundaries
# =============================================================================================


def neighbourhoods_from_osm(
    source: PathLike,
    admin_level: int,
    polygon: Any = None,
    crs: Any = None,
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
    source : str or path-like
        An existing ``.osm``/``.osm.gz``/``.osm.bz2``/``.osm.pbf`` file, or a place name
        (``"Liechtenstein"``) to fetch online.
    admin_level : int
        OSM ``admin_level``, 1 to 12.
    polygon : shapely (Multi)Polygon, GeoDataFrame or GeoSeries, optional
        Keep only units that overlap this area (by more than 0.1 % of their own area, so
        neighbours that merely touch it are left out). For a place name the place's own
        polygon is used when none is given.
    crs : optional
        CRS of a bare shapely ``polygon`` (default EPSG:4326).

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
        ``admin_level`` is not an integer from 1 to 12.
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
    >>> path = "liechtenstein.osm.pbf"
    >>> gemeinden = ig.neighbourhoods_from_osm(path, admin_level=8)  # doctest: +SKIP
    >>> gemeinden.unit_name.tolist()  # doctest: +SKIP
    """
    level = admin_level_value(admin_level)
    area = as_polygon(polygon, crs=crs) if polygon is not None else None
    incomplete: list[str] = []
    if _is_file_source(source):
        from ._osm_reader import read_osm

        p = Path(source)
        data = read_osm(p, _feature_keys())
        if area is not None:
            check_overlap(area, data.extent, str(p))
        feats = data.features
        label = p.name
        incomplete = _incomplete_relations(p, level, feats)
    else:
        feats, place = _boundaries_online(str(source))
        label = f"OpenStreetMap ({source})"
        if area is None:
            area = place
    return _admin_units(feats, level, area, label, incomplete)


def _is_file_source(source: Any) -> bool:
    if isinstance(source, os.PathLike):
        return True  # a Path object is a file; a missing one raises DataFileError in read_osm
    if not isinstance(source, str) or not source.strip():
        raise InputError(f"source must be an OSM file path or a place name, got {source!r}.")
    if Path(source).exists():
        return True
    return source.lower().endswith(_OSM_SUFFIXES)


def _feature_keys() -> tuple[str, ...]:
    """The default rules' keys, so the reader's cache is shared with facilities_from_file."""
    try:
        from .components import load_rules

        return load_rules(None).match_keys()
    except InfraGeoError:
        return ("boundary",)


def admin_level_value(admin_level: Any) -> int:
    """An OSM ``admin_level`` (1-12) from an int or a string; :class:`InputError` otherwise.

    Examples
    --------
    >>> admin_level_value("8")
    8
    """
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
    import osmnx as ox

    from .sources import _from_osmnx, _online_error, _osmnx_settings, geocode_place

    area = geocode_place(place)
    with _osmnx_settings():
        try:
            raw = ox.features_from_polygon(area, tags={"boundary": "administrative"})
        except ox._errors.InsufficientResponseError:
            raw = gpd.GeoDataFrame(geometry=[], crs=WGS84)
        except InfraGeoError:
            raise
        except Exception as exc:
            raise _online_error(exc, "Overpass") from exc
    if not isinstance(raw, gpd.GeoDataFrame):
        raise OnlineError("Overpass returned no table of boundaries; try again later.")
    return _from_osmnx(raw), area


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
        present = sorted(
            {v for v in levels[admin].dropna().tolist() if v}, key=lambda v: (len(v), v)
        )
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
        raise EmptyDataError(msg)
    units = feats.loc[sel].copy()
    geoms, keep, repaired = _clean_polygons(units.geometry.to_numpy())
    if repaired:
        log(f"{label}: repaired {repaired} invalid boundary polygons with shapely.make_valid.")
    units = units.loc[keep]
    units = gpd.GeoDataFrame(
        units.drop(columns=units.geometry.name), geometry=geoms[keep], crs=WGS84
    )
    if area is not None:
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


def _parse_osm_population(s: pd.Series) -> pd.Series:
    """OSM ``population`` values (``"5432"``, ``"5,432"``, ``"5 432"``) as float64."""
    t = s.astype("string").str.strip().str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    grouped = t.str.fullmatch(r"\d{1,3}(?:[.,]\d{3})+").fillna(False).astype(bool)
    t = t.mask(grouped, t.str.replace(r"[.,]", "", regex=True))
    v = pd.to_numeric(t, errors="coerce").astype("float64")
    # negative, "inf", "nan", "1e999": not a count of residents (unknown, like a typo)
    return v.mask((v < 0) | ~np.isfinite(v.to_numpy()))


# =============================================================================================
# hexagon grid
# =============================================================================================


#: RD New (EPSG:28992) coordinates of the Netherlands, in metres
RD_X_RANGE = (0.0, 300_000.0)
RD_Y_RANGE = (289_000.0, 629_000.0)


def check_lonlat(bounds: Any, name: str) -> None:
    """Raise :class:`CRSError` when lon/lat ``bounds`` are out of range, naming the likely cause.

    Coordinates in the RD New ranges (x 0-300,000, y 289,000-629,000 m) are RD New metres
    labelled as degrees; other out-of-range values are metres of some projected CRS.
    """
    w, s, e, n = (float(v) for v in bounds)
    if not all(np.isfinite([w, s, e, n])):
        raise CRSError(f"{name} has non-finite coordinates; repair its geometries.")
    if -180 <= w and e <= 180 and -90 <= s and n <= 90:
        return
    if RD_X_RANGE[0] <= w and e <= RD_X_RANGE[1] and RD_Y_RANGE[0] <= s and n <= RD_Y_RANGE[1]:
        raise CRSError(
            f"{name} has coordinates x {w:,.0f}-{e:,.0f}, y {s:,.0f}-{n:,.0f}: these are Dutch "
            "RD New (EPSG:28992) metres, but the file says they are longitude/latitude "
            "degrees. Set the right CRS, e.g. gpd.read_file(path).set_crs('EPSG:28992', "
            "allow_override=True).to_file('fixed.gpkg')."
        )
    raise CRSError(
        f"{name} has coordinates ({w:,.0f}, {s:,.0f}, {e:,.0f}, {n:,.0f}) outside the "
        "longitude/latitude range its CRS claims: they look like metres of a projected CRS. "
        "Set the file's real CRS (e.g. EPSG:28992 for Dutch RD coordinates)."
    )


def hex_grid(area: Any, size_m: float, crs: Any = None) -> gpd.GeoDataFrame:
    """Regular flat-topped hexagons covering an area, clipped to it.

    ``size_m`` is the hexagon's side length, which equals its circumradius (centre to
    corner). The distance between opposite edges is ``sqrt(3) * size_m`` and a full cell's
    area is ``3 * sqrt(3) / 2 * size_m**2`` (``size_m=100`` gives 25,981 m², about 2.6 ha).
    The grid is laid out in a metric CRS (RD New in the Netherlands, else the local UTM zone,
    or ``infra_geo.settings.metric_crs``) from the south-west corner of the area's bounds:
    columns are ``1.5 * size_m`` apart, rows ``sqrt(3) * size_m``, odd columns shifted half a
    row north.

    Parameters
    ----------
    area : shapely (Multi)Polygon, GeoDataFrame or GeoSeries
        The area to cover (EPSG:4326 unless ``crs`` or the frame's CRS says otherwise).
    size_m : float
        Side length (= circumradius) of a hexagon in metres, > 0.
    crs : optional
        CRS of a bare shapely ``area``.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per cell that overlaps the area: ``unit_id`` and ``unit_name``
        (``"hex-<row>-<col>"``), ``population`` (``NaN``; fill it with a population source),
        ``hex_row``, ``hex_col``, ``clipped`` (True where the area's edge cuts the cell) and
        ``geometry``. ``attrs["metric_crs"]`` names the CRS the grid was laid out in.

    Raises
    ------
    InputError
        ``size_m`` is not a number > 0, or so small the grid would exceed 2 million cells.
    GeometryError, CRSError
        ``area`` is not a valid polygon, or its CRS is unknown.

    Examples
    --------
    >>> import shapely
    >>> cells = ig.hex_grid(shapely.box(9.50, 47.12, 9.54, 47.15), size_m=250)  # doctest: +SKIP
    """
    if isinstance(size_m, bool):
        raise InputError("size_m must be a number of metres > 0, got a bool.")
    r = positive(size_m, "size_m")
    poly = as_polygon(area, crs=crs, name="area")
    mcrs = metric_crs_for(poly)
    m = gpd.GeoSeries([poly], crs=WGS84).to_crs(mcrs).iloc[0]
    minx, miny, maxx, maxy = m.bounds
    dx, dy = 1.5 * r, math.sqrt(3.0) * r
    ncol = math.ceil((maxx - minx) / dx) + 2
    nrow = math.ceil((maxy - miny) / dy) + 2
    total = ncol * nrow
    if total > MAX_HEX_CELLS:
        hex_area = 1.5 * math.sqrt(3.0) * r * r
        suggest = math.sqrt(m.area / (MAX_HEX_CELLS / 4) / (1.5 * math.sqrt(3.0)))
        raise InputError(
            f"size_m={size_m!r} is too small for this area: the grid would have about "
            f"{total:,} cells (an area of {m.area / 1e6:,.1f} km² in cells of "
            f"{hex_area:,.0f} m²), more than {MAX_HEX_CELLS:,}. Use a larger size, e.g. "
            f"size_m={max(suggest, r * 2):,.0f}."
        )
    rows, cols = np.divmod(np.arange(total, dtype=np.int64), ncol)
    xc = minx + dx * cols
    yc = miny + dy * (rows + 0.5 * (cols % 2))
    # a cell overlaps the area only if its centre lies within r of it
    reach = m.buffer(r * 1.0001)
    shapely.prepare(reach)
    near = shapely.intersects_xy(reach, xc, yc)
    rows, cols, xc, yc = rows[near], cols[near], xc[near], yc[near]
    ang = np.deg2rad(np.arange(0, 420, 60, dtype=np.float64))  # 7 corners, ring closed
    coords = np.stack(
        [xc[:, None] + r * np.cos(ang)[None, :], yc[:, None] + r * np.sin(ang)[None, :]],
        axis=-1,
    )
    cells = shapely.polygons(coords)
    shapely.prepare(m)
    full = shapely.covers(m, cells)
    geoms = cells.copy()
    edge = ~full & shapely.intersects(m, cells)
    geoms[edge] = shapely.intersection(cells[edge], m)
    geoms[~full & ~edge] = None
    geoms, keep, _ = _clean_polygons(geoms)
    if not keep.any():
        raise EmptyDataError("The hex grid does not overlap the area (is the area degenerate?).")
    geoms, rows, cols, full = geoms[keep], rows[keep], cols[keep], full[keep]
    ids = pd.Series(
        np.char.add(np.char.add(np.char.add("hex-", rows.astype(str)), "-"), cols.astype(str)),
        dtype="string",
    )
    out = gpd.GeoDataFrame(
        {
            "unit_id": ids,
            "unit_name": ids.copy(),
            "population": np.full(len(ids), np.nan),
            "hex_row": rows,
            "hex_col": cols,
            "clipped": ~full,
        },
        geometry=gpd.GeoSeries(geoms, crs=mcrs).to_crs(WGS84).values,
        crs=WGS84,
    )
    out.attrs["metric_crs"] = mcrs.to_string()
    out.attrs["size_m"] = r
    log(
        f"hex grid: {len(out)} cells of side {r:g} m ({int(full.sum())} whole, "
        f"{int((~full).sum())} clipped at the edge), laid out in {mcrs.name}."
    )
    return out


# =============================================================================================
# shared helpers
# =============================================================================================


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
