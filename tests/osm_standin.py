"""A local stand-in for the Overpass and Nominatim APIs that answers from a real OSM extract.

Tests use it to exercise infra_geo's online path (osmnx -> HTTP -> JSON -> osmnx parsing ->
infra_geo) for real, without internet access and without mock objects: every answer is
computed from the OpenStreetMap data in an extract, the way the public servers compute
theirs from the planet.

The extract is loaded with pyosmium directly (not with infra_geo's reader), so the server
stays an independent source of truth.

Example (as tests/test_online.py uses it)::

    from osm_standin import OSMStandIn
    with OSMStandIn("liechtenstein.osm.pbf") as server:
        with server.infra_geo_settings():
            fac = ig.facilities_from_place("Vaduz, Liechtenstein")
        assert server.counts["interpreter"] > 0

Endpoints (any path prefix is accepted, so ``/api/interpreter`` and ``/interpreter`` both work)

``POST|GET .../interpreter`` (form field or query parameter ``data``)
    Overpass QL, the subset osmnx 2 sends and a little more:

    * settings ``[out:json][timeout:N][maxsize:N];`` (only ``out:json``; JSON is also the
      default here, unlike the real server's XML);
    * block statements ``( ... );`` (union), optional ``->.name``;
    * queries ``node``, ``way``, ``relation`` / ``rel``, ``nwr``, optionally on an input set
      (``way.a[...]``), with tag filters ``["k"]``, ``[!"k"]``, ``["k"="v"]``,
      ``["k"!="v"]``, ``["k"~"re"]``, ``["k"!~"re"]`` (``,i`` for case-insensitive
      regexes), spatial filters ``(poly:"lat lon lat lon ...")`` and ``(south,west,north,
      east)``, id filters ``(123)`` and ``(id:1,2,3)``; keys and values in double or single
      quotes (osmnx uses Python ``repr``, i.e. single quotes) or bare;
    * set statements ``._;`` / ``.name;``, recursion ``>;`` and ``>>;``;
    * ``out`` with verbosity ``ids``, ``skel``, ``body`` (default), ``tags``, ``meta``
      (treated as ``body``: the stand-in keeps no metadata) and order ``asc`` / ``qt``
      (both answered in id order).

    Semantics follow Overpass: a tag regex matches anywhere in the value (Python ``re``
    search instead of POSIX ERE), ``!=`` and ``!~`` pass when the key is absent, ``>``
    returns the nodes of the input ways and the node and way members of the input relations
    plus those ways' nodes (the input itself is not included), ``>>`` recurses fully.

    "In polygon" (and in bbox) is decided as follows: a node is inside when its location
    lies in the polygon or on its boundary; a way when its line (any node or any segment)
    intersects the polygon, which is what Overpass does (so a closed way that encloses the
    whole query polygon without a vertex or segment in it is *not* found, as on the real
    server); a relation when any of its member nodes or member ways is inside by these rules
    (member relations are not descended into). Elements an extract lacks (members outside a
    clipped file) are neither matched nor output, and a way with a node missing from the file
    is treated as absent (Overpass never hands out a way without its nodes), so serve
    complete extracts (Geofabrik style, "complete ways") for results that match the real
    server's.

    An unparseable or unsupported query gets HTTP 400 with a plain-text explanation, as the
    real server does.

``GET .../status``
    The real server's text format; osmnx reads its fifth line ("N slots available now.").

``GET .../search`` (Nominatim)
    Free-form ``q=`` or structured ``city=``/``county=``/``state=``/``country=`` queries,
    ``format=json|jsonv2``, ``polygon_geojson=0|1``, ``limit``. Answers from the extract's
    relations tagged ``boundary=administrative`` whose name (``name``, ``name:*``,
    ``official_name``, ``alt_name``, ``short_name``; case-insensitive) equals the first
    comma-separated part of ``q`` (the most specific structured field). Further parts
    ("Vaduz, Liechtenstein") must name an administrative area of the extract that contains
    the match; parts naming nothing in the extract are ignored. The polygon is assembled
    from the relation's ``outer`` / ``inner`` member ways with shapely; relations whose
    members reach outside the extract cannot be assembled and are not returned. No match
    gives ``[]``, as Nominatim does.

``GET .../lookup?osm_ids=R123,...`` (Nominatim)
    The same items by relation id.

``[maxsize:N]`` is honoured the way Overpass does: when the answer would be larger than N
bytes, the server answers HTTP 200 with no elements and a ``"remark": "runtime error: Query
run out of memory ..."``. :meth:`OSMStandIn.inject_failure` makes an endpoint answer its next
requests with an HTTP error (a blocked client, an overloaded server).

Every request is counted in :attr:`OSMStandIn.counts` by endpoint (``"interpreter"``,
``"status"``, ``"search"``, ``"lookup"``, ``"bad_request"``, ``"not_found"``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.polygon import orient

__all__ = ["OSMExtract", "OSMStandIn", "OverpassQueryError", "load_extract"]

TYPES = ("node", "way", "relation")
_MEMBER_TYPE = {"n": "node", "w": "way", "r": "relation"}


# --------------------------------------------------------------------------- the extract


@dataclass
class OSMExtract:
    """Every node, way and relation of an OSM file, as plain Python data.

    Attributes
    ----------
    node_ids : ndarray of int64
        Node ids, in file order; ``node_lon`` / ``node_lat`` hold their coordinates.
    node_pos : dict
        Node id -> position in the arrays.
    node_tags : dict
        Node id -> tags, for tagged nodes only.
    way_nodes : dict
        Way id -> tuple of node ids (as in the file, including refs to absent nodes).
    way_tags : dict
        Way id -> tags (possibly empty).
    rel_members : dict
        Relation id -> list of ``(type, ref, role)`` with type ``"node"|"way"|"relation"``.
    rel_tags : dict
        Relation id -> tags.
    key_index : dict
        Element type -> tag key -> ids of the elements carrying that key.
    incomplete_ways : int
        Ways left out because some of their nodes are not in the file.
    timestamp : str
        The newest element timestamp (Overpass ``timestamp_osm_base``).
    """

    path: str
    node_ids: np.ndarray
    node_lon: np.ndarray
    node_lat: np.ndarray
    node_pos: dict[int, int]
    node_tags: dict[int, dict[str, str]]
    way_nodes: dict[int, tuple[int, ...]]
    way_tags: dict[int, dict[str, str]]
    rel_members: dict[int, list[tuple[str, int, str]]]
    rel_tags: dict[int, dict[str, str]]
    key_index: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    incomplete_ways: int = 0
    timestamp: str = ""

    def tags(self, kind: str, oid: int) -> dict[str, str]:
        """The tags of element ``kind``/``oid`` (empty when untagged or absent)."""
        if kind == "node":
            return self.node_tags.get(oid, {})
        if kind == "way":
            return self.way_tags.get(oid, {})
        return self.rel_tags.get(oid, {})

    def exists(self, kind: str, oid: int) -> bool:
        """Whether the extract holds element ``kind``/``oid``."""
        if kind == "node":
            return oid in self.node_pos
        if kind == "way":
            return oid in self.way_nodes
        return oid in self.rel_members

    def all_ids(self, kind: str) -> list[int]:
        """Every id of one element type."""
        if kind == "node":
            return self.node_ids.tolist()
        if kind == "way":
            return list(self.way_nodes)
        return list(self.rel_members)

    def way_line(self, way_id: int) -> shapely.Geometry | None:
        """The way as a LineString (a Point for a one-node way) over its present nodes."""
        pos = [self.node_pos[n] for n in self.way_nodes[way_id] if n in self.node_pos]
        if not pos:
            return None
        xy = np.column_stack([self.node_lon[pos], self.node_lat[pos]])
        if len(xy) == 1:
            return shapely.points(xy[0])
        return shapely.linestrings(xy)


@lru_cache(maxsize=4)
def load_extract(path: str) -> OSMExtract:
    """Read an ``.osm``/``.osm.pbf``/... file with pyosmium into an :class:`OSMExtract`.

    Cached per path, so several servers over one file share the data.
    """
    import osmium

    ids: list[int] = []
    lon: list[float] = []
    lat: list[float] = []
    node_tags: dict[int, dict[str, str]] = {}
    way_nodes: dict[int, tuple[int, ...]] = {}
    way_tags: dict[int, dict[str, str]] = {}
    rel_members: dict[int, list[tuple[str, int, str]]] = {}
    rel_tags: dict[int, dict[str, str]] = {}
    index: dict[str, dict[str, list[int]]] = {k: {} for k in TYPES}
    newest = 0
    for o in osmium.FileProcessor(str(path)):
        tags = dict(o.tags)
        ts = o.timestamp
        if ts is not None:
            with contextlib.suppress(ValueError, OverflowError, OSError):
                newest = max(newest, int(ts.timestamp()))
        if o.is_node():
            loc = o.location
            if not loc.valid():
                continue
            ids.append(o.id)
            lon.append(loc.lon)
            lat.append(loc.lat)
            if tags:
                node_tags[o.id] = tags
            kind = "node"
        elif o.is_way():
            way_nodes[o.id] = tuple(n.ref for n in o.nodes)
            way_tags[o.id] = tags
            kind = "way"
        elif o.is_relation():
            rel_members[o.id] = [(_MEMBER_TYPE[m.type], m.ref, m.role) for m in o.members]
            rel_tags[o.id] = tags
            kind = "relation"
        else:  # pragma: no cover - changesets
            continue
        for k in tags:
            index[kind].setdefault(k, []).append(o.id)
    # a way whose nodes are not all in the file (a clipped extract) cannot be served as
    # Overpass would serve it: treat it as absent rather than hand out dangling node refs
    pos = {int(n): i for i, n in enumerate(ids)}
    incomplete = {w for w, refs in way_nodes.items() if any(n not in pos for n in refs)}
    for w in incomplete:
        del way_nodes[w]
        for k in way_tags.pop(w):
            index["way"][k].remove(w)
    node_ids = np.asarray(ids, dtype=np.int64)
    stamp = dt.datetime.fromtimestamp(newest, tz=dt.timezone.utc) if newest else None
    return OSMExtract(
        path=str(path),
        node_ids=node_ids,
        node_lon=np.asarray(lon, dtype=np.float64),
        node_lat=np.asarray(lat, dtype=np.float64),
        node_pos=pos,
        node_tags=node_tags,
        way_nodes=way_nodes,
        way_tags=way_tags,
        rel_members=rel_members,
        rel_tags=rel_tags,
        key_index=index,
        incomplete_ways=len(incomplete),
        timestamp=stamp.strftime("%Y-%m-%dT%H:%M:%SZ") if stamp else "",
    )


# --------------------------------------------------------------------------- Overpass QL


class OverpassQueryError(ValueError):
    """The query cannot be parsed or uses a feature the stand-in does not support."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
    |(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<num>-?\d+(?:\.\d+)?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>->|!~|!=|>>|<<|[()\[\];:.,~=!<>])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "'": "'", "\\": "\\"}


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), s[1:-1])


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise OverpassQueryError(
                f"line {text.count(chr(10), 0, pos) + 1}: parse error: unexpected character "
                f"{text[pos]!r} at offset {pos}"
            )
        kind = m.lastgroup or ""
        if kind != "ws":
            val = _unquote(m.group()) if kind == "str" else m.group()
            out.append((kind, val, pos))
        pos = m.end()
    return out


