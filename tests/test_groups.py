"""Any facility group (by a column, another rules file, a dict of frames) and the CBS comparison.

References are independent of the grouping code: networkx multi-source Dijkstra over
``net.to_networkx()`` with one virtual node per facility (joined to its access edges),
facility rows selected by their raw OSM tags, raw pyosmium tag counts, the CBS header
lines of the real StatLine / kwb files, and a Spearman rho recomputed from pandas ranks.
"""

from __future__ import annotations

import re
from pathlib import Path

import cases
import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pytest
from shapely import Point

import infra_geo as ig

ROOT = Path(__file__).resolve().parents[1]
CBS_KEYS = ["huisarts", "supermarkt", "basisschool"]


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def ams(amsterdam_pbf):
    net = ig.walk_network_from_file(amsterdam_pbf)
    fac = ig.facilities_from_file(amsterdam_pbf)
    cbs = ig.facilities_from_file(amsterdam_pbf, rules="cbs_nabijheid")
    return net, fac, cbs


@pytest.fixture(scope="module")
def ams_run(amsterdam_pbf, amsterdam_buurten):
    return ig.analyse(osm_file=amsterdam_pbf, neighbourhoods=amsterdam_buurten)


@pytest.fixture(scope="module")
def ams_cmp(ams_run, tmp_path_factory):
    png = tmp_path_factory.mktemp("cbs") / "cbs_vs_walk.png"
    return ig.compare_with_cbs(ams_run, out_png=png)


def _nx_distances(net, att, rows) -> np.ndarray:
    """networkx multi-source Dijkstra from the access points of facility ``rows``."""
    G, sources = cases.graph_with_facilities(net, att, rows)
    d = nx.multi_source_dijkstra_path_length(G, sources, weight="length") if sources else {}
    return np.array([d.get(n, np.inf) for n in net.node_ids.tolist()])


def _same(got, ref) -> None:
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert got.shape == ref.shape
    assert (np.isinf(got) == np.isinf(ref)).all(), "reachability differs"
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=0, atol=1e-6)


def _raw_counts(path) -> dict[tuple[str, str], int]:
    """Objects per (key, value) in the OSM file, counted with pyosmium directly."""
    want = {("shop", "supermarket"), ("amenity", "school"), ("amenity", "doctors")}
    counts = dict.fromkeys(want, 0)

    class H(osmium.SimpleHandler):
        def _f(self, o):
            for k, v in want:
                if o.tags.get(k) == v:
                    counts[(k, v)] += 1

        node = way = relation = _f

    H().apply_file(str(path))
    return counts


# ------------------------------------------------------------------------ rules files
def test_cbs_rules_load_by_name_and_name_their_cbs_columns(utrecht_csv, utrecht_xlsx):
    r = ig.load_rules("cbs_nabijheid")
    assert ig.load_rules("cbs_nabijheid.toml") is r
    assert ig.load_rules("components") is ig.load_rules()
    for key in ("huisarts", "huisartsenpost", "apotheek", "supermarkt", "basisschool",
                "voortgezet_onderwijs", "kinderdagverblijf", "bibliotheek", "zwembad"):  # fmt: skip
        assert key in r.keys
        assert r.component(key).cbs, key
    assert "afstand_huisarts_km" in r.component("huisarts").cbs
    assert "g_afs_gs" in r.component("supermarkt").cbs
    assert "g_afs_sc" in r.component("basisschool").cbs
    assert "g_afs_kv" in r.component("kinderdagverblijf").cbs
    # every CBS column the rules name exists in a real CBS file (or the Amsterdam join)
    statline = set(ig.read_cbs_table(utrecht_csv).columns)
    kwb = set(ig.read_cbs_table(utrecht_xlsx).columns)
    amsterdam = {"afstand_huisarts_km", "afstand_grote_supermarkt_km", "afstand_basisschool_km"}
    for c in r.components:
        for col in c.cbs:
            assert col in statline | kwb | amsterdam, (c.key, col)
    # the README documents the eight components only; the CBS table renders too
    md = ig.components.rules_markdown("cbs_nabijheid")
    assert "| `basisschool` |" in md and "isced:level" in md
    assert all(line.count(" | ") >= 4 for line in md.splitlines() if line.startswith("| 1"))


def _tags(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        rows, geometry=[Point(4.9, 52.37 + i * 1e-3) for i in range(len(rows))], crs=4326
    )


