"""Every asserted domain fact has a source, and a consumer can find it with plain SPARQL."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

from alliance_kg import paths
from alliance_kg.graph import load_files
from alliance_kg.namespaces import AKG, ID
from alliance_kg.provenance import statement_iri, statements, stub, unsourced

RELEASE = ID + "source/press-release-2025-09-16"


@pytest.fixture(scope="module")
def provenance() -> Graph:
    return load_files([paths.graph_dir() / "provenance.ttl"])


def test_there_are_facts_and_statements(facts: Graph, provenance: Graph) -> None:
    assert len(facts) > 300
    assert len(statements(provenance)) == len(facts)


def test_no_fact_lacks_a_source(facts: Graph, provenance: Graph) -> None:
    missing = unsourced(facts, provenance)
    assert not missing, "facts without a statement in graph/provenance.ttl; add:\n\n" + "\n".join(
        stub(t, facts) for t in missing
    )


def test_every_statement_describes_an_asserted_fact(facts: Graph, provenance: Graph) -> None:
    stale = [st for st in statements(provenance) if st.triple not in facts]
    assert not stale, "statements about triples that are not asserted (stale?):\n" + "\n".join(
        f"{st.iri}: {st.triple}" for st in stale
    )


def test_statement_iris_are_the_hash_of_their_triple(provenance: Graph) -> None:
    wrong = [
        f"{st.iri} should be {statement_iri(st.triple)}"
        for st in statements(provenance)
        if st.iri != statement_iri(st.triple)
    ]
    assert not wrong, wrong


def test_every_cited_source_is_described(data: Graph, provenance: Graph) -> None:
    paragraph, document = URIRef(AKG + "SourceParagraph"), URIRef(AKG + "SourceDocument")
    cited = {src for st in statements(provenance) for src in st.sources}
    assert URIRef(RELEASE + "/p4") in cited
    undescribed = []
    for src in cited:
        if (src, RDF.type, paragraph) in data:
            doc = data.value(src, URIRef(AKG + "isParagraphOf"))
            text = data.value(src, URIRef(AKG + "text"))
            if (
                (doc, RDF.type, document) not in data
                or not isinstance(text, Literal)
                or not str(text).strip()
            ):
                undescribed.append(f"{src}: paragraph without its document or text")
        elif (src, RDF.type, document) not in data:
            undescribed.append(f"{src}: cited but not described in graph/sources.ttl")
    assert not undescribed, undescribed


def test_the_check_would_catch_an_unsourced_fact(facts: Graph, provenance: Graph) -> None:
    extra = (URIRef(ID + "vehicle/nissan-micra"), URIRef(AKG + "productionStartYear"), Literal("2030"))
    broken = Graph()
    broken += facts
    broken.add(extra)
    assert unsourced(broken, provenance) == [extra]


def test_a_consumer_finds_the_paragraph_behind_a_fact(graph: Graph) -> None:
    """Where does "the Nissan Micra is built on AmpR Small" come from? Plain SPARQL over plain triples."""
    rows = list(
        graph.query(
            """
        PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?n ?text ?title WHERE {
          ?st rdf:subject <https://w3id.org/alliance-kg/id/vehicle/nissan-micra> ;
              rdf:predicate akg:builtOnPlatform ;
              rdf:object <https://w3id.org/alliance-kg/id/platform/ampr-small> ;
              prov:wasDerivedFrom ?para .
          ?para akg:paragraphNumber ?n ; akg:text ?text ; akg:isParagraphOf ?doc .
          ?doc dcterms:title ?title ; dcterms:issued "2025-09-16"^^<http://www.w3.org/2001/XMLSchema#date> .
        }"""
        )
    )
    assert len(rows) == 1, rows
    n, text, title = rows[0]
    assert n.toPython() == 4
    assert "AmpR Small and AmpR Medium platforms" in str(text)
    assert "Ampere Douai" in str(title)


def test_outside_facts_cite_named_pages_not_the_release(provenance: Graph) -> None:
    """The platforms of the Renault and Alpine models are not in the press release: they must cite pages."""
    for model in (
        "renault-megane-e-tech",
        "renault-scenic-e-tech-electric",
        "renault-r5-e-tech-electric",
        "alpine-a290",
    ):
        (st,) = [
            s
            for s in statements(provenance)
            if s.triple[0] == URIRef(ID + "vehicle/" + model)
            and s.triple[1] == URIRef(AKG + "builtOnPlatform")
        ]
        assert st.sources and not any(str(src).startswith(RELEASE) for src in st.sources), (model, st.sources)
        assert all(
            str(src).startswith(("https://", "http://")) and "w3id.org" not in str(src) for src in st.sources
        ), st.sources


def test_statements_use_prov_and_standard_reification(provenance: Graph) -> None:
    assert all(
        p in {RDF.type, RDF.subject, RDF.predicate, RDF.object, PROV.wasDerivedFrom}
        for p in provenance.predicates()
    )
