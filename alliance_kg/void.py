"""The dataset description (VoID and DCAT), computed from the graph: ``alliance-kg export --void``.

It says what the dataset is (title, description, licence, version, publisher, source), how big it is (triples,
entities, classes, properties, distinct subjects and objects; a partition per class and per property; a subset
per named graph), which vocabularies it uses, a few example resources, where its dumps are and, when one is
given, its SPARQL endpoint (as a DCAT data service too).

What it describes is what is served and dumped, laid out by :mod:`alliance_kg.layout`: the dataset node
counts the **default graph** (the union of the asserted graphs: what the plain endpoint's default graph and
every dump hold), its partitions are partitions of that graph, and each named graph is a ``void:subset``
with its own count. With reasoning, the subset ``…/graph/inferred`` is described too, and the **closure**
(every graph together: what ``query --reasoned`` and the reasoned endpoint answer from) is a second dataset,
``…/dataset#reasoned``, with its own counts and partitions and, when one is given, its own endpoint.

Definitions, so that the counts can be checked: ``void:triples`` counts the distinct triples of the graphs
together; ``void:entities`` the distinct IRIs under ``void:uriSpace`` (``…/id/``) that are the subject
of a triple; ``void:classes`` the distinct classes with at least one instance (objects of ``rdf:type``);
``void:properties`` the distinct predicates. Nothing here depends on the clock: the same graph gives the same
description.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .layout import ONTOLOGY, TITLES, Layout
from .namespaces import BASE, DCTERMS, ID, ONTOLOGY_IRI, OWL, PREFIXES, RDF, XSD

if TYPE_CHECKING:  # pragma: no cover
    from typing import TypedDict

    import pyoxigraph as ox
    from rdflib import Graph, URIRef
    from rdflib.term import Node

    class Statistics(TypedDict):
        """The counts of :func:`statistics`."""

        triples: int
        entities: int
        classes: dict[str, int]
        properties: dict[str, int]
        distinct_subjects: int
        distinct_objects: int
        vocabularies: list[str]
        examples: list[str]


VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"

DATASET = BASE + "dataset"
#: The closure (asserted and inferred triples together), described beside the dataset when reasoning is on.
REASONED = DATASET + "#reasoned"
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
#: The publisher (and creator) of the dataset, the ontology and the shapes: the project's contributors as a
#: group (the ontology's header describes it too: foaf:Agent, foaf:name).
PUBLISHER = DATASET + "#publisher"
PRESS_RELEASE = ID + "source/press-release-2025-09-16"
#: Resources a newcomer may start from; only those present in the graph are listed.
EXAMPLES = (
    ID + "vehicle/nissan-micra",
    ID + "plant/ampere-douai",
    ID + "organisation/renault-nissan-mitsubishi-alliance",
    ID + "event/alliance-operating-board-meeting-2025-09-16",
    ID + "production-figure/ampere-douai-2024",
)
GRAPH_TITLES = TITLES  # by graph IRI (alliance_kg.layout)
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


def dataset(*, extra: Sequence[Path | str] = (), reasoned: bool = False) -> Layout:
    """What is described: the graph laid out in named graphs (:func:`alliance_kg.layout.build`)."""
    from .layout import build

    return build(extra, reasoned=reasoned)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _curie(iri: str) -> str:
    from .namespaces import shorten

    return shorten(iri) or iri


def _vocabulary(iri: str) -> str | None:
    """The namespace of a vocabulary term (one of the project's prefixes, not an instance namespace)."""
    for namespace in sorted(PREFIXES.values(), key=len, reverse=True):
        if iri.startswith(namespace):
            return None if namespace.startswith(ID) else namespace
    return None


def statistics(triples: Sequence[ox.Triple]) -> Statistics:
    """The counts of the description over distinct ``triples``: see the module's definitions."""
    import pyoxigraph as ox

    rdf_type = ox.NamedNode(RDF + "type")
    subjects: set[object] = set()
    objects: set[object] = set()
    classes: dict[str, set[object]] = {}
    properties: dict[str, int] = {}
    vocabularies: set[str] = set()
    seen_iris: set[str] = set()
    for t in triples:
        s, p, o = t.subject, t.predicate, t.object
        subjects.add(s)
        objects.add(o)
        properties[p.value] = properties.get(p.value, 0) + 1
        if p == rdf_type and isinstance(o, ox.NamedNode):
            classes.setdefault(o.value, set()).add(s)
        for term in (s, p, o):
            if isinstance(term, ox.NamedNode):
                if term.value not in seen_iris:
                    seen_iris.add(term.value)
                    if namespace := _vocabulary(term.value):
                        vocabularies.add(namespace)
            elif (
                isinstance(term, ox.Literal)
                and term.datatype.value.startswith(XSD)
                and term.datatype.value != XSD + "string"
            ):
                vocabularies.add(XSD)
    return {
        "triples": len(triples),
        "entities": sum(1 for s in subjects if isinstance(s, ox.NamedNode) and s.value.startswith(ID)),
        "classes": {c: len(members) for c, members in sorted(classes.items())},
        "properties": dict(sorted(properties.items())),
        "distinct_subjects": len(subjects),
        "distinct_objects": len(objects),
        "vocabularies": sorted(vocabularies),
        "examples": [e for e in EXAMPLES if ox.NamedNode(e) in subjects],
    }


def describe(
    data: Layout,
    *,
    endpoint: str | None = None,
    reasoned_endpoint: str | None = None,
    dumps: str | None = DUMPS,
) -> Graph:
    """The VoID + DCAT description of the laid-out graph ``data`` (:func:`dataset`): the dataset (the
    default graph), a subset per named graph and, when ``data`` is reasoned, the closure as
    ``…/dataset#reasoned``; ``endpoint`` and ``reasoned_endpoint`` are the SPARQL endpoints serving them."""
    import pyoxigraph as ox
    from rdflib import Graph, Literal, URIRef

    from . import __version__
    from .graph import bind_prefixes
    from .layout import to_rdflib

    out = bind_prefixes(Graph())
    out.bind("void", VOID)
    out.bind("dcat", DCAT)
    ds = URIRef(DATASET)

    def add(s: str | URIRef, p: str, o: Node) -> None:
        out.add((URIRef(s) if isinstance(s, str) else s, URIRef(p), o))

    def integer(n: int) -> Literal:
        return Literal(n, datatype=URIRef(XSD + "integer"))

    ontology: dict[str, Node] = {}
    for t in data.graph(ONTOLOGY) if ONTOLOGY in data.graphs else data.default_graph():
        if t.subject == ox.NamedNode(ONTOLOGY_IRI):
            ontology.setdefault(t.predicate.value, to_rdflib(t)[2])
    version = str(ontology.get(OWL + "versionInfo", __version__))

    def counts(node: URIRef, stats: Statistics) -> None:
        add(node, VOID + "uriSpace", Literal(ID))
        add(node, VOID + "triples", integer(stats["triples"]))
        add(node, VOID + "entities", integer(stats["entities"]))
        add(node, VOID + "classes", integer(len(stats["classes"])))
        add(node, VOID + "properties", integer(len(stats["properties"])))
        add(node, VOID + "distinctSubjects", integer(stats["distinct_subjects"]))
        add(node, VOID + "distinctObjects", integer(stats["distinct_objects"]))
        for namespace in stats["vocabularies"]:
            add(node, VOID + "vocabulary", URIRef(namespace))
        for example in stats["examples"]:
            add(node, VOID + "exampleResource", URIRef(example))
        prefix = str(node) + "-" if "#" in str(node) else str(node) + "#"
        for cls, entities in stats["classes"].items():
            part = URIRef(f"{prefix}class-{_slug(_curie(cls))}")
            add(node, VOID + "classPartition", part)
            add(part, VOID + "class", URIRef(cls))
            add(part, VOID + "entities", integer(entities))
        for prop, triples in stats["properties"].items():
            part = URIRef(f"{prefix}property-{_slug(_curie(prop))}")
            add(node, VOID + "propertyPartition", part)
            add(part, VOID + "property", URIRef(prop))
            add(part, VOID + "triples", integer(triples))

    def sparql(node: URIRef, url: str, suffix: str, description: str) -> None:
        service = URIRef(DATASET + "#sparql" + suffix)
        distribution = URIRef(DATASET + "#sparql" + suffix + "-distribution")
        add(node, VOID + "sparqlEndpoint", URIRef(url))
        add(node, DCAT + "distribution", distribution)
        add(distribution, RDF + "type", URIRef(DCAT + "Distribution"))
        add(distribution, DCAT + "accessService", service)
        add(distribution, DCAT + "accessURL", URIRef(url))
        add(service, RDF + "type", URIRef(DCAT + "DataService"))
        add(service, DCAT + "endpointURL", URIRef(url))
        add(service, DCAT + "servesDataset", node)
        add(service, DCTERMS + "conformsTo", URIRef("https://www.w3.org/TR/sparql11-protocol/"))
        add(service, DCTERMS + "description", Literal(description, lang="en"))

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
    publisher = URIRef(PUBLISHER)
    add(ds, DCTERMS + "publisher", publisher)
    add(ds, DCTERMS + "creator", publisher)
    add(publisher, RDF + "type", URIRef(FOAF + "Organization"))
    add(publisher, FOAF + "name", Literal(PUBLISHER_NAME))
    add(ds, DCTERMS + "source", URIRef(PRESS_RELEASE))
    add(ds, DCTERMS + "conformsTo", URIRef(ONTOLOGY_IRI))
    add(ds, DCAT + "landingPage", URIRef(BASE))
    for keyword in KEYWORDS:
        add(ds, DCAT + "keyword", Literal(keyword, lang="en"))
    counts(ds, statistics(data.default_graph()))
    for graph_iri, triples in data.sizes().items():
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
        sparql(ds, endpoint, "", "The default graph is the union of the asserted named graphs.")
    if data.reasoned:
        closure = URIRef(REASONED)
        add(ds, RDFS + "seeAlso", closure)
        add(closure, RDF + "type", URIRef(VOID + "Dataset"))
        add(closure, DCTERMS + "title", Literal(TITLE + ", with what OWL 2 RL infers", lang="en"))
        add(
            closure,
            DCTERMS + "description",
            Literal(
                "The OWL 2 RL closure of the dataset: its asserted named graphs and what reasoning adds to "
                "them (the named graph …/graph/inferred), together in one default graph. Terms of "
                "schema.org, W3C ORG, PROV and FOAF that the ontology aligns with are here.",
                lang="en",
            ),
        )
        add(closure, DCTERMS + "license", URIRef(LICENSE))
        add(closure, PROV + "wasDerivedFrom", ds)
        counts(closure, statistics(data.closure()))
        for graph_iri in data.sizes():
            add(closure, VOID + "subset", URIRef(graph_iri))
        if reasoned_endpoint:
            sparql(
                closure,
                reasoned_endpoint,
                "-reasoned",
                "The default graph is the OWL 2 RL closure: every named graph, …/graph/inferred included.",
            )
    return out
