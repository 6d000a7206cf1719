"""Use case: analyse the customers in the store (``crmind analyze``).

One analysis run reads the order lines, builds a profile per customer as of an observation date,
scores RFM, learns segments, labels value tiers and lifecycle stages, fits BG/NBD + Gamma-Gamma for
lifetime value, and writes it all in one transaction, every row naming the run (``model_runs``).

The heavy steps (profiles, RFM, learned segments, lifetime value) run on the engine the options
name (:mod:`crmind.engines`): ``local`` in this process (the default), or ``spark``, which can
also read Parquet files or the database over JDBC. Both give frames of the same shape, written
here by the same code.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine

from crmind import columns as c
from crmind.analytics.lifecycle import LifecycleThresholds, lifecycle_stages
from crmind.analytics.rfm import RFM_SEGMENTS
from crmind.analytics.segments import tier_shares, value_tiers
from crmind.engines import (
    CustomerAnalysis,
    CustomerAnalysisOptions,
    LearnedSegments,
    Source,
    get_engine,
)
from crmind.engines import Engine as ComputeEngine
from crmind.services.analysis_store import (
    SegmentResult,
    explanation_json,
    finish_model_run,
    start_model_run,
    write_profiles,
    write_scores,
    write_segments,
)
from crmind.services.engine_data import analysis_source

logger = logging.getLogger(__name__)

StepCallback = Callable[[str], None]
"""Called with the name of each step as it starts."""

STEPS = (
    "reading the store",
    "profiles",
    "RFM",
    "lifecycle stages",
    "learned segments",
    "lifetime value",
    "writing results",
)


@dataclass(frozen=True)
class AnalysisOptions:
    """Knobs of an analysis run; the defaults come from the settings."""

    as_of: datetime | None = None
    n_segments: int | None = None
    segment_method: str = "kmeans"
    horizon_months: int = 12
    discount_rate_monthly: float = 0.01
    clv_draws: int = 200
    lifecycle: LifecycleThresholds = field(default_factory=LifecycleThresholds)
    random_state: int = 0
    engine: str = "local"  # where the heavy steps run: local | spark
    spark_master: str = "local[2]"
    spark_jars: str | None = None
    parquet_dir: str | None = None  # read these Parquet files instead of the store (spark)
    jdbc: bool = False  # spark executors read the store's database over JDBC


@dataclass(frozen=True)
class AnalysisResult:
    """What a run wrote, and the tables a person wants to see first."""

    run_id: int
    as_of: datetime
    customers: int
    segments: pl.DataFrame  # learned segments: segment, name, description, size, value_share
    rfm_segments: pl.DataFrame  # rfm_segment, customers, value_share
    top_clv: pl.DataFrame  # customer_id, clv, clv_low, clv_high, p_alive
    most_at_risk: pl.DataFrame  # customer_id, monetary_total, p_alive, clv, stage, lateness
    metrics: dict[str, Any]
    seconds: dict[str, float]


def run_analysis(
    engine: Engine,
    options: AnalysisOptions,
    progress: StepCallback | None = None,
    on_start: Callable[[int], None] | None = None,
    compute: ComputeEngine | None = None,
) -> AnalysisResult:
    """Analyse every customer with orders; see the module docstring. ``on_start`` is called
    with the run's id as soon as the run is recorded (the API answers with it). ``compute``: an
    engine to run the heavy steps on instead of the one ``options.engine`` names (e.g. a Spark
    engine on a session the caller keeps); the caller then closes it."""
    timer = _Timer(progress)
    timer.step("reading the store")
    source = analysis_source(engine, parquet_dir=options.parquet_dir, jdbc=options.jdbc)
    owned = compute is None
    if compute is None:
        compute = get_engine(
            options.engine, spark_master=options.spark_master, spark_jars=options.spark_jars
        )
    try:
        run_id = start_model_run(engine, "analysis", _params(options))
        if on_start is not None:
            on_start(run_id)
        try:
            result = _analyse(engine, run_id, compute, source, options, timer)
        except BaseException as exc:
            with engine.begin() as conn:
                finish_model_run(conn, run_id, "failed", error=repr(exc))
            raise
    finally:
        if owned:
            compute.close()
    return result


def _params(options: AnalysisOptions) -> dict[str, Any]:
    params = asdict(options)
    params["as_of"] = options.as_of.isoformat() if options.as_of else None
    return params


def _analyse(
    engine: Engine,
    run_id: int,
    compute: ComputeEngine,
    source: Source,
    options: AnalysisOptions,
    timer: _Timer,
) -> AnalysisResult:
    timer.step("profiles")
    heavy = compute.analyse_customers(source, _heavy_options(options))
    profiles, rfm, learned, clv = heavy.profiles, heavy.rfm, heavy.segments, heavy.clv
    as_of: datetime = profiles["as_of"][0]
    timer.step("lifecycle stages")
    stages = lifecycle_stages(profiles, thresholds=options.lifecycle)
    tiers = value_tiers(profiles)
    timer.step("writing results")
    segments = _segment_results(profiles, rfm, stages, learned, tiers)
    scores = _scores(rfm, stages, clv)
    metrics = {
        "customers": profiles.height,
        "engine": compute.name,
        "segments": {"k": learned.n_clusters, "silhouette": learned.silhouette},
        "clv": heavy.clv_fit.as_dict(),
        "value_tiers": tier_shares(tiers).to_dicts(),
    }
    window = (heavy.first_line_at, as_of)
    with engine.begin() as conn:
        write_profiles(conn, run_id, profiles)
        write_segments(conn, run_id, segments)
        write_scores(conn, run_id, scores)
        finish_model_run(
            conn,
            run_id,
            "completed",
            metrics=_jsonable(metrics),
            data_window=window,
        )
    timer.stop()
    return AnalysisResult(
        run_id=run_id,
        as_of=as_of,
        customers=profiles.height,
        segments=learned.description,
        rfm_segments=_rfm_table(profiles, rfm),
        top_clv=clv.sort("clv", descending=True).head(10),
        most_at_risk=_most_at_risk(profiles, stages, clv),
        metrics=metrics,
        seconds=_seconds(timer.seconds, heavy),
    )


def _heavy_options(options: AnalysisOptions) -> CustomerAnalysisOptions:
    return CustomerAnalysisOptions(
        as_of=options.as_of,
        n_segments=options.n_segments,
        segment_method=options.segment_method,
        horizon_months=options.horizon_months,
        discount_rate_monthly=options.discount_rate_monthly,
        clv_draws=options.clv_draws,
        random_state=options.random_state,
    )


def _seconds(steps: dict[str, float], heavy: CustomerAnalysis) -> dict[str, float]:
    """Wall time per step: the engine's own steps in place of the one call that ran them."""
    seconds = {name: value for name, value in steps.items() if name != "profiles"}
    return {**seconds, **heavy.seconds}


