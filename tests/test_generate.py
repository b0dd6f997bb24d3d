"""bench/generate.py: the synthetic data of the scale benchmarks is valid, sourced, sized, deterministic."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest

from alliance_kg import api, paths
from alliance_kg.provenance import statement_iri

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "https://w3id.org/alliance-kg/id/source/synthetic-benchmark-data"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate_module = _load()
generate = generate_module.generate


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("synthetic")
    out = {}
    for size in (2_000, 10_000):
        out[size] = folder / f"synth-{size}.nt"
        out[size].write_bytes(generate(size, seed=0))
    return out


def _triples(path: Path) -> list[ox.Triple]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))


@pytest.mark.parametrize("size", [2_000, 10_000])
def test_size_is_within_5_percent_of_the_target(files: dict[int, Path], size: int) -> None:
    count = len(_triples(files[size]))
    assert abs(count - size) <= 0.05 * size, count
    assert count == len(set(_triples(files[size])))  # no duplicate triples inflate the count


@pytest.mark.parametrize("size", [2_000, 10_000])
def test_the_data_validates_with_no_result_of_any_severity(files: dict[int, Path], size: int) -> None:
    report = api.validate(files[size], threshold="info")
    assert report.conforms, [(r.severity, r.focus, r.message) for r in report.results[:10]]
    assert report.results == []


def test_the_closure_is_consistent(files: dict[int, Path]) -> None:
    closure = api.closure(files[2_000])  # raises alliance_kg.reasoning.Inconsistency if contradictory
    assert len(closure) > len(_triples(files[2_000]))


def test_the_consistency_checks_find_nothing(files: dict[int, Path]) -> None:
    store = api.open_store(files[2_000])
    for check in sorted((paths.queries_dir() / "checks").glob("*.rq")):
        result = api.query(check, store=store)
        assert len(result) == 0, (check.name, result.values()[:5])


def test_output_is_deterministic_for_a_seed_and_differs_for_another() -> None:
    assert generate(2_000, seed=0) == generate(2_000, seed=0)
    assert generate(2_000, seed=0) != generate(2_000, seed=1)
    assert generate(2_000, seed=7, fmt="ttl") == generate(2_000, seed=7, fmt="ttl")


def test_turtle_and_ntriples_hold_the_same_triples() -> None:
    nt = set(ox.parse(generate(3_000, seed=3), format=ox.RdfFormat.N_TRIPLES))
    ttl = set(ox.parse(generate(3_000, seed=3, fmt="ttl"), format=ox.RdfFormat.TURTLE))
    assert nt == ttl


def test_every_fact_cites_the_synthetic_source_with_the_projects_statement_iri(
    files: dict[int, Path],
) -> None:
    from rdflib import Graph

    graph = Graph().parse(files[2_000], format="nt")
    from rdflib.namespace import PROV, RDF

    statements = list(graph.subjects(RDF.type, RDF.Statement))
    assert statements
    for node in statements:
        triple = (
            graph.value(node, RDF.subject),
            graph.value(node, RDF.predicate),
            graph.value(node, RDF.object),
        )
        assert triple in graph
        assert statement_iri(triple) == node  # type: ignore[arg-type]
        assert {str(s) for s in graph.objects(node, PROV.wasDerivedFrom)} == {SOURCE}


def test_everything_is_fictional_and_apart_from_the_real_data(files: dict[int, Path]) -> None:
    text = files[10_000].read_text()
    assert "press-release" not in text
    bundled = {t.subject for t in api.open_store().quads_for_pattern(None, None, None)}
    for triple in _triples(files[10_000]):
        subject = triple.subject.value
        if "/id/statement/" in subject:
            continue
        local = subject.rsplit("/", 1)[-1]
        assert local.startswith("synthetic-"), subject
        assert triple.subject not in bundled, subject


def test_sizes_parse() -> None:
    assert generate_module.parse_size("10k") == 10_000
    assert generate_module.parse_size("1M") == 1_000_000
    assert generate_module.parse_size("100_000") == 100_000
