"""Benchmark: `crmind analyze` end to end on the bundled UCI Online Retail data.

Builds a demo store in a temporary folder (the import is not timed here; see bench_import.py),
then runs the `crmind analyze` command in a fresh process: wall time (start-up included), peak
memory, and the time of each step as the command reports it. Results: bench/results/analysis.json
and analysis.md.

Usage: .venv/bin/python bench/bench_analysis.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _crmind() -> str:
    script = shutil.which("crmind", path=str(Path(sys.executable).parent))
    if script is None:
        raise SystemExit("the crmind console script is not installed in this environment")
    return script


def _build_store(database: Path) -> None:
    from crmind.services.demo import import_demo_data
    from crmind.store.db import make_engine
    from crmind.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    import_demo_data(engine, reports_dir=database.parent)
    engine.dispose()


def _analyze_once(database: Path) -> dict[str, Any]:
    started = time.perf_counter()
    child = subprocess.Popen(
        [_crmind(), "--db", str(database), "analyze", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else ""
    if status != 0:
        raise RuntimeError(f"crmind analyze failed with status {status}")
    result = json.loads(output)
    return {
        "wall_seconds": round(seconds, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "customers": result["customers"],
        "steps": result["seconds"],
    }


def _markdown(runs: list[dict[str, Any]]) -> str:
    walls = [r["wall_seconds"] for r in runs]
    steps = runs[0]["steps"]
    lines = [
        "# `crmind analyze` on UCI Online Retail (541,909 lines, 4,339 customers)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Command: `.venv/bin/python bench/bench_analysis.py`.",
        f"Wall time of the whole command in a fresh process (start-up included), {len(runs)} runs.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| wall time, median | {statistics.median(walls):.2f} s |",
        f"| wall time, min / max | {min(walls):.2f} / {max(walls):.2f} s |",
        f"| peak memory (max RSS) | {max(r['peak_rss_mib'] for r in runs)} MiB |",
        f"| customers | {runs[0]['customers']:,} |",
        "",
        "Steps of the first run, as the command reports them:",
        "",
        "| step | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {secs:.2f} |" for name, secs in steps.items()]
    lines += ["", "Goal (issue: customer understanding): under 30 s on this machine."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "demo.db"
        _build_store(database)
        runs = [_analyze_once(database) for _ in range(args.runs)]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "analysis.json").write_text(json.dumps(runs, indent=2) + "\n")
    (RESULTS / "analysis.md").write_text(_markdown(runs))
    print((RESULTS / "analysis.md").read_text())


if __name__ == "__main__":
    main()
