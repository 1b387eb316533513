"""Read OSM extracts (.osm, .osm.gz, .osm.bz2, .osm.pbf) in one pass with pyosmium.

One pass collects everything the pipeline needs from a file: tagged features (facilities,
buildings, administrative boundaries, entrances) as geometries, and the highway ways with
their node ids and coordinates for the walking network. Real extracts are clipped: ways
refer to nodes that are not in the file and multipolygons miss members. The reader keeps
what is complete, splits highway ways at missing nodes, and logs what it dropped.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._gcpause import gc_paused
from ._log import log
from ._osm_collect import _Collector, pass_handler
from ._osm_wkb import _from_hex_wkb
from .errors import DataFileError

#: tag keys that make an object worth reading besides the component rules' keys
BASE_KEYS = ("building", "boundary", "entrance")

_FORMATS = {"pbf": "pbf", "xml": "osm", "gzip": "osm.gz", "bzip2": "osm.bz2"}


@dataclass
class OSMData:
    """What one pass over an OSM file found. Treat it as read-only (it is cached)."""

    path: str
    bounds: tuple[float, float, float, float] | None
    features: gpd.GeoDataFrame
    way_ids: np.ndarray
    way_offsets: np.ndarray
    way_node_ids: np.ndarray
    way_lonlat: np.ndarray
    way_tags: pd.DataFrame
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        """(west, south, east, north) where the data is complete.

        The file's header box (``<bounds>`` of an export, the bbox of a Geofabrik PBF) when
        it has one. Otherwise the 0.5th-99.5th percentile box of the street nodes: a clipped
        extract keeps ways that leave it whole, so the raw node extent overstates the area.
        """
        if self.bounds is not None:
            return self.bounds
        if len(self.way_lonlat):
            lo = np.percentile(self.way_lonlat, 0.5, axis=0)
            hi = np.percentile(self.way_lonlat, 99.5, axis=0)
            return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))
        if len(self.features):
            w, s, e, n = self.features.total_bounds
            return (float(w), float(s), float(e), float(n))
        return None


def sniff_format(path: str | os.PathLike[str]) -> str:
    """Return the osmium format string of ``path`` from its first bytes, not its name.

    Raises
    ------
    DataFileError
        The file does not exist, is empty, or is not an OSM file.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(
            f"OSM file {p} does not exist. Check the path, or download an extract "
            "(e.g. from Geofabrik) and pass its .osm.pbf file."
        )
    if p.is_dir():
        raise DataFileError(f"{p} is a folder; pass an .osm, .osm.gz, .osm.bz2 or .osm.pbf file.")
    size = p.stat().st_size
    if size == 0:
        raise DataFileError(f"OSM file {p} is empty (0 bytes); download or export it again.")
    with p.open("rb") as fh:
        head = fh.read(64)
    if head[:2] == b"\x1f\x8b":
        kind = "gzip"
    elif head[:3] == b"BZh":
        kind = "bzip2"
    elif head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        kind = "xml"
        if b"<osm" not in head and b"<?xml" not in head:
            kind = "xml"  # let the parser judge; a non-OSM XML fails with a clear message
    elif b"OSMHeader" in head[:32]:
        kind = "pbf"
    else:
        raise DataFileError(
            f"{p} is not an OpenStreetMap file (neither OSM XML, gzip/bzip2 OSM XML nor PBF). "
            "Pass an .osm, .osm.gz, .osm.bz2 or .osm.pbf extract."
        )
    suffix = "".join(p.suffixes[-2:]).lower()
    expected = {"pbf": ".pbf", "xml": ".osm", "gzip": ".gz", "bzip2": ".bz2"}[kind]
    if not suffix.endswith(expected):
        log(
            f"{p.name} is named {suffix or 'without extension'} but holds {kind} data; "
            "reading it by its content.",
            logging.WARNING,
        )
    return _FORMATS[kind]


