"""RDF terms as the SHACL engine stores them: the same terms as the rdflib graph pySHACL validates.

Two libraries, two term models. rdflib normalises the lexical form of a literal whose datatype it can
convert (``"01"^^xsd:integer`` is ``"1"``, ``"1"^^xsd:boolean`` is ``"true"``, ``"2025-09-16Z"^^xsd:date`` is
``"2025-09-16"``), and pySHACL reports, counts and compares those terms. Oxigraph's store keeps other
literals by value (``"550000000.0"^^xsd:decimal`` comes back as ``"550000000"``, ``"1"^^xsd:byte`` as
``"1"^^xsd:integer``). So each literal of the data is first normalised as rdflib would, and a literal that
the store would then change is stored under a *surrogate* datatype that keeps it as it is (``"550000000.0"``
as ``<urn:x-alliance-kg:shacl:lexical:http://www.w3.org/2001/XMLSchema#decimal>``): the store then
holds exactly the terms of the rdflib graph, distinct where they are distinct, with their lexical forms.
:func:`decode` turns a surrogate back into the literal it stands for.

Surrogates keep term identity and ``STR()``; they lose SPARQL value semantics (``?x > 2`` is an error on
one). The core constraints decide such values in Python (:mod:`alliance_kg.shacl.values`); a SHACL-SPARQL
constraint that may meet one is left to pySHACL (:mod:`alliance_kg.shacl.engine`).
"""

from __future__ import annotations

import re

import pyoxigraph as ox

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rdflib.term import Identifier, Node

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = RDF + "langString"

#: a literal the store would change, kept as written: ``SURROGATE + <its datatype IRI>``
SURROGATE = "urn:x-alliance-kg:shacl:lexical:"
#: an ill-typed literal whose lexical form rdflib normalised anyway (``"TRUE"^^xsd:boolean`` is ``"true"``,
#: still ill-typed): ``ILL_TYPED + <its datatype IRI>``
ILL_TYPED = "urn:x-alliance-kg:shacl:ill-typed:"

Term = ox.NamedNode | ox.BlankNode | ox.Literal

#: Lexical forms that rdflib leaves as they are and the store keeps as they are, by datatype: the common
#: case, decided without rdflib (tests/test_shacl_engine.py checks each against both libraries).
_UNCHANGED = {
    XSD + "integer": re.compile(r"0|-?[1-9][0-9]{0,17}"),
    XSD + "decimal": re.compile(r"0|-?[1-9][0-9]{0,17}(?:\.[0-9]{0,8}[1-9])?|-?0\.[0-9]{0,8}[1-9]"),
    XSD + "boolean": re.compile(r"true|false"),
    XSD + "date": re.compile(r"[12][0-9]{3}-[0-9]{2}-[0-9]{2}"),
    XSD + "gYear": re.compile(r"[12][0-9]{3}"),
    XSD + "gYearMonth": re.compile(r"[12][0-9]{3}-[0-9]{2}"),
}
_PROBE = ox.NamedNode("urn:x-alliance-kg:shacl:probe")


def unchanged_by_fast_path(lexical: str, datatype: str) -> bool:
    """Whether the fast path knows that neither library changes this literal."""
    pattern = _UNCHANGED.get(datatype)
    return pattern is not None and pattern.fullmatch(lexical) is not None


