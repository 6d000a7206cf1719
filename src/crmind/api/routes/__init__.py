"""One router per resource; ``ROUTERS`` is every one of them, in the order of the docs."""

from fastapi import APIRouter

from crmind.api.routes import (
    access,
    audit,
    customers,
    events,
    feedback,
    health,
    imports,
    orders,
    privacy,
    products,
    runs,
    segments,
    tickets,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    customers.router,
    events.router,
    orders.router,
    products.router,
    segments.router,
    feedback.router,
    tickets.router,
    privacy.router,
    imports.router,
    runs.router,
    access.router,
    audit.router,
)
