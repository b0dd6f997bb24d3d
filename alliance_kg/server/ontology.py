"""The ontology's documentation page: every class and property of ``akg:``, with what the ontology says
of it (definition, super- and subclasses, disjointness, domain, range, inverse, characteristics…)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..formats import labels_for
from ..namespaces import AKG, DCTERMS, ONTOLOGY_IRI, OWL, RDF, RDFS, SKOS
from .pages import Term
from .resources import Value, term_label

TYPE_CHECKING = False  # imports for the type checker only, as in the rest of the package
if TYPE_CHECKING:
    from collections.abc import Sequence

    Resource = ox.NamedNode | ox.BlankNode
    RdfTerm = ox.NamedNode | ox.BlankNode | ox.Literal

_KINDS = (
    ("Classes", "class", OWL + "Class"),
    ("Object properties", "object property", OWL + "ObjectProperty"),
    ("Datatype properties", "datatype property", OWL + "DatatypeProperty"),
    ("Annotation properties", "annotation property", OWL + "AnnotationProperty"),
)
_CHARACTERISTICS = {
    OWL + "FunctionalProperty": "functional",
    OWL + "InverseFunctionalProperty": "inverse functional",
    OWL + "TransitiveProperty": "transitive",
    OWL + "SymmetricProperty": "symmetric",
    OWL + "AsymmetricProperty": "asymmetric",
    OWL + "ReflexiveProperty": "reflexive",
    OWL + "IrreflexiveProperty": "irreflexive",
}
_RELATIONS = (
    ("subclass of", RDFS + "subClassOf", False),
    ("equivalent to", OWL + "equivalentClass", False),
    ("disjoint with", OWL + "disjointWith", False),
    ("subclasses", RDFS + "subClassOf", True),
    ("subproperty of", RDFS + "subPropertyOf", False),
    ("equivalent property", OWL + "equivalentProperty", False),
    ("inverse of", OWL + "inverseOf", False),
    ("domain", RDFS + "domain", False),
    ("range", RDFS + "range", False),
    ("subproperties", RDFS + "subPropertyOf", True),
)


@dataclass
class OntologyDoc:
    title: str
    description: str | None
    metadata: list[tuple[str, list[Value]]]
    sections: list[tuple[str, list[Term]]]


# The graph holds no triple terms (alliance_kg.rdfinput refuses them): leaving them out changes nothing.
def _objects(store: ox.Store, s: Resource, p: str) -> list[RdfTerm]:
    quads = store.quads_for_pattern(s, ox.NamedNode(p), None, None)
    return [q.object for q in quads if not isinstance(q.object, ox.Triple)]


def _subjects(store: ox.Store, p: str, o: ox.NamedNode) -> list[Resource]:
    quads = store.quads_for_pattern(None, ox.NamedNode(p), o, None)
    return [q.subject for q in quads if not isinstance(q.subject, ox.Triple)]


def _list(store: ox.Store, head: RdfTerm | None) -> list[RdfTerm]:
    items: list[RdfTerm] = []
    seen: set[ox.BlankNode] = set()
    while isinstance(head, ox.BlankNode) and head not in seen:
        seen.add(head)
        items += _objects(store, head, RDF + "first")
        rest = _objects(store, head, RDF + "rest")
        head = rest[0] if rest else None
    return items


def _text(store: ox.Store, node: ox.NamedNode, predicate: str, lang: str) -> str | None:
    values = [o for o in _objects(store, node, predicate) if isinstance(o, ox.Literal)]
    for wanted in (lang, "en", None):
        for value in values:
            if value.language == wanted:
                return value.value
    return values[0].value if values else None


def document(store: ox.Store, lang: str = "en") -> OntologyDoc:
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    terms: list[tuple[str, str, ox.NamedNode]] = []
    for heading, kind, cls in _KINDS:
        for node in sorted(_subjects(store, RDF + "type", ox.NamedNode(cls)), key=lambda n: n.value):
            if isinstance(node, ox.NamedNode) and node.value.startswith(AKG):
                terms.append((heading, kind, node))
    disjoint: dict[RdfTerm, set[RdfTerm]] = {}
    for group in _subjects(store, RDF + "type", ox.NamedNode(OWL + "AllDisjointClasses")):
        members = [m for head in _objects(store, group, OWL + "members") for m in _list(store, head)]
        for member in members:
            disjoint.setdefault(member, set()).update(m for m in members if m != member)
    chains: dict[ox.NamedNode, list[list[RdfTerm]]] = {}
    wanted_iris = {t[2].value for t in terms}
    related: dict[tuple[ox.NamedNode, str], list[ox.NamedNode]] = {}
    for _, _, node in terms:
        for what, predicate, inverse in _RELATIONS:
            values: Sequence[RdfTerm] = (
                _subjects(store, predicate, node) if inverse else _objects(store, node, predicate)
            )
            if predicate == OWL + "disjointWith" and not inverse:
                values = [*values, *sorted(disjoint.get(node, set()) - set(values), key=lambda n: n.value)]
            named = [v for v in values if isinstance(v, ox.NamedNode)]
            if named:
                related[(node, what)] = named
                wanted_iris.update(v.value for v in named)
        for head in _objects(store, node, OWL + "propertyChainAxiom"):
            chain = _list(store, head)
            chains.setdefault(node, []).append(chain)
            wanted_iris.update(v.value for v in chain if isinstance(v, ox.NamedNode))
    labels = labels_for(store, wanted_iris, lang)

    def value(node: ox.NamedNode) -> Value:
        return Value(node, term_label(node.value, labels), iri=node.value)

    sections: dict[str, list[Term]] = {heading: [] for heading, _, _ in _KINDS}
    for heading, kind, node in terms:
        rows: list[tuple[str, list[Value]]] = []
        types = [t.value for t in _objects(store, node, RDF + "type")]
        characteristics = [_CHARACTERISTICS[t] for t in types if t in _CHARACTERISTICS]
        if characteristics:
            rows.append(("characteristics", [Value(ox.Literal(c), c) for c in characteristics]))
        for what, _, _ in _RELATIONS:
            if (node, what) in related:
                rows.append((what, [value(v) for v in related[(node, what)]]))
        for chain in chains.get(node, []):
            text = " then ".join(term_label(v.value, labels) for v in chain if isinstance(v, ox.NamedNode))
            rows.append(("implied by the chain", [Value(ox.Literal(text), text)]))
        sections[heading].append(
            Term(
                node.value,
                kind,
                term_label(node.value, labels),
                _text(store, node, SKOS + "definition", lang),
                rows,
                _text(store, node, RDFS + "comment", lang),
            )
        )
    metadata: list[tuple[str, list[Value]]] = []
    for name, predicate in (
        ("version", OWL + "versionInfo"),
        ("version IRI", OWL + "versionIRI"),
        ("licence", DCTERMS + "license"),
        ("created", DCTERMS + "created"),
        ("modified", DCTERMS + "modified"),
        ("see also", RDFS + "seeAlso"),
    ):
        shown: list[Value] = []
        for o in _objects(store, ontology, predicate):
            shown.append(Value(o, o.value, iri=o.value) if isinstance(o, ox.NamedNode) else Value(o, o.value))
        if shown:
            metadata.append((name, sorted(shown, key=lambda v: v.text)))
    title = _text(store, ontology, DCTERMS + "title", lang) or "The Alliance ontology"
    return OntologyDoc(
        title,
        _text(store, ontology, DCTERMS + "description", lang),
        metadata,
        [(h, sections[h]) for h, _, _ in _KINDS],
    )
