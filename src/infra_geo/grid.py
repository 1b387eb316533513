"""Regular hexagon grids: the neighbourhood units when no boundaries exist.

Owns :func:`hex_grid` (flat-topped hexagons of a given side covering an area, clipped to it,
the same table layout as every neighbourhoods table) and :func:`check_lonlat`, the check that
lon/lat bounds are degrees and not RD New metres in disguise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._crs import metric_crs_for
from ._deprecate import positional_deprecated, renamed_keyword
from ._log import log
from ._types import CRSLike, PolygonLike
from ._units import _clean_polygons
from ._validate import WGS84, as_polygon, positive
from .errors import (
    CRSError,
    EmptyDataError,
    InputError,
)

__all__ = ["MAX_HEX_CELLS", "check_lonlat", "hex_grid"]

#: a hex grid may not have more cells than this (memory and time stay reasonable)
MAX_HEX_CELLS = 2_000_000

#: up to this many lattice cells, hex_grid picks candidate cells by their centres' distance
#: to the area; above, by a buffer of the area (see hex_grid)
_DWITHIN_MAX_CELLS = 50_000


#: RD New (EPSG:28992) coordinates of the Netherlands, in metres
RD_X_RANGE = (0.0, 300_000.0)
RD_Y_RANGE = (289_000.0, 629_000.0)


def check_lonlat(bounds: Sequence[float] | np.ndarray, name: str) -> None:
    """Raise :class:`CRSError` when lon/lat ``bounds`` are out of range, naming the likely cause.

    Coordinates in the RD New ranges (x 0-300,000, y 289,000-629,000 m) are RD New metres
    labelled as degrees; other out-of-range values are metres of some projected CRS.
    """
    w, s, e, n = (float(v) for v in bounds)
    if not all(np.isfinite([w, s, e, n])):
        raise CRSError(f"{name} has non-finite coordinates; repair its geometries.")
    if -180 <= w and e <= 180 and -90 <= s and n <= 90:
        return
    if RD_X_RANGE[0] <= w and e <= RD_X_RANGE[1] and RD_Y_RANGE[0] <= s and n <= RD_Y_RANGE[1]:
        raise CRSError(
            f"{name} has coordinates x {w:,.0f}-{e:,.0f}, y {s:,.0f}-{n:,.0f}: these are Dutch "
            "RD New (EPSG:28992) metres, but the file says they are longitude/latitude "
            "degrees. Set the right CRS, e.g. gpd.read_file(path).set_crs('EPSG:28992', "
            "allow_override=True).to_file('fixed.gpkg')."
        )
    raise CRSError(
        f"{name} has coordinates ({w:,.0f}, {s:,.0f}, {e:,.0f}, {n:,.0f}) outside the "
        "longitude/latitude range its CRS claims: they look like metres of a projected CRS. "
        "Set the file's real CRS (e.g. EPSG:28992 for Dutch RD coordinates)."
    )


@positional_deprecated(2, ("polygon_crs",))
@renamed_keyword("crs", "polygon_crs")
def hex_grid(
    area: PolygonLike, size_m: float, *, polygon_crs: CRSLike | None = None
) -> gpd.GeoDataFrame:
    """Regular flat-topped hexagons covering an area, clipped to it.

    ``size_m`` is the hexagon's side length, which equals its circumradius (centre to
    corner). The distance between opposite edges is ``sqrt(3) * size_m`` and a full cell's
    area is ``3 * sqrt(3) / 2 * size_m**2`` (``size_m=100`` gives 25,981 m², about 2.6 ha).
    The grid is laid out in a metric CRS (RD New in the Netherlands, else the local UTM zone,
    or ``infra_geo.settings.metric_crs``) from the south-west corner of the area's bounds:
    columns are ``1.5 * size_m`` apart, rows ``sqrt(3) * size_m``, odd columns shifted half a
    row north.

    Parameters
    ----------
    area : shapely (Multi)Polygon, GeoDataFrame or GeoSeries
        The area to cover (EPSG:4326 unless ``polygon_crs`` or the frame's CRS says otherwise).
    size_m : float
        Side length (= circumradius) of a hexagon in metres, > 0.
    polygon_crs : CRS-like, optional, keyword-only
        CRS of a bare shapely ``area`` (``crs=`` is its deprecated old name).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per cell that overlaps the area: ``unit_id`` and ``unit_name``
        (``"hex-<row>-<col>"``), ``population`` (``NaN``; fill it with a population source),
        ``hex_row``, ``hex_col``, ``clipped`` (True where the area's edge cuts the cell) and
        ``geometry``. ``attrs["metric_crs"]`` names the CRS the grid was laid out in.

    Raises
    ------
    InputError
        ``size_m`` is not a number > 0, or so small the grid would exceed 2 million cells.
    GeometryError, CRSError
        ``area`` is not a valid polygon, or its CRS is unknown.

    Examples
    --------
    >>> import shapely
    >>> import infra_geo as ig
    >>> cells = ig.hex_grid(shapely.box(9.50, 47.12, 9.54, 47.15), size_m=250)
    >>> len(cells), cells.crs.to_epsg()
    (77, 4326)
    """
    if isinstance(size_m, bool):
        raise InputError("size_m must be a number of metres > 0, got a bool.")
    r = positive(size_m, "size_m")
    poly = as_polygon(area, crs=polygon_crs, name="area")
    mcrs = metric_crs_for(poly)
    m = gpd.GeoSeries([poly], crs=WGS84).to_crs(mcrs).iloc[0]
    minx, miny, maxx, maxy = m.bounds
    dx, dy = 1.5 * r, math.sqrt(3.0) * r
    ncol = math.ceil((maxx - minx) / dx) + 2
    nrow = math.ceil((maxy - miny) / dy) + 2
    total = ncol * nrow
    if total > MAX_HEX_CELLS:
        hex_area = 1.5 * math.sqrt(3.0) * r * r
        suggest = math.sqrt(m.area / (MAX_HEX_CELLS / 4) / (1.5 * math.sqrt(3.0)))
        raise InputError(
            f"size_m={size_m!r} is too small for this area: the grid would have about "
            f"{total:,} cells (an area of {m.area / 1e6:,.1f} km² in cells of "
            f"{hex_area:,.0f} m²), more than {MAX_HEX_CELLS:,}. Use a larger size, e.g. "
            f"size_m={max(suggest, r * 2):,.0f}."
        )
    rows, cols = np.divmod(np.arange(total, dtype=np.int64), ncol)
    xc = minx + dx * cols
    yc = miny + dy * (rows + 0.5 * (cols % 2))
    # a cell overlaps the area only if its centre lies within r of it: an exact distance
    # test per centre for few cells (buffering a country by a large r takes GEOS ~0.5 s),
    # a point-in-buffer test for many (the buffer of a small r is cheap, the test per point
    # cheaper than a distance); the cells that do not overlap are dropped below either way
    shapely.prepare(m)
    if total <= _DWITHIN_MAX_CELLS:
        near = shapely.dwithin(m, shapely.points(xc, yc), r * 1.0001)
    else:
        reach = m.buffer(r * 1.0001)
        shapely.prepare(reach)
        near = shapely.intersects_xy(reach, xc, yc)
    rows, cols, xc, yc = rows[near], cols[near], xc[near], yc[near]
    ang = np.deg2rad(np.arange(0, 420, 60, dtype=np.float64))  # 7 corners, ring closed
    coords = np.stack(
        [xc[:, None] + r * np.cos(ang)[None, :], yc[:, None] + r * np.sin(ang)[None, :]],
        axis=-1,
    )
    cells = shapely.polygons(coords)
    full = shapely.covers(m, cells)
    geoms = cells.copy()
    edge = ~full & shapely.intersects(m, cells)
    geoms[edge] = shapely.intersection(cells[edge], m)
    geoms[~full & ~edge] = None
    geoms, keep, _ = _clean_polygons(geoms)
    if not keep.any():
        raise EmptyDataError("The hex grid does not overlap the area (is the area degenerate?).")
    geoms, rows, cols, full = geoms[keep], rows[keep], cols[keep], full[keep]
    ids = pd.Series(
        np.char.add(np.char.add(np.char.add("hex-", rows.astype(str)), "-"), cols.astype(str)),
        dtype="string",
    )
    out = gpd.GeoDataFrame(
        {
            "unit_id": ids,
            "unit_name": ids.copy(),
            "population": np.full(len(ids), np.nan),
            "hex_row": rows,
            "hex_col": cols,
            "clipped": ~full,
        },
        geometry=gpd.GeoSeries(geoms, crs=mcrs).to_crs(WGS84).values,
        crs=WGS84,
    )
    out.attrs["metric_crs"] = mcrs.to_string()
    out.attrs["size_m"] = r
    log(
        f"hex grid: {len(out)} cells of side {r:g} m ({int(full.sum())} whole, "
        f"{int((~full).sum())} clipped at the edge), laid out in {mcrs.name}."
    )
    return out
