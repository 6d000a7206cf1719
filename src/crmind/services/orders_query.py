"""Use cases: find orders (by customer, date range, return flag) and read one order with its
lines. Orders carry customer ids only, never contact details, so every role allowed to read
orders (analysts included) sees the same answer."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.errors import NotFoundError
from crmind.store.schema import Order, OrderLine, Product
from crmind.store.sorting import sort_clauses

OrderSort = Literal["occurred_at", "-occurred_at", "id", "-id", "amount", "-amount"]


@dataclass(frozen=True)
class OrderQuery:
    customer_id: int | None = None
    since: datetime | None = None  # occurred at or after
    until: datetime | None = None  # occurred before
    is_return: bool | None = None
    source: str | None = None
    sort: OrderSort = "-occurred_at"
    limit: int = 50
    offset: int = 0


def finite(value: float | None) -> float | None:
    """``value``, or None for NaN and infinities (JSON has no numbers for them)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _totals() -> Any:
    """Per order: number of lines and their total amount."""
    return (
        select(
            OrderLine.order_id.label("order_id"),
            func.count(OrderLine.id).label("lines"),
            func.sum(OrderLine.amount).label("amount"),
        )
        .group_by(OrderLine.order_id)
        .subquery()
    )


def _order_fields(order: Order, lines: int | None, amount: float | None) -> dict[str, Any]:
    return {
        "id": order.id,
        "source": order.source,
        "order_number": order.order_number,
        "customer_id": order.customer_id,
        "occurred_at": order.occurred_at,
        "is_return": bool(order.is_return),
        "channel": order.channel,
        "country": order.country,
        "currency": order.currency,
        "status": order.status,
        "lines": int(lines or 0),
        "amount": finite(amount) or 0.0,
    }


def search_orders(engine: Engine, query: OrderQuery) -> tuple[list[dict[str, Any]], int]:
    """Orders matching ``query`` with their line count and amount, and how many match in all."""
    conditions: list[Any] = []
    if query.customer_id is not None:
        conditions.append(Order.customer_id == query.customer_id)
    if query.since is not None:
        conditions.append(Order.occurred_at >= query.since)
    if query.until is not None:
        conditions.append(Order.occurred_at < query.until)
    if query.is_return is not None:
        conditions.append(Order.is_return.is_(query.is_return))
    if query.source is not None:
        conditions.append(Order.source == query.source)
    totals = _totals()
    columns = {
        "occurred_at": Order.occurred_at,
        "id": Order.id,
        "amount": func.coalesce(totals.c.amount, 0.0),
    }
    order, tie = sort_clauses(query.sort, columns, Order.id)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Order).where(*conditions))
        rows = session.execute(
            select(Order, totals.c.lines, totals.c.amount)
            .outerjoin(totals, totals.c.order_id == Order.id)
            .where(*conditions)
            .order_by(order, tie)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return [_order_fields(o, lines, amount) for o, lines, amount in rows], int(count or 0)


def order_detail(engine: Engine, order_id: int) -> dict[str, Any]:
    """One order with its lines (product sku and name joined); NotFoundError if unknown."""
    with Session(engine) as session:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFoundError(f"no order with id {order_id}")
        lines = session.execute(
            select(OrderLine, Product.sku, Product.name)
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.line_number)
        ).all()
        amount = sum(finite(line.amount) or 0.0 for line, _, _ in lines)
        detail = _order_fields(order, len(lines), amount)
        detail["items"] = [
            {
                "line_number": line.line_number,
                "product_id": line.product_id,
                "sku": sku,
                "product_name": name,
                "quantity": finite(line.quantity) or 0.0,
                "unit_price": finite(line.unit_price),
                "amount": finite(line.amount) or 0.0,
                "is_outlier": bool(line.is_outlier),
            }
            for line, sku, name in lines
        ]
        return detail
