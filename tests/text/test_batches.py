"""Blocks and worker processes give the same results, in the same order, as one call."""

from __future__ import annotations

import numpy as np
import pytest

from crmind.text import batches
from crmind.text.default_model import default_sentiment_model, read_uci_sentences


def test_processes_and_blocks_match_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "BLOCK_TEXTS", 70)
    monkeypatch.setattr(batches, "PARALLEL_MIN_TEXTS", 100)
    texts = [*read_uci_sentences()["text"].to_list()[:300], "物流很快", "", "不满意"]
    model = default_sentiment_model()
    whole = model._predict_block(texts)
    for n_jobs in (1, 2):
        result = model.predict(texts, n_jobs=n_jobs)
        assert result.labels == whole.labels
        np.testing.assert_allclose(result.scores, whole.scores)
        assert result.drivers == whole.drivers
        np.testing.assert_allclose(model.score(texts, n_jobs=n_jobs), whole.scores)


def test_small_batches_stay_in_process() -> None:
    assert batches._workers(-1, batches.PARALLEL_MIN_TEXTS - 1) == 1
    assert batches._workers(1, 10**6) == 1
    assert batches._workers(-1, 10**6) >= 1
