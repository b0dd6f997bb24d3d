"""Every test that starts a JVM (Jena RIOT, SHACL, ARQ, TDB2; HermiT) or builds a wheel is marked ``slow``,
so that ``pytest -m "not slow"`` is the fast subset the README promises.

Read from the source: a function starts a JVM when it names the program (the string ``"java"``, or Debian's
``scripts/jena-classpath``), builds a wheel when it runs ``pip wheel``, and does either when it calls such a
function or takes such a fixture (in its module, or imported from another test module). A test that does is
marked slow by its module's ``pytestmark``, its own decorator or its parameters' marks (checked on the
collected items for the two modules that start the JVM for some parameters only: the Jena column of the
store matrix and the Jena batch of the clients)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
#: Fixtures that run one batch for many parametrized tests, only the selected ones' (see their modules):
#: whether a test starts a JVM depends on its parameters, checked on the collected items below.
DISPATCHERS = {"test_clients.py": {"batches"}, "test_store_matrix.py": {"matrix"}}


def _starts_heavy(node: ast.AST) -> bool:
    return any(
        isinstance(sub, ast.Constant)
        and isinstance(sub.value, str)
        and (sub.value in ("java", "wheel") or sub.value.endswith("jena-classpath"))
        for sub in ast.walk(node)
    )


def _is_slow(decorators: list[ast.expr]) -> bool:
    return any("slow" in ast.unparse(d) for d in decorators)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def heavy_functions(path: Path, imported: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """The module's functions (tests, fixtures, helpers) that start a JVM or build a wheel."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = _functions(tree)
    skip = DISPATCHERS.get(path.name, set())
    heavy = {name for name, f in functions.items() if _starts_heavy(f)} | set(imported)
    changed = True
    while changed:
        changed = False
        for name, f in functions.items():
            if name in heavy or name in skip:
                continue
            used = {n.id for n in ast.walk(f) if isinstance(n, ast.Name)}
            used |= {a.arg for a in f.args.args}  # the fixtures it takes
            if used & heavy:
                heavy.add(name)
                changed = True
    return heavy


def unmarked(path: Path) -> list[str]:
    """The module's tests that start a JVM or build a wheel and are not marked slow."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module_slow = any(
        isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets)
        and "slow" in ast.unparse(n.value)
        for n in tree.body
    )
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and (TESTS / f"{node.module}.py").is_file():
            other = heavy_functions(TESTS / f"{node.module}.py")
            imported |= {a.asname or a.name for a in node.names if a.name in other}
    heavy = heavy_functions(path, imported)
    functions = _functions(tree)
    return sorted(
        name
        for name in heavy
        if name.startswith("test_")
        and name in functions
        and not module_slow
        and not _is_slow(functions[name].decorator_list)
    )


MODULES = sorted(p for p in TESTS.glob("test_*.py") if p.name != "test_markers.py")  # not this one's strings


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_every_jvm_or_wheel_test_is_marked_slow(path: Path) -> None:
    assert unmarked(path) == []


def test_the_modules_that_start_a_jvm_are_found() -> None:
    """The check finds what it must (so that it can fail): the JVM and wheel tests of the suite."""
    found = {p.name for p in MODULES if heavy_functions(p) or unmarked(p)}
    expected = {"test_exports_interop.py", "test_owl_dl.py", "test_packaging.py", "test_server.py"}
    expected |= {"test_shacl_jena.py", "test_store_matrix.py", "test_clients.py"}
    assert expected <= found, expected - found


def test_the_check_catches_an_unmarked_jvm_test(tmp_path: Path) -> None:
    module = tmp_path / "test_broken.py"
    module.write_text(
        "import pytest\n"
        "from conftest import require_program\n\n"
        "@pytest.fixture\n"
        "def jvm():\n"
        '    return require_program("java", "Jena runs on the JVM")\n\n'
        "def test_unmarked(jvm):\n    pass\n\n"
        "@pytest.mark.slow\n"
        "def test_marked(jvm):\n    pass\n\n"
        "def test_fast():\n    pass\n",
        encoding="utf-8",
    )
    assert unmarked(module) == ["test_unmarked"]
    module.write_text("import pytest\npytestmark = pytest.mark.slow\n" + module.read_text(), encoding="utf-8")
    assert unmarked(module) == []


def test_the_fast_subset_has_no_jena_parameters() -> None:
    """The modules that start the JVM for some parameters only: none of those is left in the fast subset."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not slow", "-p", "no:cacheprovider"]
        + [str(TESTS / name) for name in DISPATCHERS],
        capture_output=True,
        text=True,
        check=False,
        cwd=TESTS.parent,
    )
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert ids, collected.stdout + collected.stderr
    assert [i for i in ids if "jena" in i.lower()] == []
