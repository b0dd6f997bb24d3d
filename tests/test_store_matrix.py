"""The same answer from every store, for every competency query: the store matrix.

Stores (rows of the matrix):

- ``rdflib``: rdflib's SPARQL engine over the graphs of alliance_kg.graph (the asserted graph, or the OWL 2 RL
  closure for the queries marked ``# reasoned: yes``), parameters as initial bindings;
- ``oxigraph``: pyoxigraph in memory, the CLI's own engine and query path (alliance_kg.store.run_query,
  parameters as SPARQL substitutions);
- ``oxigraph-server`` and ``virtuoso``: ``oxigraph serve`` and Virtuoso Open Source 7.2 (tests/stores.py),
  loaded with ``alliance-kg load --reasoned`` (the named-graph layout), queried over the SPARQL protocol with
  the loaded graphs as ``default-graph-uri`` (…/graph/inferred too for the reasoned queries), parameters as a
  VALUES block (inside the WHERE clause for Virtuoso, which refuses a trailing one after ASK and CONSTRUCT);
- ``jena-tdb2``: Apache Jena TDB2 (Debian's libapache-jena-java 4.5): ``alliance-kg export --format nq`` (and
  ``--reasoned`` for the reasoned queries) loaded by TDB2's loader into two TDB2 locations, every query run
  with ``tdb2:unionDefaultGraph`` (the default graph is the union of the named graphs, as the CLI sees it),
  parameters as a trailing VALUES block, all in ONE JVM (tests/stores_jena/RunQueries.java).

Every store's answer is compared with the expected one (tests/expected/, which tests/test_queries.py holds the
CLI to): ASK by its boolean, CONSTRUCT as graphs (isomorphism, each literal in the canonical form of its
value), SELECT as multisets of rows of terms, in order when the query says ORDER BY. Typed literals are
compared as terms (lexical form and datatype), except where a store spells a value its own way, which
:func:`normalise` rewrites for that store only and says why. A store that still answers a query wrongly is
an entry in :data:`WRONG`, a strict xfail that names the store's bug; nothing is skipped silently.

Each store is started (and loaded) once for this module, and stopped when its column of the matrix is done.
The stores hold nothing but the loaded graphs: once Virtuoso holds other graphs too (copies of the same
triples, as tests/test_load.py leaves), its plan for find-company-leaders changes and loses one binding of an
OPTIONAL (``?heldFrom`` on one row) — a wrong answer that depends on the store's statistics.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import IN_CI, ROOT, require_program
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from stores import OxigraphServer, Server, VirtuosoServer, query_text, remote_query

from alliance_kg import catalogue, load, params, store
from alliance_kg.catalogue import NamedQuery
from alliance_kg.cli import main
from alliance_kg.namespaces import GRAPH, PREFIXES, XSD

EXPECTED = Path(__file__).parent / "expected"
JENA_HELPER = Path(__file__).parent / "stores_jena" / "RunQueries.java"
QUERIES = catalogue.catalogue()
STORES = ("rdflib", "oxigraph", "oxigraph-server", "virtuoso", "jena-tdb2")
LAYOUT = [GRAPH + g for g in ("ontology", "data", "vocabularies", "sources", "provenance")]
INFERRED = GRAPH + "inferred"
AUTH_VAR = "ALLIANCE_KG_TEST_STORE_AUTH"
BOOLEAN = f"<{XSD}boolean>"
INTEGER = f"<{XSD}integer>"

#: (store, query) pairs a store answers wrongly, with the store's bug: strict xfails. Empty today: Virtuoso's
#: transitive-path bug that list-facilities used to trip is worked around in the query (see its comment).
WRONG: dict[tuple[str, str], str] = {}

Result = ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]


# --- answers, as comparable values --------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A query's answer in one spelling for every store: a boolean (ASK), a graph (CONSTRUCT, its literals
    canonical), or column names and rows of terms in N-Triples syntax (``UNBOUND`` for an unbound one)."""

    form: str
    boolean: bool | None = None
    graph: Graph | None = None
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def _spell(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str:
    if term is None:
        return "UNBOUND"
    return str(term).removesuffix(f"^^<{XSD}string>")


def canonical_graph(triples: list[ox.Triple]) -> Graph:
    """Triples as an rdflib graph, each literal in the canonical form of its value (as pyoxigraph's store
    keeps it): stores keep values, not lexical forms ("550000000.0"^^xsd:decimal comes back "550000000")."""
    canonical = ox.Store()
    canonical.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    data = ox.serialize((q.triple for q in canonical), format=ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=data, format="nt")


def from_oxigraph(form: str, result: Result) -> Answer:
    """An answer as pyoxigraph gives it: its own, or a store's parsed from SPARQL JSON results/N-Triples."""
    if form == "ASK":
        return Answer(form, boolean=bool(result))
    if form == "CONSTRUCT":
        return Answer(form, graph=canonical_graph([getattr(t, "triple", t) for t in result]))
    assert isinstance(result, ox.QuerySolutions)
    variables = tuple(v.value for v in result.variables)
    return Answer(
        form, variables=variables, rows=tuple(tuple(_spell(r[v]) for v in variables) for r in result)
    )


def _to_oxigraph(term: object) -> ox.NamedNode | ox.Literal | ox.BlankNode | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal), term
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or f"{XSD}string")))


