"""Tests of the coverage map (infra_geo.maps): HTML content, escaping, and a real browser.

The browser tests drive headless Chromium (Debian package ``chromium``) with Playwright and
serve folium's CDN libraries from local npm copies (``tests/fetch_web_assets.sh``). They skip
when Chromium or the copies are missing, and fail instead with
``INFRA_GEO_REQUIRE_SHARED_DATA=1`` (as CI sets).
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from folium.map import Layer
from pyproj import Transformer
from shapely.geometry import Point, box, shape

import infra_geo as ig
from infra_geo.components import COMPONENTS
from infra_geo.maps import coverage_map

HERE = Path(__file__).resolve().parent
REQUIRE = os.environ.get("INFRA_GEO_REQUIRE_SHARED_DATA", "") not in ("", "0")
CHROMIUM = Path(os.environ.get("INFRA_GEO_CHROMIUM", "/usr/bin/chromium"))
ASSETS = Path(os.environ.get("INFRA_GEO_WEB_ASSETS", HERE / ".web-assets")) / "node_modules"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
KEYS = [c.key for c in COMPONENTS]
LABELS_NL = [c.label_nl for c in COMPONENTS]
LABELS_EN = [c.label_en for c in COMPONENTS]

# folium 0.20's CDN URLs (folium/folium.py, folium/plugins/marker_cluster.py) -> local copies
# installed by tests/fetch_web_assets.sh. A prefix maps a whole package folder, so fonts and
# images that the CSS references relatively are served too.
WEB_ASSETS = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/": "leaflet/",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/": "bootstrap/",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/": (
        "@fortawesome/fontawesome-free/"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/": (
        "leaflet.awesome-markers/dist/"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/": (
        "leaflet.markercluster/dist/"
    ),
}
# stylesheets folium always links but the coverage map does not use (Bootstrap 3 glyphicons,
# rotated awesome-marker icons): answered with an empty stylesheet
UNUSED_CSS = (
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
    "leaflet.awesome.rotate.min.css",
)
TILE = re.compile(r"^https://([abc]\.)?tile\.openstreetmap\.org/\d+/\d+/\d+\.png")
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)


# ------------------------------------------------------------------------------------------
# synthetic inputs


def _facilities(crs: str = "EPSG:4326", hostile: bool = False) -> gpd.GeoDataFrame:
    """A small facilities table in the layout of ig.facilities_from_file."""
    rows = [
        ("node/1", "meeting", "meeting;digital", "amenity=library", "Bibliotheek Centrum",
         "node", 1, "Oudegracht", "1", "3511 AA", "Utrecht", Point(5.1200, 52.0900)),
        ("node/2", "care", "care", "amenity=doctors", "Huisarts", "node", 2,
         None, None, None, None, Point(5.1230, 52.0915)),
        ("way/3", "sports", "sports;public_space", "leisure=pitch", None, "way", 3,
         None, None, None, None, box(5.1150, 52.0880, 5.1170, 52.0895)),
        ("way/4", "public_space", "public_space", "leisure=park", "Park", "way", 4,
         None, None, None, None, box(5.1180, 52.0920, 5.1220, 52.0940)),
    ]
    if hostile:
        rows += [
            ("node/5", "digital", "digital", "amenity=internet_cafe", HOSTILE, "node", 5,
             HOSTILE, "1", None, "<b>x</b>", Point(5.1210, 52.0905)),
            ("way/6", "culture", "culture", f"amenity={HOSTILE}", HOSTILE, "way", 6,
             None, None, None, None, box(5.1240, 52.0890, 5.1260, 52.0900)),
        ]
    cols = ["facility_id", "component", "components", "category", "name", "osm_type",
            "osm_id", "addr:street", "addr:housenumber", "addr:postcode", "addr:city"]
    df = pd.DataFrame([r[:-1] for r in rows], columns=cols)
    gdf = gpd.GeoDataFrame(df, geometry=[r[-1] for r in rows], crs="EPSG:4326")
    return gdf.to_crs(crs)


def _catchments(crs: str = "EPSG:28992") -> gpd.GeoDataFrame:
    """Catchments as ig.catchments(by="facility") would give: several rows per combination."""
    fac = _facilities().to_crs(crs)
    rows = []
    for _, f in fac.iterrows():
        if f["component"] not in ("care", "sports", "meeting"):
            continue
        for mins in (5, 10, 15):
            rows.append(
                {
                    "component": f["component"],
                    "minutes": mins,
                    "facility_id": f["facility_id"],
                    "geometry": f.geometry.centroid.buffer(80 * mins, quad_segs=32),
                }
            )
    # a second care facility, so care rows overlap and are drawn as their union
    c = fac.loc[fac["component"] == "care"].geometry.iloc[0].centroid
    for mins in (5, 10, 15):
        rows.append({"component": "care", "minutes": mins, "facility_id": "node/99",
                     "geometry": Point(c.x + 300, c.y).buffer(80 * mins, quad_segs=32)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def _gaps(
    crs: str = "EPSG:28992",
    center_lonlat: tuple[float, float] = (5.12, 52.09),
    shape: tuple[int, int] = (3, 4),
    size_m: float = 500.0,
    minutes: tuple[int, ...] = (5, 10, 15),
    hostile: bool = False,
) -> gpd.GeoDataFrame:
    """A gap table with the column names of ig.gap_analysis, on a grid of square units."""
    rng = np.random.default_rng(42)
    x0, y0 = Transformer.from_crs(4326, crs, always_xy=True).transform(*center_lonlat)
    nr, nc = shape
    geoms, recs = [], []
    for i in range(nr):
        for j in range(nc):
            x = x0 + (j - nc / 2) * size_m
            y = y0 + (i - nr / 2) * size_m
            geoms.append(box(x, y, x + size_m, y + size_m))
            k = len(recs)
            residents = int(rng.integers(200, 5000))
            rec = {
                "unit_id": f"BU{k:04d}",
                "unit_name": HOSTILE if hostile and k == 0 else f"Buurt {k}",
                "residents": residents,
                "partial": i == 0 and j == 0,
            }
            for c in KEYS:
                for m in minutes:
                    share = float(np.clip(rng.random() * m / max(minutes), 0, 1))
                    rec[f"{c}_share_{m}"] = share
                    rec[f"{c}_reached_{m}"] = round(share * residents)
                    rec[f"{c}_unreached_{m}"] = residents - round(share * residents)
                rec[f"{c}_mean_m"] = float(rng.uniform(100, 2000))
                rec[f"{c}_p90_m"] = rec[f"{c}_mean_m"] * 1.6
            for m in minutes:
                rec[f"completeness_{m}"] = sum(rec[f"{c}_share_{m}"] for c in KEYS)
                rec[f"all8_share_{m}"] = min(rec[f"{c}_share_{m}"] for c in KEYS)
            recs.append(rec)
    gdf = gpd.GeoDataFrame(recs, geometry=geoms, crs=crs)
    for m in minutes:
        gdf[f"rank_{m}"] = gdf[f"completeness_{m}"].rank(method="first").astype(int)
    gdf.loc[0, "care_mean_m"] = np.nan  # a unit without data
    return gdf


def _html(m, tmp_path: Path, name: str = "map.html") -> str:
    path = tmp_path / name
    m.save(path)
    return path.read_text("utf-8")


def _decoded(text: str) -> str:
    """The HTML with JSON's \\uXXXX escapes decoded, as the browser's JS engine sees strings."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda mt: chr(int(mt.group(1), 16)), text)


