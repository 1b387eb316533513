"""Planning a many-region batch in the client: regions, units, extent, buffers, fingerprints.

Everything here runs once, in the process that calls :func:`infra_geo.analyse_regions`,
before any task is sent to the cluster:

- the regions (a GeoDataFrame, a polygon file in any CRS, or ``"admin:LEVEL"`` from the OSM
  file), checked: not empty, polygons, valid, not overlapping, inside the data;
- the data extent of the *whole* file (derived once, or given), passed to every region's run;
- the units of the gap table, built once for the whole file (a hexagon grid over the whole
  extent, so its cells are those of a whole-country run), each assigned to exactly one region
  (:func:`assign_units`); units in no region are kept aside and reported;
- each region's analysis area: the region and its units, widened by the buffer
  (:func:`default_buffer_m`), in EPSG:4326 for the splitter;
- the fingerprints a region's manifest records (input file hash, units, settings, version).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from .errors import CRSError, EmptyDataError, GeometryError, InputError, OutsideDataError

#: share of the walking distance added to the default buffer as a safety margin (and at least
#: ``BUFFER_MARGIN_MIN_M``): network distance is never shorter than the straight line, so the
#: margin only absorbs projection and rounding differences
BUFFER_MARGIN_SHARE = 0.1
BUFFER_MARGIN_MIN_M = 100.0
#: two regions overlap when their intersection is more than this share of the smaller one
#: (shared borders of administrative boundaries touch, or overlap by a sliver of digitising)
OVERLAP_SHARE = 1e-3
#: settings that change nothing a region computes (left out of the manifest)
_VOLATILE_SETTINGS = {
    "log_level",
    "use_cache",
    "cache_folder",
    "requests_timeout",
    "overpass_url",
    "nominatim_url",
}
_ID_COLUMNS = ("unit_id", "GM_CODE", "WK_CODE", "BU_CODE", "code", "id")
_NAME_COLUMNS = ("unit_name", "GM_NAAM", "WK_NAAM", "BU_NAAM", "name", "naam")


def default_buffer_m(minutes: tuple[float, ...], speed_kmh: float) -> float:
    """Return the default buffer: every walk within the largest threshold stays inside it.

    The walking distance of the largest threshold, plus twice ``settings.snap_tolerance_m``
    (a resident reaches the street up to that far; a point facility is attached to a street
    up to that far), plus ``settings.catchment_buffer_m`` (the street front of catchments),
    plus a safety margin of ``BUFFER_MARGIN_SHARE`` of the walking distance (at least
    ``BUFFER_MARGIN_MIN_M``). 15 min at 4.8 km/h: 1200 + 500 + 50 + 120 = 1870 m.
    """
    walk = max(minutes) * speed_kmh * 1000.0 / 60.0
    margin = max(BUFFER_MARGIN_MIN_M, BUFFER_MARGIN_SHARE * walk)
    return walk + 2 * settings.snap_tolerance_m + settings.catchment_buffer_m + margin


def safe_keys(ids: pd.Series) -> list[str]:
    """Return unique file-name-safe keys for the region ids (``relation/12`` -> ``relation_12``)."""
    keys: list[str] = []
    seen: set[str] = set()
    for v in ids.astype(str):
        k = re.sub(r"[^A-Za-z0-9_.-]+", "_", v).strip("._")[:80] or "region"
        base, n = k, 1
        while k.lower() in seen:
            n += 1
            k = f"{base}-{n}"
        seen.add(k.lower())
        keys.append(k)
    return keys


def read_regions(
    regions: Any, osm_file: Path, *, layer: str | int | None = None
) -> tuple[gpd.GeoDataFrame, bool]:
    """Return the regions (``region_key``, ``region_id``, ``region_name``, geometry, EPSG:4326).

    The second value says whether they came from the OSM file (``admin:LEVEL``).
    """
    from ._units import _admin_level
    from .neighbourhoods import neighbourhoods_from_file, neighbourhoods_from_osm

    from_osm = False
    if isinstance(regions, gpd.GeoDataFrame):
        if regions.crs is None:
            raise CRSError("regions has no CRS: set it with regions.set_crs(...).")
        raw = regions.to_crs("EPSG:4326").reset_index(drop=True)
        id_col = next((c for c in _ID_COLUMNS if c in raw.columns), None)
        name_col = next((c for c in _NAME_COLUMNS if c in raw.columns), None)
        ids = (
            raw[id_col].astype(str)
            if id_col
            else pd.Series([f"region-{i + 1}" for i in range(len(raw))])
        )
        names = raw[name_col].astype(str) if name_col else ids
    elif isinstance(regions, (str, os.PathLike)):
        text = str(regions)
        if text.startswith("admin:"):
            try:
                level = _admin_level(text.split(":", 1)[1])
            except InputError:
                raise InputError(
                    f"regions {text!r}: LEVEL must be a whole number from 1 to 12 (8 = the "
                    "municipality in most of Europe), e.g. 'admin:8'."
                ) from None
            raw = neighbourhoods_from_osm(file=osm_file, admin_level=level)
            from_osm = True
        elif text.startswith("hex:"):
            raise InputError("regions must be polygons, a file or 'admin:LEVEL', not a hex grid.")
        else:
            raw = neighbourhoods_from_file(text, layer=_regions_layer(text, layer))
        ids, names = raw["unit_id"].astype(str), raw["unit_name"].astype(str)
    else:
        raise InputError(
            "regions must be a GeoDataFrame, a polygon file or 'admin:LEVEL', "
            f"not {type(regions).__name__}."
        )
    if len(raw) == 0:
        raise EmptyDataError(
            "regions holds no polygon: pass regions with at least one area"
            + (" (no boundary at that admin_level is complete in the file)." if from_osm else ".")
        )
    out = gpd.GeoDataFrame(
        {
            "region_key": safe_keys(ids.reset_index(drop=True)),
            "region_id": ids.to_numpy(),
            "region_name": names.to_numpy(),
        },
        geometry=raw.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    check_regions(out)
    return out, from_osm


def _regions_layer(path: str, layer: str | int | None) -> str | int | None:
    """Return the layer to read regions from: the given one, else a "gemeente" layer, if any.

    (A CBS wijk- en buurtkaart GeoPackage holds gemeenten, wijken and buurten; for units the
    buurten layer is the default, for regions the gemeenten layer.)
    """
    if layer is not None:
        return layer
    try:
        import pyogrio

        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # not a multi-layer source: let the reader say what is wrong
        return None
    return next((n for n in names if "gemeente" in n.lower()), None) if len(names) > 1 else None


def check_regions(regions: gpd.GeoDataFrame) -> None:
    """Refuse empty, non-polygon, invalid and overlapping regions, naming them."""
    geom = regions.geometry.to_numpy()
    names = regions["region_name"].astype(str).to_numpy()
    empty = shapely.is_missing(geom) | shapely.is_empty(geom)
    if empty.any():
        raise GeometryError(f"region {names[empty][0]!r} has an empty geometry: drop it.")
    poly = np.isin(shapely.get_type_id(geom), (3, 6))
    if not poly.all():
        raise GeometryError(
            f"region {names[~poly][0]!r} is a {shapely.get_type_id(geom[~poly][0])} geometry, "
            "not a polygon: regions must be areas."
        )
    valid = shapely.is_valid(geom)
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        raise GeometryError(
            f"region {names[i]!r} is not a valid polygon ({shapely.is_valid_reason(geom[i])}): "
            "repair it first, e.g. with shapely.make_valid or QGIS 'Fix geometries'."
        )
    from ._crs import metric_crs_for

    metric = gpd.GeoSeries(geom, crs="EPSG:4326").to_crs(
        metric_crs_for(shapely.box(*regions.total_bounds))
    )
    m = metric.to_numpy()
    a, b = shapely.STRtree(m).query(m, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a):
        inter = shapely.area(shapely.intersection(m[a], m[b]))
        small = np.minimum(shapely.area(m[a]), shapely.area(m[b]))
        bad = inter > OVERLAP_SHARE * small
        if bad.any():
            i, j = int(a[bad][0]), int(b[bad][0])
            raise GeometryError(
                f"regions {names[i]!r} and {names[j]!r} overlap ({inter[bad][0] / 1e6:.3g} km2): "
                "each resident must belong to one region. Pass regions that do not overlap "
                "(e.g. one administrative level)."
            )


def regions_in_data(
    regions: gpd.GeoDataFrame, extent: Any, *, from_osm: bool
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Return the regions that touch the data extent and the names of those that do not.

    Regions read from the OSM file itself (``admin:LEVEL``) may include neighbours of the
    extract's area: those wholly outside the data are dropped and named. Regions the user
    gave must all lie in the data, else :class:`OutsideDataError` names them.
    """
    inside = shapely.intersects(regions.geometry.to_numpy(), extent)
    if inside.all():
        return regions, []
    names = regions.loc[~inside, "region_name"].astype(str).tolist()
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    if not inside.any():
        raise OutsideDataError(
            f"No region lies in the data of the OSM file ({shown}): pass regions of the area the "
            "file covers, or an OSM file that covers the regions."
        )
    if not from_osm:
        raise OutsideDataError(
            f"{len(names)} region(s) lie wholly outside the data of the OSM file ({shown}): "
            "drop them, or pass an OSM file that covers every region."
        )
    return regions.loc[inside].reset_index(drop=True), names