def _header_box(path: str, fmt: str) -> tuple[float, float, float, float] | None:
    import osmium

    try:
        reader = osmium.io.Reader(osmium.io.File(path, fmt), osmium.osm.osm_entity_bits.NOTHING)
        box = reader.header().box()
        reader.close()
    except Exception:
        return None
    if not box.valid():
        return None
    bl, tr = box.bottom_left, box.top_right
    if not (bl.valid() and tr.valid()):
        return None
    return (bl.lon, bl.lat, tr.lon, tr.lat)


def read_osm(path: str | os.PathLike[str], feature_keys: tuple[str, ...]) -> OSMData:
    """Read ``path`` once; cached on (path, size, mtime, keys).

    Parameters
    ----------
    path : path-like
        An OSM extract.
    feature_keys : tuple of str
        Tag keys that make an object a feature candidate (the rules' keys).
    """
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        from .errors import InputError

        raise InputError(
            f"path must be an OSM file path (str or pathlib.Path), got {type(path).__name__}."
        )
    p = Path(path).resolve()
    fmt = sniff_format(p)
    st = p.stat()
    return _read_cached(str(p), fmt, st.st_size, st.st_mtime_ns, tuple(sorted(set(feature_keys))))


def forget_reads() -> None:
    """Drop every read :func:`read_osm` cached: a later read of a file reads it again.

    :func:`infra_geo.analyse` calls it once nothing more of its job reads the file (Malta:
    the tag tables and features of a whole read, ~10 MiB of geometries alone).
    """
    _read_cached.cache_clear()


@lru_cache(maxsize=4)
def _read_cached(path: str, fmt: str, size: int, mtime: int, keys: tuple[str, ...]) -> OSMData:
    del size, mtime  # part of the cache key only
    if fmt == "pbf":
        return _read(path, fmt, keys)
    # XML from Overpass or editors is often unsorted (ways before their nodes), which a
    # one-pass location cache cannot follow: sort it into a temporary PBF first (fast).
    import osmium

    _clean_stale_sort_dirs()
    with tempfile.TemporaryDirectory(prefix=f"{_SORT_PREFIX}{os.getpid()}-") as tmp:
        sorted_pbf = os.path.join(tmp, "sorted.osm.pbf")
        try:
            merger = osmium.MergeInputReader()
            merger.add_buffer(Path(path).read_bytes(), fmt)
            writer = osmium.SimpleWriter(sorted_pbf)
            try:
                merger.apply(writer, simplify=True)
            finally:
                writer.close()
        except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
            raise _read_error(path, exc) from None
        data = _read(sorted_pbf, "pbf", keys, name=Path(path).name)
    data.path = path
    data.bounds = _header_box(path, fmt)
    return data


#: temporary folders of the XML sort: ``<tempdir>/infra_geo_sort-<pid>-*/sorted.osm.pbf``
_SORT_PREFIX = "infra_geo_sort-"


def _clean_stale_sort_dirs() -> None:
    """Remove sort folders stranded by killed runs (their process is gone)."""
    import re
    import shutil

    from ._outdir import _pid_alive

    pat = re.compile(re.escape(_SORT_PREFIX) + r"(\d+)-")
    tmp = Path(tempfile.gettempdir())
    try:
        entries = list(tmp.iterdir())
    except OSError:
        return
    # folders of versions before pids were in the name: infra_geo_<8 random>/sorted.osm.pbf,
    # left for more than an hour
    legacy = re.compile(r"infra_geo_[a-z0-9_]{8}$")
    for p in entries:
        m = pat.match(p.name)
        try:
            if m and p.is_dir() and not _pid_alive(int(m.group(1))):
                shutil.rmtree(p, ignore_errors=True)
            elif (
                legacy.match(p.name)
                and p.is_dir()
                and [c.name for c in p.iterdir()] in ([], ["sorted.osm.pbf"])
                and time.time() - p.stat().st_mtime > 3600
            ):
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            continue


