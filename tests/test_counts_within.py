"""Facilities within 5/10/15 minutes of every node (``nearest_facilities``' ``{c}_n_{m}min``)
equal a count made with networkx on real data.

The reference walks from each facility's virtual source over the same augmented graph
(network plus one source per facility, arcs out of it only) with networkx's Dijkstra, cut
off at the largest threshold, and counts by plain Python per node, component and minute: no
chunks, no boxes, no bands.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import infra_geo as ig
from infra_geo._access import Access

MINS = (5, 10, 15)


def _reference_counts(acc: Access, mpm: float) -> dict[tuple[str, int], np.ndarray]:
    att, n = acc.attachments, acc.net.n_nodes
    g = acc.graph.tocoo()
    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(g.row.tolist(), g.col.tolist(), g.data.tolist(), strict=True))
    counts = {(k, m): np.zeros(n, dtype=np.int64) for k in att.components for m in MINS}
    for f in np.flatnonzero(att.snapped):
        reach = nx.single_source_dijkstra_path_length(G, n + int(f), cutoff=max(MINS) * mpm)
        for node, dist in reach.items():
            if node >= n:
                continue
            for i, k in enumerate(att.components):
                if att.members[f, i]:
                    for m in MINS:
                        if dist <= m * mpm:
                            counts[(k, m)][node] += 1
    return counts


@pytest.mark.parametrize("which", ["li_net_fac", "ams_osm_net_fac"])
def test_counts_within_equal_networkx(which, request):
    net, fac = request.getfixturevalue(which)
    speed = 4.8
    mpm = speed * 1000 / 60
    acc = Access(net, fac)
    out = ig.nearest_facilities(net, fac, minutes=MINS, speed_kmh=speed, access=acc)
    ref = _reference_counts(acc, mpm)
    assert acc.runs["bounded"] >= 1
    total = 0
    for (k, m), want in ref.items():
        got = out[f"{k}_n_{m}min"].to_numpy()
        np.testing.assert_array_equal(got, want, err_msg=f"{k} {m} min")
        total += int(want.sum())
    assert total > 10_000  # not vacuous: many (facility, node) pairs are in reach


def test_counts_within_minutes_given_unsorted(li_net_fac):
    """The bands follow the thresholds' values, not the order they are given in."""
    net, fac = li_net_fac
    acc = Access(net, fac)
    a = ig.nearest_facilities(net, fac, minutes=(15, 5), component="care", access=acc)
    b = ig.nearest_facilities(net, fac, minutes=5, component="care", access=acc)
    np.testing.assert_array_equal(a["care_n_5min"].to_numpy(), b["care_n_5min"].to_numpy())
    assert (a["care_n_5min"] <= a["care_n_15min"]).all()
    assert (a["care_n_15min"] > a["care_n_5min"]).any()
