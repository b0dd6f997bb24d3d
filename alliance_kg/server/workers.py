"""The query workers: a few processes, each with its own copy of the dataset, that run the SPARQL queries.

Oxigraph cannot interrupt a query once it runs (it releases the GIL, but has no cancellation), so a
query runs in a worker process and the server waits for its answer for the time limit (plus a short
grace): past that, the worker is killed (by its PID, SIGKILL), the client gets 503 with a message, and a
fresh worker takes its place. Other requests go on meanwhile — pages are served by the server process
itself, and queries by the other workers. A worker also checks the deadline itself between rows, so most
long queries end without a kill.

A worker is a fresh interpreter (``python -c …``, not a fork of the server and its threads, and not
multiprocessing's ``spawn``, which re-imports the caller's main module) talking over two dedicated pipes
(pickled messages, multiprocessing's framing); it ignores SIGINT (the server stops it) and exits when
the server's end of its pipe closes, so none outlives the server, even one that is killed.

A worker cannot open a network socket: before it loads the dataset it installs a seccomp filter on itself
(:mod:`alliance_kg.server.sandbox`), so even a ``SERVICE`` that got past the gate cannot connect. It says in
its first message whether that worked; where it cannot be done, the pool warns once and goes on, or, with
``require_sandbox``, refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

from .execute import Graphs, QueryRequest, QueryResponse, execute, timed_out
from .sandbox import SandboxUnavailable, deny_network

GRACE = 0.5  # seconds past the time limit before a worker that has not answered is killed
START_TIMEOUT = 120.0
log = logging.getLogger("alliance_kg.server")


def _child_main(read_fd: int, write_fd: int) -> None:  # pragma: no cover - runs in the subprocess
    """A worker's life: shut itself off the network, load the dataset it is sent, then answer queries until
    the pipe closes. The engine runs on a thread with a stack of ``gate.ENGINE_STACK`` bytes: Oxigraph's
    parser and planner recurse once per level of a query, and the gate's limits are sized for that stack."""
    from ..gate import ENGINE_STACK

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sandbox = (True, deny_network())
    except SandboxUnavailable as exc:
        sandbox = (False, str(exc))
    threading.stack_size(ENGINE_STACK)
    thread = threading.Thread(target=_serve, args=(read_fd, write_fd, sandbox), name="akg-engine")
    thread.start()
    thread.join()


def _serve(  # pragma: no cover - runs in the subprocess
    read_fd: int, write_fd: int, sandbox: tuple[bool, str]
) -> None:
    import pyoxigraph as ox

    inbox = Connection(read_fd, writable=False)
    outbox = Connection(write_fd, readable=False)
    try:
        nquads, graphs = inbox.recv()
    except (EOFError, OSError):
        return
    store = ox.Store()
    store.load(nquads, format=ox.RdfFormat.N_QUADS)
    del nquads
    outbox.send(("ready", os.getpid(), *sandbox))
    while True:
        try:
            request = inbox.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            response = execute(store, graphs, request)
        except Exception:  # a bug: say so on the server's log, never to the client
            traceback.print_exc(file=sys.stderr)
            response = QueryResponse.error(500, "internal error while running the query (see the server log)")
        try:
            outbox.send(response)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes], outbox: Connection, inbox: Connection) -> None:
        self.process = process
        self.outbox = outbox  # requests go out
        self.inbox = inbox  # responses come in
        self.sandboxed = False
        self.sandbox = "not started"  # what keeps it off the network, or why nothing does

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        for conn in (self.outbox, self.inbox):
            with contextlib.suppress(OSError):
                conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.outbox.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(2)
        self.kill()


def _python_path() -> str:
    """PYTHONPATH for a worker: the folder holding this package first, so that it imports this copy."""
    here = str(Path(__file__).resolve().parent.parent.parent)
    existing = os.environ.get("PYTHONPATH")
    return here + (os.pathsep + existing if existing else "")


async def _readable(conn: Connection, deadline: float) -> bool:
    """Wait, without a thread, until the worker has answered (or died: EOF is readable too); False at the
    deadline."""
    if conn.poll(0):
        return True
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    fd = conn.fileno()

    def wake() -> None:
        if not ready.done():
            ready.set_result(True)

    loop.add_reader(fd, wake)
    try:
        return await asyncio.wait_for(ready, timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)


