"""The column schema: the names of facility, unit, population and gap-table columns.

It owns every column name the package writes or reads back: the builders that make a
gap-table column name (``share("care", 10)`` -> ``"care_share_10"``), the one parser that
reads one back (:func:`parse`), the description of every gap column (from which
``infra_geo.gaps.GAP_COLUMNS_DOC`` is generated) and the required columns of the facility,
unit and population frames. ``gaps`` builds its columns here; ``maps``, the summary
(``analysis`` / ``_report``) and ``cli`` parse them here instead of matching names themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# ------------------------------------------------------------------------------------------
# facility, unit and population frames

#: columns every facility frame from ``facilities_from_*`` carries (besides the geometry)
FACILITY_COLUMNS = ("component", "components", "category", "name", "osm_type", "osm_id")
#: the column naming the components a facility serves (``classify`` adds it)
FACILITY_COMPONENTS = "components"
#: columns of a catchment frame (``catchments``)
CATCHMENT_COLUMNS = ("component", "minutes")
#: columns of a normalised unit frame (``units_frame``), besides the geometry
UNIT_ID = "unit_id"
UNIT_NAME = "unit_name"
UNIT_POPULATION = "population"
UNIT_COLUMNS = (UNIT_ID, UNIT_NAME, UNIT_POPULATION)
#: the residents-per-point column of a population frame (``population_from_*``)
POPULATION = "population"
POPULATION_COLUMNS = (POPULATION,)
#: the columns a gap table needs to be drawn on the map
GAP_KEY_COLUMNS = ("unit_id", "unit_name", "residents", "partial")

# ------------------------------------------------------------------------------------------
# gap-table measures: (measure, per group, per minutes)

#: per-group measures without a walking time, in table order
GROUP_MEASURES = (
    "facilities",
    "per_1000",
    "no_path",
    "mean_m",
    "reliable",
    "p90_m",
    "mean_min",
    "p90_min",
)
#: per-group measures per walking time, in table order
GROUP_MINUTE_MEASURES = ("share", "reached", "unreached")
#: measures over all groups per walking time, in table order
OVERALL_MINUTE_MEASURES = ("completeness", "all8_share", "rank")
#: measures that count residents (NaN when the weights are street metres)
COUNT_MEASURES = ("no_path", "per_1000", "reached", "unreached")
#: capacity measures a result gains on request (``Analysis.with_capacity``): per group and
#: walking time, supply per 1,000 residents; per group, how it was computed
CAPACITY_MINUTE_MEASURES = ("supply",)
CAPACITY_MEASURES = ("supply_method", "capacity_source")


def column(group: str | None, measure: str, minutes: float | None = None) -> str:
    """Return the gap-table column of ``measure`` for ``group`` (None: over all groups) at ``minutes``.

    Parameters
    ----------
    group : str or None
        A component or facility-group key; None for ``completeness``, ``all8_share``, ``rank``.
    measure : str
        One of :data:`GROUP_MEASURES`, :data:`GROUP_MINUTE_MEASURES` or
        :data:`OVERALL_MINUTE_MEASURES`.
    minutes : int, optional
        The walking time of a per-minutes measure.

    Returns
    -------
    str
        The column name, e.g. ``care_share_10``, ``care_mean_m`` or ``completeness_10``.
    """
    per_minutes = measure in (
        *GROUP_MINUTE_MEASURES,
        *OVERALL_MINUTE_MEASURES,
        *CAPACITY_MINUTE_MEASURES,
    )
    if per_minutes != (minutes is not None):
        raise ValueError(f"measure {measure!r} {'needs' if per_minutes else 'takes no'} minutes")
    if (group is None) != (measure in OVERALL_MINUTE_MEASURES):
        raise ValueError(f"measure {measure!r} does not fit group {group!r}")
    if measure not in (*GROUP_MEASURES, *CAPACITY_MEASURES) and not per_minutes:
        raise ValueError(f"unknown gap measure {measure!r}")
    head = measure if group is None else f"{group}_{measure}"
    return head if minutes is None else f"{head}_{_minutes_text(minutes)}"


def _minutes_text(minutes: float) -> str:
    return str(int(minutes)) if float(minutes).is_integer() else str(minutes)


def share(group: str, minutes: float) -> str:
    """``{group}_share_{minutes}``: share of residents within ``minutes`` of ``group``."""
    return column(group, "share", minutes)


def reached(group: str, minutes: float) -> str:
    """``{group}_reached_{minutes}``: residents within ``minutes`` of ``group``."""
    return column(group, "reached", minutes)


def unreached(group: str, minutes: float) -> str:
    """``{group}_unreached_{minutes}``: residents with a path longer than ``minutes``."""
    return column(group, "unreached", minutes)


def mean_m(group: str) -> str:
    """``{group}_mean_m``: population-weighted mean walking metres to ``group``."""
    return column(group, "mean_m")


def supply(group: str, minutes: float) -> str:
    """``{group}_supply_{minutes}``: capacity of ``group`` per 1,000 residents within reach."""
    return column(group, "supply", minutes)


def completeness(minutes: float) -> str:
    """``completeness_{minutes}``: mean number of components reached."""
    return column(None, "completeness", minutes)


def all8_share(minutes: float) -> str:
    """``all8_share_{minutes}``: share of residents reaching every component."""
    return column(None, "all8_share", minutes)


def rank(minutes: float) -> str:
    """``rank_{minutes}``: 1 = the worst-served unit by ``completeness_{minutes}``."""
    return column(None, "rank", minutes)


_OVERALL_RE = re.compile(r"^(completeness|all8_share|rank)_(\d+)$")
_GROUP_MIN_RE = re.compile(r"^(.+?)_(share|reached|unreached|supply)_(\d+)$")
_GROUP_RE = re.compile(r"^(.+?)_(" + "|".join(GROUP_MEASURES + CAPACITY_MEASURES) + r")$")


def parse(col: object) -> tuple[str | None, str, int | None] | None:
    """Read a gap-table measure column name back: ``(group, measure, minutes)`` or None.

    ``group`` is None for the measures over all groups (``completeness``, ``all8_share``,
    ``rank``), ``minutes`` None for the measures without a walking time. Any other name (the
    unit's ids, counts and flags, the neighbourhood file's own columns) gives None.

    Examples
    --------
    >>> parse("care_share_10")
    ('care', 'share', 10)
    >>> parse("public_space_mean_m")
    ('public_space', 'mean_m', None)
    >>> parse("all8_share_15")
    (None, 'all8_share', 15)
    >>> parse("residents") is None
    True
    """
    if not isinstance(col, str):
        return None
    mt = _OVERALL_RE.match(col)
    if mt:
        return None, mt.group(1), int(mt.group(2))
    mt = _GROUP_MIN_RE.match(col)
    if mt:
        return mt.group(1), mt.group(2), int(mt.group(3))
    mt = _GROUP_RE.match(col)
    if mt:
        return mt.group(1), mt.group(2), None
    return None


def minutes_of(columns: Iterable[object], measure: str) -> list[int]:
    """Return the sorted walking times of ``measure`` columns among ``columns``."""
    found = {p[2] for c in columns if (p := parse(c)) and p[1] == measure and p[2] is not None}
    return sorted(found)


# ------------------------------------------------------------------------------------------
# the summary table (``InfraGeoResult.summary``)


def summary_share(minutes: float) -> str:
    """Return the summary table's ``share_{minutes}min`` column."""
    return f"share_{_minutes_text(minutes)}min"


