"""The online path (osmnx -> HTTP -> Overpass / Nominatim) against a local stand-in server.

The stand-in (``tests/osm_standin.py``) answers Overpass QL and Nominatim searches from the
real Liechtenstein extract, so these tests run infra_geo's online code for real, end to end,
and compare what it finds with what the offline reader finds in the same file.
"""

from __future__ import annotations

import collections
import itertools
import socket
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import requests
import shapely

import infra_geo as ig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from osm_standin import OSMStandIn, build_relation_polygon

pytestmark = pytest.mark.online

# a box over the centre of Vaduz (west, south, east, north): streets, a library, schools,
# parks, sports grounds
VADUZ_CENTRE = (9.515, 47.13, 9.53, 47.145)


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def server(liechtenstein: Path):
    with OSMStandIn(liechtenstein) as srv:
        yield srv


@pytest.fixture
def online(server: OSMStandIn):
    """infra_geo pointed at the stand-in (no HTTP cache) for one test."""
    with server.infra_geo_settings(requests_timeout=60):
        yield server


@lru_cache(maxsize=8)
def _admin_polygon(path: str, name: str) -> shapely.Geometry:
    """A municipality's polygon, assembled by osmium's own area builder (independent of
    infra_geo's reader and of the stand-in's shapely assembly)."""
    import osmium

    wkb = osmium.geom.WKBFactory()
    fp = osmium.FileProcessor(path).with_areas().with_filter(osmium.filter.KeyFilter("boundary"))
    for o in fp:
        if (
            o.is_area()
            and not o.from_way()
            and o.tags.get("boundary") == "administrative"
            and o.tags.get("name") == name
        ):
            geom = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(o)))
            return geom.geoms[0] if len(geom.geoms) == 1 else geom
    raise AssertionError(f"no administrative area {name!r} in {path}")


def _keys(fac) -> set[tuple[str, int, str]]:
    return set(zip(fac["osm_type"], fac["osm_id"].astype(int), fac["component"], strict=True))


def _assert_same_facilities(online_fac, offline_fac) -> None:
    """Same facilities, same components, names and geometries."""
    a, b = _keys(online_fac), _keys(offline_fac)
    assert a == b, f"only online: {sorted(a - b)[:20]}; only offline: {sorted(b - a)[:20]}"
    assert list(online_fac.columns[:7]) == list(offline_fac.columns[:7])
    on = online_fac.set_index("facility_id")
    off = offline_fac.set_index("facility_id").loc[on.index]
    assert (on["components"] == off["components"]).all()
    assert (on["category"] == off["category"]).all()
    assert (on["name"].fillna("") == off["name"].fillna("")).all()
    same = on.geometry.geom_equals(off.geometry)
    assert same.all(), f"geometries differ: {list(on.index[~same])[:10]}"
    assert online_fac.crs == offline_fac.crs


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ----------------------------------------------------------------------------- the stand-in
def test_standin_answers_overpass_status_and_errors(server: OSMStandIn) -> None:
    import osmnx as ox

    # osmnx's own status parser reads the stand-in's status page: slots free, no pause
    before = server.counts["status"]
    old = ox.settings.overpass_rate_limit
    ox.settings.overpass_rate_limit = True
    try:
        assert ox._overpass._get_overpass_pause(server.overpass_url) == 0
    finally:
        ox.settings.overpass_rate_limit = old
    assert server.counts["status"] == before + 1

    url = server.overpass_url + "/interpreter"
    r = requests.post(url, data={"data": "node[amenity=library](47.0,9.4,47.3,9.7"}, timeout=10)
    assert r.status_code == 400 and "parse error" in r.text
    # Overpass semantics: "!~" passes where the key is absent; ">" adds the ways' nodes
    box = "(47.13,9.515,47.145,9.53)"

    def ask(q: str) -> list[dict]:
        return requests.post(url, data={"data": "[out:json][timeout:25];" + q}, timeout=10).json()[
            "elements"
        ]

    pitches = ask(f'way["leisure"="pitch"]{box};out tags;')
    not_soccer = ask(f'way["leisure"="pitch"]["sport"!~"soccer"]{box};out tags;')
    assert any("sport" not in e["tags"] for e in not_soccer)
    assert {e["id"] for e in not_soccer} == {
        e["id"] for e in pitches if "soccer" not in e["tags"].get("sport", "")
    }
    els = ask(f'(way["leisure"="pitch"]{box};>;);out;')
    ways = [e for e in els if e["type"] == "way"]
    nodes = {e["id"] for e in els if e["type"] == "node"}
    assert {e["id"] for e in ways} == {e["id"] for e in pitches}
    assert set().union(*(w["nodes"] for w in ways)) == nodes


