"""Where output goes, and what happens when it cannot go there: ``-o FILE`` writes atomically onto regular
files only (keeping the file's mode and owner, following symbolic links, refusing devices, FIFOs and
sockets, and never leaving its temporary file behind), ``-o /dev/stdout`` writes to standard output, and a
standard output that fails (``> /dev/full``) is ``error: …`` and exit 2 in every command that writes
to it, while a reader that goes away (``| head``) stays a quiet exit 0. Run through the installed console
script, so that the exit path (``run``, its flushes and its ``os._exit``) is the one users get."""

from __future__ import annotations

import errno
import os
import resource
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from alliance_kg import cli
from alliance_kg.errors import UsageError
from alliance_kg.export import write_atomically

SCRIPT = str(Path(sys.executable).with_name("alliance-kg"))
ROOT_USER = os.geteuid() == 0
EXPORT = ["export", "--format", "nt"]
FULL = "No space left on device"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {**os.environ, "ALLIANCE_KG_CACHE": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture(scope="module")
def exported(env: dict[str, str]) -> bytes:
    done = subprocess.run([SCRIPT, *EXPORT], capture_output=True, env=env, check=True)
    assert b"<https://w3id.org/alliance-kg/id/vehicle/nissan-micra>" in done.stdout
    return done.stdout


def _run(argv: list[str], env: dict[str, str], *, umask: int = 0o022, stdout=subprocess.PIPE, limit=None):
    def prepare() -> None:
        os.umask(umask)
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [SCRIPT, *argv], stdout=stdout, stderr=subprocess.PIPE, env=env, preexec_fn=prepare, check=False
    )


def _hidden(folder: Path) -> set[str]:
    try:
        return {name for name in os.listdir(folder) if name.startswith(".")}
    except OSError:
        return set()


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and 'File "/' not in stderr, stderr


# --- -o onto every kind of target --------------------------------------------------------------------


@dataclass
class Scene:
    tmp: Path
    target: Path  # what -o is given
    watch: list[Path] = field(default_factory=list)  # folders where no temporary file may stay


@dataclass
class Target:
    make: Callable[[Path], Scene]
    code: int
    message: str  # in stderr; {target} is the -o argument
    check: Callable[[Scene, bytes], None]
    umask: int = 0o022
    limit: int | None = None  # RLIMIT_FSIZE of the process


def _device_unharmed(path: str, major: int, minor: int) -> Callable[[Scene, bytes], None]:
    def check(_scene: Scene, _data: bytes) -> None:
        st = os.lstat(path)
        assert stat.S_ISCHR(st.st_mode), f"{path} is no longer a character device"
        assert (os.major(st.st_rdev), os.minor(st.st_rdev)) == (major, minor)

    return check


def _real_device(path: str) -> Callable[[Path], Scene]:
    def make(tmp: Path) -> Scene:
        _prove_devices_are_refused(tmp)
        return Scene(tmp, Path(path), [Path(path).parent])

    return make


def _prove_devices_are_refused(tmp: Path) -> None:
    """Before -o touches a real /dev/full or /dev/null, prove on a private device node (as root) or a FIFO
    that write_atomically refuses it: a regression must fail here, not replace the machine's devices."""
    probe = tmp / "probe-device"
    if ROOT_USER:
        os.mknod(probe, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        os.mkfifo(probe)
    with pytest.raises(UsageError):
        write_atomically(probe, b"x")
    kind = os.lstat(probe).st_mode
    assert stat.S_ISCHR(kind) or stat.S_ISFIFO(kind), "write_atomically replaced a device: not trying /dev"
    probe.unlink()


def _prove_stdout_aliases_are_kept(tmp: Path) -> None:
    """Likewise, before -o /dev/stdout: a link to /proc/self/fd/1 must stay a link (nothing is written)."""
    probe = tmp / "stdout-probe"
    probe.symlink_to("/proc/self/fd/1")
    write_atomically(probe, b"")
    assert probe.is_symlink(), "write_atomically replaced a link to /proc/self/fd/1: not trying /dev/stdout"
    probe.unlink()


def _node(tmp: Path) -> Scene:
    os.mknod(tmp / "full", 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    return Scene(tmp, tmp / "full", [tmp])


def _node_unharmed(scene: Scene, _data: bytes) -> None:
    st = os.lstat(scene.tmp / "full")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 7)


def _fifo(tmp: Path) -> Scene:
    os.mkfifo(tmp / "pipe")
    return Scene(tmp, tmp / "pipe", [tmp])


def _socket(tmp: Path) -> Scene:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(tmp / "sock"))
    sock.close()  # the socket file stays
    return Scene(tmp, tmp / "sock", [tmp])


