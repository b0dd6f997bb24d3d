#!/usr/bin/env python3
"""Scale benchmark (issue 14): each command of alliance-kg and its peer, paired and interleaved, on synthetic
data of 10k, 100k and 1M triples added to the bundled graph. Not part of the test suite.

    python bench/bench_scale.py                                  # every work at 10k, 100k and 1M, 3 runs each
    python bench/bench_scale.py --sizes 10k,100k --only export,validate,reason,query --json out.json
    python bench/bench_scale.py --only serve --sizes 100k --requests 5000 --concurrency 32

For each work and size the runs alternate, ours then the peer's (A B A B …, --repeat times; sizes of 1M and
more --repeat-large times), each a whole process started and reaped here: wall time, CPU time (user + sys of
that process, from os.wait4) and peak resident memory (wait4's ru_maxrss). A run that passes --timeout is
killed and reported as "> 300 s", one that passes --memory-limit as "> 8 GiB" (the remaining runs of that tool
at that size are skipped); a run that exits with an unexpected status is reported as failed. The table gives
the medians, the ratios ours / peer, peak memory, and the growth exponent log(t_b / t_a) / log(b / a) between
the two largest sizes measured (100k -> 1M: log(t1M / t100k) / log(10); 1.0 is linear).

The pairs (see bench/README.md):
  export    alliance-kg export --data F --format ttl -o OUT
            vs oxigraph convert --from-file M --to-file OUT.ttl
  reason    alliance-kg reason --data F -f nt -o OUT
            vs reasonable (PyPI) on the same files (the synthetic one under a .ttl name), N-Triples out
  validate  alliance-kg validate --data F
            vs Jena shacl validate --shapes ontology/shapes.ttl --data M
  load      alliance-kg load --data F --endpoint …/store, into an `oxigraph serve` started here
            vs oxigraph load --location L --file M (a fresh location), and vs a Graph Store PUT of M
            (curl -T) into the same server; the server's CPU is reported beside
  query     alliance-kg query NAME --data F, a first and a second run sharing a reasoning cache
            vs oxigraph load + oxigraph query on a fresh location, then oxigraph query again
  serve     alliance-kg serve --data F: throughput of a query mix whose parameters vary
            vs oxigraph serve-read-only on a location holding M, the same mix
F is the synthetic file (bench/generate.py), M the same triples merged with the ontology and the bundled graph
(N-Triples), which is what alliance-kg reads with --data F. Our commands run with a fresh, empty reasoning
cache (ALLIANCE_KG_CACHE) each, except the second query, which reuses the first one's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
WORKS = ("export", "reason", "validate", "load", "query", "serve")
AKG = "https://w3id.org/alliance-kg/ontology#"
ID = "https://w3id.org/alliance-kg/id/"


# --- one measured run ----------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    cpu: float | None  # user + sys of the process (None: killed before it could be reaped normally)
    maxrss_kib: int | None
    rc: int | None
    timeout: bool = False
    memory: bool = False  # killed for passing --memory-limit
    failed: bool = False  # an exit status other than the expected one
    server_cpu: float | None = None  # load: CPU the target server spent during the run
    note: str = ""
    at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))  # when it ended

    @property
    def ok(self) -> bool:
        return not (self.timeout or self.memory or self.failed)


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    for child in children.read().split():
                        found.append(int(child))
                        todo.append(int(child))
        except OSError:
            continue
    return found


def tree_rss_kib(pid: int) -> int:
    return sum(_rss_kib(p) for p in [pid, *_descendants(pid)])


def process_cpu(pid: int) -> float:
    """User + sys seconds a running process has used so far (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


#: PEAK_MEMORY. A child's ru_maxrss counts the memory of the process it was forked from, up to its exec (Linux
#: keeps the parent's high-water mark across the exec), so a command started straight from this process would
#: seem to need as much memory as the benchmark holds. Each command is therefore started by GNU time
#: (/usr/bin/time, a small C program), which forks it and reports the command's own ru_maxrss (%M, KiB); the
#: CPU time is the wait4 figure of the whole (GNU time's own share is a millisecond or so).
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def _stop(pid: int) -> tuple[int, os.struct_rusage]:  # type: ignore[name-defined]
    """Kill a run: the command under GNU time first, so that GNU time reaps it and reports what it used up
    to then (its CPU time, its peak memory), then anything left in its process group."""
    for child in _descendants(pid) if GNU_TIME else []:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    return status, usage


def measure(
    argv: list[str],
    *,
    timeout: float,
    memory_limit_kib: int,
    env: dict[str, str] | None = None,
    stdout: Path | None = None,
    expect: tuple[int, ...] = (0,),
) -> Run:
    """Run ``argv`` to its end (or to the timeout or the memory limit) and measure it."""
    out = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL  # noqa: SIM115
    err = tempfile.TemporaryFile()  # noqa: SIM115
    peak = tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False)  # noqa: SIM115
    peak.close()
    if GNU_TIME:  # see PEAK_MEMORY: GNU time forks the command and reports its ru_maxrss alone
        argv = [GNU_TIME, "-q", "-f", "%M", "-o", peak.name, *argv]
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group: a timeout kills it and its children only
        )
    finally:
        if stdout is not None:
            out.close()  # type: ignore[union-attr]
    timed_out = over_memory = False
    pause = 0.001
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        now = time.perf_counter()
        if now - started > timeout:
            timed_out = True
        elif memory_limit_kib and tree_rss_kib(process.pid) > memory_limit_kib:
            over_memory = True
        if timed_out or over_memory:
            status, usage = _stop(process.pid)
            break
        time.sleep(pause)
        pause = min(pause * 1.5, 0.05)
    wall = time.perf_counter() - started
    rc = os.waitstatus_to_exitcode(status)
    process.returncode = rc  # reaped here: Popen must not wait for it again
    err.seek(0)
    message = err.read()[-2000:].decode("utf-8", "replace").strip()
    err.close()
    failed = not (timed_out or over_memory) and rc not in expect
    maxrss: int | None = usage.ru_maxrss
    if GNU_TIME:
        try:
            maxrss = int(Path(peak.name).read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            maxrss = None  # killed: GNU time wrote nothing
    os.unlink(peak.name)
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_kib=maxrss,
        rc=rc,
        timeout=timed_out,
        memory=over_memory,
        failed=failed,
        note=message.splitlines()[-1][:300] if failed and message else "",
    )


