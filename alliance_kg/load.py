"""Push the graph into a SPARQL 1.1 triple store (``alliance-kg load``), and query a store over HTTP.

How a load goes (``load()``):

1. The graph is read as the quad exports give it, one named graph per part (``…/graph/ontology``,
   ``…/graph/data``, ``…/graph/vocabularies``, ``…/graph/sources``, ``…/graph/provenance``,
   ``…/graph/user`` for ``--data`` files, ``…/graph/inferred`` with ``--reasoned``), or all of it into the
   one graph ``--graph`` names.
2. Each graph is first written into a **staging graph** of its own (``urn:alliance-kg:staging:<hash>``):
   with the SPARQL 1.1 Graph Store HTTP Protocol (PUT of the first batch, POST of the next ones), or, for a
   store without it (the endpoint answers 404, 405, 415 or 501), with SPARQL 1.1 Update ``INSERT DATA`` in
   batches. Blank nodes never straddle two batches. The staged counts are checked against ours.
3. One SPARQL Update request then publishes every staging graph: ``MOVE`` over the target (replace) or
   ``ADD`` and ``DROP`` (append). Until that request the targets are untouched, so a load that fails midway
   — the store goes away, refuses, or the user interrupts — leaves the previous version in place; a later
   load clears any staging graph left behind. (A plain Graph Store PUT would not do: the protocol does not
   promise it is atomic, Oxigraph's server clears the graph and loads the body as two operations, and
   Virtuoso killed during a PUT came back with the graph empty.) On Virtuoso a checkpoint follows, see
   :meth:`_Loader._virtuoso_checkpoint`.
4. The triple count of every target graph is read back and compared with ours.

``--protocol graph-store`` skips the staging and writes the targets directly with PUT/POST, for stores that
have no SPARQL Update endpoint; it is then as atomic as the store's PUT.

Connection errors, timeouts and 5xx answers are retried with exponential backoff; a store that stays
unreachable or refuses (401, 403, other 4xx) raises :class:`StoreError` (exit code 3) with the store's own
message. Credentials come only from the environment variable named by ``auth_env`` and are never printed.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from .errors import CheckFailed, DataError, StoreError, UsageError
from .namespaces import GRAPH, PREFIXES

if TYPE_CHECKING:  # pragma: no cover
    import httpx
    import pyoxigraph as ox

PROTOCOLS = ("auto", "graph-store", "update")
AUTH_SCHEMES = ("basic", "digest", "bearer")
MODES = ("replace", "append")
#: Triples per request: Graph Store uploads, and INSERT DATA (Virtuoso's SPARQL compiler gives up on updates
#: of some 4,000 lines: "memory exhausted", "generated SQL text has exceeded 10000 lines").
DEFAULT_BATCH_SIZE = 10_000
UPDATE_BATCH_SIZE = 1_000
BLANK_BATCH_SIZE = 250
DEFAULT_RETRIES = 4
DEFAULT_TIMEOUT = 120.0
DEFAULT_BACKOFF = 0.5
INFERRED_GRAPH = GRAPH + "inferred"
STAGING_PREFIX = "urn:alliance-kg:staging:"

#: Answers that mean "this endpoint does not speak that protocol" (so: try the other one).
_NOT_SUPPORTED = frozenset({404, 405, 415, 501})
#: Answers worth retrying: the store is busy, restarting or overloaded.
_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
_NT = "application/n-triples"
_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Progress = Callable[[str], None]


def progress_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quiet(message: str) -> None:
    pass


# --- the result ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphLoad:
    """One target graph: how many triples we sent, how many the store holds afterwards (and before, when
    appending)."""

    graph: str
    triples: int
    in_store: int
    before: int | None = None

    @property
    def verified(self) -> bool:
        if self.before is None:
            return self.in_store == self.triples
        return max(self.before, self.triples) <= self.in_store <= self.before + self.triples


@dataclass
class LoadReport:
    endpoint: str
    protocol: str  # "graph-store" or "update": how the triples went in
    mode: str  # "replace" or "append"
    staged: bool  # through staging graphs and one publishing update (atomic), or written directly
    graphs: list[GraphLoad] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # graphs of ours that a replace removed (e.g. inferred)
    seconds: float = 0.0
    retries: int = 0
    requests: int = 0

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)

    @property
    def verified(self) -> bool:
        return all(g.verified for g in self.graphs)


def render(report: LoadReport) -> str:
    """The summary the CLI prints: one line per graph, then the total."""
    lines = []
    for g in report.graphs:
        if g.before is None:
            lines.append(f"verified: <{g.graph}> holds {g.in_store:,} triples, as many as we sent")
        else:
            lines.append(
                f"verified: <{g.graph}> holds {g.in_store:,} triples "
                f"({g.before:,} before, {g.triples:,} sent)"
            )
    for dropped in report.dropped:
        lines.append(f"dropped: <{dropped}> (not part of this load)")
    how = "Graph Store Protocol" if report.protocol == "graph-store" else "SPARQL Update"
    atomic = "staged, then published in one update" if report.staged else "written directly"
    retried = f", {report.retries} retried" if report.retries else ""
    lines.append(
        f"loaded {report.triples:,} triples into {len(report.graphs)} graph(s) of {report.endpoint} "
        f"({how}, {report.mode}, {atomic}) in {report.seconds:.2f} s, {report.requests} requests{retried}"
    )
    return "\n".join(lines)


# --- what to load -------------------------------------------------------------------------------------------


def _parse(path: Path, *, data: bytes | None = None) -> list[ox.Triple]:
    import pyoxigraph as ox

    from .store import read_rdf, syntax_error

    path, data, fmt = read_rdf(path, data)
    try:
        return [q.triple for q in ox.parse(data, format=fmt, base_iri=path.resolve().as_uri())]
    except SyntaxError as exc:
        raise syntax_error(path, fmt, exc) from None
    except (ValueError, OSError) as exc:
        raise DataError(str(path), f"cannot load: {exc}") from None


def graphs_to_load(
    *, graph: str | None = None, reasoned: bool = False, extra: Sequence[Path | str] = ()
) -> dict[str, list[ox.Triple]]:
    """The triples to load, by target graph IRI: the named graphs of the quad exports, or everything in
    ``graph``. With ``reasoned``, what OWL 2 RL infers (and is not asserted) goes to ``…/graph/inferred``."""
    from . import paths
    from .graph import DATA_GRAPH, ONTOLOGY_GRAPH, USER_GRAPH, named_graph_of

    parts: dict[str, dict[ox.Triple, None]] = {}

    def add(target: str, triples: Iterable[ox.Triple]) -> None:
        parts.setdefault(target, {}).update(dict.fromkeys(triples))

    add(str(ONTOLOGY_GRAPH), _parse(paths.ontology_file()))
    for path in paths.graph_files():
        add(str(named_graph_of(path)), _parse(path))
    for path in extra:
        add(str(USER_GRAPH), _parse(Path(path)))
    if reasoned:
        import pyoxigraph as ox

        from .reasoning import cached_closure

        # Blank nodes get new labels in the closure, so its triples about the ontology's blank nodes (RDF
        # lists, and owlrl's statements about them) cannot be told from the asserted ones: they are left out.
        asserted = {t for triples in parts.values() for t in triples}
        add(
            INFERRED_GRAPH,
            (
                t
                for t in _parse(cached_closure(extra))
                if t not in asserted
                and not isinstance(t.subject, ox.BlankNode)
                and not isinstance(t.object, ox.BlankNode)
            ),
        )
    if graph is not None:
        union: dict[ox.Triple, None] = {}
        for triples in parts.values():
            union.update(triples)
        return {graph: list(union)}
    order = [str(ONTOLOGY_GRAPH), str(DATA_GRAPH)]
    ordered = sorted(parts, key=lambda g: (order.index(g) if g in order else len(order), g))
    return {g: list(parts[g]) for g in ordered if parts[g]}


def batches(triples: Sequence[ox.Triple], size: int) -> list[list[ox.Triple]]:
    """Split ``triples`` into batches of at most ``size`` triples (more only for one blank-node structure that
    is larger), keeping every triple that shares a blank node in the same batch: a blank node label is local
    to one request, so a structure cut in two would become two. Triples with blank nodes come first, in
    batches of at most ``BLANK_BATCH_SIZE``."""
    import pyoxigraph as ox

    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(node: ox.BlankNode) -> ox.BlankNode:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    groups: dict[object, list[ox.Triple]] = {}
    plain: list[ox.Triple] = []
    for triple in triples:
        nodes = [t for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        if not nodes:
            plain.append(triple)
            continue
        first = find(nodes[0])
        for other in nodes[1:]:
            root = find(other)
            if root != first:
                parent[root] = first
    for triple in triples:
        nodes = [t for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        if nodes:
            groups.setdefault(find(nodes[0]), []).append(triple)
    out: list[list[ox.Triple]] = []
    # Blank-node structures go in batches of their own, smaller ones: Virtuoso compiles the INSERT … WHERE {}
    # that carries them into SQL that overflows ("exceeded 10000 lines of code") at about 1,000 triples.
    for items, limit in (([*groups.values()], min(size, BLANK_BATCH_SIZE)), ([[t] for t in plain], size)):
        current: list[ox.Triple] = []
        for group in items:
            if current and len(current) + len(group) > limit:
                out.append(current)
                current = []
            current.extend(group)
        if current:
            out.append(current)
    return out


def insert_text(graph: str, triples: Sequence[ox.Triple], body: bytes | None = None) -> str:
    """The SPARQL Update that adds ``triples`` to ``graph``: ``INSERT DATA``, or, when there are blank nodes,
    ``INSERT { … } WHERE {}`` — the same meaning (new blank nodes), which Virtuoso accepts where it refuses
    blank nodes in INSERT DATA ("SP031: Blank node … is not allowed in a constant clause")."""
    import pyoxigraph as ox

    text = (body if body is not None else _ntriples(triples)).decode("utf-8")
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples):
        return f"INSERT {{ GRAPH <{graph}> {{\n{text}}} }} WHERE {{}}"
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{text}}} }}"


def _ntriples(triples: Sequence[ox.Triple]) -> bytes:
    import pyoxigraph as ox

    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


# --- endpoints and credentials ------------------------------------------------------------------------------

#: Where a store's query and update endpoints are, given its Graph Store endpoint: (suffix of the Graph Store
#: URL, query endpoint suffix, update endpoint suffix). See docs/triple-stores.md.
_SIBLINGS = (
    ("/sparql-graph-crud-auth", "/sparql", "/sparql-auth"),  # Virtuoso (digest authentication)
    ("/sparql-graph-crud", "/sparql", "/sparql"),  # Virtuoso (anonymous; read-only by default)
    ("/rdf-graphs/service", "", "/statements"),  # GraphDB and RDF4J: /repositories/ID/rdf-graphs/service
    ("/store", "/query", "/update"),  # Oxigraph
    ("/data", "/query", "/update"),  # Fuseki: /DATASET/data
    ("/statements", "", "/statements"),  # GraphDB and RDF4J, given the update endpoint
    ("/update", "/query", "/update"),  # Oxigraph or Fuseki, given the update endpoint
)


@dataclass(frozen=True)
class Endpoints:
    graph_store: str
    query: str
    update: str


def endpoints(
    endpoint: str, *, query_endpoint: str | None = None, update_endpoint: str | None = None
) -> Endpoints:
    """The Graph Store, query and update endpoints of a store, from ``--endpoint`` and what the user gave;
    the missing ones follow the layout of the store the endpoint's path names (Oxigraph, Virtuoso, Fuseki,
    GraphDB), else they are the endpoint itself (Fuseki's dataset URL answers all three)."""
    for url in (endpoint, query_endpoint, update_endpoint):
        if url is None:
            continue
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise UsageError(f"not an http(s) URL: {url!r}")
    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    query = update = endpoint
    for suffix, query_suffix, update_suffix in _SIBLINGS:
        if path.endswith(suffix):
            base = path[: -len(suffix)]
            query = urlunsplit((parts.scheme, parts.netloc, base + query_suffix, "", ""))
            update = urlunsplit((parts.scheme, parts.netloc, base + update_suffix, "", ""))
            break
    return Endpoints(endpoint, query_endpoint or query, update_endpoint or update)


def credentials(scheme: str | None, variable: str | None) -> tuple[httpx.Auth | None, dict[str, str]]:
    """The httpx auth object or header for ``scheme``, from the environment variable ``variable``
    (``user:password`` for basic and digest, a token for bearer). The value is never put into a message."""
    import httpx

    if scheme is None and variable is None:
        return None, {}
    if variable is None:
        raise UsageError(
            f"--auth {scheme} needs --auth-env VAR: the name of the environment variable that holds "
            "the credentials (never the credentials themselves)"
        )
    scheme = scheme or "basic"
    if scheme not in AUTH_SCHEMES:
        raise UsageError(f"unknown --auth {scheme!r} (one of {', '.join(AUTH_SCHEMES)})")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
        raise UsageError(f"--auth-env takes the NAME of an environment variable, not {variable[:3]}…")
    value = os.environ.get(variable)
    if not value:
        raise UsageError(f"the environment variable {variable} (--auth-env) is not set or empty")
    if scheme == "bearer":
        return None, {"Authorization": f"Bearer {value.strip()}"}
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise UsageError(f"the environment variable {variable} must hold user:password for --auth {scheme}")
    return (httpx.BasicAuth(user, password) if scheme == "basic" else httpx.DigestAuth(user, password)), {}


def staging_graph(target: str) -> str:
    """The staging graph of a target graph: the same on every run, so that a later load clears what a failed
    one left."""
    return STAGING_PREFIX + hashlib.sha256(target.encode("utf-8")).hexdigest()[:24]


def _check_graph_iri(iri: str) -> str:
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise UsageError(f"--graph: not an absolute IRI: {iri!r} ({exc})") from None
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
        raise UsageError(f"--graph: not an absolute IRI: {iri!r}")
    return iri


# --- HTTP with retries --------------------------------------------------------------------------------------


class _Unsupported(Exception):
    """The endpoint does not speak the protocol asked of it (404, 405, 415, 501)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


def store_message(response: httpx.Response, limit: int = 500) -> str:
    """The store's own words from an error answer: text, HTML stripped, whitespace folded, cut short."""
    text = response.content[:20_000].decode(response.encoding or "utf-8", errors="replace")
    if "<" in text and re.search(r"</?(html|body|h1|p|pre|xmp|title)\b", text, re.I):
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"\s+", " ", text).strip()
    return (text[:limit] + "…") if len(text) > limit else (text or "(no message)")


