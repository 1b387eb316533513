"""Where an OSM file's data is complete, derived from the data itself.

A neighbourhood is flagged ``partial`` by the share of its area inside the *data extent*.
The extent must therefore describe where the file is detailed, not where its stray objects
reach: route relations and long ways drag main roads tens of kilometres beyond a clipped
extract, and a file exported without a header box (or converted to PBF) has only its nodes.
:func:`data_extent` rasterises the evidence of detailed mapping (buildings and minor
streets, never main roads) on a grid, closes and cleans it, and returns its outline;
:func:`extent_from_points` is the same step on plain coordinates. :func:`read_extent`
reads a user's own extent polygon (``analyse(extent=...)``, ``infra-geo --extent F``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from . import settings
from ._osm_reader import OSMData, read_osm
from ._types import CRSLike, ExtentLike, PathLike
from ._validate import WGS84, as_polygon, positive, to_crs
from .errors import DataFileError, EmptyDataError, GeometryError, InputError
from .network import WalkNetwork

__all__ = ["data_extent", "evidence_points", "extent_from_points", "read_extent", "run_extent"]


def _settings_value(value: Any, default: float, name: str, allow_zero: bool = False) -> float:
    return positive(default if value is None else value, name, allow_zero=allow_zero)


def extent_from_points(
    points: np.ndarray | Sequence[tuple[float, float]],
    *,
    crs: CRSLike = WGS84,
    cell_m: float | None = None,
    close_m: float | None = None,
    edge_m: float | None = None,
    min_cluster_share: float | None = None,
) -> BaseGeometry:
    """Return the area a cloud of evidence points covers densely: a (multi)polygon in EPSG:4326.

    The points are marked on a square grid of ``cell_m`` in a metric CRS (RD New in the
    Netherlands, the local UTM zone elsewhere, chosen at the points' median so that strays
    do not move it). The marked cells are closed (a dilation then an erosion by ``close_m``:
    gaps up to twice as wide, a river, a park or the fields between two villages, are
    bridged; a convex edge such as the side of a clipped export does not move), every
    enclosed hole is filled (an extract has no holes: a park, a lake or a rail yard with
    data all around it is inside it), the outline is pulled in by ``edge_m`` (the outermost
    evidence is what reaches past the edge of the data: the buildings and ways that cross a
    clipped export's box come whole), and detached clusters are dropped when they are
    smaller than ``min_cluster_share`` of the largest one, or farther from it than both
    its size (the square root of its area) and ``settings.extent_near_m`` (5 km): stray
    objects that relations or long ways bring from far away. A village 4 km from its town
    stays, and so does an island 5 km off a 250 km2 main island. The kept cells are
    outlined along their edges, so the result is exact to the grid and deterministic: the
    same points give the same polygon.

    Parameters
    ----------
    points : array-like of shape (n, 2)
        Evidence of detailed data (see :func:`data_extent`), in ``crs``.
    crs : CRS-like, default EPSG:4326
        CRS of ``points``.
    cell_m : float, optional
        Grid size in metres (default ``settings.extent_cell_m``, 50).
    close_m : float, optional
        Closing radius in metres (default ``settings.extent_close_m``, 1000; 0 = none).
    edge_m : float, optional
        The outline is pulled in by this much (default ``settings.extent_edge_m``, 50, one
        cell; 0 = not at all).
    min_cluster_share : float, optional
        Detached clusters smaller than this share of the largest, or farther from it than
        its size and ``settings.extent_near_m``, are dropped (default ``settings.extent_min_cluster_share``, 0.02; 0 keeps
        every cluster).

    Returns
    -------
    shapely Polygon or MultiPolygon
        In EPSG:4326.

    Raises
    ------
    InputError
        Points are not an (n, 2) array of finite numbers, or a setting is out of range.
    EmptyDataError
        There is no point at all.

    Examples
    --------
    >>> import numpy as np, infra_geo as ig
    >>> xy = np.random.default_rng(0).uniform([4.89, 52.36], [4.91, 52.37], (500, 2))
    >>> ig.extent_from_points(xy).geom_type
    'Polygon'
    """
    cell = _settings_value(cell_m, settings.extent_cell_m, "cell_m")
    close = _settings_value(close_m, settings.extent_close_m, "close_m", allow_zero=True)
    edge = _settings_value(edge_m, settings.extent_edge_m, "edge_m", allow_zero=True)
    share = _settings_value(
        min_cluster_share, settings.extent_min_cluster_share, "min_cluster_share", True
    )
    if share > 1:
        raise InputError(f"min_cluster_share must be between 0 and 1, got {min_cluster_share!r}.")
    src = to_crs(crs, "crs of the points")
    pts = _xy(points, "points")
    if not len(pts):
        raise EmptyDataError(
            "No evidence point to derive the data extent from: pass extent= (a polygon of "
            "where the data is complete) or a file with streets or buildings."
        )
    metric = _metric_for(pts, src)
    if not src.equals(metric):
        tr = Transformer.from_crs(src, metric, always_xy=True)
        pts = np.column_stack(tr.transform(pts[:, 0], pts[:, 1]))
    poly = _raster_extent(pts, cell, close, edge, share)
    return gpd.GeoSeries([poly], crs=metric).to_crs(WGS84).iloc[0]


def data_extent(
    source: PathLike | OSMData | WalkNetwork,
    *,
    cell_m: float | None = None,
    close_m: float | None = None,
    edge_m: float | None = None,
    min_cluster_share: float | None = None,
    boundary_share: float | None = None,
) -> BaseGeometry:
    """Where an OSM file's data is complete, from the data itself: a (multi)polygon, EPSG:4326.

    The evidence of detailed mapping (:func:`evidence_points`) is every building and the
    loops of the minor streets: every highway way except the main roads in
    ``settings.extent_major_highways`` (motorway, trunk, primary, secondary, tertiary and
    their links), which route relations and long ways drag far beyond an extract, with
    dead ends peeled off. :func:`extent_from_points` turns it into an area (grid, closing,
    hole filling, stray-cluster removal). Never the hull of every node.

    An administrative area whose boundary relation is complete in the file, which that
    area covers for at least ``boundary_share`` (``settings.extent_boundary_share``, 0.5),
    and whose remaining part lies (95 % of it) within ``close_m`` of a street of the file
    then joins whole: a country or municipality extract contains its whole territory, and
    the mountains or lakes where no building or street loop is mapped are empty, not
    missing. A boundary that reaches past the edge of a clipped file has no street there
    and does not join (nor, in most clipped files, is it complete).

    The file's header box is not used. An openstreetmap.org export's ``<bounds>`` is where
    its *nodes* are complete, but ways crossing it come whole, and a converted copy (the
    PBF of the same export) loses it; a Geofabrik header box is the bounding box of the
    extract's polygon, mostly sea for Malta. Using it would make two files with the same
    data give different extents, and it adds nothing the buildings and streets do not show:
    the derived extent of a clipped export follows its box to within about 80 m (on
    Amsterdam-Centrum it gives the buurten the same ``partial`` flags as the box).

    Parameters
    ----------
    source : path-like, OSMData or WalkNetwork
        An OSM extract (.osm, .osm.gz, .osm.bz2, .osm.pbf) or what the reader made of one;
        or a walking network, whose evidence is then the loops of its minor streets alone
        (no buildings, no administrative areas).
    cell_m, close_m, edge_m, min_cluster_share : float, optional
        See :func:`extent_from_points` (defaults in :mod:`infra_geo.settings`).
    boundary_share : float, optional
        Share of a complete administrative area the derived extent must cover for the
        area to join whole (default ``settings.extent_boundary_share``; 0 = never).

    Returns
    -------
    shapely Polygon or MultiPolygon
        In EPSG:4326.

    Raises
    ------
    DataFileError
        The file does not exist or is not an OSM file.
    EmptyDataError
        The file has no building and no loop of minor streets.

    Examples
    --------
    >>> import infra_geo as ig
    >>> ext = ig.data_extent(ig.sample_path())
    >>> ext.geom_type
    'Polygon'
    >>> res = ig.analyse(osm_file=ig.sample_path(), extent=ext)
    """
    cell = _settings_value(cell_m, settings.extent_cell_m, "cell_m")
    if isinstance(source, WalkNetwork):
        pts = _network_core_points(source, cell / 2.0)
        if not len(pts):
            raise EmptyDataError(
                "The network has no loop of minor streets to derive the data extent from: "
                "pass extent= (a polygon of where the data is complete)."
            )
        return extent_from_points(
            pts,
            crs=source.crs,
            cell_m=cell,
            close_m=close_m,
            edge_m=edge_m,
            min_cluster_share=min_cluster_share,
        )
    if isinstance(source, OSMData):
        data = source
    elif isinstance(source, (str, os.PathLike)):
        from .components import load_rules

        data = read_osm(source, load_rules().match_keys())
    else:
        raise InputError(
            f"data_extent needs an OSM file path or a WalkNetwork, not "
            f"{type(source).__name__}; for plain coordinates use infra_geo.extent_from_points."
        )
    pts = evidence_points(data, step_m=cell / 2.0)
    if not len(pts):
        raise EmptyDataError(
            f"{Path(data.path).name} has no building and no loop of minor streets to derive "
            "the data extent from: pass extent= (a polygon of where the data is complete)."
        )
    derived = extent_from_points(
        pts, cell_m=cell, close_m=close_m, edge_m=edge_m, min_cluster_share=min_cluster_share
    )
    share = _settings_value(
        boundary_share, settings.extent_boundary_share, "boundary_share", allow_zero=True
    )
    close = _settings_value(close_m, settings.extent_close_m, "close_m", allow_zero=True)
    return _with_complete_boundaries(data, derived, share, cell, close)


def read_extent(source: ExtentLike, *, name: str = "extent") -> BaseGeometry:
    """Read a user's extent as one valid (multi)polygon in EPSG:4326.

    Parameters
    ----------
    source : path-like, shapely geometry (EPSG:4326), GeoSeries or GeoDataFrame
        A polygon file in any CRS GDAL reads (GeoPackage, GeoJSON, Shapefile...), or a
        geometry. Several polygons are unioned.
    name : str
        How error messages call it.

    Raises
    ------
    DataFileError
        The file does not exist or cannot be read.
    GeometryError
        It is empty, not polygons, or an invalid (e.g. self-intersecting) polygon.
    CRSError
        The file has no CRS, or its coordinates do not fit it.
    """
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if not p.is_file():
            raise DataFileError(
                f"{name} file {p} does not exist; pass a polygon file (GeoPackage, GeoJSON, "
                "Shapefile) of where the data is complete."
            )
        try:
            gdf = gpd.read_file(p, engine="pyogrio")
        except Exception as exc:  # GDAL's errors are many; all mean "not a polygon file"
            raise DataFileError(
                f"Could not read {name} file {p} ({' '.join(str(exc).split())}); pass a "
                "GeoPackage, GeoJSON or Shapefile with polygons."
            ) from None
        if len(gdf) == 0 or gdf.geometry.isna().all():
            raise GeometryError(f"{name} file {p} holds no geometry; it must hold a polygon.")
        kinds = set(gdf.geometry.dropna().geom_type)
        if not kinds <= {"Polygon", "MultiPolygon"}:
            raise GeometryError(
                f"{name} file {p} holds {', '.join(sorted(kinds))}, not polygons; draw the "
                "area where the data is complete as a polygon."
            )
        source = gdf.loc[gdf.geometry.notna()]
    return as_polygon(source, name=name)


# ----------------------------------------------------------------------------- helpers
def _xy(points: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be an (n, 2) array of coordinates.") from None
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(f"{name} must be an (n, 2) array of coordinates, got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise InputError(f"{name} holds non-finite coordinates (NaN or inf); drop them first.")
    return arr


def _metric_for(xy: np.ndarray, crs: CRS) -> CRS:
    """Return the metric CRS of the evidence's median point (robust to strays far away)."""
    if crs.is_projected:
        return crs
    from ._crs import metric_crs_for

    mid = np.median(xy, axis=0)
    return CRS.from_user_input(metric_crs_for(shapely.Point(mid[0], mid[1])))


def evidence_points(data: OSMData, *, step_m: float | None = None) -> np.ndarray:
    """Lon/lat points that show detailed data: buildings and the minor streets' loops.

    Every building gives its centroid (relations do not drag buildings out of an
    extract). The minor streets (every ``highway=*`` way except
    ``settings.extent_major_highways``) give points at most ``step_m`` apart along the
    segments of their *2-core*: the street graph with its dead ends peeled off, node by
    node, until every node has two or more segments. A street network that is really
    there closes on itself every block; a way that leaves a clipped export, or a chain of
    ways a route relation brings from far away, is a dead end or a tree and is peeled off
    entirely. Loops that remain enclose their area (a park ringed by paths, a mountain
    ringed by trails), which :func:`extent_from_points` fills.

    Parameters
    ----------
    data : OSMData
        What the reader made of a file (``infra_geo._osm_reader.read_osm``).
    step_m : float, optional
        Spacing of the street points (default half of ``settings.extent_cell_m``).

    Returns
    -------
    ndarray of shape (n, 2)
        Lon/lat, buildings first, in file order (deterministic).
    """
    step = _settings_value(step_m, settings.extent_cell_m / 2.0, "step_m")
    feats = data.features
    if len(feats) and "building" in feats.columns:
        # only the geometry: taking the rows of every tag column costs more than the rest
        b = (feats["building"].notna() & (feats["building"] != "no")).to_numpy(dtype=bool)
        cent = shapely.centroid(feats.geometry.to_numpy()[b])
        buildings = shapely.get_coordinates(cent[~shapely.is_empty(cent)])
    else:
        buildings = np.zeros((0, 2))
    return np.concatenate([buildings, _street_core_points(data, step)])


def _with_complete_boundaries(
    data: Any, derived: BaseGeometry, share: float, cell: float, close: float
) -> BaseGeometry:
    """Add to ``derived`` the complete administrative areas it mostly covers.

    An area joins when ``derived`` covers ``share`` or more of it and its remaining part lies
    (95 % of it) within ``close`` metres of the file's streets.
    """
    feats = data.features
    if share <= 0 or share > 1 or not len(feats) or "boundary" not in feats.columns:
        return derived
    adm = feats.geometry[
        (feats["osm_type"] == "relation")
        & (feats["boundary"] == "administrative")
        & feats.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    ]
    if not len(adm):
        return derived
    metric = _metric_for(shapely.get_coordinates(shapely.centroid(derived)), CRS.from_epsg(4326))
    areas = adm.to_crs(metric).to_numpy()
    areas = areas[shapely.is_valid(areas)]
    d_m = gpd.GeoSeries([derived], crs=WGS84).to_crs(metric).iloc[0]
    a = shapely.area(areas)
    covered = np.divide(
        shapely.area(shapely.intersection(areas, d_m)), a, out=np.zeros(len(a)), where=a > 0
    )
    cand = areas[covered >= share]
    if not len(cand):
        return derived
    # the unmapped part must lie among the file's streets (95 % of it within ``close`` of a
    # highway node): a complete boundary that reaches past a clipped file's edge has none
    from scipy.spatial import cKDTree

    tr = Transformer.from_crs(WGS84, metric, always_xy=True)
    street = np.ones(len(data.way_ids), dtype=bool)  # ways with highway=* (no ferries)
    if "highway" in data.way_tags.columns:
        street = data.way_tags["highway"].notna().to_numpy()
    lonlat = data.way_lonlat[np.repeat(street, np.diff(data.way_offsets))]
    nodes = np.column_stack(tr.transform(lonlat[:, 0], lonlat[:, 1]))
    if not len(nodes):
        return derived
    tree = cKDTree(nodes, balanced_tree=False, compact_nodes=False)  # faster to build
    # only whether a node lies within ``close`` counts: the search may stop just past it
    bound = close * (1.0 + 1e-9) + 1e-6
    ok = np.zeros(len(cand), dtype=bool)
    for i, part in enumerate(shapely.difference(cand, d_m)):  # a few areas, not rows
        x0, y0, x1, y1 = part.bounds if not part.is_empty else (0, 0, 0, 0)
        xs, ys = np.meshgrid(np.arange(x0, x1, cell) + cell / 2, np.arange(y0, y1, cell) + cell / 2)
        shapely.prepare(part)  # many points against one area
        inside = shapely.contains_xy(part, xs.ravel(), ys.ravel())
        if not inside.any():
            ok[i] = True
            continue
        dist, _ = tree.query(
            np.column_stack([xs.ravel()[inside], ys.ravel()[inside]]), distance_upper_bound=bound
        )
        ok[i] = bool((dist <= close).mean() >= 0.95)
    add = cand[ok]
    if not len(add):
        return derived
    whole = shapely.normalize(shapely.union_all(np.concatenate([[d_m], add])))
    return gpd.GeoSeries([whole], crs=metric).to_crs(WGS84).iloc[0]


def _minor_ways(data: Any) -> np.ndarray:
    n = len(data.way_ids)
    if not n or "highway" not in data.way_tags.columns:
        return np.zeros(n, dtype=bool)
    hw = data.way_tags["highway"].astype("string").fillna("")
    # a way without highway=* (a route=ferry crossing) is no street: it crosses water
    return ((hw != "") & ~hw.isin(settings.extent_major_highways)).to_numpy()


def _street_core(data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the 2-core of the minor-street graph: (node ids, node lon/lat, edges as index pairs).

    Edges join consecutive nodes of a way piece, once per node pair (two ways sharing a
    segment are no loop). Dead ends are peeled off until every node has two or more edges.
    """
    empty = (np.zeros(0, dtype=np.int64), np.zeros((0, 2)), np.zeros((0, 2), dtype=np.int64))
    minor = _minor_ways(data)
    if not minor.any():
        return empty
    run = np.repeat(np.arange(len(minor)), np.diff(data.way_offsets))
    keep = minor[run]
    ids, lonlat, run = data.way_node_ids[keep], data.way_lonlat[keep], run[keep]
    uniq, first_pos, inv = np.unique(ids, return_index=True, return_inverse=True)
    same = run[1:] == run[:-1]  # consecutive nodes of one run (the reader's way pieces)
    # unique sorted pairs through one int64 key (np.unique(axis=0) sorts rows: slower)
    lo, hi = np.sort(np.column_stack([inv[:-1][same], inv[1:][same]]), axis=1).T
    key = np.sort(lo.astype(np.int64) * len(uniq) + hi)
    if len(key):  # np.unique's answer (it hashes: slower here)
        key = key[np.r_[True, key[1:] != key[:-1]]]
    edges = np.column_stack([key // len(uniq), key % len(uniq)])
    return uniq, lonlat[first_pos], _two_core(edges, len(uniq))


def _two_core(edges: np.ndarray, n: int) -> np.ndarray:
    """Return the edges (unique sorted index pairs) left when dead ends are peeled off.

    Linear in the removed nodes: whole rounds of leaves are peeled in numpy while there are
    many (the short dead ends of a town go in the first rounds), then the few long dangling
    chains left (a trail of hundreds of nodes) one node at a time. The 2-core is unique, so
    the order of peeling does not change it.
    """
    edges = edges[edges[:, 0] != edges[:, 1]]
    if not len(edges):
        return edges
    ends = np.concatenate([edges[:, 0], edges[:, 1]])
    nbrs = np.concatenate([edges[:, 1], edges[:, 0]])
    order = np.argsort(ends)
    indptr = np.searchsorted(ends[order], np.arange(n + 1))
    adj = nbrs[order]
    deg = np.bincount(ends, minlength=n)
    gone = np.zeros(n, dtype=bool)
    leaves = np.flatnonzero(deg == 1)
    while len(leaves) >= _PEEL_ROUND:  # one round: every leaf at once
        gone[leaves] = True
        cnt = indptr[leaves + 1] - indptr[leaves]
        w = adj[np.repeat(indptr[leaves] - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())]
        u, c = np.unique(w[~gone[w]], return_counts=True)
        deg[u] -= c
        gone[u[deg[u] == 0]] = True
        leaves = u[deg[u] == 1]
    stack = leaves.tolist()
    while stack:
        v = stack.pop()
        if gone[v]:
            continue
        gone[v] = True
        for w in adj[indptr[v] : indptr[v + 1]].tolist():
            if not gone[w]:
                deg[w] -= 1
                if deg[w] == 1:
                    stack.append(w)
                elif deg[w] == 0:
                    gone[w] = True
    return edges[~(gone[edges[:, 0]] | gone[edges[:, 1]])]


#: _two_core peels whole rounds of leaves in numpy while a round has at least this many
_PEEL_ROUND = 32


def _network_core_points(net: Any, step: float) -> np.ndarray:
    """Points every ``step`` metres along the 2-core of a network's minor edges (its CRS)."""
    n_e = len(net.edge_u)
    minor = np.ones(n_e, dtype=bool)
    if "highway" in net.edge_data.columns:
        hw = net.edge_data["highway"].astype("string").fillna("")
        minor = ((hw != "") & ~hw.isin(settings.extent_major_highways)).to_numpy()
    pairs = np.sort(np.column_stack([net.edge_u, net.edge_v]), axis=1)[minor]
    if not len(pairs):
        return np.zeros((0, 2))
    core = _two_core(np.unique(pairs, axis=0), len(net.node_xy))
    if not len(core):
        return np.zeros((0, 2))
    key = pairs[:, 0] * np.int64(len(net.node_xy)) + pairs[:, 1]
    kept = np.isin(key, core[:, 0] * np.int64(len(net.node_xy)) + core[:, 1])
    lines = shapely.segmentize(net.edge_geometry[np.flatnonzero(minor)[kept]], step)
    return shapely.get_coordinates(lines)


def _street_core_points(data: Any, step: float) -> np.ndarray:
    """Points every ``step`` metres along the 2-core of the minor-street graph (lon/lat)."""
    _, xy, edges = _street_core(data)
    if not len(edges):
        return np.zeros((0, 2))
    a, b = xy[edges[:, 0]], xy[edges[:, 1]]
    # local metres per degree (equirectangular: exact enough for sampling density)
    kx = 111_320.0 * np.cos(np.radians((a[:, 1] + b[:, 1]) / 2.0))
    seg = np.hypot((b[:, 0] - a[:, 0]) * kx, (b[:, 1] - a[:, 1]) * 110_574.0)
    k = np.maximum(np.ceil(seg / step), 1).astype(np.int64)  # samples per segment
    idx = np.repeat(np.arange(len(k)), k)
    t = (np.arange(idx.size) - np.repeat(np.cumsum(k) - k, k)) / k[idx]
    samples = a[idx] + (b - a)[idx] * t[:, None]
    return np.concatenate([samples, b])


def _sq_distance(mask: np.ndarray) -> np.ndarray:
    """Return the squared distance, in cells, from every cell to the nearest False one.

    ``ndimage.distance_transform_edt(mask) ** 2`` exactly, in integers: the same nearest
    cells (its feature transform), without the float distances and square roots. Compare
    with a squared radius (``d2 <= r * r`` is ``edt <= r`` for a whole ``r``), or take the
    square root of a few values (the same floats the transform gives).
    """
    from scipy import ndimage

    ft = ndimage.distance_transform_edt(mask, return_distances=False, return_indices=True)
    dy = ft[0].astype(np.int64) - np.arange(mask.shape[0], dtype=np.int64)[:, None]
    dy *= dy
    dx = ft[1].astype(np.int64) - np.arange(mask.shape[1], dtype=np.int64)[None, :]
    dx *= dx
    dy += dx
    return dy


def _farther_than(mask: np.ndarray, e: float) -> np.ndarray:
    """Return the cells farther than ``e`` cells from every False cell.

    ``ndimage.distance_transform_edt(mask) > e``: for a small ``e`` (the usual one cell), an
    erosion by the disk of the offsets within ``e`` (the same float distances), ten times
    faster than the transform; outside the grid counts as True, as in the transform.
    """
    from scipy import ndimage

    k = int(np.floor(e))
    if k > 3:
        return np.sqrt(_sq_distance(mask).astype(np.float64)) > e
    d = np.arange(-k, k + 1)
    disk = np.sqrt((d[:, None] ** 2 + d[None, :] ** 2).astype(np.float64)) <= e
    return ndimage.binary_erosion(mask, structure=disk, border_value=1)


def _raster_extent(
    pts: np.ndarray, cell: float, close: float, edge: float, share: float
) -> BaseGeometry:
    from affine import Affine
    from rasterio import features
    from scipy import ndimage

    r = int(np.ceil(close / cell - 1e-9))
    pad = r + 2
    x0 = np.floor(pts[:, 0].min() / cell) * cell - pad * cell
    y0 = np.floor(pts[:, 1].min() / cell) * cell - pad * cell
    nx = int(np.floor((pts[:, 0].max() - x0) / cell)) + 1 + pad
    ny = int(np.floor((pts[:, 1].max() - y0) / cell)) + 1 + pad
    if nx * ny > 50_000_000:
        raise InputError(
            f"The data spans {nx * cell / 1000:,.0f} x {ny * cell / 1000:,.0f} km: too large "
            f"for a {cell:g} m grid. Raise cell_m (settings.extent_cell_m) or pass extent=."
        )
    mask = np.zeros((ny, nx), dtype=bool)
    mask[
        ((pts[:, 1] - y0) // cell).astype(np.int64), ((pts[:, 0] - x0) // cell).astype(np.int64)
    ] = True
    if r:  # closing by a disk of r cells, through distance transforms (any radius, O(cells))
        grown = _sq_distance(~mask) <= r * r
        mask = _sq_distance(grown) > r * r
    mask = ndimage.binary_fill_holes(mask)
    if edge > 0:  # the outermost evidence is what reaches past the edge: pull it in
        mask = _farther_than(mask, edge / cell)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n > 1 and share > 0:
        sizes = np.bincount(labels.ravel())[1:]
        main = int(np.argmax(sizes)) + 1  # ties: the first in row order (deterministic)
        # cells from the main cluster, and each cluster's nearest approach to it
        sq_gap = ndimage.minimum(_sq_distance(labels != main), labels, np.arange(1, n + 1))
        gap = np.sqrt(np.asarray(sq_gap, dtype=np.float64))
        reach = max(np.sqrt(sizes.max()) * cell, settings.extent_near_m)
        near = gap * cell <= reach
        keep = (sizes >= share * sizes.max()) & near
        mask = np.isin(labels, np.flatnonzero(keep) + 1)
    transform = Affine(cell, 0, x0, 0, cell, y0)  # row i spans y0 + i * cell .. + cell
    polys = [
        shapely.geometry.shape(geom)
        for geom, val in features.shapes(mask.astype(np.uint8), mask=mask, transform=transform)
        if val == 1
    ]
    return shapely.normalize(shapely.union_all(polys))


def run_extent(
    net: WalkNetwork,
    source_file: PathLike | None,
    area: BaseGeometry | None,
    user_extent: BaseGeometry | None,
) -> tuple[BaseGeometry, str]:
    """Where the data of a run is complete (EPSG:4326), and how that was found.

    The user's extent if given, else :func:`data_extent` of the file (the hull of the walking
    network where the file has no building or street loop), else the area asked for online;
    clipped to ``area`` when both are given. Used by :func:`infra_geo.analyse`.

    Returns
    -------
    tuple
        The extent polygon and a sentence saying where it came from.
    """
    if user_extent is not None:
        extent, extent_source = user_extent, "given by the user (extent=)"
    elif source_file is not None:
        try:
            extent = data_extent(source_file)
            extent_source = "derived from the data (buildings and street loops)"
        except EmptyDataError:
            hull = shapely.convex_hull(shapely.multipoints(net.node_xy))
            extent = gpd.GeoSeries([hull], crs=net.crs).to_crs(4326).iloc[0]
            extent_source = "the hull of the walking network (no building or street loop)"
    else:
        extent, extent_source = area, "the area asked for online"
    if area is not None and extent is not area:
        parts = shapely.get_parts(shapely.intersection(extent, area))
        extent = shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])
        extent_source += ", clipped to the polygon"
    if extent is None or extent.is_empty or extent.area == 0:
        from .errors import OutsideDataError

        raise OutsideDataError(
            "The data extent does not overlap the area asked for: pass a polygon or an "
            "extent= inside the data."
        )
    return extent, extent_source
