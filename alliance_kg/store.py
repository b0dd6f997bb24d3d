"""The query engine: the bundled graph (and a user's files) in an in-memory Oxigraph store.

pyoxigraph parses the whole bundled graph in a few milliseconds and runs SPARQL 1.1 completely, so the
query path never imports rdflib. Parameters are bound with SPARQL substitutions (SEP-0007), as RDF
terms, never pasted into the query text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from . import paths, rdfinput
from .errors import DataError, QueryError
from .namespaces import PREFIXES


def bundled_files() -> list[Path]:
    return [paths.ontology_file(), *paths.graph_files()]


def read_rdf(path: Path | str, data: bytes | None = None) -> tuple[Path, bytes, ox.RdfFormat]:
    """A file's bytes and its RDF format (by extension: :data:`alliance_kg.rdfinput.FORMATS`), checked
    against the limits that apply before parsing (XML entities and nesting, JSON-LD nesting and contexts,
    Turtle brackets).
    :func:`alliance_kg.rdfinput.read_triples` applies every limit, and labels blank nodes after their file:
    prefer it to parsing these bytes. An unreadable or refused file raises :class:`DataError`."""
    path = Path(path)
    fmt = rdfinput.format_of(path)
    if data is None:
        data = rdfinput.read_bytes(path)
    rdfinput.check(path, data, fmt)
    return path, data, fmt


def syntax_error(path: Path, fmt: ox.RdfFormat, exc: SyntaxError) -> DataError:
    """Oxigraph's parse error as a :class:`DataError` with the file, the line and the column."""
    return rdfinput.syntax_error(path, fmt, exc)


def load_into(store: ox.Store, path: Path | str, *, data: bytes | None = None) -> None:
    """Load one RDF file (every graph of a quad file) into the default graph, through
    :mod:`alliance_kg.rdfinput`; a missing, malformed or refused file raises :class:`DataError` with the
    file and, where known, the line."""
    rdfinput.load_into(store, path, data=data)


def open_store(
    *, extra: Sequence[Path | str] = (), reasoned: bool = False, on_compute: Callable[[], None] | None = None
) -> ox.Store:
    """An in-memory store with the bundled ontology and data (or their cached OWL 2 RL closure when
    ``reasoned``: ``on_compute`` is called first when it has to be computed), plus the user's ``extra``
    files. User files of :data:`alliance_kg.storecache.MIN_BYTES` or more are read once into a store kept
    on disk (:mod:`alliance_kg.storecache`), opened read-only on later calls."""
    if extra:
        from . import storecache

        if storecache.worth_caching(extra):
            cached = storecache.open_store(extra, reasoned=reasoned, on_compute=on_compute)
            if cached is not None:
                return cached
    store = ox.Store()
    if reasoned:
        from .reasoning import closure_bytes

        store.load(closure_bytes(extra, on_compute=on_compute), format=ox.RdfFormat.N_TRIPLES)
        return store
    for path in [*bundled_files(), *extra]:
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
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(name): term for name, term in (bindings or {}).items()
    }
    try:
        return store.query(checked.text, prefixes=dict(PREFIXES), substitutions=substitutions or None)
    except SyntaxError as exc:
        raise checked.syntax_error(exc) from None
    except (ValueError, OSError, RuntimeError) as exc:
        raise QueryError(f"the query failed: {exc}") from None


def select(
    store: ox.Store,
    text: str,
    *,
    substitutions: Mapping[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] | None = None,
) -> ox.QuerySolutions:
    """The solutions of one of the package's own SELECT queries (trusted text, the project's prefixes): a
    query of any other form is a bug, reported as such."""
    result = store.query(text, prefixes=dict(PREFIXES), substitutions=dict(substitutions or {}) or None)
    if not isinstance(result, ox.QuerySolutions):  # pragma: no cover - a bug in the caller's text
        raise TypeError(f"expected a SELECT query, got {type(result).__name__}")
    return result
