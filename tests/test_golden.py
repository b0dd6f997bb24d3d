"""Golden tests of the command line: every subcommand's output, byte for byte, pinned in ``tests/golden/``.

Each case of ``tests/golden/cases.toml`` runs ``alliance-kg ARGV`` — through :func:`alliance_kg.cli.main` in
this process (stdout not a terminal), or through the installed console script in a subprocess — in
``tests/golden/data/`` (so that ``--data addition.ttl`` names a file there), and compares its stdout, its
stderr and its exit code with ``<case>.stdout``, ``<case>.stderr`` and ``<case>.code`` (and, for a case with
``output``, the file it wrote with ``<case>.output``). A mismatch shows a unified diff of each part that
differs. Everything else is exact: a change to what the command line prints shows up here, and is accepted by
regenerating the files and reviewing their diff.

Regenerate every golden file from the code that is imported (the working tree, or whatever ``PYTHONPATH``
points at)::

    .venv/bin/python tests/test_golden.py --update     # or ALLIANCE_KG_UPDATE_GOLDEN=1 with pytest
    git diff --stat tests/golden/                     # then review what changed, and why

``--update`` rewrites the files of every case run (extra arguments go to pytest: ``-k export`` updates only
those), deletes the files of cases no longer in ``cases.toml``, and records the Python version in
``python.txt``. To pin the output of an older commit, generate from a worktree of it:
``git worktree add /tmp/base COMMIT && PYTHONPATH=/tmp/base .venv/bin/python tests/test_golden.py --update``.

What is held fixed rather than normalised: the terminal width (``COLUMNS=80``, which argparse's help
follows), the working folder, and the reasoning cache (a folder of this module's own, filled before the
cases run with ``PYTHONHASHSEED=0``, so that no case depends on whether the closure had to be computed, nor
on the order in which owlrl happened to produce it: see :func:`cache_dir`). argparse's own text (help,
usage errors) differs between Python versions: the cases marked ``argparse`` are skipped on a Python other
than the one in ``python.txt``.

The normaliser (:func:`normalise`) replaces only what is inherently variable, absolute paths that differ
between machines and runs — nothing else:

- this test's temporary folder (``-o {tmp}/…``) by ``<tmp>``,
- the reasoning cache folder by ``<cache>``,
- ``tests/golden/`` by ``<golden>``,
- the folder holding the bundled ``ontology/``, ``graph/`` and ``queries/`` by ``<root>``.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
DATA = GOLDEN / "data"
MANIFEST = GOLDEN / "cases.toml"
PYTHON_FILE = GOLDEN / "python.txt"
UPDATE_VARIABLE = "ALLIANCE_KG_UPDATE_GOLDEN"
UPDATE = os.environ.get(UPDATE_VARIABLE, "") == "1"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
#: The parts of a case's result, by the suffix of their golden file.
PARTS = ("stdout", "stderr", "code", "output")
#: The commands every golden run must cover (the non-empty check).
COMMANDS = ("query", "queries", "describe", "stats", "export", "validate", "reason", "load", "serve")
#: Lines of diff shown per part at most.
DIFF_LINES = 150
#: Characters of a diff line shown at most.
LINE_WIDTH = 400


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    via: str = "main"
    stdin: str | None = None
    output: str | None = None
    argparse: bool = False

    def golden(self, part: str) -> Path:
        return GOLDEN / f"{self.name}.{part}"


def load_cases() -> list[Case]:
    """The cases of ``cases.toml``, checked for what would make the comparison silently weaker."""
    with MANIFEST.open("rb") as f:
        entries = tomllib.load(f).get("case", [])
    cases = []
    for entry in entries:
        unknown = set(entry) - {"name", "argv", "via", "stdin", "output", "argparse"}
        assert not unknown, f"{entry.get('name')}: unknown keys {sorted(unknown)} in {MANIFEST.name}"
        case = Case(
            name=entry["name"],
            argv=tuple(entry["argv"]),
            via=entry.get("via", "main"),
            stdin=entry.get("stdin"),
            output=entry.get("output"),
            argparse=entry.get("argparse", False),
        )
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case.name), f"bad case name {case.name!r}"
        assert case.via in ("main", "script"), f"{case.name}: via must be main or script"
        assert case.stdin is None or case.via == "script", f"{case.name}: stdin needs via = 'script'"
        cases.append(case)
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), f"duplicate case names in {MANIFEST.name}"
    return cases


CASES = load_cases()


def recorded_python() -> str | None:
    return PYTHON_FILE.read_text(encoding="utf-8").strip() if PYTHON_FILE.is_file() else None


def data_root() -> Path:
    from alliance_kg import paths

    return paths.data_root()


def normalise(text: str, variable: dict[Path, str]) -> str:
    """``text`` with each of the ``variable`` folders (as given and resolved) replaced by its placeholder,
    the longest path first (the golden folder lies inside the data root in a checkout)."""
    pairs: dict[str, str] = {}
    for path, placeholder in variable.items():
        pairs[str(path)] = placeholder
        pairs[str(path.resolve())] = placeholder
    for path_text in sorted(pairs, key=len, reverse=True):
        text = text.replace(path_text, pairs[path_text])
    return text


# --- running a case -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's reasoning cache, holding the closure of the bundled graph before any case runs.

    It is computed in a subprocess with a fixed ``PYTHONHASHSEED``: owlrl's closure comes out in an order
    that follows Python's string hashing, and the order of a query's results over it (a CONSTRUCT without
    ORDER BY, the sources ``describe --reasoned`` lists) follows the closure's."""
    folder = tmp_path_factory.mktemp("golden-cache")
    env = {**os.environ, "ALLIANCE_KG_CACHE": str(folder), "PYTHONHASHSEED": "0"}
    warm = [sys.executable, "-m", "alliance_kg", "query", "-e", "ASK { ?s ?p ?o }", "--reasoned", "-f", "csv"]
    done = subprocess.run(warm, capture_output=True, cwd=DATA, env=env, timeout=300)
    assert done.returncode == 0, f"warming the reasoning cache failed: {done.stderr.decode()}"
    return folder


