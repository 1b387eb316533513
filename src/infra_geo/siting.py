"""Where to build next: maximal covering of residents on walking distances.

A candidate site *covers* a resident point when the walking distance between them is at
most ``minutes`` at the walking speed. Residents already within reach of an existing
facility of the group are covered; :func:`suggest_sites` picks ``k`` sites that reach the
most of the *others* (population-weighted), by

- a lazy greedy (Minoux's lazy evaluation of the marginal gains; the classic
  ``1 - 1/e`` guarantee of greedy maximisation of a monotone submodular function), fast
  for any size, or
- an exact maximal covering location problem (MCLP, Church & ReVelle 1974) solved through
  spopt with a MILP solver from PyPI (HiGHS via ``highspy`` or pulp's CBC), for small
  instances, reporting the greedy's gap to the optimum.

Candidates are the user's (e.g. municipal property) or, by default, network points on a
regular grid inside an extent polygon.
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from . import settings
from ._log import log
from ._od import (
    _check_net,
    _group_facilities,
    _od_from_attachments,
    _points_geoseries,
    _population,
    _positive,
    result_form,
    result_inputs,
)
from ._types import CRSLike, FloatsLike, MatrixLike, PolygonLike, RulesLike, SolverLike
from ._validate import as_polygon
from .accessibility import attach_facilities, metres_per_minute
from .analysis import Analysis
from .errors import EmptyDataError, GeometryError, InputError
from .network import WalkNetwork

__all__ = [
    "SiteSuggestions",
    "greedy_max_cover",
    "grid_candidates",
    "mclp_optimum",
    "suggest_sites",
]

#: the exact MCLP is refused above this many (candidate x distinct demand pattern) cells
EXACT_MAX_CELLS = 5_000_000


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be a whole number >= 1, not {k!r}.")
    return int(k)


def _coverage(coverage: Any, weights: Any) -> tuple[sparse.csc_matrix, np.ndarray]:
    if not sparse.issparse(coverage) and not isinstance(coverage, np.ndarray):
        raise InputError(
            "coverage must be a (demand points x candidates) boolean array or sparse matrix."
        )
    c = sparse.csc_matrix(coverage, dtype=bool)
    c.eliminate_zeros()
    w = np.asarray(weights, dtype=float).ravel()
    if len(w) != c.shape[0]:
        raise InputError(
            f"weights has {len(w)} values for {c.shape[0]} demand points (rows of coverage)."
        )
    if (~np.isfinite(w)).any() or (w < 0).any():
        raise InputError("weights must be finite and >= 0 (residents per demand point).")
    if c.shape[1] == 0:
        raise EmptyDataError("no candidate sites (coverage has no columns).")
    return c, w


def greedy_max_cover(
    coverage: MatrixLike, weights: FloatsLike, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lazy greedy maximal covering: ``k`` columns reaching the most weight.

    Parameters
    ----------
    coverage : (n_points, n_candidates) bool array or sparse matrix
    weights : (n_points,) array of float
        Residents per demand point (>= 0).
    k : int
        Number of sites (>= 1; fewer are returned when no candidate adds anything).

    Returns
    -------
    chosen : ndarray of int
        Candidate columns in the order picked (ties: the lowest column).
    gains : ndarray of float
        Weight newly covered by each pick.

    Examples
    --------
    >>> import numpy as np
    >>> cov = np.array([[1, 0], [1, 1], [0, 1]], bool)
    >>> greedy_max_cover(cov, [5.0, 1.0, 2.0], 1)
    (array([0]), array([6.]))
    """
    k = _check_k(k)
    c, w = _coverage(coverage, weights)
    covered = np.zeros(c.shape[0], dtype=bool)
    gain0 = np.asarray(c.T @ w).ravel()
    heap = [(-g, j) for j, g in enumerate(gain0) if g > 0]
    heapq.heapify(heap)
    fresh = np.full(c.shape[1], -1)  # the round a column's gain was last computed
    chosen: list[int] = []
    gains: list[float] = []
    rnd = 0
    while heap and len(chosen) < k:
        neg, j = heapq.heappop(heap)
        if fresh[j] == rnd or rnd == 0:
            if -neg <= 0:
                break
            rows = c.indices[c.indptr[j] : c.indptr[j + 1]]
            covered[rows] = True
            chosen.append(j)
            gains.append(-neg)
            rnd += 1
            continue
        rows = c.indices[c.indptr[j] : c.indptr[j + 1]]
        g = float(w[rows[~covered[rows]]].sum())
        fresh[j] = rnd
        if g > 0:
            heapq.heappush(heap, (-g, j))
    return np.asarray(chosen, dtype=np.int64), np.asarray(gains, dtype=float)


