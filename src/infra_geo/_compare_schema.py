"""The column names of a comparison of two results (:func:`infra_geo.compare`).

The comparison's counterpart of :mod:`infra_geo._schema`: its measures, the one builder of
its column names and what every column means (``COMPARE_COLUMNS_DOC`` is generated here).
"""

from __future__ import annotations

from ._schema import minutes_text as _minutes_text
from ._schema import text_table

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
    return text_table(COMPARE_COLUMN_DESCRIPTIONS, width)
