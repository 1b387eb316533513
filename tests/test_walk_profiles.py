"""The walk profiles ("nl", "osmnx", "auto"), checked against references written here.

The "nl" reference is a plain-Python reading of the rules in the README (not the library's
Overpass tables); the ``sidewalk=separate`` reference measures, per road, the length lying
within 20 m of a separately mapped sidewalk with shapely overlays (the library samples points
with an STRtree). Ferries are checked on a hand-built file with hand-computed lengths.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from test_network import _check_topology, ref_from_xml

import infra_geo as ig
from infra_geo import _walk_profiles

_FOOT_OK = ("yes", "designated", "permissive")
_GONE = {"abandoned", "no", "planned", "proposed", "razed"}  # no way on the ground
_NOT_A_WAY = {
    "bus_guideway",
    "construction",
    "disused",
    "platform",
    "raceway",
    "rest_area",
    "services",
}


def nl_walkable(t: dict[str, str]) -> bool:
    """The README's "nl" rules, in plain Python."""
    foot = t.get("foot")
    allowed = foot in _FOOT_OK
    if t.get("route") == "ferry" and allowed:
        return True
    hw = t.get("highway")
    if hw is None or hw in ("motorway", "motorway_link") or hw in _GONE or foot == "no":
        return False
    if t.get("area") == "yes":
        return False
    if allowed:
        return True
    if hw in _NOT_A_WAY or t.get("access") in ("private", "no"):
        return False
    return "private" not in t.get("service", "") and t.get("motorroad") != "yes"


def separate_sidewalk_road(t: dict[str, str]) -> bool:
    """Tagged as walked on a separate sidewalk, with no sidewalk on the road itself."""
    if t.get("foot") == "use_sidepath" or "separate" in (t.get("sidewalk"), t.get("sidewalk:both")):
        return True
    left, right = t.get("sidewalk:left"), t.get("sidewalk:right")
    if left == "separate":
        return right not in ("yes", "both", "right")
    return right == "separate" and left not in ("yes", "both", "left")


def sidewalk_way(t: dict[str, str]) -> bool:
    return t.get("highway") in ("footway", "path", "pedestrian", "cycleway") and (
        t.get("footway") != "crossing"
    )


def _xml_ways(path: Path) -> tuple[dict[int, tuple[float, float]], list]:
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    root = ET.fromstring(raw)
    lonlat = {
        int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")
    }
    ways = []
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        refs = [int(nd.get("ref")) for nd in w.iter("nd")]
        ways.append((int(w.get("id")), tags, refs))
    return lonlat, ways


def dropped_by_overlay(path: Path) -> set[int]:
    """Ways the sidewalk=separate rule drops, by length overlay (independent method)."""
    lonlat, ways = _xml_ways(path)
    tr = Transformer.from_crs(4326, 28992, always_xy=True)

    def line(refs):
        ll = np.array([lonlat[r] for r in refs if r in lonlat])
        return shapely.LineString(np.column_stack(tr.transform(ll[:, 0], ll[:, 1])))

    walk = [(w, t, r) for w, t, r in ways if nl_walkable(t) and "highway" in t]
    roads = [(w, line(r)) for w, t, r in walk if separate_sidewalk_road(t)]
    sides = [line(r) for w, t, r in walk if sidewalk_way(t) and not separate_sidewalk_road(t)]
    zone = shapely.union_all([s.buffer(20.0) for s in sides])
    return {w for w, g in roads if g.intersection(zone).length >= 0.5 * g.length}


