"""HTTP for the site: content codings (gzip and Brotli) and conditional requests.

:class:`Compression` is an ASGI middleware. It compresses a response when the client's
``Accept-Encoding`` asks for a coding it has (``br``, ``gzip``; RFC 9110 §12.5.3, with q-values, ``*``,
``identity`` and ``x-gzip``), when its type is text (HTML, RDF, SPARQL results, CSS, JS…, not images, archives
or fonts, which are compressed already) and its body at least 1 KiB. Every response of a compressible type
says ``Vary: Accept-Encoding``, compressed or not. A compressed response has the ``Content-Length`` of what is
sent and a weak ``ETag`` (``W/"…"``, as nginx does: the same content, another representation of it), which
``If-None-Match`` matches, since that compares weakly. HEAD gets the headers GET gets (the application is
asked for the GET response, and its body dropped). Compressed bodies are kept (by the hash of the body,
32 MiB in all), since the documents do not change while the server runs; large ones are compressed in a
thread.

Starlette's own GZipMiddleware is not used: it has no Brotli, and it looks for the substring ``gzip`` in
``Accept-Encoding``, so ``gzip;q=0`` still gets gzip and ``*`` or ``x-gzip`` does not.

For the documents (``app.respond``): :func:`not_modified` evaluates ``If-None-Match`` (weak comparison,
lists, ``*``) and, only without it, ``If-Modified-Since``, as RFC 9110 §13.2.2 orders them;
:func:`http_date` and :func:`parse_http_date` write and read HTTP-dates (all three forms are read), and
:func:`newest_modification` is the ``Last-Modified`` of the site. A malformed header is ignored, never an
error.
"""

from __future__ import annotations

import calendar
import datetime
import email.utils
import hashlib
import re
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

try:  # Google's bindings (the `brotli` package); without them, gzip only
    import brotli
except ImportError:  # pragma: no cover - a dependency of the project
    brotli = None

#: The codings this server can apply, best first (the choice between equal q-values).
SUPPORTED: tuple[str, ...] = ("br", "gzip") if brotli is not None else ("gzip",)
MINIMUM_SIZE = 1024  # smaller bodies are sent as they are
GZIP_LEVEL = 6  # a 600 kB N-Triples dump: 41 kB in 4 ms (level 9: 40 kB in 8 ms)
BROTLI_QUALITY = 5  # the same dump: 34 kB in 4 ms (quality 11: 29 kB in 1 s, too slow to do per request)
THREAD_MINIMUM = 128 * 1024  # larger bodies are compressed in a thread, not in the event loop
CACHE_BYTES = 32 * 1024 * 1024  # compressed bodies kept

_ALIASES = {"x-gzip": "gzip"}  # RFC 9110 §8.4.1.3
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")
_COMPRESSIBLE = {
    "application/json",
    "application/xml",
    "application/javascript",
    "application/ecmascript",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/sparql-query",
    "application/sparql-update",
    "application/x-turtle",
    "application/wasm",
}


# ---------------------------------------------------------------------------------------------------
# Accept-Encoding


def parse_accept_encoding(header: str) -> dict[str, float]:
    """The q-value of each coding an ``Accept-Encoding`` value names (lower case; ``x-gzip`` is ``gzip``;
    ``*`` and ``identity`` as they are). An entry that is not ``coding[;q=qvalue]`` (a malformed q, a
    q above 1, a stray character) is left out; a coding named twice keeps its lowest q."""
    found: dict[str, float] = {}
    for entry in header.split(","):
        fields = entry.split(";")
        coding = fields[0].strip().lower()
        if not coding:
            continue
        if not _TOKEN.fullmatch(coding):
            continue
        q: float | None = 1.0
        for param in fields[1:]:
            name, equals, value = param.partition("=")
            name, value = name.strip().lower(), value.strip()
            if not name and not equals:
                continue  # an empty parameter: "br;;q=0.5"
            if name == "q":
                q = float(value) if equals and _QVALUE.fullmatch(value) else None
                if q is None:
                    break
        if q is None:
            continue
        coding = _ALIASES.get(coding, coding)
        found[coding] = min(q, found.get(coding, q))
    return found


