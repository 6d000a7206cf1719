"""Knowledge-base use cases on SQLite and PostgreSQL: upsert by key, list, read, cached index."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from crmind.errors import ImportFileError, NotFoundError
from crmind.services.knowledge import (
    DEMO_KNOWLEDGE,
    get_article,
    import_articles,
    knowledge_index,
    list_articles,
)
from crmind.store.db import unit_of_work
from crmind.store.schema_assistant import KnowledgeArticle

POLICY = (
    "---\nlanguage: en\ntags: [returns]\n---\n# Returns\n\n"
    "## How long does a refund take? {#refund-time}\nRefunds take {days} business days.\n\n"
    "## Can I return a gift?\nYes, within 30 days.\n"
)


def stored(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return int(session.scalar(select(func.count(KnowledgeArticle.id))) or 0)


def test_importing_the_demo_twice_adds_nothing_the_second_time(engine: Engine) -> None:
    first = import_articles(engine, DEMO_KNOWLEDGE)
    assert (first.read, first.created, first.updated) == (90, 90, 0)
    assert first.languages == {"en": 45, "zh": 45}
    again = import_articles(engine, DEMO_KNOWLEDGE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 90)
    assert stored(engine) == 90


def test_a_changed_article_is_updated_in_place(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "returns.md"
    path.write_text(POLICY.replace("{days}", "10"), encoding="utf-8")
    import_articles(engine, path)
    before = get_article(engine, "returns/refund-time")
    path.write_text(POLICY.replace("{days}", "5"), encoding="utf-8")
    result = import_articles(engine, path)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    after = get_article(engine, "returns/refund-time")
    assert after.id == before.id
    assert after.body == "Refunds take 5 business days."
    assert stored(engine) == 2


def test_a_bad_file_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("title,body\nGood,text\nBad,\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="row 3, field 'body'"):
        import_articles(engine, path)
    assert stored(engine) == 0


def test_list_by_language_or_tag_and_read_by_key_or_id(engine: Engine) -> None:
    import_articles(engine, DEMO_KNOWLEDGE)
    chinese = list_articles(engine, language="zh")
    assert len(chinese) == 45
    assert {article.language for article in chinese} == {"zh"}
    assert [a.key for a in chinese] == sorted(a.key for a in chinese)
    privacy = list_articles(engine, tag="privacy", language="en")
    assert {a.key.split("/")[0] for a in privacy} == {"privacy.en"}
    assert len(list_articles(engine, limit=5, offset=88)) == 2
    by_key = get_article(engine, "returns.zh/refund-time")
    assert by_key.tags == ("returns", "refunds")
    assert by_key.id is not None
    assert get_article(engine, by_key.id) == by_key
    with pytest.raises(NotFoundError, match="no-such-key"):
        get_article(engine, "no-such-key")


def test_the_index_is_kept_until_the_articles_change(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "returns.md"
    path.write_text(POLICY.replace("{days}", "10"), encoding="utf-8")
    import_articles(engine, path)
    index = knowledge_index(engine)
    assert knowledge_index(engine) is index
    import_articles(engine, path)  # unchanged: same index
    assert knowledge_index(engine) is index
    path.write_text(POLICY.replace("{days}", "5"), encoding="utf-8")
    import_articles(engine, path)
    rebuilt = knowledge_index(engine)
    assert rebuilt is not index
    best = rebuilt.search("how long does a refund take")[0]
    assert best.article.body == "Refunds take 5 business days."
    assert best.article.id is not None
    import_articles(engine, DEMO_KNOWLEDGE)
    assert len(knowledge_index(engine)) == 92


def test_demo_questions_in_both_languages_find_the_refund_article(engine: Engine) -> None:
    import_articles(engine, DEMO_KNOWLEDGE)
    index = knowledge_index(engine)
    english = index.search("how long does a refund take", language="en")[0]
    chinese = index.search("退款需要多久", language="zh")[0]
    assert (english.article.key, chinese.article.key) == (
        "returns.en/refund-time",
        "returns.zh/refund-time",
    )
    assert index.answerable(english)
    assert index.answerable(chinese)


def test_the_embedding_index_is_cached_apart_from_the_bm25_one(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "returns.md"
    path.write_text(POLICY.replace("{days}", "10"), encoding="utf-8")
    import_articles(engine, path)
    plain = knowledge_index(engine)
    fused = knowledge_index(engine, embeddings=True)
    assert not plain.uses_embeddings
    assert fused.uses_embeddings
    assert knowledge_index(engine, embeddings=True) is fused
    assert knowledge_index(engine) is plain
    best = fused.search("when do I get my money back")[0]
    assert best.article.key == "returns/refund-time"
    assert best.similarity is not None
