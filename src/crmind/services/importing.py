"""Use case: import one file of orders, customers, products, events or feedback.

The import reads and validates the whole file first (nothing is written if the file cannot be
read or mapped), then writes it in batches, each one transaction holding its valid rows, its
rejected rows and the run's checkpoint. An interrupted import (crash, Ctrl-C) leaves the store
consistent; running the same import again resumes after the last committed batch. A file that
was imported completely before (same content, kind, source and options) is not written again.
Customers' personal fields are encrypted with the cipher attached to the engine
(:mod:`crmind.privacy.binding`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, select, update

from crmind import columns as c
from crmind.errors import ImportFileError, MappingError
from crmind.ingest.fields import ImportKind
from crmind.ingest.load import LoadContext, order_headers, product_catalogue, write_batch
from crmind.ingest.mapping import ColumnMapping, resolve_mapping
from crmind.ingest.presets import PRESETS, Preset
from crmind.ingest.readers import RawTable, read_table
from crmind.ingest.rules import apply_rules
from crmind.ingest.validate import Checked, ValidationOptions, parse_fields, split_rejects
from crmind.privacy.binding import cipher_of
from crmind.services.import_runs import (
    FileFacts,
    finish_run,
    load_run,
    previous_run,
    reason_family,
    start_run,
    write_report,
)
from crmind.store.bulk import fetch_ids, insert_ignore
from crmind.store.schema import ImportReject, ImportRun, Product, table_of

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]
"""Called after each committed batch with (records done, records in all)."""


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how to read it (the options of ``crmind import``)."""

    kind: ImportKind
    path: Path
    source: str | None = None
    preset: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    timezone: str = "UTC"
    date_formats: tuple[str, ...] = ()
    dayfirst: bool | None = None
    phone_region: str = "GB"
    default_currency: str = "GBP"
    batch_rows: int = 100_000


@dataclass(frozen=True)
class ImportSummary:
    """The outcome of an import: every row read is stored (new or already there) or rejected."""

    run_id: int
    kind: str
    source: str
    path: str
    status: str  # "completed" | "already imported"
    rows_read: int
    rows_new: int
    rows_existing: int
    rows_rejected: int
    seconds: float
    report_path: str | None
    resumed: bool = False
    notes: tuple[str, ...] = ()
    reject_reasons: tuple[tuple[str, int], ...] = ()

    @property
    def rows_stored(self) -> int:
        return self.rows_new + self.rows_existing

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "rows_stored": self.rows_stored}


def _preset(request: ImportRequest) -> Preset | None:
    if request.preset is None:
        return None
    preset = PRESETS.get(request.preset)
    if preset is None:
        raise MappingError(
            request.path,
            f"unknown preset {request.preset!r}; presets: {', '.join(sorted(PRESETS))}",
        )
    if preset.kind is not request.kind:
        raise MappingError(
            request.path,
            f"preset {preset.name!r} is for {preset.kind} imports, not {request.kind}",
        )
    return preset


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError as exc:
        raise ImportFileError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise ImportFileError(path, "is a directory, not a file") from exc
    except PermissionError as exc:
        raise ImportFileError(path, "cannot be read: permission denied") from exc
    return digest.hexdigest(), size


