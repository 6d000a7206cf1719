"""The spark engine: the heavy analysis steps on Apache Spark (PySpark 4, local or a cluster).

What runs where (see docs/spark.md):

- on the executors: reading the tables (Parquet, JDBC, or frames handed over through Arrow),
  profiles and RFM (DataFrame aggregations and windows), the BTYD summary, k-means (MLlib), and
  scoring every customer's lifetime value (a pandas UDF with the fitted models broadcast);
- on the driver: fitting BG/NBD and Gamma-Gamma on the collected summary (four numbers a
  customer), naming the segments, and collecting the per-customer results as polars frames for
  the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import polars as pl
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812

from crmind import columns as c
from crmind.analytics.profile import LINE_COLUMNS, naive_utc
from crmind.engines.base import CustomerAnalysis, CustomerAnalysisOptions, ExampleOptions, Source
from crmind.engines.spark.churn import (
    collected_examples,
    score_propensity_on_spark,
    spark_cutoffs,
    spark_profile_features,
    spark_training_examples,
)
from crmind.engines.spark.clv import spark_clv, spark_purchase_summary
from crmind.engines.spark.frames import read_tables, to_polars
from crmind.engines.spark.profiles import spark_profiles
from crmind.engines.spark.rfm import spark_rfm
from crmind.engines.spark.segments import spark_segments
from crmind.engines.spark.session import build_session
from crmind.errors import ModelDataError
from crmind.predict.tabular import TabularModel

__all__ = ["SparkEngine", "build_session"]


class SparkEngine:
    """Runs the heavy steps on a Spark session (see the module docstring).

    The session starts on first use and :meth:`close` stops it, unless it was given as
    ``session`` or was already running in this process (then it is shared and left running).
    """

    name = "spark"

    def __init__(
        self,
        *,
        master: str = "local[2]",
        jars: str | None = None,
        conf: dict[str, str] | None = None,
        session: SparkSession | None = None,
    ) -> None:
        self.master = master
        self.jars = jars
        self.conf = conf
        self._session = session
        self._owns_session = session is None

    @property
    def session(self) -> SparkSession:
        """The Spark session (started on first use)."""
        if self._session is None:
            # a session this process already runs (a notebook's, a test's) is shared, not stopped
            self._owns_session = SparkSession.getActiveSession() is None
            self._session = build_session(self.master, jars=self.jars, conf=self.conf)
        return self._session

    def analyse_customers(
        self, source: Source, options: CustomerAnalysisOptions
    ) -> CustomerAnalysis:
        """Profiles, RFM, learned segments and lifetime value of every customer of ``source``."""
        seconds: dict[str, float] = {}
        persisted: list[DataFrame] = []
        try:
            with _timed(seconds, "reading the data"):
                tables = read_tables(self.session, source)
                lines = _needed_lines(tables["order_lines"]).persist()
                persisted.append(lines)
                first_line_at, as_of = _time_span(lines, options.as_of)
            with _timed(seconds, "profiles"):
                profiles = spark_profiles(
                    lines,
                    as_of=as_of,
                    products=tables["products"],
                    customers=tables["customers"],
                    events=tables["events"],
                ).persist()
                persisted.append(profiles)
                local_profiles = to_polars(profiles.orderBy(c.CUSTOMER_ID))
                if local_profiles.height == 0:
                    raise ModelDataError("no customer bought up to the observation date")
            with _timed(seconds, "RFM"):
                rfm = to_polars(spark_rfm(profiles).orderBy(c.CUSTOMER_ID))
            with _timed(seconds, "learned segments"):
                segments = spark_segments(
                    profiles,
                    local_profiles,
                    n_clusters=options.n_segments,
                    method=options.segment_method,
                    random_state=options.random_state,
                )
            with _timed(seconds, "lifetime value"):
                summary = spark_purchase_summary(
                    lines.filter(F.col(c.OCCURRED_AT) <= F.lit(as_of).cast("timestamp")), as_of
                ).persist()
                persisted.append(summary)
                scores, fit = spark_clv(
                    summary,
                    horizon_months=options.horizon_months,
                    discount_rate_monthly=options.discount_rate_monthly,
                    n_draws=options.clv_draws,
                    random_state=options.random_state,
                )
                clv = to_polars(scores.orderBy(c.CUSTOMER_ID))
        finally:
            for frame in persisted:
                frame.unpersist()
        return CustomerAnalysis(
            profiles=local_profiles,
            rfm=rfm,
            segments=segments,
            clv=clv,
            clv_fit=fit,
            first_line_at=first_line_at,
            seconds=seconds,
        )

    def training_examples(self, source: Source, options: ExampleOptions) -> pl.DataFrame:
        """Examples built on Spark (profiles per cut-off, window labels), collected."""
        tables = read_tables(self.session, source)
        lines = _needed_lines(tables["order_lines"]).persist()
        try:
            cutoffs = spark_cutoffs(
                lines,
                n_cutoffs=options.n_cutoffs,
                spacing_days=options.spacing_days,
                window_days=options.window_days,
            )
            examples = spark_training_examples(
                lines,
                cutoffs,
                window_days=options.window_days,
                target=options.target,
                products=tables["products"],
                customers=tables["customers"],
            )
            return collected_examples(examples)
        finally:
            lines.unpersist()

    def propensity_scores(
        self, source: Source, model: TabularModel, features: list[str], kind: str, top: int = 3
    ) -> pl.DataFrame:
        """Every customer's features as of the last line on Spark, scored in a pandas UDF with
        ``model`` broadcast; collected, sorted by customer."""
        tables = read_tables(self.session, source)
        lines = _needed_lines(tables["order_lines"]).persist()
        try:
            _, last = _time_span(lines, None)
            now = spark_profile_features(
                lines, last, products=tables["products"], customers=tables["customers"]
            )
            schema = _feature_types(features, now)
            scored = score_propensity_on_spark(now, model, features, schema, kind, top)
            return to_polars(scored.orderBy(c.CUSTOMER_ID))
        finally:
            lines.unpersist()

    def close(self) -> None:
        """Stop the session, if this engine started it."""
        if self._session is not None and self._owns_session:
            self._session.stop()
        self._session = None


def _needed_lines(lines: DataFrame) -> DataFrame:
    """Only the line columns the steps read: the cached copy of the lines is then about half
    the size (a third of the time at 40 million lines went into caching all 16 columns)."""
    return lines.select(*LINE_COLUMNS)


def _time_span(lines: DataFrame, as_of: datetime | None) -> tuple[datetime | None, datetime]:
    """The first line time and the observation date (default: the last line time)."""
    row: Any = lines.agg(F.min(c.OCCURRED_AT), F.max(c.OCCURRED_AT)).first()
    first, last = (row[0], row[1]) if row is not None else (None, None)
    if as_of is not None:
        return first, naive_utc(as_of)
    if last is None:
        raise ModelDataError("the order lines are empty: import orders first")
    return first, last


def _feature_types(features: list[str], frame: DataFrame) -> dict[str, pl.DataType]:
    """The polars types of the feature columns (those of the local engine's frames: the
    equivalence tests hold the schemas equal), restored on every batch of the scoring UDF."""
    empty = to_polars(frame.select(*features).limit(0))
    return dict(empty.schema)


@contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[step] = round(time.perf_counter() - started, 3)
