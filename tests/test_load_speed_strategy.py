"""Which way `alliance-kg load` writes into which store (issue 14: a load within 2x a plain Graph Store PUT of
the same data, and as atomic as before), checked by what the store receives, not by timing:

- the Oxigraph server gets every graph in one SPARQL Update request, which it runs as one transaction: a
  marker graph first, then one update that drops the marker, drops the graphs it replaces and inserts every
  graph (no staging graph, no Graph Store request);
- with --batch-size, or when the one update would pass what the server takes (128 MiB), or when the server
  refuses it as malformed or too large (400, 413), the load is staged (Graph Store batches, then MOVE);
- Virtuoso, and every store that is not the Oxigraph server, is staged.

The text of the one update is checked on pyoxigraph (the same SPARQL parser as the server's): it means the
plan, blank nodes and literals of every kind included. The faults (kills at every point of each way) are in
tests/test_load_faults.py; the timings in bench/ (`python bench/bench_scale.py --only load`). Without the
programs the tests skip with the reason (fail under CI=true).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import require_program
from rdflib import Graph
from rdflib.compare import isomorphic
from stores import FaultProxy, OxigraphServer, Reader, Request, Server, VirtuosoServer

from alliance_kg import load
from alliance_kg.cli import main
from alliance_kg.load import plan as load_plan
from alliance_kg.load import run as load_run
from alliance_kg.load import staging

AUTH_VAR = "ALLIANCE_KG_TEST_STRATEGY_AUTH"
A, B = "https://example.org/strategy/a", "https://example.org/strategy/b"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


# --- the text of the one update -----------------------------------------------------------------------------


def _tricky() -> dict[str, list[ox.Triple]]:
    """Two graphs with what a writer can get wrong: literals of every kind, IRIs that Oxigraph's SPARQL parser
    refuses as prefixed names (``p:a.b.c``), an RDF list, and a blank node both graphs mention."""
    s, p = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
    shared, head, rest = ox.BlankNode("shared"), ox.BlankNode("l1"), ox.BlankNode("l2")
    objects: list[ox.NamedNode | ox.BlankNode | ox.Literal] = [
        ox.Literal('a "quoted" string\nover lines\twith a tab, a \\ and \u0001'),
        ox.Literal(""),
        ox.Literal("Ampère 🚗", language="fr"),
        ox.Literal("colour", language="en-GB"),
        ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("-7", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("1.50", datatype=ox.NamedNode(XSD + "decimal")),
        ox.Literal("1e3", datatype=ox.NamedNode(XSD + "double")),
        ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
        ox.Literal("2025-09-16", datatype=ox.NamedNode(XSD + "date")),
        ox.Literal("x", datatype=ox.NamedNode("https://example.org/a-datatype")),
        ox.NamedNode("https://example.org/ontology/0.1.0"),
        ox.NamedNode("urn:x:a.b.c"),
        ox.NamedNode("https://example.org/é?q=1#frag"),
        shared,
    ]
    first = ox.NamedNode(RDF + "first")
    a = [ox.Triple(s, p, o) for o in objects]
    a += [
        ox.Triple(shared, p, head),
        ox.Triple(head, first, ox.Literal("one")),
        ox.Triple(head, ox.NamedNode(RDF + "rest"), rest),
        ox.Triple(rest, first, ox.Literal("two")),
        ox.Triple(rest, ox.NamedNode(RDF + "rest"), ox.NamedNode(RDF + "nil")),
    ]
    b = [ox.Triple(shared, p, ox.Literal("in the other graph")), ox.Triple(s, p, s)]
    return {A: a, B: b}


def _canonical_nt(triples: list[ox.Triple]) -> bytes:
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return ox.serialize((q.triple for q in store), format=ox.RdfFormat.N_TRIPLES) or b""


def _by_graph(store: ox.Store) -> dict[str, list[ox.Triple]]:
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in store:
        assert isinstance(quad.graph_name, ox.NamedNode), quad
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    return graphs


def test_one_update_means_the_plan() -> None:
    """The one update, run by pyoxigraph, gives each graph the plan's triples (isomorphic), keeps a blank node
    that two graphs share as one node, writes no prefixed name, and drops what it is told to."""
    plan = _tricky()
    marker = staging.marker_graph(staging.new_run())
    text = load_plan.one_update(plan, drop=[A, "https://example.org/strategy/old"], marker=marker)
    assert text is not None
    assert not re.search(rb"^\s*(@?prefix|@?base)\b", text, re.I | re.M), "prefixes or a base in the text"
    kg = ox.Store()
    kg.update(staging.marker_text(marker, list(plan)))
    kg.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("old"), ox.NamedNode(A)))
    kg.update(text.decode("utf-8"))
    held = _by_graph(kg)
    assert set(held) == set(plan), held.keys()
    for graph, triples in plan.items():
        theirs = Graph().parse(data=_canonical_nt(held[graph]), format="nt")
        ours = Graph().parse(data=_canonical_nt(triples), format="nt")
        assert isomorphic(theirs, ours), graph
    blank = {t for q in kg for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    assert len(blank) == 3, "the blank node both graphs mention should be one node"
    with pytest.raises(RuntimeError, match="does not exist"):  # the marker is gone: the update fails
        kg.update(text.decode("utf-8"))


def test_one_update_stays_within_the_limit() -> None:
    plan = _tricky()
    text = load_plan.one_update(plan)
    assert text is not None
    assert load_plan.one_update(plan, limit=len(text)) == text
    assert load_plan.one_update(plan, limit=len(text) - 1) is None
    assert load_plan.ONE_UPDATE_LIMIT == 128 * 2**20  # the Oxigraph server's MAX_SPARQL_BODY_SIZE


def test_a_leftover_marker_says_what_it_is() -> None:
    run = staging.new_run()
    found = load.Staging(staging.marker_graph(run), 1)
    assert found.marker and found.run == run
    assert "the marker of a load started" in found.describe()
    assert not load.Staging(load.staging_graph(A, run), 3).marker


# --- what each store receives -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require_program("oxigraph", "the Oxigraph server (PyPI `oxigraph`) is a store to load into")
    started = OxigraphServer(tmp_path_factory.mktemp("oxigraph")).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "data.nt"
    path.write_text(
        "".join(
            f'<https://example.org/strategy/s{i // 10}> <https://example.org/strategy/p{i % 10}> "v{i}" .\n'
            for i in range(5_000)
        ),
        encoding="utf-8",
    )
    return path


def _writes_to_the_graph_store(request: Request) -> bool:
    return request.method in {"PUT", "POST"} and "graph" in request.params


def _updates(proxy: FaultProxy) -> list[str]:
    return [r.text for r in proxy.requests if r.path.endswith("/update")]


def _counts(server: Server, plan: dict[str, list[ox.Triple]]) -> dict[str, int]:
    reader = Reader(server)
    return {graph: reader.count(graph) for graph in plan}


def test_oxigraph_gets_every_graph_in_one_update(oxigraph, data_file, capsys) -> None:
    with FaultProxy(oxigraph) as proxy:
        code = main(["load", "--endpoint", proxy.url(oxigraph.graph_store), "--data", str(data_file)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "(SPARQL Update, replace, written in one update, one transaction)" in err, err
    assert "in one update request" in err and "staged" not in err, err
    assert not [r for r in proxy.requests if _writes_to_the_graph_store(r)], "a Graph Store write"
    writes = [text for text in _updates(proxy) if "INSERT" in text or "DROP" in text]
    assert len(writes) == 2, writes  # the marker, then the one update
    assert writes[0].startswith("INSERT DATA { GRAPH <" + load.STAGING_PREFIX), writes[0]
    assert writes[1].startswith("DROP GRAPH <" + load.STAGING_PREFIX), writes[1][:200]
    plan = load.graphs_to_load(extra=[data_file])
    assert _counts(oxigraph, plan) == {g: len(t) for g, t in plan.items()}
    assert Reader(oxigraph).graphs(load.STAGING_PREFIX) == {}


def test_batch_size_asks_for_staging(oxigraph, data_file, capsys) -> None:
    with FaultProxy(oxigraph) as proxy:
        code = main(
            [
                "load",
                "--endpoint",
                proxy.url(oxigraph.graph_store),
                "--data",
                str(data_file),
                "--batch-size",
                "2000",
            ]
        )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "(Graph Store Protocol, replace, staged, then published in one update)" in err, err
    staged = [r for r in proxy.requests if _writes_to_the_graph_store(r)]
    assert staged and all(r.params["graph"].startswith(load.STAGING_PREFIX) for r in staged)
    assert any(re.search(r"\bMOVE <" + re.escape(load.STAGING_PREFIX), t) for t in _updates(proxy))
    assert Reader(oxigraph).graphs(load.STAGING_PREFIX) == {}


def test_too_much_for_one_update_is_staged(oxigraph, data_file, monkeypatch) -> None:
    monkeypatch.setattr(load_run, "ONE_UPDATE_LIMIT", 100_000)
    lines: list[str] = []
    report = load.load(oxigraph.graph_store, extra=[data_file], progress=lines.append)
    assert report.verified and report.staged and not report.one_update
    assert any("more than the store takes in one update request" in line for line in lines), lines
    assert Reader(oxigraph).graphs(load.STAGING_PREFIX) == {}


def test_a_refused_one_update_is_staged(oxigraph, data_file, monkeypatch) -> None:
    """The server refuses the one update as malformed (400), having applied nothing: the load removes its
    marker and stages instead."""
    monkeypatch.setattr(load_run, "one_update_parts", lambda plan, **options: [b"INSERT DATA { not SPARQL }"])
    lines: list[str] = []
    report = load.load(oxigraph.graph_store, extra=[data_file], progress=lines.append)
    assert report.verified and report.staged and not report.one_update
    assert any("the store refused the one update" in line and "400" in line for line in lines), lines
    assert Reader(oxigraph).graphs(load.STAGING_PREFIX) == {}


def test_a_read_only_oxigraph_refuses_the_marker(capsys, tmp_path: Path) -> None:
    """A refusal that is not about the text (403) is not a reason to stage: the load fails with the store's
    message, exit code 3."""
    program = require_program("oxigraph", "the Oxigraph server (PyPI `oxigraph`) is a store to load into")
    import subprocess

    from alliance_kg import paths

    subprocess.run(
        [program, "load", "--location", str(tmp_path / "db"), "--file", str(paths.ontology_file())],
        check=True,
        capture_output=True,
    )
    read_only = OxigraphServer(tmp_path, read_only=True).start()
    try:
        code = main(["load", "--endpoint", read_only.graph_store, "--retries", "0"])
    finally:
        read_only.stop()
    err = capsys.readouterr().err
    assert code == 3, err
    assert "write the load's marker" in err and "The server is read-only" in err, err
    assert "staging" not in err, err


def test_virtuoso_is_staged(tmp_path: Path, data_file, capsys, monkeypatch) -> None:
    require_program(
        "virtuoso-t", "Virtuoso Open Source (Debian `virtuoso-opensource`) is a store to load into"
    )
    virtuoso = VirtuosoServer(tmp_path).start()
    try:
        assert virtuoso.credentials and virtuoso.auth
        monkeypatch.setenv(AUTH_VAR, virtuoso.credentials)
        argv = ["load", "--endpoint", virtuoso.graph_store, "--auth", virtuoso.auth, "--auth-env", AUTH_VAR]
        code = main([*argv, "--data", str(data_file)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert "(Graph Store Protocol, replace, staged, then published in one update)" in err, err
        plan = load.graphs_to_load(extra=[data_file])
        assert _counts(virtuoso, plan) == {g: len(t) for g, t in plan.items()}
    finally:
        virtuoso.stop()