@dataclass
class _TagFilter:
    key: str
    op: str | None  # None (exists), "!" (absent), "=", "!=", "~", "!~"
    value: str = ""
    regex: re.Pattern[str] | None = None

    def passes(self, tags: dict[str, str]) -> bool:
        v = tags.get(self.key)
        if self.op is None:
            return v is not None
        if self.op == "!":
            return v is None
        if self.op == "=":
            return v == self.value
        if self.op == "!=":
            return v != self.value
        assert self.regex is not None
        hit = v is not None and self.regex.search(v) is not None
        return hit if self.op == "~" else not hit


@dataclass
class _Query:
    kinds: tuple[str, ...]
    input: str | None
    tag_filters: list[_TagFilter]
    areas: list[tuple[str, Any]]  # ("poly", polygon) or ("bbox", polygon)
    ids: list[int] | None
    into: str


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0

    # helpers
    def peek(self, k: int = 0) -> tuple[str, str, int] | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, value: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t[0] in ("op", "ident") and t[1] == value

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        t = self.peek()
        if t is None:
            raise OverpassQueryError(
                f"parse error: unexpected end of query, expected {value or kind}"
            )
        if (value is not None and (t[1] != value or t[0] == "str")) or (
            kind is not None and t[0] != kind
        ):
            raise OverpassQueryError(
                f"parse error at offset {t[2]}: expected {value or kind!r}, found {t[1][:40]!r}"
            )
        self.i += 1
        return t[1]

    def word(self) -> str:
        """A key or value: quoted string, bare identifier or number."""
        t = self.peek()
        if t is None or t[0] not in ("str", "ident", "num"):
            raise OverpassQueryError(
                f"parse error: expected a key or value, found {t[1][:40] if t else 'end'!r}"
            )
        self.i += 1
        return t[1]

    def setname(self) -> str:
        self.take(".")
        t = self.peek()
        if t is None or t[0] != "ident":
            raise OverpassQueryError("parse error: expected a set name after '.'")
        self.i += 1
        return t[1]

    def into(self) -> str:
        if self.at("->"):
            self.take("->")
            return self.setname()
        return "_"

    # grammar
    def program(self) -> tuple[dict[str, str], list[Any]]:
        settings: dict[str, str] = {}
        if self.at("["):
            while self.at("["):
                self.take("[")
                name = self.take(kind="ident")
                self.take(":")
                settings[name] = self.word()
                self.take("]")
            self.take(";")
        stmts = []
        while self.peek() is not None:
            stmts.append(self.statement())
        if not stmts:
            raise OverpassQueryError("parse error: the query holds no statement")
        return settings, stmts

    def statement(self) -> Any:
        t = self.peek()
        assert t is not None
        if self.at("("):
            self.take("(")
            subs = []
            while not self.at(")"):
                if self.peek() is None:
                    raise OverpassQueryError("parse error: unclosed '(' block")
                subs.append(self.statement())
            self.take(")")
            into = self.into()
            self.take(";")
            return ("union", subs, into)
        if self.at(">") or self.at(">>") or self.at("<") or self.at("<<"):
            op = self.take()
            if op in ("<", "<<"):
                raise OverpassQueryError(f"the stand-in does not support recurse-up {op!r}")
            into = self.into()
            self.take(";")
            return ("recurse", op, "_", into)
        if self.at("."):
            name = self.setname()
            if self.at(">") or self.at(">>"):
                op = self.take()
                into = self.into()
                self.take(";")
                return ("recurse", op, name, into)
            if self.at("out"):
                return self.out(name)
            into = self.into()
            self.take(";")
            return ("set", name, into)
        if self.at("out"):
            return self.out("_")
        if t[0] == "ident" and t[1] in ("node", "way", "relation", "rel", "nwr", "nw", "wr", "nr"):
            return self.query()
        raise OverpassQueryError(f"parse error at offset {t[2]}: unknown statement {t[1][:40]!r}")

    def out(self, name: str) -> Any:
        self.take("out")
        verbosity = "body"
        while not self.at(";"):
            t = self.peek()
            if t is None:
                raise OverpassQueryError("parse error: 'out' not closed with ';'")
            word = self.word()
            if word in ("ids", "skel", "body", "tags", "meta"):
                verbosity = word
            elif word in ("asc", "qt"):
                pass
            elif word.isdigit():
                raise OverpassQueryError("the stand-in does not support an 'out' limit")
            else:
                raise OverpassQueryError(f"the stand-in does not support 'out {word}'")
        self.take(";")
        return ("out", name, verbosity)

    def query(self) -> _Query:
        head = self.take(kind="ident")
        kinds = {
            "node": ("node",),
            "way": ("way",),
            "relation": ("relation",),
            "rel": ("relation",),
            "nwr": TYPES,
            "nw": ("node", "way"),
            "wr": ("way", "relation"),
            "nr": ("node", "relation"),
        }[head]
        inp = self.setname() if self.at(".") else None
        tag_filters: list[_TagFilter] = []
        areas: list[tuple[str, Any]] = []
        ids: list[int] | None = None
        while self.at("[") or self.at("("):
            if self.at("["):
                tag_filters.append(self.tag_filter())
            else:
                self.take("(")
                t = self.peek()
                if t is None:
                    raise OverpassQueryError("parse error: unclosed '('")
                if t[0] == "ident" and t[1] == "poly":
                    self.take("poly")
                    self.take(":")
                    s = self.take(kind="str")
                    areas.append(("poly", _parse_poly(s)))
                elif t[0] == "ident" and t[1] == "id":
                    self.take("id")
                    self.take(":")
                    got = [int(self.take(kind="num"))]
                    while self.at(","):
                        self.take(",")
                        got.append(int(self.take(kind="num")))
                    ids = got if ids is None else [i for i in ids if i in got]
                elif t[0] == "num":
                    nums = [float(self.take(kind="num"))]
                    while self.at(","):
                        self.take(",")
                        nums.append(float(self.take(kind="num")))
                    if len(nums) == 1:
                        ids = [int(nums[0])] if ids is None else [i for i in ids if i == nums[0]]
                    elif len(nums) == 4:
                        s, w, n, e = nums
                        if not (s <= n and -90 <= s and n <= 90):
                            raise OverpassQueryError(f"invalid bbox {nums}")
                        areas.append(("bbox", shapely.box(w, s, e, n)))
                    else:
                        raise OverpassQueryError(f"parse error: bad filter ({nums})")
                else:
                    raise OverpassQueryError(
                        f"the stand-in does not support the filter '({t[1][:40]}...'"
                    )
                self.take(")")
        into = self.into()
        self.take(";")
        return _Query(kinds, inp, tag_filters, areas, ids, into)

    def tag_filter(self) -> _TagFilter:
        self.take("[")
        negate = False
        if self.at("!"):
            self.take("!")
            negate = True
        if self.at("~"):
            raise OverpassQueryError("the stand-in does not support regex keys [~\"k\"~\"v\"]")
        key = self.word()
        if negate:
            self.take("]")
            return _TagFilter(key, "!")
        if self.at("]"):
            self.take("]")
            return _TagFilter(key, None)
        op = self.take(kind="op")
        if op not in ("=", "!=", "~", "!~"):
            raise OverpassQueryError(f"parse error: unknown tag operator {op!r}")
        value = self.word()
        flags = 0
        if self.at(","):
            self.take(",")
            if self.take(kind="ident") != "i":
                raise OverpassQueryError("parse error: only the ',i' regex flag exists")
            flags = re.IGNORECASE
        self.take("]")
        rx = None
        if op in ("~", "!~"):
            try:
                rx = re.compile(value, flags)
            except re.error as exc:
                raise OverpassQueryError(f"invalid regular expression {value!r}: {exc}") from None
        return _TagFilter(key, op, value, rx)


