"""Alerts: strongly negative texts, and complaint, refund or legal words in either language."""

from __future__ import annotations

from crmind.text.alerts import alert_reason


def test_strongly_negative_text_raises_an_alert() -> None:
    assert alert_reason("Terrible, broke after a day", -0.9) == "strongly negative (-0.90)"
    assert alert_reason("A bit slow", -0.7) is None


def test_refund_complaint_and_legal_words_raise_an_alert_whatever_the_score() -> None:
    assert alert_reason("Please refund me, thanks!", 0.4) == "mentions refund (refund)"
    assert alert_reason("我要投诉，还要找律师", 0.0) == (
        "mentions complaint (投诉); mentions legal (律师)"
    )
    assert alert_reason("I want my MONEY BACK", -0.95) == (
        "strongly negative (-0.95); mentions refund (money back)"
    )
    assert alert_reason("我要投訴", 0.0) == "mentions complaint (投诉)"  # traditional


def test_words_match_whole_english_words_only() -> None:
    assert alert_reason("Issued a summons? No - a nice suede coat", 0.5) is None  # not "sue"