# ------------------------------------------------------------------------ tag rules
@pytest.mark.parametrize(
    ("tags", "ok"),
    [
        ({"highway": "cycleway"}, True),  # a fietspad without foot tags
        ({"highway": "cycleway", "foot": "yes"}, True),
        ({"highway": "cycleway", "foot": "designated"}, True),
        ({"highway": "cycleway", "foot": "no"}, False),
        ({"highway": "footway"}, True),
        ({"highway": "path"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "living_street"}, True),
        ({"highway": "track"}, True),
        ({"highway": "service"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "primary", "foot": "yes"}, True),
        ({"highway": "trunk", "motorroad": "yes"}, False),
        ({"highway": "trunk", "motorroad": "yes", "foot": "permissive"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway", "foot": "yes"}, False),
        ({"highway": "motorway_link", "foot": "designated"}, False),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "service", "service": "private", "foot": "yes"}, True),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "track", "access": "no", "foot": "designated"}, True),
        ({"highway": "cycleway", "access": "no"}, False),
        ({"highway": "platform"}, False),
        ({"highway": "platform", "foot": "yes"}, True),
        ({"highway": "construction"}, False),
        ({"highway": "construction", "foot": "yes"}, True),
        ({"highway": "proposed", "foot": "yes"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"route": "ferry", "foot": "yes"}, True),
        ({"route": "ferry"}, False),
        ({"route": "ferry", "foot": "no"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_nl_profile_tag_rules(tags, ok):
    got = bool(_walk_profiles.NL.walkable(pd.DataFrame([tags]))[0])
    assert got == ok == nl_walkable(tags)


def test_osmnx_profile_is_settings_walk_filter(monkeypatch):
    rows = pd.DataFrame(
        [{"highway": "cycleway"}, {"highway": "cycleway", "foot": "yes"}, {"highway": "steps"}]
    )
    prof = _walk_profiles.resolve("osmnx", shapely.box(4.8, 52.3, 4.9, 52.4))
    # osmnx drops every cycleway, foot=yes or not (issue 11)
    assert prof.walkable(rows).tolist() == [False, False, True]
    monkeypatch.setattr(ig.settings, "walk_filter", '["highway"="cycleway"]')
    prof = _walk_profiles.resolve("osmnx", shapely.box(4.8, 52.3, 4.9, 52.4))
    assert prof.walkable(rows).tolist() == [True, True, False]


def test_auto_is_nl_inside_the_netherlands_only():
    assert _walk_profiles.resolve("auto", shapely.box(4.89, 52.36, 4.90, 52.37)).name == "nl"
    assert _walk_profiles.resolve(None, shapely.box(9.47, 47.05, 9.64, 47.28)).name == "osmnx"
    assert _walk_profiles.resolve("NL", shapely.box(9.47, 47.05, 9.64, 47.28)).name == "nl"


@pytest.mark.parametrize("bad", ["dutch", "", 3, ["nl"]])
def test_unknown_profile_says_which_exist(bad, liechtenstein):
    with pytest.raises(ig.InputError, match="'auto', 'nl', 'osmnx'"):
        ig.walk_network_from_file(liechtenstein, walk_profile=bad)


# ------------------------------------------------------------------------ real networks
def _largest_share(net: ig.WalkNetwork) -> float:
    main = net.island[net.edge_u] == 0
    return float(net.edge_length[main].sum() / net.edge_length.sum())


@pytest.fixture(scope="module")
def spk_nl(spijkenisse):
    return ig.walk_network_from_file(spijkenisse)  # auto: inside NL, so "nl"


def test_spijkenisse_nl_network_is_connected(spijkenisse, spk_nl):
    """Issue 11: keeping fietspaden joins the pieces (osmnx: 36 pieces, 96.5 %)."""
    osmnx = ig.walk_network_from_file(spijkenisse, walk_profile="osmnx")
    assert osmnx.n_islands == 36
    assert _largest_share(osmnx) == pytest.approx(0.9653, abs=5e-4)
    assert spk_nl.n_islands == 4
    assert _largest_share(spk_nl) >= 0.995
    assert spk_nl.edge_length.sum() > 1.15 * osmnx.edge_length.sum()


def test_spijkenisse_nl_topology_matches_reference(spijkenisse, spk_nl):
    dropped = dropped_by_overlay(spijkenisse)
    assert len(dropped) == 5  # the five cycleways tagged sidewalk=separate have one alongside
    ref = ref_from_xml(spijkenisse, lambda w, t: "highway" in t and nl_walkable(t))
    ref_kept = ref_from_xml(
        spijkenisse, lambda w, t: "highway" in t and nl_walkable(t) and w not in dropped
    )
    assert ref.walkable_ways - ref_kept.walkable_ways == dropped
    _check_topology(spk_nl, ref_kept)


def test_real_cycleways_foot_yes_and_untagged_walked_foot_no_not(
    spijkenisse, spk_nl, liechtenstein
):
    osmid = set(spk_nl.edges["osmid"])
    assert 7558899 in osmid  # highway=cycleway + foot=yes
    assert 7545271 in osmid  # highway=cycleway, no foot tag (osmnx drops it)
    osmnx = ig.walk_network_from_file(spijkenisse, walk_profile="osmnx")
    assert 7545271 not in set(osmnx.edges["osmid"])
    li = ig.walk_network_from_file(liechtenstein, walk_profile="nl")
    li_ids = set(li.edges["osmid"])
    assert 239352497 not in li_ids  # highway=cycleway + foot=no
    assert {24538706, 6071235} <= li_ids  # foot=yes, untagged


def test_auto_outside_nl_is_osmnx(liechtenstein):
    default = ig.walk_network_from_file(liechtenstein)
    osmnx = ig.walk_network_from_file(liechtenstein, walk_profile="osmnx")
    assert (default.n_nodes, default.n_edges) == (osmnx.n_nodes, osmnx.n_edges) == (5958, 7330)


def test_settings_walk_profile_is_the_default(monkeypatch, spijkenisse):
    monkeypatch.setattr(ig.settings, "walk_profile", "osmnx")
    assert ig.walk_network_from_file(spijkenisse).n_islands == 36


def test_amsterdam_separate_sidewalks_dropped_only_where_mapped(amsterdam_osm):
    net = ig.walk_network_from_file(amsterdam_osm)
    _, ways = _xml_ways(amsterdam_osm)
    tags_of = {w: t for w, t, _ in ways}
    candidates = {
        w
        for w, t in tags_of.items()
        if "highway" in t and nl_walkable(t) and separate_sidewalk_road(t)
    }
    dropped = dropped_by_overlay(amsterdam_osm)
    # Amsterdam maps its sidewalks: each of the 28 roads so tagged has its own alongside
    # (a road without one is kept: test_hand_built_separate_sidewalk)
    assert dropped == candidates and len(candidates) == 28
    ids = set(net.edges["osmid"])
    assert not dropped & ids
    # the road with sidewalk:left=separate and sidewalk:right=yes is walked (own sidewalk)
    assert tags_of[23045737]["sidewalk:right"] == "yes"
    assert 23045737 in ids


# ------------------------------------------------------------------------ hand-built files
def _osm_xml(path: Path, nodes: dict[int, tuple[float, float]], ways: list) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))
    return path


