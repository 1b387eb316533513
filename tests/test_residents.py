"""Honest residents (issue 11, items 3, 4 and 8): every resident of the input is in exactly one
column of the gap table, partial units carry only their inside part, unknown populations are
estimated (flagged) or reported as unknown, street metres are never residents.

Real data: Amsterdam-Centrum with every CBS buurt that touches the extract, Liechtenstein's
eleven municipalities, Spijkenisse (streets only). Hand-built cases (``cases.py``) for the
cut-off network piece.
"""

from __future__ import annotations

import re

import cases
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import infra_geo as ig

KEYS = ig.COMPONENT_KEYS
MINUTES = (5, 10, 15)
EXACT = {"rtol": 1e-9, "atol": 1e-6}


def _check_accounting(g: pd.DataFrame, minutes=MINUTES) -> None:
    """Every resident of the input lands in exactly one column, for every unit."""
    known = g["population_input"].notna()
    assert (~known == g["population_unknown"]).all()
    parts = g["residents"] + g["residents_outside_data"] + g["unplaced"]
    np.testing.assert_allclose(parts[known], g.loc[known, "population_input"], **EXACT)
    for col in ("residents", "residents_outside_data", "unplaced"):
        assert (g[col] >= -1e-9).all(), col
    assert g["data_share"].between(0.0, 1.0).all()
    for k in KEYS:
        for m in minutes:
            cols = [f"{k}_reached_{m}", f"{k}_unreached_{m}", f"{k}_no_path"]
            for c in cols:
                assert (g[c] >= -1e-9).all(), c
            np.testing.assert_allclose(g[cols].sum(axis=1), g["residents"], **EXACT)
            share = g[f"{k}_share_{m}"].dropna()
            assert share.between(0.0, 1.0).all()
        # the mean is reported exactly where at most 10 % of the residents have no path
        with_res = g["residents"] > 0
        ok = g[f"{k}_no_path"] <= ig.settings.max_no_path_share * g["residents"] + 1e-9
        assert (g[f"{k}_reliable"] == (ok & with_res)).all(), k
        assert g.loc[g[f"{k}_reliable"] == False, f"{k}_mean_m"].isna().all(), k  # noqa: E712


# --------------------------------------------------------------------- Amsterdam-Centrum


@pytest.fixture(scope="module")
def ams(amsterdam_pbf, amsterdam_buurten):
    units, ext, share = cases.amsterdam_case(amsterdam_pbf, amsterdam_buurten)
    touching = units.loc[share > 1e-9].reset_index(drop=True)
    net = ig.walk_network_from_file(amsterdam_pbf)
    fac = ig.facilities_from_file(amsterdam_pbf)
    pop = ig.population_from_buildings(amsterdam_pbf, touching)
    gaps = ig.gap_analysis(
        net, fac, touching, pop, minutes=MINUTES, extent=shapely.box(*ext)
    ).set_index("unit_id", drop=False)
    return net, fac, touching, pop, gaps, share[share > 1e-9], ext


def test_amsterdam_every_cbs_inhabitant_in_one_column(ams):
    _, _, touching, _, g, share, _ = ams
    assert len(g) == len(touching) == 24
    aant = touching.set_index("unit_id")["AANT_INW"]
    np.testing.assert_allclose(g["population_input"], aant[g.index].to_numpy(), rtol=1e-12)
    # the CBS total of every buurt touching the extract, all accounted for
    assert g["population_input"].sum() == pytest.approx(aant.sum(), rel=1e-12)
    _check_accounting(g)
    sh = pd.Series(share, index=touching["unit_id"])[g.index].to_numpy()
    np.testing.assert_allclose(g["data_share"], sh, atol=1e-6)
    part = g["partial"].to_numpy()
    assert part.sum() == 17 and (part == (sh < ig.settings.partial_unit_share)).all()
    # a buurt at least 95 % inside keeps its whole total on its buildings
    np.testing.assert_allclose(
        g.loc[~part, "residents"], g.loc[~part, "population_input"], rtol=1e-9
    )
    # a partial buurt: only the part inside the data (by area) is placed, the rest is outside
    inside = g["population_input"] * g["data_share"]
    placed_or_not = g["residents"] + g["unplaced"]
    np.testing.assert_allclose(placed_or_not[part], inside[part], rtol=1e-9)
    np.testing.assert_allclose(
        g.loc[part, "residents_outside_data"],
        (g["population_input"] * (1 - g["data_share"]))[part],
        rtol=1e-9,
    )
    # BU0363AC02 Leliegracht (2 % inside): no building and no street in its sliver
    lel = g.loc["BU0363AC02"]
    assert lel["residents"] == 0 and lel["unplaced"] == pytest.approx(1875 * lel["data_share"])
    assert bool(lel["data_problem"])
    # ranks: units neither partial nor data problems, with residents
    rankable = ~g["partial"] & ~g["data_problem"] & (g["residents"] > 0)
    for m in MINUTES:
        assert g.loc[~rankable, f"rank_{m}"].isna().all()
        assert sorted(g.loc[rankable, f"rank_{m}"].astype(int)) == list(
            range(1, int(rankable.sum()) + 1)
        )


