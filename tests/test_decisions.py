"""Decisions on a result (issue 15 items 1 and 3): the result forms of ``capacity_access`` and
``suggest_sites``, the capacity columns of the gap table (``Analysis.with_capacity``), and the
suggested sites on the map, on the real Liechtenstein extract.

The result forms take the residents as the gap table placed them and the analysis's own access
engine; the explicit forms get the run's raw population points (in Liechtenstein no unit is
partial, so every placed resident is a raw one): both must give the same numbers, and the
figures must add up to the gap table's own (residents per unit, residents already reached).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

import infra_geo as ig
from infra_geo import _schema

pytestmark = [
    pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning"),
]

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture(scope="module")
def li(liechtenstein) -> ig.Analysis:
    res = ig.analyse(liechtenstein, neighbourhoods="admin:8", total_population=38_000, lang="en")
    assert not res.gaps["partial"].any()  # every placed resident is a raw population point
    assert res.gaps["residents"].sum() == pytest.approx(38_000, rel=1e-9)
    return res


def _sizes(n: int) -> np.ndarray:
    """A deterministic, uneven capacity per facility (e.g. seats)."""
    return 10.0 + (np.arange(n) * 37 % 101)


def _group_ids(res: ig.Analysis, key: str) -> pd.Series:
    j = ig.COMPONENT_KEYS.index(key)
    fac = res.facilities
    return fac.loc[ig.component_matrix(fac, ig.COMPONENT_KEYS)[:, j], "facility_id"]


# ------------------------------------------------------------------------------ capacity


def test_capacity_column_names_parse_back():
    assert _schema.supply("public_space", 15) == "public_space_supply_15"
    assert _schema.parse("public_space_supply_15") == ("public_space", "supply", 15)
    assert _schema.parse("care_supply_method") == ("care", "supply_method", None)
    assert _schema.parse("public_space_capacity_source") == ("public_space", "capacity_source", None)
    assert _schema.parse("care_supply") is None  # a supply column always has its minutes
    with pytest.raises(ValueError, match="needs"):
        _schema.column("care", "supply")
    assert _schema.describe("care_supply_10").startswith("only when asked for")


@pytest.mark.parametrize(
    ("method", "opts"),
    [("2sfca", {}), ("e2sfca", {}), ("gravity", {"decay": "power", "beta": 1.5})],
)
def test_capacity_result_form_equals_explicit_form(li, method, opts):
    key = "education"
    ids = _group_ids(li, key)
    cap = pd.Series(_sizes(len(ids)), index=ids.to_numpy())  # keyed by facility_id
    ca = ig.capacity_access(li, key, method=method, capacity=cap, minutes=10, **opts)
    ex = ig.capacity_access(
        li.network, li.facilities, li.population, key,
        method=method, capacity=cap.to_numpy(), minutes=10, entrances=li.entrances, **opts,
    )  # fmt: skip
    assert ca.capacity_source == ex.capacity_source == "user"
    assert ca.cutoff_m == pytest.approx(10 * ig.metres_per_minute(li.speed_kmh))
    # per unit: the same supply per 1,000 over the same residents
    pd.testing.assert_series_equal(ca.units["per_1000"], ex.units["per_1000"], rtol=1e-9)
    pd.testing.assert_series_equal(ca.units["residents"], ex.units["residents"], rtol=1e-9)
    assert (ca.units["per_1000"] > 0).sum() >= 5  # not a vacuous match
    np.testing.assert_allclose(
        ca.facilities["demand_reached"], ex.facilities["demand_reached"], rtol=1e-9
    )
    # the residents are the gap table's, unit by unit
    g = li.gaps.set_index("unit_id")
    np.testing.assert_allclose(ca.units["residents"], g.loc[ca.units.index, "residents"], rtol=1e-9)
    if method == "2sfca":  # every unit of a reached facility's capacity is handed out once
        used = ca.facilities["demand_reached"].to_numpy() > 0
        p = ca.points["population"].to_numpy()
        handed = (p * ca.points["access"].to_numpy()).sum()
        assert handed == pytest.approx(cap.to_numpy()[used].sum(), rel=1e-9)


def test_with_capacity_adds_documented_columns(li, tmp_path):
    key = "education"
    ids = _group_ids(li, key)
    cap = dict(zip(ids, _sizes(len(ids)), strict=True))
    r2 = li.with_capacity(key, capacity=cap)
    cols = [_schema.supply(key, m) for m in li.minutes]
    assert cols == ["education_supply_5", "education_supply_10", "education_supply_15"]
    assert not any(c in li.gaps.columns for c in cols)  # the original result is untouched
    for m, c in zip(li.minutes, cols, strict=True):
        ref = ig.capacity_access(li, key, capacity=cap, minutes=m).units["per_1000"]
        got = r2.gaps.set_index("unit_id")[c]
        np.testing.assert_allclose(got.to_numpy(), ref.reindex(got.index).to_numpy(), rtol=1e-12)
        assert _schema.parse(c) == (key, "supply", m) and _schema.column(key, "supply", m) == c
    # hand check of one unit at 10 min: sum of p_i * A_i * 1000 over its residents
    ca = ig.capacity_access(li, key, capacity=cap, minutes=10)
    pts = ca.points
    uid = r2.gaps["unit_id"].iloc[0]
    sel = pts["unit_id"].astype(str).to_numpy() == uid
    p = pts["population"].to_numpy()[sel]
    hand = (p * pts["access"].to_numpy()[sel]).sum() * 1000 / p.sum()
    assert r2.gaps[cols[1]].iloc[0] == pytest.approx(hand, rel=1e-12)
    assert (r2.gaps["education_supply_method"] == "2sfca").all()
    assert (r2.gaps["education_capacity_source"] == "user").all()
    for c in [*cols, "education_supply_method", "education_capacity_source"]:
        assert _schema.describe(c), c
    assert r2.gaps.attrs["capacity"][key]["capacity_source"] == "user"
    assert any("capacity of education" in n and "capacity source user" in n for n in r2.notes)
    # asking again replaces the group's columns (no duplicate, no stale threshold)
    r3 = r2.with_capacity(key, method="gravity", minutes=10)
    assert [c for c in r3.gaps.columns if "education_supply_" in c] == [
        "education_supply_10", "education_supply_method"
    ]  # fmt: skip
    assert (r3.gaps["education_capacity_source"] == "one_per_facility").all()
    assert sum("capacity of education" in n for n in r3.notes) == 1
    # save writes the columns; summary.md states the source
    out = r3.save(tmp_path / "out")
    csv = pd.read_csv(out["gaps.csv"])
    np.testing.assert_allclose(csv["education_supply_10"], r3.gaps["education_supply_10"])
    assert (csv["education_capacity_source"] == "one_per_facility").all()
    summary = out["summary.md"].read_text("utf-8")
    assert "capacity source one_per_facility" in summary and "every facility counts 1" in summary
    assert "education_supply_10" in out["map.html"].read_text("utf-8")


def test_map_offers_the_capacity_measure(li):
    r2 = li.with_capacity("care", minutes=10).with_capacity("education", minutes=(5, 10))
    m = r2.map(measure="care_supply_10")
    layer = next(el for el in m._children.values() if getattr(el, "_name", "") == "InfraGeoGaps")
    cfg = layer.config
    assert cfg["initial"] == "care_supply_10"
    for c in ("care_supply_10", "education_supply_5", "education_supply_10"):
        assert c in cfg["choices"]
    label = cfg["measures"]["care_supply_10"]["label"]
    assert label == (
        "Care: capacity per 1,000 residents within 10 min "
        "(2SFCA; capacity: 1 per facility (no size known))"
    )
    vals = {f["properties"]["n"]: f["properties"]["v"]["care_supply_10"] for f in layer.data["features"]}
    g = r2.gaps.set_index("unit_name")["care_supply_10"]
    for name, v in vals.items():
        assert v == pytest.approx(g[name], rel=1e-3)
    assert max(vals.values()) > 0


# -------------------------------------------------------------------------------- siting


def test_suggest_sites_result_form_equals_explicit_form(li):
    key, mins = "care", 10
    s = ig.suggest_sites(li, key, k=3, minutes=mins, spacing_m=200)
    e = ig.suggest_sites(
        li.network, li.facilities, li.population, key,
        k=3, minutes=mins, spacing_m=200, extent=li.extent, entrances=li.entrances,
    )  # fmt: skip
    np.testing.assert_array_equal(s.sites["candidate"], e.sites["candidate"])
    np.testing.assert_allclose(s.sites["newly_reached"], e.sites["newly_reached"], rtol=1e-9)
    assert s.already_reached == pytest.approx(e.already_reached, rel=1e-9)
    # who is already within reach: the gap table's own count
    assert s.already_reached == pytest.approx(li.gaps[f"{key}_reached_{mins}"].sum(), rel=1e-9)
    assert s.residents == pytest.approx(li.gaps["residents"].sum(), rel=1e-9)
    assert s.sites["newly_reached"].iloc[0] > 500  # a real gap to fill
    # the per-unit breakdown adds up and names the gap table's units
    per_rank = s.by_unit.groupby("rank")["newly_reached"].sum()
    np.testing.assert_allclose(per_rank.to_numpy(), s.sites["newly_reached"].to_numpy())
    names = dict(zip(li.gaps["unit_id"], li.gaps["unit_name"], strict=True))
    assert [names[u] for u in s.by_unit["unit_id"]] == s.by_unit["unit_name"].tolist()
    counts = s.by_unit.groupby("rank").size()
    assert s.sites["units_helped"].tolist() == counts.reindex(s.sites["rank"]).tolist()
    first = s.by_unit.loc[s.by_unit["rank"] == 1].iloc[0]
    assert s.sites["units"].iloc[0].startswith(f"{first['unit_name']}: ")
    assert s.component == key and s.minutes == mins
    # candidates lie in the result's data extent by default
    sites_ll = s.sites.to_crs("EPSG:4326").geometry
    assert sites_ll.within(li.extent.buffer(0.002)).all()


def test_suggestions_on_the_map_escaped(li, tmp_path):
    gaps = li.gaps.copy()
    gaps.loc[gaps["unit_name"] == "Triesen", "unit_name"] = HOSTILE
    res = dataclasses.replace(li, gaps=gaps)
    s = ig.suggest_sites(res, "care", k=3, minutes=10, spacing_m=200)
    assert HOSTILE in s.by_unit["unit_name"].tolist()  # Triesen gains residents
    m = res.map(suggestions=s)
    names = [
        getattr(el, "layer_name", "") for el in m._children.values() if getattr(el, "control", False)
    ]
    sug = [n for n in names if n.startswith("Suggestion")]
    assert sug == [
        f"Suggestion {r}: +{v:,.0f} residents"
        for r, v in zip(s.sites["rank"], s.sites["newly_reached"], strict=True)
    ]
    path = tmp_path / "map.html"
    m.save(path)
    # as the browser's JS engine sees the strings (JSON's \uXXXX escapes decoded)
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda mt: chr(int(mt.group(1), 16)), path.read_text())
    assert HOSTILE not in html and HOSTILE_ESCAPED in html
    assert html.count('"ig-site-icon"') == len(s.sites)
    # the units each suggestion helps are outlined, one feature per unit
    outlined = len(re.findall(r'"tip": "[^"]*\(suggestion \d\)', html))
    assert outlined == int(s.sites["units_helped"].sum())
    assert "Numbered points are suggested sites" in html


# ------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("call", "err", "words"),
    [
        (lambda r: ig.capacity_access(r, "libraries"), ig.UnknownComponentError, "libraries"),
        (lambda r: ig.suggest_sites(r, "libraries"), ig.UnknownComponentError, "libraries"),
        (lambda r: r.with_capacity("libraries"), ig.UnknownComponentError, "libraries"),
        (lambda r: ig.capacity_access(r, "care", capacity="gp_list"), ig.InputError, "capacity column"),
        (lambda r: ig.capacity_access(r, "care", capacity=[1, 2]), ig.InputError, "values for"),
        (lambda r: ig.capacity_access(r, "care", capacity=[5, -1, 3, 2]), ig.InputError, "positive"),
        (lambda r: ig.capacity_access(r, "care", capacity=[5, np.nan, 3, 2]), ig.InputError, "missing"),
        (lambda r: ig.capacity_access(r, "care", capacity={"node/1": 3}), ig.InputError, "missing"),
        (lambda r: r.with_capacity("care", capacity=[1, 0, 1, 1]), ig.InputError, "positive"),
        (lambda r: ig.suggest_sites(r, "care", k=0), ig.InputError, "k must be"),
        (lambda r: ig.suggest_sites(r, "care", k=-2), ig.InputError, "k must be"),
        (lambda r: ig.suggest_sites(r, "care", minutes=0), ig.InputError, "minutes"),
        (lambda r: ig.capacity_access(r, ["care", "sports"]), ig.InputError, "one group key"),
        (lambda r: ig.capacity_access(r, "care", population=r.population), ig.InputError, "pass no population"),
        (lambda r: ig.suggest_sites(r, "care", by="category"), ig.InputError, "result's own by"),
        (lambda r: ig.capacity_access(r, r.facilities, component="care"), ig.InputError, "component once"),
        (lambda r: r.with_capacity("care", minutes=7.5), ig.InputError, "whole minutes"),
        (lambda r: r.with_capacity("care", speed_kmh=5), ig.InputError, "speed_kmh"),
        (lambda r: r.with_capacity("care", method="3sfca"), ig.InputError, "method must be"),
        (lambda r: r.map(suggestions=r.gaps), ig.InputError, "SiteSuggestions"),
    ],
)
def test_hostile_input(li, call, err, words):
    with pytest.raises(err, match=words):
        call(li)


def test_no_residents_no_capacity(li):
    gaps = li.gaps.copy()
    gaps.attrs["weighting"] = "street-length"
    res = dataclasses.replace(li, gaps=gaps)
    for call in (
        lambda: ig.capacity_access(res, "care"),
        lambda: ig.suggest_sites(res, "care"),
        lambda: res.with_capacity("care"),
    ):
        with pytest.raises(ig.InputError, match="no residents"):
            call()
    with pytest.raises(ig.InputError, match=r"needs an ig\.Analysis"):
        ig.capacity.with_capacity(li.gaps, "care")
