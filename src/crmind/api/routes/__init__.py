"""One router per resource; ``ROUTERS`` is every one of them, in the order of the docs."""

from fastapi import APIRouter
from fastapi.routing import APIRoute

from crmind.api.routes import (
    access,
    audit,
    campaigns,
    chat,
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
    unsubscribe,
)
from crmind.api.schemas.problems import declare_problems

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    customers.router,
    events.router,
    orders.router,
    products.router,
    segments.router,
    feedback.router,
    tickets.router,
    chat.router,
    campaigns.router,
    privacy.router,
    imports.router,
    runs.router,
    access.router,
    audit.router,
    unsubscribe.router,
)

PUBLIC_ROUTERS = (health.router, unsubscribe.router)
"""Routers whose routes take no key: the health check, and unsubscribe links (signed tokens)."""

for _router in ROUTERS:  # every other route takes a key
    if _router not in PUBLIC_ROUTERS:
        for _route in _router.routes:
            if isinstance(_route, APIRoute):
                declare_problems(_route)
