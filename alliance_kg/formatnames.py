"""The one table of ``--format`` names: every subcommand takes the same spellings, case-insensitively.

Each format has one name and its aliases (``ttl`` and ``turtle``, ``nt``, ``ntriples`` and ``n-triples``…);
each subcommand takes some of the formats and calls them by its own name (``export`` writes Turtle as
``ttl``, ``validate`` as ``turtle``). :func:`converter` gives argparse's ``type=`` for a subcommand's
``--format``: an unknown value is a usage error (exit 2) that suggests the closest name and lists them all.
"""

from __future__ import annotations

from collections.abc import Callable

#: format → its spellings (the first is the name shown in help), lower case.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "table": ("table",),
    "csv": ("csv",),
    "tsv": ("tsv",),
    "md": ("md", "markdown"),
    "json": ("json", "srj"),  # SPARQL JSON results; validate's JSON report
    "xml": ("xml", "rdfxml", "rdf-xml", "rdf/xml", "rdf", "owl", "srx"),  # SPARQL XML results or RDF/XML
    "turtle": ("turtle", "ttl"),
    "nt": ("nt", "ntriples", "n-triples"),
    "nq": ("nq", "nquads", "n-quads"),
    "trig": ("trig",),
    "jsonld": ("jsonld", "json-ld"),
    "text": ("text", "txt"),
    "svg": ("svg",),  # a chart of a SELECT result (Vega-Lite, drawn by vl-convert)
}

#: subcommand (or kind of result) → {format: the name its code uses}.
KINDS: dict[str, dict[str, str]] = {
    "query": {
        "table": "table",
        "csv": "csv",
        "tsv": "tsv",
        "json": "json",
        "xml": "xml",
        "md": "md",
        "svg": "svg",
        "turtle": "turtle",
        "nt": "nt",
        "jsonld": "jsonld",
    },
    "export": {"turtle": "ttl", "nt": "nt", "nq": "nq", "trig": "trig", "jsonld": "jsonld", "xml": "xml"},
    "reason": {"turtle": "ttl", "nt": "nt", "jsonld": "jsonld", "xml": "xml"},
    "validate": {"text": "text", "turtle": "turtle", "json": "json"},
}

_BY_SPELLING = {spelling: fmt for fmt, spellings in SPELLINGS.items() for spelling in spellings}


class UnknownFormat(ValueError):
    """A ``--format`` value that the subcommand does not take; the message suggests and lists."""


def names(kind: str) -> list[str]:
    """The names a subcommand shows for its formats, in the table's order."""
    return [SPELLINGS[fmt][0] for fmt in KINDS[kind]]


def describe(kind: str) -> str:
    """``turtle (ttl), nt (ntriples, n-triples), …``: the formats of ``kind`` with their aliases."""
    parts = []
    for fmt in KINDS[kind]:
        first, *aliases = SPELLINGS[fmt]
        parts.append(f"{first} ({', '.join(aliases)})" if aliases else first)
    return ", ".join(parts)


def resolve(kind: str, value: str) -> str:
    """The name ``kind``'s code uses for ``value`` (any spelling, any case); raises :class:`UnknownFormat`."""
    wanted = value.strip().lower()
    fmt = _BY_SPELLING.get(wanted)
    if fmt is not None and fmt in KINDS[kind]:
        return KINDS[kind][fmt]
    import difflib

    spellings = [s for f in KINDS[kind] for s in SPELLINGS[f]]
    close = difflib.get_close_matches(wanted, spellings, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    where = " here" if fmt is not None else ""  # a format name, but not one this subcommand writes
    raise UnknownFormat(f"unknown format {value!r}{where}{hint} (formats: {describe(kind)})")


def converter(kind: str) -> Callable[[str], str]:
    """argparse's ``type=`` for the ``--format`` of ``kind``: the error becomes argparse's (exit 2)."""

    def convert(value: str) -> str:
        import argparse

        try:
            return resolve(kind, value)
        except UnknownFormat as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = "format"  # argparse names the type in some messages
    return convert
