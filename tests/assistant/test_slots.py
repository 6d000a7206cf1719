"""Order numbers, e-mails and phone numbers read from free text in English and Chinese."""

from __future__ import annotations

import pytest

from crmind.assistant import slots
from crmind.assistant.slots import Slots, order_number_variants, parse_slots, phone_candidates
from crmind.ingest.cleaning import contacts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is my order #536365?", "536365"),
        ("order number: A1001 please", "A1001"),
        ("订单536365到哪了", "536365"),
        ("我的订单号是：A1001", "A1001"),
        ("cancel C536379", "C536379"),
        ("I bought it in 2023, refund order A1001", "A1001"),
    ],
)
def test_an_order_number_is_read_after_its_cue_or_by_its_shape(text: str, expected: str) -> None:
    assert parse_slots(text).order_number == expected


def test_a_short_number_is_an_order_only_when_one_was_asked_for() -> None:
    assert parse_slots("1001").order_number is None
    assert parse_slots("1001", "order_number").order_number == "1001"
    assert parse_slots("in 2023").order_number is None


def test_contacts_are_not_read_as_order_numbers() -> None:
    both = parse_slots("订单 #536365 我的邮箱 Bo@Example.org")
    assert both == Slots(order_number="536365", email="bo@example.org")
    assert parse_slots("07911 123456") == Slots(phone="07911 123456")
    assert parse_slots("我的手机是 138 1234 5678") == Slots(phone="138 1234 5678")
    assert parse_slots("5363651234", "contact") == Slots(phone="5363651234")
    assert parse_slots("5363651234").phone is None  # no cue: an order number
    assert parse_slots("my phone is 7911123456").phone == "7911123456"


def test_phone_candidates_read_a_local_number_under_each_region() -> None:
    assert phone_candidates("07911 123456", ("GB", "CN")) == ["+447911123456"]
    assert phone_candidates("13812345678", ("GB", "CN")) == ["+8613812345678"]
    assert phone_candidates("+86 138 1234 5678", ("GB",)) == ["+8613812345678"]
    assert order_number_variants("a-1001") == ("a-1001", "A-1001", "A1001")


@pytest.mark.parametrize(
    "text",
    ["Jane.Doe@Example.COM", "mailto:a@b.co", "a@localhost", "x@y.z", "ann+tag@mail.example.org"],
)
def test_an_email_is_normalised_as_the_imports_normalise_it(text: str) -> None:
    assert slots.email_of(text) == contacts.email_of(text)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("07911 123456", "GB"),
        ("+44 (0)7911-123456", None),
        ("13812345678", "CN"),
        ("13812345678", "GB"),
        ("+86 138 1234 5678", "US"),
        ("12345", "GB"),
        ("020 7946 0321", "GB"),
        ("(415) 555-0132", "US"),
        ("not a number", "GB"),
    ],
)
def test_a_phone_is_normalised_as_the_imports_normalise_it(text: str, region: str | None) -> None:
    assert slots.phone_of(text, region) == contacts.phone_of(text, region)
