"""Write query results: SELECT/ASK as a table, CSV, TSV, SPARQL JSON or XML, Markdown; CONSTRUCT and
DESCRIBE graphs as Turtle, N-Triples or JSON-LD. Tables show labels instead of raw IRIs (in the language
asked for, falling back to English), unless ``iris`` is set."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import pyoxigraph as ox

from .errors import UsageError
from .namespaces import PREFIXES, drop_unused_prefixes
from .namespaces import curie as curie  # re-exported: the one set of CURIE rules
from .store import select

TYPE_CHECKING = False  # typing itself costs a command-line query milliseconds to import
if TYPE_CHECKING:
    from typing import TypeAlias

    #: An RDF term of a query solution (pyoxigraph's classes).
    Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

SOLUTION_FORMATS = ("table", "csv", "tsv", "json", "xml", "md")
GRAPH_FORMATS = ("turtle", "ttl", "nt", "jsonld")
#: SPARQL results serialisations, by --format name (the server negotiates the same ones).
RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}
_GRAPHS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}

_LABELS = """
SELECT ?thing ?label WHERE {
  VALUES ?thing { %s }
  ?thing rdfs:label|skos:prefLabel|akg:name ?label .
}"""


def labels_for(store: ox.Store, iris: Iterable[str], lang: str = "en") -> dict[str, str]:
    """The best label of each IRI: rdfs:label in ``lang``, then in English, then any label."""
    iris = sorted(set(iris))
    if not iris:
        return {}
    text = _LABELS % " ".join(f"<{i}>" for i in iris)
    ranked: dict[str, tuple[int, str]] = {}
    for row in select(store, text):
        label = row["label"]
        tag = getattr(label, "language", None)
        rank = 0 if tag == lang else 1 if tag == "en" else 2 if tag is None else 3
        key = row["thing"].value
        if key not in ranked or (rank, label.value) < ranked[key]:
            ranked[key] = (rank, label.value)
    return {iri: label for iri, (_, label) in ranked.items()}


def _cell(term: object, labels: dict[str, str], iris: bool) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return curie(term.value) if iris or term.value not in labels else labels[term.value]
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(header: list[str], rows: list[list[str]], markdown: bool = False) -> str:
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]
    if markdown:
        esc = [[c.replace("|", "\\|") for c in r] for r in rows]
        lines = [
            "| " + " | ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)) + " |",
            "|" + "|".join("-" * (w + 2) for w in widths) + "|",
        ]
        lines += ["| " + " | ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) + " |" for r in esc]
        return "\n".join(lines) + "\n"
    lines = [
        "  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("─" * w for w in widths),
    ]
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def check_format(form: str, fmt: str) -> str:
    """The format a result of ``form`` (``SELECT``, ``ASK``, ``CONSTRUCT``, ``DESCRIBE``) is written in
    for ``fmt``: a table of a graph is Turtle; a format that does not fit the form is a usage error."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        if fmt in ("table", "md"):
            return "turtle"
        if fmt not in _GRAPHS:
            names = ", ".join([*GRAPH_FORMATS, "xml"])
            raise UsageError(f"a CONSTRUCT or DESCRIBE result is a graph: use --format {names}")
        return fmt
    if fmt in GRAPH_FORMATS:
        raise UsageError(
            f"--format {fmt} is for CONSTRUCT or DESCRIBE queries; use {', '.join(SOLUTION_FORMATS)}"
        )
    if fmt not in SOLUTION_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}")
    return fmt


def serialize_triples(triples: Sequence[ox.Triple], fmt: str) -> bytes:
    """A CONSTRUCT or DESCRIBE result in ``fmt`` (Turtle with the project's prefixes, N-Triples, JSON-LD,
    RDF/XML)."""
    fmt = check_format("CONSTRUCT", fmt)
    if fmt in ("turtle", "ttl"):  # the prefixes it uses, not all forty
        return _newline(
            drop_unused_prefixes(ox.serialize(triples, format=_GRAPHS[fmt], prefixes=dict(PREFIXES)) or b"")
        )
    return _newline(ox.serialize(triples, format=_GRAPHS[fmt]) or b"")


def serialize_boolean(answer: bool, fmt: str) -> bytes:
    """An ASK result: SPARQL CSV/TSV/JSON/XML by Oxigraph; ``true``/``false`` in a table, on a terminal and
    in a pipe alike."""
    fmt = check_format("ASK", fmt)
    if fmt in RESULT_FORMATS:
        parsed = ox.parse_query_results(
            b'{"head":{},"boolean":%s}' % (b"true" if answer else b"false"), format=ox.QueryResultsFormat.JSON
        )
        return _newline(parsed.serialize(format=RESULT_FORMATS[fmt]))
    return b"true\n" if answer else b"false\n"


def serialize_solutions(
    variables: Sequence[str],
    rows: Sequence[Mapping[str, Term]],
    fmt: str,
    store: ox.Store | None = None,
    *,
    lang: str = "en",
    iris: bool = False,
) -> bytes:
    """SELECT solutions in ``fmt``: SPARQL CSV, TSV, JSON and XML as Oxigraph writes them; a table or
    Markdown with labels (read from ``store``, in ``lang``, unless ``iris``) and without repeated columns."""
    fmt = check_format("SELECT", fmt)
    if fmt in RESULT_FORMATS:
        parsed = ox.parse_query_results(solutions_json(variables, rows), format=ox.QueryResultsFormat.JSON)
        return _newline(parsed.serialize(format=RESULT_FORMATS[fmt]))
    solutions = [[row.get(v) for v in variables] for row in rows]
    labels = (
        {}
        if iris or store is None
        else labels_for(store, (t.value for r in solutions for t in r if isinstance(t, ox.NamedNode)), lang)
    )
    cells = [[_cell(t, labels, iris) for t in r] for r in solutions]
    header, cells = _without_repeated_columns(list(variables), cells)
    return render_table(header, cells, markdown=(fmt == "md")).encode("utf-8")


def solutions_json(variables: Sequence[str], rows: Sequence[Mapping[str, Term]]) -> bytes:
    """SELECT solutions as SPARQL 1.1 (1.2 for triple terms and text direction) JSON results."""
    import json

    document = {
        "head": {"vars": list(variables)},
        "results": {"bindings": [{name: _json_term(term) for name, term in row.items()} for row in rows]},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        encoded: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            encoded["xml:lang"] = term.language
            if term.direction:
                encoded["its:dir"] = term.direction.value
        elif term.datatype.value != _XSD_STRING:
            encoded["datatype"] = term.datatype.value
        return encoded
    parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
    return {"type": "triple", "value": {k: _json_term(v) for k, v in parts.items()}}


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _newline(data: bytes | None) -> bytes:
    """Serialisations end with a newline, so that a shell prompt does not follow them on their last line."""
    if not data:
        return b""
    return data if data.endswith(b"\n") else data + b"\n"


def _without_repeated_columns(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Leave out a column whose every cell reads as in an earlier column: ``?model`` shown by its label and
    ``?modelLabel`` (or ``?clientName``) holding that same label. An empty result keeps every column."""
    if not rows:
        return header, rows
    keep: list[int] = []
    for i in range(len(header)):
        if not any(all(r[i] == r[j] for r in rows) for j in keep):
            keep.append(i)
    if len(keep) == len(header):
        return header, rows
    return [header[i] for i in keep], [[r[i] for i in keep] for r in rows]
