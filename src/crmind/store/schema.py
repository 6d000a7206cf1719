"""Tables of the store (DESIGN.md section 6), as SQLAlchemy 2 declarative classes.

Conventions:
- Timestamps are naive UTC (``DateTime`` without zone), so SQLite and PostgreSQL store the same.
- Quantities and money are double precision: analytics read them as floats; reports round.
- Every imported row carries its natural key (``source`` + the key it had in that source) under a
  unique constraint: importing the same data again inserts nothing.
- ``import_run_id`` names the import that first wrote a row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crmind.store.base import Base as Base
from crmind.store.base import Id, JsonType
from crmind.store.base import now as _now


class ImportRun(Base):
    """One import of one file: what was read, stored and rejected, and how far it got."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    file_size: Mapped[int] = mapped_column(BigInteger)
    file_format: Mapped[str] = mapped_column(String(20))
    options: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    options_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="running")
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_new: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_existing: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_committed: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
    report_path: Mapped[str | None] = mapped_column(Text)


class ImportReject(Base):
    """A row an import could not store, with every reason and the raw record."""

    __tablename__ = "import_rejects"
    __table_args__ = (UniqueConstraint("import_run_id", "row"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    row: Mapped[int] = mapped_column(BigInteger)
    field: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)


class ImportJobRecord(Base):
    """An upload the dashboard imports in the background, kept in the store so that every
    serving process can report on it (:mod:`crmind.services.dashboard_imports`)."""

    __tablename__ = "import_jobs"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(Text)  # as the sender named it
    path: Mapped[str] = mapped_column(Text)  # where the upload was saved (its run records it)
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    beat_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    error: Mapped[str | None] = mapped_column(Text)


class Customer(Base):
    """A unified customer. ``merged_into`` points at the survivor when identities are merged.

    ``name``, ``first_name``, ``last_name``, ``email``, ``phone`` and ``address`` are stored
    encrypted (:mod:`crmind.privacy.crypto`, values ``enc1:...``); ``email_hash`` and
    ``phone_hash`` are their keyed search hashes, and the words of the names are in
    ``customer_search_tokens``.
    """

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    first_name: Mapped[str | None] = mapped_column(Text)
    last_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    country: Mapped[str | None] = mapped_column(Text)
    country_code: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(20))
    signed_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())


class CustomerIdentity(Base):
    """A key under which a customer is known: a source's own id, an e-mail or a phone number.

    ``kind`` is ``source_key`` (``source`` names the system), ``email`` or ``phone`` (``source``
    is empty: an address identifies the same person whichever system saw it). For ``email`` and
    ``phone`` the value is the keyed search hash of the address, never the address itself; the
    address is kept encrypted in ``encrypted_value`` (to show and export it).
    """

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "source", "value"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(320))
    encrypted_value: Mapped[str | None] = mapped_column(Text)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())


class CustomerSearchToken(Base):
    """The keyed hash of one word of a customer's names, so names are found without being
    stored in plain text (words are lower-cased; see :mod:`crmind.privacy.customer_fields`)."""

    __tablename__ = "customer_search_tokens"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class IdentityMerge(Base):
    """One customer merged into another: the audit record, and what undoing it needs.

    ``moved`` maps each re-pointed table to the ids of the rows that moved from ``merged_id`` to
    ``survivor_id``, so an undo moves back exactly those rows and no others (rows that reached
    the survivor later stay with it). ``previous_merged_into`` is the merged customer's
    ``merged_into`` before the merge. An undone merge keeps its row, with ``undone_at`` set.
    """

    __tablename__ = "identity_merges"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    probability: Mapped[float | None] = mapped_column(Double)
    reason: Mapped[str | None] = mapped_column(Text)
    moved: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    previous_merged_into: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)


