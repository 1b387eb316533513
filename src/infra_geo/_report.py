"""Saving an analysis: the output files, all-or-nothing, and the Markdown summary.

Owns what :meth:`Analysis.save <infra_geo.Analysis.save>` writes (``OUTPUT_FILES``: the map,
GeoPackages, the formula-safe CSV, the walking-minutes GeoTIFF, ``summary.md``), how it is
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

from . import _schema, settings
from ._log import log
from ._validate import positive
from .components import COMPONENTS
from .errors import DataFileError, InfraGeoError

if TYPE_CHECKING:
    from .analysis import Analysis

#: what :meth:`Analysis.save` writes
OUTPUT_FILES = (
    "map.html",
    "facilities.gpkg",
    "catchments.gpkg",
    "gaps.gpkg",
    "gaps.csv",
    "walk_minutes.tif",
    "summary.md",
)


def save(
    res: Analysis,
    out_dir: str | os.PathLike[str], cell_m: float = 50.0, _fail_before: str | None = None
) -> dict[str, Path]:
    """Write ``res``'s outputs all-or-nothing (documented at :meth:`Analysis.save`)."""
    from ._outdir import check_out_dir, clean_stale, kill_point, new_scratch, swap_in

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
                lambda p: _to_gpkg(res.catchments.to_crs("EPSG:4326"), p, "catchments"),
            ),
            ("gaps.gpkg", lambda p: _to_gpkg(res.gaps, p, "gaps")),
            ("gaps.csv", lambda p: _write_csv(res.gaps.drop(columns="geometry"), p)),
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
        mask = _block_sigint()
        try:
            old = swap_in(tmp, out)
            res._saved_to = out
            tmp = old
        except OSError as exc:
            raise DataFileError(
                f"Could not put the new outputs in place at {out}: {_why(exc)}. Nothing in "
                f"{out} was changed."
            ) from None
        finally:
            _restore_sigint(mask)
        kill_point("swapped")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"wrote {', '.join(OUTPUT_FILES)} to {out}")
    return {name: out / name for name in OUTPUT_FILES}


def _write_facilities(res: Analysis, p: Path) -> None:
    fac = res.facilities
    # GeoPackage wants simple column names and one geometry type per layer is not required
    _to_gpkg(fac, p, "facilities")


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


def summary_markdown(res: Analysis) -> str:
    """Return a short human-readable report of the run (``summary.md``)."""
    s = res.summary()
    lines = [
        f"# infra_geo: social infrastructure within walking distance ({_md(res.source)})",
        "",
        f"- facilities: {len(res.facilities):,}; walking network: {res.network.n_nodes:,} "
        f"nodes, {res.network.edge_length.sum() / 1000:,.1f} km ({res.network.crs.to_string()})",
        f"- neighbourhoods: {len(res.gaps):,} ({int(res.gaps['partial'].sum())} only partly "
        "inside the data, not ranked)",
        f"- {res.coverage_text()}",
        f"- walking speed {res.speed_kmh:g} km/h; thresholds {', '.join(f'{m} min' for m in res.minutes)}",
    ]
    if res.extent is not None:
        lines.append(
            f"- data extent: {_area_km2(res.extent):,.2f} km2, {_md(res.extent_source)}; "
            f"neighbourhoods less than {settings.partial_unit_share:.0%} inside it are "
            "partial"
        )
    cov = res.coverage()
    if cov["weighting"] == "residents" and (cov["unknown_units"] or cov["estimated_units"]):
        lines.append(
            f"- population unknown (secret or missing) for {cov['unknown_units']} unit(s) "
            f"with no home in the data (no residents counted); estimated from residential "
            f"floor area for {cov['estimated_units']}"
        )
    lines += [f"- note: {n}" for n in res.notes]
    street = cov["weighting"] != "residents"
    what = "Street length (not residents)" if street else "Residents"
    lines += ["", f"## {what} within reach, per component (headline units)", ""]
    share_cols = [c for c in s.columns if _schema.summary_minutes(c) is not None]
    lines.append(
        "| component | facilities | "
        + " | ".join(f"within {_schema.summary_minutes(c)}min" for c in share_cols)
        + " | mean walk (m) |"
    )
    lines.append("|---|---:|" + "---:|" * len(share_cols) + "---:|")
    for _, r in s.iterrows():
        shares = " | ".join(f"{r[c]:.0%}" if pd.notna(r[c]) else "–" for c in share_cols)
        mean = f"{r['mean_m']:,.0f}" if pd.notna(r["mean_m"]) else "–"
        lines.append(f"| {_md(r['label'])} | {r['facilities']} | {shares} | {mean} |")
    m = res.minutes[len(res.minutes) // 2] if len(res.minutes) > 1 else res.minutes[0]
    rank = _schema.rank(m)
    worst = res.gaps.dropna(subset=[rank]).sort_values(rank).head(5)
    if len(worst):
        lines += ["", f"## Worst-served neighbourhoods ({m} min)", ""]
        who = "street km" if street else "residents"
        lines.append(f"| rank | neighbourhood | {who} | components reached (mean of 8) |")
        lines.append("|---:|---|---:|---:|")
        for _, r in worst.iterrows():
            amount = r["street_m"] / 1000 if street else r["residents"]
            lines.append(
                f"| {int(r[rank])} | {_md(r['unit_name'])} | {amount:,.{1 if street else 0}f} | {r[f'completeness_{m}']:.1f} |"
            )
    # partial units are already left out as such; the others need a look at the data
    probs = res.gaps.loc[res.gaps["data_problem"] & ~res.gaps["partial"]]
    if len(probs):
        lines += [
            "",
            "## Data problems (not ranked, not in the headline)",
            "",
            "Most residents of these units live on network pieces cut off from the rest, or "
            "could not be placed on a building or street: check the data, not the "
            "neighbourhood.",
            "",
            "| neighbourhood | on cut-off pieces | unplaced |",
            "|---|---:|---:|",
        ]
        for _, r in probs.iterrows():
            on, un = r["residents_on_islands"], r["unplaced"]
            lines.append(f"| {_md(r['unit_name'])} | {_num(on)} | {_num(un)} |")
    from .cbs import summary_section

    lines += summary_section(res)
    lines += ["", "Data © OpenStreetMap contributors (ODbL). Generated by infra_geo.", ""]
    return "\n".join(lines)


def _area_km2(geom: Any) -> float:
    """Area of an EPSG:4326 polygon in km2, measured in its metric CRS."""
    from ._crs import metric_crs_for

    return float(gpd.GeoSeries([geom], crs=4326).to_crs(metric_crs_for(geom)).area.iloc[0]) / 1e6


def _num(v: Any) -> str:
    return f"{v:,.0f}" if pd.notna(v) else "–"


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


def _to_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    from ._outdir import unique_columns_ci

    out = gdf.copy()
    # GeoPackage (SQLite) column names ignore case: OSM keys like fixme/FIXME would clash
    out.columns = unique_columns_ci(out.columns, keep=(out.geometry.name,))
    out = out.set_geometry(gdf.geometry.name)
    for c in out.columns:
        if c != out.geometry.name and out[c].dtype == object:
            out[c] = out[c].astype("string")
    out.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
