"""The vendored front-end assets (alliance_kg/server/static/vendor/) and scripts/vendor-assets.

The query page's JavaScript and CSS (YASGUI, Vega, Vega-Lite, vega-embed, Cytoscape) are committed inside the
package, pinned by the lock ``assets.json`` (npm tarball integrity and each file's sha256), so that a pip
user needs no Node.js and the pages load nothing from another host. These tests check the committed files
against the lock, the Vega versions against vl-convert's (the server's offline renderer), the builds for
requests to other hosts, and the script's download path offline (``file://`` tarballs and registry).

What the builds reference (YASGUI 4.6.2, Vega 6.2.0, Vega-Lite 6.4.1, vega-embed 7.0.2, Cytoscape 3.35.0),
found by reading them when they were vendored:

* No CDN and no web fonts. No file names cdn.jsdelivr, unpkg, cdnjs, fonts.googleapis/gstatic or any other
  CDN; ``yasgui.min.css`` has no ``url(...)``, no ``@import`` and no ``@font-face`` (its icons are inline
  SVG drawn from Font Awesome data bundled in the JavaScript), so there are no font or image files to
  vendor. No file has a ``<script src>``, ``<link href>``, ``importScripts``, worker or ``fetch`` of a
  literal absolute URL (``test_no_load_of_a_url_in_the_builds``).
* prefix.cc: YASGUI 4.6.2 no longer asks prefix.cc for prefixes by default. Its prefix autocompleter uses the
  prefix list bundled in the JavaScript unless ``yasqe.prefixCcApi`` is set (default ``null``); the one
  occurrence of "prefix.cc" is a namespace of that bundled list (``nsogi: http://prefix.cc/nsogi:``). The
  query page should still set ``prefixCcApi: null`` explicitly.
* Linked Open Vocabularies (lov.linkeddata.es): the ``class`` and ``property`` autocompleters fetch
  suggestions from it while the user types (not at page load). The query page turns them off with
  ``yasqe: {autocompleters: ["prefixes", "variables", "localStorage"]}`` (or completes from its own endpoint).
* YASGUI's default endpoint is https://dbpedia.org/sparql and its endpoint catalogue lists DBpedia and
  Wikidata: nothing is requested from them until a query is run, but the page must set
  ``requestConfig.endpoint`` to its own endpoint and ``endpointCatalogueOptions.getData`` to its own list.
  Its help links (docs.triply.cc) and the CORS notice's link (enable-cors.org) are links, followed on click.
* vega-embed: the "Open in Vega Editor" action opens https://vega.github.io/editor/ on click only; the page
  hides it with ``actions: {editor: false}`` (or ``actions: false``). Vega itself loads data only from the
  URLs a spec names.
* ``yasgui.min.js``, ``vega-lite.min.js`` and ``vega-embed.min.js`` end with a ``sourceMappingURL`` to a
  ``.map`` beside them (not vendored): a relative URL that only the browser's developer tools request.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "vendor-assets"
VENDOR = ROOT / "alliance_kg" / "server" / "static" / "vendor"
LOCK = VENDOR / "assets.json"


def vendor_assets(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def lock() -> dict:
    return json.loads(LOCK.read_text(encoding="utf-8"))


def package(name: str) -> dict:
    (pkg,) = [p for p in lock()["packages"] if p["name"] == name]
    return pkg


def vendored(suffixes: tuple[str, ...]) -> list[Path]:
    files = [VENDOR / p["short"] / f["dest"] for p in lock()["packages"] for f in p["files"]]
    return [f for f in files if f.suffix in suffixes]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- the committed files against the lock ----------------------------------------------------------------


def test_the_vendored_files_match_the_lock() -> None:
    done = vendor_assets("--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: 11 vendored files" in done.stdout


def test_the_lock_pins_npm_tarballs_by_integrity() -> None:
    for pkg in lock()["packages"]:
        base = pkg["name"].rsplit("/", 1)[-1]
        assert pkg["tarball"] == f"https://registry.npmjs.org/{pkg['name']}/-/{base}-{pkg['version']}.tgz"
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", pkg["integrity"]), pkg["name"]
        assert pkg["license"] in {"MIT", "BSD-3-Clause"}, pkg["name"]
        dests = {f["dest"] for f in pkg["files"]}
        assert "LICENSE" in dests or pkg["name"] == "@zazuko/yasgui", pkg["name"]  # its tarball has none
        for entry in pkg["files"]:
            assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), entry


def test_check_names_an_altered_a_missing_and_an_unlisted_file(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR, copy)
    assert vendor_assets("--check", "--root", copy).returncode == 0
    with (copy / "yasgui" / "yasgui.min.js").open("ab") as handle:
        handle.write(b"\n")
    (copy / "vega" / "LICENSE").unlink()
    (copy / "cytoscape" / "extra.js").write_text("1", encoding="utf-8")
    done = vendor_assets("--check", "--root", copy)
    assert done.returncode == 1
    assert "altered:  yasgui/yasgui.min.js" in done.stderr
    assert "missing:  vega/LICENSE" in done.stderr
    assert "unlisted: cytoscape/extra.js" in done.stderr
    assert "3 difference(s)" in done.stderr


# --- the same Vega as the server's offline renderer ------------------------------------------------------


@pytest.fixture(scope="module")
def vl_convert():
    try:
        import vl_convert
    except ImportError:
        message = "vl-convert-python is not installed: cannot compare its Vega versions with the lock's"
        if IN_CI:
            pytest.fail(f"{message}; CI must install it")
        pytest.skip(message)
    return vl_convert


def test_the_lock_pins_the_vega_that_vl_convert_bundles(vl_convert) -> None:
    assert package("vega")["version"] == vl_convert.get_vega_version()
    assert package("vega-embed")["version"] == vl_convert.get_vega_embed_version()
    vega_lite = package("vega-lite")["version"]
    # vl-convert names Vega-Lite versions by major.minor; its default is the newest
    minor = ".".join(vega_lite.split(".")[:2])
    assert minor == vl_convert.get_vegalite_versions()[-1]
    # the patch: the version constant of the Vega-Lite that vl-convert bundles
    bundle = vl_convert.javascript_bundle(vl_version=minor)
    assert f'"{vega_lite}"' in bundle, f"vl-convert's Vega-Lite {minor} is not {vega_lite}"
    assert f'"{vega_lite}"' in text(VENDOR / "vega-lite" / "vega-lite.min.js")


# --- nothing loaded from another host --------------------------------------------------------------------

#: Hosts that serve code, styles or fonts: none may be named anywhere in the builds.
CDN_HOSTS = [
    "cdn.jsdelivr",
    "unpkg.com",
    "cdnjs",
    "fonts.googleapis",
    "fonts.gstatic",
    "ajax.googleapis",
    "esm.sh",
    "skypack",
    "code.jquery.com",
    "bootstrapcdn",
    "use.fontawesome",
    "kit.fontawesome",
    "rawgit",
    "githubusercontent",
]

#: Code that makes the browser load an absolute (or protocol-relative) URL at once.
LOADS = {
    "fetch of a literal URL": r"""fetch\(\s*["'`](?:https?:)?//""",
    "src of a literal URL": r"""\bsrc\s*[=:]\s*\\?["'`](?:https?:)?//""",
    "<link href> to a host": r"""<link\b[^>]*\bhref\s*=\s*\\?["'](?:https?:)?//""",
    "<script src>": r"""<script\b[^>]*\bsrc\s*=""",
    "CSS @import": r"""@import\b""",
    "CSS url() to a host": r"""url\(\s*["']?(?:https?:)?//""",
    "@font-face": r"""@font-face""",
    "importScripts": r"""importScripts\(""",
    "worker from a host": r"""Worker\(\s*["'`](?:https?:)?//""",
    "XMLHttpRequest of a literal URL": r"""\.open\(\s*["'`][A-Z]+["'`]\s*,\s*["'`](?:https?:)?//""",
    "import() of a URL": r"""import\(\s*["'`](?:https?:)?//""",
    "sendBeacon": r"""sendBeacon\(""",
    "WebSocket": r"""new WebSocket\(""",
    "EventSource": r"""new EventSource\(""",
}


def test_no_cdn_or_font_host_in_the_builds() -> None:
    found = [
        f"{path.relative_to(VENDOR)}: {host}"
        for path in vendored((".js", ".css"))
        for host in CDN_HOSTS
        if host in text(path)
    ]
    assert found == []


def test_no_load_of_a_url_in_the_builds() -> None:
    found = []
    for path in vendored((".js", ".css")):
        content = text(path)
        for what, pattern in LOADS.items():
            for match in re.finditer(pattern, content):
                found.append(
                    f"{path.relative_to(VENDOR)}: {what}: {content[match.start() : match.end() + 60]!r}"
                )
    assert found == []


def test_the_css_references_no_file_and_no_host() -> None:
    for path in vendored((".css",)):
        for ref in re.findall(r"""url\(\s*["']?([^"')]*)""", text(path)):
            assert ref.startswith(("data:", "#")) or (path.parent / ref).is_file(), (path, ref)


def test_the_remote_lookups_of_the_builds_are_the_known_switchable_ones() -> None:
    """Each host a build can ask, found once and in the place the module docstring says (so that an update
    which adds one fails here, to be read and turned off by the page's configuration)."""
    yasgui = text(VENDOR / "yasgui" / "yasgui.min.js")
    # prefix.cc: a namespace of the bundled prefixes; the lookup itself needs yasqe.prefixCcApi (default null)
    assert yasgui.count("prefix.cc") == 1
    assert re.findall(r"\w+=`[^`]*prefix\.cc[^`]*`", yasgui) == ["nsogi=`http://prefix.cc/nsogi:`"]
    assert "prefixCcApi:null" in yasgui
    assert "e.config.prefixCcApi?fetch(e.config.prefixCcApi)" in yasgui
    # LOV: the class and property autocompleters, while the user types (turned off by yasqe.autocompleters)
    assert yasgui.count("lov.linkeddata.es") == 1
    assert re.search(
        r"fetchFromLov=\(e,t,n\)=>\{.{0,800}?lov\.linkeddata\.es/dataset/lov/api/v2/autocomplete", yasgui
    )
    assert len(re.findall(r"return fetchFromLov\(e,`(?:class|property)`,t\)", yasgui)) == 2
    # the editor action of vega-embed, on click (turned off by actions: {editor: false})
    embed = text(VENDOR / "vega-embed" / "vega-embed.min.js")
    assert re.findall(r"https?://[^\s\"'`]+", embed) == [
        "https://github.com/Starcounter-Jack/JSON-Patch",  # a bundled library's licence comment
        "https://vega.github.io/editor/",
    ]
    assert 'editorUrl??"https://vega.github.io/editor/"' in embed


# --- the script's download path, offline -----------------------------------------------------------------


def tgz(files: dict[str, bytes], top: str = "package") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


JS_1 = b"window.demo = 1;\n"
JS_2 = b"window.demo = 2;\n"
LICENSE = b"MIT License\n"


def fake_package(tmp_path: Path, name: str, version: str, js: bytes, short: str = "demo") -> dict:
    """A lock entry for a tarball written in tmp_path (with a file the lock does not take)."""
    data = tgz({"build/demo.min.js": js, "LICENSE": LICENSE, "build/demo.js": b"// not taken\n"})
    path = tmp_path / f"{short}-{version}.tgz"
    path.write_bytes(data)
    return {
        "name": name,
        "short": short,
        "version": version,
        "license": "MIT",
        "tarball": path.as_uri(),
        "integrity": integrity(data),
        "files": [
            {"src": "build/demo.min.js", "dest": "demo.min.js", "sha256": sha256(js)},
            {"src": "LICENSE", "dest": "LICENSE", "sha256": sha256(LICENSE)},
        ],
    }


def write_lock(path: Path, *packages: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"packages": list(packages)}, indent=2), encoding="utf-8")
    return path


