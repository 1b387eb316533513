"""Merging a many-region batch: one gap table, an overview map and a summary, all or nothing.

The regions' gap tables (``regions/<key>/gaps.gpkg``) become one table over every unit, with
``region_key`` and ``region_name`` and the ranks recomputed over all units (a region's own
``rank_{m}`` ranks it among its own units only). ``merged/`` gets ``gaps.parquet``
(GeoParquet), ``gaps.gpkg``, ``map.html`` (the regions coloured by a share the planner
chooses: all eight components or one, with a link to each region's own map) and
``summary.md`` (what the shares cover, the residents left out or outside every region, and
per region each component's share), written into a scratch folder and swapped
in as one set (:mod:`infra_geo._outdir`).
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import _i18n, _schema
from ._report import _md, _to_gpkg, swap_into
from .components import COMPONENTS

#: what the merge writes into ``<out>/merged/``
MERGED_FILES = ("gaps.parquet", "gaps.gpkg", "map.html", "summary.md")


def merged_gaps(out: Path, regions: gpd.GeoDataFrame, keys: list[str]) -> gpd.GeoDataFrame:
    """Return the gap tables of the regions ``keys`` as one, ranked over every unit."""
    names = dict(zip(regions["region_key"], regions["region_name"], strict=True))
    parts = []
    for key in keys:
        g = gpd.read_file(out / "regions" / key / "gaps.gpkg", layer="gaps")
        g["region_key"] = key
        g["region_name"] = names.get(key, key)
        parts.append(g)
    if not parts:
        return gpd.GeoDataFrame({"unit_id": []}, geometry=[], crs="EPSG:4326")
    g = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    g = g.sort_values("unit_id", kind="stable").reset_index(drop=True)
    for m in _schema.minutes_of(g.columns, "rank"):
        g[_schema.rank(m)] = _ranks(g, m)
    cols = ["unit_id", "unit_name", "region_key", "region_name"]
    return g[cols + [c for c in g.columns if c not in cols]]


def _ranks(g: pd.DataFrame, minutes: float) -> pd.Series:
    """Rank 1 = the worst-served unit by completeness, over units neither partial nor problems."""
    ok = (~g["partial"].astype(bool)) & (~g["data_problem"].astype(bool)) & (g["residents"] > 0)
    score = g[_schema.completeness(minutes)].where(ok)
    order = g.assign(_s=score).sort_values(["_s", "unit_id"], na_position="last").index
    rank = pd.Series(np.nan, index=g.index)
    rank.loc[order[: int(ok.sum())]] = np.arange(1, int(ok.sum()) + 1)
    return rank.astype("Int64")


def region_headline(gaps: pd.DataFrame, regions: gpd.GeoDataFrame, minutes: float) -> pd.DataFrame:
    """Per region: units, residents, what the headline covers and its shares within ``minutes``.

    The shares cover the region's *headline units* (neither ``partial`` nor ``data_problem``,
    with residents), weighted by residents, as the single-run summary does: ``share`` (all
    eight components) and one column per component key. ``head_units`` /
    ``head_residents`` are what the shares cover, ``left_units`` / ``left_residents`` the
    partial and data-problem units left out. Rows are sorted by region name (case-folded),
    then key; a region without units (failed, empty) has blanks.
    """
    keys = [c.key for c in COMPONENTS]
    base = regions[["region_key", "region_name"]].reset_index(drop=True)
    order = sorted(
        range(len(base)),
        key=lambda i: (
            str(base["region_name"].iloc[i]).casefold(),
            str(base["region_key"].iloc[i]),
        ),
    )
    base = base.iloc[order].reset_index(drop=True)
    measures = ["share", *keys]
    if len(gaps) == 0:
        empty = dict.fromkeys(["units", "head_units", "left_units"], 0)
        more = dict.fromkeys(["residents", "head_residents", "left_residents"], 0.0)
        return base.assign(**empty, **more, **dict.fromkeys(measures, np.nan))
    by = gaps["region_key"].to_numpy()
    res = pd.to_numeric(gaps["residents"], errors="coerce").fillna(0.0)
    left = gaps["partial"].astype(bool) | gaps["data_problem"].astype(bool)
    head = ~left & (res > 0)
    w = res.where(head, 0.0)
    den = w.groupby(by).sum()
    cols: dict[str, pd.Series] = {
        "units": gaps.groupby(by).size(),
        "residents": res.groupby(by).sum(),
        "head_units": head.groupby(by).sum().astype(int),
        "head_residents": den,
        "left_units": left.groupby(by).sum().astype(int),
        "left_residents": res.where(left, 0.0).groupby(by).sum(),
    }
    cols_share = {"share": _schema.all8_share(minutes)}
    cols_share.update({k: _schema.share(k, minutes) for k in keys})
    for name, col in cols_share.items():
        if col not in gaps.columns:
            cols[name] = pd.Series(np.nan, index=den.index)
            continue
        v = pd.to_numeric(gaps[col], errors="coerce").fillna(0.0)
        cols[name] = ((v * w).groupby(by).sum() / den.where(den > 0)).clip(0.0, 1.0)
    return base.join(pd.DataFrame(cols), on="region_key")


def coverage_line(gaps: pd.DataFrame, lang: str) -> str:
    """Return what the region shares cover, in one line, as the single-run summary says it.

    Over every unit of the merged table: the residents of the headline units out of all
    residents the units hold (as given or estimated, including those outside the data and
    those that could not be placed), the partial and data-problem units left out and their
    residents.
    """
    n = _i18n.number
    if len(gaps) == 0:
        return "Geen eenheid berekend." if lang == "nl" else "No unit computed."
    res = pd.to_numeric(gaps["residents"], errors="coerce").fillna(0.0)
    partial = gaps["partial"].astype(bool)
    problem = gaps["data_problem"].astype(bool) & ~partial
    head = ~partial & ~problem & (res > 0)
    total_col = "population_input" if "population_input" in gaps.columns else "residents"
    left = _i18n.t("cov_left", lang, n=int(partial.sum()))
    if problem.any():
        left += _i18n.t("cov_left_problems", lang, n=int(problem.sum()))
    text = _i18n.t(
        "cov_residents",
        lang,
        head=n(float(res[head].sum()), lang),
        total=n(float(np.nansum(pd.to_numeric(gaps[total_col], errors="coerce"))), lang),
        units=n(int(head.sum()), lang),
        left=left,
        outside=n(_col_sum(gaps, "residents_outside_data"), lang),
        unplaced=n(_col_sum(gaps, "unplaced"), lang),
    )
    gone = n(float(res[partial | problem].sum()), lang)
    text += (
        f". De weggelaten eenheden hebben samen {gone} inwoners (per regio in de tabel van summary.md en in de pop-ups van map.html)."
        if lang == "nl"
        else f". The units left out hold {gone} residents (per region in the table of summary.md and the popups of map.html)."
    )
    return text[:1].upper() + text[1:]


def _col_sum(gaps: pd.DataFrame, col: str) -> float:
    """Return the sum of a numeric column of the gap table (0 when it is absent)."""
    if col not in gaps.columns:
        return 0.0
    return float(np.nansum(pd.to_numeric(gaps[col], errors="coerce")))


def _measures(minutes: float, lang: str) -> list[tuple[str, str, str]]:
    """Return ``(column of region_headline, short label, caption)`` of every map/table measure."""
    m = _schema.minutes_text(minutes)
    nl = lang == "nl"
    out = [
        (
            "share",
            f"alle 8 binnen {m} min" if nl else f"all 8 within {m} min",
            f"aandeel inwoners dat alle 8 componenten binnen {m} min lopen bereikt"
            if nl
            else f"share of residents reaching all 8 components within a {m} min walk",
        )
    ]
    for c in COMPONENTS:
        label = c.label(lang)
        out.append(
            (
                c.key,
                label,
                f"aandeel inwoners met {label} binnen {m} min lopen"
                if nl
                else f"share of residents within a {m} min walk of {label}",
            )
        )
    return out


#: the overview map's classes of a share (upper bounds but the last) and their colours
_CLASSES = (0.2, 0.4, 0.6, 0.8)
_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
_NO_DATA = "#bbbbbb"

_SWITCH_JS = """
{% macro script(this, kwargs) %}
(function() {
    var map = {{ this._parent.get_name() }};
    var geo = {{ this.layer.get_name() }};
    var labels = {{ this.labels|tojson }};
    var captions = {{ this.captions|tojson }};
    geo.eachLayer(function(l) {
        l.bindTooltip(l.feature.properties.tips[0]);
        l.bindPopup(l.feature.properties.popup, {maxWidth: 380});
    });
    var ctl = L.control({position: "topright"});
    ctl.onAdd = function() {
        var div = L.DomUtil.create("div", "ig-legend");
        var opts = labels.map(function(t, i) {
            return '<option value="' + i + '">' + t + '</option>';
        }).join("");
        div.innerHTML = '<select class="ig-measure" aria-label="' + {{ this.choose|tojson }} +
            '">' + opts + '</select><div class="ig-legend-title"></div>' + {{ this.legend|tojson }};
        L.DomEvent.disableClickPropagation(div);
        var sel = div.querySelector("select"), cap = div.querySelector(".ig-legend-title");
        function show(i) {
            cap.innerHTML = captions[i];
            geo.eachLayer(function(l) {
                l.setStyle({fillColor: l.feature.properties.fills[i]});
                l.setTooltipContent(l.feature.properties.tips[i]);
            });
        }
        sel.addEventListener("change", function() { show(+sel.value); });
        show(0);
        return div;
    };
    ctl.addTo(map);
})();
{% endmacro %}
"""


def _switch(geo: Any, measures: list[tuple[str, str, str]], lang: str) -> Any:
    """Return the map's measure select with its caption and legend (restyles ``geo``)."""
    from branca.element import MacroElement
    from folium.template import Template

    class _Switch(MacroElement):
        _template = Template(_SWITCH_JS)

        def __init__(self) -> None:
            super().__init__()
            self._name = "InfraGeoRegionMeasure"
            self.layer = geo
            self.labels = [html.escape(lab) for _, lab, _ in measures]
            self.captions = [html.escape(cap) for _, _, cap in measures]
            self.choose = "maat" if lang == "nl" else "measure"
            self.legend = _legend_html(lang)

    return _Switch()


