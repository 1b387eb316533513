"""Interactive coverage maps (folium / Leaflet) for planners.

:func:`coverage_map` draws the facilities of the eight components, optionally their walking
catchments and a neighbourhood choropleth of the gap analysis, on an OpenStreetMap
background, in Dutch or English. Save the result with ``m.save("map.html")``; the file
opens in any browser.

Every piece of OpenStreetMap or user text that ends up in the page (names, tags, layer
names, neighbourhood names) is HTML-escaped before it is written: a facility named
``<img src=x onerror=alert(1)>`` shows as that text, it never runs.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.plugins import MarkerCluster
from folium.template import Template
from folium.utilities import JsCode
from shapely.geometry import mapping

from .components import COMPONENTS, Component
from .errors import CRSError, EmptyDataError, InputError, UnknownComponentError

__all__ = ["MAP_LANGUAGES", "coverage_map"]

#: Languages :func:`coverage_map` speaks.
MAP_LANGUAGES = ("nl", "en")

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_OSM_TYPES = ("node", "way", "relation")

# display resolution: ~2-3 m is invisible at street zoom and keeps a municipality small
_SIMPLIFY_M = 2.5
_SIMPLIFY_CATCHMENT_M = 5.0  # catchments are the bulk of a map: street buffers, 3 per component
_SIMPLIFY_DEG = 2e-5
_DECIMALS = 6

# sequential OrRd ramps, worst (dark) to best (light): gaps stand out
_RAMP5 = ("#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9")
_RAMP8 = ("#7f0000", "#b30000", "#d7301f", "#ef6548", "#fc8d59", "#fdbb84", "#fdd49e", "#fef0d9")
_NO_DATA = "#cccccc"
_HEX = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")

_FACILITY_COLUMNS = ("component", "components", "category", "name", "osm_type", "osm_id")
_CATCHMENT_COLUMNS = ("component", "minutes")
_GAP_COLUMNS = ("unit_id", "unit_name", "residents", "partial")

_TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Sociale infrastructuur op loopafstand",
        "unnamed": "(zonder naam)",
        "category": "Categorie",
        "components": "Onderdeel van",
        "address": "Adres",
        "osm_link": "Bekijk op OpenStreetMap",
        "howto": "Hoe lees je deze kaart?",
        "note_facilities": (
            "Elke kleur is een van de acht onderdelen van de sociale infrastructuur; zet ze "
            "aan en uit in de lagenlijst rechtsboven. Punten zijn voorzieningen (een bolletje "
            "met een getal bundelt er meerdere: zoom in), vlakken zijn terreinen en gebouwen. "
            "Klik op een voorziening voor naam, adres en de link naar OpenStreetMap."
        ),
        "note_catchments": (
            "Loopgebieden (standaard uit; zet ze aan in de lagenlijst) tonen waar je binnen "
            "zoveel minuten lopen bij een voorziening bent; lichter = langer lopen."
        ),
        "note_gaps": (
            "Buurten zijn gekleurd naar de maat die je in de legenda kiest: donkerder = "
            "slechter bediend. Gearceerd: buurt ligt maar deels binnen de data (randeffect), "
            "de cijfers zijn onvolledig. Beweeg over een buurt voor de cijfers."
        ),
        "data": "Kaart en gegevens",
        "catchment": "{label} – {minutes} min",
        "catch_tip": "{label}: binnen {minutes} min lopen",
        "gaps_layer": "Buurten (kies de maat in de legenda)",
        "measure": "Maat",
        "residents": "Inwoners",
        "partial": "Buurt ligt maar deels binnen de data (randeffect): cijfers onvolledig",
        "partial_legend": "deels buiten de data (randeffect)",
        "no_data": "geen gegevens",
        "share": "{label}: aandeel inwoners binnen {m} min",
        "all8": "Alle 8 onderdelen: aandeel inwoners binnen {m} min",
        "completeness": "Onderdelen binnen {m} min lopen: componenten (0–8)",
        "completeness_short": "Onderdelen binnen {m} min",
        "rank": "Rang binnen {m} min (1 = slechtst bediend)",
        "reached": "{label}: inwoners binnen {m} min",
        "unreached": "{label}: inwoners met een looppad, maar niet binnen {m} min",
        "mean": "{label}: gemiddelde loopafstand (m)",
        "p90": "{label}: loopafstand waarbinnen 90% van de inwoners woont (m)",
        "mean_min": "{label}: gemiddelde looptijd (min)",
        "p90_min": "{label}: looptijd waarbinnen 90% van de inwoners woont (min)",
        "per_1000": "{label}: voorzieningen per 1.000 inwoners",
        "unit_share": "aandeel inwoners binnen {m} min",
    },
    "en": {
        "title": "Social infrastructure within walking distance",
        "unnamed": "(unnamed)",
        "category": "Category",
        "components": "Components",
        "address": "Address",
        "osm_link": "View on OpenStreetMap",
        "howto": "How to read this map",
        "note_facilities": (
            "Each colour is one of the eight components of social infrastructure; switch "
            "them on and off in the layer list at the top right. Dots are facilities (a "
            "circle with a number bundles several: zoom in), shapes are grounds and "
            "buildings. Click a facility for its name, address and OpenStreetMap link."
        ),
        "note_catchments": (
            "Walking areas (off by default; switch them on in the layer list) show where a "
            "facility is within so many minutes' walk; lighter = longer walk."
        ),
        "note_gaps": (
            "Neighbourhoods are coloured by the measure you pick in the legend: darker = "
            "worse served. Hatched: the neighbourhood lies only partly inside the data (edge "
            "effect), its figures are incomplete. Hover over a neighbourhood for its figures."
        ),
        "data": "Map and data",
        "catchment": "{label} – {minutes} min",
        "catch_tip": "{label}: within {minutes} min walk",
        "gaps_layer": "Neighbourhoods (pick the measure in the legend)",
        "measure": "Measure",
        "residents": "Residents",
        "partial": "Neighbourhood lies only partly inside the data (edge effect): "
        "figures incomplete",
        "partial_legend": "partly outside the data (edge effect)",
        "no_data": "no data",
        "share": "{label}: share of residents within {m} min",
        "all8": "All 8 components: share of residents within {m} min",
        "completeness": "Components within {m} min walk: components (0–8)",
        "completeness_short": "Components within {m} min",
        "rank": "Rank within {m} min (1 = worst served)",
        "reached": "{label}: residents within {m} min",
        "unreached": "{label}: residents with a path, but not within {m} min",
        "mean": "{label}: mean walking distance (m)",
        "p90": "{label}: walking distance within which 90% of residents live (m)",
        "mean_min": "{label}: mean walking time (min)",
        "p90_min": "{label}: walking time within which 90% of residents live (min)",
        "per_1000": "{label}: facilities per 1,000 residents",
        "unit_share": "share of residents within {m} min",
    },
}

_CSS = """
<style>
.ig-title{position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:1000;
  background:rgba(255,255,255,.92);padding:4px 14px;border-radius:4px;font:600 16px/1.4
  system-ui,sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:60%;text-align:center}
