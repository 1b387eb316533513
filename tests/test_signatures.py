"""Consistent signatures (issue 13 item 5): keyword-only options, one meaning for ``crs=``,
explicit ``file=``/``place=``, the old call styles kept one release with a DeprecationWarning,
and the documented output-CRS rule, all on real data."""

from __future__ import annotations

import inspect
from typing import Any

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
    with pytest.warns(DeprecationWarning, match="admin_level="):  # and the level by position
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


# --------------------------------------------------------------------------------------------
# Every public callable: options keyword-only, no Any where a named type fits (issue 13 item 5)
# --------------------------------------------------------------------------------------------

#: The data arguments each public callable may take by position (everything else is an option
#: and keyword-only). A new public function must be listed here: the test fails until it is.
DATA_ARGS: dict[str, tuple[str, ...]] = {
    # front doors
    "analyse": ("osm_file",),
    "analyse_regions": ("osm_file", "regions"),
    "RegionsResult.counts": (),
    "default_buffer_m": (),
    "sample_path": (),
    "facilities_from_file": ("path", "polygon"),
    "facilities_from_polygon": ("polygon",),
    "facilities_from_place": ("query",),
    "facilities_from_bbox": ("bbox",),
    "entrances_from_file": ("path", "polygon"),
    "geocode_place": ("query",),
    "walk_network_from_file": ("path", "polygon"),
    "walk_network_from_polygon": ("polygon",),
    "walk_network_from_place": ("query",),
    "neighbourhoods_from_file": ("path",),
    "neighbourhoods_from_osm": ("source",),  # the deprecated file-or-place guess
    "read_cbs_table": ("path",),
    "join_cbs_table": ("neighbourhoods", "table"),
    "hex_grid": ("area", "size_m"),
    "check_lonlat": ("bounds", "name"),
    "population_from_buildings": ("source", "neighbourhoods"),
    "population_from_streets": ("streets", "neighbourhoods"),
    "population_from_raster": ("path", "area"),
    "residential_buildings": ("source", "polygon"),
    "data_extent": ("source",),
    "extent_from_points": ("points",),
    "read_extent": ("source",),
    "evidence_points": ("data",),
    "run_extent": ("net", "source_file", "area", "user_extent"),
    # distances, catchments, gaps
    "metres_per_minute": ("speed_kmh",),
    "attach_facilities": ("net", "facilities"),
    "distance_to_nearest": ("net", "facilities"),
    "nearest_facilities": ("net", "facilities"),
    "distances_at_points": ("net", "facilities", "points"),
    "catchments": ("net", "facilities"),
    "resident_access": ("net", "facilities", "population"),
    "gap_analysis": ("net", "facilities", "neighbourhoods", "population"),
    "gaps_and_residents": ("net", "facilities", "neighbourhoods", "population"),
    "uncovered_areas": ("net", "facilities", "population"),
    "coverage_map": ("facilities", "catchments", "gaps"),
    # decisions: the group to serve is required data of the question asked
    "capacity_access": ("net", "facilities", "population", "component"),
    "facility_capacity": ("facilities", "capacity"),
    "with_capacity": ("res", "component"),
    "scenario": ("res",),
    "removal_mask": ("facilities", "remove"),
    "added_facilities": ("add",),
    "compare": ("before", "after"),
    "compare_map": ("before", "after"),
    "step_weights": ("minutes",),
    "two_step": ("od", "demand", "supply", "weight"),
    "cbs_columns": ("buurten", "rules"),
    "units_frame": ("neighbourhoods",),
    "assign_units": ("points", "units"),
    "walking_od": ("net", "facilities", "points"),
    "suggest_sites": ("net", "facilities", "population", "component"),
    "grid_candidates": ("net", "extent"),
    "greedy_max_cover": ("coverage", "weights", "k"),
    "mclp_optimum": ("coverage", "weights", "k"),
    # taxonomy
    "load_rules": ("rules",),
    "rules_markdown": ("rules",),
    "classify": ("gdf",),
    "check_components": ("keys",),
    "component_mask": ("facilities", "key"),
    "component_matrix": ("facilities", "keys"),
    "compare_with_cbs": ("result", "buurten"),
    "summary_section": ("result",),
    "build_parser": (),
    "main": ("argv",),
    "cli_message": ("message",),
    # methods (``self``/``cls`` aside)
    "WalkNetwork.__init__": (
        "node_ids",
        "node_xy",
        "edge_u",
        "edge_v",
        "edge_geometry",
        "crs",
        "edge_data",
    ),
    "WalkNetwork.from_networkx": ("G",),
    "WalkNetwork.snap": ("points",),
    "WalkNetwork.snap_xy": ("xy",),
    "WalkNetwork.to_networkx": (),
    "Access.__init__": ("net", "facilities"),
    # the engine's queries: ``keys`` (which groups) is what is asked for
    "Access.at_points": ("points", "keys"),
    "Access.check_keys": ("keys",),
    "Access.distances": ("keys",),
    "Access.node_distances": ("keys",),
    "Access.point_table": ("s", "index", "keys"),
    "Access.with_facilities": ("facilities",),
    "Analysis.coverage": (),
    "Analysis.coverage_text": (),
    "Analysis.map": (),
    "Analysis.place_name": (),
    "Analysis.save": ("out_dir",),
    "Analysis.summary": (),
    "Analysis.summary_markdown": (),
    "Analysis.walk_minutes_grid": (),
    "Analysis.with_capacity": ("component",),
    "Analysis.scenario": (),
    "Access.edited": (),
    "CBSComparison.markdown": ("lang",),  # a one-argument accessor
    "CBSComparison.wide": (),
    "Component.label": ("lang",),  # a one-argument accessor
    "Rules.component": ("key",),
    "Rules.category_label": ("category",),
    "Rules.match_keys": (),
    "Rules.osm_tags": (),
}


