"""What the site serves, and how: :class:`Documents` renders each kind of document (a resource's page or
description, the ontology, the VoID, a dump, a service description, a graph, the browse page, the query
page), one method a kind; :class:`Views` answers the HTTP requests, one handler a route, with the
negotiation, the cache, the validators and the redirects in one place (:meth:`Views.respond`).
:func:`alliance_kg.server.app.create_app` routes to the handlers.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .. import charts, gate, paths
from .. import layout as kg_layout
from .. import void as kg_void
from ..errors import AllianceKGError
from ..formats import curie, labels_for
from ..namespaces import AKG, BASE, GRAPH, ID, ONTOLOGY_IRI, OWL, PREFIXES, RDF
from . import http as conditional
from . import negotiation, neighbourhood, ontology, pages, queries, resources, sparql
from .config import ServerConfig
from .dataset import ServedData
from .negotiation import GRAPH_FORMATS, HTML, Format
from .workers import QueryPool

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
#: What the chart endpoint reads: SPARQL results in JSON.
RESULTS_JSON = "application/sparql-results+json"
CHART_TITLE = "Query results"  # a chart's title when the request gives none (?title=)
MAX_TITLE = 200

#: A renderer: (site, key, format, language) → the document's bytes. A method of :class:`Documents`.
Renderer = Callable[[pages.Site, str, Format, str], bytes]


@dataclass
class Rendered:
    body: bytes
    media_type: str
    etag: str


def serialise(triples: list[ox.Triple], fmt: Format) -> bytes:
    """Triples in an RDF format; Turtle with the project's prefixes that they use."""
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


# ---------------------------------------------------------------------------------------------------
# The documents


