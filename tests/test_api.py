"""The public Python API (alliance_kg.api, re-exported from alliance_kg): the same answers as the command
line's engine, typed DataFrames, validation of graphs and files, clear errors, and a light import."""

from __future__ import annotations

import datetime
import decimal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import run
from rdflib import RDF, Graph, URIRef
from rdflib.compare import isomorphic

from alliance_kg import api, catalogue, params, store
from alliance_kg.errors import AllianceKGError, DataError, QueryError, UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
BROKEN = FIXTURES / "ProductionFigureShape-units.ttl"  # one violation: akg:unitsProduced
WARNING_ONLY = FIXTURES / "ProductionMoreThanDoubled.ttl"  # one warning
ALL_QUERIES = [q.name for q in catalogue.catalogue()] + [
    "checks/" + q.name for q in catalogue.catalogue(checks=True)
]


@pytest.fixture(scope="module")
def stores() -> dict[bool, ox.Store]:
    return {False: store.open_store(), True: store.open_store(reasoned=True)}


# --- the same answers as the engine of the command line ------------------------------------------------


@pytest.mark.parametrize("name", ALL_QUERIES)
def test_every_catalogue_query_answers_as_run_query(name: str, stores: dict[bool, ox.Store]) -> None:
    named = catalogue.find(name)
    kg = stores[named.reasoned]
    expected = store.run_query(kg, named.text, params.bind(named, {}, kg))
    # read the engine's lazy results at once, here, and let them go (they belong to this thread)
    if isinstance(expected, ox.QueryBoolean):
        form, answer = "ASK", bool(expected)
    elif isinstance(expected, ox.QueryTriples):
        form, answer = "GRAPH", set(expected)
    else:
        variables = tuple(v.value for v in expected.variables)
        form, answer = "SELECT", [{v: row[v] for v in variables if row[v] is not None} for row in expected]
    del expected
    result = api.query(name, store=kg)
    if form == "ASK":
        assert result.form == "ASK"
        assert result.boolean is answer
    elif form == "GRAPH":
        assert result.form in ("CONSTRUCT", "DESCRIBE")
        assert set(result.triples()) == answer
        assert len(result.graph()) == len(answer) > 0
    else:
        assert result.form == "SELECT"
        assert result.variables == variables
        assert result.rows() == answer
        assert len(result) == len(answer)
        if name.startswith("checks/"):
            assert answer == []  # a check that finds nothing on the bundled graph


def test_a_query_opens_its_own_store_reasoned_as_its_header_says() -> None:
    assert catalogue.find("export-schema-cars").reasoned
    assert len(api.query("export-schema-cars")) > 0  # schema:Car is only in the closure
    assert len(api.query("export-schema-cars", reasoned=False)) == 0


def test_query_from_a_file_and_inline(tmp_path: Path) -> None:
    text = "SELECT ?m WHERE { ?m a akg:VehicleModel } ORDER BY ?m"
    query_file = tmp_path / "my.sparql"  # any file name, not only .rq
    query_file.write_text(text, encoding="utf-8")
    inline = api.query(text)
    assert len(inline) == 6
    assert api.query(str(query_file)).rows() == inline.rows()
    assert api.query(query_file).rows() == inline.rows()
    assert api.query("ASK { vehicle:nissan-micra akg:builtOnPlatform platform:ampr-small }").boolean is True


def test_params_by_label_curie_and_python_values() -> None:
    by_label = api.query("find-model-platform", {"model": "Mitsubishi Eclipse Cross"}).values()
    by_curie = api.query("find-model-platform", {"model": "vehicle:mitsubishi-eclipse-cross"}).values()
    by_term = api.query(
        "find-model-platform",
        {"model": ox.NamedNode("https://w3id.org/alliance-kg/id/vehicle/mitsubishi-eclipse-cross")},
    ).values()
    by_uriref = api.query(
        "find-model-platform",
        {"model": URIRef("https://w3id.org/alliance-kg/id/vehicle/mitsubishi-eclipse-cross")},
    ).values()
    assert by_label == by_curie == by_term == by_uriref
    assert {row["platformName"] for row in by_label} == {"AmpR Medium"}
    assert (
        api.query("list-upcoming-launches", {"year": 2025}).rows()
        == api.query("list-upcoming-launches", {"year": "2025"}).rows()
    )


