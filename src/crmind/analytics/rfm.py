"""RFM scores (recency, frequency, monetary quintiles) and the named RFM segments.

:func:`rfm_scores` reads a profile frame (see :mod:`crmind.analytics.profile`): ``recency_days``,
``order_count`` and ``monetary_total``. Each measure becomes a score from 1 to 5 by quintile over
the customers given: 5 is best, i.e. the most recent (lowest ``recency_days``), the most orders,
the largest net spend. Ranks are ordinal: customers are sorted by the measure, ties broken by
``customer_id``, and the i-th of n (counting from 0) gets ``1 + floor(5 * i / n)``. So each score
holds a fifth of the customers (give or take one) even where many share a value, such as the
one-order customers, and a rerun gives the same scores (as pandas' ``qcut(rank(method="first"))``).

Segments follow the widely used R/FM grid: the R score against FM, the mean of the F and M
scores (1, 1.5, ..., 5). The grid, R down and FM across:

=====  ===============  ===================  ========  ================
R      FM 1–1.5         FM 2–2.5             FM 3–3.5  FM 4–5
=====  ===============  ===================  ========  ================
5      New              Potential Loyalists  Loyal     Champions
4      Promising        Potential Loyalists  Loyal     Champions
3      About to Sleep   Need Attention       Loyal     Loyal
2      Hibernating      Hibernating          At Risk   At Risk
1      Lost             Lost                 At Risk   Cannot Lose Them
=====  ===============  ===================  ========  ================

The same as rules (:data:`RFM_SEGMENTS`); every score combination meets exactly one:

===================  =============================================  ===============================
segment              rule                                           who they are
===================  =============================================  ===============================
Champions            R 4–5 and FM 4–5                               bought recently, buy often and
                                                                    spend the most
Loyal                R 3–5 and FM 3–5, unless Champions             buy regularly and spend well
Potential Loyalists  R 4–5 and FM 2–2.5                             recent, with average orders and
                                                                    spend: could become loyal
New                  R 5 and FM 1–1.5                               bought very recently, little so
                                                                    far
Promising            R 4 and FM 1–1.5                               bought fairly recently, little
                                                                    so far
Need Attention       R 3 and FM 2–2.5                               average on all three, drifting
About to Sleep       R 3 and FM 1–1.5                               below average and slipping away
At Risk              R 1–2 and FM 3–5, unless Cannot Lose Them      bought often and spent well,
                                                                    but long ago
Cannot Lose Them     R 1 and FM 4–5                                 once among the best, not back
                                                                    for a long time
Hibernating          R 2 and FM 1–2.5                               long since the last purchase,
                                                                    few orders, low spend
Lost                 R 1 and FM 1–2.5                               lowest on all three
===================  =============================================  ===============================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from crmind import columns as c
from crmind.analytics.profile import MONETARY_TOTAL, ORDER_COUNT, RECENCY_DAYS, require_columns
from crmind.errors import ModelDataError

R_SCORE: Final = "r_score"
F_SCORE: Final = "f_score"
M_SCORE: Final = "m_score"
FM_SCORE: Final = "fm_score"
RFM_SCORE: Final = "rfm_score"
RFM_SEGMENT: Final = "rfm_segment"

RFM_COLUMNS: Final = (c.CUSTOMER_ID, R_SCORE, F_SCORE, M_SCORE, FM_SCORE, RFM_SCORE, RFM_SEGMENT)
"""The columns :func:`rfm_scores` returns, in order."""


@dataclass(frozen=True)
class SegmentRule:
    """A named RFM segment: a rectangle of the R/FM grid, minus the segments in ``unless``."""

    name: str
    r_min: int
    r_max: int
    fm_min: float
    fm_max: float
    description: str
    action: str
    unless: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        """The rule in words, e.g. ``"R 3–5 and FM 3–5, unless Champions"``."""
        r = f"R {self.r_min}" if self.r_min == self.r_max else f"R {self.r_min}–{self.r_max}"
        text = f"{r} and FM {self.fm_min:g}–{self.fm_max:g}"
        return f"{text}, unless {' or '.join(self.unless)}" if self.unless else text

    def in_range(self, r_score: int, fm_score: float) -> bool:
        """Whether the scores fall in this rule's rectangle (``unless`` not considered)."""
        return self.r_min <= r_score <= self.r_max and self.fm_min <= fm_score <= self.fm_max


