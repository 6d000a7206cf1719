"""Customers: the searchable, filterable list (``/ui/customers``) and the 360° page
(``/ui/customers/{id}``) with the privacy actions of admins (export, erase).

Roles that read personal data (``customers:read``) see names and open the 360° page; each
customer shown is an audited read, as in the API. Roles limited to pseudonymised data
(``customers:pseudonymised``) see keyed pseudonyms with segments and scores, cannot search by
contact details and cannot open a customer.
"""

from __future__ import annotations

from typing import Annotated, Any

from anyio.to_thread import run_sync
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crmind.access.roles import Permission
from crmind.api.customer_refs import CustomerRefs
from crmind.api.deps import audit_read, run_read
from crmind.errors import NotFoundError
from crmind.services.consents import current_consents
from crmind.services.customers import customer_view
from crmind.services.dashboard_customers import (
    CustomerFilter,
    customer_activity,
    filter_choices,
    find_customers,
)
from crmind.services.privacy import erase_customer
from crmind.services.subject_export import export_customer, export_json
from crmind.web import charts
from crmind.web.auth import FormUser, PageNotFoundError, WebUser, api_state, page_permission
from crmind.web.customer_view import timeline, view_parts
from crmind.web.nav import UI_PREFIX, NavEntry
from crmind.web.render import render

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)
LISTERS = (Permission.CUSTOMERS_READ, Permission.CUSTOMERS_PSEUDONYMISED)
NAV = NavEntry("customers", f"{UI_PREFIX}/customers", "nav.customers", LISTERS)

Lister = page_permission(LISTERS)
Reader = page_permission(Permission.CUSTOMERS_READ)
Exporter = page_permission(Permission.PRIVACY_EXPORT)
Eraser = page_permission(Permission.PRIVACY_ERASE)
PAGE_SIZE = 50
SORTS = ("id", "-clv", "-risk")


def _choice(value: str | None, allowed: list[tuple[str, str]]) -> str | None:
    return value if value and value in {v for v, _ in allowed} else None


@router.get("/customers", response_class=HTMLResponse)
async def customers_page(
    request: Request,
    user: Annotated[WebUser, Depends(Lister)],
    q: str = "",
    segment: str = "",
    lifecycle: str = "",
    value: str = "",
    risk: str = "",
    sort: str = "id",
    page: int = 1,
) -> HTMLResponse:
    state = api_state(request)
    named = user.can(Permission.CUSTOMERS_READ)
    choices = await run_read(state, filter_choices, state.engine)
    page = max(1, min(page, 10_000))
    wanted = CustomerFilter(
        text=q.strip()[:200] if named else None,
        segment=_choice(segment, choices.segment),
        lifecycle=_choice(lifecycle, choices.lifecycle),
        value=_choice(value, choices.value),
        risk=_choice(risk, choices.risk),
        sort=sort if sort in SORTS else "id",  # type: ignore[arg-type]
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    found = await run_read(state, find_customers, state.engine, wanted)
    refs = CustomerRefs(state.settings, user.principal)
    rows = []
    for row in found.rows:
        if named:
            audit_read(request, "customers", row.id, row.id)
        rows.append({"row": row, "pseudonym": None if named else refs(row.id).pseudonym})
    return render(
        request,
        "customers/list.html",
        {
            "rows": rows,
            "count": found.count,
            "named": named,
            "choices": choices,
            "wanted": wanted,
            "q": wanted.text or "",
            "segment": wanted.segment or "",
            "page": page,
            "pages": max(1, -(-found.count // PAGE_SIZE)),
            "first": wanted.offset + 1 if found.count else 0,
            "last": wanted.offset + len(rows),
            "query": {
                "q": wanted.text or "",
                "segment": wanted.segment or "",
                "lifecycle": wanted.lifecycle or "",
                "value": wanted.value or "",
                "risk": wanted.risk or "",
                "sort": wanted.sort,
            },
        },
        user=user,
        active="customers",
    )


def _customer_360(engine: Any, customer_id: int) -> dict[str, Any]:
    view = customer_view(engine, customer_id, recent_orders=500)
    return {
        "view": view,
        "activity": customer_activity(engine, customer_id),
        "consents": current_consents(engine, customer_id),
    }


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer_page(
    request: Request, user: Annotated[WebUser, Depends(Reader)], customer_id: int
) -> HTMLResponse:
    state = api_state(request)
    try:
        found = await run_read(state, _customer_360, state.engine, customer_id)
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"#{customer_id}") from exc
    audit_read(request, "customers", customer_id, customer_id)
    view = found["view"]
    parts = view_parts(view)
    spend = parts.pop("spend_by_month")
    return render(
        request,
        "customers/detail.html",
        {
            **found,
            **parts,
            "timeline": timeline(view, found["activity"]),
            "spend_chart": charts.bar([m for m, _ in spend], [round(a, 2) for _, a in spend])
            if spend
            else None,
            "can_export": user.can(Permission.PRIVACY_EXPORT),
            "can_erase": user.can(Permission.PRIVACY_ERASE),
            "erased": request.query_params.get("erased") == "1",
        },
        user=user,
        active="customers",
    )


@router.get("/customers/{customer_id}/export.json")
async def customer_export(
    request: Request, user: Annotated[WebUser, Depends(Exporter)], customer_id: int
) -> Response:
    """Everything held about the person, as a JSON download (audited as an export)."""
    state = api_state(request)
    try:
        document = await run_sync(
            lambda: export_customer(
                state.engine, customer_id, actor=user.principal.actor, role=user.role
            )
        )
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"#{customer_id}") from exc
    return Response(
        export_json(document),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="customer-{customer_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/customers/{customer_id}/erase")
async def customer_erase(
    request: Request,
    user: Annotated[WebUser, Depends(Eraser)],
    form_user: FormUser,
    customer_id: int,
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Erase the person's personal data (after the confirmation box was ticked)."""
    if confirm != "yes":
        return RedirectResponse(f"{UI_PREFIX}/customers/{customer_id}", status_code=303)
    state = api_state(request)
    try:
        result = await run_sync(
            lambda: erase_customer(
                state.engine,
                customer_id,
                actor=user.principal.actor,
                role=user.role,
                reason="dashboard",
            )
        )
    except NotFoundError as exc:
        raise PageNotFoundError(str(exc), "error.404", what=f"#{customer_id}") from exc
    request.scope["crmind.audit_detail"] = {"erasure_id": result.erasure_id}
    return RedirectResponse(f"{UI_PREFIX}/customers/{customer_id}?erased=1", status_code=303)
