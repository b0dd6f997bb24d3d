"""The HTTP side of a load: a small SPARQL 1.1 client (Graph Store Protocol, Update, Query) with retries, a
per-request timeout and a deadline for the whole load, the endpoints of the known stores, credentials, and
the masking of passwords written in URLs.

Retries: connection errors, timeouts and 408/429/5xx answers are retried with exponential backoff, as long as
the deadline allows. A request that must not be applied twice (the publishing update) is sent again only when
it cannot have reached the store (the connection was never made, or its body never sent); once sent, a lost
answer raises :class:`AnswerLost` and the caller asks the store what happened.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from ..errors import StoreError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import httpx
    import pyoxigraph as ox

AUTH_SCHEMES = ("basic", "digest", "bearer")
DEFAULT_RETRIES = 4
#: Seconds to wait for a connection and for each answer.
DEFAULT_TIMEOUT = 30.0
#: Seconds for the whole load, retries included.
DEFAULT_DEADLINE = 300.0
DEFAULT_BACKOFF = 0.5
CONNECT_TIMEOUT = 5.0
NTRIPLES = "application/n-triples"
SPARQL_JSON = "application/sparql-results+json"

#: Answers that mean "this endpoint does not speak that protocol" (so: try the other one).
NOT_SUPPORTED = frozenset({404, 405, 415, 501})
#: Answers worth retrying: the store is busy, restarting or overloaded.
_TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
#: Answers that say the request was not processed at all, so that even a publishing update can be resent.
_NOT_PROCESSED = frozenset({429, 503})

Progress = Callable[[str], None]


def quiet(message: str) -> None:
    pass


# --- errors -------------------------------------------------------------------------------------------------


class Unsupported(Exception):
    """The endpoint does not speak the protocol asked of it (404, 405, 415, 501)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


class StoreUnreachable(StoreError):
    """No answer: the connection failed or broke, the store did not answer in time, or the deadline passed.
    (A refusal is a :class:`Refused`: the store answered.)"""


class Refused(StoreError):
    """The store answered with a refusal (a 3xx or 4xx answer, or a 5xx one that is not retried), of status
    ``status``."""

    def __init__(self, message: str, status: int) -> None:
        self.status = status
        super().__init__(message)


class AnswerLost(StoreUnreachable):
    """A request that must not be applied twice reached the store, and no good answer came back (the
    connection broke, the time ran out, a 5xx answer): the store may or may not have applied it. ``status``
    is the 5xx status when there was one."""

    def __init__(self, message: str, problem: str, status: int | None = None) -> None:
        self.problem = problem
        self.status = status
        super().__init__(message)


# --- passwords in URLs --------------------------------------------------------------------------------------

#: user:password@ after "//" (a URL), or at the start of a word (a URL given without its scheme). The password
#: runs to the last "@" before the path, as urllib reads it.
_USERINFO = re.compile(r"(?P<user>(?://|(?<![^\s'\"(<])(?=[^\s/?#@:]+:))[^\s/?#@:]*):[^\s/?#]*@")


def redact(text: str) -> str:
    """``text`` with the password of every ``user:password@`` in it replaced by ``***``."""
    return _USERINFO.sub(r"\g<user>:***@", text)


class Masker:
    """Masks the passwords of some URLs in any text: in URLs (:func:`redact`), and wherever else they appear,
    as written or percent-decoded (an error message of the HTTP library, say). Passwords of fewer than four
    characters are masked in URLs only, lest every occurrence of a letter be masked."""

    def __init__(self, urls: Iterable[str | None] = ()) -> None:
        found: set[str] = set()
        for url in urls:
            if not url:
                continue
            userinfo = urlsplit(url).netloc.rpartition("@")[0] if "//" in url else url.rpartition("@")[0]
            password = userinfo.partition(":")[2]
            found.update(p for p in (password, unquote(password)) if len(p) >= 4)
        self.secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = redact(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


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
            raise UsageError(f"not an http(s) URL: {redact(url)!r}")
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
    (``user:password`` for basic and digest, a token for bearer). The value is never put into a message.
    Without either, a ``user:password@`` in the endpoint URL, if any, is sent as basic authentication."""
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


# --- answers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A store's answer, read whole."""

    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    encoding: str | None


def store_message(answer: Answer, limit: int = 500) -> str:
    """The store's own words from an error answer: text, HTML stripped, whitespace folded, cut short."""
    text = answer.content[:20_000].decode(answer.encoding or "utf-8", errors="replace")
    if "<" in text and re.search(r"</?(html|body|h1|p|pre|xmp|title)\b", text, re.I):
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"\s+", " ", text).strip()
    return (text[:limit] + "…") if len(text) > limit else (text or "(no message)")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return redact(urlunsplit((parts.scheme, parts.netloc, "", "", "")))


def _transport_problem(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectTimeout):
        return "cannot connect (no answer in time)"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({str(exc) or 'connection failed'})"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer in time ({type(exc).__name__})"
    return f"the connection broke ({str(exc) or type(exc).__name__})"