def test_vendoring_from_a_file_tarball_writes_the_listed_files(tmp_path: Path) -> None:
    root = tmp_path / "vendor"
    lock_file = write_lock(tmp_path / "assets.json", fake_package(tmp_path, "demo", "1.0.0", JS_1))
    done = vendor_assets("--lock", lock_file, "--root", root)
    assert done.returncode == 0, done.stderr
    assert (root / "demo" / "demo.min.js").read_bytes() == JS_1
    assert (root / "demo" / "LICENSE").read_bytes() == LICENSE
    assert sorted(p.name for p in (root / "demo").iterdir()) == ["LICENSE", "demo.min.js"]  # no temp file
    assert vendor_assets("--check", "--lock", lock_file, "--root", root).returncode == 0


def test_a_tampered_integrity_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    root = tmp_path / "vendor"
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "demo.min.js").write_bytes(b"the old file\n")
    good = fake_package(tmp_path, "good", "1.0.0", JS_2, short="good")  # fine, but listed first
    bad = fake_package(tmp_path, "demo", "1.0.0", JS_1)
    bad["integrity"] = integrity(b"another tarball")
    lock_file = write_lock(tmp_path / "assets.json", good, bad)
    done = vendor_assets("--lock", lock_file, "--root", root)
    assert done.returncode == 1
    assert "demo@1.0.0: INTEGRITY MISMATCH" in done.stderr
    assert "nothing was written" in done.stderr
    assert (root / "demo" / "demo.min.js").read_bytes() == b"the old file\n"
    assert not (root / "demo" / "LICENSE").exists()
    assert not (root / "good").exists()