class QueryPool:
    """``size`` worker processes; :meth:`run` answers one query within ``timeout`` seconds.

    :attr:`sandbox` says what keeps the workers off the network (``seccomp …``), or ``none (why)``. A worker
    that could not be sandboxed is warned about once, or, with ``require_sandbox``, stopped, and
    :meth:`start` raises :class:`~alliance_kg.server.sandbox.SandboxUnavailable`."""

    def __init__(
        self,
        nquads: bytes,
        graphs: Graphs,
        *,
        size: int = 2,
        timeout: float = 10.0,
        require_sandbox: bool = False,
    ) -> None:
        self._nquads = nquads
        self._graphs = graphs
        self.size = size
        self.timeout = timeout
        self.require_sandbox = require_sandbox
        self.sandbox = "not started"
        self._warned = False
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max_workers=size + 1, thread_name_prefix="akg-query-start")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def pids(self) -> list[int]:
        return sorted(w.pid for w in self._workers)

    def _spawn(self) -> _Worker:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        code = (
            f"from alliance_kg.server.workers import _child_main; _child_main({to_child_r}, {from_child_w})"
        )
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": _python_path()},
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        worker = _Worker(
            process, Connection(to_child_w, readable=False), Connection(from_child_r, writable=False)
        )
        try:
            worker.outbox.send((self._nquads, self._graphs))
            if not worker.inbox.poll(START_TIMEOUT):
                raise RuntimeError(f"a query worker did not start within {START_TIMEOUT:g} s")
            _, _, worker.sandboxed, worker.sandbox = worker.inbox.recv()
            self._check_sandbox(worker)
        except (EOFError, OSError, RuntimeError, SandboxUnavailable):
            worker.kill()
            raise
        return worker

    def _check_sandbox(self, worker: _Worker) -> None:
        if worker.sandboxed:
            self.sandbox = worker.sandbox
            return
        if self.require_sandbox:
            raise SandboxUnavailable(f"query workers cannot be sandboxed: {worker.sandbox}")
        with self._lock:
            self.sandbox = f"none ({worker.sandbox})"
            warn, self._warned = not self._warned, True
        if warn:
            log.warning("query workers are not sandboxed: %s; the gate still refuses SERVICE", worker.sandbox)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        started = await asyncio.gather(
            *(loop.run_in_executor(self._threads, self._spawn) for _ in range(self.size)),
            return_exceptions=True,
        )
        workers = [w for w in started if isinstance(w, _Worker)]
        failed = [e for e in started if isinstance(e, BaseException)]
        if failed:  # none is left running
            for worker in workers:
                worker.stop()
            raise failed[0]
        for worker in workers:
            self._workers.add(worker)
            self._idle.put_nowait(worker)

    async def _acquire(self) -> _Worker | None:
        assert self._idle is not None, "the pool is not started"
        getter = asyncio.ensure_future(self._idle.get())
        done, _ = await asyncio.wait({getter}, timeout=self.timeout)
        if getter in done:
            return getter.result()
        getter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await getter
        if getter.done() and not getter.cancelled():  # it got one just as it gave up: keep it
            return getter.result()
        return None

    async def run(self, request: QueryRequest) -> QueryResponse:
        if self._closed:
            return QueryResponse.error(503, "the server is shutting down")
        worker = await self._acquire()
        if worker is None:
            response = QueryResponse.error(
                503,
                f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again in a moment",
            )
            response.headers["Retry-After"] = "2"
            return response
        deadline = time.monotonic() + self.timeout + GRACE
        try:
            worker.outbox.send(request)
            answered = await _readable(worker.inbox, deadline)
            if not answered:
                log.warning(
                    "query worker %s passed the time limit of %g s: stopped", worker.pid, self.timeout
                )
                self._replace(worker)
                return timed_out(self.timeout)
            response = cast(QueryResponse, worker.inbox.recv())  # what the worker sends back
        except (EOFError, OSError):
            log.error("query worker %s stopped unexpectedly; starting another", worker.pid)
            self._replace(worker)
            return QueryResponse.error(500, "the query worker stopped unexpectedly (see the server log)")
        except asyncio.CancelledError:  # the request went away: the worker comes back once it answers
            self._track(asyncio.ensure_future(self._reclaim(worker, deadline)))
            raise
        self._release(worker)
        return response

    def _release(self, worker: _Worker) -> None:
        if self._closed or self._idle is None:
            worker.stop()
        else:
            self._idle.put_nowait(worker)

    async def _reclaim(self, worker: _Worker, deadline: float) -> None:
        try:
            if not await _readable(worker.inbox, deadline):
                raise TimeoutError
            worker.inbox.recv()
        except Exception:
            self._replace(worker)
            return
        self._release(worker)

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers.discard(worker)
        if not self._closed:
            self._track(asyncio.ensure_future(self._start_one()))

    async def _start_one(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            worker = await loop.run_in_executor(self._threads, self._spawn)
        except Exception as exc:  # pragma: no cover - the machine is in trouble
            log.error("could not start a query worker: %s", exc)
            return
        if self._closed or self._idle is None:
            worker.stop()
            return
        self._workers.add(worker)
        self._idle.put_nowait(worker)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for worker in list(self._workers):
            worker.stop()
        self._workers.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)
