"""Real triple stores for the integration tests (Oxigraph server and Virtuoso Open Source), faults to put
between them and ``alliance-kg load``, and the tests' own way of reading a store.

Each server runs on 127.0.0.1 (never another address), on free ports, with its data in a temporary folder,
as a child process of the tests: it is stopped by its PID (terminate, then kill), never by name. Readiness is
polled with a timeout. ``kill()`` stops it hard (SIGKILL, as a crash would) and ``start()`` brings it back on
the same ports and the same data folder, so that a test can check what survived.

:class:`FaultProxy` sits between a load and a store, on 127.0.0.1, records every request and, at the n-th
request that matches, kills the store, loses the store's answer or holds the request unanswered.
:class:`SilentStore` accepts connections and never answers. :func:`remote_query` and :class:`Reader` query a
store over HTTP with httpx alone, independently of the code under test.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

if TYPE_CHECKING:
    import httpx
    import pyoxigraph as ox

VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
#: A new Virtuoso database has the user dba with password dba (Debian's package and the upstream default).
VIRTUOSO_CREDENTIALS = "dba:dba"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    return free_port()


def _http_ok(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


@dataclass
class Server(ABC):
    """A store running as a child process; subclasses say how to start it and where its endpoints are."""

    workdir: Path
    name: str = "store"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    start_timeout: float = 30.0

    # --- what the tests use --------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    @abstractmethod
    def graph_store(self) -> str:
        """The Graph Store Protocol endpoint that accepts writes."""

    @property
    @abstractmethod
    def query_endpoint(self) -> str:
        """The SPARQL query endpoint."""

    @property
    @abstractmethod
    def update_endpoint(self) -> str:
        """The SPARQL Update endpoint."""

    #: "basic"/"digest" and the name of an environment variable with user:password, or None.
    auth: str | None = None
    credentials: str | None = None

    # --- life cycle ----------------------------------------------------------------------------------------
    @abstractmethod
    def command(self) -> list[str]:
        """The command line that starts the store in the foreground."""

    @abstractmethod
    def ready_url(self) -> str:
        """A URL that answers once the store is ready."""

    def start(self) -> Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"{self.name}.out", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            self.command(), cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} on start:\n{self.log()}"
                )
            if _http_ok(self.ready_url()):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {self.start_timeout} s:\n{self.log()}")

    def log(self) -> str:
        path = self.workdir / f"{self.name}.out"
        return path.read_text(errors="replace")[-3000:] if path.is_file() else ""

    def stop(self) -> None:
        """Stop the server cleanly (SIGTERM to its PID), killing it after a timeout."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """Stop the server hard, as a crash would (SIGKILL to its PID)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class OxigraphServer(Server):
    """``oxigraph serve`` (PyPI ``oxigraph``): Graph Store at /store, queries at /query, updates at
    /update."""

    name: str = "oxigraph"
    start_timeout: float = 15.0
    read_only: bool = False  # `oxigraph serve-read-only` (needs an existing database: `oxigraph load` first)
    union_default_graph: bool = False  # queries without GRAPH see every graph (staging graphs included)

    @property
    def graph_store(self) -> str:
        return self.base + "/store"

    @property
    def query_endpoint(self) -> str:
        return self.base + "/query"

    @property
    def update_endpoint(self) -> str:
        return self.base + "/update"

    def command(self) -> list[str]:
        # the `test` extra installs it beside the interpreter, which need not be on PATH
        beside = Path(sys.executable).with_name("oxigraph")
        program = shutil.which("oxigraph") or (str(beside) if beside.is_file() else None)
        assert program, "oxigraph is not installed (pip install oxigraph)"
        serve = "serve-read-only" if self.read_only else "serve"
        union = ["--union-default-graph"] if self.union_default_graph else []
        return [
            program,
            serve,
            "--location",
            str(self.workdir / "db"),
            "--bind",
            f"127.0.0.1:{self.port}",
            *union,
        ]

    def ready_url(self) -> str:
        return self.base + "/query?query=ASK%7B%7D"


