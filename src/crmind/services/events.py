"""Use case: record behaviour events as they happen (``POST /events``).

:func:`record_events` stores a batch of events in one transaction:

1. **Idempotency.** An event is known by (source, event id). Events the store already holds, and
   repeats of an id within the batch, are *duplicates*: nothing is written for them and the
   result names them, so a client can resend a batch whose answer it missed.
2. **Customers.** An event names its customer by the store's id, or by the source's customer key,
   an e-mail or a phone number, resolved by the import's identity rules
   (:func:`crmind.ingest.identity.resolve_customers`: a key the store knows finds its customer,
   an unknown one creates a customer). E-mails and phones are normalised as imports do; a
   merged customer's events go to the survivor. An event may name no customer (anonymous).
3. **Products** are named by SKU within the source; an unknown SKU adds a product with no name.
4. **Purchases.** A ``purchase`` event (it carries an amount) is also written as an order with
   one line (order number: the event's ``order_number``, else its event id; currency: the
   event's, else the default), unless the source already has an order with that number: so the
   next analysis run sees the purchase, and an order imported from a file is not counted twice.
5. **Live state.** The affected customers' rows of ``customer_live_state`` are updated
   (:mod:`crmind.services.live_state`): counters, last event, lifecycle stage.

The batch is all or nothing: an event the store cannot take (an unknown customer id, an
implausible e-mail) raises :class:`RejectedEventsError` naming every such event by index, field and
reason, and nothing is written. Shape rules (types, lengths, an offset on every time) are the
API schema's (:mod:`crmind.api.schemas.events`); this module trusts them.

Concurrency. SQLite has one writer: a batch is one ``BEGIN IMMEDIATE`` transaction, one at a
time. PostgreSQL takes batches side by side, each in two transactions at READ COMMITTED: the
first resolves the customers (steps 1 and 2), the second writes the rest. The rules for what
two batches in flight share:

- a new identity key (e-mail, phone, source key) is locked before its customer is created
  (:mod:`crmind.store.locks`), so two batches naming the same new e-mail make one customer; the
  first transaction is short, so such a lock is soon released;
- events, orders and products are inserted with ``ON CONFLICT DO NOTHING`` in key order, and
  an event or order another batch stored first (even in flight) counts as a duplicate, so an
  event resent while its first request still runs is stored once and counted once;
- a customer's live state is read and rewritten under that customer's lock.

A refused batch stores nothing on both databases (refusals come before any write or in the
first transaction). On PostgreSQL, should the second transaction fail (the server gone), the
customers the first created stay, with no events; sending the batch again finds them. A
transaction PostgreSQL aborts as a deadlock is run again (both, at most ``ATTEMPTS`` times).
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, Engine, Table
from sqlalchemy.exc import DBAPIError

from crmind.analytics.lifecycle import LifecycleThresholds
from crmind.analytics.profile import naive_utc
from crmind.config import Settings
from crmind.ingest.identity import CUSTOMER_KEY
from crmind.services.event_customers import EventProblem as EventProblem
from crmind.services.event_customers import RejectedEventsError as RejectedEventsError
from crmind.services.event_customers import normalised_contacts, with_customers
from crmind.services.live_state import update_live_state
from crmind.store.bulk import insert_ignore, insert_ignore_returning, select_by_keys
from crmind.store.schema import Event, Order, OrderLine, Product, table_of

PURCHASE: Final = "purchase"
"""The event type that is also an order."""
MAX_BATCH: Final = 1000
"""The most events one call takes."""
_compact_json = json.JSONEncoder(separators=(",", ":")).encode
ATTEMPTS: Final = 5
"""How often a batch is tried on PostgreSQL when its transaction is aborted as a deadlock."""
_RETRIED_STATES: Final = frozenset({"40P01", "40001"})  # deadlock, serialisation failure


@dataclass(frozen=True)
class IncomingEvent:
    """One event as a client sends it; ``occurred_at`` with an offset (naive is taken as UTC)."""

    event_id: str
    type: str
    occurred_at: datetime
    source: str = "api"
    customer_id: int | None = None
    customer_key: str | None = None
    email: str | None = None
    phone: str | None = None
    channel: str | None = None
    sku: str | None = None
    properties: dict[str, Any] | None = None
    amount: float | None = None
    currency: str | None = None
    order_number: str | None = None


@dataclass(frozen=True)
class Duplicate:
    """An event of the batch that was not stored again: the store (or the batch) had it."""

    index: int
    event_id: str


@dataclass(frozen=True)
class EventsResult:
    """What a call stored."""

    received: int
    stored: int
    duplicates: list[Duplicate] = field(default_factory=list)
    customers_created: int = 0
    orders_created: int = 0
    live_states_updated: int = 0


@dataclass(frozen=True)
class EventOptions:
    """Settings the use case needs; :func:`event_options` reads them from the settings."""

    default_currency: str = "GBP"
    phone_region: str | None = "GB"
    lifecycle: LifecycleThresholds = field(default_factory=LifecycleThresholds)


def event_options(settings: Settings) -> EventOptions:
    """The options of :func:`record_events` from the settings."""
    return EventOptions(
        default_currency=settings.default_currency,
        phone_region=settings.default_phone_region,
        lifecycle=LifecycleThresholds(
            new_days=settings.lifecycle_new_days,
            at_risk_ratio=settings.lifecycle_at_risk_ratio,
            lapsed_ratio=settings.lifecycle_lapsed_ratio,
            churned_ratio=settings.lifecycle_churned_ratio,
            churn_days=settings.lifecycle_churn_days,
        ),
    )


_SCHEMA: Final[dict[str, pl.DataType]] = {
    "_row": pl.Int64(),
    "source": pl.String(),
    "event_key": pl.String(),
    "event_type": pl.String(),
    "occurred_at": pl.Datetime("us"),
    "customer_id": pl.Int64(),
    CUSTOMER_KEY: pl.String(),
    "email": pl.String(),
    "phone": pl.String(),
    "channel": pl.String(),
    "sku": pl.String(),
    "properties": pl.String(),
    "amount": pl.Float64(),
    "currency": pl.String(),
    "order_number": pl.String(),
}


def record_events(
    engine: Engine, events: Sequence[IncomingEvent], options: EventOptions | None = None
) -> EventsResult:
    """Store ``events`` (see the module docstring); RejectedEventsError stores nothing."""
    options = options or EventOptions()
    if len(events) > MAX_BATCH:
        raise RejectedEventsError(
            [EventProblem(MAX_BATCH, "events", f"a batch holds at most {MAX_BATCH} events")]
        )
    if not events:
        return EventsResult(received=0, stored=0)
    frame = normalised_contacts(_frame(events), options.phone_region)
    if engine.dialect.name == "sqlite":
        with _sqlite_writer(engine) as conn:
            customers = _with_customers(conn, frame)
            if isinstance(customers, EventsResult):
                return customers
            return _store(conn, customers, options)
    return _side_by_side(engine, frame, options)


@dataclass(frozen=True)
class _Resolved:
    """A batch's new events with their customers resolved, before anything else is written."""

    fresh: pl.DataFrame
    received: int
    duplicates: list[Duplicate]
    customers_created: int


