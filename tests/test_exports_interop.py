"""Every export parses, without a warning, in independent parsers, with our triple count: Raptor's `rapper`
(Turtle, N-Triples, RDF/XML, TriG, N-Quads), `serdi` (Turtle, N-Triples) and Apache Jena's RIOT (all six
formats). The quad formats hold the named graphs the docs name. The JSON-LD context (graph/context.jsonld)
makes the JSON-LD plain JSON, and the compacted document expands back to the same graph. The dataset
description (`export --void`) counts what the graph holds.

Jena's JSON-LD: Debian's Jena 4.5 reads JSON-LD 1.1 with titanium-json-ld, which needs a Jakarta JSON
provider that Debian does not package (every JSON-LD file fails with LOADING_DOCUMENT_FAILED); its JSON-LD 1.0
reader (jsonld-java) works once httpclient-cache.jar is on the classpath, so the tests use
`--syntax=jsonld10` with that jar added to the project's classpath.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import IN_CI, ROOT, require_program
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from alliance_kg import __version__, export, paths, void
from alliance_kg.cli import main
from alliance_kg.graph import load_dataset, load_graph
from alliance_kg.layout import Layout, build
from alliance_kg.namespaces import AKG, GRAPH, ID, PREFIXES, XSD

FORMATS = ["ttl", "nt", "nq", "trig", "jsonld", "xml"]
QUADS = {"nq", "trig"}
RAPPER = {"ttl": "turtle", "nt": "ntriples", "xml": "rdfxml", "trig": "trig", "nq": "nquads"}
SERDI = {"ttl": "turtle", "nt": "ntriples"}
JENA_JARS = Path("/usr/share/java")
NAMED_GRAPHS = {GRAPH + g for g in ("ontology", "data", "vocabularies", "sources", "provenance")}
CONTEXT = ROOT / "graph" / "context.jsonld"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"


def _require_file(path: Path, why: str) -> None:
    if path.is_file():
        return
    if IN_CI:
        pytest.fail(f"{path} is missing ({why}); CI must install it (scripts/setup-peers)")
    pytest.skip(f"{path} is missing ({why})")


@pytest.fixture(scope="module")
def asserted() -> Graph:
    return load_graph()


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every format as `alliance-kg export` writes it."""
    folder = tmp_path_factory.mktemp("exports")
    files = {}
    for fmt in FORMATS:
        files[fmt] = folder / f"alliance-kg.{fmt}"
        assert main(["export", "--format", fmt, "-o", str(files[fmt])]) == 0
    return files


