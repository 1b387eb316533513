"""Named types for public parameters: what an argument may be, said once.

These are aliases for readers and type checkers; the runtime checks live in ``_validate``.
They are real objects at run time (not strings), so ``typing.get_type_hints`` resolves every
public signature (``tests/test_signatures.py`` relies on it, and so do documentation tools).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from affine import Affine
from scipy import sparse

from .components import Rules

#: A file path: ``str`` or any :class:`os.PathLike`.
PathLike: TypeAlias = str | os.PathLike[str]
#: Anything :class:`pyproj.CRS` accepts: ``"EPSG:28992"``, ``28992``, a CRS object, a WKT/PROJ dict.
CRSLike: TypeAlias = str | int | pyproj.CRS | Mapping[str, Any]
#: An area: a shapely (Multi)Polygon (EPSG:4326 unless ``polygon_crs=`` says otherwise) or a
#: GeoDataFrame/GeoSeries with a CRS (their union is used).
PolygonLike: TypeAlias = shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries
#: A component taxonomy: a TOML path, a bundled name (``"cbs_nabijheid"``), a dict or :class:`Rules`.
RulesLike: TypeAlias = str | os.PathLike[str] | Mapping[str, Any] | Rules | None
#: Where the data is complete: a polygon file (any CRS GDAL reads) or an area (``PolygonLike``).
ExtentLike: TypeAlias = PathLike | PolygonLike
#: Reporting units: a GeoDataFrame, a polygon file, ``"admin:LEVEL"`` or ``"hex:SIZE"``.
UnitsLike: TypeAlias = gpd.GeoDataFrame | PathLike
#: Residents: a GeoDataFrame of points (with a ``population`` column) or a GeoTIFF path.
PopulationLike: TypeAlias = gpd.GeoDataFrame | PathLike
#: Lon/lat or metric points: an ``(n, 2)`` array or a GeoSeries/GeoDataFrame of Points.
PointsLike: TypeAlias = np.ndarray | gpd.GeoSeries | gpd.GeoDataFrame
#: A bounding box ``(west, south, east, north)`` in EPSG:4326 degrees.
BBox: TypeAlias = tuple[float, float, float, float]
#: Numbers, one per row of something (array, list or Series).
FloatsLike: TypeAlias = Sequence[float] | np.ndarray | pd.Series
#: One value per facility: a column name, the values in row order, or keyed by ``facility_id``.
ValuesLike: TypeAlias = str | FloatsLike | Mapping[str, float]
#: A boolean (rows x columns) matrix: a numpy array or a scipy sparse matrix/array.
MatrixLike: TypeAlias = np.ndarray | sparse.spmatrix | sparse.sparray
#: An option of ``Analysis.with_capacity`` (``capacity``, ``method``, ``minutes``, ``zones``...).
CapacityOption: TypeAlias = ValuesLike | float | Mapping[float, float] | Iterable[float] | None
#: A CRS object (what ``net.crs`` is).
CRS: TypeAlias = pyproj.CRS
#: A raster: ``(array[band, row, col], affine transform, CRS)``.
RasterGrid: TypeAlias = tuple[np.ndarray, Affine, pyproj.CRS]
#: The coverage map (a :class:`folium.Map`).
Map: TypeAlias = folium.Map
#: A raster's affine transform (the ``affine`` package's, as rasterio uses).
Transform: TypeAlias = Affine


@runtime_checkable
class MILPSolver(Protocol):
    """A pulp solver object (``pulp.HiGHS(msg=False)``, ``pulp.PULP_CBC_CMD()``, ...)."""

    def actualSolve(self, lp: Any) -> Any:  # pulp's method name
        """Solve ``lp`` (pulp's solver interface)."""


class SuggestionsLike(Protocol):
    """What the map draws of :func:`infra_geo.suggest_sites`'s result (a ``SiteSuggestions``)."""

    sites: gpd.GeoDataFrame
    by_unit: pd.DataFrame


#: A MILP solver: ``"highs"``, ``"cbc"`` or a pulp solver object.
SolverLike: TypeAlias = str | MILPSolver

#: Facilities to remove in a scenario: ``facility_id`` values (``"node/123"``; a bare OSM number
#: matches when it names one facility) or a boolean mask over the facility rows.
FacilityIdsLike: TypeAlias = str | int | Iterable[str | int] | pd.Series | np.ndarray | None
#: An option of ``Analysis.scenario`` (``add``, ``remove``, ``name``, ``component``).
ScenarioOption: TypeAlias = gpd.GeoDataFrame | FacilityIdsLike

__all__ = [
    "CRS",
    "BBox",
    "CRSLike",
    "CapacityOption",
    "ExtentLike",
    "FacilityIdsLike",
    "FloatsLike",
    "MILPSolver",
    "Map",
    "MatrixLike",
    "PathLike",
    "PointsLike",
    "PolygonLike",
    "PopulationLike",
    "RasterGrid",
    "RulesLike",
    "ScenarioOption",
    "SolverLike",
    "SuggestionsLike",
    "Transform",
    "UnitsLike",
    "ValuesLike",
]
