"""The SHACL engine on Oxigraph (alliance_kg.shacl) gives pySHACL's results, pySHACL being the reference.

- every shape fixture (tests/fixtures/shapes/, broken and conforming, added to the bundled graph): the same
  results — focus node, path, value, severity, source shape, component, source constraint, message — and an
  isomorphic sh:ValidationReport graph;
- the bundled graph conforms with both engines; so does bench/generate.py's synthetic data;
- random mutations of the bundled graph (triples deleted, duplicated, moved, changed; literals given other
  datatypes, lexical forms and language tags; resources given other classes) give the same results;
- the pieces the engine relies on: which literals the store keeps as written, the conditions that spare a
  value the Python test, the regular expressions both engines read alike, the SPARQL constraints that may be
  evaluated once with ``$this`` unbound, the shapes left to pySHACL;
- the consistency checks of queries/checks/ that SHACL cannot express run inside ``validate``; those a shape
  expresses are gone, and their broken data is reported by the shape.

Jena's agreement with the engine is tests/test_shacl_jena.py's (through the ``shacl_report`` fixture).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, XSD

from alliance_kg import paths, shacl
from alliance_kg.graph import parse_turtle
from alliance_kg.shacl import terms, values
from alliance_kg.shacl.sparqltext import analyse
from alliance_kg.shacl.terms import TermMapper
from alliance_kg.validate import (
    CHECKS_BASE,
    Report,
    Result,
    shapes_graph,
    validate,
    validate_graph,
    validation_checks,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
CASES = sorted(FIXTURES.glob("*.ttl")) + sorted((FIXTURES / "conforming").glob("*.ttl"))
CHECK_FIXTURES = Path(__file__).parent / "fixtures" / "checks"
AKG = "https://w3id.org/alliance-kg/ontology#"
ID = "https://w3id.org/alliance-kg/id/"
SH = "http://www.w3.org/ns/shacl#"
PREFIXES = """@prefix akg: <https://w3id.org/alliance-kg/ontology#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
"""
#: rdflib warns when it builds a literal it cannot convert (the tests make such literals on purpose)
quiet = pytest.mark.filterwarnings("ignore::UserWarning:rdflib.term")
MUTATIONS = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def key(r: Result) -> tuple[str, ...]:
    """A result as both engines must give it (every field; the label is the focus node's, either way)."""
    return (
        r.severity,
        r.focus,
        r.focus_label,
        r.path or "",
        r.value if r.value is not None else "<none>",
        r.value_datatype or "",
        r.shape,
        r.component,
        r.constraint or "",
        r.message,
    )


def results(report: Report) -> Counter[tuple[str, ...]]:
    return Counter(key(r) for r in report.results)


def assert_same(ours: Report, theirs: Report, what: str) -> None:
    only_ours = results(ours) - results(theirs)
    only_theirs = results(theirs) - results(ours)
    assert not only_ours and not only_theirs, (
        f"{what}: the engines differ\nonly the Oxigraph engine: {sorted(only_ours)}\n"
        f"only pySHACL: {sorted(only_theirs)}"
    )


def with_additions(graph: Graph, *turtle: Path | str) -> Graph:
    data = Graph()
    data += graph
    for item in turtle:
        if isinstance(item, Path):
            parse_turtle(item, into=data)
        else:
            data.parse(data=item, format="turtle")
    return data


def both(data: Graph, shapes: Graph | None = None) -> tuple[Report, Report]:
    """The report of each engine on (a copy of) ``data``, every severity."""
    ours = validate_graph(data, shapes, threshold="info")
    copy = Graph()
    copy += data
    theirs = validate_graph(copy, shapes, threshold="info", inplace=True, engine="pyshacl")
    return ours, theirs


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return shapes_graph()


# --- every fixture ----------------------------------------------------------------------------------------


def test_there_are_fixtures() -> None:
    assert len(CASES) > 150
    assert any(p.parent.name == "conforming" for p in CASES)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in CASES])