def test_standin_nominatim_polygon_matches_osmium_area(
    server: OSMStandIn, liechtenstein: Path
) -> None:
    r = requests.get(
        server.nominatim_url + "search",
        params={"q": "Vaduz, Liechtenstein", "format": "json", "polygon_geojson": 1},
        timeout=10,
    )
    items = r.json()
    assert [i["osm_id"] for i in items] == [1155956]
    geo = shapely.geometry.shape(items[0]["geojson"])
    ref = _admin_polygon(str(liechtenstein), "Vaduz")
    assert geo.symmetric_difference(ref).area < 1e-9 * ref.area
    # the further part must name an area that contains the match
    r = requests.get(
        server.nominatim_url + "search",
        params={"q": "Vaduz, Wahlkreis Unterland", "format": "json"},
        timeout=10,
    )
    assert r.json() == []


# ----------------------------------------------------------------------------- facilities
def test_facilities_from_polygon_equals_file(online: OSMStandIn, liechtenstein: Path) -> None:
    poly = _admin_polygon(str(liechtenstein), "Vaduz")
    before = online.counts["interpreter"]
    fac = ig.facilities_from_polygon(poly)
    assert online.counts["interpreter"] == before + 1  # one Overpass request, really sent
    assert "(poly:" in online.queries[-1]
    ref = ig.facilities_from_file(liechtenstein, polygon=poly)
    assert len(ref) > 40
    _assert_same_facilities(fac, ref)
    assert set(fac["component"]) >= {"meeting", "education", "care", "sports", "public_space"}


def test_facilities_from_bbox(online: OSMStandIn, liechtenstein: Path) -> None:
    before = online.counts["interpreter"]
    fac = ig.facilities_from_bbox(VADUZ_CENTRE)
    assert online.counts["interpreter"] == before + 1
    ref = ig.facilities_from_file(liechtenstein, polygon=shapely.box(*VADUZ_CENTRE))
    assert len(ref) > 10
    _assert_same_facilities(fac, ref)


@pytest.mark.parametrize(
    "bbox",
    [
        (9.53, 47.13, 9.515, 47.145),  # west > east
        (9.515, 47.13, 9.53),
        ("west", 47.13, 9.53, 47.145),
        (9.515, float("nan"), 9.53, 47.145),
    ],
)
def test_facilities_from_bbox_bad_bbox(online: OSMStandIn, bbox) -> None:
    before = sum(online.counts.values())
    with pytest.raises(ig.InputError, match="bbox"):
        ig.facilities_from_bbox(bbox)
    assert sum(online.counts.values()) == before  # refused before going online


def test_facilities_from_place(online: OSMStandIn, liechtenstein: Path) -> None:
    from infra_geo.sources import geocode_place

    before = online.counts["search"]
    fac = ig.facilities_from_place("Vaduz, Liechtenstein")
    assert online.counts["search"] == before + 1
    poly = _admin_polygon(str(liechtenstein), "Vaduz")
    _assert_same_facilities(fac, ig.facilities_from_polygon(poly))
    # a structured query finds the same boundary
    geom = geocode_place({"city": "Vaduz", "country": "Liechtenstein"})
    assert geom.symmetric_difference(poly).area < 1e-9 * poly.area


