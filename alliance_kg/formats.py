"""Write query results: SELECT/ASK as a table, CSV, TSV, SPARQL JSON or XML, Markdown; CONSTRUCT and
DESCRIBE graphs as Turtle, N-Triples or JSON-LD. Tables show labels instead of raw IRIs (in the language
asked for, falling back to English), unless ``iris`` is set."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pyoxigraph as ox

from .errors import UsageError
from .namespaces import PREFIXES
from .namespaces import curie as curie  # re-exported: the one set of CURIE rules
from .store import select

TYPE_CHECKING = False  # typing itself costs a command-line query milliseconds to import
if TYPE_CHECKING:
    from typing import IO

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


def write_result(
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    out: IO[bytes],
    fmt: str,
    store: ox.Store,
    *,
    lang: str = "en",
    iris: bool = False,
) -> int:
    """Write ``result`` to ``out`` in ``fmt``; returns the number of rows (or triples; 1/0 for ASK)."""
    if isinstance(result, ox.QueryTriples):
        if fmt in ("table", "md"):
            fmt = "turtle"
        if fmt not in _GRAPHS:
            names = ", ".join([*GRAPH_FORMATS, "xml"])
            raise UsageError(f"a CONSTRUCT or DESCRIBE result is a graph: use --format {names}")
        triples = list(result)
        prefixes = dict(PREFIXES) if fmt in ("turtle", "ttl") else None
        out.write(_newline(ox.serialize(triples, format=_GRAPHS[fmt], prefixes=prefixes) or b""))
        return len(triples)
    if fmt in GRAPH_FORMATS:
        raise UsageError(
            f"--format {fmt} is for CONSTRUCT or DESCRIBE queries; use {', '.join(SOLUTION_FORMATS)}"
        )
    if fmt not in SOLUTION_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}")
    if isinstance(result, ox.QueryBoolean):
        if fmt in RESULT_FORMATS:
            out.write(_newline(result.serialize(format=RESULT_FORMATS[fmt])))
        else:  # the same words as in every other format, on a terminal and in a pipe
            out.write(b"true\n" if bool(result) else b"false\n")
        return int(bool(result))
    if fmt in RESULT_FORMATS:
        data = _newline(result.serialize(format=RESULT_FORMATS[fmt]))
        out.write(data)
        return 0 if _no_solutions(data, fmt) else -1
    variables = [v.value for v in result.variables]
    solutions = [[row[v] for v in variables] for row in result]
    labels = (
        {}
        if iris
        else labels_for(store, (t.value for r in solutions for t in r if isinstance(t, ox.NamedNode)), lang)
    )
    rows = [[_cell(t, labels, iris) for t in r] for r in solutions]
    variables, rows = _without_repeated_columns(variables, rows)
    out.write(render_table(variables, rows, markdown=(fmt == "md")).encode("utf-8"))
    return len(rows)


def _newline(data: bytes | None) -> bytes:
    """Serialisations end with a newline, so that a shell prompt does not follow them on their last line."""
    if not data:
        return b""
    return data if data.endswith(b"\n") else data + b"\n"


def _no_solutions(data: bytes, fmt: str) -> bool:
    """Whether a serialised SELECT result holds no solution (read from the bytes the engine wrote)."""
    if fmt in ("csv", "tsv"):
        return data.count(b"\n") <= 1  # the header only
    if fmt == "json":
        return b'"bindings":[]' in data.replace(b" ", b"")
    return b"<result>" not in data and b"<result " not in data


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
