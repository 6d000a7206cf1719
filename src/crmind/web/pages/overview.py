"""Overview (``/ui/``): the store at a glance, aggregates only.

Every signed-in role sees the counts and revenue; segment panels need ``segments:read``, the
value and risk distributions and the runs ``models:read``, the sentiment trend
``feedback:read``. The overview is computed once per change of the store's data
(:func:`crmind.services.dashboard_overview.data_version`) and kept in the process.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from crmind.access.roles import Permission
from crmind.services.dashboard_overview import Overview, data_version, lifecycle_counts, overview
from crmind.web import charts
from crmind.web.auth import WebUser, api_state, page_permission
from crmind.web.i18n import Translator
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import language_of, render
from crmind.web.view_cache import cached

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("overview", f"{UI_PREFIX}/", "nav.overview", None)

Viewer = page_permission(None)


def overview_charts(view: Overview, t: Translator) -> dict[str, dict[str, Any]]:
    """The overview's chart options by name (only those with data)."""
    found: dict[str, dict[str, Any]] = {}
    if view.revenue_by_month:
        months = [m for m, _ in view.revenue_by_month]
        found["revenue"] = charts.line(
            months,
            {t("overview.revenue"): [round(a, 2) for _, a in view.revenue_by_month]},
            area=True,
        )
    learned = view.segments.get("learned") or view.segments.get("rfm") or []
    if learned:
        found["segment_sizes"] = charts.donut([(s["name"], s["size"]) for s in learned])
    rfm = view.segments.get("rfm", [])
    if rfm:
        found["value_share"] = charts.bar(
            [s["name"] for s in rfm],
            [round(100 * (s["value_share"] or 0), 1) for s in rfm],
            name=t("overview.value_share_pct"),
            horizontal=True,
        )
    if view.clv and view.clv.counts:
        found["clv"] = charts.histogram(view.clv.edges, view.clv.counts, name=t("common.count"))
    if view.churn and view.churn.counts:
        found["churn"] = charts.histogram(
            view.churn.edges, view.churn.counts, digits=2, name=t("common.count")
        )
        found["churn"]["series"][0]["itemStyle"] = {"color": charts.PALETTE[3]}
    if view.sentiment_by_month:
        months = [m for m, _ in view.sentiment_by_month]
        labels = ("positive", "neutral", "negative")
        found["sentiment"] = charts.stacked_bars(
            months,
            {
                t(f"sentiment.{k}"): [c.get(k, 0) for _, c in view.sentiment_by_month]
                for k in labels
            },
            {t(f"sentiment.{k}"): charts.SENTIMENT_COLOURS[k] for k in labels},
        )
    return found


@router.get("/", response_class=HTMLResponse)
async def overview_page(
    request: Request, user: Annotated[WebUser, Depends(Viewer)]
) -> HTMLResponse:
    engine = api_state(request).engine
    view = await cached(request, "overview", data_version(engine), lambda: overview(engine))
    t = Translator(language_of(request))
    return render(
        request,
        "overview.html",
        {
            "view": view,
            "counts": lifecycle_counts(view),
            "charts": overview_charts(view, t),
            "show_segments": user.can(Permission.SEGMENTS_READ),
            "show_models": user.can(Permission.MODELS_READ),
            "show_feedback": user.can(Permission.FEEDBACK_READ),
        },
        user=user,
        active="overview",
    )
