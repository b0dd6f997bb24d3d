"""The installed package carries the ontology, the graph and the queries: build the wheel, install it
away from the source tree, and load the graph from there."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from alliance_kg import paths
from alliance_kg.graph import load_graph

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (work / "dist").glob("alliance_kg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for required in (
        "alliance_kg/_data/ontology/alliance.ttl",
        "alliance_kg/_data/graph/vehicles.ttl",
        "alliance_kg/_data/graph/provenance.ttl",
    ):
        assert required in names, f"{required} missing from the wheel"
    site = work / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    return site


def _run_installed(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, *args], cwd=site.parent, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_installed_copy_reads_its_own_data(installed: Path) -> None:
    probe = _run_installed(
        installed,
        "-c",
        (
            "from alliance_kg import paths; from alliance_kg.graph import load_graph; "
            "print(paths.data_root()); print(len(load_graph()))"
        ),
    )
    assert probe.returncode == 0, probe.stderr
    root, triples = probe.stdout.split()
    assert Path(root) == installed / "alliance_kg" / "_data"
    assert int(triples) == len(load_graph())
    assert paths.data_root() != Path(root)


@pytest.mark.slow
def test_installed_command_runs(installed: Path) -> None:
    run = _run_installed(installed, "-m", "alliance_kg", "stats")
    assert run.returncode == 0, run.stderr
    assert "6  akg:VehicleModel" in run.stdout
