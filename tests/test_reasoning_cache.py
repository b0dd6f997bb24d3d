"""The reasoning cache verifies itself (issue 9).

The cache file is N-Triples whose last line is a comment naming the cache key, the triple count and the
SHA-256 of everything before it. Whatever damage the file has (cut at any byte or at a line end, empty,
spliced with other N-Triples, another file's checksum, garbage), a reasoned query gives the real answer,
says on stderr that the cache was invalid and rebuilt, and leaves a valid cache behind; a cache that
cannot be written (a file where the folder should be, /proc, /sys, a read-only or a full filesystem) is
computed in memory with one warning. Every answer is checked against tests/expected/.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_kg import reasoning
from alliance_kg.cli import main

EXPECTED = Path(__file__).parent / "expected" / "list-employers.srj"
QUERY_FILE = Path(__file__).resolve().parent.parent / "queries" / "list-employers.rq"
QUERY = ["query", "list-employers", "--format", "csv"]  # the catalogue query marked `reasoned: yes`
SCRIPT = Path(sys.executable).with_name("alliance-kg")

TRAILER = re.compile(
    rb"# alliance-kg reasoning cache v1 key=([0-9a-f]{64}) triples=([0-9]+) sha256=([0-9a-f]{64})\n"
)

PERSON = "https://w3id.org/alliance-kg/id/person/mallory"
#: Valid N-Triples that, if trusted, would add a row to list-employers.
OTHER = (
    f"<{PERSON}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.org/Person> .\n"
    f"<{PERSON}> <https://schema.org/worksFor> <https://w3id.org/alliance-kg/id/organisation/nissan> .\n"
    f'<{PERSON}> <https://schema.org/name> "Mallory" .\n'
).encode()


def expected_rows() -> list[list[str]]:
    """The CSV rows of tests/expected/list-employers.srj, header first."""
    doc = json.loads(EXPECTED.read_text(encoding="utf-8"))
    names = doc["head"]["vars"]
    return [names, *([b[n]["value"] for n in names] for b in doc["results"]["bindings"])]


def csv_rows(out: bytes | str) -> list[list[str]]:
    text = out.decode("utf-8") if isinstance(out, bytes) else out
    return list(csv.reader(io.StringIO(text)))


def trailer(body: bytes, key: str) -> bytes:
    return b"# alliance-kg reasoning cache v1 key=%s triples=%d sha256=%s\n" % (
        key.encode(),
        body.count(b"\n"),
        hashlib.sha256(body).hexdigest().encode(),
    )


def cache_file() -> Path:
    return reasoning.cache_dir() / f"closure-{reasoning.closure_key()}.nt"


def assert_valid_cache(path: Path, triples: int) -> bytes:
    """Check the file on its own terms (not with the code under test): trailer, key, count, checksum."""
    data = path.read_bytes()
    cut = data.rfind(b"\n", 0, len(data) - 1) + 1
    body, last = data[:cut], data[cut:]
    match = TRAILER.fullmatch(last)
    assert match, f"no checksum trailer at the end of {path}: {last[-200:]!r}"
    assert match[1].decode() == reasoning.closure_key()
    assert int(match[2]) == body.count(b"\n") == triples
    assert match[3].decode() == hashlib.sha256(body).hexdigest()
    assert not list(path.parent.glob(".closure-*")), "a temporary file was left behind"
    return body


def messages(capsysbinary: pytest.CaptureFixture[bytes], caplog: pytest.LogCaptureFixture) -> list[str]:
    """What was said on stderr, whether printed or logged (pytest's handler takes the logged lines)."""
    err = capsysbinary.readouterr().err.decode("utf-8")
    lines = [line for line in err.splitlines() if line.strip()] + [r.getMessage() for r in caplog.records]
    caplog.clear()
    return lines


def _triples(data: bytes) -> list[ox.Quad]:
    return list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))


# --- fixtures -------------------------------------------------------------------------------------------


class Pristine(bytes):
    """A valid cache file's bytes, shown briefly (hypothesis prints the arguments of a failing case)."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes of a valid cache file>"


@pytest.fixture(scope="module")
def graph():  # -> rdflib.Graph
    """The closure, computed once for the module (rebuilding the cache reuses it)."""
    return reasoning.closure()


@pytest.fixture
def computed(graph, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each call of the (expensive) closure computation appends to this list."""
    calls: list[int] = []

    def closure(extra=(), *, check: bool = True):
        calls.append(1)
        return graph

    monkeypatch.setattr(reasoning, "closure", closure)
    return calls


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(tmp_path / "cache"))
    caplog.set_level(logging.WARNING)


