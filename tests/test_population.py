"""Where people live: residents from buildings, streets and rasters; CBS population figures.

Real data: the Liechtenstein country extract (eleven municipalities, no population tags),
Amsterdam-Centrum with the CBS buurten, and the Utrecht CBS tables. Hand-built cases (see
``cases.py``) check the arithmetic exactly.
"""

from __future__ import annotations

import csv
import logging

import cases
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

import infra_geo as ig

LI_MUNICIPALITIES = {
    "Vaduz",
    "Schaan",
    "Triesen",
    "Balzers",
    "Eschen",
    "Mauren",
    "Triesenberg",
    "Ruggell",
    "Gamprin",
    "Schellenberg",
    "Planken",
}
LI_TOTAL = 38_000.0


@pytest.fixture(scope="module")
def li_units(liechtenstein):
    return ig.neighbourhoods_from_osm(file=liechtenstein, admin_level=8)


@pytest.fixture(scope="module")
def li_pop(liechtenstein, li_units):
    return ig.population_from_buildings(liechtenstein, li_units, total=LI_TOTAL)


@pytest.fixture(scope="module")
def amsterdam(amsterdam_pbf, amsterdam_buurten):
    units, ext, share = cases.amsterdam_case(amsterdam_pbf, amsterdam_buurten)
    covered = units.loc[share > 0.5].reset_index(drop=True)
    return covered, ext


def _cbs_gpkg(path, aant_inw):
    """A CBS-schema GeoPackage over the hand-built units (West, East)."""
    u = cases.units()
    gdf = gpd.GeoDataFrame(
        {
            "BU_CODE": ["BU0363XX01", "BU0363XX02"],
            "BU_NAAM": ["West", "East"],
            "GM_NAAM": ["Amsterdam", "Amsterdam"],
            "AANT_INW": aant_inw,
        },
        geometry=u.geometry.to_numpy(),
        crs=cases.RD,
    )
    gdf.to_file(path, driver="GPKG")
    return path


def _hand_buildings() -> gpd.GeoDataFrame:
    """Two houses in West (none in East), as OSM features with a building tag."""
    return gpd.GeoDataFrame(
        {
            "osm_type": ["way", "way", "way"],
            "osm_id": [1, 2, 3],
            "building": ["apartments", "house", "shed"],
            "building:levels": ["3", None, None],
        },
        geometry=[
            shapely.box(cases.X0 + 20, cases.Y0 + 20, cases.X0 + 40, cases.Y0 + 30),  # 200 m2 x 3
            shapely.box(cases.X0 + 100, cases.Y0 - 40, cases.X0 + 110, cases.Y0 - 30),  # 100 m2
            shapely.box(cases.X0 + 150, cases.Y0 + 20, cases.X0 + 160, cases.Y0 + 30),  # a shed
        ],
        crs=cases.RD,
    )


# ------------------------------------------------------------------------ Liechtenstein


def test_liechtenstein_no_total_known_is_an_actionable_error(liechtenstein, li_units):
    assert set(li_units["unit_name"]) == LI_MUNICIPALITIES
    # the extract carries no population= tag on the municipalities: nothing to conserve
    assert li_units["population"].isna().all()
    with pytest.raises(ig.PopulationError, match="total="):
        ig.population_from_buildings(liechtenstein, li_units)
    with pytest.raises(ig.PopulationError, match="total="):
        ig.population_from_buildings(liechtenstein)


def test_liechtenstein_total_spread_by_residential_floor_area(liechtenstein, li_units, li_pop):
    assert li_pop.crs.to_epsg() == 4326
    assert (li_pop.geom_type == "Point").all()
    assert li_pop["population"].sum() == pytest.approx(LI_TOTAL, rel=1e-9)
    assert (li_pop["population"] > 0).all()
    assert set(li_pop["source"]) == {"building"}
    # every point lies in the unit it is labelled with (independent spatial join)
    joined = gpd.sjoin(
        li_pop[["unit_id", "geometry"]],
        li_units[["unit_id", "geometry"]].rename(columns={"unit_id": "in_unit"}),
        predicate="within",
    )
    assert joined.index.is_unique and len(joined) == len(li_pop)
    assert (joined["unit_id"] == joined["in_unit"]).all()
    # each municipality gets the total in proportion to its residential floor area
    blds = ig.residential_buildings(liechtenstein)
    pts = gpd.GeoDataFrame(
        {"weight": blds["weight"]}, geometry=blds.geometry.representative_point(), crs=4326
    )
    inside = gpd.sjoin(pts, li_units[["unit_id", "geometry"]], predicate="within")
    floor = inside.groupby("unit_id")["weight"].sum()
    expected = LI_TOTAL * floor / floor.sum()
    got = li_pop.groupby("unit_id")["population"].sum()
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, rtol=1e-9
    )
    assert set(got.index) == set(li_units["unit_id"])


