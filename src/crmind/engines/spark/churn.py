"""Churn (and purchase) examples and scores on Spark.

:func:`spark_training_examples` builds what :func:`crmind.predict.labels.training_examples`
builds: for each cut-off, the Spark profile of every customer who bought by then (features only
from lines up to the cut-off) and the label from the window after it; the cut-offs are chosen by
the same rule (:func:`crmind.predict.labels.default_cutoffs`). The examples (customers x cut-offs,
one row each) are small enough to collect, and the model is fitted on the driver as the local
engine fits it. :func:`score_propensity_on_spark` then scores every customer in a pandas UDF with
the fitted model broadcast, reasons included (:func:`crmind.engines.scoring.propensity_scores`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import pandas as pd
import polars as pl
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812

from crmind import columns as c
from crmind.analytics import profile as pf
from crmind.engines.scoring import SCORE_SCHEMA, propensity_scores
from crmind.engines.spark.frames import to_polars
from crmind.engines.spark.profiles import spark_profiles
from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.labels import CUTOFF, FEATURE_EXCLUDE, LABEL, TARGETS, default_cutoffs
from crmind.predict.tabular import TabularModel

SCORE_DDL = f"{c.CUSTOMER_ID} long, kind string, value double, label string, explanation string"


def spark_cutoffs(
    lines: DataFrame, *, n_cutoffs: int = 3, spacing_days: int = 30, window_days: int = 90
) -> list[datetime]:
    """The default cut-offs of ``lines`` (as the local rule picks them)."""
    row = lines.agg(F.min(c.OCCURRED_AT), F.max(c.OCCURRED_AT)).first()
    span = pl.DataFrame(
        {c.OCCURRED_AT: [row[0], row[1]] if row is not None else []},
        schema={c.OCCURRED_AT: pl.Datetime("us")},
    )
    return default_cutoffs(
        span, n_cutoffs=n_cutoffs, spacing_days=spacing_days, window_days=window_days
    )


def spark_profile_features(
    lines: DataFrame,
    cutoff: datetime,
    *,
    products: DataFrame | None = None,
    customers: DataFrame | None = None,
    events: DataFrame | None = None,
) -> DataFrame:
    """customer_id, cutoff and the feature columns of every customer as of ``cutoff``."""
    seen = lines.filter(F.col(c.OCCURRED_AT) <= F.lit(cutoff).cast("timestamp"))
    profiles = spark_profiles(
        seen, as_of=cutoff, products=products, customers=customers, events=events
    )
    keep = [name for name in profiles.columns if name not in FEATURE_EXCLUDE]
    return profiles.select(c.CUSTOMER_ID, F.lit(cutoff).cast("timestamp").alias(CUTOFF), *keep)


def spark_training_examples(
    lines: DataFrame,
    cutoffs: Sequence[datetime],
    *,
    window_days: int = 90,
    target: str = "churn",
    products: DataFrame | None = None,
    customers: DataFrame | None = None,
    events: DataFrame | None = None,
) -> DataFrame:
    """One row per customer and cut-off: features as of the cut-off and the window's label."""
    if target not in TARGETS:
        raise ConfigurationError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    if not cutoffs:
        raise ConfigurationError("cutoffs is empty; give at least one")
    parts: list[DataFrame] = []
    for cutoff in sorted(cutoffs):
        features = spark_profile_features(
            lines, cutoff, products=products, customers=customers, events=events
        )
        labels = _window_labels(lines, cutoff, cutoff + timedelta(days=window_days), target)
        parts.append(_attach_labels(features, labels, target))
    examples = parts[0]
    for part in parts[1:]:
        examples = examples.unionByName(part, allowMissingColumns=True)
    counts = [name for name in examples.columns if name.startswith(pf.EVENTS_PREFIX)]
    if counts:
        examples = examples.fillna(0, subset=counts)
    label_last = [name for name in examples.columns if name != LABEL] + [LABEL]
    return examples.select(*label_last)


def score_propensity_on_spark(
    features: DataFrame,
    model: TabularModel,
    feature_names: list[str],
    schema: dict[str, pl.DataType],
    kind: str = "churn",
    top: int = 3,
) -> DataFrame:
    """customer_id, kind, value, label, explanation for every row of ``features``, scored in a
    pandas UDF with ``model`` broadcast. ``schema``: the polars types of the feature columns
    (as the model saw them), restored on each batch after the trip through pandas."""
    if kind not in ("churn", "purchase"):
        raise ConfigurationError(f"kind={kind!r}: Spark scoring covers churn and purchase")
    shared = features.sparkSession.sparkContext.broadcast((model, feature_names, schema))

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        fitted, names, types = shared.value
        for batch in batches:
            frame = pl.from_pandas(batch).cast(types, strict=False)  # type: ignore[arg-type]
            yield propensity_scores(fitted, frame, names, kind, top).to_pandas()

    columns = features.select(c.CUSTOMER_ID, *feature_names)
    return columns.mapInPandas(score, schema=SCORE_DDL)


def _window_labels(lines: DataFrame, start: datetime, end: datetime, target: str) -> DataFrame:
    """customer_id and the raw label of every customer with a line in ``(start, end]``."""
    window = lines.filter(
        F.col(c.CUSTOMER_ID).isNotNull()
        & (F.col(c.OCCURRED_AT) > F.lit(start).cast("timestamp"))
        & (F.col(c.OCCURRED_AT) <= F.lit(end).cast("timestamp"))
    )
    if target == "spend":
        value = F.sum(c.AMOUNT)
    else:
        value = F.count_distinct(F.when(~F.col(c.IS_RETURN), F.col(c.ORDER_ID))).cast("double")
    return window.groupBy(c.CUSTOMER_ID).agg(value.alias(LABEL))


def _attach_labels(features: DataFrame, labels: DataFrame, target: str) -> DataFrame:
    """``features`` with the label; customers without window lines get the empty label."""
    value = F.coalesce(F.col(LABEL), F.lit(0.0))
    if target == "churn":
        label = (value == 0).cast("long")
    elif target == "purchase":
        label = (value > 0).cast("long")
    else:
        label = value.cast("double")
    return features.join(labels, c.CUSTOMER_ID, "left").withColumn(LABEL, label)


def collected_examples(examples: DataFrame) -> pl.DataFrame:
    """The examples on the driver, sorted by cut-off and customer (the local order)."""
    frame = to_polars(examples.orderBy(CUTOFF, c.CUSTOMER_ID))
    if frame.height == 0:
        raise ModelDataError("no customer bought before any cut-off; there are no examples")
    return frame


__all__ = [
    "SCORE_DDL",
    "SCORE_SCHEMA",
    "collected_examples",
    "score_propensity_on_spark",
    "spark_cutoffs",
    "spark_profile_features",
    "spark_training_examples",
]
