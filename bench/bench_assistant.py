"""The assistant's speed: messages per second and latency of a full turn (``chat_turn``).

A full turn is what ``POST /chat`` and ``crmind chat`` run: language, slots, intent, the action
or the cited knowledge-base answer, and the transaction that stores both messages and the
dialogue state. Measured on a SQLite store with the demo data (UCI Online Retail, imported by
``crmind demo``'s import; every customer given an e-mail address so the identity check runs),
the shipped knowledge base, and stored recommendations (popularity, as a fast stand-in: the
assistant reads stored lists, whichever model made them).

Scripted conversations in English and Chinese, cycled: greetings, policy questions answered
from the knowledge base, order status by an anonymous visitor (order number, then e-mail),
a signed-in customer's order status and recommendations, refund tickets, cancellations,
unknown messages and hand-offs. Turns run one after another in one process (latency per turn:
p50 / p95 / p99 / max; messages per second = turns / total time).

With the local LLM (llama.cpp's server and SmolLM2-135M, tests/assistant/llm_server.py) the
same conversations run with the model phrasing knowledge-base answers and order replies and
summarising hand-offs (fewer turns: each call to the model takes a while).

    .venv/bin/python bench/bench_assistant.py [--turns 3000] [--llm-turns 60] [--store DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from crmind.config import Settings  # noqa: E402
from crmind.ingest.fields import ImportKind  # noqa: E402
from crmind.services.assistant import chat_turn  # noqa: E402
from crmind.services.demo import import_demo_data  # noqa: E402
from crmind.services.importing import ImportRequest, import_file  # noqa: E402
from crmind.services.knowledge import DEMO_KNOWLEDGE, import_articles  # noqa: E402
from crmind.services.recommendation import RecommendOptions, train_and_recommend  # noqa: E402
from crmind.services.setup import init_store  # noqa: E402
from tests.assistant.llm_server import missing_reason, smollm2_gguf, start_server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
Script = list[str]


def build_store(directory: Path) -> tuple[Settings, Engine]:
    """The demo store in ``directory``; each part is made only if missing, so a kept store
    (``--store``) is reused."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=directory, database_url=f"sqlite:///{directory / 'bench.db'}")
    engine, _ = init_store(settings)
    started = time.perf_counter()
    if not _count(engine, "SELECT count(*) FROM orders"):
        import_demo_data(engine)
    if not _count(engine, "SELECT count(email_hash) FROM customers"):
        with engine.connect() as conn:
            keys = conn.execute(
                text("SELECT value FROM customer_identities WHERE kind = 'source_key'")
            ).scalars()
            customers = sorted(str(key) for key in keys)
        path = directory / "emails.csv"
        pl.DataFrame(
            {"customer_id": customers, "email": [f"c{key}@example.com" for key in customers]}
        ).write_csv(path)
        request = ImportRequest(kind=ImportKind.CUSTOMERS, path=path, source="online-retail")
        import_file(engine, request)
    if not _count(engine, "SELECT count(*) FROM knowledge_articles"):
        import_articles(engine, DEMO_KNOWLEDGE)
    if not _count(engine, "SELECT count(*) FROM recommendations"):
        options = RecommendOptions(model="popularity", k=5)
        train_and_recommend(engine, options, directory / "models")
    print(f"store ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return settings, engine


def _count(engine: Engine, query: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(query)).scalar_one())


