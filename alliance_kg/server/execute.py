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
import time
from dataclasses import dataclass, field

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
        names = self.asserted + ((self.inferred,) if reasoned and self.inferred else ())
        return [ox.NamedNode(g) for g in names]


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
    offers = negotiation.SOLUTION_FORMATS if form in ("SELECT", "ASK") else negotiation.GRAPH_FORMATS
    every = (*negotiation.SOLUTION_FORMATS, *negotiation.GRAPH_FORMATS)
    unknown = []
    for value in request.formats:
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
    chosen = negotiation.choose(request.accept, offers)
    if chosen is None:
        kind = "SELECT and ASK results" if form in ("SELECT", "ASK") else f"a {form} result (a graph)"
        available = ", ".join(o.media_type for o in offers)
        raise Refusal(406, f"cannot produce {request.accept!r} for {kind}; available: {available}")
    return chosen


def execute(store: ox.Store, graphs: Graphs, request: QueryRequest) -> QueryResponse:
    """The HTTP answer to one query (never raises for a bad query: it answers 4xx/5xx with a message)."""
    deadline = time.monotonic() + request.timeout
    info = request.query
    if info is None:  # a bug in the server: nothing unchecked ever runs
        return QueryResponse.error(500, "internal error: the query was not checked (see the server log)")
    try:
        fmt = _format(request, info.form)
        default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None  # None: not given
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None
        if request.default_graphs is not None or request.named_graphs is not None:
            # the protocol's dataset replaces the query's own FROM / FROM NAMED (SPARQL 1.1 Protocol 2.1.4)
            default_graph = list(_known(request.default_graphs or (), graphs, "default-graph-uri"))
            if request.named_graphs is not None:
                named_graphs = list(_known(request.named_graphs, graphs, "named-graph-uri"))
        elif not info.has_dataset:
            default_graph = list(graphs.default(request.reasoned))
        try:
            result = store.query(
                info.text, prefixes=dict(PREFIXES), default_graph=default_graph, named_graphs=named_graphs
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


def _tsv(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A term as a SPARQL 1.2 TSV cell: N-Triples syntax, a triple term as ``<<( s p o )>>``."""
    if isinstance(term, ox.Triple):
        return f"<<( {_tsv(term.subject)} {_tsv(term.predicate)} {_tsv(term.object)} )>>"
    return str(term)


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
    variables = result.variables
    rows = []
    for solution in result:
        rows.append([solution[v] for v in variables])
        if len(rows) > cap:
            raise _too_many(cap, "results")
        if len(rows) % 256 == 0 and time.monotonic() > deadline:
            raise _TooLong
    # The rows were counted on the way; Oxigraph's own serialisers write them, read back from TSV (whose
    # cells are the terms in N-Triples syntax, so nothing is lost).
    lines = ["\t".join(f"?{v.value}" for v in variables)]
    lines += ["\t".join("" if t is None else _tsv(t) for t in row) for row in rows]
    solutions = ox.parse_query_results(
        ("\n".join(lines) + "\n").encode("utf-8"), format=ox.QueryResultsFormat.TSV
    )
    body = solutions.serialize(format=negotiation.RESULTS_FORMAT[fmt.key]) or b""
    return QueryResponse(200, fmt.content_type, body, {"X-Result-Count": str(len(rows))})
