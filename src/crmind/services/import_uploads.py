"""Use case: import a file sent over the API (``POST /imports``).

The upload is kept under ``<data dir>/uploads`` with a name of its own (a random prefix, then
the sender's file name reduced to safe characters, keeping the extension that tells its
format), then imported as ``crmind import`` would, with the settings' defaults for time zone,
phone region, currency and batch size. The import runs to its end before the answer (uploads
are capped at ``MAX_UPLOAD_BYTES``); its run, with every rejected row and reason, stays
readable afterwards.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine

from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.ingest.fields import ImportKind
from crmind.ingest.mapping import parse_map_option
from crmind.services.importing import ImportRequest, ImportSummary, import_file

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_CHUNK = 1 << 20
UPLOADS_DIR = "uploads"


class UploadError(CrmindError):
    """An upload crmind cannot keep (too large, empty); says why."""


@dataclass(frozen=True)
class UploadOptions:
    """How to read an uploaded file (the options of ``crmind import``)."""

    source: str | None = None
    preset: str | None = None
    mapping: list[str] = field(default_factory=list)  # "file column=field"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    timezone: str | None = None
    dayfirst: bool | None = None


def safe_name(file_name: str | None) -> str:
    """The last part of ``file_name`` with only letters, digits, ``.``, ``-`` and ``_``."""
    base = re.split(r"[\\/]", file_name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")[-100:]
    return cleaned or "upload"


def save_upload(
    settings: Settings, file_name: str | None, stream: BinaryIO, max_bytes: int = MAX_UPLOAD_BYTES
) -> Path:
    """Copy ``stream`` to a new file under the uploads directory; UploadError when it is empty
    or larger than ``max_bytes`` (nothing is kept then)."""
    directory = settings.data_dir / UPLOADS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(8)}-{safe_name(file_name)}"
    size = 0
    try:
        with path.open("wb") as target:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(f"the upload is larger than {max_bytes} bytes")
                target.write(chunk)
        if size == 0:
            raise UploadError(f"the upload {file_name!r} is empty")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def import_upload(
    engine: Engine, settings: Settings, kind: ImportKind, path: Path, options: UploadOptions
) -> ImportSummary:
    """Import a saved upload; reject reports go to ``<data dir>/reports`` when they cannot
    sit beside the file."""
    request = ImportRequest(
        kind=kind,
        path=path,
        source=options.source,
        preset=options.preset,
        mapping=parse_map_option(options.mapping),
        encoding=options.encoding,
        delimiter=options.delimiter,
        sheet=options.sheet,
        timezone=options.timezone or settings.default_timezone,
        dayfirst=options.dayfirst,
        phone_region=settings.default_phone_region,
        default_currency=settings.default_currency,
        batch_rows=settings.import_batch_rows,
    )
    return import_file(engine, request, reports_dir=settings.data_dir / "reports")
