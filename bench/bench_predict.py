"""Benchmark: train and score crmind's churn model (PropensityModel, LightGBM) for 10k-1M customers.

``--learner blend`` measures ``PropensityModel(model="blend")`` instead (LightGBM averaged with a
logistic regression on splines); its results go to ``results/predict_blend.{json,md}``.

Cases, each in a fresh process, for every size:

- ``train``: ``PropensityModel(n_jobs=2).fit(X, y)`` with every other hyperparameter at its default
  (whatever the installed crmind's defaults are; the run records them in the results);
- ``score``: ``PropensityModel.load`` of the model trained on the 10k table (written by its
  ``train`` case with ``model.save``), then ``predict_proba`` for every customer;
- ``explain``: the same model, then ``crmind.predict.explain.explain(model, X, ids, top=5)`` (the
  calibrated probability and the top 5 TreeSHAP drivers, with their text, of every customer).

Data: one deterministic synthetic feature table per size, made by resampling real customer
profiles. The bundled UCI Online Retail file is imported into a temporary SQLite store
(``import_demo_data``) and ``build_profiles(order_lines(engine))`` gives 4,339 real profiles;
``numpy.random.default_rng(0)`` then draws N of them with replacement and jitters each copy:

- counts (order_count, frequency, distinct_products, return_orders) are kept, so nulls of the
  gap statistics (one purchase day) stay where they belong;
- tenure_days, recency_days, monetary_total, interpurchase_mean_days, interpurchase_cv and
  returns_rate are multiplied by exp(N(0, 0.1)) (nulls stay null); recency is then capped at
  tenure and monetary_mean recomputed as monetary_total / order_count;
- country (37 values) is kept, except that 2 % of rows get a country drawn from the real mix.

The churn label is Bernoulli(sigmoid(-0.5 + 1.5 * z_r - 1.0 * z_f)), with z_r and z_f the
standardised log1p(recency_days) and log1p(frequency) (mean and standard deviation of the real
profiles), so the model has signal to find: churn is likelier for customers long gone and rare.

Each case times its stages inside the process (reading the table, loading or fitting, scoring);
the parent records the process's wall time and peak memory (max RSS, from ``os.wait4``). The
parent imports no data library: a child inherits the parent's peak RSS as its own floor; the
tables are built by a child too. Rows/s are over the work stage (fit, predict_proba or explain).
When an ``explain`` case would pass ``--explain-max-rows`` it is not run, and its time is
extrapolated linearly from the largest size measured (said so in the results).

Usage: .venv/bin/python bench/bench_predict.py [--sizes 10000,100000,1000000]
       [--explain-max-rows 1000000] [--learner lightgbm|blend]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

HERE: Final = Path(__file__).resolve().parent
RESULTS: Final = HERE / "results"
GOAL_ROWS: Final = 1_000_000
GOAL_SECONDS: Final = 60.0
MODEL_ROWS: Final = 10_000
N_JOBS: Final = 2
SEED: Final = 0
REPEAT_UNDER_SECONDS: Final = 30.0
NUMERIC: Final = (
    "recency_days",
    "tenure_days",
    "order_count",
    "frequency",
    "monetary_total",
    "monetary_mean",
    "distinct_products",
    "interpurchase_mean_days",
    "interpurchase_cv",
    "returns_rate",
    "return_orders",
)
FEATURES: Final = (*NUMERIC, "country")
JITTERED: Final = (
    "tenure_days",
    "recency_days",
    "monetary_total",
    "interpurchase_mean_days",
    "interpurchase_cv",
    "returns_rate",
)
JITTER_SIGMA: Final = 0.1
COUNTRY_SWAP: Final = 0.02
LABEL_INTERCEPT: Final = -0.5
LABEL_RECENCY: Final = 1.5
LABEL_FREQUENCY: Final = -1.0

LEARNER_TITLES: Final = {"lightgbm": "LightGBM", "blend": "LightGBM + spline logistic blend"}

Result = dict[str, Any]


# -- data: built once, in a child process ----------------------------------------------------


def _real_profiles(workdir: Path) -> Any:
    from crmind.analytics.profile import build_profiles
    from crmind.config import Settings
    from crmind.services.demo import import_demo_data
    from crmind.services.setup import init_store
    from crmind.store.frames import order_lines

    # a store with its own field cipher (kept in workdir), as `crmind` opens one
    engine, _ = init_store(
        Settings(data_dir=workdir, database_url=f"sqlite:///{workdir / 'demo.db'}")
    )
    import_demo_data(engine, reports_dir=workdir)
    profiles = build_profiles(order_lines(engine))
    engine.dispose()
    return profiles.select("customer_id", *FEATURES)


def _synthetic(real: Any, rows: int, rng: Any) -> Any:
    """``rows`` jittered resamples of ``real`` with a churn label (see the module docstring)."""
    import numpy as np
    import polars as pl

    picked = real[rng.integers(0, real.height, size=rows)]
    jitter = {name: np.exp(rng.normal(0.0, JITTER_SIGMA, size=rows)) for name in JITTERED}
    countries = real.get_column("country").to_numpy()
    swap = rng.random(rows) < COUNTRY_SWAP
    drawn = countries[rng.integers(0, len(countries), size=rows)]
    frame = picked.with_columns(
        [pl.col(name) * pl.Series(values) for name, values in jitter.items()]
        + [
            pl.Series("customer_id", np.arange(1, rows + 1, dtype=np.int64)),
            pl.when(pl.Series(swap))
            .then(pl.Series(drawn))
            .otherwise(pl.col("country"))
            .alias("country"),
        ]
    ).with_columns(
        pl.min_horizontal("recency_days", "tenure_days").alias("recency_days"),
        (pl.col("monetary_total") / pl.col("order_count")).alias("monetary_mean"),
    )
    logit = (
        LABEL_INTERCEPT
        + LABEL_RECENCY * _standardised(frame, real, "recency_days")
        + LABEL_FREQUENCY * _standardised(frame, real, "frequency")
    )
    churn = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))
    return frame.with_columns(pl.Series("churn", churn.astype(np.int8)))


def _standardised(frame: Any, real: Any, name: str) -> Any:
    import numpy as np

    reference = np.log1p(real.get_column(name).to_numpy().astype(np.float64))
    values = np.log1p(frame.get_column(name).to_numpy().astype(np.float64))
    return (values - reference.mean()) / reference.std()


def prepare(workdir: str, sizes: str) -> Result:
    import numpy as np

    folder = Path(workdir)
    real = _real_profiles(folder)
    rng = np.random.default_rng(SEED)
    tables: dict[str, Result] = {}
    for rows in (int(size) for size in sizes.split(",")):
        frame = _synthetic(real, rows, rng)
        path = folder / f"customers_{rows}.parquet"
        frame.write_parquet(path)
        tables[str(rows)] = {
            "path": str(path),
            "rows": rows,
            "churn_rate": round(float(frame.get_column("churn").mean()), 4),
            "null_interpurchase_mean": int(
                frame.get_column("interpurchase_mean_days").null_count()
            ),
            "countries": int(frame.get_column("country").n_unique()),
        }
    return {"real_profiles": real.height, "tables": tables}


# -- cases: each runs in its own process -----------------------------------------------------


class _Stages:
    """Wall seconds of each stage of a case."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 3)