def test_amsterdam_gap_table_keeps_the_buurt_file_columns(ams, amsterdam_buurten):
    g = ams[4]
    raw = gpd.read_file(amsterdam_buurten).set_index("BU_CODE")
    cols = list(g.columns)
    # the file's own columns follow the ids, in the file's order
    own = [c for c in raw.columns if c != "geometry"]
    assert cols[:2] == ["unit_id", "unit_name"] and cols[2] == "BU_CODE"
    assert cols[3 : 3 + len(own)] == own
    assert (g["BU_CODE"] == g["unit_id"]).all()
    assert (g["GM_NAAM"] == "Amsterdam").all()
    for c in ("AANT_INW", "afstand_huisarts_km", "afstand_basisschool_km", "opp_land_ha"):
        np.testing.assert_array_equal(
            g[c].to_numpy(dtype=float), raw.loc[g["unit_id"], c].to_numpy(dtype=float), c
        )


def test_amsterdam_null_population_estimated_from_homes(tmp_path, ams, amsterdam_pbf):
    """A buurt whose AANT_INW is null gets an estimate from its homes and the flag."""
    net, fac, touching, _, _, _, ext = ams
    blds = ig.residential_buildings(amsterdam_pbf)
    pts = gpd.GeoDataFrame(
        {"weight": blds["weight"].to_numpy()},
        geometry=blds.geometry.representative_point().to_numpy(),
        crs=4326,
    )
    joined = gpd.sjoin(pts, touching[["unit_id", "geometry"]], predicate="within")
    floor = joined.groupby("unit_id")["weight"].sum()
    homeless = sorted(set(touching["unit_id"]) - set(floor.index))
    assert homeless, "a touching buurt without a residential building in the extract"
    with_homes, without = "BU0363AE04", homeless[0]  # Nes e.o. is wholly inside
    raw = touching.drop(columns=["unit_id", "unit_name", "population"]).copy()
    raw.loc[raw["BU_CODE"].isin([with_homes, without]), "AANT_INW"] = np.nan
    raw.to_file(tmp_path / "buurten.geojson", driver="GeoJSON")
    units = ig.neighbourhoods_from_file(tmp_path / "buurten.geojson")
    pop = ig.population_from_buildings(amsterdam_pbf, units)
    g = ig.gap_analysis(net, fac, units, pop, minutes=MINUTES, extent=shapely.box(*ext))
    g = g.set_index("unit_id", drop=False)
    _check_accounting(g)
    est = g.loc[with_homes]
    assert np.isnan(est["AANT_INW"])
    assert bool(est["population_estimated"]) and not bool(est["population_unknown"])
    expected = floor[with_homes] / ig.settings.floor_m2_per_resident
    assert expected > 50
    assert est["population_input"] == pytest.approx(expected, rel=1e-9)
    assert est["residents"] == pytest.approx(expected, rel=1e-9)
    unk = g.loc[without]
    assert bool(unk["population_unknown"]) and not bool(unk["population_estimated"])
    assert np.isnan(unk["population_input"]) and unk["residents"] == 0
    assert pd.isna(unk["rank_10"])
    # nobody else is estimated, and the known totals are untouched
    assert set(g.index[g["population_estimated"]]) == {with_homes}
    rest = g.drop(index=[with_homes, without])
    np.testing.assert_allclose(rest["population_input"], rest["AANT_INW"], rtol=1e-12)


