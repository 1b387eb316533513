"""Splitting one OSM file into one extract per region in a constant number of passes (issue 17,
item 3).

The reference is written here, independently of :mod:`infra_geo._split`: one plain pyosmium
pass that keeps every object in Python sets and tests each node with shapely, one node at a
time, then applies the rules of the docstring with set operations. The extracts must hold
exactly those ids; every way must be complete, every multipolygon complete, and the facilities
read from an extract must equal the whole file's within the unbuffered region.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import ClassVar

import numpy as np
import osmium
import pytest
import shapely

import infra_geo as ig
from infra_geo import _split
from infra_geo._split import split_extract
from infra_geo.errors import CRSError, DataFileError, GeometryError, InputError

BUFFER_M = 1300.0


class _CountingProcessor(osmium.FileProcessor):
    """The real ``osmium.FileProcessor``, counting how often a file is opened."""

    opened: ClassVar[list[str]] = []

    def __init__(self, indata, *args, **kwargs) -> None:
        _CountingProcessor.opened.append(type(indata).__name__)
        super().__init__(indata, *args, **kwargs)


def _stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


@pytest.fixture(scope="module")
def li_regions(liechtenstein: Path):
    """The 11 municipalities (admin_level 8) of Liechtenstein, unbuffered and buffered 1.3 km."""
    nb = ig.neighbourhoods_from_osm(file=liechtenstein, admin_level=8)
    metric = nb.to_crs("EPSG:32632")
    buffered = metric.buffer(BUFFER_M).to_crs("EPSG:4326")
    keys = [_stem(n) for n in nb["unit_name"]]
    return dict(zip(keys, nb.geometry, strict=True)), dict(zip(keys, buffered, strict=True))


@pytest.fixture(scope="module")
def li_split(liechtenstein: Path, li_regions, tmp_path_factory: pytest.TempPathFactory):
    """One split of Liechtenstein into its buffered municipalities; the files it opened."""
    _, buffered = li_regions
    out = tmp_path_factory.mktemp("split") / "extracts"
    _CountingProcessor.opened = []
    messages: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(osmium, "FileProcessor", _CountingProcessor)
        paths = split_extract(liechtenstein, buffered, out, progress=messages.append)
    return paths, list(_CountingProcessor.opened), messages, out


# ------------------------------------------------------------------------------------------
# the independent reference


@pytest.fixture(scope="module")
def li_objects(liechtenstein: Path):
    """Every node location, way node list and relation of the file, as plain Python."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, list[int]] = {}
    rels: dict[int, tuple[str, list[tuple[str, int]]]] = {}
    for o in osmium.FileProcessor(str(liechtenstein)):
        if o.is_node():
            nodes[o.id] = (o.location.lon, o.location.lat)
        elif o.is_way():
            ways[o.id] = [n.ref for n in o.nodes]
        else:
            rels[o.id] = (o.tags.get("type", ""), [(m.type, m.ref) for m in o.members])
    return nodes, ways, rels


def _reference(
    objects, area, types=("multipolygon", "boundary")
) -> tuple[set[int], set[int], set[int]]:
    """Node, way and relation ids the extract of ``area`` must hold, object by object."""
    nodes, ways, rels = objects
    shapely.prepare(area)
    inside = {i for i, (x, y) in nodes.items() if area.intersects(shapely.Point(x, y))}
    way_in = {w for w, refs in ways.items() if any(r in inside for r in refs)}
    rel_in = {
        r
        for r, (_, ms) in rels.items()
        if any((t == "n" and x in inside) or (t == "w" and x in way_in) for t, x in ms)
    }
    while True:
        parents = {
            r
            for r, (_, ms) in rels.items()
            if r not in rel_in and any(t == "r" and x in rel_in for t, x in ms)
        }
        if not parents:
            break
        rel_in |= parents
    mp_ways = {
        x for r in rel_in if rels[r][0] in types for t, x in rels[r][1] if t == "w" and x in ways
    }
    all_ways = way_in | mp_ways
    all_nodes = inside | {n for w in all_ways for n in ways[w] if n in nodes}
    return all_nodes, all_ways, rel_in


def _content(path: Path) -> dict[str, list[int]]:
    """Ids per type in file order."""
    out: dict[str, list[int]] = {"n": [], "w": [], "r": []}
    order = []
    for o in osmium.FileProcessor(str(path)):
        t = o.type_str()
        if not order or order[-1] != t:
            order.append(t)
        out[t].append(o.id)
    assert order == [t for t in "nwr" if out[t]], f"{path.name}: types out of order {order}"
    return out


