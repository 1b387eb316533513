"""Logging through the standard library, as osmnx does."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import settings

logger = logging.getLogger("infra_geo")
_quiet = 0


@contextmanager
def quiet() -> Iterator[None]:
    """Hold back messages below ERROR: for internal re-runs of steps already reported once."""
    global _quiet
    _quiet += 1
    try:
        yield
    finally:
        _quiet -= 1


def log(message: str, level: int = logging.INFO) -> None:
    """Log ``message`` on the ``infra_geo`` logger at ``level``."""
    if _quiet and level < logging.ERROR:
        return
    if logger.level != settings.log_level:
        logger.setLevel(settings.log_level)
    logger.log(level, message)


def stage_clock(
    progress: Callable[[str], None] | None, timings: dict[str, float]
) -> Callable[[str], Callable[[], None]]:
    """Return ``stage``: ``stage(name)`` reports a stage to ``progress``, returns ``done()``.

    ``done()`` records the stage's seconds in ``timings``.
    """
    step = progress or (lambda name: None)

    def stage(name: str) -> Callable[[], None]:
        step(name)
        t0 = time.perf_counter()

        def done() -> None:
            timings[name] = time.perf_counter() - t0

        return done

    return stage
