"""Uncovered areas built straight in EPSG:4326 equal the old build-then-``to_crs``, to the bit.

Issue 14 (stop 22): ``uncovered_areas`` transforms each distinct cell corner once and builds
each distinct box once over all groups and thresholds, instead of building every layer in
the network CRS and moving every vertex with ``GeoDataFrame.to_crs``. The reference here is
that old way, on real Liechtenstein residents.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import infra_geo as ig
from infra_geo.uncovered import _cells_polygon, _to_4326

MINUTES = (5, 10, 15)


@pytest.fixture(scope="module")
def li_access(liechtenstein):
    units = ig.neighbourhoods_from_osm(file=liechtenstein, admin_level=8)
    net = ig.walk_network_from_file(liechtenstein)
    fac = ig.facilities_from_file(liechtenstein)
    pop = ig.population_from_buildings(liechtenstein, units, total=38_000)
    return net, fac, ig.resident_access(net, fac, pop)


def _reference(net, acc, keys, cell):
    """Return every layer built in the network CRS and moved with ``to_crs`` (the old way)."""
    w = acc["population"].to_numpy(dtype=float)
    ij = np.floor(shapely.get_coordinates(acc.geometry.to_numpy()) / cell).astype(np.int64)
    mpm = ig.accessibility.metres_per_minute(ig.settings.walk_speed_kmh)
    geoms = []
    for k in keys:
        for m in MINUTES:
            out = (acc[k].to_numpy(dtype=float) > m * mpm) & (w > 0)
            geoms.append(_cells_polygon(ij[out], cell) if out.any() else shapely.Polygon())
    return gpd.GeoSeries(geoms, crs=net.crs).to_crs("EPSG:4326")


@pytest.mark.parametrize("cell", [50.0, 37.3])
def test_uncovered_areas_equal_building_then_to_crs(li_access, cell):
    net, fac, acc = li_access
    got = ig.uncovered_areas(net, fac, None, minutes=MINUTES, cell_m=cell, access=acc)
    ref = _reference(net, acc, ig.COMPONENT_KEYS, cell)
    assert got.crs.to_epsg() == 4326 and len(got) == len(ref) == 3 * len(ig.COMPONENT_KEYS)
    assert list(got.columns) == ["component", "minutes", "residents", "geometry"]
    parts = shapely.get_num_geometries(got.geometry.to_numpy())
    assert parts.sum() > 1000 and (parts > 1).sum() > 10  # real multi-part layers
    assert (
        shapely.to_wkb(got.geometry.to_numpy()).tolist() == shapely.to_wkb(ref.to_numpy()).tolist()
    )


def test_to_4326_moves_each_corner_as_to_crs_and_keeps_differing_bits_apart(li_access):
    net = li_access[0]
    cell = 50.0
    x, y = np.floor(net.node_xy[0] / cell) * cell  # a cell corner in Liechtenstein
    corners = np.array([[x, y], [x + cell, y], [x, y], [x + cell, y - cell], [x, y]])
    moved, ids = _to_4326(corners, net.crs, cell)
    ref = gpd.GeoSeries(shapely.points(corners), crs=net.crs).to_crs("EPSG:4326")
    assert np.array_equal(moved, shapely.get_coordinates(ref.to_numpy()))
    assert ids[0] == ids[2] == ids[4] and len(set(ids.tolist())) == 3
    # the same cell corner one bit apart: transformed apart, as to_crs does
    off = corners.copy()
    off[2, 0] = np.nextafter(x, np.inf)
    moved, ids = _to_4326(off, net.crs, cell)
    ref = gpd.GeoSeries(shapely.points(off), crs=net.crs).to_crs("EPSG:4326")
    assert np.array_equal(moved, shapely.get_coordinates(ref.to_numpy()))
    assert ids[0] != ids[2]


def _gdal_parts(ij: np.ndarray, cell: float) -> list[bytes]:
    """Return GDAL polygonize's parts of cells ``ij`` over their whole raster, as sorted WKB."""
    from rasterio.features import shapes
    from rasterio.transform import from_origin

    lo, hi = ij.min(axis=0), ij.max(axis=0)
    mask = np.zeros((hi[1] - lo[1] + 1, hi[0] - lo[0] + 1), dtype=np.uint8)
    mask[hi[1] - ij[:, 1], ij[:, 0] - lo[0]] = 1
    tr = from_origin(lo[0] * cell, (hi[1] + 1) * cell, cell, cell)
    return sorted(
        shapely.to_wkb(
            [shapely.geometry.shape(g) for g, _ in shapes(mask, mask=mask == 1, transform=tr)]
        )
    )


@pytest.mark.parametrize("pack", [None, 60])
def test_shapes_shared_by_layers_are_traced_once_and_each_layer_equals_gdal(monkeypatch, pack):
    """The same region shapes in several layers, at other places and origins: traced once.

    Every layer's parts are GDAL's own trace of that layer alone, to the bit, at an odd
    cell size (the layers' origins differ, so their arithmetic does too); also when the
    shapes are packed into many small rasters (``pack`` pixels each: bounded memory).
    """
    import infra_geo.uncovered as unc

    batches: list[int] = []
    if pack is not None:
        monkeypatch.setattr(unc, "_PACK_PIXELS", pack)
        real_batch = unc._trace_batch
        monkeypatch.setattr(
            unc, "_trace_batch", lambda keys: batches.append(len(keys)) or real_batch(keys)
        )

    rng = np.random.default_rng(5)
    mask = rng.random((30, 40)) < 0.55
    rows, cols = np.nonzero(mask)
    base = np.column_stack([cols - 300, 80 - rows])
    extra = np.column_stack([rng.integers(-400, -350, 60), rng.integers(0, 40, 60)])
    shift = np.array([[7, -3], [-51, 19]])
    layers = [base, base + shift[0], np.vstack([base + shift[1], extra]), None, base[:200]]
    seen = []
    real = unc._trace_shapes
    monkeypatch.setattr(unc, "_trace_shapes", lambda keys: seen.append(len(keys)) or real(keys))
    cell = 37.3
    plans = unc._plans(layers, cell)
    assert plans[3] is None and len(seen) == 1
    traced_regions = 0
    for ij, plan in zip(layers, plans, strict=True):
        if ij is None:
            continue
        got = plan[2](plan[0], None)
        parts = shapely.get_parts(got)
        assert sorted(shapely.to_wkb(parts)) == _gdal_parts(np.unique(ij, axis=0), cell)
        traced_regions += int((shapely.get_num_coordinates(parts) != 5).sum())
    assert seen[0] < traced_regions / 2  # most shapes are shared by the layers
    assert pack is None or (len(batches) > 5 and sum(batches) == seen[0])