def _with_customers(conn: Connection, frame: pl.DataFrame) -> _Resolved | EventsResult:
    """The batch less the events the store holds, with customers resolved (new ones created);
    the result at once when every event is a duplicate."""
    fresh, duplicates = _split_duplicates(conn, frame)
    if fresh.height == 0:
        return EventsResult(received=frame.height, stored=0, duplicates=duplicates)
    fresh, created = with_customers(conn, fresh)
    return _Resolved(fresh, frame.height, duplicates, created)


def _store(conn: Connection, resolved: _Resolved, options: EventOptions) -> EventsResult:
    """Products, events, orders and live state of a resolved batch, in ``conn``'s transaction."""
    fresh = _with_products(conn, resolved.fresh)
    fresh, raced = _insert_events(conn, fresh)
    duplicates = sorted([*resolved.duplicates, *raced], key=lambda d: d.index)
    orders = _write_orders(conn, fresh, options.default_currency)
    updated = update_live_state(conn, fresh, options.lifecycle)
    return EventsResult(
        received=resolved.received,
        stored=fresh.height,
        duplicates=duplicates,
        customers_created=resolved.customers_created,
        orders_created=orders,
        live_states_updated=updated,
    )


def _side_by_side(engine: Engine, frame: pl.DataFrame, options: EventOptions) -> EventsResult:
    """PostgreSQL: customers in one short transaction, the rest in a second (see the module
    docstring); both run again when PostgreSQL aborts one as a deadlock."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                customers = _with_customers(conn, frame)
            if isinstance(customers, EventsResult):
                return customers
            with engine.begin() as conn:
                return _store(conn, customers, options)
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if attempt == ATTEMPTS or state not in _RETRIED_STATES:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _frame(events: Sequence[IncomingEvent]) -> pl.DataFrame:
    def text(value: dict[str, Any] | None) -> str | None:
        return None if value is None else _compact_json(value)

    columns: dict[str, list[Any]] = {
        "_row": list(range(len(events))),
        "source": [e.source for e in events],
        "event_key": [e.event_id for e in events],
        "event_type": [e.type for e in events],
        "occurred_at": [naive_utc(e.occurred_at) for e in events],
        "customer_id": [e.customer_id for e in events],
        CUSTOMER_KEY: [e.customer_key for e in events],
        "email": [e.email for e in events],
        "phone": [e.phone for e in events],
        "channel": [e.channel for e in events],
        "sku": [e.sku for e in events],
        "properties": [text(e.properties) for e in events],
        "amount": [e.amount for e in events],
        "currency": [e.currency for e in events],
        "order_number": [e.order_number for e in events],
    }
    return pl.DataFrame(columns, schema=_SCHEMA)


@contextmanager
def _sqlite_writer(engine: Engine) -> Iterator[Connection]:
    """A transaction that is SQLite's only writer (this process's threads queue for it first)."""
    with _lock_of(engine), engine.begin() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock_of(engine: Engine) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(engine, threading.Lock())


def _split_duplicates(
    conn: Connection, frame: pl.DataFrame
) -> tuple[pl.DataFrame, list[Duplicate]]:
    """The events to store, and the duplicates: stored before, or repeated in the batch."""
    stored = _ids_of(conn, table_of(Event), "event_key", frame)
    seen = set(zip(stored["source"].to_list(), stored["event_key"].to_list(), strict=True))
    keep: list[bool] = []
    duplicates: list[Duplicate] = []
    keys = zip(frame["source"].to_list(), frame["event_key"].to_list(), strict=True)
    for index, key in enumerate(keys):
        keep.append(key not in seen)
        if key in seen:
            duplicates.append(Duplicate(index, key[1]))
        seen.add(key)
    return frame.filter(pl.Series(keep, dtype=pl.Boolean)), duplicates


def _with_products(conn: Connection, frame: pl.DataFrame) -> pl.DataFrame:
    """``product_id`` of each event's SKU within its source; unknown SKUs are added."""
    skus = frame.select("source", "sku").drop_nulls().unique()
    if skus.height == 0:
        return frame.with_columns(pl.lit(None, pl.Int64).alias("product_id"))
    products = table_of(Product)
    ids = _ids_of(conn, products, "sku", skus)
    unknown = skus.join(ids, on=["source", "sku"], how="anti")
    if unknown.height:
        insert_ignore(conn, products, unknown.sort("source", "sku"))  # key order: no deadlock
        ids = pl.concat([ids, _ids_of(conn, products, "sku", unknown)])
    return frame.join(ids.rename({"id": "product_id"}), on=["source", "sku"], how="left")