def _atoi(text: str) -> int:
    m = re.match(r"\s*[+-]?\d+", text)
    return int(m.group()) if m else 0


@lru_cache(maxsize=64)
def _parse_poly(s: str) -> shapely.Geometry:
    parts = s.split()
    if len(parts) < 6 or len(parts) % 2:
        raise OverpassQueryError(
            "poly: needs an even number of at least 6 numbers 'lat lon lat lon ...'"
        )
    try:
        vals = np.asarray([float(p) for p in parts]).reshape(-1, 2)
    except ValueError:
        raise OverpassQueryError(f"poly: not numbers: {s[:60]!r}") from None
    poly = shapely.polygons(vals[:, ::-1])
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
    shapely.prepare(poly)
    return poly


class _Set:
    __slots__ = ("ids",)

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = {k: set() for k in TYPES}

    def update(self, other: _Set) -> None:
        for k in TYPES:
            self.ids[k] |= other.ids[k]


class _Spatial:
    """Cached "is inside" tests of one query polygon."""

    def __init__(self, data: OSMExtract, poly: shapely.Geometry) -> None:
        self.data = data
        self.poly = poly
        shapely.prepare(poly)
        self.node_in = shapely.intersects_xy(poly, data.node_lon, data.node_lat)
        self.way_cache: dict[int, bool] = {}

    def node(self, oid: int) -> bool:
        i = self.data.node_pos.get(oid)
        return i is not None and bool(self.node_in[i])

    def way(self, oid: int) -> bool:
        hit = self.way_cache.get(oid)
        if hit is None:
            refs = self.data.way_nodes.get(oid)
            if refs is None:
                hit = False
            elif any(self.node(n) for n in refs):
                hit = True
            else:
                line = self.data.way_line(oid)
                hit = line is not None and bool(shapely.intersects(self.poly, line))
            self.way_cache[oid] = hit
        return hit

    def relation(self, oid: int) -> bool:
        for kind, ref, _role in self.data.rel_members.get(oid, ()):
            if (kind == "node" and self.node(ref)) or (kind == "way" and self.way(ref)):
                return True
        return False

    def test(self, kind: str, oid: int) -> bool:
        return getattr(self, kind)(oid)


