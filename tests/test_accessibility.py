"""Walking distances and catchments, checked against references computed in the test.

The distance reference is plain networkx: the network exported with ``to_networkx()``, one
virtual node per facility joined to both ends of each edge it is attached to (at the partial
lengths), and ``nx.multi_source_dijkstra_path_length``.
"""

from __future__ import annotations

import logging

import cases
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

import infra_geo as ig

KEYS = ig.COMPONENT_KEYS
MPM = 80.0  # 4.8 km/h in metres per minute


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def li(li_net_fac):
    return li_net_fac


@pytest.fixture(scope="session")
def hb(harrisburg):
    return ig.walk_network_from_file(harrisburg), ig.facilities_from_file(harrisburg)


@pytest.fixture(scope="session")
def ams(ams_osm_net_fac):
    return ams_osm_net_fac


@pytest.fixture(scope="session")
def ams_catch(ams):
    net, fac = ams
    return ig.catchments(net, fac, minutes=(5, 10, 15), component=["culture", "care", "meeting"])


@pytest.fixture(scope="session")
def ams_dist(ams):
    net, fac = ams
    return ig.distance_to_nearest(net, fac)


# --------------------------------------------------------------------------- reference
_with_virtual_nodes = cases.graph_with_facilities


def ref_distances(net, att, key) -> np.ndarray:
    rows = np.flatnonzero(att.members[:, att.components.index(key)])
    G, sources = _with_virtual_nodes(net, att, rows)
    d = nx.multi_source_dijkstra_path_length(G, sources, weight="length") if sources else {}
    return np.array([d.get(n, np.inf) for n in net.node_ids.tolist()])


def assert_same_distances(got, ref) -> None:
    got = np.asarray(got, dtype=float)
    assert got.shape == ref.shape
    assert (np.isinf(got) == np.isinf(ref)).all(), "reachability differs"
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got[fin], ref[fin], rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- distances
def test_all_eight_components_equal_networkx_amsterdam(ams, ams_dist):
    net, fac = ams
    att = ig.attach_facilities(net, fac)
    assert list(ams_dist.columns) == list(KEYS)
    assert len(ams_dist) == net.n_nodes
    finite_components = 0
    for key in KEYS:
        ref = ref_distances(net, att, key)
        assert_same_distances(ams_dist[key], ref)
        finite_components += bool(np.isfinite(ref).any())
    assert finite_components >= 7


@pytest.mark.parametrize("which", ["li", "hb"])
def test_distances_equal_networkx(which, request):
    net, fac = request.getfixturevalue(which)
    keys = ["education", "sports", "public_space", "care"]
    got = ig.distance_to_nearest(net, fac, component=keys)
    att = ig.attach_facilities(net, fac)
    assert list(got.columns) == keys
    for key in keys:
        ref = ref_distances(net, att, key)
        assert np.isfinite(ref).sum() > net.n_nodes / 2
        assert_same_distances(got[key], ref)
    # one key gives a Series indexed like the nodes
    s = ig.distance_to_nearest(net, fac, component="care")
    assert isinstance(s, pd.Series)
    assert s.index.equals(net.nodes.index)
    assert_same_distances(s, ref_distances(net, att, "care"))


def test_memberships_count_not_only_primary(ams, ams_dist):
    """The library is primarily 'meeting' but also 'digital': digital distances start there."""
    net, fac = ams
    digital = fac.loc[ig.component_mask(fac, "digital")]
    assert (digital["component"] != "digital").any()
    assert np.isfinite(ams_dist["digital"]).any()
    only = ig.distance_to_nearest(net, digital, component="digital")
    assert_same_distances(only, ams_dist["digital"].to_numpy())


