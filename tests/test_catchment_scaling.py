"""Catchments built from cached tile unions match the old union of buffers (issue 14, item 1).

The reference is the pre-issue-14 implementation kept verbatim in
``tests/_catchment_reference.py`` (every whole edge and partial piece buffered on its own,
unioned level by level), run here on the same node distances and access points. Checked on
real data (Liechtenstein, Amsterdam-Centrum): IoU >= 0.97 per component and threshold, exact
nesting, and no point of a polygon farther than the street front from a reachable piece.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from _catchment_reference import nested_unions as reference_nested_unions

import infra_geo as ig
from infra_geo import _catchment_geometry as acc
from infra_geo._access import _NetCache

MINUTES = (5, 10, 15)
MPM = 80.0
WIDTH = 50.0


def _cases(path):
    net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    new = ig.catchments(net, fac, minutes=MINUTES)
    dist = ig.distance_to_nearest(net, fac)
    att = ig.attach_facilities(net, fac)
    return net, fac, new, dist, att


@pytest.fixture(scope="module", params=["liechtenstein", "amsterdam_osm"])
def case(request):
    return _cases(request.getfixturevalue(request.param))


def _sources(att, key):
    sel = att.members[att.facility, att.components.index(key)]
    return att.edge[sel], att.offset[sel]


def test_iou_against_old_union_of_buffers(case):
    net, _, new, dist, att = case
    compared = 0
    for key in ig.COMPONENT_KEYS:
        edge, off = _sources(att, key)
        rows = new.loc[new["component"] == key].sort_values("minutes")
        if len(edge) == 0:
            assert rows.geometry.is_empty.all()
            continue
        d = dist[key].to_numpy()
        ref = reference_nested_unions(net, d, [m * MPM for m in MINUTES], edge, off, WIDTH)
        for got, want in zip(rows.geometry, ref, strict=True):
            assert got.is_valid
            iou = shapely.intersection(got, want).area / shapely.union(got, want).area
            assert iou >= 0.97, (key, iou)
            compared += 1
    assert compared >= 12


def test_tiles_are_used_and_cover_their_edges(case):
    """The fast path is exercised: fully reached tiles exist, and each tile's cached union is
    exactly the union of its edges' street fronts."""
    net, _, _, dist, att = case
    tile, per_tile, polys = acc._tile_unions(net, WIDTH, _NetCache.of(net).edge_buffers)
    assert len(tile) == net.n_edges and per_tile.sum() == net.n_edges
    full_any = 0
    for key in ig.COMPONENT_KEYS:
        edge, off = _sources(att, key)
        whole, _ = acc._reachable_parts(net, dist[key].to_numpy(), 15 * MPM, edge, off)
        full_any += int((np.bincount(tile[whole], minlength=len(per_tile)) == per_tile).sum())
    assert full_any > 0
    rng = np.random.default_rng(0)
    for t in rng.choice(len(per_tile), size=min(20, len(per_tile)), replace=False):
        mine = net.edge_geometry[tile == t]
        want = shapely.union_all(shapely.buffer(mine, WIDTH, quad_segs=acc._QUAD_SEGS))
        assert shapely.symmetric_difference(polys[t], want).area < 1e-6 * want.area


def test_nested_exactly(case):
    _, _, new, _, _ = case
    for key in ig.COMPONENT_KEYS:
        g = new.loc[new["component"] == key].sort_values("minutes").geometry.tolist()
        for small, big in itertools.pairwise(g):
            assert small.area <= big.area
            assert shapely.difference(small, big).area <= 1e-9 * max(small.area, 1.0)


