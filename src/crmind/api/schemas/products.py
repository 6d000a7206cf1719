"""The product family: catalogue entries, and the fields a caller may set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from crmind.api.schemas.common import Page

NO_NUL = r"^[^\x00]*$"
"""Text without NUL characters (PostgreSQL cannot store them)."""

Price = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class ProductPublic(BaseModel):
    id: int
    source: str
    sku: str
    name: str | None
    description: str | None
    category: str | None
    brand: str | None
    price: float | None
    attributes: dict[str, Any] | None
    created_at: datetime | None


ProductsPublic = Page[ProductPublic]


class ProductUpdate(BaseModel):
    """Fields to change; a field sent as null is cleared, a field left out is kept."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=500, pattern=NO_NUL)
    description: str | None = Field(default=None, max_length=10_000, pattern=NO_NUL)
    category: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    brand: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    price: Price | None = None
    attributes: dict[str, str | float | bool | None] | None = Field(default=None, max_length=100)


class ProductCreate(ProductUpdate):
    sku: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=NO_NUL,
        description="The system the product comes from (default: api).",
    )
