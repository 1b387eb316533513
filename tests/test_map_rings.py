"""The map's catchment rings, cut fast (issue 14 item 3), checked on real data.

The rings are cut on a micrometre grid, on a thread beside the drawing, with ``make_valid`` only when GEOS
refuses an area: the drawn result must stay the catchments at display scale (rings meet
without overlap and compose to each threshold's area), and be the same bytes for the same
catchments, however they reached the map (made here, copied, pickled).
"""

from __future__ import annotations

import copy
import pickle

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

import infra_geo as ig
from infra_geo.components import COMPONENTS
from infra_geo.maps import coverage_map
from infra_geo.maps._common import _SIMPLIFY_CATCHMENT_M
from infra_geo.maps._layers import _CatchmentRing, _cut_rings


@pytest.fixture(scope="module")
def li_catchments(li_net_fac):
    net, fac = li_net_fac
    return fac, ig.catchments(net, fac)


def _rings(m) -> dict[tuple[str, str], _CatchmentRing]:
    """The catchment ring layers of a map by (component class, minutes of its layer name)."""
    out = {}
    for fg in m._children.values():
        for el in fg._children.values():
            if isinstance(el, _CatchmentRing):
                key = el.options["style"].split("ig-catch-")[1].split('"')[0]
                out[(key, fg.layer_name.rsplit("– ", 1)[1].split()[0])] = el
    return out


def test_rings_compose_to_the_catchments_on_liechtenstein(li_catchments):
    """Per threshold the rings up to it are its catchment at display scale (IoU >= 0.99,
    nothing beyond the display tolerance), and no two rings share area."""
    fac, catch = li_catchments
    rings = _rings(coverage_map(fac, catchments=catch))
    utm = catch.crs
    checked = 0
    for c in COMPONENTS:
        drawn = []
        for mins in (5, 10, 15):
            el = rings.get((c.key, str(mins)))
            if el is None:
                continue
            # rounded to ~1 m, a ring may touch itself: made valid to measure it, as the page
            # fills it (shells minus holes)
            drawn.append(
                shapely.make_valid(
                    gpd.GeoSeries([el.ring], crs=4326).to_crs(utm).iloc[0],
                    method="structure",
                    keep_collapsed=False,
                )
                if el.ring is not None
                else Point()
            )
            union = gpd.GeoSeries(drawn, crs=utm).union_all()
            sel = (catch["component"] == c.key) & (catch["minutes"] == mins)
            want = catch.loc[sel].geometry.iloc[0]
            iou = union.intersection(want).area / union.union(want).area
            assert iou >= 0.99, (c.key, mins, iou)
            assert union.difference(want.buffer(_SIMPLIFY_CATCHMENT_M + 2)).area < 1.0
            checked += 1
        for i in range(len(drawn)):
            for j in range(i + 1, len(drawn)):
                small = min(drawn[i].area, drawn[j].area)
                assert drawn[i].intersection(drawn[j]).area < 3e-4 * small + 10.0, (c.key, i, j)
    assert checked >= 18  # Liechtenstein has facilities of (almost) every component


def test_rings_cut_on_the_grid_are_the_exact_rings(li_catchments):
    """Cutting on the 1e-6 m grid moves a ring by micrometres: the symmetric difference with
    the exact cut is under a micrometre times the ring's boundary length."""
    _fac, catch = li_catchments
    for c in COMPONENTS:
        levels = [
            catch.loc[(catch["component"] == c.key) & (catch["minutes"] == mins)].geometry.iloc[0]
            for mins in (5, 10, 15)
        ]
        exact = _cut_rings(np.array(levels, dtype=object))
        grid = shapely.transform(
            np.array(levels, dtype=object), lambda xy: np.round(xy / 1e-6) * 1e-6
        )
        fast = _cut_rings(grid)
        for a, b in zip(exact, fast, strict=True):
            if a is None:
                assert b is None
                continue
            assert a.area > 1e4
            # the boundary moves by under a micrometre: area < 1e-6 m x its length (0.05 m2
            # on Liechtenstein's largest ring, 249 km of boundary)
            assert shapely.symmetric_difference(a, b).area < 1e-6 * a.length, c.key


def test_same_bytes_for_copied_and_pickled_catchments(li_catchments, tmp_path):
    """The rings are a function of the geometries alone: the catchments as made, copied,
    deep-copied or pickled give the same map.html, byte for byte, every time."""
    fac, catch = li_catchments
    pages = []
    for frame in (
        catch,
        catch.copy(),
        copy.deepcopy(catch),
        pickle.loads(pickle.dumps(catch)),
        catch,
    ):
        path = tmp_path / f"map{len(pages)}.html"
        coverage_map(fac, catchments=frame).save(str(path))
        pages.append(path.read_bytes())
    assert len(pages[0]) > 100_000
    assert all(p == pages[0] for p in pages[1:])


