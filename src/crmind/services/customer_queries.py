"""The statements of the 360° view, built once at import, each taking the customer's id and the
run ids as bound parameters. :mod:`crmind.services.customers` runs them as
:class:`~crmind.store.prepared.Prepared` statements; other services may run them as usual."""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, BindParameter, and_, bindparam, func, select

from crmind.services.live_state import LIVE_FIELDS
from crmind.store.schema import (
    Customer,
    CustomerIdentity,
    CustomerProfile,
    CustomerScore,
    Feedback,
    FeedbackAnalysis,
    ModelRun,
    Order,
    OrderLine,
    Product,
    Recommendation,
    Segment,
    SegmentMember,
    table_of,
)
from crmind.store.schema_live import CustomerLiveState

PREDICTION_RUNS: Final = ("churn_model", "purchase_model", "spend_model")
"""Kinds of model run whose newest completed scores join the analysis scores in the view."""
RECOMMENDATION_RUN: Final = "recommendations"
FEEDBACK_SHOWN: Final = 10

_customer: BindParameter[int] = bindparam("customer_id", type_=BigInteger)
_run: BindParameter[int] = bindparam("run_id", type_=BigInteger)

CUSTOMER = select(table_of(Customer)).where(Customer.id == _customer)

LATEST_RUNS = (
    select(ModelRun.kind, func.max(ModelRun.id))
    .where(
        ModelRun.status == "completed",
        ModelRun.kind.in_(("analysis", RECOMMENDATION_RUN, *PREDICTION_RUNS)),
    )
    .group_by(ModelRun.kind)
)
"""The newest completed run of each kind the view shows."""

IDENTITIES = select(
    CustomerIdentity.kind,
    CustomerIdentity.source,
    CustomerIdentity.value,
    CustomerIdentity.encrypted_value,
).where(CustomerIdentity.customer_id == _customer)

ORDERS = (
    select(
        Order.order_number,
        Order.occurred_at,
        Order.is_return,
        func.count(OrderLine.id),
        func.sum(OrderLine.amount),
    )
    .join(OrderLine, OrderLine.order_id == Order.id)
    .where(Order.customer_id == _customer)
    .group_by(Order.id)
    .order_by(Order.occurred_at.desc())
)

_PROFILE_COLUMNS = [
    column
    for column in table_of(CustomerProfile).columns
    if column.name not in ("id", "model_run_id", "customer_id")
]
PROFILE = select(*_PROFILE_COLUMNS).where(
    CustomerProfile.model_run_id == _run, CustomerProfile.customer_id == _customer
)

SEGMENTS = (
    select(Segment.kind, Segment.name)
    .join(SegmentMember, SegmentMember.segment_id == Segment.id)
    .where(Segment.model_run_id == _run, SegmentMember.customer_id == _customer)
)

SCORE_RUN_SLOTS: Final = ("analysis", *PREDICTION_RUNS)
"""The runs whose scores the view shows, one bound parameter each (``score_run_0`` ...): a run
kind with no completed run is bound to 0, which no run has."""
SCORES = (
    select(
        CustomerScore.kind,
        CustomerScore.value,
        CustomerScore.low,
        CustomerScore.high,
        CustomerScore.label,
        CustomerScore.explanation,
    )
    .where(
        CustomerScore.customer_id == _customer,
        CustomerScore.model_run_id.in_(
            [
                bindparam(f"score_run_{index}", type_=BigInteger)
                for index in range(len(SCORE_RUN_SLOTS))
            ]
        ),
    )
    .order_by(CustomerScore.model_run_id)
)

RECOMMENDATIONS = (
    select(
        Recommendation.rank,
        Recommendation.product_id,
        Product.name,
        Product.description,
        Recommendation.score,
        Recommendation.reason,
    )
    .join(Product, Product.id == Recommendation.product_id)
    .where(Recommendation.model_run_id == _run, Recommendation.customer_id == _customer)
    .order_by(Recommendation.rank)
)

_newest_analysis = (
    select(func.max(FeedbackAnalysis.id))
    .where(FeedbackAnalysis.feedback_id == Feedback.id)
    .correlate(Feedback)
    .scalar_subquery()
)
FEEDBACK = (
    select(
        Feedback.id,
        Feedback.occurred_at,
        Feedback.rating,
        Feedback.text,
        FeedbackAnalysis.language,
        FeedbackAnalysis.label,
        FeedbackAnalysis.score,
        FeedbackAnalysis.drivers,
        FeedbackAnalysis.aspects,
        FeedbackAnalysis.alert,
    )
    .outerjoin(
        FeedbackAnalysis,
        and_(FeedbackAnalysis.feedback_id == Feedback.id, FeedbackAnalysis.id == _newest_analysis),
    )
    .where(Feedback.customer_id == _customer)
    .order_by(Feedback.occurred_at.desc(), Feedback.id.desc())
    .limit(bindparam("limit"))
)
"""A customer's latest feedback, each with its newest analysis (None where not analysed)."""

_live = table_of(CustomerLiveState)
LIVE_STATE = select(*(_live.c[name] for name in LIVE_FIELDS)).where(
    _live.c.customer_id == _customer
)
