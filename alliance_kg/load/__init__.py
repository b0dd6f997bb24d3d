"""Push the graph into a SPARQL 1.1 triple store (``alliance-kg load``).

How a load goes (:func:`load`):

1. The graph is read as the quad exports give it, one named graph per part (``…/graph/ontology``,
   ``…/graph/data``, ``…/graph/vocabularies``, ``…/graph/sources``, ``…/graph/provenance``,
   ``…/graph/user`` for ``--data`` files, ``…/graph/inferred`` with ``--reasoned``), or all of it into the
   one graph ``--graph`` names (:mod:`.plan`).
2. The staging graphs an earlier, interrupted load left in the store are found by their prefix
   (``urn:alliance-kg:staging:``) and removed, and the load says so (:mod:`.staging`).
3. Into the Oxigraph server (known by its Server header), with ``--protocol auto`` and no ``--batch-size``:
   a marker graph of one triple (``urn:alliance-kg:staging:<run>:publishing``) is written, then one SPARQL
   Update request carries everything — ``DROP GRAPH`` of the marker, ``DROP SILENT GRAPH`` of each graph it
   replaces, one ``INSERT DATA`` with a ``GRAPH`` block per graph (Turtle without prefixes) — which the
   server runs as one transaction: killed before it, or during it, the store holds the previous version.
   Each triple is written once, as a Graph Store PUT would (measured at 0.9-1.3x the CPU, store and client,
   of a PUT of the same triples at 100k and 1M, where staging and ``MOVE``, a copy and a delete, cost 2.4x
   its wall time at 100k). The marker says whether a lost answer was
   applied (gone once it is) and makes the update fail, changing nothing, if another load removed it. Over
   what the server takes in one request (128 MiB), or if it refuses the text (400, 413), the load is staged.
4. Elsewhere (Virtuoso, Fuseki, GraphDB, any other), and with ``--batch-size``, each graph is written into a
   staging graph of its own, named after this load and its target: with the SPARQL 1.1 Graph Store HTTP
   Protocol (PUT of the first batch, POST of the next ones), or, for a store without it (the endpoint answers
   404, 405, 415 or 501), with SPARQL 1.1 Update ``INSERT DATA`` in batches. Blank nodes never straddle two
   batches. The staged counts are checked against ours. One SPARQL Update request then publishes every
   staging graph: ``MOVE`` over the target (replace) or ``ADD`` and ``DROP`` (append). Until that request
   the targets are untouched, so a load that fails midway — the store goes away, refuses, stops answering,
   or the user interrupts — leaves the previous version in place, and the next load removes the staging
   graphs. The request is never sent twice (a second ``MOVE`` would empty the targets on Virtuoso): if its
   answer is lost, the store is asked whether the staging graphs are gone. (A plain Graph Store PUT would
   not do: the protocol does not promise it is atomic, Oxigraph's server clears the graph and loads the body
   as two operations, and Virtuoso killed during a PUT came back with the graph empty.) On Virtuoso a
   checkpoint follows.
5. The triple count of every target graph is read back and compared with ours (in the one update, only
   then: a store that merges literals it takes for equal fails the check with the new version in place).

``--protocol graph-store`` skips the staging and writes the targets directly with PUT/POST, for stores that
have no SPARQL Update endpoint; it is then as atomic as the store's PUT.

Time: each request waits at most ``timeout`` seconds to connect (5 s at most) and for each read of its
answer; the whole load, retries included, at most ``deadline`` seconds (the publishing update, or the one
update, may use all that is left). Connection errors, timeouts and 5xx answers are retried with exponential
backoff (:mod:`.client`); a store that stays unreachable, does not answer before the deadline, or refuses
(401, 403, other 4xx) raises :class:`StoreError` (exit code 3) with the store's own message. Ctrl-C abandons
the request in flight at once and raises :class:`Interrupted` (exit code 130); the staging graphs written so
far stay for the next load to remove, so that the interrupt waits for nothing.

Credentials come only from the environment variable named by ``auth_env`` and are never printed; a password
written in a URL (``http://user:password@host/…``) is sent as basic authentication and masked
(``user:***@host``) in every line a load prints and in every error it raises.

Modules: :mod:`.plan` (what to send), :mod:`.client` (HTTP: retries, timeouts, endpoints, credentials,
masking), :mod:`.staging` (staging graph names, leftovers), :mod:`.run` (the load, its report).
"""

from __future__ import annotations

from .client import (
    AUTH_SCHEMES,
    CONNECT_TIMEOUT,
    DEFAULT_BACKOFF,
    DEFAULT_DEADLINE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    AnswerLost,
    Client,
    Endpoints,
    Masker,
    StoreUnreachable,
    credentials,
    endpoints,
    redact,
    store_message,
)
from .plan import (
    BLANK_BATCH_SIZE,
    DEFAULT_BATCH_SIZE,
    INFERRED_GRAPH,
    UPDATE_BATCH_SIZE,
    batches,
    graphs_to_load,
    insert_text,
    obsolete_graphs,
)
from .run import MODES, PROTOCOLS, GraphLoad, Interrupted, LoadReport, load, progress_on_stderr, render
from .staging import STAGING_PREFIX, Staging, new_run, staging_graph

__all__ = [
    "AUTH_SCHEMES",
    "BLANK_BATCH_SIZE",
    "CONNECT_TIMEOUT",
    "DEFAULT_BACKOFF",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_DEADLINE",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "INFERRED_GRAPH",
    "MODES",
    "PROTOCOLS",
    "STAGING_PREFIX",
    "UPDATE_BATCH_SIZE",
    "AnswerLost",
    "Client",
    "Endpoints",
    "GraphLoad",
    "Interrupted",
    "LoadReport",
    "Masker",
    "Staging",
    "StoreUnreachable",
    "batches",
    "credentials",
    "endpoints",
    "graphs_to_load",
    "insert_text",
    "load",
    "new_run",
    "obsolete_graphs",
    "progress_on_stderr",
    "redact",
    "render",
    "staging_graph",
    "store_message",
]
