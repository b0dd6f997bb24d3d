"""A release people can cite: ``alliance-kg export --release DIR``.

One folder holds the dataset in every export format — N-Quads and TriG (one named graph per part), Turtle,
N-Triples, JSON-LD and RDF/XML (the default graph) — each byte for byte what ``alliance-kg export --format``
writes, each also gzipped (``alliance-kg.nq.gz``…), and:

* ``SHA256SUMS``: the SHA-256 of every other file of the folder, in the format ``sha256sum -c SHA256SUMS``
  checks (``<hex digest>  <name>``, sorted by name);
* ``void.ttl``: the dataset's VoID/DCAT description (:mod:`alliance_kg.void`: counts, vocabularies,
  licence, version, publisher) with one ``dcat:Distribution`` per data file: its ``dcat:downloadURL``,
  ``dcat:byteSize``, ``dcat:mediaType`` (the RDF media type; a gzipped file also has ``dcat:compressFormat``
  ``application/gzip``), ``dcterms:license`` and an ``spdx:checksum``, an ``spdx:Checksum`` node with
  ``spdx:algorithm spdx:checksumAlgorithm_sha256`` and ``spdx:checksumValue``.

Download URLs are absolute: ``base_url`` followed by the file name. By default ``base_url`` is
``https://w3id.org/alliance-kg/release/<version>/``, where the release is meant to be published (the w3id
redirect is not registered yet, like the project's other IRIs); give the folder's own address with
``--base-url`` to publish it elsewhere. Nothing depends on the clock: the same graph gives the same bytes
(gzip headers carry no time and no file name).

Writing is atomic: everything goes into a temporary folder beside ``DIR``, flushed to disk, which is then
renamed to ``DIR``; on any error the temporary folder is removed and ``DIR`` is as it was. An existing empty
folder is replaced. A non-empty one is refused (exit 2) unless ``force`` is given, and even then only if it
holds nothing but the files a release writes (so that ``--force`` can never delete someone's other files).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

TYPE_CHECKING = False  # typing itself costs a command-line query milliseconds to import
if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

SPDX = "http://spdx.org/rdf/terms#"
#: The export formats of a release, in the order they are listed (the keys of ``alliance_kg.export.FORMATS``).
RELEASE_FORMATS = ("nq", "trig", "ttl", "nt", "jsonld", "xml")
SUMS = "SHA256SUMS"
DESCRIPTION = "void.ttl"
GZIP_MEDIA_TYPE = "application/gzip"


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: its name in the folder, size in bytes, SHA-256 (hex) and media type; a
    gzipped file names the format it compresses (``compressed``)."""

    name: str
    size: int
    sha256: str
    media_type: str
    compressed: bool = False


@dataclass(frozen=True)
class Release:
    """What :func:`write_release` wrote: the folder, the base of the download URLs, the data files
    described in ``void.ttl`` (plain and gzipped, in order), and every file of the folder by name."""

    directory: Path
    base_url: str
    version: str
    distributions: tuple[ReleaseFile, ...]
    files: tuple[str, ...]

    @property
    def total_bytes(self) -> int:
        return sum((self.directory / name).stat().st_size for name in self.files)


def default_base_url(version: str) -> str:
    from .namespaces import BASE

    return f"{BASE}release/{version}/"


def expected_names() -> frozenset[str]:
    """The names of every file a release folder holds."""
    from .void import DUMP_FORMATS

    names = {DUMP_FORMATS[f][0] for f in RELEASE_FORMATS}
    return frozenset(names | {n + ".gz" for n in names} | {SUMS, DESCRIPTION})


