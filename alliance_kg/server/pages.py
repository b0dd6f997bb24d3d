"""The HTML pages, rendered on the server: plain HTML and one small style sheet, no external resources
(the site works offline), and one small script for the query page.

Links between pages go to the local addresses (``{base}id/vehicle/nissan-micra``), so that a browser can
follow them whatever address the site is reached at; the canonical IRI of each resource is shown on its
page, and stays the one in the RDF descriptions. Other IRIs are links only when they are ``http://`` or
``https://`` addresses with a host: an IRI of any other scheme (``javascript:``, ``data:``, ``file:``,
``urn:``…), which the data may hold, is shown as text, with the IRI in its title, never as a link.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from ..formats import curie
from ..namespaces import BASE, ONTOLOGY_IRI, PREFIXES
from ..void import PUBLISHER_NAME
from .resources import PropertyValues, ResourceView, Source, Value

LANGUAGES = {"en": "English", "fr": "français", "ja": "日本語"}
DOCUMENT_FORMATS = (("ttl", "Turtle"), ("nt", "N-Triples"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML"))


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


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _anchor(site: Site, iri: str, content: str, title: str | None = None) -> str:
    """``content`` (HTML) as a link to ``iri``, or as text titled with the IRI when it may not be a link."""
    href = site.href(iri)
    if href is None:
        return f'<span class="iri-text" title="{_e(title or iri)}">{content}</span>'
    hint = f' title="{_e(title)}"' if title else ""
    return f'<a href="{_e(href)}"{hint}>{content}</a>'


def layout(site: Site, title: str, body: str, *, lang: str = "en", head: str = "", scripts: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="{_e(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} — alliance-kg</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{_e(site.base)}static/style.css">
{head}</head>
<body>
<header class="site">
<a class="brand" href="{_e(site.base)}">alliance-kg</a>
<nav>
<a href="{_e(site.base)}sparql">Query</a>
<a href="{_e(site.base)}browse">Browse</a>
<a href="{_e(site.href(ONTOLOGY_IRI) or site.base)}">Ontology</a>
<a href="{_e(site.base)}void">Dataset</a>
</nav>
</header>
<main>
{body}
</main>
<footer>
A knowledge graph of the Renault–Nissan–Mitsubishi Alliance's electric-vehicle work at Ampere Douai,
built from the Alliance's press release of 16 September 2025. Data CC BY 4.0. SPARQL endpoint:
<a href="{_e(site.endpoint)}">{_e(site.endpoint)}</a>.
</footer>
{scripts}</body>
</html>
"""


def _link(site: Site, value: Value) -> str:
    if value.iri is None:
        return _literal(value)
    return _anchor(site, value.iri, _e(value.text), value.iri)


def _literal(value: Value) -> str:
    text = _e(value.text)
    cls = ' class="long"' if len(value.text) > 160 or "\n" in value.text else ""
    out = f"<span{cls}>{text}</span>"
    if value.language:
        out += f'<span class="lang" title="language">{_e(value.language)}</span>'
    if value.datatype:
        out += f'<span class="datatype" title="datatype">{_e(value.datatype)}</span>'
    return out


def _source_link(site: Site, source: Source) -> str:
    return _anchor(site, source.iri, _e(source.text), source.quote)


def _format_links(site: Site, path: str, lang: str) -> str:
    suffix = f"?lang={lang}" if lang != "en" else ""
    links = " · ".join(
        f'<a rel="alternate" type="{_e(media)}" href="{_e(site.doc(path, ext) + suffix)}">{_e(name)}</a>'
        for (ext, name), media in zip(DOCUMENT_FORMATS, _MEDIA, strict=True)
    )
    return f'<span><span class="label">This description in RDF:</span> {links}</span>'


_MEDIA = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")


def _language_links(here: str, lang: str) -> str:
    links = []
    for tag, name in LANGUAGES.items():
        current = ' aria-current="true"' if tag == lang else ""
        links.append(f'<a href="{_e(here)}?lang={tag}" hreflang="{tag}" lang="{tag}"{current}>{_e(name)}</a>')
    return f'<span><span class="label">Labels:</span> {" · ".join(links)}</span>'


