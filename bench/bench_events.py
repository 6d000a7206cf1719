"""Benchmark: event ingestion through the REST API (POST /events), SQLite and PostgreSQL.

For each database: a fresh store (`crmind init`), an admin key, and `crmind serve` (1 or 2 uvicorn
processes) on loopback. This process (the client, on the same 2-core machine) builds N events
(default 200,000: 70 % page views, 12 % cart adds, 8 % e-mail opens, 5 % product views, 5 %
purchases with an amount and an order number) for a pool of customers named by their source
key (the first events of each create the customer), encodes them as batches (default 500 and
1,000, each size on a fresh store) before the clock starts, and posts them over a few keep-alive
connections (default 4, then 8: more clients at once) with httpx, as fast as the server
answers. Measured: events/s over the whole run, request latency p50 / p99, the CPU time the
server's processes, PostgreSQL's and the client used per 1,000 events (from /proc, so other
load on the machine does not count), the server's peak memory (VmHWM) and the client's.
Every answer must be 200 and the store must hold N events at the end. A second pass sends the
first 50,000 events again: the rate of answering duplicates (nothing stored).

Results: bench/results/events.json and events.md.

Usage: .venv/bin/python bench/bench_events.py [--events 200000] [--batches 500,1000]
       [--connections 4,8] [--customers 20000] [--workers 1,2] [--skip-postgres] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from served import (
    cpu_seconds,
    crmind_script,
    free_port,
    fresh_postgres_database,
    peak_rss_mib,
    postgres_pids,
    serve,
    server_pids,
)

RESULTS = Path(__file__).parent / "results"
MIX = (
    ("page_view", 0.70),
    ("cart_add", 0.12),
    ("email_open", 0.08),
    ("product_view", 0.05),
    ("purchase", 0.05),
)
CHANNELS = ("web", "app", "email")
RESEND = 50_000


def _events(n: int, customers: int, seed: int = 0) -> list[dict[str, Any]]:
    """N events in time order over the last 60 days, for ``customers`` customers by key."""
    rng = random.Random(seed)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    start = datetime.now(UTC) - timedelta(days=60)
    step = timedelta(days=60) / n
    events = []
    for i in range(n):
        kind = rng.choices(kinds, weights)[0]
        event: dict[str, Any] = {
            "event_id": f"ev-{i}",
            "type": kind,
            "occurred_at": (start + step * i).isoformat(timespec="seconds"),
            "customer_key": f"C{rng.randrange(customers)}",
            "channel": rng.choice(CHANNELS),
        }
        if kind != "email_open":
            event["sku"] = f"SKU-{rng.randrange(2000)}"
        if kind == "purchase":
            event["amount"] = round(rng.uniform(5, 200), 2)
            event["order_number"] = f"O-{i}"
        if kind == "page_view":
            event["properties"] = {"path": f"/p/{rng.randrange(500)}", "ms": rng.randrange(2000)}
        events.append(event)
    return events


def _bodies(events: list[dict[str, Any]], batch: int) -> list[bytes]:
    return [
        json.dumps({"source": "shop", "events": events[i : i + batch]}).encode()
        for i in range(0, len(events), batch)
    ]


async def _post_all(port: int, key: str, bodies: list[bytes], connections: int) -> dict[str, Any]:
    """Post every body over ``connections`` keep-alive connections; time and check them."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stored = duplicates = 0
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=120
    ) as client:

        async def worker() -> None:
            nonlocal stored, duplicates
            while not queue.empty():
                body = queue.get_nowait()
                sent = time.perf_counter()
                answer = await client.post("/events", content=body, headers=headers)
                latencies.append((time.perf_counter() - sent) * 1000)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 200:
                    result = answer.json()
                    stored += result["stored"]
                    duplicates += len(result["duplicates"])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "seconds": round(seconds, 2),
        "requests": len(bodies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "stored": stored,
        "duplicates": duplicates,
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
    }


def _prepare(url: str, data_dir: Path) -> str:
    """A migrated empty store and an admin key without a rate limit worth the name."""
    subprocess.run(
        [crmind_script(), "--db", url, "--data-dir", str(data_dir), "init"],
        check=True,
        capture_output=True,
    )
    from crmind.services.access import create_key
    from crmind.store.db import make_engine

    engine = make_engine(url)
    key = create_key(engine, "bench", role="admin", rate_limit_per_minute=10**7).secret
    engine.dispose()
    return key