def combine(runs: list[Run]) -> Run:
    """Several processes measured as one piece of work: times added, the largest peak memory."""
    return Run(
        wall=sum(r.wall for r in runs),
        cpu=sum(r.cpu or 0.0 for r in runs),
        maxrss_kib=max(r.maxrss_kib or 0 for r in runs),
        rc=next((r.rc for r in runs if not r.ok), runs[-1].rc),
        timeout=any(r.timeout for r in runs),
        memory=any(r.memory for r in runs),
        failed=any(r.failed for r in runs),
        note="; ".join(r.note for r in runs if r.note),
    )


# --- results -------------------------------------------------------------------------------------------


@dataclass
class Series:
    work: str
    size: int
    tool: str  # "ours" or the peer's name
    command: str
    runs: list[Run] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)  # serve: throughput, latencies, start-up

    def median(self, what: str) -> float | None:
        values = [getattr(r, what) for r in self.runs if r.ok and getattr(r, what) is not None]
        return statistics.median(values) if values else None

    def status(self) -> str | None:
        """Why there is no figure: "> 300 s", "> 8 GiB", "failed (exit 1)"; None when there is one."""
        if any(r.ok for r in self.runs):
            return None
        for r in self.runs:
            if r.timeout:
                return f"> {r.wall:.0f} s"
            if r.memory:
                return f"> {r.maxrss_kib / 2**20:.1f} GiB" if r.maxrss_kib else "> memory limit"
            if r.failed:
                return f"failed (exit {r.rc})"
        return "not run"


def size_name(size: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if size >= scale and size % (scale // 10) == 0:
            text = f"{size / scale:g}"
            return f"{text}{unit}"
    return str(size)


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 10000, 10k, 1M)")
    return int(
        float(match.group(1).replace("_", "")) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    )


# --- the environment -----------------------------------------------------------------------------------


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def program(name: str) -> str | None:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else shutil.which(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, object]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    memory = 0
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as meminfo:
        memory = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "commit": git.stdout.strip(),
        "modified": sorted(line[3:] for line in dirty.stdout.splitlines() if line.strip()),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory / 2**20, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_average": os.getloadavg(),
    }


@dataclass
class Context:
    args: argparse.Namespace
    work_dir: Path
    ours: list[str]
    oxigraph: str | None
    jena_shacl: list[str] | None
    generator: ModuleType
    results: list[Series] = field(default_factory=list)
    _cache_count: int = 0

    @property
    def memory_kib(self) -> int:
        return int(self.args.memory_limit * 2**20)

    def run(self, argv: list[str], **options: object) -> Run:
        return measure(argv, timeout=self.args.timeout, memory_limit_kib=self.memory_kib, **options)  # type: ignore[arg-type]

    def fresh_cache(self) -> dict[str, str]:
        """The environment of one of our runs: an empty reasoning cache of its own."""
        self._cache_count += 1
        folder = self.work_dir / "cache" / str(self._cache_count)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return {**os.environ, "ALLIANCE_KG_CACHE": str(folder)}

    def repeat(self, size: int) -> int:
        return self.args.repeat_large if size >= 1_000_000 else self.args.repeat

    def synthetic(self, size: int) -> Path:
        path = self.work_dir / f"synth-{size_name(size)}.nt"
        if not path.exists():
            started = time.perf_counter()
            path.write_bytes(self.generator.generate(size, seed=self.args.seed))
            say(f"generated {path.name} in {time.perf_counter() - started:.1f} s")
        return path

    def as_turtle_name(self, size: int) -> Path:
        """The synthetic N-Triples under a .ttl name (N-Triples is Turtle), for readers that go by names."""
        link = self.work_dir / f"synth-{size_name(size)}.nt.ttl"
        if not link.exists():
            link.symlink_to(self.synthetic(size).name)
        return link

    def merged(self, size: int) -> Path:
        """Ontology + bundled graph + synthetic data as one N-Triples file: what the peers read."""
        path = self.work_dir / f"merged-{size_name(size)}.nt"
        if not path.exists():
            import pyoxigraph as ox

            sys.path.insert(0, str(ROOT))
            from alliance_kg import paths

            files = [paths.ontology_file(), *paths.graph_files()]
            with open(path, "wb") as out:
                for file in files:
                    ox.serialize(
                        ox.parse(path=str(file), format=ox.RdfFormat.TURTLE), out, ox.RdfFormat.N_TRIPLES
                    )
                out.write(self.synthetic(size).read_bytes())
        return path


