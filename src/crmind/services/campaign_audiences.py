"""Use case: the frame an audience is chosen from, and a preview of an audience with counts.

One row per live customer (not merged away, not erased): the customer fields rules may name, the
latest analysis run's profile, segments and lifecycle stage, and the newest stored value of every
score kind the audience names.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, and_, func, select

from crmind import columns as c
from crmind.campaigns.audiences import (
    AudienceSelection,
    AudienceStep,
    score_column,
    select_audience,
)
from crmind.campaigns.spec import Audience
from crmind.services.analysis_store import latest_run
from crmind.services.consents import erased_customers
from crmind.store.schema import (
    Customer,
    CustomerProfile,
    CustomerScore,
    ModelRun,
    Segment,
    SegmentMember,
)

_CUSTOMER_FIELDS = ("country", "country_code", "city", "gender", "signed_up_at")
_PROFILE_FIELDS = (
    "recency_days",
    "tenure_days",
    "order_count",
    "monetary_total",
    "favourite_category",
)


def audience_frame(engine: Engine, score_kinds: list[str]) -> pl.DataFrame:
    """The customers an audience can be chosen from, with the columns its rules read."""
    with engine.connect() as conn:
        customers = conn.execute(
            select(Customer.id, *(getattr(Customer, name) for name in _CUSTOMER_FIELDS)).where(
                Customer.merged_into.is_(None)
            )
        ).all()
    frame = pl.DataFrame(
        customers,
        schema={c.CUSTOMER_ID: pl.Int64, **dict.fromkeys(_CUSTOMER_FIELDS, pl.String)},
        orient="row",
    ).with_columns(pl.col("signed_up_at").str.to_datetime(strict=False))
    erased = erased_customers(engine)
    if erased:
        frame = frame.filter(~pl.col(c.CUSTOMER_ID).is_in(pl.Series(sorted(erased)).implode()))
    frame = frame.join(_analysis_columns(engine), on=c.CUSTOMER_ID, how="left")
    for kind in score_kinds:
        frame = frame.join(_score(engine, kind), on=c.CUSTOMER_ID, how="left")
    return frame.with_columns(pl.col("segments").fill_null(pl.lit([], dtype=pl.List(pl.String))))


def _analysis_columns(engine: Engine) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {
        c.CUSTOMER_ID: pl.Int64(),
        "recency_days": pl.Float64(),
        "tenure_days": pl.Float64(),
        "order_count": pl.Int64(),
        "monetary_total": pl.Float64(),
        "favourite_category": pl.String(),
    }
    run = latest_run(engine, "analysis")
    if run is None:
        return pl.DataFrame(
            schema=schema
            | {"segments": pl.List(pl.String), "stage": pl.String, "rfm_segment": pl.String}
        )
    with engine.connect() as conn:
        profiles = conn.execute(
            select(
                CustomerProfile.customer_id,
                *(getattr(CustomerProfile, name) for name in _PROFILE_FIELDS),
            ).where(CustomerProfile.model_run_id == run.id)
        ).all()
        memberships = conn.execute(
            select(SegmentMember.customer_id, Segment.key, Segment.name)
            .join(Segment, Segment.id == SegmentMember.segment_id)
            .where(Segment.model_run_id == run.id)
        ).all()
        labels = conn.execute(
            select(CustomerScore.customer_id, CustomerScore.kind, CustomerScore.label).where(
                CustomerScore.model_run_id == run.id,
                CustomerScore.kind.in_(("lifecycle", "rfm")),
            )
        ).all()
    frame = pl.DataFrame(profiles, schema=schema, orient="row")
    names = (
        pl.DataFrame(
            [(customer, label) for customer, key, name in memberships for label in (key, name)],
            schema={c.CUSTOMER_ID: pl.Int64, "segment": pl.String},
            orient="row",
        )
        .group_by(c.CUSTOMER_ID)
        .agg(pl.col("segment").unique().alias("segments"))
    )
    stage = (
        pl.DataFrame(
            labels,
            schema={c.CUSTOMER_ID: pl.Int64, "kind": pl.String, "label": pl.String},
            orient="row",
        )
        .pivot("kind", index=c.CUSTOMER_ID, values="label")
        .rename({"lifecycle": "stage", "rfm": "rfm_segment"}, strict=False)
    )
    for name in ("stage", "rfm_segment"):
        if name not in stage.columns:
            stage = stage.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    return frame.join(names, on=c.CUSTOMER_ID, how="full", coalesce=True).join(
        stage, on=c.CUSTOMER_ID, how="full", coalesce=True
    )


def _score(engine: Engine, kind: str) -> pl.DataFrame:
    """The newest completed run's value of score ``kind`` per customer (empty if none)."""
    newest = (
        select(func.max(CustomerScore.model_run_id))
        .join(ModelRun, ModelRun.id == CustomerScore.model_run_id)
        .where(CustomerScore.kind == kind, ModelRun.status == "completed")
        .scalar_subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(CustomerScore.customer_id, CustomerScore.value).where(
                and_(CustomerScore.kind == kind, CustomerScore.model_run_id == newest)
            )
        ).all()
    return pl.DataFrame(
        rows, schema={c.CUSTOMER_ID: pl.Int64, score_column(kind): pl.Float64}, orient="row"
    )


def choose_audience(engine: Engine, audience: Audience) -> AudienceSelection:
    """The customers of ``audience`` now, with the count left after each rule."""
    kinds = sorted({rule.kind for rule in audience.scores})
    return select_audience(audience_frame(engine, kinds), audience)


@dataclass(frozen=True)
class AudiencePreview:
    steps: list[AudienceStep]
    consenting: int
    holdout: int
    treated: int
    sample_customer_ids: list[int]