def _insert_events(conn: Connection, fresh: pl.DataFrame) -> tuple[pl.DataFrame, list[Duplicate]]:
    """Insert the batch's new events; the events really stored, and those another batch in
    flight stored first (PostgreSQL only: on SQLite the batch is the only writer)."""
    rows = _event_rows(fresh)
    if conn.dialect.name != "postgresql":
        insert_ignore(conn, table_of(Event), rows)
        return fresh, []
    inserted = insert_ignore_returning(
        conn, table_of(Event), rows.sort("source", "event_key"), ("source", "event_key")
    )
    if len(inserted) == fresh.height:
        return fresh, []
    keys = ["source", "event_key"]
    stored = pl.DataFrame(inserted, schema=dict.fromkeys(keys, pl.String), orient="row")
    raced = fresh.join(stored, on=keys, how="anti", maintain_order="left")
    return (
        fresh.join(stored, on=keys, how="semi", maintain_order="left"),
        [Duplicate(int(i), str(k)) for i, k in raced.select("_row", "event_key").rows()],
    )


def _event_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "source",
        "event_key",
        "customer_id",
        "event_type",
        "occurred_at",
        "channel",
        pl.col("product_id").cast(pl.Int64),
        "properties",
    )


def _write_orders(conn: Connection, frame: pl.DataFrame, default_currency: str) -> int:
    """An order of one line per purchase event whose order number the source does not have."""
    purchases = frame.filter((pl.col("event_type") == PURCHASE) & pl.col("amount").is_not_null())
    if purchases.height == 0:
        return 0
    headers = purchases.select(
        "source",
        pl.coalesce("order_number", "event_key").alias("order_number"),
        "customer_id",
        "occurred_at",
        pl.lit(False).alias("is_return"),
        "channel",
        pl.col("currency").fill_null(default_currency),
        "product_id",
        "amount",
    ).unique(["source", "order_number"], keep="first", maintain_order=True)
    orders = table_of(Order)
    known = _ids_of(conn, orders, "order_number", headers).select("source", "order_number")
    new = headers.join(known, on=["source", "order_number"], how="anti")
    if new.height == 0:
        return 0
    if conn.dialect.name == "postgresql":  # only the orders this batch stored get a line
        inserted = insert_ignore_returning(
            conn,
            orders,
            new.drop("product_id", "amount").sort("source", "order_number"),
            ("source", "order_number", "id"),
        )
        schema = {"source": pl.String, "order_number": pl.String, "id": pl.Int64}
        ids = pl.DataFrame(inserted, schema=schema, orient="row")
    else:
        insert_ignore(conn, orders, new.drop("product_id", "amount"))
        ids = _ids_of(conn, orders, "order_number", new)
    lines = new.join(ids, on=["source", "order_number"]).select(
        pl.col("id").alias("order_id"),
        pl.lit(1).alias("line_number"),
        pl.col("product_id").cast(pl.Int64),
        pl.lit(1.0).alias("quantity"),
        pl.col("amount").alias("unit_price"),
        "amount",
        pl.lit(False).alias("is_outlier"),
    )
    insert_ignore(conn, table_of(OrderLine), lines)
    return lines.height


def _ids_of(conn: Connection, table: Table, key: str, wanted: pl.DataFrame) -> pl.DataFrame:
    """source, ``key`` and id of the rows of ``table`` whose (source, key) ``wanted`` names
    (one indexed look-up per source: a batch is small, so no staging table is needed)."""
    by_source: dict[str, set[str]] = {}
    for source, value in zip(wanted["source"].to_list(), wanted[key].to_list(), strict=True):
        if value is not None:
            by_source.setdefault(source, set()).add(value)
    rows: list[Any] = []
    for source, values in by_source.items():
        rows += select_by_keys(
            conn, table, key, values, ("source", key, "id"), where=table.c.source == source
        )
    schema = {"source": pl.String, key: pl.String, "id": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row")