def test_construct_result_as_an_rdflib_graph(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    code, out, err = run(capsysbinary, "query", "build-org-chart", "--format", "nt")
    assert code == 0, err
    graph = api.query("build-org-chart").graph()
    assert isomorphic(graph, Graph().parse(data=out, format="nt"))
    assert graph.namespace_manager.store.namespace("akg") is not None  # the project's prefixes are bound


# --- values and DataFrames ----------------------------------------------------------------------------


def test_values_are_python_values() -> None:
    production = api.query("list-production").values()
    assert [(row["year"], row["unitsProduced"], row["figureAsPublished"]) for row in production] == [
        (2023, 50729, "50 729"),
        (2024, 89527, "89 527"),
    ]
    assert production[0]["plant"] == "https://w3id.org/alliance-kg/id/plant/ampere-douai"
    (investment,) = {row["amount"] for row in api.query("find-investment").values()}
    assert investment == decimal.Decimal("550000000") and isinstance(investment, decimal.Decimal)
    dates = [
        row["scheduledAsOf"] for row in api.query("list-events").values() if row["scheduledAsOf"] is not None
    ]
    assert dates and all(type(d) is datetime.date for d in dates)


def test_dataframe_of_list_production_has_typed_columns() -> None:
    df = api.query("list-production").to_dataframe()
    assert list(df.columns) == ["plant", "figure", "year", "unitsProduced", "figureAsPublished"]
    assert {c: str(t) for c, t in df.dtypes.items()} == {
        "plant": "string",
        "figure": "string",
        "year": "Int64",
        "unitsProduced": "Int64",
        "figureAsPublished": "string",
    }
    assert df.set_index("year")["unitsProduced"].to_dict() == {2023: 50729, 2024: 89527}


def test_dataframe_of_list_models_has_typed_columns() -> None:
    result = api.query("list-models")
    df = result.to_dataframe()
    assert list(df.columns) == list(result.variables)
    dtypes = {c: str(t) for c, t in df.dtypes.items()}
    assert dtypes.pop("startYear") == "Int64"
    assert set(dtypes.values()) == {"string"}
    assert len(df) == len(result.rows())
    assert df["model"].str.startswith("https://w3id.org/alliance-kg/id/vehicle/").all()


def test_dataframe_of_decimals_dates_and_mixed_columns() -> None:
    investment = api.query("find-investment").to_dataframe()
    assert str(investment["amount"].dtype) == "Float64"
    assert investment["amount"].iloc[0] == 550_000_000
    events = api.query("list-events").to_dataframe()
    assert str(events["scheduledAsOf"].dtype).startswith("datetime64")
    assert events["scheduledAsOf"].isna().any()  # unbound in some rows: NaT
    assert str(events["date"].dtype) == "string"  # xsd:date and xsd:gYearMonth mixed: lexical forms


def test_dataframe_without_pandas_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    result = api.query("list-production")
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(api.MissingDependency, match=r"pip install 'alliance-kg\[pandas\]'") as caught:
        result.to_dataframe()
    assert isinstance(caught.value, AllianceKGError)


# --- validation ---------------------------------------------------------------------------------------


def test_validate_the_bundled_graph() -> None:
    report = api.validate()
    assert report.conforms and report.results == []


def test_validate_a_path_and_several_paths() -> None:
    report = api.validate(BROKEN)
    assert not report.conforms
    assert [r.shape.rsplit("#", 1)[-1] for r in report.failing] == ["ProductionFigureShape-units"]
    assert api.validate(str(BROKEN)).results == report.results
    assert api.validate(WARNING_ONLY).conforms  # a warning does not fail at the default threshold
    assert not api.validate(WARNING_ONLY, threshold="warning").conforms
    both = api.validate([WARNING_ONLY, BROKEN])
    assert {r.severity for r in both.results} == {"Violation", "Warning"}
    assert api.validate(data=[BROKEN]).results == report.results


def test_validate_a_graph_merges_the_ontology_into_a_copy() -> None:
    from alliance_kg import paths
    from alliance_kg.graph import load_files

    data_only = load_files(paths.graph_files())  # no ontology: validate merges it in
    size = len(data_only)
    assert api.validate(data_only).conforms
    assert len(data_only) == size  # the caller's graph is left as it was
    mine = api.open_graph()
    mine.parse(BROKEN, format="turtle")
    report = api.validate(mine)
    assert [r.shape.rsplit("#", 1)[-1] for r in report.failing] == ["ProductionFigureShape-units"]
    assert api.validate(api.open_dataset()).conforms  # a Dataset: the union of its graphs


def test_validate_a_graph_runs_the_checks_as_validating_files_does() -> None:
    """The checks SHACL cannot express (queries/checks/ with ``# validate: yes``) are part of the report of a
    graph as of a file: the same results either way."""
    dangling = Path(__file__).parent / "fixtures" / "checks" / "dangling-statement-violation.ttl"
    from_file = api.validate(dangling)
    mine = api.open_graph()
    mine.parse(dangling, format="turtle")
    from_graph = api.validate(mine)
    assert any(r.shape.endswith("/dangling-statement-violation") for r in from_file.failing), from_file
    assert [(r.focus, r.shape, r.message) for r in from_graph.failing] == [
        (r.focus, r.shape, r.message) for r in from_file.failing
    ]


# --- the graph as rdflib and pyoxigraph objects, the closure, exports -----------------------------------


def test_open_graph_store_dataset_layout_and_closure() -> None:
    graph = api.open_graph()
    micra = URIRef("https://w3id.org/alliance-kg/id/vehicle/nissan-micra")
    assert (micra, None, None) in graph
    assert len(api.open_graph(BROKEN)) > len(graph)
    assert len(api.open_store()) == len(set(graph))
    built = api.layout()
    assert len(built.default_graph()) == len(graph)
    assert sum(len(g) for g in api.open_dataset().graphs()) == len(graph)
    inferred = api.closure()
    assert len(inferred) > len(graph)
    assert len(api.open_graph(reasoned=True)) == len(inferred)
    assert len(set(inferred.subjects(RDF.type, URIRef("https://schema.org/Car")))) == 6


@pytest.mark.parametrize("fmt", ["ttl", "nq", "jsonld"])
def test_export_gives_the_bytes_of_the_command_line(
    fmt: str, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    from alliance_kg.cli import main

    assert main(["export", "--format", fmt]) == 0
    assert api.export(fmt) == capsysbinary.readouterr().out


# --- errors -------------------------------------------------------------------------------------------


ERRORS = [
    (lambda: api.query("list-modles"), UsageError, "did you mean list-models"),
    (lambda: api.query("missing/question.rq"), UsageError, "does not exist"),
    (lambda: api.query("find-model-platform", {"colour": "red"}), UsageError, "has no parameter colour"),
    (lambda: api.query("find-model-platform", {"model": "Nissan Micar"}), UsageError, "did you mean"),
    (lambda: api.query("list-upcoming-launches", {"year": "late"}), UsageError, "expects an xsd:gYear"),
    (lambda: api.query("find-model-platform", {"model": object()}), UsageError, "cannot use a object"),
    (lambda: api.query("SELECT ?x WHERE { ?x a }"), QueryError, "syntax error"),
    (lambda: api.query("list-models", data="no-such-file.ttl"), DataError, "no-such-file.ttl"),
    (lambda: api.query("list-models", store=ox.Store(), data="x.ttl"), UsageError, "open_store"),
    (lambda: api.query("ASK {}").rows(), QueryError, "use .boolean"),
    (lambda: api.query("list-models").boolean, QueryError, "for ASK results"),
    (lambda: api.query("list-models").graph(), QueryError, "CONSTRUCT and DESCRIBE"),
    (lambda: api.export("yaml"), UsageError, "unknown format 'yaml'; did you mean 'xml'"),
    (lambda: api.validate(threshold="fatal"), UsageError, "threshold must be one of"),
    (lambda: api.validate(Graph(), reasoned=True), UsageError, "reasoning runs on files"),
    (lambda: api.open_graph([42]), UsageError, "expected file paths"),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("call", "kind", "message"), ERRORS)
def test_errors_are_alliance_kg_errors_with_clear_messages(call, kind, message: str) -> None:
    with pytest.raises(kind, match=message.replace("(", r"\(").replace(".", r"\.")) as caught:
        call()
    assert isinstance(caught.value, AllianceKGError)


# --- the package's front door -------------------------------------------------------------------------


def test_the_package_exports_the_api() -> None:
    import alliance_kg.export
    import alliance_kg.layout
    import alliance_kg.validate

    for name in alliance_kg.__all__:
        assert getattr(alliance_kg, name) is not None, name
    assert alliance_kg.query is api.query
    assert alliance_kg.validate_shapes is api.validate
    assert alliance_kg.serialize is api.export
    assert alliance_kg.open_layout is api.layout
    assert alliance_kg.UsageError is UsageError
    assert set(alliance_kg.__all__) <= set(dir(alliance_kg))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        alliance_kg.nothing  # noqa: B018


def test_import_and_a_query_stay_light() -> None:
    """``import alliance_kg`` imports no heavy library, nor does a query (the command line's path)."""
    code = (
        "import sys, alliance_kg\n"
        "heavy = {'rdflib', 'pandas', 'pyshacl', 'owlrl', 'pyoxigraph'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
        "assert alliance_kg.query('list-production').values()[1]['unitsProduced'] == 89527\n"
        "assert not {'rdflib', 'pandas'} & set(sys.modules), {'rdflib', 'pandas'} & set(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_examples_in_the_docstrings_hold() -> None:
    import doctest

    failed, attempted = doctest.testmod(api, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted >= 15 and failed == 0
