"""Geometries from libosmium's hex WKB, decoded in bulk.

Split off :mod:`infra_geo._osm_reader` (which drives the reading pass and builds the frames)
to keep that module under the size limit.
"""

from __future__ import annotations

import numpy as np
import shapely


def _from_hex_wkb(hexes: list[str]) -> np.ndarray:
    """Return the geometries of libosmium's hex WKB strings.

    Decoded to bytes first: GEOS reads hex WKB a character at a time, about 15x slower than
    the same WKB as bytes (Malta's 21k areas: 0.13-0.20 -> 0.02 CPU-s, decoding included).
    """
    blobs = np.empty(len(hexes), dtype=object)
    blobs[:] = [bytes.fromhex(h) for h in hexes]
    return shapely.from_wkb(blobs)
