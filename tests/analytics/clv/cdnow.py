"""The CDNOW files of ../shared/data/cdnow, read for the CLV tests (skipped when absent).

Published figures they are checked against: Fader, Hardie & Lee (2005) for BG/NBD and
Gamma-Gamma, Fader & Hardie's Pareto/NBD note for Pareto/NBD, all on the 2,357-customer sample,
calibration weeks 1-39 (1997-01-01 .. 1997-09-30).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crmind.analytics.clv.history import FloatArray
from tests.conftest import shared_data

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"

BG_NBD_PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BG_NBD_PUBLISHED_LL = -9582.4
PARETO_NBD_PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PARETO_NBD_PUBLISHED_LL = -9595.0
GAMMA_GAMMA_PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def _whitespace_table(path: Path, names: list[str] | None) -> pl.DataFrame:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if names is None:
        names, rows = rows[0], rows[1:]
    return pl.DataFrame(rows, schema=names, orient="row")


def master() -> pl.DataFrame:
    """CDNOW_master.txt as text columns: customer_id, date, number_of_cds, dollar_value."""
    return _whitespace_table(shared_data("cdnow/CDNOW_master.txt"), None)


def sample() -> pl.DataFrame:
    """CDNOW_sample.txt as text columns: master_id, customer_id (sample id), date, cds, value."""
    names = ["master_id", "customer_id", "date", "cds", "value"]
    return _whitespace_table(shared_data("cdnow/CDNOW_sample.txt"), names)


def summary() -> pl.DataFrame:
    """cdnow_customers_summary.csv: ID, frequency, recency, T (weeks)."""
    return pl.read_csv(shared_data("cdnow/cdnow_customers_summary.csv"))


def summary_with_spend() -> pl.DataFrame:
    """cdnow_customers_summary_with_transactions.csv: ID, x, t_x, T, zbar."""
    return pl.read_csv(shared_data("cdnow/cdnow_customers_summary_with_transactions.csv"))


def arrays(frame: pl.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
    """frequency, recency, T of :func:`summary`."""
    return (
        frame["frequency"].to_numpy().astype(float),
        frame["recency"].to_numpy().astype(float),
        frame["T"].to_numpy().astype(float),
    )