def assign_units(units: gpd.GeoDataFrame, regions: gpd.GeoDataFrame) -> np.ndarray:
    """Return each unit's region row (-1: in no region).

    The rule: the region that holds the unit's representative point
    (``shapely.point_on_surface``, always inside the unit); a point on a shared border goes
    to the first such region in the regions' order. A unit whose point lies in no region
    goes to the region it overlaps most; a unit that overlaps no region gets -1.
    """
    ugeom = units.to_crs("EPSG:4326").geometry.to_numpy()
    rgeom = regions.geometry.to_numpy()
    out = np.full(len(ugeom), -1, dtype=np.int64)
    if not len(ugeom):
        return out
    tree = shapely.STRtree(rgeom)
    pu, pr = tree.query(shapely.point_on_surface(ugeom), predicate="intersects")
    order = np.lexsort((pr, pu))
    pu, pr = pu[order], pr[order]
    first = np.unique(pu, return_index=True)
    out[first[0]] = pr[first[1]]
    rest = np.flatnonzero(out < 0)
    if len(rest):
        qu, qr = tree.query(ugeom[rest], predicate="intersects")
        if len(qu):
            area = shapely.area(shapely.intersection(ugeom[rest][qu], rgeom[qr]))
            ok = area > 0
            qu, qr, area = qu[ok], qr[ok], area[ok]
            best = np.lexsort((qr, -area, qu))
            qu, qr = qu[best], qr[best]
            uq, idx = np.unique(qu, return_index=True)
            out[rest[uq]] = qr[idx]
    return out


