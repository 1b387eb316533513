"""infra_geo: where a municipality's social infrastructure is within walking distance.

The public API (see the README): components and their tag rules, facilities from
OpenStreetMap, the walking network, distances and catchments, neighbourhood gap analysis,
coverage maps, and :func:`analyse` for the whole job.

Coordinate reference systems, one rule: what a planner joins with other data (facilities,
neighbourhoods and hex grids, population points, the gap table, uncovered areas, data extents,
every saved file) is in EPSG:4326; what is made of the walking network's geometry
(``net.nodes``, ``net.edges``, catchments, attachments, placed resident points) is in the
network's metric CRS, ``net.crs``. A bare shapely polygon argument is EPSG:4326 unless
``polygon_crs=`` says otherwise; ``crs=`` on a network builder is the network's output CRS.
The modules and the data flow: ``ARCHITECTURE.md``.
"""

from . import settings
from .accessibility import (
    Access,
    attach_facilities,
    catchments,
    distance_to_nearest,
    distances_at_points,
    metres_per_minute,
    nearest_facilities,
)
from .analysis import Analysis, analyse, sample_path
from .capacity import capacity_access, walking_od
from .cbs import CBSComparison, compare_with_cbs
from .comparison import COMPARE_COLUMNS_DOC, compare, compare_map
from .components import (
    COMPONENT_KEYS,
    COMPONENTS,
    Component,
    Rules,
    classify,
    component_mask,
    component_matrix,
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
from .extent import data_extent, extent_from_points, read_extent
from .gaps import gap_analysis, resident_access, uncovered_areas
from .grid import hex_grid
from .maps import coverage_map
from .neighbourhoods import (
    join_cbs_table,
    neighbourhoods_from_file,
    neighbourhoods_from_osm,
    read_cbs_table,
)
from .network import (
    WalkNetwork,
    walk_network_from_file,
    walk_network_from_place,
    walk_network_from_polygon,
)
from .population import (
    population_from_buildings,
    population_from_raster,
    population_from_streets,
    residential_buildings,
)
from .regions import RegionsResult, analyse_regions
from .scenarios import Scenario
from .siting import suggest_sites
from .sources import (
    facilities_from_bbox,
    facilities_from_file,
    facilities_from_place,
    facilities_from_polygon,
)

__version__ = "0.1.0"

__all__ = [
    "COMPARE_COLUMNS_DOC",
    "COMPONENTS",
    "COMPONENT_KEYS",
    "Access",
    "Analysis",
    "CBSComparison",
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
    "RegionsResult",
    "Rules",
    "RulesError",
    "Scenario",
    "UnknownComponentError",
    "WalkNetwork",
    "analyse",
    "analyse_regions",
    "attach_facilities",
    "capacity_access",
    "catchments",
    "classify",
    "compare",
    "compare_map",
    "compare_with_cbs",
    "component_mask",
    "component_matrix",
    "coverage_map",
    "data_extent",
    "distance_to_nearest",
    "distances_at_points",
    "extent_from_points",
    "facilities_from_bbox",
    "facilities_from_file",
    "facilities_from_place",
    "facilities_from_polygon",
    "gap_analysis",
    "hex_grid",
    "join_cbs_table",
    "load_rules",
    "metres_per_minute",
    "nearest_facilities",
    "neighbourhoods_from_file",
    "neighbourhoods_from_osm",
    "population_from_buildings",
    "population_from_raster",
    "population_from_streets",
    "read_cbs_table",
    "read_extent",
    "resident_access",
    "residential_buildings",
    "sample_path",
    "settings",
    "suggest_sites",
    "uncovered_areas",
    "walk_network_from_file",
    "walk_network_from_place",
    "walk_network_from_polygon",
    "walking_od",
]
