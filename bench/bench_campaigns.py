"""Benchmark: campaign e-mail through a real local SMTP server, SQLite and PostgreSQL.

For each database: a fresh store with N customers imported from a CSV (default 10,000, with
e-mail addresses, so names and addresses are stored encrypted as in production), a marketing
consent for each, and one campaign (10 % holdout, a personalised subject, a coupon). An aiosmtpd
server that accepts and discards (``aiosmtpd.handlers.Sink``) runs in its own process on loopback.

Measured, in this process:
- **plan**: choosing the audience, the consent filter, the holdout draw and writing every message
  row (``run_campaigns(send=False)``);
- **deliver**: claiming, rendering, sending and recording every message (``deliver``), the
  exactly-once path: one commit per message, before it is sent;
- the **peer**: the same messages rendered with Jinja2, built with the same MIME classes and sent
  with smtplib over one connection, with no store at all: the ceiling of a Python SMTP client here.
Rates are messages per second; the goal is at least 200 per second through crmind's runner.
Peak memory is this process's (VmHWM) after each run.

Results: bench/results/campaigns.json and campaigns.md.

Usage: .venv/bin/python bench/bench_campaigns.py [--customers 10000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

import polars as pl
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import Engine, func, select

sys.path.insert(0, str(Path(__file__).parent))
from served import free_port, fresh_postgres_database, peak_rss_mib

from crmind.campaigns.spec import CampaignSpec
from crmind.config import Settings
from crmind.ingest.fields import ImportKind
from crmind.privacy.consent import MARKETING_EMAIL
from crmind.services.campaign_delivery import deliver, delivery_settings
from crmind.services.campaign_runner import run_campaigns
from crmind.services.campaigns import create_campaign
from crmind.services.importing import ImportRequest, import_file
from crmind.services.setup import open_store
from crmind.store.migrate import upgrade
from crmind.store.schema import Consent, Customer, table_of
from crmind.store.schema_campaigns import CampaignMessage

RESULTS = Path(__file__).parent / "results"
SUBJECT = "{{ first_name }}, 15 % off your next order"
TEXT = (
    "Hello {{ name }},\n\nUse code {{ coupon }} before Sunday.\n\n"
    "Unsubscribe: {{ unsubscribe_url }}\n"
)


def _smtp_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the aiosmtpd server did not start")


def _store(url: str, directory: Path, customers: int, smtp_port: int) -> tuple[Engine, Settings]:
    settings = Settings(data_dir=directory, database_url=url, smtp_port=smtp_port)
    engine = open_store(settings)
    upgrade(engine)
    path = directory / "customers.csv"
    pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(customers)],
            "name": [f"Customer Number{i}" for i in range(customers)],
            "email": [f"customer{i}@example.com" for i in range(customers)],
        }
    ).write_csv(path)
    import_file(engine, ImportRequest(kind=ImportKind.CUSTOMERS, path=path, source="shop"))
    with engine.begin() as conn:
        ids = list(conn.execute(select(Customer.id)).scalars())
        conn.execute(
            table_of(Consent).insert(),
            [
                {"customer_id": i, "purpose": MARKETING_EMAIL, "granted": True, "source": "bench"}
                for i in ids
            ],
        )
    spec = CampaignSpec.model_validate(
        {
            "name": "bench",
            "content": {"subject": {"en": SUBJECT}, "text": {"en": TEXT}, "coupon_prefix": "B"},
            "experiment": {"holdout": 0.1},
            "limits": {"frequency_cap": None},
        }
    )
    create_campaign(engine, spec)
    return engine, settings


def _crmind(url: str, name: str, customers: int, smtp_port: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        engine, settings = _store(url, Path(tmp), customers, smtp_port)
        started = time.perf_counter()
        run_campaigns(engine, settings, send=False)
        planned_in = time.perf_counter() - started
        started = time.perf_counter()
        stats = deliver(engine, delivery_settings(settings))
        delivered_in = time.perf_counter() - started
        with engine.connect() as conn:
            sent = conn.execute(
                select(func.count()).where(CampaignMessage.status == "sent")
            ).scalar_one()
        engine.dispose()
    assert stats.sent == sent, stats
    assert stats.failed == 0, stats
    return {
        "database": name,
        "customers": customers,
        "messages": sent,
        "plan_seconds": round(planned_in, 2),
        "deliver_seconds": round(delivered_in, 2),
        "deliver_per_second": round(sent / delivered_in, 1),
        "end_to_end_per_second": round(sent / (planned_in + delivered_in), 1),
        "peak_rss_mib": peak_rss_mib(os.getpid()),
    }


def _peer(messages: int, smtp_port: int) -> dict[str, Any]:
    env = ImmutableSandboxedEnvironment()
    subject, text = env.from_string(SUBJECT), env.from_string(TEXT)
    started = time.perf_counter()
    client = smtplib.SMTP("127.0.0.1", smtp_port)
    for i in range(messages):
        variables = {
            "first_name": "Customer",
            "name": f"Customer Number{i}",
            "coupon": f"B{i:08d}",
            "unsubscribe_url": f"http://127.0.0.1:8000/unsubscribe/{i}",
        }
        email = MIMEText(text.render(variables), "plain", "utf-8")
        email["From"] = "crmind <noreply@localhost>"
        email["To"] = f"customer{i}@example.com"
        email["Subject"] = subject.render(variables)
        client.send_message(email)
    client.quit()
    elapsed = time.perf_counter() - started
    return {
        "messages": messages,
        "seconds": round(elapsed, 2),
        "per_second": round(messages / elapsed, 1),
    }


def _markdown(results: dict[str, Any]) -> str:
    peer = results["peer"]
    lines = [
        "# Campaign e-mail through a local SMTP server",
        "",
        f"`{results['command']}` on {results['machine']}, {results['date']}.",
        "",
        f"{results['customers']:,} customers with marketing consent, 10 % holdout; aiosmtpd "
        "(Sink) in its own process on loopback. Goal: at least 200 messages per second.",
        "",
        "| runner | database | messages | plan s | deliver s | deliver msg/s | end to end msg/s "
        "| vs peer | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["crmind"]:
        lines.append(
            f"| crmind (claim, render, send, record) | {row['database']} | {row['messages']:,} "
            f"| {row['plan_seconds']} | {row['deliver_seconds']} | {row['deliver_per_second']} "
            f"| {row['end_to_end_per_second']} | "
            f"{row['deliver_per_second'] / peer['per_second']:.2f}x | {row['peak_rss_mib']} |"
        )
    lines.append(
        f"| peer: Jinja2 + smtplib, no store | – | {peer['messages']:,} | – | {peer['seconds']} "
        f"| {peer['per_second']} | {peer['per_second']} | 1.00x | – |"
    )
    lines += [
        "",
        "crmind's runner commits once per message before sending it (the claim, with the previous",
        "message's outcome), so a crash or a second runner never sends a message twice; the peer",
        "keeps no record at all. Peak RSS is the bench process's, cumulative over the runs.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    port = free_port()
    server = _smtp_server(port)
    try:
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(_crmind(f"sqlite:///{tmp}/bench.db", "SQLite", args.customers, port))
            print(rows[-1], flush=True)
        if not args.skip_postgres:
            url = fresh_postgres_database("crmind_bench_campaigns")
            if url:
                rows.append(_crmind(url, "PostgreSQL", args.customers, port))
                print(rows[-1], flush=True)
        peer = _peer(rows[0]["messages"], port)
        print(peer, flush=True)
    finally:
        server.terminate()
        server.wait()
    results = {
        "command": " ".join(["python bench/bench_campaigns.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "date": datetime.now().strftime("%Y-%m-%d"),
        "customers": args.customers,
        "crmind": rows,
        "peer": peer,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "campaigns.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "campaigns.md").write_text(_markdown(results))


if __name__ == "__main__":
    main()
