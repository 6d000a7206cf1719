"""Why a tabular model (propensity, spend) scores a customer as it does.

Contributions are on the raw learner's scale — log-odds before calibration for a propensity, the
log of the expected spend for a spend model — so that for every row
``base value + sum of contributions == model.raw_score(X)``. A model's per-row offset (the spend
model starts from the customer's past spending rate) is part of the row's base value, so the
drivers explain how far the model moves from it. For LightGBM they are the booster's
own TreeSHAP values (``pred_contrib=True``); for the logistic model each feature contributes
coefficient x standardised value (summed over its one-hot or spline columns), and the base is the
intercept; for a blend of the two, each learner's contributions and base times its share.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from crmind.columns import CUSTOMER_ID
from crmind.errors import ModelDataError
from crmind.predict.tabular import TabularModel, row_chunks

DRIVER = pl.Struct({"feature": pl.String, "value": pl.String, "contribution": pl.Float64})


def contributions(model: TabularModel, X: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:  # noqa: N803
    """Per-row contributions (rows x ``model.feature_names_``) and base values, raw scale.

    A blend's are its learners' contributions and bases weighted by their shares of the raw
    score (:meth:`TabularModel.blend_shares`), so they still add up to it."""
    design = model.encode(X)
    tree_share, linear_share = model.blend_shares()
    values = np.zeros((design.shape[0], len(model.feature_names_)), dtype=np.float64)
    base = np.asarray(model.offset(X), dtype=np.float64).copy()
    if model.booster_ is not None:
        shap = np.asarray(
            model.booster_.predict(design, num_iteration=model.best_iteration_, pred_contrib=True),
            dtype=np.float64,
        )
        values += tree_share * shap[:, :-1]
        base += tree_share * shap[:, -1]
    if model.pipeline_ is not None:
        linear, intercept = _linear_contributions(model, design)
        values += linear_share * linear
        base += linear_share * intercept
    return values, base


def _linear_contributions(model: TabularModel, design: np.ndarray) -> tuple[np.ndarray, float]:
    """Coefficient x standardised input, summed per source feature, and the intercept."""
    assert model.pipeline_ is not None
    logistic = model.pipeline_[-1]
    coefficients = np.asarray(logistic.coef_, dtype=np.float64)[0]
    sources = np.asarray(model.linear_sources())
    # column j of the basis adds coefficient j x its value to its source feature: one product
    weights = (sources[:, None] == np.asarray(model.feature_names_)[None, :]) * coefficients[
        :, None
    ]
    per_feature = np.empty((design.shape[0], len(model.feature_names_)), dtype=np.float64)
    for rows in row_chunks(design.shape[0]):
        standardised = np.asarray(model.pipeline_[:-1].transform(design[rows]), dtype=np.float64)
        per_feature[rows] = standardised @ weights
    return per_feature, float(logistic.intercept_[0])


def global_importance(model: TabularModel, X: pl.DataFrame | None = None) -> pl.DataFrame:  # noqa: N803
    """One row per feature: total split ``gain`` (LightGBM; null for logistic) and, when ``X`` is
    given, ``mean_abs_contribution`` (mean |SHAP| on the raw scale); sorted most important first."""
    model._check_fitted("feature_names_")
    names = model.feature_names_
    if model.booster_ is not None:
        gains = model.booster_.feature_importance(
            importance_type="gain", iteration=model.best_iteration_
        )
        gain: list[float | None] = [float(value) for value in gains]
    else:
        gain = [None] * len(names)
    if X is not None:
        values, _ = contributions(model, X)
        mean_abs: list[float | None] = np.abs(values).mean(axis=0).tolist()
    else:
        mean_abs = [None] * len(names)
    frame = pl.DataFrame(
        {"feature": names, "gain": gain, "mean_abs_contribution": mean_abs},
        schema={"feature": pl.String, "gain": pl.Float64, "mean_abs_contribution": pl.Float64},
    )
    order = "mean_abs_contribution" if X is not None else "gain"
    return frame.sort(order, "feature", descending=[True, False], nulls_last=True)


def explain(
    model: TabularModel,
    X: pl.DataFrame,  # noqa: N803
    customer_ids: Sequence[object] | pl.Series,
    top: int | None = 5,
) -> pl.DataFrame:
    """The ``top`` drivers of each row's score (all features when ``top`` is None).

    Columns: ``customer_id``, ``base_value``, ``raw_score``, the prediction (named by
    ``model.output_name``: ``probability``, ``expected_spend``), ``drivers`` (a list of
    structs feature / value / contribution, largest |contribution| first) and ``text``, e.g.
    ``"tenure = 1: +0.81; Contract = Month-to-month: +0.54"``.
    """
    ids = customer_ids if isinstance(customer_ids, pl.Series) else pl.Series(list(customer_ids))
    if len(ids) != X.height:
        raise ModelDataError(f"X has {X.height} rows but customer_ids has {len(ids)}")
    if top is not None and top < 1:
        raise ModelDataError(f"top={top}: expected at least 1 (or None for every feature)")
    values, base = contributions(model, X)
    raw = base + values.sum(axis=1)
    names = np.asarray(model.feature_names_, dtype=object)
    shown = [_display(X.get_column(name)) for name in model.feature_names_]
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    rows = np.arange(X.height)
    columns: dict[str, pl.Series] = {}
    structs: list[pl.Expr] = []
    pieces: list[pl.Expr] = []
    for position in range(order.shape[1]):
        picked = order[:, position]
        value = np.empty(X.height, dtype=object)
        for index in np.unique(picked):
            chosen = picked == index
            value[chosen] = shown[index][rows[chosen]]
        feature, shown_value, contribution = (f"_f{position}", f"_v{position}", f"_c{position}")
        columns[feature] = pl.Series(names[picked], dtype=pl.String)
        columns[shown_value] = pl.Series(value, dtype=pl.String)
        columns[contribution] = pl.Series(values[rows, picked], dtype=pl.Float64)
        structs.append(
            pl.struct(
                pl.col(feature).alias("feature"),
                pl.col(shown_value).alias("value"),
                pl.col(contribution).alias("contribution"),
            )
        )
        pieces.append(
            pl.format("{} = {}: {}", feature, shown_value, _signed_2dp(pl.col(contribution)))
        )
    parts = pl.DataFrame(columns)
    explained = parts.select(
        pl.concat_list(structs).alias("drivers"),
        pl.concat_str(pieces, separator="; ").alias("text"),
    )
    return pl.DataFrame(
        {
            CUSTOMER_ID: ids,
            "base_value": base,
            "raw_score": raw,
            model.output_name: model.predict_output(X),
            "drivers": explained.get_column("drivers").cast(pl.List(DRIVER)),
            "text": explained.get_column("text"),
        }
    )


def _signed_2dp(contribution: pl.Expr) -> pl.Expr:
    """``+0.21`` / ``-1.05``: a number with its sign and two decimals, built column-wise."""
    cents = (contribution * 100).round(0).cast(pl.Int64)
    whole = (cents.abs() // 100).cast(pl.String)
    fraction = (cents.abs() % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("+"))
    return pl.concat_str([sign, whole, pl.lit("."), fraction])


def _display(column: pl.Series) -> np.ndarray:
    """Values as short text: integral floats without decimals, others to 4 significant digits,
    nulls as 'missing' (vectorised: one polars expression per column)."""
    if column.dtype.is_float():
        x = pl.col(column.name)
        text = (
            pl.when(x.is_null() | x.is_nan())
            .then(pl.lit("missing"))
            .when(x == x.round(0))
            .then(x.cast(pl.Int64).cast(pl.String))
            .otherwise(x.round_sig_figs(4).cast(pl.String).str.strip_suffix(".0"))
        )
        shown = column.to_frame().select(text).to_series()
    else:
        shown = column.cast(pl.String).fill_null("missing")
    return shown.to_numpy().astype(object)
