"""Benchmark: the heavy analysis steps on the local engine against Spark local[2], by data size.

Data: the bundled UCI Online Retail file imported into a SQLite store and written as Parquet
(``crmind export parquet``): that is 1x (536,637 order lines after the import's de-duplication,
4,339 customers who bought). The larger sizes resample
its customers with replacement (seeded): 10x and 100x as many customers, each drawn customer
bringing all of the original's orders under new customer, order and line ids (guest lines are
left out of the resamples). Both engines read the same Parquet files.

Each (engine, size) runs in a fresh process with the default analysis options (k chosen by
silhouette, 200 CLV draws): wall time of ``analyse_customers`` (Spark's session start-up, a few
seconds, is reported apart), and peak memory: the largest sum of resident set sizes of the
process and all its descendants (the JVM for Spark, and its Python workers), sampled every 0.2 s
from /proc. Results: bench/results/engines.json and engines.md.

Usage: .venv/bin/python bench/bench_engines.py [--scales 1 10 100] [--timeout 3600] [--merge]
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
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")


def build_base(directory: Path) -> dict[str, int]:
    """The full Online Retail data imported and exported as Parquet (the 1x data)."""
    from crmind.config import Settings
    from crmind.data import ONLINE_RETAIL
    from crmind.ingest.fields import ImportKind
    from crmind.services.engine_data import export_parquet
    from crmind.services.importing import ImportRequest, import_file
    from crmind.services.setup import init_store

    settings = Settings(data_dir=directory, database_url=f"sqlite:///{directory / 'store.db'}")
    engine, _ = init_store(settings)
    request = ImportRequest(kind=ImportKind.ORDERS, path=ONLINE_RETAIL, preset="online-retail")
    import_file(engine, request)
    rows = export_parquet(engine, directory / "x1").rows
    engine.dispose()
    return rows


def resample(base: Path, target: Path, scale: int, seed: int = 0) -> dict[str, int]:
    """``scale`` times as many customers as ``base``, drawn with replacement, with new ids."""
    import numpy as np
    import polars as pl

    target.mkdir(parents=True, exist_ok=True)
    lines = pl.read_parquet(base / "order_lines.parquet").filter(
        pl.col("customer_id").is_not_null()
    )
    customers = pl.read_parquet(base / "customers.parquet")
    ids = lines["customer_id"].unique().sort().to_numpy()
    rng = np.random.default_rng(seed)
    drawn = pl.DataFrame(
        {
            "new_customer": np.arange(1, scale * len(ids) + 1, dtype=np.int64),
            "customer_id": rng.choice(ids, size=scale * len(ids), replace=True),
        }
    )
    order_span = int(lines["order_id"].max()) + 1  # type: ignore[arg-type]
    line_span = int(lines["line_id"].max()) + 1  # type: ignore[arg-type]
    copies = (
        drawn.join(lines, on="customer_id", how="inner")
        .with_columns(
            (pl.col("new_customer") * order_span + pl.col("order_id")).alias("order_id"),
            (pl.col("new_customer") * line_span + pl.col("line_id")).alias("line_id"),
        )
        .drop("customer_id")
        .rename({"new_customer": "customer_id"})
        .select(lines.columns)
    )
    copies.write_parquet(target / "order_lines.parquet", compression="zstd")
    drawn.join(customers, on="customer_id", how="left").select(
        pl.col("new_customer").alias("customer_id"), "country"
    ).write_parquet(target / "customers.parquet")
    for table in ("products", "events"):
        pl.read_parquet(base / f"{table}.parquet").write_parquet(target / f"{table}.parquet")
    return {"order_lines": copies.height, "customers": drawn.height}


def child(engine_name: str, directory: str, driver_memory: str) -> None:
    """Run one analysis and print its figures as JSON (the parent measures memory)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from crmind.engines import CustomerAnalysisOptions, ParquetSource, get_engine

    conf = {"spark.driver.memory": driver_memory}
    engine = get_engine(engine_name, spark_master="local[2]", spark_conf=conf)
    started = time.perf_counter()
    if engine_name == "spark":
        assert engine.session is not None  # type: ignore[attr-defined]  # start the JVM first
    start_up = time.perf_counter() - started
    started = time.perf_counter()
    result = engine.analyse_customers(ParquetSource(Path(directory)), CustomerAnalysisOptions())
    seconds = time.perf_counter() - started
    engine.close()
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "start_up_seconds": round(start_up, 2),
                "steps": result.seconds,
                "customers": result.profiles.height,
                "k": result.segments.n_clusters,
            }
        )
    )


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    family, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in family:
                family.add(pid)
                frontier.append(pid)
    total = 0
    for pid in family:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(
    engine_name: str, directory: Path, timeout: float, driver_memory: str
) -> dict[str, Any]:
    """One child run: its figures, wall time and peak memory of its process tree (its errors
    go to ``<directory>/<engine>.log``)."""
    started = time.perf_counter()
    log = (directory / f"{engine_name}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", engine_name, str(directory), driver_memory],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        if time.perf_counter() - started > timeout:
            process.kill()
            return {"engine": engine_name, "error": f"timed out after {timeout:.0f} s"}
        time.sleep(0.2)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        return {"engine": engine_name, "error": f"exit status {process.returncode}"}
    figures = json.loads(output.strip().splitlines()[-1])
    return {
        "engine": engine_name,
        **({"driver_memory": driver_memory} if engine_name == "spark" else {}),
        **figures,
        "process_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak / 2**20),
    }


