"""The order family: an order with its totals, and one order with its lines. Orders name their
customer by id only, never by contact details."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crmind.api.schemas.common import Page


class OrderPublic(BaseModel):
    id: int
    source: str
    order_number: str
    customer_id: int | None
    occurred_at: datetime
    is_return: bool
    channel: str | None
    country: str | None
    currency: str
    status: str | None
    lines: int
    amount: float


OrdersPublic = Page[OrderPublic]


class OrderLinePublic(BaseModel):
    line_number: int
    product_id: int | None
    sku: str | None
    product_name: str | None
    quantity: float
    unit_price: float | None
    amount: float
    is_outlier: bool


class OrderDetailPublic(OrderPublic):
    items: list[OrderLinePublic]
