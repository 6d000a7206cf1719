"""Score many texts in blocks, on several processes when there are enough of them.

Tokenising (jieba above all) and vectorising are pure Python per text, so one process uses one
core. For a large batch, :func:`map_blocks` sends blocks of ``BLOCK_TEXTS`` texts to a pool of
fresh ("spawn") worker processes, each given the fitted model once; small batches, and
``n_jobs=1``, stay in the calling process. Blocks also bound the memory of the sparse feature
matrices. Results come back in the order of the texts.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

BLOCK_TEXTS = 5_000
PARALLEL_MIN_TEXTS = 20_000
"""Below this, starting worker processes (about a second each) costs more than it saves."""

Result = TypeVar("Result")

_worker_model: Any = None


def map_blocks(
    model: object,
    method: str,
    texts: Sequence[str],
    n_jobs: int = 1,
) -> list[Any]:
    """``getattr(model, method)(block)`` for each block of ``texts``, in order. ``n_jobs``:
    worker processes (-1: one per core) for batches of at least ``PARALLEL_MIN_TEXTS``."""
    blocks = [
        list(texts[start : start + BLOCK_TEXTS]) for start in range(0, len(texts), BLOCK_TEXTS)
    ]
    workers = _workers(n_jobs, len(texts))
    if workers <= 1:
        call: Callable[[list[str]], Any] = getattr(model, method)
        return [call(block) for block in blocks]
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_load_model,
        initargs=(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL),),
    ) as pool:
        return list(pool.map(_call, [method] * len(blocks), blocks))


def _workers(n_jobs: int, count: int) -> int:
    if count < PARALLEL_MIN_TEXTS or n_jobs == 1:
        return 1
    cores = os.cpu_count() or 1
    wanted = cores if n_jobs < 0 else n_jobs
    return max(1, min(wanted, cores, -(-count // BLOCK_TEXTS)))


def _load_model(payload: bytes) -> None:
    global _worker_model
    _worker_model = pickle.loads(payload)  # the caller's own model, sent to its own workers


def _call(method: str, block: list[str]) -> Any:
    return getattr(_worker_model, method)(block)
