from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from crmind.ingest.fields import ImportKind
from crmind.services.importing import ImportRequest, import_file
from crmind.store import frames
from crmind.store.frames import ORDER_LINE_TYPES, order_lines, table_frame


@pytest.fixture
def stored(engine: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order,customer,sku,description,qty,price,date\n"
        "1,C1,A,Mug,2,3.5,2024-03-01 10:00:00\n"
        "1,C1,B,Plate,1,5,2024-03-01 10:00:00\n"
        "C2,C1,A,Mug,-1,3.5,2024-03-02 09:30:15\n"
        "3,,B,Plate,1,5,2024-03-03 08:00:00\n",
        encoding="utf-8",
    )
    import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=path, preset=None))
    return engine


def test_order_lines_have_the_documented_types_and_values(stored: Engine) -> None:
    lines = order_lines(stored).sort("order_number", "line_number")
    assert dict(lines.schema) == ORDER_LINE_TYPES
    assert lines["order_number"].to_list() == ["1", "1", "3", "C2"]
    assert lines["amount"].to_list() == [7.0, 5.0, 5.0, -3.5]
    assert lines["occurred_at"][3] == datetime(2024, 3, 2, 9, 30, 15)
    assert lines["customer_id"].null_count() == 1
    assert lines["is_return"].to_list() == [False, False, False, True]


def test_adbc_and_sqlalchemy_paths_give_the_same_frame(
    stored: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = order_lines(stored).sort("line_id")
    monkeypatch.setattr(frames, "_read_adbc", lambda engine, sql: None)
    slow = order_lines(stored).sort("line_id")
    assert_frame_equal(fast, slow)


def test_table_frame_reads_a_whole_table(stored: Engine) -> None:
    products = table_frame(stored, "products", {"id": pl.Int64()})
    assert sorted(products["sku"].to_list()) == ["A", "B"]


def test_cancelled_orders_are_not_sales(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order,customer,sku,description,qty,price,date,status\n"
        "1,C1,A,Mug,1,10,2024-03-01,shipped\n"
        "2,C1,A,Mug,1,20,2024-03-02, Cancelled \n"
        "3,C1,A,Mug,1,30,2024-03-03,CANCELED\n"
        "4,C1,A,Mug,1,40,2024-03-04,已取消\n"
        "5,C1,A,Mug,1,50,2024-03-05,void\n"
        "6,C1,A,Mug,1,60,2024-03-06,\n"
        "7,C1,A,Mug,1,70,2024-03-07,cancellation requested\n",
        encoding="utf-8",
    )
    import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=path, preset=None))
    lines = order_lines(engine).sort("order_number")
    assert lines["order_number"].to_list() == ["1", "6", "7"]
    assert table_frame(engine, "orders").height == 7  # still stored, with their status
