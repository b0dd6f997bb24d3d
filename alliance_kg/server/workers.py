"""The query workers: a few processes, each with its own copy of the dataset, that run the SPARQL queries.

Oxigraph cannot interrupt a query once it runs (it releases the GIL, but has no cancellation), so a
query runs in a worker process and the server waits for its answer for the time limit (plus a short
grace): past that, the worker is killed (by its PID, SIGKILL), the client gets 503 with a message, and a
fresh worker takes its place. Other requests go on meanwhile — pages are served by the server process
itself, and queries by the other workers. A worker also checks the deadline itself between rows, so most
long queries end without a kill.

A worker is a fresh interpreter (``python -c …``, not a fork of the server and its threads, and not
multiprocessing's ``spawn``, which re-imports the caller's main module) talking over two dedicated pipes;
it ignores SIGINT (the server stops it) and exits when the server's end of its pipe closes, so none
outlives the server, even one that is killed.

The messages are frames: an 8-byte length, then that many bytes. The server sends a worker the dataset
once (the graphs, pickled; then the N-Quads, raw), then one request per query (pickled: the server is the
trusted side). A worker answers with a small JSON head (status, media type, headers) and the body as it
is — never a pickle, so that a worker whose engine had been taken over could not make the server run code
by what it sends back. The server reads the answers without a thread: each worker's pipe stays registered
with the event loop, and a callback collects the frames as they come (no system call to register and
unregister per query, no thread hop), so a query costs the server one write and one read.

A worker cannot open a network socket: before it loads the dataset it installs a seccomp filter on itself
(:mod:`alliance_kg.server.sandbox`), so even a ``SERVICE`` that got past the gate cannot connect. It says in
its first message whether that worked; where it cannot be done, the pool warns once and goes on, or, with
``require_sandbox``, refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from .execute import Graphs, QueryRequest, QueryResponse, execute, timed_out, whole_store_defaults
from .sandbox import SandboxUnavailable, deny_network

GRACE = 0.5  # seconds past the time limit before a worker that has not answered is killed
WATCH = 0.1  # seconds between two looks at the deadlines of the queries on their way
START_TIMEOUT = 120.0
READ_SIZE = 1 << 18  # bytes read from a worker's pipe at a time
READ_BURST = 1 << 24  # at most this much is read in one callback, so that a huge answer does not hog the loop
CHUNK = 1 << 20  # the dataset is sent to a worker in frames of this size at most
RESPAWN_DELAY = 0.5  # seconds before a worker found dead while idle is replaced (unless the server stops)
DEPTH = 2  # queries sent to a worker at a time: the one it runs, and the next (3 measured no faster)
PIPELINE_BYTES = 16 * 1024  # a larger query is sent to an idle worker only (it could fill a pipe's buffer)
log = logging.getLogger("alliance_kg.server")

_LENGTH = struct.Struct("!Q")  # every frame: its length, then its bytes
_HEAD = struct.Struct("!I")  # an answer: the length of its JSON head, the head, then the body
_NUMBER = struct.Struct("!Q")  # a query's number, after the kind of message
_QUERY = b"Q"  # to a worker: a query (its number, then the pickled request)
_CANCEL = b"C"  # to a worker: do not run that query (its number) if it has not started
_ANSWER_HEADERS = frozenset({"X-Result-Count", "Retry-After"})  # the only headers an answer may carry


def _answer_frame(number: int, response: QueryResponse | None) -> tuple[bytes, bytes]:
    """The frame of an answer to query ``number`` (None: it was cancelled before it ran), as its header
    (lengths and the JSON head) and its body (not copied)."""
    if response is None:
        head, body = json.dumps([number, None]).encode(), b""
    else:
        head = json.dumps([number, response.status, response.content_type, response.headers]).encode()
        body = response.body
    length = _LENGTH.pack(_HEAD.size + len(head) + len(body))
    return length + _HEAD.pack(len(head)) + head, body


def _parse_answer(frame: bytes | memoryview) -> tuple[int, QueryResponse | None]:
    """A worker's answer: the query's number and the response (None: cancelled, not run). Only what JSON
    can say is read from it (no pickle): a number, a status, a media type, string headers and the body;
    anything else is a broken worker (ValueError)."""
    (size,) = _HEAD.unpack_from(frame)
    head = json.loads(bytes(frame[_HEAD.size : _HEAD.size + size]))
    if not isinstance(head, list) or not head or not isinstance(head[0], int):
        raise ValueError("a malformed answer from a query worker")
    if len(head) == 2 and head[1] is None:
        return head[0], None
    if len(head) != 4:
        raise ValueError("a malformed answer from a query worker")
    number, status, content_type, headers = head
    if (
        not isinstance(status, int)
        or not (status == 200 or 400 <= status <= 599)  # a result, or a refusal
        or not isinstance(content_type, str)
        or not isinstance(headers, dict)
        or not all(k in _ANSWER_HEADERS and isinstance(v, str) for k, v in headers.items())
    ):
        raise ValueError("a malformed answer from a query worker")
    return number, QueryResponse(status, content_type, bytes(frame[_HEAD.size + size :]), headers)


class _Inbox:
    """A worker's end of the server's pipe: what has been read of it (blocking reads, and looks that do
    not block), handed out as the dataset's bytes or as frames."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.start = 0  # what comes before has been handed out

    def _more(self, *, block: bool) -> bool:
        """Read what the pipe has (waiting for something if ``block``); False when there was nothing."""
        if not block and not select.select([self.fd], [], [], 0)[0]:
            return False
        chunk = os.read(self.fd, READ_SIZE)
        if not chunk:
            raise EOFError("the server's end of the pipe is closed")
        if self.start and self.start * 2 >= len(self.buffer):  # drop what was handed out
            del self.buffer[: self.start]
            self.start = 0
        self.buffer += chunk
        return True

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (at least one), waiting for them."""
        if self.start == len(self.buffer):
            self._more(block=True)
        data = bytes(self.buffer[self.start : self.start + size])
        self.start += len(data)
        return data

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) - self.start < size:
            self._more(block=True)
        data = bytes(self.buffer[self.start : self.start + size])
        self.start += size
        return data

    def frames(self, *, block: bool) -> list[bytes]:
        """The frames that have come whole; with ``block``, waits for one at least."""
        found: list[bytes] = []
        while True:
            while len(self.buffer) - self.start >= _LENGTH.size:
                (length,) = _LENGTH.unpack_from(self.buffer, self.start)
                end = self.start + _LENGTH.size + length
                if len(self.buffer) < end:
                    break
                found.append(bytes(self.buffer[self.start + _LENGTH.size : end]))
                self.start = end
            if not self._more(block=block and not found):
                return found


class _Chunks:
    """The dataset as it comes down the pipe, for Oxigraph's parser to read: frames of up to
    :data:`CHUNK` bytes, the last one empty (the stream is parsed as it arrives, never held whole)."""

    def __init__(self, inbox: _Inbox) -> None:
        self.inbox = inbox
        self.left = 0  # bytes of the current frame not read yet
        self.ended = False

    def read(self, size: int = -1) -> bytes:
        while not self.ended and self.left == 0:
            (self.left,) = _LENGTH.unpack(self.inbox.exactly(_LENGTH.size))
            self.ended = self.left == 0
        if self.ended:
            return b""
        data = self.inbox.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


class _ChunkWriter:
    """Where the dataset is written for a worker: each write a frame (see :class:`_Chunks`)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes | memoryview) -> int:
        if data:
            _write_all(self.fd, _LENGTH.pack(len(data)), data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        _write_all(self.fd, _LENGTH.pack(0))


def _write_all(fd: int, *parts: bytes | memoryview) -> None:
    """Write ``parts`` to a blocking descriptor, whole (a pipe may take less than asked at a time)."""
    data: bytes | memoryview = parts[0] if len(parts) == 1 else b"".join(parts)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _batch_priority() -> None:  # pragma: no cover - runs in the subprocess
    """Schedule this worker as a batch job (Linux's ``SCHED_BATCH``, for itself and the threads it starts):
    its share of the CPU is the same, but waking up (a query arrives) never preempts the server process,
    which writes the query and then has the next request to read and the last answer to send. Without it,
    on a machine with few cores, the server loses its CPU to the worker it has just woken for the whole
    query, and every other request waits. Where there is no such policy, nothing changes."""
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, policy, os.sched_param(0))


