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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


def minutes_text(minutes: float) -> str:
    """Minutes as written in column names and reports: ``10`` for 10.0."""
    return str(int(minutes)) if float(minutes).is_integer() else str(minutes)


_minutes_text = minutes_text


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


@dataclass(frozen=True)
class ColumnDoc:
    """What one entry of the gap table's columns means, in English and Dutch.

    ``names``: a column or pattern (``{c}`` a group key, ``{m}`` minutes), or several
    separated by ``", "``; ``labels``: one short spreadsheet header (en, nl) per name
    (``{c}`` the group's label, ``{m}`` minutes); ``unit``: a key of :data:`UNITS`;
    ``topic``: the sheet of ``gaps.xlsx`` it belongs to (a key of :data:`TOPICS`, ``""``: every
    sheet's id columns, ``None``: not in the workbook).
    """

    names: str
    en: str
    nl: str
    unit: str
    topic: str | None
    labels: tuple[tuple[str, str], ...]


#: unit key -> (English, Dutch) as shown in ``columns.csv`` and ``gaps.xlsx``
UNITS: dict[str, tuple[str, str]] = {
    "text": ("text", "tekst"),
    "residents": ("residents", "inwoners"),
    "share": ("share 0..1 (gaps.xlsx: %)", "aandeel 0..1 (gaps.xlsx: %)"),
    "flag": ("true/false", "waar/onwaar"),
    "m": ("metres", "meter"),
    "min": ("minutes", "minuten"),
    "count": ("count", "aantal"),
    "per_1000": ("per 1,000 residents", "per 1.000 inwoners"),
    "components": ("components (0..8)", "componenten (0..8)"),
    "rank": ("rank (1 = worst served)", "rang (1 = slechtst bediend)"),
    "supply": ("capacity per 1,000 residents", "capaciteit per 1.000 inwoners"),
}

#: sheet key -> (English, Dutch) sheet name of ``gaps.xlsx``, in sheet order
TOPICS: dict[str, tuple[str, str]] = {
    "overview": ("Overview", "Overzicht"),
    "shares": ("Shares within reach", "Aandelen binnen bereik"),
    "distances": ("Walking distances", "Loopafstanden"),
    "reached": ("Residents reached", "Inwoners bereikt"),
    "facilities": ("Facilities", "Voorzieningen"),
    "residents": ("Residents accounting", "Verantwoording inwoners"),
    "capacity": ("Capacity", "Capaciteit"),
}

