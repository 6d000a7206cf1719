"""Imports: upload a file of orders, customers, products, events or feedback; see the runs and
their rejected rows.

An upload is imported before the answer (it is capped at 200 MB; larger files go through
``crmind import`` on the server): the answer holds the run, with how many rows were stored
and rejected, and why. A file imported completely before, with the same options, writes
nothing and answers with the earlier run.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, SettingsDep, require
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.products import NO_NUL
from crmind.api.schemas.runs import (
    ImportRejectPublic,
    ImportRejectsPublic,
    ImportResultPublic,
    ImportRunPublic,
    ImportRunsPublic,
)
from crmind.ingest.fields import ImportKind
from crmind.services.import_history import (
    ImportQuery,
    ImportSort,
    get_import_run,
    import_rejects,
    search_import_runs,
)
from crmind.services.import_uploads import UploadOptions, import_upload, save_upload

router = APIRouter(prefix="/imports", tags=["imports"])

Reader = Depends(require(Permission.IMPORTS_READ))
Writer = Depends(require(Permission.IMPORTS_WRITE))

ShortText = Annotated[str, Form(max_length=100, pattern=NO_NUL)]
"""A form field; left out or empty means: not given (multipart has no null)."""


def _given(value: str) -> str | None:
    return value.strip() or None


@router.post("", status_code=201, dependencies=[Writer])
def post_import(
    engine: EngineDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV, TSV, XLSX, JSON, JSONL or Parquet.")],
    kind: Annotated[ImportKind, Form()],
    source: ShortText = "",
    preset: ShortText = "",
    map: Annotated[
        list[str],
        Form(description="Column mapping 'file column=field'; repeatable.", max_length=200),
    ] = [],  # noqa: B006 - FastAPI copies defaults per request
    encoding: Annotated[str, Form(max_length=40, pattern=r"^[A-Za-z0-9_.:-]*$")] = "",
    delimiter: Annotated[str, Form(max_length=10, pattern=NO_NUL)] = "",
    sheet: ShortText = "",
    timezone: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9_/+-]*$")] = "",
    date_order: Annotated[
        Literal["auto", "dayfirst", "monthfirst"],
        Form(description="How to read 01/02: as 1 Feb (dayfirst), 2 Jan, or detected."),
    ] = "auto",
) -> ImportResultPublic:
    """Upload a file and import it. Example:
    `curl -F kind=orders -F preset=online-retail -F file=@retail.csv .../imports`"""
    path = save_upload(settings, file.filename, file.file)
    options = UploadOptions(
        source=_given(source),
        preset=_given(preset),
        mapping=[pair for pair in map if pair],
        encoding=_given(encoding),
        delimiter=delimiter or None,
        sheet=_given(sheet),
        timezone=_given(timezone),
        dayfirst=None if date_order == "auto" else date_order == "dayfirst",
    )
    summary = import_upload(engine, settings, kind, path, options)
    return ImportResultPublic(
        run=ImportRunPublic(**get_import_run(engine, summary.run_id)),
        outcome=summary.status,
        rows_stored=summary.rows_stored,
        notes=list(summary.notes),
        reject_reasons=list(summary.reject_reasons),
    )


@router.get("", dependencies=[Reader])
def list_imports(
    engine: EngineDep,
    kind: ImportKind | None = None,
    status: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    source: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    sort: ImportSort = "-id",
    limit: Limit = 50,
    offset: Offset = 0,
) -> ImportRunsPublic:
    """Import runs, newest first. Example: `GET /imports?kind=orders`"""
    rows, count = search_import_runs(
        engine,
        ImportQuery(
            kind=str(kind) if kind else None,
            status=status,
            source=source,
            sort=sort,
            limit=limit,
            offset=offset,
        ),
    )
    return ImportRunsPublic(data=[ImportRunPublic(**row) for row in rows], count=count)


@router.get("/{run_id}", dependencies=[Reader])
def get_import(engine: EngineDep, run_id: RecordId) -> ImportRunPublic:
    """One import run. Example: `GET /imports/3`"""
    return ImportRunPublic(**get_import_run(engine, run_id))


@router.get("/{run_id}/rejects", dependencies=[Reader])
def list_rejects(
    engine: EngineDep, run_id: RecordId, limit: Limit = 100, offset: Offset = 0
) -> ImportRejectsPublic:
    """A run's rejected rows with their reasons and raw records, by row.
    Example: `GET /imports/3/rejects?limit=500`"""
    rows, count = import_rejects(engine, run_id, limit, offset)
    return ImportRejectsPublic(data=[ImportRejectPublic(**row) for row in rows], count=count)
