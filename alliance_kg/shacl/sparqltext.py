"""What the engine needs to know about the text of a SHACL-SPARQL constraint, read from its tokens.

SHACL evaluates ``sh:select`` once per focus node with ``$this`` pre-bound (substituted, as SEP-0007 does).
The engine evaluates it once, ``$this`` unbound, and joins the solutions with the focus nodes. The two agree
when every use of ``$this`` sees it bound the same way, which :func:`analyse` checks conservatively:

- ``$this`` is bound by the query's top-level group: a triple pattern there names it, or a UNION there all
  of whose branches do (or a plain nested group that does);
- a top-level ``BIND`` that reads it comes after such a pattern; a top-level ``FILTER`` (its ``EXISTS``
  groups included) may read it anywhere;
- in a nested group (OPTIONAL, UNION branch …) an expression reads it only if that group binds it itself;
- no MINUS, GRAPH, SERVICE, VALUES, sub-SELECT, aggregates, GROUP BY, HAVING, LIMIT or OFFSET, no
  ``AS ?this``, no PREFIX or BASE of its own; ``$this`` is projected (or ``SELECT *``).

Anything else is evaluated per focus node, with Oxigraph's substitutions (exact pre-binding). The analysis
also lists the predicates the query names, and whether it has a variable or negated predicate (it may then
read any triple).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}
      |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<bnode>_:[\w.-]*\w)
  | (?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[A-Za-z][\w.-]*)?:(?:[\w:%-]|\.(?=[\w:%-]))*)
  | (?P<number>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<name>[A-Za-z_][\w]*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\].;,!=<>+\-*/^|?])
    """,
    re.X,
)

_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}
_FORBIDDEN = {"MINUS", "GRAPH", "SERVICE", "VALUES", "GROUP", "HAVING", "LIMIT", "OFFSET", "PREFIX", "BASE"}
_PATHISH = {"^", "/", "|", "*", "+", "?", "!", "(", ")"}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper()

    def is_this(self) -> bool:
        return self.kind == "var" and self.text[1:] == "this"


class SparqlTextError(ValueError):
    pass


