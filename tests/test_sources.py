"""Taxonomy and facilities: the eight components, classification, and reading real extracts.

The counts here are checked against independent references computed in the test itself
(pyosmium over the raw file with the rule table re-implemented from ``components.toml``,
``xml.etree`` over the XML, the figures measured in ``shared/data/README.md``).
"""

from __future__ import annotations

import bz2
import gzip
import logging
import re
import shutil
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import infra_geo as ig
from infra_geo.sources import FACILITY_COLUMNS

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib

KEYS = (
    "meeting",
    "associations",
    "digital",
    "education",
    "care",
    "culture",
    "sports",
    "public_space",
)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def li_fac(liechtenstein):
    return ig.facilities_from_file(liechtenstein)


@pytest.fixture(scope="session")
def li_fac_all(liechtenstein):
    return ig.facilities_from_file(liechtenstein, merge_duplicates=False)


@pytest.fixture(scope="session")
def ams_fac(amsterdam_osm):
    return ig.facilities_from_file(amsterdam_osm)


@pytest.fixture(scope="session")
def ams_fac_all(amsterdam_osm):
    return ig.facilities_from_file(amsterdam_osm, merge_duplicates=False)


@pytest.fixture(scope="session")
def ams_xml_bytes(amsterdam_osm) -> bytes:
    return gzip.decompress(Path(amsterdam_osm).read_bytes())


@pytest.fixture(scope="session")
def helsinki_xml(helsinki, tmp_path_factory) -> Path:
    """The Helsinki PBF rewritten as plain OSM XML with pyosmium (same content)."""
    import osmium

    out = tmp_path_factory.mktemp("helsinki") / "x.osm"
    writer = osmium.SimpleWriter(str(out))
    try:
        for o in osmium.FileProcessor(str(helsinki)):
            if o.is_node():
                writer.add_node(o)
            elif o.is_way():
                writer.add_way(o)
            elif o.is_relation():
                writer.add_relation(o)
    finally:
        writer.close()
    return out


def _gdf(rows: list[dict]) -> gpd.GeoDataFrame:
    """A GeoDataFrame of OSM tags as osmnx gives it (missing tags are NaN)."""
    df = pd.DataFrame(rows)
    return gpd.GeoDataFrame(
        df, geometry=[shapely.Point(5.0 + i * 1e-3, 52.0) for i in range(len(df))], crs=4326
    )


def _frame_key(fac: gpd.GeoDataFrame) -> pd.DataFrame:
    return fac.drop(columns="geometry").reset_index(drop=True)


def assert_same_facilities(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(_frame_key(a), _frame_key(b))
    assert a.crs == b.crs
    assert bool(np.all(shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), 1e-9)))


# ----------------------------------------------------------------------------- taxonomy
def test_components_are_the_eight_in_order():
    assert tuple(c.key for c in ig.COMPONENTS) == KEYS
    assert ig.COMPONENT_KEYS == KEYS
    for c in ig.COMPONENTS:
        assert isinstance(c, ig.Component)
        assert c.label_nl.strip() and c.label_en.strip()
        assert c.label("nl") == c.label_nl and c.label("en") == c.label_en
        assert re.fullmatch(r"#[0-9a-fA-F]{6}", c.color), c.color
    assert len({c.color.lower() for c in ig.COMPONENTS}) == 8
    assert len({c.label_nl for c in ig.COMPONENTS}) == 8
    assert len({c.label_en for c in ig.COMPONENTS}) == 8


def _one(rows: list[dict], **kw) -> gpd.GeoDataFrame:
    return ig.classify(_gdf(rows), **kw)


def test_classify_library_is_meeting_and_digital():
    out = _one([{"amenity": "library", "name": "OBA"}])
    assert len(out) == 1
    row = out.iloc[0]
    assert row["component"] == "meeting"
    assert row["components"] == "meeting;digital"
    assert row["category"] == "amenity=library"
    assert row["name"] == "OBA"
    assert out.crs == "EPSG:4326"


