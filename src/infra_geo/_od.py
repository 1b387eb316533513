"""Walking origin-destination plumbing shared by capacity measures and siting.

Owns the bounded walking searches from facilities to resident points and the input checks
that :mod:`infra_geo.capacity` and :mod:`infra_geo.siting` share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from ._access import Attachments, augmented
from ._groups import resolve_groups
from .errors import CRSError, EmptyDataError, InputError, PopulationError
from .network import WalkNetwork


@dataclass(frozen=True)
class WalkingOD:
    """Walking metres from sources (facilities, candidate sites) to points within a cutoff.

    A sparse origin-destination list: one entry per (source, point) pair whose walking
    distance is at most ``cutoff_m``; every other pair is farther (or unreachable).

    Attributes
    ----------
    source, point : ndarray of int
        Source row and point row per entry (positions, not labels).
    metres : ndarray of float
        Walking metres per entry.
    n_sources, n_points : int
    cutoff_m : float
    """

    source: np.ndarray
    point: np.ndarray
    metres: np.ndarray
    n_sources: int
    n_points: int
    cutoff_m: float

    def matrix(self) -> sparse.csr_matrix:
        """Return the sources x points CSR of metres (a zero distance is stored as the smallest float)."""
        d = np.where(self.metres > 0, self.metres, np.finfo(float).tiny)
        return sparse.csr_matrix(
            (d, (self.source, self.point)), shape=(self.n_sources, self.n_points)
        )

    def within(self, metres: float) -> WalkingOD:
        """Return the entries at most ``metres`` apart (a smaller cutoff of the same searches)."""
        lim = float(metres)
        if lim > self.cutoff_m:
            raise ValueError(f"within({lim}) exceeds the searches' cutoff {self.cutoff_m}")
        keep = self.metres <= lim
        return WalkingOD(
            self.source[keep],
            self.point[keep],
            self.metres[keep],
            self.n_sources,
            self.n_points,
            lim,
        )

    def covers(self, metres: float | None = None) -> sparse.csc_matrix:
        """Points x sources boolean CSC: walking distance <= ``metres`` (default the cutoff)."""
        lim = self.cutoff_m if metres is None else float(metres)
        keep = self.metres <= lim
        return sparse.csc_matrix(
            (np.ones(int(keep.sum()), bool), (self.point[keep], self.source[keep])),
            shape=(self.n_points, self.n_sources),
        )


def _source_graph(
    net: WalkNetwork, src: np.ndarray, edge: np.ndarray, offset: np.ndarray, n_src: int
) -> sparse.csr_matrix:
    """Return the network plus one virtual node per source, with arcs out of it only.

    The access engine's graph (``_access.augmented``) for any access points: facilities'
    or candidate sites'.
    """
    att = Attachments(
        facility=np.asarray(src, dtype=np.int64),
        edge=np.asarray(edge, dtype=np.int64),
        offset=np.asarray(offset, dtype=np.float64),
        kind=np.full(len(src), "point", dtype=object),
        snapped=np.isin(np.arange(n_src), src),
        facility_ids=np.arange(n_src),
        members=np.zeros((n_src, 0), dtype=bool),
        components=(),
    )
    return augmented(net, att)


def _od_from_attachments(  # noqa: PLR0913 - the OD builder's arrays, passed through from walking_od
    net: WalkNetwork,
    src: np.ndarray,
    edge: np.ndarray,
    offset: np.ndarray,
    n_src: int,
    p_edge: np.ndarray,
    p_offset: np.ndarray,
    cutoff: float,
    chunk: int | None = None,
) -> WalkingOD:
    """Bounded searches from every source; points given by their (edge, offset), -1: none."""
    n = net.n_nodes
    n_pts = len(p_edge)
    ok = np.flatnonzero(p_edge >= 0)
    pe, pa = p_edge[ok], p_offset[ok]
    pu, pv, plen = net.edge_u[pe], net.edge_v[pe], net.edge_length[pe]
    parts_s, parts_p, parts_d = [], [], []
    have = np.unique(src)
    if len(have) and len(ok):
        g = _source_graph(net, src, edge, offset, n_src)
        if chunk is None:  # keep each dense block near 2e7 floats
            chunk = max(1, int(2e7 // (n + n_src + len(ok))))
        for lo in range(0, len(have), chunk):
            ids = have[lo : lo + chunk]
            dist = dijkstra(g, directed=True, indices=ids + n, limit=cutoff)
            d = np.minimum(dist[:, pu] + pa, dist[:, pv] + (plen - pa))
            r, c = np.nonzero(d <= cutoff)
            parts_s.append(ids[r])
            parts_p.append(ok[c])
            parts_d.append(d[r, c])
        # sources on the same edge as a point: the direct walk along the edge
        order = np.argsort(edge, kind="stable")
        se, sa, ss = edge[order], offset[order], src[order]
        lo_i = np.searchsorted(se, pe, "left")
        hi_i = np.searchsorted(se, pe, "right")
        cnt = hi_i - lo_i
        if cnt.any():
            p_rep = np.repeat(np.arange(len(ok)), cnt)
            a_idx = np.repeat(lo_i - np.r_[0, np.cumsum(cnt)[:-1]], cnt) + np.arange(cnt.sum())
            direct = np.abs(sa[a_idx] - pa[p_rep])
            near = direct <= cutoff
            parts_s.append(ss[a_idx][near])
            parts_p.append(ok[p_rep][near])
            parts_d.append(direct[near])
    if parts_s:
        s_all = np.concatenate(parts_s).astype(np.int64)
        p_all = np.concatenate(parts_p).astype(np.int64)
        d_all = np.concatenate(parts_d).astype(np.float64)
        order = np.lexsort((d_all, p_all, s_all))
        s_all, p_all, d_all = s_all[order], p_all[order], d_all[order]
        first = np.r_[True, (s_all[1:] != s_all[:-1]) | (p_all[1:] != p_all[:-1])]
        s_all, p_all, d_all = s_all[first], p_all[first], d_all[first]
    else:
        s_all = p_all = np.zeros(0, np.int64)
        d_all = np.zeros(0)
    return WalkingOD(s_all, p_all, d_all, int(n_src), int(n_pts), float(cutoff))


def _check_net(net: Any) -> WalkNetwork:
    if not isinstance(net, WalkNetwork):
        raise InputError(
            f"net must be a WalkNetwork (from ig.walk_network_from_file), not {type(net).__name__}."
        )
    return net


def _points_geoseries(points: Any, what: str) -> gpd.GeoSeries:
    if isinstance(points, gpd.GeoDataFrame):
        points = points.geometry
    if not isinstance(points, gpd.GeoSeries):
        raise InputError(f"{what} must be a GeoSeries or GeoDataFrame of points with a CRS.")
    if points.crs is None:
        raise CRSError(f"{what} have no CRS; set it with .set_crs(...).")
    return points


def _positive(x: Any, what: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a positive number, not {x!r}.") from None
    if not np.isfinite(v) or v <= 0:
        raise InputError(f"{what} must be a positive finite number, not {x!r}.")
    return v


def _population(population: Any) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    if not isinstance(population, gpd.GeoDataFrame):
        raise InputError(
            "population must be a GeoDataFrame of points with a 'population' column "
            "(ig.population_from_buildings / population_from_raster)."
        )
    if "population" not in population.columns:
        raise InputError("population has no 'population' column of residents per point.")
    if population.crs is None:
        raise CRSError("population has no CRS; set it with .set_crs(...).")
    pop = pd.to_numeric(population["population"], errors="coerce").to_numpy(dtype=float)
    if (~np.isfinite(pop)).any() or (pop < 0).any():
        raise PopulationError(
            "population must be a finite number >= 0 at every point (missing, negative or "
            "infinite values found)."
        )
    return population, pop


def _group_facilities(
    facilities: Any, component: Any, by: Any, rules: Any, *, allow_empty: bool = False
) -> gpd.GeoDataFrame:
    if component is None or not isinstance(component, str):
        raise InputError("component must be one group key (e.g. 'care'); run one call per group.")
    grp = resolve_groups(facilities, component, by=by, rules=rules)
    j = grp.keys.index(component)
    fac = grp.facilities.loc[grp.members[:, j]]
    if fac.empty and not allow_empty:
        raise EmptyDataError(
            f"no facilities in group {component!r}: nothing to divide over the residents."
        )
    return fac


# ------------------------------------------------------------------ the result form


@dataclass(frozen=True)
class ResultInputs:
    """What the result form of ``capacity_access`` / ``suggest_sites`` takes from an Analysis.

    Attributes
    ----------
    net : WalkNetwork
    facilities : GeoDataFrame
        The group's facilities (rows of the result's access engine, in its order).
    src, edge, offset : ndarray
        The engine's access points of those facilities (``src``: row in ``facilities``).
    points : GeoDataFrame
        The residents as the gap table placed them (network CRS; ``population``, ``unit_id``),
        only points with residents.
    weights : ndarray
        ``points["population"]``.
    snap : Snap
        ``points`` on the network.
    nearest_m : ndarray
        Walking metres from each point to the nearest facility of the group, from the
        engine's node distances (computed once by the analysis).
    speed_kmh : float
    extent : polygon (EPSG:4326) or None
    component : str
    """

    net: WalkNetwork
    facilities: gpd.GeoDataFrame
    src: np.ndarray
    edge: np.ndarray
    offset: np.ndarray
    points: gpd.GeoDataFrame
    weights: np.ndarray
    snap: Any
    nearest_m: np.ndarray
    speed_kmh: float
    extent: Any
    component: str


def result_form(
    first: Any, facilities: Any, population: Any, component: Any, what: str, **explicit: Any
) -> tuple[Any, str] | None:
    """Return ``(result, component)`` when ``first`` is an :class:`~infra_geo.Analysis`, else None.

    The result form is ``what(result, component, ...)``: the component is the second argument
    (or ``component=``); population and the explicit-form options (``explicit``: by, rules,
    entrances...) come from the result and must not be passed.
    """
    from .analysis import Analysis

    if not isinstance(first, Analysis):
        return None
    if population is not None:
        raise InputError(
            f"{what}(result, component, ...) takes the residents from the result: pass no "
            "population (or call it with net, facilities, population, component)."
        )
    if facilities is not None and component is not None:
        raise InputError(
            f"{what}(result, component, ...): give the component once (second argument or "
            "component=), not a facilities frame: the facilities come from the result."
        )
    comp = facilities if component is None else component
    if not isinstance(comp, str):
        raise InputError(
            f"{what}(result, component, ...): component must be one group key such as 'care', "
            f"not {type(comp).__name__}."
        )
    given = sorted(k for k, v in explicit.items() if v is not None)
    if given:
        raise InputError(
            f"{what}(result, ...) uses the result's own {', '.join(given)}: do not pass "
            f"{', '.join(given)} (use the explicit form net, facilities, population for others)."
        )
    return first, comp


def result_inputs(res: Any, component: str, *, allow_empty: bool = False) -> ResultInputs:
    """Return an analysis's network, the group's access points and the placed residents.

    Also the residents' nearest-facility distances, all from the analysis's access engine (no
    new distance search).
    """
    from ._log import quiet
    from .gaps import gaps_and_residents

    if not isinstance(component, str):
        raise InputError(f"component must be one group key (e.g. 'care'), not {component!r}.")
    eng = res._engine()
    key = eng.check_keys(component)[0]
    rows = np.flatnonzero(eng.groups.members[:, eng.keys.index(key)])
    if len(rows) == 0 and not allow_empty:
        raise EmptyDataError(
            f"no facilities in group {key!r}: nothing to divide over the residents."
        )
    att = eng.attachments
    pos = np.full(len(att.facility_ids), -1, dtype=np.int64)
    pos[rows] = np.arange(len(rows))
    sel = pos[att.facility] >= 0
    if res.gaps.attrs.get("weighting") == "street-length":
        raise InputError(
            "this result has no residents (its shares are weighted by street length): give "
            "analyse() a population or neighbourhoods with totals to count residents."
        )
    with quiet():  # the analysis has reported the placement already
        _gaps, placed = gaps_and_residents(
            res.network,
            res.facilities,
            res.neighbourhoods,
            res.population,
            minutes=res.minutes,
            speed_kmh=res.speed_kmh,
            extent=res.extent,
            entrances=res.entrances,
            access=eng,
            component=key,
        )
    w = placed["population"].to_numpy(dtype=float)
    keep = w > 0
    pts = gpd.GeoDataFrame(
        {"population": w[keep], "unit_id": placed["unit_id"].to_numpy()[keep]},
        geometry=placed.geometry.to_numpy()[keep],
        crs=placed.crs,
    )
    return ResultInputs(
        net=res.network,
        facilities=eng.facilities.iloc[rows],
        src=pos[att.facility[sel]],
        edge=att.edge[sel],
        offset=att.offset[sel],
        points=pts,
        weights=w[keep],
        snap=res.network.snap(pts.geometry),
        nearest_m=placed[key].to_numpy(dtype=float)[keep],
        speed_kmh=float(res.speed_kmh),
        extent=res.extent,
        component=key,
    )
