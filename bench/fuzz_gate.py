"""A longer run of the query gate's differential fuzz tests (tests/test_gate.py): by default 2,000
generated attacks each against Oxigraph-as-oracle and against a running server, instead of the suite's 60.

    .venv/bin/python bench/fuzz_gate.py [EXAMPLES]

Prints the number of examples, the time taken and pytest's verdict; exits with pytest's code.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest


def main(argv: list[str]) -> int:
    examples = int(argv[0]) if argv else 2000
    os.environ["GATE_FUZZ_EXAMPLES"] = str(examples)
    tests = Path(__file__).resolve().parent.parent / "tests" / "test_gate.py"
    started = time.monotonic()
    code = pytest.main([str(tests), "-q", "-p", "no:cacheprovider", "-k", "fuzz"])
    seconds = time.monotonic() - started
    print(
        f"gate fuzz: {examples:,} examples x 2 tests in {seconds:.1f} s "
        f"({2 * examples / seconds:.0f}/s); exit {code}"
    )
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
