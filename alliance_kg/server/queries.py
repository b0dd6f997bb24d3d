"""The competency queries as the query page offers them: each one's text with the CLI's default
parameter values written into it, as a ``VALUES`` block at the top of its ``WHERE`` clause, so that it
gives the same answer over HTTP as ``alliance-kg query NAME`` (which binds them as SPARQL substitutions)
and a person can see and change them."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

from .. import catalogue
from ..catalogue import NamedQuery
from ..errors import AllianceKGError

_OPENING = re.compile(r"\bWHERE\s*\{|^\s*ASK\s*\{", re.I)
_DECLARED = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I | re.M)


def _term(term: ox.NamedNode | ox.Literal, declared: Mapping[str, str]) -> str:
    """The term in SPARQL syntax, as a prefixed name where the query declares the prefix."""

    def short(iri: str) -> str | None:
        for prefix, namespace in sorted(declared.items(), key=lambda kv: -len(kv[1])):
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z0-9_][\w-]*", local or "-"):
                return f"{prefix}:{local}"
        return None

    if isinstance(term, ox.NamedNode):
        return short(term.value) or str(term)
    datatype = term.datatype.value if term.datatype else None
    if datatype and not term.language:
        name = short(datatype)
        if name:
            return '"' + term.value.replace("\\", "\\\\").replace('"', '\\"') + '"^^' + name
    return str(term)


def with_bindings(query: NamedQuery, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query's text with ``bindings`` as a ``VALUES`` block opening its ``WHERE`` clause."""
    if not bindings:
        return query.text
    declared = {m[1] or "": m[2] for m in _DECLARED.finditer(query.text)}
    names = list(bindings)
    row = " ".join(_term(bindings[n], declared) for n in names)
    block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"
    lines = query.text.split("\n")
    for index, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        match = _OPENING.search(line)
        if match:
            indent = "  "
            note = "# the parameters (the command line's defaults): change them here"
            lines[index] = f"{line[: match.end()]}\n{indent}{note}\n{indent}{block}{line[match.end() :]}"
            return "\n".join(lines)
    return query.text


def entries(store: ox.Store) -> list[dict[str, object]]:
    """The competency queries for the query page: name, title, question, form, reasoned, text."""
    from ..params import bind

    out = []
    for query in catalogue.catalogue():
        try:
            text = with_bindings(query, bind(query, {}, store))
        except AllianceKGError:  # a default that the user's data no longer has: leave it unbound
            text = query.text
        out.append(
            {
                "name": query.name,
                "title": query.title,
                "question": query.question,
                "form": query.form,
                "reasoned": query.reasoned,
                "text": text,
            }
        )
    return out
