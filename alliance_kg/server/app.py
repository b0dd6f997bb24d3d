"""The linked-data site: a Starlette application (run by uvicorn; ``alliance-kg serve``).

Routes (``{base}`` is the public address, ``--base-url``, or the address each request came to):

=================================  ==================================================================
``/``                              the query page (an editor with the competency queries, results as
                                   a table)
``/sparql``                        the SPARQL 1.1 Protocol endpoint (GET, POST); without a query, the
                                   query page for a browser and the service description otherwise
``/id/{kind}/{slug}``              a resource's IRI: **303 See Other** to the document about it in the
                                   format asked for (``Accept``): ``/doc/{kind}/{slug}.html`` (the
                                   default), ``.ttl``, ``.nt``, ``.jsonld`` or ``.rdf``
``/doc/{kind}/{slug}[.ext]``       the document about the resource (without an extension: negotiated,
                                   with ``Content-Location``)
``/ontology``                      the ontology's IRI (and, with ``#term``, its terms' IRIs): 303 to
                                   ``/ontology.html`` (the documentation of every class and property)
                                   or ``/ontology.ttl``, ``.nt``, ``.jsonld``, ``.rdf``
``/void``, ``/.well-known/void``   the VoID description of the dataset (``/void.ttl`` …)
``/graph/{name}[.ext]``            one named graph, whole (the dumps that VoID lists)
``/browse``                        every resource, by class
=================================  ==================================================================

The graph's IRIs are ``https://w3id.org/alliance-kg/…``: a request for ``{base}id/vehicle/nissan-micra`` is
about ``https://w3id.org/alliance-kg/id/vehicle/nissan-micra``. The RDF the server returns keeps those
canonical IRIs; the HTML pages link to the local addresses.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import gate, paths
from .. import layout as kg_layout
from .. import void as kg_void
from ..formats import curie, labels_for
from ..namespaces import AKG, BASE, GRAPH, ID, ONTOLOGY_IRI, OWL, PREFIXES, RDF
from . import dataset as dataset_module
from . import http as conditional
from . import negotiation, ontology, pages, queries, resources, sparql
from .config import ServerConfig
from .dataset import ServedData
from .execute import Graphs
from .http import Compression  # gzip and Brotli by Accept-Encoding
from .negotiation import GRAPH_FORMATS, HTML, Format
from .workers import QueryPool

TYPE_CHECKING = False  # imports for the type checker only, as in the rest of the package
if TYPE_CHECKING:
    from collections.abc import AsyncIterator

log = logging.getLogger("alliance_kg.server")
STATIC = Path(__file__).resolve().parent / "static"
LANGUAGES = set(pages.LANGUAGES)
RESOURCE_OFFERS = (HTML, *GRAPH_FORMATS)  # a resource IRI: HTML unless RDF is asked for
DATA_OFFERS = (*GRAPH_FORMATS, HTML)  # the VoID, the service description, the graphs: RDF unless HTML is
EXTENSIONS = {f.key: f for f in RESOURCE_OFFERS}
CACHE_SIZE = 4096  # rendered documents kept
DUMP_TYPES = {file: f"{media}; charset=utf-8" for file, media, _ in kg_void.DUMP_FORMATS.values()}
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self' {origin}; "
    "form-action 'self' {origin}; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass
class _Rendered:
    body: bytes
    media_type: str
    etag: str


class RequestLimits:
    """Refuse, before routing, a request whose query string is longer than the limit (414); mark every
    response ``X-Content-Type-Options: nosniff``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-content-type-options", b"nosniff")]
            await send(message)

        if len(scope.get("query_string", b"")) > self.limit:
            response = Response(
                f"the query string is longer than {self.limit:,} bytes: send long queries by POST\n",
                status_code=414,
                media_type="text/plain; charset=utf-8",
            )
            await response(scope, receive, send_marked)
            return
        await self.app(scope, receive, send_marked)


