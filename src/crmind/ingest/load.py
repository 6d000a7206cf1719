"""Write one batch of validated rows into the store, inside the caller's transaction.

Every write is an insert that skips rows whose natural key is already stored, so a batch that
is written twice (a resumed import, the same file again) adds nothing the second time. Each
writer returns how many rows of the batch were new and how many the store already had.

Customers' personal fields are written encrypted with the context's cipher, with their search
hashes and name tokens (:mod:`crmind.privacy.customer_fields`).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Table, bindparam, func, select, update

from crmind import columns as c
from crmind.ingest.fields import ImportKind
from crmind.ingest.identity import CUSTOMER_KEY, RESOLVED, resolve_customers
from crmind.ingest.rules import EXTRAS
from crmind.privacy.crypto import FieldCipher
from crmind.privacy.customer_fields import (
    NAME_FIELDS,
    protect,
    replace_search_tokens,
    reveal,
    search_tokens,
)
from crmind.store.bulk import decode_json_text, fetch_ids, insert_ignore
from crmind.store.schema import (
    Customer,
    Event,
    Feedback,
    Order,
    OrderLine,
    Product,
    table_of,
)


@dataclass(frozen=True)
class LoadContext:
    """What every batch of one import shares."""

    kind: ImportKind
    source: str
    import_run_id: int
    cipher: FieldCipher  # encrypts customers' personal fields, hashes keys for search
    orders: pl.DataFrame | None = None  # one row per order number: header fields of the order
    products: pl.DataFrame | None = None  # one row per product code named in an orders file


@dataclass(frozen=True)
class BatchCounts:
    new: int
    existing: int


def order_headers(valid: pl.DataFrame) -> pl.DataFrame:
    """One row per order: the earliest time, the first line's fields, and whether it is a return."""
    return (
        valid.sort(c.ROW)
        .group_by(c.ORDER_NUMBER, maintain_order=True)
        .agg(
            pl.col(c.OCCURRED_AT).min(),
            pl.col(c.CHANNEL).first(),
            pl.col(c.COUNTRY).first(),
            pl.col(c.CURRENCY).first(),
            pl.col(c.STATUS).first(),
            pl.coalesce(pl.col(c.IS_RETURN).first(), (pl.col(c.QUANTITY) < 0).all()).alias(
                c.IS_RETURN
            ),
        )
    )


def product_catalogue(valid: pl.DataFrame) -> pl.DataFrame | None:
    """Products named by an orders file: each code with its most frequent name and category."""
    if valid[c.PRODUCT_NAME].null_count() == valid.height:
        return None
    return (
        valid.filter(pl.col(c.PRODUCT_ID).is_not_null())
        .group_by(c.PRODUCT_ID)
        .agg(
            pl.col(c.PRODUCT_NAME).drop_nulls().mode().sort().first().alias("name"),
            pl.col(c.CATEGORY).drop_nulls().mode().sort().first().alias("category"),
        )
        .rename({c.PRODUCT_ID: "sku"})
    )


def write_batch(conn: Connection, batch: pl.DataFrame, context: LoadContext) -> BatchCounts:
    """Write the validated rows of ``batch``; returns new and already-stored row counts."""
    writers = {
        ImportKind.ORDERS: _write_orders,
        ImportKind.CUSTOMERS: _write_customers,
        ImportKind.PRODUCTS: _write_products,
        ImportKind.EVENTS: _write_events,
        ImportKind.FEEDBACK: _write_feedback,
    }
    if batch.height == 0:
        return BatchCounts(0, 0)
    return writers[context.kind](conn, batch, context)


def _resolve(
    conn: Connection, batch: pl.DataFrame, context: LoadContext, profile: dict[str, pl.Expr]
) -> tuple[pl.DataFrame, frozenset[int]]:
    people = batch.select(
        c.ROW,
        pl.col(c.CUSTOMER_ID).cast(pl.String).alias(CUSTOMER_KEY),
        pl.col(c.EMAIL).cast(pl.String),
        pl.col(c.PHONE).cast(pl.String),
        *(expr.alias(name) for name, expr in profile.items() if name not in (c.EMAIL, c.PHONE)),
    )
    resolution = resolve_customers(
        conn, context.source, people, context.import_run_id, tuple(profile), cipher=context.cipher
    )
    joined = batch.drop(c.CUSTOMER_ID).join(resolution.rows, on=c.ROW, how="left")
    return joined, resolution.created_ids


