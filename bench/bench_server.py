#!/usr/bin/env python3
"""Load test of `alliance-kg serve`: a bounded number of requests from concurrent clients against the SPARQL
endpoint and the resource pages, on this machine only (127.0.0.1). Not part of the test suite.

It starts the server (a real process on a free port; or uses --url), sends --requests requests from
--concurrency clients (keep-alive connections, a minimal HTTP/1.1 client) — a fixed mix of SPARQL
queries (GET and POST), resource IRIs (303), HTML pages and Turtle descriptions — and prints the
throughput, the latency percentiles and the number of errors (which must be 0), then checks that the server
still answers. Exit status 1 if anything failed.

    python bench/bench_server.py                         # 20,000 requests, 32 clients
    python bench/bench_server.py --requests 5000 --concurrency 16 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent

QUERIES = {
    "models": "SELECT ?m ?name WHERE { ?m a akg:VehicleModel ; akg:name ?name } ORDER BY ?name",
    "platform": "SELECT ?p ?name WHERE { vehicle:nissan-micra akg:builtOnPlatform ?p . ?p akg:name ?name }",
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "ask": "ASK { vehicle:nissan-micra akg:producedAt plant:ampere-douai }",
}


def tree_cpu(pid: int) -> dict[int, float]:
    """User + system CPU seconds of a process and of each of its descendants (Linux /proc; {} elsewhere)."""
    found: dict[int, float] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            found[current] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError, IndexError):
            continue
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    argv = [sys.executable, "-m", "alliance_kg", "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers), "--quiet"]
    process = subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sys.stderr
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(base + "sparql", headers={"Accept": "text/turtle"}, timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    raise SystemExit("the server did not answer within 120 s")


def plan(base: str, count: int) -> list[tuple[str, str, dict, int]]:
    """(kind, method+url, request options, expected status) for each request, in a fixed order."""
    listing = httpx.get(
        base + "sparql",
        params={
            "query": "SELECT DISTINCT ?s WHERE { ?s a ?c FILTER(STRSTARTS(STR(?s), STR(vehicle:))"
            " || STRSTARTS(STR(?s), STR(organisation:)) || STRSTARTS(STR(?s), STR(plant:))"
            " || STRSTARTS(STR(?s), STR(event:)) || STRSTARTS(STR(?s), STR(person:))) } ORDER BY ?s"
        },
        headers={"Accept": "text/csv"},
    )
    listing.raise_for_status()
    canonical = "https://w3id.org/alliance-kg/"
    paths = [line.strip()[len(canonical) :] for line in listing.text.splitlines()[1:] if line.strip()]
    json_accept = {"Accept": "application/sparql-results+json"}
    cycle: list[tuple[str, str, dict, int]] = []
    for index, (name, query) in enumerate(QUERIES.items()):
        cycle.append(
            (
                f"sparql GET {name}",
                f"GET {base}sparql",
                {"params": {"query": query}, "headers": json_accept},
                200,
            )
        )
        if index % 2 == 0:
            cycle.append(
                (
                    f"sparql POST {name}",
                    f"POST {base}sparql",
                    {"data": {"query": query}, "headers": json_accept},
                    200,
                )
            )
    for i, path in enumerate(paths):
        doc = path.replace("id/", "doc/", 1)
        if i % 3 == 0:
            cycle.append(("IRI 303", f"GET {base}{path}", {"headers": {"Accept": "text/turtle"}}, 303))
        cycle.append(("page HTML", f"GET {base}{doc}.html", {}, 200))
        if i % 2 == 0:
            cycle.append(("description Turtle", f"GET {base}{doc}.ttl", {}, 200))
    return [cycle[i % len(cycle)] for i in range(count)]


class Connection:
    """A minimal HTTP/1.1 keep-alive client on one connection: light enough that the clients, not the server,
    are not what limits the figures on a small machine (httpx costs more CPU per request than the server)."""

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
        if "content-length" not in headers:
            raise ValueError("a response without Content-Length")
        await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def encode(base: str, target: str, options: dict) -> bytes:
    """The bytes of one HTTP/1.1 request."""
    method, url = target.split(" ", 1)
    parts = urlsplit(url)
    path = parts.path + (f"?{urlencode(options['params'])}" if "params" in options else "")
    headers = {"Host": parts.netloc, "User-Agent": "alliance-kg-bench", **options.get("headers", {})}
    body = b""
    if "data" in options:
        body = urlencode(options["data"]).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if method == "POST":
        headers["Content-Length"] = str(len(body))
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode() + body


async def run(base: str, requests: list[tuple[str, str, dict, int]], concurrency: int, max_seconds: float):
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    encoded = {}
    for _, target, options, _ in requests:
        key = (target, repr(options))
        if key not in encoded:
            encoded[key] = encode(base, target, options)
    position = 0
    stop_at = time.monotonic() + max_seconds
    parts = urlsplit(base)

    async def client() -> None:
        nonlocal position
        connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
        try:
            while position < len(requests) and time.monotonic() < stop_at:
                kind, target, options, expected = requests[position]
                position += 1
                started = time.perf_counter()
                try:
                    status = await connection.request(encoded[(target, repr(options))])
                    if status != expected:
                        errors[f"{kind}: HTTP {status}"] += 1
                except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
                    errors[f"{kind}: {type(exc).__name__}"] += 1
                    await connection.close()
                latencies[kind].append(time.perf_counter() - started)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="query workers of the server started")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop sending after this long")
    parser.add_argument("--url", help="use this running server (on this machine) instead of starting one")
    args = parser.parse_args()
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise SystemExit("the load test only targets this machine (127.0.0.0/8, localhost, ::1)")

    process = None
    if args.url:
        base = args.url if args.url.endswith("/") else args.url + "/"
    else:
        process, base = start(args.workers)
    try:
        requests = plan(base, args.requests)
        before = tree_cpu(process.pid) if process is not None else {}
        latencies, errors, elapsed = asyncio.run(run(base, requests, args.concurrency, args.max_seconds))
        after = tree_cpu(process.pid) if process is not None else {}
        every = [x for values in latencies.values() for x in values]
        sent = len(every)
        print(
            f"alliance-kg serve at {base}: {sent:,} requests from {args.concurrency} clients "
            f"in {elapsed:.1f} s"
        )
        print(
            f"throughput {sent / elapsed:,.0f} requests/s; "
            f"latency p50 {percentile(every, 50) * 1000:.1f} ms, "
            f"p99 {percentile(every, 99) * 1000:.1f} ms, max {max(every) * 1000:.1f} ms; "
            f"errors {sum(errors.values())}"
        )
        if after and process is not None:  # CPU per request: steadier than the throughput on a shared machine
            spent = {pid: cpu - before.get(pid, 0.0) for pid, cpu in after.items()}
            server = spent.pop(process.pid, 0.0)
            print(
                f"server CPU {1000 * (server + sum(spent.values())) / max(sent, 1):.3f} ms a request "
                f"(the server process {1000 * server / max(sent, 1):.3f}, its {len(spent)} query workers "
                f"{1000 * sum(spent.values()) / max(sent, 1):.3f})"
            )
        print(f"{'kind':<28}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}")
        for kind, values in sorted(latencies.items()):
            print(
                f"{kind:<28}{len(values):>8,}"
                f"{percentile(values, 50) * 1000:>10.1f}{percentile(values, 99) * 1000:>10.1f}"
            )
        for what, n in errors.most_common():
            print(f"error: {what} × {n}")
        after = httpx.get(
            base + "sparql",
            params={"query": QUERIES["ask"]},
            headers={"Accept": "application/sparql-results+json"},
        )
        answering = after.status_code == 200 and after.json().get("boolean") is True
        alive = process is None or process.poll() is None
        print(f"afterwards: the server {'answers' if answering and alive else 'DOES NOT ANSWER'}")
        if sent < args.requests:
            print(f"stopped after {args.max_seconds:g} s: {sent:,} of {args.requests:,} requests sent")
        return 0 if not errors and answering and alive and sent == args.requests else 1
    finally:
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main())
