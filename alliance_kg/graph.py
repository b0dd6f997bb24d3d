"""The bundled ontology and instance data (and a user's own files) as rdflib graphs.

rdflib holds the graph for reasoning, validation, export and the tests; the fast query path
(``alliance_kg.store``) uses pyoxigraph instead. Both read every file through :mod:`alliance_kg.rdfinput`,
by its extension (Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD, N3), with the same limits and the
same errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from . import layout, paths, rdfinput
from .namespaces import PREFIXES

#: The named graphs of the quad exports, as rdflib terms (their one definition: :mod:`alliance_kg.layout`).
ONTOLOGY_GRAPH = URIRef(layout.ONTOLOGY)
DATA_GRAPH = URIRef(layout.DATA)
VOCABULARY_GRAPH = URIRef(layout.VOCABULARIES)
SOURCES_GRAPH = URIRef(layout.SOURCES)
PROVENANCE_GRAPH = URIRef(layout.PROVENANCE)
USER_GRAPH = URIRef(layout.USER)
INFERRED_GRAPH = URIRef(layout.INFERRED)

#: Files of graph/ that state no domain facts of their own (vocabulary, sources, provenance).
NON_FACT_FILES = frozenset({"concepts.ttl", "sources.ttl", "provenance.ttl"})


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def parse_file(path: Path | str, into: Graph | None = None) -> Graph:
    """Parse one RDF file (its format by its extension, see :mod:`alliance_kg.rdfinput`) into ``into`` or a
    new graph; a missing, malformed or refused file raises :class:`~alliance_kg.errors.DataError` naming the
    file and, where known, the line."""
    return rdfinput.add_to_graph(into if into is not None else Graph(), path)


#: The former name of :func:`parse_file`, from when every file was read as Turtle.
parse_turtle = parse_file


def named_graph_of(path: Path) -> URIRef:
    return URIRef(layout.graph_of(path))


def fact_files() -> list[Path]:
    """The files of graph/ whose every triple is a domain fact that needs a source."""
    return [p for p in paths.graph_files() if p.name not in NON_FACT_FILES]


def load_graph(
    *,
    ontology: bool = True,
    data: bool = True,
    extra: Sequence[Path | str] = (),
) -> Graph:
    """The bundled ontology and data (and the user's ``extra`` files) as one rdflib graph."""
    files: list[Path] = []
    if ontology:
        files.append(paths.ontology_file())
    if data:
        files.extend(paths.graph_files())
    files.extend(Path(p) for p in extra)
    graph = bind_prefixes(Graph())
    for path in files:
        parse_file(path, into=graph)
    return graph


def load_files(files: Iterable[Path | str]) -> Graph:
    graph = bind_prefixes(Graph())
    for path in files:
        parse_file(path, into=graph)
    return graph


def load_dataset(*, extra: Sequence[Path | str] = (), reasoned: bool = False) -> Dataset:
    """The graph as an rdflib dataset of named graphs, laid out by :mod:`alliance_kg.layout`: ontology,
    data, vocabularies, sources, provenance, the user's own files (``extra``) in ``…/graph/user`` and, with
    ``reasoned``, what OWL 2 RL adds in ``…/graph/inferred``."""
    return layout.build(extra, reasoned=reasoned).rdflib_dataset()
