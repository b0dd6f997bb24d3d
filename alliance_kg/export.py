"""Deterministic exports: the same graph gives the same bytes on every run, so diffs are reviewable.

Blank nodes get canonical labels and triples are written in sorted order. The export of the graph itself
(:func:`export_layout`, what ``alliance-kg export`` and ``alliance_kg.export()`` write) runs on Oxigraph:
files read by pyoxigraph, blank nodes labelled by RDF Dataset Canonicalization (RDFC-1.0, W3C), triples
sorted by their N-Triples form and written by Oxigraph's serialisers (JSON-LD, compacted with the
project's context, by rdflib); the files are read straight into the N-Triples lines that are sorted, never
held as Python objects (:func:`export_layout`). :func:`serialize_graph` and :func:`serialize_dataset`
write an rdflib graph the same way (rdflib's canonical labels). ``write_atomically`` writes through a
temporary file and a rename, so an interrupted export never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import weakref
from itertools import islice
from operator import eq
from pathlib import Path

TYPE_CHECKING = False  # typing itself costs a command-line query milliseconds to import
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from typing import TypeVar

    import pyoxigraph as ox
    from rdflib import Dataset, Graph
    from rdflib.term import Node

    from .layout import Layout

    S = TypeVar("S", ox.Triple, ox.Quad)

FORMATS = {
    "ttl": "turtle",
    "turtle": "turtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "xml": "xml",
}
QUAD_FORMATS = {"nq", "trig"}


def export_layout(built: Layout, fmt: str, *, reasoned: bool = False) -> bytes:
    """The graph of ``built`` in ``fmt``: the default graph (the asserted graphs), or with ``reasoned`` the
    closure; ``nq`` and ``trig`` write every named graph. Deterministic: canonical blank-node labels
    (RDFC-1.0), statements sorted by their N-Triples (N-Quads) form, graphs by name.

    A layout still to be read (:attr:`alliance_kg.layout.Layout.files`: :func:`alliance_kg.layout.build`
    without reasoning) is read here, file by file, straight into N-Triples lines: the default graph is
    never held as Python objects (a million triples would take some 400 MB, and as long to make as to
    parse). Its sorted lines are kept for the next export of the same layout (a release writes several)."""
    import pyoxigraph as ox

    from .errors import UsageError

    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}")
    if fmt in QUAD_FORMATS:
        quads = [
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(name))
            for name in built.named_graphs
            for t in built.graphs[name]
        ]
        lines = _sorted_lines([quads], ox.RdfFormat.N_QUADS)
        if fmt == "nq":
            return _joined(lines)
        statements = _parsed(lines, ox.RdfFormat.N_QUADS)
        return _with_used_prefixes(
            ox.serialize(statements, format=ox.RdfFormat.TRIG, prefixes=_all_prefixes()) or b""
        )
    files = None if reasoned else built.files
    if files is None:
        return serialize_triples(built.closure() if reasoned else built.default_graph(), fmt)
    _graph_format(fmt)
    read = _READ.get(built)
    if read is None:
        from . import rdfinput

        read = _READ[built] = _sorted_lines(
            (rdfinput.checked_quads(path) for path, _graph in files), ox.RdfFormat.N_TRIPLES
        )
    return _serialize_lines(read, fmt)


#: The sorted lines of the default graph of each layout read by :func:`export_layout`, while it lives.
_READ: weakref.WeakKeyDictionary[Layout, list[bytes]] = weakref.WeakKeyDictionary()


def serialize_triples(triples: Sequence[ox.Triple], fmt: str) -> bytes:
    """``triples`` in the graph format ``fmt`` (``ttl``, ``nt``, ``jsonld``, ``xml``), deterministic as
    :func:`export_layout` says."""
    import pyoxigraph as ox

    _graph_format(fmt)
    return _serialize_lines(_sorted_lines([triples], ox.RdfFormat.N_TRIPLES), fmt)


def _graph_format(fmt: str) -> None:
    from .errors import UsageError

    if fmt not in FORMATS or fmt in QUAD_FORMATS:
        raise UsageError(f"unknown graph format {fmt!r}")


def _serialize_lines(lines: list[bytes], fmt: str) -> bytes:
    """The graph of ``lines`` (sorted, distinct, canonical N-Triples lines) in the graph format ``fmt``,
    its statements in the order of their lines."""
    import pyoxigraph as ox

    if fmt == "nt":
        return _joined(lines)
    statements = _parsed(lines, ox.RdfFormat.N_TRIPLES)
    if fmt == "jsonld":
        from rdflib import Graph

        from .graph import bind_prefixes
        from .layout import to_rdflib

        graph = bind_prefixes(Graph())
        graph.addN((*to_rdflib(q.triple), graph) for q in statements)
        data = graph.serialize(
            format="json-ld", encoding="utf-8", context=jsonld_context(), auto_compact=True
        )
        return _sorted_jsonld(data)
    if fmt == "xml":
        return _with_used_prefixes(
            ox.serialize(statements, format=ox.RdfFormat.RDF_XML, prefixes=_all_prefixes()) or b"",
            xml=True,
        )
    return _with_used_prefixes(
        ox.serialize(statements, format=ox.RdfFormat.TURTLE, prefixes=_all_prefixes()) or b""
    )


def _joined(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n" if lines else b""


#: Statements written to N-Triples (N-Quads) at once, to find their lines, and lines read back at once:
#: the text of one chunk is held beside the lines, never the text of the whole graph (and a chunk's ~1 MB
#: stays in the processor's cache: some 5 % faster at a million triples than chunks of 64k).
_CHUNK = 8_192
#: A blank node's label in N-Triples (sre finds a literal faster than ``bytes.__contains__``).
_BLANK_LABEL = re.compile(rb"_:")


def _sorted_lines(sources: Iterable[Iterable[S]], fmt: ox.RdfFormat) -> list[bytes]:
    """The N-Triples (with ``fmt`` N-Quads) lines of the statements of ``sources`` (triples, or quads of
    the default graph; with N-Quads, quads of named graphs), distinct, their blank nodes relabelled by
    RDFC-1.0, sorted.

    Oxigraph writes the statements chunk by chunk as they come, one line a statement (a literal's newlines
    are escaped), and they are then held only as those lines: the sort runs on bytes, and equal lines (one
    line is one statement) are neighbours once sorted. Only the statements that mention a blank node are
    canonicalised: RDFC-1.0 labels a blank node from the statements that mention blank nodes alone, so
    the labels are those of the whole graph, and a million triples without blank nodes cost nothing there.
    They are found by their lines: a chunk whose text has no ``_:`` has none, and of one that has, the
    lines that hold ``_:`` are read back to see whether it is a blank node's label."""
    import pyoxigraph as ox

    lines: list[bytes] = []
    maybe_blank: list[bytes] = []
    for source in sources:
        statements = iter(source)
        while text := ox.serialize(islice(statements, _CHUNK), format=fmt):
            chunk = text.split(b"\n")
            chunk.pop()  # the text ends with a newline
            if _BLANK_LABEL.search(text) is None:
                lines.extend(chunk)
                continue
            for line in chunk:
                (maybe_blank if b"_:" in line else lines).append(line)
    if maybe_blank:
        blank = ox.BlankNode
        with_blanks = []
        for statement, line in zip(_parsed(maybe_blank, fmt), maybe_blank, strict=True):
            if type(statement.subject) is blank or type(statement.object) is blank:
                with_blanks.append(statement)
            else:
                lines.append(line)
        quads = ox.Dataset(with_blanks)
        quads.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        lines.extend((ox.serialize(quads, format=fmt) or b"").split(b"\n")[:-1])
    lines.sort()
    if any(map(eq, lines, islice(lines, 1, None))):  # a statement given more than once
        lines = [line for n, line in enumerate(lines) if n == 0 or line != lines[n - 1]]
    return lines