def _read(table: str) -> tuple[Any, Any, Any]:
    import polars as pl

    frame = pl.read_parquet(table)
    return frame.select(FEATURES), frame.get_column("churn"), frame.get_column("customer_id")


def case_train(table: str, model_path: str, learner: str = "lightgbm") -> Result:
    from crmind.predict.models import PropensityModel

    stages = _Stages()
    with stages.stage("read"):
        features, churn, _ = _read(table)
    with stages.stage("work"):
        model = PropensityModel(model=learner, n_jobs=N_JOBS).fit(features, churn)  # type: ignore[arg-type]
    if model_path:
        with stages.stage("save"):
            model.save(model_path)
    return {
        "rows": features.height,
        "stages": stages.seconds,
        "best_iteration": model.best_iteration_,
        "calibration": model.calibration_,
        "brier_calibrated": round(model.validation_metrics_["brier_calibrated"], 4),
        "params": model.get_params(),
    }


def _scored(table: str, model_path: str, explained: bool) -> Result:
    """Load the model (its learner is in the file) and score or explain every row."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from crmind.predict import explain as explaining
    from crmind.predict.models import PropensityModel

    stages = _Stages()
    shap_seconds: list[float] = []
    contributions = explaining.contributions

    def timed_contributions(model: Any, X: Any) -> Any:  # noqa: N803
        started = time.perf_counter()
        values = contributions(model, X)
        shap_seconds.append(time.perf_counter() - started)
        return values

    explaining.contributions = timed_contributions
    with stages.stage("read"):
        features, churn, ids = _read(table)
    with stages.stage("load"):
        model = PropensityModel.load(model_path)
    with stages.stage("work"):
        if explained:
            frame = explaining.explain(model, features, ids, top=5)
            probability = frame.get_column("probability").to_numpy()
        else:
            probability = model.predict_proba(features)
    assert len(probability) == features.height
    assert np.isfinite(probability).all()
    result: Result = {
        "rows": features.height,
        "stages": stages.seconds,
        "auc": round(float(roc_auc_score(churn.to_numpy(), probability)), 4),
    }
    if explained:
        result["stages"]["of_which_treeshap"] = round(sum(shap_seconds), 3)
        result["example"] = frame.get_column("text")[0]
    return result


def case_score(table: str, model_path: str, learner: str = "lightgbm") -> Result:
    return _scored(table, model_path, explained=False)


def case_explain(table: str, model_path: str, learner: str = "lightgbm") -> Result:
    return _scored(table, model_path, explained=True)


CASES: Final[dict[str, Callable[[str, str, str], Result]]] = {
    "train": case_train,
    "score": case_score,
    "explain": case_explain,
}


# -- parent ----------------------------------------------------------------------------------


def _child(arguments: list[str]) -> tuple[Result, float, float]:
    """Run this script with ``arguments``; its JSON result, wall seconds and peak RSS (MiB)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, *arguments], stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{arguments} failed with status {status}")
    result: Result = json.loads(output.strip().splitlines()[-1])
    return result, seconds, usage.ru_maxrss / 1024


