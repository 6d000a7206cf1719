"""The spark engine gives the local engine's results on the same data (the first 80,000 lines of
UCI Online Retail, 1,347 customers; Spark local[2] reading the Parquet export), and the analysis
service stores the same rows whichever engine ran.

What "the same" means, step by step (docs/spark.md):

- profiles: every integer, text and time column equal; float columns equal to 1e-12 relative
  (tenure, recency, gaps and CLV summaries bit for bit; money sums may differ in the last bits, as
  Spark adds in another order);
- RFM scores and segments: identical;
- lifetime value: the BTYD summary is identical to the bit, so the fitted models and every score
  are too; and the pandas-UDF scoring gives the local scores exactly for the same fitted model;
- learned segments (MLlib k-means against scikit-learn's, same k): on the same prepared features,
  the within-segment sum of squares at most 5 % above scikit-learn's and the silhouette at most
  0.05 below it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import polars as pl
import pytest
from pyspark.sql import SparkSession
from sklearn.metrics import silhouette_score
from sqlalchemy import Engine as SqlEngine

from crmind.analytics.clv.scoring import fit_clv, score_customers
from crmind.analytics.clv.summary import purchase_summary
from crmind.analytics.segments import CustomerSegmenter
from crmind.analytics.segments import _feature_matrix as feature_matrix
from crmind.engines import (
    AnalysisTables,
    CustomerAnalysis,
    CustomerAnalysisOptions,
    Engine,
    ExampleOptions,
    LocalEngine,
    Source,
)
from crmind.engines.spark import SparkEngine
from crmind.engines.spark.clv import score_clv_on_spark
from crmind.engines.spark.frames import to_polars, to_spark
from crmind.predict.tabular import TabularModel
from crmind.services.analysis import AnalysisOptions, AnalysisResult, run_analysis
from crmind.services.engine_data import ParquetExport, export_parquet
from crmind.store.frames import read_sql
from tests.engines.frames_match import FLOAT_TOLERANCE, assert_frames_match

OPTIONS = AnalysisOptions(n_segments=4, clv_draws=50)
INERTIA_WITHIN = 0.05
SILHOUETTE_WITHIN = 0.05


@dataclass
class Recording:
    """Runs an engine and keeps the frames it gave (the service only stores them)."""

    inner: Engine
    last: CustomerAnalysis | None = None

    @property
    def name(self) -> str:
        return self.inner.name

    def analyse_customers(
        self, source: Source, options: CustomerAnalysisOptions
    ) -> CustomerAnalysis:
        self.last = self.inner.analyse_customers(source, options)
        return self.last

    def training_examples(self, source: Source, options: ExampleOptions) -> pl.DataFrame:
        return self.inner.training_examples(source, options)

    def propensity_scores(
        self, source: Source, model: TabularModel, features: list[str], kind: str, top: int = 3
    ) -> pl.DataFrame:
        return self.inner.propensity_scores(source, model, features, kind, top)

    def close(self) -> None:
        """The test session's Spark session is shared: nothing to stop."""


@dataclass(frozen=True)
class Runs:
    local: CustomerAnalysis
    spark: CustomerAnalysis
    local_result: AnalysisResult
    spark_result: AnalysisResult
    export: ParquetExport


