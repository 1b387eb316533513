"""Facility groups: which facilities count for which key, whatever the taxonomy.

Every accessibility and gap function works per *group*: the eight components by default,
or the values of any column (``by="category"``), the groups of another rules file
(``rules="cbs_nabijheid"``), or a dict of named GeoDataFrames. :func:`resolve_groups` turns
those options into one boolean membership matrix over the facility rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._log import log
from ._validate import as_facilities
from .components import COMPONENT_KEYS, Rules, classify, component_matrix, load_rules
from .errors import InputError, UnknownComponentError

__all__ = ["Groups", "resolve_groups"]


@dataclass(frozen=True)
class Groups:
    """Facilities and their group memberships.

    Attributes
    ----------
    facilities : GeoDataFrame
        The facility rows the memberships refer to (the input, or the concatenation of a
        dict of frames).
    keys : tuple of str
        Group keys, in order.
    members : ndarray of bool, shape (n_facilities, n_groups)
        ``members[i, j]``: facility ``i`` belongs to group ``keys[j]``.
    labels : dict
        Display label per key (``{"nl": {...}, "en": {...}}``).
    rules : Rules or None
        The rules the groups come from, when they come from a rules file.
    default : bool
        The groups are the eight components from the facilities' ``components`` column.
    """

    facilities: gpd.GeoDataFrame
    keys: tuple[str, ...]
    members: np.ndarray
    labels: dict[str, dict[str, str]]
    rules: Rules | None = None
    default: bool = False

    def label(self, key: str, lang: str = "nl") -> str:
        """Return the display label of group ``key``."""
        return self.labels.get(lang, {}).get(key, key)


def _select(
    keys: tuple[str, ...], members: np.ndarray, component: str | Iterable[str] | None, how: str
) -> tuple[tuple[str, ...], np.ndarray]:
    if component is None:
        return keys, members
    want = (component,) if isinstance(component, str) else tuple(component)
    if not want:
        raise InputError(f"No group given: pass a group key ({how}) or None for all.")
    for k in want:
        if k not in keys:
            shown = ", ".join(keys[:40]) + (" ..." if len(keys) > 40 else "")
            raise UnknownComponentError(
                f"Unknown group {k!r} ({how}). Use one of: {shown or '(none: no facilities)'}."
            )
    return want, members[:, [keys.index(k) for k in want]]


def resolve_groups(
    facilities: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    component: str | Iterable[str] | None = None,
    *,
    by: str | None = None,
    rules: Any = None,
) -> Groups:
    """Resolve the grouping options of the accessibility and gap functions.

    Parameters
    ----------
    facilities : GeoDataFrame or dict of str to GeoDataFrame
        Classified facilities, or named frames (each frame is one group; a facility in two
        frames belongs to both groups).
    component : str or list of str, optional
        Restrict to these group keys (default: every group).
    by : str, optional
        A column of ``facilities``: one group per distinct value (e.g. ``"category"``:
        ``"amenity=doctors"``, ``"shop=supermarket"``...). ``"component"`` (or ``None``)
        means the eight components by membership (``components`` column).
    rules : str, path, dict or Rules, optional
        Classify the facilities' OSM tags with these rules (e.g. ``"cbs_nabijheid"``); one
        group per rule component. The facilities must carry the tags the rules read: read
        them with ``ig.facilities_from_file(path, rules=...)`` with the same rules.

    Returns
    -------
    Groups

    Raises
    ------
    InputError
        Conflicting options, an unknown column, or not a GeoDataFrame.
    UnknownComponentError
        ``component`` names a group that does not exist (the message lists the groups).
    """
    if isinstance(facilities, Mapping):
        if by is not None or rules is not None:
            raise InputError(
                "A dict of facility frames already names the groups: do not pass by= or rules=."
            )
        return _groups_from_dict(facilities, component)
    fac = as_facilities(facilities, "facilities")
    if by is not None and rules is not None:
        raise InputError("Pass either by= (a column) or rules= (a rules file), not both.")
    if rules is not None:
        return _groups_from_rules(fac, rules, component)
    if by is not None and by != "component":
        if not isinstance(by, str) or by not in fac.columns:
            raise InputError(
                f"by={by!r} is not a column of the facilities; use one of: "
                f"{', '.join(map(str, fac.columns[:30]))}."
            )
        col = fac[by].astype("string")
        values = col.dropna().unique()
        col_keys = tuple(sorted(str(v) for v in values))
        codes = pd.Categorical(col, categories=list(col_keys)).codes
        members = np.zeros((len(fac), len(col_keys)), dtype=bool)
        has = codes >= 0
        members[np.flatnonzero(has), codes[has]] = True
        k, m = _select(col_keys, members, component, f"a value of column {by!r}")
        lab = {lang: {x: x for x in k} for lang in ("nl", "en")}
        return Groups(fac, k, m, lab)
    if "components" not in fac.columns:
        raise InputError(
            "The facilities have no 'components' column: classify them with ig.classify(), "
            "or group them with by= (a column), rules= or a dict of frames."
        )
    comp_keys = _component_keys(fac)
    members = component_matrix(fac, comp_keys)
    k, m = _select(comp_keys, members, component, "a component key")
    from .components import COMPONENTS

    lab = {
        "nl": {c.key: c.label_nl for c in COMPONENTS},
        "en": {c.key: c.label_en for c in COMPONENTS},
    }
    return Groups(fac, k, m, lab, default=comp_keys == COMPONENT_KEYS)


def _groups_from_dict(
    facilities: Mapping[str, gpd.GeoDataFrame], component: str | Iterable[str] | None
) -> Groups:
    """Build groups from a dict of named facility frames (each frame is one group)."""
    if not facilities:
        raise InputError("The dict of facility frames is empty: give at least one group.")
    frames, keys = [], []
    for name, fac in facilities.items():
        keys.append(str(name))
        frames.append(as_facilities(fac, f"facilities[{name!r}]").to_crs("EPSG:4326"))
    sizes = np.array([len(f) for f in frames])
    joined = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    members = np.zeros((int(sizes.sum()), len(keys)), dtype=bool)
    members[np.arange(members.shape[0]), np.repeat(np.arange(len(keys)), sizes)] = True
    if len(set(keys)) != len(keys):
        raise InputError("The dict of facility frames has duplicate group names.")
    k, m = _select(tuple(keys), members, component, "a key of the facilities dict")
    lab = {lang: {x: x for x in k} for lang in ("nl", "en")}
    return Groups(joined, k, m, lab)


def _groups_from_rules(
    fac: gpd.GeoDataFrame, rules: Any, component: str | Iterable[str] | None
) -> Groups:
    """Build groups from classifying the facilities' OSM tags with ``rules``."""
    r = load_rules(rules)
    present = [k for k in r.match_keys() if k in fac.columns]
    if not present:
        raise InputError(
            f"The facilities carry none of the tags the rules {r.source} read "
            f"({', '.join(r.match_keys())}): read them with "
            "ig.facilities_from_file(path, rules=...) using the same rules."
        )
    cls = classify(fac, rules=r, keep_unmatched=True)
    members = component_matrix(cls.fillna({"components": ""}), r.keys)
    k, m = _select(r.keys, members, component, f"a group of {r.source}")
    empty = [x for x, any_ in zip(k, np.asarray(m.any(axis=0)), strict=True) if not any_]
    if empty:
        log(
            f"no facility falls in the group(s) {', '.join(empty)} of {r.source}: their "
            "distances are inf (none mapped, or their tags were not read: use "
            "ig.facilities_from_file(path, rules=...) with the same rules)",
            logging.WARNING,
        )
    lab = {
        "nl": {c.key: c.label_nl for c in r.components},
        "en": {c.key: c.label_en for c in r.components},
    }
    return Groups(fac, k, m, lab, rules=r)


def _component_keys(fac: pd.DataFrame) -> tuple[str, ...]:
    """Return the eight components, or the keys in ``components`` when classified with other rules."""
    col = fac["components"].astype("string").dropna()
    seen: dict[str, None] = {}
    for combo in col.unique():
        for key in str(combo).split(";"):
            if key:
                seen.setdefault(key, None)
    if set(seen) <= set(COMPONENT_KEYS):
        return COMPONENT_KEYS
    return tuple(seen)
