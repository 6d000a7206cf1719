"""Benchmark: rating prediction on MovieLens 100K, crmind beside Surprise on the same folds.

Data: ../shared/data/movielens_100k/u.data (100,000 ratings 1–5 of 1,682 films by 943 users;
research-only licence: it is read in place, and the folds this script writes for Surprise live in
a temporary folder that is removed afterwards). The 5 folds are crmind's
``k_fold(seed=0)``: every rating is tested once, as with Surprise's ``KFold``.

- crmind (this venv): :func:`crmind.recommend.evaluate_ratings.cross_validate_ratings` with
  BaselineRating, BiasedMF, item- and user-based KNNBaselineRating and RatingBlend, all at their
  defaults.
- Surprise (bench/.venv-surprise, created with ``pip install scikit-surprise`` when missing;
  ``--no-surprise`` skips it): BaselineOnly, SVD (``random_state=0``) and KNNBaseline at their
  defaults — the configurations of Surprise's published table, whose KNNBaseline is user-based
  with MSD similarity — and KNNBaseline with crmind's configuration (pearson_baseline, item- and
  user-based), each read from the same fold files through ``PredefinedKFold``.

Published figures (Surprise's documentation, ML-100K, 5-fold): SVD RMSE 0.934 / MAE 0.737,
KNNBaseline 0.931 / 0.733, BaselineOnly 0.944 / 0.748.

Times are seconds per fit (mean over folds) on this machine, which may be shared.
Results: bench/results/ratings.json and ratings.md.

Usage: .venv/bin/python bench/bench_ratings.py [--no-surprise] [--folds 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from crmind.recommend.evaluate_ratings import RatingModelFactory, cross_validate_ratings
from crmind.recommend.models.rating_baseline import BaselineRating
from crmind.recommend.models.rating_blend import RatingBlend
from crmind.recommend.models.rating_knn import KNNBaselineRating
from crmind.recommend.models.rating_mf import BiasedMF
from crmind.recommend.split import k_fold

HERE: Final = Path(__file__).resolve().parent
RESULTS: Final = HERE / "results"
DATA: Final = HERE.parent.parent / "shared" / "data" / "movielens_100k" / "u.data"
SURPRISE_VENV: Final = HERE / ".venv-surprise"

PUBLISHED: Final = {
    "SVD": (0.934, 0.737),
    "KNNBaseline": (0.931, 0.733),
    "BaselineOnly": (0.944, 0.748),
}

CRMIND_MODELS: Final[dict[str, RatingModelFactory]] = {
    "BaselineRating": BaselineRating,
    "BiasedMF": BiasedMF,
    "KNNBaselineRating (item)": KNNBaselineRating,
    "KNNBaselineRating (user)": lambda: KNNBaselineRating(user_based=True),
    "RatingBlend (BiasedMF + item kNN)": RatingBlend,
}

SURPRISE_SCRIPT: Final = r"""
import json, sys, time
import numpy as np
import surprise
from surprise import SVD, BaselineOnly, Dataset, KNNBaseline, Reader, accuracy
from surprise.model_selection import PredefinedKFold

folder, folds = sys.argv[1], int(sys.argv[2])
reader = Reader(line_format="user item rating", sep=",", rating_scale=(1, 5))
files = [(f"{folder}/train{k}.csv", f"{folder}/test{k}.csv") for k in range(folds)]
data = Dataset.load_from_folds(files, reader=reader)
models = {
    "Surprise BaselineOnly": lambda: BaselineOnly(verbose=False),
    "Surprise SVD": lambda: SVD(random_state=0),
    "Surprise KNNBaseline (defaults: user, MSD)": lambda: KNNBaseline(verbose=False),
    "Surprise KNNBaseline (item, pearson_baseline)": lambda: KNNBaseline(
        sim_options={"name": "pearson_baseline", "user_based": False}, verbose=False),
    "Surprise KNNBaseline (user, pearson_baseline)": lambda: KNNBaseline(
        sim_options={"name": "pearson_baseline", "user_based": True}, verbose=False),
}
out = {name: {"rmse": [], "mae": [], "fit_seconds": []} for name in models}
for train, test in PredefinedKFold().split(data):
    for name, make in models.items():
        started = time.perf_counter()
        algo = make().fit(train)
        fitted = time.perf_counter() - started
        predictions = algo.test(test)
        out[name]["rmse"].append(accuracy.rmse(predictions, verbose=False))
        out[name]["mae"].append(accuracy.mae(predictions, verbose=False))
        out[name]["fit_seconds"].append(fitted)
