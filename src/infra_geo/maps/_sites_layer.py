"""Suggested sites on the coverage map (:func:`infra_geo.suggest_sites`).

One layer per suggestion, in rank order: a numbered marker whose popup gives the residents
it newly brings within reach (alone and together with the suggestions before it) and the
breakdown per neighbourhood, and the outlines of the neighbourhoods where it reaches new
residents, each with its own figure in a tooltip. Every name from the data is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.utilities import JsCode

from ..components import COMPONENTS
from ..errors import InputError
from ._common import _DECIMALS, _collection, _display, _esc, _feature, _present, _usable

#: the columns a suggestions table needs (``SiteSuggestions.sites``)
SITE_COLUMNS = ("rank", "newly_reached", "cumulative")
_OUTLINE = "#1f78b4"


def check_suggestions(suggestions: Any) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the sites frame (EPSG:4326) and the per-unit breakdown of a ``SiteSuggestions``."""
    from ..siting import SiteSuggestions

    if not isinstance(suggestions, SiteSuggestions):
        raise InputError(
            "suggestions must be what ig.suggest_sites returns (a SiteSuggestions), not "
            f"{type(suggestions).__name__}."
        )
    sites = suggestions.sites
    if sites.crs is None:
        raise InputError("suggestions.sites has no CRS.")
    return sites.to_crs("EPSG:4326"), suggestions.by_unit


def _fmt(x: float, lang: str) -> str:
    s = f"{x:,.0f}"
    return s.replace(",", ".") if lang == "nl" else s


def _popup(row: Mapping[str, Any], units: pd.DataFrame, words: Mapping[str, str]) -> str:
    lang, t = words["lang"], words
    lines = [
        f"<b>{_esc(t['title'])}</b>",
        f"{_esc(t['new'])}: <b>{_esc(_fmt(row['newly_reached'], lang))}</b> {_esc(t['res'])}",
        f"{_esc(t['cum'])}: {_esc(_fmt(row['cumulative'], lang))} {_esc(t['res'])}",
    ]
    if len(units):
        items = "".join(
            f"<li>{_esc(n)}: {_esc(_fmt(v, lang))}</li>"
            for n, v in zip(units["unit_name"], units["newly_reached"], strict=True)
        )
        lines.append(f'{_esc(t["units"])}:<ul class="ig-site-units">{items}</ul>')
    return '<div class="ig-popup">' + "<br>".join(lines) + "</div>"


def _unit_outlines(feats: list[Any], rank: int, pane: str) -> folium.GeoJson:
    """Return the dashed outlines of the units suggestion ``rank`` helps (with tooltips)."""
    style = {
        "color": _OUTLINE,
        "weight": 3,
        "opacity": 0.9,
        "dashArray": "8 4",
        "fillColor": _OUTLINE,
        "fillOpacity": 0.08,
        "className": f"ig-site-unit ig-site-unit-{rank}",
    }
    return folium.GeoJson(
        _collection(feats),
        control=False,
        pane=pane,
        style=JsCode(f"function(f) {{ return {json.dumps(style)}; }}"),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    )


def _site_layers(
    m: folium.Map,
    suggestions: Any,
    gaps: gpd.GeoDataFrame | None,
    lang: str,
    t: Mapping[str, str],
    pane: str,
) -> list[tuple[str, folium.FeatureGroup]]:
    """One layer per suggestion: the numbered site and the units where it reaches residents.

    Returns (escaped name, layer) per suggestion, in rank order.
    """
    out: list[tuple[str, folium.FeatureGroup]] = []
    sites, by_unit = check_suggestions(suggestions)
    key = getattr(suggestions, "component", None)
    label = next((c.label(lang) for c in COMPONENTS if c.key == key), key or "")
    minutes = getattr(suggestions, "minutes", None)
    mtxt = f"{minutes:g}" if minutes is not None else "?"
    unit_geom: dict[str, Any] = {}
    if gaps is not None and len(gaps):
        geoms = _display(gaps.geometry)
        ok = _usable(geoms)
        ids = gaps["unit_id"].astype(str).to_numpy()
        unit_geom = {ids[i]: geoms[i] for i in np.flatnonzero(ok)}
    pts = _display(sites.geometry, tol_m=0.0)
    for i, row in enumerate(sites.to_dict("records")):
        rank = int(row["rank"])
        n_new = float(row["newly_reached"])
        units = by_unit.loc[by_unit["rank"] == rank] if len(by_unit) else by_unit
        if "unit_name" not in units.columns:
            units = units.assign(unit_name=units.get("unit_id", pd.Series(dtype=str)))
        words = {
            "lang": lang,
            "title": t["site_title"].format(rank=rank, label=label),
            "new": t["site_new"].format(m=mtxt),
            "cum": t["site_cum"],
            "units": t["site_units"],
            "res": t["residents_word"],
        }
        name = _esc(t["site_layer"].format(rank=rank, n=_fmt(n_new, lang)))
        fg = folium.FeatureGroup(name=name, overlay=True, control=True, show=True)
        feats = []
        for u in units.to_dict("records"):
            g = unit_geom.get(str(u["unit_id"]))
            if g is None:
                continue
            uname = u["unit_name"] if _present(u["unit_name"]) else u["unit_id"]
            tip = t["site_unit_tip"].format(
                unit=uname, n=_fmt(float(u["newly_reached"]), lang), m=mtxt, rank=rank
            )
            feats.append(_feature(g, {"tip": _esc(tip)}))
        if feats:
            _unit_outlines(feats, rank, pane).add_to(fg)
        p = pts[i]
        if _usable(np.array([p]))[0]:
            icon = folium.DivIcon(
                html=f'<div class="ig-site">{rank}</div>',
                icon_size=(26, 26),
                icon_anchor=(13, 13),
                class_name="ig-site-icon",
            )
            folium.Marker(
                [round(p.y, _DECIMALS), round(p.x, _DECIMALS)],
                icon=icon,
                popup=folium.Popup(_popup(row, units, words), max_width=320),
                tooltip=_esc(t["site_title"].format(rank=rank, label=label)),
            ).add_to(fg)
        fg.add_to(m)
        out.append((name, fg))
    return out
