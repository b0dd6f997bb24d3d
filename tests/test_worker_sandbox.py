"""The query workers cannot open network connections (issue 9, defence in depth).

The gate refuses ``SERVICE`` before a worker sees a query; these tests skip the gate on purpose — they build
the worker's request themselves, with a ``CheckedQuery`` the gate would never have made — and show that the
operating system refuses the engine's connection: a listener on 127.0.0.1 counts what reaches it. A control
runs the same query on pyoxigraph in the test process, which does connect, so the count of 0 means something.

Whatever installs the sandbox runs in a fresh subprocess (``python -c``) or in a worker, never in the test
process, which stays free to open sockets. Without seccomp (not Linux, no libseccomp) the tests that need it
skip with the reason, and fail in CI (CI=true), like ``conftest.require_program``.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import IN_CI, ROOT

from alliance_kg import gate
from alliance_kg.gate import CheckedQuery
from alliance_kg.server.execute import Graphs, QueryRequest, QueryResponse
from alliance_kg.server.workers import QueryPool

GRAPH = "https://w3id.org/alliance-kg/graph/data"
NQUADS = f'<https://example.org/a> <https://example.org/p> "x" <{GRAPH}> .\n'.encode()
GRAPHS = Graphs((GRAPH,), (GRAPH,))
WAIT = 2.0  # seconds a listener is given to see a connection that is on its way

# Loaded by a fresh interpreter from PYTHONPATH before anything else: libseccomp cannot be loaded, as on a
# platform that does not have it.
HIDE_LIBSECCOMP = """
import ctypes

_CDLL = ctypes.CDLL


class _Hidden(_CDLL):
    def __init__(self, name, *args, **kwargs):
        if name is not None and "seccomp" in str(name):
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        super().__init__(name, *args, **kwargs)


ctypes.CDLL = _Hidden
"""


def require_seccomp() -> None:
    """The platform's side of the sandbox: Linux with seccomp filters, and libseccomp. Missing: skip with the
    reason, but fail in CI, whose machine has both."""
    problem = None
    if sys.platform != "linux":
        problem = f"seccomp is Linux's, and this is {sys.platform}"
    elif "Seccomp:" not in Path("/proc/self/status").read_text():
        problem = "this kernel has no seccomp"
    else:
        try:
            ctypes.CDLL("libseccomp.so.2")
        except OSError as exc:
            problem = f"libseccomp cannot be loaded ({exc}); it is Debian's package libseccomp2"
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"the query workers cannot be sandboxed: {problem}; CI must have it")
    pytest.skip(f"the query workers cannot be sandboxed: {problem}")


class Listener:
    """A TCP socket on 127.0.0.1 that accepts and counts connections."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def seen(self, at_least: int = 1) -> int:
        """The connections accepted, waiting up to WAIT seconds for ``at_least`` of them."""
        deadline = time.monotonic() + WAIT
        while self.accepted < at_least and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.accepted

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    try:
        yield found
    finally:
        found.close()


def service_query(port: int) -> str:
    return f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }} }}"


def ungated(text: str, form: str = "SELECT") -> QueryRequest:
    """The request a worker gets, made here without the gate: nothing checks ``text``."""
    return QueryRequest(text=text, query=CheckedQuery(text, form), timeout=5.0)


def run_in_pool(*requests: QueryRequest, **options: object) -> tuple[list[QueryResponse], QueryPool]:
    """Start a pool of one worker, send it ``requests``, close it; its answers and the (closed) pool."""
    pool = QueryPool(NQUADS, GRAPHS, size=1, timeout=5.0, **options)  # type: ignore[arg-type]

    async def go() -> list[QueryResponse]:
        await pool.start()
        try:
            return [await pool.run(r) for r in requests]
        finally:
            await pool.close()

    return asyncio.run(go()), pool