class OverpassInterpreter:
    """Evaluates Overpass QL (see the module docstring) against an :class:`OSMExtract`."""

    def __init__(self, data: OSMExtract) -> None:
        self.data = data
        self._spatial: dict[int, _Spatial] = {}
        self._lock = threading.Lock()

    def run(self, query: str) -> dict[str, Any]:
        """Parse and evaluate ``query``; the Overpass JSON answer as a dict.

        Raises
        ------
        OverpassQueryError
            The query is malformed or uses an unsupported feature.
        """
        settings, stmts = _Parser(query).program()
        fmt = settings.get("out", "json")
        if fmt != "json":
            raise OverpassQueryError(f"the stand-in answers [out:json] only, not [out:{fmt}]")
        for name, attr in (("timeout", "timeout"), ("maxsize", "element-limit")):
            # the server reads these with atoi(): "180" and "180.0" pass, "0.5" does not
            if name in settings and _atoi(settings[name]) <= 0:
                raise OverpassQueryError(
                    f'For the attribute "{attr}" of the element "osm-script" the only allowed '
                    "values are positive integers."
                )
        with self._lock:
            sets: dict[str, _Set] = {"_": _Set()}
            elements: list[dict[str, Any]] = []
            for st in stmts:
                self._exec(st, sets, elements)
        answer: dict[str, Any] = {
            "version": 0.6,
            "generator": "infra_geo stand-in",
            "osm3s": {
                "timestamp_osm_base": self.data.timestamp,
                "copyright": (
                    "The data included in this document is from www.openstreetmap.org. "
                    "The data is made available under ODbL."
                ),
            },
            "elements": elements,
        }
        if "maxsize" in settings:
            # like the real server: a result larger than [maxsize:] is a runtime error,
            # reported in a "remark" of an HTTP 200 answer (with what was output so far)
            used = len(json.dumps(elements))
            if used > _atoi(settings["maxsize"]):
                answer["elements"] = []
                answer["remark"] = (
                    f"runtime error: Query run out of memory using about {used // 2**20 + 1} "
                    "MB of RAM."
                )
        return answer

    def _spatial_for(self, poly: shapely.Geometry) -> _Spatial:
        key = id(poly)
        sp = self._spatial.get(key)
        if sp is None or sp.poly is not poly:
            if len(self._spatial) > 32:
                self._spatial.clear()
            sp = self._spatial[key] = _Spatial(self.data, poly)
        return sp

    def _exec(self, st: Any, sets: dict[str, _Set], elements: list[dict[str, Any]]) -> _Set | None:
        if isinstance(st, _Query):
            res = self._query(st, sets)
            sets[st.into] = res
            return res
        tag = st[0]
        if tag == "union":
            res = _Set()
            for sub in st[1]:
                got = self._exec(sub, sets, elements)
                if got is not None:
                    res.update(got)
            sets[st[2]] = res
            return res
        if tag == "set":
            res = _Set()
            res.update(self._get(sets, st[1]))
            sets[st[2]] = res
            return res
        if tag == "recurse":
            res = self._recurse(self._get(sets, st[2]), full=st[1] == ">>")
            sets[st[3]] = res
            return res
        if tag == "out":
            elements.extend(self._out(self._get(sets, st[1]), st[2]))
            return None
        raise AssertionError(st)  # pragma: no cover

    @staticmethod
    def _get(sets: dict[str, _Set], name: str) -> _Set:
        return sets.get(name) or _Set()

    def _query(self, q: _Query, sets: dict[str, _Set]) -> _Set:
        d = self.data
        res = _Set()
        spatial = [self._spatial_for(poly) for _kind, poly in q.areas]
        for kind in q.kinds:
            if q.input is not None:
                cand: Any = self._get(sets, q.input).ids[kind]
            elif q.ids is not None:
                cand = [i for i in q.ids if d.exists(kind, i)]
            else:
                cand = None
                for f in q.tag_filters:
                    if f.op in (None, "=", "~"):
                        got = d.key_index[kind].get(f.key, [])
                        if cand is None or len(got) < len(cand):
                            cand = got
                if cand is None:
                    cand = d.all_ids(kind)
            if q.ids is not None and q.input is not None:
                cand = [i for i in cand if i in q.ids]
            out = res.ids[kind]
            for oid in cand:
                tags = d.tags(kind, oid)
                if all(f.passes(tags) for f in q.tag_filters) and all(
                    sp.test(kind, oid) for sp in spatial
                ):
                    out.add(oid)
        return res

    def _recurse(self, src: _Set, full: bool) -> _Set:
        d = self.data
        res = _Set()
        rels = set(src.ids["relation"])
        seen_rels: set[int] = set()
        ways = set(src.ids["way"])
        while rels:
            rid = rels.pop()
            seen_rels.add(rid)
            for kind, ref, _role in d.rel_members.get(rid, ()):
                if not d.exists(kind, ref):
                    continue
                if kind == "node":
                    res.ids["node"].add(ref)
                elif kind == "way":
                    res.ids["way"].add(ref)
                elif full:
                    res.ids["relation"].add(ref)
                    if ref not in seen_rels:
                        rels.add(ref)
        for wid in ways | res.ids["way"]:
            for n in d.way_nodes.get(wid, ()):
                if n in d.node_pos:
                    res.ids["node"].add(n)
        return res

    def _out(self, s: _Set, verbosity: str) -> list[dict[str, Any]]:
        d = self.data
        out: list[dict[str, Any]] = []
        for oid in sorted(s.ids["node"]):
            e: dict[str, Any] = {"type": "node", "id": oid}
            if verbosity not in ("ids", "tags"):
                i = d.node_pos[oid]
                e["lat"] = round(float(d.node_lat[i]), 7)
                e["lon"] = round(float(d.node_lon[i]), 7)
            if verbosity not in ("ids", "skel") and oid in d.node_tags:
                e["tags"] = dict(d.node_tags[oid])
            out.append(e)
        for oid in sorted(s.ids["way"]):
            e = {"type": "way", "id": oid}
            if verbosity not in ("ids", "tags"):
                e["nodes"] = list(d.way_nodes[oid])
            if verbosity not in ("ids", "skel") and d.way_tags[oid]:
                e["tags"] = dict(d.way_tags[oid])
            out.append(e)
        for oid in sorted(s.ids["relation"]):
            e = {"type": "relation", "id": oid}
            if verbosity not in ("ids", "tags"):
                e["members"] = [
                    {"type": k, "ref": r, "role": role} for k, r, role in d.rel_members[oid]
                ]
            if verbosity not in ("ids", "skel") and d.rel_tags[oid]:
                e["tags"] = dict(d.rel_tags[oid])
            out.append(e)
        return out


