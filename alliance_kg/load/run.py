"""The load itself (``alliance-kg load``): remove the leftovers of earlier loads, write every graph in one
update (Oxigraph) or stage and publish in one update (the other stores), verify; and what it reports, on
success, on failure and when interrupted. See :mod:`alliance_kg.load`."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AllianceKGError, CheckFailed, StoreError, UsageError
from . import staging
from .client import (
    DEFAULT_BACKOFF,
    DEFAULT_DEADLINE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    AnswerLost,
    Client,
    Masker,
    Progress,
    Refused,
    StoreUnreachable,
    Unsupported,
    credentials,
    endpoints,
    quiet,
    redact,
)
from .plan import (
    DEFAULT_BATCH_SIZE,
    ONE_UPDATE_LIMIT,
    UPDATE_BATCH_SIZE,
    Plan,
    batches,
    check_graph_iri,
    graphs_to_load,
    insert_text,
    ntriples,
    obsolete_graphs,
    one_update_parts,
)

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph as ox

PROTOCOLS = ("auto", "graph-store", "update")
MODES = ("replace", "append")
#: Seconds a clean-up after a failure may take (it is best effort: the next load removes what stays).
CLEAN_TIMEOUT = 5.0
#: Refusals of the one update that mean "not like that" rather than "not at all" (its size, a construct its
#: SPARQL parser does not take): the load is staged instead.
_RESTAGE = frozenset({400, 413})


def progress_on_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Interrupted(KeyboardInterrupt):
    """The load was interrupted (Ctrl-C, SIGINT); the message says what the store holds."""


# --- the result ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphLoad:
    """One target graph: how many triples we sent, how many the store holds afterwards (and before, when
    appending)."""

    graph: str
    triples: int
    in_store: int
    before: int | None = None

    @property
    def verified(self) -> bool:
        if self.before is None:
            return self.in_store == self.triples
        return max(self.before, self.triples) <= self.in_store <= self.before + self.triples


@dataclass
class LoadReport:
    endpoint: str  # as shown: any password masked
    protocol: str  # "graph-store" or "update": how the triples went in
    mode: str  # "replace" or "append"
    staged: bool  # through staging graphs and one publishing update (atomic), or written directly
    one_update: bool = False  # every graph written by one update request (one transaction: atomic)
    graphs: list[GraphLoad] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # graphs of ours that a replace removed (e.g. inferred)
    leftovers: list[staging.Staging] = field(default_factory=list)  # removed before this load staged
    seconds: float = 0.0
    retries: int = 0
    requests: int = 0

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs)

    @property
    def verified(self) -> bool:
        return all(g.verified for g in self.graphs)


def render(report: LoadReport) -> str:
    """The summary the CLI prints: what was removed, one line per graph, then the total."""
    lines = [staging.summary(report.leftovers)] if report.leftovers else []
    for g in report.graphs:
        if g.before is None:
            lines.append(f"verified: <{g.graph}> holds {g.in_store:,} triples, as many as we sent")
        else:
            lines.append(
                f"verified: <{g.graph}> holds {g.in_store:,} triples "
                f"({g.before:,} before, {g.triples:,} sent)"
            )
    for dropped in report.dropped:
        lines.append(f"dropped: <{dropped}> (not part of this load)")
    how = "Graph Store Protocol" if report.protocol == "graph-store" else "SPARQL Update"
    if report.one_update:
        atomic = "written in one update, one transaction"
    else:
        atomic = "staged, then published in one update" if report.staged else "written directly"
    retried = f", {report.retries} retried" if report.retries else ""
    lines.append(
        f"loaded {report.triples:,} triples into {len(report.graphs)} graph(s) of {report.endpoint} "
        f"({how}, {report.mode}, {atomic}) in {report.seconds:.2f} s, {report.requests} requests{retried}"
    )
    return "\n".join(lines)


# --- the load -----------------------------------------------------------------------------------------------


def load(
    endpoint: str,
    *,
    graph: str | None = None,
    mode: str = "replace",
    reasoned: bool = False,
    extra: Sequence[Path | str] = (),
    protocol: str = "auto",
    query_endpoint: str | None = None,
    update_endpoint: str | None = None,
    auth: str | None = None,
    auth_env: str | None = None,
    batch_size: int | None = None,
    retries: int = DEFAULT_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
    backoff: float = DEFAULT_BACKOFF,
    progress: Progress = quiet,
    triples: Mapping[str, Sequence[ox.Triple]] | None = None,
) -> LoadReport:
    """Load the graph (or ``triples``, by target graph) into the store at ``endpoint`` and verify the counts,
    within ``deadline`` seconds. Raises :class:`StoreError` when the store is unreachable, does not answer in
    time or refuses, :class:`CheckFailed` when the counts read back differ from ours, :class:`UsageError` for
    contradictory options, :class:`Interrupted` on Ctrl-C. No message, progress line or exception text
    carries a password written in a URL."""
    mask = Masker((endpoint, query_endpoint, update_endpoint))

    def say(message: str) -> None:
        progress(mask(message))

    loader: _Loader | None = None
    try:
        _check_options(mode, protocol, batch_size, retries, timeout, deadline, graph)
        urls = endpoints(endpoint, query_endpoint=query_endpoint, update_endpoint=update_endpoint)
        auth_object, auth_headers = credentials(auth, auth_env)
        started = time.monotonic()
        if triples is None:
            plan = graphs_to_load(graph=graph, reasoned=reasoned, extra=extra)
        else:
            plan = {g: list(t) for g, t in triples.items() if t}
        total = sum(len(t) for t in plan.values())
        say(f"loading {total:,} triples in {len(plan)} graph(s) into {urls.graph_store} ({mode})")
        with Client(
            urls,
            auth=auth_object,
            headers=auth_headers,
            retries=retries,
            timeout=timeout,
            deadline=deadline,
            backoff=backoff,
            progress=say,
        ) as client:
            loader = _Loader(client, plan, mode=mode, protocol=protocol, batch_size=batch_size, progress=say)
            if mode == "replace" and graph is None and triples is None:
                loader.obsolete = obsolete_graphs(plan)
            report = loader.run()
        report.seconds = time.monotonic() - started
        report.retries = client.retried
        report.requests = client.requests
        if not report.verified:
            wrong = [g for g in report.graphs if not g.verified]
            detail = "; ".join(
                f"<{g.graph}> holds {g.in_store:,} triples, we sent {g.triples:,}"
                + ("" if g.before is None else f" onto {g.before:,}")
                for g in wrong
            )
            raise CheckFailed(f"the store's counts differ from ours after the load: {detail}")
        return report
    except AllianceKGError as exc:
        exc.args = (mask(str(exc)),)
        raise
    except KeyboardInterrupt:
        raise Interrupted(mask(loader.interrupted() if loader else "nothing was sent to the store")) from None


def _check_options(
    mode: str,
    protocol: str,
    batch_size: int | None,
    retries: int,
    timeout: float,
    deadline: float,
    graph: str | None,
) -> None:
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r} (replace or append)")
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown --protocol {protocol!r} (one of {', '.join(PROTOCOLS)})")
    if batch_size is not None and batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    if retries < 0:
        raise UsageError("--retries cannot be negative")
    if not timeout > 0:
        raise UsageError("--timeout must be positive")
    if not deadline > 0:
        raise UsageError("--deadline must be positive")
    if graph is not None:
        check_graph_iri(graph)


class _Loader:
    """One load, step by step; :attr:`phase` says how far it went (for the message when interrupted)."""

    def __init__(
        self,
        client: Client,
        plan: Plan,
        *,
        mode: str,
        protocol: str,
        batch_size: int | None,
        progress: Progress,
    ) -> None:
        self.client = client
        self.plan = plan
        self.mode = mode
        self.protocol = "update" if protocol == "update" else "graph-store"
        self.fallback = protocol == "auto"
        self.direct = protocol == "graph-store"
        self.batch_size = batch_size
        self.progress = progress
        self.obsolete: list[str] = []
        self.checkpointed = False
        self.total = sum(len(t) for t in plan.values())
        self.sent = 0
        self.phase = "starting"  # leftovers, staging, publishing, published, writing

    def run(self) -> LoadReport:
        urls = self.client.urls
        report = LoadReport(
            redact(urls.graph_store if self.protocol == "graph-store" else urls.update),
            self.protocol,
            self.mode,
            staged=not self.direct,
        )
        self._remove_leftovers(report)
        if self.direct:
            self._write_directly(report)
        elif not (self._one_update_fits() and self._write_in_one_update(report)):
            self._stage_and_publish(report)
        report.protocol = self.protocol
        if self.protocol == "update":
            report.endpoint = redact(urls.update)
        return report

    def interrupted(self) -> str:
        """What the store holds after an interrupt in the current phase."""
        if self.phase in {"starting", "leftovers"} or (self.phase == "staging" and not self.sent):
            return "nothing was published; the store holds what it held before"
        if self.phase == "marking":
            return (
                "nothing was published; the store holds what it held before, and the marker of this load "
                "stays until the next load removes it"
            )
        if self.phase == "staging":
            return (
                "nothing was published; the store holds what it held before, and the staging graphs "
                "written so far stay until the next load removes them"
            )
        if self.phase == "publishing":
            return (
                "while the publishing update was on its way: the store may still apply it. It is one atomic "
                "update, so each graph holds either its previous version or this one; load again to be sure"
            )
        if self.phase == "writing":
            return "while writing the graphs directly (--protocol graph-store): they may be incomplete"
        return "after publishing: the graphs are loaded, but their counts were not verified"

    # --- leftovers -----------------------------------------------------------------------------------------

    def _remove_leftovers(self, report: LoadReport) -> None:
        self.phase = "leftovers"
        found = staging.find(self.client)
        if not found:
            return
        # As long as it takes, within the deadline: see staging.remove.
        wait = max(self.client.timeout, self.client.remaining())
        staging.remove(self.client, found, graph_store=self.direct, timeout=wait)
        report.leftovers = found
        self.progress(staging.summary(found))
        for leftover in found:
            self.progress(f"  {leftover.describe()}")

    # --- in one update (Oxigraph) --------------------------------------------------------------------------

    def _one_update_fits(self) -> bool:
        """Whether to write every graph with one SPARQL Update request: into the Oxigraph server, which runs
        one request as one transaction (killed before it, or during it, the store holds the previous
        version), with ``--protocol auto`` and no ``--batch-size`` (which asks for staging in batches). The
        store is known by the Server header of its first answers. Measured on Oxigraph 0.5.13 against a
        plain Graph Store PUT of the same triples into the same server (bench/bench_scale.py): 1.02x its CPU
        (the store's and ours) at 100k triples, 0.92x and 1.27x at 1M (a quiet and a busy machine), where
        staging and ``MOVE`` (Oxigraph's is a copy and a delete: every triple written twice) cost 2.4x its
        wall time at 100k (docs/triple-stores.md)."""
        return self.fallback and self.batch_size is None and self.client.server.startswith("Oxigraph/")

    def _write_in_one_update(self, report: LoadReport) -> bool:
        """Write a marker, then one update that drops it, drops the graphs it replaces (and the obsolete ones)
        and inserts every graph. False (nothing changed; the caller stages) when the text passes what the
        store takes or the store refuses it as malformed or too large."""
        expected = {target: len(set(triples)) for target, triples in self.plan.items()}
        before = {t: self.client.count(t) for t in self.plan} if self.mode == "append" else {}
        dropped = [graph for graph in self.obsolete if self.client.count(graph)]
        run = staging.new_run()
        marker = staging.marker_graph(run)
        replaced = [*self.plan, *dropped] if self.mode == "replace" else []
        text = one_update_parts(self.plan, drop=replaced, marker=marker, limit=ONE_UPDATE_LIMIT)
        if text is None:
            self.progress(
                f"  {self.total:,} triples are more than the store takes in one update request "
                f"({ONE_UPDATE_LIMIT // 2**20} MiB): staging them instead"
            )
            return False
        self.phase = "marking"
        try:
            self.client.update(staging.marker_text(marker, list(self.plan)), what="write the load's marker")
            self.progress(
                f"  writing {self.total:,} triples into {len(self.plan)} graph(s) in one update request "
                f"({sum(map(len, text)) / 2**20:.1f} MiB, one transaction)"
            )
            self.phase = "publishing"
            try:
                self.client.update(
                    text,
                    what="write the graphs in one update",
                    resend=False,
                    timeout=max(self.client.timeout, self.client.remaining()),
                )
            except AnswerLost as lost:
                self._after_lost_answer(lost, {marker: 1}, expected, staged="marking", they="the marker is")
            except Refused as exc:
                self.phase = "marking"  # refused, so not applied: the marker can go
                if exc.status not in _RESTAGE:
                    raise
                self._clean([marker])
                self.phase = "staging"
                self.progress(f"  the store refused the one update ({exc}); staging the graphs instead")
                return False
        except (StoreError, CheckFailed) as exc:
            if self.phase == "marking" and not isinstance(exc, StoreUnreachable):
                self._clean([marker])
            raise
        self.phase = "published"
        self.sent = self.total
        self.protocol = "update"
        report.one_update = True
        report.staged = False
        report.dropped = dropped
        for target in self.plan:
            report.graphs.append(
                GraphLoad(target, expected[target], self.client.count(target), before.get(target))
            )
        return True

    # --- staged (atomic) -----------------------------------------------------------------------------------

    def _stage_and_publish(self, report: LoadReport) -> None:
        run = staging.new_run()
        names = {target: staging.staging_graph(target, run) for target in self.plan}
        expected = {target: len(set(triples)) for target, triples in self.plan.items()}
        self.phase = "staging"
        try:
            for target, triples in self.plan.items():
                self._stage(target, names[target], triples)
            for target, name in names.items():
                held = self.client.count(name)
                if held != expected[target]:
                    raise CheckFailed(
                        f"the staging graph <{name}> of <{target}> holds {held:,} triples where we sent "
                        f"{expected[target]:,} (the store may merge literals it takes for equal); "
                        f"<{target}> is unchanged"
                    )
            before = {t: self.client.count(t) for t in self.plan} if self.mode == "append" else {}
            operations = []
            for target, name in names.items():
                if self.mode == "replace":
                    operations.append(f"MOVE <{name}> TO <{target}>")
                else:
                    operations += [f"ADD <{name}> TO <{target}>", f"DROP SILENT GRAPH <{name}>"]
            dropped = [graph for graph in self.obsolete if self.client.count(graph)]
            operations += [f"DROP SILENT GRAPH <{graph}>" for graph in dropped]
            self._publish(" ;\n".join(operations), names, expected)
        except (StoreError, CheckFailed) as exc:
            if self.phase == "staging" and not isinstance(exc, StoreUnreachable):
                self._clean(names.values())
            raise
        report.dropped = dropped
        if self.client.server.startswith("Virtuoso"):
            self._virtuoso_checkpoint()
        for target in self.plan:
            report.graphs.append(
                GraphLoad(target, expected[target], self.client.count(target), before.get(target))
            )

    def _publish(self, text: str, names: Mapping[str, str], expected: Mapping[str, int]) -> None:
        """One update publishes every staging graph. It is never sent twice: once the store has it, a second
        MOVE would move staging graphs that the first one emptied (Oxigraph refuses; Virtuoso empties the
        targets). So it may take until the deadline, and if its answer is lost the store is asked whether
        the staging graphs are still there."""
        self.progress(f"  publishing {len(names)} staged graph(s) in one update request")
        self.phase = "publishing"
        try:
            self.client.update(
                text,
                what="publish the staged graphs",
                unsupported_ok=True,
                resend=False,
                timeout=max(self.client.timeout, self.client.remaining()),
            )
        except Unsupported as exc:
            self.phase = "staging"  # not published: the staging graphs can go
            raise StoreError(
                f"publish the staged graphs: {redact(self.client.urls.update)} does not take SPARQL Update "
                f"({exc.status}: {exc.message}); give the store's update endpoint with --update-endpoint, or "
                "write the graphs directly with --protocol graph-store"
            ) from None
        except AnswerLost as lost:
            self._after_lost_answer(lost, {names[t]: expected[t] for t in names}, expected)
        except StoreUnreachable:
            raise
        except StoreError:
            self.phase = "staging"  # refused, so not applied: the staging graphs can go
            raise
        self.phase = "published"

    def _after_lost_answer(
        self,
        lost: AnswerLost,
        witnesses: Mapping[str, int],
        expected: Mapping[str, int],
        *,
        staged: str = "staging",
        they: str = "the staging graphs are",
    ) -> None:
        """The answer to the update that publishes was lost: ask the store. ``witnesses`` are the graphs that
        update removes (``they``: the staging graphs, or the marker) and what each holds until it is applied;
        the update is applied when they are gone, and not when they are all there as they were. ``staged`` is
        the phase to go back to when it was not applied (so that a refusal cleans up)."""
        self.progress(
            f"  the answer to the publishing update was lost ({lost.problem}); asking the store whether it "
            "applied it"
        )
        try:
            left = {name: self.client.count(name) for name in witnesses}
            gone = not any(left.values())
            held = {target: self.client.count(target) for target in expected} if gone else {}
        except StoreError as exc:
            raise StoreUnreachable(
                f"{lost}; the store cannot be asked whether it applied the update ({exc}). It is one atomic "
                "update: each graph holds either its previous version or this one. Load again to be sure"
            ) from None
        if held:
            if self.mode == "append" or held == dict(expected):
                self.progress(f"  it did: {they} gone, published")
                return
            raise StoreError(
                f"{lost}; {they} gone, but the graphs do not hold what we sent: something "
                "else removed them (another load into the same store at the same time?). Load again"
            )
        if all(left[name] == count for name, count in witnesses.items()):
            if lost.status == 500:  # the store's own failure, and the staging graphs are whole: not applied
                self.phase = staged
                raise StoreError(
                    f"{lost}; the store has not applied it: the graphs hold their previous version"
                )
            raise StoreUnreachable(
                f"{lost}; the store has not applied it ({they} still there), so the graphs hold their "
                "previous version. It may yet apply it; the next load removes what it left"
            )
        raise StoreUnreachable(
            f"{lost}; some staging graphs are still there and some are not: the store is applying the update "
            "or failed in the middle of it. Load again once the store is idle"
        )

    def _stage(self, target: str, name: str, triples: Sequence[ox.Triple]) -> None:
        if self.protocol == "graph-store":
            try:
                self._stage_batches(target, name, triples)
                return
            except Unsupported as exc:
                self.progress(
                    f"  the endpoint {self.client.urls.graph_store} does not speak the Graph Store Protocol "
                    f"({exc.status}: {exc.message[:120]}); using SPARQL Update at {self.client.urls.update}"
                )
                self.protocol = "update"
        self._stage_batches(target, name, triples)

    def _stage_batches(self, target: str, name: str, triples: Sequence[ox.Triple]) -> None:
        size = self.batch_size or (
            DEFAULT_BATCH_SIZE if self.protocol == "graph-store" else UPDATE_BATCH_SIZE
        )
        parts = batches(triples, size)
        for number, batch in enumerate(parts, 1):
            body = ntriples(batch)
            what = f"stage <{target}> (batch {number} of {len(parts)})"
            if self.protocol == "graph-store":
                self.client.graph_store(
                    "PUT" if number == 1 else "POST",
                    name,
                    body,
                    what=what,
                    unsupported_ok=self.fallback and number == 1,
                )
            else:
                self.client.update(insert_text(name, batch, body), what=what)
            self.sent += len(batch)
            if self.total > size:
                share = 100 * self.sent / max(self.total, 1)
                self.progress(
                    f"  <{target}>: batch {number} of {len(parts)} staged; {self.sent:,} of {self.total:,} "
                    f"triples ({share:.0f} %)"
                )
        if self.total <= size:
            self.progress(f"  <{target}>: {len(triples):,} triples staged")

    def _virtuoso_checkpoint(self) -> None:
        """Virtuoso 7.2 does not replay graph-to-graph updates (MOVE, ADD, COPY, DELETE/INSERT … WHERE)
        faithfully from its transaction log: after a crash, graphs written that way since its last checkpoint
        came back with triples missing (seen here: 3,519 of 3,857), where a Graph Store PUT came back whole.
        So the publishing update is followed by a checkpoint, which makes it durable; a user without the
        right to run one is told, and the load still succeeds."""
        try:
            self.client.query(
                "SELECT (bif:exec('checkpoint') AS ?done) WHERE {}",
                what="checkpoint Virtuoso",
                url=self.client.urls.update,
                retries=1,
            )
            self.checkpointed = True
            self.progress("  Virtuoso: checkpoint done, so that a crash cannot undo the publishing update")
        except StoreError as exc:
            self.progress(
                f"  warning: Virtuoso refused a checkpoint ({exc}); until its next checkpoint, a crash of "
                "the store may lose triples of the graphs just published (a Virtuoso defect with MOVE)"
            )

    def _clean(self, graphs: Iterable[str]) -> None:
        """Best effort, after the store refused something or our check failed, while it still answers: drop
        the staging graphs, quickly and once. (A store that went away or stopped answering keeps them, and so
        does an interrupted load, which ends at once: the next load removes them.)"""
        wait = min(CLEAN_TIMEOUT, self.client.timeout, self.client.remaining())
        if wait <= 0:
            return
        try:
            text = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
            self.client.update(text, what="drop the staging graphs", retries=0, timeout=wait)
        except (StoreError, Unsupported):
            pass

    # --- direct (--protocol graph-store) -------------------------------------------------------------------

    def _write_directly(self, report: LoadReport) -> None:
        self.phase = "writing"
        for target, triples in self.plan.items():
            before = self.client.count(target) if self.mode == "append" else None
            self.client.graph_store(
                "PUT" if self.mode == "replace" else "POST",
                target,
                ntriples(triples),
                what=f"write <{target}>",
                unsupported_ok=False,
            )
            self.sent += len(triples)
            self.progress(f"  <{target}>: {len(triples):,} triples written ({self.sent:,} of {self.total:,})")
            report.graphs.append(GraphLoad(target, len(set(triples)), self.client.count(target), before))
        self.phase = "published"
