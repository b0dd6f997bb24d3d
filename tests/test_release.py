"""``alliance-kg export --release DIR``: every format, each gzipped too, SHA256SUMS that the real
``sha256sum -c`` accepts, and a VoID/DCAT description whose distributions give each file's URL, size,
media type, licence and SHA-256 (as an spdx:Checksum); independent parsers (Raptor's rapper, Jena's RIOT)
read every file; refusals and failures leave nothing half-written."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import require_program, run
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from test_exports_interop import JENA_JARS, RAPPER, _require_file, jena_classpath, riot

from alliance_kg import __version__, release, void
from alliance_kg.cli import main
from alliance_kg.errors import UsageError
from alliance_kg.graph import load_graph

DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
SPDX = "http://spdx.org/rdf/terms#"
MEDIA = "https://www.iana.org/assignments/media-types/"
#: export format → file name in the release (the names of `export --void`'s dumps).
NAMES = {fmt: void.DUMP_FORMATS[fmt][0] for fmt in release.RELEASE_FORMATS}
BASE_URL = "https://example.org/akg/releases/x/"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> release.Release:
    target = tmp_path_factory.mktemp("release") / "alliance-kg-release"
    return release.write_release(target)


@pytest.fixture(scope="module")
def folder(written: release.Release) -> Path:
    return written.directory


@pytest.fixture(scope="module")
def asserted() -> Graph:
    return load_graph()


@pytest.fixture(scope="module")
def described(folder: Path) -> Graph:
    return Graph().parse(folder / release.DESCRIPTION, format="turtle")


def _sums(folder: Path) -> dict[str, str]:
    sums = {}
    for line in (folder / release.SUMS).read_text(encoding="ascii").splitlines():
        match = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line)
        assert match, f"not a sha256sum line: {line!r}"
        sums[match[2]] = match[1]
    return sums


# --- what is written -------------------------------------------------------------------------------


def test_every_file_is_there_and_nothing_else(written: release.Release, folder: Path) -> None:
    names = set(NAMES.values())
    expected = names | {n + ".gz" for n in names} | {"SHA256SUMS", "void.ttl"}
    assert set(os.listdir(folder)) == expected == set(written.files)
    assert len(expected) == 14
    assert [d.name for d in written.distributions] == [
        n for fmt in release.RELEASE_FORMATS for n in (NAMES[fmt], NAMES[fmt] + ".gz")
    ]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "a temporary folder is left"


def test_sha256sum_checks_every_file(folder: Path) -> None:
    sha256sum = require_program("sha256sum", "GNU coreutils checks the release's sums")
    checked = subprocess.run(
        [sha256sum, "--check", "--strict", release.SUMS],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ok = {line.removesuffix(": OK") for line in checked.stdout.splitlines() if line.endswith(": OK")}
    assert ok == set(os.listdir(folder)) - {release.SUMS}


def test_sums_are_the_sha256_of_each_file(written: release.Release, folder: Path) -> None:
    sums = _sums(folder)
    assert list(sums) == sorted(sums), "SHA256SUMS is not sorted by name"
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    for d in written.distributions:
        data = (folder / d.name).read_bytes()
        assert (d.size, d.sha256) == (len(data), hashlib.sha256(data).hexdigest()), d.name


def test_a_changed_byte_is_caught_by_sha256sum(folder: Path, tmp_path: Path) -> None:
    """The check is not vacuous: a copy with one byte changed fails `sha256sum -c`."""
    sha256sum = require_program("sha256sum", "GNU coreutils checks the release's sums")
    for name in os.listdir(folder):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    data = bytearray((tmp_path / NAMES["nt"]).read_bytes())
    data[100] ^= 1
    (tmp_path / NAMES["nt"]).write_bytes(bytes(data))
    checked = subprocess.run(
        [sha256sum, "--check", release.SUMS], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 1 and f"{NAMES['nt']}: FAILED" in checked.stdout, checked.stdout


def test_gzip_files_decompress_to_the_plain_ones(folder: Path) -> None:
    for name in NAMES.values():
        packed = (folder / (name + ".gz")).read_bytes()
        assert gzip.decompress(packed) == (folder / name).read_bytes(), name
        assert packed[4:8] == b"\0\0\0\0", (
            f"{name}.gz carries a time stamp: the release would not be reproducible"
        )


@pytest.mark.parametrize("fmt", release.RELEASE_FORMATS)
def test_plain_files_are_what_export_writes(fmt: str, folder: Path, tmp_path: Path) -> None:
    exported = tmp_path / NAMES[fmt]
    assert main(["export", "--format", fmt, "-o", str(exported)]) == 0
    assert (folder / NAMES[fmt]).read_bytes() == exported.read_bytes()


# --- the description ---------------------------------------------------------------------------------


def test_void_describes_every_file_with_size_type_licence_and_checksum(
    written: release.Release, folder: Path, described: Graph
) -> None:
    ds = URIRef(void.DATASET)
    distributions = {
        d for d in described.objects(ds, URIRef(DCAT + "distribution"))
        if (d, URIRef(DCAT + "downloadURL"), None) in described
    }  # fmt: skip
    assert len(distributions) == len(written.distributions) == 12
    by_url = {str(described.value(d, URIRef(DCAT + "downloadURL"))): d for d in distributions}
    base = f"https://w3id.org/alliance-kg/release/{__version__}/"
    assert set(by_url) == {base + f.name for f in written.distributions}
    assert {str(u) for u in described.objects(ds, URIRef(void.VOID + "dataDump"))} == set(by_url)
    for file in written.distributions:
        d = by_url[base + file.name]
        data = (folder / file.name).read_bytes()
        assert (d, RDF.type, URIRef(DCAT + "Distribution")) in described
        size = described.value(d, URIRef(DCAT + "byteSize"))
        assert size == Literal(len(data), datatype=XSD.nonNegativeInteger), file.name
        assert described.value(d, URIRef(DCTERMS + "license")) == URIRef(void.LICENSE)
        media = void.DUMP_FORMATS[next(f for f, n in NAMES.items() if file.name.startswith(n))][1]
        assert described.value(d, URIRef(DCAT + "mediaType")) == URIRef(MEDIA + media), file.name
        compress = described.value(d, URIRef(DCAT + "compressFormat"))
        assert compress == (URIRef(MEDIA + "application/gzip") if file.name.endswith(".gz") else None)
        (checksum,) = described.objects(d, URIRef(SPDX + "checksum"))
        assert (checksum, RDF.type, URIRef(SPDX + "Checksum")) in described
        assert described.value(checksum, URIRef(SPDX + "algorithm")) == URIRef(
            SPDX + "checksumAlgorithm_sha256"
        )
        value = described.value(checksum, URIRef(SPDX + "checksumValue"))
        assert value == Literal(hashlib.sha256(data).hexdigest(), datatype=XSD.hexBinary), file.name


def test_void_keeps_the_dataset_description(described: Graph, asserted: Graph) -> None:
    ds = URIRef(void.DATASET)
    assert described.value(ds, URIRef(DCAT + "version")) == Literal(__version__)
    assert described.value(ds, URIRef(DCTERMS + "license")) == URIRef(void.LICENSE)
    assert int(described.value(ds, URIRef(void.VOID + "triples"))) == len(asserted)
    # the default dumps of `export --void` are replaced by the release's own files
    assert not list(described.subjects(URIRef(DCAT + "downloadURL"), URIRef(void.DUMPS + NAMES["nq"])))


def test_base_url_sets_the_download_urls(tmp_path: Path) -> None:
    made = release.write_release(tmp_path / "r", base_url=BASE_URL)
    described = Graph().parse(made.directory / release.DESCRIPTION, format="turtle")
    urls = {str(u) for u in described.objects(None, URIRef(DCAT + "downloadURL"))}
    assert urls == {BASE_URL + f.name for f in made.distributions}


def test_the_same_graph_gives_the_same_release(written: release.Release, tmp_path: Path) -> None:
    again = release.write_release(tmp_path / "again")
    assert (again.directory / release.SUMS).read_bytes() == (written.directory / release.SUMS).read_bytes()


# --- independent parsers -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(RAPPER))
def test_rapper_parses_each_file(fmt: str, folder: Path, asserted: Graph) -> None:
    rapper = require_program("rapper", "Raptor (raptor2-utils) is a consumer's RDF parser")
    parsed = subprocess.run(
        [rapper, "-i", RAPPER[fmt], "-c", str(folder / NAMES[fmt])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert parsed.returncode == 0 and not re.search(r"warning|error", parsed.stderr, re.I), parsed.stderr
    match = re.search(r"Parsing returned (\d+) (?:triples|statements)", parsed.stderr)
    assert match and int(match[1]) == len(asserted), parsed.stderr


def test_rapper_parses_the_description(folder: Path, described: Graph) -> None:
    rapper = require_program("rapper", "Raptor (raptor2-utils) is a consumer's RDF parser")
    parsed = subprocess.run(
        [rapper, "-i", "turtle", "-c", str(folder / release.DESCRIPTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert parsed.returncode == 0 and not re.search(r"warning|error", parsed.stderr, re.I), parsed.stderr
    assert f"Parsing returned {len(described)} triples" in parsed.stderr


@pytest.mark.slow  # starts a JVM
def test_riot_validates_every_file_plain_and_gzipped(folder: Path, asserted: Graph, described: Graph) -> None:
    classpath = jena_classpath()
    files = [folder / n for f, n in NAMES.items() if f != "jsonld"]
    files += [folder / (n + ".gz") for f, n in NAMES.items() if f != "jsonld"]
    counts = riot(classpath, [*files, folder / release.DESCRIPTION])
    for file in files:
        assert counts[file.name] == len(asserted), (file.name, counts)
    assert counts[release.DESCRIPTION] == len(described)
    cache_jar = JENA_JARS / "httpclient-cache.jar"
    _require_file(cache_jar, "Jena's JSON-LD 1.0 reader needs it (Debian libhttpclient-java)")
    counts = riot(f"{classpath}:{cache_jar}", [folder / NAMES["jsonld"]], "--syntax=jsonld10")
    assert counts == {NAMES["jsonld"]: len(asserted)}


# --- refusals, through the command line --------------------------------------------------------------


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


def test_cli_writes_a_release(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    code, out, err = run(capsysbinary, "export", "--release", str(tmp_path / "r"), "--base-url", BASE_URL)
    assert code == 0, err
    assert out == "" and f"wrote release {__version__} to {tmp_path / 'r'} (14 files" in err
    assert BASE_URL in (tmp_path / "r" / "void.ttl").read_text(encoding="utf-8")


def test_cli_refuses_a_non_empty_folder(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    target = tmp_path / "r"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n", encoding="utf-8")
    code, _, err = run(capsysbinary, "export", "--release", str(target))
    assert code == 2 and "is not empty" in err and "--force" in err, err
    code, _, err = run(capsysbinary, "export", "--release", str(target), "--force")
    assert code == 2 and "replaces a previous release only" in err and "notes.txt" in err, err
    assert os.listdir(target) == ["notes.txt"] and not _leftovers(tmp_path)


def test_cli_force_replaces_a_previous_release(
    capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    target = tmp_path / "r"
    assert run(capsysbinary, "export", "--release", str(target), "--base-url", BASE_URL)[0] == 0
    code, _, err = run(capsysbinary, "export", "--release", str(target))
    assert code == 2 and "is not empty" in err
    assert BASE_URL in (target / "void.ttl").read_text(encoding="utf-8"), "a refusal changed the folder"
    code, _, err = run(capsysbinary, "export", "--release", str(target), "--force")
    assert code == 0, err
    assert BASE_URL not in (target / "void.ttl").read_text(encoding="utf-8")
    assert not _leftovers(tmp_path)


def test_cli_writes_into_an_empty_folder(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    assert run(capsysbinary, "export", "--release", str(tmp_path / "r"))[0] == 0
    assert len(os.listdir(tmp_path / "r")) == 14 and not _leftovers(tmp_path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--release", "{tmp}/a-file"], "is not a folder"),
        (["--release", "{tmp}/no/such/folder"], "does not exist"),
        (["--release", "{tmp}/r", "-o", "{tmp}/x.ttl"], "drop -o"),
        (["--release", "{tmp}/r", "--void"], "drop --void"),
        (["--release", "{tmp}/r", "--reasoned"], "drop --reasoned"),
        (["--release", "{tmp}/r", "--base-url", "ftp://example.org/"], "--base-url must be"),
        (["--release", "{tmp}/r", "--base-url", "https://example.org/no-slash"], "--base-url must be"),
        (["--base-url", BASE_URL], "go with --release"),
        (["--force"], "go with --release"),
    ],
)
def test_cli_refuses(
    argv: list[str], message: str, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("x\n", encoding="utf-8")
    code, out, err = run(capsysbinary, "export", *(a.format(tmp=tmp_path) for a in argv))
    assert code == 2 and message in err and out == "", err
    assert sorted(os.listdir(tmp_path)) == ["a-file"], "a refusal wrote something"


def test_a_failure_midway_leaves_nothing_half_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The disk fills up after three files: the new folder does not appear, a previous release is kept,
    and the temporary folder is gone."""
    previous = release.write_release(tmp_path / "r", base_url=BASE_URL)
    before = (previous.directory / release.SUMS).read_bytes()
    real_write = release._write
    written: list[str] = []

    def failing(folder: Path, name: str, data: bytes) -> None:
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(name)
        real_write(folder, name, data)

    monkeypatch.setattr(release, "_write", failing)
    with pytest.raises(UsageError, match="No space left on device"):
        release.write_release(tmp_path / "new")
    assert not (tmp_path / "new").exists()
    written.clear()
    with pytest.raises(UsageError, match="No space left on device"):
        release.write_release(tmp_path / "r", force=True)
    assert (tmp_path / "r" / release.SUMS).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