def from_rdflib(form: str, result) -> Answer:
    if form == "ASK":
        return Answer(form, boolean=bool(result.askAnswer))
    if form == "CONSTRUCT":
        triples = [ox.Triple(*(_to_oxigraph(t) for t in triple)) for triple in result]
        return Answer(form, graph=canonical_graph(triples))
    variables = tuple(str(v) for v in result.vars)
    rows = tuple(tuple(_spell(_to_oxigraph(row[v])) for v in variables) for row in result)
    return Answer(form, variables=variables, rows=rows)


def expected_answer(query: NamedQuery) -> Answer:
    if query.form == "CONSTRUCT":
        triples = [q.triple for q in ox.parse(path=str(EXPECTED / f"{query.name}.nt"))]
        return from_oxigraph("CONSTRUCT", triples)
    parsed = ox.parse_query_results(
        path=str(EXPECTED / f"{query.name}.srj"), format=ox.QueryResultsFormat.JSON
    )
    return from_oxigraph(query.form, parsed)


# --- each store's own spelling of values --------------------------------------------------------------------


def virtuoso_booleans(expected: Answer, actual: Answer) -> Answer:
    """Virtuoso has no boolean type in expressions: a boolean a query computes (BIND(true …), COALESCE(…,
    false), EXISTS) comes back as "1"/"0"^^xsd:integer, and a stored xsd:boolean with the lexical form
    "1"/"0". In a column where the expected answer is an xsd:boolean, read those as "true"/"false"^^
    xsd:boolean: the same values, spelt Virtuoso's way; any other integer stays as it is, and is wrong."""
    columns = {i for row in expected.rows for i, t in enumerate(row) if t.endswith(BOOLEAN)}
    spelled = {
        f'"{n}"^^{dt}': f'"{v}"^^{BOOLEAN}'
        for n, v in (("1", "true"), ("0", "false"))
        for dt in (INTEGER, BOOLEAN)
    }
    rows = tuple(
        tuple(spelled.get(t, t) if i in columns else t for i, t in enumerate(row)) for row in actual.rows
    )
    return Answer(actual.form, variables=actual.variables, rows=rows)


DECIMAL = re.compile(rf'^"([^"]*)"\^\^<{re.escape(XSD)}decimal>$')


def _canonical_decimal(lexical: str) -> str:
    """XSD 1.1's canonical form of an xsd:decimal: no exponent, no trailing zeros, no ".0" for an integer."""
    value = Decimal(lexical)
    text = str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    return f'"{text}"^^<{XSD}decimal>'


