"""The grounding checker on fixed texts: what it accepts and what it rejects, and why."""

from __future__ import annotations

import pytest

from crmind.assistant.grounding import check_grounding, fact_tokens, split_sentences

ORDER = "Order 10042 was shipped on 2024-03-05 and will arrive by 2024-03-08. Total: £12.50."
RETURNS = "Returns are accepted within 30 days of delivery. Write to help@shop.example for a label."
SOURCES = [ORDER, RETURNS]


@pytest.mark.parametrize(
    "reply",
    [
        "Your order 10042 will arrive by 2024-03-08.",
        "You can return items within 30 days of delivery.",
        "Returns are accepted within thirty days.",  # a number word matches the digits
        "Thank you! Your order total was 12.5 pounds.",  # 12.5 == 12.50, pounds == £
        "Write to help@shop.example for a return label.",
        "Order 10042 was shipped on 2024-03-05.",
    ],
)
def test_replies_that_only_restate_the_sources_are_accepted(reply: str) -> None:
    check = check_grounding(reply, SOURCES, allowed_words=["when will my order arrive?"])
    assert check.supported, check.problems


@pytest.mark.parametrize(
    ("reply", "named"),
    [
        ("Your order 10042 will arrive by 2024-03-09.", "2024-03-09"),  # a date off by one day
        ("You can return items within 14 days of delivery.", "14"),  # an invented number
        ("Returns are accepted within fourteen days.", "14"),  # the same, in words
        ("Your order 10043 will arrive by 2024-03-08.", "10043"),  # another order number
        ("Your order total was $12.50.", "USD"),  # the wrong currency
        ("Write to support@shop.example for a return label.", "support@shop.example"),
        ("See https://shop.example/returns for a label.", "https://shop.example/returns"),
        ("Your order 10042 will arrive on Friday.", "friday"),  # a weekday the sources lack
        ("Your order 10042 will arrive in March.", "march"),
    ],
)
def test_a_fact_missing_from_the_sources_rejects_the_reply(reply: str, named: str) -> None:
    check = check_grounding(reply, SOURCES)
    assert not check.supported
    assert any(repr(named) in problem for problem in check.problems), check.problems


def test_an_added_negation_rejects_the_reply() -> None:
    check = check_grounding("Returns are not accepted within 30 days of delivery.", SOURCES)
    assert not check.supported
    assert any("negates" in problem for problem in check.problems)


def test_a_negation_the_sources_make_is_allowed() -> None:
    sources = ["Sale items cannot be returned.", "Returns are accepted within 30 days."]
    assert check_grounding("Sale items cannot be returned.", sources).supported


def test_a_negation_elsewhere_in_the_sources_does_not_vouch_for_another_sentence() -> None:
    sources = ["Sale items cannot be returned.", "Returns are accepted within 30 days."]
    check = check_grounding("Returns are not accepted within 30 days.", sources)
    assert any("negates" in problem for problem in check.problems)


def test_a_sentence_of_invented_words_is_rejected_even_without_numbers() -> None:
    check = check_grounding("We will send you a generous voucher and a free gift.", SOURCES)
    assert not check.supported
    assert "voucher" in check.problems[0]


def test_question_words_may_be_repeated_but_never_vouch_for_a_fact() -> None:
    question = "Can I exchange order 99999 for a bigger size?"
    repeated = "You can exchange order 99999 for a bigger size."
    words_only = "You can exchange for a bigger size."
    assert check_grounding(words_only, [], allowed_words=[question]).supported
    check = check_grounding(repeated, ["Exchanges are free."], allowed_words=[question])
    assert any("'99999'" in problem for problem in check.problems)


def test_an_empty_reply_is_rejected() -> None:
    assert check_grounding("  ", SOURCES).problems == ("the reply is empty",)


def test_chinese_replies_are_checked_by_character_and_number() -> None:
    sources = ["订单10042已于2024-03-05发货，预计2024-03-08送达。"]
    assert check_grounding("您的订单10042预计2024-03-08送达。", sources).supported
    assert not check_grounding("您的订单10042预计2024-03-09送达。", sources).supported
    assert not check_grounding("您的订单10042不会送达。", sources).supported  # negation
    assert not check_grounding("我们将赠送您一张优惠券。", sources).supported  # invented claim


def test_full_width_digits_are_read_as_digits() -> None:
    assert check_grounding("订单１００４２已发货。", ["订单10042已发货。"]).supported


def test_fact_tokens_read_numbers_as_values_and_keep_identifiers_whole() -> None:
    facts = fact_tokens("On the 5th of March, order A-1234 cost 1,200.00 USD; see www.x.com/a1.")
    assert {"5", "march", "a-1234", "1234", "1200", "USD", "www.x.com/a1"} <= facts


def test_sentences_split_at_end_marks_but_not_inside_numbers_or_addresses() -> None:
    text = "Total £12.50. Write to help@shop.example today! 退货请联系我们。谢谢"
    assert split_sentences(text) == [
        "Total £12.50.",
        "Write to help@shop.example today!",
        "退货请联系我们。",
        "谢谢",
    ]
