"""Result.serialize(), the command line's output, against what the engine itself writes.

The command line writes every query result through ``alliance_kg.query(...).serialize(fmt)``; a Result
holds its solutions read in full, and SPARQL CSV, TSV, JSON and XML are written by Oxigraph from them. The
oracle here is Oxigraph serialising its own lazy result of the same query (never our code): every
catalogue query in every results format, and (hypothesis) solutions of every kind of RDF term — IRIs,
blank nodes, literals with language tags, text direction, datatypes, Unicode, triple terms, unbound
values.
"""

from __future__ import annotations

import json
import sys

import pyoxigraph as ox
import pytest
from conftest import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_kg import api, catalogue, params, store
from alliance_kg.errors import UsageError
from alliance_kg.formats import RESULT_FORMATS

QUERIES = [q.name for q in catalogue.catalogue() if q.form in ("SELECT", "ASK")]
FORMATS = sorted(RESULT_FORMATS)


@pytest.fixture(scope="module")
def stores() -> dict[bool, ox.Store]:
    return {False: store.open_store(), True: store.open_store(reasoned=True)}


def test_the_collected_queries_are_not_empty() -> None:
    assert len(QUERIES) >= 25


def _engine_bytes(kg: ox.Store, named: catalogue.NamedQuery, fmt: str) -> bytes:
    result = store.run_query(kg, named.text, params.bind(named, {}, kg))  # the declared defaults
    assert not isinstance(result, ox.QueryTriples)
    data = result.serialize(format=RESULT_FORMATS[fmt])
    return data if data.endswith(b"\n") else data + b"\n"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", QUERIES)
def test_serialize_writes_what_oxigraph_writes(name: str, fmt: str, stores: dict[bool, ox.Store]) -> None:
    named = catalogue.find(name)
    kg = stores[named.reasoned]
    if named.text.lstrip().upper().startswith("SELECT *"):
        pytest.skip("SELECT * is reordered as the query reads (the engine sorts): tested apart")
    assert api.query(named, store=kg).serialize(fmt) == _engine_bytes(kg, named, fmt)


_IRI = st.from_regex(r"\Ahttps://example\.org/[a-z0-9/-]{0,12}(#[a-z0-9]{0,4})?\Z", fullmatch=True).map(
    ox.NamedNode
)
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_LANG = st.sampled_from(["en", "fr", "ja", "en-GB", "zh-Hant-TW"])
_DATATYPE = st.sampled_from(
    [
        "http://www.w3.org/2001/XMLSchema#integer",
        "http://www.w3.org/2001/XMLSchema#gYear",
        "http://www.w3.org/2001/XMLSchema#decimal",
        "http://www.w3.org/2001/XMLSchema#date",
        "https://example.org/datatype",
    ]
).map(ox.NamedNode)
_LITERAL = st.one_of(
    _TEXT.map(ox.Literal),
    st.builds(lambda v, lang: ox.Literal(v, language=lang), _TEXT, _LANG),
    st.builds(
        lambda v, lang, d: ox.Literal(v, language=lang, direction=d),
        _TEXT,
        _LANG,
        st.sampled_from([ox.BaseDirection.LTR, ox.BaseDirection.RTL]),
    ),
    st.builds(lambda v, dt: ox.Literal(v, datatype=dt), _TEXT, _DATATYPE),
)
_TRIPLE = st.builds(ox.Triple, _IRI, _IRI, st.one_of(_IRI, _LITERAL))
_TERM = st.one_of(_IRI, _LITERAL, _TRIPLE)
_ROWS = st.lists(st.tuples(*[st.one_of(st.none(), _TERM)] * 3), max_size=5)


def _sparql(term: ox.NamedNode | ox.Literal | ox.Triple | None) -> str:
    """A term in SPARQL syntax, as Oxigraph writes it (N-Triples), a triple term as SPARQL 1.2 does."""
    if term is None:
        return "UNDEF"
    if isinstance(term, ox.Triple):
        return f"<<( {_sparql(term.subject)} {_sparql(term.predicate)} {_sparql(term.object)} )>>"
    return str(term)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_ROWS)
def test_every_kind_of_term_is_written_as_oxigraph_writes_it(
    rows: list[tuple[ox.Literal | None, ...]],
) -> None:
    # the oracle: Oxigraph's own serialisation of its own lazy result of a VALUES query of these terms;
    # compared with what Result.serialize writes from the same solutions read in full
    values = " ".join("(" + " ".join(_sparql(t) for t in row) + ")" for row in rows)
    text = f"SELECT ?a ?b ?c WHERE {{ VALUES (?a ?b ?c) {{ {values} }} }}"
    kg = ox.Store()
    read = [{v: row[v] for v in "abc" if row[v] is not None} for row in kg.query(text)]
    result = api.Result("SELECT", ("a", "b", "c"), rows=read)
    for fmt in FORMATS:
        engine = kg.query(text)
        assert isinstance(engine, ox.QuerySolutions)
        expected = engine.serialize(format=RESULT_FORMATS[fmt])
        assert result.serialize(fmt) == (expected if expected.endswith(b"\n") else expected + b"\n"), fmt


def test_blank_nodes_are_written_as_oxigraph_writes_them() -> None:
    kg = ox.Store()
    kg.add(ox.Quad(ox.BlankNode("b1"), ox.NamedNode("https://example.org/p"), ox.BlankNode("b2")))
    text = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    read = [{v: row[v] for v in ("s", "o")} for row in kg.query(text)]
    result = api.Result("SELECT", ("s", "o"), rows=read)
    for fmt in FORMATS:
        engine = kg.query(text)
        assert isinstance(engine, ox.QuerySolutions)
        expected = engine.serialize(format=RESULT_FORMATS[fmt])
        assert result.serialize(fmt).rstrip(b"\n") == expected.rstrip(b"\n"), fmt


