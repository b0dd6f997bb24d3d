"""The ``alliance-kg`` command: a thin layer over the library modules.

Data goes to stdout, messages to stderr. Exit codes: 0 success; 1 checked and found wrong (validation,
inconsistency, a load whose counts do not match); 2 usage or bad input (unknown query, SPARQL
syntax error or a query the gate refuses, malformed data file, missing parameter, output that cannot be
written); 3 a triple store unreachable or refusing; 4 a query stopped at its time limit; 130
interrupted. Heavy modules are imported inside the subcommands that need them, so that a query starts
fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import AllianceKGError, UsageError
from .formatnames import converter as _format_type
from .formatnames import describe as _format_names

TYPE_CHECKING = False  # importing typing costs every command-line query milliseconds
if TYPE_CHECKING:
    from typing import Any, NoReturn

    import pyoxigraph as ox

    from .catalogue import NamedQuery

EXAMPLES = {
    "query": """examples:
  alliance-kg query list-models
  alliance-kg query find-model-platform --param model="Nissan Micra"
  alliance-kg query list-models --format csv > models.csv
  alliance-kg query my-question.sparql --data my-additions.ttl
  echo 'SELECT * WHERE { ?m a akg:VehicleModel }' | alliance-kg query -
  alliance-kg query list-models --help            # the query: title, question, parameters, SPARQL
  alliance-kg query -e 'SELECT ?m WHERE { ?m a akg:VehicleModel }' --iris
  alliance-kg query profile-model --param model=vehicle:alpine-a290 --format turtle
  alliance-kg query -e 'SELECT ?c WHERE { ?c a schema:Car }' --reasoned""",
    "queries": """examples:
  alliance-kg queries
  alliance-kg queries find-model-platform         # its title, question, parameters, SPARQL
  alliance-kg queries --long                      # every query with its question and parameters
  alliance-kg queries --checks""",
    "completion": """examples:
  alliance-kg completion bash > ~/.local/share/bash-completion/completions/alliance-kg
  alliance-kg completion zsh > ~/.zfunc/_alliance-kg        # with fpath+=(~/.zfunc) before compinit
  alliance-kg completion fish > ~/.config/fish/completions/alliance-kg.fish""",
    "pictures": """examples:
  alliance-kg pictures docs/pictures          # class-diagram.svg, production.svg, timeline.svg
  alliance-kg query list-production --format svg > production.svg   # a chart of any SELECT result

The charts are Vega-Lite specifications drawn by vl-convert (pip install 'alliance-kg[pictures]'); the
class diagram is drawn from the ontology. Each file is written whole (a temporary file renamed).""",
    "template": """examples:
  alliance-kg template vehicle > my-additions.ttl     # a fictional vehicle model: edit, then
  alliance-kg validate --data my-additions.ttl
  alliance-kg template figure > my-2025-figure.ttl    # a production figure
  alliance-kg template person > my-new-person.ttl     # a person and a post they hold