_SUMMARY_SHARE_RE = re.compile(r"^share_(\d+)min$")


def summary_minutes(col: object) -> int | None:
    """Return the walking time of a summary ``share_{m}min`` column, or None for any other."""
    mt = _SUMMARY_SHARE_RE.match(col) if isinstance(col, str) else None
    return int(mt.group(1)) if mt else None


# ------------------------------------------------------------------------------------------
# what every gap column means

#: the fixed (not per-group) columns of a gap table, in table order
UNIT_FIXED_COLUMNS = (
    "unit_id",
    "unit_name",
    "population_input",
    "residents",
    "residents_outside_data",
    "unplaced",
    "population_known",
    "population_unknown",
    "population_estimated",
    "data_share",
    "partial",
    "residents_on_islands",
    "data_problem",
    "street_m",
)

#: (column or pattern, description): ``{c}`` is a group key, ``{m}`` minutes
GAP_COLUMN_DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("unit_id, unit_name", "the neighbourhood"),
    (
        "<own columns>",
        "the neighbourhood file's own columns (BU_CODE, GM_NAAM, AANT_INW,\n"
        "afstand_*, ...) as given, after the ids; one whose name is also a\n"
        'column below gets the prefix "src_"; its normalised total\n'
        '"population" is population_input',
    ),
    (
        "population_input",
        "the unit's residents as given: its known total (e.g. CBS AANT_INW),\n"
        "or, where points not spread from that total were given (a raster,\n"
        "your own points) or the total was estimated, the sum of its points;\n"
        "NaN when unknown (population_unknown)",
    ),
    ("residents", "residents placed inside the data (the table's counts are over them)"),
    (
        "residents_outside_data",
        "residents estimated to live in the unit's part outside the data\n"
        "(partial units: population_input x (1 - data_share)); 0 otherwise",
    ),
    (
        "unplaced",
        "residents of the inside part with no building or street to put them on\n"
        "population_input = residents + residents_outside_data + unplaced",
    ),
    ("population_known", "the unit's total was known or residents were placed"),
    (
        "population_unknown",
        "the total is null or secret (CBS) while other units' totals are known,\n"
        "and no home in the data to estimate it from: no residents counted\n"
        "(not zero people)",
    ),
    (
        "population_estimated",
        "residents estimated from residential floor area\n"
        "(settings.floor_m2_per_resident m2 per resident), not counted",
    ),
    ("data_share", "share of the unit's area inside the data extent (0..1)"),
    (
        "partial",
        "data_share < settings.partial_unit_share: only the inside part's\n"
        "residents are placed; out of ranks and headline figures",
    ),
    (
        "residents_on_islands",
        "residents on a network piece cut off from the main one (or on none)",
    ),
    (
        "data_problem",
        "more than settings.data_problem_share of the residents are on cut-off\n"
        "pieces or unplaced: a data problem, not ranked, not a gap",
    ),
    ("{c}_facilities", "facilities of component c inside the unit (memberships count)"),
    ("{c}_per_1000", "{c}_facilities per 1,000 residents"),
    (
        "{c}_no_path",
        "residents with no path to any facility of c (on a piece without one,\n"
        "on no street, or c absent from the data)",
    ),
    (
        "{c}_mean_m",
        "population-weighted mean walking metres to the nearest facility of c\n"
        "over the residents with a path; NaN when more than\n"
        "settings.max_no_path_share of them have none",
    ),
    ("{c}_reliable", "the mean is reported (no-path share <= settings.max_no_path_share)"),
    (
        "{c}_p90_m",
        "90th percentile over all residents, no path counting as beyond every\n"
        "distance (inf when more than 10 % have no path)",
    ),
    ("{c}_mean_min, {c}_p90_min", "the same in minutes at the walking speed"),
    ("{c}_share_{m}", "share of residents within m minutes of c (0..1)"),
    ("{c}_reached_{m}", "residents within m minutes"),
    (
        "{c}_unreached_{m}",
        "residents with a path, but longer than m minutes\n"
        "reached + unreached + no_path = residents (each resident in one)",
    ),
    (
        "{c}_supply_{m}",
        "only when asked for (Analysis.with_capacity): capacity of c (seats,\n"
        "list size, m2, or 1 per facility: {c}_capacity_source) per 1,000\n"
        "residents within m minutes, by a floating catchment ({c}_supply_method:\n"
        "2sfca, e2sfca or gravity); the residents-weighted mean over the unit",
    ),
    (
        "{c}_supply_method, {c}_capacity_source",
        "how {c}_supply_{m} was computed and where the capacity came from:\n"
        "column:<name>, user, osm:capacity, osm:beds, osm:floor_area or\n"
        "one_per_facility (no size known: every facility counts 1)",
    ),
    ("completeness_{m}", "mean number of the eight components a resident reaches in m min"),
    ("all8_share_{m}", "share of residents reaching all eight within m minutes"),
    (
        "rank_{m}",
        "1 = the worst-served unit by completeness_{m} (units neither partial\n"
        "nor data_problem, with residents)",
    ),
    (
        "street_m",
        'only when no population is known at all (attrs["weighting"] ==\n'
        '"street-length"): the street metres that weight the shares; every\n'
        "residents count above is then NaN (street metres are not residents)",
    ),
)