@gc_paused()  # no cycles made; Malta: ~50 young collections and a full one skipped
def _read(path: str, fmt: str, keys: tuple[str, ...], name: str = "") -> OSMData:
    """One pass over ``path``: libosmium filters and assembles, Python only collects.

    libosmium drops every object without one of the keys we read (``KeyFilter``) and keeps
    nodes only when they carry a feature key (street furniture such as ``highway=crossing``
    never reaches Python); it assembles the areas. The loop appends ids, raw fixed-point
    coordinates and (row, key, value) tag triples to flat lists (:class:`_Collector`); the
    runs of highway ways split at missing nodes, the tag columns and the geometries are then
    built with numpy.
    """
    c = _collect(path, fmt, keys, name)
    dropped = {"missing_way_nodes": 0, "highway_ways_lost": 0}
    dropped["feature_ways_incomplete"] = c.n_lines_incomplete
    ways = _way_runs(c.hw_id, c.hw_len, c.hw_ref, c.hw_wkb, c.hw_cut, dropped)
    way_tags = _way_tag_frame(c, ways["row"])
    n_building_lost = _add_building_relations(path, fmt, c)
    # a closed way with all its nodes that still gave no area has a broken ring
    # (self-intersecting, ...): that is not the clipping of the extract
    invalid = (c.closed_ways & c.closed_complete) - c.area_ways
    dropped["feature_areas_incomplete"] = (
        len(c.closed_ways - c.area_ways - invalid)
        + len(c.rel_candidates - c.area_rels)
        + n_building_lost
    )
    dropped["feature_areas_invalid"] = len(invalid)
    features = _features_frame(
        c.node_id, c.node_xy, c.line_id, c.line_wkb, c.area_kind, c.area_id, c.area_wkb, c.ftags
    )
    data = OSMData(
        path=path,
        bounds=_header_box(path, fmt),
        features=features,
        way_ids=ways["way_ids"],
        way_offsets=ways["offsets"],
        way_node_ids=ways["node_ids"],
        way_lonlat=ways["lonlat"],
        way_tags=way_tags,
        dropped=dropped,
    )
    _log_dropped(name or Path(path).name, dropped, invalid)
    return data


def _collect(path: str, fmt: str, keys: tuple[str, ...], name: str) -> _Collector:
    """Run the pass itself: every object libosmium lets through, handed to a :class:`_Collector`."""
    import osmium
    from osmium.filter import EmptyTagFilter, KeyFilter

    feature_keys = (set(keys) | set(BASE_KEYS)) - {"highway"}
    # route: ferry crossings (route=ferry ways have no highway tag) join the way arrays
    all_keys = sorted(feature_keys | {"highway", "route"})
    c = _Collector()
    # nodes, relations and areas reach Python only with a feature key: street furniture
    # (highway=crossing), bus routes and closed streets stay in libosmium ("area" keeps a
    # highway=* area=yes square, which the handler then judges like any other object).
    # The same filters choose the relations libosmium assembles into areas (first pass)
    filters = [
        EmptyTagFilter(),
        KeyFilter(*all_keys),
        KeyFilter(*sorted(feature_keys | {"area"})).enable_for(  # type: ignore[func-returns-value]  # returns self; stub says None
            osmium.osm.NODE | osmium.osm.RELATION | osmium.osm.AREA
        ),
    ]
    try:
        pass_handler(c, frozenset(feature_keys)).apply_file(
            osmium.io.File(path, fmt), locations=True, filters=filters
        )
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise _read_error(name or path, exc) from None
    return c