def _still(kind: Callable[[int], bool], name: str) -> Callable[[Scene, bytes], None]:
    def check(scene: Scene, _data: bytes) -> None:
        assert kind(os.lstat(scene.tmp / name).st_mode), f"{name} was replaced"

    return check


def _link_to_file(tmp: Path) -> Scene:
    (tmp / "real").mkdir()
    real = tmp / "real" / "kg.nt"
    real.write_bytes(b"old\n")
    real.chmod(0o640)
    (tmp / "link.nt").symlink_to(Path("real") / "kg.nt")
    return Scene(tmp, tmp / "link.nt", [tmp, tmp / "real"])


def _link_followed(scene: Scene, data: bytes) -> None:
    link = scene.tmp / "link.nt"
    assert link.is_symlink(), "the symbolic link was replaced by a file"
    assert os.readlink(link) == str(Path("real") / "kg.nt")
    real = scene.tmp / "real" / "kg.nt"
    assert real.read_bytes() == data
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def _chain(tmp: Path) -> Scene:
    for name in ("a", "b", "c"):
        (tmp / name).mkdir()
    (tmp / "c" / "kg.nt").write_bytes(b"old\n")
    (tmp / "b" / "two").symlink_to("../c/kg.nt")
    (tmp / "a" / "one").symlink_to("../b/two")
    return Scene(tmp, tmp / "a" / "one", [tmp / "a", tmp / "b", tmp / "c"])


def _chain_followed(scene: Scene, data: bytes) -> None:
    assert (scene.tmp / "a" / "one").is_symlink() and (scene.tmp / "b" / "two").is_symlink()
    assert (scene.tmp / "c" / "kg.nt").read_bytes() == data


def _dangling(tmp: Path) -> Scene:
    (tmp / "link.nt").symlink_to("missing.nt")
    return Scene(tmp, tmp / "link.nt", [tmp])


def _dangling_kept(scene: Scene, _data: bytes) -> None:
    assert (scene.tmp / "link.nt").is_symlink() and not (scene.tmp / "missing.nt").exists()


def _link_to_device(tmp: Path) -> Scene:
    (tmp / "link.nt").symlink_to("/dev/null")
    return Scene(tmp, tmp / "link.nt", [tmp])


def _link_kept(scene: Scene, _data: bytes) -> None:
    assert os.readlink(scene.tmp / "link.nt") == "/dev/null"


def _existing(mode: int, owner: tuple[int, int] | None = None) -> Callable[[Path], Scene]:
    def make(tmp: Path) -> Scene:
        target = tmp / "kg.nt"
        target.write_bytes(b"old\n")
        target.chmod(mode)
        if owner is not None:
            os.chown(target, *owner)
        return Scene(tmp, target, [tmp])

    return make


def _replaced(mode: int, owner: tuple[int, int] | None = None) -> Callable[[Scene, bytes], None]:
    def check(scene: Scene, data: bytes) -> None:
        st = os.lstat(scene.target)
        assert stat.S_ISREG(st.st_mode) and scene.target.read_bytes() == data
        assert stat.S_IMODE(st.st_mode) == mode, oct(stat.S_IMODE(st.st_mode))
        if owner is not None:
            assert (st.st_uid, st.st_gid) == owner

    return check


def _new(tmp: Path) -> Scene:
    return Scene(tmp, tmp / "new.nt", [tmp])


def _under_a_file(tmp: Path) -> Scene:
    (tmp / "plain.txt").write_text("a file, not a folder\n")
    return Scene(tmp, tmp / "plain.txt" / "kg.nt", [tmp])


def _missing_folder(tmp: Path) -> Scene:
    return Scene(tmp, tmp / "no" / "such" / "kg.nt", [tmp])


def _sysfs(tmp: Path) -> Scene:
    if not Path("/sys/kernel").is_dir():
        pytest.skip("no sysfs at /sys")
    return Scene(tmp, Path("/sys/alliance-kg-test.nt"), [Path("/sys")])