def _doc_key(col: str) -> str | None:
    """Return the entry of :data:`GAP_COLUMN_DESCRIPTIONS` that describes ``col``."""
    p = parse(col)
    if p is None:
        return col if col in UNIT_FIXED_COLUMNS else None
    group, measure, minutes = p
    head = measure if group is None else "{c}_" + measure
    return head if minutes is None else head + "_{m}"


def describe(col: str) -> str | None:
    """Return the description of gap column ``col``; None when it is none of ours (an own column)."""
    key = _doc_key(col)
    if key is None:
        return None
    for names, text in GAP_COLUMN_DESCRIPTIONS:
        if key in (n.strip() for n in names.split(",")):
            return " ".join(line.strip() for line in text.splitlines())
    return None


def columns_doc(width: int = 26) -> str:
    """Return the plain-text table of :data:`GAP_COLUMN_DESCRIPTIONS` (``GAP_COLUMNS_DOC``)."""
    lines = []
    for names, text in GAP_COLUMN_DESCRIPTIONS:
        first, *rest = text.splitlines()
        lines.append(f"{names:<{width}}{first}" if len(names) < width else f"{names} {first}")
        lines += [" " * width + r for r in rest]
    return "\n".join(lines) + "\n"


def measure_columns(groups: Iterable[str], minutes: Iterable[int]) -> list[str]:
    """Every measure column of a gap table over ``groups`` and ``minutes``, in table order."""
    groups, minutes = list(groups), list(minutes)
    cols = []
    for g in groups:
        cols += [column(g, m) for m in GROUP_MEASURES]
        cols += [column(g, m, t) for t in minutes for m in GROUP_MINUTE_MEASURES]
    cols += [column(None, m, t) for t in minutes for m in ("completeness", "all8_share")]
    return cols + [rank(t) for t in minutes]


