"""Issue 13, "The CLI, made consistent": format names, graph results in a pipe, one query's help, input
(stdin, any file name, shell completion), helpful empties and errors, output details, templates."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, require_program, run
from rdflib import Graph

from alliance_kg.catalogue import catalogue
from alliance_kg.formatnames import KINDS, SPELLINGS, resolve

TEMPLATES = ROOT / "alliance_kg" / "templates"

# --- one table of format names ---------------------------------------------------------------------

ACCEPTED = [
    (["export", "--format", "turtle"], "@prefix"),
    (["export", "--format", "Turtle"], "@prefix"),
    (["export", "--format", "NT"], "<https://w3id.org/alliance-kg/"),
    (["export", "--format", "n-triples"], "<https://w3id.org/alliance-kg/"),
    (["export", "--format", "json-ld"], '"@context"'),
    (["export", "--format", "rdfxml"], "<rdf:RDF"),
    (["reason", "--new-only", "--format", "turtle"], "@prefix"),
    (["validate", "--format", "ttl"], "sh:ValidationReport"),
    (["validate", "--format", "JSON"], '"conforms": true'),
    (["query", "list-models", "--format", "JSON"], '"bindings"'),
    (["query", "list-models", "--format", "markdown"], "| plant"),
    (["query", "profile-model", "--format", "ttl"], "@prefix"),
    (["query", "profile-model", "--format", "N-Triples"], "<https://w3id.org/alliance-kg/"),
]


@pytest.mark.parametrize(("argv", "expected"), ACCEPTED, ids=[" ".join(a) for a, _ in ACCEPTED])
def test_every_subcommand_takes_every_spelling(capsysbinary, argv: list[str], expected: str) -> None:
    code, out, err = run(capsysbinary, *argv)
    assert code == 0, err
    assert expected in out


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["query", "list-models", "--format", "jsn"], "did you mean 'json'?"),
        (["export", "--format", "turtel"], "did you mean 'turtle'?"),
        (["reason", "--format", "ntriple"], "did you mean 'ntriples'?"),
        (["validate", "--format", "jsno"], "did you mean 'json'?"),
    ],
)
def test_unknown_format_suggests_and_lists(capsysbinary, argv: list[str], suggestion: str) -> None:
    code, out, err = run(capsysbinary, *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and suggestion in err, err
    assert "(formats: " in err


def test_the_table_resolves_each_alias_to_what_each_subcommand_calls_it() -> None:
    for kind, formats in KINDS.items():
        for fmt, name in formats.items():
            for spelling in SPELLINGS[fmt]:
                assert resolve(kind, spelling.upper()) == name
    assert resolve("export", "turtle") == "ttl" and resolve("validate", "ttl") == "turtle"


# --- graph results in a pipe -----------------------------------------------------------------------


def test_a_graph_result_in_a_pipe_is_turtle(capsysbinary) -> None:
    code, out, err = run(capsysbinary, "query", "build-org-chart")  # captured: not a terminal
    assert code == 0, err
    assert len(Graph().parse(data=out, format="turtle")) > 10


# --- one query's help ------------------------------------------------------------------------------


def _help_of(text: str) -> None:
    assert text.startswith("find-model-platform  [SELECT]")
    assert "Platform and segments of a model" in text  # title
    assert "On which platform" in text  # question
    assert "--param model" in text and "akg:VehicleModel" in text and "default vehicle:nissan-micra" in text
    assert "reasoned: no" in text
    assert "SELECT ?model ?platform" in text and "akg:builtOnPlatform" in text  # the SPARQL


def test_queries_name_shows_one_query(capsysbinary) -> None:
    code, out, err = run(capsysbinary, "queries", "find-model-platform")
    assert code == 0, err
    _help_of(out)


def test_query_name_help_shows_that_query(capsysbinary) -> None:
    with pytest.raises(SystemExit) as exited:
        run(capsysbinary, "query", "find-model-platform", "--help")
    assert exited.value.code == 0
    _help_of(capsysbinary.readouterr().out.decode("utf-8"))


def test_queries_lists_one_line_per_query(capsysbinary) -> None:
    queries = catalogue()
    code, out, _ = run(capsysbinary, "queries")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(queries)
    for line, q in zip(lines, queries, strict=True):
        assert re.fullmatch(rf"{re.escape(q.name)} +{re.escape(q.title)}", line), line
    assert len({line.index(q.title) for line, q in zip(lines, queries, strict=True)}) == 1, "aligned"
    code, out, _ = run(capsysbinary, "queries", "--names")
    assert out.splitlines() == [q.name for q in queries]


# --- input -----------------------------------------------------------------------------------------


def test_query_from_stdin(capsysbinary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("SELECT ?m WHERE { ?m a akg:VehicleModel }"))
    code, out, err = run(capsysbinary, "query", "-", "-f", "csv")
    assert code == 0, err
    assert len(out.splitlines()) == 7


@pytest.mark.parametrize("name", ["my.sparql", "question.txt", "no-extension"])
def test_query_file_of_any_name(
    capsysbinary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    (tmp_path / name).write_text("SELECT ?m WHERE { ?m a akg:VehicleModel }\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsysbinary, "query", name, "-f", "csv")
    assert code == 0, err
    assert len(out.splitlines()) == 7


def _completion(capsysbinary, shell: str) -> str:
    code, out, err = run(capsysbinary, "completion", shell)
    assert code == 0, err
    assert "queries --names" in out and "queries --param-names" in out
    return out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_is_valid(capsysbinary, tmp_path: Path, shell: str) -> None:
    script = tmp_path / f"completion.{shell}"
    script.write_text(_completion(capsysbinary, shell), encoding="utf-8")
    program = require_program(shell, f"checks the {shell} completion script's syntax")
    checked = subprocess.run([program, "-n", str(script)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["query", "list-m"], {"list-models", "list-models-in-status"}),
        (["queries", "find-model"], {"find-model-platform"}),
        (["query", "find-model-platform", "--param", "mod"], {"model="}),
    ],
)
def test_bash_completes_query_and_parameter_names(
    capsysbinary, tmp_path: Path, words: list[str], expected: set[str]
) -> None:
    script = tmp_path / "completion.bash"
    script.write_text(_completion(capsysbinary, "bash"), encoding="utf-8")
    line = " ".join(["alliance-kg", *words])
    driver = (
        f"source {script}\n"
        f"COMP_WORDS=(alliance-kg {' '.join(words)}); COMP_CWORD={len(words)}\n"
        f'COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}\n'
        "_shtab_alliance_kg\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    done = subprocess.run(["bash", "-c", driver], capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) >= expected, done.stdout


# --- helpful empties and errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "term"),
    [
        ("SELECT ?c WHERE { ?c a schema:Car }", "schema:Car"),
        ("SELECT ?p WHERE { ?p a org:Post }", "org:Post"),
    ],
)
def test_empty_result_with_closure_only_terms_says_add_reasoned(capsysbinary, query: str, term: str) -> None:
    code, out, err = run(capsysbinary, "query", "-e", query, "-f", "csv")
    assert code == 0 and len(out.splitlines()) == 1
    assert f"note: no results; {term} appears only in the OWL 2 RL closure: add --reasoned" in err


def test_no_note_when_there_are_results_or_no_closure_terms(capsysbinary) -> None:
    _, _, err = run(capsysbinary, "query", "-e", "SELECT ?c WHERE { ?c a akg:Nothing }", "-f", "csv")
    assert "note:" not in err
    _, _, err = run(capsysbinary, "query", "list-models", "-f", "csv")
    assert "note:" not in err


def test_unknown_prefix_lists_the_known_ones(capsysbinary) -> None:
    code, _, err = run(capsysbinary, "query", "-e", "SELECT ?x WHERE { ?x a foo:Bar }")
    assert code == 2
    assert "unknown prefix foo: (known: akg, " in err and "schema" in err and "vehicle" in err
    assert "expected one of" not in err and len(err.splitlines()) <= 3


def _plain_year(tmp_path: Path) -> Path:
    text = (TEMPLATES / "vehicle.ttl").read_text(encoding="utf-8")
    bad = tmp_path / "plain-year.ttl"
    bad.write_text(text.replace('"2099"^^xsd:gYear', '"2026"'), encoding="utf-8")
    return bad


def test_a_plain_string_year_is_said_to_be_a_string(capsysbinary, tmp_path: Path) -> None:
    bad = _plain_year(tmp_path)
    code, out, _ = run(capsysbinary, "validate", "--data", str(bad))
    assert code == 1
    line = next(line for line in out.splitlines() if "productionStartYear =" in line)
    assert '= "2026" (xsd:string)' in line and "the value is a plain string (xsd:string)" in line
    code, out, _ = run(capsysbinary, "validate", "--data", str(bad), "--format", "json")
    result = next(r for r in json.loads(out)["results"] if r["path"] == "akg:productionStartYear")
    assert (result["value"], result["value_datatype"]) == ("2026", "xsd:string")


def test_cold_reasoned_query_says_it_is_computing(
    capsysbinary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the rules engine computes the bundled closure in a fraction of a second: a closure that takes longer
    # (a user's large files) is made so here, by slowing the computation down
    import time

    from alliance_kg import reasoning

    compute = reasoning._compute

    def slow(extra: list[Path]) -> bytes:
        time.sleep(1.5)
        return compute(extra)

    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(tmp_path / "cold"))
    monkeypatch.setattr(reasoning, "_compute", slow)
    code, _, err = run(capsysbinary, "query", "-e", "SELECT ?c WHERE { ?c a schema:Car }", "--reasoned")
    assert code == 0
    assert "computing the OWL 2 RL closure (cached for next time)" in err
    code, _, err = run(capsysbinary, "query", "-e", "SELECT ?c WHERE { ?c a schema:Car }", "--reasoned")
    assert code == 0 and "computing" not in err  # warm: from the cache, silently
    monkeypatch.setattr(reasoning, "_compute", compute)
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(tmp_path / "cold-but-fast"))
    code, _, err = run(capsysbinary, "query", "-e", "SELECT ?c WHERE { ?c a schema:Car }", "--reasoned")
    assert code == 0 and "computing" not in err  # under a second: nothing to say


# --- output details --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["query", "list-models", "-f", "json"],
        ["query", "list-models", "-f", "xml"],
        ["query", "ask-model-on-platform", "-f", "json"],
        ["query", "ask-model-on-platform", "-f", "xml"],
        ["query", "ask-model-on-platform", "-f", "table"],
        ["query", "ask-model-on-platform"],
        ["query", "profile-model", "-f", "jsonld"],
    ],
)
def test_output_ends_with_a_newline(capsysbinary, argv: list[str]) -> None:
    code, out, _ = run(capsysbinary, *argv)
    assert code == 0 and out.endswith("\n")


@pytest.mark.parametrize("fmt", ["table", "csv", "md"])
def test_ask_says_true_or_false_in_every_format(capsysbinary, fmt: str) -> None:
    code, out, _ = run(capsysbinary, "query", "ask-model-on-platform", "-f", fmt)
    assert (code, out.strip()) == (0, "true")
    code, out, _ = run(
        capsysbinary, "query", "ask-model-on-platform", "--param", "platform=AmpR Medium", "-f", fmt
    )
    assert (code, out.strip()) == (0, "false")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml", "table"])
def test_select_star_keeps_the_query_order(capsysbinary, fmt: str) -> None:
    query = "SELECT * WHERE { ?zeta a akg:VehicleModel ; akg:name ?alpha ; akg:productionStartYear ?mid }"
    code, out, _ = run(capsysbinary, "query", "-e", query, "-f", fmt, "--iris")
    assert code == 0
    if fmt == "table":
        header = out.splitlines()[0].split()
    elif fmt == "csv":
        header = out.splitlines()[0].split(",")
    else:
        header = [
            v.value
            for v in ox.parse_query_results(
                out.encode(), getattr(ox.QueryResultsFormat, fmt.upper())
            ).variables
        ]
    assert header == ["zeta", "alpha", "mid"]


def test_table_does_not_repeat_identical_label_columns(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "query", "list-models", "-f", "table")
    header = out.splitlines()[0].split()
    assert code == 0
    assert "model" in header and "modelLabel" not in header  # the model's label, twice
    assert "client" in header and "clientName" not in header
    assert "brandName" in header  # "Renault" is not "Renault (brand)": kept
    code, out, _ = run(capsysbinary, "query", "list-models", "-f", "csv")
    assert "modelLabel" in out.splitlines()[0]  # data formats keep every column


def test_stats_separates_metaclasses(capsysbinary) -> None:
    code, out, _ = run(capsysbinary, "stats")
    assert code == 0
    data, _, rest = out.partition("Ontology terms per OWL/RDFS metaclass:")
    meta = rest.split("\n\n")[0]
    assert "akg:VehicleModel" in data and "owl:Class" not in data and "owl:ObjectProperty" not in data
    assert "owl:Class" in meta and "owl:ObjectProperty" in meta and "akg:" not in meta


# --- adding your own data --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["vehicle", "figure", "person"])
def test_template_parses_with_our_prefixes(capsysbinary, kind: str) -> None:
    code, out, _ = run(capsysbinary, "template", kind)
    assert code == 0 and "EDIT" in out and "FICTIONAL EXAMPLE" in out
    assert "@prefix akg:" in out
    assert len(Graph().parse(data=out, format="turtle")) >= 5


def test_templates_validate(capsysbinary, tmp_path: Path) -> None:
    files = []
    for kind in ("vehicle", "figure", "person"):
        code, out, _ = run(capsysbinary, "template", kind)
        assert code == 0 and "a akg:" in out
        files += ["--data", str(tmp_path / f"{kind}.ttl")]
        (tmp_path / f"{kind}.ttl").write_text(out, encoding="utf-8")
    code, out, _ = run(capsysbinary, "validate", *files, "--severity", "info")
    assert code == 0, out
    assert out.startswith("conforms: no results")


def test_readme_data_files_are_made_before_they_are_used() -> None:
    """Every ``--data FILE`` and query file in the README's shell examples is written by an earlier line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    made: set[str] = set()
    used = 0
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            for name in re.findall(r"--data (\S+)", line) + re.findall(r"alliance-kg query (\S+\.\w+)", line):
                assert name in made, f"README uses {name} before making it: {line}"
                used += 1
            made.update(re.findall(r"> (\S+)", line))
    assert used >= 4
