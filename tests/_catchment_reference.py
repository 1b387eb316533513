"""The catchment geometry of infra_geo 0.x before issue 14, kept as the test reference.

A verbatim copy of the union-of-buffers implementation (``_union_buffer``, ``_edge_buffers``,
``_nested_unions`` at commit 72d0271): each whole edge and each partial piece buffered on its
own, the buffers unioned with ``shapely.union_all`` level by level. The new implementation in
``infra_geo.accessibility`` must match it (IoU) and keep its nesting and distance bound.
"""

from __future__ import annotations

import numpy as np
import shapely

from infra_geo._catchment_geometry import _reachable_parts

QUAD_SEGS = 3


def edge_buffers(net, width: float, edges: np.ndarray) -> np.ndarray:
    """Street-front buffers of whole edges (no cache: the reference is recomputed)."""
    return shapely.buffer(net.edge_geometry[edges], width, quad_segs=QUAD_SEGS)


def nested_unions(net, dist, limits, att_edge, att_off, width: float) -> list:
    """Catchments for ascending ``limits``, as the old ``_nested_unions`` built them."""
    done = np.zeros(net.n_edges, dtype=bool)
    prev: list = []
    out = []
    for limit in limits:
        whole, rest = _reachable_parts(net, dist, limit, att_edge, att_off)
        new = whole[~done[whole]]
        done[whole] = True
        parts = np.concatenate(
            [
                edge_buffers(net, width, new),
                shapely.buffer(rest, width, quad_segs=QUAD_SEGS),
                np.array(prev, dtype=object),
            ]
        )
        geom = shapely.union_all(parts) if len(parts) else shapely.Polygon()
        geom = geom if geom.is_valid else shapely.make_valid(geom)
        out.append(geom)
        prev = [geom]
    return out
