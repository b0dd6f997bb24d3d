"""The query workers' pool, fast and still safe (issue 14, serve): queries pipelined to the workers, taken
over by an idle worker, sent again when their worker is killed, dropped when their request goes away; the
dataset streamed to each worker (from N-Quads or from a store); answers read without pickle; the gate's
verdicts remembered by their exact text; the results capped as Oxigraph writes them; the HTTP head bounded
under httptools as under h11.

The pool tests run a real pool (worker processes) on a small dataset; the timing ones leave a wide margin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pyoxigraph as ox
import pytest

from alliance_kg import gate
from alliance_kg.namespaces import PREFIXES
from alliance_kg.server import sparql
from alliance_kg.server.execute import Graphs, QueryRequest, QueryResponse, execute, whole_store_defaults
from alliance_kg.server.workers import QueryPool, _answer_frame, _parse_answer

GRAPH = "https://w3id.org/alliance-kg/graph/data"
INFERRED = "https://w3id.org/alliance-kg/graph/inferred"
SIZE = 120  # triples: a cross product of three patterns is 1.7M rows, a few seconds for the engine
NQUADS = "".join(
    f'<https://example.org/s{i}> <https://example.org/p> "{i}" <{GRAPH}> .\n' for i in range(SIZE)
).encode()
GRAPHS = Graphs((GRAPH,), (GRAPH, INFERRED), None)
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # 2e8 rows
JSON = "application/sparql-results+json"
T = TypeVar("T")


def request(text: str, timeout: float = 5.0) -> QueryRequest:
    checked = gate.check(text, prefixes=PREFIXES, base="http://127.0.0.1/sparql")
    return QueryRequest(text=text, accept=JSON, query=checked, timeout=timeout)


def number(response: QueryResponse) -> int:
    assert response.status == 200, response.body
    return int(json.loads(response.body)["results"]["bindings"][0]["n"]["value"])


def numbered(n: int) -> QueryRequest:
    return request(f"SELECT (({n} + 0) AS ?n) WHERE {{}}")


def in_pool(
    body: Callable[[QueryPool], Awaitable[T]],
    *,
    size: int = 1,
    timeout: float = 5.0,
    dataset: bytes | ox.Store = NQUADS,
) -> T:
    pool = QueryPool(dataset, GRAPHS, size=size, timeout=timeout)

    async def go() -> T:
        await pool.start()
        try:
            return await body(pool)
        finally:
            await pool.close()

    return asyncio.run(go())


def test_many_queries_at_once_each_get_their_own_answer() -> None:
    async def body(pool: QueryPool) -> list[int]:
        return [number(r) for r in await asyncio.gather(*(pool.run(numbered(i)) for i in range(300)))]

    assert in_pool(body, size=2) == list(range(300))


def test_a_query_queued_behind_a_long_one_is_taken_over_by_an_idle_worker() -> None:
    async def body(pool: QueryPool) -> tuple[float, float, int]:
        started = time.monotonic()
        slow = asyncio.ensure_future(pool.run(request(RUNAWAY, timeout=3.0)))
        await asyncio.sleep(0.2)  # the long one runs on one worker
        quick = await asyncio.gather(*(pool.run(numbered(i)) for i in range(50)))
        quick_done = time.monotonic() - started
        slow_response = await slow
        return quick_done, time.monotonic() - started, sum(number(r) for r in quick) + slow_response.status

    quick_done, slow_done, total = in_pool(body, size=2, timeout=3.0)
    assert total == sum(range(50)) + 503  # the long one stopped at its time limit
    assert quick_done < 2.0 < slow_done, (quick_done, slow_done)


def test_queries_queued_behind_a_query_whose_worker_dies_are_sent_again() -> None:
    async def body(pool: QueryPool) -> tuple[QueryResponse, list[int], list[int]]:
        (before,) = pool.pids
        slow = asyncio.ensure_future(pool.run(request(RUNAWAY, timeout=30.0)))
        await asyncio.sleep(0.3)
        queued = asyncio.gather(*(pool.run(numbered(i)) for i in range(5)))  # behind it: one in its pipe
        await asyncio.sleep(0.3)
        os.kill(before, signal.SIGKILL)
        response = await slow
        answers = [number(r) for r in await queued]
        return response, answers, [before, *pool.pids]

    response, answers, pids = in_pool(body, size=1, timeout=20.0)
    assert response.status == 500 and b"stopped unexpectedly" in response.body
    assert answers == list(range(5))  # by the worker started in its place
    assert len(pids) == 2 and pids[0] != pids[1]


def test_a_query_past_the_time_limit_is_stopped_and_the_next_ones_run() -> None:
    async def body(pool: QueryPool) -> tuple[QueryResponse, int, float]:
        started = time.monotonic()
        response = await pool.run(request(RUNAWAY, timeout=30.0))  # only the pool stops it
        elapsed = time.monotonic() - started
        return response, number(await pool.run(numbered(3))), elapsed

    response, answer, elapsed = in_pool(body, size=1, timeout=1.0)
    assert response.status == 503 and b"time limit of 1 s" in response.body
    assert 1.5 <= elapsed < 4, elapsed  # the limit, the grace, a look at the deadlines
    assert answer == 3


def test_a_request_that_goes_away_drops_its_queued_query() -> None:
    async def body(pool: QueryPool) -> list[int]:
        slow = asyncio.ensure_future(
            pool.run(request("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"))
        )
        await asyncio.sleep(0.1)
        dropped = asyncio.ensure_future(pool.run(numbered(1)))
        await asyncio.sleep(0.05)
        dropped.cancel()
        with pytest.raises(asyncio.CancelledError):
            await dropped
        await slow
        return [number(await pool.run(numbered(i))) for i in range(3)]

    assert in_pool(body, size=1) == [0, 1, 2]


def test_a_worker_that_dies_while_idle_is_replaced() -> None:
    async def body(pool: QueryPool) -> tuple[int, list[int], int]:
        (first,) = pool.pids
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (not pool.pids or pool.pids == [first]) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return first, pool.pids, number(await pool.run(numbered(7)))

    first, now, answer = in_pool(body, size=1)
    assert now and first not in now and answer == 7


def test_the_dataset_can_be_a_store_written_out_for_each_worker() -> None:
    store = ox.Store()
    store.load(NQUADS, format=ox.RdfFormat.N_QUADS)

    async def body(pool: QueryPool) -> list[int]:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        return [number(await pool.run(request(count))) for _ in range(4)]

    assert in_pool(body, size=2, dataset=store) == [SIZE] * 4


def test_answers_are_read_without_pickle_and_checked() -> None:
    header, body = _answer_frame(3, QueryResponse(200, "text/csv", b"n\r\n1\r\n", {"X-Result-Count": "1"}))
    number_, response = _parse_answer(header[8:] + body)
    assert number_ == 3 and response == QueryResponse(200, "text/csv", b"n\r\n1\r\n", {"X-Result-Count": "1"})
    header, body = _answer_frame(4, None)
    assert _parse_answer(header[8:] + body) == (4, None)
    for head in ([1, 200, "text/csv", {"a": 1}], [1, "200", "text/csv", {}], {"a": 1}, [None]):
        raw = json.dumps(head).encode()
        with pytest.raises(ValueError):
            _parse_answer(len(raw).to_bytes(4, "big") + raw)


def test_an_answer_says_only_what_an_answer_may_say() -> None:
    """A worker cannot set a header of its own choosing (a cookie, a redirect) nor a status that is not a
    final one."""
    for head in (
        [1, 200, "text/csv", {"Set-Cookie": "a=b"}],
        [1, 302, "text/csv", {}],
        [1, 101, "text/csv", {}],
    ):
        raw = json.dumps(head).encode()
        with pytest.raises(ValueError):
            _parse_answer(len(raw).to_bytes(4, "big") + raw)
    nested = b"[" * 100_000 + b"]" * 100_000  # past json's recursion limit: a broken worker too
    with pytest.raises((ValueError, RecursionError)):
        _parse_answer(len(nested).to_bytes(4, "big") + nested)


def test_the_server_passes_the_pool_its_store_and_keeps_no_copy() -> None:
    from alliance_kg.server.app import create_app
    from alliance_kg.server.config import ServerConfig
    from alliance_kg.server.dataset import load

    data = load(reasoning=False)
    app = create_app(ServerConfig(reasoning=False, workers=1), data=data)
    assert app.state.pool._nquads is data.dataset

    async def body(pool: QueryPool) -> int:
        return number(await pool.run(request("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))

    assert in_pool(body, size=2, dataset=data.dataset) == len(data.dataset)


# --- the gate's verdicts --------------------------------------------------------------------------


def test_verdicts_are_the_gates_own() -> None:
    verdicts = sparql.Verdicts()
    text = "PREFIX ex: <https://example.org/> SELECT * WHERE { ?s ex:p 'x' } # a comment"
    first = verdicts.check(text, "http://a/sparql")
    assert first is verdicts.check(text, "http://a/sparql")  # remembered
    fresh = gate.check(text, prefixes=PREFIXES, base="http://a/sparql")
    assert (first.text, first.form, first.has_dataset) == (fresh.text, fresh.form, fresh.has_dataset)
    relative = "SELECT * WHERE { ?s <p> ?o }"  # resolved against the base: one verdict a base
    assert "<http://a/p>" in verdicts.check(relative, "http://a/sparql").text
    assert "<http://b/p>" in verdicts.check(relative, "http://b/sparql").text
    for _ in range(2):  # a refusal, every time, with the gate's status and message
        with pytest.raises(gate.Refused) as refused:
            verdicts.check("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", "http://a/sparql")
        assert refused.value.status == 403 and "SERVICE" in refused.value.message


def test_verdicts_keep_a_bounded_number_of_characters() -> None:
    verdicts = sparql.Verdicts(budget=2_000)
    for i in range(200):
        verdicts.check(f"SELECT * WHERE {{ ?s ?p {i} }}", "http://a/sparql")
    assert verdicts.size <= 2_000
    assert len(verdicts._entries) < 200


def test_a_refusal_is_kept_without_its_traceback() -> None:
    verdicts = sparql.Verdicts()
    with pytest.raises(gate.Refused):
        verdicts.check("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", "http://a/sparql")
    (kept,) = verdicts._entries.values()
    assert isinstance(kept, gate.Refused) and kept.__traceback__ is None


def test_long_headers_are_not_remembered() -> None:
    """Headers are remembered with what is made of them only when short: a client sending megabytes of
    them cannot fill the server's (or a worker's) memory."""
    from alliance_kg.server import execute as execute_module

    before = sparql._accepts_html.cache_info().currsize
    for i in range(20):
        assert sparql.accepts_html(f"text/html;q=0.{i % 9 + 1}, " + "x/y, " * 1000) is True
    assert sparql._accepts_html.cache_info().currsize == before
    store = _store()
    text = "ASK {}"
    checked = gate.check(text, prefixes=PREFIXES)
    before = execute_module._chosen.cache_info().currsize
    long_accept = JSON + ", " + ", ".join(f"x/y{i}" for i in range(500))
    response = execute(store, GRAPHS, QueryRequest(text=text, accept=long_accept, query=checked))
    assert response.status == 200 and response.content_type.startswith(JSON)
    assert execute_module._chosen.cache_info().currsize == before
    execute(store, GRAPHS, QueryRequest(text=text, accept=JSON, query=checked))
    assert execute_module._chosen.cache_info().currsize <= before + 1


# --- execution: caps, formats, the union of the store -----------------------------------------------


def _store() -> ox.Store:
    store = ox.Store()
    store.load(NQUADS, format=ox.RdfFormat.N_QUADS)
    data = ox.NamedNode(GRAPH)
    store.add(
        ox.Quad(
            ox.BlankNode("b"),
            ox.NamedNode("https://example.org/q"),
            ox.Literal("a\nb\tc", language="en"),
            data,
        )
    )
    store.add(
        ox.Quad(
            ox.NamedNode("https://example.org/s0"),
            ox.NamedNode("https://example.org/r"),
            ox.Triple(
                ox.NamedNode("https://example.org/s1"), ox.NamedNode("https://example.org/p"), ox.Literal("1")
            ),
            data,
        )
    )
    return store


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_solutions_are_written_as_before(fmt: str) -> None:
    """What the endpoint writes is what Oxigraph writes for the same solutions."""
    store = _store()
    text = "SELECT ?s ?p ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?o ?x ?none } } ORDER BY ?s ?p ?o"
    checked = gate.check(text, prefixes=PREFIXES)
    response = execute(store, GRAPHS, QueryRequest(text=text, formats=(fmt,), query=checked))
    expected = store.query(text, default_graph=[ox.NamedNode(GRAPH)]).serialize(
        format={
            "json": ox.QueryResultsFormat.JSON,
            "xml": ox.QueryResultsFormat.XML,
            "csv": ox.QueryResultsFormat.CSV,
            "tsv": ox.QueryResultsFormat.TSV,
        }[fmt]
    )
    assert response.status == 200 and response.body == expected
    assert response.headers["X-Result-Count"] == str(SIZE + 2)


def test_caps_hold_for_solutions_and_triples() -> None:
    store = _store()
    for text, fmt, what in (
        ("SELECT * WHERE { ?s ?p ?o }", "tsv", "results"),
        ("SELECT * WHERE { ?s ?p ?o }", "json", "results"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "nt", "triples"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "ttl", "triples"),
    ):
        checked = gate.check(text, prefixes=PREFIXES)
        capped = execute(
            store, GRAPHS, QueryRequest(text=text, formats=(fmt,), query=checked, max_results=SIZE + 1)
        )
        assert capped.status == 400 and f"more than {SIZE + 1:,} {what}".encode() in capped.body
        exact = execute(
            store, GRAPHS, QueryRequest(text=text, formats=(fmt,), query=checked, max_results=SIZE + 2)
        )
        assert exact.status == 200 and exact.headers["X-Result-Count"] == str(SIZE + 2)


def test_the_union_of_the_store_answers_as_the_list_of_its_graphs() -> None:
    store = _store()
    store.add(
        ox.Quad(
            ox.NamedNode("https://example.org/s0"),
            ox.NamedNode("https://example.org/p"),
            ox.Literal("0"),
            ox.NamedNode(INFERRED),
        )
    )
    graphs = Graphs((GRAPH,), (GRAPH, INFERRED), INFERRED)
    whole = whole_store_defaults(store, graphs)
    assert whole == frozenset({True})  # the closure is every graph; the asserted graphs are not
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    checked = gate.check(text, prefixes=PREFIXES)
    for reasoned in (False, True):
        req = QueryRequest(text=text, accept=JSON, query=checked, reasoned=reasoned)
        assert execute(store, graphs, req, whole=whole).body == execute(store, graphs, req).body
    assert (
        number(
            execute(
                store, graphs, QueryRequest(text=text, accept=JSON, query=checked, reasoned=True), whole=whole
            )
        )
        == SIZE + 3
    )


# --- HTTP under httptools ----------------------------------------------------------------------------


def test_httptools_is_bounded_and_takes_long_targets_as_h11_does() -> None:
    pytest.importorskip("httptools")
    from alliance_kg.server.run import http_protocol

    protocol = http_protocol(100_000)
    assert not isinstance(protocol, str)
    scopes: list[dict[str, object]] = []

    base: Any = protocol  # a class made at run time: the type checker cannot derive from it otherwise

    class Probe(base):
        def __init__(self) -> None:  # no server around it: only the parser's callbacks are driven
            import httptools

            self.parser = httptools.HttpRequestParser(self)
            self.root_path = ""
            self.app_state = {}
            self.limit_concurrency = None
            self.asgi_version = "3.0"
            self.server = self.client = None
            self.scheme = "http"

        def on_headers_complete(self) -> None:
            with contextlib.suppress(AttributeError):  # past the scope: what follows needs a transport
                super().on_headers_complete()
            scopes.append(dict(self.scope))

        def on_message_complete(self) -> None:
            pass

    long_target = b"/sparql?query=ASK%7B%7D&x=" + b"a" * 80_000
    probe = Probe()
    probe.parser.feed_data(b"GET " + long_target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert scopes[-1]["path"] == "/sparql" and scopes[-1]["query_string"] == long_target.split(b"?", 1)[1]
    import httptools

    with pytest.raises(httptools.HttpParserError):
        Probe().parser.feed_data(b"GET /sparql HTTP/1.1\r\nX-Big: " + b"b" * 120_000 + b"\r\n\r\n")


def test_a_query_larger_than_a_pipe_holds_is_sent_without_blocking_the_loop() -> None:
    big = request("#" + "x" * 300_000 + "\nSELECT ((41 + 1) AS ?n) WHERE {}")

    async def body(pool: QueryPool) -> tuple[list[int], float]:
        slow = asyncio.ensure_future(
            pool.run(request("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"))
        )
        await asyncio.sleep(0.1)
        answers = asyncio.gather(*(pool.run(big) for _ in range(3)), pool.run(numbered(5)))
        started = time.monotonic()
        await asyncio.sleep(0.05)  # the loop goes on while they wait and are written
        lag = time.monotonic() - started
        await slow
        return [number(r) for r in await answers], lag

    answers, lag = in_pool(body, size=1, timeout=20.0)
    assert answers == [42, 42, 42, 5]
    assert lag < 1.0


def _serve_here() -> tuple[subprocess.Popen[bytes], int]:
    import socket as socket_module
    import sys

    import httpx

    with socket_module.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "alliance_kg", "serve", "--no-reasoning", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", timeout=2).status_code == 200:
                return process, port
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start")


def _raw(port: int, data: bytes) -> bytes:
    import socket as socket_module

    with socket_module.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        while len(rest) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head.split(b"\r\n")[0] + b"\n" + rest


def test_the_server_reads_what_h11_would_read() -> None:
    """Under httptools as under h11: a POST offering an h2c upgrade (Java's HttpClient) keeps its body, its
    head sent in two parts too; a 1.9 MiB GET is read; a head past the limit gets 400."""
    process, port = _serve_here()
    try:
        body = b"query=ASK%20%7B%7D"
        head = (
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
            b"HTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\n"
            b"Accept: application/sparql-results+json\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
        )
        answer = _raw(port, head + body)
        assert answer.startswith(b"HTTP/1.1 200") and b'"boolean":true' in answer, answer
        import socket as socket_module

        with socket_module.create_connection(
            ("127.0.0.1", port), timeout=10
        ) as connection:  # the head in parts
            for part in (head[:40], head[40:], body):
                connection.sendall(part)
                time.sleep(0.05)
            assert b'"boolean":true' in connection.recv(65536)
        long_get = (
            b"GET /sparql?query=ASK%7B%7D&x="
            + b"a" * int(1.9 * 1024 * 1024)
            + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        assert _raw(port, long_get).startswith(b"HTTP/1.1 200")
        too_long = (
            b"GET /sparql?query=ASK%7B%7D&x=" + b"a" * (3 * 1024 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        assert _raw(port, too_long).startswith(b"HTTP/1.1 400")
    finally:
        process.terminate()
        process.wait(15)
