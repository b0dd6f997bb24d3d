"""Cross-check: Apache Jena's SHACL validator agrees with pySHACL on the real graph and on every broken
fixture (same conforms/not, same focus nodes). Jena runs once, in one JVM, over all the fixtures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import require_program

from alliance_kg import paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((Path(__file__).parent / "fixtures" / "shapes").glob("*.ttl")) + sorted(
    (Path(__file__).parent / "fixtures" / "shapes" / "conforming").glob("*.ttl")
)
pytestmark = pytest.mark.slow  # Jena SHACL runs on the JVM

JENA_JAR = Path("/usr/share/java/jena-shacl.jar")

# One JVM validates the real graph ("-") and then each fixture added to it, and prints one line per
# input: the input, conforms, then focus|shape|severity for every result.
BATCH_JAVA = """
import org.apache.jena.graph.*;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.*;
import org.apache.jena.shacl.validation.ReportEntry;
import org.apache.jena.sparql.graph.GraphFactory;

public class ShaclBatch {
    public static void main(String[] args) {
        Shapes shapes = Shapes.parse(RDFDataMgr.loadGraph(args[0]));
        Graph base = GraphFactory.createDefaultGraph();
        for (String f : args[1].split(",")) RDFDataMgr.read(base, f);
        for (int i = 2; i < args.length; i++) {
            Graph g = GraphFactory.createDefaultGraph();
            GraphUtil.addInto(g, base);
            if (!args[i].equals("-")) RDFDataMgr.read(g, args[i]);
            ValidationReport report = ShaclValidator.get().validate(shapes, g);
            StringBuilder sb = new StringBuilder(args[i]).append('\\t').append(report.conforms());
            for (ReportEntry e : report.getEntries())
                sb.append('\\t').append(e.focusNode()).append('|').append(e.source()).append('|')
                  .append(e.severity().level().getLocalName());
            System.out.println(sb);
        }
    }
}
"""


@pytest.fixture(scope="module")
def jena_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bool, set[str]]]:
    java = require_program("java", "Jena runs on the JVM")
    javac = require_program("javac", "the cross-check compiles a small program against Jena")
    if not JENA_JAR.is_file():
        require_program("jena-shacl", "Apache Jena is not installed (Debian libapache-jena-java)")
    classpath = subprocess.run(
        ["bash", str(ROOT / "scripts" / "jena-classpath")], capture_output=True, text=True, check=True
    ).stdout.strip()
    build = tmp_path_factory.mktemp("jena-shacl")
    (build / "ShaclBatch.java").write_text(BATCH_JAVA, encoding="utf-8")
    compiled = subprocess.run(
        [javac, "-nowarn", "-cp", classpath, "-d", str(build), str(build / "ShaclBatch.java")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    base = ",".join(str(p) for p in [paths.ontology_file(), *paths.graph_files()])
    run = subprocess.run(
        [
            java,
            "-cp",
            f"{classpath}:{build}",
            "ShaclBatch",
            str(paths.shapes_file()),
            base,
            "-",
            *map(str, FIXTURES),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results: dict[str, tuple[bool, set[str]]] = {}
    for line in run.stdout.splitlines():
        name, conforms, *entries = line.split("\t")
        results[name] = (conforms == "true", {e.split("|")[0] for e in entries})
    return results


def test_fixture_set_is_not_empty() -> None:
    assert len(FIXTURES) >= 20


def test_jena_finds_the_real_graph_conforming(jena_results) -> None:
    conforms, focus = jena_results["-"]
    assert conforms and not focus, f"Jena reports results on the real graph: {sorted(focus)}"


@pytest.mark.parametrize("fixture", [pytest.param(p, id=p.stem) for p in FIXTURES])
def test_jena_and_pyshacl_agree(fixture: Path, jena_results, shacl_report) -> None:
    jena_conforms, jena_focus = jena_results[str(fixture)]
    report = shacl_report(fixture)
    ours = {r.focus for r in report.results}
    assert jena_conforms == (not report.results), (
        f"Jena says conforms={jena_conforms}, pySHACL has {len(report.results)} result(s)"
    )
    assert jena_focus == ours, (
        f"focus nodes differ: only Jena {sorted(jena_focus - ours)}, only pySHACL {sorted(ours - jena_focus)}"
    )
