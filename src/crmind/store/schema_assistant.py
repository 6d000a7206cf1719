"""Tables of the customer-service assistant: the knowledge base it answers from.

Conversations and their messages live in :mod:`crmind.store.schema` (a ticket is a conversation);
the assistant keeps its dialogue state (pending intent, filled slots, verified identity) in
``conversations.state`` and what each of its replies rests on (cited articles, the action taken)
in ``messages.details``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crmind.store.base import Base, Id, JsonType, now


class KnowledgeArticle(Base):
    """One knowledge-base article; ``key`` (the file and heading, or the source's id) makes a
    second import of the same article an update rather than a copy."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_language", "language"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10))
    tags: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())
