"""Real SPARQL clients against `alliance-kg serve`: every competency query, through every result format and
request method each client supports, must give the command line's answer.

The clients: SPARQLWrapper (Python; GET, POST form, POST direct × its formats), Apache Jena ARQ's HTTP query
execution (what `rsparql` runs; one JVM for all its cases, tests/clients/jena/), curl (one process for all its
transfers) and Comunica (JavaScript, one node process, tests/clients/comunica/). Each client's batch runs once
for the module — the four at the same time, on one server — and each case is then a test of its own.

The expected answers are the library's (``alliance_kg.store.run_query`` on the bundled graph, with each
query's default parameters), as ``alliance-kg query NAME`` computes them; the queries marked reasoned are
asked of the reasoned endpoint (``/sparql/reasoned``, whose default graph is the OWL 2 RL closure) and
compared with what ``alliance-kg query NAME`` answers from the closure. The clients are sent each query
as the query page shows it: the defaults as a VALUES block.
SELECT results compare as multisets of rows of RDF terms (as lists where the query has ORDER BY; CSV, which
keeps no term types, as strings), ASK as booleans, CONSTRUCT and DESCRIBE as graphs by isomorphism.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from conftest import IN_CI, ROOT, require_program
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from test_server import Running, start_server

from alliance_kg import catalogue, params, store
from alliance_kg.catalogue import NamedQuery
from alliance_kg.server import queries as server_queries

CLIENTS_DIR = Path(__file__).resolve().parent / "clients"
JENA_SOURCE = CLIENTS_DIR / "jena" / "RemoteQueries.java"
COMUNICA_DIR = CLIENTS_DIR / "comunica"
BATCH_TIMEOUT = 300  # seconds a client's whole batch may take (it takes a few)

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"

# the formats, by the short names the test ids use: their media type and, for graphs, rdflib's parser
RESULT_MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_MEDIA = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
RDFLIB_FORMAT = {"turtle": "turtle", "n3": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}

QUERIES = {q.name: q for q in catalogue.catalogue()}

# SPARQLWrapper builds rdflib's ConjunctiveGraph to convert RDF/XML and JSON-LD
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


def _is_graph(query: NamedQuery) -> bool:
    return query.form in ("CONSTRUCT", "DESCRIBE")


def _ordered(query: NamedQuery) -> bool:
    return re.search(r"\bORDER\s+BY\b", query.text, re.I) is not None


# ---------------------------------------------------------------------------------------------------
# The cases


@dataclass(frozen=True)
class Case:
    client: str
    query: str  # the competency query's name
    fmt: str  # a key of RESULT_MEDIA or GRAPH_MEDIA, or "n3" (SPARQLWrapper's N3)
    method: str  # get, post-form, post-direct, or post (Comunica's own choice)

    @property
    def id(self) -> str:
        return f"{self.client}-{self.query}-{self.fmt}-{self.method}"

    @property
    def named(self) -> NamedQuery:
        return QUERIES[self.query]


METHODS = ("get", "post-form", "post-direct")
SPARQLWRAPPER_GRAPH_FORMATS = ("turtle", "rdfxml", "jsonld", "n3")  # it has no N-Triples format


def _matrix(
    client: str, results: tuple[str, ...], graphs: tuple[str, ...], methods: tuple[str, ...]
) -> list[Case]:
    return [
        Case(client, name, fmt, method)
        for name, query in QUERIES.items()
        for fmt in (graphs if _is_graph(query) else results)
        for method in methods
    ]


CASES: dict[str, list[Case]] = {
    "sparqlwrapper": _matrix("sparqlwrapper", tuple(RESULT_MEDIA), SPARQLWRAPPER_GRAPH_FORMATS, METHODS),
    "jena": _matrix("jena", tuple(RESULT_MEDIA), tuple(GRAPH_MEDIA), METHODS),
    "curl": _matrix("curl", tuple(RESULT_MEDIA), tuple(GRAPH_MEDIA), METHODS),
    # Comunica parses SPARQL JSON and XML results and asks for Turtle for graphs; it sends queries by POST
    "comunica": _matrix("comunica", ("json", "xml"), ("turtle",), ("post",)),
}


JENA_ASK_IN_CSV_TSV = pytest.mark.xfail(
    strict=True,
    reason="SPARQL 1.1 CSV/TSV define no ASK result: the server answers a bare 'true', as Oxigraph's own "
    "server and `alliance-kg query --format csv` do; Jena reads only its own convention (a header line, "
    "_askResult or ?_askResult, then the value). Kept: a Jena user asks for JSON or XML, which it reads",
)


def _marks(case: Case) -> list[pytest.MarkDecorator]:
    if case.client == "jena" and case.named.form == "ASK" and case.fmt in ("csv", "tsv"):
        return [JENA_ASK_IN_CSV_TSV]
    return []


def _params(client: str) -> list[Any]:
    return [pytest.param(case, id=case.id, marks=_marks(case)) for case in CASES[client]]


def test_the_matrix_covers_every_query_and_client() -> None:
    assert len(QUERIES) >= 35, sorted(QUERIES)
    for client, cases in CASES.items():
        assert cases, client
        assert {c.query for c in cases} == set(QUERIES), client
        assert len({c.id for c in cases}) == len(cases), f"{client}: duplicate ids"
    assert {q.form for q in QUERIES.values()} >= {"SELECT", "ASK", "CONSTRUCT"}


# ---------------------------------------------------------------------------------------------------
# RDF terms, rows and graphs, whoever parsed them

# ("uri", iri) | ("bnode",) | ("literal", lexical form, datatype or "", language or "") | ("text", a CSV cell)
Term = tuple[str, ...]
Row = tuple[tuple[str, Term], ...]  # (variable, term) for the bound variables, sorted


def _literal(value: str, datatype: str | None, lang: str | None) -> Term:
    if lang:
        return ("literal", value, "", lang.lower())
    return ("literal", value, "" if datatype in (None, "", XSD_STRING, RDF_LANG_STRING) else datatype, "")


def _json_term(t: dict[str, str]) -> Term:
    kind = t["type"]
    if kind == "uri":
        return ("uri", t["value"])
    if kind == "bnode":
        return ("bnode",)
    if kind in ("literal", "typed-literal"):
        return _literal(t["value"], t.get("datatype"), t.get("xml:lang"))
    raise AssertionError(f"not an RDF term in SPARQL JSON results: {t}")


def _ox_term(t: ox.NamedNode | ox.BlankNode | ox.Literal) -> Term:
    if isinstance(t, ox.NamedNode):
        return ("uri", t.value)
    if isinstance(t, ox.BlankNode):
        return ("bnode",)
    if isinstance(t, ox.Literal):
        return _literal(t.value, t.datatype.value if t.datatype else None, t.language)
    raise AssertionError(f"not an RDF term: {t!r}")


def _as_text(term: Term) -> str:
    """What CSV keeps of a term: the IRI, the lexical form, or a blank node label."""
    return "_:" if term[0] == "bnode" else term[1]  # ("text", cell) stays the cell


def _row(bound: dict[str, Term]) -> Row:
    return tuple(sorted(bound.items()))


@dataclass
class Solutions:
    """SELECT results: the variables and the rows; ``lossy`` when the format keeps only strings (CSV)."""

    variables: list[str]
    rows: list[Row]
    lossy: bool = False

    def as_text(self) -> Solutions:
        """What CSV keeps: strings, and an empty cell for an unbound variable and an empty string alike."""
        rows = [
            tuple((v, ("text", text)) for v, t in row if (text := _as_text(t)) != "") for row in self.rows
        ]
        return Solutions(self.variables, rows, lossy=True)


@dataclass
class Expected:
    query: NamedQuery
    text: str  # what is sent: the query with its default parameters as a VALUES block
    solutions: Solutions | None = None
    boolean: bool | None = None
    graph: Graph | None = None


def _json_solutions(document: dict[str, Any]) -> Solutions | bool:
    if "boolean" in document:
        return bool(document["boolean"])
    variables = list(document["head"]["vars"])
    rows = [
        _row({name: _json_term(value) for name, value in binding.items()})
        for binding in document["results"]["bindings"]
    ]
    return Solutions(variables, rows)


def _xml_solutions(data: bytes) -> Solutions | bool:
    root = ET.fromstring(data)
    boolean = root.find(f"{RESULTS_NS}boolean")
    if boolean is not None:
        text = (boolean.text or "").strip()
        assert text in ("true", "false"), f"<boolean>{text}</boolean>"
        return text == "true"
    head = root.find(f"{RESULTS_NS}head")
    assert head is not None, "no <head> in the XML results"
    variables = [v.attrib["name"] for v in head.findall(f"{RESULTS_NS}variable")]
    rows = []
    for result in root.iter(f"{RESULTS_NS}result"):
        bound: dict[str, Term] = {}
        for binding in result.findall(f"{RESULTS_NS}binding"):
            (value,) = list(binding)
            tag = value.tag.removeprefix(RESULTS_NS)
            if tag == "uri":
                bound[binding.attrib["name"]] = ("uri", value.text or "")
            elif tag == "bnode":
                bound[binding.attrib["name"]] = ("bnode",)
            elif tag == "literal":
                lang = value.attrib.get("{http://www.w3.org/XML/1998/namespace}lang")
                bound[binding.attrib["name"]] = _literal(value.text or "", value.attrib.get("datatype"), lang)
            else:
                raise AssertionError(f"<{tag}> is no RDF term in SPARQL XML results")
        rows.append(_row(bound))
    return Solutions(variables, rows)


def _boolean_text(data: bytes) -> bool | None:
    """ASK answered in CSV or TSV, which define no boolean: "true" or "false" alone, or under the header
    Jena writes (``_askResult``, ``?_askResult``)."""
    lines = [line.strip() for line in data.decode("utf-8").strip().lower().splitlines()]
    if len(lines) == 2 and lines[0] in ("_askresult", "?_askresult"):
        lines = lines[1:]
    return {"true": True, "false": False}.get(lines[0]) if len(lines) == 1 else None


def _csv_solutions(data: bytes) -> Solutions | bool:
    boolean = _boolean_text(data)
    if boolean is not None:
        return boolean
    table = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert table, "empty CSV"
    variables, *records = table
    rows = [
        _row({v: ("text", cell) for v, cell in zip(variables, record, strict=True) if cell != ""})
        for record in records
    ]
    return Solutions(variables, rows, lossy=True)


def _tsv_solutions(data: bytes) -> Solutions | bool:
    boolean = _boolean_text(data)
    if boolean is not None:
        return boolean
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV)
    assert isinstance(parsed, ox.QuerySolutions), type(parsed)
    variables = [v.value for v in parsed.variables]
    rows = []
    for solution in parsed:
        bound = {v.value: _ox_term(solution[v]) for v in parsed.variables if solution[v] is not None}
        rows.append(_row(bound))
    return Solutions(variables, rows)


RESULT_PARSERS: dict[str, Callable[[bytes], Solutions | bool]] = {
    "json": lambda data: _json_solutions(json.loads(data)),
    "xml": _xml_solutions,
    "csv": _csv_solutions,
    "tsv": _tsv_solutions,
}


def _graph(data: bytes, fmt: str) -> Graph:
    return Graph().parse(data=data, format=RDFLIB_FORMAT[fmt])


def _json_graph(triples: list[list[dict[str, str]]]) -> Graph:
    """A graph from triples of SPARQL JSON terms (what tests/clients/comunica/run.mjs writes)."""

    def node(t: dict[str, str]) -> URIRef | BNode | Literal:
        if t["type"] == "uri":
            return URIRef(t["value"])
        if t["type"] == "bnode":
            return BNode(t["value"])
        lang = t.get("xml:lang")
        return Literal(t["value"], lang=lang or None, datatype=None if lang else t.get("datatype"))

    graph = Graph()
    for s, p, o in triples:
        graph.add((node(s), node(p), node(o)))
    return graph


# ---------------------------------------------------------------------------------------------------
# The comparisons, with readable differences


def _show(row: Row) -> str:
    def term(t: Term) -> str:
        if t[0] == "uri":
            return f"<{t[1]}>"
        if t[0] == "bnode":
            return "_:b"
        if t[0] == "text":
            return json.dumps(t[1], ensure_ascii=False)
        return json.dumps(t[1], ensure_ascii=False) + (f"@{t[3]}" if t[3] else f"^^<{t[2]}>" if t[2] else "")

    return "{" + ", ".join(f"?{v}={term(t)}" for v, t in row) + "}"


def _compare_solutions(got: Solutions, want: Solutions, ordered: bool) -> list[str]:
    """What is wrong with ``got`` (empty when it is right)."""
    problems = []
    if got.variables != want.variables:
        problems.append(f"variables {got.variables}, expected {want.variables}")
    if got.lossy:
        want = want.as_text()
    if Counter(got.rows) != Counter(want.rows):
        missing = Counter(want.rows) - Counter(got.rows)
        extra = Counter(got.rows) - Counter(want.rows)
        problems.append(f"{len(got.rows)} rows, expected {len(want.rows)}")
        problems += [f"  missing: {_show(r)}" for r in list(missing.elements())[:10]]
        problems += [f"  unexpected: {_show(r)}" for r in list(extra.elements())[:10]]
    elif ordered and got.rows != want.rows:
        index = next(i for i, (a, b) in enumerate(zip(got.rows, want.rows, strict=True)) if a != b)
        problems.append(
            f"the right rows in the wrong order (ORDER BY): row {index} is {_show(got.rows[index])}, "
            f"expected {_show(want.rows[index])}"
        )
    return problems


def _nt(graph: Graph) -> list[str]:
    return sorted(line for line in graph.serialize(format="nt").splitlines() if line.strip())


def _compare_graphs(got: Graph, want: Graph) -> list[str]:
    if isomorphic(got, want):
        return []
    _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
    lines = [f"{len(got)} triples, expected {len(want)} (not isomorphic)"]
    lines += [f"  missing: {t}" for t in _nt(only_want)[:10]]
    lines += [f"  unexpected: {t}" for t in _nt(only_got)[:10]]
    return lines


@dataclass
class Outcome:
    """What a client made of one case: its parsed answer, or the error it reported."""

    request: str  # the request, as exactly as the client lets us see it
    answer: Solutions | bool | Graph | None = None
    error: str | None = None
    content_type: str | None = None  # of the response, where the client tells it
    notes: list[str] = field(default_factory=list)  # what else is wrong (a warning the client gave)


def _acceptable_media(case: Case) -> set[str]:
    if case.fmt == "n3":  # SPARQLWrapper asks for Turtle, N3 or N-Triples
        return {"text/turtle", "text/n3", "application/n-triples", "application/turtle"}
    return {RESULT_MEDIA.get(case.fmt) or GRAPH_MEDIA[case.fmt]}


def check(case: Case, expected: Expected, outcome: Outcome) -> None:
    """Fail, saying what was sent and what came back, unless the outcome is the CLI's answer."""
    where = f"{case.id}\nrequest: {outcome.request}"
    if outcome.error is not None:
        pytest.fail(f"{where}\nthe client failed: {outcome.error}", pytrace=False)
    problems = list(outcome.notes)
    if outcome.content_type is not None:
        media = outcome.content_type.split(";")[0].strip().lower()
        if media not in _acceptable_media(case):
            problems.append(
                f"Content-Type {outcome.content_type!r}, expected {sorted(_acceptable_media(case))}"
            )
    answer = outcome.answer
    if expected.graph is not None:
        if not isinstance(answer, Graph):
            problems.append(f"a graph was expected, got {type(answer).__name__}")
        else:
            problems += _compare_graphs(answer, expected.graph)
    elif expected.boolean is not None:
        if answer is not expected.boolean:
            problems.append(f"ASK answered {answer!r}, expected {expected.boolean}")
    else:
        assert expected.solutions is not None
        if not isinstance(answer, Solutions):
            problems.append(f"SELECT results were expected, got {answer!r}")
        else:
            problems += _compare_solutions(answer, expected.solutions, _ordered(case.named))
    if problems:
        pytest.fail(where + "\n" + "\n".join(problems), pytrace=False)


