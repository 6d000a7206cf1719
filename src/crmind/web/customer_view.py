"""The 360° page's parts, shaped for the template from the service's view: scores with their
intervals and reasons, the RFM digits, spend by month, and one timeline of orders, events,
feedback and conversations (newest first)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from crmind.services.customers import CustomerView

TIMELINE_LENGTH = 40


def _explanation(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {"reasons": value}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def view_parts(view: CustomerView) -> dict[str, Any]:
    """CLV (value, low, high), churn (value, label, drivers), RFM digits, spend by month."""
    scores = view.scores
    clv = scores.get("clv")
    churn = scores.get("churn")
    rfm = scores.get("rfm")
    lifecycle = scores.get("lifecycle")
    churn_why = _explanation(churn.get("explanation")) if churn else {}
    digits = None
    if rfm and rfm.get("value") is not None:
        code = f"{int(rfm['value']):03d}"
        digits = {"r": code[0], "f": code[1], "m": code[2]}
    spend: dict[str, float] = {}
    for order in view.orders:
        month = order.occurred_at.strftime("%Y-%m")
        spend[month] = spend.get(month, 0.0) + float(order.amount or 0.0)
    return {
        "clv": clv,
        "churn": churn,
        "churn_drivers": churn_why.get("drivers") or [],
        "churn_reasons": churn_why.get("reasons"),
        "rfm": rfm,
        "rfm_digits": digits,
        "lifecycle": lifecycle,
        "lifecycle_why": _explanation(lifecycle.get("explanation")) if lifecycle else {},
        "spend_by_month": sorted(spend.items()),
    }


def timeline(view: CustomerView, activity: dict[str, Any]) -> list[dict[str, Any]]:
    """Orders, returns, events, feedback and conversations, newest first."""
    items: list[dict[str, Any]] = []
    for order in view.orders:
        items.append(
            {
                "at": order.occurred_at,
                "kind": "return" if order.is_return else "order",
                "title": f"#{order.order_number}",
                "detail": f"{order.lines} · {order.amount:,.2f}",
            }
        )
    for event in activity["events"]:
        items.append(
            {
                "at": event["occurred_at"],
                "kind": "event",
                "title": event["type"],
                "detail": event["channel"],
            }
        )
    for item in view.feedback:
        items.append(
            {
                "at": item.get("occurred_at"),
                "kind": "feedback",
                "title": item.get("text"),
                "detail": item.get("label"),
            }
        )
    for conversation in activity["conversations"]:
        items.append(
            {
                "at": conversation["opened_at"],
                "kind": "conversation",
                "title": conversation["subject"] or f"#{conversation['id']}",
                "detail": conversation["status"],
                "summary": conversation["summary"],
            }
        )
    items.sort(key=lambda i: i["at"] or datetime.min, reverse=True)
    return items[:TIMELINE_LENGTH]
