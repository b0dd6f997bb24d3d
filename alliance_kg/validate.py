"""SHACL validation of the bundled graph, or of the bundled graph plus a user's additions.

``validate(...) -> Report``: the report keeps the SHACL validation report graph (for ``--format turtle``) and
a readable list of results (focus node with its label, path, value, message, severity, shape).

Two engines give the same results. ``engine="oxigraph"`` (the default) compiles the shapes into SPARQL
queries that run once over the whole graph in an Oxigraph store (:mod:`alliance_kg.shacl`), which keeps
validation linear in the size of the graph; ``engine="pyshacl"`` is pySHACL, the reference the tests compare
it with. ``validate`` also runs the consistency checks of ``queries/checks/`` that SHACL cannot express (those
whose header says ``# validate: yes``) and reports their rows as results of the same report.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .namespaces import BASE, SH

TYPE_CHECKING = False  # typing itself costs a command-line query milliseconds to import
if TYPE_CHECKING:
    from typing import Any

    import pyoxigraph as ox
    from rdflib import Graph
    from rdflib.plugins.sparql.processor import SPARQLProcessor
    from rdflib.plugins.sparql.sparql import Query
    from rdflib.term import Identifier, Node

    from .shacl import Hit
    from .shacl.model import ShapesGraph
    from .shacl.terms import Term, TermMapper

SEVERITIES = ("info", "warning", "violation")
ENGINES = ("oxigraph", "pyshacl")
_RANK = {SH + "Info": 0, SH + "Warning": 1, SH + "Violation": 2}
#: the IRI a consistency check of queries/checks/ reports under (sh:sourceShape and sh:sourceConstraint)
CHECKS_BASE = BASE + "queries/checks/"


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
    engine: str = "oxigraph",
) -> Report:
    """Validate ontology + bundled data + ``extra`` against ontology/shapes.ttl, and run the consistency
    checks that SHACL cannot express (see the module's docstring)."""
    say = progress or (lambda _message: None)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    say("loading the graph")
    if engine == "pyshacl":
        from .graph import load_graph

        data = load_graph(extra=extra)
        if reasoned:
            say("computing the OWL 2 RL closure")
            add_inferred_classes(data, extra)
        shapes = shapes_graph()
        say(f"validating {len(data)} triples against {len(shapes)} shape triples")
        return validate_graph(data, shapes, threshold=threshold, inplace=True, engine="pyshacl", checks=True)
    from . import shacl
    from .shacl.terms import TermMapper

    mapper = TermMapper()
    store = shacl.load_store([paths.ontology_file(), *paths.graph_files(), *extra], mapper)
    if reasoned:
        say("computing the OWL 2 RL closure")
        add_inferred_classes_to_store(store, extra, mapper)
    model = shacl.read_shapes(paths.shapes_file())
    say(f"validating {len(store)} triples against {len(model)} shape triples")
    validation = shacl.validate(store, model, mapper, shapes_graph=shapes_graph)
    hits = validation.hits + check_hits(store)
    return _report(hits, store, model, threshold)


def add_inferred_classes(data: Graph, extra: Sequence[Path | str] = ()) -> int:
    """Add to ``data`` the memberships of akg: classes that OWL 2 RL infers (through subclasses, domains
    and ranges), so that a resource typed only through its properties is checked by its class's shape.
    The other inferred triples (schema.org/ORG super-properties, inverses) are left out: the shapes
    describe the graph as asserted, and its closed shapes would reject them. The closure is the cached one
    (:func:`~alliance_kg.reasoning.closure_bytes`), as for the Oxigraph engine. Raises
    :class:`~alliance_kg.reasoning.Inconsistency` if the graph is contradictory."""
    import pyoxigraph as ox
    from rdflib import BNode, URIRef
    from rdflib.namespace import RDF

    from .namespaces import AKG
    from .reasoning import closure_bytes

    rdf_type = ox.NamedNode(str(RDF.type))
    added = 0
    for triple in ox.parse(closure_bytes(extra), format=ox.RdfFormat.N_TRIPLES):
        cls, subject = triple.object, triple.subject
        if triple.predicate != rdf_type or not isinstance(cls, ox.NamedNode) or not cls.value.startswith(AKG):
            continue
        if isinstance(subject, ox.NamedNode):
            node: URIRef | BNode = URIRef(subject.value)
        elif isinstance(subject, ox.BlankNode):
            node = BNode(subject.value)
        else:
            continue
        if (node, RDF.type, URIRef(cls.value)) not in data:
            data.add((node, RDF.type, URIRef(cls.value)))
            added += 1
    return added


def add_inferred_classes_to_store(store: ox.Store, extra: Sequence[Path | str], mapper: TermMapper) -> int:
    """:func:`add_inferred_classes` for the engine's store: the akg: class memberships of the (cached)
    OWL 2 RL closure that the store lacks."""
    import pyoxigraph as ox

    from .namespaces import AKG, RDF
    from .reasoning import closure_bytes

    rdf_type = ox.NamedNode(RDF + "type")
    added = []
    for triple in ox.parse(closure_bytes(extra), format=ox.RdfFormat.N_TRIPLES):
        cls = triple.object
        if (
            triple.predicate == rdf_type
            and isinstance(cls, ox.NamedNode)
            and cls.value.startswith(AKG)
            and not isinstance(triple.subject, ox.Triple)
        ):
            quad = ox.Quad(triple.subject, rdf_type, cls)
            if quad not in store:
                added.append(quad)
    store.extend(added)
    return len(added)


def validate_graph(
    data: Graph,
    shapes: Graph | None = None,
    *,
    threshold: str = "violation",
    inplace: bool = False,
    engine: str = "oxigraph",
    checks: bool = False,
) -> Report:
    """Validate an rdflib graph that holds the ontology and the data. Inference is "none": SHACL follows
    the ontology's rdfs:subClassOf triples in the data graph for sh:class and sh:targetClass, while RDFS
    inference would hide errors (a range-inferred type satisfies sh:class; inferred super-property triples
    trip the closed shapes). ``inplace`` lets pySHACL work on ``data`` itself instead of a copy (the Oxigraph
    engine never changes it). ``checks``: also run the consistency checks, as :func:`validate` does."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    from . import shacl
    from .shacl.terms import TermMapper

    if shapes is None:
        shapes = shapes_graph()
    if engine == "pyshacl":
        report_graph = pyshacl_report(data, shapes, inplace=inplace)
        results = _results(report_graph, data)
        if checks:
            mapper = TermMapper()
            store = shacl.store_from_graph(data, mapper)
            extra = check_hits(store)
            if extra:
                from rdflib import URIRef
                from rdflib.namespace import RDF

                model = shacl.read_shapes(shapes)
                report = next(iter(report_graph.subjects(RDF.type, URIRef(SH + "ValidationReport"))))
                _add_results(report_graph, report, extra, store, model)
                results = sorted(results + [_result(h, store, model) for h in extra], key=_order)
        return Report(results, threshold=threshold, graph=report_graph)
    mapper = TermMapper()
    store = shacl.store_from_graph(data, mapper)
    model = shacl.read_shapes(shapes)
    frozen = shapes
    validation = shacl.validate(store, model, mapper, data_graph=lambda: data, shapes_graph=lambda: frozen)
    hits = validation.hits + (check_hits(store) if checks else [])
    return _report(hits, store, model, threshold, shapes=shapes)


def pyshacl_report(data: Graph, shapes: Graph, *, inplace: bool = False) -> Graph:
    """pySHACL's validation report graph, run as the project runs it: no inference (see
    :func:`validate_graph`), SHACL-AF, every result, each SPARQL constraint parsed once."""
    import pyshacl
    from rdflib import Graph as RdflibGraph

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
    assert isinstance(report_graph, RdflibGraph)
    return report_graph


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
    """The results of pySHACL's report graph."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import RDF, RDFS

    from .shacl.model import render_path

    def sh(name: str) -> URIRef:
        return URIRef(SH + name)

    def path_text(path: Node) -> str:
        return render_path(
            path,
            lambda node, predicate: report.value(node, URIRef(predicate)),
            lambda node: list(report.items(node)),
            lambda node: str(node) if isinstance(node, URIRef) else None,
            _short,
        )

    out = []
    for node in report.subjects(RDF.type, sh("ValidationResult")):
        focus = report.value(node, sh("focusNode"))
        path = report.value(node, sh("resultPath"))
        value = report.value(node, sh("value"))
        severity = str(report.value(node, sh("resultSeverity")) or SH + "Violation").removeprefix(SH)
        messages = sorted(str(m) for m in report.objects(node, sh("resultMessage")))
        label = _label(
            (str(v), v.language) for v in data.objects(focus, RDFS.label) if isinstance(v, Literal)
        )
        out.append(
            Result(
                severity=severity,
                focus=str(focus),
                focus_label=label or _short(str(focus)),
                path=(path_text(path) if isinstance(path, BNode) else _short(str(path)))
                if path is not None
                else None,
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
    return sorted(out, key=_order)


def _order(r: Result) -> tuple[int, str, str, str, str]:
    return (-_RANK.get(SH + r.severity, 2), r.shape, r.focus, r.path or "", r.value or "")


def _label(labels: Iterable[tuple[str, str | None]]) -> str | None:
    """The label to show for a focus node: an English or untagged rdfs:label, English first, then the
    first in code point order (one rule for both engines, where rdflib's set order used to decide)."""
    found = sorted((lang != "en", text) for text, lang in labels if lang in ("en", None))
    return found[0][1] if found else None


# --- the Oxigraph engine's report ----------------------------------------------------------------------


def _report(
    hits: list[Hit], store: ox.Store, model: ShapesGraph, threshold: str, *, shapes: Graph | None = None
) -> Report:
    results = sorted((_result(h, store, model) for h in hits), key=_order)
    return Report(results, threshold=threshold, graph=_report_graph(hits, store, model, shapes))


def _result(hit: Hit, store: ox.Store, model: ShapesGraph) -> Result:
    import pyoxigraph as ox

    from .namespaces import RDFS
    from .shacl.model import render_graph_path

    focus, value, path = hit.focus, hit.value, hit.path
    labels = (
        (q.object.value, q.object.language)
        for q in store.quads_for_pattern(
            focus if not isinstance(focus, ox.Literal) else None,
            ox.NamedNode(RDFS + "label"),
            None,
            ox.DefaultGraph(),
        )
        if isinstance(q.object, ox.Literal) and not isinstance(focus, ox.Literal)
    )
    label = _label(labels)
    if isinstance(path, ox.BlankNode):
        path_text: str | None = render_graph_path(model, path, _short)
    else:
        path_text = _short(path.value) if path is not None else None
    value_text = None
    if value is not None:
        value_text = _short(value.value) if isinstance(value, ox.NamedNode) else value.value
    messages = sorted({m.value for m in dict.fromkeys(hit.messages)})
    return Result(
        severity=hit.severity.removeprefix(SH),
        focus=focus.value,
        focus_label=label or _short(focus.value),
        path=path_text,
        value=value_text,
        message="; ".join(messages) or "(no message)",
        shape=hit.shape.value,
        component=hit.component,
        constraint=hit.constraint.value if hit.constraint is not None else None,
        value_datatype=_term_datatype(value),
    )


def _term_datatype(value: Term | None) -> str | None:
    import pyoxigraph as ox

    from .shacl.terms import RDF_LANGSTRING, XSD_STRING

    if not isinstance(value, ox.Literal):
        return None
    if value.language:
        return _short(RDF_LANGSTRING)
    datatype = value.datatype.value
    return "xsd:string" if datatype == XSD_STRING else _short(datatype)


def _report_graph(hits: list[Hit], store: ox.Store, model: ShapesGraph, shapes: Graph | None) -> Graph:
    """The sh:ValidationReport of ``hits``, as pySHACL writes it (its namespaces: the shapes graph's)."""
    from rdflib import BNode, Graph, URIRef
    from rdflib.namespace import RDF

    from .graph import bind_prefixes

    graph = Graph(bind_namespaces="core")
    for prefix, namespace in (shapes if shapes is not None else bind_prefixes(Graph())).namespaces():
        graph.bind(prefix, namespace)
    report = BNode()
    graph.add((report, RDF.type, URIRef(SH + "ValidationReport")))
    _add_results(graph, report, hits, store, model)
    return graph


def _add_results(graph: Graph, report: Node, hits: list[Hit], store: ox.Store, model: ShapesGraph) -> None:
    """One sh:ValidationResult per hit, blank nodes (a path, a focus node) copied from the graph they come
    from, as pySHACL does; sh:conforms false if a hit is neither a warning nor an info (or it was already)."""
    import pyoxigraph as ox
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import RDF

    from .shacl.terms import to_rdflib

    conforms = URIRef(SH + "conforms")
    was = graph.value(report, conforms)
    ok = (was is None or bool(getattr(was, "value", True))) and all(
        h.severity in (SH + "Warning", SH + "Info") for h in hits
    )
    graph.set((report, conforms, Literal(ok)))
    copied: dict[Term, Identifier] = {}

    def copy(term: Term, source: str) -> Identifier:
        if not isinstance(term, ox.BlankNode):
            return to_rdflib(term)
        if term not in copied:
            copied[term] = to_rdflib(term)
            triples = model.describe(term) if source == "shapes" else _describe(store, term)
            for s, p, o in triples:
                graph.add((to_rdflib(s), to_rdflib(p), to_rdflib(o)))
        return copied[term]

    def sh(name: str) -> URIRef:
        return URIRef(SH + name)

    for hit in hits:
        result = BNode()
        graph.add((report, sh("result"), result))
        graph.add((result, RDF.type, sh("ValidationResult")))
        graph.add((result, sh("sourceConstraintComponent"), URIRef(hit.component)))
        graph.add((result, sh("sourceShape"), copy(hit.shape, "shapes")))
        graph.add((result, sh("resultSeverity"), URIRef(hit.severity)))
        graph.add((result, sh("focusNode"), copy(hit.focus, "data")))
        if hit.value is not None:
            graph.add((result, sh("value"), copy(hit.value, "data")))
        if hit.path is not None:
            graph.add((result, sh("resultPath"), copy(hit.path, "shapes")))
        if hit.constraint is not None:
            graph.add((result, sh("sourceConstraint"), copy(hit.constraint, "shapes")))
        for message in hit.messages:
            graph.add((result, sh("resultMessage"), to_rdflib(message)))


def _describe(store: ox.Store, node: ox.BlankNode) -> Iterator[tuple[Term, ox.NamedNode, Term]]:
    import pyoxigraph as ox

    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for q in store.quads_for_pattern(current, None, None, ox.DefaultGraph()):
            obj = q.object
            if isinstance(obj, ox.Triple):
                continue
            yield current, q.predicate, obj
            if isinstance(obj, ox.BlankNode):
                todo.append(obj)


# --- the consistency checks that SHACL cannot express ---------------------------------------------------


def validation_checks() -> list[Check]:
    """The checks of queries/checks/ that run inside ``validate`` (``# validate: yes`` in their header)."""
    from .catalogue import header_fields, query_files

    found = []
    for path in query_files(checks=True):
        text = path.read_text(encoding="utf-8")
        header = header_fields(text, _CHECK_HEADER)
        if header.get("validate", "no").lower() not in ("yes", "true"):
            continue
        severity = header.get("severity", "violation").strip().lower()
        if severity not in SEVERITIES:
            raise ValueError(f"{path.name}: unknown severity {severity!r}")
        found.append(
            Check(
                name=path.stem,
                iri=CHECKS_BASE + path.stem,
                text=text,
                severity=SH + severity.capitalize(),
                focus=header.get("focus", "entity").lstrip("?$"),
                value=header["value"].lstrip("?$") if header.get("value") else None,
                message=header.get("message") or path.stem,
            )
        )
    return found


_CHECK_HEADER = re.compile(r"^#\s*(validate|severity|focus|value|message)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class Check:
    name: str
    iri: str
    text: str
    severity: str  # sh:Violation, sh:Warning or sh:Info
    focus: str  # the variable whose value is the focus node
    value: str | None  # the variable reported as sh:value
    message: str  # with {?variable} placeholders


def _verbatim(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement for ``re.sub`` that is ``text`` as it is (no backslash escapes)."""
    return lambda _match: text


def check_hits(store: ox.Store, checks: Sequence[Check] | None = None) -> list[Hit]:
    """The rows of the checks, as results of the validation report (focus node, value, message)."""
    import pyoxigraph as ox

    from .namespaces import PREFIXES
    from .shacl import Hit
    from .shacl.terms import decode, to_rdflib

    hits = []
    for check in validation_checks() if checks is None else checks:
        iri = ox.NamedNode(check.iri)
        result = store.query(check.text, prefixes=dict(PREFIXES))
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        for row in result:
            bound = {
                n: decode(row[n])
                for n in names
                if isinstance(row[n], ox.NamedNode | ox.BlankNode | ox.Literal)
            }
            focus = bound.get(check.focus)
            if focus is None:
                continue
            message = check.message
            for name, term in bound.items():
                message = re.sub(f"{{[?$]{re.escape(name)}}}", _verbatim(str(to_rdflib(term))), message)
            hits.append(
                Hit(
                    shape=iri,
                    component=SH + "SPARQLConstraintComponent",
                    focus=focus,
                    path=None,
                    value=bound.get(check.value) if check.value else None,
                    severity=check.severity,
                    messages=(ox.Literal(message, language="en"),),
                    constraint=iri,
                )
            )
    return hits


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

    if iri.startswith(CHECKS_BASE):  # a consistency check, by the name `alliance-kg query` runs it under
        return "checks/" + iri.removeprefix(CHECKS_BASE)
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
