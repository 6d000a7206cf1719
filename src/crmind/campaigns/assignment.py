"""Experiment groups fixed per customer and campaign: a keyed hash, not a random draw, so every
runner, every pass and every re-run puts a customer in the same group."""

from __future__ import annotations

import hashlib

from crmind.campaigns.spec import Experiment

HOLDOUT = "holdout"
CONTROL_VARIANT = "main"
"""The group of the treated when the campaign has no A/B variants."""


def unit_draw(seed: str, customer_id: int) -> float:
    """A number in [0, 1), uniform over customers, fixed by (seed, customer)."""
    digest = hashlib.sha256(f"{seed}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def group_of(seed: str, customer_id: int, experiment: Experiment) -> str:
    """``holdout`` for a ``experiment.holdout`` share of customers; else the variant whose
    weighted share the customer's draw falls in (``main`` without variants)."""
    draw = unit_draw(seed, customer_id)
    if draw < experiment.holdout:
        return HOLDOUT
    if not experiment.variants:
        return CONTROL_VARIANT
    position = (draw - experiment.holdout) / (1 - experiment.holdout)
    total = sum(variant.weight for variant in experiment.variants)
    cumulative = 0.0
    for variant in experiment.variants:
        cumulative += variant.weight / total
        if position < cumulative:
            return variant.name
    return experiment.variants[-1].name