def _child_main(read_fd: int, write_fd: int) -> None:  # pragma: no cover - runs in the subprocess
    """A worker's life: shut itself off the network, load the dataset it is sent, then answer queries until
    the pipe closes. The engine runs on a thread with a stack of ``gate.ENGINE_STACK`` bytes: Oxigraph's
    parser and planner recurse once per level of a query, and the gate's limits are sized for that stack."""
    from ..gate import ENGINE_STACK

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _batch_priority()
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
    inbox = _Inbox(read_fd)
    outbox = open(write_fd, "wb", buffering=1 << 16)  # noqa: SIM115 - for the worker's whole life
    store = ox.Store()
    try:
        (length,) = _LENGTH.unpack(inbox.exactly(_LENGTH.size))  # one frame: the dataset's chunks follow
        graphs: Graphs = pickle.loads(inbox.exactly(length))
        # Oxigraph's own N-Quads of a valid store: no need to check each IRI and language tag again
        store.load(cast(IO[bytes], _Chunks(inbox)), format=ox.RdfFormat.N_QUADS, lenient=True)
        whole = whole_store_defaults(store, graphs)
        ready = json.dumps({"pid": os.getpid(), "sandboxed": sandbox[0], "sandbox": sandbox[1]}).encode()
        outbox.write(_LENGTH.pack(len(ready)) + ready)
        outbox.flush()
    except (OSError, EOFError, ValueError, pickle.UnpicklingError):
        return
    queued: deque[tuple[int, bytes]] = deque()  # queries sent, not run yet: (number, pickled request)

    def answer(number: int, response: QueryResponse | None) -> None:
        header, body = _answer_frame(number, response)
        outbox.write(header)
        outbox.write(body)
        outbox.flush()

    while True:
        try:
            # everything the server has sent so far, so that a cancellation is seen before its query runs
            for frame in inbox.frames(block=not queued):
                if not frame:  # an empty frame: stop
                    return
                kind, (number,) = frame[:1], _NUMBER.unpack_from(frame, 1)
                if kind == _QUERY:
                    queued.append((number, frame[1 + _NUMBER.size :]))
                elif kind == _CANCEL and any(n == number for n, _ in queued):
                    queued = deque(q for q in queued if q[0] != number)
                    answer(number, None)
            if not queued:
                continue
            number, payload = queued.popleft()
            try:
                request: QueryRequest = pickle.loads(payload)
                response = execute(store, graphs, request, whole=whole)
            except Exception:  # a bug: say so on the server's log, never to the client
                traceback.print_exc(file=sys.stderr)
                response = QueryResponse.error(
                    500, "internal error while running the query (see the server log)"
                )
            answer(number, response)
        except (OSError, EOFError):
            return


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes], to_child: int, from_child: int) -> None:
        self.process = process
        self.to_child = to_child  # queries go out (blocking writes; see PIPELINE_BYTES)
        self.from_child = from_child  # answers come in (non-blocking once it is ready, read by the loop)
        self.sandboxed = False
        self.sandbox = "not started"  # what keeps it off the network, or why nothing does
        self.buffer = bytearray()  # what has come of the answers being read
        self.outgoing = bytearray()  # what waits for room in its pipe (see QueryPool._write)
        self.queue: deque[_Job] = deque()  # the queries sent to it, in order: the first one runs
        self.moved: set[int] = set()  # queries taken back (see QueryPool._steal): their answer is not awaited
        self.started = 0.0  # when the first of the queue started (time.monotonic())
        self.reading = False  # its pipe is registered with the event loop
        self.closed = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def close_pipes(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.to_child, self.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.close_pipes()

    def stop(self) -> None:
        if not self.closed and not self.outgoing:
            with contextlib.suppress(OSError):  # non-blocking once it is enlisted: a full pipe takes none
                os.write(self.to_child, _LENGTH.pack(0))  # an empty frame: stop
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(2)
        self.kill()


class _Job:
    """One query on its way: its number, its request (pickled), the future its answer goes to, and when
    its wait ends (for a worker, then, once it runs, for the answer; :meth:`QueryPool._watched` looks)."""

    __slots__ = ("deadline", "future", "number", "payload")

    def __init__(
        self, number: int, payload: bytes, future: asyncio.Future[QueryResponse], wait: float
    ) -> None:
        self.number = number
        self.payload = payload
        self.future = future
        self.deadline = wait  # a time.monotonic() value

    def settle(self, response: QueryResponse) -> None:
        if not self.future.done():  # not given up by the request (cancelled), nor answered, meanwhile
            self.future.set_result(response)


def _python_path() -> str:
    """PYTHONPATH for a worker: the folder holding this package first, so that it imports this copy."""
    here = str(Path(__file__).resolve().parent.parent.parent)
    existing = os.environ.get("PYTHONPATH")
    return here + (os.pathsep + existing if existing else "")


def _recv_blocking(fd: int, deadline: float) -> bytes:
    """One frame from a blocking descriptor, within ``deadline`` (a time.monotonic value)."""
    data = bytearray()
    wanted = _LENGTH.size
    length: int | None = None
    while True:
        while len(data) < wanted:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise RuntimeError(f"a query worker did not start within {START_TIMEOUT:g} s")
            chunk = os.read(fd, max(wanted - len(data), 1 << 16))
            if not chunk:
                raise EOFError("the query worker stopped while starting")
            data += chunk
        if length is None:
            (length,) = _LENGTH.unpack_from(data)
            wanted = _LENGTH.size + length
            continue
        if len(data) > wanted:
            raise RuntimeError("a query worker said more than it was asked")
        return bytes(data[_LENGTH.size :])


class QueryPool:
    """``size`` worker processes; :meth:`run` answers one query within ``timeout`` seconds.

    ``nquads`` is the dataset: its N-Quads, or a store (what the server passes: the store it holds
    anyway), which is then written out (as N-Quads, straight into the worker's pipe) for each worker that
    starts, so that no copy of it is kept.

    :attr:`sandbox` says what keeps the workers off the network (``seccomp …``), or ``none (why)``. A worker
    that could not be sandboxed is warned about once, or, with ``require_sandbox``, stopped, and
    :meth:`start` raises :class:`~alliance_kg.server.sandbox.SandboxUnavailable`.

    A worker runs one query at a time. A query that finds every worker busy waits (first come, first
    served) up to ``timeout`` seconds for one, then gets 503 with ``Retry-After``."""

    def __init__(
        self,
        nquads: bytes | ox.Store,
        graphs: Graphs,
        *,
        size: int = 2,
        timeout: float = 10.0,
        require_sandbox: bool = False,
    ) -> None:
        self._nquads = nquads
        self._graphs = pickle.dumps(graphs, protocol=pickle.HIGHEST_PROTOCOL)
        self.size = size
        self.timeout = timeout
        self.require_sandbox = require_sandbox
        self.sandbox = "not started"
        self._warned = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watch: asyncio.TimerHandle | None = None  # the next look at the deadlines (see _watched)
        self._idle: list[_Worker] = []  # the last one to finish is the next to start (its caches are warm)
        self._numbers = 0  # the last query's number
        self._waiting: deque[_Job] = deque()  # queries waiting for a worker, oldest first
        self._workers: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def pids(self) -> list[int]:
        return sorted(w.pid for w in self._workers)

    # -- starting workers --------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        code = (
            f"from alliance_kg.server.workers import _child_main; _child_main({to_child_r}, {from_child_w})"
        )
        try:
            process = subprocess.Popen(
                # -P: the folder the server was started in is not put on the worker's sys.path, so that a
                # folder holding another alliance_kg (or a module named like a dependency) is not imported
                [sys.executable, "-P", "-c", code],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": _python_path()},
            )
        except BaseException:
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            raise
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        worker = _Worker(process, to_child_w, from_child_r)
        try:
            _write_all(worker.to_child, _LENGTH.pack(len(self._graphs)), self._graphs)
            sink = _ChunkWriter(worker.to_child)
            source = self._nquads
            if isinstance(source, bytes):
                view = memoryview(source)
                for start in range(0, len(view), CHUNK):
                    sink.write(view[start : start + CHUNK])
            else:
                source.dump(cast(IO[bytes], sink), format=ox.RdfFormat.N_QUADS)
            sink.close()
            ready = json.loads(_recv_blocking(worker.from_child, time.monotonic() + START_TIMEOUT))
            worker.sandboxed, worker.sandbox = bool(ready["sandboxed"]), str(ready["sandbox"])
            self._check_sandbox(worker)
        except (EOFError, OSError, RuntimeError, ValueError, KeyError, TypeError, SandboxUnavailable):
            worker.kill()
            raise
        os.set_blocking(worker.from_child, False)
        os.set_blocking(worker.to_child, False)  # the loop writes, and never waits (see QueryPool._write)
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
        self._loop = asyncio.get_running_loop()
        # a store is written out for each worker, straight into its pipe, as the worker reads it (writing
        # it takes a third of the time the worker takes to load it): never a copy of it in memory, which
        # at a million triples would be a few hundred MB more at start-up
        started = await asyncio.gather(
            *(self._spawn_in_thread() for _ in range(self.size)), return_exceptions=True
        )
        workers = [w for w in started if isinstance(w, _Worker)]
        failed = [e for e in started if isinstance(e, BaseException)]
        if failed:  # none is left running
            for worker in workers:
                worker.stop()
            raise failed[0]
        for worker in workers:
            self._enlist(worker)

    def _enlist(self, worker: _Worker) -> None:
        """A started worker joins the pool: its answers are read by the loop, and it takes the next query."""
        assert self._loop is not None
        self._workers.add(worker)
        self._loop.add_reader(worker.from_child, self._readable, worker)
        worker.reading = True
        self._release(worker)

    # -- running queries ---------------------------------------------------------------------------
    #
    # A worker is sent a query when it is idle, and also, when none is, while it runs another (up to DEPTH
    # queries a worker): the next query is then in its pipe when it finishes, and it goes on without
    # waiting for the server to read the answer and write again, which on a busy machine takes longer
    # than the query. A query queued so behind a long one is not stuck there: when another worker has
    # nothing to do, it takes the query over (the first worker is told not to run it: a cancellation,
    # which it reads before it starts anything). When a worker is killed (a query past the time limit), the
    # queries queued behind that one go back to the front of the waiting line.

    async def run(self, request: QueryRequest) -> QueryResponse:
        if self._closed:
            return QueryResponse.error(503, "the server is shutting down")
        loop = self._loop
        assert loop is not None, "the pool is not started"
        self._numbers += 1
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        job = _Job(self._numbers, payload, loop.create_future(), time.monotonic() + self.timeout)
        worker = self._pick(job)
        if worker is not None:
            self._send(worker, job)
        else:
            self._waiting.append(job)
        if self._watch is None:
            self._watch = loop.call_later(WATCH, self._watched)
        try:
            return await job.future
        except asyncio.CancelledError:  # the request went away
            self._withdraw(job)
            raise

    def _pick(self, job: _Job) -> _Worker | None:
        """The worker to send ``job`` to now: an idle one (the one that finished last), else, for a query
        small enough to wait in a pipe, the one with the fewest queries whose query has run the least
        time (a query that has run long is likely to run longer); None: it waits."""
        if self._idle:
            return self._idle.pop()
        if len(job.payload) > PIPELINE_BYTES or self._waiting:
            return None
        room = [w for w in self._workers if len(w.queue) < DEPTH and w.reading]
        return min(room, key=lambda w: (len(w.queue), -w.started), default=None)

    def _send(self, worker: _Worker, job: _Job) -> None:
        worker.queue.append(job)
        if len(worker.queue) == 1:
            self._begun(worker)
        header = _LENGTH.pack(1 + _NUMBER.size + len(job.payload)) + _QUERY + _NUMBER.pack(job.number)
        try:
            self._write(worker, header + job.payload)
        except OSError:
            self._lost(worker)

    def _write(self, worker: _Worker, data: bytes) -> None:
        """Send ``data`` to ``worker`` without ever blocking the event loop: what its pipe does not take at
        once waits in the worker's outgoing buffer, written as the pipe has room. (A blocking write could
        wait on a worker that is itself waiting for the server to read its answer.)"""
        if worker.outgoing:
            worker.outgoing += data
            return
        try:
            written = os.write(worker.to_child, data)
        except BlockingIOError:
            written = 0
        if written < len(data):
            assert self._loop is not None
            worker.outgoing += memoryview(data)[written:]
            self._loop.add_writer(worker.to_child, self._writable, worker)

    def _writable(self, worker: _Worker) -> None:
        """The event loop's callback when a worker's pipe has room for what waits in its outgoing buffer."""
        try:
            written = os.write(worker.to_child, worker.outgoing)
        except BlockingIOError:
            return
        except OSError:
            self._lost(worker)
            return
        del worker.outgoing[:written]
        if not worker.outgoing and self._loop is not None:
            self._loop.remove_writer(worker.to_child)

    def _begun(self, worker: _Worker) -> None:
        """The first query of ``worker``'s queue starts now: its time limit runs."""
        worker.started = time.monotonic()
        worker.queue[0].deadline = worker.started + self.timeout + GRACE

    def _cancel(self, worker: _Worker, job: _Job) -> None:
        """Take ``job`` (queued, not the first) back from ``worker``, which answers that it did not run it."""
        worker.queue.remove(job)
        worker.moved.add(job.number)
        with contextlib.suppress(OSError):  # a broken pipe is found by the reader
            self._write(worker, _LENGTH.pack(1 + _NUMBER.size) + _CANCEL + _NUMBER.pack(job.number))

    def _withdraw(self, job: _Job) -> None:
        """The request went away: a query still waiting is dropped, one queued behind another is taken back;
        one that runs goes on (its worker is free once it answers, and the answer is dropped)."""
        with contextlib.suppress(ValueError):
            self._waiting.remove(job)
            return
        for worker in self._workers:
            if job in worker.queue and worker.queue[0] is not job:
                self._cancel(worker, job)
                return

    def _watched(self) -> None:
        """Every :data:`WATCH` seconds while queries are on their way (one timer for them all, not one a
        query): a query that waited ``timeout`` seconds for a worker gets 503, and a worker that has not
        answered within the time limit and :data:`GRACE` is killed."""
        self._watch = None
        now = time.monotonic()
        while self._waiting and self._waiting[0].deadline <= now:  # oldest first: the earliest deadlines
            self._gave_up(self._waiting.popleft())
        for worker in list(self._workers):
            if worker.queue and worker.queue[0].deadline <= now:
                self._overdue(worker)
                continue
            for job in list(worker.queue)[1:]:  # queued behind a query that runs long: given up as well
                if job.deadline <= now:
                    self._cancel(worker, job)
                    self._gave_up(job)
        busy = self._waiting or any(w.queue for w in self._workers)
        if busy and not self._closed and self._loop is not None:
            self._watch = self._loop.call_later(WATCH, self._watched)

    def _gave_up(self, job: _Job) -> None:
        """A query waited ``timeout`` seconds for a worker."""
        response = QueryResponse.error(
            503, f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again in a moment"
        )
        response.headers["Retry-After"] = "2"
        job.settle(response)

    def _requeue(self, jobs: list[_Job]) -> None:
        """Queries sent to a worker that is gone, which had not started: back to the front of the line."""
        self._waiting.extendleft(reversed(jobs))
        for worker in list(self._idle):
            if worker in self._idle:
                self._idle.remove(worker)
                self._release(worker)

    def _overdue(self, worker: _Worker) -> None:
        """A worker did not answer within the time limit and the grace: it is killed, and replaced."""
        log.warning("query worker %s passed the time limit of %g s: stopped", worker.pid, self.timeout)
        running, *queued = worker.queue
        worker.queue.clear()
        self._replace(worker)
        running.settle(timed_out(self.timeout))
        self._requeue(queued)

    def _lost(self, worker: _Worker) -> None:
        """A worker's pipe broke (it died, or said something that is not an answer). One that ran no query
        is replaced after :data:`RESPAWN_DELAY`: a signal to the server's whole process group (Ctrl-C,
        ``systemctl stop``) ends the workers first, and a server that is stopping starts none."""
        if worker not in self._workers:
            return
        jobs = list(worker.queue)
        worker.queue.clear()
        if not jobs:  # said only if the server is not stopping
            note = f"query worker {worker.pid} stopped; starting another"
            self._replace(worker, delay=RESPAWN_DELAY, note=note)
            return
        log.error("query worker %s stopped unexpectedly; starting another", worker.pid)
        self._replace(worker)
        jobs[0].settle(QueryResponse.error(500, "the query worker stopped unexpectedly (see the server log)"))
        self._requeue(jobs[1:])

    def _readable(self, worker: _Worker) -> None:
        """The event loop's callback when a worker's pipe has something: collect its answers."""
        got = 0
        while got < READ_BURST:
            try:
                chunk = os.read(worker.from_child, READ_SIZE)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self._lost(worker)
                return
            worker.buffer += chunk
            got += len(chunk)
            if len(chunk) < READ_SIZE:
                break
        buffer = worker.buffer
        answered = False
        while len(buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(buffer)
            end = _LENGTH.size + length
            if len(buffer) < end:
                break
            try:
                number, response = _parse_answer(memoryview(buffer)[_LENGTH.size : end])
            except (ValueError, struct.error, RecursionError):  # UnicodeDecodeError is a ValueError
                self._lost(worker)
                return
            del buffer[:end]
            if not self._answered(worker, number, response):
                self._lost(worker)
                return
            answered = True
        if answered:
            self._release(worker)

    def _answered(self, worker: _Worker, number: int, response: QueryResponse | None) -> bool:
        """Record ``worker``'s answer to query ``number`` (None: not run); False if it makes no sense."""
        queue = worker.queue
        if number in worker.moved:  # taken back: another worker runs it (or has answered already)
            worker.moved.discard(number)
            return True
        if not queue:
            return False
        if queue[0].number == number:
            job = queue.popleft()
            if queue:
                self._begun(worker)
            if response is None:
                return False  # the one that runs cannot have been cancelled
            job.settle(response)
            return True
        return False

    def _release(self, worker: _Worker) -> None:
        """``worker`` has answered: it takes waiting queries (up to DEPTH), or another worker's queued one,
        or, with nothing to run, waits for the next."""
        if self._closed:
            self._retire(worker)
            worker.stop()
            return
        while self._waiting and len(worker.queue) < DEPTH:
            job = self._waiting[0]
            if job.future.done():  # given up meanwhile
                self._waiting.popleft()
                continue
            if worker.queue and len(job.payload) > PIPELINE_BYTES:
                break
            self._waiting.popleft()
            self._send(worker, job)
            if not worker.reading:  # it broke on the way
                return
        if not worker.queue:
            self._steal(worker)
        if not worker.queue and worker not in self._idle:
            self._idle.append(worker)

    def _steal(self, worker: _Worker) -> None:
        """An idle ``worker`` takes over a query queued behind another worker's."""
        for other in self._workers:
            if other is not worker and len(other.queue) > 1:
                job = other.queue[-1]
                self._cancel(other, job)
                self._send(worker, job)
                return

    # -- replacing and stopping workers ------------------------------------------------------------

    def _retire(self, worker: _Worker) -> None:
        """A worker leaves the pool (its pipe is no longer read)."""
        if worker.reading and self._loop is not None and not worker.closed:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(worker.from_child)
            if worker.outgoing:
                with contextlib.suppress(ValueError, OSError):
                    self._loop.remove_writer(worker.to_child)
                worker.outgoing.clear()
        worker.reading = False
        self._workers.discard(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _replace(self, worker: _Worker, *, delay: float = 0.0, note: str = "") -> None:
        self._retire(worker)
        worker.kill()
        if not self._closed:
            self._track(asyncio.ensure_future(self._start_one(delay, note)))

    def _spawn_in_thread(self) -> asyncio.Future[_Worker]:
        """:meth:`_spawn` on a daemon thread (loading the dataset into a worker takes a while; a server that
        stops meanwhile does not wait for it): the future of the worker. A worker that starts when nobody
        waits for it any more (the future was cancelled, the loop is gone) is stopped."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Worker] = loop.create_future()

        def fail(exc: BaseException) -> None:
            if not future.done():
                future.set_exception(exc)

        def deliver(worker: _Worker) -> None:
            if future.done():
                worker.stop()
            else:
                future.set_result(worker)

        def target() -> None:
            try:
                worker = self._spawn()
            except BaseException as exc:
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    loop.call_soon_threadsafe(fail, exc)
                return
            try:
                loop.call_soon_threadsafe(deliver, worker)
            except RuntimeError:
                worker.stop()

        threading.Thread(target=target, name="akg-query-start", daemon=True).start()
        return future

    def _stopping(self) -> bool:
        return self._closed

    async def _start_one(self, delay: float = 0.0, note: str = "") -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._stopping():
            return
        if note:
            log.warning("%s", note)
        try:
            worker = await self._spawn_in_thread()
        except Exception as exc:  # pragma: no cover - the machine is in trouble
            log.error("could not start a query worker: %s", exc)
            return
        if self._stopping():  # it stopped while the worker started
            worker.stop()
            return
        self._enlist(worker)

    async def close(self) -> None:
        self._closed = True
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        for task in list(self._tasks):
            task.cancel()
        closing = QueryResponse.error(503, "the server is shutting down")
        while self._waiting:
            self._waiting.popleft().settle(closing)
        for worker in list(self._workers):
            jobs = list(worker.queue)
            worker.queue.clear()
            self._retire(worker)
            worker.stop()
            for job in jobs:
                job.settle(closing)
        self._workers.clear()
        self._idle.clear()