def scripts(engine: Engine) -> list[tuple[int | None, Script]]:
    """Conversations: (signed-in customer or None, messages)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT o.order_number, i.value, o.customer_id FROM orders o "
                "JOIN customer_identities i ON i.customer_id = o.customer_id "
                "AND i.kind = 'source_key' WHERE o.is_return = 0 ORDER BY o.id LIMIT 400"
            )
        ).all()
    found: list[tuple[int | None, Script]] = []
    for n, (number, key, customer) in enumerate(rows[::4]):
        email = f"c{key}@example.com"
        other = rows[(n * 4 + 2) % len(rows)][0]
        found += [
            (None, ["Hello", f"Where is my order #{number}?", email, "thanks, bye"]),
            (None, ["你好", f"我的订单{number}到哪了", email, "谢谢"]),
            (
                None,
                ["How long do refunds take?", "Do you ship to Ireland?", "Can I pay by PayPal?"],
            ),
            (None, ["退货政策是什么？", "运费多少钱？", "怎么修改收货地址？"]),
            (int(customer), [f"status of order {number}", "what would you recommend?"]),
            (int(customer), [f"I want a refund for order {other}", f"refund order {number}"]),
            (int(customer), [f"please cancel order {number}", "我要找人工客服"]),
            (None, ["asdf qwerty", "the moon is made of cheese", "blorp", "hello?"]),
            (None, [f"order {number}", "wrong@example.com", "still@wrong.com"]),
        ]
    return found


def run_turns(
    engine: Engine, settings: Settings, conversations: list[tuple[int | None, Script]], turns: int
) -> dict[str, Any]:
    latencies: list[float] = []
    actions: dict[str, list[float]] = {}
    asked = grounded = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    index = 0
    while len(latencies) < turns:
        customer, messages = conversations[index % len(conversations)]
        index += 1
        conversation: int | None = None
        for message in messages:
            if len(latencies) >= turns:
                break
            began = time.perf_counter()
            reply = chat_turn(
                engine, conversation, message, customer_id=customer, settings=settings
            )
            latencies.append((time.perf_counter() - began) * 1000)
            conversation = reply.conversation_id
            actions.setdefault(reply.action or "none", []).append(latencies[-1])
            asked += reply.used_llm
            grounded += reply.llm_grounded
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    ordered = sorted(latencies)
    return {
        "turns": len(latencies),
        "messages_per_second": round(len(latencies) / total, 1),
        "cpu_ms_per_turn": round(cpu * 1000 / len(latencies), 2),  # this process's CPU time
        "p50_ms": _quantile(ordered, 0.5),
        "p95_ms": _quantile(ordered, 0.95),
        "p99_ms": _quantile(ordered, 0.99),
        "max_ms": round(ordered[-1], 2),
        "llm_asked": asked,  # replies the model was asked to word
        "llm_grounded": grounded,  # ... whose wording passed the grounding check
        "actions": {
            action: {
                "turns": len(times),
                "p50_ms": _quantile(times, 0.5),
                "p95_ms": _quantile(times, 0.95),
            }
            for action, times in sorted(actions.items())
        },
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[int(q * (len(ordered) - 1))], 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--llm-turns", type=int, default=60)
    parser.add_argument("--store", type=Path, default=None, help="reuse / keep the store here")
    args = parser.parse_args()
    directory = args.store or Path(tempfile.mkdtemp(prefix="crmind-bench-assistant-"))
    settings, engine = build_store(directory)
    with engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("customers", "orders", "knowledge_articles", "recommendations")
        }
    conversations = scripts(engine)
    run_turns(engine, settings, conversations, 200)  # warm-up: classifier, index, caches
    results: dict[str, Any] = {"store": counts, "without_llm": None, "with_llm": None}
    results["without_llm"] = run_turns(engine, settings, conversations, args.turns)
    print(json.dumps(results["without_llm"]), file=sys.stderr)
    reason = missing_reason()
    if reason is None and args.llm_turns > 0:
        model = smollm2_gguf()
        assert model is not None
        server = start_server(model)
        try:
            with_llm = settings.model_copy(
                update={"llm_base_url": server.base_url, "llm_model": "smollm2"}
            )
            run_turns(engine, with_llm, conversations, 5)
            results["with_llm"] = run_turns(engine, with_llm, conversations, args.llm_turns)
        finally:
            server.stop()
    else:
        results["llm_skipped"] = reason or "--llm-turns 0"
    results["machine"] = {
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.machine(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "assistant.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "assistant.md").write_text(report(results, args))
    print(report(results, args))
    engine.dispose()


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    store = results["store"]
    lines = [
        "# Assistant: a full turn (chat_turn), messages per second and latency",
        "",
        f"Command: `.venv/bin/python bench/bench_assistant.py --turns {args.turns} "
        f"--llm-turns {args.llm_turns}`; {results['machine']['platform']}, "
        f"{results['machine']['cpus']} cores shared with other work (load average "
        f"{results['machine']['load_average_1min_at_end']} at the end), "
        f"Python {results['machine']['python']}.",
        "",
        f"Store: SQLite, the demo data (UCI Online Retail: {store['customers']:,} customers, "
        f"{store['orders']:,} orders), {store['knowledge_articles']} knowledge-base articles "
        f"(en + zh), {store['recommendations']:,} stored recommendations. Turns run one after "
        "another in one process; each stores both messages and the dialogue state. CPU ms a "
        "turn is this process's CPU time (the LLM server's is not in it): less sensitive to "
        "other work on the machine than the wall-clock latencies.",
        "",
        "| case | turns | messages/s | p50 ms | p95 ms | p99 ms | max ms | CPU ms a turn | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, key, goal in (
        ("without LLM", "without_llm", "p95 < 20 ms"),
        ("with local LLM (SmolLM2-135M, llama.cpp)", "with_llm", "—"),
    ):
        row = results.get(key)
        if row is None:
            lines.append(
                f"| {name} | — | — | — | — | — | — | — | not run: {results.get('llm_skipped')} |"
            )
            continue
        lines.append(
            f"| {name} | {row['turns']:,} | {row['messages_per_second']:,} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['max_ms']} | {row['cpu_ms_per_turn']} | "
            f"{goal} |"
        )
    with_llm = results.get("with_llm") or {"actions": {}}
    if results.get("with_llm"):
        lines += [
            "",
            f"With the LLM, {with_llm['llm_asked']} replies were worded by the model "
            f"(knowledge-base answers and order replies) and {with_llm['llm_grounded']} of "
            "those passed the grounding check; the others showed the templated answer. "
            "Hand-offs also ask it for a summary.",
        ]
    lines += [
        "",
        "By the action of the reply:",
        "",
        "| action | turns | p50 ms | p95 ms | with LLM: turns | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for action, row in results["without_llm"]["actions"].items():
        llm = with_llm["actions"].get(action)
        extra = f"{llm['turns']:,} | {llm['p50_ms']} | {llm['p95_ms']}" if llm else "— | — | —"
        lines.append(
            f"| {action} | {row['turns']:,} | {row['p50_ms']} | {row['p95_ms']} | {extra} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
