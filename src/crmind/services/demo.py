"""Use case: build the demo store from the bundled UCI Online Retail data and describe it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from crmind.data import ONLINE_RETAIL, UCI_SENTENCES
from crmind.ingest.fields import ImportKind
from crmind.services.importing import ImportRequest, ImportSummary, ProgressCallback, import_file
from crmind.store.frames import order_lines, table_frame


@dataclass(frozen=True)
class StoreReport:
    """A short description of the orders in the store."""

    customers: int
    orders: int
    returns: int
    guest_orders: int
    order_lines: int
    products: int
    gross_revenue: float
    net_revenue: float
    first_order: datetime | None
    last_order: datetime | None
    repeat_customer_share: float
    top_countries: list[tuple[str, float]]
    top_products: list[tuple[str, float]]


def import_demo_data(
    engine: Engine,
    *,
    reports_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    path: Path = ONLINE_RETAIL,
) -> ImportSummary:
    """Import the bundled Online Retail file (a second call finds it imported and adds nothing)."""
    request = ImportRequest(kind=ImportKind.ORDERS, path=path, preset="online-retail")
    return import_file(engine, request, reports_dir=reports_dir, progress=progress)


def import_demo_feedback(
    engine: Engine, *, reports_dir: Path | None = None, path: Path = UCI_SENTENCES
) -> ImportSummary:
    """Import the bundled UCI review sentences as feedback (no customers: they are anonymous
    reviews of phones, restaurants and films), so the demo can read their sentiment and
    topics."""
    request = ImportRequest(kind=ImportKind.FEEDBACK, path=path, source="uci-sentences")
    return import_file(engine, request, reports_dir=reports_dir)


def store_report(engine: Engine, top: int = 5) -> StoreReport:
    """Customers, orders, revenue and the leading countries and products, from the store."""
    lines = order_lines(engine)
    products = table_frame(engine, "products").select("id", "name")
    orders = lines.unique("order_id").select("order_id", "customer_id", "is_return", "occurred_at")
    sales = orders.filter(~pl.col("is_return"))
    per_customer = sales.drop_nulls("customer_id").group_by("customer_id").len()
    by_country = (
        lines.group_by("country")
        .agg(pl.col("amount").sum())
        .sort("amount", descending=True)
        .head(top)
    )
    by_product = (
        lines.join(products, left_on="product_id", right_on="id", how="left")
        .group_by("name")
        .agg(pl.col("amount").sum())
        .drop_nulls("name")
        .sort("amount", descending=True)
        .head(top)
    )
    return StoreReport(
        customers=per_customer.height,
        orders=sales.height,
        returns=orders.height - sales.height,
        guest_orders=sales.filter(pl.col("customer_id").is_null()).height,
        order_lines=lines.height,
        products=products.height,
        gross_revenue=float(lines.filter(pl.col("quantity") > 0)["amount"].sum()),
        net_revenue=float(lines["amount"].sum()),
        first_order=orders["occurred_at"].min(),  # type: ignore[arg-type]
        last_order=orders["occurred_at"].max(),  # type: ignore[arg-type]
        repeat_customer_share=(
            per_customer.filter(pl.col("len") > 1).height / per_customer.height
            if per_customer.height
            else 0.0
        ),
        top_countries=[(str(k), float(v)) for k, v in by_country.iter_rows()],
        top_products=[(str(k), float(v)) for k, v in by_product.iter_rows()],
    )
