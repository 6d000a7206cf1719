"""Tokens: negation scopes in both languages, traditional characters, emoticons and emoji,
mixed texts, and texts with nothing to read."""

from __future__ import annotations

from crmind.text.tokens import normalise, tokens


def test_english_negation_marks_the_rest_of_the_clause() -> None:
    assert tokens("Not good, but cheap") == ["not", "not_good", "but", "cheap"]
    assert tokens("I don't like it!") == ["i", "not", "not_like", "not_it", "!"]
    assert tokens("never again. great") == ["never", "not_again", "great"]


def test_negation_scope_ends_after_three_words() -> None:
    assert tokens("not a very good one at all") == [
        "not", "not_a", "not_very", "not_good", "one", "at", "all"
    ]  # fmt: skip


def test_chinese_negation_and_words_jieba_knows_whole() -> None:
    assert tokens("不满意") == ["不", "not_满意"]
    assert tokens("质量不错") == ["质量", "不错"]  # "not bad" is one positive word
    assert tokens("没有想象中好，但是便宜") == [
        "没有",
        "not_想象",
        "not_中",
        "not_好",
        "但是",
        "便宜",
    ]


def test_traditional_characters_read_as_simplified() -> None:
    assert tokens("質量不錯，服務態度好") == tokens("质量不错，服务态度好")
    assert normalise("ＧＲＥＡＴ！") == "great!"


def test_emoticons_and_emoji_are_tokens() -> None:
    assert tokens("love it :) 👍👍") == ["love", "it", ":)", "👍", "👍"]
    assert tokens("物流太慢了😡")[-1] == "😡"
    assert tokens("😊") == ["😊"]


def test_mixed_text_is_cut_by_script() -> None:
    assert tokens("iPhone充电很快 but the battery died :-(") == [
        "iphone", "充电", "很快", "but", "the", "battery", "died", ":-("
    ]  # fmt: skip


def test_empty_and_unreadable_texts_have_no_tokens() -> None:
    assert tokens("") == []
    assert tokens("   \n ... ,,,") == []


def test_very_long_text() -> None:
    assert len(tokens("good value. " * 20_000 + "物流很快。" * 20_000)) == 80_000
