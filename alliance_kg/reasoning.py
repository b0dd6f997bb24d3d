"""OWL 2 RL reasoning over the ontology and the data, and a cache of the closure.

The closure is owlrl's (``OWLRL_Semantics``, no axiomatic triples), computed by :mod:`alliance_kg.rules`:
the rules owlrl runs, compiled from the axioms the graph holds and run to a fixpoint over integer-encoded
triples (the bundled graph in 0.2 s where owlrl takes 2.8 s; with 100,000 triples of synthetic data 1 s
where owlrl takes 80; a million in 12 s of CPU and 1.2 GiB, where owlrl does not finish).
``engine="owlrl"`` runs owlrl itself, the reference the tests compare with, and what an input the rules
cannot take (:class:`alliance_kg.rules.Unsupported`, with a warning) falls back to.

``query --reasoned`` reads the closure from a cache keyed by the content of every input (bundled files,
the user's files, the versions of alliance-kg and owlrl): the first call computes and stores it, later
calls load it in milliseconds.

A cache file, ``closure-<key>.nt`` in :func:`cache_dir`, is N-Triples, one triple a line, whose last line
is a comment that vouches for the rest::

    # alliance-kg reasoning cache v1 key=<the key> triples=<lines before it> sha256=<of the bytes before it>

It is written to a temporary file beside it, flushed to disk and renamed over it, so a reader sees a whole
old file or a whole new one, and two processes writing the same key at once cannot mix their bytes. It is
checked on every read (about a millisecond): a file that is cut short at any byte, empty, spliced with
other content, written for other inputs or lacking the trailer is computed again and rewritten, with a
warning. When the cache cannot be written at all (a file where its folder should be, a read-only or full
filesystem) the closure is computed in memory, kept for the rest of the process, and a warning says so
once. Warnings go to the ``alliance_kg.reasoning`` logger; with logging left unconfigured, as by the CLI,
Python prints them on stderr as one line each.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pyoxigraph import BlankNode, NamedNode
from pyoxigraph import Literal as OxLiteral

from . import __version__, paths
from .errors import AllianceKGError, CheckFailed

if TYPE_CHECKING:  # pragma: no cover
    from rdflib import Graph

    from .rules import Closure

log = logging.getLogger(__name__)

_TRAILER = re.compile(
    rb"# alliance-kg reasoning cache v1 key=([0-9a-f]{64}) triples=([0-9]+) sha256=([0-9a-f]{64})\n"
)
#: What else a closure depends on besides the versions and the inputs: its blank nodes carry the labels the
#: reader (``alliance_kg.rdfinput``) gives them (after each file's resolved path, also in the key), which
#: ``alliance_kg.layout`` relies on to tell inferred triples from asserted ones.
_KEY_SCHEME = "blank nodes labelled by file (rdfinput); computed by alliance_kg.rules v1 (owlrl's rules)"
#: Temporary files older than this in the cache folder were left by a writer that died mid-write.
_STALE_SECONDS = 3600

#: Closures that could not be written to their cache file (by its path), and the in-memory files holding
#: them for :func:`cached_closure`: each is computed once per process.
_unwritten: dict[str, bytes] = {}
_memory_files: dict[str, Path] = {}


def cache_dir() -> Path:
    base = os.environ.get("ALLIANCE_KG_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "alliance-kg"
    )
    return Path(base)


def _inputs(extra: Sequence[Path | str]) -> list[Path]:
    return [paths.ontology_file(), *paths.graph_files(), *(Path(p) for p in extra)]


def closure_key(extra: Sequence[Path | str] = ()) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        owlrl_version = version("owlrl")
    except PackageNotFoundError:  # pragma: no cover
        owlrl_version = "?"
    digest = hashlib.sha256(f"alliance-kg {__version__}; owlrl {owlrl_version}; {_KEY_SCHEME}\n".encode())
    for path in _inputs(extra):
        from .errors import DataError

        try:
            content = path.read_bytes()
        except OSError as exc:
            raise DataError(str(path), f"cannot read file: {exc.strerror or exc}") from None
        digest.update(hashlib.sha256(content).digest())
        # the reader labels a file's blank nodes after its resolved path: the same content elsewhere (another
        # checkout, a copied --data file) gets other labels, which a cached closure must match
        digest.update(hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).digest())
    return digest.hexdigest()


class Inconsistency(CheckFailed):
    """OWL 2 RL reasoning found the ontology and data contradictory; ``problems`` says where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the graph is inconsistent under OWL 2 RL:\n  " + "\n  ".join(problems))


