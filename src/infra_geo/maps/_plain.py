"""Element scripts handed to the page without a second Jinja parse.

branca writes each element's rendered script into the page as ``Element(script_text)``, which
compiles the text as a Jinja template once more (lexing every character) only to render it
back unchanged. On Malta that is ~3.9 MB of catchment rings and facility GeoJSON, about two
thirds of the map's render time. :class:`_PlainScripts` stands in for an element class's
template: its ``script`` macro renders as before, and text holding no Jinja syntax (no
``{{``, ``{%`` or ``{#``; the map's text escapes braces, see ``_common._esc``) is handed on as
an already-parsed template (one text node), which renders to exactly what Jinja's lexer would
have made of it: newlines as line feeds, one trailing newline dropped. Any other text takes the
usual path, so the page is the same byte for byte.
"""

from __future__ import annotations

import re
import types
from typing import Any, cast

import folium
from jinja2 import Template, nodes

_NEWLINES = re.compile(r"\r\n|\r|\n")
_JINJA_STARTS = ("{{", "{%", "{#")


def _parsed(text: Any) -> Any:
    """Return ``text`` as a parsed Jinja template of one text node (or as is if it holds syntax)."""
    if not isinstance(text, str) or any(s in text for s in _JINJA_STARTS):
        return text
    # what Jinja's lexer does to template data (keep_trailing_newline=False, newline "\n")
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    if text.endswith("\n"):
        text = text[:-1]
    return nodes.Template([nodes.Output([nodes.TemplateData(text)])])


class _PlainScripts:
    """Stand-in for an element class's template whose ``script`` macro output is not re-parsed.

    ``MacroElement.render`` reads the macros from ``template.module``; every other attribute is
    the wrapped template's.
    """

    def __init__(self, template: Any) -> None:
        self._wrapped = template

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    @property
    def module(self) -> types.SimpleNamespace:
        """The wrapped template's macros, with ``script`` handing on parsed text."""
        macros = dict(vars(self._wrapped.module))
        script = macros.get("script")
        if script is not None:
            macros["script"] = lambda this, kwargs: _parsed(script(this, kwargs))
        return types.SimpleNamespace(**macros)


def _plain_scripts(template: Template) -> Template:
    """Return ``template`` behind a :class:`_PlainScripts` (typed as the template it stands in for)."""
    return cast(Template, _PlainScripts(template))


class _GeoJson(folium.GeoJson):
    """:class:`folium.GeoJson` whose script (the embedded features) is not parsed twice."""

    _template = _plain_scripts(folium.GeoJson._template)
