"""The ontology's class diagram: a standalone SVG, and the same diagram as cytoscape.js elements.

Drawn from ``ontology/alliance.ttl`` by queries, with no external tool:

- every ``owl:Class`` of the ontology's namespace (``akg:``) is a labelled box;
- the classes outside it that they are declared subclasses of (schema.org, the W3C Organization Ontology,
  PROV-O, FOAF, SKOS, DCMI: the alignment) are dashed grey boxes named by CURIE (``schema:Car``), one
  just above each layer of its subclasses (``skos:Concept`` appears more than once: short edges rather
  than lines across the whole picture);
- ``rdfs:subClassOf`` is a grey line with a hollow triangle at the superclass;
- each object property with a domain and a range that are classes is a blue arrow from its domain to its
  range, labelled by its name. A property and its ``owl:inverseOf`` are one arrow, labelled
  ``p ↔ q`` (``q`` the inverse), in the direction of ``p``; the properties between the same two classes
  share one arrow, a label line each. Properties without such a domain and range are listed beneath.

The layout is a deterministic layered drawing (Sugiyama): classes in layers, superclasses and domains above
subclasses and ranges (cycles broken in a fixed order); long edges routed through the layers between,
with each edge's label given its own room in a band between two layers; layer orders by barycentre sweeps
(the order with the fewest crossings kept); positions by weighted isotonic regression toward the
neighbours' mean, so that edges run as straight as the order allows. Text widths are estimated from a
table of glyph widths, so the same ontology always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .namespaces import AKG, OWL, RDFS, shorten

TYPE_CHECKING = False
if TYPE_CHECKING:
    import pyoxigraph as ox

# --- reading the ontology -----------------------------------------------------------------------------------

_CLASSES = """\
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?class ?label ?definition
WHERE {
  ?class a owl:Class .
  FILTER (isIRI(?class) && STRSTARTS(STR(?class), "https://w3id.org/alliance-kg/ontology#"))
  OPTIONAL { ?class rdfs:label ?label FILTER (LANG(?label) = "en") }
  OPTIONAL { ?class skos:definition ?definition FILTER (LANG(?definition) = "en") }
}
ORDER BY ?class
"""

_SUPERCLASSES = """\
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?class ?superclass
WHERE {
  ?class a owl:Class ; rdfs:subClassOf ?superclass .
  FILTER (isIRI(?superclass) && STRSTARTS(STR(?class), "https://w3id.org/alliance-kg/ontology#"))
}
ORDER BY ?class ?superclass
"""

_PROPERTIES = """\
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?property ?domain ?range ?inverse ?definition
WHERE {
  ?property a owl:ObjectProperty .
  FILTER (STRSTARTS(STR(?property), "https://w3id.org/alliance-kg/ontology#"))
  OPTIONAL { ?property rdfs:domain ?domain FILTER isIRI(?domain) }
  OPTIONAL { ?property rdfs:range ?range FILTER isIRI(?range) }
  OPTIONAL { { ?property owl:inverseOf ?inverse } UNION { ?inverse owl:inverseOf ?property } }
  OPTIONAL { ?property skos:definition ?definition FILTER (LANG(?definition) = "en") }
}
ORDER BY ?property ?domain ?range ?inverse
"""


_TITLE = """\
PREFIX owl:     <http://www.w3.org/2002/07/owl#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?title WHERE { ?ontology a owl:Ontology ; dcterms:title ?title FILTER (LANG(?title) = "en") }
ORDER BY ?title LIMIT 1
"""


def _ontology_store(ontology: str | Path | None) -> ox.Store:
    import pyoxigraph as ox

    from . import paths

    store = ox.Store()
    store.load(path=str(ontology or paths.ontology_file()), format=ox.RdfFormat.TURTLE)
    return store


def _curie(iri: str) -> str:
    return shorten(iri) or iri


def _local(iri: str) -> str:
    return iri[len(AKG) :] if iri.startswith(AKG) else _curie(iri)


class ClassBox:
    """A class of the diagram: its IRI, the name drawn, whether it lies outside the ontology, a tooltip."""

    __slots__ = ("external", "iri", "label", "title")

    def __init__(self, iri: str, label: str, external: bool, title: str) -> None:
        self.iri = iri
        self.label = label
        self.external = external
        self.title = title


class Link:
    """A drawn relation: ``subClassOf`` (``source`` the subclass, ``target`` the superclass) or
    ``objectProperty`` (``source`` the domain, ``target`` the range), ``label`` as drawn."""

    __slots__ = ("href", "inverse", "kind", "label", "name", "source", "target", "title")

    def __init__(
        self,
        kind: str,
        source: str,
        target: str,
        *,
        name: str = "",
        href: str = "",
        inverse: str = "",
        title: str = "",
    ) -> None:
        self.kind = kind
        self.source = source
        self.target = target
        self.name = name
        self.href = href
        self.inverse = inverse
        self.title = title
        self.label = f"{name} ↔ {inverse}" if inverse else name


class Model:
    """The classes and relations the diagram draws, and the properties it cannot (no class domain or
    range), read from the ontology."""

    __slots__ = ("classes", "links", "title", "undrawn")

    def __init__(
        self, classes: dict[str, ClassBox], links: list[Link], undrawn: list[str], title: str = "Ontology"
    ) -> None:
        self.classes = classes
        self.links = links
        self.undrawn = undrawn
        self.title = title


def read_model(ontology: str | Path | None = None) -> Model:
    """The classes, subclass links and object-property links of ``ontology`` (the bundled one by
    default)."""
    from .api import query

    store = _ontology_store(ontology)
    classes: dict[str, ClassBox] = {}
    for row in query(_CLASSES, store=store).values():
        iri = str(row["class"])
        if iri in classes:
            continue
        label, definition = row["label"], row["definition"]
        title = "".join(
            [_curie(iri), f" ({label})" if label else "", f": {definition}" if definition else ""]
        )
        classes[iri] = ClassBox(iri, _local(iri), False, title)
    links: list[Link] = []
    for row in query(_SUPERCLASSES, store=store).values():
        sub, sup = str(row["class"]), str(row["superclass"])
        if sup == OWL + "Thing" or sub == sup:
            continue
        if sup not in classes:
            classes[sup] = ClassBox(sup, _curie(sup), True, f"{sup} (outside the ontology)")
        links.append(Link("subClassOf", sub, sup, name="subClassOf", href=RDFS + "subClassOf"))
    properties = query(_PROPERTIES, store=store).values()
    links.extend(_property_links(properties, classes))
    drawn = {link.href for link in links} | {AKG + link.inverse for link in links if link.inverse}
    undrawn = sorted(
        {_local(str(row["property"])) for row in properties if str(row["property"]) not in drawn}
    )
    titles = query(_TITLE, store=store).values()
    return Model(classes, links, undrawn, str(titles[0]["title"]) if titles else "Ontology")


def _property_links(rows: Iterable[dict[str, Any]], classes: dict[str, ClassBox]) -> list[Link]:
    """One link a drawable property, an inverse pair drawn once: in the direction most of the other
    properties between the same two classes take, else from the class that is the domain of more
    properties (the data's hub: ``VehicleModel hasBrand Brand``), else of the name that sorts first."""
    ends: dict[str, tuple[str, str]] = {}
    inverse: dict[str, str] = {}
    definitions: dict[str, str] = {}
    for row in rows:
        prop = str(row["property"])
        if row["definition"]:
            definitions[prop] = str(row["definition"])
        if row["inverse"] and str(row["inverse"]) != prop:
            inverse.setdefault(prop, str(row["inverse"]))
        domain, range_ = row["domain"], row["range"]
        if domain and range_ and str(domain) in classes and str(range_) in classes:
            ends.setdefault(prop, (str(domain), str(range_)))
    single = [p for p in sorted(ends) if p not in inverse or inverse[p] not in ends]
    direction: dict[frozenset[str], dict[tuple[str, str], int]] = {}
    for prop in single:
        pair = ends[prop]
        counts = direction.setdefault(frozenset(pair), {})
        counts[pair] = counts.get(pair, 0) + 1
    outdegree: dict[str, int] = {}
    for prop in single:
        outdegree[ends[prop][0]] = outdegree.get(ends[prop][0], 0) + 1
    chosen = list(single)
    for prop in sorted(ends):
        other = inverse.get(prop)
        if other is None or other not in ends or prop in chosen or other in chosen:
            continue
        counts = direction.get(frozenset(ends[prop]), {})

        def score(p: str, counts: dict[tuple[str, str], int] = counts) -> tuple[int, int, str]:
            domain, range_ = ends[p]
            spread = outdegree.get(domain, 0) - outdegree.get(range_, 0)
            return (-counts.get(ends[p], 0), -spread, _local(p))

        pick = min((prop, other), key=score)
        chosen.append(pick)
        counts = direction.setdefault(frozenset(ends[pick]), {})
        counts[ends[pick]] = counts.get(ends[pick], 0) + 1
    links = []
    for prop in sorted(chosen, key=_local):
        domain, range_ = ends[prop]
        other = inverse.get(prop)
        shown_inverse = _local(other) if other and other in ends else ""
        links.append(
            Link(
                "objectProperty",
                domain,
                range_,
                name=_local(prop),
                href=prop,
                inverse=shown_inverse,
                title=f"{_curie(prop)}: {definitions.get(prop, '')}".rstrip(": "),
            )
        )
    return links


# --- text widths --------------------------------------------------------------------------------------------

_FONT = "Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"


def text_width(text: str, size: float, bold: bool = False) -> float:
    """An estimate of the width of ``text`` in a sans-serif font of ``size`` px, a little generous."""
    em = 0.0
    for ch in text:
        if ch in "il.,:;!|'":
            em += 0.28
        elif ch in "jtfrI()[] -/":
            em += 0.36
        elif ch in "mwMW↔":
            em += 0.88
        elif ch.isupper():
            em += 0.70
        elif ch.isdigit():
            em += 0.56
        else:
            em += 0.56
    return em * size * (1.1 if bold else 1.04)


# --- layout -------------------------------------------------------------------------------------------------

NODE_H = 30.0
NODE_PAD = 12.0
CLASS_FONT = 12.5
LABEL_FONT = 10.5
LINE_H = 13.0
GAP = 34.0  # vertical room between two bands, where the edges curve
LOOP = 22.0  # how far a self-loop bulges to the right of its box
MARGIN = 24.0


class _Item:
    """A box or an edge's waypoint in one rank of the layered layout."""

    __slots__ = ("box", "id", "label", "left", "order", "rank", "width", "x")

    def __init__(self, id: str, rank: int, width: float, *, box: str = "", label: list[str] | None = None):
        self.id = id
        self.rank = rank
        self.width = width
        self.box = box  # the class IRI, for a class's box
        self.label = label or []  # the lines of an edge label carried by this waypoint
        self.order = 0.0
        self.x = 0.0
        self.left = 0.0  # a box's offset from the item's centre (a self-loop's room is on its right)


class _Route:
    """A drawn edge: the items it runs through from top to bottom, and where its arrow points."""

    __slots__ = ("arrow_up", "items", "kind", "links")

    def __init__(self, kind: str, links: list[Link], items: list[_Item], arrow_up: bool) -> None:
        self.kind = kind
        self.links = links
        self.items = items
        self.arrow_up = arrow_up


class Layout:
    """Positions of the boxes, edges and labels of the class diagram."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.items: dict[str, _Item] = {}
        self.ranks: list[list[_Item]] = []
        self.routes: list[_Route] = []
        self.loops: dict[str, list[Link]] = {}
        self.band_top: list[float] = []
        self.band_height: list[float] = []
        self._layer()
        self._order()
        self._place()

    # the layers: superclass above subclass, domain above range (each property edge the way most of its
    # properties go, turned round where it would close a cycle), each class as close to its neighbours as
    # that allows; an outside class has a copy in the row just above each layer of its subclasses
    def _layer(self) -> None:
        model = self.model
        inside = sorted(iri for iri, box in model.classes.items() if not box.external)
        down: dict[str, set[str]] = {i: set() for i in inside}

        def reaches(a: str, b: str) -> bool:
            seen, stack = {a}, [a]
            while stack:
                for nxt in down[stack.pop()]:
                    if nxt == b:
                        return True
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            return False

        merged: dict[tuple[str, str, str], list[Link]] = {}  # (kind, a, b) → links
        for link in model.links:
            if link.source == link.target:
                self.loops.setdefault(link.source, []).append(link)
            elif link.kind == "subClassOf":
                merged.setdefault(("subClassOf", link.target, link.source), []).append(link)
            else:
                a, b = sorted((link.source, link.target))
                merged.setdefault(("objectProperty", a, b), []).append(link)
        edges: list[tuple[str, str, str, list[Link]]] = []  # (kind, upper, lower, links)
        outside: list[tuple[str, str, list[Link]]] = []  # (outside superclass, subclass, links)
        for (kind, a, b), links in sorted(merged.items()):
            if kind != "subClassOf":
                continue
            if model.classes[a].external:
                outside.append((a, b, links))
            else:
                down[a].add(b)
                edges.append((kind, a, b, links))
        for (kind, a, b), links in sorted(merged.items()):
            if kind != "objectProperty":
                continue
            forward = sum(1 for link in links if (link.source, link.target) == (a, b))
            upper, lower = (a, b) if forward * 2 >= len(links) else (b, a)
            if reaches(lower, upper):
                upper, lower = lower, upper
            down[upper].add(lower)
            edges.append((kind, upper, lower, links))
        layer = _layers(inside, down)
        # rows: 2L + 1 for the classes of layer L, 2L for the copies of outside classes above them
        rows: dict[str, int] = {iri: 2 * layer[iri] + 1 for iri in inside}
        copies: dict[tuple[str, int], str] = {}
        for sup, sub, _ in outside:
            key = (sup, rows[sub] - 1)
            copies.setdefault(key, f"{sup}@{rows[sub] - 1}")
        used = sorted(set(rows.values()) | {row for _, row in copies})
        compact = {row: i for i, row in enumerate(used)}
        self.ranks = [[] for _ in range(2 * len(used) - 1)]

        def add_box(item_id: str, iri: str, row: int) -> None:
            box = model.classes[iri]
            width = text_width(box.label, CLASS_FONT, bold=not box.external) + 2 * NODE_PAD
            extra = 0.0
            if item_id in self.loops:
                extra = LOOP + 6 + max(text_width(link.label, LABEL_FONT) for link in self.loops[item_id]) + 4
            item = _Item(item_id, 2 * compact[row], width + extra, box=iri)
            item.left = -extra / 2
            self.items[item_id] = item
            self.ranks[item.rank].append(item)

        for iri in inside:
            add_box(iri, iri, rows[iri])
        for (sup, row), item_id in sorted(copies.items()):
            add_box(item_id, sup, row)
        for sup, sub, links in outside:
            edges.append(("subClassOf", copies[(sup, rows[sub] - 1)], sub, links))
        for index, (kind, upper, lower, links) in enumerate(edges):
            top, bottom = self.items[upper], self.items[lower]
            chain = [top]
            label_rank = top.rank + 1 + 2 * ((bottom.rank - top.rank) // 4)
            mixed = len({link.target for link in links}) > 1
            lines = [_line(link, top.box, mixed) for link in links] if kind == "objectProperty" else []
            for rank in range(top.rank + 1, bottom.rank):
                text = lines if rank == label_rank else []
                width = max((text_width(t, LABEL_FONT) for t in text), default=0.0)
                dummy = _Item(
                    f"{kind}:{upper}>{lower}#{index}@{rank}", rank, width + 10 if text else 8.0, label=text
                )
                self.ranks[rank].append(dummy)
                self.items[dummy.id] = dummy
                chain.append(dummy)
            chain.append(bottom)
            arrow_up = kind == "subClassOf" or all(link.target == top.box for link in links)
            self.routes.append(_Route(kind, links, chain, arrow_up))

    def _neighbours(self) -> tuple[dict[str, list[_Item]], dict[str, list[_Item]]]:
        above: dict[str, list[_Item]] = {i: [] for i in self.items}
        below: dict[str, list[_Item]] = {i: [] for i in self.items}
        for route in self.routes:
            for a, b in zip(route.items, route.items[1:], strict=False):
                below[a.id].append(b)
                above[b.id].append(a)
        return above, below

    def _crossings(self, below: dict[str, list[_Item]]) -> int:
        total = 0
        for rank in self.ranks:
            segments = sorted((a.order, b.order) for a in rank for b in below[a.id])
            for i, (a1, b1) in enumerate(segments):
                for a2, b2 in segments[i + 1 :]:
                    if a2 > a1 and b2 < b1:
                        total += 1
        return total

    # the order in each rank: barycentre sweeps, down and up, keeping the order with fewest crossings
    def _order(self) -> None:
        above, below = self._neighbours()
        for rank in self.ranks:
            rank.sort(key=lambda item: (item.box == "", item.id))
            for i, item in enumerate(rank):
                item.order = float(i)
        best = self._crossings(below)
        saved = {key: item.order for key, item in self.items.items()}
        for sweep in range(24):
            ranks = range(1, len(self.ranks)) if sweep % 2 == 0 else range(len(self.ranks) - 2, -1, -1)
            side = above if sweep % 2 == 0 else below
            for r in ranks:
                rank = self.ranks[r]
                for item in rank:
                    near = side[item.id]
                    item.x = sum(n.order for n in near) / len(near) if near else item.order
                rank.sort(key=lambda item: (item.x, item.order))
                for i, item in enumerate(rank):
                    item.order = float(i)
            self._transpose(below)
            crossings = self._crossings(below)
            if crossings < best:
                best = crossings
                saved = {key: item.order for key, item in self.items.items()}
        for key, item in self.items.items():
            item.order = saved[key]
        for rank in self.ranks:
            rank.sort(key=lambda item: item.order)

    def _transpose(self, below: dict[str, list[_Item]]) -> None:
        """Swap neighbours in a rank while that lowers the crossings with the ranks around it."""
        above: dict[str, list[_Item]] = {i: [] for i in self.items}
        for a_id, items in below.items():
            for b in items:
                above[b.id].append(self.items[a_id])

        def pair_crossings(u: _Item, v: _Item) -> int:
            count = 0
            for side in (above, below):
                for a in side[u.id]:
                    for b in side[v.id]:
                        if a.order > b.order:
                            count += 1
            return count

        for _ in range(4):
            improved = False
            for rank in self.ranks:
                for i in range(len(rank) - 1):
                    u, v = rank[i], rank[i + 1]
                    if pair_crossings(u, v) > pair_crossings(v, u):
                        rank[i], rank[i + 1] = v, u
                        u.order, v.order = v.order, u.order
                        improved = True
            if not improved:
                break

    # the x of each item: toward the mean of its neighbours', in rank order, never closer than its room
    def _place(self) -> None:
        above, below = self._neighbours()

        def gap(a: _Item, b: _Item) -> float:
            if a.box and b.box:
                return 18.0
            return 8.0 if (a.box or b.box) else 4.0

        for rank in self.ranks:
            x = 0.0
            for i, item in enumerate(rank):
                if i:
                    x += (rank[i - 1].width + item.width) / 2 + gap(rank[i - 1], item)
                item.x = x
        for sweep in range(40):
            ranks = list(range(len(self.ranks)))
            if sweep % 2:
                ranks.reverse()
            for r in ranks:
                rank = self.ranks[r]
                if not rank:
                    continue
                offsets = [0.0]
                for i in range(1, len(rank)):
                    offsets.append(
                        offsets[-1] + (rank[i - 1].width + rank[i].width) / 2 + gap(rank[i - 1], rank[i])
                    )
                wanted, weights = [], []
                for item in rank:
                    near = above[item.id] + below[item.id]
                    centre = _centre(item)
                    mean = sum(_centre(n) for n in near) / len(near) if near else centre
                    wanted.append(mean - (centre - item.x))
                    weights.append((8.0 if not item.box else 1.0) * (len(near) or 0.2))
                solved = _isotonic([w - o for w, o in zip(wanted, offsets, strict=True)], weights)
                for item, y, o in zip(rank, solved, offsets, strict=True):
                    item.x = y + o
        low = min(item.x - item.width / 2 for item in self.items.values())
        for item in self.items.values():
            item.x = round(item.x - low + MARGIN, 1)
        top = 0.0
        for r, rank in enumerate(self.ranks):
            if r % 2 == 0:
                height = NODE_H
            else:
                height = max((len(item.label) * LINE_H + 6 for item in rank if item.label), default=0.0)
            self.band_top.append(top)
            self.band_height.append(height)
            top += height + (GAP if r % 2 == 0 or height else GAP / 2)

    @property
    def width(self) -> float:
        return max(item.x + item.width / 2 for item in self.items.values()) + MARGIN

    @property
    def height(self) -> float:
        return self.band_top[-1] + self.band_height[-1]

    def boxes(self) -> list[_Item]:
        """The items that are boxes of classes, by class and then row (an outside class may have several)."""
        return sorted((i for i in self.items.values() if i.box), key=lambda i: (i.box, i.rank, i.x))

    def box(self, item_id: str) -> tuple[float, float, float, float]:
        """The box of a class (or of a copy of an outside class): its left, top, width and height."""
        item = self.items[item_id]
        width = item.width + 2 * item.left
        return item.x + item.left - width / 2, self.band_top[item.rank], width, NODE_H


def _layers(nodes: list[str], down: dict[str, set[str]]) -> dict[str, int]:
    """A layer for each node of the acyclic graph ``down`` (an edge from a lower layer to a higher one):
    longest paths first, then each node moved, while that shortens its edges, to the median of where its
    neighbours would have it, within the room its edges leave."""
    up: dict[str, set[str]] = {n: set() for n in nodes}
    for a, targets in down.items():
        for b in targets:
            up[b].add(a)
    order: list[str] = []
    indegree = {n: len(up[n]) for n in nodes}
    ready = sorted(n for n in nodes if indegree[n] == 0)
    while ready:
        node = ready.pop(0)
        order.append(node)
        for nxt in sorted(down[node]):
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
                ready.sort()
    layer: dict[str, int] = {}
    for node in order:
        layer[node] = max((layer[p] + 1 for p in up[node]), default=0)
    for _ in range(60):
        moved = False
        for node in order:
            wanted = sorted([layer[p] + 1 for p in up[node]] + [layer[s] - 1 for s in down[node]])
            if not wanted:
                continue
            low = max((layer[p] + 1 for p in up[node]), default=-(10**6))
            high = min((layer[s] - 1 for s in down[node]), default=10**6)
            median = wanted[(len(wanted) - 1) // 2]
            best = min(max(median, low), high)

            def span(at: int, node: str = node) -> int:
                return sum(abs(at - layer[p]) for p in up[node]) + sum(abs(layer[s] - at) for s in down[node])

            if best != layer[node] and span(best) < span(layer[node]):
                layer[node] = best
                moved = True
        if not moved:
            break
    low = min(layer.values(), default=0)
    return {node: value - low for node, value in layer.items()}


def _centre(item: _Item) -> float:
    return item.x + item.left


def _line(link: Link, upper: str, mixed: bool) -> str:
    """A label line of a property edge; on an edge with properties both ways, each says its way."""
    if not mixed:
        return link.label
    return f"{link.label} {'↑' if link.target == upper else '↓'}"


def _isotonic(values: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence closest to ``values`` in weighted least squares (pool adjacent
    violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for value, weight in zip(values, weights, strict=True):
        blocks.append([value, weight, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out: list[float] = []
    for mean, _, count in blocks:
        out.extend([mean] * int(count))
    return out


# --- the SVG ------------------------------------------------------------------------------------------------

_STYLE = """
  .class rect { fill: #eaf1fb; stroke: #2f5d9b; stroke-width: 1.3; }
  .class text { fill: #10233f; font-weight: bold; }
  .external rect { fill: #f4f4f4; stroke: #8a8a8a; stroke-width: 1; stroke-dasharray: 4 3; }
  .external text { fill: #555; font-style: italic; }
  .subclass { fill: none; stroke: #8a8a8a; stroke-width: 1.1; }
  .property { fill: none; stroke: #2f6fb5; stroke-width: 1.1; }
  .edge-label rect { fill: #ffffff; fill-opacity: 0.92; stroke: #c9d9ee; stroke-width: 0.6; }
  .edge-label text { fill: #1b4f8c; }
  .legend text, .note { fill: #333; }
  a:hover rect { stroke-width: 2.2; }
"""


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path(points: list[tuple[float, float]]) -> str:
    """A smooth path through ``points``, vertical at each: straight where two points share an x."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{_num(x0)},{_num(y0)}"]
    for x1, y1 in rest:
        if abs(x1 - x0) < 0.05:
            parts.append(f"L{_num(x1)},{_num(y1)}")
        else:
            ym = (y0 + y1) / 2
            parts.append(f"C{_num(x0)},{_num(ym)} {_num(x1)},{_num(ym)} {_num(x1)},{_num(y1)}")
        x0, y0 = x1, y1
    return "".join(parts)


def _ports(layout: Layout) -> dict[tuple[str, int], float]:
    """Where each route leaves or enters a box: spread along its bottom (routes going down) or its top
    (coming from above), in the order of the route's next waypoint."""
    ends: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for index, route in enumerate(layout.routes):
        first, last = route.items[0], route.items[-1]
        ends.setdefault((first.id, "bottom"), []).append((_centre(route.items[1]), index))
        ends.setdefault((last.id, "top"), []).append((_centre(route.items[-2]), index))
    ports: dict[tuple[str, int], float] = {}
    for (iri, side), routes in ends.items():
        left, _, width, _ = layout.box(iri)
        routes.sort()
        usable = width * 0.8
        for k, (_, index) in enumerate(routes):
            x = left + width * 0.1 + usable * (k + 1) / (len(routes) + 1)
            ports[(side + iri, index)] = x
    return ports


def class_diagram_svg(ontology: str | Path | None = None) -> str:
    """The class diagram of ``ontology`` (the bundled one by default) as a standalone SVG document."""
    model = read_model(ontology)
    layout = Layout(model)
    legend_h = 96.0
    offset = MARGIN + legend_h
    notes = []
    if model.undrawn:
        notes.append(
            "Object properties not drawn, for want of a class of the ontology as domain or as range: "
            + ", ".join(model.undrawn)
            + "."
        )
    width = max(layout.width, 900.0)
    height = offset + layout.height + MARGIN + 18 * len(notes) + 8
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" height="{_num(height)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" font-family="{_FONT}" font-size="{CLASS_FONT}" '
        f'role="img" aria-label={quoteattr("Class diagram: " + model.title)}>',
        f"<title>{escape(model.title)}: classes, subclasses and object properties</title>",
        f"<style>{_STYLE}</style>",
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse" markerUnits="userSpaceOnUse"><path d="M0,0L10,5L0,10z" fill="#2f6fb5"/>'
        "</marker>",
        '<marker id="triangle" viewBox="0 0 12 12" refX="12" refY="6" markerWidth="12" markerHeight="12" '
        'orient="auto-start-reverse" markerUnits="userSpaceOnUse">'
        '<path d="M0,0L12,6L0,12z" fill="#ffffff" stroke="#8a8a8a" stroke-width="1.2"/></marker>',
        "</defs>",
        f'<rect width="{_num(width)}" height="{_num(height)}" fill="#ffffff"/>',
    ]
    out.extend(_legend(model))
    out.append(f'<g transform="translate(0,{_num(offset)})">')
    ports = _ports(layout)
    out.append('<g class="mark-edge role-mark">')
    labels: list[str] = []
    for index, route in enumerate(layout.routes):
        points: list[tuple[float, float]] = []
        first, last = route.items[0], route.items[-1]
        points.append((ports[("bottom" + first.id, index)], layout.band_top[first.rank] + NODE_H))
        for item in route.items[1:-1]:
            top, height = layout.band_top[item.rank], layout.band_height[item.rank]
            points.append((item.x, top))
            if height:
                points.append((item.x, top + height))
            if item.label:
                labels.append(_edge_label(item, top, height, route))
        points.append((ports[("top" + last.id, index)], layout.band_top[last.rank]))
        if route.arrow_up:
            points.reverse()
        css = "subclass" if route.kind == "subClassOf" else "property"
        marker = "triangle" if route.kind == "subClassOf" else "arrow"
        names = "; ".join(f"{_curie(link.source)} {link.label} {_curie(link.target)}" for link in route.links)
        both = (
            route.kind != "subClassOf"
            and not route.arrow_up
            and any(link.target == first.box for link in route.links)
        )
        start = ' marker-start="url(#arrow)"' if both else ""
        out.append(
            f'<path class="{css}" role="graphics-symbol" aria-label={quoteattr(names)} '
            f'd="{_path(points)}" marker-end="url(#{marker})"{start}/>'
        )
    out.append("</g>")
    for iri, links in sorted(layout.loops.items()):
        out.append(_loop(layout, iri, links))
    out.append('<g class="mark-label role-mark">')
    out.extend(labels)
    out.append("</g>")
    out.append('<g class="mark-node role-mark">')
    for item in layout.boxes():
        out.append(_node(layout, item.id, model.classes[item.box]))
    out.append("</g>")
    out.append("</g>")
    y = offset + layout.height + MARGIN + 8
    for note in notes:
        out.append(
            f'<text class="note" x="{_num(MARGIN)}" y="{_num(y)}" font-size="11">{escape(note)}</text>'
        )
        y += 18
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _legend(model: Model) -> list[str]:
    internal = sum(1 for box in model.classes.values() if not box.external)
    external = len(model.classes) - internal
    arrows = [link for link in model.links if link.kind == "objectProperty"]
    properties = len(arrows) + sum(1 for link in arrows if link.inverse)
    x, y = MARGIN, MARGIN
    out = [
        '<g class="legend">',
        f'<text x="{_num(x)}" y="{_num(y + 4)}" font-size="17" font-weight="bold">'
        f"{escape(model.title)}: class diagram</text>",
        f'<text x="{_num(x)}" y="{_num(y + 24)}" font-size="11.5">{internal} classes of the ontology, '
        f"{external} classes of the vocabularies it aligns with, {properties} object properties "
        f"({len(arrows)} arrows: a property and its inverse are one)</text>",
    ]
    y += 42
    size = 11.5
    entries: list[tuple[str, str]] = [
        ("class", "akg class"),
        ("external", "outside class (schema:, org:, prov:, foaf:, skos:, dcterms:)"),
        ("subclass", "rdfs:subClassOf, to the superclass"),
        ("property", "object property, domain → range (p ↔ q: q is p’s inverse)"),
    ]
    for kind, text in entries:
        width = text_width(text, size) + 16
        if kind in ("class", "external"):
            out.append(
                f'<g class="{kind}"><rect x="{_num(x)}" y="{_num(y)}" width="{_num(width)}" height="22" '
                'rx="4"/>'
                f'<text x="{_num(x + width / 2)}" y="{_num(y + 15)}" text-anchor="middle" font-size="{size}">'
                f"{escape(text)}</text></g>"
            )
            x += width + 18
            continue
        marker = "triangle" if kind == "subclass" else "arrow"
        ends = (x + 40, x) if kind == "subclass" else (x, x + 40)
        out.append(
            f'<path class="{kind}" d="M{_num(ends[0])},{_num(y + 11)}L{_num(ends[1])},{_num(y + 11)}" '
            f'marker-end="url(#{marker})"/>'
            f'<text x="{_num(x + 48)}" y="{_num(y + 15)}" font-size="{size}">{escape(text)}</text>'
        )
        x += 48 + text_width(text, size) + 24
    out.append("</g>")
    return out


def _edge_label(item: _Item, top: float, height: float, route: _Route) -> str:
    width = item.width - 4
    left = item.x - width / 2
    out = [
        f'<g class="edge-label" role="graphics-symbol" aria-label={quoteattr(" / ".join(item.label))}>',
        f'<rect x="{_num(left)}" y="{_num(top + 1)}" width="{_num(width)}" '
        f'height="{_num(len(item.label) * LINE_H + 4)}" rx="3"/>',
    ]
    for k, line in enumerate(item.label):
        out.append(
            f'<text x="{_num(item.x)}" y="{_num(top + 1 + LINE_H * (k + 1) - 1)}" text-anchor="middle" '
            f'font-size="{LABEL_FONT}">{escape(line)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _loop(layout: Layout, iri: str, links: list[Link]) -> str:
    """A property from a class to itself: a loop on the right of its box, labelled beside it."""
    left, top, width, height = layout.box(iri)
    right = left + width
    y1, y2 = top + height * 0.25, top + height * 0.75
    d = (
        f"M{_num(right)},{_num(y1)}C{_num(right + LOOP)},{_num(y1 - 6)} {_num(right + LOOP)},"
        f"{_num(y2 + 6)} {_num(right)},{_num(y2)}"
    )
    names = "; ".join(f"{_curie(link.source)} {link.label} {_curie(link.target)}" for link in links)
    out = [
        f'<g class="mark-loop role-mark"><path class="property" role="graphics-symbol" '
        f'aria-label={quoteattr(names)} d="{d}" marker-end="url(#arrow)"/>'
    ]
    y = top + height / 2 - (len(links) - 1) * LINE_H / 2 + 4
    for k, link in enumerate(links):
        out.append(
            f'<text class="edge-label" x="{_num(right + LOOP + 4)}" y="{_num(y + k * LINE_H)}" '
            f'font-size="{LABEL_FONT}" fill="#1b4f8c">{escape(link.label)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _node(layout: Layout, item_id: str, box: ClassBox) -> str:
    left, top, width, height = layout.box(item_id)
    css = "external" if box.external else "class"
    return (
        f"<a href={quoteattr(box.iri)}>"
        f'<g class="{css}" role="graphics-symbol" aria-label={quoteattr(_curie(box.iri))}>'
        f"<title>{escape(box.title)}</title>"
        f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(width)}" height="{_num(height)}" rx="5"/>'
        f'<text x="{_num(left + width / 2)}" y="{_num(top + height / 2 + 4.5)}" text-anchor="middle">'
        f"{escape(box.label)}</text></g></a>"
    )


# --- cytoscape.js -------------------------------------------------------------------------------------------


def class_diagram_elements(ontology: str | Path | None = None) -> list[dict[str, Any]]:
    """The class diagram as cytoscape.js elements (``cy.add(elements)``; the ``preset`` layout uses the
    positions of the SVG): a node a class (``id`` its CURIE, ``label``, ``href`` its IRI, ``kind``
    ``"class"`` or ``"external"``, ``title`` its label and definition), an edge a relation (``source``,
    ``target``, ``label``, ``kind`` ``"subClassOf"`` or ``"objectProperty"``, ``href`` the property's IRI,
    ``inverse`` the inverse property's name, if any). Nodes by id, then edges by id."""
    model = read_model(ontology)
    layout = Layout(model)
    first: dict[str, str] = {}
    for item in layout.boxes():
        first.setdefault(item.box, item.id)
    nodes: list[dict[str, Any]] = []
    for iri in sorted(model.classes, key=_curie):
        box = model.classes[iri]
        left, top, width, height = layout.box(first[iri])
        nodes.append(
            {
                "group": "nodes",
                "data": {
                    "id": _curie(iri),
                    "label": box.label,
                    "href": iri,
                    "kind": "external" if box.external else "class",
                    "title": box.title,
                },
                "position": {"x": round(left + width / 2, 1), "y": round(top + height / 2, 1)},
                "classes": "external" if box.external else "class",
            }
        )
    edges: list[dict[str, Any]] = []
    for link in model.links:
        data: dict[str, Any] = {
            "id": f"{link.kind}:{_curie(link.source)}>{_curie(link.target)}"
            + (f":{link.name}" if link.kind == "objectProperty" else ""),
            "source": _curie(link.source),
            "target": _curie(link.target),
            "label": link.label if link.kind == "objectProperty" else "subClassOf",
            "kind": link.kind,
            "href": link.href,
        }
        if link.inverse:
            data["inverse"] = link.inverse
        if link.title:
            data["title"] = link.title
        edges.append({"group": "edges", "data": data, "classes": link.kind})
    edges.sort(key=lambda e: str(e["data"]["id"]))
    return nodes + edges


__all__ = ["class_diagram_elements", "class_diagram_svg", "read_model", "text_width"]
