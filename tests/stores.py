"""Real triple stores for the integration tests: Oxigraph server and Virtuoso Open Source.

Each server runs on 127.0.0.1 (never another address), on free ports, with its data in a temporary folder,
as a child process of the tests: it is stopped by its PID (terminate, then kill), never by name. Readiness is
polled with a timeout. ``kill()`` stops it hard (SIGKILL, as a crash would) and ``start()`` brings it back on
the same ports and the same data folder, so that a test can check what survived.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

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
        return [program, serve, "--location", str(self.workdir / "db"), "--bind", f"127.0.0.1:{self.port}"]

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
