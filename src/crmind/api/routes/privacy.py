"""Privacy: consents (``customers:read`` to see, ``consents:write`` to record), a person's
export (``privacy:export``) and erasure (``privacy:erase``), and the customer analytics table
(``customers:pseudonymised``; with ids and contacts ``privacy:export`` as well)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request

from crmind.access.roles import Permission, allows
from crmind.api.deps import EngineDep, SettingsDep, audit_read, require
from crmind.api.schemas.common import Limit, Offset, RecordId
from crmind.api.schemas.privacy import (
    ConsentCreate,
    ConsentPublic,
    ConsentRecorded,
    ConsentsPublic,
    CustomerExportPublic,
    ErasurePublic,
    ErasureRequest,
    SubjectExportPublic,
)
from crmind.privacy.consent import ConsentRecord, in_force
from crmind.services.access import Principal
from crmind.services.audit import AuditRecord
from crmind.services.consents import consent_history, record_consent
from crmind.services.exports import analytics_page
from crmind.services.privacy import erase_customer
from crmind.services.subject_export import export_customer

router = APIRouter(tags=["privacy"])

ConsentReader = require(Permission.CUSTOMERS_READ)
ConsentWriter = require(Permission.CONSENTS_WRITE)
Exporter = require(Permission.PRIVACY_EXPORT)
Eraser = require(Permission.PRIVACY_ERASE)
AnalyticsReader = require(Permission.CUSTOMERS_PSEUDONYMISED)


def _public(record: ConsentRecord) -> ConsentPublic:
    return ConsentPublic(
        purpose=record.purpose,
        decision=record.decision,
        source=record.source,
        recorded_by=record.recorded_by,
        recorded_at=record.recorded_at,
    )


@router.get("/customers/{customer_id}/consents")
def get_consents(
    request: Request,
    engine: EngineDep,
    customer_id: RecordId,
    principal: Annotated[Principal, Depends(ConsentReader)],
) -> ConsentsPublic:
    """A customer's consents in force and their history. Example: `GET /customers/17/consents`"""
    history = consent_history(engine, customer_id)
    audit_read(request, "consents", customer_id, customer_id)
    return ConsentsPublic(
        customer_id=customer_id,
        in_force={purpose: _public(r) for purpose, r in in_force(history).items()},
        history=[_public(r) for r in history],
    )


@router.post("/customers/{customer_id}/consents", status_code=201)
def post_consent(
    engine: EngineDep,
    customer_id: RecordId,
    body: ConsentCreate,
    principal: Annotated[Principal, Depends(ConsentWriter)],
) -> ConsentRecorded:
    """Record a grant or withdrawal; withdrawing ``profiling`` deletes the customer's
    profiles, segment memberships, scores and recommendations.
    Example: `POST /customers/17/consents {"purpose": "profiling", "decision": "withdraw"}`"""
    change = record_consent(
        engine,
        customer_id,
        body.purpose,
        body.decision,
        source=body.source,
        actor=principal.actor,
        role=principal.role,
    )
    return ConsentRecorded(
        **_public(change.consent).model_dump(),
        customer_id=change.customer_id,
        deleted=change.deleted,
    )


@router.get("/customers/{customer_id}/export")
def get_subject_export(
    engine: EngineDep,
    customer_id: RecordId,
    principal: Annotated[Principal, Depends(Exporter)],
) -> SubjectExportPublic:
    """Everything held about a person, for their subject access request (audited).
    Example: `GET /customers/17/export`"""
    document = export_customer(engine, customer_id, actor=principal.actor, role=principal.role)
    return SubjectExportPublic(**document)


@router.post("/customers/{customer_id}/erase")
def post_erasure(
    engine: EngineDep,
    customer_id: RecordId,
    principal: Annotated[Principal, Depends(Eraser)],
    body: Annotated[ErasureRequest | None, Body()] = None,
) -> ErasurePublic:
    """Erase a person's personal data everywhere; orders stay under an empty record.
    Erasing again changes nothing. Example: `POST /customers/17/erase {"reason": "req 31"}`"""
    result = erase_customer(
        engine,
        customer_id,
        actor=principal.actor,
        role=principal.role,
        reason=body.reason if body else None,
    )
    return ErasurePublic(**asdict(result), total=result.total)


@router.get("/exports/customers")
def get_customer_export(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(AnalyticsReader)],
    pseudonymise: Annotated[
        bool, Query(description="Pseudonyms, no contacts; false needs privacy:export.")
    ] = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> CustomerExportPublic:
    """The customer analytics table: profile, segments and scores per customer.
    Example: `GET /exports/customers?pseudonymise=true&limit=100`"""
    if not pseudonymise and not allows(principal.role, Permission.PRIVACY_EXPORT):
        raise HTTPException(
            403,
            f"the role {principal.role!r} may not do {Permission.PRIVACY_EXPORT.value!r} "
            "(an export with ids and contacts); ask with pseudonymise=true",
        )
    page = analytics_page(engine, settings, pseudonymised=pseudonymise, limit=limit, offset=offset)
    pending: list[AuditRecord] = request.scope.setdefault("crmind.audit", [])
    pending.append(
        AuditRecord(
            actor=principal.actor,
            role=principal.role,
            action="export",
            resource="exports/customers",
            remote_addr=request.client.host if request.client else None,
            detail={"pseudonymised": pseudonymise, "rows": len(page.rows), "offset": offset},
        )
    )
    return CustomerExportPublic(
        analysis_run=page.analysis_run,
        pseudonymised=pseudonymise,
        columns=page.columns,
        data=page.rows,
        count=page.count,
    )
