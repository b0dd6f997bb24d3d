"""The pages link only to http(s) addresses and to the site itself: an IRI in the data with another scheme
(``javascript:``, ``data:``, ``vbscript:``, ``file:``…, in any case) is shown, never made a link; and
``--base-url``, which every link starts with, must be an http(s) address with a host, checked before the
server starts. The pages are built in-process (``create_app`` with a ``--data`` file) and parsed with
html.parser, so that what is checked is each ``href`` as a browser reads it (entities decoded)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from alliance_kg import cli
from alliance_kg.namespaces import ID, ONTOLOGY_IRI
from alliance_kg.server import pages
from alliance_kg.server.app import create_app
from alliance_kg.server.config import ServerConfig
from alliance_kg.server.resources import PropertyValues, ResourceView, Source, Value

SITE = "http://testserver/"
CAR = ID + "vehicle/link-test-car"
SOURCE = ID + "document/link-test-source"

#: IRIs that parse in Turtle and must never become links (``java&#x09;script:`` is not a scheme: the
#: parser resolves it against the file's address, a ``file:`` IRI).
HOSTILE = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(2)",
    "JavaScript:alert(3)",
    "javascript:alert(4)//https://example.org/",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==",
    "vbscript:msgbox(6)",
    "java&#x09;script:alert(7)",
    "file:///etc/passwd",
    "mailto:someone@example.org",
    "urn:isbn:0451450523",
    "http:no-host",
]
SAFE = ["https://example.org/ok", "http://example.org/a?x=1&y=2#z"]


def _turtle(tmp: Path) -> Path:
    """The test car refers to every hostile IRI (as value, property, type, source, and from the other
    end); a source page lists facts about them; the ontology's metadata cites one."""
    lines = [
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix akg: <https://w3id.org/alliance-kg/ontology#> .",
        f'<{CAR}> a akg:VehicleModel ; rdfs:label "Link test car"@en .',
        f'<{SOURCE}> rdfs:label "Link test source"@en .',
    ]
    for n, iri in enumerate(HOSTILE + SAFE):
        lines += [
            f"<{CAR}> rdfs:seeAlso <{iri}> ; <{iri}> <{iri}> .",
            f"<{iri}> <{iri}> <{CAR}> .",
            f"<{CAR}> a <{iri}> .",
            f"<{iri}> a akg:VehicleModel .",
            f"[] a rdf:Statement ; rdf:subject <{CAR}> ; rdf:predicate rdfs:seeAlso ; rdf:object <{iri}> ;"
            f" prov:wasDerivedFrom <{iri}> .",
            f"[] a rdf:Statement ; rdf:subject <{iri}> ; rdf:predicate <{iri}> ; rdf:object <{iri}> ;"
            f" prov:wasDerivedFrom <{SOURCE}> .",
            f"<{ONTOLOGY_IRI}> rdfs:seeAlso <{iri}> .",
            f'<{iri}> rdfs:label "hostile {n}"@en .',
        ]
    path = tmp / "links.ttl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    data = _turtle(tmp_path_factory.mktemp("links"))
    # no lifespan: the pages are rendered from the pages store; no query worker is needed
    return TestClient(create_app(ServerConfig(data=(data,), reasoning=False, workers=1)))


class _Links(HTMLParser):
    """Every URL attribute of the page, decoded as a browser decodes it."""

    URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "cite", "data"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.URL_ATTRIBUTES and value is not None:
                self.found.append((tag, value, dict(attrs)))


def _urls(html: str) -> list[tuple[str, str, dict[str, str | None]]]:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.found


def _as_a_browser_reads_it(url: str) -> str:
    # the URL standard strips leading and trailing C0 controls and spaces, and removes tabs and newlines
    return "".join(c for c in url.strip("".join(map(chr, range(0x21)))) if c not in "\t\n\r")


def _allowed(tag: str, url: str, attrs: dict[str, str | None]) -> bool:
    if tag == "link" and attrs.get("rel") == "icon" and url == "data:,":
        return True  # the site's own empty favicon, so that browsers ask for none
    read = _as_a_browser_reads_it(url)
    if read.startswith(("#", "?")):
        return True  # a fragment or a query of this very page, whatever the browser strips from it
    if read != url:
        return False
    parts = urlsplit(read)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc) and url.startswith(("http://", "https://"))
    return not parts.scheme and ":" not in read.split("/", 1)[0]  # a relative path


