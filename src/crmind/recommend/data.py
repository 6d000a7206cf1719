"""Interactions: who bought (or rated) what, as a frame and as a sparse user x item matrix.

An *interactions* frame has ``user_id``, ``item_id`` and ``value`` (a rating, or an implicit
strength such as a quantity), optionally ``occurred_at``. :func:`interactions_from_lines` makes one
from the store's order lines: per customer and product, the net quantity (or the number of orders)
with returns netted out, keeping only positive totals. :func:`build_matrix` indexes the ids and
sums duplicate pairs into a CSR matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import csr_matrix

from crmind import columns as c
from crmind.errors import ModelDataError

USER: Final = "user_id"
ITEM: Final = "item_id"
VALUE: Final = "value"
TIME: Final = "occurred_at"

Strength = Literal["quantity", "orders"]


@dataclass(frozen=True)
class InteractionMatrix:
    """Users x items with the summed values; ``users`` / ``items`` are the ids of rows / columns."""

    users: npt.NDArray[np.generic]
    items: npt.NDArray[np.generic]
    matrix: csr_matrix
    item_ids: pl.Series  # ``items`` with their polars dtype, to build result frames

    def items_at(self, columns: npt.NDArray[np.int64]) -> pl.Series:
        """The item ids of ``columns``, with the dtype they came in."""
        return self.item_ids.gather(columns)

    def user_rows(self, user_ids: Sequence[object] | pl.Series) -> npt.NDArray[np.int64]:
        """Row of each user id, -1 for a user not in the matrix."""
        return _positions(self.users, user_ids)

    def item_columns(self, item_ids: Sequence[object] | pl.Series) -> npt.NDArray[np.int64]:
        """Column of each item id, -1 for an item not in the matrix."""
        return _positions(self.items, item_ids)


def check_interactions(interactions: pl.DataFrame) -> pl.DataFrame:
    """``user_id``, ``item_id``, ``value`` (Float64) and ``occurred_at`` if present, or a clear
    ModelDataError naming what is missing or wrong."""
    missing = [name for name in (USER, ITEM, VALUE) if name not in interactions.columns]
    if missing:
        raise ModelDataError(
            f"interactions lack column(s) {', '.join(missing)}; they have "
            f"{', '.join(interactions.columns)}"
        )
    keep = [USER, ITEM, VALUE] + ([TIME] if TIME in interactions.columns else [])
    frame = interactions.select(keep).with_columns(pl.col(VALUE).cast(pl.Float64))
    nulls = {name: frame[name].null_count() for name in (USER, ITEM, VALUE)}
    bad = {name: count for name, count in nulls.items() if count}
    if bad:
        raise ModelDataError(f"interactions have missing values: {bad}")
    if frame.is_empty():
        raise ModelDataError("interactions are empty: there is nothing to learn from")
    return frame


def build_matrix(
    interactions: pl.DataFrame, items: Sequence[object] | pl.Series | None = None
) -> InteractionMatrix:
    """Index users (in order of first appearance, sorted) and items (``items`` first, so a
    catalogue's items without interactions get columns too) and sum values per pair."""
    frame = check_interactions(interactions)
    users = frame.get_column(USER).unique().sort()
    known = frame.get_column(ITEM).unique().sort()
    if items is not None:
        catalogue = pl.Series(ITEM, list(items), dtype=known.dtype)
        known = pl.concat([catalogue, known.filter(~known.is_in(catalogue.implode()))])
    rows = _positions_series(users, frame.get_column(USER))
    cols = _positions_series(known, frame.get_column(ITEM))
    matrix = csr_matrix(
        (frame.get_column(VALUE).to_numpy().astype(np.float32), (rows, cols)),
        shape=(users.len(), known.len()),
    )
    matrix.sum_duplicates()
    return InteractionMatrix(
        users=users.to_numpy(), items=known.to_numpy(), matrix=matrix, item_ids=known.rename(ITEM)
    )


def interactions_from_lines(
    lines: pl.DataFrame, *, strength: Strength = "quantity"
) -> pl.DataFrame:
    """Implicit interactions from order lines (``customer_id``, ``product_id``, ``quantity``,
    ``order_id``, ``is_return``, ``occurred_at``): net quantity, or number of orders, per customer
    and product, returns netted; pairs whose net is not positive are dropped. ``occurred_at`` is
    the last purchase."""
    needed = [c.CUSTOMER_ID, c.PRODUCT_ID, c.QUANTITY, c.ORDER_ID, c.IS_RETURN, c.OCCURRED_AT]
    missing = [name for name in needed if name not in lines.columns]
    if missing:
        raise ModelDataError(f"order lines lack column(s) {', '.join(missing)}")
    known = lines.filter(pl.col(c.CUSTOMER_ID).is_not_null() & pl.col(c.PRODUCT_ID).is_not_null())
    signed = (
        pl.when(pl.col(c.IS_RETURN))
        .then(-pl.col(c.QUANTITY).abs())
        .otherwise(pl.col(c.QUANTITY).abs())
    )
    if strength == "quantity":
        value = signed.sum().cast(pl.Float64)
    else:
        bought = pl.col(c.ORDER_ID).filter(~pl.col(c.IS_RETURN)).n_unique()
        net = signed.sum()
        value = pl.when(net > 0).then(bought).otherwise(0).cast(pl.Float64)
    grouped = known.group_by(c.CUSTOMER_ID, c.PRODUCT_ID).agg(
        value.alias(VALUE),
        pl.col(c.OCCURRED_AT).filter(~pl.col(c.IS_RETURN)).max().alias(TIME),
    )
    return (
        grouped.filter(pl.col(VALUE) > 0)
        .rename({c.CUSTOMER_ID: USER, c.PRODUCT_ID: ITEM})
        .sort(USER, ITEM)
    )


def _positions(
    index: npt.NDArray[np.generic], ids: Sequence[object] | pl.Series
) -> npt.NDArray[np.int64]:
    return _positions_series(
        pl.Series(index), pl.Series(list(ids)) if not isinstance(ids, pl.Series) else ids
    )


def _positions_series(index: pl.Series, ids: pl.Series) -> npt.NDArray[np.int64]:
    lookup = pl.DataFrame({"id": index, "position": np.arange(index.len(), dtype=np.int64)})
    try:
        wanted = pl.DataFrame({"id": ids.cast(index.dtype, strict=False)})
    except pl.exceptions.InvalidOperationError:
        return np.full(ids.len(), -1, dtype=np.int64)
    found = wanted.join(lookup, on="id", how="left", maintain_order="left")
    return found.get_column("position").fill_null(-1).to_numpy().astype(np.int64)