def _check_target(target: Path, force: bool) -> bool:
    """Refuse what cannot be replaced; True if ``target`` exists (an empty folder, or a release with
    ``force``)."""
    if not os.path.lexists(target):
        if not target.parent.is_dir():
            raise UsageError(f"cannot write the release to {target}: folder {target.parent} does not exist")
        return False
    if target.is_symlink() or not target.is_dir():
        raise UsageError(f"cannot write the release to {target}: it exists and is not a folder")
    entries = sorted(os.listdir(target))
    if not entries:
        return True
    if not force:
        raise UsageError(
            f"cannot write the release to {target}: the folder is not empty ({len(entries)} entries); "
            "give --force to replace a previous release there, or choose a new folder"
        )
    strangers = [e for e in entries if e not in expected_names() or not (target / e).is_file()]
    if strangers:
        shown = ", ".join(strangers[:5]) + (" …" if len(strangers) > 5 else "")
        raise UsageError(
            f"cannot write the release to {target}: --force replaces a previous release only, and the "
            f"folder holds other things too ({shown})"
        )
    return True


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    with contextlib.suppress(OSError):  # where the system allows it
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write(folder: Path, name: str, data: bytes) -> None:
    with open(folder / name, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _contents(extra: Sequence[Path | str]) -> dict[str, bytes]:
    """Each export format's bytes, as ``alliance-kg export --format F`` writes them."""
    from . import export, layout

    built = layout.build(extra)
    return {fmt: export.export_layout(built, fmt) for fmt in RELEASE_FORMATS}


def describe(
    distributions: Sequence[ReleaseFile], base_url: str, *, extra: Sequence[Path | str] = ()
) -> Graph:
    """The VoID/DCAT description of the dataset (:func:`alliance_kg.void.describe`, without its default
    dumps) with one ``dcat:Distribution`` per file of ``distributions``, downloadable at ``base_url``."""
    from rdflib import Literal, URIRef

    from . import void
    from .namespaces import DCTERMS, RDF, XSD

    out = void.describe(void.dataset(extra=extra), dumps=None)
    out.bind("spdx", SPDX)
    ds = URIRef(void.DATASET)
    titles = {void.DUMP_FORMATS[f][0]: void.DUMP_FORMATS[f][2] for f in RELEASE_FORMATS}

    def add(s: URIRef, p: str, o: Node) -> None:
        out.add((s, URIRef(p), o))

    for file in distributions:
        slug = file.name.replace(".", "-")
        node = URIRef(f"{void.DATASET}#release-{slug}")
        checksum = URIRef(f"{void.DATASET}#release-{slug}-sha256")
        url = URIRef(base_url + file.name)
        plain = file.name.removesuffix(".gz")
        title = titles[plain] + (", gzipped" if file.compressed else "")
        add(ds, void.VOID + "dataDump", url)
        add(ds, void.DCAT + "distribution", node)
        add(node, RDF + "type", URIRef(void.DCAT + "Distribution"))
        add(node, DCTERMS + "title", Literal(title, lang="en"))
        add(node, void.DCAT + "downloadURL", url)
        add(node, void.DCAT + "mediaType", URIRef(void.MEDIA_TYPES + file.media_type))
        if file.compressed:
            add(node, void.DCAT + "compressFormat", URIRef(void.MEDIA_TYPES + GZIP_MEDIA_TYPE))
        add(node, void.DCAT + "byteSize", Literal(file.size, datatype=URIRef(XSD + "nonNegativeInteger")))
        add(node, DCTERMS + "license", URIRef(void.LICENSE))
        add(node, SPDX + "checksum", checksum)
        add(checksum, RDF + "type", URIRef(SPDX + "Checksum"))
        add(checksum, SPDX + "algorithm", URIRef(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", Literal(file.sha256, datatype=URIRef(XSD + "hexBinary")))
    return out


def _turtle(graph: Graph) -> bytes:
    """Turtle as ``alliance-kg export`` writes it (canonical and sorted), with the ``spdx:`` prefix too."""
    from .export import _canonical

    ordered = _canonical(graph)
    ordered.bind("spdx", SPDX)
    return ordered.serialize(format="turtle", encoding="utf-8")


def write_release(
    target: Path | str,
    *,
    base_url: str | None = None,
    force: bool = False,
    extra: Sequence[Path | str] = (),
) -> Release:
    """Write a release of the dataset (and of the user's ``extra`` files) into the folder ``target``,
    atomically; see the module's description. Refusals raise UsageError (exit code 2)."""
    from . import __version__
    from .void import DUMP_FORMATS

    target = Path(target)
    base_url = base_url or default_base_url(__version__)
    if not base_url.startswith(("http://", "https://")) or not base_url.endswith("/"):
        raise UsageError(f"--base-url must be an http(s) URL ending in '/', not {base_url!r}")
    exists = _check_target(target, force)
    contents = _contents(extra)  # before the temporary folder: a bad --data file leaves nothing behind
    folder = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    old: Path | None = None
    try:
        folder.mkdir()
        distributions: list[ReleaseFile] = []
        for fmt in RELEASE_FORMATS:
            name, media_type, _ = DUMP_FORMATS[fmt]
            for compressed, data in (
                (False, contents[fmt]),
                (True, gzip.compress(contents[fmt], 9, mtime=0)),
            ):
                file = ReleaseFile(
                    name + (".gz" if compressed else ""),
                    len(data),
                    hashlib.sha256(data).hexdigest(),
                    media_type,
                    compressed,
                )
                _write(folder, file.name, data)
                distributions.append(file)
        description = _turtle(describe(distributions, base_url, extra=extra))
        _write(folder, DESCRIPTION, description)
        sums = [(f.name, f.sha256) for f in distributions]
        sums.append((DESCRIPTION, hashlib.sha256(description).hexdigest()))
        _write(folder, SUMS, "".join(f"{digest}  {name}\n" for name, digest in sorted(sums)).encode("ascii"))
        _fsync(folder)
        if exists:  # an empty folder, or a previous release given --force: set aside, then removed
            old = target.parent / f".{target.name}.{secrets.token_hex(4)}.old"
            os.rename(target, old)
        try:
            os.rename(folder, target)
        except OSError:
            if old is not None:
                os.rename(old, target)
                old = None
            raise
        _fsync(target.parent)
    except OSError as exc:
        raise UsageError(f"cannot write the release to {target}: {exc.strerror or exc}") from None
    finally:
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return Release(target, base_url, __version__, tuple(distributions), tuple(sorted(expected_names())))
