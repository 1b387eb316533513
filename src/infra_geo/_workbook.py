"""The gap table for planners (``gaps.xlsx``) and the dictionary of ``gaps.csv`` (``columns.csv``).

``gaps.xlsx`` has one sheet per topic (:data:`infra_geo._schema.TOPICS`: overview per unit,
shares within reach, walking distances, residents reached, facilities, residents accounting)
with headers in the run's language, rounded values (shares in % with one decimal, metres
whole, minutes one decimal, residents whole), no ``inf`` or NaN (a blank cell, explained in the
sheet's last column), and a last sheet explaining every column. Every header, unit and meaning
comes from the one column schema (:data:`infra_geo._schema.GAP_COLUMNS`). ``gaps.csv`` and
``gaps.gpkg`` stay machine-readable (unrounded, snake_case); ``columns.csv`` names the unit and
meaning (nl and en) of each of their columns.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import _i18n, _schema, settings
from .components import COMPONENTS

#: decimals of each unit in gaps.xlsx (shares are written in %)
_DECIMALS = {"residents": 0, "share": 1, "m": 0, "min": 1, "count": 0, "per_1000": 1,
             "components": 2, "rank": 0, "supply": 2}  # fmt: skip
_FIXED_TIME = "2000-01-01T00:00:00Z"  # the workbook's stamp: equal runs give equal bytes


def _labels(lang: str) -> dict[str, str]:
    return {c.key: c.label(lang) for c in COMPONENTS}


def _meaning(col: str, lang: str) -> tuple[str, str]:
    """Return (unit, meaning) of gap column ``col`` in ``lang``, the group and minutes filled in."""
    found = _schema.doc_of(col)
    if found is None:
        return "", _i18n.t("own_column", lang)
    doc = found[0]
    unit = _schema.UNITS[doc.unit][1 if lang == "nl" else 0]
    text = _schema.describe(col, lang) or ""
    p = _schema.parse(col)
    if p is not None and p[0] is not None:
        text = f"{p[0]} ({_labels(lang).get(p[0], p[0])}): {text}"
    return unit, text


def columns_table(columns: list[str]) -> pd.DataFrame:
    """``columns.csv``: per column of ``gaps.csv`` its name, unit and meaning in en and nl."""
    rows = []
    for col in columns:
        unit_en, en = _meaning(col, "en")
        unit_nl, nl = _meaning(col, "nl")
        rows.append((col, unit_en, unit_nl, en, nl))
    return pd.DataFrame(rows, columns=["name", "unit_en", "unit_nl", "meaning_en", "meaning_nl"])


def write_columns_csv(gaps: pd.DataFrame, path: Path) -> None:
    """Write ``columns.csv`` for the columns of ``gaps.csv`` (``gaps`` without geometry)."""
    cols = [str(c) for c in gaps.columns if c != getattr(gaps, "_geometry_column_name", None)]
    columns_table(cols).to_csv(path, index=False)


# ------------------------------------------------------------------------------ gaps.xlsx
def _topic_columns(gaps: pd.DataFrame) -> dict[str, list[str]]:
    """Per sheet of :data:`_schema.TOPICS`, its columns (the id columns first on each)."""
    ids: list[str] = []
    by_topic: dict[str, list[str]] = {k: [] for k in _schema.TOPICS}
    for col in gaps.columns:
        found = _schema.doc_of(str(col))
        if found is None or found[0].topic is None:
            continue
        if found[0].topic == "":
            ids.append(str(col))
        else:
            by_topic[found[0].topic].append(str(col))
    return {k: ids + cols for k, cols in by_topic.items() if cols}


def _cell_values(g: pd.DataFrame, col: str, lang: str) -> tuple[list[Any], np.ndarray]:
    """Return the rounded cell values of ``col`` and where they are blank (NaN or infinite)."""
    found = _schema.doc_of(col)
    unit = found[0].unit if found is not None else "text"
    s = g[col]
    if unit == "flag":
        yes, no = _i18n.t("yes", lang), _i18n.t("no", lang)
        vals = np.where(s.fillna(False).astype(bool).to_numpy(), yes, no).tolist()
        return vals, np.zeros(len(g), dtype=bool)
    if unit == "text":
        return [None if pd.isna(v) else str(v) for v in s], s.isna().to_numpy()
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    if unit == "share":
        v = v * 100.0
    blank = ~np.isfinite(v)
    digits = _DECIMALS[unit]
    r = np.round(np.where(blank, 0.0, v), digits)
    out = (r.astype(np.int64) if digits == 0 else r).astype(object)  # Python int / float
    out[blank] = None
    return out.tolist(), blank


def _reasons(g: pd.DataFrame, blank_cols: dict[str, np.ndarray], lang: str) -> list[str]:
    """Per row, why its blank cells are blank (one text per reason, joined)."""
    n = len(g)
    street = g.attrs.get("weighting", "residents") != "residents"
    partial = g["partial"].to_numpy(dtype=bool) if "partial" in g else np.zeros(n, bool)
    problem = g["data_problem"].to_numpy(dtype=bool) & ~partial if "data_problem" in g else partial
    unknown = g["population_unknown"].to_numpy(dtype=bool) if "population_unknown" in g else partial
    res = pd.to_numeric(g.get("residents", pd.Series(np.nan, index=g.index)), errors="coerce")
    no_res = ~(res.to_numpy(dtype=float) > 0)
    any_blank = np.zeros(n, dtype=bool)
    path_blank = np.zeros(n, dtype=bool)
    rank_blank = np.zeros(n, dtype=bool)
    for col, blank in blank_cols.items():
        any_blank |= blank
        p = _schema.parse(col)
        measure = p[1] if p is not None else col
        if measure in ("mean_m", "mean_min", "p90_m", "p90_min"):
            path_blank |= blank
        if measure == "rank":
            rank_blank |= blank
    share = _i18n.percent(settings.max_no_path_share, lang)
    cases = [
        (any_blank & street, _i18n.t("reason_street", lang)),
        (any_blank & unknown & ~street, _i18n.t("reason_unknown", lang)),
        (rank_blank & partial, _i18n.t("reason_partial", lang)),
        (rank_blank & problem, _i18n.t("reason_problem", lang)),
        (any_blank & no_res & ~street & ~unknown, _i18n.t("reason_no_residents", lang)),
        (path_blank & ~no_res, _i18n.t("reason_no_path", lang, share=share)),
    ]
    text = np.full(n, "", dtype=object)
    for mask, why in cases:
        text = np.where(mask, np.where(text == "", why, text + "; " + why), text)
    explained = text != ""
    text = np.where(any_blank & ~explained, _i18n.t("reason_other", lang), text)
    return [str(x) for x in text]


def _add_sheet(
    wb: Any, title: str, header: list[str], rows: list[list[Any]], widths: list[int]
) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title[:31])
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "C2" if len(header) > 2 else "A2"
    cells = []
    for h in header:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        cells.append(c)
    ws.append(cells)
    for row in rows:
        ws.append(row)


def _data_sheet(wb: Any, g: pd.DataFrame, topic: str, cols: list[str], lang: str) -> None:
    labels = _labels(lang)
    values, blanks = [], {}
    for col in cols:
        vals, blank = _cell_values(g, col, lang)
        values.append(vals)
        if blank.any():
            blanks[col] = blank
    why = _reasons(g, blanks, lang)
    header = [_schema.header(c, lang, labels) for c in cols] + [_i18n.t("col_why_blank", lang)]
    rows = [list(r) for r in zip(*values, why, strict=True)] if len(g) else []
    widths = [14, 28] + [16] * (len(cols) - 2) + [60]
    name = _schema.TOPICS[topic][1 if lang == "nl" else 0]
    _add_sheet(wb, name, header, rows, widths)


def _columns_sheet(wb: Any, topics: dict[str, list[str]], lang: str) -> None:
    """Write the sheet that explains every column of the workbook."""
    labels, idx = _labels(lang), 1 if lang == "nl" else 0
    rows: list[list[Any]] = [[_i18n.t("why_blank_note", lang), "", "", "", ""]]
    seen: set[str] = set()
    for topic, cols in topics.items():
        for col in cols:
            found = _schema.doc_of(col)
            on_every = found is not None and found[0].topic == ""
            if on_every and col in seen:
                continue
            seen.add(col)
            sheet = _i18n.t("every_sheet", lang) if on_every else _schema.TOPICS[topic][idx]
            unit, meaning = _meaning(col, lang)
            rows.append([sheet, _schema.header(col, lang, labels), col, unit, meaning])
    why = _i18n.t("col_why_blank", lang)
    rows.append(
        [
            _i18n.t("every_sheet", lang),
            why,
            "",
            _i18n.UNIT_TEXT[lang],
            _i18n.t("why_blank_meaning", lang),
        ]
    )
    keys = ("col_sheet", "col_header", "col_name", "col_unit_of", "col_meaning")
    header = [_i18n.t(k, lang) for k in keys]
    _add_sheet(wb, _i18n.t("sheet_columns", lang), header, rows, [24, 36, 26, 22, 100])


def write_xlsx(gaps: pd.DataFrame, path: Path, lang: str) -> None:
    """Write ``gaps.xlsx`` (see the module docstring); the same table gives the same bytes."""
    from openpyxl import Workbook

    g = pd.DataFrame(gaps).drop(columns=[c for c in ("geometry",) if c in gaps.columns])
    g.attrs = dict(gaps.attrs)
    topics = _topic_columns(g)
    wb = Workbook(write_only=True)
    for topic, cols in topics.items():
        _data_sheet(wb, g, topic, cols, lang)
    _columns_sheet(wb, topics, lang)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_deterministic(buf.getvalue()))


def _deterministic(xlsx: bytes) -> bytes:
    """Return the workbook's bytes with fixed zip timestamps and dates (openpyxl stamps 'now')."""
    stamp = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = stamp.sub(lambda m: m.group(1) + _FIXED_TIME.encode() + m.group(3), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()
