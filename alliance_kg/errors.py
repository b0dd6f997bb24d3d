"""The one exception hierarchy of alliance-kg. The CLI turns each into ``error: …`` on stderr and its
exit code, in one place (:func:`alliance_kg.cli.main`)."""

from __future__ import annotations


class AllianceKGError(Exception):
    """Base class: a problem the user can act on. ``exit_code`` is what the CLI exits with."""

    exit_code = 2


class UsageError(AllianceKGError):
    """The command line asks for something that does not exist or does not fit together."""


class DataError(AllianceKGError):
    """A data file cannot be read or parsed. The message names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class QueryError(AllianceKGError):
    """A SPARQL query is malformed, unknown, or cannot be run as asked."""


class CheckFailed(AllianceKGError):
    """Something was checked and found wrong (validation, consistency): exit code 1."""

    exit_code = 1


class StoreError(AllianceKGError):
    """A triple store could not be reached, or refused the request (exit code 3)."""

    exit_code = 3
