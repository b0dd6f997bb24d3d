"""The alignment contract: after OWL 2 RL reasoning, a consumer who knows only schema.org, W3C ORG and PROV
gets the organisations, people, cars, plant, posts, events and sources — with the right values."""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import OWL, RDF

PREFIXES = """
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def rows(graph: Graph, query: str) -> set[tuple[str, ...]]:
    return {tuple(str(v) for v in row) for row in graph.query(PREFIXES + query)}


def test_closure_is_consistent(reasoned: Graph) -> None:
    assert not list(reasoned.subjects(RDF.type, OWL.Nothing)), "some resource is inferred to be owl:Nothing"
    same = [(a, b) for a, b in reasoned.subject_objects(OWL.sameAs) if a != b]
    assert not same, f"functional properties made distinct resources the same: {same}"


def test_organisations(reasoned: Graph) -> None:
    names = rows(
        reasoned, "SELECT ?name WHERE { ?o a schema:Organization , org:Organization ; schema:name ?name }"
    )
    assert names == {
        ("Alliance",),
        ("Alliance Operating Board",),
        ("Renault Group",),
        ("Nissan",),
        ("Mitsubishi Motors",),
        ("Ampere",),
        ("Alpine",),
    }


def test_people(reasoned: Graph) -> None:
    people = rows(
        reasoned,
        """SELECT ?name ?given ?family WHERE {
        ?p a schema:Person ; schema:name ?name ; schema:givenName ?given ; schema:familyName ?family }""",
    )
    assert people == {
        ("Ivan Espinosa", "Ivan", "Espinosa"),
        ("Takao Kato", "Takao", "Kato"),
        ("François Provost", "François", "Provost"),
        ("Jean-Dominique Senard", "Jean-Dominique", "Senard"),
    }


def test_cars_with_brand_and_manufacturer(reasoned: Graph) -> None:
    cars = rows(
        reasoned,
        """SELECT ?name ?brand ?maker WHERE {
        ?c a schema:Car ; schema:name ?name ; schema:brand ?b ; schema:manufacturer ?m .
        ?b a schema:Brand ; schema:name ?brand . ?m a schema:Organization ; schema:name ?maker }""",
    )
    assert cars == {
        ("Megane E-Tech", "Renault", "Ampere"),
        ("Scenic E-Tech Electric", "Renault", "Ampere"),
        ("R5 E-Tech Electric", "Renault", "Ampere"),
        ("A290", "Alpine", "Ampere"),
        ("Nissan Micra", "Nissan", "Ampere"),
        ("Mitsubishi Eclipse Cross", "Mitsubishi", "Ampere"),
    }


def test_plant_is_a_site_and_place_of_its_operator(reasoned: Graph) -> None:
    sites = rows(
        reasoned,
        """SELECT ?site ?operator WHERE {
        ?s a org:Site , schema:Place ; schema:name ?site ; org:siteOf ?o .
        ?o org:hasSite ?s ; schema:name ?operator }""",
    )
    assert sites == {("Ampere Douai", "Ampere")}


def test_posts(reasoned: Graph) -> None:
    posts = rows(
        reasoned,
        """SELECT ?who ?org ?role WHERE {
        ?p a org:Post ; org:heldBy ?h ; org:postIn ?o ; org:role ?r .
        ?h schema:name ?who . ?o schema:name ?org .
        ?r <http://www.w3.org/2004/02/skos/core#prefLabel> ?role FILTER(lang(?role) = "en") }""",
    )
    assert posts == {
        ("Ivan Espinosa", "Nissan", "Chief Executive Officer"),
        ("Takao Kato", "Mitsubishi Motors", "Chief Executive Officer"),
        ("François Provost", "Renault Group", "Chief Executive Officer"),
        ("Jean-Dominique Senard", "Renault Group", "Chairman"),
    }
    works_for = rows(
        reasoned, "SELECT ?who ?org WHERE { ?p schema:worksFor ?o ; schema:name ?who . ?o schema:name ?org }"
    )
    assert ("Ivan Espinosa", "Nissan") in works_for and len(works_for) == 4


def test_events_with_start_date_and_location(reasoned: Graph) -> None:
    events = rows(
        reasoned,
        """SELECT ?date ?place WHERE {
        ?e a schema:Event ; schema:startDate ?date ; schema:location ?l . ?l schema:name ?place }""",
    )
    assert events == {("2025-09-16", "Ampere Douai"), ("2023-05", "Ampere Douai")}
    dated = rows(reasoned, "SELECT ?e ?date WHERE { ?e a schema:Event ; schema:startDate ?date }")
    # the two launches of "late 2025" are dated to their year (akg:approximateYear ⊑ schema:startDate)
    assert {d for _, d in dated} == {"2025-09-16", "2025-09-17", "2025-05", "2023-05", "2025"}
    assert len(rows(reasoned, "SELECT ?e WHERE { ?e a schema:Event }")) == 6


def test_sources_are_prov_entities_and_bibliographic_resources(reasoned: Graph) -> None:
    docs = rows(
        reasoned,
        """SELECT ?d WHERE { ?d a prov:Entity , dcterms:BibliographicResource ;
        dcterms:issued "2025-09-16"^^<http://www.w3.org/2001/XMLSchema#date> }""",
    )
    assert docs == {("https://w3id.org/alliance-kg/id/source/press-release-2025-09-16",)}
