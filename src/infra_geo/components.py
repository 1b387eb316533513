"""The eight components of social infrastructure and the OSM tag rules that find them.

The taxonomy is data: ``components.toml`` (shipped in the package) lists each component with
its Dutch and English label and colour, and the tag rules that classify OSM features. Read it
with :func:`load_rules`, pass your own file or dict to :func:`classify` to override it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from ._deprecate import positional_deprecated
from .errors import DataFileError, InputError, RulesError, UnknownComponentError

__all__ = [
    "COMPONENTS",
    "COMPONENT_KEYS",
    "Component",
    "Rule",
    "Rules",
    "check_components",
    "classify",
    "component_mask",
    "component_matrix",
    "load_rules",
    "rules_markdown",
]

ANY = "*"


@dataclass(frozen=True)
class Component:
    """One component of social infrastructure.

    Attributes
    ----------
    key : str
        Stable identifier, e.g. ``"meeting"``.
    label_nl, label_en : str
        Dutch and English display labels.
    color : str
        Hex colour used on maps.
    description_nl, description_en : str
        One-line description of what the component covers.
    cbs : tuple of str
        Names of CBS columns that measure the distance to the same kind of facility
        (``cbs = [...]`` in the rules file; e.g. ``afstand_huisarts_km``, ``g_afs_hp``), read
        by :func:`infra_geo.compare_with_cbs`. Empty for the eight components.
    """

    key: str
    label_nl: str
    label_en: str
    color: str
    description_nl: str = ""
    description_en: str = ""
    cbs: tuple[str, ...] = ()

    def label(self, lang: str = "nl") -> str:
        """Return the display label in ``lang`` (``"nl"`` or ``"en"``)."""
        return self.label_en if lang == "en" else self.label_nl


@dataclass(frozen=True)
class Rule:
    """One tag rule: features whose tags match belong to ``component``."""

    component: str
    tags: Mapping[str, tuple[str, ...]]
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unless: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    secondary: bool = False
    note: str = ""
    match: Mapping[str, str] = field(default_factory=dict)

    @property
    def category_key(self) -> str:
        """The tag key that names the category (``amenity`` in ``amenity=library``)."""
        return next(iter(self.tags))

    def keys(self) -> set[str]:
        """Every tag key the rule reads."""
        return set(self.tags) | set(self.where) | set(self.unless) | set(self.match)


@dataclass(frozen=True)
class Rules:
    """A versioned taxonomy: components, tag rules and exclusions."""

    version: str
    components: tuple[Component, ...]
    rules: tuple[Rule, ...]
    exclude: Mapping[str, tuple[str, ...]]
    source: str = "infra_geo/components.toml"
    #: (version, changes) pairs from the file's ``[[changelog]]`` tables, newest first
    changelog: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: human labels of facility categories from the file's ``[labels]`` table:
    #: ``"amenity=theatre"`` (or ``"club=*"`` for every value of a key) -> (Dutch, English)
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def category_label(self, category: str, *, lang: str = "nl") -> str | None:
        """Return the human label of a category in ``lang`` (``"amenity=theatre"`` -> ``"Theater"``).

        From ``[labels]`` (the exact tag, else its key's ``"key=*"`` entry); None if none.
        """
        key = str(category).partition("=")[0]
        pair = self.labels.get(str(category)) or self.labels.get(key + "=*")
        if pair is None:
            return None
        return pair[1] if lang == "en" else pair[0]

    @property
    def keys(self) -> tuple[str, ...]:
        """Component keys, in order."""
        return tuple(c.key for c in self.components)

    def component(self, key: str) -> Component:
        """Return the :class:`Component` with ``key``; raises :class:`UnknownComponentError`."""
        for c in self.components:
            if c.key == key:
                return c
        raise UnknownComponentError(
            f"Unknown component {key!r}. Use one of: {', '.join(self.keys)}."
        )

    def match_keys(self) -> tuple[str, ...]:
        """Return the tag keys whose presence makes an OSM object a candidate, sorted."""
        keys: set[str] = set()
        for r in self.rules:
            keys |= set(r.tags)
        return tuple(sorted(keys))

    def osm_tags(self) -> dict[str, bool | list[str]]:
        """Return the rules' primary tags in osmnx ``tags=`` form, for online queries."""
        out: dict[str, set[str] | bool] = {}
        for r in self.rules:
            key, values = next(iter(r.tags.items()))
            if ANY in values:
                out[key] = True
            elif out.get(key) is not True:
                cur = out.setdefault(key, set())
                assert isinstance(cur, set)
                cur.update(values)
        return {k: (sorted(v) if isinstance(v, set) else True) for k, v in sorted(out.items())}


def _values(obj: Any, where: str) -> tuple[str, ...]:
    if isinstance(obj, str):
        return (obj,)
    if isinstance(obj, Iterable) and all(isinstance(v, str) for v in obj):
        vals = tuple(obj)
        if vals:
            return vals
    raise RulesError(f"{where}: expected a string or a non-empty list of strings, got {obj!r}.")


def _tagmap(obj: Any, where: str) -> dict[str, tuple[str, ...]]:
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        raise RulesError(f"{where}: expected a table of tag = [values], got {obj!r}.")
    return {str(k): _values(v, f"{where}.{k}") for k, v in obj.items()}


def _regexmap(obj: Any, where: str) -> dict[str, str]:
    """``match = { key = "regex" }``: validated regular expressions per tag key."""
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        raise RulesError(f'{where}: expected a table of tag = "regex", got {obj!r}.')
    out = {}
    for k, v in obj.items():
        if not isinstance(v, str):
            raise RulesError(f"{where}.{k}: expected a regular expression string, got {v!r}.")
        try:
            re.compile(v)
        except re.error as exc:
            raise RulesError(
                f"{where}.{k}: {v!r} is not a valid regular expression ({exc})."
            ) from None
        out[str(k)] = v
    return out


def _parse_rules(data: Mapping[str, Any], source: str) -> Rules:
    if not isinstance(data, Mapping):
        raise RulesError(f"Rules from {source} must be a table (dict), got {type(data).__name__}.")
    comps_raw = data.get("component")
    if comps_raw is None:
        comps = _default_rules().components
    else:
        comps_list = []
        for i, c in enumerate(comps_raw):
            try:
                comps_list.append(
                    Component(
                        key=str(c["key"]),
                        label_nl=str(c.get("label_nl", c["key"])),
                        label_en=str(c.get("label_en", c["key"])),
                        color=str(c.get("color", "#777777")),
                        description_nl=str(c.get("description_nl", "")),
                        description_en=str(c.get("description_en", "")),
                        cbs=_values(c["cbs"], f"{source} component #{i + 1}.cbs")
                        if "cbs" in c
                        else (),
                    )
                )
            except (KeyError, TypeError) as exc:
                raise RulesError(
                    f"Component #{i + 1} in {source} needs at least a 'key' ({exc})."
                ) from None
        comps = tuple(comps_list)
        if len({c.key for c in comps}) != len(comps):
            raise RulesError(f"Component keys in {source} are not unique.")
    known = {c.key for c in comps}
    rules = []
    raw_rules = data.get("rule", [])
    if not raw_rules:
        raise RulesError(f"{source} defines no [[rule]]: nothing could be classified.")
    for i, r in enumerate(raw_rules):
        where = f"{source} rule #{i + 1}"
        if not isinstance(r, Mapping) or "component" not in r or "tags" not in r:
            raise RulesError(f"{where} needs 'component' and 'tags'.")
        comp = str(r["component"])
        if comp not in known:
            raise UnknownComponentError(
                f"{where} names the unknown component {comp!r}; known components: "
                f"{', '.join(sorted(known))}. Fix the key or add a [[component]] for it."
            )
        tags = _tagmap(r["tags"], f"{where}.tags")
        if not tags:
            raise RulesError(f"{where} has empty 'tags'.")
        rules.append(
            Rule(
                component=comp,
                tags=tags,
                where=_tagmap(r.get("where"), f"{where}.where"),
                unless=_tagmap(r.get("unless"), f"{where}.unless"),
                secondary=bool(r.get("secondary", False)),
                note=str(r.get("note", "")),
                match=_regexmap(r.get("match"), f"{where}.match"),
            )
        )
    exclude = _tagmap(data.get("exclude", {}), f"{source} [exclude]")
    changelog = []
    for i, entry in enumerate(data.get("changelog", [])):
        if not isinstance(entry, Mapping) or "version" not in entry:
            raise RulesError(f"{source} [[changelog]] #{i + 1} needs a 'version' and 'changes'.")
        changelog.append(
            (str(entry["version"]), _values(entry.get("changes"), f"{source} changelog #{i + 1}"))
        )
    return Rules(
        version=str(data.get("version", "custom")),
        components=comps,
        rules=tuple(rules),
        exclude=exclude,
        source=source,
        changelog=tuple(changelog),
        labels=_labels(data.get("labels", {}), source),
    )


def _labels(raw: Any, source: str) -> dict[str, tuple[str, str]]:
    """Read the ``[labels]`` table: ``"key=value" = { nl = ..., en = ... }`` -> (nl, en)."""
    if not isinstance(raw, Mapping):
        raise RulesError(f'{source} [labels] must be a table of "key=value" = {{ nl, en }}.')
    labels: dict[str, tuple[str, str]] = {}
    for cat, lab in raw.items():
        if not isinstance(lab, Mapping) or not {"nl", "en"} <= set(lab):
            raise RulesError(
                f"{source} [labels] {cat!r} needs both 'nl' and 'en', e.g. "
                f'"amenity=theatre" = {{ nl = "Theater", en = "Theatre" }}.'
            )
        labels[str(cat)] = (str(lab["nl"]), str(lab["en"]))
    return labels


_DEFAULT: Rules | None = None
_PACKAGED: dict[str, Rules] = {}

#: rules files shipped with infra_geo, loadable by name (``load_rules("cbs_nabijheid")``)
PACKAGED_RULES = ("components", "cbs_nabijheid")


def _packaged_rules(name: str) -> Rules:
    if name == "components":
        return _default_rules()
    if name not in _PACKAGED:
        text = resources.files("infra_geo").joinpath(f"{name}.toml").read_text("utf-8")
        _PACKAGED[name] = _parse_rules(tomllib.loads(text), f"infra_geo/{name}.toml")
    return _PACKAGED[name]


def _default_rules() -> Rules:
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files("infra_geo").joinpath("components.toml").read_text("utf-8")
        _DEFAULT = _parse_rules(tomllib.loads(text), "infra_geo/components.toml")
    return _DEFAULT


def load_rules(rules: str | os.PathLike[str] | Mapping[str, Any] | Rules | None = None) -> Rules:
    """Load a component taxonomy.

    Parameters
    ----------
    rules : str, Path, dict, Rules or None
        ``None`` for the rules shipped with infra_geo; the name of a rules file shipped with
        it (``"cbs_nabijheid"`` or ``"cbs_nabijheid.toml"``: the CBS *nabijheid* facility
        types; ``"components"``: the eight components), used when no file of that name
        exists; a path to a TOML file in the same layout as ``infra_geo/components.toml``; or
        a dict of that layout. A dict or file without ``[[component]]`` entries reuses the
        eight default components.

    Returns
    -------
    Rules

    Raises
    ------
    DataFileError
        The file does not exist or is not valid TOML.
    RulesError, UnknownComponentError
        The rules are malformed or name a component that is not defined.

    Examples
    --------
    >>> import infra_geo as ig
    >>> rules = ig.load_rules()
    >>> rules.keys[:2]
    ('meeting', 'associations')
    """
    if rules is None:
        return _default_rules()
    if isinstance(rules, Rules):
        return rules
    if isinstance(rules, (str, Path)):
        path = Path(rules)
        if not path.is_file():
            stem = path.name[: -len(".toml")] if path.name.endswith(".toml") else path.name
            if path.name == str(rules) and stem in PACKAGED_RULES:
                return _packaged_rules(stem)
            raise DataFileError(
                f"Rules file {path} does not exist; pass an existing TOML file or the name of "
                f"a rules file shipped with infra_geo ({', '.join(PACKAGED_RULES)})."
            )
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DataFileError(f"Rules file {path} is not valid TOML: {exc}.") from None
        return _parse_rules(data, str(path))
    if isinstance(rules, Mapping):
        return _parse_rules(rules, "the rules dict")
    raise InputError(f"rules must be None, a path, a dict or Rules, not {type(rules).__name__}.")


def _match(tags: pd.DataFrame, cond: Mapping[str, tuple[str, ...]], empty: bool) -> np.ndarray:
    """Rows where every key of ``cond`` has one of its values (``*``: present, not "no")."""
    n = len(tags)
    if not cond:
        return np.full(n, empty, dtype=bool)
    mask = np.ones(n, dtype=bool)
    for key, values in cond.items():
        if key not in tags.columns:
            return np.zeros(n, dtype=bool)
        col = tags[key]
        if ANY in values:
            ok = col.notna().to_numpy() & (col.astype("string") != "no").fillna(False).to_numpy(
                dtype=bool
            )
        else:
            ok = col.isin(values).to_numpy(dtype=bool)
        mask &= ok
    return mask


def _regex_match(tags: pd.DataFrame, cond: Mapping[str, str]) -> np.ndarray:
    """Rows where every key of ``cond`` is present and its value matches the regex."""
    mask = np.ones(len(tags), dtype=bool)
    for key, pattern in cond.items():
        if key not in tags.columns:
            return np.zeros(len(tags), dtype=bool)
        hit = tags[key].astype("string").str.contains(pattern, regex=True, na=False)
        mask &= hit.to_numpy(dtype=bool)
    return mask


def _any_match(
    tags: pd.DataFrame, cond: Mapping[str, tuple[str, ...]], star_present: bool = False
) -> np.ndarray:
    """Rows where any key of ``cond`` has one of its values.

    With ``star_present`` (``unless``, as components.toml documents it) ``*`` means the key
    is present at all, whatever its value ("no" included).
    """
    out = np.zeros(len(tags), dtype=bool)
    for key, values in cond.items():
        if star_present and ANY in values:
            if key in tags.columns:
                out |= tags[key].notna().to_numpy(dtype=bool)
        else:
            out |= _match(tags, {key: values}, False)
    return out


@positional_deprecated(1, ("rules", "keep_unmatched"))
def classify(
    gdf: pd.DataFrame,
    *,
    rules: str | os.PathLike[str] | Mapping[str, Any] | Rules | None = None,
    keep_unmatched: bool = False,
) -> pd.DataFrame:
    """Classify OSM features into the components of social infrastructure.

    Parameters
    ----------
    gdf : GeoDataFrame or DataFrame
        One row per OSM feature with one column per OSM tag key (as osmnx's
        ``features_from_*`` and :func:`infra_geo.facilities_from_file` give).
    rules : path, dict, Rules or None
        The taxonomy (see :func:`load_rules`); ``None`` uses the shipped rules.
    keep_unmatched : bool
        Keep rows that match no rule (with ``component`` NA). By default they are dropped.

    Returns
    -------
    GeoDataFrame or DataFrame
        A copy with three more columns: ``component`` (primary component key),
        ``components`` (every component the feature belongs to, ``;``-separated in
        component order, e.g. ``"meeting;digital"``), and ``category`` (``"amenity=library"``).
        Excluded features (private, disused, abandoned...) are dropped.

    Raises
    ------
    InputError
        ``gdf`` is not a DataFrame.

    Examples
    --------
    >>> import geopandas as gpd, infra_geo as ig
    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame({"amenity": ["library"]}, geometry=[Point(5, 52)], crs=4326)
    >>> ig.classify(g)[["component", "components", "category"]].iloc[0].tolist()
    ['meeting', 'meeting;digital', 'amenity=library']
    """
    if not isinstance(gdf, pd.DataFrame):
        raise InputError(
            f"classify() needs a (Geo)DataFrame of OSM tags, not {type(gdf).__name__}."
        )
    r = load_rules(rules)
    n = len(gdf)
    tags = gdf
    hits = np.zeros((n, len(r.rules)), dtype=bool)
    for j, rule in enumerate(r.rules):
        m = _match(tags, rule.tags, True) & _match(tags, rule.where, True)
        if rule.unless:
            m &= ~_any_match(tags, rule.unless, star_present=True)
        if rule.match:
            m &= _regex_match(tags, rule.match)
        hits[:, j] = m
    excluded = _any_match(tags, r.exclude) if r.exclude else np.zeros(n, dtype=bool)
    hits[excluded] = False
    matched = hits.any(axis=1)

    comp_index = {k: i for i, k in enumerate(r.keys)}
    rule_comp = np.array([comp_index[rule.component] for rule in r.rules])
    member = np.zeros((n, len(r.components)), dtype=bool)
    for j in range(len(r.rules)):
        member[:, rule_comp[j]] |= hits[:, j]
    secondary = np.array([rule.secondary for rule in r.rules])
    primary_hits = hits & ~secondary
    has_primary = primary_hits.any(axis=1)
    first_rule = np.where(has_primary, primary_hits.argmax(axis=1), hits.argmax(axis=1))

    keys = np.array(r.keys, dtype=object)
    component = np.where(matched, keys[rule_comp[first_rule]], None)
    acc = np.full(n, "", dtype=object)
    for i, key in enumerate(keys):
        acc = np.where(member[:, i], acc + ";" + key, acc)
    joined = np.where(matched, pd.Series(acc, dtype=object).str.lstrip(";"), None)
    # category: key=value of the primary rule's first tag
    category = np.full(n, None, dtype=object)
    for j, rule in enumerate(r.rules):
        sel = matched & (first_rule == j)
        if sel.any():
            k = rule.category_key
            category[sel] = k + "=" + tags[k].astype("string").to_numpy(dtype=object)[sel]
    # copy only the rows kept (a file's features are mostly buildings that match nothing)
    rows: Any = slice(None) if keep_unmatched else matched
    out = gdf.copy() if keep_unmatched else gdf.loc[matched].copy()
    out["component"] = pd.Series(component[rows], index=out.index, dtype="string")
    out["components"] = pd.Series(joined[rows], index=out.index, dtype="string")
    out["category"] = pd.Series(category[rows], index=out.index, dtype="string")
    return out


@positional_deprecated(1, ("rules",))
def check_components(
    keys: str | Iterable[str] | None, *, rules: Rules | None = None
) -> tuple[str, ...]:
    """Validate component keys; ``None`` means all. Raises :class:`UnknownComponentError`."""
    r = rules or _default_rules()
    if keys is None:
        return r.keys
    if isinstance(keys, str):
        keys = (keys,)
    keys = tuple(keys)
    if not keys:
        raise InputError("No component given: pass a component key or None for all eight.")
    for k in keys:
        r.component(k)
    return keys


def component_matrix(facilities: pd.DataFrame, keys: Iterable[str]) -> np.ndarray:
    """Memberships as a boolean matrix: one row per facility, one column per key in ``keys``.

    Works on the distinct values of ``components`` (a handful of combinations), so it costs
    one pass over the column whatever the number of components.
    """
    if "components" not in facilities.columns:
        raise InputError(
            "The facilities have no 'components' column: classify them first with ig.classify()."
        )
    keys = list(keys)
    col = facilities["components"].astype("string").fillna("").to_numpy(dtype=object)
    if len(col) == 0:
        return np.zeros((0, len(keys)), dtype=bool)
    combos, inv = np.unique(col.astype(str), return_inverse=True)
    table = np.array([[k in set(c.split(";")) for k in keys] for c in combos], dtype=bool)
    return table.reshape(len(combos), len(keys))[inv.ravel()]


def component_mask(facilities: pd.DataFrame, key: str) -> np.ndarray:
    """Rows of ``facilities`` that belong to component ``key`` (memberships, not only primary)."""
    return component_matrix(facilities, [key])[:, 0]


COMPONENTS: tuple[Component, ...] = _default_rules().components
COMPONENT_KEYS: tuple[str, ...] = tuple(c.key for c in COMPONENTS)


def rules_markdown(rules: str | Path | Mapping[str, Any] | Rules | None = None) -> str:
    """Return the taxonomy as a Markdown table (the README's component table is generated with this).

    Parameters
    ----------
    rules : path, dict, Rules or None
        The taxonomy (default: the shipped rules).

    Returns
    -------
    str
        One row per component: key, Dutch and English label, and its OSM tag rules
        (secondary rules in italics); then the file's changelog, if any.
    """
    r = load_rules(rules)

    def cond(m: Mapping[str, tuple[str, ...]], sep: str = " + ") -> str:
        return sep.join(f"`{k}={'/'.join(v)}`" for k, v in m.items())

    lines = [
        f"Rules version {r.version}. Excluded everywhere: "
        + ", ".join(f"`{k}={'/'.join(v)}`" for k, v in r.exclude.items())
        + ".",
        "",
        "| # | key | nl | en | OSM tags (*italic*: secondary membership) |",
        "|---|---|---|---|---|",
    ]
    for i, c in enumerate(r.components, start=1):
        parts = []
        for rule in r.rules:
            if rule.component != c.key:
                continue
            txt = cond(rule.tags)
            if rule.where:
                txt += " with " + cond(rule.where)
            if rule.unless:
                txt += " unless " + cond(rule.unless, " or ")
            if rule.match:
                txt += " where " + " + ".join(
                    f"`{k}` ~ `{v}`".replace("|", "\\|") for k, v in rule.match.items()
                )
            parts.append(f"*{txt}*" if rule.secondary else txt)
        lines.append(f"| {i} | `{c.key}` | {c.label_nl} | {c.label_en} | {'; '.join(parts)} |")
    if r.changelog:
        lines += ["", "| rules version | changes |", "|---|---|"]
        lines += [f"| {v} | {'<br>'.join(changes)} |" for v, changes in r.changelog]
    return "\n".join(lines) + "\n"