def test_attachments_are_where_the_rule_says(li):
    net, fac = li
    att = ig.attach_facilities(net, fac)
    geoms = fac.geometry.to_crs(net.crs).to_numpy()
    on_edge = shapely.line_interpolate_point(net.edge_geometry[att.edge], att.offset)
    gap = shapely.distance(on_edge, geoms[att.facility])
    is_point = shapely.get_type_id(geoms) == 0
    pt = is_point[att.facility]
    # a point attaches at the nearest point of the nearest edge, within the tolerance
    assert (gap[pt] <= ig.settings.snap_tolerance_m + 1e-6).all()
    for f in np.flatnonzero(is_point)[:60]:
        sel = np.flatnonzero(att.facility == f)
        if len(sel) == 0:
            continue
        assert len(sel) == 1
        nearest = shapely.distance(net.edge_geometry, geoms[f]).min()
        assert gap[sel[0]] == pytest.approx(nearest, abs=1e-6)
    # an area is reached at its edge: access points within area_snap_m of it (or the
    # nearest street point when nothing is that close)
    kinds = att.kind[~pt]
    assert set(kinds) <= {"boundary", "inside", "nearest", "entrance"}
    close = kinds != "nearest"
    assert (gap[~pt][close] <= ig.settings.area_snap_m + 1e-6).all()
    assert (gap[~pt][~close] <= ig.settings.snap_tolerance_m + 1e-6).all()
    # every attached facility within the tolerance of a street is attached
    d_any = shapely.distance(geoms[:, None], shapely.multilinestrings(net.edge_geometry)).ravel()
    assert (att.snapped == (d_any <= ig.settings.snap_tolerance_m)).all()


def test_islands_without_facilities_are_unreachable(li):
    net, fac = li
    assert net.n_islands > 1
    nodes = net.nodes
    att = ig.attach_facilities(net, fac)
    d = ig.distance_to_nearest(net, fac, component=["public_space", "sports"])
    for key in ("public_space", "sports"):
        j = att.components.index(key)
        ap = att.members[att.facility, j]
        islands_with = set(net.island[net.edge_u[att.edge[ap]]].tolist())
        on = nodes["island"].isin(islands_with).to_numpy()
        assert np.isfinite(d[key].to_numpy()[on]).all()
        assert np.isinf(d[key].to_numpy()[~on]).all()
        assert (~on).sum() > 0  # some island has no such facility


# ------------------------------------------------------------------- hand-computed cases
X0, Y0 = 100000.0, 400000.0


def _street(extra: bool = False) -> ig.WalkNetwork:
    """A 100 m straight street a-b in RD New (plus a 50 m street b-c)."""
    G = nx.MultiGraph(crs="EPSG:28992")
    G.add_node("a", x=X0, y=Y0)
    G.add_node("b", x=X0 + 100, y=Y0)
    G.add_edge("a", "b")
    if extra:
        G.add_node("c", x=X0 + 100, y=Y0 + 50)
        G.add_edge("b", "c")
    return ig.WalkNetwork.from_networkx(G)


def _facilities(points, key="care", crs="EPSG:28992") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"node/{i + 1}" for i in range(len(points))],
            "component": [key] * len(points),
            "components": [key] * len(points),
        },
        geometry=[shapely.Point(p) for p in points],
        crs=crs,
    )


def _by_id(net, series) -> dict:
    return dict(zip(net.node_ids.tolist(), np.asarray(series).tolist(), strict=True))


def test_facility_in_the_middle_of_an_edge():
    net = _street()
    assert net.edge_length.tolist() == [100.0]
    d = ig.distance_to_nearest(net, _facilities([(X0 + 50, Y0 + 10)]), component="care")
    assert _by_id(net, d) == pytest.approx({"a": 50.0, "b": 50.0}, abs=1e-9)


def test_facility_at_30_m():
    net = _street(extra=True)
    d = ig.distance_to_nearest(net, _facilities([(X0 + 30, Y0 - 5)]), component="care")
    assert _by_id(net, d) == pytest.approx({"a": 30.0, "b": 70.0, "c": 120.0}, abs=1e-9)
    # the other components have no facility: unreachable everywhere
    other = ig.distance_to_nearest(net, _facilities([(X0 + 30, Y0 - 5)]), component="culture")
    assert np.isinf(other).all()


def test_far_facility_is_not_attached_and_reported(caplog):
    net = _street()
    far = _facilities([(X0 + 50, Y0 + 300)])
    with caplog.at_level(logging.WARNING, logger="infra_geo"):
        d = ig.distance_to_nearest(net, far, component="care")
    assert np.isinf(d).all()
    assert not ig.attach_facilities(net, far).snapped.any()
    assert any(
        r.levelno == logging.WARNING and "not attached" in r.message and "node/1" in r.message
        for r in caplog.records
    )
    # 200 m away is within the 250 m tolerance
    near = _facilities([(X0 + 50, Y0 + 200)])
    assert _by_id(net, ig.distance_to_nearest(net, near, component="care")) == pytest.approx(
        {"a": 50.0, "b": 50.0}
    )


