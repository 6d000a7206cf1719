"""Benchmark: import UCI Online Retail into SQLite and PostgreSQL, and read it back as a frame.

crmind's import (read, validate, clean, resolve identities, write with rejects) is measured beside
the peer most users would otherwise reach for, pandas (``read_csv`` + ``to_sql``, and
``read_sql``), on the same file in the same run. Each case runs in a fresh process so that its
peak memory (max RSS) is its own. Results: bench/results/import.json and import.md.

Usage: .venv/bin/python bench/bench_import.py [--sizes 135000,270000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
POSTGRES_URL = os.environ.get(
    "CRMIND_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _online_retail() -> Path:
    from crmind.data import ONLINE_RETAIL

    return ONLINE_RETAIL


def _sample(rows: int, workdir: Path) -> Path:
    """The first ``rows`` data rows of the bundled file, as an xz CSV."""
    target = workdir / f"online_retail_{rows}.csv.xz"
    if not target.exists():
        with (
            lzma.open(_online_retail(), "rt", encoding="utf-8") as src,
            lzma.open(target, "wt", encoding="utf-8", preset=1) as dst,
        ):
            for index, line in enumerate(src):
                if index > rows:
                    break
                dst.write(line)
    return target


# -- cases: each runs in its own process and returns the rows it handled ---------------------


def case_crmind_import(url: str, path: str) -> int:
    from crmind.ingest.fields import ImportKind
    from crmind.services.importing import ImportRequest, import_file
    from crmind.store.db import make_engine
    from crmind.store.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    summary = import_file(
        engine,
        ImportRequest(kind=ImportKind.ORDERS, path=Path(path), preset="online-retail"),
        reports_dir=Path(tempfile.gettempdir()),
    )
    assert summary.rows_read == summary.rows_stored + summary.rows_rejected
    return summary.rows_read


def case_crmind_read(url: str, path: str) -> int:
    from crmind.store.db import make_engine
    from crmind.store.frames import order_lines

    return order_lines(make_engine(url)).height


def case_pandas_import(url: str, path: str) -> int:
    import pandas as pd
    from sqlalchemy import create_engine

    frame = pd.read_csv(
        path,
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"},
        parse_dates=["InvoiceDate"],
    )
    engine = create_engine(url)
    frame.to_sql("pandas_lines", engine, if_exists="replace", index=False, chunksize=50_000)
    return len(frame)


def case_pandas_read(url: str, path: str) -> int:
    import pandas as pd
    from sqlalchemy import create_engine

    return len(pd.read_sql("SELECT * FROM pandas_lines", create_engine(url)))


CASES: dict[str, Callable[[str, str], int]] = {
    "crmind_import": case_crmind_import,
    "crmind_read": case_crmind_read,
    "pandas_import": case_pandas_import,
    "pandas_read": case_pandas_read,
}


def _run_case(case: str, url: str, path: Path) -> dict[str, float | int | str]:
    """Run one case in a child process; wall time and the child's own peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "--case", case, "--url", url, "--path", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    output = child.stdout.read() if child.stdout else ""
    if status != 0:
        raise RuntimeError(f"case {case} failed with status {status}")
    rows = int(json.loads(output.strip().splitlines()[-1])["rows"])
    return {
        "case": case,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def _postgres_schema_url() -> str:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _drop_postgres_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    schema = url.rsplit("%3D", 1)[1]
    with create_engine(POSTGRES_URL).begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run(sizes: list[int], with_postgres: bool) -> list[dict[str, float | int | str]]:
    results: list[dict[str, float | int | str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        files = [(size, _sample(size, workdir)) for size in sizes]
        files.append((541_909, _online_retail()))
        for size, path in files:
            databases = [("sqlite", f"sqlite:///{workdir / f'crmind_{size}.db'}")]
            if with_postgres and size == 541_909:
                databases.append(("postgresql", _postgres_schema_url()))
            for database, url in databases:
                cases = ["crmind_import", "crmind_read"]
                if size == 541_909:
                    cases += ["pandas_import", "pandas_read"]
                for case in cases:
                    result = _run_case(case, url, path)
                    result.update({"database": database, "input_rows": size})
                    results.append(result)
                    print(json.dumps(result), flush=True)
                if database == "postgresql":
                    _drop_postgres_schema(url)
    return results


def _markdown(results: list[dict[str, float | int | str]]) -> str:
    lines = [
        "# Import and read-back: UCI Online Retail",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Command: `.venv/bin/python bench/bench_import.py`.",
        "Each case runs in a fresh process; peak memory is that process's max RSS. Ratios are "
        "the peer's time or memory over crmind's on the same database (above 1: crmind is "
        "faster / smaller).",
        "",
        "| database | input rows | case | seconds | rows/s | peak MiB | time ratio | memory "
        "ratio |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    by_key = {(r["database"], r["input_rows"], r["case"]): r for r in results}
    for r in results:
        ratio_t = ratio_m = ""
        case = str(r["case"])
        if case.startswith("pandas_"):
            mine = by_key.get((r["database"], r["input_rows"], case.replace("pandas", "crmind")))
            if mine:
                ratio_t = f"{float(r['seconds']) / float(mine['seconds']):.2f}"
                ratio_m = f"{float(r['peak_rss_mib']) / float(mine['peak_rss_mib']):.2f}"
        lines.append(
            f"| {r['database']} | {int(r['input_rows']):,} | {case} | {r['seconds']} | "
            f"{int(r['rows_per_second']):,} | {r['peak_rss_mib']} | {ratio_t} | {ratio_m} |"
        )
    lines += [
        "",
        "crmind_import validates, cleans, resolves customers, writes orders, lines, products,",
        "customers, identities and rejects; pandas_import only parses the CSV and writes one",
        "table. crmind_read returns order lines joined with their orders; pandas_read one table.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--url")
    parser.add_argument("--path")
    parser.add_argument("--sizes", default="135000,270000", help="smaller inputs to show growth")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if args.case:
        print(json.dumps({"rows": CASES[args.case](args.url, args.path)}))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results = run(sizes, with_postgres=not args.skip_postgres)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "import.md").write_text(_markdown(results))
    print((RESULTS / "import.md").read_text())


if __name__ == "__main__":
    main()
