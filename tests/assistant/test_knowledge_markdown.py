"""Markdown knowledge-base files: articles per '## ' heading or per file, front matter, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmind.assistant.knowledge_markdown import parse_markdown, split_tags
from crmind.errors import ImportFileError

HERE = Path("policies.md")


def test_each_second_level_heading_is_an_article_and_the_intro_is_not() -> None:
    text = (
        "# Returns\n\nHow our returns work.\n\n"
        "## How long do I have? {#window}\nThirty days\nfrom delivery.\n\n"
        "## How are refunds paid?\nTo the original card.\n"
    )
    parsed = parse_markdown(HERE, text)
    assert not parsed.whole_file
    assert [(a.title, a.key, a.line) for a in parsed.articles] == [
        ("How long do I have?", "window", 5),
        ("How are refunds paid?", None, 9),
    ]
    assert parsed.articles[0].body == "Thirty days from delivery."


def test_a_file_without_second_level_headings_is_one_article() -> None:
    parsed = parse_markdown(HERE, "# Opening hours {#hours}\n\nMonday to Friday.\n\nNot Sunday.\n")
    assert parsed.whole_file
    (article,) = parsed.articles
    assert (article.title, article.key) == ("Opening hours", "hours")
    assert article.body == "Monday to Friday.\n\nNot Sunday."


def test_front_matter_sets_language_and_tags() -> None:
    text = "---\nlanguage: zh\ntags: [returns, 退款]\n---\n# 退货\n\n## 退款\n原路退回。\n"
    parsed = parse_markdown(HERE, text)
    assert parsed.language == "zh"
    assert parsed.tags == ("returns", "退款")


def test_soft_line_breaks_are_joined_but_lists_and_paragraphs_kept() -> None:
    text = (
        "# T\n\n## Fees\nStandard delivery\ncosts £4.95.\n\n- express\n- international\n\n"
        "## 运费\n标准配送运费为\n4.95 英镑，满 50\n英镑免运费。\n"
    )
    english, chinese = parse_markdown(HERE, text).articles
    assert english.body == "Standard delivery costs £4.95.\n\n- express\n- international"
    assert chinese.body == "标准配送运费为 4.95 英镑，满 50 英镑免运费。"


def test_headings_inside_code_fences_are_text() -> None:
    text = "# T\n\n## Example\n```\n## not a heading\n```\n"
    (article,) = parse_markdown(HERE, text).articles
    assert "## not a heading" in article.body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nlanguage: en\ncolour: red\n---\n# T\nx\n", "line 3: unknown front-matter field"),
        ("---\nlanguage: en\ntags: a\n", "line 1: front matter opened with '---' is never closed"),
        ("---\nlanguage en\n---\n# T\nx\n", "line 2: front matter expects 'field: value'"),
        ("# T\n\n## Empty\n\n## Full\ntext\n", "line 3: article 'Empty' has no text"),
        ("just some text\n", "no '# ' title"),
        ("# T\n\n## {#only-a-key}\ntext\n", "line 3: the heading has no title text"),
    ],
)
def test_bad_files_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ImportFileError, match=r"policies\.md") as error:
        parse_markdown(HERE, text)
    assert message in str(error.value)


def test_tags_in_any_of_the_usual_spellings() -> None:
    assert split_tags("[a, 'b', c]") == ("a", "b", "c")
    assert split_tags("a; b;; a") == ("a", "b")
    assert split_tags("") == ()
