"""A SHACL engine on Oxigraph: the shapes of a shapes graph compiled into SPARQL queries that each run once
over the whole data graph, giving the results pySHACL gives.

How it works:

1. Focus nodes. For each shape with targets (sh:targetClass — through ``rdf:type/rdfs:subClassOf*``, as
   SHACL requires, the subclasses read once from the data graph —, sh:targetNode, sh:targetSubjectsOf,
   sh:targetObjectsOf) one SPARQL update stores its focus nodes in a named graph of the store,
   ``<key> <has> ?this``, and the queries start from there; a shape whose one target class has no
   subclasses starts from ``?this rdf:type <class>`` instead.
2. Constraints, in few passes. A node shape's own value tests (sh:class, sh:datatype, sh:nodeKind,
   sh:pattern, sh:in, sh:languageIn, sh:minLength, sh:minInclusive …, sh:or/and/not/xone/node of such
   tests, sh:hasValue) are one query. Then one *star* pass reads the outgoing triples of every focus node
   once and counts, per focus node, for sh:closed and for each property shape whose path is a predicate:
   the values (sh:minCount, sh:maxCount), the conforming ones (sh:qualifiedMinCount …), sh:hasValue, the
   repeated languages (sh:uniqueLang) and the values that fail the shape's value tests. The counts are
   results already; a test that fails somewhere is then queried in detail, to name the values. A property
   shape with another path (sh:inversePath, sh:alternativePath, sequences, * + ?, written as SPARQL property
   paths) has its own passes: one for its value tests, one grouped for its counts. Tests that SPARQL cannot
   decide as pySHACL does (ill-typed literals, Python regular expressions, rdflib's comparisons) call Python
   through custom functions, only for the values a SPARQL condition does not already accept
   (:mod:`alliance_kg.shacl.values`).
3. SHACL-SPARQL. A sh:select runs once with ``$this`` unbound (``$PATH`` replaced by the path), joined with
   the focus nodes, when :mod:`alliance_kg.shacl.sparqltext` finds that equivalent to pre-binding; else once
   per focus node with ``$this`` substituted (SEP-0007, what SHACL's pre-binding is). Prefixes come from
   sh:prefixes / sh:declare.
4. Results: the focus node, path, value, severity, source shape, component, messages (and source
   constraint) that pySHACL reports; a property shape shared by several node shapes is reported once for
   each of them, as pySHACL does.

A shape with a feature the compiler does not translate (sh:lessThan, sh:disjoint, SPARQL-based targets,
nested property shapes, custom constraint components, a shape without sh:message whose results would carry
pySHACL's generated text, a SHACL-SPARQL constraint that could meet a literal the store cannot keep as
written …) is validated by pySHACL instead, on its own: :attr:`Outcome.fallback` names those shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

import pyoxigraph as ox

from . import values
from .model import RDF_TYPE, RDFS, SH, Path, ShapesGraph, Unsupported, read_path
from .sparqltext import analyse
from .terms import RDF_LANGSTRING, XSD_STRING, Term, TermMapper, decode, sparql, to_rdflib

FOCUS_GRAPH = ox.NamedNode("urn:x-alliance-kg:shacl:focus")
HAS = "<urn:x-alliance-kg:shacl:has>"
VIOLATION = SH + "Violation"
_SUBCLASS = f"<{RDF_TYPE}>/<{RDFS}subClassOf>*"
_CLASSES = (RDFS + "Class", "http://www.w3.org/2002/07/owl#Class")

#: predicates of a shape that are not constraints (or that another parameter's component reads)
_NOT_CONSTRAINTS = {
    SH + name
    for name in [
        "targetClass",
        "targetNode",
        "targetSubjectsOf",
        "targetObjectsOf",
        "severity",
        "message",
        "deactivated",
        "name",
        "description",
        "order",
        "group",
        "defaultValue",
        "declare",
        "prefixes",
        "path",
        "flags",
        "ignoredProperties",
        "qualifiedMinCount",
        "qualifiedMaxCount",
        "qualifiedValueShapesDisjoint",
    ]
}
_VALUE_COMPONENTS = {
    SH + name
    for name in [
        "class",
        "datatype",
        "nodeKind",
        "minLength",
        "maxLength",
        "pattern",
        "languageIn",
        "in",
        "minInclusive",
        "minExclusive",
        "maxInclusive",
        "maxExclusive",
        "or",
        "and",
        "not",
        "xone",
        "node",
    ]
}
_COMPONENT = {
    "class": "Class",
    "datatype": "Datatype",
    "nodeKind": "NodeKind",
    "minLength": "MinLength",
    "maxLength": "MaxLength",
    "pattern": "Pattern",
    "languageIn": "LanguageIn",
    "in": "In",
    "minInclusive": "MinInclusive",
    "minExclusive": "MinExclusive",
    "maxInclusive": "MaxInclusive",
    "maxExclusive": "MaxExclusive",
    "or": "Or",
    "and": "And",
    "not": "Not",
    "xone": "Xone",
    "node": "Node",
}
_NODE_KINDS = {
    "IRI": "isIRI({v})",
    "BlankNode": "isBlank({v})",
    "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "(isBlank({v}) || isIRI({v}))",
    "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
    "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))",
}


def component(name: str) -> str:
    return f"{SH}{name}ConstraintComponent"


_NONE = "<urn:x-alliance-kg:shacl:none>"


def any_of(members: list[str]) -> str:
    """A lazy disjunction: Oxigraph evaluates both sides of ``||``, IF only the branch it takes."""
    if not members:
        return "false"
    out = members[-1]
    for member in reversed(members[:-1]):
        out = f"IF(COALESCE({member}, false), true, {out})"
    return out


def all_of(members: list[str]) -> str:
    """A lazy conjunction (see :func:`any_of`)."""
    if not members:
        return "true"
    out = members[-1]
    for member in reversed(members[:-1]):
        out = f"IF(COALESCE({member}, false), {out}, false)"
    return out


def distinct_count(condition: str, expression: str) -> str:
    """``COUNT(DISTINCT IF(condition, expression, ?unbound))`` as SPARQL means it: Oxigraph's COUNT DISTINCT
    fails as a whole when its expression fails on a row, so the rows outside ``condition`` count as one
    sentinel value, taken off again."""
    total = f"COALESCE({condition}, false)"
    return f"(COUNT(DISTINCT IF({total}, {expression}, {_NONE})) - MAX(IF({total}, 0, 1)))"


@dataclass(frozen=True)
class Hit:
    """One validation result, as pySHACL would report it (terms as the store holds them)."""

    shape: Term
    component: str
    focus: Term
    path: Term | None  # the shape's sh:path (a node of the shapes graph), or a predicate (sh:closed)
    value: Term | None
    severity: str
    messages: tuple[ox.Literal, ...]
    constraint: Term | None = None


@dataclass(frozen=True)
class Shape:
    node: Term
    path: Path | None
    severity: str
    messages: tuple[ox.Literal, ...]


@dataclass(frozen=True)
class Test:
    """One value test of a merged pass: its component, and whether its result names the value."""

    component: str
    expression: str
    reports_value: bool = True


@dataclass(frozen=True)
class Count:
    """One counting component: how many value nodes (``kind`` "values"), how many equal to ``expression``'s
    term ("has": sh:hasValue), how many conform to ``expression`` ("conforming": sh:qualifiedValueShape);
    compared with ``limit`` by ``op``."""

    component: str
    kind: str
    expression: str
    op: str  # "<", ">" or "="
    limit: int

    def fails(self, count: int) -> bool:
        return {"<": count < self.limit, ">": count > self.limit, "=": count == self.limit}[self.op]

    def grouped(self) -> str:
        """The aggregate over ``OPTIONAL { ?this PATH ?v }`` grouped by ``?this`` (value nodes may repeat)."""
        if self.kind == "values":
            return "COUNT(DISTINCT ?v)"
        if self.kind == "has":
            return f"SUM(IF(BOUND(?v) && sameTerm(?v, {self.expression}), 1, 0))"
        return distinct_count(f"BOUND(?v) && COALESCE({self.expression}, false)", "?v")

    def star(self, match: str) -> str:
        """The aggregate over ``OPTIONAL { ?this ?p ?v }`` grouped by ``?this``, for the triples that
        ``match`` (a predicate path: each value once)."""
        if self.kind == "values":
            return f"SUM(IF({match}, 1, 0))"
        if self.kind == "has":
            return f"SUM(IF({match}, IF(sameTerm(?v, {self.expression}), 1, 0), 0))"
        return f"SUM(IF({match}, IF(COALESCE({self.expression}, false), 1, 0), 0))"


@dataclass(frozen=True)
class Probe:
    """One aggregate of a star pass: a count that fails (a result of ``count`` on ``shape``), or a number
    of failures found in bulk (``detail`` then runs to say which)."""

    aggregate: str
    op: str
    limit: int
    shape: Shape
    count: Count | None = None
    detail: Job | None = None
    slot: int = 0  # the aggregate's column in the pass (probes share identical aggregates)

    def fails(self, n: int) -> bool:
        return {"<": n < self.limit, ">": n > self.limit, "=": n == self.limit}[self.op]


@dataclass
class Parts:
    """What one shape asks, before it becomes jobs."""

    shape: Shape
    tests: list[Test] = field(default_factory=list)
    counts: list[Count] = field(default_factory=list)
    unique_lang: bool = False
    closed: list[str] | None = None  # the allowed predicates, as SPARQL IRIs, if closed
    jobs: list[Job] = field(default_factory=list)  # its other jobs (sh:equals, SHACL-SPARQL …)
    children: list[Term] = field(default_factory=list)  # its property shapes


@dataclass
class Job:
    query: str
    kind: str  # "tests" (?this [?v] and a flag per test), "counts" (?this and a count per component),
    # "value" (?this ?v), "focus" (?this), "closed" (?this ?p ?o), "sparql" (joined), "sparql-each"
    shape: Shape
    component: str
    key: ox.NamedNode
    constraint: Term | None = None
    constraint_messages: tuple[ox.Literal, ...] = ()
    projection: tuple[str, ...] = ()
    tests: tuple[Test, ...] = ()
    counts: tuple[Count, ...] = ()
    probes: tuple[Probe, ...] = ()


@dataclass
class Outcome:
    hits: list[Hit] = field(default_factory=list)
    #: root shapes left to pySHACL, with the reason
    fallback: dict[Term, str] = field(default_factory=dict)
    queries: int = 0


class Compiler:
    """Compiles the shapes of a shapes graph into :class:`Job` lists (see the module's docstring)."""

    def __init__(
        self,
        graph: ShapesGraph,
        mapper: TermMapper,
        functions: values.Functions,
        store: ox.Store | None = None,
    ) -> None:
        self.graph = graph
        self.mapper = mapper
        self.functions = functions
        self.store = store
        self._classes: dict[str, list[str] | None] = {}
        self._variables = 0
        self._direct: dict[ox.NamedNode, str] = {}  # roots whose focus nodes one pattern gives
        self.custom_parameters = {
            p.value
            for c in graph.subjects(RDF_TYPE, ox.NamedNode(SH + "ConstraintComponent"))
            for param in graph.objects(c, SH + "parameter")
            for p in graph.objects(param, SH + "path")
            if isinstance(p, ox.NamedNode)
        }

    # --- shapes -------------------------------------------------------------------------------------

    def shape(self, node: Term) -> Shape:
        g = self.graph
        path_node = g.value(node, SH + "path")
        severity = g.value(node, SH + "severity")
        messages = tuple(m for m in g.objects(node, SH + "message") if isinstance(m, ox.Literal))
        return Shape(
            node=node,
            path=read_path(g, path_node) if path_node is not None else None,
            severity=severity.value if isinstance(severity, ox.NamedNode) else VIOLATION,
            messages=messages,
        )

    def deactivated(self, node: Term) -> bool:
        flag = self.graph.value(node, SH + "deactivated")
        return isinstance(flag, ox.Literal) and flag.value.lower() in ("true", "1")

    def roots(self) -> list[Term]:
        """The shapes with targets, in the order of the shapes graph."""
        g = self.graph
        found: dict[Term, None] = {}
        for s, p, _ in g.triples:
            if p.value in (
                SH + "targetClass",
                SH + "targetNode",
                SH + "targetSubjectsOf",
                SH + "targetObjectsOf",
                SH + "target",
            ):
                found[s] = None
        for kind in ("NodeShape", "PropertyShape"):
            for s in g.subjects(RDF_TYPE, ox.NamedNode(SH + kind)):
                if any(isinstance(c, ox.NamedNode) and c.value in _CLASSES for c in g.objects(s, RDF_TYPE)):
                    found[s] = None  # an implicit class target: left to pySHACL (see focus_update)
        return list(found)

    def focus_update(self, root: Term, key: ox.NamedNode) -> str | None:
        """The SPARQL update that stores the focus nodes of ``root`` — or None when one triple pattern gives
        them, each once (one target class without subclasses): the jobs then start from that pattern."""
        g = self.graph
        if g.objects(root, SH + "target"):
            raise Unsupported("a SPARQL-based target (sh:target)")
        if any(isinstance(c, ox.NamedNode) and c.value in _CLASSES for c in g.objects(root, RDF_TYPE)):
            raise Unsupported("an implicit class target (a shape that is also a class)")
        parts = []
        for cls in g.objects(root, SH + "targetClass"):
            classes = self.classes(cls)
            if classes is None:
                parts.append(f"{{ ?this {_SUBCLASS} {self.iri(cls)} }}")
            else:
                parts.append(f"{{ VALUES ?type {{ {' '.join(classes)} }} ?this <{RDF_TYPE}> ?type }}")
        nodes = [self.constant(n) for n in g.objects(root, SH + "targetNode")]
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(nodes) + " } }")
        for p in g.objects(root, SH + "targetSubjectsOf"):
            parts.append(f"{{ ?this {self.iri(p)} [] }}")
        for p in g.objects(root, SH + "targetObjectsOf"):
            parts.append(f"{{ [] {self.iri(p)} ?this }}")
        targets = [p for p in g.predicates(root) if p.startswith(SH + "target")]
        if targets == [SH + "targetClass"] and len(g.objects(root, SH + "targetClass")) == 1:
            classes = self.classes(g.objects(root, SH + "targetClass")[0])
            if classes is not None and len(classes) == 1:
                self._direct[key] = f"?this <{RDF_TYPE}> {classes[0]} ."
                return None
        where = " UNION ".join(parts) if parts else "{ FILTER(false) }"
        return f"INSERT {{ GRAPH {FOCUS_GRAPH} {{ {key} {HAS} ?this }} }} WHERE {{ {where} }}"

    def classes(self, cls: Term) -> list[str] | None:
        """A class and its subclasses in the data graph (``?c rdfs:subClassOf* <cls>``), as SPARQL IRIs: a
        SHACL instance of ``cls`` is a node whose rdf:type is one of them. None when a subclass is a blank
        node (the caller then follows the property path itself)."""
        iri = self.iri(cls)
        if iri not in self._classes:
            found: list[str] | None = [iri]
            if self.store is not None:
                result = self.store.query(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS}subClassOf>* {iri} }}")
                assert isinstance(result, ox.QuerySolutions)
                for row in result:
                    c = row["c"]
                    if not isinstance(c, ox.NamedNode):
                        found = None
                        break
                    assert found is not None
                    found.append(str(c))
            self._classes[iri] = None if found is None else list(dict.fromkeys(found))
        return self._classes[iri]

    def variable(self) -> str:
        self._variables += 1
        return f"?_t{self._variables}"

    # --- terms --------------------------------------------------------------------------------------

    def iri(self, node: Term) -> str:
        if not isinstance(node, ox.NamedNode):
            raise Unsupported(f"{node} where an IRI is expected")
        return str(node)

    def constant(self, node: Term) -> str:
        """A term of the shapes graph as a SPARQL constant, in the form the data store holds it."""
        if isinstance(node, ox.BlankNode):
            raise Unsupported("a blank node as a constant (sh:in, sh:hasValue, sh:targetNode)")
        if isinstance(node, ox.Literal):
            return sparql(self.mapper.literal(node))
        return sparql(node)

    def integer(self, node: Term | None, what: str) -> int:
        if not isinstance(node, ox.Literal) or not re.fullmatch(r"[+-]?[0-9]+", node.value.strip()):
            raise Unsupported(f"{what} that is not an integer")
        return int(node.value)

    # --- value tests ----------------------------------------------------------------------------------

    def test(self, shape: Term, param: str, value: Term, v: str) -> str:
        """A SPARQL boolean expression, never an error: does the value ``v`` satisfy ``param`` = ``value``
        of ``shape``?"""
        g, name = self.graph, param[len(SH) :]
        if name == "class":
            classes = self.classes(value)
            if classes is None:
                return f"EXISTS {{ {v} {_SUBCLASS} {self.iri(value)} }}"
            t = self.variable()
            return f"EXISTS {{ {v} <{RDF_TYPE}> {t} FILTER({t} IN ({', '.join(classes)})) }}"
        if name == "datatype":
            return self.datatype(self.iri(value)[1:-1], v)
        if name == "nodeKind":
            kind = self.iri(value)[1:-1].removeprefix(SH)
            if kind not in _NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {value}")
            return _NODE_KINDS[kind].format(v=v)
        if name in ("minLength", "maxLength"):
            n = self.integer(value, f"sh:{name}")
            if n < 0:
                raise Unsupported(f"a negative sh:{name}")
            if name == "minLength":
                return "true" if n == 0 else f"(!isBlank({v}) && STRLEN(STR({v})) >= {n})"
            return f"(!isBlank({v}) && STRLEN(STR({v})) <= {n})"
        if name == "pattern":
            return self.pattern(shape, value, v)
        if name == "languageIn":
            wanted = []
            for item in g.items(value):
                if not isinstance(item, ox.Literal) or item.language:
                    raise Unsupported("sh:languageIn with a member that is not a string")
                wanted.append(item.value.lower())
            tagged = f'(isLiteral({v}) && LANG({v}) != "")'
            if "*" in wanted:
                return tagged
            if not wanted:
                return "false"
            listed = ", ".join(_string(w) for w in wanted)
            lang = f"LCASE(LANG({v}))"
            first = f'LCASE(STRBEFORE(CONCAT(LANG({v}), "-"), "-"))'
            return f"({tagged} && ({lang} IN ({listed}) || {first} IN ({listed})))"
        if name == "in":
            terms = [self.constant(m) for m in g.items(value)]
            if not terms:
                return "false"
            return "(" + " || ".join(f"sameTerm({v}, {t})" for t in terms) + ")"  # cheap: need not be lazy
        if name in ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive"):
            return self.range(name, value, v)
        if name in ("or", "and", "xone"):
            if name == "or" and (merged := self.class_union(g.items(value), v)) is not None:
                return merged
            members = [self.tree(m, v) for m in g.items(value)]
            if name == "or":
                return any_of(members)
            if name == "and":
                return all_of(members)
            return "((" + " + ".join(f"IF({m}, 1, 0)" for m in members) + ") = 1)" if members else "false"
        if name == "not":
            return f"(!{self.tree(value, v)})"
        if name == "node":
            return self.tree(value, v)
        raise Unsupported(f"sh:{name}")

    def datatype(self, rule: str, v: str) -> str:
        if rule == RDF_LANGSTRING:
            return f'(isLiteral({v}) && LANG({v}) != "")'
        if rule == XSD_STRING:
            return f"(isLiteral({v}) && DATATYPE({v}) = <{XSD_STRING}>)"
        if rule == values.RDFS_LITERAL:
            return f"isLiteral({v})"
        function = self.functions.register(("datatype", rule), lambda t: values.datatype_ok(t, rule))
        strict = values.STRICT_LEXICAL.get(rule)
        if strict is None:
            return f"COALESCE({function}({v}), false)"
        lexical = _string("^(?:" + strict + ")$")
        sure = f"isLiteral({v}) && DATATYPE({v}) = <{rule}> && REGEX(STR({v}), {lexical})"
        return f"COALESCE(IF(COALESCE({sure}, false), true, {function}({v})), false)"

    def pattern(self, shape: Term, value: Term, v: str) -> str:
        if not isinstance(value, ox.Literal):
            raise Unsupported("sh:pattern that is not a literal")
        flags_node = self.graph.value(shape, SH + "flags")
        flags = flags_node.value if isinstance(flags_node, ox.Literal) else None
        try:
            compiled = re.compile(value.value, values.python_flags(flags))
        except re.error as exc:
            raise Unsupported(f"sh:pattern that Python cannot compile ({exc})") from None
        function = self.functions.register(
            ("pattern", value.value, compiled.flags), lambda t: values.pattern_ok(t, compiled)
        )
        if not values.portable_pattern(value.value):
            return f"COALESCE({function}({v}), false)"
        flag_text = values.sparql_flags(flags)
        regex = f"REGEX(STR({v}), {_string(value.value)}{', ' + _string(flag_text) if flag_text else ''})"
        sure = f'!isBlank({v}) && !REGEX(STR({v}), "[^ -~]") && {regex}'
        return f"COALESCE(IF(COALESCE({sure}, false), true, {function}({v})), false)"

    def range(self, name: str, bound: Term, v: str) -> str:
        if not isinstance(bound, ox.Literal):
            raise Unsupported(f"sh:{name} that is not a literal")
        kind = name[0].upper() + name[1:]
        function = self.functions.register(("range", kind, bound), lambda t: values.range_ok(t, bound, kind))
        numeric = bound.datatype.value in values.NUMERIC_TYPES and re.fullmatch(
            values.NUMERIC_LEXICAL, bound.value
        )
        if not numeric:
            return f"COALESCE({function}({v}), false)"
        op = {"minInclusive": ">=", "minExclusive": ">", "maxInclusive": "<=", "maxExclusive": "<"}[name]
        types = ", ".join(f"<{t}>" for t in values.NUMERIC_TYPES)
        sure = (
            f"isLiteral({v}) && DATATYPE({v}) IN ({types}) "
            f"&& REGEX(STR({v}), {_string('^(?:' + values.NUMERIC_LEXICAL + ')$')}) && {v} {op} {bound.value}"
        )
        return f"COALESCE(IF(COALESCE({sure}, false), true, {function}({v})), false)"

    def class_union(self, members: list[Term], v: str) -> str | None:
        """An sh:or whose members each ask one sh:class (and nothing else) as one test: the value is a SHACL
        instance of one of the classes. None for any other sh:or."""
        g, classes = self.graph, []
        for member in members:
            params = [p for p in g.predicates(member) if p.startswith(SH)]
            if (
                params != [SH + "class"]
                or len(g.objects(member, SH + "class")) != 1
                or self.deactivated(member)
            ):
                return None
            found = self.classes(g.objects(member, SH + "class")[0])
            if found is None:
                return None
            classes += found
        if not classes:
            return None
        t = self.variable()
        return f"EXISTS {{ {v} <{RDF_TYPE}> {t} FILTER({t} IN ({', '.join(dict.fromkeys(classes))})) }}"

    def tree(self, node: Term, v: str, depth: int = 0) -> str:
        """Does ``v`` conform to the (nested) shape ``node``? A shape of value tests only."""
        if depth > 20:
            raise Unsupported("shapes nested too deeply (or recursive)")
        if self.deactivated(node):
            return "true"
        g = self.graph
        parts = []
        for param in g.predicates(node):
            if param in self.custom_parameters:
                raise Unsupported("a custom constraint component")
            if not param.startswith(SH) or param in _NOT_CONSTRAINTS - {SH + "path"}:
                continue
            if param == SH + "path":
                raise Unsupported(
                    "a property shape inside sh:or/sh:and/sh:not/sh:xone/sh:node/sh:qualifiedValueShape"
                )
            if param == SH + "hasValue":
                parts += [f"sameTerm({v}, {self.constant(c)})" for c in g.objects(node, param)]
                continue
            if param not in _VALUE_COMPONENTS:
                raise Unsupported(f"{param} inside a nested shape")
            for value in g.objects(node, param):
                if param in (SH + "or", SH + "and", SH + "xone", SH + "not", SH + "node"):
                    parts.append(self._nested(node, param, value, v, depth))
                else:
                    parts.append(self.test(node, param, value, v))
        return all_of(parts)

    def _nested(self, node: Term, param: str, value: Term, v: str, depth: int) -> str:
        g = self.graph
        name = param[len(SH) :]
        if name == "not":
            return f"(!{self.tree(value, v, depth + 1)})"
        if name == "node":
            return self.tree(value, v, depth + 1)
        if name == "or" and (merged := self.class_union(g.items(value), v)) is not None:
            return merged
        members = [self.tree(m, v, depth + 1) for m in g.items(value)]
        if name == "or":
            return any_of(members)
        if name == "and":
            return all_of(members)
        return "((" + " + ".join(f"IF({m}, 1, 0)" for m in members) + ") = 1)" if members else "false"

    # --- jobs -----------------------------------------------------------------------------------------

    def compile_root(self, root: Term, key: ox.NamedNode) -> list[Job]:
        if self.deactivated(root):
            return []
        return self._shape_jobs(root, key)

    def _shape_jobs(self, node: Term, key: ox.NamedNode) -> list[Job]:
        """The jobs of one shape on the focus nodes stored under ``key``. A property shape on its own: a pass
        for its value tests, a grouped pass for its counts, a query per other component. A node shape: a
        pass for its own value tests, then one *star* pass over the outgoing triples of its focus nodes that
        counts, for sh:closed and for each of its property shapes whose path is a predicate, the values and
        the failing ones; only what fails somewhere is then queried in detail. Property shapes with other
        paths get their own passes."""
        parts = self._parts(node, key)
        if parts.shape.path is not None:
            return self._standalone(parts, key)
        focus = self._focus(key)
        jobs: list[Job] = []
        if parts.tests:
            jobs.append(self._tests_job(parts, key))
        probes: list[Probe] = []
        if parts.closed is not None:
            keep = f"COALESCE(?p NOT IN ({', '.join(parts.closed)}), true)" if parts.closed else "BOUND(?p)"
            resource = f"COALESCE(?p = <{RDF_TYPE}> && ?v = <{RDFS}Resource>, false)"
            closed = self._closed_job(parts, key)
            probes.append(
                Probe(
                    f"SUM(IF(BOUND(?p) && {keep} && !{resource}, 1, 0))", ">", 0, parts.shape, detail=closed
                )
            )
        for child in parts.children:
            sub = self._parts(child, key)
            assert sub.shape.path is not None
            if sub.shape.path.predicate is None:
                jobs += self._standalone(sub, key)
                continue
            match = f"COALESCE(?p = <{sub.shape.path.predicate}>, false)"
            if sub.tests:
                every = all_of([t.expression for t in sub.tests])
                bad = f"SUM(IF({match}, IF({every}, 0, 1), 0))"
                probes.append(Probe(bad, ">", 0, sub.shape, detail=self._tests_job(sub, key)))
            probes += [Probe(c.star(match), c.op, c.limit, sub.shape, count=c) for c in sub.counts]
            if sub.unique_lang:
                tagged = f'COALESCE({match} && isLiteral(?v) && LANG(?v) != "", false)'
                repeated = f"SUM(IF({tagged}, 1, 0)) - ({distinct_count(tagged, 'LCASE(LANG(?v))')})"
                probes.append(Probe(repeated, ">", 0, sub.shape, detail=self._unique_lang_job(sub, key)))
            jobs += sub.jobs
        if probes:
            shared = list(
                dict.fromkeys(p.aggregate for p in probes)
            )  # sh:minCount and sh:maxCount count alike
            probes = [replace(p, slot=shared.index(p.aggregate)) for p in probes]
            aggregates = " ".join(f"({a} AS ?n{i})" for i, a in enumerate(shared))
            failing = " || ".join(f"?n{p.slot} {p.op} {p.limit}" for p in probes)
            query = (
                f"SELECT * WHERE {{ {{ SELECT ?this {aggregates} "
                f"WHERE {{ {focus} OPTIONAL {{ ?this ?p ?v }} }} "
                f"GROUP BY ?this }} FILTER({failing}) }}"
            )
            jobs.insert(0, Job(query, "star", parts.shape, "", key, probes=tuple(probes)))
        return jobs + parts.jobs

    def _focus(self, key: ox.NamedNode) -> str:
        """The group pattern binding ``?this`` to each focus node of the root stored under ``key``, once."""
        return self._direct.get(key) or f"GRAPH {FOCUS_GRAPH} {{ {key} {HAS} ?this }}"

    def _parts(self, node: Term, key: ox.NamedNode) -> Parts:
        g = self.graph
        shape = self.shape(node)
        path = shape.path
        parts = Parts(shape)
        v = "?v" if path else "?this"
        producing = False
        for param in g.predicates(node):
            if param in self.custom_parameters:
                raise Unsupported("a custom constraint component")
            if not param.startswith(SH) or param in _NOT_CONSTRAINTS:
                continue
            name = param[len(SH) :]
            objects = g.objects(node, param)
            if param in _VALUE_COMPONENTS:
                parts.tests += [
                    Test(component(_COMPONENT[name]), self.test(node, param, o, v)) for o in objects
                ]
            elif name == "property":
                if path is not None:
                    raise Unsupported("sh:property on a property shape")
                for child in objects:
                    if self.deactivated(child):
                        continue
                    if g.value(child, SH + "path") is None:
                        raise Unsupported("sh:property pointing to a shape without sh:path")
                    parts.children.append(child)
            elif name == "sparql":
                parts.jobs += [j for c in objects if (j := self._sparql_job(shape, c, key)) is not None]
            elif name == "hasValue":
                for c in objects:
                    if path is None:
                        test = Test(component("HasValue"), f"sameTerm(?this, {self.constant(c)})", False)
                        parts.tests.append(test)
                    else:
                        parts.counts.append(Count(component("HasValue"), "has", self.constant(c), "=", 0))
            elif name in ("minCount", "maxCount"):
                if path is None:
                    raise Unsupported(f"sh:{name} on a node shape")
                if len(objects) != 1:
                    raise Unsupported(f"several sh:{name}")
                n = self.integer(objects[0], f"sh:{name}")
                if name == "minCount" and n > 0:
                    parts.counts.append(Count(component("MinCount"), "values", "", "<", n))
                elif name == "maxCount":
                    parts.counts.append(Count(component("MaxCount"), "values", "", ">", n))
            elif name == "qualifiedValueShape":
                parts.counts += self._qualified(shape, objects)
            elif name in ("closed", "uniqueLang"):
                (flag,) = objects if len(objects) == 1 else (None,)
                if not isinstance(flag, ox.Literal) or flag.value.lower() not in ("true", "false", "1", "0"):
                    raise Unsupported(f"sh:{name} that is not one boolean")
                if flag.value.lower() in ("true", "1"):
                    producing = True
                    if name == "uniqueLang":
                        if path is None:
                            raise Unsupported("sh:uniqueLang on a node shape")
                        parts.unique_lang = True
                    else:
                        parts.closed = [self.constant(p) for p in self._closed_allowed(node)]
            elif name == "equals":
                if path is None:
                    raise Unsupported("sh:equals on a node shape")
                producing = True
                focus, vp = self._focus(key), f"?this {path.sparql} ?v"
                for p in objects:
                    other = self.iri(p)
                    query = (
                        f"SELECT DISTINCT ?this ?v WHERE {{ {focus} "
                        f"{{ {vp} FILTER NOT EXISTS {{ ?this {other} ?v }} }} UNION "
                        f"{{ ?this {other} ?v FILTER NOT EXISTS {{ {vp} }} }} }}"
                    )
                    parts.jobs.append(Job(query, "value", shape, component("Equals"), key))
            else:
                raise Unsupported(f"sh:{name}")
        if (parts.tests or parts.counts or producing) and not shape.messages:
            raise Unsupported("a shape without sh:message (pySHACL writes its own message)")
        return parts

    def _standalone(self, parts: Parts, key: ox.NamedNode) -> list[Job]:
        """The jobs of a property shape checked on its own (not in a star pass)."""
        assert parts.shape.path is not None
        focus, vp = self._focus(key), f"?this {parts.shape.path.sparql} ?v"
        jobs: list[Job] = []
        if parts.tests:
            jobs.append(self._tests_job(parts, key))
        counts = parts.counts
        if len(counts) == 1 and counts[0].kind == "values" and counts[0].op == "<" and counts[0].limit == 1:
            query = f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ {vp} }} }}"
            jobs.append(Job(query, "focus", parts.shape, counts[0].component, key))
        elif counts:
            aggregates = " ".join(f"({c.grouped()} AS ?n{i})" for i, c in enumerate(counts))
            failing = " || ".join(f"?n{i} {c.op} {c.limit}" for i, c in enumerate(counts))
            query = (
                f"SELECT * WHERE {{ {{ SELECT ?this {aggregates} WHERE {{ {focus} OPTIONAL {{ {vp} }} }} "
                f"GROUP BY ?this }} FILTER({failing}) }}"
            )
            jobs.append(Job(query, "counts", parts.shape, "", key, counts=tuple(counts)))
        if parts.unique_lang:
            jobs.append(self._unique_lang_job(parts, key))
        if parts.closed is not None:
            jobs.append(self._closed_job(parts, key))
        return jobs + parts.jobs

    def _tests_job(self, parts: Parts, key: ox.NamedNode) -> Job:
        tests, path, focus = parts.tests, parts.shape.path, self._focus(key)
        flags = " ".join(f"(COALESCE({t.expression}, false) AS ?ok{i})" for i, t in enumerate(tests))
        every = all_of([t.expression for t in tests])
        if path:
            where = f"{focus} ?this {path.sparql} ?v FILTER(!({every}))"
            query = f"SELECT DISTINCT ?this ?v {flags} WHERE {{ {where} }}"
        else:
            query = f"SELECT ?this {flags} WHERE {{ {focus} FILTER(!({every})) }}"
        return Job(query, "tests", parts.shape, "", key, tests=tuple(tests))

    def _unique_lang_job(self, parts: Parts, key: ox.NamedNode) -> Job:
        assert parts.shape.path is not None
        query = (
            f"SELECT ?this WHERE {{ {self._focus(key)} ?this {parts.shape.path.sparql} ?v "
            f'FILTER(isLiteral(?v) && LANG(?v) != "") BIND(LCASE(LANG(?v)) AS ?lang) }} '
            f"GROUP BY ?this ?lang HAVING (COUNT(DISTINCT ?v) > 1)"
        )
        return Job(query, "focus", parts.shape, component("UniqueLang"), key)

    def _closed_job(self, parts: Parts, key: ox.NamedNode) -> Job:
        assert parts.closed is not None
        focus = self._focus(key)
        keep = f"FILTER(?p NOT IN ({', '.join(parts.closed)}))" if parts.closed else ""
        resource = f"FILTER(!(?p = <{RDF_TYPE}> && ?o = <{RDFS}Resource>))"
        if parts.shape.path:
            vp = f"?this {parts.shape.path.sparql} ?v"
            where = f"{{ SELECT DISTINCT ?this ?v WHERE {{ {focus} {vp} }} }} ?v ?p ?o {keep} {resource}"
        else:
            where = f"{focus} ?this ?p ?o {keep} {resource}"
        return Job(f"SELECT ?this ?p ?o WHERE {{ {where} }}", "closed", parts.shape, component("Closed"), key)

    def _qualified(self, shape: Shape, objects: list[Term]) -> list[Count]:
        g = self.graph
        disjoint = g.value(shape.node, SH + "qualifiedValueShapesDisjoint")
        if isinstance(disjoint, ox.Literal) and disjoint.value.lower() in ("true", "1"):
            raise Unsupported("sh:qualifiedValueShapesDisjoint")
        if shape.path is None:
            raise Unsupported("sh:qualifiedValueShape on a node shape")
        low = g.value(shape.node, SH + "qualifiedMinCount")
        high = g.value(shape.node, SH + "qualifiedMaxCount")
        counts = []
        for q in objects:
            tree = self.tree(q, "?v")
            if low is not None and (n := self.integer(low, "sh:qualifiedMinCount")) > 0:
                counts.append(Count(component("QualifiedMinCount"), "conforming", tree, "<", n))
            if high is not None:
                m = self.integer(high, "sh:qualifiedMaxCount")
                counts.append(Count(component("QualifiedMaxCount"), "conforming", tree, ">", m))
        return counts

    def _closed_allowed(self, node: Term) -> list[Term]:
        g = self.graph
        allowed: list[Term] = []
        for ignored in g.objects(node, SH + "ignoredProperties"):
            allowed += g.items(ignored)
        for child in g.objects(node, SH + "property"):
            path = g.value(child, SH + "path")
            if isinstance(path, ox.NamedNode):
                allowed.append(path)
        return [a for a in dict.fromkeys(allowed) if isinstance(a, ox.NamedNode)]

    def _sparql_job(self, shape: Shape, constraint: Term, key: ox.NamedNode) -> Job | None:
        g = self.graph
        if self.deactivated(constraint):
            return None
        select = g.value(constraint, SH + "select")
        if not isinstance(select, ox.Literal) or g.objects(constraint, SH + "ask"):
            raise Unsupported("a SPARQL constraint without one sh:select")
        text = select.value
        if "$PATH" in text:
            if shape.path is None:
                raise Unsupported("$PATH in the SPARQL constraint of a node shape")
            text = text.replace("$PATH", shape.path.sparql)
        if re.search(r"[$?](currentShape|shapesGraph)\b", text):
            raise Unsupported("$currentShape or $shapesGraph")
        prefixes: dict[str, str] = {}
        for holder in g.objects(constraint, SH + "prefixes"):
            for declaration in g.objects(holder, SH + "declare"):
                prefix, namespace = (
                    g.value(declaration, SH + "prefix"),
                    g.value(declaration, SH + "namespace"),
                )
                if isinstance(prefix, ox.Literal) and isinstance(namespace, ox.Literal | ox.NamedNode):
                    prefixes[prefix.value] = namespace.value
        messages = tuple(m for m in g.objects(constraint, SH + "message") if isinstance(m, ox.Literal))
        if not messages and not shape.messages:
            raise Unsupported("a SPARQL constraint without sh:message (pySHACL writes its own message)")
        analysis = analyse(text, prefixes)
        risky = self.mapper.surrogate_predicates
        if risky and (analysis.any_predicate or analysis.predicates & risky):
            raise Unsupported(
                "a SPARQL constraint that may read literals the store cannot keep as written "
                f"({', '.join(sorted(risky & analysis.predicates)) or 'any predicate'})"
            )
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items())
        if analysis.join_safe:
            query = f"{prologue}SELECT * WHERE {{ {self._focus(key)} {{ {text} }} }}"
            kind = "sparql"
        else:
            query, kind = prologue + text, "sparql-each"
        return Job(
            query,
            kind,
            shape,
            component("SPARQL"),
            key,
            constraint=constraint,
            constraint_messages=messages,
            projection=tuple(analysis.projection),
        )


