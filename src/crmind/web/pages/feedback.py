"""Feedback (``/ui/feedback``): sentiment over time, topics with their keywords and sentiment,
aspect sentiment, and a list of feedback — the negative alerts by default.

The aggregates hold no personal data and are kept while the store's feedback is unchanged. The
list shows what customers wrote: each item from a known customer is an audited read for roles
that read personal data (they also get a link to the customer); pseudonymised roles see a keyed
pseudonym; roles that read tickets get a link to the ticket an alert opened.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from crmind.access.roles import Permission
from crmind.api.customer_refs import CustomerRefs
from crmind.api.deps import audit_read, run_read
from crmind.services.dashboard_feedback import (
    LABELS,
    FeedbackSummary,
    alert_tickets,
    data_version,
    feedback_summary,
)
from crmind.services.feedback_query import FeedbackQuery, search_feedback
from crmind.web import charts
from crmind.web.auth import WebUser, api_state, page_permission
from crmind.web.i18n import Translator
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import language_of, render
from crmind.web.view_cache import cached

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("feedback", f"{UI_PREFIX}/feedback", "nav.feedback", Permission.FEEDBACK_READ)
Reader = page_permission(Permission.FEEDBACK_READ)
PAGE_SIZE = 20
SHOWS = ("alerts", "negative", "all")


def aspect_name(aspect: str, t: Translator) -> str:
    """The aspect's translated name; its own name for aspects a business defined."""
    key = f"aspect.{aspect}"
    return t(key) if t.has(key) else aspect


def feedback_charts(view: FeedbackSummary, t: Translator) -> dict[str, dict[str, Any]]:
    """The page's chart options by name (only those with data)."""
    found: dict[str, dict[str, Any]] = {}
    if view.by_month:
        months = [m for m, _ in view.by_month]
        names = {k: t(f"sentiment.{k}") for k in LABELS}
        found["sentiment_trend"] = charts.stacked_bars(
            months,
            {names[k]: [c.get(k, 0) for _, c in view.by_month] for k in LABELS},
            {names[k]: charts.SENTIMENT_COLOURS[k] for k in LABELS},
        )
    if view.mean_by_month:
        found["mean_score"] = charts.line(
            [m for m, _ in view.mean_by_month],
            {t("feedback.mean_score"): [s for _, s in view.mean_by_month]},
            area=True,
        )
    if view.aspects:
        option = charts.bar(
            [aspect_name(a.aspect, t) for a in view.aspects],
            [a.mean_score for a in view.aspects],
            name=t("feedback.mean_score"),
            horizontal=True,
        )
        option["series"][0]["data"] = [
            {
                "value": a.mean_score,
                "itemStyle": {
                    "color": charts.SENTIMENT_COLOURS[
                        "negative" if a.mean_score < 0 else "positive"
                    ]
                },
            }
            for a in view.aspects
        ]
        found["aspects"] = option
    if view.topics:
        found["topics"] = charts.bar(
            [f"{line.summary.label} ({line.summary.language})" for line in view.topics],
            [line.summary.size for line in view.topics],
            name=t("feedback.texts"),
            horizontal=True,
        )
    return found


def _query(show: str, topic: int | None, page: int) -> FeedbackQuery:
    return FeedbackQuery(
        alerts_only=show == "alerts",
        label="negative" if show == "negative" else None,
        topic_id=topic,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )


def _feedback_list(engine: Any, query: FeedbackQuery) -> dict[str, Any]:
    rows, count = search_feedback(engine, query)
    tickets = alert_tickets(engine, [int(r["id"]) for r in rows if r["alert"]])
    return {"rows": rows, "count": count, "tickets": tickets}


@router.get("/feedback", response_class=HTMLResponse)
async def feedback_page(
    request: Request,
    user: Annotated[WebUser, Depends(Reader)],
    show: str = "alerts",
    topic: int | None = None,
    page: int = 1,
) -> HTMLResponse:
    state = api_state(request)
    engine = state.engine
    view = await cached(request, "feedback", data_version(engine), lambda: feedback_summary(engine))
    show = show if show in SHOWS else "alerts"
    topic = topic if topic in {line.id for line in view.topics} else None
    page = max(1, min(page, 10_000))
    listed = await run_read(state, _feedback_list, engine, _query(show, topic, page))
    refs = CustomerRefs(state.settings, user.principal)
    items = []
    for row in listed["rows"]:
        ref = refs(row["customer_id"])
        if ref.customer_id is not None:
            audit_read(request, "feedback", row["id"], ref.customer_id)
        items.append({"row": row, "ref": ref, "ticket": listed["tickets"].get(int(row["id"]))})
    t = Translator(language_of(request))
    count = int(listed["count"])
    return render(
        request,
        "feedback.html",
        {
            "view": view,
            "charts": feedback_charts(view, t),
            "items": items,
            "count": count,
            "show": show,
            "shows": SHOWS,
            "topic": topic,
            "page": page,
            "pages": max(1, -(-count // PAGE_SIZE)),
            "first": (page - 1) * PAGE_SIZE + 1 if count else 0,
            "last": (page - 1) * PAGE_SIZE + len(items),
            "named": refs.ids,
            "can_tickets": user.can(Permission.TICKETS_READ),
            "labels": LABELS,
            "aspect_name": lambda name: aspect_name(name, t),
        },
        user=user,
        active="feedback",
    )
