"""Links out to Wikidata (graph/links.ttl): each backed by public files, and harmless to the closure.

The links are ``schema:sameAs`` (https://schema.org/sameAs), never ``owl:sameAs``: under OWL 2 RL an
owl:sameAs would copy every fact of our resource onto the Wikidata IRI. The tests check that every
external identifier has a provenance statement citing a described public file (a GitHub file at a fixed
commit) that says the identifier was not checked on wikidata.org, and that the OWL 2 RL closure with the
links is the closure without them plus exactly the link triples: OWL 2 RL derives nothing from
schema:sameAs, which the ontology gives no semantics (no domain, range, characteristics or super-property).
"""

from __future__ import annotations

import re

import owlrl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, SKOS

from alliance_kg import layout, paths
from alliance_kg.graph import load_files
from alliance_kg.namespaces import AKG, ID
from alliance_kg.provenance import statements

WIKIDATA = "http://www.wikidata.org/entity/"
SAME_AS = (URIRef("https://schema.org/sameAs"), URIRef("http://schema.org/sameAs"))
LINK_PROPERTIES = (*SAME_AS, SKOS.exactMatch, OWL.sameAs)
ITEM = re.compile(r"http://www\.wikidata\.org/entity/Q[1-9][0-9]*")
PUBLIC_FILE = re.compile(r"https://github\.com/[^/]+/[^/]+/blob/[0-9a-f]{40}/\S+")
NOT_CHECKED = "not checked on wikidata.org"
LINKS_FILE = paths.graph_dir() / "links.ttl"

#: Every link of the graph, exactly: our resource → its Wikidata item.
EXPECTED = {
    "organisation/renault-group": "Q6686",
    "organisation/nissan": "Q20165",
    "organisation/mitsubishi-motors": "Q36033",
    "organisation/renault-nissan-mitsubishi-alliance": "Q1477864",
    "organisation/ampere": "Q124038384",
    "organisation/alpine": "Q26944",
    "brand/renault": "Q125544573",
    "brand/nissan": "Q125130399",
    "person/jean-dominique-senard": "Q1684801",
    "place/france": "Q142",
}


def _is_external_identifier(node: object) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(
        ("http://www.wikidata.org/", "https://www.wikidata.org/")
    )


@pytest.fixture(scope="module")
def links() -> Graph:
    return load_files([LINKS_FILE])


def test_the_links_are_exactly_the_expected_ones(data: Graph) -> None:
    found = {
        (str(s)[len(ID) :], str(o)[len(WIKIDATA) :])
        for p in LINK_PROPERTIES
        for s, o in data.subject_objects(p)
        if _is_external_identifier(o)
    }
    assert found == set(EXPECTED.items())


def test_links_are_schema_same_as_to_wikidata_items(links: Graph) -> None:
    assert len(links) == len(EXPECTED)
    for s, p, o in links:
        assert p == SAME_AS[0], (s, p)
        assert ITEM.fullmatch(str(o)), o
        assert str(s).startswith(ID), s


def test_no_owl_same_as_anywhere(data: Graph) -> None:
    assert not list(data.triples((None, OWL.sameAs, None)))


def test_one_item_per_resource_and_one_resource_per_item(links: Graph) -> None:
    subjects = [s for s, _, _ in links]
    items = [o for _, _, o in links]
    assert len(set(subjects)) == len(subjects), "a resource linked to two items"
    assert len(set(items)) == len(items), "two resources (a company and its brand?) linked to one item"


def test_the_links_go_to_the_data_graph() -> None:
    assert layout.graph_of(LINKS_FILE) == layout.DATA


def test_every_external_identifier_has_a_source_naming_a_public_file(data: Graph) -> None:
    document = URIRef(AKG + "SourceDocument")
    sources_of = {st.triple: st.sources for st in statements(data)}
    problems = []
    for s, p, o in data:
        if not _is_external_identifier(o) or str(s).startswith(ID + "statement/"):
            continue
        cited = sources_of.get((s, p, o), frozenset())
        files = [
            src
            for src in cited
            if PUBLIC_FILE.fullmatch(str(src))
            and (src, RDF.type, document) in data
            and NOT_CHECKED in str(data.value(src, DCTERMS.description))
        ]
        if not files:
            problems.append(f"{s} {p} {o}: cites {sorted(map(str, cited))}")
        if any(str(src).startswith(ID + "source/press-release") for src in cited):
            problems.append(f"{s} {p} {o}: the press release names no identifier")
    assert not problems, "\n".join(problems)


def test_a_consumer_can_select_the_identifiers_not_checked_on_wikidata(graph: Graph) -> None:
    rows = graph.query(
        """
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX schema: <https://schema.org/>
        SELECT DISTINCT ?item WHERE {
          ?resource schema:sameAs ?item .
          ?st rdf:subject ?resource ; rdf:predicate schema:sameAs ; rdf:object ?item ;
              prov:wasDerivedFrom ?file .
          ?file dcterms:description ?d .
          FILTER (CONTAINS(STR(?d), "not checked on wikidata.org"))
        }"""
    )
    assert {str(row[0])[len(WIKIDATA) :] for row in rows} == set(EXPECTED.values())


def _closure(files: list) -> set:
    graph = load_files(files)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        graph
    )
    return set(graph)


def test_the_closure_changes_by_exactly_the_links(links: Graph) -> None:
    """What OWL 2 RL derives from the links: nothing. The closure with graph/links.ttl is the closure
    without it plus the link triples themselves, so every answer a consumer gets in outside terms is the
    same apart from schema:sameAs (blank nodes keep their labels: the reader names them after the file)."""
    everything = [paths.ontology_file(), *paths.graph_files()]
    assert LINKS_FILE in everything
    with_links = _closure(everything)
    without = _closure([p for p in everything if p != LINKS_FILE])
    assert with_links - without == set(links)
    assert without <= with_links
    # nothing of ours is said of an item (OWL 2 RL only says each is owl:sameAs itself, links or not)
    assert all(o == s for s, _, o in with_links if ITEM.fullmatch(str(s)))
