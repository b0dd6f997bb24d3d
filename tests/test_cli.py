"""The command line, end to end: through main(argv), and through the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import run
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from alliance_kg.graph import load_dataset, load_graph

CSV_MODELS = {
    "Megane E-Tech",
    "Scenic E-Tech Electric",
    "R5 E-Tech Electric",
    "A290",
    "Nissan Micra",
    "Mitsubishi Eclipse Cross",
}


# --- query ----------------------------------------------------------------------------------------


def test_named_query_csv(capsysbinary) -> None:
    code, out, err = run(capsysbinary, "query", "list-models", "--format", "csv")
    assert code == 0, err
    assert all(name in out for name in CSV_MODELS), out


def test_named_query_table_shows_labels_and_iris_on_request(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "query", "find-model-platform", "--format", "table")
    assert code == 0
    assert "AmpR Small" in out and "https://" not in out
    code, out, _ = run(capsysbinary, "query", "find-model-platform", "--format", "table", "--iris")
    assert "platform:ampr-small" in out


def test_param_by_label(capsysbinary) -> None:
    code, out, err = run(
        capsysbinary,
        "query",
        "find-model-platform",
        "--param",
        "model=Mitsubishi Eclipse Cross",
        "--format",
        "csv",
    )
    assert code == 0, err
    assert "https://w3id.org/alliance-kg/id/platform/ampr-medium" in out
    assert "ampr-small" not in out


def test_param_by_curie_and_iri(capsysbinary) -> None:
    for value in (
        "vehicle:alpine-a290",
        "https://w3id.org/alliance-kg/id/vehicle/alpine-a290",
        "<https://w3id.org/alliance-kg/id/vehicle/alpine-a290>",
    ):
        code, out, err = run(
            capsysbinary, "query", "find-model-platform", "--param", f"model={value}", "-f", "csv"
        )
        assert code == 0, err
        assert "platform/ampr-small" in out


BAD_INPUT = [
    (["query", "list-modles"], "did you mean list-models"),
    (["query", "find-model-platform", "--param", "model=Nissan Micar"], "did you mean 'Nissan Micra'"),
    (["query", "find-model-platform", "--param", "model=Renault"], "no akg:VehicleModel is labelled"),
    (["query", "find-model-platform", "--param", "colour=red"], "has no parameter colour"),
    (["query", "find-model-platform", "--param", "model"], "NAME=VALUE"),
    (["query", "list-upcoming-launches", "--param", "year=late"], "expects an xsd:gYear"),
    (["query", "-e", "SELECT ?x WHERE { ?x a }"], "line 1, column"),
    (
        ["query", "-e", "# params: m: akg:VehicleModel\nSELECT ?m WHERE { ?m a akg:VehicleModel }"],
        "needs --param m",
    ),
    (["query", "missing-file.rq"], "does not exist"),
    (["query"], "give a query name"),
    (["query", "list-models", "--format", "turtle"], "for CONSTRUCT"),
    (["query", "profile-model", "--format", "csv"], "is a graph"),
    (["describe", "nothing-like-this"], "no resource is labelled"),
    (["describe", "http://example.org/a b"], "is not a valid IRI"),
    (["describe", "vehicle:no-such-model"], "vehicle:no-such-model is not in the graph"),
    (["query", "find-model-platform", "--param", "model=<http://example.org/a b>"], "is not a valid IRI"),
    (
        ["query", "find-model-platform", "--param", "model=plant:ampere-douai"],
        "not in the graph as akg:VehicleModel",
    ),
    (["export", "-o", "/"], "cannot write /: it is a folder"),
    (["nonsense"], "invalid choice"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUT)
def test_bad_input_exits_2_with_a_message(capsysbinary, argv: list[str], message: str) -> None:
    code, out, err = run(capsysbinary, *argv)
    assert code == 2, (code, err)
    assert err.startswith("error: ") and message in err, err
    assert "Traceback" not in err and out == ""


def test_label_matching_several_things(capsysbinary) -> None:
    code, _, err = run(capsysbinary, "describe", "Renault")
    assert code == 2
    assert "names several resources" in err and "brand:renault" in err and "organisation:renault-group" in err


def test_sparql_error_shows_line_and_column(capsysbinary) -> None:
    code, _, err = run(capsysbinary, "query", "-e", "SELECT ?x\nWHERE { ?x ?y }")
    assert code == 2
    assert "line 2, column" in err and "WHERE { ?x ?y }" in err and "^" in err


def test_malformed_data_file_names_file_and_line(capsysbinary, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        '@prefix a: <http://example.org/> .\na:x a:y a:z .\na:x a:y "unterminated .\n', encoding="utf-8"
    )
    code, out, err = run(capsysbinary, "query", "list-models", "--data", str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:3" in err, err


def test_unreadable_data_file(capsysbinary, tmp_path: Path) -> None:
    code, _, err = run(capsysbinary, "stats", "--data", str(tmp_path / "nope.ttl"))
    assert code == 2 and "cannot read file" in err


def test_user_data_is_queried(capsysbinary, tmp_path: Path) -> None:
    mine = tmp_path / "mine.ttl"
    mine.write_text(
        "@prefix akg: <https://w3id.org/alliance-kg/ontology#> .\n"
        "@prefix figure: <https://w3id.org/alliance-kg/id/production-figure/> .\n"
        "@prefix plant: <https://w3id.org/alliance-kg/id/plant/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "figure:ampere-douai-2022 a akg:ProductionFigure ; akg:productionFigureOf plant:ampere-douai ;\n"
        '  akg:productionYear "2022"^^xsd:gYear ; akg:unitsProduced 1 .\n',
        encoding="utf-8",
    )
    query = (
        "SELECT ?y ?n WHERE { ?f akg:productionFigureOf plant:ampere-douai ; akg:productionYear ?y ; "
        "akg:unitsProduced ?n } ORDER BY ?y"
    )
    code, out, _ = run(capsysbinary, "query", "-e", query, "--data", str(mine), "-f", "csv")
    assert code == 0
    assert out.splitlines()[1:] == ["2022,1", "2023,50729", "2024,89527"]


def test_param_cannot_inject_sparql(capsysbinary) -> None:
    hostile = '"} ; DROP ALL ; #'
    query = "# params: name: xsd:string\nSELECT ?m ?name WHERE { ?m akg:name ?name }"
    code, out, err = run(capsysbinary, "query", "-e", query, "--param", f"name={hostile}", "-f", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["results"]["bindings"] == []
    code, _, err = run(capsysbinary, "query", "find-model-platform", "--param", f"model={hostile}")
    assert code == 2 and "no akg:VehicleModel is labelled" in err
    code, out, _ = run(capsysbinary, "query", "list-models", "-f", "csv")
    assert len(out.splitlines()) == 7  # the graph is intact: header + six models


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_result_formats_parse_as_sparql_results(capsysbinary, fmt: str) -> None:
    code, out, _ = run(capsysbinary, "query", "list-models", "--format", fmt)
    assert code == 0
    parsed = ox.parse_query_results(out.encode("utf-8"), format=getattr(ox.QueryResultsFormat, fmt.upper()))
    assert len(list(parsed)) == 6


def test_csv_is_sparql_csv(capsysbinary) -> None:
    import csv
    import io

    code, out, _ = run(capsysbinary, "query", "list-models", "--format", "csv")
    assert code == 0 and "\r\n" in out  # SPARQL 1.1 CSV ends rows with CRLF
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 7 and all(len(r) == len(rows[0]) for r in rows)


def test_markdown_table(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "query", "list-production", "--format", "md")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("| ") and set(lines[1]) <= {"|", "-"}
    assert any("50729" in line for line in lines) and any("89527" in line for line in lines)


def test_french_labels(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "query", "list-executives", "--format", "table", "--lang", "fr")
    assert code == 0
    assert "Directeur général" in out


@pytest.mark.parametrize(("fmt", "rdf"), [("turtle", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")])
def test_construct_formats(capsysbinary, fmt: str, rdf: str) -> None:
    code, out, _ = run(capsysbinary, "query", "profile-model", "--format", fmt)
    assert code == 0
    graph = Graph().parse(data=out, format=rdf)
    assert len(graph) > 5


def test_ask(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "query", "ask-model-on-platform", "--format", "table")
    assert (code, out) == (0, "true\n")  # as in a pipe (issue 13: it said "yes" on a terminal)
    code, out, _ = run(
        capsysbinary, "query", "ask-model-on-platform", "--param", "platform=AmpR Medium", "-f", "table"
    )
    assert (code, out) == (0, "false\n")


def test_reasoned_query_sees_schema_org(capsysbinary) -> None:
    query = "SELECT ?n WHERE { ?c a schema:Car ; schema:name ?n } ORDER BY ?n"
    code, out, _ = run(capsysbinary, "query", "-e", query, "-f", "csv")
    assert (code, out.splitlines()) == (0, ["n"])
    for _ in range(2):  # computed once, then read from the cache
        code, out, _ = run(capsysbinary, "query", "-e", query, "-f", "csv", "--reasoned")
        assert code == 0 and set(out.splitlines()[1:]) == CSV_MODELS


# --- queries, describe, stats ---------------------------------------------------------------------


def test_catalogue_lists_every_query(capsysbinary) -> None:
    from alliance_kg.catalogue import catalogue

    code, out, _ = run(capsysbinary, "queries")
    assert code == 0
    for q in catalogue():
        assert q.name in out and q.title in out
    code, out, _ = run(capsysbinary, "queries", "--long")
    assert code == 0 and "--param model=" in out
    code, out, _ = run(capsysbinary, "queries", "--checks")
    assert code == 0 and "-violation" in out


@pytest.mark.parametrize(
    "thing", ["Nissan Micra", "vehicle:nissan-micra", "https://w3id.org/alliance-kg/id/vehicle/nissan-micra"]
)
def test_describe(capsysbinary, thing: str) -> None:
    code, out, err = run(capsysbinary, "describe", thing)
    assert code == 0, err
    assert out.startswith("Nissan Micra\n")
    assert "AmpR Small   [press release ¶4]" in out
    assert "Ampere Douai" in out and "Nissan (brand)" in out


def test_describe_french(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "describe", "plant:ampere-douai", "--lang", "fr")
    assert code == 0 and "exploitée par" in out


def test_stats(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "stats")
    assert code == 0
    assert out.startswith(f"{len(load_graph())} triples")
    assert "6  akg:VehicleModel" in out


# --- export ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "rdf"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("xml", "xml")]
)
def test_export_round_trips_and_is_deterministic(capsysbinary, fmt: str, rdf: str) -> None:
    code, first, _ = run(capsysbinary, "export", "--format", fmt)
    assert code == 0
    _, second, _ = run(capsysbinary, "export", "--format", fmt)
    assert first == second, "the same graph must export to the same bytes"
    assert isomorphic(Graph().parse(data=first, format=rdf), load_graph())


@pytest.mark.parametrize(("fmt", "rdf"), [("nq", "nquads"), ("trig", "trig")])
def test_quad_export_round_trips(capsysbinary, fmt: str, rdf: str) -> None:
    code, out, _ = run(capsysbinary, "export", "--format", fmt)
    assert code == 0
    parsed = Dataset()
    parsed.parse(data=out, format=rdf)
    source = load_dataset()
    names = {str(g.identifier) for g in parsed.graphs() if len(g)}
    assert {
        "https://w3id.org/alliance-kg/graph/ontology",
        "https://w3id.org/alliance-kg/graph/data",
        "https://w3id.org/alliance-kg/graph/provenance",
    } <= names
    for name in names:
        assert isomorphic(parsed.graph(name), source.graph(name)), name


def test_export_to_file_is_atomic(capsysbinary, tmp_path: Path) -> None:
    target = tmp_path / "kg.nt"
    code, out, err = run(capsysbinary, "export", "--format", "nt", "-o", str(target))
    assert code == 0 and out == "" and "wrote" in err
    assert len(Graph().parse(target, format="nt")) == len(load_graph())
    code, _, err = run(capsysbinary, "export", "-o", str(tmp_path / "no" / "such" / "dir" / "kg.ttl"))
    assert code == 2 and "does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.nt"], "no temporary file left behind"


def test_reasoned_export_contains_inferences(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "export", "--format", "nt", "--reasoned")
    assert code == 0
    assert (
        "<https://w3id.org/alliance-kg/id/vehicle/nissan-micra> "
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Car> ."
    ) in out


# --- the installed console script ------------------------------------------------------------------


def _script() -> str:
    found = shutil.which("alliance-kg") or str(Path(sys.executable).with_name("alliance-kg"))
    assert Path(found).exists(), "the console script alliance-kg is not installed (pip install -e .)"
    return found


def test_console_script_query() -> None:
    run_ = subprocess.run([_script(), "query", "list-models"], capture_output=True, text=True, check=False)
    assert run_.returncode == 0, run_.stderr
    lines = run_.stdout.splitlines()  # not a terminal: CSV
    assert lines[0].startswith("plant,model,") and len(lines) == 7
    assert all(name in run_.stdout for name in CSV_MODELS)


def test_console_script_error_exit_code() -> None:
    run_ = subprocess.run([_script(), "query", "no-such-query"], capture_output=True, text=True, check=False)
    assert run_.returncode == 2
    assert run_.stderr.startswith("error: no query named") and "Traceback" not in run_.stderr


def test_console_script_help_shows_examples() -> None:
    run_ = subprocess.run([_script(), "query", "--help"], capture_output=True, text=True, check=False)
    assert run_.returncode == 0 and "examples:" in run_.stdout


def test_broken_pipe_is_quiet() -> None:
    pipe = subprocess.run(
        f"'{_script()}' export --format nt | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert pipe.stdout.count("\n") == 1
    assert "Traceback" not in pipe.stderr and "BrokenPipe" not in pipe.stderr, pipe.stderr


@pytest.mark.parametrize(("argv", "message"), BAD_INPUT)
def test_console_script_bad_input(argv: list[str], message: str) -> None:
    run_ = subprocess.run([_script(), *argv], capture_output=True, text=True, check=False)
    assert run_.returncode == 2, run_.stderr
    assert run_.stderr.startswith("error: ") and message in run_.stderr
    assert "Traceback" not in run_.stderr and run_.stdout == ""


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["queries"], "list-models"),
        (["query", "compare-production", "-f", "csv"], "38798,76.48"),
        (["describe", "Alpine A290"], "AmpR Small"),
        (["stats"], "akg:VehicleModel"),
        (["export", "--format", "nt"], "<https://w3id.org/alliance-kg/id/vehicle/alpine-a290>"),
        (["reason", "--new-only", "--format", "nt"], "<https://schema.org/Car>"),
    ],
)
def test_console_script_subcommands(argv: list[str], expected: str, tmp_path: Path) -> None:
    env = {**__import__("os").environ, "ALLIANCE_KG_CACHE": str(tmp_path)}
    run_ = subprocess.run([_script(), *argv], capture_output=True, text=True, check=False, env=env)
    assert run_.returncode == 0, run_.stderr
    assert expected in run_.stdout