Each template is a complete, valid example about an obviously fictional resource (\"Example Car\"), with
the project's prefixes: replace every value marked EDIT, keep the rest.""",
    "describe": """examples:
  alliance-kg describe "Nissan Micra"
  alliance-kg describe vehicle:mitsubishi-eclipse-cross
  alliance-kg describe https://w3id.org/alliance-kg/id/plant/ampere-douai --lang fr""",
    "stats": """examples:
  alliance-kg stats
  alliance-kg template vehicle > my-additions.ttl && alliance-kg stats --data my-additions.ttl""",
    "validate": """examples:
  alliance-kg validate
  alliance-kg validate --data my-new-model.ttl
  alliance-kg validate --data my-2025-figure.ttl --severity warning --format json""",
    "reason": """examples:
  alliance-kg reason --new-only                  # only what OWL 2 RL infers
  alliance-kg reason --format nt -o closure.nt
  alliance-kg reason --data my-additions.ttl     # exit 1 and the resources involved if inconsistent""",
    "export": """examples:
  alliance-kg export --format ttl -o alliance-kg.ttl
  alliance-kg export --format nq -o alliance-kg.nq      # named graphs: ontology, data, sources, provenance…
  alliance-kg export --format jsonld --reasoned > closure.jsonld
  alliance-kg export --void -o void.ttl                 # VoID + DCAT: counts, vocabularies, dumps
  alliance-kg export --release release-0.1/             # every format, gzipped too, SHA256SUMS, void.ttl

--release DIR writes every format (nq, trig, ttl, nt, jsonld, rdf), each also gzipped, SHA256SUMS
(check with: cd DIR && sha256sum -c SHA256SUMS) and void.ttl, a VoID/DCAT description with one
dcat:Distribution per file (download URL, byte size, media type, licence, SHA-256 as an spdx:Checksum).
Download URLs are --base-url followed by the file name (default
https://w3id.org/alliance-kg/release/VERSION/). DIR is written atomically, through a temporary folder
beside it; an existing non-empty DIR is refused (exit 2) unless --force, which replaces a previous
release only, never a folder holding anything else.""",
    "load": """examples:
  alliance-kg load --endpoint http://localhost:7878/store                          # Oxigraph
  ALLIANCE_KG_STORE=dba:dba alliance-kg load --endpoint http://localhost:8890/sparql-graph-crud-auth \\
      --auth digest --auth-env ALLIANCE_KG_STORE                                  # Virtuoso
  alliance-kg load --endpoint http://localhost:3030/ds/data --auth-env FUSEKI_AUTH  # Fuseki
  alliance-kg load --endpoint http://localhost:7200/repositories/akg/rdf-graphs/service  # GraphDB
  alliance-kg load --endpoint http://localhost:7878/store --graph https://example.org/akg --reasoned
  alliance-kg load --endpoint http://localhost:7878/update --protocol update --batch-size 2000

Without --graph, each part goes to its own named graph (…/graph/ontology, …/graph/data, …/graph/vocabularies,
…/graph/sources, …/graph/provenance, …/graph/user, …/graph/inferred). The query and update endpoints follow
from the Graph Store endpoint for Oxigraph (/store), Virtuoso (/sparql-graph-crud-auth), Fuseki (/data) and
GraphDB (/rdf-graphs/service); give them with --query-endpoint and --update-endpoint otherwise.
Exit codes: 0 loaded and verified; 1 the counts read back differ; 2 bad usage; 3 the store is unreachable,
refuses, or does not answer within --timeout / --deadline; 130 interrupted (Ctrl-C: nothing published).""",
    "serve": """examples:
  alliance-kg serve                                     # http://127.0.0.1:8000/ (query page), /sparql
  alliance-kg serve --port 8080 --data my-additions.ttl
  alliance-kg serve --host 0.0.0.0 --base-url https://kg.example.org/akg/   # behind a reverse proxy
  alliance-kg serve --timeout 5 --max-results 1000 --workers 4

Resource IRIs answer at {base}id/…: 303 to {base}doc/….html (or .ttl, .nt, .jsonld, .rdf, by Accept).
The endpoint is read-only: SPARQL Update, LOAD and SERVICE are refused; nothing is ever fetched.""",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 too, but through our one error path
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


class _Unused(argparse.ArgumentParser):
    """Stands in for the subparsers of the commands not being run: building all of argparse's parsers
    costs milliseconds on every call of a command that must start fast. Takes their arguments, keeps
    nothing (argparse's own initialiser is not run: nothing of it is used)."""

    def __init__(self) -> None:
        pass

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return _UNUSED_ACTION

    def add_mutually_exclusive_group(self, **kwargs: Any) -> argparse._MutuallyExclusiveGroup:
        return _UnusedGroup()

    def set_defaults(self, **kwargs: Any) -> None:
        pass


class _UnusedGroup(argparse._MutuallyExclusiveGroup):
    """The mutually exclusive group of an :class:`_Unused` parser: takes arguments, keeps nothing."""

    def __init__(self) -> None:
        pass

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return _UNUSED_ACTION


_UNUSED_ACTION = argparse.Action([], argparse.SUPPRESS)


def _subparser(
    sub: argparse._SubParsersAction[_Parser],
    name: str,
    help_text: str,
    only: str | None = None,
    *,
    add_help: bool = True,
) -> argparse.ArgumentParser:
    if only is not None and name != only:
        return _Unused()
    return sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EXAMPLES.get(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=add_help,
    )


class _QueryHelp(argparse.Action):
    """``query NAME --help``: that query's help (title, question, parameters, SPARQL); without a name (or
    with a file or ``-e``), the options of ``query``."""

    def __init__(
        self, option_strings: list[str], dest: str = argparse.SUPPRESS, help: str | None = None, **_: Any
    ) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        target = getattr(namespace, "target", None)
        if target and target != "-" and not Path(target).is_file():
            from . import catalogue

            try:
                named = catalogue.find(target)
            except AllianceKGError as exc:
                parser.exit(exc.exit_code, f"error: {exc}\n")
            text = query_help(named) + "\nOptions: alliance-kg query --help\n"
            _out().write(text.encode("utf-8"))
            parser.exit(0)
        parser.print_help()
        parser.exit(0)


def _output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE atomically (default: stdout), through a temporary file in its folder renamed "
        "over it: an existing file keeps its mode and owner, a new one gets the umask's mode; a symbolic "
        "link is followed (the file it points to is replaced, the link kept); /dev/stdout and /dev/fd/N are "
        "written directly; a device (/dev/null), FIFO, socket or folder is refused. Output that cannot be "
        "written, to FILE or to stdout, is an error: exit 2",
    )


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FILE",
        type=Path,
        help="add your own RDF file to the bundled graph (repeatable): Turtle, N-Triples, N-Quads, TriG, "
        "RDF/XML, JSON-LD or N3 by extension (.ttl .nt .nq .trig .rdf/.owl/.xml .jsonld/.json .n3; any "
        "other is read as Turtle)",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with ``only`` of just that command."""
    parser = _Parser(
        prog="alliance-kg",
        description=(
            "A knowledge graph of the Renault–Nissan–Mitsubishi Alliance's electric-vehicle work at the "
            "Ampere Douai plant: query it, describe its resources, validate, reason over and export it."
        ),
    )
    parser.add_argument("--version", action="version", version=f"alliance-kg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    q = _subparser(sub, "query", "run a named query, a SPARQL file or inline SPARQL", only, add_help=False)
    q.add_argument(
        "-h", "--help", action=_QueryHelp, help="show this help; after a query name, that query's help"
    )
    q.add_argument(
        "target",
        nargs="?",
        help="a query name (see `alliance-kg queries`), a SPARQL file (any name: a path that exists is "
        "read as a file), or - to read the query from stdin",
    )
    q.add_argument("-e", "--expression", metavar="SPARQL", help="inline SPARQL text")
    q.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind a declared parameter (a resource by IRI, CURIE or label; a literal by value)",
    )
    q.add_argument(
        "--format",
        "-f",
        type=_format_type("query"),
        help="SELECT and ASK: table (default on a terminal), csv (default otherwise), tsv, json, xml, md; "
        "SELECT: svg (a chart of numbers by year, date or category); "
        "CONSTRUCT and DESCRIBE: turtle (default, on a terminal and in a pipe), nt, jsonld, xml (RDF/XML). "
        "Any case; aliases: ttl, ntriples, n-triples, json-ld, rdfxml, markdown",
    )
    q.add_argument("--reasoned", action="store_true", help="query the OWL 2 RL closure (cached)")
    q.add_argument("--lang", default="en", help="label language for tables (default: en)")
    q.add_argument("--iris", action="store_true", help="show IRIs (as CURIEs) instead of labels in tables")
    q.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop a query that runs longer (default: 60; 0 for no limit); exit code 4",
    )
    q.add_argument(
        "--allow-service",
        action="store_true",
        help="let SERVICE clauses fetch from the URLs they name (federation; refused by default)",
    )
    _data_option(q)

    c = _subparser(sub, "queries", "list the named queries, or show one: title, question, parameters", only)
    c.add_argument("name", nargs="?", help="a query's name: show its help (parameters, SPARQL)")
    c.add_argument("--checks", action="store_true", help="list the consistency checks instead")
    c.add_argument("--long", action="store_true", help="every query with its question and parameters")
    c.add_argument("--names", action="store_true", help="only the names, one a line (for scripts)")
    c.add_argument(
        "--param-names", action="store_true", help="every parameter as NAME=, one a line (for completion)"
    )

    d = _subparser(sub, "describe", "everything about one resource, with the source of each fact", only)
    d.add_argument("thing", help='an IRI, a CURIE (vehicle:nissan-micra) or a label ("Nissan Micra")')
    d.add_argument("--lang", default="en", help="label language (default: en)")
    d.add_argument("--reasoned", action="store_true", help="include what OWL 2 RL reasoning infers")
    _data_option(d)

    s = _subparser(sub, "stats", "triples, classes, instances per class, properties, sources", only)
    s.add_argument("--lang", default="en", help="label language (default: en)")
    _data_option(s)

    v = _subparser(sub, "validate", "check the graph (and your additions) against the SHACL shapes", only)
    v.add_argument(
        "--format",
        "-f",
        default="text",
        type=_format_type("validate"),
        help=f"{_format_names('validate')}; any case (default: text)",
    )
    v.add_argument(
        "--severity",
        default="violation",
        choices=["violation", "warning", "info"],
        help="fail on results of this severity or worse (default: violation); all are reported",
    )
    v.add_argument(
        "--reasoned",
        action="store_true",
        help="also check the class memberships OWL 2 RL infers (and fail on contradictions)",
    )
    _data_option(v)

    r = _subparser(sub, "reason", "the OWL 2 RL closure of the ontology and the data", only)
    r.add_argument(
        "--format",
        "-f",
        default="ttl",
        type=_format_type("reason"),
        help=f"{_format_names('reason')}; any case (default: turtle)",
    )
    _output_option(r)
    r.add_argument("--new-only", action="store_true", help="only the inferred triples, not the asserted ones")
    _data_option(r)

    e = _subparser(sub, "export", "write the graph in an RDF format, deterministically", only)
    e.add_argument(
        "--format",
        "-f",
        default="ttl",
        type=_format_type("export"),
        help=f"{_format_names('export')}; any case (default: turtle)",
    )
    _output_option(e)
    e.add_argument("--reasoned", action="store_true", help="export the OWL 2 RL closure")
    e.add_argument(
        "--void",
        action="store_true",
        help="write the dataset description instead (VoID + DCAT: counts, vocabularies, dumps; ttl, nt, "
        "jsonld or xml)",
    )
    e.add_argument(
        "--release",
        type=Path,
        metavar="DIR",
        help="write a citable release into DIR instead: every format, each also gzipped, SHA256SUMS and "
        "void.ttl (VoID/DCAT with a distribution, byte size and SHA-256 per file); see below",
    )
    e.add_argument("--base-url", metavar="URL", help="with --release: where DIR will be published")
    e.add_argument("--force", action="store_true", help="with --release: replace a previous release in DIR")
    _data_option(e)

    ld = _subparser(
        sub, "load", "push the graph into a SPARQL 1.1 triple store, atomically, and verify it", only
    )
    ld.add_argument(
        "--endpoint",
        required=True,
        metavar="URL",
        help="the store's Graph Store Protocol endpoint (or, with --protocol update, its update endpoint)",
    )
    ld.add_argument("--graph", metavar="IRI", help="load everything into this one named graph")
    how = ld.add_mutually_exclusive_group()
    how.add_argument(
        "--replace", dest="mode", action="store_const", const="replace", help="replace the graphs (default)"
    )
    how.add_argument("--append", dest="mode", action="store_const", const="append", help="add to the graphs")
    ld.set_defaults(mode="replace")
    ld.add_argument("--reasoned", action="store_true", help="add what OWL 2 RL infers (…/graph/inferred)")
    ld.add_argument(
        "--protocol",
        default="auto",
        choices=["auto", "graph-store", "update"],
        help="auto (default): Graph Store Protocol into staging graphs, SPARQL Update if the endpoint "
        "lacks it; graph-store: PUT/POST straight into the graphs (no update endpoint needed, not staged); "
        "update: INSERT DATA in batches only",
    )
    ld.add_argument("--query-endpoint", metavar="URL", help="where to count what was loaded")
    ld.add_argument("--update-endpoint", metavar="URL", help="where SPARQL Update goes (staging, MOVE)")
    ld.add_argument("--auth", choices=["basic", "digest", "bearer"], help="authentication (default: basic)")
    ld.add_argument(
        "--auth-env",
        metavar="VAR",
        help="name of the environment variable holding user:password (basic, digest) or the token (bearer)",
    )
    ld.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help="triples per request (default: 10000 with the Graph Store Protocol, 1000 with SPARQL Update)",
    )
    ld.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="retries of a request after a connection error, a timeout or a 5xx answer (default: 4)",
    )
    ld.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="per request: to connect (5 s at most) and for each read of the answer (default: 30)",
    )
    ld.add_argument(
        "--deadline",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="for the whole load, retries included; past it the load stops, exit code 3 (default: 300)",
    )
    _data_option(ld)

    sv = _subparser(
        sub, "serve", "serve the graph as linked data: SPARQL endpoint, dereferenceable IRIs", only
    )
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    sv.add_argument(
        "--base-url",
        metavar="URL",
        help="the public address of the site, for its links: an http:// or https:// URL with a host, "
        "no query or fragment (default: the address each request came to)",
    )
    sv.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per query (default: 10)")
    sv.add_argument(
        "--max-results", type=int, default=10_000, metavar="N", help="rows or triples a query returns at most"
    )
    sv.add_argument(
        "--max-request-bytes", type=int, default=2_097_152, metavar="N", help="largest request taken (2 MiB)"
    )
    sv.add_argument("--workers", type=int, default=2, metavar="N", help="query worker processes (default: 2)")
    sv.add_argument(
        "--require-sandbox",
        action="store_true",
        help="refuse to start when the query workers cannot be denied network access (seccomp, Linux)",
    )
    sv.add_argument(
        "--no-reasoning", action="store_true", help="leave out the OWL 2 RL closure (…/graph/inferred)"
    )
    sv.add_argument("--no-cors", action="store_true", help="send no CORS headers")
    sv.add_argument("--quiet", action="store_true", help="no access log")
    sv.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="proxies whose X-Forwarded-* headers are trusted (default: 127.0.0.1)",
    )
    _data_option(sv)

    co = _subparser(sub, "completion", "print a shell completion script (bash, zsh or fish)", only)
    co.add_argument("shell", choices=["bash", "zsh", "fish"], help="the shell to complete in")

    t = _subparser(sub, "template", "print a starting point for your own data (Turtle, our prefixes)", only)
    t.add_argument("kind", choices=list(TEMPLATES), help="what to describe: " + ", ".join(TEMPLATES))

    pi = _subparser(
        sub, "pictures", "draw the class diagram, the production chart and the timeline as SVG files", only
    )
    pi.add_argument("directory", type=Path, help="the folder to write them to (made if missing)")
    _data_option(pi)
    return parser


#: ``alliance-kg template KIND``: the files under alliance_kg/templates/.
TEMPLATES = {
    "vehicle": "a vehicle model built at Ampere Douai",
    "figure": "a yearly production figure of a plant",
    "person": "a person (name, given and family name)",
}


class _Stdout:
    """Standard output, for the commands' data. A write or flush that fails for any reason but a reader
    that went away (ENOSPC from ``> /dev/full``, EIO, a closed stdout) raises UsageError — ``error: cannot
    write to stdout: …``, exit 2 — after pointing stdout at /dev/null, so that exiting does not fail again.
    BrokenPipeError (``| head``) passes through: :func:`main` ends quietly on it."""

    @staticmethod
    def write(data: bytes) -> int:
        if sys.stdout is None:
            raise UsageError("cannot write to stdout: it is closed")
        try:
            return sys.stdout.buffer.write(data)
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as exc:
            raise _Stdout.failed(exc) from None

    @staticmethod
    def flush() -> None:
        if sys.stdout is None:
            return
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            raise
        except ValueError:  # already closed: nothing is left to write
            pass
        except OSError as exc:
            raise _Stdout.failed(exc) from None

    @staticmethod
    def failed(exc: OSError | ValueError) -> UsageError:
        _Stdout.discard()
        return UsageError(f"cannot write to stdout: {getattr(exc, 'strerror', None) or exc}")

    @staticmethod
    def discard() -> None:
        """Send what is still buffered for stdout, and anything written later, to /dev/null."""
        try:
            fileno = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):
            return  # not a real file (tests capture it): nothing will fail at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fileno)
        os.close(devnull)

    @staticmethod
    def finish(code: int) -> int:
        """Flush stdout at exit: a failure is reported and makes the exit code 2 (unless already an error)."""
        try:
            _Stdout.flush()
        except AllianceKGError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return code or exc.exit_code
        except BrokenPipeError:
            _Stdout.discard()
        return code


def _out() -> _Stdout:
    return _Stdout()


def _emit(data: bytes, output: Path | None) -> None:
    """Write ``data`` to ``output`` (see write_atomically for what -o writes onto), or to stdout."""
    if output:
        from .export import write_atomically

        written = write_atomically(output, data)
        where = output if written == output else f"{output} → {written}"
        print(f"wrote {where} ({len(data)} bytes)", file=sys.stderr)
    else:
        _out().write(data)


def _read_query(args: argparse.Namespace) -> NamedQuery:
    """The query to run: ``-e TEXT``, ``-`` (stdin), a file that exists (any name), or a query's name."""
    from . import catalogue

    if bool(args.target) == bool(args.expression):
        raise UsageError("give a query name, a SPARQL file or - (stdin), or -e 'SPARQL' (one of them)")
    if args.expression is not None:
        return catalogue.parse_query_text(args.expression)
    if args.target == "-":
        if sys.stdin is None:
            raise UsageError("query -: there is no stdin to read the query from")
        if sys.stdin.isatty():
            print("reading the query from stdin (end it with Ctrl-D)…", file=sys.stderr)
        return catalogue.parse_query_text(sys.stdin.read(), Path("<stdin>"))
    path = Path(args.target)
    if path.is_file():
        named = catalogue.parse_query_file(path)
        if named.name == "inline":  # a file not named *.rq (my.sparql): named after its stem
            named.name = path.stem
        return named
    if args.target.endswith((".rq", ".sparql")) or os.sep in args.target:
        raise UsageError(f"query file {path} does not exist")
    return catalogue.find(args.target)


