"""The planner's language: numbers and the sentences of ``summary.md``, the CLI and notes.

One table of texts (:data:`TEXTS`, English and Dutch side by side) and the number formats of
each language (``nl``: ``1.234``, ``12,5 %``; ``en``: ``1,234``, ``12.5%``). Notes that a run
adds to :attr:`Analysis.notes <infra_geo.Analysis.notes>` are :class:`Note` strings: the
English text (what the API and the log show) carrying its Dutch translation.
"""

from __future__ import annotations

import math
from typing import Any

LANGS = ("nl", "en")
_NL_DIGITS = str.maketrans(",.", ".,")
#: the unit of a text column
UNIT_TEXT = {"en": "text", "nl": "tekst"}


class Note(str):
    """An English note that carries its Dutch text (``note.nl``); a plain ``str`` otherwise."""

    nl: str

    def __new__(cls, en: str, nl: str) -> Note:
        obj = super().__new__(cls, en)
        obj.nl = nl
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Note, (str(self), self.nl))


def note(key: str, **kw: Any) -> Note:
    """Return the :class:`Note` ``key`` of :data:`NOTES`.

    Numbers as ``total`` (residents) and ``m2`` (floor area per resident) are formatted per
    language.
    """
    en, nl = NOTES[key]
    fmt = {k: v for k, v in kw.items() if k not in ("total", "m2")}
    en_kw = {**fmt, **{k: number(v, "en") for k, v in kw.items() if k in ("total", "m2")}}
    nl_kw = {**fmt, **{k: number(v, "nl") for k, v in kw.items() if k in ("total", "m2")}}
    return Note(en.format(**en_kw), nl.format(**nl_kw))


#: notes a run adds to ``Analysis.notes`` (English, Dutch)
NOTES: dict[str, tuple[str, str]] = {
    "partial": (
        "{n} neighbourhood(s) lie only partly inside the data: their figures suffer from the "
        "edge effect and they are not ranked",
        "{n} buurt(en) liggen maar gedeeltelijk binnen de data: hun cijfers lijden onder het "
        "randeffect en ze worden niet gerangschikt",
    ),
    "online_streets": (
        "{total} residents spread over the streets by length (no building data online)",
        "{total} inwoners naar lengte over de straten verdeeld (online geen gebouwgegevens)",
    ),
    "street_length": (
        "no population known and no residential building: shares are weighted by street "
        "length, not residents (no residents count is reported)",
        "geen inwonertal bekend en geen woongebouw: aandelen zijn gewogen naar straatlengte, "
        "niet naar inwoners (er wordt geen aantal inwoners gemeld)",
    ),
    "estimated": (
        "residents estimated: no population total was given, so {total} residents were "
        "estimated from residential floor area ({m2} m2 per resident); shares are meaningful, "
        "absolute counts are not",
        "inwoners geschat: er was geen inwonertal opgegeven, dus zijn {total} inwoners geschat "
        "uit het woonoppervlak ({m2} m2 per inwoner); aandelen zijn zinvol, absolute aantallen "
        "niet",
    ),
}


def note_text(note: str, lang: str) -> str:
    """``note`` in ``lang`` (its Dutch text where it carries one)."""
    return str(getattr(note, "nl", note)) if lang == "nl" else str(note)


def number(v: Any, lang: str, decimals: int = 0) -> str:
    """Format ``v`` with the thousands separators of ``lang`` (nl ``1.234,5``, en ``1,234.5``).

    ``–`` if missing or infinite.

    Examples
    --------
    >>> number(1234.5, "nl", 1), number(1234.5, "en", 1), number(float("nan"), "nl")
    ('1.234,5', '1,234.5', '–')
    """
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        try:
            v = float(v)
        except (TypeError, ValueError):
            return "–"
        if not math.isfinite(v):
            return "–"
    text = f"{float(v):,.{decimals}f}"
    if lang == "nl":
        text = text.translate(_NL_DIGITS)
    return text


