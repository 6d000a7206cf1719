"""Knowledge-base articles and the files they come from: Markdown, CSV / TSV / XLSX, JSON.

- **Markdown** (``.md``, ``.markdown``): see :mod:`crmind.assistant.knowledge_markdown`.
- **Tables** (CSV, TSV, XLSX, JSON, JSON Lines, Parquet; compressed too): one article per row,
  read by :func:`crmind.ingest.readers.read_table`. Columns (see :class:`ArticleColumns`):
  ``title`` and ``body`` are required; ``language``, ``tags`` (``a, b``, ``a; b`` or a JSON
  array) and ``key`` are used when present. A JSON file is an array of objects with those
  fields (or an object holding one such array); row numbers are positions in the array.
- **A directory**: every such file in it and its subdirectories, in name order.

Every article gets a **key**, the identity a second import updates: the ``key`` column when
given, else the file's name without extension and the title's slug (Markdown: or ``{#name}``).
Two articles of one import with the same key are an error naming both places. A missing
language is detected from the article's text (``en``, ``zh`` or ``other``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crmind.assistant.knowledge_markdown import parse_markdown, split_tags
from crmind.errors import ImportFileError, MappingError
from crmind.ingest.readers import read_table
from crmind.ingest.readers.source import COMPRESSION_BY_EXTENSION, FORMAT_BY_EXTENSION
from crmind.text.language import detect_language

MARKDOWN_SUFFIXES = (".md", ".markdown")
KEY_MAX_CHARS = 300
LANGUAGE_MAX_CHARS = 10
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
_SLUG_DROP = re.compile(r"[^\w]+")
_SLUG_CHARS = 80


@dataclass(frozen=True)
class Article:
    """One knowledge-base article. ``id`` is the store's id once imported (None before);
    ``source`` the file it was read from."""

    key: str
    title: str
    body: str
    language: str
    tags: tuple[str, ...] = ()
    source: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class ArticleColumns:
    """Which column of a table holds which field of an article.

    ``language``, ``tags`` and ``key`` of ``None`` mean: the column of that name when the file
    has one; a name given explicitly must exist. ``default_language`` fills rows without a
    language (else it is detected from the text)."""

    title: str = "title"
    body: str = "body"
    language: str | None = None
    tags: str | None = None
    key: str | None = None
    default_language: str | None = None


def read_articles(path: Path, columns: ArticleColumns | None = None) -> list[Article]:
    """The articles of a file or a directory of files (see the module docstring).

    Raises :class:`~crmind.errors.ImportFileError` naming the file, and the row or line and
    field at fault, when an article cannot be read."""
    path = Path(path)
    columns = columns or ArticleColumns()
    if columns.default_language is not None:
        _check_language(path, columns.default_language, "the default language")
    if path.is_dir():
        files = sorted(f for f in path.rglob("*") if f.is_file() and _readable(f))
        if not files:
            raise ImportFileError(path, "holds no Markdown, CSV, XLSX, JSON or Parquet file")
        found: list[Article] = []
        for file in files:
            prefix = file.relative_to(path).as_posix()
            found.extend(_read_file(file, _stem(prefix), prefix, columns))
        return _unique_keys(path, found)
    if not path.exists():
        raise ImportFileError(path, "no such file or directory")
    return _unique_keys(path, _read_file(path, _stem(path.name), path.name, columns))


def slug(text: str) -> str:
    """A key-friendly form of a title: lower case, words joined by ``-`` (Chinese kept)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _SLUG_DROP.sub("-", folded).strip("-_")[:_SLUG_CHARS].strip("-_") or "article"


def _readable(path: Path) -> bool:
    name = path.name.lower()
    if name.startswith("."):
        return False
    for suffix in COMPRESSION_BY_EXTENSION:
        name = name.removesuffix(suffix)
    return name.endswith(MARKDOWN_SUFFIXES) or Path(name).suffix in FORMAT_BY_EXTENSION


def _stem(name: str) -> str:
    lowered = name.lower()
    for suffix in COMPRESSION_BY_EXTENSION:
        if lowered.endswith(suffix):
            name, lowered = name[: -len(suffix)], lowered[: -len(suffix)]
    suffix = Path(name).suffix
    return name[: -len(suffix)] if suffix else name


def _read_file(path: Path, prefix: str, source: str, columns: ArticleColumns) -> list[Article]:
    if path.name.lower().endswith(MARKDOWN_SUFFIXES):
        return _markdown_articles(path, prefix, source, columns.default_language)
    return _table_articles(path, prefix, source, columns)


