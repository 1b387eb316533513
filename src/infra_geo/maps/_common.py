"""Shared pieces of the coverage map.

Constants, the nl/en text, static files, escaping, colours, input checks and GeoJSON helpers.

The text (``static/text.json``), the CSS (``static/map.css``) and the JavaScript templates
(``static/*.js``; ``catchments.js`` decodes and composes the catchment rings) are package
data, read with :mod:`importlib.resources`.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from .. import _schema
from ..components import Component


def static(name: str) -> str:
    """Return the text of ``infra_geo/maps/static/<name>`` (UTF-8)."""
    return resources.files("infra_geo.maps").joinpath("static").joinpath(name).read_text("utf-8")


OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_OSM_TYPES = ("node", "way", "relation")

# display resolution: ~2-3 m is invisible at street zoom and keeps a municipality small
_SIMPLIFY_M = 2.5
# catchments are the bulk of a map (street-front buffers, 3 per component): 5 m is about two
# screen pixels at zoom 16 and a tenth of the 50 m street front that the area itself assumes
_SIMPLIFY_CATCHMENT_M = 5.0
_SIMPLIFY_DEG = 2e-5
# 5 decimals of a degree: 1.1 m of latitude, under 1.1 m of longitude (the encoded polyline
# precision of the catchment rings, see _pack_polygons)
_DECIMALS = 5
_SCALE = 10**_DECIMALS

# sequential OrRd ramps, worst (dark) to best (light): gaps stand out
_RAMP5 = ("#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9")
_RAMP8 = ("#7f0000", "#b30000", "#d7301f", "#ef6548", "#fc8d59", "#fdbb84", "#fdd49e", "#fef0d9")
_NO_DATA = "#cccccc"
_HEX = re.compile(r"^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$")

_FACILITY_COLUMNS = _schema.FACILITY_COLUMNS
_CATCHMENT_COLUMNS = _schema.CATCHMENT_COLUMNS
_GAP_COLUMNS = _schema.GAP_KEY_COLUMNS

#: the map's words, per language (``static/text.json``)
_TEXT: dict[str, dict[str, str]] = json.loads(static("text.json"))

_CSS = "\n<style>\n" + static("map.css") + "</style>\n"

_HATCH_SVG = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="ig-hatch" patternUnits="userSpaceOnUse" width="8" height="8" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#e3e3e3"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#8a8a8a" stroke-width="3"/></pattern>'
    '<pattern id="ig-hatch-over" patternUnits="userSpaceOnUse" width="7" height="7" '
    'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="7" stroke="#3c3c3c" '
    'stroke-opacity="0.6" stroke-width="2"/></pattern>'
    "</defs></svg>"
)


def _esc(value: Any) -> str:
    """HTML-escaped text of a value (quotes too: safe inside attributes).

    Braces become character references as well: folium (branca) parses each rendered
    script once more as a Jinja template, so a name such as ``{{ 7*7 }}`` would otherwise be
    evaluated while the page is written (template injection), not shown.
    """
    return html.escape(str(value), quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _present(value: Any) -> bool:
    """Return a tag value that is set (not None, NaN, NA or an empty string)."""
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


def _is_metric(crs: Any) -> bool:
    try:
        return bool(crs.is_projected) and crs.axis_info[0].unit_name in ("metre", "meter")
    except (AttributeError, IndexError):
        return False


def _display(
    geoms: gpd.GeoSeries, tol_m: float = _SIMPLIFY_M, *, coverage: bool = False
) -> np.ndarray:
    """Geometries simplified to display scale, in EPSG:4326, rounded to ``_DECIMALS``.

    With ``coverage=True`` (neighbourhoods, hexagons) the polygons are simplified as one
    coverage (``shapely.coverage_simplify``): an edge shared by two units is simplified once,
    the same way for both, so no gap or overlap opens between them; rounding keeps shared
    vertices shared. Input that is not a valid coverage (overlapping units) is simplified
    polygon by polygon.
    """
    metric = _is_metric(geoms.crs)
    tol = tol_m if metric else _SIMPLIFY_DEG * tol_m / _SIMPLIFY_M
    src = geoms if metric else geoms.to_crs("EPSG:4326")
    arr = src.to_numpy()
    if coverage and _valid_coverage(arr):
        simple = arr.copy()
        ok = _usable(arr)
        simple[ok] = shapely.coverage_simplify(arr[ok], tol)
    else:
        simple = shapely.simplify(arr, tol, preserve_topology=True)
    out = gpd.GeoSeries(simple, crs=src.crs).to_crs("EPSG:4326").to_numpy()
    return shapely.transform(out, lambda xy: np.round(xy, _DECIMALS))


def _valid_coverage(arr: np.ndarray) -> bool:
    """Polygons (no missing or empty one left out) that form a valid coverage."""
    ok = _usable(arr)
    if not ok.any() or not np.isin(shapely.get_type_id(arr[ok]), (3, 6)).all():
        return False
    try:
        return bool(shapely.coverage_is_valid(arr[ok]))
    except shapely.errors.GEOSException:
        return False


def _polyline_chars(values: np.ndarray) -> str:
    """Google's encoded-polyline text of integers (zig-zag, 5-bit chunks + 63), vectorised."""
    v = np.asarray(values, dtype=np.int64)
    z = np.where(v < 0, ~(v << 1), v << 1).astype(np.uint64)
    shifts = np.arange(7, dtype=np.uint64) * np.uint64(5)  # 35 bits: |v| < 2**34
    chunks = (z[:, None] >> shifts[None, :]) & np.uint64(31)
    n = 1 + ((z[:, None] >> shifts[None, 1:]) > 0).sum(axis=1)
    col = np.arange(7)[None, :]
    chars = chunks + np.uint64(63) + np.where(col < (n - 1)[:, None], np.uint64(32), np.uint64(0))
    return chars[col < n[:, None]].astype(np.uint8).tobytes().decode("ascii")