_ERR = "http://www.daml.org/2002/03/agents/agent-ont#"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def functional_clashes(graph: Graph) -> list[str]:
    """Resources with two values of a functional property (or two resources sharing a value of an
    inverse-functional one). OWL 2 RL would quietly make the values the same individual (owl:sameAs);
    in this graph distinct IRIs name distinct things, so that is an error."""
    from rdflib import URIRef
    from rdflib.namespace import OWL, RDF

    problems = []
    for prop in sorted(set(graph.subjects(RDF.type, OWL.FunctionalProperty)), key=str):
        for subject in sorted(set(graph.subjects(prop, None)), key=str):
            values = sorted({str(v) for v in graph.objects(subject, prop)})
            if len(values) > 1 and isinstance(subject, URIRef):
                problems.append(
                    f"functional property <{prop}> has {len(values)} values for <{subject}>: "
                    + ", ".join(values)
                )
    for prop in sorted(set(graph.subjects(RDF.type, OWL.InverseFunctionalProperty)), key=str):
        for value in sorted(set(graph.objects(None, prop)), key=str):
            subjects = sorted({str(s) for s in graph.subjects(prop, value)})
            if len(subjects) > 1:
                problems.append(
                    f"inverse-functional property <{prop}> has value <{value}> for several resources: "
                    + ", ".join(subjects)
                )
    return problems


Engine = Literal["rules", "owlrl"]


def closure(extra: Sequence[Path | str] = (), *, check: bool = True, engine: Engine = "rules") -> Graph:
    """The OWL 2 RL closure of ontology + data (+ ``extra``), as an rdflib graph (asserted and inferred).
    Contradictions raise :class:`Inconsistency` naming the resources involved (unless ``check`` is off).
    ``engine="owlrl"`` computes it with owlrl itself (the same graph, some hundred times slower at scale)."""
    if engine == "owlrl":
        return owlrl_closure(extra, check=check)
    if engine != "rules":
        raise ValueError(f"unknown reasoning engine {engine!r}: rules or owlrl")
    result = _rules_closure(extra)
    if result is None:
        return owlrl_closure(extra, check=check)
    if result.problems and check:
        raise Inconsistency(result.problems)
    from rdflib import BNode, Graph, URIRef
    from rdflib import Literal as RdflibLiteral

    from .graph import bind_prefixes

    def term(node: NamedNode | BlankNode | OxLiteral) -> URIRef | BNode | RdflibLiteral:
        if isinstance(node, NamedNode):
            return URIRef(node.value)
        if isinstance(node, BlankNode):
            return BNode(node.value)
        if node.language:
            return RdflibLiteral(node.value, lang=node.language)
        if node.datatype.value == _XSD_STRING:
            return RdflibLiteral(node.value)
        return RdflibLiteral(node.value, datatype=URIRef(node.datatype.value))

    terms = [term(t) for t in result.terms]  # each term once (a literal costs rdflib ~20 µs)
    graph: Graph = bind_prefixes(Graph())
    graph.addN((terms[s], terms[p], terms[o], graph) for s, p, o in result.triples())
    return graph


def closure_ntriples(extra: Sequence[Path | str] = ()) -> bytes:
    """The closure as the cache holds it: N-Triples, one triple a line, the lines sorted (no blank line).
    Contradictions raise :class:`Inconsistency`."""
    result = _rules_closure(extra)
    if result is None:
        return _sorted_lines(owlrl_closure(extra).serialize(format="nt", encoding="utf-8"))
    if result.problems:
        raise Inconsistency(result.problems)
    return result.ntriples()


def _rules_closure(extra: Sequence[Path | str]) -> Closure | None:
    """The closure by :mod:`alliance_kg.rules`; None (with a warning) for an input only owlrl takes."""
    from . import rules

    try:
        return rules.reason(_inputs(extra))
    except rules.Unsupported as exc:
        log.warning("reasoning with owlrl itself (slower): %s", exc)
        return None


