"""Alerts: feedback that someone should act on today.

A text raises an alert when its sentiment score is at or below ``STRONGLY_NEGATIVE`` (-0.9: the
most negative fifth of a review set that is half negative, where -0.6 would take two negative
reviews in three), or when it mentions a complaint, a refund or legal action in English or
Chinese ("I want my money back", "我要投诉", "律师") — whatever its score, since "please refund
me, thanks!" reads polite. The alert's reason names what raised it, and the service layer opens
one ticket per alerted feedback item.
"""

from __future__ import annotations

import re

from crmind.text.tokens import normalise

STRONGLY_NEGATIVE = -0.9

ALERT_WORDS: dict[str, list[str]] = {
    "complaint": [
        "complaint", "complain", "complaining", "unacceptable", "disgusted", "worst", "scam",
        "fraud", "投诉", "举报", "骗子", "诈骗", "差评", "曝光", "维权", "消协",
    ],
    "refund": [
        "refund", "refunded", "money back", "chargeback", "reimburse", "退款", "退钱", "退货",
        "赔偿", "返还",
    ],
    "legal": [
        "lawyer", "legal action", "sue", "suing", "lawsuit", "court", "solicitor",
        "trading standards", "律师", "起诉", "法院", "法律", "诉讼", "工商局",
    ],
}  # fmt: skip


def _pattern(words: list[str]) -> re.Pattern[str]:
    parts = [rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in words]
    return re.compile("|".join(parts))


_PATTERNS = {kind: _pattern(words) for kind, words in ALERT_WORDS.items()}


def alert_reason(text: str, score: float, threshold: float = STRONGLY_NEGATIVE) -> str | None:
    """Why ``text`` (with sentiment ``score``) needs attention, or None."""
    normal = normalise(text)
    reasons = [
        f"mentions {kind} ({match.group()})"
        for kind, pattern in _PATTERNS.items()
        if (match := pattern.search(normal))
    ]
    if score <= threshold:
        reasons.insert(0, f"strongly negative ({score:+.2f})")
    return "; ".join(reasons) or None
