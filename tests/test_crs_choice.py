"""The metric CRS outside the Netherlands: the UTM zone computed from the centre equals what
geopandas' ``estimate_utm_crs`` (pyproj's database of areas of use) gives, which it replaces
because each database query took ~0.08 s of every read and analysis."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from infra_geo._crs import _utm_crs, metric_crs_for


def _reference(lon: float, lat: float):
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").estimate_utm_crs()


def test_utm_zone_equals_the_pyproj_database_on_random_points():
    rng = np.random.default_rng(14)
    pts = np.column_stack([rng.uniform(-179.9, 179.9, 40), rng.uniform(-79.9, 83.9, 40)])
    for lon, lat in pts:
        got, ref = _utm_crs(float(lon), float(lat)), _reference(lon, lat)
        assert got == ref and got.to_epsg() == ref.to_epsg(), (lon, lat)


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (14.45, 35.9, 32633),  # Malta
        (9.55, 47.15, 32632),  # Liechtenstein
        (8.69, 49.41, 32632),  # Heidelberg
        (5.3, 60.4, 32631),  # Bergen: the database keeps the plain 6-degree bands
        (-70.6, -33.4, 32719),  # Santiago, southern hemisphere
    ],
)
def test_utm_zone_of_known_places(lon, lat, epsg):
    assert _utm_crs(lon, lat).to_epsg() == epsg == _reference(lon, lat).to_epsg()


@pytest.mark.parametrize(("lon", "lat"), [(12.0, 45.0), (-3.0, 0.0), (20.0, 85.0)])
def test_zone_edges_ask_the_database(lon, lat):
    if lat > 84:
        with pytest.raises(RuntimeError):
            _reference(lon, lat)
        with pytest.raises(RuntimeError):
            _utm_crs(lon, lat)
    else:
        assert _utm_crs(lon, lat) == _reference(lon, lat)


def test_metric_crs_for_an_area_outside_the_netherlands():
    box = shapely.box(14.18, 35.8, 14.58, 36.08)  # Malta
    assert metric_crs_for(box).to_epsg() == 32633
