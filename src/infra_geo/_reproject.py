"""Moving geometries to EPSG:4326 as ``GeoDataFrame.to_crs`` does, each distinct vertex once.

Nested catchments (5, 10, 15 minutes) share most of their boundary vertices: on Malta 278k
of 798k are distinct. PROJ transforms point by point, so transforming each distinct vertex
(the same bits) once and putting the results back gives the same coordinates, to the bit,
as transforming every vertex.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

__all__ = ["frame_to_4326", "points_to_4326"]

_WGS84 = CRS.from_user_input("EPSG:4326")


def frame_to_4326(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame.to_crs("EPSG:4326")``, computed with each distinct vertex moved once.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> sq = shapely.box(500_000, 5_000_000, 501_000, 5_001_000)
    >>> f = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[sq, sq.buffer(10)], crs=32631)
    >>> got = frame_to_4326(f)
    >>> bool(got.geometry.geom_equals_exact(f.to_crs(4326).geometry, tolerance=0).all())
    True
    """
    geoms = frame.geometry.to_numpy()
    if frame.crs is None or frame.crs.is_exact_same(_WGS84) or shapely.has_z(geoms).any():
        return frame.to_crs(_WGS84)  # nothing to gain, or not plain 2-D: the library's own way
    pts, code = distinct_points(shapely.get_coordinates(geoms))
    moved = shapely.set_coordinates(geoms.copy(), points_to_4326(pts, frame.crs)[code])
    out = frame.copy()  # as GeoDataFrame.to_crs does
    out.geometry = gpd.GeoSeries(moved, index=frame.index, crs=_WGS84)
    return out


def distinct_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct 2-D points of ``xy`` (by their bits, first occurrences) and each point's.

    ``distinct[index] == xy`` to the bit; if two different points share a hash, every point
    is its own (the answer stays exact, only the saving is lost).

    Examples
    --------
    >>> import numpy as np
    >>> pts, idx = distinct_points(np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]]))
    >>> pts.tolist(), idx.tolist()
    ([[1.0, 2.0], [3.0, 4.0]], [0, 1, 0])
    """
    bits = xy.view(np.uint64)
    code, uniq = pd.factorize(
        (bits[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ bits[:, 1]).view(np.int64)
    )
    first = np.empty(len(uniq), dtype=np.int64)
    first[code[::-1]] = np.arange(len(code) - 1, -1, -1)
    pts = xy[first]
    if not np.array_equal(pts[code].view(np.int64), xy.view(np.int64)):
        return xy, np.arange(len(xy))  # two points shared a hash: every point its own
    return pts, code


def points_to_4326(xy: np.ndarray, crs: Any) -> np.ndarray:
    """Return the 2-D points ``xy`` (in ``crs``) moved to EPSG:4326 as ``to_crs`` moves them.

    Examples
    --------
    >>> import numpy as np
    >>> points_to_4326(np.array([[500_000.0, 0.0]]), "EPSG:32631").round(9).tolist()
    [[3.0, 0.0]]
    """
    crs = CRS.from_user_input(crs)
    if crs.is_exact_same(_WGS84):
        return np.array(xy, dtype=float)
    mx, my = _transformer(crs).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([mx, my])


@lru_cache(maxsize=8)
def _transformer(crs: CRS) -> Transformer:
    """Return the transformer geopandas' ``to_crs`` uses from ``crs`` to EPSG:4326."""
    return Transformer.from_crs(crs, _WGS84, always_xy=True)