def test_global_total_without_units(liechtenstein):
    pop = ig.population_from_buildings(liechtenstein, total=1_000)
    assert pop["population"].sum() == pytest.approx(1_000, rel=1e-12)
    assert len(pop) == len(ig.residential_buildings(liechtenstein))


# --------------------------------------------------------------------- Amsterdam-Centrum


def test_amsterdam_covered_buurten(amsterdam_pbf, amsterdam_buurten, amsterdam):
    covered, ext = amsterdam
    # the PBF has no header box: the extent is a percentile box of the street nodes
    assert ext[0] == pytest.approx(4.8900, abs=2e-4) and ext[2] == pytest.approx(4.9039, abs=2e-4)
    names = zip(covered["unit_name"], covered["population"], strict=True)
    got = dict(zip(covered["unit_id"], names, strict=True))
    assert got == cases.AMSTERDAM_COVERED
    assert covered["population"].sum() == 13_705
    # the README's 13 buurten / 11,650 inhabitants come from the 1st-99th percentile box
    units, _, _ = cases.amsterdam_case(amsterdam_pbf, amsterdam_buurten)
    core = cases.area_share(units, (4.89025, 52.36557, 4.90373, 52.37540))
    readme = units.loc[core > 0.5]
    assert set(readme["unit_id"]) == cases.AMSTERDAM_README_13
    assert readme["population"].sum() == 11_650
    assert {"BU0363AE03", "BU0363AF05", "BU0363AD07"} <= cases.AMSTERDAM_README_13


def test_amsterdam_buurt_totals_conserved(amsterdam_pbf, amsterdam):
    covered, _ = amsterdam
    pop = ig.population_from_buildings(amsterdam_pbf, covered)
    got = pop.groupby("unit_id")["population"].sum()
    want = covered.set_index("unit_id")["population"]
    assert set(got.index) == set(want.index)
    np.testing.assert_allclose(got[want.index].to_numpy(), want.to_numpy(), rtol=1e-6)
    # buildings are mapped only inside the export box (north edge lat 52.3737): the two
    # buurten north of it have no residential building and fall back to their streets
    by_source = {u: set(s) for u, s in pop.groupby("unit_id")["source"]}
    on_streets = {u for u, s in by_source.items() if s == {"street"}}
    assert on_streets == {"BU0363AD04", "BU0363AE01"}
    assert all(s == {"building"} for u, s in by_source.items() if u not in on_streets)
    for uid in on_streets:
        assert got[uid] == pytest.approx(cases.AMSTERDAM_COVERED[uid][1], rel=1e-9)


# ------------------------------------------------------------- hand-built: streets fallback


def test_unit_without_buildings_falls_back_to_streets():
    net, units = cases.walk_network(), cases.units(west=700.0, east=100.0)
    pop = ig.population_from_buildings(_hand_buildings(), units, streets=net)
    sums = pop.groupby(["unit_id", "source"])["population"].sum()
    # West: 700 over floor areas 600 m2 (200 m2 x 3 levels) and 100 m2; the shed is too small
    west = pop.loc[pop["unit_id"] == "W"].sort_values("population")
    # (footprints are measured after a trip through EPSG:4326: 1e-9 relative slack)
    assert west["population"].tolist() == pytest.approx([100.0, 600.0], rel=1e-8)
    assert west["source"].tolist() == ["building", "building"]
    # East has no residential building: its 100 residents are on its streets
    assert sums[("E", "street")] == pytest.approx(100.0, rel=1e-12)
    assert set(sums.index) == {("W", "building"), ("E", "street")}
    east = pop.loc[pop["unit_id"] == "E"].to_crs(cases.RD)
    assert east.within(units.geometry.iloc[1].buffer(1e-3)).all()
    # without streets to fall back on, say so
    with pytest.raises(ig.PopulationError, match="streets="):
        ig.population_from_buildings(_hand_buildings(), units)


