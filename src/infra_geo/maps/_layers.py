"""The facility, catchment and data-extent layers of the coverage map."""

from __future__ import annotations

import json
import operator
import threading
import weakref
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.plugins import MarkerCluster
from folium.template import Template
from folium.utilities import JsCode

from .._memory import release_free_memory
from ..components import COMPONENTS, load_rules
from ..errors import InputError, UnknownComponentError
from ._common import (
    _DECIMALS,
    _OSM_TYPES,
    _SCALE,
    _SIMPLIFY_CATCHMENT_M,
    _SIMPLIFY_DEG,
    _SIMPLIFY_M,
    _collection,
    _color,
    _display,
    _esc,
    _feature,
    _is_metric,
    _pack_polygons,
    _present,
    _swatch,
    _text_color,
    _usable,
    static,
)
from ._plain import _GeoJson, _plain_scripts

_ON_EACH_FACILITY = JsCode(static("facility_events.js").rstrip("\n"))


def _address(row: Mapping[str, Any]) -> str:
    def tag(k: str) -> str:
        v = row.get(k)
        return str(v).strip() if _present(v) else ""

    street_parts = (tag("addr:street") or tag("addr:place"), tag("addr:housenumber"))
    street = " ".join(p for p in street_parts if p)
    town = " ".join(p for p in (tag("addr:postcode"), tag("addr:city")) if p)
    return ", ".join(p for p in (street, town) if p)


def _osm_url(osm_type: Any, osm_id: Any) -> str | None:
    if not _present(osm_type) or str(osm_type) not in _OSM_TYPES or not _present(osm_id):
        return None
    try:
        ident = int(osm_id)
    except (TypeError, ValueError):
        return None
    return f"https://www.openstreetmap.org/{osm_type}/{ident}"


#: the columns :func:`_facility_props` reads
_POPUP_COLUMNS = (
    "name",
    "category",
    "components",
    "component",
    "addr:street",
    "addr:place",
    "addr:housenumber",
    "addr:postcode",
    "addr:city",
    "osm_type",
    "osm_id",
)


