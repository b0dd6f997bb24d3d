"""The data the server serves, loaded once at start-up.

Two Oxigraph stores hold it:

- the **dataset**, what the SPARQL endpoints query: one named graph per part of the graph, laid out by
  :mod:`alliance_kg.layout` as in the quad exports (``…/graph/ontology``, ``…/graph/data``,
  ``…/graph/vocabularies``, ``…/graph/sources``, ``…/graph/provenance``, ``…/graph/user`` for the
  ``--data`` files) and, unless reasoning is off, ``…/graph/inferred``: what the OWL 2 RL closure (cached
  by ``alliance_kg.reasoning``) adds to them. The plain endpoint's default graph is the union of the
  asserted graphs, so a query gets the same answers as ``alliance-kg query``; the reasoned endpoint's is
  the union of every graph, the closure that ``alliance-kg query --reasoned`` queries.
- the **pages** store, everything asserted in its default graph (what ``alliance-kg describe`` reads),
  for the resource pages and descriptions.

The files are read as by every command, through :mod:`alliance_kg.rdfinput` (Turtle, N-Triples, N-Quads,
TriG, RDF/XML, JSON-LD, N3, by extension; every graph of a quad file goes to ``…/graph/user``), within its
limits: a file that would expand without bound (XML entities, deep nesting, huge terms, costly JSON-LD
contexts) makes the server refuse to start, with the message and exit code of the CLI (2). Loading never
fetches anything: external XML entities and remote JSON-LD contexts are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .. import layout as kg_layout
from ..layout import DATA as DATA_GRAPH  # noqa: F401  (the names other modules used to import from here)
from ..layout import INFERRED as INFERRED_GRAPH
from ..layout import ONTOLOGY as ONTOLOGY_GRAPH  # noqa: F401
from ..layout import PROVENANCE as PROVENANCE_GRAPH  # noqa: F401
from ..layout import SOURCES as SOURCES_GRAPH  # noqa: F401
from ..layout import USER as USER_GRAPH  # noqa: F401
from ..layout import VOCABULARIES as VOCABULARY_GRAPH  # noqa: F401
from ..layout import Layout


@dataclass
class ServedData:
    dataset: ox.Store
    pages: ox.Store
    asserted_graphs: tuple[str, ...]  # the non-empty asserted graphs, in a stable order
    inferred_graph: str | None  # None when reasoning is off
    graph_sizes: dict[str, int] = field(default_factory=dict)
    layout: Layout | None = None  # what the stores were built from (alliance_kg.layout)

    @property
    def graphs(self) -> tuple[str, ...]:
        """Every non-empty named graph of the dataset (and ``inferred`` whenever reasoning is on)."""
        return self.asserted_graphs + ((self.inferred_graph,) if self.inferred_graph else ())


def load(
    extra: Sequence[Path | str] = (),
    *,
    reasoning: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> ServedData:
    """The served data, laid out by :mod:`alliance_kg.layout` (with ``inferred`` unless ``reasoning`` is
    off); the closure comes from the reasoning cache, computed first if need be (``log`` says so)."""
    built = kg_layout.build(
        extra,
        reasoned=reasoning,
        on_compute=lambda: log("computing the OWL 2 RL closure (a few seconds; cached for the next start)…"),
    )
    dataset = built.store()
    pages = ox.Store()
    pages.extend(ox.Quad(t.subject, t.predicate, t.object) for t in built.default_graph())
    sizes = built.sizes()
    if reasoning:
        sizes.setdefault(INFERRED_GRAPH, 0)
    return ServedData(
        dataset,
        pages,
        built.asserted_graphs,
        INFERRED_GRAPH if reasoning else None,
        sizes,
        built,
    )
