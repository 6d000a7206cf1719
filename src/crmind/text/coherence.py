"""How coherent topics are: do their keywords occur together in the texts?

Two standard measures over document co-occurrence (Röder, Both & Hinneburg 2015 give both):

- **NPMI** (C_NPMI with whole texts as the window): for each pair of a topic's top words,
  ``log(P(a, b) / (P(a) P(b))) / -log P(a, b)``, in [-1, 1]; 0 is independence, 1 words that
  always occur together; pairs that never co-occur count -1. Averaged over pairs, then topics.
  Human judgements of topic quality follow it best among the simple measures.
- **UMass** (Mimno et al. 2011): ``log((D(a, b) + 1) / D(b))`` over ordered pairs (``b``
  heavier than ``a``), averaged; at most 0, closer to 0 is more coherent.

:func:`random_topics_coherence` gives the reference: the same measures for word sets drawn at
random, with the words' own frequencies, from the same texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.sparse import csr_matrix


@dataclass(frozen=True)
class Coherence:
    """Mean NPMI and UMass of a set of topics, and per topic."""

    npmi: float
    umass: float
    npmi_per_topic: list[float]
    umass_per_topic: list[float]


def coherence(
    topics: Sequence[Sequence[str]],
    texts: Sequence[str],
    words_of: Callable[[str], list[str]],
    top: int = 10,
) -> Coherence:
    """NPMI and UMass of each topic's first ``top`` words over ``texts`` (split by
    ``words_of``, the tokeniser the topics were found with)."""
    vocabulary = sorted({word for topic in topics for word in topic[:top]})
    index = {word: i for i, word in enumerate(vocabulary)}
    present = _presence(texts, words_of, index)
    documents = present.shape[0]
    counts = np.asarray(present.sum(axis=0)).ravel()
    together = np.asarray((present.T @ present).todense())
    npmi: list[float] = []
    umass: list[float] = []
    for topic in topics:
        columns = [index[word] for word in topic[:top]]
        npmi.append(
            _mean(_npmi(together, counts, documents, a, b) for a, b in combinations(columns, 2))
        )
        umass.append(
            _mean(
                np.log((together[a, b] + 1.0) / counts[b]) if counts[b] else np.nan
                for b, a in combinations(columns, 2)
            )
        )
    return Coherence(_mean(npmi), _mean(umass), npmi, umass)


def random_topics_coherence(
    topics: Sequence[Sequence[str]],
    texts: Sequence[str],
    words_of: Callable[[str], list[str]],
    top: int = 10,
    random_state: int = 0,
) -> Coherence:
    """:func:`coherence` of as many random word sets, each as long as the topics' keyword lists,
    drawn without replacement with the words' document frequencies."""
    frequency: dict[str, int] = {}
    for text in texts:
        for word in set(words_of(text)):
            frequency[word] = frequency.get(word, 0) + 1
    words = np.array(sorted(frequency))
    weights = np.array([frequency[word] for word in words], dtype=np.float64)
    rng = np.random.default_rng(random_state)
    size = min(top, len(words))
    drawn = [
        rng.choice(words, size=size, replace=False, p=weights / weights.sum()).tolist()
        for _ in topics
    ]
    return coherence(drawn, texts, words_of, top)


def _presence(
    texts: Sequence[str], words_of: Callable[[str], list[str]], index: dict[str, int]
) -> csr_matrix:
    rows: list[int] = []
    columns: list[int] = []
    for row, text in enumerate(texts):
        found = {index[word] for word in words_of(text) if word in index}
        rows.extend([row] * len(found))
        columns.extend(found)
    data = np.ones(len(rows), dtype=np.float64)
    return csr_matrix((data, (rows, columns)), shape=(len(texts), len(index)))


def _npmi(together: np.ndarray, counts: np.ndarray, documents: int, a: int, b: int) -> float:
    if not together[a, b]:
        return -1.0
    joint = together[a, b] / documents
    if joint >= 1.0:
        return 1.0
    return float(np.log(joint / (counts[a] / documents * counts[b] / documents)) / -np.log(joint))


def _mean(values: object) -> float:
    array = np.fromiter(values, dtype=np.float64)  # type: ignore[call-overload]
    array = array[~np.isnan(array)]
    return float(array.mean()) if len(array) else float("nan")