def _colour(share: float) -> str:
    """Return the fill colour of a share on the overview map (grey when there is none)."""
    if not np.isfinite(share):
        return _NO_DATA
    return _COLOURS[int(np.searchsorted(_CLASSES, share, side="right"))]


def _legend_html(lang: str) -> str:
    """Return the overview map's legend swatches (0-20 %, ..., 80-100 %, no data)."""
    edges = (0.0, *_CLASSES, 1.0)
    rows = [
        f'<div><i style="background:{c}"></i>{_i18n.percent(a, lang)} – '
        f"{_i18n.percent(b, lang)}</div>"
        for c, a, b in zip(_COLOURS, edges[:-1], edges[1:], strict=True)
    ]
    none = "geen gegevens" if lang == "nl" else "no data"
    return "".join(rows) + f'<div><i style="background:{_NO_DATA}"></i>{none}</div>'


def _popup(r: Any, measures: list[tuple[str, str, str]], lang: str, mapped: bool) -> str:
    """Return one region's popup (HTML; every OSM-derived text escaped)."""
    nl, n = lang == "nl", _i18n.number
    name = html.escape(str(r["region_name"]))
    if not pd.notna(r["units"]) or int(r["units"]) == 0:
        why = html.escape(str(r.get("status") or "-"))
        return f"<b>{name}</b><br>{'geen gegevens' if nl else 'no data'} ({why})"
    head = (
        f"{n(int(r['units']), lang)} eenheden, {n(float(r['residents']), lang)} inwoners; "
        f"percentages over {n(float(r['head_residents']), lang)} inwoners "
        f"({n(int(r['left_units']), lang)} gedeeltelijke/data-probleem eenheden weggelaten)"
        if nl
        else f"{n(int(r['units']), lang)} units, {n(float(r['residents']), lang)} residents; "
        f"shares over {n(float(r['head_residents']), lang)} residents "
        f"({n(int(r['left_units']), lang)} partial/data-problem units left out)"
    )
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td style='text-align:right'>"
        f"{_i18n.percent(r[col], lang)}</td></tr>"
        for col, label, _ in measures
    )
    link = ""
    if mapped:
        href = f"../regions/{html.escape(str(r['region_key']), quote=True)}/map.html"
        link = (
            f'<a href="{href}" target="_blank">'
            f"{'kaart van deze regio' if nl else 'map of this region'}</a>"
        )
    return f'<div class="ig-popup"><b>{name}</b><br>{head}<table>{rows}</table>{link}</div>'