def choose_encoding(header: str | None, supported: tuple[str, ...] = SUPPORTED) -> str | None:
    """The coding to send (one of ``supported``), or None for none (identity).

    No header, or an empty one, means identity. Otherwise the supported coding with the highest q wins
    (ties: the first of ``supported``), if its q is above 0 and not below that of an ``identity`` the
    client lists: ``identity;q=1, gzip;q=0.5`` gets the content as it is. A coding not listed has the q of
    ``*``, else 0. When nothing is acceptable, not even identity, identity it is all the same (RFC 9110
    §12.5.3: "SHOULD send a response without any content coding")."""
    if not header or not header.strip():
        return None
    prefs = parse_accept_encoding(header)
    wildcard = prefs.get("*", 0.0)
    best, chosen = 0.0, None
    for coding in supported:
        q = prefs.get(coding, wildcard)
        if q > best:
            best, chosen = q, coding
    if chosen is None or prefs.get("identity", -1.0) > best:
        return None
    return chosen


def compressible(content_type: str | None) -> bool:
    """Whether a body of this type is worth compressing: text, JSON, XML, RDF, JavaScript; not images,
    audio, video, archives or fonts (compressed already), nor event streams."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    kind, slash, subtype = media.partition("/")
    if not slash or not kind or not subtype or media == "text/event-stream":
        return False
    return kind == "text" or subtype.endswith(("+json", "+xml")) or media in _COMPRESSIBLE


def add_vary(headers: MutableHeaders, name: str) -> None:
    """Add ``name`` to ``Vary`` unless it (or ``*``) is there already; one Vary header results."""
    values = [v.strip() for line in headers.getlist("vary") for v in line.split(",") if v.strip()]
    lowered = {v.lower() for v in values}
    if "*" in lowered or name.lower() in lowered:
        return
    headers["Vary"] = ", ".join([*values, name])


def weak(etag: str) -> str:
    """``"x"`` as ``W/"x"``; a weak or malformed tag as it is."""
    return "W/" + etag if etag.startswith('"') and etag.endswith('"') and len(etag) >= 2 else etag


# ---------------------------------------------------------------------------------------------------
# The middleware


class _Cache:
    """Compressed bodies by (hash of the body, coding), least recently used dropped first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.entries: OrderedDict[tuple[bytes, str], bytes] = OrderedDict()
        self.lock = threading.Lock()  # large bodies are compressed in threads

    def get(self, key: tuple[bytes, str]) -> bytes | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: tuple[bytes, str], value: bytes) -> None:
        with self.lock:
            if len(value) > self.limit // 4 or key in self.entries:
                return
            self.entries[key] = value
            self.size += len(value)
            while self.size > self.limit:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped)


class _Stream:
    """An incremental compressor for a body sent in parts."""

    def __init__(self, coding: str, level: int, quality: int) -> None:
        self.coding = coding
        if coding == "br":
            self.brotli = brotli.Compressor(quality=quality, mode=brotli.MODE_TEXT)
        else:
            self.zlib = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def feed(self, data: bytes, last: bool) -> bytes:
        if self.coding == "br":
            out: bytes = self.brotli.process(data)
            end: bytes = self.brotli.finish() if last else self.brotli.flush()
            return out + end
        out = self.zlib.compress(data)
        return out + self.zlib.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


