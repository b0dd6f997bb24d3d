"""Bind ``--param name=value`` to a named query's declared parameters, as RDF terms.

A resource parameter takes an IRI (``<…>`` or ``https://…``), a CURIE (``vehicle:nissan-micra``) or a
label (``"Nissan Micra"``, matched case-insensitively against rdfs:label, skos:altLabel, skos:prefLabel
and akg:name among the instances of the declared class). A literal parameter is checked against its
declared XSD datatype. Values are never pasted into the query text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

import pyoxigraph as ox

from .catalogue import NamedQuery, Param, expand_curie
from .errors import UsageError
from .namespaces import XSD

_LEXICAL = {
    XSD + "integer": re.compile(r"[+-]?\d+"),
    XSD + "nonNegativeInteger": re.compile(r"\+?\d+"),
    XSD + "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    XSD + "boolean": re.compile(r"true|false|1|0"),
    XSD + "gYear": re.compile(r"-?\d{4,}"),
    XSD + "gYearMonth": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])"),
    XSD + "date": re.compile(r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"),
}

# SPARQL substitutions (SEP-0007) only apply to projected variables, hence ?type in the projection.
_LABEL_QUERY = """
SELECT DISTINCT ?thing ?label ?type WHERE {
  ?thing a/rdfs:subClassOf* ?type .
  ?thing rdfs:label|skos:altLabel|skos:prefLabel|akg:name ?label .
}"""
_ANY_LABEL_QUERY = """
SELECT DISTINCT ?thing ?label WHERE {
  ?thing rdfs:label|skos:altLabel|skos:prefLabel|akg:name ?label .
  FILTER(isIRI(?thing))
}"""
ANY_TYPE = "http://www.w3.org/2000/01/rdf-schema#Resource"


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param expects NAME=VALUE, got {item!r}")
        values[name.strip()] = value
    return values


def _literal(param: Param, value: str) -> ox.Literal:
    pattern = _LEXICAL.get(param.type_iri)
    if pattern is not None and not pattern.fullmatch(value.strip()):
        raise UsageError(f"parameter {param.name} expects an {param.type} value, got {value!r}")
    return ox.Literal(value.strip(), datatype=ox.NamedNode(param.type_iri))


def _is_instance(store: ox.Store, iri: str, type_iri: str) -> bool:
    if type_iri == ANY_TYPE:
        return bool(
            store.query(
                "ASK { { ?thing ?p ?o } UNION { ?s ?p ?thing } }",
                substitutions={ox.Variable("thing"): ox.NamedNode(iri)},
            )
        )
    result = store.query(
        "ASK { ?thing a/rdfs:subClassOf* ?type }",
        prefixes={"rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
        substitutions={ox.Variable("thing"): ox.NamedNode(iri), ox.Variable("type"): ox.NamedNode(type_iri)},
    )
    return bool(result)


def resolve_resource(store: ox.Store, value: str, type_iri: str, what: str) -> ox.NamedNode:
    """An IRI, CURIE or label to the one resource of type ``type_iri`` it names."""
    from .namespaces import PREFIXES

    text = value.strip()
    iri: str | None = None
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
    elif re.match(r"^https?://", text):
        iri = text
    elif re.fullmatch(r"[A-Za-z][\w-]*:[^\s]*", text) and text.split(":", 1)[0] in PREFIXES:
        iri = expand_curie(text)
    if iri is not None:
        try:
            node = ox.NamedNode(iri)
        except ValueError as exc:
            raise UsageError(f"{what}: {text} is not a valid IRI ({exc})") from None
        if not _is_instance(store, iri, type_iri):
            kind = "" if type_iri == ANY_TYPE else f" as {_short(type_iri)}"
            raise UsageError(f"{what}: {text} is not in the graph{kind}")
        return node
    rows = store.query(
        _ANY_LABEL_QUERY if type_iri == ANY_TYPE else _LABEL_QUERY,
        prefixes={
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "akg": PREFIXES["akg"],
        },
        substitutions=None if type_iri == ANY_TYPE else {ox.Variable("type"): ox.NamedNode(type_iri)},
    )
    assert isinstance(rows, ox.QuerySolutions)  # a SELECT
    labels: dict[str, set[str]] = {}
    for row in rows:
        labels.setdefault(str(row["label"].value), set()).add(row["thing"].value)
    matches = {iri for label, iris in labels.items() if label.casefold() == text.casefold() for iri in iris}
    if len(matches) == 1:
        return ox.NamedNode(matches.pop())
    if not matches:
        import difflib

        close = difflib.get_close_matches(text, list(labels), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        kind = "resource" if type_iri == ANY_TYPE else _short(type_iri)
        raise UsageError(f"{what}: no {kind} is labelled {text!r}{hint}")
    listed = ", ".join(sorted(_short(i) for i in matches))
    kind = "" if type_iri == ANY_TYPE else f"{_short(type_iri)} "
    raise UsageError(f"{what}: {text!r} names several {kind}resources ({listed}); give an IRI or CURIE")


def _short(iri: str) -> str:
    from .namespaces import curie

    return curie(iri)


def bind(query: NamedQuery, given: dict[str, str], store: ox.Store) -> dict[str, ox.NamedNode | ox.Literal]:
    """The RDF terms for the query's parameters: the given values, else the declared defaults."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        expected = ", ".join(declared) or "none"
        raise UsageError(
            f"query {query.name} has no parameter {', '.join(unknown)} (its parameters: {expected})"
        )
    bindings: dict[str, ox.NamedNode | ox.Literal] = {}
    for param in query.params:
        value = given.get(param.name, param.default)
        if value is None:
            raise UsageError(f"query {query.name} needs --param {param.name}=… (a {param.type})")
        what = f"parameter {param.name}"
        bindings[param.name] = (
            _literal(param, value)
            if param.is_literal
            else resolve_resource(store, value, param.type_iri, what)
        )
    return bindings


