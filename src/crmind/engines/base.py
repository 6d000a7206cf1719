"""The seam between the analysis use case and where its heavy steps run.

An :class:`Engine` takes the store's data (as frames, or where a cluster can read it: Parquet
files or a JDBC URL) and gives back the per-customer results of the heavy steps as polars frames
of exactly the shape the local, in-process code produces, so the service layer writes them with
the same code whatever ran them. Engines never import the store: the service reads or names the
data and hands it over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

import polars as pl

from crmind.analytics.clv.scoring import ClvFit

if TYPE_CHECKING:
    from crmind.predict.tabular import TabularModel

TABLES: Final = ("order_lines", "products", "customers", "events")
"""The tables an analysis reads, by the names Parquet exports and JDBC queries use."""


@dataclass(frozen=True)
class AnalysisTables:
    """The store's data as polars frames (what :mod:`crmind.store.frames` reads).

    ``lines``: the ``order_lines`` frame (one row per order line with its order's customer, time,
    return flag, channel and country); ``products``: product_id, category; ``customers``:
    customer_id, country; ``events``: customer_id, event_type, occurred_at.
    """

    lines: pl.DataFrame
    products: pl.DataFrame
    customers: pl.DataFrame
    events: pl.DataFrame


@dataclass(frozen=True)
class ParquetSource:
    """A directory with one Parquet file (or directory of files) per table of :data:`TABLES`,
    as ``crmind export parquet`` writes it: ``<directory>/<table>.parquet``. The directory is a
    local path or, for Spark, any URL its file systems read (``hdfs://``, ``s3a://``, ...)."""

    directory: str | Path

    def path(self, table: str) -> str:
        """Where ``table`` lives."""
        return f"{str(self.directory).rstrip('/')}/{table}.parquet"

    def missing(self) -> list[str]:
        """The tables whose files are not there (checked for local directories only)."""
        if "://" in str(self.directory):
            return []
        return [name for name in TABLES if not Path(self.path(name)).exists()]


@dataclass(frozen=True)
class JdbcSource:
    """The store's database read over JDBC by Spark executors (cluster use).

    ``queries`` maps each table of :data:`TABLES` to the SELECT that gives its frame (the service
    passes the same SQL the local reader runs); ``properties`` are JDBC connection properties
    (user, password, driver). The JDBC driver jar must be on the cluster's class path.
    """

    url: str
    queries: dict[str, str]
    properties: dict[str, str] = field(default_factory=dict)


Source = AnalysisTables | ParquetSource | JdbcSource


@dataclass(frozen=True)
class CustomerAnalysisOptions:
    """The knobs of the heavy steps (a subset of the service's analysis options)."""

    as_of: datetime | None = None
    n_segments: int | None = None
    segment_method: str = "kmeans"
    horizon_months: int = 12
    discount_rate_monthly: float = 0.01
    clv_draws: int = 200
    random_state: int = 0


@dataclass(frozen=True)
class ExampleOptions:
    """How training examples are cut (as :func:`crmind.predict.labels.training_examples`)."""

    target: str = "churn"
    n_cutoffs: int = 3
    spacing_days: int = 30
    window_days: int = 90


@dataclass(frozen=True)
class LearnedSegments:
    """Learned segments: each customer's segment and a description of every segment.

    ``assignments``: customer_id, segment (Int64; 0 = highest mean monetary_total), in the order
    of the profiles; ``description``: the frame of
    :meth:`crmind.analytics.segments.CustomerSegmenter.describe`; ``silhouette``: k -> score of
    every k tried (how it is measured depends on the engine; see ``method``).
    """

    assignments: pl.DataFrame
    description: pl.DataFrame
    n_clusters: int
    silhouette: dict[int, float]
    method: str


@dataclass(frozen=True)
class CustomerAnalysis:
    """What the heavy steps of one analysis produce, every frame one row per customer.

    ``profiles``: :func:`crmind.analytics.profile.build_profiles`; ``rfm``:
    :func:`crmind.analytics.rfm.rfm_scores`; ``clv``:
    :func:`crmind.analytics.clv.scoring.score_customers` (its first element) with ``clv_fit`` its
    second; ``first_line_at``: the earliest line time (the run's data window starts there);
    ``seconds``: wall time of each step.
    """

    profiles: pl.DataFrame
    rfm: pl.DataFrame
    segments: LearnedSegments
    clv: pl.DataFrame
    clv_fit: ClvFit
    first_line_at: datetime | None
    seconds: dict[str, float] = field(default_factory=dict)


class Engine(Protocol):
    """Runs the heavy steps of an analysis; see the module docstring."""

    @property
    def name(self) -> str:
        """``local`` or ``spark``: recorded with the run's metrics."""
        ...

    def analyse_customers(
        self, source: Source, options: CustomerAnalysisOptions
    ) -> CustomerAnalysis:
        """Profiles, RFM, learned segments and lifetime value of every customer of ``source``."""
        ...

    def training_examples(self, source: Source, options: ExampleOptions) -> pl.DataFrame:
        """Churn / purchase / spend examples: :func:`crmind.predict.labels.training_examples`."""
        ...

    def propensity_scores(
        self, source: Source, model: TabularModel, features: list[str], kind: str, top: int = 3
    ) -> pl.DataFrame:
        """Every customer's churn or purchase score as of the last line, with its reasons:
        :func:`crmind.engines.scoring.propensity_scores` of the scoring features."""
        ...

    def close(self) -> None:
        """Free what the engine holds (a Spark session); the engine is unusable afterwards."""
        ...
