"""The one reader of RDF files: the bundled graph and a user's ``--data`` files, for every command.

**Formats**, by extension, case-insensitive (:data:`FORMATS`):

=============================  ===========================================================
``.ttl``, ``.turtle``          Turtle
``.nt``                        N-Triples
``.nq``                        N-Quads
``.trig``                      TriG
``.rdf``, ``.owl``, ``.xml``   RDF/XML
``.jsonld``, ``.json``         JSON-LD 1.1 (contexts in the file; remote ones are refused)
``.n3``                        N3, its RDF part: formulas ``{ … }``, rules and variables refused
=============================  ===========================================================

Any other extension, or none, is read as Turtle (as every file was before); a syntax error in such a file
says so and lists the table, in case the file is only mis-named. The triples of every graph of an N-Quads or
TriG file are read: they join whatever graph the caller puts the file in (the default graph of the query
store, ``…/graph/user`` in the quad exports and the server). RDF 1.2 triple terms and directional language
tags are refused: rdflib, which export, validation and reasoning use, cannot hold them.

**One parse, two views.** Every file is parsed by Oxigraph, which never fetches anything, and handed out as
pyoxigraph triples (:func:`read_triples`, :func:`load_into`: the query store, the server, the loader) or
added to an rdflib graph (:func:`add_to_graph`: export, validation, reasoning), so that every command reads a
file as the same graph and reports the same errors (``file:line: <format> syntax error: …``). Blank nodes
are labelled after their file (``b<12 hex digits of the hash of its path>n<number>``, numbered in order of
appearance): the same labels on every read of a file, never the labels of another file.

**Limits** (:data:`LIMITS`). Input that would cost far more than its size to read is refused with
:class:`DataError` (exit code 2) naming the file and the limit, before it can exhaust memory or time:

- *XML entities.* The internal entities of an RDF/XML file are measured before any parser sees them: an
  entity whose replacement text, nested entities expanded, exceeds ``entity_length`` (64 KiB; real ones
  are namespace IRIs, tens of characters) is refused, and so is a file whose entities would expand, over
  their declarations and references together, to more than ``entity_expansion`` (16 MiB) or
  ``entity_expansion_ratio`` (8) times the file's size, whichever is more. Entities referring to each
  other in a cycle are refused; so are external entities (``SYSTEM``, ``PUBLIC``: no file or URL is ever
  read) and parameter entities. This is what stops "billion laughs" (nine nested entities, 3 GB from
  one kilobyte) and one large entity referenced thousands of times.
- *XML structure.* Expat (Python's XML parser) then reads the file, without expanding anything external:
  it must be well-formed XML (its errors come with a line), and its elements may nest at most ``nesting``
  (512) deep. Oxigraph's RDF/XML parser takes time that grows with the cube of the nesting: 0.7 s at
  10,000 levels, 16 s at 30,000, hours at a million.
- *JSON-LD.* The JSON may nest at most ``nesting`` (512) deep (Oxigraph's JSON-LD parser needs memory that
  grows with the square of the nesting: 1.7 GB at 3,000 levels, a crash at 10,000). Remote contexts
  (a URL as ``@context``, ``@import``) are refused: nothing is fetched. Each context (embedded in a node,
  or scoped to a type or a property and applied at each use) is processed against the whole active
  context, so repeating contexts costs the square of the document: the estimated number of term
  definitions processed may not exceed ``context_work`` (5,000,000, a few seconds); an 800 KB document
  with a scoped context used 10,000 times would take minutes. Term definitions whose IRIs use other terms
  as prefixes may chain at most ``term_chain`` (128) deep (Oxigraph recurses on them and crashed at
  10,000).
- *Turtle, TriG and N3 brackets* (``[ ]``, ``( )``, ``{ }``) may nest at most ``nesting`` (512) deep:
  Oxigraph's parser holds some 600 bytes a level before it gives the first triple of a ``[ … ]`` (600 MB
  for a million levels in 8 MB). The scan skips strings, IRIs and comments, and runs only on a file with
  more opening brackets than that in all.
- *Terms.* A literal, an IRI (or, in the line-based formats, a line) longer than ``term`` (16 MiB, the
  buffer of Oxigraph's parsers) is refused, in every format.
- *Blank-node nesting.* A chain of blank nodes, each the value of a property of the previous one, may be at
  most ``blank_node_depth`` (128) long, whatever the syntax that wrote it (``[ :p [ :p … ] ]``, nested lists
  ``((…))``, flat N-Triples); the tail of an RDF list (``rdf:rest``) does not count, so lists may be any
  length. rdflib's parser, serializers (Turtle, JSON-LD, RDF/XML) and canonicalisation recurse on such
  chains: they fail beyond some 200–300 levels, and the canonical labelling of exports takes time growing
  with the square of the depth. Chains are measured as the triples come (a deep one is refused after its
  first 129 triples when Oxigraph gives them in order), then over the whole file.

None of these limits binds real data: a file of a million triples loads (in seconds), OWL files keep their
short entities, and nothing else is capped.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from .errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from rdflib import Graph

KiB = 1024
MiB = 1024 * KiB

#: The format of a file, by its extension (lower-cased).
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".n3": ox.RdfFormat.N3,
}
#: The format of a file whose extension is not in :data:`FORMATS`.
DEFAULT_FORMAT = ox.RdfFormat.TURTLE


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost (see the module's documentation for why each is what it is)."""

    term: int = 16 * MiB  # a literal or an IRI (Oxigraph's buffer; checked in RDF/XML too)
    nesting: int = 512  # XML elements, JSON arrays and objects, Turtle brackets, one inside another
    blank_node_depth: int = 128  # blank nodes, each the value of a property of the previous one
    entity_length: int = 64 * KiB  # the replacement text of one XML entity, nested entities expanded
    entity_expansion: int = 16 * MiB  # all XML entity replacement text of a file…
    entity_expansion_ratio: int = 8  # …or this many times the file's size, whichever is more
    context_work: int = 5_000_000  # JSON-LD term definitions processed, estimated
    term_chain: int = 128  # JSON-LD term definitions each using the next as a prefix


