"""alliance-kg: a knowledge graph of the Renault–Nissan–Mitsubishi Alliance's electric-vehicle work at
the Ampere Douai plant, with the tools to query, validate, reason over, export and serve it."""

from __future__ import annotations

#: The one definition of the version: pyproject.toml reads it from here (hatch's version source), the
#: CLI's --version, the VoID description and the reasoning cache key import it, and tests/test_fair.py
#: checks the ontology's and the shapes' owl:versionInfo, owl:versionIRI and citation against it.
__version__ = "0.1.0"
