"""Time-window training examples: features as of a cut-off date, a label from the window after it.

:func:`training_examples` turns order lines into one row per (customer, cut-off). For each cut-off
``t`` the features are :func:`crmind.analytics.profile.build_profiles` of the lines with
``occurred_at <= t`` (``as_of=t``), so no feature can see the future; the label comes from the
*label window* ``(t, t + window_days]``. Only customers with a purchase (a non-return order) at or
before ``t`` get a row. The targets:

=========  =======  =========================================================================
target     type     label
=========  =======  =========================================================================
churn      Int64    1 when the customer places no purchase (non-return order) in the window,
                    else 0
purchase   Int64    1 when the customer places at least one purchase in the window, else 0
spend      Float64  net amount of the customer's lines in the window (returns are negative);
                    0 without any
=========  =======  =========================================================================

By default the cut-offs are the last ``n_cutoffs`` dates ``spacing_days`` apart, the latest one
``window_days`` before the last line (at midnight), so every label window is complete. Explicit
cut-offs whose window runs past the last line are refused: their labels would be wrong.

Rows hold ``customer_id``, ``cutoff``, the feature columns and ``label``. The feature columns are
the profile's numeric columns plus two low-cardinality text columns, ``country`` and
``favourite_category`` (models should treat them as categorical); :data:`FEATURE_EXCLUDE` names
the columns that are never features (keys, times, the JSON ``channel_mix``, the label).
:func:`feature_columns` lists the features of a frame, :func:`scoring_features` builds the same
columns for scoring now, and :func:`assert_no_leakage` checks a frame of examples against lines.
Optional ``products``, ``customers`` and ``events`` frames go to ``build_profiles`` (events after
the cut-off are not counted; ``events_<type>`` columns are 0 where a type appears only later).
Filter ``is_outlier`` lines out of ``lines`` first to leave them out of features and labels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

import polars as pl

from crmind import columns as c
from crmind.analytics import profile as pf
from crmind.errors import ConfigurationError, ModelDataError

logger = logging.getLogger(__name__)

CUTOFF: Final = "cutoff"
LABEL: Final = "label"
TARGETS: Final = ("churn", "purchase", "spend")
Target = Literal["churn", "purchase", "spend"]

FEATURE_EXCLUDE: Final = frozenset(
    {
        c.CUSTOMER_ID,
        CUTOFF,
        LABEL,
        pf.AS_OF,
        pf.FIRST_ORDER_AT,
        pf.LAST_ORDER_AT,
        pf.CHANNEL_MIX,
    }
)
"""Columns never used as features: keys, times, the JSON channel mix and the label."""

FeatureBuilder = Callable[[pl.DataFrame, datetime], pl.DataFrame]
"""``(lines, cutoff) -> one row per customer``: how features are made as of a cut-off."""


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """The columns of ``frame`` that are features, in frame order."""
    return [name for name in frame.columns if name not in FEATURE_EXCLUDE]


def profile_features(
    lines: pl.DataFrame,
    cutoff: datetime,
    *,
    products: pl.DataFrame | None = None,
    customers: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``customer_id``, ``cutoff`` and the feature columns of every customer as of ``cutoff``."""
    seen = lines.filter(pl.col(c.OCCURRED_AT) <= cutoff)
    profiles = pf.build_profiles(
        seen, products=products, customers=customers, events=events, as_of=cutoff
    )
    keep = [name for name in profiles.columns if name not in FEATURE_EXCLUDE]
    return profiles.select(
        c.CUSTOMER_ID,
        pl.lit(cutoff, dtype=pl.Datetime("us")).alias(CUTOFF),
        *keep,
    )


def default_cutoffs(
    lines: pl.DataFrame, *, n_cutoffs: int = 3, spacing_days: int = 30, window_days: int = 90
) -> list[datetime]:
    """The last ``n_cutoffs`` midnights ``spacing_days`` apart with a complete label window."""
    _check_positive(n_cutoffs=n_cutoffs, spacing_days=spacing_days, window_days=window_days)
    first, last = _time_span(lines)
    latest = datetime.combine((last - timedelta(days=window_days)).date(), datetime.min.time())
    cutoffs = [latest - timedelta(days=spacing_days * k) for k in range(n_cutoffs - 1, -1, -1)]
    if cutoffs[0] <= first:
        raise ModelDataError(
            f"lines span {first:%Y-%m-%d} to {last:%Y-%m-%d}: too short for {n_cutoffs} cut-offs "
            f"{spacing_days} days apart with a {window_days}-day label window; the earliest "
            f"cut-off would be {cutoffs[0]:%Y-%m-%d}"
        )
    return cutoffs