def write_markdown(report: dict[str, Any], path: Path) -> None:
    rows = [
        "| size | order lines | customers | engine | analysis s | Spark start-up s | "
        "process s | peak RSS MB | slowest step |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in report["sizes"]:
        for run in size["runs"]:
            if "error" in run:
                rows.append(
                    f"| {size['scale']}x | {size['order_lines']:,} | {size['customers']:,} | "
                    f"{run['engine']} | {run['error']} | | | | |"
                )
                continue
            step, step_seconds = max(run["steps"].items(), key=lambda item: item[1])
            engine = run["engine"]
            if "driver_memory" in run:
                engine += f" (driver {run['driver_memory']})"
            rows.append(
                f"| {size['scale']}x | {size['order_lines']:,} | {run['customers']:,} | "
                f"{engine} | {run['seconds']:.1f} | {run['start_up_seconds']:.1f} | "
                f"{run['process_seconds']:.1f} | {run['peak_rss_mb']:,} | "
                f"{step} {step_seconds:.1f} s |"
            )
    text = "\n".join(
        [
            "# Local engine vs Spark local[2]: the heavy analysis steps by data size",
            "",
            f"Measured {report['date']} on {report['machine']} ({report['cpus']} CPUs, shared "
            "with other work), Python " + report["python"] + ", PySpark " + report["pyspark"] + ".",
            "Command: `" + report["command"] + "`.",
            "",
            "Both engines read the same Parquet files (`crmind export parquet`); 1x is the "
            "full UCI Online Retail data, 10x and 100x resample its customers with replacement "
            "under new ids. Default options (k by silhouette, 200 CLV draws). Peak RSS sums "
            "the process and its descendants (Spark: the JVM and its Python workers). "
            "See bench/bench_engines.py.",
            "",
            *rows,
            "",
            *report.get("notes", []),
        ]
    )
    path.write_text(text + "\n")


def _merged(earlier: list[dict[str, Any]], measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The earlier sizes with the runs just measured in place of theirs (by size and engine)."""
    by_scale = {size["scale"]: size for size in earlier}
    for size in measured:
        old = by_scale.get(size["scale"])
        if old is not None:
            engines = {run["engine"] for run in size["runs"]}
            kept = [run for run in old["runs"] if run["engine"] not in engines]
            size = {**size, "runs": kept + size["runs"]}
        by_scale[size["scale"]] = size
    return [by_scale[scale] for scale in sorted(by_scale)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--driver-memory", default="2g", help="spark.driver.memory (local mode: all of Spark)."
    )
    parser.add_argument("--scales", nargs="+", type=int, default=[1, 10, 100])
    parser.add_argument("--engines", nargs="+", default=["local", "spark"])
    parser.add_argument("--timeout", type=float, default=3600.0, help="Seconds per run.")
    parser.add_argument("--work", type=Path, default=None, help="Folder for the data.")
    parser.add_argument(
        "--merge", action="store_true", help="Keep the other sizes of the existing results."
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import pyspark

    work = args.work or Path(tempfile.mkdtemp(prefix="crmind-bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "x1" / "order_lines.parquet").exists():
        build_base(work)
    import polars as pl

    sizes = []
    for scale in args.scales:
        directory = work / f"x{scale}"
        if scale == 1:
            counts = {
                "order_lines": pl.scan_parquet(directory / "order_lines.parquet")
                .select(pl.len())
                .collect()
                .item(),
                "customers": 0,
            }
        elif (directory / "order_lines.parquet").exists():
            counts = {
                "order_lines": pl.scan_parquet(directory / "order_lines.parquet")
                .select(pl.len())
                .collect()
                .item(),
                "customers": pl.scan_parquet(directory / "customers.parquet")
                .select(pl.len())
                .collect()
                .item(),
            }
        else:
            counts = resample(work / "x1", directory, scale)
        runs = []
        for engine_name in args.engines:
            run = measure(engine_name, directory, args.timeout, args.driver_memory)
            print(scale, run, flush=True)
            runs.append(run)
        sizes.append({"scale": scale, **counts, "runs": runs})
    commands = ["python bench/bench_engines.py " + " ".join(sys.argv[1:])]
    if args.merge and (RESULTS / "engines.json").exists():
        earlier = json.loads((RESULTS / "engines.json").read_text())
        sizes = _merged(earlier["sizes"], sizes)
        commands = earlier["command"].split(" ; ") + commands
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "command": " ; ".join(commands),
        "sizes": sizes,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engines.json").write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(report, RESULTS / "engines.md")


if __name__ == "__main__":
    main()
