"""No second pass (issue 14, item 4): a whole ``analyse`` + ``save`` attaches the facilities
once and runs one multi-source search per group, and ``walk_minutes.tif`` comes from those
cached node distances.

The counts are the engine's own (``Access.runs``, ``_NetCache.engines``), not a mock; the
raster is checked cell by cell against a reference built from other code: GEOS's nearest
edge for every cell and networkx's multi-source Dijkstra for the node distances.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from cases import graph_with_facilities

import infra_geo as ig
from infra_geo import settings
from infra_geo._access import _NetCache
from infra_geo.accessibility import metres_per_minute


@pytest.fixture(scope="module")
def li_saved(liechtenstein: Path, tmp_path_factory: pytest.TempPathFactory):
    """Liechtenstein analysed and saved once; the engine's counts right after the save."""
    res = ig.analyse(osm_file=liechtenstein, neighbourhoods="admin:8")
    out = tmp_path_factory.mktemp("li") / "out"
    files = res.save(out)
    return res, files, dict(res.access.runs), _NetCache.of(res.network).engines


def test_one_attach_and_one_search_per_group_over_analyse_and_save(li_saved) -> None:
    res, _files, runs, engines = li_saved
    eng = res.access
    att = eng.attachments
    with_fac = [k for k in eng.keys if len(att.sources(k))]
    assert len(with_fac) == 8  # every component has facilities in Liechtenstein
    assert engines == 1  # one engine on the network: the access points were made once
    assert runs["attach"] == 1
    assert {k: v for k, v in runs.items() if k.startswith("search:")} == {
        f"search:{k}": 1 for k in with_fac
    }
    # the counts within 5/10/15 min: one bounded search per chunk of 128 facilities, once
    active = int((att.snapped & att.members.any(axis=1)).sum())
    assert runs["bounded"] == math.ceil(active / 128)
    assert runs.get("facility", 0) == 0
    # two sets of points looked up in the node distances: the residents (gap table and
    # uncovered areas share them) and the raster cells
    assert runs["points"] == 2
    # the counters count: asking again computes nothing, a second engine is seen
    eng.node_distances()
    assert {k: v for k, v in eng.runs.items() if k.startswith("search:")} == {
        f"search:{k}": 1 for k in with_fac
    }
    ig.Access(res.network, res.facilities)
    assert _NetCache.of(res.network).engines == 2


def test_walk_minutes_tif_equals_a_reference(li_saved) -> None:
    res, files, _runs, _engines = li_saved
    net, att = res.network, res.access.attachments
    with rasterio.open(files["walk_minutes.tif"]) as src:
        bands, tr = src.read(), src.transform
        assert src.crs == net.crs
    nb, nrow, ncol = bands.shape
    cols, rows = np.meshgrid(np.arange(ncol), np.arange(nrow))
    x, y = rasterio.transform.xy(tr, rows.ravel(), cols.ravel())
    cells = shapely.points(np.asarray(x), np.asarray(y))
    # every cell's nearest edges by GEOS (ties: all of them), its offset along each
    tree = shapely.STRtree(net.edge_geometry)
    (ci, ei), _ = tree.query_nearest(
        cells, max_distance=settings.snap_tolerance_m, all_matches=True, return_distance=True
    )
    off = shapely.line_locate_point(net.edge_geometry[ei], cells[ci])
    length = net.edge_length[ei]
    mpm = metres_per_minute(res.speed_kmh)
    ids = {node: i for i, node in enumerate(net.node_ids)}
    assert nb == len(ig.COMPONENTS) == 8
    checked = 0
    for b, comp in enumerate(ig.COMPONENTS):
        rows_f = att.sources(comp.key)
        G, sources = graph_with_facilities(net, att, rows_f)
        ref = nx.multi_source_dijkstra_path_length(G, sources, weight="length")
        node_d = np.full(net.n_nodes, np.inf)
        for node, d in ref.items():
            if node in ids:
                node_d[ids[node]] = d
        d = np.minimum(node_d[net.edge_u[ei]] + off, node_d[net.edge_v[ei]] + (length - off))
        # a facility on the cell's own edge: walk along the edge directly
        on_edge = np.isin(att.facility, rows_f)
        pairs = pd.DataFrame({"pair": np.arange(len(ei)), "edge": ei, "off": off})
        aps = pd.DataFrame({"edge": att.edge[on_edge], "a_f": att.offset[on_edge]})
        same = pairs.merge(aps, on="edge")
        direct = (same["off"] - same["a_f"]).abs().groupby(same["pair"]).min()
        d[direct.index.to_numpy()] = np.minimum(d[direct.index.to_numpy()], direct.to_numpy())
        minutes = np.where(np.isfinite(d), d / mpm, np.nan)
        got = bands[b].ravel()
        # per cell: the raster must equal the reference through one of its nearest edges
        err = np.abs(minutes - got[ci])
        err = np.where(np.isnan(minutes) & np.isnan(got[ci]), 0.0, err)
        best = np.full(len(cells), np.inf)
        np.minimum.at(best, ci, np.nan_to_num(err, nan=np.inf))
        snapped = np.zeros(len(cells), dtype=bool)
        snapped[ci] = True
        assert np.isnan(got[~snapped]).all(), comp.key  # no street within reach: nodata
        tol = 1e-4 + 1e-6 * np.nan_to_num(got[snapped], nan=0.0)  # float32 minutes
        assert (best[snapped] <= tol).all(), (comp.key, float(best[snapped].max()))
        checked += int(np.isfinite(got[snapped]).sum())
    assert checked > 100_000  # 8 bands of a real country, most cells near a street
