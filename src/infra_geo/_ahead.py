"""Work :func:`infra_geo.analyse` starts ahead in background threads.

GEOS releases the GIL, so geometry work whose inputs already exist can run on the second core
while ``analyse`` goes on in Python. Each piece is the same computation a later step would run
(the later step waits for it or takes its result), so results never depend on it.
"""

from __future__ import annotations

import geopandas as gpd

from . import settings
from ._access import _NetCache
from ._catchment_geometry import prefetch_tiles
from ._memory import release_free_memory
from .network import WalkNetwork


def tiles(net: WalkNetwork) -> None:
    """Start building the catchment tiles of ``net`` (see ``prefetch_tiles``)."""
    prefetch_tiles(net, settings.catchment_buffer_m, _NetCache.of(net).edge_buffers)


def rings(catch: gpd.GeoDataFrame, net: WalkNetwork) -> None:
    """Start cutting the map's rings of the catchments ``catch`` (see ``cut_rings_ahead``).

    The whole edges' street-front buffers of ``net`` are dropped first: the tiles, which
    later catchments on this network (scenarios) mostly use, stay cached, and the few edge
    buffers they need are made again (Malta: ~25 MiB less at the job's peak). Then the free
    heap pages are handed back (:func:`~infra_geo._memory.release_free_memory`): the tile
    thread is done by now, and its arena holds ~75 MiB of freed memory on Malta.
    """
    from .maps._layers import cut_rings_ahead  # folium and the map only when a job runs

    _NetCache.of(net).edge_buffers.pop(settings.catchment_buffer_m, None)
    release_free_memory()
    cut_rings_ahead(catch)
