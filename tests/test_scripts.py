"""The shell scripts parse, and scripts/setup-peers waits for the dpkg lock instead of dying at once."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
SCRIPT_FILES = sorted(
    p for p in SCRIPTS.iterdir() if p.is_file() and p.read_text(encoding="utf-8").startswith("#!")
)
SHELL = [p for p in SCRIPT_FILES if re.match(r"#!\S*(/env\s+)?\S*\b(ba)?sh\b", p.read_text(encoding="utf-8"))]
PYTHON = [p for p in SCRIPT_FILES if "python" in p.read_text(encoding="utf-8").splitlines()[0]]


def test_every_script_is_shell_or_python() -> None:
    assert SHELL and PYTHON
    assert sorted(SHELL + PYTHON) == SCRIPT_FILES


@pytest.mark.parametrize("script", SHELL, ids=[p.name for p in SHELL])
def test_the_script_parses(script: Path) -> None:
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("script", PYTHON, ids=[p.name for p in PYTHON])
def test_the_python_script_compiles(script: Path) -> None:
    compile(script.read_text(encoding="utf-8"), str(script), "exec")


def test_setup_peers_waits_for_the_dpkg_lock() -> None:
    """Every apt-get call gets DPkg::Lock::Timeout (through $apt), and the script waits on the lock files
    with fuser first: another apt holding the lock (unattended-upgrades) is waited for, up to 5 minutes."""
    text = (SCRIPTS / "setup-peers").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert 'apt="apt-get -o DPkg::Lock::Timeout=300"' in code
    assert re.findall(r"\bapt-get\b", code) == ["apt-get", "apt-get"], "apt-get called without the timeout"
    assert "$apt update" in code and "$apt install" in code
    assert "fuser /var/lib/dpkg/lock-frontend" in code
