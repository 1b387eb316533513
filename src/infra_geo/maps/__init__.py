"""Interactive coverage maps (folium / Leaflet) for planners.

:func:`coverage_map` draws the facilities of the eight components, optionally their walking
catchments and a neighbourhood choropleth of the gap analysis, on an OpenStreetMap
background, in Dutch or English. Save the result with ``m.save("map.html")``; the file
opens in any browser.

Every piece of OpenStreetMap or user text that ends up in the page (names, tags, layer
names, neighbourhood names) is HTML-escaped before it is written: a facility named
``<img src=x onerror=alert(1)>`` shows as that text, it never runs.

The package owns :func:`coverage_map`; its pieces are ``_common`` (constants, text, escaping,
checks), ``_layers`` (facilities, catchments, data extent), ``_gaps_layer`` (the choropleth)
and ``_legend`` (title, note, CSS); the nl/en text, CSS and JavaScript are data files in
``static/``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._deprecate import positional_deprecated
from .._reproject import distinct_points, frame_to_4326, points_to_4326
from .._types import PolygonLike, SuggestionsLike
from .._validate import as_facilities, as_frame
from ..errors import EmptyDataError, InputError
from ._common import (
    _CATCHMENT_COLUMNS,
    _DECIMALS,
    _FACILITY_COLUMNS,
    _GAP_COLUMNS,
    _TEXT,
    OSM_ATTRIBUTION,
    OSM_TILES,
    _esc,
)
from ._gaps_layer import _gap_layer, _parse_measure
from ._layers import (
    _RING_THREADS,
    _catchment_layers,
    _check_component_values,
    _extent_layer,
    _facility_layers,
    _RingJobs,
)
from ._legend import _deterministic_ids, _Furniture, _note, _Ready
from ._panel import _Panel
from ._sites_layer import _site_layers, check_suggestions

__all__ = ["MAP_LANGUAGES", "coverage_map"]

#: Languages :func:`coverage_map` speaks.
MAP_LANGUAGES = ("nl", "en")


# ------------------------------------------------------------------------------------------


@positional_deprecated(3, ("lang", "measure", "title"))
def coverage_map(  # noqa: PLR0913 - public entry point: data args + keyword options
    facilities: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame | None = None,
    gaps: gpd.GeoDataFrame | None = None,
    *,
    lang: str = "nl",
    measure: str | None = None,
    title: str | None = None,
    extent: PolygonLike | None = None,
    extent_note: str | None = None,
    suggestions: SuggestionsLike | None = None,
    place: str | None = None,
) -> folium.Map:
    """Draw an interactive map of the social infrastructure, its walking areas and its gaps.

    Parameters
    ----------
    facilities : GeoDataFrame
        As :func:`infra_geo.facilities_from_file` returns: columns ``component``,
        ``components``, ``category``, ``name``, ``osm_type``, ``osm_id`` (OSM tag columns
        such as ``addr:street`` are used when present) and a geometry in any CRS. Each
        facility is drawn in the layer of its primary ``component``: points as circle
        markers (clustered where many), lines and areas as shapes.
    catchments : GeoDataFrame, optional
        As :func:`infra_geo.catchments` returns: ``component``, ``minutes`` and the reachable
        area, in any CRS. Rows of one component and threshold (one per facility with
        ``by="facility"``) are drawn as their union. One layer per component and threshold
        ("Zorg – 10 min"), hidden at first; longer walks have a lighter fill. The area of a
        longer walk is expected to contain the shorter ones (as :func:`infra_geo.catchments`
        makes them): a layer draws its own threshold's ring together with the rings of the
        shorter walks.
    gaps : GeoDataFrame, optional
        One row per neighbourhood, in any CRS, with ``unit_id``, ``unit_name``,
        ``residents``, ``partial`` and measure columns: ``{component}_share_{m}``,
        ``{component}_reached_{m}``, ``{component}_unreached_{m}``, ``{component}_mean_m``,
        ``{component}_p90_m``, ``completeness_{m}``, ``all8_share_{m}``, ``rank_{m}``, and
        ``{component}_supply_{m}`` (capacity per 1,000 residents, ``Analysis.with_capacity``;
        offered in the legend with its method and capacity source).
        Drawn as a choropleth; the panel holds a list to switch between the measures
        (completeness, share of all eight, and the share of each component, per threshold).
        Partial neighbourhoods (edge effect) are coloured by their (incomplete) figure and
        hatched.
    lang : {"nl", "en"}
        Language of the labels, legend and note.
    measure : str, optional
        The gap column coloured at first. Default: of the completeness, the share of all
        eight and each component's share at 10 min (or the shortest walk present), the one
        whose values fall into the most colour classes (the weaker one on a tie): the map
        opens on the differences between neighbourhoods.
    title : str, optional
        The map title; a default title in ``lang`` (naming ``place`` when given) when omitted.
    extent : polygon (EPSG:4326), GeoSeries or GeoDataFrame, optional
        Where the data is complete (:attr:`Analysis.extent`, :func:`infra_geo.data_extent`):
        drawn as a dashed outline in its own layer, after the neighbourhoods.
    extent_note : str, optional
        How the extent was obtained (e.g. "derived from the data"), shown in its tooltip
        (HTML-escaped).
    suggestions : SiteSuggestions, optional
        What :func:`infra_geo.suggest_sites` returns: one layer per suggested site (a
        numbered marker whose popup lists the residents it newly reaches, in total and per
        neighbourhood) with the outlines of the ``gaps`` neighbourhoods it reaches new
        residents in (each with its figure in a tooltip).
    place : str, optional
        The place shown, named in the default title ("… – Amsterdam"; HTML-escaped).

    Returns
    -------
    folium.Map
        With an OpenStreetMap background; one panel (top right, behind a button on screens
        up to 600 px wide) with the eight components as toggles (in
        :data:`infra_geo.COMPONENTS` order, also when empty; a toggle switches a component's
        facilities and its walking area), one walking time for the walking areas, the
        neighbourhood measure and a toggle per other layer (extent, suggested sites); a
        legend, a scale bar, the title and a "how to read this map" note, laid out so that
        none covers another.
        Save it with ``m.save("map.html")``.

    Raises
    ------
    InputError
        ``lang`` is not ``"nl"`` or ``"en"``; an input is not a GeoDataFrame or lacks a
        column; ``measure`` is not a measure column of ``gaps`` (or ``gaps`` is missing);
        nothing to draw.
    CRSError
        An input has no CRS.
    UnknownComponentError
        A facility, catchment or ``measure`` names a component that is not one of the eight.
    EmptyDataError
        All inputs are empty.

    Notes
    -----
    All text from the data (names, tags, neighbourhood names) is HTML-escaped. Geometries
    are simplified to display scale (about 1 m for facilities, 2.5 m for neighbourhoods,
    which are simplified as one coverage so that neighbours keep their shared edges, 5 m
    for catchments) and coordinates rounded to 5 decimals (about 1 m). Catchments, the bulk
    of a map, are stored as rings: each threshold's layer holds only the area it adds to
    the threshold before (the rings are simplified together, so they meet without gap or
    overlap), as encoded-polyline text; switching on "15 min" draws the rings of 5, 10 and
    15 min as one polygon, the whole 15-minute area (the edges between the rings show as
    thin lines). A layer is drawn when first switched on. Malta (3,300 facilities, 3,700 km
    of streets, 24 catchment layers): about 4 MB, ready in about a second in headless
    Chromium. The page sets ``window.infraGeoReady`` once every layer is added. Element
    ids are numbered, not random: the same input gives the same HTML. The map loads
    Leaflet and its plugins from public CDNs and the background from tile.openstreetmap.org
    when opened.

    Examples
    --------
    >>> import infra_geo as ig, os, tempfile
    >>> path = ig.sample_path()  # or "liechtenstein.osm.pbf"
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> catch = ig.catchments(net, fac, minutes=[5, 10], component=["care", "education"])
    >>> m = ig.coverage_map(fac, catch, lang="en", title="Sample <centre>")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     m.save(os.path.join(tmp, "map.html"))
    ...     page = open(os.path.join(tmp, "map.html"), encoding="utf-8").read()
    >>> "Sample" in page and "<centre>" not in page  # the title is HTML-escaped
    True
    >>> sorted(set(catch["component"])), sorted(set(catch["minutes"]))
    (['care', 'education'], [5, 10])
    """
    fac, catchments, gaps, extent, sites = _checked_inputs(
        facilities, catchments, gaps, lang=lang, measure=measure, title=title, extent=extent,
        extent_note=extent_note, suggestions=suggestions, place=place,
    )  # fmt: skip
    # the catchment rings are cut on a thread (GEOS) while the rest of the map is drawn
    pool = ThreadPoolExecutor(max_workers=_RING_THREADS, thread_name_prefix="ig-rings")
    try:
        rings = _RingJobs(catchments, pool) if catchments is not None else None
        return _draw(fac, rings, gaps, extent, sites, lang=lang, measure=measure, title=title,
                     extent_note=extent_note, suggestions=suggestions, place=place)  # fmt: skip
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _draw(  # noqa: PLR0913 - coverage_map's checked inputs and options
    fac: gpd.GeoDataFrame,
    rings: _RingJobs | None,
    gaps: gpd.GeoDataFrame | None,
    extent: Any,
    sites: Any,
    *,
    lang: str,
    measure: str | None,
    title: str | None,
    extent_note: str | None,
    suggestions: SuggestionsLike | None,
    place: str | None,
) -> folium.Map:
    """Draw the map of :func:`coverage_map` from its checked inputs."""
    catchments = rings.catch if rings is not None else None
    t = _TEXT[lang]
    west, south, east, north = _map_bounds([fac, catchments, gaps, sites])
    m = _base_map(west, south, east, north)
    # panes under the facilities (overlayPane, z-index 400): areas never hide a facility
    gap_pane, catch_pane = "igGaps", "igCatchments"
    if gaps is not None:
        folium.map.CustomPane(gap_pane, z_index=380, pointer_events=True).add_to(m)
    if catchments is not None:
        folium.map.CustomPane(catch_pane, z_index=390, pointer_events=False).add_to(m)
    if suggestions is not None:  # the units a site helps: over the catchments, under facilities
        folium.map.CustomPane("igSites", z_index=395, pointer_events=True).add_to(m)
    # the panel (not Leaflet's layer list) switches the layers, in this order
    fac_groups = _facility_layers(m, fac, lang, t)
    catch_groups = {}
    if rings is not None:
        catch_groups = _catchment_layers(m, rings, lang, t, catch_pane)
    gap_layer = None
    if gaps is not None:
        gap_layer = _gap_layer(m, gaps, measure, lang, t, gap_pane)
    others = []
    if suggestions is not None:
        others += _site_layers(m, suggestions, gaps, lang, t, "igSites")
    if extent is not None:
        fg = _extent_layer(m, extent, extent_note, t)
        if fg is not None:
            others.insert(0, (_esc(t["extent_layer"]), fg))
    _Furniture(
        _esc(
            title
            if title is not None
            else (t["title"] + f" – {place.strip()}" if place and place.strip() else t["title"])
        ),
        _note(t, catchments is not None, gaps is not None, suggestions is not None),
    ).add_to(m)
    counts = fac["component"].value_counts().to_dict()
    _Panel(lang, t, fac_groups, counts, catch_groups, gap_layer, others).add_to(m)
    if (east - west) > 1e-9 or (north - south) > 1e-9:
        m.fit_bounds(
            [
                [round(float(south), _DECIMALS), round(float(west), _DECIMALS)],
                [round(float(north), _DECIMALS), round(float(east), _DECIMALS)],
            ]
        )
    _Ready().add_to(m)
    _deterministic_ids(m.get_root())
    return m


def _checked_inputs(  # noqa: PLR0913 - the options of coverage_map, checked in one place
    facilities: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame | None,
    gaps: gpd.GeoDataFrame | None,
    *,
    lang: str,
    measure: str | None,
    title: str | None,
    extent: PolygonLike | None,
    extent_note: str | None,
    suggestions: SuggestionsLike | None,
    place: str | None,
) -> tuple[gpd.GeoDataFrame, Any, Any, Any, Any]:
    """Check :func:`coverage_map`'s inputs; return facilities, catchments, gaps, extent, sites."""
    if not isinstance(lang, str) or lang not in MAP_LANGUAGES:
        raise InputError(f"lang must be one of {', '.join(MAP_LANGUAGES)}, got {lang!r}.")
    if title is not None and not isinstance(title, str):
        raise InputError(f"title must be a string, not {type(title).__name__}.")
    if measure is not None and not isinstance(measure, str):
        raise InputError(f"measure must be a column name (str), not {type(measure).__name__}.")
    fac = as_facilities(facilities, "facilities", columns=_FACILITY_COLUMNS)
    _check_component_values(fac["component"], "facilities")
    members = pd.Series(
        [k for v in fac["components"].dropna().unique() for k in str(v).split(";") if k],
        dtype=object,
    )
    _check_component_values(members, "facilities['components']")
    if catchments is not None:
        catchments = as_frame(catchments, "catchments", columns=_CATCHMENT_COLUMNS)
        _check_component_values(catchments["component"], "catchments")
    if gaps is not None:
        gaps = as_frame(gaps, "gaps", columns=_GAP_COLUMNS)
    if extent is not None:
        from .._validate import as_polygon

        extent = as_polygon(extent, name="extent")
    if place is not None and not isinstance(place, str):
        raise InputError(f"place must be a string (the place's name), not {type(place).__name__}.")
    if extent_note is not None and not isinstance(extent_note, str):
        raise InputError(f"extent_note must be a string, not {type(extent_note).__name__}.")
    sites = None
    if suggestions is not None:
        sites = check_suggestions(suggestions)[0]
    if measure is not None:
        if gaps is None:
            raise InputError("measure colours the neighbourhoods: pass gaps=... as well.")
        _parse_measure(measure)
        if measure not in gaps.columns:
            raise InputError(f"measure {measure!r} is not a column of gaps.")

    return fac, catchments, gaps, extent, sites


