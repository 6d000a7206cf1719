"""Where the heavy analysis steps run: ``local`` (in-process, the default) or ``spark``.

Pick one with :func:`get_engine`; both take the same :data:`~crmind.engines.base.Source` and
return the same :class:`~crmind.engines.base.CustomerAnalysis` frames, so the analysis service
writes their results with one code path. PySpark is an optional extra (``crmind[spark]``):
nothing here imports it until the spark engine is asked for.
"""

from __future__ import annotations

from typing import Final

from crmind.engines.base import (
    TABLES,
    AnalysisTables,
    CustomerAnalysis,
    CustomerAnalysisOptions,
    Engine,
    ExampleOptions,
    JdbcSource,
    LearnedSegments,
    ParquetSource,
    Source,
)
from crmind.engines.local import LocalEngine
from crmind.errors import ConfigurationError

ENGINES: Final = ("local", "spark")

__all__ = [
    "ENGINES",
    "TABLES",
    "AnalysisTables",
    "CustomerAnalysis",
    "CustomerAnalysisOptions",
    "Engine",
    "ExampleOptions",
    "JdbcSource",
    "LearnedSegments",
    "LocalEngine",
    "ParquetSource",
    "Source",
    "get_engine",
]


def get_engine(
    name: str = "local",
    *,
    spark_master: str = "local[2]",
    spark_jars: str | None = None,
    spark_conf: dict[str, str] | None = None,
) -> Engine:
    """The engine called ``name`` (one of :data:`ENGINES`).

    For ``spark``, a Spark session on ``spark_master`` (``local[N]``, ``spark://host:7077``,
    ``yarn``, ...) with ``spark_jars`` (comma-separated jar files, e.g. a JDBC driver) and any
    further ``spark_conf``; the first call starts the JVM (a few seconds).
    """
    if name == "local":
        return LocalEngine()
    if name == "spark":
        try:
            from crmind.engines.spark import SparkEngine
        except ImportError as exc:  # pragma: no cover - the extra is part of the dev install
            raise ConfigurationError(
                "engine 'spark' needs PySpark: pip install 'crmind[spark]'"
            ) from exc
        return SparkEngine(master=spark_master, jars=spark_jars, conf=spark_conf)
    raise ConfigurationError(f"engine {name!r} is not known; expected one of {', '.join(ENGINES)}")
