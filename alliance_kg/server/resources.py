"""What the server says about one resource: its RDF description, and the view its HTML page is made of.

The RDF description of a resource is

- its concise bounded description (every triple about it, and recursively about the blank nodes those
  lead to) **with the reifications of those triples**, which is how the graph records the source of
  each fact (``rdf:Statement`` nodes with ``prov:wasDerivedFrom``);
- the triples that point at it (its incoming links), less the reifications' own ``rdf:subject`` /
  ``rdf:object`` links;
- the labels (``rdfs:label``, ``skos:prefLabel``, else ``akg:name``) of every resource these mention, in
  the language asked for and in English;
- what the document says about itself (:func:`document_triples`, as Pubby and LodView do): its primary
  topic, its licence and the dataset it belongs to.

IRIs in it are the graph's canonical ones (``https://w3id.org/alliance-kg/…``), whatever address the
server is reached at: they name the things, not this copy of the documents about them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..formats import curie, labels_for
from ..namespaces import AKG, BASE, DCTERMS, FOAF, ID, PROV, RDF, RDFS, SKOS
from ..store import select
from ..void import DATASET, LICENSE, VOID

_SUBJECT = ox.NamedNode(RDF + "subject")
_PREDICATE = ox.NamedNode(RDF + "predicate")
_OBJECT = ox.NamedNode(RDF + "object")
_LABELS = (ox.NamedNode(RDFS + "label"), ox.NamedNode(SKOS + "prefLabel"))
_NAME = ox.NamedNode(AKG + "name")

#: Labels for the terms of other vocabularies that the pages show often (the ontology labels its own).
TERM_LABELS = {
    RDF + "type": "type",
    RDFS + "label": "label",
    RDFS + "comment": "comment",
    RDFS + "seeAlso": "see also",
    SKOS + "altLabel": "alternative label",
    SKOS + "prefLabel": "preferred label",
    SKOS + "definition": "definition",
    SKOS + "notation": "notation",
    SKOS + "inScheme": "in scheme",
    SKOS + "topConceptOf": "top concept of",
    SKOS + "hasTopConcept": "has top concept",
    DCTERMS + "title": "title",
    DCTERMS + "description": "description",
    DCTERMS + "issued": "issued",
    DCTERMS + "language": "language",
    DCTERMS + "spatial": "place",
    DCTERMS + "type": "type of document",
    DCTERMS + "source": "source",
    PROV + "wasDerivedFrom": "derived from",
    RDF + "subject": "subject",
    RDF + "predicate": "predicate",
    RDF + "object": "object",
}
_FIRST = [RDF + "type", RDFS + "label", AKG + "name", SKOS + "prefLabel", SKOS + "altLabel"]


def known_iris(store: ox.Store) -> set[str]:
    """Every IRI under the published base that the graph mentions (as subject or object)."""
    found: set[str] = set()
    for quad in store:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(BASE):
                found.add(term.value)
    return found


def _add(out: list[ox.Triple], seen: set[ox.Triple], triple: ox.Triple) -> None:
    if triple not in seen:
        seen.add(triple)
        out.append(triple)


def description(store: ox.Store, iri: str, lang: str = "en") -> list[ox.Triple]:
    """The triples of the resource's description (see the module's docstring)."""
    node = ox.NamedNode(iri)
    out: list[ox.Triple] = []
    seen: set[ox.Triple] = set()
    described: set[ox.Triple] = set()
    todo: list[ox.NamedNode | ox.BlankNode] = [node]
    visited: set[ox.NamedNode | ox.BlankNode] = set()
    while todo:  # the concise bounded description
        subject = todo.pop()
        if subject in visited:
            continue
        visited.add(subject)
        for quad in store.quads_for_pattern(subject, None, None, None):
            _add(out, seen, quad.triple)
            described.add(quad.triple)
            if isinstance(quad.object, ox.BlankNode):
                todo.append(quad.object)
    for subject in list(visited):  # the reifications of its triples: the source of each fact
        for quad in store.quads_for_pattern(None, _SUBJECT, subject, None):
            statement = quad.subject
            predicates = [
                q.object
                for q in store.quads_for_pattern(statement, _PREDICATE, None, None)
                if isinstance(q.object, ox.NamedNode)  # what a triple's predicate can be
            ]
            objects = [q.object for q in store.quads_for_pattern(statement, _OBJECT, None, None)]
            if any(ox.Triple(subject, p, o) in described for p in predicates for o in objects):
                for q in store.quads_for_pattern(statement, None, None, None):
                    _add(out, seen, q.triple)
    for quad in store.quads_for_pattern(None, None, node, None):  # incoming links
        if quad.predicate not in (_SUBJECT, _OBJECT):
            _add(out, seen, quad.triple)
    linked: set[ox.NamedNode] = set()
    for triple in out:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode) and term != node:
                linked.add(term)
    for triple in label_triples(store, linked, lang):
        _add(out, seen, triple)
    return out


def document_iri(iri: str) -> str:
    """The canonical IRI of the document about a resource: ``…/id/vehicle/nissan-micra`` is described by
    ``…/doc/vehicle/nissan-micra``, whatever its format (``.ttl``, ``.nt``… are its representations, and
    the address the server is reached at is not part of it)."""
    if not iri.startswith(ID):
        raise ValueError(f"<{iri}> is not a resource of the graph (under <{ID}>)")
    return BASE + "doc/" + iri[len(ID) :]


def document_triples(iri: str) -> list[ox.Triple]:
    """What the RDF document about the resource ``iri`` says about itself: ``foaf:primaryTopic`` the
    resource, ``dcterms:license`` the dataset's licence, ``void:inDataset`` the dataset."""
    document = ox.NamedNode(document_iri(iri))
    return [
        ox.Triple(document, ox.NamedNode(FOAF + "primaryTopic"), ox.NamedNode(iri)),
        ox.Triple(document, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(LICENSE)),
        ox.Triple(document, ox.NamedNode(VOID + "inDataset"), ox.NamedNode(DATASET)),
    ]