def test_the_engine_gives_pyshacls_results(path: Path, graph: Graph, shapes: Graph, shacl_report) -> None:
    ours = shacl_report(path)  # conftest: validate_graph, the Oxigraph engine (shared with the other tests)
    data = with_additions(graph, path)
    theirs = validate_graph(data, shapes, threshold="info", inplace=True, engine="pyshacl")
    if path.parent.name == "conforming":
        assert not theirs.results and not ours.results
    else:
        assert theirs.results, f"{path.name}: pySHACL finds nothing: the comparison would be empty"
    assert_same(ours, theirs, path.name)
    assert ours.graph is not None and theirs.graph is not None
    if not isomorphic(ours.graph, theirs.graph):
        _, only_ours, only_theirs = graph_diff(to_isomorphic(ours.graph), to_isomorphic(theirs.graph))
        pytest.fail(
            f"{path.name}: the report graphs differ\nonly ours:\n{only_ours.serialize(format='nt')}\n"
            f"only pySHACL's:\n{only_theirs.serialize(format='nt')}"
        )


def test_no_shape_of_the_shapes_graph_is_left_to_pyshacl() -> None:
    mapper = TermMapper()
    store = shacl.load_store([paths.ontology_file(), *paths.graph_files()], mapper)
    validation = shacl.validate(store, shacl.read_shapes(paths.shapes_file()), mapper)
    assert validation.fallback == {}
    assert validation.hits == []
    assert validation.queries > 50  # the star passes: about two queries per node shape, plus SHACL-SPARQL


def test_the_bundled_graph_conforms_with_both_engines() -> None:
    for engine in ("oxigraph", "pyshacl"):
        report = validate(threshold="info", engine=engine)
        assert report.conforms and report.results == [], (engine, report.results[:5])


def test_reasoned_validation_agrees(tmp_path: Path) -> None:
    twingo = tmp_path / "twingo.ttl"
    twingo.write_text(
        f"<{ID}vehicle/renault-twingo> <{AKG}builtOnPlatform> <{ID}platform/ampr-small> .\n", encoding="utf-8"
    )
    ours = validate([twingo], reasoned=True, threshold="info")
    theirs = validate([twingo], reasoned=True, threshold="info", engine="pyshacl")
    assert any(r.shape.endswith("#VehicleModelShape-plant") for r in ours.results)
    assert_same(ours, theirs, "--reasoned")


# --- synthetic data ------------------------------------------------------------------------------------


