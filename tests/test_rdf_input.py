"""Reading a user's ``--data`` files (issue 9, "Parsing untrusted RDF").

Every command reads them through one reader (``alliance_kg.rdfinput``), by one table of extensions, so a
file gives the same graph to ``query``, ``stats``, ``describe``, ``export``, ``validate``, ``reason`` and
``serve``; and input that would grow without bound (entity expansion, deep nesting, huge terms, costly
JSON-LD contexts) is refused with exit code 2 and a message naming the file and the limit, never a
traceback, a Rust panic or gigabytes of memory.

The outside oracles: rdflib's own parsers and Raptor (``rapper``) agree on the triples of the legitimate
files; Python's expat agrees that the refused XML is well-formed (so it is refused for its size, not for a
syntax error).
"""

from __future__ import annotations

import http.server
import json
import re
import resource
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.parsers import expat

import pyoxigraph as ox
import pytest
from conftest import run
from rdflib import BNode, Dataset, Graph
from rdflib.compare import isomorphic

from alliance_kg.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
UNTRUSTED = Path(__file__).resolve().parent / "fixtures" / "untrusted"
LEGIT = UNTRUSTED / "legit.ttl"
SECRET = (UNTRUSTED / "secret.txt").read_text(encoding="utf-8").strip()
CONSOLE = Path(sys.executable).with_name("alliance-kg")
EVERYTHING = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
MiB = 1024 * 1024
#: The address space a console-script run may use: the billion-laughs file used to need more than 3 GB.
MEMORY_LIMIT = 1024 * MiB

LEGIT_FORMATS = ("ttl", "nt", "nq", "trig", "rdf", "owl", "jsonld", "n3")
RDFLIB_FORMAT = {
    "ttl": "turtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "rdf": "xml",
    "owl": "xml",
    "jsonld": "json-ld",
    "n3": "n3",
}
RAPPER_FORMAT = {
    "ttl": "turtle",
    "nt": "ntriples",
    "nq": "nquads",
    "trig": "trig",
    "rdf": "rdfxml",
    "owl": "rdfxml",
}


def rdflib_graph(path: Path) -> Graph:
    """What rdflib's own parser reads from ``path`` (every graph of a quad file merged)."""
    fmt = RDFLIB_FORMAT[path.suffix[1:]]
    if fmt in ("nquads", "trig"):
        dataset = Dataset()
        dataset.parse(path, format=fmt)
        merged = Graph()
        for s, p, o, _ in dataset.quads():
            merged.add((s, p, o))
        return merged
    return Graph().parse(path, format=fmt)


def nt_graph(text: str) -> Graph:
    return Graph().parse(data=text, format="nt")


