"""The query gate: one lexer decides what may run, and the engine runs exactly the text the lexer made.

Why a lexer, and why its output is what runs. The earlier gate parsed the query with rdflib's grammar
and then handed the *original* text to Oxigraph; the two disagreed on where a ``#`` comment ends
(rdflib at a line feed only, the SPARQL grammar and Oxigraph at a carriage return too), so a
``SERVICE`` hidden behind ``# …\\r`` passed the check and ran. Any check done on one reading of a text
and executed on another reading has that flaw, however good each parser is. So here:

1. :func:`check` splits the text into the terminals of the SPARQL 1.2 grammar (§19.8 of SPARQL 1.2
   Query: ``IRIREF``, ``PNAME_LN``, the four string forms, ``VAR1``/``VAR2``, ``LANG_DIR``, numbers,
   ``BLANK_NODE_LABEL``, keywords and punctuation including the RDF 1.2 ``<<( … )>>``, ``<< … >>``,
   ``{| … |}`` and ``~``), with the grammar's own rules: ``WS`` is exactly U+0020, U+0009, U+000D and
   U+000A; a comment runs from ``#`` (outside an IRI or a string) to the first U+000D or U+000A;
   codepoint escapes ``\\u`` + 4 hex digits / ``\\U`` + 8 exist only inside IRIs and strings, as in SPARQL 1.2
   and Oxigraph (SPARQL 1.1's "escapes anywhere" pre-pass is gone, and pyoxigraph does not do it). It
   is iterative (no recursion), linear in the text, and needs no knowledge of SPARQL's productions.
2. It decides on those tokens: a bare word ``SERVICE`` (any case) is refused, so is any keyword of
   SPARQL Update; nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_TOKENS` tokens or
   :data:`MAX_CHARS` characters are refused as too large, naming the limit. Nothing else is judged:
   grammar errors are left to the engine, which reports them (their positions are mapped back onto the
   text the user wrote).
3. It writes the **canonical text** that the engine runs: comments become spaces, every string literal
   is rewritten in one form (``"…"`` with only ``\\"``, ``\\\\``, ``\\n`` and ``\\r`` escaped) and
   every IRI with its codepoint escapes decoded. The canonical text has no comment, no long string, no
   ``\\u`` escape and no single quote the engine could read differently from this lexer, so whatever
   the engine's own lexer does with corner cases, the keywords it can see are the keywords checked.

What a query may not do exhausts resources in the engine's recursive parser (a stack overflow kills the
process; see :data:`MAX_DEPTH`), or is refused by its kind. Callers run the engine on a thread with a
large stack (:data:`ENGINE_STACK`): Oxigraph's parser and planner recurse once per level of a chain
(``?x + 1 + 1 …``, ``{…} UNION {…} UNION …``, ``BIND … BIND …``), and :data:`MAX_TOKENS` bounds that.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Mapping

import pyoxigraph as ox

from .errors import QueryError
from .namespaces import PN_CHARS, PN_CHARS_BASE, PN_CHARS_U

MAX_CHARS = 2_000_000
MAX_TOKENS = 100_000
MAX_DEPTH = 1_000
#: Stack size for the thread that runs the engine. Measured with pyoxigraph 0.5.13: on the default 8 MiB
#: stack a chain of 4,000 BINDs or 7,000 ``+`` overflows (SIGSEGV); each level costs ≤ 2.3 KiB, so a
#: query of MAX_TOKENS tokens (at most 50,000 levels) needs ≤ 115 MiB. Only touched pages use memory.
ENGINE_STACK = 512 * 1024 * 1024

UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
)
FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})


class Refused(QueryError):
    """A query the gate will not pass on: ``status`` is the HTTP status the endpoint answers with."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


# --- the SPARQL 1.2 terminals (§19.8), as regular expressions ----------------------------------------
_PN_CHARS_BASE, _PN_CHARS_U, _PN_CHARS = PN_CHARS_BASE, PN_CHARS_U, PN_CHARS  # one definition: namespaces
_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf\\"']"""
_PLX = rf"%{_HEX}{_HEX}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (
    rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})"
    rf"(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_VARNAME = rf"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_EXPONENT = r"[eE][+-]?[0-9]+"