def _facility_props(
    row: Mapping[str, Any],
    labels: Mapping[str, str],
    t: Mapping[str, str],
    kinds: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Popup and tooltip HTML of one facility; every value from the data is escaped.

    ``kinds``: the human label of a category (``"amenity=theatre"`` -> ``"Theater"``); a
    category without one is shown as its tag.
    """
    name = str(row["name"]).strip() if _present(row.get("name")) else ""
    category = str(row["category"]) if _present(row.get("category")) else ""
    category = (kinds or {}).get(category, category)
    comps = str(row["components"]) if _present(row.get("components")) else ""
    keys = [k for k in comps.split(";") if k]
    if row["component"] not in keys:
        keys.insert(0, row["component"])
    comp_labels = ", ".join(_esc(labels[k]) for k in keys)
    lines = [f"<b>{_esc(name) if name else _esc(t['unnamed'])}</b>"]
    if category:
        lines.append(f"{_esc(t['category'])}: {_esc(category)}")
    lines.append(f"{_esc(t['components'])}: {comp_labels}")
    addr = _address(row)
    if addr:
        lines.append(f"{_esc(t['address'])}: {_esc(addr)}")
    url = _osm_url(row.get("osm_type"), row.get("osm_id"))
    if url:
        lines.append(
            f'<a href="{_esc(url)}" target="_blank" rel="noopener noreferrer">'
            f"{_esc(t['osm_link'])}</a>"
        )
    tip = _esc(name) if name else f"{_esc(t['unnamed'])} · {_esc(category)}"
    return {"popup": '<div class="ig-popup">' + "<br>".join(lines) + "</div>", "tip": tip}


def _cluster_icon(key: str, color: str) -> str:
    inner = json.dumps(f'<div style="background-color:{color};color:{_text_color(color)}"><span>')
    cls = json.dumps(f"marker-cluster ig-cluster ig-cluster-{key}")
    return (
        "function(cluster) { var n = cluster.getChildCount();"
        " var s = n < 10 ? 34 : (n < 100 ? 40 : 46);"
        f" return L.divIcon({{html: {inner} + n + '</span></div>', className: {cls},"
        " iconSize: new L.Point(s, s)}); }"
    )


def _facility_layers(
    m: folium.Map, fac: gpd.GeoDataFrame, lang: str, t: Mapping[str, str]
) -> dict[str, folium.FeatureGroup]:
    """One layer per component (all eight, in order): its facilities. Returns them by key."""
    groups: dict[str, folium.FeatureGroup] = {}
    labels = {c.key: c.label(lang) for c in COMPONENTS}
    geoms = _display(fac.geometry, tol_m=1.0)
    ok = _usable(geoms)
    gtype = shapely.get_type_id(geoms)
    # points stay points; other odd types (MultiPoint, collections) become one point
    is_point = gtype == 0
    odd = ok & ~np.isin(gtype, (0, 1, 3, 5, 6))
    if odd.any():
        geoms = geoms.copy()
        geoms[odd] = shapely.point_on_surface(geoms[odd])
        is_point = is_point | odd
    # only the columns a popup reads (a facility frame has a column per OSM tag key: ~470)
    rows = fac[[k for k in _POPUP_COLUMNS if k in fac.columns]].to_dict("records")
    comp = fac["component"].to_numpy(dtype=object)
    rules = load_rules()
    kinds = {
        cat: lab
        for cat in fac["category"].dropna().astype(str).unique()
        if (lab := rules.category_label(cat, lang=lang)) is not None
    }
    for c in COMPONENTS:
        color = _color(c)
        fg = folium.FeatureGroup(
            name=_swatch(color) + _esc(c.label(lang)), overlay=True, control=True, show=True
        )
        sel = ok & (comp == c.key)
        pts = np.flatnonzero(sel & is_point)
        areas = np.flatnonzero(sel & ~is_point)
        cls = f"ig-fac ig-fac-{c.key}"
        if len(areas):
            feats = [_feature(geoms[i], _facility_props(rows[i], labels, t, kinds)) for i in areas]
            style = {
                "color": color,
                "weight": 2,
                "opacity": 0.9,
                "fillColor": color,
                "fillOpacity": 0.25,
                "className": cls,
            }
            _GeoJson(
                _collection(feats),
                control=False,
                on_each_feature=_ON_EACH_FACILITY,
                style=JsCode(f"function(f) {{ return {json.dumps(style)}; }}"),
            ).add_to(fg)
        if len(pts):
            cluster = MarkerCluster(
                control=False,
                icon_create_function=_cluster_icon(c.key, color),
                options={
                    "maxClusterRadius": 40,
                    "disableClusteringAtZoom": 16,
                    "showCoverageOnHover": False,
                    "spiderfyOnMaxZoom": False,
                },
            ).add_to(fg)
            marker = {
                "radius": 6,
                "color": "#333333",
                "weight": 1,
                "fillColor": color,
                "fillOpacity": 0.9,
                "className": cls,
            }
            feats = [_feature(geoms[i], _facility_props(rows[i], labels, t, kinds)) for i in pts]
            _GeoJson(
                _collection(feats),
                control=False,
                on_each_feature=_ON_EACH_FACILITY,
                point_to_layer=JsCode(
                    "function(f, latlng) { return L.circleMarker(latlng, "
                    + json.dumps(marker)
                    + "); }"
                ),
            ).add_to(cluster)
        fg.add_to(m)
        groups[c.key] = fg
    return groups


def _check_component_values(values: pd.Series, name: str) -> None:
    keys = {c.key for c in COMPONENTS}
    if values.isna().any():
        raise InputError(
            f"{name} has rows without a component; drop them first "
            f"(e.g. {name}.dropna(subset=['component']))."
        )
    unknown = sorted(set(values.astype(str)) - keys)
    if unknown:
        raise UnknownComponentError(
            f"{name} names unknown component(s) {', '.join(map(repr, unknown))}; a coverage map "
            f"draws the eight components: {', '.join(c.key for c in COMPONENTS)}."
        )


# ------------------------------------------------------------------------------------------
# catchments


class _CatchmentCodec(MacroElement):
    """The page's decoder of catchment rings and their composition (``static/catchments.js``)."""

    _template = Template(static("catchments.js"))

    def __init__(self) -> None:
        super().__init__()
        self._name = "InfraGeoCatchmentCodec"
        self.scale = _SCALE


class _CatchmentRing(Layer):
    """One catchment layer's own ring, drawn together with the rings of shorter walks.

    ``data`` is the ring as GeoJSON (for Python readers); the page holds it as encoded
    text (:func:`_pack_polygons`) and the layer draws ``lower`` rings plus its own as one
    polygon, so switching on "15 min" shows the whole 15-minute area.
    """

    _template = _plain_scripts(Template(
        "{% macro script(this, kwargs) %}\n"
        "var {{ this.get_name() }}_ring = {{ this.packed_js }};\n"
        "var {{ this.get_name() }} = igCatchment(["
        "{% for el in this.lower %}{{ el.get_name() }}_ring, {% endfor %}"
        "{{ this.get_name() }}_ring], {{ this.options.style }});\n"
        "{% endmacro %}"
    ))  # fmt: skip

    def __init__(
        self,
        ring: Any,
        lower: list[_CatchmentRing],
        style: dict[str, Any],
        packed: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(overlay=True, control=False, show=True)
        self._name = "InfraGeoCatchment"
        self.ring = ring if ring is not None and not ring.is_empty else None
        # packed: _pack_polygons(ring) when already made (on the ring threads)
        self.packed = _pack_polygons(self.ring) if packed is None else packed
        # the page's script is parsed as a template once more (branca): no "{" may stay
        # literal in the text, whose encoded characters run from "?" to "~"
        text = json.dumps(self.packed["c"]).replace("{", "\\u007b")
        counts = [json.dumps(self.packed[k], separators=(",", ":")) for k in ("r", "p")]
        self.packed_js = f'{{"c":{text},"r":{counts[0]},"p":{counts[1]}}}'
        self.lower = list(lower)
        self.options = {"style": json.dumps(style)}

    @property
    def data(self) -> dict[str, Any]:
        """The ring as a GeoJSON FeatureCollection (one feature, or none when empty)."""
        return _collection([_feature(self.ring, {})] if self.ring is not None else [])


#: the grid the catchments are rounded to before the rings are cut (metres; see _nested_rings)
_CUT_GRID_M = 1e-6


def _nested_rings(parts: list[Any], crs: Any) -> list[Any]:
    """Per ascending threshold the ring it adds, in EPSG:4326 at display scale (None: empty).

    The rings are cut from the catchments as computed (each threshold's area minus the one
    before: catchments nest exactly, so the rings partition the largest area) and then
    simplified together as one coverage (``shapely.coverage_simplify``, tolerance
    ``_SIMPLIFY_CATCHMENT_M`` in the metric CRS): the edge between two rings is simplified
    once, so neighbouring rings still meet exactly, with no gap and no overlap; rounding to
    ``_DECIMALS`` keeps shared vertices shared. The union of the rings up to a threshold is
    its catchment at display scale.

    Before the cut the areas are rounded to a micrometre (``_CUT_GRID_M``): the nodes where a
    level's boundary leaves the previous one carry floating-point noise of ~1e-10 m, on
    which GEOS's overlay falls back to its slower snapping noder; on the grid the same cut
    takes a third less time (Malta: 2.4 -> 1.6 CPU-s), and the rings move by under a
    micrometre (0.14 m2 at most on a Malta ring), far below the display tolerance. When GEOS
    refuses an area as invalid, every area of the component is repaired with ``make_valid``
    and the rings are cut again (as they were when every area was repaired up front); a
    single threshold, which no cut checks, is always repaired. The areas ``ig.catchments``
    makes are valid by construction, so no ``make_valid`` (as costly as the validity check
    itself: 0.45 CPU-s on Malta's 24 catchments) runs up front.
    """
    metric = _is_metric(crs)
    tol = _SIMPLIFY_CATCHMENT_M if metric else _SIMPLIFY_DEG * _SIMPLIFY_CATCHMENT_M / _SIMPLIFY_M
    grid = _CUT_GRID_M if metric else _SIMPLIFY_DEG * _CUT_GRID_M / _SIMPLIFY_M
    work_crs = crs if metric else "EPSG:4326"
    areas = np.full(len(parts), None, dtype=object)
    for i, part in enumerate(parts):
        if part is not None and not part.is_empty:
            areas[i] = part if metric else gpd.GeoSeries([part], crs=crs).to_crs(work_crs).iloc[0]
    areas = shapely.transform(areas, lambda xy: np.round(xy / grid) * grid)
    if (~shapely.is_missing(areas)).sum() == 1:
        areas = shapely.make_valid(areas)
    try:
        rings = _cut_rings(areas)
    except shapely.errors.GEOSException:  # an invalid input area: all repaired, then cut
        rings = _cut_rings(shapely.make_valid(areas))
    rings = _without_slivers(rings, min_area=_SLIVER_M2 * (grid / _CUT_GRID_M) ** 2)
    ok = ~shapely.is_missing(rings)
    if ok.any():
        try:
            rings[ok] = shapely.coverage_simplify(rings[ok], tol)
        except shapely.errors.GEOSException:  # not a coverage (or invalid): ring by ring
            fixed = shapely.make_valid(rings[ok])
            rings[ok] = shapely.simplify(fixed, tol, preserve_topology=True)
    out = gpd.GeoSeries(rings, crs=work_crs).to_crs("EPSG:4326").to_numpy()
    out = shapely.transform(out, lambda xy: np.round(xy, _DECIMALS))
    return [None if r is None or r.is_empty else r for r in out]


#: polygons of a cut ring smaller than this (m2) are dropped: slivers of micrometres where two
#: levels' boundaries coincide up to floating-point noise
_SLIVER_M2 = 1e-3


def _without_slivers(rings: np.ndarray, *, min_area: float) -> np.ndarray:
    """Return ``rings`` without their polygons of less than ``min_area`` (None when none is left)."""
    out = rings.copy()
    ok = np.flatnonzero(~shapely.is_missing(rings))
    if not len(ok):
        return out
    parts, which = shapely.get_parts(rings[ok], return_index=True)
    small = shapely.area(parts) < min_area
    if not small.any():
        return out
    hit = np.unique(which[small])  # only the rings that lose a polygon are rebuilt
    out[ok[hit]] = None
    rest = np.isin(which, hit) & ~small
    if rest.any():
        left, at = np.unique(which[rest], return_inverse=True)
        out[ok[left]] = shapely.multipolygons(parts[rest], indices=at)
    return out


def _cut_rings(areas: np.ndarray) -> np.ndarray:
    """Return each area minus the one before it (None where empty); areas nest, ascending."""
    rings = np.full(len(areas), None, dtype=object)
    prev = None
    for i, g in enumerate(areas):
        if g is None or g.is_empty:
            continue
        ring = g if prev is None else shapely.difference(g, prev)
        prev = g  # catchments nest (as ig.catchments makes them): the previous area is inside
        rings[i] = ring if not ring.is_empty else None
    return rings


_Rings = tuple[list[Any], list[Any], list[dict[str, Any]]]


def _component_rings(groups: list[np.ndarray], crs: Any) -> _Rings:
    """Return one component's areas, rings and packed rings, per ascending threshold.

    ``groups``: per threshold the component's catchment geometries (several when made
    ``by="facility"``: repaired and drawn as their union); the rings are
    :func:`_nested_rings`'s, packed for the page with :func:`_pack_polygons`.
    """
    unions: list[Any] = []
    for arr in groups:
        if len(arr) > 1:
            unions.append(shapely.union_all(shapely.make_valid(arr)))
        else:
            unions.append(arr[0] if len(arr) else None)
    rings = _nested_rings(unions, crs)
    return unions, rings, [_pack_polygons(r) for r in rings]


#: threads cutting the components' rings (shapely releases the GIL) while the main thread
#: draws the facilities: one. Each cut holds ~100 MB on Malta while it runs; with two threads
#: Malta's whole job peaked at 1,002 MiB against 949 MiB with one (coverage_map 1.4 vs 2.0 s,
#: bench_malta at integration, stop 21): the memory target (< 1 GB) wins
_RING_THREADS = 1

#: threads cutting the rings ahead (:func:`cut_rings_ahead`, while ``analyse`` computes the gaps
#: and ``save`` writes the other files): two. With one, ``save`` reached the map ~0.5-2 s before
#: the cuts were done and waited; the peak, now ~750 MiB after this session's memory work, grows
#: by ~50-80 MiB with the second (Malta, stop 22, branch map7)
_AHEAD_THREADS = 2


def _ring_groups(catch: gpd.GeoDataFrame) -> tuple[list[float], dict[str, list[np.ndarray]]]:
    """Return the thresholds and, per component, the catchment geometries of each threshold."""
    try:
        minutes = pd.to_numeric(catch["minutes"], errors="raise").astype(float)
    except (TypeError, ValueError):
        raise InputError("catchments['minutes'] must be numbers (walking minutes).") from None
    if minutes.isna().any() or (minutes <= 0).any() or not np.isfinite(minutes).all():
        raise InputError("catchments['minutes'] must be positive numbers of minutes.")
    steps = sorted(set(minutes))
    geoms = catch.geometry.to_numpy()
    comp = catch["component"].astype(str).to_numpy(dtype=object)
    at = minutes.to_numpy()
    return steps, {
        c.key: [geoms[(comp == c.key) & (at == mins)] for mins in steps] for c in COMPONENTS
    }


#: rings being cut ahead (:func:`cut_rings_ahead`): (crs, groups, futures) per catchment frame,
#: each dropped when a map takes it or its frame is garbage-collected
_AHEAD: list[tuple[Any, dict[str, list[np.ndarray]], dict[str, Future[_Rings]]]] = []
_AHEAD_LOCK = threading.Lock()


def cut_rings_ahead(catch: gpd.GeoDataFrame) -> None:
    """Start cutting the map's catchment rings of ``catch`` in background threads.

    :func:`infra_geo.analyse` calls this once its catchments exist, so GEOS cuts the rings
    (releasing the GIL) while the gaps are computed and the other files written; a later
    :func:`coverage_map` of the same catchment geometries (the same objects: shapely
    geometries are immutable) takes the rings instead of cutting them again. The rings are
    :func:`_component_rings` of those geometries either way, so the map's bytes do not
    depend on whether they were cut ahead.
    """
    try:
        _, groups = _ring_groups(catch)
    except InputError:
        return  # the map reports it
    crs = catch.crs
    futures: dict[str, Future[_Rings]] = {key: Future() for key in groups}
    # the components with the most vertices first: two threads then finish close together
    size = {k: sum(int(shapely.get_num_coordinates(a).sum()) for a in g) for k, g in groups.items()}
    todo = iter(sorted(groups, key=lambda k: -size[k]))
    todo_lock = threading.Lock()
    running = [_AHEAD_THREADS]

    def run() -> None:
        while True:
            with todo_lock:
                key = next(todo, None)
                if key is None:
                    running[0] -= 1
                    last = running[0] == 0
                    break
            fut = futures[key]
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(_component_rings(groups[key], crs))
                except BaseException as exc:  # handed to the map, which raises it
                    fut.set_exception(exc)
        if last:  # the threads' arenas (one thread: ~115 MiB freed by the cuts on Malta)
            release_free_memory()

    entry = (crs, groups, futures)
    with _AHEAD_LOCK:
        _AHEAD.append(entry)
    weakref.finalize(catch, _forget_ahead, entry)
    for _ in range(_AHEAD_THREADS):
        threading.Thread(target=run, name="infra_geo-rings-ahead", daemon=True).start()


def _forget_ahead(entry: Any) -> None:
    """Drop ``entry`` from the rings cut ahead (if a map has not taken it already)."""
    with _AHEAD_LOCK:
        if any(e is entry for e in _AHEAD):
            _AHEAD[:] = [e for e in _AHEAD if e is not entry]
            for fut in entry[2].values():
                fut.cancel()


def _take_ahead(crs: Any, groups: dict[str, list[np.ndarray]]) -> dict[str, Future[_Rings]] | None:
    """Return the futures of rings cut ahead from exactly these geometries, or None."""

    def same(a: dict[str, list[np.ndarray]]) -> bool:
        return a.keys() == groups.keys() and all(
            len(a[k]) == len(groups[k])
            and all(
                len(u) == len(v) and all(map(operator.is_, u, v))
                for u, v in zip(a[k], groups[k], strict=True)
            )
            for k in groups
        )

    with _AHEAD_LOCK:
        for entry in _AHEAD:
            if entry[0] == crs and same(entry[1]):
                _AHEAD[:] = [e for e in _AHEAD if e is not entry]
                return entry[2]
    return None


class _RingJobs:
    """The catchment rings of every component, cut on a small thread pool.

    Made (and the minutes checked) before the facility layers are drawn, so that GEOS cuts
    the rings while Python writes the facilities; :meth:`result` waits for one component.
    Rings already being cut ahead from the same geometries (:func:`cut_rings_ahead`) are
    taken instead. The rings are a function of the catchment geometries alone, so a copied
    or pickled catchment frame gives the same rings, byte for byte.
    """

    def __init__(self, catch: gpd.GeoDataFrame, pool: Executor) -> None:
        self.catch = catch
        self.steps, groups = _ring_groups(catch)
        self.jobs: dict[str, Future[_Rings]] = _take_ahead(catch.crs, groups) or {
            key: pool.submit(_component_rings, group, catch.crs) for key, group in groups.items()
        }

    def result(self, key: str) -> _Rings:
        """Return the areas, rings and packed rings of component ``key`` (waiting for them)."""
        return self.jobs[key].result()


def _catchment_layers(
    m: folium.Map, rings: _RingJobs, lang: str, t: Mapping[str, str], pane: str
) -> dict[str, dict[str, folium.FeatureGroup]]:
    """One hidden layer per component and threshold; returns them by key and minutes text."""
    steps = rings.steps
    _CatchmentCodec().add_to(m)
    groups: dict[str, dict[str, folium.FeatureGroup]] = {}
    for c in COMPONENTS:
        unions, ring_list, packed = rings.result(c.key)
        color = _color(c)
        lower: list[_CatchmentRing] = []
        for k, (mins, ring) in enumerate(zip(steps, ring_list, strict=True)):
            if unions[k] is None or unions[k].is_empty:
                continue
            mtxt = f"{int(mins)}" if float(mins).is_integer() else f"{mins:g}"
            fill = 0.35 - (0.25 * k / (len(steps) - 1) if len(steps) > 1 else 0.0)
            style = {
                # a light colour (care's lavender) gets a darker, wider edge: still visible
                "color": _edge(color),
                "weight": 2 if _edge(color) != color else 1,
                "opacity": 0.8,
                "fillColor": color,
                "fillOpacity": round(fill if _edge(color) == color else fill + 0.15, 3),
                "fillRule": "nonzero",
                "className": f"ig-catch ig-catch-{c.key}",
                "pane": pane,
                "interactive": False,
            }
            name = _swatch(color, area=True) + _esc(
                t["catchment"].format(label=c.label(lang), minutes=mtxt)
            )
            fg = folium.FeatureGroup(name=name, overlay=True, control=True, show=False)
            layer = _CatchmentRing(ring, lower, style, packed[k])
            layer.add_to(fg)
            fg.add_to(m)
            lower.append(layer)
            groups.setdefault(c.key, {})[mtxt] = fg
    return groups


def _edge(hex_color: str) -> str:
    """Return the outline colour of an area in ``hex_color``.

    The colour itself, or for a light colour (on which black text reads better) the colour
    at 55% brightness.
    """
    if _text_color(hex_color) != "#000000":
        return hex_color
    h = hex_color.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    r, g, b = (round(int(h[i : i + 2], 16) * 0.55) for i in (0, 2, 4))
    return f"#{r:02x}{g:02x}{b:02x}"


def _extent_layer(
    m: folium.Map, extent: Any, note: str | None, t: Mapping[str, str]
) -> folium.FeatureGroup | None:
    """Draw the data extent as a dashed outline (no fill: the map under it stays readable)."""
    g = _display(gpd.GeoSeries([extent], crs="EPSG:4326"), _SIMPLIFY_CATCHMENT_M)[0]
    if g is None or g.is_empty:
        return None
    style = {
        "color": "#333333",
        "weight": 2,
        "opacity": 0.9,
        "dashArray": "6 4",
        "fill": False,
        "className": "ig-extent",
    }
    tip = _esc(t["extent_tip"].format(how=note if note else "–"))
    fg = folium.FeatureGroup(name=_esc(t["extent_layer"]), overlay=True, control=True, show=True)
    folium.GeoJson(
        _collection([_feature(g, {"tip": tip})]),
        control=False,
        style=JsCode(f"function(f) {{ return {json.dumps(style)}; }}"),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fg)
    fg.add_to(m)
    return fg
