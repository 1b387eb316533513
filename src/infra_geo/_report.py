"""Saving an analysis: the output files, all-or-nothing, and the Markdown summary.

Owns what :meth:`Analysis.save <infra_geo.Analysis.save>` writes (``OUTPUT_FILES``: the map,
GeoPackages, the formula-safe CSV with its dictionary ``columns.csv``, the planners' workbook
``gaps.xlsx`` (:mod:`infra_geo._workbook`), the walking-minutes GeoTIFF, ``summary.md`` in the
run's language), how it is
swapped into place (through :mod:`infra_geo._outdir`), and
:meth:`Analysis.summary_markdown <infra_geo.Analysis.summary_markdown>`. ``Analysis`` keeps
thin methods that delegate here.
"""

from __future__ import annotations

import errno
import html
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import _i18n, _schema, settings
from ._log import log
from ._validate import positive
from .components import COMPONENTS
from .errors import DataFileError, InfraGeoError, InputError

if TYPE_CHECKING:
    from .analysis import Analysis

#: what :meth:`Analysis.save` writes
OUTPUT_FILES = (
    "map.html",
    "facilities.gpkg",
    "catchments.gpkg",
    "gaps.gpkg",
    "gaps.csv",
    "columns.csv",
    "gaps.xlsx",
    "walk_minutes.tif",
    "summary.md",
)


def save(
    res: Analysis,
    out_dir: str | os.PathLike[str],
    cell_m: float = 50.0,
    _fail_before: str | None = None,
) -> dict[str, Path]:
    """Write ``res``'s outputs all-or-nothing (documented at :meth:`Analysis.save`)."""
    from ._outdir import check_out_dir, clean_stale, kill_point, new_scratch
    from ._reproject import frame_to_4326
    from ._workbook import write_columns_csv, write_xlsx

    out = check_out_dir(out_dir, outputs=OUTPUT_FILES)
    cell = positive(cell_m, "cell_m")
    clean_stale(out)
    tmp = new_scratch(out)
    res._saved_to = None
    write_errors = _write_errors()
    try:
        writers: list[tuple[str, Callable[[Path], object]]] = [
            ("facilities.gpkg", lambda p: _write_facilities(res, p)),
            (
                "catchments.gpkg",
                lambda p: _to_gpkg(frame_to_4326(res.catchments), p, "catchments"),
            ),
            ("gaps.gpkg", lambda p: _to_gpkg(res.gaps, p, "gaps")),
            ("gaps.csv", lambda p: _write_csv(res.gaps.drop(columns="geometry"), p)),
            ("columns.csv", lambda p: write_columns_csv(res.gaps.drop(columns="geometry"), p)),
            ("gaps.xlsx", lambda p: write_xlsx(res.gaps, p, res.lang)),
            ("walk_minutes.tif", lambda p: _write_raster(res, p, cell)),
            ("map.html", lambda p: res.map().save(str(p))),
            ("summary.md", lambda p: p.write_text(summary_markdown(res), encoding="utf-8")),
        ]
        for name, write in writers:
            if _fail_before == name:
                raise InfraGeoError(f"simulated failure before writing {name}")
            kill_point(f"write:{name}")
            try:
                write(tmp / name)
            except write_errors as exc:
                full = shutil.disk_usage(tmp).free < 1024 * 1024
                raise DataFileError(
                    f"Could not write {name} in {out.parent}: {_why(exc)}"
                    f"{' (the disk is full)' if full and 'disk is full' not in _why(exc) else ''}. Nothing in "
                    f"{out} was changed; free some space or choose another folder."
                ) from None
        kill_point("written")
        # Ctrl-C is held back while the set is swapped in, so the caller learns truly
        # whether the new set is in place (``_saved_to``)
        tmp = swap_into(tmp, out, res)
        kill_point("swapped")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"wrote {', '.join(OUTPUT_FILES)} to {out}")
    return {name: out / name for name in OUTPUT_FILES}


def _write_facilities(res: Analysis, p: Path) -> None:
    fac = res.facilities
    # GeoPackage wants simple column names and one geometry type per layer is not required;
    # pyogrio's Arrow writer: the same tables, in a third of the time for this many columns
    _to_gpkg(fac, p, "facilities", arrow=True)