def test_a_tampered_file_hash_is_refused(tmp_path: Path) -> None:
    pkg = fake_package(tmp_path, "demo", "1.0.0", JS_1)
    pkg["files"][0]["sha256"] = sha256(JS_2)
    lock_file = write_lock(tmp_path / "assets.json", pkg)
    done = vendor_assets("--lock", lock_file, "--root", tmp_path / "vendor")
    assert done.returncode == 1
    assert "build/demo.min.js: SHA-256 MISMATCH" in done.stderr
    assert not (tmp_path / "vendor").exists()


def test_a_lock_without_an_integrity_hash_or_with_a_plain_http_url_is_refused(tmp_path: Path) -> None:
    pkg = fake_package(tmp_path, "demo", "1.0.0", JS_1)
    for change in (
        {"integrity": "sha1-" + base64.b64encode(b"x" * 20).decode()},
        {"tarball": "http://x.test/"},
    ):
        lock_file = write_lock(tmp_path / "assets.json", {**pkg, **change})
        done = vendor_assets("--lock", lock_file, "--root", tmp_path / "vendor")
        assert done.returncode == 1, change
        assert "error:" in done.stderr
    assert not (tmp_path / "vendor").exists()


def test_a_lock_cannot_write_outside_its_root(tmp_path: Path) -> None:
    pkg = fake_package(tmp_path, "demo", "1.0.0", JS_1)
    pkg["files"][0]["dest"] = "../../escaped.js"
    done = vendor_assets("--lock", write_lock(tmp_path / "assets.json", pkg), "--root", tmp_path / "vendor")
    assert done.returncode == 1
    assert "is not a plain relative path" in done.stderr
    assert not (tmp_path / "escaped.js").exists()