# ---------------------------------------------------------------------------------------------------
# The expected answers: the library's, as `alliance-kg query NAME` computes them (the closure for the
# queries marked reasoned)


@pytest.fixture(scope="module")
def expected() -> dict[str, Expected]:
    return expected_answers()


def expected_answers() -> dict[str, Expected]:
    """Every competency query's answer and the text sent for it."""
    kg = store.open_store()
    closure = store.open_store(reasoned=True)
    out = {}
    for name, query in QUERIES.items():
        bindings = params.bind(query, {}, kg)
        entry = Expected(query, server_queries.with_bindings(query, bindings))
        result = store.run_query(closure if query.reasoned else kg, query.text, bindings)
        if isinstance(result, ox.QueryBoolean):
            entry.boolean = bool(result)
        elif isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows = [
                _row({v.value: _ox_term(s[v]) for v in result.variables if s[v] is not None}) for s in result
            ]
            entry.solutions = Solutions(variables, rows)
        else:
            entry.graph = Graph().parse(data=result.serialize(format=ox.RdfFormat.N_TRIPLES), format="nt")
        out[name] = entry
    return out


def test_the_expected_answers_are_not_empty(expected: dict[str, Expected]) -> None:
    """A comparison with nothing proves little: every query answers something."""
    empty = [
        name
        for name, e in expected.items()
        if ((e.solutions is not None and not e.solutions.rows) or (e.graph is not None and not len(e.graph)))
    ]
    assert not empty
    assert any(e.boolean for e in expected.values()), "every ASK answers false"


