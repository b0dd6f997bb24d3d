"""Fidelity to the press release, paragraph by paragraph.

Each case below is one fact that a paragraph of the press release of 16 September 2025 states, written
as SPARQL against the graph (ontology and data, as asserted): an ASK query that must be true, or a
SELECT whose rows must be exactly the expected ones (no row missing, no row extra). Values are written
as exact typed literals (``"50729"^^xsd:integer``, ``"2025-09-16"^^xsd:date``, ``"2025"^^xsd:gYear``),
so that a wrong number, a wrong datatype or a misspelled name fails. Single-valued facts use
``exactly``: the value must be there and the property must have no other value on that subject.

Case ids start with the paragraph that states the fact (``p04-…``); a case that several paragraphs
support is filed under the one that states it most directly. The last tests check that the graph holds
the release's text paragraph for paragraph, and its SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from alliance_kg.namespaces import PREFIXES as NAMESPACES

SEED = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "seed"
    / "alliance-press-release-2025-09-16.txt"
)
ID = "https://w3id.org/alliance-kg/id/"
RELEASE = ID + "source/press-release-2025-09-16"


#: Prepended to every query of this module.
PREFIXES = "".join(f"PREFIX {prefix}: <{iri}>\n" for prefix, iri in NAMESPACES.items())

CASE_ID = re.compile(r"^p(\d{2})-[a-z0-9-]+$")

Row = tuple[Node, ...]


def term(value: str | Node) -> Node:
    """An rdflib term from a compact IRI ("vehicle:nissan-micra") or a term given as such."""
    if isinstance(value, Node):  # before str: an rdflib Literal is a str too
        return value
    prefix, _, local = value.partition(":")
    return URIRef(NAMESPACES[prefix] + local)


def ask(case_id: str, query: str, about: str | None = None):
    """A case: the ASK query must be true. ``about`` names a resource whose triples are printed when
    the case fails."""
    return pytest.param(query, None, about, id=case_id)


def exactly(case_id: str, subject: str, predicate: str, obj: str):
    """A case: ``subject predicate obj`` is in the graph (same term: same lexical form, datatype and
    language) and ``predicate`` has no other value on ``subject``."""
    query = (
        f"ASK {{ {subject} {predicate} {obj} .\n"
        f"  FILTER NOT EXISTS {{ {subject} {predicate} ?other . FILTER (!sameTerm(?other, {obj})) }} }}"
    )
    return pytest.param(query, None, subject, id=case_id)


def select(case_id: str, query: str, rows: Iterable[Iterable[str | Node]]):
    """A case: the SELECT query returns exactly these rows (as a multiset), in any order."""
    expected = tuple(tuple(term(value) for value in row) for row in rows)
    return pytest.param(query, expected, None, id=case_id)


def year(value: str) -> Literal:
    return Literal(value, datatype=XSD.gYear)


# ------------------------------------------------------------------------------------------------------
#    p01 — Renault Group, Nissan, and Mitsubishi Motors’ strategic partnership in Europe …
# ------------------------------------------------------------------------------------------------------
P01 = [
    select(
        "p01-alliance-has-exactly-the-three-partners",
        "SELECT ?member WHERE { organisation:renault-nissan-mitsubishi-alliance a akg:Alliance ;"
        " akg:hasAllianceMember ?member }",
        [("organisation:renault-group",), ("organisation:nissan",), ("organisation:mitsubishi-motors",)],
    ),
    exactly("p01-renault-group-name", "organisation:renault-group", "akg:name", '"Renault Group"'),
    exactly("p01-nissan-name", "organisation:nissan", "akg:name", '"Nissan"'),
    exactly(
        "p01-mitsubishi-motors-name", "organisation:mitsubishi-motors", "akg:name", '"Mitsubishi Motors"'
    ),
    ask(
        "p01-partners-are-companies",
        "ASK { organisation:renault-group a akg:Company . organisation:nissan a akg:Company ."
        " organisation:mitsubishi-motors a akg:Company }",
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p02 — During today’s Alliance Operating Board meeting, held at the cutting-edge Ampere Douai facility …
# ------------------------------------------------------------------------------------------------------
P02 = [
    ask(
        "p02-meeting-is-a-board-meeting-of-the-alliance-operating-board",
        "ASK { event:alliance-operating-board-meeting-2025-09-16 a akg:BoardMeeting ;"
        " akg:meetingOf organisation:alliance-operating-board ."
        " organisation:alliance-operating-board a akg:Board }",
        about="event:alliance-operating-board-meeting-2025-09-16",
    ),
    ask(
        "p02-meeting-to-review-joint-initiatives",
        "ASK { event:alliance-operating-board-meeting-2025-09-16 akg:describedAs"
        ' "to review joint initiatives and explore new avenues for growth and value creation"@en }',
        about="event:alliance-operating-board-meeting-2025-09-16",
    ),
    exactly(
        "p02-board-name",
        "organisation:alliance-operating-board",
        "akg:name",
        '"Alliance Operating Board"',
    ),
    exactly(
        "p02-board-of-the-alliance",
        "organisation:alliance-operating-board",
        "akg:isBoardOf",
        "organisation:renault-nissan-mitsubishi-alliance",
    ),
    exactly(
        "p02-meeting-held-at-ampere-douai",
        "event:alliance-operating-board-meeting-2025-09-16",
        "akg:heldAt",
        "plant:ampere-douai",
    ),
    exactly(
        "p02-meeting-takes-place-today-2025-09-16",
        "event:alliance-operating-board-meeting-2025-09-16",
        "akg:takesPlaceOn",
        '"2025-09-16"^^xsd:date',
    ),
    ask(
        "p02-ampere-douai-facility-cutting-edge",
        'ASK { plant:ampere-douai a akg:Plant ; skos:altLabel "Ampere Douai facility"@en ;'
        ' akg:describedAs "cutting-edge"@en }',
        about="plant:ampere-douai",
    ),
    select(
        "p02-meeting-attendees-exactly-chairman-and-three-ceos",
        "SELECT ?person WHERE { event:alliance-operating-board-meeting-2025-09-16 akg:attendedBy ?person }",
        [
            ("person:ivan-espinosa",),
            ("person:takao-kato",),
            ("person:francois-provost",),
            ("person:jean-dominique-senard",),
        ],
    ),
    select(
        "p02-ceos-from-all-three-companies-attended",
        "SELECT ?company ?ceo WHERE { ?post akg:hasRole role:chief-executive-officer ;"
        " akg:postIn ?company ; akg:heldBy ?ceo ."
        " event:alliance-operating-board-meeting-2025-09-16 akg:attendedBy ?ceo }",
        [
            ("organisation:nissan", "person:ivan-espinosa"),
            ("organisation:mitsubishi-motors", "person:takao-kato"),
            ("organisation:renault-group", "person:francois-provost"),
        ],
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p03 — Douai, France – September 16, 2025 – This session marked the first visit to Douai for …
# ------------------------------------------------------------------------------------------------------
P03 = [
    exactly("p03-douai-name", "place:douai", "akg:name", '"Douai"'),
    exactly("p03-france-name", "place:france", "akg:name", '"France"'),
    ask(
        "p03-douai-city-in-france-country",
        "ASK { place:douai a akg:City ; akg:locatedIn place:france . place:france a akg:Country }",
        about="place:douai",
    ),
    exactly("p03-plant-in-douai", "plant:ampere-douai", "akg:locatedIn", "place:douai"),
    exactly(
        "p03-date-as-published",
        "event:alliance-operating-board-meeting-2025-09-16",
        "akg:dateAsPublished",
        '"September 16, 2025"',
    ),
    select(
        "p03-first-visit-to-douai-exactly-espinosa-and-kato",
        "SELECT ?person WHERE { event:alliance-operating-board-meeting-2025-09-16"
        " akg:wasFirstVisitFor ?person }",
        [("person:ivan-espinosa",), ("person:takao-kato",)],
    ),
    select(
        "p03-inaugural-alliance-board-exactly-provost",
        "SELECT ?person WHERE { event:alliance-operating-board-meeting-2025-09-16"
        " akg:wasFirstBoardMeetingFor ?person }",
        [("person:francois-provost",)],
    ),
    ask(
        "p03-alliance-board-alt-label",
        'ASK { organisation:alliance-operating-board skos:altLabel "Alliance Board"@en }',
        about="organisation:alliance-operating-board",
    ),
    ask(
        "p03-four-named-people",
        "ASK { person:ivan-espinosa a akg:Person . person:takao-kato a akg:Person ."
        " person:francois-provost a akg:Person . person:jean-dominique-senard a akg:Person }",
    ),
    exactly("p03-ivan-espinosa-name", "person:ivan-espinosa", "akg:name", '"Ivan Espinosa"'),
    exactly("p03-ivan-espinosa-given-name", "person:ivan-espinosa", "akg:givenName", '"Ivan"'),
    exactly("p03-ivan-espinosa-family-name", "person:ivan-espinosa", "akg:familyName", '"Espinosa"'),
    exactly("p03-takao-kato-name", "person:takao-kato", "akg:name", '"Takao Kato"'),
    exactly("p03-takao-kato-given-name", "person:takao-kato", "akg:givenName", '"Takao"'),
    exactly("p03-takao-kato-family-name", "person:takao-kato", "akg:familyName", '"Kato"'),
    exactly("p03-francois-provost-name", "person:francois-provost", "akg:name", '"François Provost"'),
    exactly("p03-francois-provost-given-name", "person:francois-provost", "akg:givenName", '"François"'),
    exactly("p03-francois-provost-family-name", "person:francois-provost", "akg:familyName", '"Provost"'),
    exactly(
        "p03-jean-dominique-senard-name",
        "person:jean-dominique-senard",
        "akg:name",
        '"Jean-Dominique Senard"',
    ),
    exactly(
        "p03-jean-dominique-senard-given-name",
        "person:jean-dominique-senard",
        "akg:givenName",
        '"Jean-Dominique"',
    ),
    exactly(
        "p03-jean-dominique-senard-family-name", "person:jean-dominique-senard", "akg:familyName", '"Senard"'
    ),
    select(
        "p03-ceo-posts-exactly-espinosa-kato-provost",
        "SELECT ?person ?company WHERE { ?post a akg:Post ; akg:hasRole role:chief-executive-officer ;"
        " akg:heldBy ?person ; akg:postIn ?company }",
        [
            ("person:ivan-espinosa", "organisation:nissan"),
            ("person:takao-kato", "organisation:mitsubishi-motors"),
            ("person:francois-provost", "organisation:renault-group"),
        ],
    ),
    select(
        "p03-chairman-is-senard",
        "SELECT ?person WHERE { ?post a akg:Post ; akg:hasRole role:chairman ; akg:heldBy ?person }",
        [("person:jean-dominique-senard",)],
    ),
    select(
        "p03-tenures-attested-on-2025-09-16",
        "SELECT ?person ?post ?attested WHERE { ?tenure a akg:Tenure ; akg:tenureHolder ?person ;"
        " akg:tenureOfPost ?post ; akg:attestedOn ?attested }",
        [
            ("person:ivan-espinosa", "post:nissan-ceo", Literal("2025-09-16", datatype=XSD.date)),
            ("person:takao-kato", "post:mitsubishi-motors-ceo", Literal("2025-09-16", datatype=XSD.date)),
            ("person:francois-provost", "post:renault-group-ceo", Literal("2025-09-16", datatype=XSD.date)),
            (
                "person:jean-dominique-senard",
                "post:renault-group-chairman",
                Literal("2025-09-16", datatype=XSD.date),
            ),
        ],
    ),
    select(
        "p03-newly-appointed-exactly-provost",
        "SELECT ?person ?flag WHERE { ?tenure akg:tenureHolder ?person ; akg:isNewlyAppointed ?flag }",
        [("person:francois-provost", Literal("true", datatype=XSD.boolean))],
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p04 — As previously announced, Nissan and Mitsubishi Motors have selected Ampere …
# ------------------------------------------------------------------------------------------------------
P04 = [
    exactly("p04-ampere-name", "organisation:ampere", "akg:name", '"Ampere"'),
    select(
        "p04-selected-ampere-exactly-nissan-and-mitsubishi-motors",
        "SELECT ?org WHERE { ?org akg:selectedAsPartner organisation:ampere }",
        [("organisation:nissan",), ("organisation:mitsubishi-motors",)],
    ),
    exactly("p04-micra-name", "vehicle:nissan-micra", "akg:name", '"Nissan Micra"'),
    exactly(
        "p04-eclipse-cross-name", "vehicle:mitsubishi-eclipse-cross", "akg:name", '"Mitsubishi Eclipse Cross"'
    ),
    ask(
        "p04-micra-all-new",
        'ASK { vehicle:nissan-micra a akg:VehicleModel ; akg:describedAs "all-new"@en }',
        about="vehicle:nissan-micra",
    ),
    ask(
        "p04-eclipse-cross-next-generation",
        'ASK { vehicle:mitsubishi-eclipse-cross a akg:VehicleModel ; akg:describedAs "next-generation"@en }',
        about="vehicle:mitsubishi-eclipse-cross",
    ),
    select(
        "p04-developed-by-ampere-exactly-micra-and-eclipse-cross",
        "SELECT ?model WHERE { ?model akg:developedBy organisation:ampere }",
        [("vehicle:nissan-micra",), ("vehicle:mitsubishi-eclipse-cross",)],
    ),
    select(
        "p04-models-under-their-brand-identity",
        "SELECT ?model ?brand ?owner WHERE { VALUES ?model { vehicle:nissan-micra"
        " vehicle:mitsubishi-eclipse-cross } ?model akg:hasBrand ?brand ; akg:producedFor ?owner ."
        " ?owner akg:ownsBrand ?brand }",
        [
            ("vehicle:nissan-micra", "brand:nissan", "organisation:nissan"),
            ("vehicle:mitsubishi-eclipse-cross", "brand:mitsubishi", "organisation:mitsubishi-motors"),
        ],
    ),
    ask(
        "p04-micra-and-eclipse-cross-fully-electric",
        "ASK { vehicle:nissan-micra akg:hasPowertrain powertrain:battery-electric ."
        " vehicle:mitsubishi-eclipse-cross akg:hasPowertrain powertrain:battery-electric }",
    ),
    exactly("p04-micra-on-ampr-small", "vehicle:nissan-micra", "akg:builtOnPlatform", "platform:ampr-small"),
    exactly(
        "p04-eclipse-cross-on-ampr-medium",
        "vehicle:mitsubishi-eclipse-cross",
        "akg:builtOnPlatform",
        "platform:ampr-medium",
    ),
    exactly("p04-ampr-small-name", "platform:ampr-small", "akg:name", '"AmpR Small"'),
    exactly("p04-ampr-medium-name", "platform:ampr-medium", "akg:name", '"AmpR Medium"'),
    ask(
        "p04-platforms-are-amperes-advanced-platforms",
        "ASK { platform:ampr-small a akg:Platform ; akg:platformOwnedBy organisation:ampere ;"
        ' akg:describedAs "advanced"@en . platform:ampr-medium a akg:Platform ;'
        ' akg:platformOwnedBy organisation:ampere ; akg:describedAs "advanced"@en }',
    ),
    select(
        "p04-being-prepared-exactly-micra-and-eclipse-cross",
        "SELECT ?model WHERE { ?model akg:hasProductionStatus status:in-preparation ;"
        " akg:producedAt plant:ampere-douai ; akg:manufacturedBy organisation:ampere }",
        [("vehicle:nissan-micra",), ("vehicle:mitsubishi-eclipse-cross",)],
    ),
    ask(
        "p04-douai-plant-alt-label",
        'ASK { plant:ampere-douai skos:altLabel "Douai plant"@en }',
        about="plant:ampere-douai",
    ),
    select(
        "p04-commercial-launches-late-2025",
        "SELECT ?model ?year ?qualifier ?published ?asOf WHERE { ?launch a akg:CommercialLaunch ;"
        " akg:concernsModel ?model ; akg:approximateYear ?year ; akg:periodQualifier ?qualifier ;"
        " akg:dateAsPublished ?published ; akg:scheduledAsOf ?asOf }",
        [
            (
                "vehicle:nissan-micra",
                year("2025"),
                "qualifier:late",
                Literal("late 2025"),
                Literal("2025-09-16", datatype=XSD.date),
            ),
            (
                "vehicle:mitsubishi-eclipse-cross",
                year("2025"),
                "qualifier:late",
                Literal("late 2025"),
                Literal("2025-09-16", datatype=XSD.date),
            ),
        ],
    ),
    ask(
        "p04-commercial-launches-have-no-made-up-day",
        "ASK { ?launch a akg:CommercialLaunch ; akg:approximateYear ?year ."
        " FILTER NOT EXISTS { ?any a akg:CommercialLaunch ; akg:takesPlaceOn ?date } }",
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p05 — The Mitsubishi Eclipse Cross, to be revealed on September 17, is the brand’s first …
# ------------------------------------------------------------------------------------------------------
P05 = [
    select(
        "p05-eclipse-cross-reveal-on-2025-09-17",
        "SELECT ?date ?published ?asOf WHERE { ?reveal a akg:Reveal ;"
        " akg:concernsModel vehicle:mitsubishi-eclipse-cross ; akg:takesPlaceOn ?date ;"
        " akg:dateAsPublished ?published ; akg:scheduledAsOf ?asOf }",
        [
            (
                Literal("2025-09-17", datatype=XSD.date),
                Literal("September 17"),
                Literal("2025-09-16", datatype=XSD.date),
            )
        ],
    ),
    exactly(
        "p05-eclipse-cross-brand-mitsubishi",
        "vehicle:mitsubishi-eclipse-cross",
        "akg:hasBrand",
        "brand:mitsubishi",
    ),
    exactly("p05-mitsubishi-brand-name", "brand:mitsubishi", "akg:name", '"Mitsubishi"'),
    exactly("p05-eclipse-cross-suv", "vehicle:mitsubishi-eclipse-cross", "akg:hasBodyType", "bodytype:suv"),
    exactly(
        "p05-eclipse-cross-for-europe",
        "vehicle:mitsubishi-eclipse-cross",
        "akg:designedForMarket",
        "place:europe",
    ),
    select(
        "p05-eclipse-cross-distinctions-exactly-two",
        "SELECT ?distinction WHERE { vehicle:mitsubishi-eclipse-cross akg:hasDistinction ?distinction }",
        [
            ("distinction:brand-first-full-electric-suv-for-europe",),
            ("distinction:first-mitsubishi-vehicle-produced-in-france",),
        ],
    ),
    ask(
        "p05-distinctions-quoted-as-published",
        "ASK { distinction:brand-first-full-electric-suv-for-europe"
        ' skos:prefLabel "the brand’s first full-electric SUV for Europe"@en .'
        " distinction:first-mitsubishi-vehicle-produced-in-france"
        ' skos:prefLabel "the first Mitsubishi vehicle produced in France"@en }',
    ),
    ask(
        "p05-eclipse-cross-produced-in-france",
        "ASK { vehicle:mitsubishi-eclipse-cross akg:producedAt ?plant . ?plant akg:locatedIn ?city ."
        " ?city akg:locatedIn place:france }",
        about="vehicle:mitsubishi-eclipse-cross",
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p06 — In May, Nissan unveiled the all-new Nissan Micra, an iconic nameplate engineered by Nissan …
# ------------------------------------------------------------------------------------------------------
P06 = [
    select(
        "p06-micra-unveiled-by-nissan-in-may-2025",
        "SELECT ?organiser ?date ?published WHERE { ?reveal a akg:Reveal ;"
        " akg:concernsModel vehicle:nissan-micra ; akg:organisedBy ?organiser ; akg:takesPlaceOn ?date ;"
        " akg:dateAsPublished ?published }",
        [("organisation:nissan", Literal("2025-05", datatype=XSD.gYearMonth), Literal("In May"))],
    ),
    ask(
        "p06-micra-iconic-nameplate",
        'ASK { vehicle:nissan-micra akg:describedAs "an iconic nameplate"@en }',
        about="vehicle:nissan-micra",
    ),
    select(
        "p06-micra-engineered-by-exactly-nissan",
        "SELECT ?org WHERE { vehicle:nissan-micra akg:engineeredBy ?org }",
        [("organisation:nissan",)],
    ),
    exactly(
        "p06-micra-for-european-customers", "vehicle:nissan-micra", "akg:designedForMarket", "place:europe"
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p07 — Ampere Douai’s modern, modular production line now manufactures six electric models for four
#          clients—Renault, Nissan, Mitsubishi Motors, and Alpine— …
# ------------------------------------------------------------------------------------------------------
P07 = [
    exactly("p07-plant-name", "plant:ampere-douai", "akg:name", '"Ampere Douai"'),
    select(
        "p07-plant-produces-exactly-six-models",
        "SELECT ?model WHERE { ?model a akg:VehicleModel ; akg:producedAt plant:ampere-douai }",
        [
            ("vehicle:renault-megane-e-tech",),
            ("vehicle:renault-scenic-e-tech-electric",),
            ("vehicle:renault-r5-e-tech-electric",),
            ("vehicle:alpine-a290",),
            ("vehicle:nissan-micra",),
            ("vehicle:mitsubishi-eclipse-cross",),
        ],
    ),
    select(
        "p07-six-models-all-electric",
        "SELECT ?model WHERE { ?model akg:producedAt plant:ampere-douai ;"
        " akg:hasPowertrain powertrain:battery-electric }",
        [
            ("vehicle:renault-megane-e-tech",),
            ("vehicle:renault-scenic-e-tech-electric",),
            ("vehicle:renault-r5-e-tech-electric",),
            ("vehicle:alpine-a290",),
            ("vehicle:nissan-micra",),
            ("vehicle:mitsubishi-eclipse-cross",),
        ],
    ),
    select(
        "p07-plant-has-exactly-four-clients",
        "SELECT ?client WHERE { plant:ampere-douai akg:hasClient ?client }",
        [
            ("organisation:renault-group",),
            ("organisation:nissan",),
            ("organisation:mitsubishi-motors",),
            ("organisation:alpine",),
        ],
    ),
    select(
        "p07-each-model-produced-for-its-client",
        "SELECT ?model ?client WHERE { ?model akg:producedAt plant:ampere-douai ; akg:producedFor ?client }",
        [
            ("vehicle:renault-megane-e-tech", "organisation:renault-group"),
            ("vehicle:renault-scenic-e-tech-electric", "organisation:renault-group"),
            ("vehicle:renault-r5-e-tech-electric", "organisation:renault-group"),
            ("vehicle:alpine-a290", "organisation:alpine"),
            ("vehicle:nissan-micra", "organisation:nissan"),
            ("vehicle:mitsubishi-eclipse-cross", "organisation:mitsubishi-motors"),
        ],
    ),
    ask(
        "p07-client-renault-as-published",
        'ASK { organisation:renault-group skos:altLabel "Renault"@en }',
        about="organisation:renault-group",
    ),
    exactly("p07-client-alpine-name", "organisation:alpine", "akg:name", '"Alpine"'),
    ask(
        "p07-modern-modular-production-line",
        "ASK { plant:ampere-douai akg:hasFacility ?line . ?line a akg:ProductionLine ;"
        ' akg:isFacilityOf plant:ampere-douai ; akg:describedAs "modern, modular production line"@en }',
        about="facility:ampere-douai-flexible-standard-line",
    ),
    ask(
        "p07-the-alliance",
        'ASK { organisation:renault-nissan-mitsubishi-alliance akg:name "Alliance" ;'
        ' skos:altLabel "the Alliance"@en }',
        about="organisation:renault-nissan-mitsubishi-alliance",
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p08 — The Alliance’s renewed focus … positioning Douai as a benchmark for industrial excellence in Europe
# ------------------------------------------------------------------------------------------------------
P08 = [
    ask("p08-europe-is-a-region", "ASK { place:europe a akg:Region }", about="place:europe"),
    exactly("p08-europe-name", "place:europe", "akg:name", '"Europe"'),
]

# ------------------------------------------------------------------------------------------------------
#    p09 — Ampere Douai Plant
# ------------------------------------------------------------------------------------------------------
P09 = [
    ask(
        "p09-plant-heading-alt-label",
        'ASK { plant:ampere-douai a akg:Plant ; skos:altLabel "Ampere Douai Plant"@en }',
        about="plant:ampere-douai",
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p10 — The Douai plant has undergone a major transformation …: €550 million invested to build a new
#          flexible standard line equipped with two modular platforms, Ampr Small (segment A / B) and …
# ------------------------------------------------------------------------------------------------------
P10 = [
    select(
        "p10-investment-550-million-eur-in-the-plant",
        "SELECT ?amount ?currency ?published WHERE { ?investment a akg:Investment ;"
        " akg:investmentIn plant:ampere-douai ; akg:amount ?amount ; akg:currency ?currency ;"
        " akg:figureAsPublished ?published }",
        [(Literal("550000000.0", datatype=XSD.decimal), Literal("EUR"), Literal("€550 million"))],
    ),
    ask(
        "p10-investment-amount-is-decimal-550000000",
        "ASK { investment:ampere-douai-electric-transformation akg:amount ?amount ."
        " FILTER (datatype(?amount) = xsd:decimal && ?amount = 550000000)"
        " FILTER NOT EXISTS { investment:ampere-douai-electric-transformation akg:amount ?other ."
        " FILTER (!sameTerm(?other, ?amount)) } }",
        about="investment:ampere-douai-electric-transformation",
    ),
    ask(
        "p10-major-transformation-to-accommodate-evs",
        "ASK { investment:ampere-douai-electric-transformation"
        ' akg:describedAs "a major transformation to accommodate electric vehicles"@en }',
        about="investment:ampere-douai-electric-transformation",
    ),
    exactly(
        "p10-invested-to-build-the-flexible-standard-line",
        "investment:ampere-douai-electric-transformation",
        "akg:investedToBuild",
        "facility:ampere-douai-flexible-standard-line",
    ),
    exactly(
        "p10-line-name",
        "facility:ampere-douai-flexible-standard-line",
        "akg:name",
        '"flexible standard line"',
    ),
    ask(
        "p10-new-line-of-the-plant",
        "ASK { facility:ampere-douai-flexible-standard-line a akg:ProductionLine ;"
        ' akg:isFacilityOf plant:ampere-douai ; akg:describedAs "new"@en }',
        about="facility:ampere-douai-flexible-standard-line",
    ),
    select(
        "p10-line-equipped-with-exactly-two-platforms",
        "SELECT ?platform WHERE { facility:ampere-douai-flexible-standard-line"
        " akg:equippedWithPlatform ?platform }",
        [("platform:ampr-small",), ("platform:ampr-medium",)],
    ),
    ask(
        "p10-platforms-modular",
        'ASK { platform:ampr-small akg:describedAs "modular"@en .'
        ' platform:ampr-medium akg:describedAs "modular"@en }',
    ),
    ask(
        "p10-ampr-spelling-kept",
        'ASK { platform:ampr-small skos:altLabel "Ampr Small"@en .'
        ' platform:ampr-medium skos:altLabel "Ampr Medium"@en }',
    ),
    select(
        "p10-segments-small-a-b-medium-c",
        "SELECT ?platform ?notation WHERE { VALUES ?platform { platform:ampr-small platform:ampr-medium }"
        " ?platform akg:coversSegment ?segment . ?segment a akg:VehicleSegment ; skos:notation ?notation }",
        [
            ("platform:ampr-small", Literal("A")),
            ("platform:ampr-small", Literal("B")),
            ("platform:ampr-medium", Literal("C")),
        ],
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p11 — New workshop for assembling batteries The site produces 4 brands: Renault: 100% electric
#          Megane E-Tech (2022), Scenic E-Tech Electric (2024) and the R5 E-Tech Electric (2024).
# ------------------------------------------------------------------------------------------------------
P11 = [
    ask(
        "p11-new-battery-assembly-workshop",
        "ASK { plant:ampere-douai akg:hasFacility facility:ampere-douai-battery-workshop ."
        " facility:ampere-douai-battery-workshop a akg:BatteryAssemblyWorkshop ;"
        ' akg:isFacilityOf plant:ampere-douai ; akg:describedAs "new"@en }',
        about="facility:ampere-douai-battery-workshop",
    ),
    exactly(
        "p11-battery-workshop-name",
        "facility:ampere-douai-battery-workshop",
        "akg:name",
        '"workshop for assembling batteries"',
    ),
    select(
        "p11-plant-produces-exactly-four-brands",
        "SELECT ?brand WHERE { plant:ampere-douai akg:producesBrand ?brand }",
        [("brand:renault",), ("brand:nissan",), ("brand:mitsubishi",), ("brand:alpine",)],
    ),
    select(
        "p11-four-brands-and-their-owners",
        "SELECT ?brand ?owner WHERE { plant:ampere-douai akg:producesBrand ?brand . ?brand a akg:Brand ."
        " ?owner akg:ownsBrand ?brand }",
        [
            ("brand:renault", "organisation:renault-group"),
            ("brand:nissan", "organisation:nissan"),
            ("brand:mitsubishi", "organisation:mitsubishi-motors"),
            ("brand:alpine", "organisation:alpine"),
        ],
    ),
    exactly("p11-renault-brand-name", "brand:renault", "akg:name", '"Renault"'),
    select(
        "p11-renault-models-names-and-years",
        "SELECT ?model ?name ?year WHERE { ?model akg:hasBrand brand:renault ;"
        " akg:producedAt plant:ampere-douai ; akg:name ?name ; akg:productionStartYear ?year }",
        [
            ("vehicle:renault-megane-e-tech", Literal("Megane E-Tech"), year("2022")),
            ("vehicle:renault-scenic-e-tech-electric", Literal("Scenic E-Tech Electric"), year("2024")),
            ("vehicle:renault-r5-e-tech-electric", Literal("R5 E-Tech Electric"), year("2024")),
        ],
    ),
    exactly(
        "p11-megane-e-tech-2022",
        "vehicle:renault-megane-e-tech",
        "akg:productionStartYear",
        '"2022"^^xsd:gYear',
    ),
    ask(
        "p11-megane-e-tech-100-percent-electric",
        "ASK { vehicle:renault-megane-e-tech akg:hasPowertrain powertrain:battery-electric }",
        about="vehicle:renault-megane-e-tech",
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p12 — Alpine: A290 (2024)
# ------------------------------------------------------------------------------------------------------
P12 = [
    exactly("p12-alpine-brand-name", "brand:alpine", "akg:name", '"Alpine"'),
    select(
        "p12-alpine-models-exactly-a290-2024",
        "SELECT ?model ?name ?year WHERE { ?model akg:hasBrand brand:alpine ;"
        " akg:producedAt plant:ampere-douai ; akg:name ?name ; akg:productionStartYear ?year }",
        [("vehicle:alpine-a290", Literal("A290"), year("2024"))],
    ),
    exactly("p12-a290-2024", "vehicle:alpine-a290", "akg:productionStartYear", '"2024"^^xsd:gYear'),
]

# ------------------------------------------------------------------------------------------------------
#    p13 — Nissan Micra EV (2025)
# ------------------------------------------------------------------------------------------------------
P13 = [
    exactly("p13-nissan-brand-name", "brand:nissan", "akg:name", '"Nissan"'),
    select(
        "p13-nissan-models-exactly-micra-2025",
        "SELECT ?model ?year WHERE { ?model akg:hasBrand brand:nissan ;"
        " akg:producedAt plant:ampere-douai ; akg:productionStartYear ?year }",
        [("vehicle:nissan-micra", year("2025"))],
    ),
    exactly("p13-micra-2025", "vehicle:nissan-micra", "akg:productionStartYear", '"2025"^^xsd:gYear'),
    ask(
        "p13-micra-ev-as-published",
        'ASK { vehicle:nissan-micra skos:altLabel "Nissan Micra EV"@en ;'
        " akg:hasPowertrain powertrain:battery-electric }",
        about="vehicle:nissan-micra",
    ),
]

# ------------------------------------------------------------------------------------------------------
#    p14 — Mitsubishi Eclipse Cross (2025) With this initial milestone, Ampere showcases its capability to
#          manufacture six electric vehicles across four distinct brands, … Production :
# ------------------------------------------------------------------------------------------------------
P14 = [
    select(
        "p14-mitsubishi-models-exactly-eclipse-cross-2025",
        "SELECT ?model ?name ?year WHERE { ?model akg:hasBrand brand:mitsubishi ;"
        " akg:producedAt plant:ampere-douai ; akg:name ?name ; akg:productionStartYear ?year }",
        [("vehicle:mitsubishi-eclipse-cross", Literal("Mitsubishi Eclipse Cross"), year("2025"))],
    ),
    exactly(
        "p14-eclipse-cross-2025",
        "vehicle:mitsubishi-eclipse-cross",
        "akg:productionStartYear",
        '"2025"^^xsd:gYear',
    ),
    select(
        "p14-ampere-manufactures-six-models-of-four-brands",
        "SELECT ?model ?brand WHERE { ?model akg:manufacturedBy organisation:ampere ;"
        " akg:producedAt plant:ampere-douai ; akg:hasBrand ?brand }",
        [
            ("vehicle:renault-megane-e-tech", "brand:renault"),
            ("vehicle:renault-scenic-e-tech-electric", "brand:renault"),
            ("vehicle:renault-r5-e-tech-electric", "brand:renault"),
            ("vehicle:alpine-a290", "brand:alpine"),
            ("vehicle:nissan-micra", "brand:nissan"),
            ("vehicle:mitsubishi-eclipse-cross", "brand:mitsubishi"),
        ],
    ),
    select(
        "p14-four-distinct-brands",
        "SELECT (COUNT(DISTINCT ?brand) AS ?brands) WHERE { ?model akg:manufacturedBy organisation:ampere ;"
        " akg:producedAt plant:ampere-douai ; akg:hasBrand ?brand }",
        [(Literal(4),)],
    ),
    exactly("p14-plant-operated-by-ampere", "plant:ampere-douai", "akg:operatedBy", "organisation:ampere"),
]

# ------------------------------------------------------------------------------------------------------
#    p15 — 2023: 50 729
# ------------------------------------------------------------------------------------------------------
P15 = [
    exactly(
        "p15-2023-figure-of-the-plant",
        "figure:ampere-douai-2023",
        "akg:productionFigureOf",
        "plant:ampere-douai",
    ),
    exactly("p15-2023-figure-year", "figure:ampere-douai-2023", "akg:productionYear", '"2023"^^xsd:gYear'),
    exactly("p15-2023-units-50729", "figure:ampere-douai-2023", "akg:unitsProduced", '"50729"^^xsd:integer'),
    exactly("p15-2023-figure-as-published", "figure:ampere-douai-2023", "akg:figureAsPublished", '"50 729"'),
]

# ------------------------------------------------------------------------------------------------------
#    p16 — 2024: 89 527 In May 2023, production went 100% EV.
# ------------------------------------------------------------------------------------------------------
P16 = [
    exactly(
        "p16-2024-figure-of-the-plant",
        "figure:ampere-douai-2024",
        "akg:productionFigureOf",
        "plant:ampere-douai",
    ),
    exactly("p16-2024-figure-year", "figure:ampere-douai-2024", "akg:productionYear", '"2024"^^xsd:gYear'),
    exactly("p16-2024-units-89527", "figure:ampere-douai-2024", "akg:unitsProduced", '"89527"^^xsd:integer'),
    exactly("p16-2024-figure-as-published", "figure:ampere-douai-2024", "akg:figureAsPublished", '"89 527"'),
    select(
        "p16-production-figures-exactly-2023-and-2024",
        "SELECT ?year ?units WHERE { ?figure a akg:ProductionFigure ;"
        " akg:productionFigureOf plant:ampere-douai ; akg:productionYear ?year ; akg:unitsProduced ?units }",
        [
            (year("2023"), Literal("50729", datatype=XSD.integer)),
            (year("2024"), Literal("89527", datatype=XSD.integer)),
        ],
    ),
    exactly(
        "p16-plant-all-electric-since-may-2023",
        "plant:ampere-douai",
        "akg:allElectricSince",
        '"2023-05"^^xsd:gYearMonth',
    ),
    select(
        "p16-production-went-100-percent-ev-in-may-2023",
        "SELECT ?date ?published WHERE { ?event a akg:ProductionTransition ;"
        " akg:concernsPlant plant:ampere-douai ; akg:takesPlaceOn ?date ; akg:dateAsPublished ?published }",
        [(Literal("2023-05", datatype=XSD.gYearMonth), Literal("In May 2023"))],
    ),
]

CASES = [*P01, *P02, *P03, *P04, *P05, *P06, *P07, *P08, *P09, *P10, *P11, *P12, *P13, *P14, *P15, *P16]

#: Paragraphs that state a fact the graph is expected to record: all sixteen (p08 only names Europe,
#: p09 is the heading that gives the plant's alternative label).
PARAGRAPHS_WITH_FACTS = frozenset(range(1, 17))


# ------------------------------------------------------------------------------------------------------
#    Running a case
# ------------------------------------------------------------------------------------------------------


def show(graph: Graph, node: Node) -> str:
    return node.n3(graph.namespace_manager)


def describe(graph: Graph, about: str) -> str:
    subject = term(about)
    lines = [
        f"  {show(graph, p)} {show(graph, o)}"
        for p, o in sorted(graph.predicate_objects(subject))  # type: ignore[arg-type]
    ]
    return f"what the graph says of {about}:\n" + ("\n".join(lines) or "  (nothing)")


def failure(
    graph: Graph, query: str, expected: tuple[Row, ...] | None, found: object, about: str | None
) -> str:
    parts = [f"query:\n{query}"]
    if expected is None:
        parts.append(f"ASK returned {found}, expected True")
    else:
        assert isinstance(found, Counter)
        want = Counter(expected)
        missing = want - found
        extra = found - want
        parts.append("missing rows:\n" + ("\n".join(fmt_row(graph, r) for r in missing) or "  (none)"))
        parts.append("unexpected rows:\n" + ("\n".join(fmt_row(graph, r) for r in extra) or "  (none)"))
        parts.append("rows found:\n" + ("\n".join(fmt_row(graph, r) for r in found) or "  (none)"))
    if about is not None:
        parts.append(describe(graph, about))
    return "\n".join(parts)


def fmt_row(graph: Graph, row: Row) -> str:
    return "  (" + ", ".join(show(graph, value) if value is not None else "UNBOUND" for value in row) + ")"


def run(graph: Graph, query: str, expected: tuple[Row, ...] | None) -> tuple[bool, object]:
    """Whether the case holds in ``graph``, and what was found (the ASK answer or the rows)."""
    result = graph.query(PREFIXES + query)
    if expected is None:
        assert result.type == "ASK", f"an ASK case must be an ASK query:\n{query}"
        return bool(result.askAnswer), bool(result.askAnswer)
    assert result.type == "SELECT", f"a case with expected rows must be a SELECT query:\n{query}"
    rows: Counter[Row] = Counter(tuple(row) for row in result)  # type: ignore[arg-type]
    return rows == Counter(expected), rows


@pytest.mark.parametrize(("query", "expected", "about"), CASES)
def test_fact_stated_by_the_release(
    graph: Graph, query: str, expected: tuple[Row, ...] | None, about: str | None
) -> None:
    holds, found = run(graph, query, expected)
    assert holds, failure(graph, query, expected, found, about)


@pytest.mark.parametrize(("query", "expected", "about"), CASES)
def test_case_is_not_vacuous(query: str, expected: tuple[Row, ...] | None, about: str | None) -> None:
    """Every case fails against an empty graph: none can pass without the graph holding the fact."""
    holds, _ = run(Graph(), query, expected)
    assert not holds, f"this case holds even in an empty graph, so it checks nothing:\n{query}"


def case_ids() -> list[str]:
    return [str(case.id) for case in CASES]


def test_cases_are_collected_for_every_paragraph() -> None:
    ids = case_ids()
    assert ids, "no fidelity case was collected"
    malformed = [i for i in ids if not CASE_ID.match(i)]
    assert not malformed, f"case ids must look like 'p04-micra-on-ampr-small': {malformed}"
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"duplicate case ids: {duplicates}"
    covered = {int(CASE_ID.match(i).group(1)) for i in ids}  # type: ignore[union-attr]
    missing = sorted(PARAGRAPHS_WITH_FACTS - covered)
    assert not missing, f"paragraphs of the release with no fidelity case: {missing}"
    unknown = sorted(covered - set(range(1, 17)))
    assert not unknown, f"case ids name paragraphs the release does not have: {unknown}"


# ------------------------------------------------------------------------------------------------------
#    The release's text and digest
# ------------------------------------------------------------------------------------------------------


def paragraphs(text: str) -> list[str]:
    return [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]


def test_seed_has_sixteen_paragraphs(seed_text: str) -> None:
    found = paragraphs(seed_text)
    assert len(found) == 16, f"the seed press release has {len(found)} paragraphs, expected 16"


def test_release_has_exactly_its_sixteen_paragraphs(graph: Graph) -> None:
    query = (
        "SELECT ?paragraph ?number WHERE { source:press-release-2025-09-16 akg:hasParagraph ?paragraph ."
        " ?paragraph a akg:SourceParagraph ; akg:isParagraphOf source:press-release-2025-09-16 ;"
        " akg:paragraphNumber ?number }"
    )
    expected = tuple((URIRef(f"{RELEASE}/p{n}"), Literal(str(n), datatype=XSD.integer)) for n in range(1, 17))
    holds, found = run(graph, query, expected)
    assert holds, failure(graph, query, expected, found, None)


@pytest.mark.parametrize("number", range(1, 17), ids=[f"p{n:02d}" for n in range(1, 17)])
def test_paragraph_text_is_the_seed_text(graph: Graph, seed_text: str, number: int) -> None:
    seed = paragraphs(seed_text)[number - 1]
    paragraph = URIRef(f"{RELEASE}/p{number}")
    texts = list(graph.objects(paragraph, term("akg:text")))
    assert texts == [Literal(seed)], (
        f"akg:text of release:p{number} must be exactly paragraph {number} of the seed.\n"
        f"seed:  {seed!r}\ngraph: {[str(t) for t in texts]!r}"
    )


def test_release_sha256_is_the_seed_digest(graph: Graph, seed_text: str) -> None:
    digest = hashlib.sha256(SEED.read_bytes()).hexdigest()
    found = list(graph.objects(URIRef(RELEASE), term("akg:sha256")))
    assert found == [Literal(digest)], f"akg:sha256 of the release: graph has {found}, seed file is {digest}"