def _run_case(
    case: str, table: Result, model_path: Path, save: bool, repeat: int, learner: str
) -> Result:
    """Run a case up to ``repeat`` times (once if it is slow); the fastest run."""
    arguments = ["--case", case, "--table", table["path"], "--learner", learner]
    if case != "train" or save:
        arguments += ["--model", str(model_path)]
    runs = [_child(arguments)]
    while len(runs) < repeat and runs[0][1] <= REPEAT_UNDER_SECONDS:
        runs.append(_child(arguments))
    result, seconds, rss = min(runs, key=lambda run: float(run[0]["stages"]["work"]))
    work = float(result["stages"]["work"])
    return {
        "case": case,
        "rows": int(result.pop("rows")),
        "seconds": round(seconds, 3),
        "work_seconds": work,
        "rows_per_second": round(table["rows"] / work),
        "peak_rss_mib": round(rss, 1),
        "measured": True,
        "runs": len(runs),
        **result,
    }


def _extrapolated(case: str, rows: int, measured: Result) -> Result:
    scale = rows / int(measured["rows"])
    return {
        "case": case,
        "rows": rows,
        "seconds": round(float(measured["seconds"]) * scale, 1),
        "work_seconds": round(float(measured["work_seconds"]) * scale, 1),
        "rows_per_second": measured["rows_per_second"],
        "peak_rss_mib": None,
        "measured": False,
        "extrapolated_from_rows": measured["rows"],
    }


