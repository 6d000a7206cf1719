"""Tell how a text file is written: its encoding and, for delimited text, its delimiter.

Encoding, when the caller gives none:

1. a byte-order mark decides (UTF-8 -> ``utf-8-sig``, UTF-16, UTF-32);
2. NUL bytes mean UTF-16 without a mark if they sit on every other byte, binary data otherwise;
   many other control bytes mean binary data too;
3. text that is valid UTF-8 is ``utf-8``;
4. otherwise the choice is between ``gb18030`` (Chinese, a superset of GBK and GB2312) and
   ``cp1252`` (Western European, falling back to ``latin-1``). Chinese text is almost all
   two-byte characters of the GB2312 range, whose two bytes are both 0xA1 or above; in Latin-1
   text an accented letter is one high byte, mostly between ASCII letters. So the file is
   ``gb18030`` when at least 60 % of its high bytes form such pairs and it decodes as GB18030.
   Other legacy encodings (Cyrillic, Shift-JIS, Big5 ...) are not told apart: pass ``encoding``.

A multi-byte character cut off at the very end of the file (a truncated download) does not change
the verdict: it is replaced by U+FFFD and a warning is logged.

Delimiter, when the caller gives none: each of ``, ; TAB |`` splits the first 50 records (with
quoting understood); a candidate fits when most records (80 %) have the same field count, above 1.
The best fit has the header agree with that count, then the most consistent records, then comes
first in the list. When none fits but lines split the same way on runs of whitespace, header
included (fixed-width exports such as CDNOW), the delimiter is ``"whitespace"``; otherwise the file
has one column.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Final

from crmind.errors import ImportFileError
from crmind.ingest.readers.source import Source

logger = logging.getLogger(__name__)

CANDIDATE_DELIMITERS: Final = (",", ";", "\t", "|")
WHITESPACE: Final = "whitespace"
"""The delimiter name for fields separated by runs of spaces or tabs."""
SNIFF_RECORDS: Final = 50

_LABELS: Final = {"csv": "CSV", "json": "JSON", "jsonl": "JSON Lines"}
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL_BYTES: Final = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20)])
_HIGH_BYTES: Final = bytes(range(0x80, 0x100))
_GB2312_PAIR: Final = re.compile(rb"[\xa1-\xf7][\xa1-\xfe]")
_GB_SHARE: Final = 0.6
_SAMPLE_BYTES: Final = 1 << 20
_SAMPLE_CHARS: Final = 1 << 20
_CONSISTENCY: Final = 0.8

_field_limit_lock = threading.Lock()


def decode_text(source: Source, encoding: str | None = None) -> tuple[str, str]:
    """Return the text of ``source`` and the encoding used to decode it.

    A leading byte-order mark is never part of the text. Raises :class:`ImportFileError` for
    binary data, text that ``encoding`` cannot decode, an unknown encoding, or no text at all.
    """
    label = _LABELS.get(source.format, source.format)
    if encoding is None:
        decoded = _decode_detected(source.data)
        if decoded is None:
            raise ImportFileError(source.path, f"looks like binary data, not {label} text")
        text, encoding = decoded
    else:
        text = _decode_given(source, encoding)
        if "\x00" in text:
            raise ImportFileError(source.path, f"looks like binary data, not {label} text")
    text = text.removeprefix("\ufeff")
    if not text or text.isspace():
        raise ImportFileError(source.path, "is empty")
    logger.debug("%s: decoded as %s", source.path, encoding)
    return text, encoding


def _decode_given(source: Source, encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ImportFileError(source.path, f"unknown text encoding {encoding!r}") from exc
    try:
        return source.data.decode(encoding)
    except UnicodeDecodeError as exc:
        byte = source.data[exc.start]
        raise ImportFileError(
            source.path,
            f"is not valid {encoding} text: byte 0x{byte:02x} at offset {exc.start} "
            "cannot be decoded; pass the file's encoding",
        ) from exc


def _decode_detected(data: bytes) -> tuple[str, str] | None:
    """Detect the encoding of ``data`` and decode it; ``None`` for binary data."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            text = _decode_tolerating_cut_end(data, name)
            return None if text is None else (text, name)
    sample = data[:_SAMPLE_BYTES]
    if b"\x00" in data:
        utf16 = _utf16_without_bom(sample)
        if utf16 is None:
            return None
        text = _decode_tolerating_cut_end(data, utf16)
        return None if text is None else (text, utf16)
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if control > len(sample) / 100:
        return None
    text = _decode_tolerating_cut_end(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    if gb2312_share(sample) >= _GB_SHARE:
        text = _decode_tolerating_cut_end(data, "gb18030")
        if text is not None:
            return text, "gb18030"
    text = _decode_tolerating_cut_end(data, "cp1252")
    if text is not None:
        return text, "cp1252"
    return data.decode("latin-1"), "latin-1"


def gb2312_share(data: bytes) -> float:
    """The share of high bytes (0x80 and above) that form two-byte GB2312 characters."""
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    if not high:
        return 0.0
    return 2 * len(_GB2312_PAIR.findall(data)) / high


def _utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when NUL bytes sit on every other byte, as in ASCII text."""
    half = len(sample) // 2
    even_nul, odd_nul = sample[0::2].count(0), sample[1::2].count(0)
    if odd_nul > 0.3 * half and even_nul < 0.05 * half:
        return "utf-16-le"
    if even_nul > 0.3 * half and odd_nul < 0.05 * half:
        return "utf-16-be"
    return None


def _decode_tolerating_cut_end(data: bytes, encoding: str) -> str | None:
    """Decode strictly, except that a character cut off at the very end becomes U+FFFD."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.end < len(data) or len(data) - exc.start > 3:
            return None
        logger.warning(
            "the last %d bytes are an incomplete %s character (is the file truncated?); "
            "they are read as U+FFFD",
            len(data) - exc.start,
            encoding,
        )
        try:
            return data[: exc.start].decode(encoding) + "\ufffd"
        except UnicodeDecodeError:
            return None


@contextmanager
def csv_field_limit(limit: int) -> Iterator[None]:
    """Let Python's ``csv`` module read fields of up to ``limit`` characters, then restore.

    The limit is process-wide state of the ``csv`` module; a lock keeps concurrent readers from
    restoring it under one another.
    """
    with _field_limit_lock:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(limit, previous))
        try:
            yield
        finally:
            csv.field_size_limit(previous)


