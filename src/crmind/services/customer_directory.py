"""Use cases: find customers (by name, e-mail, phone or id, and by segment or lifecycle stage)
and change a customer's contact details.

Merged customers (``merged_into`` set) are left out of searches; their survivor is found instead.

Personal fields are stored encrypted (:mod:`crmind.privacy.customer_fields`), so a search
compares keyed hashes: an e-mail or a phone number matches exactly (the customer's own and every
address recorded as one of its identities), a name matches word by word (every word of the
search must be a whole word of the customer's name, first or last name, in any case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import polars as pl
from sqlalchemy import CompoundSelect, Engine, Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from crmind.errors import CrmindError, NotFoundError
from crmind.ingest.cleaning.contacts import email_of, phone_of
from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import FieldCipher
from crmind.privacy.customer_fields import (
    ENCRYPTED_FIELDS,
    HASHED_FIELDS,
    NAME_FIELDS,
    query_tokens,
    replace_search_tokens,
    search_tokens,
)
from crmind.services.analysis_store import latest_run
from crmind.store.db import unit_of_work
from crmind.store.schema import (
    Customer,
    CustomerIdentity,
    CustomerSearchToken,
    Segment,
    SegmentMember,
)

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
    text: str | None = None  # an id, an e-mail, a phone number or whole words of a name
    segment: str | None = None  # a segment's key or name in the newest analysis
    limit: int = 50
    offset: int = 0
    sort: SortKey = "id"


def _customer_fields(customer: Customer, cipher: FieldCipher) -> dict[str, Any]:
    return {
        "id": customer.id,
        **{f: _plain(customer, f, cipher) for f in EDITABLE_FIELDS},
        "country": customer.country,
        "signed_up_at": customer.signed_up_at,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "merged_into": customer.merged_into,
    }


def _plain(customer: Customer, field: str, cipher: FieldCipher) -> Any:
    value = getattr(customer, field)
    return cipher.decrypt(value, f"customers.{field}") if field in ENCRYPTED_FIELDS else value


def _live(matched: Select[Any] | CompoundSelect[Any]) -> Select[Any]:
    """The live customers of ``matched`` ids: each one, or the survivor it was merged into."""
    found = aliased(Customer)
    return select(func.coalesce(found.merged_into, found.id)).where(found.id.in_(matched))


def _by_hash(kind: str, value: str | None, cipher: FieldCipher) -> Any:
    """Customers whose e-mail / phone, or one of whose identities, is ``value``."""
    hashed = cipher.search_hash(value)
    column = Customer.__table__.c[HASHED_FIELDS[kind]]
    recorded = select(CustomerIdentity.customer_id).where(
        CustomerIdentity.kind == kind,
        CustomerIdentity.source == "",
        CustomerIdentity.value == hashed,
    )
    return Customer.id.in_(_live(select(Customer.id).where(column == hashed).union(recorded)))


def _by_words(tokens: list[str]) -> Any:
    """Customers whose names hold every one of the word hashes ``tokens``."""
    wanted = sorted(set(tokens))
    named = (
        select(CustomerSearchToken.customer_id)
        .where(CustomerSearchToken.token_hash.in_(wanted))
        .group_by(CustomerSearchToken.customer_id)
        .having(func.count(func.distinct(CustomerSearchToken.token_hash)) == len(wanted))
    )
    return Customer.id.in_(_live(named))


def search_customers(engine: Engine, query: CustomerQuery) -> tuple[list[dict[str, Any]], int]:
    """Customers matching ``query`` (contact fields), and how many match in all."""
    cipher = cipher_of(engine)
    conditions: list[Any] = [Customer.merged_into.is_(None)]
    text = (query.text or "").strip()
    if text:
        alternatives: list[Any] = []
        tokens = query_tokens(text, cipher)
        if tokens:
            alternatives.append(_by_words(tokens))
        if text.isdigit() and len(text) < 19:
            alternatives.append(Customer.id == int(text))
        email = email_of(text)
        if email:
            alternatives.append(_by_hash("email", email, cipher))
        phone = phone_of(text)
        if phone:
            alternatives.append(_by_hash("phone", phone, cipher))
        conditions.append(or_(*alternatives) if alternatives else Customer.id.is_(None))
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
        return [_customer_fields(c, cipher) for c in rows], int(count or 0)


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
    cipher = cipher_of(engine)
    with unit_of_work(engine) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFoundError(f"no customer with id {customer_id}")
        names = {n: values.get(n, _plain(customer, n, cipher)) for n in NAME_FIELDS}
        for name, value in values.items():
            if name in HASHED_FIELDS:
                setattr(customer, HASHED_FIELDS[name], cipher.search_hash(value))
            if name in ENCRYPTED_FIELDS:
                value = cipher.encrypt(value)
            setattr(customer, name, value)
        customer.updated_at = datetime.now(UTC).replace(tzinfo=None)
        session.flush()
        if set(values) & set(NAME_FIELDS):
            tokens = search_tokens(pl.DataFrame([{"customer_id": customer_id, **names}]), cipher)
            replace_search_tokens(session.connection(), tokens, [customer_id])
        return _customer_fields(customer, cipher)
