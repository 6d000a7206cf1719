"""One router per resource; ``ROUTERS`` is every one of them, in the order of the docs."""

from fastapi import APIRouter

from crmind.api.routes import access, audit, customers, health

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    customers.router,
    access.router,
    audit.router,
)