PAGES = [
    pytest.param("/doc/vehicle/link-test-car.html", id="resource"),
    pytest.param("/doc/document/link-test-source.html", id="source"),
    pytest.param("/browse", id="browse"),
    pytest.param("/ontology.html", id="ontology"),
    pytest.param("/doc/vehicle/link-test-cars.html", id="not-found"),
    pytest.param("/void", id="void"),
    pytest.param("/sparql", id="query"),
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_link_only_http_and_the_site(client: TestClient, path: str) -> None:
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code in (200, 404) and page.headers["content-type"].startswith("text/html")
    urls = _urls(page.text)
    assert urls
    bad = [(tag, url) for tag, url, attrs in urls if not _allowed(tag, url, attrs)]
    assert not bad, bad


def test_hostile_iris_are_shown_but_not_linked(client: TestClient) -> None:
    text = client.get("/doc/vehicle/link-test-car.html").text
    hrefs = {url for _, url, _ in _urls(text)}
    for iri in SAFE:
        assert iri in hrefs, iri  # external http(s) IRIs stay links
    for n in range(len(HOSTILE)):
        assert f"hostile {n}" in text  # the others are shown, by label…
    assert "javascript:alert(1)" in text  # …with their IRI in the title
    linked = [url for url in hrefs if url.lower().startswith(("javascript", "data:", "vbscript", "file:"))]
    assert linked == ["data:,"], linked  # the site's own empty favicon only


@pytest.mark.parametrize(
    "iri",
    [
        pytest.param(" javascript:alert(1)", id="leading-space"),
        pytest.param("\tjavascript:alert(1)", id="leading-tab"),
        pytest.param("java\tscript:alert(1)", id="tab-inside"),
        pytest.param("java\nscript:alert(1)", id="newline-inside"),
        pytest.param("\x01javascript:alert(1)", id="leading-control"),
        pytest.param("jav&#x09;ascript:alert(1)", id="char-reference"),
        pytest.param("https:\t//example.org/", id="https-with-tab"),
        pytest.param(" https://example.org/", id="https-with-leading-space"),
        pytest.param("https://exa mple.org/", id="https-with-space"),
        pytest.param("HTTPS://example.org/", id="https-upper-case"),
        pytest.param("https:///no-host", id="https-without-host"),
    ],
)
def test_iris_no_parser_would_give_are_not_linked_either(iri: str) -> None:
    """What pyoxigraph refuses to parse could still reach a page by another route: none of it is a link."""
    site = pages.Site(SITE)
    value = Value(ox.Literal("x"), "shown text", iri=iri)
    view = ResourceView(
        CAR,
        "Link test car",
        types=[value],
        properties=[PropertyValues(iri, "a property", [value])],
        incoming=[PropertyValues(iri, "from", [value])],
        sources=[Source(iri, "a source")],
    )
    view.properties[0].values[0].sources = [Source(iri, "a source")]
    html = pages.resource_page(site, view, "vehicle/link-test-car", "en")
    html += pages.browse_page(site, [pages.BrowseGroup(iri, "a group", [(iri, "a member")])], "en")
    html += pages.not_found_page(site, CAR, [(iri, "a suggestion")])
    bad = [(tag, url) for tag, url, attrs in _urls(html) if not _allowed(tag, url, attrs)]
    assert not bad, bad
    assert "shown text" in html


# --- --base-url ---------------------------------------------------------------------------------------


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[ServerConfig]:
    """Record, instead of starting, every server main() would start."""
    started: list[ServerConfig] = []

    def serve(config: ServerConfig, **_kwargs: object) -> int:
        started.append(config)
        return 0

    monkeypatch.setattr("alliance_kg.server.run.serve", serve)
    return started


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("not-a-url", id="not-a-url"),
        pytest.param("ftp://x/", id="ftp"),
        pytest.param("http://", id="no-host"),
        pytest.param("https:///akg/", id="empty-host"),
        pytest.param("//kg.example.org/akg/", id="no-scheme"),
        pytest.param("https://kg.example.org/akg/?x=1", id="query"),
        pytest.param("https://kg.example.org/akg/#top", id="fragment"),
        pytest.param("https://user:secret@kg.example.org/", id="credentials"),
        pytest.param("https://kg.example.org:99999/", id="bad-port"),
        pytest.param(" https://kg.example.org/", id="leading-space"),
        pytest.param("https://kg.example.org/a b/", id="space"),
        pytest.param("https://kg.example.org/\n", id="newline"),
        pytest.param("", id="empty"),
    ],
)
def test_a_bad_base_url_is_refused_before_the_server_starts(
    url: str, no_server: list[ServerConfig], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["serve", "--port", "8765", "--base-url", url])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and "--base-url" in err and "http" in err, err
    assert "Traceback" not in err
    assert no_server == []


@pytest.mark.parametrize(
    ("url", "base"),
    [
        pytest.param("https://kg.example.org/akg", "https://kg.example.org/akg/", id="slash-added"),
        pytest.param("https://kg.example.org/akg/", "https://kg.example.org/akg/", id="slash-kept"),
        pytest.param("http://127.0.0.1:8000", "http://127.0.0.1:8000/", id="host-and-port"),
        pytest.param("http://[::1]:8000/", "http://[::1]:8000/", id="ipv6"),
        pytest.param("HTTPS://kg.example.org/akg/", "https://kg.example.org/akg/", id="scheme-lower-cased"),
    ],
)
def test_a_good_base_url_is_taken(url: str, base: str, no_server: list[ServerConfig]) -> None:
    assert cli.main(["serve", "--port", "8765", "--base-url", url]) == 0
    assert [c.base_url for c in no_server] == [base]
    assert ServerConfig(base_url=url).base_url == base


def test_the_config_refuses_a_bad_base_url_too() -> None:
    with pytest.raises(ValueError, match="http"):
        ServerConfig(base_url="javascript:alert(1)")
