"""The HTML pages, rendered on the server from Jinja2 templates (``alliance_kg/server/templates/``): plain
HTML, one style sheet, and the scripts of the site's own ``static/`` folder (nothing from elsewhere: the
site works offline).

The templates escape everything they print (``autoescape``); a variable they are not given is an error
(``StrictUndefined``), not an empty string. The one thing they print unescaped is JSON inside a
``<script>`` element (the JSON-LD of a resource, the data of the pictures and of the query page), and only
through :func:`script_json`, which writes it so that nothing in it can end the element.

Links between pages go to the local addresses (``{base}id/vehicle/nissan-micra``), so that a browser can
follow them whatever address the site is reached at; the canonical IRI of each resource is shown on its
page, and stays the one in the RDF descriptions. Other IRIs are links only when they are ``http://`` or
``https://`` addresses with a host: an IRI of any other scheme (``javascript:``, ``data:``, ``file:``,
``urn:``…), which the data may hold, is shown as text, with the IRI in its title, never as a link.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..formats import curie
from ..namespaces import BASE, ONTOLOGY_IRI, PREFIXES
from ..void import PUBLISHER_NAME
from .resources import ResourceView, Value

LANGUAGES = {"en": "English", "fr": "français", "ja": "日本語"}
DOCUMENT_FORMATS = (("ttl", "Turtle"), ("nt", "N-Triples"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML"))
_MEDIA = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")

#: The scripts of the pages with a picture (paths under the site's base), in the order they load.
GRAPH_SCRIPTS = ("static/vendor/cytoscape/cytoscape.min.js", "static/graph.js")
QUERY_STYLESHEETS = ("static/vendor/yasgui/yasgui.min.css",)
QUERY_SCRIPTS = (
    "static/vendor/yasgui/yasgui.min.js",
    "static/vendor/vega/vega.min.js",
    "static/vendor/vega-lite/vega-lite.min.js",
    "static/vendor/vega-embed/vega-embed.min.js",
    "static/query.js",
    "static/chart.js",
)


@dataclass(frozen=True)
class Site:
    """Where the site is: ``base`` is its public address, ending in ``/``."""

    base: str

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` goes: a graph IRI's local address, an external http(s) IRI as it is; None
        (no link) for every other IRI."""
        if iri.startswith(BASE):
            return _web_address(self.base + iri[len(BASE) :])
        return _web_address(iri)

    def doc(self, path: str, ext: str) -> str:
        return f"{self.base}doc/{path}.{ext}"

    @property
    def endpoint(self) -> str:
        return self.base + "sparql"

    @property
    def chart(self) -> str:
        """The chart endpoint: SPARQL JSON results in, a Vega-Lite spec out."""
        return self.base + "chart"


def _web_address(iri: str) -> str | None:
    """``iri`` if it is an ``http://`` or ``https://`` URL with a host and nothing a browser would strip or
    reread (spaces, tabs, newlines, control characters, backslashes), with its scheme in lower case; else
    None."""
    if any(ord(c) <= 0x20 or ord(c) == 0x7F or c == "\\" for c in iri):
        return None
    scheme, separator, rest = iri.partition("://")
    if not separator or scheme.lower() not in ("http", "https") or not urlsplit(iri).netloc:
        return None
    return f"{scheme.lower()}://{rest}"


# ---------------------------------------------------------------------------------------------------
# JSON in a <script> element, and the templates

#: What :func:`script_json` writes as JSON escapes: ``<`` (so that neither ``</script>`` nor ``<!--`` can
#: appear), ``>`` and ``&`` (for good measure), and the line and paragraph separators U+2028 and U+2029
#: (line terminators in JavaScript before ES2019).
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE = str.maketrans(_SCRIPT_ESCAPES)


def script_json(data: object, *, indent: int | None = None) -> str:
    """``data`` as JSON for the inside of a ``<script>`` element (``type="application/json"`` or
    ``"application/ld+json"``): every ``<`` is written ``\\u003c`` (and ``>``, ``&``, U+2028, U+2029 as
    escapes too), so that nothing in it can end the element early (``</script>``) or open a comment
    (``<!--``); JSON reads it back as the same data. The only way the templates print JSON (the
    ``script_json`` filter)."""
    return json.dumps(data, ensure_ascii=False, indent=indent).translate(_SCRIPT_UNSAFE)