def test_population_from_streets_conserves_totals():
    net = cases.walk_network()
    pop = ig.population_from_streets(net, cases.units(west=200.0, east=100.0), spacing_m=10)
    assert pop.crs.to_epsg() == 4326
    sums = pop.groupby("unit_id")["population"].sum()
    assert sums["W"] == pytest.approx(200.0, rel=1e-12)
    assert sums["E"] == pytest.approx(100.0, rel=1e-12)
    # spread uniformly over street length: West has 200 m of street, East 200 m + the
    # 40 m island, so the island holds 40/240 of East's residents
    pts = pop.to_crs(cases.RD)
    on_island = (pts.geometry.y - cases.Y0) > 40
    assert pts.loc[on_island, "population"].sum() == pytest.approx(100.0 * 40 / 240, rel=1e-6)


def test_population_from_streets_without_any_total_weighs_by_street_metres():
    units = cases.units()
    units["population"] = np.nan
    pop = ig.population_from_streets(cases.walk_network(), units)
    assert set(pop["source"]) == {"street-length"}
    sums = pop.groupby("unit_id")["population"].sum()
    # weights are street metres (the units pass through EPSG:4326: sub-millimetre slack)
    assert sums["W"] == pytest.approx(200.0, abs=1e-3)
    assert sums["E"] == pytest.approx(240.0, abs=1e-3)


# ------------------------------------------------------------------------ CBS schema


def test_cbs_secret_population_is_not_placed(tmp_path, caplog):
    path = _cbs_gpkg(tmp_path / "buurten.gpkg", [200, -99999997])
    units = ig.neighbourhoods_from_file(path)
    assert units["population"].tolist()[0] == 200
    assert np.isnan(units["population"].tolist()[1])
    net = cases.walk_network()
    with caplog.at_level(logging.INFO, logger="infra_geo"):
        pop = ig.population_from_streets(net, units)
    assert set(pop["unit_id"]) == {"BU0363XX01"}
    assert pop["population"].sum() == pytest.approx(200.0, rel=1e-12)
    assert "unknown population" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="infra_geo"):
        pop = ig.population_from_buildings(_hand_buildings(), units, streets=net)
    assert set(pop["unit_id"]) == {"BU0363XX01"}
    assert pop["population"].sum() == pytest.approx(200.0, rel=1e-12)
    assert "unknown population" in caplog.text


