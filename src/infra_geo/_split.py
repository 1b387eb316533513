"""Cut one OSM extract into one extract per area (PLACEHOLDER until branch split-extract lands).

A naive stand-in with the interface of the one-pass splitter: one read of the whole file to
index nodes, ways and relations, then one writing pass with a writer per area. Each area's extract holds
every node inside the area, every way with a node inside (whole, with all its nodes) and
every multipolygon/boundary relation with a member way kept (whole, with all member ways).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from .errors import DataFileError


def split_extract(
    osm_file: str | os.PathLike[str],
    areas: Mapping[str, BaseGeometry],
    out_dir: str | os.PathLike[str],
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write ``out_dir/<key>.osm.pbf`` per area (EPSG:4326 polygons); return the paths."""
    src = Path(osm_file)
    if not src.is_file():
        raise DataFileError(f"{src} does not exist; pass an OSM extract.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    node_ids, xy, way_ids, way_refs, rel_ways = _index(src)
    way_pos = {w: i for i, w in enumerate(way_ids)}
    keys = list(areas)
    node_in: dict[int, list[int]] = {}
    way_in: dict[int, list[int]] = {}
    rel_in: dict[int, list[int]] = {}
    for a, key in enumerate(keys):
        if progress is not None:
            progress(key)
        area = areas[key]
        inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
        inside_ids = set(node_ids[inside].tolist())
        ways = {
            w for w, refs in zip(way_ids, way_refs, strict=True) if not inside_ids.isdisjoint(refs)
        }
        rels = {r for r, members in rel_ways.items() if not ways.isdisjoint(members)}
        for r in rels:
            ways.update(m for m in rel_ways[r] if m in way_pos)
        nodes = set(inside_ids)
        for w in ways:
            nodes.update(way_refs[way_pos[w]])
        for ids, into in ((nodes, node_in), (ways, way_in), (rels, rel_in)):
            for i in ids:
                into.setdefault(i, []).append(a)
    targets = [out / f"{key}.osm.pbf" for key in keys]
    tmps = [out / f".{key}.tmp-{os.getpid()}.osm.pbf" for key in keys]
    for t in tmps:
        t.unlink(missing_ok=True)
    writers = [osmium.SimpleWriter(str(t)) for t in tmps]
    try:
        for obj in osmium.FileProcessor(str(src)):
            into = node_in if obj.is_node() else way_in if obj.is_way() else rel_in
            for a in into.get(obj.id, ()):
                writers[a].add(obj)
    finally:
        for w in writers:
            w.close()
    for t, target in zip(tmps, targets, strict=True):
        os.replace(t, target)
    paths: dict[str, Path] = dict(zip(keys, targets, strict=True))
    return paths


def _index(
    src: Path,
) -> tuple[np.ndarray, np.ndarray, list[int], list[tuple[int, ...]], dict[int, set[int]]]:
    """Return node ids and lon/lat, way ids and node refs, relation -> member way ids."""
    ids: list[int] = []
    lonlat: list[tuple[float, float]] = []
    way_ids: list[int] = []
    way_refs: list[tuple[int, ...]] = []
    rel_ways: dict[int, set[int]] = {}
    for obj in osmium.FileProcessor(str(src)):
        if obj.is_node():
            if obj.location.valid():
                ids.append(obj.id)
                lonlat.append((obj.location.lon, obj.location.lat))
        elif obj.is_way():
            way_ids.append(obj.id)
            way_refs.append(tuple(n.ref for n in obj.nodes))
        elif obj.is_relation() and obj.tags.get("type") in ("multipolygon", "boundary"):
            rel_ways[obj.id] = {m.ref for m in obj.members if m.type == "w"}
    xy = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    return np.asarray(ids, dtype=np.int64), xy, way_ids, way_refs, rel_ways