@pytest.mark.parametrize(
    "tags",
    [
        {"leisure": "pitch", "access": "private"},
        {"leisure": "pitch", "access": "no"},
        {"amenity": "library", "disused": "yes"},
        {"amenity": "theatre", "abandoned": "yes"},
        {"amenity": "community_centre", "opening_hours": "closed"},
        {"leisure": "garden", "garden:type": "residential"},
        {"leisure": "garden", "garden:type": "private"},
        {"highway": "pedestrian"},
        {"highway": "pedestrian", "area": "no"},
        {"club": "no"},
        {"amenity": "bench"},
    ],
)
def test_classify_drops(tags):
    # a matching feature next to it proves the frame as a whole is classified
    out = _one([tags, {"amenity": "school"}])
    assert out["category"].tolist() == ["amenity=school"]


def test_classify_keep_unmatched_keeps_rows_with_na():
    out = _one([{"amenity": "bench"}, {"amenity": "school"}], keep_unmatched=True)
    assert len(out) == 2
    assert out["component"].isna().tolist() == [True, False]
    assert out["components"].isna().tolist() == [True, False]


@pytest.mark.parametrize(
    ("tags", "component", "components", "category"),
    [
        (
            {"amenity": "social_facility", "social_facility": "food_bank"},
            "associations",
            "associations",
            "amenity=social_facility",
        ),
        (
            {"amenity": "social_facility", "social_facility": "nursing_home"},
            "care",
            "care",
            "social_facility=nursing_home",  # the first matching rule names the category
        ),
        (
            {"amenity": "social_facility", "social_facility:for": "senior"},
            "care",
            "care",
            "amenity=social_facility",
        ),
        (
            {"highway": "pedestrian", "area": "yes"},
            "public_space",
            "public_space",
            "highway=pedestrian",
        ),
        ({"club": "sport"}, "associations", "associations", "club=sport"),
        ({"leisure": "pitch"}, "sports", "sports", "leisure=pitch"),
        ({"leisure": "garden"}, "public_space", "public_space", "leisure=garden"),
        ({"leisure": "park"}, "public_space", "public_space", "leisure=park"),
        ({"tourism": "museum"}, "culture", "culture", "tourism=museum"),
        ({"amenity": "doctors"}, "care", "care", "amenity=doctors"),
        ({"healthcare": "physiotherapist"}, "care", "care", "healthcare=physiotherapist"),
        ({"amenity": "school"}, "education", "education", "amenity=school"),
        ({"building": "school"}, "education", "education", "building=school"),
        (
            {"community_centre": "youth_centre"},
            "meeting",
            "meeting",
            "community_centre=youth_centre",
        ),
        # a congregation is an association, but a church hall that is a community centre
        # is a meeting place first (the worship rule is secondary)
        (
            {"amenity": "place_of_worship"},
            "associations",
            "associations",
            "amenity=place_of_worship",
        ),
        (
            {"amenity": "community_centre", "place_of_worship": "yes", "religion": "x"},
            "meeting",
            "meeting",
            "amenity=community_centre",
        ),
        # only a secondary rule matches: it gives the primary component (rules 2026.12.1:
        # a public bookcase, the former example, is no meeting place any more)
        ({"building": "kindergarten"}, "education", "education", "building=kindergarten"),
        # free wifi in a community centre: also digital access
        (
            {"amenity": "community_centre", "internet_access": "wlan"},
            "meeting",
            "meeting;digital",
            "amenity=community_centre",
        ),
        # paid wifi does not count as public digital access
        (
            {
                "amenity": "community_centre",
                "internet_access": "wlan",
                "internet_access:fee": "yes",
            },
            "meeting",
            "meeting",
            "amenity=community_centre",
        ),
        # a sports club on its own grounds: association first, sports too
        (
            {"club": "sport", "leisure": "sports_centre"},
            "associations",
            "associations;sports",
            "club=sport",
        ),
    ],
)
def test_classify_components(tags, component, components, category):
    out = _one([tags])
    assert len(out) == 1, tags
    row = out.iloc[0]
    assert (row["component"], row["components"], row["category"]) == (
        component,
        components,
        category,
    )


def test_classify_many_rows_with_nan_columns():
    rows = [
        {"amenity": "library"},
        {"leisure": "pitch", "access": "private"},
        {"amenity": "social_facility", "social_facility": "food_bank"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "pedestrian"},
        {"club": "sport"},
    ]
    out = _one(rows)
    assert out.index.tolist() == [0, 2, 3, 5]
    assert out["component"].tolist() == ["meeting", "associations", "public_space", "associations"]


