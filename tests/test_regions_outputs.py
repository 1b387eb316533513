"""The merged batch outputs as a planner reads them (``_regions_merge``): summary.md and map.html.

A small hand-built merged gap table (three regions, one with a hostile OSM name, one failed)
is merged with :func:`infra_geo._regions_merge.write_merged`; every figure of the summary is
checked against a hand computation over the units, the map in headless Chromium. The real
Liechtenstein batch is checked in ``tests/test_regions.py``
(``test_liechtenstein_summary_and_map_for_planners``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_maps import HOSTILE, HOSTILE_ESCAPED, _Page, browser  # noqa: F401 - fixture

from infra_geo import _i18n, _schema
from infra_geo._regions_merge import coverage_line, region_headline, summary_md, write_merged
from infra_geo.components import COMPONENTS

KEYS = [c.key for c in COMPONENTS]
M = 10


def _regions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "region_key": ["r-b", "r-a", "r-x", "r-f"],
            "region_name": ["Zuid", "noord", HOSTILE, "Mislukt"],
            "status": ["done", "done", "skipped", "failed"],
            "units": [3, 4, 2, 5],
        },
        geometry=[shapely.box(i * 0.01, 0, i * 0.01 + 0.01, 0.01) for i in range(4)],
        crs="EPSG:4326",
    )


def _gaps() -> gpd.GeoDataFrame:
    """Nine units in three regions: partial, data-problem and empty units among them."""
    rng = np.random.default_rng(7)
    key = ["r-a"] * 4 + ["r-b"] * 3 + ["r-x"] * 2
    reg = _regions().set_index("region_key")
    g = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(9)],
            "unit_name": [f"u{i}" for i in range(9)],
            "region_key": key,
            "region_name": [reg.loc[k, "region_name"] for k in key],
            "residents": [100.0, 250.0, 0.0, 40.0, 300.0, 60.0, 500.0, 80.0, 20.0],
            "partial": [False, False, False, True, False, False, False, False, False],
            "data_problem": [False, False, False, False, False, True, False, False, True],
            "residents_outside_data": [0.0, 0, 0, 12, 0, 0, 0, 0, 0],
            "unplaced": [0.0, 0, 0, 0, 0, 3, 0, 0, 0],
        }
    )
    g["population_input"] = g["residents"] + g["residents_outside_data"] + g["unplaced"]
    for m in (5, 10, 15):
        for k in KEYS:
            g[_schema.share(k, m)] = rng.uniform(0, 1, len(g)).round(3)
        g.loc[1, _schema.share("digital", m)] = np.nan  # no share known: counts as 0
        g[_schema.all8_share(m)] = rng.uniform(0, 0.5, len(g)).round(3)
    pts = [shapely.Point(0.005 + 0.01 * ["r-a", "r-b", "r-x"].index(k), 0.005) for k in key]
    return gpd.GeoDataFrame(g, geometry=pts, crs="EPSG:4326")


def _facts(**kw) -> dict:
    g = _gaps()
    facts = {
        "source": "test.osm.pbf",
        "regions": 4,
        "done": 2,
        "skipped": 1,
        "failed": 1,
        "empty": [],
        "units": len(g),
        "residents": float(g["residents"].sum()),
        "units_outside": ["h-1", "h-2"],
        "outside_residents": 1234.4,
        "outside_how": "estimated",
        "dropped": [],
        "failures": {"Mislukt": "RuntimeError: boom"},
        "buffer_m": 1870,
        "minutes": M,
    }
    return {**facts, **kw}


def _hand_share(g: pd.DataFrame, key: str, col: str) -> float:
    """Residents-weighted share over the region's headline units, by a plain loop."""
    num = den = 0.0
    for _, r in g.iterrows():
        if r["region_key"] != key or r["partial"] or r["data_problem"] or r["residents"] <= 0:
            continue
        v = 0.0 if pd.isna(r[col]) else float(r[col])
        num += v * r["residents"]
        den += r["residents"]
    return num / den if den > 0 else float("nan")


def _table_rows(summary: str) -> dict[str, list[str]]:
    """The per-region table of summary.md: region cell -> the other cells."""
    rows = [ln for ln in summary.splitlines() if ln.startswith("| ") and "---" not in ln]
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]] for ln in rows]
    return {c[0]: c[1:] for c in cells}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_region_table_equals_hand_computation(lang):
    g = _gaps()
    table = region_headline(g, _regions(), M)
    text = summary_md(_facts(), table, lang)
    rows = _table_rows(text)
    header = next(iter(rows.items()))
    labels = [c.label(lang) for c in COMPONENTS]
    assert header[1][-8:] == labels  # the single-run summary's component labels, in lang
    assert header[1][4] == ("alle 8 binnen 10 min" if lang == "nl" else "all 8 within 10 min")
    body = list(rows)[1:]
    # sorted by name, case-folded: Mislukt, noord, Zuid, then the hostile name ("<" sorts first)
    assert body == [HOSTILE_ESCAPED, "Mislukt", "noord", "Zuid"]
    for key, name in (("r-a", "noord"), ("r-b", "Zuid"), ("r-x", HOSTILE_ESCAPED)):
        row = table.loc[table["region_key"] == key].iloc[0]
        cols = [_schema.all8_share(M)] + [_schema.share(k, M) for k in KEYS]
        for i, col in enumerate(cols):
            want = _hand_share(g, key, col)
            got = row["share" if i == 0 else KEYS[i - 1]]
            assert got == pytest.approx(want, abs=1e-12), (key, col)
            assert rows[name][4 + i] == _i18n.percent(want, lang), (key, col)
        sub = g.loc[g["region_key"] == key]
        left = sub["partial"] | sub["data_problem"]
        assert rows[name][0] == _i18n.number(len(sub), lang)
        assert rows[name][1] == _i18n.number(round(sub["residents"].sum()), lang)
        assert rows[name][2] == _i18n.number(int(left.sum()), lang)
        assert rows[name][3] == _i18n.number(round(sub.loc[left, "residents"].sum()), lang)
    assert rows["Mislukt"] == ["-"] * 13  # failed: no figures, not zeros
    # r-a: u3 partial, u2 without residents -> headline over u0 and u1 only
    assert table.set_index("region_key").loc["r-a", "head_residents"] == 350.0