@pytest.fixture(autouse=True)
def _environment(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(cache_dir))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("LINES", raising=False)
    monkeypatch.chdir(DATA)


def run_main(capsysbinary: pytest.CaptureFixture[bytes], argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` as conftest's ``run``, and argparse's exits (``--help``, ``--version``) as the console
    script turns them into exit codes."""
    try:
        return run(capsysbinary, *argv)
    except SystemExit as exc:
        captured = capsysbinary.readouterr()
        out, err = captured.out.decode("utf-8"), captured.err.decode("utf-8")
        if isinstance(exc.code, str):
            err += exc.code + "\n"
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        return code, out, err


def run_script(case: Case, argv: list[str]) -> tuple[int, str, str]:
    script = Path(sys.executable).with_name("alliance-kg")
    if not script.is_file():
        pytest.skip(f"the console script is not installed beside {sys.executable}")
    with contextlib.ExitStack() as stack:
        stdin = stack.enter_context((DATA / case.stdin).open("rb")) if case.stdin else subprocess.DEVNULL
        done = subprocess.run(
            [str(script), *argv], stdin=stdin, capture_output=True, cwd=DATA, env=os.environ, timeout=120
        )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def outcome(case: Case, capsysbinary: pytest.CaptureFixture[bytes], tmp: Path, cache: Path) -> dict[str, str]:
    """What the case prints (and writes), normalised, by part."""
    argv = [arg.replace("{tmp}", str(tmp)) for arg in case.argv]
    if case.via == "script":
        code, out, err = run_script(case, argv)
    else:
        code, out, err = run_main(capsysbinary, argv)
    parts = {"stdout": out, "stderr": err, "code": f"{code}\n"}
    if case.output is not None:
        written = tmp / case.output
        parts["output"] = written.read_text(encoding="utf-8") if written.is_file() else "(not written)\n"
    variable = {tmp: "<tmp>", cache: "<cache>", GOLDEN: "<golden>", data_root(): "<root>"}
    return {part: normalise(text, variable) for part, text in parts.items()}


def diff(part: str, expected: str, actual: str) -> str:
    """A unified diff of one part, at most :data:`DIFF_LINES` lines of it, each cut at
    :data:`LINE_WIDTH` characters (JSON results are one line); a change of the final newline alone is said
    in words."""
    if expected.rstrip("\n") == actual.rstrip("\n"):
        ends = {True: "ends with a newline", False: "ends without a newline"}
        return (
            f"{part}: only the end differs: the golden {part} {ends[expected.endswith(chr(10))]}, "
            f"the actual {ends[actual.endswith(chr(10))]} ({len(expected)} and {len(actual)} characters)\n"
        )
    lines = list(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"golden {part}",
            tofile=f"actual {part}",
        )
    )
    shown = []
    for line in lines[:DIFF_LINES]:
        text = line.rstrip("\n")
        if len(text) > LINE_WIDTH:
            text = f"{text[:LINE_WIDTH]} … ({len(text) - LINE_WIDTH} more characters)"
        shown.append(text + ("\n" if line.endswith("\n") else "\n\\ No newline at end of file\n"))
    if len(lines) > DIFF_LINES:
        shown.append(f"… {len(lines) - DIFF_LINES} more lines of diff\n")
    return "".join(shown)


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_golden(
    case: Case, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path, cache_dir: Path
) -> None:
    if case.argparse and not UPDATE and recorded_python() not in (None, PYTHON):
        pytest.skip(f"argparse's text was recorded with Python {recorded_python()}, this is {PYTHON}")
    actual = outcome(case, capsysbinary, tmp_path, cache_dir)
    if UPDATE:
        for part in PARTS:
            path = case.golden(part)
            if part in actual:
                data = actual[part].encode("utf-8")
                if not path.is_file() or path.read_bytes() != data:
                    path.write_bytes(data)
            else:
                path.unlink(missing_ok=True)
        return
    missing = [case.golden(part).name for part in actual if not case.golden(part).is_file()]
    if missing:
        pytest.fail(
            f"no golden files {', '.join(missing)}: "
            f"run `python tests/test_golden.py --update -k {case.name}`",
            pytrace=False,
        )
    report = []
    for part, text in actual.items():
        expected = case.golden(part).read_bytes().decode("utf-8")
        if expected != text:
            report.append(diff(part, expected, text))
    if report:
        pytest.fail(
            f"`alliance-kg {shlex.join(case.argv)}` ({case.via}) differs from tests/golden/{case.name}.*:\n"
            + "".join(report),
            pytrace=False,
        )


def test_cases_cover_every_command() -> None:
    """The manifest is not empty, and runs every subcommand (so that a parametrisation over nothing, or a
    lost section of it, cannot pass)."""
    assert len(CASES) >= 50, f"only {len(CASES)} golden cases in {MANIFEST}"
    commands = {case.argv[0] for case in CASES if case.argv}
    assert set(COMMANDS) <= commands, f"no golden case runs {sorted(set(COMMANDS) - commands)}"
    assert any(case.via == "script" for case in CASES)


def test_no_stray_golden_files() -> None:
    """Every file in tests/golden/ belongs to a case (``--update`` deletes the others) or is the manifest."""
    if UPDATE:
        PYTHON_FILE.write_text(f"{PYTHON}\n", encoding="utf-8")
    names = {case.name for case in CASES}
    stray = []
    for path in sorted(GOLDEN.iterdir()):
        if path.is_dir() or path in (MANIFEST, PYTHON_FILE):
            continue
        if path.suffix.lstrip(".") in PARTS and path.stem in names:
            continue
        if UPDATE:
            path.unlink()
        else:
            stray.append(path.name)
    assert not stray, (
        f"files of no case in tests/golden/ (run `python tests/test_golden.py --update`): {stray}"
    )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--update" in arguments:
        arguments.remove("--update")
        os.environ[UPDATE_VARIABLE] = "1"
        import importlib.util

        spec = importlib.util.find_spec("alliance_kg")
        print(f"regenerating tests/golden/ from {spec.origin if spec else '?'}", file=sys.stderr)
    sys.exit(pytest.main([__file__, "-p", "no:cacheprovider", *arguments]))
