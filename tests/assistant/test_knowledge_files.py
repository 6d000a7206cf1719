"""Reading knowledge-base articles from Markdown, CSV, JSON and directories; errors that say
where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmind.assistant.knowledge_files import ArticleColumns, read_articles, slug
from crmind.errors import ImportFileError, MappingError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_keys_are_file_and_slug_or_the_given_name(tmp_path: Path) -> None:
    path = write(
        tmp_path / "returns.en.md",
        "---\nlanguage: en\ntags: returns\n---\n# Returns\n\n"
        "## How long does a refund take? {#refund-time}\nTen days.\n\n"
        "## Can I return a gift?\nYes, within 30 days.\n",
    )
    articles = read_articles(path)
    assert [a.key for a in articles] == [
        "returns.en/refund-time",
        "returns.en/can-i-return-a-gift",
    ]
    assert {(a.language, a.tags, a.source) for a in articles} == {
        ("en", ("returns",), "returns.en.md")
    }


def test_a_one_article_file_is_keyed_by_its_name(tmp_path: Path) -> None:
    (article,) = read_articles(write(tmp_path / "hours.md", "# Opening hours\n\n9 to 5.\n"))
    assert (article.key, article.title, article.body) == ("hours", "Opening hours", "9 to 5.")


def test_language_is_detected_when_the_file_does_not_say(tmp_path: Path) -> None:
    text = (
        "# 退货\n\n## 退款需要多久？\n我们收到退货后三个工作日内退款。\n\n"
        "## Refunds\nWithin ten days.\n"
    )
    articles = read_articles(write(tmp_path / "mixed.md", text))
    assert [a.language for a in articles] == ["zh", "en"]
    assert articles[0].key == "mixed/退款需要多久"


def test_csv_rows_with_tags_keys_and_languages(tmp_path: Path) -> None:
    path = write(
        tmp_path / "faq.csv",
        "key,title,body,language,tags\n"
        'ship-1,How much is shipping?,£4.95,en,"shipping, fees"\n'
        ',运费多少？,4.95 英镑,zh,"[""shipping""]"\n',
    )
    first, second = read_articles(path)
    assert (first.key, first.language, first.tags) == ("ship-1", "en", ("shipping", "fees"))
    assert (second.key, second.language, second.tags) == ("faq/运费多少", "zh", ("shipping",))


def test_csv_columns_can_be_mapped_and_a_language_given(tmp_path: Path) -> None:
    path = write(tmp_path / "bank.csv", "Question,Answer,Class\nHow do I pay?,By card.,cards\n")
    columns = ArticleColumns(title="Question", body="Answer", tags="Class", default_language="en")
    (article,) = read_articles(path, columns)
    assert (article.title, article.body, article.tags, article.language) == (
        "How do I pay?",
        "By card.",
        ("cards",),
        "en",
    )


def test_a_missing_column_is_named_with_the_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "question,answer\nq,a\n")
    with pytest.raises(MappingError, match=r"faq.csv: no column 'title', 'body'; columns: "):
        read_articles(path)
    explicit = ArticleColumns(title="question", body="answer", key="id")
    with pytest.raises(MappingError, match="no column 'id'"):
        read_articles(path, explicit)


def test_an_empty_field_is_named_with_file_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "title,body\nFirst,fine\nSecond,\n")
    with pytest.raises(ImportFileError, match=r"faq.csv: row 3, field 'body': empty"):
        read_articles(path)


def test_a_bad_language_is_named_with_row_and_field(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "title,body,lang\nA,b,english please\n")
    with pytest.raises(ImportFileError, match=r"row 2, field 'lang': 'english please' is not"):
        read_articles(path, ArticleColumns(language="lang"))


def test_json_articles_with_tag_arrays(tmp_path: Path) -> None:
    records = [
        {"key": "a", "title": "Opening hours", "body": "9 to 5", "tags": ["contact", "hours"]},
        {"title": "营业时间", "body": "九点到五点", "language": "zh"},
    ]
    path = write(tmp_path / "kb.json", json.dumps({"articles": records}, ensure_ascii=False))
    first, second = read_articles(path)
    assert (first.key, first.tags, first.language) == ("a", ("contact", "hours"), "en")
    assert (second.key, second.language) == ("kb/营业时间", "zh")


def test_json_errors_name_the_record_and_field(tmp_path: Path) -> None:
    path = write(tmp_path / "kb.json", json.dumps([{"title": "A", "body": "b", "tags": [1, 2]}]))
    with pytest.raises(ImportFileError, match=r"kb.json: row 1, field 'tags': tags must be text"):
        read_articles(path)
    records = [{"title": "A", "body": "b"}, {"title": " ", "body": "c"}]
    empty = write(tmp_path / "empty.json", json.dumps(records))
    with pytest.raises(ImportFileError, match=r"empty.json: row 2, field 'title': empty"):
        read_articles(empty)


def test_a_directory_reads_every_article_file_and_refuses_a_key_twice(tmp_path: Path) -> None:
    write(tmp_path / "kb" / "a.md", "# A\n\ntext\n")
    write(tmp_path / "kb" / "sub" / "b.csv", "key,title,body\nb1,B,text\n")
    write(tmp_path / "kb" / "notes.txt.bak", "ignored")
    assert [a.key for a in read_articles(tmp_path / "kb")] == ["a", "b1"]
    write(tmp_path / "kb" / "sub" / "c.csv", "key,title,body\na,Again,text\n")
    with pytest.raises(ImportFileError, match=r"key 'a' is used twice \(a.md: 'A'; sub/c.csv"):
        read_articles(tmp_path / "kb")


def test_a_missing_path_or_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        read_articles(tmp_path / "nope.md")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportFileError, match="holds no Markdown"):
        read_articles(tmp_path / "empty")


def test_slugs_keep_chinese_and_drop_punctuation() -> None:
    assert slug("How long does a refund take?") == "how-long-does-a-refund-take"
    assert slug("退款需要多久？") == "退款需要多久"
    assert slug("???") == "article"
