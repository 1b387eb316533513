"""Which OSM ways people walk on: named walk profiles, written as data.

A profile is a table of Overpass QL tag filters evaluated by :mod:`infra_geo._tagfilter`:
a way is walkable when it passes at least one ``include`` filter and no ``exclude`` filter.
Two more tables name the ways that need geometry, not only tags, to decide:

``separate_sidewalk``
    Roads whose sidewalk is mapped as its own way (``sidewalk=separate``,
    ``foot=use_sidepath``). They are dropped only where such a footway, path or cycleway
    really runs alongside them in the data (see :func:`infra_geo.network` and the README);
    otherwise the road itself is the only way to walk there and it is kept.
``ferry``
    Pedestrian ferries (``route=ferry`` + ``foot=yes``): edges whose length is the crossing
    time (the ``duration`` tag, or the length at ``settings.ferry_speed_kmh``) plus
    ``settings.ferry_wait_min``, converted to walking metres.

Profiles
--------
``"osmnx"``
    osmnx's ``network_type="walk"`` filter (``settings.walk_filter``): drops every
    ``highway=cycleway`` without a foot tag and every road tagged ``sidewalk=separate``.
``"nl"``
    The Dutch pedestrian network (:data:`NL`): *fietspaden* are walked unless ``foot=no``
    (where there is no sidewalk, Dutch pedestrians walk on the cycle path), any way with
    ``foot=yes/designated/permissive`` is walked whatever its highway class (motorways
    excepted), ``access=private/no`` and private service roads only where foot is allowed,
    plus ferries and the ``sidewalk=separate`` rule above.
``"auto"``
    ``"nl"`` when the data lies in the Netherlands (the test that chooses RD New), ``"osmnx"``
    elsewhere: who may walk on a cycle path differs by country (in Germany not on a signed
    *Radweg*), so the Dutch defaults are not applied abroad.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _tagfilter, settings
from .errors import InputError

PROFILES = ("auto", "nl", "osmnx")

#: foot explicitly allowed (overrides access=private/no, service=private, motorroad=yes...)
FOOT_ALLOWED = '["foot"~"^(yes|designated|permissive)$"]'
_FOOT_NOT_ALLOWED = '["foot"!~"^(yes|designated|permissive)$"]'


@dataclass(frozen=True)
class WalkProfile:
    """A named set of walk rules (Overpass filters with the reason for each).

    Attributes
    ----------
    name : str
    include, exclude : tuple of (reason, Overpass filter)
        Walkable = passes any ``include`` and no ``exclude``.
    separate_sidewalk : tuple of (reason, Overpass filter)
        Walkable ways dropped only where a separate sidewalk is found alongside.
    ferry : tuple of (reason, Overpass filter)
        Ways that are ferry crossings (need no ``highway`` tag).
    sidewalk_ways : str
        Overpass filter of the walkable ways that count as a separately mapped sidewalk
        (crossings excluded: they touch the road only where they cross it).
    """

    name: str
    include: tuple[tuple[str, str], ...]
    exclude: tuple[tuple[str, str], ...] = ()
    separate_sidewalk: tuple[tuple[str, str], ...] = ()
    ferry: tuple[tuple[str, str], ...] = ()
    sidewalk_ways: str = '["highway"~"^(footway|path|pedestrian|cycleway)$"]["footway"!="crossing"]'

    def _any(self, rules: tuple[tuple[str, str], ...], tags: pd.DataFrame) -> np.ndarray:
        out = np.zeros(len(tags), dtype=bool)
        for _, expr in rules:
            out |= _tagfilter.evaluate(expr, tags)
        return out

    def walkable(self, tags: pd.DataFrame) -> np.ndarray:
        """Ways (rows of a tag table) that pass the tag rules, ferries included."""
        ok = self._any(self.include, tags) & ~self._any(self.exclude, tags)
        return ok | self.ferries(tags)

    def ferries(self, tags: pd.DataFrame) -> np.ndarray:
        """Ways that are pedestrian ferry crossings."""
        return self._any(self.ferry, tags)

    def sidewalk_separate(self, tags: pd.DataFrame) -> np.ndarray:
        """Ways whose walking happens on a separately mapped sidewalk, if there is one."""
        return self._any(self.separate_sidewalk, tags) & ~self.ferries(tags)

    def sidewalk_like(self, tags: pd.DataFrame) -> np.ndarray:
        """Ways that can be the separately mapped sidewalk of a road."""
        return _tagfilter.evaluate(self.sidewalk_ways, tags)

    def keys(self) -> list[str]:
        """Every tag key the profile reads."""
        rules = self.include + self.exclude + self.separate_sidewalk + self.ferry
        exprs = [e for _, e in rules] + [self.sidewalk_ways]
        return list(dict.fromkeys(k for e in exprs for k in _tagfilter.keys(e)))


#: The Dutch pedestrian profile, one row per rule (reason, Overpass filter).
NL = WalkProfile(
    name="nl",
    include=(
        ("foot explicitly allowed, whatever the highway class", '["highway"]' + FOOT_ALLOWED),
        ("every highway=* way not excluded below, cycleways (fietspaden) included", '["highway"]'),
    ),
    exclude=(
        ("motorways, always", '["highway"~"^(motorway|motorway_link)$"]'),
        ("foot=no, always", '["foot"="no"]'),
        ("areas (a square is a public space, not a street)", '["area"="yes"]'),
        (
            "not (yet or any more) a way, always",
            '["highway"~"^(abandoned|no|planned|proposed|razed)$"]',
        ),
        (
            "not a way for the public, unless foot is allowed",
            '["highway"~"^(bus_guideway|construction|disused|platform|raceway|rest_area|'
            'services)$"]' + _FOOT_NOT_ALLOWED,
        ),
        (
            "access=private/no, unless foot is allowed",
            '["access"~"^(private|no)$"]' + _FOOT_NOT_ALLOWED,
        ),
        (
            "private service roads, unless foot is allowed",
            '["service"~"private"]' + _FOOT_NOT_ALLOWED,
        ),
        (
            "motorroad=yes (autoweg), unless foot is allowed",
            '["motorroad"="yes"]' + _FOOT_NOT_ALLOWED,
        ),
    ),
    separate_sidewalk=(
        ("sidewalk=separate", '["sidewalk"="separate"]'),
        ("sidewalk:both=separate", '["sidewalk:both"="separate"]'),
        (
            "sidewalk:left=separate, no sidewalk on the right side of the road itself",
            '["sidewalk:left"="separate"]["sidewalk:right"!~"^(yes|both|right)$"]',
        ),
        (
            "sidewalk:right=separate, no sidewalk on the left side of the road itself",
            '["sidewalk:right"="separate"]["sidewalk:left"!~"^(yes|both|left)$"]',
        ),
        ("foot=use_sidepath", '["foot"="use_sidepath"]'),
    ),
    ferry=(("pedestrian ferry", '["route"="ferry"]' + FOOT_ALLOWED),),
)


#: One line per profile for the summary of a run: which ways were walked.
PROFILE_NOTES = {
    "nl": (
        "walking network: the Dutch 'nl' profile (cycle paths walked unless foot=no, any way "
        "with foot=yes except motorways, pedestrian ferries; a road tagged sidewalk=separate "
        "only where its sidewalk is not in the data)"
    ),
    "osmnx": (
        "walking network: osmnx's walk filter (no highway=cycleway, no road tagged "
        "sidewalk=separate)"
    ),
}
#: the same notes in Dutch (``summary.md`` with ``lang="nl"``)
PROFILE_NOTES_NL = {
    "nl": (
        "loopnetwerk: het Nederlandse profiel 'nl' (fietspaden belopen tenzij foot=no, elke weg "
        "met foot=yes behalve autosnelwegen, voetveren; een weg met sidewalk=separate alleen "
        "waar de stoep niet in de data staat)"
    ),
    "osmnx": (
        "loopnetwerk: het loopfilter van osmnx (geen highway=cycleway, geen weg met "
        "sidewalk=separate)"
    ),
}


def osmnx_profile() -> WalkProfile:
    """Osmnx's walk filter as a profile (read from ``settings.walk_filter`` at call time)."""
    return WalkProfile(name="osmnx", include=(("osmnx walk filter", settings.walk_filter),))


