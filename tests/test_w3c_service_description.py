"""The W3C SPARQL 1.1 Service Description test suite (``tests/w3c/service-description/manifest.ttl``,
vendored from w3c/rdf-tests) against a real ``alliance-kg serve``: one test per manifest entry, collected from
the manifest, each doing what ``tests/w3c/service-description/cases.toml`` says (GET on the endpoint's URL
with each RDF ``Accept`` header, then rules over the description, written as SPARQL that returns the
violations, run with rdflib). The W3C validator's optional best-practice tests have a test each too, and every
graph the description names must be one the endpoint takes in ``named-graph-uri``."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from test_server import Running, start_server

SD_DIR = Path(__file__).resolve().parent / "w3c" / "service-description"
MANIFEST = SD_DIR / "manifest.ttl"
MANIFEST_IRI = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/service-description/manifest.ttl"
CASES: dict[str, Any] = tomllib.loads((SD_DIR / "cases.toml").read_text(encoding="utf-8"))

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def read_manifest(path: Path, base: str) -> list[tuple[str, str]]:
    """The manifest's entries, in order: (local name, mf:name)."""
    graph = Graph().parse(path, format="turtle", publicID=base)
    manifests = list(graph.subjects(RDF.type, MF.Manifest))
    assert len(manifests) == 1, manifests
    listed = graph.value(manifests[0], MF.entries)
    assert listed is not None
    return [
        (str(node).rsplit("#", 1)[1], str(graph.value(node, MF.name))) for node in Collection(graph, listed)
    ]


ENTRIES = read_manifest(MANIFEST, MANIFEST_IRI)


@pytest.fixture(scope="module")
def sd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ALLIANCE_KG_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        with start_server(tmp_path_factory.mktemp("w3c-sd"), "--workers", "1", "--quiet") as running:
            yield running


@pytest.fixture(scope="module")
def descriptions(sd_server: Running) -> dict[str, tuple[httpx.Response, Graph | Exception]]:
    """For each Accept header of the cases: the response to GET {endpoint}, and the RDF it parses to (parsed
    by Oxigraph with no base IRI, so a relative IRI is an error) or the parse error."""
    out: dict[str, tuple[httpx.Response, Graph | Exception]] = {}
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        for accept in CASES["accept"]:
            response = client.get(sd_server.endpoint, headers={"Accept": accept})
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            parsed: Graph | Exception
            try:
                if kind not in RDF_TYPES:
                    raise ValueError(f"{kind!r} is no RDF media type")
                triples = ox.parse(response.content, format=RDF_TYPES[kind])
                parsed = Graph().parse(data="\n".join(f"{t} ." for t in triples), format="nt")
            except (ValueError, SyntaxError) as exc:
                parsed = exc
            out[accept] = (response, parsed)
    return out


def _violations(graph: Graph, query: str, endpoint: str) -> list[tuple[str, ...]]:
    rows = graph.query(query.replace("{endpoint}", endpoint), initNs={"sd": SD})
    return [tuple(str(v) for v in row) for row in rows]  # type: ignore[union-attr]


def _explain(accept: str, response: httpx.Response) -> str:
    return (
        f"GET {response.request.url} (Accept: {accept}) → {response.status_code} "
        f"{response.headers.get('content-type')}: {response.text[:300]!r}"
    )


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n, _ in ENTRIES])
def test_w3c_service_description(
    name: str, sd_server: Running, descriptions: dict[str, tuple[httpx.Response, Graph | Exception]]
) -> None:
    case = CASES["cases"][name]
    problems: list[str] = []
    for accept, (response, parsed) in descriptions.items():
        if name == "returns-rdf":
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if response.status_code != 200:
                problems.append(f"status {response.status_code}: {_explain(accept, response)}")
            if accept in RDF_TYPES and kind != accept:
                problems.append(f"asked for {accept}, got {kind!r}: {_explain(accept, response)}")
            if isinstance(parsed, Exception):
                problems.append(f"not RDF ({parsed}): {_explain(accept, response)}")
            elif len(parsed) == 0:
                problems.append(f"no triple: {_explain(accept, response)}")
            continue
        if isinstance(parsed, Exception):
            problems.append(f"not RDF, so unchecked ({parsed}): {_explain(accept, response)}")
            continue
        for rule in case["rules"]:
            found = _violations(parsed, rule["violations"], sd_server.endpoint)
            if found:
                problems.append(f"{rule['rule']}: violated by {found[:10]} (Accept: {accept})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in CASES["best-practice"]])
def test_w3c_service_description_best_practice(
    name: str, sd_server: Running, descriptions: dict[str, tuple[httpx.Response, Graph | Exception]]
) -> None:
    rule = CASES["best-practice"][name]
    response, parsed = descriptions[CASES["accept"][0]]
    assert not isinstance(parsed, Exception), _explain(CASES["accept"][0], response)
    found = _violations(parsed, rule["violations"], sd_server.endpoint)
    assert not found, f"{rule['rule']}: violated by {found[:10]}"


def test_every_manifest_entry_has_a_case_and_every_case_an_entry() -> None:
    names = [n for n, _ in ENTRIES]
    assert names, "no entry collected from the manifest"
    assert len(set(names)) == len(names)
    assert set(names) == set(CASES["cases"]), sorted(set(names) ^ set(CASES["cases"]))
    assert all(CASES["cases"][n].get("note") for n in names)
    assert all(CASES["cases"][n].get("rules") for n in names if n != "returns-rdf")


def test_the_rules_can_fail() -> None:
    """Each rule finds its violation in a description that breaks it (so a pass means something)."""
    endpoint = "http://127.0.0.1:1/sparql"
    broken = Graph().parse(
        format="turtle",
        data=f"""
        @prefix sd: <{SD}> .
        <#s> sd:endpoint "{endpoint}" ; sd:supportedLanguage <#MyLanguage> ; sd:defaultDataset <#d> .
        <#d> sd:namedGraph <#n>, <#u> .
        <#n> a sd:NamedGraph ; sd:graph <#g> .
        <#m> a sd:NamedGraph ; sd:name "not an IRI" .
        <#e> a sd:Dataset .
        """,
        publicID="http://example.org/sd",
    )
    rules = [r for c in CASES["cases"].values() for r in c.get("rules", [])]
    rules += list(CASES["best-practice"].values())
    for rule in rules:
        assert _violations(broken, rule["violations"], endpoint), rule["rule"]


def test_described_graphs_are_the_endpoints(
    sd_server: Running, descriptions: dict[str, tuple[httpx.Response, Graph | Exception]]
) -> None:
    """Every sd:name the description gives is a graph the endpoint takes in named-graph-uri (a graph it
    does not have is refused with 400)."""
    response, parsed = descriptions[CASES["accept"][0]]
    assert not isinstance(parsed, Exception), _explain(CASES["accept"][0], response)
    names = sorted(str(n) for n in parsed.objects(None, SD.name) if isinstance(n, URIRef))
    assert names, "the description names no graph"
    with httpx.Client(timeout=30) as client:
        for name in names:
            answer = client.get(
                sd_server.endpoint,
                params=[("query", "ASK { GRAPH ?g { ?s ?p ?o } }"), ("named-graph-uri", name)],
                headers={"Accept": "application/sparql-results+json"},
            )
            assert answer.status_code == 200, f"{name}: {answer.status_code} {answer.text[:200]}"
            assert isinstance(answer.json()["boolean"], bool), f"{name}: {answer.text[:200]}"