def test_an_invalid_area_is_drawn_repaired():
    """A self-intersecting 5-minute area (which no GEOS cut may notice) is drawn as its
    ``make_valid`` repair, and the 10-minute ring is the rest of the larger area."""
    x0, y0 = 155_000.0, 463_000.0
    bow = Polygon([(0, 0), (400, 400), (400, 0), (0, 400), (0, 0)])
    bow, big = (
        shapely.transform(g, lambda xy: xy + np.array([x0, y0]))
        for g in (bow, box(-200, -200, 600, 600))
    )
    fac = gpd.GeoDataFrame(
        {
            "name": ["a"],
            "category": ["amenity=school"],
            "component": ["education"],
            "components": ["education"],
            "osm_type": ["node"],
            "osm_id": [1],
        },
        geometry=[Point(x0 + 200, y0 + 50)],
        crs=28992,
    )
    for levels in ([bow, big], [bow]):
        catch = gpd.GeoDataFrame(
            {"component": "education", "minutes": [5, 10][: len(levels)], "metres": 400.0,
             "area_m2": 0.0},
            geometry=levels,
            crs=28992,
        )  # fmt: skip
        rings = _rings(coverage_map(fac, catchments=catch))
        five = gpd.GeoSeries([rings[("education", "5")].ring], crs=4326).to_crs(28992).iloc[0]
        assert five.is_valid
        assert five.area == pytest.approx(shapely.make_valid(bow).area, rel=0.02)  # 80,000 m2
        if len(levels) == 2:
            ten = gpd.GeoSeries([rings[("education", "10")].ring], crs=4326).to_crs(28992).iloc[0]
            assert ten.area == pytest.approx(big.area - five.area, rel=0.02)
            assert five.intersection(ten).area < 10.0


def test_slivers_dropped_and_missing_levels_skipped():
    """Micrometre slivers go (a ring left with none is None), other rings stay untouched; a
    threshold with no area is no ring, in metres and in degrees alike."""
    from infra_geo.maps._layers import _nested_rings, _without_slivers

    tiny = box(0, 0, 1e-3, 1e-3)  # 1e-6 m2
    keep = box(5, 5, 6, 6)
    rings = np.array(
        [None, shapely.MultiPolygon([box(0, 0, 10, 10), box(20, 20, 20.001, 20.001)]), tiny, keep],
        dtype=object,
    )
    out = _without_slivers(rings, min_area=1e-3)
    assert out[0] is None and out[2] is None and out[3] is keep
    assert shapely.equals(out[1], box(0, 0, 10, 10))
    x0, y0 = 155_000.0, 463_000.0
    parts = [None, box(x0, y0, x0 + 100, y0 + 100), None, box(x0 - 50, y0 - 50, x0 + 300, y0 + 300)]
    for crs, levels in (
        ("EPSG:28992", parts),
        ("EPSG:4326", list(gpd.GeoSeries(parts, crs=28992).to_crs(4326))),
    ):
        drawn = _nested_rings(levels, crs)
        assert drawn[0] is None and drawn[2] is None
        back = gpd.GeoSeries(drawn, crs=4326).to_crs(28992)
        assert back.iloc[1].area == pytest.approx(100 * 100, rel=0.01)
        assert back.iloc[3].area == pytest.approx(350 * 350 - 100 * 100, rel=0.01)


def test_rings_cut_ahead_are_taken_and_give_the_same_bytes(li_catchments, tmp_path):
    """``analyse`` starts cutting the rings once the catchments exist; the map of the same
    geometries takes them (the entry is gone afterwards) and writes the bytes of a map whose
    rings were cut there, from a pickled copy. Other geometries do not take them."""
    from infra_geo.maps import _layers

    fac, catch = li_catchments
    _layers._AHEAD.clear()
    _layers.cut_rings_ahead(catch)
    assert len(_layers._AHEAD) == 1
    other = pickle.loads(pickle.dumps(catch))  # equal geometries, other objects: cut anew
    coverage_map(fac, catchments=other).save(str(tmp_path / "other.html"))
    assert len(_layers._AHEAD) == 1
    coverage_map(fac, catchments=catch).save(str(tmp_path / "ahead.html"))
    assert _layers._AHEAD == []
    assert (tmp_path / "ahead.html").read_bytes() == (tmp_path / "other.html").read_bytes()


def test_analyse_cuts_the_rings_ahead_and_forgets_unused_ones(liechtenstein):
    """``analyse`` leaves one entry for its catchments; ``map()`` takes it; an analysis that
    is never mapped drops its entry when it is garbage-collected."""
    import gc

    from infra_geo.maps import _layers

    _layers._AHEAD.clear()
    res = ig.analyse(liechtenstein, neighbourhoods="admin:8")
    assert len(_layers._AHEAD) == 1
    res.map()
    assert _layers._AHEAD == []
    res = ig.analyse(liechtenstein, neighbourhoods="admin:8")
    assert len(_layers._AHEAD) == 1
    del res
    gc.collect()
    assert _layers._AHEAD == []


def test_rings_ahead_are_cut_on_two_threads_largest_first(li_catchments, monkeypatch):
    """The rings cut ahead are shared by ``_AHEAD_THREADS`` (two) threads, the component with
    the most vertices first; each component is cut once, and the rings are the ones the map
    cuts itself."""
    import threading

    from infra_geo.maps import _layers

    catch = li_catchments[1]
    real = _layers._component_rings
    calls: list[tuple[int, int]] = []

    def spy(groups, crs):
        calls.append((threading.get_ident(), sum(len(shapely.get_coordinates(a)) for a in groups)))
        return real(groups, crs)

    monkeypatch.setattr(_layers, "_component_rings", spy)
    _layers._AHEAD.clear()
    _layers.cut_rings_ahead(catch)
    futures = _layers._AHEAD[0][2]
    got = {k: f.result(timeout=120) for k, f in futures.items()}
    assert _layers._AHEAD_THREADS == 2
    assert len(calls) == len(COMPONENTS) == len(got)
    assert len({t for t, _ in calls}) == 2
    sizes = [n for _, n in calls]
    assert max(sizes[:2]) == max(sizes)  # the largest is among the first two started
    _, groups = _layers._ring_groups(catch)
    for key in ("care", "public_space"):
        assert real(groups[key], catch.crs)[2] == got[key][2]
    _layers._AHEAD.clear()