def _solver(solver: Any) -> Any:
    import pulp

    if solver is not None and not isinstance(solver, str):
        return solver
    name = solver or ("HiGHS" if "HiGHS" in pulp.listSolvers(onlyAvailable=True) else "CBC")
    if name.lower() == "highs":
        return pulp.HiGHS(msg=False, gapRel=0.0)
    if name.lower() == "cbc":
        return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0)
    raise InputError(f"solver must be 'highs', 'cbc' or a pulp solver, not {solver!r}.")


def mclp_optimum(
    coverage: MatrixLike, weights: FloatsLike, k: int, *, solver: SolverLike | None = None
) -> tuple[np.ndarray, float]:
    """Exact maximal covering (MCLP) through spopt on the same coverage matrix.

    Demand points with identical coverage are merged first (their weights summed) and
    points no candidate covers are dropped: the optimum is unchanged and the MILP is smaller.

    Parameters
    ----------
    coverage, weights, k
        As in :func:`greedy_max_cover`.
    solver : {"highs", "cbc"} or pulp solver, optional
        Default HiGHS (``highspy``; it prints a one-line banner) if installed, else pulp's
        bundled CBC (deprecated by pulp 3.3, to be removed in pulp 4). Relative gap 0.

    Returns
    -------
    chosen : ndarray of int
        The optimal candidate columns (sorted).
    covered : float
        The optimal covered weight.

    Examples
    --------
    >>> import numpy as np
    >>> cov = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]], bool)
    >>> mclp_optimum(cov, [5.0, 1.0, 2.0], 2)[1]
    8.0
    """
    k = _check_k(k)
    c, w = _coverage(coverage, weights)
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise InputError(
            "the exact MCLP needs spopt and a MILP solver: pip install spopt highspy"
        ) from e
    c = sparse.csr_matrix(c)
    keep = np.flatnonzero((np.diff(c.indptr) > 0) & (w > 0))
    if len(keep) == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    dense = c[keep].toarray()
    pat, inv = np.unique(dense, axis=0, return_inverse=True)
    pw = np.bincount(inv.ravel(), weights=w[keep], minlength=len(pat))
    cols = np.flatnonzero(pat.any(axis=0))
    pat = pat[:, cols]
    if pat.size > EXACT_MAX_CELLS:
        raise InputError(
            f"the exact MCLP would have {pat.shape[1]} candidates x {pat.shape[0]} demand "
            f"patterns (> {EXACT_MAX_CELLS:,} cells): use method='greedy' or fewer candidates."
        )
    kk = min(k, pat.shape[1])
    cost = np.where(pat, 0.0, 2.0)
    model = MCLP.from_cost_matrix(cost, pw, service_radius=1.0, p_facilities=kk)
    model.solve(_solver(solver), results=False)
    status = pulp.LpStatus[model.problem.status]
    if status != "Optimal":
        raise InputError(f"the MILP solver did not prove an optimum (status {status}).")
    x = np.array([v.value() for v in model.fac_vars], dtype=float) > 0.5
    chosen = np.sort(cols[np.flatnonzero(x)])
    covered = float(pw[pat[:, x].any(axis=1)].sum())
    return chosen.astype(np.int64), covered