def test_hand_built_cycleways(tmp_path):
    nodes = {1: (4.900, 52.370), 2: (4.901, 52.370), 3: (4.902, 52.370), 4: (4.903, 52.370)}
    ways = [
        (10, [1, 2], {"highway": "cycleway", "foot": "yes"}),
        (11, [2, 3], {"highway": "cycleway"}),
        (12, [3, 4], {"highway": "cycleway", "foot": "no"}),
        (13, [4, 1], {"highway": "residential"}),
    ]
    f = _osm_xml(tmp_path / "fietspad.osm", nodes, ways)
    assert set(ig.walk_network_from_file(f).edges["osmid"]) == {10, 11, 13}
    # osmnx drops every cycleway
    assert set(ig.walk_network_from_file(f, walk_profile="osmnx").edges["osmid"]) == {13}


def test_hand_built_separate_sidewalk(tmp_path):
    # road A (200 m east-west) with a footway 10 m north of it; road B with none; road C
    # with only a crossing footway over it
    nodes = {
        1: (4.9000, 52.3700), 2: (4.9030, 52.3700),  # road A
        3: (4.9000, 52.37009), 4: (4.9030, 52.37009),  # its sidewalk, ~10 m north
        5: (4.9000, 52.3750), 6: (4.9030, 52.3750),  # road B
        7: (4.9000, 52.3800), 8: (4.9030, 52.3800),  # road C
        9: (4.9015, 52.3798), 10: (4.9015, 52.3800), 11: (4.9015, 52.3802),
    }  # fmt: skip
    ways = [
        (20, [1, 2], {"highway": "residential", "sidewalk": "separate"}),
        (21, [3, 4], {"highway": "footway", "footway": "sidewalk"}),
        (22, [5, 6], {"highway": "residential", "sidewalk:both": "separate"}),
        (23, [7, 10, 8], {"highway": "residential", "sidewalk": "separate"}),
        (24, [9, 10, 11], {"highway": "footway", "footway": "crossing"}),
    ]
    f = _osm_xml(tmp_path / "stoep.osm", nodes, ways)
    assert set(ig.walk_network_from_file(f).edges["osmid"]) == {21, 22, 23, 24}
    assert dropped_by_overlay(f) == {20}
    # osmnx drops every road so tagged, sidewalk or not
    assert set(ig.walk_network_from_file(f, walk_profile="osmnx").edges["osmid"]) == {21, 24}


