"""Catchments moved to EPSG:4326 for ``catchments.gpkg``: the same bits as ``to_crs`` (issue 14).

``frame_to_4326`` transforms each distinct vertex once (nested catchments share most of
their boundaries); the reference is geopandas' own ``to_crs`` of the same frame, on real
catchments in a UTM zone (Liechtenstein) and in the Dutch RD New grid (Amsterdam-Centrum).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

import infra_geo as ig
from infra_geo._reproject import frame_to_4326


def _same(got: gpd.GeoDataFrame, ref: gpd.GeoDataFrame) -> None:
    assert got.crs == ref.crs and list(got.columns) == list(ref.columns)
    assert got.drop(columns="geometry").equals(ref.drop(columns="geometry"))
    assert (
        shapely.to_wkb(got.geometry.to_numpy()).tolist()
        == shapely.to_wkb(ref.geometry.to_numpy()).tolist()
    )


def test_catchments_to_4326_equal_to_crs_utm(li_net_fac):
    net, fac = li_net_fac
    cat = ig.catchments(net, fac, minutes=(5, 10, 15))
    xy = shapely.get_coordinates(cat.geometry.to_numpy())
    assert len(np.unique(xy, axis=0)) < 0.9 * len(xy)  # shared vertices: the case it serves
    _same(frame_to_4326(cat), cat.to_crs("EPSG:4326"))


def test_catchments_to_4326_equal_to_crs_rd_new(ams_osm_net_fac):
    net, fac = ams_osm_net_fac
    cat = ig.catchments(net, fac, minutes=(5, 10))
    assert cat.crs.to_epsg() == 28992
    _same(frame_to_4326(cat), cat.to_crs("EPSG:4326"))


def test_frame_to_4326_keeps_4326_and_3d_frames_to_geopandas():
    pts = gpd.GeoDataFrame(
        {"a": [1, 2]}, geometry=shapely.points([[5.0, 52.0], [5.1, 52.1]]), crs=4326
    )
    _same(frame_to_4326(pts), pts.to_crs(4326))
    z = gpd.GeoDataFrame(
        {"a": [1]}, geometry=[shapely.LineString([(0, 0, 1), (10, 10, 2)])], crs=28992
    )
    got = frame_to_4326(z)
    assert shapely.has_z(got.geometry.to_numpy()).all()
    _same(got, z.to_crs(4326))