def grid_candidates(
    net: WalkNetwork,
    extent: PolygonLike | None = None,
    *,
    spacing_m: float = 100.0,
    polygon_crs: CRSLike | None = None,
) -> gpd.GeoSeries:
    """Place candidate sites on a regular grid of network points.

    Each grid node inside ``extent`` is snapped to the nearest walkable edge within half the
    spacing, one per (edge, metre).

    Parameters
    ----------
    net : WalkNetwork
    extent : shapely Polygon or GeoSeries/GeoDataFrame, optional
        Where to place candidates, e.g. ``ig.data_extent(path)`` (default the convex hull of
        the network's nodes; grid points farther than half the spacing from a street are
        dropped anyway). A bare polygon is in ``polygon_crs``.
    spacing_m : float
        Grid spacing in metres (> 0).
    polygon_crs : CRS-like, optional
        The CRS of a bare ``extent`` polygon (default EPSG:4326, as everywhere in infra_geo).

    Returns
    -------
    GeoSeries of Points
        On the network, in the network CRS.

    Examples
    --------
    >>> import infra_geo as ig
    >>> path = ig.sample_path()
    >>> net = ig.walk_network_from_file(path)
    >>> cands = grid_candidates(net, ig.data_extent(path), spacing_m=150)
    >>> bool(len(cands) > 0 and cands.crs == net.crs)
    True
    """
    _check_net(net)
    spacing = _positive(spacing_m, "spacing_m")
    if extent is None:
        poly = shapely.convex_hull(shapely.multipoints(net.node_xy))
    else:
        ll = as_polygon(extent, crs=polygon_crs, name="extent")
        poly = gpd.GeoSeries([ll], crs="EPSG:4326").to_crs(net.crs).iloc[0]
    if not isinstance(poly, shapely.Geometry) or poly.is_empty or poly.area <= 0:
        raise GeometryError("extent must be a non-empty polygon.")
    x0, y0, x1, y1 = poly.bounds
    xs = np.arange(x0 + spacing / 2, x1, spacing)
    ys = np.arange(y0 + spacing / 2, y1, spacing)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    inside = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
    xy = xy[inside]
    if len(xy) == 0:
        raise EmptyDataError(
            f"no grid point of {spacing:.0f} m lies inside the extent: use a smaller spacing."
        )
    s = net.snap(shapely.points(xy), tolerance=spacing / 2)
    e, a = s.edge[s.ok], s.offset[s.ok]
    _, first = np.unique(np.column_stack([e, np.round(a)]), axis=0, return_index=True)
    first = np.sort(first)
    pts = shapely.line_interpolate_point(net.edge_geometry[e[first]], a[first])
    return gpd.GeoSeries(pts, crs=net.crs)