def _parsed(lines: list[bytes], fmt: ox.RdfFormat) -> Iterator[ox.Quad]:
    """The statements of ``lines`` (N-Triples or N-Quads lines that Oxigraph wrote) in their order, read
    back chunk by chunk, one statement at a time (held together, a chunk's statements would cost more to
    make and free than to read). Leniently: the lines hold only terms Oxigraph checked when it first read
    them, and its checks of IRIs and language tags are half the time of a strict read."""
    import pyoxigraph as ox

    for start in range(0, len(lines), _CHUNK):
        yield from ox.parse(b"\n".join(lines[start : start + _CHUNK]), format=fmt, lenient=True)


def _all_prefixes() -> dict[str, str]:
    from .namespaces import PREFIXES

    return dict(PREFIXES)


def _with_used_prefixes(data: bytes, *, xml: bool = False) -> bytes:
    """Turtle, TriG or RDF/XML written with every project prefix, less the declarations of those it never
    uses (:func:`alliance_kg.namespaces.drop_unused_prefixes`; in RDF/XML, the ``xmlns:`` attributes)."""
    from .namespaces import PREFIXES, drop_unused_prefixes

    if not xml:
        return drop_unused_prefixes(data)
    for prefix, ns in PREFIXES.items():
        if f"<{prefix}:".encode() not in data and f" {prefix}:".encode() not in data:
            data = data.replace(f' xmlns:{prefix}="{ns}"'.encode(), b"", 1)
    return data


