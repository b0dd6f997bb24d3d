"""Stores of a user's large files, cached on disk: the second ``query --data BIG.nt`` opens a store instead
of reading the file again.

``alliance-kg query --data FILE`` reads the bundled graph and FILE into an in-memory Oxigraph store on every
run: a few milliseconds for the bundled graph, seconds for a million triples. When the user's files add up
to :data:`MIN_BYTES` or more, :func:`open_store` keeps the store on disk instead (Oxigraph's RocksDB store),
under ``stores/`` in the cache folder of :mod:`alliance_kg.reasoning`, and opens it read-only next time.

A store is named by a key: the SHA-256 of this module's scheme, the package's version, whether it holds the
OWL 2 RL closure (and the reasoning cache's scheme), and the SHA-256 of the content of every input file, in
order. The content digests are read from ``stores/digests.json`` while a file's size, modification and
change times (nanoseconds), inode and device are those recorded with its digest; otherwise the file is read
and hashed again. A store is built in a temporary folder beside it, its marker file written last, then the
folder is renamed into place: a reader sees a whole store or none, and a store whose marker is missing or
names another key is built again. Only the three stores used last are kept. When the cache cannot be
written (a read-only or full filesystem), the caller reads the files into memory, as for small files, and a
warning says why once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pyoxigraph as ox

from . import __version__

log = logging.getLogger(__name__)

#: The user's files must add up to this many bytes for their store to be kept on disk: below it, reading
#: them is about as fast as opening a store.
MIN_BYTES = 4 * 1024 * 1024
#: How many stores are kept (the ones used last).
KEEP = 3
_SCHEME = "alliance-kg store cache v1"
_MARKER = "alliance-kg-store.json"
_warned: set[str] = set()


def folder() -> Path:
    from .reasoning import cache_dir

    return cache_dir() / "stores"


def worth_caching(extra: Sequence[Path | str]) -> bool:
    """Whether the user's files are large enough for a store on disk (a file that cannot be read is left
    to the in-memory path, which says why)."""
    total = 0
    for path in extra:
        try:
            total += os.stat(path).st_size
        except OSError:
            return False
    return bool(extra) and total >= MIN_BYTES


def _identity(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _digests(files: Sequence[Path]) -> list[str]:
    """The SHA-256 of each file's content: from ``digests.json`` while the file is unchanged since it was
    hashed (same size, times, inode, device), else read and hashed now (and recorded)."""
    index_path = folder() / "digests.json"
    loaded: object = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(index_path.read_text(encoding="utf-8"))
    index: dict[str, object] = loaded if isinstance(loaded, dict) else {}
    digests, changed = [], False
    for path in files:
        resolved = str(path.resolve())
        identity = _identity(os.stat(resolved))
        entry = index.get(resolved)
        if isinstance(entry, dict) and entry.get("stat") == identity and isinstance(entry.get("sha256"), str):
            digests.append(str(entry["sha256"]))
            continue
        digest = _hash_file(path)
        if _identity(os.stat(resolved)) == identity:  # not changed while it was read
            index[resolved] = {"stat": identity, "sha256": digest}
            changed = True
        digests.append(digest)
    if changed:
        with contextlib.suppress(OSError):
            _write_json(index_path, index)
    return digests


def _write_json(target: Path, data: object) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def key(extra: Sequence[Path | str], *, reasoned: bool) -> str:
    """The name of the store of the bundled files and ``extra`` (or of their closure, ``reasoned``)."""
    from . import store
    from .reasoning import _KEY_SCHEME

    files = [*store.bundled_files(), *(Path(p) for p in extra)]
    digest = hashlib.sha256(f"{_SCHEME}; alliance-kg {__version__}\n".encode())
    digest.update(f"reasoned: {_KEY_SCHEME}\n".encode() if reasoned else b"asserted\n")
    for path, content in zip(files, _digests(files), strict=True):
        digest.update(f"{path.resolve()}\0{content}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def open_store(
    extra: Sequence[Path | str], *, reasoned: bool, on_compute: Callable[[], None] | None = None
) -> ox.Store | None:
    """The cached store of the bundled files and ``extra`` (their OWL 2 RL closure with ``reasoned``),
    opened read-only; built first when missing or damaged. ``None`` when the cache cannot be written: the
    caller reads the files into memory."""
    from .errors import DataError

    try:
        name = key(extra, reasoned=reasoned)
    except OSError as exc:  # a file that cannot be read: the in-memory path says so, with its name
        log.debug("no store cache: %s", exc)
        return None
    target = folder() / name
    opened = _open(target, name)
    if opened is not None:
        return opened
    try:
        _build(target, name, extra, reasoned=reasoned, on_compute=on_compute)
    except DataError:
        raise
    except OSError as exc:
        where = str(folder())
        if where not in _warned:
            _warned.add(where)
            log.warning(
                "cannot keep a store in %s: %s; reading the files into memory", where, exc.strerror or exc
            )
        return None
    _evict(keep=name)
    return _open(target, name)


def _open(target: Path, name: str) -> ox.Store | None:
    marker = target / _MARKER
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("key") != name or recorded.get("scheme") != _SCHEME:
        return None
    try:
        store = ox.Store.read_only(str(target))
    except OSError as exc:
        log.warning("the cached store %s cannot be opened (%s); building it again", target, exc)
        return None
    with contextlib.suppress(OSError):
        os.utime(marker)  # the stores used last are the ones kept
    return store


def _build(
    target: Path,
    name: str,
    extra: Sequence[Path | str],
    *,
    reasoned: bool,
    on_compute: Callable[[], None] | None,
) -> None:
    from . import store

    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=parent, prefix=f".{name[:16]}-", suffix=".building"))
    try:
        kg = ox.Store(str(building))
        try:
            if reasoned:
                from .reasoning import closure_bytes

                kg.bulk_load(closure_bytes(extra, on_compute=on_compute), format=ox.RdfFormat.N_TRIPLES)
            else:
                from .rdfinput import bulk_load_into

                for path in [*store.bundled_files(), *extra]:
                    bulk_load_into(kg, path)
            kg.flush()
        except BaseException as exc:
            # the frames of the traceback hold the store open (RocksDB would go on writing into the folder
            # being removed): drop them, close the store, then remove the folder and raise
            exc.__traceback__ = None
            del kg
            shutil.rmtree(building, ignore_errors=True)
            raise exc from None
        del kg  # closes the RocksDB store (its size is not counted: len() reads every quad, 0.15 s at 1M)
        _write_json(building / _MARKER, {"scheme": _SCHEME, "key": name})
        if target.exists():  # a damaged store of the same key (its marker missing or wrong)
            shutil.rmtree(target)
        try:
            os.rename(building, target)
        except OSError:
            if not (target / _MARKER).is_file():  # another process did not just put the same store there
                raise
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)


def _evict(*, keep: str) -> None:
    """Remove the stores but the :data:`KEEP` used last (and builds left by a process that died)."""
    stores = []
    for entry in folder().iterdir():
        if entry.name.endswith(".building"):
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < os.stat(folder()).st_mtime - 3600:
                    shutil.rmtree(entry, ignore_errors=True)
            continue
        marker = entry / _MARKER
        with contextlib.suppress(OSError):
            stores.append((marker.stat().st_mtime, entry))
    stores.sort(reverse=True)
    for _, entry in stores[KEEP:]:
        if entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)