# ------------------------------------------------------------------------------------------
# the comparison of two results (``infra_geo.compare``)

#: per-group measures of a comparison per walking time, in table order
COMPARE_GROUP_MINUTE_MEASURES = (
    "newly_reached",
    "no_longer_reached",
    "reached_change",
    "share_change",
)
#: per-group measures of a comparison without a walking time, in table order
COMPARE_GROUP_MEASURES = ("mean_m_change", "median_m_change")
#: measures of a comparison over all groups per walking time
COMPARE_OVERALL_MINUTE_MEASURES = ("completeness_change",)
#: a gap column is a capacity measure when its name holds one of these (capacity_access's
#: supply per 1,000 residents joined to the gap table); a comparison diffs those both carry
CAPACITY_MARKERS = ("capacity", "supply", "2sfca", "gravity")
#: suffix of a comparison column that is the change of a capacity measure
CHANGE_SUFFIX = "_change"
#: the fixed columns of a comparison, in table order (then the measures, then the geometry)
COMPARE_FIXED_COLUMNS = ("unit_id", "unit_name", "residents", "partial", "data_problem")


def compare_column(group: str | None, measure: str, minutes: float | None = None) -> str:
    """Return the comparison column of ``measure`` for ``group`` (None: over all groups).

    Examples
    --------
    >>> compare_column("care", "newly_reached", 10)
    'care_newly_reached_10'
    >>> compare_column("care", "median_m_change")
    'care_median_m_change'
    >>> compare_column(None, "completeness_change", 5)
    'completeness_change_5'
    """
    per_minutes = measure in COMPARE_GROUP_MINUTE_MEASURES + COMPARE_OVERALL_MINUTE_MEASURES
    if measure not in COMPARE_GROUP_MEASURES and not per_minutes:
        raise ValueError(f"unknown comparison measure {measure!r}")
    if per_minutes != (minutes is not None):
        raise ValueError(f"measure {measure!r} {'needs' if per_minutes else 'takes no'} minutes")
    if (group is None) != (measure in COMPARE_OVERALL_MINUTE_MEASURES):
        raise ValueError(f"measure {measure!r} does not fit group {group!r}")
    head = measure if group is None else f"{group}_{measure}"
    return head if minutes is None else f"{head}_{_minutes_text(minutes)}"


#: (column or pattern, description) of a comparison: ``{c}`` a group key, ``{m}`` minutes
COMPARE_COLUMN_DESCRIPTIONS: tuple[tuple[str, str], ...] = (
    ("unit_id, unit_name", "the neighbourhood (the gap tables' units)"),
    (
        "residents",
        "residents placed inside the data (the same in both results: only the\nfacilities differ)",
    ),
    ("partial, data_problem", "as in the gap table: such units are not ranked"),
    (
        "{c}_newly_reached_{m}",
        "residents within m minutes of c in the second result but not in the\n"
        "first (each resident's own walk compared)",
    ),
    ("{c}_no_longer_reached_{m}", "residents within m minutes in the first but not the second"),
    (
        "{c}_reached_change_{m}",
        "newly_reached - no_longer_reached = the change of {c}_reached_{m}",
    ),
    ("{c}_share_change_{m}", "change of {c}_share_{m} (second - first, 0..1 points)"),
    (
        "{c}_mean_m_change",
        "change of {c}_mean_m (metres; NaN where either mean is not reported)",
    ),
    (
        "{c}_median_m_change",
        "change of the residents-weighted median walking metres to c (all\n"
        "residents; NaN where either median has no path)",
    ),
    ("completeness_change_{m}", "change of completeness_{m} (components reached, 0..8)"),
    (
        "<capacity>_change",
        "change of a capacity measure both gap tables carry (a column whose name\n"
        "holds capacity, supply, 2sfca or gravity); absent when they carry none",
    ),
)


def is_capacity_column(col: object) -> bool:
    """Whether gap column ``col`` is a capacity measure (see :data:`CAPACITY_MARKERS`)."""
    return isinstance(col, str) and any(m in col.lower() for m in CAPACITY_MARKERS)


def compare_columns_doc(width: int = 28) -> str:
    """Return the plain-text table of :data:`COMPARE_COLUMN_DESCRIPTIONS` (``COMPARE_COLUMNS_DOC``)."""
    lines = []
    for names, text in COMPARE_COLUMN_DESCRIPTIONS:
        first, *rest = text.splitlines()
        lines.append(f"{names:<{width}}{first}" if len(names) < width else f"{names} {first}")
        lines += [" " * width + r for r in rest]
    return "\n".join(lines) + "\n"