def owlrl_closure(extra: Sequence[Path | str] = (), *, check: bool = True) -> Graph:
    """The closure by owlrl itself (the reference :mod:`alliance_kg.rules` is tested against)."""
    graph, problems = owlrl_reference(_inputs(extra))
    if problems and check:
        raise Inconsistency(problems)
    return graph


def owlrl_reference(files: Sequence[Path | str]) -> tuple[Graph, list[str]]:
    """owlrl's closure of ``files`` (error nodes removed, generalised triples dropped) and what
    :class:`Inconsistency` says of it (nothing when consistent): :func:`alliance_kg.rules.reason`'s
    reference."""
    import owlrl
    from rdflib import URIRef
    from rdflib.namespace import OWL, RDF

    from .graph import load_files

    graph = load_files(files)
    clashes = functional_clashes(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        graph
    )
    error_nodes = list(graph.subjects(RDF.type, URIRef(_ERR + "ErrorMessage")))
    errors = sorted(str(m) for node in error_nodes for m in graph.objects(node, URIRef(_ERR + "error")))
    for node in error_nodes:
        graph.remove((node, None, None))
    nothing = sorted(str(x) for x in graph.subjects(RDF.type, OWL.Nothing))
    problems = clashes + errors + [f"<{x}> is inferred to be of type owl:Nothing" for x in nothing]
    _drop_generalised_triples(graph)
    return graph, problems


def _drop_generalised_triples(graph: Graph) -> None:
    """owlrl can infer triples with a literal subject (generalised RDF), which cannot be written out, and
    says of every blank node of the ontology's axioms that it is owl:sameAs itself, which says nothing
    and keeps RDF lists from being written as lists (JSON-LD, Turtle)."""
    from rdflib import BNode, Literal
    from rdflib.namespace import OWL

    for triple in [t for t in graph if isinstance(t[0], Literal) or isinstance(t[1], Literal)]:
        graph.remove(triple)
    for node in [s for s, o in graph.subject_objects(OWL.sameAs) if isinstance(s, BNode) and s == o]:
        graph.remove((node, OWL.sameAs, node))


class InvalidCache(ValueError):
    """A cache file that does not hold what its trailer vouches for; the message says what is wrong."""


def cache_trailer(body: bytes, key: str) -> bytes:
    """The last line of a cache file holding ``body`` (N-Triples, one triple a line) for ``key``."""
    count, digest = body.count(b"\n"), hashlib.sha256(body).hexdigest()
    return f"# alliance-kg reasoning cache v1 key={key} triples={count} sha256={digest}\n".encode()


def verified_body(data: bytes, key: str) -> bytes:
    """The N-Triples of the cache file content ``data`` once checked against its trailer and ``key``;
    anything else raises :class:`InvalidCache`."""
    if not data:
        raise InvalidCache("empty")
    if not data.endswith(b"\n"):
        raise InvalidCache("it does not end with a line break")
    cut = data.rfind(b"\n", 0, len(data) - 1) + 1
    match = _TRAILER.fullmatch(data, cut)
    if match is None:
        raise InvalidCache("no checksum line at the end: cut short, appended to, or from another version")
    if match[1].decode() != key:
        raise InvalidCache("written for other inputs")
    count, lines = int(match[2]), data.count(b"\n", 0, cut)
    if count == 0:
        raise InvalidCache("no triples")
    if lines != count:
        raise InvalidCache(f"{lines} lines where its checksum line says {count}")
    if hashlib.sha256(memoryview(data)[:cut]).hexdigest() != match[3].decode():
        raise InvalidCache("checksum mismatch")
    return data[:cut]


def _compute(extra: Sequence[Path | str]) -> bytes:
    """The closure as N-Triples, one triple a line and no blank line (what a trailer counts)."""
    if closure is not _closure:  # replaced (the tests count computations so): write out the graph it gives
        return _sorted_lines(closure(extra).serialize(format="nt", encoding="utf-8"))
    return closure_ntriples(extra)


#: :func:`closure` as defined here, to tell when it has been replaced.
_closure = closure


def _sorted_lines(data: bytes) -> bytes:
    # sorted: rdflib writes in the order of its sets (hash-randomised), and whatever reads the cache in file
    # order (a CONSTRUCT's triples, the sources of a description) would vary from one cache build to the next
    return b"".join(sorted({line + b"\n" for line in data.split(b"\n") if line.strip()}))