def _strip_tags(name: str) -> str:
    return re.sub(r"<[^>]+>", "", name)


def _overlays(m) -> list[Layer]:
    return [el for el in m._children.values() if isinstance(el, Layer) and el.overlay and el.control]


# ------------------------------------------------------------------------------------------
# content


def test_eight_component_layers_in_order_even_if_empty(tmp_path):
    fac = _facilities()
    m = coverage_map(fac)
    names = [_strip_tags(layer.layer_name) for layer in _overlays(m)]
    assert names == LABELS_NL  # culture, education, ... have no facility: still listed
    assert all(layer.show for layer in _overlays(m))
    html = _html(m, tmp_path)
    for k in ("meeting", "care", "sports", "public_space"):
        assert f"ig-fac-{k}" in html
    assert "ig-cluster-care" in html  # point facilities are clustered
    assert "https://www.openstreetmap.org/node/1" in html
    assert "Oudegracht 1, 3511 AA Utrecht" in _decoded(html)
    # secondary memberships are in the popup, the facility in its primary layer only
    popups = re.findall(r'"popup": "((?:[^"\\]|\\.)*)"', _decoded(html))
    library = [p for p in popups if "Bibliotheek Centrum" in p]
    assert len(library) == 1 and "Ontmoetingsplekken, Digitale toegang" in library[0]
    assert "L.control.scale" in html
    assert _decoded(html).count("OpenStreetMap</a> contributors") == 2  # tiles and the note
    assert "tile.openstreetmap.org" in html


def _features(m) -> list[dict]:
    """Every GeoJSON feature embedded in the map, in document order."""
    out: list[dict] = []

    def walk(el) -> None:
        data = getattr(el, "data", None)
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            out.extend(data["features"])
        for child in el._children.values():
            walk(child)

    walk(m)
    return out


def test_any_crs_is_drawn_in_degrees():
    f1 = _features(coverage_map(_facilities("EPSG:4326")))
    f2 = _features(coverage_map(_facilities("EPSG:28992")))
    assert len(f1) == len(f2) == 4
    for a, b in zip(f1, f2, strict=True):
        ga, gb = shape(a["geometry"]), shape(b["geometry"])
        assert ga.geom_type == gb.geom_type
        assert ga.hausdorff_distance(gb) < 1e-5  # same place, in degrees
        assert 5 < gb.centroid.x < 5.2 and 52 < gb.centroid.y < 52.2
        digits = re.findall(r"\.(\d+)", json.dumps(b["geometry"]["coordinates"]))
        assert max(len(d) for d in digits) <= 6  # rounded for size


def test_hostile_osm_text_is_escaped_everywhere(tmp_path):
    fac = _facilities(hostile=True)
    gaps = _gaps(hostile=True)
    m = coverage_map(fac, gaps=gaps, title=HOSTILE)
    raw = _html(m, tmp_path)
    text = _decoded(raw)
    assert HOSTILE not in raw
    assert HOSTILE not in text  # not even inside the JSON the page feeds to innerHTML
    assert "<b>x</b>" not in text
    assert text.count(HOSTILE_ESCAPED) >= 5  # name, street, category, unit name, title
    assert "&lt;b&gt;x&lt;/b&gt;" in text


def test_languages(tmp_path):
    fac, gaps, catch = _facilities(), _gaps(), _catchments()
    nl = _decoded(_html(coverage_map(fac, catch, gaps, lang="nl"), tmp_path, "nl.html"))
    en = _decoded(_html(coverage_map(fac, catch, gaps, lang="en"), tmp_path, "en.html"))
    for label in LABELS_NL:
        assert label in nl
    for label in LABELS_EN:
        assert label in en
    assert "Hoe lees je deze kaart?" in nl and "How to read this map" in en
    assert "Sociale infrastructuur op loopafstand" in nl
    assert "Social infrastructure within walking distance" in en
    assert "Zorg: aandeel inwoners binnen 10 min" in nl
    assert "Care: share of residents within 10 min" in en
    assert "componenten (0–8)" in nl and "components (0–8)" in en
    # the panel replaced Leaflet's layer list ("Zorg – 10 min"): one walking-time choice
    assert "Loopgebied" in nl and "Walking area" in en
    assert "Kaartlagen" in nl and "Map layers" in en
    assert "Hoe lees" not in en and "How to read" not in nl
    for text in (nl, en):  # in the tile layer's attribution and in the note
        assert text.count("&copy; <a href=\\\"https://www.openstreetmap.org/copyright\\\">"
                          "OpenStreetMap</a> contributors") == 2


