"""Run the query engine as the command line does: on a thread with a large stack, within a time limit,
and stoppable by Ctrl-C.

Oxigraph cannot be interrupted once a query runs, and it holds no Python state while it does (it
releases the GIL), so the work runs on a daemon thread while the main thread waits in short steps:
Ctrl-C (SIGINT) reaches the main thread within a tenth of a second and the command ends with exit 130;
past the time limit it ends with :class:`QueryTimeout` (exit 4). The abandoned thread dies with the
process (the console script ends with ``os._exit``). The thread's stack is ``gate.ENGINE_STACK``, the
size the gate's limits are measured for: on the default 8 MiB stack a query of a few thousand chained
operations overflows and kills the process (SIGSEGV).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from .errors import AllianceKGError, QueryError
from .gate import ENGINE_STACK

T = TypeVar("T")
DEFAULT_TIMEOUT = 60.0  # seconds: an interactive user's patience; --timeout 0 lifts it


class QueryTimeout(QueryError):
    """The query ran past its time limit (exit code 4)."""

    exit_code = 4


def run_bounded(work: Callable[[], T], *, timeout: float | None = DEFAULT_TIMEOUT) -> T:
    """``work()`` on an engine thread; its result, or its exception. Raises :class:`QueryTimeout` past
    ``timeout`` seconds (``None`` or 0: no limit) and lets ``KeyboardInterrupt`` through at once."""
    values: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            values.append(work())
        except AllianceKGError as exc:
            # a user's error: its message is all it needs. Its tracebacks would hold the engine's
            # results in their frames, and those must be freed on this thread (Oxigraph's are unsendable)
            link: BaseException | None = exc
            while link is not None:
                link.__traceback__ = None
                link = link.__context__
            errors.append(exc)
        except BaseException as exc:  # a bug: handed to the caller's thread with its traceback
            errors.append(exc)

    thread = threading.Thread(target=target, name="akg-engine", daemon=True)
    previous = threading.stack_size(ENGINE_STACK)  # read when the thread starts, not when it is made
    try:
        thread.start()
    finally:
        threading.stack_size(previous)
    deadline = time.monotonic() + timeout if timeout else None
    while thread.is_alive():
        thread.join(0.1)
        if deadline is not None and time.monotonic() > deadline and thread.is_alive():
            raise QueryTimeout(
                f"the query was stopped: it ran longer than the time limit of {timeout:g} s "
                "(--timeout SECONDS to change it, 0 for none)"
            )
    if errors:
        raise errors[0]
    return values[0]