class Documents:
    """Every document of the site, rendered from the served data (which does not change while the server
    runs). Each renderer takes ``(site, key, fmt, lang)`` and gives the document's bytes."""

    def __init__(self, config: ServerConfig, served: ServedData) -> None:
        self.config = config
        self.served = served
        self.layout = served.layout or kg_layout.build(
            config.data, reasoned=served.inferred_graph is not None
        )
        self.known = resources.known_iris(served.pages)
        self.catalogue = queries.entries(served.pages)
        self.ontology_turtle = paths.ontology_file().read_bytes()
        asserted = sum(served.graph_sizes.get(g, 0) for g in served.asserted_graphs)
        self.counts = (
            f"The graph holds {asserted:,} triples about {sum(1 for i in self.known if i.startswith(ID)):,} "
            "resources"
            + (
                f", and OWL 2 RL infers {served.graph_sizes.get(served.inferred_graph, 0):,} more."
                if served.inferred_graph
                else "."
            )
        )
        self._void: dict[str, list[ox.Triple]] = {}

    # -- computed once, on first use (each queries the graph) --

    @functools.cached_property
    def timeline(self) -> dict[str, Any] | None:
        """The events on a time axis (a Vega-Lite spec: :func:`alliance_kg.charts.timeline_chart`), None
        when the graph has no dated event."""
        try:
            return charts.timeline_chart(store=self.served.pages)
        except AllianceKGError as exc:
            log.info("no timeline on the query page: %s", exc)
            return None

    @functools.cached_property
    def class_diagram(self) -> list[dict[str, Any]]:
        """The ontology's class diagram (:func:`alliance_kg.diagram.class_diagram_elements`), with the
        canonical IRIs as its ``href``."""
        from ..diagram import class_diagram_elements

        return class_diagram_elements(paths.ontology_file())

    def void_triples(self, base: str) -> list[ox.Triple]:
        """The dataset's VoID + DCAT description (alliance_kg.void), with this server's endpoints, dumps."""
        if base not in self._void:
            described = kg_void.describe(
                self.layout,
                endpoint=base + "sparql",
                reasoned_endpoint=base + "sparql/reasoned" if self.served.inferred_graph else None,
                dumps=base + "dump/",
            )
            nt = described.serialize(format="nt", encoding="utf-8")
            self._void[base] = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
        return self._void[base]

    # -- the renderers --

    def resource(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """A resource (``key``: its path under ``…/id/``): its page, with its description in schema.org
        terms from the closure as JSON-LD and its neighbourhood as a picture; or its RDF description."""
        iri = ID + key
        store = self.served.pages
        if fmt is not HTML:
            return serialise(resources.description(store, iri, lang) + resources.document_triples(iri), fmt)
        jsonld = resources.schema_jsonld(resources.schema_triples(self.served.dataset, iri), iri)
        view = resources.view(store, iri, lang)
        graph = neighbourhood.elements(store, iri, lang, site)
        return pages.resource_page(site, view, key, lang, jsonld=jsonld, graph=graph).encode()

    def ontology(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """The ontology: its documentation with the class diagram, the file itself (Turtle), or RDF."""
        if fmt is HTML:
            doc = ontology.document(self.served.pages, lang)
            diagram = [_local_hrefs(element, site) for element in self.class_diagram]
            return pages.ontology_page(
                site, doc.title, doc.description, doc.metadata, doc.sections, lang, diagram=diagram
            ).encode()
        if fmt.key == "ttl":
            return self.ontology_turtle
        return serialise(self.layout.graph(kg_layout.ONTOLOGY), fmt)

    def void(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """The VoID description of the dataset: its page, or RDF."""
        triples = self.void_triples(site.base)
        if fmt is HTML:
            turtle = serialise(triples, EXTENSIONS["ttl"]).decode()
            return pages.void_page(site, turtle, _void_facts(self.served, triples)).encode()
        return serialise(triples, fmt)

    def dump(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """A dump of the asserted graphs by its file name (``key``): the bytes ``alliance-kg export
        --format …`` writes (with this server's ``--data``), by the same function."""
        from .. import export

        name = next(f for f, (file, _, _) in kg_void.DUMP_FORMATS.items() if file == key)
        layout = self.layout
        asserted = kg_layout.Layout({g: layout.graphs[g] for g in layout.asserted_graphs})
        return export.export_layout(asserted, name)

    def service(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """The service description of ``/sparql`` or (``key`` ``"reasoned"``) ``/sparql/reasoned``."""
        reasoned = key == "reasoned"
        url = site.endpoint + ("/reasoned" if reasoned else "")
        triples = sparql.service_description(self.served, url, site.base, self.config, reasoned=reasoned)
        return serialise(triples, fmt)

    def graph(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """A named graph by its IRI; ``default`` and ``closure``: the default graphs of the plain and the
        reasoned endpoint."""
        if key == "default":
            return serialise(self.layout.default_graph(), fmt)
        if key == "closure":
            return serialise(self.layout.closure(), fmt)
        return serialise(self.layout.graph(key), fmt)

    def browse(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """Every resource, by class."""
        return pages.browse_page(site, _browse(self.served.pages, lang), lang).encode()

    def query_page(self, site: pages.Site, key: str, fmt: Format, lang: str) -> bytes:
        """The query page (the home page): YASGUI, the competency questions, the timeline."""
        served = self.served
        graphs: dict[str, object] = {
            "asserted": list(served.asserted_graphs),
            "inferred": served.inferred_graph,
            "reasonedEndpoint": site.endpoint + "/reasoned" if served.inferred_graph else None,
        }
        return pages.query_page(site, self.catalogue, graphs, self.counts, timeline=self.timeline).encode()

    # -- not a document: a picture of a result --

    def chart(self, body: bytes, title: str) -> dict[str, Any] | str | None:
        """The Vega-Lite chart (:func:`alliance_kg.charts.chart_spec`) of SPARQL JSON results; None when no
        chart fits (an ASK, no number…); a message (str) when ``body`` is not SPARQL JSON results. The
        results are read and let go on this thread (pyoxigraph's belong to the thread that made them)."""
        from ..api import Result

        try:
            parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            if not isinstance(parsed, ox.QuerySolutions):
                return None  # a boolean: nothing to draw
            variables = tuple(v.value for v in parsed.variables)
            rows = [{name: term for name in variables if (term := row[name]) is not None} for row in parsed]
        except (SyntaxError, ValueError, OSError) as exc:
            return f"the body is not SPARQL results in JSON ({RESULTS_JSON}): {exc}"
        return charts.chart_spec(variables, Result("SELECT", variables, rows=rows).values(), title=title)


def _local_hrefs(element: dict[str, Any], site: pages.Site) -> dict[str, Any]:
    """A cytoscape.js element with its ``href`` made this site's address (an IRI of the graph) or left
    out (an IRI that may not be a link)."""
    data = dict(element.get("data", {}))
    href = data.pop("href", None)
    local = site.href(href) if isinstance(href, str) else None
    if local is not None:
        data["href"] = local
    return {**element, "data": data}


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


# ---------------------------------------------------------------------------------------------------
# The HTTP side


class Views:
    """The site's route handlers: each picks the document and its format (``Accept``, the extension), and
    :meth:`respond` answers with it, from the cache of rendered documents, with its validators."""

    def __init__(self, config: ServerConfig, documents: Documents, pool: QueryPool) -> None:
        self.config = config
        self.documents = documents
        self.served = documents.served
        self.pool = pool
        self.cache: dict[tuple[Renderer, str, str, str, str], Rendered] = {}
        self.last_modified: float | None = None  # one for the app's lifetime: the data do not change

    # -- shared by the handlers --

    def site(self, request: Request) -> pages.Site:
        return pages.Site(self.config.base_url or str(request.base_url))

    def language(self, request: Request) -> str:
        return negotiation.choose_language(
            request.query_params.get("lang"), request.headers.get("accept-language"), LANGUAGES
        )

    def negotiate(self, request: Request, offers: tuple[Format, ...]) -> Format:
        chosen = negotiation.choose(request.headers.get("accept"), offers)
        if chosen is None:
            available = ", ".join(o.media_type for o in offers)
            raise HTTPException(
                406, f"cannot produce {request.headers.get('accept')!r} here; available: {available}"
            )
        return chosen

    def _render(
        self, render: Renderer, site: pages.Site, key: str, fmt: Format, lang: str, media: str
    ) -> Rendered:
        body = render(site, key, fmt, lang)
        return Rendered(body, media, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')

    async def respond(
        self,
        request: Request,
        render: Renderer,
        key: str,
        fmt: Format,
        lang: str,
        *,
        location: str | None = None,
        media_type: str | None = None,
    ) -> Response:
        """The document ``render`` gives for ``key`` in ``fmt`` and ``lang``: rendered once (in a thread)
        and cached, with its ETag and Last-Modified, a 304 when the client's copy is current, and the
        Content-Security-Policy of the HTML pages."""
        site = self.site(request)
        cache_key = (render, key, fmt.key, lang, site.base)
        rendered = self.cache.get(cache_key)
        if rendered is None:  # rendered once, in a thread: the data does not change while the server runs
            media = media_type or fmt.content_type
            rendered = await run_in_threadpool(self._render, render, site, key, fmt, lang, media)
            if len(self.cache) >= CACHE_SIZE:
                self.cache.pop(next(iter(self.cache)), None)
            self.cache[cache_key] = rendered
        modified = self.last_modified
        if modified is None:
            files = [paths.ontology_file(), *paths.graph_files(), *map(Path, self.config.data)]
            modified = self.last_modified = conditional.newest_modification(files)
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

    def see_other(self, request: Request, target: str) -> Response:
        query = request.url.query
        return RedirectResponse(
            target + (f"?{query}" if query else ""), status_code=303, headers={"Vary": "Accept"}
        )

    def not_found(self, request: Request, iri: str) -> Response:
        wanted = iri[len(BASE) :] if iri.startswith(BASE) else iri
        known = self.documents.known
        candidates = {i[len(BASE) :]: i for i in known if i.startswith(ID) and "/statement/" not in i}
        close = difflib.get_close_matches(wanted, list(candidates), n=5, cutoff=0.6)
        labels = labels_for(self.served.pages, [candidates[c] for c in close], self.language(request))
        suggestions = [(candidates[c], labels.get(candidates[c], curie(candidates[c]))) for c in close]
        if negotiation.accepts_html(request.headers.get("accept")):
            return Response(
                pages.not_found_page(self.site(request), iri, suggestions),
                status_code=404,
                media_type="text/html",
            )
        hint = "".join(f"\n  did you mean <{i}>?" for i, _ in suggestions)
        return Response(
            f"no resource <{iri}> in this graph{hint}\n",
            status_code=404,
            media_type="text/plain; charset=utf-8",
        )

    # -- the routes --

    async def home(self, request: Request) -> Response:
        return await self.respond(request, self.documents.query_page, "", HTML, "en")

    async def endpoint(self, request: Request) -> Response:
        return await self.answer(request, reasoned=False)

    async def reasoned_endpoint(self, request: Request) -> Response:
        if not self.served.inferred_graph:
            raise HTTPException(
                404,
                "this server runs without reasoning (serve --no-reasoning): there is no reasoned endpoint; "
                "/sparql answers from the asserted graphs",
            )
        return await self.answer(request, reasoned=True)

    async def answer(self, request: Request, *, reasoned: bool) -> Response:
        """The SPARQL Protocol (and Graph Store Protocol reads) at /sparql and /sparql/reasoned."""
        query = await sparql.parse_request(request, self.config, reasoned=reasoned)
        base = self.config.base_url or sparql.request_base(request)  # self.site(request).base, cheaper
        url = base + ("sparql/reasoned" if reasoned else "sparql")
        if isinstance(query, sparql.GraphRead):
            return await self.graph_read(request, query, reasoned=reasoned)
        accept = request.headers.get("accept")
        if query is None:
            if sparql.accepts_html(accept):
                return await self.home(request)
            fmt = negotiation.choose(accept, GRAPH_FORMATS) or GRAPH_FORMATS[0]
            return await self.respond(
                request, self.documents.service, "reasoned" if reasoned else "", fmt, "en"
            )
        if request.method in ("GET", "HEAD") and not query.formats and sparql.accepts_html(accept):
            # a browser following a link to a query: the query page, with the query in it
            target = base + "?" + urlencode({"query": query.text, **({"reasoned": "1"} if reasoned else {})})
            return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})
        try:  # the one gate: what the worker runs is its canonical text, never the client's
            checked = await sparql.check_query(query.text, url)
        except gate.Refused as refusal:
            return Response(
                refusal.message.rstrip() + "\n",
                status_code=refusal.status,
                media_type="text/plain; charset=utf-8",
                headers={"Cache-Control": "no-store"},
            )
        result = await self.pool.run(replace(query, query=checked))
        headers = {"Vary": "Accept", "Cache-Control": "no-store", **result.headers}
        return Response(
            result.body, status_code=result.status, media_type=result.content_type, headers=headers
        )

    async def graph_read(self, request: Request, read: sparql.GraphRead, *, reasoned: bool) -> Response:
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
        fmt = self.negotiate(request, GRAPH_FORMATS)
        return await self.respond(request, self.documents.graph, key, fmt, "en")

    async def resource(self, request: Request) -> Response:
        path = request.path_params["path"]
        if ID + path not in self.documents.known:
            return self.not_found(request, ID + path)
        fmt = self.negotiate(request, RESOURCE_OFFERS)
        return self.see_other(request, f"{self.site(request).base}doc/{path}.{fmt.key}")

    async def document(self, request: Request) -> Response:
        path = request.path_params["path"]
        known = self.documents.known
        stem, dot, ext = path.rpartition(".")
        if dot and ext in EXTENSIONS and ID + stem in known:
            return await self.respond(
                request, self.documents.resource, stem, EXTENSIONS[ext], self.language(request)
            )
        if ID + path not in known:
            return self.not_found(request, ID + (stem if dot and ext in EXTENSIONS else path))
        fmt = self.negotiate(request, RESOURCE_OFFERS)
        location = f"{self.site(request).base}doc/{path}.{fmt.key}"
        return await self.respond(
            request, self.documents.resource, path, fmt, self.language(request), location=location
        )

    async def ontology_iri(self, request: Request) -> Response:
        version = request.path_params.get("version")
        if version is not None:  # its version IRI (owl:versionIRI) names the ontology too; nothing else does
            self._check_version(request, version)
        fmt = self.negotiate(request, RESOURCE_OFFERS)
        return self.see_other(request, f"{self.site(request).base}ontology.{fmt.key}")

    def _check_version(self, request: Request, version: str) -> None:
        """Nothing (``…/ontology/{version}`` is a version IRI of the ontology), or a 404 saying what is."""
        store = self.served.pages
        versions = sorted(
            q.object.value
            for q in store.quads_for_pattern(
                ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(OWL + "versionIRI"), None, None
            )
            if isinstance(q.object, ox.NamedNode)
        )
        if f"{ONTOLOGY_IRI}/{version}" in versions:
            return
        base = self.site(request).base
        try:  # a term asked for with a slash: the terms are in a hash namespace
            term = ox.NamedNode(AKG + version)
            is_term = next(iter(store.quads_for_pattern(term, None, None, None)), None)
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

    async def ontology_document(self, request: Request) -> Response:
        fmt = EXTENSIONS.get(request.path_params["ext"])
        if fmt is None:
            raise HTTPException(404, "the ontology is at ontology.html, .ttl, .nt, .jsonld and .rdf")
        return await self.respond(request, self.documents.ontology, "", fmt, self.language(request))

    async def void_document(self, request: Request) -> Response:
        ext = request.path_params.get("ext")
        if ext is not None:
            fmt = EXTENSIONS.get(ext)
            if fmt is None:
                raise HTTPException(
                    404, "the dataset description is at void.html, .ttl, .nt, .jsonld and .rdf"
                )
            return await self.respond(request, self.documents.void, "", fmt, "en")
        fmt = self.negotiate(request, DATA_OFFERS)
        location = f"{self.site(request).base}void.{fmt.key}"
        return await self.respond(request, self.documents.void, "", fmt, "en", location=location)

    async def graph_document(self, request: Request) -> Response:
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
            fmt = self.negotiate(request, GRAPH_FORMATS)
        return await self.respond(request, self.documents.graph, graph, fmt, "en")

    async def dump_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in DUMP_TYPES:
            raise HTTPException(404, "the dumps are: " + ", ".join(DUMP_TYPES))
        return await self.respond(
            request, self.documents.dump, name, EXTENSIONS["ttl"], "en", media_type=DUMP_TYPES[name]
        )

    async def dataset_iri(self, request: Request) -> Response:
        fmt = self.negotiate(request, DATA_OFFERS)
        return self.see_other(request, f"{self.site(request).base}void.{fmt.key}")

    async def browse(self, request: Request) -> Response:
        return await self.respond(request, self.documents.browse, "", HTML, self.language(request))

    async def chart(self, request: Request) -> Response:
        """``POST {base}chart``: SPARQL JSON results in, the Vega-Lite spec of their chart out
        (:func:`alliance_kg.charts.chart_spec`; ``?title=`` its title), or 204 when no chart fits; 415 for
        another type of body, 400 for a body that is not SPARQL JSON results, 413 past the request limit."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != RESULTS_JSON:
            raise HTTPException(
                415, f"cannot read a body of type {kind or 'none'!r}: POST SPARQL results as {RESULTS_JSON}"
            )
        body = await sparql.read_body(request, self.config.max_request_bytes)
        title = (request.query_params.get("title") or CHART_TITLE).strip()[:MAX_TITLE] or CHART_TITLE
        spec = await run_in_threadpool(self.documents.chart, body, title)
        if isinstance(spec, str):
            raise HTTPException(400, spec)
        headers = {"Cache-Control": "no-store"}
        if spec is None:
            return Response(status_code=204, headers=headers)
        return Response(json.dumps(spec, ensure_ascii=False), media_type="application/json", headers=headers)

    # -- errors --

    async def http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and request.url.path.startswith("/") and message == "Not Found":
            message = f"nothing at {request.url.path}"
        if negotiation.accepts_html(request.headers.get("accept")):
            body = pages.error_page(self.site(request), exc.status_code, message)
            return Response(body, status_code=exc.status_code, media_type="text/html", headers=headers)
        return Response(
            message.rstrip() + "\n",
            status_code=exc.status_code,
            media_type="text/plain; charset=utf-8",
            headers=headers,
        )

    async def server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return Response(
            "internal server error (the server's log says more)\n",
            status_code=500,
            media_type="text/plain; charset=utf-8",
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.home, methods=["GET"]),
            Route("/sparql", self.endpoint, methods=["GET", "POST"]),
            Route("/sparql/reasoned", self.reasoned_endpoint, methods=["GET", "POST"]),
            Route("/chart", self.chart, methods=["POST"]),
            Route("/id/{path:path}", self.resource, methods=["GET"]),
            Route("/doc/{path:path}", self.document, methods=["GET"]),
            Route("/ontology", self.ontology_iri, methods=["GET"]),
            Route("/ontology/{version}", self.ontology_iri, methods=["GET"]),
            Route("/ontology.{ext}", self.ontology_document, methods=["GET"]),
            Route("/void", self.void_document, methods=["GET"]),
            Route("/.well-known/void", self.void_document, methods=["GET"]),
            Route("/void.{ext}", self.void_document, methods=["GET"]),
            Route("/graph/{name}", self.graph_document, methods=["GET"]),
            Route("/dump/{name}", self.dump_file, methods=["GET"]),
            Route("/dataset", self.dataset_iri, methods=["GET"]),
            Route("/browse", self.browse, methods=["GET"]),
            Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        ]
