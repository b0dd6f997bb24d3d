"""The query engine: the bundled graph (and a user's files) in an in-memory Oxigraph store.

pyoxigraph parses the whole bundled graph in a few milliseconds and runs SPARQL 1.1 completely, so the
query path never imports rdflib. Parameters are bound with SPARQL substitutions (SEP-0007), as RDF
terms, never pasted into the query text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from . import paths
from .errors import DataError, QueryError
from .namespaces import PREFIXES

_RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def bundled_files() -> list[Path]:
    return [paths.ontology_file(), *paths.graph_files()]


def read_rdf(path: Path | str, data: bytes | None = None) -> tuple[Path, bytes, ox.RdfFormat]:
    """A file's bytes and its RDF format (Turtle unless its extension says otherwise); an unreadable
    file raises :class:`DataError`."""
    path = Path(path)
    fmt = _RDF_FORMATS.get(path.suffix.lower(), ox.RdfFormat.TURTLE)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    return path, data, fmt


def syntax_error(path: Path, fmt: ox.RdfFormat, exc: SyntaxError) -> DataError:
    """Oxigraph's parse error as a :class:`DataError` with the file and the line."""
    message = re.sub(r"\s*\(.*?, line \d+\)$", "", str(exc.msg or exc))
    return DataError(str(path), f"{fmt.name} syntax error: {message}", line=exc.lineno)


def load_into(store: ox.Store, path: Path | str, *, data: bytes | None = None) -> None:
    """Load one RDF file into the default graph; a missing or malformed file raises
    :class:`DataError` with the file and line."""
    path, data, fmt = read_rdf(path, data)
    try:
        store.load(data, format=fmt, base_iri=path.resolve().as_uri())
    except SyntaxError as exc:
        raise syntax_error(path, fmt, exc) from None
    except (ValueError, OSError) as exc:
        raise DataError(str(path), f"cannot load: {exc}") from None


def open_store(*, extra: Sequence[Path | str] = (), reasoned: bool = False) -> ox.Store:
    """An in-memory store with the bundled ontology and data (or their cached OWL 2 RL closure when
    ``reasoned``), plus the user's ``extra`` files."""
    store = ox.Store()
    if reasoned:
        from .reasoning import closure_bytes

        store.load(closure_bytes(extra), format=ox.RdfFormat.N_TRIPLES)
        return store
    for path in bundled_files():
        load_into(store, path)
    for path in extra:
        load_into(store, path)
    return store


def run_query(
    store: ox.Store,
    text: str,
    bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
    *,
    allow_service: bool = False,
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run a SPARQL query through the gate (:mod:`alliance_kg.gate`): the engine runs the gate's
    canonical text, ``SERVICE`` only with ``allow_service``; ``bindings`` maps variable names to RDF
    terms. Results are lazy: iterate them on the thread that runs the engine (``engine.run_bounded``)."""
    from .gate import check

    checked = check(text, allow_service=allow_service, prefixes=PREFIXES)
    substitutions = {ox.Variable(name): term for name, term in (bindings or {}).items()}
    try:
        return store.query(checked.text, prefixes=dict(PREFIXES), substitutions=substitutions or None)
    except SyntaxError as exc:
        raise checked.syntax_error(exc) from None
    except (ValueError, OSError, RuntimeError) as exc:
        raise QueryError(f"the query failed: {exc}") from None
