"""Use case: measure model quality on a user's own file (``crmind evaluate ...``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from crmind.analytics.clv.evaluate import evaluate_clv
from crmind.errors import MappingError
from crmind.ingest.readers import read_table


def evaluate_clv_file(
    path: Path,
    *,
    calibration_end: datetime,
    holdout_end: datetime | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    amount_col: str = "amount",
    time_unit: str = "week",
) -> dict[str, Any]:
    """Read transactions from ``path`` and evaluate the lifetime-value models on them.

    The columns are read as the file writes them (dates as ISO text or ``YYYYMMDD``, amounts as
    numbers); a missing column is a MappingError naming the file and the columns it has.
    """
    table = read_table(path)
    missing = [c for c in (customer_col, date_col, amount_col) if c not in table.frame.columns]
    if missing:
        columns = [c for c in table.frame.columns if c != "_row"]
        raise MappingError(path, f"no column {missing}; columns found: {columns}")
    transactions = table.frame.select(
        pl.col(customer_col), pl.col(date_col), pl.col(amount_col).cast(pl.Float64)
    )
    return evaluate_clv(
        transactions,
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        time_unit=time_unit,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
    )