def _public_modules():
    import importlib
    import pkgutil

    names = [
        m.name
        for m in pkgutil.walk_packages(ig.__path__, "infra_geo.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]
    return [ig] + [importlib.import_module(n) for n in names]


def _public_callables():
    """(qualified name, callable, is a dataclass constructor) for every public callable."""
    import dataclasses

    seen: dict[int, str] = {}
    out = []

    def add(name, obj, dc=False):
        if id(obj) not in seen:
            seen[id(obj)] = name
            out.append((name, obj, dc))

    for mod in _public_modules():
        # a public module's functions: those it defines and those its __all__ re-exports
        exported = set(getattr(mod, "__all__", ()))
        for name, obj in vars(mod).items():
            if (
                not name.startswith("_")
                and inspect.isfunction(obj)
                and obj.__module__.startswith("infra_geo")
                and (obj.__module__ == mod.__name__ or name in exported)
            ):
                add(name, obj)
    for name in ig.__all__:
        cls = getattr(ig, name)
        if not inspect.isclass(cls) or issubclass(cls, Exception):
            continue
        is_dc = dataclasses.is_dataclass(cls)
        # a dataclass's fields: get_type_hints(cls) resolves inherited fields in their modules
        add(f"{name}.__init__", cls if is_dc else cls.__init__, is_dc)
        for attr, member in vars(cls).items():
            func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if not attr.startswith("_") and inspect.isfunction(func):
                add(f"{name}.{attr}", getattr(cls, attr))
    return out


def test_the_walk_finds_the_public_api():
    names = {n for n, _, _ in _public_callables()}
    for expected in (
        "analyse",
        "gap_analysis",
        "coverage_map",
        "Analysis.map",
        "Access.distances",
        "WalkNetwork.snap",
        "WalkNetwork.from_networkx",
        "suggest_sites",
        "facility_capacity",
        "summary_section",
        "Analysis.__init__",
    ):
        assert expected in names, expected


def _keyword_problems(callables):
    problems = []
    for name, func, is_dataclass in callables:
        if is_dataclass:
            continue  # a dataclass's fields are its constructor's parameters
        params = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.name not in ("self", "cls")
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if name not in DATA_ARGS:
            problems.append(f"{name}: not in DATA_ARGS (list its data arguments)")
            continue
        extra = [p.name for p in params if p.name not in DATA_ARGS[name]]
        if extra:
            problems.append(f"{name}: options {extra} must be keyword-only")
    return problems


def _is_any(hint) -> bool:
    import types
    import typing

    if hint is typing.Any:
        return True
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_is_any(a) for a in typing.get_args(hint))
    return False


def _any_problems(callables):
    import typing

    problems = []
    for name, func, _ in callables:
        try:
            hints = typing.get_type_hints(func)
        except Exception as exc:  # an annotation that does not resolve at run time
            problems.append(f"{name}: get_type_hints fails: {exc!r}")
            continue
        problems += [
            f"{name}: {p} is Any" for p, h in hints.items() if not p.startswith("_") and _is_any(h)
        ]
    return problems


def test_every_public_option_is_keyword_only():
    """Positional parameters are the data arguments listed in DATA_ARGS, nothing else."""
    problems = _keyword_problems(_public_callables())
    assert not problems, "\n".join(problems)


def test_no_any_on_public_parameters_or_returns():
    """typing.get_type_hints resolves every public signature, and no parameter or return is
    Any (or ``Any | None``); Any inside a container (``Mapping[str, Any]`` of tags) is fine."""
    problems = _any_problems(_public_callables())
    assert not problems, "\n".join(problems)


def test_the_guards_catch_a_regression():
    """The checks fail on a positional option, an unlisted function and an Any annotation."""

    def gap_analysis(net, facilities, neighbourhoods, population=None, minutes=10):
        return None

    def new_front_door(path):
        return None

    def catchments(net, facilities, *, extent: Any = None) -> Any:
        return None

    def suggest_sites(net, facilities, population, component, *, solver: Any | None = None):
        return None

    found = _keyword_problems(
        [("gap_analysis", gap_analysis, False), ("new_front_door", new_front_door, False)]
    )
    assert found == [
        "gap_analysis: options ['minutes'] must be keyword-only",
        "new_front_door: not in DATA_ARGS (list its data arguments)",
    ]
    found = _any_problems([("catchments", catchments, False), ("s", suggest_sites, False)])
    assert found == ["catchments: extent is Any", "catchments: return is Any", "s: solver is Any"]
    # Any inside a container is allowed (OSM tag mappings), a named alias is not Any
    assert not _any_problems([("facilities_from_file", ig.facilities_from_file, False)])


def test_positional_options_still_work_one_release_with_a_warning():
    """The old positional call styles give the same result, with a DeprecationWarning."""
    path = ig.sample_path()
    net, fac = ig.walk_network_from_file(path), ig.facilities_from_file(path)
    new = ig.distance_to_nearest(net, fac, component="care")
    with pytest.warns(DeprecationWarning, match=r"pass component= by keyword"):
        old = ig.distance_to_nearest(net, fac, "care")
    assert old.equals(new) and len(new) == net.n_nodes
    with pytest.warns(DeprecationWarning, match=r"minutes, speed_kmh"):
        old = ig.catchments(net, fac, [5], 4.8, component="care")
    new = ig.catchments(net, fac, minutes=[5], speed_kmh=4.8, component="care")
    assert old.geometry.equals(new.geometry) and len(new) == 1
    with pytest.warns(DeprecationWarning, match="rules="):
        old = ig.facilities_from_file(path, None, "cbs_nabijheid")
    assert _ids(old) == _ids(ig.facilities_from_file(path, rules="cbs_nabijheid"))
    with pytest.raises(TypeError, match="multiple values for 'component'"):
        ig.distance_to_nearest(net, fac, "care", component="care")