_FERRY_NODES = {
    1: (4.9000, 52.3800), 2: (4.9000, 52.3810),  # footway A
    3: (4.9000, 52.3850), 4: (4.9000, 52.3860),  # footway B
    5: (4.9100, 52.3860), 6: (4.9100, 52.3870),  # footway C
}  # fmt: skip
_FERRY_WAYS = [
    (30, [1, 2], {"highway": "footway"}),
    (31, [2, 3], {"route": "ferry", "foot": "yes", "duration": "00:06"}),
    (32, [3, 4], {"highway": "footway"}),
    (33, [4, 5], {"route": "ferry", "foot": "yes"}),
    (34, [5, 6], {"highway": "footway"}),
    (35, [6, 1], {"route": "ferry"}),  # no foot tag: a car ferry, not walked
]


def test_hand_built_ferries(tmp_path):
    nodes = _FERRY_NODES
    f = _osm_xml(tmp_path / "pont.osm", nodes, _FERRY_WAYS)
    net = ig.walk_network_from_file(f)
    e = net.edges.set_index("osmid")
    assert set(e.index) == {30, 31, 32, 33, 34}
    assert net.n_islands == 1  # the ferries join the footways at their end nodes
    tr = Transformer.from_crs(4326, 28992, always_xy=True)

    def metres(a, b):
        (x1, x2), (y1, y2) = tr.transform([nodes[a][0], nodes[b][0]], [nodes[a][1], nodes[b][1]])
        return float(np.hypot(x2 - x1, y2 - y1))

    # 6 minutes crossing + 5 minutes wait at 80 m/min
    assert e.loc[31, "length"] == pytest.approx((6 + 5) * 80.0, abs=1e-9)
    # no duration: length at 8 km/h (133.3 m/min) + 5 minutes wait, at 80 m/min
    assert e.loc[33, "length"] == pytest.approx((metres(4, 5) / (8000 / 60) + 5) * 80.0, rel=1e-9)
    assert e.loc[33, "geometry"].length == pytest.approx(metres(4, 5), rel=1e-9)
    i = {nid: k for k, nid in enumerate(net.node_ids.tolist())}
    d = dijkstra(net.csr, indices=i[1])[i[6]]
    hand = metres(1, 2) + 880.0 + metres(3, 4) + e.loc[33, "length"] + metres(5, 6)
    assert d == pytest.approx(hand, rel=1e-9)
    # nothing attaches to a ferry in the water: a point on the middle of ferry 31 snaps to
    # a footway end, not to the ferry
    mid = shapely.line_interpolate_point(e.loc[31, "geometry"], 0.5, normalized=True)
    snap = net.snap([mid], tolerance=1000)
    assert net.edges.loc[snap.edge[0], "osmid"] in (30, 32)
    # osmnx: no ferries
    assert ig.walk_network_from_file(f, walk_profile="osmnx").n_islands == 3