@dataclass
class VirtuosoServer(Server):
    """Virtuoso Open Source 7 (Debian ``virtuoso-opensource``), from a copy of the system's virtuoso.ini with
    every path in the temporary folder and both ports (SQL and HTTP) on 127.0.0.1. Writes go through the
    Graph Store endpoint with digest authentication, ``/sparql-graph-crud-auth``; SPARQL Update through
    ``/sparql-auth``; queries through ``/sparql``."""

    name: str = "virtuoso"
    sql_port: int = field(default_factory=free_port)
    start_timeout: float = 60.0
    auth: str | None = "digest"
    credentials: str | None = VIRTUOSO_CREDENTIALS

    @property
    def graph_store(self) -> str:
        return self.base + "/sparql-graph-crud-auth"

    @property
    def query_endpoint(self) -> str:
        return self.base + "/sparql"

    @property
    def update_endpoint(self) -> str:
        return self.base + "/sparql-auth"

    def command(self) -> list[str]:
        program = shutil.which("virtuoso-t")
        assert program, "virtuoso-t is not installed"
        ini = self.workdir / "virtuoso.ini"
        if not ini.is_file():
            ini.write_text(self.configuration(), encoding="utf-8")
        return [program, "+foreground", "+configfile", str(ini)]

    def ready_url(self) -> str:
        return self.base + "/sparql?query=ASK%7B%7D"

    def configuration(self) -> str:
        """The system's virtuoso.ini with paths and ports rewritten (see the peers notes)."""
        db = self.workdir / "db"
        db.mkdir(parents=True, exist_ok=True)
        wanted = {
            "Database": {
                "DatabaseFile": db / "virtuoso.db",
                "ErrorLogFile": db / "virtuoso.log",
                "LockFile": db / "virtuoso.lck",
                "TransactionFile": db / "virtuoso.trx",
                "xa_persistent_file": db / "virtuoso.pxa",
            },
            "TempDatabase": {
                "DatabaseFile": db / "virtuoso-temp.db",
                "TransactionFile": db / "virtuoso-temp.trx",
            },
            "Parameters": {
                "ServerPort": f"127.0.0.1:{self.sql_port}",
                "DirsAllowed": f"., {self.workdir}",
                "MaxClientConnections": 20,
                "CheckpointInterval": 60,
            },
            "HTTPServer": {"ServerPort": f"127.0.0.1:{self.port}", "MaxClientConnections": 20},
            # Virtuoso refuses a query whose *estimated* cost exceeds this many seconds (400 by default);
            # its estimate for find-company-leaders over several default graphs is some 750 s, for a query
            # that runs in milliseconds. 0 turns the check off (docs/triple-stores.md says so for users).
            "SPARQL": {"ResultSetMaxRows": 1000000, "MaxQueryCostEstimationTime": 0},
        }
        lines: list[str] = []
        section = ""
        seen: set[tuple[str, str]] = set()

        def flush(section: str) -> None:
            for key, value in wanted.get(section, {}).items():
                if (section, key) not in seen:
                    lines.append(f"{key} = {value}")

        for line in VIRTUOSO_INI.read_text(encoding="utf-8").splitlines():
            header = re.match(r"^\[(.+)\]\s*$", line)
            if header:
                flush(section)
                section = header[1]
                lines.append(line)
                continue
            match = re.match(r"^(\w+)\s*=", line)
            if match and match[1] in wanted.get(section, {}):
                lines.append(f"{match[1]} = {wanted[section][match[1]]}")
                seen.add((section, match[1]))
            else:
                lines.append(line)
        flush(section)
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        """Virtuoso checkpoints and exits on SIGTERM; kill it if that takes too long."""
        super().stop()
        (self.workdir / "db" / "virtuoso.lck").unlink(missing_ok=True)

    def kill(self) -> None:
        super().kill()
        (self.workdir / "db" / "virtuoso.lck").unlink(missing_ok=True)


