"""Taxonomy changes of rules version 2026.12.1 (issue 11), each on real OSM objects where the
shared data holds one (found here with raw pyosmium, independently of infra_geo's reader), and
on hand-built tag rows where it does not."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import infra_geo as ig
from infra_geo._osm_reader import read_osm


def _raw(path: Path, key: str, value: str) -> set[tuple[str, int]]:
    """(type, id) of every object with ``key=value``, read with pyosmium alone."""
    import osmium

    return {
        ({"n": "node", "w": "way", "r": "relation"}[o.type_str()], o.id)
        for o in osmium.FileProcessor(str(path))
        if o.tags.get(key) == value
    }


def _classify(rows: list[dict]) -> gpd.GeoDataFrame:
    pts = [shapely.Point(4.9 + i * 1e-3, 52.37) for i in range(len(rows))]
    return ig.classify(gpd.GeoDataFrame(rows, geometry=pts, crs="EPSG:4326"))


def test_rules_version_and_changelog():
    r = ig.load_rules()
    assert r.version == "2026.12.1"
    (version, changes), *_ = r.changelog
    assert version == r.version
    text = " ".join(changes)
    for needle in ("public_bookcase", "access=customers", "fee=yes", "tourism=picnic_site",
                   "type=building"):  # fmt: skip
        assert needle in text
    # the README shows the changelog (its rules section is generated from the file)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert ig.components.rules_markdown() in readme


def test_public_bookcases_are_not_meeting_places(amsterdam_pbf):
    bookcases = _raw(amsterdam_pbf, "amenity", "public_bookcase")
    assert len(bookcases) == 3  # real bookcases in Amsterdam-Centrum
    fac = ig.facilities_from_file(amsterdam_pbf)
    keys = set(zip(fac["osm_type"], fac["osm_id"].astype(int), strict=True))
    assert not bookcases & keys
    assert len(_classify([{"amenity": "public_bookcase", "name": "Minibieb"}])) == 0
    # the real meeting places are still there (3 community centres, 1 library)
    assert fac["components"].str.contains("meeting").sum() >= 4


def test_tourism_picnic_site_is_public_space(liechtenstein):
    sites = _raw(liechtenstein, "tourism", "picnic_site")
    assert len(sites) == 6  # real picnic sites, all tagged tourism=, none leisure=
    assert not _raw(liechtenstein, "leisure", "picnic_site")
    fac = ig.facilities_from_file(liechtenstein)
    fac = fac.set_index([fac["osm_type"], fac["osm_id"].astype(int)])
    for key in sites:
        row = fac.loc[key]
        assert row["category"] == "tourism=picnic_site"
        assert "public_space" in row["components"].split(";")


@pytest.mark.parametrize(
    ("tags", "public"),
    [
        ({"leisure": "playground"}, True),
        # a paid indoor play centre (no real one in the shared data: hand-built row)
        ({"leisure": "playground", "access": "customers", "fee": "yes", "indoor": "yes"}, False),
        ({"leisure": "playground", "access": "customers"}, False),
        ({"leisure": "playground", "fee": "yes"}, False),
        ({"leisure": "playground", "indoor": "yes"}, False),
        ({"leisure": "playground", "fee": "no"}, True),
        ({"leisure": "park", "fee": "yes"}, False),
        ({"leisure": "indoor_play", "fee": "yes"}, False),
        ({"landuse": "recreation_ground", "access": "customers"}, False),
        ({"tourism": "picnic_site"}, True),
        ({"tourism": "picnic_site", "fee": "yes"}, False),
        ({"leisure": "picnic_site"}, True),
    ],
)
def test_paid_or_indoor_play_is_not_public_space(tags, public):
    out = _classify([tags])
    got = len(out) == 1 and "public_space" in out["components"].iloc[0].split(";")
    assert got == public


def _building_relation_file(src: Path, dst: Path, rel_id: int, extra: dict, drop_way=False):
    """A file with one real type=building relation of ``src``, its outline way and nodes,
    the relation given the tags ``extra``."""
    root = ET.fromstring(gzip.decompress(src.read_bytes()))
    rel = next(r for r in root.iter("relation") if r.get("id") == str(rel_id))
    outline = [m.get("ref") for m in rel.iter("member") if m.get("role") == "outline"]
    ways = [w for w in root.iter("way") if w.get("id") in outline]
    refs = {nd.get("ref") for w in ways for nd in w.iter("nd")}
    nodes = [n for n in root.iter("node") if n.get("id") in refs]
    out = ET.Element("osm", version="0.6")
    out.extend(nodes)
    if not drop_way:
        out.extend(ways)
    new = ET.SubElement(out, "relation", id=str(rel_id), version="1")
    for m in rel.iter("member"):
        if m.get("role") == "outline":
            new.append(m)
    for k, v in {**{t.get("k"): t.get("v") for t in rel.iter("tag")}, **extra}.items():
        ET.SubElement(new, "tag", k=k, v=v)
    ET.ElementTree(out).write(dst, encoding="utf-8", xml_declaration=True)
    lonlat = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in nodes}
    ring = [lonlat[nd.get("ref")] for nd in ways[0].iter("nd")]
    return dst, shapely.Polygon(ring)


def test_building_relation_is_read_like_a_multipolygon(amsterdam_osm, tmp_path):
    import osmium

    # the real file: 7 type=building relations (outline + parts), none with a facility tag
    rels = [
        o
        for o in osmium.FileProcessor(str(amsterdam_osm), osmium.osm.RELATION)
        if o.tags.get("type") == "building"
    ]
    assert len(rels) == 7
    rid = 10324667
    f, ring = _building_relation_file(
        amsterdam_osm, tmp_path / "b.osm", rid, {"building": "yes", "amenity": "community_centre"}
    )
    fac = ig.facilities_from_file(f)
    assert list(zip(fac["osm_type"], fac["osm_id"], fac["component"], strict=True)) == [
        ("relation", rid, "meeting")
    ]
    geom = fac.geometry.iloc[0]
    assert geom.geom_type == "Polygon"
    assert shapely.symmetric_difference(geom, ring).area <= 1e-9 * ring.area
    # its outline missing (a clipped extract): not read, and counted, never silently dropped
    f2, _ = _building_relation_file(
        amsterdam_osm, tmp_path / "c.osm", rid, {"amenity": "community_centre"}, drop_way=True
    )
    data = read_osm(f2, ig.load_rules().match_keys())
    assert len(data.features) == 0
    assert data.dropped["feature_areas_incomplete"] == 1
