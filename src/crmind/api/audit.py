"""The audit middleware: after each response, write what the request noted (reads of personal
data) and, for every change (POST, PUT, PATCH, DELETE), one record of it with its status."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmind.services.access import Principal
from crmind.services.audit import AuditRecord, record

logger = logging.getLogger(__name__)

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditMiddleware:
    def __init__(self, app: ASGIApp, engine_of: Any) -> None:
        self.app = app
        self.engine_of = engine_of  # a callable giving the engine once the app has started

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            await self._write(scope, status[0] if status else 500)

    async def _write(self, scope: Scope, status: int) -> None:
        records: list[AuditRecord] = list(scope.get("crmind.audit", []))
        if status >= 400:  # a refused or failed read read nothing
            records = [r for r in records if r.action != "read"]
        principal = scope.get("state", {}).get("principal")
        if scope["method"] in CHANGES and isinstance(principal, Principal):
            client = scope.get("client")
            records.append(
                AuditRecord(
                    actor=principal.actor,
                    role=principal.role,
                    action=scope["method"].lower(),
                    resource=scope["path"],
                    remote_addr=client[0] if client else None,
                    status_code=status,
                    detail=scope.get("crmind.audit_detail"),
                )
            )
        records = [dataclasses.replace(r, status_code=r.status_code or status) for r in records]
        if not records:
            return
        engine: Engine = self.engine_of()
        try:
            await anyio.to_thread.run_sync(lambda: record(engine, *records))
        except Exception:  # the response is sent; losing an audit record must be loud
            logger.exception("could not write %d audit records", len(records))
