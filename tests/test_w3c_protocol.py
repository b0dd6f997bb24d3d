"""The W3C SPARQL 1.1 Protocol test suite (``tests/w3c/protocol/manifest.ttl``, vendored from w3c/rdf-tests)
against a real ``alliance-kg serve``: one test per manifest entry, collected from the manifest itself, each
running the requests ``tests/w3c/protocol/cases.toml`` gives for it (the manifest's, with the tests' graphs
mapped onto ours) and checking the response the manifest expects. The SPARQL Update entries are skipped (the
endpoint is read-only) and their updates must be refused with 403, changing nothing. Further tests check that
every entry has a case and every case an entry, that each case says what the manifest says (method,
parameters, headers, body, expected status, format and boolean) or says why not, and that the mapping of the
tests' data onto ours holds on the server."""

from __future__ import annotations

import csv
import io
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.term import Node
from test_server import Running, start_server

PROTOCOL = Path(__file__).resolve().parent / "w3c" / "protocol"
MANIFEST = PROTOCOL / "manifest.ttl"
MANIFEST_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest.ttl"
CASES: dict[str, Any] = tomllib.loads((PROTOCOL / "cases.toml").read_text(encoding="utf-8"))

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
CNT = Namespace("http://www.w3.org/2011/content#")
SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"

# The parameters whose values are graph IRIs, mapped onto ours by the cases' [dataset] table
GRAPH_PARAMETERS = frozenset(
    {"default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"}
)
ENDPOINT_PREFIX = "/sparql/"  # every ht:absolutePath starts with it; it stands for the endpoint's URL

BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
# The manifest's "RDF/XML, Turtle, N-Triples, RDFa" (2012), and JSON-LD, an RDF syntax since 2014
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


# ---------------------------------------------------------------------------------------------------
# The manifest, as data


@dataclass(frozen=True)
class ManifestRequest:
    method: str
    params: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: str | None
    encoding: str | None
    status: frozenset[str]  # "2xx", "3xx", "4xx"
    format: str | None
    boolean: bool | None


@dataclass(frozen=True)
class Entry:
    name: str  # the entry's local name, e.g. "query_post_form"
    title: str  # its mf:name
    requests: tuple[ManifestRequest, ...]


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    values = list(graph.objects(subject, predicate))
    assert len(values) <= 1, f"{subject} has {len(values)} {predicate}"
    return values[0] if values else None


def _text(node: Node | None) -> str | None:
    return None if node is None else str(node)


def _request(graph: Graph, node: Node) -> ManifestRequest:
    path = str(_one(graph, node, HT.absolutePath))
    assert path.startswith(ENDPOINT_PREFIX), path
    query = path[len(ENDPOINT_PREFIX) :]
    assert query == "" or query.startswith("?"), path
    headers: list[tuple[str, str]] = []
    listed = _one(graph, node, HT.headers)
    if listed is not None:
        for header in Collection(graph, listed):
            headers.append(
                (str(_one(graph, header, HT.fieldName)).lower(), str(_one(graph, header, HT.fieldValue)))
            )
    body = _one(graph, node, HT.body)
    response = _one(graph, node, HT.resp)
    assert response is not None, f"{node} has no ht:resp"
    statuses = frozenset(str(s).removeprefix(HTS).lower() for s in graph.objects(response, MF.expectedStatus))
    assert statuses, f"{node} expects no status"
    expected_boolean = _one(graph, response, MF.expectedBoolean)
    return ManifestRequest(
        method=str(_one(graph, node, HT.methodName)),
        params=tuple(parse_qsl(query[1:], keep_blank_values=True, strict_parsing=bool(query[1:]))),
        headers=tuple(headers),
        body=None if body is None else _text(_one(graph, body, CNT.chars)),
        encoding=None if body is None else _text(_one(graph, body, CNT.characterEncoding)),
        status=statuses,
        format=_text(_one(graph, response, MF.expectedFormat)),
        boolean=None if expected_boolean is None else bool(expected_boolean.toPython()),  # type: ignore[union-attr]
    )


def read_manifest(path: Path, base: str) -> list[Entry]:
    graph = Graph().parse(path, format="turtle", publicID=base)
    manifests = list(graph.subjects(RDF.type, MF.Manifest))
    assert len(manifests) == 1, manifests
    entries = []
    for node in Collection(graph, _one(graph, manifests[0], MF.entries)):  # type: ignore[arg-type]
        name = str(node).rsplit("#", 1)[1]
        action = _one(graph, node, MF.action)
        requests = _one(graph, action, HT.requests) if action is not None else None
        entries.append(
            Entry(
                name=name,
                title=str(_one(graph, node, MF.name)),
                requests=tuple(_request(graph, r) for r in Collection(graph, requests))
                if requests is not None
                else (),
            )
        )
    return entries


