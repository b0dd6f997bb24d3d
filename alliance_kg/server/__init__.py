"""``alliance-kg serve``: the graph as a read-only linked-data site — a SPARQL 1.1 Protocol endpoint,
dereferenceable IRIs (HTML pages and RDF descriptions), the ontology's documentation and the dataset's
VoID description — from one process and its query workers. See ``docs/serving.md``."""

from __future__ import annotations

from .app import create_app
from .config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