# ---------------------------------------------------------------------------------------------------
# The server, and the four batches, started together


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("serve-clients"), "--workers", "4", "--quiet") as running:
        yield running


Batches = dict[str, "concurrent.futures.Future[dict[str, Outcome]]"]


class Missing(Exception):
    """A program (or, with ``folder``, an installed folder) a client needs is not there."""

    def __init__(self, program: str, why: str, folder: bool = False) -> None:
        super().__init__(f"{program} ({why})")
        self.program = program
        self.why = why
        self.folder = folder


def _which(program: str, why: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise Missing(program, why)
    return found


@pytest.fixture(scope="module")
def batches(
    request: pytest.FixtureRequest,
    server: Running,
    expected: dict[str, Expected],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Batches]:
    """Each client's whole batch, run in the background, all at once: a future of its outcomes by case id.
    Only the clients with a selected test run (``-k curl`` runs curl's batch alone)."""
    selected = {
        item.callspec.params["case"].client
        for item in request.session.items
        if isinstance(getattr(item, "callspec", None) and item.callspec.params.get("case"), Case)
    }
    tmp = tmp_path_factory.mktemp("clients")
    queries = tmp / "queries"
    queries.mkdir()
    for name, e in expected.items():
        (queries / f"{name}.rq").write_text(e.text, encoding="utf-8")
    runners = {
        "sparqlwrapper": lambda: _run_sparqlwrapper(server, expected),
        "jena": lambda: _run_jena(server, queries, tmp / "jena"),
        "curl": lambda: _run_curl(server, queries, tmp / "curl"),
        "comunica": lambda: _run_comunica(server, expected, tmp / "comunica"),
    }
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(runners)) as pool:
        yield {client: pool.submit(run) for client, run in runners.items() if client in selected}


