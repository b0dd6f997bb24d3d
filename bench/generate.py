"""Synthetic, schema-valid data for the scale benchmarks (issue 14), at any size.

    python bench/generate.py --triples 100000 --seed 0 -o /tmp/synth-100k.nt
    python bench/generate.py --triples 10k -o /tmp/synth-10k.ttl        # Turtle (by the extension)

``generate(triples, seed=0) -> bytes`` is the same from Python (N-Triples, which is also Turtle; ``fmt="ttl"``
for prefixed Turtle grouped by subject). The file is meant to be *added* to the bundled graph
(``alliance-kg validate --data FILE``): it names the bundled vocabularies (roles, segments, powertrain …).

What it makes. Everything is fictional and says so: IRIs under the graph's own namespaces (the shapes
require ``…/id/plant/``, ``…/id/organisation/`` …) with local names that start with ``synthetic-``, which
no real resource has, and labels such as "Synthetic Plant 00042"@en. A few shared resources come first
(a synthetic source document, a holding company, a region and eight countries in it: 233 triples with
provenance), then one *unit* per plant, written in pieces:

- core (49–57 facts): the plant's operator (a company, subsidiary of the holding) and its brand, a
  platform the company owns, a city in one of the countries, the plant (operator, city, production line
  and battery workshop, client, brand, describedAs and, for ~70 % of plants, ``allElectricSince``), the
  line (equipped with the platform) and the workshop, the investment that built the line, the plant's
  switch to all-electric production (an event) and its first yearly production figure;
- the operator's CEO (16 facts): a person, the post (role: chief executive officer), a tenure with its
  start and attestation dates; for half the plants a chairman too (16 facts);
- 2–6 vehicle models (22–25 facts each): brand, client (the brand's owner, whom the plant lists), maker,
  plant, platform (the one its plant's line runs), battery-electric powertrain, production start year
  (not before the plant went all-electric), sometimes a body type, a production status, a market; a
  reveal (a dated event, organised by the maker, attended by its CEO) the year before the commercial
  launch (an approximate year qualified "late", as the bundled launches are);
- 4–12 yearly production figures (6 facts each) in consecutive years: one figure per plant and year, each
  year's units drawn from 20,000–39,999, so never more than twice the year before's
  (akgsh:UniqueProductionYear and the akgsh:ProductionMoreThanDoubled warning stay silent).

A unit averages ~209 facts, ~1,250 triples with provenance (1M triples: ~800 plants). Provenance is the
bundled graph's: each fact (a triple whose subject is an instance under ``…/id/``) is described by an
``rdf:Statement`` named ``…/id/statement/`` + the first 16 hex digits of the SHA-256 of the triple in
canonical N-Triples (as alliance_kg/provenance.py names them), derived from the synthetic source document,
never from the real press release: queries/checks/unsourced-fact-violation.rq finds nothing. A fact costs
6 triples (itself and its statement's 5); ``provenance=False`` (``--no-provenance``) writes facts alone.

Size. The target counts the triples of the generated file (the commands see the bundled graph's 4,152
besides). Pieces are written until the next would overshoot; then the last plant is topped up with
production figures (36 triples each), so a file is within 18 triples of the target for any target
above ~600. Output is deterministic for a seed (``random.Random(seed)``, no clock, no hash order);
another seed draws other counts, dates, numbers and choices under the same IRI scheme, so files of two
seeds are not meant to be merged (their plants share IRIs).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ID = "https://w3id.org/alliance-kg/id/"
AKG = "https://w3id.org/alliance-kg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
DCMITYPE = "http://purl.org/dc/dcmitype/"

SOURCE = ID + "source/synthetic-benchmark-data"
HOLDING = ID + "organisation/synthetic-holding"
REGION = ID + "place/synthetic-region"
COUNTRIES = 8
SEGMENTS = ("a", "b", "c")
MAX_YEAR = 2100  # the shapes accept years 1890–2100

PREFIXES = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "dcterms": DCTERMS,
    "prov": PROV,
    "akg": AKG,
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
    "qualifier": ID + "period-qualifier/",
    "event": ID + "event/",
    "source": ID + "source/",
    "statement": ID + "statement/",
}

Triple = tuple[str, str, str]  # terms in canonical N-Triples form


# --- terms ---------------------------------------------------------------------------------------------


def iri(value: str) -> str:
    return f"<{value}>"


def akg(name: str) -> str:
    return f"<{AKG}{name}>"


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}


def _text(value: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def string(value: str) -> str:
    return f'"{_text(value)}"'  # xsd:string is written as a simple literal, as alliance_kg.provenance does


def en(value: str) -> str:
    return f'"{_text(value)}"@en'


def typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def integer(value: int) -> str:
    return typed(str(value), "integer")


A = f"<{RDF}type>"
LABEL = f"<{RDFS}label>"
NAME = akg("name")


def statement_iri(s: str, p: str, o: str) -> str:
    """The statement node of a triple, named as alliance_kg.provenance.statement_iri names it."""
    digest = hashlib.sha256(f"{s} {p} {o} .".encode()).hexdigest()[:16]
    return f"<{ID}statement/{digest}>"


def _grouped(number: int) -> str:
    """50729 -> "50 729", as the press release prints figures."""
    return f"{number:,}".replace(",", " ")


# --- the model -----------------------------------------------------------------------------------------


class _Builder:
    """Collects the facts of one piece (a list of triples), subject by subject."""

    def __init__(self) -> None:
        self.triples: list[Triple] = []

    def add(self, subject: str, *pairs: tuple[str, str]) -> None:
        for p, o in pairs:
            self.triples.append((subject, p, o))


def _shared() -> list[Triple]:
    b = _Builder()
    region = iri(REGION)
    b.add(region, (A, akg("Region")), (NAME, string("Synthetic Region")), (LABEL, en("Synthetic Region")))
    for c in range(1, COUNTRIES + 1):
        b.add(
            iri(f"{ID}place/synthetic-country-{c:02d}"),
            (A, akg("Country")),
            (NAME, string(f"Synthetic Country {c:02d}")),
            (LABEL, en(f"Synthetic Country {c:02d}")),
            (akg("locatedIn"), region),
        )
    b.add(
        iri(HOLDING),
        (A, akg("Company")),
        (NAME, string("Synthetic Holding")),
        (LABEL, en("Synthetic Holding")),
    )
    return b.triples


def _source() -> list[Triple]:
    """The synthetic source document every synthetic statement cites (a source: its triples need none)."""
    b = _Builder()
    b.add(
        iri(SOURCE),
        (A, akg("SourceDocument")),
        (LABEL, en("Synthetic benchmark data (fictional, generated by bench/generate.py)")),
        (
            f"<{DCTERMS}description>",
            en(
                "Fictional data generated for the scale benchmarks of alliance-kg (bench/generate.py). "
                "Nothing in it describes a real plant, company, person or vehicle."
            ),
        ),
        (f"<{DCTERMS}type>", f"<{DCMITYPE}Dataset>"),
        (f"<{DCTERMS}language>", string("en")),
    )
    return b.triples


class _Plant:
    """One unit: a plant and what belongs to it, drawn from ``rng``; its pieces come out in order."""

    def __init__(self, index: int, rng: random.Random) -> None:
        self.n = f"{index:05d}"
        self.rng = rng
        n = self.n
        self.plant = iri(f"{ID}plant/synthetic-{n}")
        self.company = iri(f"{ID}organisation/synthetic-motors-{n}")
        self.brand = iri(f"{ID}brand/synthetic-{n}")
        self.platform = iri(f"{ID}platform/synthetic-{n}")
        self.city = iri(f"{ID}place/synthetic-city-{n}")
        self.line = iri(f"{ID}facility/synthetic-{n}-line")
        self.workshop = iri(f"{ID}facility/synthetic-{n}-battery-workshop")
        self.ceo = iri(f"{ID}person/synthetic-{n}-ceo")
        self.first_year = rng.randint(2000, 2012)
        self.figures = rng.randint(4, 12)
        self.models = rng.randint(2, 6)
        self.chairman = rng.random() < 0.5
        self.all_electric = rng.random() < 0.7
        self.electric_year = self.first_year + rng.randint(0, 3)
        self.next_year = self.first_year

    def pieces(self) -> Iterator[list[Triple]]:
        yield self._core()
        yield self._person("ceo", "chief-executive-officer", "CEO", "Executive")
        if self.chairman:
            yield self._person("chairman", "chairman", "Chairman", "Chair")
        planned = [self._figure] * (self.figures - 1) + [self._model] * self.models
        self.rng.shuffle(planned)
        self._model_count = 0
        for make in planned:
            yield make()

    def _core(self) -> list[Triple]:
        rng, n, b = self.rng, self.n, _Builder()
        b.add(
            self.company,
            (A, akg("Company")),
            (NAME, string(f"Synthetic Motors {n}")),
            (LABEL, en(f"Synthetic Motors {n}")),
            (akg("ownsBrand"), self.brand),
            (akg("isSubsidiaryOf"), iri(HOLDING)),
        )
        b.add(
            self.brand,
            (A, akg("Brand")),
            (NAME, string(f"Synthetic Brand {n}")),
            (LABEL, en(f"Synthetic Brand {n}")),
        )
        segments = sorted(rng.sample(SEGMENTS, rng.randint(1, 2)))
        b.add(
            self.platform,
            (A, akg("Platform")),
            (NAME, string(f"Synthetic Platform {n}")),
            (LABEL, en(f"Synthetic Platform {n}")),
            (akg("platformOwnedBy"), self.company),
            *((akg("coversSegment"), iri(f"{ID}segment/{s}")) for s in segments),
        )
        country = rng.randint(1, COUNTRIES)
        b.add(
            self.city,
            (A, akg("City")),
            (NAME, string(f"Synthetic City {n}")),
            (LABEL, en(f"Synthetic City {n}")),
            (akg("locatedIn"), iri(f"{ID}place/synthetic-country-{country:02d}")),
        )
        plant = [
            (A, akg("Plant")),
            (NAME, string(f"Synthetic Plant {n}")),
            (LABEL, en(f"Synthetic Plant {n}")),
            (akg("operatedBy"), self.company),
            (akg("locatedIn"), self.city),
            (akg("hasFacility"), self.line),
            (akg("hasFacility"), self.workshop),
            (akg("hasClient"), self.company),
            (akg("producesBrand"), self.brand),
            (akg("describedAs"), en("synthetic")),
        ]
        since = None
        if self.all_electric:
            since = typed(f"{self.electric_year}-{rng.randint(1, 12):02d}", "gYearMonth")
            plant.append((akg("allElectricSince"), since))
        b.add(self.plant, *plant)
        b.add(
            self.line,
            (A, akg("ProductionLine")),
            (NAME, string(f"synthetic line {n}")),
            (LABEL, en(f"Production line of Synthetic Plant {n}")),
            (akg("isFacilityOf"), self.plant),
            (akg("equippedWithPlatform"), self.platform),
        )
        b.add(
            self.workshop,
            (A, akg("BatteryAssemblyWorkshop")),
            (NAME, string(f"synthetic battery workshop {n}")),
            (LABEL, en(f"Battery workshop of Synthetic Plant {n}")),
            (akg("isFacilityOf"), self.plant),
        )
        millions = rng.randint(50, 900)
        currency = rng.choice(("EUR", "USD", "GBP"))
        b.add(
            iri(f"{ID}investment/synthetic-{n}"),
            (A, akg("Investment")),
            (LABEL, en(f"{currency} {millions} million investment in Synthetic Plant {n}")),
            (akg("investmentIn"), self.plant),
            (akg("amount"), typed(f"{millions * 1_000_000}.0", "decimal")),
            (akg("currency"), string(currency)),
            (akg("figureAsPublished"), string(f"{currency} {millions} million")),
            (akg("investedToBuild"), self.line),
        )
        if since is not None:  # an event is dated by a day or a month: the plant's month
            b.add(
                iri(f"{ID}event/synthetic-{n}-all-electric"),
                (A, akg("ProductionTransition")),
                (LABEL, en(f"Synthetic Plant {n} goes all-electric")),
                (akg("concernsPlant"), self.plant),
                (akg("heldAt"), self.plant),
                (akg("takesPlaceOn"), since),
                (akg("dateAsPublished"), string(f"in {self.electric_year}")),
            )
        return b.triples + self._figure()

    def _person(self, key: str, role: str, title: str, family: str) -> list[Triple]:
        rng, n, b = self.rng, self.n, _Builder()
        person = iri(f"{ID}person/synthetic-{n}-{key}")
        post = iri(f"{ID}post/synthetic-{n}-{key}")
        b.add(
            person,
            (A, akg("Person")),
            (NAME, string(f"Synthetic {family} {n}")),
            (akg("givenName"), string("Synthetic")),
            (akg("familyName"), string(f"{family} {n}")),
            (LABEL, en(f"Synthetic {family} {n}")),
        )
        b.add(
            post,
            (A, akg("Post")),
            (LABEL, en(f"{title} of Synthetic Motors {n}")),
            (akg("postIn"), self.company),
            (akg("hasRole"), iri(f"{ID}role/{role}")),
            (akg("heldBy"), person),
        )
        start = (rng.randint(2010, 2024), rng.randint(1, 12), rng.randint(1, 28))
        b.add(
            iri(f"{ID}tenure/synthetic-{n}-{key}"),
            (A, akg("Tenure")),
            (LABEL, en(f"Synthetic {family} {n}, {title} of Synthetic Motors {n}")),
            (akg("tenureOfPost"), post),
            (akg("tenureHolder"), person),
            (akg("attestedOn"), typed("2025-09-16", "date")),
            (akg("heldFrom"), typed(f"{start[0]}-{start[1]:02d}-{start[2]:02d}", "date")),
        )
        return b.triples

    def _figure(self) -> list[Triple]:
        """The plant's figure for its next year: 20,000–39,999 units, so never twice the year before's."""
        rng, n, b = self.rng, self.n, _Builder()
        year = self.next_year
        self.next_year += 1
        units = rng.randint(20_000, 39_999)
        b.add(
            iri(f"{ID}production-figure/synthetic-{n}-{year}"),
            (A, akg("ProductionFigure")),
            (LABEL, en(f"Synthetic Plant {n} production in {year}")),
            (akg("productionFigureOf"), self.plant),
            (akg("productionYear"), typed(str(year), "gYear")),
            (akg("unitsProduced"), integer(units)),
            (akg("figureAsPublished"), string(_grouped(units))),
        )
        return b.triples

    def can_add_figure(self) -> bool:
        return self.next_year <= MAX_YEAR

    def _model(self) -> list[Triple]:
        rng, n, b = self.rng, self.n, _Builder()
        self._model_count += 1
        m = f"{n}-{self._model_count}"
        model = iri(f"{ID}vehicle/synthetic-{m}")
        start = rng.randint(self.first_year, 2026)
        if self.all_electric:
            start = max(start, self.electric_year)
        facts = [
            (A, akg("VehicleModel")),
            (NAME, string(f"Synthetic Model {m}")),
            (LABEL, en(f"Synthetic Model {m}")),
            (akg("hasBrand"), self.brand),
            (akg("producedFor"), self.company),
            (akg("manufacturedBy"), self.company),
            (akg("producedAt"), self.plant),
            (akg("hasPowertrain"), iri(f"{ID}powertrain/battery-electric")),
            (akg("builtOnPlatform"), self.platform),
            (akg("productionStartYear"), typed(str(start), "gYear")),
        ]
        if rng.random() < 0.3:
            facts.append((akg("hasBodyType"), iri(f"{ID}body-type/suv")))
        if rng.random() < 0.2:
            facts.append((akg("hasProductionStatus"), iri(f"{ID}production-status/in-preparation")))
        if rng.random() < 0.3:
            facts.append((akg("designedForMarket"), iri(REGION)))
        b.add(model, *facts)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        b.add(
            iri(f"{ID}event/synthetic-{m}-reveal"),
            (A, akg("Reveal")),
            (LABEL, en(f"Reveal of Synthetic Model {m}")),
            (akg("concernsModel"), model),
            (akg("takesPlaceOn"), typed(f"{start - 1}-{month:02d}-{day:02d}", "date")),
            (akg("organisedBy"), self.company),
            (akg("attendedBy"), self.ceo),
        )
        b.add(
            iri(f"{ID}event/synthetic-{m}-launch"),
            (A, akg("CommercialLaunch")),
            (LABEL, en(f"Commercial launch of Synthetic Model {m}")),
            (akg("concernsModel"), model),
            (akg("approximateYear"), typed(str(start), "gYear")),
            (akg("periodQualifier"), iri(f"{ID}period-qualifier/late")),
            (akg("dateAsPublished"), string(f"late {start}")),
        )
        return b.triples


def _with_provenance(facts: list[Triple]) -> list[Triple]:
    out = list(facts)
    source = iri(SOURCE)
    for s, p, o in facts:
        node = statement_iri(s, p, o)
        out += [
            (node, A, f"<{RDF}Statement>"),
            (node, f"<{RDF}subject>", s),
            (node, f"<{RDF}predicate>", p),
            (node, f"<{RDF}object>", o),
            (node, f"<{PROV}wasDerivedFrom>", source),
        ]
    return out


def triples(target: int, seed: int = 0, *, provenance: bool = True) -> Iterator[Triple]:
    """The synthetic triples, about ``target`` of them (see the module's docstring), in a fixed order."""
    rng = random.Random(seed)
    cost: Callable[[list[Triple]], int] = (lambda facts: 6 * len(facts)) if provenance else len

    def emit(facts: list[Triple]) -> list[Triple]:
        return _with_provenance(facts) if provenance else facts

    head = _source() + emit(_shared())
    count = len(head)
    yield from head
    plant: _Plant | None = None  # the last plant whose core was written
    index, done = 0, False
    while not done:
        index += 1
        candidate = _Plant(index, rng)
        for k, piece in enumerate(candidate.pieces()):
            if count + cost(piece) > target and (plant is not None or k > 0):
                done = True
                break
            if k == 0:
                plant = candidate
            count += cost(piece)
            yield from emit(piece)
    # top the last plant up with production figures, to within half a figure of the target
    assert plant is not None
    while plant.can_add_figure():
        piece = plant._figure()
        if count + cost(piece) > target + cost(piece) // 2:
            break
        count += cost(piece)
        yield from emit(piece)


# --- serialisation -------------------------------------------------------------------------------------

_LOCAL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?")


def _prefixed(term: str, names: list[tuple[str, str]]) -> str:
    if not term.startswith("<"):
        if "^^<" in term:
            lexical, datatype = term.rsplit("^^", 1)
            return f"{lexical}^^{_prefixed(datatype, names)}"
        return term
    value = term[1:-1]
    for prefix, namespace in names:
        if value.startswith(namespace):
            local = value[len(namespace) :]
            if _LOCAL.fullmatch(local):
                return f"{prefix}:{local}"
    return term


def to_ntriples(items: Iterator[Triple]) -> bytes:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in items).encode()


