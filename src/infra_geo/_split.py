"""Split one OSM extract into one extract per area in a fixed number of passes.

:func:`split_extract` is the first stage of a many-region run (issue 17): it reads a
national or provincial file a constant number of times, however many areas there are, and
writes ``<key>.osm.pbf`` per area with the "smart" / complete-ways content of ``osmium
extract`` (see the function's docstring for the exact rules, the passes and the memory).

Everything is kept in sorted ``int64`` key arrays ``key = id * n_areas + area`` (one key
per object and area it belongs to), never in per-object Python sets: membership of many ids
at once is a ``numpy.searchsorted``, and the writing pass walks each array once in file
order.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ._osm_collect import _node_refs
from ._osm_reader import _read_error, sniff_format
from ._validate import as_polygon
from .errors import CRSError, DataFileError, GeometryError, InfraGeoError, InputError

PathLike = str | os.PathLike[str]

#: a key must be usable as a file stem on every platform
_KEY = re.compile(r"[A-Za-z0-9_.-]+")
#: nodes per point-in-area batch, way node references per way batch
_BATCH = 1 << 20
#: keys per chunk the writing pass turns into Python lists
_CHUNK = 1 << 16
#: above every OSM id: ends a chunk of the writing pass
_END = 1 << 62
#: most extracts written in one pass (one open file and one libosmium thread each)
_MAX_WRITERS = 4000
#: the extracts' format: PBF with zlib at level 1 (on Malta 30 % faster to write than
#: libosmium's default level, files 4 % larger; any PBF reader reads them)
_PBF = "pbf,pbf_compression_level=1"
#: libosmium's fixed-point coordinates: degrees times 10^7
_PRECISION = 10_000_000
#: member types of a relation in the member arrays
_NODE, _WAY, _REL = 0, 1, 2
_MEMBER_TYPE = {"n": _NODE, "w": _WAY, "r": _REL}


def _open(path: str, entities: Any) -> Any:
    """Return an ``osmium.FileProcessor`` over ``path``: every pass opens the file here."""
    import osmium

    return osmium.FileProcessor(osmium.io.File(path, "pbf"), entities)


def split_extract(
    osm_file: PathLike,
    areas: Mapping[str, BaseGeometry],
    out_dir: PathLike,
    *,
    progress: Callable[[str], None] | None = None,
    complete_types: tuple[str, ...] = ("multipolygon", "boundary"),
) -> dict[str, Path]:
    """Write one OSM extract per area in a fixed number of passes over ``osm_file``.

    Content of ``out_dir/<key>.osm.pbf`` for an area (the "smart" strategy of ``osmium
    extract``): every node inside the area (boundary included); every way with at least
    one node inside, with *all* its nodes (complete ways: street lengths and geometry
    beyond the border are exact); every relation with a node member inside the area, a way
    member in the extract or (repeatedly) a relation member in the extract, its members
    kept as they are; and for each such relation whose ``type`` tag is in
    ``complete_types`` (multipolygons and boundaries) all its member ways and their nodes,
    so areas
    assemble exactly as in the whole file. Ways a completed relation adds do not pull in
    further relations. Objects keep their ids, tags and metadata; each file is sorted by
    type then id and its header box is the area's bounds. An area without data gets a
    valid empty file.

    Each file is written as ``out_dir/.<key>.osm.pbf.<host>-<pid>.part`` and renamed
    (``os.replace``) once every extract is complete; on any error the temporary files are
    removed, and those a killed split on this host left are removed by the next call.

    Passes (constant, whatever ``len(areas)``): (1) relations only, their members kept as
    flat arrays; (2) nodes and ways: node locations tested against all areas at once in
    batches of 2**20 nodes (``shapely.STRtree`` over the points queried with the areas,
    which GEOS prepares), then ways decided in batches from their node references;
    (3) one writing pass with one ``osmium.SimpleWriter`` per area (one open file each;
    beyond 4,000 areas, or the open-file limit, one writing pass per such group). A file
    that is not a
    PBF sorted by type then id (XML, or an unsorted PBF) is first sorted into a temporary
    PBF in memory (one more pass, for small files).

    Memory: one ``int64`` key ``id * n_areas + area`` per (object, area) pair kept, so 8
    bytes per node times the mean number of extracts a node goes to (the overlap: 1.0 for
    areas that tile the file without buffer, ~1.5 for Dutch municipalities with 1.3 km,
    5.6 for Malta's small councils), plus 8 bytes per (way, area) pair; no location is
    kept. While the node keys are merged at the end of pass 2 they exist twice (~16 bytes
    per node and extract). On top: the batch work space, bounded by the batch size (~150
    MB at 2**20 nodes or node references a batch, whatever the file size), the relations'
    members (~17 bytes each) and the node lists of the ways that are members of a completed
    relation. Measured with tracemalloc on Malta (333,684 nodes, one area): 9.5 bytes per
    node held after pass 2, 41 MiB peak. The writers of pass 3 hold up to 256 MB of
    buffers together.

    Parameters
    ----------
    osm_file : path-like
        An OSM extract (.osm.pbf; .osm, .osm.gz, .osm.bz2 are sorted first).
    areas : mapping of str to shapely (Multi)Polygon
        Key to area in EPSG:4326 lon/lat, already buffered. Keys are file stems:
        ``[A-Za-z0-9_.-]+``, not starting with a dot, unique ignoring case.
    out_dir : path-like
        Folder for the extracts; created if missing.
    progress : callable, optional
        Called with a short message at the start of each pass.
    complete_types : tuple of str
        Relation ``type`` values whose member ways are completed. The default is the two
        types libosmium (and so :func:`infra_geo.facilities_from_file`) assembles into
        areas: ``multipolygon`` and ``boundary`` (a nature reserve or park mapped as a
        ``type=boundary`` relation is an area facility too).

    Returns
    -------
    dict of str to Path
        Key to the written ``out_dir/<key>.osm.pbf``, in the order of ``areas``.

    Raises
    ------
    InputError
        ``areas`` empty or not a mapping, a bad key.
    GeometryError
        An area that is empty, invalid or not a (Multi)Polygon.
    CRSError
        An area outside the lon/lat range (projected coordinates).
    DataFileError
        ``osm_file`` missing, empty, truncated or not OSM; ``out_dir`` not writable.

    Examples
    --------
    >>> import tempfile, shapely
    >>> import infra_geo as ig
    >>> from infra_geo._split import split_extract
    >>> out = tempfile.mkdtemp()
    >>> paths = split_extract(ig.sample_path(), {"all": shapely.box(-180, -90, 180, 90)}, out)
    >>> sorted(paths), paths["all"].name
    (['all'], 'all.osm.pbf')
    """
    keys, geoms = _check_areas(areas)
    if isinstance(complete_types, str) or not all(isinstance(t, str) for t in complete_types):
        raise InputError(
            f"complete_types must be a tuple of relation types such as ('multipolygon',), "
            f"got {complete_types!r}."
        )
    path = _check_file(osm_file)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataFileError(
            f"Cannot create the output folder {out}: {exc.strerror}. Pass a writable folder."
        ) from None
    _clean_stale_parts(out, keys)
    say = progress or (lambda _msg: None)
    total = 2 + -(-len(keys) // _max_writers())
    with _sorted_input(path, say) as src:
        plan = _plan(src, geoms, complete_types, say, total)
        if plan is None:  # not sorted after all: sort and plan again
            with _sorted_copy(src, say) as src2:
                plan = _plan(src2, geoms, complete_types, say, total)
                if plan is None:
                    raise DataFileError(
                        f"{path} holds negative (not uploaded) object ids, which cannot be "
                        "sorted by id; upload or renumber them (osmium renumber) first."
                    )
                return _write_all(src2, keys, geoms, plan, out, say)
        return _write_all(src, keys, geoms, plan, out, say)


# ------------------------------------------------------------------------------------------
# validation


def _check_areas(areas: Any) -> tuple[list[str], list[BaseGeometry]]:
    """Return the keys and the checked lon/lat geometries of ``areas``."""
    if not isinstance(areas, Mapping):
        raise InputError(
            f"areas must be a mapping of file-stem key to (Multi)Polygon, not "
            f"{type(areas).__name__}; e.g. dict(zip(gdf['code'], gdf.geometry))."
        )
    if not areas:
        raise InputError("areas is empty: give at least one key -> (Multi)Polygon.")
    keys: list[str] = []
    geoms: list[BaseGeometry] = []
    seen: dict[str, str] = {}
    for key, geom in areas.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key) or key.startswith("."):
            raise InputError(
                f"area key {key!r} cannot be a file name: use letters, digits, '_', '-' and "
                "'.' only (not starting with '.'), e.g. 'GM0363' or 'vaduz'."
            )
        if key.lower() in seen:
            raise InputError(
                f"area keys {seen[key.lower()]!r} and {key!r} differ only in case: their "
                "files would collide on Windows and macOS. Make the keys unique."
            )
        seen[key.lower()] = key
        name = f"areas[{key!r}]"
        if isinstance(geom, BaseGeometry) and not geom.is_empty:
            w, s, e, n = geom.bounds
            if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
                raise CRSError(
                    f"{name} has coordinates outside longitude/latitude range ({w:.0f}, "
                    f"{s:.0f}, {e:.0f}, {n:.0f}): it looks projected. Transform it to "
                    "EPSG:4326 first (e.g. gdf.to_crs('EPSG:4326'))."
                )
        if not isinstance(geom, BaseGeometry):
            raise GeometryError(
                f"{name} must be a shapely Polygon or MultiPolygon, got {type(geom).__name__}."
            )
        keys.append(key)
        geoms.append(as_polygon(geom, None, name))
    return keys, geoms


def _check_file(osm_file: Any) -> str:
    """Return the absolute path of ``osm_file`` after checking it exists and is OSM."""
    if isinstance(osm_file, bool) or not isinstance(osm_file, (str, os.PathLike)):
        raise InputError(
            f"osm_file must be an OSM file path (str or pathlib.Path), got "
            f"{type(osm_file).__name__}."
        )
    p = Path(osm_file).resolve()
    sniff_format(p)
    return str(p)


# ------------------------------------------------------------------------------------------
# sorted input


@contextlib.contextmanager
def _sorted_input(path: str, say: Callable[[str], None]) -> Iterator[str]:
    """Yield ``path`` if it is a PBF, else a temporary sorted PBF copy of it."""
    if sniff_format(path) == "pbf":
        yield path
    else:
        with _sorted_copy(path, say) as src:
            yield src


@contextlib.contextmanager
def _sorted_copy(path: str, say: Callable[[str], None]) -> Iterator[str]:
    """Yield a temporary PBF with the objects of ``path`` sorted by type and id (in memory)."""
    import osmium

    say(f"sorting {Path(path).name} into a temporary PBF")
    with tempfile.TemporaryDirectory(prefix="infra_geo_split-") as tmp:
        target = os.path.join(tmp, "sorted.osm.pbf")
        try:
            merger = osmium.MergeInputReader()
            merger.add_buffer(Path(path).read_bytes(), sniff_format(path))
            writer = osmium.SimpleWriter(target)
            try:
                merger.apply(writer, simplify=True)
            finally:
                writer.close()
        except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
            raise _read_error(path, exc) from None
        yield target


# ------------------------------------------------------------------------------------------
# deciding what goes where


@dataclass
class _Relations:
    """The relations of a file as flat arrays (pass 1)."""

    ids: np.ndarray
    complete: np.ndarray  # bool per relation: its type is completed
    member_rel: np.ndarray  # row of the relation of each member
    member_type: np.ndarray  # _NODE, _WAY, _REL
    member_ref: np.ndarray
    sorted: bool


@dataclass
class _Plan:
    """Sorted unique keys ``id * n_areas + area`` of what each extract gets, per type."""

    nodes: np.ndarray
    ways: np.ndarray
    relations: np.ndarray
    counts: dict[str, int] = field(default_factory=dict)


def _relations(path: str) -> _Relations:
    """Pass 1: every relation's id, type and members."""
    import osmium

    ids: list[int] = []
    complete_flags: list[str] = []
    m_rel: list[int] = []
    m_type: list[int] = []
    m_ref: list[int] = []
    ok = True
    last = -(1 << 63)
    code = _MEMBER_TYPE
    r: Any
    for row, r in enumerate(_open(path, osmium.osm.RELATION)):
        rid = r.id
        ok = ok and rid > last
        last = rid
        ids.append(rid)
        complete_flags.append(r.tags.get("type", ""))
        n0 = len(m_ref)
        for m in r.members:
            m_type.append(code[m.type])
            m_ref.append(m.ref)
        m_rel.extend([row] * (len(m_ref) - n0))
    return _Relations(
        ids=np.asarray(ids, dtype=np.int64),
        complete=np.asarray(complete_flags, dtype=object),
        member_rel=np.asarray(m_rel, dtype=np.int64),
        member_type=np.asarray(m_type, dtype=np.int8),
        member_ref=np.asarray(m_ref, dtype=np.int64),
        sorted=ok,
    )


def _expand(keys: np.ndarray, ids: np.ndarray, n_areas: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(row, area)`` for every ``ids[row] * n_areas + area`` in the sorted ``keys``."""
    lo = np.searchsorted(keys, ids * n_areas)
    hi = np.searchsorted(keys, ids * n_areas + n_areas)
    cnt = hi - lo
    rows = np.repeat(np.arange(len(ids)), cnt)
    pos = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt - lo, cnt)
    return rows, keys[pos] % n_areas


def _gather(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (positions, owner) of the CSR items of ``rows``: ``owner`` indexes ``rows``."""
    cnt = offsets[rows + 1] - offsets[rows]
    owner = np.repeat(np.arange(len(rows)), cnt)
    pos = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt - offsets[rows], cnt)
    return pos, owner


def _ints() -> array:
    """Return an empty growable array of int64 (``array.array``)."""
    return array("q")


class _NodeWayPass:
    """Pass 2 state: node locations tested in batches, ways decided in batches."""

    def __init__(self, geoms: list[BaseGeometry], mp_ways: np.ndarray) -> None:
        self.geoms = geoms
        self.bounds = shapely.bounds(np.asarray(geoms, dtype=object))
        for g in geoms:
            shapely.prepare(g)
        self.n_areas = len(geoms)
        self.mp_ways = mp_ways
        # int64 arrays, not lists: 8 bytes per value instead of a pointer and an int object
        self.node_id = _ints()
        self.node_xy = _ints()
        self.inside_parts: list[np.ndarray] = []
        self.inside = np.zeros(0, dtype=np.int64)
        self.way_id = _ints()
        self.way_len = _ints()
        self.way_ref = _ints()
        self.way_parts: list[np.ndarray] = []
        self.node_parts: list[np.ndarray] = []
        self.mp_id: list[np.ndarray] = []
        self.mp_len: list[np.ndarray] = []
        self.mp_ref: list[np.ndarray] = []
        self.sorted = True
        self.n_nodes = 0
        self.n_ways = 0

    def flush_nodes(self) -> None:
        """Test the buffered nodes against every area; keep the (node, area) keys inside."""
        if not self.node_id:
            return
        ids = np.frombuffer(self.node_id, dtype=np.int64).copy()
        xy = np.frombuffer(self.node_xy, dtype=np.int64).reshape(-1, 2).astype(np.float64)
        self.n_nodes += len(ids)
        self.node_id, self.node_xy = _ints(), _ints()
        self.inside_parts.append(_inside_keys(ids, xy / _PRECISION, self.geoms, self.bounds))

    def start_ways(self) -> None:
        """Merge the nodes' keys once all nodes are read (a sorted file has ways after nodes)."""
        self.flush_nodes()
        self.inside = _union(self.inside_parts)
        self.inside_parts = []

    def flush_ways(self) -> None:
        """Decide the buffered ways: a way is in an area if one of its nodes is inside."""
        if not self.way_id:
            return
        a = self.n_areas
        wid = np.frombuffer(self.way_id, dtype=np.int64).copy()
        lens = np.frombuffer(self.way_len, dtype=np.int64).copy()
        refs = np.frombuffer(self.way_ref, dtype=np.int64).copy()
        self.n_ways += len(wid)
        self.way_id, self.way_len, self.way_ref = _ints(), _ints(), _ints()
        offsets = np.zeros(len(wid) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        way_of = np.repeat(np.arange(len(wid)), lens)
        rows, area = _expand(self.inside, refs, a)
        pairs = _unique(way_of[rows] * a + area)
        wrow, warea = pairs // a, pairs % a
        self.way_parts.append(wid[wrow] * a + warea)
        pos, owner = _gather(offsets, wrow)
        self.node_parts.append(_unique(refs[pos] * a + warea[owner]))
        mp = np.isin(wid, self.mp_ways)
        if mp.any():
            pos, _ = _gather(offsets, np.flatnonzero(mp))
            self.mp_id.append(wid[mp])
            self.mp_len.append(lens[mp])
            self.mp_ref.append(refs[pos])


def _inside_keys(
    ids: np.ndarray, lonlat: np.ndarray, geoms: list[BaseGeometry], bounds: np.ndarray
) -> np.ndarray:
    """Return the keys ``id * n_areas + area`` of the points inside (or on) each area.

    The points are sorted by longitude once; each area tests only the points of its
    longitude band that fall in its box, with ``shapely.intersects_xy`` on the prepared area.
    A loop over the areas, never over the points.
    """
    order = np.argsort(lonlat[:, 0], kind="stable")
    x = lonlat[order, 0]
    y = lonlat[order, 1]
    lo = np.searchsorted(x, bounds[:, 0], side="left")
    hi = np.searchsorted(x, bounds[:, 2], side="right")
    a = len(geoms)
    parts = []
    for i, geom in enumerate(geoms):
        ys = y[lo[i] : hi[i]]
        cand = np.flatnonzero((ys >= bounds[i, 1]) & (ys <= bounds[i, 3])) + lo[i]
        hit = cand[shapely.intersects_xy(geom, x[cand], y[cand])]
        parts.append(ids[order[hit]] * a + i)
    return np.concatenate(parts)


def _union(parts: list[np.ndarray]) -> np.ndarray:
    """Return the sorted unique keys of ``parts``; empties ``parts`` to free them early."""
    if not parts:
        return np.zeros(0, dtype=np.int64)
    keys = np.concatenate(parts)
    parts.clear()
    return _unique(keys)


def _unique(keys: np.ndarray) -> np.ndarray:
    """Return the sorted unique values of ``keys``, sorting ``keys`` in place.

    A sort, not numpy's hashing ``unique`` (several times slower on these keys).
    """
    keys.sort()
    keep = np.ones(len(keys), dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def _nodes_and_ways(path: str, geoms: list[BaseGeometry], mp_ways: np.ndarray) -> _NodeWayPass:
    """Pass 2: the (node, area) keys inside, the (way, area) keys and the ways' node keys."""
    import osmium

    st = _NodeWayPass(geoms, mp_ways)
    ids, xy = st.node_id, st.node_xy
    last = -(1 << 63)
    in_ways = False
    node = osmium.osm.Node
    o: Any
    for o in _open(path, osmium.osm.NODE | osmium.osm.WAY):
        oid = o.id
        if type(o) is node:
            if in_ways or oid <= last:
                st.sorted = False
            last = oid
            ids.append(oid)
            loc = o.location
            xy.append(loc.x)
            xy.append(loc.y)
            if len(ids) >= _BATCH:
                st.flush_nodes()
                ids, xy = st.node_id, st.node_xy
        else:
            if not in_ways:
                st.start_ways()
                in_ways, last = True, oid - 1
            if oid <= last:
                st.sorted = False
            last = oid
            refs = _node_refs(o.nodes)
            st.way_id.append(oid)
            st.way_len.append(len(refs))
            st.way_ref.extend(refs)
            if len(st.way_ref) >= _BATCH:
                st.flush_ways()
    if not in_ways:
        st.start_ways()
    st.flush_ways()
    return st


def _plan(
    path: str,
    geoms: list[BaseGeometry],
    complete_types: tuple[str, ...],
    say: Callable[[str], None],
    total: int,
) -> _Plan | None:
    """Run passes 1 and 2 and decide; ``None`` when the file is not sorted by type and id."""
    import osmium

    a = len(geoms)
    try:
        say(f"pass 1/{total}: reading the relations")
        rel = _relations(path)
        is_complete = np.isin(rel.complete, list(complete_types))
        mp_member = is_complete[rel.member_rel] & (rel.member_type == _WAY)
        mp_ways = _unique(rel.member_ref[mp_member])
        say(f"pass 2/{total}: testing nodes against {a} area(s) and deciding ways")
        st = _nodes_and_ways(path, geoms, mp_ways)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise _read_error(path, exc) from None
    if not (rel.sorted and st.sorted):
        return None
    ways = _union(st.way_parts)
    rels = _relation_keys(rel, st.inside, ways, a)
    # completed relations: all member ways, and those ways' nodes
    m = np.flatnonzero(mp_member)
    rows, area = _expand(rels, rel.ids[rel.member_rel[m]], a)
    extra_ways = _unique(rel.member_ref[m][rows] * a + area)
    extra_nodes = _member_way_nodes(st, extra_ways, a)
    parts = [st.inside, *st.node_parts, extra_nodes]
    st.inside, st.node_parts, st.mp_ref = np.zeros(0, dtype=np.int64), [], []
    nodes = _union(parts)
    ways = _union([ways, extra_ways])
    plan = _Plan(nodes=nodes, ways=ways, relations=rels)
    plan.counts = {"nodes": st.n_nodes, "ways": st.n_ways, "relations": len(rel.ids)}
    return plan


def _relation_keys(rel: _Relations, inside: np.ndarray, ways: np.ndarray, a: int) -> np.ndarray:
    """Return the (relation, area) keys: a node member inside, a way member or a relation member in."""
    parts = []
    for kind, keys in ((_NODE, inside), (_WAY, ways)):
        sel = np.flatnonzero(rel.member_type == kind)
        rows, area = _expand(keys, rel.member_ref[sel], a)
        parts.append(rel.ids[rel.member_rel[sel[rows]]] * a + area)
    out = _union(parts)
    sel = np.flatnonzero(rel.member_type == _REL)
    parent = rel.ids[rel.member_rel[sel]]
    while len(sel):  # parents of relations in the extract, up the hierarchy
        rows, area = _expand(out, rel.member_ref[sel], a)
        grown = _union([out, parent[rows] * a + area])
        if len(grown) == len(out):
            break
        out = grown
    return out


def _member_way_nodes(st: _NodeWayPass, way_keys: np.ndarray, a: int) -> np.ndarray:
    """Return the (node, area) keys of the completed relations' member ways."""
    if not st.mp_id or not len(way_keys):
        return np.zeros(0, dtype=np.int64)
    ids = np.concatenate(st.mp_id)
    lens = np.concatenate(st.mp_len)
    refs = np.concatenate(st.mp_ref)
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    wid, area = way_keys // a, way_keys % a
    at = np.searchsorted(ids, wid)
    found = at < len(ids)
    found[found] = ids[at[found]] == wid[found]  # a member way missing from the file: none
    pos, owner = _gather(offsets, at[found])
    return _unique(refs[pos] * a + area[found][owner])


# ------------------------------------------------------------------------------------------
# writing


class _Cursor:
    """Walk sorted keys ``id * n_areas + area`` in id order, a chunk of Python lists at a time."""

    def __init__(self, keys: np.ndarray, n_areas: int) -> None:
        self.keys = keys
        self.n_areas = n_areas
        self.next = 0
        self.ids: list[int] = [_END]
        self.areas: list[int] = [-1]
        self.j = 0
        self.load()

    def load(self) -> None:
        """Turn the next chunk (ending at an id boundary) into lists ending with ``_END``."""
        s, n, a = self.next, len(self.keys), self.n_areas
        e = min(n, s + _CHUNK)
        if e < n:
            first = int(self.keys[e] // a) * a
            e2 = int(np.searchsorted(self.keys, first))
            e = e2 if e2 > s else int(np.searchsorted(self.keys, first + a))
        k = self.keys[s:e]
        self.ids = [*(k // a).tolist(), _END]
        self.areas = [*(k % a).tolist(), -1]
        self.j = 0
        self.next = e


def _part_tag() -> str:
    """Return this host's name as it goes into the temporary file names (file-name safe)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def _clean_stale_parts(out: Path, keys: list[str]) -> None:
    """Remove temporary files of ``keys`` that a killed split on this host left in ``out``.

    Only files of this host whose process is gone: another machine writing to a shared
    folder keeps its own.
    """
    from ._outdir import _pid_alive

    pat = re.compile(r"\.(.+)\.osm\.pbf\." + re.escape(_part_tag()) + r"-(\d+)\.part$")
    wanted = set(keys)
    for p in out.glob(".*.part"):
        m = pat.match(p.name)
        if m and m.group(1) in wanted and not _pid_alive(int(m.group(2))):
            with contextlib.suppress(OSError):
                p.unlink()


def _max_writers() -> int:
    """Return how many files may be open at once: the open-file limit less a margin.

    The soft limit is raised towards the hard one when more are needed (Linux, macOS).
    """
    try:
        import resource
    except ImportError:  # Windows: the C runtime's default of 512 streams
        return min(_MAX_WRITERS, 448)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = _MAX_WRITERS + 64
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(hard, want)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
    if soft == resource.RLIM_INFINITY:
        return _MAX_WRITERS
    return max(1, min(_MAX_WRITERS, soft - 64))


def _write_all(
    path: str,
    keys: list[str],
    geoms: list[BaseGeometry],
    plan: _Plan,
    out: Path,
    say: Callable[[str], None],
) -> dict[str, Path]:
    """Write the extracts: temporary names, one writing pass per group of open files, renames.

    All areas are written in one pass when the open-file limit allows (it does up to
    :data:`_MAX_WRITERS` areas); the files are renamed only when every pass succeeded.
    """
    import osmium

    n = len(keys)
    size = _max_writers()
    groups = [range(s, min(n, s + size)) for s in range(0, n, size)]
    tmp = [out / f".{k}.osm.pbf.{_part_tag()}-{os.getpid()}.part" for k in keys]
    final = [out / f"{k}.osm.pbf" for k in keys]
    writers: list[Any] = []
    # libosmium buffers per writer: keep the total near 256 MB for many areas
    bufsz = int(min(4 << 20, max(256 << 10, (256 << 20) // len(groups[0]))))
    pool = osmium.io.ThreadPool()
    done = False
    try:
        for g, group in enumerate(groups):
            say(
                f"pass {3 + g}/{2 + len(groups)}: writing {len(group)} extract(s)"
                + (f" ({group.start + 1}-{group.stop} of {n})" if len(groups) > 1 else "")
            )
            slots: list[Any] = [None] * n
            for i in group:
                w = osmium.SimpleWriter(
                    osmium.io.File(str(tmp[i]), _PBF), bufsz, _header(geoms[i]), True, pool
                )
                writers.append(w)
                slots[i] = w
            _write_pass(path, slots, plan, n)
            while writers:
                writers.pop().close()
        for t, f in zip(tmp, final, strict=True):
            os.replace(t, f)
        done = True
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise _write_error(path, out, exc) from None
    except OSError as exc:
        if isinstance(exc, InfraGeoError):
            raise
        raise _write_error(path, out, exc) from None
    finally:
        if not done:
            for w in writers:
                with contextlib.suppress(Exception):
                    w.close()
            for t in tmp:
                with contextlib.suppress(OSError):
                    t.unlink()
    return dict(zip(keys, final, strict=True))


def _write_error(path: str, out: Path, exc: BaseException) -> DataFileError:
    """Return a clear error for a failure of the writing pass."""
    if isinstance(exc, OSError) and not isinstance(exc, RuntimeError):
        return DataFileError(
            f"Could not write the extracts to {out}: {exc.strerror or exc}. Check that the "
            "folder is writable and has room, then run again."
        )
    msg = " ".join(str(exc).split())
    if "space" in msg.lower() or "write" in msg.lower() or "open" in msg.lower():
        return DataFileError(
            f"Could not write the extracts to {out}: {msg}. Check that the folder is "
            "writable and has room, then run again."
        )
    return _read_error(path, exc)


def _header(geom: BaseGeometry) -> Any:
    """Return a PBF header with the area's bounds as its box, marked sorted by type and id."""
    import osmium

    w, s, e, n = geom.bounds
    h = osmium.io.Header()
    h.add_box(osmium.osm.Box(osmium.osm.Location(w, s), osmium.osm.Location(e, n)))
    h.set("generator", "infra_geo split_extract")
    h.set("sorting", "Type_then_ID")
    return h


def _skip(_o: Any) -> None:
    """Write nothing: an area of another group of writers."""


def _write_pass(path: str, writers: list[Any | None], plan: _Plan, n_areas: int) -> None:
    """Hand every object to the writers of its areas, in file order (sorted: n, w, r).

    ``writers[i]`` is the writer of area ``i``, or ``None`` for an area of another group.

    The loop keeps the current cursor's lists in locals: per object one comparison in the
    common case, and one writer call per area it goes to.
    """
    import osmium

    def add(name: str) -> list[Callable[[Any], None]]:
        return [_skip if w is None else getattr(w, name) for w in writers]

    curs = {
        osmium.osm.Node: (_Cursor(plan.nodes, n_areas), add("add_node")),
        osmium.osm.Way: (_Cursor(plan.ways, n_areas), add("add_way")),
        osmium.osm.Relation: (_Cursor(plan.relations, n_areas), add("add_relation")),
    }
    kind: Any = None
    cur, fns = curs[osmium.osm.Node]
    ids, areas, j = cur.ids, cur.areas, 0
    o: Any
    for o in _open(path, osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION):
        if type(o) is not kind:  # once per type in a sorted file
            cur.j = j
            kind = type(o)
            cur, fns = curs[kind]
            ids, areas, j = cur.ids, cur.areas, cur.j
        oid = o.id
        while True:
            while ids[j] < oid:
                j += 1
            if ids[j] != _END or cur.next >= len(cur.keys):
                break
            cur.load()
            ids, areas, j = cur.ids, cur.areas, 0
        while ids[j] == oid:
            fns[areas[j]](o)
            j += 1