@pytest.fixture(scope="module")
def compacted(asserted: Graph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The graph compacted with graph/context.jsonld (the context inlined: no remote fetch)."""
    context = json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]
    path = tmp_path_factory.mktemp("jsonld") / "compacted.jsonld"
    path.write_bytes(asserted.serialize(format="json-ld", context=context, encoding="utf-8"))
    return path


@pytest.fixture(scope="module")
def description(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("void") / "void.ttl"
    assert main(["export", "--void", "-o", str(path)]) == 0
    return path


def jena_classpath() -> str:
    require_program("java", "Apache Jena runs on the JVM")
    _require_file(JENA_JARS / "jena-core.jar", "Apache Jena, Debian libapache-jena-java")
    run = subprocess.run(
        ["bash", str(ROOT / "scripts" / "jena-classpath")], capture_output=True, text=True, check=True
    )
    return run.stdout.strip()


def riot(classpath: str, files: list[Path], *extra: str) -> dict[str, int]:
    """Validate and count ``files`` with one RIOT run; fail on any warning or error."""
    java = require_program("java", "Apache Jena runs on the JVM")
    run = subprocess.run(
        [java, "-cp", classpath, "riotcmd.riot", "--validate", "--count", *extra, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    output = run.stdout + run.stderr
    problems = [line for line in output.splitlines() if re.search(r"\b(WARN|ERROR)\b", line)]
    assert run.returncode == 0 and not problems, output
    counts = {}
    for match in re.finditer(r"file://\S*/([^/\s]+) : (?:Triples|Quads) = ([\d,]+)", output):
        counts[match[1]] = int(match[2].replace(",", ""))
    assert len(counts) == len(files), output
    return counts


# --- the six exports in the independent parsers -------------------------------------------------------------


def count_problems(dataset: Dataset, merged: Graph, layout: Layout) -> list[str]:
    """How the two loaders (the rdflib dataset of named graphs, and the one merged rdflib graph) differ
    from the layout of named graphs that every export is written from: per graph, and in all."""
    problems = []
    sizes = {str(g.identifier): len(g) for g in dataset.graphs() if len(g)}
    if sizes != layout.sizes():
        problems.append(f"the dataset's graphs hold {sizes}, the layout's {layout.sizes()}")
    expected = len(layout.default_graph())
    if not expected:
        problems.append("the layout is empty")
    for name, count in (("the dataset", sum(sizes.values())), ("the merged graph", len(merged))):
        if count != expected:
            problems.append(f"{name} has {count} triples, the layout's default graph {expected}")
    return problems


def test_our_counts(asserted: Graph) -> None:
    assert count_problems(load_dataset(), asserted, build()) == []


def test_the_count_check_would_catch_a_loader_that_drops_a_file(asserted: Graph) -> None:
    layout = build()
    without_data = load_graph(data=False)  # the ontology alone: a loader that skipped graph/
    assert count_problems(load_dataset(), without_data, layout) == [
        f"the merged graph has {len(without_data)} triples, the layout's default graph "
        f"{len(layout.default_graph())}"
    ]
    assert count_problems(Dataset(), Graph(), Layout(graphs={})) == ["the layout is empty"]
    assert count_problems(Dataset(), asserted, layout)[0].startswith("the dataset's graphs hold {}")


@pytest.mark.parametrize("fmt", sorted(RAPPER))
def test_rapper_parses_without_warnings(exports: dict[str, Path], asserted: Graph, fmt: str) -> None:
    rapper = require_program("rapper", "Raptor (raptor2-utils) is a consumer's RDF parser")
    run = subprocess.run(
        [rapper, "-i", RAPPER[fmt], "-c", str(exports[fmt])], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert not re.search(r"warning|error", run.stderr, re.I), run.stderr
    match = re.search(r"Parsing returned (\d+) (?:triples|statements)", run.stderr)
    assert match and int(match[1]) == len(asserted), run.stderr


@pytest.mark.parametrize("fmt", sorted(SERDI))
def test_serdi_parses_without_warnings(exports: dict[str, Path], asserted: Graph, fmt: str) -> None:
    serdi = require_program("serdi", "Serd's strict Turtle and N-Triples parser")
    run = subprocess.run(
        [serdi, "-i", SERDI[fmt], "-o", "ntriples", str(exports[fmt])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and not run.stderr.strip(), run.stderr
    assert sum(1 for line in run.stdout.splitlines() if line.strip()) == len(asserted)


@pytest.mark.slow  # starts a JVM
def test_jena_riot_validates_every_format(
    exports: dict[str, Path], asserted: Graph, compacted: Path, description: Path
) -> None:
    classpath = jena_classpath()
    files = [exports[f] for f in FORMATS if f != "jsonld"] + [description]
    counts = riot(classpath, files)
    for fmt in FORMATS:
        if fmt != "jsonld":
            assert counts[exports[fmt].name] == len(asserted), (fmt, counts)
    assert counts[description.name] == len(Graph().parse(description, format="turtle"))
    cache_jar = JENA_JARS / "httpclient-cache.jar"
    _require_file(cache_jar, "Jena's JSON-LD 1.0 reader needs it (Debian libhttpclient-java)")
    counts = riot(f"{classpath}:{cache_jar}", [exports["jsonld"], compacted], "--syntax=jsonld10")
    assert counts == {exports["jsonld"].name: len(asserted), compacted.name: len(asserted)}


def test_pyoxigraph_reads_every_format(exports: dict[str, Path], asserted: Graph) -> None:
    """A fourth parser (Oxigraph's, in Rust), for the count of every format, JSON-LD included."""
    formats = {
        "ttl": ox.RdfFormat.TURTLE,
        "nt": ox.RdfFormat.N_TRIPLES,
        "nq": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
        "jsonld": ox.RdfFormat.JSON_LD,
        "xml": ox.RdfFormat.RDF_XML,
    }
    for fmt, rdf_format in formats.items():
        quads = list(ox.parse(path=str(exports[fmt]), format=rdf_format))
        assert len(set(quads)) == len(asserted), fmt


# --- named graphs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(QUADS))
def test_quad_formats_hold_the_documented_named_graphs(exports: dict[str, Path], fmt: str) -> None:
    rdf_format = ox.RdfFormat.N_QUADS if fmt == "nq" else ox.RdfFormat.TRIG
    by_graph: dict[str, set[ox.Triple]] = {}
    for quad in ox.parse(path=str(exports[fmt]), format=rdf_format):
        assert isinstance(quad.graph_name, ox.NamedNode), f"a triple in the default graph: {quad}"
        by_graph.setdefault(quad.graph_name.value, set()).add(quad.triple)
    assert set(by_graph) == NAMED_GRAPHS
    # Each graph holds exactly its files: the ontology, concepts.ttl, sources.ttl, provenance.ttl, the rest.
    expected = {str(g.identifier): g for g in load_dataset().graphs() if len(g)}
    for graph, triples in by_graph.items():
        theirs = Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        assert isomorphic(theirs, expected[graph]), graph
    docs = (ROOT / "docs" / "triple-stores.md").read_text(encoding="utf-8")
    for graph in [*NAMED_GRAPHS, GRAPH + "inferred", GRAPH + "user"]:
        assert graph in docs, f"docs/triple-stores.md does not name the graph {graph}"


def test_reasoned_quads_put_only_inferred_triples_in_the_inferred_graph(tmp_path: Path) -> None:
    path = tmp_path / "reasoned.nq"
    assert main(["export", "--format", "nq", "--reasoned", "-o", str(path)]) == 0
    asserted = {
        q.triple
        for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
        if q.graph_name.value != GRAPH + "inferred"
    }
    inferred = [
        q.triple
        for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
        if q.graph_name.value == GRAPH + "inferred"
    ]
    assert inferred and not any(t in asserted for t in inferred)


# --- reasoned exports ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reasoned_exports(reasoned: Graph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reasoned")
    files = {}
    for fmt in ("ttl", "nt", "xml", "jsonld"):
        files[fmt] = folder / f"closure.{fmt}"
        files[fmt].write_bytes(export.serialize_graph(reasoned, fmt))
    return files


@pytest.mark.slow  # starts a JVM
def test_reasoned_exports_parse_in_jena_and_raptor(
    reasoned_exports: dict[str, Path], reasoned: Graph
) -> None:
    counts = riot(jena_classpath(), [reasoned_exports[f] for f in ("ttl", "nt", "xml")])
    assert set(counts.values()) == {len(reasoned)}, counts
    rapper = require_program("rapper", "Raptor (raptor2-utils) is a consumer's RDF parser")
    for fmt in ("ttl", "nt", "xml"):
        run = subprocess.run(
            [rapper, "-i", RAPPER[fmt], "-c", str(reasoned_exports[fmt])], capture_output=True, text=True
        )
        assert run.returncode == 0 and not re.search(r"warning|error", run.stderr, re.I), run.stderr
        assert f"returned {len(reasoned)} triples" in run.stderr, run.stderr


def test_reasoned_jsonld_keeps_every_triple(reasoned_exports: dict[str, Path], reasoned: Graph) -> None:
    quads = list(ox.parse(path=str(reasoned_exports["jsonld"]), format=ox.RdfFormat.JSON_LD))
    assert len(quads) == len(reasoned)


# --- the JSON-LD context ------------------------------------------------------------------------------------


def _context() -> dict:
    return json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]


def _expand(term: str, context: dict) -> str:
    prefix, sep, local = term.partition(":")
    return context[prefix] + local if sep and prefix in context and isinstance(context[prefix], str) else term


def test_context_is_shipped_beside_the_graph_but_not_read_as_data() -> None:
    assert CONTEXT.is_file()
    assert CONTEXT.name not in {p.name for p in paths.graph_files()}
    assert (paths.graph_dir() / "context.jsonld").is_file()


def test_context_has_a_plain_term_for_every_ontology_property(asserted: Graph) -> None:
    context = _context()
    assert context["id"] == "@id" and context["type"] == "@type"
    for prefix, namespace in PREFIXES.items():
        if prefix in context:
            assert context[prefix] == namespace, prefix
    terms = {
        _expand(entry["@id"], context): (name, entry)
        for name, entry in context.items()
        if isinstance(entry, dict)
    }
    used = {str(p) for p in asserted.predicates() if str(p).startswith(AKG)}
    missing = sorted(p for p in used if p not in terms)
    assert not missing, f"graph/context.jsonld has no term for {missing}"
    for prop, (name, entry) in terms.items():
        if prop.startswith(AKG):
            assert name == prop[len(AKG) :], f"{name}: the term of an akg: property is its local name"
        objects = list(asserted.objects(None, URIRef(prop)))
        coercion = entry.get("@type")
        if coercion == "@id":
            assert all(isinstance(o, URIRef) for o in objects), f"{name}: @id, but literal values"
        elif coercion:
            datatype = _expand(coercion, context)
            assert all(isinstance(o, Literal) and str(o.datatype) == datatype for o in objects), name
        if entry.get("@container") == "@language":
            assert all(isinstance(o, Literal) and o.language for o in objects), name


def test_compacted_jsonld_is_plain_json_and_expands_back_to_the_graph(
    compacted: Path, asserted: Graph
) -> None:
    document = json.loads(compacted.read_text(encoding="utf-8"))
    nodes = {node["id"]: node for node in document["@graph"]}
    micra = nodes["vehicle:nissan-micra"]
    assert micra["type"] == "VehicleModel"
    assert micra["name"] == "Nissan Micra"
    assert micra["hasBrand"] == "brand:nissan"
    assert micra["producedAt"] == "plant:ampere-douai"
    assert micra["productionStartYear"] == "2025"
    assert micra["label"] == {"en": "Nissan Micra", "fr": "Nissan Micra"}
    figure = nodes["figure:ampere-douai-2024"]
    assert figure["unitsProduced"] == 89527 or figure["unitsProduced"] == "89527"
    assert not [key for node in document["@graph"] for key in node if key.startswith("http")]
    # Expanded again by three JSON-LD processors (rdflib, Oxigraph; Jena in the RIOT test): the same graph.
    assert isomorphic(Graph().parse(compacted, format="json-ld"), asserted)
    quads = ox.parse(path=str(compacted), format=ox.RdfFormat.JSON_LD)
    theirs = Graph().parse(
        data=ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES), format="nt"
    )
    assert len(theirs) == len(asserted)


