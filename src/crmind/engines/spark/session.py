"""The Spark session of the spark engine: one per process, configured for crmind's frames.

Timestamps are naive UTC everywhere in crmind, so the session's time zone is UTC (a day boundary
then falls where polars puts it). Arrow moves data between Python and the JVM. Locally
(``local[N]``) the UI is off, shuffles use few partitions, the driver binds to the loopback
address and the JVM's time zone is UTC; on a cluster (``spark://...``, ``yarn``, ``k8s://...``)
those choices are left to the cluster's own configuration (spark-defaults.conf) unless ``conf``
sets them.
"""

from __future__ import annotations

import os
import sys
from typing import Final

from pyspark.sql import SparkSession

LOCAL_SHUFFLE_PARTITIONS: Final = 4
"""Shuffle partitions in local mode: Spark's default of 200 is far too many for a few cores."""


def build_session(
    master: str = "local[2]",
    *,
    app_name: str = "crmind",
    jars: str | None = None,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """A Spark session on ``master`` (an existing one of this process is reused and reconfigured
    with ``conf``). ``jars``: comma-separated local jar files put on the class path."""
    local = master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # the Python workers run the pandas UDFs with crmind: the driver's own interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings: dict[str, str] = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        "spark.sql.execution.pythonUDF.arrow.enabled": "true",
    }
    if local:
        settings.update(
            {
                # JDBC hands timestamps over in the JVM's zone: UTC, as crmind's times are
                "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
                "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.shuffle.partitions": str(LOCAL_SHUFFLE_PARTITIONS),
                "spark.default.parallelism": str(LOCAL_SHUFFLE_PARTITIONS),
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.driver.host": "127.0.0.1",
                "spark.sql.adaptive.enabled": "true",
            }
        )
    if jars:
        settings["spark.jars"] = jars
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
