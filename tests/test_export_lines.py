"""The export works on N-Triples lines (issue 14): a layout read from its files only when first used, files
read straight into the lines of Oxigraph's writer (never held as Python objects), lines sorted as bytes,
read back leniently to be written; N-Triples files without blank nodes, triple terms or base directions
read without per-triple Python checks.

The oracle is the previous algorithm (:func:`previous`, the export of a list of pyoxigraph triples as it
was: distinct triples, RDFC-1.0 on those with blank nodes, sorted by their N-Triples line, written by
Oxigraph), and rdflib's reading of the same files (isomorphism); hypothesis makes the graphs.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.compare import isomorphic

from alliance_kg import export, layout, rdfinput
from alliance_kg.errors import DataError
from alliance_kg.namespaces import PREFIXES, drop_unused_prefixes

EX = "https://example.org/"
AKG = PREFIXES["akg"]
GRAPH_FORMATS = ("nt", "ttl", "xml", "jsonld")
RDFLIB_FORMATS = {"nt": "nt", "ttl": "turtle", "xml": "xml", "jsonld": "json-ld"}


def previous(triples: list[ox.Triple], fmt: str) -> bytes:
    """The export of ``triples`` before the lines (``nt`` or ``ttl``): the differential tests' oracle."""
    distinct = list(dict.fromkeys(triples))

    def has_blank(t: ox.Triple) -> bool:
        return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)

    with_blanks = [t for t in distinct if has_blank(t)]
    everything = [t for t in distinct if not has_blank(t)]
    if with_blanks:
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in with_blanks)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        everything += [q.triple for q in dataset]
    lines = (ox.serialize(everything, format=ox.RdfFormat.N_TRIPLES) or b"").split(b"\n")[:-1]
    order = sorted(range(len(lines)), key=lines.__getitem__)
    kept = [i for n, i in enumerate(order) if n == 0 or lines[i] != lines[order[n - 1]]]
    if fmt == "nt":
        return b"".join(lines[i] + b"\n" for i in kept)
    ordered = [everything[i] for i in kept]
    return _previous_drop_unused_prefixes(
        ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)) or b""
    )


# --- graphs made by hypothesis --------------------------------------------------------------------------

iris = st.sampled_from(
    [f"{EX}a", f"{EX}a/b", f"{EX}a#c", f"{EX}ab", f"{AKG}name", f"{AKG}Plant", f"{EX}é", f"{EX}x-1"]
)
named = iris.map(ox.NamedNode)
blank = st.integers(0, 5).map(lambda n: ox.BlankNode(f"n{n}"))
text = st.text(
    alphabet=st.sampled_from([*"az Z0\"\\\n\r\t'é€😀-_:<>@.", "\u0000", "\u007f", "\u2028"]),
    max_size=8,
)
literal = st.one_of(
    text.map(ox.Literal),
    st.tuples(text, st.sampled_from(["en", "fr", "en-GB", "ja"])).map(
        lambda v: ox.Literal(v[0], language=v[1])
    ),
    st.integers(-5, 300).map(
        lambda n: ox.Literal(str(n), datatype=ox.NamedNode(f"{PREFIXES['xsd']}integer"))
    ),
    st.sampled_from(["2025", "2025-09-16", "x y"]).map(
        lambda v: ox.Literal(v, datatype=ox.NamedNode(f"{PREFIXES['xsd']}gYear"))
    ),
)
subjects = st.one_of(named, blank)
objects = st.one_of(named, blank, literal)
triples = st.lists(st.builds(ox.Triple, subjects, named, objects), max_size=25)
plain_triples = st.lists(st.builds(ox.Triple, named, named, st.one_of(named, literal)), max_size=25)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write_nt(path: Path, statements: list[ox.Triple], *, repeat: bool = True) -> Path:
    body = ox.serialize(statements, format=ox.RdfFormat.N_TRIPLES) or b""
    path.write_bytes(body + (body if repeat else b""))  # every triple twice: the export makes them distinct
    return path


def user_layout(*paths: Path) -> layout.Layout:
    return layout.Layout(files=[(p, layout.USER) for p in paths])


