"""The OWL 2 RL closure by rules compiled from the graph's own axioms: owlrl's closure, at a million triples.

:func:`reason` reads the files (through :mod:`alliance_kg.rdfinput`, so blank nodes keep the labels every
other reader gives them), encodes every term as an integer, and runs to a fixpoint exactly the rules that
owlrl's ``OWLRL_Semantics`` runs (``axiomatic_triples=False, datatype_axioms=False``), with owlrl's own
choices where they go beyond or against the table of the OWL 2 RL profile:

- *Every* term of every triple is ``owl:sameAs`` itself (eq-ref), literals included; the triples that
  cannot be written (a literal subject) and those about blank nodes are dropped at the end, as
  :mod:`alliance_kg.reasoning` always did.
- The datatype rules run once, on the asserted graph: each literal of a datatype of the profile is typed
  with it and with the datatypes above it (dt-type2 and owlrl's subsumption table), every datatype of the
  profile is an ``rdfs:Datatype`` (dt-type1), the disjointness of the datatypes in use is asserted, and a
  literal whose lexical form its datatype does not accept is an error (dt-not-type, owlrl's converters).
- Triples with a literal subject (generalised RDF) are kept while reasoning: a rule can go through one
  (a chain through an inverse) to a triple that can be written. Triples with a blank-node predicate are
  dropped at the end (owlrl's post-processing); a literal predicate is never inferred.
- The inconsistency rules report owlrl's messages, word for word, with owlrl's quirks: ``owl:AllDifferent``
  and ``owl:AllDisjointProperties`` never compare the last member of their list, ``owl:complementOf``
  names its second class where the individual should be, ``owl:hasKey`` compares all keys but the last.

**The rules come from the graph, not from a list.** The schema part of the store (sub-class, sub-property,
equivalence, inverse, domain, range, chain, restriction, list, disjointness triples, and the typing of
classes and properties: ``owl:FunctionalProperty``, ``owl:TransitiveProperty``…), whatever file it comes from,
is closed first with the scm-* rules; from it each predicate and each class gets a *plan*: what one of its
triples implies (the same pair under its super-properties, the reversed pair under its inverses, types from
domains and ranges, super-classes, intersections, unions, restrictions, chain steps…). The data then runs
through the plans, a predicate's new pairs at a time (semi-naive: each triple is processed once, against
everything known). When reasoning infers a schema triple, the schema is closed again and the plans that
changed are replayed over what they apply to, so the result is the least fixpoint whatever the order.
Rules that need a view of the whole store (functional and inverse-functional properties, cardinalities of
at most one, keys, the replacement of ``owl:sameAs`` individuals) run over it whenever the rest is done.

A triple is a pair code ``subject << 32 | object`` in the set of its predicate: a sub-property copies a
set's new codes as they are, an inverse swaps the halves, a domain keeps the high half.

**Where owlrl's answer depends on rdflib.** owlrl reads an RDF list through rdflib, which takes at each node
the first ``rdf:first`` and ``rdf:rest`` it was given: the rules do the same (the first asserted, when an
``owl:sameAs`` has added others). A few inputs have no single closure under owlrl: a list node given two
values only by inference (owlrl takes the first of a Python set), a literal as a list node, ``owl:sameAs``
asserted of a literal or of a resource typed with a datatype (owlrl's datatype rules then depend on the
order it reads the graph in), a cardinality that is not a literal (owlrl fails). :class:`Unsupported` says
which, and :mod:`alliance_kg.reasoning` then runs owlrl itself.

**The one difference: lexical forms.** rdflib, which holds owlrl's graph, normalises the literals it
parses (``"01"^^xsd:integer`` is ``"1"``, ``"1e3"^^xsd:double`` is ``"1000.0"``), so owlrl's closure holds
those literals in their normal form and takes two that normalise alike for one. The rules keep every
literal as written, as every other reader of the project does, so that what the closure adds is exactly
the closure less the asserted triples (owlrl's closure, read back, "inferred" the normal form of every such
asserted triple). The bundled graph, the shape fixtures and the synthetic data have no such literal: there
the two closures are the same bytes. owlrl's words are kept even so: a message names a literal by its
normal form, and two values of a functional property that rdflib takes for one are not reported. (The
lexical form is checked against its datatype as written, and in normal form only when that fails: a
valid literal's normal form is taken to be valid.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

import pyoxigraph as ox

from . import rdfinput

log = logging.getLogger(__name__)

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_XSD = "http://www.w3.org/2001/XMLSchema#"

_SHIFT = 32
_LOW = (1 << _SHIFT) - 1
_HIGH = ~_LOW
_IRI, _BLANK, _LITERAL = 0, 1, 2

#: The annotation properties owlrl types as such (prp-ap).
_ANNOTATION_PROPERTIES = [
    _RDFS + "label",
    _RDFS + "comment",
    _RDFS + "seeAlso",
    _RDFS + "isDefinedBy",
    _OWL + "deprecated",
    _OWL + "versionInfo",
    _OWL + "priorVersion",
    _OWL + "backwardCompatibleWith",
    _OWL + "incompatibleWith",
]

#: Predicates whose triples change the rules (the schema), with rdf:first/rdf:rest for the lists of axioms.
_SCHEMA_PREDICATES = [
    _RDFS + "subClassOf",
    _OWL + "equivalentClass",
    _RDFS + "subPropertyOf",
    _OWL + "equivalentProperty",
    _RDFS + "domain",
    _RDFS + "range",
    _OWL + "inverseOf",
    _OWL + "propertyChainAxiom",
    _OWL + "onProperty",
    _OWL + "someValuesFrom",
    _OWL + "allValuesFrom",
    _OWL + "hasValue",
    _OWL + "intersectionOf",
    _OWL + "unionOf",
    _OWL + "complementOf",
    _OWL + "oneOf",
    _OWL + "maxCardinality",
    _OWL + "maxQualifiedCardinality",
    _OWL + "onClass",
    _OWL + "hasKey",
    _OWL + "members",
    _OWL + "distinctMembers",
    _OWL + "disjointWith",
    _OWL + "propertyDisjointWith",
    _OWL + "sourceIndividual",
    _OWL + "assertionProperty",
    _OWL + "targetIndividual",
    _OWL + "targetValue",
    _RDF + "first",
    _RDF + "rest",
]

#: Classes whose instances are schema (the typing of classes and properties, and of axioms in blank nodes).
_META_CLASSES = [
    _OWL + "Class",
    _OWL + "ObjectProperty",
    _OWL + "DatatypeProperty",
    _RDF + "Property",
    _OWL + "FunctionalProperty",
    _OWL + "InverseFunctionalProperty",
    _OWL + "IrreflexiveProperty",
    _OWL + "SymmetricProperty",
    _OWL + "AsymmetricProperty",
    _OWL + "TransitiveProperty",
    _OWL + "AllDisjointProperties",
    _OWL + "AllDisjointClasses",
    _OWL + "AllDifferent",
]


class Unsupported(Exception):
    """An input whose closure owlrl itself does not define (the reason says what): run owlrl instead."""


# --- owlrl's datatype tables, as IRIs --------------------------------------------------------------------


@dataclass(frozen=True)
class _Datatypes:
    profile: tuple[str, ...]  # OWL_RL_Datatypes
    subsumptions: dict[str, tuple[str, ...]]  # OWL_Datatype_Subsumptions
    disjoint: tuple[tuple[str, str], ...]  # OWLRL_Datatypes_Disjointness
    converters: dict[str, Callable[[str], object]]  # DatatypeHandling.AltXSDToPYTHON


_datatype_tables: _Datatypes | None = None


def _datatypes() -> _Datatypes:
    global _datatype_tables
    if _datatype_tables is None:
        from owlrl.AxiomaticTriples import OWLRL_Datatypes_Disjointness
        from owlrl.DatatypeHandling import AltXSDToPYTHON
        from owlrl.XsdDatatypes import OWL_Datatype_Subsumptions, OWL_RL_Datatypes

        _datatype_tables = _Datatypes(
            profile=tuple(str(d) for d in OWL_RL_Datatypes),
            subsumptions={str(k): tuple(str(d) for d in v) for k, v in OWL_Datatype_Subsumptions.items()},
            disjoint=tuple((str(a), str(b)) for a, _, b in OWLRL_Datatypes_Disjointness),
            converters={str(k): v for k, v in AltXSDToPYTHON.items()},
        )
    return _datatype_tables


# --- plans ----------------------------------------------------------------------------------------------


class _PropertyPlan(NamedTuple):
    """What a triple ``s p o`` of one predicate implies."""

    same: tuple[int, ...] = ()  # s q o: super-properties (prp-spo1, prp-eqp1/2)
    swap: tuple[int, ...] = ()  # o q s: inverses (prp-inv1/2), itself when symmetric (prp-symp)
    domain: tuple[int, ...] = ()  # s a c (prp-dom)
    range: tuple[int, ...] = ()  # o a c (prp-rng)
    transitive: bool = False  # prp-trp
    chains: tuple[tuple[int, tuple[int, ...], int], ...] = ()  # (chain property, chain, position) prp-spo2
    some_any: tuple[int, ...] = ()  # s a x: someValuesFrom owl:Thing on this property (cls-svf2)
    some: tuple[tuple[int, int], ...] = ()  # (x, y): o a y ⇒ s a x (cls-svf1)
    every: tuple[tuple[int, int], ...] = ()  # (x, y): s a x ⇒ o a y (cls-avf)
    value: tuple[tuple[int, int], ...] = ()  # (x, y): o = y ⇒ s a x (cls-hv2)


class _ClassPlan(NamedTuple):
    """What a triple ``x rdf:type c`` of one class implies."""

    supers: tuple[int, ...] = ()  # x a d (cax-sco, cax-eqc1/2)
    intersections: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (d, classes): x in all ⇒ x a d (cls-int1)
    parts: tuple[int, ...] = ()  # c is an intersection: x a each (cls-int2)
    unions: tuple[int, ...] = ()  # x a d for each union d that lists c (cls-uni)
    some_of: tuple[tuple[int, int], ...] = ()  # (r, p): u p x ⇒ u a r (cls-svf1, someValuesFrom c)
    every: tuple[tuple[int, int], ...] = ()  # (p, y): c is allValuesFrom y on p: x p v ⇒ v a y (cls-avf)
    value: tuple[tuple[int, int], ...] = ()  # (p, y): c is hasValue y on p: x p y (cls-hv1)


# --- the result -----------------------------------------------------------------------------------------


@dataclass
class Closure:
    """The closure: its terms (by id), the pair codes of each predicate, and what is contradictory."""

    terms: list[Term]
    kinds: bytearray
    sets: dict[int, set[int]]
    problems: list[str]
    same_as: int

    def __len__(self) -> int:
        return sum(1 for _ in self.triples())

    def triples(self) -> Iterator[tuple[int, int, int]]:
        """The triples that can be written: no literal subject, no blank-node or literal predicate, no blank
        node said to be the same as itself (what :func:`alliance_kg.reasoning.closure` always dropped)."""
        kinds, low, same_as = self.kinds, _LOW, self.same_as
        for p, codes in self.sets.items():
            if kinds[p] != _IRI:
                continue
            for code in codes:
                s, o = code >> _SHIFT, code & low
                if kinds[s] == _LITERAL or (s == o and p == same_as and kinds[s] == _BLANK):
                    continue
                yield s, p, o

    def ox_triples(self) -> Iterator[ox.Triple]:
        terms = self.terms
        for s, p, o in self.triples():
            yield ox.Triple(
                cast(ox.NamedNode | ox.BlankNode, terms[s]), cast(ox.NamedNode, terms[p]), terms[o]
            )

    def ntriples(self) -> bytes:
        """The closure as N-Triples, one triple a line, in byte order of the lines (as rdflib's output
        sorted): the order of the terms' own N-Triples, subject, predicate, object, is the order of the
        lines, since a term is never followed by a character below the space that separates them."""
        terms, kinds, same_as = self.terms, self.kinds, self.same_as
        texts = [str(t) for t in terms]
        order = sorted(range(len(terms)), key=texts.__getitem__)
        bits = max(1, len(terms).bit_length())
        mask = (1 << bits) - 1
        rank = [0] * len(terms)
        for position, i in enumerate(order):
            rank[i] = position
        high = [r << (2 * bits) for r in rank]
        keys: list[int] = []
        for p, codes in self.sets.items():
            if kinds[p] != _IRI:
                continue
            middle = rank[p] << bits
            keys.extend(
                [high[c >> _SHIFT] | middle | rank[c & _LOW] for c in codes if kinds[c >> _SHIFT] != _LITERAL]
            )
            if p == same_as:  # a blank node the same as itself says nothing
                blank = {
                    high[c >> _SHIFT] | middle | rank[c & _LOW] for c in codes if _reflexive_blank(c, kinds)
                }
                if blank:
                    keys = [k for k in keys if k not in blank]
        del high, rank
        keys.sort()
        heads = [texts[i].encode("utf-8") + b" " for i in order]  # by rank
        tails = [texts[i].encode("utf-8") + b" .\n" for i in order]
        del texts, order
        shift = 2 * bits
        return b"".join([heads[k >> shift] + heads[(k >> bits) & mask] + tails[k & mask] for k in keys])


def _reflexive_blank(code: int, kinds: bytearray) -> bool:
    s = code >> _SHIFT
    return s == code & _LOW and kinds[s] == _BLANK


# --- the engine -----------------------------------------------------------------------------------------


class _Engine:
    def __init__(self) -> None:
        self.ids: dict[Term, int] = {}
        self.terms: list[Term] = []
        self.kinds = bytearray()
        self.sets: dict[int, set[int]] = {}
        self.pending: dict[int, list[int]] = {}
        self.by_subject: dict[int, dict[int, set[int]]] = {}  # indexes of some predicates: s → objects
        self.by_object: dict[int, dict[int, set[int]]] = {}  # o → subjects
        self.meta: dict[int, set[int]] = {}  # instances of the meta classes (schema)
        self.added = 0
        self.dirty = True  # the schema changed since the plans were made
        self.started = False
        self.property_plans: dict[int, _PropertyPlan] = {}
        self.class_plans: dict[int, _ClassPlan] = {}
        self.same: dict[int, set[int]] = {}  # owl:sameAs between different terms (processed), both ways
        self.same_in: dict[int, set[int]] = {}
        self.same_changed: set[int] = set()
        self.reflexive: set[int] = set()  # terms already said to be the same as themselves
        self.batch_sizes: dict[tuple[str, int], int] = {}
        self.errors: set[str] = set()
        self.text_cache: dict[int, str] = {}
        self.asserted_list: dict[tuple[int, int], int] = {}  # (node, rdf:first or rdf:rest): the first read
        v = self.iri
        self.TYPE, self.SAME_AS, self.DIFFERENT = (
            v(_RDF + "type"),
            v(_OWL + "sameAs"),
            v(_OWL + "differentFrom"),
        )
        self.FIRST, self.REST, self.NIL = v(_RDF + "first"), v(_RDF + "rest"), v(_RDF + "nil")
        self.SCO, self.EQC = v(_RDFS + "subClassOf"), v(_OWL + "equivalentClass")
        self.SPO, self.EQP = v(_RDFS + "subPropertyOf"), v(_OWL + "equivalentProperty")
        self.DOMAIN, self.RANGE, self.INVERSE = v(_RDFS + "domain"), v(_RDFS + "range"), v(_OWL + "inverseOf")
        self.CHAIN, self.ON_PROPERTY = v(_OWL + "propertyChainAxiom"), v(_OWL + "onProperty")
        self.SOME, self.ALL, self.HAS_VALUE = (
            v(_OWL + "someValuesFrom"),
            v(_OWL + "allValuesFrom"),
            v(_OWL + "hasValue"),
        )
        self.INTERSECTION, self.UNION, self.COMPLEMENT = (
            v(_OWL + "intersectionOf"),
            v(_OWL + "unionOf"),
            v(_OWL + "complementOf"),
        )
        self.ONE_OF, self.MAX, self.MAX_Q = (
            v(_OWL + "oneOf"),
            v(_OWL + "maxCardinality"),
            v(_OWL + "maxQualifiedCardinality"),
        )
        self.ON_CLASS, self.HAS_KEY = v(_OWL + "onClass"), v(_OWL + "hasKey")
        self.MEMBERS, self.DISTINCT_MEMBERS = v(_OWL + "members"), v(_OWL + "distinctMembers")
        self.DISJOINT, self.PROPERTY_DISJOINT = v(_OWL + "disjointWith"), v(_OWL + "propertyDisjointWith")
        self.SOURCE, self.ASSERTION_PROPERTY = v(_OWL + "sourceIndividual"), v(_OWL + "assertionProperty")
        self.TARGET, self.TARGET_VALUE = v(_OWL + "targetIndividual"), v(_OWL + "targetValue")
        self.CLASS, self.THING, self.NOTHING = v(_OWL + "Class"), v(_OWL + "Thing"), v(_OWL + "Nothing")
        self.OBJECT_PROPERTY, self.DATATYPE_PROPERTY, self.PROPERTY = (
            v(_OWL + "ObjectProperty"),
            v(_OWL + "DatatypeProperty"),
            v(_RDF + "Property"),
        )
        self.FUNCTIONAL, self.INVERSE_FUNCTIONAL = (
            v(_OWL + "FunctionalProperty"),
            v(_OWL + "InverseFunctionalProperty"),
        )
        self.IRREFLEXIVE, self.SYMMETRIC, self.ASYMMETRIC, self.TRANSITIVE = (
            v(_OWL + "IrreflexiveProperty"),
            v(_OWL + "SymmetricProperty"),
            v(_OWL + "AsymmetricProperty"),
            v(_OWL + "TransitiveProperty"),
        )
        self.ALL_DISJOINT_PROPERTIES, self.ALL_DISJOINT_CLASSES, self.ALL_DIFFERENT = (
            v(_OWL + "AllDisjointProperties"),
            v(_OWL + "AllDisjointClasses"),
            v(_OWL + "AllDifferent"),
        )
        self.ANNOTATION_PROPERTY, self.DATATYPE = v(_OWL + "AnnotationProperty"), v(_RDFS + "Datatype")
        self.schema = frozenset(v(iri) for iri in _SCHEMA_PREDICATES)
        self.meta_classes = frozenset(v(iri) for iri in _META_CLASSES)
        for p in self.schema:
            self.by_subject[p] = {}
            self.by_object[p] = {}
        for c in self.meta_classes:
            self.meta[c] = set()

    # --- terms and triples

    def intern(self, term: Term) -> int:
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
            kind = type(term)
            self.kinds.append(_IRI if kind is ox.NamedNode else _BLANK if kind is ox.BlankNode else _LITERAL)
        return found

    def iri(self, value: str) -> int:
        return self.intern(ox.NamedNode(value))

    def put(self, p: int, codes: Iterable[int]) -> None:
        """Add the pairs ``codes`` to the predicate ``p``: the new ones are queued, indexed, and noted
        as schema changes. A literal predicate is refused (as owlrl refuses it)."""
        new = set(codes)
        existing = self.sets.get(p)
        if existing is None:
            if not new or self.kinds[p] == _LITERAL:
                return
            existing = self.sets[p] = new.copy()
        else:
            new -= existing
            if not new:
                return
            existing |= new
        self.added += len(new)
        queue = self.pending.get(p)
        if queue is None:
            self.pending[p] = list(new)
        else:
            queue.extend(new)
        index = self.by_subject.get(p)
        if index is not None:
            for code in new:
                _index(index, code >> _SHIFT, code & _LOW)
        index = self.by_object.get(p)
        if index is not None:
            for code in new:
                _index(index, code & _LOW, code >> _SHIFT)
        if p in self.schema:
            self.dirty = True
        elif p == self.TYPE:
            meta = self.meta
            for code in new:
                members = meta.get(code & _LOW)
                if members is not None:
                    members.add(code >> _SHIFT)
                    self.dirty = True

    def add(self, s: int, p: int, o: int) -> None:
        self.put(p, ((s << _SHIFT) | o,))

    def has(self, s: int, p: int, o: int) -> bool:
        found = self.sets.get(p)
        return found is not None and ((s << _SHIFT) | o) in found

    def objects(self, s: int, p: int) -> set[int]:
        return self.index(p, by_subject=True).get(s) or set()

    def subjects(self, p: int, o: int) -> set[int]:
        return self.index(p, by_subject=False).get(o) or set()

    def pairs(self, p: int) -> Iterator[tuple[int, int]]:
        for code in self.sets.get(p, ()):
            yield code >> _SHIFT, code & _LOW

    def index(self, p: int, *, by_subject: bool) -> dict[int, set[int]]:
        """The index of ``p`` by subject (or by object), made on first use and kept up to date."""
        found = (self.by_subject if by_subject else self.by_object).get(p)
        if found is not None:
            return found
        index: dict[int, set[int]] = {}
        for code in self.sets.get(p, ()):
            if by_subject:
                _index(index, code >> _SHIFT, code & _LOW)
            else:
                _index(index, code & _LOW, code >> _SHIFT)
        (self.by_subject if by_subject else self.by_object)[p] = index
        return index

    def members(self, classes: Iterable[int]) -> dict[int, set[int]]:
        """The instances of each of ``classes``, by one pass over the types."""
        wanted: dict[int, set[int]] = {c: set() for c in classes}
        if wanted:
            for code in self.sets.get(self.TYPE, ()):
                found = wanted.get(code & _LOW)
                if found is not None:
                    found.add(code >> _SHIFT)
        return wanted

    def items(self, head: int) -> list[int]:
        """An RDF list, as owlrl reads it (rdflib's ``Graph.items``, which takes at each node the first
        ``rdf:first`` and ``rdf:rest`` its graph was given: the first asserted, when an owl:sameAs has
        added others). A list owlrl reads at random (two inferred values and none asserted, a literal for a
        node: its truth value decides) or not at all (a cycle) is :class:`Unsupported`."""
        out: list[int] = []
        seen = {head}
        node: int | None = head
        while node is not None:
            if self.kinds[node] == _LITERAL:
                raise Unsupported(f"the RDF list {self.text(head)} has a literal for a node")
            first = self.list_value(head, node, self.FIRST)
            if first is not None:
                out.append(first)
            node = self.list_value(head, node, self.REST)
            if node is not None:
                if node in seen:
                    raise Unsupported(f"the RDF list {self.text(head)} is a cycle")
                seen.add(node)
        return out

    def list_value(self, head: int, node: int, p: int) -> int | None:
        values = self.objects(node, p)
        if len(values) <= 1:
            return next(iter(values), None)
        found = self.asserted_list.get((node, p))
        if found is None:
            raise Unsupported(f"the RDF list {self.text(head)} has a node with two inferred {self.text(p)}")
        return found

    def text(self, i: int) -> str:
        """What rdflib's ``str()`` gives for a term (an IRI, a blank node's label, a literal's lexical form
        as rdflib normalises it): the words of owlrl's messages."""
        found = self.text_cache.get(i)
        if found is None:
            term = self.terms[i]
            found = str(_rdflib(term)) if isinstance(term, ox.Literal) else term.value
            self.text_cache[i] = found
        return found

    # --- loading

    def load(self, files: Sequence[Path]) -> list[str]:
        """Read the files; return the functional-property clashes of the asserted graph (see
        :func:`alliance_kg.reasoning.functional_clashes`)."""
        intern, ids = self.intern, self.ids
        by_predicate: dict[int, list[int]] = {}
        for path in files:
            for triple in rdfinput.read_triples(path):  # no triple terms: rdfinput refuses them
                s, p, o = cast(Term, triple.subject), triple.predicate, cast(Term, triple.object)
                si, pi, oi = ids.get(s), ids.get(p), ids.get(o)
                if si is None:
                    si = intern(s)
                if pi is None:
                    pi = intern(p)
                if oi is None:
                    oi = intern(o)
                codes = by_predicate.get(pi)
                if codes is None:
                    by_predicate[pi] = [(si << _SHIFT) | oi]
                else:
                    codes.append((si << _SHIFT) | oi)
        if len(self.terms) > _LOW:
            raise Unsupported(f"{len(self.terms)} distinct terms: more than the rules' 32-bit term ids")
        for predicate in (self.FIRST, self.REST):  # in the order read, as rdflib keeps it
            for code in reversed(by_predicate.get(predicate, ())):
                self.asserted_list[(code >> _SHIFT, predicate)] = code & _LOW
        for predicate, codes in by_predicate.items():
            self.put(predicate, codes)
        return self.functional_clashes()

    def functional_clashes(self) -> list[str]:
        """:func:`alliance_kg.reasoning.functional_clashes` of the asserted graph, in its words and order
        (its rdflib graph holds literals normalised: two values it normalises alike are one)."""
        problems = []
        text = self.text
        for prop in sorted(self.meta[self.FUNCTIONAL], key=text):
            codes = self.sets.get(prop, set())
            if len({code >> _SHIFT for code in codes}) == len(codes):
                continue
            grouped: dict[int, set[int]] = {}
            for s, o in self.pairs(prop):
                _index(grouped, s, o)
            clashing = [s for s, values in grouped.items() if len(values) > 1 and self.kinds[s] == _IRI]
            for subject in sorted(clashing, key=text):
                shown = sorted({text(v) for v in grouped[subject]})
                if len(shown) > 1:
                    problems.append(
                        f"functional property <{text(prop)}> has {len(shown)} values for <{text(subject)}>: "
                        + ", ".join(shown)
                    )
        for prop in sorted(self.meta[self.INVERSE_FUNCTIONAL], key=text):
            by_value: dict[tuple[int, str, str], set[int]] = {}
            for s, o in self.pairs(prop):
                by_value.setdefault(self.rdflib_key(o), set()).add(s)
            for key in sorted(by_value, key=lambda k: k[1]):
                subjects = sorted({text(s) for s in by_value[key]})
                if len(subjects) > 1:
                    problems.append(
                        f"inverse-functional property <{text(prop)}> has value <{key[1]}> for several "
                        "resources: " + ", ".join(subjects)
                    )
        return problems

    def rdflib_key(self, i: int) -> tuple[int, str, str]:
        """A term as rdflib tells terms apart (literals normalised), with its ``str()``."""
        term = self.terms[i]
        if isinstance(term, ox.Literal):
            lit = _rdflib(term)
            return (_LITERAL, str(lit), f"{lit.language or ''} {lit.datatype or ''}")
        return (self.kinds[i], term.value, "")

    # --- owlrl's one-time rules

    def one_time(self) -> None:
        """cls-thing, cls-nothing1, prp-ap, then dt-type1, dt-type2, dt-not-type and the datatypes'
        subsumptions and disjointness, on the asserted graph (owlrl's ``one_time_rules``)."""
        v = self.iri
        TYPE = self.TYPE
        self.add(self.THING, TYPE, self.CLASS)
        self.add(self.NOTHING, TYPE, self.CLASS)
        for iri in _ANNOTATION_PROPERTIES:
            self.add(v(iri), TYPE, self.ANNOTATION_PROPERTY)
        tables = _datatypes()
        profile = {v(d) for d in tables.profile}
        plain = {v(_XSD + "string"), v(_RDF + "langString")}  # rdflib gives these literals no datatype
        subsumptions = {v(k): [v(d) for d in ds] for k, ds in tables.subsumptions.items()}
        datatype_of: dict[ox.NamedNode, int] = {}
        implicit: dict[int, int] = {}
        for i, term in enumerate(self.terms):
            if isinstance(term, ox.Literal):
                dt = datatype_of.get(term.datatype)
                if dt is None:
                    dt = datatype_of[term.datatype] = v(term.datatype.value)
                if dt in profile and dt not in plain:
                    implicit[i] = dt
        literal_objects: set[int] = set()
        for codes in self.sets.values():
            literal_objects.update(o for code in codes if (o := code & _LOW) in implicit)
        implicit = {i: implicit[i] for i in sorted(literal_objects)}
        used = set(implicit.values())
        explicit: dict[int, set[int]] = {}
        for s, o in self.pairs(TYPE):
            if o in profile:
                used.add(o)
                if s not in implicit:
                    explicit.setdefault(s, set()).add(o)
        for s, o in self.pairs(self.SAME_AS):
            if o in implicit or o in explicit or s in explicit:
                raise Unsupported(
                    "owl:sameAs asserted of a literal or of a resource typed with a datatype (owlrl's "
                    "datatype rules then depend on the order it reads the graph in)"
                )
        for lt, dt in implicit.items():
            self.add(lt, TYPE, dt)
            self.check_lexical(lt, dt, tables)
        for dt in profile:
            self.add(dt, TYPE, self.DATATYPE)
        for dts in explicit.values():
            for dt in dts:
                self.add(dt, TYPE, self.DATATYPE)
        for resource, dts in [*explicit.items(), *((lt, {dt}) for lt, dt in implicit.items())]:
            for dt in dts:
                for wider in subsumptions.get(dt, ()):
                    self.add(resource, TYPE, wider)
                    self.add(wider, TYPE, self.DATATYPE)
                    used.add(wider)
        for a, b in tables.disjoint:
            ai, bi = v(a), v(b)
            if ai in used and bi in used:
                self.add(ai, self.DISJOINT, bi)

    def check_lexical(self, lt: int, dt: int, tables: _Datatypes) -> None:
        """dt-not-type with owlrl's converters, on the lexical form rdflib gives the literal (rdflib
        normalises a valid one: checked as written first, the normalised form only when that fails)."""
        term = self.terms[lt]
        assert isinstance(term, ox.Literal)
        converter = tables.converters.get(term.datatype.value)
        if converter is None:
            return
        try:
            converter(term.value)
            return
        except ValueError:
            pass
        shown = self.text(lt)
        try:
            converter(shown)
        except ValueError:
            self.errors.add(
                f"Lexical value of the literal '{shown}' does not match its datatype ({term.datatype.value})"
            )

    # --- the schema: closing it, and the plans it gives

    def close_schema(self) -> None:
        """The scm-* rules (and cls-oo), to a fixpoint over the schema triples."""
        SCO, EQC, SPO, EQP, TYPE = self.SCO, self.EQC, self.SPO, self.EQP, self.TYPE
        objects, subjects, has, add = self.objects, self.subjects, self.has, self.add
        while True:
            before = self.added
            for c in list(self.meta[self.CLASS]):  # scm-cls
                add(c, SCO, c)
                add(c, EQC, c)
                add(c, SCO, self.THING)
                add(self.NOTHING, SCO, c)
            for c1, c2 in list(self.pairs(SCO)):
                if c1 != c2:  # scm-sco
                    for c3 in list(objects(c2, SCO)):
                        if c1 != c3:
                            add(c1, SCO, c3)
                if has(c2, SCO, c1):  # scm-eqc2
                    add(c1, EQC, c2)
            for c1, c2 in list(self.pairs(EQC)):
                if c1 != c2:  # scm-eqc1
                    add(c1, SCO, c2)
                    add(c2, SCO, c1)
            for kind in (self.OBJECT_PROPERTY, self.DATATYPE_PROPERTY, self.PROPERTY):  # scm-op, scm-dp
                for p in list(self.meta[kind]):
                    add(p, SPO, p)
                    add(p, EQP, p)
            for p1, p2 in list(self.pairs(SPO)):
                if p1 != p2:
                    for p3 in list(objects(p2, SPO)):  # scm-spo
                        if p1 != p3:
                            add(p1, SPO, p3)
                    if has(p2, SPO, p1):  # scm-eqp2
                        add(p1, EQP, p2)
            for p1, p2 in list(self.pairs(EQP)):
                if p1 != p2:  # scm-eqp1
                    add(p1, SPO, p2)
                    add(p2, SPO, p1)
            for which in (self.DOMAIN, self.RANGE):  # scm-dom1/2, scm-rng1/2
                for p, c in list(self.pairs(which)):
                    for c2 in list(objects(c, SCO)):
                        if c != c2:
                            add(p, which, c2)
                    for p1 in list(subjects(SPO, p)):
                        if p1 != p:
                            add(p1, which, c)
            ON = self.ON_PROPERTY
            for c1, i in list(self.pairs(self.HAS_VALUE)):  # scm-hv
                for p1 in list(objects(c1, ON)):
                    for c2 in list(subjects(self.HAS_VALUE, i)):
                        for p2 in list(objects(c2, ON)):
                            if has(p1, SPO, p2):
                                add(c1, SCO, c2)
            for restriction in (self.SOME, self.ALL):  # scm-svf1/2, scm-avf1/2
                for c1, y1 in list(self.pairs(restriction)):
                    for pp in list(objects(c1, ON)):
                        for c2 in list(subjects(ON, pp)):
                            for y2 in list(objects(c2, restriction)):
                                if has(y1, SCO, y2):
                                    add(c1, SCO, c2)
                    for p1 in list(objects(c1, ON)):
                        for c2 in list(subjects(restriction, y1)):
                            for p2 in list(objects(c2, ON)):
                                if has(p1, SPO, p2):
                                    if restriction == self.SOME:
                                        add(c1, SCO, c2)
                                    else:
                                        add(c2, SCO, c1)
            for c, x in list(self.pairs(self.INTERSECTION)):  # scm-int
                for ci in self.items(x):
                    add(c, SCO, ci)
            for c, x in list(self.pairs(self.UNION)):  # scm-uni
                for ci in self.items(x):
                    add(ci, SCO, c)
            for c, x in list(self.pairs(self.ONE_OF)):  # cls-oo
                for y in self.items(x):
                    add(y, TYPE, c)
            if self.added == before:
                return

    def make_plans(self) -> tuple[dict[int, _PropertyPlan], dict[int, _ClassPlan]]:
        objects = self.objects
        same: dict[int, set[int]] = {}
        swap: dict[int, set[int]] = {}
        for p, q in self.pairs(self.SPO):
            if p != q:
                same.setdefault(p, set()).add(q)
        for p, q in self.pairs(self.EQP):
            if p != q:
                same.setdefault(p, set()).add(q)
                same.setdefault(q, set()).add(p)
        for p, q in self.pairs(self.INVERSE):
            swap.setdefault(p, set()).add(q)
            swap.setdefault(q, set()).add(p)
        for p in self.meta[self.SYMMETRIC]:
            swap.setdefault(p, set()).add(p)
        domain: dict[int, set[int]] = {}
        range_: dict[int, set[int]] = {}
        for p, c in self.pairs(self.DOMAIN):
            domain.setdefault(p, set()).add(c)
        for p, c in self.pairs(self.RANGE):
            range_.setdefault(p, set()).add(c)
        chains: dict[int, set[tuple[int, tuple[int, ...], int]]] = {}
        for p, head in self.pairs(self.CHAIN):
            chain = tuple(self.items(head))
            for position, step in enumerate(chain):
                chains.setdefault(step, set()).add((p, chain, position))
        some_any: dict[int, set[int]] = {}
        some: dict[int, set[tuple[int, int]]] = {}
        some_of: dict[int, set[tuple[int, int]]] = {}
        every_p: dict[int, set[tuple[int, int]]] = {}
        every_c: dict[int, set[tuple[int, int]]] = {}
        value_p: dict[int, set[tuple[int, int]]] = {}
        value_c: dict[int, set[tuple[int, int]]] = {}
        for x, y in self.pairs(self.SOME):
            for pp in objects(x, self.ON_PROPERTY):
                if y == self.THING:
                    some_any.setdefault(pp, set()).add(x)
                else:
                    some.setdefault(pp, set()).add((x, y))
                    some_of.setdefault(y, set()).add((x, pp))
        for x, y in self.pairs(self.ALL):
            for pp in objects(x, self.ON_PROPERTY):
                every_p.setdefault(pp, set()).add((x, y))
                every_c.setdefault(x, set()).add((pp, y))
        for x, y in self.pairs(self.HAS_VALUE):
            for pp in objects(x, self.ON_PROPERTY):
                value_p.setdefault(pp, set()).add((x, y))
                value_c.setdefault(x, set()).add((pp, y))
        transitive = self.meta[self.TRANSITIVE]
        properties: dict[int, _PropertyPlan] = {}
        for p in (
            set(same)
            | set(swap)
            | set(domain)
            | set(range_)
            | transitive
            | set(chains)
            | set(some_any)
            | set(some)
            | set(every_p)
            | set(value_p)
        ):
            properties[p] = _PropertyPlan(
                same=_sorted(same.get(p)),
                swap=_sorted(swap.get(p)),
                domain=_sorted(domain.get(p)),
                range=_sorted(range_.get(p)),
                transitive=p in transitive,
                chains=_sorted(chains.get(p)),
                some_any=_sorted(some_any.get(p)),
                some=_sorted(some.get(p)),
                every=_sorted(every_p.get(p)),
                value=_sorted(value_p.get(p)),
            )
        supers: dict[int, set[int]] = {}
        for c, d in self.pairs(self.SCO):
            if c != d:
                supers.setdefault(c, set()).add(d)
        for c, d in self.pairs(self.EQC):
            if c != d:
                supers.setdefault(c, set()).add(d)
                supers.setdefault(d, set()).add(c)
        intersections: dict[int, set[tuple[int, tuple[int, ...]]]] = {}
        parts: dict[int, set[int]] = {}
        for c, head in self.pairs(self.INTERSECTION):
            classes = tuple(self.items(head))
            parts.setdefault(c, set()).update(classes)
            if classes:
                for member in classes:
                    intersections.setdefault(member, set()).add((c, classes))
        unions: dict[int, set[int]] = {}
        for c, head in self.pairs(self.UNION):
            for member in self.items(head):
                unions.setdefault(member, set()).add(c)
        classes_: dict[int, _ClassPlan] = {}
        for c in (
            set(supers)
            | set(intersections)
            | set(parts)
            | set(unions)
            | set(some_of)
            | set(every_c)
            | set(value_c)
        ):
            classes_[c] = _ClassPlan(
                supers=_sorted(supers.get(c)),
                intersections=_sorted(intersections.get(c)),
                parts=_sorted(parts.get(c)),
                unions=_sorted(unions.get(c)),
                some_of=_sorted(some_of.get(c)),
                every=_sorted(every_c.get(c)),
                value=_sorted(value_c.get(c)),
            )
        return properties, classes_

    def replan(self) -> None:
        """Close the schema, make the plans again and replay those that changed over what they apply to."""
        while self.dirty:
            self.dirty = False
            self.close_schema()
        properties, classes = self.make_plans()
        for p, plan in properties.items():  # the indexes the plans read
            if plan.transitive:
                self.index(p, by_subject=True)
                self.index(p, by_subject=False)
            for _, chain, _ in plan.chains:
                for step in chain:
                    self.index(step, by_subject=True)
                    self.index(step, by_subject=False)
        for plan_ in classes.values():
            for _, pp in plan_.some_of:
                self.index(pp, by_subject=False)
            for pp, _ in plan_.every:
                self.index(pp, by_subject=True)
        old_properties, old_classes = self.property_plans, self.class_plans
        self.property_plans, self.class_plans = properties, classes
        if not self.started:
            return
        replay = [
            p for p in set(old_properties) | set(properties) if old_properties.get(p) != properties.get(p)
        ]
        changed = {c for c in set(old_classes) | set(classes) if old_classes.get(c) != classes.get(c)}
        if replay or changed:
            log.debug(
                "the schema changed while reasoning: replaying %d properties, %d classes",
                len(replay),
                len(changed),
            )
        for p in replay:
            self.pending.setdefault(p, []).extend(self.sets.get(p, ()))
        if changed:
            self.pending.setdefault(self.TYPE, []).extend(
                code for code in self.sets.get(self.TYPE, ()) if code & _LOW in changed
            )

    # --- the data

    def drain(self) -> None:
        pending = self.pending
        while pending:
            p, codes = pending.popitem()
            self.process(p, codes)

    def process(self, p: int, codes: list[int]) -> None:
        put = self.put
        plan = self.property_plans.get(p)
        if plan is not None:
            for q in plan.same:
                put(q, codes)
            if plan.swap:
                swapped = [((code & _LOW) << _SHIFT) | (code >> _SHIFT) for code in codes]
                for q in plan.swap:
                    put(q, swapped)
            TYPE = self.TYPE
            if plan.domain or plan.some_any:
                heads = {code & _HIGH for code in codes}
                put(TYPE, [h | c for c in (*plan.domain, *plan.some_any) for h in heads])
            if plan.range:
                tails = {(code & _LOW) << _SHIFT for code in codes}
                put(TYPE, [t | c for c in plan.range for t in tails])
            if plan.transitive:
                self.transitive(p, codes)
            for chain_plan in plan.chains:
                self.chain(chain_plan, codes)
            if plan.some or plan.every or plan.value:
                types = self.sets.get(TYPE, set())
                out: list[int] = []
                for code in codes:
                    s, o = code >> _SHIFT, code & _LOW
                    for x, y in plan.some:
                        if ((o << _SHIFT) | y) in types:
                            out.append((s << _SHIFT) | x)
                    for x, y in plan.every:
                        if ((s << _SHIFT) | x) in types:
                            out.append((o << _SHIFT) | y)
                    for x, y in plan.value:
                        if o == y:
                            out.append((s << _SHIFT) | x)
                put(TYPE, out)
        if p == self.TYPE:
            self.process_types(codes)
        elif p == self.SAME_AS:
            self.process_same(codes)
        if self.same:
            self.replace(p, codes)

    def process_types(self, codes: list[int]) -> None:
        plans = self.class_plans
        groups: dict[int, list[int]] = {}
        for code in codes:
            c = code & _LOW
            if c in plans:
                group = groups.get(c)
                if group is None:
                    groups[c] = [code & _HIGH]
                else:
                    group.append(code & _HIGH)
        if not groups:
            return
        TYPE, put = self.TYPE, self.put
        types = self.sets[TYPE]
        out: list[int] = []
        for c, heads in groups.items():
            plan = plans[c]
            for d in (*plan.supers, *plan.parts, *plan.unions):
                out.extend(h | d for h in heads)
            for d, classes in plan.intersections:
                out.extend(h | d for h in heads if all((h | k) in types for k in classes))
            for r, pp in plan.some_of:
                index = self.by_object[pp]
                for h in heads:
                    for u in index.get(h >> _SHIFT, ()):
                        out.append((u << _SHIFT) | r)
            for pp, y in plan.every:
                index = self.by_subject[pp]
                for h in heads:
                    for v in index.get(h >> _SHIFT, ()):
                        out.append((v << _SHIFT) | y)
            for pp, y in plan.value:
                put(pp, [h | y for h in heads])
        put(TYPE, out)

    def transitive(self, p: int, codes: list[int]) -> None:
        forward, backward = self.by_subject[p], self.by_object[p]
        out: list[int] = []
        for code in codes:
            x, y = code >> _SHIFT, code & _LOW
            for z in forward.get(y, ()):
                out.append((x << _SHIFT) | z)
            for w in backward.get(x, ()):
                out.append((w << _SHIFT) | y)
        self.put(p, out)

    def chain(self, chain_plan: tuple[int, tuple[int, ...], int], codes: list[int]) -> None:
        p, chain, position = chain_plan
        out: list[int] = []
        for code in codes:
            lefts = {code >> _SHIFT}
            for step in reversed(chain[:position]):
                index = self.by_object[step]
                lefts = {u for left in lefts for u in index.get(left, ())}
                if not lefts:
                    break
            if not lefts:
                continue
            rights = {code & _LOW}
            for step in chain[position + 1 :]:
                index = self.by_subject[step]
                rights = {v for right in rights for v in index.get(right, ())}
                if not rights:
                    break
            out.extend((left << _SHIFT) | right for left in lefts for right in rights)
        self.put(p, out)

    def process_same(self, codes: list[int]) -> None:
        """eq-sym and eq-trans on the owl:sameAs between different terms, which eq-rep-* then use."""
        same, same_in = self.same, self.same_in
        out: list[int] = []
        for code in codes:
            x, y = code >> _SHIFT, code & _LOW
            if x == y:
                continue
            _index(same, x, y)
            _index(same_in, y, x)
            self.same_changed.update((x, y))
            out.append((y << _SHIFT) | x)
            out.extend((x << _SHIFT) | z for z in same.get(y, ()))
            out.extend((w << _SHIFT) | y for w in same_in.get(x, ()))
        self.put(self.SAME_AS, out)

    def replace(self, p: int, codes: Iterable[int]) -> None:
        """eq-rep-s, eq-rep-p, eq-rep-o for the triples ``codes`` of ``p``."""
        same = self.same
        out: list[int] = []
        for code in codes:
            s, o = code >> _SHIFT, code & _LOW
            for s2 in same.get(s, ()):
                out.append((s2 << _SHIFT) | o)
            for o2 in same.get(o, ()):
                out.append((s << _SHIFT) | o2)
        self.put(p, out)
        for p2 in same.get(p, ()):
            self.put(p2, codes)

    # --- rules over the whole store

    def batch(self) -> None:
        """The rules that compare values of one property: prp-fp, prp-ifp, cls-maxc2, cls-maxqc3/4,
        prp-key; and eq-rep-* over every triple once new terms are the same as others."""
        SAME_AS = self.SAME_AS
        for p in sorted(self.meta[self.FUNCTIONAL]):
            self.put(SAME_AS, self.clashes(p, by_subject=True))
        for p in sorted(self.meta[self.INVERSE_FUNCTIONAL]):
            self.put(SAME_AS, self.clashes(p, by_subject=False))
        self.cardinalities()
        self.keys()
        if self.same_changed:
            changed, self.same_changed = self.same_changed, set()
            for p, codes in list(self.sets.items()):
                if p in changed:
                    for p2 in list(self.same.get(p, ())):
                        self.put(p2, list(codes))
                self.replace(p, [c for c in codes if (c >> _SHIFT) in changed or (c & _LOW) in changed])

    def clashes(self, p: int, *, by_subject: bool) -> list[int]:
        """owl:sameAs between the values of one subject (or the subjects of one value) of ``p``."""
        codes = self.sets.get(p)
        key = ("fp" if by_subject else "ifp", p)
        if not codes or self.batch_sizes.get(key) == len(codes):
            return []
        self.batch_sizes[key] = len(codes)
        grouped = self.by_subject.get(p) if by_subject else self.by_object.get(p)
        if grouped is None:
            keys = {code >> _SHIFT for code in codes} if by_subject else {code & _LOW for code in codes}
            if len(keys) == len(codes):
                return []
            grouped = {}
            for code in codes:
                if by_subject:
                    _index(grouped, code >> _SHIFT, code & _LOW)
                else:
                    _index(grouped, code & _LOW, code >> _SHIFT)
        return [
            (a << _SHIFT) | b
            for values in grouped.values()
            if len(values) > 1
            for a in values
            for b in values
            if a != b
        ]

    def cardinalities(self) -> None:
        """cls-maxc2 and cls-maxqc3/4: the values of a property on an instance of a restriction to at most
        one (qualified) value are the same."""
        axioms: list[tuple[int, int, bool]] = [(x, n, False) for x, n in self.pairs(self.MAX)]
        axioms += [(x, n, True) for x, n in self.pairs(self.MAX_Q)]
        if not axioms:
            return
        members = self.members({x for x, _, _ in axioms})
        out: list[int] = []
        for x, n, qualified in axioms:
            if self.number(n) != 1:
                continue
            for pp in list(self.objects(x, self.ON_PROPERTY)):
                for cc in list(self.objects(x, self.ON_CLASS)) if qualified else [self.THING]:
                    for u in members[x]:
                        values = self.objects(u, pp)
                        if cc != self.THING:
                            values = {y for y in values if self.has(y, self.TYPE, cc)}
                        out.extend((a << _SHIFT) | b for a in values for b in values if a != b)
        self.put(self.SAME_AS, out)

    def number(self, n: int) -> object:
        """The value owlrl compares with 0 and 1 (``Literal.value``)."""
        term = self.terms[n]
        if not isinstance(term, ox.Literal):
            raise Unsupported(f"a cardinality that is not a literal: {self.text(n)}")
        return _rdflib(term).value

    def keys(self) -> None:
        """prp-key as owlrl has it: two instances of the class are the same when one has a value for every
        key property and the other has the same values for all of them but the last."""
        axioms = list(self.pairs(self.HAS_KEY))
        if not axioms:
            return
        members = self.members({c for c, _ in axioms})
        out: list[int] = []
        for c, head in axioms:
            keys = self.items(head)
            if not keys:
                continue
            for x in members[c]:
                combinations: list[list[int]] = [[z] for z in self.objects(x, keys[0])]
                for key in keys[1:]:
                    combinations = [[*combo, z] for z in self.objects(x, key) for combo in combinations]
                for y in members[c]:
                    if y == x:
                        continue
                    for values in combinations:
                        if all(self.has(y, keys[i], values[i]) for i in range(len(keys) - 1)):
                            out.append((x << _SHIFT) | y)
                            break
        self.put(self.SAME_AS, out)

    def reflexive_same(self) -> None:
        """eq-ref: every term of every triple is the same as itself."""
        terms: set[int] = set()
        for p, codes in self.sets.items():
            terms.add(p)
            terms.update({code >> _SHIFT for code in codes})
            terms.update({code & _LOW for code in codes})
        if terms:
            terms.add(self.SAME_AS)  # the predicate of what this adds
        new = terms - self.reflexive
        self.reflexive |= new
        self.put(self.SAME_AS, [(t << _SHIFT) | t for t in new])

    def run(self) -> None:
        while True:
            if self.dirty:
                self.replan()
                self.started = True
            self.drain()
            if self.dirty:
                continue
            before = self.added
            self.batch()
            if self.added != before:
                continue
            self.reflexive_same()
            before = self.added
            self.drain()
            if self.added == before and not self.dirty:
                return

    # --- contradictions

    def inconsistencies(self) -> list[str]:
        """owlrl's error messages on the closure (each rule's check is monotone, so what owlrl finds in
        its last cycle is what the closure holds)."""
        text, has, objects, pairs = self.text, self.has, self.objects, self.pairs
        errors = self.errors
        TYPE, SAME_AS = self.TYPE, self.SAME_AS
        disjoint = list(pairs(self.DISJOINT))
        complements = list(pairs(self.COMPLEMENT))
        lists: dict[int, list[int]] = {}
        for x in self.meta[self.ALL_DISJOINT_CLASSES]:
            for y in objects(x, self.MEMBERS):
                lists[y] = self.items(y)
        restrictions = [(x, n) for x, n in pairs(self.MAX)] + [(x, n) for x, n in pairs(self.MAX_Q)]
        wanted = {self.NOTHING}
        wanted.update(c for pair in disjoint + complements for c in pair)
        wanted.update(c for classes in lists.values() for c in classes)
        wanted.update(x for x, _ in restrictions)
        members = self.members(wanted)
        for c in members[self.NOTHING]:  # cls-nothing2
            errors.add(f"{text(c)} is defined of type 'Nothing'")
        for a, b in pairs(self.DIFFERENT):  # eq-diff1
            if has(a, SAME_AS, b):
                errors.add(
                    "'sameAs' and 'differentFrom' cannot be used on the same subject-object pair: "
                    f"({text(a)}, {text(b)})"
                )
            if has(b, SAME_AS, a):
                errors.add(
                    "'sameAs' and 'differentFrom' cannot be used on the same subject-object pair: "
                    f"({text(b)}, {text(a)})"
                )
        for x in self.meta[self.ALL_DIFFERENT]:  # eq-diff2, eq-diff3
            for y in [*objects(x, self.MEMBERS), *objects(x, self.DISTINCT_MEMBERS)]:
                zs = self.items(y)
                for i in range(len(zs) - 1):
                    for j in range(i + 1, len(zs) - 1):
                        zi, zj = zs[i], zs[j]
                        if (has(zi, SAME_AS, zj) or has(zj, SAME_AS, zi)) and zi != zj:
                            errors.add(
                                "'sameAs' and 'AllDifferent' cannot be used on the same subject-object pair: "
                                f"({text(zi)}, {text(zj)})"
                            )
        for p in self.meta[self.IRREFLEXIVE]:  # prp-irp
            for x, y in pairs(p):
                if x == y:
                    errors.add(f"Irreflexive property used on {text(x)} with {text(p)}")
        for p in self.meta[self.ASYMMETRIC]:  # prp-asyp
            for x, y in pairs(p):
                if has(y, p, x):
                    errors.add(f"Erroneous usage of asymmetric property {text(p)} on {text(x)} and {text(y)}")
        for x in self.meta[self.ALL_DISJOINT_PROPERTIES]:  # prp-adp
            for y in objects(x, self.MEMBERS):
                ps = self.items(y)
                for i in range(len(ps) - 1):
                    for j in range(i + 1, len(ps) - 1):
                        pi, pj = ps[i], ps[j]
                        for a, b in pairs(pi):
                            if has(a, pj, b):
                                errors.add(
                                    "Disjoint properties in an 'AllDisjointProperties' are not really "
                                    "disjoint: "
                                    f"({text(a)}, {text(pi)},{text(b)}) and ({text(a)},{text(pj)},{text(b)})"
                                )
        for p1, p2 in pairs(self.PROPERTY_DISJOINT):  # prp-pdw
            for x, y in pairs(p1):
                if has(x, p2, y):
                    errors.add(
                        f"Erroneous usage of disjoint properties {text(p1)} and {text(p2)} on {text(x)} "
                        f"and {text(y)}"
                    )
        for x, i1 in pairs(self.SOURCE):  # prp-npa1, prp-npa2
            for p1 in objects(x, self.ASSERTION_PROPERTY):
                for i2 in objects(x, self.TARGET):
                    if has(i1, p1, i2):
                        errors.add(
                            "Negative (object) property assertion violated for: "
                            f"({text(i1)}, {text(p1)}, {text(i2)})"
                        )
                for i2 in objects(x, self.TARGET_VALUE):
                    if has(i1, p1, i2):
                        errors.add(
                            "Negative (datatype) property assertion violated for: "
                            f"({text(i1)}, {text(p1)}, {text(i2)})"
                        )
        for c1, c2 in complements:  # cls-com (owlrl names the second class as the element)
            if members[c1] & members[c2]:
                errors.add(
                    f"Violation of complementarity for classes {text(c1)} and {text(c2)} on element "
                    f"{text(c2)}"
                )
        for x, n in restrictions:  # cls-maxc1, cls-maxqc1/2
            if self.number(n) != 0:
                continue
            qualified = self.has(x, self.MAX_Q, n)
            plain = self.has(x, self.MAX, n)
            for pp in objects(x, self.ON_PROPERTY):
                for u, y in pairs(pp):
                    if u not in members[x]:
                        continue
                    if plain:
                        errors.add(f"Erroneous usage of maximum cardinality with {text(x)} and {text(y)}")
                    if qualified:
                        for cc in objects(x, self.ON_CLASS):
                            if cc == self.THING or has(y, TYPE, cc):
                                errors.add(
                                    "Erroneous usage of maximum qualified cardinality with "
                                    f"{text(x)}, {text(cc)} and {text(y)}"
                                )
        for c1, c2 in disjoint:  # cax-dw
            for x in members[c1] & members[c2]:
                errors.add(f"Disjoint classes {text(c1)} and {text(c2)} have a common individual {text(x)}")
        for classes in lists.values():  # cax-adc
            for i in range(len(classes) - 1):
                cl1 = classes[i]
                for z in members[cl1]:
                    for cl2 in classes[i + 1 :]:
                        if z in members[cl2]:
                            errors.add(
                                f"Disjoint classes {text(cl1)} and {text(cl2)} have a common individual "
                                f"{text(z)}"
                            )
        nothing = sorted(text(x) for x in members[self.NOTHING])
        return sorted(errors) + [f"<{x}> is inferred to be of type owl:Nothing" for x in nothing]


