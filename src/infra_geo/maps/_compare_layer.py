"""The difference map of :func:`infra_geo.compare_map`: who gains and who loses access.

One layer per changed component and walking time: every unit coloured by its change of
residents within reach on a diverging scale symmetric around zero (blue gains, red losses,
white no change), and the added and removed facilities marked. Every text from the data is
HTML-escaped here.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
from folium.utilities import JsCode

from .. import _compare_schema
from ..components import COMPONENTS
from ._common import (
    _DECIMALS,
    _SIMPLIFY_M,
    OSM_ATTRIBUTION,
    OSM_TILES,
    _collection,
    _display,
    _esc,
    _feature,
    _present,
)
from ._legend import _deterministic_ids, _Furniture

#: diverging ramp (ColorBrewer RdBu, colour-blind safe): losses red, gains blue
_LOSS, _NONE, _GAIN = (
    ("#b2182b", "#ef8a62", "#fddbc7"),
    "#f7f7f7",
    ("#d1e5f0", "#67a9cf", "#2166ac"),
)

_WORDS = {
    "en": {
        "layer": "{label} – {m} min: change of residents within reach",
        "tip": "{name}: {gain} newly within {m} min of {label}, {loss} no longer; net {net}",
        "added": "Added facilities",
        "removed": "Removed facilities",
        "add_tip": "added: {name}",
        "rm_tip": "removed: {name}",
        "note": (
            "Each neighbourhood is coloured by the change of its residents within walking "
            "reach: blue more, red fewer, white unchanged (the scale is the same on both "
            "sides of zero). Hover a neighbourhood for its residents newly within reach and "
            "no longer within reach. Green markers: added facilities; red: removed ones."
        ),
        "legend": "residents: ",
    },
    "nl": {
        "layer": "{label} – {m} min: verandering inwoners binnen bereik",
        "tip": "{name}: {gain} nieuw binnen {m} min van {label}, {loss} niet meer; netto {net}",
        "added": "Toegevoegde voorzieningen",
        "removed": "Verwijderde voorzieningen",
        "add_tip": "toegevoegd: {name}",
        "rm_tip": "verwijderd: {name}",
        "note": (
            "Elke buurt is gekleurd naar de verandering van het aantal inwoners binnen "
            "loopafstand: blauw meer, rood minder, wit gelijk (de schaal is aan beide kanten "
            "van nul gelijk). Beweeg over een buurt voor de inwoners die nieuw en niet meer "
            "binnen bereik zijn. Groene punten: toegevoegde voorzieningen; rode: verwijderde."
        ),
        "legend": "inwoners: ",
    },
}


def diverging_color(value: float, vmax: float) -> str:
    """Return the fill colour of a change ``value`` on a scale symmetric in ``[-vmax, vmax]``."""
    if not np.isfinite(value) or abs(value) < 0.5 or vmax <= 0:
        return _NONE
    step = min(int(abs(value) / vmax * 3 - 1e-9), 2)
    return _GAIN[step] if value > 0 else _LOSS[2 - step]


def comparison_map(
    cmp: gpd.GeoDataFrame,
    *,
    added: gpd.GeoDataFrame,
    removed: gpd.GeoDataFrame,
    lang: str,
    title: str,
) -> folium.Map:
    """Return the folium map of a comparison (documented at :func:`infra_geo.compare_map`)."""
    w = _WORDS[lang]
    labels = {c.key: c.label(lang) for c in COMPONENTS}
    mins = list(cmp.attrs.get("minutes", ()))
    changed = list(cmp.attrs.get("changed", ()))
    geoms = _display(cmp.geometry, _SIMPLIFY_M)
    west, south, east, north = cmp.to_crs("EPSG:4326").total_bounds
    m = folium.Map(
        location=[round((south + north) / 2, _DECIMALS), round((west + east) / 2, _DECIMALS)],
        zoom_start=13,
        tiles=None,
        control_scale=True,
    )
    folium.TileLayer(
        OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19, control=False
    ).add_to(m)
    first = True
    for k in changed:
        for mm in mins:
            _unit_layer(m, cmp, geoms, k, mm, labels.get(k, k), w, show=first)
            first = False
    for frame, color, name, tip in (
        (added, "#1a9850", w["added"], w["add_tip"]),
        (removed, "#d73027", w["removed"], w["rm_tip"]),
    ):
        if len(frame):
            _facility_markers(m, frame, color, name, tip)
    folium.LayerControl(collapsed=False).add_to(m)
    _Furniture(_esc(title), f"<p>{_esc(w['note'])}</p><p>{OSM_ATTRIBUTION}</p>").add_to(m)
    if (east - west) > 1e-9 or (north - south) > 1e-9:
        m.fit_bounds([[float(south), float(west)], [float(north), float(east)]])
    _deterministic_ids(m.get_root())
    return m


def _unit_layer(
    m: folium.Map,
    cmp: gpd.GeoDataFrame,
    geoms: np.ndarray,
    key: str,
    minutes: int,
    label: str,
    w: dict[str, str],
    *,
    show: bool,
) -> None:
    """One component and walking time: the units coloured by their net change."""
    gain = cmp[_compare_schema.compare_column(key, "newly_reached", minutes)].to_numpy(dtype=float)
    loss = cmp[_compare_schema.compare_column(key, "no_longer_reached", minutes)].to_numpy(dtype=float)
    net = gain - loss
    vmax = float(np.nanmax(np.abs(net))) if len(net) else 0.0
    feats = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        name = cmp["unit_name"].iloc[i]
        tip = w["tip"].format(
            name=name if _present(name) else cmp["unit_id"].iloc[i],
            gain=f"{gain[i]:,.0f}",
            loss=f"{loss[i]:,.0f}",
            m=minutes,
            label=label,
            net=f"{net[i]:+,.0f}",
        )
        feats.append(_feature(g, {"tip": _esc(tip), "fill": diverging_color(net[i], vmax)}))
    style = (
        "function(f) { return {fillColor: f.properties.fill, color: '#555555', weight: 0.6, "
        "fillOpacity: 0.7}; }"
    )
    name = _esc(w["layer"].format(label=label, m=minutes)) + (
        f" ({_esc(w['legend'])}±{vmax:,.0f})" if vmax > 0 else ""
    )
    fg = folium.FeatureGroup(name=name, overlay=True, control=True, show=show)
    folium.GeoJson(
        _collection(feats),
        control=False,
        style=JsCode(style),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(fg)
    fg.add_to(m)


def _facility_markers(
    m: folium.Map, frame: gpd.GeoDataFrame, color: str, name: str, tip: str
) -> None:
    """Draw added or removed facilities as circle markers (areas at their representative point)."""
    fg = folium.FeatureGroup(name=_esc(name), overlay=True, control=True, show=True)
    pts = frame.geometry.to_crs("EPSG:4326").representative_point()
    for (_, row), p in zip(frame.iterrows(), pts, strict=True):
        text = row["name"] if _present(row.get("name")) else row["facility_id"]
        folium.CircleMarker(
            location=[round(p.y, _DECIMALS), round(p.x, _DECIMALS)],
            radius=8,
            color="#222222",
            weight=2,
            fill=True,
            fill_color=color,
            fill_opacity=0.95,
            tooltip=_esc(tip.format(name=text)),
        ).add_to(fg)
    fg.add_to(m)


__all__ = ["comparison_map", "diverging_color"]
