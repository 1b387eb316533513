"""What-if scenarios (Analysis.scenario, Access.edited), ig.compare / compare_map, the CLI.

On real data: Liechtenstein (admin:8 municipalities) and Amsterdam-Centrum (CBS buurten).
The references are independent of the scenario code: a fresh ``analyse`` run on the edited
facility set (it reads the file and builds the network again), a from-scratch ``Access``,
and the two gap tables for the comparison's per-unit figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import infra_geo as ig
from infra_geo import _schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def li(liechtenstein):
    return ig.analyse(osm_file=liechtenstein, neighbourhoods="admin:8")


@pytest.fixture(scope="module")
def ams(amsterdam_pbf, amsterdam_buurten):
    return ig.analyse(osm_file=amsterdam_pbf, neighbourhoods=amsterdam_buurten)


def _ids(res, component, n):
    fac = res.facilities
    return list(fac.loc[fac["components"].str.contains(component), "facility_id"][:n])


def _searches(acc) -> dict[str, int]:
    """The engine's own count of multi-source searches per group (``Access.runs``)."""
    return {k.split(":", 1)[1]: v for k, v in acc.runs.items() if k.startswith("search:")}


def _numeric_gap_diff(a: pd.DataFrame, b: pd.DataFrame) -> float:
    assert list(a.columns) == list(b.columns)
    assert (a["unit_id"].to_numpy() == b["unit_id"].to_numpy()).all()
    num = [c for c in a.columns if c != "geometry" and pd.api.types.is_numeric_dtype(a[c])]
    x, y = a[num].to_numpy(dtype=float), b[num].to_numpy(dtype=float)
    assert np.array_equal(np.isnan(x), np.isnan(y))
    assert np.array_equal(np.isinf(x), np.isinf(y))
    ok = np.isfinite(x)
    return float(np.abs(x[ok] - y[ok]).max(initial=0.0))


def _new_site(res, component="sports", name="nieuwe sporthal"):
    """One new facility at the network node nearest the centre of the data (any CRS)."""
    xy = res.network.node_xy
    c = xy[np.argmin(((xy - np.median(xy, axis=0)) ** 2).sum(axis=1))]
    site = gpd.GeoDataFrame(
        {"component": [component], "name": [name]},
        geometry=[shapely.Point(c[0] + 5, c[1] + 5)],
        crs=res.network.crs,
    )
    return site.to_crs(3857)  # another CRS than the network's and the facilities'


# ------------------------------------------------------------------------------ engine