def _script_json_markup(data: object, indent: int | None = None) -> Markup:
    return Markup(script_json(data, indent=indent))  # safe inside <script>: see script_json


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("alliance_kg.server", "templates"),  # from the package: works from a wheel
        autoescape=True,  # every template, whatever its name: everything printed is escaped
        undefined=StrictUndefined,  # a variable not given is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    del environment.filters["tojson"]  # JSON goes into the pages one way only: script_json
    environment.filters["script_json"] = _script_json_markup
    environment.filters["curie"] = curie
    environment.globals.update(languages_offered=LANGUAGES, ontology_iri=ONTOLOGY_IRI)
    return environment


#: The templates' environment (``ENVIRONMENT.get_template("resource.html")``).
ENVIRONMENT = _environment()
#: The templates: the layout, the shared macros, and one a kind of page.
TEMPLATES: tuple[str, ...] = ("base.html", "macros.html", "resource.html", "not_found.html", "error.html")
TEMPLATES += ("browse.html", "ontology.html", "query.html", "void.html")


def render(
    template: str,
    site: Site,
    title: str,
    *,
    lang: str = "en",
    canonical: str | None = None,
    jsonld: Mapping[str, object] | None = None,
    alternates: Sequence[FormatLink] = (),
    stylesheets: Sequence[str] = (),
    scripts: Sequence[str] = (),
    **context: object,
) -> str:
    """A page: ``template`` (one of :data:`TEMPLATES`, each extending ``base.html``) with the layout's
    variables (its head, its scripts) and the page's own ``context``."""
    return ENVIRONMENT.get_template(template).render(
        site=site,
        title=title,
        lang=lang,
        canonical=canonical,
        jsonld=jsonld,
        alternates=alternates,
        stylesheets=stylesheets,
        scripts=scripts,
        **context,
    )


@dataclass(frozen=True)
class FormatLink:
    """A link to a document in one of its RDF formats."""

    href: str
    media: str
    name: str


def format_links(address: str, suffix: str = "") -> list[FormatLink]:
    """The links to ``{address}.ttl``, ``.nt``, ``.jsonld``, ``.rdf`` (each followed by ``suffix``)."""
    return [
        FormatLink(f"{address}.{ext}{suffix}", media, name)
        for (ext, name), media in zip(DOCUMENT_FORMATS, _MEDIA, strict=True)
    ]


# ---------------------------------------------------------------------------------------------------
# The pages


