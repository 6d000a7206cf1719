"""Open a file for reading: check it exists, pick its format, and decompress it in memory.

The format comes from the file name's extension (case-insensitive) once a compression suffix
(``.xz``, ``.gz``, ``.zip``) is stripped; for a zip archive whose own name has no known extension,
the name of its one member decides. Compressed files are decompressed in memory, which suits
files up to a few hundred megabytes.
"""

from __future__ import annotations

import gzip
import io
import logging
import lzma
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from crmind.errors import ImportFileError
from crmind.ingest.readers.model import Compression, Format

logger = logging.getLogger(__name__)

FORMAT_BY_EXTENSION: Final[dict[str, Format]] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
COMPRESSION_BY_EXTENSION: Final[dict[str, Compression]] = {
    ".xz": "xz",
    ".gz": "gzip",
    ".zip": "zip",
}
TEXT_FORMATS: Final[frozenset[Format]] = frozenset({"csv", "json", "jsonl"})

_EXPECTED: Final = (
    "expected one of "
    + ", ".join(FORMAT_BY_EXTENSION)
    + " (optionally compressed as "
    + ", ".join(COMPRESSION_BY_EXTENSION)
    + ")"
)


@dataclass(frozen=True)
class Source:
    """The bytes of a file, decompressed, with what its name says about them.

    ``extension`` is the lower-case extension that decided ``format`` (``.tsv``, ``.csv`` ...).
    """

    path: Path
    format: Format
    extension: str
    data: bytes
    compression: Compression | None = None


def open_source(path: Path) -> Source:
    """Read ``path`` into memory, decompressed, and tell its format.

    Raises :class:`ImportFileError` when the file is missing, is a directory, cannot be read, has
    an unsupported extension, is empty, or holds corrupt compressed data.
    """
    if not path.exists():
        raise ImportFileError(path, "no such file")
    if path.is_dir():
        raise ImportFileError(path, "is a directory, not a file")
    compression = COMPRESSION_BY_EXTENSION.get(path.suffix.lower())
    inner_name = path.stem if compression else path.name
    extension = PurePosixPath(inner_name).suffix.lower()
    if compression != "zip" or extension in FORMAT_BY_EXTENSION:
        _check_extension(path, extension)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(path, f"cannot be read: {exc.strerror or exc}") from exc
    if _is_blank(data):
        raise ImportFileError(path, "is empty")
    if compression is not None:
        data, member = _decompress(path, data, compression)
        if member is not None and extension not in FORMAT_BY_EXTENSION:
            extension = PurePosixPath(member).suffix.lower()
            _check_extension(path, extension, member=member)
        if _is_blank(data):
            raise ImportFileError(path, "is empty once decompressed")
    logger.debug("opened %s: %d bytes, extension %s", path, len(data), extension)
    return Source(path, FORMAT_BY_EXTENSION[extension], extension, data, compression)


def _is_blank(data: bytes) -> bool:
    """True for no bytes or only ASCII whitespace; stops at the first other byte, copies nothing."""
    return not data or data.isspace()


def _check_extension(path: Path, extension: str, *, member: str | None = None) -> None:
    if extension in FORMAT_BY_EXTENSION:
        return
    where = f"the archive member {member!r} has " if member else ""
    if not extension:
        raise ImportFileError(path, f"{where}no file extension to tell its type; {_EXPECTED}")
    raise ImportFileError(path, f"{where}unsupported file type {extension!r}; {_EXPECTED}")


def _decompress(path: Path, data: bytes, compression: Compression) -> tuple[bytes, str | None]:
    """Return the decompressed bytes and, for a zip archive, the name of the member read."""
    try:
        if compression == "xz":
            return lzma.decompress(data), None
        if compression == "gzip":
            return gzip.decompress(data), None
        return _unzip(path, data)
    except (lzma.LZMAError, EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as exc:
        raise ImportFileError(
            path, f"compressed data is corrupt or truncated ({compression}): {exc}"
        ) from exc


def _unzip(path: Path, data: bytes) -> tuple[bytes, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [info for info in archive.infolist() if _is_data_member(info)]
        if len(members) != 1:
            names = ", ".join(repr(info.filename) for info in members) or "none"
            raise ImportFileError(
                path,
                f"a zip archive must hold exactly one data file; it holds {len(members)}: {names}",
            )
        member = members[0]
        try:
            return archive.read(member), member.filename
        except RuntimeError as exc:  # raised by zipfile for encrypted members
            raise ImportFileError(
                path, f"the archive member {member.filename!r} is encrypted: {exc}"
            ) from exc


def _is_data_member(info: zipfile.ZipInfo) -> bool:
    """Skip folders and the clutter some archivers add (``__MACOSX/``, ``.DS_Store``)."""
    name = PurePosixPath(info.filename)
    return not (
        info.is_dir() or name.parts[0] == "__MACOSX" or name.name.startswith(".") or not name.name
    )