def _canonical(graph: Graph) -> Graph:
    from rdflib import Graph
    from rdflib.compare import to_canonical_graph

    from .graph import bind_prefixes

    canonical = to_canonical_graph(graph)
    ordered = bind_prefixes(Graph())
    for triple in sorted(canonical, key=lambda t: tuple(n.n3() for n in t)):
        ordered.add(triple)
    return ordered


def serialize_graph(graph: Graph, fmt: str) -> bytes:
    from .errors import UsageError

    if fmt not in FORMATS or fmt in QUAD_FORMATS:
        raise UsageError(f"unknown graph format {fmt!r}")
    ordered = _canonical(graph)
    if fmt == "nt":
        lines = sorted(set(ordered.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()))
        return ("\n".join(line for line in lines if line.strip()) + "\n").encode("utf-8")
    if fmt == "jsonld":
        data = ordered.serialize(
            format="json-ld", encoding="utf-8", context=jsonld_context(), auto_compact=True
        )
        return _sorted_jsonld(data)
    if fmt == "xml":
        return _rdfxml(ordered)
    return ordered.serialize(format=FORMATS[fmt], encoding="utf-8")


def _sorted_jsonld(data: bytes) -> bytes:
    """rdflib writes a graph's nodes, and the values of a property, in the order of a set (of
    hash-randomised terms): sort them, and the keys, so that the same graph gives the same bytes. The
    members of an ``@list`` keep their order (it is their meaning)."""
    import json

    def ordered(value: object, in_list: bool = False) -> object:
        if isinstance(value, dict):
            return {k: ordered(v, k == "@list") for k, v in value.items()}
        if isinstance(value, list):
            items = [ordered(v) for v in value]
            return items if in_list else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return value

    document = ordered(json.loads(data))
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _rdfxml(graph: Graph) -> bytes:
    """RDF/XML of a canonical, sorted graph, written by Oxigraph in that order (rdflib's RDF/XML writer lists
    subjects in set order, different in every process)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef

    from .namespaces import PREFIXES

    def term(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(node, URIRef):
            return ox.NamedNode(str(node))
        if isinstance(node, BNode):
            return ox.BlankNode(str(node))
        assert isinstance(node, Literal)
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))

    triples = []
    for s, p, o in sorted(graph, key=lambda t: tuple(n.n3() for n in t)):
        subject, predicate = term(s), term(p)
        assert not isinstance(subject, ox.Literal) and isinstance(predicate, ox.NamedNode)
        triples.append(ox.Triple(subject, predicate, term(o)))
    used = {t.predicate.value for t in triples} | {
        t.object.value for t in triples if isinstance(t.object, ox.NamedNode)
    }
    prefixes = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in used)}
    return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=prefixes) or b""


def jsonld_context() -> dict[str, object]:
    """The JSON-LD context of graph/context.jsonld, inlined in JSON-LD exports so that they read as plain
    JSON ("name": "Nissan Micra", "hasBrand": "brand:nissan") and need no remote context to expand."""
    import json

    from . import paths

    text = (paths.graph_dir() / "context.jsonld").read_text(encoding="utf-8")
    context: dict[str, object] = json.loads(text)["@context"]
    return context


def serialize_dataset(dataset: Dataset, fmt: str) -> bytes:
    """N-Quads or TriG of a dataset of named graphs, each graph canonical and sorted."""
    from rdflib import Dataset

    from .namespaces import PREFIXES

    ordered = Dataset()
    for prefix, namespace in PREFIXES.items():
        ordered.bind(prefix, namespace, override=True, replace=True)
    for context in sorted(dataset.graphs(), key=lambda g: str(g.identifier)):
        if len(context) == 0:
            continue
        target = ordered.graph(context.identifier)
        for triple in _canonical(context):
            target.add(triple)
    if fmt == "nq":
        text = ordered.serialize(format="nquads", encoding="utf-8").decode("utf-8")
        return ("\n".join(sorted(line for line in text.splitlines() if line.strip())) + "\n").encode("utf-8")
    import io

    from rdflib.plugins.serializers.trig import TrigSerializer

    # rdflib lists a dataset's graphs in the order of a set (of hash-randomised IRIs): give it the sorted one
    serializer = TrigSerializer(ordered)
    serializer.contexts = sorted((c for c in serializer.contexts if len(c)), key=lambda g: str(g.identifier))
    out = io.BytesIO()
    serializer.serialize(out, encoding="utf-8")
    return out.getvalue()


#: Paths that name an open file descriptor of this process rather than a file: /dev/stdout, /dev/fd/N,
#: /proc/self/fd/N (and /proc/<this pid>/fd/N, /proc/thread-self/fd/N, which they resolve through).
_DESCRIPTOR_PATH = re.compile(
    r"/dev/std(?P<std>in|out|err)|/dev/fd/(?P<fd>\d+)"
    r"|/proc/(?:self|thread-self|(?P<pid>\d+)(?:/task/\d+)?)/fd/(?P<proc_fd>\d+)"
)
_STANDARD = {"in": 0, "out": 1, "err": 2}
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _descriptor(path: Path) -> int | None:
    """The file descriptor ``path`` names (``/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/1``, or a
    symbolic link to one of them), or None for any other path."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symbolic links followed
        folder = os.path.realpath(os.path.dirname(current))
        for candidate in (current, os.path.join(folder, os.path.basename(current))):
            match = _DESCRIPTOR_PATH.fullmatch(candidate)
            if match and (match["pid"] is None or int(match["pid"]) == os.getpid()):
                if match["std"]:
                    return _STANDARD[match["std"]]
                return int(match["fd"] or match["proc_fd"])
        resolved = os.path.join(folder, os.path.basename(current))
        if not os.path.islink(resolved):
            return None
        current = os.path.normpath(os.path.join(folder, os.readlink(resolved)))
    return None


