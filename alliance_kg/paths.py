"""Where the bundled ontology, graph and queries are.

An installed wheel carries them under ``alliance_kg/_data/`` (see ``pyproject.toml``); a source checkout
or an editable install reads the top-level ``ontology/``, ``graph/`` and ``queries/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder that holds ``ontology/``, ``graph/`` and ``queries/``."""
    bundled = _PACKAGE / "_data"
    if (bundled / "ontology" / "alliance.ttl").is_file():
        return bundled
    checkout = _PACKAGE.parent
    if (checkout / "ontology" / "alliance.ttl").is_file():
        return checkout
    raise FileNotFoundError(
        f"alliance-kg data not found under {bundled} or {checkout}: the installation is incomplete"
    )


def ontology_file() -> Path:
    return data_root() / "ontology" / "alliance.ttl"


def shapes_file() -> Path:
    return data_root() / "ontology" / "shapes.ttl"


def graph_dir() -> Path:
    return data_root() / "graph"


def graph_files() -> list[Path]:
    """The instance data files, in a stable order."""
    return sorted(graph_dir().glob("*.ttl"))


def queries_dir() -> Path:
    return data_root() / "queries"
