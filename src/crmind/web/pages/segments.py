"""Segments (``/ui/segments``): learned clusters with their descriptions, the RFM grid and
segments, lifecycle stages and value tiers of the newest analysis; one segment's members
(``/ui/segments/{id}``) and their export as CSV.

Sizes and value shares are aggregates (``segments:read``). Members are customer data: roles that
read personal data see names (audited reads) and export ids and contacts; roles limited to
pseudonymised data see and export keyed pseudonyms; the others see sizes only.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from crmind.access.roles import Permission
from crmind.api.customer_refs import CustomerRefs
from crmind.api.deps import audit_read, run_read
from crmind.errors import NotFoundError
from crmind.services.dashboard_customers import CustomerFilter, find_customers
from crmind.services.dashboard_segments import rfm_grid
from crmind.services.exports import audit_export
from crmind.services.segments import SegmentQuery, get_segment, newest_segments
from crmind.web import charts
from crmind.web.auth import (
    PageDeniedError,
    PageNotFoundError,
    WebUser,
    api_state,
    page_permission,
)
from crmind.web.i18n import Translator
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import language_of, render

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
NAV = NavEntry("segments", f"{UI_PREFIX}/segments", "nav.segments", Permission.SEGMENTS_READ)
Reader = page_permission(Permission.SEGMENTS_READ)
Members = page_permission((Permission.CUSTOMERS_READ, Permission.CUSTOMERS_PSEUDONYMISED))
PAGE_SIZE = 50
EXPORT_LIMIT = 1_000_000


def _by_kind(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    kinds: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        kinds.setdefault(row["kind"], []).append(row)
    return kinds


@router.get("/segments", response_class=HTMLResponse)
async def segments_page(
    request: Request, user: Annotated[WebUser, Depends(Reader)]
) -> HTMLResponse:
    state = api_state(request)
    rows, _ = await run_read(state, newest_segments, state.engine, SegmentQuery(limit=500))
    grid = await run_read(state, rfm_grid, state.engine)
    kinds = _by_kind(rows)
    t = Translator(language_of(request))
    found: dict[str, dict[str, Any]] = {}
    if grid.cells:
        found["rfm_grid"] = charts.heatmap(
            [str(f) for f in range(1, 6)],
            [str(r) for r in range(1, 6)],
            [(f - 1, r - 1, n) for (r, f), n in sorted(grid.cells.items())],
            name=t("common.count"),
        )
        found["rfm_grid"]["xAxis"]["name"] = t("segments.frequency")
        found["rfm_grid"]["xAxis"]["nameLocation"] = "middle"
        found["rfm_grid"]["xAxis"]["nameGap"] = 28
        found["rfm_grid"]["yAxis"]["name"] = t("segments.recency")
    learned = kinds.get("learned", [])
    if learned:
        found["learned_value"] = charts.bar(
            [s["name"] for s in learned],
            [round(100 * (s["value_share"] or 0), 1) for s in learned],
            name=t("overview.value_share_pct"),
            horizontal=True,
        )
        found["learned_size"] = charts.donut([(s["name"], s["size"]) for s in learned])
    return render(
        request,
        "segments/index.html",
        {
            "kinds": kinds,
            "charts": found,
            "run_id": rows[0]["model_run_id"] if rows else None,
            "members_visible": user.can(
                (Permission.CUSTOMERS_READ, Permission.CUSTOMERS_PSEUDONYMISED)
            ),
        },
        user=user,
        active="segments",
    )


def _filter_of(segment: dict[str, Any], limit: int, offset: int) -> CustomerFilter:
    kind, key = segment["kind"], segment["key"]
    if kind == "lifecycle":
        return CustomerFilter(lifecycle=key, limit=limit, offset=offset)
    if kind == "value_tier":
        return CustomerFilter(value=key, limit=limit, offset=offset)
    return CustomerFilter(segment=f"{kind}:{key}", sort="-clv", limit=limit, offset=offset)


async def _segment(request: Request, segment_id: int) -> dict[str, Any]:
    state = api_state(request)
    try:
        return await run_read(state, get_segment, state.engine, segment_id)
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"#{segment_id}") from exc


@router.get("/segments/{segment_id}", response_class=HTMLResponse)
async def segment_page(
    request: Request, user: Annotated[WebUser, Depends(Reader)], segment_id: int, page: int = 1
) -> HTMLResponse:
    state = api_state(request)
    segment = await _segment(request, segment_id)
    named = user.can(Permission.CUSTOMERS_READ)
    refs = CustomerRefs(state.settings, user.principal)
    members: list[dict[str, Any]] = []
    count = 0
    page = max(1, min(page, 100_000))
    if refs.any:
        wanted = _filter_of(segment, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        found = await run_read(state, find_customers, state.engine, wanted)
        count = found.count
        for row in found.rows:
            if named:
                audit_read(request, "customers", row.id, row.id)
            members.append({"row": row, "pseudonym": None if named else refs(row.id).pseudonym})
    return render(
        request,
        "segments/detail.html",
        {
            "segment": segment,
            "members": members,
            "count": count,
            "named": named,
            "members_visible": refs.any,
            "page": page,
            "pages": max(1, -(-count // PAGE_SIZE)),
        },
        user=user,
        active="segments",
    )


@router.get("/segments/{segment_id}/members.csv")
async def segment_export(
    request: Request, user: Annotated[WebUser, Depends(Members)], segment_id: int
) -> Response:
    """The members as CSV: ids and contacts for roles that read personal data, keyed
    pseudonyms with segments and scores for pseudonymised roles (audited as an export)."""
    state = api_state(request)
    segment = await _segment(request, segment_id)
    refs = CustomerRefs(state.settings, user.principal)
    if not refs.any:
        raise PageDeniedError("members need customer access", "error.403", role=user.role)
    found = await run_read(
        state, find_customers, state.engine, _filter_of(segment, EXPORT_LIMIT, 0)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    head = ["customer_id", "name", "email"] if refs.ids else ["pseudonym"]
    writer.writerow([*head, "segment_rfm", "lifecycle", "clv", "churn_probability", "churn_band"])
    for row in found.rows:
        who = [row.id, row.name or "", row.email or ""] if refs.ids else [refs(row.id).pseudonym]
        writer.writerow(
            [
                *who,
                row.segments.get("rfm", ""),
                row.segments.get("lifecycle", ""),
                "" if row.clv is None else f"{row.clv:.2f}",
                "" if row.churn is None else f"{row.churn:.4f}",
                row.risk or "",
            ]
        )
    audit_export(
        state.engine,
        user.principal.actor,
        user.role,
        not refs.ids,
        len(found.rows),
        f"dashboard: segment {segment_id}",
    )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="segment-{segment_id}.csv"',
            "Cache-Control": "no-store",
        },
    )