def test_amsterdam_buurt_cut_by_the_extent_gets_its_inside_part(ams, amsterdam_pbf):
    """Cut the data through Burgwallen-Oost: the buurt no longer carries its whole total on the
    buildings of its inside part, is flagged partial and is not ranked."""
    _, _, touching, pop, full, _, ext = ams
    uid = "BU0363AE03"
    poly = touching.set_index("unit_id").geometry[uid]
    cut_lon = poly.centroid.x
    cut = shapely.intersection(shapely.box(*ext), shapely.box(ext[0], ext[1], cut_lon, ext[3]))
    net = ig.walk_network_from_file(amsterdam_pbf, polygon=cut)
    fac = ig.facilities_from_file(amsterdam_pbf, polygon=cut)
    g = ig.gap_analysis(net, fac, touching, pop, minutes=MINUTES, extent=cut)
    g = g.set_index("unit_id", drop=False)
    _check_accounting(g)
    row = g.loc[uid]
    # independent share: the buurt's area west of the cut, in RD New
    rd = gpd.GeoSeries([poly, cut], crs=4326).to_crs(28992)
    share = rd.iloc[0].intersection(rd.iloc[1]).area / rd.iloc[0].area
    assert 0.2 < share < 0.8
    assert row["data_share"] == pytest.approx(share, abs=1e-6)
    assert bool(row["partial"]) and pd.isna(row["rank_10"])
    assert row["residents"] == pytest.approx(1675 * share, rel=1e-9)
    assert row["residents_outside_data"] == pytest.approx(1675 * (1 - share), rel=1e-9)
    assert full.loc[uid, "residents"] == pytest.approx(1675, rel=1e-9)
    assert not bool(full.loc[uid, "partial"]) and pd.notna(full.loc[uid, "rank_10"])


# ------------------------------------------------------------------------ Liechtenstein


def test_liechtenstein_every_resident_in_one_column(liechtenstein):
    units = ig.neighbourhoods_from_osm(file=liechtenstein, admin_level=8)
    net = ig.walk_network_from_file(liechtenstein)
    fac = ig.facilities_from_file(liechtenstein)
    pop = ig.population_from_buildings(liechtenstein, units, total=38_000)
    g = ig.gap_analysis(net, fac, units, pop, minutes=MINUTES).set_index("unit_id", drop=False)
    assert len(g) == 11
    _check_accounting(g)
    by_unit = pop.groupby("unit_id")["population"].sum()
    np.testing.assert_allclose(g["population_input"], by_unit[g.index].to_numpy(), rtol=1e-9)
    assert g["population_input"].sum() == pytest.approx(38_000, rel=1e-9)
    assert g["residents"].sum() + g["residents_outside_data"].sum() == pytest.approx(
        38_000, rel=1e-9
    )
    # the OSM admin columns are kept
    assert {"osm_id", "admin_level", "name"} <= set(g.columns)


def test_liechtenstein_headline_covers_what_it_says(liechtenstein):
    res = ig.analyse(osm_file=liechtenstein, neighbourhoods="admin:8", minutes=(10,))
    g = res.gaps
    _check_accounting(g, minutes=(10,))
    # the residents were estimated from floor area: every unit with residents says so
    assert g.loc[g["residents"] > 0, "population_estimated"].all()
    head = ~g["partial"] & ~g["data_problem"] & (g["residents"] > 0)
    s = res.summary()
    cov = s.attrs
    assert cov["headline_units"] == int(head.sum()) > 0
    assert cov["residents_headline"] == pytest.approx(g.loc[head, "residents"].sum())
    for k in KEYS:
        want = g.loc[head, f"{k}_reached_10"].sum() / g.loc[head, "residents"].sum()
        got = s.set_index("component").loc[k, "share_10min"]
        assert got == pytest.approx(want, rel=1e-9), k
    text = res.summary_markdown(lang="en")
    assert f"headline covers {cov['residents_headline']:,.0f} of" in text
    assert f"{cov['headline_units']} units; {cov['partial_units']} partial unit(s)" in text


# --------------------------------------------------------------------- hand-built network


