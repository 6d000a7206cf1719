"""Customers: search, one contact record, the 360° view, contact changes.

Every answer holds personal data: each read is audited with the customer's id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic_core import to_json

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, StateDep, audit_read, require, run_read
from crmind.api.responses import JSONBytes
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.customers import (
    Customer360Public,
    CustomerPublic,
    CustomersPublic,
    CustomerUpdate,
)
from crmind.services.customer_directory import (
    CustomerQuery,
    search_customers,
    update_customer,
)
from crmind.services.customers import CustomerView, customer_view

router = APIRouter(prefix="/customers", tags=["customers"])

Reader = Depends(require(Permission.CUSTOMERS_READ))
Writer = Depends(require(Permission.CUSTOMERS_WRITE))


@router.get("", dependencies=[Reader])
def list_customers(
    request: Request,
    engine: EngineDep,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An id, an e-mail, a phone number or whole words of a name.",
        ),
    ] = None,
    segment: Annotated[
        str | None, Query(max_length=200, description="Key or name of a segment.")
    ] = None,
    sort: Literal["id", "-id", "created_at", "-created_at"] = "id",
    limit: Limit = 50,
    offset: Offset = 0,
) -> CustomersPublic:
    """Search customers. Example: `GET /customers?q=jane@example.com`"""
    rows, count = search_customers(
        engine, CustomerQuery(text=q, segment=segment, limit=limit, offset=offset, sort=sort)
    )
    for row in rows:
        audit_read(request, "customers", row["id"], row["id"])
    return CustomersPublic(data=[CustomerPublic(**row) for row in rows], count=count)


@router.get(
    "/{customer_id}",
    dependencies=[Reader],
    response_model=Customer360Public,
    response_class=JSONBytes,
)
async def get_customer(request: Request, state: StateDep, customer_id: RecordId) -> Response:
    """The 360° view of one customer. Example: `GET /customers/17`"""
    view = await run_read(state, customer_view, state.engine, customer_id)
    audit_read(request, "customers", customer_id, customer_id)
    # the busiest route: serialised straight from the view (tests check that the result is
    # what Customer360Public gives), without building and validating the model per request
    return JSONBytes(to_json(view_payload(view)))


def view_payload(view: CustomerView) -> dict[str, Any]:
    """The 360° view as Customer360Public's fields."""
    return {
        "id": view.id,
        "contact": view.contact,
        "identities": [
            {"kind": kind, "source": source, "value": value}
            for kind, source, value in view.identities
        ],
        "merged_into": view.merged_into,
        "order_count": view.order_count,
        # a shallow copy: the fields are immutable values (asdict deep-copies every one)
        "orders": [dict(vars(order)) for order in view.orders],
        "analysis_run": view.analysis_run,
        "profile": view.profile,
        "segments": view.segments,
        "scores": view.scores,
        "recommendations": view.recommendations,
        "feedback": view.feedback,
        "live": view.live,
    }


@router.patch("/{customer_id}", dependencies=[Writer])
def patch_customer(
    request: Request, engine: EngineDep, customer_id: RecordId, changes: CustomerUpdate
) -> CustomerPublic:
    """Change contact fields. Example: `PATCH /customers/17 {"city": "Leeds"}`"""
    updated = update_customer(engine, customer_id, changes.model_dump(exclude_unset=True))
    audit_read(request, "customers", customer_id, customer_id)
    return CustomerPublic(**updated)
