"""Siting: lazy greedy maximal covering against spopt's exact MCLP and a brute force.

Both solvers work on the same coverage matrix (residents not yet within reach x candidate
sites on the walking network); the optimum for k <= 2 is recomputed by brute force over
every pair of a candidate subset.
"""

from __future__ import annotations

import cases
import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy import sparse

import infra_geo as ig
from infra_geo.siting import greedy_max_cover, grid_candidates, mclp_optimum

pytest.importorskip("spopt", reason="spopt is in the [test] extra")
# spopt builds its model with pulp's pre-4.0 variable API
pytestmark = [
    pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning"),
]

MINUTES = 5


@pytest.fixture(scope="module")
def li(liechtenstein):
    units = ig.neighbourhoods_from_osm(file=liechtenstein, admin_level=8)
    net, fac, pop = cases.decision_inputs(liechtenstein, units, total=38_000)
    s = ig.suggest_sites(net, fac, pop, "education", k=5, minutes=MINUTES, spacing_m=600)
    return net, fac, pop, "education", s


@pytest.fixture(scope="module")
def ams(amsterdam_pbf, amsterdam_buurten):
    covered = cases.amsterdam_covered_buurten(amsterdam_pbf, amsterdam_buurten)
    net, fac, pop = cases.decision_inputs(amsterdam_pbf, covered)
    s = ig.suggest_sites(net, fac, pop, "education", k=5, minutes=MINUTES, spacing_m=60)
    return net, fac, pop, "education", s


def _brute(cov: sparse.csc_matrix, w: np.ndarray, k: int) -> float:
    """Best covered weight over every k-subset of the columns (k <= 2), dense algebra."""
    a = cov.toarray().astype(float)
    single = w @ a
    if k == 1:
        return float(single.max())
    overlap = a.T @ (a * w[:, None])  # weight covered by both columns
    pair = single[:, None] + single[None, :] - overlap
    return float(pair.max())


@pytest.mark.parametrize("place", ["li", "ams"])
def test_greedy_within_095_of_mclp_optimum(place, request):
    _net, _fac, _pop, _key, s = request.getfixturevalue(place)
    cov, w = s.coverage, s.weights
    assert cov.shape[1] >= 30 and cov.nnz > 100  # a real instance
    for k in range(1, 6):
        chosen, gains = greedy_max_cover(cov, w, k)
        opt_cols, opt = mclp_optimum(cov, w, k)
        # the covered weight of a set, recomputed from the matrix
        union = np.asarray(cov[:, chosen].sum(axis=1)).ravel() > 0
        assert gains.sum() == pytest.approx(w[union].sum(), rel=1e-12)
        union_opt = np.asarray(cov[:, opt_cols].sum(axis=1)).ravel() > 0
        assert opt == pytest.approx(w[union_opt].sum(), rel=1e-12)
        assert len(opt_cols) == k
        assert gains.sum() >= 0.95 * opt - 1e-9
        assert gains.sum() <= opt * (1 + 1e-9)
        if k == 1:
            assert gains.sum() == pytest.approx(opt, rel=1e-12)
    # the suggestions are the greedy's
    chosen, gains = greedy_max_cover(cov, w, 5)
    np.testing.assert_array_equal(s.sites["candidate"].to_numpy(), s.candidate_rows[chosen])
    np.testing.assert_allclose(s.sites["newly_reached"].to_numpy(), gains, rtol=1e-12)


@pytest.mark.parametrize("place", ["li", "ams"])
def test_mclp_equals_brute_force_for_k_up_to_2(place, request):
    *_, s = request.getfixturevalue(place)
    cov, w = s.coverage, s.weights
    # a subset: the 40 candidates reaching the most residents (where the optimum lives)
    top = np.argsort(-(w @ cov.toarray()), kind="stable")[:40]
    sub = sparse.csc_matrix(cov[:, top])
    for k in (1, 2):
        ref = _brute(sub, w, k)
        assert ref > 0
        assert mclp_optimum(sub, w, k)[1] == pytest.approx(ref, rel=1e-9)
        assert greedy_max_cover(sub, w, k)[1].sum() <= ref * (1 + 1e-12)


def test_newly_reached_are_residents_not_reached_before(li):
    net, fac, pop, key, s = li
    cutoff = MINUTES * ig.metres_per_minute(ig.settings.walk_speed_kmh)
    near = ig.distances_at_points(net, fac, pop.geometry, component=key)[key].to_numpy()
    p = pop["population"].to_numpy()
    # residents already reached: an independent nearest-distance computation
    assert s.already_reached == pytest.approx(p[near <= cutoff].sum(), rel=1e-9)
    assert s.not_reached == pytest.approx(p[near > cutoff].sum(), rel=1e-9)
    assert (near[s.demand] > cutoff).all()
    # what the suggested sites reach, by the same distance rule from the site points
    sites = gpd.GeoDataFrame(geometry=s.sites.geometry, crs=s.sites.crs)
    new = ig.distances_at_points(net, {"new": sites}, pop.geometry, component="new")[
        "new"
    ].to_numpy()
    newly = (new <= cutoff + 1e-6) & (near > cutoff)
    assert s.sites["newly_reached"].sum() == pytest.approx(p[newly].sum(), rel=1e-6)
    assert s.sites["cumulative"].iloc[-1] == pytest.approx(s.sites["newly_reached"].sum())
    assert (np.diff(s.sites["newly_reached"].to_numpy()) <= 1e-9).all()  # greedy order
    # per unit: the breakdown adds up to each site's figure
    per_rank = s.by_unit.groupby("rank")["newly_reached"].sum()
    np.testing.assert_allclose(per_rank.to_numpy(), s.sites["newly_reached"].to_numpy())
    assert set(s.by_unit["unit_id"]) <= set(pop["unit_id"].astype(str))