def as_stored(text: str) -> Graph:
    """An N-Triples graph as Oxigraph's store gives it back (it writes numbers canonically: 550000000.0 is
    read back as 550000000), to compare the query path with rdflib's."""
    store = ox.Store()
    store.load(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return ox_graph([q.triple for q in store])


def error_line(err: str) -> str:
    """The message of a failed command (``validate`` says what it is doing before)."""
    return next((line for line in err.splitlines() if line.startswith("error: ")), err)


_LABEL = re.compile(r"_:b[0-9a-f]{12}n[0-9]+")


def without_labels(text: str) -> list[str]:
    """The lines of a description, sorted, blank-node labels (which name their file) left out."""
    return sorted(_LABEL.sub("_:b", text).splitlines())


def ox_graph(triples: list[ox.Triple]) -> Graph:
    return nt_graph((ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8"))


# --- one table of formats ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        pytest.param("a.ttl", ox.RdfFormat.TURTLE, id="ttl"),
        pytest.param("a.turtle", ox.RdfFormat.TURTLE, id="turtle"),
        pytest.param("A.TTL", ox.RdfFormat.TURTLE, id="TTL-upper-case"),
        pytest.param("a.nt", ox.RdfFormat.N_TRIPLES, id="nt"),
        pytest.param("a.nq", ox.RdfFormat.N_QUADS, id="nq"),
        pytest.param("a.trig", ox.RdfFormat.TRIG, id="trig"),
        pytest.param("a.rdf", ox.RdfFormat.RDF_XML, id="rdf"),
        pytest.param("a.Rdf", ox.RdfFormat.RDF_XML, id="Rdf-mixed-case"),
        pytest.param("a.owl", ox.RdfFormat.RDF_XML, id="owl"),
        pytest.param("a.xml", ox.RdfFormat.RDF_XML, id="xml"),
        pytest.param("a.jsonld", ox.RdfFormat.JSON_LD, id="jsonld"),
        pytest.param("a.json", ox.RdfFormat.JSON_LD, id="json"),
        pytest.param("a.n3", ox.RdfFormat.N3, id="n3"),
        pytest.param("notes.txt", ox.RdfFormat.TURTLE, id="unknown-extension-is-turtle"),
        pytest.param("no-extension", ox.RdfFormat.TURTLE, id="no-extension-is-turtle"),
    ],
)
def test_format_by_extension(name: str, fmt: ox.RdfFormat) -> None:
    from alliance_kg import rdfinput

    assert rdfinput.format_of(Path(name)) == fmt


def test_store_and_graph_use_the_one_table() -> None:
    from alliance_kg import rdfinput, store

    assert not hasattr(store, "_RDF_FORMATS")
    for ext in LEGIT_FORMATS:
        path = UNTRUSTED / f"legit.{ext}"
        assert store.read_rdf(path)[2] == rdfinput.FORMATS["." + ext] == rdfinput.format_of(path)


# --- the legitimate files: the same graph in every format, by every reader -----------------------------


@pytest.mark.parametrize("ext", [pytest.param(e, id=e) for e in LEGIT_FORMATS])
def test_every_format_gives_the_same_graph_as_the_oracles(ext: str) -> None:
    from alliance_kg import rdfinput

    path = UNTRUSTED / f"legit.{ext}"
    expected = rdflib_graph(LEGIT)
    assert len(expected) == 17
    as_rdflib = rdfinput.add_to_graph(Graph(), path)
    as_oxigraph = ox_graph(rdfinput.read_triples(path))
    assert isomorphic(as_rdflib, expected)
    assert isomorphic(as_oxigraph, expected)
    assert isomorphic(rdflib_graph(path), expected)  # rdflib's own parser reads the file the same way
    if ext in RAPPER_FORMAT and shutil.which("rapper"):
        done = subprocess.run(
            ["rapper", "-q", "-i", RAPPER_FORMAT[ext], "-o", "ntriples", str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert isomorphic(nt_graph(done.stdout), expected)


@pytest.fixture(scope="module")
def reference_outputs() -> dict[tuple[str, ...], tuple[int, str]]:
    """Outputs of the commands for the Turtle file, computed once."""
    return {}


def _command_output(capsysbinary, cache: dict, argv: tuple[str, ...], data: Path) -> tuple[int, str, str]:
    if data == LEGIT and argv in cache:
        code, out = cache[argv]
        return code, out, ""
    code, out, err = run(capsysbinary, *argv, "--data", str(data))
    if data == LEGIT:
        cache[argv] = (code, out)
    return code, out, err


@pytest.mark.parametrize("ext", [pytest.param(e, id=e) for e in LEGIT_FORMATS if e != "ttl"])
def test_query_stats_export_read_every_format_as_the_turtle_file(
    capsysbinary, reference_outputs, ext
) -> None:
    path = UNTRUSTED / f"legit.{ext}"
    for argv in (
        ("stats",),
        ("export", "--format", "nt"),
        ("describe", "https://example.org/untrusted/widget"),
    ):
        code, out, err = _command_output(capsysbinary, reference_outputs, argv, path)
        expected_code, expected = _command_output(capsysbinary, reference_outputs, argv, LEGIT)[:2]
        assert (code, expected_code) == (0, 0), (argv, err)
        if argv[0] == "describe":
            assert without_labels(out) == without_labels(expected) and "_:b" in out
        else:
            assert out == expected, argv
    code, out, err = run(capsysbinary, "query", "-e", EVERYTHING, "--format", "nt", "--data", str(path))
    assert code == 0, err
    exported = _command_output(capsysbinary, reference_outputs, ("export", "--format", "nt"), LEGIT)[1]
    assert isomorphic(as_stored(out), as_stored(exported))  # the query path and the rdflib path: one graph


@pytest.mark.parametrize("ext", [pytest.param(e, id=e) for e in ("rdf", "jsonld", "nq")])
def test_validate_and_reason_read_every_format_as_the_turtle_file(
    capsysbinary, reference_outputs, ext
) -> None:
    path = UNTRUSTED / f"legit.{ext}"
    for argv in (
        ("validate", "--format", "json"),
        ("reason", "--format", "nt"),
        ("export", "--format", "nq"),
    ):
        code, out, err = _command_output(capsysbinary, reference_outputs, argv, path)
        expected_code, expected = _command_output(capsysbinary, reference_outputs, argv, LEGIT)[:2]
        assert code == expected_code and code in (0, 1), (argv, err)
        if argv[0] == "validate":
            assert json.loads(out) == json.loads(expected)
        else:
            assert out == expected, argv
    code, out, err = run(
        capsysbinary, "query", "-e", EVERYTHING, "--reasoned", "-f", "nt", "--data", str(path)
    )
    assert code == 0, err
    reasoned = _command_output(capsysbinary, reference_outputs, ("reason", "--format", "nt"), LEGIT)[1]
    assert isomorphic(as_stored(out), as_stored(reasoned))


def test_served_dataset_reads_every_format_as_the_turtle_file() -> None:
    from alliance_kg.server import dataset

    def user_graph(path: Path) -> Graph:
        served = dataset.load([path], reasoning=False)
        quads = served.dataset.quads_for_pattern(None, None, None, ox.NamedNode(dataset.USER_GRAPH))
        return ox_graph([q.triple for q in quads])

    expected = rdflib_graph(LEGIT)
    for ext in LEGIT_FORMATS:
        assert isomorphic(user_graph(UNTRUSTED / f"legit.{ext}"), expected), ext


# --- syntax errors: file, line and format, the same in every command ------------------------------------

BAD = {
    "ttl": (
        '@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "unterminated .\n',
        3,
        "Turtle",
    ),
    "nt": (
        "<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n<oops\n",
        2,
        "N-Triples",
    ),
    "trig": ("@prefix ex: <https://example.org/> .\nex:g {\n ex:a ex:b .\n}\n", 3, "TriG"),
    "rdf": (
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        "<rdf:Description>\n</rdf:RDF>\n",
        4,
        "RDF/XML",
    ),
    "jsonld": ('{\n  "@id": "https://example.org/a",\n  "https://example.org/b": [1, 2,]\n}\n', 3, "JSON-LD"),
}


@pytest.mark.parametrize("ext", [pytest.param(e, id=e) for e in BAD])
def test_syntax_errors_name_file_line_and_format_in_every_command(
    capsysbinary, tmp_path: Path, ext: str
) -> None:
    text, line, name = BAD[ext]
    bad = tmp_path / f"bad.{ext}"
    bad.write_text(text, encoding="utf-8")
    messages = set()
    for argv in (("stats",), ("export", "--format", "nt"), ("validate",), ("reason",)):
        code, out, err = run(capsysbinary, *argv, "--data", str(bad))
        assert code == 2 and out == "", (argv, err)
        assert error_line(err).startswith(f"error: {bad}:{line}: {name} syntax error"), (argv, err)
        assert "Traceback" not in err
        messages.add(error_line(err))
    assert len(messages) == 1, messages  # one reader, one message


def test_unknown_extension_is_read_as_turtle_and_says_so(capsysbinary, tmp_path: Path) -> None:
    mine = tmp_path / "additions.txt"
    mine.write_text(LEGIT.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run(capsysbinary, "query", "-e", EVERYTHING, "-f", "nt", "--data", str(mine))
    assert code == 0, err
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("this is not RDF\n", encoding="utf-8")
    code, _, err = run(capsysbinary, "export", "--data", str(garbage))
    assert code == 2
    assert f"{garbage}:1: Turtle syntax error" in err
    assert "read as Turtle" in err and ".rdf" in err and ".jsonld" in err  # the table, for a mis-named file


# --- blank nodes ---------------------------------------------------------------------------------------


def test_blank_nodes_of_different_files_never_merge(capsysbinary, tmp_path: Path) -> None:
    from alliance_kg import rdfinput

    first, second = tmp_path / "first.nt", tmp_path / "second.ttl"
    first.write_text('_:b <https://example.org/untrusted/p> "one" .\n', encoding="utf-8")
    second.write_text(
        '_:b <https://example.org/untrusted/p> "two" .\n[] <https://example.org/untrusted/p> "three" .\n'
    )
    graph = rdfinput.add_to_graph(rdfinput.add_to_graph(Graph(), first), second)
    assert len(set(graph.subjects())) == 3
    store = ox.Store()
    rdfinput.load_into(store, first)
    rdfinput.load_into(store, second)
    assert len({q.subject for q in store}) == 3
    query = "SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { ?b <https://example.org/untrusted/p> ?v }"
    code, out, err = run(
        capsysbinary, "query", "-e", query, "-f", "csv", "--data", str(first), "--data", str(second)
    )
    assert (code, out.split()) == (0, ["n", "3"]), err


def test_blank_node_labels_are_stable_per_file_and_the_same_in_both_views() -> None:
    from alliance_kg import rdfinput

    once = rdfinput.add_to_graph(Graph(), LEGIT)
    assert set(once) == set(rdfinput.add_to_graph(Graph(), LEGIT))  # reproducible caches and outputs
    triples = rdfinput.read_triples(LEGIT)
    assert set(triples) == set(rdfinput.read_triples(LEGIT))
    ours = {n for t in once for n in t if isinstance(n, BNode)}
    assert {str(n) for n in ours} == {
        n.value for t in triples for n in (t.subject, t.object) if isinstance(n, ox.BlankNode)
    }
    other = rdfinput.add_to_graph(Graph(), UNTRUSTED / "legit.nt")
    assert len(ours) == 3 and not ours & {n for t in other for n in t}


# --- input that grows without bound --------------------------------------------------------------------

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="https://example.org/untrusted/"'
PREFIX = "@prefix e: <https://example.org/untrusted/> .\n"


def _quadratic_entities(tmp: Path) -> Path:
    """One 60 KB entity (under the per-entity limit) referenced 4,000 times: 240 MB from 80 KB."""
    body = "".join(
        f'<rdf:Description rdf:about="https://example.org/untrusted/x{i}"><e:p>&big;</e:p>'
        "</rdf:Description>\n"
        for i in range(4000)
    )
    return _write(
        tmp / "quadratic.rdf",
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY big "{"x" * 60_000}">]>\n'
        f"<rdf:RDF {RDF}>\n{body}</rdf:RDF>\n",
    )


def _entity_cycle(tmp: Path) -> Path:
    return _write(
        tmp / "cycle.rdf",
        f'<!DOCTYPE rdf:RDF [<!ENTITY a "&b;"><!ENTITY b "x&a;">]>\n<rdf:RDF {RDF}>'
        '<rdf:Description rdf:about="https://example.org/untrusted/x"><e:p>&a;</e:p></rdf:Description>'
        "</rdf:RDF>\n",
    )


def _parameter_entity(tmp: Path) -> Path:
    return _write(tmp / "parameter.rdf", f'<!DOCTYPE rdf:RDF [<!ENTITY % p "x"> %p;]>\n<rdf:RDF {RDF}/>\n')


def _external_http_entity(tmp: Path) -> Path:
    return _write(
        tmp / "http-entity.rdf",
        '<!DOCTYPE rdf:RDF [<!ENTITY e PUBLIC "-//X//EN" "http://127.0.0.1:9/e">]>'
        f'\n<rdf:RDF {RDF}><rdf:Description rdf:about="https://example.org/untrusted/x"><e:p>&e;</e:p>'
        "</rdf:Description></rdf:RDF>\n",
    )


def _deep_rdfxml(tmp: Path) -> Path:
    n = 100_000
    return _write(
        tmp / "deep.rdf",
        f"<rdf:RDF {RDF}>" + "<rdf:Description><e:p>" * n + "</e:p></rdf:Description>" * n + "</rdf:RDF>",
    )


def _deep_json_arrays(tmp: Path) -> Path:
    n = 1_000_000
    return _write(
        tmp / "arrays.jsonld",
        '{"@id": "https://example.org/untrusted/s", "https://example.org/untrusted/p": '
        + "[" * n
        + '"x"'
        + "]" * n
        + "}",
    )


def _deep_json_objects(tmp: Path) -> Path:
    n = 60_000
    return _write(
        tmp / "objects.jsonld",
        '{"@id": "https://example.org/untrusted/s", '
        + '"https://example.org/untrusted/p": {' * n
        + '"@id": "https://example.org/untrusted/o"'
        + "}" * n
        + "}",
    )


def _scoped_contexts(tmp: Path) -> Path:
    """A type-scoped context of 10,000 terms applied to 10,000 nodes: 800 KB, and minutes of work."""
    terms = {f"t{i}": f"https://example.org/untrusted/t{i}" for i in range(10_000)}
    doc = {
        "@context": {"@version": 1.1, "T": {"@id": "https://example.org/untrusted/T", "@context": terms}},
        "@graph": [
            {"@id": f"https://example.org/untrusted/s{i}", "@type": "T", "t0": "x"} for i in range(10_000)
        ],
    }
    return _write(tmp / "scoped.jsonld", json.dumps(doc))


def _embedded_contexts(tmp: Path) -> Path:
    """A 10,000-term context and 10,000 nodes with a context of their own, each processed against it."""
    doc = {
        "@context": {f"x{i}": f"https://example.org/untrusted/x{i}" for i in range(10_000)},
        "@graph": [
            {
                "@context": {"a": "https://example.org/untrusted/a"},
                "@id": f"https://example.org/untrusted/s{i}",
                "a": "x",
            }
            for i in range(10_000)
        ],
    }
    return _write(tmp / "embedded.jsonld", json.dumps(doc))


def _term_chain(tmp: Path) -> Path:
    """Term definitions whose IRIs use the next term as a prefix, 10,000 deep (Oxigraph recursed on them)."""
    context = {f"t{i}": f"t{i + 1}:x" for i in range(10_000)}
    context["t10000"] = "https://example.org/untrusted/"
    return _write(
        tmp / "chain.jsonld",
        json.dumps({"@context": context, "@id": "https://example.org/untrusted/s", "t0": "v"}),
    )


def _huge_turtle_literal(tmp: Path) -> Path:
    return _write(tmp / "literal.ttl", PREFIX + 'e:s e:p "' + "a" * (20 * MiB) + '" .\n')


def _huge_rdfxml_literal(tmp: Path) -> Path:
    return _write(
        tmp / "literal.rdf",
        f'<rdf:RDF {RDF}><rdf:Description rdf:about="https://example.org/untrusted/s">'
        f"<e:p>{'a' * (20 * MiB)}</e:p></rdf:Description></rdf:RDF>",
    )


def _huge_jsonld_literal(tmp: Path) -> Path:
    return _write(
        tmp / "literal.jsonld",
        '{"@id": "https://example.org/untrusted/s", "https://example.org/untrusted/p": "'
        + "a" * (20 * MiB)
        + '"}',
    )


def _huge_iri(tmp: Path) -> Path:
    return _write(
        tmp / "iri.nt",
        "<https://example.org/untrusted/"
        + "a" * (20 * MiB)
        + "> <https://example.org/p> <https://example.org/o> .\n",
    )


def _deep_turtle_list(tmp: Path) -> Path:
    n = 1_000_000
    return _write(tmp / "list.ttl", PREFIX + "e:s e:p " + "(" * n + ")" * n + " .\n")


def _deep_turtle_blank_nodes(tmp: Path) -> Path:
    n = 1_000_000
    return _write(tmp / "nested.ttl", PREFIX + "e:s e:p " + "[ e:p " * n + "e:o" + " ]" * n + " .\n")


def _blank_node_chain(tmp: Path) -> Path:
    """The same nesting written flat, in N-Triples: 10,000 blank nodes each the value of the previous one."""
    lines = [f"_:b{i} <https://example.org/untrusted/p> _:b{i + 1} .\n" for i in range(10_000)]
    return _write(tmp / "chain.nt", "".join(lines))


def _nesting_one_past_the_limit(tmp: Path) -> Path:
    from alliance_kg.rdfinput import LIMITS

    n = LIMITS.blank_node_depth + 1
    return _write(tmp / "limit.ttl", PREFIX + "e:s e:p " + "[ e:p " * n + "e:o" + " ]" * n + " .\n")


def _fixture(name: str) -> Callable[[Path], Path]:
    return lambda _tmp: UNTRUSTED / name


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


ATTACKS = [
    pytest.param(_fixture("billion-laughs.rdf"), "XML entity", id="billion-laughs"),
    pytest.param(_quadratic_entities, "XML entities would expand", id="quadratic-entity-blowup"),
    pytest.param(_entity_cycle, "recursive", id="entity-cycle"),
    pytest.param(_fixture("external-entity.rdf"), "external entity", id="external-file-entity"),
    pytest.param(_external_http_entity, "external entity", id="external-http-entity"),
    pytest.param(_parameter_entity, "parameter entit", id="parameter-entity"),
    pytest.param(_deep_rdfxml, "XML elements nested deeper than 512", id="deep-rdfxml"),
    pytest.param(_deep_json_arrays, "JSON nested deeper than 512", id="deep-jsonld-arrays"),
    pytest.param(_deep_json_objects, "JSON nested deeper than 512", id="deep-jsonld-objects"),
    pytest.param(_scoped_contexts, "JSON-LD contexts", id="jsonld-scoped-contexts"),
    pytest.param(_embedded_contexts, "JSON-LD contexts", id="jsonld-embedded-contexts"),
    pytest.param(_term_chain, "JSON-LD term definitions", id="jsonld-term-chain"),
    pytest.param(_huge_turtle_literal, "16 MiB", id="huge-turtle-literal"),
    pytest.param(_huge_rdfxml_literal, "16 MiB", id="huge-rdfxml-literal"),
    pytest.param(_huge_jsonld_literal, "16 MiB", id="huge-jsonld-literal"),
    pytest.param(_huge_iri, "16 MiB", id="huge-iri"),
    pytest.param(
        _deep_turtle_list,
        "Turtle brackets ([ ], ( ), { }) nested deeper than 512",
        id="million-deep-turtle-list",
    ),
    pytest.param(
        _deep_turtle_blank_nodes,
        "Turtle brackets ([ ], ( ), { }) nested deeper than 512",
        id="million-deep-turtle-brackets",
    ),
    pytest.param(_blank_node_chain, "blank nodes nested deeper than 128", id="deep-n-triples-chain"),
    pytest.param(
        _nesting_one_past_the_limit, "blank nodes nested deeper than 128", id="nesting-one-past-limit"
    ),
    pytest.param(_fixture("triple-term.ttl"), "RDF 1.2", id="rdf-1.2-triple-term"),
    pytest.param(_fixture("n3-rule.n3"), "N3 formula", id="n3-formula"),
]


@pytest.mark.parametrize(("make", "phrase"), ATTACKS)
def test_attacks_are_refused_by_the_reader(tmp_path: Path, make: Callable[[Path], Path], phrase: str) -> None:
    from alliance_kg import rdfinput

    path = make(tmp_path)
    for read in (rdfinput.read_triples, lambda p: rdfinput.add_to_graph(Graph(), p)):
        started = time.monotonic()
        with pytest.raises(DataError) as refused:
            read(path)
        assert time.monotonic() - started < 30
        message = str(refused.value)
        assert message.startswith(f"{path}") and phrase in message, message
        assert SECRET not in message


@pytest.mark.parametrize(("make", "phrase"), ATTACKS)
def test_attacks_are_refused_by_the_commands(capsysbinary, tmp_path: Path, make, phrase: str) -> None:
    path = make(tmp_path)
    for argv in (("stats",), ("export", "--format", "nt")):
        code, out, err = run(capsysbinary, *argv, "--data", str(path))
        assert (code, out) == (2, ""), (argv, err[-2000:])
        assert err.startswith(f"error: {path}") and phrase in err and "Traceback" not in err, err
        assert SECRET not in err


def test_the_limit_messages_name_the_limit(tmp_path: Path) -> None:
    from alliance_kg import rdfinput

    for make in (
        _fixture("billion-laughs.rdf"),
        _quadratic_entities,
        _deep_rdfxml,
        _deep_json_objects,
        _scoped_contexts,
        _embedded_contexts,
        _term_chain,
        _huge_turtle_literal,
        _huge_iri,
        _blank_node_chain,
    ):
        with pytest.raises(DataError) as refused:
            rdfinput.read_triples(make(tmp_path))
        assert ": refused (limit: " in str(refused.value), refused.value


def test_expat_agrees_on_the_xml_attacks(tmp_path: Path) -> None:
    """The outside oracle: the deep document is well-formed XML (refused for what it costs Oxigraph, not as a
    syntax error), and expat's own guard against entity amplification refuses both entity attacks too."""
    expat.ParserCreate().Parse(_deep_rdfxml(tmp_path).read_bytes(), True)
    for make in (_fixture("billion-laughs.rdf"), _quadratic_entities):
        with pytest.raises(expat.ExpatError, match="amplification"):
            expat.ParserCreate().Parse(make(tmp_path).read_bytes(), True)


def test_billion_laughs_is_refused_by_every_command(capsysbinary) -> None:
    path = UNTRUSTED / "billion-laughs.rdf"
    for argv in (
        ("query", "list-models"),
        ("query", "list-models", "--reasoned"),
        ("describe", "Nissan Micra"),
        ("stats",),
        ("export",),
        ("export", "--format", "nq"),
        ("export", "--void"),
        ("validate",),
        ("reason",),
    ):
        code, out, err = run(capsysbinary, *argv, "--data", str(path))
        assert (code, out) == (2, ""), (argv, err[-2000:])
        message = error_line(err)
        assert message.startswith(f"error: {path}:") and "XML entity &lol5; expands to 300,000" in message
        assert "limit: 65,536 characters per entity" in message, (argv, err)


def test_external_entity_content_never_appears(capsysbinary) -> None:
    path = UNTRUSTED / "external-entity.rdf"
    for argv in (
        ("query", "-e", EVERYTHING, "-f", "nt"),
        ("export", "--format", "nt"),
        ("validate",),
        ("reason",),
    ):
        code, out, err = run(capsysbinary, *argv, "--data", str(path))
        assert code == 2, (argv, err)
        assert "external entity &secret;" in err
        assert SECRET not in out and SECRET not in err


class _Listener:
    """A local HTTP server that counts the connections made to it (none may be)."""

    def __init__(self) -> None:
        self.connections = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.end_headers()
                self.wfile.write(b'{"@context": {"name": "https://example.org/untrusted/name"}}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = socketserver.TCPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    running = _Listener()
    yield running
    running.close()


@pytest.mark.parametrize(
    "context",
    [
        pytest.param("{url}context.jsonld", id="remote-context"),
        pytest.param(
            ["{url}context.jsonld", {"x": "https://example.org/untrusted/x"}], id="remote-context-in-list"
        ),
        pytest.param({"@version": 1.1, "@import": "{url}context.jsonld"}, id="import"),
        pytest.param(
            {"T": {"@id": "https://example.org/untrusted/T", "@context": "{url}c"}}, id="remote-scoped"
        ),
    ],
)
def test_jsonld_remote_contexts_are_never_fetched(
    capsysbinary, tmp_path: Path, listener: _Listener, context
) -> None:
    from alliance_kg import rdfinput

    text = json.dumps(
        {"@context": context, "@id": "https://example.org/untrusted/y", "@type": "T", "name": "y"}
    )
    path = _write(tmp_path / "remote.jsonld", text.replace("{url}", listener.url))
    with pytest.raises(DataError, match="remote JSON-LD context"):
        rdfinput.read_triples(path)
    code, _, err = run(capsysbinary, "export", "--data", str(path))
    assert code == 2 and "remote JSON-LD context" in err and "never fetched" in err
    time.sleep(0.2)
    assert listener.connections == 0


def test_xml_external_dtd_is_never_fetched(capsysbinary, tmp_path: Path, listener: _Listener) -> None:
    """An external DTD subset (as old RDF/XML files name one) is not an entity: the file loads, and neither
    expat nor Oxigraph asks for the DTD."""
    from alliance_kg import rdfinput

    text = (UNTRUSTED / "legit.rdf").read_text(encoding="utf-8")
    text = text.replace("<!DOCTYPE rdf:RDF [", f'<!DOCTYPE rdf:RDF SYSTEM "{listener.url}rdf.dtd" [')
    path = _write(tmp_path / "with-dtd.rdf", text)
    assert isomorphic(rdfinput.add_to_graph(Graph(), path), rdflib_graph(LEGIT))
    code, _, err = run(capsysbinary, "stats", "--data", str(path))
    assert code == 0, err
    time.sleep(0.2)
    assert listener.connections == 0


def test_only_the_installations_own_files_skip_the_checks(capsysbinary, tmp_path: Path) -> None:
    """The query path loads the bundled files without the per-triple checks (they come with the code); a
    user's file does not become one by its name."""
    from alliance_kg import paths, rdfinput

    assert {p.resolve() for p in (paths.ontology_file(), *paths.graph_files())} <= rdfinput._package_files()
    mine = tmp_path / "graph" / "vehicles.ttl"
    mine.parent.mkdir()
    _nesting_one_past_the_limit(mine.parent).rename(mine)
    code, _, err = run(capsysbinary, "stats", "--data", str(mine))
    assert code == 2 and "blank nodes nested deeper than 128" in err, err


# --- the limits let real data through ------------------------------------------------------------------


def test_a_million_triples_load(capsysbinary, tmp_path: Path) -> None:
    lines = (
        f'<https://example.org/untrusted/s{i}> <https://example.org/untrusted/p{i % 7}> "value {i}" .\n'
        if i % 10
        else f"<https://example.org/untrusted/s{i}> <https://example.org/untrusted/q> _:b{i} .\n"
        for i in range(1_000_000)
    )
    path = tmp_path / "million.nt"
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(lines)
    from alliance_kg import rdfinput

    assert len(rdfinput.read_triples(path)) == 1_000_000
    code, out, err = run(capsysbinary, "stats", "--data", str(path))
    assert code == 0, err
    baseline = int(run(capsysbinary, "stats")[1].split()[0])
    assert int(out.split()[0]) == baseline + 1_000_000


def _nested_at_the_limit(tmp: Path) -> Path:
    from alliance_kg.rdfinput import LIMITS

    n = LIMITS.blank_node_depth
    return _write(tmp / "at-limit.ttl", PREFIX + "e:s e:p " + "[ e:p " * n + "e:o" + " ]" * n + " .\n")


def _list_at_the_limit(tmp: Path) -> Path:
    from alliance_kg.rdfinput import LIMITS

    n = LIMITS.blank_node_depth + 1  # n "(" give n - 1 list nodes: the innermost () is rdf:nil
    return _write(tmp / "at-limit-list.ttl", PREFIX + "e:s e:p " + "(" * n + ")" * n + " .\n")


def _long_flat_list(tmp: Path) -> Path:
    return _write(tmp / "long-list.ttl", PREFIX + "e:s e:p (" + " e:x" * 10_000 + " ) .\n")


def _xml_at_the_limit(tmp: Path) -> Path:
    from alliance_kg.rdfinput import LIMITS

    n = (LIMITS.nesting - 2) // 2  # rdf:RDF, then a node element and a property element per level
    opening = "".join(
        f'<rdf:Description rdf:about="https://example.org/untrusted/n{i}"><e:p>' for i in range(n)
    )
    inner = '<rdf:Description rdf:about="https://example.org/untrusted/last"/>'
    return _write(
        tmp / "at-limit.rdf",
        f"<rdf:RDF {RDF}>" + opening + inner + "</e:p></rdf:Description>" * n + "</rdf:RDF>",
    )


def _json_at_the_limit(tmp: Path) -> Path:
    from alliance_kg.rdfinput import LIMITS

    n = LIMITS.nesting - 2  # the top object and the property's array
    return _write(
        tmp / "at-limit.jsonld",
        '{"@id": "https://example.org/untrusted/s", "https://example.org/untrusted/p": ['
        + "[" * n
        + '"x"'
        + "]" * n
        + "]}",
    )


def _entities_at_the_limit(tmp: Path) -> Path:
    from alliance_kg.rdfinput import LIMITS

    value = "https://example.org/untrusted/" + "x" * (LIMITS.entity_length - 30)
    return _write(
        tmp / "at-limit-entity.rdf",
        f'<!DOCTYPE rdf:RDF [<!ENTITY big "{value}">]>\n<rdf:RDF {RDF}>'
        '<rdf:Description rdf:about="&big;"><e:p>&big;</e:p></rdf:Description></rdf:RDF>\n',
    )


def _brackets_in_strings_and_comments(tmp: Path) -> Path:
    """More brackets than the nesting limit, most in strings and comments: the scan must skip them."""
    lines = (
        f'e:s{i} e:p [ e:q "[[[ (((" ; e:r """{{{{ ]]]""" ; e:t <https://example.org/untrusted/t#{i}> ] .'
        " # [[[ (((\n"
        for i in range(1_000)
    )
    return _write(tmp / "brackets.ttl", PREFIX + "".join(lines))


def _long_literal(tmp: Path) -> Path:
    return _write(tmp / "long-literal.ttl", PREFIX + 'e:s e:p "' + "a" * (8 * MiB) + '" .\n')


@pytest.mark.parametrize(
    ("make", "triples"),
    [
        pytest.param(_nested_at_the_limit, 129, id="blank-nodes-at-the-limit"),
        pytest.param(_list_at_the_limit, 257, id="nested-lists-at-the-limit"),
        pytest.param(_long_flat_list, 20_001, id="long-flat-list"),
        pytest.param(_xml_at_the_limit, 255, id="xml-at-the-limit"),
        pytest.param(_json_at_the_limit, 1, id="json-at-the-limit"),
        pytest.param(_entities_at_the_limit, 1, id="entity-at-the-limit"),
        pytest.param(_long_literal, 1, id="8-MiB-literal"),
        pytest.param(_brackets_in_strings_and_comments, 4_000, id="brackets-in-strings-and-comments"),
    ],
)
def test_input_within_the_limits_loads(capsysbinary, tmp_path: Path, make, triples: int) -> None:
    from alliance_kg import rdfinput

    path = make(tmp_path)
    assert len(rdfinput.read_triples(path)) == triples
    assert len(rdfinput.add_to_graph(Graph(), path)) == triples


EXPORTED = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
    "nq": ox.RdfFormat.N_QUADS,
}


@pytest.mark.parametrize("fmt", [pytest.param(f, id=f) for f in EXPORTED])
def test_nesting_at_the_limit_exports_in_every_format(capsysbinary, tmp_path: Path, fmt: str) -> None:
    """The limit is low enough for rdflib's recursive serializers (Turtle, JSON-LD, RDF/XML) to write it."""
    from alliance_kg.graph import load_graph

    path = _nested_at_the_limit(tmp_path)
    code, out, err = run(capsysbinary, "export", "--format", fmt, "--data", str(path))
    assert code == 0 and "RecursionError" not in err, err[-2000:]
    exported = list(ox.parse(out.encode("utf-8"), format=EXPORTED[fmt]))
    assert len(exported) == len(load_graph()) + 129


# --- the console script, the server: no crash, no gigabytes ----------------------------------------------


def _limited(argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        preexec_fn=limit,
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["stats"], id="stats"),
        pytest.param(["query", "list-models"], id="query"),
        pytest.param(["export", "--format", "nt"], id="export"),
        pytest.param(["validate"], id="validate"),
        pytest.param(["reason"], id="reason"),
    ],
)
def test_console_script_refuses_billion_laughs_within_a_memory_limit(argv: list[str]) -> None:
    path = UNTRUSTED / "billion-laughs.rdf"
    done = _limited([str(CONSOLE), *argv, "--data", str(path)])
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    message = error_line(done.stderr)
    assert message.startswith(f"error: {path}:") and "XML entity &lol5;" in message and "limit" in message
    assert "panicked" not in done.stderr and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("billion-laughs.rdf", id="billion-laughs"),
        pytest.param("external-entity.rdf", id="external"),
    ],
)
def test_server_refuses_to_start_on_an_attack(name: str) -> None:
    path = UNTRUSTED / name
    for extra in ([], ["--no-reasoning"]):
        done = _limited(
            [
                str(CONSOLE),
                "serve",
                "--port",
                str(_free_port()),
                "--workers",
                "1",
                *extra,
                "--data",
                str(path),
            ]
        )
        assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
        assert (
            f"error: {path}:" in done.stderr
            and "Traceback" not in done.stderr
            and "panicked" not in done.stderr
        )
        assert SECRET not in done.stderr


