from __future__ import annotations

import pytest

from crmind.assistant.intents_spec import OUT_OF_SCOPE
from crmind.services.intent_evaluation import evaluate_intents, grade
from crmind.services.intent_files import IntentData
from tests.conftest import shared_data

OOS = OUT_OF_SCOPE


def test_grade_counts_refusals_against_in_scope_and_for_out_of_scope() -> None:
    truth = ["a", "a", "b", "b", OOS, OOS]
    read = ["a", OOS, "b", "a", OOS, "b"]  # one in-scope refused, one wrong, one OOS caught
    closed = ["a", "a", "b", "a", "a", "b"]  # best intents, no refusal
    report = grade(truth, read, closed)
    assert report["accuracy"] == 0.5
    assert report["closed_set_accuracy"] == 0.75
    assert report["in_scope_accuracy"] == 0.5
    assert report["in_scope_refused"] == 0.25
    assert report["out_of_scope_recall"] == 0.5
    assert report["out_of_scope_precision"] == 0.5
    # a, b and out of scope each: one right, one read wrongly as it, one missed: F1 0.5
    assert report["macro_f1"] == pytest.approx(0.5, abs=1e-4)


def test_grade_without_out_of_scope_messages_has_no_recall() -> None:
    report = grade(["a", "b"], ["a", OOS], ["a", "b"])
    assert report["out_of_scope_recall"] is None
    assert report["out_of_scope_precision"] is None
    assert report["closed_set_accuracy"] == 1.0


@pytest.mark.slow
def test_clinc150_small_split_evaluation() -> None:
    """CLINC150's validation split (20 messages per intent) to train, its test split to grade:
    a real check of the whole evaluation (measured: closed-set 0.838, in-scope 0.825, OOS
    recall 0.578; 10 s)."""
    path = shared_data("clinc150/data_full.json")
    report = evaluate_intents(
        IntentData(path, "val,oos_val"), IntentData(path, "test,oos_test"), oos_label="oos"
    )
    assert report["test"]["texts"] == 5500
    assert report["closed_set_accuracy"] > 0.8
    assert report["in_scope_accuracy"] > 0.75
    assert report["out_of_scope_recall"] > 0.3
    assert report["model"]["out_of_scope_class"]