def _segment_results(
    profiles: pl.DataFrame,
    rfm: pl.DataFrame,
    stages: pl.DataFrame,
    learned: LearnedSegments,
    tiers: pl.DataFrame,
) -> list[SegmentResult]:
    value = profiles.select(c.CUSTOMER_ID, "monetary_total")
    total = float(value["monetary_total"].clip(lower_bound=0).sum()) or 1.0

    def share(members: pl.Series) -> float:
        mine = value.filter(pl.col(c.CUSTOMER_ID).is_in(members.implode()))
        return float(mine["monetary_total"].clip(lower_bound=0).sum()) / total

    results: list[SegmentResult] = []
    rules = {rule.name: rule for rule in RFM_SEGMENTS}
    for name, members in _groups(rfm, "rfm_segment"):
        rule = rules[str(name)]
        results.append(
            SegmentResult(
                kind="rfm",
                key=str(name),
                name=str(name),
                members=members,
                description=rule.description,
                value_share=share(members),
                definition={"rule": rule.rule, "action": rule.action},
            )
        )
    described = {row["segment"]: row for row in learned.description.to_dicts()}
    for key, members in _groups(learned.assignments, "segment"):
        row = described[int(key)]
        results.append(
            SegmentResult(
                kind="learned",
                key=str(key),
                name=str(row["name"]),
                members=members,
                description=str(row["description"]),
                value_share=float(row["value_share"]),
                definition=_jsonable({k: v for k, v in row.items() if k.startswith("median_")}),
            )
        )
    for key, members in _groups(tiers, "value_tier"):
        results.append(
            SegmentResult("value_tier", str(key), f"{key} value", members, None, share(members))
        )
    for key, members in _groups(stages, "lifecycle_stage"):
        results.append(
            SegmentResult(
                "lifecycle", str(key), str(key).replace("_", " "), members, None, share(members)
            )
        )
    return results