def percent(share: Any, lang: str, decimals: int = 0) -> str:
    """Format a share (0..1) as a percentage: nl ``12,5 %``, en ``12.5%``; ``–`` if missing.

    Examples
    --------
    >>> percent(0.125, "nl", 1), percent(0.125, "en", 1), percent(0.57, "nl")
    ('12,5 %', '12.5%', '57 %')
    """
    text = number(None if share is None else float(share) * 100, lang, decimals)
    if text == "–":
        return text
    return f"{text} %" if lang == "nl" else f"{text}%"


def t(key: str, lang: str, **kw: Any) -> str:
    """Return the text ``key`` of :data:`TEXTS` in ``lang``, formatted with ``kw``."""
    en, nl = TEXTS[key]
    return (nl if lang == "nl" else en).format(**kw)


def phrase(text: str, lang: str) -> str:
    """Translate a fixed English phrase of the package (a data source, an extent's origin) in ``lang``."""
    if lang != "nl":
        return text
    for en, nl in PHRASES:
        if text.startswith(en):
            text = nl + text[len(en) :]
    for en, nl in PHRASES:
        text = text.replace(en, nl)
    return text


#: fixed phrases that reach the summary from other modules (extent origins, the sample)
PHRASES: tuple[tuple[str, str], ...] = (
    ("embedded sample ", "ingebouwd voorbeeld "),
    ("given by the user (extent=)", "opgegeven door de gebruiker (--extent / extent=)"),
    (
        "derived from the data (buildings and street loops)",
        "afgeleid uit de data (gebouwen en straatlussen)",
    ),
    (
        "the hull of the walking network (no building or street loop)",
        "de omhullende van het loopnetwerk (geen gebouw of straatlus)",
    ),
    ("the area asked for online", "het online gevraagde gebied"),
    (", clipped to the polygon", ", bijgesneden tot de polygoon"),
)