def resource_page(
    site: Site,
    view: ResourceView,
    path: str,
    lang: str,
    *,
    jsonld: dict[str, object] | None = None,
    graph: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """A resource's page: its facts with their sources, what refers to it, and (with ``graph``, its
    neighbourhood as cytoscape.js elements: :func:`alliance_kg.server.neighbourhood.elements`) a picture of
    them. In its head: ``rel=canonical`` to the resource's canonical IRI (the persistent
    ``https://w3id.org/…`` address, which redirects to this page) and its description in schema.org terms
    as JSON-LD (``resources.schema_jsonld``), data that a browser does not run (so the
    Content-Security-Policy does not concern it) and that search engines read."""
    suffix = f"?lang={lang}" if lang != "en" else ""
    address = f"{site.base}doc/{path}"
    linked = max(sum(1 for e in graph or () if "source" not in e.get("data", {})) - 1, 0)
    return render(
        "resource.html",
        site,
        view.label,
        lang=lang,
        canonical=_web_address(view.iri),
        jsonld=jsonld,
        alternates=format_links(address),
        scripts=GRAPH_SCRIPTS if graph is not None else (),
        view=view,
        here=site.doc(path, "html"),
        formats=format_links(address, suffix),
        graph=graph,
        graph_label=f"{view.label} in the graph: the resources it links to, and those that link to it",
        graph_caption=(
            f"{view.label} and the {linked} resources and classes it is linked to, each link named by its "
            "property; the tables above list the same links, and the values."
        ),
    )


def not_found_page(site: Site, iri: str, suggestions: Iterable[tuple[str, str]]) -> str:
    return render(
        "not_found.html",
        site,
        "Not found",
        iri=iri,
        suggestions=list(suggestions),
        example=BASE + "id/vehicle/nissan-micra",
    )


def error_page(site: Site, status: int, message: str) -> str:
    return render("error.html", site, f"Error {status}", status=status, message=message)


@dataclass
class BrowseGroup:
    iri: str
    label: str
    members: list[tuple[str, str]]  # IRI, label


def browse_page(site: Site, groups: Sequence[BrowseGroup], lang: str) -> str:
    return render("browse.html", site, "Browse", lang=lang, groups=groups, here=site.base + "browse")


# ---------------------------------------------------------------------------------------------------
# The ontology


@dataclass
class Term:
    iri: str
    kind: str  # "class", "object property", …
    label: str
    definition: str | None
    rows: list[tuple[str, list[Value]]]  # (what, values): superclasses, domain, range…
    comment: str | None = None


def ontology_page(
    site: Site,
    title: str,
    description: str | None,
    metadata: Sequence[tuple[str, list[Value]]],
    sections: Sequence[tuple[str, Sequence[Term]]],
    lang: str,
    *,
    diagram: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The documentation of every term, and (with ``diagram``, cytoscape.js elements:
    :func:`alliance_kg.diagram.class_diagram_elements`) the class diagram."""
    return render(
        "ontology.html",
        site,
        title,
        lang=lang,
        alternates=format_links(site.base + "ontology"),
        scripts=GRAPH_SCRIPTS if diagram is not None else (),
        doc_title=title,
        description=description,
        metadata=metadata,
        sections=[(h, h.lower().replace(" ", "-"), terms) for h, terms in sections if terms],
        formats=format_links(site.base + "ontology"),
        here=site.base + "ontology.html",
        diagram=diagram,
    )


# ---------------------------------------------------------------------------------------------------
# The query page


def query_page(
    site: Site,
    catalogue: Sequence[dict[str, object]],
    graphs: dict[str, object],
    counts: str,
    *,
    timeline: Mapping[str, Any] | None = None,
) -> str:
    """The home page: YASGUI on the endpoint, configured by the ``#akg-data`` JSON (``endpoint``,
    ``reasonedEndpoint`` (None without reasoning), ``base``, ``canonicalBase``, ``queries`` (the
    catalogue), ``prefixes``, ``graphs`` and ``chart``, the chart endpoint); the competency questions as
    links that open each in the editor; and, with ``timeline`` (a Vega-Lite spec), the timeline of the
    events."""
    reasoned_endpoint = graphs.get("reasonedEndpoint")
    first = catalogue[0] if catalogue else {"text": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"}
    entries = []
    for query in catalogue:
        params = {"query": str(query["text"])}
        if query.get("reasoned") and reasoned_endpoint:
            params["reasoned"] = "1"
        entries.append({**query, "link": site.base + "?" + urlencode(params)})
    data = {
        "endpoint": site.endpoint,
        "reasonedEndpoint": reasoned_endpoint,
        "base": site.base,
        "canonicalBase": BASE,
        "queries": list(catalogue),
        "graphs": graphs,
        "prefixes": PREFIXES,
        "chart": site.chart,
    }
    values = timeline.get("data", {}).get("values", []) if timeline is not None else []
    return render(
        "query.html",
        site,
        "Query",
        stylesheets=QUERY_STYLESHEETS,
        scripts=QUERY_SCRIPTS,
        counts=counts,
        data=data,
        catalogue=entries,
        first=first["text"],
        timeline=timeline,
        events=[(str(v.get("label", "")), str(v.get("date", ""))) for v in values],
    )


def void_page(site: Site, turtle: str, facts: Sequence[tuple[str, str]]) -> str:
    return render(
        "void.html",
        site,
        "Dataset",
        alternates=format_links(site.base + "void"),
        facts=facts,
        turtle=turtle,
        formats=format_links(site.base + "void"),
        publisher=PUBLISHER_NAME,
    )