def buffered_areas(
    regions: gpd.GeoDataFrame, units: gpd.GeoDataFrame, buffer_m: float, metric: Any
) -> dict[str, Any]:
    """Return each region's analysis area: the region and its units, widened by ``buffer_m``."""
    reg = regions.to_crs(metric)
    un = units.to_crs(metric)
    out: dict[str, Any] = {}
    for i, key in enumerate(reg["region_key"]):
        parts = np.concatenate(
            [[reg.geometry.iloc[i]], un.geometry.to_numpy()[un["region_key"].to_numpy() == key]]
        )
        area = shapely.buffer(shapely.union_all(parts), buffer_m, quad_segs=8)
        out[key] = gpd.GeoSeries([area], crs=metric).to_crs("EPSG:4326").iloc[0]
    return out


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def frame_sha256(gdf: gpd.GeoDataFrame) -> str:
    """Return a fingerprint of a units frame: its columns, values and geometries (WKB)."""
    h = hashlib.sha256()
    plain = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    h.update(pd.util.hash_pandas_object(plain.astype(str), index=False).to_numpy().tobytes())
    h.update(json.dumps([str(c) for c in plain.columns]).encode())
    for wkb in shapely.to_wkb(gdf.geometry.to_numpy(), hex=False):
        h.update(wkb or b"")
    return h.hexdigest()


def settings_snapshot() -> dict[str, Any]:
    """Return infra_geo's settings as they are in this process (applied on every worker)."""
    return {
        k: v
        for k, v in vars(settings).items()
        if not k.startswith("_")
        and k not in _VOLATILE_SETTINGS
        and isinstance(v, (int, float, str, tuple, bool, type(None)))
    }


def fingerprint(job: dict[str, Any], units_hash: str) -> dict[str, Any]:
    """Return what a region's manifest records and a re-run compares (JSON-ready)."""
    from . import __version__

    return {
        "infra_geo": __version__,
        "input_sha256": job["input_sha256"],
        "units_sha256": units_hash,
        "settings": json.loads(json.dumps(job["fingerprint_settings"], default=str)),
    }


def areas_sha256(areas: dict[str, Any]) -> str:
    """Return a fingerprint of the split's areas (keys and WKB), for ``split.json``."""
    h = hashlib.sha256()
    for key in sorted(areas):
        h.update(key.encode())
        h.update(shapely.to_wkb(areas[key], hex=False))
    return h.hexdigest()
