"""The value tests SPARQL cannot decide exactly as pySHACL does, decided in Python, and the SPARQL
conditions that spare most values the call.

pySHACL reads values through rdflib: a literal is well-typed if rdflib can convert it
(``"1_000"^^xsd:integer`` is, ``"2025-02-30"^^xsd:date`` is not; rdflib has no converter for xsd:gYear, so
every gYear is), a range is compared on rdflib's Python values, a pattern is Python's ``re.search`` on the
lexical form. The functions
here reproduce pySHACL 0.40's DatatypeConstraintComponent, the four range components and
PatternConstraintComponent on rdflib terms (:func:`alliance_kg.shacl.terms.to_rdflib`). Each test registers
as a SPARQL custom function; a compiled query calls it only for the values its *sure* condition does not
already accept (``IF(sure, true, fn(?v))``: SPARQL evaluates only the branch it takes).

A sure condition is sufficient, never necessary: it accepts a value only where pySHACL surely accepts it
(a literal of the datatype whose lexical form matches a strict pattern; a printable-ASCII string that
Oxigraph's regular expression matches, for patterns written in the syntax both engines read the same way;
an integer or decimal of canonical form compared with a numeric bound). tests/test_shacl_engine.py checks
both claims against rdflib and pySHACL on generated values.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pyoxigraph as ox

from .terms import RDF_LANGSTRING, XSD, XSD_STRING, Term, decode, known_ill_typed, to_rdflib

RDFS_LITERAL = "http://www.w3.org/2000/01/rdf-schema#Literal"
RDFS_DATATYPE = "http://www.w3.org/2000/01/rdf-schema#Datatype"

TRUE = ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
FALSE = ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))

#: lexical forms pySHACL surely accepts for a datatype (rdflib converts them to the Python type it expects)
STRICT_LEXICAL = {
    XSD + "integer": r"-?[0-9]{1,18}",
    XSD + "decimal": r"-?[0-9]{1,18}(\.[0-9]{1,18})?",
    XSD + "boolean": r"true|false",
    XSD + "date": r"[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
    XSD + "gYear": r"[12][0-9]{3}",
    XSD + "gYearMonth": r"[12][0-9]{3}-(0[1-9]|1[0-2])",
}
#: numeric literals the sure range condition compares in SPARQL
NUMERIC_LEXICAL = r"-?[0-9]{1,18}(\.[0-9]{1,18})?"
NUMERIC_TYPES = (XSD + "integer", XSD + "decimal")

#: what may follow a backslash in a portable pattern (see :func:`portable_pattern`)
_PORTABLE_ESCAPES = frozenset("sSdDwW.-\\/^$|?*+()[]{}")
_COUNTED = re.compile(r"\{[0-9]{1,4}(?:,[0-9]{0,4})?\}")


@contextmanager
def quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback (and warns) for each literal it cannot convert; pySHACL's runs show them, ours
    need not: the report says what is wrong with the value."""
    log = logging.getLogger("rdflib.term")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


def portable_pattern(pattern: str) -> bool:
    """Whether Rust's ``regex`` (Oxigraph's REGEX) and Python's ``re`` read ``pattern`` the same way on
    printable ASCII text: literal printable ASCII characters, character classes without nested classes or set
    operations, groups (``(…)``, ``(?:…)``), alternation, anchors, ``. * + ? {n,m}`` (not twice in a row)
    and the escapes ``\\s \\S \\d \\D \\w \\W`` and of metacharacters. Anything else is for Python alone."""
    i, in_class, after_quantifier = 0, False, False
    while i < len(pattern):
        c = pattern[i]
        if not (c.isascii() and c.isprintable()):
            return False
        if c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1] not in _PORTABLE_ESCAPES:
                return False
            i, after_quantifier = i + 2, False
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c in "[&~":
                return False
            i += 1
            continue
        if c == "[":
            i += 1
            if pattern.startswith("^", i):
                i += 1
            if pattern.startswith("]", i):
                return False
            in_class, after_quantifier = True, False
            continue
        if c == "{":
            match = _COUNTED.match(pattern, i)
            if match is None or after_quantifier:
                return False
            i, after_quantifier = match.end(), True
            continue
        if c in "*+?":
            if after_quantifier and c != "?":
                return False
            after_quantifier = c != "?" or not after_quantifier
            i += 1
            continue
        if c == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
            return False
        if c == "}":
            return False
        after_quantifier = False
        i += 1
    return not in_class


def python_flags(flags: str | None) -> int:
    """The ``re`` flags pySHACL derives from sh:flags (it reads ``i`` and ``m`` only)."""
    text = (flags or "").lower()
    return (re.I if "i" in text else 0) | (re.M if "m" in text else 0)