def test_select_star_keeps_the_query_order_in_every_format(stores: dict[bool, ox.Store]) -> None:
    text = "SELECT * WHERE { ?model akg:builtOnPlatform ?platform ; akg:brand ?brand } ORDER BY ?model"
    result = api.query(text, store=stores[False])
    assert result.variables == ("model", "platform", "brand")
    assert result.serialize("csv").splitlines()[0] == b"model,platform,brand"
    assert json.loads(result.serialize("json"))["head"]["vars"] == ["model", "platform", "brand"]


def test_ask_and_graph_results(stores: dict[bool, ox.Store]) -> None:
    ask = api.query(
        "ASK { vehicle:nissan-micra akg:builtOnPlatform platform:ampr-small }", store=stores[False]
    )
    assert ask.serialize() == b"true\n" and ask.serialize("table") == b"true\n"
    assert json.loads(ask.serialize("json")) == {"head": {}, "boolean": True}
    assert ask.serialize("xml").endswith(b"</sparql>\n")
    graph = api.query("build-org-chart", store=stores[False])
    assert graph.serialize().startswith(b"@prefix ")  # Turtle by default
    assert graph.serialize("TTL") == graph.serialize("turtle") == graph.serialize("table")
    with pytest.raises(UsageError, match="a CONSTRUCT or DESCRIBE result is a graph"):
        graph.serialize("csv")
    with pytest.raises(UsageError, match="is for CONSTRUCT or DESCRIBE queries"):
        ask.serialize("nt")
    with pytest.raises(UsageError, match="did you mean 'json'"):
        ask.serialize("jsn")


def test_an_empty_result_notes_the_terms_only_the_closure_has(stores: dict[bool, ox.Store]) -> None:
    plain = api.query("SELECT ?car WHERE { ?car a schema:Car }", store=stores[False])
    assert plain.empty and plain.notes == (
        "no results; schema:Car appears only in the OWL 2 RL closure: add --reasoned",
    )
    reasoned = api.query("SELECT ?car WHERE { ?car a schema:Car }", store=stores[True])
    assert not reasoned.empty and reasoned.notes == ()
    unknown = api.query("SELECT ?x WHERE { ?x a akg:NoSuchClass }", store=stores[False])
    assert unknown.empty and unknown.notes == ()  # empty, but no closure would help


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["query", "find-model-platform", "--param", "model=Nissan Micra", "-f", fmt], id=fmt)
        for fmt in ["csv", "tsv", "json", "xml", "table", "md"]
    ]
    + [pytest.param(["query", "build-org-chart", "-f", "nt"], id="construct-nt")],
)
def test_cli_uses_the_api(capsysbinary: pytest.CaptureFixture[bytes], argv: list[str]) -> None:
    code, out, err = run(capsysbinary, *argv)
    assert code == 0, err
    fmt = argv[-1]
    bound = {"model": "Nissan Micra"} if "--param" in argv else None
    assert out == api.query(argv[1], bound).serialize(fmt).decode("utf-8")


def test_describe_and_stats_of_the_api_are_the_command_line_s(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    from alliance_kg import describe, stats

    code, out, _ = run(capsysbinary, "describe", "Nissan Micra")
    assert code == 0
    assert out == describe.render(api.describe("Nissan Micra"))
    code, out, _ = run(capsysbinary, "stats")
    assert code == 0
    assert out == stats.render(api.stats())


def test_export_void_is_the_command_line_s(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, _ = run(capsysbinary, "export", "--void", "--format", "nt")
    assert code == 0
    assert out == api.export("NT", void=True).decode("utf-8")
    with pytest.raises(UsageError, match="--void writes one graph"):
        api.export("trig", void=True)


def test_the_cli_module_calls_the_api_not_the_engine() -> None:
    # the thin layer: the subcommands that query, validate, reason, describe, count and export go through
    # alliance_kg.api; none reaches for the engine, the serialisers or the validator directly
    import ast
    from pathlib import Path

    import alliance_kg.cli as cli

    tree = ast.parse(Path(cli.__file__).read_text(encoding="utf-8"))
    direct = {"store", "formats", "reasoning", "graph", "void"}
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
        for alias in node.names
    } | {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is not None
    }
    assert "api" in imported
    assert not imported & direct, sorted(imported & direct)
    assert sys.modules["alliance_kg.cli"] is cli


@pytest.mark.parametrize(
    "name", [q.name for q in catalogue.catalogue() if q.form in ("CONSTRUCT", "DESCRIBE")]
)
def test_a_graph_result_declares_only_the_prefixes_it_uses(name: str, stores: dict[bool, ox.Store]) -> None:
    named = catalogue.find(name)
    result = api.query(named, store=stores[named.reasoned])
    text = result.serialize("turtle")
    lines = text.decode("utf-8").splitlines()
    declared = [line.split()[1] for line in lines if line.startswith("@prefix ")]
    body = "\n".join(line for line in lines if not line.startswith("@prefix "))
    assert declared and all(prefix in body for prefix in declared), declared
    assert len(declared) < 20  # not the project's forty-one
    parsed = ox.parse(text, format=ox.RdfFormat.TURTLE)
    assert {q.triple for q in parsed} == set(result.triples())  # the same graph