@SETTINGS
@given(statements=triples)
def test_the_export_of_files_is_the_previous_export_byte_for_byte(
    tmp_path: Path, statements: list[ox.Triple]
) -> None:
    path = write_nt(tmp_path / "mine.nt", statements)
    read = rdfinput.read_triples(path)  # the triples of the file as every command reads them
    for fmt in ("nt", "ttl"):
        assert export.export_layout(user_layout(path), fmt) == previous(read, fmt), fmt
        assert export.serialize_triples(read, fmt) == previous(read, fmt), fmt


@SETTINGS
@given(statements=triples)
def test_files_and_the_laid_out_graph_export_the_same_bytes(
    tmp_path: Path, statements: list[ox.Triple]
) -> None:
    path = write_nt(tmp_path / "mine.nt", statements)
    for fmt in GRAPH_FORMATS:
        lazy = export.export_layout(user_layout(path), fmt)
        laid_out = layout.Layout(user_layout(path).graphs)  # the same graphs, given as triples
        assert laid_out.files is None
        assert export.export_layout(laid_out, fmt) == lazy, fmt


@SETTINGS
@given(statements=triples)
def test_the_export_is_rdflib_s_graph_of_the_file(tmp_path: Path, statements: list[ox.Triple]) -> None:
    path = write_nt(tmp_path / "mine.nt", statements, repeat=False)
    expected = Graph().parse(path, format="nt")
    for fmt in ("nt", "ttl"):  # (RDF/XML cannot hold every character of a literal)
        got = Graph().parse(data=export.export_layout(user_layout(path), fmt), format=RDFLIB_FORMATS[fmt])
        assert isomorphic(expected, got), fmt


@SETTINGS
@given(statements=plain_triples)
def test_n_triples_files_read_without_per_triple_checks_give_the_checked_triples(
    tmp_path: Path, statements: list[ox.Triple]
) -> None:
    path = write_nt(tmp_path / "plain.nt", statements)
    data = path.read_bytes()
    fast = list(rdfinput.checked_quads(path))
    if not rdfinput.needs_checks(data):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rdfinput, "needs_checks", lambda _data: True)  # the per-triple path
            assert list(rdfinput.checked_quads(path)) == fast
    assert [q.triple for q in fast] == [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


TRIPLE_TERM = (
    b"<https://e.org/a> <https://e.org/p> <<( <https://e.org/a> <https://e.org/p> <https://e.org/o> )>> .\n"
)


@pytest.mark.parametrize(
    ("line", "needs"),
    [
        (b'<https://e.org/a> <https://e.org/p> "x" .\n', False),
        (b'<https://e.org/a> <https://e.org/p> "x"@en-GB .\n', False),
        (b'<https://e.org/a> <https://e.org/p> "a -- b" .\n', False),  # "--" but no language tag
        (b"_:b0 <https://e.org/p> <https://e.org/o> .\n", True),
        (b'<https://e.org/a> <https://e.org/p> "_:b0" .\n', True),  # only looks like one: harmless
        (
            TRIPLE_TERM,
            True,
        ),
        (b'<https://e.org/a> <https://e.org/p> "x"@en--ltr .\n', True),
    ],
)
def test_what_sends_an_n_triples_file_through_the_checks(line: bytes, needs: bool) -> None:
    assert rdfinput.needs_checks(line) is needs


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            TRIPLE_TERM,
            "RDF 1.2 refused",
        ),
        (b'<https://e.org/a> <https://e.org/p> "x"@en--ltr .\n', "RDF 1.2 refused"),
        (b"<https://e.org/a> <https://e.org/p> <relative> .\n", "syntax error"),
        (b'<https://e.org/a> <https://e.org/p> "unterminated .\n', "syntax error"),
    ],
)
def test_an_export_of_a_refused_file_is_the_reader_s_error(tmp_path: Path, line: bytes, message: str) -> None:
    path = tmp_path / "bad.nt"
    path.write_bytes(b'<https://e.org/a> <https://e.org/p> "fine" .\n' * 3 + line)
    with pytest.raises(DataError, match=message) as read:
        rdfinput.read_triples(path)
    built = layout.build([path])  # read when first used
    for fmt in ("ttl", "nt", "nq"):
        with pytest.raises(DataError) as exported:
            export.export_layout(built, fmt)
        assert str(exported.value) == str(read.value), fmt


