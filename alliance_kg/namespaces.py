"""Namespaces and IRI scheme of alliance-kg (see README, "IRIs").

The ontology is one hash namespace; instances live under ``BASE + "id/<kind>/<slug>"``; the named graphs
of the quad exports under ``BASE + "graph/<name>"``. Plain strings here keep rdflib out of import paths
that do not need it.
"""

from __future__ import annotations

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