def test_a_ferry_abroad_does_not_move_the_town(tmp_path):
    """Hoek van Holland - Harwich: the ferry's far end must not decide the CRS or profile."""
    nodes = {1: (4.1200, 51.9780), 2: (4.1300, 51.9780), 3: (1.2850, 51.9460)}
    ways = [
        (40, [1, 2], {"highway": "cycleway"}),
        (41, [2, 3], {"route": "ferry", "foot": "yes", "duration": "06:30"}),
    ]
    net = ig.walk_network_from_file(_osm_xml(tmp_path / "hvh.osm", nodes, ways))
    assert net.walk_profile == "nl" and net.crs.to_epsg() == 28992
    e = net.edges.set_index("osmid")
    assert e.loc[41, "length"] == pytest.approx((390 + 5) * 80.0)


def test_ferry_leading_nowhere_is_reported(tmp_path, caplog):
    nodes = {**_FERRY_NODES, 7: (4.9200, 52.3870)}
    ways = [*_FERRY_WAYS, (36, [6, 7], {"route": "ferry", "foot": "yes"})]  # 7: no pier
    f = _osm_xml(tmp_path / "pont2.osm", nodes, ways)
    with caplog.at_level("WARNING", logger="infra_geo"):
        net = ig.walk_network_from_file(f)
    assert 36 in set(net.edges["osmid"])
    assert "1 ferry terminal node(s) are not on any walkable way (e.g. node 7)" in caplog.text


def test_malta_foot_ferries_become_edges(tmp_path):
    import osmium
    from conftest import shared_path

    malta = shared_path("osm/malta-2018.osm.pbf")
    foot_ferries = {
        o.id
        for o in osmium.FileProcessor(str(malta), osmium.osm.WAY)
        if o.tags.get("route") == "ferry" and o.tags.get("foot") in _FOOT_OK
    }
    assert len(foot_ferries) == 8
    net = ig.walk_network_from_file(malta, walk_profile="nl")
    e = net.edges
    ferry_ids = set(e.loc[e["ferry"].fillna(False).astype(bool), "osmid"])
    assert ferry_ids == foot_ferries
    assert not foot_ferries & set(ig.walk_network_from_file(malta).edges["osmid"])  # auto: osmnx


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("00:06", 6.0),
        ("1:45", 105.0),
        ("0:10:30", 10.5),
        ("25", 25.0),
        ("PT1H5M", 65.0),
        ("x", None),
    ],
)
def test_duration_tag(text, minutes):
    from infra_geo.network import parse_duration_min

    got = parse_duration_min(text)
    assert np.isnan(got) if minutes is None else got == pytest.approx(minutes)