def test_classify_user_rules_dict():
    rules = {"rule": [{"component": "public_space", "tags": {"amenity": ["bench"]}}]}
    out = ig.classify(_gdf([{"amenity": "bench"}, {"amenity": "library"}]), rules=rules)
    assert out["component"].tolist() == ["public_space"]
    assert out["category"].tolist() == ["amenity=bench"]
    # the user rules reuse the eight components
    assert ig.load_rules(rules).keys == KEYS


def test_classify_user_rules_unless_star_means_present():
    # components.toml: "no key in `unless` has one of its values ("*" = the key is present
    # at all)" -- so any value of the key, "no" included, vetoes the rule
    rules = {
        "rule": [
            {
                "component": "public_space",
                "tags": {"amenity": ["bench"]},
                "unless": {"fee": ["*"]},
            }
        ]
    }
    out = ig.classify(
        _gdf(
            [
                {"amenity": "bench"},
                {"amenity": "bench", "fee": "no"},
                {"amenity": "bench", "fee": "yes"},
            ]
        ),
        rules=rules,
    )
    assert out.index.tolist() == [0]


def test_rules_file_roundtrip(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text(
        'version = "t1"\n[[rule]]\ncomponent = "public_space"\ntags = { amenity = ["bench"] }\n',
        "utf-8",
    )
    out = ig.classify(_gdf([{"amenity": "bench"}]), rules=p)
    assert out["component"].tolist() == ["public_space"]
    assert ig.load_rules(str(p)).version == "t1"


def test_rules_file_unknown_component(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text('[[rule]]\ncomponent = "schools"\ntags = { amenity = ["school"] }\n', "utf-8")
    with pytest.raises(ig.UnknownComponentError, match="schools"):
        ig.classify(_gdf([{"amenity": "school"}]), rules=p)
    assert issubclass(ig.UnknownComponentError, ig.InfraGeoError)


def test_rules_file_malformed_toml(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text("[[rule]\ncomponent = \n", "utf-8")
    with pytest.raises(ig.DataFileError, match=r"rules\.toml"):
        ig.classify(_gdf([{"amenity": "school"}]), rules=p)


def test_rules_file_missing(tmp_path):
    p = tmp_path / "nope.toml"
    with pytest.raises(ig.DataFileError, match=r"nope\.toml"):
        ig.classify(_gdf([{"amenity": "school"}]), rules=p)


def test_classify_rejects_non_frame():
    with pytest.raises(ig.InputError):
        ig.classify([{"amenity": "school"}])


# ------------------------------------------------ independent classification of a real file
_TOML = tomllib.loads(resources.files("infra_geo").joinpath("components.toml").read_text("utf-8"))


def _has(tags: dict, key: str, values: list[str]) -> bool:
    if key not in tags:
        return False
    return tags[key] != "no" if "*" in values else tags[key] in values


def _memberships(tags: dict) -> set[str]:
    """components.toml's matching semantics, re-implemented from its header comment."""
    if any(tags.get(k) in v for k, v in _TOML["exclude"].items()):
        return set()
    out = set()
    for r in _TOML["rule"]:
        if not all(_has(tags, k, v) for k, v in r["tags"].items()):
            continue
        if not all(_has(tags, k, v) for k, v in r.get("where", {}).items()):
            continue
        if any(
            (k in tags) if "*" in v else tags.get(k) in v for k, v in r.get("unless", {}).items()
        ):
            continue
        out.add(r["component"])
    return out


class _Independent:
    """Every OSM object of a file that matches the rules, with what it needs to be complete."""

    def __init__(self, path: Path) -> None:
        import osmium

        self.nodes: set[int] = set()
        self.ways: dict[int, list[int]] = {}
        self.rels: dict[int, list[tuple[str, int]]] = {}
        self.matches: dict[tuple[str, int], set[str]] = {}
        for o in osmium.FileProcessor(str(path)):
            tags = dict(o.tags)
            if o.is_node():
                self.nodes.add(o.id)
                key = ("node", o.id)
            elif o.is_way():
                self.ways[o.id] = [n.ref for n in o.nodes]
                key = ("way", o.id)
            elif o.is_relation():
                self.rels[o.id] = [(m.type, m.ref) for m in o.members]
                # only multipolygon / boundary relations describe an area
                if tags.get("type") not in ("multipolygon", "boundary"):
                    continue
                key = ("relation", o.id)
            else:  # pragma: no cover
                continue
            if tags and (m := _memberships(tags)):
                self.matches[key] = m

    def by_component(self, key: str) -> set[tuple[str, int]]:
        return {o for o, m in self.matches.items() if key in m}

    def way_complete(self, wid: int) -> bool:
        return wid in self.ways and all(n in self.nodes for n in self.ways[wid])

    def complete(self, obj: tuple[str, int]) -> bool:
        kind, oid = obj
        if kind == "node":
            return True
        if kind == "way":
            return self.way_complete(oid)
        for mtype, ref in self.rels[oid]:
            if mtype == "n" and ref not in self.nodes:
                return False
            if mtype == "w" and not self.way_complete(ref):
                return False
            if mtype == "r" and ref not in self.rels:
                return False
        return True


def _ours(fac: gpd.GeoDataFrame, key: str) -> set[tuple[str, int]]:
    m = ig.component_mask(fac, key)
    return {(str(t), int(i)) for t, i in zip(fac["osm_type"][m], fac["osm_id"][m], strict=True)}


@pytest.mark.parametrize("which", ["liechtenstein", "helsinki", "amsterdam_pbf"])
def test_facilities_match_independent_classification(which, request):
    path = request.getfixturevalue(which)
    ref = _Independent(path)
    fac = ig.facilities_from_file(path, merge_duplicates=False)
    assert fac["facility_id"].is_unique
    n_missing = 0
    for key in KEYS:
        ind = ref.by_component(key)
        ours = _ours(fac, key)
        assert ours <= ind, f"{key}: not matching the rules: {sorted(ours - ind)[:5]}"
        missing = ind - ours
        unexplained = sorted(o for o in missing if ref.complete(o))
        assert not unexplained, f"{key}: complete objects lost: {unexplained[:10]}"
        n_missing += len(missing)
    # every facility row is a matching object; no object twice
    assert len(fac) == len({(t, int(i)) for t, i in zip(fac.osm_type, fac.osm_id, strict=True)})
    if which == "helsinki":
        assert n_missing > 0  # a clipped extract: the check above had something to explain
    # the primary component is one of the memberships
    for comp, comps in zip(fac["component"], fac["components"], strict=True):
        assert comp in comps.split(";")


def test_liechtenstein_components(li_fac):
    assert set(li_fac["component"]) <= set(KEYS)
    for comps in li_fac["components"]:
        parts = comps.split(";")
        assert set(parts) <= set(KEYS)
        assert parts == sorted(parts, key=KEYS.index)  # in component order
    non_empty = {k for k in KEYS if ig.component_mask(li_fac, k).any()}
    assert len(non_empty) >= 6, non_empty
    assert list(li_fac.columns[: len(FACILITY_COLUMNS)]) == list(FACILITY_COLUMNS)
    assert li_fac.crs == "EPSG:4326"
    assert li_fac["facility_id"].is_unique
    assert (li_fac["facility_id"] == li_fac["osm_type"] + "/" + li_fac["osm_id"].astype(str)).all()
    assert li_fac.geometry.notna().all() and not li_fac.geometry.is_empty.any()
    assert li_fac.attrs.get("rules_version") == ig.load_rules().version


@pytest.mark.parametrize("which", ["liechtenstein", "amsterdam_osm", "spijkenisse"])
def test_merged_duplicates_lie_in_a_kept_area(which, request):
    path = request.getfixturevalue(which)
    merged = ig.facilities_from_file(path)
    full = ig.facilities_from_file(path, merge_duplicates=False)
    assert len(merged) <= len(full)
    assert set(merged["facility_id"]) <= set(full["facility_id"])
    gone = full.loc[~full["facility_id"].isin(merged["facility_id"])]
    areas = merged.loc[merged.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    value = merged["category"].str.split("=", n=1).str[1]
    for _, row in gone.iterrows():
        pt = row.geometry.point_on_surface()
        inside = areas.loc[areas.geometry.covers(pt)]
        same = inside.loc[
            (inside["component"] == row["component"])
            & (value[inside.index] == row["category"].split("=", 1)[1])
        ]
        assert len(same), f"{row['facility_id']} was merged away but lies in no kept area"
        own = gpd.GeoSeries([row.geometry], crs=4326).to_crs(3857).area.iloc[0]
        assert (same.geometry.to_crs(3857).area >= own).any()
    # the rows that remain are unchanged apart from a name taken from a merged duplicate
    kept = full.set_index("facility_id").loc[merged["facility_id"]]
    cols = [c for c in merged.columns if c not in ("facility_id", "name", "geometry")]
    pd.testing.assert_frame_equal(
        kept[cols].reset_index(drop=True), merged[cols].reset_index(drop=True)
    )


# ----------------------------------------------------------------------------- Amsterdam
README_AMSTERDAM = [
    # (tag key, value, count measured in shared/data/README.md, component)
    ("amenity", "theatre", 11, "culture"),
    ("tourism", "museum", 11, "culture"),
    ("amenity", "community_centre", 3, "meeting"),
    ("amenity", "library", 1, "meeting"),
    ("amenity", "doctors", 1, "care"),
    ("leisure", "playground", 7, "public_space"),
    ("leisure", "park", 2, "public_space"),
]


@pytest.mark.parametrize(("key", "value", "count", "component"), README_AMSTERDAM)
def test_amsterdam_readme_facilities(ams_fac_all, ams_fac, key, value, count, component):
    rows = ams_fac_all.loc[ams_fac_all[key] == value]
    assert len(rows) == count
    assert (rows["component"] == component).all()
    assert (rows["category"] == f"{key}={value}").all()
    # with merging on, a missing one was a true duplicate: it lies in a kept area of the
    # same category
    kept = ams_fac.loc[ams_fac[key] == value]
    assert 1 <= len(kept) <= count
    for _, row in rows.loc[~rows["facility_id"].isin(kept["facility_id"])].iterrows():
        areas = kept.loc[kept.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        assert areas.geometry.covers(row.geometry.point_on_surface()).any(), row["facility_id"]


def test_amsterdam_library_is_also_digital(ams_fac):
    lib = ams_fac.loc[ams_fac["amenity"] == "library"]
    assert lib["components"].tolist() == ["meeting;digital"]
    assert ig.component_mask(ams_fac, "digital").sum() >= 1


def test_amsterdam_inside_extract(ams_fac, amsterdam_osm, ams_xml_bytes):
    # every facility lies within the bbox of all nodes in the file
    root = ET.fromstring(ams_xml_bytes)
    lon = np.array([float(n.get("lon")) for n in root.iter("node")])
    lat = np.array([float(n.get("lat")) for n in root.iter("node")])
    w, s, e, n = ams_fac.total_bounds
    assert lon.min() - 1e-9 <= w and e <= lon.max() + 1e-9
    assert lat.min() - 1e-9 <= s and n <= lat.max() + 1e-9


# ----------------------------------------------------------------------------- Spijkenisse
def test_spijkenisse_street_only(spijkenisse, caplog):
    """A streets-only Overpass file: no facility but its pedestrian areas.

    Its 6 ``leisure=track`` ways are all ``access=private`` (excluded); the rules make a
    ``highway=pedestrian`` + ``area=yes`` way a public space, so those are found and
    nothing else.
    """
    root = ET.parse(spijkenisse).getroot()
    ped, tracks = set(), []
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        if tags.get("leisure") == "track":
            tracks.append(tags)
        if (
            tags.get("highway") == "pedestrian"
            and tags.get("area") == "yes"
            and tags.get("access") not in ("private", "no")
        ):
            ped.add(int(w.get("id")))
    assert len(tracks) == 6 and all(t.get("access") == "private" for t in tracks)
    with caplog.at_level(logging.INFO, logger="infra_geo"):
        fac = ig.facilities_from_file(spijkenisse, merge_duplicates=False)
    assert set(fac["component"]) == {"public_space"}
    assert set(fac["components"]) == {"public_space"}
    assert not ig.component_mask(fac, "sports").any()
    assert set(zip(fac["osm_type"], fac["osm_id"], strict=True)) == {("way", i) for i in ped}
    assert (fac.geometry.geom_type == "Polygon").all()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_spijkenisse_area_without_facilities_is_empty(spijkenisse, caplog):
    # the south-east of the file has streets but no pedestrian area: zero facilities
    area = shapely.box(4.36, 51.82, 4.40, 51.835)
    net = ig.walk_network_from_file(spijkenisse, polygon=area)
    assert net.n_edges > 10  # real streets there
    with caplog.at_level(logging.WARNING, logger="infra_geo"):
        fac = ig.facilities_from_file(spijkenisse, polygon=area)
    assert isinstance(fac, gpd.GeoDataFrame)
    assert len(fac) == 0
    assert fac.crs == "EPSG:4326"
    assert list(fac.columns[: len(FACILITY_COLUMNS)]) == list(FACILITY_COLUMNS)
    assert "geometry" in fac.columns
    warns = [
        r
        for r in caplog.records
        if r.name == "infra_geo" and r.levelno == logging.WARNING and "No facilities" in r.message
    ]
    assert warns


# ----------------------------------------------------------------------------- Helsinki
def test_helsinki_osmnx_fails_where_we_read(helsinki, helsinki_xml, tmp_path, caplog):
    """A real clipped extract: osmnx gives up on it, infra_geo keeps what is complete."""
    import osmnx as ox

    # osmnx 2.1: features_from_xml hits shapely's EmptyPartError on ways that lost their
    # nodes, graph_from_xml raises "Some edges missing nodes"
    with pytest.raises((shapely.errors.EmptyPartError, ValueError)):
        ox.features_from_xml(helsinki_xml)
    with pytest.raises(ValueError, match="missing nodes"):
        ox.graph_from_xml(helsinki_xml)

    pbf = tmp_path / "helsinki-copy.osm.pbf"  # a fresh path: no cached read, so it logs
    shutil.copyfile(helsinki, pbf)
    with caplog.at_level(logging.WARNING, logger="infra_geo"):
        a = ig.facilities_from_file(pbf)
        b = ig.facilities_from_file(helsinki_xml)
    assert len(a) > 100
    assert_same_facilities(a, b)
    dropped = [
        r.message for r in caplog.records if r.levelno == logging.WARNING and "dropped" in r.message
    ]
    assert any(m.startswith("helsinki-copy.osm.pbf") for m in dropped), dropped
    assert any(m.startswith("x.osm") for m in dropped), dropped
    assert all(re.search(r"\d+ feature areas incomplete", m) for m in dropped)


def test_helsinki_network_from_clipped_file(helsinki, helsinki_xml):
    a = ig.walk_network_from_file(helsinki)
    b = ig.walk_network_from_file(helsinki_xml)
    assert a.n_nodes == b.n_nodes > 1000
    assert a.n_edges == b.n_edges
    np.testing.assert_allclose(a.edge_length.sum(), b.edge_length.sum(), rtol=1e-9)


# ----------------------------------------------------------------------------- formats
def test_gz_and_pbf_identical(amsterdam_osm, amsterdam_pbf, ams_fac):
    assert_same_facilities(ams_fac, ig.facilities_from_file(amsterdam_pbf))


def test_bz2_and_plain_xml(ams_xml_bytes, ams_fac, tmp_path):
    p = tmp_path / "ams.osm.bz2"
    p.write_bytes(bz2.compress(ams_xml_bytes))
    assert_same_facilities(ams_fac, ig.facilities_from_file(p))
    q = tmp_path / "ams.osm"
    q.write_bytes(ams_xml_bytes)
    assert_same_facilities(ams_fac, ig.facilities_from_file(q))


def test_pbf_named_osm_is_sniffed(amsterdam_pbf, ams_fac, tmp_path, caplog):
    p = tmp_path / "renamed.osm"
    shutil.copyfile(amsterdam_pbf, p)
    with caplog.at_level(logging.WARNING, logger="infra_geo"):
        fac = ig.facilities_from_file(p)
    assert_same_facilities(ams_fac, fac)
    assert any(
        r.levelno == logging.WARNING and "renamed.osm" in r.message and "pbf" in r.message
        for r in caplog.records
    )


# ----------------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    p = tmp_path / "does-not-exist.osm.pbf"
    with pytest.raises(ig.DataFileError, match=re.escape(str(p))):
        ig.facilities_from_file(p)
    assert issubclass(ig.DataFileError, ig.InfraGeoError)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.osm.pbf"
    p.write_bytes(b"")
    with pytest.raises(ig.DataFileError, match="empty"):
        ig.facilities_from_file(p)


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(ig.DataFileError):
        ig.facilities_from_file(tmp_path)


def test_truncated_pbf(liechtenstein, tmp_path):
    data = Path(liechtenstein).read_bytes()
    p = tmp_path / "half.osm.pbf"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ig.DataFileError, match=r"truncated|corrupt"):
        ig.facilities_from_file(p)
    with pytest.raises(ig.DataFileError, match=r"truncated|corrupt"):
        ig.walk_network_from_file(p)


def test_truncated_xml(ams_xml_bytes, amsterdam_osm, tmp_path):
    p = tmp_path / "half.osm"
    p.write_bytes(ams_xml_bytes[: len(ams_xml_bytes) // 2])
    with pytest.raises(ig.DataFileError, match=r"truncated|corrupt"):
        ig.facilities_from_file(p)
    gz = Path(amsterdam_osm).read_bytes()
    q = tmp_path / "half.osm.gz"
    q.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(ig.DataFileError, match=r"truncated|corrupt"):
        ig.facilities_from_file(q)


def test_geojson_named_osm(amsterdam_buurten, tmp_path):
    p = tmp_path / "buurten.osm"
    shutil.copyfile(amsterdam_buurten, p)
    with pytest.raises(ig.DataFileError, match="not an OpenStreetMap file"):
        ig.facilities_from_file(p)


def test_polygon_outside_extract(liechtenstein):
    far = shapely.box(4.89, 52.36, 4.90, 52.37)  # Amsterdam, not Liechtenstein
    with pytest.raises(ig.OutsideDataError, match="outside"):
        ig.facilities_from_file(liechtenstein, polygon=far)


def test_bowtie_polygon(liechtenstein):
    bowtie = shapely.Polygon([(9.50, 47.10), (9.55, 47.15), (9.55, 47.10), (9.50, 47.15)])
    with pytest.raises(ig.GeometryError, match="Self-intersection"):
        ig.facilities_from_file(liechtenstein, polygon=bowtie)


VADUZ = shapely.box(9.49, 47.12, 9.54, 47.16)


def test_projected_polygon_needs_crs(liechtenstein, li_fac):
    projected = gpd.GeoSeries([VADUZ], crs=4326).to_crs("EPSG:32632").iloc[0]
    with pytest.raises(ig.CRSError, match="crs"):
        ig.facilities_from_file(liechtenstein, polygon=projected)
    fac = ig.facilities_from_file(liechtenstein, polygon=projected, crs="EPSG:32632")
    assert 0 < len(fac) < len(li_fac)
    back = gpd.GeoSeries([projected], crs="EPSG:32632").to_crs(4326).iloc[0]
    assert fac.intersects(back).all()
    # a GeoDataFrame carries its own CRS
    gdf = gpd.GeoDataFrame(geometry=[projected], crs="EPSG:32632")
    assert_same_facilities(fac, ig.facilities_from_file(liechtenstein, polygon=gdf))


def test_polygon_clipping(liechtenstein, li_fac):
    fac = ig.facilities_from_file(liechtenstein, polygon=VADUZ)
    expect = li_fac.loc[li_fac.intersects(VADUZ)]
    assert 5 < len(fac) < len(li_fac)
    assert fac.intersects(VADUZ).all()
    assert set(fac["facility_id"]) == set(expect["facility_id"])


# ----------------------------------------------------------------------------- determinism
def test_two_reads_are_equal(liechtenstein, li_fac, tmp_path):
    # a copy under another name is read afresh (no cache), and gives the same table
    p = tmp_path / "copy.osm.pbf"
    shutil.copyfile(liechtenstein, p)
    assert_same_facilities(li_fac, ig.facilities_from_file(p))
    assert_same_facilities(li_fac, ig.facilities_from_file(liechtenstein))