def label_triples(store: ox.Store, nodes: Iterable[ox.NamedNode], lang: str) -> list[ox.Triple]:
    """The labels of ``nodes`` in ``lang`` and in English (and plain ones); else their ``akg:name``."""
    wanted = {lang, "en", ""}
    out = []
    for node in sorted(nodes, key=lambda n: n.value):
        found = False
        for predicate in _LABELS:
            for quad in store.quads_for_pattern(node, predicate, None, None):
                literal = quad.object
                if isinstance(literal, ox.Literal) and (literal.language or "") in wanted:
                    out.append(quad.triple)
                    found = True
        if not found:
            out.extend(q.triple for q in store.quads_for_pattern(node, _NAME, None, None))
    return out


# ---------------------------------------------------------------------------------------------------
# The view of a resource page


@dataclass
class Source:
    iri: str
    text: str  # "press release ¶4", or the page's label
    quote: str | None = None  # the paragraph's text


@dataclass
class Value:
    term: ox.NamedNode | ox.BlankNode | ox.Literal
    text: str
    iri: str | None = None  # for a resource value
    language: str | None = None
    datatype: str | None = None  # a CURIE, for typed literals other than strings
    sources: list[Source] = field(default_factory=list)


@dataclass
class PropertyValues:
    iri: str
    label: str
    values: list[Value] = field(default_factory=list)


@dataclass
class Fact:  # a fact that a source supports, for the pages of sources
    subject: Value
    predicate: Value
    object: Value


@dataclass
class ResourceView:
    iri: str
    label: str
    types: list[Value] = field(default_factory=list)
    summary: str | None = None
    properties: list[PropertyValues] = field(default_factory=list)
    incoming: list[PropertyValues] = field(default_factory=list)  # by property, the resources that link here
    sources: list[Source] = field(default_factory=list)  # every source cited on the page, once
    facts_from_here: list[Fact] = field(default_factory=list)


_SOURCES = """
SELECT ?this ?p ?o ?src WHERE {
  ?st rdf:subject ?this ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?src .
}"""
_SOURCE_INFO = """
SELECT ?src ?n ?text ?label WHERE {
  VALUES ?src { %s }
  OPTIONAL { ?src akg:paragraphNumber ?n }
  OPTIONAL { ?src akg:text ?text }
  OPTIONAL { ?src rdfs:label ?label }
}"""
_SUPPORTED = """
SELECT ?this ?s ?p ?o WHERE {
  ?st prov:wasDerivedFrom ?this ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
} ORDER BY ?s ?p ?o"""


