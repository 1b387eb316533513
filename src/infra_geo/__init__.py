"""infra_geo: where a municipality's social infrastructure is within walking distance.

The public API (see the README): components and their tag rules, facilities from
OpenStreetMap, the walking network, distances and catchments, neighbourhood gap analysis,
coverage maps, and :func:`analyse` for the whole job.
"""

from . import settings
from .components import (
    COMPONENT_KEYS,
    COMPONENTS,
    Component,
    Rules,
    classify,
    component_mask,
    load_rules,
)
from .errors import (
    CRSError,
    DataFileError,
    EmptyDataError,
    GeometryError,
    InfraGeoError,
    InputError,
    NetworkError,
    OnlineError,
    OutsideDataError,
    PlaceNotFoundError,
    PopulationError,
    RulesError,
    UnknownComponentError,
)
from .sources import (
    facilities_from_bbox,
    facilities_from_file,
    facilities_from_place,
    facilities_from_polygon,
)

__version__ = "0.1.0"

__all__ = [
    "COMPONENTS",
    "COMPONENT_KEYS",
    "CRSError",
    "Component",
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
    "Rules",
    "RulesError",
    "UnknownComponentError",
    "classify",
    "component_mask",
    "facilities_from_bbox",
    "facilities_from_file",
    "facilities_from_place",
    "facilities_from_polygon",
    "load_rules",
    "settings",
]