def test_cbs_rules_tell_school_levels_gps_and_libraries_apart():
    g = _tags(
        [
            {"amenity": "school", "isced:level": "0;1", "name": "De Witte Olifant"},
            {"amenity": "school", "isced:level": "2;3", "name": "Barlaeus"},
            {"amenity": "school", "isced:level": "1;2", "name": "Kindcentrum 0-14"},
            {"amenity": "school", "name": "Het Amsterdams Lyceum"},
            {"amenity": "school", "name": "Cygnus Gymnasium"},
            {"amenity": "school", "name": "OBS De Regenboog"},
            {"amenity": "school"},
            {"amenity": "doctors", "healthcare:speciality": "general"},
            {"amenity": "doctors", "name": "Huisartsenpraktijk Dam"},
            {"amenity": "doctors", "healthcare:speciality": "dermatology"},
            {"amenity": "doctors", "emergency": "yes", "name": "Huisartsenpost"},
            {"amenity": "library", "name": "OBA Centrale"},
            {"amenity": "library", "name": "Universiteitsbibliotheek"},
            {"amenity": "library", "library": "academic"},
            {"amenity": "childcare", "after_school": "yes"},
            {"amenity": "kindergarten"},
            {"shop": "supermarket", "access": "private"},
        ]
    )
    out = ig.classify(g, rules="cbs_nabijheid", keep_unmatched=True)
    got = out["components"].fillna("").tolist()
    assert got == [
        "basisschool",
        "voortgezet_onderwijs",
        "basisschool;voortgezet_onderwijs",
        "voortgezet_onderwijs",
        "voortgezet_onderwijs",
        "basisschool",
        "basisschool",
        "huisarts",
        "huisarts",
        "",
        "huisartsenpost",
        "bibliotheek",
        "",
        "",
        "buitenschoolse_opvang",
        "kinderdagverblijf",
        "",
    ]


def test_rules_errors(tmp_path):
    with pytest.raises(ig.DataFileError, match="cbs_nabijheid"):
        ig.load_rules("cbs_nabijheid_typo")
    bad = {
        "component": [{"key": "x"}],
        "rule": [{"component": "x", "tags": {"amenity": "school"}, "match": {"name": "(["}}],
    }
    with pytest.raises(ig.RulesError, match="regular expression"):
        ig.load_rules(bad)
    bad["rule"][0]["match"] = {"name": 3}
    with pytest.raises(ig.RulesError, match="regular expression"):
        ig.load_rules(bad)
    bad["rule"][0]["match"] = {"name": "x"}
    bad["component"][0]["cbs"] = [1]
    with pytest.raises(ig.RulesError, match="cbs"):
        ig.load_rules(bad)


# --------------------------------------------------------------------- grouped distances
def test_by_category_equals_a_dict_of_the_category_frames(ams):
    net, fac, _ = ams
    by = ig.distance_to_nearest(net, fac, by="category")
    cats = sorted(fac["category"].dropna().unique())
    assert list(by.columns) == cats and len(cats) >= 20
    frames = {c: fac.loc[fac["category"] == c] for c in cats}
    as_dict = ig.distance_to_nearest(net, frames)
    pd.testing.assert_frame_equal(by, as_dict)
    # one value: a Series, equal to the column and to networkx from the doctors' access points
    gp = ig.distance_to_nearest(net, fac, component="amenity=doctors", by="category")
    assert isinstance(gp, pd.Series)
    _same(gp, by["amenity=doctors"])
    att = ig.attach_facilities(net, fac)
    _same(gp, _nx_distances(net, att, np.flatnonzero(fac["amenity"].eq("doctors").to_numpy())))


def test_cbs_groups_on_amsterdam_equal_networkx(ams, amsterdam_pbf):
    net, fac, cbs = ams
    d = ig.distance_to_nearest(net, cbs, component=CBS_KEYS, rules="cbs_nabijheid")
    assert list(d.columns) == CBS_KEYS
    raw = _raw_counts(amsterdam_pbf)
    # facilities chosen by their raw tags, counted with pyosmium: 1 GP, 6 supermarkets,
    # 2 schools (both isced:level=0;1)
    sel = {
        "huisarts": cbs["amenity"].eq("doctors"),
        "supermarkt": cbs["shop"].eq("supermarket"),
        "basisschool": cbs["amenity"].eq("school"),
    }
    assert int(sel["huisarts"].sum()) == raw[("amenity", "doctors")] == 1
    assert int(sel["supermarkt"].sum()) == raw[("shop", "supermarket")] == 6
    assert int(sel["basisschool"].sum()) == raw[("amenity", "school")] == 2
    att = ig.attach_facilities(net, cbs)
    for key in CBS_KEYS:
        assert np.isfinite(d[key]).mean() > 0.9, key
        _same(d[key], _nx_distances(net, att, np.flatnonzero(sel[key].to_numpy())))
    # the GP equals the eight-component path restricted to doctors
    doctors = fac.loc[fac["category"].isin(["amenity=doctors", "healthcare=doctor"])]
    _same(d["huisarts"], ig.distance_to_nearest(net, doctors, component="care"))
    # the default facilities never read shop=*: no supermarket, said in the log
    assert np.isinf(
        ig.distance_to_nearest(net, fac, component="supermarkt", rules="cbs_nabijheid")
    ).all()


