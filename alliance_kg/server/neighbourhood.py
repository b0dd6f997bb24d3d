"""A resource's neighbourhood in the graph, as cytoscape.js elements: what its page draws
(``static/graph.js`` reads them from ``<script type="application/json" id="akg-graph-data">``).

The nodes are the resource (``kind`` ``"focus"``), the resources its facts point to and the resources whose
facts point to it (``"resource"``), and its classes (``"class"``: the objects of its ``rdf:type``, and any
neighbour that is itself an ``owl:Class`` or ``rdfs:Class``). Each node's ``data`` has ``id`` (the IRI),
``label`` (in the language asked for) and, when the IRI has a page or is an http(s) address, ``href`` (the
local address of a graph IRI, see :meth:`alliance_kg.server.pages.Site.href`); an IRI of another scheme
(``javascript:``…) gets no ``href``. Each edge is one triple: ``source`` and ``target`` the node IRIs,
``label`` the property's label (or CURIE). Literals are left out (the page's facts table lists them), and so
are blank nodes and the statement nodes (``rdf:Statement``, the reifications that record the source of each
fact: a source's page lists the facts it supports).

At most :data:`MAX_NODES` nodes, so that the picture stays readable: the outgoing links first, then the
incoming ones, each by property label then by neighbour label; the order is deterministic.
"""

from __future__ import annotations

from typing import Literal

import pyoxigraph as ox

from ..formats import labels_for
from ..namespaces import OWL, RDF, RDFS
from .pages import Site
from .resources import term_label

MAX_NODES = 40

Kind = Literal["focus", "resource", "literal", "class"]
Element = dict[str, dict[str, str]]

_TYPE = ox.NamedNode(RDF + "type")
_CLASSES = (ox.NamedNode(OWL + "Class"), ox.NamedNode(RDFS + "Class"))
_STATEMENT = ox.NamedNode(RDF + "Statement")
_REIFICATION = (ox.NamedNode(RDF + "subject"), ox.NamedNode(RDF + "object"))


def _is_a(store: ox.Store, node: ox.NamedNode, *classes: ox.NamedNode) -> bool:
    return any(next(iter(store.quads_for_pattern(node, _TYPE, c, None)), None) for c in classes)


def elements(store: ox.Store, iri: str, lang: str, site: Site) -> list[Element]:
    """The neighbourhood of ``iri`` in ``store`` (the pages store) as cytoscape.js elements: the nodes,
    the focus first, then the edges (see the module's docstring)."""
    focus = ox.NamedNode(iri)
    links: list[tuple[int, str, str, str]] = []  # direction (0 out, 1 in), predicate, source, target
    for quad in store.quads_for_pattern(focus, None, None, None):
        if isinstance(quad.object, ox.NamedNode) and not _is_a(store, quad.object, _STATEMENT):
            links.append((0, quad.predicate.value, iri, quad.object.value))
    for quad in store.quads_for_pattern(None, None, focus, None):
        subject = quad.subject
        if (
            isinstance(subject, ox.NamedNode)
            and quad.predicate not in _REIFICATION
            and not _is_a(store, subject, _STATEMENT)
        ):
            links.append((1, quad.predicate.value, subject.value, iri))
    labels = labels_for(
        store,
        {iri} | {p for _, p, s, t in links} | {s for _, _, s, _ in links} | {t for _, _, _, t in links},
        lang,
    )

    def neighbour(link: tuple[int, str, str, str]) -> str:
        return link[3] if link[0] == 0 else link[2]

    links.sort(
        key=lambda link: (
            link[0],
            link[1] != RDF + "type",
            term_label(link[1], labels).casefold(),
            term_label(neighbour(link), labels).casefold(),
            link[1],
            neighbour(link),
        )
    )
    classes = {t for direction, p, _, t in links if direction == 0 and p == RDF + "type"}
    nodes: dict[str, Element] = {iri: _node(iri, term_label(iri, labels), "focus", site)}
    edges: list[Element] = []
    for _, predicate, source, target in links:
        other = target if source == iri else source
        if other not in nodes:
            if len(nodes) >= MAX_NODES:
                continue
            kind: Kind = (
                "class" if other in classes or _is_a(store, ox.NamedNode(other), *_CLASSES) else "resource"
            )
            nodes[other] = _node(other, term_label(other, labels), kind, site)
        edge = {
            "id": f"{source} {predicate} {target}",  # no IRI holds a space: one id a triple
            "source": source,
            "target": target,
            "label": term_label(predicate, labels),
        }
        edges.append({"data": edge})
    return [*nodes.values(), *edges]


def _node(iri: str, label: str, kind: Kind, site: Site) -> Element:
    data = {"id": iri, "label": label, "kind": kind}
    href = site.href(iri)
    if href is not None:
        data["href"] = href
    return {"data": data}


__all__ = ["MAX_NODES", "elements"]
