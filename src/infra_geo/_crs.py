"""Choosing a metric CRS for an area: RD New in the Netherlands, the local UTM zone elsewhere."""

from __future__ import annotations

from functools import lru_cache
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
    return _utm_crs(float(c.x), float(c.y))


@lru_cache(maxsize=64)
def _utm_crs(lon: float, lat: float) -> CRS:
    """Return the WGS 84 UTM zone of a point, as geopandas' ``estimate_utm_crs`` gives it.

    That asks pyproj's database for the zones whose area of use holds the point (~0.08 s a
    call); inside a zone (not on a zone's edge meridian, not on the equator, between 80 S and
    84 N) there is exactly one: EPSG:326zz north, 327zz south, zz = 1 + (lon + 180) // 6.
    Anything else asks the database as before.
    """
    if -180 < lon < 180 and -80 < lat < 84 and lat != 0 and (lon + 180) % 6 != 0:
        zone = int((lon + 180) // 6) + 1
        return CRS.from_epsg((32600 if lat > 0 else 32700) + zone)
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").estimate_utm_crs()


def in_netherlands(geom_4326: Any) -> bool:
    """Whether the centre of an area (EPSG:4326) lies in the Netherlands (:data:`NL_BOX`).

    The test that chooses RD New; also chooses the ``"nl"`` walk profile under ``"auto"``.
    """
    if isinstance(geom_4326, (gpd.GeoSeries, gpd.GeoDataFrame)):
        geom_4326 = shapely.union_all(geom_4326.geometry.to_numpy())
    c = shapely.centroid(shapely.envelope(geom_4326))
    w, s, e, n = NL_BOX
    return bool(w <= c.x <= e and s <= c.y <= n)
