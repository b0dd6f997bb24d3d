"""OWL 2 DL, checked with a real DL reasoner: HermiT, as shipped in owlready2 and run on the system `java`.

* The ontology alone is in the OWL 2 DL profile (the OWL API's profile checker, from the OWL API that
  HermiT.jar bundles), is consistent and has no unsatisfiable class (HermiT).
* Ontology and instance data together are consistent (HermiT), and the data uses the ontology's terms
  the way the ontology declares them (no punning, no undeclared akg: term), so that HermiT's verdict
  covers every domain fact rather than silently skipping a misspelt or misused one.
* The ontology stays in OWL 2 DL when merged with the standard vocabularies it reuses, PROV-O and SKOS
  (their official files, vendored in tests/vocabularies/, see the README there): every external term is
  declared with the kind its own vocabulary gives it (prov:wasDerivedFrom and skos:inScheme are object
  properties, skos:notation a datatype property), so a consumer who imports PROV-O or SKOS beside it gets
  no illegal punning. Violations that the vocabularies have on their own (SKOS uses rdf:List as a class)
  are theirs, and are subtracted; the RDF reification of the statement nodes stays outside, as below.
* The checks are not vacuous: contradictions added to the real data (disjoint classes, a functional
  property with two values, a range violation) make HermiT report the graph inconsistent, an
  impossible class is reported unsatisfiable, misused terms are reported by the profile check, and so is
  a standard property re-declared with another kind than its vocabulary's.

owlready2 reads RDF/XML, N-Triples and OWL/XML but not Turtle, so each graph is written to a temporary
N-Triples file. Literals typed xsd:date, xsd:gYear or xsd:gYearMonth are outside the OWL 2 datatype map
and HermiT refuses them; see ``_within_owl2_datatype_map`` for how the copy given to HermiT handles them.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import owlready2
import pytest
from conftest import ROOT, require_program
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from alliance_kg.namespaces import AKG, BASE, ID

pytestmark = pytest.mark.slow

OWL_OBJECT_PROPERTY = URIRef("http://www.w3.org/2002/07/owl#ObjectProperty")
OWL_DATATYPE_PROPERTY = URIRef("http://www.w3.org/2002/07/owl#DatatypeProperty")
OWL_ANNOTATION_PROPERTY = URIRef("http://www.w3.org/2002/07/owl#AnnotationProperty")

HERMIT_JAR = Path(owlready2.__file__).resolve().parent / "hermit" / "HermiT.jar"

# xsd:date, xsd:gYear and xsd:gYearMonth are not in the OWL 2 datatype map
# (https://www.w3.org/TR/owl2-syntax/#Datatype_Maps). The ontology gives the properties that carry them
# the range rdfs:Literal, and the SHACL shapes (ontology/shapes.ttl) check the datatypes instead.
OUTSIDE_OWL2_DATATYPE_MAP = frozenset({XSD.date, XSD.gYear, XSD.gYearMonth})


def _within_owl2_datatype_map(graph: Graph) -> Graph:
    """A copy of ``graph`` that HermiT accepts: literals of the three datatypes above become xsd:string
    literals with the same lexical form; every other triple is kept as it is.

    HermiT stops with "UnsupportedDatatypeException: ... xsd:date is not part of the OWL 2 datatype map"
    on the unmodified data. Its other way out, ``--ignoreUnsupportedDatatypes`` (owlready2's
    ``ignore_unsupported_datatypes=True``), drops those values from reasoning: tried on this graph, a
    vehicle model given a second akg:productionStartYear (a functional property) then passes as
    consistent. As strings, two different dates or years stay two different values, so the functional
    date and year properties are still checked (see ``two-production-start-years`` below). Any other
    datatype outside the map is left alone, so that HermiT reports it.
    """
    copy = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype in OUTSIDE_OWL2_DATATYPE_MAP:
            o = Literal(str(o), datatype=XSD.string)
        copy.add((s, p, o))
    return copy


# --- HermiT through owlready2 -----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    consistent: bool
    unsatisfiable: tuple[str, ...]  # IRIs of the named classes HermiT finds equivalent to owl:Nothing
    seconds: float


def run_hermit(graph: Graph, workdir: Path) -> Verdict:
    """Classify ``graph`` with HermiT (owlready2's ``sync_reasoner_hermit``) in a fresh owlready2 world."""
    require_program("java", "HermiT runs on the JVM")
    source = workdir / "hermit-input.nt"
    graph.serialize(destination=source, format="nt", encoding="utf-8")
    world = owlready2.World()
    try:
        world.get_ontology(source.as_uri()).load()
        started = time.perf_counter()
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return Verdict(False, (), time.perf_counter() - started)
        seconds = time.perf_counter() - started
        unsatisfiable = tuple(
            sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
        )
        return Verdict(True, unsatisfiable, seconds)
    finally:
        world.close()


def _assert_no_owlready_warning(captured: pytest.CaptureFixture[str]) -> None:
    err = captured.readouterr().err
    assert "Warning" not in err and "Error" not in err, f"owlready2 complained while loading:\n{err}"


# --- The OWL API's OWL 2 DL profile checker ----------------------------------------------------------

# Run against the OWL API 3.4 that HermiT.jar bundles: HermiT parses the RDF with it, so what this
# program reports is what HermiT's own reading of the file looks like. It prints the triples the parser
# could not map to any axiom, and the OWL 2 DL profile violations.
PROFILE_CHECK_JAVA = r"""
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.RDFOntologyFormat;
import org.semanticweb.owlapi.io.RDFTriple;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyFormat;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class OwlDlProfile {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        OWLOntologyFormat format = manager.getOntologyFormat(ontology);
        if (format instanceof RDFOntologyFormat) {
            RDFOntologyFormat rdf = (RDFOntologyFormat) format;
            for (RDFTriple t : rdf.getOntologyLoaderMetaData().getUnparsedTriples()) {
                System.out.println("unparsed\t" + t);
            }
        }
        for (OWLProfileViolation v : new OWL2DLProfile().checkOntology(ontology).getViolations()) {
            String text = v.toString().split("\n", 2)[0];
            System.out.println("violation\t" + v.getClass().getSimpleName() + "\t" + text);
        }
    }
}
"""

RDF_TYPE_NT = f"<{RDF.type}>"


@dataclass(frozen=True)
class Violation:
    kind: str  # the OWL API class, e.g. UseOfUndeclaredClass, IllegalPunning
    text: str  # e.g. "Use of undeclared class: <…> [ClassAssertion(…)]"

    @property
    def term(self) -> str:
        """The IRI the violation is about, as the OWL API prints it ("<…>" or "rdf:Statement")."""
        return self.text.split(" [", 1)[0].rsplit(": ", 1)[-1]


@dataclass(frozen=True)
class ProfileReport:
    unparsed: tuple[str, ...]
    violations: tuple[Violation, ...]


ProfileCheck = Callable[[Graph], ProfileReport]


@pytest.fixture(scope="module")
def profile_check(tmp_path_factory: pytest.TempPathFactory) -> ProfileCheck:
    java = require_program("java", "HermiT runs on the JVM")
    javac = require_program("javac", "the OWL 2 DL profile check compiles a program against HermiT.jar")
    assert HERMIT_JAR.is_file(), f"owlready2 ships no HermiT.jar at {HERMIT_JAR}"
    build = tmp_path_factory.mktemp("owl-dl-profile")
    (build / "OwlDlProfile.java").write_text(PROFILE_CHECK_JAVA, encoding="utf-8")
    compiled = subprocess.run(
        [javac, "-nowarn", "-cp", str(HERMIT_JAR), "-d", str(build), str(build / "OwlDlProfile.java")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, f"the profile check does not compile:\n{compiled.stderr}"

    def check(graph: Graph) -> ProfileReport:
        # Declarations first: the OWL API 3 RDF parser streams the file, and an annotation of the
        # ontology header whose value is an IRI (dcterms:license) is left unparsed when it comes before
        # the owl:AnnotationProperty declaration of its property (as rdflib's N-Triples order may have it).
        lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
        lines = sorted((ln for ln in lines if ln.strip()), key=lambda ln: ln.split(" ", 2)[1] != RDF_TYPE_NT)
        source = build / f"input-{time.monotonic_ns()}.nt"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = subprocess.run(
            [java, "-cp", f"{HERMIT_JAR}{os.pathsep}{build}", "OwlDlProfile", str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"the OWL API could not load the graph:\n{result.stderr}"
        unparsed: list[str] = []
        violations: list[Violation] = []
        for line in result.stdout.splitlines():
            tag, _, rest = line.partition("\t")
            if tag == "unparsed":
                unparsed.append(rest)
            elif tag == "violation":
                kind, _, text = rest.partition("\t")
                violations.append(Violation(kind, text))
        return ProfileReport(tuple(unparsed), tuple(violations))

    return check


def _summary(violations: tuple[Violation, ...] | list[Violation], limit: int = 20) -> str:
    lines = [f"  {v.kind}: {v.text[:200]}" for v in violations[:limit]]
    if len(violations) > limit:
        lines.append(f"  … and {len(violations) - limit} more")
    return "\n".join(lines)


# --- (1) The ontology -----------------------------------------------------------------------------


def test_ontology_is_in_the_owl2_dl_profile(profile_check: ProfileCheck, ontology: Graph) -> None:
    report = profile_check(ontology)
    assert not report.violations, (
        f"the ontology is not in the OWL 2 DL profile ({len(report.violations)} violations):\n"
        + _summary(report.violations)
    )
    assert not report.unparsed, "triples of the ontology that map to no OWL 2 axiom:\n" + "\n".join(
        report.unparsed
    )


def test_ontology_is_consistent_and_every_class_is_satisfiable(
    ontology: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    verdict = run_hermit(ontology, tmp_path)
    _assert_no_owlready_warning(capsys)
    assert verdict.consistent, "HermiT finds the ontology inconsistent"
    assert not verdict.unsatisfiable, (
        f"HermiT finds classes with no possible instance: {verdict.unsatisfiable}"
    )


# --- (2) Ontology and data -------------------------------------------------------------------------

# Profile violations of ontology + data that do not change what HermiT reasons about: the standard RDF
# reification of graph/provenance.ttl (rdf:Statement used as a class; rdf:subject, rdf:predicate,
# rdf:object), which OWL 2 DL reserves. Every other outside term the data uses (SKOS, DCMI, PROV) is
# declared in the ontology, so anything else fails: punning, an undeclared class or property, and any
# violation about a term of alliance-kg's own namespaces.
HARMLESS_IN_DATA = frozenset(
    {
        "UseOfUndeclaredAnnotationProperty",
        "UseOfUndeclaredClass",
        "UseOfReservedVocabularyForClassIRI",
        "UseOfReservedVocabularyForAnnotationPropertyIRI",
    }
)
# The only terms allowed to be outside OWL 2 DL: the RDF reification vocabulary of graph/provenance.ttl.
REIFICATION = frozenset({"rdf:Statement", "rdf:subject", "rdf:predicate", "rdf:object"})
_UNPARSED = re.compile(r"^(\S+) (\S+) (.*)\.$")


def _dropped_akg_triples(unparsed: tuple[str, ...]) -> list[str]:
    """Unparsed triples with an akg: predicate, or typing something with an akg: class: domain facts the
    OWL API could not read, which HermiT would therefore never see."""
    dropped = []
    for line in unparsed:
        match = _UNPARSED.match(line)
        if not match:
            dropped.append(line)
            continue
        _, predicate, obj = match.groups()
        if predicate.startswith(f"<{AKG}") or (predicate == RDF_TYPE_NT and obj.startswith(f"<{AKG}")):
            dropped.append(line)
    return dropped


def data_problems(report: ProfileReport) -> list[str]:
    problems = [
        f"{v.kind}: {v.text[:200]}"
        for v in report.violations
        if v.kind not in HARMLESS_IN_DATA or BASE in v.term or v.term not in REIFICATION
    ]
    problems += [f"not read as OWL: {t}" for t in _dropped_akg_triples(report.unparsed)]
    return problems


def test_data_uses_the_ontology_terms_as_declared(profile_check: ProfileCheck, graph: Graph) -> None:
    problems = data_problems(profile_check(graph))
    assert not problems, (
        "ontology + data have OWL 2 DL violations that change what HermiT reasons about:\n"
        + "\n".join(problems[:20])
    )


def test_ontology_and_data_are_consistent(
    graph: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    verdict = run_hermit(_within_owl2_datatype_map(graph), tmp_path)
    _assert_no_owlready_warning(capsys)
    assert verdict.consistent, "HermiT finds the ontology and the data together inconsistent"
    assert not verdict.unsatisfiable, (
        f"with the data, HermiT finds classes that can have no instance: {verdict.unsatisfiable}"
    )


# --- (3) The checks can fail ----------------------------------------------------------------------

PREFIXES = f"""
@prefix akg:      <{AKG}> .
@prefix owl:      <http://www.w3.org/2002/07/owl#> .
@prefix rdfs:     <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:      <http://www.w3.org/2001/XMLSchema#> .
@prefix person:   <{ID}person/> .
@prefix platform: <{ID}platform/> .
@prefix vehicle:  <{ID}vehicle/> .
"""

# Each addition contradicts the real data through one kind of axiom of the ontology. A vehicle model on
# two platforms is contradictory only once the platforms are said to differ: OWL makes no unique-name
# assumption, and without owl:differentFrom HermiT merely infers that the two platforms are the same.
CONTRADICTIONS = {
    # AllDisjointClasses (Organisation, …, Person, …): Ivan Espinosa is an akg:Person in the data.
    "person-and-organisation": "person:ivan-espinosa a akg:Organisation .",
    # builtOnPlatform is functional; the Micra is on AmpR Small in the data.
    "two-platforms-declared-different": """
        vehicle:nissan-micra akg:builtOnPlatform platform:ampr-medium .
        platform:ampr-small owl:differentFrom platform:ampr-medium .""",
    # productionStartYear is a functional datatype property; the data says 2025 (xsd:gYear).
    "two-production-start-years": 'vehicle:nissan-micra akg:productionStartYear "2026"^^xsd:gYear .',
    # hasBrand has the range akg:Brand, which is disjoint with akg:Person.
    "person-as-brand": "vehicle:nissan-micra akg:hasBrand person:ivan-espinosa .",
}


def _with(graph: Graph, turtle: str) -> Graph:
    """A copy of ``graph`` plus ``turtle``, whose instance IRIs must all be resources of ``graph``."""
    addition = Graph().parse(data=PREFIXES + turtle, format="turtle")
    known = set(graph.subjects())
    iris = {t for triple in addition for t in triple if isinstance(t, URIRef)}
    strangers = {t for t in iris if t.startswith(ID) and t not in known}
    assert not strangers, f"the addition should only speak of resources of the data, not {strangers}"
    combined = Graph()
    combined += graph
    combined += addition
    return combined


@pytest.mark.parametrize("name", list(CONTRADICTIONS))
def test_hermit_detects_a_contradiction_with_the_data(name: str, graph: Graph, tmp_path: Path) -> None:
    verdict = run_hermit(_within_owl2_datatype_map(_with(graph, CONTRADICTIONS[name])), tmp_path)
    assert not verdict.consistent, f"HermiT misses the contradiction {name!r}: {CONTRADICTIONS[name].strip()}"


def test_hermit_detects_an_unsatisfiable_class(ontology: Graph, tmp_path: Path) -> None:
    impossible = "akg:Impossible a owl:Class ; rdfs:subClassOf akg:Person , akg:Organisation ."
    verdict = run_hermit(_with(ontology, impossible), tmp_path)
    assert verdict.consistent, "a class with no instance does not make the ontology inconsistent"
    assert verdict.unsatisfiable == (AKG + "Impossible",), (
        f"HermiT should find exactly akg:Impossible unsatisfiable, not {verdict.unsatisfiable}"
    )


MISUSES = {
    # A literal where the ontology declares an object property: the OWL API sees punning.
    "literal-on-object-property": 'vehicle:nissan-micra akg:builtOnPlatform "AmpR Small" .',
    # A misspelt property: HermiT alone would read it as an annotation and say nothing.
    "misspelt-property": "vehicle:nissan-micra akg:builtOnPlatfrom platform:ampr-small .",
    # A misspelt class.
    "misspelt-class": "vehicle:nissan-micra a akg:VehicelModel .",
}


@pytest.mark.parametrize("name", list(MISUSES))
def test_profile_check_detects_a_misused_term(name: str, profile_check: ProfileCheck, graph: Graph) -> None:
    problems = data_problems(profile_check(_with(graph, MISUSES[name])))
    assert problems, f"the profile check misses {name!r}: {MISUSES[name].strip()}"


# --- (4) Merged with PROV-O and SKOS ----------------------------------------------------------------

VOCABULARIES = ROOT / "tests" / "vocabularies"
#: The standard vocabularies whose terms the ontology declares, as their publishers' files (README there).
STANDARD = {"PROV-O": VOCABULARIES / "prov-o.ttl", "SKOS": VOCABULARIES / "skos.nq"}
MERGES = [("PROV-O",), ("SKOS",), ("PROV-O", "SKOS")]


def standard_vocabulary(name: str) -> Graph:
    path = STANDARD[name]
    if path.suffix == ".nq":  # one named graph (the vocabulary's namespace): its triples
        dataset = Dataset()
        dataset.parse(path, format="nquads")
        graph = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return Graph().parse(path, format="turtle")


def _merged(*graphs: Graph) -> Graph:
    merged = Graph()
    for g in graphs:
        merged += g
    return merged


# The OWL API names the ontology a violation is in; a merged file has several owl:Ontology headers and it
# picks one, so the vocabularies' own violations are compared without that part.
_ONTOLOGY_ID = re.compile(r" in OntologyID\(.*\)\]$")


def _key(violation: Violation) -> tuple[str, str]:
    return violation.kind, _ONTOLOGY_ID.sub("]", violation.text)


def _new_violations(profile_check: ProfileCheck, graph: Graph, names: tuple[str, ...]) -> list[Violation]:
    """Violations of ``graph`` merged with the vocabularies ``names`` that the vocabularies do not have on
    their own: what the merge, and so the ontology, is to blame for."""
    vocabularies = _merged(*(standard_vocabulary(n) for n in names))
    own = {_key(v) for v in profile_check(vocabularies).violations}
    return [v for v in profile_check(_merged(graph, vocabularies)).violations if _key(v) not in own]


def test_the_vocabularies_are_the_published_ones() -> None:
    """The vendored files hold the terms as their specifications declare them (a stand-in file would make
    the merge tests below vacuous)."""
    prov, skos = standard_vocabulary("PROV-O"), standard_vocabulary("SKOS")
    prov_ns, skos_ns = "http://www.w3.org/ns/prov#", "http://www.w3.org/2004/02/skos/core#"
    assert len(prov) > 1000 and len(skos) > 200
    assert (URIRef(prov_ns + "wasDerivedFrom"), RDF.type, OWL_OBJECT_PROPERTY) in prov
    for term in ("inScheme", "hasTopConcept", "topConceptOf"):
        assert (URIRef(skos_ns + term), RDF.type, OWL_OBJECT_PROPERTY) in skos, term
    assert (URIRef(skos_ns + "notation"), RDF.type, OWL_DATATYPE_PROPERTY) in skos
    assert (URIRef(skos_ns + "prefLabel"), RDF.type, OWL_ANNOTATION_PROPERTY) in skos


@pytest.mark.parametrize("names", MERGES, ids=["+".join(m) for m in MERGES])
def test_ontology_merged_with_standard_vocabularies_is_owl2_dl(
    names: tuple[str, ...], profile_check: ProfileCheck, ontology: Graph
) -> None:
    new = _new_violations(profile_check, ontology, names)
    assert not new, (
        f"the ontology merged with {' and '.join(names)} is outside OWL 2 DL ({len(new)} violations "
        "the vocabularies do not have alone):\n" + _summary(new)
    )


def test_ontology_and_data_merged_with_prov_and_skos(profile_check: ProfileCheck, graph: Graph) -> None:
    names = ("PROV-O", "SKOS")
    problems = [
        f"{v.kind}: {v.text[:200]}"
        for v in _new_violations(profile_check, graph, names)
        if v.kind not in HARMLESS_IN_DATA or BASE in v.term or v.term not in REIFICATION
    ]
    assert not problems, "ontology + data merged with PROV-O and SKOS:\n" + "\n".join(problems[:20])


#: How each of these standard properties was once declared in the ontology: as annotation properties.
WRONG_KIND = {
    "prov:wasDerivedFrom": ("http://www.w3.org/ns/prov#wasDerivedFrom", ("PROV-O",)),
    "skos:inScheme": ("http://www.w3.org/2004/02/skos/core#inScheme", ("SKOS",)),
    "skos:notation": ("http://www.w3.org/2004/02/skos/core#notation", ("SKOS",)),
}


@pytest.mark.parametrize("name", list(WRONG_KIND))
def test_merge_check_detects_a_standard_property_of_the_wrong_kind(
    name: str, profile_check: ProfileCheck, ontology: Graph
) -> None:
    iri, names = WRONG_KIND[name]
    wrong = _merged(ontology)
    for kind in (OWL_OBJECT_PROPERTY, OWL_DATATYPE_PROPERTY):
        wrong.remove((URIRef(iri), RDF.type, kind))
    wrong.add((URIRef(iri), RDF.type, OWL_ANNOTATION_PROPERTY))
    assert not profile_check(wrong).violations, "alone, an annotation property is legal OWL 2 DL"
    new = _new_violations(profile_check, wrong, names)
    assert any(v.kind == "IllegalPunning" for v in new), (
        f"{name} as an annotation property, merged with {names}, should be reported as punning:\n"
        + _summary(new)
    )