@pytest.fixture
def pristine(computed: list[int], graph, capsysbinary, caplog) -> Pristine:
    """A valid cache file, written by a first reasoned query."""
    code = main(QUERY)
    assert code == 0 and csv_rows(capsysbinary.readouterr().out) == expected_rows()
    assert messages(capsysbinary, caplog) == [], "a fresh cache needs no warning"
    assert computed == [1]
    computed.clear()
    return Pristine(cache_file().read_bytes())


def test_a_fresh_cache_carries_its_key_count_and_checksum(pristine: bytes, graph) -> None:
    body = assert_valid_cache(cache_file(), len(graph))
    assert len(_triples(body)) == len(graph)


# --- a damaged cache is detected, rebuilt, and the answer stays right ----------------------------------


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _body(data: bytes) -> bytes:
    return b"".join(_lines(data)[:-1])


def _cut_mid_line(data: bytes) -> bytes:
    i = len(data) // 2
    while data[i - 1 : i] == b"\n":
        i += 1
    return data[:i]


def _flip_a_name(data: bytes) -> bytes:
    i = data.index(b'"Takao Kato"') + 7
    return data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1 :]


def _another_key(data: bytes) -> bytes:
    """A self-consistent cache file for other inputs, under this file's name."""
    body = _body(data) + OTHER
    return body + trailer(body, "0" * 64)


def _other_checksum(data: bytes) -> bytes:
    """This file's body with the trailer of another content."""
    return _body(data) + trailer(_body(data) + OTHER, reasoning.closure_key())


def _trailer_only(data: bytes) -> bytes:
    return trailer(b"", reasoning.closure_key())


