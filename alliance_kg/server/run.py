"""Run the site with uvicorn: what ``alliance-kg serve`` does after reading its options."""

from __future__ import annotations

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
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=access_log,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            # a GET may carry a query as long as a POST body may be
            h11_max_incomplete_event_size=max(16 * 1024, config.max_request_bytes + 8 * 1024),
            timeout_graceful_shutdown=5,
            server_header=False,
            log_level="info",
        )
    )
    server.run()
    return 0 if server.started else 1
