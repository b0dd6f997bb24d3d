"""Load the bundled ontology and instance data (and a user's own Turtle files) with rdflib.

rdflib is the reference parser of the project: it loads the graph for reasoning, validation, export and
the tests. The fast query path (``alliance_kg.store``) uses pyoxigraph instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.plugins.parsers.notation3 import BadSyntax

from . import paths
from .errors import DataError
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


def parse_turtle(path: Path | str, into: Graph | None = None) -> Graph:
    """Parse one Turtle file; a missing, unreadable or malformed file raises :class:`DataError`
    naming the file and the line."""
    path = Path(path)
    graph = into if into is not None else Graph()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    try:
        graph.parse(data=data, format="turtle", publicID=path.resolve().as_uri())
    except BadSyntax as exc:
        line, reason = _locate(data, exc)
        raise DataError(str(path), f"Turtle syntax error: {reason}", line=line) from None
    except UnicodeDecodeError as exc:
        raise DataError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except Exception as exc:  # rdflib raises assorted errors for malformed terms
        raise DataError(str(path), f"cannot parse as Turtle: {exc}") from None
    return graph


def _locate(data: bytes, exc: BadSyntax) -> tuple[int, str]:
    """Line and reason of a Turtle syntax error. rdflib's line count can run past the end of the file, so
    ask Oxigraph's parser, which reports the exact position, and fall back on rdflib's."""
    try:
        import pyoxigraph

        for _ in pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE):
            pass
    except SyntaxError as oxi:
        if oxi.lineno:
            reason = str(oxi.msg or exc._why).split(": ", 1)[-1]
            return oxi.lineno, reason
    except Exception:  # any other failure: keep rdflib's account
        pass
    return exc.lines + 1, exc._why


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
    """The bundled ontology and data (and the ``extra`` Turtle files) as one rdflib graph."""
    files: list[Path] = []
    if ontology:
        files.append(paths.ontology_file())
    if data:
        files.extend(paths.graph_files())
    files.extend(Path(p) for p in extra)
    graph = bind_prefixes(Graph())
    for path in files:
        parse_turtle(path, into=graph)
    return graph


def load_files(files: Iterable[Path | str]) -> Graph:
    graph = bind_prefixes(Graph())
    for path in files:
        parse_turtle(path, into=graph)
    return graph


def load_dataset(*, extra: Sequence[Path | str] = ()) -> Dataset:
    """The bundled graph as a dataset of named graphs: ontology, data, vocabularies, sources, provenance,
    and the user's own files (``extra``) in ``…/graph/user``."""
    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace, override=True, replace=True)
    parse_turtle(paths.ontology_file(), into=dataset.graph(ONTOLOGY_GRAPH))
    for path in paths.graph_files():
        parse_turtle(path, into=dataset.graph(named_graph_of(path)))
    for path in extra:
        parse_turtle(Path(path), into=dataset.graph(USER_GRAPH))
    return dataset
