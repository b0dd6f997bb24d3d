"""Run one SPARQL query against the dataset, as the endpoint does: choose the result format, apply the
dataset of the request, cap the result and serialise it.

The query arrives checked: the server passes every text through :mod:`alliance_kg.gate` before a
worker sees it, and what runs here is the gate's canonical text (``request.query.text``), never the
text the client sent. This runs inside a query worker process (``alliance_kg.server.workers``), so
that a query past its time limit can be stopped by ending the process; it is plain code with no I/O,
and the tests call it directly.
"""

from __future__ import annotations

import difflib
import functools
import time
from dataclasses import dataclass, field
from typing import IO, cast

import pyoxigraph as ox

from ..gate import CheckedQuery
from ..gate import Refused as Refusal
from ..namespaces import PREFIXES, drop_unused_prefixes
from . import negotiation

TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class QueryRequest:
    text: str  # as the client sent it
    accept: str | None = None
    formats: tuple[str, ...] = ()  # the ``format``, ``output`` and ``results`` values the client sent
    default_graphs: tuple[str, ...] | None = None  # ``default-graph-uri`` values, if any
    named_graphs: tuple[str, ...] | None = None  # ``named-graph-uri`` values, if any
    max_results: int = 10_000
    timeout: float = 10.0
    query: CheckedQuery | None = None  # what the gate made of ``text``: the only thing that runs
    reasoned: bool = False  # asked of the reasoned endpoint: the default graph is the closure


@dataclass
class QueryResponse:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, status: int, message: str) -> QueryResponse:
        return cls(status, TEXT, (message.rstrip() + "\n").encode("utf-8"))


@dataclass(frozen=True)
class Graphs:
    """The named graphs of the dataset: those whose union is the plain endpoint's default graph, every
    graph a request may name (the documented ones, even when empty), and the graph of what reasoning
    infers (None when reasoning is off), which the reasoned endpoint's default graph adds."""

    asserted: tuple[str, ...]
    every: tuple[str, ...]
    inferred: str | None = None

    def default(self, reasoned: bool) -> list[ox.NamedNode]:
        return list(_default_graphs(self, reasoned))


@functools.lru_cache(maxsize=16)
def _default_graphs(graphs: Graphs, reasoned: bool) -> tuple[ox.NamedNode, ...]:
    names = graphs.asserted + ((graphs.inferred,) if reasoned and graphs.inferred else ())
    return tuple(ox.NamedNode(g) for g in names)


class _TooLong(Exception):
    pass


def _known(iris: tuple[str, ...], graphs: Graphs, what: str) -> list[ox.NamedNode]:
    unknown = [i for i in iris if i not in graphs.every]
    if unknown:
        listed = "\n  ".join(graphs.every)
        raise Refusal(
            400,
            f"{what} {', '.join(f'<{i}>' for i in unknown)} is not a graph of this dataset; this endpoint "
            "never "
            f"fetches graphs. Its named graphs are:\n  {listed}",
        )
    return [ox.NamedNode(i) for i in iris]


def _format(request: QueryRequest, form: str) -> negotiation.Format:
    """The format the client asks for: the first ``format``/``output``/``results`` value that names one
    for this kind of result (SPARQLWrapper sends the same choice under all three names, some twice: a short
    name and a media type), else the ``Accept`` header. A value naming no format at all is refused."""
    if len(request.accept or "") + sum(map(len, request.formats)) > REMEMBERED_HEADER:
        return _choose(form, request.formats, request.accept)  # an odd one: not kept
    return _chosen(form, request.formats, request.accept)


#: A choice of format is remembered (clients send the same few headers again and again) when the headers
#: and parameters it comes from are at most this many characters in all: a client sending long ones (a
#: head may hold megabytes) cannot fill the worker's memory with them.
REMEMBERED_HEADER = 1024