def overview_map(
    regions: gpd.GeoDataFrame, table: pd.DataFrame, facts: dict[str, Any], lang: str
) -> Any:
    """Return the folium overview map: the regions coloured by a share the planner chooses.

    A select (top right) switches the colour between the share of residents reaching all
    eight components and each component's share (within the middle threshold, headline
    units only), with a caption and legend to match. Popups list every share, the units and
    residents, what the shares cover, and link to the region's own map.
    """
    import folium
    from folium.utilities import JsCode

    from .maps._common import OSM_ATTRIBUTION, OSM_TILES, _display
    from .maps._legend import _deterministic_ids, _Furniture, _Ready

    nl, measures = lang == "nl", _measures(facts["minutes"], lang)
    extra = [c for c in ("status",) if c in regions.columns]
    reg = table.merge(regions[["region_key", *extra, "geometry"]], on="region_key", how="left")
    reg = gpd.GeoDataFrame(reg, geometry="geometry", crs=regions.crs)
    geoms = _display(reg.geometry, 10.0, coverage=True)
    feats = []
    for i, (_, r) in enumerate(reg.iterrows()):
        mapped = pd.notna(r["units"]) and r.get("status", "done") in ("done", "skipped")
        name = html.escape(str(r["region_name"]))
        props = {
            "fills": [_colour(float(r[c])) for c, _, _ in measures],
            "tips": [
                f"{name}: {html.escape(lab)} {_i18n.percent(r[c], lang)}" for c, lab, _ in measures
            ],
            "popup": _popup(r, measures, lang, bool(mapped)),
        }
        feats.append(
            {"type": "Feature", "geometry": shapely.geometry.mapping(geoms[i]), "properties": props}
        )
    w, s, e, n = (float(v) for v in reg.total_bounds)
    m = folium.Map(
        location=[round((s + n) / 2, 5), round((w + e) / 2, 5)], tiles=None, control_scale=True
    )
    folium.TileLayer(
        OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19, control=False
    ).add_to(m)
    style = "function(f) { return {fillColor: f.properties.fills[0], color: '#333333', weight: 1, fillOpacity: 0.65}; }"
    geo = folium.GeoJson(
        {"type": "FeatureCollection", "features": feats}, style=JsCode(style), control=False
    )
    geo.add_to(m)
    _switch(geo, measures, lang).add_to(m)
    title = (
        f"Sociale infrastructuur per regio ({facts['source']}): aandeel inwoners binnen "
        f"{_schema.minutes_text(facts['minutes'])} min lopen"
        if nl
        else f"Social infrastructure by region ({facts['source']}): share of residents within "
        f"a {_schema.minutes_text(facts['minutes'])} min walk"
    )
    note = (
        "<details open><summary>"
        + ("Hoe lees je deze kaart" if nl else "How to read this map")
        + f"</summary><p>{html.escape(_map_note(facts, lang))}</p>"
        + f"<p>{'Gegevens' if nl else 'Data'}: {OSM_ATTRIBUTION}</p></details>"
    )
    _Furniture(html.escape(title), note).add_to(m)
    m.fit_bounds([[s, w], [n, e]])
    _Ready().add_to(m)
    _deterministic_ids(m.get_root())
    return m


