"""Choosing a metric CRS for an area: RD New in the Netherlands, the local UTM zone elsewhere."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import shapely
from pyproj import CRS

from . import settings
from ._validate import to_crs

#: lon/lat box of the European Netherlands, where EPSG:28992 (RD New) is the national grid
NL_BOX = (3.2, 50.7, 7.3, 53.7)


def metric_crs_for(geom_4326: Any) -> CRS:
    """Return the projected CRS infra_geo uses for an area given in EPSG:4326.

    ``settings.metric_crs`` when set; EPSG:28992 (RD New) when the area's centre lies in the
    Netherlands; otherwise the UTM zone of the centre.
    """
    if settings.metric_crs is not None:
        crs = to_crs(settings.metric_crs, "settings.metric_crs")
        if not crs.is_projected:
            from .errors import CRSError

            raise CRSError(
                f"settings.metric_crs {settings.metric_crs!r} is not a projected CRS in metres; "
                "use e.g. 'EPSG:28992' or a UTM zone."
            )
        return crs
    if isinstance(geom_4326, (gpd.GeoSeries, gpd.GeoDataFrame)):
        geom_4326 = shapely.union_all(geom_4326.geometry.to_numpy())
    if in_netherlands(geom_4326):
        return CRS.from_epsg(28992)
    c = shapely.centroid(shapely.envelope(geom_4326))
    return gpd.GeoSeries([c], crs="EPSG:4326").estimate_utm_crs()


def in_netherlands(geom_4326: Any) -> bool:
    """Whether the centre of an area (EPSG:4326) lies in the Netherlands (:data:`NL_BOX`).

    The test that chooses RD New; also chooses the ``"nl"`` walk profile under ``"auto"``.
    """
    if isinstance(geom_4326, (gpd.GeoSeries, gpd.GeoDataFrame)):
        geom_4326 = shapely.union_all(geom_4326.geometry.to_numpy())
    c = shapely.centroid(shapely.envelope(geom_4326))
    w, s, e, n = NL_BOX
    return bool(w <= c.x <= e and s <= c.y <= n)
