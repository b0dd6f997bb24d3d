#!/usr/bin/env python3
"""Benchmark: how fast does a named query answer from the command line?

Prints medians over repeated runs, whole process, cold (a new process each run):
  - `python -c pass` (the floor), `alliance-kg query NAME`, and `… --reasoned` (cache warm),
  - where installed, the Oxigraph CLI (`oxigraph load` + `oxigraph query` on the same data and query) and
    Apache Jena `arq` (classpath from scripts/jena-classpath, or $JENA_CP),
and the in-process breakdown: import / load / query.
Run: python bench/bench_query.py [--runs 21] [--query list-models]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_time(argv: list[str], runs: int, **kwargs) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def jena_classpath() -> str | None:
    if os.environ.get("JENA_CP"):
        return os.environ["JENA_CP"]
    script = ROOT / "scripts" / "jena-classpath"
    if shutil.which("java") and script.is_file() and Path("/usr/share/java/jena-core.jar").is_file():
        return subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, check=True
        ).stdout.strip()
    return None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--query", default="list-models")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from alliance_kg import catalogue, store
    from alliance_kg.params import bind, with_values

    script = shutil.which("alliance-kg") or str(Path(sys.executable).with_name("alliance-kg"))
    named = catalogue.find(args.query)
    rows: list[tuple[str, float]] = []
    rows.append(("python -c pass (floor)", median_time([sys.executable, "-c", "pass"], args.runs)))
    rows.append(
        (
            f"alliance-kg query {args.query}",
            median_time([script, "query", args.query, "--format", "csv"], args.runs),
        )
    )
    subprocess.run(
        [script, "query", args.query, "--reasoned", "--format", "csv"], stdout=subprocess.DEVNULL, check=True
    )  # fill the closure cache
    rows.append(
        (
            f"alliance-kg query {args.query} --reasoned (cached)",
            median_time([script, "query", args.query, "--reasoned", "--format", "csv"], args.runs),
        )
    )

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "all.nt"
        kg = store.open_store()
        import pyoxigraph as ox

        kg.dump(str(data), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        text = named.text
        # the other engines get the query with the default parameters written in as VALUES
        text = with_values(text.rstrip(), bind(named, {}, kg), at="end")
        query_file = Path(tmp) / "q.rq"
        prologue = "".join(
            f"PREFIX {p}: <{ns}>\n"
            for p, ns in __import__("alliance_kg.namespaces", fromlist=["PREFIXES"]).PREFIXES.items()
        )
        query_file.write_text(prologue + text, encoding="utf-8")
        oxigraph = shutil.which("oxigraph")
        if oxigraph:
            location = Path(tmp) / "oxi"
            loading = median_time([oxigraph, "load", "--location", str(location), "--file", str(data)], 1)
            rows.append(("oxigraph load (once; then query)", loading))
            rows.append(
                (
                    "oxigraph query (store on disk)",
                    median_time(
                        [
                            oxigraph,
                            "query",
                            "--location",
                            str(location),
                            "--query-file",
                            str(query_file),
                            "--results-format",
                            "csv",
                        ],
                        args.runs,
                    ),
                )
            )
        else:
            print("oxigraph CLI not installed (pip install oxigraph): skipped", file=sys.stderr)
        cp = jena_classpath()
        if cp:
            rows.append(
                (
                    "jena arq",
                    median_time(
                        [
                            "java",
                            "-cp",
                            cp,
                            "arq.sparql",
                            "--data",
                            str(data),
                            "--query",
                            str(query_file),
                            "--results=csv",
                        ],
                        max(3, args.runs // 4),
                    ),
                )
            )
        else:
            print("Apache Jena not installed (libapache-jena-java): skipped", file=sys.stderr)

    oxi = dict(rows)
    if "oxigraph load (once; then query)" in oxi:
        rows.append(
            (
                "oxigraph load + query (the same work as ours)",
                oxi["oxigraph load (once; then query)"] + oxi["oxigraph query (store on disk)"],
            )
        )
    floor = rows[0][1]
    ours = rows[1][1]
    print(f"{'command':52s} {'median s':>9s} {'x floor':>8s} {'x ours':>7s}")
    for name, seconds in rows:
        print(f"{name:52s} {seconds:9.4f} {seconds / floor:8.1f} {seconds / ours:7.2f}")

    # in-process breakdown
    breakdown = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import time; t0=time.perf_counter();"
                "from alliance_kg import store, catalogue; from alliance_kg.params import bind;"
                "t1=time.perf_counter();"
                "kg=store.open_store(); t2=time.perf_counter();"
                f"q=catalogue.find({args.query!r}); r=list(store.run_query(kg, q.text, bind(q, {{}}, kg))); "
                "t3=time.perf_counter();"
                "print(f'{t1-t0:.4f} {t2-t1:.4f} {t3-t2:.4f}')"
            ),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    imp, load, query = map(float, breakdown.stdout.split())
    print(f"\nbreakdown (one process): import {imp:.4f} s · load {load:.4f} s · query {query:.4f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
