"""The fast reader (issue 14 item 2) gives exactly what the old reader gave, on every OSM
file in the shared data: the same features (types, ids, tags, geometry within 1e-9), the
same highway way arrays, and therefore the same facilities and walking network.

The old reader is kept as a reference in ``tests/_old_osm_reader.py`` (never in src/). Both
readers run live on the same file; the pipeline (facilities, network) runs once on each
reader's output by swapping the ``read_osm`` the modules call.
"""

from __future__ import annotations

import _old_osm_reader as old
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import shared_path

import infra_geo as ig
from infra_geo import _osm_reader as new
from infra_geo import network as network_mod
from infra_geo import sources as sources_mod

SMALL = [
    "osm/liechtenstein.osm.pbf",
    "osm/harrisburg.osm.pbf",
    "osm/amsterdam-oost-snippet.osm.pbf",
    "amsterdam/amsterdam-centrum.osm.gz",
    "amsterdam/amsterdam-centrum.osm.pbf",
    "spijkenisse/spijkenisse-highways-2018.osm",
]
LARGE = ["osm/malta-2018.osm.pbf", "osm/heidelberg-routing-2024.osm.pbf"]


def _read_both(path):
    keys = ig.load_rules().match_keys()
    old._read_cached.cache_clear()
    new._read_cached.cache_clear()
    return old.read_osm(path, keys), new.read_osm(path, keys)


def _assert_same_geometry(a: np.ndarray, b: np.ndarray) -> None:
    assert len(a) == len(b)
    assert (shapely.get_type_id(a) == shapely.get_type_id(b)).all()
    assert (shapely.get_num_coordinates(a) == shapely.get_num_coordinates(b)).all()
    assert shapely.equals_exact(a, b, tolerance=1e-9).all()


def _assert_same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns in the same order, same dtypes, same values (NaN where NaN)."""
    assert a.columns.tolist() == b.columns.tolist()
    assert a.dtypes.astype(str).tolist() == b.dtypes.astype(str).tolist()
    assert a.index.equals(b.index)
    assert a.equals(b)


def _assert_same_data(o, n) -> None:
    # features: same rows in the same order, same tag columns (order, dtype, values)
    fo, fn = o.features, n.features
    _assert_same_frame(fo.drop(columns="geometry"), fn.drop(columns="geometry"))
    _assert_same_geometry(fo.geometry.to_numpy(), fn.geometry.to_numpy())
    assert fo.crs == fn.crs
    # highway / ferry ways split at missing nodes
    np.testing.assert_array_equal(o.way_ids, n.way_ids)
    np.testing.assert_array_equal(o.way_offsets, n.way_offsets)
    np.testing.assert_array_equal(o.way_node_ids, n.way_node_ids)
    assert n.way_lonlat.dtype == np.float64 and n.way_lonlat.shape == o.way_lonlat.shape
    np.testing.assert_allclose(n.way_lonlat, o.way_lonlat, rtol=0, atol=1e-9)
    _assert_same_frame(o.way_tags, n.way_tags)
    assert o.bounds == n.bounds and o.extent == n.extent
    # the counts of what was dropped (clipped ways and areas, broken rings)
    assert n.dropped == o.dropped


def _compare_file(rel: str, monkeypatch) -> tuple[int, int]:
    """Facilities (ids, components, geometry) and walking network (node ids, edge
    endpoints, lengths) from each reader, and the readers' data itself; (facilities, edges)."""
    path = shared_path(rel)
    keys = ig.load_rules().match_keys()
    out = {}
    for name, mod in (("old", old), ("new", new)):
        old._read_cached.cache_clear()
        new._read_cached.cache_clear()
        monkeypatch.setattr(sources_mod, "read_osm", mod.read_osm)
        monkeypatch.setattr(network_mod, "read_osm", mod.read_osm)
        fac = ig.facilities_from_file(path)
        net = ig.walk_network_from_file(path)
        data = mod.read_osm(path, keys)  # the cached read both products came from
        assert mod._read_cached.cache_info().misses == 1
        out[name] = (fac, net, data)
    (fo, no, do), (fn, nn, dn) = out["old"], out["new"]
    _assert_same_data(do, dn)
    assert fo["facility_id"].tolist() == fn["facility_id"].tolist()
    assert fo["osm_id"].tolist() == fn["osm_id"].tolist()
    assert fo["component"].tolist() == fn["component"].tolist()
    assert fo["components"].astype(str).tolist() == fn["components"].astype(str).tolist()
    _assert_same_geometry(fo.geometry.to_numpy(), fn.geometry.to_numpy())
    np.testing.assert_array_equal(no.node_ids, nn.node_ids)
    np.testing.assert_array_equal(no.node_xy, nn.node_xy)
    np.testing.assert_array_equal(no.edge_u, nn.edge_u)
    np.testing.assert_array_equal(no.edge_v, nn.edge_v)
    np.testing.assert_allclose(nn.edge_length, no.edge_length, rtol=0, atol=1e-9)
    return len(fn), len(nn.edge_u)


