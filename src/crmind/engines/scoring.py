"""Propensity scores with their reasons, for any subset of customers: what the prediction
service stores per customer, in a form a Spark job can run per batch.

:func:`propensity_scores` gives the rows of ``customer_scores`` that
:mod:`crmind.services.prediction` writes for a churn or purchase model (value = calibrated
probability, label = high / medium / low by fixed thresholds, explanation = the top drivers as
JSON). Every value depends only on the customer's own row and the fitted model, so scoring in
batches gives what scoring all at once gives. (Spend scores are labelled by rank among all
customers, so they are not per-row and stay with the local engine.)
"""

from __future__ import annotations

from typing import Final

import polars as pl

from crmind.columns import CUSTOMER_ID
from crmind.errors import ConfigurationError
from crmind.predict.explain import explain
from crmind.predict.tabular import TabularModel

PROPENSITY_KINDS: Final = ("churn", "purchase")
HIGH, MEDIUM = 0.7, 0.4
SCORE_SCHEMA: dict[str, pl.DataType] = {
    CUSTOMER_ID: pl.Int64(),
    "kind": pl.String(),
    "value": pl.Float64(),
    "label": pl.String(),
    "explanation": pl.String(),
}


def propensity_scores(
    model: TabularModel, features: pl.DataFrame, feature_names: list[str], kind: str, top: int = 3
) -> pl.DataFrame:
    """customer_id, kind, value, label and explanation of each row of ``features``."""
    if kind not in PROPENSITY_KINDS:
        raise ConfigurationError(
            f"kind={kind!r}: per-row scoring covers {', '.join(PROPENSITY_KINDS)} only"
        )
    if features.height == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    scored = explain(
        model, features.select(feature_names), features.get_column(CUSTOMER_ID), top=top
    ).rename({model.output_name: "value"})
    value = pl.col("value")
    band = (
        pl.when(value >= HIGH)
        .then(pl.lit("high"))
        .when(value >= MEDIUM)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )
    return scored.select(
        pl.col(CUSTOMER_ID).cast(pl.Int64),
        pl.lit(kind).alias("kind"),
        "value",
        band.alias("label"),
        pl.struct(pl.col("text").alias("reasons"), "drivers")
        .struct.json_encode()
        .alias("explanation"),
    )
