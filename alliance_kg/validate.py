"""SHACL validation (pySHACL) of the bundled graph, or of the bundled graph plus a user's additions.

``validate(...) -> Report``: the report keeps pySHACL's results graph (for ``--format turtle``) and a
readable list of results (focus node with its label, path, value, message, severity, shape).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .namespaces import SH

TYPE_CHECKING = False  # typing itself costs a command-line query milliseconds to import
if TYPE_CHECKING:
    from typing import Any

    from rdflib import Graph
    from rdflib.plugins.sparql.processor import SPARQLProcessor
    from rdflib.plugins.sparql.sparql import Query
    from rdflib.term import Identifier

SEVERITIES = ("info", "warning", "violation")
_RANK = {SH + "Info": 0, SH + "Warning": 1, SH + "Violation": 2}


@dataclass(frozen=True)
class Result:
    severity: str  # Violation, Warning or Info
    focus: str
    focus_label: str
    path: str | None
    value: str | None
    message: str
    shape: str  # IRI (or blank node id) of the sh:sourceShape
    component: str = ""  # IRI of the SHACL constraint component (sh:MinCountConstraintComponent, …)
    constraint: str | None = None  # IRI of the SPARQL constraint, where one reported the result
    #: the datatype of a literal value as a CURIE (``xsd:string`` for a plain string, ``rdf:langString``
    #: with a language tag); None for an IRI, a blank node or no value
    value_datatype: str | None = None


@dataclass
class Report:
    results: list[Result]
    threshold: str = "violation"
    graph: Graph | None = field(default=None, repr=False)  # the sh:ValidationReport as an rdflib graph

    @property
    def failing(self) -> list[Result]:
        floor = SEVERITIES.index(self.threshold)
        return [r for r in self.results if SEVERITIES.index(r.severity.lower()) >= floor]

    @property
    def conforms(self) -> bool:
        return not self.failing


def shapes_graph() -> Graph:
    from .graph import load_files

    return load_files([paths.shapes_file()])


def validate(
    extra: Sequence[Path | str] = (),
    *,
    reasoned: bool = False,
    threshold: str = "violation",
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Validate ontology + bundled data + ``extra`` against ontology/shapes.ttl."""
    say = progress or (lambda _message: None)
    say("loading the graph")
    from .graph import load_graph

    data = load_graph(extra=extra)
    if reasoned:
        say("computing the OWL 2 RL closure")
        add_inferred_classes(data, extra)
    shapes = shapes_graph()
    say(f"validating {len(data)} triples against {len(shapes)} shape triples")
    return validate_graph(data, shapes, threshold=threshold, inplace=True)


def add_inferred_classes(data: Graph, extra: Sequence[Path | str] = ()) -> int:
    """Add to ``data`` the memberships of akg: classes that OWL 2 RL infers (through subclasses, domains
    and ranges), so that a resource typed only through its properties is checked by its class's shape.
    The other inferred triples (schema.org/ORG super-properties, inverses) are left out: the shapes
    describe the graph as asserted, and its closed shapes would reject them. Raises
    :class:`~alliance_kg.reasoning.Inconsistency` if the graph is contradictory."""
    from rdflib import URIRef
    from rdflib.namespace import RDF

    from .namespaces import AKG
    from .reasoning import closure

    added = 0
    for subject, _, cls in closure(extra).triples((None, RDF.type, None)):
        if isinstance(cls, URIRef) and cls.startswith(AKG) and (subject, RDF.type, cls) not in data:
            data.add((subject, RDF.type, cls))
            added += 1
    return added


def validate_graph(
    data: Graph, shapes: Graph | None = None, *, threshold: str = "violation", inplace: bool = False
) -> Report:
    """Validate an rdflib graph that holds the ontology and the data. Inference is "none": SHACL follows
    the ontology's rdfs:subClassOf triples in the data graph for sh:class and sh:targetClass, while RDFS
    inference would hide errors (a range-inferred type satisfies sh:class; inferred super-property triples
    trip the closed shapes). ``inplace`` lets pySHACL work on ``data`` itself instead of a copy."""
    import pyshacl

    if shapes is None:
        shapes = shapes_graph()
    with _prepared_sparql():
        _, report_graph, _ = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
            abort_on_first=False,
            inplace=inplace,
        )
    return Report(_results(report_graph, data), threshold=threshold, graph=report_graph)


@functools.lru_cache(maxsize=512)
def _prepare(text: str, base: str | None, namespaces: tuple[tuple[str, str], ...]) -> Query:
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    return translateQuery(parseQuery(text), base, dict(namespaces))