def sniff_delimiter(text: str) -> str:
    """Guess the delimiter of delimited ``text`` from its first records (see the module doc)."""
    lines, complete = _head_lines(text)
    best: tuple[bool, float, int] | None = None
    chosen = ","
    with csv_field_limit(len(text) + 1):
        for rank, candidate in enumerate(CANDIDATE_DELIMITERS):
            records = [r for r in csv.reader(lines, delimiter=candidate) if r]
            if not complete and len(records) > 1:
                records.pop()  # it may be cut in the middle of a quoted field
            score = _fit([len(r) for r in records])
            if score is not None and (best is None or (*score, -rank) > best):
                best, chosen = (*score, -rank), candidate
    if best is not None:
        return chosen
    whitespace = _fit([len(line.split()) for line in lines if line.strip()])
    if whitespace is not None and whitespace[0]:
        return WHITESPACE
    return ","


def _head_lines(text: str) -> tuple[list[str], bool]:
    """The first lines holding :data:`SNIFF_RECORDS` records or more, and whether that is all."""
    head = text[:_SAMPLE_CHARS]  # a slice, so that a large text is not copied whole
    lines: list[str] = []
    for line in io.StringIO(head, newline=""):
        if len(lines) > SNIFF_RECORDS:
            return lines, False
        lines.append(line)
    if len(head) < len(text):
        lines = lines[:-1] or lines  # the last line may be cut; keep it if it is the only one
        return lines, False
    return lines, True


def _fit(counts: Sequence[int]) -> tuple[bool, float] | None:
    """(header agrees, share of records with the usual count), or ``None`` when nothing fits."""
    if not counts:
        return None
    usual, times = Counter(counts).most_common(1)[0]
    consistency = times / len(counts)
    if usual <= 1 or consistency < _CONSISTENCY:
        return None
    return counts[0] == usual, consistency
