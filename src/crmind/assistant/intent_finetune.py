"""Moved to :mod:`crmind.text.e5_finetune` (sentiment fine-tunes E5 too); these names stay so
that intent models saved before the move still load."""

from crmind.text.e5_finetune import FineTunedE5, FineTuning

FineTunedIntents = FineTunedE5

__all__ = ["FineTunedE5", "FineTunedIntents", "FineTuning"]