def _way_tag_frame(c: _Collector, run_way: np.ndarray) -> pd.DataFrame:
    """Return the tag table of the kept highway ways, one row a run.

    ``run_way``: the way row of each run; a way lost to clipping adds no column.
    """
    kept, run_row = np.unique(run_way, return_inverse=True)
    compact = np.full(len(c.hw_id), -1, dtype=np.int64)
    compact[kept] = np.arange(len(kept))
    t_row = compact[np.asarray(c.hw_rows, dtype=np.int64)]
    t_keep = t_row >= 0
    way_tags = _tag_frame(
        len(kept),
        t_row[t_keep].tolist(),
        np.asarray(c.hw_keys, dtype=object)[t_keep].tolist(),
        np.asarray(c.hw_vals, dtype=object)[t_keep].tolist(),
    )
    if len(way_tags.columns) and len(run_row) != len(kept):
        way_tags = way_tags.take(run_row).reset_index(drop=True)
    return way_tags


def _add_building_relations(path: str, fmt: str, c: _Collector) -> int:
    """Append the assembled ``type=building`` relations to the areas; the number lost."""
    if not c.building_rels:
        return 0
    built = _building_relations(path, fmt, c.building_rels)
    for kind, oid, blob, btags in built:
        row = len(c.area_id)
        target = c.ftags["area"]
        target[0].extend([row] * len(btags))
        target[1].extend(btags.keys())
        target[2].extend(btags.values())
        c.area_kind.append(kind)
        c.area_id.append(oid)
        c.area_wkb.append(blob.hex())
    return len(c.building_rels) - len(built)


def _log_dropped(label: str, dropped: dict[str, int], invalid: set[int]) -> None:
    """Warn about invalid areas and about what a clipped extract lost."""
    if dropped["feature_areas_invalid"]:
        log(
            f"{label}: dropped {len(invalid)} area(s) whose outline is invalid "
            f"(self-intersecting or broken ring), e.g. way {min(invalid)}; fix them in OSM.",
            logging.WARNING,
        )
    lost = {k: v for k, v in dropped.items() if v and k != "feature_areas_invalid"}
    if lost:
        log(
            f"{label}: kept what is complete; dropped "
            + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in lost.items())
            + " (clipped extract: objects reach outside the file).",
            logging.WARNING,
        )


#: libosmium's fixed-point coordinates: degrees times 10^7; a missing location is out of range
_COORD_PRECISION = 10_000_000