def alternate_links(site: Site, path: str) -> str:
    return "".join(
        f'<link rel="alternate" type="{media}" href="{_e(site.doc(path, ext))}">\n'
        for (ext, _), media in zip(DOCUMENT_FORMATS, _MEDIA, strict=True)
    )


def _property_rows(site: Site, properties: Sequence[PropertyValues], *, sources: bool) -> str:
    rows = []
    for prop in properties:
        for index, value in enumerate(prop.values):
            head = ""
            if index == 0:
                span = f' rowspan="{len(prop.values)}"' if len(prop.values) > 1 else ""
                link = _anchor(site, prop.iri, _e(prop.label), prop.iri)
                head = f'<th scope="row"{span}>{link}</th>'
            cells = f"<td>{_link(site, value)}</td>"
            if sources:
                cited = ", ".join(_source_link(site, s) for s in value.sources)
                cells += f'<td class="sources">{cited}</td>'
            rows.append(f'<tr data-property="{_e(curie(prop.iri))}">{head}{cells}</tr>')
    return "\n".join(rows)


def script_json(data: object) -> str:
    """``data`` as JSON for the inside of a ``<script>`` element: every ``<`` is written ``\\u003c``, so that
    nothing in it can end the element early (``</script>``) or open a comment (``<!--``); JSON reads it back
    as the same text."""
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")


def jsonld_head(iri: str, jsonld: dict[str, object] | None) -> str:
    """The ``<head>`` lines that make a resource's page machine-readable: ``rel=canonical`` to the
    resource's canonical IRI (the persistent ``https://w3id.org/…`` address, which redirects to this page)
    and its description in schema.org terms as JSON-LD (``resources.schema_jsonld``), data that a browser
    does not run (so the Content-Security-Policy does not concern it) and that search engines read."""
    out = ""
    canonical = _web_address(iri)
    if canonical:
        out += f'<link rel="canonical" href="{_e(canonical)}">\n'
    if jsonld:
        out += f'<script type="application/ld+json">\n{script_json(jsonld)}\n</script>\n'
    return out


def resource_page(
    site: Site, view: ResourceView, path: str, lang: str, *, jsonld: dict[str, object] | None = None
) -> str:
    here = site.doc(path, "html")
    kinds = ", ".join(_link(site, t) for t in view.types)
    parts = [
        '<article class="resource">',
        f'<p class="kind">{kinds}</p>' if kinds else "",
        f"<h1>{_e(view.label)}</h1>",
        f'<p class="iri">IRI: {_anchor(site, view.iri, _e(view.iri))}</p>',
        f'<p class="summary">{_e(view.summary)}</p>' if view.summary else "",
        f'<nav class="formats">{_format_links(site, path, lang)}{_language_links(here, lang)}</nav>',
        "<h2>Facts</h2>",
        '<table class="facts" id="facts">',
        "<thead><tr><th>Property</th><th>Value</th><th>Source</th></tr></thead>",
        f"<tbody>\n{_property_rows(site, view.properties, sources=True)}\n</tbody></table>",
    ]
    if view.incoming:
        parts += [
            "<h2>Referred to by</h2>",
            '<table class="incoming" id="incoming">',
            "<thead><tr><th>Property</th><th>Resource</th></tr></thead>",
            f"<tbody>\n{_property_rows(site, view.incoming, sources=False)}\n</tbody></table>",
        ]
    if view.sources:
        items = []
        for source in view.sources:
            quote = f"<blockquote>{_e(source.quote)}</blockquote>" if source.quote else ""
            items.append(f"<li>{_source_link(site, source)}{quote}</li>")
        parts += ["<h2>Sources</h2>", '<ol class="sources" id="sources">', *items, "</ol>"]
    if view.facts_from_here:
        rows = "\n".join(
            "<tr>"
            + "".join(f"<td>{_link(site, v)}</td>" for v in (f.subject, f.predicate, f.object))
            + "</tr>"
            for f in view.facts_from_here
        )
        parts += [
            f"<h2>Facts taken from this source ({len(view.facts_from_here)})</h2>",
            '<table class="supported">',
            "<thead><tr><th>Resource</th><th>Property</th><th>Value</th></tr></thead>",
            f"<tbody>\n{rows}\n</tbody></table>",
        ]
    parts.append("</article>")
    head = jsonld_head(view.iri, jsonld) + alternate_links(site, path)
    return layout(site, view.label, "\n".join(p for p in parts if p), lang=lang, head=head)