@pytest.fixture(scope="module")
def runs(spark: object, retail_store: SqlEngine, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """One analysis on each engine through the service: local on the store's frames, spark on
    the Parquet files ``crmind export parquet`` writes (one Spark run serves every test)."""
    export = export_parquet(retail_store, tmp_path_factory.mktemp("parquet"))
    local, remote = Recording(LocalEngine()), Recording(SparkEngine(session=spark))  # type: ignore[arg-type]
    local_result = run_analysis(retail_store, OPTIONS, compute=local)
    spark_options = replace(OPTIONS, engine="spark", parquet_dir=str(export.directory))
    spark_result = run_analysis(retail_store, spark_options, compute=remote)
    assert local.last is not None
    assert remote.last is not None
    return Runs(local.last, remote.last, local_result, spark_result, export)


def test_profiles_match_the_local_engine(runs: Runs) -> None:
    local, remote = runs.local, runs.spark
    assert local.profiles.height > 1300
    assert_frames_match(local.profiles, remote.profiles)


def test_profile_times_and_counts_are_bit_identical(
    runs: Runs,
) -> None:
    local, remote = runs.local, runs.spark
    exact = ["tenure_days", "recency_days", "interpurchase_mean_days", "last_gap_days"]
    assert local.profiles.select(exact).equals(remote.profiles.select(exact))


def test_rfm_scores_and_segments_are_identical(
    runs: Runs,
) -> None:
    local, remote = runs.local, runs.spark
    assert local.rfm.equals(remote.rfm)


def test_lifetime_value_is_identical(runs: Runs) -> None:
    local, remote = runs.local, runs.spark
    assert local.clv_fit == remote.clv_fit or (local.clv_fit.as_dict() == remote.clv_fit.as_dict())
    assert local.clv.equals(remote.clv)


def test_udf_scoring_gives_the_local_scores_for_the_same_fitted_model(
    spark: object, retail_tables: AnalysisTables
) -> None:
    lines = retail_tables.lines.filter(pl.col("customer_id").is_not_null())
    last = lines["occurred_at"].max()
    assert isinstance(last, datetime)
    summary = purchase_summary(lines, observation_end=last)
    expected, _ = score_customers(summary, n_draws=50, random_state=3)
    models, _ = fit_clv(summary, n_draws=50, random_state=3)
    scored = score_clv_on_spark(to_spark(spark, summary), models)  # type: ignore[arg-type]
    assert to_polars(scored.orderBy("customer_id")).equals(expected)


def segment_quality(profiles: pl.DataFrame, segments: pl.Series) -> tuple[float, float]:
    """Inertia and silhouette of a segmentation, on the features as the local segmenter
    prepares them (one yardstick for both engines)."""
    fitted = CustomerSegmenter(n_clusters=4).fit(profiles)
    matrix = fitted.scaler_.transform(feature_matrix(profiles, fitted.features, fitted.medians_))
    labels = segments.to_numpy()
    inertia = sum(
        float(((matrix[labels == label] - matrix[labels == label].mean(axis=0)) ** 2).sum())
        for label in np.unique(labels)
    )
    return inertia, float(silhouette_score(matrix, labels))


def test_kmeans_segments_are_as_good_as_scikit_learns_within_tolerance(
    runs: Runs,
) -> None:
    local, remote = runs.local, runs.spark
    assert remote.segments.n_clusters == local.segments.n_clusters == 4
    assert local.segments.assignments["customer_id"].equals(
        remote.segments.assignments["customer_id"]
    )
    assert remote.segments.description.columns == local.segments.description.columns
    inertia, silhouette = segment_quality(local.profiles, local.segments.assignments["segment"])
    spark_inertia, spark_silhouette = segment_quality(
        local.profiles, remote.segments.assignments["segment"]
    )
    assert spark_inertia <= inertia * (1 + INERTIA_WITHIN)
    assert spark_silhouette >= silhouette - SILHOUETTE_WITHIN


def stored(engine: SqlEngine, run_id: int) -> dict[str, pl.DataFrame]:
    """The scores, profiles and segment memberships a run stored, in a stable order."""
    scores = read_sql(
        engine,
        "SELECT customer_id, kind, value, low, high, label FROM customer_scores "
        f"WHERE model_run_id = {run_id} ORDER BY customer_id, kind",
    )
    profiles = read_sql(
        engine,
        "SELECT customer_id, order_count, frequency, distinct_products, country, as_of "
        f"FROM customer_profiles WHERE model_run_id = {run_id} ORDER BY customer_id",
    )
    members = read_sql(
        engine,
        "SELECT s.kind, s.key, s.name, m.customer_id FROM segment_members m JOIN segments s "
        f"ON s.id = m.segment_id WHERE s.model_run_id = {run_id} "
        "ORDER BY s.kind, s.key, m.customer_id",
    )
    return {"scores": scores, "profiles": profiles, "members": members}


def test_the_service_stores_the_same_rows_from_either_engine(
    runs: Runs, retail_store: SqlEngine
) -> None:
    assert runs.export.rows["order_lines"] > 79_000
    assert runs.spark_result.metrics["engine"] == "spark"
    assert runs.local_result.metrics["engine"] == "local"
    assert runs.spark_result.customers == runs.local_result.customers
    assert runs.spark_result.as_of == runs.local_result.as_of
    mine = stored(retail_store, runs.local_result.run_id)
    theirs = stored(retail_store, runs.spark_result.run_id)
    assert mine["profiles"].equals(theirs["profiles"])
    assert mine["members"].equals(theirs["members"])
    joined = mine["scores"].join(theirs["scores"], on=["customer_id", "kind"], suffix="_spark")
    assert joined.height == mine["scores"].height == theirs["scores"].height
    assert joined.filter(pl.col("label").ne_missing(pl.col("label_spark"))).is_empty()
    gap = (pl.col("value") - pl.col("value_spark")).abs() / (pl.col("value").abs() + 1.0)
    assert joined.select(gap.max()).item() <= FLOAT_TOLERANCE
    assert SparkSession.getActiveSession() is not None  # the engine left the shared session


def test_the_spark_engine_leaves_a_session_it_did_not_start_running(spark: object) -> None:
    engine = SparkEngine()
    assert engine.session is spark
    engine.close()
    assert SparkSession.getActiveSession() is spark
