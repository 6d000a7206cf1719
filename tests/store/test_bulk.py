from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from sqlalchemy import Engine, select

from crmind.store import bulk
from crmind.store.bulk import fetch_ids, insert_ignore, insert_returning_ids, upsert
from crmind.store.schema import Customer, Order, Product, table_of

PRODUCTS = table_of(Product)
ORDERS = table_of(Order)
CUSTOMERS = table_of(Customer)


@pytest.fixture(autouse=True, params=["unnest", "copy"])
def postgres_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs both PostgreSQL paths: rows in arrays (small frames) and COPY (large)."""
    if request.param == "copy":
        monkeypatch.setattr(bulk, "UNNEST_MAX_ROWS", 0)
    return str(request.param)


def _products(*skus: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"source": ["shop"] * len(skus), "sku": list(skus), "name": [f"n{s}" for s in skus]}
    )


def test_insert_ignore_counts_only_new_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        assert insert_ignore(conn, PRODUCTS, _products("a", "b")) == 2
        assert insert_ignore(conn, PRODUCTS, _products("b", "c")) == 1
        names = conn.execute(select(Product.sku, Product.name).order_by(Product.sku)).all()
    assert [tuple(r) for r in names] == [("a", "na"), ("b", "nb"), ("c", "nc")]


def test_insert_ignore_keeps_datetimes_and_booleans_readable(engine: Engine) -> None:
    when = datetime(2011, 12, 9, 12, 50, 0, 123456)
    frame = pl.DataFrame(
        {
            "source": ["s"],
            "order_number": ["1"],
            "occurred_at": [when],
            "is_return": [True],
            "currency": ["GBP"],
        }
    )
    with engine.begin() as conn:
        insert_ignore(conn, ORDERS, frame)
        row = conn.execute(select(Order.occurred_at, Order.is_return)).one()
    assert row == (when, True)


def test_fetch_ids_returns_only_stored_keys(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_ignore(conn, PRODUCTS, _products("a", "b"))
        keys = pl.DataFrame({"source": ["shop", "shop", "other"], "sku": ["a", "zz", "b"]})
        found = fetch_ids(conn, PRODUCTS, keys)
    assert found["sku"].to_list() == ["a"]
    assert found.schema["id"] == pl.Int64


def test_fetch_ids_of_no_keys_is_empty(engine: Engine) -> None:
    with engine.begin() as conn:
        found = fetch_ids(
            conn, PRODUCTS, pl.DataFrame(schema={"source": pl.String, "sku": pl.String})
        )
    assert found.height == 0


def test_upsert_replaces_the_given_columns_of_stored_keys_and_adds_new_ones(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_ignore(conn, PRODUCTS, _products("a", "b").with_columns(pl.lit(1.0).alias("price")))
        changes = pl.DataFrame({"source": ["shop", "shop"], "sku": ["b", "c"], "name": ["B", "C"]})
        upsert(conn, PRODUCTS, changes, ("source", "sku"))
        rows = conn.execute(
            select(Product.sku, Product.name, Product.price).order_by(Product.sku)
        ).all()
    assert [tuple(r) for r in rows] == [("a", "na", 1.0), ("b", "B", 1.0), ("c", "C", None)]


@pytest.mark.postgres
def test_array_literals_round_trip_every_awkward_text(postgres_engine: Engine) -> None:
    values = ["a", None, 'say "hi"', "back\\slash", "", "NULL", " padded ", "{,}", "é中", "x,y"]
    with postgres_engine.connect() as conn:
        got = (
            conn.exec_driver_sql(
                "SELECT unnest(%(a)s::text[])", {"a": bulk.pg_array_literal(pl.Series(values))}
            )
            .scalars()
            .all()
        )
    assert got == values
    assert bulk.pg_array_literal(pl.Series([], dtype=pl.String)) == "{}"


def test_select_by_keys_finds_text_keys_with_quotes_and_commas(engine: Engine) -> None:
    skus = ["A,1", 'B"2', "C\\3", "plain"]
    frame = pl.DataFrame({"source": ["s"] * 4, "sku": skus, "name": skus})
    with engine.begin() as conn:
        insert_ignore(conn, table_of(Product), frame)
        found = bulk.select_by_keys(conn, table_of(Product), "sku", [*skus, "absent"], ["sku"])
    assert sorted(row[0] for row in found) == sorted(skus)


def test_insert_returning_ids_gives_the_ids_in_row_order_with_json_and_datetimes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "UNNEST_MAX_ROWS", 2)  # three chunks on PostgreSQL
    when = datetime(2011, 12, 9, 12, 50, 0, 123456)
    frame = pl.DataFrame(
        {
            "city": ["Leeds", "York", None, "Bath", "Ely"],
            "attributes": ['{"tier": "gold"}', None, '{"n": 1}', "{}", '{"q": "a\\"b"}'],
            "signed_up_at": [when, None, when, when, when],
        }
    )
    with engine.begin() as conn:
        first = insert_returning_ids(conn, CUSTOMERS, frame)
        again = insert_returning_ids(conn, CUSTOMERS, frame.head(1))
        rows = conn.execute(
            select(Customer.id, Customer.city, Customer.attributes, Customer.signed_up_at)
        ).all()
    assert len(set(first)) == 5
    assert again[0] not in first
    stored = {row[0]: tuple(row[1:]) for row in rows}
    assert [stored[i][0] for i in first] == ["Leeds", "York", None, "Bath", "Ely"]
    assert [stored[i][1] for i in first] == [{"tier": "gold"}, None, {"n": 1}, {}, {"q": 'a"b'}]
    assert stored[first[0]][2] == when
    assert stored[first[1]][2] is None
    assert stored[again[0]][0] == "Leeds"


def test_insert_returning_ids_of_no_rows_inserts_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        assert insert_returning_ids(conn, CUSTOMERS, pl.DataFrame({"city": []})) == []
