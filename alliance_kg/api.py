"""The public Python API of alliance-kg: open the graph, query it, validate it, reason over it, export it.

Everything here is re-exported from :mod:`alliance_kg` (``from alliance_kg import query``)::

    >>> import alliance_kg as akg
    >>> result = akg.query("list-production")          # a catalogue name, a .rq/.sparql file or SPARQL
    >>> [(v["year"], v["unitsProduced"]) for v in result.values()]
    [(2023, 50729), (2024, 89527)]
    >>> df = result.to_dataframe()                      # pip install 'alliance-kg[pandas]'
    >>> str(df["unitsProduced"].dtype)
    'Int64'

``data`` is always the user's own RDF files, added to the bundled ontology and instance data (one path or
several; Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD or N3 by extension), and ``reasoned`` asks
for the OWL 2 RL closure (computed once, then read from the cache of :mod:`alliance_kg.reasoning`).

Every error a caller can act on is an :class:`~alliance_kg.errors.AllianceKGError` (``UsageError``,
``DataError``, ``QueryError``, ``CheckFailed``…) whose message says what to change. The heavy libraries
(rdflib, pySHACL, owlrl, pandas) are imported only by the functions that need them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox

from .errors import AllianceKGError, QueryError, UsageError

TYPE_CHECKING = False  # importing typing costs every command-line query milliseconds
if TYPE_CHECKING:
    import datetime
    import decimal
    from typing import Any, Literal, TypeAlias

    import pandas as pd
    from rdflib import Dataset, Graph

    from .catalogue import NamedQuery
    from .describe import Description
    from .layout import Layout
    from .stats import Stats
    from .validate import Report

    #: One RDF file, or several.
    DataFiles: TypeAlias = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
    #: What ``params`` values may be: a string is read as the command line reads ``--param`` (an IRI, a
    #: CURIE or a label for a resource; the lexical form for a literal); the others are written out first.
    ParamValue: TypeAlias = str | int | float | decimal.Decimal | datetime.date | ox.NamedNode | ox.Literal
    #: A Python value of :meth:`Result.values`.
    Value: TypeAlias = str | int | float | bool | decimal.Decimal | datetime.date | datetime.datetime | None
    Form: TypeAlias = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

__all__ = [
    "MissingDependency",
    "Result",
    "Term",
    "closure",
    "describe",
    "export",
    "layout",
    "open_dataset",
    "open_graph",
    "open_store",
    "query",
    "stats",
    "validate",
]

#: An RDF term of a query solution (pyoxigraph's classes).
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = frozenset(
    _XSD + name
    for name in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
        "unsignedByte",
    )
)  # fmt: skip
_FLOATS = frozenset({_XSD + "double", _XSD + "float"})
_DECIMAL = _XSD + "decimal"
_BOOLEAN = _XSD + "boolean"
_DATE = _XSD + "date"
_DATETIME = _XSD + "dateTime"
_GYEAR = _XSD + "gYear"
_YEAR = re.compile(r"(-?\d{4,})(?:Z|[+-]\d{2}:\d{2})?")
_DATE_LEXICAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_INLINE = re.compile(r"[{}\n]|^\s*(?:PREFIX|BASE|SELECT|ASK|CONSTRUCT|DESCRIBE)(?:\s|[{*?<(])", re.I)
_NAME = re.compile(r"(?:checks/)?[A-Za-z0-9_][A-Za-z0-9_-]*")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class MissingDependency(AllianceKGError):
    """An optional library that a function needs is not installed; the message says what to install."""


def _files(data: DataFiles) -> list[Path]:
    """``data`` as a list of paths: one path (``str`` or path-like) or an iterable of them."""
    if isinstance(data, str | os.PathLike):
        return [Path(data)]
    files: list[Path] = []
    for item in data:
        if not isinstance(item, str | os.PathLike):
            raise UsageError(f"data: expected file paths, got {type(item).__name__} {item!r}")
        files.append(Path(item))
    return files


def open_store(
    data: DataFiles = (), *, reasoned: bool = False, on_compute: Callable[[], None] | None = None
) -> ox.Store:
    """The bundled ontology and instance data, plus the user's ``data`` files, in an in-memory pyoxigraph
    store: the engine :func:`query` and the command line use (SPARQL 1.1, a few milliseconds to open).
    With ``reasoned``, the store holds the OWL 2 RL closure instead (read from the cache; when it has to
    be computed, ``on_compute`` is called first, to say so).

    >>> store = open_store()
    >>> bool(store.query("ASK { ?m a <https://w3id.org/alliance-kg/ontology#VehicleModel> }"))
    True
    >>> open_store("my-additions.ttl")  # doctest: +SKIP
    """
    from . import store

    return store.open_store(extra=_files(data), reasoned=reasoned, on_compute=on_compute)


def open_graph(data: DataFiles = (), *, reasoned: bool = False) -> Graph:
    """The bundled ontology and instance data, plus the user's ``data`` files, as one rdflib
    :class:`~rdflib.Graph` with the project's prefixes bound; with ``reasoned``, their OWL 2 RL closure
    (asserted and inferred triples: see :func:`closure`).

    >>> graph = open_graph()
    >>> from rdflib import URIRef
    >>> (URIRef("https://w3id.org/alliance-kg/id/vehicle/nissan-micra"), None, None) in graph
    True
    """
    if reasoned:
        return closure(data)
    from .graph import load_graph

    return load_graph(extra=_files(data))


def open_dataset(data: DataFiles = (), *, reasoned: bool = False) -> Dataset:
    """The graph as an rdflib :class:`~rdflib.Dataset` of named graphs (ontology, data, vocabularies,
    sources, provenance, the user's ``data`` in ``…/graph/user`` and, with ``reasoned``, what OWL 2 RL
    adds in ``…/graph/inferred``), as the N-Quads and TriG exports lay it out (:mod:`alliance_kg.layout`).

    >>> sorted(str(g.identifier).rsplit("/", 1)[-1] for g in open_dataset().graphs() if len(g))
    ['data', 'ontology', 'provenance', 'sources', 'vocabularies']
    """
    from .graph import load_dataset

    return load_dataset(extra=_files(data), reasoned=reasoned)


def layout(data: DataFiles = (), *, reasoned: bool = False) -> Layout:
    """The dataset's named-graph layout (:class:`alliance_kg.layout.Layout`): the pyoxigraph triples of
    each named graph, and the default graph and closure views the endpoints and exports use.

    The files are read here: one that cannot be read raises :class:`~alliance_kg.errors.DataError`.

    >>> built = layout(reasoned=True)
    >>> len(built.closure()) > len(built.default_graph())
    True
    """
    from . import layout as layout_module

    built = layout_module.build(_files(data), reasoned=reasoned)
    built.graphs  # noqa: B018 - read now (build() reads lazily without reasoning), and fail here if need be
    return built


def closure(data: DataFiles = ()) -> Graph:
    """The OWL 2 RL closure of the ontology, the bundled data and the user's ``data`` files, as an rdflib
    :class:`~rdflib.Graph` (asserted and inferred triples), as ``alliance-kg export --reasoned`` writes it.
    A contradictory graph raises :class:`~alliance_kg.reasoning.Inconsistency` (a ``CheckFailed``) naming
    the resources involved.

    >>> from rdflib import URIRef, RDF
    >>> car = URIRef("https://schema.org/Car")
    >>> len(set(closure().subjects(RDF.type, car)))
    6
    """
    from . import reasoning

    graph: Graph = reasoning.closure(_files(data))
    return graph


def export(fmt: str, *, data: DataFiles = (), reasoned: bool = False, void: bool = False) -> bytes:
    """The graph (plus the user's ``data``; with ``reasoned``, its closure) serialised in ``fmt`` — ``ttl``
    (or ``turtle``), ``nt``, ``jsonld``, ``xml``, or a quad format of named graphs, ``nq`` or ``trig``;
    any case, and the aliases of the command line — byte for byte what ``alliance-kg export --format FMT``
    writes (deterministic: canonical blank nodes, sorted triples). With ``void``, the VoID description of
    that dataset instead (one graph: not ``nq`` or ``trig``).

    >>> export("nt").splitlines()[0].startswith(b"<")
    True
    """
    from . import export as export_module
    from .formatnames import UnknownFormat, resolve

    try:
        name = resolve("export", fmt)
    except UnknownFormat as exc:
        raise UsageError(str(exc)) from None
    files = _files(data)
    if void:
        from . import void as void_module

        if name in export_module.QUAD_FORMATS:
            raise UsageError("--void writes one graph: use --format ttl, nt, jsonld or xml")
        description = void_module.describe(void_module.dataset(extra=files, reasoned=reasoned))
        return export_module.serialize_graph(description, name)
    from . import layout as layout_module

    return export_module.export_layout(layout_module.build(files, reasoned=reasoned), name, reasoned=reasoned)


def validate(
    target: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | Graph | None = None,
    *,
    data: DataFiles = (),
    reasoned: bool = False,
    threshold: str = "violation",
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check the graph against the SHACL shapes (``ontology/shapes.ttl``), as ``alliance-kg validate``.

    ``target`` is what to check:

    - ``None``: the bundled graph (plus the ``data`` files);
    - a path, or several: those files added to the bundled graph, as ``alliance-kg validate --data FILE``
      (a user's additions name the bundled plant, brands and models, so they are checked together);
    - an rdflib :class:`~rdflib.Graph` (or ``Dataset``: the union of its graphs): that graph as the whole
      data, the ontology merged into a copy of it (the caller's graph is left unchanged), plus the ``data``
      files. A graph from :func:`open_graph` with your own triples added is the usual case.

    With ``reasoned``, the class memberships OWL 2 RL infers are checked too (files only), and a
    contradiction raises :class:`~alliance_kg.reasoning.Inconsistency`. ``threshold`` (``violation``,
    ``warning`` or ``info``) is the severity from which :attr:`Report.conforms` fails; every result is
    reported. The :class:`~alliance_kg.validate.Report` has ``conforms``, ``results`` (focus node and its
    label, path, value, message, severity, shape), ``failing`` and ``graph`` (the SHACL report).
    ``progress`` is called with a line of text for each step that takes time (files only).

    >>> validate().conforms
    True
    >>> validate("my-2025-figure.ttl").failing  # doctest: +SKIP
    [Result(severity='Violation', focus='…/production-figure/ampere-douai-2025', …)]
    """
    from . import validate as validation

    if threshold not in validation.SEVERITIES:
        raise UsageError(f"threshold must be one of {', '.join(validation.SEVERITIES)}, not {threshold!r}")
    files = _files(data)
    if target is None or isinstance(target, str | os.PathLike):
        files = ([] if target is None else [Path(target)]) + files
        return validation.validate(files, reasoned=reasoned, threshold=threshold, progress=progress)
    from rdflib import Graph

    if isinstance(target, Graph):
        if reasoned:
            raise UsageError(
                "validate(graph, reasoned=True) is not supported: reasoning runs on files; write the "
                "graph to a file (graph.serialize('mine.ttl')) and validate that path"
            )
        from . import paths
        from .graph import bind_prefixes, parse_file

        merged = bind_prefixes(Graph())
        if hasattr(target, "quads"):  # a Dataset or ConjunctiveGraph: the union of its graphs
            for s, p, o, _ in target.quads((None, None, None, None)):
                merged.add((s, p, o))
        else:
            for triple in target:
                merged.add(triple)
        parse_file(paths.ontology_file(), into=merged)
        for path in files:
            parse_file(path, into=merged)
        return validation.validate_graph(merged, threshold=threshold, inplace=True, checks=True)
    return validation.validate(
        [*_files(target), *files], reasoned=reasoned, threshold=threshold, progress=progress
    )


def describe(
    thing: str,
    *,
    data: DataFiles = (),
    reasoned: bool = False,
    lang: str = "en",
    on_compute: Callable[[], None] | None = None,
) -> Description:
    """Everything the graph says about one resource — named by IRI, CURIE (``vehicle:nissan-micra``) or
    label (``"Nissan Micra"``) — with the source of each fact, as ``alliance-kg describe THING``:
    a :class:`~alliance_kg.describe.Description` (``iri``, ``label``, ``types``, ``facts`` as (property,
    value, sources), ``incoming`` as (subject, property)), labels in ``lang``. ``on_compute``: as for
    :func:`open_store`.

    >>> describe("Nissan Micra").iri
    'https://w3id.org/alliance-kg/id/vehicle/nissan-micra'
    """
    from . import describe as describe_module

    return describe_module.describe(open_store(data, reasoned=reasoned, on_compute=on_compute), thing, lang)


def stats(*, data: DataFiles = (), lang: str = "en") -> Stats:
    """Figures about the graph (plus ``data``), as ``alliance-kg stats``: a :class:`~alliance_kg.stats.Stats`
    with the number of triples, the data classes with their instances (the OWL metaclasses apart), the
    properties by use, and the sources with the facts citing them.

    >>> stats().triples > 3000
    True
    """
    from . import stats as stats_module

    return stats_module.compute(open_store(data), lang)


def _named_query(q: str | os.PathLike[str]) -> NamedQuery:
    """A catalogue name, a path to a query file, or inline SPARQL, as a :class:`NamedQuery`."""
    from . import catalogue

    if isinstance(q, os.PathLike):
        path = Path(q)
    elif not isinstance(q, str):
        raise UsageError(f"query: expected a query name, a file path or SPARQL text, got {type(q).__name__}")
    elif _NAME.fullmatch(q.strip()):
        return catalogue.find(q.strip())
    elif _INLINE.search(q):
        return catalogue.parse_query_text(q)
    else:
        path = Path(q)
    if not path.is_file():
        raise UsageError(f"query file {path} does not exist")
    return catalogue.parse_query_file(path)


def _param_text(name: str, value: object) -> str:
    """A parameter value as the text ``--param NAME=TEXT`` would give (checked by ``params.bind``)."""
    import datetime
    import decimal

    if isinstance(value, str):  # rdflib's URIRef and Literal are strings: their IRI, their lexical form
        return value
    if isinstance(value, ox.NamedNode):
        return f"<{value.value}>"
    if isinstance(value, ox.Literal):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    raise UsageError(
        f"parameter {name}: cannot use a {type(value).__name__} value; give a string (an IRI, a CURIE, a "
        "label, or a literal's lexical form), a number or a date"
    )


def query(
    q: str | os.PathLike[str] | NamedQuery,
    params: Mapping[str, ParamValue] | None = None,
    *,
    data: DataFiles = (),
    reasoned: bool | None = None,
    store: ox.Store | None = None,
    timeout: float | None = None,
    allow_service: bool = False,
) -> Result:
    """Run a query and return its :class:`Result`, read in full.

    ``q`` is a catalogue name (``"list-models"``; ``alliance-kg queries`` lists them, ``checks/NAME`` for
    the consistency checks), a path to a query file (``.rq``, ``.sparql``, any name), SPARQL text, or a
    :class:`~alliance_kg.catalogue.NamedQuery`. The project's prefixes (``akg:``, ``schema:``,
    ``vehicle:``…) need not be declared. ``SELECT *`` gives its variables in the order they first appear
    in the query.

    ``params`` binds the query's declared parameters (its ``# params:`` header), the others keeping their
    defaults: a resource by IRI, CURIE or label (``{"model": "Nissan Micra"}``), a literal by value
    (``{"year": 2024}``), resolved and checked as ``--param`` is on the command line. Values are bound as
    RDF terms, never pasted into the query text.

    The query runs on ``store`` when given (see :func:`open_store`), else on a new store of the bundled
    graph plus ``data``; ``reasoned`` queries the OWL 2 RL closure, and ``None`` leaves it to the query's
    own ``# reasoned:`` header. ``timeout`` (seconds) stops a query that runs longer
    (:class:`~alliance_kg.engine.QueryTimeout`). The query goes through the same gate as on the command
    line: ``SERVICE`` (federation) is refused unless ``allow_service``.

    An empty result that asks for terms only the OWL 2 RL closure has (schema.org, ORG, PROV… classes and
    properties the ontology aligns with) carries a note saying so in :attr:`Result.notes`.

    >>> query("find-model-platform", {"model": "Nissan Micra"}).values()
    [{'model': 'https://w3id.org/alliance-kg/id/vehicle/nissan-micra', ...}, ...]
    >>> query("ASK { vehicle:nissan-micra akg:builtOnPlatform platform:ampr-small }").boolean
    True
    """
    from . import catalogue
    from . import params as parameters
    from . import store as engine_store
    from .engine import run_bounded

    named = q if isinstance(q, catalogue.NamedQuery) else _named_query(q)
    if store is None:
        store = engine_store.open_store(
            extra=_files(data), reasoned=named.reasoned if reasoned is None else reasoned
        )
    elif _files(data) or reasoned:
        raise UsageError("query(store=…) runs on that store: give data and reasoned to open_store instead")
    given = {name: _param_text(name, value) for name, value in (params or {}).items()}
    kg = store

    def work() -> Result:
        # pyoxigraph's results belong to the thread that made them: resolve the parameters (their label
        # lookups are queries too), run and read everything on the engine thread, which frees them there
        bindings = parameters.bind(named, given, kg)
        result = engine_store.run_query(kg, named.text, bindings, allow_service=allow_service)
        try:
            if isinstance(result, ox.QueryBoolean):
                return Result("ASK", (), boolean=bool(result), store=kg)
            if isinstance(result, ox.QueryTriples):
                form: Form = "DESCRIBE" if named.form == "DESCRIBE" else "CONSTRUCT"
                return Result(form, (), triples=list(result), store=kg)
            projected = _star_projection(named.text, [v.value for v in result.variables])
            if projected is not None:
                reordered = engine_store.run_query(kg, projected, bindings, allow_service=allow_service)
                assert isinstance(reordered, ox.QuerySolutions)
                result = reordered
            variables = tuple(v.value for v in result.variables)
            rows = [{name: term for name in variables if (term := row[name]) is not None} for row in result]
            return Result("SELECT", variables, rows=rows, store=kg)
        except (OSError, RuntimeError) as exc:  # raised by the engine while it evaluates (a SERVICE call…)
            raise QueryError(f"the query failed: {exc}") from None

    answer = run_bounded(work, timeout=timeout or None)
    answer.title = named.title
    if answer.empty:
        only = _closure_only_terms(kg, named.text)
        if only:
            from .namespaces import curie

            terms = ", ".join(curie(t) for t in only)
            verb = "appears" if len(only) == 1 else "appear"
            answer.notes = (f"no results; {terms} {verb} only in the OWL 2 RL closure: add --reasoned",)
    return answer


_TOKENS: tuple[re.Pattern[str], re.Pattern[str]] | None = None  # compiled on first use (SELECT *)


def _star_projection(text: str, variables: list[str]) -> str | None:
    """For ``SELECT *``, the query with ``*`` written as its variables in the order they first appear in
    the query (Oxigraph orders them alphabetically); None for any other query, or when the order holds.
    IRIs, strings and comments are skipped when looking for ``?variables``."""
    global _TOKENS
    if _TOKENS is None:
        _TOKENS = (
            re.compile(
                r"\A((?:\s+|#[^\n]*(?:\n|\Z)|PREFIX\s+[^\s:]*:\s*<[^<>]*>|BASE\s*<[^<>]*>)*"
                r"SELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?)\*",
                re.I,
            ),
            re.compile(r"<[^<>\"{}|^`\\\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|[?$](\w+)"),
        )
    star, token = _TOKENS
    match = star.match(text)
    if match is None or not variables:
        return None
    seen: dict[str, int] = {}
    for found in token.finditer(text, match.end()):
        if found[1] and found[1] not in seen:
            seen[found[1]] = len(seen)
    ordered = sorted(variables, key=lambda v: seen.get(v, len(seen)))
    if ordered == variables:
        return None
    return text[: match.end() - 1] + " ".join(f"?{v}" for v in ordered) + text[match.end() :]


#: The terms that only OWL 2 RL reasoning gives instances or uses: what the ontology aligns its own
#: classes and properties with (schema.org, ORG, PROV…), absent from the asserted graph.
_CLOSURE_ONLY = """
SELECT DISTINCT ?t WHERE {
  VALUES ?t { %s }
  ?x rdfs:subClassOf|rdfs:subPropertyOf|owl:equivalentClass|owl:equivalentProperty|owl:inverseOf
     |rdfs:domain|rdfs:range ?t .
  FILTER NOT EXISTS { ?s ?t ?o }
  FILTER NOT EXISTS { ?s a ?t }
} ORDER BY ?t"""


def _closure_only_terms(kg: ox.Store, text: str) -> list[str]:
    """The IRIs in the query ``text`` that the graph in ``kg`` never uses as a class or a property, while
    the ontology makes OWL 2 RL infer them (superclasses, super-properties, equivalents, inverses)."""
    from .gate import check
    from .namespaces import PREFIXES
    from .store import select

    iris = sorted(set(re.findall(r"<([^<>\s]*)>", check(text, allow_service=True, prefixes=PREFIXES).text)))
    if not iris:
        return []
    rows = select(kg, _CLOSURE_ONLY % " ".join(f"<{i}>" for i in iris))
    return [row["t"].value for row in rows]


class Result:
    """The answer to a query, read in full.

    - ``form``: ``"SELECT"``, ``"ASK"``, ``"CONSTRUCT"`` or ``"DESCRIBE"``;
    - ``variables``: the SELECT's variables, in the engine's order (``()`` for the other forms);
    - :meth:`rows`: the solutions as RDF terms (pyoxigraph ``NamedNode``, ``BlankNode``, ``Literal``);
    - :meth:`values`: the solutions as Python values;
    - :meth:`to_dataframe`: the solutions as a pandas DataFrame with typed columns;
    - ``boolean``: the answer of an ASK;
    - :meth:`triples` and :meth:`graph`: the graph of a CONSTRUCT or DESCRIBE;
    - :meth:`serialize`: the result in any ``alliance-kg query --format`` (CSV, JSON, a table…);
    - ``notes``: hints about the result (an empty result that needs ``reasoned``), as the command line
      prints them on stderr.

    A method that does not fit the form (``rows()`` of an ASK) raises :class:`QueryError` saying which does.
    """

    __slots__ = ("_boolean", "_rows", "_store", "_triples", "form", "notes", "title", "variables")

    def __init__(
        self,
        form: Form,
        variables: tuple[str, ...],
        *,
        rows: list[dict[str, Term]] | None = None,
        boolean: bool | None = None,
        triples: list[ox.Triple] | None = None,
        store: ox.Store | None = None,
    ) -> None:
        self.form: Form = form
        self.variables: tuple[str, ...] = variables
        self.notes: tuple[str, ...] = ()
        #: the query's title (its ``# title:`` header), used as the title of a chart
        self.title: str = ""
        self._rows = rows
        self._boolean = boolean
        self._triples = triples
        self._store = store  # where the labels of a table come from

    def __repr__(self) -> str:
        if self._boolean is not None:
            return f"<Result ASK {self._boolean}>"
        if self._triples is not None:
            return f"<Result {self.form}: {len(self._triples)} triples>"
        return f"<Result SELECT {' '.join('?' + v for v in self.variables)}: {len(self._rows or [])} rows>"

    def __len__(self) -> int:
        """The number of rows (SELECT), of triples (CONSTRUCT, DESCRIBE), or 1 for an ASK."""
        if self._triples is not None:
            return len(self._triples)
        return 1 if self._boolean is not None else len(self._rows or [])

    @property
    def empty(self) -> bool:
        """No solution, no triple, or an ASK answered false."""
        if self._boolean is not None:
            return not self._boolean
        return not (self._rows if self._triples is None else self._triples)

    def serialize(self, fmt: str | None = None, *, lang: str = "en", iris: bool = False) -> bytes:
        """The result as ``alliance-kg query --format FMT`` writes it, ending with a newline: SELECT and
        ASK in ``csv`` (the default), ``tsv``, ``json``, ``xml`` (SPARQL results, as Oxigraph writes
        them), ``table`` or ``md`` (labels in ``lang`` instead of IRIs unless ``iris``; columns repeating
        an earlier one left out), or ``svg``: a chart of the numbers by year, date or category (see
        :meth:`chart`; needs ``pip install 'alliance-kg[pictures]'``); CONSTRUCT and DESCRIBE in
        ``turtle`` (the default, with the project's prefixes), ``nt``, ``jsonld`` or ``xml`` (RDF/XML).
        Any case, and the aliases of the command line.

        >>> query("list-production").serialize().splitlines()[0]
        b'plant,figure,year,unitsProduced,figureAsPublished'
        """
        from . import formats
        from .formatnames import UnknownFormat, resolve

        graph = self._triples is not None
        try:
            name = resolve("query", fmt) if fmt is not None else "turtle" if graph else "csv"
        except UnknownFormat as exc:
            raise UsageError(str(exc)) from None
        if name == "svg":
            if self._rows is None:
                raise UsageError(f"--format svg draws a chart of a SELECT result, not of {self.form}")
            spec = self.chart()
            if spec is None:
                raise UsageError(
                    "no chart fits this result: --format svg draws a SELECT result with a number over a "
                    "year, a date or a category, one row a bar"
                )
            from .charts import to_svg

            text = to_svg(spec)
            return (text if text.endswith("\n") else text + "\n").encode("utf-8")
        if self._triples is not None:
            return formats.serialize_triples(self._triples, name)
        if self._boolean is not None:
            return formats.serialize_boolean(self._boolean, name)
        return formats.serialize_solutions(
            self.variables, self._rows or [], name, self._store, lang=lang, iris=iris
        )

    def chart(self, title: str | None = None) -> dict[str, Any] | None:
        """A Vega-Lite specification charting this SELECT result (numbers over years, dates or categories:
        :func:`alliance_kg.charts.chart_spec`), titled ``title`` or the query's title; ``None`` when no
        chart fits (or for an ASK, CONSTRUCT or DESCRIBE result)."""
        if self._rows is None:
            return None
        from .charts import chart_spec

        return chart_spec(self.variables, self.values(), title=self.title if title is None else title)

    def _solutions(self, what: str) -> list[dict[str, Term]]:
        if self._rows is None:
            instead = "use .boolean" if self.form == "ASK" else "use .graph() or .triples()"
            raise QueryError(f"{what} is for SELECT results; this is an {self.form} result: {instead}")
        return self._rows

    def rows(self) -> list[dict[str, Term]]:
        """The solutions: one dict a row, variable name → RDF term (pyoxigraph's ``NamedNode``,
        ``BlankNode``, ``Literal``); a variable left unbound in a row is absent from its dict."""
        return [dict(row) for row in self._solutions("rows()")]

    def values(self) -> list[dict[str, Value]]:
        """The solutions as Python values, one dict a row with every variable (``None`` when unbound):

        ====================================  ===================================================
        xsd:integer (and its subtypes)        ``int``
        xsd:decimal                           ``decimal.Decimal`` (exact: ``Decimal('550000000')``)
        xsd:double, xsd:float                 ``float``
        xsd:boolean                           ``bool``
        xsd:date                              ``datetime.date``
        xsd:dateTime                          ``datetime.datetime``
        xsd:gYear                             ``int``, the year (``2024``)
        strings, language-tagged strings,     ``str``, the lexical form as written (``"2025-09"`` for
        xsd:gYearMonth, any other datatype    an xsd:gYearMonth)
        IRIs                                  ``str``, the full IRI
        blank nodes                           ``str``, ``"_:label"``
        ====================================  ===================================================

        A literal whose lexical form is not valid for its datatype is given as its ``str``.
        """
        solutions = self._solutions("values()")
        return [{name: _python(row.get(name)) for name in self.variables} for row in solutions]

    @property
    def boolean(self) -> bool:
        """The answer of an ASK query."""
        if self._boolean is None:
            raise QueryError(f".boolean is for ASK results; this is a {self.form} result")
        return self._boolean

    def triples(self) -> list[ox.Triple]:
        """The triples of a CONSTRUCT or DESCRIBE result (pyoxigraph ``Triple``)."""
        if self._triples is None:
            instead = "use .boolean" if self.form == "ASK" else "use .rows(), .values() or .to_dataframe()"
            raise QueryError(
                f"triples() is for CONSTRUCT and DESCRIBE results; this is {self.form}: {instead}"
            )
        return list(self._triples)

    def graph(self) -> Graph:
        """The triples of a CONSTRUCT or DESCRIBE result as an rdflib :class:`~rdflib.Graph`, the project's
        prefixes bound (``result.graph().serialize(format="turtle")``)."""
        triples = self.triples()
        from rdflib import Graph

        from .graph import bind_prefixes
        from .layout import to_rdflib

        graph = bind_prefixes(Graph())
        for triple in triples:
            graph.add(to_rdflib(triple))
        return graph

    def to_dataframe(self) -> pd.DataFrame:
        """The solutions as a pandas DataFrame, one column a variable (in :attr:`variables` order), each
        typed by the datatype its literals share:

        =======================================  ============================================
        xsd:integer (and subtypes), xsd:gYear    ``Int64`` (the year, for xsd:gYear)
        xsd:decimal, xsd:double, xsd:float       ``Float64``
        xsd:boolean                              ``boolean``
        xsd:date, xsd:dateTime                   ``datetime64``
        IRIs, blank nodes, strings, any other    ``string`` (IRIs in full; ``_:label`` for
        datatype, or literals of mixed types     blank nodes; lexical forms)
        =======================================  ============================================

        Unbound values are missing (``<NA>``, ``NaT``). A column mixing IRIs and literals, or literals of
        several datatypes, or holding a literal not valid for its datatype, is a ``string`` column of
        lexical forms. Decimals become floats: exact for amounts below 2**53 (use :meth:`values` for
        ``decimal.Decimal``). Needs pandas: ``pip install 'alliance-kg[pandas]'``.
        """
        solutions = self._solutions("to_dataframe()")
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependency(
                "to_dataframe() needs pandas, which is not installed: pip install 'alliance-kg[pandas]'"
            ) from None
        columns = {name: _column([row.get(name) for row in solutions]) for name in self.variables}
        return pd.DataFrame(columns, columns=list(self.variables))


def _python(term: Term | None) -> Value:
    """An RDF term as a Python value (see :meth:`Result.values`)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return str(term)
    converted = _literal_value(term)
    return term.value if converted is None else converted


def _literal_value(literal: ox.Literal) -> Value:
    """A typed literal's Python value; ``None`` for a plain string or a lexical form not valid for its
    datatype."""
    import datetime
    import decimal

    datatype, text = literal.datatype.value, literal.value.strip()
    try:
        if datatype in _INTEGERS:
            return int(text)
        if datatype == _DECIMAL:
            return decimal.Decimal(text)
        if datatype in _FLOATS:
            return float(text)
        if datatype == _BOOLEAN:
            return {"true": True, "1": True, "false": False, "0": False}[text]
        if datatype == _DATE:
            match = _DATE_LEXICAL.fullmatch(text)
            return datetime.date(int(match[1]), int(match[2]), int(match[3])) if match else None
        if datatype == _DATETIME:
            return datetime.datetime.fromisoformat(text)
        if datatype == _GYEAR:
            match = _YEAR.fullmatch(text)
            return int(match[1]) if match else None
    except (ValueError, KeyError, ArithmeticError):
        return None
    return None


_DTYPES = {_DECIMAL: "Float64", _BOOLEAN: "boolean", _GYEAR: "Int64", **dict.fromkeys(_FLOATS, "Float64")}


def _column(terms: list[Term | None]) -> pd.Series:
    """One DataFrame column of ``terms``, typed as :meth:`Result.to_dataframe` says."""
    import datetime
    import decimal

    import pandas

    bound = sum(t is not None for t in terms)
    datatypes = {t.datatype.value if isinstance(t, ox.Literal) else None for t in terms if t is not None}
    datatype = datatypes.pop() if len(datatypes) == 1 else None
    if datatype is not None:
        values = [_literal_value(t) if isinstance(t, ox.Literal) else None for t in terms]
        if sum(v is not None for v in values) == bound:  # every literal valid for its datatype
            if datatype in _INTEGERS:
                return pandas.Series(values, dtype="Int64")
            if datatype in _DTYPES:
                numbers = [float(v) if isinstance(v, decimal.Decimal) else v for v in values]
                return pandas.Series(numbers, dtype=_DTYPES[datatype])
            if datatype in (_DATE, _DATETIME):
                moments = [v if isinstance(v, datetime.date) else None for v in values]
                try:
                    return pandas.to_datetime(pandas.Series(moments, dtype=object))
                except (ValueError, TypeError):  # mixed time zones: lexical forms
                    pass
    return pandas.Series([None if t is None else _python(t) for t in terms], dtype="string")