def _choose(form: str, formats: tuple[str, ...], accept: str | None) -> negotiation.Format:
    offers = negotiation.SOLUTION_FORMATS if form in ("SELECT", "ASK") else negotiation.GRAPH_FORMATS
    every = (*negotiation.SOLUTION_FORMATS, *negotiation.GRAPH_FORMATS)
    unknown = []
    for value in formats:
        items = [item for item in value.split(",") if item.strip()]
        for item in items:
            chosen = negotiation.by_name(item, offers)
            if chosen is not None:
                return chosen
        # a value that names a format for the other kind of result (format=json for a CONSTRUCT) is left
        # to the Accept header, as Fuseki and Virtuoso do
        if items and not any(negotiation.by_name(item, every) for item in items):
            unknown.append(value)
    if unknown:
        names = sorted({f.key for f in every} | {f.media_type for f in every})
        close = difflib.get_close_matches(unknown[0].strip().lower(), names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise Refusal(
            400,
            f"unknown result format {unknown[0]!r}{hint}; give format= one of: "
            + ", ".join(f.key for f in offers)
            + " (or their media types), or leave it out and use the Accept header",
        )
    chosen = negotiation.choose(accept, offers)
    if chosen is None:
        kind = "SELECT and ASK results" if form in ("SELECT", "ASK") else f"a {form} result (a graph)"
        available = ", ".join(o.media_type for o in offers)
        raise Refusal(406, f"cannot produce {accept!r} for {kind}; available: {available}")
    return chosen


_chosen = functools.lru_cache(maxsize=256)(_choose)  # refusals (exceptions) are not kept


def whole_store_defaults(store: ox.Store, graphs: Graphs) -> frozenset[bool]:
    """The endpoints (``reasoned`` False, True) whose default graph is the union of every graph ``store``
    holds (its default graph is empty, and each of its named graphs is one of the endpoint's): for those,
    Oxigraph is asked for the union of the store's graphs, which it evaluates faster than the same graphs
    listed one by one (it then looks quads up whatever their graph, not once a graph). The answers are the
    same: a triple in two graphs counts twice either way."""
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        return frozenset()
    names = list(store.named_graphs())
    if not all(isinstance(graph, ox.NamedNode) for graph in names):
        return frozenset()
    held = {graph.value for graph in names}
    return frozenset(
        reasoned for reasoned in (False, True) if held <= {g.value for g in graphs.default(reasoned)}
    )


def execute(
    store: ox.Store, graphs: Graphs, request: QueryRequest, *, whole: frozenset[bool] = frozenset()
) -> QueryResponse:
    """The HTTP answer to one query (never raises for a bad query: it answers 4xx/5xx with a message).
    ``whole``: the endpoints whose default graph is all of ``store`` (:func:`whole_store_defaults`)."""
    deadline = time.monotonic() + request.timeout
    info = request.query
    if info is None:  # a bug in the server: nothing unchecked ever runs
        return QueryResponse.error(500, "internal error: the query was not checked (see the server log)")
    try:
        fmt = _format(request, info.form)
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None  # None: not given
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None
        union = False  # the default graph is every graph of the store
        if request.default_graphs is not None or request.named_graphs is not None:
            # the protocol's dataset replaces the query's own FROM / FROM NAMED (SPARQL 1.1 Protocol 2.1.4)
            default_graph = list(_known(request.default_graphs or (), graphs, "default-graph-uri"))
            if request.named_graphs is not None:
                named_graphs = list(_known(request.named_graphs, graphs, "named-graph-uri"))
        elif not info.has_dataset and request.reasoned in whole:
            union = True
        elif not info.has_dataset:
            default_graph = list(graphs.default(request.reasoned))
        try:
            # The gate wrote every prefixed name of the canonical text as the full IRI it stands for (an
            # unknown prefix is refused), so the engine is given no prefixes to expand: that would only
            # cost time (a map of forty is rebuilt for each query).
            result = store.query(
                info.text,
                default_graph=default_graph,
                named_graphs=named_graphs,
                use_default_graph_as_union=union,
            )
            return _serialise(result, fmt, request, deadline)
        except SyntaxError as exc:
            return QueryResponse.error(400, info.syntax_error(exc).message)
    except Refusal as refusal:
        return QueryResponse.error(refusal.status, refusal.message)
    except _TooLong:
        return timed_out(request.timeout)
    except (ValueError, OSError, RuntimeError, TypeError) as exc:
        return QueryResponse.error(400, f"the query failed: {exc}")


def timed_out(limit: float) -> QueryResponse:
    response = QueryResponse.error(
        503,
        f"the query was stopped: it ran longer than the time limit of {limit:g} s. Narrow it down (a LIMIT, "
        "more selective patterns) and try again.",
    )
    response.headers["Retry-After"] = "1"
    return response


def _too_many(limit: int, what: str) -> Refusal:
    return Refusal(
        400,
        f"the result has more than {limit:,} {what}, the most this endpoint returns; add a LIMIT (and OFFSET "
        "to page through it) or narrow the query",
    )


class _Capped:
    """Where Oxigraph's serialisers write a result in a format with one line a row (TSV) or a triple
    (N-Triples): the bytes are kept, the lines counted as they come (Oxigraph writes in blocks of a few
    KiB), and past ``limit`` lines or the deadline the serialiser is stopped by what :meth:`write` raises
    (the exception comes out of ``serialize`` as it is)."""

    __slots__ = ("deadline", "header", "limit", "lines", "parts", "what")

    def __init__(self, limit: int, deadline: float, what: str, *, header: int = 0) -> None:
        self.limit = limit  # rows (or triples)
        self.header = header  # lines before the first row
        self.deadline = deadline
        self.what = what
        self.lines = 0
        self.parts: list[bytes] = []

    @property
    def rows(self) -> int:
        return self.lines - self.header

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines - self.header > self.limit:
            raise _too_many(self.limit, self.what)
        if time.monotonic() > self.deadline:
            raise _TooLong
        return len(chunk)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self.parts)