# ------------------------------------------------------------------------ online
@pytest.mark.online
def test_nl_profile_online_matches_file(amsterdam_pbf, amsterdam_osm):
    """Online (osmnx against the local Overpass stand-in over the Amsterdam extract): the
    same profile applied to the same ways as offline."""
    import sys

    import geopandas as gpd

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from osm_standin import OSMStandIn

    box = shapely.box(4.893, 52.368, 4.901, 52.374)
    with OSMStandIn(amsterdam_pbf) as srv, srv.infra_geo_settings(requests_timeout=60):
        net = ig.walk_network_from_polygon(box)  # auto: inside NL, so "nl"
        queries = list(srv.queries)
        osmnx = ig.walk_network_from_polygon(box, walk_profile="osmnx")
    assert net.walk_profile == "nl" and osmnx.walk_profile == "osmnx"
    # a superset was asked for (no cycleway exclusion), ferries included
    assert any('way["highway"](poly:' in q for q in queries)
    assert any('way["route"="ferry"](poly:' in q for q in queries)
    ref = ig.walk_network_from_file(amsterdam_pbf, polygon=box, crs=net.crs)
    assert ref.walk_profile == "nl"
    _, ways = _xml_ways(amsterdam_osm)
    tags_of = {w: t for w, t, _ in ways}
    online_ids = set(net.edges["osmid"].astype(int))
    assert all(nl_walkable(tags_of[w]) for w in online_ids)
    # the same ways as the file: every file edge inside the box is online, nothing else is
    box_m = gpd.GeoSeries([box], crs=4326).to_crs(net.crs).iloc[0]
    inside = shapely.within(ref.edge_geometry, box_m.buffer(-1.0))
    assert set(ref.edges.loc[inside, "osmid"].astype(int)) <= online_ids
    assert online_ids <= set(ref.edges["osmid"].astype(int))
    assert not online_ids & dropped_by_overlay(amsterdam_osm)  # sidewalk=separate rule
    cycle_untagged = {
        w
        for w in online_ids
        if tags_of[w].get("highway") == "cycleway" and "foot" not in tags_of[w]
    }
    assert cycle_untagged  # fietspaden without foot tags are walked online too ...
    osmnx_ids = {int(w) for ws in osmnx.edges["osmid"].astype(str) for w in ws.split(";")}
    assert not cycle_untagged & osmnx_ids  # ... not by osmnx
    # osmnx keeps the edges between nodes inside the box: at least the file's edges inside,
    # at most the file's streets clipped to the box
    total = net.edge_length.sum()
    assert ref.edge_length[inside].sum() * (1 - 1e-9) <= total
    assert total <= shapely.length(shapely.intersection(ref.edge_geometry, box_m)).sum()
    assert total > 10_000


@pytest.mark.online
def test_ferries_online(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from osm_standin import OSMStandIn

    f = _osm_xml(tmp_path / "pont.osm", _FERRY_NODES, _FERRY_WAYS)
    offline = ig.walk_network_from_file(f)
    with OSMStandIn(f) as srv, srv.infra_geo_settings(requests_timeout=60):
        net = ig.walk_network_from_polygon(shapely.box(4.895, 52.375, 4.915, 52.39))
    assert net.n_islands == 1
    on = net.edges.set_index("osmid")["length"].sort_index()
    off = offline.edges.set_index("osmid")["length"].sort_index()
    pd.testing.assert_series_equal(on, off, rtol=1e-9, check_index_type=False)
    assert on.loc[31] == pytest.approx(880.0)


# ------------------------------------------------------------------------ whole job, CLI
def test_analyse_walk_profile(tmp_path):
    """The sample (Helsinki) is outside NL: osmnx by default; 'nl' on request, and the
    summary says which ways were walked."""
    default = ig.analyse(neighbourhoods="hex:250")
    nl = ig.analyse(neighbourhoods="hex:250", walk_profile="nl")
    assert default.network.walk_profile == "osmnx"
    assert nl.network.walk_profile == "nl"
    assert nl.network.edge_length.sum() > default.network.edge_length.sum()
    assert "'nl' profile" in nl.summary_markdown(lang="en")
    assert "osmnx's walk filter" in default.summary_markdown(lang="en")
    with pytest.raises(ig.InputError, match="walk_profile"):
        ig.analyse(walk_profile="walk")


def test_cli_walk_profile(tmp_path):
    import subprocess
    import sys

    cli = [sys.executable, "-m", "infra_geo.cli", "analyse"]
    r = subprocess.run([*cli, "--help"], capture_output=True, text=True, timeout=60)
    assert "--walk-profile" in r.stdout
    r = subprocess.run(
        [*cli, "--walk-profile", "dutch", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--walk-profile" in lines[0] and "'nl'" in lines[0], r.stderr
    assert not (tmp_path / "o").exists()