def _outcomes(client: str, batches: Batches) -> dict[str, Outcome]:
    try:
        return batches[client].result(timeout=BATCH_TIMEOUT + 30)
    except Missing as missing:
        if not missing.folder:
            require_program(missing.program, missing.why)  # skips, or fails in CI
        message = f"{missing.program} is not installed ({missing.why}); scripts/setup-peers installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


# ---------------------------------------------------------------------------------------------------
# SPARQLWrapper: GET, POST form (URLENCODED), POST direct (POSTDIRECTLY) × its formats


def _sparqlwrapper_case(case: Case, endpoint: str, text: str) -> Outcome:
    import SPARQLWrapper as sw

    client = sw.SPARQLWrapper(endpoint)
    client.setQuery(text)
    client.queryType = case.named.form  # said, not guessed from the text (its comments can fool the guess)
    client.setTimeout(60)
    client.setMethod(sw.GET if case.method == "get" else sw.POST)
    if case.method != "get":
        client.setRequestMethod(sw.URLENCODED if case.method == "post-form" else sw.POSTDIRECTLY)
    client.setReturnFormat(
        {
            "json": sw.JSON,
            "xml": sw.XML,
            "csv": sw.CSV,
            "tsv": sw.TSV,
            "turtle": sw.TURTLE,
            "rdfxml": sw.RDFXML,
            "jsonld": sw.JSONLD,
            "n3": sw.N3,
        }[case.fmt]
    )
    request = client._createRequest()  # only to say what it sends
    body = request.data.decode("utf-8") if isinstance(request.data, bytes) else ""
    content_type = request.get_header("Content-type")
    if content_type == "application/sparql-query":
        body = f"<{case.query}.rq, {len(body)} characters>"
    seen = (
        f"{request.get_method()} {_elide_query(request.full_url, case.query)}"
        f" Accept: {request.get_header('Accept')}"
        + (f" Content-Type: {content_type} body: {_elide_query(body, case.query)}" if body else "")
    )
    outcome = Outcome(seen)
    try:
        # (its warning that the response is not in the format asked for would come from this thread, where
        # catching warnings is not safe: check() compares the Content-Type itself)
        response = client.query()
        outcome.content_type = response.info().get("content-type")
        converted = response.convert()
    except Exception as exc:  # an HTTP error, which SPARQLWrapper raises with the response's body
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    try:
        if case.fmt == "json":
            outcome.answer = _json_solutions(converted)
        elif case.fmt == "xml":
            outcome.answer = _xml_solutions(converted.toxml("utf-8"))
        elif case.fmt in ("csv", "tsv"):
            outcome.answer = RESULT_PARSERS[case.fmt](converted)
        elif case.fmt in ("rdfxml", "jsonld"):  # converted by SPARQLWrapper into an rdflib graph
            graph = Graph()
            for triple in converted.triples((None, None, None)):
                graph.add(triple)
            outcome.answer = graph
        else:  # Turtle and N3: the bytes
            outcome.answer = _graph(converted, case.fmt)
    except Exception as exc:
        outcome.error = f"its answer does not parse: {type(exc).__name__}: {exc}"
    return outcome


