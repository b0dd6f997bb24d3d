"""SHACL validation on Oxigraph: the shapes compiled into SPARQL queries over the whole graph.

:func:`load_store` reads RDF files (through :mod:`alliance_kg.rdfinput`, with its limits) into a store whose
terms are those of the rdflib graph pySHACL would validate (:mod:`alliance_kg.shacl.terms`);
:func:`read_shapes` reads a shapes graph; :func:`validate` runs the engine (:mod:`alliance_kg.shacl.engine`)
and, for the shapes it does not compile, pySHACL, and returns every result as a :class:`Hit`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from .engine import Engine, Hit, decoded
from .model import SH, ShapesGraph
from .terms import Term, TermMapper, from_rdflib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["Hit", "Validation", "load_store", "read_shapes", "store_from_graph", "validate"]


def load_store(files: Iterable[Path | str], mapper: TermMapper, store: ox.Store | None = None) -> ox.Store:
    """The triples of ``files`` in (the default graph of) a new store, or of ``store``: read and checked by
    :mod:`alliance_kg.rdfinput` (its limits, its errors, its blank-node labels: those of the rdflib graph
    pySHACL would read), their literals mapped by ``mapper``."""
    from .. import rdfinput

    store = store if store is not None else ox.Store()
    with _collector_paused():
        for path in files:
            quads = rdfinput.checked_quads(Path(path))  # the checked quads as they are read
            while chunk := list(islice(quads, _CHUNK)):
                store.extend(mapper.map_quads(chunk))
    return store


#: quads handed to the store at once
_CHUNK = 100_000


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a million terms are made (none of them is in a cycle)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def store_from_graph(graph: Graph, mapper: TermMapper) -> ox.Store:
    """An rdflib graph (or the union of a dataset's graphs) in a new store."""
    store = ox.Store()
    source = graph.quads((None, None, None, None)) if hasattr(graph, "quads") else graph
    with _collector_paused():
        quads = []
        for s, p, o, *_ in source:
            subject, predicate, obj = from_rdflib(s), from_rdflib(p), from_rdflib(o)
            if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
                continue  # a generalised triple: not RDF, never in a graph that is validated
            quads.append(ox.Quad(subject, predicate, obj))
        for start in range(0, len(quads), _CHUNK):
            store.extend(mapper.map_quads(quads[start : start + _CHUNK]))
    return store


def read_shapes(source: Path | str | Graph) -> ShapesGraph:
    """The shapes graph of a file (read as :func:`alliance_kg.graph.parse_file` reads it: the same blank-node
    labels) or of an rdflib graph."""
    if isinstance(source, Path | str):
        from .. import rdfinput

        return ShapesGraph(rdfinput.read_triples(source))
    triples = []
    for s, p, o in source:
        subject, predicate, obj = from_rdflib(s), from_rdflib(p), from_rdflib(o)
        if isinstance(subject, ox.NamedNode | ox.BlankNode) and isinstance(predicate, ox.NamedNode):
            triples.append(ox.Triple(subject, predicate, obj))
    return ShapesGraph(triples)


@dataclass
class Validation:
    hits: list[Hit]
    #: shapes validated by pySHACL instead of the engine, with the reason
    fallback: dict[Term, str] = field(default_factory=dict)
    queries: int = 0


def validate(
    store: ox.Store,
    shapes: ShapesGraph,
    mapper: TermMapper,
    *,
    data_graph: Callable[[], Graph] | None = None,
    shapes_graph: Callable[[], Graph] | None = None,
) -> Validation:
    """Validate the default graph of ``store`` against ``shapes``. The shapes the engine does not compile go
    to pySHACL, on ``data_graph()`` (by default the store's triples as an rdflib graph) and
    ``shapes_graph()`` (by default ``shapes`` as one)."""
    engine = Engine(shapes, mapper)
    outcome = engine.run(store)
    hits = [decoded(h) for h in outcome.hits]
    if outcome.fallback:
        data = data_graph() if data_graph is not None else rdflib_graph(store)
        rdflib_shapes = shapes_graph() if shapes_graph is not None else _rdflib_shapes(shapes)
        hits += pyshacl_hits(data, rdflib_shapes, set(outcome.fallback), engine.compiler.roots())
    return Validation(hits, outcome.fallback, outcome.queries)


def rdflib_graph(store: ox.Store) -> Graph:
    """The default graph of a store as an rdflib graph, surrogates decoded."""
    from rdflib import Graph

    from .terms import to_rdflib

    graph = Graph()
    graph.addN(
        (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object), graph)
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        if not isinstance(q.subject, ox.Triple) and not isinstance(q.object, ox.Triple)
    )
    return graph


def _rdflib_shapes(shapes: ShapesGraph) -> Graph:
    from rdflib import Graph

    from ..graph import bind_prefixes
    from .terms import to_rdflib

    graph = bind_prefixes(Graph())
    for s, p, o in shapes.triples:
        graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
    return graph


_TARGETS = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target")


def pyshacl_hits(data: Graph, shapes: Graph, keep: set[Term], roots: Sequence[Term]) -> list[Hit]:
    """pySHACL's results for the root shapes ``keep`` alone: the other roots lose their targets."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF
    from rdflib.term import Node

    from .terms import to_rdflib

    reduced = Graph()
    for prefix, namespace in shapes.namespace_manager.namespaces():
        reduced.bind(prefix, namespace)
    drop = {to_rdflib(r) for r in roots if r not in keep}
    targets = {URIRef(SH + t) for t in _TARGETS}
    for s, p, o in shapes:
        if s in drop and p in targets:
            continue
        reduced.add((s, p, o))
    from ..validate import pyshacl_report

    report = pyshacl_report(data, reduced, inplace=True)
    sh = {
        name: URIRef(SH + name)
        for name in (
            "focusNode",
            "resultPath",
            "value",
            "resultSeverity",
            "sourceShape",
            "sourceConstraintComponent",
            "sourceConstraint",
            "resultMessage",
        )
    }
    hits = []
    for node in report.subjects(RDF.type, URIRef(SH + "ValidationResult")):

        def one(name: str, node: Node = node) -> Term | None:
            found = report.value(node, sh[name])
            return None if found is None else from_rdflib(found)

        severity = one("resultSeverity")
        hits.append(
            Hit(
                shape=_required(one("sourceShape")),
                component=str(_required(one("sourceConstraintComponent")).value),
                focus=_required(one("focusNode")),
                path=one("resultPath"),
                value=one("value"),
                severity=severity.value if isinstance(severity, ox.NamedNode) else SH + "Violation",
                messages=tuple(
                    m
                    for m in (from_rdflib(x) for x in report.objects(node, sh["resultMessage"]))
                    if isinstance(m, ox.Literal)
                ),
                constraint=one("sourceConstraint"),
            )
        )
    return hits


def _required(term: Term | None) -> Term:
    if term is None:
        raise ValueError("a pySHACL result without a required property")
    return term
