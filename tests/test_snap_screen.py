"""The screen before snapping many points, and distances at snapped points (issue 14, snap6).

``nearest_edges`` first drops the points that the grid's distance transform shows to have no
street piece within the tolerance (``_SegmentGrid.could_reach``): most cells of
``walk_minutes.tif`` on an island. Each point's answer depends on that point alone, so the
answers must be the very ones of the unscreened search (itself pinned against GEOS in
``test_snap_far.py``), and no point with a street within the tolerance may be dropped (GEOS's
``dwithin`` is the reference). ``Access.point_table`` looks up only the snapped points and
finds the access points on each point's edge once for all groups: it must equal the per-group
lookup it replaced, bit for bit, on real data.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from conftest import shared_path

import infra_geo as ig
from infra_geo import _snap
from infra_geo.network import Snap


@pytest.fixture(scope="module")
def malta_net():
    return ig.walk_network_from_file(shared_path("osm/malta-2018.osm.pbf"))


@pytest.fixture(scope="module")
def li_acc(li_net_fac):
    net, fac = li_net_fac
    return ig.Access(net, fac)


def _cells(net: ig.WalkNetwork, cell: float, margin: float = 300.0) -> np.ndarray:
    w, s = net.node_xy.min(axis=0) - margin
    e, n = net.node_xy.max(axis=0) + margin
    gx, gy = np.meshgrid(np.arange(w, e, cell) + 0.5 * cell, np.arange(s, n, cell) + 0.5 * cell)
    return np.column_stack([gx.ravel(), gy.ravel()])


@pytest.mark.parametrize("tol", [45.0, 250.0])
def test_screen_gives_the_same_answers_and_drops_most_far_cells_on_malta(malta_net, tol):
    net = malta_net
    grid = net._segments()
    xy = _cells(net, 50.0)
    assert len(xy) >= _snap._SCREEN_MIN
    plain = _snap.nearest_edges(grid, xy, tol, net.edge_length, screen=False)
    screened = _snap.nearest_edges(grid, xy, tol, net.edge_length)
    for a, b in zip(plain, screened, strict=True):
        assert np.array_equal(a, b)
    keep = grid.could_reach(xy, tol)
    found = plain[0] >= 0
    assert keep[found].all()
    # GEOS: every cell with a (snappable) edge within tol is kept
    near = np.zeros(len(xy), dtype=bool)
    pi, _ = net.tree.query(shapely.points(xy), predicate="dwithin", distance=tol)
    near[pi] = True
    assert keep[near].all()
    assert (near == found).all()
    # Malta is an island: most cells have no street within 250 m, and the screen drops
    # nearly all of them (its bound is loose by at most a grid cell's diagonal, 85 m)
    far = ~found
    assert far.sum() > 0.5 * len(xy)
    assert (~keep[far]).mean() > (0.9 if tol == 250.0 else 0.8)


def test_screen_keeps_points_outside_the_grid_within_the_tolerance(monkeypatch):
    # one 100 m edge: the grid covers it widened by 30 m; points 200 m off lie outside the
    # grid and must still snap at 250 m, points 260 m off must not
    import networkx as nx

    G = nx.MultiGraph(crs="EPSG:28992")
    G.add_node(0, x=100000.0, y=400000.0)
    G.add_node(1, x=100100.0, y=400000.0)
    G.add_edge(0, 1)
    net = ig.WalkNetwork.from_networkx(G)
    monkeypatch.setattr(_snap, "_SCREEN_MIN", 1)
    xy = np.array(
        [
            [100050.0, 400200.0],
            [100050.0, 399800.0],
            [100300.0, 400000.0],
            [99750.0, 400000.0],
            [100050.0, 400260.0],
            [100100.0 + 176.0, 400000.0 + 176.0],  # 248.9 m from the end node
            [np.nan, np.nan],
        ]
    )
    s = net.snap_xy(xy, tolerance=250.0)
    assert s.edge.tolist() == [0, 0, 0, 0, -1, 0, -1]
    np.testing.assert_allclose(s.distance[:4], [200.0, 200.0, 200.0, 250.0], atol=1e-9)
    keep = net._segments().could_reach(xy, 250.0)
    assert keep[[0, 1, 2, 3, 5]].all() and not keep[6]


def test_screen_of_blocks_of_cells_on_a_large_grid(li_net_fac, monkeypatch):
    # a grid of more than _GAP_CELLS cells measures blocks of cells (bounded memory): the
    # screen is looser, still safe, and the answers are the same
    net = li_net_fac[0]
    monkeypatch.setattr(_snap, "_GAP_CELLS", 5_000)
    grid = _snap._SegmentGrid(net._snappable_geometry(), _snap._GRID_REACH_M)
    q = grid._gap_step
    assert q >= 3 and grid.gap_m.size <= 5_000
    assert grid.gap_m.shape == (-(-int(grid.shape[1]) // q), -(-int(grid.shape[0]) // q))
    xy = _cells(net, 50.0)
    plain = _snap.nearest_edges(grid, xy, 250.0, net.edge_length, screen=False)
    screened = _snap.nearest_edges(grid, xy, 250.0, net.edge_length)
    for a, b in zip(plain, screened, strict=True):
        assert np.array_equal(a, b)
    keep = grid.could_reach(xy, 250.0)
    found = plain[0] >= 0
    assert keep[found].all() and keep.sum() < 0.9 * len(xy)


def _point_table_before(
    acc: ig.Access, s: Snap, keys: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], int]:
    """Return the distances as ``point_table`` computed them before snap6 (main 88b8c6d).

    And how many (point, group) distances the direct walk along the point's edge decides.
    """
    net, att = acc.net, acc.attachments
    res = acc.node_distances(keys)
    ok = s.ok
    e = np.where(ok, s.edge, 0)
    u, v, length = net.edge_u[e], net.edge_v[e], net.edge_length[e]
    out, direct = {}, 0
    for k in keys:
        dist, _ = res[k]
        d = np.minimum(dist[u] + s.offset, dist[v] + (length - s.offset))
        best = np.full(len(s.edge), np.inf)
        fidx = np.zeros(len(att.facility_ids), dtype=bool)
        fidx[att.sources(k)] = True
        sel = fidx[att.facility]
        if sel.any():
            ae, aa = att.edge[sel], att.offset[sel]
            pts = np.flatnonzero(ok)
            order = np.argsort(ae, kind="stable")
            ae, aa = ae[order], aa[order]
            lo = np.searchsorted(ae, s.edge[pts], "left")
            hi = np.searchsorted(ae, s.edge[pts], "right")
            has = hi > lo
            cnt = (hi - lo)[has]
            p_rep = np.repeat(pts[has], cnt)
            a_idx = np.repeat(lo[has] - np.r_[0, np.cumsum(cnt)[:-1]], cnt) + np.arange(cnt.sum())
            np.minimum.at(best, p_rep, np.abs(aa[a_idx] - s.offset[p_rep]))
        out[k] = np.where(ok, np.minimum(d, best), np.inf)
        direct += int((ok & (best < d)).sum())
    return out, direct


def test_point_table_equals_the_per_group_lookup_on_liechtenstein(li_acc):
    acc = li_acc
    rng = np.random.default_rng(5)
    xy = _cells(acc.net, 50.0)
    # and points on the streets, many on edges with access points (same-edge walks)
    on = shapely.get_coordinates(acc.net.edge_geometry[acc.attachments.edge])
    xy = np.vstack([xy, on + rng.normal(0, 3, on.shape)])
    table, s = acc.at_points(xy)
    ref, direct = _point_table_before(acc, s, acc.keys)
    for k in acc.keys:
        assert np.array_equal(table[k].to_numpy(), ref[k])
    assert 0.2 * len(xy) < s.ok.sum() < len(xy) and direct > 100
    assert np.array_equal(table["snapped"].to_numpy(), s.ok)
    assert np.array_equal(table["snap_m"].to_numpy(), s.distance)


def test_point_table_of_no_snapped_point_and_no_access_point(li_acc):
    acc = li_acc
    far = acc.net.node_xy.min(axis=0) - 5000.0
    table, s = acc.at_points(np.array([far, far - 1.0]))
    assert not s.ok.any() and np.isinf(table[list(acc.keys)].to_numpy()).all()
    empty = acc.with_facilities(acc.facilities.iloc[:0])
    table, s = empty.at_points(acc.net.node_xy[:5] + 1.0)
    assert s.ok.all() and np.isinf(table[list(acc.keys)].to_numpy()).all()