def decimal_values(expected: Answer, actual: Answer) -> Answer:
    """Jena TDB2 keeps an xsd:decimal as its value (inlined in the node id) and gives it back in XSD 1.0's
    canonical form, which keeps a decimal point ("550000000.0"^^xsd:decimal); Oxigraph, whose spelling the
    expected answers have, uses XSD 1.1's ("550000000"). Same value, two canonical spellings: decimals are
    compared by value, every xsd:decimal of Jena's answer rewritten in XSD 1.1's canonical form. (Only
    find-investment returns a decimal; every other typed literal — integers, gYear, gYearMonth, date,
    boolean — Jena spells as the expected answers do, and is compared as a term.)"""
    del expected
    rows = tuple(
        tuple(_canonical_decimal(m[1]) if (m := DECIMAL.match(t)) else t for t in row) for row in actual.rows
    )
    return Answer(actual.form, variables=actual.variables, rows=rows)


#: store -> how its answers are read before the comparison (the stores not named need nothing).
NORMALISE: dict[str, Callable[[Answer, Answer], Answer]] = {
    "virtuoso": virtuoso_booleans,
    "jena-tdb2": decimal_values,
}


def normalise(store_name: str, expected: Answer, actual: Answer) -> Answer:
    if actual.form != "SELECT" or store_name not in NORMALISE:
        return actual
    return NORMALISE[store_name](expected, actual)


def assert_same(query: NamedQuery, expected: Answer, actual: Answer) -> None:
    assert actual.form == expected.form, f"{query.name}: a {actual.form} answer to a {expected.form} query"
    if expected.form == "ASK":
        assert actual.boolean == expected.boolean, f"{query.name}: ASK gave {actual.boolean}"
        return
    if expected.form == "CONSTRUCT":
        assert expected.graph is not None and actual.graph is not None
        assert len(expected.graph) > 0, f"{query.name}: the expected graph is empty"
        assert isomorphic(actual.graph, expected.graph), (
            f"{query.name}: graphs differ ({len(actual.graph)} triples, expected {len(expected.graph)})"
        )
        return
    assert actual.variables == expected.variables, f"{query.name}: columns {actual.variables}"
    assert expected.rows, f"{query.name}: the expected answer is empty; a question must have an answer"
    mine, theirs = list(expected.rows), list(actual.rows)
    assert sorted(theirs) == sorted(mine), (
        f"{query.name}: rows differ\nmissing:    {sorted(set(mine) - set(theirs))}\n"
        f"unexpected: {sorted(set(theirs) - set(mine))}\n(all: {theirs})"
    )
    if re.search(r"\bORDER\s+BY\b", query.text, re.I):
        assert theirs == mine, f"{query.name}: the rows' order differs\nexpected: {mine}\nactual:   {theirs}"


# --- the stores ---------------------------------------------------------------------------------------------

Ask = Callable[[NamedQuery, Mapping[str, ox.NamedNode | ox.Literal]], Answer]


@dataclass
class Store:
    """A store of the matrix: its name and how to ask it a competency query."""

    name: str
    ask: Ask


def _rdflib_term(term: ox.NamedNode | ox.Literal) -> URIRef | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


