"""Duplicates across two imported sources: found, reviewed, merged, kept apart and unmerged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from crmind.ingest.fields import ImportKind
from crmind.services.identity import customer_records, find_duplicates, merge_duplicates
from crmind.services.identity_store import exclude_pair, merge_history, unmerge
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import Customer, Order, OrderLine

FIRST = ["anna", "bruno", "chloe", "dmitri", "elena", "farid", "greta", "hugo", "ines", "jonas"]
LAST = ["keller", "lindqvist", "moreau", "novak", "okafor", "petrov", "quinn", "rossi"]
STREETS = ["oak street", "mill lane", "harbour road", "station avenue", "church walk"]
CITIES = ["leeds", "york", "bath", "derby", "exeter", "hull"]


def people() -> pl.DataFrame:
    """40 distinct people of the shop; rows are one customer each."""
    rng = np.random.default_rng(7)
    rows = []
    for index in range(40):
        first, last = FIRST[index % 10], LAST[(index * 3 + index // 10) % 8]
        rows.append(
            {
                "customer_id": f"S{index}",
                "first_name": first.title(),
                "last_name": last.title(),
                "email": f"{first}.{last}{index}@example.com",
                "phone": f"+44 20 7946 {index:04d}",
                "birth_date": f"{1950 + rng.integers(0, 50)}-0{1 + index % 9}-{10 + index % 18}",
                "address": f"{index + 1} {STREETS[index % 5]}",
                "city": CITIES[index % 6].title(),
                "postcode": f"LS{index % 9} {index}AB",
            }
        )
    return pl.DataFrame(rows)


def crm_duplicates(shop: pl.DataFrame) -> pl.DataFrame:
    """The same 8 people as the CRM holds them: another id and e-mail, a typo, no phone."""
    picked = shop[[0, 3, 7, 11, 18, 24, 29, 35]]
    return picked.with_columns(
        ("dup-" + pl.col("customer_id").str.slice(1)).alias("customer_id"),
        (pl.col("first_name").str.slice(0, 1) + pl.col("first_name").str.slice(2)).alias(
            "first_name"
        ),  # a dropped letter
        pl.col("email").str.replace("@example.com", "@mail.example.org"),
        pl.lit(None, dtype=pl.String).alias("phone"),
        pl.col("address").str.to_uppercase(),
    )


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    shop = people()
    crm = crm_duplicates(shop)
    for name, frame in (("shop", shop), ("crm", crm)):
        path = tmp_path / f"{name}.csv"
        frame.write_csv(path)
        import_file(
            engine,
            ImportRequest(kind=ImportKind.CUSTOMERS, path=path, source=name),
            reports_dir=tmp_path,
        )
    orders = pl.DataFrame(
        {
            "order_id": [f"O{i}" for i in range(6)],
            "customer_id": ["S0", "dup-0", "dup-0", "S3", "dup-3", "S5"],
            "date": ["2024-01-0" + str(i + 1) for i in range(6)],
            "sku": ["A"] * 6,
            "description": ["Mug"] * 6,
            "quantity": [1, 2, 3, 1, 1, 1],
            "price": [10.0, 20.0, 5.0, 7.0, 8.0, 9.0],
        }
    )
    for name, mine in (("shop", own_of_shop()), ("crm", ~own_of_shop())):
        part = orders.filter(mine)
        path = tmp_path / f"{name}-orders.csv"
        part.write_csv(path)
        summary = import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=path, source=name))
        assert summary.rows_rejected == 0
    return engine


def own_of_shop() -> pl.Expr:
    return ~pl.col("customer_id").str.starts_with("dup")


def _totals(engine: Engine) -> tuple[int, float]:
    with engine.connect() as conn:
        orders = conn.execute(select(func.count(Order.id))).scalar_one()
        amount = conn.execute(select(func.sum(OrderLine.amount))).scalar_one()
    return int(orders), float(amount)


def test_the_duplicates_across_sources_are_found_with_their_reasons(store: Engine) -> None:
    found = find_duplicates(store)
    assert found.customers == 48
    assert len(found.clusters) == 8
    assert all(len(cluster) == 2 for cluster in found.clusters)
    top = found.pairs.row(0, named=True)
    assert top["probability"] >= 0.9
    assert "last_name" in top["agree"]
    assert "birth_date" in top["agree"]
    assert "phone" in top["missing"]
    assert "first_name" in top["similar"]
    assert found.pairs.filter(pl.col("probability") >= 0.9).height == 8


def test_a_dry_run_changes_nothing_and_apply_keeps_every_order(store: Engine) -> None:
    before = _totals(store)
    found, result = merge_duplicates(store)
    assert result is None
    assert len(found.clusters) == 8
    assert customer_records(store).height == 48
    found, result = merge_duplicates(store, apply=True)
    assert result is not None
    assert len(result.merged) == 8
    assert not result.refused
    assert customer_records(store).height == 40
    assert _totals(store) == before
    with store.connect() as conn:
        anna = conn.execute(
            select(Order.customer_id).where(Order.order_number.in_(["O0", "O1", "O2"]))
        ).scalars()
        assert len(set(anna)) == 1  # all of the person's orders now on the survivor
        merged = conn.execute(
            select(func.count(Customer.id)).where(Customer.merged_into.is_not(None))
        ).scalar_one()
    assert merged == 8


def test_unmerge_restores_the_customer_and_its_orders(store: Engine) -> None:
    before = _totals(store)
    with store.connect() as conn:
        owners_before = dict(conn.execute(select(Order.order_number, Order.customer_id)).all())
    merge_duplicates(store, apply=True)
    for record in merge_history(store):
        unmerge(store, record.id)
    with store.connect() as conn:
        owners_after = dict(conn.execute(select(Order.order_number, Order.customer_id)).all())
    assert owners_after == owners_before
    assert customer_records(store).height == 48
    assert _totals(store) == before


def test_customers_marked_not_the_same_are_never_merged(store: Engine) -> None:
    records = customer_records(store)

    def customer(email: str) -> int:
        return int(records.filter(pl.col("email") == email)["customer_id"][0])

    for row in people()[[3, 11]].iter_rows(named=True):
        local = row["email"].split("@")[0]
        shop, crm = customer(f"{local}@example.com"), customer(f"{local}@mail.example.org")
        assert exclude_pair(store, shop, crm, reason="twins")
    found, result = merge_duplicates(store, apply=True)
    assert result is not None
    assert len(found.clusters) == 6
    assert customer_records(store).height == 42