class Client:
    """A small SPARQL 1.1 client: Graph Store Protocol, Update, Query, with retries and clear errors."""

    def __init__(
        self,
        urls: Endpoints,
        *,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        retries: int = DEFAULT_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
        backoff: float = DEFAULT_BACKOFF,
        progress: Progress = _quiet,
    ) -> None:
        import httpx

        from . import __version__

        self.urls = urls
        self.retries = retries
        self.backoff = backoff
        self.progress = progress
        self.retried = 0
        self.requests = 0
        self.server = ""  # the Server header of the store's last answer (to know Virtuoso)
        self._has_auth = auth is not None or bool(headers)
        self.http = httpx.Client(
            auth=auth,
            headers={"User-Agent": f"alliance-kg/{__version__}", **(headers or {})},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        unsupported_ok: bool = False,
        retries: int | None = None,
    ) -> httpx.Response:
        """Send a request; retry connection errors, timeouts and transient answers with exponential backoff.
        Raise :class:`_Unsupported` for 404/405/415/501 when ``unsupported_ok``, else :class:`StoreError`."""
        import httpx

        attempts = (self.retries if retries is None else retries) + 1
        started = time.monotonic()
        problem = ""
        for attempt in range(attempts):
            if attempt:
                delay = min(self.backoff * 2 ** (attempt - 1), 10.0)
                self.progress(f"  {problem}; retrying in {delay:.1f} s ({attempt} of {attempts - 1})")
                time.sleep(delay)
                self.retried += 1
            self.requests += 1
            try:
                response = self.http.request(
                    method, url, params=params, content=content, data=data, headers=headers
                )
            except httpx.TransportError as exc:
                problem = f"{what}: {_transport_problem(exc)}"
                continue
            status = response.status_code
            self.server = response.headers.get("Server", self.server)
            if 200 <= status < 300:
                return response
            message = store_message(response)
            if status in _TRANSIENT:
                problem = f"{what}: the store answered {status} {response.reason_phrase}: {message}"
                continue
            if unsupported_ok and status in _NOT_SUPPORTED:
                raise _Unsupported(status, message)
            raise StoreError(self._refusal(response, url, what, message))
        waited = time.monotonic() - started
        raise StoreError(
            f"{problem} — gave up after {attempts} attempt(s) over {waited:.1f} s; is the store running at "
            f"{url}?"
        )

    def _refusal(self, response: httpx.Response, url: str, what: str, message: str) -> str:
        status = f"{response.status_code} {response.reason_phrase}"
        if response.status_code == 401:
            challenge = response.headers.get("WWW-Authenticate", "")
            if not self._has_auth:
                hint = "; give --auth and --auth-env (the name of a variable holding the credentials)"
            elif challenge.lower().startswith("digest") and not isinstance(self.http.auth, _digest_class()):
                hint = "; the store asks for digest authentication (--auth digest)"
            else:
                hint = "; check the credentials in the --auth-env variable"
            return f"{what}: the store at {url} refused the credentials ({status}){hint}: {message}"
        if response.status_code == 403:
            return f"{what}: the store at {url} forbids it ({status}): {message}"
        if 300 <= response.status_code < 400:
            where = response.headers.get("Location", "?")
            return f"{what}: {url} redirects ({status}) to {where}: give that URL instead"
        return f"{what}: the store at {url} refused the request ({status}): {message}"

    # --- the protocols --------------------------------------------------------------------------------------

    def graph_store(self, method: str, graph: str, body: bytes, *, what: str, unsupported_ok: bool) -> None:
        self.request(
            method,
            self.urls.graph_store,
            what=what,
            params={"graph": graph},
            content=body,
            headers={"Content-Type": _NT},
            unsupported_ok=unsupported_ok,
        )

    def update(
        self, text: str, *, what: str, unsupported_ok: bool = False, retries: int | None = None
    ) -> None:
        self.request(
            "POST",
            self.urls.update,
            what=what,
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
            unsupported_ok=unsupported_ok,
            retries=retries,
        )

    def query(
        self,
        text: str,
        *,
        accept: str = "application/sparql-results+json",
        default_graphs: Sequence[str] = (),
        what: str = "query",
    ) -> httpx.Response:
        form = [("query", text), *(("default-graph-uri", g) for g in default_graphs)]
        return self.request(
            "POST",
            self.urls.query,
            what=what,
            content=_form(form),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )

    def count(self, graph: str) -> int:
        import pyoxigraph as ox

        response = self.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", what=f"count <{graph}>"
        )
        try:
            rows = list(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON))
            return int(rows[0]["n"].value) if rows and rows[0]["n"] is not None else 0
        except (SyntaxError, ValueError, IndexError, TypeError) as exc:
            raise StoreError(
                f"count <{graph}>: the store's answer at {self.urls.query} is not SPARQL JSON results: {exc}"
            ) from None


