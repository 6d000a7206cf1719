"""Rules of each kind of import, applied after every field has been parsed.

Documented rules (README "Import rules" repeats them for users):

orders
  - ``quantity`` missing -> 1. ``amount`` missing -> quantity x unit price; ``unit_price``
    missing -> amount / quantity. A quantity of 0 or a negative unit price is rejected.
  - A return is an order whose number starts with the preset's return prefix (UCI: "C"), or
    whose ``is_return`` column says so, or whose lines all have negative quantities.
  - A line identical to an earlier one (same order, product, quantity, price, time and
    customer) is rejected as a duplicate of that row.
  - All lines of an order belong to the customer of its first line; a line naming another
    customer is rejected. The order's time is the earliest of its lines.
  - No customer key, e-mail or phone -> a guest order (stored, with no customer).
  - Quantities and unit prices far outside the file's usual range are flagged ``is_outlier``.
customers / products / events / feedback
  - A key seen twice in one file is rejected at its second row ("duplicate ... first at row N").
  - Columns that map to no field are kept as ``attributes`` (customers, products) or
    ``properties`` (events), as JSON.
  - Events and feedback without an id get one from a digest of their content, so the same
    file imports the same rows.
"""

from __future__ import annotations

import hashlib

import polars as pl

from crmind import columns as c
from crmind.ingest import cleaning as clean
from crmind.ingest.fields import IDENTITY_FIELDS, ImportKind
from crmind.ingest.mapping import ColumnMapping
from crmind.ingest.presets import Preset
from crmind.ingest.readers.model import RawTable
from crmind.ingest.validate import Checked, ValidationOptions

EXTRAS = "extras"
"""JSON text of the columns no field uses (attributes of customers, properties of events)."""


def apply_rules(
    kind: ImportKind,
    checked: Checked,
    table: RawTable,
    mapping: ColumnMapping,
    options: ValidationOptions,
    preset: Preset | None,
) -> None:
    """Add the kind's derived columns and reasons to ``checked`` in place."""
    if kind is ImportKind.ORDERS:
        _orders(checked, options, preset)
    elif kind is ImportKind.CUSTOMERS:
        _need_identity(checked)
        _extras(checked, table, mapping)
        _no_duplicates(checked, _first_present(checked, IDENTITY_FIELDS))
    elif kind is ImportKind.PRODUCTS:
        checked.add_reason(
            c.PRICE,
            pl.when(pl.col(c.PRICE) < 0).then(
                pl.format("negative price {}", _as_written(checked.frame, c.PRICE))
            ),
        )
        _extras(checked, table, mapping)
        _no_duplicates(checked, c.PRODUCT_ID)
    elif kind is ImportKind.EVENTS:
        _extras(checked, table, mapping)
        _content_key(checked, table, c.EVENT_ID)
        _no_duplicates(checked, c.EVENT_ID)
    elif kind is ImportKind.FEEDBACK:
        _content_key(checked, table, c.FEEDBACK_ID)
        _no_duplicates(checked, c.FEEDBACK_ID)


