"""The settings of ``alliance-kg serve``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


def public_address(url: str) -> str:
    """``url`` checked as the public address of the site, which every link of its pages starts with: an
    absolute ``http://`` or ``https://`` URL with a host (and a valid port, if any), with no credentials,
    query, fragment, space or control character. Returns it with its scheme in lower case and a final
    ``/``; raises ValueError, with a message naming --base-url, for anything else."""
    problem = _address_problem(url)
    if problem:
        raise ValueError(
            f"--base-url must be an http:// or https:// address with a host, like "
            f"https://kg.example.org/akg/ ({problem}): {url!r}"
        )
    scheme = url.split(":", 1)[0]
    url = scheme.lower() + url[len(scheme) :]
    return url if url.endswith("/") else url + "/"


def _address_problem(url: str) -> str | None:
    if not isinstance(url, str) or not url:
        return "it is empty"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        return "it holds a space, a control character or a backslash"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not url[len(parts.scheme) :].startswith("://"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "no host"
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return "not a valid port"
    if parts.username is not None or parts.password is not None:
        return "credentials do not belong in a public address"
    if "?" in url or "#" in url:
        return "no query or fragment: the site's addresses are added to it"
    return None


@dataclass(frozen=True)
class ServerConfig:
    """What the server serves and its limits.

    ``base_url`` is the public address the site is reached at (``https://example.org/akg/``), used for the
    links of the pages, the redirects and the endpoint's address in the service description; when None,
    each request's own scheme, host and root path are used. It must be an http(s) URL with a host (see
    :func:`public_address`); a final ``/`` is added. The graph's IRIs stay the published ones
    (``https://w3id.org/alliance-kg/…``): a request for ``{base_url}id/vehicle/nissan-micra`` is about
    ``https://w3id.org/alliance-kg/id/vehicle/nissan-micra``.
    """

    data: tuple[Path, ...] = ()
    base_url: str | None = None
    timeout: float = 10.0  # seconds a query may run (parsing, evaluation and serialisation)
    max_results: int = 10_000  # rows of a SELECT, triples of a CONSTRUCT or DESCRIBE
    max_request_bytes: int = 2 * 1024 * 1024  # a POST body, or the query string of a GET
    workers: int = 2  # query worker processes
    require_sandbox: bool = False  # refuse to start when the query workers cannot be sandboxed
    reasoning: bool = True  # add what OWL 2 RL infers, as the named graph …/graph/inferred
    cors: bool = True  # CORS headers, so that browser clients (YASGUI) on other sites can query

    def __post_init__(self) -> None:
        if self.base_url is not None:
            object.__setattr__(self, "base_url", public_address(self.base_url))
        if self.timeout <= 0:
            raise ValueError("the time limit must be positive")
        if self.max_results < 1:
            raise ValueError("the result cap must be at least 1")
        if self.max_request_bytes < 1024:
            raise ValueError("the request size limit must be at least 1024 bytes")
        if self.workers < 1:
            raise ValueError("there must be at least one query worker")