def _markdown_articles(
    path: Path, prefix: str, source: str, default_language: str | None
) -> list[Article]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(path, f"is not UTF-8 text (byte {exc.start})") from exc
    parsed = parse_markdown(path, text)
    if parsed.language is not None:
        _check_language(path, parsed.language, "front matter: language")
    articles = []
    for item in parsed.articles:
        if parsed.whole_file:
            key = item.key or prefix
        else:
            key = f"{prefix}/{item.key or slug(item.title)}"
        _check_key(path, key, f"line {item.line}")
        language = parsed.language or default_language or _detected(item.title, item.body)
        articles.append(Article(key, item.title, item.body, language, parsed.tags, source=source))
    return articles


def _table_articles(path: Path, prefix: str, source: str, columns: ArticleColumns) -> list[Article]:
    table = read_table(path)
    if table.rejects:
        first = table.rejects[0]
        raise ImportFileError(path, f"row {first.row}: {first.reason}")
    frame = table.frame
    found = [name for name in frame.columns if name != "_row"]
    wanted = {"title": columns.title, "body": columns.body}
    optional = {"language": columns.language, "tags": columns.tags, "key": columns.key}
    for field, given in optional.items():
        if given is not None:
            wanted[field] = given
        elif field in found:
            wanted[field] = field
    missing = [name for name in wanted.values() if name not in found]
    if missing:
        raise MappingError(path, f"no column {', '.join(map(repr, missing))}; columns: {found}")
    articles = []
    for row in frame.select(["_row", *wanted.values()]).iter_rows(named=True):
        articles.append(_row_article(path, row, wanted, prefix, source, columns))
    if not articles:
        raise ImportFileError(path, "has no rows")
    return articles


def _row_article(
    path: Path,
    row: dict[str, str | None],
    wanted: dict[str, str],
    prefix: str,
    source: str,
    columns: ArticleColumns,
) -> Article:
    where = f"row {row['_row']}"

    def value(field: str) -> str:
        return (row.get(wanted[field]) or "").strip() if field in wanted else ""

    title, body = value("title"), value("body")
    for field, text in (("title", title), ("body", body)):
        if not text:
            raise ImportFileError(path, f"{where}, field {wanted[field]!r}: empty")
    language = value("language") or columns.default_language or _detected(title, body)
    if "language" in wanted and value("language"):
        _check_language(path, language, f"{where}, field {wanted['language']!r}")
    key = value("key") or f"{prefix}/{slug(title)}"
    _check_key(path, key, f"{where}, field {wanted.get('key', 'key')!r}")
    tags = _tags(path, value("tags"), f"{where}, field {wanted.get('tags', 'tags')!r}")
    return Article(key, title, body, language, tags, source=source)


def _tags(path: Path, text: str, where: str) -> tuple[str, ...]:
    if not text.startswith("["):
        return split_tags(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return split_tags(text)
    if not isinstance(parsed, list) or not all(isinstance(tag, str) for tag in parsed):
        raise ImportFileError(path, f"{where}: tags must be text or an array of text")
    return tuple(dict.fromkeys(tag.strip() for tag in parsed if tag.strip()))


def _detected(title: str, body: str) -> str:
    return detect_language(f"{title}\n{body}").language


def _check_language(path: Path, language: str, where: str) -> None:
    if len(language) > LANGUAGE_MAX_CHARS or not _LANGUAGE.match(language):
        raise ImportFileError(
            path, f"{where}: {language!r} is not a language code (expected e.g. en, zh, pt-br)"
        )


def _check_key(path: Path, key: str, where: str) -> None:
    if len(key) > KEY_MAX_CHARS:
        raise ImportFileError(path, f"{where}: key longer than {KEY_MAX_CHARS} characters")


def _unique_keys(path: Path, articles: Sequence[Article]) -> list[Article]:
    """The articles, or an error naming the first key used twice and both its places."""
    seen: dict[str, Article] = {}
    for article in articles:
        earlier = seen.get(article.key)
        if earlier is not None:
            raise ImportFileError(
                path,
                f"key {article.key!r} is used twice ({earlier.source}: {earlier.title!r}; "
                f"{article.source}: {article.title!r}); give each article its own key "
                "(a key column, or {#name} after a Markdown heading)",
            )
        seen[article.key] = article
    return list(seen.values())