class Compression:
    """Compress responses as the client's ``Accept-Encoding`` asks (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        minimum_size: int = MINIMUM_SIZE,
        gzip_level: int = GZIP_LEVEL,
        brotli_quality: int = BROTLI_QUALITY,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.gzip_level = gzip_level
        self.brotli_quality = brotli_quality
        self.cache = _Cache(cache_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # the raw headers, as Headers.getlist reads them (ASGI servers give the names in lower case)
        codings = [value.decode("latin-1") for name, value in scope["headers"] if name == b"accept-encoding"]
        coding = choose_encoding(", ".join(codings)) if codings else None
        head = scope.get("method") == "HEAD"
        request_scope = scope
        if head and coding is not None:  # the headers of GET, so its Content-Length: ask for GET
            scope = {**scope, "method": "GET"}
        responder = _Responder(self, coding, head and coding is not None, request_scope, send)
        await self.app(scope, receive, responder)

    def compress(self, body: bytes, coding: str) -> bytes:
        key = (hashlib.blake2b(body, digest_size=16).digest(), coding)
        found = self.cache.get(key)
        if found is None:
            if coding == "br":
                found = brotli.compress(body, quality=self.brotli_quality, mode=brotli.MODE_TEXT)
            else:
                packer = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                found = packer.compress(body) + packer.flush()
            self.cache.put(key, found)
        return found


class _Responder:
    """The ``send`` of one response: holds back its start until the first part of its body says whether
    (and how) to compress it."""

    def __init__(self, owner: Compression, coding: str | None, head: bool, scope: Scope, send: Send) -> None:
        self.owner = owner
        self.coding = coding
        self.head = head  # a HEAD asked for as GET: send no body
        self.scope = scope  # the request's (its headers are read only for a 304)
        self.send = send
        self.start: Message | None = None
        self.mode = "undecided"  # "pass" (as it is), "whole" (decided on the first body), "stream"
        self.stream: _Stream | None = None

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._started(message)
        elif kind == "http.response.body" and self.mode == "undecided":
            await self._first_body(message)
        elif kind == "http.response.body" and self.mode == "stream":
            assert self.stream is not None
            more = message.get("more_body", False)
            data = b"" if self.head else self.stream.feed(message.get("body", b""), last=not more)
            await self.send({"type": "http.response.body", "body": data, "more_body": more})
        elif kind == "http.response.body" and self.head:
            await self.send({**message, "body": b""})
        else:
            if self.start is not None:  # a pathsend, or anything else before a body: as it is
                await self.send(self.start)
                self.start = None
            await self.send(message)

    async def _started(self, message: Message) -> None:
        status = message["status"]
        if status != 304:
            content_type = next(
                (v for k, v in message.get("headers", ()) if k.lower() == b"content-type"), None
            )
            if not compressible(content_type.decode("latin-1") if content_type is not None else None):
                self.mode = "pass"  # an image, a font, no body…: as it is, without a Vary
                await self.send(message)
                return
        headers = MutableHeaders(raw=list(message.get("headers", [])))
        message = {**message, "headers": headers.raw}
        if status == 304:
            add_vary(headers, "Accept-Encoding")
            etag = headers.get("etag")
            if self.coding is not None and etag and not self._presented_strong(etag):
                headers["ETag"] = weak(etag)
            self.mode = "pass"
            await self.send(message)
            return
        add_vary(headers, "Accept-Encoding")  # a compressible type (see above)
        untouchable = (
            self.coding is None
            or status < 200
            or status in (204, 206)
            or "content-encoding" in headers
            or "content-range" in headers
            or message.get("trailers", False)
        )
        if untouchable:
            self.mode = "pass"
            await self.send(message)
            return
        self.start = message

    def _presented_strong(self, etag: str) -> bool:
        """Whether the client's If-None-Match holds ``etag`` in its strong form: it has the identity copy."""
        tags = parse_entity_tags(", ".join(Headers(scope=self.scope).getlist("if-none-match")))
        return tags is not None and etag in tags

    async def _first_body(self, message: Message) -> None:
        assert self.start is not None and self.coding is not None
        start, self.start = self.start, None
        headers = MutableHeaders(raw=start["headers"])
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        declared = headers.get("content-length", "")
        small = len(body) < self.owner.minimum_size and (
            not more or (declared.isdigit() and int(declared) < self.owner.minimum_size)
        )
        if small:
            self.mode = "pass"
            await self.send(start)
            await self.send({**message, "body": b""} if self.head else message)
            return
        headers["Content-Encoding"] = self.coding
        etag = headers.get("etag")
        if etag:
            headers["ETag"] = weak(etag)
        if more:  # a streamed body: compressed part by part, its length unknown
            self.mode = "stream"
            self.stream = _Stream(self.coding, self.owner.gzip_level, self.owner.brotli_quality)
            if "content-length" in headers:
                del headers["content-length"]
            data = b"" if self.head else self.stream.feed(body, last=False)
            await self.send(start)
            await self.send({"type": "http.response.body", "body": data, "more_body": True})
            return
        self.mode = "whole"
        if len(body) >= THREAD_MINIMUM:
            packed = await run_in_threadpool(self.owner.compress, body, self.coding)
        else:
            packed = self.owner.compress(body, self.coding)
        headers["Content-Length"] = str(len(packed))
        await self.send(start)
        await self.send({"type": "http.response.body", "body": b"" if self.head else packed})


