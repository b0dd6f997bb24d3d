"""Run the site with uvicorn: what ``alliance-kg serve`` does after reading its options."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys

from ..errors import UsageError
from .config import ServerConfig


def _check_port(host: str, port: int) -> None:
    """Fail early, with a clear message, when the address cannot be listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _without_upgrade(data: bytes, end: int) -> bytes:
    """``data`` (a request's head, ending at ``end``, and what follows) with an ``Upgrade`` header offering
    anything but WebSocket renamed ``X-Ignored-Upgrade``: the request is then read as HTTP/1.1."""
    head = data[:end]
    if b"upgrade" not in head.lower():
        return data
    lines = head.split(b"\r\n")
    changed = False
    for index, line in enumerate(lines[1:], start=1):
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"upgrade" and value.strip().lower() != b"websocket":
            lines[index] = b"X-Ignored-Upgrade:" + value
            changed = True
    return b"\r\n".join(lines) + data[end:] if changed else data


def http_protocol(head_limit: int) -> type[asyncio.Protocol] | str:
    """The HTTP/1.1 implementation uvicorn runs: httptools (a C parser, the one ``uvicorn[standard]``
    brings; three times as many requests a second as h11 on a small machine) when it is installed, else
    h11. Three differences of uvicorn's httptools protocol from its h11 one are made up for here:

    - uvicorn bounds the request line and headers h11 reads (``h11_max_incomplete_event_size``), not those
      httptools reads: the same bound is kept, a request whose head is longer than ``head_limit`` bytes
      gets 400 (as from h11) and its connection is closed, before it is held in memory;
    - ``httptools.parse_url`` takes 65,535 bytes at most, and a GET may carry a query as long as a POST's:
      a longer request target (``/path?query``) is split at its first ``?`` here, as it would have
      been there;
    - a request offering to switch protocols (``Upgrade: h2c``, what every Java ``HttpClient`` sends,
      Jena's among them) makes httptools stop at the end of its headers, and uvicorn then hands the
      application an empty body (uvicorn issue 2722): the offer is ignored here, as RFC 9110 §7.8 allows
      and as h11 does, by renaming the header before the parser reads it (the request's head is held
      until it is whole for that; a WebSocket upgrade is left alone)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # no httptools
        return "h11"

    class BoundedHttpTools(HttpToolsProtocol):
        head_bytes = 0
        in_message = False  # the parser is inside a request (its head, or its body)
        pending = b""  # the start of a request's head, held until the head is whole

        def data_received(self, data: bytes) -> None:
            if self.in_message and not self.pending:
                super().data_received(data)
                return
            seen = max(len(self.pending) - 3, 0)  # searched already (a head that comes in many parts)
            data = self.pending + data if self.pending else data
            end = data.find(b"\r\n\r\n", seen)
            if end < 0 and len(data) <= head_limit:
                self.pending = data
                return
            self.pending = b""
            super().data_received(_without_upgrade(data, end) if end >= 0 else data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.head_bytes = 0
            self.in_message = True

        def on_message_complete(self) -> None:
            self.in_message = False
            super().on_message_complete()

        def on_url(self, url: bytes) -> None:
            self._grow(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._grow(len(name) + len(value) + 4)  # as written: "name: value\r\n"
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            target = self.url
            if len(target) <= 65_535 or not target.startswith(b"/"):
                super().on_headers_complete()
                return
            path, _, query = target.partition(b"?")
            self.url = path  # what parse_url can read; the query string is put in the scope afterwards,
            try:  # before the application runs (uvicorn has made its task, which has not started)
                super().on_headers_complete()
            finally:
                self.url = target
                self.scope["query_string"] = query.partition(b"#")[0]  # as parse_url: no fragment

        def _grow(self, size: int) -> None:
            self.head_bytes += size
            if self.head_bytes > head_limit:
                # raised in a parser callback: httptools stops and raises HttpParserCallbackError, and
                # uvicorn answers 400 "Invalid HTTP request received." and closes the connection
                raise ValueError(f"the request line and headers are longer than {head_limit:,} bytes")

    return BoundedHttpTools


def serve(
    config: ServerConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    access_log: bool = True,
    forwarded_allow_ips: str = "127.0.0.1",
) -> int:
    import uvicorn

    from .app import create_app

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    logger = logging.getLogger("alliance_kg.server")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False

    _check_port(host, port)
    app = create_app(config)
    public = config.base_url or f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    logger.info("serving the graph at %s (SPARQL endpoint %ssparql)", public, public)
    head_limit = max(16 * 1024, config.max_request_bytes + 8 * 1024)  # a GET's query: as long as a POST's
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            http=http_protocol(head_limit),
            access_log=access_log,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            h11_max_incomplete_event_size=head_limit,
            timeout_graceful_shutdown=5,
            server_header=False,
            log_level="info",
        )
    )
    server.run()
    return 0 if server.started else 1