def test_edited_engine_equals_a_fresh_engine_and_reuses_unchanged_groups(li):
    res = li
    base = res._engine()
    base.node_distances()
    fac = res.facilities
    remove = fac["facility_id"].isin(_ids(res, "care", 2)).to_numpy()
    add = _new_site(res, "meeting")
    add["facility_id"] = ["new/1"]
    add["components"] = ["meeting"]
    eng = base.edited(add=add, remove=remove)
    new_fac = gpd.GeoDataFrame(
        pd.concat([fac.loc[~remove], add.to_crs(4326)], ignore_index=True), crs=4326
    )
    ref = ig.Access(res.network, new_fac, entrances=res.entrances)
    a, b = eng.attachments, ref.attachments
    for f in ("facility", "edge", "offset", "kind", "snapped", "facility_ids", "members"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    # only the added facility was attached; the kept ones kept their access points
    changed = {k for k in eng.keys if k in ("care", "meeting")} | {
        k for k in eng.keys if fac.loc[remove, "components"].str.contains(k).any()
    }
    assert _searches(eng) == {} and eng.runs["attach"] == 1
    got, want = eng.node_distances(), ref.node_distances()
    assert set(_searches(eng)) == changed  # one search per changed group, none for the rest
    assert all(v == 1 for v in _searches(eng).values())
    for k in eng.keys:
        assert np.array_equal(got[k][0], want[k][0]), k
        assert np.array_equal(got[k][1], want[k][1]), k
    assert _searches(base) == dict.fromkeys(base.keys, 1)  # the base engine is unchanged
    assert len(base.facilities) == len(fac)


# ---------------------------------------------------------------------------- scenario


def test_remove_and_add_back_gives_the_original_result_exactly(li):
    res = li
    gone = _ids(res, "education", 3)
    closed = res.scenario(remove=gone, name="scholen dicht")
    assert closed.changed == tuple(
        k
        for k in closed.access.keys
        if res.facilities.loc[res.facilities["facility_id"].isin(gone), "components"]
        .str.contains(k)
        .any()
    )
    back_rows = res.facilities.loc[res.facilities["facility_id"].isin(gone)]
    # every membership back: "education;culture" as the component of the re-added row
    back = closed.scenario(
        add=back_rows[["facility_id", "components", "name", "geometry"]].rename(
            columns={"components": "component"}
        ),
        name="terug",
    )
    assert _numeric_gap_diff(res.gaps, back.gaps) == 0.0
    pd.testing.assert_frame_equal(
        res.gaps.drop(columns="geometry"), back.gaps.drop(columns="geometry")
    )
    for k in res.access.keys:
        assert np.array_equal(res.distances[f"{k}_m"], back.distances[f"{k}_m"])
    # and the closure itself changed something: fewer residents within 10 min of education
    assert closed.gaps["education_reached_10"].sum() < res.gaps["education_reached_10"].sum()


@pytest.mark.parametrize("case", ["li", "ams"])
def test_scenario_equals_a_fresh_run_on_the_edited_set(
    case, request, liechtenstein, amsterdam_pbf, amsterdam_buurten
):
    res = request.getfixturevalue(case)
    gone = _ids(res, "care", 2) + _ids(res, "culture", 1)
    sc = res.scenario(remove=gone, add=_new_site(res), name="mix")
    if case == "li":
        fresh = ig.analyse(
            osm_file=liechtenstein, neighbourhoods="admin:8", facilities=sc.facilities
        )
    else:
        fresh = ig.analyse(
            osm_file=amsterdam_pbf, neighbourhoods=amsterdam_buurten, facilities=sc.facilities
        )
    assert _numeric_gap_diff(sc.gaps, fresh.gaps) <= 1e-9
    assert (sc.gaps["partial"] == fresh.gaps["partial"]).all()
    for k in fresh.access.keys:
        assert np.allclose(sc.distances[f"{k}_m"], fresh.distances[f"{k}_m"], atol=1e-9, rtol=0)
        for m in fresh.minutes:
            col = f"{k}_n_{m}min"
            assert (sc.distances[col].to_numpy() == fresh.distances[col].to_numpy()).all()
    # catchments and uncovered areas: same rows, same areas (the changed ones redrawn)
    assert list(sc.catchments["component"]) == list(fresh.catchments["component"])
    assert np.allclose(sc.catchments.area, fresh.catchments.area, rtol=1e-9, atol=1e-6)
    # the changed groups' catchments are redrawn only near the edit: the same areas still
    for a, b in zip(sc.catchments.geometry, fresh.catchments.geometry, strict=True):
        assert shapely.area(shapely.symmetric_difference(a, b)) <= 1e-9 * max(b.area, 1.0)
    assert np.allclose(sc.uncovered["residents"], fresh.uncovered["residents"], atol=1e-9)
    assert set(sc.changed) >= {"care", "culture", "sports"}
    assert set(_searches(sc.access)) <= set(sc.changed)
    assert len(sc.catchments) == len(res.catchments)


def test_only_changed_groups_are_recomputed(li):
    res = li
    sc = res.scenario(add=_new_site(res, "digital"), name="nieuw digitaal punt")
    assert sc.changed == ("digital",)
    assert _searches(sc.access) == {"digital": 1}
    for k in res.access.keys:
        same_c = res.catchments.loc[res.catchments["component"] == k].geometry.to_numpy()
        new_c = sc.catchments.loc[sc.catchments["component"] == k].geometry.to_numpy()
        same_u = res.uncovered.loc[res.uncovered["component"] == k].geometry.to_numpy()
        new_u = sc.uncovered.loc[sc.uncovered["component"] == k].geometry.to_numpy()
        if k == "digital":
            assert not all(a is b for a, b in zip(same_c, new_c, strict=True))
        else:  # the very same objects: reused, not recomputed
            assert all(a is b for a, b in zip(same_c, new_c, strict=True)), k
            assert all(a is b for a, b in zip(same_u, new_u, strict=True)), k
    assert "recomputed: digital;" in sc.notes[-1]
    assert sc.source.endswith("scenario “nieuw digitaal punt”")
    assert sc.timings["scenario"] < sum(res.timings.values())


def test_name_is_shown_escaped_in_summary_and_map(li):
    sc = li.scenario(remove=_ids(li, "sports", 1), name="<img src=x onerror=alert(1)>")
    md = sc.summary_markdown()
    assert "&lt;img src=x onerror=alert(1)&gt;" in md.splitlines()[0]
    assert "<img" not in md
    html = sc.map().get_root().render()
    assert "<img src=x" not in html
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html  # the title, escaped


def test_remove_by_mask_and_bare_osm_number(li):
    fac = li.facilities
    row = fac.loc[fac["osm_type"] == "way"].iloc[0]
    a = li.scenario(remove=[int(row["osm_id"])])
    b = li.scenario(remove=(fac["facility_id"] == row["facility_id"]))
    c = li.scenario(remove=row["facility_id"])
    assert a.removed == b.removed == c.removed == (row["facility_id"],)
    pd.testing.assert_frame_equal(a.gaps.drop(columns="geometry"), b.gaps.drop(columns="geometry"))


def test_hostile_inputs(li):
    res = li
    fac = res.facilities
    with pytest.raises(ig.InputError, match=r"node/1x.*way/nope|way/nope.*node/1x"):
        res.scenario(remove=["node/1x", fac["facility_id"].iloc[0], "way/nope"])
    with pytest.raises(ig.InputError, match="Nothing to change"):
        res.scenario()
    with pytest.raises(ig.InputError, match="remove is empty"):
        res.scenario(remove=[])
    with pytest.raises(ig.InputError, match="add is empty"):
        res.scenario(add=_new_site(res).iloc[:0])
    no_comp = _new_site(res).drop(columns="component")
    with pytest.raises(ig.InputError, match="no 'component' column"):
        res.scenario(add=no_comp)
    assert res.scenario(add=no_comp, component="care").changed == ("care",)
    with pytest.raises(ig.InputError, match="component= was given too"):
        res.scenario(add=_new_site(res), component="care")
    with pytest.raises(ig.UnknownComponentError, match="'swimming'"):
        res.scenario(add=_new_site(res, "swimming"))
    far = _new_site(res).to_crs(4326)
    far.geometry = [shapely.Point(5.0, 52.0)]  # the Netherlands, far outside Liechtenstein
    with pytest.raises(ig.InputError, match="outside the data extent"):
        res.scenario(add=far)
    bow = _new_site(res).to_crs(4326)
    bow.geometry = [shapely.Polygon([(9.52, 47.14), (9.53, 47.15), (9.53, 47.14), (9.52, 47.15)])]
    with pytest.raises(ig.InputError, match="invalid geometry"):
        res.scenario(add=bow)
    empty = _new_site(res).to_crs(4326)
    empty.geometry = [shapely.Point()]
    with pytest.raises(ig.InputError, match="no geometry"):
        res.scenario(add=empty)
    with pytest.raises(ig.InputError, match="no CRS"):
        res.scenario(add=_new_site(res).set_crs(None, allow_override=True))
    with pytest.raises(ig.InputError, match="GeoDataFrame"):
        res.scenario(add=pd.DataFrame({"component": ["care"]}))
    with pytest.raises(ig.InputError, match="boolean mask of 3"):
        res.scenario(remove=np.array([True, False, False]))
    with pytest.raises(ig.InputError, match="name is empty"):
        res.scenario(remove=_ids(res, "care", 1), name="   ")
    dup = _new_site(res)
    dup["facility_id"] = [fac["facility_id"].iloc[0]]
    with pytest.raises(ig.InputError, match="already a facility"):
        res.scenario(add=dup)
    with pytest.raises(ig.InputError, match="not a facility id"):
        res.scenario(remove=[1.5])
    # the base result is untouched by all of this
    assert len(res.facilities) == len(fac) and _searches(res.access) == dict.fromkeys(
        res.access.keys, 1
    )


# ---------------------------------------------------------------------------- compare


def _check_against_gap_tables(cmp, before, after, keys):
    for k in keys:
        for m in after.minutes:
            net = (
                after.gaps[_schema.reached(k, m)] - before.gaps[_schema.reached(k, m)]
            ).to_numpy()
            gain = cmp[_schema.compare_column(k, "newly_reached", m)].to_numpy()
            loss = cmp[_schema.compare_column(k, "no_longer_reached", m)].to_numpy()
            assert np.allclose(gain - loss, net, atol=1e-6, rtol=0), (k, m)
            assert np.allclose(
                cmp[_schema.compare_column(k, "reached_change", m)], net, atol=1e-6, rtol=0
            )
            assert (gain >= 0).all() and (loss >= 0).all()
            share = (after.gaps[_schema.share(k, m)] - before.gaps[_schema.share(k, m)]).to_numpy()
            assert np.allclose(
                cmp[_schema.compare_column(k, "share_change", m)], share, equal_nan=True
            )
        mean = (after.gaps[_schema.mean_m(k)] - before.gaps[_schema.mean_m(k)]).to_numpy()
        assert np.allclose(cmp[_schema.compare_column(k, "mean_m_change")], mean, equal_nan=True)


@pytest.mark.parametrize("case", ["li", "ams"])
def test_compare_against_the_two_gap_tables(case, request):
    res = request.getfixturevalue(case)
    closed = res.scenario(remove=_ids(res, "care", 3), name="dicht")
    cmp = ig.compare(res, closed)
    assert list(cmp["unit_id"]) == list(res.gaps["unit_id"]) and cmp.crs.to_epsg() == 4326
    _check_against_gap_tables(cmp, res, closed, res.access.keys)
    # a pure closure: nobody newly reached; the losses are exactly the fall in reached
    for m in res.minutes:
        assert (cmp[_schema.compare_column("care", "newly_reached", m)] == 0).all()
        lost = res.gaps[_schema.reached("care", m)] - closed.gaps[_schema.reached("care", m)]
        assert np.allclose(
            cmp[_schema.compare_column("care", "no_longer_reached", m)], lost, atol=1e-6
        )
    assert cmp.attrs["changed"] == ("care",) or "care" in cmp.attrs["changed"]
    # unchanged components: all zero
    other = [k for k in res.access.keys if k not in closed.changed]
    for k in other:
        for m in res.minutes:
            assert (cmp[_schema.compare_column(k, "no_longer_reached", m)] == 0).all()
    # a mixed scenario: gains and losses both, and their difference is the net change
    mixed = res.scenario(remove=_ids(res, "sports", 2), add=_new_site(res, "sports"))
    cm = ig.compare(res, mixed)
    _check_against_gap_tables(cm, res, mixed, res.access.keys)
    # reversed order swaps gains and losses
    rev = ig.compare(mixed, res)
    for m in res.minutes:
        a = cm[_schema.compare_column("sports", "newly_reached", m)]
        b = rev[_schema.compare_column("sports", "no_longer_reached", m)]
        assert np.allclose(a, b)


def test_compare_median_against_a_hand_computation(li):
    sc = li.scenario(remove=_ids(li, "culture", 2))
    cmp = ig.compare(li, sc)
    pts = sc.residents
    w = pts["population"].to_numpy()
    uid = pts["unit_id"].astype("string")
    assert uid[w > 0].notna().all()  # the residents were spread from their unit's total
    row = cmp.iloc[int(np.argmax(cmp["residents"]))]
    sel = (uid == str(row["unit_id"])).fillna(False).to_numpy() & (w > 0)
    assert w[sel].sum() == pytest.approx(row["residents"], rel=1e-9)

    def median(d):
        order = np.argsort(d[sel], kind="stable")
        cw = np.cumsum(w[sel][order]) / w[sel].sum()
        return d[sel][order][np.searchsorted(cw, 0.5 - 1e-12)]

    d0 = sc.base_residents["culture"].to_numpy()
    d1 = pts["culture"].to_numpy()
    want = median(d1) - median(d0)
    assert row["culture_median_m_change"] == pytest.approx(want, abs=1e-9)


def test_compare_refuses_other_networks_or_units(li, ams):
    with pytest.raises(ig.InputError, match="different walking networks"):
        ig.compare(li, ams)
    with pytest.raises(ig.InputError, match=r"must be an ig\.Analysis"):
        ig.compare(li, li.gaps)


def test_compare_map_escapes_and_marks(li):
    site = _new_site(li, "meeting", name="<script>alert('x')</script> {{ 7*7 }}")
    sc = li.scenario(add=site, remove=_ids(li, "meeting", 1), name="buurthuis")
    html = ig.compare_map(li, sc).get_root().render()
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;" in html or "\\u0026lt;script\\u0026gt;" in html
    assert "{{ 7*7 }}" not in html and "7*7" in html  # shown, not run as a template
    assert "#1a9850" in html and "#d73027" in html  # added and removed markers
    with pytest.raises(ig.InputError, match="lang"):
        ig.compare_map(li, sc, lang="de")
    with pytest.raises(ig.InputError, match="comparison must be"):
        ig.compare_map(li, sc, comparison=li.gaps.drop(columns="unit_id"))
    assert html.count("#2166ac") + html.count("#b2182b") >= 1  # diverging colours used


def test_columns_are_documented(li):
    sc = li.scenario(remove=_ids(li, "care", 1))
    cmp = ig.compare(li, sc)
    doc = ig.COMPARE_COLUMNS_DOC
    for names, _ in _schema.COMPARE_COLUMN_DESCRIPTIONS:
        assert names in doc
    for c in cmp.columns:
        if c == "geometry":
            continue
        pattern = c
        for k in li.access.keys:
            pattern = (
                pattern.replace(f"{k}_", "{c}_", 1) if pattern.startswith(f"{k}_") else pattern
            )
        for m in li.minutes:
            pattern = pattern.removesuffix(f"_{m}") + ("_{m}" if pattern.endswith(f"_{m}") else "")
        assert pattern in doc, c


# -------------------------------------------------------------------------------- CLI


def test_cli_scenario_round_trip(tmp_path, liechtenstein):
    res = ig.analyse(osm_file=liechtenstein, neighbourhoods="admin:8")
    gone = _ids(res, "care", 2)
    add = tmp_path / "new.geojson"
    _new_site(res, "care", name="Nieuwe huisarts").to_file(add)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "infra_geo.cli",
        "scenario",
        "--osm-file",
        str(liechtenstein),
        "--neighbourhoods",
        "admin:8",
        "--add",
        str(add),
        "--remove",
        ",".join(gone),
        "--name",
        "huisarts verhuist",
        "--out",
        str(out),
        "--quiet",
    ]
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stderr
    from infra_geo._cli_scenario import SCENARIO_FILES

    assert sorted(p.name for p in out.iterdir()) == sorted(SCENARIO_FILES)
    sc = res.scenario(add=gpd.read_file(add), remove=gone, name="huisarts verhuist")
    gaps = pd.read_csv(out / "gaps.csv")
    assert np.allclose(gaps["care_reached_10"], sc.gaps["care_reached_10"], atol=1e-6)
    cmp = pd.read_csv(out / "compare.csv")
    want = ig.compare(res, sc)
    assert list(cmp["unit_id"].astype(str)) == list(want["unit_id"].astype(str))
    assert np.allclose(cmp["care_newly_reached_10"], want["care_newly_reached_10"], atol=1e-6)
    assert np.allclose(
        cmp["care_no_longer_reached_10"], want["care_no_longer_reached_10"], atol=1e-6
    )
    assert "huisarts verhuist" in (out / "summary.md").read_text(encoding="utf-8").splitlines()[0]
    assert len(gpd.read_file(out / "compare.gpkg")) == len(want)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # an unknown id: exit 2, one line naming the flag, the previous set untouched
    bad = [*cmd[: cmd.index("--remove") + 1], "node/999999999999", *cmd[cmd.index("--name") :]]
    run = subprocess.run(bad, capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("infra-geo: error: --remove") and "node/999999999999" in last
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # killed while writing the comparison: the previous set stays whole
    killed = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**env, "INFRA_GEO_TEST_KILL_AT": "write:compare_map.html"},
        check=False,
    )
    assert killed.returncode == -9
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    for args, flag in (
        (["--add", str(tmp_path / "missing.geojson")], "--add"),
        (["--remove", "node/1,,node/2"], "--remove"),
        ([], "--add and --remove"),
    ):
        base = cmd[: cmd.index("--add")]
        run = subprocess.run(
            [*base, *args, "--out", str(tmp_path / "o2")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert run.returncode == 2, run.stderr
        line = run.stderr.strip().splitlines()[-1]
        assert line.startswith(f"infra-geo: error: {flag}"), line


def test_local_and_whole_recomputation_agree_with_a_full_one(li):
    """Catchments redrawn near the edit or whole, and the facility counts updated per edited
    facility, equal a full recomputation (on the scenario's own engine)."""
    from infra_geo import _scenario_parts

    res = li
    fac = res.facilities
    care = list(fac.loc[fac["components"].str.contains("care"), "facility_id"])
    for gone in (care[:1], care[: int(len(care) * 0.8)]):
        sc = res.scenario(remove=gone, add=_new_site(res, "care;sports"))
        full = ig.catchments(
            res.network,
            sc.facilities,
            minutes=res.minutes,
            component=["care", "sports"],
            access=sc.access,
        )
        removed = np.flatnonzero(fac["facility_id"].isin(gone).to_numpy())
        added = np.array([len(sc.facilities) - 1])
        for share in (0.0, 1.0):  # 0: always recompute whole; 1: always redraw locally
            local = _scenario_parts.local_catchments(
                res.catchments,
                res.access,
                sc.access,
                removed,
                added,
                "care",
                minutes=res.minutes,
                speed_kmh=res.speed_kmh,
                width=ig.settings.catchment_buffer_m,
                max_share=share,
            )
            assert (local is None) == (share == 0.0)
            if local is not None:
                want = full.loc[full["component"] == "care"].geometry
                for a, b in zip(local, want, strict=True):
                    sym = shapely.area(shapely.symmetric_difference(a, b))
                    assert sym <= 1e-9 * max(b.area, 1.0)
        got = sc.catchments.loc[sc.catchments["component"].isin(["care", "sports"])]
        for a, b in zip(got.geometry, full.geometry, strict=True):
            assert shapely.area(shapely.symmetric_difference(a, b)) <= 1e-9 * max(b.area, 1.0)
        near = ig.nearest_facilities(
            res.network,
            sc.facilities,
            minutes=res.minutes,
            component=["care", "sports"],
            access=sc.access,
        )
        for col in near.columns:
            if col.endswith("_nearest"):
                continue
            assert np.array_equal(sc.distances[col].to_numpy(), near[col].to_numpy()), col


def test_analyse_facilities_is_checked_before_reading(liechtenstein):
    with pytest.raises(ig.InputError, match="facilities"):
        ig.analyse(osm_file=liechtenstein, facilities="not a frame")
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(9.52, 47.14)], crs=4326)
    with pytest.raises(ig.InputError, match="components"):
        ig.analyse(osm_file=liechtenstein, facilities=frame)