def test_grouped_nearest_points_catchments_agree(ams):
    net, fac, cbs = ams
    rules = "cbs_nabijheid"
    d = ig.distance_to_nearest(net, cbs, component="supermarkt", rules=rules)
    nf = ig.nearest_facilities(net, cbs, minutes=(5,), component="supermarkt", rules=rules)
    _same(nf["supermarkt_m"], d)
    shops = cbs.loc[cbs["shop"].eq("supermarket")]
    assert set(nf["supermarkt_nearest"].dropna()) <= set(shops["facility_id"])
    # counts within 5 min: brute force over the six shops, one distance_to_nearest each
    each = np.column_stack(
        [ig.distance_to_nearest(net, shops.iloc[[i]], component="supermarkt", rules=rules)
         for i in range(len(shops))]
    )  # fmt: skip
    _same(d, each.min(axis=1))
    np.testing.assert_array_equal(nf["supermarkt_n_5min"], (each <= 400.0 + 1e-9).sum(axis=1))
    # a network node as a point: exactly its node distance, for every group
    dall = ig.distance_to_nearest(net, cbs, component=CBS_KEYS, rules=rules)
    at = ig.distances_at_points(
        net, cbs, net.nodes.geometry.iloc[:200], component=CBS_KEYS, rules=rules
    )
    assert at["snapped"].all()
    for k in CBS_KEYS:
        _same(at[k], dall[k].iloc[:200])
    c1 = ig.catchments(net, fac, minutes=(5,), by="category", component="amenity=doctors")
    doctors = fac.loc[fac["category"] == "amenity=doctors"]
    c2 = ig.catchments(net, {"amenity=doctors": doctors}, minutes=(5,))
    assert c1["component"].tolist() == ["amenity=doctors"]
    assert c1.geometry.iloc[0].symmetric_difference(c2.geometry.iloc[0]).area < 1e-3
    c3 = ig.catchments(net, cbs, minutes=(5,), by="facility", component="basisschool", rules=rules)
    assert len(c3) == 2 and set(c3["component"]) == {"basisschool"}


def test_group_errors_name_what_exists(ams):
    net, fac, cbs = ams
    with pytest.raises(ig.UnknownComponentError, match="huisarts, huisartsenpost"):
        ig.distance_to_nearest(net, cbs, component="gp", rules="cbs_nabijheid")
    with pytest.raises(ig.UnknownComponentError, match="amenity=doctors"):
        ig.distance_to_nearest(net, fac, component="doctors", by="category")
    with pytest.raises(ig.UnknownComponentError, match="gp"):
        ig.distance_to_nearest(net, {"gp": fac.iloc[:1]}, component="school")
    with pytest.raises(ig.InputError, match="not a column"):
        ig.distance_to_nearest(net, fac, by="nope")
    with pytest.raises(ig.InputError, match="either by"):
        ig.distance_to_nearest(net, fac, by="category", rules="cbs_nabijheid")
    with pytest.raises(ig.InputError, match="dict"):
        ig.distance_to_nearest(net, {"a": fac}, by="category")
    with pytest.raises(ig.InputError, match="empty"):
        ig.distance_to_nearest(net, {})
    with pytest.raises(ig.InputError, match="GeoDataFrame"):
        ig.distance_to_nearest(net, {"a": pd.DataFrame(fac.drop(columns="geometry"))})
    with pytest.raises(ig.InputError, match="rules"):
        ig.distance_to_nearest(net, fac[["facility_id", "components", "geometry"]],
                               rules="cbs_nabijheid")  # fmt: skip
    with pytest.raises(ig.InputError, match="by"):
        ig.catchments(net, fac, by="nope")
    # the eight-component API is unchanged
    with pytest.raises(ig.UnknownComponentError, match="care"):
        ig.distance_to_nearest(net, fac, component="schools")