def server_auth(server: Server) -> httpx.Auth | None:
    """The httpx auth object for a store's credentials (Virtuoso: digest), or None."""
    import httpx

    if not server.credentials:
        return None
    user, _, password = server.credentials.partition(":")
    return httpx.DigestAuth(user, password) if server.auth == "digest" else httpx.BasicAuth(user, password)


# --- faults -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """A request as the proxy saw it."""

    method: str
    path: str
    params: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


#: What a :class:`Fault` does to its request.
#: kill: SIGKILL the store, then drop the connection unanswered (the request never reaches the store);
#: kill-after: forward the request, wait for the store's answer, SIGKILL the store, drop the answer;
#: drop-answer: forward the request, drop the store's answer (the store stays up);
#: stall: from this request on, hold every request unanswered until the proxy stops (a store that stopped
#: answering).
ACTIONS = ("kill", "kill-after", "drop-answer", "stall")


@dataclass
class Fault:
    """At the ``nth`` request that ``matches``, do ``action`` (one of :data:`ACTIONS`)."""

    matches: Callable[[Request], bool]
    nth: int = 1
    action: str = "kill"

    def __post_init__(self) -> None:
        assert self.action in ACTIONS, self.action


_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
        "host",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-authenticate",
        "accept-encoding",
    }
)


class FaultProxy:
    """An HTTP proxy on 127.0.0.1, on a free port, in front of ``server``: it forwards every request, records
    it in :attr:`requests`, and applies ``fault`` at its request. After a kill every request is dropped
    unanswered, as a dead store would leave it; after a stall every request waits. :attr:`fired` is set once
    the fault has happened."""

    def __init__(self, server: Server, fault: Fault | None = None) -> None:
        import httpx

        self.store = server
        self.fault = fault
        self.requests: list[Request] = []
        self.fired = threading.Event()
        self.killed = False
        self.stalled = False
        self._matched = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._forward = httpx.Client(timeout=120.0)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fault-proxy", daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, store_url: str) -> str:
        """``store_url`` (an endpoint of the store) through the proxy."""
        assert store_url.startswith(self.store.base), store_url
        return self.base + store_url[len(self.store.base) :]

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._forward.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def matching(self, predicate: Callable[[Request], bool]) -> list[Request]:
        return [r for r in self.requests if predicate(r)]

    def _action(self, request: Request) -> str | None:
        with self._lock:
            self.requests.append(request)
            if self.killed:
                return "dead"
            if self.stalled:
                return "stall"
            if self.fault is None or self.fired.is_set() or not self.fault.matches(request):
                return None
            self._matched += 1
            if self._matched != self.fault.nth:
                return None
            self.stalled = self.fault.action == "stall"
            return self.fault.action

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed ACK

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                action = proxy._action(Request(self.command, parts.path, params, body))
                if action in {"dead", "kill"}:
                    if action == "kill":
                        proxy._kill()
                    self.close_connection = True
                    return
                if action == "stall":
                    proxy.fired.set()
                    proxy._release.wait()
                    self.close_connection = True
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                try:
                    answer = proxy._forward.request(
                        self.command, proxy.store.base + self.path, headers=headers, content=body
                    )
                except Exception:  # the store is gone: leave the client without an answer, as it would
                    self.close_connection = True
                    return
                if action in {"kill-after", "drop-answer"}:
                    if action == "kill-after":
                        proxy._kill()
                    else:
                        proxy.fired.set()
                    self.close_connection = True
                    return
                # send_response_only: no Server header of our own, so the client still sees the store's.
                self.send_response_only(answer.status_code, answer.reason_phrase)
                for key, value in answer.headers.multi_items():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        return Handler

    def _kill(self) -> None:
        with self._lock:
            self.killed = True
        self.store.kill()
        self.fired.set()