# --------------------------------------------------------------------------- Nominatim

_NAME_KEYS = re.compile(r"^(name|name:.+|official_name|alt_name|short_name|loc_name)$")
_ADDRESSTYPE = {2: "country", 4: "state", 6: "county", 8: "city", 9: "city_district", 10: "suburb"}


@dataclass
class _Boundary:
    rel_id: int
    tags: dict[str, str]
    admin_level: int
    names: set[str]
    geometry: shapely.Geometry


def _admin_level(tags: dict[str, str]) -> int:
    try:
        return int(tags.get("admin_level", "99"))
    except ValueError:
        return 99


def build_relation_polygon(data: OSMExtract, rel_id: int) -> shapely.Geometry | None:
    """A relation's (Multi)Polygon from its outer and inner member ways, or ``None``.

    ``None`` when a member way or node is missing from the extract, or the rings do not
    close. Members with an empty role count as outer (old-style tagging).
    """
    outer, inner = [], []
    for kind, ref, role in data.rel_members.get(rel_id, ()):
        if kind != "way" or role not in ("outer", "inner", ""):
            continue
        refs = data.way_nodes.get(ref)
        if refs is None or any(n not in data.node_pos for n in refs):
            return None
        line = data.way_line(ref)
        if line is None or line.geom_type != "LineString":
            return None
        (inner if role == "inner" else outer).append(line)
    if not outer:
        return None
    shells = list(shapely.polygonize(outer).geoms)
    holes = list(shapely.polygonize(inner).geoms) if inner else []
    if not shells:
        return None
    # rings polygonize into faces; an island in a hole shows up as a shell inside a hole
    geom = shapely.union_all(shells)
    if holes:
        geom = geom.difference(shapely.union_all(holes))
        # islands (outer rings inside inner rings) come back
        islands = [s for s in shells if any(h.contains(s) for h in holes)]
        if islands:
            geom = shapely.union_all([geom, *islands])
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    return geom