# --- a VALUES block: the one way parameters are written into a query's text -------------------------------

_VARNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECLARED = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I | re.M)


def declared_prefixes(text: str) -> dict[str, str]:
    """The ``PREFIX`` declarations of a query's text, prefix (``""`` for ``:``) to namespace."""
    return {m[1] or "": m[2] for m in _DECLARED.finditer(text)}


def _sparql_term(term: ox.NamedNode | ox.Literal, prefixes: Mapping[str, str] | None) -> str:
    """The term in SPARQL syntax: N-Triples syntax (escaped by pyoxigraph), or with ``prefixes`` a prefixed
    name for an IRI and a typed literal's datatype where one of them fits."""
    from .namespaces import shorten

    if prefixes is None:
        return str(term)
    if isinstance(term, ox.NamedNode):
        return shorten(term.value, prefixes) or str(term)
    if not term.language:
        name = shorten(term.datatype.value, prefixes)
        if name:
            return '"' + term.value.replace("\\", "\\\\").replace('"', '\\"') + '"^^' + name
    return str(term)


def values_block(
    bindings: Mapping[str, ox.NamedNode | ox.Literal], prefixes: Mapping[str, str] | None = None
) -> str:
    """``VALUES (?a ?b) { (… …) }`` binding the variables to the terms (written from the terms, never
    from user text); ValueError for a name that is not a SPARQL variable or a term not an IRI or literal."""
    names, terms = [], []
    for name, term in bindings.items():
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ValueError(
                f"parameter {name}: only IRIs and literals can be bound, not {type(term).__name__}"
            )
        names.append(f"?{name}")
        terms.append(_sparql_term(term, prefixes))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def where_clause(text: str) -> tuple[int, int]:
    """The offsets of the opening ``{`` and the closing ``}`` of the query's WHERE clause, found on the
    gate's SPARQL tokens (so never in a comment, string or IRI): the group after ``WHERE``, or, without the
    keyword, the first group of the query (``ASK {…}``, ``SELECT * {…}``). ValueError when there is none."""
    from .gate import PUNCT, WORD, tokenize

    tokens, _, _ = tokenize(text)
    depth, start, seen_where = 0, None, False
    for token in tokens:
        if token.kind == WORD and token.text.upper() == "WHERE" and depth == 0:
            seen_where = True
        if token.kind != PUNCT:
            continue
        if token.text in ("{", "("):
            if token.text == "{" and depth == 0 and start is None:
                # a CONSTRUCT template is a group before WHERE: skip it
                template = not seen_where and any(
                    t.kind == WORD and t.text.upper() == "CONSTRUCT" for t in tokens if t.start < token.start
                )
                if not template:
                    start = token.start
            depth += 1
        elif token.text in ("}", ")"):
            depth -= 1
            if depth == 0 and token.text == "}" and start is not None:
                return start, token.start
    raise ValueError("the query has no WHERE clause to bind parameters in")


def with_values(
    text: str,
    bindings: Mapping[str, ox.NamedNode | ox.Literal],
    *,
    at: Literal["start", "end", "trailing"] = "start",
    prefixes: Mapping[str, str] | None = None,
    note: str | None = None,
) -> str:
    """The query's text with ``bindings`` as a ``VALUES`` block: opening its WHERE clause (``start``, on a
    line of its own after the ``{``, below ``note`` as a comment), closing it (``end``) or after the query
    (``trailing``, SPARQL 1.1 §10.2.2). In the WHERE clause the values are in scope of its FILTERs, as with
    substitution. With ``prefixes``, terms are written as prefixed names where they fit."""
    if not bindings:
        return text
    block = values_block(bindings, prefixes)
    if at == "trailing":
        return (text if text.endswith("\n") else text + "\n") + block + "\n"
    opening, closing = where_clause(text)
    if at == "end":
        return text[:closing] + "\n" + block + "\n" + text[closing:]
    indent = "  "
    comment = f"{indent}# {note}\n" if note else ""
    return f"{text[: opening + 1]}\n{comment}{indent}{block}{text[opening + 1 :]}"