def to_turtle(items: Iterator[Triple]) -> bytes:
    names = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))  # the longest namespace first
    out = [f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()]
    out.append("\n# Synthetic, fictional data for the scale benchmarks (bench/generate.py). Not real.\n")
    subject = None
    for s, p, o in items:
        pred = "a" if p == A else _prefixed(p, names)
        obj = _prefixed(o, names)
        if s == subject:
            out.append(f" ;\n    {pred} {obj}")
        else:
            if subject is not None:
                out.append(" .\n")
            out.append(f"\n{_prefixed(s, names)}\n    {pred} {obj}")
            subject = s
    if subject is not None:
        out.append(" .\n")
    return "".join(out).encode()


def generate(triples_wanted: int, seed: int = 0, *, fmt: str = "nt", provenance: bool = True) -> bytes:
    """About ``triples_wanted`` synthetic triples for ``seed``, as N-Triples (``fmt="nt"``, also valid Turtle)
    or as Turtle with prefixes, grouped by subject (``fmt="ttl"``)."""
    items = triples(triples_wanted, seed, provenance=provenance)
    if fmt == "nt":
        return to_ntriples(items)
    if fmt in ("ttl", "turtle"):
        return to_turtle(items)
    raise ValueError(f"fmt must be nt or ttl, not {fmt!r}")


def parse_size(text: str) -> int:
    """``10000``, ``10_000``, ``10k``, ``1M`` -> an integer."""
    match = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 10000, 10k, 1M)")
    number = float(match.group(1).replace("_", ""))
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=parse_size, required=True, help="target size: 10000, 10k, 1M")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("nt", "ttl"), help="default: by the extension of -o, else nt")
    parser.add_argument("--no-provenance", action="store_true", help="leave out the rdf:Statement nodes")
    parser.add_argument("-o", "--output", type=Path, help="default: stdout")
    args = parser.parse_args(argv)
    fmt = args.format or ("ttl" if args.output is not None and args.output.suffix == ".ttl" else "nt")
    data = generate(args.triples, args.seed, fmt=fmt, provenance=not args.no_provenance)
    if args.output is None:
        sys.stdout.buffer.write(data)
    else:
        args.output.write_bytes(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
