"""The OSM reader as it was before issue 14 (Python callbacks, DataFrame.from_records), kept
only as the reference the fast reader in ``infra_geo._osm_reader`` is checked against
(tests/test_reader_equal.py). Not used by the library.

Read OSM extracts (.osm, .osm.gz, .osm.bz2, .osm.pbf) in one pass with pyosmium.

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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from infra_geo._log import log
from infra_geo.errors import DataFileError

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
    """The osmium format string of ``path`` from its first bytes, not its name.

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
        from infra_geo.errors import InputError

        raise InputError(
            f"path must be an OSM file path (str or pathlib.Path), got {type(path).__name__}."
        )
    p = Path(path).resolve()
    fmt = sniff_format(p)
    st = p.stat()
    return _read_cached(str(p), fmt, st.st_size, st.st_mtime_ns, tuple(sorted(set(feature_keys))))


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

    from infra_geo._outdir import _pid_alive

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


def _read(path: str, fmt: str, keys: tuple[str, ...], name: str = "") -> OSMData:
    import osmium
    from osmium.filter import EmptyTagFilter, KeyFilter

    feature_keys = (set(keys) | set(BASE_KEYS)) - {"highway"}
    # route: ferry crossings (route=ferry ways have no highway tag) join the way arrays
    all_keys = sorted(feature_keys | {"highway", "route"})

    def candidate(tags: dict) -> bool:
        # highway=* is a network way; it is a feature only as an area (pedestrian square)
        return bool(feature_keys & tags.keys()) or ("highway" in tags and tags.get("area") == "yes")

    node_rec: list[tuple[int, float, float, dict]] = []
    line_rec: list[tuple[int, list[tuple[float, float]], dict]] = []
    area_rec: list[tuple[str, int, bytes, dict]] = []
    closed_ways: set[int] = set()
    closed_complete: set[int] = set()  # closed ways with every node present
    rel_candidates: set[int] = set()
    area_ways: set[int] = set()
    area_rels: set[int] = set()
    building_rels: list[tuple[int, dict, list[tuple[str, int, str]]]] = []

    way_ids: list[int] = []
    way_len: list[int] = []
    way_nodes: list[int] = []
    way_coords: list[tuple[float, float]] = []
    way_tags: list[dict] = []
    dropped = {"missing_way_nodes": 0, "highway_ways_lost": 0, "feature_ways_incomplete": 0}

    wkb = osmium.geom.WKBFactory()
    fp = (
        osmium.FileProcessor(osmium.io.File(path, fmt))
        .with_areas()
        .with_filter(EmptyTagFilter())
        .with_filter(KeyFilter(*all_keys))
    )
    try:
        for o in fp:
            tags = dict(o.tags)
            if o.is_area():
                if not candidate(tags):
                    continue
                try:
                    geom = wkb.create_multipolygon(o)
                except RuntimeError:
                    continue
                oid = o.orig_id()
                if o.from_way():
                    area_ways.add(oid)
                    area_rec.append(("way", oid, bytes.fromhex(geom), tags))
                else:
                    area_rels.add(oid)
                    area_rec.append(("relation", oid, bytes.fromhex(geom), tags))
            elif o.is_node():
                if candidate(tags):
                    loc = o.location
                    if loc.valid():
                        node_rec.append((o.id, loc.lon, loc.lat, tags))
            elif o.is_way():
                nodes = o.nodes
                if "highway" in tags or tags.get("route") == "ferry":
                    runs: list[tuple[list[int], list[tuple[float, float]]]] = [([], [])]
                    for n in nodes:
                        loc = n.location
                        if loc.valid():
                            runs[-1][0].append(n.ref)
                            runs[-1][1].append((loc.lon, loc.lat))
                        else:
                            dropped["missing_way_nodes"] += 1
                            runs.append(([], []))
                    kept_any = False
                    for run_ids, run_xy in runs:
                        if len(run_ids) >= 2:
                            way_ids.append(o.id)
                            way_len.append(len(run_ids))
                            way_nodes.extend(run_ids)
                            way_coords.extend(run_xy)
                            way_tags.append(tags)
                            kept_any = True
                    if not kept_any:
                        dropped["highway_ways_lost"] += 1
                if candidate(tags) and len(nodes) >= 2:
                    if nodes[0].ref == nodes[-1].ref and len(nodes) >= 4:
                        closed_ways.add(o.id)
                        if all(n.location.valid() for n in nodes):
                            closed_complete.add(o.id)
                    else:
                        locs = [n.location for n in nodes]
                        if all(loc.valid() for loc in locs):
                            line_rec.append((o.id, [(loc.lon, loc.lat) for loc in locs], tags))
                        else:
                            dropped["feature_ways_incomplete"] += 1
            elif o.is_relation():
                if candidate(tags) and tags.get("type") in ("multipolygon", "boundary"):
                    rel_candidates.add(o.id)
                elif candidate(tags) and tags.get("type") == "building":
                    # osmium assembles only multipolygon/boundary relations: a building
                    # relation's outline is assembled below, like a multipolygon's outer ring
                    building_rels.append((o.id, tags, [(m.type, m.ref, m.role) for m in o.members]))
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise _read_error(name or path, exc) from None

    n_building_lost = 0
    if building_rels:
        built = _building_relations(path, fmt, building_rels)
        n_building_lost = len(building_rels) - len(built)
        area_rec.extend(built)
    # a closed way with all its nodes that still gave no area has a broken ring
    # (self-intersecting, ...): that is not the clipping of the extract
    invalid = (closed_ways & closed_complete) - area_ways
    dropped["feature_areas_incomplete"] = (
        len(closed_ways - area_ways - invalid) + len(rel_candidates - area_rels) + n_building_lost
    )
    dropped["feature_areas_invalid"] = len(invalid)
    features = _features_frame(node_rec, line_rec, area_rec)
    n_ways = len(way_ids)
    offsets = np.zeros(n_ways + 1, dtype=np.int64)
    if n_ways:
        np.cumsum(np.asarray(way_len, dtype=np.int64), out=offsets[1:])
    data = OSMData(
        path=path,
        bounds=_header_box(path, fmt),
        features=features,
        way_ids=np.asarray(way_ids, dtype=np.int64),
        way_offsets=offsets,
        way_node_ids=np.asarray(way_nodes, dtype=np.int64),
        way_lonlat=np.asarray(way_coords, dtype=np.float64).reshape(-1, 2),
        way_tags=pd.DataFrame.from_records(way_tags) if way_tags else pd.DataFrame(),
        dropped=dropped,
    )
    if dropped["feature_areas_invalid"]:
        log(
            f"{name or Path(path).name}: dropped {len(invalid)} area(s) whose outline is invalid "
            f"(self-intersecting or broken ring), e.g. way {min(invalid)}; fix them in OSM.",
            logging.WARNING,
        )
    lost = {k: v for k, v in dropped.items() if v and k != "feature_areas_invalid"}
    if lost:
        log(
            f"{name or Path(path).name}: kept what is complete; dropped "
            + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in lost.items())
            + " (clipped extract: objects reach outside the file).",
            logging.WARNING,
        )
    return data