def test_highs_and_cbc_agree(ams):
    *_, s = ams
    for k in (2, 4):
        cbc = mclp_optimum(s.coverage, s.weights, k, solver="cbc")[1]
        assert mclp_optimum(s.coverage, s.weights, k, solver="highs")[1] == pytest.approx(cbc)
    with pytest.raises(ig.InputError, match="solver must be"):
        mclp_optimum(s.coverage, s.weights, 1, solver="gurobi")


def test_exact_method_and_gap(ams):
    net, fac, pop, key, _s = ams
    both = ig.suggest_sites(net, fac, pop, key, k=3, minutes=MINUTES, spacing_m=60, method="both")
    exact = ig.suggest_sites(net, fac, pop, key, k=3, minutes=MINUTES, spacing_m=60, method="exact")
    assert exact.gap == 0.0
    assert exact.sites["newly_reached"].sum() == pytest.approx(both.optimum, rel=1e-12)
    assert both.gap == pytest.approx(
        max(0.0, 1 - both.sites["newly_reached"].sum() / both.optimum), abs=1e-12
    )
    assert 0.0 <= both.gap <= 0.05


def test_grid_candidates_lie_on_the_network_inside_the_extent(li):
    net = li[0]
    ext = shapely.box(*shapely.buffer(shapely.Point(net.node_xy.mean(axis=0)), 1500).bounds)
    c = grid_candidates(net, ext, spacing_m=250, polygon_crs=net.crs)
    assert 20 < len(c) <= (3000 // 250 + 1) ** 2
    d = shapely.distance(c.to_numpy()[:, None], shapely.multilinestrings(net.edge_geometry))
    assert float(d.max()) < 1e-6
    assert shapely.within(c.to_numpy(), shapely.buffer(ext, 125.0 + 1e-6)).all()


def test_no_existing_facilities_and_user_candidates(ams):
    net, fac, pop, _key, _s = ams
    cand = fac.to_crs(net.crs).geometry.representative_point().iloc[:25]
    s = ig.suggest_sites(net, None, pop, k=2, minutes=MINUTES, candidates=cand)
    assert s.already_reached == 0.0
    assert set(s.sites["candidate"]) <= set(range(25))
    assert s.sites["newly_reached"].iloc[0] > 0


def test_group_without_facilities_means_everyone_is_demand(ams):
    net, fac, pop, key, _s = ams
    j = ig.COMPONENT_KEYS.index(key)
    others = fac.loc[~ig.component_matrix(fac, ig.COMPONENT_KEYS)[:, j]]
    a = ig.suggest_sites(net, others, pop, key, k=2, minutes=MINUTES, spacing_m=60)
    b = ig.suggest_sites(net, None, pop, k=2, minutes=MINUTES, spacing_m=60)
    assert a.already_reached == 0.0 and a.not_reached == pytest.approx(pop["population"].sum())
    np.testing.assert_array_equal(a.sites["candidate"], b.sites["candidate"])
    np.testing.assert_allclose(a.sites["newly_reached"], b.sites["newly_reached"])


@pytest.mark.parametrize(
    ("kwargs", "err", "words"),
    [
        ({"k": 0}, ig.InputError, "k must be"),
        ({"k": 2.5}, ig.InputError, "k must be"),
        ({"minutes": 0}, ig.InputError, "minutes"),
        ({"method": "ilp"}, ig.InputError, "method must be"),
        ({"component": "libraries"}, ig.UnknownComponentError, "libraries"),
        ({"spacing_m": -1}, ig.InputError, "spacing_m"),
    ],
)
def test_bad_input(ams, kwargs, err, words):
    net, fac, pop, key, _s = ams
    kw = {"component": key, "minutes": MINUTES, **kwargs}
    with pytest.raises(err, match=words):
        ig.suggest_sites(net, fac, pop, **kw)


def test_empty_and_off_network_candidates(ams):
    net, fac, pop, key, _s = ams
    empty = gpd.GeoSeries([], crs=net.crs)
    with pytest.raises(ig.EmptyDataError, match="candidates is empty"):
        ig.suggest_sites(net, fac, pop, key, candidates=empty)
    far = gpd.GeoSeries([shapely.Point(0, 0)], crs="EPSG:4326")
    with pytest.raises(ig.EmptyDataError, match="walkable street"):
        ig.suggest_sites(net, fac, pop, key, candidates=far)
    with pytest.raises(ig.InputError, match="weights has"):
        greedy_max_cover(np.ones((3, 2), bool), [1.0], 1)
    with pytest.raises(ig.InputError, match="weights must be"):
        greedy_max_cover(np.ones((1, 2), bool), [-1.0], 1)
