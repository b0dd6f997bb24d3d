"""HTTP hygiene of `alliance-kg serve`, against a real server: compression (gzip and Brotli by
Accept-Encoding, decoded by real decoders and by curl), conditional requests (ETag, weak validators,
Last-Modified), the 404s under /ontology/, and what the RDF documents say about themselves."""

from __future__ import annotations

import email.utils
import gzip
import http.client
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import httpx
import pytest
from conftest import require_program
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from test_server import Running, start_server

from alliance_kg import __version__, paths
from alliance_kg.namespaces import BASE, ID
from alliance_kg.void import DATASET, LICENSE

DUMP = "dump/alliance-kg.nt"
MICRA_DOC = "doc/vehicle/nissan-micra"
ASK = "sparql?query=ASK%20%7B%7D"  # a tiny answer: never worth compressing
FOAF = "http://xmlns.com/foaf/0.1/"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
RDF_FORMS = [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("rdf", "xml")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(
        tmp_path_factory.mktemp("http"), "--no-reasoning", "--workers", "1", "--quiet"
    ) as running:
        yield running


class Raw:
    """A response as it came over the wire: no decoding of its content."""

    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        values = self.headers.get_all(name)
        return ", ".join(values) if values else None

    def vary(self) -> list[str]:
        return [v.strip().lower() for v in (self.header("vary") or "").split(",") if v.strip()]


def fetch(server: Running, path: str, method: str = "GET", **headers: str) -> Raw:
    """``path`` by http.client, which sends only the headers given (and Host) and decodes nothing."""
    address = urlsplit(server.base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.putrequest(method, "/" + path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name.replace("_", "-"), value)
        connection.endheaders()
        response = connection.getresponse()
        return Raw(response.status, response.headers, response.read())
    finally:
        connection.close()


def identity(server: Running, path: str, **headers: str) -> Raw:
    plain = fetch(server, path, Accept_Encoding="identity", **headers)
    assert plain.status == 200 and plain.header("content-encoding") is None
    return plain


# ---------------------------------------------------------------------------------------------------
# Compression


@pytest.mark.parametrize(("coding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
@pytest.mark.parametrize("path", [DUMP, MICRA_DOC + ".html", MICRA_DOC + ".jsonld", "static/style.css"])
def test_compressed_bodies_decode_to_the_identity_body(server: Running, coding, decode, path: str) -> None:
    plain = identity(server, path)
    packed = fetch(server, path, Accept_Encoding=coding)
    assert packed.status == 200
    assert packed.header("content-encoding") == coding
    assert int(packed.header("content-length") or -1) == len(packed.body)
    assert len(packed.body) < len(plain.body) / 2
    assert decode(packed.body) == plain.body
    assert packed.header("content-type") == plain.header("content-type")
    assert "accept-encoding" in packed.vary() and "accept-encoding" in plain.vary()


def test_curl_compressed_gets_the_same_document(server: Running, tmp_path: Path) -> None:
    curl = require_program("curl", "a real HTTP client decodes the compressed responses")
    plain = identity(server, DUMP)
    body, headers = tmp_path / "body", tmp_path / "headers"
    subprocess.run(
        [curl, "-sS", "--compressed", "-D", str(headers), "-o", str(body), server.base + DUMP],
        check=True,
        timeout=60,
    )
    lines = headers.read_text().lower().splitlines()
    assert any(line.startswith("content-encoding: ") for line in lines), lines  # curl asked, got a coding
    assert body.read_bytes() == plain.body


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, deflate, br, zstd", "br"),  # what browsers send: equal q, the server prefers br
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("br;q=0.1, gzip;q=0.8", "gzip"),
        ("gzip;q=0.5, br;q=0.9", "br"),
        ("gzip, br;q=0", "gzip"),
        ("br, gzip;q=0", "br"),
        ("gzip;q=0, br;q=0", None),
        ("*", "br"),
        ("*;q=0.3, gzip", "gzip"),
        ("*;q=0.3, br;q=0", "gzip"),
        ("*;q=0", None),
        ("identity", None),
        ("identity;q=1, gzip;q=0.5", None),  # the client prefers it plain
        ("identity;q=0.5, gzip", "gzip"),
        ("identity;q=0, gzip", "gzip"),
        ("identity;q=0, deflate", None),  # nothing else it accepts: plain all the same (RFC 9110 §12.5.3)
        ("x-gzip", "gzip"),
        ("GZip;Q=0.7, BR;q=0.6", "gzip"),
        ("deflate, compress", None),
        ("", None),
        ("br;q=abc, gzip", "gzip"),  # a malformed q: that entry is ignored
        ("br;q=2, gzip;q=0.5", "gzip"),
        ("gzip;q=", None),
        (";;;,,,", None),
        ("br;;q=0.5,,gzip;q=0.4", "br"),
        ("\xe9t\xe9, br", "br"),
    ],
)
def test_accept_encoding_is_honoured(server: Running, accept_encoding: str, expected: str | None) -> None:
    response = fetch(server, DUMP, Accept_Encoding=accept_encoding)
    assert response.status == 200
    assert response.header("content-encoding") == expected
    assert "accept-encoding" in response.vary()
    decode = {"gzip": gzip.decompress, "br": brotli.decompress, None: bytes}[expected]
    assert decode(response.body) == identity(server, DUMP).body


def test_no_accept_encoding_means_no_compression(server: Running) -> None:
    response = fetch(server, DUMP)
    assert response.header("content-encoding") is None
    assert "accept-encoding" in response.vary()


def test_vary_keeps_what_was_there_once(server: Running) -> None:
    response = fetch(server, MICRA_DOC + ".ttl", Accept_Encoding="gzip")
    vary = response.vary()
    assert {"accept", "accept-language", "accept-encoding"} <= set(vary)
    assert len(vary) == len(set(vary))


def test_small_answers_are_not_compressed(server: Running) -> None:
    for path in (ASK, "nothing/here"):
        response = fetch(server, path, Accept_Encoding="gzip, br", Accept="application/sparql-results+json")
        assert len(response.body) < 1024
        assert response.header("content-encoding") is None, path
        assert int(response.header("content-length") or -1) == len(response.body)


def test_sparql_results_are_compressed(server: Running) -> None:
    path = "sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"
    plain = identity(server, path, Accept="application/sparql-results+json")
    packed = fetch(server, path, Accept="application/sparql-results+json", Accept_Encoding="br")
    assert packed.header("content-encoding") == "br"
    assert brotli.decompress(packed.body) == plain.body
    assert "accept-encoding" in packed.vary()


@pytest.mark.parametrize("path", [DUMP, MICRA_DOC + ".ttl", "static/query.js", ASK])
@pytest.mark.parametrize("coding", ["gzip", "br", "identity"])
def test_head_has_the_headers_of_get_and_no_body(server: Running, path: str, coding: str) -> None:
    get = fetch(server, path, Accept_Encoding=coding)
    head = fetch(server, path, "HEAD", Accept_Encoding=coding)
    assert head.status == get.status == 200
    assert head.body == b""
    for name in ("content-encoding", "content-length", "content-type", "etag", "vary", "last-modified"):
        assert head.header(name) == get.header(name), name


def test_a_compressed_document_has_a_weak_etag(server: Running) -> None:
    plain = identity(server, MICRA_DOC + ".ttl")
    packed = fetch(server, MICRA_DOC + ".ttl", Accept_Encoding="gzip")
    strong = plain.header("etag")
    assert strong and strong.startswith('"')
    assert packed.header("etag") == "W/" + strong  # same content, another representation of it


def test_already_compressed_types_are_left_alone() -> None:
    """In process (the site serves no such type): the middleware by itself."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from alliance_kg.server.http import Compression

    blob = bytes(range(256)) * 64

    def answer(media: str):
        async def endpoint(request) -> Response:
            return Response(blob, media_type=media)

        return endpoint

    kinds = ["image/png", "application/gzip", "application/zip", "font/woff2", "video/mp4", "text/plain"]
    app = Compression(Starlette(routes=[Route(f"/{i}", answer(m)) for i, m in enumerate(kinds)]))

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return [await c.get(f"/{i}", headers={"Accept-Encoding": "gzip, br"}) for i in range(len(kinds))]

    responses = asyncio.run(run())
    for media, response in zip(kinds, responses, strict=True):
        expected = "br" if media == "text/plain" else None
        assert response.headers.get("content-encoding") == expected, media
        assert response.content == blob  # httpx decodes br


# ---------------------------------------------------------------------------------------------------
# Conditional requests


def _validators(server: Running, path: str = MICRA_DOC + ".ttl") -> tuple[str, str]:
    plain = identity(server, path)
    etag, modified = plain.header("etag"), plain.header("last-modified")
    assert etag and modified
    return etag, modified


def _is_304(response: Raw, etag: str) -> None:
    assert response.status == 304
    assert response.body == b""
    assert response.header("etag") in (etag, "W/" + etag)
    assert response.header("cache-control")
    assert response.header("last-modified")
    assert {"accept", "accept-encoding"} <= set(response.vary())
    assert response.header("content-type") is None


def test_last_modified_is_one_http_date(server: Running) -> None:
    first = identity(server, MICRA_DOC + ".ttl")
    modified = first.header("last-modified")
    assert modified and modified.endswith(" GMT")
    when = email.utils.parsedate_to_datetime(modified)
    assert when <= email.utils.parsedate_to_datetime(first.header("date") or "")
    newest = max(int(p.stat().st_mtime) for p in [paths.ontology_file(), *paths.graph_files()])
    assert when.timestamp() >= newest
    for path in (MICRA_DOC + ".html", DUMP, "void.ttl", "ontology.ttl"):
        assert identity(server, path).header("last-modified") == modified, path


@pytest.mark.parametrize(
    "form",
    [
        "{etag}",
        "W/{etag}",
        '"nope", {etag}',
        '"nope",W/{etag} , "other"',
        "*",
        " {etag} ",
    ],
)
def test_if_none_match_gives_304(server: Running, form: str) -> None:
    etag, _ = _validators(server)
    for coding in ("identity", "gzip, br"):
        response = fetch(
            server, MICRA_DOC + ".ttl", If_None_Match=form.format(etag=etag), Accept_Encoding=coding
        )
        _is_304(response, etag)


def test_a_weak_etag_of_a_compressed_response_revalidates(server: Running) -> None:
    packed = fetch(server, DUMP, Accept_Encoding="br")
    weak = packed.header("etag") or ""
    assert weak.startswith("W/")
    again = fetch(server, DUMP, Accept_Encoding="br", If_None_Match=weak)
    assert again.status == 304 and again.header("etag") == weak


@pytest.mark.parametrize(
    "form", ['"nope"', 'W/"nope", "other"', '"unterminated', "W/", "no quotes", ",,,", '"a" "b"']
)
def test_if_none_match_without_a_match_gives_the_document(server: Running, form: str) -> None:
    response = fetch(server, MICRA_DOC + ".ttl", If_None_Match=form, Accept_Encoding="identity")
    assert response.status == 200 and response.body.startswith(b"@prefix")


def _date(when: datetime, style: str = "imf") -> str:
    when = when.astimezone(UTC)
    if style == "rfc850":
        return when.strftime("%A, %d-%b-%y %H:%M:%S GMT")
    if style == "asctime":
        return when.strftime("%a %b ") + f"{when.day:>2}" + when.strftime(" %H:%M:%S %Y")
    return email.utils.format_datetime(when, usegmt=True)


def test_if_modified_since(server: Running) -> None:
    etag, modified = _validators(server)
    when = email.utils.parsedate_to_datetime(modified)
    path = MICRA_DOC + ".ttl"
    for since in (modified, _date(when + timedelta(days=3)), _date(when, "rfc850"), _date(when, "asctime")):
        _is_304(fetch(server, path, If_Modified_Since=since), etag)
    for since in (_date(when - timedelta(seconds=1)), _date(when - timedelta(days=400))):
        response = fetch(server, path, If_Modified_Since=since)
        assert response.status == 200 and response.body, since
    for junk in ("yesterday", "", "Mon, 99 Foo 2024 99:99:99 GMT", modified + ", " + modified, "0"):
        response = fetch(server, path, If_Modified_Since=junk)
        assert response.status == 200 and response.body, junk  # ignored, never a 500


def test_if_none_match_takes_precedence_over_if_modified_since(server: Running) -> None:
    etag, modified = _validators(server)
    long_ago = _date(datetime(2001, 1, 1, tzinfo=UTC))
    path = MICRA_DOC + ".ttl"
    changed = fetch(server, path, If_None_Match='"other"', If_Modified_Since=modified)
    assert changed.status == 200 and changed.body
    _is_304(fetch(server, path, If_None_Match=etag, If_Modified_Since=long_ago), etag)


def test_a_304_carries_the_headers_of_the_200(server: Running) -> None:
    path = MICRA_DOC  # negotiated: with Content-Location
    full = fetch(server, path, Accept="text/turtle", Accept_Encoding="gzip")
    again = fetch(
        server, path, Accept="text/turtle", Accept_Encoding="gzip", If_None_Match=full.header("etag") or ""
    )
    assert again.status == 304 and again.body == b""
    for name in ("etag", "vary", "cache-control", "last-modified", "content-location"):
        assert again.header(name) == full.header(name), name


# ---------------------------------------------------------------------------------------------------
# The ontology's IRIs


def test_the_version_iri_redirects_to_the_ontology(server: Running) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for accept, ext in (("text/turtle", "ttl"), ("text/html", "html"), ("application/ld+json", "jsonld")):
            response = client.get(f"ontology/{__version__}", headers={"Accept": accept})
            assert response.status_code == 303
            assert response.headers["location"] == server.base + f"ontology.{ext}"


@pytest.mark.parametrize("path", ["ontology/9.9.9", "ontology/NoSuchTerm", "ontology/0.1", "ontology/%20"])
def test_other_paths_under_the_ontology_are_not_found(server: Running, path: str) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        text = client.get(path, headers={"Accept": "text/turtle"})
        assert text.status_code == 404
        assert f"ontology/{__version__}" in text.text and "ontology#" in text.text  # what there is
        assert "Traceback" not in text.text
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


def test_a_term_asked_for_by_a_slash_is_pointed_to_its_hash_iri(server: Running) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        response = client.get("ontology/VehicleModel", headers={"Accept": "text/plain"})
        assert response.status_code == 404
        assert BASE + "ontology#VehicleModel" in response.text


# ---------------------------------------------------------------------------------------------------
# What an RDF document says about itself


@pytest.mark.parametrize(("ext", "syntax"), RDF_FORMS)
def test_rdf_documents_describe_themselves(server: Running, ext: str, syntax: str) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        body = client.get(f"{MICRA_DOC}.{ext}").content
    graph = Graph().parse(data=body, format=syntax)
    document = URIRef(BASE + MICRA_DOC)
    assert (document, URIRef(FOAF + "primaryTopic"), URIRef(ID + "vehicle/nissan-micra")) in graph
    assert (document, URIRef(DCTERMS + "license"), URIRef(LICENSE)) in graph
    assert (document, URIRef(VOID + "inDataset"), URIRef(DATASET)) in graph


def test_every_rdf_form_says_the_same(server: Running) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        graphs = [
            Graph().parse(data=client.get(f"doc/plant/ampere-douai.{ext}").content, format=syntax)
            for ext, syntax in RDF_FORMS
        ]
        negotiated = client.get("doc/plant/ampere-douai", headers={"Accept": "text/turtle"}).text
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])
    assert isomorphic(graphs[0], Graph().parse(data=negotiated, format="turtle"))
    assert (URIRef(BASE + "doc/plant/ampere-douai"), None, None) in graphs[0]


# ---------------------------------------------------------------------------------------------------
# The Accept-Encoding parser, by properties

CODINGS = ["br", "gzip", "x-gzip", "identity", "*", "deflate", "zstd", "compress", "exi"]
qvalues = st.one_of(
    st.none(),
    st.sampled_from(["0", "1", "0.5", "0.001", "1.000", "0.000"]),
    st.integers(0, 1000).map(lambda n: f"{n / 1000:.3f}".rstrip("0").rstrip(".") or "0"),
)


@st.composite
def accept_encodings(draw) -> tuple[str, dict[str, float]]:
    """A header and, for each coding it names, its q (at most one entry per coding)."""
    names = draw(st.lists(st.sampled_from(CODINGS), unique_by=lambda n: n.replace("x-", ""), max_size=6))
    parts, given = [], {}
    for name in names:
        q = draw(qvalues)
        spelled = draw(st.sampled_from([name, name.upper(), name.title()]))
        space = draw(st.sampled_from(["", " ", "  "]))
        parts.append(spelled + (f"{space};{space}q={q}" if q is not None else ""))
        given["gzip" if name == "x-gzip" else name] = float(q) if q is not None else 1.0
    return draw(st.sampled_from([", ", ",", " , "])).join(parts), given


def _q(given: dict[str, float], coding: str) -> float:
    return given.get(coding, given.get("*", 0.0))


@given(accept_encodings())
def test_the_chosen_coding_has_the_highest_q(case: tuple[str, dict[str, float]]) -> None:
    from alliance_kg.server.http import SUPPORTED, choose_encoding

    header, given = case
    chosen = choose_encoding(header)
    best = max(_q(given, c) for c in SUPPORTED)
    if chosen is None:  # plain: nothing supported is acceptable, or the client prefers it plain
        assert best == 0 or given.get("identity", -1.0) > best
    else:
        assert chosen in SUPPORTED
        assert _q(given, chosen) > 0
        assert _q(given, chosen) == best
        if "identity" in given:
            assert given["identity"] <= best


@given(st.text(max_size=80))
def test_any_accept_encoding_is_survived(header: str) -> None:
    from alliance_kg.server.http import SUPPORTED, choose_encoding

    assert choose_encoding(header) in (None, *SUPPORTED)


def test_no_header_or_an_empty_one_means_plain() -> None:
    from alliance_kg.server.http import choose_encoding

    assert choose_encoding(None) is None
    assert choose_encoding("") is None
    assert choose_encoding("gzip;q=0, gzip") is None  # said twice, once refused: refused


def test_streamed_bodies_are_compressed_part_by_part() -> None:
    """In process: a body sent in parts (StreamingResponse) is compressed as it goes, without a length."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    from alliance_kg.server.http import Compression

    parts = [f"<https://example.org/s{i}> <https://example.org/p> {i} .\n".encode() * 50 for i in range(20)]

    async def endpoint(request) -> StreamingResponse:
        async def body():
            for part in parts:
                yield part

        return StreamingResponse(body(), media_type="application/n-triples")

    app = Compression(Starlette(routes=[Route("/", endpoint)]))

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            got = []
            for coding in ("gzip", "br"):
                async with c.stream("GET", "/", headers={"Accept-Encoding": coding}) as response:
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                    response.headers["x-raw-length"] = str(len(raw))
                    got.append((response, raw))
            head = await c.head("/", headers={"Accept-Encoding": "br"})
            return [*got, (head, head.content)]

    (gz, gz_raw), (br, br_raw), (head, head_body) = asyncio.run(run())
    assert gz.headers["content-encoding"] == "gzip" and "content-length" not in gz.headers
    assert gzip.decompress(gz_raw) == b"".join(parts)
    assert br.headers["content-encoding"] == "br" and brotli.decompress(br_raw) == b"".join(parts)
    assert len(br_raw) < len(b"".join(parts)) / 5
    assert head.headers["content-encoding"] == "br" and head_body == b""


@given(st.text(max_size=60), st.text(max_size=60))
def test_conditional_headers_never_raise(if_none_match: str, if_modified_since: str) -> None:
    from alliance_kg.server.http import not_modified, parse_entity_tags, parse_http_date

    parse_entity_tags(if_none_match)
    parse_http_date(if_modified_since)
    assert not_modified("GET", '"abc"', 784111777.0, [if_none_match], [if_modified_since]) in (True, False)


def test_http_dates_in_all_three_forms() -> None:
    from alliance_kg.server.http import http_date, parse_http_date

    assert http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    for form in (
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ):
        assert parse_http_date(form) == 784111777.0, form
    for junk in (
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "sun, 06 nov 1994 08:49:37 gmt",
    ):
        assert parse_http_date(junk) is None, junk