@dataclass
class SiteSuggestions:
    """Suggested sites and the residents each newly reaches.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per suggestion in pick order: ``rank``, ``candidate`` (row of the
        candidates), ``newly_reached`` (residents), ``cumulative``, ``units_helped`` (units
        with newly reached residents), ``units`` (text: "name: residents; ...", most first),
        geometry (network CRS).
    by_unit : DataFrame
        ``rank``, ``unit_id``, ``unit_name``, ``newly_reached``: residents each suggestion
        newly reaches per unit (only when the population has ``unit_id``; names from the
        result's gap table or the population's ``unit_name``, else the id).
    residents, already_reached, not_reached : float
        All residents, those within reach of an existing facility, the rest.
    method : str
    optimum : float or None
        Exact MCLP optimum (``method="exact"`` or ``"both"``).
    gap : float or None
        ``1 - greedy / optimum`` (``"both"``), 0 for the exact method.
    cutoff_m : float
    candidates : GeoSeries
    coverage : scipy.sparse.csc_matrix
        The (demand points x usable candidates) matrix optimised: demand points are the
        residents not yet reached (rows of ``demand``), columns the candidates in
        ``candidate_rows``.
    weights : ndarray
        Residents per demand point.
    demand : ndarray of int
        Row positions of the demand points in the population.
    candidate_rows : ndarray of int
        Row positions of the usable (on-network) candidates.
    component : str or None
    minutes : float
        The walking time that counts as within reach.
    """

    sites: gpd.GeoDataFrame
    by_unit: pd.DataFrame
    residents: float
    already_reached: float
    not_reached: float
    method: str
    optimum: float | None
    gap: float | None
    cutoff_m: float
    candidates: gpd.GeoSeries | None = field(repr=False, default=None)
    coverage: sparse.csc_matrix | None = field(repr=False, default=None)
    weights: np.ndarray | None = field(repr=False, default=None)
    demand: np.ndarray | None = field(repr=False, default=None)
    candidate_rows: np.ndarray | None = field(repr=False, default=None)
    component: str | None = None
    minutes: float | None = None


