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

from . import paths, rdfinput
from .namespaces import GRAPH, PREFIXES

#: The named graphs of the quad exports, by the file they are read from (see README, "Named graphs").
ONTOLOGY_GRAPH = URIRef(GRAPH + "ontology")
DATA_GRAPH = URIRef(GRAPH + "data")
VOCABULARY_GRAPH = URIRef(GRAPH + "vocabularies")
SOURCES_GRAPH = URIRef(GRAPH + "sources")
PROVENANCE_GRAPH = URIRef(GRAPH + "provenance")
USER_GRAPH = URIRef(GRAPH + "user")

_GRAPH_OF_FILE = {
    "concepts.ttl": VOCABULARY_GRAPH,
    "sources.ttl": SOURCES_GRAPH,
    "provenance.ttl": PROVENANCE_GRAPH,
}

#: Files of graph/ that state no domain facts of their own (vocabulary, sources, provenance).
NON_FACT_FILES = frozenset(_GRAPH_OF_FILE)


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
    return _GRAPH_OF_FILE.get(path.name, DATA_GRAPH)


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


def load_dataset(*, extra: Sequence[Path | str] = ()) -> Dataset:
    """The bundled graph as a dataset of named graphs: ontology, data, vocabularies, sources, provenance,
    and the user's own files (``extra``) in ``…/graph/user``."""
    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace, override=True, replace=True)
    parse_file(paths.ontology_file(), into=dataset.graph(ONTOLOGY_GRAPH))
    for path in paths.graph_files():
        parse_file(path, into=dataset.graph(named_graph_of(path)))
    for path in extra:  # every graph of a user's quad file goes to …/graph/user
        parse_file(Path(path), into=dataset.graph(USER_GRAPH))
    return dataset