def _write_raster(res: Analysis, p: Path, cell_m: float) -> None:
    import rasterio

    bands, transform, crs = res.walk_minutes_grid(cell_m=cell_m)
    profile = {
        "driver": "GTiff",
        "height": bands.shape[1],
        "width": bands.shape[2],
        "count": bands.shape[0],
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": np.nan,
        "compress": "deflate",
    }
    with rasterio.open(p, "w", **profile) as dst:
        dst.write(bands)
        for i, c in enumerate(COMPONENTS, start=1):
            dst.set_band_description(
                i, f"{c.key}: walking minutes to the nearest {c.label_en.lower()}"
            )
        dst.update_tags(
            units="minutes",
            speed_kmh=str(res.speed_kmh),
            source="infra_geo",
            attribution="© OpenStreetMap contributors",
        )
    # libtiff reports a full disk on stderr without failing the write: read it back
    try:
        with rasterio.open(p) as src:
            ok = np.array_equal(src.read(), bands, equal_nan=True)
    except rasterio.errors.RasterioError:
        ok = False
    if not ok:
        raise OSError(errno.EIO, "the GeoTIFF did not read back as it was written", str(p))


def summary_markdown(res: Analysis, lang: str | None = None) -> str:
    """Return a short human-readable report of the run (``summary.md``) in ``lang``.

    ``lang`` defaults to the run's: every heading, sentence and table header, and numbers in
    its format (nl ``1.234`` and ``12,5 %``).
    """
    lang = res.lang if lang is None else lang
    if lang not in _i18n.LANGS:
        raise InputError(f"lang must be 'nl' or 'en', got {lang!r}.")
    lines = [f"# {_i18n.t('title', lang, source=_md(_i18n.phrase(res.source, lang)))}", ""]
    lines += _facts(res, lang)
    lines += _reach_table(res, lang)
    lines += _worst_table(res, lang)
    lines += _problems_table(res, lang)
    from .cbs import summary_section

    lines += summary_section(res, lang=lang)
    lines += ["", _i18n.t("outputs", lang), "", _i18n.t("footer", lang), ""]
    return "\n".join(lines)


def coverage_text(res: Analysis, lang: str) -> str:
    """Return what the headline figures cover, in one line (:meth:`Analysis.coverage_text`)."""
    n = _i18n.number
    cov = res.coverage()
    left = _i18n.t("cov_left", lang, n=cov["partial_units"])
    others = int((res.gaps["data_problem"] & ~res.gaps["partial"]).sum())
    if others:
        left += _i18n.t("cov_left_problems", lang, n=others)
    if cov["weighting"] != "residents":
        return _i18n.t(
            "cov_street", lang, head=cov["headline_units"], units=cov["units"], left=left
        )
    return _i18n.t(
        "cov_residents",
        lang,
        head=n(cov["residents_headline"], lang),
        total=n(cov["residents_input"], lang),
        units=cov["headline_units"],
        left=left,
        outside=n(cov["residents_outside_data"], lang),
        unplaced=n(cov["unplaced"], lang),
    )


def _facts(res: Analysis, lang: str) -> list[str]:
    """Return the list of facts at the top of ``summary.md``."""
    n, t = _i18n.number, _i18n.t
    net = res.network
    lines = [
        "- "
        + t(
            "facts_facilities",
            lang,
            n=n(len(res.facilities), lang),
            nodes=n(net.n_nodes, lang),
            km=n(net.edge_length.sum() / 1000, lang, 1),
            crs=net.crs.to_string(),
        ),
        "- "
        + t("facts_units", lang, n=n(len(res.gaps), lang), partial=int(res.gaps["partial"].sum())),
        f"- {res.coverage_text(lang=lang)}",
        "- "
        + t(
            "facts_speed",
            lang,
            speed=n(res.speed_kmh, lang, 1).removesuffix(",0").removesuffix(".0"),
            minutes=", ".join(t("minutes", lang, m=_schema.minutes_text(m)) for m in res.minutes),
        ),
    ]
    if res.extent is not None:
        lines.append(
            "- "
            + t(
                "facts_extent",
                lang,
                km2=n(_area_km2(res.extent), lang, 2),
                source=_md(_i18n.phrase(res.extent_source, lang)),
                share=_i18n.percent(settings.partial_unit_share, lang),
            )
        )
    cov = res.coverage()
    if cov["weighting"] == "residents" and (cov["unknown_units"] or cov["estimated_units"]):
        lines.append(
            "- "
            + t(
                "facts_population",
                lang,
                unknown=cov["unknown_units"],
                estimated=cov["estimated_units"],
            )
        )
    lines += ["- " + t("note", lang, text=_i18n.note_text(x, lang)) for x in res.notes]
    return lines


