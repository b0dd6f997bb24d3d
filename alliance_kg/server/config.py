"""The settings of ``alliance-kg serve``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerConfig:
    """What the server serves and its limits.

    ``base_url`` is the public address the site is reached at (``https://example.org/akg/``), used for the
    links of the pages, the redirects and the endpoint's address in the service description; when None,
    each request's own scheme, host and root path are used. The graph's IRIs stay the published ones
    (``https://w3id.org/alliance-kg/…``): a request for ``{base_url}id/vehicle/nissan-micra`` is about
    ``https://w3id.org/alliance-kg/id/vehicle/nissan-micra``.
    """

    data: tuple[Path, ...] = ()
    base_url: str | None = None
    timeout: float = 10.0  # seconds a query may run (parsing, evaluation and serialisation)
    max_results: int = 10_000  # rows of a SELECT, triples of a CONSTRUCT or DESCRIBE
    max_request_bytes: int = 64 * 1024  # a POST body, or the query string of a GET
    workers: int = 2  # query worker processes
    reasoning: bool = True  # add what OWL 2 RL infers, as the named graph …/graph/inferred
    cors: bool = True  # CORS headers, so that browser clients (YASGUI) on other sites can query

    def __post_init__(self) -> None:
        if self.base_url is not None and not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")
        if self.timeout <= 0:
            raise ValueError("the time limit must be positive")
        if self.max_results < 1:
            raise ValueError("the result cap must be at least 1")
        if self.max_request_bytes < 1024:
            raise ValueError("the request size limit must be at least 1024 bytes")
        if self.workers < 1:
            raise ValueError("there must be at least one query worker")