print(json.dumps({"version": surprise.__version__, "numpy": np.__version__, "results": out}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-surprise", action="store_true", help="skip the Surprise side")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"MovieLens 100K is not at {DATA}", file=sys.stderr)
        return 1
    ratings = read_movielens(DATA)
    rows: dict[str, dict[str, Any]] = {}
    for name, summary in cross_validate_ratings(
        ratings, CRMIND_MODELS, folds=args.folds, seed=args.seed
    ).items():
        rows[f"crmind {name}"] = summary
        print(f"crmind {name}: RMSE {summary['rmse_mean']:.4f}", file=sys.stderr, flush=True)
    surprise_version = None
    if not args.no_surprise:
        surprise_version, theirs = run_surprise(ratings, args.folds, args.seed)
        rows.update(theirs)
    RESULTS.mkdir(exist_ok=True)
    report = {
        "command": "python bench/bench_ratings.py",
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "surprise": surprise_version,
        "folds": args.folds,
        "seed": args.seed,
        "published": {name: {"rmse": r, "mae": m} for name, (r, m) in PUBLISHED.items()},
        "results": rows,
    }
    (RESULTS / "ratings.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "ratings.md").write_text(markdown(report))
    print(markdown(report))
    return 0


def read_movielens(path: Path) -> pl.DataFrame:
    """u.data as an interactions frame (user_id, item_id, value)."""
    return pl.read_csv(
        path,
        separator="\t",
        has_header=False,
        new_columns=["user_id", "item_id", "value", "timestamp"],
    ).select("user_id", "item_id", pl.col("value").cast(pl.Float64))


def run_surprise(
    ratings: pl.DataFrame, folds: int, seed: int
) -> tuple[str, dict[str, dict[str, Any]]]:
    """Surprise on crmind's folds, in its own venv (created when missing)."""
    python = SURPRISE_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SURPRISE_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "scikit-surprise"], check=True)
    with tempfile.TemporaryDirectory() as folder:
        for index, (train, test) in enumerate(k_fold(ratings, folds=folds, seed=seed)):
            for name, frame in (("train", train), ("test", test)):
                frame.with_columns(pl.col("value").cast(pl.Int64)).write_csv(
                    Path(folder) / f"{name}{index}.csv", include_header=False
                )
        done = subprocess.run(
            [str(python), "-c", SURPRISE_SCRIPT, folder, str(folds)],
            check=True,
            capture_output=True,
            text=True,
        )
    output = json.loads(done.stdout.strip().splitlines()[-1])
    results: dict[str, dict[str, Any]] = {}
    for name, record in output["results"].items():
        summary: dict[str, Any] = dict(record)
        for key in ("rmse", "mae"):
            summary[f"{key}_mean"] = float(np.mean(record[key]))
            summary[f"{key}_sd"] = float(np.std(record[key]))
        summary["fit_seconds_mean"] = float(np.mean(record["fit_seconds"]))
        results[name] = summary
    return f"{output['version']} (numpy {output['numpy']})", results


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Rating prediction: MovieLens 100K, 5-fold",
        "",
        f"Machine: {report['machine']}. Command: `.venv/bin/{report['command']}`. "
        f"Surprise: {report['surprise'] or 'not run'}. Folds: crmind `k_fold(seed="
        f"{report['seed']})`, the same for both libraries.",
        "",
        "| model | RMSE (mean ± sd) | MAE (mean ± sd) | fit s (per fold) |",
        "|---|---:|---:|---:|",
    ]
    for name, row in report["results"].items():
        lines.append(
            f"| {name} | {row['rmse_mean']:.4f} ± {row['rmse_sd']:.4f} | "
            f"{row['mae_mean']:.4f} ± {row['mae_sd']:.4f} | {row['fit_seconds_mean']:.2f} |"
        )
    for name, figures in report["published"].items():
        lines.append(f"| published: Surprise {name} | {figures['rmse']} | {figures['mae']} | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