DAMAGE: list = [
    pytest.param(_cut_mid_line, id="truncated-mid-line"),
    pytest.param(lambda d: b"".join(_lines(d)[:100]), id="cut-at-a-line-end"),
    pytest.param(_body, id="trailer-missing"),
    pytest.param(lambda d: d[:-1], id="last-newline-missing"),
    pytest.param(lambda d: b"", id="empty"),
    pytest.param(lambda d: b"\0" * len(d), id="zeros"),
    pytest.param(lambda d: random.Random(9).randbytes(5000), id="garbage"),
    pytest.param(lambda d: b"".join(_lines(d)[: len(_lines(d)) // 2]) + OTHER, id="spliced-with-other-nt"),
    pytest.param(lambda d: d + OTHER, id="other-nt-appended"),
    pytest.param(lambda d: OTHER + d, id="other-nt-prepended"),
    pytest.param(_flip_a_name, id="one-byte-flipped"),
    pytest.param(_other_checksum, id="checksum-of-another-content"),
    pytest.param(_another_key, id="valid-file-of-another-key"),
    pytest.param(_trailer_only, id="trailer-of-an-empty-body"),
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_cache_is_rebuilt_and_the_answer_is_right(
    damage: Callable[[bytes], bytes], pristine: bytes, computed: list[int], graph, capsysbinary, caplog
) -> None:
    target = cache_file()
    target.write_bytes(damage(pristine))
    code = main(QUERY)
    out = capsysbinary.readouterr().out
    assert (code, csv_rows(out)) == (0, expected_rows())
    said = messages(capsysbinary, caplog)
    assert len(said) == 1 and "invalid" in said[0] and "rebuilt" in said[0] and str(target) in said[0], said
    assert computed == [1], "the closure must be recomputed exactly once"
    assert_valid_cache(target, len(graph))
    # and the rebuilt cache is now trusted: no recomputation, no warning
    assert main(QUERY) == 0 and csv_rows(capsysbinary.readouterr().out) == expected_rows()
    assert computed == [1] and messages(capsysbinary, caplog) == []


@pytest.mark.parametrize("damage", [DAMAGE[1], DAMAGE[4], DAMAGE[7]])
def test_served_dataset_survives_a_damaged_cache(
    damage: Callable[[bytes], bytes], pristine: bytes, computed: list[int], graph, caplog
) -> None:
    from alliance_kg.server import dataset

    healthy = dataset.load()
    cache_file().write_bytes(damage(pristine))
    served = dataset.load()
    assert served.graph_sizes == healthy.graph_sizes
    assert served_employers(served.dataset) == expected_rows()
    assert any("invalid" in r.getMessage() for r in caplog.records)
    assert_valid_cache(cache_file(), len(graph))


def served_employers(store: ox.Store) -> list[list[str]]:
    """list-employers over every graph of the served dataset (what --reasoned answers)."""
    result = store.query(QUERY_FILE.read_text(encoding="utf-8"), use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [names, *([row[n].value for n in names] for row in result)]


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_damage_anywhere_is_caught(
    data: st.DataObject, pristine: bytes, computed: list[int], graph, capsysbinary, caplog
) -> None:
    offset = data.draw(st.integers(0, len(pristine) - 1), label="offset")
    kind = data.draw(st.sampled_from(["cut", "flip", "delete", "insert"]), label="kind")
    if kind == "cut":
        damaged = pristine[:offset]
    elif kind == "flip":
        damaged = pristine[:offset] + bytes([pristine[offset] ^ data.draw(st.integers(1, 255))])
        damaged += pristine[offset + 1 :]
    elif kind == "delete":
        damaged = pristine[:offset] + pristine[offset + data.draw(st.integers(1, 300)) :]
    else:
        insert = data.draw(st.one_of(st.binary(min_size=1, max_size=40), st.sampled_from(_lines(OTHER))))
        damaged = pristine[:offset] + insert + pristine[offset:]
    target = cache_file()
    target.write_bytes(damaged)
    computed.clear()
    messages(capsysbinary, caplog)
    code = main(QUERY)
    assert (code, csv_rows(capsysbinary.readouterr().out)) == (0, expected_rows())
    said = messages(capsysbinary, caplog)
    assert computed == [1] and len(said) == 1 and "invalid" in said[0], said
    assert_valid_cache(target, len(graph))


# --- a cache that cannot be written: computed in memory, one warning ------------------------------------


@contextlib.contextmanager
def _mounted(where: Path, options: str) -> Iterator[Path]:
    where.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@contextlib.contextmanager
def _regular_file(tmp: Path) -> Iterator[Path]:
    (tmp / "a-file").write_text("not a folder\n")
    yield tmp / "a-file"


@contextlib.contextmanager
def _under_a_file(tmp: Path) -> Iterator[Path]:
    (tmp / "a-file").write_text("not a folder\n")
    yield tmp / "a-file" / "cache"


@contextlib.contextmanager
def _read_only_fs(tmp: Path) -> Iterator[Path]:
    with _mounted(tmp / "ro", "ro,size=1m") as where:
        yield where / "cache"


@contextlib.contextmanager
def _full_fs(tmp: Path) -> Iterator[Path]:
    with _mounted(tmp / "full", "size=64k") as where:
        yield where


@contextlib.contextmanager
def _fixed(path: str) -> Iterator[Path]:
    yield Path(path)


UNWRITABLE: list = [
    pytest.param(_regular_file, id="cache-is-a-file"),
    pytest.param(_under_a_file, id="cache-under-a-file"),
    pytest.param(lambda tmp: _fixed("/proc/alliance-kg-cache"), id="under-proc"),
    pytest.param(lambda tmp: _fixed("/sys/alliance-kg-cache"), id="under-sys"),
    pytest.param(_read_only_fs, id="read-only-filesystem"),
    pytest.param(_full_fs, id="no-space-left"),
]


@pytest.mark.parametrize("where", UNWRITABLE)
def test_unwritable_cache_computes_in_memory_and_warns_once(
    where, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, computed: list[int], capsysbinary, caplog
) -> None:
    with where(tmp_path) as cache:
        monkeypatch.setenv("ALLIANCE_KG_CACHE", str(cache))
        for _ in range(2):
            code = main(QUERY)
            assert (code, csv_rows(capsysbinary.readouterr().out)) == (0, expected_rows())
        said = messages(capsysbinary, caplog)
        assert len(said) == 1, said
        assert said[0].startswith(f"cannot write the reasoning cache at {cache}")
        assert said[0].endswith("; computing in memory")
        assert computed == [1], "computed once per process, then kept in memory"
        if cache.is_dir():
            assert not list(cache.iterdir()), "nothing may be left in a cache that could not be written"


def test_folder_where_the_cache_file_should_be(
    pristine: bytes, computed: list[int], capsysbinary, caplog
) -> None:
    target = cache_file()
    target.unlink()
    (target / "something").mkdir(parents=True)
    code = main(QUERY)
    assert (code, csv_rows(capsysbinary.readouterr().out)) == (0, expected_rows())
    said = messages(capsysbinary, caplog)
    assert len(said) == 1 and said[0].startswith(f"cannot write the reasoning cache at {target}"), said
    assert (target / "something").is_dir(), "the folder is left alone"


def test_served_dataset_with_an_unwritable_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, computed: list[int], caplog
) -> None:
    from alliance_kg.server import dataset

    healthy = dataset.load()
    (tmp_path / "a-file").write_text("x\n")
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(tmp_path / "a-file"))
    served = dataset.load()
    assert served.graph_sizes == healthy.graph_sizes
    assert served_employers(served.dataset) == expected_rows()
    assert [r.getMessage() for r in caplog.records if "cannot write the reasoning cache" in r.getMessage()]


# --- the functions callers use ---------------------------------------------------------------------------


def test_closure_bytes_is_the_verified_content(pristine: bytes, computed: list[int], graph) -> None:
    data = reasoning.closure_bytes()
    assert data == _body(pristine) and computed == []
    assert len(_triples(data)) == len(graph)
    cache_file().write_bytes(b"")
    assert reasoning.closure_bytes() == data and computed == [1]


def test_closure_bytes_reports_a_computation(computed: list[int]) -> None:
    said: list[str] = []
    first = reasoning.closure_bytes(on_compute=lambda: said.append("computing"))
    second = reasoning.closure_bytes(on_compute=lambda: said.append("computing"))
    assert first == second and said == ["computing"] and computed == [1]


def test_cached_closure_path_without_a_writable_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, computed: list[int], graph, caplog
) -> None:
    (tmp_path / "a-file").write_text("x\n")
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(tmp_path / "a-file"))
    path = reasoning.cached_closure()
    assert len(_triples(path.read_bytes())) == len(graph)
    kg = ox.Store()
    kg.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    assert len(kg) == len(graph)
    assert reasoning.cached_closure().read_bytes() == path.read_bytes() and computed == [1]


# --- real processes: the console script, and several at once -------------------------------------------


def _script(cache: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALLIANCE_KG_CACHE": str(cache)}
    done = subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True, check=False, env=env)
    done.stderr = _without_progress(done.stderr)
    return done


#: What the CLI says on stderr while a cold closure takes over a second to compute (only progress).
PROGRESS = "computing the OWL 2 RL closure (cached for next time)…\n"


def _without_progress(stderr: str) -> str:
    """stderr less the progress line, which may or may not appear (it depends on the machine's speed)."""
    return stderr.replace(PROGRESS, "", 1)


def test_console_script_with_a_damaged_then_an_unwritable_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _script(cache, *QUERY)
    assert (first.returncode, csv_rows(first.stdout), first.stderr) == (0, expected_rows(), "")
    (target,) = cache.glob("closure-*.nt")
    target.write_bytes(b"".join(_lines(target.read_bytes())[:100]))
    damaged = _script(cache, *QUERY)
    assert (damaged.returncode, csv_rows(damaged.stdout)) == (0, expected_rows())
    assert damaged.stderr.count("\n") == 1 and "invalid" in damaged.stderr and "rebuilt" in damaged.stderr
    (tmp_path / "a-file").write_text("x\n")
    unwritable = _script(tmp_path / "a-file", *QUERY)
    assert (unwritable.returncode, csv_rows(unwritable.stdout)) == (0, expected_rows())
    said = unwritable.stderr
    assert said.count("\n") == 1 and said.endswith("; computing in memory\n"), said
    assert said.startswith(f"cannot write the reasoning cache at {tmp_path / 'a-file'}: "), said


def test_concurrent_processes_do_not_corrupt_the_cache(tmp_path: Path, graph) -> None:
    """Four processes on a cold cache, started half a second apart: some write while others read."""
    cache = tmp_path / "cache"
    env = {**os.environ, "ALLIANCE_KG_CACHE": str(cache)}
    procs = []
    for _ in range(4):
        procs.append(
            subprocess.Popen([str(SCRIPT), *QUERY], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        )
        time.sleep(0.5)
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        said = _without_progress(err.decode("utf-8"))
        assert (proc.returncode, csv_rows(out), said) == (0, expected_rows(), "")
    (target,) = cache.glob("closure-*.nt")
    data = target.read_bytes()
    cut = data.rfind(b"\n", 0, len(data) - 1) + 1
    match = TRAILER.fullmatch(data[cut:])
    assert match and match[3].decode() == hashlib.sha256(data[:cut]).hexdigest()
    assert int(match[2]) == len(graph)
    assert not list(cache.glob(".closure-*")), "a temporary file was left behind"


def test_the_cached_closure_is_the_same_bytes_under_any_hash_seed(tmp_path: Path) -> None:
    """rdflib writes in hash-randomised set order: the cache is sorted, so what reads it in file order (a
    CONSTRUCT over the closure, the sources of a description) does not vary from one cache build to the
    next."""
    import os
    import subprocess
    import sys

    bodies = set()
    for seed in ("1", "2"):
        cache = tmp_path / seed
        subprocess.run(
            [sys.executable, "-c", "from alliance_kg import reasoning; reasoning.closure_bytes(())"],
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "ALLIANCE_KG_CACHE": str(cache)},
        )
        (written,) = cache.glob("closure-*.nt")
        bodies.add(written.read_bytes())
    assert len(bodies) == 1