def _serialise(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    fmt: negotiation.Format,
    request: QueryRequest,
    deadline: float,
) -> QueryResponse:
    cap = request.max_results
    if time.monotonic() > deadline:
        raise _TooLong
    if isinstance(result, ox.QueryBoolean):
        body = result.serialize(format=negotiation.RESULTS_FORMAT[fmt.key]) or b""
        return QueryResponse(200, fmt.content_type, body)
    if isinstance(result, ox.QueryTriples):
        if fmt.key == "nt":  # one triple a line: counted as Oxigraph writes them
            sink = _Capped(cap, deadline, "triples")
            result.serialize(cast(IO[bytes], sink), format=ox.RdfFormat.N_TRIPLES)
            return QueryResponse(200, fmt.content_type, sink.value(), {"X-Result-Count": str(sink.rows)})
        triples = []
        for triple in result:
            triples.append(triple)
            if len(triples) > cap:
                raise _too_many(cap, "triples")
            if len(triples) % 256 == 0 and time.monotonic() > deadline:
                raise _TooLong
        prefixes = dict(PREFIXES) if fmt.key == "ttl" else None
        body = ox.serialize(triples, format=negotiation.RDF_FORMAT[fmt.key], prefixes=prefixes) or b""
        if prefixes:  # the prefixes the graph uses, not all forty
            body = drop_unused_prefixes(body)
        return QueryResponse(200, fmt.content_type, body, {"X-Result-Count": str(len(triples))})
    # The solutions are written by Oxigraph as TSV (a line of variables, then one line a row: a term's
    # line breaks are escaped), counted and capped as they come, then read back and written in the format
    # asked for: TSV cells are the terms in N-Triples syntax, so nothing is lost.
    sink = _Capped(cap, deadline, "results", header=1)  # the line of variables, then the rows
    result.serialize(cast(IO[bytes], sink), format=ox.QueryResultsFormat.TSV)  # write() is all it uses
    rows = sink.rows
    tsv = sink.value()
    if fmt.key == "tsv":
        body = tsv
    else:
        solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        body = solutions.serialize(format=negotiation.RESULTS_FORMAT[fmt.key]) or b""
    return QueryResponse(200, fmt.content_type, body, {"X-Result-Count": str(rows)})
