"""An open-loop HTTP load generator: requests leave on a fixed schedule, whatever the server does.

Request ``i`` is due at ``start + i / rate``; its latency is measured from that due time, so a
slow server shows up as latency instead of a slower client (no coordinated omission). A small
asyncio HTTP/1.1 client on keep-alive connections keeps the generator's own cost low, since it
shares the machine's two cores with the server.

Usage (as a library): ``asyncio.run(run_open_loop(host, port, paths, headers, rate, seconds))``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    offered_rate: float
    seconds: float
    sent: int = 0
    completed: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def achieved_rate(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(length)
        return status


async def run_open_loop(
    host: str,
    port: int,
    paths: list[str],
    headers: dict[str, str],
    rate: float,
    seconds: float,
    connections: int = 64,
    timeout: float = 10.0,
) -> LoadResult:
    """Send GET requests for ``paths`` (round robin) at ``rate`` per second for ``seconds``."""
    header_text = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [
        f"GET {p} HTTP/1.1\r\nHost: {host}:{port}\r\n{header_text}\r\n".encode() for p in paths
    ]
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        reader, writer = await asyncio.open_connection(host, port)
        pool.put_nowait(_Connection(reader, writer))
    result = LoadResult(offered_rate=rate, seconds=seconds)
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []

    async def one(request: bytes, due: float) -> None:
        connection = await pool.get()
        try:
            status = await asyncio.wait_for(connection.get(request), timeout)
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
            result.errors += 1
            connection.writer.close()
            reader, writer = await asyncio.open_connection(host, port)
            connection = _Connection(reader, writer)
        else:
            result.completed += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.latencies_ms.append((time.perf_counter() - due) * 1000)
        finally:
            pool.put_nowait(connection)

    for i, request in zip(range(total), itertools.cycle(requests), strict=False):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, due)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.seconds = max(seconds, time.perf_counter() - start)
    while not pool.empty():
        pool.get_nowait().writer.close()
    return result
