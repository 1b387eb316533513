"""Snapping beyond the grid's reach (k-d tree of samples along the pieces) against GEOS.

Before job-fast the points farther than ``_GRID_REACH_M`` from every street searched an
STRtree over the straight pieces (``query_nearest(max_distance=tol, all_matches=True)``).
The k-d tree search must give the very same edge, offset and distance per point: here the
STRtree search is the reference, run on real networks, on a regular grid of points (the
``walk_minutes.tif`` cells: many equidistant junction ties) and on jittered street points.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import infra_geo as ig
from infra_geo import _snap


@pytest.fixture(scope="module")
def li_net(liechtenstein):
    return ig.walk_network_from_file(liechtenstein)


def _reference(net: ig.WalkNetwork, xy: np.ndarray, tol: float) -> tuple[np.ndarray, ...]:
    """Return (edge, offset, distance) per point as the STRtree search found them."""
    grid = net._segments()
    reach = min(tol, _snap._GRID_REACH_M)
    n = len(xy)
    edge, offset, dist = np.full(n, -1, dtype=np.int64), np.zeros(n), np.full(n, np.inf)
    pi, ei, d, off = grid.near(xy, reach)
    if len(pi):
        pi, ei, d, off = _snap._closest(pi, ei, d, off)
        edge[pi], dist[pi], offset[pi] = ei, d, np.clip(off, 0.0, net.edge_length[ei])
    rest = np.flatnonzero((edge < 0) & np.isfinite(xy).all(axis=1))
    ends = np.stack(
        [
            np.column_stack([grid.ax, grid.ay]),
            np.column_stack([grid.ax + grid.dx, grid.ay + grid.dy]),
        ],
        axis=1,
    )
    tree = shapely.STRtree(shapely.linestrings(ends))
    pi, si = tree.query_nearest(shapely.points(xy[rest]), max_distance=tol, all_matches=True)
    if len(pi):
        d, off = grid.project(xy[rest[pi]], si)
        pi, ei, d, off = _snap._closest(pi, grid.edge[si], d, off)
        edge[rest[pi]], dist[rest[pi]] = ei, d
        offset[rest[pi]] = np.clip(off, 0.0, net.edge_length[ei])
    return edge, offset, dist


def _cells(net: ig.WalkNetwork, cell: float) -> np.ndarray:
    w, s = net.node_xy.min(axis=0) - 300
    e, n = net.node_xy.max(axis=0) + 300
    gx, gy = np.meshgrid(np.arange(w, e, cell) + 0.5 * cell, np.arange(s, n, cell) + 0.5 * cell)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _same(net: ig.WalkNetwork, xy: np.ndarray, tol: float) -> int:
    s = net.snap_xy(xy, tolerance=tol)
    edge, offset, dist = _reference(net, xy, tol)
    assert np.array_equal(s.edge, edge)
    assert np.array_equal(s.offset, offset)
    assert np.array_equal(s.distance, dist)
    return int((edge >= 0).sum())


@pytest.mark.parametrize("tol", [45.0, 250.0])
def test_far_snapping_equals_the_strtree_search_on_liechtenstein_cells(li_net, tol):
    xy = _cells(li_net, 50.0)
    found = _same(li_net, xy, tol)
    # the walk_minutes.tif grid of Liechtenstein: about half the cells lie within 250 m
    assert 0.2 * len(xy) < found < 0.8 * len(xy)


def test_far_snapping_equals_the_strtree_search_on_jittered_points(li_net):
    rng = np.random.default_rng(11)
    xy = shapely.get_coordinates(li_net.edge_geometry)
    xy = xy[rng.choice(len(xy), 20_000, replace=False)] + rng.normal(0, 120, (20_000, 2))
    # some points exactly on street vertices, at the same spot twice, and missing ones
    east = np.array([40.0, 0.0])
    xy = np.vstack([xy, li_net.node_xy[:50] + east, li_net.node_xy[:50] + east])
    xy[::997] = np.nan
    _same(li_net, xy, 250.0)


def test_far_snapping_in_chunks_and_with_few_neighbours_is_the_same(li_net, monkeypatch):
    # small chunks, and a k-d search that starts from 16 neighbours and must ask for more
    xy = _cells(li_net, 90.0)
    whole = li_net.snap_xy(xy, tolerance=250.0)
    monkeypatch.setattr(_snap, "_FAR_CHUNK", 333)
    monkeypatch.setattr(_snap, "_SAMPLE_M", 2.0)  # dense samples: many points need k > 16
    grid = li_net._segments()
    grid._samples = None
    try:
        chunked = li_net.snap_xy(xy, tolerance=250.0)
        assert grid.samples[2].max() <= 2.0
    finally:
        grid._samples = None
    assert np.array_equal(whole.edge, chunked.edge)
    assert np.array_equal(whole.offset, chunked.offset)
    assert np.array_equal(whole.distance, chunked.distance)


def test_far_snapping_on_a_hand_made_network():
    # one 100 m edge along y = 0: a point 80 m north of its middle, one 80 m beyond its end
    import networkx as nx

    G = nx.MultiGraph(crs="EPSG:28992")
    G.add_node(0, x=100000.0, y=400000.0)
    G.add_node(1, x=100100.0, y=400000.0)
    G.add_edge(0, 1)
    net = ig.WalkNetwork.from_networkx(G)
    xy = np.array([[100050.0, 400080.0], [100180.0, 400000.0], [100050.0, 400300.0]])
    s = net.snap_xy(xy, tolerance=250.0)
    assert s.edge.tolist() == [0, 0, -1]
    np.testing.assert_allclose(s.distance[:2], [80.0, 80.0], atol=1e-9)
    np.testing.assert_allclose(s.offset[:2], [50.0, 100.0], atol=1e-9)


def test_far_ties_are_decided_like_the_strtree_search(monkeypatch):
    # two parallel 100 m edges 100 m apart and a diagonal one: points on the line halfway
    # between the parallel edges are 50 m from both (beyond the grid's 30 m reach), so GEOS's
    # distances decide, as the STRtree search did; one point lies exactly at the tolerance
    import networkx as nx

    G = nx.MultiGraph(crs="EPSG:28992")
    for k, (x, y) in enumerate([(0, 0), (100, 0), (0, 100), (100, 100), (300, 0), (400, 90)]):
        G.add_node(k, x=100000.0 + x, y=400000.0 + y)
    G.add_edge(0, 1)
    G.add_edge(2, 3)
    G.add_edge(4, 5)
    net = ig.WalkNetwork.from_networkx(G)
    xy = np.column_stack([100000.0 + np.linspace(-20, 120, 57), np.full(57, 400050.0)])
    xy = np.vstack([xy, [[100050.0, 400150.0], [100050.0, 400160.0]]])
    measured = []
    real = shapely.distance

    def spy(a, b):
        measured.append(len(np.atleast_1d(a)))
        return real(a, b)

    monkeypatch.setattr(_snap.shapely, "distance", spy)
    _same(net, xy, 50.0)
    assert sum(measured) > 0  # the ties went to GEOS
    s = net.snap_xy(xy, tolerance=50.0)
    found = s.edge[:57] >= 0
    beside = (xy[:57, 0] >= 100000.0) & (xy[:57, 0] <= 100100.0)  # beyond the ends: > 50 m
    assert (found == beside).all() and (s.edge[:57][found] == 0).all()  # the lower index wins
    assert s.edge[-2] >= 0 and s.distance[-2] == 50.0 and s.edge[-1] == -1


def test_far_snapping_finds_nothing_beyond_the_tolerance(li_net):
    # points 1 km off every street: no candidate at all (not an error), edge -1
    far = li_net.node_xy.min(axis=0) - 1000.0
    s = li_net.snap_xy(np.array([far, far - 10.0]), tolerance=250.0)
    assert s.edge.tolist() == [-1, -1] and np.isinf(s.distance).all()
