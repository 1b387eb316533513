"""What-if scenarios: an analysis with facilities closed or opened, without a re-run.

:func:`scenario` (also :meth:`Analysis.scenario <infra_geo.Analysis.scenario>`) takes a
finished :class:`~infra_geo.Analysis`, removes facilities (by id or mask) and adds new ones
(a GeoDataFrame), and returns a :class:`Scenario`: a complete result (distances, catchments,
gap table with its residents accounting, uncovered areas, map, ``save``) for the edited
facility set. Nothing is read again and the network is not rebuilt; the access engine keeps
the access points of the kept facilities and the node distances of every component whose
facilities did not change (:meth:`Access.edited <infra_geo.Access.edited>`), so only the
changed components are searched, and their catchments and uncovered areas redrawn. The
result equals a fresh :func:`~infra_geo.analyse` run on the edited facility set.

Compare two results per neighbourhood with :func:`infra_geo.compare`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from ._access import Access
from ._edit import changed_groups
from ._scenario_parts import adjusted_counts, local_catchments
from ._types import FacilityIdsLike
from .accessibility import catchments, metres_per_minute
from .analysis import Analysis
from .components import COMPONENT_KEYS
from .errors import InputError, UnknownComponentError
from .gaps import gaps_and_residents, uncovered_areas

__all__ = ["Scenario", "scenario"]

#: ``facility_id`` prefix of added facilities without an id of their own
ADDED_PREFIX = "scenario/"
#: what an added facility's own id may hold (it is written into notes and files)
_ID_RE = re.compile(r"^[\w:/.\-]{1,100}$")
#: longest scenario name accepted (characters)
MAX_NAME = 200


@dataclass
class Scenario(Analysis):
    """An :class:`~infra_geo.Analysis` of an edited facility set (see :func:`scenario`).

    Everything an ``Analysis`` holds, for the edited set, plus what was edited.

    Attributes
    ----------
    name : str
        The scenario's name (shown in the summary and the map title).
    base : Analysis or None
        The result it was derived from.
    added, removed : tuple of str
        ``facility_id`` of the added and of the removed facilities.
    changed : tuple of str
        The components whose facility set changed: only they were recomputed.
    residents : GeoDataFrame or None
        The placed resident points (network CRS) with their walking metres per component
        in this scenario (as the gap table counted them).
    base_residents : GeoDataFrame or None
        The same points with the walking metres of ``base``.
    """

    name: str = ""
    base: Analysis | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    residents: gpd.GeoDataFrame | None = None
    base_residents: gpd.GeoDataFrame | None = None

    @property
    def map_title(self) -> str:
        """The map title: the default title and the scenario's name (escaped by the map)."""
        from .maps._common import _TEXT

        return f"{_TEXT[self.lang]['title']} – scenario: {self.name}"


# ------------------------------------------------------------------------------ checks


def _check_name(name: Any) -> str:
    if name is None:
        return "scenario"
    if not isinstance(name, str):
        raise InputError(f"name must be a string, not {type(name).__name__}.")
    text = " ".join(name.split())
    if not text:
        raise InputError("name is empty: give the scenario a short name, or leave it out.")
    if len(text) > MAX_NAME:
        raise InputError(f"name is {len(text)} characters long: keep it under {MAX_NAME}.")
    return text


def removal_mask(facilities: gpd.GeoDataFrame, remove: FacilityIdsLike) -> np.ndarray:
    """Rows of ``facilities`` to remove: from ids or a boolean mask (see :func:`scenario`)."""
    n = len(facilities)
    if remove is None:
        return np.zeros(n, dtype=bool)
    if isinstance(remove, (pd.Series, np.ndarray)) and pd.api.types.is_bool_dtype(remove.dtype):
        if isinstance(remove, pd.Series) and remove.isna().any():
            raise InputError("remove is a boolean mask with missing values: fill them first.")
        mask = np.asarray(remove, dtype=bool)
        if isinstance(remove, pd.Series) and not remove.index.equals(facilities.index):
            raise InputError(
                "remove is a boolean Series with another index than the facilities: build it "
                "from res.facilities (e.g. res.facilities['name'] == '...')."
            )
        if mask.shape != (n,):
            raise InputError(
                f"remove is a boolean mask of {mask.size} values; the facilities have {n} rows."
            )
        return mask
    ids = [remove] if isinstance(remove, (str, int, np.integer)) else remove
    if not isinstance(ids, Iterable) or isinstance(ids, (bytes, dict)):
        raise InputError(
            "remove must be facility ids (res.facilities['facility_id'], e.g. 'node/123' or "
            f"123) or a boolean mask, not {type(remove).__name__}."
        )
    listed = list(ids)
    if not listed:
        raise InputError("remove is empty: give facility ids, or leave remove out.")
    return _ids_mask(facilities, listed)