def _nothing_in_sys(_scene: Scene, _data: bytes) -> None:
    assert not Path("/sys/alliance-kg-test.nt").exists()


def _read_only_folder(tmp: Path) -> Scene:
    folder = tmp / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return Scene(tmp, folder / "kg.nt", [folder])


def _folder(tmp: Path) -> Scene:
    return Scene(tmp, tmp, [tmp])


def _old_kept(scene: Scene, _data: bytes) -> None:
    assert scene.target.read_bytes() == b"old\n"


root_only = pytest.mark.skipif(not ROOT_USER, reason="needs root (mknod, chown, /dev)")
not_root = pytest.mark.skipif(ROOT_USER, reason="root writes into read-only folders")

TARGETS = [
    pytest.param(
        Target(
            _real_device("/dev/full"),
            2,
            "cannot write /dev/full: it is a character device",
            _device_unharmed("/dev/full", 1, 7),
        ),
        id="dev-full",
        marks=root_only,
    ),
    pytest.param(
        Target(
            _real_device("/dev/null"),
            2,
            "cannot write /dev/null: it is a character device",
            _device_unharmed("/dev/null", 1, 3),
        ),
        id="dev-null",
        marks=root_only,
    ),
    pytest.param(
        Target(_node, 2, "cannot write {target}: it is a character device", _node_unharmed),
        id="device-node",
        marks=root_only,
    ),
    pytest.param(
        Target(_fifo, 2, "cannot write {target}: it is a FIFO", _still(stat.S_ISFIFO, "pipe")), id="fifo"
    ),
    pytest.param(
        Target(_socket, 2, "cannot write {target}: it is a socket", _still(stat.S_ISSOCK, "sock")),
        id="socket",
    ),
    pytest.param(Target(_link_to_file, 0, "wrote {target} → ", _link_followed), id="symlink-followed"),
    pytest.param(Target(_chain, 0, "wrote {target} → ", _chain_followed), id="symlink-chain-followed"),
    pytest.param(
        Target(
            _dangling,
            2,
            "cannot write {target}: it is a symbolic link to {target.parent}/missing.nt, "
            "which does not exist",
            _dangling_kept,
        ),
        id="symlink-dangling",
    ),
    pytest.param(
        Target(
            _link_to_device,
            2,
            "cannot write {target}: it is a symbolic link to /dev/null, a character device",
            _link_kept,
        ),
        id="symlink-to-device",
    ),
    pytest.param(
        Target(_existing(0o644), 0, "wrote {target} (", _replaced(0o644), umask=0o077), id="existing-0644"
    ),
    pytest.param(Target(_existing(0o600), 0, "wrote {target} (", _replaced(0o600)), id="existing-0600"),
    pytest.param(Target(_existing(0o664), 0, "wrote {target} (", _replaced(0o664)), id="existing-0664"),
    pytest.param(
        Target(_existing(0o640, (4321, 4322)), 0, "wrote {target} (", _replaced(0o640, (4321, 4322))),
        id="existing-other-owner",
        marks=root_only,
    ),
    pytest.param(Target(_new, 0, "wrote {target} (", _replaced(0o644)), id="new-umask-022"),
    pytest.param(Target(_new, 0, "wrote {target} (", _replaced(0o640), umask=0o027), id="new-umask-027"),
    pytest.param(Target(_new, 0, "wrote {target} (", _replaced(0o664), umask=0o002), id="new-umask-002"),
    pytest.param(
        Target(
            _under_a_file,
            2,
            "cannot write {target}: {target.parent} is not a folder",
            _still(stat.S_ISREG, "plain.txt"),
        ),
        id="under-a-regular-file",
    ),
    pytest.param(
        Target(
            _missing_folder,
            2,
            "cannot write {target}: folder {target.parent} does not exist",
            lambda s, d: None,
        ),
        id="missing-folder",
    ),
    pytest.param(
        Target(_sysfs, 2, "cannot write {target}: Permission denied", _nothing_in_sys), id="read-only-sysfs"
    ),
    pytest.param(
        Target(_read_only_folder, 2, "cannot write {target}: Permission denied", lambda s, d: None),
        id="read-only-folder",
        marks=not_root,
    ),
    pytest.param(
        Target(_existing(0o444), 2, "cannot write {target}: Permission denied", _old_kept),
        id="read-only-file",
        marks=not_root,
    ),
    pytest.param(Target(_folder, 2, "cannot write {target}: it is a folder", lambda s, d: None), id="folder"),
    pytest.param(
        Target(_existing(0o644), 2, "cannot write {target}: File too large", _old_kept, limit=64 * 1024),
        id="write-fails-file-size-limit",
    ),
]