# ---------------------------------------------------------------------------------------------------
# Conditional requests

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
_M = "|".join(_MONTHS)
_IMF = re.compile(rf"(?:{'|'.join(_DAYS)}), ([0-9]{{2}}) ({_M}) ([0-9]{{4}}) {_TIME} GMT")
_RFC850 = re.compile(rf"(?:{'|'.join(_LONG_DAYS)}), ([0-9]{{2}})-({_M})-([0-9]{{2}}) {_TIME} GMT")
_ASCTIME = re.compile(rf"(?:{'|'.join(_DAYS)}) ({_M}) ([0-9 ][0-9]) {_TIME} ([0-9]{{4}})")
_ETAG = re.compile(r'\s*((?:W/)?"[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


def http_date(timestamp: float) -> str:
    """An IMF-fixdate: ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    return email.utils.formatdate(int(timestamp), usegmt=True)


def parse_http_date(value: str) -> float | None:
    """The time an HTTP-date stands for (IMF-fixdate, RFC 850 or asctime form), or None if it is none."""
    value = value.strip()
    if found := _IMF.fullmatch(value):
        day, month, year, hh, mm, ss = found.groups()
    elif found := _ASCTIME.fullmatch(value):
        month, day, hh, mm, ss, year = found.groups()
    elif found := _RFC850.fullmatch(value):
        day, month, yy, hh, mm, ss = found.groups()
        this_year = time.gmtime().tm_year
        year = str(this_year - this_year % 100 + int(yy))
        if int(year) > this_year + 50:  # RFC 9110 §5.6.7: the most recent year with those digits
            year = str(int(year) - 100)
    else:
        return None
    fields = (int(year), _MONTHS.index(month) + 1, int(day), int(hh), int(mm), int(ss))
    if not (1 <= fields[2] <= 31 and fields[3] < 24 and fields[4] < 60 and fields[5] < 61):
        return None
    try:
        datetime.date(*fields[:3])
    except ValueError:
        return None
    return float(calendar.timegm((*fields, 0, 0, 0)))


def parse_entity_tags(header: str) -> list[str] | None:
    """The entity-tags of an ``If-None-Match`` value (``W/`` kept), ``["*"]`` for ``*``; None when the value
    is not a well-formed list (then the header is ignored)."""
    if header.strip() == "*":
        return ["*"]
    tags, position = [], 0
    text = header.rstrip()
    while position < len(text):
        if text[position] in ", \t":
            position += 1
            continue
        found = _ETAG.match(text, position)
        if not found:
            return None
        tags.append(found.group(1))
        position = found.end()
    return tags or None


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def not_modified(
    method: str,
    etag: str,
    last_modified: float,
    if_none_match: list[str],
    if_modified_since: list[str],
) -> bool:
    """Whether a GET or HEAD may be answered 304 Not Modified (RFC 9110 §13.2.2): ``If-None-Match`` when it
    is there (``*``, or a tag equal to ``etag`` by weak comparison: ``W/"x"`` matches ``"x"``); else
    ``If-Modified-Since``, one valid HTTP-date not before ``last_modified``. Each header as its lines."""
    if method not in ("GET", "HEAD"):
        return False
    tags = parse_entity_tags(", ".join(if_none_match)) if if_none_match else None
    if tags is not None:
        return tags == ["*"] or any(_opaque(t) == _opaque(etag) for t in tags)
    if len(if_modified_since) == 1:
        since = parse_http_date(if_modified_since[0])
        if since is not None:
            return int(last_modified) <= since
    return False


def newest_modification(files: Iterable[Path]) -> float:
    """The ``Last-Modified`` of the site: the newest modification time (whole seconds) of ``files`` (the
    data served) and of this package's code and static files, which shape every document; never later
    than now."""
    package = Path(__file__).resolve().parent.parent
    candidates = [*files, *package.rglob("*.py"), *(package / "server" / "static").glob("*")]
    times = []
    for path in candidates:
        try:
            times.append(Path(path).stat().st_mtime)
        except OSError:
            continue
    now = time.time()
    return float(int(min(max(times, default=now), now)))