RFM_SEGMENTS: Final[tuple[SegmentRule, ...]] = (
    SegmentRule(
        "Champions", 4, 5, 4.0, 5.0,
        "Bought recently, buy often and spend the most.",
        "Reward them: early access, thank-you gifts; ask for reviews and referrals.",
    ),
    SegmentRule(
        "Loyal", 3, 5, 3.0, 5.0,
        "Buy regularly and spend well, even if the last order was a few weeks back.",
        "Upsell higher-value products; invite them to the loyalty programme.",
        unless=("Champions",),
    ),
    SegmentRule(
        "Potential Loyalists", 4, 5, 2.0, 2.5,
        "Recent customers with an average number of orders and spend; they could become loyal.",
        "Offer membership or loyalty rewards; recommend products that go with their purchases.",
    ),
    SegmentRule(
        "New", 5, 5, 1.0, 1.5,
        "Bought very recently, but only once or for little so far.",
        "Welcome and onboard them; make the second purchase easy.",
    ),
    SegmentRule(
        "Promising", 4, 4, 1.0, 1.5,
        "Bought fairly recently, but little so far.",
        "Build awareness of the range: samples, trials, a first-repeat offer.",
    ),
    SegmentRule(
        "Need Attention", 3, 3, 2.0, 2.5,
        "Average recency, number of orders and spend; starting to drift.",
        "Limited-time offers and recommendations based on what they bought.",
    ),
    SegmentRule(
        "About to Sleep", 3, 3, 1.0, 1.5,
        "Below average on all three and slipping away.",
        "Reconnect before they go: popular products, a modest discount.",
    ),
    SegmentRule(
        "At Risk", 1, 2, 3.0, 5.0,
        "Bought often and spent well, but not for a long time.",
        "Personal win-back messages with offers that match their history.",
        unless=("Cannot Lose Them",),
    ),
    SegmentRule(
        "Cannot Lose Them", 1, 1, 4.0, 5.0,
        "Once among the best customers, they have not been back for a long time.",
        "Win them back in person: new products, renewals, ask what went wrong.",
    ),
    SegmentRule(
        "Hibernating", 2, 2, 1.0, 2.5,
        "Long since the last purchase, with few orders and low spend.",
        "Relevant products and special discounts; otherwise low priority.",
    ),
    SegmentRule(
        "Lost", 1, 1, 1.0, 2.5,
        "The lowest recency, frequency and spend.",
        "One reactivation campaign at most; then stop spending on them.",
    ),
)  # fmt: skip
"""The named segments (see the module docstring); no two hold for the same scores."""

RFM_SEGMENT_NAMES: Final = tuple(rule.name for rule in RFM_SEGMENTS)

_BY_NAME: Final = {rule.name: rule for rule in RFM_SEGMENTS}


def segment_matches(rule: SegmentRule, r_score: int, f_score: int, m_score: int) -> bool:
    """Whether ``rule`` holds for these scores: in its rectangle and in none of ``unless``."""
    fm = (f_score + m_score) / 2
    return rule.in_range(r_score, fm) and not any(
        _BY_NAME[other].in_range(r_score, fm) for other in rule.unless
    )


def rfm_segment(r_score: int, f_score: int, m_score: int) -> str:
    """The segment of one customer's scores (each 1 to 5)."""
    for name, value in (("r_score", r_score), ("f_score", f_score), ("m_score", m_score)):
        if not 1 <= value <= 5:
            raise ModelDataError(f"{name} must be an integer from 1 to 5, got {value!r}")
    for rule in RFM_SEGMENTS:
        if segment_matches(rule, r_score, f_score, m_score):
            return rule.name
    raise AssertionError(f"no RFM segment covers {r_score}{f_score}{m_score}")  # pragma: no cover


def rfm_scores(profiles: pl.DataFrame) -> pl.DataFrame:
    """R, F and M quintile scores, the three-digit ``rfm_score`` and the ``rfm_segment``.

    Columns: customer_id, r_score, f_score, m_score (Int64, 1–5), fm_score (mean of F and M),
    rfm_score (e.g. ``"545"``), rfm_segment (a name of :data:`RFM_SEGMENTS`). Rows keep the
    order of ``profiles``.
    """
    measures = (RECENCY_DAYS, ORDER_COUNT, MONETARY_TOTAL)
    require_columns(profiles, (c.CUSTOMER_ID, *measures), "profiles")
    nulls = {name: profiles[name].null_count() for name in (c.CUSTOMER_ID, *measures)}
    if any(nulls.values()):
        found = ", ".join(f"{name} ({n})" for name, n in nulls.items() if n)
        raise ModelDataError(f"profiles have null values in {found}; RFM needs every value")
    if profiles[c.CUSTOMER_ID].n_unique() != profiles.height:
        raise ModelDataError("profiles have repeated customer_id values; expected one row each")
    scored = profiles.select(
        c.CUSTOMER_ID,
        _quintile(RECENCY_DAYS, best_is_low=True).alias(R_SCORE),
        _quintile(ORDER_COUNT).alias(F_SCORE),
        _quintile(MONETARY_TOTAL).alias(M_SCORE),
    )
    return scored.with_columns(
        ((pl.col(F_SCORE) + pl.col(M_SCORE)) / 2).alias(FM_SCORE),
        pl.concat_str(R_SCORE, F_SCORE, M_SCORE).alias(RFM_SCORE),
        segment_expr().alias(RFM_SEGMENT),
    ).select(RFM_COLUMNS)


def segment_expr() -> pl.Expr:
    """The segment name as a polars expression over the columns r_score, f_score and m_score."""
    r = pl.col(R_SCORE)
    fm = (pl.col(F_SCORE) + pl.col(M_SCORE)) / 2

    def in_range(rule: SegmentRule) -> pl.Expr:
        return r.is_between(rule.r_min, rule.r_max) & fm.is_between(rule.fm_min, rule.fm_max)

    segment = pl.lit(None, dtype=pl.String)
    for rule in RFM_SEGMENTS:  # the rules do not overlap, so their order does not matter
        holds = in_range(rule)
        for other in rule.unless:
            holds = holds & ~in_range(_BY_NAME[other])
        segment = pl.when(holds).then(pl.lit(rule.name)).otherwise(segment)
    return segment


def _quintile(measure: str, *, best_is_low: bool = False) -> pl.Expr:
    """Score 1–5 by ordinal rank of ``measure`` (ties by customer_id), balanced fifths."""
    position = pl.arg_sort_by(
        [measure, c.CUSTOMER_ID], descending=[best_is_low, False], maintain_order=True
    ).arg_sort()
    return (position.cast(pl.Int64) * 5 // pl.len().cast(pl.Int64) + 1).cast(pl.Int64)
