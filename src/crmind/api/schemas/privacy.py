"""Privacy: consents, a person's export, an erasure, the customer analytics export."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PurposeName = Literal["marketing_email", "profiling"]
"""Every consent purpose (crmind.privacy.consent.PURPOSES; a test keeps the two in step)."""


class ConsentCreate(BaseModel):
    """A decision to record. Example: `{"purpose": "profiling", "decision": "withdraw",
    "source": "phone call"}`"""

    model_config = ConfigDict(extra="forbid")

    purpose: PurposeName
    decision: Literal["grant", "withdraw"]
    source: str = Field(default="api", min_length=1, max_length=100)


class ConsentPublic(BaseModel):
    purpose: str
    decision: Literal["grant", "withdraw"]
    source: str
    recorded_by: str | None
    recorded_at: datetime


class ConsentsPublic(BaseModel):
    """The decision in force per purpose (a purpose never decided is absent), and the history
    oldest first."""

    customer_id: int
    in_force: dict[str, ConsentPublic]
    history: list[ConsentPublic]


class ConsentRecorded(ConsentPublic):
    customer_id: int
    deleted: dict[str, int] = Field(description="Profiling rows deleted by a withdrawal.")


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, max_length=500, description="Why, e.g. a request number; no personal data."
    )


class ErasurePublic(BaseModel):
    erasure_id: int
    customer_id: int
    customers: list[int] = Field(description="The person's customer and those merged into it.")
    rows: dict[str, int] = Field(description="Rows changed per table.")
    total: int


class SubjectExportPublic(BaseModel):
    """Everything held about a person; rows as stored, contact decrypted."""

    format: str
    exported_at: datetime
    customer_id: int
    customers: list[dict[str, Any]]
    identities: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    events: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    conversations: list[dict[str, Any]]
    profiles: list[dict[str, Any]]
    segments: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    recommendations: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    identity_merges: list[dict[str, Any]]
    erasures: list[dict[str, Any]]
    audit: list[dict[str, Any]]


class CustomerExportPublic(BaseModel):
    """A page of the customer analytics table: one row per analysed customer, named by
    ``pseudonym`` (pseudonymised) or by ``customer_id`` with contact fields."""

    analysis_run: int
    pseudonymised: bool
    columns: list[str]
    data: list[dict[str, Any]]
    count: int
