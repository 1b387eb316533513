"""Outputs in the planner's language and tools (issue 16, item 2): summary.md in ``lang``,
gaps.xlsx for planners, and columns.csv beside the machine-readable gaps.csv.

Real runs: the embedded sample (Helsinki, estimated residents, data-problem units) and the
Amsterdam-Centrum extract with the whole municipality's CBS buurten (partial units, the CBS
comparison section).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import infra_geo as ig
from infra_geo import _i18n, _schema

KEYS = [c.key for c in ig.COMPONENTS]


@pytest.fixture(scope="module")
def sample_run() -> ig.Analysis:
    return ig.analyse(neighbourhoods="hex:250")


@pytest.fixture(scope="module")
def ams_run(amsterdam_pbf: Path, amsterdam_buurten: Path) -> ig.Analysis:
    return ig.analyse(osm_file=amsterdam_pbf, neighbourhoods=amsterdam_buurten, minutes=(5, 10))


@pytest.fixture(scope="module")
def ams_saved(ams_run: ig.Analysis, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ams") / "out"
    ams_run.save(out)
    return out


# ------------------------------------------------------------------------- summary.md
def _english_phrases(md: str) -> set[str]:
    """Runs of three or more words of the English summary (names and numbers cut out)."""
    phrases = set()
    for line in md.splitlines():
        line = re.sub(r"`[^`]*`", " ", line)  # code: column and file names
        for part in re.split(r"[|:;()\[\]{}`,.=]|\d+|–", line):
            words = re.findall(r"[A-Za-z][A-Za-z'’-]+", part)
            if len(words) >= 3:
                phrases.add(" ".join(words))
    return phrases


@pytest.mark.parametrize("which", ["sample", "amsterdam"])
def test_summary_nl_has_no_english_sentence_of_the_en_one(
    which: str, sample_run: ig.Analysis, ams_run: ig.Analysis
) -> None:
    res = sample_run if which == "sample" else ams_run
    en, nl = res.summary_markdown(lang="en"), res.summary_markdown(lang="nl")
    assert res.lang == "nl" and res.summary_markdown() == nl  # the run's lang is the default
    phrases = _english_phrases(en)
    assert len(phrases) > 15  # the check reads real sentences
    flat_nl = " ".join(re.findall(r"[A-Za-z][A-Za-z'’-]+", nl))
    # component and unit names are names: the same in both languages only where they are
    names = {c.label_en for c in ig.COMPONENTS} | set(res.gaps["unit_name"].astype(str))
    left = sorted(p for p in phrases if p in flat_nl and p not in names)
    allowed = {"Spearman rho p"}  # a statistic's name
    assert set(left) <= allowed, left

    # the same structure: the same number of headings and table rows
    def shape(md: str) -> list[str]:
        return [ln[:2] if ln[:1] in "#-|" else str(bool(ln)) for ln in md.splitlines()]

    assert shape(en) == shape(nl)
    for head in ("## Inwoners binnen bereik", "| component | voorzieningen | binnen 5 min"):
        assert head in nl
    if which == "amsterdam":
        assert "## Loopafstand naast CBS-nabijheid" in nl and "| voorziening | CBS-kolom" in nl
        assert "gedeeltelijk" in nl


def test_summary_numbers_follow_the_language(sample_run: ig.Analysis) -> None:
    cov = sample_run.coverage()
    total = cov["residents_input"]
    assert total > 1000  # a thousands separator is needed
    nl, en = sample_run.summary_markdown(lang="nl"), sample_run.summary_markdown(lang="en")
    assert f"van {f'{total:,.0f}'.replace(',', '.')} inwoners" in nl
    assert f"of {total:,.0f} residents" in en
    s = sample_run.summary().set_index("component")
    share = s.loc["care", "share_10min"]
    assert f" {share * 100:.0f} % |" in nl and f" {share * 100:.0f}% |" in en
    assert "loopsnelheid 4,8 km/u" in nl and "walking speed 4.8 km/h" in en
    # the worst-served table: completeness with a decimal comma
    worst = nl.split("## Slechtst bediende buurten")[1].split("##")[0]
    assert re.search(r"\| \d,\d \|", worst) and not re.search(r"\| \d\.\d \|", worst)
    with pytest.raises(ig.InputError, match="lang"):
        sample_run.summary_markdown(lang="de")


def test_number_formats() -> None:
    assert _i18n.number(1234567.25, "nl", 1) == "1.234.567,2"
    assert _i18n.number(1234567.25, "en", 1) == "1,234,567.2"
    assert _i18n.percent(0.125, "nl", 1) == "12,5 %" and _i18n.percent(0.125, "en", 1) == "12.5%"
    assert _i18n.number(float("inf"), "nl") == "–" and _i18n.percent(None, "en") == "–"


def test_notes_carry_their_dutch_text(sample_run: ig.Analysis) -> None:
    import pickle

    assert sample_run.notes and all(isinstance(n, str) for n in sample_run.notes)
    for n in sample_run.notes:
        nl = _i18n.note_text(n, "nl")
        assert nl != str(n) and nl in sample_run.summary_markdown(lang="nl")
        assert str(n) in sample_run.summary_markdown(lang="en")
    again = pickle.loads(pickle.dumps(sample_run.notes))
    assert [(str(a), a.nl) for a in again] == [(str(a), a.nl) for a in sample_run.notes]


# --------------------------------------------------------------------------- gaps.xlsx
def _sheets(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_gaps_xlsx_for_planners_in_dutch(ams_run: ig.Analysis, ams_saved: Path) -> None:
    g = ams_run.gaps
    sheets = _sheets(ams_saved / "gaps.xlsx")
    names = list(sheets)
    # the capacity sheet appears only with Analysis.with_capacity's columns
    assert names == [nl for k, (_en, nl) in _schema.TOPICS.items() if k != "capacity"] + [
        "Kolommen"
    ]
    labels = {c.key: c.label_nl for c in ig.COMPONENTS}
    headers_seen: set[str] = set()
    for name in names[:-1]:
        rows = sheets[name]
        header, body = rows[0], rows[1:]
        assert len(body) == len(g)
        assert header[:3] == ("code", "buurt", "inwoners") and header[-1] == "waarom leeg"
        # Dutch headers: none is a machine column name, none repeats
        assert not set(header) & set(g.columns), header
        assert len(set(header)) == len(header)
        headers_seen |= set(header)
        for r_i, row in enumerate(body):
            for c_i, v in enumerate(row[:-1]):
                if v is None:
                    assert row[-1], (name, header[c_i], r_i)  # a blank says why
                elif isinstance(v, float):
                    assert math.isfinite(v) and round(v, 2) == v, (name, header[c_i], v)
                else:
                    assert str(v).lower() not in ("inf", "nan", "-inf")
    # every header of every sheet is explained in the dictionary sheet
    col_rows = sheets["Kolommen"]
    assert col_rows[0] == ("blad", "kop", "kolom in gaps.csv", "eenheid", "betekenis")
    explained = {r[1] for r in col_rows[1:] if r[1]}
    assert headers_seen <= explained, headers_seen - explained
    assert all(r[4] for r in col_rows[2:])
    # values: shares in % with one decimal, residents whole, equal to the table
    shares = pd.DataFrame(
        sheets["Aandelen binnen bereik"][1:], columns=sheets["Aandelen binnen bereik"][0]
    )
    h = _schema.header("care_share_10", "nl", labels)
    assert h == "Zorg: binnen 10 min (%)"
    want = np.round(g["care_share_10"].to_numpy(float) * 100, 1)
    got = shares[h].to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], atol=1e-9)
    over = pd.DataFrame(sheets["Overzicht"][1:], columns=sheets["Overzicht"][0])
    assert over["inwoners"].sum() == pytest.approx(g["residents"].sum(), abs=len(g))
    # partial buurten are not ranked: the blank rank says so
    part = g["partial"].to_numpy(bool)
    assert part.any() and (~part).any()
    ranks = over["rang bij 10 min"]
    assert ranks[part].isna().all() and ranks[~part].notna().any()
    assert over.loc[part, "waarom leeg"].str.contains("gedeeltelijk buiten de data").all()
    assert set(over["gedeeltelijk buiten de data"]) == {"ja", "nee"}
    # p90 infinite in gaps.csv is blank here, with the reason
    dist = pd.DataFrame(sheets["Loopafstanden"][1:], columns=sheets["Loopafstanden"][0])
    inf = ~np.isfinite(g["care_p90_m"].to_numpy(float))
    if inf.any():
        assert dist.loc[inf, "Zorg: 90% loopt binnen (m)"].isna().all()
        assert dist.loc[inf, "waarom leeg"].str.len().gt(0).all()


def test_gaps_xlsx_in_english_and_the_same_bytes_twice(
    sample_run: ig.Analysis, tmp_path: Path
) -> None:
    import dataclasses

    en = dataclasses.replace(sample_run, lang="en")
    a, b = en.save(tmp_path / "a"), en.save(tmp_path / "b")
    assert a["gaps.xlsx"].read_bytes() == b["gaps.xlsx"].read_bytes()  # deterministic
    sheets = _sheets(a["gaps.xlsx"])
    topics = [en_name for k, (en_name, _nl) in _schema.TOPICS.items() if k != "capacity"]
    assert list(sheets) == [*topics, "Columns"]
    over = sheets["Overview"]
    assert over[0][:3] == ("code", "neighbourhood", "residents") and over[0][-1] == "why blank"
    assert "Care: within 10 min (%)" in sheets["Shares within reach"][0]
    # data-problem hexagons of the sample are not ranked, and say so
    rows = [r for r in over[1:] if r[over[0].index("data problem")] == "yes"]
    assert rows and all("data problem" in r[-1] for r in rows)


# ------------------------------------------------------------------------- columns.csv
def test_columns_csv_explains_every_gaps_csv_column(ams_run: ig.Analysis, ams_saved: Path) -> None:
    gaps_csv = pd.read_csv(ams_saved / "gaps.csv", nrows=1)
    cols = pd.read_csv(ams_saved / "columns.csv", keep_default_na=False)
    assert list(cols.columns) == ["name", "unit_en", "unit_nl", "meaning_en", "meaning_nl"]
    assert list(cols["name"]) == list(gaps_csv.columns)
    assert (cols["meaning_en"] != "").all() and (cols["meaning_nl"] != "").all()
    ours = cols[[_schema.doc_of(c) is not None for c in cols["name"]]].set_index("name")
    own = cols[[_schema.doc_of(c) is None for c in cols["name"]]]
    assert {"BU_CODE", "AANT_INW"} <= set(own["name"]) and (own["unit_en"] == "").all()
    assert (ours["unit_en"] != "").all() and (ours["meaning_en"] != ours["meaning_nl"]).all()
    assert ours.loc["care_share_10", "unit_en"].startswith("share 0..1")
    assert ours.loc["care_share_10", "meaning_nl"].startswith("care (Zorg): aandeel inwoners")
    assert ours.loc["care_p90_m", "unit_nl"] == "meter"
    # gaps.csv itself stays machine-readable: snake_case names, unrounded numbers
    assert "care_share_10" in gaps_csv.columns


def test_schema_gives_each_column_one_entry_with_both_languages() -> None:
    for d in _schema.GAP_COLUMNS:
        names = [n.strip() for n in d.names.split(",")]
        assert len(d.labels) == len(names) and d.unit in _schema.UNITS
        assert d.topic is None or d.topic == "" or d.topic in _schema.TOPICS
        assert d.en and d.nl and d.en != d.nl
    for col in _schema.measure_columns(KEYS, (5, 10)):
        assert _schema.describe(col, "nl") and _schema.header(col, "nl", {}) != col


def test_gaps_xlsx_without_population_says_street_length(spijkenisse: Path, tmp_path: Path) -> None:
    """Spijkenisse's streets carry no population: residents cells are blank, with the reason,
    and the street metres that weight the shares are in the accounting sheet."""
    res = ig.analyse(osm_file=spijkenisse, neighbourhoods="hex:1500", minutes=(10,))
    assert res.gaps.attrs["weighting"] == "street-length"
    res.save(tmp_path / "o")
    sheets = _sheets(tmp_path / "o" / "gaps.xlsx")
    over = pd.DataFrame(sheets["Overzicht"][1:], columns=sheets["Overzicht"][0])
    assert over["inwoners"].isna().all()
    assert over["waarom leeg"].str.contains("gewogen naar straatlengte").all()
    acc = sheets["Verantwoording inwoners"]
    street = pd.DataFrame(acc[1:], columns=acc[0])["straatlengte (m)"]
    want = np.round(res.gaps["street_m"].to_numpy(float))
    np.testing.assert_array_equal(street.to_numpy(dtype=float), want)
    md = (tmp_path / "o" / "summary.md").read_text(encoding="utf-8")
    assert "## Straatlengte (geen inwoners) binnen bereik" in md and "| straat-km |" in md


def test_gaps_xlsx_capacity_sheet(sample_run: ig.Analysis, tmp_path: Path) -> None:
    """Analysis.with_capacity's supply columns get their own sheet, explained like the rest."""
    res = sample_run.with_capacity("care")
    res.save(tmp_path / "o")
    sheets = _sheets(tmp_path / "o" / "gaps.xlsx")
    cap = sheets["Capaciteit"]
    assert cap[0][3] == "Zorg: capaciteit per 1.000 binnen 5 min"
    assert cap[0][-3:] == ("Zorg: capaciteitsmethode", "Zorg: capaciteit uit", "waarom leeg")
    got = pd.DataFrame(cap[1:], columns=cap[0])["Zorg: capaciteit per 1.000 binnen 10 min"]
    want = np.round(res.gaps["care_supply_10"].to_numpy(float), 2)
    ok = np.isfinite(want)
    np.testing.assert_allclose(got.to_numpy(dtype=float)[ok], want[ok])
    explained = {r[1] for r in sheets["Kolommen"][1:]}
    assert set(cap[0]) <= explained