class SilentStore:
    """A socket on 127.0.0.1 that accepts every connection and never answers: a store that hangs."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)  # so that the accepting thread sees the stop in time
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-store", daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self._held.append(connection)

    def __enter__(self) -> SilentStore:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()
        for connection in self._held:
            connection.close()


# --- reading a store, independently of the code under test ------------------------------------------------


def query_text(
    text: str, bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None, *, inline: bool = False
) -> str:
    """A query as a remote store needs it: the project's prefixes the query uses but does not declare, the
    query, and its parameters as a trailing VALUES block (SPARQL 1.1 §10.2.2) — or, with ``inline``, as a
    VALUES block at the end of the WHERE clause, for stores that refuse a trailing one after ASK or CONSTRUCT
    (Virtuoso 7). Inline, the values are in scope of the WHERE clause's FILTERs, as with substitution."""
    from alliance_kg.namespaces import PREFIXES

    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([\w-]*):", text)}
    prologue = "".join(
        f"PREFIX {prefix}: <{namespace}>\n"
        for prefix, namespace in PREFIXES.items()
        if prefix.lower() not in declared and re.search(rf"(?<![\w<]){re.escape(prefix)}:", text)
    )
    from alliance_kg.params import with_values

    body = text if text.endswith("\n") else text + "\n"
    return prologue + with_values(body, bindings or {}, at="end" if inline else "trailing")


def remote_query(
    endpoint: str,
    text: str,
    bindings: Mapping[str, ox.NamedNode | ox.Literal] | None = None,
    *,
    default_graphs: Sequence[str] = (),
    construct: bool = False,
    inline: bool = False,
    auth: httpx.Auth | None = None,
    timeout: float = 60.0,
) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
    """Run a query on a remote SPARQL endpoint, parameters bound as a VALUES block, and parse the answer with
    pyoxigraph: solutions or a boolean (SPARQL JSON results), or the triples of a CONSTRUCT (N-Triples)."""
    import httpx
    import pyoxigraph as ox

    form = [
        ("query", query_text(text, bindings, inline=inline)),
        *(("default-graph-uri", g) for g in default_graphs),
    ]
    accept = "application/n-triples" if construct else "application/sparql-results+json"
    response = httpx.post(
        endpoint,
        content=urlencode(form).encode("ascii"),
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        auth=auth,
        timeout=timeout,
    )
    assert response.status_code == 200, f"{endpoint} answered {response.status_code}: {response.text[:500]}"
    if construct:
        return [q.triple for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]
    return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)


class Reader:
    """What a store holds, read through its query endpoint."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def select(self, text: str) -> list[dict[str, str]]:
        rows = remote_query(self.server.query_endpoint, text)
        variables = [v.value for v in rows.variables]
        return [{v: row[v].value for v in variables if row[v] is not None} for row in rows]

    def count(self, graph: str) -> int:
        (row,) = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(row["n"])

    def triples(self, graph: str) -> list[ox.Triple]:
        return remote_query(
            self.server.query_endpoint,
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
            construct=True,
        )

    def graphs(self, prefix: str = "") -> dict[str, int]:
        """The named graphs whose IRI starts with ``prefix`` and their triple counts. Both ways of listing
        graphs are asked and merged: ``GRAPH ?g {}`` (Oxigraph lists empty graphs too; Virtuoso lists none)
        and ``GRAPH ?g { ?s ?p ?o }`` (every store, graphs with triples only)."""
        found: dict[str, int] = {}
        literal = '"' + prefix.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for row in self.select(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{}} FILTER(STRSTARTS(STR(?g), {literal})) }}"
        ):
            if "g" in row:
                found[row["g"]] = 0
        for row in self.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            f"FILTER(STRSTARTS(STR(?g), {literal})) }} GROUP BY ?g"
        ):
            found[row["g"]] = int(row["n"])
        return found

    def default_graph_size(self) -> int:
        (row,) = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(row["n"])
