"""The w3id.org registration kit (``w3id/alliance-kg/``): its ``.htaccess`` makes the persistent IRIs
resolve. Tested as w3id.org runs it: Debian's Apache httpd (``apache2``, mod_rewrite, mod_headers,
mod_setenvif), on 127.0.0.1 with a config of its own, serving a document root that holds
``alliance-kg/.htaccess`` with ``AllowOverride All`` — the file as shipped, with only the placeholder
server address replaced by a running ``alliance-kg serve``. Each canonical IRI must redirect as intended
(303 by ``Accept``, 307 for the endpoint, 302 for documents) and, followed, land on the right document of
the server with the right media type; for the Accept headers real clients send, on the document the
server's own negotiation picks."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from conftest import IN_CI, ROOT, require_program
from rdflib import Graph, URIRef
from test_server import Running, free_port, start_server

from alliance_kg.namespaces import BASE, ID, ONTOLOGY_IRI, OWL

KIT = ROOT / "w3id" / "alliance-kg"
PLACEHOLDER = "https://kg.example.org/alliance-kg/"
MODULES = Path("/usr/lib/apache2/modules")
MICRA = "vehicle/nissan-micra"

CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: What real clients send (rdflib 7's URLInputSource by format, Apache Jena 4.5's RIOT for a graph and
#: for a dataset), and a few plain ones; for each, the w3id redirect must reach what the server's own
#: negotiation (q-values and all) chooses.
CLIENTS = {
    "chrome": CHROME,
    "firefox": FIREFOX,
    "curl": "*/*",
    "none": None,
    "rdflib-xml": "application/rdf+xml, */*;q=0.1",
    "rdflib-turtle": "text/turtle, application/x-turtle, */*;q=0.1",
    "rdflib-nt": "text/plain, */*;q=0.1",
    "rdflib-json-ld": "application/ld+json, application/json;q=0.9, */*;q=0.1",
    "jena-graph": "text/turtle,application/n-triples;q=0.9,application/ld+json;q=0.8,"
    "application/rdf+xml;q=0.7,*/*;q=0.3",
    "jena-dataset": "text/turtle,application/n-triples;q=0.9,application/rdf+xml;q=0.7,application/trig,"
    "application/n-quads;q=0.9,application/ld+json;q=0.8,*/*;q=0.5",
    "turtle": "text/turtle",
    "n-triples": "application/n-triples",
    "json-ld": "application/ld+json",
    "rdf-xml": "application/rdf+xml",
    "html": "text/html",
}
MEDIA = {
    "html": "text/html",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}
ACCEPT = {
    "html": "text/html",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("w3id"), "--workers", "1", "--quiet") as running:
        yield running


def _apache_binary() -> str:
    beside = Path("/usr/sbin/apache2")  # not on a non-root user's PATH on Debian
    found = str(beside) if beside.is_file() else require_program("apache2", "w3id.org's redirects run on it")
    if not (MODULES / "mod_rewrite.so").is_file():
        message = f"no mod_rewrite in {MODULES} (Debian's apache2 package has it)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return found


def _config(root: Path, docroot: Path, port: int) -> str:
    modules = ("mpm_event", "authz_core", "rewrite", "headers", "setenvif", "alias")
    loads = "\n".join(f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in modules)
    user = ""
    if os.geteuid() == 0:  # as root, httpd's children take another user: one that can read the root
        user = "User nobody\nGroup nogroup\n" if _group_exists("nogroup") else "User nobody\nGroup nobody\n"
    return f"""ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/httpd.pid"
DefaultRuntimeDir "{root}"
Mutex file:{root} default
ErrorLog "{root}/error.log"
LogLevel warn
{loads}
{user}DocumentRoot "{docroot}"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{docroot}">
    Options FollowSymLinks
    AllowOverride All
    Require all granted