def _generator():
    path = ROOT / "bench" / "generate.py"
    if not path.is_file():
        pytest.skip("bench/generate.py is not there")
    spec = importlib.util.spec_from_file_location("bench_generate_for_shacl", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_synthetic_10k_conforms_with_both_engines(tmp_path: Path) -> None:
    synthetic = tmp_path / "synthetic-10k.nt"
    synthetic.write_bytes(_generator().generate(10_000, seed=0))
    for engine in ("oxigraph", "pyshacl"):
        report = validate([synthetic], threshold="info", engine=engine)
        assert report.results == [], (engine, report.results[:5])


# --- random mutations of the bundled graph -------------------------------------------------------------

_DATATYPES = [XSD.string, XSD.integer, XSD.decimal, XSD.date, XSD.gYear, XSD.gYearMonth, XSD.boolean, None]
_LEXICAL = [
    "", "0", "01", "+5", "-1", "1.50", "550000000.0", "1e3", "1_000", "abc", "TRUE", "1",
    "2025", "02025", "2025-13", "2025-02-30", "2025-09-16Z", "2025-09-16T10:00:00", "２０２５", "2025\n",
    "x" * 70, "https://w3id.org/alliance-kg/id/plant/x", "late 2025",
]  # fmt: skip
_LANGUAGES = ["en", "fr", "ja", "de", "en-GB", "EN"]


@pytest.fixture(scope="module")
def instance_triples(graph: Graph) -> list[tuple[URIRef, URIRef, object]]:
    """The triples about resources of the data (not the ontology), in a fixed order."""
    return sorted(
        ((s, p, o) for s, p, o in graph if isinstance(s, URIRef) and s.startswith(ID)),
        key=lambda t: (str(t[0]), str(t[1]), type(t[2]).__name__, str(t[2])),
    )


@pytest.fixture(scope="module")
def classes(graph: Graph) -> list[URIRef]:
    return sorted(
        {c for c in graph.objects(None, RDF.type) if isinstance(c, URIRef) and c.startswith(AKG)}, key=str
    )


mutation = st.tuples(
    st.sampled_from(["delete", "duplicate", "object", "subject", "datatype", "lexical", "language", "type"]),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
)


def mutate(
    graph: Graph, triples: list, classes: list[URIRef], steps: list[tuple[str, int, int, int]]
) -> Graph:
    data = Graph()
    data += graph
    for kind, i, j, k in steps:
        s, p, o = triples[i % len(triples)]
        other = triples[j % len(triples)]
        if kind == "delete":
            data.remove((s, p, o))
        elif kind == "duplicate":
            data.add((s, p, other[2]))
        elif kind == "object":
            data.remove((s, p, o))
            data.add((s, p, other[2]))
        elif kind == "subject":
            data.remove((s, p, o))
            data.add((other[0], p, o))
        elif kind == "datatype":
            datatype = _DATATYPES[k % len(_DATATYPES)]
            data.remove((s, p, o))
            data.add((s, p, Literal(str(o), datatype=datatype) if datatype else Literal(str(o), lang="en")))
        elif kind == "lexical":
            lexical = _LEXICAL[k % len(_LEXICAL)]
            datatype = o.datatype if isinstance(o, Literal) and o.datatype else _DATATYPES[k % 7]
            data.remove((s, p, o))
            data.add((s, p, Literal(lexical, datatype=datatype)))
        elif kind == "language":
            data.remove((s, p, o))
            data.add((s, p, Literal(str(o), lang=_LANGUAGES[k % len(_LANGUAGES)])))
        else:
            data.add((s, RDF.type, classes[k % len(classes)]))
    return data


@quiet
@pytest.mark.slow  # pySHACL validates the bundled graph 50 times: about a minute and a half
@pytest.mark.parametrize("_", [None])  # module-scoped fixtures with hypothesis
def test_mutations_of_the_bundled_graph_give_the_same_results(
    graph: Graph, shapes: Graph, instance_triples: list, classes: list[URIRef], _: None
) -> None:
    seen = {"with results": 0}

    @MUTATIONS
    @given(st.lists(mutation, min_size=1, max_size=4))
    def check(steps: list[tuple[str, int, int, int]]) -> None:
        ours, theirs = both(mutate(graph, instance_triples, classes, steps), shapes)
        assert_same(ours, theirs, f"mutations {steps}")
        seen["with results"] += bool(theirs.results)

    check()
    assert seen["with results"] >= 25, seen  # most mutations break a rule: the comparison is not vacuous


# --- values: what the store keeps, what a sure condition accepts, what pySHACL decides ------------------


@quiet
@settings(max_examples=1000, deadline=None, database=None)
@given(
    st.sampled_from(sorted(terms._UNCHANGED)),
    st.one_of(
        st.from_regex(r"[+-]?[0-9]{1,12}(\.[0-9]{0,9})?", fullmatch=True),
        st.from_regex(r"-?[0-9]{4}(-[0-9]{2}){0,2}", fullmatch=True),
        st.text(max_size=12),
    ),
)
def test_the_fast_path_keeps_only_what_both_libraries_keep(datatype: str, lexical: str) -> None:
    """A literal the fast path passes as it is is what rdflib makes of it and what the store gives back."""
    if not terms.unchanged_by_fast_path(lexical, datatype):
        return
    with values.quiet_rdflib():
        assert str(Literal(lexical, datatype=URIRef(datatype))) == lexical
    literal = ox.Literal(lexical, datatype=ox.NamedNode(datatype))
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), literal))
    assert next(iter(store)).object == literal


@quiet
def test_an_rdflib_literal_known_ill_typed_stays_ill_typed(graph: Graph) -> None:
    """rdflib writes ``"TRUE"^^xsd:boolean`` as ``"true"`` and flags it ill-typed; so does the engine."""
    data = with_additions(graph)
    newly = URIRef(AKG + "isNewlyAppointed")
    # a tenure without the property: on the one that has "true", rdflib's "true" would be the same term
    tenure = min(t for t in data.subjects(RDF.type, URIRef(AKG + "Tenure")) if (t, newly, None) not in data)
    data.add((tenure, newly, Literal("TRUE", datatype=XSD.boolean)))
    ours, theirs = both(data)
    assert (SH + "DatatypeConstraintComponent", "true") in [(r.component, r.value) for r in theirs.results]
    assert_same(ours, theirs, "an ill-typed boolean")


