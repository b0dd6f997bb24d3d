"""Every asserted domain fact has a source, and a consumer can find it with plain SPARQL."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS
from rdflib.term import Node

from alliance_kg import paths
from alliance_kg.graph import NON_FACT_FILES, load_files
from alliance_kg.namespaces import AKG, ID, PREFIXES
from alliance_kg.provenance import Statement, statement_iri, statements, stub, unsourced

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


_REIFICATION = (RDF.subject, RDF.predicate, RDF.object)


def reification_problems(graph: Graph) -> list[str]:
    """What is wrong with ``graph`` as the provenance graph: it must hold statements, use only PROV and
    standard reification, and each statement must be a complete ``rdf:Statement`` (one subject, predicate
    and object, and at least one source). Empty when all is well."""
    allowed = {RDF.type, *_REIFICATION, PROV.wasDerivedFrom}
    problems = [f"{p}: neither PROV nor reification" for p in sorted(set(graph.predicates()) - allowed)]
    nodes = set(graph.subjects())
    if not nodes:
        problems.append("no statements at all")
    for node in sorted(nodes):
        if (node, RDF.type, RDF.Statement) not in graph:
            problems.append(f"{node}: not an rdf:Statement")
        for predicate in _REIFICATION:
            count = len(list(graph.objects(node, predicate)))
            if count != 1:
                problems.append(f"{node}: {count} values of {predicate}, not one")
        if (node, PROV.wasDerivedFrom, None) not in graph:
            problems.append(f"{node}: no prov:wasDerivedFrom")
    return problems


def test_statements_use_prov_and_standard_reification(provenance: Graph) -> None:
    assert reification_problems(provenance) == []


def test_the_reification_check_would_catch_a_broken_statement(provenance: Graph) -> None:
    """The check fails on an empty graph, a statement missing rdf:object, and a predicate of neither."""
    assert reification_problems(Graph()) == ["no statements at all"]
    node = next(iter(provenance.subjects(RDF.type, RDF.Statement)))
    broken = Graph()
    for triple in provenance.triples((node, None, None)):
        broken.add(triple)
    assert reification_problems(broken) == []
    broken.remove((node, RDF.object, None))
    assert reification_problems(broken) == [f"{node}: 0 values of {RDF.object}, not one"]
    broken.add((node, DCTERMS.source, URIRef(RELEASE)))
    assert f"{DCTERMS.source}: neither PROV nor reification" in reification_problems(broken)


# --- Each statement cites only what supports it (tests/provenance_claims.toml) ---------------------

CLAIMS_FILE = Path(__file__).resolve().parent / "provenance_claims.toml"
_TURTLE_PREFIXES = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())


def _term(text: str) -> Node:
    """A term written as in Turtle with the project's prefixes."""
    parsed = Graph().parse(data=f"{_TURTLE_PREFIXES}<urn:s> <urn:p> {text} .", format="turtle")
    ((_, _, term),) = parsed
    return term


@dataclass(frozen=True)
class Claim:
    subjects: frozenset[Node] | None  # None: any
    predicates: frozenset[Node] | None
    objects: frozenset[Node] | None
    may: frozenset[Node]
    must: frozenset[Node]
    why: str

    def matches(self, triple: tuple[Node, Node, Node]) -> bool:
        return all(
            allowed is None or term in allowed
            for allowed, term in zip((self.subjects, self.predicates, self.objects), triple, strict=True)
        )


def load_claims(path: Path = CLAIMS_FILE) -> list[Claim]:
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    named = {name: _term(text) for name, text in table.get("sources", {}).items()}

    def terms(value: str | list[str]) -> frozenset[Node] | None:
        values = [value] if isinstance(value, str) else value
        return None if values == ["*"] else frozenset(_term(v) for v in values)

    def sources(names: list[str]) -> frozenset[Node]:
        return frozenset(named[n] if n in named else _term(n) for n in names)

    return [
        Claim(
            terms(row["subject"]),
            terms(row["predicate"]),
            terms(row["object"]),
            sources(row["may"]),
            sources(row.get("must", [])),
            row["why"],
        )
        for row in table["claim"]
    ]


def unsupported(found: list[Statement], claims: list[Claim]) -> list[str]:
    """What is wrong with the statements' sources by the claims: a source the claim does not allow, a
    source it requires that is missing, or no source at all."""
    problems = []
    for st in found:
        for claim in claims:
            if not claim.matches(st.triple):
                continue
            triple = " ".join(t.n3() for t in st.triple)
            if not st.sources:
                problems.append(f"{triple}: no source")
            for src in sorted(st.sources - claim.may):
                problems.append(f"{triple}: cites {src.n3()}, which does not support it ({claim.why})")
            for src in sorted(claim.must - st.sources):
                problems.append(f"{triple}: does not cite {src.n3()} ({claim.why})")
    return problems


@pytest.fixture(scope="module")
def claims() -> list[Claim]:
    return load_claims()


