"""Global defaults a user may change.

Set them as plain module attributes, e.g. ``infra_geo.settings.walk_speed_kmh = 4.0``.
Functions read them at call time, so a change applies to every later call.

Attributes
----------
walk_speed_kmh : float
    Default walking speed, km/h (4.8 km/h = 80 m per minute, the usual planning figure).
walk_speed_elderly_kmh : float
    Documented slower preset for older people and people with a walking aid (3.6 km/h,
    60 m per minute); pass it as ``speed_kmh=settings.walk_speed_elderly_kmh``.
default_minutes : tuple of int
    Default walking-time thresholds, minutes.
snap_tolerance_m : float
    A facility or resident farther than this from any walkable edge is not attached to the
    network; it is reported (logged and flagged), never silently attached.
area_sample_m : float
    Spacing of sample points along the boundary of an area facility (park, square, pitch).
area_snap_m : float
    A boundary sample closer than this to a walkable edge is an access point of the area.
catchment_buffer_m : float
    Half-width of the street front a catchment covers on each side of a reachable street.
partial_unit_share : float
    A neighbourhood with less than this share of its area inside the data extent is flagged
    ``partial`` (edge effect): its figures are kept but it is not ranked as a gap.
min_residential_footprint_m2 : float
    Buildings with a smaller footprint (sheds, garages) do not receive residents.
floor_m2_per_resident : float
    Residential floor area per resident (50 m2, about the Dutch average living space per
    person), used only to *estimate* residents where no count is known (a unit whose CBS
    ``AANT_INW`` is secret or missing but which has homes in the data); such units are
    flagged ``population_estimated``.
max_no_path_share : float
    A unit's ``{c}_mean_m`` is reported only when at most this share of its residents has
    no walking path to any facility of c; above it the mean is NaN and ``{c}_reliable``
    False (a mean over the residents who have a path would flatter the unit).
data_problem_share : float
    A unit where more than this share of its residents lives on network pieces cut off from
    the main one (or on no street), or cannot be placed at all, is flagged ``data_problem``:
    a problem of the data, not of the neighbourhood; it is not ranked and is left out of the
    headline figures.
metric_crs : str or None
    Force one projected CRS for every network (e.g. ``"EPSG:28992"``); ``None`` chooses
    RD New inside the Netherlands and the local UTM zone elsewhere.
overpass_url, nominatim_url : str or None
    Online endpoints; ``None`` keeps osmnx's own setting. Tests point these at a local
    stand-in server.
use_cache : bool
    Let osmnx cache online responses (in ``cache_folder``).
cache_folder : str
    Folder for osmnx's HTTP cache.
requests_timeout : float
    Seconds to wait for an online service.
log_level : int
    Level of the ``infra_geo`` logger (``logging.INFO`` by default).
walk_filter : str
    osmnx's ``network_type="walk"`` way filter (Overpass QL): the ``"osmnx"`` walk profile.
walk_profile : {"auto", "nl", "osmnx"}
    Which ways are walkable by default: ``"nl"`` (the Dutch pedestrian network, see
    ``infra_geo._walk_profiles`` and the README) inside the Netherlands under ``"auto"``,
    ``"osmnx"`` (``walk_filter``) elsewhere.
ferry_speed_kmh, ferry_wait_min : float
    Speed of a pedestrian ferry without a ``duration`` tag, and the wait added to every
    crossing; a ferry edge weighs (crossing + wait) minutes at ``walk_speed_kmh``.
separate_sidewalk_m, separate_sidewalk_share : float
    A road tagged ``sidewalk=separate`` leaves the "nl" network only where a separately
    mapped footway/path/cycleway lies within ``separate_sidewalk_m`` of at least
    ``separate_sidewalk_share`` of its length.
"""

from __future__ import annotations

import logging

walk_speed_kmh: float = 4.8
walk_speed_elderly_kmh: float = 3.6
default_minutes: tuple[int, ...] = (5, 10, 15)
snap_tolerance_m: float = 250.0
area_sample_m: float = 20.0
area_snap_m: float = 30.0
catchment_buffer_m: float = 50.0
partial_unit_share: float = 0.95
min_residential_footprint_m2: float = 30.0
floor_m2_per_resident: float = 50.0
max_no_path_share: float = 0.1
data_problem_share: float = 0.5
metric_crs: str | None = None
overpass_url: str | None = None
nominatim_url: str | None = None
use_cache: bool = True
cache_folder: str = "./cache"
requests_timeout: float = 180.0
log_level: int = logging.INFO

#: The osmnx 2.1 ``network_type="walk"`` way filter, in Overpass QL. Files are filtered with
#: the same expression (see ``infra_geo._tagfilter``) so offline and online networks agree.
walk_filter: str = (
    '["highway"]["area"!~"yes"]["access"!~"private"]'
    '["highway"!~"abandoned|bus_guideway|construction|cycleway|motor|no|planned|'
    'platform|proposed|raceway|razed|rest_area|services"]'
    '["foot"!~"no"]["service"!~"private"]'
    '["sidewalk"!~"separate"]["sidewalk:both"!~"separate"]'
    '["sidewalk:left"!~"separate"]["sidewalk:right"!~"separate"]'
)

#: Which ways are walkable: ``"auto"`` (``"nl"`` inside the Netherlands, ``"osmnx"``
#: elsewhere), ``"nl"`` (the Dutch pedestrian network: cycle paths, foot=yes on any road,
#: ferries; see ``infra_geo._walk_profiles``) or ``"osmnx"`` (``walk_filter`` above).
walk_profile: str = "auto"
#: Speed of a pedestrian ferry without a ``duration`` tag, km/h (Amsterdam's IJ ferries
#: cross 400-1,000 m in 3-8 minutes).
ferry_speed_kmh: float = 8.0
#: Minutes added to every ferry crossing for waiting (half the usual 10-minute headway).
ferry_wait_min: float = 5.0
#: A road tagged ``sidewalk=separate`` is dropped from the "nl" network only where a
#: separately mapped footway, path or cycleway lies within this many metres of at least
#: ``separate_sidewalk_share`` of its length (sampled every 10 m); otherwise it is kept.
separate_sidewalk_m: float = 20.0
separate_sidewalk_share: float = 0.5
