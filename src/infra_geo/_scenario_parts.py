"""The parts of a scenario that change only near the edited facilities, recomputed there.

Two facts keep a scenario local (see :mod:`infra_geo.scenarios`):

- **Counts.** ``{c}_n_{m}min`` of :func:`~infra_geo.nearest_facilities` counts, per node,
  the facilities of ``c`` within ``m`` minutes. Removing a facility subtracts its own
  indicator ``d_f(node) <= limit`` and adding one adds it, so one bounded search per edited
  facility updates the counts exactly (integers).
- **Catchments.** A catchment is the union of the street-front buffers of the network
  pieces reachable within the walking distance ``T``. A piece whose reach changes lies
  within ``T`` (as the crow flies) of an edited facility's access points, and its buffer
  within ``T + width``. So outside ``R`` = those points widened by ``T + width + margin``
  the catchment is the base run's, and inside ``R`` it is the catchment of the facilities
  that can reach into ``R`` at all: those with an access point within
  ``2 (T + width + margin)`` of the edited ones. The new catchment is
  ``(old - R) | (local & R)``: the same set as a full recomputation, up to floating-point
  noise along the border of ``R``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from .accessibility import catchments

if TYPE_CHECKING:
    import geopandas as gpd

    from ._access import Access

__all__ = ["MARGIN_M", "adjusted_counts", "local_catchments"]

#: metres added around the edited facilities' reach (room for the geometry's own rounding)
MARGIN_M = 100.0
#: a group recomputed whole when the local facilities are more than this share of it
LOCAL_SHARE = 0.5


def _rows_of(acc: Access, key: str, rows: np.ndarray) -> np.ndarray:
    """Return the rows among ``rows`` that are attached members of group ``key``."""
    att = acc.attachments
    j = acc.keys.index(key)
    return rows[att.members[rows, j] & att.snapped[rows]] if len(rows) else rows


def _within(acc: Access, rows: np.ndarray, lmax: float) -> np.ndarray:
    """Per edited facility row: metres from it to every node within ``lmax`` (else inf)."""
    n = acc.net.n_nodes
    if not len(rows):
        return np.zeros((0, n))
    acc.runs["bounded"] += 1  # the engine's own count of what it computed
    return dijkstra(acc.graph, directed=True, indices=rows + n, limit=lmax)[:, :n]


def adjusted_counts(
    base: pd.DataFrame,
    old: Access,
    new: Access,
    removed: np.ndarray,
    added: np.ndarray,
    keys: tuple[str, ...],
    limits: dict[float, float],
) -> dict[str, np.ndarray]:
    """Return ``{k}_n_{m}min`` of the edited set from the base counts.

    The base counts minus the removed facilities' indicators plus the added ones' (``removed``
    rows of ``old``, ``added`` rows of ``new``).
    """
    lmax = max(limits.values()) * (1 + 1e-12)
    out: dict[str, np.ndarray] = {}
    d_old = {k: _within(old, _rows_of(old, k, removed), lmax) for k in keys if k in old.keys}
    d_new = {k: _within(new, _rows_of(new, k, added), lmax) for k in keys}
    for k in keys:
        for m, limit in limits.items():
            col = f"{k}_n_{m}min"
            count = base[col].to_numpy(dtype=np.int64).copy()
            if k in d_old:
                count -= (d_old[k] <= limit).sum(axis=0)
            count += (d_new[k] <= limit).sum(axis=0)
            out[col] = count
    return out


def _access_xy(acc: Access, rows: np.ndarray) -> np.ndarray:
    """Coordinates (network CRS) of the access points of facility ``rows``."""
    att = acc.attachments
    sel = np.isin(att.facility, rows)
    pts = shapely.line_interpolate_point(acc.net.edge_geometry[att.edge[sel]], att.offset[sel])
    return shapely.get_coordinates(pts)


def local_catchments(  # noqa: PLR0913 - internal stage plumbing
    base: gpd.GeoDataFrame,
    old: Access,
    new: Access,
    removed: np.ndarray,
    added: np.ndarray,
    key: str,
    *,
    minutes: tuple[float, ...],
    speed_kmh: float,
    width: float,
    max_share: float = LOCAL_SHARE,
) -> list[Any] | None:
    """Return the catchment geometries of group ``key`` per walking time after the edit (base CRS).

    None when the facilities near the edit are more than ``max_share`` of the group: a
    local update would redo most of the work (then recompute the group whole).
    """
    mpm = speed_kmh * 1000.0 / 60.0
    reach = max(minutes) * mpm + width + MARGIN_M
    xy = np.vstack(
        [_access_xy(old, _rows_of(old, key, removed)), _access_xy(new, _rows_of(new, key, added))]
    )
    if not len(xy):  # nothing attached changed: the catchment is the base run's
        return list(base.loc[base["component"] == key].sort_values("minutes").geometry)
    j = new.keys.index(key)
    att = new.attachments
    members = np.flatnonzero(att.members[:, j] & att.snapped)
    ap = att.facility[np.isin(att.facility, members)]
    ap_xy = _access_xy(new, members)
    tree = shapely.STRtree(shapely.points(ap_xy))
    hit = tree.query(shapely.points(xy), predicate="dwithin", distance=2 * reach)[1]
    local = np.unique(ap[hit])
    if len(local) > max_share * max(len(members), 1):
        return None
    region = shapely.union_all(shapely.buffer(shapely.points(xy), reach, quad_segs=16))
    keep = np.zeros(len(new.facilities), dtype=bool)
    keep[local] = True
    sub = new.edited(remove=~keep)
    part = catchments(
        new.net,
        sub.facilities,
        minutes=minutes,
        speed_kmh=speed_kmh,
        buffer_m=width,
        component=[key],
        access=sub,
    ).to_crs(base.crs)
    rows = base.loc[base["component"] == key].sort_values("minutes")
    out = []
    for m, geom in zip(rows["minutes"], rows.geometry, strict=True):
        inside = part.loc[part["minutes"] == m].geometry.iloc[0]
        g = shapely.union(shapely.difference(geom, region), shapely.intersection(inside, region))
        out.append(g if g.is_valid else shapely.make_valid(g))
    return out
