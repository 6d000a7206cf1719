"""Use case: export the customer analytics table (``crmind export customers``).

One row per customer of the newest analysis run: the profile's features, the segment of each kind
(``segment_rfm``, ``segment_learned``, ...) and every score of that run and of the newest
prediction runs (``score_clv``, ``score_churn``, ..., with ``label_<kind>`` where scores carry a
label). Pseudonymised (the default for analysts), the customer id is replaced by a keyed pseudonym
(:mod:`crmind.privacy.pseudonyms`) and no contact field is included; otherwise the id and the
contact fields lead each row (for admins only: the API checks it, the CLI is trusted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl
from sqlalchemy import Engine, select

from crmind import columns as c
from crmind.config import Settings
from crmind.errors import CrmindError, NotFoundError
from crmind.privacy.keys import derived_key, secret_key
from crmind.privacy.pseudonyms import PSEUDONYM_PURPOSE, pseudonymise
from crmind.services.analysis_store import PROFILE_COLUMNS, latest_run
from crmind.services.audit import AuditRecord, record
from crmind.services.customers import PREDICTION_RUNS
from crmind.services.privacy import read_contact
from crmind.store.frames import read_sql
from crmind.store.schema import Customer, CustomerProfile, table_of

ExportFormat = Literal["csv", "parquet", "jsonl"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "parquet", "jsonl")

CONTACT_EXPORT_FIELDS = ("name", "email", "phone", "city", "postcode", "address")
"""Contact fields a non-pseudonymised export adds after the customer id."""


class ExportFormatError(CrmindError):
    """An export format crmind cannot write."""

    def __init__(self, value: str) -> None:
        super().__init__(f"unknown export format {value!r}; expected one of: {', '.join(FORMATS)}")


@dataclass(frozen=True)
class ExportResult:
    path: Path | None
    rows: int
    columns: list[str]
    analysis_run: int
    pseudonymised: bool


def pseudonym_key(settings: Settings) -> bytes:
    """The key pseudonyms are made with, derived from the installation's secret."""
    return derived_key(secret_key(settings), PSEUDONYM_PURPOSE)


def customer_table(
    engine: Engine, settings: Settings, *, pseudonymised: bool = True
) -> pl.DataFrame:
    """The analytics table of every profiled customer; see the module docstring.

    NotFoundError when no analysis run has completed."""
    return _customer_table(engine, settings, pseudonymised)[0]


def _customer_table(
    engine: Engine, settings: Settings, pseudonymised: bool
) -> tuple[pl.DataFrame, int]:
    run = latest_run(engine)
    if run is None:
        raise NotFoundError("no completed analysis run to export: run `crmind analyze` first")
    profile_types = {
        col.name: _polars_type(col.type.python_type)
        for col in table_of(CustomerProfile).columns
        if col.name in PROFILE_COLUMNS
    }
    profiles = read_sql(
        engine,
        f"SELECT {', '.join(PROFILE_COLUMNS)} FROM customer_profiles WHERE model_run_id = {run.id}",
        profile_types,
    ).sort(c.CUSTOMER_ID)
    table = profiles.join(_segments(engine, run.id), on=c.CUSTOMER_ID, how="left").join(
        _scores(engine, run.id), on=c.CUSTOMER_ID, how="left"
    )
    if pseudonymised:
        return pseudonymise(table, pseudonym_key(settings)), run.id
    return _contacts(engine, table), run.id


@dataclass(frozen=True)
class AnalyticsPage:
    """A page of the customer table, as JSON-ready rows (not-a-number values as None)."""

    analysis_run: int
    columns: list[str]
    rows: list[dict[str, Any]]
    count: int


def analytics_page(
    engine: Engine,
    settings: Settings,
    *,
    pseudonymised: bool = True,
    limit: int = 100,
    offset: int = 0,
) -> AnalyticsPage:
    """Rows ``offset`` to ``offset + limit`` of :func:`customer_table`."""
    table, run_id = _customer_table(engine, settings, pseudonymised)
    page = table.slice(offset, limit).with_columns(pl.col(pl.Float64).fill_nan(None))
    return AnalyticsPage(run_id, table.columns, page.to_dicts(), table.height)


def _polars_type(python_type: type) -> pl.DataType:
    if python_type is datetime:
        return pl.Datetime("us")
    if python_type is int:
        return pl.Int64()
    if python_type is float:
        return pl.Float64()
    return pl.String()