class IdentityExclusion(Base):
    """Two customers a person said are not the same: they are never merged.

    The pair is stored once, with ``customer_a < customer_b``.
    """

    __tablename__ = "identity_exclusions"
    __table_args__ = (
        UniqueConstraint("customer_a", "customer_b"),
        CheckConstraint("customer_a < customer_b", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_a: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    customer_b: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("source", "sku"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(Text)
    price: Mapped[float | None] = mapped_column(Double)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())


class Order(Base):
    """An order (``is_return`` false) or a return / cancellation (true)."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("source", "order_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    order_number: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    is_return: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str | None] = mapped_column(String(50))
    country: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str | None] = mapped_column(String(50))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))


class OrderLine(Base):
    """One line of an order; a negative quantity is a return. ``amount`` = quantity x unit price."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_number: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[float] = mapped_column(Double)
    unit_price: Mapped[float | None] = mapped_column(Double)
    amount: Mapped[float] = mapped_column(Double)
    is_outlier: Mapped[bool] = mapped_column(Boolean, default=False)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))


class Event(Base):
    """A behaviour event (page view, cart add, e-mail open, ...)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source", "event_key"),
        Index("ix_events_customer_id_occurred_at", "customer_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    event_key: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str | None] = mapped_column(String(50))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    properties: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))


class Feedback(Base):
    """A review, survey answer or other free text from a customer."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("source", "feedback_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    feedback_key: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[float | None] = mapped_column(Double)
    language: Mapped[str | None] = mapped_column(String(10))
    channel: Mapped[str | None] = mapped_column(String(50))
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))


class ModelRun(Base):
    """One run of a model or of the analysis pipeline: its parameters, data window and metrics.

    Every stored profile, segment and score names the run that made it. ``retrain_reason``
    is set when the data the run learned from changed in a way its model must not keep (an
    erasure: ``"erasure <id>"``); such a run's model should be trained again.
    """

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    data_start: Mapped[datetime | None] = mapped_column(DateTime)
    data_end: Mapped[datetime | None] = mapped_column(DateTime)
    metrics: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
    retrain_reason: Mapped[str | None] = mapped_column(Text)
    retrain_requested_at: Mapped[datetime | None] = mapped_column(DateTime)


