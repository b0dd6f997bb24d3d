"""What a load sends: the triples by target graph (the named graphs of the quad exports, or one graph), the
graphs a replace removes, the batches (blank-node structures kept whole) and the text of each request."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..layout import INFERRED

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph as ox

#: Triples per request: Graph Store uploads, and INSERT DATA (Virtuoso's SPARQL compiler gives up on updates
#: of some 4,000 lines: "memory exhausted", "generated SQL text has exceeded 10000 lines").
DEFAULT_BATCH_SIZE = 10_000
UPDATE_BATCH_SIZE = 1_000
BLANK_BATCH_SIZE = 250
#: The largest SPARQL Update request the Oxigraph server takes (its ``MAX_SPARQL_BODY_SIZE``: it refuses a
#: larger body with 400). A load whose one update would be larger is staged instead (:mod:`.run`).
ONE_UPDATE_LIMIT = 128 * 2**20
INFERRED_GRAPH = INFERRED  # the graph of the closure (re-exported by alliance_kg.load)

Plan = Mapping[str, Sequence["ox.Triple"]]


def graphs_to_load(
    *, graph: str | None = None, reasoned: bool = False, extra: Sequence[Path | str] = ()
) -> dict[str, list[ox.Triple]]:
    """The triples to load, by target graph IRI: the named graphs of :mod:`alliance_kg.layout` (what
    ``export --format nq`` writes; with ``reasoned``, ``…/graph/inferred`` too), or all of them in
    ``graph``. A blank node is local to one request, so an inferred triple about a blank node of an
    asserted graph reaches the store about a fresh blank node: still true (a blank node says "something"),
    but not joined to the asserted one. The bundled graph has no such triple."""
    from ..layout import build

    layout = build(extra, reasoned=reasoned)
    if graph is not None:
        return {graph: layout.closure()}
    return {g: list(layout.graphs[g]) for g in layout.named_graphs}


def obsolete_graphs(plan: Plan) -> list[str]:
    """The graphs of ours that a replace in the layout of named graphs removes when it does not bring them
    (…/graph/inferred after a load without --reasoned, …/graph/user without --data), so that the store holds
    exactly what `alliance-kg export --format nq` gives."""
    from ..layout import GRAPHS

    return [g for g in GRAPHS if g not in plan]


def check_graph_iri(iri: str) -> str:
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise UsageError(f"--graph: not an absolute IRI: {iri!r} ({exc})") from None
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", iri):
        raise UsageError(f"--graph: not an absolute IRI: {iri!r}")
    return iri


def batches(triples: Sequence[ox.Triple], size: int) -> list[list[ox.Triple]]:
    """Split ``triples`` into batches of at most ``size`` triples (more only for one blank-node structure that
    is larger), keeping every triple that shares a blank node in the same batch: a blank node label is local
    to one request, so a structure cut in two would become two. Triples with blank nodes come first, in
    batches of at most ``BLANK_BATCH_SIZE``."""
    import pyoxigraph as ox

    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def find(node: ox.BlankNode) -> ox.BlankNode:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    groups: dict[object, list[ox.Triple]] = {}
    plain: list[ox.Triple] = []
    for triple in triples:
        nodes = [t for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        if not nodes:
            plain.append(triple)
            continue
        first = find(nodes[0])
        for other in nodes[1:]:
            root = find(other)
            if root != first:
                parent[root] = first
    for triple in triples:
        nodes = [t for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        if nodes:
            groups.setdefault(find(nodes[0]), []).append(triple)
    out: list[list[ox.Triple]] = []
    # Blank-node structures go in batches of their own, smaller ones: Virtuoso compiles the INSERT … WHERE {}
    # that carries them into SQL that overflows ("exceeded 10000 lines of code") at about 1,000 triples.
    for items, limit in (([*groups.values()], min(size, BLANK_BATCH_SIZE)), ([[t] for t in plain], size)):
        current: list[ox.Triple] = []
        for group in items:
            if current and len(current) + len(group) > limit:
                out.append(current)
                current = []
            current.extend(group)
        if current:
            out.append(current)
    return out


def insert_text(graph: str, triples: Sequence[ox.Triple], body: bytes | None = None) -> str:
    """The SPARQL Update that adds ``triples`` to ``graph``: ``INSERT DATA``, or, when there are blank nodes,
    ``INSERT { … } WHERE {}`` — the same meaning (new blank nodes), which Virtuoso accepts where it refuses
    blank nodes in INSERT DATA ("SP031: Blank node … is not allowed in a constant clause")."""
    import pyoxigraph as ox

    text = (body if body is not None else ntriples(triples)).decode("utf-8")
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples):
        return f"INSERT {{ GRAPH <{graph}> {{\n{text}}} }} WHERE {{}}"
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{text}}} }}"


def one_update(
    plan: Plan, *, drop: Sequence[str] = (), marker: str | None = None, limit: int | None = None
) -> bytes | None:
    """The text of :func:`one_update_parts`, joined (None when it would pass ``limit`` bytes)."""
    parts = one_update_parts(plan, drop=drop, marker=marker, limit=limit)
    return None if parts is None else b"".join(parts)


def one_update_parts(
    plan: Plan, *, drop: Sequence[str] = (), marker: str | None = None, limit: int | None = None
) -> list[bytes] | None:
    """The one SPARQL Update that writes every graph of ``plan`` (the Oxigraph server runs one update request
    as one transaction), in parts to be sent one after the other (so that the text is held once, not once
    more joined): ``DROP GRAPH`` of ``marker`` (not SILENT: if it is gone, the update fails and changes
    nothing), ``DROP SILENT GRAPH`` of each graph of ``drop``, then one ``INSERT DATA`` with a ``GRAPH`` block
    per graph. One operation, so that a blank node label two graphs share is one node (SPARQL forbids a label
    in two operations of a request). The triples are written as Turtle without prefixes or base: full IRIs,
    ``;`` and ``,`` lists, short numbers and booleans, all of which SPARQL's triples blocks read the same
    (prefixed names are avoided: Oxigraph 0.5's SPARQL parser refuses some local names Turtle writes, e.g.
    ``p:a.b.c``). None as soon as the text would pass ``limit`` bytes."""
    parts = [f"DROP GRAPH <{marker}> ;\n".encode()] if marker else []
    parts += [f"DROP SILENT GRAPH <{graph}> ;\n".encode() for graph in drop]
    parts.append(b"INSERT DATA {\n")
    size = sum(map(len, parts)) + 2
    for graph, triples in plan.items():
        head = f"GRAPH <{graph}> {{\n".encode()
        body = turtle(triples)
        size += len(head) + len(body) + 2
        if limit is not None and size > limit:
            return None
        parts += [head, body, b"}\n"]
    parts.append(b"}\n")
    return parts


def turtle(triples: Sequence[ox.Triple]) -> bytes:
    import pyoxigraph as ox

    return ox.serialize(triples, format=ox.RdfFormat.TURTLE) or b""


def ntriples(triples: Sequence[ox.Triple]) -> bytes:
    import pyoxigraph as ox

    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