LIMITS = Limits()

_RDF_REST = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#rest")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_PARSER_ERROR = re.compile(
    r"Parser error (?:at|between) line (\d+) column (\d+)(?: and line \d+ column \d+)?: (.*)", re.S
)
_BUFFER_FULL = "buffer maximal size"


# --- the format, the bytes, the errors -----------------------------------------------------------------


def format_of(path: Path | str) -> ox.RdfFormat:
    """The format a file is read in: by its extension (:data:`FORMATS`), Turtle for any other."""
    return FORMATS.get(Path(path).suffix.lower(), DEFAULT_FORMAT)


def read_bytes(path: Path | str) -> bytes:
    """The content of a file; an unreadable one raises :class:`DataError`."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DataError(str(path), f"cannot read file: {exc.strerror or exc}") from None


def _table() -> str:
    by_format: dict[str, list[str]] = {}
    for extension, fmt in FORMATS.items():
        by_format.setdefault(fmt.name, []).append(extension)
    return "; ".join(f"{', '.join(extensions)} {name}" for name, extensions in by_format.items())


def syntax_error(path: Path | str, fmt: ox.RdfFormat, exc: SyntaxError) -> DataError:
    """Oxigraph's parse error as a :class:`DataError` with the file, the line and the column."""
    path = Path(path)
    message = str(exc.msg or exc)
    match = _PARSER_ERROR.match(message)
    if match:
        line: int | None = int(match[1])
        reason = f"{match[3].strip()} (column {match[2]})"
    else:
        line = exc.lineno
        reason = re.sub(r"\s*\(.*?, line \d+\)$", "", message)
    text = f"{fmt.name} syntax error: {reason}"
    if path.suffix.lower() not in FORMATS:
        text += (
            f" (read as Turtle: {path.suffix or 'a file without an extension'} is not one of the extensions "
            f"read as another format: {_table()})"
        )
    return DataError(str(path), text, line=line)


def _refuse(path: Path, what: str, limit: str, line: int | None = None) -> DataError:
    return DataError(str(path), f"{what}: refused (limit: {limit})", line=line)


# --- checks before parsing ------------------------------------------------------------------------------


def check(path: Path | str, data: bytes, fmt: ox.RdfFormat) -> None:
    """Refuse input whose parsing would cost far more than its size (RDF/XML entities and nesting, JSON-LD
    nesting and contexts, Turtle brackets), before any parser reads it. :func:`read_triples` does this and
    the checks on the parsed triples (terms, blank-node nesting, RDF 1.2, N3 formulas): call this only to
    hand ``data`` to another parser."""
    path = Path(path)
    if fmt == ox.RdfFormat.RDF_XML:
        if _ENTITY.search(data):
            _check_entities(path, data)
        _check_xml(path, data)
    elif fmt == ox.RdfFormat.JSON_LD:
        _check_jsonld(path, data)
    elif fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3):
        _check_brackets(path, data, fmt)


