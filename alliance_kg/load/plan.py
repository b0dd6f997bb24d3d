"""What a load sends: the triples by target graph (the named graphs of the quad exports, or one graph), the
graphs a replace removes, the batches (blank-node structures kept whole) and the text of each request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..namespaces import GRAPH

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph as ox

#: Triples per request: Graph Store uploads, and INSERT DATA (Virtuoso's SPARQL compiler gives up on updates
#: of some 4,000 lines: "memory exhausted", "generated SQL text has exceeded 10000 lines").
DEFAULT_BATCH_SIZE = 10_000
UPDATE_BATCH_SIZE = 1_000
BLANK_BATCH_SIZE = 250
INFERRED_GRAPH = GRAPH + "inferred"

Plan = Mapping[str, Sequence["ox.Triple"]]


def _parse(path: Path, *, data: bytes | None = None) -> list[ox.Triple]:
    """The triples of one file, read by the one reader of every command (with its limits)."""
    from ..rdfinput import read_triples

    return read_triples(path, data=data)


def graphs_to_load(
    *, graph: str | None = None, reasoned: bool = False, extra: Sequence[Path | str] = ()
) -> dict[str, list[ox.Triple]]:
    """The triples to load, by target graph IRI: the named graphs of the quad exports, or everything in
    ``graph``. With ``reasoned``, what OWL 2 RL infers (and is not asserted) goes to ``…/graph/inferred``."""
    from .. import paths
    from ..graph import DATA_GRAPH, ONTOLOGY_GRAPH, USER_GRAPH, named_graph_of

    parts: dict[str, dict[ox.Triple, None]] = {}

    def add(target: str, triples: Iterable[ox.Triple]) -> None:
        parts.setdefault(target, {}).update(dict.fromkeys(triples))

    add(str(ONTOLOGY_GRAPH), _parse(paths.ontology_file()))
    for path in paths.graph_files():
        add(str(named_graph_of(path)), _parse(path))
    for path in extra:
        add(str(USER_GRAPH), _parse(Path(path)))
    if reasoned:
        import pyoxigraph as ox

        from ..reasoning import cached_closure

        # Blank nodes get new labels in the closure, so its triples about the ontology's blank nodes (RDF
        # lists, and owlrl's statements about them) cannot be told from the asserted ones: they are left out.
        asserted = {t for triples in parts.values() for t in triples}
        add(
            INFERRED_GRAPH,
            (
                t
                for t in _parse(cached_closure(extra))
                if t not in asserted
                and not isinstance(t.subject, ox.BlankNode)
                and not isinstance(t.object, ox.BlankNode)
            ),
        )
    if graph is not None:
        union: dict[ox.Triple, None] = {}
        for triples in parts.values():
            union.update(triples)
        return {graph: list(union)}
    order = [str(ONTOLOGY_GRAPH), str(DATA_GRAPH)]
    ordered = sorted(parts, key=lambda g: (order.index(g) if g in order else len(order), g))
    return {g: list(parts[g]) for g in ordered if parts[g]}


def obsolete_graphs(plan: Plan) -> list[str]:
    """The graphs of ours that a replace in the layout of named graphs removes when it does not bring them
    (…/graph/inferred after a load without --reasoned, …/graph/user without --data), so that the store holds
    exactly what `alliance-kg export --format nq` gives."""
    from ..graph import USER_GRAPH

    return [g for g in (INFERRED_GRAPH, str(USER_GRAPH)) if g not in plan]


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


def ntriples(triples: Sequence[ox.Triple]) -> bytes:
    import pyoxigraph as ox

    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