def _elide_query(encoded: str, name: str) -> str:
    """A URL or form body with its query=… parameter named, not spelt out."""
    return re.sub(r"(?<![^?&])query=[^&]*", f"query=<{name}.rq, url-encoded>", encoded)


def _endpoint(server: Running, query: str) -> str:
    """Where a query is sent: the reasoned endpoint for the queries marked reasoned."""
    return server.endpoint + ("/reasoned" if QUERIES[query].reasoned else "")


def _run_sparqlwrapper(server: Running, expected: dict[str, Expected]) -> dict[str, Outcome]:
    return {
        case.id: _sparqlwrapper_case(case, _endpoint(server, case.query), expected[case.query].text)
        for case in CASES["sparqlwrapper"]
    }


@pytest.fixture(scope="module")
def sparqlwrapper_outcomes(batches: Batches) -> dict[str, Outcome]:
    return _outcomes("sparqlwrapper", batches)


@pytest.mark.parametrize("case", _params("sparqlwrapper"))
def test_sparqlwrapper(
    case: Case, sparqlwrapper_outcomes: dict[str, Outcome], expected: dict[str, Expected]
) -> None:
    check(case, expected[case.query], sparqlwrapper_outcomes[case.id])


# ---------------------------------------------------------------------------------------------------
# Jena ARQ (QueryExecutionHTTP, as rsparql): one JVM runs every case

