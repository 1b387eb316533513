"""Hand the C heap's free pages back to the system after the big steps of a job.

glibc's ``malloc`` keeps memory that numpy, GEOS and pandas have freed in its arenas (one per
thread that allocated: the background threads of :mod:`infra_geo._ahead` have their own),
and returns it to the system only from the top of a heap. After a step that allocated and
freed a lot, most of it stays resident although nothing uses it. On Malta, after the map's
rings were cut ahead, ``malloc_trim(0)`` took the process from 837 to 659 MiB in 22 ms
(the rings themselves, kept for the map, hold ~20 MiB). Elsewhere (macOS, musl) it does
nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """Return glibc's ``malloc_trim``, or None where the C library has none."""
    try:
        fn = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError, TypeError):  # no malloc_trim; Windows: no CDLL(None)
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def release_free_memory() -> bool:
    """Return whether free heap pages went back to the system (glibc ``malloc_trim(0)``).

    The free pages of every arena are released (``madvise``), not only the top of each
    heap; allocated memory is untouched, so no result depends on it.
    """
    fn = _malloc_trim()
    return bool(fn(0)) if fn is not None else False
