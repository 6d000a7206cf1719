"""Orders: find them (by customer, date range, returns) and read one with its lines.

Orders name customers by id only. A read of a customer's orders is a read of personal data:
it is audited once per customer on the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, audit_read, require
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.orders import OrderDetailPublic, OrderPublic, OrdersPublic
from crmind.api.schemas.products import NO_NUL
from crmind.services.orders_query import OrderQuery, OrderSort, order_detail, search_orders

router = APIRouter(
    prefix="/orders", tags=["orders"], dependencies=[Depends(require(Permission.ORDERS_READ))]
)


def _audit_customers(request: Request, customer_ids: list[int | None]) -> None:
    for customer_id in sorted({i for i in customer_ids if i is not None}):
        audit_read(request, "orders", None, customer_id)


@router.get("")
def list_orders(
    request: Request,
    engine: EngineDep,
    customer_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    since: Annotated[datetime | None, Query(description="Occurred at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Occurred before.")] = None,
    is_return: bool | None = None,
    source: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    sort: OrderSort = "-occurred_at",
    limit: Limit = 50,
    offset: Offset = 0,
) -> OrdersPublic:
    """Orders, newest first. Example: `GET /orders?customer_id=17&since=2024-01-01`"""
    rows, count = search_orders(
        engine,
        OrderQuery(
            customer_id=customer_id,
            since=since,
            until=until,
            is_return=is_return,
            source=source,
            sort=sort,
            limit=limit,
            offset=offset,
        ),
    )
    _audit_customers(request, [row["customer_id"] for row in rows])
    return OrdersPublic(data=[OrderPublic(**row) for row in rows], count=count)


@router.get("/{order_id}")
def get_order(request: Request, engine: EngineDep, order_id: RecordId) -> OrderDetailPublic:
    """One order with its lines. Example: `GET /orders/42`"""
    detail = order_detail(engine, order_id)
    _audit_customers(request, [detail["customer_id"]])
    return OrderDetailPublic(**detail)