@quiet
def test_literals_the_store_would_change_are_kept_as_written() -> None:
    mapper = TermMapper()
    for lexical, datatype, stored in [
        ("550000000.0", "decimal", "550000000.0"),  # the store would say "550000000"
        ("1", "byte", "1"),  # the store would say "1"^^xsd:integer
        ("01", "integer", "1"),  # rdflib normalises it, and pySHACL reports "1"
        ("2025-09-16Z", "date", "2025-09-16"),  # rdflib drops the time zone of a date
        ("TRUE", "boolean", "true"),  # rdflib normalises it but keeps it ill-typed
    ]:
        literal = mapper.literal(ox.Literal(lexical, datatype=ox.NamedNode(terms.XSD + datatype)))
        store = ox.Store()
        store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), literal))
        stored_object = next(iter(store)).object
        assert isinstance(stored_object, ox.Literal)
        back = terms.decode(stored_object)
        assert isinstance(back, ox.Literal)
        assert (back.value, back.datatype.value) == (stored, terms.XSD + datatype), lexical
    assert terms.known_ill_typed(
        mapper.literal(ox.Literal("TRUE", datatype=ox.NamedNode(terms.XSD + "boolean")))
    )


value_literals = st.tuples(
    st.one_of(st.sampled_from(_LEXICAL), st.from_regex(r"[+-]?[0-9]{1,4}(\.[0-9]{0,3})?", fullmatch=True)),
    st.sampled_from(
        [
            XSD.integer,
            XSD.decimal,
            XSD.date,
            XSD.gYear,
            XSD.gYearMonth,
            XSD.boolean,
            XSD.double,
            XSD.byte,
            None,
        ]
    ),
)


@quiet
@settings(max_examples=25, deadline=None, database=None)
@given(st.lists(value_literals, min_size=1, max_size=30))
def test_value_tests_decide_as_pyshacl_does(literals: list[tuple[str, URIRef | None]]) -> None:
    """sh:datatype, sh:minInclusive/minExclusive/maxInclusive/maxExclusive and sh:pattern on generated
    literals (ill-typed, non-canonical, of other datatypes …): the sure SPARQL conditions and the Python
    tests give pySHACL's results."""
    shapes = Graph().parse(
        data=PREFIXES
        + """
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property ex:P1 , ex:P2 , ex:P3 , ex:P4 , ex:P5 , ex:P6 .
        ex:P1 sh:path ex:v ; sh:datatype xsd:integer ; sh:message "datatype integer" .
        ex:P2 sh:path ex:v ; sh:datatype xsd:date ; sh:message "datatype date" .
        ex:P3 sh:path ex:v ; sh:minInclusive 0 ; sh:maxExclusive 100 ; sh:message "range" .
        ex:P4 sh:path ex:v ; sh:minExclusive 0.5 ; sh:maxInclusive "2025-12-31"^^xsd:date ;
            sh:message "range 2" .
        ex:P5 sh:path ex:v ; sh:pattern "^(189[0-9]|19[0-9]{2}|20[0-9]{2}|2100)(-|$)" ; sh:message "pattern" .
        ex:P6 sh:path ex:v ; sh:or ( [ sh:datatype xsd:gYear ] [ sh:datatype xsd:gYearMonth ] ) ;
            sh:message "or" .
        """,
        format="turtle",
    )
    data = Graph()
    for i, (lexical, datatype) in enumerate(literals):
        node = URIRef(f"http://example.org/n{i}")
        data.add((node, RDF.type, URIRef("http://example.org/C")))
        data.add((node, URIRef("http://example.org/v"), Literal(lexical, datatype=datatype)))
    ours, theirs = both(data, shapes)
    assert_same(ours, theirs, f"values {literals}")


_PATTERNS = sorted(
    {str(o) for o in Graph().parse(ROOT / "ontology" / "shapes.ttl").objects(None, URIRef(SH + "pattern"))}
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.sampled_from(_PATTERNS),
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
        st.sampled_from(["https://w3id.org/alliance-kg/id/plant/ampere-douai", "2025", "2025-09", "2100-"]),
    ),
)
def test_portable_patterns_match_alike_in_oxigraph_and_python(pattern: str, text: str) -> None:
    """The shapes' patterns are portable, and on printable ASCII Oxigraph's REGEX is Python's re.search."""
    assert values.portable_pattern(pattern), pattern
    store = ox.Store()
    literal = ox.Literal(text)
    result = store.query(f"ASK {{ FILTER(REGEX({literal}, {terms.sparql(ox.Literal(pattern))})) }}")
    assert bool(result) == (re.search(pattern, text) is not None), (pattern, text)


