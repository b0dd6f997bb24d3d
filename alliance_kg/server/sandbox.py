"""Query workers that the kernel keeps off the network: a seccomp filter each worker installs on itself
before it loads the dataset or runs a query.

Why. Oxigraph evaluates ``SERVICE`` by sending an HTTP request, and pyoxigraph has no switch to turn that
off; the gate (:mod:`alliance_kg.gate`) refuses every ``SERVICE`` before a worker sees a query. This is the
second wall, for the day the gate and the engine disagree again: a worker's own system calls for a network
socket fail, so whatever reaches the engine cannot connect anywhere (Oxigraph then reports ``Permission
denied (os error 13)``, and the client gets a 400 with it).

What the filter refuses (default: allow; each rule answers an error, nothing is killed):

- ``socket()`` for every address family, ``AF_UNIX`` included: ``EACCES``, the error socket(2) documents for
  "permission to create a socket … is denied". Nothing in a worker opens a socket (its pipes to the server
  are plain pipes), and a named ``AF_UNIX`` socket is a way out too: glibc resolves host names through nscd
  or systemd-resolved over one, so a DNS query would still leave the machine, and a daemon's socket
  (docker.sock) does anything asked of it. ``AF_NETLINK``, ``AF_PACKET``, ``AF_VSOCK``… go with the rest.
- ``socketpair()`` for any family but ``AF_UNIX`` (an ``AF_UNIX`` pair reaches nothing but itself).
- ``io_uring_setup``, ``io_uring_enter``, ``io_uring_register``: ``EPERM`` (what a kernel with io_uring
  disabled answers). io_uring creates and connects sockets without the ``socket()`` system call.
- ``pidfd_getfd``: ``EPERM``; it copies a file descriptor — a socket of the server, say — out of another
  process.

A worker inherits no socket either: it is started with ``close_fds`` and only its two pipes
(:mod:`alliance_kg.server.workers`), and :func:`deny_network` checks: a socket of any family but ``AF_UNIX``
open in the process (a server whose standard output is a TCP socket, say) means the filter cannot keep the
process off the network, and it says so instead of installing it. The filter holds for every thread of the
process (``SECCOMP_FILTER_FLAG_TSYNC``) and every child it would start, through ``execve`` (libseccomp sets
``no_new_privs``), and it cannot be removed. A system call made through another architecture's entry (x32
or ``int 0x80`` on x86-64) ends the process (SIGSYS). This is no jail for code that has taken over a worker
— it can still read files and signal processes as the server's user — but a query, whatever it says, gets
no socket.

Why seccomp, and not a network namespace. Both work on this project's machines (as root, and as a user with
unprivileged user namespaces), and a worker in an empty namespace cannot connect either. But:

- a namespace needs ``CAP_SYS_ADMIN`` or unprivileged user namespaces, which many hosts turn off (Docker's
  default seccomp profile refuses ``unshare`` to a container without ``CAP_SYS_ADMIN``; Ubuntu 24.04
  restricts them through AppArmor; some kernels set ``user.max_user_namespaces`` to 0), while a seccomp
  filter is open to any process, in Docker's default profile too; ``unshare(CLONE_NEWUSER)`` also fails in a
  process that already has threads;
- a worker that is root in the server's namespace keeps ``CAP_SYS_ADMIN`` in its new one and can ``setns``
  back through ``/proc/<server>/ns/net``; a filter cannot be lifted;
- a network namespace leaves the file system, so named ``AF_UNIX`` sockets (nscd, systemd-resolved, Docker)
  still reach daemons that are on the network.

How. Through libseccomp (``libseccomp.so.2``, by ctypes: five functions of its stable C API), which knows
each architecture's system call numbers and writes the BPF program. It is a C library, not a Python
package: Debian's and Ubuntu's ``libseccomp2`` (apt and systemd depend on it, so nearly every system has
it), Fedora's ``libseccomp``. Nothing is added to the project's Python dependencies — Debian's
``python3-seccomp`` is built for the system Python and cannot be used from a virtual environment, and the
PyPI ``pyseccomp`` (unmaintained since 2021) is itself ctypes over the same library. libseccomp 2.5 or later
(2020) is needed, the first to know io_uring.

Where there is no seccomp (not Linux, no libseccomp, a libseccomp older than 2.5, a kernel without seccomp
filters), :func:`deny_network` raises :class:`SandboxUnavailable` with the reason and changes nothing. The
server then warns once at start ("query workers are not sandboxed: …; the gate still refuses SERVICE") and
serves, the gate being the first wall; ``alliance-kg serve --require-sandbox`` makes it refuse to start
instead (``QueryPool(require_sandbox=True)``).
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import stat
import sys
from pathlib import Path

LIBRARY = "libseccomp.so.2"
MIN_VERSION = (2, 5, 0)

# libseccomp's constants (seccomp.h); stable across its versions
_ACT_ALLOW = 0x7FFF0000
_ACT_KILL_PROCESS = 0x80000000
_ATTR_ACT_BADARCH = 2
_ATTR_CTL_NNP = 3
_ATTR_CTL_TSYNC = 4
_CMP_NE = 1


def _act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):  # struct scmp_arg_cmp
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


class _Version(ctypes.Structure):  # struct scmp_version
    _fields_ = (("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint))


#: (system call, errno answered, the first argument must differ from this for the rule to apply, or None)
RULES: tuple[tuple[str, int, int | None], ...] = (
    ("socket", errno.EACCES, None),
    ("socketpair", errno.EACCES, socket.AF_UNIX),
    ("io_uring_setup", errno.EPERM, None),
    ("io_uring_enter", errno.EPERM, None),
    ("io_uring_register", errno.EPERM, None),
    ("pidfd_getfd", errno.EPERM, None),
)


class SandboxUnavailable(Exception):
    """The sandbox cannot be put in force here; the message says why. Nothing was changed."""


def deny_network() -> str:
    """Install the filter on this process (every thread, and every child to come), and check that a socket
    is now refused. Returns what is in force, for the server's log; raises :class:`SandboxUnavailable` where
    it cannot be (see the module's docstring)."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"seccomp is Linux's; this is {sys.platform}")
    lib, version = _library()
    _no_network_sockets_open()
    _load_filter(lib)
    _check()
    return f"seccomp (libseccomp {version}): no socket, no io_uring, no pidfd_getfd"


def _library() -> tuple[ctypes.CDLL, str]:
    try:
        lib = ctypes.CDLL(LIBRARY)
    except OSError as exc:
        raise SandboxUnavailable(
            f"libseccomp cannot be loaded ({exc}); install it: libseccomp2 on Debian and Ubuntu, "
            "libseccomp on Fedora"
        ) from None
    lib.seccomp_version.restype = ctypes.POINTER(_Version)
    lib.seccomp_version.argtypes = ()
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_attr_set.restype = ctypes.c_int
    lib.seccomp_attr_set.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32)
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_load.restype = ctypes.c_int
    lib.seccomp_load.argtypes = (ctypes.c_void_p,)
    lib.seccomp_release.restype = None
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    v = lib.seccomp_version().contents
    found = (v.major, v.minor, v.micro)
    version = ".".join(map(str, found))
    if found < MIN_VERSION:
        wanted = ".".join(map(str, MIN_VERSION))
        raise SandboxUnavailable(f"libseccomp {version} is too old (it needs {wanted}, which knows io_uring)")
    return lib, version