def not_found_page(site: Site, iri: str, suggestions: Iterable[tuple[str, str]]) -> str:
    items = "".join(
        f"<li>{_anchor(site, i, _e(label))} <code>{_e(i)}</code></li>" for i, label in suggestions
    )
    close = f"<p>Perhaps you meant:</p><ul>{items}</ul>" if items else ""
    body = f"""<h1>Not in this graph</h1>
<p class="notice">Nothing in the graph has the IRI <code>{_e(iri)}</code>.</p>
{close}
<p>The graph's resources have IRIs like <code>{_e(BASE)}id/vehicle/nissan-micra</code>; the
<a href="{_e(site.base)}browse">list of resources</a> has them all, and the
<a href="{_e(site.endpoint)}">query page</a> can search them.</p>"""
    return layout(site, "Not found", body)


def error_page(site: Site, status: int, message: str) -> str:
    body = f'<h1>{status}</h1>\n<pre class="error">{_e(message)}</pre>'
    return layout(site, f"Error {status}", body)


@dataclass
class BrowseGroup:
    iri: str
    label: str
    members: list[tuple[str, str]]  # IRI, label


def browse_page(site: Site, groups: Sequence[BrowseGroup], lang: str) -> str:
    toc = "".join(
        f'<li><a href="#{_e(curie(g.iri))}">{_e(g.label)}</a> ({len(g.members)})</li>' for g in groups
    )
    sections = []
    for group in groups:
        items = "".join(f"<li>{_anchor(site, i, _e(label))}</li>" for i, label in group.members)
        sections.append(
            f'<section id="{_e(curie(group.iri))}">'
            f"<h2>{_anchor(site, group.iri, _e(group.label))}"
            f"</h2><ul>{items}</ul></section>"
        )
    body = f"""<h1>Browse the graph</h1>
<p>Every resource of the graph, by class (statement nodes aside: each fact's page shows its source).</p>
<nav class="formats">{_language_links(site.base + "browse", lang)}</nav>
<ul class="toc">{toc}</ul>
{"".join(sections)}"""
    return layout(site, "Browse", body, lang=lang)


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
) -> str:
    meta = "".join(
        f"<dt>{_e(name)}</dt><dd>{', '.join(_link(site, v) for v in values)}</dd>"
        for name, values in metadata
    )
    toc = []
    body_sections = []
    for heading, terms in sections:
        if not terms:
            continue
        anchor = heading.lower().replace(" ", "-")
        toc.append(f'<li><a href="#{anchor}">{_e(heading)}</a> ({len(terms)})</li>')
        items = []
        for term in terms:
            local = term.iri.rsplit("#", 1)[-1]
            rows = "".join(
                f"<dt>{_e(what)}</dt><dd>{', '.join(_link(site, v) for v in values)}</dd>"
                for what, values in term.rows
            )
            definition = f"<p>{_e(term.definition)}</p>" if term.definition else ""
            comment = f"<p>{_e(term.comment)}</p>" if term.comment else ""
            items.append(
                f'<section class="term" id="{_e(local)}">'
                f"<h3>{_e(term.label)} <code>akg:{_e(local)}</code></h3>"
                f'<p class="kind">{_e(term.kind)}</p>{definition}{comment}<dl class="term"><dt>IRI</dt>'
                f"<dd><code>{_e(term.iri)}</code></dd>{rows}</dl></section>"
            )
        body_sections.append(f'<h2 id="{anchor}">{_e(heading)}</h2>' + "".join(items))
    formats = " · ".join(
        f'<a rel="alternate" type="{media}" href="{_e(site.base)}ontology.{ext}">{_e(name)}</a>'
        for (ext, name), media in zip(DOCUMENT_FORMATS, _MEDIA, strict=True)
    )
    body = f"""<p class="kind">OWL 2 DL ontology</p>
<h1>{_e(title)}</h1>
<p class="iri">IRI: <code>{_e(ONTOLOGY_IRI)}</code> — terms: <code>{_e(ONTOLOGY_IRI)}#…</code>
(prefix <code>akg:</code>)</p>
<p class="summary">{_e(description or "")}</p>
<nav class="formats"><span><span class="label">The ontology in RDF:</span> {formats}</span>
{_language_links(site.base + "ontology.html", lang)}</nav>
<dl class="term">{meta}</dl>
<ul class="toc">{"".join(toc)}</ul>
{"".join(body_sections)}"""
    head = "".join(
        f'<link rel="alternate" type="{media}" href="{_e(site.base)}ontology.{ext}">\n'
        for (ext, _), media in zip(DOCUMENT_FORMATS, _MEDIA, strict=True)
    )
    return layout(site, title, body, lang=lang, head=head)


