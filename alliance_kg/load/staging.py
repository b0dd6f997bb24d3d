"""Staging graphs: their names, and finding and removing those an interrupted load left behind.

Every staging graph is named under one prefix, :data:`STAGING_PREFIX`, whatever its target::

    urn:alliance-kg:staging:<UTC time>-<process id>-<random>:<target graph IRI, percent-encoded>
    urn:alliance-kg:staging:20250916T101500Z-48213-9f3a2c1b:https%3A%2F%2Fw3id.org%2Falliance-kg%2Fgraph%2Fdata

so that one query finds the leftovers of any earlier load, whichever graphs it was loading (and those of
alliance-kg 0.1, named ``urn:alliance-kg:staging:<hash>``), and the name says which load left each and for
which graph. Every load removes them before it stages anything (:func:`find`, :func:`remove`).

A load that writes every graph in one update (Oxigraph) stages nothing; it first writes a *marker*, a graph of
one triple under the same prefix (:func:`marker_graph`, ``…:<run>:publishing``), which its update drops: the
marker is there until the update is applied, and gone once it is (what a lost answer is checked against), and
a load killed before that leaves it for the next load to remove, like a staging graph.

Listing graphs differs between stores: ``GRAPH ?g {}`` lists the named graphs of Oxigraph, Jena and RDF4J
(empty ones too) without reading their triples, but gives nothing on Virtuoso, whose graphs exist only
through their triples; there, and wherever ``GRAPH ?g {}`` lists nothing at all, the graphs are found by
their triples (``GRAPH ?g { ?s ?p ?o }``, a scan of the store: about 2 s a million triples on Oxigraph).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from .client import Client

STAGING_PREFIX = "urn:alliance-kg:staging:"
_NAME = re.compile(
    re.escape(STAGING_PREFIX)
    + r"(?P<run>(?P<time>\d{8}T\d{6}Z)-(?P<pid>\d+)-(?P<random>[0-9a-f]{8})):(?P<target>.+)"
)
_PREFIX_FILTER = f'FILTER(STRSTARTS(STR(?g), "{STAGING_PREFIX}"))'


def new_run() -> str:
    """The name of one load's staging graphs: its start (UTC), its process id, and random hex digits."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}-{secrets.token_hex(4)}"


def staging_graph(target: str, run: str) -> str:
    """The staging graph of ``target`` in the load ``run`` (:func:`new_run`)."""
    return f"{STAGING_PREFIX}{run}:{quote(target, safe='')}"


#: The last part of a marker's name (:func:`marker_graph`), where a staging graph has its target.
MARKER = "publishing"


def marker_graph(run: str) -> str:
    """The marker of the load ``run`` that writes every graph in one update (see above)."""
    return f"{STAGING_PREFIX}{run}:{MARKER}"


def marker_text(marker: str, targets: Sequence[str]) -> str:
    """The SPARQL Update that writes the marker: one triple that says what it is for."""
    note = f"alliance-kg load: dropped by the update that writes {len(targets)} graph(s)"
    return (
        f"INSERT DATA {{ GRAPH <{marker}> {{ <{marker}> <http://www.w3.org/2000/01/rdf-schema#comment> "
        f'"{note}" }} }}'
    )


@dataclass(frozen=True)
class Staging:
    """A staging graph found in a store: its name, its triples and, from its name, who left it."""

    graph: str
    triples: int

    @property
    def _match(self) -> re.Match[str] | None:
        return _NAME.fullmatch(self.graph)

    @property
    def run(self) -> str:
        """The load that staged it (an earlier version's staging graphs are each their own)."""
        match = self._match
        return match["run"] if match else self.graph

    @property
    def target(self) -> str | None:
        match = self._match
        return unquote(match["target"]) if match else None

    @property
    def started(self) -> datetime | None:
        match = self._match
        return datetime.strptime(match["time"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) if match else None

    @property
    def pid(self) -> int | None:
        match = self._match
        return int(match["pid"]) if match else None

    @property
    def marker(self) -> bool:
        """The marker of a load that writes every graph in one update (:func:`marker_graph`)."""
        match = self._match
        return match is not None and match["target"] == MARKER

    def describe(self) -> str:
        if self._match is None:
            return f"<{self.graph}>: {self.triples:,} triples (left by an earlier version of alliance-kg)"
        started = f"{self.started:%Y-%m-%d %H:%M:%S} UTC" if self.started else "?"
        if self.marker:
            return (
                f"<{self.graph}>: the marker of a load started {started} (process {self.pid}) that did not "
                "get to write the graphs"
            )
        return (
            f"<{self.graph}>: {self.triples:,} triples, staged for <{self.target}> by a load started "
            f"{started} (process {self.pid})"
        )


def summary(found: Sequence[Staging]) -> str:
    """``removed 2 leftover staging graphs (150,000 triples) from an earlier interrupted load``."""
    graphs, runs, triples = len(found), len({s.run for s in found}), sum(s.triples for s in found)
    loads = "an earlier interrupted load" if runs == 1 else f"{runs} earlier interrupted loads"
    return (
        f"removed {graphs} leftover staging graph{'s' if graphs != 1 else ''} "
        f"({triples:,} triple{'s' if triples != 1 else ''}) from {loads}"
    )


def find(client: Client) -> list[Staging]:
    """The staging graphs in the store, with their triple counts."""
    probe = client.select("SELECT ?g WHERE { GRAPH ?g {} } LIMIT 1", what="list the named graphs")
    if any("g" in row for row in probe):
        rows = client.select(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{}} {_PREFIX_FILTER} }}",
            what="find leftover staging graphs",
        )
        names = sorted({row["g"].value for row in rows if "g" in row})
        if not names:
            return []
        values = " ".join(f"<{name}>" for name in names)
        counted = client.select(
            f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} "
            "GROUP BY ?g",
            what="count the leftover staging graphs",
        )
        counts = {row["g"].value: int(row["n"].value) for row in counted if "g" in row and "n" in row}
        return [Staging(name, counts.get(name, 0)) for name in names]
    rows = client.select(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {_PREFIX_FILTER} }} GROUP BY ?g",
        what="find leftover staging graphs",
    )
    return sorted(
        (Staging(row["g"].value, int(row["n"].value)) for row in rows if "g" in row and "n" in row),
        key=lambda s: s.graph,
    )


def remove(
    client: Client, found: Sequence[Staging], *, graph_store: bool = False, timeout: float | None = None
) -> None:
    """Drop ``found``: with one SPARQL Update, or, for a store written with the Graph Store Protocol alone,
    with a DELETE of each graph. ``timeout`` replaces the client's timeout for each of these requests: a
    drop can be slow (Virtuoso took 57 s to drop 154,000 staged triples after an abandoned ``MOVE``, on a busy
    machine), and a store that stops a request when its client gives up (Virtuoso does) would never finish
    one within a shorter timeout, however often it is resent."""
    if not found:
        return
    if graph_store:
        for staging in found:
            client.delete_graph(staging.graph, what="remove a leftover staging graph", timeout=timeout)
        return
    client.update(
        " ;\n".join(f"DROP SILENT GRAPH <{s.graph}>" for s in found),
        what="remove the leftover staging graphs",
        timeout=timeout,
    )
