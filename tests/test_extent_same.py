"""The faster data extent and snapping grid give the very results of the code they replaced.

Issue 14 sped up four steps of the network stage without changing any answer: the 2-core
of the minor streets (rounds of leaves in numpy, then a queue, instead of a queue alone),
the test whether a complete administrative area lies among the streets (an unbalanced k-d
tree searched only up to the closing radius, the area prepared), the raster step (integer
squared distances, an erosion for the one-cell pull-in) and the listing order of the
snapping grid (one sort of unique codes instead of a stable argsort). The replaced code
is kept here, verbatim, as the reference, and run on the real extracts.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import shared_path
from pyproj import CRS, Transformer

import infra_geo as ig
from infra_geo import _snap
from infra_geo._osm_reader import read_osm
from infra_geo.extent import (
    _metric_for,
    _minor_ways,
    _street_core,
    _two_core,
    _with_complete_boundaries,
    evidence_points,
    extent_from_points,
)

FILES = [
    "osm/liechtenstein.osm.pbf",
    "osm/malta-2018.osm.pbf",
    "amsterdam/amsterdam-centrum.osm.gz",
    "spijkenisse/spijkenisse-highways-2018.osm",
    "osm/harrisburg.osm.pbf",
]


@pytest.fixture(scope="module", params=FILES)
def data(request):
    return read_osm(shared_path(request.param), ig.load_rules().match_keys())


def _two_core_queue(edges: np.ndarray, n: int) -> np.ndarray:
    """The 2-core as it was computed before issue 14: one queue over the leaves."""
    edges = edges[edges[:, 0] != edges[:, 1]]
    if not len(edges):
        return edges
    ends = np.concatenate([edges[:, 0], edges[:, 1]])
    nbrs = np.concatenate([edges[:, 1], edges[:, 0]])
    order = np.argsort(ends, kind="stable")
    indptr = np.searchsorted(ends[order], np.arange(n + 1)).tolist()
    adj = nbrs[order].tolist()
    deg = np.bincount(ends, minlength=n)
    gone = np.zeros(n, dtype=bool)
    stack = np.flatnonzero(deg == 1).tolist()
    dl = deg.tolist()
    while stack:
        v = stack.pop()
        if gone[v]:
            continue
        gone[v] = True
        for w in adj[indptr[v] : indptr[v + 1]]:
            if not gone[w]:
                dl[w] -= 1
                if dl[w] == 1:
                    stack.append(w)
                elif dl[w] == 0:
                    gone[w] = True
    return edges[~(gone[edges[:, 0]] | gone[edges[:, 1]])]


def _complete_boundaries_before(data, derived, share, cell, close):
    """``_with_complete_boundaries`` before issue 14 (balanced k-d tree, unbounded search)."""
    from scipy.spatial import cKDTree

    feats = data.features
    if share <= 0 or share > 1 or not len(feats) or "boundary" not in feats.columns:
        return derived
    adm = feats.geometry[
        (feats["osm_type"] == "relation")
        & (feats["boundary"] == "administrative")
        & feats.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    ]
    if not len(adm):
        return derived
    metric = _metric_for(shapely.get_coordinates(shapely.centroid(derived)), CRS.from_epsg(4326))
    areas = adm.to_crs(metric).to_numpy()
    areas = areas[shapely.is_valid(areas)]
    d_m = gpd.GeoSeries([derived], crs=4326).to_crs(metric).iloc[0]
    a = shapely.area(areas)
    covered = np.divide(
        shapely.area(shapely.intersection(areas, d_m)), a, out=np.zeros(len(a)), where=a > 0
    )
    cand = areas[covered >= share]
    if not len(cand):
        return derived
    tr = Transformer.from_crs(4326, metric, always_xy=True)
    street = data.way_tags["highway"].notna().to_numpy()
    lonlat = data.way_lonlat[np.repeat(street, np.diff(data.way_offsets))]
    tree = cKDTree(np.column_stack(tr.transform(lonlat[:, 0], lonlat[:, 1])))
    ok = np.zeros(len(cand), dtype=bool)
    for i, part in enumerate(shapely.difference(cand, d_m)):
        x0, y0, x1, y1 = part.bounds if not part.is_empty else (0, 0, 0, 0)
        xs, ys = np.meshgrid(np.arange(x0, x1, cell) + cell / 2, np.arange(y0, y1, cell) + cell / 2)
        inside = shapely.contains_xy(part, xs.ravel(), ys.ravel())
        if not inside.any():
            ok[i] = True
            continue
        dist, _ = tree.query(np.column_stack([xs.ravel()[inside], ys.ravel()[inside]]))
        ok[i] = bool((dist <= close).mean() >= 0.95)
    add = cand[ok]
    if not len(add):
        return derived
    whole = shapely.normalize(shapely.union_all(np.concatenate([[d_m], add])))
    return gpd.GeoSeries([whole], crs=metric).to_crs(4326).iloc[0]


def test_two_core_equals_the_leaf_queue(data) -> None:
    ids, _, core = _street_core(data)
    # every minor-street edge before peeling, built as _street_core builds them
    minor = _minor_ways(data)
    run = np.repeat(np.arange(len(minor)), np.diff(data.way_offsets))
    keep = minor[run]
    inv = np.searchsorted(ids, data.way_node_ids[keep])
    run = run[keep]
    same = run[1:] == run[:-1]
    lo, hi = np.sort(np.column_stack([inv[:-1][same], inv[1:][same]]), axis=1).T
    key = np.unique(lo.astype(np.int64) * len(ids) + hi)
    edges = np.column_stack([key // len(ids), key % len(ids)])
    ref = _two_core_queue(edges, len(ids))
    np.testing.assert_array_equal(_two_core(edges, len(ids)), ref)
    np.testing.assert_array_equal(core, ref)
    assert 0 < len(ref) < len(edges)  # dead ends were peeled, loops stay


def test_two_core_long_chains_and_small_parts() -> None:
    """A ring with a 500-node tail and 40 short spurs; two isolated edges; a triangle."""
    ring = [(i, (i + 1) % 10) for i in range(10)]
    tail = [(9 + i, 10 + i) for i in range(1, 500)] + [(0, 10)]
    spurs = [(i % 10, 600 + i) for i in range(40)]
    other = [(700, 701), (702, 703), (800, 801), (801, 802), (800, 802)]
    edges = np.sort(np.array(ring + tail + spurs + other, dtype=np.int64), axis=1)
    edges = np.unique(edges, axis=0)
    got = _two_core(edges, 900)
    np.testing.assert_array_equal(got, _two_core_queue(edges, 900))
    assert {tuple(e) for e in got.tolist()} == {
        tuple(sorted(e)) for e in [*ring, (800, 801), (801, 802), (800, 802)]
    }


def test_complete_boundaries_equal_the_unbounded_search(data) -> None:
    s = ig.settings
    derived = extent_from_points(evidence_points(data, step_m=s.extent_cell_m / 2))
    args = (data, derived, s.extent_boundary_share, s.extent_cell_m, s.extent_close_m)
    new, old = _with_complete_boundaries(*args), _complete_boundaries_before(*args)
    assert new.wkb == old.wkb  # the same polygon, coordinate for coordinate
    assert shapely.equals(new, old)
    if Path(data.path).name.startswith(("liechtenstein", "malta")):
        assert new.area > derived.area  # areas joined: the search decided something


def _grid_before(geoms: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """The grid's (keys, seg) listings as they were built before issue 14 (stable argsort)."""
    xy, idx = shapely.get_coordinates(geoms, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    d = b - a
    lo = a + np.minimum(d, 0.0) - reach
    hi = a + np.maximum(d, 0.0) + reach
    cell = 2.0 * reach
    origin = lo.min(axis=0)
    i0 = np.floor((lo - origin) / cell).astype(np.int64)
    i1 = np.floor((hi - origin) / cell).astype(np.int64)
    shape = i1.max(axis=0) + 1
    nx_, ny_ = i1[:, 0] - i0[:, 0] + 1, i1[:, 1] - i0[:, 1] + 1
    count = nx_ * ny_
    seg = np.repeat(np.arange(len(count), dtype=np.int32), count)
    k = np.arange(int(count.sum()), dtype=np.int64)
    k -= np.repeat(np.cumsum(count) - count, count)
    w = nx_[seg]
    key = (i0[seg, 1] + k // w) * shape[0]
    key += i0[seg, 0] + k % w
    order = np.argsort(key, kind="stable")
    return key[order], seg[order]


@pytest.mark.parametrize("rel", ["osm/liechtenstein.osm.pbf", "osm/malta-2018.osm.pbf"])
def test_snapping_grid_listings_equal_the_stable_sort(rel: str) -> None:
    net = ig.walk_network_from_file(shared_path(rel))
    geoms = net._snappable_geometry()
    g = _snap._SegmentGrid(geoms, _snap._GRID_REACH_M)
    keys, seg = _grid_before(geoms, _snap._GRID_REACH_M)
    np.testing.assert_array_equal(g.keys, keys)
    np.testing.assert_array_equal(g.seg, seg)
    assert g.seg.dtype == np.int32 and len(g.keys) > 2 * len(g.edge)
    # and every point snaps as before: the pieces near it are listed in its cell
    xy = shapely.get_coordinates(net.edge_geometry)[::7] + 12.0
    s = net.snap_xy(xy, tolerance=30.0)
    assert s.ok.mean() > 0.9


def _raster_extent_before(pts, cell, close, edge, share):
    """``_raster_extent`` before issue 14 (four Euclidean distance transforms)."""
    from affine import Affine
    from rasterio import features
    from scipy import ndimage

    r = int(np.ceil(close / cell - 1e-9))
    pad = r + 2
    x0 = np.floor(pts[:, 0].min() / cell) * cell - pad * cell
    y0 = np.floor(pts[:, 1].min() / cell) * cell - pad * cell
    nx = int(np.floor((pts[:, 0].max() - x0) / cell)) + 1 + pad
    ny = int(np.floor((pts[:, 1].max() - y0) / cell)) + 1 + pad
    mask = np.zeros((ny, nx), dtype=bool)
    mask[
        ((pts[:, 1] - y0) // cell).astype(np.int64), ((pts[:, 0] - x0) // cell).astype(np.int64)
    ] = True
    if r:
        grown = ndimage.distance_transform_edt(~mask) <= r
        mask = ndimage.distance_transform_edt(grown) > r
    mask = ndimage.binary_fill_holes(mask)
    if edge > 0:
        mask = ndimage.distance_transform_edt(mask) > edge / cell
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n > 1 and share > 0:
        sizes = np.bincount(labels.ravel())[1:]
        main = int(np.argmax(sizes)) + 1
        gap = ndimage.minimum(
            ndimage.distance_transform_edt(labels != main), labels, np.arange(1, n + 1)
        )
        reach = max(np.sqrt(sizes.max()) * cell, ig.settings.extent_near_m)
        near = np.asarray(gap) * cell <= reach
        keep = (sizes >= share * sizes.max()) & near
        mask = np.isin(labels, np.flatnonzero(keep) + 1)
    transform = Affine(cell, 0, x0, 0, cell, y0)
    polys = [
        shapely.geometry.shape(geom)
        for geom, val in features.shapes(mask.astype(np.uint8), mask=mask, transform=transform)
        if val == 1
    ]
    return shapely.normalize(shapely.union_all(polys))


@pytest.mark.parametrize(
    "cell, close, edge, share",
    [
        (50.0, 1000.0, 50.0, 0.02),  # the defaults
        (50.0, 1000.0, 70.0, 0.02),  # a pull-in between one and two cells
        (50.0, 400.0, 250.0, 0.3),  # a pull-in of five cells (the transform), clusters dropped
        (40.0, 0.0, 0.0, 0.0),  # no closing, no pull-in, every cluster
        (100.0, 650.0, 120.0, 0.5),
    ],
)
def test_raster_extent_equals_the_distance_transforms(cell, close, edge, share) -> None:
    """Malta's evidence (three islands, strays) through the old and the new raster step."""
    from infra_geo.extent import _raster_extent

    d = read_osm(shared_path("osm/malta-2018.osm.pbf"), ig.load_rules().match_keys())
    pts = evidence_points(d, step_m=25.0)
    tr = Transformer.from_crs(4326, "EPSG:32633", always_xy=True)
    xy = np.column_stack(tr.transform(pts[:, 0], pts[:, 1]))
    new = _raster_extent(xy, cell, close, edge, share)
    old = _raster_extent_before(xy, cell, close, edge, share)
    assert new.wkb == old.wkb
    assert new.area > 5e7  # tens of km2 of Malta at least, with every setting


def test_distance_helpers_equal_the_transform() -> None:
    from scipy import ndimage

    from infra_geo.extent import _farther_than, _sq_distance

    rng = np.random.default_rng(5)
    for density in (0.02, 0.5, 0.97):
        m = rng.random((90, 130)) < density
        m[0, 0] = False  # one empty cell at least
        edt = ndimage.distance_transform_edt(m)
        assert np.array_equal(np.sqrt(_sq_distance(m).astype(np.float64)), edt)
        for e in (0.5, 1.0, 1.4, np.sqrt(2.0), 2.0, 2.3, 3.0, 3.9, 4.5, 7.0):
            assert np.array_equal(_farther_than(m, e), edt > e), (density, e)