# --- the dataset description --------------------------------------------------------------------------------


def _value(graph: Graph, subject: str, prop: str) -> object:
    values = list(graph.objects(URIRef(subject), URIRef(prop)))
    assert len(values) == 1, (subject, prop, values)
    value = values[0]
    return value.toPython() if isinstance(value, Literal) else str(value)


def test_void_counts_match_the_graph(description: Path, asserted: Graph) -> None:
    described = Graph().parse(description, format="turtle")
    ds = void.DATASET
    kg = ox.Store()
    kg.load(asserted.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)

    def count(query: str) -> int:
        return int(next(iter(kg.query(query)))["n"].value)

    assert _value(described, ds, VOID + "triples") == len(asserted)
    assert _value(described, ds, VOID + "entities") == count(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
        f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}")) }}'
    )
    assert _value(described, ds, VOID + "classes") == count(
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }"
    )
    assert _value(described, ds, VOID + "properties") == count(
        "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }"
    )
    assert _value(described, ds, VOID + "distinctSubjects") == count(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"
    )
    # Per class, per property, per named graph.
    vehicle = f"{ds}#class-akg-VehicleModel"
    assert _value(described, vehicle, VOID + "class") == AKG + "VehicleModel"
    assert _value(described, vehicle, VOID + "entities") == 6
    for part in described.objects(URIRef(ds), URIRef(VOID + "propertyPartition")):
        prop = _value(described, str(part), VOID + "property")
        assert _value(described, str(part), VOID + "triples") == len(
            list(asserted.triples((None, URIRef(prop), None)))
        )
    subsets = {
        str(s): _value(described, str(s), VOID + "triples")
        for s in described.objects(URIRef(ds), URIRef(VOID + "subset"))
    }
    assert subsets == {str(g.identifier): len(g) for g in load_dataset().graphs() if len(g)}