#: every gap column: what it means (en, nl), its unit, its sheet and its headers
GAP_COLUMNS: tuple[ColumnDoc, ...] = (
    ColumnDoc(
        "unit_id, unit_name",
        "the neighbourhood",
        "de buurt (het gebied)",
        "text",
        "",
        (("code", "code"), ("neighbourhood", "buurt")),
    ),
    ColumnDoc(
        "<own columns>",
        "the neighbourhood file's own columns (BU_CODE, GM_NAAM, AANT_INW,\n"
        "afstand_*, ...) as given, after the ids; one whose name is also a\n"
        'column below gets the prefix "src_"; its normalised total\n'
        '"population" is population_input',
        "de eigen kolommen van het buurtbestand (BU_CODE, GM_NAAM, AANT_INW, afstand_*, ...) "
        "zoals aangeleverd, na de codes; een kolom met de naam van een kolom hieronder krijgt "
        'het voorvoegsel "src_"; het genormaliseerde totaal "population" is population_input',
        "text",
        None,
        (("own column", "eigen kolom"),),
    ),
    ColumnDoc(
        "population_input",
        "the unit's residents as given: its known total (e.g. CBS AANT_INW),\n"
        "or, where points not spread from that total were given (a raster,\n"
        "your own points) or the total was estimated, the sum of its points;\n"
        "NaN when unknown (population_unknown)",
        "de inwoners van het gebied zoals opgegeven: het bekende totaal (bijv. CBS AANT_INW), "
        "of, waar punten zijn opgegeven die niet uit dat totaal zijn verdeeld (een raster, "
        "eigen punten) of het totaal is geschat, de som van die punten; leeg als onbekend "
        "(population_unknown)",
        "residents",
        "residents",
        (("residents given", "inwoners opgegeven"),),
    ),
    ColumnDoc(
        "residents",
        "residents placed inside the data (the table's counts are over them)",
        "inwoners geplaatst binnen de data (de aantallen in de tabel gaan over hen)",
        "residents",
        "",
        (("residents", "inwoners"),),
    ),
    ColumnDoc(
        "residents_outside_data",
        "residents estimated to live in the unit's part outside the data\n"
        "(partial units: population_input x (1 - data_share)); 0 otherwise",
        "inwoners die naar schatting in het deel van het gebied buiten de data wonen "
        "(gedeeltelijke gebieden: population_input x (1 - data_share)); anders 0",
        "residents",
        "residents",
        (("residents outside the data", "inwoners buiten de data"),),
    ),
    ColumnDoc(
        "unplaced",
        "residents of the inside part with no building or street to put them on\n"
        "population_input = residents + residents_outside_data + unplaced",
        "inwoners van het deel binnen de data zonder gebouw of straat om ze op te plaatsen; "
        "population_input = residents + residents_outside_data + unplaced",
        "residents",
        "residents",
        (("residents not placed", "inwoners niet geplaatst"),),
    ),
    ColumnDoc(
        "population_known",
        "the unit's total was known or residents were placed",
        "het totaal van het gebied was bekend of er zijn inwoners geplaatst",
        "flag",
        "residents",
        (("population known", "inwonertal bekend"),),
    ),
    ColumnDoc(
        "population_unknown",
        "the total is null or secret (CBS) while other units' totals are known,\n"
        "and no home in the data to estimate it from: no residents counted\n"
        "(not zero people)",
        "het totaal is leeg of geheim (CBS) terwijl dat van andere gebieden bekend is, en er "
        "is geen woning in de data om het uit te schatten: geen inwoners geteld (niet: nul "
        "mensen)",
        "flag",
        "residents",
        (("population unknown", "inwonertal onbekend"),),
    ),
    ColumnDoc(
        "population_estimated",
        "residents estimated from residential floor area\n"
        "(settings.floor_m2_per_resident m2 per resident), not counted",
        "inwoners geschat uit het woonoppervlak (settings.floor_m2_per_resident m2 per "
        "inwoner), niet geteld",
        "flag",
        "residents",
        (("population estimated", "inwonertal geschat"),),
    ),
    ColumnDoc(
        "data_share",
        "share of the unit's area inside the data extent (0..1)",
        "aandeel van de oppervlakte van het gebied binnen het gebied van de data (0..1)",
        "share",
        "residents",
        (("area inside the data (%)", "oppervlakte binnen de data (%)"),),
    ),
    ColumnDoc(
        "partial",
        "data_share < settings.partial_unit_share: only the inside part's\n"
        "residents are placed; out of ranks and headline figures",
        "data_share < settings.partial_unit_share: alleen de inwoners van het deel binnen de "
        "data zijn geplaatst; niet gerangschikt en niet in de kerncijfers",
        "flag",
        "overview",
        (("partly outside the data", "gedeeltelijk buiten de data"),),
    ),
    ColumnDoc(
        "residents_on_islands",
        "residents on a network piece cut off from the main one (or on none)",
        "inwoners aan een netwerkdeel dat van het hoofdnetwerk is afgesneden (of aan geen)",
        "residents",
        "residents",
        (("residents on cut-off pieces", "inwoners op afgesneden delen"),),
    ),
    ColumnDoc(
        "data_problem",
        "more than settings.data_problem_share of the residents are on cut-off\n"
        "pieces or unplaced: a data problem, not ranked, not a gap",
        "meer dan settings.data_problem_share van de inwoners zit op afgesneden delen of is "
        "niet geplaatst: een dataprobleem, niet gerangschikt, geen tekort",
        "flag",
        "overview",
        (("data problem", "dataprobleem"),),
    ),
    ColumnDoc(
        "{c}_facilities",
        "facilities of component c inside the unit (memberships count)",
        "voorzieningen van component c binnen het gebied (lidmaatschappen tellen mee)",
        "count",
        "facilities",
        (("{c}: facilities", "{c}: voorzieningen"),),
    ),
    ColumnDoc(
        "{c}_per_1000",
        "{c}_facilities per 1,000 residents",
        "{c}_facilities per 1.000 inwoners",
        "per_1000",
        "facilities",
        (("{c}: per 1,000 residents", "{c}: per 1.000 inwoners"),),
    ),
    ColumnDoc(
        "{c}_no_path",
        "residents with no path to any facility of c (on a piece without one,\n"
        "on no street, or c absent from the data)",
        "inwoners zonder pad naar een voorziening van c (op een netwerkdeel zonder, aan geen "
        "straat, of c ontbreekt in de data)",
        "residents",
        "reached",
        (("{c}: no path", "{c}: geen pad"),),
    ),
    ColumnDoc(
        "{c}_mean_m",
        "population-weighted mean walking metres to the nearest facility of c\n"
        "over the residents with a path; NaN when more than\n"
        "settings.max_no_path_share of them have none",
        "naar inwoners gewogen gemiddelde loopafstand in meters tot de dichtstbijzijnde "
        "voorziening van c, over de inwoners met een pad; leeg als meer dan "
        "settings.max_no_path_share van hen er geen heeft",
        "m",
        "distances",
        (("{c}: mean walk (m)", "{c}: gemiddelde loopafstand (m)"),),
    ),
    ColumnDoc(
        "{c}_reliable",
        "the mean is reported (no-path share <= settings.max_no_path_share)",
        "het gemiddelde wordt gemeld (aandeel zonder pad <= settings.max_no_path_share)",
        "flag",
        None,
        (("{c}: mean reported", "{c}: gemiddelde gemeld"),),
    ),
    ColumnDoc(
        "{c}_p90_m",
        "90th percentile over all residents, no path counting as beyond every\n"
        "distance (inf when more than 10 % have no path)",
        "90e percentiel over alle inwoners, waarbij geen pad telt als verder dan elke "
        "afstand (inf, in gaps.xlsx leeg, als meer dan 10 % geen pad heeft)",
        "m",
        "distances",
        (("{c}: 90% walk within (m)", "{c}: 90% loopt binnen (m)"),),
    ),
    ColumnDoc(
        "{c}_mean_min, {c}_p90_min",
        "the same in minutes at the walking speed",
        "hetzelfde in minuten bij de loopsnelheid",
        "min",
        "distances",
        (
            ("{c}: mean walk (min)", "{c}: gemiddelde looptijd (min)"),
            ("{c}: 90% walk within (min)", "{c}: 90% loopt binnen (min)"),
        ),
    ),
    ColumnDoc(
        "{c}_share_{m}",
        "share of residents within m minutes of c (0..1)",
        "aandeel inwoners binnen m minuten van c (0..1)",
        "share",
        "shares",
        (("{c}: within {m} min (%)", "{c}: binnen {m} min (%)"),),
    ),
    ColumnDoc(
        "{c}_reached_{m}",
        "residents within m minutes",
        "inwoners binnen m minuten",
        "residents",
        "reached",
        (("{c}: reached in {m} min", "{c}: bereikt in {m} min"),),
    ),
    ColumnDoc(
        "{c}_unreached_{m}",
        "residents with a path, but longer than m minutes\n"
        "reached + unreached + no_path = residents (each resident in one)",
        "inwoners met een pad, maar langer dan m minuten; reached + unreached + no_path = "
        "residents (elke inwoner in precies één)",
        "residents",
        "reached",
        (("{c}: farther than {m} min", "{c}: verder dan {m} min"),),
    ),
    ColumnDoc(
        "{c}_supply_{m}",
        "only when asked for (Analysis.with_capacity): capacity of c (seats,\n"
        "list size, m2, or 1 per facility: {c}_capacity_source) per 1,000\n"
        "residents within m minutes, by a floating catchment ({c}_supply_method:\n"
        "2sfca, e2sfca or gravity); the residents-weighted mean over the unit",
        "alleen op verzoek (Analysis.with_capacity): capaciteit van c (plaatsen, "
        "patiëntenlijst, m2, of 1 per voorziening: {c}_capacity_source) per 1.000 inwoners "
        "binnen m minuten, met een zwevend verzorgingsgebied ({c}_supply_method: 2sfca, "
        "e2sfca of gravity); het naar inwoners gewogen gemiddelde over het gebied",
        "supply",
        "capacity",
        (("{c}: capacity per 1,000 within {m} min", "{c}: capaciteit per 1.000 binnen {m} min"),),
    ),
    ColumnDoc(
        "{c}_supply_method, {c}_capacity_source",
        "how {c}_supply_{m} was computed and where the capacity came from:\n"
        "column:<name>, user, osm:capacity, osm:beds, osm:floor_area or\n"
        "one_per_facility (no size known: every facility counts 1)",
        "hoe {c}_supply_{m} is berekend en waar de capaciteit vandaan komt: column:<naam>, "
        "user, osm:capacity, osm:beds, osm:floor_area of one_per_facility (geen omvang "
        "bekend: elke voorziening telt 1)",
        "text",
        "capacity",
        (
            ("{c}: capacity method", "{c}: capaciteitsmethode"),
            ("{c}: capacity from", "{c}: capaciteit uit"),
        ),
    ),
    ColumnDoc(
        "completeness_{m}",
        "mean number of the eight components a resident reaches in m min",
        "gemiddeld aantal van de acht componenten dat een inwoner in m min bereikt",
        "components",
        "overview",
        (("components reached in {m} min", "componenten bereikt in {m} min"),),
    ),
    ColumnDoc(
        "all8_share_{m}",
        "share of residents reaching all eight within m minutes",
        "aandeel inwoners dat alle acht binnen m minuten bereikt",
        "share",
        "overview",
        (("all 8 within {m} min (%)", "alle 8 binnen {m} min (%)"),),
    ),
    ColumnDoc(
        "rank_{m}",
        "1 = the worst-served unit by completeness_{m} (units neither partial\n"
        "nor data_problem, with residents)",
        "1 = het slechtst bediende gebied volgens completeness_{m} (gebieden niet "
        "gedeeltelijk en zonder dataprobleem, met inwoners)",
        "rank",
        "overview",
        (("rank at {m} min", "rang bij {m} min"),),
    ),
    ColumnDoc(
        "street_m",
        'only when no population is known at all (attrs["weighting"] ==\n'
        '"street-length"): the street metres that weight the shares; every\n'
        "residents count above is then NaN (street metres are not residents)",
        "alleen als er helemaal geen inwonertal bekend is (gewogen naar straatlengte): de "
        "straatmeters die de aandelen wegen; elk aantal inwoners hierboven is dan leeg "
        "(straatmeters zijn geen inwoners)",
        "m",
        "residents",
        (("street length (m)", "straatlengte (m)"),),
    ),
)

