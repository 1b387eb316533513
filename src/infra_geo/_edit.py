"""Editing an access engine: facilities removed and added, only the changed groups redone.

Behind :meth:`Access.edited <infra_geo.Access.edited>` (and so behind
:meth:`Analysis.scenario <infra_geo.Analysis.scenario>`). Two facts make the reuse exact:

- a facility's access points depend on that facility and the network only (see
  :func:`infra_geo._access.attach`: every rule works per facility), so the kept facilities'
  attachments are those of the new set, and only the added facilities are attached;
- a group's node distances depend on its attached members only, so a group none of whose
  members was removed and to which nothing was added keeps its distances (its nearest
  facility rows renumbered to the new table).
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from ._access import Attachments, attach
from ._groups import resolve_groups
from .errors import InputError

if TYPE_CHECKING:
    from ._access import Access

__all__ = ["edited", "merge_attachments"]


def merge_attachments(
    old: Attachments, keep: np.ndarray, new: Attachments, members: np.ndarray, keys: tuple[str, ...]
) -> Attachments:
    """Return the attachments of ``old``'s kept rows followed by ``new``'s, in :func:`attach` order.

    ``keep`` is a boolean mask over ``old``'s facility rows; kept rows are renumbered
    ``0..k-1`` in their order, ``new``'s rows follow from ``k``. ``members``/``keys`` are
    the groups of the combined table.
    """
    row = np.full(len(old.facility_ids), -1, dtype=np.int64)
    row[keep] = np.arange(int(keep.sum()))
    sel = keep[old.facility]
    k = int(keep.sum())
    fac = np.concatenate([row[old.facility[sel]], new.facility + k])
    edge = np.concatenate([old.edge[sel], new.edge])
    off = np.concatenate([old.offset[sel], new.offset])
    kind = np.concatenate([old.kind[sel], new.kind])
    # the order attach() gives: by facility, edge, offset (stable: ties keep their order,
    # which is per facility and so the same as in a from-scratch attach)
    order = np.lexsort((off, edge, fac))
    return Attachments(
        fac[order],
        edge[order],
        off[order],
        kind[order],
        np.concatenate([old.snapped[keep], new.snapped]),
        np.concatenate([old.facility_ids[keep], new.facility_ids]),
        members,
        keys,
    )


def edited(
    acc: Access, *, add: gpd.GeoDataFrame | None = None, remove: np.ndarray | None = None
) -> Access:
    """``acc`` with the rows ``remove`` dropped and ``add`` appended (see ``Access.edited``)."""
    if not isinstance(acc.source, gpd.GeoDataFrame):
        raise InputError(
            "This Access was built from a dict of facility frames: edit the frames and build "
            "a new ig.Access."
        )
    old_fac = acc.facilities
    n = len(old_fac)
    keep = np.ones(n, dtype=bool)
    if remove is not None:
        rm = np.asarray(remove)
        if rm.dtype != bool or rm.shape != (n,):
            raise InputError(
                f"remove must be a boolean mask with one value per facility ({n}), got "
                f"{rm.dtype} of shape {rm.shape}."
            )
        keep = ~rm
    if add is not None and not isinstance(add, gpd.GeoDataFrame):
        raise InputError(f"add must be a GeoDataFrame, not {type(add).__name__}.")
    added = add.to_crs(old_fac.crs) if add is not None and len(add) else old_fac.iloc[:0].copy()
    frame = pd.concat([old_fac.loc[keep], added], ignore_index=True)
    new_fac = gpd.GeoDataFrame(frame, geometry=old_fac.geometry.name, crs=old_fac.crs)
    groups = resolve_groups(new_fac, **acc.options)
    att_new = attach(acc.net, added, acc.entrances, incident=acc._net_cache.incident)
    out = copy.copy(acc)
    out.source = new_fac
    out.groups = groups
    out.keys = groups.keys
    out.facilities = groups.facilities
    out.attachments = merge_attachments(acc.attachments, keep, att_new, groups.members, groups.keys)
    out._graph = None
    # what this engine computes itself: the added facilities' access points (one attach
    # call, when there are any) and the searches of the changed groups, when asked for
    out.runs = Counter(attach=1 if len(added) else 0)
    out._net_cache.engines += 1
    out._dist = _kept_distances(acc, keep, groups.members[n - int((~keep).sum()) :], groups.keys)
    return out


def changed_groups(
    acc: Access, keep: np.ndarray, added_members: np.ndarray, keys: tuple[str, ...]
) -> set[str]:
    """Keys whose facility set differs: a member removed, a member added, or a new key."""
    old = acc.attachments
    out = set()
    for j, k in enumerate(keys):
        if k not in acc.keys:
            out.add(k)
            continue
        col = old.members[:, acc.keys.index(k)]
        if (col & ~keep).any() or added_members[:, j].any():
            out.add(k)
    return out


def _kept_distances(
    acc: Access, keep: np.ndarray, added_members: np.ndarray, keys: tuple[str, ...]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return the node distances of ``acc`` that stay valid, nearest rows renumbered."""
    changed = changed_groups(acc, keep, added_members, keys)
    row = np.full(len(keep) + 1, -1, dtype=np.int64)  # row[-1] = -1: no facility stays -1
    row[: len(keep)][keep] = np.arange(int(keep.sum()))
    return {
        k: (dist, row[near])
        for k, (dist, near) in acc._dist.items()
        if k in keys and k not in changed
    }