_WS = re.compile(r"[ \t\r\n]+")
_COMMENT = re.compile(r"#[^\r\n]*")
_IRIREF = re.compile(rf"""<(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>""")
_STRINGS = {
    '"""': re.compile(rf'"""(?:(?:"|"")?(?:[^"\\]|{_ECHAR}|{_UCHAR}))*"""'),
    "'''": re.compile(rf"'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}|{_UCHAR}))*'''"),
    '"': re.compile(rf'"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*"'),
    "'": re.compile(rf"'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'"),
}
_PNAME = re.compile(rf"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_VAR = re.compile(rf"[?$]{_VARNAME}")
_BNODE = re.compile(rf"_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?")
_LANG_DIR = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?")
_NUMBER = re.compile(
    rf"[0-9]+\.[0-9]*{_EXPONENT}|\.[0-9]+{_EXPONENT}|[0-9]+{_EXPONENT}|[0-9]*\.[0-9]+|[0-9]+"
)
_NIL_ANON = re.compile(r"\([ \t\r\n]*\)|\[[ \t\r\n]*\]")
_PUNCT = ("<<(", ")>>", "<<", ">>", "{|", "|}", "^^", "&&", "||", "!=", "<=", ">=")
_PUNCT1 = frozenset("{}()[];,.=!+-*/^|~<>?")
_ESCAPES = re.compile(rf"{_ECHAR}|{_UCHAR}")
_UCHAR_RE = re.compile(_UCHAR)
_ECHAR_VALUES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", "\\": "\\", '"': '"', "'": "'"}
_IRI_RAW_FORBIDDEN = re.compile(r"""[<>"{}|^`\\\x00-\x20]""")

# token kinds
WORD, IRI, PNAME, STRING, VAR, BNODE, LANG, NUMBER, PUNCT = (
    "word",
    "iri",
    "pname",
    "string",
    "var",
    "bnode",
    "lang",
    "number",
    "punct",
)
_OPENERS = {"{": "{", "(": "(", "[": "[", "<<": "<<", "<<(": "<<(", "{|": "{|"}


class Token:
    __slots__ = ("end", "kind", "start", "text")

    def __init__(self, kind: str, start: int, end: int, text: str) -> None:
        self.kind = kind
        self.start = start  # offsets in the original text
        self.end = end
        self.text = text  # the canonical spelling

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.text!r})"


class CheckedQuery:
    """A query the gate passed: ``text`` is the canonical text to run (never the original)."""

    __slots__ = ("_map", "form", "has_dataset", "original", "text", "uses_service")

    def __init__(
        self,
        text: str,
        form: str,
        has_dataset: bool = False,
        *,
        original: str | None = None,
        offsets: tuple[list[int], list[int]] | None = None,
        uses_service: bool = False,
    ) -> None:
        self.text = text
        self.form = form  # SELECT, CONSTRUCT, DESCRIBE or ASK
        self.has_dataset = has_dataset  # FROM / FROM NAMED in the query
        self.uses_service = uses_service  # only ever True with allow_service
        self.original = text if original is None else original
        self._map = offsets or ([0], [0])

    def __getstate__(self) -> tuple[str, str, bool, str, tuple[list[int], list[int]], bool]:
        return (self.text, self.form, self.has_dataset, self.original, self._map, self.uses_service)

    def __setstate__(self, state: tuple[str, str, bool, str, tuple[list[int], list[int]], bool]) -> None:
        self.text, self.form, self.has_dataset, self.original, self._map, self.uses_service = state

    def original_offset(self, offset: int) -> int:
        """The offset in the user's text of a character of the canonical text."""
        canon, orig = self._map
        i = bisect.bisect_right(canon, offset) - 1
        return orig[i] + (offset - canon[i]) if i >= 0 else offset

    def syntax_error(self, exc: BaseException) -> Refused:
        """The engine's syntax error, with its position on the text the user wrote."""
        message = str(exc)
        match = re.search(r"error at (\d+):(\d+): (.*)", message, re.S)
        if not match:
            return Refused(400, f"SPARQL syntax error: {message}")
        line, column, reason = int(match[1]), int(match[2]), match[3].strip()
        offset = _offset_of(self.text, line, column)
        return syntax_error_at(self.original, self.original_offset(offset), reason)