def _digest_class() -> type:
    import httpx

    return httpx.DigestAuth


def _form(pairs: Sequence[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(pairs).encode("ascii")


def _transport_problem(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or "connection failed"
        return f"cannot connect ({reason})"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({type(exc).__name__})"
    return f"the connection broke ({str(exc) or type(exc).__name__})"


# --- the load -----------------------------------------------------------------------------------------------


def load(
    endpoint: str,
    *,
    graph: str | None = None,
    mode: str = "replace",
    reasoned: bool = False,
    extra: Sequence[Path | str] = (),
    protocol: str = "auto",
    query_endpoint: str | None = None,
    update_endpoint: str | None = None,
    auth: str | None = None,
    auth_env: str | None = None,
    batch_size: int | None = None,
    retries: int = DEFAULT_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
    backoff: float = DEFAULT_BACKOFF,
    progress: Progress = _quiet,
    triples: Mapping[str, Sequence[ox.Triple]] | None = None,
) -> LoadReport:
    """Load the graph (or ``triples``, by target graph) into the store at ``endpoint`` and verify the counts.
    Raises :class:`StoreError` when the store is unreachable or refuses, :class:`CheckFailed` when the counts
    read back differ from ours, :class:`UsageError` for contradictory options."""
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r} (replace or append)")
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown --protocol {protocol!r} (one of {', '.join(PROTOCOLS)})")
    if batch_size is not None and batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if retries < 0:
        raise UsageError("--retries cannot be negative")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    if graph is not None:
        _check_graph_iri(graph)
    urls = endpoints(endpoint, query_endpoint=query_endpoint, update_endpoint=update_endpoint)
    auth_object, auth_headers = credentials(auth, auth_env)
    started = time.monotonic()
    if triples is None:
        plan = graphs_to_load(graph=graph, reasoned=reasoned, extra=extra)
    else:
        plan = {g: list(t) for g, t in triples.items() if t}
    total = sum(len(t) for t in plan.values())
    progress(f"loading {total:,} triples in {len(plan)} graph(s) into {urls.graph_store} ({mode})")
    client = Client(
        urls,
        auth=auth_object,
        headers=auth_headers,
        retries=retries,
        timeout=timeout,
        backoff=backoff,
        progress=progress,
    )
    with client:
        loader = _Loader(client, plan, mode=mode, protocol=protocol, batch_size=batch_size, progress=progress)
        # In the layout of named graphs, a replace also removes the graphs of ours that this load does not
        # bring (…/graph/inferred after a load without --reasoned, …/graph/user without --data), so that the
        # store holds exactly what `alliance-kg export --format nq` gives.
        if mode == "replace" and graph is None and triples is None:
            from .graph import USER_GRAPH

            loader.obsolete = [g for g in (INFERRED_GRAPH, str(USER_GRAPH)) if g not in plan]
        report = loader.run()
    report.seconds = time.monotonic() - started
    report.retries = client.retried
    report.requests = client.requests
    if not report.verified:
        wrong = [g for g in report.graphs if not g.verified]
        detail = "; ".join(
            f"<{g.graph}> holds {g.in_store:,} triples, we sent {g.triples:,}"
            + ("" if g.before is None else f" onto {g.before:,}")
            for g in wrong
        )
        raise CheckFailed(f"the store's counts differ from ours after the load: {detail}")
    return report


class _Loader:
    def __init__(
        self,
        client: Client,
        plan: Mapping[str, Sequence[ox.Triple]],
        *,
        mode: str,
        protocol: str,
        batch_size: int | None,
        progress: Progress,
    ) -> None:
        self.client = client
        self.plan = plan
        self.mode = mode
        self.protocol = "update" if protocol == "update" else "graph-store"
        self.fallback = protocol == "auto"
        self.direct = protocol == "graph-store"
        self.batch_size = batch_size
        self.progress = progress
        self.obsolete: list[str] = []
        self.checkpointed = False
        self.total = sum(len(t) for t in plan.values())
        self.sent = 0

    def run(self) -> LoadReport:
        report = LoadReport(
            self.client.urls.graph_store if self.protocol == "graph-store" else self.client.urls.update,
            self.protocol,
            self.mode,
            staged=not self.direct,
        )
        if self.direct:
            self._write_directly(report)
        else:
            self._stage_and_publish(report)
        report.protocol = self.protocol
        if self.protocol == "update":
            report.endpoint = self.client.urls.update
        return report

    # --- staged (atomic) -----------------------------------------------------------------------------------

    def _stage_and_publish(self, report: LoadReport) -> None:
        staging = {target: staging_graph(target) for target in self.plan}
        published = False
        try:
            for target, triples in self.plan.items():
                self._stage(target, staging[target], triples)
            for target, stage in staging.items():
                held = self.client.count(stage)
                if held != len(set(self.plan[target])):
                    raise CheckFailed(
                        f"the staging graph <{stage}> of <{target}> holds {held:,} triples where we sent "
                        f"{len(self.plan[target]):,} (the store may merge literals it takes for equal); "
                        f"<{target}> is unchanged"
                    )
            before = {t: self.client.count(t) for t in self.plan} if self.mode == "append" else {}
            operations = []
            for target, stage in staging.items():
                if self.mode == "replace":
                    operations.append(f"MOVE <{stage}> TO <{target}>")
                else:
                    operations += [f"ADD <{stage}> TO <{target}>", f"DROP SILENT GRAPH <{stage}>"]
            dropped = []
            for graph in self.obsolete:
                if self.client.count(graph):
                    operations.append(f"DROP SILENT GRAPH <{graph}>")
                    dropped.append(graph)
            self.progress(f"  publishing {len(staging)} staged graph(s) in one update request")
            try:
                self.client.update(
                    " ;\n".join(operations), what="publish the staged graphs", unsupported_ok=True
                )
            except _Unsupported as exc:
                raise StoreError(
                    f"publish the staged graphs: {self.client.urls.update} does not take SPARQL Update "
                    f"({exc.status}: {exc.message}); give the store's update endpoint with "
                    "--update-endpoint, or write the graphs directly with --protocol graph-store"
                ) from None
            published = True
            report.dropped = dropped
            if self.client.server.startswith("Virtuoso"):
                self._virtuoso_checkpoint()
            for target, triples in self.plan.items():
                report.graphs.append(
                    GraphLoad(target, len(set(triples)), self.client.count(target), before.get(target))
                )
        except BaseException:
            if not published:
                self._clean(staging.values())
            raise

    def _stage(self, target: str, stage: str, triples: Sequence[ox.Triple]) -> None:
        if self.protocol == "graph-store":
            try:
                self._stage_batches(target, stage, triples)
                return
            except _Unsupported as exc:
                self.progress(
                    f"  the endpoint {self.client.urls.graph_store} does not speak the Graph Store Protocol "
                    f"({exc.status}: {exc.message[:120]}); using SPARQL Update at {self.client.urls.update}"
                )
                self.protocol = "update"
        self.client.update(f"DROP SILENT GRAPH <{stage}>", what="clear the staging graph")
        self._stage_batches(target, stage, triples)

    def _stage_batches(self, target: str, stage: str, triples: Sequence[ox.Triple]) -> None:
        size = self.batch_size or (
            DEFAULT_BATCH_SIZE if self.protocol == "graph-store" else UPDATE_BATCH_SIZE
        )
        parts = batches(triples, size)
        for number, batch in enumerate(parts, 1):
            body = _ntriples(batch)
            what = f"stage <{target}> (batch {number} of {len(parts)})"
            if self.protocol == "graph-store":
                self.client.graph_store(
                    "PUT" if number == 1 else "POST",
                    stage,
                    body,
                    what=what,
                    unsupported_ok=self.fallback and number == 1,
                )
            else:
                self.client.update(insert_text(stage, batch, body), what=what)
            self.sent += len(batch)
            if self.total > size:
                share = 100 * self.sent / max(self.total, 1)
                self.progress(
                    f"  <{target}>: batch {number} of {len(parts)} staged; {self.sent:,} of {self.total:,} "
                    f"triples ({share:.0f} %)"
                )
        if self.total <= size:
            self.progress(f"  <{target}>: {len(triples):,} triples staged")

    def _virtuoso_checkpoint(self) -> None:
        """Virtuoso 7.2 does not replay graph-to-graph updates (MOVE, ADD, COPY, DELETE/INSERT … WHERE)
        faithfully from its transaction log: after a crash, graphs written that way since its last checkpoint
        came back with triples missing (seen here: 3,519 of 3,857), where a Graph Store PUT came back whole.
        So the publishing update is followed by a checkpoint, which makes it durable; a user without the
        right to run one is told, and the load still succeeds."""
        try:
            self.client.request(
                "POST",
                self.client.urls.update,
                what="checkpoint Virtuoso",
                content=_form([("query", "SELECT (bif:exec('checkpoint') AS ?done) WHERE {}")]),
                headers={
                    "Accept": "application/sparql-results+json",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                retries=1,
            )
            self.checkpointed = True
            self.progress("  Virtuoso: checkpoint done, so that a crash cannot undo the publishing update")
        except StoreError as exc:
            self.progress(
                f"  warning: Virtuoso refused a checkpoint ({exc}); until its next checkpoint, a crash of "
                "the store may lose triples of the graphs just published (a Virtuoso defect with MOVE)"
            )

    def _clean(self, graphs: Iterable[str]) -> None:
        """Best effort, after a failure: drop the staging graphs (a store that went away keeps them until the
        next load clears them)."""
        try:
            text = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
            self.client.update(text, what="drop the staging graphs", retries=0)
        except (StoreError, _Unsupported):
            pass

    # --- direct (--protocol graph-store) -------------------------------------------------------------------

    def _write_directly(self, report: LoadReport) -> None:
        for target, triples in self.plan.items():
            before = self.client.count(target) if self.mode == "append" else None
            self.client.graph_store(
                "PUT" if self.mode == "replace" else "POST",
                target,
                _ntriples(triples),
                what=f"write <{target}>",
                unsupported_ok=False,
            )
            self.sent += len(triples)
            self.progress(f"  <{target}>: {len(triples):,} triples written ({self.sent:,} of {self.total:,})")
            report.graphs.append(GraphLoad(target, len(set(triples)), self.client.count(target), before))


# --- querying a remote store --------------------------------------------------------------------------------


def values_clause(bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """A trailing SPARQL ``VALUES`` block that binds the given variables to RDF terms, written from the terms
    (N-Triples syntax, escaped by pyoxigraph), never from user text. Empty when there is nothing to bind."""
    import pyoxigraph as ox

    if not bindings:
        return ""
    names, terms = [], []
    for name, term in bindings.items():
        if not _VARNAME.fullmatch(name):
            raise UsageError(f"not a SPARQL variable name: {name!r}")
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise UsageError(
                f"parameter {name}: only IRIs and literals can be bound, not {type(term).__name__}"
            )
        names.append(f"?{name}")
        terms.append(str(term))
    return f"VALUES ({' '.join(names)}) {{\n  ({' '.join(terms)})\n}}\n"


_TOKENS = re.compile(
    r"""(?P<comment>\#[^\n]*)
      |(?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'
                 |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
      |(?P<iri><[^<>"{}|^`\\\s]*>)
      |(?P<brace>[{}])""",
    re.X,
)


def _where_end(text: str) -> int:
    """The offset of the closing brace of the query's WHERE clause: the last ``}`` outside comments, strings
    and IRIs (solution modifiers have no braces)."""
    last = -1
    for match in _TOKENS.finditer(text):
        if match.lastgroup == "brace" and match.group() == "}":
            last = match.start()
    if last < 0:
        raise UsageError("the query has no WHERE clause to bind parameters in")
    return last


def query_text(
    text: str, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None, *, inline: bool = False
) -> str:
    """A query as a remote store needs it: the project's prefixes the query uses but does not declare, the
    query, and its parameters as a trailing VALUES block (SPARQL 1.1 §10.2.2) — or, with ``inline``, as a
    VALUES block at the end of the WHERE clause, for stores that refuse a trailing one after ASK or CONSTRUCT
    (Virtuoso 7). Inline, the values are in scope of the WHERE clause's FILTERs, as with substitution."""
    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", text)}
    prologue = "".join(
        f"PREFIX {prefix}: <{namespace}>\n"
        for prefix, namespace in PREFIXES.items()
        if prefix.lower() not in declared and re.search(rf"(?<![\w<]){re.escape(prefix)}:", text)
    )
    values = values_clause(bindings or {})
    if inline and values:
        end = _where_end(text)
        return prologue + text[:end] + "\n" + values + text[end:] + ("" if text.endswith("\n") else "\n")
    body = text if text.endswith("\n") else text + "\n"
    return prologue + body + values


def remote_query(
    endpoint: str,
    text: str,
    bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
    *,
    default_graphs: Sequence[str] = (),
    construct: bool = False,
    inline: bool = False,
    auth: str | None = None,
    auth_env: str | None = None,
    retries: int = 1,
    timeout: float = 60.0,
) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
    """Run a query on a remote SPARQL endpoint, parameters bound as a VALUES block, and parse the answer with
    pyoxigraph: solutions or a boolean (SPARQL JSON results), or the triples of a CONSTRUCT (N-Triples)."""
    import pyoxigraph as ox

    auth_object, headers = credentials(auth, auth_env)
    urls = Endpoints(endpoint, endpoint, endpoint)
    with Client(urls, auth=auth_object, headers=headers, retries=retries, timeout=timeout) as client:
        accept = _NT if construct else "application/sparql-results+json"
        response = client.query(
            query_text(text, bindings, inline=inline), accept=accept, default_graphs=default_graphs
        )
    try:
        if construct:
            return [q.triple for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]
        return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    except (SyntaxError, ValueError) as exc:
        kind = "N-Triples" if construct else "SPARQL JSON results"
        raise StoreError(f"the answer of {endpoint} is not {kind}: {exc}") from None