def test_blank_nodes_of_two_files_stay_apart_and_a_file_given_twice_counts_once(tmp_path: Path) -> None:
    one, two = tmp_path / "one.nt", tmp_path / "two.nt"
    one.write_bytes(b'_:x <https://e.org/p> "v" .\n')
    two.write_bytes(b'_:x <https://e.org/p> "v" .\n')
    apart = export.export_layout(user_layout(one, two), "nt")
    assert apart.count(b"\n") == 2  # the same label, two files: two blank nodes
    assert export.export_layout(user_layout(one, one), "nt").count(b"\n") == 1
    twice, once = layout.build([one, one]), layout.build([one])
    assert export.export_layout(twice, "ttl") == export.export_layout(once, "ttl")


def test_a_layout_is_read_when_first_used_once_and_as_before(tmp_path: Path) -> None:
    path = tmp_path / "mine.ttl"
    path.write_text(
        f"<{EX}a> <{EX}p> [ <{EX}q> 1 ], <{EX}b> .\n<{EX}a> <{EX}p> <{EX}b> .\n", encoding="utf-8"
    )
    built = layout.build([path])
    assert built.files is not None and (path, layout.USER) in built.files
    expected: dict[str, dict[ox.Triple, None]] = {}  # the layout as build made it before
    for file, name in layout.files([path]):
        expected.setdefault(name, {}).update(dict.fromkeys(rdfinput.read_triples(file)))
    assert built.graphs == {name: list(expected[name]) for name in layout.ASSERTED if expected.get(name)}
    assert built.files is None and built.graphs is built.graphs
    assert built.default_graph() == layout.build([path]).default_graph()
    reasoned = layout.build(reasoned=True)
    assert reasoned.files is None and reasoned.inferred


def test_the_lines_of_a_layout_serve_every_export_of_it(tmp_path: Path) -> None:
    path = write_nt(
        tmp_path / "mine.nt", [ox.Triple(ox.NamedNode(f"{EX}a"), ox.NamedNode(f"{EX}p"), ox.Literal("x"))]
    )
    built = layout.build([path])
    first = {fmt: export.export_layout(built, fmt) for fmt in GRAPH_FORMATS}
    path.write_bytes(b"")  # read once: the layout keeps what it read
    assert {fmt: export.export_layout(built, fmt) for fmt in GRAPH_FORMATS} == first
    assert b"https://example.org/a" in first["nt"]


def _previous_drop_unused_prefixes(data: bytes) -> bytes:
    """namespaces.drop_unused_prefixes as it was (it copied the body to search it)."""
    start = 0
    declarations = []
    while data.startswith(b"@prefix ", start):
        end = data.index(b"\n", start) + 1
        declarations.append(data[start:end])
        start = end
    body = data[start:]
    return b"".join(line for line in declarations if line.split(b" ", 2)[1] in body) + body


def test_prefixes_are_dropped_as_they_were() -> None:
    statements = [
        ox.Triple(
            ox.NamedNode(f"{AKG}x"), ox.NamedNode(f"{PREFIXES['rdfs']}label"), ox.Literal("owl: in a literal")
        ),
        ox.Triple(ox.NamedNode(f"{EX}y"), ox.NamedNode(f"{AKG}p"), ox.NamedNode(f"{EX}z")),
    ]
    for subset in (statements[:1], statements[1:], statements, []):
        text = ox.serialize(subset, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES)) or b""
        assert drop_unused_prefixes(text) == _previous_drop_unused_prefixes(text)


def test_the_bundled_export_is_the_previous_export() -> None:
    read = layout.build().default_graph()
    for fmt in ("nt", "ttl"):
        assert export.export_layout(layout.build(), fmt) == previous(read, fmt), fmt


def test_a_layout_read_when_first_used_pickles_and_copies_as_its_graphs() -> None:
    import copy
    import pickle

    for made in (pickle.loads(pickle.dumps(layout.build())), copy.copy(layout.build())):
        assert made.files is None
        assert made.graphs == layout.build().graphs