def _lonlat(xy: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) degrees from flat fixed-point x, y pairs, and which of them are valid.

    The same division as ``osmium.osm.Location.lon``/``lat`` (``int / 1e7`` in doubles), so
    the coordinates are bit-identical to reading them one by one.
    """
    fixed = np.asarray(xy, dtype=np.int64).reshape(-1, 2)
    valid = (np.abs(fixed[:, 0]) <= 180 * _COORD_PRECISION) & (
        np.abs(fixed[:, 1]) <= 90 * _COORD_PRECISION
    )
    return fixed.astype(np.float64) / _COORD_PRECISION, valid


#: bytes before the coordinates of a WKB line: byte order (1), geometry type (4), count (4)
_WKB_LINE_HEAD = 9


def _wkb_line_coords(lines: list[str]) -> np.ndarray:
    """(n, 2) coordinates of hex WKB lines (libosmium's), read straight from the bytes.

    The doubles libosmium wrote, so equal to ``shapely.get_coordinates(from_wkb(lines))``
    without building a geometry per line; that path is kept for anything but plain
    little-endian 2D lines.
    """
    buf = np.frombuffer(bytes.fromhex("".join(lines)), dtype=np.uint8)
    sizes = np.fromiter((len(s) for s in lines), dtype=np.int64, count=len(lines)) // 2
    starts = np.zeros(len(lines), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    head = buf[starts[:, None] + np.arange(_WKB_LINE_HEAD)]
    counts = head[:, 5:9].copy().view("<u4").ravel().astype(np.int64)
    plain = (head[:, :5] == np.array([1, 2, 0, 0, 0], dtype=np.uint8)).all()
    if not plain or not np.array_equal(sizes, _WKB_LINE_HEAD + 16 * counts):
        return shapely.get_coordinates(shapely.from_wkb(np.asarray(lines, dtype=object)))
    keep = np.ones(len(buf), dtype=bool)
    keep[(starts[:, None] + np.arange(_WKB_LINE_HEAD)).ravel()] = False
    return buf[keep].view("<f8").reshape(-1, 2).astype(np.float64, copy=False)


def _way_runs(
    way_id: list[int],
    way_len: list[int],
    refs: list[int],
    lines: list[str | None],
    cut: dict[int, list[tuple[int, int]]],
    dropped: dict,
) -> dict[str, np.ndarray]:
    """Split the highway ways at their missing nodes (a clipped extract) into runs.

    A run has at least two present nodes; the missing nodes and the ways left with no run
    are counted.
    """
    n_ways = len(way_id)
    lens = np.asarray(way_len, dtype=np.int64)
    node_ids = np.asarray(refs, dtype=np.int64)
    way_of = np.repeat(np.arange(n_ways), lens)
    # coordinates of the whole ways from their WKB lines, of the cut ones node by node
    lonlat = np.empty((len(node_ids), 2), dtype=np.float64)
    valid = np.ones(len(node_ids), dtype=bool)
    whole = np.asarray([ln is not None for ln in lines], dtype=bool)
    if whole.any():
        lonlat[whole[way_of]] = _wkb_line_coords([ln for ln in lines if ln is not None])
    if cut:
        rows = np.fromiter(cut, dtype=np.int64, count=len(cut))
        cut_lonlat, cut_valid = _lonlat([v for r in rows for xy in cut[int(r)] for v in xy])
        at = np.isin(way_of, rows)  # the cut ways' nodes, in way order like ``rows``
        lonlat[at] = cut_lonlat
        valid[at] = cut_valid
    # a run is a maximal stretch of present nodes within one way
    starts = np.zeros(len(node_ids), dtype=bool)
    if len(node_ids):
        starts[0] = True
        starts[1:] = (way_of[1:] != way_of[:-1]) | ~valid[:-1]
    run_of = np.cumsum(starts) - 1
    run_of_valid = run_of[valid]
    n_runs = int(run_of[-1]) + 1 if len(run_of) else 0
    run_size = np.bincount(run_of_valid, minlength=n_runs)
    run_way = way_of[starts] if n_runs else np.zeros(0, dtype=np.int64)
    keep_run = run_size >= 2
    keep_node = np.zeros(len(node_ids), dtype=bool)
    keep_node[valid] = keep_run[run_of_valid]
    dropped["missing_way_nodes"] = int((~valid).sum())
    dropped["highway_ways_lost"] = int(n_ways - len(np.unique(run_way[keep_run])) if n_ways else 0)
    kept_sizes = run_size[keep_run]
    offsets = np.zeros(len(kept_sizes) + 1, dtype=np.int64)
    np.cumsum(kept_sizes, out=offsets[1:])
    rows = run_way[keep_run]
    return {
        "row": rows,
        "way_ids": np.asarray(way_id, dtype=np.int64)[rows],
        "offsets": offsets,
        "node_ids": node_ids[keep_node],
        "lonlat": lonlat[keep_node].reshape(-1, 2),
    }


def _tag_frame(n: int, rows: list[int], keys: list[str], vals: list[str]) -> pd.DataFrame:
    """Return a frame of ``n`` rows with one column per tag key from (row, key, value) triples.

    The columns come in order of first appearance, as ``DataFrame.from_records`` of the tag
    dicts would give: one numpy scatter into a (keys, rows) block, not one dict per object.
    """
    if not n:
        return pd.DataFrame()
    codes, uniq = pd.factorize(pd.Index(keys, dtype=object), sort=False)
    # pandas' default str dtype; with python storage, StringArray takes each object column
    # as it is (checked, not converted cell by cell: 3x faster than inferring)
    dtype = pd.Series([""]).dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return _arrow_tag_frame(n, np.asarray(rows, dtype=np.int64), codes, uniq, vals, dtype)
    fast = isinstance(dtype, pd.StringDtype) and dtype.storage == "python"
    block = np.full((len(uniq), n), dtype.na_value if fast else np.nan, dtype=object)
    block[codes, np.asarray(rows, dtype=np.int64)] = np.asarray(vals, dtype=object)
    # every cell is a tag value (str) or the dtype's NA, so StringArray's scan of each column
    # for other objects (most of the time of this function) has nothing to find: skip it
    make = getattr(pd.arrays.StringArray, "_simple_new", None) if fast else None
    cols = {
        key: (
            make(block[j], dtype)
            if make is not None
            else pd.arrays.StringArray(block[j], dtype=dtype)
            if fast
            else block[j]
        )
        for j, key in enumerate(uniq)
    }
    return pd.DataFrame(cols, index=pd.RangeIndex(n), copy=False)


def _arrow_tag_frame(
    n: int, rows: np.ndarray, codes: np.ndarray, uniq: pd.Index, vals: list[str], dtype: Any
) -> pd.DataFrame:
    """Return :func:`_tag_frame`'s frame when pandas' str dtype keeps its strings in Arrow.

    Every value becomes an Arrow string once; each column is then one ``take`` of the values
    (null where its key is absent): no (keys x rows) block of Python objects, which pandas
    would convert cell by cell (Malta's 24,667 features x 469 keys: 1.1 -> 0.05 CPU-s).
    """
    import pyarrow as pa

    values = pa.array(vals, type=pa.large_string())
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniq) + 1))
    idx = np.full(n, -1, dtype=np.int64)
    cols = {}
    for j, key in enumerate(uniq):  # one column per tag key, a few hundred: not rows
        sel = order[bounds[j] : bounds[j + 1]]
        idx[rows[sel]] = sel
        col = values.take(pa.array(idx, mask=idx < 0))
        cols[key] = pd.arrays.ArrowStringArray(col, dtype=dtype)
        idx[rows[sel]] = -1
    return pd.DataFrame(cols, index=pd.RangeIndex(n), copy=False)


def _read_error(path: str, exc: BaseException) -> DataFileError:
    """Return a clear error for what libosmium refused in ``path``."""
    import osmium

    msg = " ".join(str(exc).split())
    if isinstance(exc, osmium.InvalidLocationError) or "coordinate" in msg:
        return DataFileError(
            f"Could not read {path}: a node has an invalid coordinate ({msg}); latitudes must "
            "be numbers from -90 to 90 and longitudes from -180 to 180. Export the file again "
            "or fix that node."
        )
    if "space" in msg.lower() or (isinstance(exc, OSError) and exc.errno == 28):
        return DataFileError(
            f"Could not read {path}: the temporary folder {tempfile.gettempdir()} is full "
            f"({msg}). Free some space there or set TMPDIR to a folder with room."
        )
    if "too long" in msg:
        return DataFileError(
            f"Could not read {path}: {msg} (OSM allows 255 characters per tag key or value). "
            "The file is not valid OSM data; export it again or shorten that tag."
        )
    return DataFileError(
        f"Could not read {path}: {msg}. The file looks truncated or corrupt; "
        "download or export it again."
    )


#: member roles of a type=building relation that draw its outline (outline: the building
#: relation's own role; outer/inner/empty: a relation mapped like a multipolygon)
_OUTLINE_ROLES = ("outline", "outer", "")


def _building_relations(
    path: str, fmt: str, rels: list[tuple[int, dict, list[tuple[str, int, str]]]]
) -> list[tuple[str, int, bytes, dict]]:
    """Read the areas of ``type=building`` relations like multipolygons.

    An area is the union of the rings of its ``outline``/``outer`` way members minus its
    ``inner`` rings. A relation whose
    outline is missing (clipped), is itself a relation, or does not close is left out (the
    caller counts it as an incomplete area). Needs a second, small pass over the ways.
    """
    import osmium
    from osmium.filter import IdFilter

    need = {ref for _, _, ms in rels for typ, ref, _ in ms if typ == "w"}
    coords: dict[int, list[tuple[float, float]]] = {}
    fp = (
        osmium.FileProcessor(osmium.io.File(path, fmt), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(IdFilter(need).enable_for(osmium.osm.WAY))  # type: ignore[func-returns-value]
    )
    w: Any
    for w in fp:
        if w.is_way():
            locs = [n.location for n in w.nodes]
            if all(loc.valid() for loc in locs):
                coords[w.id] = [(loc.lon, loc.lat) for loc in locs]
    out = []
    for rid, tags, members in rels:
        outline = [(typ, ref) for typ, ref, role in members if role in _OUTLINE_ROLES]
        inner = [ref for typ, ref, role in members if role == "inner" and typ == "w"]
        if not outline or any(typ != "w" or ref not in coords for typ, ref in outline):
            continue
        if any(ref not in coords for ref in inner):
            continue

        def rings(refs: list[int]) -> shapely.Geometry:
            lines = [shapely.linestrings(coords[r]) for r in refs if len(coords[r]) >= 2]
            return shapely.union_all(shapely.get_parts(shapely.polygonize(lines)))

        geom = rings([ref for _, ref in outline])
        if geom.is_empty:
            continue
        if inner:
            geom = shapely.difference(geom, rings(inner))
        out.append(
            (
                "relation",
                rid,
                shapely.to_wkb(
                    shapely.MultiPolygon(
                        [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
                    )
                ),
                tags,
            )
        )
    return out


#: hex head of a little-endian WKB multipolygon of one part (byte order, type 6, count 1)
_ONE_PART_MULTIPOLYGON = "010600000001000000"


def _single_parts(area_wkb: list) -> list:
    """Hex WKB areas with each one-part multipolygon replaced by its polygon's WKB."""
    n = len(_ONE_PART_MULTIPOLYGON)
    return [w[n:] if w.startswith(_ONE_PART_MULTIPOLYGON) else w for w in area_wkb]


def _features_frame(
    node_id: list[int],
    node_xy: list[int],
    line_id: list[int],
    line_wkb: list[str],
    area_kind: list[str],
    area_id: list[int],
    area_wkb: list,
    ftags: dict[str, tuple[list[int], list[str], list[str]]],
) -> gpd.GeoDataFrame:
    """Return the features as a GeoDataFrame: nodes, then lines, then areas, one column per tag."""
    n_node, n_line, n_area = len(node_id), len(line_id), len(area_id)
    geoms = []
    if n_node:
        lonlat, _ = _lonlat(node_xy)
        geoms.append(shapely.points(lonlat))
    if n_line:
        geoms.append(_from_hex_wkb(line_wkb))
    if n_area:
        # a one-part multipolygon is a polygon to a person: its WKB is the polygon's after
        # the multipolygon's head (byte order, type 6, one part), so read only that
        geoms.append(_from_hex_wkb(_single_parts(area_wkb)))
    geometry = np.concatenate(geoms) if geoms else np.array([], dtype=object)
    # one tag table over all rows: nodes first, lines next, areas last
    shift = {"node": 0, "line": n_node, "area": n_node + n_line}
    rows = np.concatenate(
        [np.asarray(ftags[k][0], dtype=np.int64) + shift[k] for k in ("node", "line", "area")]
    )
    keys = [k for part in ("node", "line", "area") for k in ftags[part][1]]
    vals = [v for part in ("node", "line", "area") for v in ftags[part][2]]
    frame = _tag_frame(n_node + n_line + n_area, rows.tolist(), keys, vals)
    osm_type = ["node"] * n_node + ["way"] * n_line + area_kind
    frame.insert(0, "osm_type", pd.array(osm_type, dtype="string"))
    frame.insert(1, "osm_id", np.asarray(node_id + line_id + area_id, dtype=np.int64))
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326", copy=False)
    return gdf.reset_index(drop=True)
