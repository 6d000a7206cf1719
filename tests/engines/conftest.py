"""Fixtures of the engine tests: one local Spark session for them all, and one store of real data.

The Spark session runs ``local[2]`` with 4 shuffle partitions and no UI (the machine has 2 cores);
it starts once per test session (about 10 s) and is stopped at the end. The store holds the first
80,000 lines of the bundled UCI Online Retail file (1,342 customers), imported once per session.
"""

from __future__ import annotations

import lzma
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crmind.data import ONLINE_RETAIL
from crmind.engines import AnalysisTables
from crmind.ingest.fields import ImportKind
from crmind.privacy.binding import attach_cipher
from crmind.services.engine_data import store_tables
from crmind.services.importing import ImportRequest, import_file
from crmind.store.db import make_engine
from crmind.store.migrate import upgrade
from tests.store_cipher import TEST_CIPHER

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

pyspark = pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")

SAMPLE_LINES = 80_000


def postgres_jdbc_jar() -> Path | None:
    """A PostgreSQL JDBC driver jar already on this machine (CRMIND_TEST_JDBC_JAR, else the
    local Maven repository); nothing is downloaded."""
    named = os.environ.get("CRMIND_TEST_JDBC_JAR")
    if named:
        return Path(named) if Path(named).exists() else None
    found = sorted((Path.home() / ".m2/repository/org/postgresql/postgresql").glob("*/*.jar"))
    return found[-1] if found else None


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    from crmind.engines.spark.session import build_session

    jar = postgres_jdbc_jar()
    session = build_session(
        "local[2]", app_name="crmind-tests", jars=str(jar) if jar is not None else None
    )
    yield session
    session.stop()


def retail_sample(directory: Path, lines: int = SAMPLE_LINES) -> Path:
    """The first ``lines`` lines of the bundled Online Retail CSV, as a file in ``directory``."""
    path = directory / "retail_sample.csv"
    with lzma.open(ONLINE_RETAIL, "rt", encoding="utf-8") as source, path.open("w") as target:
        for index, line in enumerate(source):
            if index > lines:
                break
            target.write(line)
    return path


@pytest.fixture(scope="session")
def retail_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A SQLite store with the Online Retail sample imported (shared: tests only read it, or
    write analysis runs that name themselves)."""
    directory = tmp_path_factory.mktemp("retail_store")
    engine = attach_cipher(make_engine(f"sqlite:///{directory / 'crmind.db'}"), TEST_CIPHER)
    upgrade(engine)
    request = ImportRequest(
        kind=ImportKind.ORDERS, path=retail_sample(directory), preset="online-retail"
    )
    import_file(engine, request)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def retail_tables(retail_store: Engine) -> AnalysisTables:
    return store_tables(retail_store)