def _read_error(path: str, exc: BaseException) -> DataFileError:
    """A clear error for what libosmium refused in ``path``."""
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
    """Areas of ``type=building`` relations, read like multipolygons: the union of the rings
    of their ``outline``/``outer`` way members minus their ``inner`` rings. A relation whose
    outline is missing (clipped), is itself a relation, or does not close is left out (the
    caller counts it as an incomplete area). Needs a second, small pass over the ways."""
    import osmium
    from osmium.filter import IdFilter

    need = {ref for _, _, ms in rels for typ, ref, _ in ms if typ == "w"}
    coords: dict[int, list[tuple[float, float]]] = {}
    fp = (
        osmium.FileProcessor(osmium.io.File(path, fmt), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(IdFilter(need).enable_for(osmium.osm.WAY))
    )
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


def _features_frame(node_rec: list, line_rec: list, area_rec: list) -> gpd.GeoDataFrame:
    osm_type: list[str] = []
    osm_id: list[int] = []
    tags: list[dict] = []
    geoms = []
    if node_rec:
        ids, lon, lat, t = zip(*node_rec, strict=True)
        osm_type += ["node"] * len(ids)
        osm_id += list(ids)
        tags += list(t)
        geoms.append(shapely.points(np.asarray(lon), np.asarray(lat)))
    if line_rec:
        ids, coords, t = zip(*line_rec, strict=True)
        osm_type += ["way"] * len(ids)
        osm_id += list(ids)
        tags += list(t)
        lens = np.fromiter((len(c) for c in coords), dtype=np.int64, count=len(coords))
        flat = np.asarray([xy for c in coords for xy in c], dtype=np.float64)
        geoms.append(shapely.linestrings(flat, indices=np.repeat(np.arange(len(coords)), lens)))
    if area_rec:
        kinds, ids, blobs, t = zip(*area_rec, strict=True)
        osm_type += list(kinds)
        osm_id += list(ids)
        tags += list(t)
        polys = shapely.from_wkb(np.asarray(blobs, dtype=object))
        # a one-part multipolygon is a polygon to a person
        single = shapely.get_num_geometries(polys) == 1
        polys[single] = shapely.get_geometry(polys[single], 0)
        geoms.append(polys)
    geometry = np.concatenate(geoms) if geoms else np.array([], dtype=object)
    frame = pd.DataFrame.from_records(tags) if tags else pd.DataFrame()
    frame.insert(0, "osm_type", pd.array(osm_type, dtype="string"))
    frame.insert(1, "osm_id", np.asarray(osm_id, dtype=np.int64))
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return gdf.reset_index(drop=True)