def test_points_on_the_same_edge_walk_directly():
    net = _street()
    fac = _facilities([(X0 + 30, Y0 + 5)])
    pts = gpd.GeoSeries(
        [
            shapely.Point(X0 + 80, Y0 + 5),  # 50 m along the street, not 80+30 or 20+70
            shapely.Point(X0 + 10, Y0 - 5),  # 20 m, not 10+30
            shapely.Point(X0 + 100, Y0),  # at node b: 70
            shapely.Point(X0 + 50, Y0 + 400),  # too far from any street
        ],
        crs="EPSG:28992",
        index=["p80", "p10", "pb", "far"],
    )
    out = ig.distances_at_points(net, fac, pts, component="care")
    assert out.index.tolist() == ["p80", "p10", "pb", "far"]
    assert out["care"].tolist()[:3] == pytest.approx([50.0, 20.0, 70.0], abs=1e-9)
    assert np.isinf(out.loc["far", "care"])
    assert out["snapped"].tolist() == [True, True, True, False]
    assert out["snap_m"].tolist()[:3] == pytest.approx([5.0, 5.0, 0.0])
    # points given in lon/lat are reprojected
    ll = pts.to_crs(4326)
    out2 = ig.distances_at_points(net, fac, ll, component="care")
    np.testing.assert_allclose(out2["care"].to_numpy()[:3], [50.0, 20.0, 70.0], atol=1e-3)


def test_two_facilities_the_nearer_wins():
    net = _street()
    fac = _facilities([(X0 + 10, Y0), (X0 + 95, Y0)])
    d = ig.distance_to_nearest(net, fac, component="care")
    assert _by_id(net, d) == pytest.approx({"a": 10.0, "b": 5.0})
    near = ig.nearest_facilities(net, fac, minutes=(1,), component="care")
    assert near["care_nearest"].tolist() == ["node/1", "node/2"]
    # within 1 minute (80 m): a reaches node/1 (10 m) but not node/2 (95 m)
    assert near["care_n_1min"].tolist() == [1, 1]
    wide = ig.nearest_facilities(net, fac, minutes=(2,), component="care")
    assert wide["care_n_2min"].tolist() == [2, 2]


def test_area_facility_reached_at_its_edge():
    """A 100 x 60 m park beside the street, its near side 5 m from it."""
    G = nx.MultiGraph(crs="EPSG:28992")
    G.add_node("a", x=X0, y=Y0)
    G.add_node("b", x=X0 + 400, y=Y0)
    G.add_edge("a", "b")
    net = ig.WalkNetwork.from_networkx(G)
    park = shapely.box(X0 + 200, Y0 + 5, X0 + 300, Y0 + 65)
    fac = gpd.GeoDataFrame(
        {"facility_id": ["way/1"], "component": ["public_space"], "components": ["public_space"]},
        geometry=[park],
        crs="EPSG:28992",
    )
    d = _by_id(net, ig.distance_to_nearest(net, fac, component="public_space"))
    # the park front starts 200 m from a, ends 100 m from b; not the centroid (250 m)
    assert d["a"] == pytest.approx(200.0, abs=1e-6)
    assert d["b"] == pytest.approx(100.0, abs=1e-6)


# ---------------------------------------------------------------------- real park edge
def test_park_reached_at_its_boundary(li):
    net, fac = li
    park = fac.loc[fac["facility_id"] == "way/46953725"]  # leisure=park, ~2.6 ha
    assert len(park) == 1 and park["category"].iloc[0] == "leisure=park"
    geom = park.to_crs(net.crs).geometry.iloc[0]
    assert geom.area > 20000
    nodes = net.nodes
    near = nodes.loc[(nodes.distance(geom.boundary) < 10).to_numpy()]
    assert len(near) >= 1
    d_all = ig.distance_to_nearest(net, fac, component="public_space")
    d_park = ig.distance_to_nearest(net, park, component="public_space")
    centroid = gpd.GeoDataFrame(
        park[["facility_id", "component", "components"]],
        geometry=[geom.centroid],
        crs=net.crs,
    )
    d_centroid = ig.distance_to_nearest(net, centroid, component="public_space")
    for i in near.index:
        assert d_all[i] < 15
        assert d_park[i] < 15
        straight = near.geometry[i].distance(geom.centroid)
        assert straight > 60
        # through the centroid the walk would be far longer
        assert d_centroid[i] > d_park[i] + 40


