"""Fault injection for `alliance-kg load`, against real stores (the Oxigraph server, with a union default
graph, and Virtuoso Open Source), each started once for the module on 127.0.0.1 (tests/stores.py).

A :class:`stores.FaultProxy` between the load and the store kills the store (SIGKILL) at a chosen request:
during staging, and at the publishing update before it reaches the store or after the store applied it. The
store is then restarted on the same data folder and a later load runs. Afterwards no staging graph remains,
every published graph holds exactly the bundled export's triples (isomorphic graphs), nothing else is in the
store's graphs, and the later load has said what it removed. Also: leftovers of an earlier version's naming,
a lost answer to the publishing update (not sent again), a store that never answers (exit 3 within the
deadline), SIGINT (exit 130 at once, nothing published), and passwords in the endpoint URL (never printed).

Each way of publishing is tested: on Oxigraph every graph goes in one update (after a marker graph that it
drops), unless --batch-size asks for staging; on Virtuoso staging, then MOVE. For both: the load itself
killed (SIGKILL) while its publishing update is held back (the previous version stays, the leftovers go at the
next load) and while the store applies it (Oxigraph finishes it: the new version, whole; Virtuoso finishes it
or abandons it with its client: one whole version either way), and the store killed while it applies the
update (after a restart, the previous version, whole).
Without the programs the tests skip with the reason (fail under CI=true).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from conftest import ROOT, require_program
from rdflib import Graph
from rdflib.compare import isomorphic
from stores import (
    Fault,
    FaultProxy,
    OxigraphServer,
    Reader,
    Request,
    Server,
    SilentStore,
    VirtuosoServer,
    closed_port,
    server_auth,
)

from alliance_kg import export
from alliance_kg.cli import main
from alliance_kg.graph import USER_GRAPH, load_dataset
from alliance_kg.load import STAGING_PREFIX
from alliance_kg.namespaces import GRAPH

AUTH_VAR = "ALLIANCE_KG_TEST_FAULTS_AUTH"
USER = str(USER_GRAPH)
BIG_TRIPLES = 10_000
BATCH = "1000"  # 10 staging batches for the big file
#: Enough for the store to take seconds over the update that publishes them (the store is killed during it).
HUGE_TRIPLES = 150_000
#: How a load publishes: its default way for the store (on Oxigraph every graph in one update, on Virtuoso
#: staged, then MOVE), or staged in batches (--batch-size), which on Virtuoso is the default way already.
WAYS = ["default", "staged"]


# --- the stores and what they should hold -------------------------------------------------------------------


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(request.param)
    if request.param == "oxigraph":
        require_program("oxigraph", "the Oxigraph server (PyPI `oxigraph`) is a store to load into")
        # The union default graph is where leftovers hurt: every query without GRAPH sees them.
        started: Server = OxigraphServer(workdir, union_default_graph=True).start()
    else:
        require_program(
            "virtuoso-t", "Virtuoso Open Source (Debian `virtuoso-opensource`) is a store to load into"
        )
        started = VirtuosoServer(workdir).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def exported() -> dict[str, list[ox.Triple]]:
    """The bundled export (`alliance-kg export --format nq`), by named graph: what a load publishes."""
    data = export.serialize_dataset(load_dataset(), "nq")
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in ox.parse(data, format=ox.RdfFormat.N_QUADS):
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    assert set(graphs) == {GRAPH + g for g in ("ontology", "data", "vocabularies", "sources", "provenance")}
    return graphs


def _data_file(path: Path, n: int) -> tuple[Path, list[ox.Triple]]:
    path.write_text(
        "".join(
            f'<https://example.org/big/s{i // 10}> <https://example.org/big/p{i % 10}> "v{i}" .\n'
            for i in range(n)
        ),
        encoding="utf-8",
    )
    return path, list(ox.parse(path.read_bytes(), format=ox.RdfFormat.N_TRIPLES))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ox.Triple]]:
    """A --data file large enough for ten staging batches, and its triples."""
    return _data_file(tmp_path_factory.mktemp("big") / "big.nt", BIG_TRIPLES)


@pytest.fixture(scope="module")
def huge_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ox.Triple]]:
    """A --data file whose publishing update takes the store seconds, and its triples."""
    return _data_file(tmp_path_factory.mktemp("huge") / "huge.nt", HUGE_TRIPLES)


def _canonical(triples: list[ox.Triple]) -> list[ox.Triple]:
    """Each literal in the canonical form of its value (stores keep values, not lexical forms)."""
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return [q.triple for q in store]


def same_graph(theirs: list[ox.Triple], ours: list[ox.Triple]) -> bool:
    a, b = _canonical(theirs), _canonical(ours)
    blank = any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in a + b)
    if not blank:
        return {str(t) for t in a} == {str(t) for t in b}
    nt = ox.RdfFormat.N_TRIPLES
    return isomorphic(
        Graph().parse(data=ox.serialize(a, format=nt), format="nt"),
        Graph().parse(data=ox.serialize(b, format=nt), format="nt"),
    )


def assert_holds_exactly(reader: Reader, expected: dict[str, list[ox.Triple]]) -> None:
    """The store's graphs of ours are exactly ``expected``, each graph isomorphic to ours."""
    held = reader.graphs(GRAPH)
    assert set(held) == set(expected), f"graphs in the store: {held}"
    for graph, triples in expected.items():
        assert held[graph] == len(triples), f"<{graph}> holds {held[graph]:,}, expected {len(triples):,}"
        assert same_graph(reader.triples(graph), triples), f"<{graph}> differs from the export"