class _DeadlinePassed(Exception):
    """The deadline passed while an answer was coming in."""


# --- the client ---------------------------------------------------------------------------------------------


class Client:
    """A small SPARQL 1.1 client: Graph Store Protocol, Update, Query, with retries, a timeout per request and
    a deadline for all of its requests (counted from its creation), and errors that say what went wrong."""

    def __init__(
        self,
        urls: Endpoints,
        *,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        retries: int = DEFAULT_RETRIES,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        backoff: float = DEFAULT_BACKOFF,
        progress: Progress = quiet,
    ) -> None:
        import httpx

        from .. import __version__

        self.urls = urls
        self.retries = retries
        self.timeout = timeout
        self.deadline = deadline
        self.backoff = backoff
        self.progress = progress
        self.retried = 0
        self.requests = 0
        self.server = ""  # the Server header of the store's last answer (to know Virtuoso)
        self._ends = time.monotonic() + deadline
        self._has_auth = auth is not None or bool(headers)
        self.http = httpx.Client(
            auth=auth,
            headers={"User-Agent": f"alliance-kg/{__version__}", **(headers or {})},
            follow_redirects=False,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def remaining(self) -> float:
        """Seconds left before the deadline."""
        return self._ends - time.monotonic()

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        content: bytes | Sequence[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        unsupported_ok: bool = False,
        retries: int | None = None,
        resend: bool = True,
        timeout: float | None = None,
    ) -> Answer:
        """Send a request and return the store's answer (2xx). Connection errors, timeouts and transient
        answers are retried with exponential backoff, within the deadline. With ``resend=False`` a request
        that may have reached the store is not sent again: :class:`AnswerLost` instead. ``timeout`` replaces
        the per-request timeout (never beyond the deadline). ``content`` in parts is sent one part after the
        other, with its length (not joined: a large body is held once). Raises :class:`Unsupported` for
        404/405/415/501 when ``unsupported_ok``, :class:`StoreUnreachable` when there is no answer, else
        :class:`Refused` (the store's refusal, with its status)."""
        import httpx

        if content is not None and not isinstance(content, bytes):
            length = sum(map(len, content))  # a list of parts can be sent again, unlike a generator
            headers = {**(headers or {}), "Content-Length": str(length)}
        attempts = (self.retries if retries is None else retries) + 1
        started = time.monotonic()
        problem = ""
        shown = redact(url)
        made = 0
        for attempt in range(attempts):
            if attempt:
                delay = min(self.backoff * 2 ** (attempt - 1), 10.0)
                if delay >= self.remaining():
                    break
                self.progress(f"  {problem}; retrying in {delay:.1f} s ({attempt} of {attempts - 1})")
                time.sleep(delay)
                self.retried += 1
            left = self.remaining()
            if left <= 0:
                break
            wait = min(self.timeout if timeout is None else timeout, left)
            self.requests += 1
            made += 1
            try:
                answer = self._send(method, url, params, content, headers, wait)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.WriteError, httpx.WriteTimeout) as exc:
                problem = f"{what}: {_transport_problem(exc)}"  # not (wholly) sent: safe to send again
                continue
            except (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError, _DeadlinePassed) as exc:
                reason = "no answer before the deadline" if isinstance(exc, _DeadlinePassed) else None
                problem = f"{what}: {reason or _transport_problem(exc)}"
                if not resend:
                    raise AnswerLost(f"{problem} (at {shown})", reason or _transport_problem(exc)) from None
                continue
            except httpx.InvalidURL as exc:
                raise UsageError(f"not a valid URL: {shown} ({exc})") from None
            except httpx.HTTPError as exc:
                raise StoreError(f"{what}: {type(exc).__name__} at {shown}: {exc}") from None
            status = answer.status
            self.server = answer.headers.get("Server", self.server)
            if 200 <= status < 300:
                return answer
            message = store_message(answer)
            if status in _TRANSIENT:
                problem = f"{what}: the store answered {status} {answer.reason}: {message}"
                if not resend and status not in _NOT_PROCESSED:
                    raise AnswerLost(
                        f"{problem} (at {shown})", f"{status} {answer.reason}: {message}", status
                    )
                continue
            if unsupported_ok and status in NOT_SUPPORTED:
                raise Unsupported(status, message)
            raise Refused(self._refusal(answer, shown, what, message), status)
        tried = f"{made} attempt(s) over {time.monotonic() - started:.1f} s"
        if made < attempts:  # the deadline came first
            raise StoreUnreachable(
                f"{problem or what + ': not sent'} — the load's deadline of {self.deadline:g} s (--deadline) "
                f"has passed, after {tried}; is the store at {shown} answering? (--timeout and --deadline "
                "give it longer)"
            )
        if "cannot connect" in problem:
            raise StoreUnreachable(
                f"{problem} — gave up after {tried}; is the store running at {_origin(url)}?"
            )
        raise StoreUnreachable(f"{problem} — gave up after {tried}; is the store at {shown} answering?")

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        content: bytes | Sequence[bytes] | None,
        headers: Mapping[str, str] | None,
        wait: float,
    ) -> Answer:
        """One request; the answer read in chunks, so that a store that answers too slowly is left at the
        deadline (each network read waits at most ``wait`` seconds)."""
        import httpx

        timeout = httpx.Timeout(wait, connect=min(wait, CONNECT_TIMEOUT))
        with self.http.stream(
            method, url, params=params, content=content, headers=headers, timeout=timeout
        ) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if self.remaining() <= 0:
                    raise _DeadlinePassed
            return Answer(
                response.status_code, response.reason_phrase, response.headers, bytes(body), response.encoding
            )

    def _refusal(self, answer: Answer, url: str, what: str, message: str) -> str:
        import httpx

        status = f"{answer.status} {answer.reason}"
        if answer.status == 401:
            challenge = answer.headers.get("WWW-Authenticate", "")
            if not self._has_auth:
                hint = "; give --auth and --auth-env (the name of a variable holding the credentials)"
            elif challenge.lower().startswith("digest") and not isinstance(self.http.auth, httpx.DigestAuth):
                hint = "; the store asks for digest authentication (--auth digest)"
            else:
                hint = "; check the credentials in the --auth-env variable"
            return f"{what}: the store at {url} refused the credentials ({status}){hint}: {message}"
        if answer.status == 403:
            return f"{what}: the store at {url} forbids it ({status}): {message}"
        if 300 <= answer.status < 400:
            where = redact(answer.headers.get("Location", "?"))
            return f"{what}: {url} redirects ({status}) to {where}: give that URL instead"
        return f"{what}: the store at {url} refused the request ({status}): {message}"

    # --- the protocols --------------------------------------------------------------------------------------

    def graph_store(self, method: str, graph: str, body: bytes, *, what: str, unsupported_ok: bool) -> None:
        """PUT or POST ``body`` (N-Triples) into ``graph`` with the Graph Store Protocol."""
        self.request(
            method,
            self.urls.graph_store,
            what=what,
            params={"graph": graph},
            content=body,
            headers={"Content-Type": NTRIPLES},
            unsupported_ok=unsupported_ok,
        )

    def delete_graph(self, graph: str, *, what: str, timeout: float | None = None) -> None:
        """DELETE ``graph`` with the Graph Store Protocol; a graph that is not there (404) is fine."""
        try:
            self.request(
                "DELETE",
                self.urls.graph_store,
                what=what,
                params={"graph": graph},
                unsupported_ok=True,
                timeout=timeout,
            )
        except Unsupported as exc:
            if exc.status != 404:
                raise StoreError(f"{what}: {redact(self.urls.graph_store)} answered {exc}") from None

    def update(
        self,
        text: str | bytes | Sequence[bytes],
        *,
        what: str,
        unsupported_ok: bool = False,
        retries: int | None = None,
        resend: bool = True,
        timeout: float | None = None,
    ) -> None:
        self.request(
            "POST",
            self.urls.update,
            what=what,
            content=text.encode("utf-8") if isinstance(text, str) else text,
            headers={"Content-Type": "application/sparql-update"},
            unsupported_ok=unsupported_ok,
            retries=retries,
            resend=resend,
            timeout=timeout,
        )

    def query(
        self,
        text: str,
        *,
        accept: str = SPARQL_JSON,
        default_graphs: Sequence[str] = (),
        what: str = "query",
        url: str | None = None,
        retries: int | None = None,
    ) -> Answer:
        form = [("query", text), *(("default-graph-uri", g) for g in default_graphs)]
        return self.request(
            "POST",
            url or self.urls.query,
            what=what,
            content=urlencode(form).encode("ascii"),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
            retries=retries,
        )

    def select(self, text: str, *, what: str) -> list[dict[str, ox.NamedNode | ox.Literal | ox.BlankNode]]:
        """The solutions of a SELECT query, each as a dict of its bound variables."""
        import pyoxigraph as ox

        answer = self.query(text, what=what)
        try:
            solutions = ox.parse_query_results(answer.content, format=ox.QueryResultsFormat.JSON)
            if not isinstance(solutions, ox.QuerySolutions):
                raise TypeError("a boolean where solutions were asked for")
            names = [v.value for v in solutions.variables]
            return [{n: row[n] for n in names if row[n] is not None} for row in solutions]
        except (SyntaxError, ValueError, TypeError) as exc:
            raise StoreError(
                f"{what}: the store's answer at {redact(self.urls.query)} is not SPARQL JSON results: {exc}"
            ) from None

    def count(self, graph: str) -> int:
        """The number of triples in ``graph``."""
        rows = self.select(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", what=f"count <{graph}>"
        )
        try:
            return int(rows[0]["n"].value) if rows and "n" in rows[0] else 0
        except ValueError as exc:
            raise StoreError(f"count <{graph}>: not a number in the store's answer: {exc}") from None