def _groups(frame: pl.DataFrame, column: str) -> list[tuple[Any, pl.Series]]:
    grouped = frame.group_by(column).agg(pl.col(c.CUSTOMER_ID)).sort(column)
    return [(key, pl.Series(ids)) for key, ids in grouped.iter_rows()]


def _scores(rfm: pl.DataFrame, stages: pl.DataFrame, clv: pl.DataFrame) -> pl.DataFrame:
    parts = [
        clv.select(
            c.CUSTOMER_ID,
            pl.lit("clv").alias("kind"),
            pl.col("clv").alias("value"),
            pl.col("clv_low").alias("low"),
            pl.col("clv_high").alias("high"),
        ),
        clv.select(
            c.CUSTOMER_ID, pl.lit("p_alive").alias("kind"), pl.col("p_alive").alias("value")
        ),
        clv.select(
            c.CUSTOMER_ID,
            pl.lit("expected_purchases").alias("kind"),
            pl.col("expected_purchases").alias("value"),
        ),
        clv.select(
            c.CUSTOMER_ID,
            pl.lit("expected_spend").alias("kind"),
            pl.col("expected_spend").alias("value"),
        ),
        rfm.select(
            c.CUSTOMER_ID,
            pl.lit("rfm").alias("kind"),
            (pl.col("r_score") * 100 + pl.col("f_score") * 10 + pl.col("m_score"))
            .cast(pl.Float64)
            .alias("value"),
            pl.col("rfm_segment").alias("label"),
        ),
        stages.select(
            c.CUSTOMER_ID,
            pl.lit("lifecycle").alias("kind"),
            pl.col("recency_ratio").alias("value"),
            pl.col("lifecycle_stage").cast(pl.String).alias("label"),
            pl.struct("expected_gap_days", "recency_days")
            .struct.json_encode()
            .alias("explanation"),
        ),
    ]
    return pl.concat(parts, how="diagonal_relaxed")


def _rfm_table(profiles: pl.DataFrame, rfm: pl.DataFrame) -> pl.DataFrame:
    joined = rfm.join(profiles.select(c.CUSTOMER_ID, "monetary_total"), on=c.CUSTOMER_ID)
    total = float(joined["monetary_total"].clip(lower_bound=0).sum()) or 1.0
    return (
        joined.group_by("rfm_segment")
        .agg(
            pl.len().alias("customers"),
            (pl.col("monetary_total").clip(lower_bound=0).sum() / total).alias("value_share"),
        )
        .sort("customers", descending=True)
    )


def _most_at_risk(
    profiles: pl.DataFrame, stages: pl.DataFrame, clv: pl.DataFrame, top: int = 10
) -> pl.DataFrame:
    """The most valuable customers who are at risk or lapsed (buying late against their own
    rhythm) but not yet churned: past value, P(alive) and how late they are."""
    return (
        profiles.select(c.CUSTOMER_ID, "monetary_total")
        .join(clv.select(c.CUSTOMER_ID, "p_alive", "clv"), on=c.CUSTOMER_ID)
        .join(stages.select(c.CUSTOMER_ID, "lifecycle_stage", "recency_ratio"), on=c.CUSTOMER_ID)
        .filter(pl.col("lifecycle_stage").cast(pl.String).is_in(["at_risk", "lapsed"]))
        .sort("monetary_total", "customer_id", descending=[True, False])
        .head(top)
    )


def _jsonable(value: Any) -> Any:
    """``value`` with numpy and polars scalars turned into plain Python for JSON columns."""
    return json.loads(explanation_json(value))


class _Timer:
    def __init__(self, progress: StepCallback | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self._current: str | None = None
        self._started = 0.0

    def step(self, name: str) -> None:
        self.stop()
        self._current, self._started = name, time.perf_counter()
        logger.info("analysis: %s", name)
        if self.progress is not None:
            self.progress(name)

    def stop(self) -> None:
        if self._current is not None:
            self.seconds[self._current] = round(time.perf_counter() - self._started, 3)
            self._current = None