def _index(index: dict[int, set[int]], key: int, value: int) -> None:
    found = index.get(key)
    if found is None:
        index[key] = {value}
    else:
        found.add(value)


def _sorted(values: set[Any] | None) -> tuple[Any, ...]:
    return tuple(sorted(values)) if values else ()


def _rdflib(term: ox.Literal) -> Any:
    """A literal as rdflib holds it (its lexical form normalised), for owlrl's words and values."""
    from rdflib import Literal, URIRef

    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD + "string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def reason(files: Sequence[Path | str]) -> Closure:
    """The OWL 2 RL closure of ``files`` (read as :mod:`alliance_kg.rdfinput` reads them), as owlrl computes
    it, and its problems (see :class:`alliance_kg.reasoning.Inconsistency`): the functional-property clashes
    of the asserted graph, owlrl's error messages (sorted), the resources inferred to be ``owl:Nothing``.
    An input owlrl gives no single closure for raises :class:`Unsupported`."""
    import gc

    engine = _Engine()
    enabled = gc.isenabled()
    gc.disable()  # millions of ints in sets and lists, none in a cycle
    try:
        clashes = engine.load([Path(f) for f in files])
        engine.one_time()
        engine.run()
        problems = clashes + engine.inconsistencies()
    finally:
        if enabled:
            gc.enable()
    return Closure(engine.terms, engine.kinds, engine.sets, problems, engine.SAME_AS)
