"""The map's render without a second Jinja parse of the big scripts (issue 14, stop 22).

branca compiles every rendered element script as a Jinja template once more; the map hands
the big ones (catchment rings, facility GeoJSON, the gap layer) on already parsed
(``maps._plain``). The page must be the one branca's own path writes, byte for byte.
"""

from __future__ import annotations

import jinja2
import pytest
from branca.element import Element

import infra_geo as ig
from infra_geo.maps._plain import _parsed, _PlainScripts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "var a = 1;",
        "var a = 1;\n",
        "var a = 1;\n\n",
        "a\r\nb\rc\nd\r\n",
        '  {"c":"?~\\u007b","r":[1,2]} }\n  ',
        'function(f) { return {"color": "#333"}; }',
        "&#123;&#123; 7*7 &#125;&#125;",
    ],
)
def test_plain_text_renders_as_jinja_renders_it(text):
    """Plain text is handed on parsed and renders to what Jinja makes of the same source."""
    node = _parsed(text)
    assert not isinstance(node, str)
    assert jinja2.Template(node).render() == jinja2.Template(text).render()
    assert Element(node).render() == Element(text).render()


@pytest.mark.parametrize("text", ["{{ 7*7 }}", "a {% if 1 %}b{% endif %}", "x {# c #} y"])
def test_text_with_jinja_syntax_takes_the_usual_path(text):
    assert _parsed(text) is text
    assert Element(_parsed(text)).render() == Element(text).render()


def _branca_page(m) -> str:
    """The page as branca writes it: every element's template parsed again as before."""
    stack = [m.get_root()]
    while stack:
        el = stack.pop()
        tpl = type(el).__dict__.get("_template") or getattr(type(el), "_template", None)
        if isinstance(tpl, _PlainScripts):
            el._template = tpl._wrapped
        stack.extend(el._children.values())
    return m.get_root().render()


def test_liechtenstein_page_is_branca_s_page_and_skips_the_reparse(liechtenstein, monkeypatch):
    """Real data: analyse(admin:8)'s map (facilities, 24 catchment layers, gaps) is the same
    text either way, with a hostile facility name escaped; the text Jinja lexes a second
    time drops from the whole page to under a tenth of it."""
    res = ig.analyse(liechtenstein, neighbourhoods="admin:8")
    fac = res.facilities.copy()
    fac.loc[fac.index[0], "name"] = "{{ 7*7 }} <img src=x onerror=alert(1)>"
    res.facilities = fac
    parsed: list[int] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, *args, **kwargs):
        if isinstance(source, str):
            parsed.append(len(source))
        return compile_(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    page = res.map().get_root().render()
    fast = sum(parsed)
    parsed.clear()
    reference = _branca_page(res.map())
    assert page == reference
    assert len(page) > 500_000
    # escaped as HTML, then as JSON (folium's tojson: & < > as \\u0026 \\u003c \\u003e)
    assert "\\u0026#123;\\u0026#123; 7*7 \\u0026#125;\\u0026#125; \\u0026lt;img src=x" in page
    assert "<img src=x" not in page and "49" + " <img" not in page
    # branca's path lexes the whole page's scripts again; the map under a tenth
    assert sum(parsed) > 0.8 * len(page)
    assert fast < 0.1 * len(page)  # the panel, legend and extent (Liechtenstein: 53 kB)


def test_map_bounds_are_the_moved_frames_bounds_to_the_bit(li_net_fac):
    """``_bounds_4326`` (each distinct vertex moved once, nothing rebuilt) gives the bits of
    ``frame_to_4326(frame).total_bounds`` on Liechtenstein's catchments (UTM 32N, nested:
    most vertices shared) and facilities, in their CRS and in EPSG:4326."""
    import numpy as np
    import shapely

    from infra_geo._reproject import frame_to_4326
    from infra_geo.maps import _bounds_4326

    net, fac = li_net_fac
    catch = ig.catchments(net, fac, minutes=[5, 10, 15], component=["care", "sports"])
    xy = shapely.get_coordinates(catch.geometry.to_numpy())
    assert len(np.unique(xy, axis=0)) < 0.7 * len(xy)  # shared vertices (here 60 %)
    for frame in (catch, fac.to_crs(catch.crs), fac.to_crs(4326), catch.to_crs(3857)):
        want = frame_to_4326(frame).total_bounds
        got = _bounds_4326(frame)
        assert np.array_equal(got.view(np.int64), np.asarray(want, dtype=float).view(np.int64))
    empty = catch.iloc[:0]
    assert np.isnan(_bounds_4326(empty)).all()
