"""The catalogue of named queries in ``queries/``: each file's header (title, question, parameters).

A query file opens with comment lines::

    # title: Models built at a plant
    # question: Which vehicle models does a plant build, for which brands and clients?
    # params: plant: akg:Plant = plant:ampere-douai, year: xsd:gYear = 2024

``# params: none`` when there are none. A parameter's type is a class CURIE (the parameter is a
resource, given as an IRI, a CURIE or a label) or an XSD datatype CURIE (a typed literal). Checks that
must return no rows live in ``queries/checks/`` and are named ``*-violation.rq``.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import paths
from .errors import QueryError, UsageError
from .namespaces import PREFIXES, XSD

_HEADER = re.compile(r"^#\s*(title|question|params|reasoned)\s*:\s*(.*?)\s*$")
_PARAM = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<type>[A-Za-z][\w-]*:[\w-]*)"
    r"\s*(?:=\s*(?P<default>.+?))?\s*$"
)


def expand_curie(curie: str) -> str:
    from .namespaces import expand

    return expand(curie)


class Param:
    """A declared parameter: its name (the SPARQL variable), its type (a CURIE) and its default."""

    __slots__ = ("default", "name", "type")

    def __init__(self, name: str, type: str, default: str | None = None) -> None:
        self.name = name
        self.type = type
        self.default = default

    def __repr__(self) -> str:
        return f"Param({self.name!r}, {self.type!r}, {self.default!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Param) and (self.name, self.type, self.default) == (
            other.name,
            other.type,
            other.default,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.type, self.default))

    @property
    def type_iri(self) -> str:
        return expand_curie(self.type)

    @property
    def is_literal(self) -> bool:
        return self.type_iri.startswith(XSD)


class NamedQuery:
    """A query and its header. (Plain classes, not dataclasses: importing dataclasses costs a query
    started from the command line several milliseconds.)"""

    __slots__ = ("name", "params", "path", "question", "reasoned", "text", "title")

    def __init__(
        self,
        name: str,
        path: Path,
        text: str,
        title: str,
        question: str,
        params: tuple[Param, ...] = (),
        reasoned: bool = False,
    ) -> None:
        self.name = name
        self.path = path
        self.text = text
        self.title = title
        self.question = question
        self.params = tuple(params)
        self.reasoned = reasoned

    def __repr__(self) -> str:
        return f"NamedQuery({self.name!r}, params={self.params!r}, reasoned={self.reasoned})"

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE, as the query gate reads it (its first keyword after the
        prologue, on real SPARQL tokens); SELECT for a text the gate refuses (the engine then says why)."""
        from .gate import check

        try:
            return check(self.text, allow_service=True, prefixes=PREFIXES).form
        except QueryError:
            return "SELECT"


def parse_query_file(path: Path) -> NamedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot read query file: {exc}") from None
    return parse_query_text(text, path)


def header_fields(text: str, pattern: re.Pattern[str] = _HEADER) -> dict[str, str]:
    """The ``# name: value`` lines of a query's leading comments whose name ``pattern`` (group 1; the value
    group 2) accepts: the header of :func:`parse_query_text`, or the ``# validate:`` … lines of a check."""
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = pattern.match(line)
        if match:
            header[match[1]] = match[2]
    return header


def parse_query_text(text: str, path: Path = Path("<inline>")) -> NamedQuery:
    """A query and the header of its leading comment lines; ``path`` names it in messages."""
    header = header_fields(text)
    params: list[Param] = []
    spec = header.get("params", "none")
    if spec.strip().lower() not in {"", "none"}:
        for part in spec.split(","):
            match = _PARAM.match(part)
            if not match:
                raise QueryError(
                    f"{path}: malformed '# params:' entry {part.strip()!r} (expected NAME: TYPE [= DEFAULT])"
                )
            param = Param(match["name"], match["type"], match["default"])
            try:
                param.type_iri  # noqa: B018 - validate the prefix
            except KeyError as exc:
                raise QueryError(
                    f"{path}: unknown prefix {exc.args[0]!r} in parameter {param.name}"
                ) from None
            params.append(param)
    return NamedQuery(
        name=path.stem if path.suffix == ".rq" else "inline",
        path=path,
        text=text,
        title=header.get("title", path.stem),
        question=header.get("question", ""),
        params=tuple(params),
        reasoned=header.get("reasoned", "no").lower() in {"yes", "true"},
    )


def query_files(checks: bool = False) -> list[Path]:
    folder = paths.queries_dir() / "checks" if checks else paths.queries_dir()
    return sorted(folder.glob("*.rq"))


def catalogue(checks: bool = False) -> list[NamedQuery]:
    return [parse_query_file(p) for p in query_files(checks)]


def find(name: str) -> NamedQuery:
    """A named query by name (``list-models``); checks as ``checks/<name>``. Unknown names raise a
    :class:`UsageError` that suggests the closest names."""
    wanted = name.removesuffix(".rq")
    checks = wanted.startswith("checks/")
    stem = wanted.removeprefix("checks/")
    for path in query_files(checks):
        if path.stem == stem:
            return parse_query_file(path)
    import difflib

    known = [p.stem for p in query_files()] + ["checks/" + p.stem for p in query_files(True)]
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `alliance-kg queries` lists them"
    raise UsageError(f"no query named {name!r}{hint}")
