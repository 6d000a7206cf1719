"""Churn on Spark: the training examples (features as of each cut-off, labels from the window
after it) are the local ones, and the pandas-UDF scoring gives the local scores and reasons for
the same fitted model."""

from __future__ import annotations

import json

import polars as pl
import pytest

from crmind.engines import AnalysisTables, ExampleOptions
from crmind.engines.scoring import propensity_scores
from crmind.engines.spark import SparkEngine
from crmind.engines.spark.churn import score_propensity_on_spark
from crmind.engines.spark.frames import to_polars, to_spark
from crmind.predict.labels import LABEL, feature_columns, scoring_features, training_examples
from crmind.predict.models import PropensityModel
from tests.engines.frames_match import assert_frames_match


@pytest.fixture(scope="module")
def local_examples(retail_tables: AnalysisTables) -> pl.DataFrame:
    return training_examples(
        retail_tables.lines,
        n_cutoffs=2,
        spacing_days=30,
        window_days=30,
        products=retail_tables.products,
        customers=retail_tables.customers,
    )


def test_training_examples_match_the_local_ones(
    spark: object, retail_tables: AnalysisTables, local_examples: pl.DataFrame
) -> None:
    engine = SparkEngine(session=spark)  # type: ignore[arg-type]
    options = ExampleOptions(n_cutoffs=2, spacing_days=30, window_days=30)
    remote = engine.training_examples(retail_tables, options)
    assert remote["cutoff"].unique().sort().to_list() == sorted(
        local_examples["cutoff"].unique().to_list()
    )
    assert_frames_match(local_examples, remote)
    assert local_examples[LABEL].n_unique() == 2


@pytest.fixture(scope="module")
def fitted(
    local_examples: pl.DataFrame, retail_tables: AnalysisTables
) -> tuple[PropensityModel, list[str], pl.DataFrame, pl.DataFrame]:
    """The model fitted locally, its features, today's local features and their scores."""
    features = feature_columns(local_examples)
    model = PropensityModel(random_state=0).fit(
        local_examples.select(features), local_examples[LABEL]
    )
    now = scoring_features(
        retail_tables.lines, products=retail_tables.products, customers=retail_tables.customers
    )
    return model, features, now, propensity_scores(model, now, features, "churn")


def test_udf_scores_and_reasons_are_the_local_ones_for_the_same_model_and_features(
    spark: object, fitted: tuple[PropensityModel, list[str], pl.DataFrame, pl.DataFrame]
) -> None:
    model, features, now, expected = fitted
    scored = score_propensity_on_spark(
        to_spark(spark, now),  # type: ignore[arg-type]
        model,
        features,
        {name: now.schema[name] for name in features},
    )
    remote = to_polars(scored.orderBy("customer_id"))
    assert remote.height == expected.height > 1000
    assert remote.equals(expected)


def test_scores_from_spark_features_match_with_the_same_drivers(
    spark: object,
    retail_tables: AnalysisTables,
    fitted: tuple[PropensityModel, list[str], pl.DataFrame, pl.DataFrame],
) -> None:
    """Spark's money sums can differ from polars' in the last bits; the scores then agree to
    1e-12, every driver and contribution is the same, and only a shown value that sits on a
    rounding boundary (4 significant digits) can print differently."""
    model, features, _, expected = fitted
    engine = SparkEngine(session=spark)  # type: ignore[arg-type]
    remote = engine.propensity_scores(retail_tables, model, features, "churn")
    assert remote.select("customer_id", "kind", "label").equals(
        expected.select("customer_id", "kind", "label")
    )
    assert (remote["value"] - expected["value"]).abs().max() <= 1e-12  # type: ignore[operator]

    def drivers(frame: pl.DataFrame) -> list[list[tuple[str, float]]]:
        return [
            [(item["feature"], item["contribution"]) for item in json.loads(text)["drivers"]]
            for text in frame["explanation"]
        ]

    assert drivers(remote) == drivers(expected)