def _product_ids(conn: Connection, batch: pl.DataFrame, context: LoadContext) -> pl.DataFrame:
    skus = batch.select(pl.col(c.PRODUCT_ID).cast(pl.String).alias("sku")).drop_nulls().unique()
    products = table_of(Product)
    if context.products is not None:
        named = context.products.join(skus, on="sku", how="semi").with_columns(
            pl.lit(context.source).alias("source"),
            pl.lit(context.import_run_id, pl.Int64).alias("import_run_id"),
        )
        insert_ignore(conn, products, named)
    keys = skus.select(pl.lit(context.source).alias("source"), "sku")
    ids = fetch_ids(conn, products, keys).select("sku", pl.col("id").alias("_product"))
    return (
        batch.join(ids, left_on=pl.col(c.PRODUCT_ID).cast(pl.String), right_on="sku", how="left")
        .drop(c.PRODUCT_ID)
        .rename({"_product": c.PRODUCT_ID})
    )


def _write_orders(conn: Connection, batch: pl.DataFrame, context: LoadContext) -> BatchCounts:
    if context.orders is None:
        raise ValueError("an orders import needs the order headers in its LoadContext")
    batch, _ = _resolve(
        conn, batch, context, {"name": pl.col(c.NAME), "country": pl.col(c.COUNTRY)}
    )
    batch = _product_ids(conn, batch, context)
    customer_of_order = batch.sort(c.ROW).group_by(c.ORDER_NUMBER).agg(pl.col(RESOLVED).first())
    headers = context.orders.join(customer_of_order, on=c.ORDER_NUMBER, how="inner").with_columns(
        pl.lit(context.source).alias("source"),
        pl.lit(context.import_run_id, pl.Int64).alias("import_run_id"),
    )
    orders = table_of(Order)
    insert_ignore(conn, orders, headers)
    keys = headers.select("source", c.ORDER_NUMBER)
    ids = fetch_ids(conn, orders, keys).select(c.ORDER_NUMBER, pl.col("id").alias("order_id"))
    lines = batch.join(ids, on=c.ORDER_NUMBER, how="left").select(
        "order_id",
        c.LINE_NUMBER,
        c.PRODUCT_ID,
        c.QUANTITY,
        c.UNIT_PRICE,
        c.AMOUNT,
        pl.col(c.IS_OUTLIER).fill_null(False),
        pl.lit(context.import_run_id, pl.Int64).alias("import_run_id"),
    )
    inserted = insert_ignore(conn, table_of(OrderLine), lines)
    return BatchCounts(inserted, batch.height - inserted)


CUSTOMER_PROFILE = {
    "name": pl.col(c.NAME),
    "first_name": pl.col(c.FIRST_NAME),
    "last_name": pl.col(c.LAST_NAME),
    "email": pl.col(c.EMAIL),
    "phone": pl.col(c.PHONE),
    "country": pl.col(c.COUNTRY),
    "city": pl.col(c.CITY),
    "postcode": pl.col(c.POSTCODE),
    "address": pl.col(c.ADDRESS),
    "birth_date": pl.col(c.BIRTH_DATE),
    "gender": pl.col(c.GENDER),
    "signed_up_at": pl.col(c.CREATED_AT),
    "attributes": pl.col(EXTRAS),
}


def _write_customers(conn: Connection, batch: pl.DataFrame, context: LoadContext) -> BatchCounts:
    batch, created = _resolve(conn, batch, context, CUSTOMER_PROFILE)
    is_new = pl.col(RESOLVED).is_in(list(created))
    existing = batch.filter(~is_new)
    if existing.height:
        profile = existing.select(
            pl.col(RESOLVED).alias("_id"), *(e.alias(n) for n, e in CUSTOMER_PROFILE.items())
        )
        _update_given(conn, table_of(Customer), protect(profile, context.cipher))
        renamed = profile.filter(pl.any_horizontal(pl.col(n).is_not_null() for n in NAME_FIELDS))
        _refresh_search_tokens(conn, renamed.get_column("_id").unique().to_list(), context)
    new = batch.filter(is_new).height
    return BatchCounts(new, batch.height - new)