def test_place_not_found(online: OSMStandIn) -> None:
    before = online.counts["search"]
    with pytest.raises(ig.PlaceNotFoundError, match="Atlantis") as err:
        ig.facilities_from_place("Atlantis")
    assert online.counts["search"] == before + 1
    msg = str(err.value)
    assert "spelling" in msg and "country" in msg  # says what to try next
    with pytest.raises(ig.PlaceNotFoundError):
        ig.facilities_from_place("   ")


def test_unreachable_overpass_raises_online_error(online: OSMStandIn) -> None:
    port = _closed_port()
    dead = f"http://127.0.0.1:{port}/api"
    with online.infra_geo_settings(overpass_url=dead, requests_timeout=2):
        t0 = time.monotonic()
        with pytest.raises(ig.OnlineError, match="Overpass") as err:
            ig.facilities_from_bbox(VADUZ_CENTRE)
        assert time.monotonic() - t0 < 10
    assert "facilities_from_file" in str(err.value)  # the offline way out
    assert isinstance(err.value, ig.InfraGeoError)


def test_unreachable_nominatim_raises_online_error(online: OSMStandIn) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/nominatim/"
    with online.infra_geo_settings(nominatim_url=dead, requests_timeout=2):
        t0 = time.monotonic()
        with pytest.raises(ig.OnlineError, match="Nominatim"):
            ig.facilities_from_place("Vaduz, Liechtenstein")
        assert time.monotonic() - t0 < 10  # osmnx waits 1 s before every Nominatim call


def test_overpass_http_error_is_online_error(online: OSMStandIn) -> None:
    online.inject_failure("interpreter", 503, "<html><body>Service Unavailable</body></html>")
    before = online.counts["interpreter"]
    with pytest.raises(ig.OnlineError, match="503"):
        ig.facilities_from_bbox(VADUZ_CENTRE)
    assert online.counts["interpreter"] == before + 1


def test_nominatim_refusal_is_online_error(online: OSMStandIn) -> None:
    # what Nominatim answers a client that breaks its usage policy
    online.inject_failure("search", 403, "<html><body><h1>Access blocked</h1></body></html>")
    try:
        ig.facilities_from_place("Vaduz, Liechtenstein")
    except ig.OnlineError as exc:
        assert "Nominatim" in str(exc)
    except ig.PlaceNotFoundError as exc:
        raise AssertionError(
            f"a 403 from Nominatim was reported as a missing place: {exc}"
        ) from None
    else:
        raise AssertionError("a 403 from Nominatim went unnoticed")