class NominatimIndex:
    """The administrative boundaries of an extract, searchable by name."""

    def __init__(self, data: OSMExtract) -> None:
        self.data = data
        self.boundaries: list[_Boundary] = []
        for rid, tags in data.rel_tags.items():
            if tags.get("boundary") != "administrative" or "name" not in tags:
                continue
            geom = build_relation_polygon(data, rid)
            if geom is None:
                continue
            names = {v.casefold().strip() for k, v in tags.items() if _NAME_KEYS.match(k)}
            self.boundaries.append(_Boundary(rid, tags, _admin_level(tags), names, geom))
        self.by_id = {b.rel_id: b for b in self.boundaries}

    def _named(self, name: str) -> list[_Boundary]:
        key = name.casefold().strip()
        return [b for b in self.boundaries if key in b.names]

    def _parents(self, b: _Boundary) -> list[_Boundary]:
        pt = b.geometry.representative_point()
        return sorted(
            (
                o
                for o in self.boundaries
                if o is not b and o.admin_level < b.admin_level and o.geometry.covers(pt)
            ),
            key=lambda o: -o.admin_level,
        )

    def search(self, parts: list[str]) -> list[_Boundary]:
        """Boundaries named ``parts[0]`` inside areas named by the other parts."""
        parts = [p.strip() for p in parts if p.strip()]
        if not parts:
            return []
        found = self._named(parts[0])
        for extra in parts[1:]:
            if not self._named(extra):
                continue  # names nothing in the extract (e.g. a country not in the file)
            key = extra.casefold()
            found = [b for b in found if any(key in p.names for p in self._parents(b))]
        return sorted(found, key=lambda b: (b.admin_level, b.rel_id))

    def item(self, b: _Boundary, polygon_geojson: bool, jsonv2: bool) -> dict[str, Any]:
        """One Nominatim result item for boundary ``b``."""
        w, s, e, n = b.geometry.bounds
        pt = b.geometry.representative_point()
        parents = self._parents(b)
        display = ", ".join([b.tags["name"], *(p.tags["name"] for p in parents)])
        level = b.admin_level
        item: dict[str, Any] = {
            "place_id": 100_000_000 + b.rel_id,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
            "osm_type": "relation",
            "osm_id": b.rel_id,
            "lat": f"{pt.y:.7f}",
            "lon": f"{pt.x:.7f}",
            ("category" if jsonv2 else "class"): "boundary",
            "type": "administrative",
            "place_rank": min(2 * level, 30),
            "importance": round(max(0.05, 0.9 - 0.05 * level), 6),
            "addresstype": _ADDRESSTYPE.get(level, "administrative"),
            "name": b.tags["name"],
            "display_name": display,
            "boundingbox": [f"{s:.7f}", f"{n:.7f}", f"{w:.7f}", f"{e:.7f}"],
        }
        if polygon_geojson:
            g = b.geometry
            if g.geom_type == "Polygon":
                g = orient(g)
            else:
                g = shapely.MultiPolygon([orient(p) for p in g.geoms])
            item["geojson"] = mapping(g)
        return item