#: (column or pattern, description): ``{c}`` is a group key, ``{m}`` minutes
GAP_COLUMN_DESCRIPTIONS: tuple[tuple[str, str], ...] = tuple((d.names, d.en) for d in GAP_COLUMNS)


def _doc_key(col: str) -> str | None:
    """Return the entry of :data:`GAP_COLUMN_DESCRIPTIONS` that describes ``col``."""
    p = parse(col)
    if p is None:
        return col if col in UNIT_FIXED_COLUMNS else None
    group, measure, minutes = p
    head = measure if group is None else "{c}_" + measure
    return head if minutes is None else head + "_{m}"


def doc_of(col: str) -> tuple[ColumnDoc, int] | None:
    """Return the :data:`GAP_COLUMNS` entry describing ``col`` and the position of its name.

    None when ``col`` is none of ours (an own column of the units).
    """
    key = _doc_key(col)
    if key is None:
        return None
    for d in GAP_COLUMNS:
        names = [n.strip() for n in d.names.split(",")]
        if key in names:
            return d, names.index(key)
    return None


def describe(col: str, lang: str = "en") -> str | None:
    """Return the description of gap column ``col`` in ``lang``; None when it is none of ours."""
    found = doc_of(col)
    if found is None:
        return None
    text = found[0].nl if lang == "nl" else found[0].en
    return " ".join(line.strip() for line in text.splitlines())


