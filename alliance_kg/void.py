"""The dataset description (VoID and DCAT), computed from the graph: ``alliance-kg export --void``.

It says what the dataset is (title, description, licence, version, publisher, source), how big it is (triples,
entities, classes, properties, distinct subjects and objects; a partition per class and per property; a subset
per named graph), which vocabularies it uses, a few example resources, where its dumps are and, when one is
given, its SPARQL endpoint (as a DCAT data service too).

Definitions, so that the counts can be checked: ``void:triples`` counts the distinct triples of all the named
graphs together; ``void:entities`` the distinct IRIs under ``void:uriSpace`` (``…/id/``) that are the subject
of a triple; ``void:classes`` the distinct classes with at least one instance (objects of ``rdf:type``);
``void:properties`` the distinct predicates. Nothing here depends on the clock: the same graph gives the same
description.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from .namespaces import BASE, DCTERMS, GRAPH, ID, ONTOLOGY_IRI, OWL, PREFIXES, RDF, XSD

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"

DATASET = BASE + "dataset"
#: Where the dumps are published: one file per export format (``alliance-kg export --format …``).
DUMPS = BASE + "dump/"
DUMP_FORMATS = {  # export format: (file name, media type, title)
    "nq": ("alliance-kg.nq", "application/n-quads", "N-Quads, one named graph per part"),
    "trig": ("alliance-kg.trig", "application/trig", "TriG, one named graph per part"),
    "ttl": ("alliance-kg.ttl", "text/turtle", "Turtle"),
    "nt": ("alliance-kg.nt", "application/n-triples", "N-Triples"),
    "jsonld": ("alliance-kg.jsonld", "application/ld+json", "JSON-LD"),
    "xml": ("alliance-kg.rdf", "application/rdf+xml", "RDF/XML"),
}
TITLE = "alliance-kg: the Renault–Nissan–Mitsubishi Alliance at the Ampere Douai plant"
DESCRIPTION = (
    "A knowledge graph of the Renault–Nissan–Mitsubishi Alliance's electric-vehicle work at the Ampere Douai "
    "plant, built from the Alliance's press release of 16 September 2025: the companies and the people who "
    "lead them, the plant and the investment in it, the AmpR Small and AmpR Medium platforms, the electric "
    "models built there for four brands, the events and the yearly production figures, every fact with the "
    "paragraph or page it comes from."
)
KEYWORDS = (
    "electric vehicles",
    "automotive industry",
    "Renault–Nissan–Mitsubishi Alliance",
    "Ampere",
    "Douai",
)
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
PUBLISHER_NAME = "alliance-kg contributors"
PRESS_RELEASE = ID + "source/press-release-2025-09-16"
#: Resources a newcomer may start from; only those present in the graph are listed.
EXAMPLES = (
    ID + "vehicle/nissan-micra",
    ID + "plant/ampere-douai",
    ID + "organisation/renault-nissan-mitsubishi-alliance",
    ID + "event/alliance-operating-board-meeting-2025-09-16",
    ID + "production-figure/ampere-douai-2024",
)
GRAPH_TITLES = {
    GRAPH + "ontology": "The ontology (OWL 2 DL)",
    GRAPH + "data": "The facts: organisations, people, plant, platforms, vehicles, events, production",
    GRAPH + "vocabularies": "The SKOS vocabularies",
    GRAPH + "sources": "The sources: the press release paragraph by paragraph, and the other pages",
    GRAPH + "provenance": "Where each fact comes from (one rdf:Statement per fact)",
    GRAPH + "user": "The user's own additions (--data)",
    GRAPH + "inferred": "What OWL 2 RL reasoning adds to the asserted graphs",
}
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


def dataset(*, extra: Sequence[Path | str] = (), reasoned: bool = False):  # -> rdflib.Dataset
    """The graph as a dataset of named graphs, as the quad exports give it; with ``reasoned``, what OWL 2 RL
    infers and no named graph asserts is in ``…/graph/inferred``."""
    from rdflib import URIRef

    from .graph import load_dataset

    data = load_dataset(extra=extra)
    if reasoned:
        from .reasoning import closure

        asserted = {t for g in data.graphs() for t in g}
        inferred = data.graph(URIRef(GRAPH + "inferred"))
        for triple in closure(extra):
            if triple not in asserted:
                inferred.add(triple)
    return data


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _curie(iri: str) -> str:
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _vocabulary(iri: str) -> str | None:
    """The namespace of a vocabulary term (one of the project's prefixes, not an instance namespace)."""
    for namespace in sorted(PREFIXES.values(), key=len, reverse=True):
        if iri.startswith(namespace):
            return None if namespace.startswith(ID) else namespace
    return None


def statistics(data) -> dict[str, object]:
    """The counts of the description, from an rdflib dataset (or graph): see the module's definitions."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF as RDF_NS

    graphs = [g for g in data.graphs() if len(g)] if hasattr(data, "graphs") else [data]
    union = set()
    for g in graphs:
        union.update(g)
    subjects = {s for s, _, _ in union}
    objects = {o for _, _, o in union}
    classes: dict[str, set] = {}
    properties: dict[str, int] = {}
    vocabularies: set[str] = set()
    for s, p, o in union:
        properties[str(p)] = properties.get(str(p), 0) + 1
        if p == RDF_NS.type and isinstance(o, URIRef):
            classes.setdefault(str(o), set()).add(s)
        for term in (s, p, o):
            if isinstance(term, URIRef) and (namespace := _vocabulary(str(term))):
                vocabularies.add(namespace)
            elif (
                isinstance(term, Literal) and term.datatype is not None and str(term.datatype).startswith(XSD)
            ):
                vocabularies.add(XSD)
    return {
        "triples": len(union),
        "entities": sum(1 for s in subjects if isinstance(s, URIRef) and str(s).startswith(ID)),
        "classes": {c: len(members) for c, members in sorted(classes.items())},
        "properties": dict(sorted(properties.items())),
        "distinct_subjects": len(subjects),
        "distinct_objects": len(objects),
        "vocabularies": sorted(vocabularies),
        "graphs": {str(g.identifier): len(g) for g in sorted(graphs, key=lambda g: str(g.identifier))},
        "examples": [e for e in EXAMPLES if URIRef(e) in subjects],
    }


def describe(data, *, endpoint: str | None = None, dumps: str | None = DUMPS):  # -> rdflib.Graph
    """The VoID + DCAT description of ``data`` (an rdflib dataset of named graphs, or one graph)."""
    from rdflib import Graph, Literal, URIRef

    from . import __version__
    from .graph import bind_prefixes

    stats = statistics(data)
    out = bind_prefixes(Graph())
    out.bind("void", VOID)
    out.bind("dcat", DCAT)
    ds = URIRef(DATASET)

    def add(s: str | URIRef, p: str, o) -> None:
        out.add((URIRef(s) if isinstance(s, str) else s, URIRef(p), o))

    def integer(n: int) -> Literal:
        return Literal(n, datatype=URIRef(XSD + "integer"))

    ontology = {}
    union = data if not hasattr(data, "graphs") else None
    for g in [union] if union is not None else data.graphs():
        for p, o in g.predicate_objects(URIRef(ONTOLOGY_IRI)):
            ontology.setdefault(str(p), o)
    version = str(ontology.get(OWL + "versionInfo", __version__))

    add(ds, RDF + "type", URIRef(VOID + "Dataset"))
    add(ds, RDF + "type", URIRef(DCAT + "Dataset"))
    add(ds, DCTERMS + "title", Literal(TITLE, lang="en"))
    add(ds, DCTERMS + "description", Literal(DESCRIPTION, lang="en"))
    add(ds, DCTERMS + "license", URIRef(LICENSE))
    add(ds, OWL + "versionInfo", Literal(version))
    add(ds, DCAT + "version", Literal(version))
    for key in ("created", "modified"):
        if DCTERMS + key in ontology:
            add(ds, DCTERMS + ("issued" if key == "created" else key), ontology[DCTERMS + key])
    publisher = URIRef(DATASET + "#publisher")
    add(ds, DCTERMS + "publisher", publisher)
    add(ds, DCTERMS + "creator", publisher)
    add(publisher, RDF + "type", URIRef(FOAF + "Organization"))
    add(publisher, FOAF + "name", Literal(PUBLISHER_NAME))
    add(ds, DCTERMS + "source", URIRef(PRESS_RELEASE))
    add(ds, DCTERMS + "conformsTo", URIRef(ONTOLOGY_IRI))
    add(ds, DCAT + "landingPage", URIRef(BASE))
    for keyword in KEYWORDS:
        add(ds, DCAT + "keyword", Literal(keyword, lang="en"))
    add(ds, VOID + "uriSpace", Literal(ID))
    add(ds, VOID + "triples", integer(stats["triples"]))
    add(ds, VOID + "entities", integer(stats["entities"]))
    add(ds, VOID + "classes", integer(len(stats["classes"])))
    add(ds, VOID + "properties", integer(len(stats["properties"])))
    add(ds, VOID + "distinctSubjects", integer(stats["distinct_subjects"]))
    add(ds, VOID + "distinctObjects", integer(stats["distinct_objects"]))
    for namespace in stats["vocabularies"]:
        add(ds, VOID + "vocabulary", URIRef(namespace))
    for example in stats["examples"]:
        add(ds, VOID + "exampleResource", URIRef(example))
    for cls, entities in stats["classes"].items():
        part = URIRef(f"{DATASET}#class-{_slug(_curie(cls))}")
        add(ds, VOID + "classPartition", part)
        add(part, VOID + "class", URIRef(cls))
        add(part, VOID + "entities", integer(entities))
    for prop, triples in stats["properties"].items():
        part = URIRef(f"{DATASET}#property-{_slug(_curie(prop))}")
        add(ds, VOID + "propertyPartition", part)
        add(part, VOID + "property", URIRef(prop))
        add(part, VOID + "triples", integer(triples))
    for graph_iri, triples in stats["graphs"].items():
        if not graph_iri.startswith(GRAPH):
            continue
        subset = URIRef(graph_iri)
        add(ds, VOID + "subset", subset)
        add(subset, RDF + "type", URIRef(VOID + "Dataset"))
        add(subset, DCTERMS + "title", Literal(GRAPH_TITLES.get(graph_iri, graph_iri), lang="en"))
        add(subset, VOID + "triples", integer(triples))
    if dumps:
        for fmt, (name, media, title) in DUMP_FORMATS.items():
            url = URIRef(dumps + name)
            distribution = URIRef(f"{DATASET}#dump-{fmt}")
            add(ds, VOID + "dataDump", url)
            add(ds, DCAT + "distribution", distribution)
            add(distribution, RDF + "type", URIRef(DCAT + "Distribution"))
            add(distribution, DCTERMS + "title", Literal(title, lang="en"))
            add(distribution, DCAT + "downloadURL", url)
            add(distribution, DCAT + "mediaType", URIRef(MEDIA_TYPES + media))
            add(distribution, DCTERMS + "license", URIRef(LICENSE))
    if endpoint:
        service = URIRef(DATASET + "#sparql")
        add(ds, VOID + "sparqlEndpoint", URIRef(endpoint))
        add(ds, DCAT + "distribution", URIRef(DATASET + "#sparql-distribution"))
        add(URIRef(DATASET + "#sparql-distribution"), RDF + "type", URIRef(DCAT + "Distribution"))
        add(URIRef(DATASET + "#sparql-distribution"), DCAT + "accessService", service)
        add(URIRef(DATASET + "#sparql-distribution"), DCAT + "accessURL", URIRef(endpoint))
        add(service, RDF + "type", URIRef(DCAT + "DataService"))
        add(service, DCAT + "endpointURL", URIRef(endpoint))
        add(service, DCAT + "servesDataset", ds)
        add(service, DCTERMS + "conformsTo", URIRef("https://www.w3.org/TR/sparql11-protocol/"))
    return out
