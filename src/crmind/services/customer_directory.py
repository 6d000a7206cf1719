"""Use cases: find customers (by name, e-mail, phone or id, and by segment or lifecycle stage)
and change a customer's contact details.

Merged customers (``merged_into`` set) are left out of searches; their survivor is found instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from crmind.errors import CrmindError, NotFoundError
from crmind.ingest.cleaning.contacts import email_of, phone_of
from crmind.services.analysis_store import latest_run
from crmind.store.db import unit_of_work
from crmind.store.schema import Customer, Segment, SegmentMember

SortKey = Literal["id", "-id", "created_at", "-created_at"]

EDITABLE_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country_code",
    "city",
    "postcode",
    "address",
    "birth_date",
    "gender",
)


class CustomerUpdateError(CrmindError):
    """A changed contact field has a value crmind cannot store; names the field."""


@dataclass(frozen=True)
class CustomerQuery:
    text: str | None = None  # an id, an e-mail, a phone number or part of a name
    segment: str | None = None  # a segment's key or name in the newest analysis
    limit: int = 50
    offset: int = 0
    sort: SortKey = "id"


def _customer_fields(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        **{f: getattr(customer, f) for f in EDITABLE_FIELDS},
        "country": customer.country,
        "signed_up_at": customer.signed_up_at,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "merged_into": customer.merged_into,
    }


def search_customers(engine: Engine, query: CustomerQuery) -> tuple[list[dict[str, Any]], int]:
    """Customers matching ``query`` (contact fields), and how many match in all."""
    conditions: list[Any] = [Customer.merged_into.is_(None)]
    text = (query.text or "").strip()
    if text:
        alternatives: list[Any] = [
            func.lower(Customer.name).contains(text.lower(), autoescape=True),
            func.lower(Customer.last_name).contains(text.lower(), autoescape=True),
        ]
        if text.isdigit() and len(text) < 19:
            alternatives.append(Customer.id == int(text))
        email = email_of(text)
        if email:
            alternatives.append(Customer.email == email)
        phone = phone_of(text)
        if phone:
            alternatives.append(Customer.phone == phone)
        conditions.append(or_(*alternatives))
    if query.segment:
        run = latest_run(engine)
        members = (
            select(SegmentMember.customer_id)
            .join(Segment, Segment.id == SegmentMember.segment_id)
            .where(
                Segment.model_run_id == (run.id if run else -1),
                or_(Segment.key == query.segment, Segment.name == query.segment),
            )
        )
        conditions.append(Customer.id.in_(members))
    order: Any = {
        "id": Customer.id.asc(),
        "-id": Customer.id.desc(),
        "created_at": Customer.created_at.asc(),
        "-created_at": Customer.created_at.desc(),
    }[query.sort]
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Customer).where(*conditions))
        rows = session.scalars(
            select(Customer)
            .where(*conditions)
            .order_by(order, Customer.id)
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_customer_fields(c) for c in rows], int(count or 0)


def update_customer(engine: Engine, customer_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Set the given contact fields (None clears one); e-mail and phone are normalised and
    checked. NotFoundError for an unknown customer, CustomerUpdateError for a bad value."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise CustomerUpdateError(f"fields that cannot be changed: {', '.join(sorted(unknown))}")
    values = dict(changes)
    if values.get("email") is not None:
        email = email_of(str(values["email"]))
        if email is None:
            raise CustomerUpdateError(f"email: {values['email']!r} is not an e-mail address")
        values["email"] = email
    if values.get("phone") is not None:
        phone = phone_of(str(values["phone"]))
        if phone is None:
            raise CustomerUpdateError(f"phone: {values['phone']!r} is not a phone number")
        values["phone"] = phone
    with unit_of_work(engine) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFoundError(f"no customer with id {customer_id}")
        for name, value in values.items():
            setattr(customer, name, value)
        customer.updated_at = datetime.now(UTC).replace(tzinfo=None)
        session.flush()
        return _customer_fields(customer)