def test_unit_mostly_on_a_cut_off_piece_is_a_data_problem_not_a_gap():
    """East: 90 of its 100 residents live by the island street (no facility, cut off)."""
    net, fac = cases.walk_network(), cases.facilities()
    pop = cases.population()
    w = pop["population"].to_numpy(dtype=float).copy()
    names = pop["name"].tolist()
    w[names.index("d")], w[names.index("e")], w[names.index("f")] = 5.0, 5.0, 90.0
    pop["population"] = w
    units = cases.units(east=100.0)
    g = ig.gap_analysis(net, fac, units, pop, minutes=(1, 2, 5), extent=cases.extent())
    g = g.set_index("unit_id")
    east, west = g.loc["E"], g.loc["W"]
    assert east["residents_on_islands"] == pytest.approx(90.0)
    assert bool(east["data_problem"]) and not bool(west["data_problem"])
    for k in KEYS:
        # over the 10 residents with a path the mean would be 1-2 street blocks: not shown
        assert east[f"{k}_no_path"] == pytest.approx(90.0)
        assert np.isnan(east[f"{k}_mean_m"]) and not bool(east[f"{k}_reliable"])
        assert np.isinf(east[f"{k}_p90_m"])
    for m in (1, 2, 5):
        assert pd.isna(east[f"rank_{m}"]) and west[f"rank_{m}"] == 1
    # the summary: East is listed as a data problem, the headline is West alone
    res = ig.Analysis(
        facilities=fac,
        network=net,
        distances=pd.DataFrame(),
        catchments=gpd.GeoDataFrame(geometry=[], crs=4326),
        gaps=g.reset_index(),
        neighbourhoods=units,
        population=pop,
        uncovered=gpd.GeoDataFrame(geometry=[], crs=4326),
        minutes=(1, 2, 5),
        speed_kmh=4.8,
        lang="en",
    )
    s = res.summary().set_index("component")
    for k in KEYS:
        assert s.loc[k, "share_2min"] == pytest.approx(west[f"{k}_share_2"], rel=1e-12)
    text = res.summary_markdown()
    assert "headline covers 200 of 300 residents (1 units; 0 partial unit(s) and 1 other" in text
    problems = text.split("## Data problems")[1]
    assert "| East | 90 | 0 |" in problems and "West" not in problems
    worst = text.split("## Worst-served")[1].split("##")[0]
    assert "West" in worst and "East" not in worst


def test_own_columns_that_clash_get_a_prefix():
    net, fac, pop = cases.walk_network(), cases.facilities(), cases.population()
    units = cases.units().assign(residents=[7, 8], partial=["x", "y"], BU_CODE=["a", "b"])
    g = ig.gap_analysis(net, fac, units, pop, minutes=5, extent=cases.extent())
    g = g.set_index("unit_id")
    assert list(g.columns[:4]) == ["unit_name", "src_residents", "src_partial", "BU_CODE"]
    assert g.loc["W", "src_residents"] == 7 and g.loc["E", "src_partial"] == "y"
    assert g.loc["W", "residents"] == pytest.approx(200.0)
    assert g["partial"].dtype == bool


# ------------------------------------------------------------------------ Spijkenisse


def test_spijkenisse_street_metres_are_never_residents(spijkenisse):
    """No population at all and no building: the shares are weighted by street length."""
    res = ig.analyse(osm_file=spijkenisse, neighbourhoods="hex:1500", minutes=(10,))
    g = res.gaps
    assert g.attrs["weighting"] == "street-length"
    assert (g["street_m"] > 0).any()
    for c in ("residents", "population_input", "unplaced", "care_reached_10", "care_no_path"):
        assert g[c].isna().all(), c
    assert g["population_unknown"].all() and not g["population_estimated"].any()
    # the weights are the residential street metres inside each hexagon and the data extent
    pts = ig.population_from_streets(res.network, res.neighbourhoods)
    assert set(pts["source"]) == {"street-length"}
    crs = res.network.crs
    ext = gpd.GeoSeries([res.extent], crs=4326).to_crs(crs).iloc[0]
    inside = shapely.intersects(ext, pts.to_crs(crs).geometry.to_numpy())
    assert inside.mean() > 0.99
    assert g["street_m"].sum() == pytest.approx(pts["population"][inside].sum(), rel=1e-9)
    text = res.summary_markdown(lang="en")
    assert "street length" in text
    assert not re.search(r"residents: [\d,]+", text)
    assert not re.search(r"[\d,]{5,} residents", text)
    assert "Street length (not residents) within reach" in text
    s = res.summary()
    assert s["share_10min"].between(0, 1).all()
    # a component without any facility in the data reaches nobody
    absent = s["facilities"] == 0
    assert absent.sum() >= 6 and (s.loc[absent, "share_10min"] == 0).all()
    assert (s.loc[~absent, "share_10min"] > 0).all()


def test_points_labelled_for_other_units_are_placed_by_location(ams):
    """Residents spread over the CBS buurten, reported on a hexagon grid: none is lost."""
    net, fac, _, pop, _, _, ext = ams
    hexes = ig.hex_grid(shapely.box(*ext), 250)
    g = ig.gap_analysis(net, fac, hexes, pop, minutes=(10,), extent=shapely.box(*ext))
    _check_accounting(g, minutes=(10,))
    assert not g["population_unknown"].any()
    # every point lies in some hexagon: the input is the points, all accounted for
    joined = gpd.sjoin(pop[["population", "geometry"]], hexes[["geometry"]], predicate="within")
    total = pop.loc[joined.index.unique(), "population"].sum()
    assert total > 0.95 * pop["population"].sum()
    assert g["population_input"].sum() == pytest.approx(total, rel=1e-9)
