"""FAIR and LOV metadata of the ontology and of the shapes: the checks FOOPS! (the OEG's ontology FAIRness
scanner) runs on an ontology's header, which cannot be reached from here, implemented as a table.

Each file's owl:Ontology header must give a title and a description with a language tag, a licence, a
version IRI and version number, the dates it was created, issued and modified (typed ``xsd:date``), a
bibliographic citation, a status (``bibo:status`` or ``mod:status``), the preferred namespace prefix and
URI (VANN), and a creator, a contributor and a publisher that are IRIs (not strings) of an agent with a
name (``foaf:Agent`` or a subclass, or ``schema:Person``/``schema:Organization``, with ``foaf:name`` or
``schema:name``), described in the file or in an ontology it imports. ``owl:priorVersion`` is required
once CHANGELOG.md lists a release before the current one, and refused before (there is none yet).

The version is defined once, in ``alliance_kg/__init__.py``: pyproject.toml reads it from there, and the
owl:versionInfo, owl:versionIRI and citation of both files, which a Turtle file cannot compute, are checked
against it here, as is CHANGELOG.md (its latest release is this version, dated as dcterms:issued says).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from alliance_kg import __version__, paths, void
from alliance_kg.graph import load_files
from alliance_kg.namespaces import AKG, ONTOLOGY_IRI

DCTERMS = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"
BIBO = "http://purl.org/ontology/bibo/"
MOD = "https://w3id.org/mod#"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
SHAPES_IRI = "https://w3id.org/alliance-kg/shapes"
CHANGELOG = ROOT / "CHANGELOG.md"

#: Classes an agent may be typed with, and the properties that may give its name.
AGENT_CLASSES = {URIRef(FOAF + c) for c in ("Agent", "Person", "Organization", "Group")} | {
    URIRef(SCHEMA + c) for c in ("Person", "Organization")
}
NAME_PROPERTIES = (URIRef(FOAF + "name"), URIRef(SCHEMA + "name"))


@dataclass(frozen=True)
class Header:
    """An ontology file: its IRI, its graph together with the project's ontologies it imports (where its
    agents may be described), and the namespace its terms live in."""

    iri: URIRef
    graph: Graph
    namespace: str
    prefix: str


def _header(iri: str, path: Path, namespace: str, prefix: str) -> Header:
    graph = load_files([path])
    if (URIRef(iri), OWL.imports, URIRef(ONTOLOGY_IRI)) in graph:
        graph += load_files([paths.ontology_file()])
    return Header(URIRef(iri), graph, namespace, prefix)


HEADERS: dict[str, Callable[[], Header]] = {
    "ontology": lambda: _header(ONTOLOGY_IRI, paths.ontology_file(), str(AKG), "akg"),
    "shapes": lambda: _header(SHAPES_IRI, paths.shapes_file(), SHAPES_IRI + "#", "akgsh"),
}


@pytest.fixture(scope="module", params=list(HEADERS))
def header(request: pytest.FixtureRequest) -> Header:
    return HEADERS[request.param]()


# --- The kinds of value ----------------------------------------------------------------------------


def _iri(h: Header, v: object) -> str | None:
    return None if isinstance(v, URIRef) else f"{v!r} is not an IRI"


def _literal(h: Header, v: object) -> str | None:
    return None if isinstance(v, Literal) and str(v).strip() else f"{v!r} is not a non-empty literal"


def _english(h: Header, v: object) -> str | None:
    if not isinstance(v, Literal) or not str(v).strip() or not v.language:
        return f"{v!r} is not a literal with a language tag"
    return None


def _date(h: Header, v: object) -> str | None:
    if not isinstance(v, Literal) or v.datatype != XSD.date or not re.fullmatch(r"\d{4}-\d\d-\d\d", str(v)):
        return f"{v!r} is not an xsd:date"
    return None


def _agent(h: Header, v: object) -> str | None:
    if not isinstance(v, URIRef):
        return f"{v!r} is a string, not the IRI of an agent"
    if not set(h.graph.objects(v, RDF.type)) & AGENT_CLASSES:
        return f"<{v}> is not typed foaf:Agent (or a subclass), schema:Person or schema:Organization"
    if not any(
        isinstance(n, Literal) and str(n).strip() for p in NAME_PROPERTIES for n in h.graph.objects(v, p)
    ):
        return f"<{v}> has no foaf:name or schema:name"
    return None


def _status(h: Header, v: object) -> str | None:
    if isinstance(v, URIRef) and v.startswith(BIBO + "status/"):
        return None
    return _literal(h, v) and f"{v!r} is neither a BIBO status IRI (bibo:status/…) nor a literal"


Kind = Callable[[Header, object], "str | None"]


@dataclass(frozen=True)
class Required:
    name: str
    properties: tuple[str, ...]  # any one of them will do (bibo:status or mod:status)
    kind: Kind
    language: str | None = None  # a value in this language is required too


REQUIRED = [
    Required("dcterms:title", (DCTERMS + "title",), _english, "en"),
    Required("dcterms:description", (DCTERMS + "description",), _english, "en"),
    Required("dcterms:license", (DCTERMS + "license",), _iri),
    Required("owl:versionIRI", (str(OWL.versionIRI),), _iri),
    Required("owl:versionInfo", (str(OWL.versionInfo),), _literal),
    Required("dcterms:created", (DCTERMS + "created",), _date),
    Required("dcterms:issued", (DCTERMS + "issued",), _date),
    Required("dcterms:modified", (DCTERMS + "modified",), _date),
    Required("dcterms:creator", (DCTERMS + "creator",), _agent),
    Required("dcterms:contributor", (DCTERMS + "contributor",), _agent),
    Required("dcterms:publisher", (DCTERMS + "publisher",), _agent),
    Required("dcterms:bibliographicCitation", (DCTERMS + "bibliographicCitation",), _literal),
    Required("status", (BIBO + "status", MOD + "status"), _status),
    Required("vann:preferredNamespacePrefix", (VANN + "preferredNamespacePrefix",), _literal),
    Required("vann:preferredNamespaceUri", (VANN + "preferredNamespaceUri",), _literal),
]
#: Properties of which a header gives exactly one value.
SINGLE = {
    str(OWL.versionIRI),
    str(OWL.versionInfo),
    DCTERMS + "created",
    DCTERMS + "issued",
    DCTERMS + "modified",
    DCTERMS + "license",
    VANN + "preferredNamespacePrefix",
    VANN + "preferredNamespaceUri",
}


def problems(h: Header, required: Required) -> list[str]:
    values = [v for p in required.properties for v in h.graph.objects(h.iri, URIRef(p))]
    if not values:
        return [f"<{h.iri}> has no {required.name}"]
    found = [f"{required.name}: {p}" for v in values if (p := required.kind(h, v))]
    if any(p in SINGLE for p in required.properties) and len(values) > 1:
        found.append(f"{required.name} has {len(values)} values, one expected")
    if required.language and not any(getattr(v, "language", None) == required.language for v in values):
        found.append(f"{required.name} has no value in {required.language!r}")
    return found


@pytest.mark.parametrize("required", REQUIRED, ids=[r.name for r in REQUIRED])
def test_header_gives(header: Header, required: Required) -> None:
    assert (header.iri, RDF.type, OWL.Ontology) in header.graph
    found = problems(header, required)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("required", REQUIRED, ids=[r.name for r in REQUIRED])
def test_a_missing_or_wrong_value_is_reported(header: Header, required: Required) -> None:
    """The table is not vacuous: the header without the property fails, and so does a value of the wrong
    kind (a string where an IRI is required, an IRI where a literal is)."""
    stripped = Graph()
    stripped += header.graph
    for p in required.properties:
        stripped.remove((header.iri, URIRef(p), None))
    broken = Header(header.iri, stripped, header.namespace, header.prefix)
    assert problems(broken, required), f"a header without {required.name} passes"
    wrong: object = Literal("alliance-kg contributors") if required.kind in (_iri, _agent) else header.iri
    if required.kind is _status:
        wrong = URIRef("https://example.org/status/draft")
    stripped.add((header.iri, URIRef(required.properties[0]), wrong))  # type: ignore[arg-type]
    assert problems(broken, required), f"{required.name} {wrong!r} passes"


def test_namespace_and_licence_are_the_projects(header: Header) -> None:
    g, iri = header.graph, header.iri
    assert str(g.value(iri, URIRef(VANN + "preferredNamespaceUri"))) == header.namespace
    assert str(g.value(iri, URIRef(VANN + "preferredNamespacePrefix"))) == header.prefix
    assert str(g.value(iri, URIRef(DCTERMS + "license"))) == void.LICENSE  # the dataset's licence too
    terms = {s for s in g.subjects() if isinstance(s, URIRef) and s.startswith(header.namespace)}
    assert terms, f"no term of the file lives in its preferred namespace {header.namespace}"


def test_the_agent_is_the_datasets_publisher(header: Header) -> None:
    """The creator, contributor and publisher are the project's contributors as a group, the same agent
    (same IRI, same name) that the VoID description of the dataset names; no person is invented."""
    g = header.graph
    agents = {g.value(header.iri, URIRef(DCTERMS + p)) for p in ("creator", "contributor", "publisher")}
    assert agents == {URIRef(void.PUBLISHER)}
    (agent,) = agents
    assert str(g.value(agent, URIRef(FOAF + "name"))) == void.PUBLISHER_NAME
    assert not set(g.objects(agent, RDF.type)) & {URIRef(FOAF + "Person"), URIRef(SCHEMA + "Person")}


def test_dates_are_in_order(header: Header) -> None:
    g, iri = header.graph, header.iri
    created, issued, modified = (
        g.value(iri, URIRef(DCTERMS + p)).toPython() for p in ("created", "issued", "modified")
    )
    assert created <= issued and created <= modified, (created, issued, modified)


# --- One version number ---------------------------------------------------------------------------


def test_version_info_iri_and_citation_follow_the_package_version(header: Header) -> None:
    g, iri = header.graph, header.iri
    assert str(g.value(iri, OWL.versionInfo)) == __version__
    version_iri = f"{iri}/{__version__}"
    assert g.value(iri, OWL.versionIRI) == URIRef(version_iri)
    citation = str(g.value(iri, URIRef(DCTERMS + "bibliographicCitation")))
    assert version_iri in citation and f"version {__version__}" in citation, citation
    assert void.PUBLISHER_NAME in citation, citation


def _releases() -> list[tuple[str, str]]:
    """(version, date) of each release in CHANGELOG.md, newest first (Keep a Changelog headings)."""
    text = CHANGELOG.read_text(encoding="utf-8")
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d\d-\d\d)$", text, re.M)


def test_changelog_follows_keep_a_changelog_and_the_version() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text and "https://semver.org/" in text
    assert re.search(r"^## \[Unreleased\]$", text, re.M), "no Unreleased section"
    releases = _releases()
    assert releases and releases[0][0] == __version__, f"the latest release is not {__version__}: {releases}"
    versions = [tuple(map(int, v.split("."))) for v, _ in releases]
    assert versions == sorted(versions, reverse=True), "releases are not newest first"
    for version, _ in releases:  # Keep a Changelog's link references
        assert re.search(rf"^\[{re.escape(version)}\]: \S+", text, re.M), f"no link for [{version}]"


def test_issued_is_the_date_of_this_version_in_the_changelog(header: Header) -> None:
    dates = dict(_releases())
    assert str(header.graph.value(header.iri, URIRef(DCTERMS + "issued"))) == dates[__version__]


def test_prior_version_once_there_is_one(header: Header) -> None:
    """owl:priorVersion names the version IRI of the release before this one, once there is one; 0.1.0 is
    the first, so there is none yet (and a made-up one is refused)."""
    earlier = [v for v, _ in _releases() if v != __version__]
    priors = set(header.graph.objects(header.iri, OWL.priorVersion))
    if earlier:
        assert priors == {URIRef(f"{header.iri}/{earlier[0]}")}, priors
    else:
        assert not priors, (
            f"owl:priorVersion {priors}, but CHANGELOG.md lists no release before {__version__}"
        )


def test_pyproject_reads_the_version_from_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"], "pyproject.toml writes the version again"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "alliance_kg/__init__.py"
    assert re.search(
        rf'^__version__ = "{re.escape(__version__)}"$',
        (ROOT / "alliance_kg" / "__init__.py").read_text(encoding="utf-8"),
        re.M,
    )


def test_no_code_repeats_the_version_literal() -> None:
    """Python and TOML files take the version from alliance_kg.__version__; only its definition spells it.
    (The ontology and the shapes must spell it, Turtle computes nothing: the tests above check them.)"""
    literal = re.compile(rf"""["']{re.escape(__version__)}["']""")
    files = [ROOT / "pyproject.toml", *(ROOT / "alliance_kg").rglob("*.py"), *(ROOT / "tests").glob("*.py")]
    offenders = [
        str(f.relative_to(ROOT))
        for f in files
        if f != ROOT / "alliance_kg" / "__init__.py" and literal.search(f.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"files that write the version {__version__!r} themselves: {offenders}"


def test_ontology_terms_of_the_header_are_declared_annotation_properties() -> None:
    """In OWL 2 DL an ontology's header carries annotations only: each property of the ontology header is
    declared an owl:AnnotationProperty (or is one of OWL's own: owl:versionIRI, owl:imports)."""
    g = load_files([paths.ontology_file()])
    builtin = {OWL.versionIRI, OWL.imports, OWL.priorVersion, RDF.type, OWL.versionInfo, RDFS.seeAlso}
    undeclared = {
        str(p)
        for p in g.predicates(URIRef(ONTOLOGY_IRI), None)
        if p not in builtin and (p, RDF.type, OWL.AnnotationProperty) not in g
    }
    assert not undeclared, f"header properties not declared as annotation properties: {sorted(undeclared)}"
