"""Logging through the standard library, as osmnx does."""

from __future__ import annotations

import logging
from collections.abc import Iterator
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
