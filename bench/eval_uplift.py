"""Evaluation: does the campaign report's uplift interval cover the true effect as often as it
claims? Simulated campaigns with known conversion rates, 10 % or 20 % holdouts, from small to
large; for each scenario 4,000 campaigns; coverage of the 95 % interval for crmind's Newcombe
hybrid score interval (campaigns/uplift.py) beside the textbook Wald interval.

Results: bench/results/uplift.json and uplift.md.

Usage: .venv/bin/python bench/eval_uplift.py [--runs 4000]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from crmind.campaigns.uplift import rate_uplift

RESULTS = Path(__file__).parent / "results"
SCENARIOS = [
    # customers, holdout share, base rate, effect
    (500, 0.2, 0.02, 0.01),
    (500, 0.2, 0.10, 0.05),
    (2_000, 0.1, 0.03, 0.02),
    (2_000, 0.1, 0.08, 0.07),
    (20_000, 0.1, 0.01, 0.005),
    (20_000, 0.1, 0.10, 0.03),
]


def _wald(t_conv: int, t_n: int, h_conv: int, h_n: int) -> tuple[float, float]:
    p1, p2 = t_conv / t_n, h_conv / h_n
    spread = math.sqrt(p1 * (1 - p1) / t_n + p2 * (1 - p2) / h_n)
    return p1 - p2 - 1.96 * spread, p1 - p2 + 1.96 * spread


def _scenario(
    customers: int, holdout: float, base: float, effect: float, runs: int
) -> dict[str, Any]:
    rng = np.random.default_rng(customers + int(base * 1000))
    h_n = int(customers * holdout)
    t_n = customers - h_n
    newcombe = wald = 0
    widths = []
    for _ in range(runs):
        t_conv = int(rng.binomial(t_n, base + effect))
        h_conv = int(rng.binomial(h_n, base))
        result = rate_uplift(t_conv, t_n, h_conv, h_n)
        newcombe += result.low <= effect <= result.high
        widths.append(result.high - result.low)
        low, high = _wald(t_conv, t_n, h_conv, h_n)
        wald += low <= effect <= high
    return {
        "customers": customers,
        "holdout": holdout,
        "base_rate": base,
        "effect": effect,
        "runs": runs,
        "newcombe_coverage": round(newcombe / runs, 4),
        "wald_coverage": round(wald / runs, 4),
        "newcombe_mean_width": round(float(np.mean(widths)), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4_000)
    args = parser.parse_args()
    rows = [_scenario(*scenario, runs=args.runs) for scenario in SCENARIOS]
    results = {
        "command": " ".join(["python bench/eval_uplift.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "date": datetime.now().strftime("%Y-%m-%d"),
        "scenarios": rows,
    }
    lines = [
        "# Uplift intervals: coverage on simulated campaigns",
        "",
        f"`{results['command']}`, {results['date']}. Nominal coverage 95 %.",
        "",
        "| customers | holdout | base rate | true uplift | Newcombe (crmind) | Wald | mean width |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['customers']:,} | {row['holdout']:.0%} | {row['base_rate']:.1%} | "
            f"{row['effect']:+.1%} | {row['newcombe_coverage']:.1%} | {row['wald_coverage']:.1%} "
            f"| {row['newcombe_mean_width']:.3f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "uplift.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "uplift.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