class _SlowClosureNotice:
    """``on_compute`` for the API: says on stderr that the OWL 2 RL closure is being computed, once that
    has taken more than a second (a cached closure says nothing)."""

    def __init__(self) -> None:
        import threading

        self._timers: list[threading.Timer] = []

    def __call__(self) -> None:
        import threading

        timer = threading.Timer(
            1.0,
            lambda: print(
                "computing the OWL 2 RL closure (cached for next time)…", file=sys.stderr, flush=True
            ),
        )
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def __enter__(self) -> _SlowClosureNotice:
        return self

    def __exit__(self, *_: object) -> None:
        for timer in self._timers:
            timer.cancel()


def _open_store(extra: Sequence[Path], reasoned: bool) -> ox.Store:
    """api.open_store, saying on stderr when the OWL 2 RL closure is computed for more than a second."""
    from . import api

    with _SlowClosureNotice() as notice:
        return api.open_store(extra, reasoned=reasoned, on_compute=notice)


def _run_query(args: argparse.Namespace) -> int:
    from . import api, params

    named = _read_query(args)
    if args.timeout < 0:
        raise UsageError("--timeout must be 0 (no limit) or a number of seconds")
    kg = _open_store(args.data, args.reasoned or named.reasoned)
    result = api.query(
        named,
        params.parse_assignments(args.param),
        store=kg,
        timeout=args.timeout or None,
        allow_service=args.allow_service,
    )
    if args.format:
        fmt = args.format
    elif result.form in ("CONSTRUCT", "DESCRIBE"):
        fmt = "turtle"  # a graph: Turtle on a terminal and in a pipe alike
    else:
        fmt = "table" if sys.stdout.isatty() else "csv"
    _out().write(result.serialize(fmt, lang=args.lang, iris=args.iris))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _header_free(text: str) -> str:
    """A query's text without its leading ``# title:``/``# question:``/``# params:``/``# reasoned:`` lines."""
    import re

    lines = text.splitlines()
    while lines and (not lines[0].strip() or re.match(r"#\s*(title|question|params|reasoned)\s*:", lines[0])):
        lines.pop(0)
    return "\n".join(lines).rstrip() + "\n"


