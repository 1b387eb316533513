"""Consistent signatures (issue 13 item 5): keyword-only options, one meaning for ``crs=``,
explicit ``file=``/``place=``, the old call styles kept one release with a DeprecationWarning,
and the documented output-CRS rule, all on real data."""

from __future__ import annotations

import inspect

import pytest
import shapely

import infra_geo as ig
from infra_geo.errors import InputError


def _ids(gdf):
    return sorted(map(str, gdf["unit_id"] if "unit_id" in gdf else gdf["facility_id"]))


def test_options_are_keyword_only():
    kw = inspect.Parameter.KEYWORD_ONLY
    for func, names in (
        (ig.facilities_from_file, ("polygon_crs", "merge_duplicates")),
        (ig.facilities_from_polygon, ("polygon_crs",)),
        (ig.hex_grid, ("polygon_crs",)),
        (ig.neighbourhoods_from_osm, ("file", "place", "polygon_crs")),
    ):
        params = inspect.signature(func).parameters
        for n in names:
            assert params[n].kind is kw, (func.__name__, n)


def test_neighbourhoods_from_osm_file_vs_deprecated_source(liechtenstein):
    new = ig.neighbourhoods_from_osm(file=liechtenstein, admin_level=8)
    with pytest.warns(DeprecationWarning, match="file="):
        old = ig.neighbourhoods_from_osm(liechtenstein, 8)
    assert _ids(new) == _ids(old) and len(new) >= 11  # the eleven Gemeinden (+ neighbours)
    # a mistyped path with file= is a file error, never an online query
    with pytest.raises(ig.errors.DataFileError):
        ig.neighbourhoods_from_osm(file="no-such-file.osm.pbf", admin_level=8)
    with pytest.raises(InputError, match=r"exactly one of file= .* or place="):
        ig.neighbourhoods_from_osm(admin_level=8)
    with pytest.raises(InputError, match="exactly one"):
        ig.neighbourhoods_from_osm(file=liechtenstein, place="Vaduz", admin_level=8)
    with pytest.raises(InputError, match="place must be a place name"):
        ig.neighbourhoods_from_osm(place="  ", admin_level=8)


def test_polygon_crs_replaces_crs_with_a_warning(liechtenstein):
    box = shapely.box(9.50, 47.12, 9.54, 47.15)
    projected = ig.hex_grid(box, size_m=500).to_crs("EPSG:32632").union_all()
    new = ig.facilities_from_file(liechtenstein, polygon=projected, polygon_crs="EPSG:32632")
    with pytest.warns(DeprecationWarning, match="use polygon_crs="):
        old = ig.facilities_from_file(liechtenstein, polygon=projected, crs="EPSG:32632")
    with pytest.warns(DeprecationWarning, match="by keyword"):
        pos = ig.facilities_from_file(liechtenstein, projected, None, "EPSG:32632")
    assert len(new) > 0 and _ids(new) == _ids(old) == _ids(pos)
    with pytest.raises(InputError, match="polygon_crs= only"):
        ig.facilities_from_file(liechtenstein, polygon=projected, crs=1, polygon_crs=2)
    a = ig.hex_grid(projected, size_m=250, polygon_crs="EPSG:32632")
    with pytest.warns(DeprecationWarning):
        b = ig.hex_grid(projected, 250, "EPSG:32632")
    assert a.geometry.equals(b.geometry) and len(a) > 1
    with pytest.raises(TypeError, match="at most 3 positional"):
        ig.hex_grid(projected, 250, "EPSG:32632", 1)


def test_output_crs_rule_on_the_sample():
    """ARCHITECTURE.md: planner tables in EPSG:4326, network geometry in net.crs (metric)."""
    path = ig.sample_path()
    net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    cells = ig.hex_grid(ig.data_extent(path), size_m=250)
    pop = ig.population_from_buildings(path, cells, total=5000)
    for gdf in (fac, cells, pop, ig.gap_analysis(net, fac, cells, pop)):
        assert gdf.crs.to_epsg() == 4326
    assert net.crs.is_projected and net.crs.axis_info[0].unit_name == "metre"
    for gdf in (net.nodes, net.edges, ig.catchments(net, fac, component="care")):
        assert gdf.crs == net.crs
