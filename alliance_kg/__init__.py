"""alliance-kg: a knowledge graph of the Renault–Nissan–Mitsubishi Alliance's electric-vehicle work at
the Ampere Douai plant, with the tools to query, validate, reason over, export and serve it."""

from __future__ import annotations

__version__ = "0.1.0"
