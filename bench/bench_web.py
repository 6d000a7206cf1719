"""Benchmark: server time of each dashboard page on the demo store (goal: under 300 ms).

Builds the dashboard's demo store from ALL of the bundled UCI Online Retail data
(tests/e2e/demo_store.py with every=1: 4,339 customers with made-up contacts, 536,637 order
lines, 400 dated reviews, analysis, churn model, recommendations, feedback text), signs in
through the login form and times each page in process (the ASGI app through Starlette's test
client: routing, session, services, templates, audit; no network). Each page is asked once cold
(the first request after start-up, e.g. the overview's aggregates before they are kept) and then
``--repeat`` times warm. Results: bench/results/web.json and web.md.

Usage: .venv/bin/python bench/bench_web.py [--store DIR] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from crmind.api import create_app  # noqa: E402
from crmind.config import Settings  # noqa: E402
from crmind.services.setup import open_store  # noqa: E402
from tests.e2e.demo_store import build_demo_store, password_of  # noqa: E402

RESULTS = ROOT / "bench" / "results"
GOAL_MS = 300.0


def _store(directory: Path) -> tuple[Settings, int, str]:
    settings = Settings(data_dir=directory, database_url=f"sqlite:///{directory / 'demo.db'}")
    if not (directory / "demo.db").exists():
        started = time.perf_counter()
        store = build_demo_store(directory, every=1)
        print(f"store built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        store.engine.dispose()
    engine = open_store(settings)
    with engine.connect() as conn:
        customer, email = conn.execute(
            text(
                "SELECT c.id, 'c' || i.value || '@example.com' FROM customers c "
                "JOIN customer_identities i ON i.customer_id = c.id AND i.kind = 'source_key' "
                "JOIN events e ON e.customer_id = c.id LIMIT 1"
            )
        ).one()
    engine.dispose()
    return settings, int(customer), str(email)


def _sign_in(client: TestClient, role: str) -> None:
    client.cookies.clear()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/ui/login").text)
    assert token
    answer = client.post(
        "/ui/login",
        data={"username": role, "password": password_of(role), "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _time(client: TestClient, path: str, repeat: int) -> dict[str, Any]:
    started = time.perf_counter()
    first = client.get(path)
    cold = (time.perf_counter() - started) * 1000
    assert first.status_code == 200, (path, first.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    times.sort()
    return {
        "cold_ms": round(cold, 1),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
        "bytes": len(first.content),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="keep / reuse the demo store in this folder")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    directory = args.store or Path(tempfile.mkdtemp(prefix="crmind-bench-web-"))
    settings, customer, email = _store(directory)
    pages = {
        "admin": [
            "/ui/",
            "/ui/customers",
            f"/ui/customers?q={email}",
            "/ui/customers?q=Alice+Smith",
            "/ui/customers?risk=high&sort=-clv",
            "/ui/customers?lifecycle=at_risk&value=high",
            f"/ui/customers/{customer}",
            "/ui/segments",
            "/ui/segments/1",
            "/ui/models",
            "/ui/models/2",
            "/ui/feedback",
            "/ui/feedback?show=all",
            "/ui/inbox",
            "/ui/inbox/1",
            "/ui/chat",
            "/ui/data",
            "/ui/data/runs/1",
        ],
        "agent": ["/ui/feedback", "/ui/inbox?view=handoffs"],
        "marketer": ["/ui/feedback?show=negative"],
        "analyst": ["/ui/customers", "/ui/segments/1"],
    }
    results: dict[str, Any] = {}
    with TestClient(create_app(settings)) as client:
        for role, paths in pages.items():
            _sign_in(client, role)
            for path in paths:
                results[f"{role} {path}"] = _time(client, path, args.repeat)
                print(f"{role} {path}: {results[f'{role} {path}']}", file=sys.stderr)
    worst = max(max(r["cold_ms"], r["p95_ms"]) for r in results.values())
    report = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "store": "UCI Online Retail, all 4,339 customers (tests/e2e/demo_store.py every=1)",
        "repeat": args.repeat,
        "goal_ms": GOAL_MS,
        "worst_ms": worst,
        "goal_met": worst < GOAL_MS,
        "pages": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Dashboard: server time per page",
        "",
        f"Store: {report['store']}, SQLite. Each page once cold (first request after start-up),",
        f"then {args.repeat} times warm, in process (routing, session, services, templates,",
        "audit).",
        f"Goal: under {GOAL_MS:.0f} ms. Worst (cold or p95): **{worst:.0f} ms** "
        f"({'met' if worst < GOAL_MS else 'NOT met'}).",
        "",
        "| role | page | cold ms | p50 ms | p95 ms | max ms | KiB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for key, r in results.items():
        role, path = key.split(" ", 1)
        lines.append(
            f"| {role} | `{path}` | {r['cold_ms']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['max_ms']} | {r['bytes'] / 1024:.0f} |"
        )
    lines += [
        "",
        f"Machine: Python {report['machine']['python']}, {report['machine']['platform']}.",
        "Reproduce: `.venv/bin/python bench/bench_web.py --store /tmp/crmind-web-store`.",
        "",
    ]
    (RESULTS / "web.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
