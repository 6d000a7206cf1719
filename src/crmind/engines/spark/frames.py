"""Moving frames between polars and Spark, and reading the analysis tables into Spark.

Both directions go through Arrow (no Python object per value). crmind's times are naive UTC;
the session's time zone is UTC (:mod:`crmind.engines.spark.session`), so a naive time becomes a
Spark ``timestamp`` at the same instant, and back. Parquet files written from polars carry naive
times, which Spark reads as ``timestamp_ntz``: they are cast to ``timestamp`` on reading so every
source gives the same column types.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql import types as T  # noqa: N812

from crmind.engines.base import TABLES, AnalysisTables, JdbcSource, ParquetSource, Source
from crmind.errors import ConfigurationError, ModelDataError


def to_spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """``frame`` as a Spark DataFrame (via Arrow; naive times as UTC ``timestamp``)."""
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    if frame.height == 0:
        return spark.createDataFrame([], schema=_spark_schema(frame))
    return normalise_times(spark.createDataFrame(table))


def to_polars(frame: DataFrame) -> pl.DataFrame:
    """Collect ``frame`` to the driver as polars; timestamps become naive UTC microseconds."""
    result = pl.from_arrow(frame.toArrow())
    assert isinstance(result, pl.DataFrame)
    casts = [
        pl.col(name).dt.replace_time_zone(None).dt.cast_time_unit("us")
        for name, dtype in result.schema.items()
        if isinstance(dtype, pl.Datetime)
    ]
    return result.with_columns(casts) if casts else result


def normalise_times(frame: DataFrame) -> DataFrame:
    """``timestamp_ntz`` columns cast to ``timestamp`` (the same instant in a UTC session)."""
    casts = {
        field.name: F.col(field.name).cast("timestamp")
        for field in frame.schema.fields
        if isinstance(field.dataType, T.TimestampNTZType)
    }
    return frame.withColumns(casts) if casts else frame


def read_tables(spark: SparkSession, source: Source) -> dict[str, DataFrame]:
    """The tables of :data:`~crmind.engines.base.TABLES` of ``source`` as Spark DataFrames."""
    if isinstance(source, AnalysisTables):
        frames = {
            "order_lines": source.lines,
            "products": source.products,
            "customers": source.customers,
            "events": source.events,
        }
        return {name: to_spark(spark, frame) for name, frame in frames.items()}
    if isinstance(source, ParquetSource):
        missing = source.missing()
        if missing:
            raise ModelDataError(
                f"{source.directory} lacks {', '.join(f'{n}.parquet' for n in missing)}; "
                "write them with `crmind export parquet`"
            )
        return {name: normalise_times(spark.read.parquet(source.path(name))) for name in TABLES}
    if isinstance(source, JdbcSource):
        return {name: read_jdbc(spark, source, name) for name in TABLES}
    raise ConfigurationError(f"unknown data source {source!r}")  # pragma: no cover


def read_jdbc(spark: SparkSession, source: JdbcSource, table: str) -> DataFrame:
    """One table of ``source`` read over JDBC by the executors (``fetchsize`` rows at a time)."""
    try:
        query = source.queries[table]
    except KeyError:
        raise ConfigurationError(
            f"the JDBC source has no query for table {table!r}; it has {sorted(source.queries)}"
        ) from None
    reader: Any = (
        spark.read.format("jdbc")
        .option("url", source.url)
        .option("query", query)
        .option("fetchsize", "10000")
    )
    for key, value in source.properties.items():
        reader = reader.option(key, value)
    return normalise_numbers(normalise_times(reader.load()))


def normalise_numbers(frame: DataFrame) -> DataFrame:
    """Database numbers as the frames hold them: decimals as doubles, small integers as longs."""
    casts = {}
    for field in frame.schema.fields:
        if isinstance(field.dataType, T.DecimalType):
            casts[field.name] = F.col(field.name).cast("double")
        elif isinstance(field.dataType, T.IntegerType | T.ShortType | T.ByteType):
            casts[field.name] = F.col(field.name).cast("long")
    return frame.withColumns(casts) if casts else frame


_SPARK_TYPES: dict[type[pl.DataType], T.DataType] = {
    pl.Int64: T.LongType(),
    pl.Int32: T.IntegerType(),
    pl.Float64: T.DoubleType(),
    pl.Float32: T.FloatType(),
    pl.Boolean: T.BooleanType(),
    pl.String: T.StringType(),
    pl.Datetime: T.TimestampType(),
    pl.Date: T.DateType(),
}


def _spark_schema(frame: pl.DataFrame) -> T.StructType:
    """The Spark schema of an (empty) polars frame; unknown types become strings."""
    fields = [
        T.StructField(name, _SPARK_TYPES.get(dtype.base_type(), T.StringType()), True)
        for name, dtype in frame.schema.items()
    ]
    return T.StructType(fields)