class CustomerProfile(Base):
    """A customer's features as of a date (one row per customer and run)."""

    __tablename__ = "customer_profiles"
    __table_args__ = (UniqueConstraint("model_run_id", "customer_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    model_run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    as_of: Mapped[datetime] = mapped_column(DateTime)
    first_order_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_order_at: Mapped[datetime | None] = mapped_column(DateTime)
    tenure_days: Mapped[float | None] = mapped_column(Double)
    recency_days: Mapped[float | None] = mapped_column(Double)
    order_count: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[int | None] = mapped_column(Integer)
    monetary_total: Mapped[float | None] = mapped_column(Double)
    monetary_mean: Mapped[float | None] = mapped_column(Double)
    distinct_products: Mapped[int | None] = mapped_column(Integer)
    distinct_categories: Mapped[int | None] = mapped_column(Integer)
    favourite_category: Mapped[str | None] = mapped_column(Text)
    interpurchase_mean_days: Mapped[float | None] = mapped_column(Double)
    interpurchase_cv: Mapped[float | None] = mapped_column(Double)
    returns_rate: Mapped[float | None] = mapped_column(Double)
    return_orders: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(Text)
    channel_mix: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    event_counts: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class Segment(Base):
    """A segment of one kind (rfm, learned, value_tier, lifecycle) made by one run."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("model_run_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    model_run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer, default=0)
    value_share: Mapped[float | None] = mapped_column(Double)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class SegmentMember(Base):
    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id"), primary_key=True, index=True
    )


class CustomerScore(Base):
    """A score of a customer (clv, p_alive, ...), with its interval, label and explanation."""

    __tablename__ = "customer_scores"
    __table_args__ = (
        UniqueConstraint("model_run_id", "customer_id", "kind"),
        Index("ix_customer_scores_customer_id_kind", "customer_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    model_run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(50))
    value: Mapped[float | None] = mapped_column(Double)
    low: Mapped[float | None] = mapped_column(Double)
    high: Mapped[float | None] = mapped_column(Double)
    label: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class Recommendation(Base):
    """A product recommended to a customer by a model run, with its rank, score and reason."""

    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("model_run_id", "customer_id", "rank"),
        Index("ix_recommendations_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    model_run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Double)
    reason: Mapped[str | None] = mapped_column(Text)


class FeedbackAnalysis(Base):
    """What a text-analysis run read in one feedback text: language, sentiment with the words
    that drove it, aspect sentiment, and the alert it raised, if any."""

    __tablename__ = "feedback_analyses"
    __table_args__ = (
        UniqueConstraint("model_run_id", "feedback_id"),
        Index("ix_feedback_analyses_feedback_id", "feedback_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    model_run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"))
    language: Mapped[str] = mapped_column(String(10))
    mixed_language: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(String(10))
    score: Mapped[float] = mapped_column(Double)
    drivers: Mapped[list[Any] | None] = mapped_column(JsonType)
    aspects: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    alert: Mapped[str | None] = mapped_column(Text)


class FeedbackTopic(Base):
    """A topic a text-analysis run found in the body of feedback, with its keywords."""

    __tablename__ = "feedback_topics"
    __table_args__ = (UniqueConstraint("model_run_id", "language", "topic"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    model_run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(10))
    topic: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(JsonType)
    size: Mapped[int] = mapped_column(Integer, default=0)


class FeedbackTopicMember(Base):
    """A feedback text's main topic (the topic's row) and how strongly it belongs."""

    __tablename__ = "feedback_topic_members"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_topics.id", ondelete="CASCADE"), primary_key=True
    )
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id"), primary_key=True, index=True
    )
    weight: Mapped[float] = mapped_column(Double)


class Conversation(Base):
    """A service conversation; a ticket is a conversation with status ``open``. ``origin`` says
    what opened it (``feedback_alert``, ``assistant``, ...); ``feedback_id`` is unique, so one
    feedback item opens at most one ticket."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'pending', 'closed')", name="status"),
        Index("ix_conversations_status", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="open")
    origin: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    summary: Mapped[str | None] = mapped_column(Text)
    assigned_to: Mapped[str | None] = mapped_column(String(200))
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    language: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class Message(Base):
    """One message of a conversation, with the intent and confidence the assistant read in it."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column(Double)
    details: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=_now())


TABLES_IN_ORDER = (
    "import_runs",
    "import_rejects",
    "customers",
    "customer_identities",
    "customer_search_tokens",
    "identity_merges",
    "identity_exclusions",
    "products",
    "orders",
    "order_lines",
    "events",
    "feedback",
    "model_runs",
    "customer_profiles",
    "segments",
    "segment_members",
    "customer_scores",
    "recommendations",
    "feedback_analyses",
    "feedback_topics",
    "feedback_topic_members",
    "conversations",
    "messages",
    "users",
    "api_keys",
    "audit_log",
    "consents",
    "erasures",
    "customer_live_state",
    "knowledge_articles",
)
"""Tables in foreign-key order (parents first)."""


# One metadata for every table: the access and privacy tables live in their own module.
from crmind.store.schema_access import ApiKey as ApiKey  # noqa: E402
from crmind.store.schema_access import AuditEntry as AuditEntry  # noqa: E402
from crmind.store.schema_access import Consent as Consent  # noqa: E402
from crmind.store.schema_access import Erasure as Erasure  # noqa: E402
from crmind.store.schema_access import User as User  # noqa: E402
from crmind.store.schema_assistant import KnowledgeArticle as KnowledgeArticle  # noqa: E402
from crmind.store.schema_campaigns import Campaign as Campaign  # noqa: E402
from crmind.store.schema_campaigns import CampaignMember as CampaignMember  # noqa: E402
from crmind.store.schema_campaigns import CampaignMessage as CampaignMessage  # noqa: E402
from crmind.store.schema_campaigns import CampaignRun as CampaignRun  # noqa: E402
from crmind.store.schema_live import CustomerLiveState as CustomerLiveState  # noqa: E402


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class (for set-based writes and reads)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
