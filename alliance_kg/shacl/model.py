"""The shapes graph, read into plain Python: an index of its triples, SHACL paths as SPARQL property
paths, and the shapes' common attributes (severity, messages, deactivation)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import pyoxigraph as ox

from .terms import Term

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = RDF + "type"
RDF_FIRST, RDF_REST, RDF_NIL = RDF + "first", RDF + "rest", RDF + "nil"


class Unsupported(Exception):
    """A shape uses a feature the compiler does not translate: the shape goes to pySHACL."""


class ShapesGraph:
    """The triples of a shapes graph, indexed by subject and by (predicate, object)."""

    def __init__(self, triples: Iterable[ox.Triple | ox.Quad]) -> None:
        self._spo: dict[Term, dict[str, list[Term]]] = {}
        self._po: dict[tuple[str, Term], list[Term]] = {}
        self.triples: list[tuple[Term, ox.NamedNode, Term]] = []
        seen: set[tuple[Term, str, Term]] = set()
        for t in triples:
            s, p, o = t.subject, t.predicate, t.object
            if not isinstance(s, ox.NamedNode | ox.BlankNode) or isinstance(o, ox.Triple):
                continue
            key = (s, p.value, o)
            if key in seen:
                continue
            seen.add(key)
            self.triples.append((s, p, o))
            self._spo.setdefault(s, {}).setdefault(p.value, []).append(o)
            self._po.setdefault((p.value, o), []).append(s)

    def __len__(self) -> int:
        return len(self.triples)

    def objects(self, subject: Term, predicate: str) -> list[Term]:
        return self._spo.get(subject, {}).get(predicate, [])

    def value(self, subject: Term, predicate: str) -> Term | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def predicates(self, subject: Term) -> list[str]:
        return list(self._spo.get(subject, {}))

    def subjects(self, predicate: str, obj: Term) -> list[Term]:
        return self._po.get((predicate, obj), [])

    def subjects_of(self, predicate: str) -> list[Term]:
        return [s for (p, _), subjects in self._po.items() if p == predicate for s in subjects]

    def items(self, node: Term) -> list[Term]:
        """The members of an RDF list."""
        out: list[Term] = []
        seen: set[Term] = set()
        while not (isinstance(node, ox.NamedNode) and node.value == RDF_NIL):
            if node in seen:
                raise Unsupported("a cyclic RDF list")
            seen.add(node)
            first = self.value(node, RDF_FIRST)
            rest = self.value(node, RDF_REST)
            if first is None or rest is None:
                raise Unsupported("a malformed RDF list")
            out.append(first)
            node = rest
        return out

    def describe(self, node: Term) -> Iterator[tuple[Term, ox.NamedNode, Term]]:
        """The triples about a blank node and, recursively, the blank nodes it points to (what pySHACL copies
        into a report for a blank-node path or shape)."""
        todo, seen = [node], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            for predicate, objects in self._spo.get(current, {}).items():
                for obj in objects:
                    yield current, ox.NamedNode(predicate), obj
                    if isinstance(obj, ox.BlankNode):
                        todo.append(obj)


@dataclass(frozen=True)
class Path:
    node: Term  # the sh:path value in the shapes graph
    sparql: str  # the same path in SPARQL 1.1 property path syntax
    predicate: str | None  # the IRI, for a plain predicate path


def read_path(graph: ShapesGraph, node: Term) -> Path:
    return Path(node, _path_sparql(graph, node, 0), node.value if isinstance(node, ox.NamedNode) else None)


def _path_sparql(graph: ShapesGraph, node: Term, depth: int) -> str:
    if depth > 50:
        raise Unsupported("a path nested too deeply")
    if isinstance(node, ox.NamedNode):
        return str(node)
    if not isinstance(node, ox.BlankNode):
        raise Unsupported("a literal as a path")
    keys = set(graph.predicates(node))
    if RDF_FIRST in keys:  # a sequence
        members = graph.items(node)
        if len(members) < 2:
            raise Unsupported("a sequence path of fewer than two members")
        return "(" + "/".join(_path_sparql(graph, m, depth + 1) for m in members) + ")"
    unary = {
        SH + "inversePath": "^{}",
        SH + "zeroOrMorePath": "{}*",
        SH + "oneOrMorePath": "{}+",
        SH + "zeroOrOnePath": "{}?",
    }
    for key, form in unary.items():
        if key in keys:
            inner = graph.value(node, key)
            assert inner is not None
            return "(" + form.format(_path_sparql(graph, inner, depth + 1)) + ")"
    if SH + "alternativePath" in keys:
        alternatives = graph.value(node, SH + "alternativePath")
        assert alternatives is not None
        members = graph.items(alternatives)
        if len(members) < 2:
            raise Unsupported("an alternative path of fewer than two members")
        return "(" + "|".join(_path_sparql(graph, m, depth + 1) for m in members) + ")"
    raise Unsupported("an unknown kind of path")


N = TypeVar("N")


def render_path(
    node: N,
    value: Callable[[N, str], N | None],
    items: Callable[[N], list[N]],
    iri: Callable[[N], str | None],
    short: Callable[[str], str],
    depth: int = 0,
) -> str:
    """A SHACL path as SPARQL property path text with CURIEs (``akg:isBrandOf|^akg:ownsBrand``), over any
    graph: ``value(node, predicate IRI)``, ``items(list node)`` and ``iri(node)`` (None for a blank node)
    read it. The report shows this instead of a blank node's label, which changes on every run."""

    def inner(n: N) -> str:
        text = render_path(n, value, items, iri, short, depth + 1)
        return f"({text})" if any(c in text for c in "|/") else text

    name = iri(node)
    if name is not None:
        return short(name)
    if depth > 50:
        return "…"
    first = value(node, RDF_FIRST)
    if first is not None:
        return "/".join(inner(m) for m in items(node))
    for key, form in (
        ("inversePath", "^{}"),
        ("zeroOrMorePath", "{}*"),
        ("oneOrMorePath", "{}+"),
        ("zeroOrOnePath", "{}?"),
    ):
        found = value(node, SH + key)
        if found is not None:
            return form.format(inner(found))
    alternatives = value(node, SH + "alternativePath")
    if alternatives is not None:
        return "|".join(inner(m) for m in items(alternatives))
    return "?"


def render_graph_path(graph: ShapesGraph, node: Term, short: Callable[[str], str]) -> str:
    return render_path(
        node,
        graph.value,
        graph.items,
        _iri,
        short,
    )


def _iri(node: Term) -> str | None:
    return node.value if isinstance(node, ox.NamedNode) else None