# ---------------------------------------------------------------------------------------------------
# The query page


def query_page(
    site: Site, catalogue: Sequence[dict[str, object]], graphs: dict[str, object], counts: str
) -> str:
    options = "".join(
        f'<option value="{_e(q["name"])}">{_e(q["title"])} ({_e(q["name"])})</option>' for q in catalogue
    )
    first = catalogue[0] if catalogue else {"text": "SELECT * WHERE { ?s ?p ?o } LIMIT 10", "question": ""}
    data = {
        "endpoint": site.endpoint,
        "base": site.base,
        "canonicalBase": BASE,
        "queries": list(catalogue),
        "graphs": graphs,
        "prefixes": PREFIXES,
    }
    # "</" cannot end the script element early once escaped; the rest is plain JSON
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    body = f"""<h1>Query the graph</h1>
<p>{_e(counts)} Ask in SPARQL 1.1 here, or from any SPARQL client at <code>{_e(site.endpoint)}</code>
(GET or POST; results as JSON, XML, CSV or TSV, graphs as Turtle, N-Triples, JSON-LD or RDF/XML). The prefixes
<code>akg:</code>, <code>vehicle:</code>, <code>organisation:</code>… are declared for you. The endpoint is
read-only and does not run <code>SERVICE</code>.</p>
<form class="query" id="query-form" method="post" action="{_e(site.endpoint)}">
<label class="pick" for="catalogue">Competency question:
<select id="catalogue" name="catalogue">{options}</select></label>
<p id="question">{_e(first.get("question", ""))}</p>
<textarea id="query" name="query" spellcheck="false" aria-label="SPARQL query">{_e(first["text"])}</textarea>
<div class="controls">
<button type="submit" id="run">Run query</button>
<label><input type="checkbox" id="reasoned" name="reasoned"> with what OWL 2 RL infers (the closure)</label>
<span id="status" role="status"></span>
</div>
</form>
<div id="results" aria-live="polite"></div>
<script type="application/json" id="akg-data">{payload}</script>"""
    scripts = f'<script src="{_e(site.base)}static/query.js"></script>\n'
    return layout(site, "Query", body, scripts=scripts)


def void_page(site: Site, turtle: str, facts: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in facts)
    formats = " · ".join(
        f'<a rel="alternate" type="{media}" href="{_e(site.base)}void.{ext}">{_e(name)}</a>'
        for (ext, name), media in zip(DOCUMENT_FORMATS, _MEDIA, strict=True)
    )
    body = f"""<p class="kind">VoID dataset description</p>
<h1>The dataset</h1>
<nav class="formats"><span><span class="label">This description in RDF:</span> {formats}</span></nav>
<table class="facts"><tbody>{rows}</tbody></table>
<h2 id="publisher">Publisher</h2>
<p>{_e(PUBLISHER_NAME)}: the publisher and creator of the dataset, the ontology and the shapes.</p>
<h2>In Turtle</h2>
<pre>{_e(turtle)}</pre>"""
    return layout(site, "Dataset", body)