def _write_descriptor(target: Path, fd: int, data: bytes) -> None:
    """Write ``data`` to an open file descriptor as it is (no temporary file: the descriptor may be a
    terminal, a pipe, or a file the shell opened, which must not be replaced)."""
    from .errors import UsageError

    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the caller stops quietly
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None


def _not_a_folder(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is not a folder, if one is in the way."""
    for parent in path.parents:
        if os.path.lexists(parent):
            return None if parent.is_dir() else parent
    return None


def write_atomically(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target``; returns the path of the file written (the file a link points to).

    - A regular file, or a new one, is written through a temporary file in its folder, flushed to disk and
      renamed over it: an interrupted or failed write leaves ``target`` as it was, and the temporary file
      is removed on every failure. The file keeps its mode and, where permitted, its owner and group; a
      new file gets the mode the umask gives (``0666 & ~umask``).
    - A symbolic link is followed: the file it points to is replaced and the link stays. A link to
      nothing, a link loop, or a link to something other than a regular file is refused.
    - ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and ``/proc/self/fd/N`` are written directly, as
      the open file descriptor they name: what the user means, and nothing is put in their place.
    - A device (``/dev/null``, ``/dev/full``), a FIFO, a socket or a folder is refused.

    Refusals and failures raise UsageError (exit code 2), naming ``target`` and the reason; a reader that
    went away raises BrokenPipeError, as a write to stdout does.
    """
    import secrets

    from .errors import UsageError

    target = Path(target)

    def refused(reason: str) -> UsageError:
        return UsageError(f"cannot write {target}: {reason}")

    fd = _descriptor(target)
    if fd is not None:
        _write_descriptor(target, fd, data)
        return target
    try:
        found: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        found = None
    except NotADirectoryError:
        raise refused(f"{_not_a_folder(target) or target.parent} is not a folder") from None
    except OSError as exc:
        raise refused(exc.strerror or str(exc)) from None
    real, what = target, "it is"
    if found is not None and stat.S_ISLNK(found.st_mode):
        real = Path(os.path.realpath(target))
        what = f"it is a symbolic link to {real},"
        try:
            found = os.stat(target)
        except FileNotFoundError:
            raise refused(f"{what} which does not exist") from None
        except OSError as exc:
            raise refused(f"it is a symbolic link that cannot be followed: {exc.strerror or exc}") from None
    if found is not None and not stat.S_ISREG(found.st_mode):
        kind = next((name for test, name in _KINDS if test(found.st_mode)), "not a regular file")
        if stat.S_ISDIR(found.st_mode):
            raise refused(f"{what} {kind}")
        raise refused(f"{what} {kind}; -o replaces regular files only (redirect with > to write to it)")
    folder = real.parent
    if not folder.is_dir():
        blocking = _not_a_folder(real)
        raise refused(f"{blocking} is not a folder" if blocking else f"folder {folder} does not exist")
    if found is not None and not os.access(real, os.W_OK):
        raise refused("Permission denied (the file is read-only)")
    tmp: Path | None = None
    try:
        for _ in range(100):
            candidate = folder / f".{real.name}.{secrets.token_hex(4)}.tmp"
            try:  # a new file's mode is the umask's; an existing file's is set below, before any data
                handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                                 0o600 if found is not None else 0o666)  # fmt: skip
            except FileExistsError:
                continue
            tmp = candidate
            break
        else:
            raise refused(f"no free temporary file name in {folder}")
        with os.fdopen(handle, "wb") as out:
            if found is not None:
                _keep_owner(handle, found)
                os.fchmod(handle, stat.S_IMODE(found.st_mode))
            out.write(data)
            out.flush()
            os.fsync(handle)
        os.replace(tmp, real)
        tmp = None
    except OSError as exc:
        hint = ""
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and tmp is None:
            hint = f" (-o writes a temporary file in {folder} and renames it: the folder must be writable)"
        raise refused(f"{exc.strerror or exc}{hint}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    with contextlib.suppress(OSError):  # make the rename itself durable, where the system allows it
        directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return real


def _keep_owner(handle: int, found: os.stat_result) -> None:
    """Give the temporary file the owner and group of the file it replaces, as far as permitted."""
    if (found.st_uid, found.st_gid) == (os.geteuid(), os.getegid()):
        return
    for uid in (found.st_uid, -1):  # only root may give a file away; anyone may pick one of their groups
        try:
            os.fchown(handle, uid, found.st_gid)
            return
        except OSError:
            continue
