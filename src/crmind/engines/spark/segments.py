"""Learned segments with MLlib's KMeans, prepared as :mod:`crmind.analytics.segments` prepares.

The features get the local engine's treatment, as DataFrame expressions: nulls and NaN become
the feature's exact median, rates are clipped to [0, 1], everything else is clipped at 0 and
log1p-transformed, then every feature is standardised with the population standard deviation (as
scikit-learn's StandardScaler). Without a fixed k, each k of the range is fitted on a sample of at
most ``sample_size`` customers and scored with MLlib's ClusteringEvaluator (silhouette with
squared Euclidean distances; scikit-learn's uses Euclidean ones, so the numbers differ from the
local engine's). The final fit keeps the best of ``n_init`` seeds (lowest training cost), as
scikit-learn's ``n_init``; while choosing k, one seed per k (each fit is many small Spark
jobs). Segments are numbered by value (0 = highest mean monetary_total) and described by
:func:`crmind.analytics.segment_names.describe_segments`, on the driver, from the collected
profiles.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import numpy.typing as npt
import polars as pl
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812

from crmind import columns as c
from crmind.analytics.profile import MONETARY_TOTAL
from crmind.analytics.segment_names import describe_segments
from crmind.analytics.segments import DEFAULT_FEATURES, MIN_CUSTOMERS
from crmind.engines.base import LearnedSegments
from crmind.engines.spark.frames import to_polars
from crmind.errors import ConfigurationError, ModelDataError

logger = logging.getLogger(__name__)

_RATE_SUFFIXES = ("_rate", "_share")
IntArray = npt.NDArray[np.int64]
_VECTOR = "_features"


def spark_segments(
    profiles: DataFrame,
    local_profiles: pl.DataFrame,
    *,
    n_clusters: int | None = None,
    k_range: tuple[int, int] = (2, 8),
    method: str = "kmeans",
    features: tuple[str, ...] = DEFAULT_FEATURES,
    random_state: int = 0,
    sample_size: int = 5000,
    n_init: int = 3,
    max_iter: int = 100,
) -> LearnedSegments:
    """Cluster the customers of ``profiles`` (``local_profiles`` is the same frame collected,
    sorted by customer_id, for the descriptions); see the module docstring."""
    if method != "kmeans":
        raise ConfigurationError(
            f"segment_method={method!r}: the spark engine learns segments with k-means only"
        )
    candidates = _candidate_ks(n_clusters, k_range)
    n = local_profiles.height
    needed = max(MIN_CUSTOMERS, 2 * max(candidates))
    if n < needed:
        raise ModelDataError(
            f"too few customers to segment: {n} profiles, need at least {needed} (10, and "
            f"twice the largest k tried, {max(candidates)})"
        )
    scaled = _scaled(profiles, features)
    vectors = (
        VectorAssembler(inputCols=list(features), outputCol=_VECTOR).transform(scaled).persist()
    )
    fraction = min(1.0, sample_size / n)
    sample = vectors.sample(withReplacement=False, fraction=fraction, seed=random_state)
    sample = sample.persist() if fraction < 1.0 else vectors
    evaluator = ClusteringEvaluator(featuresCol=_VECTOR, predictionCol="cluster")
    scores: dict[int, float] = {}
    if n_clusters is None:
        for k in candidates:
            model = _fit(sample, k, random_state, 1, max_iter)  # one seed per k to choose
            scores[k] = float(evaluator.evaluate(model.transform(sample)))
        chosen = max(candidates, key=lambda k: (scores[k], -k))
    else:
        chosen = n_clusters
    model = _fit(vectors, chosen, random_state, n_init, max_iter)
    if n_clusters is not None:
        scores[chosen] = float(evaluator.evaluate(model.transform(sample)))
    clustered = to_polars(
        model.transform(vectors).select(c.CUSTOMER_ID, "cluster", *features).orderBy(c.CUSTOMER_ID)
    )
    vectors.unpersist()
    if sample is not vectors:
        sample.unpersist()
    clusters = clustered["cluster"].cast(pl.Int64).to_numpy()
    mapping = _order_by_value(clusters, local_profiles[MONETARY_TOTAL], chosen)
    segments = mapping[clusters]
    described = clustered.select(*features)
    if MONETARY_TOTAL not in features:
        described = described.with_columns(_standardised_value(local_profiles))
    logger.info("spark k-means: %d customers into %d segments", n, chosen)
    return LearnedSegments(
        assignments=pl.DataFrame(
            {c.CUSTOMER_ID: clustered[c.CUSTOMER_ID], "segment": segments},
            schema={c.CUSTOMER_ID: pl.Int64, "segment": pl.Int64},
        ),
        description=describe_segments(local_profiles, segments, chosen, described),
        n_clusters=chosen,
        silhouette=scores,
        method="MLlib k-means (silhouette: squared Euclidean, on a sample)",
    )


def _candidate_ks(n_clusters: int | None, k_range: tuple[int, int]) -> list[int]:
    if n_clusters is not None:
        if n_clusters < 2:
            raise ConfigurationError(f"n_clusters={n_clusters}: expected at least 2")
        return [n_clusters]
    low, high = k_range
    if low < 2 or high < low:
        raise ConfigurationError(f"k_range={k_range}: expected (low, high) with 2 <= low <= high")
    return list(range(low, high + 1))


def _scaled(profiles: DataFrame, features: tuple[str, ...]) -> DataFrame:
    """customer_id and each feature filled, transformed and standardised."""
    clean = {name: F.nanvl(F.col(name).cast("double"), F.lit(None)) for name in features}
    medians_row = profiles.agg(
        *(F.percentile(clean[name], F.lit(0.5)).alias(name) for name in features)
    ).first()
    assert medians_row is not None
    ready: dict[str, Column] = {}
    for name in features:
        median = medians_row[name]
        if median is None:
            raise ModelDataError(f"profiles column {name} has no values (all null)")
        filled = F.coalesce(clean[name], F.lit(float(median)))
        if name.endswith(_RATE_SUFFIXES):
            ready[name] = F.least(F.greatest(filled, F.lit(0.0)), F.lit(1.0))
        else:
            ready[name] = F.log1p(F.greatest(filled, F.lit(0.0)))
    prepared = profiles.select(
        c.CUSTOMER_ID,
        *(column.alias(name) for name, column in ready.items()),
    )
    moments = prepared.agg(
        *(F.avg(name).alias(f"mean_{name}") for name in features),
        *(F.stddev_pop(name).alias(f"std_{name}") for name in features),
    ).first()
    assert moments is not None
    standardised = {}
    for name in features:
        spread = moments[f"std_{name}"] or 0.0
        scale = spread if spread > 0 else 1.0  # as StandardScaler: a constant feature stays 0
        standardised[name] = (F.col(name) - F.lit(moments[f"mean_{name}"])) / F.lit(scale)
    return prepared.select(
        c.CUSTOMER_ID, *(column.alias(name) for name, column in standardised.items())
    )


def _fit(vectors: DataFrame, k: int, seed: int, n_init: int, max_iter: int) -> KMeansModel:
    """The best (lowest training cost) of ``n_init`` k-means fits with different seeds."""
    best: KMeansModel | None = None
    best_cost = math.inf
    for attempt in range(n_init):
        model = KMeans(
            k=k,
            seed=seed + attempt,
            maxIter=max_iter,
            featuresCol=_VECTOR,
            predictionCol="cluster",
        ).fit(vectors)
        cost = float(model.summary.trainingCost)
        if cost < best_cost:
            best, best_cost = model, cost
    assert best is not None
    return best


def _order_by_value(clusters: IntArray, monetary: pl.Series, k: int) -> IntArray:
    """Model label -> segment id, 0 for the highest mean monetary_total (empty clusters last)."""
    values = monetary.cast(pl.Float64).fill_nan(None).fill_null(0.0).to_numpy()
    means = [
        float(values[clusters == label].mean()) if (clusters == label).any() else -math.inf
        for label in range(k)
    ]
    order = sorted(range(k), key=lambda label: (-means[label], label))
    mapping = np.empty(k, dtype=np.int64)
    mapping[order] = np.arange(k, dtype=np.int64)
    return mapping


def _standardised_value(profiles: pl.DataFrame) -> pl.Series:
    """monetary_total prepared and standardised as the local segmenter describes it, for the
    descriptions when it is not a clustering feature."""
    raw = profiles[MONETARY_TOTAL].cast(pl.Float64).fill_nan(None).to_numpy()
    known = raw[~np.isnan(raw)]
    median = float(np.median(known)) if len(known) else 0.0
    value = np.log1p(np.maximum(np.where(np.isnan(raw), median, raw), 0.0))
    spread = float(value.std()) or 1.0
    return pl.Series(MONETARY_TOTAL, (value - float(value.mean())) / spread, dtype=pl.Float64)
