"""The import on whole public data sets: every row accounted for, nothing stored twice."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crmind.data import ONLINE_RETAIL, ONLINE_RETAIL_ROWS
from crmind.ingest.fields import ImportKind
from crmind.services.demo import import_demo_data, store_report
from crmind.services.importing import ImportRequest, import_file
from crmind.store.frames import order_lines
from crmind.store.schema import Customer, ImportReject, Order, OrderLine
from tests.conftest import shared_data
from tests.store_probe import count

pytestmark = pytest.mark.slow


def test_bundled_online_retail_is_the_public_file() -> None:
    original = shared_data("online_retail_uci/online_retail.csv.xz")
    assert ONLINE_RETAIL.read_bytes() == original.read_bytes()


def test_online_retail_accounts_for_every_row_and_second_import_adds_nothing(
    engine: Engine,
) -> None:
    first = import_demo_data(engine)
    assert first.rows_read == ONLINE_RETAIL_ROWS
    assert first.rows_new + first.rows_rejected == ONLINE_RETAIL_ROWS
    assert count(engine, OrderLine) == first.rows_new
    assert count(engine, ImportReject) == first.rows_rejected
    # the rejects are the file's exact duplicate lines and its two negative-price adjustments
    assert dict(first.reject_reasons)["negative unit price N"] == 2
    assert count(engine, Customer) == 4_372
    second = import_demo_data(engine)
    assert second.status == "already imported"
    assert second.rows_new == 0
    assert count(engine, OrderLine) == first.rows_new

    lines = order_lines(engine)
    assert lines.height == first.rows_new
    returns = lines.filter(lines["order_number"].str.starts_with("C"))
    assert returns["is_return"].all()
    assert (returns["quantity"] < 0).all()
    report = store_report(engine)
    assert report.first_order is not None
    assert report.first_order.year == 2010
    assert report.top_countries[0][0] == "United Kingdom"


def test_cdnow_preset_imports_the_master_file(sqlite_engine: Engine) -> None:
    path = shared_data("cdnow/CDNOW_master.txt")
    summary = import_file(
        sqlite_engine, ImportRequest(kind=ImportKind.ORDERS, path=path, preset="cdnow")
    )
    assert summary.rows_read == 69_659
    assert summary.rows_read == summary.rows_stored + summary.rows_rejected
    assert summary.rows_rejected == 0
    assert count(sqlite_engine, Customer) == 23_570
    assert count(sqlite_engine, Order) == 69_659
    lines = order_lines(sqlite_engine)
    assert lines["amount"].sum() == pytest.approx(2_500_315.63, abs=0.01)
    assert lines["occurred_at"].min().year == 1997  # type: ignore[union-attr]