def _map_note(facts: dict[str, Any], lang: str) -> str:
    """Return the overview map's note: the measure, what it covers, the popups, grey regions."""
    if lang == "nl":
        return (
            "Kies rechtsboven de maat: alle 8 componenten of één component. Percentages over "
            "de eenheden van de kerncijfers, gewogen naar inwoners. "
            f"{facts.get('coverage', '')} Klik op een regio voor alle percentages en de kaart "
            "van die regio. Grijs: geen gegevens (regio mislukt of zonder eenheid)."
        )
    return (
        "Choose the measure at the top right: all 8 components or one component. Shares over "
        "the headline units, weighted by residents. "
        f"{facts.get('coverage', '')} Click a region for every share and its own map. Grey: "
        "no data (region failed or without units)."
    )


def summary_md(facts: dict[str, Any], table: pd.DataFrame, lang: str) -> str:
    """Return the batch's ``summary.md`` in ``lang`` (what it covers, per region, problems)."""
    nl = lang == "nl"
    num = _i18n.number
    lines = [
        f"# {'Sociale infrastructuur per regio' if nl else 'Social infrastructure by region'}",
        "",
        (
            f"Bron: {_md(facts['source'])}. {num(facts['regions'], lang)} regio's: "
            f"{num(facts['done'], lang)} berekend, {num(facts['skipped'], lang)} overgeslagen "
            f"(al klaar, zelfde invoer), {num(facts['failed'], lang)} mislukt. "
            f"{num(facts['units'], lang)} eenheden, {num(round(facts['residents']), lang)} inwoners."
            if nl
            else f"Source: {_md(facts['source'])}. {num(facts['regions'], lang)} regions: "
            f"{num(facts['done'], lang)} computed, {num(facts['skipped'], lang)} skipped "
            f"(already complete, same inputs), {num(facts['failed'], lang)} failed. "
            f"{num(facts['units'], lang)} units, {num(round(facts['residents']), lang)} residents."
        ),
        "",
        (
            f"Elke regio is berekend op haar gebied plus een rand van {num(facts['buffer_m'], lang)} m, "
            "zodat voorzieningen over de grens meetellen. Afstanden tot de grootste drempel zijn "
            "exact; gemiddelden en aantallen voorbij die drempel zijn leeg waar niet elke inwoner "
            "binnen bereik woont."
            if nl
            else f"Each region was computed on its area plus a buffer of {num(facts['buffer_m'], lang)} m, "
            "so facilities across the border count. Distances up to the largest threshold are "
            "exact; means and counts beyond it are blank where not every resident is within reach."
        ),
        "",
    ]
    if facts.get("coverage"):
        lines += [_md(facts["coverage"]), ""]
    lines += _coverage_lines(facts, lang)
    lines += ["", f"## {'Per regio' if nl else 'By region'}", ""]
    lines += _region_table(table, facts["minutes"], lang)
    return "\n".join(lines) + "\n"