def suggest_sites(  # noqa: PLR0913 - public entry point: data args + keyword options
    net: WalkNetwork | Analysis,
    facilities: gpd.GeoDataFrame | str | None = None,
    population: gpd.GeoDataFrame | None = None,
    component: str | None = None,
    *,
    k: int = 3,
    minutes: float = 10.0,
    candidates: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    extent: PolygonLike | None = None,
    spacing_m: float = 100.0,
    method: str = "greedy",
    solver: SolverLike | None = None,
    speed_kmh: float | None = None,
    entrances: gpd.GeoSeries | None = None,
    by: str | None = None,
    rules: RulesLike = None,
    polygon_crs: CRSLike | None = None,
) -> SiteSuggestions:
    """Sites that bring the most residents within ``minutes`` of a facility of the group.

    Two forms, as :func:`infra_geo.capacity_access`: ``suggest_sites(res, "sports", ...)``
    with an :class:`~infra_geo.Analysis` (network, facilities, residents as the gap table
    placed them, walking speed and data extent from the result; who is already within reach
    comes from the distances the analysis computed, so no facility search runs again), or
    ``suggest_sites(net, facilities, population, "sports", ...)``. Same residents, same
    numbers (tested).

    Parameters
    ----------
    net : WalkNetwork or Analysis
        The network, or a result of :func:`infra_geo.analyse` (then the second argument is
        the component).
    facilities : GeoDataFrame or None
        The existing facilities (classified); ``None`` or a group without facilities: there
        are none yet (every resident is demand).
    population : GeoDataFrame
        Points with ``population`` (``unit_id`` for the per-unit breakdown).
    component : str, optional
        The group key (required when ``facilities`` is given).
    k : int
        Number of sites (>= 1).
    minutes : float
        Walking minutes that count as within reach (> 0).
    candidates : GeoSeries or GeoDataFrame of points, optional
        Possible sites (any CRS); default :func:`grid_candidates` inside ``extent``.
    extent : shapely Polygon or GeoSeries/GeoDataFrame, optional
        Where default candidates are placed, e.g. ``ig.data_extent(path)`` (default the
        network's hull; the result's data extent in the result form); a bare polygon is in
        ``polygon_crs`` (default EPSG:4326).
    spacing_m : float
        Grid spacing of default candidates.
    method : {"greedy", "exact", "both"}
        Lazy greedy, spopt's exact MCLP, or both (the sites are the greedy's; ``optimum``
        and ``gap`` report the exact figure).
    solver : optional
        MILP solver for the exact method (see :func:`mclp_optimum`).
    speed_kmh : float, optional
        Walking speed (default ``settings.walk_speed_kmh``; the result's in the result form).
    entrances, by, rules : optional
        As in :func:`infra_geo.distance_to_nearest` (explicit form only).

    polygon_crs : CRS-like, optional
        The CRS of a bare ``extent`` polygon (default EPSG:4326).

    Returns
    -------
    SiteSuggestions

    Raises
    ------
    InputError
        Bad ``k``, ``minutes``, ``method``; candidates that are not points.
    EmptyDataError
        No candidate lies on the network.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import infra_geo as ig
    >>> path = ig.sample_path()
    >>> net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    >>> homes = net.nodes.geometry.iloc[::20].to_numpy()
    >>> pop = gpd.GeoDataFrame({"population": [2.0] * len(homes)}, geometry=homes, crs=net.crs)
    >>> s = ig.suggest_sites(net, fac, pop, "sports", k=3, minutes=5, extent=ig.data_extent(path))
    >>> list(s.sites.columns[:4])
    ['rank', 'candidate', 'newly_reached', 'cumulative']
    >>> res = ig.analyse(neighbourhoods="hex:250")
    >>> ig.suggest_sites(res, "sports", k=2, minutes=5, spacing_m=150).sites["rank"].tolist()
    [1, 2]
    """
    form = result_form(
        net,
        facilities,
        population,
        component,
        "suggest_sites",
        entrances=entrances,
        by=by,
        rules=rules,
    )
    k = _check_k(k)
    if method not in ("greedy", "exact", "both"):
        raise InputError(f"method must be 'greedy', 'exact' or 'both', not {method!r}.")
    if form is not None:
        res, component = form
        walk, pts, pop, ps, reached, cutoff, names, ext = _from_result(
            res, component, minutes, speed_kmh
        )
        if extent is None and candidates is None and ext is not None:
            extent, polygon_crs = ext, "EPSG:4326"
    else:
        group = (component, by, rules, entrances)
        walk, pts, pop, ps, reached, cutoff, names = _from_inputs(
            net, facilities, population, group, minutes, speed_kmh
        )
    if extent is not None:  # a GeoSeries with its CRS from here on
        ll = as_polygon(extent, crs=polygon_crs, name="extent")
        extent = gpd.GeoSeries([ll], crs="EPSG:4326")
    cand, cs, ci = _snapped_candidates(walk, candidates, extent, spacing_m)
    demand = np.flatnonzero(~reached & ps.ok & (pop > 0))
    cov = _coverage_matrix(walk, cs, ci, ps, demand, cutoff)
    w = pop[demand]
    chosen, gains, optimum, gap = _solve(cov, w, k, method, solver)
    bu = _newly_reached_per_unit(cov, chosen, pts, demand, w, names)
    sites = _sites_frame(cand, ci[chosen], gains, bu, walk.crs)
    total = float(pop.sum())
    before = float(pop[reached].sum())
    return SiteSuggestions(
        sites,
        bu,
        total,
        before,
        total - before,
        method,
        optimum,
        gap,
        cutoff,
        cand,
        cov,
        w,
        demand,
        ci,
        component,
        float(minutes),
    )


def _coverage_matrix(
    net: WalkNetwork, cs: Any, ci: np.ndarray, ps: Any, demand: np.ndarray, cutoff: float
) -> sparse.csc_matrix:
    """(demand points x usable candidates): walking distance from the site <= ``cutoff``."""
    cod = _od_from_attachments(
        net,
        np.arange(len(ci)),
        cs.edge[ci],
        cs.offset[ci],
        len(ci),
        ps.edge[demand],
        ps.offset[demand],
        cutoff,
    )
    return sparse.csc_matrix(
        (np.ones(len(cod.point), bool), (cod.point, cod.source)), shape=(len(demand), len(ci))
    )


