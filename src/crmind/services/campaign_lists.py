"""Use case: an uploaded list as a campaign's audience — a CSV with a ``customer_id`` column (the
store's ids) or an ``email`` column (matched by keyed hash, as a search would, merged customers
resolved to their survivor). Every row that names nobody is reported with its row number."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from crmind.errors import ImportFileError
from crmind.ingest.cleaning.contacts import email_of
from crmind.privacy.binding import cipher_of
from crmind.store.schema import Customer, CustomerIdentity


@dataclass(frozen=True)
class ListMatch:
    customer_ids: list[int]
    unmatched: list[str] = field(default_factory=list)  # "row 7: no customer with that e-mail"


def read_customer_list(engine: Engine, path: Path) -> ListMatch:
    """The customers a CSV names; ImportFileError when it cannot be read or has neither column."""
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise ImportFileError(path, f"cannot read the list: {error}") from error
    if "customer_id" in frame.columns:
        return _by_id(engine, frame.get_column("customer_id").to_list())
    if "email" in frame.columns:
        return _by_email(engine, frame.get_column("email").to_list())
    raise ImportFileError(
        path, f"a customer list needs a customer_id or an email column; found {frame.columns}"
    )


def _live_ids(engine: Engine) -> dict[int, int]:
    """Every customer id -> the live customer (itself, or the survivor it was merged into)."""
    found = aliased(Customer)
    with engine.connect() as conn:
        rows = conn.execute(select(found.id, func.coalesce(found.merged_into, found.id))).all()
    return dict(rows)


def _by_id(engine: Engine, values: list[str | None]) -> ListMatch:
    live = _live_ids(engine)
    ids, unmatched = set(), []
    for row, value in enumerate(values, start=2):
        text = (value or "").strip()
        if not text.isdigit() or int(text) not in live:
            unmatched.append(f"row {row}: no customer {text!r}")
            continue
        ids.add(live[int(text)])
    return ListMatch(sorted(ids), unmatched)


def _by_email(engine: Engine, values: list[str | None]) -> ListMatch:
    cipher = cipher_of(engine)
    live = _live_ids(engine)
    with engine.connect() as conn:
        hashes = dict(conn.execute(select(Customer.email_hash, Customer.id)).all())
        hashes.update(
            conn.execute(
                select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                    CustomerIdentity.kind == "email", CustomerIdentity.source == ""
                )
            ).all()
        )
    ids, unmatched = set(), []
    for row, value in enumerate(values, start=2):
        address = email_of(value or "")
        customer = hashes.get(cipher.search_hash(address)) if address else None
        if customer is None:
            unmatched.append(f"row {row}: no customer with e-mail {value!r}")
            continue
        ids.add(live.get(customer, customer))
    return ListMatch(sorted(ids), unmatched)
