"""Search terms in English and Chinese."""

from __future__ import annotations

from crmind.assistant.knowledge_terms import index_terms


def test_english_words_are_stemmed_and_stop_words_dropped() -> None:
    assert index_terms("How long does a refund take?") == ["long", "refund", "take"]
    assert set(index_terms("Refunds refunded")) == {"refund"}


def test_negation_does_not_hide_the_topic() -> None:
    assert "refund" in index_terms("I don't want a refund")


def test_chinese_words_with_their_two_character_pieces() -> None:
    assert index_terms("退款需要多久？") == ["退款", "多久"]
    assert index_terms("信用卡") == ["信用卡", "信用", "用卡"]


def test_traditional_chinese_meets_simplified() -> None:
    assert index_terms("運費多少") == index_terms("运费多少")


def test_numbers_stay_and_punctuation_goes() -> None:
    assert index_terms("30 days!!! :)") == ["30", "day"]