def test_patterns_outside_the_portable_syntax_are_left_to_python() -> None:
    for pattern in [r"(?=x)", r"[[:alpha:]]", r"a*+", r"\bx", "é", r"[a&&b]", r"\p{L}"]:
        assert not values.portable_pattern(pattern), pattern


# --- SHACL-SPARQL: once over the graph, or once per focus node ------------------------------------------


def test_every_sparql_constraint_of_the_shapes_runs_once() -> None:
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    selects = list(shapes.subject_objects(URIRef(SH + "select")))
    assert len(selects) >= 18
    prefixes = {"akg": AKG, "rdf": str(RDF), "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": str(XSD)}
    prefixes |= {"role": ID + "role/", "powertrain": ID + "powertrain/"}
    for constraint, select in selects:
        analysis = analyse(str(select).replace("$PATH", f"<{AKG}x>"), prefixes)
        assert analysis.join_safe, (constraint, analysis.why)
        assert analysis.projection[:2] == ["this", "value"], constraint


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("SELECT $this WHERE { FILTER NOT EXISTS { $this akg:name ?n } }", "does not bind"),
        (
            "SELECT $this WHERE { $this akg:p ?x OPTIONAL { ?x akg:q ?y FILTER(?y != $this) } }",
            "does not bind",
        ),
        ("SELECT $this WHERE { BIND($this AS ?v) $this akg:p ?o }", "before"),
        ("SELECT $this WHERE { { $this akg:p ?v } UNION { ?v akg:q ?w } }", "binds"),
        ("SELECT $this (COUNT(?v) AS ?n) WHERE { $this akg:p ?v } GROUP BY $this", "aggregate"),
        ("SELECT $this WHERE { $this akg:p ?v MINUS { $this akg:q ?v } }", "MINUS"),
        ("SELECT ?value WHERE { $this akg:p ?value }", "projected"),
    ],
)
def test_constraints_that_need_pre_binding_are_seen(query: str, why: str) -> None:
    analysis = analyse(query, {"akg": AKG})
    assert not analysis.join_safe and why in analysis.why, analysis


def test_a_constraint_evaluated_per_focus_node_gives_pyshacls_results(graph: Graph) -> None:
    """A SPARQL constraint whose $this only a FILTER reads (pre-binding matters) goes per focus node."""
    select = (
        "SELECT $this WHERE { FILTER NOT EXISTS { $this <http://www.w3.org/2000/01/rdf-schema#label> ?l . "
        "FILTER(LANG(?l) = 'en') } }"
    )
    assert not analyse(select, {}).join_safe
    shapes = Graph().parse(
        data=PREFIXES
        + f"""
        ex:S a sh:NodeShape ; sh:targetClass akg:Brand ; sh:sparql ex:C .
        ex:C a sh:SPARQLConstraint ; sh:message "no English label: {{$this}}" ; sh:select "{select}" .
        """,
        format="turtle",
    )
    data = with_additions(graph, PREFIXES + f"<{ID}brand/x> a akg:Brand .")
    ours, theirs = both(data, shapes)
    assert [r.focus for r in theirs.results] == [f"{ID}brand/x"]
    assert_same(ours, theirs, "per focus node")


# --- shapes left to pySHACL -------------------------------------------------------------------------------