def query_help(q: NamedQuery) -> str:
    """One query's help: its name and form, title, question, parameters (type, default), whether it runs
    on the OWL 2 RL closure, and its SPARQL."""
    lines = [f"{q.name}  [{q.form}]", f"  {q.title}"]
    if q.question:
        lines.append(f"  {q.question}")
    lines.append("")
    if q.params:
        lines.append("parameters:")
        width = max(len(p.name) for p in q.params)
        for p in q.params:
            default = f"default {p.default}" if p.default else "required"
            kind = "a literal" if p.is_literal else "a resource: IRI, CURIE or label"
            lines.append(f"  --param {p.name.ljust(width)}=…  {p.type} ({kind}); {default}")
    else:
        lines.append("parameters: none")
    lines.append(
        "reasoned: yes, it runs on the OWL 2 RL closure"
        if q.reasoned
        else "reasoned: no (add --reasoned to run it on the OWL 2 RL closure)"
    )
    lines += ["", "SPARQL:", _header_free(q.text)]
    return "\n".join(lines)


def _run_queries(args: argparse.Namespace) -> int:
    from . import catalogue

    if args.name:
        named = catalogue.find(("checks/" if args.checks and "/" not in args.name else "") + args.name)
        _out().write(query_help(named).encode("utf-8"))
        return 0
    if args.param_names:
        names = sorted({f"{p.name}=" for q in catalogue.catalogue() for p in q.params})
        _out().write("".join(f"{n}\n" for n in names).encode("utf-8"))
        return 0
    queries = [
        (("checks/" if args.checks else "") + q.name, q) for q in catalogue.catalogue(checks=args.checks)
    ]
    lines = []
    if args.names:
        lines = [name for name, _ in queries]
    elif args.long:
        for name, q in queries:
            lines.append(f"{name}  [{q.form}{', reasoned' if q.reasoned else ''}]")
            lines.append(f"    {q.title}")
            if q.question:
                lines.append(f"    {q.question}")
            for p in q.params:
                default = f" (default {p.default})" if p.default else " (required)"
                lines.append(f"    --param {p.name}=…  {p.type}{default}")
    else:
        width = max((len(name) for name, _ in queries), default=0)
        lines = [f"{name.ljust(width)}  {q.title}" for name, q in queries]
    _out().write(("\n".join(lines) + "\n").encode("utf-8"))
    return 0


