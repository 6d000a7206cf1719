"""The fine-tuned network moved to crmind.text.e5_finetune; the old names stay for saved models."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="torch (crmind[finetune]) missing")


def test_the_old_names_are_the_moved_network() -> None:
    from crmind.assistant.intent_finetune import FineTunedIntents, FineTuning
    from crmind.text import e5_finetune

    assert FineTunedIntents is e5_finetune.FineTunedE5
    assert FineTuning is e5_finetune.FineTuning
