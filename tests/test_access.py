"""The access engine (``ig.Access``) and node-id keyed results, on real data.

References are independent: networkx's multi-source Dijkstra on ``net.to_networkx()`` (keyed
by node id) with one virtual node per facility, and fresh computations without the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cases
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

import infra_geo as ig


@pytest.fixture(scope="module")
def li(li_net_fac):
    return li_net_fac


@pytest.fixture(scope="module")
def ams(ams_osm_net_fac):
    return ams_osm_net_fac


def _networkx_by_id(net, att, key) -> dict:
    """Metres per node id: networkx on to_networkx() plus virtual facility nodes."""
    G = net.to_networkx()
    ids = net.node_ids
    sources = []
    for f in np.flatnonzero(att.members[:, att.components.index(key)] & att.snapped):
        vn = ("facility", int(f))
        G.add_node(vn)
        sources.append(vn)
        for e, a in zip(att.edge[att.facility == f], att.offset[att.facility == f], strict=True):
            G.add_edge(vn, ids[net.edge_u[e]], length=float(a))
            G.add_edge(vn, ids[net.edge_v[e]], length=float(net.edge_length[e] - a))
    return nx.multi_source_dijkstra_path_length(G, sources, weight="length")


# ------------------------------------------------------------------- node-id keyed results
@pytest.mark.parametrize("which", ["li", "ams"])
def test_distance_to_nearest_joins_to_networkx_by_node_id(which, request):
    net, fac = request.getfixturevalue(which)
    d = ig.distance_to_nearest(net, fac, component="care")
    G = net.to_networkx()
    assert len(d) == net.n_nodes == G.number_of_nodes()
    assert all(n in G for n in d.index)
    ref = _networkx_by_id(net, ig.attach_facilities(net, fac), "care")
    assert len(ref) > net.n_nodes / 2
    for node, metres in d.items():  # label-based: no positions involved
        if node in ref:
            assert metres == pytest.approx(ref[node], abs=1e-6)
        else:
            assert np.isinf(metres)
    # the same key as net.nodes: a join by index lines up with the node's own id column
    joined = net.nodes.join(d.rename("care_m"))
    assert (joined.index == joined["node_id"]).all()
    np.testing.assert_array_equal(joined["care_m"].to_numpy(), d.to_numpy())
    # and nearest_facilities too
    near = ig.nearest_facilities(net, fac, minutes=(5,), component="care")
    assert near.index.equals(d.index)
    np.testing.assert_array_equal(near["care_m"].to_numpy(), d.to_numpy())


def test_node_ids_of_a_user_graph():
    G = nx.MultiGraph(crs="EPSG:28992")
    G.add_node("a", x=100000.0, y=400000.0)
    G.add_node("b", x=100100.0, y=400000.0)
    G.add_edge("a", "b")
    net = ig.WalkNetwork.from_networkx(G)
    fac = gpd.GeoDataFrame(
        {"facility_id": ["node/1"], "component": ["care"], "components": ["care"]},
        geometry=[shapely.Point(100030.0, 400005.0)],
        crs="EPSG:28992",
    )
    d = ig.distance_to_nearest(net, fac, component="care")
    assert d.index.tolist() == ["a", "b"] == net.nodes.index.tolist()
    assert d.loc["a"] == pytest.approx(30.0) and d.loc["b"] == pytest.approx(70.0)


# ------------------------------------------------------------------------------ the engine
def test_one_access_gives_what_the_front_doors_give(li):
    net, fac = li
    eng = ig.Access(net, fac)
    keys = ["care", "sports", "public_space"]
    pd.testing.assert_frame_equal(
        ig.distance_to_nearest(net, fac, component=keys, access=eng),
        ig.distance_to_nearest(net, fac, component=keys),
    )
    pd.testing.assert_frame_equal(
        ig.nearest_facilities(net, fac, minutes=(5, 10), component=keys, access=eng),
        ig.nearest_facilities(net, fac, minutes=(5, 10), component=keys),
    )
    pts = net.nodes.geometry.iloc[::7]
    pd.testing.assert_frame_equal(
        ig.distances_at_points(net, fac, pts, component=keys, access=eng),
        ig.distances_at_points(net, fac, pts, component=keys),
    )
    fresh = ig.catchments(net, fac, minutes=(5, 10), component=keys)
    reused = ig.catchments(net, fac, minutes=(5, 10), component=keys, access=eng)
    np.testing.assert_allclose(reused["area_m2"], fresh["area_m2"], rtol=1e-9)
    assert shapely.equals(reused.geometry.to_numpy(), fresh.geometry.to_numpy()).all()
    # each group's search ran once: the engine hands back the same arrays
    first = eng.node_distances(["care"])["care"][0]
    assert eng.node_distances(["care"])["care"][0] is first
    # the street-front cache is the engine's (per width), filled by the catchments
    assert ig.settings.catchment_buffer_m in eng.edge_buffers


def test_nothing_is_written_into_the_network(li):
    net, fac = li
    before = set(vars(net))
    eng = ig.Access(net, fac)
    ig.catchments(net, fac, minutes=(5,), component="care", access=eng)
    ig.distance_to_nearest(net, fac, access=eng)
    ig.attach_facilities(net, fac)
    assert set(vars(net)) == before
    assert not any("cache" in k or "buffer" in k for k in vars(net))


def test_grouping_through_the_engine(ams):
    net, fac = ams
    eng = ig.Access(net, fac, by="category")
    assert "amenity=library" in eng.keys
    got = ig.distance_to_nearest(net, fac, component="amenity=library", access=eng)
    ref = _networkx_by_id(net, eng.attachments, "amenity=library")
    expect = np.array([ref.get(n, np.inf) for n in got.index])
    np.testing.assert_allclose(got.to_numpy(), expect, rtol=0, atol=1e-6)
    pd.testing.assert_series_equal(
        got, ig.distance_to_nearest(net, fac, component="amenity=library", by="category")
    )


def test_with_facilities_is_a_fresh_engine_on_the_same_network(li):
    net, fac = li
    eng = ig.Access(net, fac)
    care = fac.loc[ig.component_mask(fac, "care")].iloc[::2]
    other = eng.with_facilities(care, component="care")
    assert other.net is net and other._net_cache is eng._net_cache
    pd.testing.assert_series_equal(
        other.distances(["care"])["care"], ig.distance_to_nearest(net, care, component="care")
    )
    # fewer facilities: never nearer
    assert (other.distances(["care"])["care"] >= eng.distances(["care"])["care"] - 1e-9).all()


def test_gaps_with_an_access_equal_gaps_without(amsterdam_pbf, amsterdam_buurten):
    units, ext, share = cases.amsterdam_case(amsterdam_pbf, amsterdam_buurten)
    units = units.loc[share > 1e-9].reset_index(drop=True)
    net = ig.walk_network_from_file(amsterdam_pbf)
    fac = ig.facilities_from_file(amsterdam_pbf)
    pop = ig.population_from_buildings(amsterdam_pbf, units)
    box = shapely.box(*ext)
    eng = ig.Access(net, fac)
    got = ig.gap_analysis(net, fac, units, pop, minutes=(5, 10), extent=box, access=eng)
    ref = ig.gap_analysis(net, fac, units, pop, minutes=(5, 10), extent=box)
    pd.testing.assert_frame_equal(pd.DataFrame(got), pd.DataFrame(ref))
    assert got["residents"].sum() > 1000
    unc = ig.uncovered_areas(net, fac, pop, minutes=10, access=eng)
    unc_ref = ig.uncovered_areas(net, fac, pop, minutes=10)
    np.testing.assert_allclose(unc["residents"], unc_ref["residents"], rtol=1e-12)


def test_access_errors(li, liechtenstein):
    net, fac = li
    eng = ig.Access(net, fac)
    other_net = ig.walk_network_from_file(liechtenstein)
    with pytest.raises(ig.InputError, match="another network"):
        ig.distance_to_nearest(other_net, fac, access=eng)
    with pytest.raises(ig.InputError, match="by= or rules="):
        ig.distance_to_nearest(net, fac, by="category", access=eng)
    with pytest.raises(ig.InputError, match="other facilities"):
        ig.distance_to_nearest(net, fac.iloc[:5], access=eng)
    with pytest.raises(ig.InputError, match=r"ig\.Access"):
        ig.distance_to_nearest(net, fac, access="engine")
    with pytest.raises(ig.UnknownComponentError, match="schools"):
        ig.distance_to_nearest(net, fac, component="schools", access=eng)
    with pytest.raises(ig.InputError, match="WalkNetwork"):
        ig.Access(net.to_networkx(), fac)
    with pytest.raises(ig.InputError, match="GeoDataFrame"):
        ig.Access(net, pd.DataFrame(fac.drop(columns="geometry")))


def test_snap_xy_is_public_and_keyword_only(li):
    net, _ = li
    xy = net.node_xy[:50] + 3.0
    s = net.snap_xy(xy, tolerance=30.0)
    ref = net.snap(shapely.points(xy), tolerance=30.0)
    np.testing.assert_array_equal(s.edge, ref.edge)
    with pytest.raises(TypeError):
        net.snap_xy(xy, 30.0)


def test_no_private_names_imported_across_the_engine_modules():
    src = Path(ig.__file__).parent
    for name in ("accessibility", "gaps", "analysis", "population", "_access"):
        tree = ast.parse((src / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                if node.module.startswith("_"):
                    continue
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{name}.py imports {private} from .{node.module}"
