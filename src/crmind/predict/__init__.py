"""Propensity models, their explanations and evaluation (churn, purchase)."""