#: What may hold a bracket that is not one: strings (long and short), IRIs, comments, escapes. Each
#: alternative matches whatever follows its first character (an unclosed string runs to the end of its line
#: or of the file), so one pass over the file is linear in its size.
_TURTLE_OPAQUE = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*+(?:"""|\Z)'
    rb"|'''(?:[^'\\]|\\.|'(?!''))*+(?:'''|\Z)"
    rb'|"(?:[^"\\\n\r]|\\.)*+"?'
    rb"|'(?:[^'\\\n\r]|\\.)*+'?"
    rb"|<[^>\s]*+>?"
    rb"|#[^\n\r]*+"
    rb"|\\.",
    re.S,
)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[](){}")
_BRACKET_DEPTH = [0] * 256
for _opening, _closing in zip(b"[({", b"])}", strict=True):
    _BRACKET_DEPTH[_opening], _BRACKET_DEPTH[_closing] = 1, -1


def _check_brackets(path: Path, data: bytes, fmt: ox.RdfFormat) -> None:
    """Turtle, TriG and N3 brackets (``[ ]``, ``( )``, ``{ }``) may nest at most ``LIMITS.nesting`` deep:
    Oxigraph's parser holds some 600 bytes a level before it gives the first triple of a ``[ … ]``. Only a
    file with more opening brackets than that in all is scanned (about a second per 100 MB)."""
    from itertools import accumulate

    limit = LIMITS.nesting
    if data.count(b"[") + data.count(b"(") + data.count(b"{") <= limit:
        return
    brackets = _TURTLE_OPAQUE.sub(b"", data).translate(None, _NOT_BRACKETS)
    if max(accumulate(map(_BRACKET_DEPTH.__getitem__, brackets)), default=0) > limit:
        raise _refuse(
            path,
            f"{fmt.name} brackets ([ ], ( ), {{ }}) nested deeper than {limit} levels",
            f"{limit} levels",
        )


_ENTITY = re.compile(rb"<!ENTITY", re.I)
_DECLARATION = re.compile(rb"\s*(%)?\s*(\S{1,1024})(\S?)\s*()")
_XML_NAME = re.compile(rb"[A-Za-z_:\x80-\xff][-A-Za-z0-9._:\x80-\xff]*")
_REFERENCE = re.compile(rb"&([A-Za-z_:\x80-\xff][-A-Za-z0-9._:\x80-\xff]*);")
#: What a parser could unescape into "&", making a reference of the text after it: counted as "&".
_AMPERSAND = re.compile(rb"&(?:amp|#0*38|#x0*26);", re.I)


def _line_at(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _check_entities(path: Path, data: bytes) -> None:
    """Measure what the internal entities of an XML file expand to, without expanding them.

    Every ``<!ENTITY`` of the file counts, wherever it is (Oxigraph reads a DOCTYPE anywhere in a document):
    more declarations than a parser would see, never fewer. An entity's length is its text plus the expanded
    length of each entity it references, declared before or after it (the longest declaration of a name):
    an upper bound for any order of expansion. The total adds every declaration (parsers store each one
    expanded) and every reference anywhere in the file."""
    declarations: list[tuple[str, bytes, int]] = []
    unclosed: set[bytes] = set()  # quotes with no closing one after some declaration: none after later ones
    for found in _ENTITY.finditer(data):
        match = _DECLARATION.match(data, found.end())
        if match is None:
            continue
        line = _line_at(data, found.start())
        percent, name, overflow = match[1], match[2], match[3]
        shown = name.decode("utf-8", "replace")
        if percent:
            raise DataError(
                str(path),
                f"parameter entity %{shown}; refused: parameter entities are not supported",
                line=line,
            )
        if overflow or not _XML_NAME.fullmatch(name):
            raise DataError(str(path), f"XML entity name {shown[:80]!r} refused: not an XML name", line=line)
        at = match.start(4)
        quote = data[at : at + 1]
        if quote in (b'"', b"'"):
            if quote in unclosed:
                continue
            end = data.find(quote, at + 1)
            if end < 0:
                unclosed.add(quote)
                continue
            declarations.append((shown, data[at + 1 : end], line))
        elif data.startswith((b"SYSTEM", b"PUBLIC"), at):
            external = data[at : at + 200].split(b">", 1)[0].decode("utf-8", "replace").strip()
            raise DataError(
                str(path),
                f"external entity &{shown}; ({external}) refused: entities are never read from other files "
                "or the network",
                line=line,
            )
    if not declarations:
        return
    names = {name for name, _, _ in declarations}

    def references(text: bytes) -> tuple[int, Counter[str]]:
        """The length of ``text`` less its references to declared entities, and those references."""
        text = _AMPERSAND.sub(b"&", text)
        found = Counter(r.decode("utf-8", "replace") for r in _REFERENCE.findall(text))
        referenced = Counter({name: count for name, count in found.items() if name in names})
        return len(text) - sum(
            count * (len(name.encode()) + 2) for name, count in referenced.items()
        ), referenced

    own: dict[str, int] = {}  # the longest text among the declarations of a name, references left out
    uses: dict[str, Counter[str]] = {}  # the entities a name references (the most of any declaration)
    lines: dict[str, int] = {}
    per_declaration: list[tuple[int, Counter[str]]] = []
    for name, value, line in declarations:
        size, referenced = references(value)
        per_declaration.append((size, referenced))
        own[name] = max(own.get(name, 0), size)
        uses[name] = uses.get(name, Counter()) | referenced
        lines.setdefault(name, line)
    limit = LIMITS.entity_length
    lengths: dict[str, int] = {}
    for root in uses:
        if root in lengths:
            continue
        stack = [(root, iter(uses[root]))]
        on_path = {root}
        while stack:
            name, children = stack[-1]
            for child in children:
                if child in lengths:
                    continue
                if child in on_path:
                    raise DataError(
                        str(path),
                        f"XML entities &{name}; and &{child}; refer to each other: refused "
                        "(recursive entity)",
                        line=lines[name],
                    )
                stack.append((child, iter(uses[child])))
                on_path.add(child)
                break
            else:
                stack.pop()
                on_path.discard(name)
                length = own[name] + sum(count * lengths[child] for child, count in uses[name].items())
                if length > limit:
                    raise _refuse(
                        path,
                        f"XML entity &{name}; expands to {length:,} characters",
                        f"{limit:,} characters per entity",
                        line=lines[name],
                    )
                lengths[name] = length
    stored = sum(size + sum(c * lengths[n] for n, c in refs.items()) for size, refs in per_declaration)
    expanded = stored + sum(count * lengths[name] for name, count in references(data)[1].items())
    budget = max(LIMITS.entity_expansion, LIMITS.entity_expansion_ratio * len(data))
    if expanded > budget:
        raise _refuse(
            path,
            f"XML entities would expand to {expanded:,} characters in all",
            f"{budget:,} characters, the larger of {LIMITS.entity_expansion // MiB} MiB and "
            f"{LIMITS.entity_expansion_ratio} times the file's size",
        )


class _TooDeep(Exception):
    pass


def _check_xml(path: Path, data: bytes) -> None:
    """Expat reads the file: it must be well-formed, and nest at most ``LIMITS.nesting`` elements deep.
    Expat reads no external entity or DTD (no handler for them is set), and the entities were measured."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    depth = 0
    limit = LIMITS.nesting

    def start(_name: str, _attributes: object) -> None:
        nonlocal depth
        depth += 1
        if depth > limit:
            raise _TooDeep

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _TooDeep:
        raise _refuse(
            path,
            f"XML elements nested deeper than {limit} levels",
            f"{limit} levels",
            parser.CurrentLineNumber,
        ) from None
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        if exc.code == getattr(expat.errors, "XML_ERROR_AMPLIFICATION_LIMIT_BREACH", -1):
            raise _refuse(
                path, "XML entities expand too much", "expat's amplification limit", exc.lineno
            ) from None
        raise DataError(
            str(path), f"RDF/XML syntax error: {reason} (column {exc.offset + 1})", line=exc.lineno
        ) from None


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as the list of its members, duplicates kept (a parser could use any of them)."""


_CONTEXT_KEYWORDS = frozenset(
    {"@base", "@direction", "@import", "@language", "@propagate", "@protected", "@type", "@version", "@vocab"}
)


def _number(text: str) -> int:
    return 0  # the value of a number does not matter here, and converting a long one costs


def _check_jsonld(path: Path, data: bytes) -> None:
    """Read the JSON (Python's decoder), then measure its nesting and what its contexts cost."""
    import json

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            str(path),
            f"JSON-LD syntax error: not UTF-8 ({exc.reason} at byte {exc.start})",
            line=_line_at(data, exc.start),
        ) from None
    try:
        document = json.loads(
            text, object_pairs_hook=_Pairs, parse_int=_number, parse_float=_number, parse_constant=_number
        )
    except RecursionError:
        raise _refuse(
            path, f"JSON nested deeper than {LIMITS.nesting} levels", f"{LIMITS.nesting} levels"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            str(path), f"JSON-LD syntax error: {exc.msg} (column {exc.colno})", line=exc.lineno
        ) from None
    _JsonLdCost(path, text).measure(document)


class _JsonLdCost:
    """The nesting of a JSON-LD document and an estimate of the work of processing its contexts."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.own: dict[int, int] = {}  # id of an object -> terms its @context defines
        self.scoped: set[str] = set()  # terms with a scoped context
        self.scoped_terms = 0  # term definitions in scoped contexts, all told
        self.contexts = 0

    def measure(self, document: Any) -> None:
        if type(document) not in (list, _Pairs):
            return
        limit = LIMITS.nesting
        stack: list[tuple[Any, int]] = [(document, 1)]
        while stack:
            value, depth = stack.pop()
            if depth > limit:
                raise _refuse(self.path, f"JSON nested deeper than {limit} levels", f"{limit} levels")
            if type(value) is list:
                stack.extend((item, depth + 1) for item in value if type(item) in (list, _Pairs))
                continue
            for key, item in value:
                if key == "@context":
                    self.own[id(value)] = self.own.get(id(value), 0) + self.context_terms(item)
                    self.contexts += 1
                if type(item) in (list, _Pairs):
                    stack.append((item, depth + 1))
        if self.contexts > 1 or self.scoped:
            self.work(document)
        elif sum(self.own.values()) > LIMITS.context_work:
            self.too_costly(sum(self.own.values()))

    def remote(self, url: object) -> DataError:
        shown = str(url)
        at = self.text.find(shown) if shown else -1
        return DataError(
            str(self.path),
            f"remote JSON-LD context {shown!r} refused: contexts are never fetched; copy the context into "
            "the file",
            line=self.text.count("\n", 0, at) + 1 if at >= 0 else None,
        )

    def context_terms(self, value: Any) -> int:
        """The term definitions of a context (and of the contexts scoped in it); remote ones are refused."""
        terms = 0
        todo: list[tuple[Any, bool]] = [(value, False)]
        while todo:
            context, scoped = todo.pop()
            for item in context if type(context) is list else [context]:
                if type(item) is str:
                    raise self.remote(item)
                if type(item) is not _Pairs:
                    continue  # null, or not a context: Oxigraph says what is wrong
                for key, definition in item:
                    if key == "@import":
                        raise self.remote(definition)
                    if key in _CONTEXT_KEYWORDS:
                        continue
                    terms += 1
                    if scoped:
                        self.scoped_terms += 1
                    if type(definition) is _Pairs:
                        for member, inner in definition:
                            if member == "@context":
                                self.scoped.add(key)
                                todo.append((inner, True))
                self.check_chain(item)
        return terms

    def check_chain(self, context: _Pairs) -> None:
        """Term definitions that need another term defined first (its prefix, or its IRI) chain; Oxigraph
        defines them recursively."""
        names = {key for key, _ in context if not key.startswith("@")}
        needs: dict[str, set[str]] = {}
        for key, definition in context:
            if key not in names:
                continue
            targets = [key] if ":" in key else []
            if type(definition) is str:
                targets.append(definition)
            elif type(definition) is _Pairs:
                targets += [v for k, v in definition if k in ("@id", "@reverse", "@type") and type(v) is str]
            prefixes = {t.split(":", 1)[0] if ":" in t else t for t in targets} & names
            prefixes.discard(key)
            if prefixes:
                needs[key] = prefixes
        if _longer_than(needs, LIMITS.term_chain):
            raise _refuse(
                self.path,
                f"JSON-LD term definitions chained deeper than {LIMITS.term_chain} (each term's IRI using "
                "the next term as a prefix)",
                f"{LIMITS.term_chain} term definitions",
            )

    def work(self, document: Any) -> None:
        """Each context is processed against the active one, which holds the contexts above it; a scoped
        context is processed at each use (a property, or a value of @type, naming its term)."""
        limit, scoped, scoped_terms = LIMITS.context_work, self.scoped, self.scoped_terms
        work = 0
        stack: list[tuple[Any, int]] = [(document, 0)]
        while stack:
            value, active = stack.pop()
            if type(value) is list:
                stack.extend((item, active) for item in value if type(item) in (list, _Pairs))
                continue
            own = self.own.get(id(value), 0)
            if own:
                work += active + own
                active += own
            if scoped:
                for key, item in value:
                    uses: int = key in scoped
                    if type(item) is str:
                        uses += item in scoped
                    elif type(item) is list:
                        uses += sum(1 for x in item if type(x) is str and x in scoped)
                    work += uses * (active + scoped_terms)
            if work > limit:
                self.too_costly(work)
            stack.extend(
                (item, active) for key, item in value if key != "@context" and type(item) in (list, _Pairs)
            )

    def too_costly(self, work: int) -> None:
        raise _refuse(
            self.path,
            f"JSON-LD contexts would take processing {work:,} term definitions or more (each embedded or "
            "scoped context is processed against the whole active context, at each use)",
            f"{LIMITS.context_work:,} term definitions",
        )


_Node = TypeVar("_Node", bound=Hashable)


def _longer_than(edges: Mapping[_Node, Iterable[_Node]], limit: int) -> bool:
    """Whether a chain of more than ``limit`` nodes follows ``edges`` (node -> the nodes it leads to); the
    edge closing a cycle is not followed (a cycle as long as the limit is a chain that long). Iterative,
    and stops as soon as it finds one."""
    depth: dict[_Node, int] = {}
    for root in edges:
        if root in depth:
            continue
        stack = [(root, iter(edges[root]))]
        on_path = {root}
        while stack:
            node, children = stack[-1]
            for child in children:
                if child in depth or child in on_path:
                    continue
                if child not in edges:
                    depth[child] = 1
                    continue
                if len(stack) >= limit:
                    return True
                stack.append((child, iter(edges[child])))
                on_path.add(child)
                break
            else:
                stack.pop()
                on_path.discard(node)
                length = 1 + max((depth.get(child, 0) for child in edges[node]), default=0)
                if length > limit:
                    return True
                depth[node] = length
    return False


# --- parsing --------------------------------------------------------------------------------------------


def _token(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:12]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector walks every object still alive each time enough are made: building
    a list of a million triples would spend most of its time there (and none of them form cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def checked_quads(path: Path, data: bytes | None = None) -> Iterator[ox.Quad]:
    """The checked triples of one file, as quads of the default graph, blank nodes labelled after the file
    (``b<12 hex digits of the hash of its path>n<number>``, in order of appearance): the same labels on
    every read, in both views, never those of another file. A refusal can come after some triples: the
    blank-node nesting of the whole file is known only at its end."""
    if data is None:
        data = read_bytes(path)
    fmt = format_of(path)
    check(path, data, fmt)
    if fmt == ox.RdfFormat.N_TRIPLES and not needs_checks(data):
        yield from _unchecked(path, data)
        return
    token = _token(path)
    labels: dict[str, ox.BlankNode] = {}
    edges: dict[ox.BlankNode, list[ox.BlankNode]] = {}
    # The chains found as the triples come, to refuse deep nesting before the whole file is read: Oxigraph
    # gives a list from its outer node in, and [ … ] from its inner node out. Each node gets its length
    # from the first edge that reaches it (above) or leaves it (below), so each is the length of a chain.
    above: dict[ox.BlankNode, int] = {}
    below: dict[ox.BlankNode, int] = {}
    depth = LIMITS.blank_node_depth
    blank, literal, default, triple_term = ox.BlankNode, ox.Literal, ox.DefaultGraph, ox.Triple
    n3, rdf_xml, term_limit = fmt == ox.RdfFormat.N3, fmt == ox.RdfFormat.RDF_XML, LIMITS.term

    def label(node: ox.BlankNode) -> ox.BlankNode:
        found = labels.get(node.value)
        if found is None:
            found = labels[node.value] = blank(f"b{token}n{len(labels)}")
        return found

    try:
        for quad in ox.parse(data, format=fmt, base_iri=path.resolve().as_uri()):
            subject, obj = quad.subject, quad.object
            kind, relabel = type(obj), False
            if kind is literal:
                if obj.direction:
                    raise _rdf_1_2(path, f"the directional language tag @{obj.language}--{obj.direction}")
            elif kind is blank:
                obj, relabel = label(obj), True
            elif kind is triple_term:
                raise _rdf_1_2(path, "a triple term <<( … )>>")
            if type(subject) is blank:
                subject, relabel = label(subject), True
                if kind is blank and quad.predicate != _RDF_REST:
                    edges.setdefault(subject, []).append(obj)
                    if obj not in above:
                        above[obj] = length = above.get(subject, 1) + 1
                        if length > depth:
                            raise _too_deep(path)
                    if subject not in below:
                        below[subject] = length = below.get(obj, 1) + 1
                        if length > depth:
                            raise _too_deep(path)
            elif type(subject) is triple_term:
                raise _rdf_1_2(path, "a triple term <<( … )>>")
            if type(quad.graph_name) is not default:
                if n3:
                    raise DataError(
                        str(path),
                        "N3 formula ({ … }) refused: only the RDF part of N3 is read (triples; no formulas, "
                        "rules or variables)",
                    )
                relabel = True
            if rdf_xml and (  # the other parsers stop at their buffer's size
                len(subject.value) > term_limit or len(obj.value) > term_limit
            ):
                raise _too_long(path)
            yield ox.Quad(subject, quad.predicate, obj) if relabel else quad
    except SyntaxError as exc:
        raise syntax_error(path, fmt, exc) from None
    except MemoryError as exc:
        if _BUFFER_FULL in str(exc):
            raise _too_long(path) from None
        raise DataError(str(path), f"cannot load: out of memory ({exc})") from None
    except (ValueError, OSError) as exc:
        raise DataError(str(path), f"cannot load: {exc}") from None
    if _longer_than(edges, depth):
        raise _too_deep(path)


#: What :func:`needs_checks` looks for: sre's search for a literal is faster than ``bytes.__contains__``
#: (a scan of 170 MB: 0.1 s against 0.16 s), and one pattern a marker faster than an alternation of them.
_MARKERS = (re.compile(rb"_:"), re.compile(rb"<<"))
_DOUBLE_HYPHEN = re.compile(rb"--")
#: A directional language tag (``"…"@en--ltr``), or text that looks like one.
_DIRECTIONAL = re.compile(rb"@[A-Za-z0-9-]*--")


def needs_checks(data: bytes) -> bool:
    """Whether an N-Triples file may hold what the per-triple checks of :func:`checked_quads` look at: a blank
    node (``_:``), a triple term (``<<``) or a directional language tag (``@lang--dir``). N-Triples writes
    each of them only so, and has no graphs, no nesting other than blank nodes' and no RDF/XML terms: a file
    with none of those characters passes every check, and its triples need no relabelling. A mention in a
    literal or an IRI only sends the file through the checks, which is harmless."""
    if any(marker.search(data) for marker in _MARKERS):
        return True
    return _DOUBLE_HYPHEN.search(data) is not None and _DIRECTIONAL.search(data) is not None


def _unchecked(path: Path, data: bytes) -> Iterator[ox.Quad]:
    """The triples of an N-Triples file that :func:`needs_checks` clears, as Oxigraph reads them (in
    the same order, with the same errors as :func:`checked_quads`): no Python code runs per triple."""
    try:
        yield from ox.parse(data, format=ox.RdfFormat.N_TRIPLES, base_iri=path.resolve().as_uri())
    except SyntaxError as exc:
        raise syntax_error(path, ox.RdfFormat.N_TRIPLES, exc) from None
    except MemoryError as exc:
        if _BUFFER_FULL in str(exc):
            raise _too_long(path) from None
        raise DataError(str(path), f"cannot load: out of memory ({exc})") from None
    except (ValueError, OSError) as exc:
        raise DataError(str(path), f"cannot load: {exc}") from None


def _short_lines(data: bytes) -> bool:
    """Whether no line of ``data`` can be longer than :attr:`Limits.term`: every aligned block of half that
    size holds a line break (a longer line would hold a whole block). One ``find`` a block."""
    half = LIMITS.term // 2
    return all(data.find(b"\n", start, start + half) >= 0 for start in range(0, len(data) - half + 1, half))


def _parse(path: Path, data: bytes | None) -> list[ox.Quad]:
    """All the checked triples of one file (see :func:`checked_quads`)."""
    with _collector_paused():
        return list(checked_quads(path, data))


def _too_deep(path: Path) -> DataError:
    depth = LIMITS.blank_node_depth
    return _refuse(
        path,
        f"blank nodes nested deeper than {depth} levels (each the value of a property of the previous one; "
        "the rest of an RDF list does not count)",
        f"{depth} levels",
    )


def _too_long(path: Path) -> DataError:
    return _refuse(
        path, "a literal, an IRI or a line longer than 16 MiB", f"{LIMITS.term // MiB} MiB for one term"
    )


def _rdf_1_2(path: Path, what: str) -> DataError:
    return DataError(
        str(path),
        f"RDF 1.2 refused: {what} (alliance-kg reads RDF 1.1: no triple terms, no base directions)",
    )


def read_triples(path: Path | str, *, data: bytes | None = None) -> list[ox.Triple]:
    """The triples of one file (every graph of a quad file), checked against :data:`LIMITS`; ``data`` is
    the content when it is already read. Malformed or refused input raises :class:`DataError`."""
    quads = _parse(Path(path), data)
    with _collector_paused():
        return [quad.triple for quad in quads]


#: Triples handed to the store at once by :func:`load_into`.
_CHUNK = 50_000


def _package_files() -> frozenset[Path]:
    """The installation's own RDF files: the ontology, the shapes, ``graph/*.ttl``."""
    from . import paths

    return _package_files_under(paths.data_root())


@lru_cache(maxsize=4)
def _package_files_under(root: Path) -> frozenset[Path]:
    from . import paths

    return frozenset(p.resolve() for p in (paths.ontology_file(), paths.shapes_file(), *paths.graph_files()))


def load_into(store: ox.Store, path: Path | str, *, data: bytes | None = None) -> None:
    """Add the triples of one file to the default graph of ``store``, as they are read and checked. A file
    refused part-way (its blank-node nesting is known only at its end) leaves the triples read until then in
    ``store``: discard it, as :func:`alliance_kg.store.open_store` and the server do on any error.

    The installation's own files (:func:`_package_files`) are loaded by Oxigraph directly: they come with
    the code and are checked by its tests, and reading them through the checks would cost every query
    some 4 ms (their blank nodes get Oxigraph's labels, never those of a user's file)."""
    path = Path(path)
    if data is None and path.resolve() in _package_files():
        fmt = format_of(path)
        try:
            store.load(read_bytes(path), format=fmt, base_iri=path.resolve().as_uri())
        except SyntaxError as exc:
            raise syntax_error(path, fmt, exc) from None
        return
    quads = checked_quads(path, data)
    with _collector_paused():
        while chunk := list(islice(quads, _CHUNK)):
            store.extend(chunk)


def bulk_load_into(store: ox.Store, path: Path | str, *, data: bytes | None = None) -> None:
    """:func:`load_into` for a store on disk: the checked triples go through Oxigraph's bulk loader (no
    transaction per chunk; about twice as fast, and a store a sixth of the size). A refused file leaves
    part of its triples in ``store``: discard the store, as :mod:`alliance_kg.storecache` does."""
    path = Path(path)
    if data is None and path.resolve() in _package_files():
        fmt = format_of(path)
        try:
            store.bulk_load(read_bytes(path), format=fmt, base_iri=path.resolve().as_uri())
        except SyntaxError as exc:
            raise syntax_error(path, fmt, exc) from None
        return
    if data is None:
        data = read_bytes(path)
    if format_of(path) == ox.RdfFormat.N_TRIPLES and not needs_checks(data) and _short_lines(data):
        # no per-triple check applies and no blank node is relabelled: Oxigraph's loader reads the bytes
        # itself (a million triples: 4.6 s instead of 6.1 s with a Python object made per triple); its
        # loader has no limit on a line, the parser's 16 MiB buffer being that of checked_quads
        try:
            store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, base_iri=path.resolve().as_uri())
        except SyntaxError as exc:
            raise syntax_error(path, ox.RdfFormat.N_TRIPLES, exc) from None
        except (ValueError, OSError) as exc:
            raise DataError(str(path), f"cannot load: {exc}") from None
        return
    with _collector_paused():
        store.bulk_extend(checked_quads(path, data))


