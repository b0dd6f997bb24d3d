"""HTTP content negotiation: ``Accept`` (with q-values and wildcards), the ``format`` parameter that SPARQL
clients such as SPARQLWrapper send, and the label language (``?lang=``, then ``Accept-Language``)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..formats import RESULT_FORMATS


@dataclass(frozen=True)
class Format:
    """One representation the server can produce."""

    key: str  # short name, also the file extension of the document URLs where there is one
    media_type: str  # what goes in Content-Type (without parameters)
    aliases: tuple[str, ...] = ()  # other media types (and ``format=`` values) that ask for it
    charset: bool = True

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


# Results of SELECT and ASK (SPARQL 1.1 Query Results JSON, XML, CSV and TSV).
SOLUTION_FORMATS = (
    Format("json", "application/sparql-results+json", ("application/json", "text/javascript")),
    Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values", ("tab-separated-values",)),
)
# Graphs: results of CONSTRUCT and DESCRIBE, and the descriptions of resources.
GRAPH_FORMATS = (
    Format(
        "ttl",
        "text/turtle",
        (
            "application/x-turtle",
            "application/turtle",
            "turtle",
            "n3",
            "text/n3",
            "text/rdf+n3",
            "application/rdf+n3",
        ),
    ),
    Format("nt", "application/n-triples", ("text/plain", "ntriples", "n-triples")),
    Format("jsonld", "application/ld+json", ("json-ld", "application/json")),
    Format("rdf", "application/rdf+xml", ("rdf+xml", "rdf", "xml", "application/xml", "text/xml")),
)
HTML = Format("html", "text/html", ("application/xhtml+xml",))

RESULTS_FORMAT = RESULT_FORMATS  # the command line's: json, xml, csv, tsv
RDF_FORMAT = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
}


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """``(media range, q, specificity)`` for each entry of an Accept header; a missing or empty header
    accepts anything."""
    if not header or not header.strip():
        return [("*/*", 1.0, 0)]
    entries = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        if media == "*":
            media = "*/*"
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        entries.append((media, q, specificity))
    return entries


def _quality(entries: list[tuple[str, float, int]], media_types: tuple[str, ...]) -> float:
    """The q the client gives one of ``media_types``: that of the most specific matching range."""
    best: tuple[int, float] | None = None
    for media, q, specificity in entries:
        for candidate in media_types:
            kind = candidate.split("/", 1)[0]
            matches = media in (candidate, "*/*") or (specificity == 1 and media == f"{kind}/*")
            # the most specific range decides; among equally specific ones, the highest q
            if matches and (best is None or (specificity, q) > best):
                best = (specificity, q)
    return best[1] if best else 0.0


def choose(accept: str | None, offers: tuple[Format, ...]) -> Format | None:
    """The offer the client prefers (ties go to the first offer), or None when it accepts none of them."""
    entries = parse_accept(accept)
    best: tuple[float, int] | None = None
    chosen = None
    for index, offer in enumerate(offers):
        q = _quality(entries, (offer.media_type, *[a for a in offer.aliases if "/" in a]))
        if q > 0 and (best is None or (q, -index) > best):
            best, chosen = (q, -index), offer
    return chosen


def by_name(value: str, offers: tuple[Format, ...]) -> Format | None:
    """The offer a ``format=`` value names (a short name, an alias or a media type), if any."""
    value = value.strip().lower().split(";")[0].strip()
    for offer in offers:
        if value in (offer.key, offer.media_type, *offer.aliases):
            return offer
    return None


def accepts_html(accept: str | None) -> bool:
    """Whether the client prefers HTML to any RDF or results format (what a browser sends)."""
    entries = parse_accept(accept)
    html = _quality(entries, (HTML.media_type, *HTML.aliases))
    if html <= 0:
        return False
    others = max(
        _quality(entries, (f.media_type, *[a for a in f.aliases if "/" in a]))
        for f in (*GRAPH_FORMATS, *SOLUTION_FORMATS)
    )
    # a browser says text/html explicitly and */* at a lower q; a client that says only */* gets data
    return any(m in ("text/html", "application/xhtml+xml") for m, q, _ in entries if q > 0) and html >= others


def choose_language(lang_param: str | None, accept_language: str | None, available: set[str]) -> str:
    """``?lang=`` wins, then the first language of Accept-Language the graph has labels in, then English."""
    if lang_param:
        tag = lang_param.strip().lower()
        if tag:
            return tag
    ranked = []
    for index, part in enumerate((accept_language or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        tag = fields[0].lower()
        if not tag or tag == "*":
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, tag))
    for _, _, tag in sorted(ranked):
        for candidate in (tag, tag.split("-")[0]):
            if candidate in available:
                return candidate
    return "en"
