"""Learned customer segments (k-means or a Gaussian mixture on profile features) and value tiers.

:class:`CustomerSegmenter` clusters a profiles frame (one row per customer, see
``crmind.analytics.profile``):

1. each feature is made ready for distances: nulls and NaN become the feature's median (from the
   fitting data); rates (columns named ``*_rate`` or ``*_share``) are clipped to [0, 1] (a
   returns rate above 1 means "returned everything"), every other feature (counts, days, money)
   is clipped at 0 and log1p-transformed; then all are standardised;
2. without ``n_clusters``, every k of ``k_range`` is fitted on a deterministic sample of at most
   ``silhouette_sample_size`` customers and the k with the best silhouette score wins (ties: the
   smaller k); the final model is then fitted on every customer;
3. segments are numbered by value: segment 0 has the highest mean ``monetary_total``, so ids mean
   the same thing across refits; :meth:`CustomerSegmenter.describe` names and describes each one.

:func:`value_tiers` is the classic 80/20 view: rank customers by ``monetary_total``, the top 20 %
are "high", the next 30 % "medium", the rest "low"; :func:`tier_shares` shows how much of the
value each tier holds.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from crmind.analytics.profile import MONETARY_TOTAL
from crmind.analytics.segment_names import describe_segments
from crmind.columns import CUSTOMER_ID
from crmind.errors import ConfigurationError, ModelDataError
from crmind.estimator import Estimator

logger = logging.getLogger(__name__)

DEFAULT_FEATURES: tuple[str, ...] = (
    "recency_days",
    "order_count",
    MONETARY_TOTAL,
    "tenure_days",
    "distinct_products",
    "returns_rate",
)
METHODS = ("kmeans", "gmm")
MIN_CUSTOMERS = 10
VALUE_TIERS = ("high", "medium", "low")
ValueTier = pl.Enum(VALUE_TIERS)

_RATE_SUFFIXES = ("_rate", "_share")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class CustomerSegmenter(Estimator):
    """Cluster customers into segments ordered by value, each with a name and a description.

    Learned attributes: ``n_clusters_`` (the k used), ``silhouette_`` (k -> silhouette score on
    the sample, for every k tried; with a fixed ``n_clusters`` just that one), ``medians_``
    (feature -> fill value), ``scaler_``, ``model_`` (the fitted KMeans / GaussianMixture),
    ``cluster_to_segment_`` (model label -> segment id), ``segments_`` (see :meth:`describe`).
    """

    def __init__(
        self,
        *,
        n_clusters: int | None = None,
        k_range: tuple[int, int] = (2, 8),
        method: str = "kmeans",
        features: tuple[str, ...] = DEFAULT_FEATURES,
        random_state: int = 0,
        silhouette_sample_size: int = 5000,
    ) -> None:
        self.n_clusters = n_clusters
        self.k_range = k_range
        self.method = method
        self.features = features
        self.random_state = random_state
        self.silhouette_sample_size = silhouette_sample_size

    def fit(self, profiles: pl.DataFrame, y: object = None) -> Self:
        """Learn the segments of ``profiles`` (one row per customer); returns ``self``.

        Runs on one thread: on a few thousand customers, OpenMP / BLAS threads cost more than
        they give, and on a busy machine far more (16 s against 1.5 s measured on 2 cores).
        """
        with threadpool_limits(limits=1):
            return self._fit(profiles)

    def _fit(self, profiles: pl.DataFrame) -> Self:
        candidates = self._candidate_ks()
        _check_columns(profiles, (*self.features, MONETARY_TOTAL), "profiles")
        needed = max(MIN_CUSTOMERS, 2 * max(candidates))
        if self.silhouette_sample_size < needed:
            raise ConfigurationError(
                f"silhouette_sample_size={self.silhouette_sample_size}: expected at least {needed}"
            )
        if profiles.height < needed:
            raise ModelDataError(
                f"too few customers to segment: {profiles.height} profiles, need at least "
                f"{needed} (10, and twice the largest k tried, {max(candidates)})"
            )
        medians = _medians(profiles, self.features)
        matrix = _feature_matrix(profiles, self.features, medians)
        scaler = StandardScaler().fit(matrix)
        scaled: FloatArray = scaler.transform(matrix)
        sample = _sample_rows(profiles.height, self.silhouette_sample_size, self.random_state)
        scores: dict[int, float] = {}
        if self.n_clusters is None:
            for k in candidates:
                labels = self._new_model(k).fit(scaled[sample]).predict(scaled[sample])
                scores[k] = _silhouette(scaled[sample], labels, self.random_state)
            chosen = max(candidates, key=lambda k: (scores[k], -k))
        else:
            chosen = self.n_clusters
        model = self._new_model(chosen).fit(scaled)
        clusters = np.asarray(model.predict(scaled), dtype=np.int64)
        if self.n_clusters is not None:
            scores[chosen] = _silhouette(scaled[sample], clusters[sample], self.random_state)
        mapping = _order_by_value(clusters, profiles[MONETARY_TOTAL], chosen)
        segments = mapping[clusters]
        logger.info(
            "segmented %d customers into %d segments (%s, silhouette %.3f)",
            profiles.height,
            chosen,
            self.method,
            scores[chosen],
        )
        self.n_clusters_ = chosen
        self.silhouette_ = scores
        self.medians_ = medians
        self.scaler_ = scaler
        self.model_ = model
        self.cluster_to_segment_ = mapping
        self.segments_ = describe_segments(
            profiles, segments, chosen, self._described(profiles, scaled)
        )
        return self

    def predict(self, profiles: pl.DataFrame) -> pl.Series:
        """The segment id of each row of ``profiles`` (a ``segment`` Int64 series)."""
        self._check_fitted()
        _check_columns(profiles, self.features, "profiles")
        if profiles.height == 0:
            return pl.Series("segment", [], dtype=pl.Int64)
        scaled = self.scaler_.transform(_feature_matrix(profiles, self.features, self.medians_))
        with threadpool_limits(limits=1):
            clusters = np.asarray(self.model_.predict(scaled), dtype=np.int64)
        return pl.Series("segment", self.cluster_to_segment_[clusters], dtype=pl.Int64)

    def assign(self, profiles: pl.DataFrame) -> pl.DataFrame:
        """``customer_id``, ``segment`` and ``segment_name`` for each row of ``profiles``."""
        self._check_fitted()
        _check_columns(profiles, (CUSTOMER_ID,), "profiles", numeric=False)
        names = self.segments_.select("segment", pl.col("name").alias("segment_name"))
        return (
            profiles.select(CUSTOMER_ID)
            .with_columns(self.predict(profiles))
            .join(names, on="segment", how="left", maintain_order="left")
        )

    def describe(self) -> pl.DataFrame:
        """One row per segment, ordered by value (0 = highest mean ``monetary_total``).

        Columns: ``segment``, ``name`` (e.g. "High-value loyal"), ``description`` (what sets it
        apart, e.g. "high value, frequent, recent, mostly Germany"), ``size``, ``share`` (of
        customers), ``value_share`` (of the total ``monetary_total``), ``top_country``,
        ``top_country_share``, and ``median_<feature>`` for each feature and ``monetary_total``.
        """
        self._check_fitted()
        return self.segments_.clone()

    def _candidate_ks(self) -> list[int]:
        if self.method not in METHODS:
            raise ConfigurationError(
                f"method={self.method!r} is not a segmentation method; expected one of {METHODS}"
            )
        if self.n_clusters is not None:
            if self.n_clusters < 2:
                raise ConfigurationError(f"n_clusters={self.n_clusters}: expected at least 2")
            return [self.n_clusters]
        low, high = self.k_range
        if low < 2 or high < low:
            raise ConfigurationError(
                f"k_range={self.k_range}: expected (low, high) with 2 <= low <= high"
            )
        return list(range(low, high + 1))

    def _new_model(self, k: int) -> Any:
        if self.method == "gmm":
            return GaussianMixture(
                n_components=k, covariance_type="full", n_init=3, random_state=self.random_state
            )
        return KMeans(n_clusters=k, n_init=10, random_state=self.random_state)

    def _described(self, profiles: pl.DataFrame, scaled: FloatArray) -> pl.DataFrame:
        """Standardised values of the features and of ``monetary_total`` (for the words)."""
        columns = {name: scaled[:, index] for index, name in enumerate(self.features)}
        if MONETARY_TOTAL not in columns:
            value = _feature_matrix(
                profiles, (MONETARY_TOTAL,), _medians(profiles, (MONETARY_TOTAL,))
            )
            spread = float(value.std()) or 1.0
            columns[MONETARY_TOTAL] = (value[:, 0] - float(value.mean())) / spread
        return pl.DataFrame(columns)


def value_tiers(
    profiles: pl.DataFrame, *, top_share: float = 0.2, middle_share: float = 0.3
) -> pl.DataFrame:
    """Each customer's value tier: the top ``top_share`` by ``monetary_total`` are "high".

    The next ``middle_share`` are "medium", the rest "low"; ties are broken by ``customer_id``
    (lower first) and a missing ``monetary_total`` counts as 0. Columns: ``customer_id``,
    ``monetary_total``, ``value_rank`` (1 = most valuable) and ``value_tier`` (an Enum ordered
    high, medium, low). Tier sizes are ``round(share * customers)``.
    """
    if not 0 < top_share <= 1 or middle_share < 0 or top_share + middle_share > 1 + 1e-9:
        raise ConfigurationError(
            f"top_share={top_share}, middle_share={middle_share}: expected 0 < top_share, "
            "0 <= middle_share and top_share + middle_share <= 1"
        )
    _check_columns(profiles, (CUSTOMER_ID,), "profiles", numeric=False)
    _check_columns(profiles, (MONETARY_TOTAL,), "profiles")
    n_high = _round_half_up(top_share * profiles.height)
    n_top = min(_round_half_up((top_share + middle_share) * profiles.height), profiles.height)
    ranked = (
        profiles.select(
            CUSTOMER_ID, pl.col(MONETARY_TOTAL).cast(pl.Float64).fill_nan(None).fill_null(0.0)
        )
        .sort([MONETARY_TOTAL, CUSTOMER_ID], descending=[True, False], nulls_last=True)
        .with_row_index("value_rank", offset=1)
    )
    rank = pl.col("value_rank")
    return ranked.select(
        CUSTOMER_ID,
        MONETARY_TOTAL,
        rank.cast(pl.Int64),
        pl.when(rank <= n_high)
        .then(pl.lit("high"))
        .when(rank <= n_top)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
        .cast(ValueTier)
        .alias("value_tier"),
    )


def tier_shares(tiers: pl.DataFrame) -> pl.DataFrame:
    """Per tier of :func:`value_tiers`: customers, customer_share, monetary_total, value_share."""
    _check_columns(tiers, ("value_tier",), "tiers", numeric=False)
    _check_columns(tiers, (MONETARY_TOTAL,), "tiers")
    total = float(tiers[MONETARY_TOTAL].sum())
    every_tier = pl.DataFrame({"value_tier": list(VALUE_TIERS)}, schema={"value_tier": ValueTier})
    return (
        every_tier.join(
            tiers.group_by("value_tier").agg(
                pl.len().cast(pl.Int64).alias("customers"), pl.col(MONETARY_TOTAL).sum()
            ),
            on="value_tier",
            how="left",
        )
        .with_columns(pl.col("customers").fill_null(0), pl.col(MONETARY_TOTAL).fill_null(0.0))
        .select(
            "value_tier",
            "customers",
            (pl.col("customers") / max(tiers.height, 1)).alias("customer_share"),
            MONETARY_TOTAL,
            (pl.col(MONETARY_TOTAL) / total if total else pl.lit(None, dtype=pl.Float64)).alias(
                "value_share"
            ),
        )
        .sort("value_tier")
    )


def _check_columns(
    frame: pl.DataFrame, names: tuple[str, ...], what: str, *, numeric: bool = True
) -> None:
    """Raise ModelDataError naming any missing column (or, if ``numeric``, non-numeric one)."""
    missing = [name for name in dict.fromkeys(names) if name not in frame.columns]
    if missing:
        raise ModelDataError(
            f"{what} lack the column(s) {', '.join(missing)}; they have {', '.join(frame.columns)}"
        )
    if not numeric:
        return
    for name in names:
        dtype = frame.schema[name]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise ModelDataError(f"{what} column {name} is {dtype}, expected a number")


def _is_rate(name: str) -> bool:
    return name.endswith(_RATE_SUFFIXES)


def _medians(profiles: pl.DataFrame, features: tuple[str, ...]) -> dict[str, float]:
    medians: dict[str, float] = {}
    for name in features:
        values = profiles[name].cast(pl.Float64).fill_nan(None)
        if values.is_infinite().any():
            raise ModelDataError(f"profiles column {name} holds infinite values")
        median = values.median()
        if median is None:
            raise ModelDataError(f"profiles column {name} has no values (all null)")
        medians[name] = float(median)  # type: ignore[arg-type]
    return medians


def _feature_matrix(
    profiles: pl.DataFrame, features: tuple[str, ...], medians: dict[str, float]
) -> FloatArray:
    """Rows x features: nulls filled with the medians; rates clipped to [0, 1], the rest
    log1p(max(x, 0))."""
    columns: list[pl.Expr] = []
    for name in features:
        column = pl.col(name).cast(pl.Float64).fill_nan(None).fill_null(medians[name])
        ready = column.clip(0.0, 1.0) if _is_rate(name) else column.clip(lower_bound=0.0).log1p()
        columns.append(ready.alias(name))
    matrix = profiles.select(columns).to_numpy().astype(np.float64, copy=False)
    if not np.isfinite(matrix).all():
        bad = [
            name for index, name in enumerate(features) if not np.isfinite(matrix[:, index]).all()
        ]
        raise ModelDataError(f"profiles column(s) {', '.join(bad)} hold infinite values")
    return matrix


def _sample_rows(n_rows: int, size: int, random_state: int) -> IntArray:
    """A sorted, reproducible sample of at most ``size`` row positions."""
    if n_rows <= size:
        return np.arange(n_rows, dtype=np.int64)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n_rows, size=size, replace=False)).astype(np.int64)


def _silhouette(points: FloatArray, labels: IntArray, random_state: int) -> float:
    """The silhouette score, or -1 when the labels do not form at least two clusters."""
    distinct = len(np.unique(labels))
    if distinct < 2 or distinct >= len(labels):
        return -1.0
    return float(silhouette_score(points, labels, random_state=random_state))


def _order_by_value(clusters: IntArray, monetary: pl.Series, n_clusters: int) -> IntArray:
    """Model label -> segment id, 0 for the highest mean monetary_total (empty clusters last)."""
    values = monetary.cast(pl.Float64).fill_nan(None).fill_null(0.0).to_numpy()
    means = [
        float(values[clusters == label].mean()) if (clusters == label).any() else -math.inf
        for label in range(n_clusters)
    ]
    order = sorted(range(n_clusters), key=lambda label: (-means[label], label))
    mapping = np.empty(n_clusters, dtype=np.int64)
    mapping[order] = np.arange(n_clusters, dtype=np.int64)
    return mapping


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5 + 1e-9)