def add_to_graph(graph: Graph, path: Path | str, *, data: bytes | None = None) -> Graph:
    """Add the triples of one file to an rdflib graph (a :class:`rdflib.Graph`, or a graph of a
    :class:`rdflib.Dataset`), and return it, blank nodes labelled as :func:`read_triples` labels them.
    Simple literals are plain (no ``xsd:string``), as rdflib's own parsers give them."""
    from rdflib import BNode, Literal, URIRef

    quads = _parse(Path(path), data)
    iris: dict[str, URIRef] = {}
    blanks: dict[str, BNode] = {}
    datatypes: dict[str, URIRef] = {}

    def term(node: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> URIRef | BNode | Literal:
        if type(node) is ox.NamedNode:
            iri = iris.get(node.value)
            if iri is None:
                iri = iris[node.value] = URIRef(node.value)
            return iri
        if type(node) is ox.BlankNode:
            found = blanks.get(node.value)
            if found is None:
                found = blanks[node.value] = BNode(node.value)
            return found
        if type(node) is not ox.Literal:  # a triple term, which checked_quads refuses
            raise TypeError(f"no rdflib term for {node}")
        if node.language:
            return Literal(node.value, lang=node.language)
        datatype = node.datatype.value
        if datatype == _XSD_STRING:
            return Literal(node.value)
        dt = datatypes.get(datatype)
        if dt is None:
            dt = datatypes[datatype] = URIRef(datatype)
        return Literal(node.value, datatype=dt)

    with _collector_paused():
        graph.addN((term(q.subject), term(q.predicate), term(q.object), graph) for q in quads)
    return graph