</Directory>
"""


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def _apache(target: str) -> Iterator[str]:
    """httpd on a free 127.0.0.1 port, serving the kit with the server address replaced by ``target``;
    yields ``http://127.0.0.1:PORT/alliance-kg/``. Stopped by its PID."""
    binary = _apache_binary()
    # a folder of its own, readable by httpd's children (pytest's are private to this user)
    root = Path(tempfile.mkdtemp(prefix="akg-w3id-"))
    process = None
    try:
        docroot = root / "htdocs"
        (docroot / "alliance-kg").mkdir(parents=True)
        htaccess = (KIT / ".htaccess").read_text(encoding="utf-8")
        assert htaccess.count(PLACEHOLDER) == 1, "the kit names its placeholder server once"
        (docroot / "alliance-kg" / ".htaccess").write_text(htaccess.replace(PLACEHOLDER, target))
        for path in (root, docroot, docroot / "alliance-kg"):
            path.chmod(0o755)
        (docroot / "alliance-kg" / ".htaccess").chmod(0o644)
        port = free_port()
        conf = root / "httpd.conf"
        conf.write_text(_config(root, docroot, port))
        check = subprocess.run([binary, "-f", str(conf), "-t"], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen(
            [binary, "-f", str(conf), "-DFOREGROUND"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(root / "stderr.log").open("wb"),
        )
        base = f"http://127.0.0.1:{port}/alliance-kg/"
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log = (root / "error.log").read_text() if (root / "error.log").exists() else ""
                pytest.fail(f"apache2 exited with {process.returncode}:\n{log}")
            try:
                httpx.get(base, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("apache2 did not answer within 30 s")
                time.sleep(0.1)
        yield base
    finally:
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)  # the parent stops its children
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(5)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def w3id(server: Running) -> Iterator[str]:
    with _apache(server.base) as base:
        yield base


def _get(url: str, accept: str | None, *, follow: bool) -> httpx.Response:
    headers = {"Accept": accept} if accept is not None else {}
    with httpx.Client(follow_redirects=follow, timeout=30) as client:
        request = client.build_request("GET", url, headers=headers)
        if accept is None:
            del request.headers["Accept"]  # httpx sends */* unless told not to
        return client.send(request)


def _version() -> str:
    """The current release's version, from the ontology's owl:versionIRI."""
    graph = Graph().parse(ROOT / "ontology" / "alliance.ttl")
    versions = [str(v) for v in graph.objects(URIRef(ONTOLOGY_IRI), URIRef(OWL + "versionIRI"))]
    assert len(versions) == 1, versions
    return versions[0].rsplit("/", 1)[1]


# --- the kit itself ----------------------------------------------------------------------------------------


def test_the_kit_is_what_w3id_asks_for() -> None:
    """An .htaccess and a README.md (w3id.org's README: "Creating a New Identifier"), saying who administers
    the space and how the submitter's contact is added, and the current version IRI routed."""
    htaccess = (KIT / ".htaccess").read_text(encoding="utf-8")
    readme = (KIT / "README.md").read_text(encoding="utf-8")
    assert "## Contact" in htaccess and "alliance-kg contributors" in htaccess
    assert "alliance-kg contributors" in readme and "## Contact" in readme
    for text in (htaccess, readme):
        assert "GitHub username" in text and "pull request" in text
    assert PLACEHOLDER in readme  # which line to change is said there too
    assert f"\nRewriteRule ^ontology/{re.escape(_version())}$ " in htaccess
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", htaccess + readme), "no e-mail address is invented"


# --- through Apache ----------------------------------------------------------------------------------------


def _redirects(w3id: str, path: str, accept: str | None) -> httpx.Response:
    return _get(w3id + path, accept, follow=False)


@pytest.mark.parametrize("ext", list(MEDIA))
def test_the_ontology_iri(w3id: str, server: Running, ext: str) -> None:
    for path in ("ontology", f"ontology/{_version()}"):
        first = _redirects(w3id, path, ACCEPT[ext])
        assert first.status_code == 303, (path, first.status_code, first.text)
        assert first.headers["location"] == f"{server.base}ontology.{ext}"
        assert "accept" in first.headers.get("vary", "").lower()
        landed = _get(w3id + path, ACCEPT[ext], follow=True)
        assert landed.status_code == 200 and str(landed.url) == f"{server.base}ontology.{ext}"
        assert landed.headers["content-type"].split(";")[0] == MEDIA[ext]
        if ext != "html":
            graph = Graph().parse(
                data=landed.content, format={"jsonld": "json-ld", "rdf": "xml"}.get(ext, ext)
            )
            assert (URIRef(ONTOLOGY_IRI), None, None) in graph


def test_a_term_iri_reaches_its_section(w3id: str, server: Running) -> None:
    """``ontology#builtOnPlatform``: the fragment never reaches the server; the client keeps it."""
    first = _redirects(w3id, "ontology#builtOnPlatform", FIREFOX)
    assert first.status_code == 303 and first.headers["location"] == f"{server.base}ontology.html"
    assert 'id="builtOnPlatform"' in _get(w3id + "ontology", FIREFOX, follow=True).text


@pytest.mark.parametrize(
    "path", [MICRA, "organisation/renault-group", "event/alliance-operating-board-meeting-2025-09-16"]
)
@pytest.mark.parametrize("ext", list(MEDIA))
def test_a_thing_iri(w3id: str, server: Running, path: str, ext: str) -> None:
    first = _redirects(w3id, f"id/{path}", ACCEPT[ext])
    assert first.status_code == 303
    assert first.headers["location"] == f"{server.base}doc/{path}.{ext}"
    assert "accept" in first.headers.get("vary", "").lower()
    landed = _get(w3id + f"id/{path}", ACCEPT[ext], follow=True)
    assert landed.status_code == 200 and landed.headers["content-type"].split(";")[0] == MEDIA[ext]
    if ext == "html":
        assert f'<link rel="canonical" href="{ID}{path}">' in landed.text
    else:
        graph = Graph().parse(data=landed.content, format={"jsonld": "json-ld", "rdf": "xml"}.get(ext, ext))
        assert (URIRef(ID + path), None, None) in graph  # about the canonical IRI, not the local address


def test_the_query_string_is_kept(w3id: str, server: Running) -> None:
    first = _redirects(w3id, f"id/{MICRA}?lang=fr", FIREFOX)
    assert first.headers["location"] == f"{server.base}doc/{MICRA}.html?lang=fr"
    assert "construit sur la plateforme" in _get(w3id + f"id/{MICRA}?lang=fr", FIREFOX, follow=True).text


def test_an_unknown_iri_ends_in_a_404_with_suggestions(w3id: str) -> None:
    landed = _get(w3id + "id/vehicle/nissan-micro", "text/turtle", follow=True)
    assert landed.status_code == 404 and "nissan-micra" in landed.text


@pytest.mark.parametrize("name", ["data", "ontology", "inferred"])
@pytest.mark.parametrize("ext", ["ttl", "nt", "jsonld", "rdf"])
def test_a_graph_iri(w3id: str, server: Running, name: str, ext: str) -> None:
    first = _redirects(w3id, f"graph/{name}", ACCEPT[ext])
    assert first.status_code == 303 and first.headers["location"] == f"{server.base}graph/{name}.{ext}"
    landed = _get(w3id + f"graph/{name}", ACCEPT[ext], follow=True)
    assert landed.status_code == 200 and landed.headers["content-type"].split(";")[0] == MEDIA[ext]
    assert landed.content == httpx.get(f"{server.base}graph/{name}.{ext}", timeout=30).content


def test_a_graph_iri_for_a_browser_gives_rdf(w3id: str, server: Running) -> None:
    """There is no HTML form of a graph: a browser gets what the server itself gives it."""
    first = _redirects(w3id, "graph/data", "text/html")
    assert first.status_code == 303 and first.headers["location"] == f"{server.base}graph/data.ttl"


@pytest.mark.parametrize(
    ("accept", "ext"),
    [("text/turtle", "ttl"), ("*/*", "ttl"), (FIREFOX, "html"), ("application/ld+json", "jsonld")],
)
def test_the_dataset_iri(w3id: str, server: Running, accept: str, ext: str) -> None:
    first = _redirects(w3id, "dataset", accept)
    assert first.status_code == 303 and first.headers["location"] == f"{server.base}void.{ext}"
    landed = _get(w3id + "dataset", accept, follow=True)
    assert landed.status_code == 200 and landed.headers["content-type"].split(";")[0] == MEDIA[ext]
    if ext == "ttl":
        assert (URIRef(BASE + "dataset"), None, None) in Graph().parse(data=landed.text, format="turtle")


@pytest.mark.parametrize("reasoned", [False, True], ids=["sparql", "sparql-reasoned"])
def test_the_endpoint_iri_keeps_get_and_post(w3id: str, server: Running, reasoned: bool) -> None:
    path = "sparql/reasoned" if reasoned else "sparql"
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?car a schema:Car }"
    accept = "application/sparql-results+json"
    first = _redirects(w3id, f"{path}?query={quote(query)}", accept)
    assert first.status_code == 307
    assert first.headers["location"] == f"{server.base}{path}?query={quote(query)}"
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        got = client.get(w3id + path, params={"query": query}, headers={"Accept": accept})
        posted = client.post(w3id + path, data={"query": query}, headers={"Accept": accept})
    for answer in (got, posted):
        assert answer.status_code == 200, answer.text
        assert str(answer.url).startswith(server.base + path)
        assert answer.headers["content-type"].startswith("application/sparql-results+json")
    cars = int(got.json()["results"]["bindings"][0]["n"]["value"])
    assert cars == (6 if reasoned else 0)  # schema:Car is inferred: the closure has them
    assert posted.json() == got.json()
    assert posted.history[0].status_code == 307 and posted.request.method == "POST"


@pytest.mark.parametrize(
    "path",
    [f"doc/{MICRA}.ttl", f"doc/{MICRA}.html", "void", "dump/alliance-kg.nt", "browse", ""],
    ids=["doc-ttl", "doc-html", "void", "dump", "browse", "home"],
)
def test_documents_are_found_at_the_same_path(w3id: str, server: Running, path: str) -> None:
    first = _redirects(w3id, path, None)
    assert first.status_code == 302 and first.headers["location"] == server.base + path
    landed = _get(w3id + path, None, follow=True)
    assert landed.status_code == 200
    assert landed.content == httpx.get(server.base + path, timeout=30).content


@pytest.mark.parametrize("client", list(CLIENTS))
def test_real_clients_land_where_the_server_would_send_them(w3id: str, server: Running, client: str) -> None:
    """For each Accept header a real client sends, the w3id redirect reaches the document the server's own
    negotiation (which weighs q-values) picks: for a thing, the ontology and the dataset."""
    accept = CLIENTS[client]
    for w3id_path, own in ((f"id/{MICRA}", f"id/{MICRA}"), ("ontology", "ontology"), ("dataset", "dataset")):
        through_w3id = _redirects(w3id, w3id_path, accept)
        direct = _get(server.base + own, accept, follow=False)
        assert direct.status_code == 303
        assert through_w3id.headers["location"] == direct.headers["location"], (w3id_path, accept)
    # a graph: the server answers at the graph's own address, in the type it chose (or 406 to a client that
    # takes no RDF, to whom the redirect gives Turtle: it cannot answer 406 for the server)
    landed = _get(w3id + "graph/data", accept, follow=True)
    direct = _get(server.base + "graph/data", accept, follow=True)
    assert landed.status_code == 200
    if direct.status_code == 406:
        assert landed.headers["content-type"].startswith("text/turtle"), accept
    else:
        assert landed.headers["content-type"] == direct.headers["content-type"], accept