def test_gaps_choropleth(tmp_path):
    gaps = _gaps()
    m = coverage_map(_facilities(), gaps=gaps)
    layer = next(el for el in _overlays(m) if el._name == "InfraGeoGaps")
    cfg = layer.config
    # issue 16 changed the default (was completeness_10): the 10-min measure in most classes
    assert cfg["initial"] == _most_classes(gaps, 10)
    for mins in (5, 10, 15):
        assert f"completeness_{mins}" in cfg["choices"]
        assert f"all8_share_{mins}" in cfg["choices"]
        for k in KEYS:
            assert f"{k}_share_{mins}" in cfg["choices"]
    assert cfg["measures"]["completeness_10"]["label"].endswith("componenten (0–8)")
    assert cfg["measures"]["care_share_10"]["classes"][0] == "0–20%"
    assert cfg["anyPartial"] is True
    feats = layer.data["features"]
    assert len(feats) == len(gaps)
    assert [f["properties"]["p"] for f in feats] == gaps["partial"].tolist()
    assert feats[0]["properties"]["v"]["completeness_10"] == pytest.approx(
        gaps["completeness_10"].iloc[0], abs=1e-4
    )
    lon, lat = feats[0]["geometry"]["coordinates"][0][0]
    assert 4 < lon < 6 and 51 < lat < 53  # EPSG:28992 drawn in degrees
    html = _html(m, tmp_path)
    assert "ig-hatch" in html and "ig-gap-partial" in html
    # a chosen measure is shown first, also one outside the default choices
    m2 = coverage_map(_facilities(), gaps=gaps, measure="care_mean_m", lang="en")
    cfg2 = next(el for el in _overlays(m2) if el._name == "InfraGeoGaps").config
    assert cfg2["initial"] == "care_mean_m" and "care_mean_m" in cfg2["choices"]
    assert cfg2["measures"]["care_mean_m"]["label"] == "Care: mean walking distance (m)"
    feats2 = next(el for el in _overlays(m2) if el._name == "InfraGeoGaps").data["features"]
    assert feats2[0]["properties"]["v"]["care_mean_m"] is None  # NaN -> no data
    # only one threshold, without 10
    g5 = _gaps(minutes=(5,))
    cfg3 = next(el for el in _overlays(coverage_map(_facilities(), gaps=g5))
                if el._name == "InfraGeoGaps").config
    assert cfg3["initial"] == _most_classes(g5, 5)


def _most_classes(gaps: gpd.GeoDataFrame, mins: int) -> str:
    """By hand: of completeness (classes 0-1, ..., 7-8) and the shares (0-20%, ..., 80-100%)
    at ``mins``, the measure whose values fall in the most classes; tie: lower
    resident-weighted mean (completeness / 8), then completeness, all8, components."""
    cols = [f"completeness_{mins}", f"all8_share_{mins}", *(f"{k}_share_{mins}" for k in KEYS)]
    best = None
    for i, col in enumerate(cols):
        scale = 8.0 if col.startswith("completeness") else 1.0
        v = gaps[col].to_numpy(dtype=float) / scale
        n = len({min(max(math.ceil(x * (8 if scale == 8 else 5)) - 1, 0), 7) for x in v})
        mean = float((v * gaps["residents"]).sum() / gaps["residents"].sum())
        key = (-n, mean, i)
        best = min(best, (key, col)) if best else (key, col)
    return best[1]


def test_catchment_layers(tmp_path):
    catch = _catchments("EPSG:28992")
    m = coverage_map(_facilities(), catchments=catch)
    layers = {_strip_tags(el.layer_name): el for el in _overlays(m)}
    expected = [f"{lab} – {mins} min" for lab in ("Ontmoetingsplekken", "Zorg", "Sport")
                for mins in (5, 10, 15)]
    names = [_strip_tags(el.layer_name) for el in _overlays(m)]
    assert names == LABELS_NL + expected
    for name in expected:
        assert layers[name].show is False  # hidden at first
    care10 = next(iter(layers["Zorg – 10 min"]._children.values()))
    assert len(care10.data["features"]) == 1  # two facilities' areas drawn as one union
    lon, lat = np.array(care10.data["features"][0]["geometry"]["coordinates"][0])[0]
    assert 5 < lon < 5.3 and 52 < lat < 52.2
    html = _html(m, tmp_path)
    assert "ig-catch ig-catch-care" in html
    ops = {mins: float(re.search(r'"fillOpacity": ([0-9.]+)',
                                 str(next(iter(layers[f"Zorg – {mins} min"]._children.values()))
                                     .options["style"])).group(1))
           for mins in (5, 10, 15)}
    assert ops[5] > ops[10] > ops[15]  # lighter fill for longer walks
    # UTM works too
    m2 = coverage_map(_facilities(), catchments=_catchments("EPSG:32631"))
    assert len(_overlays(m2)) == 8 + 9


def test_same_input_same_html(tmp_path):
    a = _html(coverage_map(_facilities(), _catchments(), _gaps()), tmp_path, "a.html")
    b = _html(coverage_map(_facilities(), _catchments(), _gaps()), tmp_path, "b.html")
    assert a == b
    assert not re.search(r"_[0-9a-f]{32}\b", a)  # no random branca ids left


def test_input_errors():
    fac = _facilities()
    with pytest.raises(ig.InputError, match="lang"):
        coverage_map(fac, lang="de")
    with pytest.raises(ig.InputError):
        coverage_map(fac, lang=None)
    with pytest.raises(ig.InputError, match="GeoDataFrame"):
        coverage_map(pd.DataFrame(fac.drop(columns="geometry")))
    with pytest.raises(ig.InputError, match="components"):
        coverage_map(fac.drop(columns="components"))
    with pytest.raises(ig.CRSError):
        coverage_map(fac.set_crs(None, allow_override=True))
    bad = fac.copy()
    bad.loc[0, "component"] = "library"
    with pytest.raises(ig.UnknownComponentError, match="library"):
        coverage_map(bad)
    bad = fac.copy()
    bad.loc[0, "components"] = "meeting;library"
    with pytest.raises(ig.UnknownComponentError, match="library"):
        coverage_map(bad)
    with pytest.raises(ig.InputError, match="catchments"):
        coverage_map(fac, catchments=_catchments().drop(columns="minutes"))
    catch = _catchments()
    catch.loc[0, "component"] = "shops"
    with pytest.raises(ig.UnknownComponentError):
        coverage_map(fac, catchments=catch)
    with pytest.raises(ig.InputError, match="partial"):
        coverage_map(fac, gaps=_gaps().drop(columns="partial"))
    with pytest.raises(ig.InputError, match="gaps"):
        coverage_map(fac, measure="completeness_10")
    with pytest.raises(ig.UnknownComponentError):
        coverage_map(fac, gaps=_gaps(), measure="shops_share_10")
    with pytest.raises(ig.InputError, match="not a column"):
        coverage_map(fac, gaps=_gaps(), measure="completeness_20")
    with pytest.raises(ig.InputError, match="not a gap-analysis measure"):
        coverage_map(fac, gaps=_gaps(), measure="residents")
    with pytest.raises(ig.EmptyDataError):
        coverage_map(fac.iloc[:0])


