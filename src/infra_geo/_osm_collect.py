"""What one reading pass over an OSM file collects, object by object, into flat lists.

Owns :class:`_Collector`: per object handed over by libosmium (area, node, highway or ferry
way, feature way, relation) it appends ids, raw fixed-point coordinates, WKB geometries and
(row, key, value) tag triples. :func:`infra_geo._osm_reader._read` drives the pass and builds
the arrays and frames from these lists afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any


def tag_list(o: Any) -> list:
    """Return the tags of ``o`` as a list of ``Tag`` pairs, iterated in libosmium's C layer.

    ``list(o.tags)`` steps through pyosmium's Python ``TagIterator`` once per tag; mapping
    the same ``tags_next`` call over the tag count gives the same tags in the same order
    without a Python frame per tag, and without the ``StopIteration`` that ends an
    iteration (a C++ exception crossing into Python: most of the cost of a short tag list).
    """
    data = getattr(o, "_pyosmium_data", None)
    if data is None or not hasattr(data, "tags_next"):  # another pyosmium layout
        return list(o.tags)
    return list(map(data.tags_next, repeat(data.tags_begin(), data.tags_size())))


def _node_refs(nl: Any, n: int | None = None) -> list[int]:
    """Return the node ids of a way's node list (of ``n`` nodes), fetched by index in the C layer.

    pyosmium's own iteration goes through a generator and ``__getitem__`` per node; here
    ``map`` calls the C ``get`` and reads ``ref`` without a Python frame per node (what is
    left per node is pyosmium building its ``NodeRef``).
    """
    get, data = getattr(nl, "_list", None), getattr(nl, "_pyosmium_data", None)
    if get is None or data is None:  # another pyosmium layout
        return [r.ref for r in nl]
    if n is None:
        n = len(nl)
    return list(map(_REF, map(get.get, repeat(data, n), range(n))))


def _triples() -> dict[str, tuple[list[int], list[str], list[str]]]:
    return {k: ([], [], []) for k in ("node", "line", "area")}


def _add_tags(target: tuple[list[int], list[str], list[str]], row: int, tags: list) -> None:
    target[0].extend([row] * len(tags))
    target[1].extend(map(_KEY, tags))
    target[2].extend(map(_VALUE, tags))


#: key and value of a pyosmium ``Tag`` (a named pair), fetched in C
_KEY, _VALUE = itemgetter(0), itemgetter(1)
#: the node id of a pyosmium ``NodeRef``
_REF = attrgetter("ref")


@dataclass
class _Collector:
    """The flat lists of one pass: features and highway / ferry ways.

    Features are nodes, open ways and areas, each with its tags as flat triples; highway and
    ferry ways keep every node, valid or not (split into runs later).
    """

    node_id: list[int] = field(default_factory=list)
    node_xy: list[int] = field(default_factory=list)
    line_id: list[int] = field(default_factory=list)
    line_wkb: list[str] = field(default_factory=list)
    area_kind: list[str] = field(default_factory=list)
    area_id: list[int] = field(default_factory=list)
    area_wkb: list = field(default_factory=list)
    ftags: dict[str, tuple[list[int], list[str], list[str]]] = field(default_factory=_triples)
    n_lines_incomplete: int = 0
    closed_ways: set[int] = field(default_factory=set)
    closed_complete: set[int] = field(default_factory=set)  # closed ways with every node
    rel_candidates: set[int] = field(default_factory=set)
    area_ways: set[int] = field(default_factory=set)
    area_rels: set[int] = field(default_factory=set)
    building_rels: list[tuple[int, dict, list[tuple[str, int, str]]]] = field(default_factory=list)
    hw_id: list[int] = field(default_factory=list)
    hw_len: list[int] = field(default_factory=list)
    hw_ref: list[int] = field(default_factory=list)
    hw_wkb: list[str | None] = field(default_factory=list)
    hw_cut: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    hw_rows: list[int] = field(default_factory=list)
    hw_keys: list[str] = field(default_factory=list)
    hw_vals: list[str] = field(default_factory=list)

    def area(self, o: Any, tags: list, wkb: Any) -> None:
        """Return an assembled area (from a closed way or a multipolygon relation)."""
        try:
            geom = wkb.create_multipolygon(o)
        except RuntimeError:
            return
        oid = o.orig_id()
        if o.from_way():
            self.area_ways.add(oid)
            self.area_kind.append("way")
        else:
            self.area_rels.add(oid)
            self.area_kind.append("relation")
        _add_tags(self.ftags["area"], len(self.area_id), tags)
        self.area_id.append(oid)
        self.area_wkb.append(geom)

    def node(self, o: Any, tags: list) -> None:
        """Return a tagged node with a valid location."""
        loc = o.location
        if loc.valid():
            _add_tags(self.ftags["node"], len(self.node_id), tags)
            self.node_id.append(o.id)
            self.node_xy.append(loc.x)
            self.node_xy.append(loc.y)

    def highway(
        self, o: Any, tags: list, wkb: Any, invalid: tuple[type[BaseException], ...]
    ) -> None:
        """Collect a highway or ferry way: its tags, node refs and line.

        ``invalid``: the exceptions libosmium raises for a way with a missing node.
        """
        import osmium

        nl = o.nodes
        n_nodes = len(nl)
        self.hw_rows.extend([len(self.hw_id)] * len(tags))
        self.hw_keys.extend(map(_KEY, tags))
        self.hw_vals.extend(map(_VALUE, tags))
        self.hw_id.append(o.id)
        self.hw_len.append(n_nodes)
        self.hw_ref.extend(_node_refs(nl, n_nodes))
        # the coordinates as a WKB line from libosmium; node by node only for a
        # way cut by the extract (a node missing) or of one node
        try:
            self.hw_wkb.append(wkb.create_linestring(o, osmium.geom.ALL))
        except invalid:
            self.hw_wkb.append(None)
            self.hw_cut[len(self.hw_id) - 1] = [(n.location.x, n.location.y) for n in nl]

    def feature_way(
        self, o: Any, tags: list | None, wkb: Any, invalid: tuple[type[BaseException], ...]
    ) -> None:
        """Collect a way with a feature key: an open line, or a closed way (its area comes apart).

        ``tags`` None: listed here if needed (only a line keeps them).
        """
        import osmium

        nl = o.nodes
        n_nodes = len(nl)
        if n_nodes < 2:
            return
        # libosmium writes the line (every node, duplicates kept) or refuses it when
        # a node is missing: no Python loop over the nodes
        try:
            line = wkb.create_linestring(o, osmium.geom.ALL)
        except invalid:
            line = None
        if n_nodes >= 4 and o.is_closed():  # first node id == last
            self.closed_ways.add(o.id)
            if line is not None:
                self.closed_complete.add(o.id)
        elif line is not None:
            _add_tags(self.ftags["line"], len(self.line_id), tag_list(o) if tags is None else tags)
            self.line_id.append(o.id)
            self.line_wkb.append(line)
        else:
            self.n_lines_incomplete += 1

    def relation(self, o: Any, tags: list) -> None:
        """Collect a relation with a feature key: multipolygon/boundary or building.

        Multipolygons and boundaries are assembled by libosmium, buildings by
        :func:`infra_geo._osm_reader._building_relations`.
        """
        rtype = o.tags.get("type")
        if rtype in ("multipolygon", "boundary"):
            self.rel_candidates.add(o.id)
        elif rtype == "building":
            # osmium assembles only multipolygon/boundary relations: a building
            # relation's outline is assembled below, like a multipolygon's outer ring
            self.building_rels.append(
                (o.id, dict(tags), [(m.type, m.ref, m.role) for m in o.members])
            )


def pass_handler(c: _Collector, fkeys: frozenset[str]) -> Any:
    """Return the pyosmium handler of the reading pass: each object to ``c``, by kind.

    A ``SimpleHandler``'s callbacks, one per kind of object, instead of a loop over a
    ``FileProcessor``: no generator step and no type test per object (Malta's filtered
    pass with nothing done per object: 0.287 -> 0.278 CPU-s). ``fkeys``: the feature keys.
    A way with neither highway nor route passed the key filter for a feature key: mostly
    building outlines, whose tags come with their area, so they are listed only for an open
    line. A highway=* area=yes object is a feature candidate like one with a feature key.
    """
    import osmium

    invalid = (osmium.InvalidLocationError, RuntimeError)
    wkb = osmium.geom.WKBFactory()
    isdisjoint = fkeys.isdisjoint

    class _Pass(osmium.SimpleHandler):
        def node(self, o: Any) -> None:
            tags = tag_list(o)
            tkeys = set(map(_KEY, tags))
            if not isdisjoint(tkeys) or ("highway" in tkeys and o.tags.get("area") == "yes"):
                c.node(o, tags)

        def way(self, o: Any) -> None:
            # the key test in C, not through the TagList property and its __contains__
            data = getattr(o, "_pyosmium_data", None)
            has = o.tags.__contains__ if data is None else data.tags_has_key
            if not has("highway") and not has("route"):
                c.feature_way(o, None, wkb, invalid)
                return
            tags = tag_list(o)
            tkeys = set(map(_KEY, tags))
            if "highway" in tkeys or ("route" in tkeys and o.tags.get("route") == "ferry"):
                c.highway(o, tags, wkb, invalid)
            if not isdisjoint(tkeys) or ("highway" in tkeys and o.tags.get("area") == "yes"):
                c.feature_way(o, tags, wkb, invalid)

        def area(self, o: Any) -> None:
            tags = tag_list(o)
            tkeys = set(map(_KEY, tags))
            if not isdisjoint(tkeys) or ("highway" in tkeys and o.tags.get("area") == "yes"):
                c.area(o, tags, wkb)

        def relation(self, o: Any) -> None:
            tags = tag_list(o)
            tkeys = set(map(_KEY, tags))
            if not isdisjoint(tkeys) or ("highway" in tkeys and o.tags.get("area") == "yes"):
                c.relation(o, tags)

    return _Pass()