def training_examples(
    lines: pl.DataFrame,
    *,
    cutoffs: Sequence[datetime] | None = None,
    n_cutoffs: int = 3,
    spacing_days: int = 30,
    window_days: int = 90,
    target: Target = "churn",
    products: pl.DataFrame | None = None,
    customers: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per customer and cut-off: features as of the cut-off and the window's label.

    See the module docstring for the label definitions. Rows are sorted by cut-off, then customer.
    """
    if target not in TARGETS:
        raise ConfigurationError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    pf.require_columns(lines, pf.LINE_COLUMNS, "lines")
    _check_positive(window_days=window_days)
    if cutoffs is None:
        chosen = default_cutoffs(
            lines, n_cutoffs=n_cutoffs, spacing_days=spacing_days, window_days=window_days
        )
    else:
        chosen = _checked_cutoffs(lines, cutoffs, window_days)
    window = timedelta(days=window_days)
    parts = []
    for cutoff in chosen:
        features = profile_features(
            lines, cutoff, products=products, customers=customers, events=events
        )
        labels = _window_labels(lines, cutoff, cutoff + window, target)
        parts.append(_attach_labels(features, labels, target))
        logger.info("cut-off %s: %d examples", cutoff, features.height)
    examples = pl.concat(parts, how="diagonal_relaxed")  # an event type may start later
    examples = examples.with_columns(pl.col(f"^{pf.EVENTS_PREFIX}.*$").fill_null(0))
    if examples.is_empty():
        raise ModelDataError("no customer bought before any cut-off; there are no examples")
    return examples


def scoring_features(
    lines: pl.DataFrame,
    *,
    as_of: datetime | None = None,
    products: pl.DataFrame | None = None,
    customers: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Features of every customer as of ``as_of`` (default: the last line), to score now.

    The columns are those of :func:`training_examples` without ``label``; ``cutoff`` holds
    ``as_of``.
    """
    pf.require_columns(lines, pf.LINE_COLUMNS, "lines")
    cutoff = pf.resolve_as_of(lines, as_of)
    if cutoff is None:
        raise ModelDataError("lines is empty: there is nobody to score")
    return profile_features(lines, cutoff, products=products, customers=customers, events=events)


def assert_no_leakage(
    lines: pl.DataFrame,
    examples: pl.DataFrame,
    cutoff_col: str = CUTOFF,
    *,
    build: FeatureBuilder | None = None,
    products: pl.DataFrame | None = None,
    customers: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
    tolerance: float = 1e-9,
) -> None:
    """Raise ModelDataError unless every feature of ``examples`` only uses lines up to its cut-off.

    For each cut-off the features are rebuilt with ``build`` (default: the profile features of
    :func:`training_examples`) from the lines with ``occurred_at <= cutoff`` only, and compared
    with the examples: a value that differs, a customer who had not bought by the cut-off, or a
    feature column the rebuild does not produce (so cannot be checked) is reported.
    """
    pf.require_columns(examples, (c.CUSTOMER_ID, cutoff_col), "examples")

    def rebuild(past: pl.DataFrame, cutoff: datetime) -> pl.DataFrame:
        if build is not None:
            return build(past, cutoff)
        return profile_features(past, cutoff, products=products, customers=customers, events=events)

    problems: list[str] = []
    for cutoff in sorted(examples[cutoff_col].unique().to_list()):
        given = examples.filter(pl.col(cutoff_col) == cutoff)
        fresh = rebuild(lines.filter(pl.col(c.OCCURRED_AT) <= cutoff), cutoff)
        problems.extend(_compare(given, fresh, cutoff, cutoff_col, tolerance))
    if problems:
        raise ModelDataError(
            "features leak information from after the cut-off: " + "; ".join(problems)
        )


def _compare(
    given: pl.DataFrame,
    fresh: pl.DataFrame,
    cutoff: datetime,
    cutoff_col: str,
    tolerance: float,
) -> list[str]:
    """What differs between ``given`` examples and ``fresh`` features rebuilt at ``cutoff``."""
    features = [name for name in given.columns if name not in FEATURE_EXCLUDE | {cutoff_col}]
    problems: list[str] = []
    unknown = [name for name in features if name not in fresh.columns]
    if unknown:
        problems.append(f"at {cutoff}: cannot rebuild column(s) {', '.join(unknown)} to check them")
    strangers = given.join(fresh, on=c.CUSTOMER_ID, how="anti").height
    if strangers:
        problems.append(f"at {cutoff}: {strangers} customer(s) had not bought by the cut-off")
    checked = [name for name in features if name in fresh.columns]
    joined = given.select(c.CUSTOMER_ID, *checked).join(
        fresh.select(c.CUSTOMER_ID, *checked), on=c.CUSTOMER_ID, how="inner", suffix="__fresh"
    )
    for name in checked:
        differs = _differs(pl.col(name), pl.col(f"{name}__fresh"), joined[name].dtype, tolerance)
        count = joined.select(differs.sum()).item()
        if count:
            problems.append(f"at {cutoff}: {name} differs for {count} customer(s)")
    return problems


def _differs(a: pl.Expr, b: pl.Expr, dtype: pl.DataType, tolerance: float) -> pl.Expr:
    """True where two values disagree; nulls only equal nulls, numbers within ``tolerance``."""
    if dtype.is_numeric():
        gap = (a.cast(pl.Float64) - b.cast(pl.Float64)).abs()
        scale = b.cast(pl.Float64).abs() + 1.0
        return (gap > tolerance * scale).fill_null(False) | (a.is_null() != b.is_null())
    return a.ne_missing(b)


def _window_labels(
    lines: pl.DataFrame, start: datetime, end: datetime, target: Target
) -> pl.DataFrame:
    """``customer_id`` and the label of every customer with a line in ``(start, end]``."""
    window = lines.filter(
        pl.col(c.CUSTOMER_ID).is_not_null()
        & (pl.col(c.OCCURRED_AT) > start)
        & (pl.col(c.OCCURRED_AT) <= end)
    )
    if target == "spend":
        value = pl.col(c.AMOUNT).sum()
    else:
        value = pl.col(c.ORDER_ID).filter(~pl.col(c.IS_RETURN)).n_unique().cast(pl.Float64)
    return window.group_by(c.CUSTOMER_ID).agg(value.alias(LABEL))


def _attach_labels(features: pl.DataFrame, labels: pl.DataFrame, target: Target) -> pl.DataFrame:
    """``features`` with the label column; customers without window lines get the empty label."""
    joined = features.join(labels, on=c.CUSTOMER_ID, how="left")
    value = pl.col(LABEL).fill_null(0.0)
    if target == "churn":
        label = (value == 0).cast(pl.Int64)
    elif target == "purchase":
        label = (value > 0).cast(pl.Int64)
    else:
        label = value.cast(pl.Float64)
    return joined.with_columns(label.alias(LABEL))


def _checked_cutoffs(
    lines: pl.DataFrame, cutoffs: Sequence[datetime], window_days: int
) -> list[datetime]:
    """Explicit cut-offs as sorted distinct naive UTC times, each with a complete window."""
    if not cutoffs:
        raise ConfigurationError("cutoffs is empty; give at least one date or leave it None")
    _, last = _time_span(lines)
    chosen = sorted({pf.naive_utc(cutoff) for cutoff in cutoffs})
    late = [t for t in chosen if t + timedelta(days=window_days) > last]
    if late:
        raise ModelDataError(
            f"the {window_days}-day label window after cut-off(s) "
            f"{', '.join(f'{t:%Y-%m-%d %H:%M}' for t in late)} runs past the last line "
            f"({last:%Y-%m-%d %H:%M}); its labels would be incomplete"
        )
    return chosen


def _time_span(lines: pl.DataFrame) -> tuple[datetime, datetime]:
    """First and last ``occurred_at`` of ``lines``."""
    first, last = lines[c.OCCURRED_AT].min(), lines[c.OCCURRED_AT].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        raise ModelDataError("lines is empty (or occurred_at holds no datetimes): no cut-offs")
    return first, last


def _check_positive(**values: int) -> None:
    """Raise ConfigurationError naming the first value below 1."""
    for name, value in values.items():
        if value < 1:
            raise ConfigurationError(f"{name} must be at least 1, not {value}")