def _ids_mask(facilities: gpd.GeoDataFrame, ids: list[Any]) -> np.ndarray:
    """Rows whose ``facility_id`` is one of ``ids``; a bare number matches one ``osm_id``."""
    fid = facilities["facility_id"].astype(str).to_numpy()
    osm = (
        pd.to_numeric(facilities["osm_id"], errors="coerce").to_numpy()
        if "osm_id" in facilities.columns
        else np.full(len(fid), np.nan)
    )
    mask = np.zeros(len(fid), dtype=bool)
    unknown, ambiguous = [], []
    for raw in ids:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, np.integer)):
            raise InputError(f"remove: {raw!r} is not a facility id (a string or a number).")
        text = str(raw).strip()
        hit = fid == text
        if not hit.any() and text.lstrip("-").isdigit():
            hit = osm == float(text)
            if hit.sum() > 1:
                ambiguous.append(f"{text} ({', '.join(fid[hit])})")
                continue
        if not hit.any():
            unknown.append(text or repr(raw))
        mask |= hit
    if ambiguous:
        raise InputError(
            f"remove: the OSM id(s) {'; '.join(ambiguous)} match several facilities: give "
            "the facility_id (e.g. node/123 or way/123)."
        )
    if unknown:
        shown = ", ".join(unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        raise InputError(
            f"remove: no facility has the id {shown}. Use the ids in res.facilities['facility_id'] "
            "(e.g. node/123) or their OSM number."
        )
    return mask


def added_facilities(
    add: gpd.GeoDataFrame,
    *,
    component: str | None,
    extent: shapely.Geometry | None,
    dtypes: pd.Series,
    taken: Iterable[str],
) -> gpd.GeoDataFrame:
    """Check ``add`` and give it the columns (and types) of the facility table (EPSG:4326)."""
    columns = dtypes.index
    if not isinstance(add, gpd.GeoDataFrame):
        raise InputError(f"add must be a GeoDataFrame of new facilities, not {type(add).__name__}.")
    if len(add) == 0:
        raise InputError("add is empty: give at least one new facility, or leave add out.")
    if add.crs is None:
        raise InputError("add has no CRS: set it (e.g. add.set_crs('EPSG:4326')).")
    comps = _added_components(add, component)
    geom = add.geometry.to_crs("EPSG:4326").to_numpy()
    bad = shapely.is_missing(geom) | shapely.is_empty(geom)
    if bad.any():
        raise InputError(f"add: row(s) {_rows(add, bad)} have no geometry.")
    bad = ~shapely.is_valid(geom)
    if bad.any():
        why = shapely.is_valid_reason(geom[np.argmax(bad)])
        raise InputError(
            f"add: row(s) {_rows(add, bad)} have an invalid geometry ({why}); fix it "
            "(e.g. shapely.make_valid)."
        )
    kinds = shapely.get_type_id(geom)
    bad = ~np.isin(kinds, (0, 1, 3, 4, 5, 6))
    if bad.any():
        raise InputError(f"add: row(s) {_rows(add, bad)} are not points, lines or polygons.")
    if extent is not None:
        bad = ~shapely.intersects(geom, extent)
        if bad.any():
            raise InputError(
                f"add: row(s) {_rows(add, bad)} lie outside the data extent of this analysis: "
                "a facility there could not be reached from the analysed streets."
            )
    ids = _added_ids(add, taken)
    names = (
        add["name"].astype("string").fillna("").to_numpy(dtype=object)
        if "name" in add.columns
        else np.full(len(add), "", dtype=object)
    )
    out = pd.DataFrame(index=range(len(add)), columns=columns, dtype=object)
    for col in add.columns:  # the new facilities' own values (e.g. a capacity column)
        if col in columns and col != add.geometry.name:
            out[col] = add[col].to_numpy(dtype=object)
    out["facility_id"] = ids
    out["component"] = [c.split(";")[0] for c in comps]
    out["components"] = comps
    out["category"] = "scenario"
    out["name"] = np.where(names == "", [f"new {c}" for c in out["component"]], names)
    out["osm_type"] = "scenario"
    out["osm_id"] = pd.NA
    frame = gpd.GeoDataFrame(out.drop(columns="geometry", errors="ignore"), geometry=geom, crs=4326)
    return _typed_like(frame[list(columns)], dtypes)


def _typed_like(frame: gpd.GeoDataFrame, dtypes: pd.Series) -> gpd.GeoDataFrame:
    """``frame`` with the facility table's column types (integers nullable where missing)."""
    for col, dtype in dtypes.items():
        if col == frame.geometry.name or col not in frame.columns:
            continue
        if pd.api.types.is_integer_dtype(dtype):
            frame[col] = pd.array(pd.to_numeric(frame[col], errors="coerce"), dtype="Int64")
        else:
            try:
                frame[col] = frame[col].astype(dtype)
            except (TypeError, ValueError):
                pass  # left as objects: the combined column becomes object
    return frame


def _added_components(add: gpd.GeoDataFrame, component: str | None) -> list[str]:
    if component is not None and "component" in add.columns:
        raise InputError(
            "add has a 'component' column and component= was given too: use one of them."
        )
    if component is not None:
        if not isinstance(component, str):
            raise InputError(f"component must be a string, not {type(component).__name__}.")
        raw = pd.Series([component] * len(add), dtype=object)
    elif "component" in add.columns:
        raw = add["component"].reset_index(drop=True)
    else:
        raise InputError(
            "add has no 'component' column: say which component the new facilities serve "
            f"(a column, or component=; one of {', '.join(COMPONENT_KEYS)})."
        )
    missing = raw.isna().to_numpy()
    if missing.any():
        raise InputError(f"add: row(s) {_rows(add, missing)} have no component.")
    out = []
    for v in raw.astype(str):
        keys = [k.strip() for k in v.split(";") if k.strip()]
        bad = [k for k in keys if k not in COMPONENT_KEYS]
        if bad or not keys:
            raise UnknownComponentError(
                f"add: unknown component {', '.join(map(repr, bad or [v]))}; use one of "
                f"{', '.join(COMPONENT_KEYS)} (several separated by ';')."
            )
        out.append(";".join(dict.fromkeys(keys)))
    return out


def _added_ids(add: gpd.GeoDataFrame, taken: Iterable[str]) -> list[str]:
    """Return the added facilities' ids: their own ``facility_id`` (checked) or ``scenario/<n>``."""
    taken_set = set(taken)
    if "facility_id" not in add.columns:
        n, ids = 1, []
        for _ in range(len(add)):
            while f"{ADDED_PREFIX}{n}" in taken_set:
                n += 1
            ids.append(f"{ADDED_PREFIX}{n}")
            n += 1
        return ids
    col = add["facility_id"]
    if col.isna().any():
        raise InputError(f"add: row(s) {_rows(add, col.isna().to_numpy())} have no facility_id.")
    ids = col.astype(str).str.strip().tolist()
    bad = [i for i in ids if not _ID_RE.match(i)]
    if bad:
        raise InputError(
            f"add: facility_id {bad[0]!r} is not an id: use letters, digits and : / . - _ "
            "(e.g. plan/1), or drop the column."
        )
    dup = sorted({i for i in ids if ids.count(i) > 1})
    clash = sorted(set(ids) & taken_set)
    if dup or clash:
        raise InputError(
            f"add: facility_id {', '.join((dup + clash)[:5])} is "
            f"{'repeated' if dup else 'already a facility'}; give new ids or drop the column."
        )
    return ids


def _rows(frame: pd.DataFrame, bad: np.ndarray) -> str:
    idx = [str(i) for i in frame.index[np.asarray(bad)]]
    return ", ".join(idx[:10]) + (f" and {len(idx) - 10} more" if len(idx) > 10 else "")


# ---------------------------------------------------------------------------- the run


def scenario(
    res: Analysis,
    *,
    add: gpd.GeoDataFrame | None = None,
    remove: FacilityIdsLike = None,
    name: str | None = None,
    component: str | None = None,
) -> Scenario:
    """Return the analysis ``res`` with facilities removed and added, recomputing only what changed.

    Parameters
    ----------
    res : Analysis
        A finished analysis (:func:`infra_geo.analyse`, or another scenario).
    add : GeoDataFrame, optional
        New facilities, any CRS: points, lines or polygons inside the data extent, with a
        ``component`` column (a component key, several separated by ``;``) unless
        ``component=`` is given; optional ``name`` and ``facility_id`` columns (default ids
        ``scenario/1``, ``scenario/2``...).
    remove : facility ids or boolean mask, optional
        Facilities to close: values of ``res.facilities["facility_id"]`` (``"node/123"``,
        ``"way/456"``; a bare OSM number matches when it names one facility), or a boolean
        mask/Series over the rows of ``res.facilities``.
    name : str, optional
        The scenario's name, shown in its summary and map title (default ``"scenario"``).
    component : str, optional
        The component of every added facility (instead of a ``component`` column).

    Returns
    -------
    Scenario
        A complete result (an :class:`~infra_geo.Analysis`): ``facilities`` is the kept rows
        followed by the added ones; ``changed`` names the recomputed components;
        ``timings["scenario"]`` the seconds it took. ``res`` is unchanged.

    Raises
    ------
    InputError
        An unknown id (the message names it), an empty or invalid ``add`` (no component,
        no CRS, an invalid or empty geometry, outside the data extent), or a bad ``name``.
    UnknownComponentError
        A component that is not one of the eight.

    Examples
    --------
    >>> import infra_geo as ig
    >>> res = ig.analyse()  # the embedded sample
    >>> lib = res.facilities.loc[res.facilities["category"] == "amenity=library", "facility_id"]
    >>> closed = res.scenario(remove=list(lib), name="libraries closed")
    >>> closed.changed  # libraries are meeting places and public internet points
    ('meeting', 'digital')
    >>> bool(closed.gaps["digital_reached_10"].sum() < res.gaps["digital_reached_10"].sum())
    True
    """
    t0 = time.perf_counter()
    if not isinstance(res, Analysis):
        raise InputError(
            f"scenario needs an ig.Analysis (from ig.analyse), not {type(res).__name__}."
        )
    label = _check_name(name)
    if add is None and remove is None:
        raise InputError("Nothing to change: pass add= (new facilities) and/or remove= (ids).")
    base_fac = res.facilities
    mask = removal_mask(base_fac, remove)
    new = None
    if add is not None:
        new = added_facilities(
            add,
            component=component,
            extent=res.extent,
            dtypes=base_fac.dtypes,
            taken=base_fac["facility_id"].astype(str),
        )
    elif component is not None:
        raise InputError("component= names the component of added facilities: pass add= too.")
    base_eng = res._engine()
    eng = base_eng.edited(add=new, remove=mask)
    n_keep = int((~mask).sum())
    touched = changed_groups(base_eng, ~mask, eng.groups.members[n_keep:], eng.keys)
    changed = tuple(k for k in eng.keys if k in touched)
    fac = eng.facilities
    parts = _recompute(res, eng, changed, np.flatnonzero(mask), np.arange(n_keep, len(fac)))
    removed = tuple(base_fac.loc[mask, "facility_id"].astype(str))
    added = tuple(new["facility_id"]) if new is not None else ()
    notes = [n for n in res.notes if not n.startswith("scenario:")]
    note = _note(label, removed, added, changed)
    notes.append(note)
    timings = dict(parts.pop("timings"))
    out = Scenario(
        facilities=fac,
        network=res.network,
        neighbourhoods=res.neighbourhoods,
        population=res.population,
        minutes=res.minutes,
        speed_kmh=res.speed_kmh,
        lang=res.lang,
        source=f"{res.source}, scenario “{label}”",
        timings=timings,
        notes=notes,
        entrances=res.entrances,
        extent=res.extent,
        extent_source=res.extent_source,
        access=eng,
        source_file=res.source_file,
        name=label,
        base=res,
        added=added,
        removed=removed,
        changed=changed,
        **parts,
    )
    out = _with_capacity_again(res, out)
    # the scenario's own note last (the capacity notes were just written again)
    out.notes = [n for n in out.notes if n != note] + [note]
    out.timings["scenario"] = time.perf_counter() - t0
    return out


def _with_capacity_again(res: Analysis, sc: Scenario) -> Scenario:
    """Return the capacity measures ``res`` carried, recomputed for the scenario's facilities.

    ``with_capacity`` records how it was asked (``gaps.attrs["capacity"]``): a column name
    or None, the method, minutes and options. Values given per facility cannot be carried
    to another facility set: the scenario then says so in a note.
    """
    asked = res.gaps.attrs.get("capacity", {})
    if not asked:
        return sc
    from .capacity import with_capacity

    for key, how in asked.items():
        if how.get("capacity_source") == "user" or "options" not in how:
            sc.notes.append(
                f"capacity of {key} not recomputed for the scenario (the capacity was given "
                f"as values per facility): call .with_capacity({key!r}, ...) on it"
            )
            continue
        sc = with_capacity(  # type: ignore[assignment]
            sc,
            key,
            capacity=how["capacity"],
            method=how["method"],
            minutes=how["minutes"],
            **how["options"],
        )
    return sc


def _note(
    label: str, removed: tuple[str, ...], added: tuple[str, ...], changed: tuple[str, ...]
) -> str:
    def ids(x: tuple[str, ...]) -> str:
        return ", ".join(x[:10]) + (f" and {len(x) - 10} more" if len(x) > 10 else "")

    what = []
    if removed:
        what.append(
            f"{len(removed)} facilit{'y' if len(removed) == 1 else 'ies'} removed ({ids(removed)})"
        )
    if added:
        what.append(f"{len(added)} added ({ids(added)})")
    redo = ", ".join(changed) if changed else "none"
    return f"scenario: {'; '.join(what)}; recomputed: {redo}; every other figure is the base run's"


def _recompute(
    res: Analysis, eng: Access, changed: tuple[str, ...], removed: np.ndarray, added: np.ndarray
) -> dict[str, Any]:
    """Distances, catchments, gap table and uncovered areas of the edited engine.

    ``removed`` are rows of the base engine, ``added`` rows of ``eng``.
    """
    net, fac, mins, speed = res.network, eng.facilities, res.minutes, res.speed_kmh
    timings: dict[str, float] = {}
    t = time.perf_counter()
    dist = _distances(res, eng, changed, removed, added)
    timings["distances"] = time.perf_counter() - t
    t = time.perf_counter()
    catch = _catchments(res, eng, changed, removed, added)
    timings["catchments"] = time.perf_counter() - t
    t = time.perf_counter()
    table, base_table = _resident_tables(res, eng)
    gaps, placed = gaps_and_residents(
        net,
        fac,
        res.neighbourhoods,
        res.population,
        minutes=mins,
        speed_kmh=speed,
        extent=res.extent,
        entrances=res.entrances,
        access=table,
    )
    base_placed = base_table.copy()
    base_placed["population"] = placed["population"].to_numpy()
    unc = res.uncovered
    if changed:
        redo_u = uncovered_areas(
            net, fac, None, minutes=mins, speed_kmh=speed, access=placed, component=changed
        )
        unc = _replace_rows(res.uncovered, redo_u, changed, eng.keys)
    timings["gaps"] = time.perf_counter() - t
    return {
        "distances": dist,
        "catchments": catch,
        "gaps": gaps,
        "uncovered": unc,
        "residents": placed,
        "base_residents": base_placed,
        "timings": timings,
    }


def _distances(
    res: Analysis, eng: Access, changed: tuple[str, ...], removed: np.ndarray, added: np.ndarray
) -> pd.DataFrame:
    """Return the base run's node table with the changed groups' columns (as ``nearest_facilities``)."""
    dist = res.distances.copy()
    if not changed:
        return dist
    att = eng.attachments
    for k, (d, near) in eng.node_distances(changed).items():
        dist[f"{k}_m"] = d
        ids = np.where(near >= 0, att.facility_ids[np.maximum(near, 0)], None)
        dist[f"{k}_nearest"] = pd.array(ids, dtype="string")
    limits = {m: m * metres_per_minute(res.speed_kmh) for m in res.minutes}
    counts = adjusted_counts(res.distances, res._engine(), eng, removed, added, changed, limits)
    for col, values in counts.items():
        dist[col] = values
    return dist


def _catchments(
    res: Analysis, eng: Access, changed: tuple[str, ...], removed: np.ndarray, added: np.ndarray
) -> gpd.GeoDataFrame:
    """Return the base run's catchments with the changed groups' redrawn (near the edit only)."""
    base = res.catchments
    if not changed:
        return base
    width = float(base.attrs.get("buffer_m", settings.catchment_buffer_m))
    out = base.copy()
    out.attrs.update(base.attrs)
    whole = []
    for k in changed:
        geoms = local_catchments(
            base,
            res._engine(),
            eng,
            removed,
            added,
            k,
            minutes=res.minutes,
            speed_kmh=res.speed_kmh,
            width=width,
        )
        if geoms is None:
            whole.append(k)
            continue
        rows = out.index[out["component"] == k][
            np.argsort(out.loc[out["component"] == k, "minutes"].to_numpy(), kind="stable")
        ]
        out.loc[rows, out.geometry.name] = geoms
        out.loc[rows, "area_m2"] = shapely.area(np.asarray(geoms, dtype=object))
    if whole:
        redo = catchments(
            res.network,
            eng.facilities,
            minutes=res.minutes,
            speed_kmh=res.speed_kmh,
            buffer_m=width,
            component=whole,
            access=eng,
        )
        out = _replace_rows(out, redo, tuple(whole), eng.keys)
    return out


def _resident_tables(res: Analysis, eng: Access) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the population points with their walking metres in the scenario and in ``res``.

    The points are snapped once; each engine reads its node distances there (as
    :func:`infra_geo.resident_access` does, which a fresh run calls).
    """
    net = res.network
    pts = res.population.to_crs(net.crs)
    s = net.snap(pts.geometry)
    island = np.where(s.ok, net.island[net.edge_u[np.maximum(s.edge, 0)]], -1)

    def table(acc: Access) -> gpd.GeoDataFrame:
        keys = acc.keys
        t = acc.point_table(s, pts.index, keys)
        out = pts.join(t.drop(columns=[c for c in t.columns if c in pts.columns and c not in keys]))
        out["island"] = island
        return out

    return table(eng), table(res._engine())


def _replace_rows(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, changed: tuple[str, ...], keys: tuple[str, ...]
) -> gpd.GeoDataFrame:
    """``old``'s rows of unchanged components and ``new``'s of the changed, in key order."""
    new = new.to_crs(old.crs)
    keep = old.loc[~old["component"].isin(changed)]
    out = pd.concat([keep, new[old.columns]], ignore_index=True)
    order = {k: i for i, k in enumerate(keys)}
    out = out.assign(_k=out["component"].map(order)).sort_values(["_k", "minutes"], kind="stable")
    frame = gpd.GeoDataFrame(
        out.drop(columns="_k").reset_index(drop=True), geometry=old.geometry.name, crs=old.crs
    )
    frame.attrs.update(old.attrs)
    return frame