def test_statements_cite_only_what_supports_them(provenance: Graph, claims: list[Claim]) -> None:
    problems = unsupported(statements(provenance), claims)
    assert not problems, "\n".join(problems)


def test_every_claim_matches_a_statement(provenance: Graph, claims: list[Claim]) -> None:
    found = statements(provenance)
    vacuous = [claim.why for claim in claims if not any(claim.matches(st.triple) for st in found)]
    assert not vacuous, vacuous


def test_every_source_of_the_claims_is_described(data: Graph, claims: list[Claim]) -> None:
    paragraph, document = URIRef(AKG + "SourceParagraph"), URIRef(AKG + "SourceDocument")
    named = {src for claim in claims for src in claim.may | claim.must}
    undescribed = [
        src
        for src in named
        if (src, RDF.type, paragraph) not in data and (src, RDF.type, document) not in data
    ]
    assert not undescribed, undescribed


#: Citations the graph used to make that the claims reject: ¶3 for Senard's post being in Renault Group,
#: ¶4 for Ampere being a company, ¶3/¶4 for the three being companies, ¶12 alone for Alpine being a brand.
OLD_CITATIONS = [
    (
        "post:renault-group-chairman",
        "akg:postIn",
        "organisation:renault-group",
        ["release:p3", "car-dealer-magazine"],
    ),
    ("organisation:ampere", "rdf:type", "akg:Company", ["release:p4", "saturday-star"]),
    ("organisation:renault-group", "rdf:type", "akg:Company", ["release:p1", "release:p3"]),
    ("organisation:nissan", "rdf:type", "akg:Company", ["release:p1", "release:p3", "release:p4"]),
    ("brand:alpine", "rdf:type", "akg:Brand", ["release:p12"]),
]


def test_the_claims_reject_the_old_citations(claims: list[Claim]) -> None:
    table = tomllib.loads(CLAIMS_FILE.read_text(encoding="utf-8"))["sources"]
    for s, p, o, cited in OLD_CITATIONS:
        triple = (_term(s), _term(p), _term(o))
        old = Statement(statement_iri(triple), triple, frozenset(_term(table.get(c, c)) for c in cited))
        assert unsupported([old], claims), f"the claims accept the old citation of {s} {p} {o}: {cited}"


# --- graph/concepts.ttl: the project's own editorial text, or a public definition ------------------

EDITORIAL = URIRef(ID + "source/alliance-kg-editorial")


def uncovered_vocabulary_triples(concepts: Graph, data: Graph) -> list[tuple[Node, Node, Node]]:
    """The triples of concepts.ttl whose scheme (the subject itself, or the schemes a concept is in)
    cites neither the project's editorial text nor a described outside document as dcterms:source."""
    document = URIRef(AKG + "SourceDocument")

    def covered(scheme: Node) -> bool:
        return any(
            src == EDITORIAL or ((src, RDF.type, document) in data and not str(src).startswith(RELEASE))
            for src in concepts.objects(scheme, DCTERMS.source)
        )

    missing = []
    for s, p, o in concepts:
        schemes = (
            [s] if (s, RDF.type, SKOS.ConceptScheme) in concepts else list(concepts.objects(s, SKOS.inScheme))
        )
        if not any(covered(scheme) for scheme in schemes):
            missing.append((s, p, o))
    return sorted(missing, key=lambda t: tuple(map(str, t)))


@pytest.fixture(scope="module")
def concepts() -> Graph:
    return load_files([paths.graph_dir() / "concepts.ttl"])


def test_every_vocabulary_triple_is_editorial_or_sourced(concepts: Graph, data: Graph) -> None:
    assert len(concepts) > 160
    missing = uncovered_vocabulary_triples(concepts, data)
    assert not missing, f"{len(missing)} triples of concepts.ttl with no source: {missing[:5]}"


def test_the_editorial_source_is_described_and_not_a_fact_file(data: Graph) -> None:
    assert (EDITORIAL, RDF.type, URIRef(AKG + "SourceDocument")) in data
    assert "concepts.ttl" in NON_FACT_FILES  # the vocabularies carry no statements: they are marked instead
    assert data.value(EDITORIAL, DCTERMS.description, any=True)


def test_a_consumer_finds_that_a_definition_is_editorial(graph: Graph) -> None:
    rows = list(
        graph.query(
            """
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?definition WHERE {
          <https://w3id.org/alliance-kg/id/segment/c> skos:definition ?definition ; skos:inScheme ?scheme .
          ?scheme dcterms:source <https://w3id.org/alliance-kg/id/source/alliance-kg-editorial> .
        }"""
        )
    )
    assert len(rows) == 1, rows


def test_the_coverage_check_would_catch_an_unmarked_scheme(concepts: Graph, data: Graph) -> None:
    broken = Graph()
    broken += concepts
    scheme = URIRef(ID + "scheme/roles")
    broken.remove((scheme, DCTERMS.source, None))
    missing = uncovered_vocabulary_triples(broken, data)
    assert missing and all(s == scheme or (s, SKOS.inScheme, scheme) in broken for s, _, _ in missing)
