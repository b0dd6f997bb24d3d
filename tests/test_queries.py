"""Every competency query gives its expected answer (tests/expected/), on Oxigraph (the CLI's engine) and
on rdflib alike; every consistency check returns no rows on the graph, and the rows it must return on a
broken fixture graph."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from alliance_kg import catalogue, store
from alliance_kg.catalogue import NamedQuery
from alliance_kg.namespaces import PREFIXES
from alliance_kg.params import bind

EXPECTED = Path(__file__).parent / "expected"
FIXTURES = Path(__file__).parent / "fixtures" / "checks"
QUERIES = catalogue.catalogue()
CHECKS = catalogue.catalogue(checks=True)


@pytest.fixture(scope="module")
def asserted_store() -> ox.Store:
    return store.open_store()


@pytest.fixture(scope="module")
def reasoned_store(reasoned: Graph) -> ox.Store:
    kg = ox.Store()
    kg.load(reasoned.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return kg


def _store_for(query: NamedQuery, request: pytest.FixtureRequest) -> ox.Store:
    return request.getfixturevalue("reasoned_store" if query.reasoned else "asserted_store")


def _term(t: object) -> str:
    """One spelling for a term from either engine: N-Triples, with xsd:string literals written plain."""
    if t is None:
        return "UNBOUND"
    text = str(t) if isinstance(t, (ox.NamedNode, ox.Literal, ox.BlankNode)) else t.n3()  # else rdflib
    return text.removesuffix("^^<http://www.w3.org/2001/XMLSchema#string>")


def _ordered(query: NamedQuery) -> bool:
    return re.search(r"\bORDER\s+BY\b", query.text, re.I) is not None


def _oxigraph_rows(query: NamedQuery, kg: ox.Store) -> tuple[list[str], list[tuple[str, ...]]]:
    result = store.run_query(kg, query.text, bind(query, {}, kg))
    variables = [v.value for v in result.variables]
    return variables, [tuple(_term(row[v]) for v in variables) for row in result]


def _compare_rows(
    expected: list[tuple[str, ...]], actual: list[tuple[str, ...]], ordered: bool, what: str
) -> None:
    if ordered:
        assert actual == expected, f"{what}: rows differ (ordered)\nexpected: {expected}\nactual:   {actual}"
    else:
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        assert sorted(actual) == sorted(expected), f"{what}: missing rows {missing}; unexpected rows {extra}"


def test_there_are_enough_queries_and_checks() -> None:
    assert len(QUERIES) >= 20, [q.name for q in QUERIES]
    # the checks a SHACL shape expresses are gone (the shapes run them in `alliance-kg validate`); these are
    # the rules SHACL cannot express (tests/test_shacl_engine.py runs them inside validate)
    assert len(CHECKS) >= 4, [q.name for q in CHECKS]
    forms = {q.form for q in QUERIES}
    assert {"SELECT", "ASK", "CONSTRUCT"} <= forms
    assert sum(1 for q in QUERIES if q.params) >= 3


@pytest.mark.parametrize("query", [pytest.param(q, id=q.name) for q in QUERIES])
def test_query_header(query: NamedQuery) -> None:
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", query.name), f"{query.name}: name is not verb-noun"
    assert query.title and query.title != query.name, f"{query.name}: no '# title:'"
    assert query.question.endswith("?"), f"{query.name}: '# question:' must be a question"
    assert "# params:" in query.text, f"{query.name}: no '# params:' line"


@pytest.mark.parametrize("query", [pytest.param(q, id=q.name) for q in QUERIES])
def test_query_answer_is_the_expected_one(query: NamedQuery, request: pytest.FixtureRequest) -> None:
    kg = _store_for(query, request)
    if query.form == "CONSTRUCT":
        expected = Graph().parse(EXPECTED / f"{query.name}.nt", format="nt")
        result = store.run_query(kg, query.text, bind(query, {}, kg))
        actual = Graph().parse(data=ox.serialize(list(result), format=ox.RdfFormat.N_TRIPLES), format="nt")
        assert len(actual) > 0, f"{query.name}: empty graph"
        if not isomorphic(expected, actual):
            _, only_expected, only_actual = graph_diff(to_isomorphic(expected), to_isomorphic(actual))
            pytest.fail(
                f"{query.name}: graphs differ\nonly expected:\n{only_expected.serialize(format='nt')}"
                f"\nonly actual:\n{only_actual.serialize(format='nt')}"
            )
        return
    parsed = ox.parse_query_results(
        path=str(EXPECTED / f"{query.name}.srj"), format=ox.QueryResultsFormat.JSON
    )
    if query.form == "ASK":
        actual = bool(store.run_query(kg, query.text, bind(query, {}, kg)))
        assert actual == bool(parsed), f"{query.name}: ASK gave {actual}"
        return
    variables = [v.value for v in parsed.variables]
    expected_rows = [tuple(_term(row[v]) for v in variables) for row in parsed]
    actual_vars, actual_rows = _oxigraph_rows(query, kg)
    assert actual_vars == variables, f"{query.name}: columns {actual_vars}, expected {variables}"
    assert expected_rows, f"{query.name}: the expected answer is empty; a question must have an answer"
    _compare_rows(expected_rows, actual_rows, _ordered(query), query.name)


def _rdflib_term(term: ox.NamedNode | ox.Literal) -> URIRef | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


@pytest.mark.parametrize("query", [pytest.param(q, id=q.name) for q in QUERIES])
def test_rdflib_and_oxigraph_agree(query: NamedQuery, request: pytest.FixtureRequest) -> None:
    kg = _store_for(query, request)
    graph: Graph = request.getfixturevalue("reasoned" if query.reasoned else "graph")
    bindings = bind(query, {}, kg)
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    answer = graph.query(
        prologue + query.text, initBindings={k: _rdflib_term(v) for k, v in bindings.items()}
    )
    result = store.run_query(kg, query.text, bindings)
    if query.form == "ASK":
        assert answer.askAnswer == bool(result), query.name
    elif query.form == "CONSTRUCT":
        theirs = Graph()
        for triple in answer:
            theirs.add(triple)
        ours = Graph().parse(data=ox.serialize(list(result), format=ox.RdfFormat.N_TRIPLES), format="nt")
        assert isomorphic(theirs, ours), f"{query.name}: the engines build different graphs"
    else:
        variables = [v.value for v in result.variables]
        ours = [tuple(_term(row[v]) for v in variables) for row in result]
        theirs = [tuple(_term(row[v]) for v in variables) for row in answer]
        _compare_rows(ours, theirs, _ordered(query), f"{query.name} (rdflib vs Oxigraph)")


@pytest.mark.parametrize("check", [pytest.param(c, id=c.name) for c in CHECKS])
def test_check_passes_on_the_graph(check: NamedQuery, asserted_store: ox.Store) -> None:
    assert check.name.endswith("-violation"), check.name
    rows = list(store.run_query(asserted_store, check.text))
    assert not rows, f"{check.name} found violations:\n" + "\n".join(map(str, rows))


def test_every_broken_fixture_has_its_check() -> None:
    """A fixture whose check is gone tests nothing: it goes with its check."""
    names = {c.name for c in CHECKS}
    orphans = sorted(f.name for f in FIXTURES.glob("*.ttl") if f.stem not in names)
    assert not orphans, f"fixtures without a check in queries/checks/: {orphans}"


@pytest.mark.parametrize("check", [pytest.param(c, id=c.name) for c in CHECKS])
def test_check_catches_its_broken_fixture(check: NamedQuery) -> None:
    fixture = FIXTURES / f"{check.name}.ttl"
    assert fixture.is_file(), f"no broken fixture for {check.name}"
    expected = re.findall(r"^# expect: <([^>]+)>", fixture.read_text(encoding="utf-8"), re.M)
    assert expected, f"{fixture.name}: no '# expect: <IRI>' line"
    kg = store.open_store(extra=[fixture])
    found = {t.value for row in store.run_query(kg, check.text) for t in row if isinstance(t, ox.NamedNode)}
    assert set(expected) <= found, (
        f"{check.name}: expected {expected} among the violations, got {sorted(found)}"
    )
