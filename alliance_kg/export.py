"""Deterministic exports: the same graph gives the same bytes on every run, so diffs are reviewable.

Blank nodes get canonical labels (rdflib's canonical graph, RDFC-style hashing) and triples are
written in sorted order. ``write_atomically`` writes through a temporary file and a rename, so an
interrupted export never leaves a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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


def _canonical(graph):
    from rdflib import Graph
    from rdflib.compare import to_canonical_graph

    from .graph import bind_prefixes

    canonical = to_canonical_graph(graph)
    ordered = bind_prefixes(Graph())
    for triple in sorted(canonical, key=lambda t: tuple(n.n3() for n in t)):
        ordered.add(triple)
    return ordered


def serialize_graph(graph, fmt: str) -> bytes:
    from .errors import UsageError

    if fmt not in FORMATS or fmt in QUAD_FORMATS:
        raise UsageError(f"unknown graph format {fmt!r}")
    ordered = _canonical(graph)
    if fmt == "nt":
        lines = sorted(set(ordered.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()))
        return ("\n".join(line for line in lines if line.strip()) + "\n").encode("utf-8")
    kwargs = {"context": jsonld_context(), "auto_compact": True} if fmt == "jsonld" else {}
    return ordered.serialize(format=FORMATS[fmt], encoding="utf-8", **kwargs)


def jsonld_context() -> dict:
    """The JSON-LD context of graph/context.jsonld, inlined in JSON-LD exports so that they read as plain
    JSON ("name": "Nissan Micra", "hasBrand": "brand:nissan") and need no remote context to expand."""
    import json

    from . import paths

    return json.loads((paths.graph_dir() / "context.jsonld").read_text(encoding="utf-8"))["@context"]


def serialize_dataset(dataset, fmt: str) -> bytes:
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
    return ordered.serialize(format="trig", encoding="utf-8")


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder and an atomic rename:
    an interrupted or failed write leaves no half-written ``target``. Failures raise UsageError."""
    from .errors import UsageError

    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {target}: folder {folder} does not exist")
    if target.is_dir():
        raise UsageError(f"cannot write {target}: it is a folder")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and Path(tmp).exists():
            Path(tmp).unlink()