def _from_result(res: Any, component: str, minutes: Any, speed_kmh: Any) -> tuple:
    """Return the result form's network, placed residents, snaps, reach, cutoff, names, extent."""
    ri = result_inputs(res, component, allow_empty=True)
    mpm = metres_per_minute(ri.speed_kmh if speed_kmh is None else speed_kmh)
    cutoff = _positive(minutes, "minutes") * mpm
    names = dict(zip(res.gaps["unit_id"].astype(str), res.gaps["unit_name"], strict=True))
    reached = ri.nearest_m <= cutoff
    return ri.net, ri.points, ri.weights, ri.snap, reached, cutoff, names, ri.extent


def _from_inputs(
    net: Any, facilities: Any, population: Any, group: tuple, minutes: Any, speed_kmh: Any
) -> tuple:
    """Return the explicit form's network, residents, snaps, reach (searched), cutoff, names."""
    walk = _check_net(net)
    mpm = metres_per_minute(settings.walk_speed_kmh if speed_kmh is None else speed_kmh)
    cutoff = _positive(minutes, "minutes") * mpm
    pop_gdf, pop = _population(population)
    pts = pop_gdf.to_crs(walk.crs)
    ps = walk.snap(pts.geometry)
    reached = _already_reached(walk, facilities, group, ps, cutoff, len(pts))
    names = {}
    if "unit_name" in pts.columns and "unit_id" in pts.columns:
        names = dict(zip(pts["unit_id"].astype(str), pts["unit_name"], strict=True))
    return walk, pts, pop, ps, reached, cutoff, names


def _sites_frame(
    cand: gpd.GeoSeries, rows: np.ndarray, gains: np.ndarray, bu: pd.DataFrame, crs: Any
) -> gpd.GeoDataFrame:
    """Return the suggestions table: rank, candidate row, residents newly reached, units helped."""
    return gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(rows) + 1),
            "candidate": rows,
            "newly_reached": gains,
            "cumulative": np.cumsum(gains),
            **_breakdown(bu, len(rows)),
        },
        geometry=cand.to_numpy()[rows] if len(rows) else [],
        crs=crs,
    )


def _already_reached(
    net: WalkNetwork, facilities: Any, group: tuple, ps: Any, cutoff: float, n: int
) -> np.ndarray:
    """Which resident points already have a facility of the group within ``cutoff`` metres."""
    component, by, rules, entrances = group
    reached = np.zeros(n, dtype=bool)
    if facilities is None:
        return reached
    fac = _group_facilities(facilities, component, by, rules, allow_empty=True)
    if len(fac):
        att = attach_facilities(net, fac, entrances=entrances)
        od = _od_from_attachments(
            net, att.facility, att.edge, att.offset, len(fac), ps.edge, ps.offset, cutoff
        )
        reached[od.point] = True
    return reached


def _snapped_candidates(
    net: WalkNetwork, candidates: Any, extent: Any, spacing_m: float
) -> tuple[gpd.GeoSeries, Any, np.ndarray]:
    """Return the candidate sites (given, or a grid inside the extent) and those on the network."""
    if candidates is None:
        cand = grid_candidates(net, extent, spacing_m=spacing_m)
    else:
        cand = _points_geoseries(candidates, "candidates").to_crs(net.crs)
        if len(cand) == 0:
            raise EmptyDataError("candidates is empty: give at least one candidate site.")
        if (shapely.get_type_id(cand.to_numpy()) != 0).any():
            raise InputError("candidates must be points (use .representative_point()).")
    cs = net.snap(cand)
    if not cs.ok.any():
        raise EmptyDataError(
            f"none of the {len(cand)} candidates lies within {settings.snap_tolerance_m:.0f} m "
            "of a walkable street."
        )
    if (~cs.ok).any():
        log(
            f"{int((~cs.ok).sum())} of {len(cand)} candidates are off the network and ignored",
            logging.WARNING,
        )
    ci = np.flatnonzero(cs.ok)
    return cand, cs, ci


