"""Named types for public parameters: what an argument may be, said once.

These are aliases for readers and type checkers; the runtime checks live in ``_validate``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import pandas as pd
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

#: Facilities to remove in a scenario: ``facility_id`` values (``"node/123"``; a bare OSM number
#: matches when it names one facility) or a boolean mask over the facility rows.
FacilityIdsLike: TypeAlias = "str | int | Iterable[str | int] | pd.Series | np.ndarray | None"

__all__ = ["CRSLike", "FacilityIdsLike", "PathLike", "PolygonLike", "RulesLike"]
