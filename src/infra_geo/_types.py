"""Named types for public parameters: what an argument may be, said once.

These are aliases for readers and type checkers; the runtime checks live in ``_validate``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj
    import shapely

    from .components import Rules

#: A file path: ``str`` or any :class:`os.PathLike`.
PathLike: TypeAlias = "str | os.PathLike[str]"
#: Anything :class:`pyproj.CRS` accepts: ``"EPSG:28992"``, ``28992``, a CRS object, a WKT/PROJ dict.
CRSLike: TypeAlias = "str | int | pyproj.CRS | Mapping[str, Any]"
#: An area: a shapely (Multi)Polygon (EPSG:4326 unless ``polygon_crs=`` says otherwise) or a
#: GeoDataFrame/GeoSeries with a CRS (their union is used).
PolygonLike: TypeAlias = "shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries"
#: A component taxonomy: a TOML path, a bundled name (``"cbs_nabijheid"``), a dict or :class:`Rules`.
RulesLike: TypeAlias = "str | os.PathLike[str] | Mapping[str, Any] | Rules | None"

__all__ = ["CRSLike", "PathLike", "PolygonLike", "RulesLike"]