def _offset_of(text: str, line: int, column: int) -> int:
    offset = 0
    for _ in range(line - 1):
        nl = _next_line_break(text, offset)
        if nl < 0:
            return len(text)
        offset = nl
    return min(offset + max(column - 1, 0), len(text))


def _next_line_break(text: str, offset: int) -> int:
    """Offset after the next line break (CR LF, LF or CR), or -1."""
    match = re.compile(r"\r\n|\n|\r").search(text, offset)
    return match.end() if match else -1


def _position(text: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of ``offset``, and the text of that line (CR, LF and CR LF end lines)."""
    lines = re.split(r"\r\n|\n|\r", text[:offset])
    line, column = len(lines), len(lines[-1]) + 1
    start = offset - len(lines[-1])
    stop = re.compile(r"[\r\n]").search(text, offset)
    return line, column, text[start : stop.start() if stop else len(text)]


def syntax_error_at(text: str, offset: int, reason: str) -> Refused:
    """A syntax error (400) pointing at ``offset`` of ``text``: line, column, the line and a caret."""
    line, column, shown = _position(text, offset)
    caret = " " * max(column - 1, 0) + "^"
    return Refused(
        400, f"SPARQL syntax error at line {line}, column {column}: {reason}\n  {shown}\n  {caret}"
    )


def _refuse_at(text: str, offset: int, status: int, message: str) -> Refused:
    line, column, _ = _position(text, offset)
    return Refused(status, f"{message} (line {line}, column {column})")


def _decode_string(raw: str, quote_len: int) -> str:
    body = raw[quote_len:-quote_len]

    def one(match: re.Match[str]) -> str:
        escape = match[0]
        if escape[1] in "uU":
            return chr(int(escape[2:], 16))
        return _ECHAR_VALUES[escape[1]]

    return _ESCAPES.sub(one, body)


def _canonical_string(value: str) -> str:
    return (
        '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    )


def _iri_value(raw: str) -> str:
    """The IRI an ``IRIREF`` token spells (its codepoint escapes decoded)."""
    return _UCHAR_RE.sub(lambda m: chr(int(m[0][2:], 16)), raw[1:-1])


def _iri_text(value: str) -> str:
    """An ``IRIREF`` for ``value``: characters an IRIREF cannot hold raw are written as ``\\u`` escapes."""
    return "<" + _IRI_RAW_FORBIDDEN.sub(lambda m: f"\\u{ord(m[0]):04X}", value) + ">"


def _canonical_iri(raw: str) -> str:
    return _iri_text(_iri_value(raw))


def _check_codepoints(text: str, raw: str, start: int) -> None:
    for match in _UCHAR_RE.finditer(raw):
        value = int(match[0][2:], 16)
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise syntax_error_at(text, start + match.start(), f"{match[0]} is not a Unicode character")


def tokenize(text: str) -> tuple[list[Token], list[tuple[int, int]], int | None]:
    """The tokens of ``text``, the spans of its comments, and where it stopped if it holds more than
    :data:`MAX_TOKENS` tokens; raises :class:`Refused` (400) at a character that begins no terminal."""
    tokens: list[Token] = []
    gaps: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            m = _WS.match(text, i)
            assert m is not None
            i = m.end()
            continue
        if c == "#":
            m = _COMMENT.match(text, i)
            assert m is not None
            gaps.append((i, m.end()))
            i = m.end()
            continue
        if len(tokens) >= MAX_TOKENS:  # the caller refuses it, once the nesting so far is checked
            return tokens, gaps, i
        m = None
        kind = PUNCT
        if c == "<":
            m = _IRIREF.match(text, i)
            kind = IRI
        elif c in "\"'":
            quote = text[i : i + 3] if text.startswith(c * 3, i) else c
            m = _STRINGS[quote].match(text, i)
            if m is None:
                raise syntax_error_at(text, i, "unterminated or malformed string literal")
            _check_codepoints(text, m[0], i)
            value = _decode_string(m[0], len(quote))
            tokens.append(Token(STRING, i, m.end(), _canonical_string(value)))
            i = m.end()
            continue
        elif c in "?$":
            m = _VAR.match(text, i)
            kind = VAR
        elif c == "_" and text.startswith("_:", i):
            m = _BNODE.match(text, i)
            kind = BNODE
        elif c == "@":
            m = _LANG_DIR.match(text, i)
            kind = LANG
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            kind = NUMBER
        elif c == "(" or c == "[":
            m = _NIL_ANON.match(text, i)
            kind = PUNCT
        if m is None and (c == ":" or re.match(f"[{_PN_CHARS_BASE}]", c)):
            m = _PNAME.match(text, i)
            kind = PNAME
            if m is None:
                m = _WORD.match(text, i)
                kind = WORD
        if m is not None:
            raw = m[0]
            if kind == IRI:
                _check_codepoints(text, raw, i)
                canonical = _canonical_iri(raw)
            elif kind == VAR:
                canonical = "?" + raw[1:]
            elif kind == PUNCT:  # NIL or ANON: written without their inner whitespace
                canonical = raw[0] + raw[-1]
            else:
                canonical = raw
            tokens.append(Token(kind, i, m.end(), canonical))
            i = m.end()
            continue
        for punct in _PUNCT:
            if text.startswith(punct, i):
                tokens.append(Token(PUNCT, i, i + len(punct), punct))
                i += len(punct)
                break
        else:
            if c in _PUNCT1:
                tokens.append(Token(PUNCT, i, i + 1, c))
                i += 1
            else:
                what = f"U+{ord(c):04X}" if not c.isprintable() or c.isspace() else repr(c)
                raise syntax_error_at(text, i, f"unexpected character {what}: no SPARQL token begins here")
    return tokens, gaps, None


def check(
    text: str,
    *,
    allow_service: bool = False,
    prefixes: Mapping[str, str] | None = None,
    base: str | None = None,
) -> CheckedQuery:
    """Pass a query (SELECT, CONSTRUCT, DESCRIBE, ASK) or refuse it with :class:`Refused`.

    ``prefixes`` are those the engine is given besides the query's own (``PREFIX`` declarations win).
    ``base`` is the IRI relative IRIs are resolved against until the query's own ``BASE`` (the endpoint's
    URL, as SPARQL 1.1 Query §4.1.1.1 and Fuseki have it); the canonical text holds only the resolved IRIs.
    The returned :class:`CheckedQuery` holds the canonical text to run in place of ``text``."""
    if len(text) > MAX_CHARS:
        raise Refused(
            400,
            f"the query is {len(text):,} characters long, more than the {MAX_CHARS:,} this gate passes on",
        )
    tokens, gaps, stopped_at = tokenize(text)
    _check_depth(text, tokens)
    if stopped_at is not None:
        raise _refuse_at(
            text,
            stopped_at,
            400,
            f"the query has more than {MAX_TOKENS:,} tokens, the most this gate passes on (a larger query "
            "could exhaust the engine's stack); split it or use fewer VALUES",
        )
    words = [t for t in tokens if t.kind == WORD]
    upper = [t.text.upper() for t in words]
    updates = [u for u in dict.fromkeys(upper) if u in UPDATE_KEYWORDS]
    form = _form(tokens)
    if updates:
        raise Refused(
            403,
            f"this endpoint is read-only: SPARQL Update ({', '.join(updates)}) is refused"
            + (" — LOAD would fetch a URL, which is never done for a query" if "LOAD" in updates else ""),
        )
    # Oxigraph matches a keyword at the start of any run of letters, with no word boundary: it reads
    # ``SERVICESILENT<x>{…}`` as SERVICE SILENT <x>. So any bare word holding SERVICE counts.
    service_at = next((w for w, u in zip(words, upper, strict=True) if "SERVICE" in u), None)
    uses_service = service_at is not None
    if service_at is not None and not allow_service:
        raise _service_refused(text, service_at.start)
    if form is None:
        first = next((t for t in tokens if t.kind == WORD and t.text.upper() not in _PROLOGUE), None)
        where = first.start if first else len(text)
        raise syntax_error_at(text, where, "expected SELECT, CONSTRUCT, DESCRIBE or ASK")
    _resolve_relative_iris(text, tokens, base)
    _expand_prefixed_names(text, tokens, prefixes, allow_service=allow_service)
    canonical, offsets = _canonical(text, tokens, gaps)
    return CheckedQuery(
        canonical,
        form,
        "FROM" in upper,
        original=text,
        offsets=offsets,
        uses_service=uses_service,
    )


_PROLOGUE = {"BASE": 1, "PREFIX": 2, "VERSION": 1}


def _form(tokens: list[Token]) -> str | None:
    """The query form: the first keyword after the prologue (BASE, PREFIX and VERSION declarations)."""
    i = 0
    while i < len(tokens) and tokens[i].kind == WORD and tokens[i].text.upper() in _PROLOGUE:
        i += 1 + _PROLOGUE[tokens[i].text.upper()]
    if i < len(tokens) and tokens[i].kind == WORD and tokens[i].text.upper() in FORMS:
        return tokens[i].text.upper()
    return None


_PN_LOCAL_ESC = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


def _service_refused(text: str, offset: int) -> Refused:
    return _refuse_at(
        text,
        offset,
        403,
        "SERVICE is refused: a federated query would make this program fetch a URL, which it never "
        "does for a query",
    )


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@functools.lru_cache(maxsize=4096)
def _resolved(base: str, relative: str) -> str | None:
    """``relative`` resolved against ``base`` by Oxigraph's own IRI resolution (RFC 3986 §5.2, as the
    engine resolves), or None when either is not a valid IRI (the engine then says why)."""
    document = f"{_iri_text(relative)} <urn:p> <urn:o> .".encode()
    try:
        quads = ox.parse(document, format=ox.RdfFormat.TURTLE, base_iri=base)
        subject: str = next(iter(quads)).subject.value
        return subject
    except (SyntaxError, ValueError, StopIteration):
        return None


def _resolve_relative_iris(text: str, tokens: list[Token], base: str | None) -> None:
    """Resolve every relative IRI against the base in force where it is written: ``base`` (the caller's),
    then each ``BASE`` declaration's (itself resolved against the one before). With no base, a relative
    IRI stays as written, and the engine refuses it."""
    for i, token in enumerate(tokens):
        if token.kind != IRI:
            continue
        value = _iri_value(token.text)
        declares_base = i > 0 and tokens[i - 1].kind == WORD and tokens[i - 1].text.upper() == "BASE"
        if not _ABSOLUTE.match(value) and base is not None:
            resolved = _resolved(base, value)
            if resolved is not None:
                token.text = _iri_text(resolved)
                value = resolved
        if declares_base and _ABSOLUTE.match(value):
            base = value


def _expand_prefixed_names(
    text: str, tokens: list[Token], defaults: Mapping[str, str] | None, *, allow_service: bool
) -> None:
    """Write every prefixed name as the full IRI it stands for (``ex:a`` → ``<http://example.org/a>``).

    Oxigraph matches keywords with no word boundary (``SERVICE:a`` is SERVICE then ``:a`` to it, not the
    name ``SERVICE:a``); a full IRI leaves no such reading. The ``PREFIX`` declarations stay as written."""
    prefixes = dict(defaults or {})
    declared: set[int] = set()
    for i, token in enumerate(tokens):  # the prologue's declarations (SPARQL allows them only there)
        if (
            token.kind == WORD
            and token.text.upper() == "PREFIX"
            and i + 2 < len(tokens)
            and tokens[i + 1].kind == PNAME
            and tokens[i + 2].kind == IRI
            and tokens[i + 1].text.endswith(":")
        ):
            prefixes[tokens[i + 1].text[:-1]] = _iri_value(tokens[i + 2].text)
            declared.add(i + 1)
    for i, token in enumerate(tokens):
        if token.kind != PNAME or i in declared:
            continue
        prefix, _, local = token.text.partition(":")
        if prefix not in prefixes:
            if "SERVICE" in prefix.upper() and not allow_service:  # Oxigraph would read SERVICE :local
                raise _service_refused(text, token.start)
            known = ", ".join(sorted(p for p in prefixes if p))
            raise syntax_error_at(text, token.start, f"unknown prefix {prefix}: (known: {known})")
        token.text = _iri_text(prefixes[prefix] + _PN_LOCAL_ESC.sub(r"\1", local))


def _check_depth(text: str, tokens: list[Token]) -> None:
    """Refuse nesting deeper than MAX_DEPTH (counted over ``{ ( [ << <<( {|``), and a ``}``, ``)`` or
    ``]`` that closes nothing; the engine reports any other imbalance."""
    open_ = {"{": 0, "(": 0, "[": 0, "<<": 0, "<<(": 0, "{|": 0}
    depth = 0
    for token in tokens:
        if token.kind != PUNCT:
            continue
        t = token.text
        if t in _OPENERS:
            open_[t] += 1
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse_at(
                    text,
                    token.start,
                    400,
                    f"the query nests brackets more than {MAX_DEPTH:,} levels deep, the most this gate "
                    "passes on (deeper nesting could exhaust the engine's stack)",
                )
            continue
        closes = {"}": "{", ")": "(", "]": "[", ">>": "<<", ")>>": "<<(", "|}": "{|"}.get(t)
        if closes is None:
            continue
        if open_[closes] == 0:
            if t in ("}", ")", "]"):
                raise syntax_error_at(text, token.start, f"'{t}' closes nothing")
            fallback = {")>>": "(", "|}": "{"}.get(t)  # read as ')' '>>' or '|' '}'
            if fallback is None:
                continue  # '>>' as two '>' comparisons: it closes nothing
            if open_[fallback] == 0:
                raise syntax_error_at(text, token.start, f"'{t}' closes nothing")
            closes = fallback
        open_[closes] -= 1
        depth -= 1


def _canonical(
    text: str, tokens: list[Token], gaps: list[tuple[int, int]]
) -> tuple[str, tuple[list[int], list[int]]]:
    """The text to run: the tokens in their canonical spelling, the whitespace between them as written,
    comments replaced by as many spaces; and the map from its offsets to the original's."""
    parts: list[str] = []
    canon_starts: list[int] = []
    orig_starts: list[int] = []
    position = 0  # in the original
    length = 0  # of the canonical text so far
    gap_index = 0
    for token in tokens:
        between = text[position : token.start]
        if gap_index < len(gaps) and gaps[gap_index][0] < token.start:  # comments in the gap: blank them
            chars = list(between)
            while gap_index < len(gaps) and gaps[gap_index][0] < token.start:
                a, b = gaps[gap_index]
                chars[a - position : b - position] = " " * (b - a)
                gap_index += 1
            between = "".join(chars)
        parts.append(between)
        length += len(between)
        canon_starts.append(length)
        orig_starts.append(token.start)
        parts.append(token.text)
        length += len(token.text)
        if len(token.text) != token.end - token.start:  # what follows is shifted: map it too
            canon_starts.append(length)
            orig_starts.append(token.end)
        position = token.end
    tail = text[position:]
    tail = re.sub(r"#[^\r\n]*", lambda m: " " * len(m[0]), tail)
    parts.append(tail)
    return "".join(parts), (canon_starts or [0], orig_starts or [0])
