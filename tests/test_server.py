"""`alliance-kg serve`: the SPARQL endpoint and the dereferenceable IRIs, tested against a real server process
on a free 127.0.0.1 port, with real clients — SPARQLWrapper runs every competency query and must get the CLI's
answers; rapper and Jena RIOT parse what the resource IRIs return — and with the refusals proven: SPARQL
Update, SERVICE and LOAD never reach a listener on 127.0.0.1, oversized requests and runaway queries are
stopped with a message, and the server answers afterwards."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from conftest import IN_CI, ROOT, require_program
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from alliance_kg import __version__, catalogue
from alliance_kg.namespaces import BASE, GRAPH, ID
from alliance_kg.server import queries as server_queries
from alliance_kg.store import open_store

TIMEOUT = 2.0  # the server's per-query time limit in these tests
MAX_RESULTS = 2000
MAX_REQUEST = 16_384
MICRA = ID + "vehicle/nissan-micra"
NO_TRACEBACK = re.compile(r"Traceback|File \"/", re.M)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running:
    """A server process: its base URL, PID, log file and query-worker PIDs."""

    def __init__(self, process: subprocess.Popen, base: str, log: Path) -> None:
        self.process = process
        self.base = base
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def endpoint(self) -> str:
        return self.base + "sparql"

    def worker_pids(self) -> list[int]:
        found = re.findall(r"query workers ready \(PIDs ([\d, ]+)\)", self.log.read_text())
        return [int(p) for p in found[-1].split(",")] if found else []


@contextlib.contextmanager
def start_server(tmp: Path, *args: str) -> Iterator[Running]:
    """Start `python -m alliance_kg serve` on a free port; wait until it answers; stop it by its PID."""
    port = free_port()
    log = tmp / f"server-{port}.log"
    argv = [sys.executable, "-m", "alliance_kg", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, stdin=subprocess.DEVNULL
        )
    running = Running(process, f"http://127.0.0.1:{port}/", log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
            try:
                if (
                    httpx.get(running.endpoint, headers={"Accept": "text/turtle"}, timeout=2).status_code
                    == 200
                ):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within 120 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("serve")
    with start_server(
        tmp,
        "--timeout", str(TIMEOUT),
        "--max-results", str(MAX_RESULTS),
        "--max-request-bytes", str(MAX_REQUEST),
        "--workers", "2",
        "--quiet",
    ) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def client(server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as c:
        yield c


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    watching = Listener()
    yield watching
    watching.close()


# ---------------------------------------------------------------------------------------------------
# Every competency query, through SPARQLWrapper, gives the CLI's answer

QUERIES = catalogue.catalogue()


@pytest.fixture(scope="module")
def page_store() -> ox.Store:
    return open_store()


def _cli(name: str, fmt: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "alliance_kg", "query", name, "--format", fmt],
        capture_output=True,
        cwd=ROOT,
        check=True,
    )
    return done.stdout


def _rows(bindings: list[dict], ordered: bool) -> list[str]:
    rows = [json.dumps(b, sort_keys=True) for b in bindings]
    return rows if ordered else sorted(rows)


@pytest.mark.parametrize("query", [pytest.param(q, id=q.name) for q in QUERIES])
def test_competency_query_over_sparqlwrapper_matches_cli(
    query, server: Running, page_store: ox.Store
) -> None:
    from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

    from alliance_kg.params import bind

    text = server_queries.with_bindings(query, bind(query, {}, page_store))
    # a reasoned query asks the reasoned endpoint, whose default graph is the closure `query --reasoned` reads
    client = SPARQLWrapper(server.endpoint + ("/reasoned" if query.reasoned else ""))
    client.setQuery(text)
    # SPARQLWrapper guesses the form with regular expressions, and a comment can fool it (list-external-facts:
    # "the page then adds precision" reads as an ADD update, which it would send as update=…): say it
    client.queryType = query.form
    client.setMethod(POST)
    if query.form in ("SELECT", "ASK"):
        client.setReturnFormat(JSON)
        answer = client.queryAndConvert()
        expected = json.loads(_cli(query.name, "json"))
        if query.form == "ASK":
            assert answer["boolean"] == expected["boolean"]
        else:
            assert answer["head"]["vars"] == expected["head"]["vars"]
            ordered = re.search(r"\bORDER\s+BY\b", query.text, re.I) is not None
            got = _rows(answer["results"]["bindings"], ordered)
            assert got == _rows(expected["results"]["bindings"], ordered)
            assert got, f"{query.name} answers nothing: the comparison would prove little"
    else:
        client.setReturnFormat(TURTLE)
        answer = client.queryAndConvert()
        got = Graph().parse(data=answer, format="turtle")
        expected = Graph().parse(data=_cli(query.name, "nt"), format="nt")
        assert len(got) > 0
        assert isomorphic(got, expected), (
            f"{query.name}: {len(got)} triples against the CLI's {len(expected)}"
        )


# ---------------------------------------------------------------------------------------------------
# The protocol

SELECT = "SELECT ?m ?name WHERE { ?m a akg:VehicleModel ; akg:name ?name } ORDER BY ?name"
CONSTRUCT = "CONSTRUCT { ?m akg:builtOnPlatform ?p } WHERE { ?m akg:builtOnPlatform ?p }"


def test_get_post_form_and_post_query_agree(client: httpx.Client) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    by_get = client.get("sparql", params={"query": SELECT}, headers=accept)
    by_form = client.post("sparql", data={"query": SELECT}, headers=accept)
    by_body = client.post(
        "sparql", content=SELECT.encode(), headers={**accept, "Content-Type": "application/sparql-query"}
    )
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert by_get.json() == by_form.json() == by_body.json()
    assert len(by_get.json()["results"]["bindings"]) == 6


@pytest.mark.parametrize(
    ("accept", "media", "check"),
    [
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            lambda b: json.loads(b)["head"],
        ),
        ("application/sparql-results+xml", "application/sparql-results+xml", lambda b: b"<sparql" in b),
        ("text/csv", "text/csv", lambda b: b.splitlines()[0] == b"m,name" and len(b.splitlines()) == 7),
        (
            "text/tab-separated-values",
            "text/tab-separated-values",
            lambda b: b.splitlines()[0] == b"?m\t?name",
        ),
        ("*/*", "application/sparql-results+json", lambda b: json.loads(b)["results"]),
        ("text/html;q=0.9, text/csv", "text/csv", lambda b: b.startswith(b"m,name") and b.count(b"\n") == 7),
    ],
)
def test_select_results_are_negotiated(client: httpx.Client, accept: str, media: str, check) -> None:
    response = client.get("sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    assert check(response.content)
    if media == "text/csv":  # lossy: Oxigraph does not read it back
        return
    parsed = ox.parse_query_results(
        response.content,
        format={
            "application/sparql-results+json": ox.QueryResultsFormat.JSON,
            "application/sparql-results+xml": ox.QueryResultsFormat.XML,
            "text/csv": ox.QueryResultsFormat.CSV,
            "text/tab-separated-values": ox.QueryResultsFormat.TSV,
        }[media],
    )
    assert len(list(parsed)) == 6


@pytest.mark.parametrize(
    ("accept", "media", "rdflib_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_construct_results_are_negotiated(
    client: httpx.Client, accept: str, media: str, rdflib_format: str
) -> None:
    response = client.post("sparql", data={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    graph = Graph().parse(data=response.content, format=rdflib_format)
    assert len(graph) == 6


def test_what_cannot_be_produced_is_406(client: httpx.Client) -> None:
    png = client.get("sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert png.status_code == 406
    assert "application/sparql-results+json" in png.text
    turtle_for_select = client.get("sparql", params={"query": SELECT}, headers={"Accept": "text/turtle"})
    assert turtle_for_select.status_code == 406
    csv_for_construct = client.get("sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert csv_for_construct.status_code == 406
    assert "text/turtle" in csv_for_construct.text


def test_default_and_named_graph_uris_are_honoured(client: httpx.Client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    accept = {"Accept": "application/sparql-results+json"}

    def n(params: list[tuple[str, str]]) -> int:
        response = client.get("sparql", params=[("query", count), *params], headers=accept)
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    everything = n([])
    sources = n([("default-graph-uri", GRAPH + "sources")])
    data = n([("default-graph-uri", GRAPH + "data")])
    both = n([("default-graph-uri", GRAPH + "sources"), ("default-graph-uri", GRAPH + "data")])
    assert 0 < sources < everything and 0 < data < everything and both == sources + data
    assert n([("named-graph-uri", GRAPH + "data")]) == 0  # named graphs only: the default graph is empty
    named = client.get(
        "sparql",
        params=[
            ("query", "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"),
            ("named-graph-uri", GRAPH + "data"),
        ],
        headers=accept,
    ).json()
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [GRAPH + "data"]
    # a query's own FROM is honoured; the protocol's dataset replaces it (SPARQL 1.1 Protocol, 2.1.4)
    from_data = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPH}data> WHERE {{ ?s ?p ?o }}"

    def n_of(query: str, params: list[tuple[str, str]]) -> int:
        response = client.get("sparql", params=[("query", query), *params], headers=accept)
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    assert n_of(from_data, []) == data
    assert n_of(from_data, [("default-graph-uri", GRAPH + "sources")]) == sources


def test_an_unknown_graph_is_refused_with_400(client: httpx.Client, listener: Listener) -> None:
    response = client.get(
        "sparql", params=[("query", "ASK { ?s ?p ?o }"), ("default-graph-uri", listener.url + "graph")]
    )
    assert response.status_code == 400
    assert "not a graph of this dataset" in response.text and GRAPH + "data" in response.text
    time.sleep(0.3)
    assert listener.connections == 0


def test_bad_requests_get_clear_messages(client: httpx.Client) -> None:
    no_query = client.get("sparql", params={"format": "json"})
    assert no_query.status_code in (200, 400)  # no query: the service description
    empty = client.post("sparql", data={"query": "  "})
    assert empty.status_code == 400 and "no query" in empty.text
    syntax = client.get("sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert syntax.status_code == 400 and "syntax error" in syntax.text.lower() and "line 1" in syntax.text
    two = client.get("sparql", params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert two.status_code == 400
    wrong_type = client.post("sparql", content=b"query=ASK{}", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415 and "application/sparql-query" in wrong_type.text
    not_utf8 = client.post(
        "sparql", content=b'ASK { ?s ?p "\xff" }', headers={"Content-Type": "application/sparql-query"}
    )
    assert not_utf8.status_code == 400
    method = client.put("sparql", content=b"x")
    assert method.status_code == 405
    for response in (empty, syntax, two, wrong_type, not_utf8, method):
        assert not NO_TRACEBACK.search(response.text), response.text


def test_service_description(server: Running, client: httpx.Client) -> None:
    response = client.get("sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    sd = Graph().parse(data=response.text, format="turtle")
    ns = "http://www.w3.org/ns/sparql-service-description#"
    from rdflib import RDF

    services = list(sd.subjects(RDF.type, URIRef(ns + "Service")))
    assert len(services) == 1
    assert (services[0], URIRef(ns + "endpoint"), URIRef(server.endpoint)) in sd
    assert (services[0], URIRef(ns + "supportedLanguage"), URIRef(ns + "SPARQL11Query")) in sd
    names = {str(o) for o in sd.objects(None, URIRef(ns + "name"))}
    assert {GRAPH + "data", GRAPH + "ontology", GRAPH + "inferred"} <= names
    # a browser gets the query page at the same address
    page = client.get("sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and "<textarea" in page.text


def test_cors(client: httpx.Client) -> None:
    preflight = client.options(
        "sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://yasgui.example")
    assert "POST" in preflight.headers["access-control-allow-methods"]
    simple = client.get("sparql", params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"})
    assert simple.headers["access-control-allow-origin"] == "*"


def test_query_page_lists_every_competency_query(client: httpx.Client, server: Running) -> None:
    page = client.get("", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'id="query"' in page.text and 'id="catalogue"' in page.text
    for query in QUERIES:
        assert f'value="{query.name}"' in page.text
    # nothing from elsewhere: every script and style sheet is this server's
    for url in re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', page.text):
        assert url.startswith(server.base) or url.startswith("data:"), url
    assert "Content-Security-Policy" in page.headers or "content-security-policy" in page.headers
    script = client.get("static/query.js")
    assert script.status_code == 200 and "fetch(" in script.text


# ---------------------------------------------------------------------------------------------------
# The refusals

UPDATES = [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/alliance-kg/graph/data>",
    "PREFIX akg: <https://w3id.org/alliance-kg/ontology#>\n"
    "DELETE { ?s ?p ?o } INSERT { ?s akg:x 1 } WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_sparql_update_is_refused_every_way(client: httpx.Client, update: str) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    accept = {"Accept": "application/sparql-results+json"}
    before = client.get("sparql", params={"query": count}, headers=accept).json()
    attempts = [
        client.post("sparql", data={"update": update}),
        client.post("sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"}),
        client.get("sparql", params={"update": update}),
        client.post("sparql", data={"query": update}),
        client.get("sparql", params={"query": update}),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert "read-only" in response.text
    assert client.get("sparql", params={"query": count}, headers=accept).json() == before


SERVICE_QUERIES = [
    "SELECT * WHERE {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
    "select * where {{ sErViCe SILENT <{url}sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE <{url}x> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "SELECT * WHERE {{ {{ ?a ?b ?c }} UNION {{ SERVICE <{url}x> {{ ?s ?p ?o }} }} }} LIMIT 1",
    "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}x> {{ ?s ?p ?o }} }} }} }}",
    "ASK {{ ?a ?b ?c FILTER EXISTS {{ SERVICE <{url}x> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ ?a ?b ?c MINUS {{ SERVICE <{url}x> {{ ?a ?b ?c }} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}x> {{ ?s ?p ?o }} }}",
    "PREFIX remote: <{url}>\nSELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}x> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "# a comment\nSELECT * WHERE {{ # SERVICE in a comment, then for real:\n"
    " SERVICE <{url}x> {{ ?s ?p ?o }} }}",
    # a comment ends at a carriage return too (the SPARQL grammar's EOL): what follows it is live
    "SELECT * WHERE {{ # \r SERVICE <{url}x> {{ ?s ?p ?o }}\n }}",
    # Oxigraph reads a keyword at the start of a run of letters, with no word boundary
    "PREFIX : <{url}>\nSELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICESILENT<{url}x> {{ ?s ?p ?o }} }}",
]


def test_a_codepoint_escape_outside_iris_and_strings_spells_nothing(
    client: httpx.Client, listener: Listener
) -> None:
    """SPARQL 1.2 (and Oxigraph) read a ``\\u`` escape only inside IRIs and strings: elsewhere it begins
    no token, so the query is a syntax error — refused, and nothing is fetched."""
    with pytest.raises(SyntaxError):
        ox.Store().query("\\u0053ELECT * WHERE {}")
    query = f"SELECT * WHERE {{ \\u0053ERVICE <{listener.url}x> {{ ?s ?p ?o }} }}"
    response = client.get("sparql", params={"query": query})
    assert response.status_code == 400, response.text
    assert "line 1, column 18" in response.text and "no SPARQL token begins here" in response.text
    time.sleep(0.3)
    assert listener.connections == 0


def test_the_listener_does_see_a_service_call_when_nothing_refuses_it(listener: Listener) -> None:
    """The control: straight on pyoxigraph, SERVICE does connect — so the refusals below prove something."""
    store = ox.Store()

    def run() -> None:
        with contextlib.suppress(Exception):
            list(store.query(f"SELECT * WHERE {{ SERVICE <{listener.url}sparql> {{ ?s ?p ?o }} }}"))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert listener.connections >= 1


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_service_is_refused_before_it_runs(client: httpx.Client, listener: Listener, template: str) -> None:
    query = template.format(url=listener.url)
    for response in (
        client.get("sparql", params={"query": query}),
        client.post("sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"}),
    ):
        assert response.status_code == 403, response.text
        assert "SERVICE" in response.text and "refused" in response.text
    time.sleep(0.3)
    assert listener.connections == 0


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?x WHERE {{ BIND("SERVICE <{url}x> {{ ?s ?p ?o }}" AS ?x) }}',
        "# SERVICE <{url}x> {{ ?s ?p ?o }}\nSELECT ?x WHERE {{ BIND(1 AS ?x) }}",
        "SELECT ?x WHERE {{ BIND(<{url}service> AS ?x) }}",
    ],
)
def test_the_word_service_in_a_string_comment_or_iri_is_harmless(
    client: httpx.Client, listener: Listener, query: str
) -> None:
    """The check reads the parsed query, not the text: these run (and still connect nowhere)."""
    response = client.get(
        "sparql",
        params={"query": query.format(url=listener.url)},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 1
    time.sleep(0.2)
    assert listener.connections == 0


def test_load_is_refused_and_fetches_nothing(client: httpx.Client, listener: Listener) -> None:
    for update in (
        f"LOAD <{listener.url}data.ttl>",
        f"LOAD SILENT <{listener.url}data.ttl> INTO GRAPH <urn:g>",
    ):
        for response in (
            client.post("sparql", data={"update": update}),
            client.post("sparql", data={"query": update}),
            client.post(
                "sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"}
            ),
        ):
            assert response.status_code == 403, response.text
    assert "LOAD" in client.post("sparql", data={"query": f"LOAD <{listener.url}x>"}).text
    time.sleep(0.3)
    assert listener.connections == 0


@pytest.mark.parametrize(
    "template",
    [
        # not SPARQL 1.1 (a LATERAL join, which Oxigraph takes): the old gate, rdflib's parser, refused it
        # as a syntax error; the lexer sees the SERVICE in it
        "SELECT * WHERE {{ ?s ?p ?o LATERAL {{ SERVICE <{url}x> {{ ?s ?p ?o }} }} }}",
        # SERVICE in SERVICE, on which rdflib's parser recursed without end
        "SELECT * WHERE {{ SERVICE <{url}x> {{ SERVICE <{url}y> {{ ?s ?p ?o }} }} }}",
    ],
)
def test_service_beyond_sparql_11_is_refused(client: httpx.Client, listener: Listener, template: str) -> None:
    response = client.get("sparql", params={"query": template.format(url=listener.url)})
    assert response.status_code == 403, response.text
    assert "SERVICE is refused" in response.text
    time.sleep(0.3)
    assert listener.connections == 0


def test_an_oversized_request_is_refused(client: httpx.Client) -> None:
    padding = "#" + "x" * (MAX_REQUEST + 10) + "\n"
    big = padding + "ASK {}"
    posted = client.post("sparql", content=big.encode(), headers={"Content-Type": "application/sparql-query"})
    assert posted.status_code == 413 and "bytes" in posted.text
    form = client.post("sparql", data={"query": big})
    assert form.status_code == 413
    in_url = client.get(
        "sparql?query=" + quote("#" + "x" * (MAX_REQUEST - 100)) + quote("x" * 200 + "\nASK {}")
    )
    assert in_url.status_code == 414 and "POST" in in_url.text
    # a request just under the limit still works
    small = "#" + "x" * (MAX_REQUEST - 200) + "\nASK {}"
    ok = client.post("sparql", content=small.encode(), headers={"Content-Type": "application/sparql-query"})
    assert ok.status_code == 200, ok.text


def test_the_result_size_is_capped(client: httpx.Client) -> None:
    everything = client.get("sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert everything.status_code == 400
    assert f"more than {MAX_RESULTS:,}" in everything.text and "LIMIT" in everything.text
    graph = client.get("sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert graph.status_code == 400 and "triples" in graph.text
    page = client.get(
        "sparql",
        params={"query": f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_RESULTS}"},
        headers={"Accept": "text/csv"},
    )
    assert page.status_code == 200 and len(page.text.splitlines()) == MAX_RESULTS + 1


def test_a_runaway_query_is_stopped_and_the_server_keeps_answering(
    client: httpx.Client, server: Running
) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 3,857³ rows
    results: dict[str, httpx.Response] = {}

    def slow() -> None:
        with httpx.Client(base_url=server.base, timeout=60) as other:
            results["slow"] = other.get("sparql", params={"query": runaway})

    workers_before = server.worker_pids()
    started = time.monotonic()
    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    # meanwhile: a page and a query still answer, quickly
    page = client.get("doc/vehicle/nissan-micra.html")
    quick = client.get(
        "sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert page.status_code == 200 and quick.status_code == 200 and quick.json()["boolean"] is True
    assert time.monotonic() - started < TIMEOUT
    thread.join(30)
    elapsed = time.monotonic() - started
    response = results["slow"]
    assert response.status_code == 503, response.text
    assert "time limit" in response.text and f"{TIMEOUT:g} s" in response.text
    assert TIMEOUT <= elapsed < TIMEOUT + 5
    # the worker that ran it was killed and replaced; the server answers as before
    time.sleep(1.5)
    assert client.get("sparql", params={"query": "ASK {}"}).status_code == 200
    again = client.get(
        "sparql", params={"query": SELECT}, headers={"Accept": "application/sparql-results+json"}
    )
    assert len(again.json()["results"]["bindings"]) == 6
    if workers_before:
        killed = [pid for pid in workers_before if not _alive(pid)]
        assert len(killed) == 1, (workers_before, killed)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------------
# Dereferenceable IRIs

RDF_TYPES = [
    ("text/turtle", "ttl", "turtle"),
    ("application/n-triples", "nt", "ntriples"),
    ("application/ld+json", "jsonld", None),
    ("application/rdf+xml", "rdf", "rdfxml"),
]


def test_a_resource_iri_redirects_303_to_its_document(client: httpx.Client, server: Running) -> None:
    html = client.get("id/vehicle/nissan-micra", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.status_code == 303
    assert html.headers["location"] == server.base + "doc/vehicle/nissan-micra.html"
    assert "Accept" in html.headers["vary"]
    for media, ext, _ in RDF_TYPES:
        response = client.get("id/vehicle/nissan-micra", headers={"Accept": media})
        assert response.status_code == 303
        assert response.headers["location"] == server.base + f"doc/vehicle/nissan-micra.{ext}"
        document = client.get(response.headers["location"])
        assert document.status_code == 200
        assert document.headers["content-type"].split(";")[0] == media
    negotiated = client.get("doc/vehicle/nissan-micra", headers={"Accept": "text/turtle"})
    assert negotiated.status_code == 200
    assert negotiated.headers["content-location"] == server.base + "doc/vehicle/nissan-micra.ttl"
    assert client.get("id/vehicle/nissan-micra", headers={"Accept": "image/png"}).status_code == 406


def test_the_description_is_the_cbd_with_sources_and_labels(client: httpx.Client) -> None:
    from rdflib import RDF, RDFS, Literal
    from rdflib.namespace import PROV

    turtle = client.get("doc/vehicle/nissan-micra.ttl").text
    g = Graph().parse(data=turtle, format="turtle")
    micra = URIRef(MICRA)
    platform = URIRef(ID + "platform/ampr-small")
    akg = "https://w3id.org/alliance-kg/ontology#"
    assert (micra, URIRef(akg + "builtOnPlatform"), platform) in g  # canonical IRIs, not local ones
    assert (platform, RDFS.label, Literal("AmpR Small", lang="en")) in g  # the label of what it links to
    statements = [
        st
        for st in g.subjects(RDF.subject, micra)
        if (st, RDF.predicate, URIRef(akg + "builtOnPlatform")) in g
    ]
    assert len(statements) == 1  # the reification: where the fact comes from
    assert (statements[0], PROV.wasDerivedFrom, URIRef(ID + "source/press-release-2025-09-16/p4")) in g
    assert any(g.triples((None, URIRef(akg + "concernsModel"), micra)))  # incoming links
    assert "127.0.0.1" not in turtle


@pytest.mark.slow  # starts a JVM
def test_rapper_and_riot_parse_every_rdf_form(client: httpx.Client, tmp_path: Path) -> None:
    rapper = require_program("rapper", "Raptor parses the RDF a resource IRI returns")
    java = require_program("java", "Jena RIOT parses the RDF a resource IRI returns")
    counts = {}
    files = []
    for media, ext, syntax in RDF_TYPES:
        location = client.get("id/vehicle/nissan-micra", headers={"Accept": media}).headers["location"]
        path = tmp_path / f"nissan-micra.{ext}"
        path.write_bytes(client.get(location).content)
        files.append(path)
        if syntax:
            done = subprocess.run([rapper, "-i", syntax, "-c", str(path)], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            counts[ext] = int(re.search(r"(\d+) triples", done.stderr + done.stdout)[1])
    classpath = _jena_classpath()
    # Debian's Jena 4.5 cannot read JSON-LD at all (its JSON-LD 1.1 reader fails even on a one-triple
    # document, LOADING_DOCUMENT_FAILED, and the 1.0 reader's jsonld-java classes are missing): RIOT checks
    # the other three
    parsed_by_riot = [f for f in files if f.suffix != ".jsonld"]
    done = subprocess.run(
        [java, "-cp", classpath, "riotcmd.riot", "--validate", *map(str, parsed_by_riot)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for path in parsed_by_riot:
        done = subprocess.run(
            [java, "-cp", classpath, "riotcmd.riot", "--count", str(path)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert int(re.search(r"Triples = (\d+)", done.stdout + done.stderr)[1]) == counts["nt"], path
    # JSON-LD: two independent JSON-LD 1.1 processors (rdflib's, Oxigraph's) read the same triples
    jsonld = files[2].read_bytes()
    counts["jsonld"] = len(Graph().parse(data=jsonld, format="json-ld"))
    assert len(list(ox.parse(jsonld, format=ox.RdfFormat.JSON_LD))) == counts["jsonld"]
    assert len(set(counts.values())) == 1 and counts["nt"] > 100, counts


def _jena_classpath() -> str:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "jena-classpath")], capture_output=True, text=True)
    if done.returncode != 0:
        message = f"Apache Jena is not installed ({done.stderr.strip()})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return done.stdout.strip()


def test_every_iri_of_the_graph_answers(client: httpx.Client, page_store: ox.Store, server: Running) -> None:
    iris = {
        term.value
        for quad in page_store
        for term in (quad.subject, quad.predicate, quad.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(BASE)
    }
    assert len(iris) > 400
    for iri in sorted(iris):
        local = server.base + iri[len(BASE) :].split("#", 1)[0]
        redirect = client.get(local, headers={"Accept": "text/html"})
        assert redirect.status_code == 303, (iri, redirect.status_code, redirect.text[:200])
        page = client.get(redirect.headers["location"])
        assert page.status_code == 200, iri
        if "#" in iri:  # a term of the ontology: its section of the documentation
            assert f'id="{iri.split("#", 1)[1]}"' in page.text, iri
        else:
            assert iri in page.text
        assert not NO_TRACEBACK.search(page.text)


def test_the_ontology_iri_serves_the_ontology(client: httpx.Client, server: Running) -> None:
    from rdflib import OWL, RDF

    assert (
        client.get("ontology", headers={"Accept": "text/html"}).headers["location"]
        == server.base + "ontology.html"
    )
    to_turtle = client.get("ontology", headers={"Accept": "text/turtle"})
    assert to_turtle.status_code == 303 and to_turtle.headers["location"] == server.base + "ontology.ttl"
    turtle = client.get("ontology.ttl")
    assert turtle.content == (ROOT / "ontology" / "alliance.ttl").read_bytes()
    ontology = Graph().parse(data=turtle.text, format="turtle")
    for ext, fmt in (("nt", "nt"), ("jsonld", "json-ld"), ("rdf", "xml")):
        assert isomorphic(Graph().parse(data=client.get(f"ontology.{ext}").content, format=fmt), ontology), (
            ext
        )
    html = client.get("ontology.html").text
    akg = "https://w3id.org/alliance-kg/ontology#"
    terms = [
        str(s)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in ontology.subjects(RDF.type, kind)
        if str(s).startswith(akg)
    ]
    assert len(terms) > 100
    for term in terms:
        assert f'id="{term[len(akg) :]}"' in html, term
    assert "built on platform" in html and "vehicle model" in html
    assert client.get(f"ontology/{__version__}", headers={"Accept": "text/turtle"}).status_code == 303
    assert URIRef(akg + "VehicleModel") in set(ontology.subjects())


@pytest.mark.parametrize("path", ["void", ".well-known/void"])
def test_the_dataset_description(client: httpx.Client, server: Running, path: str) -> None:
    from rdflib import RDF

    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    void = Graph().parse(data=response.text, format="turtle")
    ns = "http://rdfs.org/ns/void#"
    datasets = list(void.subjects(RDF.type, URIRef(ns + "Dataset")))
    assert datasets
    assert (None, URIRef(ns + "sparqlEndpoint"), URIRef(server.endpoint)) in void
    assert any(void.triples((None, URIRef(ns + "triples"), None)))
    dumps = [str(o) for o in void.objects(None, URIRef(ns + "dataDump"))]
    assert dumps and all(d.startswith(server.base) for d in dumps)
    dump = client.get(dumps[0][len(server.base) :])
    assert dump.status_code == 200 and len(dump.content) > 1000
    assert client.get(path, headers={"Accept": "text/html"}).headers["content-type"].startswith("text/html")


def test_an_unknown_iri_is_a_helpful_404(client: httpx.Client, server: Running) -> None:
    page = client.get("id/vehicle/nissan-micro", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert (
        "Nissan Micra" in page.text and server.base + "id/vehicle/nissan-micra" in page.text
    )  # did you mean
    text = client.get("id/vehicle/nissan-micro", headers={"Accept": "text/turtle"})
    assert text.status_code == 404 and "nissan-micra" in text.text
    assert client.get("doc/vehicle/nope.ttl").status_code == 404
    assert client.get("no/such/thing").status_code == 404


def test_labels_follow_the_language_asked_for(client: httpx.Client) -> None:
    english = client.get("doc/vehicle/nissan-micra.html").text
    by_param = client.get("doc/vehicle/nissan-micra.html", params={"lang": "fr"}).text
    by_header = client.get(
        "doc/vehicle/nissan-micra.html", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    ).text
    assert "vehicle model" in english and "built on platform" in english
    for french in (by_param, by_header):
        assert "modèle de véhicule" in french and "construit sur la plateforme" in french
    japanese = client.get("doc/organisation/nissan.html", params={"lang": "ja"}).text
    assert "日産" in japanese
    turtle_fr = client.get("doc/vehicle/nissan-micra.ttl", params={"lang": "fr"}).text
    assert '"AmpR Small"' in turtle_fr or "AmpR Small" in turtle_fr


def test_pages_link_locally_and_offer_the_rdf_forms(client: httpx.Client, server: Running) -> None:
    page = client.get("doc/vehicle/nissan-micra.html").text
    assert f'href="{server.base}id/platform/ampr-small"' in page
    for media, ext, _ in RDF_TYPES:
        assert (
            f'<link rel="alternate" type="{media}" href="{server.base}doc/vehicle/nissan-micra.{ext}">'
            in page
        )
    assert "press release ¶4" in page  # the source of facts
    assert 'href="https://w3id.org' not in page.replace(f'href="{MICRA}"', "")  # links stay on this site


def test_conditional_requests(client: httpx.Client) -> None:
    first = client.get("doc/vehicle/nissan-micra.ttl")
    etag = first.headers["etag"]
    again = client.get("doc/vehicle/nissan-micra.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert first.headers["x-content-type-options"] == "nosniff"


def test_base_url_is_used_for_links_and_redirects(tmp_path: Path) -> None:
    base = "https://kg.example.org/akg/"
    with start_server(tmp_path, "--base-url", base, "--no-reasoning", "--workers", "1", "--quiet") as running:
        with httpx.Client(base_url=running.base, timeout=30) as c:
            redirect = c.get("id/vehicle/nissan-micra", headers={"Accept": "text/turtle"})
            assert redirect.headers["location"] == base + "doc/vehicle/nissan-micra.ttl"
            page = c.get("doc/vehicle/nissan-micra.html").text
            assert f'href="{base}id/platform/ampr-small"' in page
            sd = c.get("sparql", headers={"Accept": "text/turtle"}).text
            assert f"<{base}sparql>" in sd
            # without reasoning there is no inferred graph
            assert GRAPH + "inferred" not in sd
            turtle = c.get("doc/vehicle/nissan-micra.ttl").text
            assert "kg.example.org" not in turtle  # the RDF keeps the canonical IRIs
        workers = running.worker_pids()
        assert workers
    # stopped by its PID: the server and its workers are gone
    time.sleep(0.5)
    assert not any(_alive(pid) for pid in workers)


def test_killed_server_leaves_no_worker_behind(tmp_path: Path) -> None:
    with start_server(tmp_path, "--no-reasoning", "--workers", "2", "--quiet") as running:
        workers = running.worker_pids()
        assert len(workers) == 2
        os.kill(running.pid, signal.SIGKILL)
        running.process.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)


def test_data_files_are_served_and_never_fetch(tmp_path: Path, listener: Listener) -> None:
    """--data joins the graph (…/graph/user); RDF/XML with an external entity and JSON-LD with a remote
    @context fetch nothing when loaded."""
    from alliance_kg.errors import DataError
    from alliance_kg.server import dataset

    rdfxml = tmp_path / "entity.rdf"
    rdfxml.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY ext SYSTEM "{listener.url}entity.txt">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        '<rdf:Description rdf:about="https://example.org/x"><rdfs:label>&ext;</rdfs:label></rdf:Description>\n'
        "</rdf:RDF>\n"
    )
    jsonld = tmp_path / "remote.jsonld"
    jsonld.write_text(
        json.dumps({"@context": listener.url + "context.jsonld", "@id": "https://example.org/y", "name": "y"})
    )
    for path in (rdfxml, jsonld):
        with contextlib.suppress(DataError):
            dataset.load([path], reasoning=False)
    time.sleep(0.3)
    assert listener.connections == 0

    mine = tmp_path / "mine.ttl"
    mine.write_text(
        "@prefix akg: <https://w3id.org/alliance-kg/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/alliance-kg/id/vehicle/test-car> a akg:VehicleModel ; rdfs:label "Test car"@en .\n'
    )
    with (
        start_server(tmp_path, "--data", str(mine), "--no-reasoning", "--workers", "1", "--quiet") as running,
        httpx.Client(base_url=running.base, timeout=30) as c,
    ):
        page = c.get("id/vehicle/test-car", follow_redirects=True)
        assert page.status_code == 200 and "Test car" in page.text
        answer = c.get(
            "sparql",
            params=[
                ("query", "SELECT ?m WHERE { ?m a akg:VehicleModel }"),
                ("default-graph-uri", GRAPH + "user"),
            ],
            headers={"Accept": "application/sparql-results+json"},
        ).json()
        assert [b["m"]["value"] for b in answer["results"]["bindings"]] == [ID + "vehicle/test-car"]


def test_bad_options_fail_with_exit_code_2(tmp_path: Path) -> None:
    for args in (
        ["--workers", "0"],
        ["--timeout", "0"],
        ["--port", "70000"],
        ["--data", str(tmp_path / "nope.ttl")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "alliance_kg", "serve", "--port", str(free_port()), *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.startswith("error:") and "Traceback" not in done.stderr
