"""Merging a many-region batch: one gap table, an overview map and a summary, all or nothing.

The regions' gap tables (``regions/<key>/gaps.gpkg``) become one table over every unit, with
``region_key`` and ``region_name`` and the ranks recomputed over all units (a region's own
``rank_{m}`` ranks it among its own units only). ``merged/`` gets ``gaps.parquet``
(GeoParquet), ``gaps.gpkg``, ``map.html`` (a choropleth per region of a headline share, with a
link to each region's own map) and ``summary.md``, written into a scratch folder and swapped
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

from . import _i18n, _schema
from ._report import _md, _to_gpkg, swap_into

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
    """Per region: units, residents and the residents' share reaching all eight within ``minutes``.

    Over the region's headline units (not partial, no data problem), weighted by residents.
    """
    col = _schema.all8_share(minutes)
    if len(gaps) == 0:
        return regions[["region_key", "region_name"]].assign(units=0, residents=0.0, share=np.nan)
    head = (~gaps["partial"].astype(bool)) & (~gaps["data_problem"].astype(bool))
    res = pd.to_numeric(gaps["residents"], errors="coerce").fillna(0.0)
    w = res.where(head, 0.0)
    num = (gaps[col].fillna(0.0) * w).groupby(gaps["region_key"]).sum()
    den = w.groupby(gaps["region_key"]).sum()
    out = pd.DataFrame(
        {
            "units": gaps.groupby("region_key").size(),
            "residents": res.groupby(gaps["region_key"]).sum(),
            "share": (num / den.where(den > 0)),
        }
    )
    return regions[["region_key", "region_name"]].join(out, on="region_key")


def overview_map(regions: gpd.GeoDataFrame, table: pd.DataFrame, minutes: float, lang: str) -> Any:
    """Return a folium choropleth of the regions' headline share, linking each region's map."""
    import branca.colormap as cm
    import folium

    reg = regions.merge(table[["region_key", "units", "residents", "share"]], on="region_key")
    w, s, e, n = (float(v) for v in reg.total_bounds)
    m = folium.Map(tiles="OpenStreetMap", control_scale=True)
    m.fit_bounds([[s, w], [n, e]])
    scale = cm.LinearColormap(["#d7191c", "#fdae61", "#a6d96a", "#1a9641"], vmin=0.0, vmax=1.0)
    label = (
        f"aandeel inwoners dat alle 8 componenten binnen {minutes:g} min bereikt"
        if lang == "nl"
        else f"share of residents reaching all 8 components within {minutes:g} min"
    )
    scale.caption = label
    for _, r in reg.iterrows():
        share = r["share"]
        colour = scale(float(share)) if pd.notna(share) else "#bbbbbb"
        shown = _i18n.percent(share, lang) if pd.notna(share) else "-"
        link = f"../regions/{html.escape(str(r['region_key']), quote=True)}/map.html"
        popup = (
            f"<b>{html.escape(str(r['region_name']))}</b><br>{html.escape(label)}: {shown}<br>"
            f'<a href="{link}" target="_blank">'
            f"{'kaart van deze regio' if lang == 'nl' else 'map of this region'}</a>"
        )
        shape = folium.GeoJson(
            gpd.GeoSeries([r.geometry], crs=reg.crs).__geo_interface__,
            style_function=lambda _f, c=colour: {
                "fillColor": c,
                "color": "#333333",
                "weight": 1,
                "fillOpacity": 0.6,
            },
            tooltip=html.escape(f"{r['region_name']}: {shown}"),
        )
        folium.Popup(popup, max_width=320).add_to(shape)
        shape.add_to(m)
    scale.add_to(m)
    return m


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
    lines += _coverage_lines(facts, lang)
    m = facts["minutes"]
    head = (
        "| regio | eenheden | inwoners | alle 8 binnen {m} min |"
        if nl
        else ("| region | units | residents | all 8 within {m} min |")
    )
    lines += [
        "",
        f"## {'Per regio' if nl else 'By region'}",
        "",
        head.format(m=f"{m:g}"),
        "|---|---:|---:|---:|",
    ]
    for _, r in table.iterrows():
        share = _i18n.percent(r["share"], lang) if pd.notna(r["share"]) else "-"
        units = num(int(r["units"]), lang) if pd.notna(r["units"]) else "-"
        residents = num(round(float(r["residents"])), lang) if pd.notna(r["residents"]) else "-"
        lines.append(f"| {_md(r['region_name'])} | {units} | {residents} | {share} |")
    return "\n".join(lines) + "\n"


def _coverage_lines(facts: dict[str, Any], lang: str) -> list[str]:
    """Return the summary's lines on units outside regions, empty, dropped and failed regions."""
    nl = lang == "nl"
    num = _i18n.number
    lines: list[str] = []
    outside = facts["units_outside"]
    lines.append(
        (
            f"Eenheden buiten elke regio: {num(len(outside), lang)}"
            if nl
            else f"Units outside every region: {num(len(outside), lang)}"
        )
        + (
            f" ({_md(', '.join(outside[:20]))}{', ...' if len(outside) > 20 else ''})."
            if outside
            else "."
        )
    )
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
    try:
        gaps.to_parquet(tmp / "gaps.parquet", index=False)
        _to_gpkg(gaps, tmp / "gaps.gpkg", "gaps")
        overview_map(regions, table, facts["minutes"], lang).save(str(tmp / "map.html"))
        (tmp / "summary.md").write_text(summary_md(facts, table, lang), encoding="utf-8")
        tmp = swap_into(tmp, target, SimpleNamespace(_saved_to=None))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {name: target / name for name in MERGED_FILES}