def import_file(
    engine: Engine,
    request: ImportRequest,
    *,
    reports_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import ``request.path`` into the store on ``engine``; see the module docstring."""
    started = time.perf_counter()
    cipher = cipher_of(engine)  # before anything is read: a store without a key takes no data
    preset = _preset(request)
    source = request.source or (preset.source if preset else "default")
    sha256, size = file_digest(request.path)
    table = read_table(
        request.path, encoding=request.encoding, delimiter=request.delimiter, sheet=request.sheet
    )
    header = [col for col in table.frame.columns if col != c.ROW]
    mapping = resolve_mapping(request.path, request.kind, header, request.mapping, preset)
    options = ValidationOptions(
        timezone=request.timezone,
        date_formats=request.date_formats or (preset.date_formats if preset else ()),
        dayfirst=request.dayfirst,
        phone_region=request.phone_region,
        default_currency=request.default_currency,
    )
    run_options = _run_options(request, source, mapping, options)
    digest = hashlib.sha256(json.dumps(run_options, sort_keys=True).encode()).hexdigest()
    previous = previous_run(engine, str(request.kind), source, sha256, digest)
    if previous is not None and previous.status == "completed":
        logger.info("%s was imported completely by run %s", request.path, previous.id)
        return _summary(
            engine, previous, request, time.perf_counter() - started, "already imported"
        )
    valid, rejects, notes = _validate(engine, table, mapping, options, preset, source)
    file_format, rows_read = table.format, table.rows_read
    del table  # the parsed rows are all we need from here on: free the raw text
    if previous is None:
        facts = FileFacts(request.path, sha256, size, file_format, rows_read)
        run_id = start_run(engine, str(request.kind), source, facts, run_options, digest)
        checkpoint = 0
    else:
        run_id, checkpoint = previous.id, previous.rows_committed
        logger.info("resuming run %s after row %s", run_id, checkpoint)
    context = LoadContext(
        kind=request.kind,
        source=source,
        import_run_id=run_id,
        cipher=cipher,
        orders=order_headers(valid) if request.kind is ImportKind.ORDERS else None,
        products=product_catalogue(valid) if request.kind is ImportKind.ORDERS else None,
    )
    try:
        _write_batches(engine, run_id, valid, rejects, context, checkpoint, request, progress)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        try:
            finish_run(engine, run_id, status, repr(exc))
        except Exception:  # the store itself may be what failed; keep the first error
            logger.exception("could not record run %s as %s", run_id, status)
        raise
    report = write_report(engine, run_id, request.path, reports_dir)
    finish_run(engine, run_id, "completed", None, report)
    run = load_run(engine, run_id)
    return _summary(
        engine,
        run,
        request,
        time.perf_counter() - started,
        "completed",
        resumed=previous is not None,
        notes=tuple(notes),
    )


def _run_options(
    request: ImportRequest, source: str, mapping: ColumnMapping, options: ValidationOptions
) -> dict[str, object]:
    return {
        "kind": str(request.kind),
        "source": source,
        "preset": request.preset,
        "columns": mapping.columns,
        "encoding": request.encoding,
        "delimiter": request.delimiter,
        "sheet": request.sheet,
        **dict(asdict(options).items()),
    }


def _validate(
    engine: Engine,
    table: RawTable,
    mapping: ColumnMapping,
    options: ValidationOptions,
    preset: Preset | None,
    source: str,
) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    checked = parse_fields(table, mapping, options)
    apply_rules(mapping.kind, checked, table, mapping, options, preset)
    if mapping.kind is ImportKind.ORDERS and mapping.column_for(c.PRODUCT_NAME) is None:
        _known_products_only(engine, checked, source)
    valid, rejects = split_rejects(table, checked)
    return valid, rejects, checked.notes


def _known_products_only(engine: Engine, checked: Checked, source: str) -> None:
    """Without product names in the file, a product code must already be in the store."""
    frame = checked.frame
    if frame[c.PRODUCT_ID].null_count() == frame.height:
        return
    skus = frame.select(pl.col(c.PRODUCT_ID).cast(pl.String).alias("sku")).drop_nulls().unique()
    with engine.connect() as conn:
        known = fetch_ids(
            conn,
            table_of(Product),
            skus.select(pl.lit(source).alias("source"), "sku"),
        )["sku"]
    checked.add_reason(
        c.PRODUCT_ID,
        pl.when(
            pl.col(c.PRODUCT_ID).is_not_null() & ~pl.col(c.PRODUCT_ID).is_in(known.implode())
        ).then(pl.format("unknown product '{}' (import products first)", pl.col(c.PRODUCT_ID))),
    )


def _write_batches(
    engine: Engine,
    run_id: int,
    valid: pl.DataFrame,
    rejects: pl.DataFrame,
    context: LoadContext,
    checkpoint: int,
    request: ImportRequest,
    progress: ProgressCallback | None,
) -> None:
    rows = pl.concat([valid.select(c.ROW), rejects.select(c.ROW)]).sort(c.ROW)[c.ROW]
    total = len(rows)
    todo = rows.filter(rows > checkpoint)
    done = total - len(todo)
    if progress is not None:
        progress(done, total)
    for start in range(0, len(todo), request.batch_rows):
        chunk = todo.slice(start, request.batch_rows)
        low, high = int(chunk[0]), int(chunk[-1])
        in_batch = pl.col(c.ROW).is_between(low, high)
        batch_valid = valid.filter(in_batch)
        batch_rejects = rejects.filter(in_batch)
        with engine.begin() as conn:
            counts = write_batch(conn, batch_valid, context)
            rejected = insert_ignore(
                conn,
                table_of(ImportReject),
                batch_rejects.select(
                    pl.lit(run_id, pl.Int64).alias("import_run_id"),
                    pl.col(c.ROW).alias("row"),
                    "field",
                    "reason",
                    context.cipher.encrypt_series(batch_rejects["raw"].fill_null("")),
                ),
            )
            conn.execute(
                update(ImportRun)
                .where(ImportRun.id == run_id)
                .values(
                    rows_new=ImportRun.rows_new + counts.new,
                    rows_existing=ImportRun.rows_existing + counts.existing,
                    rows_rejected=ImportRun.rows_rejected + rejected,
                    rows_committed=high,
                )
            )
        done += len(chunk)
        if progress is not None:
            progress(done, total)


def _summary(
    engine: Engine,
    run: ImportRun,
    request: ImportRequest,
    seconds: float,
    status: str,
    *,
    resumed: bool = False,
    notes: tuple[str, ...] = (),
) -> ImportSummary:
    with engine.connect() as conn:
        reasons = conn.execute(
            select(ImportReject.reason).where(ImportReject.import_run_id == run.id)
        ).scalars()
        counts: dict[str, int] = {}
        for reason in reasons:
            family = reason_family(reason)
            counts[family] = counts.get(family, 0) + 1
    new = run.rows_new if status == "completed" else 0
    existing = run.rows_existing if status == "completed" else run.rows_new + run.rows_existing
    return ImportSummary(
        run_id=run.id,
        kind=run.kind,
        source=run.source,
        path=str(request.path),
        status=status,
        rows_read=run.rows_read,
        rows_new=new,
        rows_existing=existing,
        rows_rejected=run.rows_rejected,
        seconds=round(seconds, 3),
        report_path=run.report_path,
        resumed=resumed,
        notes=notes,
        reject_reasons=tuple(sorted(counts.items(), key=lambda kv: -kv[1])),
    )