def _orders(checked: Checked, options: ValidationOptions, preset: Preset | None) -> None:
    frame = checked.frame
    if preset is not None and preset.order_number_from:
        frame = frame.with_columns(_synthesized_order_number(preset.order_number_from))
    qty = pl.col(c.QUANTITY).cast(pl.Float64)
    frame = frame.with_columns(qty.fill_null(1.0).alias(c.QUANTITY))
    frame = frame.with_columns(
        pl.coalesce(
            pl.col(c.AMOUNT).cast(pl.Float64), qty * pl.col(c.UNIT_PRICE).cast(pl.Float64)
        ).alias(c.AMOUNT),
        pl.coalesce(
            pl.col(c.UNIT_PRICE).cast(pl.Float64),
            pl.when(qty != 0).then(pl.col(c.AMOUNT).cast(pl.Float64) / qty),
        ).alias(c.UNIT_PRICE),
        pl.col(c.CURRENCY)
        .cast(pl.String)
        .str.to_uppercase()
        .fill_null(options.default_currency)
        .alias(c.CURRENCY),
    )
    checked.frame = frame
    checked.add_reason(
        c.ORDER_NUMBER,
        pl.when(pl.col(c.ORDER_NUMBER).is_null()).then(
            pl.lit("missing required field 'order_number'")
        ),
    )
    given = [f"_raw__{f}" for f in (c.UNIT_PRICE, c.AMOUNT) if f"_raw__{f}" in frame.columns]
    neither = pl.all_horizontal([pl.col(col).is_null() for col in given] or [pl.lit(True)])
    checked.add_reason(
        c.AMOUNT,
        pl.when(neither).then(pl.lit("missing required field 'unit_price or amount'")),
    )
    checked.add_reason(c.QUANTITY, pl.when(pl.col(c.QUANTITY) == 0).then(pl.lit("quantity is 0")))
    checked.add_reason(
        c.UNIT_PRICE,
        pl.when(pl.col(c.UNIT_PRICE) < 0).then(
            pl.format("negative unit price {}", _as_written(checked.frame, c.UNIT_PRICE))
        ),
    )
    checked.add_reason(
        c.CURRENCY,
        pl.when(~pl.col(c.CURRENCY).str.contains(r"^[A-Z]{3}$")).then(
            pl.format("currency '{}' is not a 3-letter ISO 4217 code", pl.col(c.CURRENCY))
        ),
    )
    line_key = [
        c.ORDER_NUMBER,
        c.PRODUCT_ID,
        c.QUANTITY,
        c.UNIT_PRICE,
        c.AMOUNT,
        c.OCCURRED_AT,
        c.CUSTOMER_ID,
        c.EMAIL,
        c.PHONE,
    ]
    _no_duplicates(
        checked,
        line_key,
        what="duplicate line: same order, product, quantity, price, time and customer as row {}",
    )
    _one_customer_per_order(checked)
    ok = ~checked.failing()
    frame = checked.frame
    is_return = pl.col(c.IS_RETURN).cast(pl.Boolean)
    if preset is not None and preset.return_prefix:
        is_return = is_return.fill_null(
            pl.col(c.ORDER_NUMBER).str.starts_with(preset.return_prefix)
        )
    frame = frame.with_columns(
        is_return.alias(c.IS_RETURN),
        (
            clean.flag_outliers(frame[c.QUANTITY])
            | clean.flag_outliers(frame[c.UNIT_PRICE].fill_null(0))
        ).alias(c.IS_OUTLIER),
    )
    # rows are in file order: the n-th valid line of an order is its line n
    line_number = ok.cast(pl.Int64).cum_sum().over(c.ORDER_NUMBER)
    checked.frame = frame.with_columns(pl.when(ok).then(line_number).alias(c.LINE_NUMBER))