def test_a_shape_the_compiler_does_not_translate_goes_to_pyshacl(graph: Graph) -> None:
    shapes = Graph().parse(
        data=PREFIXES
        + """
        ex:Compiled a sh:NodeShape ; sh:targetClass akg:Brand ; sh:property ex:HasName .
        ex:HasName sh:path akg:name ; sh:minCount 2 ; sh:message "two names" .
        ex:Left a sh:NodeShape ; sh:targetClass akg:Tenure ; sh:property ex:Order .
        ex:Order sh:path akg:heldFrom ; sh:lessThan akg:attestedOn ;
            sh:message "held from before attested on" .
        """,
        format="turtle",
    )
    data = with_additions(
        graph, PREFIXES + f"<{ID}tenure/x> a akg:Tenure ; akg:heldFrom 3 ; akg:attestedOn 1 ."
    )
    mapper = TermMapper()
    validation = shacl.validate(
        shacl.store_from_graph(data, mapper), shacl.read_shapes(shapes), mapper, data_graph=lambda: data
    )
    assert set(validation.fallback) == {ox.NamedNode("http://example.org/Left")}
    assert "sh:lessThan" in validation.fallback[ox.NamedNode("http://example.org/Left")]
    ours, theirs = both(data, shapes)
    assert {r.shape for r in theirs.results} == {"http://example.org/HasName", "http://example.org/Order"}
    assert_same(ours, theirs, "fallback")


def test_a_sparql_constraint_that_may_meet_a_kept_literal_goes_to_pyshacl(graph: Graph) -> None:
    """``"1.50"^^xsd:decimal`` as a count: the store keeps it under a surrogate datatype, on which SPARQL
    cannot compute, so the shape whose SPARQL constraint reads akg:unitsProduced goes to pySHACL."""
    data = with_additions(
        graph,
        PREFIXES
        + f"""<{ID}production-figure/ampere-douai-2025> a akg:ProductionFigure ;
            <http://www.w3.org/2000/01/rdf-schema#label> "Ampere Douai production in 2025"@en ;
            akg:productionFigureOf <{ID}plant/ampere-douai> ; akg:productionYear "2025"^^xsd:gYear ;
            akg:unitsProduced "200000.50"^^xsd:decimal .""",
    )
    mapper = TermMapper()
    store = shacl.store_from_graph(data, mapper)
    assert f"{AKG}unitsProduced" in mapper.surrogate_predicates
    validation = shacl.validate(store, shacl.read_shapes(shapes_graph()), mapper, data_graph=lambda: data)
    assert any(str(root).endswith("#ProductionFigureShape>") for root in validation.fallback), (
        validation.fallback
    )
    ours, theirs = both(data)
    assert {r.value for r in theirs.results if r.value and r.value.startswith("200000")} == {"200000.50"}
    assert_same(ours, theirs, "a kept literal")


# --- the consistency checks ------------------------------------------------------------------------------


def test_the_checks_that_run_inside_validate() -> None:
    names = {c.name for c in validation_checks()}
    assert names == {"dangling-statement-violation", "english-label-violation", "undeclared-term-violation"}
    assert (ROOT / "queries" / "checks" / "unsourced-fact-violation.rq").is_file()  # kept, not in validate


@pytest.mark.parametrize("check", [pytest.param(c, id=c.name) for c in validation_checks()])
def test_a_check_reports_its_broken_data_in_the_validation_report(check) -> None:
    fixture = CHECK_FIXTURES / f"{check.name}.ttl"
    expected = re.findall(r"^# expect: <([^>]+)>", fixture.read_text(encoding="utf-8"), re.M)
    assert expected
    for engine in ("oxigraph", "pyshacl"):
        report = validate([fixture], threshold="info", engine=engine)
        found = [r for r in report.results if r.shape == CHECKS_BASE + check.name]
        assert {r.focus for r in found} >= set(expected), (engine, report.results)
        assert all(r.constraint == check.iri and r.severity == "Violation" and r.message for r in found)
        assert not report.conforms
        assert report.graph is not None
        sources = set(report.graph.objects(None, URIRef(SH + "sourceConstraint")))
        assert URIRef(check.iri) in sources