def _serialise(triples: list[ox.Triple], fmt: Format) -> bytes:
    prefixes = None
    if fmt.key == "ttl":
        used = {
            t.value
            for triple in triples
            for t in (triple.subject, triple.predicate, triple.object)
            if isinstance(t, ox.NamedNode)
        }
        used |= {
            t.datatype.value
            for triple in triples
            for t in (triple.object,)
            if isinstance(t, ox.Literal) and t.datatype
        }
        prefixes = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in used)}
    return ox.serialize(triples, format=negotiation.RDF_FORMAT[fmt.key], prefixes=prefixes) or b""


def create_app(config: ServerConfig | None = None, *, data: ServedData | None = None) -> Starlette:
    """The application; it loads the data now (unless given) and starts the query workers on start-up."""
    config = config or ServerConfig()
    if data is None:
        data = dataset_module.load(config.data, reasoning=config.reasoning, log=log.info)
    served = data
    layout = served.layout or kg_layout.build(config.data, reasoned=served.inferred_graph is not None)
    known = resources.known_iris(served.pages)
    catalogue = queries.entries(served.pages)
    pool = QueryPool(
        served.nquads(),
        Graphs(served.asserted_graphs, kg_layout.GRAPHS, served.inferred_graph),
        size=config.workers,
        timeout=config.timeout,
        require_sandbox=config.require_sandbox,
    )
    ontology_turtle = paths.ontology_file().read_bytes()
    counts = (
        f"The graph holds {sum(served.graph_sizes.get(g, 0) for g in served.asserted_graphs):,} triples "
        "about "
        f"{sum(1 for i in known if i.startswith(ID)):,} resources"
        + (
            f", and OWL 2 RL infers {served.graph_sizes.get(served.inferred_graph, 0):,} more."
            if served.inferred_graph
            else "."
        )
    )

    def site_for(request: Request) -> pages.Site:
        return pages.Site(config.base_url or str(request.base_url))

    def language(request: Request) -> str:
        return negotiation.choose_language(
            request.query_params.get("lang"), request.headers.get("accept-language"), LANGUAGES
        )

    @functools.lru_cache(maxsize=8)
    def void_triples(base: str) -> list[ox.Triple]:
        """The dataset's VoID + DCAT description (alliance_kg.void), with this server's endpoints, dumps."""
        described = kg_void.describe(
            layout,
            endpoint=base + "sparql",
            reasoned_endpoint=base + "sparql/reasoned" if served.inferred_graph else None,
            dumps=base + "dump/",
        )
        return list(
            ox.parse(described.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
        )

    def dump(name: str) -> bytes:
        """A dump of the asserted graphs by its file name: the bytes ``alliance-kg export --format …``
        writes (with this server's ``--data``)."""
        from .. import export
        from ..graph import bind_prefixes

        fmt = next(f for f, (file, _, _) in kg_void.DUMP_FORMATS.items() if file == name)
        asserted = kg_layout.Layout({g: layout.graphs[g] for g in layout.asserted_graphs})
        if fmt in export.QUAD_FORMATS:
            return export.serialize_dataset(asserted.rdflib_dataset(), fmt)
        from rdflib import Graph

        graph = bind_prefixes(Graph())
        graph.addN((*kg_layout.to_rdflib(t), graph) for t in asserted.default_graph())
        return export.serialize_graph(graph, fmt)

    def graph_triples(key: str) -> list[ox.Triple]:
        """A named graph's triples by its IRI; ``default`` and ``closure``: the default graphs of the
        plain and the reasoned endpoint."""
        if key == "default":
            return layout.default_graph()
        if key == "closure":
            return layout.closure()
        return layout.graph(key)

    rendered_cache: dict[tuple[str, str, str, str, str], _Rendered] = {}

    def render(kind: str, key: str, fmt_key: str, lang: str, base: str) -> _Rendered:
        """A document (a page, a description, a dump…) as bytes."""
        site = pages.Site(base)
        fmt = EXTENSIONS[fmt_key]
        if kind == "resource":
            iri = ID + key
            if fmt_key == "html":  # with its description in schema.org terms, from the closure, as JSON-LD
                jsonld = resources.schema_jsonld(resources.schema_triples(served.dataset, iri), iri)
                view = resources.view(served.pages, iri, lang)
                body = pages.resource_page(site, view, key, lang, jsonld=jsonld).encode()
            else:
                body = _serialise(
                    resources.description(served.pages, iri, lang) + resources.document_triples(iri), fmt
                )
        elif kind == "ontology":
            if fmt_key == "html":
                doc = ontology.document(served.pages, lang)
                body = pages.ontology_page(
                    site, doc.title, doc.description, doc.metadata, doc.sections, lang
                ).encode()
            elif fmt_key == "ttl":
                body = ontology_turtle
            else:
                body = _serialise(layout.graph(kg_layout.ONTOLOGY), fmt)
        elif kind == "void":
            triples = void_triples(base)
            if fmt_key == "html":
                turtle = _serialise(triples, EXTENSIONS["ttl"]).decode()
                body = pages.void_page(site, turtle, _void_facts(served, triples)).encode()
            else:
                body = _serialise(triples, fmt)
        elif kind == "dump":
            body = dump(key)
        elif kind == "service":
            reasoned = key == "reasoned"
            url = site.endpoint + ("/reasoned" if reasoned else "")
            body = _serialise(sparql.service_description(served, url, base, config, reasoned=reasoned), fmt)
        elif kind == "graph":
            body = _serialise(graph_triples(key), fmt)
        elif kind == "browse":
            body = pages.browse_page(site, _browse(served.pages, lang), lang).encode()
        elif kind == "query":
            graphs: dict[str, object] = {
                "asserted": list(served.asserted_graphs),
                "inferred": served.inferred_graph,
                "reasonedEndpoint": site.endpoint + "/reasoned" if served.inferred_graph else None,
            }
            body = pages.query_page(site, catalogue, graphs, counts).encode()
        else:  # pragma: no cover
            raise KeyError(kind)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        media = DUMP_TYPES.get(key, fmt.content_type) if kind == "dump" else fmt.content_type
        return _Rendered(body, media, etag)

    async def respond(
        request: Request, kind: str, key: str, fmt: Format, lang: str, *, location: str | None = None
    ) -> Response:
        site = site_for(request)
        cache_key = (kind, key, fmt.key, lang, site.base)
        rendered = rendered_cache.get(cache_key)
        if rendered is None:  # rendered once, in a thread: the data does not change while the server runs
            rendered = await run_in_threadpool(render, *cache_key)
            if len(rendered_cache) >= CACHE_SIZE:
                rendered_cache.pop(next(iter(rendered_cache)), None)
            rendered_cache[cache_key] = rendered
        state = request.app.state  # one Last-Modified for the app's lifetime: the data do not change
        modified = getattr(state, "last_modified", None)
        if modified is None:
            files = [paths.ontology_file(), *paths.graph_files(), *map(Path, config.data)]
            modified = state.last_modified = conditional.newest_modification(files)
        headers = {
            "Vary": "Accept, Accept-Language",
            "ETag": rendered.etag,
            "Last-Modified": conditional.http_date(modified),
            "Cache-Control": "public, max-age=300",
        }
        if location:
            headers["Content-Location"] = location
        if fmt is HTML:
            origin = site.base.split("/", 3)
            headers["Content-Security-Policy"] = CSP.format(origin="/".join(origin[:3]))
        if conditional.not_modified(  # If-None-Match (weak comparison, lists, *), else If-Modified-Since
            request.method,
            rendered.etag,
            modified,
            request.headers.getlist("if-none-match"),
            request.headers.getlist("if-modified-since"),
        ):
            return Response(status_code=304, headers=headers)  # the 200's validators and Vary, no body
        return Response(rendered.body, media_type=rendered.media_type, headers=headers)

    def negotiate(request: Request, offers: tuple[Format, ...]) -> Format:
        chosen = negotiation.choose(request.headers.get("accept"), offers)
        if chosen is None:
            available = ", ".join(o.media_type for o in offers)
            raise HTTPException(
                406, f"cannot produce {request.headers.get('accept')!r} here; available: {available}"
            )
        return chosen

    def see_other(request: Request, target: str) -> Response:
        query = request.url.query
        return RedirectResponse(
            target + (f"?{query}" if query else ""), status_code=303, headers={"Vary": "Accept"}
        )

    def not_found(request: Request, iri: str) -> Response:
        site = site_for(request)
        wanted = iri[len(BASE) :] if iri.startswith(BASE) else iri
        candidates = {i[len(BASE) :]: i for i in known if i.startswith(ID) and "/statement/" not in i}
        close = difflib.get_close_matches(wanted, list(candidates), n=5, cutoff=0.6)
        labels = labels_for(served.pages, [candidates[c] for c in close], language(request))
        suggestions = [(candidates[c], labels.get(candidates[c], curie(candidates[c]))) for c in close]
        if negotiation.accepts_html(request.headers.get("accept")):
            return Response(
                pages.not_found_page(site, iri, suggestions), status_code=404, media_type="text/html"
            )
        hint = "".join(f"\n  did you mean <{i}>?" for i, _ in suggestions)
        return Response(
            f"no resource <{iri}> in this graph{hint}\n",
            status_code=404,
            media_type="text/plain; charset=utf-8",
        )

    # ---- routes -------------------------------------------------------------------------------------

    async def home(request: Request) -> Response:
        return await respond(request, "query", "", HTML, "en")

    async def endpoint(request: Request) -> Response:
        return await answer(request, reasoned=False)

    async def reasoned_endpoint(request: Request) -> Response:
        if not served.inferred_graph:
            raise HTTPException(
                404,
                "this server runs without reasoning (serve --no-reasoning): there is no reasoned endpoint; "
                "/sparql answers from the asserted graphs",
            )
        return await answer(request, reasoned=True)

    async def answer(request: Request, *, reasoned: bool) -> Response:
        """The SPARQL Protocol (and Graph Store Protocol reads) at /sparql and /sparql/reasoned."""
        query = await sparql.parse_request(request, config, reasoned=reasoned)
        url = site_for(request).endpoint + ("/reasoned" if reasoned else "")
        if isinstance(query, sparql.GraphRead):
            return await graph_read(request, query, reasoned=reasoned)
        if query is None:
            if negotiation.accepts_html(request.headers.get("accept")):
                return await home(request)
            fmt = negotiation.choose(request.headers.get("accept"), GRAPH_FORMATS) or GRAPH_FORMATS[0]
            return await respond(request, "service", "reasoned" if reasoned else "", fmt, "en")
        if (
            request.method in ("GET", "HEAD")
            and not query.formats
            and negotiation.accepts_html(request.headers.get("accept"))
        ):  # a browser following a link to a query: the query page, with the query in it
            target = (
                site_for(request).base
                + "?"
                + urlencode({"query": query.text, **({"reasoned": "1"} if reasoned else {})})
            )
            return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})
        try:  # the one gate: what the worker runs is its canonical text, never the client's
            checked = await run_in_threadpool(gate.check, query.text, prefixes=PREFIXES, base=url)
        except gate.Refused as refusal:
            return Response(
                refusal.message.rstrip() + "\n",
                status_code=refusal.status,
                media_type="text/plain; charset=utf-8",
                headers={"Cache-Control": "no-store"},
            )
        result = await pool.run(replace(query, query=checked))
        headers = {"Vary": "Accept", "Cache-Control": "no-store", **result.headers}
        return Response(
            result.body, status_code=result.status, media_type=result.content_type, headers=headers
        )

    async def graph_read(request: Request, read: sparql.GraphRead, *, reasoned: bool) -> Response:
        """A Graph Store HTTP Protocol read (GET or HEAD with ?graph=IRI or ?default)."""
        if read.graph is None:
            key = "closure" if reasoned else "default"
        elif read.graph in kg_layout.GRAPHS:
            key = read.graph
        else:
            raise HTTPException(
                404,
                f"no graph <{read.graph}> in this dataset (nothing is ever fetched); its graphs are:\n  "
                + "\n  ".join(kg_layout.GRAPHS),
            )
        fmt = negotiate(request, GRAPH_FORMATS)
        return await respond(request, "graph", key, fmt, "en")

    async def resource(request: Request) -> Response:
        path = request.path_params["path"]
        if ID + path not in known:
            return not_found(request, ID + path)
        fmt = negotiate(request, RESOURCE_OFFERS)
        return see_other(request, f"{site_for(request).base}doc/{path}.{fmt.key}")

    async def document(request: Request) -> Response:
        path = request.path_params["path"]
        stem, dot, ext = path.rpartition(".")
        if dot and ext in EXTENSIONS and ID + stem in known:
            return await respond(request, "resource", stem, EXTENSIONS[ext], language(request))
        if ID + path not in known:
            return not_found(request, ID + (stem if dot and ext in EXTENSIONS else path))
        fmt = negotiate(request, RESOURCE_OFFERS)
        location = f"{site_for(request).base}doc/{path}.{fmt.key}"
        return await respond(request, "resource", path, fmt, language(request), location=location)

    async def ontology_iri(request: Request) -> Response:
        version = request.path_params.get("version")
        if version is not None:  # its version IRI (owl:versionIRI) names the ontology too; nothing else does
            versions = sorted(
                q.object.value
                for q in served.pages.quads_for_pattern(
                    ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(OWL + "versionIRI"), None, None
                )
                if isinstance(q.object, ox.NamedNode)
            )
            if f"{ONTOLOGY_IRI}/{version}" not in versions:
                base = site_for(request).base
                try:  # a term asked for with a slash: the terms are in a hash namespace
                    term = ox.NamedNode(AKG + version)
                    is_term = next(iter(served.pages.quads_for_pattern(term, None, None, None)), None)
                except ValueError:  # not even an IRI
                    is_term = None
                hint = f" Did you mean <{AKG}{version}> ({base}ontology.html#{version})?" if is_term else ""
                raise HTTPException(
                    404,
                    f"no <{ONTOLOGY_IRI}/{version}> here. The ontology is <{ONTOLOGY_IRI}>"
                    + "".join(f", version <{v}>" for v in versions)
                    + f"; its terms are in a hash namespace, <{AKG}Term>, documented at {base}ontology.html."
                    + hint,
                )
        fmt = negotiate(request, RESOURCE_OFFERS)
        return see_other(request, f"{site_for(request).base}ontology.{fmt.key}")

    async def ontology_document(request: Request) -> Response:
        fmt = EXTENSIONS.get(request.path_params["ext"])
        if fmt is None:
            raise HTTPException(404, "the ontology is at ontology.html, .ttl, .nt, .jsonld and .rdf")
        return await respond(request, "ontology", "", fmt, language(request))

    async def void_document(request: Request) -> Response:
        ext = request.path_params.get("ext")
        if ext is not None:
            fmt = EXTENSIONS.get(ext)
            if fmt is None:
                raise HTTPException(
                    404, "the dataset description is at void.html, .ttl, .nt, .jsonld and .rdf"
                )
            return await respond(request, "void", "", fmt, "en")
        fmt = negotiate(request, DATA_OFFERS)
        return await respond(
            request, "void", "", fmt, "en", location=f"{site_for(request).base}void.{fmt.key}"
        )

    async def graph_document(request: Request) -> Response:
        name, dot, ext = request.path_params["name"].rpartition(".")
        if not dot:
            name, ext = request.path_params["name"], ""
        graph = GRAPH + name
        if graph not in kg_layout.GRAPHS:
            raise HTTPException(
                404, f"no named graph <{graph}>; the graphs are: " + ", ".join(kg_layout.GRAPHS)
            )
        if ext:
            fmt = EXTENSIONS.get(ext)
            if fmt is None or fmt is HTML:
                raise HTTPException(404, "a graph is served as .ttl, .nt, .jsonld or .rdf")
        else:
            fmt = negotiate(request, GRAPH_FORMATS)
        return await respond(request, "graph", graph, fmt, "en")

    async def dump_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in DUMP_TYPES:
            raise HTTPException(404, "the dumps are: " + ", ".join(DUMP_TYPES))
        return await respond(request, "dump", name, EXTENSIONS["ttl"], "en")

    async def dataset_iri(request: Request) -> Response:
        fmt = negotiate(request, DATA_OFFERS)
        return see_other(request, f"{site_for(request).base}void.{fmt.key}")

    async def browse(request: Request) -> Response:
        return await respond(request, "browse", "", HTML, language(request))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and request.url.path.startswith("/") and message == "Not Found":
            message = f"nothing at {request.url.path}"
        if negotiation.accepts_html(request.headers.get("accept")):
            body = pages.error_page(site_for(request), exc.status_code, message)
            return Response(body, status_code=exc.status_code, media_type="text/html", headers=headers)
        return Response(
            message.rstrip() + "\n",
            status_code=exc.status_code,
            media_type="text/plain; charset=utf-8",
            headers=headers,
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return Response(
            "internal server error (the server's log says more)\n",
            status_code=500,
            media_type="text/plain; charset=utf-8",
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        log.info(
            "%d query workers ready (PIDs %s); sandbox: %s",
            pool.size,
            ", ".join(map(str, pool.pids)),
            pool.sandbox,
        )
        try:
            yield
        finally:
            await pool.close()

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/sparql", endpoint, methods=["GET", "POST"]),
        Route("/sparql/reasoned", reasoned_endpoint, methods=["GET", "POST"]),
        Route("/id/{path:path}", resource, methods=["GET"]),
        Route("/doc/{path:path}", document, methods=["GET"]),
        Route("/ontology", ontology_iri, methods=["GET"]),
        Route("/ontology/{version}", ontology_iri, methods=["GET"]),
        Route("/ontology.{ext}", ontology_document, methods=["GET"]),
        Route("/void", void_document, methods=["GET"]),
        Route("/.well-known/void", void_document, methods=["GET"]),
        Route("/void.{ext}", void_document, methods=["GET"]),
        Route("/graph/{name}", graph_document, methods=["GET"]),
        Route("/dump/{name}", dump_file, methods=["GET"]),
        Route("/dataset", dataset_iri, methods=["GET"]),
        Route("/browse", browse, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(RequestLimits, limit=config.max_request_bytes), Middleware(Compression)]
    if config.cors:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Accept", "Accept-Language", "Content-Type"],
                expose_headers=["Content-Location", "Content-Type", "ETag", "Vary", "X-Result-Count"],
                max_age=86400,
            )
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.pool = pool
    app.state.data = served
    app.state.config = config
    return app


def _void_facts(served: ServedData, triples: list[ox.Triple]) -> list[tuple[str, str]]:
    facts = []
    names = {
        kg_void.VOID + "triples": "triples (all named graphs together)",
        kg_void.VOID + "entities": "entities (resources with an IRI under …/id/)",
        kg_void.VOID + "classes": "classes",
        kg_void.VOID + "properties": "properties",
        kg_void.VOID + "distinctSubjects": "distinct subjects",
        kg_void.VOID + "distinctObjects": "distinct objects",
        kg_void.VOID + "sparqlEndpoint": "SPARQL endpoint",
        kg_void.VOID + "uriSpace": "URI space",
    }
    dataset = ox.NamedNode(kg_void.DATASET)
    for triple in triples:
        value = triple.object
        if triple.subject == dataset and triple.predicate.value in names and not isinstance(value, ox.Triple):
            facts.append((names[triple.predicate.value], value.value))
    for graph in served.graphs:
        facts.append((f"named graph <{graph}>", f"{served.graph_sizes.get(graph, 0):,} triples"))
    return facts


def _browse(store: ox.Store, lang: str) -> list[pages.BrowseGroup]:
    members: dict[str, list[str]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None, None):
        s, c = quad.subject, quad.object
        if (
            isinstance(s, ox.NamedNode)
            and isinstance(c, ox.NamedNode)
            and s.value.startswith(ID)
            and c.value != RDF + "Statement"
        ):
            members.setdefault(c.value, []).append(s.value)
    labels = labels_for(store, set(members) | {i for group in members.values() for i in group}, lang)
    groups = []
    for cls, iris in members.items():
        items = sorted(((i, labels.get(i, curie(i))) for i in set(iris)), key=lambda x: x[1].casefold())
        groups.append(pages.BrowseGroup(cls, resources.term_label(cls, labels), items))
    return sorted(groups, key=lambda g: g.label.casefold())


__all__ = ["ServerConfig", "create_app"]
