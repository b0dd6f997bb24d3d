"""`alliance-kg load` against real triple stores: the Oxigraph server and Virtuoso Open Source, each
started on 127.0.0.1 on free ports in a temporary folder (tests/stores.py), once per module, and stopped by
its PID.

For each store: the graph is loaded (the named-graph layout, asserted then with --reasoned) and verified —
on Oxigraph in one update, on Virtuoso staged, unless --batch-size asks for staging in batches (which store
gets which way: tests/test_load_speed_strategy.py);
replacing and appending duplicate nothing; a closed port, refused credentials and a read-only store give
exit code 3 and the store's message; and a store killed in the middle of a load keeps the previous graph,
which is intact after a restart. The store is read back with the tests' own client (tests/stores.py), not
with the code under test. More faults (killed while publishing, a lost answer, a store that never answers,
SIGINT, passwords in URLs) are in tests/test_load_faults.py. The competency queries, on these stores and on
the others (rdflib, Oxigraph in memory, Apache Jena TDB2), are tests/test_store_matrix.py's. Without the
programs the tests skip with the reason (fail under CI=true).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, require_program
from rdflib import Graph
from rdflib.compare import isomorphic
from stores import OxigraphServer, Reader, Server, VirtuosoServer, closed_port, query_text

from alliance_kg import catalogue, load, params, paths, store
from alliance_kg.catalogue import NamedQuery
from alliance_kg.cli import main
from alliance_kg.errors import CheckFailed, StoreError, UsageError
from alliance_kg.namespaces import GRAPH, XSD

STORE_FAILED = StoreError.exit_code  # the exit codes, from their one definition
BAD_USAGE = UsageError.exit_code

QUERIES = catalogue.catalogue()
LAYOUT = [GRAPH + g for g in ("ontology", "data", "vocabularies", "sources", "provenance")]
INFERRED = GRAPH + "inferred"
AUTH_VAR = "ALLIANCE_KG_TEST_STORE_AUTH"
TEST_GRAPH = "https://example.org/alliance-kg-tests/one-graph"
KILL_GRAPH = "https://example.org/alliance-kg-tests/survives-a-crash"

# Virtuoso 7.2 and transitive paths (kept here, where it was found; tests/test_store_matrix.py now holds the
# stores to every competency query). Virtuoso answered list-facilities wrongly: it dropped the production
# line's rows. After `?plant akg:hasFacility ?facility . ?facility akg:name ?n ; a ?facilityType`, the path
# `?facilityType rdfs:subClassOf* akg:PlantFacility` matched only the workshop (two steps below
# akg:PlantFacility), not the line (one step), although the same path alone, or after `?f a ?t` alone, matches
# both. The shape that trips it: a transitive path (`*` or `+`, either direction) whose far end is a constant
# and whose near end is bound by the patterns before it, for several rows at once; FILTER EXISTS, a subquery,
# VALUES/BIND for the end, `FILTER(?end = <c>)` and sameTerm do not help (its optimiser folds them back into a
# constant end; with sameTerm it even ignored the filter). queries/list-facilities.rq now walks the path to a
# free end and compares that end as a string, which Virtuoso answers right; the matrix checks it everywhere.


# --- the stores ---------------------------------------------------------------------------------------------


def _start(kind: str, workdir: Path) -> Server:
    if kind == "oxigraph":
        require_program("oxigraph", "the Oxigraph server (PyPI `oxigraph`) is a store to load into")
        return OxigraphServer(workdir).start()
    require_program(
        "virtuoso-t", "Virtuoso Open Source (Debian `virtuoso-opensource`) is a store to load into"
    )
    return VirtuosoServer(workdir).start()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = _start(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield started
    finally:
        started.stop()


def auth_args(server: Server, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    if not server.credentials:
        return []
    monkeypatch.setenv(AUTH_VAR, server.credentials)
    return ["--auth", server.auth or "basic", "--auth-env", AUTH_VAR]


def run_load(capsys, server: Server, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    code = main(["load", "--endpoint", server.graph_store, *auth_args(server, monkeypatch), *args])
    return code, capsys.readouterr().err


def count(server: Server, graph: str) -> int:
    return Reader(server).count(graph)


def fetch(server: Server, graph: str) -> Graph:
    """A graph of the store, as N-Triples through a CONSTRUCT query."""
    return as_rdflib(Reader(server).triples(graph))


def staging_graphs(server: Server) -> dict[str, int]:
    return Reader(server).graphs(load.STAGING_PREFIX)


def ours(**options) -> dict[str, list[ox.Triple]]:
    return load.graphs_to_load(**options)


def as_rdflib(triples: list[ox.Triple]) -> Graph:
    """Triples as an rdflib graph, each literal in the canonical form of its value. Both stores keep values,
    not lexical forms (Oxigraph and Virtuoso give back 550000000.0 as "550000000"^^xsd:decimal, Virtuoso a
    stored "true"^^xsd:boolean as "1"), so graphs are compared in the canonical form pyoxigraph gives."""
    canonical = ox.Store()
    canonical.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    data = ox.serialize((q.triple for q in canonical), format=ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=data, format="nt")


@pytest.fixture(scope="module")
def loaded(server: Server, request: pytest.FixtureRequest) -> dict[str, int]:
    """The graph loaded in the named-graph layout, with --reasoned: what the competency queries run on."""
    monkeypatch = pytest.MonkeyPatch()
    try:
        if server.credentials:
            monkeypatch.setenv(AUTH_VAR, server.credentials)
        report = load.load(
            server.graph_store,
            reasoned=True,
            auth=server.auth if server.credentials else None,
            auth_env=AUTH_VAR if server.credentials else None,
        )
    finally:
        monkeypatch.undo()
    assert report.verified
    return {g.graph: g.in_store for g in report.graphs}


# --- the parameters, as a store receives them ---------------------------------------------------------------


@pytest.fixture(scope="module")
def local_stores() -> dict[bool, ox.Store]:
    return {False: store.open_store(), True: store.open_store(reasoned=True)}


def _term(term: object) -> str:
    if term is None:
        return "UNBOUND"
    return str(term).removesuffix(f"^^<{XSD}string>")


def _answer(result, variables: list[str]) -> list[tuple[str, ...]]:
    return [tuple(_term(row[v]) for v in variables) for row in result]


def _compare(query: NamedQuery, local, other) -> None:
    if query.form == "ASK":
        assert bool(other) == bool(local), f"{query.name}: ASK"
        return
    if query.form == "CONSTRUCT":
        theirs, mine = as_rdflib(list(other)), as_rdflib(list(local))
        assert len(mine) > 0 and isomorphic(theirs, mine), f"{query.name}: graphs differ"
        return
    variables = [v.value for v in local.variables]
    assert [v.value for v in other.variables] == variables, f"{query.name}: columns"
    mine, theirs = _answer(local, variables), _answer(other, variables)
    assert mine, f"{query.name}: no local answer"
    if re.search(r"\bORDER\s+BY\b", query.text, re.I):
        assert theirs == mine, f"{query.name}: rows or their order differ\nlocal:  {mine}\nother:  {theirs}"
    else:
        assert sorted(theirs) == sorted(mine), f"{query.name}: rows differ\nlocal:  {mine}\nother:  {theirs}"


@pytest.mark.parametrize("query", [pytest.param(q, id=q.name) for q in QUERIES if q.params])
@pytest.mark.parametrize("inline", [False, True], ids=["trailing-values", "inline-values"])
def test_values_binding_means_substitution(local_stores, query: NamedQuery, inline: bool) -> None:
    """The query text sent to a store (parameters as a VALUES block) gives, on our own engine, the answer of
    the substitution the CLI uses: the rewriting itself is right."""
    kg = local_stores[query.reasoned]
    bindings = params.bind(query, {}, kg)
    local = store.run_query(kg, query.text, bindings)
    text = query_text(query.text, bindings, inline=inline)
    assert "VALUES" in text
    _compare(query, local, store.run_query(kg, text))


# --- loading and verifying ----------------------------------------------------------------------------------


def test_load_replaces_the_named_graphs_and_verifies(server, loaded, capsys, monkeypatch) -> None:
    expected = {g: len(t) for g, t in ours(reasoned=True).items()}
    assert set(expected) == {*LAYOUT, INFERRED}
    assert loaded == expected
    assert sum(n for g, n in expected.items() if g != INFERRED) == len(store.open_store())

    # Without --reasoned, a replace brings the asserted graphs and removes the stale inferred graph.
    code, err = run_load(capsys, server, monkeypatch)
    assert code == 0, err
    for graph in LAYOUT:
        assert f"verified: <{graph}> holds {expected[graph]:,} triples, as many as we sent" in err
    assert f"dropped: <{INFERRED}>" in err
    if isinstance(server, VirtuosoServer):  # see load._Loader._virtuoso_checkpoint
        assert "Virtuoso: checkpoint done" in err, err
    assert count(server, INFERRED) == 0
    assert "password" not in err and (server.credentials or "\0") not in err

    # And again with --reasoned: nothing duplicated, the inferred graph back.
    code, err = run_load(capsys, server, monkeypatch, "--reasoned")
    assert code == 0, err
    assert {g: count(server, g) for g in expected} == expected
    assert f"loaded {sum(expected.values()):,} triples into {len(expected)} graph(s)" in err, err


def test_replace_and_append_duplicate_nothing(server, capsys, monkeypatch) -> None:
    (expected,) = ours(graph=TEST_GRAPH).values()
    for _ in range(2):
        code, err = run_load(capsys, server, monkeypatch, "--graph", TEST_GRAPH)
        assert code == 0, err
        assert count(server, TEST_GRAPH) == len(expected)
    assert isomorphic(fetch(server, TEST_GRAPH), as_rdflib(expected))
    # Appending the same triples adds nothing but fresh copies of the ontology's blank-node structures (RDF
    # lists): blank nodes of two documents are two nodes, by RDF's semantics.
    blank = [t for t in expected if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)]
    code, err = run_load(capsys, server, monkeypatch, "--graph", TEST_GRAPH, "--append")
    assert code == 0, err
    assert (
        f"holds {len(expected) + len(blank):,} triples ({len(expected):,} before, {len(expected):,} sent)"
        in err
    )
    assert count(server, TEST_GRAPH) == len(expected) + len(blank)
    assert staging_graphs(server) == {}


def test_sparql_update_alone(server, capsys, monkeypatch) -> None:
    """--protocol update: INSERT DATA in batches (and INSERT … WHERE {} for the ontology's blank nodes, which
    Virtuoso refuses in INSERT DATA), then MOVE."""
    graph = TEST_GRAPH + "/update"
    code, err = run_load(
        capsys,
        server,
        monkeypatch,
        "--endpoint",
        server.update_endpoint,
        "--protocol",
        "update",
        "--query-endpoint",
        server.query_endpoint,
        "--graph",
        graph,
        "--batch-size",
        "1500",
    )
    assert code == 0, err
    assert "(SPARQL Update, replace, staged" in err
    assert "batch 4 of 4 staged" in err  # the blank-node structures, then 3,778 triples in 3
    (expected,) = ours(graph=graph).values()
    assert isomorphic(fetch(server, graph), as_rdflib(expected))


def test_falls_back_to_sparql_update_without_a_graph_store(server, capsys, monkeypatch) -> None:
    if isinstance(server, VirtuosoServer):
        pytest.skip(
            "Virtuoso's SPARQL endpoints do not answer a PUT at all (the request hangs): use "
            "--protocol update there, as test_sparql_update_alone does"
        )
    graph = TEST_GRAPH + "/fallback"
    # --batch-size asks for staging in batches, through the Graph Store Protocol first (without it, the
    # Oxigraph server gets every graph in one update, no Graph Store request: test_load_speed_strategy.py).
    code, err = run_load(
        capsys,
        server,
        monkeypatch,
        "--endpoint",
        server.update_endpoint,
        "--graph",
        graph,
        "--batch-size",
        "5000",
    )
    assert code == 0, err
    assert "does not speak the Graph Store Protocol (404" in err
    assert "(SPARQL Update, replace, staged" in err
    assert count(server, graph) == len(next(iter(ours(graph=graph).values())))


def test_graph_store_alone_writes_directly(server, capsys, monkeypatch) -> None:
    graph = TEST_GRAPH + "/direct"
    code, err = run_load(capsys, server, monkeypatch, "--graph", graph, "--protocol", "graph-store")
    assert code == 0, err
    assert "written directly" in err
    assert count(server, graph) == len(next(iter(ours(graph=graph).values())))


# --- failures: unreachable, refused, killed -----------------------------------------------------------------


def test_closed_port_fails_with_the_store_exit_code(capsys) -> None:
    port = closed_port()
    started = time.monotonic()
    code = main(["load", "--endpoint", f"http://127.0.0.1:{port}/store", "--retries", "2"])
    err = capsys.readouterr().err
    assert code == STORE_FAILED, err
    assert "cannot connect" in err and "gave up after 3 attempt(s)" in err, err
    assert "retrying in 0.5 s (1 of 2)" in err and "retrying in 1.0 s (2 of 2)" in err, err
    assert f"is the store running at http://127.0.0.1:{port}?" in err
    assert "Traceback" not in err
    assert 1.4 < time.monotonic() - started < 15


def test_refused_credentials_fail_with_the_stores_message(server, capsys, monkeypatch) -> None:
    if not isinstance(server, VirtuosoServer):
        pytest.skip("the Oxigraph server has no authentication (its refusal is tested read-only below)")
    secret = "dba:not-the-password"
    monkeypatch.setenv(AUTH_VAR, secret)
    code = main(["load", "--endpoint", server.graph_store, "--auth", "digest", "--auth-env", AUTH_VAR])
    err = capsys.readouterr().err
    assert code == STORE_FAILED, err
    assert "refused the credentials (401 Unauthorized)" in err and "check the credentials" in err, err
    assert "not-the-password" not in err
    code = main(["load", "--endpoint", server.graph_store])
    err = capsys.readouterr().err
    assert code == STORE_FAILED and "give --auth and --auth-env" in err, err
    # Virtuoso's anonymous Graph Store endpoint exists, but refuses writes, in its own words.
    code = main(["load", "--endpoint", server.base + "/sparql-graph-crud", "--graph", TEST_GRAPH])
    err = capsys.readouterr().err
    assert code == STORE_FAILED, err
    assert "forbids it (403 Forbidden)" in err and "Permission denied" in err, err


def test_read_only_store_fails_with_its_message(capsys, tmp_path: Path) -> None:
    program = require_program("oxigraph", "the Oxigraph server (PyPI `oxigraph`) is a store to load into")
    subprocess.run(
        [program, "load", "--location", str(tmp_path / "db"), "--file", str(paths.ontology_file())],
        check=True,
        capture_output=True,
    )
    read_only = OxigraphServer(tmp_path, read_only=True).start()
    try:
        code = main(["load", "--endpoint", read_only.graph_store, "--graph", TEST_GRAPH, "--retries", "0"])
        err = capsys.readouterr().err
        assert code == STORE_FAILED, err
        assert "forbids it (403 Forbidden): The server is read-only" in err, err
    finally:
        read_only.stop()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60,000 extra triples: enough batches to kill the store in the middle of a load."""
    path = tmp_path_factory.mktemp("big") / "big.nt"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(60_000):
            handle.write(
                f'<https://example.org/big/s{i // 10}> <https://example.org/big/p{i % 10}> "v{i}" .\n'
            )
    return path


