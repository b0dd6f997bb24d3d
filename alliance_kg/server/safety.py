"""What the endpoint refuses to run, decided on the parsed query before it runs.

Oxigraph (like rdflib) evaluates ``SERVICE`` by sending the inner pattern to the URL it names, and
pyoxigraph has no option to turn that off; a SPARQL Update (``LOAD <url>`` above all) would write to the
store or fetch a document. So every query text is parsed first, with rdflib's SPARQL 1.1 grammar — a
real parser, which knows comments, string literals, IRIs, case-insensitive keywords and ``\\u`` escapes
(both parsers expand those before parsing, as SPARQL requires) — and:

- a text that parses as a SPARQL Update (``INSERT``, ``DELETE``, ``LOAD``, ``CLEAR``…) is refused (403);
- a query whose parse tree holds a ``SERVICE`` pattern anywhere (in ``OPTIONAL``, ``UNION``, ``MINUS``,
  sub-queries, ``EXISTS`` filters…) is refused (403);
- a text that rdflib cannot parse is refused (400): what cannot be parsed cannot be shown to be safe, even
  when Oxigraph would accept it.

Only a text that passes reaches Oxigraph. A regular expression would not do: ``SERVICE`` may sit in a
comment or a string literal (harmless) or be spelt ``sErViCe`` or ``\\u0053ERVICE`` (not harmless).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


class Refusal(Exception):
    """A query the endpoint will not run: ``status`` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class QueryInfo:
    form: str  # SELECT, CONSTRUCT, DESCRIBE or ASK
    has_dataset: bool  # the query names its own dataset (FROM / FROM NAMED)


_FORMS = {
    "SelectQuery": "SELECT",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
    "AskQuery": "ASK",
}
_UPDATE_NAMES = {
    "Load": "LOAD",
    "Clear": "CLEAR",
    "Drop": "DROP",
    "Create": "CREATE",
    "Add": "ADD",
    "Move": "MOVE",
    "Copy": "COPY",
    "InsertData": "INSERT DATA",
    "DeleteData": "DELETE DATA",
    "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
}


def _nodes(tree: object):
    """Every node of a pyparsing/rdflib parse tree, depth first (iteratively: trees can be deep)."""
    from pyparsing import ParseResults

    stack = [tree]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, dict):  # rdflib's CompValue is an OrderedDict
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            stack.extend(node)


def _name(node: object) -> str | None:
    return getattr(node, "name", None) if isinstance(node, dict) else None


def _describe_target(term: object) -> str:
    """`` <iri>``, `` ?var`` or `` prefix:local`` for the message, as the query wrote it."""
    from rdflib.term import Identifier

    if isinstance(term, Identifier):
        return f" {term.n3()}"
    if _name(term) == "pname":
        return f" {dict.get(term, 'prefix') or ''}:{dict.get(term, 'localname') or ''}"
    return ""


def _syntax_message(exc: Exception) -> str:
    text = str(exc)
    match = re.search(r"\(at char \d+\), \(line:(\d+), col:(\d+)\)", text)
    if match:
        reason = text[: match.start()].strip()
        return f"SPARQL syntax error at line {match[1]}, column {match[2]}: {reason}"
    return f"SPARQL syntax error: {text}"


@functools.lru_cache(maxsize=512)
def inspect(text: str) -> QueryInfo:
    """The form of a query that is safe to run; raises :class:`Refusal` for anything else."""
    from rdflib.plugins.sparql import parser

    try:
        tree = parser.parseQuery(text)
    except Exception as exc:  # pyparsing's ParseException, or ValueError for a bad \\u escape
        update = _update_operations(text)
        if update:
            raise Refusal(
                403,
                f"this endpoint is read-only: SPARQL Update ({', '.join(update)}) is refused"
                + (" — LOAD would fetch a URL, which this server never does" if "LOAD" in update else ""),
            ) from None
        raise Refusal(
            400,
            f"{_syntax_message(exc)}\n(every query is parsed before it runs, to refuse SERVICE and updates; "
            "a text that cannot be parsed is refused)",
        ) from None
    form = None
    has_dataset = False
    for node in _nodes(tree):
        name = _name(node)
        if name == "ServiceGraphPattern":
            where = _describe_target(
                dict.get(node, "term")
            )  # CompValue.get answers the key when it is missing
            raise Refusal(
                403,
                f"SERVICE{where} is refused: this endpoint does not run federated queries, and never fetches "
                "a URL for a query",
            )
        if name in _FORMS and form is None:
            form = _FORMS[name]
            has_dataset = bool(dict.get(node, "datasetClause"))
    if form is None:  # pragma: no cover - the grammar only yields the four forms
        raise Refusal(400, "not a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE)")
    return QueryInfo(form, has_dataset)


def _update_operations(text: str) -> list[str]:
    """The operations of ``text`` if it parses as a SPARQL Update, else an empty list."""
    from rdflib.plugins.sparql import parser

    try:
        tree = parser.parseUpdate(text)
    except Exception:
        return []
    names = []
    for node in _nodes(tree):
        name = _UPDATE_NAMES.get(_name(node) or "")
        if name and name not in names:
            names.append(name)
    return names or ["an update"]


def warm_up() -> None:
    """Import and exercise the parser once, so that the first real query does not pay for it."""
    inspect("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
