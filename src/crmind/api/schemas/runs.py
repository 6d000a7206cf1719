"""The run families: model runs (parameters, data window, metrics), analysis runs to start,
import runs and their rejected rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crmind.api.schemas.common import Page


class ModelRunPublic(BaseModel):
    id: int
    kind: str
    status: str
    params: dict[str, Any]
    data_start: datetime | None
    data_end: datetime | None
    metrics: dict[str, Any]
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


ModelRunsPublic = Page[ModelRunPublic]


class AnalysisRunCreate(BaseModel):
    """Options of an analysis run; each left out takes its default."""

    model_config = ConfigDict(extra="forbid")

    as_of: datetime | None = Field(
        default=None, description="Observation date (default: the last order's)."
    )
    n_segments: int | None = Field(default=None, ge=2, le=20, description="Default: chosen.")
    segment_method: Literal["kmeans", "gmm"] | None = None
    horizon_months: int | None = Field(default=None, ge=1, le=120)
    discount_rate_monthly: float | None = Field(default=None, ge=0, lt=1, allow_inf_nan=False)
    clv_draws: int = Field(default=200, ge=10, le=2000)
    random_state: int | None = Field(default=None, ge=0, le=2**31 - 1)


class AnalysisRunStarted(BaseModel):
    run_id: int
    status: str
    location: str


class ImportRunPublic(BaseModel):
    id: int
    kind: str
    source: str
    file_name: str
    file_format: str
    file_size: int
    status: str
    rows_read: int
    rows_new: int
    rows_existing: int
    rows_rejected: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    options: dict[str, Any]


ImportRunsPublic = Page[ImportRunPublic]


class ImportResultPublic(BaseModel):
    """What one upload did: the run, and whether the file had been imported before."""

    run: ImportRunPublic
    outcome: str = Field(description="completed, or 'already imported' (nothing written).")
    rows_stored: int
    notes: list[str]
    reject_reasons: list[tuple[str, int]]


class ImportRejectPublic(BaseModel):
    row: int
    field: str | None
    reason: str
    raw: str


ImportRejectsPublic = Page[ImportRejectPublic]
