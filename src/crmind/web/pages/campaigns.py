"""Campaigns (``/ui/campaigns``): every campaign with its trigger, channel and messages by
status; one campaign (``/ui/campaigns/{id}``) with its report: customers and conversions per
group, the conversion and revenue uplift over the holdout with their intervals, and each
variant's. Aggregates only (``campaigns:read``); campaigns are created, paused and resumed from
the CLI or the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from crmind.access.roles import Permission
from crmind.api.deps import run_read
from crmind.errors import NotFoundError
from crmind.services.campaign_report import CampaignReport, campaign_report
from crmind.services.campaigns import list_campaigns
from crmind.web import charts
from crmind.web.auth import PageNotFoundError, WebUser, api_state, page_permission
from crmind.web.i18n import Translator
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import language_of, render

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("campaigns", f"{UI_PREFIX}/campaigns", "nav.campaigns", Permission.CAMPAIGNS_READ)
Reader = page_permission(Permission.CAMPAIGNS_READ)


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns_page(
    request: Request, user: Annotated[WebUser, Depends(Reader)]
) -> HTMLResponse:
    state = api_state(request)
    campaigns = await run_read(state, list_campaigns, state.engine)
    return render(
        request, "campaigns/index.html", {"campaigns": campaigns}, user=user, active="campaigns"
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(
    request: Request, user: Annotated[WebUser, Depends(Reader)], campaign_id: int
) -> HTMLResponse:
    state = api_state(request)
    try:
        report = await run_read(state, campaign_report, state.engine, campaign_id)
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"#{campaign_id}") from exc
    groups = group_rows(report)
    t = Translator(language_of(request))
    return render(
        request,
        "campaigns/detail.html",
        {"report": report, "groups": groups, "charts": _charts(groups, t)},
        user=user,
        active="campaigns",
    )


def group_rows(report: CampaignReport) -> list[dict[str, Any]]:
    """Each group's customers, conversions, conversion rate and revenue per customer."""
    return [
        {
            "group": group.group,
            "customers": group.customers,
            "conversions": group.conversions,
            "rate": group.conversions / group.customers if group.customers else None,
            "revenue_per_customer": group.revenue / group.customers if group.customers else None,
        }
        for group in report.groups
    ]


def _charts(rows: list[dict[str, Any]], t: Translator) -> dict[str, dict[str, Any]]:
    if not rows:
        return {}
    return {
        "rates": charts.bar(
            [row["group"] for row in rows],
            [round(100 * (row["rate"] or 0.0), 2) for row in rows],
            name=t("campaigns.rate_pct"),
        )
    }