def registry(tmp_path: Path, name: str, version: str, js: bytes, meta_integrity: str | None = None) -> str:
    """A registry of one version in tmp_path, laid out as npm's: ``<name>/<version>`` and the tarball."""
    base = tmp_path / "registry"
    data = tgz({"build/demo.min.js": js, "LICENSE": LICENSE})
    tarball = base / name / "-" / f"{name.rsplit('/', 1)[-1]}-{version}.tgz"
    tarball.parent.mkdir(parents=True, exist_ok=True)
    tarball.write_bytes(data)
    meta = {
        "name": name,
        "version": version,
        "license": "MIT",
        "dist": {"tarball": tarball.as_uri(), "integrity": meta_integrity or integrity(data)},
    }
    (base / name / version).write_text(json.dumps(meta), encoding="utf-8")
    return base.as_uri() + "/"


def test_update_pins_a_new_version_from_the_registry_metadata(tmp_path: Path) -> None:
    root = tmp_path / "vendor"
    lock_file = write_lock(root / "assets.json", fake_package(tmp_path, "@scope/demo", "1.0.0", JS_1))
    assert vendor_assets("--root", root).returncode == 0
    url = registry(tmp_path, "@scope/demo", "2.0.0", JS_2)
    done = vendor_assets("--root", root, "--update", "@scope/demo@2.0.0", "--registry", url)
    assert done.returncode == 0, done.stderr
    (pkg,) = json.loads(lock_file.read_text(encoding="utf-8"))["packages"]
    assert pkg["version"] == "2.0.0"
    tarball = tmp_path / "registry" / "@scope" / "demo" / "-" / "demo-2.0.0.tgz"
    assert pkg["tarball"] == tarball.as_uri()
    assert pkg["integrity"] == integrity(tarball.read_bytes())
    assert pkg["files"][0]["sha256"] == sha256(JS_2)
    assert (root / "demo" / "demo.min.js").read_bytes() == JS_2
    assert vendor_assets("--check", "--root", root).returncode == 0


def test_update_refuses_a_tarball_that_does_not_match_the_registry_integrity(tmp_path: Path) -> None:
    root = tmp_path / "vendor"
    lock_file = write_lock(root / "assets.json", fake_package(tmp_path, "demo", "1.0.0", JS_1))
    before = lock_file.read_bytes()
    url = registry(tmp_path, "demo", "2.0.0", JS_2, meta_integrity=integrity(b"something else"))
    done = vendor_assets("--root", root, "--update", "demo@2.0.0", "--registry", url)
    assert done.returncode == 1
    assert "INTEGRITY MISMATCH" in done.stderr
    assert lock_file.read_bytes() == before
    assert not (root / "demo").exists()


def test_update_of_a_package_not_in_the_lock_says_what_to_do(tmp_path: Path) -> None:
    lock_file = write_lock(tmp_path / "assets.json", fake_package(tmp_path, "demo", "1.0.0", JS_1))
    done = vendor_assets("--lock", lock_file, "--update", "left-pad@1.3.0", "--registry", "file:///nowhere/")
    assert done.returncode == 1
    assert "left-pad is not in the lock" in done.stderr


def test_the_script_is_executable_and_needs_only_the_standard_library() -> None:
    assert os.access(SCRIPT, os.X_OK)
    assert text(SCRIPT).startswith("#!/usr/bin/env python3\n")
    imported = set(re.findall(r"^(?:import|from) (\w+)", text(SCRIPT), flags=re.MULTILINE))
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
