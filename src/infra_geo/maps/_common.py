"""Shared pieces of the coverage map.

Constants, the nl/en text, static files, escaping, colours, input checks and GeoJSON helpers.

The text (``static/text.json``), the CSS (``static/map.css``) and the JavaScript templates
(``static/*.js``) are package data, read with :mod:`importlib.resources`.
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
_SIMPLIFY_CATCHMENT_M = 5.0  # catchments are the bulk of a map: street buffers, 3 per component
_SIMPLIFY_DEG = 2e-5
_DECIMALS = 6

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
    "</defs></svg>"
)


def _esc(value: Any) -> str:
    """HTML-escaped text of a value (quotes too: safe inside attributes)."""
    return html.escape(str(value), quote=True)


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
