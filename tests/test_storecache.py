"""The on-disk store cache of large --data files (alliance_kg.storecache): the same answers as reading the
files into memory, a new store when a file changes, and no half-built store whatever fails."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pyoxigraph as ox
import pytest

from alliance_kg import catalogue, params, rdfinput, storecache
from alliance_kg import store as engine
from alliance_kg.errors import DataError

FIGURE = """\
@prefix akg: <https://w3id.org/alliance-kg/ontology#> .
@prefix ex: <https://example.org/> .
ex:thing a akg:VehicleModel ; akg:name "Cached {n}"@en ; ex:nested [ ex:value {n} ] .
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(folder))
    monkeypatch.setattr(storecache, "MIN_BYTES", 1)  # any file is "large"
    return folder / "stores"


def user_file(folder: Path, n: int = 1, name: str = "mine.ttl") -> Path:
    path = folder / name
    path.write_text(FIGURE.format(n=n), encoding="utf-8")
    return path


def answers(kg: ox.Store) -> dict[str, object]:
    """Every catalogue SELECT and ASK query's answer on ``kg``, as comparable values."""
    out: dict[str, object] = {}
    for named in catalogue.catalogue():
        result = engine.run_query(kg, named.text, params.bind(named, {}, kg))
        if isinstance(result, ox.QueryBoolean):
            out[named.name] = bool(result)
        elif isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            # blank nodes are labelled differently by the two stores: compare them as "a blank node"
            out[named.name] = sorted(
                tuple("_:" if isinstance(row[v], ox.BlankNode) else str(row[v]) for v in variables)
                for row in result
            )
    return out


def test_a_cached_store_answers_as_the_files_read_into_memory(cache: Path, tmp_path: Path) -> None:
    mine = user_file(tmp_path)
    memory = ox.Store()
    for path in [*engine.bundled_files(), mine]:
        rdfinput.load_into(memory, path)
    built = storecache.open_store([mine], reasoned=False)
    assert built is not None
    assert [p.name for p in cache.iterdir() if p.is_dir()] == [storecache.key([mine], reasoned=False)]
    again = storecache.open_store([mine], reasoned=False)
    assert again is not None
    with pytest.raises(RuntimeError, match="read-write"):  # opened read-only: nothing can change it
        again.add(
            ox.Quad(
                ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/b"), ox.Literal("c")
            )
        )
    expected = answers(memory)
    assert len(expected) >= 25
    assert answers(built) == expected
    assert answers(again) == expected
    assert len(again) == len(memory)


def test_engine_open_store_uses_the_cache_only_for_large_files(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = user_file(tmp_path)
    monkeypatch.setattr(storecache, "MIN_BYTES", mine.stat().st_size + 1)
    engine.open_store(extra=[mine])
    assert not cache.exists()  # small: read into memory
    monkeypatch.setattr(storecache, "MIN_BYTES", mine.stat().st_size)
    kg = engine.open_store(extra=[mine])
    assert cache.is_dir() and len(kg) == len(engine.open_store(extra=[mine]))


def test_a_changed_file_gets_a_new_store_and_only_three_are_kept(cache: Path, tmp_path: Path) -> None:
    mine = user_file(tmp_path, 1)
    keys = []
    for n in range(1, 6):
        mine.write_text(FIGURE.format(n=n), encoding="utf-8")
        kg = storecache.open_store([mine], reasoned=False)
        assert kg is not None
        names = {
            str(row["n"].value)
            for row in kg.query(
                "SELECT ?n WHERE { <https://example.org/thing> akg:name ?n }",
                prefixes={"akg": "https://w3id.org/alliance-kg/ontology#"},
            )
        }
        assert names == {f"Cached {n}"}
        keys.append(storecache.key([mine], reasoned=False))
    assert len(set(keys)) == 5
    kept = sorted(p.name for p in cache.iterdir() if p.is_dir())
    assert len(kept) == storecache.KEEP and keys[-1] in kept


def test_an_unchanged_file_is_not_hashed_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = user_file(tmp_path)
    storecache.open_store([mine], reasoned=False)
    hashed: list[Path] = []
    real = storecache._hash_file
    monkeypatch.setattr(storecache, "_hash_file", lambda path: hashed.append(path) or real(path))
    storecache.open_store([mine], reasoned=False)
    assert hashed == []
    mine.write_text(FIGURE.format(n=1), encoding="utf-8")  # the same bytes, rewritten: its times change
    storecache.open_store([mine], reasoned=False)
    assert hashed == [mine]


def test_a_damaged_store_is_built_again(cache: Path, tmp_path: Path) -> None:
    mine = user_file(tmp_path)
    storecache.open_store([mine], reasoned=False)
    (target,) = [p for p in cache.iterdir() if p.is_dir()]
    marker = target / "alliance-kg-store.json"
    for damage in ("", "{not json", json.dumps({"scheme": "other", "key": target.name})):
        marker.write_text(damage, encoding="utf-8")
        kg = storecache.open_store([mine], reasoned=False)
        assert kg is not None and len(kg) > 4000
        assert json.loads(marker.read_text(encoding="utf-8"))["key"] == target.name


def test_a_refused_file_leaves_no_store(cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <https://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.ttl"):
        storecache.open_store([bad], reasoned=False)
    assert [p for p in cache.iterdir() if p.is_dir()] == []


def test_a_build_killed_half_way_leaves_no_store(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = user_file(tmp_path)
    calls = []

    def dies(kg: ox.Store, path: Path | str, **_: object) -> None:
        calls.append(path)
        if len(calls) == 3:  # after two files went in
            raise KeyboardInterrupt
        rdfinput.bulk_load_into(kg, path)

    monkeypatch.setattr(rdfinput, "bulk_load_into", dies)
    with pytest.raises(KeyboardInterrupt):
        storecache.open_store([mine], reasoned=False)
    assert [p for p in cache.iterdir() if p.is_dir()] == []
    monkeypatch.undo()
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(cache.parent))
    monkeypatch.setattr(storecache, "MIN_BYTES", 1)
    kg = storecache.open_store([mine], reasoned=False)
    assert kg is not None and len(kg) > 4000


def test_an_unwritable_cache_reads_into_memory_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ALLIANCE_KG_CACHE", str(blocked))
    monkeypatch.setattr(storecache, "MIN_BYTES", 1)
    monkeypatch.setattr(storecache, "_warned", set())
    mine = user_file(tmp_path)
    with caplog.at_level(logging.WARNING, logger="alliance_kg.storecache"):
        assert storecache.open_store([mine], reasoned=False) is None
        assert storecache.open_store([mine], reasoned=False) is None
        kg = engine.open_store(extra=[mine])
    assert len(kg) > 4000
    assert len([r for r in caplog.records if "cannot keep a store" in r.getMessage()]) == 1


def test_a_reasoned_store_holds_the_closure(cache: Path, tmp_path: Path) -> None:
    from alliance_kg.reasoning import closure_bytes

    mine = user_file(tmp_path)
    kg = storecache.open_store([mine], reasoned=True)
    assert kg is not None
    assert len(kg) == closure_bytes([mine]).count(b"\n")  # closure_bytes: without the cache trailer