@pytest.mark.parametrize("protocol", ["auto", "update"], ids=["graph-store-staged", "update"])
def test_killed_store_keeps_the_previous_graph(server, big_file, capsys, monkeypatch, protocol) -> None:
    """Load our graph; start a much larger replace; kill the store (SIGKILL) once a few batches are staged;
    the load fails with exit code 3 and a clear error; after a restart the graph is the previous one, and the
    next load removes what the failed one staged, and says so."""
    batch = "2000" if protocol == "update" else "5000"
    code, err = run_load(capsys, server, monkeypatch, "--graph", KILL_GRAPH)
    assert code == 0, err
    (previous,) = ours(graph=KILL_GRAPH).values()
    endpoint = server.graph_store if protocol == "auto" else server.update_endpoint
    command = [
        sys.executable,
        "-m",
        "alliance_kg",
        "load",
        "--endpoint",
        endpoint,
        "--protocol",
        protocol,
        "--query-endpoint",
        server.query_endpoint,
        "--graph",
        KILL_GRAPH,
        "--data",
        str(big_file),
        "--batch-size",
        batch,
        "--retries",
        "1",
        *auth_args(server, monkeypatch),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    seen: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if re.search(r"batch 3 of \d+ staged", line):
                server.kill()
                break
        rest = process.stderr.read()
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    err = "".join(seen) + rest
    assert any("batch 3 of" in line for line in seen), err
    assert code == STORE_FAILED, err
    assert "error:" in err and "gave up after 2 attempt(s)" in err and "Traceback" not in err, err
    server.start()
    assert count(server, KILL_GRAPH) == len(previous)
    assert isomorphic(fetch(server, KILL_GRAPH), as_rdflib(previous))
    leftovers = staging_graphs(server)
    assert leftovers, "the killed load left no staging graph"
    code, err = run_load(capsys, server, monkeypatch, "--graph", KILL_GRAPH)
    assert code == 0, err
    assert f"removed {len(leftovers)} leftover staging graph" in err, err
    assert f"({sum(leftovers.values()):,} triples) from an earlier interrupted load" in err, err
    assert staging_graphs(server) == {}


# --- the library's own checks -------------------------------------------------------------------------------


def test_endpoints_of_the_known_stores() -> None:
    assert load.endpoints("http://h:7878/store") == load.Endpoints(
        "http://h:7878/store", "http://h:7878/query", "http://h:7878/update"
    )
    assert load.endpoints("http://h:8890/sparql-graph-crud-auth") == load.Endpoints(
        "http://h:8890/sparql-graph-crud-auth", "http://h:8890/sparql", "http://h:8890/sparql-auth"
    )
    assert load.endpoints("http://h:3030/ds/data") == load.Endpoints(
        "http://h:3030/ds/data", "http://h:3030/ds/query", "http://h:3030/ds/update"
    )
    assert load.endpoints("http://h:7200/repositories/akg/rdf-graphs/service") == load.Endpoints(
        "http://h:7200/repositories/akg/rdf-graphs/service",
        "http://h:7200/repositories/akg",
        "http://h:7200/repositories/akg/statements",
    )
    assert load.endpoints("http://h:3030/ds").query == "http://h:3030/ds"
    assert load.endpoints("http://h/store", query_endpoint="http://q/sparql").query == "http://q/sparql"
    with pytest.raises(UsageError):
        load.endpoints("ftp://h/store")


def test_credentials_come_only_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(AUTH_VAR, "s3cret-token")
    _, headers = load.credentials("bearer", AUTH_VAR)
    assert headers == {"Authorization": "Bearer s3cret-token"}
    for scheme, variable, words in [
        ("digest", None, "needs --auth-env"),
        ("basic", "ALLIANCE_KG_TEST_UNSET_VARIABLE", "is not set"),
        ("basic", AUTH_VAR, "must hold user:password"),
        ("basic", "user:password", "NAME of an environment variable"),
    ]:
        monkeypatch.delenv("ALLIANCE_KG_TEST_UNSET_VARIABLE", raising=False)
        with pytest.raises(UsageError, match=words) as caught:
            load.credentials(scheme, variable)
        assert "s3cret" not in str(caught.value)


def test_bad_usage_exits_2(capsys) -> None:
    for argv in (
        ["load"],
        ["load", "--endpoint", "http://127.0.0.1:9/store", "--graph", "not an iri"],
        ["load", "--endpoint", "http://127.0.0.1:9/store", "--replace", "--append"],
        ["load", "--endpoint", "http://127.0.0.1:9/store", "--batch-size", "0"],
        ["load", "--endpoint", "localhost:7878/store"],
    ):
        assert main(argv) == BAD_USAGE, argv
        assert "Traceback" not in capsys.readouterr().err


def test_batches_keep_blank_node_structures_whole() -> None:
    triples = [t for g in ours().values() for t in g]
    blank = {t for t in triples if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)}
    assert blank, "the ontology has blank nodes (RDF lists), which this test needs"
    parts = load.batches(triples, 50)
    assert sum(len(p) for p in parts) == len(triples)
    home: dict[ox.BlankNode, int] = {}
    for number, part in enumerate(parts):
        for t in part:
            for node in (t.subject, t.object):
                if isinstance(node, ox.BlankNode):
                    assert home.setdefault(node, number) == number, f"{node} is split over two batches"
    assert all(len(p) <= 50 for p in parts if not any(t in blank for t in p))