def run(sizes: list[int], explain_max_rows: int, repeat: int, learner: str) -> Result:
    if MODEL_ROWS not in sizes:
        sizes = sorted({MODEL_ROWS, *sizes})
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data, seconds, _ = _child(["--prepare", str(workdir), "--sizes", ",".join(map(str, sizes))])
        print(f"tables made in {seconds:.1f} s: {json.dumps(data)}", flush=True)
        model_path = workdir / f"model_{MODEL_ROWS}.pkl"
        order = [MODEL_ROWS, *(size for size in sizes if size != MODEL_ROWS)]
        largest_explained: Result | None = None
        for size in order:
            table = data["tables"][str(size)]
            for case in ("train", "score", "explain"):
                if case == "explain" and size > explain_max_rows:
                    assert largest_explained is not None, "no explain case to extrapolate from"
                    result = _extrapolated(case, size, largest_explained)
                else:
                    result = _run_case(case, table, model_path, size == MODEL_ROWS, repeat, learner)
                    if case == "explain":
                        largest_explained = result
                result["churn_rate"] = table["churn_rate"]
                results.append(result)
                print(json.dumps(result), flush=True)
    params = next(r["params"] for r in results if "params" in r)
    for result in results:
        result.pop("params", None)
    return {
        "machine": {
            "arch": platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            **_versions("crmind", "lightgbm", "polars", "numpy", "scikit-learn"),
        },
        "data": {
            "real_profiles": data["real_profiles"],
            "tables": {
                key: {k: v for k, v in value.items() if k != "path"}
                for key, value in data["tables"].items()
            },
        },
        "repeat": repeat,
        "learner": learner,
        "model_params": params,
        "goal": {"rows": GOAL_ROWS, "seconds": GOAL_SECONDS, "verdicts": _goal(results)},
        "results": results,
    }


def _versions(*packages: str) -> dict[str, str]:
    from importlib.metadata import version

    return {package: version(package) for package in packages}


def _goal(results: list[Result]) -> dict[str, Result]:
    """Whether scoring (and scoring with explanations) of 1M customers takes under a minute."""
    verdicts: dict[str, Result] = {}
    for result in results:
        if result["rows"] == GOAL_ROWS and result["case"] in ("score", "explain"):
            verdicts[result["case"]] = {
                "seconds": result["seconds"],
                "work_seconds": result["work_seconds"],
                "met": float(result["seconds"]) < GOAL_SECONDS,
                "measured": result["measured"],
            }
    return verdicts


