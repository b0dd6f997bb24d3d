"""The pages are Jinja2 templates that escape what they print, and carry the hooks the pictures are drawn
from: a resource's neighbourhood (``#akg-graph``), the ontology's class diagram (``#akg-class-diagram``),
the timeline of the events on the home page (``#akg-timeline``), YASGUI's configuration (``#akg-data``), and
the chart endpoint (``POST /chart``) that turns SPARQL results into a Vega-Lite spec.

In-process (``create_app`` through Starlette's TestClient, no query worker started): a resource, an event
and the ontology's metadata with a label made to break out of HTML (``<script>``, ``"``, ``</script>``,
``<!--``, U+2028) must arrive escaped in text and in attributes, and every JSON block must read back to the
same data."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from alliance_kg import api, charts
from alliance_kg.diagram import class_diagram_elements
from alliance_kg.namespaces import AKG, BASE, ID, ONTOLOGY_IRI, RDFS
from alliance_kg.server import neighbourhood, pages
from alliance_kg.server.app import create_app
from alliance_kg.server.config import ServerConfig
from alliance_kg.server.resources import PropertyValues, ResourceView, Source, Value

SITE = "http://testserver/"
HOSTILE = "<script>alert(1)</script> \"quoted\" 'single' </script><!-- & \u2028 \u2029 </SCRIPT >"
RAW = "<script>alert(1)</script>"  # what must never reach a page unescaped
HOSTILE_CAR = ID + "vehicle/hostile-test"
HOSTILE_EVENT = ID + "event/hostile-test-event"
CROWDED = ID + "vehicle/crowded-test"  # linked to 60 resources
MICRA = ID + "vehicle/nissan-micra"
AMPR_SMALL = ID + "platform/ampr-small"
AMPERE_DOUAI = ID + "plant/ampere-douai"
NISSAN = ID + "organisation/nissan"
PRESS_RELEASE = ID + "source/press-release-2025-09-16"
CHART = "application/sparql-results+json"
QUERY_SCRIPTS = [
    "static/vendor/yasgui/yasgui.min.js",
    "static/vendor/vega/vega.min.js",
    "static/vendor/vega-lite/vega-lite.min.js",
    "static/vendor/vega-embed/vega-embed.min.js",
    "static/query.js",
    "static/chart.js",
]
GRAPH_SCRIPTS = ["static/vendor/cytoscape/cytoscape.min.js", "static/graph.js"]


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="module")
def client() -> TestClient:
    # no lifespan: the pages are rendered from the pages store; no query worker is needed
    return TestClient(create_app(ServerConfig(reasoning=False, workers=1)))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The graph, plus a car, an event and a line of the ontology's metadata labelled :data:`HOSTILE`; the
    car also links to a ``javascript:`` IRI. And a car that links to 60 resources."""
    path = tmp_path_factory.mktemp("templates") / "hostile.ttl"
    path.write_text(
        "\n".join(
            [
                "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
                "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
                "@prefix akg: <https://w3id.org/alliance-kg/ontology#> .",
                "@prefix schema: <https://schema.org/> .",
                f"<{HOSTILE_CAR}> a akg:VehicleModel ; rdfs:label {_literal(HOSTILE)}@en ;",
                f"  schema:name {_literal(HOSTILE)} ; akg:builtOnPlatform <{AMPR_SMALL}> ;",
                f"  rdfs:comment {_literal(HOSTILE)}@en ; rdfs:seeAlso <javascript:alert(1)> .",
                f"<javascript:alert(1)> rdfs:label {_literal(HOSTILE)}@en .",
                f"<{HOSTILE_EVENT}> a akg:Reveal ; rdfs:label {_literal(HOSTILE)}@en ;",
                f'  akg:concernsModel <{HOSTILE_CAR}> ; akg:takesPlaceOn "2025-06-01"^^xsd:date .',
                f"<{ONTOLOGY_IRI}> rdfs:seeAlso {_literal(HOSTILE)} .",
                *(f"<{CROWDED}> rdfs:seeAlso <{CROWDED}-{n:02d}> ." for n in range(60)),
                *(f'<{CROWDED}-{n:02d}> rdfs:label "crowd {n:02d}"@en .' for n in range(60)),
                f'<{CROWDED}> a akg:VehicleModel ; rdfs:label "crowded"@en .',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return TestClient(create_app(ServerConfig(data=(path,), reasoning=False, workers=1)))


class _Page(HTMLParser):
    """A page as a browser reads it: its elements (tag, attributes, decoded), its text, and the text of
    each script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.elements.append((tag, found))
        if tag == "script":
            self._script = found
            self.scripts.append((found, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def by_id(self, id_: str) -> tuple[str, dict[str, str]]:
        found = [(tag, attrs) for tag, attrs in self.elements if attrs.get("id") == id_]
        assert len(found) == 1, f"{len(found)} elements with id {id_!r}"
        return found[0]

    def json(self, id_: str) -> object:
        blocks = [text for attrs, text in self.scripts if attrs.get("id") == id_]
        assert len(blocks) == 1, f"{len(blocks)} script elements with id {id_!r}"
        assert self.by_id(id_)[1].get("type") == "application/json"
        return json.loads(blocks[0])

    def sources(self) -> list[str]:
        return [attrs["src"] for attrs, _ in self.scripts if "src" in attrs]


def _page(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    parser.close()
    return parser


def _assert_escaped(html: str, *, in_attribute: bool = True) -> _Page:
    """``HOSTILE`` is on the page as text (and, with ``in_attribute``, in an attribute), every script
    element is one the page means (JSON blocks read back; none came from the data), and nothing of it
    reached the page unescaped."""
    assert RAW not in html and "<!--" not in html
    page = _page(html)
    assert HOSTILE in "".join(page.text)
    if in_attribute:
        assert any(HOSTILE in value for _, attrs in page.elements for value in attrs.values())
    for attrs, text in page.scripts:
        if "src" in attrs:
            assert not text
            assert attrs["src"].startswith(SITE + "static/"), attrs
        else:
            assert attrs.get("type") in ("application/json", "application/ld+json"), attrs
            json.loads(text)  # read back whole: nothing ended it early
            assert "<" not in text
    assert html.count("<script") == len(page.scripts)  # no element opened from the data
    return page


def _nodes(elements: object) -> dict[str, dict[str, str]]:
    assert isinstance(elements, list)
    return {e["data"]["id"]: e["data"] for e in elements if "source" not in e["data"]}


def _edges(elements: object) -> list[dict[str, str]]:
    assert isinstance(elements, list)
    return [e["data"] for e in elements if "source" in e["data"]]


# --- the templates ----------------------------------------------------------------------------------------


def test_the_environment_escapes_and_refuses_what_it_is_not_given() -> None:
    environment = pages.ENVIRONMENT
    assert environment.autoescape is True
    assert environment.undefined is jinja2.StrictUndefined
    assert isinstance(environment.loader, jinja2.PackageLoader)  # from the package: a wheel has them too
    assert "tojson" not in environment.filters  # JSON goes into a page through script_json only
    for name in pages.TEMPLATES:
        environment.get_template(name)
    folder = Path(pages.__file__).with_name("templates")
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(pages.TEMPLATES)
    with pytest.raises(jinja2.UndefinedError, match="message"):
        pages.render("error.html", pages.Site(SITE), "Error", status=500)  # no message
    with pytest.raises(jinja2.UndefinedError):
        environment.get_template("resource.html").render(site=pages.Site(SITE))


def test_no_template_prints_anything_unescaped_but_json() -> None:
    """``|safe`` appears nowhere, nor ``{% autoescape false %}``; the one filter that marks its output safe
    is script_json, and it is used inside ``<script type="application/…json">`` only."""
    folder = Path(pages.__file__).with_name("templates")
    for path in folder.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", text), path.name
        assert not re.search(r"{%-?\s*autoescape", text) and "Markup" not in text, path.name
        for line in text.splitlines():
            if "script_json" in line:
                assert re.search(r'<script type="application/(ld\+)?json"', line) or line.strip().startswith(
                    "{{ jsonld|script_json"
                ), (path.name, line)


def test_script_json_cannot_end_its_element() -> None:
    data = {"a": HOSTILE, "b": ["</script>", "<!--", "-->", "\u2028\u2029", "&amp;"], "c": None}
    text = pages.script_json(data)
    assert json.loads(text) == data
    for unsafe in ("<", ">", "&", "\u2028", "\u2029"):
        assert unsafe not in text
    assert json.loads(pages.script_json(data, indent=1)) == data


def test_every_page_kind_escapes_when_rendered_directly() -> None:
    site = pages.Site(SITE)
    value = Value(ox.Literal(HOSTILE), HOSTILE, iri=HOSTILE_CAR)
    literal = Value(ox.Literal(HOSTILE), HOSTILE, language="en", datatype=HOSTILE)
    unlinked = Value(ox.Literal(HOSTILE), HOSTILE, iri=HOSTILE)  # no http(s) IRI: shown, titled with it
    view = ResourceView(
        HOSTILE_CAR,
        HOSTILE,
        types=[value],
        summary=HOSTILE,
        properties=[PropertyValues(RDFS + "label", HOSTILE, [literal, value])],
        incoming=[PropertyValues(RDFS + "seeAlso", HOSTILE, [value])],
        sources=[Source(HOSTILE_CAR, HOSTILE, HOSTILE)],
    )
    graph = [{"data": {"id": HOSTILE_CAR, "label": HOSTILE, "kind": "focus"}}]
    jsonld = {"@context": {"@vocab": "https://schema.org/"}, "@id": HOSTILE_CAR, "name": HOSTILE}
    rendered = {
        "resource": pages.resource_page(site, view, "vehicle/hostile-test", "en", jsonld=jsonld, graph=graph),
        "not found": pages.not_found_page(site, HOSTILE, [(HOSTILE_CAR, HOSTILE), (HOSTILE, HOSTILE)]),
        "error": pages.error_page(site, 400, HOSTILE),
        "browse": pages.browse_page(
            site,
            [
                pages.BrowseGroup(HOSTILE_CAR, HOSTILE, [(HOSTILE_CAR, HOSTILE)]),
                pages.BrowseGroup(HOSTILE, HOSTILE, [(HOSTILE, HOSTILE)]),  # id="…", and no link
            ],
            "en",
        ),
        "ontology": pages.ontology_page(
            site,
            HOSTILE,
            HOSTILE,
            [(HOSTILE, [literal])],
            [
                (
                    "Classes",
                    [pages.Term(AKG + HOSTILE, HOSTILE, HOSTILE, HOSTILE, [(HOSTILE, [unlinked])], HOSTILE)],
                )
            ],
            "en",
            diagram=graph,
        ),
        "query": pages.query_page(
            site,
            [{"name": HOSTILE, "title": HOSTILE, "question": HOSTILE, "text": HOSTILE, "reasoned": True}],
            {"asserted": [], "inferred": None, "reasonedEndpoint": None},
            HOSTILE,
            timeline={"data": {"values": [{"label": HOSTILE, "date": HOSTILE}]}, "title": HOSTILE},
        ),
        "void": pages.void_page(site, HOSTILE, [(HOSTILE, HOSTILE)]),
    }
    in_attributes = {"resource", "not found", "browse", "ontology", "query"}
    for kind, html in rendered.items():
        page = _assert_escaped(html, in_attribute=kind in in_attributes)
        assert page.elements[0][0] == "html", kind
    page = _page(rendered["resource"])
    assert page.json("akg-graph-data") == graph
    assert [json.loads(t) for a, t in page.scripts if a.get("type") == "application/ld+json"] == [jsonld]
    assert HOSTILE in page.by_id("akg-graph")[1]["aria-label"]
    page = _page(rendered["query"])
    data = page.json("akg-data")
    assert isinstance(data, dict) and data["queries"][0]["text"] == HOSTILE
    assert page.json("akg-timeline-spec") == {
        "data": {"values": [{"label": HOSTILE, "date": HOSTILE}]},
        "title": HOSTILE,
    }
    assert _page(rendered["ontology"]).json("akg-class-diagram-data") == graph


def test_hostile_labels_in_the_data_arrive_escaped(hostile: TestClient) -> None:
    paths = {
        "/doc/vehicle/hostile-test.html": True,  # its label: in the title, the h1, the graph's aria-label
        "/doc/platform/ampr-small.html": False,  # the car links here: its label as a link's text
        "/doc/event/hostile-test-event.html": True,
        "/browse": False,
        "/ontology.html": False,  # its metadata ("see also")
        "/": False,  # the timeline: the event's label
    }
    for path, in_attribute in paths.items():
        response = hostile.get(path)
        assert response.status_code == 200, path
        _assert_escaped(response.text, in_attribute=in_attribute)
    page = _page(hostile.get("/doc/vehicle/hostile-test.html").text)
    nodes = _nodes(page.json("akg-graph-data"))
    assert nodes[HOSTILE_CAR]["label"] == HOSTILE and nodes[HOSTILE_CAR]["kind"] == "focus"
    assert nodes["javascript:alert(1)"]["label"] == HOSTILE
    assert "href" not in nodes["javascript:alert(1)"]  # shown, never a link
    assert all(n["href"].startswith(SITE) for i, n in nodes.items() if i.startswith(BASE))
    jsonld = [json.loads(t) for a, t in page.scripts if a.get("type") == "application/ld+json"]
    assert jsonld and jsonld[0]["name"] == HOSTILE
    spec = _page(hostile.get("/").text).json("akg-timeline-spec")
    assert isinstance(spec, dict)
    assert HOSTILE in [row["label"] for row in spec["data"]["values"]]


def test_error_and_not_found_pages_escape_what_the_request_says(hostile: TestClient) -> None:
    accept = {"Accept": "text/html"}
    missing = hostile.get("/doc/vehicle/%3Cscript%3Ealert(1)%3C%2Fscript%3E.html", headers=accept)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert RAW not in missing.text and RAW in "".join(_page(missing.text).text)  # shown, as text
    error = hostile.get("/ontology/%3Cscript%3Ealert(1)%3C%2Fscript%3E%22", headers=accept)
    assert error.status_code == 404 and error.headers["content-type"].startswith("text/html")
    assert RAW not in error.text and RAW + '"' in "".join(_page(error.text).text)


# --- the hooks of the pictures ----------------------------------------------------------------------------


def test_a_resource_page_has_its_neighbourhood_as_a_graph(client: TestClient) -> None:
    html = client.get("/doc/vehicle/nissan-micra.html").text
    page = _page(html)
    tag, canvas = page.by_id("akg-graph")
    assert tag == "div" and canvas["class"] == "graph-canvas" and canvas["role"] == "img"
    assert "Nissan Micra" in canvas["aria-label"]
    assert re.search(r'<figure class="graph-view">\s*<div id="akg-graph"', html)
    assert "<figcaption>" in html[html.index('id="akg-graph"') :]
    assert page.sources() == [SITE + s for s in GRAPH_SCRIPTS]
    elements = page.json("akg-graph-data")
    nodes, edges = _nodes(elements), _edges(elements)
    assert nodes[MICRA] == {
        "id": MICRA,
        "label": "Nissan Micra",
        "kind": "focus",
        "href": SITE + "id/vehicle/nissan-micra",
    }
    for iri, label in ((AMPR_SMALL, "AmpR Small"), (AMPERE_DOUAI, "Ampere Douai"), (NISSAN, "Nissan")):
        assert nodes[iri]["label"] == label and nodes[iri]["kind"] == "resource"
        assert nodes[iri]["href"] == SITE + iri[len(BASE) :]
    assert nodes[AKG + "VehicleModel"]["kind"] == "class"
    assert {"source": MICRA, "target": AMPR_SMALL, "label": "built on platform"}.items() <= next(
        e for e in edges if e["target"] == AMPR_SMALL
    ).items()
    assert any(e["target"] == MICRA for e in edges)  # the events that concern it: incoming links
    assert len({e["id"] for e in edges}) == len(edges)
    assert all(e["source"] in nodes and e["target"] in nodes for e in edges)
    assert next(iter(nodes)) == MICRA  # the focus first
    assert set(nodes[MICRA]) == {"id", "label", "kind", "href"}


def test_the_neighbourhood_is_capped_and_deterministic(client: TestClient, hostile: TestClient) -> None:
    store = hostile.app.state.data.pages  # the pages store the app serves
    site = pages.Site(SITE)
    crowded = neighbourhood.elements(store, CROWDED, "en", site)
    nodes = _nodes(crowded)
    assert len(nodes) == neighbourhood.MAX_NODES
    assert AKG + "VehicleModel" in nodes  # its class first, then its links by label
    assert [n["label"] for n in nodes.values()][2:] == [
        f"crowd {n:02d}" for n in range(neighbourhood.MAX_NODES - 2)
    ]
    assert crowded == neighbourhood.elements(store, CROWDED, "en", site)
    assert all(e["source"] in nodes and e["target"] in nodes for e in _edges(crowded))
    french = neighbourhood.elements(client.app.state.data.pages, MICRA, "fr", site)
    assert _nodes(french)[AKG + "VehicleModel"]["label"] == "modèle de véhicule"
    # the statement nodes that record the sources of facts are left out: a source links to its paragraphs
    paragraph = _nodes(neighbourhood.elements(store, PRESS_RELEASE + "/p3", "en", site))
    assert not [i for i in paragraph if "/statement/" in i]


def test_the_ontology_page_has_the_class_diagram(client: TestClient) -> None:
    page = _page(client.get("/ontology.html").text)
    tag, canvas = page.by_id("akg-class-diagram")
    assert (
        tag == "div"
        and canvas["class"] == "graph-canvas"
        and canvas["role"] == "img"
        and canvas["aria-label"]
    )
    assert page.sources() == [SITE + s for s in GRAPH_SCRIPTS]
    elements = page.json("akg-class-diagram-data")
    nodes = _nodes(elements)
    model = nodes["akg:VehicleModel"]
    assert model["label"] and model["href"] == SITE + "ontology#VehicleModel"
    assert isinstance(elements, list) and len(elements) == len(class_diagram_elements())
    hrefs = [e["data"]["href"] for e in elements if "href" in e["data"]]
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    assert not [h for h in hrefs if h.startswith(BASE)]  # the graph's IRIs: this site's addresses


def test_the_home_page_has_the_timeline_and_yasgui(client: TestClient) -> None:
    response = client.get("/")
    html = response.text
    page = _page(html)
    tag, canvas = page.by_id("akg-timeline")
    assert tag == "div" and canvas == {
        "id": "akg-timeline",
        "class": "chart-canvas",
        "role": "img",
        "aria-label": "Timeline of the events",
    }
    assert re.search(r'<figure class="chart"><div id="akg-timeline"', html)
    spec = page.json("akg-timeline-spec")
    store = client.app.state.data.pages
    assert spec == charts.timeline_chart(store=store)
    assert isinstance(spec, dict)
    events = {
        row["e"]
        for row in api.query("SELECT ?e WHERE { ?e a/rdfs:subClassOf* akg:Event }", store=store).values()
    }
    assert len(events) >= 6 and {row["event"] for row in spec["data"]["values"]} == events
    # YASGUI, configured by #akg-data, and its scripts in order
    assert page.by_id("yasgui")[0] == "div"
    assert page.sources() == [SITE + s for s in QUERY_SCRIPTS]
    sheets = [a["href"] for t, a in page.elements if t == "link" and a.get("rel") == "stylesheet"]
    assert SITE + "static/vendor/yasgui/yasgui.min.css" in sheets
    data = page.json("akg-data")
    assert isinstance(data, dict)
    assert data["endpoint"] == SITE + "sparql" and data["reasonedEndpoint"] is None  # no reasoning here
    assert data["base"] == SITE and data["canonicalBase"] == BASE and data["chart"] == SITE + "chart"
    assert data["prefixes"]["akg"] == AKG and data["graphs"]["inferred"] is None
    names = [q["name"] for q in data["queries"]]
    assert "list-production" in names and len(names) == len(set(names)) > 20
    for query in data["queries"]:
        assert {"name", "title", "question", "text", "reasoned"} <= set(query)
    # without JavaScript: the endpoint's address, and the questions as links that open them
    noscript = html[html.index("<noscript>") : html.index("</noscript>")]
    assert "JavaScript" in noscript and SITE + "sparql" in noscript
    links = [
        a["href"] for t, a in page.elements if t == "a" and a.get("href", "").startswith(SITE + "?query=")
    ]
    assert len(links) == len(names)
    assert 'value="list-production"' in html


def test_the_reasoned_endpoint_is_named_when_there_is_one() -> None:
    html = pages.query_page(
        pages.Site(SITE),
        [{"name": "q", "title": "t", "question": "?", "text": "ASK {}", "reasoned": True}],
        {"asserted": [], "inferred": "x", "reasonedEndpoint": SITE + "sparql/reasoned"},
        "",
    )
    page = _page(html)
    data = page.json("akg-data")
    assert isinstance(data, dict) and data["reasonedEndpoint"] == SITE + "sparql/reasoned"
    assert any(a.get("href", "").endswith("&reasoned=1") for t, a in page.elements if t == "a")
    assert "akg-timeline" not in html  # no timeline given, none shown


# --- the chart endpoint -----------------------------------------------------------------------------------


def test_the_chart_of_the_production_figures(client: TestClient) -> None:
    store = client.app.state.data.pages
    body = api.query("list-production", store=store).serialize("json")
    response = client.post("/chart", content=body, headers={"Content-Type": CHART})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    spec = response.json()
    real = {row["unitsProduced"] for row in api.query("list-production", store=store).values()}
    assert len(real) == 2 and all(isinstance(n, int) and n > 1000 for n in real)
    assert {row["y"] for row in spec["data"]["values"]} == real
    assert [row["x"] for row in spec["data"]["values"]] == ["2023", "2024"]
    assert spec["$schema"] == charts.SCHEMA
    titled = client.post(
        "/chart?title=Douai", content=body, headers={"Content-Type": CHART + "; charset=utf-8"}
    )
    assert titled.status_code == 200 and titled.json()["title"] == "Douai"


def test_no_chart_fits(client: TestClient) -> None:
    store = client.app.state.data.pages
    for body in (
        api.query("list-models", store=store).serialize("json"),  # no number
        api.query("ask-model-on-platform", store=store).serialize("json"),  # an ASK
        b'{"head": {"vars": ["x"]}, "results": {"bindings": []}}',  # no rows
    ):
        response = client.post("/chart", content=body, headers={"Content-Type": CHART})
        assert response.status_code == 204 and response.content == b""


def test_the_chart_endpoint_refuses_what_it_cannot_read(client: TestClient) -> None:
    for body in (
        b"{not json",
        b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "?"}}]}}',
        b"",
    ):
        response = client.post("/chart", content=body, headers={"Content-Type": CHART})
        assert response.status_code == 400, body
        assert "SPARQL results" in response.text
    for kind in ("application/json", "text/csv", None):
        headers = {"Content-Type": kind} if kind else {}
        response = client.post("/chart", content=b"{}", headers=headers)
        assert response.status_code == 415 and CHART in response.text
    assert client.get("/chart").status_code == 405
    big = b" " * (2 * 1024 * 1024 + 1)
    assert client.post("/chart", content=big, headers={"Content-Type": CHART}).status_code == 413
