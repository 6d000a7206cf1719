"""The customers of a batch of events: contacts normalised, keys resolved, ids checked.

Part of :func:`crmind.services.events.record_events`. E-mails and phone numbers are normalised
as imports store them; events naming a customer by the source's key, an e-mail or a phone are
resolved by the import's identity rules (:func:`crmind.ingest.identity.resolve_customers`,
which finds or creates the customer); store ids are checked and a merged customer's replaced by
the survivor. A refused event raises :class:`RejectedEventsError` naming its index and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl
from sqlalchemy import Connection

from crmind.errors import CrmindError
from crmind.ingest.cleaning.contacts import normalize_email, normalize_phone
from crmind.ingest.identity import CUSTOMER_KEY, RESOLVED, resolve_customers
from crmind.privacy.binding import cipher_of
from crmind.store.bulk import select_by_keys
from crmind.store.locks import lock_new_identities
from crmind.store.schema import Customer, table_of

MAX_MERGE_HOPS: Final = 20


@dataclass(frozen=True)
class EventProblem:
    """Why the event at ``index`` of a batch cannot be stored."""

    index: int
    field: str
    reason: str


class RejectedEventsError(CrmindError):
    """A batch holds events the store cannot take; nothing was stored."""

    def __init__(self, problems: list[EventProblem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"event {first.index}, {first.field}: {first.reason}{more}")


def normalised_contacts(frame: pl.DataFrame, phone_region: str | None) -> pl.DataFrame:
    """E-mails lower-cased and phones in E.164, as imports store them; RejectedEventsError names
    each implausible one."""
    problems: list[EventProblem] = []
    columns = []
    for name, parsed in (
        (
            "email",
            normalize_email(frame["email"]) if frame["email"].null_count() < frame.height else None,
        ),
        (
            "phone",
            normalize_phone(frame["phone"], phone_region)
            if frame["phone"].null_count() < frame.height
            else None,
        ),
    ):
        if parsed is None:
            continue
        for row in frame.filter(parsed.invalid)["_row"].to_list():
            reason = (
                "is not a plausible e-mail address"
                if name == "email"
                else "is not a valid phone number "
                f"(one without +code is read as a {phone_region} number)"
            )
            problems.append(EventProblem(row, name, reason))
        columns.append(parsed.values.alias(name))
    if problems:
        raise RejectedEventsError(sorted(problems, key=lambda p: (p.index, p.field)))
    return frame.with_columns(columns) if columns else frame


def with_customers(conn: Connection, frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """``customer_id`` resolved on every event that names a customer; how many were created."""
    created = 0
    keyed = frame.filter(
        pl.col("customer_id").is_null()
        & pl.any_horizontal(pl.col(k).is_not_null() for k in (CUSTOMER_KEY, "email", "phone"))
    )
    if keyed.height:
        cipher = cipher_of(conn)
        found = []
        for (source,), part in keyed.partition_by("source", as_dict=True).items():
            people = part.select("_row", CUSTOMER_KEY, "email", "phone")
            resolution = resolve_customers(
                conn,
                str(source),
                people,
                None,  # events come from no import run
                ("email", "phone"),
                cipher=cipher,
                # side-by-side writers (PostgreSQL) lock the keys they are about to record
                lock_new=lock_new_identities if conn.dialect.name == "postgresql" else None,
            )
            found.append(resolution.rows.rename({RESOLVED: "_resolved"}))
            created += len(resolution.created_ids)
        frame = (
            frame.join(pl.concat(found), on="_row", how="left")
            .with_columns(pl.coalesce("customer_id", "_resolved").alias("customer_id"))
            .drop("_resolved")
        )
    return _survivors(conn, frame), created


def _survivors(conn: Connection, frame: pl.DataFrame) -> pl.DataFrame:
    """Customer ids checked against the store; a merged customer's replaced by the survivor."""
    wanted = set(frame["customer_id"].drop_nulls().to_list())
    if not wanted:
        return frame
    customers = table_of(Customer)
    target: dict[int, int] = {}
    pending = wanted
    for _ in range(MAX_MERGE_HOPS):
        if not pending:
            break
        rows = select_by_keys(conn, customers, "id", pending, ("id", "merged_into"))
        found = {int(i): (None if m is None else int(m)) for i, m in rows}
        missing = pending - found.keys()
        if missing & wanted:
            problems = [
                EventProblem(int(row), "customer_id", f"no customer with id {cid}")
                for row, cid in frame.filter(pl.col("customer_id").is_in(list(missing)))
                .select("_row", "customer_id")
                .rows()
            ]
            raise RejectedEventsError(problems)
        target.update({i: m for i, m in found.items() if m is not None})
        pending = {m for m in found.values() if m is not None and m not in target}
    resolved = {}
    for cid in wanted:
        survivor = cid
        for _ in range(MAX_MERGE_HOPS):
            if survivor not in target:
                break
            survivor = target[survivor]
        resolved[cid] = survivor
    if all(k == v for k, v in resolved.items()):
        return frame
    return frame.with_columns(
        pl.col("customer_id").replace_strict(resolved, default=None, return_dtype=pl.Int64)
    )