def say(message: str) -> None:
    print(f"… {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def interleave(ctx: Context, size: int, tools: list[tuple[Series, Callable[[int], Run]]]) -> None:
    """Run the tools in turn, A B A B …, --repeat times; a tool that timed out or ran out of memory stops."""
    for rep in range(ctx.repeat(size)):
        for series, step in tools:
            if series.runs and any(r.timeout or r.memory for r in series.runs):
                continue
            run = step(rep)
            series.runs.append(run)
            shown = f"{run.wall:.2f} s wall, {run.cpu or 0:.2f} s CPU, {(run.maxrss_kib or 0) / 1024:.0f} MiB"
            if not run.ok:
                shown = (
                    "timeout" if run.timeout else "memory limit" if run.memory else "FAILED"
                ) + f" ({shown})"
            say(f"{series.work} {size_name(size)} {series.tool} #{rep + 1}: {shown} {run.note}")
    for series, _ in tools:
        ctx.results.append(series)


# --- the works -----------------------------------------------------------------------------------------


def bench_export(ctx: Context, size: int) -> None:
    data, merged = ctx.synthetic(size), ctx.merged(size)
    ours_out, peer_out = ctx.work_dir / "export-ours.ttl", ctx.work_dir / "export-peer.ttl"
    ours_argv = [*ctx.ours, "export", "--data", str(data), "--format", "ttl", "-o", str(ours_out)]
    peer_argv = [
        ctx.oxigraph or "oxigraph",
        "convert",
        "--from-file",
        str(merged),
        "--to-file",
        str(peer_out),
    ]
    ours = Series("export", size, "ours", " ".join(ours_argv))
    peer = Series("export", size, "oxigraph convert", " ".join(peer_argv))
    tools = [(ours, lambda _rep: ctx.run(ours_argv, env=ctx.fresh_cache()))]
    if ctx.oxigraph:
        tools.append((peer, lambda _rep: ctx.run(peer_argv)))
    interleave(ctx, size, tools)


REASONABLE = """
import sys, reasonable
r = reasonable.PyReasoner()
for f in sys.argv[2:]:
    r.load_file(f)
triples = r.reason()
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for s, p, o in triples:
        out.write(f"{s.n3()} {p.n3()} {o.n3()} .\\n")
"""


def bench_reason(ctx: Context, size: int) -> None:
    sys.path.insert(0, str(ROOT))
    from alliance_kg import paths

    data = ctx.synthetic(size)
    ours_out, peer_out = ctx.work_dir / "reason-ours.nt", ctx.work_dir / "reason-peer.nt"
    ours_argv = [*ctx.ours, "reason", "--data", str(data), "--format", "nt", "-o", str(ours_out)]
    files = [str(paths.ontology_file()), *map(str, paths.graph_files()), str(ctx.as_turtle_name(size))]
    peer_argv = [sys.executable, "-c", REASONABLE, str(peer_out), *files]
    ours = Series("reason", size, "ours", " ".join(ours_argv))
    peer = Series(
        "reason", size, "reasonable", "python -c <reasonable.PyReasoner: load_file, reason, write nt>"
    )
    tools = [(ours, lambda _rep: ctx.run(ours_argv, env=ctx.fresh_cache()))]
    if importlib.util.find_spec("reasonable") is not None:
        tools.append((peer, lambda _rep: ctx.run(peer_argv)))
    else:
        say("reasonable is not installed (pip install reasonable): reason runs without its peer")
    interleave(ctx, size, tools)


def bench_validate(ctx: Context, size: int) -> None:
    sys.path.insert(0, str(ROOT))
    from alliance_kg import paths

    data, merged = ctx.synthetic(size), ctx.merged(size)
    ours_argv = [*ctx.ours, "validate", "--data", str(data)]
    ours = Series("validate", size, "ours", " ".join(ours_argv))
    tools = [
        (
            ours,
            lambda _rep: ctx.run(ours_argv, env=ctx.fresh_cache(), stdout=ctx.work_dir / "validate-ours.txt"),
        )
    ]
    if ctx.jena_shacl:
        peer_argv = [*ctx.jena_shacl, "validate", "--shapes", str(paths.shapes_file()), "--data", str(merged)]
        peer = Series("validate", size, "jena shacl", " ".join(peer_argv[-5:]))
        tools.append((peer, lambda _rep: ctx.run(peer_argv, stdout=ctx.work_dir / "validate-peer.ttl")))
    interleave(ctx, size, tools)
    report = ctx.work_dir / "validate-peer.ttl"
    if ctx.jena_shacl and report.exists() and not re.search(rb"sh:conforms\s+true", report.read_bytes()):
        say("note: Jena's report does not say sh:conforms true (see validate-peer.ttl)")


@contextlib.contextmanager
def oxigraph_server(ctx: Context, location: Path, *, read_only: bool = False) -> Iterator[tuple[int, str]]:
    """An Oxigraph server on 127.0.0.1 and a free port, started here and stopped by its PID."""
    assert ctx.oxigraph is not None
    port = free_port()
    command = "serve-read-only" if read_only else "serve"
    argv = [ctx.oxigraph, command, "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, f"{base}/query?{urlencode({'query': 'ASK {}'})}", ctx.args.timeout)
        yield process.pid, base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(process: subprocess.Popen[bytes], url: str, timeout: float) -> float:
    """Seconds until ``url`` answers 200 (the server's start-up time)."""
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if (
                httpx.get(url, timeout=5, headers={"Accept": "application/sparql-results+json"}).status_code
                == 200
            ):
                return time.perf_counter() - started
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def bench_load(ctx: Context, size: int) -> None:
    if not ctx.oxigraph:
        say("oxigraph is not installed: load is skipped")
        return
    data, merged = ctx.synthetic(size), ctx.merged(size)
    store = ctx.work_dir / f"load-server-{size_name(size)}"
    shutil.rmtree(store, ignore_errors=True)
    with oxigraph_server(ctx, store) as (pid, base):
        ours_argv = [*ctx.ours, "load", "--data", str(data), "--endpoint", f"{base}/store"]
        ours_argv += ["--deadline", str(int(ctx.args.timeout))]
        put_argv = [
            "curl",
            "-sS",
            "-f",
            "-o",
            "/dev/null",
            "-T",
            str(merged),
            "-H",
            "Content-Type: application/n-triples",
        ]
        put_argv.append(f"{base}/store?{urlencode({'graph': 'urn:x-alliance-kg-bench:put'})}")
        location = ctx.work_dir / "oxigraph-load"
        load_argv = [ctx.oxigraph, "load", "--location", str(location), "--file", str(merged)]

        def with_server_cpu(argv: list[str], env: dict[str, str] | None = None) -> Run:
            before = process_cpu(pid)
            run = ctx.run(argv, env=env)
            run.server_cpu = process_cpu(pid) - before
            return run

        def oxigraph_load(_rep: int) -> Run:
            shutil.rmtree(location, ignore_errors=True)
            try:
                return ctx.run(load_argv)
            finally:
                shutil.rmtree(location, ignore_errors=True)

        tools = [
            (
                Series("load", size, "ours", " ".join(ours_argv)),
                lambda _r: with_server_cpu(ours_argv, ctx.fresh_cache()),
            ),
            (Series("load", size, "oxigraph load", " ".join(load_argv)), oxigraph_load),
        ]
        if shutil.which("curl"):
            tools.append(
                (
                    Series("load", size, "Graph Store PUT", " ".join(put_argv)),
                    lambda _r: with_server_cpu(put_argv),
                )
            )
        interleave(ctx, size, tools)
    shutil.rmtree(store, ignore_errors=True)


def _query_file(ctx: Context) -> Path:
    """The named query's SPARQL, with every project prefix it uses declared, for `oxigraph query`."""
    sys.path.insert(0, str(ROOT))
    from alliance_kg import paths
    from alliance_kg.namespaces import PREFIXES

    text = (paths.queries_dir() / f"{ctx.args.query}.rq").read_text()
    declared = set(re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w-]*)?:", text))
    head = "".join(
        f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if p not in declared and f"{p}:" in text
    )
    path = ctx.work_dir / f"{ctx.args.query}.rq"
    path.write_text(head + text)
    return path


def bench_query(ctx: Context, size: int) -> None:
    data, merged = ctx.synthetic(size), ctx.merged(size)
    name = ctx.args.query
    ours_argv = [*ctx.ours, "query", name, "--data", str(data), "--format", "csv", "--timeout", "0"]
    ours_first = Series("query (1st run)", size, "ours", " ".join(ours_argv))
    ours_second = Series("query (2nd run)", size, "ours", " ".join(ours_argv) + "  (same cache)")
    peer_first = Series("query (1st run)", size, "oxigraph load+query", "oxigraph load; oxigraph query")
    peer_second = Series("query (2nd run)", size, "oxigraph query", "oxigraph query (loaded location)")
    query = _query_file(ctx) if ctx.oxigraph else None
    location = ctx.work_dir / "oxigraph-query"
    out = ctx.work_dir / "query-out.csv"

    def ours(_rep: int) -> Run:
        env = ctx.fresh_cache()
        first = ctx.run(ours_argv, env=env, stdout=out)
        ours_second.runs.append(ctx.run(ours_argv, env=env, stdout=out) if first.ok else first)
        return first

    def peer(_rep: int) -> Run:
        assert ctx.oxigraph is not None and query is not None
        shutil.rmtree(location, ignore_errors=True)
        run_query = [ctx.oxigraph, "query", "--location", str(location), "--query-file", str(query)]
        run_query += ["--results-format", "csv"]
        load = ctx.run([ctx.oxigraph, "load", "--location", str(location), "--file", str(merged)])
        first = combine([load, ctx.run(run_query, stdout=out)]) if load.ok else load
        peer_second.runs.append(ctx.run(run_query, stdout=out) if first.ok else first)
        shutil.rmtree(location, ignore_errors=True)
        return first

    tools = [(ours_first, ours)]
    if ctx.oxigraph:
        tools.append((peer_first, peer))
    interleave(ctx, size, tools)
    ctx.results += [ours_second] + ([peer_second] if ctx.oxigraph else [])


# --- serve: throughput of a query mix whose parameters vary ---------------------------------------------


def query_mix(data: Path, count: int, seed: int) -> list[str]:
    """``count`` SPARQL queries (full IRIs, no prefixes: both servers take them as they are), each about a
    plant, model or company drawn at random from those in ``data``, so that no two in a row are the same."""
    plants: set[str] = set()
    models: list[str] = []
    with open(data, "rb") as lines:
        for line in lines:
            if b"/id/statement/" in line[:60]:
                continue
            if line.endswith(f"<{AKG}Plant> .\n".encode()):
                plants.add(line.split(b">", 1)[0][1:].decode())
            elif line.endswith(f"<{AKG}VehicleModel> .\n".encode()):
                models.append(line.split(b">", 1)[0][1:].decode())
    plant_list = sorted(plants) or [ID + "plant/ampere-douai"]
    model_list = sorted(models) or [ID + "vehicle/nissan-micra"]
    rng = random.Random(seed)

    def company(plant: str) -> str:
        return plant.replace("/plant/synthetic-", "/organisation/synthetic-motors-")

    templates: list[Callable[[], str]] = [
        lambda: (
            f"SELECT ?year ?units WHERE {{ ?f <{AKG}productionFigureOf> <{rng.choice(plant_list)}> ; "
            f"<{AKG}productionYear> ?year ; <{AKG}unitsProduced> ?units }} ORDER BY ?year"
        ),
        lambda: (
            f"SELECT ?m ?name ?start WHERE {{ ?m <{AKG}producedAt> <{rng.choice(plant_list)}> ; "
            f"<{AKG}name> ?name "
            f"OPTIONAL {{ ?m <{AKG}productionStartYear> ?start }} }} ORDER BY ?name"
        ),
        lambda: (
            f"ASK {{ <{rng.choice(model_list)}> <{AKG}builtOnPlatform> ?p . "
            f"?line <{AKG}equippedWithPlatform> ?p }}"
        ),
        lambda: (
            f"SELECT ?name ?from WHERE {{ ?post <{AKG}postIn> <{company(rng.choice(plant_list))}> ; "
            f"<{AKG}heldBy> ?p . ?p <{AKG}name> ?name . OPTIONAL {{ ?t <{AKG}tenureOfPost> ?post ; "
            f"<{AKG}heldFrom> ?from }} }}"
        ),
        lambda: (
            f"SELECT (SUM(?u) AS ?total) (COUNT(?f) AS ?years) WHERE {{ ?f <{AKG}productionFigureOf> "
            f"<{rng.choice(plant_list)}> ; <{AKG}unitsProduced> ?u }}"
        ),
        lambda: (
            "SELECT ?p ?source WHERE { ?st <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> "
            f"<{rng.choice(model_list)}> ; <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> ?p ; "
            "<http://www.w3.org/ns/prov#wasDerivedFrom> ?source }"
        ),
        lambda: f"DESCRIBE <{rng.choice(plant_list)}>",
        lambda: (
            f"SELECT ?e ?date WHERE {{ ?e <{AKG}concernsModel> <{rng.choice(model_list)}> ; "
            f"<{AKG}takesPlaceOn>|<{AKG}approximateYear> ?date }}"
        ),
    ]
    return [templates[i % len(templates)]() for i in range(count)]


class Connection:
    """A minimal HTTP/1.1 keep-alive client (as bench/bench_server.py's), reading Content-Length and chunked
    bodies: Oxigraph streams its results chunked."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                length = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(length + 2)
                if length == 0:
                    break
        else:
            await self.reader.read()  # the body ends with the connection
            await self.close()
            return status
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def load_test(
    port: int, path: str, queries: list[str], concurrency: int
) -> tuple[list[float], int, float]:
    requests = [
        (
            f"GET {path}?{urlencode({'query': q})} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Accept: application/sparql-results+json, text/turtle;q=0.9\r\n"
            "User-Agent: alliance-kg-bench\r\n\r\n"
        ).encode()
        for q in queries
    ]
    latencies: list[float] = []
    errors = 0
    position = 0

    async def client() -> None:
        nonlocal position, errors
        connection = Connection("127.0.0.1", port)
        try:
            while position < len(requests):
                raw = requests[position]
                position += 1
                started = time.perf_counter()
                try:
                    if await connection.request(raw) != 200:
                        errors += 1
                except (OSError, ValueError, asyncio.IncompleteReadError):
                    errors += 1
                    await connection.close()
                latencies.append(time.perf_counter() - started)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def bench_serve(ctx: Context, size: int) -> None:
    data, merged = ctx.synthetic(size), ctx.merged(size)
    args = ctx.args
    ours = Series("serve", size, "ours", "alliance-kg serve --data F " + " ".join(args.serve_args))
    peer = Series("serve", size, "oxigraph serve-read-only", "oxigraph serve-read-only --location L")
    location = ctx.work_dir / "serve-location"

    def measured(
        argv: list[str], path: str, port: int, env: dict[str, str] | None, ready: str
    ) -> tuple[Run, dict]:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            try:
                startup = wait_until_up(process, ready, args.timeout)
            except (TimeoutError, RuntimeError) as exc:
                return Run(
                    wall=args.timeout, cpu=None, maxrss_kib=None, rc=None, timeout=True, note=str(exc)
                ), {}
            queries = query_mix(data, args.requests, args.seed + len(ours.runs) + len(peer.runs))
            before = sum(process_cpu(p) for p in [process.pid, *_descendants(process.pid)])
            latencies, errors, elapsed = asyncio.run(load_test(port, path, queries, args.concurrency))
            cpu = sum(process_cpu(p) for p in [process.pid, *_descendants(process.pid)]) - before
            rss = tree_rss_kib(process.pid)
            extra = {
                "startup_s": round(startup, 3),
                "throughput": round(len(latencies) / elapsed, 1),
                "p50_ms": round(percentile(latencies, 50) * 1000, 1),
                "p99_ms": round(percentile(latencies, 99) * 1000, 1),
                "errors": errors,
                "rss_mib": round(rss / 1024, 1),
            }
            run = Run(
                wall=elapsed,
                cpu=cpu,
                maxrss_kib=rss,
                rc=0,
                failed=errors > 0,
                note=f"{errors} errors" if errors else "",
            )
            return run, extra
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def run_ours(_rep: int) -> Run:
        port = free_port()
        argv = [*ctx.ours, "serve", "--data", str(data), "--port", str(port), "--quiet", *args.serve_args]
        ready = f"http://127.0.0.1:{port}/sparql?{urlencode({'query': 'ASK {}'})}"
        run, extra = measured(argv, "/sparql", port, ctx.fresh_cache(), ready)
        ours.extra.setdefault("runs", []).append(extra)  # type: ignore[union-attr]
        return run

    def run_peer(_rep: int) -> Run:
        assert ctx.oxigraph is not None
        port = free_port()
        argv = [ctx.oxigraph, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
        ready = f"http://127.0.0.1:{port}/query?{urlencode({'query': 'ASK {}'})}"
        run, extra = measured(argv, "/query", port, None, ready)
        peer.extra.setdefault("runs", []).append(extra)  # type: ignore[union-attr]
        return run

    tools = [(ours, run_ours)]
    if ctx.oxigraph:
        shutil.rmtree(location, ignore_errors=True)
        loaded = ctx.run([ctx.oxigraph, "load", "--location", str(location), "--file", str(merged)])
        if loaded.ok:
            tools.append((peer, run_peer))
    interleave(ctx, size, tools)
    shutil.rmtree(location, ignore_errors=True)


BENCHES: dict[str, Callable[[Context, int], None]] = {
    "export": bench_export,
    "reason": bench_reason,
    "validate": bench_validate,
    "load": bench_load,
    "query": bench_query,
    "serve": bench_serve,
}


# --- the report ----------------------------------------------------------------------------------------


def _seconds(value: float | None, status: str | None) -> str:
    if value is None:
        return status or "—"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "—"


def _mib(series: Series) -> str:
    values = [r.maxrss_kib for r in series.runs if r.ok and r.maxrss_kib]
    return f"{max(values) / 1024:.0f}" if values else "—"


def _ok(series: Series) -> str:
    """Runs that gave a figure, of those made: "3/3"; the medians are of the former."""
    return f"{sum(r.ok for r in series.runs)}/{len(series.runs)}"


def table(results: list[Series]) -> str:
    rows = [
        "| work | size | peer | ours CPU s | peer CPU s | CPU ratio | ours wall s | peer wall s | wall ratio "
        "| ours peak MiB | peer peak MiB | runs ok |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    results = sorted(results, key=lambda s: (WORKS.index(s.work.split(" ")[0]), s.work, s.size))
    for series in results:
        if series.tool == "ours" or series.work == "serve":
            continue
        ours = next(
            (s for s in results if s.work == series.work and s.size == series.size and s.tool == "ours"), None
        )
        if ours is None:
            continue
        o_cpu, p_cpu = ours.median("cpu"), series.median("cpu")
        o_wall, p_wall = ours.median("wall"), series.median("wall")
        rows.append(
            f"| {series.work} | {size_name(series.size)} | {series.tool} | {_seconds(o_cpu, ours.status())} "
            f"| {_seconds(p_cpu, series.status())} | {_ratio(o_cpu, p_cpu)} "
            f"| {_seconds(o_wall, ours.status())} | {_seconds(p_wall, series.status())} "
            f"| {_ratio(o_wall, p_wall)} | {_mib(ours)} | {_mib(series)} | {_ok(ours)} · {_ok(series)} |"
        )
        if series.work == "load":
            for s in (ours, series):
                server = [r.server_cpu for r in s.runs if r.ok and r.server_cpu is not None]
                if server:
                    notes.append(
                        f"load {size_name(s.size)} {s.tool}: the server spent "
                        f"{statistics.median(server):.2f} s CPU"
                    )
    lonely = [s for s in results if s.tool == "ours" and s.work != "serve"]
    for s in lonely:
        if not any(p.work == s.work and p.size == s.size and p.tool != "ours" for p in results):
            rows.append(
                f"| {s.work} | {size_name(s.size)} | (no peer) "
                f"| {_seconds(s.median('cpu'), s.status())} | — | — "
                f"| {_seconds(s.median('wall'), s.status())} | — | — | {_mib(s)} | — | {_ok(s)} |"
            )
    text = "\n".join(rows)
    if notes:
        text += "\n\n" + "\n".join(f"- {n} (not in the client's CPU above)" for n in sorted(set(notes)))
    return text


def serve_table(results: list[Series]) -> str:
    rows = [
        "| size | server | runs | throughput req/s | p50 ms | p99 ms | errors | start-up s | RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for series in results:
        if series.work != "serve":
            continue
        runs = [r for r in series.extra.get("runs", []) if r]  # type: ignore[union-attr]
        if not runs:
            rows.append(f"| {size_name(series.size)} | {series.tool} | 0 | {series.status()} | | | | | |")
            continue

        def med(key: str, runs: list = runs) -> float:
            return statistics.median(float(r[key]) for r in runs)

        rows.append(
            f"| {size_name(series.size)} | {series.tool} | {len(runs)} | {med('throughput'):.0f} "
            f"| {med('p50_ms'):.1f} "
            f"| {med('p99_ms'):.1f} | {sum(int(r['errors']) for r in runs)} | {med('startup_s'):.2f} "
            f"| {med('rss_mib'):.0f} |"
        )
    for size in sorted({s.size for s in results if s.work == "serve"}):
        pair = [s for s in results if s.work == "serve" and s.size == size]
        medians = {}
        for s in pair:
            runs = [r for r in s.extra.get("runs", []) if r]  # type: ignore[union-attr]
            if runs:
                medians[s.tool] = statistics.median(float(r["throughput"]) for r in runs)
        if "ours" in medians and len(medians) == 2:
            peer = next(v for k, v in medians.items() if k != "ours")
            rows.append(f"\n{size_name(size)}: throughput ours / peer = {medians['ours'] / peer:.2f}×")
    return "\n".join(rows)


def growth(results: list[Series]) -> str:
    rows = ["| work | tool | sizes | CPU exponent | wall exponent |", "|---|---|---|---|---|"]
    keys = sorted({(s.work, s.tool) for s in results}, key=lambda k: (WORKS.index(k[0].split(" ")[0]), k))
    for work, tool in keys:
        measured = sorted((s for s in results if s.work == work and s.tool == tool), key=lambda s: s.size)
        if len(measured) < 2:
            continue
        a, b = measured[-2], measured[-1]

        def exponent(what: str, a: Series = a, b: Series = b) -> str:
            ta, tb = a.median(what), b.median(what)
            if ta is None or tb is None or ta <= 0 or tb <= 0:
                return b.status() or a.status() or "—"
            return f"{math.log(tb / ta) / math.log(b.size / a.size):.2f}"

        if work == "serve":  # time per request, the inverse of the throughput
            continue
        rows.append(
            f"| {work} | {tool} | {size_name(a.size)}→{size_name(b.size)} "
            f"| {exponent('cpu')} | {exponent('wall')} |"
        )
    return "\n".join(rows)


def render(results: list[Series]) -> str:
    parts = []
    if any(s.work != "serve" for s in results):
        parts.append(table(results))
    if any(s.work == "serve" for s in results):
        parts.append("serve (throughput of the query mix):\n\n" + serve_table(results))
    parts.append("growth exponents (1.0 = linear):\n\n" + growth(results))
    return "\n\n".join(parts)


def load_results(path: Path) -> list[Series]:
    """The series of a --json file."""
    payload = json.loads(path.read_text())
    out = []
    for item in payload["results"]:
        runs = [Run(**run) for run in item["runs"]]
        fields = {k: v for k, v in item.items() if k in ("work", "size", "tool", "command", "extra")}
        out.append(Series(runs=runs, **fields))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated sizes (default: 10k,100k,1M)")
    parser.add_argument("--only", default=",".join(WORKS), help=f"comma-separated works: {','.join(WORKS)}")
    parser.add_argument("--repeat", type=int, default=3, help="paired runs per work and size (default: 3)")
    parser.add_argument(
        "--repeat-large", type=int, default=1, help="runs at sizes of 1M and more (default: 1)"
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds a run may take (default: 300)")
    parser.add_argument(
        "--memory-limit", type=float, default=8, help="GiB of RSS a run may use (default: 8; 0: none)"
    )
    parser.add_argument("--seed", type=int, default=0, help="of the synthetic data and of the query mix")
    parser.add_argument(
        "--query", default="list-events", help="the named query of `query` (default: list-events)"
    )
    parser.add_argument("--requests", type=int, default=5000, help="serve: requests per run (default: 5000)")
    parser.add_argument("--concurrency", type=int, default=32, help="serve: concurrent clients (default: 32)")
    parser.add_argument(
        "--serve-args",
        default="",
        help='serve: more options for alliance-kg serve, e.g. "--no-reasoning --workers 2"',
    )
    parser.add_argument(
        "--work-dir", type=Path, help="keep the data and outputs here (default: a temporary folder)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--report", type=Path, help="run nothing: print the tables of a --json file of a past run"
    )
    args = parser.parse_args(argv)
    if args.report is not None:
        print(render(load_results(args.report)))
        return 0
    args.serve_args = args.serve_args.split()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(WORKS))
    if unknown:
        parser.error(f"unknown work(s) {', '.join(unknown)}: choose from {', '.join(WORKS)}")

    ours_program = program("alliance-kg")
    ours = [ours_program] if ours_program else [sys.executable, "-m", "alliance_kg"]
    jena: list[str] | None = None
    if shutil.which("shacl"):
        jena = [str(shutil.which("shacl"))]
    elif shutil.which("java") and (ROOT / "scripts" / "jena-classpath").exists():
        classpath = subprocess.run(
            ["bash", str(ROOT / "scripts" / "jena-classpath")], capture_output=True, text=True, check=False
        )
        if classpath.returncode == 0:
            jena = ["java", "-cp", classpath.stdout.strip(), "shacl.shacl"]
    temporary = None
    if args.work_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="alliance-kg-bench-")
        work_dir = Path(temporary.name)
    else:
        work_dir = args.work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(
        args=args,
        work_dir=work_dir,
        ours=ours,
        oxigraph=program("oxigraph"),
        jena_shacl=jena,
        generator=_load_module("bench_generate", ROOT / "bench" / "generate.py"),
    )
    found = {
        "oxigraph": ctx.oxigraph,
        "Jena shacl": " ".join(jena[:1] + jena[-1:]) if jena else None,
        "reasonable": "yes" if importlib.util.find_spec("reasonable") else None,
        "GNU time": GNU_TIME,
        "curl": shutil.which("curl"),
    }
    say("peers: " + ", ".join(f"{k} {v or 'MISSING'}" for k, v in found.items()))
    if not GNU_TIME:
        say(
            "without /usr/bin/time (Debian: time) peak memory includes this benchmark's own (see PEAK_MEMORY)"
        )
    about = machine()
    say(
        f"machine: {about['cpus']} CPUs, {about['cpu_model']}, {about['memory_gib']} GiB; work dir {work_dir}"
    )
    started = time.perf_counter()
    try:
        for size in sizes:
            for work in only:
                try:
                    BENCHES[work](ctx, size)
                except Exception as exc:  # one broken pair must not lose the others' figures
                    say(f"{work} {size_name(size)}: {type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        say("interrupted: the figures so far")
    finally:
        print(render(ctx.results))
        if args.json:
            payload = {
                "machine": about,
                "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "seconds": round(time.perf_counter() - started, 1),
                "results": [
                    {
                        **{k: v for k, v in asdict(s).items() if k != "runs"},
                        "runs": [asdict(r) for r in s.runs],
                        "median_cpu": s.median("cpu"),
                        "median_wall": s.median("wall"),
                        "status": s.status(),
                    }
                    for s in ctx.results
                ],
            }
            args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        if temporary is not None:
            temporary.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
