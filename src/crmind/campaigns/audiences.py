"""Who of a frame of customers is in an audience, step by step (for a preview with counts).

The frame (built by :mod:`crmind.services.campaign_audiences`) has one row per customer:
``customer_id``, ``segments`` (list of the keys and names of the segments the customer is in),
``stage`` (lifecycle stage), ``score_<kind>`` per score kind the audience names, and the customer
and profile fields rules may name (:data:`RULE_FIELDS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from crmind import columns as c
from crmind.campaigns.spec import Audience, CampaignSpecError, FieldRule, ScoreRule

RULE_FIELDS = (
    "country",
    "country_code",
    "city",
    "gender",
    "signed_up_at",
    "recency_days",
    "tenure_days",
    "order_count",
    "monetary_total",
    "favourite_category",
)
"""Fields an audience's rules may name (none of them personal contact data)."""


def score_column(kind: str) -> str:
    return f"score_{kind}"


@dataclass(frozen=True)
class AudienceStep:
    """One rule of the audience and how many customers are left after it."""

    rule: str
    remaining: int


@dataclass(frozen=True)
class AudienceSelection:
    customer_ids: list[int]
    steps: list[AudienceStep]


def select_audience(frame: pl.DataFrame, audience: Audience) -> AudienceSelection:
    """The customers of ``frame`` every rule of ``audience`` holds for, with the count after
    each rule. A rule on a score nobody has leaves nobody (not everybody)."""
    steps = [AudienceStep("all customers", frame.height)]
    selected = frame
    for label, condition in _conditions(frame, audience):
        selected = selected.filter(condition)
        steps.append(AudienceStep(label, selected.height))
    ids = selected.get_column(c.CUSTOMER_ID).cast(pl.Int64).sort().to_list()
    return AudienceSelection(customer_ids=ids, steps=steps)


def _conditions(frame: pl.DataFrame, audience: Audience) -> list[tuple[str, pl.Expr]]:
    conditions: list[tuple[str, pl.Expr]] = []
    if audience.customer_ids is not None:
        ids = pl.Series(audience.customer_ids, dtype=pl.Int64).implode()
        conditions.append(
            (
                f"in the uploaded list ({len(audience.customer_ids)})",
                pl.col(c.CUSTOMER_ID).is_in(ids),
            )
        )
    if audience.segments:
        wanted = pl.Series(audience.segments, dtype=pl.String).implode()
        conditions.append(
            (
                f"in segment {' or '.join(audience.segments)}",
                pl.col("segments").list.eval(pl.element().is_in(wanted)).list.any(),
            )
        )
    if audience.stages:
        stages = pl.Series(audience.stages, dtype=pl.String).implode()
        conditions.append((f"stage {' or '.join(audience.stages)}", pl.col("stage").is_in(stages)))
    conditions.extend(_score_condition(frame, rule) for rule in audience.scores)
    conditions.extend(_field_condition(frame, rule) for rule in audience.fields)
    return conditions


def _score_condition(frame: pl.DataFrame, rule: ScoreRule) -> tuple[str, pl.Expr]:
    name = score_column(rule.kind)
    if name not in frame.columns:
        raise CampaignSpecError(f"audience.scores: no stored score of kind {rule.kind!r}")
    column = pl.col(name)
    parts: list[str] = []
    condition = column.is_not_null()
    if rule.min is not None:
        condition &= column > rule.min
        parts.append(f"> {rule.min:g}")
    if rule.max is not None:
        condition &= column <= rule.max
        parts.append(f"<= {rule.max:g}")
    if rule.top_percent is not None:
        scored = frame.get_column(name).drop_nulls()
        if scored.is_empty():
            condition &= pl.lit(False)
        else:
            cutoff = scored.quantile(1 - rule.top_percent / 100, interpolation="higher")
            condition &= column >= cutoff
        parts.append(f"in the top {rule.top_percent:g} %")
    return f"{rule.kind} {' and '.join(parts)}", condition


def _field_condition(frame: pl.DataFrame, rule: FieldRule) -> tuple[str, pl.Expr]:
    if rule.field not in RULE_FIELDS:
        raise CampaignSpecError(
            f"audience.fields: unknown field {rule.field!r}; "
            f"expected one of {', '.join(RULE_FIELDS)}"
        )
    column = pl.col(rule.field)
    value: Any = rule.value
    label = f"{rule.field} {rule.op} {value!r}"
    if rule.op == "in":
        return label, column.is_in(pl.Series(value).implode())
    if rule.op == "not_in":
        return label, ~column.is_in(pl.Series(value).implode()) | column.is_null()
    comparisons = {
        "=": column == value,
        "!=": (column != value) | column.is_null(),
        ">": column > value,
        ">=": column >= value,
        "<": column < value,
        "<=": column <= value,
    }
    return label, comparisons[rule.op]
