"""The data the server serves, loaded once at start-up.

Two Oxigraph stores hold it:

- the **dataset**, what the SPARQL endpoint queries: one named graph per part of the graph, as in the quad
  exports (``…/graph/ontology``, ``…/graph/data``, ``…/graph/vocabularies``, ``…/graph/sources``,
  ``…/graph/provenance``, ``…/graph/user`` for the ``--data`` files) and, unless reasoning is off,
  ``…/graph/inferred``: what OWL 2 RL adds to them (the closure cached by ``alliance_kg.reasoning``, less
  the asserted triples and less the triples about blank nodes, which are the ontology's own axioms).
  The endpoint's default graph is the union of the asserted graphs, so a query gets the same answers as
  ``alliance-kg query``; naming every graph with ``default-graph-uri`` gives the closure, as
  ``alliance-kg query --reasoned`` does.
- the **pages** store, everything asserted in its default graph (what ``alliance-kg describe`` reads),
  for the resource pages and descriptions.

The files are read as by every command, through :mod:`alliance_kg.rdfinput` (Turtle, N-Triples, N-Quads,
TriG, RDF/XML, JSON-LD, N3, by extension; every graph of a quad file goes to ``…/graph/user``), within its
limits: a file that would expand without bound (XML entities, deep nesting, huge terms, costly JSON-LD
contexts) makes the server refuse to start, with the message and exit code of the CLI (2). Loading never
fetches anything: external XML entities and remote JSON-LD contexts are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .. import rdfinput
from .. import store as kg_store
from ..namespaces import GRAPH

ONTOLOGY_GRAPH = GRAPH + "ontology"
DATA_GRAPH = GRAPH + "data"
VOCABULARY_GRAPH = GRAPH + "vocabularies"
SOURCES_GRAPH = GRAPH + "sources"
PROVENANCE_GRAPH = GRAPH + "provenance"
USER_GRAPH = GRAPH + "user"
INFERRED_GRAPH = GRAPH + "inferred"

_GRAPH_OF_FILE = {
    "concepts.ttl": VOCABULARY_GRAPH,
    "sources.ttl": SOURCES_GRAPH,
    "provenance.ttl": PROVENANCE_GRAPH,
}
_ORDER = (ONTOLOGY_GRAPH, DATA_GRAPH, VOCABULARY_GRAPH, SOURCES_GRAPH, PROVENANCE_GRAPH, USER_GRAPH)


@dataclass
class ServedData:
    dataset: ox.Store
    pages: ox.Store
    asserted_graphs: tuple[str, ...]  # the non-empty asserted graphs, in a stable order
    inferred_graph: str | None  # None when reasoning is off
    graph_sizes: dict[str, int] = field(default_factory=dict)

    @property
    def graphs(self) -> tuple[str, ...]:
        """Every named graph of the dataset."""
        return self.asserted_graphs + ((self.inferred_graph,) if self.inferred_graph else ())

    def nquads(self) -> bytes:
        """The whole dataset, for the query workers to load."""
        return self.dataset.dump(format=ox.RdfFormat.N_QUADS) or b""


def _graph_of(path: Path, bundled: bool) -> str:
    if not bundled:
        return USER_GRAPH
    if path.name == "alliance.ttl" and path.parent.name == "ontology":
        return ONTOLOGY_GRAPH
    return _GRAPH_OF_FILE.get(path.name, DATA_GRAPH)


def _read(path: Path) -> list[ox.Triple]:
    """The triples of one file (DataError with the file and the line when it is malformed or refused)."""
    return rdfinput.read_triples(path)


def load(
    extra: Sequence[Path | str] = (),
    *,
    reasoning: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> ServedData:
    dataset = ox.Store()
    pages = ox.Store()
    sizes: dict[str, int] = {}
    files = [(p, True) for p in kg_store.bundled_files()] + [(Path(p), False) for p in extra]
    for path, bundled in files:
        graph = _graph_of(path, bundled)
        name = ox.NamedNode(graph)
        triples = _read(path)
        dataset.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
        pages.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    for graph in _ORDER:
        count = sum(1 for _ in dataset.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        if count:
            sizes[graph] = count
    asserted = tuple(g for g in _ORDER if g in sizes)
    inferred = None
    if reasoning:
        from ..reasoning import cache_dir, cached_closure, closure_key

        if not (cache_dir() / f"closure-{closure_key(extra)}.nt").is_file():
            log("computing the OWL 2 RL closure (a few seconds; cached for the next start)…")
        closure = ox.Store()
        closure.load(path=str(cached_closure(extra)), format=ox.RdfFormat.N_TRIPLES)
        name = ox.NamedNode(INFERRED_GRAPH)
        new = [
            ox.Quad(q.subject, q.predicate, q.object, name)
            for q in closure
            if not isinstance(q.subject, ox.BlankNode)
            and not isinstance(q.object, ox.BlankNode)
            and ox.Quad(q.subject, q.predicate, q.object) not in pages
        ]
        dataset.extend(new)
        inferred = INFERRED_GRAPH
        sizes[INFERRED_GRAPH] = len(new)
    return ServedData(dataset, pages, asserted, inferred, sizes)