def test_overpass_runtime_error_is_online_error(
    online: OSMStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    import osmnx as ox

    # [maxsize:] too small for the answer: Overpass reports "out of memory" in a remark
    monkeypatch.setattr(ox.settings, "overpass_memory", 5000)
    before = online.counts["interpreter"]
    try:
        fac = ig.facilities_from_bbox(VADUZ_CENTRE)
    except ig.OnlineError as exc:
        assert "out of memory" in str(exc)
    else:
        raise AssertionError(f"a failed Overpass query gave {len(fac)} facilities, no error")
    finally:
        assert online.counts["interpreter"] == before + 1


# ----------------------------------------------------------------------------- network
def _osmnx_expectation(net, polygon_m) -> tuple[set, float, set]:
    """What osmnx ``graph_from_polygon(network_type="walk")`` must give, derived from an
    offline network that holds every walkable edge intersecting the polygon.

    osmnx (1) simplifies: a node is kept only if it is an "endpoint" (dead end, junction,
    self-loop, or the end of parallel edges, i.e. not exactly two incident edges to two
    distinct neighbours); (2) removes isolated rings (components without an endpoint);
    (3) keeps the nodes inside the polygon and the simplified edges between them. The
    offline network instead splits at every shared node and keeps each edge that intersects
    the polygon. Chains of offline edges joined at non-endpoint nodes are osmnx's simplified
    edges; a chain whose ends both lie inside the polygon must be online, a ring must not,
    and a chain that reaches a node outside the polygon is "cut" (osmnx keeps it only if it
    comes back to an endpoint inside; the offline data cannot tell, so it is left open).

    Returns (endpoint node ids inside, length of the chains that must be online, segment
    keys of the cut chains).
    """
    nodes = net.nodes
    hit = shapely.intersects(nodes.geometry.values, polygon_m)
    inside = dict(zip(nodes["node_id"].tolist(), hit.tolist(), strict=True))
    u, v = net.node_ids[net.edge_u], net.node_ids[net.edge_v]
    inc = collections.defaultdict(list)
    for i, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        inc[a].append(i)
        inc[b].append(i)

    def endpoint(n: int) -> bool:
        es = inc[n]
        nbrs = {int(v[i]) if u[i] == n else int(u[i]) for i in es}
        return n in nbrs or not (len(es) == 2 and len(nbrs) == 2)

    interior = {n for n in inc if inside[n] and not endpoint(n)}
    parent = list(range(len(u)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for n in interior:
        a, b = inc[n]
        parent[find(a)] = find(b)
    chains = collections.defaultdict(list)
    for i in range(len(u)):
        chains[find(i)].append(i)
    must_len = 0.0
    cut: set = set()
    for es in chains.values():
        ends = {int(x) for i in es for x in (u[i], v[i])} - interior
        if not ends:
            continue  # an isolated ring: osmnx removes it
        if all(inside[n] for n in ends):
            must_len += float(net.edge_length[es].sum())
        else:
            cut |= set().union(*(_segments(net.edge_geometry[i]) for i in es))
    ends_inside = {n for n in inc if inside[n] and endpoint(n)}
    return ends_inside, must_len, cut


def _segments(line) -> set:
    c = np.round(shapely.get_coordinates(line), 2)  # cm; both sides project the same lon/lat
    return {frozenset((tuple(a), tuple(b))) for a, b in itertools.pairwise(c)}


@pytest.mark.skipif(
    not hasattr(ig, "walk_network_from_polygon"), reason="network module not merged yet"
)
def test_walk_network_from_polygon_matches_file(online: OSMStandIn, liechtenstein: Path) -> None:
    import geopandas as gpd

    poly = shapely.box(*VADUZ_CENTRE)
    before = online.counts["interpreter"]
    net = ig.walk_network_from_polygon(poly)
    assert online.counts["interpreter"] == before + 1
    assert 'way["highway"]["area"!~"yes"]' in online.queries[-1]
    ref = ig.walk_network_from_file(liechtenstein, polygon=poly, crs=net.crs)
    poly_m = gpd.GeoSeries([poly], crs=4326).to_crs(net.crs).iloc[0]
    ends_inside, must_len, cut = _osmnx_expectation(ref, poly_m)

    # nodes: exactly the junctions and dead ends inside the polygon
    assert len(net.nodes) == len(ends_inside)
    assert set(net.nodes["node_id"].tolist()) == ends_inside
    # edges: every street piece once (a two-way street is one edge, not two) ...
    seg_counts = collections.Counter(s for g in net.edges.geometry for s in _segments(g))
    doubled = sum(1 for c in seg_counts.values() if c > 1)
    assert doubled == 0, f"{doubled} street segments appear in more than one edge"
    # ... the same street pieces as the file: all chains with both ends inside, plus cut
    # chains osmnx could keep, nothing else
    ref_segs = set().union(*(_segments(g) for g in ref.edge_geometry))
    assert set(seg_counts) <= ref_segs
    extra = [
        g for g in net.edges.geometry if _segments(g) <= cut
    ]  # cut chains that came back inside
    total = float(net.edges["length"].sum())
    expected = must_len + sum(g.length for g in extra)
    assert total == pytest.approx(expected, rel=1e-6)
    assert total > 10_000  # a real town centre, not a trivial answer


@pytest.mark.skipif(
    not hasattr(ig, "walk_network_from_place"), reason="network module not merged yet"
)
def test_walk_network_from_place(online: OSMStandIn, liechtenstein: Path) -> None:
    import geopandas as gpd

    poly = build_relation_polygon(online.data, 1155956)  # Vaduz
    assert poly is not None
    before = online.counts["search"], online.counts["interpreter"]
    net = ig.walk_network_from_place("Vaduz, Liechtenstein")
    assert online.counts["search"] == before[0] + 1
    assert online.counts["interpreter"] == before[1] + 1
    ref = ig.walk_network_from_file(liechtenstein, polygon=poly, crs=net.crs)
    poly_m = gpd.GeoSeries([poly], crs=4326).to_crs(net.crs).iloc[0]
    ends_inside, must_len, cut = _osmnx_expectation(ref, poly_m)
    assert set(net.nodes["node_id"].tolist()) == ends_inside
    extra = sum(g.length for g in net.edges.geometry if _segments(g) <= cut)
    assert float(net.edges["length"].sum()) == pytest.approx(must_len + extra, rel=1e-6)
    with pytest.raises(ig.PlaceNotFoundError):
        ig.walk_network_from_place("Atlantis")


# ----------------------------------------------------------------------------- whole job online
def test_analyse_online_by_place(online: OSMStandIn, tmp_path: Path) -> None:
    """The one-call job by place name: geocoded, fetched, analysed and saved, all online."""
    before = dict(online.counts)
    res = ig.analyse(
        place="Vaduz, Liechtenstein", neighbourhoods="hex:500", total_population=5_000, lang="en"
    )
    assert online.counts["search"] > before.get("search", 0)
    assert online.counts["interpreter"] >= before.get("interpreter", 0) + 2  # features + network
    g = res.gaps
    # every resident in one column: placed, or on a street point outside the data extent
    placed = g["residents"] + g["residents_outside_data"] + g["unplaced"]
    assert abs(placed.sum() - 5_000) < 1e-6 * 5_000
    assert g["residents"].sum() > 0.99 * 5_000
    assert not g["population_unknown"].any()
    assert any("streets" in n for n in res.notes)
    assert (g.filter(like="_share_").stack().dropna().between(0, 1)).all()
    written = res.save(tmp_path / "out")
    assert sorted(written) == sorted(ig.analysis.OUTPUT_FILES)


def test_analyse_online_without_population_says_what_to_do(online: OSMStandIn) -> None:
    with pytest.raises(ig.PopulationError, match="total_population"):
        ig.analyse(place="Vaduz, Liechtenstein", neighbourhoods="hex:500")


def test_osmnx_settings_restored_and_no_private_swap(online: OSMStandIn) -> None:
    """The online calls change osmnx.settings only inside the context manager: afterwards
    (also after an error) every setting is back, and no osmnx function was replaced."""
    import osmnx as ox
    from osmnx import _overpass

    names = (
        "overpass_url",
        "nominatim_url",
        "use_cache",
        "requests_timeout",
        "requests_kwargs",
        "useful_tags_way",
        "overpass_rate_limit",
    )
    before = {k: getattr(ox.settings, k) for k in names}
    request = _overpass._overpass_request
    ig.facilities_from_bbox(VADUZ_CENTRE)
    ig.walk_network_from_polygon(shapely.box(*VADUZ_CENTRE), walk_profile="nl")
    online.inject_failure("interpreter", 503, "<html><body>Service Unavailable</body></html>")
    with pytest.raises(ig.OnlineError):
        ig.facilities_from_bbox(VADUZ_CENTRE)
    assert {k: getattr(ox.settings, k) for k in names} == before
    assert _overpass._overpass_request is request