# ------------------------------------------------------------------------------------------
# tests


def test_every_region_written_in_three_passes(li_split, li_regions, liechtenstein) -> None:
    paths, opened, messages, out = li_split
    _, buffered = li_regions
    assert len(buffered) == 11
    assert list(paths) == list(buffered)
    assert all(p == out / f"{k}.osm.pbf" and p.is_file() for k, p in paths.items())
    assert sorted(q.name for q in out.iterdir()) == sorted(f"{k}.osm.pbf" for k in paths)
    # three passes over the input, none per region
    assert len(opened) == 3
    assert [m.split(":")[0] for m in messages] == ["pass 1/3", "pass 2/3", "pass 3/3"]


def test_passes_do_not_grow_with_the_number_of_regions(li_regions, liechtenstein, tmp_path):
    _, buffered = li_regions
    one = dict(list(buffered.items())[:1])
    _CountingProcessor.opened = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(osmium, "FileProcessor", _CountingProcessor)
        split_extract(liechtenstein, one, tmp_path / "one")
    assert len(_CountingProcessor.opened) == 3


def test_groups_of_writers_give_the_same_files(li_split, li_regions, liechtenstein, tmp_path):
    # more areas than files that may be open at once: one writing pass per group of 4
    paths, *_ = li_split
    _, buffered = li_regions
    _CountingProcessor.opened = []
    messages: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(osmium, "FileProcessor", _CountingProcessor)
        mp.setattr(_split, "_MAX_WRITERS", 4)
        grouped = split_extract(liechtenstein, buffered, tmp_path, progress=messages.append)
    assert len(_CountingProcessor.opened) == 2 + 3
    assert messages[-1].startswith("pass 5/5: writing 3 extract(s) (9-11 of 11)")
    for key, path in paths.items():
        assert _content(grouped[key]) == _content(path), key


@pytest.mark.parametrize("key", ["Vaduz", "Schaan", "Planken", "Balzers"])
def test_extract_equals_object_by_object_reference(li_split, li_regions, li_objects, key):
    paths, *_ = li_split
    _, buffered = li_regions
    got = _content(paths[key])
    nodes, ways, rels = _reference(li_objects, buffered[key])
    assert len(nodes) > 1000 and len(ways) > 100 and len(rels) > 5
    assert set(got["n"]) == nodes
    assert set(got["w"]) == ways
    assert set(got["r"]) == rels
    # sorted by id within each type, no duplicates
    for t in "nwr":
        assert np.all(np.diff(got[t]) > 0)


def test_only_multipolygons_completed_when_asked(li_regions, li_objects, liechtenstein, tmp_path):
    _, buffered = li_regions
    area = buffered["Schaan"]
    paths = split_extract(liechtenstein, {"s": area}, tmp_path, complete_types=("multipolygon",))
    got = _content(paths["s"])
    nodes, ways, rels = _reference(li_objects, area, types=("multipolygon",))
    assert (set(got["n"]), set(got["w"]), set(got["r"])) == (nodes, ways, rels)
    # completing the boundaries too adds their ways: the default differs here
    assert ways < _reference(li_objects, area)[1]


def _attributes(path: Path, keep=None) -> dict[tuple[str, int], tuple]:
    """Every object's version, timestamp, changeset, user, tags, node refs and members."""
    out = {}
    for o in osmium.FileProcessor(str(path)):
        key = (o.type_str(), o.id)
        if keep is not None and key not in keep:
            continue
        extra = (
            tuple(n.ref for n in o.nodes)
            if o.is_way()
            else tuple((m.type, m.ref, m.role) for m in o.members)
            if o.is_relation()
            else (o.location.x, o.location.y)
        )
        out[key] = (o.version, o.timestamp, o.changeset, o.user, dict(o.tags), extra)
    return out


def test_objects_keep_their_attributes(li_split, liechtenstein) -> None:
    paths, *_ = li_split
    got = _attributes(paths["Planken"])
    assert len(got) > 1000
    assert got == _attributes(liechtenstein, keep=got.keys())