def _region_table(table: pd.DataFrame, minutes: float, lang: str) -> list[str]:
    """Return the per-region table: units, residents, left out, all 8 and each component."""
    nl, num = lang == "nl", _i18n.number
    measures = _measures(minutes, lang)
    m = _schema.minutes_text(minutes)
    lines = [
        (
            f"Aandeel inwoners binnen {m} min lopen: van alle 8 componenten samen en per "
            "component, over de eenheden van de kerncijfers (niet gedeeltelijk, geen "
            "dataprobleem), gewogen naar inwoners. Regio's op naam gesorteerd. "
            '"Weggelaten": gedeeltelijke en data-probleem eenheden, niet in de percentages.'
            if nl
            else f"Share of residents within a {m} min walk: of all 8 components together and "
            "of each component, over the headline units (not partial, no data problem), "
            'weighted by residents. Regions sorted by name. "Left out": partial and '
            "data-problem units, not in the shares."
        ),
        "",
    ]
    fixed = (
        ["regio", "eenheden", "inwoners", "weggelaten eenheden", "weggelaten inwoners"]
        if nl
        else ["region", "units", "residents", "units left out", "residents left out"]
    )
    lines.append("| " + " | ".join(fixed + [_md(lab) for _, lab, _ in measures]) + " |")
    lines.append("|---|" + "---:|" * (len(fixed) - 1 + len(measures)))
    for _, r in table.iterrows():
        if pd.notna(r["units"]):
            counts = [
                num(int(r["units"]), lang),
                num(round(float(r["residents"])), lang),
                num(int(r["left_units"]), lang),
                num(round(float(r["left_residents"])), lang),
            ]
        else:
            counts = ["-"] * 4
        shares = [_i18n.percent(r[c], lang) if pd.notna(r[c]) else "-" for c, _, _ in measures]
        lines.append("| " + " | ".join([_md(r["region_name"]), *counts, *shares]) + " |")
    return lines


