"""The dashboard's overview figures on a real store: orders and revenue count sales only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from crmind.ingest.fields import ImportKind
from crmind.services.dashboard_overview import overview
from crmind.services.importing import ImportRequest, import_file


def test_cancelled_orders_count_neither_as_orders_nor_as_revenue(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order,customer,sku,description,qty,price,date,status\n"
        "1,C1,A,Mug,2,10,2024-03-01,delivered\n"
        "2,C1,A,Mug,1,99,2024-03-09,Cancelled\n"
        "3,C2,A,Mug,1,10,2024-04-02,\n"
        "R3,C2,A,Mug,-1,10,2024-04-05,returned\n",
        encoding="utf-8",
    )
    import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=path, preset=None))
    view = overview(engine)
    assert view.orders == 2  # the return is not an order, the cancelled one not a sale
    assert view.revenue == pytest.approx(20.0)  # 20 + 10 - 10
    assert view.revenue_by_month == [("2024-03", 20.0), ("2024-04", 0.0)]