def test_ways_and_multipolygons_complete(li_split, li_objects) -> None:
    paths, *_ = li_split
    all_nodes, all_ways, _ = li_objects
    n_mp = 0
    for path in paths.values():
        node_ids: set[int] = set()
        way_ids: set[int] = set()
        for o in osmium.FileProcessor(str(path)):
            if o.is_node():
                node_ids.add(o.id)
            elif o.is_way():
                way_ids.add(o.id)
                missing = {n.ref for n in o.nodes} - node_ids
                # complete: every node the whole file has (a clipped country file lacks some)
                assert not (missing & all_nodes.keys()), (path.name, o.id)
                assert [n.ref for n in o.nodes] == all_ways[o.id]
            elif o.tags.get("type") in ("multipolygon", "boundary"):
                n_mp += 1
                members = {m.ref for m in o.members if m.type == "w"}
                assert members & all_ways.keys() <= way_ids, (path.name, o.id)
    assert n_mp > 50


def test_header_box_is_the_area_bounds(li_split, li_regions) -> None:
    paths, *_ = li_split
    _, buffered = li_regions
    for key, path in paths.items():
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
        got = (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
        assert np.allclose(got, buffered[key].bounds, atol=1e-7), key


def test_facilities_in_region_equal_whole_file(li_split, li_regions, liechtenstein) -> None:
    paths, *_ = li_split
    plain, _ = li_regions
    whole = ig.facilities_from_file(liechtenstein)
    compared = 0
    for key in ("Vaduz", "Triesenberg", "Eschen"):
        region = plain[key]
        part = ig.facilities_from_file(paths[key])
        a = whole[whole.intersects(region)].set_index("facility_id").sort_index()
        b = part[part.intersects(region)].set_index("facility_id").sort_index()
        assert len(a) > 10
        assert list(a.index) == list(b.index), key
        assert list(a["components"]) == list(b["components"])
        assert list(a["component"]) == list(b["component"])
        assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=1e-9).all()
        compared += len(a)
    assert compared > 90


def test_xml_input_gives_the_same_extracts_as_its_pbf(amsterdam_osm, amsterdam_pbf, tmp_path):
    w, s, e, n = 4.8906, 52.3657, 4.9037, 52.3737
    mid = (w + e) / 2
    areas = {"west": shapely.box(w, s, mid, n), "east": shapely.box(mid, s, e, n)}
    a = split_extract(amsterdam_osm, areas, tmp_path / "xml")
    b = split_extract(amsterdam_pbf, areas, tmp_path / "pbf")
    for key in areas:
        ca, cb = _content(a[key]), _content(b[key])
        assert ca == cb
        assert len(ca["n"]) > 1000 and len(ca["w"]) > 100
    assert sorted(q.name for q in (tmp_path / "xml").iterdir()) == ["east.osm.pbf", "west.osm.pbf"]


def test_unsorted_pbf_is_sorted_first(amsterdam_pbf, tmp_path) -> None:
    # ways before nodes: pass 2 notices, the file is sorted into a temporary PBF and split
    unsorted = tmp_path / "unsorted.osm.pbf"
    with osmium.SimpleWriter(str(unsorted)) as w:
        for entities in (osmium.osm.WAY, osmium.osm.NODE, osmium.osm.RELATION):
            for o in osmium.FileProcessor(str(amsterdam_pbf), entities):
                w.add(o)
    areas = {"centre": shapely.box(4.893, 52.367, 4.900, 52.372)}
    _CountingProcessor.opened = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(osmium, "FileProcessor", _CountingProcessor)
        got = split_extract(unsorted, areas, tmp_path / "a")
    assert len(_CountingProcessor.opened) == 2 + 3  # passes 1-2 on the unsorted file, then 3
    want = split_extract(amsterdam_pbf, areas, tmp_path / "b")
    assert _content(got["centre"]) == _content(want["centre"])
    assert len(_content(got["centre"])["n"]) > 1000


def test_negative_ids_that_cannot_be_sorted_are_refused(tmp_path) -> None:
    from osmium.osm.mutable import Node

    path = tmp_path / "josm.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        for i in (-1, -5, -3, 2):
            w.add_node(Node(id=i, location=(9.51, 47.11), version=1))
    with pytest.raises(DataFileError, match="negative"):
        split_extract(path, {"a": BOX}, tmp_path / "out")
    assert not list((tmp_path / "out").glob("*"))