def test_served_dataset_refuses_what_the_commands_refuse(tmp_path: Path) -> None:
    from alliance_kg import rdfinput
    from alliance_kg.server import dataset

    for make in (
        _fixture("billion-laughs.rdf"),
        _blank_node_chain,
        _scoped_contexts,
        _fixture("triple-term.ttl"),
        _fixture("external-entity.rdf"),
    ):
        path = make(tmp_path)
        with pytest.raises(DataError) as served:
            dataset.load([path], reasoning=False)
        with pytest.raises(DataError) as read:
            rdfinput.read_triples(path)
        assert str(served.value) == str(read.value)


# --- the bulk loader's fast path (N-Triples with nothing to check) ---------------------------------------

_NT_WITHOUT_CHECKS = (
    '<https://example.org/s> <https://example.org/p> "plain" .\n'
    '<https://example.org/s> <https://example.org/p> "tab\\t, quote \\" and \\u00e9"@fr .\n'
    '<https://example.org/s> <https://example.org/p> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    '<https://example.org/s> <https://example.org/p> "x"^^<http://www.w3.org/2001/XMLSchema#string> .\n'
    "<https://example.org/s> <https://example.org/q> <https://example.org/%C3%A9?a=1#f> .\n"
    "# a comment\n"
    '<https://example.org/s> <https://example.org/p> "plain" .\n'  # a duplicate
    '<https://example.org/s> <https://example.org/p> "en"@en-GB .\n'
)