def _string(text: str) -> str:
    return (
        '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    )


# --- running -------------------------------------------------------------------------------------------


class Engine:
    """Validates the data of an Oxigraph store (its default graph) against a shapes graph."""

    def __init__(self, shapes: ShapesGraph, mapper: TermMapper) -> None:
        self.shapes = shapes
        self.mapper = mapper
        self.functions = values.Functions()
        self.compiler = Compiler(shapes, mapper, self.functions)

    def run(self, store: ox.Store, *, only: Iterable[Term] | None = None) -> Outcome:
        outcome = Outcome()
        self.compiler.store = store
        wanted = None if only is None else set(only)
        for index, root in enumerate(self.compiler.roots()):
            if wanted is not None and root not in wanted:
                continue
            key = ox.NamedNode(f"urn:x-alliance-kg:shacl:root:{index}")
            try:
                update = self.compiler.focus_update(root, key)
                jobs = self.compiler.compile_root(root, key)
            except Unsupported as exc:
                outcome.fallback[root] = str(exc)
                continue
            if update is not None:
                store.update(update)
            for job in jobs:
                outcome.hits += self._run(store, job)
                outcome.queries += 1
        store.update(f"DROP SILENT GRAPH {FOCUS_GRAPH}")
        return outcome

    def _query(
        self,
        store: ox.Store,
        text: str,
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] | None = None,
    ) -> ox.QuerySolutions:
        result = store.query(text, custom_functions=self.functions.table or None, substitutions=substitutions)
        assert isinstance(result, ox.QuerySolutions)
        return result

    def _run(self, store: ox.Store, job: Job) -> Iterator[Hit]:
        shape = job.shape
        path = shape.path.node if shape.path else None
        if job.kind == "tests":
            for row in self._query(store, job.query):
                this = _term(row["this"])
                value = _term(row["v"]) if shape.path else this
                for i, test in enumerate(job.tests):
                    flag = row[f"ok{i}"]
                    if isinstance(flag, ox.Literal) and flag.value == "true":
                        continue
                    yield Hit(
                        shape.node,
                        test.component,
                        this,
                        path,
                        value if test.reports_value else None,
                        shape.severity,
                        shape.messages,
                    )
        elif job.kind == "star":
            details: dict[int, Job] = {}
            for row in self._query(store, job.query):
                this = _term(row["this"])
                for probe in job.probes:
                    n = row[f"n{probe.slot}"]
                    if not isinstance(n, ox.Literal) or not probe.fails(int(n.value)):
                        continue
                    if probe.count is not None:
                        own = probe.shape
                        yield Hit(
                            own.node,
                            probe.count.component,
                            this,
                            own.path.node if own.path else None,
                            None,
                            own.severity,
                            own.messages,
                        )
                    elif probe.detail is not None:
                        details[id(probe.detail)] = probe.detail
            for detail in details.values():
                yield from self._run(store, detail)
        elif job.kind == "counts":
            for row in self._query(store, job.query):
                this = _term(row["this"])
                for i, count in enumerate(job.counts):
                    n = row[f"n{i}"]
                    if isinstance(n, ox.Literal) and count.fails(int(n.value)):
                        yield Hit(
                            shape.node, count.component, this, path, None, shape.severity, shape.messages
                        )
        elif job.kind == "value":
            for row in self._query(store, job.query):
                yield Hit(
                    shape.node,
                    job.component,
                    _term(row["this"]),
                    path,
                    _term(row["v"]),
                    shape.severity,
                    shape.messages,
                )
        elif job.kind == "focus":
            for row in self._query(store, job.query):
                yield Hit(
                    shape.node, job.component, _term(row["this"]), path, None, shape.severity, shape.messages
                )
        elif job.kind == "closed":
            for row in self._query(store, job.query):
                yield Hit(
                    shape.node,
                    job.component,
                    _term(row["this"]),
                    _term(row["p"]),
                    _term(row["o"]),
                    shape.severity,
                    shape.messages,
                )
        elif job.kind == "sparql":
            yield from self._sparql_hits(job, self._query(store, job.query), None)
        else:  # "sparql-each": pre-bound, one focus node at a time
            focus = f"SELECT ?this WHERE {{ {self.compiler._focus(job.key)} }}"
            for row in list(self._query(store, focus)):
                this = _term(row["this"])
                solutions = self._query(store, job.query, {ox.Variable("this"): this})
                yield from self._sparql_hits(job, solutions, this)

    def _sparql_hits(self, job: Job, solutions: ox.QuerySolutions, prebound: Term | None) -> Iterator[Hit]:
        """pySHACL's reading of a SHACL-SPARQL solution sequence (``_validate_sparql_query`` and
        ``make_v_result`` of pySHACL 0.40): ``?failure``, ``?path``, ``?value``, ``?this``, the other
        variables substituted into the messages, duplicates dropped per focus node."""
        shape = job.shape
        names = [v.value for v in solutions.variables]
        order = [n for n in job.projection if n in names] + [n for n in names if n not in job.projection]
        seen: dict[Term | None, list[tuple[object, ...]]] = {}
        failed: set[Term | None] = set()
        for row in solutions:
            bound = {n: _term(row[n]) for n in order if row[n] is not None}
            focus = prebound if prebound is not None else bound.get("this")
            failure = bound.pop("failure", None)
            fallback_value = focus if shape.path is None else None
            if failure is not None:
                if focus in failed:
                    continue
                failed.add(focus)
                yield self._sparql_hit(job, focus, fallback_value, None, bound)
                continue
            p, v, t = bound.pop("path", None), bound.pop("value", None), bound.pop("this", None)
            if p is None and v is None and t is None:
                continue
            signature = (t, p, v, tuple(sorted(bound.items(), key=lambda item: item[0])))
            earlier = seen.setdefault(focus, [])
            if signature in earlier:
                continue
            earlier.append(signature)
            value = v if v is not None else fallback_value
            variables = dict(bound)
            for name, term in (("this", t), ("path", p), ("value", value)):
                if term is not None:
                    variables[name] = term
            yield self._sparql_hit(job, t if t is not None else focus, value, p, variables)

    def _sparql_hit(
        self, job: Job, focus: Term | None, value: Term | None, path: Term | None, variables: dict[str, Term]
    ) -> Hit:
        shape = job.shape
        texts = [_format(message.value, variables) for message in shape.messages]
        texts += [_format(m.value, variables) for m in job.constraint_messages if m not in shape.messages]
        assert focus is not None
        if path is None and shape.path is not None:
            path = shape.path.node
        return Hit(
            shape.node,
            job.component,
            focus,
            path,
            value,
            shape.severity,
            tuple(ox.Literal(t) for t in dict.fromkeys(texts)),
            job.constraint,
        )


def _format(message: str, variables: dict[str, Term]) -> str:
    """pySHACL's ``_format_sparql_based_result_message``: ``{?name}`` and ``{$name}`` replaced by the
    string form of the bound term (through ``re.sub``, as pySHACL does)."""
    for name, term in variables.items():
        pattern, text = f"{{[?$]{name}}}", str(to_rdflib(term))
        try:
            message = re.sub(pattern, text, message)
        except re.error:  # a backslash escape in the value that re.sub cannot read (pySHACL would fail)
            message = re.sub(pattern, _verbatim(text), message)
    return message


def _verbatim(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: text


def _term(term: object) -> Term:
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return term
    raise TypeError(f"unexpected {term!r} in a solution")


def decoded(hit: Hit) -> Hit:
    """The hit with its terms as the data wrote them (surrogates decoded)."""
    return Hit(
        hit.shape,
        hit.component,
        decode(hit.focus),
        hit.path,
        decode(hit.value) if hit.value is not None else None,
        hit.severity,
        hit.messages,
        hit.constraint,
    )