def _map_bounds(
    frames: list[gpd.GeoDataFrame | None],
) -> tuple[float, float, float, float]:
    """West, south, east, north (EPSG:4326) of the non-empty frames; raise if nothing to map."""
    drawn = [f for f in frames if f is not None and len(f)]
    if not drawn:
        raise EmptyDataError(
            "Nothing to map: the facilities are empty and no catchments or gaps were given."
        )
    bounds = np.array([_bounds_4326(f) for f in drawn])
    bounds = bounds[np.isfinite(bounds).all(axis=1)]
    if not len(bounds):
        raise EmptyDataError("Nothing to map: every geometry is empty.")
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()
    return west, south, east, north


def _bounds_4326(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Return ``frame_to_4326(frame).total_bounds`` from each distinct vertex moved once.

    The same bits: the bounds are the least and greatest moved coordinates, and a vertex
    moves the same wherever it occurs. Nothing is rebuilt (Malta's catchments: 278k of
    798k vertices distinct, 0.14 -> 0.07 CPU-s). Frames frame_to_4326 moves another way
    (no CRS, EPSG:4326, 3-D) and moved coordinates that are not finite take its path.
    """
    geoms = frame.geometry.to_numpy()
    crs = frame.crs
    if crs is None or crs.is_exact_same("EPSG:4326") or shapely.has_z(geoms).any():
        return frame_to_4326(frame).total_bounds
    xy = shapely.get_coordinates(geoms)
    if not len(xy):
        return frame_to_4326(frame).total_bounds
    moved = points_to_4326(distinct_points(xy)[0], crs)
    if not np.isfinite(moved).all():
        return frame_to_4326(frame).total_bounds
    return np.r_[moved.min(axis=0), moved.max(axis=0)]


def _base_map(west: float, south: float, east: float, north: float) -> folium.Map:
    """Return the map centred on the bounds, with the OpenStreetMap background as its only base."""
    m = folium.Map(
        location=[round((south + north) / 2, _DECIMALS), round((west + east) / 2, _DECIMALS)],
        zoom_start=13,
        tiles=None,
        control_scale=True,
    )
    folium.TileLayer(
        OSM_TILES,
        attr=OSM_ATTRIBUTION,
        name="OpenStreetMap",
        max_zoom=19,
        overlay=False,
        control=False,  # the only background: the layer control lists overlays alone
    ).add_to(m)
    return m
