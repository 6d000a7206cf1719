"""Customers simulated from the BG/NBD and Gamma-Gamma stories, for tests that need known truth."""

from __future__ import annotations

import numpy as np
import polars as pl

from crmind.analytics.clv.history import FloatArray


def simulate_bg_nbd(
    n: int, params: dict[str, float], seed: int = 0, max_age: float = 40.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """frequency, recency, T of ``n`` customers whose T is uniform on [max_age / 2, max_age]."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(params["r"], 1 / params["alpha"], n)
    dropouts = rng.beta(params["a"], params["b"], n)
    ages = rng.uniform(max_age / 2, max_age, n)
    frequency, recency = np.zeros(n), np.zeros(n)
    for i in range(n):
        now = 0.0
        while True:
            now += rng.exponential(1 / rates[i])
            if now > ages[i]:
                break
            frequency[i] += 1
            recency[i] = now
            if rng.random() < dropouts[i]:
                break
    return frequency, recency, ages


def simulate_spend(frequency: FloatArray, params: dict[str, float], seed: int = 0) -> FloatArray:
    """Mean value of each customer's repeat purchases under Gamma-Gamma (0 without repeats)."""
    rng = np.random.default_rng(seed)
    scale_rates = rng.gamma(params["q"], 1 / params["gamma"], len(frequency))
    means = np.zeros(len(frequency))
    for i, count in enumerate(frequency.astype(int)):
        if count:
            means[i] = rng.gamma(params["p"], 1 / scale_rates[i], count).mean()
    return means


def simulated_summary(n: int = 400, seed: int = 0) -> pl.DataFrame:
    """A purchase summary (customer_id, frequency, recency, T, monetary_value) in weeks."""
    frequency, recency, ages = simulate_bg_nbd(
        n, {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, seed=seed
    )
    spend = simulate_spend(frequency, {"p": 6.0, "q": 4.0, "gamma": 15.0}, seed=seed)
    return pl.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            "frequency": frequency.astype(np.int64),
            "recency": recency,
            "T": ages,
            "monetary_value": spend,
        }
    )