def _run_describe(args: argparse.Namespace) -> int:
    from . import api, describe

    with _SlowClosureNotice() as notice:
        description = api.describe(
            args.thing, data=args.data, reasoned=args.reasoned, lang=args.lang, on_compute=notice
        )
    _out().write(describe.render(description).encode("utf-8"))
    return 0


def _run_stats(args: argparse.Namespace) -> int:
    from . import api, stats

    _out().write(stats.render(api.stats(data=args.data, lang=args.lang)).encode("utf-8"))
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from . import api

    if args.release is not None:
        return _run_release(args)
    if args.base_url is not None or args.force:
        raise UsageError("--base-url and --force go with --release DIR")
    data = api.export(args.format, data=args.data, reasoned=args.reasoned, void=args.void)
    _emit(data, args.output)
    return 0


def _run_release(args: argparse.Namespace) -> int:
    from .release import write_release

    clashing = [
        o for o, given in (("-o", args.output), ("--void", args.void), ("--reasoned", args.reasoned)) if given
    ]
    if clashing:
        raise UsageError(f"--release writes every format of the asserted dataset: drop {', '.join(clashing)}")
    release = write_release(args.release, base_url=args.base_url, force=args.force, extra=args.data)
    print(
        f"wrote release {release.version} to {release.directory} ({len(release.files)} files, "
        f"{release.total_bytes} bytes); downloads at {release.base_url}",
        file=sys.stderr,
    )
    return 0