def _outside_text(facts: dict[str, Any], lang: str) -> str:
    """Return the line on the units outside every region and the residents they hold."""
    nl, num = lang == "nl", _i18n.number
    outside = facts["units_outside"]
    text = (
        f"Eenheden buiten elke regio: {num(len(outside), lang)}"
        if nl
        else f"Units outside every region: {num(len(outside), lang)}"
    )
    if not outside:
        return text + "."
    res, how = facts.get("outside_residents"), facts.get("outside_how")
    unknown = int(facts.get("outside_unknown_units") or 0)
    if res is None:
        text += (
            ", hun aantal inwoners is onbekend (niet per eenheid bepaald"
            + (", bevolkingsraster" if how == "raster" else "")
            + ")"
            if nl
            else ", the residents they hold are unknown (not determined per unit"
            + (", population raster" if how == "raster" else "")
            + ")"
        )
    else:
        src = {
            "given": ("volgens de bevolking van de eenheden", "from the units' population"),
            "estimated": (
                "geschat uit woonoppervlak, zoals in de regio's",
                "estimated from residential floor area, as in the regions",
            ),
        }.get(how or "", ("", ""))[0 if nl else 1]
        text += (
            f", met samen {num(round(res), lang)} inwoners ({src}"
            if nl
            else f", holding {num(round(res), lang)} residents ({src}"
        )
        if unknown:
            text += (
                f"; van {num(unknown, lang)} eenheid/eenheden onbekend"
                if nl
                else f"; unknown for {num(unknown, lang)} unit(s)"
            )
        text += ")"
    text += (
        "; niet in de tabel en niet in de percentages"
        if nl
        else "; not in the table and not in the shares"
    )
    ids = ", ".join(outside[:20]) + (", ..." if len(outside) > 20 else "")
    return text + f" ({_md(ids)})."


def _coverage_lines(facts: dict[str, Any], lang: str) -> list[str]:
    """Return the summary's lines on units outside regions, empty, dropped and failed regions."""
    nl = lang == "nl"
    lines: list[str] = []
    lines.append(_outside_text(facts, lang))
    if facts["empty"]:
        lines.append(
            (
                "Regio's zonder eenheid (elke eenheid hoort bij een buurregio): "
                if nl
                else "Regions without a unit (each unit belongs to a neighbouring region): "
            )
            + _md(", ".join(facts["empty"]))
            + "."
        )
    if facts["dropped"]:
        lines.append(
            (
                "Regio's buiten de data (weggelaten): "
                if nl
                else "Regions outside the data (left out): "
            )
            + _md(", ".join(facts["dropped"]))
            + "."
        )
    if facts["failures"]:
        lines += ["", f"## {'Mislukte regio' if nl else 'Failed regions'}", ""]
        n = facts.get("failed_units")
        lines += [
            (
                f"Hun eenheden ({'aantal onbekend' if n is None else _i18n.number(n, lang)}) "
                "en inwoners ontbreken in de tabel en de percentages; draai de batch opnieuw "
                "om ze te berekenen (klaar zijnde regio's worden overgeslagen)."
                if nl
                else f"Their units ({'number unknown' if n is None else _i18n.number(n, lang)}) "
                "and residents are missing from the table and the shares; run the batch again "
                "to compute them (completed regions are skipped)."
            ),
            "",
        ]
        lines += [f"- {_md(k)}: {_md(reason)}" for k, reason in facts["failures"].items()]
    return lines


def write_merged(
    out: Path,
    gaps: gpd.GeoDataFrame,
    regions: gpd.GeoDataFrame,
    facts: dict[str, Any],
    lang: str,
) -> dict[str, Path]:
    """Write ``MERGED_FILES`` into ``out/merged`` as one all-or-nothing set; return the paths."""
    from ._outdir import check_out_dir, clean_stale, new_scratch

    target = check_out_dir(out / "merged", outputs=MERGED_FILES)
    clean_stale(target)
    tmp = new_scratch(target)
    table = region_headline(gaps, regions, facts["minutes"])
    facts = {**facts, "coverage": coverage_line(gaps, lang)}
    if {"status", "units"} <= set(regions.columns):
        failed = regions.loc[regions["status"] == "failed", "units"]
        facts["failed_units"] = int(pd.to_numeric(failed, errors="coerce").fillna(0).sum())
    try:
        gaps.to_parquet(tmp / "gaps.parquet", index=False)
        _to_gpkg(gaps, tmp / "gaps.gpkg", "gaps")
        overview_map(regions, table, facts, lang).save(str(tmp / "map.html"))
        (tmp / "summary.md").write_text(summary_md(facts, table, lang), encoding="utf-8")
        tmp = swap_into(tmp, target, SimpleNamespace(_saved_to=None))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: target / name for name in MERGED_FILES}
