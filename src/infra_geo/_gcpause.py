"""Pause Python's cyclic garbage collector around bursts of allocation that make no cycles.

The reading pass and the network build allocate tens of thousands of container objects
(pyosmium's ``Tag`` pairs, tag lists, shapely geometries) that either die at once by
reference count or live on in the result: none of them is cyclic garbage. Each 700 such
allocations start a young collection, and now and then one of them becomes a full collection
of the whole heap (Malta: ~60 ms each, paid inside whichever step allocated last). Pausing the
collector for such a step skips those collections; nothing it would have found is lost (the
next collection after the pause sees every object as before).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its state afterwards.

    Nesting and threads are safe: only the block that found the collector enabled enables
    it again, so it is never left off once every block has ended.

    Examples
    --------
    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
