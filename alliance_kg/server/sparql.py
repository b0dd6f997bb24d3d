"""The SPARQL 1.1 Protocol endpoint (``/sparql``): reading the request, and the service description.

- Query by GET (``?query=``), by POST of a form (``application/x-www-form-urlencoded``) or of the query
  itself (``application/sparql-query``); ``default-graph-uri`` and ``named-graph-uri`` select among the
  dataset's named graphs (an unknown one is refused with 400: nothing is ever fetched).
- Read-only: an ``update`` parameter, an ``application/sparql-update`` body or an update sent as a query
  is refused with 403; so is ``SERVICE`` (see ``alliance_kg.gate``).
- A request's body, or a GET's query string, is limited in size (413, 414).
- The result format: ``format``, ``output`` or ``results`` (any of them, repeated: SPARQLWrapper sends a
  short name and a media type under all three), else ``Accept``.
- Graph Store HTTP Protocol reads: ``GET``/``HEAD`` with ``?graph=IRI`` or ``?default`` answer that graph
  (negotiated: Turtle, N-Triples, JSON-LD, RDF/XML); any documented graph name is valid (empty when it
  holds nothing); writes are refused with 403.
- GET without a query: the query page for a browser, the service description (``sd:Service``) for
  anything else.

Two endpoints answer alike: ``/sparql``, whose default graph is the union of the asserted graphs, and
``/sparql/reasoned``, whose default graph is the OWL 2 RL closure (``alliance_kg.layout``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..namespaces import DCTERMS, RDF, RDFS, XSD
from .config import ServerConfig
from .dataset import ServedData
from .execute import QueryRequest

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
ENTAILMENT = "http://www.w3.org/ns/entailment/"
OWL_PROFILE = "http://www.w3.org/ns/owl-profile/"

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
READ_ONLY = "this endpoint is read-only: SPARQL Update is refused (it answers queries only)"


@dataclass(frozen=True)
class GraphRead:
    """A Graph Store Protocol read: ``graph`` is the IRI asked for, None for the default graph."""

    graph: str | None


class ProtocolError(HTTPException):
    """A request the endpoint cannot take, with the status and the message for the client."""


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise ProtocolError(
                    413, f"the request is larger than {limit:,} bytes, the most this endpoint takes"
                )
        except ValueError:
            raise ProtocolError(400, "the Content-Length header is not a number") from None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(
                413, f"the request is larger than {limit:,} bytes, the most this endpoint takes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _form(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=200, errors="strict"
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(400, f"malformed form data: {exc}") from None


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise ProtocolError(400, f"give one {name!r} parameter, not {len(values)}")
    return values[0] if values else None


def _graphs(params: list[tuple[str, str]], name: str) -> tuple[str, ...] | None:
    values = tuple(v.strip() for k, v in params if k == name)
    return values or None


def _graph_read(params: list[tuple[str, str]], method: str) -> GraphRead | None:
    names = {k for k, _ in params}
    if not names & {"graph", "default"}:
        return None
    if method not in ("GET", "HEAD"):
        raise ProtocolError(
            403,
            "this endpoint is read-only: the Graph Store Protocol's writes (PUT, POST, DELETE) are refused; "
            "GET or HEAD with ?graph=IRI or ?default reads a graph",
        )
    if "query" in names:
        raise ProtocolError(400, "give either a query or a graph to read (?graph=IRI or ?default), not both")
    if {"graph", "default"} <= names:
        raise ProtocolError(400, "give ?graph=IRI or ?default, not both")
    if "default" in names:
        if any(v for k, v in params if k == "default"):
            raise ProtocolError(400, "?default takes no value: it names the default graph")
        return GraphRead(None)
    graph = (_one(params, "graph") or "").strip()
    if not graph:
        raise ProtocolError(400, "?graph= needs the IRI of a graph (or use ?default)")
    return GraphRead(graph)


async def parse_request(
    request: Request, config: ServerConfig, *, reasoned: bool = False
) -> QueryRequest | GraphRead | None:
    """What a protocol request asks for: a query, a Graph Store read, or (None) a GET with neither (the
    service description)."""
    params = list(request.query_params.multi_items())
    text: str | None
    read = _graph_read(params, request.method)
    if read is not None:
        return read
    if request.method in ("GET", "HEAD"):
        if len(request.url.query.encode("utf-8")) > config.max_request_bytes:
            raise ProtocolError(
                414,
                f"the query string is longer than {config.max_request_bytes:,} bytes: send long queries "
                "by POST",
            )
        if _one(params, "update") is not None:
            raise ProtocolError(403, READ_ONLY)
        text = _one(params, "query")
        if text is None:
            return None
    else:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await read_body(request, config.max_request_bytes)
        if kind == FORM:
            params += _form(_decode(body, "form"))
            if _one(params, "update") is not None:
                raise ProtocolError(403, READ_ONLY)
            text = _one(params, "query")
        elif kind == QUERY:
            text = _decode(body, "query")
            if _one(params, "query") is not None:
                raise ProtocolError(
                    400, "a POST of application/sparql-query carries the query in its body only"
                )
        elif kind == UPDATE:
            raise ProtocolError(403, READ_ONLY)
        else:
            raise ProtocolError(
                415,
                f"cannot read a request body of type {kind or 'none'!r}: POST the query as {QUERY} or as a "
                "form "
                f"({FORM}) with a 'query' field",
            )
    if text is None or not text.strip():
        raise ProtocolError(
            400, f"no query: give the SPARQL query as the 'query' parameter (or POST it as {QUERY})"
        )
    return QueryRequest(
        text=text,
        accept=request.headers.get("accept"),
        formats=tuple(v for k, v in params if k in ("format", "output", "results")),
        default_graphs=_graphs(params, "default-graph-uri"),
        named_graphs=_graphs(params, "named-graph-uri"),
        max_results=config.max_results,
        timeout=config.timeout,
        reasoned=reasoned,
    )


def service_description(
    data: ServedData, endpoint: str, base: str, config: ServerConfig, *, reasoned: bool = False
) -> list[ox.Triple]:
    """The ``sd:Service`` an endpoint URL answers with when asked for RDF: ``/sparql`` or, with
    ``reasoned``, ``/sparql/reasoned`` (whose default graph is the OWL 2 RL closure)."""
    from .. import layout

    n = ox.NamedNode
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Triple(s, n(p), o))

    def integer(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=n(XSD + "integer"))

    service = n(endpoint + "#service")
    described = n(endpoint + "#dataset")
    default = n(endpoint + "#default-graph")
    add(service, RDF + "type", n(SD + "Service"))
    add(service, SD + "endpoint", n(endpoint))
    add(service, SD + "supportedLanguage", n(SD + "SPARQL11Query"))
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        add(service, SD + "resultFormat", n(FORMATS + name))
    limits = (
        f"Each query may run {config.timeout:g} s and return {config.max_results:,} results at most; "
        f"requests may be {config.max_request_bytes:,} bytes at most."
    )
    asserted = sum(data.graph_sizes.get(g, 0) for g in data.asserted_graphs)
    inferred = data.graph_sizes.get(data.inferred_graph, 0) if data.inferred_graph else 0
    if reasoned:
        add(service, SD + "defaultEntailmentRegime", n(ENTAILMENT + "OWL-RDF-Based"))
        add(service, SD + "defaultSupportedEntailmentProfile", n(OWL_PROFILE + "RL"))
        add(service, SD + "feature", n(SD + "UnionDefaultGraph"))
        add(
            service,
            DCTERMS + "description",
            ox.Literal(
                "The alliance-kg SPARQL endpoint over the OWL 2 RL closure: its default graph is every named "
                "graph together, the asserted ones and …/graph/inferred, what the OWL 2 RL/RDF rules derive "
                "from them (materialised by owlrl, as alliance-kg query --reasoned queries it), so that "
                "terms of schema.org, W3C ORG, PROV and FOAF answer. Read-only: SPARQL Update, LOAD and "
                f"SERVICE are refused, and it never fetches a URL. {limits}",
                language="en",
            ),
        )
        add(service, RDFS + "seeAlso", n(base + "sparql"))
    else:
        add(service, SD + "defaultEntailmentRegime", n(ENTAILMENT + "Simple"))
        add(
            service,
            DCTERMS + "description",
            ox.Literal(
                "The alliance-kg SPARQL endpoint. Read-only: SPARQL Update, LOAD and SERVICE are refused, "
                f"and it never fetches a URL. {limits} The default graph is the union of the asserted "
                "graphs"
                + (
                    f"; {base}sparql/reasoned answers over the OWL 2 RL closure (or name every graph, "
                    "…/graph/inferred included, with default-graph-uri)."
                    if data.inferred_graph
                    else "."
                ),
                language="en",
            ),
        )
        if data.inferred_graph:
            add(service, RDFS + "seeAlso", n(base + "sparql/reasoned"))
    add(service, RDFS + "seeAlso", n(base + "void"))
    add(service, SD + "defaultDataset", described)
    add(described, RDF + "type", n(SD + "Dataset"))
    add(described, SD + "defaultGraph", default)
    add(default, RDF + "type", n(SD + "Graph"))
    add(default, VOID + "triples", integer(asserted + (inferred if reasoned else 0)))
    add(
        default,
        DCTERMS + "description",
        ox.Literal(
            "Every named graph together: the OWL 2 RL closure."
            if reasoned
            else "The union of the asserted named graphs.",
            language="en",
        ),
    )
    for graph in layout.GRAPHS:
        if graph == layout.INFERRED and not data.inferred_graph:
            continue
        local = layout.local_name(graph)
        named = n(f"{endpoint}#graph-{local}")
        content = n(f"{endpoint}#graph-{local}-content")
        add(described, SD + "namedGraph", named)
        add(named, RDF + "type", n(SD + "NamedGraph"))
        add(named, SD + "name", n(graph))
        add(named, SD + "graph", content)
        add(named, DCTERMS + "title", ox.Literal(layout.TITLES[graph], language="en"))
        add(content, RDF + "type", n(SD + "Graph"))
        add(content, VOID + "triples", integer(data.graph_sizes.get(graph, 0)))
        if graph == layout.INFERRED:
            add(named, SD + "entailmentRegime", n(ENTAILMENT + "OWL-RDF-Based"))
            add(named, SD + "supportedEntailmentProfile", n(OWL_PROFILE + "RL"))
    return out
