"""Customer lifetime value: BTYD summaries, BG/NBD, Pareto/NBD, Gamma-Gamma and discounted CLV.

A typical run::

    summary = purchase_summary(orders)                 # frequency, recency, T, monetary_value
    scores, fit = score_customers(summary)             # per customer: purchases, p_alive, CLV ...

or, model by model::

    bgf = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    ggf = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    clv = customer_lifetime_value(bgf, ggf, summary, horizon_months=12)
    low, high = clv_interval(bgf, ggf, summary, level=0.9)

Models take arrays and return arrays; nothing here reads the store.
"""

from crmind.analytics.clv.beta_geo import BetaGeoModel
from crmind.analytics.clv.evaluate import evaluate_clv
from crmind.analytics.clv.gamma_gamma import GammaGammaModel
from crmind.analytics.clv.history import PurchaseHistory
from crmind.analytics.clv.lifetime_value import (
    PERIODS_PER_MONTH,
    clv_interval,
    customer_lifetime_value,
)
from crmind.analytics.clv.pareto_nbd import ParetoNBDModel
from crmind.analytics.clv.purchase import PurchaseModel
from crmind.analytics.clv.scoring import ClvFit, score_customers
from crmind.analytics.clv.summary import (
    calibration_holdout_summary,
    purchase_days,
    purchase_summary,
)

__all__ = [
    "PERIODS_PER_MONTH",
    "BetaGeoModel",
    "ClvFit",
    "GammaGammaModel",
    "ParetoNBDModel",
    "PurchaseHistory",
    "PurchaseModel",
    "calibration_holdout_summary",
    "clv_interval",
    "customer_lifetime_value",
    "evaluate_clv",
    "purchase_days",
    "purchase_summary",
    "score_customers",
]
