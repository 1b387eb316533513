"""Split one OSM extract into one extract per area in a fixed number of passes.

:func:`split_extract` is the first stage of a many-region run (issue 17): it reads a
national or provincial file a constant number of times, however many areas there are, and
writes ``<key>.osm.pbf`` per area with the "smart" / complete-ways content of ``osmium
extract`` (see the function's docstring for the exact rules, the passes and the memory).

Everything is kept in sorted ``int64`` key arrays ``key = id * n_areas + area`` (one key
per object and area it belongs to), never in per-object Python sets: membership of many ids
at once is a ``numpy.searchsorted``, and the writing pass walks each array once in file
order. Passes 1 and 2 and the decisions are in :mod:`infra_geo._split_plan`; this module
checks the inputs and writes the files.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from ._osm_reader import _read_error, sniff_format
from ._split_plan import _open, _Plan, make_plan
from ._validate import as_polygon
from .errors import CRSError, DataFileError, GeometryError, InfraGeoError, InputError

PathLike = str | os.PathLike[str]

#: a key must be usable as a file stem on every platform
_KEY = re.compile(r"[A-Za-z0-9_.-]+")
#: keys per chunk the writing pass turns into Python lists
_CHUNK = 1 << 16
#: above every OSM id: ends a chunk of the writing pass
_END = 1 << 62
#: most extracts written in one pass (one open file and one libosmium thread each)
_MAX_WRITERS = 4000
#: the extracts' format: PBF with zlib at level 1 (on Malta 30 % faster to write than
#: libosmium's default level, files 4 % larger; any PBF reader reads them)
_PBF = "pbf,pbf_compression_level=1"


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
    so areas assemble exactly as in the whole file. Ways a completed relation adds do not
    pull in further relations. Objects keep their ids, tags and metadata; each file is sorted by
    type then id and its header box is the area's bounds. An area without data gets a
    valid empty file.

    Each file is written as ``out_dir/.<key>.osm.pbf.<host>-<pid>.part`` and renamed
    (``os.replace``) once every extract is complete; on any error the temporary files are
    removed, and those a killed split on this host left are removed by the next call.

    Passes (constant, whatever ``len(areas)``): (1) relations only, their members kept as
    flat arrays; (2) nodes and ways: node locations tested against all areas at once in
    batches of 2**20 nodes (the batch sorted by longitude; each prepared area tests the
    points of its longitude band and box with ``shapely.intersects_xy``: a loop over the
    areas, never over the nodes), then ways decided in batches from their node
    references; (3) one writing pass with one ``osmium.SimpleWriter`` per area (one open
    file each; beyond 4,000 areas, or the open-file limit, one writing pass per such
    group). A file that is not a PBF sorted by type then id (XML, or an unsorted PBF) is
    first sorted into a temporary PBF in memory (one more pass, for small files).

    Memory: one ``int64`` key ``id * n_areas + area`` per (object, area) pair kept, so 8
    bytes per node times the mean number of extracts a node goes to (the overlap: 1.0 for
    areas that tile the file without buffer, ~1.5 for Dutch municipalities with 1.3 km,
    5.6 for Malta's small councils), plus 8 bytes per (way, area) pair; no location is
    kept. While the node keys are merged at the end of pass 2 they exist twice (~16 bytes
    per node and extract). On top: the batch work space, bounded by the batch size (~150
    MB at 2**20 nodes or node references a batch, whatever the file size), the relations'
    members (~17 bytes each) and the node lists of the ways that are members of a completed
    relation. Measured with tracemalloc on Malta (333,684 nodes, one area): 9.5 bytes per
    node held after pass 2, 48 MiB peak. The writers of pass 3 hold up to 128 MB of
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
        ``osm_file`` missing, empty, truncated or not OSM; ``out_dir`` not writable, or
        its disk too small for the extracts (checked before writing, and if it fills up
        while writing).

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
        plan = make_plan(src, geoms, complete_types, say, total)
        if plan is None:  # not sorted after all: sort and plan again
            with _sorted_copy(src, say) as src2:
                plan = make_plan(src2, geoms, complete_types, say, total)
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
            except BaseException:
                _close_or_keep(writer)
                raise
            writer.close()
        except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
            raise _read_error(path, exc) from None
        yield target


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

    _check_room(path, out, plan)
    n = len(keys)
    size = _max_writers()
    groups = [range(s, min(n, s + size)) for s in range(0, n, size)]
    tmp = [out / f".{k}.osm.pbf.{_part_tag()}-{os.getpid()}.part" for k in keys]
    final = [out / f"{k}.osm.pbf" for k in keys]
    writers: list[Any] = []
    # libosmium buffers per writer: keep the total near 128 MB for many areas
    bufsz = int(min(4 << 20, max(256 << 10, (128 << 20) // len(groups[0]))))
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
                writers[-1].close()
                writers.pop()
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
                _close_or_keep(w)
            for t in tmp:
                with contextlib.suppress(OSError):
                    t.unlink()
    return dict(zip(keys, final, strict=True))


#: writers whose ``close`` failed (a full disk): pyosmium's ``SimpleWriter`` closes again in
#: its C++ destructor, and a failure there ends the process (``std::terminate``), so these
#: are kept alive for good (their memory is lost; it happens only on such an error)
_FAILED_WRITERS: list[Any] = []


def _close_or_keep(writer: Any) -> None:
    """Close ``writer``; if that fails, keep it from ever being destroyed (see above)."""
    try:
        writer.close()
    except Exception:
        import ctypes

        _FAILED_WRITERS.append(writer)
        # one reference more than anyone holds: not freed even when the interpreter exits
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(writer))


def _check_room(path: str, out: Path, plan: _Plan) -> None:
    """Raise :class:`DataFileError` when ``out``'s disk clearly cannot hold the extracts.

    The estimate scales the input's size by the objects written per object read (plus 20 %
    for the lighter compression and the per-file headers).
    """
    import shutil

    read = max(1, sum(plan.counts.values()))
    written = len(plan.nodes) + len(plan.ways) + len(plan.relations)
    need = Path(path).stat().st_size * written / read * 1.2 + (64 << 10)
    free = shutil.disk_usage(out).free
    if free < need:
        raise DataFileError(
            f"The extracts need about {need / 1e6:,.1f} MB in {out}, but its disk has "
            f"{free / 1e6:,.1f} MB free. Free some space or pass another out_dir."
        )


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