def _segments(engine: Engine, run_id: int) -> pl.DataFrame:
    members = read_sql(
        engine,
        "SELECT m.customer_id, s.kind, s.name FROM segment_members m "
        f"JOIN segments s ON s.id = m.segment_id WHERE s.model_run_id = {run_id}",
        {c.CUSTOMER_ID: pl.Int64(), "kind": pl.String(), "name": pl.String()},
    )
    if members.is_empty():
        return pl.DataFrame(schema={c.CUSTOMER_ID: pl.Int64})
    wide = members.with_columns(("segment_" + pl.col("kind")).alias("kind")).pivot(
        on="kind", index=c.CUSTOMER_ID, values="name", aggregate_function="first"
    )
    return wide.select(c.CUSTOMER_ID, *sorted(col for col in wide.columns if col != c.CUSTOMER_ID))


def _scores(engine: Engine, run_id: int) -> pl.DataFrame:
    runs = [run_id] + [r.id for kind in PREDICTION_RUNS if (r := latest_run(engine, kind))]
    scores = read_sql(
        engine,
        "SELECT customer_id, kind, value, label FROM customer_scores "
        f"WHERE model_run_id IN ({', '.join(str(int(r)) for r in runs)})",
        {
            c.CUSTOMER_ID: pl.Int64(),
            "kind": pl.String(),
            "value": pl.Float64(),
            "label": pl.String(),
        },
    )
    if scores.is_empty():
        return pl.DataFrame(schema={c.CUSTOMER_ID: pl.Int64})
    values = scores.with_columns(("score_" + pl.col("kind")).alias("kind")).pivot(
        on="kind", index=c.CUSTOMER_ID, values="value", aggregate_function="first"
    )
    labelled = scores.filter(pl.col("label").is_not_null())
    if not labelled.is_empty():
        labels = labelled.with_columns(("label_" + pl.col("kind")).alias("kind")).pivot(
            on="kind", index=c.CUSTOMER_ID, values="label", aggregate_function="first"
        )
        values = values.join(labels, on=c.CUSTOMER_ID, how="left")
    kept = [
        col
        for col in sorted(values.columns)
        if col != c.CUSTOMER_ID and values.get_column(col).null_count() < values.height
    ]
    return values.select(c.CUSTOMER_ID, *kept)


def _contacts(engine: Engine, table: pl.DataFrame) -> pl.DataFrame:
    ids = table.get_column(c.CUSTOMER_ID).to_list()
    contacts: dict[int, dict[str, object]] = {}
    customers = table_of(Customer)
    with engine.connect() as conn:
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            for row in conn.execute(select(customers).where(customers.c.id.in_(chunk))):
                contact = read_contact(row._mapping, conn)
                contacts[int(row.id)] = {f: contact.get(f) for f in CONTACT_EXPORT_FIELDS}
    columns = {
        field: pl.Series(field, [contacts.get(i, {}).get(field) for i in ids], pl.String)
        for field in CONTACT_EXPORT_FIELDS
    }
    contact_frame = pl.DataFrame(columns)
    return pl.concat(
        [table.select(c.CUSTOMER_ID), contact_frame, table.drop(c.CUSTOMER_ID)], how="horizontal"
    )


def export_customers(
    engine: Engine,
    settings: Settings,
    out: Path,
    *,
    file_format: str = "csv",
    pseudonymised: bool = True,
    actor: str,
    role: str | None = None,
) -> ExportResult:
    """Write :func:`customer_table` to ``out`` as CSV, Parquet or JSON Lines; audited."""
    if file_format not in FORMATS:
        raise ExportFormatError(file_format)
    table, run_id = _customer_table(engine, settings, pseudonymised)
    out.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "csv":
        table.write_csv(out)
    elif file_format == "parquet":
        table.write_parquet(out)
    else:
        table.write_ndjson(out)
    audit_export(engine, actor, role, pseudonymised, table.height, str(out))
    return ExportResult(out, table.height, table.columns, run_id, pseudonymised)


def audit_export(
    engine: Engine, actor: str, role: str | None, pseudonymised: bool, rows: int, target: str
) -> None:
    """Record that the customer table was exported (one entry, no personal data)."""
    record(
        engine,
        AuditRecord(
            actor=actor,
            role=role,
            action="export",
            resource="customers",
            detail={"pseudonymised": pseudonymised, "rows": rows, "target": target},
        ),
    )