@pytest.mark.parametrize("case", TARGETS)
def test_output_targets(case: Target, tmp_path: Path, env: dict[str, str], exported: bytes) -> None:
    scene = case.make(tmp_path)
    hidden = {folder: _hidden(folder) for folder in scene.watch}
    done = _run([*EXPORT, "-o", str(scene.target)], env, umask=case.umask, limit=case.limit)
    err = done.stderr.decode()
    _no_traceback(err)
    assert done.returncode == case.code, err
    assert done.stdout == b""
    message = case.message.format(target=scene.target)
    if case.code:
        assert err.startswith("error: ") and message in err, err
    else:
        assert message in err, err
    for folder, before in hidden.items():
        assert _hidden(folder) == before, f"a temporary file was left in {folder}"
    case.check(scene, exported)


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(OSError(errno.EIO, "Input/output error"), id="rename-eio"),
        pytest.param(KeyboardInterrupt(), id="rename-interrupted"),
    ],
)
def test_no_temporary_file_is_left_when_the_rename_fails(
    failure: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "kg.nt"
    target.write_bytes(b"old\n")

    def fail(*_args: object, **_kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(os, "replace", fail)
    monkeypatch.setattr(os, "rename", fail)
    with pytest.raises(UsageError if isinstance(failure, OSError) else KeyboardInterrupt):
        write_atomically(target, b"new\n")
    assert os.listdir(tmp_path) == ["kg.nt"] and target.read_bytes() == b"old\n"


# --- -o /dev/stdout: standard output, as the user means ------------------------------------------------


@pytest.mark.parametrize("alias", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_output_to_dev_stdout_writes_standard_output(
    alias: str, tmp_path: Path, env: dict[str, str], exported: bytes
) -> None:
    """Standard output redirected (appending) to a file: -o /dev/stdout adds to that very file (same inode,
    nothing truncated, no file put in place of /dev/stdout); through a pipe, the reader gets it."""
    _prove_stdout_aliases_are_kept(tmp_path)
    out = tmp_path / "out.nt"
    out.write_bytes(b"# before\n")
    inode = out.stat().st_ino
    with out.open("ab") as stdout:
        done = _run([*EXPORT, "-o", alias], env, stdout=stdout)
    assert done.returncode == 0, done.stderr.decode()
    assert out.stat().st_ino == inode and out.read_bytes() == b"# before\n" + exported
    assert os.path.islink("/dev/stdout") or alias != "/dev/stdout"
    piped = _run([*EXPORT, "-o", alias], env)
    assert piped.returncode == 0 and piped.stdout == exported


# --- a standard output that fails -----------------------------------------------------------------------

#: Every command that writes to standard output (load and serve write only messages, to stderr).
STDOUT_COMMANDS = [
    pytest.param(["query", "list-models"], id="query"),
    pytest.param(["query", "list-models", "--format", "json"], id="query-json"),
    pytest.param(
        ["query", "profile-model", "--param", "model=vehicle:alpine-a290", "--format", "turtle"],
        id="query-construct",
    ),
    pytest.param(["queries"], id="queries"),
    pytest.param(["queries", "--checks"], id="queries-checks"),
    pytest.param(["describe", "vehicle:nissan-micra"], id="describe"),
    pytest.param(["stats"], id="stats"),
    pytest.param(["export"], id="export"),
    pytest.param(["export", "--format", "nq"], id="export-nq"),
    pytest.param(["export", "--void"], id="export-void"),
    pytest.param(["export", "-o", "/dev/stdout"], id="export-o-dev-stdout"),
    pytest.param(["reason", "--new-only"], id="reason"),
    pytest.param(["validate"], id="validate"),
    pytest.param(["validate", "--format", "json"], id="validate-json"),
    pytest.param(["validate", "--format", "turtle"], id="validate-turtle"),
    pytest.param(["--help"], id="help"),
    pytest.param(["query", "--help"], id="query-help"),
    pytest.param(["--version"], id="version"),
    pytest.param(["template", "vehicle"], id="template"),
    pytest.param(["completion", "bash"], id="completion"),
]
PROGRESS = {"reason", "validate"}  # these print progress to stderr before their output


def test_every_command_writing_stdout_is_covered() -> None:
    covered = {p.values[0][0] for p in STDOUT_COMMANDS}
    assert covered >= set(cli.COMMANDS) - {"load", "serve", "pictures"}  # pictures writes files: below


def test_pictures_into_a_file_or_a_read_only_folder_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    pytest.importorskip("vl_convert")
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x", encoding="utf-8")
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    targets = [a_file, a_file / "below"] + ([read_only] if os.geteuid() != 0 else [])
    for target in targets:
        done = subprocess.run(
            [sys.executable, "-m", "alliance_kg", "pictures", str(target)], capture_output=True, text=True
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"error: cannot write the pictures to {target}: "), done.stderr
        assert "Traceback" not in done.stderr
    assert a_file.read_text(encoding="utf-8") == "x"
    assert list(read_only.iterdir()) == []  # nothing half-written


@pytest.fixture
def dev_full() -> Iterator[Path]:
    path = Path("/dev/full")
    if not path.is_char_device():
        pytest.skip("no /dev/full")
    yield path
    assert path.is_char_device()


@pytest.mark.parametrize("buffering", ["buffered", "unbuffered"])
@pytest.mark.parametrize("argv", STDOUT_COMMANDS)
def test_a_full_stdout_is_an_error_not_a_traceback(
    argv: list[str], buffering: str, env: dict[str, str], dev_full: Path, tmp_path: Path
) -> None:
    if argv[-1] in ("--help", "--version") and buffering == "unbuffered":
        pytest.skip(
            "argparse ignores the OSError of writing --help/--version (ArgumentParser._print_message): "
            "unbuffered, nothing is left to fail when alliance-kg flushes stdout"
        )
    if "/dev/stdout" in argv:
        _prove_stdout_aliases_are_kept(tmp_path)
    env = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}
    if buffering == "unbuffered":
        env["PYTHONUNBUFFERED"] = "1"
    with dev_full.open("wb") as full:
        done = _run(argv, env, stdout=full)
    err = done.stderr.decode()
    _no_traceback(err)
    assert done.returncode == 2, err
    where = "/dev/stdout" if "/dev/stdout" in argv else "to stdout"
    assert err.splitlines()[-1] == f"error: cannot write {where}: {FULL}", err
    assert err.count("error:") == 1 and "Exception ignored" not in err, err
    if argv[0] not in PROGRESS:
        assert err.startswith("error:"), err


@pytest.mark.parametrize("argv", STDOUT_COMMANDS)
def test_a_reader_that_goes_away_is_a_quiet_exit_0(
    argv: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    if "/dev/stdout" in argv:
        _prove_stdout_aliases_are_kept(tmp_path)
    command = " ".join(f"'{a}'" for a in [SCRIPT, *argv]) + " | head -c 10 > /dev/null"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, env=env, check=False
    )
    err = done.stderr.decode()
    assert done.returncode == 0, err
    _no_traceback(err)
    assert "error:" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err


@pytest.mark.parametrize("argv", [["queries"], ["query", "list-models"], ["stats"], ["export"]])
def test_a_closed_stdout_is_an_error(argv: list[str], env: dict[str, str]) -> None:
    command = " ".join(f"'{a}'" for a in [SCRIPT, *argv]) + " >&-"
    done = subprocess.run(["bash", "-c", command], capture_output=True, env=env, check=False)
    err = done.stderr.decode()
    _no_traceback(err)
    assert done.returncode == 2 and err.startswith("error: cannot write to stdout: it is closed"), err


def test_a_closed_stdout_is_no_matter_with_o(tmp_path: Path, env: dict[str, str], exported: bytes) -> None:
    target = tmp_path / "kg.nt"
    command = " ".join(f"'{a}'" for a in [SCRIPT, *EXPORT, "-o", str(target)]) + " >&-"
    done = subprocess.run(["bash", "-c", command], capture_output=True, env=env, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert target.read_bytes() == exported


def test_output_rules_are_in_the_help(env: dict[str, str]) -> None:
    for command in ("export", "reason"):
        text = _run([command, "--help"], env).stdout.decode()
        help_text = " ".join(text.split())
        assert "symbolic link" in help_text and "/dev/stdout" in help_text, text
        assert "device" in help_text and "exit 2" in help_text, text