def _as_written(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A field's value as the file wrote it, else as parsed."""
    parsed = pl.col(name).cast(pl.String)
    raw = f"_raw__{name}"
    return pl.coalesce(pl.col(raw), parsed) if raw in frame.columns else parsed


def _synthesized_order_number(parts: tuple[str, ...]) -> pl.Expr:
    raws = [pl.col(f"_raw__{p}").str.replace_all(r"[^0-9A-Za-z]", "") for p in parts]
    base = pl.concat_str(raws, separator="-")
    repeat = pl.int_range(1, pl.len() + 1).over(parts, order_by=c.ROW)
    return (
        pl.when(repeat > 1)
        .then(pl.concat_str([base, repeat.cast(pl.String)], separator="-"))
        .otherwise(base)
        .alias(c.ORDER_NUMBER)
    )


def _one_customer_per_order(checked: Checked) -> None:
    ok = ~checked.failing()
    checked.frame = checked.frame.with_columns(
        pl.col(c.CUSTOMER_ID).filter(ok).first().over(c.ORDER_NUMBER).alias("_order_customer"),
        pl.col(c.ROW).filter(ok).first().over(c.ORDER_NUMBER).alias("_order_first_row"),
    )
    differs = pl.col(c.CUSTOMER_ID).ne_missing(pl.col("_order_customer"))
    checked.add_reason(
        c.CUSTOMER_ID,
        pl.when(ok & pl.col("_order_first_row").is_not_null() & differs).then(
            pl.format(
                "order {} belongs to customer {} (row {}), not {}",
                pl.col(c.ORDER_NUMBER),
                pl.col("_order_customer").fill_null("(guest)"),
                pl.col("_order_first_row"),
                pl.col(c.CUSTOMER_ID).fill_null("(guest)"),
            )
        ),
    )
    checked.frame = checked.frame.drop("_order_customer", "_order_first_row")


def _need_identity(checked: Checked) -> None:
    present = pl.any_horizontal([pl.col(f).is_not_null() for f in IDENTITY_FIELDS])
    checked.add_reason(
        c.CUSTOMER_ID,
        pl.when(~present & ~checked.failing()).then(
            pl.lit("no customer_id, email or phone: the row identifies no one")
        ),
    )


def _first_present(checked: Checked, names: tuple[str, ...]) -> str:
    for name in names:
        if checked.frame[name].null_count() < checked.frame.height:
            return name
    return names[0]


def _no_duplicates(
    checked: Checked, key: str | list[str], what: str = "duplicate {key} '{value}' within the file"
) -> None:
    """Reject every repeat of ``key`` among rows that pass so far, naming the first row."""
    keys = [key] if isinstance(key, str) else key
    ok = ~checked.failing()
    present = pl.any_horizontal([pl.col(k).is_not_null() for k in keys])
    candidate = ok & present
    first_row = pl.col(c.ROW).filter(candidate).min().over(keys)
    checked.frame = checked.frame.with_columns(
        pl.when(candidate).then(first_row).alias("_first_row")
    )
    if isinstance(key, str):
        message = pl.format(
            what.replace("{key}", key).replace("'{value}'", "'{}'") + " (first at row {})",
            pl.col(key).cast(pl.String),
            pl.col("_first_row"),
        )
    else:
        message = pl.format(what, pl.col("_first_row"))
    checked.add_reason(
        keys[0],
        pl.when(ok & present & (pl.col("_first_row") != pl.col(c.ROW))).then(message),
    )
    checked.frame = checked.frame.drop("_first_row")


def _extras(checked: Checked, table: RawTable, mapping: ColumnMapping) -> None:
    if not mapping.unused:
        checked.frame = checked.frame.with_columns(pl.lit(None, pl.String).alias(EXTRAS))
        return
    extras = table.frame.select(
        pl.struct([clean.clean_text(table.frame[col]).alias(col) for col in mapping.unused])
        .struct.json_encode()
        .alias(EXTRAS)
    )
    checked.frame = checked.frame.with_columns(extras[EXTRAS])


def _content_key(checked: Checked, table: RawTable, key: str) -> None:
    """Fill a missing id with a digest of the record's content (stable across imports).

    Identical records are all kept: the second gets the suffix ``-2``, the third ``-3``, ...
    """
    content = table.frame.select(pl.struct(pl.exclude(c.ROW)).struct.json_encode()).to_series()
    digests = pl.Series(
        [
            "sha1:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:24]
            for text in content.to_list()
        ],
        dtype=pl.String,
    )
    repeat = pl.int_range(1, pl.len() + 1).over("_digest", order_by=c.ROW)
    derived = (
        pl.when(repeat > 1)
        .then(pl.concat_str([pl.col("_digest"), repeat.cast(pl.String)], separator="-"))
        .otherwise(pl.col("_digest"))
    )
    checked.frame = (
        checked.frame.with_columns(digests.alias("_digest"))
        .with_columns(pl.coalesce(pl.col(key), derived).alias(key))
        .drop("_digest")
    )
