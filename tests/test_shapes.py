"""The SHACL shapes of ontology/shapes.ttl: the real graph conforms; every constraint catches what it is for.

Each file of tests/fixtures/shapes/ is a small graph of additions that, added to the real graph (ontology plus
graph/*.ttl), breaks exactly one constraint. Its header says which::

    # shape: <IRI of the shape reported as sh:sourceShape>
    # constraint: <IRI of the SPARQL constraint reported as sh:sourceConstraint>   (SPARQL constraints only)
    # focus: <IRI of the focus node>
    # severity: Violation | Warning | Info
    # component: <IRI of the sh:sourceConstraintComponent>                          (optional)
    # also: <IRI of another shape the addition cannot help breaking>                 (optional, repeatable)

The files of tests/fixtures/shapes/conforming/ are additions that must leave the graph conforming with no
result at all: they pin down what a rule must not catch (successive CEOs, output that exactly doubles …).

The data graph includes the ontology and is validated with inference "none"; ontology/shapes.ttl says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH

from alliance_kg import __version__, paths
from alliance_kg.graph import parse_turtle

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
BROKEN = sorted(FIXTURES.glob("*.ttl"))
CONFORMING = sorted((FIXTURES / "conforming").glob("*.ttl"))

AKGSH = Namespace("https://w3id.org/alliance-kg/shapes#")
SHAPES_IRI = URIRef("https://w3id.org/alliance-kg/shapes")
ONTOLOGY_IRI = URIRef("https://w3id.org/alliance-kg/ontology")
SEVERITIES = {"Violation": SH.Violation, "Warning": SH.Warning, "Info": SH.Info}

#: sh: properties of a node shape that are not constraints of the node itself
NOT_NODE_CONSTRAINTS = {
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
    SH.property,
    SH.sparql,
    SH.severity,
    SH.message,
    SH.ignoredProperties,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.declare,
    SH.prefixes,
}


# --- validation results (alliance_kg.validate, shared with the Jena cross-check through conftest) ----------


@dataclass(frozen=True)
class Result:
    shape: URIRef | BNode
    focus: URIRef | BNode | Literal
    severity: URIRef
    component: URIRef
    constraint: URIRef | BNode | None
    message: str

    def __str__(self) -> str:
        constraint = f" [{self.constraint}]" if self.constraint is not None else ""
        return (
            f"{self.severity.split('#')[-1]} {self.shape}{constraint} "
            f"({self.component.split('#')[-1]}) on {self.focus}: {self.message}"
        )


def results_of(report) -> list[Result]:
    """The results of an alliance_kg.validate report, as terms."""
    return [
        Result(
            shape=URIRef(r.shape),
            focus=URIRef(r.focus),
            severity=URIRef(str(SH) + r.severity),
            component=URIRef(r.component),
            constraint=URIRef(r.constraint) if r.constraint else None,
            message=r.message,
        )
        for r in report.results
    ]


# --- fixtures ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    shape: URIRef
    focus: URIRef
    severity: URIRef
    constraint: URIRef | None
    component: URIRef | None
    also: frozenset[URIRef]


def read_header(path: Path) -> dict[str, list[str]]:
    header: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        match = re.match(r"#\s*(shape|constraint|focus|severity|component|also):\s*(\S+)\s*$", line)
        if match:
            header.setdefault(match.group(1), []).append(match.group(2))
    return header


def expectation(path: Path) -> Expectation:
    header = read_header(path)
    for key in ("shape", "focus"):
        assert len(header.get(key, [])) == 1, f"{path.name}: needs exactly one '# {key}:' line"
    severity = header.get("severity", ["Violation"])[0]
    assert severity in SEVERITIES, f"{path.name}: unknown severity {severity}"
    return Expectation(
        shape=URIRef(header["shape"][0]),
        focus=URIRef(header["focus"][0]),
        severity=SEVERITIES[severity],
        constraint=URIRef(header["constraint"][0]) if "constraint" in header else None,
        component=URIRef(header["component"][0]) if "component" in header else None,
        also=frozenset(URIRef(iri) for iri in header.get("also", [])),
    )


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return parse_turtle(paths.shapes_file())


def with_additions(graph: Graph, path: Path) -> Graph:
    """A copy of the real graph (ontology and data) with the additions of ``path``."""
    data = Graph()
    data += graph
    return parse_turtle(path, into=data)


def named(graph: Graph, cls: URIRef) -> set[URIRef]:
    return {node for node in graph.subjects(RDF.type, cls) if isinstance(node, URIRef)}


def node_level_constraints(shapes: Graph, shape: URIRef) -> set[URIRef]:
    return {
        p for p in shapes.predicates(shape, None) if p.startswith(str(SH)) and p not in NOT_NODE_CONSTRAINTS
    }


# --- the real graph ---------------------------------------------------------------------------------------


def test_the_real_graph_conforms_with_no_result_of_any_severity(shacl_report) -> None:
    report = shacl_report(None)
    assert not report.results, "\n".join(map(str, results_of(report)))
    assert report.conforms


def test_the_shapes_graph_is_well_formed_shacl(graph: Graph, shapes: Graph) -> None:
    """pyshacl checks the shapes against the SHACL-SHACL shapes graph first and raises if they are broken."""
    data = Graph()
    data += graph
    conforms, _, text = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, meta_shacl=True, inplace=True
    )
    assert conforms, text


# --- fixtures that break one constraint -------------------------------------------------------------------


def test_there_are_fixtures() -> None:
    assert BROKEN, f"no fixtures in {FIXTURES}"
    assert CONFORMING, f"no fixtures in {FIXTURES / 'conforming'}"


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in BROKEN])
def test_fixture_breaks_its_constraint(path: Path, shacl_report) -> None:
    expected = expectation(path)
    results = results_of(shacl_report(path))
    conforms = not results
    report = "\n".join(map(str, results)) or "(no results)"

    assert not conforms, f"{path.name}: the graph still conforms"
    assert any(
        r.shape == expected.shape
        and r.focus == expected.focus
        and r.severity == expected.severity
        and (expected.constraint is None or r.constraint == expected.constraint)
        and (expected.component is None or r.component == expected.component)
        for r in results
    ), f"{path.name}: no {expected} result in:\n{report}"
    unexpected = [r for r in results if r.shape != expected.shape and r.shape not in expected.also]
    assert not unexpected, f"{path.name} breaks more than it says:\n" + "\n".join(map(str, unexpected))


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in CONFORMING])
def test_conforming_addition_raises_nothing(path: Path, shacl_report) -> None:
    results = results_of(shacl_report(path))
    assert not results, f"{path.name}:\n" + "\n".join(map(str, results))


def test_fixture_headers_name_existing_shapes_and_constraints(shapes: Graph) -> None:
    known_shapes = named(shapes, SH.NodeShape) | named(shapes, SH.PropertyShape)
    known_constraints = named(shapes, SH.SPARQLConstraint)
    problems = []
    for path in BROKEN:
        expected = expectation(path)
        if expected.shape not in known_shapes:
            problems.append(f"{path.name}: unknown shape {expected.shape}")
        if expected.constraint is not None:
            if expected.constraint not in known_constraints:
                problems.append(f"{path.name}: unknown SPARQL constraint {expected.constraint}")
            elif (expected.shape, SH.sparql, expected.constraint) not in shapes:
                problems.append(f"{path.name}: {expected.shape} does not use {expected.constraint}")
        problems += [f"{path.name}: unknown shape {a} in '# also:'" for a in expected.also - known_shapes]
    assert not problems, "\n".join(problems)


def test_every_shape_and_sparql_constraint_is_exercised_by_a_fixture(shapes: Graph) -> None:
    """Every property shape, every node shape with constraints of its own (closed, IRI pattern …) and every
    SPARQL constraint is the one some fixture breaks."""
    core_broken, any_broken, sparql_broken = set(), set(), set()
    for path in BROKEN:
        expected = expectation(path)
        any_broken.add(expected.shape)
        if expected.constraint is None:
            core_broken.add(expected.shape)
        else:
            sparql_broken.add(expected.constraint)
    node_shapes = {s for s in named(shapes, SH.NodeShape) if node_level_constraints(shapes, s)}
    missing = sorted(
        (node_shapes - core_broken)
        | (named(shapes, SH.PropertyShape) - any_broken)
        | (named(shapes, SH.SPARQLConstraint) - sparql_broken)
    )
    assert not missing, "no fixture breaks:\n" + "\n".join(missing)


# --- the shapes graph itself ------------------------------------------------------------------------------


def test_every_class_with_instances_has_a_node_shape(data: Graph, shapes: Graph) -> None:
    classes = set(data.objects(None, RDF.type))
    targeted = set(shapes.objects(None, SH.targetClass))
    assert len(classes) > 30
    assert not classes - targeted, f"classes without a node shape: {sorted(classes - targeted)}"


def test_node_shapes_are_named_after_their_class(shapes: Graph) -> None:
    wrong = []
    for shape in named(shapes, SH.NodeShape):
        targets = list(shapes.objects(shape, SH.targetClass))
        if len(targets) != 1 or shape != AKGSH[re.split(r"[#/]", targets[0])[-1] + "Shape"]:
            wrong.append(f"{shape} targets {targets}")
    assert not wrong, wrong


def test_every_shape_and_constraint_is_documented(shapes: Graph) -> None:
    """Labels and comments on every named shape and SPARQL constraint; a message and a severity for every
    constraint (for a SPARQL constraint the severity is its shape's, which SHACL reads from the shape)."""
    problems = []
    node_shapes, property_shapes = named(shapes, SH.NodeShape), named(shapes, SH.PropertyShape)
    sparql = named(shapes, SH.SPARQLConstraint)
    assert node_shapes and property_shapes and sparql
    for thing in node_shapes | property_shapes | sparql:
        for prop in (RDFS.label, RDFS.comment):
            if not any(isinstance(o, Literal) and o.language == "en" for o in shapes.objects(thing, prop)):
                problems.append(f"{thing}: no English {prop.n3(shapes.namespace_manager)}")
    for shape in node_shapes | property_shapes:
        # a shape whose only constraints are SPARQL ones reports their messages, not its own
        constrains = bool(node_level_constraints(shapes, shape) - {SH.path})
        if constrains and shapes.value(shape, SH.message) is None:
            problems.append(f"{shape}: no sh:message")
        if (constrains or (shape, SH.sparql, None) in shapes) and shapes.value(shape, SH.severity) is None:
            problems.append(f"{shape}: no sh:severity")
        if shapes.value(shape, SH.severity) not in {None, *SEVERITIES.values()}:
            problems.append(f"{shape}: unknown severity")
    for constraint in sparql:
        if shapes.value(constraint, SH.message) is None:
            problems.append(f"{constraint}: no sh:message")
        if not list(shapes.subjects(SH.sparql, constraint)):
            problems.append(f"{constraint}: used by no shape")
    assert not problems, "\n".join(sorted(problems))


def test_property_shapes_are_named_and_declared(shapes: Graph) -> None:
    attached = set(shapes.objects(None, SH.property))
    assert all(isinstance(s, URIRef) for s in attached), "a property shape is a blank node"
    assert attached <= named(shapes, SH.PropertyShape), attached - named(shapes, SH.PropertyShape)
    assert named(shapes, SH.PropertyShape) <= attached, "property shapes that no node shape uses"


def test_sparql_constraints_use_the_declared_prefixes(shapes: Graph) -> None:
    declared = {
        str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
        for d in shapes.objects(SHAPES_IRI, SH.declare)
    }
    assert declared["akg"] == "https://w3id.org/alliance-kg/ontology#"
    for constraint in named(shapes, SH.SPARQLConstraint):
        query = str(shapes.value(constraint, SH.select))
        assert shapes.value(constraint, SH.prefixes) == SHAPES_IRI, constraint
        assert "PREFIX" not in query.upper(), f"{constraint} declares its own prefixes"
        assert re.search(r"SELECT\s+(DISTINCT\s+)?\$this\s+\?value\b", query), constraint
        used = set(re.findall(r"(?<![\w?$<])([a-z][\w-]*):\w", query))
        assert used <= declared.keys(), f"{constraint} uses undeclared prefixes {used - declared.keys()}"


def test_the_shapes_graph_has_an_ontology_header(shapes: Graph) -> None:
    assert (SHAPES_IRI, RDF.type, OWL.Ontology) in shapes
    assert (SHAPES_IRI, OWL.imports, ONTOLOGY_IRI) in shapes
    assert str(shapes.value(SHAPES_IRI, OWL.versionInfo)) == __version__  # tests/test_fair.py checks the rest
    assert shapes.value(SHAPES_IRI, URIRef("http://purl.org/dc/terms/title")) is not None
