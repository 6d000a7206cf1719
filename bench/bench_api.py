"""Benchmark: the customer 360 GET of the REST API under an open-loop load, SQLite and PostgreSQL.

For each database: builds the demo store (bundled UCI Online Retail, analysed, scored,
recommended) with `crmind demo`, starts `crmind serve` (1, then 2 uvicorn workers) on loopback, and
from this process (the load generator, bench/loadgen.py, on the same 2-core machine) sends
`GET /customers/{id}` for random customers with an admin key:
- at a fixed offered rate (default 300/s for 30 s): p50 / p90 / p99 latency, measured from each
  request's due time (open loop: queueing in the client does not hide slowness);
- at rising offered rates (10 s each): the maximum sustained rate, the highest rate at which at
  least 99 % of the offered requests complete within the step and p99 stays under 200 ms.
The server's peak memory (VmHWM) is read from /proc. Every response must be 200.
Results: bench/results/api.json and api.md.

Usage: .venv/bin/python bench/bench_api.py [--rate 300] [--seconds 30] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from loadgen import LoadResult, run_open_loop
from served import crmind_script, free_port, fresh_postgres_database, peak_rss_mib, serve

RESULTS = Path(__file__).parent / "results"
STEP_RATES = (100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500)
P99_LIMIT_MS = 50.0


def _build_store(url: str, data_dir: Path) -> None:
    started = time.perf_counter()
    subprocess.run(
        [crmind_script(), "--db", url, "--data-dir", str(data_dir), "demo"],
        check=True,
        capture_output=True,
    )
    print(f"  demo store built in {time.perf_counter() - started:.0f} s", flush=True)


def _refresh_statistics(url: str) -> None:
    """ANALYZE a fresh PostgreSQL store, as autovacuum would in production: without
    statistics (the test server runs with autovacuum off) its plans are 10x slower."""
    from sqlalchemy import text

    from crmind.store.db import make_engine

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def _key_and_customers(url: str) -> tuple[str, list[int]]:
    from sqlalchemy import text

    from crmind.services.access import create_key
    from crmind.store.db import make_engine

    engine = make_engine(url)
    key = create_key(engine, "bench", role="admin", rate_limit_per_minute=10**6).secret
    with engine.connect() as conn:
        ids = [
            int(row[0])
            for row in conn.execute(
                text("SELECT DISTINCT customer_id FROM orders WHERE customer_id IS NOT NULL")
            )
        ]
    engine.dispose()
    random.Random(0).shuffle(ids)
    return key, ids[:2000]


def _summary(result: LoadResult) -> dict[str, Any]:
    return {
        "offered_rate": result.offered_rate,
        "achieved_rate": round(result.achieved_rate, 1),
        "sent": result.sent,
        "completed": result.completed,
        "errors": result.errors,
        "statuses": {str(k): v for k, v in result.statuses.items()},
        "p50_ms": round(result.percentile(50), 2),
        "p90_ms": round(result.percentile(90), 2),
        "p99_ms": round(result.percentile(99), 2),
        "max_ms": round(max(result.latencies_ms, default=float("nan")), 2),
    }


def _load(port: int, key: str, ids: list[int], rate: float, seconds: float) -> dict[str, Any]:
    paths = [f"/customers/{i}" for i in ids]
    headers = {"Authorization": f"Bearer {key}"}
    result = asyncio.run(run_open_loop("127.0.0.1", port, paths, headers, rate, seconds))
    return _summary(result)


def _serve_and_load(
    name: str, url: str, data_dir: Path, workers: int, load: tuple[str, list[int], float, float]
) -> dict[str, Any]:
    key, ids, rate, seconds = load
    port = free_port()
    server = serve(url, data_dir, port, workers)
    try:
        _load(port, key, ids, 50, 3)  # warm-up: imports, caches, connections
        fixed = _load(port, key, ids, rate, seconds)
        print(
            f"  {workers} worker(s), {rate:.0f}/s: p50 {fixed['p50_ms']} ms, "
            f"p99 {fixed['p99_ms']} ms",
            flush=True,
        )
        steps = []
        sustained = 0.0
        for step_rate in STEP_RATES:
            step = _load(port, key, ids, step_rate, 10)
            steps.append(step)
            ok = (
                step["completed"] >= 0.99 * step["sent"]
                and step["errors"] == 0
                and step["p99_ms"] < P99_LIMIT_MS
            )
            print(
                f"  step {step_rate}/s: p99 {step['p99_ms']} ms {'ok' if ok else 'over'}",
                flush=True,
            )
            if not ok:
                break
            sustained = float(step_rate)
        peak = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "database": name,
        "workers": workers,
        "customers_requested": len(ids),
        "fixed_rate": fixed,
        "steps": steps,
        "max_sustained_rate": sustained,
        "server_peak_rss_mib": round(peak, 1),
    }


def bench_database(
    name: str, url: str, data_dir: Path, rate: float, seconds: float, workers: list[int]
) -> list[dict[str, Any]]:
    print(f"{name}: building the demo store", flush=True)
    _build_store(url, data_dir)
    _refresh_statistics(url)
    key, ids = _key_and_customers(url)
    return [_serve_and_load(name, url, data_dir, n, (key, ids, rate, seconds)) for n in workers]


def _markdown(results: dict[str, Any]) -> str:
    rate = results["rate"]
    lines = [
        "# REST API: customer 360 GET under open-loop load",
        "",
        f"`{results['command']}` on {results['machine']}, {results['date']}.",
        "`crmind serve` (uvicorn, 1 or 2 worker processes) and the load generator share the",
        "machine's 2 cores; latency is measured from each request's due time (open loop).",
        "",
        f"| database | workers | p50 at {rate:.0f}/s | p90 | p99 | achieved/s | max sustained "
        f"rate (p99 < {P99_LIMIT_MS:.0f} ms) | server peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in results["cases"]:
        fixed = case["fixed_rate"]
        lines.append(
            f"| {case['database']} | {case['workers']} | {fixed['p50_ms']} ms | "
            f"{fixed['p90_ms']} ms | "
            f"{fixed['p99_ms']} ms | {fixed['achieved_rate']} | {case['max_sustained_rate']:.0f}/s"
            f" | {case['server_peak_rss_mib']} MiB |"
        )
    lines += ["", "Steps (10 s each):", ""]
    lines += [
        "| database | workers | offered/s | achieved/s | p50 ms | p99 ms | statuses |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for case in results["cases"]:
        for step in case["steps"]:
            lines.append(
                f"| {case['database']} | {case['workers']} | {step['offered_rate']} | "
                f"{step['achieved_rate']} | "
                f"{step['p50_ms']} | {step['p99_ms']} | {step['statuses']} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="uvicorn worker processes"
    )
    args = parser.parse_args()
    cases: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sqlite_url = f"sqlite:///{folder / 'api.db'}"
        cases += bench_database(
            "SQLite", sqlite_url, folder / "sqlite", args.rate, args.seconds, args.workers
        )
        pg_url = None if args.skip_postgres else fresh_postgres_database("crmind_bench_api")
        if pg_url:
            cases += bench_database(
                "PostgreSQL", pg_url, folder / "pg", args.rate, args.seconds, args.workers
            )
    results = {
        "command": "python bench/bench_api.py " + " ".join(sys.argv[1:]),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": time.strftime("%Y-%m-%d"),
        "rate": args.rate,
        "cases": cases,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "api.md").write_text(_markdown(results))
    print(_markdown(results))


if __name__ == "__main__":
    main()