def _markdown(report: Result) -> str:
    machine = report["machine"]
    learner = report.get("learner", "lightgbm")
    title = LEARNER_TITLES[learner]
    option = "" if learner == "lightgbm" else f" --learner {learner}"
    lines = [
        f"# Churn model: training and scoring time (PropensityModel, {title})",
        "",
        f"Machine: {machine['arch']}, {machine['cores']} cores, Python {machine['python']}, "
        f"crmind {machine['crmind']}, LightGBM {machine['lightgbm']}, polars "
        f"{machine['polars']}. Command: `.venv/bin/python bench/bench_predict.py{option}`.",
        "",
        "Each case runs in a fresh process. *seconds* is the whole process (Python start, imports,",
        "reading the Parquet table, loading the model); *work s* the call measured: `fit`,",
        "`predict_proba` or `explain(top=5)`; rows/s is over work s; peak MiB is the process's",
        f"max RSS. Training uses `PropensityModel(model={learner!r}, n_jobs={N_JOBS})`, the "
        "other hyperparameters "
        "at their",
        f"defaults; scoring uses the model trained on {MODEL_ROWS:,} rows (`save` / `load`).",
        "Hyperparameters: "
        + ", ".join(f"{k}={v}" for k, v in report["model_params"].items())
        + ".",
        "AUC is that model's on the whole table (its own training rows included for the 10k",
        "table). *TreeSHAP*: the part of explain's work spent in"
        + (
            " LightGBM's `predict(pred_contrib=True)`"
            if learner == "lightgbm"
            else " `contributions` (LightGBM's TreeSHAP and the spline terms, weighted)"
        )
        + "; the rest builds the driver structs and texts (column-wise).",
        f"Each case runs up to {report['repeat']} times and the fastest run counts; a case whose "
        f"first run takes over {REPEAT_UNDER_SECONDS:.0f} s runs once (*runs* column).",
        "",
        "| customers | case | seconds | work s | rows/s | peak MiB | runs | detail |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        if not r["measured"]:
            detail = f"extrapolated linearly from {int(r['extrapolated_from_rows']):,} rows"
        elif r["case"] == "train":
            detail = (
                f"{r['best_iteration']} trees, {r['calibration']} calibration, "
                f"held-out Brier {r['brier_calibrated']}"
            )
        else:
            detail = f"AUC {r['auc']}"
            if r["case"] == "explain":
                detail += f"; TreeSHAP {r['stages']['of_which_treeshap']} s of the work"
        rss = "" if r["peak_rss_mib"] is None else r["peak_rss_mib"]
        seconds = r["seconds"] if r["measured"] else f"~{r['seconds']}"
        work = r["work_seconds"] if r["measured"] else f"~{r['work_seconds']}"
        lines.append(
            f"| {int(r['rows']):,} | {r['case']} | {seconds} | {work} | "
            f"{int(r['rows_per_second']):,} | {rss} | {r.get('runs', '')} | {detail} |"
        )
    lines += ["", f"Goal: score {GOAL_ROWS:,} customers in under {GOAL_SECONDS:.0f} s."]
    names = {"score": "Scoring (predict_proba)", "explain": "Scoring with top-5 explanations"}
    for case, verdict in report["goal"]["verdicts"].items():
        how = "" if verdict["measured"] else " (extrapolated)"
        lines.append(
            f"- {names[case]}: {verdict['seconds']} s for the whole process{how} "
            f"({verdict['work_seconds']} s in the call): "
            f"**{'met' if verdict['met'] else 'not met'}**."
        )
    tables = report["data"]["tables"]
    rates = ", ".join(f"{int(k):,}: {v['churn_rate']:.1%}" for k, v in tables.items())
    lines += [
        "",
        "## Data",
        "",
        "One deterministic synthetic table per size (`numpy.random.default_rng(0)`), resampled "
        "from real",
        "customer profiles: the bundled UCI Online Retail file is imported into a temporary "
        "SQLite store",
        f"and `build_profiles(order_lines(engine))` gives {report['data']['real_profiles']:,} "
        "profiles. N of them are drawn",
        "with replacement; each copy keeps its counts (order_count, frequency, distinct_products,",
        "return_orders, hence the nulls of the gap statistics), has tenure_days, recency_days,",
        "monetary_total, interpurchase_mean_days, interpurchase_cv and returns_rate multiplied by",
        f"exp(N(0, {JITTER_SIGMA})), recency capped at tenure, monetary_mean recomputed, and keeps "
        f"its country except",
        f"for {COUNTRY_SWAP:.0%} of rows, which get one drawn from the real mix. Features: "
        f"{', '.join(FEATURES)}",
        "(country as a LightGBM categorical).",
        "",
        f"Churn label: Bernoulli(sigmoid({LABEL_INTERCEPT} + {LABEL_RECENCY} z_r "
        f"{LABEL_FREQUENCY:+} z_f)), z_r and z_f the standardised",
        "log1p(recency_days) and log1p(frequency) (mean and standard deviation of the real "
        "profiles).",
        f"Churn rate by size: {rates}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--table")
    parser.add_argument("--model", default="")
    parser.add_argument("--learner", choices=sorted(LEARNER_TITLES), default="lightgbm")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--explain-max-rows",
        type=int,
        default=GOAL_ROWS,
        help="larger explain cases are extrapolated from the largest one run",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the fastest counts")
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare(args.prepare, args.sizes)))
        return
    if args.case:
        print(json.dumps(CASES[args.case](args.table, args.model, args.learner)))
        return
    sizes = sorted(int(size) for size in args.sizes.split(",") if size)
    report = run(sizes, args.explain_max_rows, args.repeat, args.learner)
    RESULTS.mkdir(exist_ok=True)
    name = "predict" if args.learner == "lightgbm" else f"predict_{args.learner}"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(_markdown(report))
    print((RESULTS / f"{name}.md").read_text())


if __name__ == "__main__":
    main()
