"""Namespaces and IRI scheme of alliance-kg (see README, "IRIs").

The ontology is one hash namespace; instances live under ``BASE + "id/<kind>/<slug>"``; the named graphs
of the quad exports under ``BASE + "graph/<name>"``. Plain strings here keep rdflib out of import paths
that do not need it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

BASE = "https://w3id.org/alliance-kg/"
ONTOLOGY_IRI = BASE + "ontology"
AKG = ONTOLOGY_IRI + "#"
ID = BASE + "id/"
STATEMENT = ID + "statement/"
GRAPH = BASE + "graph/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
VANN = "http://purl.org/vocab/vann/"
SH = "http://www.w3.org/ns/shacl#"

#: Prefixes used when printing or serialising; the instance prefixes follow the "id/<kind>/" scheme.
PREFIXES: dict[str, str] = {
    "akg": AKG,
    "akgsh": BASE + "shapes#",
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "org": ORG,
    "schema": SCHEMA,
    "foaf": FOAF,
    "vann": VANN,
    # vocabularies the alignment and the metadata use (without them rdflib makes up ns1:, ns2:… in an order
    # that varies between runs)
    "schemahttp": "http://schema.org/",
    "bibo": "http://purl.org/ontology/bibo/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "wd": "http://www.wikidata.org/entity/",
    "organisation": ID + "organisation/",
    "brand": ID + "brand/",
    "person": ID + "person/",
    "post": ID + "post/",
    "tenure": ID + "tenure/",
    "role": ID + "role/",
    "place": ID + "place/",
    "plant": ID + "plant/",
    "facility": ID + "facility/",
    "investment": ID + "investment/",
    "figure": ID + "production-figure/",
    "platform": ID + "platform/",
    "segment": ID + "segment/",
    "vehicle": ID + "vehicle/",
    "powertrain": ID + "powertrain/",
    "bodytype": ID + "body-type/",
    "status": ID + "production-status/",
    "distinction": ID + "distinction/",
    "qualifier": ID + "period-qualifier/",
    "scheme": ID + "scheme/",
    "event": ID + "event/",
    "source": ID + "source/",
    "release": ID + "source/press-release-2025-09-16/",
    "statement": STATEMENT,
}


# --- prefixed names: the one set of rules for shortening an IRI ------------------------------------------
# The SPARQL / Turtle terminals PN_CHARS_BASE, PN_CHARS_U, PN_CHARS (alliance_kg.gate tokenizes with them).
PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
PN_CHARS_U = PN_CHARS_BASE + "_"
PN_CHARS = PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
#: A local part written as it is, with no escapes: PN_LOCAL without PLX (so that expanding the prefixed
#: name gives back the IRI character for character). Empty locals are not shortened either.
_PLAIN_LOCAL = re.compile(rf"[{PN_CHARS_U}:0-9](?:[{PN_CHARS}.:]*[{PN_CHARS}:])?")


def shorten(iri: str, prefixes: Mapping[str, str] | None = None) -> str | None:
    """``iri`` as a prefixed name (``prefix:local``) under the longest matching namespace of ``prefixes``
    (the project's :data:`PREFIXES` by default), or None when no namespace matches or the rest of the IRI is
    not a plain PN_LOCAL (a ``/``, ``#``, ``%``, a trailing ``.`` …)."""
    table = PREFIXES if prefixes is None else prefixes
    for prefix, namespace in sorted(table.items(), key=lambda kv: -len(kv[1])):
        if namespace and iri.startswith(namespace):
            local = iri[len(namespace) :]
            return f"{prefix}:{local}" if _PLAIN_LOCAL.fullmatch(local) else None
    return None


def curie(iri: str, prefixes: Mapping[str, str] | None = None) -> str:
    """``iri`` as a CURIE (see :func:`shorten`), else in full as ``<iri>``: what every table, report and
    message of alliance-kg prints."""
    return shorten(iri, prefixes) or f"<{iri}>"


def expand(name: str, prefixes: Mapping[str, str] | None = None) -> str:
    """The IRI of a prefixed name ``prefix:local`` (KeyError for an unknown prefix): the inverse of
    :func:`shorten`."""
    table = PREFIXES if prefixes is None else prefixes
    prefix, _, local = name.partition(":")
    return table[prefix] + local


def drop_unused_prefixes(data: bytes) -> bytes:
    """Turtle or TriG written with every project prefix (Oxigraph declares each prefix it is given), less
    the declarations of those it never uses (``prefix:`` nowhere after the declarations: one fast scan a
    prefix; a mention inside a literal keeps one, which is harmless)."""
    start = 0
    declarations = []
    while data.startswith(b"@prefix ", start):
        end = data.index(b"\n", start) + 1
        declarations.append(data[start:end])
        start = end
    # searched in place and copied once into the result: the body of a large export is tens of MB
    kept = [line for line in declarations if data.find(line.split(b" ", 2)[1], start) >= 0]
    if len(kept) == len(declarations):
        return data
    return b"".join([*kept, memoryview(data)[start:]])