def test_gap_analysis_and_uncovered_by_cbs_groups(ams_run):
    res = ams_run
    fac = ig.facilities_from_file(res.source_file, rules="cbs_nabijheid")
    g = ig.gap_analysis(
        res.network, fac, res.neighbourhoods, res.population, minutes=(5, 10),
        extent=res.extent, rules="cbs_nabijheid", component=CBS_KEYS,
    )  # fmt: skip
    for k in CBS_KEYS:
        for m in (5, 10):
            np.testing.assert_allclose(
                g[f"{k}_reached_{m}"] + g[f"{k}_unreached_{m}"] + g[f"{k}_no_path"],
                g["residents"],
                rtol=1e-9,
            )
    assert "care_mean_m" not in g.columns
    assert g["supermarkt_facilities"].sum() == 6
    assert g["completeness_10"].max() <= 3 + 1e-9
    u = ig.uncovered_areas(res.network, fac, res.population, minutes=10, rules="cbs_nabijheid")
    assert set(u["component"]) == set(ig.load_rules("cbs_nabijheid").keys)
    # residents beyond 10 min (800 m) or with no path, from frames picked by raw tags
    frames = {"supermarkt": fac.loc[fac["shop"].eq("supermarket")]}
    acc = ig.resident_access(res.network, frames, res.population)
    far = float(acc.loc[~(acc["supermarkt"] <= 800.0), "population"].sum())
    row = u.loc[u["component"] == "supermarkt"]
    assert float(row["residents"].iloc[0]) == pytest.approx(far, rel=1e-9, abs=1e-6)


# ------------------------------------------------------------------------- CBS comparison
def _weighted_km(acc: pd.DataFrame, col: str) -> pd.Series:
    d = acc[col].to_numpy()
    ok = np.isfinite(d)
    w = acc["population"].where(ok, 0.0)
    num = (w * np.where(ok, d, 0.0)).groupby(acc["unit_id"]).sum()
    return num / w.groupby(acc["unit_id"]).sum() / 1000.0


def test_compare_with_cbs_amsterdam(ams_run, ams_cmp, amsterdam_buurten):
    res, cmp = ams_run, ams_cmp
    st = cmp.stats.set_index("group")
    assert list(st.index) == CBS_KEYS
    whole = res.gaps.loc[~res.gaps["partial"] & (res.gaps["residents"] > 0), "unit_id"]
    assert len(whole) == 3  # the export's box (data_extent: same for .osm.gz and .pbf)
    for k in CBS_KEYS:
        p = cmp.pairs.loc[cmp.pairs["group"] == k]
        assert set(p["unit_id"]) == set(whole)  # every non-partial buurt, no partial one
        assert st.loc[k, "n"] == len(p) == 3
        # CBS figures straight from the file
        raw = gpd.read_file(amsterdam_buurten).set_index("BU_CODE")[st.loc[k, "cbs_column"]]
        np.testing.assert_allclose(p["cbs_km"], raw.reindex(p["unit_id"]).to_numpy())
        np.testing.assert_allclose(p["ratio"], p["ours_km"] / p["cbs_km"])
        # Spearman = Pearson of the ranks, recomputed with pandas
        rho = p["ours_km"].rank().corr(p["cbs_km"].rank())
        # (NaN where CBS gives every buurt the same figure: supermarkt, 0.4 km for all 3)
        assert st.loc[k, "rho"] == pytest.approx(rho, abs=1e-12, nan_ok=True)
        assert st.loc[k, "median_ratio"] == pytest.approx(p["ratio"].median())
    assert (st["facilities"] == [1, 6, 2]).all()
    # ours: the population-weighted walk from the residents to frames picked by raw tags
    cbs = ig.facilities_from_file(res.source_file, rules="cbs_nabijheid")
    frames = {
        "huisarts": cbs.loc[cbs["amenity"].eq("doctors")],
        "supermarkt": cbs.loc[cbs["shop"].eq("supermarket")],
        "basisschool": cbs.loc[cbs["amenity"].eq("school")],
    }
    acc = ig.resident_access(res.network, frames, res.population, entrances=res.entrances)
    for k in CBS_KEYS:
        p = cmp.pairs.loc[cmp.pairs["group"] == k]
        want = _weighted_km(acc, k).reindex(p["unit_id"]).to_numpy()
        np.testing.assert_allclose(p["ours_km"], want, rtol=1e-9)
    # the figures the README quotes
    assert st.loc["basisschool", "rho"] == pytest.approx(0.866, abs=0.005)
    assert 0.3 < st.loc["basisschool", "median_ratio"] < 1.0
    # the plot: a real PNG
    assert cmp.png is not None and cmp.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cmp.png.stat().st_size > 10_000
    # summary.md carries the same table
    md = res.summary_markdown(lang="en")
    assert "Walking distance next to CBS nabijheid" in md
    assert cmp.markdown() in md