def python(code: str, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports this copy of the package."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def hiding_libseccomp(tmp_path: Path) -> dict[str, str]:
    """An environment whose interpreters cannot load libseccomp."""
    (tmp_path / "sitecustomize.py").write_text(HIDE_LIBSECCOMP)
    return {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}


def socket_fds(pid: int) -> dict[int, str]:
    """The file descriptors of a process that are sockets: ``{fd: "socket:[inode]"}``."""
    found = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found[int(name)] = target
    return found


# --- 1. SERVICE in a worker: the OS refuses the connection -------------------------------------------


def test_service_connects_from_the_test_process(listener: Listener) -> None:
    """The control: pyoxigraph, unsandboxed, does send the request, so a count of 0 below is the sandbox's."""
    with pytest.raises(OSError):  # the listener closes the connection without answering
        list(ox.Store().query(service_query(listener.port)))
    assert listener.seen() >= 1


def test_service_sent_straight_to_a_worker_is_refused_by_the_os(listener: Listener) -> None:
    require_seccomp()
    text = service_query(listener.port)
    with pytest.raises(gate.Refused):  # the server would never pass it on: this test skips the gate
        gate.check(text)
    (response,), pool = run_in_pool(ungated(text))
    message = response.body.decode()
    assert response.status == 400, message
    assert "Permission denied (os error 13)" in message, message
    assert listener.seen() == 0
    assert pool.sandbox.startswith("seccomp"), pool.sandbox


def test_a_worker_holds_no_socket_and_is_filtered(listener: Listener) -> None:
    """The server's sockets stay with the server (this test process holds a listener too), and every thread
    of the worker runs under the filter."""
    require_seccomp()
    pool = QueryPool(NQUADS, GRAPHS, size=1, timeout=5.0)
    seen: dict[str, object] = {}

    async def go() -> None:
        await pool.start()
        try:
            (pid,) = pool.pids
            seen["sockets"] = socket_fds(pid)
            seen["filtered"] = {
                task: Path(f"/proc/{pid}/task/{task}/status").read_text()
                for task in os.listdir(f"/proc/{pid}/task")
            }
        finally:
            await pool.close()

    asyncio.run(go())
    mine = socket_fds(os.getpid())
    assert mine, "the test process holds a listener"
    sockets = seen["sockets"]
    assert isinstance(sockets, dict)
    assert not set(sockets.values()) & set(mine.values()), sockets
    assert all(fd <= 2 for fd in sockets), sockets  # only standard streams, if the server's are sockets
    statuses = seen["filtered"]
    assert isinstance(statuses, dict) and len(statuses) >= 2  # the main thread and the engine's
    for task, status in statuses.items():
        assert "Seccomp:\t2" in status, (task, status)


# --- 2. a sandboxed process: no socket, whatever asks ------------------------------------------------


def test_a_sandboxed_process_cannot_connect(listener: Listener) -> None:
    require_seccomp()
    result = python(
        f"""
        import errno, socket, subprocess, sys
        from alliance_kg.server.sandbox import deny_network

        print("in force:", deny_network())
        try:
            socket.create_connection(("127.0.0.1", {listener.port}), timeout=2)
        except PermissionError as exc:
            print("connect refused:", exc)
        for family in ("AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"):
            kind = socket.SOCK_RAW if family == "AF_PACKET" else socket.SOCK_DGRAM
            try:
                socket.socket(getattr(socket, family), kind)
            except PermissionError as exc:
                print(family, "refused:", exc.errno == errno.EACCES)
        # the filter is inherited by a child, through exec
        child = subprocess.run(
            [sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', {listener.port}))"],
            capture_output=True, text=True,
        )
        print("child:", child.returncode, child.stderr.strip().splitlines()[-1])
        """
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert out.startswith("in force: seccomp"), out
    assert "connect refused: [Errno 13] Permission denied" in out, out
    for family in ("AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"):
        assert f"{family} refused: True" in out, out
    assert "child: 1 PermissionError: [Errno 13] Permission denied" in out, out
    assert listener.seen() == 0


def test_a_sandboxed_process_has_no_io_uring_and_cannot_take_a_socket_from_another() -> None:
    """io_uring can create and connect sockets without the socket() system call; pidfd_getfd copies a file
    descriptor, a socket of the server say, out of another process."""
    require_seccomp()
    result = python(
        """
        import ctypes, errno, os
        from alliance_kg.server.sandbox import deny_network

        deny_network()
        libc = ctypes.CDLL(None, use_errno=True)
        params = ctypes.create_string_buffer(120)  # struct io_uring_params
        print("io_uring_setup:", libc.syscall(425, 8, params), errno.errorcode[ctypes.get_errno()])
        pidfd = libc.syscall(434, os.getppid(), 0)  # pidfd_open
        print("pidfd_getfd:", libc.syscall(438, pidfd, 0, 0), errno.errorcode[ctypes.get_errno()])
        """
    )
    assert result.returncode == 0, result.stderr
    assert "io_uring_setup: -1 EPERM" in result.stdout, result.stdout
    assert "pidfd_getfd: -1 EPERM" in result.stdout, result.stdout


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the x32 entry is x86-64's")
def test_a_system_call_through_another_entry_ends_the_process() -> None:
    """The filter is written for the native architecture; socket() through x86-64's x32 entry (the system call
    number with bit 30 set), which the rules would not match, ends the process (SIGSYS) instead."""
    require_seccomp()
    result = python(
        """
        import ctypes
        from alliance_kg.server.sandbox import deny_network

        deny_network()
        print("filtered", flush=True)
        ctypes.CDLL(None).syscall(0x40000000 | 41, 2, 1, 0)
        print("still running")
        """
    )
    assert result.stdout == "filtered\n", result.stdout
    assert result.returncode == -signal.SIGSYS, result.returncode


# --- 3. what a worker needs still works --------------------------------------------------------------


def test_pipes_and_socketpairs_work_in_a_sandboxed_process() -> None:
    """The worker talks to the server over pipes; a socketpair (AF_UNIX, connected to nothing but itself) is
    left to it too. A named AF_UNIX socket could reach a daemon that connects on its behalf (nscd or
    systemd-resolved look names up over one), so socket() is refused for every family."""
    require_seccomp()
    result = python(
        """
        import os, socket
        from alliance_kg.server.sandbox import deny_network

        deny_network()
        r, w = os.pipe()
        os.write(w, b"pipe")
        print("pipe:", os.read(r, 4).decode())
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        a.sendall(b"pair")
        print("socketpair:", b.recv(4).decode())
        try:
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        except PermissionError:
            print("AF_UNIX socket: refused")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pipe: pipe", "socketpair: pair", "AF_UNIX socket: refused"]


def test_a_sandboxed_worker_answers_queries() -> None:
    require_seccomp()
    ask, select = run_in_pool(
        ungated("ASK {}", "ASK"), ungated("SELECT ?o WHERE { ?s <https://example.org/p> ?o }")
    )[0]
    assert ask.status == 200 and b'"boolean":true' in ask.body.replace(b" ", b""), ask.body
    assert select.status == 200 and b'"x"' in select.body, select.body


# --- 4. where there is no sandbox -------------------------------------------------------------------


def test_without_libseccomp_deny_network_says_so_and_changes_nothing(tmp_path: Path) -> None:
    result = python(
        """
        import socket
        from alliance_kg.server.sandbox import SandboxUnavailable, deny_network

        try:
            deny_network()
        except SandboxUnavailable as exc:
            print("unavailable:", exc)
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        print("sockets still work")
        """,
        env=hiding_libseccomp(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "unavailable: libseccomp cannot be loaded" in result.stdout, result.stdout
    assert "libseccomp2" in result.stdout, result.stdout  # what to install
    assert "sockets still work" in result.stdout


def test_a_process_holding_a_network_socket_is_not_counted_as_sandboxed() -> None:
    """A socket already open would get past the filter: deny_network says so, and installs nothing."""
    require_seccomp()
    result = python(
        """
        import socket
        from alliance_kg.server.sandbox import SandboxUnavailable, deny_network

        held = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        try:
            deny_network()
        except SandboxUnavailable as exc:
            print("unavailable:", exc)
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        print("sockets still work")
        """
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"unavailable: file descriptor \d+ is an AF_INET6 socket inherited", result.stdout), (
        result.stdout
    )
    assert "sockets still work" in result.stdout


def test_off_linux_deny_network_says_so() -> None:
    result = python(
        """
        import sys
        sys.platform = "darwin"
        from alliance_kg.server.sandbox import SandboxUnavailable, deny_network

        try:
            deny_network()
        except SandboxUnavailable as exc:
            print("unavailable:", exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "unavailable: seccomp is Linux's; this is darwin" in result.stdout, result.stdout


def test_without_a_sandbox_the_pool_warns_once_and_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in hiding_libseccomp(tmp_path).items():
        monkeypatch.setenv(name, value)
    pool = QueryPool(NQUADS, GRAPHS, size=2, timeout=5.0)

    async def go() -> QueryResponse:
        await pool.start()
        try:
            return await pool.run(ungated("ASK {}", "ASK"))
        finally:
            await pool.close()

    with caplog.at_level(logging.WARNING, logger="alliance_kg.server"):
        answer = asyncio.run(go())
    warnings = [r.getMessage() for r in caplog.records if "not sandboxed" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("query workers are not sandboxed: libseccomp cannot be loaded"), warnings
    assert warnings[0].endswith("; the gate still refuses SERVICE"), warnings
    assert pool.sandbox.startswith("none"), pool.sandbox
    assert answer.status == 200


def test_without_a_sandbox_the_pool_can_refuse_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance_kg.server.sandbox import SandboxUnavailable

    for name, value in hiding_libseccomp(tmp_path).items():
        monkeypatch.setenv(name, value)
    pool = QueryPool(NQUADS, GRAPHS, size=2, timeout=5.0, require_sandbox=True)
    spawned: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(*args: object, **kwargs: object) -> subprocess.Popen:  # to see the workers the pool starts
        process = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        spawned.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", popen)

    async def go() -> None:
        try:
            await pool.start()
        finally:
            await pool.close()

    with pytest.raises(SandboxUnavailable, match=r"query workers cannot be sandboxed: libseccomp cannot"):
        asyncio.run(go())
    assert len(spawned) == 2 and pool.pids == []
    assert all(process.poll() is not None for process in spawned)  # stopped and reaped, not left running