#: key -> (English, Dutch); ``{name}`` fields are filled by :func:`t`
TEXTS: dict[str, tuple[str, str]] = {
    "title": (
        "infra_geo: social infrastructure within walking distance ({source})",
        "infra_geo: sociale infrastructuur op loopafstand ({source})",
    ),
    "facts_facilities": (
        "facilities: {n}; walking network: {nodes} nodes, {km} km ({crs})",
        "voorzieningen: {n}; loopnetwerk: {nodes} knopen, {km} km ({crs})",
    ),
    "facts_units": (
        "neighbourhoods: {n} ({partial} only partly inside the data, not ranked)",
        "buurten: {n} ({partial} maar gedeeltelijk binnen de data, niet gerangschikt)",
    ),
    "facts_speed": (
        "walking speed {speed} km/h; thresholds {minutes}",
        "loopsnelheid {speed} km/u; drempels {minutes}",
    ),
    "minutes": ("{m} min", "{m} min"),
    "facts_extent": (
        "data extent: {km2} km2, {source}; neighbourhoods less than {share} inside it are partial",
        "gebied van de data: {km2} km2, {source}; buurten die voor minder dan {share} "
        "daarbinnen liggen, zijn gedeeltelijk",
    ),
    "facts_population": (
        "population unknown (secret or missing) for {unknown} unit(s) with no home in the data "
        "(no residents counted); estimated from residential floor area for {estimated}",
        "inwonertal onbekend (geheim of ontbrekend) voor {unknown} gebied(en) zonder woning in de "
        "data (geen inwoners geteld); geschat uit woonoppervlak voor {estimated}",
    ),
    "note": ("note: {text}", "let op: {text}"),
    "h_reach_residents": (
        "Residents within reach, per component (headline units)",
        "Inwoners binnen bereik, per component (kerngebieden)",
    ),
    "h_reach_street": (
        "Street length (not residents) within reach, per component (headline units)",
        "Straatlengte (geen inwoners) binnen bereik, per component (kerngebieden)",
    ),
    "col_component": ("component", "component"),
    "col_facilities": ("facilities", "voorzieningen"),
    "col_within": ("within {m} min", "binnen {m} min"),
    "col_mean_walk": ("mean walk (m)", "gemiddelde loopafstand (m)"),
    "h_worst": ("Worst-served neighbourhoods ({m} min)", "Slechtst bediende buurten ({m} min)"),
    "worst_tie": (
        "All {n} ranked neighbourhoods reach {c} of {k} components within {m} min: the order "
        "above is a tie, not a difference.",
        "Alle {n} gerangschikte buurten bereiken {c} van de {k} componenten binnen {m} min: de "
        "volgorde hierboven is een gelijke stand, geen verschil.",
    ),
    "col_rank": ("rank", "rang"),
    "col_unit": ("neighbourhood", "buurt"),
    "col_residents": ("residents", "inwoners"),
    "col_street_km": ("street km", "straat-km"),
    "col_completeness": (
        "components reached (mean of 8)",
        "componenten bereikt (gemiddeld, van 8)",
    ),
    "h_problems": (
        "Data problems (not ranked, not in the headline)",
        "Dataproblemen (niet gerangschikt, niet in de kerncijfers)",
    ),
    "problems_text": (
        "Most residents of these units live on network pieces cut off from the rest, or could "
        "not be placed on a building or street: check the data, not the neighbourhood.",
        "De meeste inwoners van deze gebieden wonen aan netwerkdelen die van de rest zijn "
        "afgesneden, of konden niet op een gebouw of straat worden geplaatst: controleer de "
        "data, niet de buurt.",
    ),
    "col_on_islands": ("on cut-off pieces", "op afgesneden delen"),
    "col_unplaced": ("unplaced", "niet geplaatst"),
    "footer": (
        "Data © OpenStreetMap contributors (ODbL). Generated by infra_geo.",
        "Gegevens © OpenStreetMap-bijdragers (ODbL). Gemaakt met infra_geo.",
    ),
    "outputs": (
        "Files: gaps.xlsx (tables for planners, one sheet per topic, with an explanation of "
        "every column), gaps.csv / gaps.gpkg (machine-readable; columns.csv explains their "
        "columns), map.html, facilities.gpkg, catchments.gpkg, walk_minutes.tif.",
        "Bestanden: gaps.xlsx (tabellen voor planners, één blad per onderwerp, met uitleg van "
        "elke kolom), gaps.csv / gaps.gpkg (machineleesbaar; columns.csv legt hun kolommen "
        "uit), map.html, facilities.gpkg, catchments.gpkg, walk_minutes.tif.",
    ),
    # what the headline covers (Analysis.coverage_text)
    "cov_left": ("{n} partial unit(s)", "{n} gedeeltelijk(e) gebied(en)"),
    "cov_left_problems": (
        " and {n} other unit(s) with a data problem",
        " en {n} ander(e) gebied(en) met een dataprobleem",
    ),
    "cov_street": (
        "no population known: shares are weighted by street length, not residents (no "
        "residents count); headline covers {head} of {units} units ({left} left out)",
        "geen inwonertal bekend: aandelen zijn gewogen naar straatlengte, niet naar inwoners "
        "(geen aantal inwoners); kerncijfers over {head} van {units} gebieden ({left} "
        "weggelaten)",
    ),
    "cov_residents": (
        "headline covers {head} of {total} residents ({units} units; {left} left out; "
        "{outside} residents live outside the data, {unplaced} could not be placed)",
        "kerncijfers over {head} van {total} inwoners ({units} gebieden; {left} weggelaten; "
        "{outside} inwoners wonen buiten de data, {unplaced} konden niet worden geplaatst)",
    ),
    # the CBS comparison (cbs.summary_section)
    "h_cbs": (
        "Walking distance next to CBS nabijheid (buurten wholly inside the data)",
        "Loopafstand naast CBS-nabijheid (buurten geheel binnen de data)",
    ),
    "cbs_text": (
        "Population-weighted mean walk to the nearest facility mapped in OSM (groups of "
        "`cbs_nabijheid.toml`) against CBS's mean distance along roads from every address to "
        "facilities anywhere: a comparison, not ground truth. CBS figures: Bron: CBS (CC BY 4.0).",
        "Naar inwoners gewogen gemiddelde looproute naar de dichtstbijzijnde in OSM gekarteerde "
        "voorziening (groepen van `cbs_nabijheid.toml`) tegenover de gemiddelde afstand van CBS "
        "over de weg vanaf elk adres naar voorzieningen waar dan ook: een vergelijking, geen "
        "grondwaarheid. Bron: CBS (CC BY 4.0).",
    ),
    "cbs_not_compared": ("Not compared: {why}", "Niet vergeleken: {why}"),
    # the terminal summary of the CLI
    "cli_head": (
        "{source}: {fac} facilities, {units} neighbourhoods; {coverage}",
        "{source}: {fac} voorzieningen, {units} buurten; {coverage}",
    ),
    "cli_wrote": (
        "wrote {n} files to {out}: {files}",
        "{n} bestanden geschreven in {out}: {files}",
    ),
    # gaps.xlsx and columns.csv
    "sheet_columns": ("Columns", "Kolommen"),
    "col_sheet": ("sheet", "blad"),
    "col_header": ("header", "kop"),
    "col_name": ("column in gaps.csv", "kolom in gaps.csv"),
    "col_unit_of": ("unit", "eenheid"),
    "col_meaning": ("meaning", "betekenis"),
    "col_why_blank": ("why blank", "waarom leeg"),
    "why_blank_meaning": (
        "why the row's blank cells are blank (the data does not allow a defensible figure)",
        "waarom de lege cellen van de rij leeg zijn (de data laat geen verdedigbaar cijfer toe)",
    ),
    "yes": ("yes", "ja"),
    "no": ("no", "nee"),
    "own_column": (
        "a column of the neighbourhood file (or grid), as given",
        "een kolom van het buurtbestand (of raster), zoals aangeleverd",
    ),
    "every_sheet": ("every sheet", "elk blad"),
    "why_blank_note": (
        "A blank cell is explained in the sheet's last column; the values are rounded "
        "(shares in % with 1 decimal, metres whole, minutes 1 decimal, residents whole); "
        "gaps.csv holds them unrounded.",
        "Een lege cel wordt uitgelegd in de laatste kolom van het blad; de waarden zijn "
        "afgerond (aandelen in % met 1 decimaal, meters heel, minuten 1 decimaal, inwoners "
        "heel); gaps.csv bevat ze onafgerond.",
    ),
    "reason_street": (
        "no population known: weighted by street length, no residents count",
        "geen inwonertal bekend: gewogen naar straatlengte, geen aantal inwoners",
    ),
    "reason_no_path": (
        "mean/90% of a component left blank: more than {share} of the residents have no path "
        "to it (a mean over the others would flatter the unit)",
        "gemiddelde/90% van een component leeg: meer dan {share} van de inwoners heeft er geen "
        "pad naartoe (een gemiddelde over de anderen zou het gebied gunstiger voorstellen)",
    ),
    "reason_partial": (
        "partly outside the data: not ranked",
        "gedeeltelijk buiten de data: niet gerangschikt",
    ),
    "reason_problem": (
        "data problem (residents on cut-off network pieces or unplaced): not ranked",
        "dataprobleem (inwoners op afgesneden netwerkdelen of niet geplaatst): niet gerangschikt",
    ),
    "reason_unknown": (
        "population unknown (secret or missing), no home in the data to estimate it from",
        "inwonertal onbekend (geheim of ontbrekend), geen woning in de data om het te schatten",
    ),
    "reason_no_residents": (
        "no residents: no share, no rank",
        "geen inwoners: geen aandeel, geen rang",
    ),
    "reason_other": ("not available", "niet beschikbaar"),
}
