"""The coverage map's one panel of controls (``static/panel.js``).

It replaces Leaflet's layer list: the eight components as toggles (a component's facilities
and its walking area together), one walking time for the walking areas of every component
switched on, the measure that colours the neighbourhoods, and a small toggle for each other
layer (the data extent, suggested sites). Collapsed behind a button on a narrow screen. Its
layout script keeps the title, the panel, the legend and the "how to read" note apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

from ..components import COMPONENTS
from ._common import _color, _esc, static

#: the widest screen (CSS pixels) on which the panel starts collapsed
NARROW_PX = 600


class _Panel(MacroElement):
    """The panel; its text is escaped here, its layers are referenced by their page names."""

    _template = Template(static("panel.js"))

    def __init__(
        self,
        lang: str,
        t: Mapping[str, str],
        facilities: Mapping[str, folium.FeatureGroup],
        counts: Mapping[str, int],
        catchments: Mapping[str, Mapping[str, folium.FeatureGroup]],
        gaps: Any,
        others: list[tuple[str, folium.FeatureGroup]],
    ) -> None:
        super().__init__()
        self._name = "InfraGeoPanel"
        self.components = [
            {
                "key": c.key,
                "fac": facilities[c.key],
                "catch": sorted(catchments.get(c.key, {}).items(), key=lambda kv: float(kv[0])),
            }
            for c in COMPONENTS
        ]
        minutes = sorted({m for per in catchments.values() for m in per}, key=float)
        self.gaps = gaps
        self.others = [fg for _, fg in others]
        self.config = {
            "components": [
                {
                    "key": c.key,
                    "label": _esc(c.label(lang)),
                    "color": _color(c),
                    "n": int(counts.get(c.key, 0)),
                }
                for c in COMPONENTS
            ],
            "minutes": minutes,
            "initialMinutes": None,
            "others": [name for name, _ in others],
            "narrow": NARROW_PX,
            "text": {
                k: _esc(t[f"panel_{k}"])
                for k in ("panel", "components", "minutes", "off", "gaps", "gapsShow", "other")
            }
            | {"measure": _esc(t["measure"])},
        }