JENA_THREADS = (
    4  # cases at a time in the one JVM (one at a time, its JIT still cold, it is the slowest batch)
)
JENA_SEND_MODE = {"get": "asGetAlways", "post-form": "asPostForm", "post-direct": "asPost"}


def _media(fmt: str) -> str:
    return RESULT_MEDIA.get(fmt) or GRAPH_MEDIA[fmt]


def _run_jena(server: Running, queries: Path, tmp: Path) -> dict[str, Outcome]:
    java = _which("java", "Apache Jena runs on the JVM")
    javac = _which("javac", "the Jena client is compiled at test time")
    if not Path("/usr/share/java/jena-arq.jar").is_file():
        raise Missing("/usr/share/java/jena-arq.jar", "Debian's libapache-jena-java", folder=True)
    classpath = subprocess.run(
        ["bash", str(ROOT / "scripts" / "jena-classpath")], capture_output=True, text=True, check=True
    ).stdout.strip()
    # the JSON-LD 1.0 parser that RemoteQueries falls back to (see there) needs Apache HttpClient's cache
    cache = Path("/usr/share/java/httpclient-cache.jar")
    if cache.is_file():
        classpath += f":{cache}"
    classes = tmp / "classes"
    classes.mkdir(parents=True)
    subprocess.run(
        [javac, "-nowarn", "-d", str(classes), "-cp", classpath, str(JENA_SOURCE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=BATCH_TIMEOUT,
    )
    lines, outputs, requests = [], {}, {}
    for case in CASES["jena"]:
        out = tmp / f"{case.id}.out"
        accept = _media(case.fmt)
        mode = JENA_SEND_MODE[case.method]
        endpoint = _endpoint(server, case.query)
        lines.append(
            "\t".join([case.id, str(queries / f"{case.query}.rq"), accept, mode, endpoint, str(out)])
        )
        outputs[case.id] = out
        requests[case.id] = f"Jena QueryExecutionHTTP sendMode={mode} Accept: {accept} to {endpoint}"
    (tmp / "cases.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [java, "-cp", f"{classpath}:{classes}", "RemoteQueries", str(tmp / "cases.tsv"), str(JENA_THREADS)],
        capture_output=True,
        text=True,
        timeout=BATCH_TIMEOUT,
        cwd=tmp,
    )
    status = {}
    for line in done.stdout.splitlines():
        case_id, state, content_type = [*line.split("\t"), "", ""][:3]
        status[case_id] = (state, content_type)
    outcomes = {}
    for case in CASES["jena"]:
        outcome = Outcome(requests[case.id])
        state, content_type = status.get(case.id, ("missing", ""))
        outcome.content_type = content_type or None
        out = outputs[case.id]
        if state != "ok":
            error = Path(f"{out}.error")
            outcome.error = (
                _jena_error(error.read_text())
                if error.is_file()
                else f"no result (the JVM said: {done.stderr[-2000:]})"
            )
        else:
            data = out.read_bytes()
            try:
                if _is_graph(case.named):
                    outcome.answer = _graph(data, "ntriples")
                elif case.named.form == "ASK":
                    outcome.answer = data.strip() == b"true"
                else:
                    solutions = _json_solutions(json.loads(data))
                    assert isinstance(solutions, Solutions)
                    # Jena reads CSV into plain literals: the IRIs and datatypes are not there to compare
                    outcome.answer = solutions.as_text() if case.fmt == "csv" else solutions
            except Exception as exc:
                outcome.error = f"its answer does not parse: {type(exc).__name__}: {exc}"
        outcomes[case.id] = outcome
    return outcomes


def _jena_error(trace: str) -> str:
    """The exception's message and, for an HTTP error, the response's code and body, without the stack."""
    lines = [line for line in trace.splitlines() if not line.lstrip().startswith("at ")]
    return "\n".join(lines[:12])


@pytest.fixture(scope="module")
def jena_outcomes(batches: Batches) -> dict[str, Outcome]:
    return _outcomes("jena", batches)


@pytest.mark.slow
@pytest.mark.parametrize("case", _params("jena"))
def test_jena(case: Case, jena_outcomes: dict[str, Outcome], expected: dict[str, Expected]) -> None:
    check(case, expected[case.query], jena_outcomes[case.id])


# ---------------------------------------------------------------------------------------------------
# curl: one process, one transfer per case (GET, POST form, POST application/sparql-query), Accept for each


WRITE_OUT = r"\t%{http_code}\t%{content_type}\n"  # after the case's id: curl prints it after each transfer


def _curl_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_curl(server: Running, queries: Path, tmp: Path) -> dict[str, Outcome]:
    curl = _which("curl", "the curl cases")
    tmp.mkdir(parents=True)
    config = ["silent", "show-error"]
    requests, outputs = {}, {}
    for index, case in enumerate(CASES["curl"]):
        accept = _media(case.fmt)
        query_file = queries / f"{case.query}.rq"
        out = tmp / f"{index}.body"
        endpoint = _endpoint(server, case.query)
        outputs[case.id] = out
        if index:
            config.append("next")
        config += [
            f"url = {_curl_quote(endpoint)}",
            f"output = {_curl_quote(str(out))}",
            f"header = {_curl_quote('Accept: ' + accept)}",
            f"write-out = {_curl_quote(case.id + WRITE_OUT)}",
        ]
        if case.method == "get":
            config += ["get", f"data-urlencode = {_curl_quote('query@' + str(query_file))}"]
            requests[case.id] = (
                f"curl -G --data-urlencode query@{case.query}.rq -H 'Accept: {accept}' {endpoint}"
            )
        elif case.method == "post-form":
            config.append(f"data-urlencode = {_curl_quote('query@' + str(query_file))}")
            requests[case.id] = (
                f"curl --data-urlencode query@{case.query}.rq -H 'Accept: {accept}' {endpoint}"
            )
        else:
            config += [
                f"data-binary = {_curl_quote('@' + str(query_file))}",
                f"header = {_curl_quote('Content-Type: application/sparql-query')}",
            ]
            requests[case.id] = (
                f"curl --data-binary @{case.query}.rq -H 'Content-Type: application/sparql-query' "
                f"-H 'Accept: {accept}' {endpoint}"
            )
    (tmp / "curl.config").write_text("\n".join(config) + "\n", encoding="utf-8")
    done = subprocess.run(
        [curl, "--config", str(tmp / "curl.config")], capture_output=True, text=True, timeout=BATCH_TIMEOUT
    )
    status = {}
    for line in done.stdout.splitlines():
        case_id, code, content_type = [*line.split("\t"), "", ""][:3]
        status[case_id] = (code, content_type)
    outcomes = {}
    for case in CASES["curl"]:
        outcome = Outcome(requests[case.id])
        code, content_type = status.get(case.id, ("000", ""))
        body = outputs[case.id].read_bytes() if outputs[case.id].is_file() else b""
        if code != "200":
            outcome.error = (
                f"HTTP {code} ({content_type}): {body[:600].decode('utf-8', 'replace')} {done.stderr[-300:]}"
            )
        else:
            outcome.content_type = content_type
            try:
                outcome.answer = (
                    _graph(body, case.fmt) if case.fmt in GRAPH_MEDIA else RESULT_PARSERS[case.fmt](body)
                )
            except Exception as exc:
                outcome.error = f"the body does not parse as {case.fmt}: {type(exc).__name__}: {exc}"
        outcomes[case.id] = outcome
    return outcomes


@pytest.fixture(scope="module")
def curl_outcomes(batches: Batches) -> dict[str, Outcome]:
    return _outcomes("curl", batches)


@pytest.mark.parametrize("case", _params("curl"))
def test_curl(case: Case, curl_outcomes: dict[str, Outcome], expected: dict[str, Expected]) -> None:
    check(case, expected[case.query], curl_outcomes[case.id])


# ---------------------------------------------------------------------------------------------------
# Comunica (@comunica/query-sparql, pinned in tests/clients/comunica/): one node process runs every case


def _run_comunica(server: Running, expected: dict[str, Expected], tmp: Path) -> dict[str, Outcome]:
    node = _which("node", "Comunica runs on node")
    if not (COMUNICA_DIR / "node_modules" / "@comunica" / "query-sparql").is_dir():
        raise Missing(str(COMUNICA_DIR / "node_modules"), "Comunica, by npm ci", folder=True)
    cases = [
        {
            "id": case.id,
            "query": expected[case.query].text,
            "endpoint": _endpoint(server, case.query),
            "accept": case.fmt if case.fmt in RESULT_MEDIA else None,
        }
        for case in CASES["comunica"]
    ]
    endpoints = {c["id"]: c["endpoint"] for c in cases}
    done = subprocess.run(
        [node, str(COMUNICA_DIR / "run.mjs")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=BATCH_TIMEOUT,
        cwd=COMUNICA_DIR,
    )
    if done.returncode != 0:
        raise RuntimeError(f"run.mjs exited with {done.returncode}: {done.stderr[-3000:]}")
    outcomes = {}
    for result in json.loads(done.stdout):
        requests = result["requests"]
        shown = "; ".join(
            f"{r['method']} {r['url']} Accept: {r['accept']}"
            + (f" Content-Type: {r['contentType']}" if r["contentType"] else "")
            + f" → {r.get('status')} {r.get('responseType')}"
            for r in requests
        )
        endpoint = endpoints[result["id"]]
        outcome = Outcome(f"Comunica, source {{type: 'sparql', value: {endpoint}}}: {shown or 'no request'}")
        outcome.notes += _comunica_request_problems(requests, endpoint, result["id"])
        if not result["ok"]:
            outcome.error = result.get("error", "?")[:2000]
        elif result["type"] == "bindings":
            rows = [_row({v: _json_term(t) for v, t in b.items()}) for b in result["bindings"]]
            outcome.answer = Solutions(result["variables"], rows)
        elif result["type"] == "boolean":
            outcome.answer = bool(result["boolean"])
        else:
            outcome.answer = _json_graph(result["triples"])
        outcomes[result["id"]] = outcome
    return outcomes


def _comunica_request_problems(requests: list[dict[str, Any]], endpoint: str, case_id: str) -> list[str]:
    """Comunica must send the query to the endpoint (not fetch a dump and query it itself): every request
    goes to the endpoint, and one of them carries the whole query."""
    problems = [
        f"a request to {r['url']}, not the endpoint" for r in requests if not r["url"].startswith(endpoint)
    ]
    if not any(r["query"] for r in requests):
        problems.append("no request carried a query")
    elif len([r for r in requests if r["query"]]) > 1:
        problems.append(f"{len(requests)} requests: Comunica split the query instead of sending it whole")
    return problems


@pytest.fixture(scope="module")
def comunica_outcomes(batches: Batches) -> dict[str, Outcome]:
    return _outcomes("comunica", batches)


@pytest.mark.parametrize("case", _params("comunica"))
def test_comunica(case: Case, comunica_outcomes: dict[str, Outcome], expected: dict[str, Expected]) -> None:
    check(case, expected[case.query], comunica_outcomes[case.id])


# ---------------------------------------------------------------------------------------------------
# The `rsparql` command itself (the batch above runs what it runs, in one JVM): two calls


@pytest.mark.slow  # Jena's rsparql: a JVM
@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        pytest.param(
            "sparql",
            "CONSTRUCT { <s> <p> 1 } WHERE {}",  # rsparql sends relative IRIs as written
            "",  # checked as a graph below
            id="relative-iris",
        ),
        pytest.param(
            "sparql/reasoned",
            "SELECT ?name WHERE { <https://w3id.org/alliance-kg/id/vehicle/nissan-micra> "
            "a <https://schema.org/Car> ; <https://schema.org/name> ?name }",
            "Nissan Micra",
            id="reasoned-schema-org",
        ),
    ],
)
def test_the_rsparql_command(server: Running, tmp_path: Path, path: str, query: str, expected: str) -> None:
    java = _which("java", "Jena's rsparql runs on the JVM")
    classpath = subprocess.run(
        ["bash", str(ROOT / "scripts" / "jena-classpath")], capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp_path / "q.rq").write_text(query + "\n", encoding="utf-8")
    done = subprocess.run(
        [java, "-cp", classpath, "arq.rsparql", "--service", server.base + path, "--query",
         str(tmp_path / "q.rq"), "--results=csv" if query.startswith("SELECT") else "--results=nt"],
        capture_output=True,
        text=True,
        timeout=BATCH_TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    if query.startswith("SELECT"):
        assert done.stdout.splitlines() == ["name", expected]
    else:
        graph = Graph().parse(data=done.stdout, format="nt")
        base = server.base  # the endpoint is …/sparql: relative IRIs resolve against it, to the server's root
        assert {(str(s), str(p), str(o)) for s, p, o in graph} == {(base + "s", base + "p", "1")}
