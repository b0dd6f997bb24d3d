"""Lint of the ontology and the data: every file parses, every term used is declared, every term is
labelled (en, fr), defined and attached to the ontology; names follow the conventions; inverses are
declared on both sides; instance IRIs follow the documented scheme."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from alliance_kg import paths
from alliance_kg.graph import parse_turtle
from alliance_kg.namespaces import AKG, BASE, ID, ONTOLOGY_IRI

ONTOLOGY = URIRef(ONTOLOGY_IRI)
TTL_FILES = [paths.ontology_file(), *paths.graph_files()]
DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}

# External terms the data and the ontology may use, each checked by hand against its specification
# (W3C ORG, PROV-O, SKOS, DCMI Terms, schema.org, FOAF, VANN, RDF/RDFS/OWL). A typo such as ORG's own
# historic `org:subOrganzationOf` is not in this list and fails the lint.
KNOWN_EXTERNAL = (
    {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#" + t
        for t in ["type", "Statement", "subject", "predicate", "object", "Property", "first", "rest", "nil"]
    }
    | {
        "http://www.w3.org/2000/01/rdf-schema#" + t
        for t in [
            "label",
            "comment",
            "isDefinedBy",
            "seeAlso",
            "subClassOf",
            "subPropertyOf",
            "domain",
            "range",
            "Literal",
            "Class",
        ]
    }
    | {
        "http://www.w3.org/2002/07/owl#" + t
        for t in [
            "Ontology",
            "Class",
            "ObjectProperty",
            "DatatypeProperty",
            "AnnotationProperty",
            "FunctionalProperty",
            "InverseFunctionalProperty",
            "inverseOf",
            "equivalentClass",
            "equivalentProperty",
            "versionIRI",
            "versionInfo",
            "AllDisjointClasses",
            "members",
            "disjointWith",
            "propertyChainAxiom",
        ]
    }
    | {
        "http://www.w3.org/2004/02/skos/core#" + t
        for t in [
            "Concept",
            "ConceptScheme",
            "prefLabel",
            "altLabel",
            "definition",
            "note",
            "example",
            "notation",
            "inScheme",
            "hasTopConcept",
            "topConceptOf",
        ]
    }
    | {
        "http://purl.org/dc/terms/" + t
        for t in [
            "title",
            "description",
            "license",
            "created",
            "modified",
            "creator",
            "issued",
            "language",
            "spatial",
            "type",
            "source",
            "BibliographicResource",
            "contributor",
            "publisher",
            "bibliographicCitation",
        ]
    }
    | {"http://purl.org/ontology/bibo/status"}
    | {
        "http://purl.org/vocab/vann/preferredNamespacePrefix",
        "http://purl.org/vocab/vann/preferredNamespaceUri",
    }
    | {
        "http://www.w3.org/ns/org#" + t
        for t in [
            "Organization",
            "FormalOrganization",
            "OrganizationalCollaboration",
            "OrganizationalUnit",
            "Post",
            "Role",
            "Site",
            "hasMember",
            "memberOf",
            "unitOf",
            "hasUnit",
            "subOrganizationOf",
            "hasSubOrganization",
            "postIn",
            "hasPost",
            "heldBy",
            "holds",
            "role",
            "siteOf",
            "hasSite",
        ]
    }
    | {"http://www.w3.org/ns/prov#" + t for t in ["Agent", "Person", "Entity", "wasDerivedFrom"]}
    | {"http://www.w3.org/ns/prov#wasInfluencedBy", "http://purl.org/dc/terms/date"}
    | {"http://www.w3.org/ns/org#" + t for t in ["Membership", "member", "organization"]}
    # Wikidata's direct properties: P1071 location of creation, P88 commissioned by, P1552 has characteristic
    | {"http://www.wikidata.org/prop/direct/" + t for t in ["P1071", "P88", "P1552"]}
    | {
        "https://schema.org/" + t
        for t in [
            "Organization",
            "Corporation",
            "Person",
            "Brand",
            "Car",
            "Place",
            "City",
            "Country",
            "Event",
            "MonetaryAmount",
            "QuantitativeValue",
            "member",
            "memberOf",
            "parentOrganization",
            "subOrganization",
            "brand",
            "manufacturer",
            "worksFor",
            "location",
            "attendee",
            "organizer",
            "about",
            "containedInPlace",
            "containsPlace",
            "name",
            "givenName",
            "familyName",
            "startDate",
            "value",
            "currency",
            "bodyType",
            # used by the alignment for consumers (ontology/alliance.ttl, docs/alignment.md)
            "Product",
            "Observation",
            "OrganizationRole",
            "isBasedOn",
            "category",
            "observationAbout",
            "observationDate",
            "productionDate",
            "endDate",
        ]
    }
    | {"http://xmlns.com/foaf/0.1/" + t for t in ["Person", "Agent", "name", "givenName", "familyName"]}
)
# schema.org in its other spelling, http://schema.org/ (each term declared equivalent to its https twin)
KNOWN_EXTERNAL |= {"https://schema.org/sameAs"}  # the links out (graph/links.ttl)
KNOWN_EXTERNAL |= {
    "http://schema.org/" + t.removeprefix("https://schema.org/")
    for t in KNOWN_EXTERNAL
    if t.startswith("https://schema.org/")
}


def _akg_terms(graph: Graph) -> set[URIRef]:
    return {s for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(AKG)}


def _declared(ontology: Graph) -> set[URIRef]:
    return {s for t in DECLARATION_TYPES for s in ontology.subjects(RDF.type, t) if isinstance(s, URIRef)}


def _vocabulary_terms_used(graph: Graph) -> set[URIRef]:
    """Predicates, and classes in rdf:type objects, used by a graph."""
    used: set[URIRef] = set()
    for _, p, o in graph:
        used.add(p)
        if p == RDF.type and isinstance(o, URIRef):
            used.add(o)
    return used


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in TTL_FILES])
def test_file_parses_with_rdflib_and_oxigraph(path: Path) -> None:
    triples = len(parse_turtle(path))
    assert triples > 0, f"{path} is empty"
    oxi = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    assert len(set(oxi)) == triples, (
        f"rdflib reads {triples} triples in {path.name}, Oxigraph {len(set(oxi))}"
    )


def test_the_file_set_is_not_empty() -> None:
    assert len(TTL_FILES) >= 8, TTL_FILES


def test_ontology_header(ontology: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    required = {
        OWL.versionIRI: URIRef,
        OWL.versionInfo: Literal,
        URIRef("http://purl.org/dc/terms/title"): Literal,
        URIRef("http://purl.org/dc/terms/description"): Literal,
        URIRef("http://purl.org/dc/terms/license"): URIRef,
        URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix"): Literal,
        URIRef("http://purl.org/vocab/vann/preferredNamespaceUri"): Literal,
    }
    for prop, kind in required.items():
        values = list(ontology.objects(ONTOLOGY, prop))
        assert values and all(isinstance(v, kind) for v in values), f"ontology header lacks {prop}"
    for prop in ("created", "modified"):
        value = ontology.value(ONTOLOGY, URIRef("http://purl.org/dc/terms/" + prop))
        assert isinstance(value, Literal) and value.datatype == XSD.date, (
            f"dcterms:{prop} must be an xsd:date"
        )
    assert str(ontology.value(ONTOLOGY, URIRef("http://purl.org/vocab/vann/preferredNamespaceUri"))) == AKG
    assert (
        str(ontology.value(ONTOLOGY, URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix"))) == "akg"
    )


def test_every_term_has_labels_definition_and_is_defined_by(ontology: Graph) -> None:
    problems = []
    terms = _akg_terms(ontology)
    assert len(terms) > 50
    for term in sorted(terms):
        langs = {lit.language for lit in ontology.objects(term, RDFS.label) if isinstance(lit, Literal)}
        if not {"en", "fr"} <= langs:
            problems.append(f"{term}: rdfs:label in {sorted(map(str, langs))}, needs en and fr")
        definitions = [
            d
            for d in ontology.objects(term, SKOS.definition)
            if isinstance(d, Literal) and d.language == "en"
        ]
        if len(definitions) != 1:
            problems.append(f"{term}: needs exactly one English skos:definition, has {len(definitions)}")
        defined_by = list(ontology.objects(term, RDFS.isDefinedBy))
        if defined_by != [ONTOLOGY]:
            problems.append(f"{term}: rdfs:isDefinedBy must be exactly <{ONTOLOGY}>, is {defined_by}")
        if not any((term, RDF.type, t) in ontology for t in DECLARATION_TYPES):
            problems.append(f"{term}: described but not declared as a class or property")
    assert not problems, "\n".join(problems)


def test_every_akg_term_used_is_declared(ontology: Graph, data: Graph) -> None:
    declared = _declared(ontology)
    used = {
        t
        for g in (ontology, data)
        for t in _vocabulary_terms_used(g)
        | {o for _, _, o in g if isinstance(o, URIRef) and o.startswith(AKG)}
        if t.startswith(AKG)
    }
    undeclared = sorted(used - declared)
    assert not undeclared, f"akg: terms used but not declared in the ontology: {undeclared}"


def _unknown_external(*graphs: Graph) -> set[str]:
    unknown = set()
    for g in graphs:
        for term in _vocabulary_terms_used(g) | {
            s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef)
        }:
            iri = str(term)  # rdflib's URIRef.startswith() turns a tuple into one string: never matches
            if iri.startswith((AKG, ID, BASE + "dataset#")) or term == URIRef(ONTOLOGY_IRI):
                continue
            if (
                iri.startswith(("http:", "https:"))
                and iri not in KNOWN_EXTERNAL
                and not _is_source_page(g, term)
            ):
                unknown.add(iri)
    return unknown


def test_the_external_term_check_catches_a_typo(ontology: Graph) -> None:
    """ORG itself shipped `subOrganzationOf`: the check must catch such a term (it once caught nothing)."""
    typo = Graph()
    typo.add(
        (
            URIRef(ID + "organisation/ampere"),
            URIRef("http://www.w3.org/ns/org#subOrganzationOf"),
            URIRef(ID + "organisation/renault-group"),
        )
    )
    assert _unknown_external(typo) == {"http://www.w3.org/ns/org#subOrganzationOf"}


def test_every_external_term_is_known(ontology: Graph, data: Graph) -> None:
    unknown = _unknown_external(ontology, data)
    assert not unknown, f"external terms not in the checked list (typo?): {sorted(unknown)}"


def _is_source_page(graph: Graph, term: URIRef) -> bool:
    return (term, RDF.type, URIRef(AKG + "SourceDocument")) in graph


def test_naming_conventions(ontology: Graph) -> None:
    bad = []
    for term in _akg_terms(ontology):
        local = term[len(AKG) :]
        if (term, RDF.type, OWL.Class) in ontology:
            if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", local):
                bad.append(f"class {local} is not UpperCamelCase")
        elif not re.fullmatch(r"[a-z][A-Za-z0-9]*", local):
            bad.append(f"property {local} is not lowerCamelCase")
    assert not bad, bad


def test_inverses_are_declared_on_both_sides(ontology: Graph) -> None:
    one_sided = [
        f"{a} owl:inverseOf {b}, but not {b} owl:inverseOf {a}"
        for a, b in ontology.subject_objects(OWL.inverseOf)
        if (b, OWL.inverseOf, a) not in ontology
    ]
    assert not one_sided, one_sided


def test_functional_properties_have_one_value_per_subject(ontology: Graph, data: Graph) -> None:
    functional = set(ontology.subjects(RDF.type, OWL.FunctionalProperty))
    assert functional
    clashes = [
        f"{s} {p}: {sorted(map(str, data.objects(s, p)))}"
        for p in functional
        for s in set(data.subjects(p, None))
        if len(set(data.objects(s, p))) > 1
    ]
    assert not clashes, clashes


INSTANCE_IRI = re.compile(
    r"https://w3id\.org/alliance-kg/id/[a-z]+(-[a-z]+)*/[a-z0-9]+(-[a-z0-9]+)*(/p[0-9]+)?"
)


def test_instance_iris_follow_the_scheme_and_no_blank_nodes(data: Graph) -> None:
    bad = set()
    for s, _, o in data:
        for node in (s, o):
            if isinstance(node, BNode):
                bad.add(f"blank node in the data: {s}")
            elif isinstance(node, URIRef) and node.startswith(ID) and not INSTANCE_IRI.fullmatch(node):
                bad.add(f"IRI outside the scheme: {node}")
    assert not bad, sorted(bad)


def test_every_instance_has_an_english_label(data: Graph) -> None:
    unlabelled = [
        str(s)
        for s in set(data.subjects(RDF.type, None))
        if isinstance(s, URIRef)
        and s.startswith(ID)
        and not s.startswith(ID + "statement/")
        and not any(isinstance(lbl, Literal) and lbl.language == "en" for lbl in data.objects(s, RDFS.label))
        and not any(
            isinstance(lbl, Literal) and lbl.language == "en" for lbl in data.objects(s, SKOS.prefLabel)
        )
    ]
    assert not unlabelled, unlabelled


def test_lint_catches_an_undeclared_term(ontology: Graph, data: Graph) -> None:
    """The lint is not vacuous: a typo'd property in the data is reported."""
    broken = Graph()
    broken += data
    broken.add(
        (
            URIRef(ID + "vehicle/nissan-micra"),
            URIRef(AKG + "builtOnPlatfrom"),
            URIRef(ID + "platform/ampr-small"),
        )
    )
    with pytest.raises(AssertionError, match="builtOnPlatfrom"):
        test_every_akg_term_used_is_declared(ontology, broken)
