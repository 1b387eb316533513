"""Errors raised on purpose by infra_geo.

Every error the library raises deliberately derives from :class:`InfraGeoError`, so a caller
can catch one class. Each message says what was wrong and what to try next.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "DataFileError",
    "EmptyDataError",
    "GeometryError",
    "InfraGeoError",
    "InputError",
    "NetworkError",
    "OnlineError",
    "OutsideDataError",
    "PlaceNotFoundError",
    "PopulationError",
    "RulesError",
    "UnknownComponentError",
]


class InfraGeoError(Exception):
    """Base class of every error infra_geo raises on purpose."""


class InputError(InfraGeoError, ValueError):
    """An argument has the wrong type or value (a zero threshold, a negative size, ...)."""


class DataFileError(InfraGeoError, OSError):
    """A data file is missing, empty, truncated, unreadable or not what its name says."""


class EmptyDataError(InfraGeoError):
    """The input holds nothing usable for the requested step (no streets, no units...)."""


class OutsideDataError(InfraGeoError):
    """The requested area does not overlap the data (a polygon outside the extract)."""


class GeometryError(InfraGeoError, ValueError):
    """A geometry is missing, empty, invalid or self-intersecting."""


class CRSError(InfraGeoError, ValueError):
    """A coordinate reference system is missing, unknown or unsuitable."""


class UnknownComponentError(InfraGeoError, KeyError):
    """A component key is not one of the eight components (or of the user's rules)."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class RulesError(InfraGeoError, ValueError):
    """A component rules file or dict is malformed."""


class PlaceNotFoundError(InfraGeoError, LookupError):
    """A place name could not be geocoded to an area."""


class OnlineError(InfraGeoError, ConnectionError):
    """An online OpenStreetMap service (Overpass, Nominatim) could not be reached or failed."""


class PopulationError(InfraGeoError, ValueError):
    """Population data is missing, unknown or inconsistent (units without residents...)."""


class NetworkError(InfraGeoError):
    """The walking network cannot be built or used as asked."""
