"""The competency queries as the query page offers them: each one's text with the CLI's default
parameter values written into it, as a ``VALUES`` block at the top of its ``WHERE`` clause, so that it
gives the same answer over HTTP as ``alliance-kg query NAME`` (which binds them as SPARQL substitutions)
and a person can see and change them."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from .. import catalogue
from ..catalogue import NamedQuery
from ..errors import AllianceKGError


def with_bindings(query: NamedQuery, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query's text with ``bindings`` as a ``VALUES`` block opening its ``WHERE`` clause, terms as
    prefixed names where the query declares the prefix (see :func:`alliance_kg.params.with_values`)."""
    from ..params import declared_prefixes, with_values

    try:
        return with_values(
            query.text,
            bindings,
            prefixes=declared_prefixes(query.text),
            note="the parameters (the command line's defaults): change them here",
        )
    except ValueError:  # no WHERE clause to write them into
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