# ---------------------------------------------------------------------------- catchments
def _ref_reachable_front(net, dist, limit, att, key, width):
    """Full edges touching a node within ``limit`` (and the facilities' own edges), buffered."""
    reach = dist <= limit
    sel = reach[net.edge_u] | reach[net.edge_v]
    own = att.edge[att.members[att.facility, att.components.index(key)]]
    sel[own] = True
    return shapely.union_all(shapely.buffer(net.edge_geometry[sel], width))


def test_catchments_are_valid_nested_and_bounded(ams, ams_catch, ams_dist):
    net, fac = ams
    c = ams_catch
    assert isinstance(c, gpd.GeoDataFrame)
    assert c.crs.equals(net.crs)
    assert {"component", "minutes", "metres", "area_m2", "geometry"} <= set(c.columns)
    assert len(c) == 9
    assert c.geometry.is_valid.all()
    assert set(c.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    np.testing.assert_allclose(c["metres"], c["minutes"] * MPM)
    np.testing.assert_allclose(c["area_m2"], c.geometry.area)
    att = ig.attach_facilities(net, fac)
    node_pts = shapely.points(net.node_xy)
    for key in ("culture", "care", "meeting"):
        rows = c.loc[c["component"] == key].sort_values("minutes")
        assert rows["minutes"].tolist() == [5, 10, 15]
        g5, g10, g15 = rows.geometry.tolist()
        # (in a 1 km town centre 10 minutes may already reach every street)
        assert 0 < g5.area < g15.area
        assert g5.area <= g10.area <= g15.area
        # nested
        assert shapely.difference(g5, g10).area < 1e-6 * g5.area
        assert shapely.difference(g10, g15).area < 1e-6 * g10.area
        dist = ams_dist[key].to_numpy()
        for m, geom in zip((5, 10, 15), (g5, g10, g15), strict=True):
            limit = m * MPM
            # every node within the walking time is inside
            inside = dist <= limit
            assert inside.any()
            assert shapely.covers(geom, node_pts[inside]).all()
            # ... and whole streets walked end to end with time to spare, with their front
            whole = (
                np.minimum(dist[net.edge_u] + net.edge_length, dist[net.edge_v] + net.edge_length)
                <= limit
            )
            fronts = shapely.union_all(shapely.buffer(net.edge_geometry[whole], 45.0))
            assert shapely.difference(fronts, geom).area < 1e-6 * fronts.area
            # bounded by the buffered reachable network (computed here from full edges)
            # (1 m slack: GEOS simplifies a line by 1 % of the buffer distance before
            # buffering it, so buffers of different pieces of one street differ by < 0.5 m)
            ref = _ref_reachable_front(net, dist, limit, att, key, 51.0)
            assert geom.area <= ref.area
            assert shapely.difference(geom, ref).area < 1e-9 * geom.area
            # never a convex hull: blocks without a reachable street front stay out
            assert geom.area < geom.convex_hull.area
        assert g15.area < 0.95 * g15.convex_hull.area


def test_catchments_slower_speed_smaller(ams, ams_catch):
    net, fac = ams
    slow = ig.catchments(
        net, fac, minutes=(5, 10, 15), speed_kmh=3.6, component=["culture", "care", "meeting"]
    )
    np.testing.assert_allclose(slow["metres"], slow["minutes"] * 60.0)
    merged = ams_catch.merge(slow, on=["component", "minutes"], suffixes=("_48", "_36"))
    assert len(merged) == 9
    assert (merged["area_m2_36"] <= merged["area_m2_48"] * (1 + 1e-9)).all()
    assert merged["area_m2_36"].sum() < merged["area_m2_48"].sum()
    for a, b in zip(merged["geometry_36"], merged["geometry_48"], strict=True):
        assert shapely.difference(a, b).area < 1e-6 * max(a.area, 1.0)
    assert slow.attrs["speed_kmh"] == pytest.approx(3.6)


def test_catchments_by_facility(li):
    net, fac = li
    comp = ig.catchments(net, fac, minutes=(5, 10), component=["meeting", "care"])
    per = ig.catchments(net, fac, minutes=(5, 10), component=["meeting", "care"], by="facility")
    assert per.crs.equals(net.crs)
    assert "facility_id" in per.columns
    assert per.geometry.is_valid.all()
    att = ig.attach_facilities(net, fac)
    for key in ("meeting", "care"):
        members = fac.loc[ig.component_mask(fac, key)]
        ids = set(members["facility_id"][att.snapped[ig.component_mask(fac, key)]])
        assert ids
        assert ids <= set(per["facility_id"])
        for m in (5, 10):
            whole = comp.loc[(comp["component"] == key) & (comp["minutes"] == m)].geometry.iloc[0]
            parts = per.loc[per["facility_id"].isin(ids) & (per["minutes"] == m)]
            assert len(parts) == len(ids)
            for g in parts.geometry:
                assert not g.is_empty
                assert shapely.difference(g, whole).area < 1e-6 * g.area
            # and together they make up the component's area
            union = shapely.union_all(parts.geometry.to_numpy())
            assert abs(union.area - whole.area) < 1e-3 * whole.area


def test_catchments_component_without_facility_is_empty(ams):
    net, fac = ams
    care_only = fac.loc[fac["component"] == "care"]
    care_only = care_only.assign(components="care")
    c = ig.catchments(net, care_only, minutes=5, component=["care", "sports"])
    assert c.loc[c["component"] == "sports"].geometry.iloc[0].is_empty
    assert not c.loc[c["component"] == "care"].geometry.iloc[0].is_empty


# ----------------------------------------------------------------------- nearest facilities
def test_nearest_facilities_against_brute_force(ams, ams_dist):
    net, fac = ams
    key = "culture"
    mins = (2, 5, 10)
    out = ig.nearest_facilities(net, fac, minutes=mins, component=key)
    assert list(out.columns) == [f"{key}_m", f"{key}_nearest"] + [f"{key}_n_{m}min" for m in mins]
    assert len(out) == net.n_nodes
    att = ig.attach_facilities(net, fac)
    rows = np.flatnonzero(att.members[:, att.components.index(key)] & att.snapped)
    assert len(rows) > 20
    # brute force: one networkx search per facility
    per = np.full((len(rows), net.n_nodes), np.inf)
    ids = net.node_ids.tolist()
    for i, f in enumerate(rows):
        G, src = _with_virtual_nodes(net, att, [f])
        d = nx.single_source_dijkstra_path_length(G, src[0], weight="length")
        per[i] = [d.get(n, np.inf) for n in ids]
    best = per.min(axis=0)
    assert_same_distances(out[f"{key}_m"], best)
    assert_same_distances(out[f"{key}_m"], ams_dist[key].to_numpy())
    # the nearest facility is a real facility at that distance
    fid = att.facility_ids[rows]
    row_of = {f: i for i, f in enumerate(fid)}
    nearest = out[f"{key}_nearest"]
    reach = np.isfinite(best)
    assert nearest[~reach].isna().all()
    assert set(nearest[reach]) <= set(fac["facility_id"])
    for n in np.flatnonzero(reach):
        i = row_of[nearest.iloc[n]]
        assert per[i, n] == pytest.approx(best[n], abs=1e-6)
    # counts within each time: the facilities the brute force finds within m * 80 m
    prev = None
    for m in mins:
        limit = m * MPM
        count = out[f"{key}_n_{m}min"].to_numpy()
        ambiguous = (np.abs(per - limit) < 1e-6).any(axis=0)
        expect = (per <= limit).sum(axis=0)
        assert (count[~ambiguous] == expect[~ambiguous]).all()
        assert (count >= (np.isfinite(best) & (best <= limit - 1e-6))).all()
        if prev is not None:
            assert (count >= prev).all()
        prev = count
    assert prev.max() > 1


def test_nearest_facilities_counts_every_group_of_a_facility(li):
    """Counts within 5/10/15 minutes for all eight groups at once against a plain reference.

    Liechtenstein (real): one unbounded-area search per facility on the engine's graph, and
    per group the facilities of that group within the limit, counted directly: facilities
    in several groups count in each (the counts are built from (facility, node) pairs).
    """
    from scipy.sparse.csgraph import dijkstra

    net, fac = li
    mins = (5, 10, 15)
    # every third facility also in the next group (the data has one multi-group facility)
    comp = fac["components"].astype(str).tolist()
    nxt = {k: KEYS[(i + 1) % len(KEYS)] for i, k in enumerate(KEYS)}
    comp = [c if i % 3 or nxt[c.split(";")[0]] in c else f"{c};{nxt[c.split(';')[0]]}"
            for i, c in enumerate(comp)]  # fmt: skip
    fac = fac.assign(components=comp)
    eng = ig.Access(net, fac)
    out = ig.nearest_facilities(net, fac, minutes=mins, access=eng)
    att, n = eng.attachments, net.n_nodes
    assert (att.members[att.snapped].sum(axis=1) > 1).sum() > 50  # multi-group facilities
    nodes = np.random.default_rng(7).choice(n, size=3000, replace=False)
    rows = np.flatnonzero(att.snapped)
    per = np.vstack(
        [
            dijkstra(eng.graph, indices=rows[a : a + 64] + n, limit=15 * MPM * 1.01)[:, nodes]
            for a in range(0, len(rows), 64)
        ]
    )
    for j, key in enumerate(att.components):
        member = att.members[rows, j]
        for m in mins:
            limit = m * MPM
            ambiguous = (np.abs(per - limit) < 1e-6).any(axis=0)
            expect = (per[member] <= limit).sum(axis=0)
            got = out[f"{key}_n_{m}min"].to_numpy()[nodes]
            assert (got[~ambiguous] == expect[~ambiguous]).all(), (key, m)
    assert out[[f"{k}_n_15min" for k in att.components]].to_numpy().max() > 5


def test_nearest_facilities_all_components(li):
    net, fac = li
    out = ig.nearest_facilities(net, fac, minutes=(5, 10, 15))
    dist = ig.distance_to_nearest(net, fac)
    fids = set(fac["facility_id"])
    for key in KEYS:
        assert_same_distances(out[f"{key}_m"], dist[key].to_numpy())
        near = out[f"{key}_nearest"].dropna()
        assert set(near) <= fids
        assert (
            (out[f"{key}_n_5min"] <= out[f"{key}_n_10min"])
            & (out[f"{key}_n_10min"] <= out[f"{key}_n_15min"])
        ).all()
        # a node with a facility within 5 minutes counts at least one
        assert (out[f"{key}_n_5min"][dist[key] < 400 - 1e-6] >= 1).all()
        assert (out[f"{key}_n_15min"][~np.isfinite(dist[key])] == 0).all()


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("minutes", [0, -5, (5, 0), (), "x"])
def test_bad_minutes(ams, minutes):
    net, fac = ams
    with pytest.raises(ig.InputError):
        ig.catchments(net, fac, minutes=minutes)
    with pytest.raises(ig.InputError):
        ig.nearest_facilities(net, fac, minutes=minutes)


@pytest.mark.parametrize("speed", [0, -4.8, float("nan"), float("inf")])
def test_bad_speed(ams, speed):
    net, fac = ams
    with pytest.raises(ig.InputError):
        ig.catchments(net, fac, speed_kmh=speed)
    with pytest.raises(ig.InputError):
        ig.nearest_facilities(net, fac, speed_kmh=speed)
    with pytest.raises(ig.InputError):
        ig.metres_per_minute(speed)


def test_unknown_component(ams):
    net, fac = ams
    for call in (
        lambda: ig.distance_to_nearest(net, fac, component="schools"),
        lambda: ig.catchments(net, fac, component="schools"),
        lambda: ig.nearest_facilities(net, fac, component=["care", "schools"]),
        lambda: ig.distances_at_points(net, fac, net.nodes.geometry, component="schools"),
    ):
        with pytest.raises(ig.UnknownComponentError, match="schools"):
            call()


def test_bad_by_and_inputs(ams):
    net, fac = ams
    with pytest.raises(ig.InputError, match="by"):
        ig.catchments(net, fac, by="x")
    with pytest.raises(ig.InputError, match="WalkNetwork"):
        ig.distance_to_nearest(net.to_networkx(), fac)
    with pytest.raises(ig.InputError, match="WalkNetwork"):
        ig.catchments("net", fac)
    with pytest.raises(ig.InputError):
        ig.distance_to_nearest(net, pd.DataFrame(fac.drop(columns="geometry")))
    with pytest.raises(ig.InputError, match="components"):
        ig.distance_to_nearest(net, fac.drop(columns="components"))
    with pytest.raises(ig.CRSError):
        ig.distance_to_nearest(net, fac.set_crs(None, allow_override=True))
    with pytest.raises(ig.InputError):
        ig.distances_at_points(net, fac, list(net.nodes.geometry))
    assert ig.metres_per_minute(4.8) == pytest.approx(80.0)