ENTRIES = read_manifest(MANIFEST, MANIFEST_IRI)
BY_NAME = {entry.name: entry for entry in ENTRIES}


def _param(entry: Entry) -> Any:
    case = CASES["cases"].get(entry.name, {})
    skip = case.get("skip")
    if skip:
        return pytest.param(
            entry.name,
            id=f"{entry.name}-skipped-{skip}",
            marks=pytest.mark.skip(
                reason=f"{entry.name} ({entry.title}): skipped, {skip}: the endpoint takes no SPARQL Update "
                f"(test_w3c_update_entry_refused[{entry.name}-refused-{skip}] checks that it refuses it)"
            ),
        )
    return pytest.param(entry.name, id=entry.name)


# ---------------------------------------------------------------------------------------------------
# The server and the requests


@pytest.fixture(scope="module")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALLIANCE_KG_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        with start_server(tmp_path_factory.mktemp("w3c-protocol"), "--workers", "2", "--quiet") as running:
            yield running


@pytest.fixture(scope="module")
def w3c_client(w3c_server: Running) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        del client.headers["accept"]  # the manifest's requests send none; a case may
        yield client


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response

    def __str__(self) -> str:
        body = self.request.content.decode("utf-8", "backslashreplace")
        sent = "\n".join(f"  {k}: {v}" for k, v in self.request.headers.items())
        got = "\n".join(f"  {k}: {v}" for k, v in self.response.headers.items())
        return (
            f"request: {self.request.method} {self.request.url}\n{sent}\n  body: {body!r}\n"
            f"response: {self.response.status_code}\n{got}\n  body: {self.response.text[:800]!r}"
        )


def send(client: httpx.Client, endpoint: str, spec: dict[str, Any]) -> Exchange:
    body = spec.get("body")
    request = client.build_request(
        spec["method"],
        endpoint,
        params=[tuple(p) for p in spec.get("params", [])],
        headers=[tuple(h) for h in spec.get("headers", [])],
        content=None if body is None else body.encode(spec.get("encoding", "UTF-8")),
    )
    return Exchange(request, client.send(request))


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def boolean_of(response: httpx.Response) -> bool:
    kind = media_type(response)
    if kind == "application/sparql-results+json":
        value = response.json()["boolean"]
        assert isinstance(value, bool), value
        return value
    if kind == "application/sparql-results+xml":
        found = ET.fromstring(response.content).find(f"{SPARQL_RESULTS}boolean")
        assert found is not None and found.text in ("true", "false"), response.text
        return found.text == "true"
    raise AssertionError(f"{kind!r} is no boolean result format (one of {BOOLEAN_TYPES})")


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    """A tabular result's rows: variable name → the value's lexical form (IRIs without <>)."""
    kind = media_type(response)
    if kind == "application/sparql-results+json":
        return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]
    if kind == "application/sparql-results+xml":
        rows = []
        for result in ET.fromstring(response.content).iter(f"{SPARQL_RESULTS}result"):
            rows.append({b.get("name", ""): "".join(b.itertext()).strip() for b in result})
        return rows
    if kind == "text/csv":
        return list(csv.DictReader(io.StringIO(response.text)))
    if kind == "text/tab-separated-values":
        lines = response.text.splitlines()
        names = [n.removeprefix("?") for n in lines[0].split("\t")]
        return [
            {n: _tsv_lexical(v) for n, v in zip(names, line.split("\t"), strict=True)} for line in lines[1:]
        ]
    raise AssertionError(f"{kind!r} is no tabular result format (one of {TABULAR_TYPES})")


def _tsv_lexical(term: str) -> str:
    if term.startswith("<") and term.endswith(">"):
        return term[1:-1]
    if term.startswith('"'):
        return term[1 : term.rindex('"')]
    return term  # an unquoted number


def graph_of(response: httpx.Response) -> list[ox.Triple]:
    """An RDF result's triples, parsed with no base IRI: a relative IRI in it is an error."""
    kind = media_type(response)
    assert kind in RDF_TYPES, f"{kind!r} is no RDF format (one of {tuple(RDF_TYPES)})"
    return list(ox.parse(response.content, format=RDF_TYPES[kind]))