def test_points_on_a_shared_border_go_to_both_areas(tmp_path) -> None:
    # hand-made file: nodes only (no ways), one exactly on the border of two boxes
    from osmium.osm.mutable import Node

    path = tmp_path / "nodes.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        for i in range(1, 5):
            w.add_node(Node(id=i, location=(0.5 * i, 0.5 * i), version=1))
    areas = {"a": shapely.box(0, 0, 1, 1), "b": shapely.box(1, 1, 2, 2), "c": BOX}
    got = split_extract(path, areas, tmp_path / "out")
    assert [_content(got[k])["n"] for k in areas] == [[1, 2], [2, 3, 4], []]


def test_area_without_data_gets_a_valid_empty_file(liechtenstein, tmp_path) -> None:
    sea = shapely.box(-30.0, 40.0, -29.0, 41.0)
    land = shapely.box(9.50, 47.10, 9.52, 47.12)
    paths = split_extract(liechtenstein, {"sea": sea, "land": land}, tmp_path)
    assert _content(paths["sea"]) == {"n": [], "w": [], "r": []}
    assert len(_content(paths["land"])["n"]) > 100
    reader = osmium.io.Reader(str(paths["sea"]))
    box = reader.header().box()
    reader.close()
    assert (box.bottom_left.lon, box.top_right.lat) == pytest.approx((-30.0, 41.0))


# ------------------------------------------------------------------------------------------
# errors: each names the problem and leaves nothing behind


def _bowtie() -> shapely.Polygon:
    return shapely.Polygon([(9.5, 47.1), (9.6, 47.2), (9.6, 47.1), (9.5, 47.2)])


BOX = shapely.box(9.50, 47.10, 9.52, 47.12)


@pytest.mark.parametrize(
    ("areas", "error", "words"),
    [
        ({}, InputError, "areas is empty"),
        ([("a", BOX)], InputError, "mapping"),
        ({"a/b": BOX}, InputError, "cannot be a file name"),
        ({"": BOX}, InputError, "cannot be a file name"),
        ({".hidden": BOX}, InputError, "not starting with '.'"),
        ({"Vaduz": BOX, "vaduz": BOX}, InputError, "differ only in case"),
        ({"a": _bowtie()}, GeometryError, "not a valid polygon"),
        ({"a": shapely.Polygon()}, GeometryError, "empty"),
        ({"a": shapely.Point(9.5, 47.1)}, GeometryError, "Polygon or MultiPolygon"),
        ({"a": "POLYGON ((0 0, 1 0, 1 1, 0 0))"}, GeometryError, "shapely Polygon"),
        ({"a": shapely.box(750000, 230000, 760000, 240000)}, CRSError, "EPSG:4326"),
    ],
)
def test_bad_areas_raise_and_write_nothing(liechtenstein, tmp_path, areas, error, words):
    out = tmp_path / "out"
    with pytest.raises(error, match=re.escape(words)):
        split_extract(liechtenstein, areas, out)
    assert not out.exists()


def _truncated(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return dst


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "truncated", "folder"])
def test_bad_files_raise_and_write_nothing(liechtenstein, tmp_path, kind) -> None:
    path = tmp_path / "in.osm.pbf"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("name,lon,lat\nx,1,2\n")
    elif kind == "truncated":
        _truncated(liechtenstein, path)
    elif kind == "folder":
        path.mkdir()
    out = tmp_path / "out"
    with pytest.raises(DataFileError) as err:
        split_extract(path, {"a": BOX}, out)
    assert str(path) in str(err.value) or path.name in str(err.value)
    assert not out.exists() or not list(out.iterdir())


def test_complete_types_must_be_strings(liechtenstein, tmp_path) -> None:
    with pytest.raises(InputError, match="complete_types"):
        split_extract(liechtenstein, {"a": BOX}, tmp_path, complete_types="multipolygon")


def test_osm_file_must_be_a_path(tmp_path) -> None:
    with pytest.raises(InputError, match="OSM file path"):
        split_extract(3, {"a": BOX}, tmp_path)  # type: ignore[arg-type]