def sparql_flags(flags: str | None) -> str:
    text = (flags or "").lower()
    return ("i" if "i" in text else "") + ("m" if "m" in text else "")


# --- the decisions ---------------------------------------------------------------------------------------


def datatype_ok(value: Term, rule: str) -> bool:
    """pySHACL's sh:datatype test of one value node."""
    from decimal import Decimal

    from rdflib import Literal

    with quiet_rdflib():
        node = to_rdflib(value)
        if not isinstance(node, Literal):
            return False
        datatype = None if node.datatype is None else str(node.datatype)
        lang = node.language
        if datatype == rule:
            if known_ill_typed(value) or getattr(node, "ill_typed", None) is True:
                return False
            python = node.value
            if rule in (XSD_STRING, RDF_LANGSTRING):
                return isinstance(python, str | bytes)
            checks: dict[str, type | tuple[type, ...]] = {
                XSD + "integer": int,
                XSD + "float": float,
                XSD + "decimal": Decimal,
                XSD + "boolean": bool,
            }
            if rule in checks:
                return isinstance(python, checks[rule])
            import datetime

            dates: dict[str, type] = {
                XSD + "date": datetime.date,
                XSD + "time": datetime.time,
                XSD + "dateTime": datetime.datetime,
            }
            if rule in dates:
                return isinstance(python, dates[rule])
            return True  # pySHACL cannot check other datatypes, and accepts them
        if rule == RDFS_LITERAL:
            return True
        if rule == RDFS_DATATYPE and datatype:
            return True
        if datatype is None and lang is None and rule == XSD_STRING:
            return isinstance(node.value, str | bytes)
        if rule == RDF_LANGSTRING and lang:
            return isinstance(node.value, str | bytes)
        return False


def _compare_literal(l1: Any, l2: Any) -> int:
    """pySHACL's rdfutil.compare.compare_literal (0.40)."""
    import datetime

    if l1.eq(l2):
        return 0
    if l1.value.__class__ in (datetime.datetime, datetime.time):
        if l1.value == l2.value:
            return 0
        if l1.value > l2.value:
            return 1
    elif l1 > l2:
        return 1
    return -1


def range_ok(value: Term, bound: Term, kind: str) -> bool:
    """pySHACL's sh:minInclusive / minExclusive / maxInclusive / maxExclusive test of one value node:
    ``kind`` is the component's local name without ``ConstraintComponent``."""
    from rdflib import Literal

    with quiet_rdflib():
        node, limit = to_rdflib(value), to_rdflib(bound)
        if not isinstance(node, Literal) or not isinstance(limit, Literal):
            return False
        if isinstance(limit.value, str) != isinstance(node.value, str):
            return False
        try:
            if kind in ("MinInclusive", "MinExclusive"):
                cmp = _compare_literal(node, limit)
                return cmp >= 0 if kind == "MinInclusive" else cmp > 0
            cmp = _compare_literal(limit, node)
            return cmp >= 0 if kind == "MaxInclusive" else cmp > 0
        except (TypeError, NotImplementedError):
            return False


def pattern_ok(value: Term, compiled: re.Pattern[str]) -> bool:
    """pySHACL's sh:pattern test of one value node: ``search`` on the string form, blank nodes fail."""
    value = decode(value)
    if type(value) is ox.BlankNode:
        return False
    if type(value) is ox.Literal:
        from rdflib import Literal

        with quiet_rdflib():
            node = to_rdflib(value)
            assert isinstance(node, Literal)
            if node.value is not None and node.datatype in (None, RDF_LANGSTRING, XSD_STRING):
                text = str(node.value)
            else:
                text = str(node)
    else:
        text = value.value
    return compiled.search(text) is not None


# --- SPARQL custom functions -----------------------------------------------------------------------------


class Functions:
    """The custom functions one validation's queries call, by IRI (``Store.query(custom_functions=…)``)."""

    PREFIX = "urn:x-alliance-kg:shacl:fn:"

    def __init__(self) -> None:
        self.table: dict[
            ox.NamedNode, Callable[..., ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None]
        ]
        self.table = {}
        self._by_key: dict[tuple[object, ...], str] = {}

    def register(self, key: tuple[object, ...], test: Callable[[Term], bool]) -> str:
        """The SPARQL IRI (``<…>``) of a function deciding ``test`` on its one argument."""
        found = self._by_key.get(key)
        if found is not None:
            return found

        def function(value: Term) -> ox.Literal:
            return TRUE if test(value) else FALSE

        iri = ox.NamedNode(f"{self.PREFIX}{len(self.table)}")
        self.table[iri] = function
        self._by_key[key] = text = str(iri)
        return text
