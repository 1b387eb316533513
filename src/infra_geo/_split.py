"""Cut one OSM extract into one extract per area (PLACEHOLDER until branch split-extract lands).

A naive stand-in with the interface of the one-pass splitter: one read of the whole file to
index nodes, ways and relations, then one writing pass per area. Each area's extract holds
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
    paths: dict[str, Path] = {}
    for key, area in areas.items():
        if progress is not None:
            progress(key)
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
        target = out / f"{key}.osm.pbf"
        tmp = out / f".{key}.tmp-{os.getpid()}.osm.pbf"
        tmp.unlink(missing_ok=True)
        with osmium.SimpleWriter(str(tmp)) as writer:
            for obj in osmium.FileProcessor(str(src)):
                if (
                    (obj.is_node() and obj.id in nodes)
                    or (obj.is_way() and obj.id in ways)
                    or (obj.is_relation() and obj.id in rels)
                ):
                    writer.add(obj)
        os.replace(tmp, target)
        paths[key] = target
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