def _pack_polygons(geom: Any) -> dict[str, Any]:
    """Encode a (multi)polygon in EPSG:4326 as compact text for the page (``static/catchments.js``).

    ``c``: every ring's vertices (latitude, longitude in units of 1e-5 degree, the closing
    vertex and vertices rounded onto their neighbour left out), as differences from the
    previous vertex, in Google's encoded-polyline format (precision 5); ``r``: vertices per
    ring; ``p``: rings per polygon (exterior first). About 3 characters a vertex instead of
    about 20 in GeoJSON.
    """
    polys = shapely.get_parts(np.asarray([geom], dtype=object))
    polys = polys[~shapely.is_missing(polys)]
    polys = polys[~shapely.is_empty(polys) & (shapely.get_type_id(polys) == 3)]
    if not len(polys):
        return {"c": "", "r": [], "p": []}
    polys = shapely.orient_polygons(polys)  # exteriors counter-clockwise, holes clockwise
    rings = shapely.get_rings(polys)
    xy, which = shapely.get_coordinates(rings, return_index=True)
    open_ = np.r_[which[1:] == which[:-1], False]  # the closing vertex repeats the first
    q = np.rint(xy[open_][:, ::-1] * _SCALE).astype(np.int64)  # (lat, lon)
    ring = which[open_]
    # a vertex rounded onto the one before it (or the last onto the first) is dropped,
    # as Leaflet would drop it; the first vertex of a ring always stays
    dup = np.r_[False, (q[1:] == q[:-1]).all(axis=1) & (ring[1:] == ring[:-1])]
    q, ring = q[~dup], ring[~dup]
    while len(ring):
        start = np.r_[True, ring[1:] != ring[:-1]]
        end = np.r_[ring[1:] != ring[:-1], True]
        first = np.flatnonzero(start)[np.cumsum(start) - 1]
        dup = end & ~start & (q == q[first]).all(axis=1)
        if not dup.any():
            break
        q, ring = q[~dup], ring[~dup]
    # a ring rounded to fewer than 3 vertices has no area: left out (a polygon whose shell
    # collapsed, with its holes)
    counts = np.bincount(ring, minlength=len(rings))
    per_poly = shapely.get_num_interior_rings(polys) + 1
    poly_of = np.repeat(np.arange(len(polys)), per_poly)
    shell = np.r_[0, np.cumsum(per_poly)[:-1]]
    keep = (counts >= 3) & (counts[shell] >= 3)[poly_of]
    q = q[keep[ring]]
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "c": _polyline_chars(deltas.ravel()),
        "r": counts[keep].tolist(),
        "p": np.bincount(poly_of[keep], minlength=len(polys))[(counts[shell] >= 3)].tolist(),
    }


def _usable(arr: np.ndarray) -> np.ndarray:
    return ~(pd.isna(arr) | shapely.is_empty(arr))


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": mapping(geom), "properties": props}


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}