def tokens(text: str) -> list[Token]:
    out, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SparqlTextError(f"cannot read the query at {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        if kind not in ("ws", "comment"):
            out.append(Token(kind, match.group()))
        position = match.end()
    return out


@dataclass
class Analysis:
    join_safe: bool = False
    why: str = ""
    predicates: set[str] = field(default_factory=set)  # IRIs the query names (prefixed names expanded)
    any_predicate: bool = False  # a variable or negated predicate: the query may read any triple
    projection: list[str] = field(default_factory=list)  # the projected variables, in order (no '?')


@dataclass
class _Group:
    binds: bool = False  # a triple pattern of its own (or a binding UNION / nested group) names $this
    mentions: bool = False  # $this appears somewhere inside
    filter_reads: bool = False  # one of its FILTERs reads $this
    safe: bool = True
    why: str = ""

    def unsafe(self, why: str) -> None:
        if self.safe:
            self.safe, self.why = False, why

    def adopt(self, nested: _Group) -> None:
        self.mentions = self.mentions or nested.mentions
        if not nested.safe:
            self.unsafe(nested.why)


class _Walker:
    """A recursive descent over the tokens of a SELECT query, just deep enough for the analysis."""

    def __init__(self, toks: list[Token]) -> None:
        self.toks = toks
        self.i = 0
        self.variable_predicate = False

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def peek_text(self) -> str:
        tok = self.peek()
        return "" if tok is None else (tok.upper if tok.kind == "name" else tok.text)

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise SparqlTextError("unexpected end of the query")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.text != text:
            raise SparqlTextError(f"expected {text!r}, found {tok.text!r}")

    # --- groups ---------------------------------------------------------------------------------------

    def group(self, *, const_this: bool = False) -> _Group:
        """One ``{ … }`` group graph pattern (its opening brace is next). ``const_this``: inside EXISTS,
        where SPARQL substitutes the filtered solution, so $this is a constant."""
        self.expect("{")
        group = _Group()
        if self.peek_text() == "SELECT":
            group.unsafe("a sub-SELECT")
            self.skip_group_body()
            return group
        while True:
            word = self.peek_text()
            if word == "":
                raise SparqlTextError("unclosed group")
            if word == "}":
                self.next()
                break
            if word in _FORBIDDEN:
                group.unsafe(word)
                self.next()
            elif word == "FILTER":
                self.next()
                if self.constraint(group, const_this):
                    group.filter_reads = True
            elif word == "BIND":
                self.next()
                if self.constraint(group, const_this) and not (group.binds or const_this):
                    group.unsafe("BIND reads $this before a pattern binds it")
            elif word == "OPTIONAL":
                self.next()
                group.adopt(self.group(const_this=const_this))
            elif word == "{":
                branches = [self.group(const_this=const_this)]
                while self.peek_text() == "UNION":
                    self.next()
                    branches.append(self.group(const_this=const_this))
                for branch in branches:
                    group.adopt(branch)
                if all(branch.binds for branch in branches):
                    group.binds = True
            else:
                self.triples(group)
        if group.filter_reads and not (group.binds or const_this):
            group.unsafe("a FILTER reads $this in a group that does not bind it")
        return group

    def skip_group_body(self) -> None:
        depth = 1
        while depth:
            text = self.next().text
            depth += {"{": 1, "}": -1}.get(text, 0)

    # --- FILTER and BIND ------------------------------------------------------------------------------

    def constraint(self, group: _Group, const_this: bool) -> bool:
        """The expression after FILTER or BIND; whether it reads $this (its EXISTS groups included)."""
        word = self.peek_text()
        if word == "NOT":
            self.next()
            word = self.peek_text()
        if word == "EXISTS":
            self.next()
            nested = self.group(const_this=True)
            group.adopt(nested)
            return nested.mentions
        if word != "(":
            self.next()  # a function name: FILTER regex(…), FILTER <iri>(…)
        return self.parenthesised(group)

    def parenthesised(self, group: _Group) -> bool:
        self.expect("(")
        reads, depth = False, 1
        while depth:
            tok = self.next()
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
            elif tok.text in ("{", "}"):
                raise SparqlTextError("a brace inside an expression")
            elif tok.kind == "name" and tok.upper == "EXISTS":
                nested = self.group(const_this=True)
                group.adopt(nested)
                reads = reads or nested.mentions
            elif tok.kind == "name" and tok.upper in _AGGREGATES:
                group.unsafe(f"aggregate {tok.text}")
            elif tok.kind == "name" and tok.upper == "AS":
                after = self.peek()
                if after is not None and after.is_this():
                    group.unsafe("AS $this")
            elif tok.is_this():
                reads = True
                group.mentions = True
        return reads

    # --- triple patterns ------------------------------------------------------------------------------

    def triples(self, group: _Group) -> None:
        """Triple patterns up to the next brace or group-level keyword."""
        self.term(group)
        while True:
            self.path()
            self.term(group)
            while self.peek_text() == ",":
                self.next()
                self.term(group)
            if self.peek_text() == ";":
                while self.peek_text() == ";":
                    self.next()
                if self.peek_text() in (".", "}", "{", "") or self.peek_text() in _KEYWORDS:
                    pass
                else:
                    continue
            if self.peek_text() == ".":
                self.next()
            return

    def term(self, group: _Group) -> None:
        tok = self.next()
        if tok.is_this():
            group.binds = group.mentions = True
        elif tok.text == "[":
            if self.peek_text() != "]":
                while True:
                    self.path()
                    self.term(group)
                    while self.peek_text() == ",":
                        self.next()
                        self.term(group)
                    if self.peek_text() != ";":
                        break
                    while self.peek_text() == ";":
                        self.next()
                    if self.peek_text() == "]":
                        break
            self.expect("]")
        elif tok.text == "(":
            while self.peek_text() != ")":
                self.term(group)
            self.next()
        elif tok.kind == "string":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "lang":
                self.next()
            elif nxt is not None and nxt.text == "^^":
                self.next()
                self.next()
        elif tok.kind not in ("var", "iri", "pname", "bnode", "number", "name") or tok.text in ("{", "}"):
            raise SparqlTextError(f"unexpected {tok.text!r} in a triple pattern")

    def path(self) -> None:
        """A verb: a variable, or a property path (a variable or a negated set may name any predicate)."""
        tok = self.peek()
        if tok is not None and tok.kind == "var":
            self.next()
            self.variable_predicate = True
            return
        self.alternative()

    def alternative(self) -> None:
        self.sequence()
        while self.peek_text() == "|":
            self.next()
            self.sequence()

    def sequence(self) -> None:
        self.element()
        while self.peek_text() == "/":
            self.next()
            self.element()

    def element(self) -> None:
        if self.peek_text() == "^":
            self.next()
        tok = self.next()
        if tok.text == "(":
            self.alternative()
            self.expect(")")
        elif tok.text == "!":
            self.variable_predicate = True
            if self.peek_text() == "(":
                depth = 0
                while True:
                    text = self.next().text
                    depth += {"(": 1, ")": -1}.get(text, 0)
                    if depth == 0:
                        break
            else:
                if self.peek_text() == "^":
                    self.next()
                self.next()
        elif not (tok.kind in ("iri", "pname") or (tok.kind == "name" and tok.text == "a")):
            raise SparqlTextError(f"unexpected {tok.text!r} as a predicate")
        if self.peek_text() in ("*", "+", "?"):
            self.next()


_KEYWORDS = {"FILTER", "BIND", "OPTIONAL", "UNION"} | _FORBIDDEN


def analyse(text: str, prefixes: dict[str, str]) -> Analysis:
    """The analysis of a SELECT query's text (``$PATH`` already substituted); see the module's docstring."""
    result = Analysis()
    try:
        toks = tokens(text)
    except SparqlTextError as exc:
        result.why = str(exc)
        result.any_predicate = True
        return result
    for token in toks:
        if token.kind == "iri":
            result.predicates.add(token.text[1:-1])
        elif token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            if prefix in prefixes:
                result.predicates.add(prefixes[prefix] + local)
            else:
                result.any_predicate = True  # cannot tell what it names
        elif token.kind == "name" and token.text == "a":
            result.predicates.add(RDF_TYPE)
    walker = _Walker(toks)
    try:
        head = walker.next()
        if head.upper != "SELECT":
            result.why = "not a SELECT query"
            result.any_predicate = True
            return result
        projected_this, depth = False, 0
        while True:
            tok = walker.peek()
            if tok is None:
                raise SparqlTextError("no WHERE clause")
            if tok.text == "{" or tok.upper == "WHERE":
                break
            walker.next()
            depth += {"(": 1, ")": -1}.get(tok.text, 0)
            if tok.text == "*" or (tok.is_this() and depth == 0):
                projected_this = True
            if tok.kind == "var" and depth == 0:
                result.projection.append(tok.text[1:])
            if tok.kind == "name" and tok.upper in _AGGREGATES:
                result.why = f"aggregate {tok.text}"
            if tok.kind == "name" and tok.upper == "AS":
                after = walker.peek()
                if after is not None and after.is_this():
                    result.why = "AS $this"
                elif after is not None and after.kind == "var":
                    result.projection.append(after.text[1:])
        if walker.peek_text() == "WHERE":
            walker.next()
        top = walker.group()
        rest = walker.toks[walker.i :]
        for tok in rest:
            if tok.kind == "name" and tok.upper in _FORBIDDEN | _AGGREGATES:
                top.unsafe(tok.text)
    except SparqlTextError as exc:
        result.why = str(exc)
        result.any_predicate = True
        return result
    result.any_predicate = result.any_predicate or walker.variable_predicate
    if result.why:
        return result
    if not projected_this:
        result.why = "$this is not projected"
    elif not top.safe:
        result.why = top.why
    elif not top.binds:
        result.why = "no top-level pattern binds $this"
    else:
        result.join_safe = True
    return result
