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

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from .. import gate
from ..namespaces import DCTERMS, PREFIXES, RDF, RDFS, XSD
from . import negotiation
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


#: A query this long (characters) or shorter is checked on the event loop (the gate takes ~2 µs a token:
#: well under a millisecond), and its verdict remembered; a longer one is checked on a thread, every time.
INLINE_CHECK = 4096
#: Characters of query text (as sent, its base, and its canonical text) whose verdicts are remembered, in all.
#: A verdict also holds the gate's map of offsets (a pair of integers a token or so): in the worst case
#: (4 KiB queries of one-character tokens) the cache holds some 20-40 MB, in practice a few.
VERDICT_BUDGET = 1024 * 1024


class Verdicts:
    """The gate's verdicts on the query texts seen last: the :class:`~alliance_kg.gate.CheckedQuery` it made
    of a text, or its refusal, by the exact text and the base it was checked against (the endpoint's URL).

    Not a result cache: what is remembered is what :func:`alliance_kg.gate.check` returns for those
    arguments, which depends on nothing else (the prefixes are always the project's), so the canonical
    text that runs is the one the gate would give; the query itself runs every time. Clients send the same
    texts again and again (a page's queries, a dashboard's, a client library's probes), and the gate costs
    about as much as the engine on a small query. At most ``budget`` characters of text are kept, the
    least recently used dropped first."""

    def __init__(self, budget: int = VERDICT_BUDGET) -> None:
        self.budget = budget
        self.size = 0
        self._entries: OrderedDict[tuple[str, str], gate.CheckedQuery | gate.Refused] = OrderedDict()
        self._lock = threading.Lock()  # apps may run on several threads (the tests' clients)

    def check(self, text: str, base: str) -> gate.CheckedQuery:
        """What the gate makes of ``text`` (checked against ``base``): raises its :class:`gate.Refused`."""
        key = (text, base)
        with self._lock:
            verdict = self._entries.get(key)
            if verdict is not None:
                self._entries.move_to_end(key)
        if verdict is None:
            try:
                verdict = gate.check(text, prefixes=PREFIXES, base=base)
            except gate.Refused as refusal:  # kept without its traceback (the gate's frames, its tokens)
                verdict = gate.Refused(refusal.status, refusal.message)
            self._keep(key, verdict)
        if isinstance(verdict, gate.Refused):
            raise gate.Refused(verdict.status, verdict.message)  # a fresh one: no traceback carried over
        return verdict

    @staticmethod
    def _cost(key: tuple[str, str], verdict: gate.CheckedQuery | gate.Refused) -> int:
        made = verdict.text if isinstance(verdict, gate.CheckedQuery) else verdict.message
        return len(key[0]) + len(key[1]) + len(made)

    def _keep(self, key: tuple[str, str], verdict: gate.CheckedQuery | gate.Refused) -> None:
        cost = self._cost(key, verdict)
        with self._lock:
            if cost > self.budget or key in self._entries:
                return
            self._entries[key] = verdict
            self.size += cost
            while self.size > self.budget:
                dropped, old = self._entries.popitem(last=False)
                self.size -= self._cost(dropped, old)


VERDICTS = Verdicts()


#: Headers (``Host``, ``Accept``) remembered with what is made of them are at most this many characters: a
#: client sending long ones (a request's head may hold megabytes) cannot fill the server's memory with them.
REMEMBERED_HEADER = 1024

_BASES: dict[tuple[object, ...], str] = {}  # str(request.base_url) by what it is made of (see below)


def request_base(request: Request) -> str:
    """``str(request.base_url)``: the site's address as this request reached it (scheme, ``Host`` or the
    server's address, root path), ending in ``/``. Starlette builds it anew for each request (a URL parsed
    and written again); it is remembered here by the parts of the request it is made of, a few hundred
    at most."""
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if host is not None and len(host) > REMEMBERED_HEADER:  # an odd one: not kept (see REMEMBERED_HEADER)
        return str(request.base_url)
    key = (scope.get("scheme"), scope.get("server"), host, scope.get("app_root_path"), scope.get("root_path"))
    try:
        found = _BASES.get(key)
    except TypeError:  # a part that cannot be a key (a list for the server's address)
        return str(request.base_url)
    if found is None:
        found = str(request.base_url)
        if len(_BASES) >= 256:
            _BASES.clear()
        _BASES[key] = found
    return found


def accepts_html(accept: str | None) -> bool:
    """:func:`negotiation.accepts_html`, remembered by the header (clients send the same few; a long one
    is not kept)."""
    if accept is not None and len(accept) > REMEMBERED_HEADER:
        return negotiation.accepts_html(accept)
    return _accepts_html(accept)


_accepts_html = functools.lru_cache(maxsize=256)(negotiation.accepts_html)


def query_items(request: Request) -> list[tuple[str, str]]:
    """The parameters of the query string, as ``request.query_params.multi_items()`` gives them (the same
    parse: the bytes as Latin-1, then ``parse_qsl`` keeping blank values), without the multidict."""
    return parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


async def check_query(text: str, base: str) -> gate.CheckedQuery:
    """The one gate (:func:`alliance_kg.gate.check` with the project's prefixes and ``base``): the checked
    query, whose canonical text is what runs, or :class:`gate.Refused`. A short text is checked on the
    event loop and its verdict remembered (:class:`Verdicts`); a long one on a thread."""
    if len(text) <= INLINE_CHECK:
        return VERDICTS.check(text, base)
    return await run_in_threadpool(gate.check, text, prefixes=PREFIXES, base=base)


async def parse_request(
    request: Request, config: ServerConfig, *, reasoned: bool = False
) -> QueryRequest | GraphRead | None:
    """What a protocol request asks for: a query, a Graph Store read, or (None) a GET with neither (the
    service description)."""
    params = query_items(request)
    text: str | None
    read = _graph_read(params, request.method)
    if read is not None:
        return read
    if request.method in ("GET", "HEAD"):
        if len(request.scope.get("query_string", b"")) > config.max_request_bytes:  # as sent: bytes
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