def test_out_dir_that_is_a_file(liechtenstein, tmp_path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(DataFileError, match="writable folder"):
        split_extract(liechtenstein, {"a": BOX}, target)


class _FailingProcessor(osmium.FileProcessor):
    """The real processor; its third opening (the writing pass) fails after 20,000 objects."""

    opened = 0

    def __iter__(self):
        _FailingProcessor.opened += 1
        for i, o in enumerate(super().__iter__()):
            if _FailingProcessor.opened == 3 and i == 20_000:
                raise RuntimeError("PBF error: truncated data (simulated read failure)")
            yield o


def test_failure_while_writing_leaves_no_part_files(liechtenstein, li_regions, tmp_path):
    _, buffered = li_regions
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    _FailingProcessor.opened = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(osmium, "FileProcessor", _FailingProcessor)
        with pytest.raises(DataFileError, match="truncated"):
            split_extract(liechtenstein, buffered, out)
    assert _FailingProcessor.opened == 3
    assert [q.name for q in out.iterdir()] == ["keep.txt"]


def test_split_module_opens_files_through_osmium(liechtenstein) -> None:
    # the pass counts above wrap osmium.FileProcessor: the module must open files with it
    fp = _split._open(str(liechtenstein), osmium.osm.RELATION)
    assert isinstance(fp, osmium.FileProcessor)


def test_pyrosm_reads_an_extract(li_split) -> None:
    # another PBF reader (not libosmium) reads the level-1 zlib blocks and the sorted header
    import pyrosm

    paths, *_ = li_split
    got = _content(paths["Planken"])
    nodes = pyrosm.OSM(str(paths["Planken"])).get_network(network_type="all", nodes=True)[0]
    assert len(nodes) > 1000
    assert set(nodes["id"].astype("int64")) <= set(got["n"])


def test_stale_part_files_of_killed_runs_are_removed(liechtenstein, tmp_path) -> None:
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    tag = _split._part_tag()
    stale = tmp_path / f".a.osm.pbf.{tag}-{int(dead.stdout)}.part"
    alive = tmp_path / f".a.osm.pbf.{tag}-{os.getppid()}.part"
    other_host = tmp_path / f".a.osm.pbf.{tag}x-{int(dead.stdout)}.part"
    other_key = tmp_path / f".b.osm.pbf.{tag}-{int(dead.stdout)}.part"
    for p in (stale, alive, other_host, other_key):
        p.write_bytes(b"half")
    split_extract(liechtenstein, {"a": BOX}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["a.osm.pbf", alive.name, other_host.name, other_key.name]
    )


def _mount_tmpfs(where: Path, size: str) -> None:
    import subprocess

    where.mkdir()
    cmd = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        pytest.fail("this test mounts a tmpfs: run it as root (as CI does)")


def _umount(where: Path) -> None:
    import subprocess

    subprocess.run(["umount", str(where)], capture_output=True)


def test_nearly_full_disk_is_refused_before_writing(liechtenstein, li_regions, tmp_path):
    """A real small disk (a 1 MB tmpfs, as tests/test_hostile.py mounts) for 11 extracts."""
    _, buffered = li_regions
    small = tmp_path / "small"
    _mount_tmpfs(small, "1m")
    try:
        out = small / "out"
        with pytest.raises(DataFileError, match=r"need about .* MB free"):
            split_extract(liechtenstein, buffered, out)
        assert list(out.iterdir()) == []
    finally:
        _umount(small)


_FILL_WHILE_WRITING = """
import shutil, sys
from pathlib import Path
import shapely
from infra_geo._split import split_extract
from infra_geo.errors import DataFileError
small, out = Path(sys.argv[1]), Path(sys.argv[2])
boxes = {f"b{i}": shapely.box(9.47 + 0.015 * i, 47.04, 9.50 + 0.015 * i, 47.28) for i in range(8)}
def fill(msg):  # the disk fills up (another program) just as the writing pass starts
    if msg.startswith("pass 3"):
        free = shutil.disk_usage(small).free
        (small / "filler").write_bytes(bytes(max(0, free - (96 << 10))))
try:
    split_extract(sys.argv[3], boxes, out, progress=fill)
except DataFileError as exc:
    print("ERROR", exc)
"""


def test_disk_full_while_writing_raises_and_leaves_no_part_files(liechtenstein, tmp_path):
    """A real full disk in the middle of the writing pass: a clear error, no half files, and
    the process ends normally (pyosmium's writer must not abort it when it is freed)."""
    import subprocess
    import sys

    small = tmp_path / "small"
    _mount_tmpfs(small, "8m")
    try:
        out = small / "out"
        r = subprocess.run(
            [sys.executable, "-c", _FILL_WHILE_WRITING, str(small), str(out), str(liechtenstein)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stdout.startswith("ERROR Could not write the extracts"), r.stdout
        assert "has room" in r.stdout
        assert list(out.iterdir()) == []
    finally:
        _umount(small)