def leftover_line(leftovers: dict[str, int]) -> str:
    n, triples = len(leftovers), sum(leftovers.values())
    return (
        f"removed {n} leftover staging graph{'s' if n > 1 else ''} "
        f"({triples:,} triple{'s' if triples != 1 else ''}) from an earlier interrupted load"
    )


def auth_args(server: Server, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    if not server.credentials:
        return []
    monkeypatch.setenv(AUTH_VAR, server.credentials)
    return ["--auth", server.auth or "basic", "--auth-env", AUTH_VAR]


def run_load(
    capsys, server: Server, monkeypatch: pytest.MonkeyPatch, *args: str, endpoint: str | None = None
) -> tuple[int, str]:
    """`alliance-kg load` in this process: its exit code and all it printed (stdout and stderr)."""
    argv = ["load", "--endpoint", endpoint or server.graph_store, *auth_args(server, monkeypatch), *args]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out + err


def running(server: Server) -> Server:
    """The store, started again if a failed test left it killed."""
    if server.process is None or server.process.poll() is not None:
        server.start()
    return server


def fresh(capsys, server: Server, monkeypatch: pytest.MonkeyPatch, exported) -> Reader:
    """A good load first, so that each test starts from the published export and no leftovers."""
    code, out = run_load(capsys, running(server), monkeypatch)
    assert code == 0, out
    reader = Reader(server)
    assert reader.graphs(STAGING_PREFIX) == {}
    assert_holds_exactly(reader, exported)
    return reader


def way_args(server: Server, way: str, batch: str = "5000") -> list[str]:
    if way == "default":
        return []
    if not isinstance(server, OxigraphServer):
        pytest.skip("Virtuoso is staged by default: the default way covers it")
    return ["--batch-size", batch]


def server_cpu(server: Server) -> float:
    """User + system seconds the store's process has used so far."""
    assert server.process is not None
    with open(f"/proc/{server.process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def is_staging_write(request: Request) -> bool:
    """A batch written into a staging graph: Graph Store PUT/POST, or an INSERT of SPARQL Update."""
    if request.method in {"PUT", "POST"} and request.params.get("graph", "").startswith(STAGING_PREFIX):
        return True
    text = request.params.get("update", "") or request.text
    return "INSERT" in text and f"GRAPH <{STAGING_PREFIX}" in text


def is_publishing(request: Request) -> bool:
    """The update that publishes: MOVE or ADD of staging graphs, or the one update that writes every graph
    (it drops the load's marker)."""
    text = request.params.get("update", "") or request.text
    prefix = re.escape(STAGING_PREFIX)
    return bool(
        re.search(rf"\b(MOVE|ADD)\s+<{prefix}", text)
        or re.match(rf"DROP GRAPH <{prefix}[^>]*:publishing>", text)
    )


def later_load_cleans_up(capsys, server, monkeypatch, reader: Reader, exported) -> str:
    """The later load: it removes what is left, says so, and publishes exactly the export."""
    leftovers = reader.graphs(STAGING_PREFIX)
    code, out = run_load(capsys, server, monkeypatch)
    assert code == 0, out
    if leftovers:
        assert leftover_line(leftovers) in out, out
    else:
        assert "leftover" not in out, out
    assert reader.graphs(STAGING_PREFIX) == {}
    assert_holds_exactly(reader, exported)
    return out


def plant_leftover(server: Server, graph: str, n: int) -> None:
    """A staging graph as an interrupted load of an earlier version left it."""
    triples = "".join(
        f'<https://example.org/old/s{i}> <https://example.org/old/p> "{i}" .\n' for i in range(n)
    )
    response = httpx.post(
        server.update_endpoint,
        content=f"INSERT DATA {{ GRAPH <{graph}> {{\n{triples}}} }}".encode(),
        headers={"Content-Type": "application/sparql-update"},
        auth=server_auth(server),
        timeout=30,
    )
    assert response.status_code < 300, response.text


# --- killed while staging -----------------------------------------------------------------------------------


def test_killed_while_staging(server, exported, big_file, capsys, monkeypatch) -> None:
    """An earlier version's leftover is removed first; the store is killed at the 8th staging batch; after a
    restart the export is intact and the leftovers are there (visible through a union default graph); the
    later load removes them and says how many triples they held."""
    reader = fresh(capsys, server, monkeypatch, exported)
    baseline = reader.default_graph_size() if isinstance(server, OxigraphServer) else None
    old = STAGING_PREFIX + hashlib.sha256(b"https://example.org/an-old-target").hexdigest()[:24]
    plant_leftover(server, old, 150)

    path, _ = big_file
    with FaultProxy(server, Fault(is_staging_write, nth=8, action="kill")) as proxy:
        code, out = run_load(
            capsys,
            server,
            monkeypatch,
            "--data",
            str(path),
            "--batch-size",
            BATCH,
            "--retries",
            "1",
            endpoint=proxy.url(server.graph_store),
        )
        assert proxy.fired.is_set(), out
    assert code == 3, out
    assert "error:" in out and "Traceback" not in out, out
    assert leftover_line({old: 150}) in out, out

    server.start()
    leftovers = reader.graphs(STAGING_PREFIX)
    assert leftovers and sum(leftovers.values()) > 0, "the killed load left no staging graph to remove"
    assert old not in leftovers
    assert_holds_exactly(reader, exported)  # the previous version, and no user graph
    if baseline is not None:  # the leftovers are in every query of a union default graph
        assert reader.default_graph_size() > baseline

    later_load_cleans_up(capsys, server, monkeypatch, reader, exported)
    if baseline is not None:
        assert reader.default_graph_size() == baseline


# --- killed while publishing --------------------------------------------------------------------------------


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("when", ["kill", "kill-after"], ids=["before-the-store-has-it", "after-it-applied"])
def test_killed_while_publishing(server, exported, big_file, capsys, monkeypatch, when, way) -> None:
    """The store dies at the publishing update: before it arrives (the previous version stays, the staging
    graphs or the marker are left over) or after the store applied it (the new version is there). Either way
    the restarted store holds one whole version, never a mix, and the later load leaves exactly the export."""
    options = way_args(server, way)
    reader = fresh(capsys, server, monkeypatch, exported)
    path, big = big_file
    with FaultProxy(server, Fault(is_publishing, action=when)) as proxy:
        code, out = run_load(
            capsys,
            server,
            monkeypatch,
            "--data",
            str(path),
            "--retries",
            "0",
            *options,
            endpoint=proxy.url(server.graph_store),
        )
        assert proxy.fired.is_set(), out
        assert len(proxy.matching(is_publishing)) == 1, "the publishing update was sent again"
    assert code == 3, out
    assert "error:" in out and "Traceback" not in out, out

    server.start()
    if when == "kill":
        assert reader.graphs(STAGING_PREFIX), (
            "the staging graphs or the marker should be left for the next load"
        )
        assert_holds_exactly(reader, exported)
    elif isinstance(server, OxigraphServer):
        assert reader.graphs(STAGING_PREFIX) == {}
        assert_holds_exactly(reader, {**exported, USER: big})
    # Virtuoso killed after a MOVE and before its checkpoint replays the MOVE from its log with triples
    # missing (docs/triple-stores.md): only the later load's result is asserted there.
    later_load_cleans_up(capsys, server, monkeypatch, reader, exported)


@pytest.mark.parametrize("way", WAYS)
def test_lost_answer_to_the_publishing_update_is_not_sent_again(
    server, exported, big_file, capsys, monkeypatch, way
) -> None:
    """The store applies the publishing update and its answer is lost. Sending a MOVE again would move a
    staging graph that no longer exists: Oxigraph refuses, Virtuoso empties the target (and the one update
    would find its marker gone). The load sends it once, sees from the store that it was applied (the
    staging graphs, or the marker, are gone), and succeeds."""
    options = way_args(server, way)
    reader = fresh(capsys, server, monkeypatch, exported)
    path, big = big_file
    with FaultProxy(server, Fault(is_publishing, action="drop-answer")) as proxy:
        code, out = run_load(
            capsys, server, monkeypatch, "--data", str(path), *options, endpoint=proxy.url(server.graph_store)
        )
        assert proxy.fired.is_set(), out
        assert len(proxy.matching(is_publishing)) == 1, "the publishing update was sent again"
    assert code == 0, out
    assert "the answer to the publishing update was lost" in out, out
    assert reader.graphs(STAGING_PREFIX) == {}
    assert_holds_exactly(reader, {**exported, USER: big})
    later_load_cleans_up(capsys, server, monkeypatch, reader, exported)


def _start_load(program: str, endpoint: str, path: Path, *options: str) -> subprocess.Popen[str]:
    command = [program, "load", "--endpoint", endpoint, "--data", str(path), "--retries", "0", *options]
    return subprocess.Popen(
        command, cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _until_publishing(process: subprocess.Popen[str]) -> list[str]:
    """The load's progress up to the line that says its publishing update is on its way."""
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "in one update request" in line:
            return seen
    process.wait(timeout=30)
    pytest.fail("the load ended before publishing:\n" + "".join(seen))


def _until_busy(server: Server, seconds: float = 0.3, timeout: float = 60.0) -> None:
    """Until the store has spent ``seconds`` of CPU: it is applying the update."""
    started, ends = server_cpu(server), time.monotonic() + timeout
    while server_cpu(server) - started < seconds:
        assert time.monotonic() < ends, "the store never got busy with the publishing update"
        time.sleep(0.02)


def _restart(server: Server) -> None:
    """Start the store again after it was killed in the middle of a large update: recovering may take it
    longer than a plain start (once more than 15 s for Oxigraph, on a busy machine)."""
    server.start_timeout = max(server.start_timeout, 120.0)
    started = time.monotonic()
    server.start()
    print(f"restarted {server.name} in {time.monotonic() - started:.1f} s")


def _kill_load(process: subprocess.Popen[str]) -> None:
    process.kill()  # SIGKILL: no clean-up of any kind
    process.communicate(timeout=30)


@pytest.mark.parametrize("way", WAYS)
def test_load_killed_before_its_publishing_update(
    server, exported, big_file, capsys, monkeypatch, way
) -> None:
    """The load itself is killed (SIGKILL) between staging and publishing: its publishing update is held
    back on its way (the store never gets it) and the process dies. The store holds the previous version
    and what the load left (its staging graphs, or its marker), which the next load removes."""
    program = require_program("alliance-kg", "the console script of this project (pip install -e .)")
    options = way_args(server, way, BATCH)
    reader = fresh(capsys, server, monkeypatch, exported)
    path, _ = big_file
    with FaultProxy(server, Fault(is_publishing, action="stall")) as proxy:
        process = _start_load(
            program, proxy.url(server.graph_store), path, *options, *auth_args(server, monkeypatch)
        )
        try:
            assert proxy.fired.wait(timeout=120), "the load never reached its publishing update"
        finally:
            _kill_load(process)
        assert len(proxy.matching(is_publishing)) == 1
    assert_holds_exactly(reader, exported)
    assert reader.graphs(STAGING_PREFIX), "the killed load left nothing for the next load to remove"
    later_load_cleans_up(capsys, server, monkeypatch, reader, exported)


@pytest.mark.parametrize("way", WAYS)
def test_load_killed_while_the_store_applies_its_update(
    server, exported, huge_file, capsys, monkeypatch, way
) -> None:
    """The load is killed (SIGKILL) once the store has its publishing update and is applying it. Oxigraph
    finishes it, whole: the new version, with no staging graph or marker left. Virtuoso either finishes it
    (the new version, whole) or abandons it with its client (seen here at 0.3-3.5 s of its CPU into a MOVE of
    150,000 triples: the previous version, whole, and the staging graphs, whole, for the next load to remove);
    either way it answers again at once, and holds one whole version once it is idle. The later load then
    removes the abandoned staging graphs, which takes Virtuoso up to a minute: longer than one --timeout, so
    the removal waits until the deadline (resent after a timeout, it would start over each time)."""
    program = require_program("alliance-kg", "the console script of this project (pip install -e .)")
    options = way_args(server, way, "50000")
    reader = fresh(capsys, server, monkeypatch, exported)
    path, huge = huge_file
    process = _start_load(program, server.graph_store, path, *options, *auth_args(server, monkeypatch))
    try:
        seen = _until_publishing(process)
        _until_busy(server)
    finally:
        _kill_load(process)
    new = {**exported, USER: huge}
    if isinstance(server, OxigraphServer):
        ends = time.monotonic() + 300
        while reader.graphs(STAGING_PREFIX):  # the store is still at it
            assert time.monotonic() < ends, "the store did not finish the publishing update"
            time.sleep(0.5)
        assert_holds_exactly(reader, new)
    else:
        _until_idle(server, reader)
        left = reader.graphs(STAGING_PREFIX)
        if left:  # abandoned: the previous version, and the staging graphs as they were staged
            assert_holds_exactly(reader, exported)
            staged = {graph.rsplit(":", 1)[1]: n for graph, n in left.items()}
            assert staged == {quote(g, safe=""): len(t) for g, t in new.items()}, ("".join(seen), left)
        else:  # finished
            assert_holds_exactly(reader, new)
    later_load_cleans_up(capsys, server, monkeypatch, reader, exported)


def _until_idle(server: Server, reader: Reader, timeout: float = 120.0) -> None:
    """Until the store answers a query and has used less than 0.05 s of CPU over the last second (it is
    done with the update, one way or the other). Fails if it does not within ``timeout`` seconds."""
    ends = time.monotonic() + timeout
    while True:
        assert time.monotonic() < ends, f"{server.name} did not answer, or stayed busy, for {timeout:.0f} s"
        try:
            reader.graphs(STAGING_PREFIX)
        except httpx.HTTPError:
            time.sleep(0.5)
            continue
        before = server_cpu(server)
        time.sleep(1.0)
        if server_cpu(server) - before < 0.05:
            return


@pytest.mark.parametrize("way", WAYS)
def test_store_killed_while_it_applies_the_update(
    server, exported, huge_file, capsys, monkeypatch, way
) -> None:
    """The store is killed (SIGKILL) while it applies the publishing update (it has spent CPU on it and not
    answered): the load fails with exit code 3, and the restarted store holds the previous version, whole —
    the update is one transaction, which the store rolls back — and what the load left, which the next load
    removes."""
    program = require_program("alliance-kg", "the console script of this project (pip install -e .)")
    options = way_args(server, way, "50000")
    reader = fresh(capsys, server, monkeypatch, exported)
    path, _ = huge_file
    process = _start_load(program, server.graph_store, path, *options, *auth_args(server, monkeypatch))
    try:
        seen = _until_publishing(process)
        _until_busy(server)
        assert process.poll() is None, "the load ended before the store was killed: use a larger file"
        server.kill()
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            _kill_load(process)
    err = "".join(seen) + err
    assert process.returncode == 3, err
    assert "error:" in err and "Traceback" not in err, err
    _restart(server)
    assert_holds_exactly(reader, exported)
    assert reader.graphs(STAGING_PREFIX), "the killed load left nothing for the next load to remove"
    later_load_cleans_up(capsys, server, monkeypatch, reader, exported)


# --- interrupted --------------------------------------------------------------------------------------------


def test_sigint_is_immediate_and_publishes_nothing(server, exported, big_file, capsys, monkeypatch) -> None:
    """`alliance-kg load` (the console script) against a store that stops answering in the middle of the
    staging: SIGINT ends it at once with exit code 130, the store holds the previous version, and the next
    load removes the staging graphs the interrupted one left."""
    program = require_program("alliance-kg", "the console script of this project (pip install -e .)")
    reader = fresh(capsys, server, monkeypatch, exported)
    path, _ = big_file
    with FaultProxy(server, Fault(is_staging_write, nth=4, action="stall")) as proxy:
        command = [
            program,
            "load",
            "--endpoint",
            proxy.url(server.graph_store),
            "--data",
            str(path),
            "--batch-size",
            BATCH,
            *auth_args(server, monkeypatch),
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert proxy.fired.wait(timeout=60), "the load never reached the stalled request"
            time.sleep(0.2)  # the request is in flight, waiting for an answer
            sent = time.monotonic()
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
            elapsed = time.monotonic() - sent
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 130, out + err
    assert elapsed < 2.0, f"exit {elapsed:.1f} s after SIGINT"
    assert "interrupted" in err and "nothing was published" in err and "Traceback" not in err, err
    assert_holds_exactly(reader, exported)
    assert reader.graphs(STAGING_PREFIX), "the interrupted load's staging graphs are left for the next load"
    later_load_cleans_up(capsys, server, monkeypatch, reader, exported)


# --- a store that never answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [["--deadline", "2"], ["--deadline", "2", "--timeout", "0.5", "--retries", "50"]],
    ids=["one-request-longer-than-the-deadline", "retries-beyond-the-deadline"],
)
def test_never_answering_store_fails_within_the_deadline(capsys, options) -> None:
    """A store that accepts the connection and never answers: exit code 3 and a message within the deadline
    (2 s here; the bound allows a generous margin for a slow machine)."""
    with SilentStore() as silent:
        started = time.monotonic()
        code = main(["load", "--endpoint", silent.base + "/store", *options])
        elapsed = time.monotonic() - started
    _, err = capsys.readouterr()
    assert code == 3, err
    assert elapsed < 2 + 5, f"gave up after {elapsed:.1f} s"
    assert "deadline" in err and "no answer" in err and "Traceback" not in err, err


def test_load_options_document_the_deadline(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["load", "--help"])
    text = re.sub(r"\s+", " ", capsys.readouterr().out)
    assert "--deadline SECONDS" in text and "--timeout SECONDS" in text, text
    assert re.search(r"--timeout SECONDS .*default: 30", text), text
    assert re.search(r"--deadline SECONDS .*default: 300", text), text


# --- passwords in the endpoint URL --------------------------------------------------------------------------

SECRET = "s3cr3t-Pw"
#: Percent-encoded in the URL ("p@ss-…" once decoded): the secret is a part of both forms, so a leak of
#: either, or of the plain part, shows.
PASSWORD = "p%40ss-" + SECRET
USERINFO = f"loader:{PASSWORD}@"


def with_password(url: str) -> str:
    return url.replace("http://", "http://" + USERINFO, 1)


def assert_masked(outputs: list[str]) -> None:
    for out in outputs:
        assert SECRET not in out and "Traceback" not in out, out
        assert "loader:***@127.0.0.1" in out, out


def test_passwords_in_the_endpoint_url_are_never_printed(server, capsys, monkeypatch) -> None:
    """A succeeding load and a refused one, with user:password in the URLs: the password appears nowhere in
    what they print (stdout and stderr), the user and host do."""
    running(server)
    outputs = []
    code, out = run_load(capsys, server, monkeypatch, endpoint=with_password(server.graph_store))
    assert code == 0, out
    outputs.append(out)
    code, out = run_load(
        capsys,
        server,
        monkeypatch,
        "--update-endpoint",
        with_password(server.base + "/no-such-endpoint"),
        "--retries",
        "0",
        endpoint=with_password(server.graph_store),
    )
    assert code == 3, out
    outputs.append(out)
    assert_masked(outputs)


def test_passwords_are_masked_when_the_store_is_unreachable(capsys) -> None:
    """Unreachable, unanswered, and a URL without its scheme (bad usage): masked all the same."""
    outputs = []
    code = main(["load", "--endpoint", f"http://{USERINFO}127.0.0.1:{closed_port()}/store", "--retries", "1"])
    assert code == 3
    outputs.append("".join(capsys.readouterr()))
    with SilentStore() as silent:
        code = main(["load", "--endpoint", with_password(silent.base + "/store"), "--deadline", "1"])
    assert code == 3
    outputs.append("".join(capsys.readouterr()))
    code = main(["load", "--endpoint", f"{USERINFO}127.0.0.1:7878/store"])
    assert code == 2
    outputs.append("".join(capsys.readouterr()))
    assert_masked(outputs)
