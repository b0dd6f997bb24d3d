"""OWL 2 RL reasoning (owlrl) over the ontology and the data, and a cache of the closure.

The closure takes about two seconds to compute, so ``query --reasoned`` reads it from a cache keyed by
the content of every input (bundled files, the user's files, the versions of alliance-kg and owlrl):
the first call computes and stores it, later calls load it in milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import __version__, paths
from .errors import CheckFailed


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
    digest = hashlib.sha256(f"alliance-kg {__version__}; owlrl {owlrl_version}\n".encode())
    for path in _inputs(extra):
        from .errors import DataError

        try:
            content = path.read_bytes()
        except OSError as exc:
            raise DataError(str(path), f"cannot read file: {exc.strerror or exc}") from None
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


class Inconsistency(CheckFailed):
    """OWL 2 RL reasoning found the ontology and data contradictory; ``problems`` says where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the graph is inconsistent under OWL 2 RL:\n  " + "\n  ".join(problems))


_ERR = "http://www.daml.org/2002/03/agents/agent-ont#"


def functional_clashes(graph) -> list[str]:
    """Resources with two values of a functional property (or two resources sharing a value of an
    inverse-functional one). OWL 2 RL would quietly make the values the same individual (owl:sameAs);
    in this graph distinct IRIs name distinct things, so that is an error."""
    from rdflib import URIRef
    from rdflib.namespace import OWL, RDF

    problems = []
    for prop in sorted(set(graph.subjects(RDF.type, OWL.FunctionalProperty))):
        for subject in sorted(set(graph.subjects(prop, None))):
            values = sorted({str(v) for v in graph.objects(subject, prop)})
            if len(values) > 1 and isinstance(subject, URIRef):
                problems.append(
                    f"functional property <{prop}> has {len(values)} values for <{subject}>: "
                    + ", ".join(values)
                )
    for prop in sorted(set(graph.subjects(RDF.type, OWL.InverseFunctionalProperty))):
        for value in sorted(set(graph.objects(None, prop))):
            subjects = sorted({str(s) for s in graph.subjects(prop, value)})
            if len(subjects) > 1:
                problems.append(
                    f"inverse-functional property <{prop}> has value <{value}> for several resources: "
                    + ", ".join(subjects)
                )
    return problems


def closure(extra: Sequence[Path | str] = (), *, check: bool = True):  # -> rdflib.Graph
    """The OWL 2 RL closure of ontology + data (+ ``extra``), as an rdflib graph (asserted and inferred).
    Contradictions raise :class:`Inconsistency` naming the resources involved (unless ``check`` is off)."""
    import owlrl
    from rdflib import URIRef
    from rdflib.namespace import OWL, RDF

    from .graph import load_graph

    graph = load_graph(extra=extra)
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
    if problems and check:
        raise Inconsistency(problems)
    _drop_generalised_triples(graph)
    return graph


def _drop_generalised_triples(graph) -> None:
    """owlrl can infer triples with a literal subject (generalised RDF), which cannot be written out, and
    says of every blank node of the ontology's axioms that it is owl:sameAs itself, which says nothing
    and keeps RDF lists from being written as lists (JSON-LD, Turtle)."""
    from rdflib import BNode, Literal
    from rdflib.namespace import OWL

    for triple in [t for t in graph if isinstance(t[0], Literal) or isinstance(t[1], Literal)]:
        graph.remove(triple)
    for node in [s for s, o in graph.subject_objects(OWL.sameAs) if isinstance(s, BNode) and s == o]:
        graph.remove((node, OWL.sameAs, node))


def inferred_triples(extra: Sequence[Path | str] = ()):  # -> tuple[rdflib.Graph, list[triple]]
    """The closure and the triples OWL 2 RL adds to what is asserted, compared within one parse (blank
    nodes of separate parses never match). Inferred triples about blank nodes (the ontology's anonymous
    axioms) are left out of the list: they could not be joined to another copy of the graph."""
    from rdflib import BNode

    from .graph import load_graph

    asserted = {t for t in load_graph(extra=extra) if not any(isinstance(n, BNode) for n in t)}
    full = closure(extra)
    return full, [t for t in full if t not in asserted and not any(isinstance(n, BNode) for n in t)]


def cached_closure(extra: Sequence[Path | str] = ()) -> Path:
    """The path of an N-Triples file holding the closure, computed once per distinct input."""
    target = cache_dir() / f"closure-{closure_key(extra)}.nt"
    if target.is_file():
        return target
    data = closure(extra).serialize(format="nt", encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".closure-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