def _raw_xlsx(path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return [str(h).strip() for h in rows[0]], rows[1:]


def _number(v):
    """A raw CBS cell as a float, or None for an unknown marker."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    t = str(v).strip().replace(",", ".")
    if t in (".", "x", "?", ""):
        return None
    return float(t)


def test_utrecht_kwb_unknowns_reported_not_summed(utrecht_xlsx):
    tab = ig.read_cbs_table(utrecht_xlsx)
    header, rows = _raw_xlsx(utrecht_xlsx)
    code, inw, hp = header.index("gwb_code_10"), header.index("a_inw"), header.index("g_afs_hp")
    buurt_rows = [r for r in rows if str(r[code]).strip().startswith("BU")]
    assert len(buurt_rows) == 111
    known = [_number(r[inw]) for r in buurt_rows]
    buurten = tab.loc[tab["unit_level"] == "buurt"]
    assert len(buurten) == 111
    assert buurten["population"].sum() == sum(v for v in known if v is not None) == 374_200
    # every g_afs_hp cell is "." (not available): counted as unknown, never summed as 0
    n_dot = sum(1 for r in rows if _number(r[hp]) is None)
    assert n_dot == len(rows) == 122
    assert tab.attrs["unknown_counts"]["g_afs_hp"] == n_dot
    assert tab["g_afs_hp"].isna().all() and np.isnan(tab["g_afs_hp"].sum(min_count=1))
    # every numeric column: unknown count equals the raw markers, sum equals the known values
    for col, n_unknown in tab.attrs["unknown_counts"].items():
        j = header.index(col)
        raw = [_number(r[j]) for r in rows]
        assert n_unknown == sum(v is None for v in raw), col
        assert tab[col].sum() == pytest.approx(sum(v for v in raw if v is not None)), col


def test_utrecht_statline_csv_unknowns_reported_not_summed(utrecht_csv):
    tab = ig.read_cbs_table(utrecht_csv)
    with open(utrecht_csv, encoding="utf-8-sig", newline="") as fh:
        raw = list(csv.reader(fh, delimiter=";"))
    header, rows = raw[0], raw[1:]
    assert len(rows) == len(tab) == 123
    huisarts = "Gezondheid en welzijn/Huisartsenpraktijk/Afstand tot huisartsenpraktijk (km)"
    supermarkt = "Detailhandel/Winkels dagelijkse boodschappen/Afstand tot grote supermarkt (km)"
    for col in (huisarts, supermarkt):
        j = header.index(col)
        vals = [_number(r[j]) for r in rows]
        assert tab.attrs["unknown_counts"][col] == sum(v is None for v in vals)
        assert tab[col].isna().sum() == sum(v is None for v in vals)
        assert tab[col].sum() == pytest.approx(sum(v for v in vals if v is not None))
    # huisarts is "." everywhere in this early 2023 release: unknown, not 0 km
    assert tab[huisarts].isna().all()
    buurten = tab.loc[tab["unit_level"] == "buurt", supermarkt]
    assert len(buurten) == 111 and buurten.notna().sum() == 109


def test_utrecht_kwb_population_joined_and_conserved(utrecht_xlsx, utrecht_csv):
    units = cases.units(west=np.nan, east=np.nan)
    units["unit_id"] = ["BU03440111", "BU03440112"]
    joined = ig.join_cbs_table(units, utrecht_xlsx)
    assert joined["population"].tolist() == [1800.0, 4155.0]
    joined = ig.join_cbs_table(joined, utrecht_csv)
    huisarts = "Gezondheid en welzijn/Huisartsenpraktijk/Afstand tot huisartsenpraktijk (km)"
    assert joined[huisarts].isna().all()
    pop = ig.population_from_streets(cases.walk_network(), joined)
    sums = pop.groupby("unit_id")["population"].sum()
    assert sums["BU03440111"] == pytest.approx(1800.0, rel=1e-12)
    assert sums["BU03440112"] == pytest.approx(4155.0, rel=1e-12)


# ------------------------------------------------------------------------ rasters


def _positive_cells():
    """(values, lon, lat) of the raster's positive cells, computed without infra_geo."""
    vals = cases.raster_values()
    xy = cases.raster_cell_centres()
    ok = vals > 0
    lon, lat = Transformer.from_crs(cases.RASTER_CRS, "EPSG:4326", always_xy=True).transform(
        xy[..., 0][ok], xy[..., 1][ok]
    )
    return vals[ok].astype(float), np.asarray(lon), np.asarray(lat)


def test_raster_points_sum_exactly(tmp_path, caplog):
    path = cases.write_raster(tmp_path / "pop.tif")
    with caplog.at_level(logging.INFO, logger="infra_geo"):
        pts = ig.population_from_raster(path)
    assert "negative" in caplog.text  # the secrecy code is reported
    vals, lon, lat = _positive_cells()
    assert pts.crs.to_epsg() == 4326
    assert len(pts) == len(vals) == 72 - 2 - 1 - 6  # nodata x2, secret, six zero cells
    assert pts["population"].sum() == vals.sum()
    assert set(pts["source"]) == {"raster"}
    # each point is its cell's centre with its cell's count
    order = np.lexsort((np.round(lon, 9), np.round(lat, 9)))
    got = np.lexsort((np.round(pts.geometry.x, 9), np.round(pts.geometry.y, 9)))
    np.testing.assert_allclose(pts.geometry.x.to_numpy()[got], lon[order], atol=1e-9)
    np.testing.assert_allclose(pts.geometry.y.to_numpy()[got], lat[order], atol=1e-9)
    np.testing.assert_array_equal(pts["population"].to_numpy()[got], vals[order])


def test_raster_clip_keeps_cells_inside_the_area(tmp_path):
    path = cases.write_raster(tmp_path / "pop.tif")
    west = cases.units().iloc[[0]]  # a frame in RD New: its CRS is honoured
    pts = ig.population_from_raster(path, area=west)
    vals, lon, lat = _positive_cells()
    poly = west.to_crs(4326).geometry.iloc[0]
    inside = shapely.contains_xy(poly, lon, lat)
    assert 0 < inside.sum() < len(vals)
    assert len(pts) == int(inside.sum())
    assert pts["population"].sum() == vals[inside].sum()
    assert pts.within(poly).all()
    # the same area as a bare lon/lat polygon
    assert ig.population_from_raster(path, area=poly)["population"].sum() == vals[inside].sum()


def test_raster_errors(tmp_path):
    path = cases.write_raster(tmp_path / "pop.tif")
    with pytest.raises(ig.OutsideDataError):
        ig.population_from_raster(path, area=shapely.box(9.5, 47.1, 9.6, 47.2))
    with pytest.raises(ig.DataFileError):
        ig.population_from_raster(tmp_path / "missing.tif")
    (tmp_path / "empty.tif").write_bytes(b"")
    with pytest.raises(ig.DataFileError):
        ig.population_from_raster(tmp_path / "empty.tif")
    (tmp_path / "text.tif").write_text("x;y;population\n1;2;3\n")
    with pytest.raises(ig.DataFileError):
        ig.population_from_raster(tmp_path / "text.tif")
    no_crs = cases.write_raster(tmp_path / "nocrs.tif", crs=None)
    with pytest.raises(ig.CRSError):
        ig.population_from_raster(no_crs)


# ------------------------------------------------------------------------ input errors


def test_population_input_errors(liechtenstein, li_units):
    with pytest.raises(ig.InputError):
        ig.population_from_buildings(liechtenstein, li_units, total=-5)
    no_crs = gpd.GeoDataFrame(li_units.drop(columns="geometry"), geometry=li_units.geometry.values)
    no_crs = no_crs.set_crs(None, allow_override=True)
    assert no_crs.crs is None
    with pytest.raises(ig.CRSError):
        ig.population_from_buildings(liechtenstein, no_crs, total=LI_TOTAL)
    with pytest.raises(ig.CRSError):
        ig.population_from_streets(cases.walk_network(), no_crs)


def test_residential_buildings_of_a_file_are_read_once_and_handed_out_as_copies(liechtenstein):
    """analyse asks twice (estimate, then place): the second time is the cached frame, copied."""
    from infra_geo._osm_reader import read_osm
    from infra_geo.components import load_rules
    from infra_geo.population import _BUILDINGS, residential_buildings

    first = residential_buildings(liechtenstein)
    feats = read_osm(liechtenstein, load_rules().match_keys()).features
    assert id(feats) in _BUILDINGS  # cached on the file's (cached) features
    fresh = residential_buildings(feats)  # a frame is never cached: computed again
    assert len(first) > 1000 and first["weight"].sum() > 0
    pd.testing.assert_frame_equal(pd.DataFrame(first), pd.DataFrame(fresh), check_exact=True)
    first.loc[0, "weight"] = -1.0  # the caller's copy: the cache is not touched
    again = residential_buildings(liechtenstein)
    assert again is not first
    pd.testing.assert_frame_equal(pd.DataFrame(again), pd.DataFrame(fresh), check_exact=True)


def test_cached_buildings_follow_a_changed_footprint_setting(liechtenstein, monkeypatch):
    """The file's buildings are cached, but a changed footprint minimum filters them again."""
    from infra_geo import settings
    from infra_geo._osm_reader import read_osm
    from infra_geo.components import load_rules
    from infra_geo.population import residential_buildings

    default = residential_buildings(liechtenstein)
    monkeypatch.setattr(settings, "min_residential_footprint_m2", 200.0)
    big = residential_buildings(liechtenstein)
    feats = read_osm(liechtenstein, load_rules().match_keys()).features
    fresh = residential_buildings(feats)  # a frame: never cached
    assert 0 < len(big) < len(default)
    assert big["footprint_m2"].min() >= 200.0
    pd.testing.assert_frame_equal(pd.DataFrame(big), pd.DataFrame(fresh), check_exact=True)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(
        pd.DataFrame(residential_buildings(liechtenstein)), pd.DataFrame(default), check_exact=True
    )