def test_map_extent_note_follows_the_language(ams_run: ig.Analysis) -> None:
    """The data extent's origin on the map is in the run's language, like summary.md."""
    assert ams_run.lang == "nl" and ams_run.extent_source.startswith("derived from the data")
    page = ams_run.map().get_root().render()
    assert _i18n.phrase(ams_run.extent_source, "nl") in page
    assert "afgeleid uit de data" in page and "derived from the data" not in page


def test_summary_says_when_the_worst_served_ranking_is_a_tie(
    ams_run: ig.Analysis, sample_run: ig.Analysis
) -> None:
    """Amsterdam-Centrum's three whole buurten all reach 8 of 8 at 10 min: the 'worst-served'
    order is a tie and summary.md says so; the CBS table's numbers follow the language."""
    ranked = ams_run.gaps.loc[ams_run.gaps["rank_10"].notna(), "completeness_10"]
    assert len(ranked) == 3 and ranked.nunique() == 1
    nl, en = ams_run.summary_markdown(lang="nl"), ams_run.summary_markdown(lang="en")
    assert "Alle 3 gerangschikte buurten bereiken 8,0 van de 8 componenten binnen 10 min" in nl
    assert "All 3 ranked neighbourhoods reach 8.0 of 8 components within 10 min" in en
    cbs_nl = nl.split("CBS-kolom")[1]
    assert re.search(r"\| 0,\d\d \|", cbs_nl) and not re.search(r"\| 0\.\d\d \|", cbs_nl)
    assert re.search(r"\| 0\.\d\d \|", en.split("CBS column")[1])
    spread = sample_run.gaps.loc[sample_run.gaps["rank_10"].notna(), "completeness_10"]
    assert spread.nunique() > 1 and "gelijke stand" not in sample_run.summary_markdown(lang="nl")