def term_label(iri: str, labels: dict[str, str]) -> str:
    return labels.get(iri) or TERM_LABELS.get(iri) or curie(iri).strip("<>")


def _sources(store: ox.Store, iris: set[str], lang: str) -> dict[str, Source]:
    if not iris:
        return {}
    text = _SOURCE_INFO % " ".join(f"<{i}>" for i in sorted(iris))
    numbers: dict[str, str] = {}  # by source: its paragraph number, its text, its labels by language
    quotes: dict[str, str] = {}
    labels_of: dict[str, dict[str, str]] = {}
    for row in select(store, text):
        src: str = row["src"].value
        labels = labels_of.setdefault(src, {})
        if row["n"] is not None:
            numbers[src] = row["n"].value
        if row["text"] is not None:
            quotes[src] = row["text"].value
        if row["label"] is not None:
            labels[row["label"].language or ""] = row["label"].value
    sources = {}
    for iri in iris:
        labels = labels_of.get(iri, {})
        if iri in numbers:
            text = f"press release ¶{numbers[iri]}"
        else:
            text = labels.get(lang) or labels.get("en") or labels.get("") or next(iter(labels.values()), iri)
        sources[iri] = Source(iri, text, quotes.get(iri))
    return sources


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, labels: dict[str, str]) -> Value:
    if isinstance(term, ox.NamedNode):
        return Value(term, term_label(term.value, labels), iri=term.value)
    if isinstance(term, ox.BlankNode):
        return Value(term, f"_:{term.value}")
    if isinstance(term, ox.Triple):  # never: the graph holds no triple terms (alliance_kg.rdfinput)
        raise TypeError(f"a triple term has no value to show: {term}")
    datatype = term.datatype.value if term.datatype else ""
    shown = None if datatype.endswith(("#string", "#langString")) or not datatype else curie(datatype)
    return Value(term, term.value, language=term.language, datatype=shown)


def _order(prop: PropertyValues) -> tuple[int, str]:
    rank = _FIRST.index(prop.iri) if prop.iri in _FIRST else len(_FIRST)
    return rank, prop.label.casefold()


def view(store: ox.Store, iri: str, lang: str = "en") -> ResourceView:
    node = ox.NamedNode(iri)
    subs = {ox.Variable("this"): node}
    outgoing = list(store.quads_for_pattern(node, None, None, None))
    incoming = [
        q for q in store.quads_for_pattern(None, None, node, None) if q.predicate not in (_SUBJECT, _OBJECT)
    ]
    cited: dict[tuple[ox.NamedNode, object], list[str]] = {}
    for row in select(store, _SOURCES, substitutions=subs):
        cited.setdefault((row["p"], row["o"]), []).append(row["src"].value)
    supported = [(r["s"], r["p"], r["o"]) for r in select(store, _SUPPORTED, substitutions=subs)]
    iris = {iri}
    for q in outgoing:
        iris.add(q.predicate.value)
        if isinstance(q.object, ox.NamedNode):
            iris.add(q.object.value)
    for q in incoming:
        iris.update(
            {q.predicate.value} | ({q.subject.value} if isinstance(q.subject, ox.NamedNode) else set())
        )
    for s, p, o in supported:
        iris.update(t.value for t in (s, p, o) if isinstance(t, ox.NamedNode))
    labels = labels_for(store, iris, lang)
    sources = _sources(store, {s for srcs in cited.values() for s in srcs}, lang)

    result = ResourceView(iri, term_label(iri, labels))
    by_property: dict[str, PropertyValues] = {}
    for q in outgoing:
        p = q.predicate.value
        prop = by_property.setdefault(p, PropertyValues(p, term_label(p, labels)))
        value = _value(q.object, labels)
        value.sources = sorted(
            (sources[s] for s in cited.get((q.predicate, q.object), [])), key=lambda s: _source_key(s.text)
        )
        prop.values.append(value)
        if p == RDF + "type":
            result.types.append(value)
    for prop in by_property.values():
        prop.values.sort(key=lambda v: (v.language not in (lang, None), v.text.casefold()))
    result.properties = sorted(by_property.values(), key=_order)
    summary = [
        v
        for p in (SKOS + "definition", RDFS + "comment", DCTERMS + "description")
        for v in (by_property[p].values if p in by_property else [])
    ]
    if summary:
        best = [v for v in summary if v.language == lang] or [
            v for v in summary if v.language in ("en", None)
        ]
        result.summary = (best or summary)[0].text
    back: dict[str, PropertyValues] = {}
    for q in incoming:
        p = q.predicate.value
        prop = back.setdefault(p, PropertyValues(p, term_label(p, labels)))
        prop.values.append(_value(q.subject, labels))
    for prop in back.values():
        prop.values.sort(key=lambda v: v.text.casefold())
    result.incoming = sorted(back.values(), key=_order)
    result.sources = sorted(
        {s.iri: s for p in result.properties for v in p.values for s in v.sources}.values(),
        key=lambda s: _source_key(s.text),
    )
    result.facts_from_here = [
        Fact(_value(s, labels), _value(p, labels), _value(o, labels)) for s, p, o in supported
    ]
    return result