# --------------------------------------------------------------------------- HTTP server


class _Handler(BaseHTTPRequestHandler):
    server_version = "infra_geo-standin/1.0"
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        pass  # keep pytest output clean

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj: Any) -> None:
        self._send(200, json.dumps(obj).encode(), "application/json")

    def _text(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8")

    def do_GET(self) -> None:
        u = urlsplit(self.path)
        self._dispatch(u.path, parse_qs(u.query, keep_blank_values=True), None)

    def do_POST(self) -> None:
        u = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        params = parse_qs(u.query, keep_blank_values=True)
        ctype = self.headers.get("Content-Type", "")
        if "application/x-www-form-urlencoded" in ctype or body.startswith(b"data="):
            params.update(parse_qs(body.decode("utf-8"), keep_blank_values=True))
            raw = None
        else:
            raw = body.decode("utf-8")
        self._dispatch(u.path, params, raw)

    def _dispatch(self, path: str, params: dict[str, list[str]], raw: str | None) -> None:
        srv = self.server.standin
        last = path.rstrip("/").rsplit("/", 1)[-1]
        failure = srv._take_failure(last)
        if failure is not None:
            srv._count(last)
            status, body, ctype = failure
            self._send(status, body.encode(), ctype)
            return
        try:
            if last == "interpreter":
                srv._count("interpreter")
                query = params.get("data", [raw or ""])[0]
                if not query.strip():
                    srv._count("bad_request")
                    self._text(400, "Error: no query given (form field 'data').")
                    return
                srv.queries.append(query)
                try:
                    result = srv.overpass.run(query)
                except OverpassQueryError as exc:
                    srv._count("bad_request")
                    self._text(400, f"Error: {exc}")
                    return
                self._json(result)
            elif last == "status":
                srv._count("status")
                now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                self._text(
                    200,
                    "Connected as: 2130706433\n"
                    f"Current time: {now}\n"
                    "Announced endpoint: none\n"
                    "Rate limit: 2\n"
                    "2 slots available now.\n"
                    "Currently running queries (pid, space limit, time limit, start time):\n",
                )
            elif last in ("search", "lookup"):
                srv._count(last)
                self._nominatim(last, params)
            else:
                srv._count("not_found")
                self._text(404, f"Error: unknown endpoint {path!r}")
        except Exception as exc:
            self._text(500, f"Error: stand-in failed: {type(exc).__name__}: {exc}")

    def _nominatim(self, kind: str, params: dict[str, list[str]]) -> None:
        srv = self.server.standin

        def one(name: str, default: str = "") -> str:
            return params.get(name, [default])[0]

        fmt = one("format", "xml")
        if fmt not in ("json", "jsonv2"):
            srv._count("bad_request")
            self._text(400, f"Error: the stand-in answers format=json|jsonv2 only, not {fmt!r}")
            return
        geo = one("polygon_geojson", "0") not in ("0", "")
        index = srv.nominatim
        if kind == "lookup":
            found = []
            for tok in one("osm_ids").split(","):
                tok = tok.strip()
                if tok[:1].upper() == "R" and tok[1:].isdigit() and int(tok[1:]) in index.by_id:
                    found.append(index.by_id[int(tok[1:])])
        else:
            if one("q"):
                parts = one("q").split(",")
            else:
                fields = ("city", "county", "state", "country")
                parts = [one(f) for f in fields if one(f)]
                for other in ("street", "postalcode", "amenity"):
                    if one(other):
                        parts = []  # no addresses or POIs in this index
            found = index.search(parts)
            try:
                limit = int(one("limit", "10"))
            except ValueError:
                limit = 10
            found = found[: max(1, min(limit, 50))]
        self._json([index.item(b, geo, fmt == "jsonv2") for b in found])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: OSMStandIn


class OSMStandIn:
    """Overpass and Nominatim on ``127.0.0.1``, answering from one OSM extract.

    Parameters
    ----------
    path : str or path-like
        An OSM file pyosmium reads (``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.osm.pbf``).
    host : str
        Interface to bind (loopback by default).
    port : int
        Port; ``0`` picks a free one.

    Attributes
    ----------
    url : str
        ``http://127.0.0.1:PORT`` once started.
    overpass_url : str
        The value for osmnx/infra_geo ``overpass_url`` (osmnx appends ``/interpreter`` and
        ``/status``).
    nominatim_url : str
        The value for ``nominatim_url`` (osmnx appends ``search`` / ``lookup``).
    counts : collections.Counter
        Requests served, by endpoint.
    queries : list of str
        Every Overpass query received, in order.

    Examples
    --------
    A server for one extract::

        with OSMStandIn("liechtenstein.osm.pbf") as server:
            requests.get(server.overpass_url + "/status").text
    """

    def __init__(self, path: str | Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.path = str(path)
        self.host = host
        self.port = port
        self.data = load_extract(str(Path(path).resolve()))
        self.overpass = OverpassInterpreter(self.data)
        self._nominatim: NominatimIndex | None = None
        self.counts: Counter[str] = Counter()
        self.queries: list[str] = []
        self._count_lock = threading.Lock()
        self._failures: dict[str, list[tuple[int, str, str]]] = {}
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def inject_failure(
        self,
        endpoint: str,
        status: int,
        body: str,
        content_type: str = "text/html; charset=utf-8",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests to ``endpoint`` with an error, as real servers do.

        For example ``inject_failure("search", 403, "<html>Access blocked</html>")`` is what
        Nominatim sends a client that breaks its usage policy, and
        ``inject_failure("interpreter", 503, ...)`` an overloaded Overpass instance. (Avoid
        429 and 504: osmnx sleeps 55 s before retrying those.) The requests are counted.
        """
        with self._count_lock:
            self._failures.setdefault(endpoint, []).extend(
                [(status, body, content_type)] * times
            )

    def _take_failure(self, endpoint: str) -> tuple[int, str, str] | None:
        with self._count_lock:
            queue = self._failures.get(endpoint)
            return queue.pop(0) if queue else None

    @property
    def nominatim(self) -> NominatimIndex:
        """The boundary index (built on first use)."""
        if self._nominatim is None:
            self._nominatim = NominatimIndex(self.data)
        return self._nominatim

    def _count(self, what: str) -> None:
        with self._count_lock:
            self.counts[what] += 1

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the stand-in is not running; use start() or a with block")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def overpass_url(self) -> str:
        return self.url + "/api"

    @property
    def nominatim_url(self) -> str:
        return self.url + "/nominatim/"

    def start(self) -> OSMStandIn:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._httpd is None:
            httpd = _Server((self.host, self.port), _Handler)
            httpd.standin = self
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, name="osm-standin", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = None
            self._thread = None

    def __enter__(self) -> OSMStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextlib.contextmanager
    def infra_geo_settings(self, **overrides: Any) -> Iterator[Any]:
        """Point ``infra_geo.settings`` at this server (no cache) for the block, then restore.

        Extra keyword arguments set further settings (e.g. ``requests_timeout=5``).
        Yields the ``infra_geo.settings`` module.
        """
        from infra_geo import settings

        values = {
            "overpass_url": self.overpass_url,
            "nominatim_url": self.nominatim_url,
            "use_cache": False,
            **overrides,
        }
        old = {k: getattr(settings, k) for k in values}
        try:
            for k, v in values.items():
                setattr(settings, k, v)
            yield settings
        finally:
            for k, v in old.items():
                setattr(settings, k, v)