def _solve(
    cov: sparse.csc_matrix, w: np.ndarray, k: int, method: str, solver: SolverLike | None
) -> tuple[np.ndarray, np.ndarray, float | None, float | None]:
    """Chosen columns, their gains in order, the MCLP optimum and the greedy's gap to it."""
    optimum = gap = None
    if method in ("greedy", "both"):
        chosen, gains = greedy_max_cover(cov, w, k)
    if method in ("exact", "both"):
        opt_cols, optimum = mclp_optimum(cov, w, k, solver=solver)
        if method == "exact":
            chosen = _order_by_gain(cov, w, opt_cols)
            gains = _gains(cov, w, chosen)
            gap = 0.0
        else:
            gap = max(0.0, 1.0 - float(gains.sum()) / optimum) if optimum > 0 else 0.0
    return chosen, gains, optimum, gap


def _newly_reached_per_unit(
    cov: sparse.csc_matrix,
    chosen: np.ndarray,
    pts: gpd.GeoDataFrame,
    demand: np.ndarray,
    w: np.ndarray,
    names: dict,
) -> pd.DataFrame:
    """Count the residents newly reached by each pick per unit (``rank``... ``newly_reached``)."""
    csc = sparse.csc_matrix(cov)
    got = np.zeros(len(demand), dtype=bool)
    rows_rank, rows_pt = [], []
    for r, j in enumerate(chosen):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        new = rows[~got[rows]]
        got[new] = True
        rows_rank.append(np.full(len(new), r + 1))
        rows_pt.append(new)
    rank = np.concatenate(rows_rank) if rows_rank else np.zeros(0, int)
    ptr = np.concatenate(rows_pt) if rows_pt else np.zeros(0, int)
    if "unit_id" in pts.columns and len(ptr):
        bu = (
            pd.DataFrame(
                {
                    "rank": rank,
                    "unit_id": pts["unit_id"].astype(str).to_numpy()[demand[ptr]],
                    "newly_reached": w[ptr],
                }
            )
            .groupby(["rank", "unit_id"], sort=True, as_index=False)["newly_reached"]
            .sum()
            .sort_values(["rank", "newly_reached", "unit_id"], ascending=[True, False, True])
            .reset_index(drop=True)
        )
    else:
        bu = pd.DataFrame({"rank": [], "unit_id": [], "newly_reached": []})
    bu.insert(2, "unit_name", [names.get(u, u) for u in bu["unit_id"]])
    return bu


def _breakdown(bu: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Per suggestion: how many units it newly reaches residents in, and which (text)."""
    helped = np.zeros(n, dtype=np.int64)
    text = np.full(n, "", dtype=object)
    for r, grp in bu.groupby("rank", sort=True):
        helped[int(r) - 1] = len(grp)
        text[int(r) - 1] = "; ".join(
            f"{nm}: {v:,.0f}" for nm, v in zip(grp["unit_name"], grp["newly_reached"], strict=True)
        )
    return {"units_helped": helped, "units": text}


def _gains(cov: sparse.csc_matrix, w: np.ndarray, cols: np.ndarray) -> np.ndarray:
    got = np.zeros(cov.shape[0], dtype=bool)
    out = []
    for j in cols:
        rows = cov.indices[cov.indptr[j] : cov.indptr[j + 1]]
        new = rows[~got[rows]]
        got[new] = True
        out.append(float(w[new].sum()))
    return np.asarray(out, dtype=float)


def _order_by_gain(cov: sparse.csc_matrix, w: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Return the optimal set in greedy order (largest marginal gain first) for a readable table."""
    left = list(cols)
    got = np.zeros(cov.shape[0], dtype=bool)
    out = []
    while left:
        g = [
            float(w[r[~got[r]]].sum())
            for j in left
            for r in [cov.indices[cov.indptr[j] : cov.indptr[j + 1]]]
        ]
        b = int(np.argmax(g))
        j = left.pop(b)
        got[cov.indices[cov.indptr[j] : cov.indptr[j + 1]]] = True
        out.append(j)
    return np.asarray(out, dtype=np.int64)