.ig-note{background:rgba(255,255,255,.92);padding:6px 10px;border-radius:4px;max-width:340px;
  font:12px/1.4 system-ui,sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.ig-note summary{font-weight:600;cursor:pointer}
.ig-note p{margin:4px 0}
.ig-legend{background:rgba(255,255,255,.95);padding:6px 10px;border-radius:4px;
  font:12px/1.4 system-ui,sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:280px}
.ig-legend select{max-width:260px;font-size:12px;margin:2px 0 6px}
.ig-legend .ig-legend-title{font-weight:600;margin-bottom:3px}
.ig-legend i{display:inline-block;width:18px;height:12px;margin-right:6px;vertical-align:middle;
  border:1px solid #999}
.ig-swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin:0 4px 0 2px;
  border:1px solid #555;vertical-align:middle}
.ig-swatch-area{border-radius:1px}
.ig-cluster{background:rgba(255,255,255,.55)}
.ig-cluster div{font-weight:600}
.ig-popup{font:13px/1.4 system-ui,sans-serif}
</style>
"""

_HATCH_SVG = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="ig-hatch" patternUnits="userSpaceOnUse" width="8" height="8" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#e3e3e3"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#8a8a8a" stroke-width="3"/></pattern>'
    "</defs></svg>"
)


def _esc(value: Any) -> str:
    """HTML-escaped text of a value (quotes too: safe inside attributes)."""
    return html.escape(str(value), quote=True)


def _present(value: Any) -> bool:
    """A tag value that is set (not None, NaN, NA or an empty string)."""
    if value is None:
        return False
    try:
        if pd.isna(value):
            return False
    except (TypeError, ValueError):  # array-likes
        return True
    return str(value).strip() != ""


def _color(c: Component) -> str:
    return c.color if _HEX.match(c.color) else "#777777"


def _text_color(hex_color: str) -> str:
    """Black or white, whichever reads better on ``hex_color``."""
    h = hex_color.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def _swatch(color: str, area: bool = False) -> str:
    cls = "ig-swatch ig-swatch-area" if area else "ig-swatch"
    return f'<span class="{cls}" style="background:{color}"></span>'


# ------------------------------------------------------------------------------------------
# geometry


def _check_frame(gdf: Any, name: str, columns: Sequence[str]) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{name} must be a GeoDataFrame, not {type(gdf).__name__}.")
    geom_col = gdf._geometry_column_name
    if geom_col is None or geom_col not in gdf.columns:
        raise InputError(f"{name} has no active geometry column: set one with .set_geometry().")
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputError(
            f"{name} lacks the column(s) {', '.join(missing)}; it needs {', '.join(columns)} "
            "and a geometry."
        )
    if gdf.crs is None:
        raise CRSError(
            f"{name} has no CRS: set it (e.g. .set_crs('EPSG:28992')) so infra_geo can place it."
        )
    return gdf


def _is_metric(crs: Any) -> bool:
    try:
        return bool(crs.is_projected) and crs.axis_info[0].unit_name in ("metre", "meter")
    except (AttributeError, IndexError):
        return False


def _display(geoms: gpd.GeoSeries, tol_m: float = _SIMPLIFY_M) -> np.ndarray:
    """Geometries simplified to display scale, in EPSG:4326, rounded to 6 decimals."""
    if _is_metric(geoms.crs):
        out = geoms.simplify(tol_m, preserve_topology=True).to_crs("EPSG:4326")
    else:
        out = geoms.to_crs("EPSG:4326")
        out = out.simplify(_SIMPLIFY_DEG * tol_m / _SIMPLIFY_M, preserve_topology=True)
    arr = out.to_numpy()
    return shapely.transform(arr, lambda xy: np.round(xy, _DECIMALS))


def _usable(arr: np.ndarray) -> np.ndarray:
    return ~(pd.isna(arr) | shapely.is_empty(arr))


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": mapping(geom), "properties": props}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


# ------------------------------------------------------------------------------------------
# facilities


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


def _facility_props(
    row: Mapping[str, Any], labels: Mapping[str, str], t: Mapping[str, str]
) -> dict[str, str]:
    """Popup and tooltip HTML of one facility; every value from the data is escaped."""
    name = str(row["name"]).strip() if _present(row.get("name")) else ""
    category = str(row["category"]) if _present(row.get("category")) else ""
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


_ON_EACH_FACILITY = JsCode(
    "function(f, layer) {"
    " layer.bindPopup(f.properties.popup, {maxWidth: 320});"
    " layer.bindTooltip(f.properties.tip, {sticky: true}); }"
)


def _cluster_icon(key: str, color: str) -> str:
    inner = json.dumps(f'<div style="background-color:{color};color:{_text_color(color)}"><span>')
    cls = json.dumps(f"marker-cluster ig-cluster ig-cluster-{key}")
    return (
        "function(cluster) { var n = cluster.getChildCount();"
        " var s = n < 10 ? 34 : (n < 100 ? 40 : 46);"
        f" return L.divIcon({{html: {inner} + n + '</span></div>', className: {cls},"
        " iconSize: new L.Point(s, s)}); }"
    )


def _facility_layers(m: folium.Map, fac: gpd.GeoDataFrame, lang: str, t: Mapping[str, str]) -> None:
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
    rows = fac.drop(columns=fac.geometry.name).to_dict("records")
    comp = fac["component"].to_numpy(dtype=object)
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
            feats = [_feature(geoms[i], _facility_props(rows[i], labels, t)) for i in areas]
            style = {
                "color": color,
                "weight": 2,
                "opacity": 0.9,
                "fillColor": color,
                "fillOpacity": 0.25,
                "className": cls,
            }
            folium.GeoJson(
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
            feats = [_feature(geoms[i], _facility_props(rows[i], labels, t)) for i in pts]
            folium.GeoJson(
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


def _catchment_layers(
    m: folium.Map, catch: gpd.GeoDataFrame, lang: str, t: Mapping[str, str], pane: str
) -> None:
    try:
        minutes = pd.to_numeric(catch["minutes"], errors="raise").astype(float)
    except (TypeError, ValueError):
        raise InputError("catchments['minutes'] must be numbers (walking minutes).") from None
    if minutes.isna().any() or (minutes <= 0).any() or not np.isfinite(minutes).all():
        raise InputError("catchments['minutes'] must be positive numbers of minutes.")
    geoms = catch.geometry
    steps = sorted(set(minutes))
    comp = catch["component"].astype(str).to_numpy(dtype=object)
    for c in COMPONENTS:
        color = _color(c)
        for k, mins in enumerate(steps):
            sel = (comp == c.key) & (minutes.to_numpy() == mins)
            if not sel.any():
                continue
            part = geoms[sel]
            # by="facility" gives one area per facility: draw their union once
            arr = shapely.make_valid(part.to_numpy())
            union = shapely.union_all(arr) if len(arr) > 1 else arr[0]
            if union is None or union.is_empty:
                continue
            g = _display(gpd.GeoSeries([union], crs=catch.crs), _SIMPLIFY_CATCHMENT_M)[0]
            if g is None or g.is_empty:
                continue
            mtxt = f"{int(mins)}" if float(mins).is_integer() else f"{mins:g}"
            fill = 0.35 - (0.25 * k / (len(steps) - 1) if len(steps) > 1 else 0.0)
            style = {
                "color": color,
                "weight": 1,
                "opacity": 0.7,
                "fillColor": color,
                "fillOpacity": round(fill, 3),
                "className": f"ig-catch ig-catch-{c.key}",
            }
            name = _swatch(color, area=True) + _esc(
                t["catchment"].format(label=c.label(lang), minutes=mtxt)
            )
            fg = folium.FeatureGroup(name=name, overlay=True, control=True, show=False)
            folium.GeoJson(
                _collection([_feature(g, {})]),
                control=False,
                interactive=False,
                pane=pane,
                style=JsCode(f"function(f) {{ return {json.dumps(style)}; }}"),
            ).add_to(fg)
            fg.add_to(m)


# ------------------------------------------------------------------------------------------
# gaps


_MEASURE_PATTERNS = (
    ("completeness", re.compile(r"^completeness_(\d+)$")),
    ("all8", re.compile(r"^all8_share_(\d+)$")),
    ("rank", re.compile(r"^rank_(\d+)$")),
    ("share", re.compile(r"^(.+)_share_(\d+)$")),
    ("unreached", re.compile(r"^(.+)_unreached_(\d+)$")),
    ("reached", re.compile(r"^(.+)_reached_(\d+)$")),
    ("mean", re.compile(r"^(.+)_mean_m$")),
    ("p90", re.compile(r"^(.+)_p90_m$")),
    ("mean_min", re.compile(r"^(.+)_mean_min$")),
    ("p90_min", re.compile(r"^(.+)_p90_min$")),
    ("per_1000", re.compile(r"^(.+)_per_1000$")),
)


def _parse_measure(col: str) -> tuple[str, str | None, int | None]:
    """(kind, component key or None, minutes or None) of a gap-table measure column.

    Raises InputError for a name that is no measure and UnknownComponentError for a
    measure of an unknown component.
    """
    for kind, pat in _MEASURE_PATTERNS:
        mt = pat.match(col)
        if not mt:
            continue
        if kind in ("completeness", "all8", "rank"):
            return kind, None, int(mt.group(1))
        key = mt.group(1)
        if key not in {c.key for c in COMPONENTS}:
            raise UnknownComponentError(
                f"measure {col!r} names the unknown component {key!r}; use one of: "
                f"{', '.join(c.key for c in COMPONENTS)}."
            )
        mins = int(mt.group(2)) if kind in ("share", "unreached", "reached") else None
        return kind, key, mins
    raise InputError(
        f"measure {col!r} is not a gap-analysis measure; use e.g. 'completeness_10', "
        "'all8_share_10', 'care_share_10', 'care_unreached_10', 'care_mean_m', "
        "'care_mean_min', 'care_per_1000' or 'rank_10'."
    )


def _nice_breaks(values: np.ndarray, n: int = 5, start: float = 0.0) -> list[float]:
    finite = values[np.isfinite(values)]
    vmax = float(finite.max()) if len(finite) else 1.0
    span = max(vmax - start, 1e-9)
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(f * mag for f in (1, 2, 2.5, 5, 10) if f * mag >= raw)
    return [start + step * i for i in range(n + 1)]


def _fmt_num(x: float, lang: str) -> str:
    s = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
    if lang == "en":
        return s
    return s.replace(",", "@").replace(".", ",").replace("@", ".")


def _measure_meta(col: str, values: np.ndarray, lang: str, t: Mapping[str, str]) -> dict[str, Any]:
    kind, key, mins = _parse_measure(col)
    label = COMPONENTS[[c.key for c in COMPONENTS].index(key)].label(lang) if key else ""
    if kind in ("share", "all8"):
        breaks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        colors = list(_RAMP5)
        classes = [f"{int(a * 100)}–{int(b * 100)}%" for a, b in itertools.pairwise(breaks)]
        text = t["share" if kind == "share" else "all8"].format(label=label, m=mins)
        fmt = "pct"
    elif kind == "completeness":
        breaks = [float(i) for i in range(9)]
        colors = list(_RAMP8)
        classes = [f"{int(a)}–{int(b)}" for a, b in itertools.pairwise(breaks)]
        text = t["completeness"].format(m=mins)
        fmt = "dec"
    else:
        start = 0.5 if kind == "rank" else 0.0
        breaks = _nice_breaks(values, 5, start=start)
        # rank: 1 = worst (dark); distances, times, unreached residents: more = worse (dark)
        higher_is_better = kind in ("reached", "rank", "per_1000")
        colors = list(_RAMP5) if higher_is_better else list(reversed(_RAMP5))
        if kind == "rank":
            classes = [f"{math.ceil(a)}–{math.floor(b)}" for a, b in itertools.pairwise(breaks)]
        else:
            classes = [
                f"{_fmt_num(a, lang)}–{_fmt_num(b, lang)}" for a, b in itertools.pairwise(breaks)
            ]
        text = t[kind].format(label=label, m=mins)
        fmt = {"mean": "m", "p90": "m", "mean_min": "min", "p90_min": "min", "per_1000": "dec"}
        fmt = fmt.get(kind, "int")
    return {
        "label": _esc(text),
        "breaks": breaks,
        "colors": colors,
        "classes": [_esc(c) for c in classes],
        "fmt": fmt,
        "t": mins,
    }


def _round_value(v: Any, fmt: str) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return round(f, 4) if fmt in ("pct", "dec", "min") else round(f, 1)


class _GapsLayer(Layer):
    """A neighbourhood choropleth whose measure the reader picks in the legend."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function() {
    var cfg = {{ this.config|tojson }};
    var map = {{ this._parent.get_name() }};
    var state = {m: cfg.initial};
    function colour(v, meta) {
        if (v === null || v === undefined) { return cfg.noData; }
        var b = meta.breaks, c = meta.colors;
        for (var i = 0; i < c.length; i++) { if (v <= b[i + 1]) { return c[i]; } }
        return c[c.length - 1];
    }
    function fmt(v, meta) {
        if (v === null || v === undefined) { return cfg.text.noData; }
        if (meta.fmt === "pct") { return Math.round(v * 100) + "%"; }
        if (meta.fmt === "dec") {
            return v.toLocaleString(cfg.locale, {maximumFractionDigits: 1});
        }
        if (meta.fmt === "m") { return Math.round(v).toLocaleString(cfg.locale) + " m"; }
        if (meta.fmt === "min") {
            return v.toLocaleString(cfg.locale, {maximumFractionDigits: 1}) + " min";
        }
        return Math.round(v).toLocaleString(cfg.locale);
    }
    function style(f) {
        var p = f.properties;
        if (p.p) {
            return {color: "#777777", weight: 1, dashArray: "4 3", fillColor: "url(#ig-hatch)",
                    fillOpacity: 0.75, className: "ig-gap ig-gap-partial"};
        }
        return {color: "#555555", weight: 1, fillColor: colour(p.v[state.m], cfg.measures[state.m]),
                fillOpacity: 0.7, className: "ig-gap"};
    }
    function tip(layer) {
        var p = layer.feature.properties, meta = cfg.measures[state.m];
        var h = "<b>" + p.n + "</b><br>" + cfg.text.residents + ": " + fmt(p.r, {fmt: "int"});
        h += "<br>" + meta.label + ": <b>" + fmt(p.v[state.m], meta) + "</b>";
        var t = meta.t !== null ? meta.t : cfg.defaultT;
        var ck = "completeness_" + t;
        if (ck !== state.m && cfg.measures[ck]) {
            h += "<br>" + cfg.measures[ck].short + ": " + fmt(p.v[ck], cfg.measures[ck]);
        }
        var rk = "rank_" + t;
        if (rk !== state.m && cfg.measures[rk] && p.v[rk] !== null && p.v[rk] !== undefined) {
            h += "<br>" + cfg.measures[rk].label + ": " + fmt(p.v[rk], cfg.measures[rk]);
        }
        if (p.p) { h += "<br><i>" + cfg.text.partial + "</i>"; }
        return h;
    }
    var layer = L.geoJson({{ this.data|tojson }}, {
        pane: cfg.pane,
        style: style,
        onEachFeature: function(f, l) { l.bindTooltip(tip, {sticky: true}); }
    });
    var legend = L.control({position: "topleft"});
    var body = null;
    function drawLegend() {
        var meta = cfg.measures[state.m];
        var h = '<div class="ig-legend-title">' + meta.label + "</div>";
        for (var i = meta.colors.length - 1; i >= 0; i--) {
            h += '<div><i style="background:' + meta.colors[i] + '"></i>'
                + meta.classes[i] + "</div>";
        }
        h += '<div><i style="background:' + cfg.noData + '"></i>' + cfg.text.noData + "</div>";
        if (cfg.anyPartial) {
            h += '<div><i style="background:#e3e3e3;background-image:repeating-linear-gradient('
                + '45deg,#8a8a8a 0 3px,transparent 3px 6px)"></i>'
                + cfg.text.partialLegend + "</div>";
        }
        body.innerHTML = h;
    }
    legend.onAdd = function() {
        var div = L.DomUtil.create("div", "ig-legend");
        var lab = L.DomUtil.create("label", "", div);
        lab.innerHTML = cfg.text.measure + "<br>";
        var sel = L.DomUtil.create("select", "ig-measure", lab);
        cfg.choices.forEach(function(k) {
            var o = document.createElement("option");
            o.value = k; o.innerHTML = cfg.measures[k].label;
            if (k === state.m) { o.selected = true; }
            sel.appendChild(o);
        });
        body = L.DomUtil.create("div", "ig-legend-body", div);
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        L.DomEvent.on(sel, "change", function() {
            state.m = sel.value;
            layer.setStyle(style);
            drawLegend();
        });
        drawLegend();
        return div;
    };
    layer.on("add", function() { legend.addTo(map); });
    layer.on("remove", function() { legend.remove(); });
    return layer;
})();
{% endmacro %}
"""
    )

    def __init__(self, data: dict[str, Any], config: dict[str, Any], name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "InfraGeoGaps"
        self.data = data
        self.config = config


def _gap_layer(
    m: folium.Map,
    gaps: gpd.GeoDataFrame,
    measure: str | None,
    lang: str,
    t: Mapping[str, str],
    pane: str,
) -> None:
    cols = [c for c in gaps.columns if isinstance(c, str)]
    thresholds = sorted(
        {int(mt.group(1)) for c in cols if (mt := re.match(r"^completeness_(\d+)$", c))}
        | {int(mt.group(2)) for c in cols if (mt := re.match(r"^(.+)_share_(\d+)$", c))}
    )
    choices: list[str] = []
    for mins in thresholds:
        for col in (
            f"completeness_{mins}",
            f"all8_share_{mins}",
            *(f"{c.key}_share_{mins}" for c in COMPONENTS),
        ):
            if col in gaps.columns:
                choices.append(col)
    if measure is None:
        if "completeness_10" in gaps.columns:
            measure = "completeness_10"
        else:
            comp_cols = [c for c in choices if c.startswith("completeness_")]
            if comp_cols:
                measure = comp_cols[0]
            elif choices:
                measure = choices[0]
            else:
                raise InputError(
                    "gaps holds no measure column to colour by: expected columns such as "
                    "'completeness_10', 'all8_share_10' or 'care_share_10'."
                )
    elif measure not in choices:
        choices.append(measure)
    default_t = _parse_measure(measure)[2]
    if default_t is None:
        default_t = 10 if 10 in thresholds else (thresholds[0] if thresholds else None)
    extra = [f"completeness_{x}" for x in thresholds] + [f"rank_{x}" for x in thresholds]
    keys = list(dict.fromkeys([*choices, *(k for k in extra if k in gaps.columns)]))
    metas: dict[str, dict[str, Any]] = {}
    for k in keys:
        vals = pd.to_numeric(gaps[k], errors="coerce").to_numpy(dtype=float)
        if k not in choices and np.isnan(vals).all():
            continue
        metas[k] = _measure_meta(k, vals, lang, t)
        if k.startswith("completeness_"):
            metas[k]["short"] = _esc(t["completeness_short"].format(m=metas[k]["t"]))
    value_cols = {k: pd.to_numeric(gaps[k], errors="coerce").to_numpy(dtype=float) for k in metas}

    geoms = _display(gaps.geometry)
    ok = _usable(geoms)
    names = gaps["unit_name"].to_numpy(dtype=object)
    ids = gaps["unit_id"].to_numpy(dtype=object)
    residents = pd.to_numeric(gaps["residents"], errors="coerce").to_numpy(dtype=float)
    partial = gaps["partial"].to_numpy(dtype=object)
    feats = []
    for i in np.flatnonzero(ok):
        name = names[i] if _present(names[i]) else ids[i]
        feats.append(
            _feature(
                geoms[i],
                {
                    "n": _esc(name if _present(name) else "?"),
                    "r": _round_value(residents[i], "int"),
                    "p": bool(partial[i]) if _present(partial[i]) else False,
                    "v": {k: _round_value(value_cols[k][i], metas[k]["fmt"]) for k in metas},
                },
            )
        )
    config = {
        "initial": measure,
        "choices": choices,
        "measures": metas,
        "defaultT": default_t,
        "locale": "nl-NL" if lang == "nl" else "en-GB",
        "noData": _NO_DATA,
        "pane": pane,
        "anyPartial": any(f["properties"]["p"] for f in feats),
        "text": {
            "residents": _esc(t["residents"]),
            "partial": _esc(t["partial"]),
            "partialLegend": _esc(t["partial_legend"]),
            "noData": _esc(t["no_data"]),
            "measure": _esc(t["measure"]),
        },
    }
    _GapsLayer(_collection(feats), config, name=_esc(t["gaps_layer"])).add_to(m)


# ------------------------------------------------------------------------------------------
# page furniture


class _Furniture(MacroElement):
    """Title, the "how to read this map" note, CSS and the hatch pattern."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro html(this, kwargs) %}{{ this.svg }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var title = L.DomUtil.create("div", "ig-title", map.getContainer());
            title.innerHTML = {{ this.title|tojson }};
            L.DomEvent.disableClickPropagation(title);
            var note = L.control({position: "bottomleft"});
            note.onAdd = function() {
                var div = L.DomUtil.create("div", "ig-note");
                div.innerHTML = {{ this.note|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            note.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, note: str):
        super().__init__()
        self._name = "InfraGeoFurniture"
        self.title = title
        self.note = note
        self.css = _CSS
        self.svg = _HATCH_SVG


def _note(t: Mapping[str, str], catchments: bool, gaps: bool) -> str:
    parts = [t["note_facilities"]]
    if catchments:
        parts.append(t["note_catchments"])
    if gaps:
        parts.append(t["note_gaps"])
    paras = "".join(f"<p>{_esc(p)}</p>" for p in parts)
    return (
        f"<details open><summary>{_esc(t['howto'])}</summary>{paras}"
        f"<p>{_esc(t['data'])}: {OSM_ATTRIBUTION}</p></details>"
    )


def _deterministic_ids(root: Element) -> None:
    """Replace branca's random element ids by a counter, so equal input gives equal HTML."""
    counter = itertools.count()

    def visit(el: Element) -> None:
        renamed: OrderedDict[str, Element] = OrderedDict()
        for key, child in el._children.items():
            old = child.get_name()
            child._id = f"{next(counter):06d}"
            renamed[child.get_name() if key == old else key] = child
            visit(child)
        el._children = renamed

    root._id = f"{next(counter):06d}"
    visit(root)


# ------------------------------------------------------------------------------------------


def coverage_map(
    facilities: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame | None = None,
    gaps: gpd.GeoDataFrame | None = None,
    lang: str = "nl",
    measure: str | None = None,
    title: str | None = None,
) -> folium.Map:
    """An interactive map of the social infrastructure, its walking areas and its gaps.

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
        ("Zorg – 10 min"), hidden at first; longer walks have a lighter fill.
    gaps : GeoDataFrame, optional
        One row per neighbourhood, in any CRS, with ``unit_id``, ``unit_name``,
        ``residents``, ``partial`` and measure columns: ``{component}_share_{m}``,
        ``{component}_reached_{m}``, ``{component}_unreached_{m}``, ``{component}_mean_m``,
        ``{component}_p90_m``, ``completeness_{m}``, ``all8_share_{m}``, ``rank_{m}``.
        Drawn as a choropleth; the legend holds a list to switch between the measures
        (completeness, share of all eight, and the share of each component, per threshold).
        Partial neighbourhoods (edge effect) are hatched grey.
    lang : {"nl", "en"}
        Language of the labels, legend and note.
    measure : str, optional
        The gap column coloured at first. Default ``completeness_10`` (or the
        completeness of the smallest threshold present).
    title : str, optional
        The map title; a default title in ``lang`` when omitted.

    Returns
    -------
    folium.Map
        With an OpenStreetMap background, a layer control listing the eight component
        layers (in :data:`infra_geo.COMPONENTS` order, also when empty), then the catchment
        and neighbourhood layers, a scale bar, the title and a "how to read this map" note.
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
    5 m for catchments) and coordinates rounded to 6 decimals, so a municipality's map
    stays a few megabytes at most (Liechtenstein with 235 facilities, 3 thresholds and 11
    municipalities: about 1.5 MB, most of it catchments). Element ids are numbered, not random: the same input gives
    the same HTML. The map loads Leaflet and its plugins from public CDNs and the
    background from tile.openstreetmap.org when opened.

    Examples
    --------
    >>> import infra_geo as ig
    >>> fac = ig.facilities_from_file("liechtenstein.osm.pbf")  # doctest: +SKIP
    >>> m = ig.coverage_map(fac, lang="en")  # doctest: +SKIP
    >>> m.save("map.html")  # doctest: +SKIP
    """
    if not isinstance(lang, str) or lang not in MAP_LANGUAGES:
        raise InputError(f"lang must be one of {', '.join(MAP_LANGUAGES)}, got {lang!r}.")
    if title is not None and not isinstance(title, str):
        raise InputError(f"title must be a string, not {type(title).__name__}.")
    if measure is not None and not isinstance(measure, str):
        raise InputError(f"measure must be a column name (str), not {type(measure).__name__}.")
    t = _TEXT[lang]
    fac = _check_frame(facilities, "facilities", _FACILITY_COLUMNS)
    _check_component_values(fac["component"], "facilities")
    members = pd.Series(
        [k for v in fac["components"].dropna().unique() for k in str(v).split(";") if k],
        dtype=object,
    )
    _check_component_values(members, "facilities['components']")
    if catchments is not None:
        catchments = _check_frame(catchments, "catchments", _CATCHMENT_COLUMNS)
        _check_component_values(catchments["component"], "catchments")
    if gaps is not None:
        gaps = _check_frame(gaps, "gaps", _GAP_COLUMNS)
    if measure is not None:
        if gaps is None:
            raise InputError("measure colours the neighbourhoods: pass gaps=... as well.")
        _parse_measure(measure)
        if measure not in gaps.columns:
            raise InputError(f"measure {measure!r} is not a column of gaps.")

    frames = [f for f in (fac, catchments, gaps) if f is not None and len(f)]
    if not frames:
        raise EmptyDataError(
            "Nothing to map: the facilities are empty and no catchments or gaps were given."
        )
    bounds = np.array([f.geometry.to_crs("EPSG:4326").total_bounds for f in frames])
    bounds = bounds[np.isfinite(bounds).all(axis=1)]
    if not len(bounds):
        raise EmptyDataError("Nothing to map: every geometry is empty.")
    west, south = bounds[:, 0].min(), bounds[:, 1].min()
    east, north = bounds[:, 2].max(), bounds[:, 3].max()

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
    # panes under the facilities (overlayPane, z-index 400): areas never hide a facility
    gap_pane, catch_pane = "igGaps", "igCatchments"
    if gaps is not None:
        folium.map.CustomPane(gap_pane, z_index=380, pointer_events=True).add_to(m)
    if catchments is not None:
        folium.map.CustomPane(catch_pane, z_index=390, pointer_events=False).add_to(m)
    # the layer control lists the layers in this order
    _facility_layers(m, fac, lang, t)
    if catchments is not None:
        _catchment_layers(m, catchments, lang, t, catch_pane)
    if gaps is not None:
        _gap_layer(m, gaps, measure, lang, t, gap_pane)
    folium.LayerControl(collapsed=False).add_to(m)
    _Furniture(
        _esc(title if title is not None else t["title"]),
        _note(t, catchments is not None, gaps is not None),
    ).add_to(m)
    if (east - west) > 1e-9 or (north - south) > 1e-9:
        m.fit_bounds(
            [
                [round(float(south), _DECIMALS), round(float(west), _DECIMALS)],
                [round(float(north), _DECIMALS), round(float(east), _DECIMALS)],
            ]
        )
    _deterministic_ids(m.get_root())
    return m
