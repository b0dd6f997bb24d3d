"""Figures about the graph: triples, classes and their instances, properties, sources."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .formats import curie, labels_for
from .store import select


@dataclass
class Stats:
    triples: int
    classes: list[tuple[str, str, int]]  # iri, label, instances
    properties: list[tuple[str, int]]  # curie, uses
    sources: list[tuple[str, str, int]]  # iri, label, facts citing it
    statements: int


def compute(store: ox.Store, lang: str = "en") -> Stats:
    triples = len(store)
    classes = [
        (r["c"].value, int(r["n"].value))
        for r in select(
            store,
            "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c FILTER(?c != rdf:Statement) } "
            "GROUP BY ?c ORDER BY DESC(?n) ?c",
        )
    ]
    properties = [
        (curie(r["p"].value), int(r["n"].value))
        for r in select(
            store, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p"
        )
    ]
    sources = [
        (r["doc"].value, int(r["n"].value))
        for r in select(
            store,
            """SELECT ?doc (COUNT(DISTINCT ?st) AS ?n) WHERE {
             ?st prov:wasDerivedFrom ?src .
             OPTIONAL { ?src akg:isParagraphOf ?parent }
             BIND(COALESCE(?parent, ?src) AS ?doc)
           } GROUP BY ?doc ORDER BY DESC(?n) ?doc""",
        )
    ]
    statements = int(
        next(iter(select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s a rdf:Statement }")))["n"].value
    )
    labels = labels_for(store, [c for c, _ in classes] + [d for d, _ in sources], lang)
    return Stats(
        triples=triples,
        classes=[(c, labels.get(c, curie(c)), n) for c, n in classes],
        properties=properties,
        sources=[(d, labels.get(d, d), n) for d, n in sources],
        statements=statements,
    )


#: The namespaces of the classes of the ontology's own terms (owl:Class, owl:ObjectProperty, rdfs:Datatype,
#: rdf:Property…), counted apart from the classes of the data.
METACLASS_NAMESPACES = (
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
)


def is_metaclass(iri: str) -> bool:
    return iri.startswith(METACLASS_NAMESPACES)


def render(stats: Stats) -> str:
    out = [
        f"{stats.triples} triples, {sum(not is_metaclass(c) for c, _, _ in stats.classes)} classes with "
        f"instances (and {sum(is_metaclass(c) for c, _, _ in stats.classes)} OWL/RDFS metaclasses), "
        f"{len(stats.properties)} properties, {stats.statements} sourced facts, "
        f"{len(stats.sources)} sources",
        "",
        "Instances per class:",
    ]
    data = [c for c in stats.classes if not is_metaclass(c[0])]
    meta = [c for c in stats.classes if is_metaclass(c[0])]
    width = max((len(curie(c)) for c, _, _ in stats.classes), default=0)

    def line(c: str, label: str, n: int) -> str:
        name = curie(c)
        return f"  {n:5d}  {name.ljust(width)}  {label}".rstrip() if label != name else f"  {n:5d}  {name}"

    out += [line(*c) for c in data]
    out += ["", "Ontology terms per OWL/RDFS metaclass:"]
    out += [line(*c) for c in meta]
    out += ["", "Properties (uses):"]
    out += [f"  {n:5d}  {p}" for p, n in stats.properties]
    out += ["", "Sources (facts citing each):"]
    out += [f"  {n:5d}  {label}" for _, label, n in stats.sources]
    return "\n".join(out) + "\n"
