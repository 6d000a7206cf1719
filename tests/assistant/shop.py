"""A small shop for the assistant's tests, built through the import and recommendation
services as a user builds theirs: customers with e-mails and phones (English and Chinese),
products, orders with the shop's status column, and stored recommendations.

Orders the tests talk about (the rest are purchases of filler customers, so the recommender
has something to learn from):

| order | customer | status |
|---|---|---|
| A1001 | Ann Lee (ann.lee@example.com, +44 7911 123456) | shipped |
| A1002 | Ann Lee | pending |
| A1003 | Ann Lee | none (unknown: might have shipped) |
| A2001 | 王芳 (wang.fang@example.cn, +86 138 1234 5678) | 待发货 (pending) |
| A2002 | 王芳 | delivered |
| A3001 | Bo Chen (bo@example.org) | cancelled |
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, select

from crmind.ingest.fields import ImportKind
from crmind.services.importing import ImportRequest, import_file
from crmind.services.recommendation import RecommendOptions, train_and_recommend
from crmind.store.schema import CustomerIdentity, Order
from tests.api.sample_store import PRODUCTS

ANN = {"key": "C1", "name": "Ann Lee", "email": "ann.lee@example.com", "phone": "+44 7911 123456"}
WANG = {"key": "C2", "name": "王芳", "email": "wang.fang@example.cn", "phone": "+86 138 1234 5678"}
BO = {"key": "C3", "name": "Bo Chen", "email": "bo@example.org", "phone": ""}
PEOPLE = (ANN, WANG, BO)
FILLERS = 24
NAMED_ORDERS = [
    # number, customer, status, day, [(sku, quantity)]
    ("A1001", "C1", "shipped", "2024-03-01", [("MUG", 2), ("PLATE", 1)]),
    ("A1002", "C1", "pending", "2024-03-20", [("LAMP", 1)]),
    ("A1003", "C1", "", "2024-03-22", [("PEN", 1)]),
    ("A2001", "C2", "待发货", "2024-03-21", [("CUP", 3)]),
    ("A2002", "C2", "delivered", "2024-02-10", [("BAG", 1), ("BOOK", 2)]),
    ("A3001", "C3", "cancelled", "2024-01-05", [("RUG", 1)]),
]


@dataclass(frozen=True)
class Shop:
    engine: Engine
    customers: dict[str, int]  # source key (C1, ...) -> customer id
    orders: dict[str, int]  # order number -> order id

    @property
    def ann(self) -> int:
        return self.customers["C1"]

    @property
    def wang(self) -> int:
        return self.customers["C2"]

    @property
    def bo(self) -> int:
        return self.customers["C3"]


def write_files(directory: Path) -> dict[ImportKind, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    people = [
        *PEOPLE,
        *(
            {"key": f"F{i}", "name": f"Filler {i}", "email": f"f{i}@example.com", "phone": ""}
            for i in range(FILLERS)
        ),
    ]
    paths = {
        ImportKind.CUSTOMERS: directory / "customers.csv",
        ImportKind.PRODUCTS: directory / "products.csv",
        ImportKind.ORDERS: directory / "orders.csv",
    }
    pl.DataFrame(
        {
            "customer_id": [p["key"] for p in people],
            "name": [p["name"] for p in people],
            "email": [p["email"] for p in people],
            "phone": [p["phone"] for p in people],
        }
    ).write_csv(paths[ImportKind.CUSTOMERS])
    pl.DataFrame(
        {
            "sku": [p[0] for p in PRODUCTS],
            "name": [p[1] for p in PRODUCTS],
            "category": [p[2] for p in PRODUCTS],
            "price": [p[3] for p in PRODUCTS],
        }
    ).write_csv(paths[ImportKind.PRODUCTS])
    price = {sku: p for sku, _, _, p in PRODUCTS}
    lines: list[dict[str, object]] = []
    for number, customer, status, day, items in NAMED_ORDERS:
        for sku, quantity in items:
            lines.append(_line(number, customer, f"{day} 10:00:00", sku, quantity, price, status))
    for i in range(FILLERS):  # each filler buys three products in two orders
        skus = [PRODUCTS[(i + j * 3) % len(PRODUCTS)][0] for j in range(3)]
        for n, chunk in enumerate((skus[:2], skus[2:])):
            stamp = f"2024-0{1 + (i + n) % 3}-{10 + i % 15} 09:00:00"
            for sku in chunk:
                lines.append(_line(f"F{i}-{n}", f"F{i}", stamp, sku, 1, price, "delivered"))
    pl.DataFrame(lines).write_csv(paths[ImportKind.ORDERS])
    return paths


def _line(
    number: str,
    customer: str,
    when: str,
    sku: str,
    quantity: int,
    price: dict[str, float],
    status: str,
) -> dict[str, object]:
    return {
        "order_number": number,
        "customer_id": customer,
        "occurred_at": when,
        "sku": sku,
        "quantity": quantity,
        "unit_price": price[sku],
        "order_status": status,
    }


def build_shop(engine: Engine, directory: Path, *, recommend: bool = True) -> Shop:
    """Import the shop into the store on ``engine`` (and store recommendations)."""
    for kind, path in write_files(directory).items():
        summary = import_file(engine, ImportRequest(kind=kind, path=path, source="shop"))
        assert summary.rows_rejected == 0, (kind, summary.reject_reasons)
    if recommend:
        options = RecommendOptions(model="popularity", k=3, test_days=20)
        train_and_recommend(engine, options, directory / "models")
    with engine.connect() as conn:
        keys = conn.execute(
            select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == "source_key"
            )
        ).all()
        orders = conn.execute(select(Order.order_number, Order.id)).all()
    return Shop(
        engine,
        {str(value): int(customer) for value, customer in keys},
        {str(number): int(order_id) for number, order_id in orders},
    )
