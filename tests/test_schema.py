"""The column schema (``_schema``): builders, the parser and the column descriptions,
checked against a real gap table of the embedded sample (real OSM data)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

import infra_geo as ig
from infra_geo import _schema
from infra_geo.components import COMPONENTS
from infra_geo.gaps import GAP_COLUMNS_DOC

KEYS = [c.key for c in COMPONENTS]


@pytest.fixture(scope="module")
def sample_run() -> ig.Analysis:
    return ig.analyse(neighbourhoods="hex:250", minutes=(5, 10, 15))


def test_builders_make_the_documented_names() -> None:
    assert _schema.share("care", 10) == "care_share_10"
    assert _schema.reached("public_space", 5) == "public_space_reached_5"
    assert _schema.unreached("sports", 15) == "sports_unreached_15"
    assert _schema.mean_m("digital") == "digital_mean_m"
    assert _schema.column("care", "p90_min") == "care_p90_min"
    assert _schema.completeness(10) == "completeness_10"
    assert _schema.all8_share(10) == "all8_share_10"
    assert _schema.rank(5) == "rank_5"
    assert _schema.summary_share(10) == "share_10min"
    with pytest.raises(ValueError, match="needs"):
        _schema.column("care", "share")
    with pytest.raises(ValueError, match="takes no"):
        _schema.column("care", "mean_m", 10)
    with pytest.raises(ValueError, match="does not fit"):
        _schema.column("care", "completeness", 10)
    with pytest.raises(ValueError, match="unknown"):
        _schema.column("care", "median_m")


def test_parse_tricky_names() -> None:
    # all8_share is an overall measure, not the share of a group "all8"
    assert _schema.parse("all8_share_10") == (None, "all8_share", 10)
    # a key with an underscore, unreached vs reached
    assert _schema.parse("public_space_unreached_15") == ("public_space", "unreached", 15)
    assert _schema.parse("public_space_reached_15") == ("public_space", "reached", 15)
    assert _schema.parse("care_mean_min") == ("care", "mean_min", None)
    assert _schema.parse("care_mean_m") == ("care", "mean_m", None)
    for other in ("residents", "unit_id", "street_m", "BU_CODE", "share_10min", 7, None):
        assert _schema.parse(other) is None
    assert _schema.summary_minutes("share_15min") == 15
    assert _schema.summary_minutes("care_share_15") is None


def test_round_trip_every_column_of_a_real_gap_table(sample_run: ig.Analysis) -> None:
    g = sample_run.gaps
    own = {"hex_row", "hex_col", "clipped", g.geometry.name}  # the hex grid's own columns
    parsed = {c: _schema.parse(c) for c in g.columns}
    measures = [c for c, p in parsed.items() if p is not None]
    for c in measures:
        assert _schema.column(*parsed[c]) == c
    # every other column is a fixed unit column or the units' own
    rest = {c for c, p in parsed.items() if p is None}
    assert rest - own <= set(_schema.UNIT_FIXED_COLUMNS)
    assert set(_schema.UNIT_FIXED_COLUMNS) - rest == {"street_m"}  # residents are known here
    # the measures are exactly those the schema lists for the eight components, in order
    assert measures == _schema.measure_columns(KEYS, (5, 10, 15))
    assert _schema.minutes_of(g.columns, "share") == [5, 10, 15]
    s = sample_run.summary()
    assert [_schema.summary_minutes(c) for c in s.columns if c.startswith("share")] == [5, 10, 15]


def test_gap_columns_doc_covers_every_column(sample_run: ig.Analysis) -> None:
    g = sample_run.gaps
    own = {"hex_row", "hex_col", "clipped", g.geometry.name}
    undocumented = [c for c in g.columns if c not in own and _schema.describe(c) is None]
    assert undocumented == []
    assert _schema.describe("street_m") is not None
    assert _schema.describe("hex_row") is None
    # the public text is generated from the same table and names every entry
    assert GAP_COLUMNS_DOC == _schema.columns_doc()
    for names, _text in _schema.GAP_COLUMN_DESCRIPTIONS:
        assert any(line.startswith(names) for line in GAP_COLUMNS_DOC.splitlines())
    assert _schema.describe("care_unreached_10").startswith("residents with a path")
    assert _schema.describe("rank_15").startswith("1 = the worst-served unit")


# ------------------------------------------------------------------------------------------
# the validation layer (_validate.as_*) on real frames and on broken copies of them


def test_validators_accept_real_frames_and_reject_broken_ones(sample_run: ig.Analysis) -> None:
    from infra_geo import _validate as v

    net, fac, units = sample_run.network, sample_run.facilities, sample_run.gaps
    assert v.as_network(net) is net
    assert v.as_facilities(fac, columns=_schema.FACILITY_COLUMNS, need_components=True) is fac
    assert v.as_units(units) is units
    with pytest.raises(ig.InputError, match=r"net must be a WalkNetwork .* not GeoDataFrame"):
        v.as_network(fac)
    with pytest.raises(ig.InputError, match=r"facilities must be a GeoDataFrame \(from ig"):
        v.as_facilities(fac.drop(columns="geometry"))
    with pytest.raises(ig.InputError, match=r"lacks the column\(s\) osm_id"):
        v.as_facilities(fac.drop(columns="osm_id"), columns=_schema.FACILITY_COLUMNS)
    with pytest.raises(ig.InputError, match="'components' column: classify"):
        v.as_facilities(fac.drop(columns="components"), need_components=True)
    with pytest.raises(ig.CRSError, match="has no CRS; set it"):
        v.as_facilities(fac.set_crs(None, allow_override=True))
    with pytest.raises(ig.InputError, match="no active geometry column"):
        v.as_frame(gpd.GeoDataFrame(pd.DataFrame(fac.drop(columns="geometry"))), "gaps")
    with pytest.raises(ig.EmptyDataError, match="neighbourhoods is empty"):
        v.as_units(units.iloc[:0])
    with pytest.raises(ig.InputError, match="Polygon or MultiPolygon"):
        v.as_units(units.set_geometry(units.geometry.centroid))
    with pytest.raises(ig.CRSError, match="set_crs"):
        v.as_units(units.set_crs(None, allow_override=True))


def test_as_population_on_real_points(sample_run: ig.Analysis) -> None:
    from infra_geo import _validate as v

    pop = ig.population_from_buildings(
        ig.analysis.sample_path(),
        sample_run.gaps[["unit_id", "unit_name", "geometry"]],
        total=1000,
    )
    assert v.as_population(pop) is pop
    assert pop["population"].sum() == pytest.approx(1000)
    with pytest.raises(ig.InputError, match="no 'population' column"):
        v.as_population(pop.drop(columns="population"))
    with pytest.raises(ig.InputError, match="GeoDataFrame of points"):
        v.as_population(pop["population"])
    bad = pop.copy()
    bad.loc[bad.index[0], "population"] = -1.0
    with pytest.raises(ig.PopulationError, match="negative"):
        v.as_population(bad)
    bad.loc[bad.index[0], "population"] = float("inf")
    with pytest.raises(ig.PopulationError, match="infinite"):
        v.as_population(bad)
    with pytest.raises(ig.CRSError, match="no CRS"):
        v.as_population(pop.set_crs(None, allow_override=True))
    # the front doors use it: gap_analysis rejects the same broken frame the same way
    with pytest.raises(ig.PopulationError, match="infinite"):
        ig.gap_analysis(
            sample_run.network,
            sample_run.facilities,
            sample_run.gaps[["unit_id", "unit_name", "geometry"]],
            bad,
            minutes=10,
        )