def test_liechtenstein_map_size(liechtenstein, tmp_path):
    fac = ig.facilities_from_file(liechtenstein)
    m = coverage_map(fac)
    path = tmp_path / "map.html"
    m.save(path)
    size = path.stat().st_size
    print(f"Liechtenstein coverage map: {len(fac)} facilities, {size / 1024:.0f} KB")
    assert size < 5 * 1024 * 1024
    html = path.read_text("utf-8")
    assert html.count('"type": "Feature"') == len(fac)


# ------------------------------------------------------------------------------------------
# browser


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"{reason} (INFRA_GEO_REQUIRE_SHARED_DATA=1 requires it)", pytrace=False)
    pytest.skip(reason)


def _local_asset(url: str) -> Path | None:
    url = url.split("#", 1)[0].split("?", 1)[0]
    for prefix, local in WEB_ASSETS.items():
        if url == prefix or (prefix.endswith("/") and url.startswith(prefix)):
            return ASSETS / (local + url[len(prefix):] if prefix.endswith("/") else local)
    return None


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(
            f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium, or set "
            "INFRA_GEO_CHROMIUM)"
        )
    missing = [local for local in WEB_ASSETS.values() if not (ASSETS / local).exists()]
    if missing:
        _unavailable(
            f"local web assets are missing in {ASSETS} ({', '.join(missing)}): "
            "run tests/fetch_web_assets.sh"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class _Page:
    """A page with CDN requests served locally and every problem recorded."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 860})
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:", "about:")):
            return route.continue_()
        if TILE.match(url):
            return route.fulfill(status=200, content_type="image/png", body=PNG_1X1)
        local = _local_asset(url)
        if local is not None and local.is_file():
            return route.fulfill(path=str(local), headers={"Access-Control-Allow-Origin": "*"})
        if url in UNUSED_CSS:
            return route.fulfill(status=200, content_type="text/css", body="/* unused */")
        self.blocked.append(url)
        return route.abort()

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("window.infraGeoReady === true", timeout=60_000)
        self.page.wait_for_selector(".ig-panel")
        self.page.wait_for_load_state("networkidle")

    def check_clean(self) -> None:
        assert not self.blocked, f"the map requested assets with no local copy: {self.blocked}"
        assert not self.errors, f"errors in the browser: {self.errors}"
        assert not self.dialogs, f"the page opened dialogs (script injection?): {self.dialogs}"

    #: the panel's toggles (issue 16 replaced Leaflet's layer list): components, neighbourhoods,
    #: other layers; a component's label ends in its number of facilities, "(12)"
    TOGGLES = ".ig-panel .ig-comp, .ig-panel .ig-gaps-show, .ig-panel .ig-other"

    def overlay_names(self) -> list[str]:
        return self.page.eval_on_selector_all(
            self.TOGGLES,
            r"els => els.map(e => e.textContent.trim().replace(/\s*\(\d+\)$/, ''))",
        )

    def minutes_options(self) -> list[str]:
        return self.page.eval_on_selector_all(
            ".ig-panel .ig-minutes label", "els => els.map(e => e.textContent.trim())"
        )

    def count(self, key: str) -> int:
        return self.page.locator(f".ig-fac-{key}, .ig-cluster-{key}").count()

    def set_minutes(self, minutes: str) -> None:
        """Pick a walking time in the panel ("" = walking areas off)."""
        self.page.locator(f".ig-panel .ig-minutes input[value='{minutes}']").check()
        self.page.wait_for_timeout(200)

    def toggle(self, name: str) -> None:
        """Click a toggle of the panel; "Sport – 10 min" (a layer of Leaflet's list before
        issue 16) switches the 10-minute walking areas on, or off when they are shown."""
        mt = re.fullmatch(r"(.+) – (\d+) min", name)
        if mt:
            box = self.page.locator(f".ig-panel .ig-minutes input[value='{mt.group(2)}']")
            self.set_minutes("" if box.is_checked() else mt.group(2))
            return
        label = self.page.locator(
            self.TOGGLES, has_text=re.compile(rf"^\s*{re.escape(name)}(\s*\(\d+\))?\s*$")
        )
        assert label.count() == 1, name
        label.locator("input").click()
        self.page.wait_for_timeout(200)


@pytest.mark.browser
def test_browser_liechtenstein(browser, liechtenstein, tmp_path):
    fac = ig.facilities_from_file(liechtenstein)
    m = coverage_map(fac)
    path = tmp_path / "map.html"
    m.save(path)
    pg = _Page(browser)
    pg.open(path)
    names = pg.overlay_names()
    assert names[:8] == LABELS_NL, names
    per_comp = fac["component"].value_counts()
    counts = {k: pg.count(k) for k in KEYS}
    for k in KEYS:
        assert (counts[k] > 0) == (per_comp.get(k, 0) > 0), (k, counts)
    for key, label in (("sports", "Sport"), ("education", "Onderwijs")):
        pg.toggle(label)
        assert pg.count(key) == 0, f"{label} still drawn after switching its layer off"
        assert all(pg.count(k) == counts[k] for k in KEYS if k != key)
        pg.toggle(label)
        assert pg.count(key) == counts[key]
    assert pg.page.locator(".leaflet-control-scale").count() == 1
    assert "Sociale infrastructuur" in pg.page.inner_text(".ig-title")
    assert "OpenStreetMap contributors" in pg.page.inner_text(".ig-note")
    pg.page.screenshot(path=str(tmp_path / "map.png"))
    pg.check_clean()
    pg.page.close()


@pytest.mark.browser
def test_browser_full_map_and_injection(browser, liechtenstein, tmp_path):
    fac = ig.facilities_from_file(liechtenstein)
    vaduz = (9.5215, 47.1410)
    extra = gpd.GeoDataFrame(
        {
            "facility_id": ["node/-1", "way/-2"],
            "component": ["digital", "digital"],
            "components": ["digital", "digital"],
            "category": [f"amenity={HOSTILE}", "amenity=internet_cafe"],
            "name": [HOSTILE, HOSTILE],
            "osm_type": ["node", "way"],
            "osm_id": [-1, -2],
            "addr:street": [HOSTILE, None],
        },
        geometry=[Point(*vaduz), box(vaduz[0] + 0.004, vaduz[1], vaduz[0] + 0.006, vaduz[1] + 0.002)],
        crs="EPSG:4326",
    )
    fac = pd.concat([fac, extra], ignore_index=True)
    gaps = _gaps("EPSG:32632", center_lonlat=vaduz, shape=(4, 5), size_m=1000.0, hostile=True)
    utm = fac.to_crs("EPSG:32632")
    pts = utm.geometry.representative_point()
    catch = gpd.GeoDataFrame(
        {
            "component": np.repeat(utm["component"].to_numpy(), 2),
            "minutes": np.tile([5, 10], len(utm)),
        },
        geometry=[p.buffer(400 * k) for p in pts for k in (1, 2)],
        crs="EPSG:32632",
    )
    m = coverage_map(fac, catchments=catch, gaps=gaps, title=HOSTILE)
    path = tmp_path / "full.html"
    m.save(path)
    pg = _Page(browser)
    pg.open(path)
    page = pg.page
    page.screenshot(path=str(tmp_path / "full-start.png"))
    names = pg.overlay_names()
    assert names[:8] == LABELS_NL
    # the panel replaced the layer list (issue 16): one walking-time choice, then neighbourhoods
    assert pg.minutes_options() == ["uit", "5 min", "10 min"]
    assert names[8] == "Buurten kleuren"
    assert page.inner_text(".ig-title") == HOSTILE
    # catchments are hidden at first; switching one on draws it
    assert page.locator(".ig-catch").count() == 0
    pg.toggle("Sport – 10 min")
    assert page.locator(".ig-catch-sports").count() == 1
    # the choropleth: legend, measure switch, partial hatch
    assert page.locator(".ig-gap").count() == len(gaps)
    assert page.locator(".ig-gap-partial").count() == 1
    # the opening measure is the 10-min one in most classes (issue 16; was completeness_10)
    assert "binnen 10 min" in page.inner_text(".ig-legend")
    page.select_option(".ig-panel select.ig-measure", "completeness_10")
    assert "componenten (0–8)" in page.inner_text(".ig-legend")

    def fills():
        return page.eval_on_selector_all(
            "path.ig-gap:not(.ig-gap-partial)", "els => els.map(e => e.getAttribute('fill'))"
        )

    before = fills()
    page.select_option(".ig-panel select.ig-measure", "care_share_15")
    assert fills() != before
    assert "Zorg: aandeel inwoners binnen 15 min" in page.inner_text(".ig-legend")
    # hostile names: real clicks and hovers open popups and tooltips; text, never markup
    page.locator("path.ig-gap-partial").hover()  # unit 0, the hostile one
    page.wait_for_selector(".leaflet-tooltip")
    tip = page.inner_text(".leaflet-tooltip")
    assert HOSTILE in tip and "randeffect" in tip
    page.mouse.move(5, 400)
    page.evaluate(
        "() => { const m = window[document.querySelector('.folium-map').id];"
        f" m.setView([{vaduz[1] + 0.001}, {vaduz[0] + 0.003}], 17, {{animate: false}}); }}"
    )
    page.wait_for_timeout(300)
    for i in range(page.locator(".ig-fac-digital").count()):
        page.locator(".ig-fac-digital").nth(i).click(force=True)
        page.wait_for_selector(".leaflet-popup-content")
        popup = page.inner_text(".leaflet-popup-content")
        assert HOSTILE in popup, popup
        assert page.locator(".leaflet-popup-content img").count() == 0
        page.keyboard.press("Escape")
    assert page.locator(".leaflet-pane img[src='x']").count() == 0
    page.screenshot(path=str(tmp_path / "full.png"))
    pg.check_clean()
    page.close()


@pytest.mark.browser
def test_browser_capacity_measure_and_suggested_sites(browser, liechtenstein, tmp_path):
    """The capacity measure in the legend and the suggested sites (issue 15) in a real browser,
    on Liechtenstein, with a hostile unit name in the popups and tooltips."""
    import dataclasses

    res = ig.analyse(liechtenstein, neighbourhoods="admin:8", total_population=38_000, lang="en")
    gaps = res.gaps.copy()
    gaps.loc[gaps["unit_name"] == "Balzers", "unit_name"] = HOSTILE
    res = dataclasses.replace(res, gaps=gaps).with_capacity("care", minutes=10)
    s = ig.suggest_sites(res, "care", k=3, minutes=10, spacing_m=200)
    path = tmp_path / "sites.html"
    res.map(measure="care_supply_10", suggestions=s).save(path)
    pg = _Page(browser)
    page = pg.page
    page.set_viewport_size({"width": 1280, "height": 720})  # issue 16: nothing overlaps
    pg.open(path)
    boxes = _boxes(page)
    assert {"ig-title", "ig-panel", "ig-legend", "ig-note"} <= set(boxes)
    assert not _overlaps(boxes), boxes
    assert all(_inside(b, 1280, 720) for b in boxes.values()), boxes
    legend = page.inner_text(".ig-legend")
    assert "Care: capacity per 1,000 residents within 10 min" in legend
    assert "capacity: 1 per facility (no size known)" in legend
    names = pg.overlay_names()
    assert [n for n in names if n.startswith("Suggestion")] == [
        f"Suggestion {r}: +{v:,.0f} residents"
        for r, v in zip(s.sites["rank"], s.sites["newly_reached"], strict=True)
    ]
    assert page.locator(".ig-site").count() == len(s.sites)
    assert page.locator("path.ig-site-unit").count() == int(s.sites["units_helped"].sum())
    # the suggestion reaching the hostile-named unit: its popup lists it as text
    rank = int(s.by_unit.loc[s.by_unit["unit_name"] == HOSTILE, "rank"].iloc[0])
    page.locator(".ig-site", has_text=re.compile(rf"^{rank}$")).dispatch_event("click")
    page.wait_for_selector(".leaflet-popup-content")
    popup = page.inner_text(".leaflet-popup-content")
    assert HOSTILE in popup and f"Suggestion {rank} for Care" in popup
    assert page.locator(".leaflet-popup-content img").count() == 0
    page.keyboard.press("Escape")
    # switching a suggestion off removes its marker and its outlines
    first = next(n for n in names if n.startswith("Suggestion 1:"))
    pg.toggle(first)
    assert page.locator(".ig-site").count() == len(s.sites) - 1
    assert page.locator("path.ig-site-unit-1").count() == 0
    page.screenshot(path=str(tmp_path / "sites.png"))
    pg.check_clean()
    page.close()


# ------------------------------------------------------------------------------------------
# municipality scale: a cut of Malta (issue 14, item 3)

#: the harbour towns of Malta (Valletta to Birkirkara): 5.5k network nodes, ~520 facilities,
#: the densest part of the island; analysing the whole island takes about a minute
MALTA_CUT = (14.47, 35.87, 14.52, 35.91)
#: map.html of the whole of Malta (analyse(hex:1000), 3.7k km of streets, 3.3k facilities)
#: may weigh this much (issue 14; 11.4 MB before the map was made compact, 3.8 MB after)
MALTA_MAP_BUDGET = 5_000_000


@pytest.fixture(scope="module")
def malta_cut(tmp_path_factory):
    """(Analysis of the Malta cut, its saved map.html, the whole island's network, facilities)."""
    from conftest import shared_path
    from shapely.geometry import box as _box

    malta = shared_path("osm/malta-2018.osm.pbf")
    res = ig.analyse(osm_file=malta, polygon=_box(*MALTA_CUT), neighbourhoods="hex:1000")
    path = tmp_path_factory.mktemp("malta-cut") / "map.html"
    res.map().save(str(path))
    whole = (ig.walk_network_from_file(malta), ig.facilities_from_file(malta))
    return res, path, whole


def test_malta_cut_map_size_within_the_malta_budget(malta_cut):
    """The Malta budget (5 MB), scaled to the cut by its share of what makes a map heavy:
    street length (catchment outlines follow the streets) or facilities (drawn one by one),
    whichever share is larger."""
    res, path, (net, fac) = malta_cut
    km_share = float(res.network.edge_length.sum() / net.edge_length.sum())
    fac_share = len(res.facilities) / len(fac)
    bound = MALTA_MAP_BUDGET * max(km_share, fac_share)
    size = path.stat().st_size
    print(
        f"Malta cut map.html: {size / 1e6:.2f} MB for {km_share:.1%} of Malta's streets and "
        f"{fac_share:.1%} of its facilities; bound {bound / 1e6:.2f} MB ({size / bound:.0%})"
    )
    assert 0.05 < km_share < 0.3 and 0.05 < fac_share < 0.3  # a cut, not the island
    assert size <= bound


def test_catchment_rings_compose_to_the_catchments(malta_cut):
    """Each layer stores its ring only; the rings up to a threshold cover its catchment."""
    from infra_geo.maps._common import _SIMPLIFY_CATCHMENT_M

    res, _path, _whole = malta_cut
    m = coverage_map(res.facilities, catchments=res.catchments)
    layers = {_strip_tags(el.layer_name): el for el in _overlays(m)}
    utm = res.catchments.crs
    for c in COMPONENTS:
        drawn = []
        for mins in (5, 10, 15):
            fg = layers.get(f"{c.label_nl} – {mins} min")
            if fg is None:
                continue
            ring = next(iter(fg._children.values()))
            # rounded to ~1 m, a ring may touch itself: made valid to measure it, as the page
            # fills it (shells minus holes)
            drawn.append(
                shapely.make_valid(
                    gpd.GeoSeries([ring.ring], crs=4326).to_crs(utm).iloc[0],
                    method="structure",
                    keep_collapsed=False,
                )
                if ring.ring is not None
                else Point()
            )
            # the page draws the rings up to this threshold as one polygon
            assert [el.get_name() for el in ring.lower] == [
                next(iter(layers[f"{c.label_nl} – {m0} min"]._children.values())).get_name()
                for m0 in (5, 10, 15) if m0 < mins
            ]
            union = gpd.GeoSeries(drawn, crs=utm).union_all()
            sel = (res.catchments["component"] == c.key) & (res.catchments["minutes"] == mins)
            want = res.catchments.loc[sel].geometry.iloc[0]
            iou = union.intersection(want).area / union.union(want).area
            assert iou > 0.99, (c.key, mins, iou)
            # nothing farther than the display tolerance (and the rounding) from the catchment
            assert union.difference(want.buffer(_SIMPLIFY_CATCHMENT_M + 2)).area < 1.0
        # rings do not repeat area: they only share edges, up to the ~1 m rounding (0.01-0.14
        # per mille on this cut; 1 per mille when each area was simplified on its own)
        for i in range(len(drawn)):
            for j in range(i + 1, len(drawn)):
                small = min(drawn[i].area, drawn[j].area)
                assert drawn[i].intersection(drawn[j]).area < 3e-4 * small + 10.0


@pytest.mark.browser
def test_browser_malta_cut_opens_fast(browser, malta_cut, tmp_path):
    res, path, _whole = malta_cut
    pg = _Page(browser)
    page = pg.page
    page.goto(path.as_uri(), wait_until="commit")
    page.wait_for_function("window.infraGeoReady === true", timeout=60_000)
    ready_ms = page.evaluate("window.infraGeoReadyMs")  # since navigation started
    print(f"Malta cut map ({path.stat().st_size / 1e6:.2f} MB) ready in {ready_ms:.0f} ms")
    assert ready_ms < 15_000
    page.wait_for_load_state("networkidle")
    names = pg.overlay_names()
    assert names[:8] == LABELS_NL and "15 min" in pg.minutes_options()
    # switching a threshold on draws the rings up to it as one path, exactly as stored
    assert page.locator(".ig-catch").count() == 0
    pg.toggle("Sport – 15 min")
    assert page.locator(".ig-catch-sports").count() == 1
    got = page.evaluate(
        "() => { const m = window[document.querySelector('.folium-map').id]; const out = [];"
        " m.eachLayer(l => { if (l instanceof L.Polygon &&"
        " (l.options.className || '').includes('ig-catch-sports')) {"
        " l.getLatLngs().forEach(p => p.forEach(r => r.forEach(ll => out.push([ll.lat, ll.lng]))));"
        " } }); return out; }"
    )
    m = coverage_map(res.facilities, catchments=res.catchments)
    rings = [
        next(iter(el._children.values())).ring
        for el in _overlays(m)
        if _strip_tags(el.layer_name).startswith("Sport – ")
    ]
    want = []
    for ring in rings:
        for g in shapely.get_parts(shapely.orient_polygons(shapely.get_parts(ring))):
            poly = []
            for r in shapely.get_rings(g):
                pts: list[tuple[float, float]] = []
                for lon, lat in shapely.get_coordinates(r)[:-1]:
                    if not pts or (lat, lon) != pts[-1]:  # rounded onto the one before
                        pts.append((lat, lon))
                while len(pts) > 1 and pts[-1] == pts[0]:
                    pts.pop()
                poly.append(pts)
            if len(poly[0]) >= 3:  # rings rounded to less than a triangle are not drawn
                want.extend(pt for pts in poly if len(pts) >= 3 for pt in pts)
    assert len(got) == len(want) > 1000
    assert np.abs(np.array(got) - np.array(want)).max() < 1e-9
    pg.toggle("Sport – 15 min")
    assert page.locator(".ig-catch-sports").count() == 0
    page.screenshot(path=str(tmp_path / "malta-cut.png"))
    pg.check_clean()
    page.close()


def test_template_syntax_in_osm_text_is_shown_not_run(tmp_path):
    """folium renders each script through Jinja once more: OSM text must not reach it raw."""
    fac = _facilities(hostile=True)
    jinja = "{{ 7*7 }} {% if true %}IF{% endif %} {# c #}"
    fac.loc[0, "name"] = jinja
    fac.loc[1, "addr:street"] = "{{ cycler.__init__ }}"
    gaps = _gaps(hostile=True)
    gaps.loc[1, "unit_name"] = jinja
    raw = _html(coverage_map(fac, gaps=gaps, title=jinja), tmp_path)
    text = _decoded(raw)
    assert "49 IF" not in text and "bound method" not in text  # what Jinja would make
    assert "&#123;&#123; cycler.__init__ &#125;&#125;" in text
    assert text.count("&#123;&#123; 7*7 &#125;&#125;") >= 3  # name, unit name, title


def test_neighbourhoods_keep_their_shared_edges(amsterdam_buurten):
    """CBS buurten are simplified as one coverage: no sliver opens between two neighbours."""
    units = ig.neighbourhoods_from_file(amsterdam_buurten)
    gaps = gpd.GeoDataFrame(
        {
            "unit_id": units["unit_id"],
            "unit_name": units["unit_name"],
            "residents": 100,
            "partial": False,
            "completeness_10": 4.0,
        },
        geometry=units.geometry.to_numpy(),
        crs=units.crs,
    )
    layer = next(
        el for el in _overlays(coverage_map(_facilities(), gaps=gaps)) if el._name == "InfraGeoGaps"
    )
    drawn = [shape(f["geometry"]) for f in layer.data["features"]]
    assert len(drawn) == len(units) > 400

    def holes(g) -> int:
        return int(shapely.get_num_interior_rings(shapely.get_parts(g)).sum())

    # (simplified polygon by polygon, 682 slivers opened between these buurten)
    assert holes(shapely.union_all(drawn)) <= holes(shapely.union_all(units.geometry.to_numpy()))
    digits = re.findall(r"\.(\d+)", json.dumps(layer.data["features"][0]["geometry"]))
    assert max(len(d) for d in digits) <= 5


# ------------------------------------------------------------------------------------------
# issue 16: human labels of facility types, the panel, layout at three screen sizes


def test_facility_types_have_human_labels(tmp_path):
    """Every category the default rules can give has a Dutch and an English label (data in
    components.toml); popups show it instead of the raw tag; an unknown tag stays as it is."""
    from infra_geo.components import load_rules

    rules = load_rules()
    missing = [
        f"{key}={v}"
        for r in rules.rules
        for key in [next(iter(r.tags))]
        for v in r.tags[key]
        if rules.category_label(f"{key}={v}" if v != "*" else f"{key}=anything") is None
    ]
    assert not missing, missing
    assert rules.category_label("amenity=theatre") == "Theater"
    assert rules.category_label("amenity=theatre", lang="en") == "Theatre"
    assert rules.category_label("club=chess", lang="en") == "Club"  # club=* covers every club
    fac = _facilities(hostile=True)
    fac.loc[2, "category"] = "amenity=theatre"
    fac.loc[3, "category"] = "amenity=unheard_of"
    for lang, want, word in (("nl", "Theater", "Categorie"), ("en", "Theatre", "Category")):
        popups = [f["properties"]["popup"] for f in _features(coverage_map(fac, lang=lang))]
        assert any(f"{word}: {want}<" in p for p in popups), popups
        assert not any("amenity=theatre" in p for p in popups)
        assert any(f"{word}: amenity=unheard_of" in p for p in popups)
        assert any(f"amenity={HOSTILE_ESCAPED}" in p for p in popups)  # unlabelled: escaped
    with pytest.raises(ig.RulesError, match="needs both 'nl' and 'en'"):
        load_rules({"rule": [{"component": "care", "tags": {"amenity": ["doctors"]}}],
                    "labels": {"amenity=doctors": {"nl": "Huisarts"}}})


VIEWPORTS = [(1366, 860), (1280, 720), (1024, 600), (768, 1024), (390, 844)]


@pytest.fixture(scope="module")
def amsterdam_map(amsterdam_pbf, amsterdam_buurten, tmp_path_factory):
    """Amsterdam-Centrum with CBS buurten, as a user gets it: analyse(...).map()."""
    res = ig.analyse(osm_file=amsterdam_pbf, neighbourhoods=amsterdam_buurten)
    path = tmp_path_factory.mktemp("amsterdam-map") / "map.html"
    res.map().save(str(path))
    return res, path


def _boxes(page) -> dict[str, dict]:
    """Bounding boxes of the title, panel, legend and note as shown (hidden ones left out)."""
    out = {}
    for name in ("ig-title", "ig-panel", "ig-legend", "ig-note"):
        loc = page.locator(f".{name}")
        if loc.count() == 1 and loc.is_visible():
            out[name] = loc.bounding_box()
    return out


def _overlaps(boxes: dict[str, dict]) -> list[tuple[str, str]]:
    def hit(a: dict, b: dict) -> bool:
        return (
            a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
        )

    names = sorted(boxes)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if hit(boxes[a], boxes[b])]


def _inside(b: dict, w: int, h: int) -> bool:
    return b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= w and b["y"] + b["height"] <= h


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_browser_panel_layout_and_controls(browser, amsterdam_map, tmp_path, width, height):
    """Issue 16: the panel fits or collapses, title/panel/legend/note never overlap, a
    component toggle hides its facilities and walking area, minutes and measure redraw, and
    Amsterdam-Centrum opens in at least three colour classes; screenshots in tmp_path."""
    res, path = amsterdam_map
    pg = _Page(browser)
    page = pg.page
    page.set_viewport_size({"width": width, "height": height})
    pg.open(path)
    shot = f"{width}x{height}"
    page.screenshot(path=str(tmp_path / f"open-{shot}.png"))
    assert "Amsterdam" in page.inner_text(".ig-title")  # the place is named
    assert page.locator(".leaflet-control-layers").count() == 0  # no Leaflet layer list
    narrow = width <= 600
    panel = page.locator(".ig-panel")
    assert ("ig-collapsed" in panel.get_attribute("class")) == narrow
    boxes = _boxes(page)
    assert {"ig-title", "ig-panel", "ig-legend", "ig-note"} <= set(boxes), boxes
    assert not _overlaps(boxes), (shot, boxes)
    assert all(_inside(b, width, height) for b in boxes.values()), (shot, boxes)
    if narrow:
        assert boxes["ig-panel"]["height"] < 60 and boxes["ig-panel"]["width"] < 200
        page.click(".ig-panel-toggle")
        page.wait_for_timeout(100)
        opened = _boxes(page)
        assert "ig-legend" not in opened and "ig-note" not in opened  # the panel is on top
        assert _inside(opened["ig-panel"], width, height)
        page.screenshot(path=str(tmp_path / f"panel-{shot}.png"))
    # the opening view shows differences: at least three colour classes among the buurten
    fills = page.eval_on_selector_all("path.ig-gap", "els => els.map(e => e.getAttribute('fill'))")
    classes = set(fills) - {"#cccccc"}
    assert len(fills) == len(res.gaps) and len(classes) >= 3, (fills, page.inner_text(".ig-legend"))
    # facilities per component, and a component toggle takes facilities and walking area away
    counts = {k: pg.count(k) for k in KEYS}
    key = max(KEYS, key=lambda k: counts[k])  # the component with most drawn facilities
    label = LABELS_NL[KEYS.index(key)]
    assert page.locator(".ig-catch").count() == 0
    pg.set_minutes("10")
    drawn = {k: page.locator(f".ig-catch-{k}").count() for k in KEYS}
    assert drawn[key] == 1 and sum(drawn.values()) >= 5, drawn
    d10 = page.get_attribute(f"path.ig-catch-{key}", "d")
    pg.toggle(label)
    assert pg.count(key) == 0 and page.locator(f".ig-catch-{key}").count() == 0
    assert all(pg.count(k) == counts[k] for k in KEYS if k != key)
    assert all(page.locator(f".ig-catch-{k}").count() == drawn[k] for k in KEYS if k != key)
    pg.toggle(label)
    assert pg.count(key) == counts[key] and page.locator(f".ig-catch-{key}").count() == 1
    # another walking time redraws every walking area
    pg.set_minutes("5")
    d5 = page.get_attribute(f"path.ig-catch-{key}", "d")
    assert page.locator(f".ig-catch-{key}").count() == 1 and d5 != d10
    pg.set_minutes("")
    assert page.locator(".ig-catch").count() == 0
    # another measure recolours the buurten and the legend
    legend = page.inner_text(".ig-legend")
    page.select_option(".ig-panel select.ig-measure", "completeness_5")
    after = page.eval_on_selector_all("path.ig-gap", "els => els.map(e => e.getAttribute('fill'))")
    assert after != fills and page.inner_text(".ig-legend") != legend
    assert "binnen 5 min" in page.inner_text(".ig-legend")
    if narrow:
        page.click(".ig-panel-toggle")
        page.wait_for_timeout(100)
    boxes = _boxes(page)
    assert not _overlaps(boxes), (shot, "after switching", boxes)
    page.screenshot(path=str(tmp_path / f"switched-{shot}.png"))
    print(f"{shot}: {len(classes)} colour classes at opening; boxes {boxes}")
    pg.check_clean()
    page.close()


def test_place_in_default_title(tmp_path):
    """The default title names the place (escaped); a given title wins; place must be text."""
    fac = _facilities()
    html = _decoded(_html(coverage_map(fac, place=f"Vaduz {HOSTILE}"), tmp_path))
    assert f"Sociale infrastructuur op loopafstand – Vaduz {HOSTILE_ESCAPED}" in html
    assert HOSTILE not in html
    en = _decoded(_html(coverage_map(fac, lang="en", place="Vaduz", title="Mine"), tmp_path))
    assert "Mine" in en and "– Vaduz" not in en
    with pytest.raises(ig.InputError, match="place must be a string"):
        coverage_map(fac, place=3)