@contextmanager
def _rdflib(request: pytest.FixtureRequest) -> Iterator[Store]:
    graphs = {False: request.getfixturevalue("graph"), True: request.getfixturevalue("reasoned")}
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

    def ask(query: NamedQuery, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Answer:
        result = graphs[query.reasoned].query(
            prologue + query.text, initBindings={k: _rdflib_term(v) for k, v in bindings.items()}
        )
        return from_rdflib(query.form, result)

    yield Store("rdflib", ask)


@contextmanager
def _oxigraph(local: dict[bool, ox.Store]) -> Iterator[Store]:
    def ask(query: NamedQuery, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Answer:
        return from_oxigraph(query.form, store.run_query(local[query.reasoned], query.text, bindings))

    yield Store("oxigraph", ask)


@contextmanager
def _server(name: str, workdir: Path) -> Iterator[Store]:
    if name == "oxigraph-server":
        require_program("oxigraph", "the Oxigraph server (PyPI `oxigraph`) is a store of the matrix")
        server: Server = OxigraphServer(workdir)
    else:
        require_program(
            "virtuoso-t", "Virtuoso Open Source (Debian `virtuoso-opensource`) is a store of the matrix"
        )
        server = VirtuosoServer(workdir)
    server.start()
    monkeypatch = pytest.MonkeyPatch()
    try:
        if server.credentials:
            monkeypatch.setenv(AUTH_VAR, server.credentials)
        report = load.load(
            server.graph_store,
            reasoned=True,
            auth=server.auth if server.credentials else None,
            auth_env=AUTH_VAR if server.credentials else None,
        )
        assert report.verified, report
        monkeypatch.undo()
        # Virtuoso takes the parameters inside the WHERE clause: it refuses a trailing VALUES after ASK and
        # CONSTRUCT, and joins a trailing one wrongly in compare-production.
        inline = isinstance(server, VirtuosoServer)

        def ask(query: NamedQuery, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Answer:
            result = remote_query(
                server.query_endpoint,
                query.text,
                bindings,
                default_graphs=[*LAYOUT, *([INFERRED] if query.reasoned else [])],
                construct=query.form == "CONSTRUCT",
                inline=inline,
            )
            return from_oxigraph(query.form, result)

        yield Store(name, ask)
    finally:
        monkeypatch.undo()
        server.stop()


def jena_classpath() -> str:
    """The classpath of Debian's Jena jars (scripts/jena-classpath); without them, skip (fail in CI)."""
    found = subprocess.run(
        ["bash", str(ROOT / "scripts" / "jena-classpath")], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        message = f"Apache Jena TDB2 is not installed (Debian `libapache-jena-java`): {found.stderr.strip()}"
        if IN_CI:
            pytest.fail(f"{message}; CI must install it (scripts/setup-peers)")
        pytest.skip(message)
    return found.stdout.strip()


@contextmanager
def _jena_tdb2(workdir: Path, local: dict[bool, ox.Store]) -> Iterator[Store]:
    """Two TDB2 locations (the export, and the export with --reasoned), loaded and queried in one JVM: every
    query's text (parameters as a trailing VALUES block) goes into a manifest, the JVM writes each answer to a
    file, and the tests read the files."""
    java = require_program("java", "Apache Jena TDB2, a store of the matrix, runs on Java")
    classpath = jena_classpath()
    manifest: list[str] = []
    locations: dict[bool, Path] = {}
    for reasoned in (False, True):
        export = workdir / f"alliance-kg{'-reasoned' if reasoned else ''}.nq"
        code = main(["export", "--format", "nq", "-o", str(export), *(["--reasoned"] if reasoned else [])])
        assert code == 0, f"alliance-kg export --format nq exited with {code}"
        locations[reasoned] = workdir / f"tdb2{'-reasoned' if reasoned else ''}"
        manifest.append(f"load\t{locations[reasoned]}\t{export}")
    outputs: dict[str, Path] = {}
    for query in QUERIES:
        text = query_text(query.text, params.bind(query, {}, local[query.reasoned]))
        (workdir / f"{query.name}.rq").write_text(text, encoding="utf-8")
        outputs[query.name] = workdir / f"{query.name}.out"
        fields = [locations[query.reasoned], query.form, workdir / f"{query.name}.rq", outputs[query.name]]
        manifest.append("\t".join(["query", *map(str, fields)]))
    (workdir / "manifest.tsv").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    ran = subprocess.run(
        [java, "-cp", classpath, str(JENA_HELPER), str(workdir / "manifest.tsv")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=workdir,
        check=False,
    )
    assert ran.returncode == 0, f"the Jena TDB2 helper failed ({ran.returncode}):\n{ran.stderr[-3000:]}"

    def ask(query: NamedQuery, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> Answer:
        out = outputs[query.name]
        error = Path(f"{out}.error")
        assert not error.exists(), f"Jena TDB2 refused {query.name}:\n{error.read_text()[:3000]}"
        if query.form == "CONSTRUCT":
            return from_oxigraph(
                query.form, [q.triple for q in ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES)]
            )
        return from_oxigraph(
            query.form, ox.parse_query_results(path=str(out), format=ox.QueryResultsFormat.JSON)
        )

    yield Store("jena-tdb2", ask)


@pytest.fixture(scope="module")
def local_stores() -> dict[bool, ox.Store]:
    """The CLI's stores (asserted, and the OWL 2 RL closure): the parameters are bound against them."""
    return {False: store.open_store(), True: store.open_store(reasoned=True)}


class Matrix:
    """The stores of the matrix, each started (and loaded) on its first query and stopped when the next store
    starts: the cases run store by store (:data:`CASES` is in that order), so each store is started once for
    the module and only one runs at a time."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.request = request
        self.tmp_path_factory = tmp_path_factory
        self.local: dict[bool, ox.Store] = request.getfixturevalue("local_stores")
        self.running: tuple[Store, ExitStack] | None = None
        self.started: list[str] = []
        self.failed: dict[str, BaseException] = {}

    def store(self, name: str) -> Store:
        if self.running is not None and self.running[0].name == name:
            return self.running[0]
        self.close()
        if name in self.failed:  # it could not start (or skipped): every case of its column says why
            raise self.failed[name]
        assert name not in self.started, f"{name} started twice: the cases are not in store order"
        self.started.append(name)
        stack = ExitStack()
        try:
            started = stack.enter_context(self._open(name))
        except BaseException as exc:
            stack.close()
            self.failed[name] = exc
            raise
        self.running = (started, stack)
        return started

    def _open(self, name: str):
        if name == "rdflib":
            return _rdflib(self.request)
        if name == "oxigraph":
            return _oxigraph(self.local)
        if name == "jena-tdb2":
            return _jena_tdb2(self.tmp_path_factory.mktemp(name), self.local)
        return _server(name, self.tmp_path_factory.mktemp(name))

    def close(self) -> None:
        if self.running is not None:
            running, self.running = self.running, None
            running[1].close()


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    stores = Matrix(request, tmp_path_factory)
    try:
        yield stores
    finally:
        stores.close()


def _cases() -> list:
    cases = []
    for name in STORES:
        for query in QUERIES:
            marks = [pytest.mark.slow] if name == "jena-tdb2" else []  # the Jena column starts a JVM
            if (name, query.name) in WRONG:
                marks.append(pytest.mark.xfail(reason=WRONG[name, query.name], strict=True))
            cases.append(pytest.param(name, query, id=f"{name}-{query.name}", marks=marks))
    return cases


CASES = _cases()


def test_the_matrix_is_complete() -> None:
    """Every store meets every competency query; every exception names a store and a query of the matrix."""
    assert len(QUERIES) >= 20 and len(STORES) == 5, (len(QUERIES), STORES)
    assert len(CASES) == len(STORES) * len(QUERIES)
    names = {q.name for q in QUERIES}
    assert all(s in STORES and q in names for s, q in WRONG), sorted(WRONG)
    assert all(reason.strip() for reason in WRONG.values())


@pytest.mark.parametrize(("store_name", "query"), CASES)
def test_store_gives_the_expected_answer(matrix: Matrix, store_name: str, query: NamedQuery) -> None:
    tested = matrix.store(store_name)
    bindings = params.bind(query, {}, matrix.local[query.reasoned])
    expected = expected_answer(query)
    actual = normalise(store_name, expected, tested.ask(query, bindings))
    assert_same(query, expected, actual)