def _open_fds() -> list[int]:
    try:
        return sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:  # no /proc: every descriptor the limit allows
        return list(range(min(os.sysconf("SC_OPEN_MAX"), 65_536)))


def _no_network_sockets_open() -> None:
    """A socket already open would get past a filter on the calls that make new ones."""
    for fd in _open_fds():
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=fd)
        except OSError:
            continue
        family = probe.family
        probe.detach()
        if family != socket.AF_UNIX:
            name = family.name if isinstance(family, socket.AddressFamily) else str(family)
            raise SandboxUnavailable(
                f"file descriptor {fd} is an {name} socket inherited from the server, which a filter on new "
                "sockets cannot take back"
            )


def _failed(what: str, code: int) -> SandboxUnavailable:
    return SandboxUnavailable(f"{what} failed: {os.strerror(-code) if code < 0 else code}")


def _load_filter(lib: ctypes.CDLL) -> None:
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        raise SandboxUnavailable("libseccomp could not make a filter (seccomp_init)")
    try:
        for attr, value in ((_ATTR_CTL_NNP, 1), (_ATTR_CTL_TSYNC, 1), (_ATTR_ACT_BADARCH, _ACT_KILL_PROCESS)):
            code = lib.seccomp_attr_set(ctx, attr, value)
            if code != 0:
                raise _failed(f"seccomp_attr_set({attr})", code)
        for name, answer, unless in RULES:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                raise SandboxUnavailable(f"libseccomp does not know the system call {name}")
            if unless is None:
                code = lib.seccomp_rule_add_array(ctx, _act_errno(answer), number, 0, None)
            else:
                cmp = (_ArgCmp * 1)(_ArgCmp(0, _CMP_NE, unless, 0))
                code = lib.seccomp_rule_add_array(ctx, _act_errno(answer), number, 1, cmp)
            if code != 0:
                raise _failed(f"a rule for {name}", code)
        code = lib.seccomp_load(ctx)
        if code != 0:
            raise _failed("the kernel refused the filter: seccomp_load", code)
    finally:
        lib.seccomp_release(ctx)


def _check() -> None:
    """The filter is in force on every thread, and a socket is refused."""
    tasks = Path("/proc/self/task")
    if tasks.is_dir():
        for task in tasks.iterdir():
            try:
                status = (task / "status").read_text()
            except OSError:  # the thread ended meanwhile
                continue
            if "Seccomp:\t2" not in status:
                raise RuntimeError(f"the seccomp filter is not in force on thread {task.name}")
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except PermissionError:
        return
    probe.close()
    raise RuntimeError("the seccomp filter is loaded, yet a socket could be made")