def test_compare_with_cbs_bad_input(ams_run, utrecht_xlsx):
    res = ams_run
    with pytest.raises(ig.InputError, match="Analysis"):
        ig.compare_with_cbs(res.gaps)
    with pytest.raises(ig.InputError, match="code"):
        ig.compare_with_cbs(res, pd.DataFrame({"x": [1]}))
    with pytest.raises(ig.InputError, match="no CBS distance column"):
        ig.compare_with_cbs(res, res.neighbourhoods[["unit_id", "geometry"]])
    with pytest.raises(ig.UnknownComponentError, match="huisarts"):
        ig.compare_with_cbs(res, groups=["gp"])
    with pytest.raises(ig.InputError, match="zwembad"):
        ig.compare_with_cbs(res, groups=["zwembad"])
    # the kwb sheet's g_afs_* columns are recognised (Utrecht: no buurt overlaps, all ".")
    kwb = ig.read_cbs_table(utrecht_xlsx)
    got = ig.compare_with_cbs(res, kwb, groups=["huisarts"])
    assert got.stats["cbs_column"].tolist() == ["g_afs_hp"] and got.stats["n"].tolist() == [0]


def test_compare_with_cbs_reads_kwb_codes_and_cbs_missing_values(ams_run, ams_cmp):
    """The same figures under the kwb names, as text with decimal commas, "." and a secrecy
    code, give the same pairs minus the buurten made unknown."""
    res = ams_run
    src = res.neighbourhoods
    kwb = pd.DataFrame(
        {
            "gwb_code_10": src["unit_id"].astype(str),
            "g_afs_hp": src["afstand_huisarts_km"].map(lambda v: f"{v:.1f}".replace(".", ",")),
            "g_afs_gs": src["afstand_grote_supermarkt_km"],
            "g_afs_sc": src["afstand_basisschool_km"],
        }
    )
    kwb.loc[kwb["gwb_code_10"] == "BU0363AE04", "g_afs_hp"] = "."
    kwb.loc[kwb["gwb_code_10"] == "BU0363AF08", "g_afs_sc"] = -99999997
    got = ig.compare_with_cbs(res, kwb)
    assert got.stats["cbs_column"].tolist() == ["g_afs_hp", "g_afs_gs", "g_afs_sc"]
    assert got.stats["n"].tolist() == [2, 3, 2]
    want = ams_cmp.pairs.drop(columns="cbs_column")
    drop = ((want["group"] == "huisarts") & (want["unit_id"] == "BU0363AE04")) | (
        (want["group"] == "basisschool") & (want["unit_id"] == "BU0363AF08")
    )
    pd.testing.assert_frame_equal(
        got.pairs.drop(columns="cbs_column"), want.loc[~drop].reset_index(drop=True)
    )
    with pytest.raises(ig.InputError, match="out_png"):
        ig.compare_with_cbs(res, kwb, out_png=Path("/nonexistent-folder/x.png"))


def _readme_block(cmp: ig.CBSComparison) -> str:
    w = cmp.wide()
    head = (
        "| buurt | residents | walk to GP (km) | CBS huisarts (km) | walk to supermarket (km) "
        "| CBS grote supermarkt (km) | walk to primary school (km) | CBS basisschool (km) |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for _, r in w.iterrows():
        vals = [f"{r[f'{k}_{s}_km']:.2f}" if s == "ours" else f"{r[f'{k}_{s}_km']:.1f}"
                for k in CBS_KEYS for s in ("ours", "cbs")]  # fmt: skip
        lines.append(
            f"| {r['unit_id']} {r['unit_name']} | {r['residents']:,.0f} | "
            + " | ".join(vals)
            + " |"
        )
    return "\n".join(lines) + "\n\n" + cmp.markdown()


def test_readme_amsterdam_table_comes_from_compare_with_cbs(ams_cmp):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- cbs-table:start -->\n(.*)<!-- cbs-table:end -->", text, re.S)
    assert m, "README lost its cbs-table markers"
    assert m.group(1) == _readme_block(ams_cmp), (
        "README's Amsterdam table is stale: regenerate it from ig.compare_with_cbs "
        "(tests/test_groups.py::_readme_block)\n" + _readme_block(ams_cmp)
    )