class TermMapper:
    """Maps the literals of parsed RDF to the terms the engine stores (see the module's docstring), with a
    cache: a data set repeats its literals."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], ox.Literal] = {}
        #: predicates with at least one surrogate object: what a SPARQL constraint must not meet
        self.surrogate_predicates: set[str] = set()

    def literal(self, literal: ox.Literal) -> ox.Literal:
        """The stored form of one literal."""
        obj = self.map_quads([ox.Quad(_PROBE, _PROBE, literal)])[0].object
        assert isinstance(obj, ox.Literal)
        return obj

    def map_quads(self, chunk: list[ox.Quad]) -> list[ox.Quad]:
        """``chunk`` with the literals the store would change replaced (in place), and returned."""
        literal, string, unchanged, cache = ox.Literal, XSD_STRING, _UNCHANGED, self._cache
        pending: dict[tuple[str, str], list[int]] = {}
        for i, quad in enumerate(chunk):
            obj = quad.object
            if type(obj) is not literal or obj.language:
                continue
            datatype = obj.datatype.value
            if datatype == string:
                continue
            lexical = obj.value
            fast = unchanged.get(datatype)
            if fast is not None and fast.fullmatch(lexical):
                continue
            key = (lexical, datatype)
            found = cache.get(key)
            if found is None:
                pending.setdefault(key, []).append(i)
            elif found != obj:
                chunk[i] = self._replaced(quad, found)
        if pending:
            for key, stored in zip(pending, self._resolve(list(pending)), strict=True):
                cache[key] = stored
                for i in pending[key]:
                    if stored != chunk[i].object:
                        chunk[i] = self._replaced(chunk[i], stored)
        return chunk

    def _replaced(self, quad: ox.Quad, obj: ox.Literal) -> ox.Quad:
        if is_encoded(obj):
            self.surrogate_predicates.add(quad.predicate.value)
        return ox.Quad(quad.subject, quad.predicate, obj, quad.graph_name)

    def _resolve(self, keys: list[tuple[str, str]]) -> list[ox.Literal]:
        """rdflib's normal form of each (lexical form, datatype), then a surrogate where the store would
        change it (found by storing them all once in a scratch store)."""
        from rdflib import Literal, URIRef

        from .values import quiet_rdflib

        normal: list[ox.Literal] = []
        with quiet_rdflib():
            for lexical, datatype in keys:
                parsed = Literal(lexical, datatype=URIRef(datatype))
                text = str(parsed)
                if text != lexical and parsed.ill_typed:
                    normal.append(ox.Literal(text, datatype=ox.NamedNode(ILL_TYPED + datatype)))
                else:
                    normal.append(ox.Literal(text, datatype=ox.NamedNode(datatype)))
        scratch = ox.Store()
        scratch.extend(
            ox.Quad(ox.NamedNode(f"urn:x-alliance-kg:shacl:{i}"), _PROBE, lit) for i, lit in enumerate(normal)
        )
        kept = {q.subject.value: q.object for q in scratch}
        out = []
        for i, lit in enumerate(normal):
            if kept[f"urn:x-alliance-kg:shacl:{i}"] != lit:
                out.append(ox.Literal(lit.value, datatype=ox.NamedNode(SURROGATE + lit.datatype.value)))
            else:
                out.append(lit)
        return out


def is_encoded(term: object) -> bool:
    return type(term) is ox.Literal and term.datatype.value.startswith((SURROGATE, ILL_TYPED))


def decode(term: Term) -> Term:
    """The literal a surrogate (or an ill-typed marker) stands for; any other term as it is."""
    if type(term) is ox.Literal:
        datatype = term.datatype.value
        if datatype.startswith(SURROGATE):
            return ox.Literal(term.value, datatype=ox.NamedNode(datatype[len(SURROGATE) :]))
        if datatype.startswith(ILL_TYPED):
            return ox.Literal(term.value, datatype=ox.NamedNode(datatype[len(ILL_TYPED) :]))
    return term


def known_ill_typed(term: Term) -> bool:
    """Whether rdflib flagged the literal ill-typed though its normal form would not be."""
    return type(term) is ox.Literal and term.datatype.value.startswith(ILL_TYPED)


def to_rdflib(term: Term) -> Identifier:
    """The rdflib term of an engine term, as :func:`alliance_kg.rdfinput.add_to_graph` builds it."""
    from rdflib import BNode, Literal, URIRef

    term = decode(term)
    if type(term) is ox.NamedNode:
        return URIRef(term.value)
    if type(term) is ox.BlankNode:
        return BNode(term.value)
    assert type(term) is ox.Literal
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    if datatype == XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(datatype))


def from_rdflib(term: Node) -> Term:
    """The pyoxigraph term of an rdflib term (its literals not yet mapped: see :class:`TermMapper`)."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language.lower())
        if term.datatype is None:
            return ox.Literal(str(term))
        datatype = str(term.datatype)
        if getattr(term, "ill_typed", False):  # rdflib normalised it, but knows it is ill-typed
            from .values import quiet_rdflib

            with quiet_rdflib():
                renewed = Literal(str(term), datatype=term.datatype)
            if not renewed.ill_typed:
                return ox.Literal(str(term), datatype=ox.NamedNode(ILL_TYPED + datatype))
        return ox.Literal(str(term), datatype=ox.NamedNode(datatype))
    raise TypeError(f"not an RDF term: {term!r}")


def sparql(term: Term) -> str:
    """A constant term in SPARQL syntax (IRIs and literals; blank nodes are not constants in SPARQL)."""
    if type(term) is ox.BlankNode:
        raise ValueError("a blank node cannot be written as a SPARQL constant")
    return str(term)
