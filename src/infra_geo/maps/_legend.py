"""Page furniture of the coverage map.

The title, the "how to read this map" note with the attribution, the CSS and hatch pattern
(``static/furniture.js``, ``static/map.css``), and deterministic element ids.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Mapping

from branca.element import Element, MacroElement
from folium.template import Template

from ._common import _CSS, _HATCH_SVG, OSM_ATTRIBUTION, _esc, static

# ------------------------------------------------------------------------------------------
# page furniture


class _Furniture(MacroElement):
    """Title, the "how to read this map" note, CSS and the hatch pattern."""

    _template = Template(static("furniture.js"))

    def __init__(self, title: str, note: str):
        super().__init__()
        self._name = "InfraGeoFurniture"
        self.title = title
        self.note = note
        self.css = _CSS
        self.svg = _HATCH_SVG


class _Ready(MacroElement):
    """The last script of the page: marks the map as ready once its layers are added.

    Sets ``window.infraGeoReady`` (true) and ``window.infraGeoReadyMs`` (milliseconds since
    the page started loading, at the first frame after every layer was added), which the
    browser tests and anyone timing the page can wait for.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "requestAnimationFrame(function() {\n"
        "    window.infraGeoReadyMs = performance.now();\n"
        "    window.infraGeoReady = true;\n"
        "});\n"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "InfraGeoReady"


def _note(t: Mapping[str, str], catchments: bool, gaps: bool, sites: bool = False) -> str:
    parts = [t["note_facilities"]]
    if catchments:
        parts.append(t["note_catchments"])
    if gaps:
        parts.append(t["note_gaps"])
    if sites:
        parts.append(t["note_suggestions"])
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
