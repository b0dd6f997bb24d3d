"""The export runs on Oxigraph (files read by pyoxigraph, RDFC-1.0 blank-node labels, Oxigraph's writers):
the same graph as rdflib reads and writes, in every format, with and without the user's data and the
closure; deterministic; canonical for blank nodes whatever their labels in the input.

The oracle is rdflib: its own parser reads the files (``alliance_kg.graph.load_graph``), its own writer
(``export.serialize_graph``, the rdflib path) writes them, and graphs are compared by isomorphism
(rdflib.compare), never by our code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from alliance_kg import api, export, layout
from alliance_kg.graph import load_dataset, load_graph

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
GRAPH_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "xml": "xml"}
QUAD_FORMATS = {"nq": "nquads", "trig": "trig"}
#: user data with blank nodes, an RDF list and language-tagged, typed and Unicode literals
USER_DATA = """\
@prefix akg: <https://w3id.org/alliance-kg/ontology#> .
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:thing ex:knows [ ex:name "Zoë"@fr ; ex:age "42"^^xsd:integer ] ;
  ex:list ( ex:a [ ex:b "x" ] "ü\\n" ) ;
  ex:same [ ex:name "Zoë"@fr ; ex:age "42"^^xsd:integer ] .
"""


def readable_diff(expected: Graph, got: Graph) -> str:
    _, only_expected, only_got = graph_diff(to_isomorphic(expected), to_isomorphic(got))
    lines = [f"- {' '.join(t.n3() for t in triple)}" for triple in sorted(only_expected)[:10]]
    lines += [f"+ {' '.join(t.n3() for t in triple)}" for triple in sorted(only_got)[:10]]
    return f"{len(only_expected)} triples missing, {len(only_got)} extra:\n" + "\n".join(lines)


@pytest.fixture(scope="module")
def user_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("user") / "mine.ttl"
    path.write_text(USER_DATA, encoding="utf-8")
    return path


CASES = [
    pytest.param(
        fmt, extra, reasoned, id=f"{fmt}-{'user' if extra else 'bundled'}{'-reasoned' if reasoned else ''}"
    )
    for fmt in [*GRAPH_FORMATS, *QUAD_FORMATS]
    for extra in (False, True)
    for reasoned in (False, True)
    if not (reasoned and extra)  # the closure of the user's file: covered by the reasoning tests
]


def test_the_cases_are_not_empty() -> None:
    assert len(CASES) == 18


@pytest.mark.parametrize(("fmt", "extra", "reasoned"), CASES)
def test_the_oxigraph_export_is_rdflib_s_graph(
    fmt: str, extra: bool, reasoned: bool, user_file: Path
) -> None:
    files = [user_file] if extra else []
    data = api.export(fmt, data=files, reasoned=reasoned)
    if fmt in QUAD_FORMATS:
        got = Dataset()
        got.parse(data=data, format=QUAD_FORMATS[fmt])
        expected = load_dataset(extra=files, reasoned=reasoned)
        names = {str(g.identifier) for g in expected.graphs() if len(g)}
        assert {str(g.identifier) for g in got.graphs() if len(g)} == names
        for graph in expected.graphs():
            if len(graph):
                mine = got.graph(graph.identifier)
                assert isomorphic(graph, mine), f"{graph.identifier}: {readable_diff(graph, mine)}"
        return
    got_graph = Graph().parse(data=data, format=GRAPH_FORMATS[fmt])
    expected_graph = api.closure(files) if reasoned else load_graph(extra=files)
    assert len(got_graph) == len(expected_graph)
    assert isomorphic(expected_graph, got_graph), readable_diff(expected_graph, got_graph)


def test_blank_node_labels_of_the_input_do_not_change_the_output(tmp_path: Path) -> None:
    # the same graph written with other blank-node labels, and in another order: the same bytes
    one, two = tmp_path / "one.ttl", tmp_path / "two.ttl"
    one.write_text(USER_DATA, encoding="utf-8")
    nt = Graph().parse(data=USER_DATA, format="turtle").serialize(format="nt")
    lines = sorted(nt.strip().splitlines(), reverse=True)
    relabelled = "\n".join(lines).replace("_:", "_:zz") + "\n"
    two.write_text(relabelled, encoding="utf-8")
    for fmt in ("nt", "ttl", "nq"):
        assert api.export(fmt, data=[one]) == api.export(fmt, data=[two.rename(tmp_path / "two.nt")]), fmt
        (tmp_path / "two.nt").rename(two)


@pytest.mark.parametrize("fmt", ["ttl", "nt", "trig", "xml", "jsonld"])
def test_the_export_is_the_same_under_three_hash_seeds(fmt: str, user_file: Path) -> None:
    outputs = {
        subprocess.run(
            [sys.executable, "-m", "alliance_kg", "export", "--format", fmt, "--data", str(user_file)],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1


def test_turtle_declares_only_the_prefixes_it_uses() -> None:
    text = api.export("ttl").decode("utf-8")
    declared = [line.split()[1] for line in text.splitlines() if line.startswith("@prefix")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))
    unused = [prefix for prefix in declared if prefix not in body]
    assert declared and not unused, unused


def test_a_graph_without_blank_nodes_is_not_canonicalised_but_still_sorted() -> None:
    built = layout.build()
    triples = [t for t in built.default_graph() if "BlankNode" not in repr(t)]
    shuffled = list(reversed(triples))
    assert export.serialize_triples(triples, "nt") == export.serialize_triples(shuffled, "nt")
    lines = export.serialize_triples(triples, "nt").decode("utf-8").splitlines()
    assert lines == sorted(lines)