@pytest.mark.parametrize("rel", SMALL)
def test_reader_same_facilities_and_network_as_old(rel, monkeypatch):
    n_fac, n_edges = _compare_file(rel, monkeypatch)
    assert n_edges > 50  # not vacuous: every file has streets
    if rel == "osm/liechtenstein.osm.pbf":
        assert n_fac > 200 and n_edges > 7000


def test_reader_same_as_old_malta_and_heidelberg(monkeypatch):
    """The two large files in one test (old and new reader live, about 25 s here)."""
    malta = _compare_file(LARGE[0], monkeypatch)
    heidelberg = _compare_file(LARGE[1], monkeypatch)
    assert malta[0] > 2000 and malta[1] > 30000
    assert heidelberg[1] > 30000


def test_reader_splits_clipped_ways_like_old(tmp_path):
    """A highway way whose middle node is missing (clipped) splits into two runs, a way left
    with one node is lost, an open feature way with a missing node is dropped: counted the
    same by both readers, and the arrays are equal."""
    xml = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="52.0" lon="4.0"/><node id="2" lat="52.001" lon="4.0"/>
 <node id="4" lat="52.003" lon="4.0"/><node id="5" lat="52.004" lon="4.0"/>
 <node id="6" lat="52.005" lon="4.001"><tag k="amenity" v="library"/></node>
 <node id="7" lat="52.006" lon="4.001"><tag k="highway" v="crossing"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/>
  <tag k="highway" v="footway"/><tag k="name" v="Pad"/></way>
 <way id="11"><nd ref="9"/><nd ref="5"/><nd ref="8"/><tag k="highway" v="path"/>
  <tag k="surface" v="gravel"/></way>
 <way id="12"><nd ref="1"/><nd ref="4"/><nd ref="99"/><tag k="leisure" v="track"/></way>
 <way id="13"><nd ref="2"/><nd ref="4"/><tag k="route" v="ferry"/></way>
</osm>"""
    p = tmp_path / "clipped.osm"
    p.write_text(xml)
    o, n = _read_both(p)
    _assert_same_data(o, n)
    assert n.way_ids.tolist() == [10, 10, 13]
    assert n.way_offsets.tolist() == [0, 2, 4, 6]
    assert n.way_node_ids.tolist() == [1, 2, 4, 5, 2, 4]
    assert n.dropped["missing_way_nodes"] == 3
    assert n.dropped["highway_ways_lost"] == 1
    assert n.dropped["feature_ways_incomplete"] == 1
    # the highway=crossing node never reaches the features; the library does
    assert n.features["osm_id"].tolist() == [6]
    assert "surface" not in n.way_tags.columns  # way 11 is lost entirely
    assert n.way_tags["name"].isna().tolist() == [False, False, True]
    assert n.way_tags["name"].iloc[:2].tolist() == ["Pad", "Pad"]


def test_tag_frame_equals_a_frame_of_tag_dicts():
    """The tag columns (Arrow takes, or numpy blocks with python storage) hold what
    ``DataFrame.from_records`` of one dict per object holds: empty values, non-ASCII text,
    absent keys as missing, a row with no tags, a key repeated in a row (the last wins)."""
    triples = [
        (0, "amenity", "school"),
        (0, "name", "Școala \u00e9\u00e8 \U0001f3eb"),
        (2, "name", ""),
        (2, "amenity", "library"),
        (3, "note", ""),
        (3, "amenity", "x"),
        (3, "amenity", "pharmacy"),
    ]
    n = 5
    got = new._tag_frame(n, *[list(t) for t in zip(*triples, strict=True)])
    dicts: list[dict[str, str]] = [{} for _ in range(n)]
    for row, key, value in triples:
        dicts[row][key] = value
    want = pd.DataFrame.from_records(dicts).astype(pd.Series([""]).dtype)
    _assert_same_frame(want, got)
    assert got["amenity"].tolist()[3] == "pharmacy" and got["name"].tolist()[2] == ""