def _source_key(text: str) -> tuple[int, int, str]:
    if text.startswith("press release ¶"):
        return 0, int(text.rsplit("¶", 1)[1]), ""
    return 1, 0, text.casefold()


def exists(store: ox.Store, iri: str) -> bool:
    node = ox.NamedNode(iri)
    return any(True for _ in store.quads_for_pattern(node, None, None, None)) or any(
        True for _ in store.quads_for_pattern(None, None, node, None)
    )


# ---------------------------------------------------------------------------------------------------
# The description in schema.org terms, embedded in the HTML page as JSON-LD (what search engines read)

SCHEMA_ORG = "https://schema.org/"
#: The inline JSON-LD context of the embedded description: schema.org's vocabulary, written out so that a
#: JSON-LD processor expands it offline (a remote ``"@context": "https://schema.org/"`` would be fetched).
#: The properties whose values schema.org's own context coerces to IRIs (``"@type": "@id"``) are given
#: as plain strings there, as search engines expect them.
SCHEMA_CONTEXT: dict[str, object] = {
    "@vocab": SCHEMA_ORG,
    **{name: {"@id": SCHEMA_ORG + name, "@type": "@id"} for name in ("sameAs", "url", "additionalType")},
}
_TYPE = ox.NamedNode(RDF + "type")
_SCHEMA_NAME = ox.NamedNode(SCHEMA_ORG + "name")
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _schema(term: object) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(SCHEMA_ORG) and term.value != SCHEMA_ORG