def test_a_store_error_exits_with_its_own_code(monkeypatch, capsys) -> None:
    """The exit code of a store failure is StoreError's (one definition, alliance_kg.errors), distinct from
    a usage error's and a failed check's; the CLI turns the exception into it, not into a traceback."""
    assert len({StoreError.exit_code, UsageError.exit_code, CheckFailed.exit_code, 0}) == 4

    def refuse(*args: object, **kwargs: object) -> None:
        raise StoreError("the store went away")

    monkeypatch.setattr(load, "load", refuse)
    code = main(["load", "--endpoint", "http://127.0.0.1:9/store", "--retries", "0"])
    err = capsys.readouterr().err
    assert code == STORE_FAILED, err
    assert err.startswith("error: the store went away") and "Traceback" not in err

    # and the check can fail: an error of another kind gives another code
    def misuse(*args: object, **kwargs: object) -> None:
        raise UsageError("not like that")

    monkeypatch.setattr(load, "load", misuse)
    assert main(["load", "--endpoint", "http://127.0.0.1:9/store"]) == BAD_USAGE != STORE_FAILED


def test_staging_graph_names_say_who_left_them() -> None:
    """One prefix for every staging graph, whatever its target; the name gives the load and the target."""
    run = load.new_run()
    assert re.fullmatch(rf"\d{{8}}T\d{{6}}Z-{os.getpid()}-[0-9a-f]{{8}}", run), run
    target = "https://example.org/a graph?with=odd#characters"
    name = load.staging_graph(target, run)
    assert name.startswith(load.STAGING_PREFIX)
    ox.NamedNode(name)  # a valid IRI
    staged = load.Staging(name, 12)
    assert (staged.target, staged.pid, staged.run) == (target, os.getpid(), run)
    assert f"staged for <{target}>" in staged.describe()
    assert load.staging_graph(target, load.new_run()) != name  # each load its own
    old = load.Staging(load.STAGING_PREFIX + "824dff7c20ca08b813477bd9", 150)  # alliance-kg 0.1
    assert old.target is None and "earlier version" in old.describe()


def test_passwords_in_urls_are_masked() -> None:
    assert load.redact("at http://u:pw@h:1/store?") == "at http://u:***@h:1/store?"
    assert load.redact("https://u:p@ss@h/x and u2:pw2@h2:7878/x") == "https://u:***@h/x and u2:***@h2:7878/x"
    assert (
        load.redact("error: stage <https://w3id.org/x>: http://h/x")
        == "error: stage <https://w3id.org/x>: http://h/x"
    )
    mask = load.Masker(["http://user:p%40ss-word@h/store", None])
    assert mask("raw p@ss-word, encoded p%40ss-word") == "raw ***, encoded ***"


def test_cli_defaults_are_the_librarys() -> None:
    from alliance_kg.cli import build_parser

    args = build_parser("load").parse_args(["load", "--endpoint", "http://h/store"])
    assert (args.timeout, args.deadline, args.retries) == (
        load.DEFAULT_TIMEOUT,
        load.DEFAULT_DEADLINE,
        load.DEFAULT_RETRIES,
    )