def test_coverage_line_counts_what_the_shares_leave_out():
    g = _gaps()
    nl = coverage_line(g, "nl")
    # headline: u0, u1, u4, u6, u7 = 100 + 250 + 300 + 500 + 80; input 1350 + 12 + 3
    assert nl.startswith("Kerncijfers over 1.230 van 1.365 inwoners (5 gebieden; ")
    assert "1 gedeeltelijk(e) gebied(en) en 2 ander(e) gebied(en) met een dataprobleem" in nl
    assert "12 inwoners wonen buiten de data, 3 konden niet worden geplaatst" in nl
    assert "De weggelaten eenheden hebben samen 120 inwoners" in nl  # u3 40, u5 60, u8 20
    en = coverage_line(g, "en")
    assert en.startswith("Headline covers 1,230 of 1,365 residents (5 units; ")
    assert "The units left out hold 120 residents" in en


@pytest.mark.parametrize(
    "kw, nl_text",
    [
        ({}, "Eenheden buiten elke regio: 2, met samen 1.234 inwoners (geschat uit woonoppervlak"),
        (
            {"outside_how": "given", "outside_unknown_units": 1},
            "2, met samen 1.234 inwoners (volgens de bevolking van de eenheden; van 1 "
            "eenheid/eenheden onbekend)",
        ),
        (
            {"outside_residents": None, "outside_how": "raster"},
            "Eenheden buiten elke regio: 2, hun aantal inwoners is onbekend",
        ),
        ({"units_outside": [], "outside_residents": 0.0}, "Eenheden buiten elke regio: 0."),
    ],
)
def test_units_outside_say_how_many_residents(kw, nl_text):
    text = summary_md(_facts(**kw), region_headline(_gaps(), _regions(), M), "nl")
    assert nl_text in text
    if kw.get("units_outside") != []:
        assert "niet in de tabel en niet in de percentages (h-1, h-2)." in text


def _write(out: Path, lang: str = "nl") -> dict[str, Path]:
    facts = _facts()
    return write_merged(out, _gaps(), _regions(), facts, lang)


def test_merge_escapes_osm_names_and_is_deterministic(tmp_path):
    a, b = _write(tmp_path / "a"), _write(tmp_path / "b")
    for name in ("summary.md", "map.html"):
        assert a[name].read_bytes() == b[name].read_bytes(), name
    page = a["map.html"].read_text(encoding="utf-8")
    # the map's data is JSON in a script (folium writes "&" and "<" as \\u0026, \\u003c)
    assert HOSTILE not in page and HOSTILE_ESCAPED.replace("&", "\\u0026") in page
    summary = a["summary.md"].read_text(encoding="utf-8")
    assert HOSTILE not in summary and HOSTILE_ESCAPED in summary
    # the failed region's 5 units are said to be missing, not dropped silently
    assert "Hun eenheden (5) en inwoners ontbreken in de tabel en de percentages" in summary
    # each region with outputs links its map; the failed one has none
    assert page.count('href=\\"../regions/') == 3 and "../regions/r-f/" not in page
    assert "test.osm.pbf" in page and "aandeel inwoners" in page


def test_overview_map_switches_measure_in_a_browser(browser, tmp_path):  # noqa: F811
    paths = _write(tmp_path / "b")
    shutil.rmtree(tmp_path / "b" / "regions", ignore_errors=True)
    page = _Page(browser)
    page.page.goto(paths["map.html"].as_uri(), wait_until="load")
    page.page.wait_for_function("window.infraGeoReady === true", timeout=60_000)
    table = region_headline(_gaps(), _regions(), M)
    shown = "Array.from(document.querySelectorAll('path.leaflet-interactive'))"
    fills = page.page.evaluate(f"{shown}.map(e => e.getAttribute('fill'))")
    assert len(fills) == 4
    assert fills == [_colour_of(v) for v in table["share"]]  # all 8 first, in table order
    options = page.page.evaluate(
        "Array.from(document.querySelectorAll('select.ig-measure option')).map(o => o.text)"
    )
    assert options == ["alle 8 binnen 10 min", *[c.label("nl") for c in COMPONENTS]]
    for i, k in enumerate(KEYS, start=1):
        page.page.select_option("select.ig-measure", str(i))
        fills = page.page.evaluate(f"{shown}.map(e => e.getAttribute('fill'))")
        assert fills == [_colour_of(v) for v in table[k]], k
        caption = page.page.inner_text(".ig-legend-title")
        assert (
            caption == f"aandeel inwoners met {COMPONENTS[i - 1].label('nl')} binnen 10 min lopen"
        )
    page.page.locator("path.leaflet-interactive").nth(0).click(force=True)  # the hostile name
    popup = page.page.inner_text(".leaflet-popup-content")
    assert popup.startswith(HOSTILE) and "Openbare ruimte" in popup and "inwoners" in popup
    title = page.page.inner_text(".ig-title")
    assert "test.osm.pbf" in title and "10 min" in title
    page.check_clean()


def _colour_of(share: float) -> str:
    if not np.isfinite(share):
        return "#bbbbbb"
    edges = [0.2, 0.4, 0.6, 0.8]
    colours = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
    return colours[sum(share >= e for e in edges)]