def _run_validate(args: argparse.Namespace) -> int:
    from . import api, validate

    report = api.validate(
        None,
        data=args.data,
        reasoned=args.reasoned,
        threshold=args.severity,
        progress=validate.progress_on_stderr,
    )
    if args.format == "turtle":
        assert report.graph is not None  # validate() always gives the SHACL report graph
        _out().write(report.graph.serialize(format="turtle", encoding="utf-8"))
    elif args.format == "json":
        _out().write(validate.render_json(report).encode("utf-8"))
    else:
        _out().write(validate.render_text(report).encode("utf-8"))
    return 0 if report.conforms else 1


def _run_reason(args: argparse.Namespace) -> int:
    from . import api, export

    built = api.layout(args.data, reasoned=True)
    data = export.serialize_triples(built.inferred if args.new_only else built.closure(), args.format)
    print(
        f"{len(built.default_graph())} asserted triples, {len(built.inferred)} inferred by OWL 2 RL",
        file=sys.stderr,
    )
    _emit(data, args.output)
    return 0


def _run_completion(args: argparse.Namespace) -> int:
    """A static completion script made by shtab from the parser: subcommands, options, their choices; query
    names and parameter names come from ``alliance-kg queries --names`` and ``--param-names``."""
    import shtab

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in sub.choices.values():
        for action in command._actions:
            if action.dest == "data" or (action.dest == "output" and action.option_strings):
                action.complete = shtab.FILE
    query = sub.choices["query"]
    for action in query._actions:
        if action.dest == "target":
            action.complete = shtab.cmd("alliance-kg queries --names 2>/dev/null")
        elif action.dest == "param":
            action.complete = shtab.cmd("alliance-kg queries --param-names 2>/dev/null")
    for action in sub.choices["queries"]._actions:
        if action.dest == "name":
            action.complete = shtab.cmd("alliance-kg queries --names 2>/dev/null")
    script = shtab.complete(parser, shell=args.shell)
    _out().write((script if script.endswith("\n") else script + "\n").encode("utf-8"))
    return 0


