"""The nodes a bounded count search runs on: the same set the STRtree box query found.

``accessibility._counts_within`` used to list every (square, node) pair of an STRtree query
with one square of 2 x lmax around each access point; ``_nodes_in_boxes`` finds the same
nodes with a k-d tree of the centres in the maximum norm. The reference is the STRtree
query itself, on Liechtenstein's nodes, with nodes placed exactly on the squares' sides.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import infra_geo as ig
from infra_geo.accessibility import _nodes_in_boxes


def _reference(node_xy: np.ndarray, centres: np.ndarray, half: float) -> np.ndarray:
    tree = shapely.STRtree(shapely.points(node_xy))
    boxes = shapely.box(*(np.column_stack([centres - half, centres + half]).T))
    hit = np.zeros(len(node_xy), dtype=bool)
    hit[tree.query(boxes)[1]] = True
    return hit


@pytest.fixture(scope="module")
def li_nodes(liechtenstein):
    return ig.walk_network_from_file(liechtenstein).node_xy


@pytest.mark.parametrize("half", [416.67, 833.33, 1250.0])
def test_nodes_in_boxes_equal_the_strtree_query(li_nodes, half):
    rng = np.random.default_rng(5)
    for size in (1, 40, 600):
        centres = li_nodes[rng.choice(len(li_nodes), size, replace=False)] + rng.normal(
            0, 50, (size, 2)
        )
        got = _nodes_in_boxes(li_nodes, centres, half)
        assert np.array_equal(got, _reference(li_nodes, centres, half))
        assert 0 < got.sum() < len(li_nodes)


def test_nodes_on_the_sides_of_a_square_count_as_inside(li_nodes):
    # centres placed so that real nodes lie exactly on a side or a corner, or a hair outside
    half = 1250.0
    c = li_nodes[:30]
    shift = np.array  # offsets as arrays (a list would be read as a concatenation)
    sides = np.vstack(
        [
            c - shift([half, 0.0]),
            c + shift([half, 0.0]),
            c - shift([0.0, half]),
            c + shift([half, half]),
            c + shift([half + 1e-7, 0.0]),
            c - shift([0.0, half + 1e-6]),
        ]
    )
    nodes = np.vstack([li_nodes, c])
    got = _nodes_in_boxes(nodes, sides, half)
    assert np.array_equal(got, _reference(nodes, sides, half))
    assert got[-30:].all()  # each of those nodes is on a side of some square


def test_nodes_in_boxes_empty():
    xy = np.zeros((0, 2))
    assert _nodes_in_boxes(xy, np.ones((3, 2)), 5.0).shape == (0,)
    assert not _nodes_in_boxes(np.ones((3, 2)), xy, 5.0).any()


def test_nodes_in_boxes_of_malta_chunks_equal_the_strtree_query():
    # the squares of _counts_within's chunks on Malta (128 facilities in z-order, one square
    # of 2 x 1200 m around each access point): most nodes are settled by the grid cells
    # wholly inside a square or meeting none (accessibility._cell_verdicts), the rest by
    # the k-d tree; the answer is the STRtree query's either way
    from conftest import shared_path

    from infra_geo.accessibility import _cell_verdicts, _zorder

    path = shared_path("osm/malta-2018.osm.pbf")
    net = ig.walk_network_from_file(path)
    acc = ig.Access(net, ig.facilities_from_file(path))
    att, half = acc.attachments, 1200.0 * (1 + 1e-12)
    ap = shapely.get_coordinates(
        shapely.line_interpolate_point(net.edge_geometry[att.edge], att.offset)
    )
    active = np.flatnonzero(att.snapped & att.members.any(axis=1))
    active = active[np.argsort(_zorder(ap[np.searchsorted(att.facility, active)], half))]
    settled = total = 0
    for start in range(0, len(active), 128 * 5):  # every fifth chunk
        centres = ap[np.isin(att.facility, active[start : start + 128])]
        got = _nodes_in_boxes(net.node_xy, centres, half)
        assert np.array_equal(got, _reference(net.node_xy, centres, half))
        inner, outer = _cell_verdicts(net.node_xy, centres - half, centres + half, 1e-6, half)
        assert not (inner & outer).any() and got[inner].all() and not got[outer].any()
        settled += int((inner | outer).sum())
        total += len(net.node_xy)
    assert settled > 0.9 * total
