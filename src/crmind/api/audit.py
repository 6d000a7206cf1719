"""The audit middleware: after each response, write what the request noted (reads of personal
data) and, for every change (POST, PUT, PATCH, DELETE), one record of it with its status."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmind.services.access import Principal
from crmind.services.audit import AuditRecord, AuditWriter

logger = logging.getLogger(__name__)

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditMiddleware:
    def __init__(self, app: ASGIApp, writer_of: Callable[[], AuditWriter]) -> None:
        self.app = app
        self.writer_of = writer_of  # gives the app's audit writer once the app has started

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
        try:
            await asyncio.wrap_future(self.writer_of().submit(records))
        except Exception:  # the response is sent; losing an audit record must be loud
            logger.exception("could not write %d audit records", len(records))