def test_void_says_what_the_dataset_is(description: Path) -> None:
    described = Graph().parse(description, format="turtle")
    ds = void.DATASET
    types = {
        str(t)
        for t in described.objects(URIRef(ds), URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"))
    }
    assert types == {VOID + "Dataset", DCAT + "Dataset"}
    assert "Ampere Douai" in _value(described, ds, "http://purl.org/dc/terms/title")
    assert (
        _value(described, ds, "http://purl.org/dc/terms/license")
        == "https://creativecommons.org/licenses/by/4.0/"
    )
    assert _value(described, ds, DCAT + "version") == __version__
    publisher = _value(described, ds, "http://purl.org/dc/terms/publisher")
    assert _value(described, publisher, "http://xmlns.com/foaf/0.1/name") == "alliance-kg contributors"
    vocabularies = {str(v) for v in described.objects(URIRef(ds), URIRef(VOID + "vocabulary"))}
    assert {
        AKG,
        PREFIXES["skos"],
        PREFIXES["prov"],
        PREFIXES["dcterms"],
        PREFIXES["owl"],
        XSD,
    } <= vocabularies
    graph = load_graph()
    examples = [str(e) for e in described.objects(URIRef(ds), URIRef(VOID + "exampleResource"))]
    assert len(examples) >= 3 and all((URIRef(e), None, None) in graph for e in examples)
    dumps = {str(d) for d in described.objects(URIRef(ds), URIRef(VOID + "dataDump"))}
    assert len(dumps) == len(void.DUMP_FORMATS)
    for distribution in described.objects(URIRef(ds), URIRef(DCAT + "distribution")):
        assert _value(described, str(distribution), DCAT + "downloadURL") in dumps
        assert _value(described, str(distribution), DCAT + "mediaType").startswith(void.MEDIA_TYPES)
    assert not list(described.objects(URIRef(ds), URIRef(VOID + "sparqlEndpoint")))


def test_void_names_the_sparql_endpoint_when_there_is_one() -> None:
    described = void.describe(void.dataset(), endpoint="https://w3id.org/alliance-kg/sparql")
    ds = URIRef(void.DATASET)
    assert (ds, URIRef(VOID + "sparqlEndpoint"), URIRef("https://w3id.org/alliance-kg/sparql")) in described
    services = list(described.subjects(URIRef(DCAT + "servesDataset"), ds))
    assert len(services) == 1
    assert (
        services[0],
        URIRef(DCAT + "endpointURL"),
        URIRef("https://w3id.org/alliance-kg/sparql"),
    ) in described


def test_void_of_a_quad_format_is_bad_usage(capsys) -> None:
    assert main(["export", "--void", "--format", "nq"]) == 2
    assert "--void writes one graph" in capsys.readouterr().err