def _run_template(args: argparse.Namespace) -> int:
    """A Turtle starting point for the user's own data: a valid example about a fictional resource."""
    from importlib import resources

    text = resources.files("alliance_kg").joinpath("templates", f"{args.kind}.ttl").read_bytes()
    _out().write(text)
    return 0


def _run_pictures(args: argparse.Namespace) -> int:
    from . import api
    from .pictures import write_pictures

    try:
        written = write_pictures(args.directory, store=api.open_store(args.data))
    except OSError as exc:  # a file where the folder should be, a read-only or full filesystem
        raise UsageError(f"cannot write the pictures to {args.directory}: {exc.strerror or exc}") from None
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _run_load(args: argparse.Namespace) -> int:
    from . import load

    try:
        report = load.load(
            args.endpoint,
            graph=args.graph,
            mode=args.mode,
            reasoned=args.reasoned,
            extra=args.data,
            protocol=args.protocol,
            query_endpoint=args.query_endpoint,
            update_endpoint=args.update_endpoint,
            auth=args.auth,
            auth_env=args.auth_env,
            batch_size=args.batch_size,
            retries=args.retries,
            timeout=args.timeout,
            deadline=args.deadline,
            progress=load.progress_on_stderr,
        )
    except load.Interrupted as exc:  # Ctrl-C: at once, and what the store holds
        print(f"interrupted: {exc}", file=sys.stderr)
        return 130
    print(load.render(report), file=sys.stderr)
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from .server.config import ServerConfig
    from .server.run import serve

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    try:
        config = ServerConfig(
            data=tuple(args.data),
            base_url=args.base_url,
            timeout=args.timeout,
            max_results=args.max_results,
            max_request_bytes=args.max_request_bytes,
            workers=args.workers,
            require_sandbox=args.require_sandbox,
            reasoning=not args.no_reasoning,
            cors=not args.no_cors,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return serve(
        config,
        host=args.host,
        port=args.port,
        access_log=not args.quiet,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )


COMMANDS = {
    "validate": _run_validate,
    "reason": _run_reason,
    "query": _run_query,
    "queries": _run_queries,
    "describe": _run_describe,
    "stats": _run_stats,
    "export": _run_export,
    "load": _run_load,
    "serve": _run_serve,
    "completion": _run_completion,
    "template": _run_template,
    "pictures": _run_pictures,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help(sys.stderr)
            return 2
        if sys.stdout is None and args.command not in ("load", "serve") and not getattr(args, "output", None):
            raise UsageError("cannot write to stdout: it is closed")  # started with >&-
        code = COMMANDS[args.command](args)
        _Stdout.flush()  # a stdout that cannot take the data is an error (UsageError), not a traceback
        return code
    except AllianceKGError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        _Stdout.discard()
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


#: Read-only commands whose process may end without the interpreter's teardown (pyoxigraph's store,
#: module finalisers): about 8 ms of every query.
_FAST_EXIT = frozenset({"query", "queries", "describe", "stats", "export", "completion", "template"})


def run() -> None:
    """The console script ``alliance-kg``: :func:`main`, then flush stdout (a failure there is ``error: …``
    and exit 2 too), then exit."""
    try:
        code = main()
    except SystemExit as exc:  # argparse's --help and --version: their text may still be buffered
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    code = _Stdout.finish(code)
    from contextlib import suppress

    with suppress(OSError, ValueError, AttributeError):  # a stderr that fails: nowhere left to say so
        sys.stderr.flush()
    if len(sys.argv) > 1 and sys.argv[1] in _FAST_EXIT:
        os._exit(code)
    sys.exit(code)
