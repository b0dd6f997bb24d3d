"""The resource pages are machine-readable: each embeds its description in schema.org terms as JSON-LD
(``<script type="application/ld+json">``, what search engines read) and names its canonical IRI
(``<link rel="canonical">``).

Against a real ``alliance-kg serve``, for a resource of every kind: the JSON-LD embedded in the HTML page,
read by rdflib and by pyoxigraph (offline: its context is inline, nothing is fetched), is isomorphic to
what the server's reasoned endpoint says about the resource in schema.org terms, computed here
independently with one CONSTRUCT (the resource's ``https://schema.org/`` properties and types in the OWL 2
RL closure, and the names and schema.org types of what they link to). In-process: the escaping that keeps
the JSON from ending the script element early, and the JSON-LD writer's round trip on every kind of term.
Chromium (when installed) loads the pages with the site's Content-Security-Policy and reports nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from test_browser import _problems, browser  # noqa: F401  (the Chromium fixture, shared)
from test_server import Running, start_server

from alliance_kg.namespaces import ID, RDF
from alliance_kg.server import pages, resources

SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: A resource of every kind, with the schema.org class the README's alignment promises for it (None:
#: some schema.org class, whichever the closure gives) and whether the closure names it with schema:name
#: (an event has only its labels, a production figure neither: what the data says is what is embedded).
RESOURCES = [
    pytest.param("vehicle/nissan-micra", "Car", True, id="vehicle"),
    pytest.param("organisation/renault-group", "Organization", True, id="organisation"),
    pytest.param("organisation/ampere", "Organization", True, id="organisation-ampere"),
    pytest.param("person/francois-provost", "Person", True, id="person"),
    pytest.param("plant/ampere-douai", "Place", True, id="plant"),
    pytest.param("event/alliance-operating-board-meeting-2025-09-16", "Event", False, id="event"),
    pytest.param("production-figure/ampere-douai-2024", None, False, id="production-figure"),
]

#: The resource's description in schema.org terms, asked of the closure: its schema.org properties, its
#: schema.org types, and the schema:name and schema.org types of each resource those properties link to.
EXPECTED = """
CONSTRUCT { ?this ?p ?o . ?linked a ?class . ?linked <https://schema.org/name> ?name . }
WHERE {
  { ?this ?p ?o . FILTER (STRSTARTS(STR(?p), "https://schema.org/") && STR(?p) != "https://schema.org/") }
  UNION
  { ?this ?p ?o . FILTER (?p = rdf:type && isIRI(?o) && STRSTARTS(STR(?o), "https://schema.org/")) }
  UNION
  { ?this ?q ?linked . FILTER (STRSTARTS(STR(?q), "https://schema.org/") && !isLiteral(?linked))
    { ?linked a ?class . FILTER (isIRI(?class) && STRSTARTS(STR(?class), "https://schema.org/")) }
    UNION { ?linked <https://schema.org/name> ?name } }
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("jsonld"), "--workers", "1", "--quiet") as running:
        yield running


class _Head(HTMLParser):
    """The page's ``rel=canonical`` links and the text of its JSON-LD script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: list[str] = []
        self.scripts: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical.append(found.get("href") or "")
        if tag == "script" and found.get("type") == "application/ld+json":
            self._in_jsonld = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.scripts[-1] += data


def _head(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    parser.close()
    return parser


def _embedded(html: str) -> str:
    head = _head(html)
    assert len(head.scripts) == 1, f"{len(head.scripts)} JSON-LD script elements"
    return head.scripts[0]


def _contexts(data: object) -> Iterator[object]:
    if isinstance(data, dict):
        for name, value in data.items():
            if name == "@context":
                yield value
            yield from _contexts(value)
    elif isinstance(data, list):
        for value in data:
            yield from _contexts(value)


def _assert_offline(text: str) -> None:
    """Nothing a JSON-LD processor would fetch: every context is inline (no URL, no @import)."""
    contexts = list(_contexts(json.loads(text)))
    assert contexts, "no @context"
    for context in contexts:
        assert isinstance(context, dict), f"a remote context: {context!r}"
        assert "@import" not in context


def _oxigraph(data: bytes, fmt: ox.RdfFormat) -> ox.Dataset:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(data, format=fmt))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


@pytest.mark.parametrize(("path", "kind", "named"), RESOURCES)
def test_the_page_embeds_its_schema_org_description(
    server: Running, path: str, kind: str | None, named: bool
) -> None:
    iri = ID + path
    page = httpx.get(f"{server.base}doc/{path}.html", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    head = _head(page.text)
    assert head.canonical == [iri]
    text = _embedded(page.text)
    assert "</" not in text and "<!--" not in text
    _assert_offline(text)

    embedded = Graph().parse(data=text, format="json-ld")
    answer = httpx.post(
        server.endpoint + "/reasoned",
        data={"query": EXPECTED.replace("?this", f"<{iri}>")},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    expected = Graph().parse(data=answer.text, format="nt")

    # what it must hold, so that two empty graphs cannot pass
    subject = URIRef(iri)
    types = {str(o) for o in expected.objects(subject, URIRef(RDF + "type"))}
    assert any(t.startswith(SCHEMA) for t in types), types
    if kind is not None:
        assert SCHEMA + kind in types, types
    if named:
        assert (subject, URIRef(SCHEMA + "name"), None) in expected
    properties = {str(p) for p in expected.predicates(subject, None)} - {RDF + "type"}
    assert properties, "no schema.org property"

    missing = set(expected) - set(embedded)
    extra = set(embedded) - set(expected)
    assert isomorphic(embedded, expected), f"missing {sorted(missing)}; extra {sorted(extra)}"
    # and pyoxigraph reads the same
    assert _oxigraph(text.encode(), ox.RdfFormat.JSON_LD) == _oxigraph(answer.content, ox.RdfFormat.N_TRIPLES)


def test_the_description_is_the_same_in_every_language(server: Running) -> None:
    pages_ = [
        httpx.get(f"{server.base}doc/vehicle/nissan-micra.html", params=params, timeout=30).text
        for params in ({}, {"lang": "fr"}, {"lang": "ja"})
    ]
    assert len({_embedded(p) for p in pages_}) == 1


def test_the_embedded_json_ld_names_linked_resources(server: Running) -> None:
    """What a search engine shows of a link: the brand and the maker of the car, by name."""
    page = httpx.get(f"{server.base}doc/vehicle/nissan-micra.html", timeout=30)
    data = json.loads(_embedded(page.text))
    assert data["@id"] == ID + "vehicle/nissan-micra"
    assert data["name"] == "Nissan Micra"
    brands = data["brand"] if isinstance(data["brand"], list) else [data["brand"]]
    assert any(b.get("@id") == ID + "brand/nissan" and "name" in b for b in brands), brands


# --- in-process ------------------------------------------------------------------------------------------

HOSTILE = '</script><script>alert(1)</script><!--<script>"\\ & </SCRIPT >'


def test_nothing_in_the_json_can_end_the_script_element() -> None:
    iri = ID + "vehicle/escaping-test"
    data = {"@context": {"@vocab": SCHEMA}, "@id": iri, "name": HOSTILE, "description": ["<", "</", "<!--"]}
    view = resources.ResourceView(iri, HOSTILE)
    html = pages.resource_page(
        pages.Site("http://testserver/"), view, "vehicle/escaping-test", "en", jsonld=data
    )
    head = _head(html)
    assert head.canonical == [iri]
    assert len(head.scripts) == 1
    assert json.loads(head.scripts[0]) == data  # read back whole: nothing ended it early
    assert "<" not in head.scripts[0]
    assert html.count("<script") == 1  # no element opened from the data


def test_a_page_with_nothing_in_schema_org_terms_embeds_no_json_ld() -> None:
    iri = ID + "source/nothing"
    html = pages.resource_page(
        pages.Site("http://testserver/"), resources.ResourceView(iri, "x"), "source/x", "en"
    )
    head = _head(html)
    assert head.scripts == [] and head.canonical == [iri]
    assert resources.schema_jsonld([], iri) is None


def _n(local: str) -> ox.NamedNode:
    return ox.NamedNode(local if local.startswith("http") else SCHEMA + local)


def test_the_json_ld_writer_round_trips_every_kind_of_term() -> None:
    """Literals of every kind, IRIs coerced or not, blank nodes, a cycle, odd local names: what the page
    embeds expands (rdflib and pyoxigraph) to exactly the triples :func:`schema_triples` selected."""
    this = ox.NamedNode(ID + "vehicle/round-trip")
    other = ox.NamedNode(ID + "organisation/round-trip-maker")
    blank = ox.BlankNode("b1")
    deeper = ox.BlankNode("b2")
    store = ox.Store()
    triples = [
        ox.Triple(this, _n(RDF + "type"), _n("Car")),
        ox.Triple(this, _n(RDF + "type"), _n("Product")),
        ox.Triple(this, _n("name"), ox.Literal("Round trip")),
        ox.Triple(this, _n("name"), ox.Literal("Aller-retour", language="fr")),
        ox.Triple(this, _n("description"), ox.Literal(HOSTILE)),
        ox.Triple(this, _n("productionDate"), ox.Literal("2025", datatype=ox.NamedNode(XSD + "gYear"))),
        ox.Triple(this, _n("weight"), ox.Literal("1.50", datatype=ox.NamedNode(XSD + "decimal"))),
        ox.Triple(this, _n("position"), ox.Literal("007", datatype=ox.NamedNode(XSD + "integer"))),
        ox.Triple(this, _n("size"), ox.Literal("12", datatype=ox.NamedNode(XSD + "integer"))),
        ox.Triple(this, _n("copyrightYear"), ox.Literal(str(2**60), datatype=ox.NamedNode(XSD + "integer"))),
        ox.Triple(this, _n("isFamilyFriendly"), ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))),
        ox.Triple(
            this, _n("hasMerchantReturnPolicy"), ox.Literal("1", datatype=ox.NamedNode(XSD + "boolean"))
        ),
        ox.Triple(this, _n("sameAs"), ox.NamedNode("http://www.wikidata.org/entity/Q1")),
        ox.Triple(this, _n("sameAs"), ox.Literal("a string, not an IRI")),
        ox.Triple(this, _n("url"), other),  # coerced, and also a described resource
        ox.Triple(this, _n("manufacturer"), other),
        ox.Triple(this, _n("isRelatedTo"), this),  # a cycle
        ox.Triple(this, _n("odd:local"), ox.Literal("odd")),
        ox.Triple(this, _n("123"), ox.Literal("numeric")),
        ox.Triple(this, _n("additionalProperty"), blank),
        ox.Triple(blank, _n(RDF + "type"), _n("PropertyValue")),
        ox.Triple(blank, _n("value"), ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))),
        ox.Triple(blank, _n("valueReference"), deeper),
        ox.Triple(deeper, _n("name"), ox.Literal("deeper")),
        ox.Triple(deeper, _n("isRelatedTo"), this),
        ox.Triple(other, _n(RDF + "type"), _n("Organization")),
        ox.Triple(other, _n("name"), ox.Literal("Maker")),
    ]
    left_out = [
        ox.Triple(this, _n(RDF + "type"), ox.NamedNode(ID + "not-schema")),
        ox.Triple(other, _n("legalName"), ox.Literal("not shown: only names and types of links")),
        ox.Triple(this, ox.NamedNode("http://schema.org/name"), ox.Literal("the http spelling: left out")),
    ]
    graph = ox.NamedNode(ID + "g")
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples + left_out)
    store.add(ox.Quad(this, _n("name"), ox.Literal("Round trip")))  # the same triple in two graphs: once
    selected = resources.schema_triples(store, this.value)
    assert len(selected) == len(set(selected))
    kept = ox.Store()  # the store writes literals in their canonical form ("007" is 7): compare alike
    kept.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    assert set(selected) == {q.triple for q in kept}
    for described in (selected, triples):  # as the store gives them, and as written (non-canonical too)
        data = resources.schema_jsonld(described, this.value)
        assert data is not None
        text = pages.script_json(data)
        _assert_offline(text)
        ntriples = ox.serialize(described, format=ox.RdfFormat.N_TRIPLES)
        assert isomorphic(
            Graph().parse(data=text, format="json-ld"), Graph().parse(data=ntriples, format="nt")
        )
        assert _oxigraph(text.encode(), ox.RdfFormat.JSON_LD) == _oxigraph(ntriples, ox.RdfFormat.N_TRIPLES)


# --- in a browser ----------------------------------------------------------------------------------------


def test_chromium_reads_the_pages_without_a_complaint(browser, server: Running) -> None:  # noqa: F811
    """The JSON-LD is data, not a script the browser runs: the Content-Security-Policy does not block it,
    and the console stays clean; the browser's own JSON parser reads it."""
    from selenium.webdriver.common.by import By

    for param in RESOURCES:
        path = param.values[0]
        browser.get(f"{server.base}doc/{path}.html")
        element = browser.find_element(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
        data = json.loads(element.get_attribute("textContent"))
        assert data["@id"] == ID + path
        canonical = browser.find_element(By.CSS_SELECTOR, 'link[rel="canonical"]')
        assert canonical.get_attribute("href") == ID + path
    assert _problems(browser) == []