def test_the_bulk_loaders_fast_path_loads_what_the_checked_path_loads(tmp_path: Path) -> None:
    from alliance_kg import rdfinput

    path = tmp_path / "plain.nt"
    path.write_text(_NT_WITHOUT_CHECKS, encoding="utf-8")
    assert not rdfinput.needs_checks(path.read_bytes())
    fast = ox.Store(str(tmp_path / "fast"))
    rdfinput.bulk_load_into(fast, path)
    checked = ox.Store()
    checked.extend(rdfinput.checked_quads(path))
    assert set(fast) == set(checked) and len(set(checked)) == 6


def test_the_bulk_loaders_fast_path_refuses_a_line_past_the_term_limit(tmp_path: Path) -> None:
    """Oxigraph's bulk loader has no limit on a line; the fast path must not lift the reader's."""
    from alliance_kg import rdfinput

    path = _huge_iri(tmp_path)
    store = ox.Store(str(tmp_path / "store"))
    with pytest.raises(DataError, match="16 MiB"):
        rdfinput.bulk_load_into(store, path)


def test_a_syntax_error_is_reported_alike_by_both_paths(tmp_path: Path) -> None:
    from alliance_kg import rdfinput

    path = tmp_path / "broken.nt"
    path.write_text(_NT_WITHOUT_CHECKS + '<https://example.org/s> <https://example.org/p> "open .\n')
    with pytest.raises(DataError) as fast:
        rdfinput.bulk_load_into(ox.Store(str(tmp_path / "store")), path)
    with pytest.raises(DataError) as checked:
        list(rdfinput.checked_quads(path))
    assert str(fast.value) == str(checked.value)
