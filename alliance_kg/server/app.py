"""The linked-data site: a Starlette application (run by uvicorn; ``alliance-kg serve``).

Routes (``{base}`` is the public address, ``--base-url``, or the address each request came to):

=================================  ==================================================================
``/``                              the query page (YASGUI, the competency questions, a timeline of
                                   the events)
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
``/chart``                         POST SPARQL JSON results: the Vega-Lite spec of their chart (204
                                   when no chart fits)
=================================  ==================================================================

The graph's IRIs are ``https://w3id.org/alliance-kg/…``: a request for ``{base}id/vehicle/nissan-micra`` is
about ``https://w3id.org/alliance-kg/id/vehicle/nissan-micra``. The RDF the server returns keeps those
canonical IRIs; the HTML pages link to the local addresses.

The documents and the handlers are in :mod:`alliance_kg.server.views` (one method a kind of document, one
a route); this module puts them together with the middleware.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import layout as kg_layout
from . import dataset as dataset_module
from .config import ServerConfig
from .dataset import ServedData
from .execute import Graphs
from .http import Compression  # gzip and Brotli by Accept-Encoding
from .views import Documents, Views
from .workers import QueryPool

TYPE_CHECKING = False  # imports for the type checker only, as in the rest of the package
if TYPE_CHECKING:
    from collections.abc import AsyncIterator

log = logging.getLogger("alliance_kg.server")


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


def create_app(config: ServerConfig | None = None, *, data: ServedData | None = None) -> Starlette:
    """The application; it loads the data now (unless given) and starts the query workers on start-up."""
    config = config or ServerConfig()
    if data is None:
        data = dataset_module.load(config.data, reasoning=config.reasoning, log=log.info)
    pool = QueryPool(  # the store itself: written out for each worker as it starts, no copy kept
        data.dataset,
        Graphs(data.asserted_graphs, kg_layout.GRAPHS, data.inferred_graph),
        size=config.workers,
        timeout=config.timeout,
        require_sandbox=config.require_sandbox,
    )
    views = Views(config, Documents(config, data), pool)

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
        routes=views.routes(),
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: views.http_error, Exception: views.server_error},
    )
    app.state.pool = pool
    app.state.data = data
    app.state.config = config
    app.state.views = views
    return app


__all__ = ["ServerConfig", "create_app"]
