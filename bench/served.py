"""What the benches of `crmind serve` share: the console script, a free port, a server
subprocess that answers /health, its peak memory, and a fresh PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

POSTGRES_ADMIN = os.environ.get(
    "CRMIND_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def crmind_script() -> str:
    script = shutil.which("crmind", path=str(Path(sys.executable).parent))
    if script is None:
        raise SystemExit("the crmind console script is not installed in this environment")
    return script


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_rss_mib(pid: int) -> float:
    """The peak resident memory of ``pid`` and its child processes (uvicorn's workers)."""
    total = 0.0
    for one in (pid, *_children(pid)):
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return round(total, 1)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system, all threads) each of ``pids`` has used so far; a process
    gone in between is left out."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def server_pids(pid: int) -> list[int]:
    """``pid`` and its child processes (uvicorn's workers)."""
    return [pid, *_children(pid)]


def postgres_pids() -> list[int]:
    """Every process of the local PostgreSQL server (the postmaster, its backends and helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def serve(url: str, data_dir: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """`crmind serve` on ``url``, returned once it answers /health (60 s at most).

    The server's stderr goes to ``server-<port>.log`` in ``data_dir``: a pipe nobody reads
    while the load runs would stop the server once its buffer filled."""
    command = [crmind_script(), "--db", url, "--data-dir", str(data_dir), "serve"]
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{port}.log"
    with log.open("wb") as errors:
        server = subprocess.Popen(
            [*command, "--port", str(port), "--workers", str(workers)],
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    deadline = time.time() + 60
    while time.time() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    server.wait()
    problem = log.read_text(errors="replace")[-4000:]
    raise SystemExit(f"the server did not start: {problem}")


def fresh_postgres_database(name: str) -> str | None:
    """The URL of a new, empty database ``name`` on the test server (dropped first if it
    exists), or None with the reason printed when no server answers."""
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    except Exception as exc:  # no server: the PostgreSQL case is skipped with the reason
        print(f"PostgreSQL skipped: {exc}", flush=True)
        return None
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + name