def _write_atomically(target: Path, *parts: bytes) -> None:
    """Write ``parts`` to a temporary file beside ``target``, flush it to disk, rename it over it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".closure-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(target.parent)
    _remove_stale_temporaries(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_temporaries(folder: Path) -> None:
    limit = time.time() - _STALE_SECONDS
    for leftover in folder.glob(".closure-*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < limit:
                leftover.unlink()


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileExistsError):  # from mkdir(exist_ok=True): something that is not a folder
        return "it exists and is not a folder"
    return exc.strerror or str(exc)


def _where(exc: OSError, target: Path) -> Path:
    """The cache folder (or the ancestor of it) that could not be made, else the cache file."""
    if exc.filename:
        failed = Path(os.fsdecode(exc.filename))
        if failed == target.parent or failed in target.parent.parents:
            return failed
    return target


def _closure_bytes(
    extra: Sequence[Path | str], target: Path, key: str, on_compute: Callable[[], None] | None
) -> bytes:
    kept = _unwritten.get(str(target))
    if kept is not None:
        return kept
    problem = None
    try:
        return verified_body(target.read_bytes(), key)
    except FileNotFoundError:
        pass
    except InvalidCache as exc:
        problem = str(exc)
    except OSError as exc:
        problem = _reason(exc)
    if on_compute is not None:
        on_compute()
    body = _compute(extra)
    try:
        _write_atomically(target, body, cache_trailer(body, key))
    except OSError as exc:
        log.warning(
            "cannot write the reasoning cache at %s: %s; computing in memory",
            _where(exc, target),
            _reason(exc),
        )
        _unwritten[str(target)] = body
        return body
    if problem is not None:
        log.warning("the reasoning cache %s was invalid (%s); rebuilt it", target, problem)
    return body


def closure_bytes(extra: Sequence[Path | str] = (), *, on_compute: Callable[[], None] | None = None) -> bytes:
    """The OWL 2 RL closure of ontology + data (+ ``extra``) as N-Triples: from the cache when it holds a
    verified copy, else computed (``on_compute`` is called first, to say so) and cached. A damaged cache is
    rewritten and one that cannot be written is bypassed, each with a warning; contradictions raise
    :class:`Inconsistency`."""
    key = closure_key(extra)
    return _closure_bytes(extra, cache_dir() / f"closure-{key}.nt", key, on_compute)


def cached_closure(extra: Sequence[Path | str] = ()) -> Path:
    """The path of an N-Triples file holding the verified closure (see :func:`closure_bytes`, which spares
    reading it twice). Its last line is the cache's checksum line, an N-Triples comment. When the cache
    cannot be written, the path is that of an in-memory file of this process (``/proc/self/fd/…`` on
    Linux) or, elsewhere, of a private temporary file removed at exit."""
    key = closure_key(extra)
    target = cache_dir() / f"closure-{key}.nt"
    body = _closure_bytes(extra, target, key, None)
    if str(target) not in _unwritten:
        return target
    return _memory_file(target, body)


def _memory_file(target: Path, body: bytes) -> Path:
    known = _memory_files.get(str(target))
    if known is not None:
        return known
    path = _memfd(body) or _temporary_file(target, body)
    _memory_files[str(target)] = path
    return path


def _memfd(body: bytes) -> Path | None:
    """An anonymous in-memory file holding ``body`` (Linux), open until the process ends."""
    if not hasattr(os, "memfd_create"):
        return None
    try:
        fd = os.memfd_create("alliance-kg-closure.nt")
    except OSError:
        return None
    try:
        with os.fdopen(os.dup(fd), "wb") as handle:
            handle.write(body)
        path = Path(f"/proc/self/fd/{fd}")
        with path.open("rb") as check:  # /proc may be missing, or not show this process's files
            if check.read(64) == body[:64]:
                return path
    except OSError:
        pass
    os.close(fd)
    return None


def _temporary_file(target: Path, body: bytes) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix="alliance-kg-closure-", suffix=".nt")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
    except OSError as exc:
        raise AllianceKGError(
            f"cannot write the reasoning cache at {target} nor a temporary copy: {_reason(exc)}"
        ) from None
    atexit.register(Path(name).unlink, missing_ok=True)
    return Path(name)