def _reach_table(res: Analysis, lang: str) -> list[str]:
    """Residents (or street length) within reach per component, over the headline units."""
    t = _i18n.t
    s = res.summary()
    street = s.attrs["weighting"] != "residents"
    lines = ["", f"## {t('h_reach_street' if street else 'h_reach_residents', lang)}", ""]
    share_cols = [c for c in s.columns if _schema.summary_minutes(c) is not None]
    within = [t("col_within", lang, m=_schema.summary_minutes(c)) for c in share_cols]
    head = [t("col_component", lang), t("col_facilities", lang), *within, t("col_mean_walk", lang)]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|---:|" + "---:|" * len(share_cols) + "---:|")
    for _, r in s.iterrows():
        shares = " | ".join(_i18n.percent(r[c], lang) for c in share_cols)
        mean = _i18n.number(r["mean_m"], lang)
        facilities = _i18n.number(r["facilities"], lang)
        label = _md(next(c for c in COMPONENTS if c.key == r["component"]).label(lang))
        lines.append(f"| {label} | {facilities} | {shares} | {mean} |")
    return lines


def _worst_table(res: Analysis, lang: str) -> list[str]:
    """Return the five worst-served ranked units at the middle threshold."""
    t = _i18n.t
    m = res.minutes[len(res.minutes) // 2] if len(res.minutes) > 1 else res.minutes[0]
    rank = _schema.rank(m)
    worst = res.gaps.dropna(subset=[rank]).sort_values(rank).head(5)
    if not len(worst):
        return []
    street = res.gaps.attrs.get("weighting", "residents") != "residents"
    who = t("col_street_km" if street else "col_residents", lang)
    head = [t("col_rank", lang), t("col_unit", lang), who, t("col_completeness", lang)]
    lines = ["", f"## {t('h_worst', lang, m=_schema.minutes_text(m))}", ""]
    lines += ["| " + " | ".join(head) + " |", "|---:|---|---:|---:|"]
    for _, r in worst.iterrows():
        amount = r["street_m"] / 1000 if street else r["residents"]
        lines.append(
            f"| {int(r[rank])} | {_md(r['unit_name'])} | "
            f"{_i18n.number(amount, lang, 1 if street else 0)} | "
            f"{_i18n.number(r[_schema.completeness(m)], lang, 1)} |"
        )
    ranked = res.gaps.loc[res.gaps[rank].notna(), _schema.completeness(m)].to_numpy(dtype=float)
    if len(ranked) > 1 and np.ptp(ranked) == 0:  # every ranked unit the same: say so
        k = sum(1 for c in res.gaps.columns if (p := _schema.parse(c)) and p[1:] == ("share", m))
        c, mm = _i18n.number(ranked[0], lang, 1), _schema.minutes_text(m)
        lines += ["", t("worst_tie", lang, n=len(ranked), c=c, k=k, m=mm)]
    return lines


def _problems_table(res: Analysis, lang: str) -> list[str]:
    """Units with a data problem (partial units are already left out as such)."""
    t = _i18n.t
    probs = res.gaps.loc[res.gaps["data_problem"] & ~res.gaps["partial"]]
    if not len(probs):
        return []
    head = [t("col_unit", lang), t("col_on_islands", lang), t("col_unplaced", lang)]
    lines = ["", f"## {t('h_problems', lang)}", "", t("problems_text", lang), ""]
    lines += ["| " + " | ".join(head) + " |", "|---|---:|---:|"]
    for _, r in probs.iterrows():
        on, un = r["residents_on_islands"], r["unplaced"]
        lines.append(
            f"| {_md(r['unit_name'])} | {_i18n.number(on, lang)} | {_i18n.number(un, lang)} |"
        )
    return lines


def _area_km2(geom: Any) -> float:
    """Area of an EPSG:4326 polygon in km2, measured in its metric CRS."""
    from ._crs import metric_crs_for

    return float(gpd.GeoSeries([geom], crs=4326).to_crs(metric_crs_for(geom)).area.iloc[0]) / 1e6


def _md(text: Any) -> str:
    """One Markdown table cell: a single line, ``|`` escaped, no leading heading/list mark."""
    one = " ".join(str(text).split())
    cell = html.escape(one).replace("|", "\\|")
    if cell[:1] in ("#", "-", "+", "*", ">", "="):
        cell = "\\" + cell
    return cell


def _write_errors() -> tuple[type[BaseException], ...]:
    """Return what the writers raise on a full disk or an I/O fault (GDAL's errors included)."""
    errs: list[type[BaseException]] = [OSError, RuntimeError]
    try:
        from rasterio._err import CPLE_BaseError
        from rasterio.errors import RasterioError

        errs += [RasterioError, CPLE_BaseError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(errs)


def swap_into(tmp: Path, out: Path, res: Any) -> Path:
    """Swap the complete set in ``tmp`` in at ``out`` with Ctrl-C held; return the old set's folder.

    ``res._saved_to`` is set only once the new set is in place, so the caller learns truly
    whether it is (Ctrl-C is held back during the swap).
    """
    from ._outdir import swap_in

    mask = _block_sigint()
    try:
        old = swap_in(tmp, out)
        res._saved_to = out
        return old
    except OSError as exc:
        raise DataFileError(
            f"Could not put the new outputs in place at {out}: {_why(exc)}. Nothing in "
            f"{out} was changed."
        ) from None
    finally:
        _restore_sigint(mask)


def _block_sigint() -> Any:
    import signal
    import threading

    if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
        return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return None


def _restore_sigint(mask: Any) -> None:
    import signal

    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (" (the disk is full)" if exc.errno == 28 else "")
    return " ".join(str(exc).split()) or type(exc).__name__


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    from ._outdir import spreadsheet_safe

    spreadsheet_safe(df).to_csv(path, index=False)


def _to_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str, *, arrow: bool = False) -> None:
    from ._outdir import unique_columns_ci

    out = gdf.copy()
    # GeoPackage (SQLite) column names ignore case: OSM keys like fixme/FIXME would clash
    out.columns = unique_columns_ci(out.columns, keep=(out.geometry.name,))
    out = out.set_geometry(gdf.geometry.name)
    for c in out.columns:
        if c != out.geometry.name and out[c].dtype == object:
            out[c] = out[c].astype("string")
    # pyogrio's Arrow writer needs GDAL >= 3.8 (a pyogrio built on an older system GDAL)
    arrow = arrow and _gdal_writes_arrow()
    out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", use_arrow=arrow)


def _gdal_writes_arrow() -> bool:
    """Return whether pyogrio's GDAL can write from Arrow (GDAL 3.8 or later)."""
    import pyogrio

    return tuple(pyogrio.__gdal_version__) >= (3, 8, 0)


def place_name(source: str | None, source_file: str | os.PathLike[str] | None) -> str | None:
    """Return the analysed place as a title shows it.

    The place name, or the OSM file's name without its extensions
    ("amsterdam-centrum.osm.pbf" -> "Amsterdam-centrum"); None for a polygon.

    Examples
    --------
    >>> place_name("amsterdam-centrum.osm.pbf", "/data/amsterdam-centrum.osm.pbf")
    'Amsterdam-centrum'
    >>> place_name("polygon", None) is None
    True
    """
    if not source or source == "polygon":
        return None
    if source_file is not None:
        name = Path(source_file).name
        for ext in (".gz", ".bz2", ".pbf", ".osm", ".xml"):
            name = name.removesuffix(ext)
        name = name.replace("_", " ").strip()
        return name[:1].upper() + name[1:] if name else None
    return source