def _refresh_search_tokens(conn: Connection, ids: list[int], context: LoadContext) -> None:
    """Rebuild the name tokens of customers whose names an import changed, from the names
    now stored (a row may have set the first name and kept the stored last name)."""
    if not ids:
        return
    table = table_of(Customer)
    columns = [table.c.id.label("customer_id"), *(table.c[n] for n in NAME_FIELDS)]
    names = []
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        rows = conn.execute(select(*columns).where(table.c.id.in_(chunk))).all()
        names.append(
            pl.DataFrame(
                rows,
                schema={"customer_id": pl.Int64, **dict.fromkeys(NAME_FIELDS, pl.String)},
                orient="row",
            )
        )
    stored = reveal(pl.concat(names), context.cipher)
    replace_search_tokens(conn, search_tokens(stored, context.cipher), ids)


def _update_given(conn: Connection, table: Table, values: pl.DataFrame) -> None:
    """Set each given (non-null) value on the row ``_id``; null values leave the column as is."""
    names = [n for n in values.columns if n != "_id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({n: func.coalesce(bindparam(n, type_=table.c[n].type), table.c[n]) for n in names})
    )
    records = values.to_dicts()
    decode_json_text(records, "attributes")
    conn.execute(statement, records)


def _write_products(conn: Connection, batch: pl.DataFrame, context: LoadContext) -> BatchCounts:
    rows = batch.select(
        pl.lit(context.source).alias("source"),
        pl.col(c.PRODUCT_ID).alias("sku"),
        pl.col(c.PRODUCT_NAME).alias("name"),
        pl.col(c.DESCRIPTION).cast(pl.String).alias("description"),
        pl.col(c.CATEGORY).cast(pl.String).alias("category"),
        pl.col(c.BRAND).cast(pl.String).alias("brand"),
        pl.col(c.PRICE).cast(pl.Float64).alias("price"),
        pl.col(EXTRAS).alias("attributes"),
        pl.lit(context.import_run_id, pl.Int64).alias("import_run_id"),
    )
    inserted = insert_ignore(conn, table_of(Product), rows)
    return BatchCounts(inserted, batch.height - inserted)


def _write_events(conn: Connection, batch: pl.DataFrame, context: LoadContext) -> BatchCounts:
    batch, _ = _resolve(conn, batch, context, {})
    batch = _product_ids(conn, batch, context)
    rows = batch.select(
        pl.lit(context.source).alias("source"),
        pl.col(c.EVENT_ID).alias("event_key"),
        pl.col(RESOLVED).alias("customer_id"),
        pl.col(c.EVENT_TYPE).alias("event_type"),
        c.OCCURRED_AT,
        pl.col(c.CHANNEL).cast(pl.String),
        pl.col(c.PRODUCT_ID).cast(pl.Int64),
        pl.col(EXTRAS).alias("properties"),
        pl.lit(context.import_run_id, pl.Int64).alias("import_run_id"),
    )
    inserted = insert_ignore(conn, table_of(Event), rows)
    return BatchCounts(inserted, batch.height - inserted)


def _write_feedback(conn: Connection, batch: pl.DataFrame, context: LoadContext) -> BatchCounts:
    batch, _ = _resolve(conn, batch, context, {})
    batch = _product_ids(conn, batch, context)
    numbers = batch.select(
        pl.lit(context.source).alias("source"), pl.col(c.ORDER_NUMBER).cast(pl.String)
    ).drop_nulls()
    order_ids = fetch_ids(conn, table_of(Order), numbers).select(
        c.ORDER_NUMBER, pl.col("id").alias("order_id")
    )
    batch = batch.with_columns(pl.col(c.ORDER_NUMBER).cast(pl.String)).join(
        order_ids, on=c.ORDER_NUMBER, how="left"
    )
    rows = batch.select(
        pl.lit(context.source).alias("source"),
        pl.col(c.FEEDBACK_ID).alias("feedback_key"),
        pl.col(RESOLVED).alias("customer_id"),
        pl.col(c.PRODUCT_ID).cast(pl.Int64),
        pl.col("order_id").cast(pl.Int64),
        c.TEXT,
        pl.col(c.RATING).cast(pl.Float64),
        pl.col(c.LANGUAGE).cast(pl.String),
        pl.col(c.CHANNEL).cast(pl.String),
        pl.col(c.OCCURRED_AT).cast(pl.Datetime("us")),
        pl.lit(context.import_run_id, pl.Int64).alias("import_run_id"),
    )
    inserted = insert_ignore(conn, table_of(Feedback), rows)
    return BatchCounts(inserted, batch.height - inserted)
