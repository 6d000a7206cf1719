"""The local engine: the heavy steps in this process, with polars, scikit-learn and scipy.

This is the default and, on one machine, the faster engine (see docs/spark.md for the measured
crossover): it calls the analytics functions directly, exactly as the analysis pipeline always
has.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import polars as pl

from crmind import columns as c
from crmind.analytics.clv.scoring import score_customers
from crmind.analytics.clv.summary import purchase_summary
from crmind.analytics.profile import LINE_COLUMNS, build_profiles
from crmind.analytics.rfm import rfm_scores
from crmind.analytics.segments import CustomerSegmenter
from crmind.engines.base import (
    TABLES,
    AnalysisTables,
    CustomerAnalysis,
    CustomerAnalysisOptions,
    ExampleOptions,
    JdbcSource,
    LearnedSegments,
    ParquetSource,
    Source,
)
from crmind.engines.scoring import propensity_scores
from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.labels import scoring_features, training_examples
from crmind.predict.tabular import TabularModel


class LocalEngine:
    """Runs every step in-process (see the module docstring)."""

    name = "local"

    def analyse_customers(
        self, source: Source, options: CustomerAnalysisOptions
    ) -> CustomerAnalysis:
        """Profiles, RFM, learned segments and lifetime value of every customer of ``source``."""
        seconds: dict[str, float] = {}
        tables = read_tables(source)
        lines, events = tables.lines, tables.events
        with _timed(seconds, "profiles"):
            profiles = build_profiles(
                lines,
                products=tables.products,
                customers=tables.customers,
                events=events if events.height else None,
                as_of=options.as_of,
            )
        as_of: datetime = profiles["as_of"][0]
        with _timed(seconds, "RFM"):
            rfm = rfm_scores(profiles)
        with _timed(seconds, "learned segments"):
            segments = learned_segments(profiles, options)
        with _timed(seconds, "lifetime value"):
            summary = purchase_summary(
                lines.filter(
                    pl.col(c.CUSTOMER_ID).is_not_null() & (pl.col(c.OCCURRED_AT) <= as_of)
                ),
                observation_end=as_of,
            )
            clv, fit = score_customers(
                summary,
                horizon_months=options.horizon_months,
                discount_rate_monthly=options.discount_rate_monthly,
                n_draws=options.clv_draws,
                random_state=options.random_state,
            )
        first = lines[c.OCCURRED_AT].min()
        return CustomerAnalysis(
            profiles=profiles,
            rfm=rfm,
            segments=segments,
            clv=clv,
            clv_fit=fit,
            first_line_at=first if isinstance(first, datetime) else None,
            seconds=seconds,
        )

    def training_examples(self, source: Source, options: ExampleOptions) -> pl.DataFrame:
        """:func:`crmind.predict.labels.training_examples` of the source's frames."""
        tables = read_tables(source)
        return training_examples(
            tables.lines,
            n_cutoffs=options.n_cutoffs,
            spacing_days=options.spacing_days,
            window_days=options.window_days,
            target=options.target,  # type: ignore[arg-type]
            products=tables.products,
            customers=tables.customers,
        )

    def propensity_scores(
        self, source: Source, model: TabularModel, features: list[str], kind: str, top: int = 3
    ) -> pl.DataFrame:
        """Scores and reasons of every customer as of the last line."""
        tables = read_tables(source)
        now = scoring_features(tables.lines, products=tables.products, customers=tables.customers)
        return propensity_scores(model, now, features, kind, top)

    def close(self) -> None:
        """Nothing to free."""


def learned_segments(profiles: pl.DataFrame, options: CustomerAnalysisOptions) -> LearnedSegments:
    """Fit :class:`CustomerSegmenter` on ``profiles`` and assign every customer."""
    segmenter = CustomerSegmenter(
        n_clusters=options.n_segments,
        method=options.segment_method,
        random_state=options.random_state,
    ).fit(profiles)
    assignments = profiles.select(c.CUSTOMER_ID).with_columns(
        segmenter.predict(profiles).alias("segment")
    )
    return LearnedSegments(
        assignments=assignments,
        description=segmenter.describe(),
        n_clusters=segmenter.n_clusters_,
        silhouette=segmenter.silhouette_,
        method=f"scikit-learn {options.segment_method} (silhouette on a sample)",
    )


def read_tables(source: Source) -> AnalysisTables:
    """The frames of ``source`` in this process (Parquet files are read with polars; of the
    order lines, only the columns the heavy steps read: ``profile.LINE_COLUMNS``)."""
    if isinstance(source, AnalysisTables):
        return source
    if isinstance(source, ParquetSource):
        missing = source.missing()
        if missing:
            raise ModelDataError(
                f"{source.directory} lacks {', '.join(f'{n}.parquet' for n in missing)}; "
                "write them with `crmind export parquet`"
            )
        frames = {
            name: pl.read_parquet(source.path(name)) for name in TABLES if name != "order_lines"
        }
        frames["order_lines"] = pl.read_parquet(  # only the columns the steps read
            source.path("order_lines"), columns=list(LINE_COLUMNS)
        )
        return AnalysisTables(
            lines=frames["order_lines"],
            products=frames["products"],
            customers=frames["customers"],
            events=frames["events"],
        )
    if isinstance(source, JdbcSource):
        raise ConfigurationError(
            "the local engine reads the store directly, not over JDBC: use the spark engine "
            f"for {source.url!r}"
        )
    raise ConfigurationError(f"unknown data source {source!r}")  # pragma: no cover


@contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[step] = round(time.perf_counter() - started, 3)
