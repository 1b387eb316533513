"""Capacity-aware access (2SFCA, E2SFCA, gravity) against PySAL ``access`` on real data.

The walking cost matrix comes from :func:`infra_geo.walking_od`; ``access`` receives the very
same matrix (as its ``cost_df``) and must give the same values to 1e-9. The OD builder is
checked on its own against :func:`infra_geo.distances_at_points` (one facility at a time).
"""

from __future__ import annotations

import cases
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import infra_geo as ig
from infra_geo.capacity import facility_capacity

access = pytest.importorskip("access", reason="PySAL access is in the [test] extra")
from access import Access, weights  # noqa: E402

MINUTES = 10


@pytest.fixture(scope="module")
def li(liechtenstein):
    units = ig.neighbourhoods_from_osm(file=liechtenstein, admin_level=8)
    net, fac, pop = cases.decision_inputs(liechtenstein, units, total=38_000)
    return net, fac, pop, "education"


@pytest.fixture(scope="module")
def ams(amsterdam_pbf, amsterdam_buurten):
    covered = cases.amsterdam_covered_buurten(amsterdam_pbf, amsterdam_buurten)
    net, fac, pop = cases.decision_inputs(amsterdam_pbf, covered)
    return net, fac, pop, "culture"


def _group(fac, key):
    j = ig.COMPONENT_KEYS.index(key)
    return fac.loc[ig.component_matrix(fac, ig.COMPONENT_KEYS)[:, j]].copy()


def _sizes(n):
    """A deterministic, uneven capacity per facility (e.g. seats)."""
    return 10.0 + (np.arange(n) * 37 % 101)


def _access_reference(ca, pop, method, **kw):
    od = ca.od
    cost = pd.DataFrame({"origin": od.point, "dest": od.source, "cost": od.metres})
    dem = pd.DataFrame(
        {"pop": pop["population"].to_numpy()}, index=pd.Index(np.arange(len(pop)), name="gid")
    )
    sup = pd.DataFrame(
        {"cap": ca.facilities["capacity"].to_numpy()},
        index=pd.Index(np.arange(len(ca.facilities)), name="gid"),
    )
    acc = Access(
        demand_df=dem,
        demand_index=True,
        demand_value="pop",
        supply_df=sup,
        supply_index=True,
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    if method == "e2sfca":
        out = acc.enhanced_two_stage_fca(max_cost=od.cutoff_m, **kw)
    else:
        out = acc.two_stage_fca(max_cost=od.cutoff_m, **kw)
    return out.iloc[:, 0].reindex(np.arange(len(pop))).fillna(0.0).to_numpy()


CASES = [
    ("2sfca", {}, {}),
    ("e2sfca", {}, {}),
    ("e2sfca", {"zones": {4: 1.0, 7.5: 0.5, 10: 0.1}, "minutes": None}, {}),
    ("gravity", {"decay": "power", "beta": 1.5, "min_m": 50.0}, {}),
    ("gravity", {"decay": "exponential", "beta": 2.0}, {}),
]


@pytest.mark.parametrize("place", ["li", "ams"])
@pytest.mark.parametrize(("method", "opts", "_"), CASES, ids=lambda x: str(x))
def test_equals_pysal_access(place, method, opts, _, request):
    net, fac, pop, key = request.getfixturevalue(place)
    grp = _group(fac, key)
    assert len(grp) >= 4  # a real multi-facility group
    cap = _sizes(len(grp))
    kw = {"minutes": MINUTES, **opts}
    ca = ig.capacity_access(net, grp, pop, key, method=method, capacity=cap, **kw)
    assert ca.cutoff_m == pytest.approx(MINUTES * ig.metres_per_minute(4.8))
    assert ca.capacity_source == "user"
    mpm = ig.metres_per_minute(ig.settings.walk_speed_kmh)
    if method == "e2sfca" and "zones" in opts:
        zones = {m * mpm: w for m, w in opts["zones"].items()}
        ref = _access_reference(ca, pop, method, weight_fn=weights.step_fn(zones))
    elif method == "e2sfca":
        # Luo & Qi's default sub-zones, given to access in metres
        zones = {MINUTES / 3 * mpm: 1.0, 2 * MINUTES / 3 * mpm: 0.68, MINUTES * mpm: 0.22}
        ref = _access_reference(ca, pop, method, weight_fn=weights.step_fn(zones))
    elif method == "gravity" and opts["decay"] == "power":
        fn = weights.gravity(scale=opts["min_m"], alpha=-opts["beta"], min_dist=opts["min_m"])
        ref = _access_reference(ca, pop, method, weight_fn=fn)
    elif method == "gravity":
        ref = _access_reference(
            ca, pop, method, weight_fn=lambda d: np.exp(-opts["beta"] * d / 1000.0)
        )
    else:
        ref = _access_reference(ca, pop, method)
    got = ca.points["access"].to_numpy()
    assert (ref > 0).sum() > 100  # many residents reach something: not a vacuous match
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ca.points["per_1000"].to_numpy(), ref * 1000, rtol=1e-9)


