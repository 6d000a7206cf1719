"""Use case: measure model quality on a user's own file (``crmind evaluate ...``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from crmind.analytics.clv.evaluate import evaluate_clv
from crmind.errors import MappingError
from crmind.ingest import cleaning as clean
from crmind.ingest.readers import read_table
from crmind.predict.models import ModelKind
from crmind.predict.validation import cross_validate


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


def evaluate_churn_file(
    path: Path,
    *,
    target_col: str,
    id_col: str | None = None,
    folds: int = 5,
    random_state: int = 0,
    model: ModelKind = "lightgbm",
) -> dict[str, Any]:
    """Cross-validate the churn ``model`` and the logistic baseline on a one-row-per-customer
    file.

    Columns that read as numbers (95 % of their values) are numeric features, the rest are
    categories; the target's values must read as yes / no (yes, true, 1, churned ...).
    """
    table = read_table(path)
    columns = [c for c in table.frame.columns if c != "_row"]
    for name in (target_col, id_col):
        if name is not None and name not in columns:
            raise MappingError(path, f"no column {name!r}; columns found: {columns}")
    frame = table.frame.drop("_row")
    target = _yes_no(path, frame.get_column(target_col))
    features = _typed_features(frame.drop([n for n in (target_col, id_col) if n is not None]))
    return cross_validate(features, target, folds=folds, random_state=random_state, model=model)


_YES = {"yes", "y", "true", "t", "1", "churn", "churned", "1.0"}
_NO = {"no", "n", "false", "f", "0", "stayed", "retained", "0.0"}


def _yes_no(path: Path, values: pl.Series) -> np.ndarray:
    lowered = values.cast(pl.String).str.strip_chars().str.to_lowercase()
    known = lowered.is_in(list(_YES | _NO))
    if not known.all():
        bad = lowered.filter(~known).unique().head(3).to_list()
        raise MappingError(path, f"target values must be yes/no or 1/0; found {bad}")
    return lowered.is_in(list(_YES)).cast(pl.Int64).to_numpy()


def _typed_features(frame: pl.DataFrame) -> pl.DataFrame:
    typed = []
    for name in frame.columns:
        column = frame.get_column(name)
        parsed = clean.parse_decimal(column)
        given = column.drop_nulls().len()
        if given and parsed.invalid_count <= 0.05 * given:
            typed.append(parsed.values.alias(name))
        else:
            typed.append(clean.clean_text(column).alias(name))
    return pl.DataFrame(typed)