def _stored_counts(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from crmind.store.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        counts = {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("events", "customers", "orders", "products", "customer_live_state")
        }
    engine.dispose()
    return counts


class CpuMeter:
    """CPU seconds used between ``start`` and ``stop`` by the server's processes, the PostgreSQL
    server's (when ``postgres``) and this client, so a case can say what 1,000 events cost
    the machine in CPU, whatever else ran beside it."""

    def __init__(self, server_pid: int, postgres: bool) -> None:
        self._server = server_pid
        self._postgres = postgres

    def _now(self) -> dict[str, dict[int, float]]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "server": cpu_seconds(server_pids(self._server)),
            "database": cpu_seconds(postgres_pids()) if self._postgres else {},
            "client": {0: usage.ru_utime + usage.ru_stime},
        }

    def start(self) -> None:
        self._before = self._now()

    def stop(self) -> dict[str, float]:
        """CPU seconds by part (a process started in between counts from zero)."""
        after = self._now()
        return {
            part: round(
                sum(t - self._before[part].get(pid, 0.0) for pid, t in after[part].items()), 2
            )
            for part in after
        }


def bench_database(
    name: str, url: str, data_dir: Path, case: tuple[int, int, int], args: argparse.Namespace
) -> dict[str, Any]:
    connections, workers, batch = case
    print(
        f"{name}, {workers} worker(s), {connections} connections: fresh store, "
        f"{args.events:,} events in batches of {batch}",
        flush=True,
    )
    bodies = _bodies(_events(args.events, args.customers), batch)
    key = _prepare(url, data_dir)
    port = free_port()
    server = serve(url, data_dir, port, workers=workers)
    try:
        meter = CpuMeter(server.pid, postgres=name == "PostgreSQL")
        meter.start()
        run = asyncio.run(_post_all(port, key, bodies, connections))
        cpu = meter.stop()
        rate = args.events / run["seconds"]
        cpu_per_1000 = {part: round(used * 1e6 / args.events, 1) for part, used in cpu.items()}
        total_per_1000 = sum(cpu_per_1000.values())
        print(
            f"  {rate:,.0f} events/s, p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms; "
            f"CPU ms per 1,000 events {cpu_per_1000} (total {total_per_1000:.0f})"
        )
        resend_bodies = bodies[: max(1, RESEND // batch)]
        again = asyncio.run(_post_all(port, key, resend_bodies, connections))
        resent = len(resend_bodies) * batch
        print(f"  resend: {resent / again['seconds']:,.0f} duplicate events/s", flush=True)
        peak = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    counts = _stored_counts(url)
    if counts["events"] != args.events or run["stored"] != args.events:
        raise SystemExit(f"{name}: expected {args.events} events stored, found {counts}")
    return {
        "database": name,
        "batch": batch,
        "workers": workers,
        "connections": connections,
        "load_average_after": round(os.getloadavg()[0], 2),
        "events_per_second": round(rate),
        "cpu_seconds": cpu,
        "cpu_ms_per_1000_events": cpu_per_1000,
        # the rate the machine's cores would allow if this case had them all, CPU-bound
        "cpu_bound_events_per_second": round((os.cpu_count() or 1) * 1e6 / total_per_1000),
        "run": run,
        "resend": {
            **again,
            "events": resent,
            "events_per_second": round(resent / again["seconds"]),
        },
        "server_peak_rss_mib": peak,
        "stored": counts,
    }


def _cpu_cell(cpu: dict[str, float]) -> str:
    server, database = cpu["server"], cpu["database"]
    if not database:
        return f"{server:.0f}"
    return f"{server + database:.0f} ({server:.0f} + {database:.0f})"


def _markdown(results: dict[str, Any]) -> str:
    p = results["parameters"]
    lines = [
        "# Event ingestion: POST /events",
        "",
        f"`{results['command']}` on {results['machine']}, {results['date']}.",
        f"{p['events']:,} events in batches of {p['batches'].replace(',', ' and ')} over "
        f"{p['connections'].replace(',', ' or ')} keep-alive",
        f"connections, for {p['customers']:,} customers named by source key (created by their",
        "first event), 5 % purchases (each also written as an order). `crmind serve` (uvicorn,",
        "1 or 2 worker processes) and the client share the machine's 2 cores; every event is",
        "validated, deduplicated, resolved to its customer and folded into the customer's live",
        "state (counters, lifecycle stage) in the transaction that stores it. Goal: 5,000/s.",
        "",
        "| database | connections | workers | batch | events/s | seconds | p50 per request | p99 | "
        "CPU ms per 1,000 events (server + database) | rate the CPU allows | "
        "server peak RSS | duplicates resent/s | load average after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in results["cases"]:
        run = case["run"]
        lines.append(
            f"| {case['database']} | {case['connections']} | {case['workers']} | {case['batch']} | "
            f"{case['events_per_second']:,} | "
            f"{run['seconds']} | {run['p50_ms']} ms | {run['p99_ms']} ms | "
            f"{_cpu_cell(case['cpu_ms_per_1000_events'])} | "
            f"{case['cpu_bound_events_per_second']:,}/s | "
            f"{case['server_peak_rss_mib']} MiB | {case['resend']['events_per_second']:,} | "
            f"{case['load_average_after']} |"
        )
    lines += [
        "",
        f"Client peak RSS: {results['client_peak_rss_mib']} MiB (the encoded batches included).",
        "Published references: one commercial CDP accepts 1,000 events/s per workspace; an",
        "open-source one about 3,000/s on 8 cores.",
        "",
        "Reading the figures:",
        "- Each request has a fixed cost (some twenty SQL statements and a hundred small frame",
        "  operations, identity resolution included) on top of the cost per event, so larger",
        "  batches go faster: batches of 1,000 (the most a request takes) are the way to send a",
        "  stream. PostgreSQL's fixed cost is the larger (round trips, two transactions).",
        "- SQLite has one writer: a batch's transaction waits for the one before it, so a second",
        "  worker only overlaps the parsing and checking of the next request. PostgreSQL takes",
        "  batches side by side: a batch locks only the new identity keys it records (in a short",
        "  first transaction) and, at its end, the live state of its customers; the rest of two",
        "  batches' work overlaps. So PostgreSQL can go further although each event costs the",
        "  machine more CPU (the CPU column: the server's processes plus PostgreSQL's, counted",
        "  from /proc, so load from other programs does not enter it).",
        "- *Rate the CPU allows*: the machine's cores divided by the CPU per event: the ceiling",
        "  if nothing waited. SQLite stays far below its ceiling (its single writer is the",
        "  limit); PostgreSQL comes closer to its own.",
        "- The load average column is the machine's 1-minute load after each case: the server,",
        "  the client, PostgreSQL (each busy backend counts) and anything else that ran. Rates",
        "  compare best within one run.",
        "- The resend pass is the idempotency path: every event a duplicate, nothing written.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batches", default="500,1000", help="Batch sizes, comma-separated.")
    parser.add_argument(
        "--connections", default="4,8", help="Client connections at once, comma-separated."
    )
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2", help="Server processes, comma-separated.")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    plan = list(
        itertools.product(
            (int(n) for n in args.connections.split(",")),
            (int(n) for n in args.workers.split(",")),
            (int(n) for n in args.batches.split(",")),
        )
    )
    cases = []
    for case in plan if not args.skip_sqlite else []:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            url = f"sqlite:///{folder / 'events.db'}"
            cases.append(bench_database("SQLite", url, folder / "sqlite", case, args))
    for case in plan:
        pg_url = None if args.skip_postgres else fresh_postgres_database("crmind_bench_events")
        if pg_url:
            with tempfile.TemporaryDirectory() as tmp:
                cases.append(bench_database("PostgreSQL", pg_url, Path(tmp), case, args))
    results = {
        "command": " ".join(["python bench/bench_events.py", *sys.argv[1:]]),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "date": time.strftime("%Y-%m-%d"),
        "parameters": {
            "events": args.events,
            "batches": args.batches,
            "connections": args.connections,
            "workers": args.workers,
            "customers": args.customers,
        },
        "client_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cases": cases,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "events.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "events.md").write_text(_markdown(results))
    print(_markdown(results))


if __name__ == "__main__":
    main()
