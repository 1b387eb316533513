"""CBS tables: reading StatLine/Kerncijfers exports and joining them to neighbourhoods.

Owns :func:`read_cbs_table` (CSV or Excel, any StatLine layout, region codes recognised,
sentinels and StatLine symbols to ``NaN``), :func:`join_cbs_table` (by buurt/wijk/gemeente
code) and the CBS column and sentinel recognisers that :func:`neighbourhoods_from_file` also
uses for the wijk- en buurtkaart. (A private module beside ``cbs.py``, which compares results
with CBS's own proximity statistics: together they would pass 700 lines, and the boundary
reader needs these recognisers.) The public functions are exported as ``infra_geo.read_cbs_table``
and ``infra_geo.join_cbs_table`` (and from ``infra_geo.neighbourhoods``).
"""

from __future__ import annotations

import csv
import logging
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._deprecate import positional_deprecated
from ._log import log
from ._units import PathLike, _col_list, _examples, _existing_file, _log_population, _looks_text
from .errors import (
    DataFileError,
    InfraGeoError,
    InputError,
)

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


@positional_deprecated(2, ("table_key",))
def join_cbs_table(
    neighbourhoods: gpd.GeoDataFrame,
    table: PathLike | pd.DataFrame,
    *,
    table_key: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Join a CBS table (or any DataFrame) to neighbourhoods by region code.

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
    With the *Kerncijfers wijken en buurten* table downloaded from cbs.nl,
    ``ig.join_cbs_table(buurten, "kwb-2024.xlsx")``. Here a two-buurt extract of it, written
    to a CSV, joined to two sample hexagons given buurt codes:

    >>> import infra_geo as ig, os, tempfile
    >>> units = ig.hex_grid(ig.data_extent(ig.sample_path()), size_m=250).head(2)
    >>> units["unit_id"] = ["BU03630000", "BU03630001"]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "kwb-2024.csv")
    ...     with open(path, "w", encoding="utf-8") as f:
    ...         _ = f.write("gwb_code_10;regio;a_inw\nBU03630000;Kop Zeedijk;1025\n"
    ...                     "BU03630001;Oude Kerk e.o.;x\n")
    ...     joined = ig.join_cbs_table(units, path)
    >>> joined[["unit_id", "regio", "population"]]
          unit_id           regio  population
    0  BU03630000     Kop Zeedijk      1025.0
    1  BU03630001  Oude Kerk e.o.         NaN
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
    key_col = _join_key(tab, uid, table_key, source)
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


def _join_key(tab: pd.DataFrame, uid: pd.Series, table_key: str | None, source: str) -> str:
    """Return the table's column holding the unit ids: ``table_key``, ``unit_id`` or the best match."""
    if table_key is not None:
        if table_key not in tab.columns:
            raise InputError(
                f"table_key {table_key!r} is not a column of {source}; its columns are: "
                f"{_col_list(tab.columns)}."
            )
        return table_key
    if "unit_id" in tab.columns:
        return "unit_id"
    key_col = _best_key(tab, uid)
    if key_col is None:
        raise InputError(
            f"No column of {source} holds the unit ids (e.g. {_examples(uid)}); pass "
            f"table_key=. Its columns are: {_col_list(tab.columns)}."
        )
    return key_col


def read_cbs_table(path: PathLike) -> pd.DataFrame:
    r"""Read a CBS table: a StatLine CSV export or a *kerncijfers wijken en buurten* xlsx.

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
    With the *Kerncijfers wijken en buurten* table downloaded from cbs.nl,
    ``ig.read_cbs_table("kwb-2024.xlsx")``. Here three of its rows as a StatLine-style CSV
    (``x``: secret, ``.``: not available, decimal commas):

    >>> import infra_geo as ig, os, tempfile
    >>> rows = ["gwb_code_10;regio;a_inw;afstand_huisarts_km", "GM0363;Amsterdam;931298;0,6",
    ...         "BU03630000;Kop Zeedijk;1025;0,3", "BU03630001;Oude Kerk e.o.;x;."]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "kwb-2024.csv")
    ...     with open(path, "w", encoding="utf-8") as f:
    ...         _ = f.write("\n".join(rows) + "\n")
    ...     kwb = ig.read_cbs_table(path)
    >>> kwb.loc[kwb.unit_level == "buurt", ["unit_id", "population", "afstand_huisarts_km"]]
          unit_id  population  afstand_huisarts_km
    1  BU03630000      1025.0                  0.3
    2  BU03630001         NaN                  NaN
    >>> kwb.attrs["unknown_counts"]
    {'a_inw': 1, 'afstand_huisarts_km': 1}
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
    """Return a float64 column and its count of unknowns, or None when ``s`` holds text."""
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
    """Return the column with the most CBS region codes (BU/WK/GM/NL), or None."""
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

