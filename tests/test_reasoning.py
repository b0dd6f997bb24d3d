"""`alliance-kg reason`: the OWL 2 RL closure, only the new triples on request, and contradictions
reported as errors naming the resources involved (not as silent owl:Nothing triples)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF

from alliance_kg.cli import main
from alliance_kg.graph import load_graph
from alliance_kg.reasoning import cache_dir, cached_closure, closure_key

PREFIXES = """@prefix akg: <https://w3id.org/alliance-kg/ontology#> .
@prefix person: <https://w3id.org/alliance-kg/id/person/> .
@prefix vehicle: <https://w3id.org/alliance-kg/id/vehicle/> .
@prefix platform: <https://w3id.org/alliance-kg/id/platform/> .
@prefix plant: <https://w3id.org/alliance-kg/id/plant/> .
"""

CONTRADICTIONS = [
    pytest.param(
        "person:ivan-espinosa a akg:Organisation .",
        ["ivan-espinosa", "Organisation", "Person"],
        id="disjoint-classes",
    ),
    pytest.param(
        "vehicle:nissan-micra akg:builtOnPlatform platform:ampr-medium .",
        ["builtOnPlatform", "nissan-micra", "ampr-medium", "ampr-small"],
        id="functional-property",
    ),
    pytest.param(
        'plant:ampere-douai akg:allElectricSince "2023-06" .',
        ["allElectricSince", "ampere-douai"],
        id="functional-datatype-property",
    ),
]


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(tmp_path / "cache"))


def run(capsysbinary, *argv: str) -> tuple[int, bytes, str]:
    code = main(list(argv))
    captured = capsysbinary.readouterr()
    return code, captured.out, captured.err.decode("utf-8")


def test_new_only_gives_inferences_and_counts_them(capsysbinary) -> None:
    code, out, err = run(capsysbinary, "reason", "--new-only", "--format", "nt")
    assert code == 0
    inferred = Graph().parse(data=out, format="nt")
    asserted = load_graph()
    micra = URIRef("https://w3id.org/alliance-kg/id/vehicle/nissan-micra")
    assert (micra, RDF.type, URIRef("https://schema.org/Car")) in inferred
    assert not any(t in asserted for t in inferred), "--new-only must not repeat asserted triples"
    assert f"{len(asserted)} asserted triples, {len(inferred)} inferred by OWL 2 RL" in err


def test_full_closure_contains_asserted_and_inferred(capsysbinary, tmp_path: Path) -> None:
    target = tmp_path / "closure.ttl"
    code, out, err = run(capsysbinary, "reason", "-o", str(target))
    assert code == 0 and out == b"" and "wrote" in err
    full = Graph().parse(target, format="turtle")
    ground = [t for t in load_graph() if not any(isinstance(n, BNode) for n in t)]
    assert ground and all(t in full for t in ground)
    assert len(full) > len(load_graph()) + 1000


@pytest.mark.parametrize(("addition", "named"), CONTRADICTIONS)
def test_contradiction_is_an_error_naming_the_resources(
    capsysbinary, tmp_path: Path, addition: str, named: list[str]
) -> None:
    extra = tmp_path / "contradiction.ttl"
    extra.write_text(PREFIXES + addition + "\n", encoding="utf-8")
    code, out, err = run(capsysbinary, "reason", "--data", str(extra))
    assert code == 1 and out == b""
    assert err.startswith("error: the graph is inconsistent under OWL 2 RL")
    for word in named:
        assert word in err, (word, err)


def test_reasoned_query_refuses_an_inconsistent_graph(capsysbinary, tmp_path: Path) -> None:
    extra = tmp_path / "contradiction.ttl"
    extra.write_text(PREFIXES + "person:ivan-espinosa a akg:Organisation .\n", encoding="utf-8")
    code, _, err = run(capsysbinary, "query", "list-models", "--reasoned", "--data", str(extra))
    assert code == 1 and "inconsistent" in err


def test_closure_is_cached_by_content(tmp_path: Path) -> None:
    first = cached_closure()
    assert first.parent == cache_dir() and first.is_file()
    stamp = first.stat().st_mtime_ns
    assert cached_closure() == first and first.stat().st_mtime_ns == stamp, "the cache was recomputed"
    extra = tmp_path / "more.ttl"
    extra.write_text(PREFIXES + 'vehicle:nissan-micra akg:describedAs "compact"@en .\n', encoding="utf-8")
    assert closure_key([extra]) != closure_key()
    extra_closure = cached_closure([extra])
    assert extra_closure != first
    extra.write_text(PREFIXES + 'vehicle:nissan-micra akg:describedAs "small"@en .\n', encoding="utf-8")
    assert cached_closure([extra]) != extra_closure, "a changed input must not reuse a stale closure"