def header(col: str, lang: str, group_labels: Mapping[str, str]) -> str:
    """Return the short spreadsheet header of gap column ``col`` in ``lang``.

    ``col`` itself when it is none of ours; ``group_labels`` names the groups (e.g. ``care``
    -> ``Zorg``).

    Examples
    --------
    >>> header("care_share_10", "nl", {"care": "Zorg"})
    'Zorg: binnen 10 min (%)'
    >>> header("rank_5", "en", {})
    'rank at 5 min'
    """
    found = doc_of(col)
    if found is None:
        return col
    doc, i = found
    en, nl = doc.labels[i]
    p = parse(col)
    group, minutes = (p[0], p[2]) if p is not None else (None, None)
    return (nl if lang == "nl" else en).format(
        c=group_labels.get(group, group) if group is not None else "",
        m=minutes_text(minutes) if minutes is not None else "",
    )


def columns_doc(width: int = 26) -> str:
    """Return the plain-text table of :data:`GAP_COLUMN_DESCRIPTIONS` (``GAP_COLUMNS_DOC``)."""
    return text_table(GAP_COLUMN_DESCRIPTIONS, width)


def text_table(descriptions: Iterable[tuple[str, str]], width: int) -> str:
    """Return ``(names, text)`` rows as a plain-text table, names in a column ``width`` wide."""
    lines = []
    for names, text in descriptions:
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