def check_profile(profile: Any, name: str = "walk_profile") -> str:
    """``profile`` as one of :data:`PROFILES`; raises :class:`InputError`."""
    if profile is None:
        profile = settings.walk_profile
    if not isinstance(profile, str) or profile.lower() not in PROFILES:
        raise InputError(
            f"{name} must be one of {', '.join(repr(p) for p in PROFILES)}, got {profile!r}: "
            "'nl' walks Dutch cycle paths, 'osmnx' is osmnx's walk filter, 'auto' chooses 'nl' "
            "inside the Netherlands."
        )
    return profile.lower()


def resolve(profile: Any, area_4326: Any) -> WalkProfile:
    """Return the profile to use for data covering ``area_4326`` (a shapely geometry, lon/lat).

    Parameters
    ----------
    profile : {"auto", "nl", "osmnx"} or None
        ``None`` reads ``settings.walk_profile``; ``"auto"`` is ``"nl"`` when the area's
        centre lies in the Netherlands, else ``"osmnx"``.
    area_4326 : shapely geometry
        The data's area, used only by ``"auto"``.
    """
    name = check_profile(profile)
    if name == "auto":
        from ._crs import in_netherlands

        name = "nl" if in_netherlands(area_4326) else "osmnx"
    return NL if name == "nl" else osmnx_profile()
