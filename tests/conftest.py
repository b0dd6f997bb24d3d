"""Shared fixtures: the bundled graphs, loaded once per test session."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from alliance_kg import paths
from alliance_kg.graph import fact_files, load_files, load_graph

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "alliance-press-release-2025-09-16.txt"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_program(name: str, why: str) -> str:
    """The path of an external program a test needs. Missing: skip with the reason, but fail in CI,
    where .ci/run installs every peer."""
    beside = Path(sys.executable).with_name(name)  # installed by the `test` extra into this environment
    found = shutil.which(name) or (str(beside) if beside.is_file() else None)
    if found:
        return found
    message = f"{name} is not installed ({why})"
    if IN_CI:
        pytest.fail(f"{message}; CI must install it (scripts/setup-peers, or the `test` extra)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test (and every server or console script it starts) keeps the reasoning cache in the
    session's temporary folder, never in the user's; a module may give its tests their own."""
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def run(capsysbinary: pytest.CaptureFixture[bytes], *argv: str) -> tuple[int, str, str]:
    """``alliance-kg ARGV`` through :func:`alliance_kg.cli.main`: its exit code, stdout and stderr."""
    from alliance_kg.cli import main

    code = main(list(argv))
    captured = capsysbinary.readouterr()
    return code, captured.out.decode("utf-8"), captured.err.decode("utf-8")


@pytest.fixture(scope="session")
def ontology() -> Graph:
    """The ontology alone."""
    return load_files([paths.ontology_file()])


@pytest.fixture(scope="session")
def data() -> Graph:
    """All of graph/ (facts, vocabularies, sources, provenance), without the ontology."""
    return load_files(paths.graph_files())


@pytest.fixture(scope="session")
def facts() -> Graph:
    """Only the domain facts: graph/ less the vocabularies, the sources and the provenance."""
    return load_files(fact_files())


@pytest.fixture(scope="session")
def graph() -> Graph:
    """Ontology and data together, as asserted (no inference)."""
    return load_graph()


@pytest.fixture(scope="session")
def reasoned() -> Graph:
    """Ontology and data with their OWL 2 RL closure (owlrl), as the CLI computes it."""
    from alliance_kg.reasoning import closure

    return closure()


@pytest.fixture(scope="session")
def shacl_report(graph: Graph):
    """``shacl_report(path)``: the SHACL report (all severities) of the real graph plus the additions in
    ``path`` (or of the real graph alone for ``None``), computed once per session for all test modules."""
    from alliance_kg.graph import parse_turtle
    from alliance_kg.validate import Report, shapes_graph, validate_graph

    shapes = shapes_graph()
    cache: dict[str, Report] = {}

    def report(path: Path | None) -> Report:
        key = str(path)
        if key not in cache:
            data = Graph()
            data += graph
            if path is not None:
                parse_turtle(path, into=data)
            cache[key] = validate_graph(data, shapes, threshold="info", inplace=True)
        return cache[key]

    return report


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The press release as shipped in ../shared/seed (the project does not need it; skip without it)."""
    if not SEED.is_file():
        pytest.skip(f"the seed press release is not beside the project ({SEED})")
    return SEED.read_text(encoding="utf-8")