@pytest.mark.parametrize("place", ["li", "ams"])
def test_od_equals_distances_at_points_one_facility_at_a_time(place, request):
    net, fac, pop, key = request.getfixturevalue(place)
    grp = _group(fac, key).reset_index(drop=True)
    cutoff = MINUTES * ig.metres_per_minute(ig.settings.walk_speed_kmh)
    od = ig.walking_od(net, grp, pop, cutoff_m=cutoff)
    assert od.n_sources == len(grp) and od.n_points == len(pop)
    checked = 0
    for f in range(min(len(grp), 6)):
        one = grp.iloc[[f]]
        ref = ig.distances_at_points(net, one, pop.geometry, component=key)[key].to_numpy()
        got = np.full(len(pop), np.inf)
        sel = od.source == f
        got[od.point[sel]] = od.metres[sel]
        inside = ref <= cutoff
        np.testing.assert_allclose(got[inside], ref[inside], rtol=0, atol=1e-6)
        assert np.isinf(got[~inside]).all()
        checked += int(inside.sum())
    assert checked > 50
    # the nearest facility over the whole OD equals the multi-source answer
    near = ig.distances_at_points(net, grp, pop.geometry, component=key)[key].to_numpy()
    best = np.full(len(pop), np.inf)
    np.minimum.at(best, od.point, od.metres)
    inside = near <= cutoff
    np.testing.assert_allclose(best[inside], near[inside], atol=1e-6)
    assert np.isinf(best[~inside]).all()


def test_2sfca_conserves_supply_and_units_are_weighted_means(li):
    net, fac, pop, key = li
    grp = _group(fac, key)
    cap = _sizes(len(grp))
    ca = ig.capacity_access(net, grp, pop, key, minutes=MINUTES, capacity=cap)
    p = ca.points["population"].to_numpy()
    used = ca.facilities["demand_reached"].to_numpy() > 0
    # every unit of a reached facility's capacity is handed out exactly once
    assert (p * ca.points["access"].to_numpy()).sum() == pytest.approx(cap[used].sum(), rel=1e-9)
    assert 0 < used.sum() < len(cap) or used.all()
    for uid, row in ca.units.iterrows():
        m = ca.points["unit_id"].astype(str).to_numpy() == uid
        pw = p[m]
        ref = (pw * ca.points["per_1000"].to_numpy()[m]).sum() / pw.sum()
        assert row["per_1000"] == pytest.approx(ref, rel=1e-12)
        assert row["residents"] == pytest.approx(pw.sum(), rel=1e-12)
        none = pw[ca.points["n_reachable"].to_numpy()[m] == 0].sum() / pw.sum()
        assert row["share_none"] == pytest.approx(none, rel=1e-12, abs=1e-12)
    assert ca.units["residents"].sum() == pytest.approx(p.sum(), rel=1e-12)


def test_capacity_sources():
    sq = [shapely.box(i * 100, 0, i * 100 + 10, 20) for i in range(3)]
    fac = gpd.GeoDataFrame({"building": ["yes"] * 3}, geometry=sq, crs="EPSG:28992")
    cap, src = facility_capacity(fac)
    assert src == "osm:floor_area"
    np.testing.assert_allclose(cap, [200.0] * 3)
    fac["building:levels"] = ["2", None, "x"]
    cap, _ = facility_capacity(fac)
    np.testing.assert_allclose(cap, [400.0, 200.0, 200.0])
    fac["beds"] = ["12", "30", "7"]
    assert facility_capacity(fac)[1] == "osm:beds"
    fac["capacity"] = ["100", "50", None]  # incomplete: never mixed with beds
    cap, src = facility_capacity(fac)
    assert src == "osm:beds"
    np.testing.assert_allclose(cap, [12, 30, 7])
    fac["capacity"] = ["100", "50", "5"]
    assert facility_capacity(fac)[1] == "osm:capacity"
    fac["seats"] = [1, 2, 3]
    cap, src = facility_capacity(fac, "seats")
    assert src == "column:seats" and cap.tolist() == [1, 2, 3]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1], [0, 1]), crs="EPSG:28992")
    cap, src = facility_capacity(pts)
    assert src == "one_per_facility" and cap.tolist() == [1.0, 1.0]


def test_real_group_without_tags_says_one_per_facility(li):
    net, fac, pop, key = li
    ca = ig.capacity_access(net, fac, pop, key, minutes=MINUTES)
    assert ca.capacity_source == "one_per_facility"
    assert (ca.facilities["capacity"] == 1).all()
    assert (ca.facilities["capacity_source"] == "one_per_facility").all()
    assert ca.points.attrs["capacity_source"] == "one_per_facility"


@pytest.mark.parametrize(
    ("kwargs", "err", "words"),
    [
        ({"method": "3sfca"}, ig.InputError, "method must be"),
        ({"minutes": 0}, ig.InputError, "minutes"),
        ({"minutes": -5}, ig.InputError, "minutes"),
        ({"beta": 0, "method": "gravity"}, ig.InputError, "beta"),
        ({"decay": "linear", "method": "gravity"}, ig.InputError, "decay"),
        ({"capacity": "no_such_column"}, ig.InputError, "capacity column"),
        ({"component": "libraries"}, ig.UnknownComponentError, "libraries"),
        ({"component": ["care", "sports"]}, ig.InputError, "one group key"),
        ({"method": "e2sfca", "zones": {5: 1, 10: 0.5}, "minutes": 15}, ig.InputError, "zone"),
        ({"method": "e2sfca", "zones": {5: 1, 10: -0.5}}, ig.InputError, "zone weights"),
        ({"method": "e2sfca", "zones": {0: 1}}, ig.InputError, "upper minutes"),
    ],
)
def test_bad_input(li, kwargs, err, words):
    net, fac, pop, key = li
    kw = {"component": key, **kwargs}
    with pytest.raises(err, match=words):
        ig.capacity_access(net, fac, pop, **kw)


def test_non_positive_capacity_is_refused(li):
    net, fac, pop, key = li
    grp = _group(fac, key)
    cap = _sizes(len(grp))
    cap[3] = 0
    with pytest.raises(ig.InputError, match="positive number for every facility"):
        ig.capacity_access(net, grp, pop, key, capacity=cap)
    with pytest.raises(ig.InputError, match="values for"):
        ig.capacity_access(net, grp, pop, key, capacity=[1.0, 2.0])