def test_compare_diffs_capacity_measures_both_results_carry(li):
    import dataclasses

    sc = li.scenario(remove=_ids(li, "care", 1))
    assert not [c for c in ig.compare(li, sc).columns if c.endswith("supply_per_1000_10_change")]
    g0 = li.gaps.assign(care_supply_per_1000_10=np.arange(len(li.gaps), dtype=float))
    g1 = sc.gaps.assign(care_supply_per_1000_10=np.arange(len(li.gaps), dtype=float) * 3)
    only_after = sc.gaps.assign(sports_supply_per_1000_10=1.0)
    cmp = ig.compare(dataclasses.replace(li, gaps=g0), dataclasses.replace(sc, gaps=g1))
    assert np.array_equal(cmp["care_supply_per_1000_10_change"], np.arange(len(li.gaps)) * 2.0)
    cmp = ig.compare(li, dataclasses.replace(sc, gaps=only_after))
    assert "sports_supply_per_1000_10_change" not in cmp.columns  # omitted: only one has it


def test_capacity_measures_follow_the_scenario(li, liechtenstein):
    """A result with a capacity measure (with_capacity) keeps it in its scenarios, recomputed
    for the edited facility set (equal to a fresh run's), and compare gives its change."""
    cap = li.with_capacity("care", minutes=(5, 10))
    sc = cap.scenario(remove=_ids(li, "care", 2), add=_new_site(li, "care"), name="huisarts")
    fresh = ig.analyse(
        osm_file=liechtenstein, neighbourhoods="admin:8", facilities=sc.facilities
    ).with_capacity("care", minutes=(5, 10))
    for m in (5, 10):
        col = _schema.supply("care", m)
        a, b = sc.gaps[col].to_numpy(dtype=float), fresh.gaps[col].to_numpy(dtype=float)
        assert np.allclose(a, b, atol=1e-9, rtol=0, equal_nan=True)
        assert not np.allclose(a, cap.gaps[col].to_numpy(dtype=float), equal_nan=True)
        cmp = ig.compare(cap, sc)
        want = a - cap.gaps[col].to_numpy(dtype=float)
        assert np.allclose(cmp[col + "_change"], want, equal_nan=True)
    assert sc.gaps.attrs["capacity"]["care"]["method"] == "2sfca"
    assert any(n.startswith("capacity of care:") for n in sc.notes)
    assert sc.notes[-1].startswith("scenario: 2 facilities removed")
