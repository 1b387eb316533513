"""Logging through the standard library, as osmnx does."""

from __future__ import annotations

import logging

from . import settings

logger = logging.getLogger("infra_geo")


def log(message: str, level: int = logging.INFO) -> None:
    """Log ``message`` on the ``infra_geo`` logger at ``level``."""
    if logger.level != settings.log_level:
        logger.setLevel(settings.log_level)
    logger.log(level, message)
