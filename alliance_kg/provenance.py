"""Statement-level provenance (see README, "Provenance").

Every domain fact ``s p o`` of graph/ is asserted plainly *and* described by one statement node in
graph/provenance.ttl, in standard RDF reification::

    statement:<hash> a rdf:Statement ;
        rdf:subject s ; rdf:predicate p ; rdf:object o ;
        prov:wasDerivedFrom release:p4 .          # a paragraph of the press release, or a named page

The node's IRI is ``…/id/statement/`` + the first 16 hex digits of the SHA-256 of the triple in
N-Triples, so it is stable, unique per triple and checkable. ``python -m alliance_kg.provenance missing``
prints a stub for every fact that has no statement yet.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD
from rdflib.term import Node

from .namespaces import STATEMENT

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}

Triple = tuple[Node, Node, Node]


def nt_term(term: Node) -> str:
    """The canonical N-Triples form of an IRI or a literal (xsd:string written as a simple literal)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = "".join(_ESCAPES.get(ch, ch) for ch in str(term))
        if term.language:
            return f'"{text}"@{term.language.lower()}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    raise TypeError(f"no N-Triples form for {term!r} (blank nodes carry no provenance)")


def statement_iri(triple: Triple) -> URIRef:
    s, p, o = triple
    line = f"{nt_term(s)} {nt_term(p)} {nt_term(o)} ."
    return URIRef(STATEMENT + hashlib.sha256(line.encode("utf-8")).hexdigest()[:16])


@dataclass(frozen=True)
class Statement:
    iri: URIRef
    triple: Triple
    sources: frozenset[Node]


def statements(graph: Graph) -> list[Statement]:
    """The rdf:Statement nodes of ``graph``, with the sources each cites. A node that is not an IRI, or
    lacks its subject, predicate or object, describes no triple and is left out (tests/test_provenance.py
    reports such nodes)."""
    found = []
    for node in graph.subjects(RDF.type, RDF.Statement):
        s = graph.value(node, RDF.subject)
        p = graph.value(node, RDF.predicate)
        o = graph.value(node, RDF.object)
        if not isinstance(node, URIRef) or s is None or p is None or o is None:
            continue
        sources = frozenset(graph.objects(node, PROV.wasDerivedFrom))
        found.append(Statement(node, (s, p, o), sources))
    return sorted(found, key=lambda st: str(st.iri))


def unsourced(facts: Iterable[Triple], provenance: Graph) -> list[Triple]:
    """The facts that no statement node with at least one source describes."""
    sourced = {st.triple for st in statements(provenance) if st.sources}
    return sorted((t for t in facts if t not in sourced), key=lambda t: tuple(map(str, t)))


def stub(triple: Triple, graph: Graph | None = None) -> str:
    """A Turtle block for the statement node of ``triple``, with the source left to fill in."""
    nm = graph.namespace_manager if graph is not None else None

    def show(term: Node) -> str:
        return term.n3(nm) if nm is not None else nt_term(term)

    s, p, o = triple
    return (
        f"<{statement_iri(triple)}>\n"
        f"    a rdf:Statement ;\n"
        f"    rdf:subject {show(s)} ;\n"
        f"    rdf:predicate {show(p)} ;\n"
        f"    rdf:object {show(o)} ;\n"
        f"    prov:wasDerivedFrom ?SOURCE .\n"
    )


def _missing() -> int:
    from . import paths
    from .graph import bind_prefixes, fact_files, load_files

    facts = load_files(fact_files())
    provenance = load_files([paths.graph_dir() / "provenance.ttl"])
    missing = unsourced(facts, provenance)
    bind_prefixes(facts)
    for triple in missing:
        print(stub(triple, facts))
    print(f"{len(missing)} fact(s) without a source", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":  # pragma: no cover - maintainer tool
    if sys.argv[1:] != ["missing"]:
        print("usage: python -m alliance_kg.provenance missing", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(_missing())