@contextmanager
def _prepared_sparql() -> Iterator[None]:
    """pySHACL hands rdflib the text of each SHACL-SPARQL constraint once per focus node, and rdflib parses
    it anew every time: two thirds of the validation time. While validating, parse each text once and reuse
    the prepared query (rdflib's own prepareQuery pattern: the algebra is evaluated with new bindings)."""
    from rdflib.plugins.sparql import processor

    original = processor.SPARQLProcessor.query

    def query(
        self: SPARQLProcessor,
        strOrQuery: str | Query,
        initBindings: Mapping[str, Identifier] | None = None,
        initNs: Mapping[str, Any] | None = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Mapping[str, Any]:
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((str(k), str(v)) for k, v in (initNs or {}).items()))
            strOrQuery = _prepare(strOrQuery, base, namespaces)
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    # setattr: mypy refuses an assignment to a method (method-assign), which is what this patch is
    setattr(processor.SPARQLProcessor, "query", query)  # noqa: B010
    try:
        yield
    finally:
        setattr(processor.SPARQLProcessor, "query", original)  # noqa: B010


def _results(report: Graph, data: Graph) -> list[Result]:
    from rdflib import Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    def sh(name: str) -> URIRef:
        return URIRef(SH + name)

    out = []
    for node in report.subjects(RDF.type, sh("ValidationResult")):
        focus = report.value(node, sh("focusNode"))
        path = report.value(node, sh("resultPath"))
        value = report.value(node, sh("value"))
        severity = str(report.value(node, sh("resultSeverity")) or SH + "Violation").removeprefix(SH)
        messages = sorted(str(m) for m in report.objects(node, sh("resultMessage")))
        label = next(
            (
                str(v)
                for v in data.objects(focus, RDFS.label)
                if isinstance(v, Literal) and v.language in ("en", None)
            ),
            None,
        )
        out.append(
            Result(
                severity=severity,
                focus=str(focus),
                focus_label=label or _short(str(focus)),
                path=_short(str(path)) if path is not None else None,
                value=_short(str(value))
                if isinstance(value, URIRef)
                else (str(value) if value is not None else None),
                message="; ".join(messages) or "(no message)",
                shape=str(report.value(node, sh("sourceShape"))),
                component=str(report.value(node, sh("sourceConstraintComponent"))),
                constraint=str(c) if (c := report.value(node, sh("sourceConstraint"))) is not None else None,
                value_datatype=_datatype(value),
            )
        )
    return sorted(out, key=lambda r: (-_RANK[SH + r.severity], r.shape, r.focus, r.path or "", r.value or ""))


def _datatype(value: object) -> str | None:
    """A literal's datatype as a CURIE: ``xsd:string`` for ``"2026"``, ``rdf:langString`` for ``"x"@en``."""
    from rdflib import Literal

    if not isinstance(value, Literal):
        return None
    if value.datatype is not None:
        return _short(str(value.datatype))
    return "rdf:langString" if value.language else "xsd:string"


_DATATYPE_COMPONENT = SH + "DatatypeConstraintComponent"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith(("xsd:", "rdf:")) else "a"


def _short(iri: str) -> str:
    from .namespaces import curie

    return curie(iri) if iri.startswith(("http://", "https://")) else iri


def render_text(report: Report) -> str:
    if not report.results:
        return "conforms: no results of any severity\n"
    lines = []
    shape = None
    for r in report.results:
        if r.shape != shape:
            shape = r.shape
            lines.append(_short(shape))
        where = f" {r.path}" if r.path else ""
        value = ""
        if r.value is not None:
            value = f' = "{r.value}" ({r.value_datatype})' if r.value_datatype else f" = {r.value}"
        message = r.message
        if r.component == _DATATYPE_COMPONENT and r.value_datatype:  # say what the value is instead
            what = "a plain string (xsd:string)" if r.value_datatype == "xsd:string" else r.value_datatype
            message += f"; the value is {what if what.startswith('a ') else _article(what) + ' ' + what}"
        lines.append(f"  {r.severity:9s} {r.focus_label}{where}{value}: {message}")
    counts = {s: sum(1 for r in report.results if r.severity.lower() == s) for s in SEVERITIES}
    verdict = "conforms" if report.conforms else "does not conform"
    lines.append(
        f"\n{verdict}: {counts['violation']} violation(s), {counts['warning']} warning(s), "
        f"{counts['info']} info (failing at {report.threshold} and above)"
    )
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    return (
        json.dumps(
            {
                "conforms": report.conforms,
                "threshold": report.threshold,
                "results": [r.__dict__ for r in report.results],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def progress_on_stderr(message: str) -> None:
    print(f"… {message}", file=sys.stderr)
