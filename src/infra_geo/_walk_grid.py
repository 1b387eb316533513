"""The cells of :meth:`infra_geo.Analysis.walk_minutes_grid`, snapped in blocks of rows.

Snapping a point to the network is a per-point computation (its nearest edge piece), so the
cells can be snapped a block of rows at a time with the same answers as all at once; only
the working set of the candidate search shrinks (Malta at 50 m: 430k cells, ~125 MiB of
candidate arrays at once, ~20 MiB per block). The distances are then looked up once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import settings
from ._access import Access
from .accessibility import metres_per_minute
from .components import COMPONENTS
from .network import Snap

#: cells snapped at once (whole rows; at least one row)
CELLS_PER_BLOCK = 65_536


def minutes_bands(eng: Access, xs: np.ndarray, ys: np.ndarray, speed_kmh: float) -> np.ndarray:
    """Return walking minutes per component at the cell centres ``xs`` x ``ys`` (float32).

    ``bands[band, row, col]``; NaN where a cell is not within ``settings.snap_tolerance_m``
    of a street or no facility of that component is reachable.
    """
    net = eng.net
    step = max(1, CELLS_PER_BLOCK // max(1, len(xs)))
    parts = []
    for r0 in range(0, len(ys), step):  # a few blocks of rows, each snapped vectorised
        gx, gy = np.meshgrid(xs, ys[r0 : r0 + step])
        xy = np.column_stack([gx.ravel(), gy.ravel()])
        parts.append(net.snap_xy(xy, tolerance=settings.snap_tolerance_m))
    snap = Snap(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in ("edge", "offset", "distance"))
    )
    del parts
    keys = tuple(c.key for c in COMPONENTS)
    table = eng.point_table(snap, pd.RangeIndex(len(snap.edge)), keys)
    del snap
    mpm = metres_per_minute(speed_kmh)
    snapped = table["snapped"].to_numpy(dtype=bool)
    bands = np.empty((len(keys), len(ys), len(xs)), dtype="float32")
    for i, k in enumerate(keys):  # one band at a time: no (cells x components) temporaries
        minutes = np.where(snapped, table[k].to_numpy(dtype=float) / mpm, np.nan)
        bands[i] = minutes.reshape(len(ys), len(xs))
    bands[~np.isfinite(bands)] = np.nan
    return bands
