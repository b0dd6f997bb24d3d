"""alliance-kg: a knowledge graph of the Renault–Nissan–Mitsubishi Alliance's electric-vehicle work at
the Ampere Douai plant, with the tools to query, validate, reason over, export and serve it.

The Python API (:mod:`alliance_kg.api`, re-exported here)::

    import alliance_kg as akg

    store = akg.open_store()                        # pyoxigraph Store: bundled graph (+ your files)
    graph = akg.open_graph("mine.ttl")              # rdflib Graph; reasoned=True for the OWL 2 RL closure
    result = akg.query("list-production")           # a catalogue name, a .rq/.sparql file, or SPARQL
    result.rows(); result.values(); result.to_dataframe()
    akg.validate_shapes(graph).conforms             # a Graph, a path, several paths, or None (bundled)
    akg.serialize("ttl"); akg.closure(); akg.open_layout()

Three functions of :mod:`alliance_kg.api` are re-exported here under other names, because the package's
submodules of the same name (``alliance_kg.validate``, ``alliance_kg.export``, ``alliance_kg.layout``)
occupy those attributes once imported: ``validate_shapes`` is ``api.validate``, ``serialize`` is
``api.export`` and ``open_layout`` is ``api.layout`` (``from alliance_kg.api import validate`` works too).
The names are loaded when first used, so that ``import alliance_kg`` (and the command line) stays fast.
"""

from __future__ import annotations

#: The one definition of the version: pyproject.toml reads it from here (hatch's version source), the
#: CLI's --version, the VoID description and the reasoning cache key import it, and tests/test_fair.py
#: checks the ontology's and the shapes' owl:versionInfo, owl:versionIRI and citation against it.
__version__ = "0.1.0"

#: The public API: the functions and classes of :mod:`alliance_kg.api`, and the exceptions.
__all__ = [
    "AllianceKGError",
    "CheckFailed",
    "DataError",
    "MissingDependency",
    "QueryError",
    "Result",
    "UsageError",
    "__version__",
    "closure",
    "open_dataset",
    "open_graph",
    "open_layout",
    "open_store",
    "query",
    "serialize",
    "validate_shapes",
]

_ERRORS = frozenset({"AllianceKGError", "CheckFailed", "DataError", "QueryError", "UsageError"})
#: Package name → name in :mod:`alliance_kg.api`, where they differ (see above).
_RENAMED = {"validate_shapes": "validate", "serialize": "export", "open_layout": "layout"}

TYPE_CHECKING = False  # importing typing costs every command-line query milliseconds
if TYPE_CHECKING:
    from .api import (
        MissingDependency,
        Result,
        closure,
        open_dataset,
        open_graph,
        open_store,
        query,
    )
    from .api import export as serialize
    from .api import layout as open_layout
    from .api import validate as validate_shapes
    from .errors import AllianceKGError, CheckFailed, DataError, QueryError, UsageError


def __getattr__(name: str) -> object:
    """PEP 562: the API's names, imported on first use (``alliance_kg.query``, ``from alliance_kg import
    query``)."""
    if name in _ERRORS:
        from . import errors

        return getattr(errors, name)
    if name in __all__:
        from . import api

        return getattr(api, _RENAMED.get(name, name))
    raise AttributeError(f"module 'alliance_kg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
