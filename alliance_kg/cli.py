"""The ``alliance-kg`` command: a thin layer over the library modules.

Data goes to stdout, messages to stderr. Exit codes: 0 success; 1 checked and found wrong (validation);
2 usage or bad input (unknown query, SPARQL syntax error, malformed data file, missing parameter);
130 interrupted. Heavy modules are imported inside the subcommands that need them, so that a query
starts fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import AllianceKGError, UsageError

EXAMPLES = {
    "query": """examples:
  alliance-kg query list-models
  alliance-kg query find-model-platform --param model="Nissan Micra"
  alliance-kg query list-models --format csv > models.csv
  alliance-kg query my-question.rq --data my-additions.ttl
  alliance-kg query -e 'SELECT ?m WHERE { ?m a akg:VehicleModel }' --iris
  alliance-kg query profile-model --param model=vehicle:alpine-a290 --format turtle
  alliance-kg query -e 'SELECT ?c WHERE { ?c a schema:Car }' --reasoned""",
    "queries": """examples:
  alliance-kg queries
  alliance-kg queries --checks""",
    "describe": """examples:
  alliance-kg describe "Nissan Micra"
  alliance-kg describe vehicle:mitsubishi-eclipse-cross
  alliance-kg describe https://w3id.org/alliance-kg/id/plant/ampere-douai --lang fr""",
    "stats": """examples:
  alliance-kg stats
  alliance-kg stats --data my-additions.ttl""",
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
  alliance-kg export --format jsonld --reasoned > closure.jsonld""",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too, but through our one error path
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


def _subparser(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=EXAMPLES.get(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FILE",
        type=Path,
        help="add your own Turtle file to the bundled graph (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alliance-kg",
        description=(
            "A knowledge graph of the Renault–Nissan–Mitsubishi Alliance's electric-vehicle work at the "
            "Ampere Douai plant: query it, describe its resources, validate, reason over and export it."
        ),
    )
    parser.add_argument("--version", action="version", version=f"alliance-kg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    q = _subparser(sub, "query", "run a named query, a .rq file or inline SPARQL")
    q.add_argument("target", nargs="?", help="a query name (see `alliance-kg queries`) or a .rq file")
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
        help="table (default on a terminal), csv (default otherwise), tsv, json, "
        "xml, md; for CONSTRUCT: turtle (default), nt, jsonld",
    )
    q.add_argument("--reasoned", action="store_true", help="query the OWL 2 RL closure (cached)")
    q.add_argument("--lang", default="en", help="label language for tables (default: en)")
    q.add_argument("--iris", action="store_true", help="show IRIs (as CURIEs) instead of labels in tables")
    _data_option(q)

    c = _subparser(sub, "queries", "list the named queries: names, titles, questions, parameters")
    c.add_argument("--checks", action="store_true", help="list the consistency checks instead")

    d = _subparser(sub, "describe", "everything about one resource, with the source of each fact")
    d.add_argument("thing", help='an IRI, a CURIE (vehicle:nissan-micra) or a label ("Nissan Micra")')
    d.add_argument("--lang", default="en", help="label language (default: en)")
    d.add_argument("--reasoned", action="store_true", help="include what OWL 2 RL reasoning infers")
    _data_option(d)

    s = _subparser(sub, "stats", "triples, classes, instances per class, properties, sources")
    s.add_argument("--lang", default="en", help="label language (default: en)")
    _data_option(s)

    v = _subparser(sub, "validate", "check the graph (and your additions) against the SHACL shapes")
    v.add_argument("--format", "-f", default="text", choices=["text", "turtle", "json"])
    v.add_argument(
        "--severity",
        default="violation",
        choices=["violation", "warning", "info"],
        help="fail on results of this severity or worse (default: violation); all are reported",
    )
    v.add_argument("--reasoned", action="store_true",
                   help="also check the class memberships OWL 2 RL infers (and fail on contradictions)")
    _data_option(v)

    r = _subparser(sub, "reason", "the OWL 2 RL closure of the ontology and the data")
    r.add_argument("--format", "-f", default="ttl", choices=["ttl", "nt", "jsonld", "xml"])
    r.add_argument("-o", "--output", type=Path, help="write to FILE atomically (default: stdout)")
    r.add_argument("--new-only", action="store_true", help="only the inferred triples, not the asserted ones")
    _data_option(r)

    e = _subparser(sub, "export", "write the graph in an RDF format, deterministically")
    e.add_argument("--format", "-f", default="ttl", choices=["ttl", "nt", "nq", "trig", "jsonld", "xml"])
    e.add_argument("-o", "--output", type=Path, help="write to FILE atomically (default: stdout)")
    e.add_argument("--reasoned", action="store_true", help="export the OWL 2 RL closure")
    _data_option(e)
    return parser


def _out() -> object:
    return sys.stdout.buffer


def _emit(data: bytes, output: Path | None) -> None:
    """Write ``data`` to ``output`` atomically, or to stdout."""
    if output:
        from .export import write_atomically

        write_atomically(output, data)
        print(f"wrote {output} ({len(data)} bytes)", file=sys.stderr)
    else:
        _out().write(data)


def _run_query(args: argparse.Namespace) -> int:
    from . import catalogue, formats, params, store

    if bool(args.target) == bool(args.expression):
        raise UsageError("give a query name or a .rq file, or -e 'SPARQL' (one of them)")
    if args.expression is not None:
        named = catalogue.NamedQuery("inline", Path("<inline>"), args.expression, "inline", "")
        named = _with_header(named)
    elif args.target.endswith(".rq") or os.sep in args.target:
        path = Path(args.target)
        if not path.is_file():
            raise UsageError(f"query file {path} does not exist")
        named = catalogue.parse_query_file(path)
    else:
        named = catalogue.find(args.target)
    kg = store.open_store(extra=args.data, reasoned=args.reasoned or named.reasoned)
    bindings = params.bind(named, params.parse_assignments(args.param), kg)
    result = store.run_query(kg, named.text, bindings)
    fmt = args.format or ("table" if sys.stdout.isatty() else "csv")
    formats.write_result(result, _out(), fmt, kg, lang=args.lang, iris=args.iris)
    return 0


def _with_header(named):
    import tempfile

    from . import catalogue

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inline.rq"
        path.write_text(named.text, encoding="utf-8")
        parsed = catalogue.parse_query_file(path)
    return catalogue.NamedQuery(
        "inline", Path("<inline>"), named.text, "inline", "", parsed.params, parsed.reasoned
    )


def _run_queries(args: argparse.Namespace) -> int:
    from . import catalogue

    lines = []
    for q in catalogue.catalogue(checks=args.checks):
        name = ("checks/" if args.checks else "") + q.name
        lines.append(f"{name}  [{q.form}{', reasoned' if q.reasoned else ''}]")
        lines.append(f"    {q.title}")
        if q.question:
            lines.append(f"    {q.question}")
        for p in q.params:
            default = f" (default {p.default})" if p.default else " (required)"
            lines.append(f"    --param {p.name}=…  {p.type}{default}")
    _out().write(("\n".join(lines) + "\n").encode("utf-8"))
    return 0


def _run_describe(args: argparse.Namespace) -> int:
    from . import describe, store

    kg = store.open_store(extra=args.data, reasoned=args.reasoned)
    _out().write(describe.render(describe.describe(kg, args.thing, args.lang)).encode("utf-8"))
    return 0


def _run_stats(args: argparse.Namespace) -> int:
    from . import stats, store

    kg = store.open_store(extra=args.data)
    _out().write(stats.render(stats.compute(kg, args.lang)).encode("utf-8"))
    return 0


def _run_export(args: argparse.Namespace) -> int:
    from . import export

    if args.format in export.QUAD_FORMATS:
        from .graph import load_dataset

        dataset = load_dataset(extra=args.data)
        if args.reasoned:
            from rdflib import URIRef

            from .namespaces import GRAPH
            from .reasoning import closure

            asserted = set(dataset.triples((None, None, None)))
            inferred = dataset.graph(URIRef(GRAPH + "inferred"))
            for triple in closure(args.data):
                if triple not in asserted:
                    inferred.add(triple)
        data = export.serialize_dataset(dataset, args.format)
    else:
        if args.reasoned:
            from .reasoning import closure

            graph = closure(args.data)
        else:
            from .graph import load_graph

            graph = load_graph(extra=args.data)
        data = export.serialize_graph(graph, args.format)
    _emit(data, args.output)
    return 0


def _run_validate(args: argparse.Namespace) -> int:
    from . import validate

    report = validate.validate(
        args.data, reasoned=args.reasoned, threshold=args.severity, progress=validate.progress_on_stderr
    )
    if args.format == "turtle":
        _out().write(report.graph.serialize(format="turtle", encoding="utf-8"))
    elif args.format == "json":
        _out().write(validate.render_json(report).encode("utf-8"))
    else:
        _out().write(validate.render_text(report).encode("utf-8"))
    return 0 if report.conforms else 1


def _run_reason(args: argparse.Namespace) -> int:
    from . import export
    from .graph import load_graph
    from .reasoning import closure

    full = closure(args.data)
    asserted = load_graph(extra=args.data)
    inferred = [t for t in full if t not in asserted]
    if args.new_only:
        from rdflib import Graph

        out = Graph()
        for triple in inferred:
            out.add(triple)
    else:
        out = full
    data = export.serialize_graph(out, args.format)
    print(f"{len(asserted)} asserted triples, {len(inferred)} inferred by OWL 2 RL", file=sys.stderr)
    _emit(data, args.output)
    return 0


COMMANDS = {
    "validate": _run_validate,
    "reason": _run_reason,
    "query": _run_query,
    "queries": _run_queries,
    "describe": _run_describe,
    "stats": _run_stats,
    "export": _run_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help(sys.stderr)
            return 2
        code = COMMANDS[args.command](args)
        sys.stdout.flush()
        return code
    except AllianceKGError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