def schema_triples(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The description of ``iri`` in schema.org terms, from ``store`` (the served dataset: every graph, the
    OWL 2 RL closure when reasoning is on), that the resource's HTML page embeds:

    - every triple ``<iri> ?p ?o`` with ``?p`` in ``https://schema.org/`` (the closure's ``http://schema.org/``
      triples are the same facts under the other spelling, and are left out);
    - every ``<iri> rdf:type ?c`` with ``?c`` in ``https://schema.org/``;
    - for each resource ``?o`` those triples link to: its ``schema:name`` and its schema.org types (what a
      reader of the page needs to show the link), and, for a blank node, its whole description in these
      terms, recursively.

    In a stable order; duplicates (a triple that several graphs hold) once."""
    out: list[ox.Triple] = []
    seen: set[ox.Triple] = set()

    def outgoing(node: ox.NamedNode | ox.BlankNode, *, full: bool) -> Iterable[ox.Triple]:
        quads = store.quads_for_pattern(node, None, None, None)
        for triple in sorted({q.triple for q in quads}, key=str):
            if triple.predicate == _TYPE:
                if _schema(triple.object):
                    yield triple
            elif (full and _schema(triple.predicate)) or triple.predicate == _SCHEMA_NAME:
                yield triple

    root = ox.NamedNode(iri)
    todo: list[ox.NamedNode | ox.BlankNode] = [root]
    visited: set[ox.NamedNode | ox.BlankNode] = set()
    while todo:
        node = todo.pop(0)
        if node in visited:
            continue
        visited.add(node)
        full = node == root or isinstance(node, ox.BlankNode)
        for triple in outgoing(node, full=full):
            _add(out, seen, triple)
            linked = triple.object
            if full and triple.predicate != _TYPE and isinstance(linked, (ox.NamedNode, ox.BlankNode)):
                todo.append(linked)
    return out


def _jsonld_literal(literal: ox.Literal, coerced: bool) -> object:
    datatype = literal.datatype.value if literal.datatype else _XSD + "string"
    if literal.language:
        return {"@value": literal.value, "@language": literal.language}
    if datatype == _XSD + "string":
        return {"@value": literal.value} if coerced else literal.value
    if datatype == _XSD + "integer" and literal.value.lstrip("-").isdigit():
        number = int(literal.value)
        if str(number) == literal.value and abs(number) < 2**53:  # a JSON number gives back this literal
            return number
    if datatype == _XSD + "boolean" and literal.value in ("true", "false"):
        return literal.value == "true"
    return {"@value": literal.value, "@type": datatype}


def schema_jsonld(triples: Iterable[ox.Triple], iri: str) -> dict[str, object] | None:
    """``triples`` (:func:`schema_triples`) as one JSON-LD node object about ``iri``, with the resources
    it links to nested in it, and the inline :data:`SCHEMA_CONTEXT`: it expands, offline, to exactly
    these triples. None when there are none (a page with nothing to say in schema.org terms embeds no
    JSON-LD)."""
    by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
    for triple in triples:
        subject = triple.subject
        if isinstance(subject, ox.Triple):  # never: the graph holds no triple terms (alliance_kg.rdfinput)
            raise TypeError(f"a triple term is no JSON-LD node: {subject}")
        by_subject.setdefault(subject, []).append(triple)
    root = ox.NamedNode(iri)
    if not by_subject.get(root):
        return None
    blank_ids: dict[ox.BlankNode, str] = {}

    def node_id(node: ox.NamedNode | ox.BlankNode) -> str:
        if isinstance(node, ox.BlankNode):
            return blank_ids.setdefault(node, f"_:b{len(blank_ids)}")
        return node.value

    def short(term: ox.NamedNode) -> str:
        """A schema.org IRI as the name @vocab expands back to it; an odd local name (one that could read
        as a compact IRI or a keyword) as the full IRI."""
        local = term.value[len(SCHEMA_ORG) :]
        plain = local.isascii() and local.replace("_", "").isalnum() and not local[0].isdigit()
        return local if plain else term.value

    def node(subject: ox.NamedNode | ox.BlankNode, path: frozenset[object]) -> dict[str, object]:
        described: dict[str, object] = {"@id": node_id(subject)}
        if subject in path:  # already being written further up: its @id is enough
            return described
        path = path | {subject}
        types = sorted(
            short(t.object)
            for t in by_subject.get(subject, [])
            if t.predicate == _TYPE and isinstance(t.object, ox.NamedNode)  # schema.org classes
        )
        if types:
            described["@type"] = types[0] if len(types) == 1 else types
        values: dict[str, list[object]] = {}
        for triple in by_subject.get(subject, []):
            if triple.predicate == _TYPE:
                continue
            name = short(triple.predicate)
            coerced = isinstance(SCHEMA_CONTEXT.get(name), dict)
            value = triple.object
            if isinstance(value, ox.Literal):
                values.setdefault(name, []).append(_jsonld_literal(value, coerced))
            elif isinstance(value, ox.Triple):  # never: the graph holds no triple terms
                raise TypeError(f"a triple term is no JSON-LD node: {value}")
            elif coerced and isinstance(value, ox.NamedNode) and value not in by_subject:
                values.setdefault(name, []).append(value.value)
            elif value in by_subject:
                values.setdefault(name, []).append(node(value, path))
            else:
                values.setdefault(name, []).append({"@id": node_id(value)})
        for name in sorted(values):
            found = values[name]
            described[name] = found[0] if len(found) == 1 else found
        return described

    described = node(root, frozenset())
    used = set(_keys(described))
    context = {name: value for name, value in SCHEMA_CONTEXT.items() if name == "@vocab" or name in used}
    return {"@context": context, **described}


def _keys(data: object) -> Iterable[str]:
    if isinstance(data, dict):
        for name, value in data.items():
            yield name
            yield from _keys(value)
    elif isinstance(data, list):
        for value in data:
            yield from _keys(value)