#: the data each deleted check caught (its broken fixture, tests/fixtures/checks/<name>.ttl, as it was), the
#: resource it named, and the shape (or SPARQL constraint) that reports that resource now
DELETED_CHECKS = {
    "duplicate-production-year": (
        "plant/ampere-douai",
        "#PlantShape",  # closed: a plant does not state akg:hasProductionFigure
        """plant:ampere-douai akg:hasProductionFigure figure:fixture-ampere-douai-2024-revised .
        figure:fixture-ampere-douai-2024-revised a akg:ProductionFigure ;
            rdfs:label "Ampere Douai production in 2024 (fixture duplicate)"@en ;
            akg:productionYear "2024"^^xsd:gYear ; akg:unitsProduced 90000 .""",
    ),
    "duplicate-production-year (akg:productionFigureOf)": (
        "plant/ampere-douai",
        "#UniqueProductionYear",
        """figure:fixture-ampere-douai-2024-revised a akg:ProductionFigure ;
            rdfs:label "Ampere Douai production in 2024 (fixture duplicate)"@en ;
            akg:productionFigureOf plant:ampere-douai ;
            akg:productionYear "2024"^^xsd:gYear ; akg:unitsProduced 90000 .""",
    ),
    "model-platform": (
        "vehicle/nissan-micra",
        "#VehicleModelShape-platform",
        "vehicle:nissan-micra akg:builtOnPlatform platform:ampr-medium .",
    ),
    "non-electric-model": (
        "vehicle/fixture-hybrid-model",
        "#VehicleModelShape-powertrain",
        """vehicle:fixture-hybrid-model a akg:VehicleModel ; rdfs:label "Fixture hybrid model"@en ;
            akg:producedAt plant:ampere-douai ; akg:hasPowertrain powertrain:fixture-full-hybrid .""",
    ),
    "orphan-brand": (
        "brand/fixture-orphan-brand",
        "#BrandShape-owner",
        """brand:fixture-orphan-brand a akg:Brand ; akg:name "Orphan" ;
            rdfs:label "Orphan (fixture brand)"@en .""",
    ),
    "reveal-after-launch": (
        "event/mitsubishi-eclipse-cross-reveal-2025-09-17",
        "#RevealNotAfterLaunch",
        """event:fixture-eclipse-cross-early-launch a akg:CommercialLaunch ;
            rdfs:label "Fixture: early commercial launch of the Mitsubishi Eclipse Cross"@en ;
            akg:concernsModel vehicle:mitsubishi-eclipse-cross ; akg:takesPlaceOn "2025-09-01"^^xsd:date .""",
    ),
    "tenure-holder": (
        "tenure/fixture-takao-kato-nissan-ceo",
        "#TenureHolderHoldsPost",
        """tenure:fixture-takao-kato-nissan-ceo a akg:Tenure ;
            rdfs:label "Fixture: Takao Kato, CEO of Nissan"@en ;
            akg:tenureOfPost post:nissan-ceo ; akg:tenureHolder person:takao-kato .""",
    ),
    "undated-event": (
        "event/fixture-undated-reveal",
        "#EventShape-date",
        """event:fixture-undated-reveal a akg:Reveal ;
            rdfs:label "Fixture: undated reveal of the Nissan Micra"@en ;
            akg:concernsModel vehicle:nissan-micra .""",
    ),
    "unlisted-client": (
        "vehicle/alpine-a290",
        "#ModelClientListedByPlant",
        "vehicle:alpine-a290 akg:producedFor organisation:ampere .",
    ),
}
ID_PREFIXES = "".join(
    f"@prefix {p}: <{ID}{path}/> .\n"
    for p, path in [
        ("plant", "plant"), ("figure", "production-figure"), ("vehicle", "vehicle"), ("platform", "platform"),
        ("brand", "brand"), ("tenure", "tenure"), ("post", "post"), ("person", "person"), ("event", "event"),
        ("organisation", "organisation"), ("powertrain", "powertrain"),
    ]
)  # fmt: skip


@pytest.mark.parametrize("name", sorted(DELETED_CHECKS))
def test_a_deleted_checks_broken_data_is_reported_by_a_shape(name: str, tmp_path: Path) -> None:
    focus, source, turtle = DELETED_CHECKS[name]
    assert not (ROOT / "queries" / "checks" / f"{name.split()[0]}-violation.rq").exists()
    addition = tmp_path / "addition.ttl"
    addition.write_text(PREFIXES + ID_PREFIXES + turtle, encoding="utf-8")
    report = validate([addition], threshold="info")
    assert any(
        r.focus == ID + focus and (r.shape.endswith(source) or (r.constraint or "").endswith(source))
        for r in report.results
    ), [(r.focus, r.shape, r.constraint) for r in report.results]


def test_messages_of_checks_name_what_they_found() -> None:
    report = validate([CHECK_FIXTURES / "dangling-statement-violation.ttl"], threshold="info")
    (result,) = [r for r in report.results if r.shape.endswith("dangling-statement-violation")]
    assert "nissan-micra" in result.message and "ampr-medium" in result.message