def _rdflib(triples: list[ox.Triple]) -> Graph:
    return Graph().parse(data="\n".join(str(t) + " ." for t in triples), format="nt")


def check(exchange: Exchange, expect: dict[str, Any], endpoint: str) -> None:
    response = exchange.response
    status = f"{response.status_code // 100}xx"
    assert status in expect["status"], (
        f"status {response.status_code}, expected {expect['status']}\n{exchange}"
    )
    try:
        if "content_type" in expect:
            assert media_type(response) == expect["content_type"], (
                f"the media type is {media_type(response)!r}, expected {expect['content_type']!r}"
            )
        fmt = expect.get("format")
        if fmt == "boolean":
            value = boolean_of(response)
            if "boolean" in expect:
                assert value is expect["boolean"], f"the answer is {value}, expected {expect['boolean']}"
        elif fmt == "tabular":
            rows = rows_of(response)
            if "rows" in expect:
                assert rows == expect["rows"], f"the rows are {rows}, expected {expect['rows']}"
        elif fmt == "RDF":
            triples = graph_of(response)
            if "rdf" in expect:
                wanted = list(ox.parse(expect["rdf"].encode(), format=ox.RdfFormat.TURTLE, base_iri=endpoint))
                assert isomorphic(_rdflib(triples), _rdflib(wanted)), (
                    f"the result is {[str(t) for t in triples]}, expected {[str(t) for t in wanted]} "
                    f"(relative IRIs resolved against the endpoint, {endpoint})"
                )
        else:
            assert fmt is None, f"unknown expected format {fmt!r}"
    except (AssertionError, ValueError, SyntaxError, KeyError) as exc:
        raise AssertionError(f"{exc}\n{exchange}") from None


# ---------------------------------------------------------------------------------------------------
# One test per manifest entry


@pytest.mark.parametrize("name", [_param(e) for e in ENTRIES])
def test_w3c_protocol(name: str, w3c_server: Running, w3c_client: httpx.Client) -> None:
    case = CASES["cases"][name]
    for spec in case["requests"]:
        check(send(w3c_client, w3c_server.endpoint, spec), spec["expect"], w3c_server.endpoint)
    for spec in case.get("checks", []):
        try:
            check(send(w3c_client, w3c_server.endpoint, spec), spec["expect"], w3c_server.endpoint)
        except AssertionError as exc:
            raise AssertionError(f"further check ({spec['why']}): {exc}") from None


UPDATES = [e for e in ENTRIES if CASES["cases"].get(e.name, {}).get("skip")]


@pytest.mark.parametrize(
    "name", [pytest.param(e.name, id=f"{e.name}-refused-{CASES['cases'][e.name]['skip']}") for e in UPDATES]
)
def test_w3c_update_entry_refused(name: str, w3c_server: Running, w3c_client: httpx.Client) -> None:
    """A read-only endpoint answers the entry's update with 403 and a message, and nothing changes."""
    case = CASES["cases"][name]
    exchange = send(w3c_client, w3c_server.endpoint, case["requests"][0])
    assert exchange.response.status_code == case["refusal"], f"expected {case['refusal']}\n{exchange}"
    assert "read-only" in exchange.response.text, f"the refusal does not say why\n{exchange}"
    assert case.get("after_refusal"), f"{name}: nothing checked after the refusal"
    for spec in case["after_refusal"]:
        try:
            check(send(w3c_client, w3c_server.endpoint, spec), spec["expect"], w3c_server.endpoint)
        except AssertionError as exc:
            raise AssertionError(f"after the refusal ({spec['why']}): {exc}") from None


# ---------------------------------------------------------------------------------------------------
# The cases against the manifest


def test_every_manifest_entry_has_a_case_and_every_case_an_entry() -> None:
    assert len(ENTRIES) > 0, "no entry collected from the manifest"
    assert len({e.name for e in ENTRIES}) == len(ENTRIES), "an entry is listed twice"
    assert all(e.requests for e in ENTRIES), [e.name for e in ENTRIES if not e.requests]
    names = {e.name for e in ENTRIES}
    cases = set(CASES["cases"])
    assert not names - cases, f"manifest entries without a case: {sorted(names - cases)}"
    assert not cases - names, f"cases without a manifest entry: {sorted(cases - names)}"


