"""The dataset's named-graph layout: the one definition of which triples go in which graph.

Every part of the project that names graphs reads them from here — the quad exports (``export --format nq``
and ``trig``), the loader (``alliance-kg load``), the server (its endpoints, its Graph Store reads, its
dumps) and the dataset description (VoID) — so that what is described is what is served and dumped.

The graphs, under ``https://w3id.org/alliance-kg/graph/`` (:data:`GRAPHS`, in this order):

=================  ==========================================================================
``ontology``       ``ontology/alliance.ttl``
``data``           the facts: every file of ``graph/`` not listed below
``vocabularies``   ``graph/concepts.ttl`` (the SKOS concept schemes)
``sources``        ``graph/sources.ttl``
``provenance``     ``graph/provenance.ttl``
``user``           the user's own files (``--data``): every triple of every graph of each file
``inferred``       with reasoning: the OWL 2 RL closure of all of the above (``alliance_kg.reasoning``)
                   less every triple one of the graphs above asserts
=================  ==========================================================================

Two views are defined on them, and nowhere else:

- the **default graph** (:meth:`Layout.default_graph`): the union of the asserted graphs (all but
  ``inferred``), as the plain endpoint, ``alliance-kg query`` and the triple dumps give it;
- the **closure** (:meth:`Layout.closure`): the union of every graph, ``inferred`` included — exactly the
  OWL 2 RL closure that ``alliance-kg query --reasoned`` queries and the reasoned endpoint serves.

Blank nodes keep the labels the reader gives them (after their file, the same on every read), and the
closure is computed from the same reading, so a triple of the closure and the asserted triple it copies
are equal and "inferred" is an exact difference. A documented graph name is always valid: a graph that
holds nothing in this run (``user`` without ``--data``, ``inferred`` without reasoning) is empty, not unknown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import paths, rdfinput
from .namespaces import GRAPH

if TYPE_CHECKING:  # pragma: no cover
    from rdflib import BNode, Dataset, Graph, Literal, URIRef

    RdfTerm = URIRef | BNode | Literal

ONTOLOGY = GRAPH + "ontology"
DATA = GRAPH + "data"
VOCABULARIES = GRAPH + "vocabularies"
SOURCES = GRAPH + "sources"
PROVENANCE = GRAPH + "provenance"
USER = GRAPH + "user"
INFERRED = GRAPH + "inferred"

#: The asserted graphs, in the layout's order.
ASSERTED: tuple[str, ...] = (ONTOLOGY, DATA, VOCABULARIES, SOURCES, PROVENANCE, USER)
#: Every documented graph name.
GRAPHS: tuple[str, ...] = (*ASSERTED, INFERRED)

TITLES = {
    ONTOLOGY: "The ontology (OWL 2 DL)",
    DATA: "The facts: organisations, people, plant, platforms, vehicles, events, production",
    VOCABULARIES: "The SKOS vocabularies",
    SOURCES: "The sources: the press release paragraph by paragraph, and the other pages",
    PROVENANCE: "Where each fact comes from (one rdf:Statement per fact)",
    USER: "The user's own additions (--data)",
    INFERRED: "What OWL 2 RL reasoning adds to the asserted graphs",
}

_GRAPH_OF_FILE = {
    "concepts.ttl": VOCABULARIES,
    "sources.ttl": SOURCES,
    "provenance.ttl": PROVENANCE,
}


def graph_of(path: Path | str, *, bundled: bool = True) -> str:
    """The graph a file's triples go to: a user's file always to ``user``; a bundled one by its name."""
    path = Path(path)
    if not bundled:
        return USER
    if path.name == "alliance.ttl" and path.parent.name == "ontology":
        return ONTOLOGY
    return _GRAPH_OF_FILE.get(path.name, DATA)


def local_name(graph: str) -> str:
    """``…/graph/data`` → ``data`` (the name of the graph's page, ``/graph/data``)."""
    return graph[len(GRAPH) :] if graph.startswith(GRAPH) else graph


def _distinct(parts: Iterable[Sequence[ox.Triple]]) -> list[ox.Triple]:
    seen: dict[ox.Triple, None] = {}
    for part in parts:
        seen.update(dict.fromkeys(part))
    return list(seen)


class Layout:
    """The triples of each graph (only graphs that hold any; each graph's triples distinct, in reading
    order), and whether reasoning was asked for (then ``inferred`` is present, possibly empty).

    A layout made by :func:`build` without reasoning is read from its files (:attr:`files`) when it is
    first asked for its graphs, once: the export (:func:`alliance_kg.export.export_layout`) of such a layout
    reads the files itself, into the sorted lines it writes, and never holds a million triples as Python
    objects. A file that cannot be read raises :class:`~alliance_kg.errors.DataError` there."""

    __slots__ = ("__weakref__", "_files", "_graphs", "_lock", "_views", "reasoned")

    def __init__(
        self,
        graphs: dict[str, list[ox.Triple]] | None = None,
        reasoned: bool = False,
        *,
        files: Sequence[tuple[Path, str]] | None = None,
    ) -> None:
        if graphs is None and files is None:
            graphs = {}
        self._graphs = graphs
        self._files = tuple(files) if graphs is None and files is not None else None
        self.reasoned = reasoned
        self._views: dict[str, list[ox.Triple]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        if self._graphs is None:
            return f"Layout(files={[str(p) for p, _ in self._files or ()]!r}, reasoned={self.reasoned!r})"
        return f"Layout(sizes={self.sizes()!r}, reasoned={self.reasoned!r})"

    def __reduce__(self) -> tuple[type[Layout], tuple[dict[str, list[ox.Triple]], bool]]:
        return (Layout, (self.graphs, self.reasoned))  # (a lock is not pickled; the graphs are, read)

    @property
    def files(self) -> tuple[tuple[Path, str], ...] | None:
        """The files and the graph each goes to, while the layout is still to be read from them (then
        :attr:`graphs` reads them); None once it is read, or for a layout made of given graphs."""
        return self._files if self._graphs is None else None

    @property
    def graphs(self) -> dict[str, list[ox.Triple]]:
        """Each non-empty graph's triples, distinct, in reading order."""
        if self._graphs is None:
            with self._lock:
                if self._graphs is None:
                    self._graphs = _read(self._files or ())
        return self._graphs

    @property
    def asserted_graphs(self) -> tuple[str, ...]:
        """The non-empty asserted graphs, in the layout's order."""
        return tuple(g for g in ASSERTED if self.graphs.get(g))

    @property
    def named_graphs(self) -> tuple[str, ...]:
        """The non-empty graphs, in the layout's order (``inferred`` last)."""
        return tuple(g for g in GRAPHS if self.graphs.get(g))

    @property
    def inferred(self) -> list[ox.Triple]:
        return self.graphs.get(INFERRED, [])

    def default_graph(self) -> list[ox.Triple]:
        """The union of the asserted graphs (distinct triples)."""
        if "default" not in self._views:
            self._views["default"] = _distinct(self.graphs[g] for g in self.asserted_graphs)
        return self._views["default"]

    def closure(self) -> list[ox.Triple]:
        """The union of every graph: with reasoning, the OWL 2 RL closure."""
        if "closure" not in self._views:
            self._views["closure"] = self.default_graph() + self.inferred  # inferred ∩ asserted = ∅
        return self._views["closure"]

    def graph(self, name: str) -> list[ox.Triple]:
        """One graph's triples; a documented name with nothing in it is empty. KeyError for any other."""
        if name not in GRAPHS:
            raise KeyError(name)
        return self.graphs.get(name, [])

    def sizes(self) -> dict[str, int]:
        """The triples in each non-empty graph."""
        return {g: len(self.graphs[g]) for g in self.named_graphs}

    def quads(self) -> Iterator[ox.Quad]:
        for name in self.named_graphs:
            graph = ox.NamedNode(name)
            for t in self.graphs[name]:
                yield ox.Quad(t.subject, t.predicate, t.object, graph)

    def store(self) -> ox.Store:
        """An Oxigraph store with each graph as a named graph (the default graph empty)."""
        store = ox.Store()
        store.extend(self.quads())
        return store

    def rdflib_graph(self, view: str = "default") -> Graph:
        """One view as an rdflib graph, the project's prefixes bound: ``default`` (the asserted graphs),
        ``closure`` or ``inferred`` (what OWL 2 RL adds), for the rdflib serialisers."""
        from rdflib import Graph

        from .graph import bind_prefixes

        if view == "default":
            triples = self.default_graph()
        elif view == "closure":
            triples = self.closure()
        elif view == "inferred":
            triples = self.inferred
        else:
            raise ValueError(f"unknown view {view!r}: default, closure or inferred")
        graph: Graph = bind_prefixes(Graph())
        graph.addN((*to_rdflib(t), graph) for t in triples)
        return graph

    def rdflib_dataset(self) -> Dataset:
        """The layout as an rdflib dataset of named graphs, prefixes bound (for the rdflib serialisers)."""
        from rdflib import Dataset, URIRef

        from .namespaces import PREFIXES

        dataset = Dataset()
        for prefix, namespace in PREFIXES.items():
            dataset.bind(prefix, namespace, override=True, replace=True)
        for name in self.named_graphs:
            graph = dataset.graph(URIRef(name))
            graph.addN((*to_rdflib(t), graph) for t in self.graphs[name])
        return dataset


def to_rdflib(triple: ox.Triple) -> tuple[RdfTerm, RdfTerm, RdfTerm]:
    """A pyoxigraph triple as an rdflib triple (simple literals plain, as rdflib's parsers give them)."""
    return (_rdflib_term(triple.subject), _rdflib_term(triple.predicate), _rdflib_term(triple.object))


def _rdflib_term(node: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> RdfTerm:
    from rdflib import BNode, Literal, URIRef

    if isinstance(node, ox.NamedNode):
        return URIRef(node.value)
    if isinstance(node, ox.BlankNode):
        return BNode(node.value)
    if isinstance(node, ox.Triple):
        raise ValueError("an RDF 1.2 triple term has no rdflib form")
    if node.language:
        return Literal(node.value, lang=node.language)
    if node.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return Literal(node.value)
    return Literal(node.value, datatype=URIRef(node.datatype.value))


def files(extra: Sequence[Path | str] = ()) -> list[tuple[Path, str]]:
    """Every file read, with the graph its triples go to: the bundled ones, then the user's."""
    bundled = [paths.ontology_file(), *paths.graph_files()]
    return [(p, graph_of(p)) for p in bundled] + [(Path(p), USER) for p in extra]


def inferred_from(closure: Iterable[ox.Triple], asserted: Iterable[ox.Triple]) -> list[ox.Triple]:
    """What a closure adds: its triples that no asserted graph holds (distinct, in the closure's order)."""
    known = set(asserted)
    return [t for t in dict.fromkeys(closure) if t not in known]


def _read(sources: Iterable[tuple[Path, str]]) -> dict[str, list[ox.Triple]]:
    """The triples of each non-empty asserted graph, distinct, in reading order, from its files."""
    parts: dict[str, dict[ox.Triple, None]] = {}
    for path, name in sources:
        parts.setdefault(name, {}).update(dict.fromkeys(rdfinput.read_triples(path)))
    return {name: list(parts[name]) for name in ASSERTED if parts.get(name)}


def build(
    extra: Sequence[Path | str] = (),
    *,
    reasoned: bool = False,
    on_compute: Callable[[], None] | None = None,
) -> Layout:
    """The layout of the bundled graph and the user's ``extra`` files; with ``reasoned``, the ``inferred``
    graph from the cached closure (``on_compute`` is called first when it has to be computed). Files are
    read by :mod:`alliance_kg.rdfinput` (its formats, limits and errors). Without reasoning, the files are
    read when the layout is first used (see :class:`Layout`), and their errors raised then."""
    if not reasoned:
        return Layout(files=files(extra))
    from .reasoning import closure_bytes

    graphs = _read(files(extra))
    body = closure_bytes(extra, on_compute=on_compute)
    closure = (q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    asserted = (t for triples in graphs.values() for t in triples)
    graphs[INFERRED] = inferred_from(closure, asserted)
    return Layout(graphs, reasoned)