def test_never_farther_than_the_street_front(case):
    """Every boundary vertex (where the farthest points are) and random points inside each
    polygon lie within the street front of a reachable piece."""
    net, _, new, dist, att = case
    rng = np.random.default_rng(14)
    checked = 0
    for key in ig.COMPONENT_KEYS:
        edge, off = _sources(att, key)
        if len(edge) == 0:
            continue
        d = dist[key].to_numpy()
        rows = new.loc[new["component"] == key].sort_values("minutes")
        for m, geom in zip(MINUTES, rows.geometry, strict=True):
            pieces = acc._reachable_pieces(net, d, m * MPM, edge, off)
            x0, y0, x1, y1 = geom.bounds
            xy = rng.uniform((x0, y0), (x1, y1), size=(20000, 2))
            xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
            assert len(xy) > 100
            xy = np.vstack([xy, shapely.get_coordinates(geom.boundary)])
            tree = shapely.STRtree(pieces)
            _, far = tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
            assert far.max() <= WIDTH + 1e-6, (key, m, far.max())
            checked += 1
    assert checked >= 12


def test_union_parts_equals_one_cascaded_union(case):
    """The disjoint-subset union of a level's new parts plus the previous level equals one
    ``union_all`` of everything (real pieces, largest component), and a level whose parts all
    lie inside the previous one never comes back with a smaller area (areas nest exactly)."""
    net, _, _, dist, att = case
    first, second = sorted(ig.COMPONENT_KEYS, key=lambda k: -len(_sources(att, k)[0]))[:2]
    edge, off = _sources(att, first)  # the previous level: another component's, so the
    prev = reference_nested_unions(net, dist[first].to_numpy(), [5 * MPM], edge, off, WIDTH)[0]
    edge, off = _sources(att, second)  # union is not a no-op
    whole, rest = acc._reachable_parts(net, dist[second].to_numpy(), 10 * MPM, edge, off)
    parts = np.concatenate(
        [
            shapely.buffer(net.edge_geometry[whole], WIDTH, quad_segs=acc._QUAD_SEGS),
            shapely.buffer(rest, WIDTH, quad_segs=acc._QUAD_SEGS),
        ]
    )
    got = acc._union_parts(parts, prev)
    want = shapely.union_all(np.append(parts, prev))
    alone = shapely.union_all(parts)  # neither side holds the other: both must be kept
    assert shapely.difference(prev, alone).area > 0.01 * prev.area
    assert shapely.difference(alone, prev).area > 0.01 * alone.area
    assert got.is_valid and not got.is_empty
    assert shapely.symmetric_difference(got, want).area <= 1e-9 * want.area
    assert shapely.difference(prev, got).area <= 1e-9 * prev.area
    assert acc._union_parts(parts, None).equals(acc._union_parts(parts, None))  # deterministic
    inside = shapely.buffer(net.edge_geometry[whole[:5]], 1.0)  # thin, within the 10-min area
    bigger = acc._union_parts(parts, None)
    same = acc._union_parts(inside, bigger)
    assert same.area >= bigger.area
    assert shapely.symmetric_difference(same, bigger).area <= 1e-9 * bigger.area


def test_tiles_built_ahead_are_the_tiles_built_on_demand(liechtenstein):
    """``analyse`` builds the tiles in a background thread as soon as the network exists; the
    tiles, and so the catchments, are the same as when the catchments build them."""
    import copy

    ahead = ig.walk_network_from_file(liechtenstein)
    later = copy.deepcopy(ahead)
    assert _NetCache.of(ahead) is not _NetCache.of(later)
    cache = _NetCache.of(ahead).edge_buffers
    thread = acc.prefetch_tiles(ahead, WIDTH, cache)
    thread.join(timeout=120)
    assert not thread.is_alive() and ("tiles", WIDTH) in cache
    got = cache[("tiles", WIDTH)]
    want = acc._tile_unions(later, WIDTH, _NetCache.of(later).edge_buffers)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert shapely.to_wkb(got[2]).tolist() == shapely.to_wkb(want[2]).tolist()
    fac = ig.facilities_from_file(liechtenstein)
    a = ig.catchments(ahead, fac, minutes=MINUTES)
    b = ig.catchments(later, fac, minutes=MINUTES)
    assert shapely.to_wkb(a.geometry.to_numpy()).tolist() == shapely.to_wkb(
        b.geometry.to_numpy()
    ).tolist()