def test_only_the_update_entries_are_skipped() -> None:
    skipped = {e.name for e in UPDATES}
    assert skipped, "no update entry collected"
    # an update the manifest expects to succeed (2xx), by a POST of an update or an update= form
    updates = {
        e.name
        for e in ENTRIES
        if any(
            r.status & {"2xx"}
            and (
                ("content-type", "application/sparql-update") in r.headers
                or (r.body or "").startswith("update=")
            )
            for r in e.requests
        )
    }
    assert skipped == updates
    assert all(CASES["cases"][n].get("refusal") == 403 for n in skipped)


def _mapped(params: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    mapping: dict[str, str] = CASES["dataset"]
    return [(k, mapping.get(v, v) if k in GRAPH_PARAMETERS else v) for k, v in params]


@pytest.mark.parametrize("name", [pytest.param(e.name, id=e.name) for e in ENTRIES])
def test_case_follows_the_manifest(name: str) -> None:
    entry = BY_NAME[name]
    case = CASES["cases"][name]
    assert case.get("note"), f"{name}: the case does not say how it differs from the manifest"
    rewritten = bool(case.get("rewritten"))
    assert len(case["requests"]) == len(entry.requests), name
    for number, (ours, theirs) in enumerate(zip(case["requests"], entry.requests, strict=True), 1):
        where = f"{name}, request {number}"
        assert ours["method"] == theirs.method, where
        params = [tuple(p) for p in ours.get("params", [])]
        wanted = _mapped(theirs.params)
        if rewritten:  # the query text is ours; its place and the other parameters are the manifest's
            params = [(k, "…") if k == "query" else (k, v) for k, v in params]
            wanted = [(k, "…") if k == "query" else (k, v) for k, v in wanted]
        assert params == wanted, where
        assert [(k.lower(), v) for k, v in ours.get("headers", [])] == list(theirs.headers), where
        assert (ours.get("body") is None) == (theirs.body is None), where
        if theirs.body is not None:
            assert ours.get("encoding", "UTF-8") == theirs.encoding, where
            if not rewritten:
                assert ours["body"] == theirs.body, where
        expect = ours["expect"]
        assert frozenset(expect["status"]) == theirs.status, where
        assert expect.get("format") == theirs.format, where
        assert expect.get("boolean") == theirs.boolean, where
    for spec in case.get("checks", []) + case.get("after_refusal", []):
        assert spec.get("why"), f"{name}: a further check does not say what it shows"


def test_the_dataset_mapping_holds_on_the_server(w3c_server: Running, w3c_client: httpx.Client) -> None:
    """Each test graph is mapped onto a graph we have, and each test triple onto one that graph of ours
    asserts and no other graph does (the premise of the rewritten dataset queries)."""
    mapping: dict[str, str] = CASES["dataset"]
    resources: dict[str, list[str]] = CASES["resources"]
    assert set(resources) <= set(mapping)
    for test_iri, (resource, cls, graph) in resources.items():
        assert mapping[test_iri] == graph, test_iri
        query = f"SELECT ?g WHERE {{ GRAPH ?g {{ <{resource}> a <{cls}> }} }}"
        exchange = send(w3c_client, w3c_server.endpoint, {"method": "GET", "params": [["query", query]]})
        assert exchange.response.status_code == 200, str(exchange)
        assert rows_of(exchange.response) == [{"g": graph}], f"{test_iri} → {resource}\n{exchange}"
    for graph in set(mapping.values()):
        exchange = send(
            w3c_client,
            w3c_server.endpoint,
            {"method": "GET", "params": [["query", "ASK { ?s ?p ?o }"], ["default-graph-uri", graph]]},
        )
        assert exchange.response.status_code == 200 and boolean_of(exchange.response), str(exchange)


def test_the_manifest_is_the_vendored_one() -> None:
    """The tests' data files are the ones the manifest's ut:graphData names, each its one triple."""
    graph = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST_IRI)
    ut = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
    files = {str(f) for f in graph.objects(None, ut.graph)}
    assert {f.rsplit("/", 1)[1] for f in files} == {"data1.nt", "data2.nt", "data3.nt"}
    for data in graph.objects(None, ut.graphData):
        label = str(_one(graph, data, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        file = PROTOCOL / str(_one(graph, data, ut.graph)).rsplit("/", 1)[1]
        triples = list(Graph().parse(file, format="nt"))
        assert triples == [(URIRef(label), RDF.type, URIRef("http://xmlns.com/foaf/0.1/Document"))], file
        assert label in CASES["resources"], label
